# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Incremental runs: only the devices whose inputs or served files changed are rendered, with a full render's bytes."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _fleet, _incremental, _key_store, _profile_writer, _timezone
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, renderer_for
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import BOOTSTRAP_STATE_FILE, run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS

#: One model of every family, with a MAC prefix.
MODELS = [("GXP2170", "000b82"), ("SPA2102", "88012b"), ("CP-8841-3PCC", "0c1167"), ("KX-UTG300", "0080f0"),
          ("T46U", "805ec0"), ("VVX410", "0004f2"), ("D785", "000413"), ("X4U", "0c383e")]
DEFAULTS = {"sip_server": "pbx.example.net", "ntp_server": "ntp.example.net", "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
            "admin_password": "Admin2026", "provisioning_url": "http://prov.example.net", "resync_interval": 60,
            "encrypt_profiles": True}
#: What the families without public file encryption need to be served.
MODEL_SETTINGS = {"T46U": {"encrypt_profiles": False, "provisioning_url": "https://prov.example.net/yp"},
                  "VVX410": {"encrypt_profiles": False, "provisioning_url": "https://prov.example.net/yp"},
                  "D785": {"encrypt_profiles": False, "allow_plain_credentials": True},
                  "X4U": {"encrypt_profiles": False, "allow_plain_credentials": True, "timezone": "UTC-1"}}
SITES = {"berlin": {"ntp_server": "ntp.berlin.example.net"}, "paris": {"language": "fr"}}


def test_the_fleet_covers_every_family():
    assert set(_fleet.vendor_for_model(model) for model, _prefix in MODELS) == set(VENDORS)


def fleet_devices(count=16):
    devices = []
    for index in range(count):
        model, prefix = MODELS[index % len(MODELS)]
        device = {"name": "p%02d" % index, "mac": "%s%06x" % (prefix, index + 1), "model": model,
                  "lines": [{"extension": str(100 + index), "password": "Pw%08dX" % index, "display_name": "Desk %d" % index}]}
        if index % 3 == 1:
            device["site"] = "berlin"
        elif index % 3 == 2:
            device["site"] = "paris"
        devices.append(device)
    return devices


def deterministic_keys(monkeypatch, devices, defaults=None, sites=None, models=None, store=None, seed=0,
                       **reconcile_args):
    """Keys as the key store makes them (``reconcile`` into ``store``), from a counter instead of the OS's generator."""
    counter = [seed]

    def new_key(nbytes):
        counter[0] += 1
        return bytes((counter[0] * 31 + index * 7) % 256 for index in range(nbytes)).hex()

    monkeypatch.setattr(_key_store, "new_key", new_key)
    inventory, fleet = load_fleet(devices, defaults, sites, models)
    wanted = dict((device.mac, renderer_for(device).key_specs(device)) for device in fleet)
    wanted = dict((mac, specs) for mac, specs in wanted.items() if specs)
    return reconcile(empty_store() if store is None else store, wanted, **reconcile_args)


def tree(root):
    """``{relative path: (bytes, mode)}`` of every file under ``root``."""
    found = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


class Site:
    """A root and state directory run incrementally, and the full render each run is compared with."""

    def __init__(self, base, params):
        self.base = Path(base)
        self.params = params
        self.root = self.base / "a-root"
        self.state = self.base / "a-state"
        self.runs = 0

    def run(self, now, check=True, **extra):
        before = self.state / BOOTSTRAP_STATE_FILE
        saved = before.read_bytes() if before.exists() else None
        result = run(dict(self.params, roots=[str(self.root)], state_dir=str(self.state), **extra), now=now)
        if check:
            self.runs += 1
            full = self.full(saved, now, extra)
            assert tree(self.root) == tree(full["root"])
            for name in ("warnings", "bootstrap", "rotation", "devices", "files"):
                assert result[name] == full["result"][name], name
            assert json.loads((self.state / BOOTSTRAP_STATE_FILE).read_text()) == json.loads(
                (full["state"] / BOOTSTRAP_STATE_FILE).read_text())
        return result

    def full(self, saved_state, now, extra):
        """A full render into an empty root, from the same bootstrap state and time."""
        where = self.base / ("b-%d" % self.runs)
        state = where / "state"
        state.mkdir(parents=True)
        if saved_state is not None:
            (state / BOOTSTRAP_STATE_FILE).write_bytes(saved_state)
        result = run(dict(self.params, roots=[str(where / "root")], state_dir=str(state), **dict(extra, full=True)),
                     now=now)
        assert result["incremental"] is False and result["rendered_devices"] == result["devices"]
        return {"root": where / "root", "state": state, "result": result}


