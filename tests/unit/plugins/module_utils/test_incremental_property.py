# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The property of incremental runs: after any edit, the result is a full render's, byte for byte.

Random inventories over every family and random edit sequences (device
fields, lines, display names; defaults, site and model settings added,
changed, removed; devices added, removed, renamed, moved between sites; key
rotations; windows closed by time or by fetch evidence; the directory
toggled or its contacts edited; a zone's data replaced; a family's code
changed; the key store replaced). After each edit the incremental run into root A is compared with a
``full: true`` run into an empty root B from a copy of A's bootstrap state at
the same time: the trees (paths, bytes, modes), the warnings, the bootstrap
and rotation reports and the saved bootstrap state must be equal; a run
without an edit then renders no device. The teeth test shows the property
fails when the fingerprint misses an input.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _key_store, _phone_profiles, _timezone
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, renderer_for, vendor_for_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, key_id, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import BOOTSTRAP_STATE_FILE, run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_flat_profile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_incremental import (
    DEFAULTS,
    MODEL_SETTINGS,
    MODELS,
    tree,
)

ZONEINFO = Path("/usr/share/zoneinfo")
ZONES = ("Europe/Berlin", "Asia/Tokyo")
#: Values valid for every family (a family that cannot carry one warns).
NTP = ("ntp.example.net", "ntp2.example.net", "10.0.0.5")
LANGUAGES = ("de", "fr", "en")
DISPLAY = ("Desk", "Zoë & Söhne", "{# not a template #}", "Réception <1>", "Büro 7")
# Timezones a device itself may set: Fanvil refuses daylight saving time, and a device's own setting wins.
OWN_ZONES = ("UTC-2", "Asia/Tokyo")
# Wider levels may use any: Fanvil's model entry sets its own.
ANY_ZONES = ("UTC-2", "CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin", "Asia/Tokyo")
SITE_NAMES = ("s1", "s2")
EDITABLE = {"ntp_server": NTP, "language": LANGUAGES, "resync_interval": (60, 120, 1440), "timezone": ANY_ZONES}
OWN_EDITABLE = {"ntp_server": NTP, "language": LANGUAGES, "timezone": OWN_ZONES}
EDITS = ("device_line", "device_display", "device_setting", "device_setting_remove", "line_add_remove",
         "defaults_setting", "defaults_remove", "site_setting", "site_remove", "model_setting", "model_remove",
         "add_device", "remove_device", "rename_device", "move_site", "rotate", "prove", "advance", "fetch",
         "directory_toggle", "contact_edit", "zone_swap", "code_bump", "key_store_lost")


