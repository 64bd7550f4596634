# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The render cache file and its stubs: round trip, validation, and a root's plan made from stubs."""

from __future__ import annotations

import json
import stat

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _incremental, _profile_writer
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    FilePolicy,
    apply_plans,
    manifest_path_for,
    plan_root,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import CachedFile, ProfileFile

DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "encrypt_profiles": True}
DEVICES = [
    {"name": "pana", "mac": "0080f0000001", "model": "KX-UTG300", "lines": [{"extension": "201", "password": "Pw-201x"}],
     "keys": {"cfg_file_key": "11" * 16}},
    {"name": "spa", "mac": "88012b000001", "model": "SPA2102", "lines": [{"extension": "202", "password": "Pw-202x"}],
     "keys": {"gpp_a": "22" * 32, "gpp_b": "33" * 16}},
]

PANA, SPA = "0080f0000001", "88012b000001"


def rendered():
    inventory, fleet = load_fleet(DEVICES, DEFAULTS)
    return inventory, fleet, render_fleet(inventory, fleet, keep_plaintext=False)


def fingerprints(fleet):
    return dict((device.mac, ("a" * 64, "b" * 64)) for device in fleet)


def test_round_trip_gives_stubs_with_the_files_metadata(tmp_path):
    inventory, fleet, files = rendered()
    _incremental.save_cache(str(tmp_path), fleet, files, fingerprints(fleet), {"pana": [["panasonic", "f", "r"]]})
    assert stat.S_IMODE((tmp_path / "render-cache.json").stat().st_mode) == 0o600
    cache, warning = _incremental.load_cache(str(tmp_path))
    assert warning is None and sorted(cache) == [PANA, SPA]
    assert cache[PANA][_incremental.DROPPED] == [["panasonic", "f", "r"]]
    for mac in cache:
        real = [item for item in files if item.device == cache[mac][_incremental.LABEL]]
        stubs = _incremental.stubs(cache[mac])
        assert len(stubs) == len(real) > 1
        for stub, item in zip(stubs, real):
            assert isinstance(stub, CachedFile) and stub.content is None
            assert (stub.path, stub.sha256, stub.size, stub.tag, stub.role, stub.secret, stub.after_window,
                    stub.delivers_keys, stub.device) == (
                item.path, item.sha256, item.size, item.tag, item.role, item.secret, item.after_window,
                item.delivers_keys, item.device)
    assert any(stub.after_window for stub in _incremental.stubs(cache[PANA]))


def test_profile_file_sha256_follows_its_content():
    item = ProfileFile("a.cfg", b"one")
    first = item.sha256
    item.content = b"two"
    assert item.sha256 != first and item.size == 3


def test_no_cache_is_no_warning(tmp_path):
    assert _incremental.load_cache(str(tmp_path)) == (None, None)


def _saved(tmp_path):
    inventory, fleet, files = rendered()
    _incremental.save_cache(str(tmp_path), fleet, files, fingerprints(fleet), {})
    return json.loads((tmp_path / "render-cache.json").read_text())


@pytest.mark.parametrize("damage", [
    lambda data: data.update(version=2),
    lambda data: data.update(devices={}),
    lambda data: data["devices"][0].__setitem__(_incremental.FP, "xyz"),
    lambda data: data["devices"][0].__setitem__(_incremental.MAC, "00:80:f0:00:00:01"),
    lambda data: data["devices"].append(list(data["devices"][0])),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(0, "/etc/passwd"),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(0, "a/../b"),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(1, "secret"),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(2, 8),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(3, "A" * 64),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(4, -1),
    lambda data: data["devices"][0][_incremental.FILES][0].__setitem__(6, ["rot13"]),
    lambda data: data["devices"][0][_incremental.DROPPED].append(["only", "two"]),
])
def test_an_altered_cache_is_dropped_with_a_warning(tmp_path, damage):
    data = _saved(tmp_path)
    damage(data)
    (tmp_path / "render-cache.json").write_text(json.dumps(data))
    cache, warning = _incremental.load_cache(str(tmp_path))
    assert cache is None and "was altered" in warning


def test_another_fingerprint_version_is_a_silent_full_render(tmp_path):
    data = _saved(tmp_path)
    data["fingerprint_version"] += 1
    (tmp_path / "render-cache.json").write_text(json.dumps(data))
    assert _incremental.load_cache(str(tmp_path)) == (None, None)


def test_a_plan_from_stubs_equals_the_plan_from_the_files_and_reads_nothing(tmp_path, monkeypatch):
    inventory, fleet, files = rendered()
    served = [item for item in files if not item.after_window]
    root, state = str(tmp_path / "root"), str(tmp_path / "state")
    policy = FilePolicy()
    plan = plan_root(root, served, manifest_path_for(state, root), policy)
    apply_plans([plan], policy, state)
    plan.close()
    _incremental.save_cache(state, fleet, served, fingerprints(fleet), {})
    cache, _warning = _incremental.load_cache(state)
    stubs = [stub for mac in (PANA, SPA) for stub in _incremental.stubs(cache[mac])]
    stubs += [item for item in served if item.device is None]
    monkeypatch.setattr(_profile_writer._RootTree, "read", lambda self, relpath: pytest.fail("read %s" % relpath))
    real_plan = plan_root(root, served, manifest_path_for(state, root), policy)
    stub_plan = plan_root(root, stubs, manifest_path_for(state, root), policy)
    assert real_plan.changes == stub_plan.changes == []
    assert real_plan.entries == stub_plan.entries and stub_plan.unchanged == len(served)
    # A stub the disk no longer vouches for is a change (its device is then rendered), never read.
    (tmp_path / "root" / "Config0080F0000001.cfg").write_bytes(b"changed")
    changed = plan_root(root, stubs, manifest_path_for(state, root), policy)
    assert [(change.path, change.action, change.new.content) for change in changed.changes] == [
        ("Config0080F0000001.cfg", "update", None)]