@pytest.fixture
def fleet_site(tmp_path, monkeypatch):
    devices = fleet_devices()
    keys = deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS)
    params = dict(devices=devices, defaults=DEFAULTS, sites=SITES, models=MODEL_SETTINGS, keys=keys.keys)
    site = Site(tmp_path, params)
    first = site.run(1000)
    assert first["rendered_devices"] == 16 and first["incremental"] is False
    return site


@pytest.fixture
def reads(monkeypatch):
    """Counts the served files read (the plan's comparisons and the diff's)."""
    count = [0]
    original = _profile_writer._RootTree.read

    def counted(self, relpath):
        count[0] += 1
        return original(self, relpath)

    monkeypatch.setattr(_profile_writer._RootTree, "read", counted)
    return count


def test_a_rerun_without_change_renders_nothing_and_reads_no_served_file(fleet_site, reads, monkeypatch):
    rendered = []
    for renderer in VENDORS.values():
        original = renderer.render_device

        def counting(device, inventory, original=original):
            rendered.append(device.label)
            return original(device, inventory)

        monkeypatch.setattr(renderer, "render_device", counting)
    result = fleet_site.run(1000, check=False)
    assert (result["rendered_devices"], result["incremental"], result["changed"]) == (0, True, False)
    assert rendered == [] and reads[0] == 0
    assert result["files"] > 16 and result["unchanged"] == result["files"]


def test_one_changed_device_renders_exactly_it(fleet_site):
    fleet_site.params["devices"][3]["lines"][0]["display_name"] = "Moved desk"
    result = fleet_site.run(1000)
    assert result["rendered_devices"] == 1 and result["changed_devices"] == ["p03"]


def test_a_site_edit_renders_exactly_its_devices(fleet_site):
    fleet_site.params["sites"] = dict(SITES, berlin={"ntp_server": "ntp2.berlin.example.net"})
    result = fleet_site.run(1000)
    berlin = [device["name"] for device in fleet_site.params["devices"] if device.get("site") == "berlin"]
    assert result["rendered_devices"] == len(berlin) == 5
    assert set(result["changed_devices"]) <= set(berlin)


def test_a_model_entry_edit_renders_its_model_only(fleet_site):
    fleet_site.params["models"] = dict(MODEL_SETTINGS, **{"KX-UTG300": {"resync_interval": 30}})
    result = fleet_site.run(1000)
    assert result["rendered_devices"] == 2 and result["changed_devices"] == ["p03", "p11"]


def test_a_closed_window_promotes_the_devices_whose_served_files_change(fleet_site):
    # After the window: the carriers are dropped; Panasonic's replacement (after_window) is served only
    # now, so its devices are rendered for real; the others only lose a file.
    result = fleet_site.run(1000 + 2 * 86400)
    assert result["bootstrap"]["expired"]
    assert result["rendered_devices"] == 2
    again = fleet_site.run(1000 + 2 * 86400)
    assert again["rendered_devices"] == 0 and not again["changed"]


def test_fetch_evidence_closes_a_window_and_promotes_the_device(fleet_site):
    state = json.loads((fleet_site.state / BOOTSTRAP_STATE_FILE).read_text())
    mac = fleet_site.params["devices"][3]["mac"]
    result = fleet_site.run(1000, bootstrap_fetched={mac: [state["devices"][mac]["key_id"]]})
    assert result["bootstrap"]["closed"] == ["p03"] and result["rendered_devices"] == 1


