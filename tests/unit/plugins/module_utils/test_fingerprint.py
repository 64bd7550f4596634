# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The device fingerprint: every input changes it, an irrelevant change does not; code digests from files and zips."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _fingerprint, _timezone
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fingerprint import (
    FleetContext,
    code_digests,
    device_fingerprint,
    render_fingerprint,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS

#: The collection as imported (not resolved: a checkout is often linked into an ansible_collections tree).
MODULE_UTILS = Path(os.path.abspath(_fingerprint.__file__)).parent
COLLECTIONS_PATH = MODULE_UTILS.parents[4]

RAW = {"name": "desk", "mac": "0080f0000001", "model": "KX-UTG300", "site": "berlin",
       "lines": [{"extension": "201", "password": "pw-201", "display_name": "Desk"}],
       "params": {"X": "1"}, "settings": {"language": "de"}}
INPUTS = {
    "defaults": {"sip_server": "pbx.example.net", "language": "en", "timezone": "Europe/Berlin"},
    "sites": {"berlin": {"ntp_server": "ntp.berlin"}, "paris": {"ntp_server": "ntp.paris"}},
    "models": {"KX-UTG300": {"resync_interval": 60}, "KX-UTG200": {"resync_interval": 30}},
    "directory": {"fleet": True, "contacts": [{"name": "Front", "numbers": ["100"]}]},
    "code": {"panasonic": "a" * 64, "grandstream": "b" * 64, "generic": "c" * 64},
    "options": {"strict": False, "http_credentials_enforced": False},
}
KEYS = {"panasonic_key": "00" * 16}


_DEFAULT_KEYS = object()


def fingerprint(raw=None, keys=_DEFAULT_KEYS, **changes):
    # None is a case of its own (no keys): a sentinel stands for KEYS.
    keys = KEYS if keys is _DEFAULT_KEYS else keys
    inputs = copy.deepcopy(INPUTS)
    inputs.update(changes)
    ctx = FleetContext(inputs["defaults"], inputs["sites"], inputs["models"], inputs["directory"], inputs["code"],
                       inputs["options"])
    return device_fingerprint(RAW if raw is None else raw, "panasonic", keys, ctx)


def changed(path, value):
    """``RAW`` with the field at ``path`` (a tuple of keys) set to ``value``."""
    raw = copy.deepcopy(RAW)
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


def with_(name, path, value):
    inputs = copy.deepcopy(INPUTS[name])
    target = inputs
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return {name: inputs}


RELEVANT = [
    ("mac", dict(raw=changed(("mac",), "0080f0000002"))),
    ("name", dict(raw=changed(("name",), "desk-2"))),
    ("model", dict(raw=changed(("model",), "KX-UTG200"))),
    ("site", dict(raw=changed(("site",), "paris"))),
    ("line extension", dict(raw=changed(("lines", 0, "extension"), "202"))),
    ("display name", dict(raw=changed(("lines", 0, "display_name"), "Desk & Co"))),
    ("line added", dict(raw=changed(("lines",), RAW["lines"] + [{"extension": "203"}]))),
    ("raw params", dict(raw=changed(("params", "X"), "2"))),
    ("own setting", dict(raw=changed(("settings", "language"), "fr"))),
    ("own setting removed", dict(raw=changed(("settings",), {}))),
    ("defaults setting", with_("defaults", ("sip_server",), "pbx2.example.net")),
    ("defaults setting added", with_("defaults", ("vlan_id",), 20)),
    ("own site's setting", with_("sites", ("berlin", "ntp_server"), "ntp2.berlin")),
    ("own model's entry", with_("models", ("KX-UTG300", "resync_interval"), 90)),
    ("own model's entry, another spelling", with_("models", ("kx-utg300",), {"language": "fr"})),
    ("directory removed", {"directory": None}),
    ("directory per site", with_("directory", ("per_site",), True)),
    ("family code", with_("code", ("panasonic",), "d" * 64)),
    ("generic code", with_("code", ("generic",), "e" * 64)),
    ("strict", with_("options", ("strict",), True)),
    ("http credentials enforced", with_("options", ("http_credentials_enforced",), True)),
    ("keys", dict(keys={"panasonic_key": "11" * 16})),
    ("no keys", dict(keys=None)),
]

IRRELEVANT = [
    ("another site's setting", with_("sites", ("paris", "ntp_server"), "ntp2.paris")),
    ("another site added", with_("sites", ("rome",), {"language": "it"})),
    ("another model's entry", with_("models", ("KX-UTG200", "resync_interval"), 45)),
    ("a directory contact", with_("directory", ("contacts", 0, "name"), "Back")),
    ("another family's code", with_("code", ("grandstream",), "f" * 64)),
]


@pytest.mark.parametrize("what, change", RELEVANT, ids=[row[0] for row in RELEVANT])
def test_each_input_changes_the_fingerprint(what, change):
    assert fingerprint(**change) != fingerprint(), what


@pytest.mark.parametrize("what, change", IRRELEVANT, ids=[row[0] for row in IRRELEVANT])
def test_an_irrelevant_change_keeps_the_fingerprint(what, change):
    assert fingerprint(**change) == fingerprint(), what


def test_the_fingerprint_is_stable_and_ignores_key_order():
    reordered = dict(reversed(list(copy.deepcopy(RAW).items())))
    assert fingerprint(raw=reordered) == fingerprint() == fingerprint()


def test_render_fingerprint_covers_the_keys_rendered_with_and_the_successor():
    base = render_fingerprint("a" * 64, KEYS, None)
    assert render_fingerprint("b" * 64, KEYS, None) != base
    assert render_fingerprint("a" * 64, {"panasonic_key": "22" * 16}, None) != base
    rotating = render_fingerprint("a" * 64, KEYS, {"panasonic_key": "33" * 16})
    assert rotating != base
    assert render_fingerprint("a" * 64, KEYS, {"panasonic_key": "44" * 16}) != rotating


def _copy_zone(tzdir, name, source):
    target = tzdir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def test_zone_data_is_an_input(tmp_path, monkeypatch):
    """A tzdata update (another TZif for the same name) changes the devices that name that zone, and only them.

    A device of another zone still depends on the zone of its defaults (and
    model, site): Poly's and Panasonic's files are built against those.
    """
    real = Path("/usr/share/zoneinfo")
    if not (real / "Europe/Berlin").is_file() or not (real / "Asia/Tokyo").is_file():
        pytest.skip("no system tzdata")
    tzdir = tmp_path / "zoneinfo"
    _copy_zone(tzdir, "Europe/Berlin", real / "Europe/Berlin")
    _copy_zone(tzdir, "Europe/Paris", real / "Europe/Paris")
    monkeypatch.setattr(_timezone, "zone_search_path", lambda: (str(tzdir),))
    monkeypatch.setattr(_timezone, "_tzdata_package_dir", lambda: None)
    monkeypatch.setattr(_timezone, "_ZONE_CACHE", {})
    berlin = fingerprint()
    paris = fingerprint(raw=changed(("settings", "timezone"), "Europe/Paris"))
    assert paris != berlin
    no_zone_defaults = dict(INPUTS["defaults"], timezone="CET-1CEST,M3.5.0,M10.5.0/3")
    only_paris = fingerprint(raw=changed(("settings", "timezone"), "Europe/Paris"), defaults=no_zone_defaults)
    # Berlin's data replaced by Tokyo's: the devices naming Berlin at any level
    # change (a Paris device whose defaults name Berlin too), the others do not.
    _copy_zone(tzdir, "Europe/Berlin", real / "Asia/Tokyo")
    monkeypatch.setattr(_timezone, "_ZONE_CACHE", {})
    assert fingerprint() != berlin
    assert fingerprint(raw=changed(("settings", "timezone"), "Europe/Paris")) != paris
    assert fingerprint(raw=changed(("settings", "timezone"), "Europe/Paris"), defaults=no_zone_defaults) == only_paris


def test_a_zone_that_cannot_be_read_does_not_look_clean(monkeypatch, tmp_path):
    monkeypatch.setattr(_timezone, "zone_search_path", lambda: (str(tmp_path),))
    monkeypatch.setattr(_timezone, "_tzdata_package_dir", lambda: None)
    monkeypatch.setattr(_timezone, "_ZONE_CACHE", {})
    assert _fingerprint.zone_digest("Europe/Berlin") not in (None, _fingerprint.zone_digest("Europe/Paris"))


def test_code_digests_per_family_and_generic():
    digests = code_digests(families=VENDORS)
    assert set(VENDORS) | {"generic"} <= set(digests)
    assert len(set(digests[name] for name in VENDORS)) == len(VENDORS)
    assert code_digests(families=VENDORS) == digests


class _Unreadable:
    class __loader__:   # noqa: N801 - a loader stand-in
        @staticmethod
        def get_source(name):
            raise OSError("gone")


def test_unreadable_source_gives_a_nonce_so_everything_renders():
    prefix = "ansible_collections.sipfleet.provisioning.plugins.module_utils."
    modules = dict((name, module) for name, module in sys.modules.items() if name.startswith(prefix))
    modules[prefix + "_vendors.fanvil.lost"] = _Unreadable()
    first, second = code_digests(modules, VENDORS), code_digests(modules, VENDORS)
    assert first["fanvil"].startswith("nonce-") and first["fanvil"] != second["fanvil"]
    assert first["generic"] == second["generic"] == code_digests(families=VENDORS)["generic"]
    modules[prefix + "_lost"] = _Unreadable()
    assert code_digests(modules, VENDORS)["generic"].startswith("nonce-")


_PROBE = """
import json, sys
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _phone_profiles
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fingerprint import code_digests
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS
print(json.dumps([code_digests(families=VENDORS), _phone_profiles.__loader__.__class__.__name__]))
"""


def _zip_module_utils(target, patch=None):
    """A zip of the collection's module_utils as AnsiballZ ships them, optionally with one file changed."""
    base = MODULE_UTILS
    with zipfile.ZipFile(target, "w") as archive:
        for package in ("ansible_collections", "ansible_collections/sipfleet", "ansible_collections/sipfleet/provisioning",
                        "ansible_collections/sipfleet/provisioning/plugins",
                        "ansible_collections/sipfleet/provisioning/plugins/module_utils"):
            archive.writestr(package + "/__init__.py", "")
        for path in sorted(base.rglob("*.py")):
            data = path.read_bytes()
            relative = path.relative_to(base).as_posix()
            if patch is not None and relative == patch:
                data += b"\n# changed\n"
            archive.writestr("ansible_collections/sipfleet/provisioning/plugins/module_utils/" + relative, data)


def _probe(path_entry):
    env = dict(os.environ, PYTHONPATH=str(path_entry))
    output = subprocess.run([sys.executable, "-c", _PROBE], env=env, check=True, capture_output=True, text=True,
                            cwd="/").stdout
    return json.loads(output)


def test_code_digest_is_read_from_a_zip_import_as_from_files(tmp_path):
    archive = tmp_path / "module_utils.zip"
    _zip_module_utils(archive)
    from_zip, loader = _probe(archive)
    assert loader == "zipimporter"
    assert not any(value.startswith("nonce-") for value in from_zip.values())
    from_files, loader = _probe(COLLECTIONS_PATH)
    assert loader != "zipimporter"
    assert from_zip == from_files
    changed_zip = tmp_path / "changed.zip"
    _zip_module_utils(changed_zip, patch="_vendors/fanvil/renderer.py")
    changed_digests = _probe(changed_zip)[0]
    assert [name for name in from_zip if from_zip[name] != changed_digests[name]] == ["fanvil"]


def test_an_input_json_cannot_sort_gives_no_fingerprint():
    """Keys of mixed types: no fingerprint (the device is validated and rendered), not a TypeError."""
    assert fingerprint(raw=changed(("params", 1234), "y")) is None
    assert fingerprint(defaults=dict(INPUTS["defaults"], **{"x": 1}), raw=None) is not None
    mixed = dict(INPUTS["defaults"])
    mixed[1] = "y"
    assert fingerprint(defaults=mixed) is None
    assert fingerprint(models={"KX-UTG300": {1: "a", "b": "c"}}) is None