class World:
    """One example's inventory, key store, evidence, time and zone files; runs A incrementally and B fully."""

    def __init__(self, base, families, rng):
        self.base = Path(base)
        self.rng = rng
        self.counter = 0
        self.next_index = 0
        self.devices = [self.new_device(family, site) for family, site in families]
        self.defaults = dict(DEFAULTS)
        self.sites = dict((name, {}) for name in SITE_NAMES)
        self.models = copy.deepcopy(MODEL_SETTINGS)
        self.directory = None
        self.store = empty_store()
        self.keys = {}
        self.next_keys = {}
        self.fetched = {}
        self.proven = {}
        self.rotate = set()
        self.now = 1000
        self.runs = 0
        self.code_bumps = {}
        self.zones = self.base / "zoneinfo"
        for name in ZONES:
            self.put_zone(name, name)

    # -- inputs ------------------------------------------------------------

    def new_device(self, family, site=None):
        index = self.next_index
        self.next_index += 1
        model, prefix = MODELS[family]
        device = {"name": "d%03d" % index, "mac": "%s%06x" % (prefix, index + 1), "model": model,
                  "lines": [{"extension": str(200 + index), "password": "Pw-%04dx" % index,
                             "display_name": "Desk %d" % index}]}
        if site is not None:
            device["site"] = site
        return device

    def put_zone(self, name, source):
        target = self.zones / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ZONEINFO / source, target)
        clear_zone_caches()

    def new_key(self, nbytes):
        self.counter += 1
        return bytes((self.counter * 37 + index * 11) % 256 for index in range(nbytes)).hex()

    def reconcile(self, promote=None):
        """The keys as ``key_store`` would give them for the current inventory; False when it is invalid."""
        try:
            inventory, fleet = load_fleet(self.devices, self.defaults, self.sites, self.models)
        except ProvisioningError:
            return False
        wanted = dict((device.mac, renderer_for(device).key_specs(device)) for device in fleet)
        wanted = dict((mac, specs) for mac, specs in wanted.items() if specs)
        fetched = dict((mac, sorted(ids)) for mac, ids in self.fetched.items())
        result = reconcile(self.store, wanted, rotate=sorted(self.rotate & set(wanted)), promote=promote,
                           fetched=fetched, now=self.now)
        self.rotate = set()
        self.keys, self.next_keys = result.keys, result.next_keys
        return True

    def params(self):
        return dict(devices=copy.deepcopy(self.devices), defaults=copy.deepcopy(self.defaults),
                    sites=copy.deepcopy(self.sites), models=copy.deepcopy(self.models),
                    directory=copy.deepcopy(self.directory), keys=copy.deepcopy(self.keys),
                    next_keys=copy.deepcopy(self.next_keys),
                    bootstrap_fetched=dict((mac, sorted(ids)) for mac, ids in self.fetched.items()),
                    bootstrap_proven=dict((mac, sorted(ids)) for mac, ids in self.proven.items()))

    # -- runs --------------------------------------------------------------

    def run_both(self):
        """A incremental, B full from A's state before; equal results. Returns A's result (None: both refused)."""
        state_a = self.base / "a-state"
        saved = (state_a / BOOTSTRAP_STATE_FILE).read_bytes() if (state_a / BOOTSTRAP_STATE_FILE).exists() else None
        self.runs += 1
        where = self.base / ("b-%d" % self.runs)
        (where / "state").mkdir(parents=True)
        if saved is not None:
            (where / "state" / BOOTSTRAP_STATE_FILE).write_bytes(saved)
        try:
            full = run(dict(self.params(), roots=[str(where / "root")], state_dir=str(where / "state"), full=True),
                       now=self.now)
        except ProvisioningError as exc:
            with pytest.raises(ProvisioningError) as refused:
                run(dict(self.params(), roots=[str(self.base / "a-root")], state_dir=str(state_a)), now=self.now)
            assert str(refused.value) == str(exc)
            shutil.rmtree(where)
            return None
        result = run(dict(self.params(), roots=[str(self.base / "a-root")], state_dir=str(state_a)), now=self.now)
        assert tree(self.base / "a-root") == tree(where / "root")
        for name in ("warnings", "bootstrap", "rotation", "devices", "files"):
            assert result[name] == full[name], name
        assert saved_state(state_a) == saved_state(where / "state")
        shutil.rmtree(where)
        return result

    def rerun_renders_nothing(self):
        result = run(dict(self.params(), roots=[str(self.base / "a-root")], state_dir=str(self.base / "a-state")),
                     now=self.now)
        assert (result["rendered_devices"], result["changed"]) == (0, False)

    # -- edits -------------------------------------------------------------

    def pick(self, items):
        return self.rng.choice(sorted(items) if isinstance(items, (set, dict)) else list(items))

    def device(self):
        return self.pick(range(len(self.devices)))

    def apply(self, edit):
        snapshot = self.snapshot()
        devices = self.devices
        if edit == "device_line":
            devices[self.device()]["lines"][0]["extension"] = str(self.rng.randint(100, 999))
        elif edit == "device_display":
            devices[self.device()]["lines"][0]["display_name"] = self.pick(DISPLAY)
        elif edit == "device_setting":
            name = self.pick(OWN_EDITABLE)
            devices[self.device()].setdefault("settings", {})[name] = self.pick(OWN_EDITABLE[name])
        elif edit == "device_setting_remove":
            devices[self.device()].pop("settings", None)
        elif edit == "line_add_remove":
            lines = devices[self.device()]["lines"]
            if len(lines) > 1:
                lines.pop()
            else:
                lines.append({"extension": str(self.rng.randint(1000, 1999)), "password": "Second-pw1",
                              "display_name": self.pick(DISPLAY)})
        elif edit == "defaults_setting":
            name = self.pick(EDITABLE)
            self.defaults[name] = self.pick(EDITABLE[name])
        elif edit == "defaults_remove":
            self.defaults.pop(self.pick(EDITABLE), None)
        elif edit == "site_setting":
            name = self.pick(EDITABLE)
            self.sites[self.pick(SITE_NAMES)][name] = self.pick(EDITABLE[name])
        elif edit == "site_remove":
            self.sites[self.pick(SITE_NAMES)].pop(self.pick(EDITABLE), None)
        elif edit == "model_setting":
            name = self.pick(("ntp_server", "language", "resync_interval"))
            self.models.setdefault(self.pick(model for model, _prefix in MODELS), {})[name] = self.pick(EDITABLE[name])
        elif edit == "model_remove":
            entry = self.models.get(self.pick(model for model, _prefix in MODELS))
            if entry:
                for name in ("ntp_server", "language", "resync_interval"):
                    entry.pop(name, None)
        elif edit == "add_device":
            devices.append(self.new_device(self.pick(range(len(MODELS)))))
        elif edit == "remove_device":
            if len(devices) > 1:
                devices.pop(self.device())
        elif edit == "rename_device":
            devices[self.device()]["name"] = "r%03d" % self.next_index
            self.next_index += 1
        elif edit == "move_site":
            site = self.pick((None,) + SITE_NAMES)
            device = devices[self.device()]
            if site is None:
                device.pop("site", None)
            else:
                device["site"] = site
        elif edit == "rotate":
            mac = devices[self.device()]["mac"]
            if mac in self.keys:
                # The current keys must be known delivered for the key store to start it.
                self.fetched.setdefault(mac, set()).add(key_id(self.keys[mac]))
                self.rotate.add(mac)
        elif edit == "prove":
            if self.next_keys:
                mac = self.pick(self.next_keys)
                self.proven.setdefault(mac, set()).add(key_id(self.next_keys[mac]))
                self.run_both()
                assert self.reconcile(promote=dict((mac, sorted(ids)) for mac, ids in self.proven.items()))
                return
        elif edit == "advance":
            # Past the 1440-minute window, or not.
            self.now += self.pick((86400 * 2, 600))
        elif edit == "fetch":
            mac = devices[self.device()]["mac"]
            if mac in self.keys:
                self.fetched.setdefault(mac, set()).add(key_id(self.keys[mac]))
        elif edit == "directory_toggle":
            self.directory = None if self.directory is not None else {
                "fleet": self.pick((True, False)), "per_site": self.pick((True, False)),
                "contacts": [{"name": "Front desk", "numbers": ["100"]}]}
        elif edit == "contact_edit":
            if self.directory is not None:
                self.directory["contacts"].append({"name": self.pick(DISPLAY), "numbers": [str(300 + len(devices))]})
        elif edit == "zone_swap":
            name = self.pick(ZONES)
            self.put_zone(name, self.pick(("Asia/Tokyo", "Europe/Berlin", "America/Sao_Paulo")))
        elif edit == "key_store_lost":
            # A key store made afresh (lost, restored from an old backup): new keys, no rotation.
            self.store = empty_store()
            self.next_keys = {}
        elif edit == "code_bump":
            family = self.pick(sorted(set(vendor_for_model(model) for model, _prefix in MODELS)))
            self.code_bumps[family] = self.code_bumps.get(family, 0) + 1
        if not self.reconcile():
            # An edit that makes the inventory invalid (a non-ASCII name for a Cisco phone): both runs
            # must refuse it alike, and the inventory goes back to what it was.
            assert self.run_both() is None
            self.restore(snapshot)

    def snapshot(self):
        return copy.deepcopy((self.devices, self.defaults, self.sites, self.models, self.directory))

    def restore(self, snapshot):
        self.devices, self.defaults, self.sites, self.models, self.directory = copy.deepcopy(snapshot)
        assert self.reconcile()