def test_a_rotation_renders_the_rotating_device(fleet_site, monkeypatch):
    devices = fleet_site.params["devices"]
    mac = devices[0]["mac"]
    store = empty_store()
    deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS, store=store)
    # The window of the current keys must be closed first (fetched), else the rotation is held.
    state = json.loads((fleet_site.state / BOOTSTRAP_STATE_FILE).read_text())
    fetched = {mac: [state["devices"][mac]["key_id"]]}
    rotated = deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS, store=store, rotate=[mac],
                                 fetched=fetched, seed=1000)
    assert rotated.keys == fleet_site.params["keys"] and rotated.next_keys
    fleet_site.params["next_keys"] = rotated.next_keys
    result = fleet_site.run(1000, bootstrap_fetched=fetched)
    assert result["rotation"]["pending"] == ["p00"]
    assert result["rendered_devices"] == 1 and result["changed_devices"] == ["p00"]


def test_a_removed_device_is_pruned_without_rendering(fleet_site):
    removed = fleet_site.params["devices"].pop(5)
    result = fleet_site.run(1000)
    assert result["rendered_devices"] == 0 and result["pruned"] >= 1
    assert result["changed_devices"] == [removed["name"]]


def test_a_changed_served_file_promotes_its_device(fleet_site):
    victim = fleet_site.root / "Config0080F0000004.cfg"
    victim.write_bytes(b"tampered")
    result = fleet_site.run(1000)
    assert result["rendered_devices"] == 1 and result["changed_devices"] == ["p03"]


def test_warnings_of_devices_not_validated_are_replayed(fleet_site):
    first = fleet_site.run(1000)
    assert first["rendered_devices"] == 0
    assert any("snom device(s) do not get settings.timezone" in warning for warning in first["warnings"])


@pytest.mark.parametrize("damage", [
    b"{not json",
    json.dumps({"format": "sipfleet-render-cache", "version": 1, "fingerprint_version": 1, "devices": [
        ["p00", "0" * 64, "0" * 64, "000b82000001", "grandstream",
         [["../etc/passwd", "profile", 0, "0" * 64, 1, None, ["plain"], None]], []]]}).encode(),
    json.dumps({"format": "sipfleet-render-cache", "version": 1, "fingerprint_version": 1, "devices": [
        ["p00", "0" * 64, "0" * 64, "000b82000001", "grandstream",
         [["a.cfg", "profile", 0, "not-a-sha", 1, None, ["plain"], None]], []]]}).encode(),
    json.dumps({"format": "sipfleet-render-cache", "version": 1, "fingerprint_version": 1, "devices": [
        ["p00", "0" * 64, "0" * 64, "000b82000001", "grandstream",
         [["a.cfg", "keys", 0, "0" * 64, 1, None, ["plain"], None]], []]]}).encode(),
    json.dumps({"format": "sipfleet-render-cache", "version": 1, "fingerprint_version": 1,
                "devices": [["p00", "0" * 64]]}).encode(),
])
def test_a_damaged_cache_is_a_warning_and_a_full_render(fleet_site, damage):
    cache = fleet_site.state / _incremental.CACHE_FILE
    cache.write_bytes(damage)
    result = fleet_site.run(1000, check=False)
    assert result["rendered_devices"] == 16 and result["incremental"] is False and not result["changed"]
    assert result["warnings"][0].startswith("render cache %s " % cache)
    rest = fleet_site.run(1000)
    assert rest["rendered_devices"] == 0 and result["warnings"][1:] == rest["warnings"]


def test_a_cache_that_lies_is_caught_by_the_manifest(fleet_site):
    """A cache whose sha256 disagrees with the manifest cannot make a file count as served: the device renders."""
    cache = fleet_site.state / _incremental.CACHE_FILE
    data = json.loads(cache.read_text())
    data["devices"][2][_incremental.FILES][0][_incremental.F_SHA256] = "f" * 64
    cache.write_text(json.dumps(data))
    result = fleet_site.run(1000)
    assert result["rendered_devices"] == 1 and not result["changed"]


