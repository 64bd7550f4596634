# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write a rendered fleet into provisioning roots: only what changed, atomically.

Guarantees, for every root:

* a phone never downloads half a file: each file is written to a temporary
  file in its own directory (readable by root only until it is complete) and
  renamed over the old one;
* a failed run leaves the previous files in place: every temporary file is
  written (and flushed to disk) before the first rename, so a full disk or a
  bad device stops the run while the old profiles are still served;
* a rerun with unchanged input touches nothing: files are compared by
  content (SHA-256), and a file whose size, mtime, mode and owner still match
  what the manifest recorded is not even read;
* only files this writer wrote are ever deleted: the manifest, kept outside
  the served root, lists them; a file that was changed by someone else since
  is left alone and reported.

Nothing here imports Ansible, so the logic is unit-tested directly.
"""

from __future__ import annotations

import binascii
import errno
import grp
import hashlib
import json
import os
import pwd
import stat
import tempfile

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError

MANIFEST_VERSION = 2

# A manifest record is a list, not a dict: at 200,000 files the difference
# is a few hundred megabytes. Fields, by index:
SHA256, DEVICE, ROLE, SIZE, MTIME_NS = range(5)

#: Temporary files start with this, so a crash leftover is recognisable.
TEMP_PREFIX = ".sipfleet-tmp-"


class WriterError(ProvisioningError):
    """A root, the state directory or a file could not be written."""


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def resolve_owner(owner, group):
    """``(uid, gid)`` for user and group names or numbers; ``-1`` keeps the current one."""
    uid = gid = -1
    if owner not in (None, ""):
        try:
            uid = int(owner) if str(owner).isdigit() else pwd.getpwnam(owner).pw_uid
        except KeyError:
            raise WriterError("no such user %r" % (owner,), field="owner")
    if group not in (None, ""):
        try:
            gid = int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid
        except KeyError:
            raise WriterError("no such group %r" % (group,), field="group")
    return uid, gid


def parse_mode(value, field):
    """A file mode from ``0640``, ``"0640"`` or ``"640"`` (octal) to an int."""
    if isinstance(value, int):
        mode = value
    else:
        try:
            mode = int(str(value), 8)
        except ValueError:
            raise WriterError("%r is not an octal file mode such as 0640" % (value,), field=field)
    if mode & ~0o777:
        raise WriterError("%s is not a file permission mode (only 0000 to 0777)" % (oct(mode),), field=field)
    return mode


class FilePolicy:
    """Owner and modes of the written files."""

    def __init__(self, uid=-1, gid=-1, mode=0o644, secret_mode=0o640, dir_mode=0o755):
        if secret_mode & 0o007:
            raise WriterError("secret files must not be readable or writable by others (got %s)" % oct(secret_mode),
                              field="secret_mode")
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.secret_mode = secret_mode
        self.dir_mode = dir_mode

    def mode_for(self, profile_file):
        return self.secret_mode if profile_file.secret else self.mode

    def owner_matches(self, st):
        return (self.uid in (-1, st.st_uid)) and (self.gid in (-1, st.st_gid))


class Change:
    """One file to create, update or delete in one root."""

    __slots__ = ("root", "path", "action", "new")

    def __init__(self, root, path, action, new=None):
        self.root = root
        self.path = path
        self.action = action          # create | update | attributes | delete
        self.new = new                # ProfileFile for create/update/attributes

    @property
    def device(self):
        return self.new.device if self.new is not None else None

    def __repr__(self):
        return "Change(%s, %s, %s)" % (self.action, self.root, self.path)


class RootPlan:
    """What a run will do in one root."""

    def __init__(self, root, manifest_path):
        self.root = root
        self.manifest_path = manifest_path
        self.changes = []
        self.unchanged = 0
        self.kept_foreign = []      # manifest entries changed by someone else: not deleted
        self.entries = {}           # the new manifest's files
        self.old_entries = {}
        self.old_devices = {}       # path -> device of the old manifest, for deletions
        self.extra_state = {}


def manifest_path_for(state_dir, root):
    """The manifest of ``root`` lives in ``state_dir``, outside what the servers publish."""
    name = hashlib.sha256(os.path.realpath(root).encode("utf-8")).hexdigest()[:16]
    return os.path.join(state_dir, "manifest-%s.json" % name)


def load_manifest(path, root):
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        return {"version": MANIFEST_VERSION, "root": root, "files": {}, "state": {}}
    except (OSError, ValueError) as exc:
        raise WriterError("cannot read the manifest %s (%s); move it away to start a new one: files it lists "
                          "will then no longer be pruned" % (path, exc), field="state_dir")
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION or not isinstance(data.get("files"), dict):
        raise WriterError("%s is not a version %d manifest" % (path, MANIFEST_VERSION), field="state_dir")
    data.setdefault("state", {})
    return data


def _stat_or_none(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None


def _stat_matches(entry, st, mode, policy):
    return (st is not None and stat.S_ISREG(st.st_mode) and entry is not None
            and entry[SIZE] == st.st_size and entry[MTIME_NS] == st.st_mtime_ns
            and stat.S_IMODE(st.st_mode) == mode and policy.owner_matches(st))


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def plan_root(root, files, manifest_path, policy):
    """Compare ``files`` (ProfileFile objects) with ``root``; returns a :class:`RootPlan`."""
    if not os.path.isabs(root):
        raise WriterError("%r is not an absolute path" % (root,), field="roots")
    if os.path.exists(root) and not os.path.isdir(root):
        raise WriterError("%s exists and is not a directory" % root, field="roots")
    manifest = load_manifest(manifest_path, root)
    plan = RootPlan(root, manifest_path)
    plan.old_entries = manifest["files"]
    plan.extra_state = manifest.get("state", {})
    wanted = set()
    for profile_file in files:
        path = profile_file.path
        wanted.add(path)
        target = os.path.join(root, path)
        mode = policy.mode_for(profile_file)
        new_sha = sha256_hex(profile_file.content)
        entry = plan.old_entries.get(path)
        st = _stat_or_none(target)
        record = [new_sha, profile_file.device, profile_file.role, None, None]
        plan.entries[path] = record
        if entry is not None and entry[SHA256] == new_sha and _stat_matches(entry, st, mode, policy):
            record[SIZE], record[MTIME_NS] = st.st_size, st.st_mtime_ns
            plan.unchanged += 1
            continue
        if st is None:
            plan.changes.append(Change(root, path, "create", profile_file))
            continue
        if stat.S_ISDIR(st.st_mode):
            raise WriterError("%s is a directory where a profile must be written" % target,
                              device=profile_file.device, field="path")
        if stat.S_ISREG(st.st_mode) and st.st_size == len(profile_file.content):
            current = _read(target)
        else:
            current = None
        if current == profile_file.content:
            if stat.S_IMODE(st.st_mode) == mode and policy.owner_matches(st):
                record[SIZE], record[MTIME_NS] = st.st_size, st.st_mtime_ns
                plan.unchanged += 1
            else:
                plan.changes.append(Change(root, path, "attributes", profile_file))
            continue
        plan.changes.append(Change(root, path, "update", profile_file))
    for path in sorted(set(plan.old_entries) - wanted):
        entry = plan.old_entries[path]
        target = os.path.join(root, path)
        st = _stat_or_none(target)
        if st is None:
            continue
        if not stat.S_ISREG(st.st_mode):
            plan.kept_foreign.append(path)
            continue
        ours = (entry[SIZE] == st.st_size and entry[MTIME_NS] == st.st_mtime_ns) or (
            entry[SHA256] == sha256_hex(_read(target)))
        if ours:
            plan.changes.append(Change(root, path, "delete"))
            plan.old_devices[path] = entry[DEVICE]
        else:
            plan.kept_foreign.append(path)
    return plan


def _check_inside(root_real, directory):
    real = os.path.realpath(directory)
    if real != root_real and not real.startswith(root_real + os.sep):
        raise WriterError("%s leads outside the root %s (a symbolic link?)" % (directory, root_real), field="roots")


def _ensure_dirs(root, path, policy, created, checked):
    """Create the parent directories of ``path`` inside ``root``; never follow a link out of it."""
    parent = os.path.dirname(path)
    if not parent or (root, parent) in checked:
        return
    root_real = os.path.realpath(root)
    current = root
    for part in [p for p in parent.split("/") if p]:
        current = os.path.join(current, part)
        try:
            os.mkdir(current, policy.dir_mode)
        except FileExistsError:
            pass
        else:
            os.chmod(current, policy.dir_mode)
            if policy.uid != -1 or policy.gid != -1:
                os.chown(current, policy.uid, policy.gid)
            created.append(current)
        _check_inside(root_real, current)
    checked.add((root, parent))


class _Staged:
    __slots__ = ("change", "temp", "target")

    def __init__(self, change, temp, target):
        self.change = change
        self.temp = temp
        self.target = target


def _journal_path(state_dir):
    return os.path.join(state_dir, "in-progress.json")


def clean_leftovers(state_dir):
    """Remove the temporary files of a run that was killed before it finished.

    The journal is written before the first temporary file is made: it names
    the run's token and every directory the run stages files in, so whatever
    a kill leaves behind (a complete temporary file, or one still being
    written) is found by listing those directories only. Temporary files of
    the state directory's own atomic writes are removed as well.
    """
    removed = 0
    journal = _journal_path(state_dir)
    try:
        with open(journal, "rb") as handle:
            recorded = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        recorded = None
    except (OSError, ValueError):
        recorded = {}
    if recorded is not None:
        token = recorded.get("token") if isinstance(recorded, dict) else None
        directories = recorded.get("directories") if isinstance(recorded, dict) else None
        if isinstance(recorded, list):
            # The journal of earlier versions: the temporary files themselves.
            for temp in recorded:
                if isinstance(temp, str) and os.path.basename(temp).startswith(TEMP_PREFIX):
                    try:
                        os.unlink(temp)
                        removed += 1
                    except FileNotFoundError:
                        pass
        elif isinstance(token, str) and token and isinstance(directories, list):
            suffix = "." + token
            for directory in directories:
                if isinstance(directory, str):
                    removed += _remove_temps(directory, lambda name: name.endswith(suffix))
        os.unlink(journal)
    removed += _remove_temps(state_dir, lambda name: True)
    return removed


def _remove_temps(directory, matches):
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) and matches(entry.name) and not entry.is_dir(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def write_file_atomic(path, data, mode=0o600):
    """Replace ``path`` with ``data`` (bytes) through a flushed temporary file in its directory."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _write_json_atomic(path, data, mode=0o600):
    write_file_atomic(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"), mode)


def _stage(change, policy, token, created_dirs, checked_dirs):
    target = os.path.join(change.root, change.path)
    _ensure_dirs(change.root, change.path, policy, created_dirs, checked_dirs)
    directory, name = os.path.split(target)
    temp = os.path.join(directory, "%s%s.%s" % (TEMP_PREFIX, name, token))
    # 0600 until complete, so no server can hand out a partial file under the
    # temporary name; the final owner and mode are set once every byte is
    # out of Python's buffer.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(change.new.content)
            handle.flush()
            if policy.uid != -1 or policy.gid != -1:
                os.fchown(handle.fileno(), policy.uid, policy.gid)
            os.fchmod(handle.fileno(), policy.mode_for(change.new))
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return _Staged(change, temp, target)


def _staging_directories(plans):
    directories = set()
    for plan in plans:
        for change in plan.changes:
            if change.action in ("create", "update"):
                directories.add(os.path.dirname(os.path.join(change.root, change.path)))
    return sorted(directories)


def apply_plans(plans, policy, state_dir):
    """Carry out ``plans``; returns ``{"written": n, "pruned": n}``.

    Every new file is staged and flushed to disk before the first rename, so
    an error while staging (disk full, permission) leaves every root as it
    was. Manifests are written last; a crash in between is repaired by the
    next run, which compares contents and cleans up temporary files.
    """
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    clean_leftovers(state_dir)
    for plan in plans:
        os.makedirs(plan.root, mode=policy.dir_mode, exist_ok=True)
    staged = []
    created_dirs = []
    checked_dirs = set()
    journal = _journal_path(state_dir)
    token = binascii.hexlify(os.urandom(8)).decode("ascii")
    where, field = journal, "state_dir"
    try:
        directories = _staging_directories(plans)
        if directories:
            # Before the first temporary file: a kill at any later point
            # leaves a journal that finds every file this run made.
            _write_json_atomic(journal, {"token": token, "directories": directories})
        for plan in plans:
            for change in plan.changes:
                if change.action in ("create", "update"):
                    where, field = os.path.join(change.root, change.path), "roots"
                    staged.append(_stage(change, policy, token, created_dirs, checked_dirs))
        if staged:
            where, field = "the profile roots", "roots"
            # One flush of everything rather than an fsync per file: at fleet
            # scale thousands of fsyncs would dominate the run.
            os.sync()
    except OSError as exc:
        for item in staged:
            try:
                os.unlink(item.temp)
            except OSError:
                pass
        for directory in reversed(created_dirs):
            try:
                os.rmdir(directory)
            except OSError:
                pass
        try:
            os.unlink(journal)
        except OSError:
            pass
        if exc.errno == errno.ENOSPC:
            raise WriterError("no space left on the device of %s: nothing was changed, the previous files are "
                              "still served" % where, field=field)
        raise WriterError("cannot write %s: %s; nothing was changed, the previous files are still served"
                          % (where, exc.strerror or exc), field=field)
    written = pruned = 0
    for item in staged:
        os.replace(item.temp, item.target)
        written += 1
    for plan in plans:
        for change in plan.changes:
            target = os.path.join(change.root, change.path)
            if change.action == "attributes":
                if policy.uid != -1 or policy.gid != -1:
                    os.lchown(target, policy.uid, policy.gid)
                os.chmod(target, policy.mode_for(change.new))
                written += 1
            elif change.action == "delete":
                try:
                    os.unlink(target)
                    pruned += 1
                except FileNotFoundError:
                    pass
                _remove_empty_parents(plan.root, change.path)
    if staged:
        os.sync()
    for plan in plans:
        files = {}
        for path, record in plan.entries.items():
            if record[SIZE] is None:
                st = os.lstat(os.path.join(plan.root, path))
                record[SIZE], record[MTIME_NS] = st.st_size, st.st_mtime_ns
            files[path] = record
        _write_json_atomic(plan.manifest_path, {
            "version": MANIFEST_VERSION, "root": plan.root, "files": files, "state": plan.extra_state})
    try:
        os.unlink(journal)
    except FileNotFoundError:
        pass
    return {"written": written, "pruned": pruned}


def _remove_empty_parents(root, path):
    """Remove directories left empty by pruning (Cisco's per-device ``profile/<dir>``), never the root."""
    parent = os.path.dirname(path)
    while parent:
        try:
            os.rmdir(os.path.join(root, parent))
        except OSError:
            return
        parent = os.path.dirname(parent)
