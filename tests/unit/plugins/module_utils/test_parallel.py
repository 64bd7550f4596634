# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Worker processes give the serial run's bytes, files, manifests, warnings and errors, in the serial order."""

from __future__ import annotations

import copy
import errno
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import time

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _fleet, _parallel, _phone_profiles
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, error_list
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS, vendor_for_model
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_profile_writer import tree_snapshot

MODULE_UTILS = os.path.dirname(_fleet.__file__)
NOW = 1_800_000_000

# (model, MAC prefix, the model's settings): every family, the newer ones over HTTPS without encryption.
HTTPS = {"encrypt_profiles": False, "provisioning_url": "https://prov.example.net"}
MODELS = [
    ("GXP2170", "000b82", None), ("SPA504G", "e05fb9", None), ("CP-8841-3PCC", "0c1167", None),
    ("KX-UTG300", "0080f0", None), ("T46U", "001565", HTTPS), ("T53", "805ec0", HTTPS), ("VVX410", "0004f2", HTTPS),
    ("D120", "000413", HTTPS), ("X210", "0c383e", dict(HTTPS, timezone="JST-9")),
]

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "admin_password": "BenchAdmin2026",
    "provisioning_url": "http://prov.example.net",
    # Fanvil does not carry it: a warning per Fanvil device, merged from every chunk.
    "resync_interval": 60,
    "encrypt_profiles": True,
}


def fleet_devices(count=90):
    devices = []
    for index in range(count):
        model, prefix, dummy = MODELS[index % len(MODELS)]
        devices.append({"name": "phone-%03d" % index, "mac": "%s%06x" % (prefix, index + 1), "model": model,
                        "lines": [{"extension": str(1000 + index), "password": "Pw%06dX" % index,
                                   "display_name": "Desk %d" % index}]})
    return devices


def fleet_models():
    return dict((model, dict(settings)) for model, dummy, settings in MODELS if settings)


def store_keys(devices, models):
    inventory, fleet = _fleet.load_fleet(devices, DEFAULTS, models=models)
    wanted = dict((device.mac, specs) for device, specs in
                  ((device, _fleet.renderer_for(device).key_specs(device)) for device in fleet) if specs)
    return reconcile(empty_store(), wanted).keys


@pytest.fixture(name="small_chunks")
def small_chunks_fixture(monkeypatch):
    """The pool even for a test's few devices: no threshold, chunks of any size."""
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_DEVICES", 0)
    monkeypatch.setattr(_parallel, "MIN_CHUNK_DEVICES", 1)


def params_for(tmp_path, devices, models, keys, workers):
    return {"devices": copy.deepcopy(devices), "defaults": dict(DEFAULTS), "models": copy.deepcopy(models),
            "sites": {}, "keys": copy.deepcopy(keys), "roots": [str(tmp_path / "run" / "root")],
            "state_dir": str(tmp_path / "run" / "state"), "workers": workers}


def without_mtimes(manifest):
    """A manifest's JSON without the files' mtimes (a write's time, not its content); else as written."""
    data = json.loads(manifest)
    for record in data["files"].values():
        assert isinstance(record[4], int)
        record[4] = None
    return data


def run_once(tmp_path, devices, models, keys, workers):
    """A first run into an empty root: (result, tree, {manifest name: bytes}) or the error list; then moved away."""
    params = params_for(tmp_path, devices, models, keys, workers)
    try:
        result = run(params, now=NOW)
    except ProvisioningError as exc:
        outcome = ("error", type(exc).__name__, str(exc), error_list(exc))
    else:
        state = tmp_path / "run" / "state"
        manifests = dict((name, without_mtimes((state / name).read_bytes())) for name in sorted(os.listdir(str(state)))
                         if name.startswith("manifest-"))
        outcome = ("ok", result, tree_snapshot(str(tmp_path / "run" / "root")), manifests)
    if (tmp_path / "run").exists():
        shutil.move(str(tmp_path / "run"), str(tmp_path / ("w%d-%d" % (workers, len(os.listdir(str(tmp_path)))))))
    return outcome


def test_the_test_fleet_covers_every_family():
    assert set(vendor_for_model(model) for model, dummy, dummy in MODELS) == set(VENDORS)