def test_a_cache_record_that_lost_a_file_does_not_prune_it(fleet_site):
    """The manifest, not the cache, decides pruning: a clean device whose record lacks a served file is rendered."""
    cache = fleet_site.state / _incremental.CACHE_FILE
    data = json.loads(cache.read_text())
    lost = data["devices"][0][_incremental.FILES].pop()[_incremental.F_PATH]
    cache.write_text(json.dumps(data))
    result = fleet_site.run(1000)
    assert (fleet_site.root / lost).is_file()
    assert result["rendered_devices"] == 1 and result["pruned"] == 0 and not result["changed"]
    # The record saved is the device's real one again.
    assert fleet_site.run(1000)["rendered_devices"] == 0
    saved = json.loads(cache.read_text())["devices"][0][_incremental.FILES]
    assert lost in [item[_incremental.F_PATH] for item in saved]


def test_a_path_in_two_device_records_is_a_damaged_cache(fleet_site):
    cache = fleet_site.state / _incremental.CACHE_FILE
    data = json.loads(cache.read_text())
    data["devices"][0][_incremental.FILES].append(list(data["devices"][1][_incremental.FILES][0]))
    cache.write_text(json.dumps(data))
    result = fleet_site.run(1000, check=False)
    assert result["incremental"] is False and result["rendered_devices"] == 16 and not result["changed"]
    assert result["warnings"][0].startswith("render cache %s was altered" % cache)


def test_a_cross_device_error_seen_with_cached_records_is_retried_as_a_full_render(fleet_site):
    """A record naming a shared file's path: "written twice" only if a render of every device says so too."""
    cache = fleet_site.state / _incremental.CACHE_FILE
    data = json.loads(cache.read_text())
    owned = set(item[_incremental.F_PATH] for record in data["devices"] for item in record[_incremental.FILES])
    shared = sorted(set(tree(fleet_site.root)) - owned)[0]
    stolen = list(data["devices"][0][_incremental.FILES][0])
    stolen[_incremental.F_PATH] = shared
    data["devices"][0][_incremental.FILES].append(stolen)
    cache.write_text(json.dumps(data))
    result = fleet_site.run(1000)
    assert result["rendered_devices"] == 16 and not result["changed"]
    assert fleet_site.run(1000)["rendered_devices"] == 0


def test_full_renders_every_device(fleet_site):
    result = fleet_site.run(1000, check=False, full=True)
    assert (result["rendered_devices"], result["incremental"], result["changed"]) == (16, False, False)


def test_the_cache_is_private_and_written_outside_check_mode_only(fleet_site):
    cache = fleet_site.state / _incremental.CACHE_FILE
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    data = json.loads(cache.read_text())
    assert (data["format"], data["version"], len(data["devices"])) == ("sipfleet-render-cache", 1, 16)
    # No password, no key: only hashes and the paths the manifest lists too (Cisco's GPP_B directory
    # is a key; it names the directory served, as the manifest does).
    paths = set(item[0] for record in data["devices"] for item in record[_incremental.FILES])
    for record in data["devices"]:
        record[_incremental.FILES] = [item[1:] for item in record[_incremental.FILES]]
    text = json.dumps(data)
    manifest = next(path for path in fleet_site.state.iterdir() if path.name.startswith("manifest-"))
    assert paths <= set(json.loads(manifest.read_text())["files"])
    for device in fleet_site.params["devices"]:
        assert device["lines"][0]["password"] not in text
    for keys in fleet_site.params["keys"].values():
        for value in keys.values():
            assert value not in text
    before = cache.read_bytes()
    fleet_site.params["devices"][0]["lines"][0]["display_name"] = "Check mode"
    result = run(dict(fleet_site.params, roots=[str(fleet_site.root)], state_dir=str(fleet_site.state)), now=1000,
                 check_mode=True)
    assert result["changed_devices"] == ["p00"] and cache.read_bytes() == before