def clear_zone_caches():
    """Forget the zones this process read (a module run starts afresh; the tests swap zone files)."""
    _timezone._ZONE_CACHE.clear()
    _timezone._PARSED_CACHE.clear()
    _timezone._POSIX_CACHE.clear()
    # The Cisco families memoise a zone's parameters by its name: without
    # this, a swapped zone file would render the old rules in both runs.
    cisco_flat_profile._TIME_ZONE_PARAMS.clear()


def saved_state(state_dir):
    path = state_dir / BOOTSTRAP_STATE_FILE
    return json.loads(path.read_text()) if path.exists() else None


def _bumping(method, family, world):
    def rendered(*args):
        files = method(*args)
        bump = world.code_bumps.get(family)
        if bump:
            for item in files:
                item.content += b"\n# code version %d\n" % bump
        return files
    return rendered


def check_sequence(data, monkeypatch_context):
    # Hypothesis draws a seed; the choices are made with it, so that every kind of edit, zone and family
    # is drawn about as often as the others (hypothesis's own draws favour the first of each list), and
    # the examples stay reproducible (derandomize).
    rng = random.Random(data.draw(st.integers(0, 2 ** 64), label="seed"))
    # One device of every family, in a drawn order, and up to three more.
    order = rng.sample(range(len(MODELS)), len(MODELS)) + [rng.randrange(len(MODELS)) for dummy in range(rng.randint(0, 3))]
    families = [(family, rng.choice((None,) + SITE_NAMES)) for family in order]
    edits = rng.sample(EDITS, rng.randint(3, 7))
    zone = rng.choice(ANY_ZONES)
    site_zone = rng.choice((None,) + ANY_ZONES)
    directory = rng.choice((True, False))
    base = tempfile.mkdtemp(prefix="sipfleet-property-")
    try:
        world = World(base, families, rng)
        world.defaults["timezone"] = zone
        if site_zone is not None:
            world.sites["s1"]["timezone"] = site_zone

        real_digests = _phone_profiles.code_digests

        def bumped(*args, **kwargs):
            digests = dict(real_digests(*args, **kwargs))
            for family, count in world.code_bumps.items():
                digests[family] = "%s-%d" % (digests[family], count)
            return digests

        # A bumped family's "new code" also renders other bytes (a trailing comment), so a fingerprint
        # without the code digest would serve the old ones.
        for family, renderer in VENDORS.items():
            for method in ("render_device", "render_rotation"):
                monkeypatch_context.setattr(renderer, method, _bumping(getattr(renderer, method), family, world))
        monkeypatch_context.setattr(_key_store, "new_key", world.new_key)
        monkeypatch_context.setattr(_phone_profiles, "code_digests", bumped)
        monkeypatch_context.setattr(_timezone, "zone_search_path", lambda: (str(world.zones),))
        monkeypatch_context.setattr(_timezone, "_tzdata_package_dir", lambda: None)
        clear_zone_caches()
        if directory:
            world.directory = {"fleet": rng.choice((True, False)), "per_site": rng.choice((True, False)),
                               "contacts": [{"name": "Front desk", "numbers": ["100"]}]}
        assert world.reconcile()
        world.run_both()
        for edit in edits:
            world.apply(edit)
            world.run_both()
        world.rerun_renders_nothing()
    finally:
        clear_zone_caches()
        shutil.rmtree(base, ignore_errors=True)


PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.mark.skipif(not all((ZONEINFO / name).is_file() for name in ZONES + ("America/Sao_Paulo",)),
                    reason="needs the system's tzdata")
@PROPERTY
@given(st.data())
def test_incremental_runs_equal_full_renders(data):
    with pytest.MonkeyPatch.context() as patch:
        check_sequence(data, patch)


@pytest.mark.skipif(not all((ZONEINFO / name).is_file() for name in ZONES + ("America/Sao_Paulo",)),
                    reason="needs the system's tzdata")
def test_property_catches_a_missing_input():
    """With the sites' settings left out of the fingerprint, the property finds a stale file."""
    real = _phone_profiles.device_fingerprint

    def blind_to_sites(raw, vendor, keys, ctx):
        digests, ctx.site_digests = ctx.site_digests, {}
        try:
            return real(raw, vendor, keys, ctx)
        finally:
            ctx.site_digests = digests

    @settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
              phases=[Phase.generate], database=None)
    @given(st.data())
    def blind_property(data):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_phone_profiles, "device_fingerprint", blind_to_sites)
            check_sequence(data, patch)

    with pytest.raises(AssertionError):
        blind_property()
