# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A rerun's shortcuts: its checks of the manifests and the render cache refuse what they refused before they were
memoised; the cyclic collector, paused during a run, is given back and has nothing left to collect."""

from __future__ import annotations

import collections
import copy
import gc
import itertools
import json
import posixpath

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _incremental
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    WriterError,
    is_relative_path,
    load_manifest,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_incremental import (
    DEFAULTS,
    MODEL_SETTINGS,
    SITES,
    deterministic_keys,
    fleet_devices,
)

SHA = "ab" * 32


def normalised_relative(path):
    """The definition: relative, its own normpath, no empty, ``.`` or ``..`` part, no NUL."""
    return (isinstance(path, str) and path != "" and not path.startswith("/") and "\x00" not in path
            and posixpath.normpath(path) == path
            and all(part not in ("", ".", "..") for part in path.split("/")))


def test_is_relative_path_is_the_definition():
    pieces = ["a", "b.cfg", ".", "..", "...", ".a", "/", "//", "\x00", "\n", " ", "\u00e9"]
    checked = 0
    for length in range(5):
        for combo in itertools.product(pieces, repeat=length):
            path = "".join(combo)
            assert is_relative_path(path) == normalised_relative(path), repr(path)
            checked += 1
    assert checked > 20000
    for value in (None, 7, b"a.cfg", ["a.cfg"]):
        assert not is_relative_path(value)


def cache_with(files):
    return {"format": _incremental.CACHE_FORMAT, "version": _incremental.CACHE_VERSION, "fingerprint_version": 1,
            "devices": [["d%d" % index, SHA, SHA, "000b8200000%d" % index, "grandstream", [item], []]
                        for index, item in enumerate(files)]}


GOOD_FILE = ["cfg000b82000000.xml", "profile", 1, SHA, 10, "xml", ["openssl-aes-256-cbc"], "md5"]


@pytest.mark.parametrize("second, problem", [
    # Equal to 1 as a key, but a bool is no flags.
    ([GOOD_FILE[0] + "x", "profile", True] + GOOD_FILE[3:], "bad flags"),
    ([GOOD_FILE[0] + "x", "profile", 1, SHA, 10, "xml", ["openssl-aes-256-cbc"], None], "needs a digest"),
    ([GOOD_FILE[0] + "x", "profile", 1, SHA, 10, ["xml"], ["openssl-aes-256-cbc"], "md5"], "bad"),
    ([GOOD_FILE[0] + "x", "keys", 1, SHA, 10, "xml", ["openssl-aes-256-cbc"], "md5"], "unknown role"),
    (["../" + GOOD_FILE[0]] + GOOD_FILE[1:], "not a relative path"),
    ([GOOD_FILE[0] + "x", "profile", 1, "f" * 63] + GOOD_FILE[4:], "sha256 is not hex"),
    ([GOOD_FILE[0] + "x", "profile", 1, SHA, -1] + GOOD_FILE[5:], "bad size"),
])
def test_a_cache_file_like_a_good_one_is_still_checked(second, problem):
    # Two devices never list one path (the cache refuses that too): the good twin has its own.
    assert _incremental._cache_problem(cache_with([GOOD_FILE, [GOOD_FILE[0] + "y"] + GOOD_FILE[1:]])) is None
    found = _incremental._cache_problem(cache_with([GOOD_FILE, second]))
    assert found is not None and problem in found and "d1" in found


@pytest.mark.parametrize("tag", [
    ["panasonic", "enc", ["openssl-aes-256-cbc", "rot13"], "md5"],
    ["panasonic", "enc", ["openssl-aes-256-cbc"], None],
    ["panasonic", ["enc"], ["openssl-aes-256-cbc"], "md5"],
    ["Panasonic", "enc", ["openssl-aes-256-cbc"], "md5"],
])
def test_a_manifest_tag_after_good_ones_is_still_checked(tmp_path, tag):
    good = ["panasonic", "enc", ["openssl-aes-256-cbc"], "md5"]
    files = dict(("f%d.cfg" % index, [SHA, "d%d" % index, "profile", 10, 1]) for index in range(3))
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"version": 2, "root": "/srv", "files": files,
                                "tags": {"f0.cfg": good, "f1.cfg": good, "f2.cfg": good}}))
    assert len(load_manifest(str(path), "/srv")["files"]["f2.cfg"]) == 9
    path.write_text(json.dumps({"version": 2, "root": "/srv", "files": files,
                                "tags": {"f0.cfg": good, "f1.cfg": good, "f2.cfg": tag}}))
    with pytest.raises(WriterError) as failure:
        load_manifest(str(path), "/srv")
    assert "f2.cfg" in str(failure.value) and failure.value.field == "state_dir"


# --- the cyclic garbage collector is paused during a run ------------------------------------------------------------


@pytest.fixture(name="saved_garbage")
def saved_garbage_fixture():
    """Unreachable cycles kept in gc.garbage instead of freed, so that a test can count them."""
    gc.collect()
    enabled = gc.isenabled()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield
    finally:
        gc.set_debug(0)
        del gc.garbage[:]
        if enabled:
            gc.enable()


def fleet_params(tmp_path, monkeypatch):
    devices = fleet_devices()
    keys = deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS)
    return dict(devices=devices, defaults=DEFAULTS, sites=SITES, models=MODEL_SETTINGS, keys=keys.keys,
                roots=[str(tmp_path / "root")], state_dir=str(tmp_path / "state"), workers=1)


def test_a_run_leaves_no_reference_cycle_behind(tmp_path, monkeypatch, saved_garbage):
    """The collector is off during a run: whatever a run (every family, rendered then rerun) makes must be
    freed by reference counting, or its memory would stay until the run ends."""
    params = fleet_params(tmp_path, monkeypatch)
    gc.enable()
    first = run(copy.deepcopy(params), now=1000)
    again = run(copy.deepcopy(params), now=1000)
    assert first["rendered_devices"] == 16 and again["rendered_devices"] == 0
    assert gc.isenabled()
    gc.collect()
    cycles = collections.Counter(type(item).__name__ for item in gc.garbage)
    assert not cycles, cycles


@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_gives_the_collector_back_as_it_found_it(tmp_path, monkeypatch, enabled):
    params = fleet_params(tmp_path, monkeypatch)
    seen = []
    original = _incremental.save_cache

    def save_cache(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(_incremental, "save_cache", save_cache)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        run(copy.deepcopy(params), now=1000)
        assert seen == [False] and gc.isenabled() is enabled
        # A run that fails gives it back too.
        with pytest.raises(ProvisioningError):
            run(dict(copy.deepcopy(params), bootstrap_window=-1), now=1000)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