def test_the_manifest_keeps_version_2(fleet_site):
    manifests = [path for path in fleet_site.state.iterdir() if path.name.startswith("manifest-")]
    assert manifests and all(json.loads(path.read_text())["version"] == 2 for path in manifests)


def test_diff_of_an_incremental_run(fleet_site):
    fleet_site.params["devices"][6]["lines"][0]["display_name"] = "Diff desk"
    result = run(dict(fleet_site.params, roots=[str(fleet_site.root)], state_dir=str(fleet_site.state)), now=1000,
                 want_diff=True)
    assert result["rendered_devices"] == 1
    assert len(result["diff"]) == 1 and "Diff desk" in result["diff"][0]["after"]


def yealink_devices():
    return [{"name": "y1", "mac": "805ec0000101", "model": "T53", "lines": [{"extension": "301", "password": "Pw-301"}]},
            {"name": "y2", "mac": "805ec0000102", "model": "T53W", "lines": [{"extension": "302", "password": "Pw-302"}]}]


@pytest.mark.parametrize("edited", ["T53", "T53W"])
def test_a_common_file_conflict_between_a_changed_and_an_unchanged_model_is_refused(tmp_path, edited):
    """T53 and T53W share y000000000095.cfg: a model entry edit of one must still be compared with the other."""
    models = {"T53": {"ntp_server": "ntp.a"}, "T53W": {"ntp_server": "ntp.a"}}
    defaults = dict(DEFAULTS, encrypt_profiles=False, provisioning_url="https://prov.example.net/y")
    params = dict(devices=yealink_devices(), defaults=defaults, models=models, roots=[str(tmp_path / "root")],
                  state_dir=str(tmp_path / "state"))
    run(params, now=1000)
    params["models"] = dict(models, **{edited: {"ntp_server": "ntp.b"}})
    with pytest.raises(ProvisioningError, match="share the common file y000000000095.cfg"):
        run(params, now=1000)
    with pytest.raises(ProvisioningError, match="share the common file y000000000095.cfg"):
        run(dict(params, full=True), now=1000)


@pytest.mark.parametrize("edited", ["T53", "T53W"])
def test_a_common_file_conflict_is_the_full_run_s_error_in_an_incremental_run(tmp_path, edited):
    """Same device, field and order as a full run, collected with the data model's errors."""
    models = {"T53": {"ntp_server": "ntp.a"}, "T53W": {"ntp_server": "ntp.a"}}
    defaults = dict(DEFAULTS, encrypt_profiles=False, provisioning_url="https://prov.example.net/y")
    devices = yealink_devices() + [dict(yealink_devices()[1], name="y3", mac="805ec0000103")]
    params = dict(devices=devices, defaults=defaults, models=models, roots=[str(tmp_path / "root")],
                  state_dir=str(tmp_path / "state"))
    run(params, now=1000)
    params["models"] = dict(models, **{edited: {"ntp_server": "ntp.b"}})
    # A data model error of an unchanged device: reported with the vendors' errors, in one list.
    params["devices"] = devices + [dict(yealink_devices()[1], name="y4", mac="805ec0000104",
                                        lines=[{"extension": "", "password": "x"}])]
    messages = []
    for full in (False, True):
        with pytest.raises(ProvisioningError) as raised:
            run(dict(params, full=full), now=1000)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "device y2, field sipfleet_models.T53W" in messages[1] and "device y3" in messages[1]
    assert "device y4, field lines[0].extension" in messages[1]


