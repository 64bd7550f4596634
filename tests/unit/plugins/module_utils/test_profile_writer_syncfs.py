# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The writer flushes only the file systems it wrote to (syncfs), once each, around the renames."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _profile_writer
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    FilePolicy,
    RunLock,
    WriterError,
    apply_plans,
    manifest_path_for,
    plan_root,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_profile_writer import (
    V1,
    V2,
    deploy,
    files_of,
    temps_under,
    tree_snapshot,
)


def deploy_roots(roots, state, files):
    policy = FilePolicy()
    with RunLock(str(state), [str(root) for root in roots], 5) as lock:
        plans = [plan_root(str(root), files, manifest_path_for(str(state), str(root)), policy, lock.tree(str(root)))
                 for root in roots]
        return apply_plans(plans, policy, str(state))


@pytest.fixture(name="no_native_syncfs")
def no_native_syncfs_fixture(monkeypatch):
    """As on CPython 3.13: no ``os.syncfs``, so the writer goes through ctypes (looked up afresh)."""
    monkeypatch.delattr(os, "syncfs", raising=False)
    monkeypatch.setattr(_profile_writer, "_LIBC_SYNCFS", {})


@pytest.fixture(name="other_fs_dir")
def other_fs_dir_fixture(tmp_path):
    """A directory on another file system than tmp_path (tmpfs /dev/shm), or a skip."""
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(str(tmp_path)).st_dev:
        pytest.skip("no second file system (/dev/shm) to write to")
    try:
        directory = tempfile.mkdtemp(dir="/dev/shm", prefix="sipfleet-syncfs-")
    except OSError:
        pytest.skip("/dev/shm is not writable")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("layout", ["third-root-elsewhere", "state-elsewhere"])
def test_one_flush_per_file_system_before_the_first_rename_and_after_the_last(tmp_path, monkeypatch, layout,
                                                                              no_native_syncfs, other_fs_dir):
    if _profile_writer._libc_syncfs() is None:
        pytest.skip("this C library has no syncfs")
    # Two roots on tmp_path's file system, and a third root or the state directory on tmpfs.
    roots = [tmp_path / "a", tmp_path / "b"]
    state = tmp_path / "state"
    if layout == "third-root-elsewhere":
        roots.append(os.path.join(other_fs_dir, "c"))
    else:
        state = os.path.join(other_fs_dir, "state")
    events = []
    real_syncfs, real_rename = _profile_writer._syncfs, os.rename

    def syncfs(fd):
        events.append(("syncfs", os.fstat(fd).st_dev))
        return real_syncfs(fd)

    def rename(*args, **kwargs):
        events.append(("rename", None))
        return real_rename(*args, **kwargs)

    monkeypatch.setattr(_profile_writer, "_syncfs", syncfs)
    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "sync", lambda: events.append(("sync", None)))
    result = deploy_roots(roots, state, files_of(V1))
    assert result["written"] == len(roots) * len(V1)
    kinds = [kind for kind, dummy in events]
    assert "sync" not in kinds, "the whole machine was flushed"
    first, last = kinds.index("rename"), len(kinds) - 1 - kinds[::-1].index("rename")
    assert kinds[first:last + 1] == ["rename"] * (len(roots) * len(V1))
    local, other = os.stat(str(tmp_path)).st_dev, os.stat(other_fs_dir).st_dev
    assert local != other
    # Before the first rename: each file system once (the roots' and the state directory's).
    assert sorted(device for dummy, device in events[:first]) == sorted([local, other])
    # After the last rename: the roots' file systems once each, before the manifests.
    assert sorted(device for dummy, device in events[last + 1:]) == sorted(set(
        os.stat(os.path.dirname(str(root))).st_dev for root in roots))
    for root in roots:
        assert tree_snapshot(str(root))["a.cfg"][1] == b"A1\n" * 50


