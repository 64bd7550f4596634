# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The writer's promises off the happy path: links planted in a root, altered state files, an open state
directory, concurrent runs, and a fault (full disk, interrupt, bug) at every call that writes."""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _profile_writer
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    TEMP_PREFIX,
    FilePolicy,
    RunLock,
    WriterError,
    apply_plans,
    manifest_path_for,
    plan_root,
    read_served_file,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import ProfileFile
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_phone_profiles import (
    DEFAULTS,
    devices,
    store_keys,
)

CANARY = b"outside the root: must never be read, changed or deleted\n"


def profile(path, content, device="d1", secret=False, role="profile"):
    return ProfileFile(path, content, device=device, secret=secret, role=role)


# Version 1 and version 2 of a small root: between them one file is
# updated, one created in a new directory, one only changes mode (it became
# secret), one is pruned and its directory removed, one stays.
V1 = [("a.cfg", b"A1\n" * 50, False), ("sub/b.cfg", b"B1\n", False), ("old/gone.cfg", b"G1\n", False),
      ("keep.cfg", b"K\n", False), ("same.cfg", b"S\n", True)]
V2 = [("a.cfg", b"A2\n" * 70, False), ("sub/b.cfg", b"B2\n", False), ("new/deep/c.cfg", b"C2\n", True),
      ("keep.cfg", b"K\n", True), ("same.cfg", b"S\n", True)]


def files_of(version):
    return [profile(path, content, secret=secret) for path, content, secret in version]


def deploy(root, state, files, policy=None, timeout=5):
    """What ``_phone_profiles.run`` does with the writer: lock, plan, apply."""
    policy = policy or FilePolicy()
    with RunLock(str(state), [str(root)], timeout) as lock:
        plan = plan_root(str(root), files, manifest_path_for(str(state), str(root)), policy, lock.tree(str(root)))
        apply_plans([plan], policy, str(state))
        return plan


def tree_snapshot(directory):
    """``{relative path: (mode, bytes)}`` of every file, ``{relative dir/: mode}`` of every directory."""
    result = {}
    for parent, dirs, names in os.walk(directory):
        for name in dirs:
            path = os.path.join(parent, name)
            result[os.path.relpath(path, directory) + "/"] = stat.S_IMODE(os.lstat(path).st_mode)
        for name in names:
            path = os.path.join(parent, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                result[os.path.relpath(path, directory)] = ("link", os.readlink(path))
            else:
                with open(path, "rb") as handle:
                    result[os.path.relpath(path, directory)] = (stat.S_IMODE(st.st_mode), handle.read())
    return result


def temps_under(*directories):
    return [os.path.join(parent, name) for directory in directories
            for parent, dummy, names in os.walk(directory) for name in names if name.startswith(TEMP_PREFIX)]


@pytest.fixture(name="site")
def site_fixture(tmp_path):
    """A root deployed with V1, its state directory, and a directory outside holding a canary."""
    root, state, outside = tmp_path / "root", tmp_path / "state", tmp_path / "outside"
    outside.mkdir()
    (outside / "canary").write_bytes(CANARY)
    deploy(root, state, files_of(V1))
    return root, state, outside


# --- symbolic links below a root ----------------------------------------------------------------------------------


def test_a_link_at_a_served_path_is_refused_before_anything_is_written(site):
    root, state, outside = site
    os.unlink(root / "a.cfg")
    os.symlink(outside / "canary", root / "a.cfg")
    before, outside_before = tree_snapshot(root), tree_snapshot(outside)
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "roots" and "%s/a.cfg" % root in str(failure.value)
    assert tree_snapshot(root) == before and tree_snapshot(outside) == outside_before


@pytest.mark.parametrize("version", ["V2", "pruned", "mode"])
def test_a_linked_directory_inside_the_root_is_refused_and_nothing_outside_is_touched(site, version):
    root, state, outside = site
    # Cisco's profile/<dir> replaced by a link to a directory outside holding
    # files of the same names: an update, a prune or a chmod there would act
    # on them.
    shutil.copy(root / "sub" / "b.cfg", outside / "b.cfg")
    shutil.copy(root / "old" / "gone.cfg", outside / "gone.cfg")
    shutil.rmtree(root / "sub")
    os.symlink(outside, root / "sub")
    shutil.rmtree(root / "old")
    os.symlink(outside, root / "old")
    files = {"V2": files_of(V2),
             "pruned": [item for item in files_of(V1) if item.path != "old/gone.cfg"],
             "mode": [profile(item.path, item.content, secret=True) for item in files_of(V1)]}[version]
    before, outside_before = tree_snapshot(root), tree_snapshot(outside)
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files)
    assert failure.value.field == "roots"
    assert ("%s/sub" % root in str(failure.value)) or ("%s/old" % root in str(failure.value))
    assert "symbolic link" in str(failure.value)
    assert tree_snapshot(outside) == outside_before
    assert tree_snapshot(root) == before
    assert (outside / "canary").read_bytes() == CANARY


def test_the_root_itself_may_be_a_link_the_admin_made(tmp_path):
    real = tmp_path / "real-root"
    real.mkdir()
    os.symlink(real, tmp_path / "root")
    deploy(tmp_path / "root", tmp_path / "state", files_of(V1))
    assert (real / "sub" / "b.cfg").read_bytes() == b"B1\n"
    deploy(tmp_path / "root", tmp_path / "state", files_of(V2))
    assert (real / "new" / "deep" / "c.cfg").read_bytes() == b"C2\n" and not (real / "old").exists()


def test_read_served_file_never_follows_a_link(site):
    root, state, outside = site
    assert read_served_file(str(root), "sub/b.cfg") == b"B1\n"
    os.symlink(outside / "canary", root / "link.cfg")
    os.symlink(outside, root / "dirlink")
    assert read_served_file(str(root), "link.cfg") is None
    assert read_served_file(str(root), "dirlink/canary") is None
    assert read_served_file(str(root), "../outside/canary") is None
    assert read_served_file(str(root), "missing.cfg") is None


def test_diff_never_shows_the_file_a_planted_link_points_to(tmp_path):
    params = {"devices": devices(), "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": store_keys(devices()), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"),
              "bootstrap_serve": "always"}
    run(params)
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:TOP-SECRET-HASH:19000:0:99999:7:::\n")
    os.unlink(tmp_path / "root" / "ConfigCom.cfg")
    os.symlink(secret, tmp_path / "root" / "ConfigCom.cfg")
    with pytest.raises(ProvisioningError) as failure:
        run(params, check_mode=True, want_diff=True)
    assert failure.value.field == "roots" and "ConfigCom.cfg" in str(failure.value)
    assert "TOP-SECRET-HASH" not in str(failure.value)
    # The diff's own read, for a path whose link appeared after planning.
    assert read_served_file(str(tmp_path / "root"), "ConfigCom.cfg") is None


def test_journal_clean_up_never_follows_a_link_or_leaves_the_roots(site):
    root, state, outside = site
    token = "0123abcd"
    planted = outside / (TEMP_PREFIX + "b.cfg." + token)
    planted.write_bytes(CANARY)
    # A directory the run does not write to (the plan never looks at it).
    os.symlink(outside, root / "spool")
    (state / "in-progress.json").write_text(json.dumps({"token": token, "directories": [str(root / "spool")]}))
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "roots" and "%s/spool" % root in str(failure.value)
    assert planted.read_bytes() == CANARY
    # A journal naming a directory outside every root: refused naming it, nothing deleted.
    os.unlink(root / "spool")
    (state / "in-progress.json").write_text(json.dumps({"token": token, "directories": [str(outside)]}))
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "state_dir" and str(state / "in-progress.json") in str(failure.value)
    assert planted.read_bytes() == CANARY
    (state / "in-progress.json").write_text(json.dumps([str(planted)]))
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "state_dir" and planted.read_bytes() == CANARY


# --- altered manifests and state --------------------------------------------------------------------------------


def _canary_record(outside):
    st = os.stat(outside / "canary")
    return [hashlib.sha256(CANARY).hexdigest(), "d1", "profile", st.st_size, st.st_mtime_ns]


@pytest.mark.parametrize("tamper", [
    "dotdot", "absolute", "not-normalised", "dot", "sha", "role", "size", "device", "short", "bool-size",
    "encoding", "digest", "kind", "short-tag", "tagged-record", "stray-tag"])
def test_an_altered_manifest_stops_the_run_and_deletes_nothing(site, tamper):
    root, state, outside = site
    manifest_path = manifest_path_for(str(state), str(root))
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    record = _canary_record(outside)
    # Each entry, as the old writer read it, leads to the canary with its
    # own digest, size and mtime: "ours", so it would be pruned.
    path, bad = {
        "dotdot": ("../outside/canary", record),
        "absolute": (str(outside / "canary"), record),
        "not-normalised": ("sub/../../outside/canary", record),
        "dot": ("./a.cfg", record),
        "sha": ("stale.cfg", ["Z" * 64] + record[1:]),
        "role": ("stale.cfg", record[:2] + ["evil"] + record[3:]),
        "size": ("stale.cfg", record[:3] + ["12", record[4]]),
        "device": ("stale.cfg", record[:1] + [5] + record[2:]),
        "short": ("stale.cfg", record[:4]),
        "bool-size": ("stale.cfg", record[:3] + [True, record[4]]),
        # The file's tag (vendor, kind, encoding, digest), kept beside the
        # records, is checked too; so is a record with fields of a tag.
        "encoding": ("stale.cfg", record + ["panasonic", "enc", ["openssl-aes-256-cbc", "rot13"], "md5"]),
        "digest": ("stale.cfg", record + ["panasonic", "enc", ["openssl-aes-256-cbc", "base64"], None]),
        "kind": ("stale.cfg", record + ["panasonic", ["enc"], ["plain"], None]),
        "short-tag": ("stale.cfg", record + ["panasonic"]),
        "tagged-record": ("stale.cfg", record + ["panasonic", "enc", ["plain"], None]),
        "stray-tag": ("gone.cfg", record + ["panasonic", "enc", ["plain"], None]),
    }[tamper]
    if tamper == "tagged-record":
        manifest["files"][path] = bad
    else:
        manifest["files"].setdefault(path if tamper != "stray-tag" else "stale.cfg", bad[:5])
        if len(bad) > 5:
            manifest.setdefault("tags", {})[path] = bad[5:]
        else:
            manifest["files"][path] = bad
    with open(manifest_path, "w") as handle:
        json.dump(manifest, handle)
    (root / "stale.cfg").write_bytes(CANARY)
    before = tree_snapshot(root)
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "state_dir" and manifest_path in str(failure.value)
    assert (outside / "canary").read_bytes() == CANARY
    assert tree_snapshot(root) == before


def test_altered_bootstrap_state_stops_the_run(tmp_path):
    params = {"devices": devices(), "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": store_keys(devices()), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state")}
    run(params)
    path = tmp_path / "state" / "bootstrap.json"
    good = json.loads(path.read_text())
    mac = sorted(good["devices"])[0]
    for bad in ({"../../etc": good["devices"][mac]}, {mac.upper(): good["devices"][mac]},
                {mac: dict(good["devices"][mac], opened="yesterday")},
                {mac: dict(good["devices"][mac], closed=True)},
                {mac: dict(good["devices"][mac], paths=[1])}, {mac: "x"}):
        path.write_text(json.dumps(dict(good, devices=bad)))
        with pytest.raises(ProvisioningError) as failure:
            run(copy.deepcopy(params))
        assert failure.value.field == "state_dir" and str(path) in str(failure.value)


# --- the state directory -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722, 0o1777])
def test_a_state_directory_others_can_write_is_refused(site, mode):
    root, state, outside = site
    os.chmod(state, mode)
    before = tree_snapshot(root)
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "state_dir" and str(state) in str(failure.value)
    assert tree_snapshot(root) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a directory's owner needs root")
def test_a_state_directory_owned_by_another_user_is_refused(site):
    root, state, outside = site
    os.chown(state, 54321, -1)
    with pytest.raises(WriterError) as failure:
        deploy(root, state, files_of(V2))
    assert failure.value.field == "state_dir" and "54321" in str(failure.value)


def test_a_missing_state_directory_is_made_0700(tmp_path):
    deploy(tmp_path / "root", tmp_path / "new" / "state", files_of(V1))
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "state").st_mode) == 0o700


# --- locks ---------------------------------------------------------------------------------------------------------


HOLDER = r"""
import fcntl, os, sys, time
path = sys.argv[1]
if os.path.isdir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
else:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
if not os.path.isdir(path):
    os.ftruncate(fd, 0)
    os.write(fd, b"%d\n" % os.getpid())