def test_workers_give_the_serial_trees_manifests_and_warnings(tmp_path, small_chunks):
    devices, models = fleet_devices(), fleet_models()
    keys = store_keys(devices, models)
    serial = run_once(tmp_path, devices, models, keys, 1)
    assert serial[0] == "ok"
    result = serial[1]
    assert result["files"] > 2 * len(devices) - 20
    assert any("resync_interval" in line for line in result["warnings"]), result["warnings"]
    for workers in (2, 4):
        assert run_once(tmp_path, devices, models, keys, workers) == serial


def test_workers_give_the_serial_errors_in_the_serial_order(tmp_path, small_chunks):
    devices, models = fleet_devices(), fleet_models()
    keys = store_keys(devices, models)
    # Invalid devices in the first chunk and in later ones, of validation (two per device) and of the model.
    devices[2]["settings"] = {"timezone": "XXX-0:20"}                       # Cisco MPP: not 15 minutes
    devices[47]["settings"] = {"language": 7}                                # the data model's error
    devices[56]["settings"] = {"timezone": "XXX-0:20"}
    devices[80]["lines"][0]["extension"] = ""
    devices[88]["settings"] = {"resync_interval": -5}
    serial = run_once(tmp_path, devices, models, keys, 1)
    assert serial[0] == "error"
    assert sorted(entry["device"] for entry in serial[3]) == ["phone-%03d" % index for index in (2, 47, 56, 80, 88)]
    for workers in (2, 4):
        assert run_once(tmp_path, devices, models, keys, workers) == serial


def test_a_render_error_is_the_first_devices_as_serially(tmp_path, small_chunks):
    devices, models = fleet_devices(), fleet_models()
    keys = store_keys(devices, models)
    # Two devices without their keys, in different chunks: the run names the first.
    for index in (45, 84):
        del keys[devices[index]["mac"]]
    serial = run_once(tmp_path, devices, models, keys, 1)
    assert serial[0] == "error" and serial[2].startswith("device phone-045, ")
    for workers in (2, 4):
        assert run_once(tmp_path, devices, models, keys, workers) == serial


def test_devices_checked_against_an_earlier_one_give_the_serial_errors(tmp_path, small_chunks):
    """Yealink's T53 and T53W share a common file: a T53W whose shared settings differ is refused, after a T53."""
    devices = []
    for index in range(40):
        model = "T53" if index < 10 else "T53W"
        devices.append({"name": "conf-%02d" % index, "mac": "805ec0%06x" % (index + 1), "model": model,
                        "lines": [{"extension": str(200 + index), "password": "pw-%d" % index}]})
    models = {"T53": dict(HTTPS), "T53W": dict(HTTPS, ntp_server="other.example.net")}
    serial = run_once(tmp_path, devices, models, {}, 1)
    assert serial[0] == "error" and len(serial[3]) == 30
    assert all(entry["field"] == "sipfleet_models.T53W" for entry in serial[3])
    for workers in (2, 4):
        assert run_once(tmp_path, devices, models, {}, workers) == serial


class FakeInventory:
    def __init__(self):
        self.derived = {}
        self.dropped = {}


def first_device_seen(inventory, devices):
    """An order-dependent check: every device is compared with the first one the run saw."""
    seen = []
    for device in devices:
        first = inventory.derived.get("first")
        if first is None:
            inventory.derived["first"] = first = device
        inventory.dropped.setdefault(("v", "f", "r"), []).append(device)
        seen.append((device, first))
    return seen


def skips_failing_devices(inventory, devices):
    """A device that fails its own check goes on without the shared value (makes none)."""
    seen = []
    for device in devices:
        first = inventory.derived.get("first")
        if first is None and device % 7 != 3:
            inventory.derived["first"] = first = device
        seen.append((device, first))
    return seen


def lacks_until_made(inventory, devices):
    """The value is the same whoever makes it, but a device that lacks it and cannot make it answers otherwise."""
    out = []
    for device in devices:
        value = inventory.derived.get("shared")
        if value is None and device % 2 == 0:
            inventory.derived["shared"] = value = "made"
        out.append(value or "lacked")
    return out


def cached_per_model(inventory, devices):
    """A cache: the same value whichever device makes it."""
    out = []
    for device in devices:
        key = ("square", device % 3)
        value = inventory.derived.get(key)
        if value is None:
            inventory.derived[key] = value = (device % 3) ** 2
        out.append(value)
    return out