def test_other_shards_lines_and_contacts_render_only_the_phonebooks(tmp_path, monkeypatch):
    """On a shard host the other shards' lines (and the contacts) feed only phonebooks, rendered every run."""
    devices = fleet_devices(8)
    keys = deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS)
    directory = {"fleet": True, "contacts": [{"name": "Front desk", "numbers": ["100"]}]}
    params = dict(devices=devices, defaults=DEFAULTS, sites=SITES, models=MODEL_SETTINGS, keys=keys.keys,
                  directory=directory, other_lines=[["other-1", 0, "Other desk", "900", "paris"]],
                  roots=[str(tmp_path / "root")], state_dir=str(tmp_path / "state"))
    run(dict(params), now=1000)
    params["other_lines"] = [["other-1", 0, "Renamed desk", "900", "paris"]]
    params["directory"] = dict(directory, contacts=[{"name": "Reception", "numbers": ["101"]}])
    result = run(dict(params), now=1000)
    assert result["incremental"] is True and result["rendered_devices"] == 0
    assert result["changed"] and result["changed_devices"] == []
    full = run(dict(params, roots=[str(tmp_path / "full")], state_dir=str(tmp_path / "full-state"), full=True), now=1000)
    assert tree(tmp_path / "root") == tree(tmp_path / "full") and full["changed_shared_files"]


def test_a_cache_that_cannot_be_written_is_a_warning_not_a_failed_run(fleet_site, monkeypatch):
    """The files are written when the advisory cache is: ENOSPC there must not fail the run."""
    cache = fleet_site.state / _incremental.CACHE_FILE
    fleet_site.params["devices"][3]["lines"][0]["display_name"] = "Full disk desk"

    def no_space(path, data, mode=0o600):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(_incremental, "_write_json_atomic", no_space)
    result = fleet_site.run(1000, check=False)
    assert result["changed_devices"] == ["p03"]
    assert result["warnings"][-1].startswith("render cache %s could not be written" % cache)
    # The stale cache is gone: the next run renders every device, and serves what a full run does.
    assert not cache.exists()
    monkeypatch.undo()
    again = fleet_site.run(1000, check=False)
    assert again["incremental"] is False and again["rendered_devices"] == 16 and not again["changed"]


def test_a_cache_path_that_is_a_directory_does_not_fail_the_run(tmp_path, monkeypatch):
    devices = fleet_devices(4)
    keys = deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / _incremental.CACHE_FILE).mkdir()
    params = dict(devices=devices, defaults=DEFAULTS, sites=SITES, models=MODEL_SETTINGS, keys=keys.keys)
    result = run(dict(params, roots=[str(tmp_path / "root")], state_dir=str(state)), now=1000)
    assert any(warning.startswith("render cache %s could not be written" % (state / _incremental.CACHE_FILE))
               for warning in result["warnings"])
    run(dict(params, roots=[str(tmp_path / "full")], state_dir=str(tmp_path / "full-state"), full=True), now=1000)
    assert tree(tmp_path / "root") == tree(tmp_path / "full")


@pytest.mark.parametrize("full", [False, True])
def test_a_key_of_another_type_is_the_data_model_s_error_not_a_fingerprint_crash(tmp_path, full):
    devices = [{"name": "g1", "mac": "000b82000001", "model": "GXP2170", "params": {"P30": "ntp.x", 1234: "y"},
                "lines": [{"extension": "101", "password": "Pw-00000101"}]}]
    with pytest.raises(ProvisioningError, match="device g1, field params.1234: "):
        run(dict(devices=devices, defaults=DEFAULTS, roots=[str(tmp_path / "root")], state_dir=str(tmp_path / "state"),
                 full=full), now=1000)