print("held", flush=True)
sys.stdin.read()
"""


def _hold(path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"held\n"
    return holder


@pytest.mark.parametrize("what", ["state", "root", "check-mode"])
def test_a_run_waits_lock_timeout_then_names_the_lock_and_its_holder(site, what):
    root, state, outside = site
    holder = _hold(root if what == "root" else state / "lock")
    params = {"devices": devices(), "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": store_keys(devices()), "roots": [str(root)], "state_dir": str(state), "lock_timeout": 1}
    try:
        started = time.monotonic()
        with pytest.raises(ProvisioningError) as failure:
            run(params, check_mode=(what == "check-mode"))
        waited = time.monotonic() - started
    finally:
        holder.stdin.close()
        holder.wait()
    assert failure.value.field == "lock_timeout"
    assert str(root if what == "root" else state / "lock") in str(failure.value)
    assert "PID %d" % holder.pid in str(failure.value)
    assert 1 <= waited < 5
    # Released: the run goes through.
    assert run(params)["files"] > 0


CONCURRENT = r"""
import json, sys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
params = json.load(open(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()            # both start together
for dummy in range(int(sys.argv[2])):
    run(params)
print("ok", flush=True)
"""


def test_concurrent_runs_take_turns(tmp_path):
    """Two processes deploy different versions to one root and state directory, 20 times each, at once."""
    base = {"devices": devices(), "defaults": dict(DEFAULTS), "sites": {}, "models": {},
            "keys": store_keys(devices()), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"),
            "bootstrap_serve": "always"}
    variants = []
    for name in ("alpha", "beta"):
        params = copy.deepcopy(base)
        for device in params["devices"]:
            device["lines"][0]["display_name"] = "%s %s" % (name, device["name"])
        # A device of each side only, so each run creates, updates and prunes.
        params["devices"].append({"name": name, "mac": "00:0b:82:00:00:0%d" % len(variants), "model": "GXP2170",
                                  "lines": [{"extension": "30%d" % len(variants), "password": "pw-" + name}]})
        params["keys"] = store_keys(params["devices"])
        path = tmp_path / ("%s.json" % name)
        path.write_text(json.dumps(params))
        variants.append((params, path))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(item for item in sys.path if item))
    workers = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(path), "20"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for dummy, path in variants]
    for worker in workers:
        assert worker.stdout.readline() == b"ready\n", worker.stderr.read().decode()[-2000:]
    for worker in workers:
        worker.stdin.write(b"go\n")
        worker.stdin.flush()
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0 and out == b"ok\n", err.decode()[-2000:]
    assert temps_under(tmp_path / "root", tmp_path / "state") == []
    assert not (tmp_path / "state" / "in-progress.json").exists()
    # The last run left its complete version: exactly one variant is current.
    current = [not run(copy.deepcopy(params), check_mode=True)["changed"] for params, dummy in variants]
    assert sorted(current) == [False, True]


# --- a fault at every call that writes ----------------------------------------------------------------------------


WRITING_CALLS = ("open", "write", "fchmod", "fchown", "mkdir", "rename", "replace", "unlink", "rmdir", "sync", "fsync",
                 "ftruncate", "close")


class Recorder:
    """Wraps the ``os`` calls the writer makes; records their order; raises ``fault`` at call ``fail_at``."""

    def __init__(self, monkeypatch, state, fail_at=None, fault=None):
        self.calls = []
        self.fail_at = fail_at
        self.fault = fault
        self.state = str(state)
        self.temp_fds = {}
        self.temp_writes = []       # positions of the writes into temporary files of a root
        self.problems = []
        self.monkeypatch = monkeypatch
        self.real = dict((name, getattr(os, name)) for name in WRITING_CALLS)
        self.real_syncfs = _profile_writer._syncfs

    def __enter__(self):
        for name in WRITING_CALLS:
            self.monkeypatch.setattr(os, name, self._wrap(name))
        # The writer flushes a file system by syncfs (through ctypes): recorded as a "sync" call.
        self.monkeypatch.setattr(_profile_writer, "_syncfs", self._wrap("sync", _profile_writer._syncfs))
        return self

    def __exit__(self, *exc):
        for name in WRITING_CALLS:
            self.monkeypatch.setattr(os, name, self.real[name])
        self.monkeypatch.setattr(_profile_writer, "_syncfs", self.real_syncfs)

    def _wrap(self, name, real=None):
        real = real or self.real[name]

        def call(*args, **kwargs):
            self.calls.append((name, args[0] if args else None, kwargs.get("dir_fd", kwargs.get("src_dir_fd"))))
            if self.fail_at is not None and len(self.calls) == self.fail_at:
                raise self.fault
            if name == "open" and os.path.basename(str(args[0])).startswith(TEMP_PREFIX) and args[1] & os.O_CREAT:
                if kwargs.get("dir_fd") is not None and not os.path.exists(os.path.join(self.state, "in-progress.json")):
                    self.problems.append("temporary file %s created before the journal" % (args[0],))
                fd = real(*args, **kwargs)
                if kwargs.get("dir_fd") is not None:
                    self.temp_fds[fd] = args[0]
                return fd
            if name == "write" and args[0] in self.temp_fds:
                self.temp_writes.append(len(self.calls))
                mode = stat.S_IMODE(os.fstat(args[0]).st_mode)
                if mode & 0o077:
                    self.problems.append("%s is mode %04o while being written" % (self.temp_fds[args[0]], mode))
            if name == "close":
                self.temp_fds.pop(args[0], None)
            return real(*args, **kwargs)
        return call

    def index(self, predicate):
        return [position for position, call in enumerate(self.calls, 1) if predicate(call)]


def _is_served_rename(call):
    return call[0] in ("rename", "replace") and call[2] is not None


def _plan_v2(root, state):
    policy = FilePolicy()
    lock = RunLock(str(state), [str(root)], 5)
    plan = plan_root(str(root), files_of(V2), manifest_path_for(str(state), str(root)), policy, lock.tree(str(root)))
    return lock, plan, policy


def test_the_writer_stages_everything_then_flushes_then_renames(site, monkeypatch):
    root, state, outside = site
    lock, plan, policy = _plan_v2(root, state)
    with lock, Recorder(monkeypatch, state) as recorder:
        apply_plans([plan], policy, str(state))
    assert recorder.problems == []
    renames = recorder.index(_is_served_rename)
    creates = recorder.index(lambda call: call[0] == "open" and call[2] is not None
                             and call[1].startswith(TEMP_PREFIX))
    flushes = recorder.index(lambda call: call[0] in ("sync", "fsync"))
    assert len(renames) == 3 and len(creates) == 3
    # The commit point: every temporary file written, then one flush, then the first rename.
    last_staging_write = max(position for position in recorder.index(lambda call: call[0] == "write")
                             if position < renames[0])
    assert max(creates) < renames[0]
    assert any(last_staging_write < flush < renames[0] for flush in flushes)


@pytest.mark.parametrize("fault", [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("bug"),
                                   KeyboardInterrupt()], ids=["ENOSPC", "RuntimeError", "KeyboardInterrupt"])
def test_a_fault_at_every_write_position_changes_nothing_or_converges(site, monkeypatch, tmp_path, fault):
    root, state, outside = site
    template = tmp_path / "template"
    shutil.copytree(tmp_path, template, symlinks=True, ignore=shutil.ignore_patterns("template"))
    # A dry run finds the calls and the commit point: not before the first
    # rename of a served file, nor before the last byte of the last
    # temporary file (a writer renaming too early breaks the promise there).
    lock, plan, policy = _plan_v2(root, state)
    with lock, Recorder(monkeypatch, state) as recorder:
        apply_plans([plan], policy, str(state))
    positions = len(recorder.calls)
    commit = max(recorder.index(_is_served_rename)[0], recorder.temp_writes[-1] + 1)
    expected = tree_snapshot(root)
    assert positions > 40
    for fail_at in range(1, positions + 1):
        shutil.rmtree(root)
        shutil.rmtree(state)
        shutil.copytree(template / "root", root, symlinks=True)
        shutil.copytree(template / "state", state, symlinks=True)
        os.chmod(state, 0o700)
        before = tree_snapshot(root)
        lock, plan, policy = _plan_v2(root, state)
        with lock, Recorder(monkeypatch, state, fail_at, fault) as recorder:
            try:
                apply_plans([plan], policy, str(state))
                raised = None
            except BaseException as exc:  # pylint: disable=broad-exception-caught
                raised = exc
        where = "fault %r at call %d of %d: %r" % (fault, fail_at, positions, recorder.calls[fail_at - 1])
        assert recorder.problems == [], where
        if isinstance(fault, OSError):
            assert isinstance(raised, WriterError), where
        else:
            assert raised is fault, where
        assert temps_under(root, state) == [], where
        assert not (state / "in-progress.json").exists(), where
        if fail_at < commit:
            assert tree_snapshot(root) == before, where
        # Either way the next run converges on version 2.
        deploy(root, state, files_of(V2))
        assert tree_snapshot(root) == expected, where
        assert temps_under(root, state) == [], where


def test_a_full_disk_fails_naming_the_file_and_changes_nothing(tmp_path, monkeypatch):
    params = {"devices": devices(), "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": store_keys(devices()), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"),
              "bootstrap_serve": "always"}
    root = tmp_path / "root"
    run(params)
    before = tree_snapshot(root)
    real_write = os.write
    writes = []

    def full_write(fd, data):
        writes.append(fd)
        if len(writes) > 2:     # the journal, one profile, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_write)
    params["defaults"]["ntp_server"] = "ntp2.example.net"
    with pytest.raises(ProvisioningError) as failure:
        run(params)
    monkeypatch.undo()
    assert "no space left on the device of %s/" % root in str(failure.value)
    assert failure.value.field == "roots"
    assert tree_snapshot(root) == before
    assert temps_under(root, tmp_path / "state") == []


def test_a_killed_runs_temporary_files_go_even_when_later_runs_change_nothing(tmp_path, monkeypatch):
    """A run killed after staging leaves temporary files and its journal; the next run removes them.

    The operator reverts the change that was being written, so the next runs
    find nothing to write: they must clean up all the same, or the killed
    run's temporary files (complete profiles, in the served root) stay.
    """
    params = {"devices": devices(), "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": store_keys(devices()), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"),
              "bootstrap_serve": "always"}
    root, state = tmp_path / "root", tmp_path / "state"
    run(params)
    before = tree_snapshot(root)

    def killed():
        raise SystemExit("killed after staging")

    # A kill runs no clean-up: the writer's own undo is skipped, as SIGKILL would skip it.
    monkeypatch.setattr(_profile_writer, "_undo_staging", lambda *args: None)
    monkeypatch.setattr(_profile_writer, "_syncfs", lambda fd: killed())
    changed = copy.deepcopy(params)
    changed["defaults"]["ntp_server"] = "ntp2.example.net"
    with pytest.raises(SystemExit):
        run(changed)
    monkeypatch.undo()
    assert temps_under(root) and (state / "in-progress.json").exists()
    for dummy in range(2):
        result = run(params)
        assert result["changed"] is False
        assert temps_under(root, state) == []
        assert not (state / "in-progress.json").exists()
        assert tree_snapshot(root) == before