@pytest.mark.parametrize("function", [first_device_seen, skips_failing_devices, lacks_until_made, cached_per_model])
def test_map_devices_merges_the_inventory_as_the_serial_loop(function):
    devices = list(range(3, 403))
    serial_inventory = FakeInventory()
    serial = _parallel.map_devices(function, serial_inventory, devices, 1)
    inventory = FakeInventory()
    chunks = _parallel.map_devices(function, inventory, devices, 2, min_devices=0)
    assert [item for chunk in chunks for item in chunk] == serial[0]
    assert inventory.derived == serial_inventory.derived
    assert inventory.dropped == serial_inventory.dropped


def test_a_cache_made_in_every_chunk_keeps_the_pool(monkeypatch):
    merged = []
    real = _parallel._merge

    def merge(chunks, inventory):
        results, consistent = real(chunks, inventory)
        merged.append((len(results), consistent))
        return results, consistent

    monkeypatch.setattr(_parallel, "_merge", merge)
    _parallel.map_devices(cached_per_model, FakeInventory(), list(range(400)), 2, min_devices=0)
    _parallel.map_devices(first_device_seen, FakeInventory(), list(range(400)), 2, min_devices=0)
    assert merged == [(4, True), (4, False)]


def test_below_the_threshold_no_process_is_forked(tmp_path, monkeypatch):
    monkeypatch.setattr(_parallel, "_fork_pool", lambda processes: pytest.fail("a pool for a few devices"))
    devices, models = fleet_devices(30), fleet_models()
    assert run_once(tmp_path, devices, models, store_keys(devices, models), 4)[0] == "ok"


@pytest.mark.parametrize("how", ["EAGAIN", "no fork"])
def test_a_host_that_cannot_fork_runs_serially_and_says_so(tmp_path, monkeypatch, small_chunks, how):
    devices, models = fleet_devices(), fleet_models()
    keys = store_keys(devices, models)
    serial = run_once(tmp_path, devices, models, keys, 1)
    if how == "EAGAIN":
        import multiprocessing
        context = multiprocessing.get_context("fork")

        def no_pool(*args, **kwargs):
            raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

        monkeypatch.setattr(type(context), "Process", no_pool)
    else:
        monkeypatch.delattr(os, "fork")
    outcome = run_once(tmp_path, devices, models, keys, 2)
    warnings = outcome[1]["warnings"]
    notes = [line for line in warnings if line.startswith("workers: ")]
    # Once for the validation, once for the rendering; the rest as serially.
    assert len(notes) == 2, warnings
    assert ("Resource temporarily unavailable" if how == "EAGAIN" else "no fork()") in notes[0]
    assert [line for line in warnings if not line.startswith("workers: ")] == serial[1]["warnings"]
    assert outcome[2:] == serial[2:]


def test_a_worker_s_bug_is_raised_with_its_traceback(tmp_path, monkeypatch, small_chunks):
    devices, models = fleet_devices(), fleet_models()
    keys = store_keys(devices, models)
    renderer = VENDORS["snom"]
    real = renderer.render_device

    def broken(device, inventory):
        if device.label == "phone-070":
            raise KeyError("a bug in a renderer")
        return real(device, inventory)

    monkeypatch.setattr(renderer, "render_device", broken)
    with pytest.raises(_parallel.WorkerError) as raised:
        run(params_for(tmp_path, devices, models, keys, 2), now=NOW)
    text = str(raised.value)
    assert "Traceback (most recent call last)" in text
    assert "KeyError: 'a bug in a renderer'" in text and "in broken" in text


@pytest.mark.parametrize("workers, expected", [(1, 1), (3, 3), (0, None)])
def test_worker_count(workers, expected, monkeypatch):
    if expected is None:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
        expected = 8
    assert _parallel.worker_count(workers) == expected


@pytest.mark.parametrize("workers", [-1, True, "2"])
def test_a_bad_worker_count_names_the_option(workers):
    with pytest.raises(ProvisioningError) as raised:
        _parallel.worker_count(workers)
    assert raised.value.field == "workers"