@pytest.mark.parametrize("names", [
    # Cut at 80 characters, both names give one label.
    ["hq-building-7-floor-3-conference-room-east-wing-near-the-elevators-desk-phone-num-%d" % index
     for index in (1, 2)] + ["p3"],
    # A name that is another device's MAC as written (its label).
    ["0004f2000002", None, "p3"],
])
def test_devices_sharing_a_label_keep_the_cache_usable(tmp_path, monkeypatch, names):
    """The cache is keyed by MAC: a label two devices share does not make it damaged at every run."""
    devices = [{"mac": "0004f200000%d" % (index + 1), "model": "VVX410",
                "lines": [{"extension": "10%d" % index, "password": "Pw-0000010%d" % index}]}
               for index in range(3)]
    for device, name in zip(devices, names):
        if name is not None:
            device["name"] = name
    defaults = dict(DEFAULTS, encrypt_profiles=False, provisioning_url="https://prov.example.net/p")
    keys = deterministic_keys(monkeypatch, devices, defaults)
    params = dict(devices=devices, defaults=defaults, keys=keys.keys, roots=[str(tmp_path / "root")],
                  state_dir=str(tmp_path / "state"))
    run(dict(params), now=1000)
    devices[2]["lines"][0]["display_name"] = "Renamed"
    result = run(dict(params), now=1000)
    assert result["incremental"] is True and not [line for line in result["warnings"] if "render cache" in line]
    # The two devices of one label have no record (their files name them by label): rendered; the third once.
    assert result["rendered_devices"] == 3
    again = run(dict(params), now=1000)
    assert again["incremental"] is True and again["rendered_devices"] == 2 and not again["changed"]
    run(dict(params, roots=[str(tmp_path / "full")], state_dir=str(tmp_path / "full-state"), full=True), now=1000)
    assert tree(tmp_path / "root") == tree(tmp_path / "full")


def test_full_must_be_a_boolean(tmp_path):
    with pytest.raises(ProvisioningError, match="field full"):
        run(dict(devices=[], roots=[str(tmp_path)], state_dir=str(tmp_path / "s"), full="yes"), now=1)


@pytest.mark.parametrize("model, prefix, encrypt", [("VVX410", "0004f2", False), ("KX-UTG300", "0080f0", True)])
def test_a_tzdata_update_of_the_defaults_zone_renders_the_devices_of_other_zones(tmp_path, monkeypatch, model, prefix,
                                                                                 encrypt):
    """Poly files are diffs against the defaults' zone; Panasonic's compare with it: a device of another zone too."""
    real = Path("/usr/share/zoneinfo")
    if not all((real / name).is_file() for name in ("Europe/Berlin", "Europe/Paris", "America/New_York")):
        pytest.skip("no system tzdata")
    zones = tmp_path / "zoneinfo"
    (zones / "Europe").mkdir(parents=True)
    for name in ("Europe/Berlin", "Europe/Paris"):
        (zones / name).write_bytes((real / name).read_bytes())
    monkeypatch.setattr(_timezone, "zone_search_path", lambda: (str(zones),))
    monkeypatch.setattr(_timezone, "_tzdata_package_dir", lambda: None)
    monkeypatch.setattr(_timezone, "_ZONE_CACHE", {})
    monkeypatch.setattr(_timezone, "_PARSED_CACHE", {})
    defaults = dict(DEFAULTS, timezone="Europe/Berlin", encrypt_profiles=encrypt,
                    provisioning_url="https://prov.example.net/p" if not encrypt else "http://prov.example.net/p")
    devices = [{"name": "z1", "mac": prefix + "000001", "model": model, "settings": {"timezone": "Europe/Paris"},
                "lines": [{"extension": "101", "password": "Pw-00000101"}]},
               {"name": "z2", "mac": prefix + "000002", "model": model,
                "lines": [{"extension": "102", "password": "Pw-00000102"}]}]
    keys = deterministic_keys(monkeypatch, devices, defaults)
    params = dict(devices=devices, defaults=defaults, keys=keys.keys)
    incremental = dict(params, roots=[str(tmp_path / "root")], state_dir=str(tmp_path / "state"))
    run(dict(incremental), now=1000)
    # A tzdata update changes the defaults' zone (Berlin now has New York's rules).
    (zones / "Europe/Berlin").write_bytes((real / "America/New_York").read_bytes())
    monkeypatch.setattr(_timezone, "_ZONE_CACHE", {})
    monkeypatch.setattr(_timezone, "_PARSED_CACHE", {})
    result = run(dict(incremental), now=1000)
    assert result["incremental"] is True and result["rendered_devices"] == 2
    run(dict(params, roots=[str(tmp_path / "full")], state_dir=str(tmp_path / "full-state"), full=True), now=1000)
    assert tree(tmp_path / "root") == tree(tmp_path / "full")