def test_without_syncfs_in_the_c_library_the_writer_syncs_the_machine(tmp_path, monkeypatch, no_native_syncfs):
    lookups, syncs = [], []

    class NoSyncfs:
        """A C library without the syncfs symbol (old glibc, another libc)."""

    def cdll(*args, **kwargs):
        lookups.append(args)
        return NoSyncfs()

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    real_sync = os.sync
    monkeypatch.setattr(os, "sync", lambda: (syncs.append(1), real_sync()))
    root, state = tmp_path / "root", tmp_path / "state"
    deploy(root, state, files_of(V1))
    assert len(syncs) == 2      # once before the renames, once after
    deploy(root, state, files_of(V2))
    assert len(syncs) == 4
    assert len(lookups) == 1, "the C library is looked up once a process"
    assert tree_snapshot(str(root))["new/deep/c.cfg"][1] == b"C2\n"


def test_without_ctypes_the_writer_syncs_the_machine(tmp_path, monkeypatch, no_native_syncfs):
    def no_ctypes(*args, **kwargs):
        raise OSError("ctypes cannot load the C library")

    monkeypatch.setattr(ctypes, "CDLL", no_ctypes)
    syncs = []
    monkeypatch.setattr(os, "sync", lambda: syncs.append(1))
    deploy(tmp_path / "root", tmp_path / "state", files_of(V1))
    assert len(syncs) == 2


def test_os_syncfs_is_used_where_python_has_it(tmp_path, monkeypatch):
    monkeypatch.setattr(_profile_writer, "_LIBC_SYNCFS", {"function": None})
    flushed = []
    monkeypatch.setattr(os, "syncfs", lambda fd: flushed.append(os.fstat(fd).st_dev), raising=False)
    monkeypatch.setattr(os, "sync", lambda: pytest.fail("os.sync() called although os.syncfs exists"))
    deploy(tmp_path / "root", tmp_path / "state", files_of(V1))
    assert flushed == [os.stat(str(tmp_path)).st_dev] * 2


def _failing_syncfs(calls):
    def syncfs(fd):
        calls.append(fd)
        ctypes.set_errno(errno.EIO)     # what the kernel reports for a writeback error
        return -1
    return syncfs


def test_an_eio_flush_stops_the_run_before_any_rename_and_the_old_files_stay(tmp_path, monkeypatch, no_native_syncfs):
    root, state = tmp_path / "root", tmp_path / "state"
    deploy(root, state, files_of(V1))
    before = tree_snapshot(str(root))
    calls, renames = [], []
    monkeypatch.setattr(_profile_writer, "_LIBC_SYNCFS", {"function": _failing_syncfs(calls)})
    real_rename = os.rename
    monkeypatch.setattr(os, "rename", lambda *args, **kwargs: (renames.append(args), real_rename(*args, **kwargs)))
    with pytest.raises(WriterError) as raised:
        deploy(root, state, files_of(V2))
    message = str(raised.value)
    assert "cannot flush the file system of %s" % root in message
    assert os.strerror(errno.EIO) in message
    assert "the previous files are still served" in message
    assert len(calls) == 1 and renames == []
    assert tree_snapshot(str(root)) == before
    assert temps_under(str(root), str(state)) == []
    assert not (state / "in-progress.json").exists()


def test_an_eio_flush_after_the_renames_says_so_and_the_next_run_finishes(tmp_path, monkeypatch, no_native_syncfs):
    root, state = tmp_path / "root", tmp_path / "state"
    deploy(root, state, files_of(V1))
    calls = []
    failing = _failing_syncfs(calls)

    def second_fails(fd):
        # The flush before the renames succeeds, the one after them fails.
        if not calls:
            calls.append(fd)
            return 0
        return failing(fd)

    monkeypatch.setattr(_profile_writer, "_LIBC_SYNCFS", {"function": second_fails})
    with pytest.raises(WriterError) as raised:
        deploy(root, state, files_of(V2))
    assert "served side by side" in str(raised.value) and os.strerror(errno.EIO) in str(raised.value)
    monkeypatch.setattr(_profile_writer, "_LIBC_SYNCFS", {})
    deploy(root, state, files_of(V2))
    assert tree_snapshot(str(root))["new/deep/c.cfg"][1] == b"C2\n"
    assert temps_under(str(root), str(state)) == []