def test_renderers_and_encoders_use_no_randomness_or_clock():
    """Workers give the parent's bytes only if rendering is a function of its inputs.

    The one random salt of ``_openssl_enc.encrypt`` is for ``salt=None``; the
    codec always passes ``STABLE_SALT`` (HMAC of key and plaintext).
    """
    pattern = re.compile(r"\burandom\b|\bimport random\b|\bfrom random\b|\brandom\.\w|\bsecrets\.\w|time\.time\(|"
                         r"datetime\.now|datetime\.utcnow|time\.monotonic|uuid\.uuid[14]")
    allowed = {("_openssl_enc.py", "salt_bytes = os.urandom(SALT_LENGTH)")}
    paths = [os.path.join(MODULE_UTILS, "_codec.py"), os.path.join(MODULE_UTILS, "_openssl_enc.py")]
    for parent, dummy, names in os.walk(os.path.join(MODULE_UTILS, "_vendors")):
        paths.extend(os.path.join(parent, name) for name in names if name.endswith(".py"))
    assert len(paths) > 20
    found = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if pattern.search(line) and (os.path.basename(path), line.strip()) not in allowed:
                    found.append("%s:%d: %s" % (path, number, line.strip()))
    assert found == []
    with open(os.path.join(MODULE_UTILS, "_codec.py"), encoding="utf-8") as handle:
        calls = re.findall(r"\bencrypt\(([^)]*)\)", handle.read())
    assert calls and all("salt=STABLE_SALT" in call for call in calls), calls


def test_rendering_the_fleet_reads_no_randomness_or_clock(monkeypatch):
    devices, models = fleet_devices(), fleet_models()
    keys = store_keys(devices, models)
    inventory, fleet = _fleet.load_fleet(devices, DEFAULTS, models=models)
    _phone_profiles.attach_keys(fleet, keys)

    def forbidden(*args, **kwargs):
        raise AssertionError("rendering asked for randomness or the time")

    monkeypatch.setattr(os, "urandom", forbidden)
    monkeypatch.setattr(time, "time", forbidden)
    monkeypatch.setattr(random, "random", forbidden)
    monkeypatch.setattr(random, "getrandbits", forbidden)
    files = _fleet.render_fleet(inventory, fleet, workers=1)
    assert len(files) > len(devices)


KILLED_RUN = r"""
import os, signal, sys, time
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _parallel

class Inventory:
    derived = {}
    dropped = {}

def chunk(inventory, devices):
    with open(os.path.join(sys.argv[1], "worker-%d" % os.getpid()), "w") as handle:
        handle.write("%d" % os.getpid())
    if devices[0] == 0:
        time.sleep(0.5)
        os.kill(os.getppid(), signal.SIGKILL)   # the run is killed (OOM killer, kill -9) while its workers work
    time.sleep(60)
    return devices

_parallel.map_devices(chunk, Inventory(), list(range(400)), 2, min_devices=0)
"""


def test_workers_die_with_a_killed_run(tmp_path):
    """A worker left behind would hold the run's locks (the state directory's, the roots') forever."""
    import subprocess
    import sys
    import time as clock

    script = tmp_path / "killed_run.py"
    script.write_text(KILLED_RUN)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env, timeout=60, check=False)
    assert process.returncode == -9
    pids = [int((tmp_path / name).read_text()) for name in os.listdir(str(tmp_path)) if name.startswith("worker-")]
    assert len(pids) == 2
    deadline = clock.monotonic() + 10
    alive = pids
    while alive and clock.monotonic() < deadline:
        clock.sleep(0.1)
        alive = [pid for pid in pids if os.path.exists("/proc/%d" % pid)
                 and not open("/proc/%d/stat" % pid).read().split(") ")[1].startswith("Z")]
    assert alive == []


def killed_at_250(inventory, devices):
    if 250 in devices:
        os.kill(os.getpid(), signal.SIGKILL)   # as the kernel's OOM killer does
    return [device * 2 for device in devices]


def test_a_worker_killed_by_a_signal_is_an_error_naming_it_not_a_hang():
    """A dead worker's result never comes: waiting for it would hold the run's locks forever."""
    def timed_out(signum, frame):
        raise AssertionError("map_devices waited for a dead worker")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(30)
    try:
        with pytest.raises(_parallel.WorkerError, match="killed by SIGKILL"):
            _parallel.map_devices(killed_at_250, FakeInventory(), list(range(2000)), 2, [], min_devices=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    # The pool after a death leaves no worker behind.
    assert not [child for child in multiprocessing.active_children()
                if child.name.startswith(("ForkProcess", "SpawnProcess"))]


def test_a_worker_that_cannot_arm_its_parent_death_signal_does_not_run(monkeypatch):
    class FailingLibc:
        class prctl:    # noqa: N801 - a libc function stand-in
            argtypes = restype = None

            def __new__(cls, *args):
                return -1

    import ctypes
    monkeypatch.setattr(ctypes, "CDLL", lambda *args, **kwargs: FailingLibc)
    with pytest.raises(_parallel.WorkerError, match="parent-death signal"):
        _parallel.map_devices(first_device_seen, FakeInventory(), list(range(400)), 2, [], min_devices=2)
