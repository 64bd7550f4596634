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
  is left alone and reported;
* nothing follows a symbolic link below a root: every operation is made
  relative to directory descriptors opened one component at a time with
  ``O_NOFOLLOW``, so a link planted in a root (by whoever can write there)
  cannot make the writer create, change, read or delete anything outside it;
  the manifests and the journal are validated before any path they hold is
  used, and the state directory must belong to the user running the writer;
* runs that share a state directory or a root take turns: :class:`RunLock`
  holds ``flock`` locks on ``<state_dir>/lock`` and on every root for the
  whole plan and apply.

Nothing here imports Ansible, so the logic is unit-tested directly.
"""

from __future__ import annotations

import binascii
import errno
import fcntl
import grp
import hashlib
import json
import os
import posixpath
import pwd
import re
import resource
import stat
import time
from collections import OrderedDict

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import chain_problem
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import FileTag, ProfileFile

MANIFEST_VERSION = 2

# A manifest record is a list, not a dict: at 200,000 files the difference
# is a few hundred megabytes. Fields, by index: the first five, then what
# the file is (its FileTag: vendor, kind, encoding chain, openssl digest),
# by which ``--diff`` decodes the file once it is no longer rendered. A
# record written before the tag was recorded has the first five only.
# On disk the tags sit beside the records, under "tags" ({path: the last
# four fields}), and the records keep the five fields every version of the
# writer checks: an older collection reads the manifest (it ignores the key)
# instead of refusing it as altered, so going back a version keeps working.
SHA256, DEVICE, ROLE, SIZE, MTIME_NS, VENDOR, KIND, ENCODING, DIGEST = range(9)
_UNTAGGED_FIELDS, _TAGGED_FIELDS = 5, 9

#: Temporary files start with this, so a crash leftover is recognisable.
TEMP_PREFIX = ".sipfleet-tmp-"

#: The roles a rendered file can have; a manifest record naming another one
#: was not written by this writer.
ROLES = ProfileFile.ROLES

#: The lock file in the state directory; it holds the PID of the run holding it.
LOCK_FILE = "lock"

_SHA256_HEX = re.compile(r"\A[0-9a-f]{64}\Z")
# A vendor or file kind name as the descriptions write them.
_TAG_NAME = re.compile(r"\A[a-z][a-z0-9_]{0,63}\Z")
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Directories below a root are opened with these: a symbolic link fails
# with ELOOP instead of being followed.
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC


def _dir_cache_size():
    """Directory descriptors kept open per root: as many as a quarter of the descriptor limit allows.

    Files are planned and written in render order, which keeps a device's
    directories together, so even a cache smaller than the number of
    directories (Cisco's ``profile/<dir>``, one per device) opens each one
    about once per phase; the bound keeps a fleet under the descriptor limit.
    """
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ValueError, OSError):
        soft = 1024
    if soft == resource.RLIM_INFINITY or soft < 0:
        soft = 1 << 20
    return max(256, min(65536, (soft - 1024) // 4))


_DIR_CACHE_SIZE = _dir_cache_size()


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
        self.tree = None            # the _RootTree the plan was made through, kept for apply
        self.owns_tree = False

    def close(self):
        """Close the directory descriptors of a plan made without a :class:`RunLock`."""
        if self.owns_tree and self.tree is not None:
            self.tree.close()


# A relative path of non-empty parts, none of them "." or "..", without NUL:
# such a path is its own posixpath.normpath. One compiled match, since the
# manifests and the render cache check every path they list on each run.
_RELATIVE_PATH = re.compile(r"\A(?!\.\.?(?:/|\Z))[^/\x00]+(?:/(?!\.\.?(?:/|\Z))[^/\x00]+)*\Z")


def is_relative_path(path):
    """True for a path a root may hold: relative, normalised, no ``..``, no empty or ``.`` part."""
    return isinstance(path, str) and _RELATIVE_PATH.match(path) is not None


def _symlink_error(root, relpath):
    return WriterError("%s is a symbolic link inside the root %s: the writer never follows one below a root "
                       "(replace it by a real directory or file, or configure its target as a root)"
                       % (posixpath.join(root, relpath), root), field="roots")


class _RootTree:
    """One root, reached by descriptors: the root's own (the configured path, a link the admin made
    is followed) and its subdirectories', each opened from its parent with ``O_NOFOLLOW``."""

    def __init__(self, root, create=False, dir_mode=0o755):
        self.root = root
        self.fd = None
        self._cache = OrderedDict()
        self.created = []           # directories this run made, parents first
        if create:
            try:
                os.makedirs(root, mode=dir_mode, exist_ok=True)
            except OSError as exc:
                raise WriterError("cannot create the root %s: %s" % (root, exc.strerror or exc), field="roots")
        try:
            self.fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
        except FileNotFoundError:
            self.fd = None
        except NotADirectoryError:
            raise WriterError("%s exists and is not a directory" % root, field="roots")
        except OSError as exc:
            raise WriterError("cannot open the root %s: %s" % (root, exc.strerror or exc), field="roots")

    def close(self):
        for fd in self._cache.values():
            os.close(fd)
        self._cache.clear()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self):
        # A plan made without a RunLock and never closed: do not leak its descriptors.
        try:
            self.close()
        except (OSError, TypeError, AttributeError):
            pass

    def ensure_root(self, dir_mode):
        if self.fd is None:
            try:
                os.makedirs(self.root, mode=dir_mode, exist_ok=True)
                self.fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
            except OSError as exc:
                raise WriterError("cannot create the root %s: %s" % (self.root, exc.strerror or exc), field="roots")

    def dir_fd(self, reldir, policy=None):
        """The descriptor of ``reldir`` (``""``: the root); None when it does not exist.

        With ``policy`` missing directories are made (owner and mode from it).
        A symbolic link or a non-directory on the way is an error naming it.
        """
        if self.fd is None:
            if policy is None:
                return None
            self.ensure_root(policy.dir_mode)
        if reldir == "":
            return self.fd
        fd = self._cache.get(reldir)
        if fd is not None:
            self._cache.move_to_end(reldir)
            return fd
        parent, name = posixpath.split(reldir)
        parent_fd = self.dir_fd(parent, policy)
        if parent_fd is None:
            return None
        fd = self._open_child(parent_fd, name, reldir, policy)
        if fd is not None:
            self._cache[reldir] = fd
            while len(self._cache) > _DIR_CACHE_SIZE:
                os.close(self._cache.popitem(last=False)[1])
        return fd

    def _open_child(self, parent_fd, name, reldir, policy):
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except FileNotFoundError:
            if policy is None:
                return None
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise _symlink_error(self.root, reldir)
            raise WriterError("%s is not a directory" % posixpath.join(self.root, reldir), field="roots")
        os.mkdir(name, policy.dir_mode, dir_fd=parent_fd)
        self.created.append(reldir)
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        try:
            os.fchmod(fd, policy.dir_mode)
            if policy.uid != -1 or policy.gid != -1:
                os.fchown(fd, policy.uid, policy.gid)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def forget(self, reldir):
        """Drop ``reldir`` and what is below it from the cache (before removing it)."""
        for key in [key for key in self._cache if key == reldir or key.startswith(reldir + "/")]:
            os.close(self._cache.pop(key))

    def existing_dir_fd(self, reldir):
        """Like :meth:`dir_fd`, but a missing directory is an error (never None: that would mean the cwd)."""
        fd = self.dir_fd(reldir)
        if fd is None:
            raise FileNotFoundError(errno.ENOENT, "No such directory", posixpath.join(self.root, reldir))
        return fd

    def lstat(self, relpath):
        """``lstat`` of a file below the root; None when it or a parent does not exist."""
        parent, name = posixpath.split(relpath)
        parent_fd = self.dir_fd(parent)
        if parent_fd is None:
            return None
        try:
            return os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read(self, relpath):
        """The bytes of a regular file below the root, opened without following a link."""
        parent, name = posixpath.split(relpath)
        parent_fd = self.dir_fd(parent)
        if parent_fd is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", posixpath.join(self.root, relpath))
        return _read_at(parent_fd, name)


def _read_at(dir_fd, name):
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", name)
        return handle.read()


def read_served_file(root, relpath):
    """The bytes served at ``relpath`` in ``root``, or None when missing, unreadable or reached
    through a symbolic link (``--diff`` must never show the file a planted link points to)."""
    if not is_relative_path(relpath):
        return None
    tree = _RootTree(root)
    try:
        return tree.read(relpath)
    except (OSError, WriterError):
        return None
    finally:
        tree.close()


def check_state_dir(state_dir, create=True):
    """Refuse a state directory others could write to; make it 0700 when missing (with ``create``).

    Returns False when it does not exist (and ``create`` is false). Whoever
    can write there can edit the manifests, which decide what is deleted.
    """
    try:
        st = os.stat(state_dir)
    except FileNotFoundError:
        if not create:
            return False
        try:
            os.makedirs(state_dir, mode=0o700, exist_ok=True)
            st = os.stat(state_dir)
        except OSError as exc:
            raise WriterError("cannot create the state directory %s: %s" % (state_dir, exc.strerror or exc),
                              field="state_dir")
    except OSError as exc:
        raise WriterError("cannot use the state directory %s: %s" % (state_dir, exc.strerror or exc),
                          field="state_dir")
    if not stat.S_ISDIR(st.st_mode):
        raise WriterError("%s is not a directory" % state_dir, field="state_dir")
    if st.st_uid != os.geteuid():
        raise WriterError("the state directory %s is owned by uid %d, not by the user running the writer (uid %d): "
                          "its manifests decide which files are deleted" % (state_dir, st.st_uid, os.geteuid()),
                          field="state_dir")
    if st.st_mode & 0o022:
        raise WriterError("the state directory %s is writable by its group or by others (mode %04o): its manifests "
                          "decide which files are deleted; chmod go-w it" % (state_dir, stat.S_IMODE(st.st_mode)),
                          field="state_dir")
    return True


def manifest_path_for(state_dir, root):
    """The manifest of ``root`` lives in ``state_dir``, outside what the servers publish."""
    name = hashlib.sha256(os.path.realpath(root).encode("utf-8")).hexdigest()[:16]
    return os.path.join(state_dir, "manifest-%s.json" % name)


def _is_int_or_none(value):
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def is_sha256_hex(value):
    """Whether ``value`` is a SHA-256 digest as this writer records them: 64 lowercase hex digits."""
    return isinstance(value, str) and _SHA256_HEX.match(value) is not None


def _record_problem(path, record):
    """What is wrong with the manifest record of ``path`` (5 or 9 fields), or ``None``."""
    if not is_relative_path(path):
        return "the path %r is not a normalised path inside the root" % (path[:120] if isinstance(path, str) else path,)
    if not isinstance(record, list) or len(record) not in (_UNTAGGED_FIELDS, _TAGGED_FIELDS):
        return "the record of %s is not a list of %d or %d fields" % (path, _UNTAGGED_FIELDS, _TAGGED_FIELDS)
    if not is_sha256_hex(record[SHA256]):
        return "the record of %s has no SHA-256 hex digest" % path
    if record[DEVICE] is not None and not isinstance(record[DEVICE], str):
        return "the record of %s names no device" % path
    if record[ROLE] not in ROLES:
        return "the record of %s has an unknown role %r" % (path, record[ROLE])
    if not _is_int_or_none(record[SIZE]) or not _is_int_or_none(record[MTIME_NS]):
        return "the record of %s has a size or mtime that is not an integer" % path
    if len(record) == _TAGGED_FIELDS:
        return _record_tag_problem(path, record)
    return None


def _record_tag_problem(path, record, tags_seen=None):
    """What is wrong with the tag fields of the (9-field) record of ``path``, or ``None``.

    ``tags_seen``: ``{tag: problem}`` shared by the records of one manifest,
    since a fleet's files carry a handful of distinct tags (vendor, kind,
    encoding, digest) between them.
    """
    tag = _hashable_tag(record)
    if tag is None or tags_seen is None:
        problem = _tag_problem(record)
    elif tag in tags_seen:
        problem = tags_seen[tag]
    else:
        problem = tags_seen[tag] = _tag_problem(record)
    return None if problem is None else "the record of %s %s" % (path, problem)


def _hashable_tag(record):
    """The tag fields of ``record`` as a key, their types included; ``None`` when one cannot be a key."""
    encoding = record[ENCODING]
    if not isinstance(encoding, list) or not all(isinstance(step, str) for step in encoding):
        return None
    fields = (record[VENDOR], record[KIND], record[DIGEST])
    if not all(value is None or isinstance(value, str) for value in fields):
        return None
    return fields + tuple(encoding)


def _tag_problem(record):
    for index, what in ((VENDOR, "vendor"), (KIND, "file kind")):
        if record[index] is not None and not (isinstance(record[index], str) and _TAG_NAME.match(record[index])):
            return "has a %s that is not a name" % what
    problem = chain_problem(record[ENCODING], record[DIGEST])
    if problem is not None:
        return "has an encoding that cannot be: %s" % problem
    return None


def tag_record(profile_file):
    """The tag fields of ``profile_file``'s manifest record (vendor, kind, encoding, digest)."""
    return [profile_file.vendor, profile_file.kind, list(profile_file.encoding), profile_file.digest]


def record_changed(old, new):
    """Whether manifest ``new`` differs from ``old`` in what it says of the file (content or tag), not its stat."""
    return old[SHA256] != new[SHA256] or old[VENDOR:] != new[VENDOR:]


def recorded_tag(record, content=None):
    """The :class:`~._vendors.base.FileTag` a manifest ``record`` holds for ``content``, or ``None``.

    ``None`` for no record, a record written before tags were (five fields),
    or when ``content`` (the bytes on disk) is not what the record describes
    (someone changed the file since): the tag is of the bytes this writer
    wrote, and nothing is guessed for others.
    """
    if record is None or len(record) != _TAGGED_FIELDS:
        return None
    if content is not None and sha256_hex(content) != record[SHA256]:
        return None
    return FileTag(record[VENDOR], record[KIND], tuple(record[ENCODING]), record[DIGEST])


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
    if not isinstance(data["state"], dict):
        raise WriterError("the manifest %s has a state that is not a mapping: it was not written by this writer; "
                          "nothing was changed" % path, field="state_dir")
    # Its paths decide what is deleted: one that leads out of the root, or a
    # record this writer cannot have written, stops the run before anything.
    tags = data.pop("tags", {})
    problem = None if isinstance(tags, dict) else "its tags are not a mapping"
    for relpath, record in data["files"].items():
        if problem:
            break
        problem = _record_problem(relpath, record)
        if not problem and len(record) != _UNTAGGED_FIELDS:
            problem = "the record of %s is not a list of %d fields" % (relpath, _UNTAGGED_FIELDS)
    tags_seen = {}
    for relpath, tag in tags.items():
        if problem:
            break
        if relpath not in data["files"]:
            problem = "it has a tag for %r, a file it does not list" % (relpath[:120] if isinstance(relpath, str) else relpath,)
        elif not isinstance(tag, list) or len(tag) != _TAGGED_FIELDS - _UNTAGGED_FIELDS:
            problem = "the tag of %s is not a list of %d fields" % (relpath, _TAGGED_FIELDS - _UNTAGGED_FIELDS)
        else:
            # The 5 fields were checked above: only the tag's are left.
            data["files"][relpath] = data["files"][relpath] + tag
            problem = _record_tag_problem(relpath, data["files"][relpath], tags_seen)
    if problem:
        raise WriterError("the manifest %s was altered: %s; nothing was changed or deleted; move it away to "
                          "start a new one" % (path, problem), field="state_dir")
    return data


def _stat_matches(entry, st, mode, policy):
    return (st is not None and stat.S_ISREG(st.st_mode) and entry is not None
            and entry[SIZE] == st.st_size and entry[MTIME_NS] == st.st_mtime_ns
            and stat.S_IMODE(st.st_mode) == mode and policy.owner_matches(st))


def plan_root(root, files, manifest_path, policy, tree=None):
    """Compare ``files`` (ProfileFile objects) with ``root``; returns a :class:`RootPlan`.

    ``tree`` is the root as a :class:`RunLock` opened it; without one the
    plan opens its own (close it with :meth:`RootPlan.close`).
    """
    if not os.path.isabs(root):
        raise WriterError("%r is not an absolute path" % (root,), field="roots")
    manifest = load_manifest(manifest_path, root)
    plan = RootPlan(root, manifest_path)
    if tree is None:
        tree, plan.owns_tree = _RootTree(root), True
    plan.tree = tree
    try:
        _plan_files(plan, tree, files, manifest, policy)
    except BaseException:
        plan.close()
        raise
    return plan


def _plan_files(plan, tree, files, manifest, policy):
    root = plan.root
    plan.old_entries = manifest["files"]
    plan.extra_state = manifest.get("state", {})
    wanted = set()
    for profile_file in files:
        path = profile_file.path
        if not is_relative_path(path):
            raise WriterError("%r is not a normalised relative path" % (path,), device=profile_file.device,
                              field="path")
        if profile_file.role not in ROLES:
            raise WriterError("unknown file role %r of %s" % (profile_file.role, path), device=profile_file.device,
                              field="path")
        wanted.add(path)
        mode = policy.mode_for(profile_file)
        new_sha = profile_file.sha256
        entry = plan.old_entries.get(path)
        st = tree.lstat(path)
        record = [new_sha, profile_file.device, profile_file.role, None, None] + tag_record(profile_file)
        plan.entries[path] = record
        if entry is not None and entry[SHA256] == new_sha and _stat_matches(entry, st, mode, policy):
            record[SIZE], record[MTIME_NS] = st.st_size, st.st_mtime_ns
            plan.unchanged += 1
            continue
        if profile_file.content is None:
            # A render-cache stub the manifest or the disk does not vouch
            # for: never read or written; the caller renders its device.
            plan.changes.append(Change(root, path, "create" if st is None else "update", profile_file))
            continue
        if st is None:
            plan.changes.append(Change(root, path, "create", profile_file))
            continue
        if stat.S_ISLNK(st.st_mode):
            raise _symlink_error(root, path)
        if stat.S_ISDIR(st.st_mode):
            raise WriterError("%s is a directory where a profile must be written" % posixpath.join(root, path),
                              device=profile_file.device, field="path")
        if stat.S_ISREG(st.st_mode) and st.st_size == len(profile_file.content):
            current = tree.read(path)
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
        st = tree.lstat(path)
        if st is None:
            parent = posixpath.dirname(path)
            if parent and tree.lstat(parent) is not None:
                # Gone already (an earlier run stopped between pruning it and
                # removing its directory): the directory may still go.
                plan.changes.append(Change(root, path, "delete"))
                plan.old_devices[path] = entry[DEVICE]
            continue
        if not stat.S_ISREG(st.st_mode):
            plan.kept_foreign.append(path)
            continue
        ours = (entry[SIZE] == st.st_size and entry[MTIME_NS] == st.st_mtime_ns) or (
            entry[SHA256] == sha256_hex(tree.read(path)))
        if ours:
            plan.changes.append(Change(root, path, "delete"))
            plan.old_devices[path] = entry[DEVICE]
        else:
            plan.kept_foreign.append(path)


def _journal_path(state_dir):
    return os.path.join(state_dir, "in-progress.json")


def _journal_problem(journal, trees):
    """``(tree, reldir)`` pairs of a journal's directories, or an error naming it when one is outside every root."""
    pairs = []
    token = journal.get("token") if isinstance(journal, dict) else None
    directories = journal.get("directories") if isinstance(journal, dict) else journal
    if not isinstance(directories, list) or (isinstance(journal, dict) and not (
            isinstance(token, str) and re.match(r"\A[0-9a-f]{1,64}\Z", token))):
        return None, "it is not a journal of this writer"
    for item in directories:
        if isinstance(journal, list):
            # The journal of earlier versions names the temporary files themselves.
            if not isinstance(item, str) or not posixpath.basename(item).startswith(TEMP_PREFIX):
                return None, "%r is not a temporary file of this writer" % (item,)
        found = None
        for tree in trees:
            for base in (posixpath.normpath(tree.root), os.path.realpath(tree.root)):
                if isinstance(item, str) and item.startswith(base.rstrip("/") + "/"):
                    rel = item[len(base.rstrip("/")) + 1:]
                    if is_relative_path(rel):
                        found = (tree, rel)
                elif item == base and isinstance(journal, dict):
                    found = (tree, "")
                if found:
                    break
            if found:
                break
        if found is None:
            return None, "%r is not inside a configured root" % (item,)
        pairs.append(found)
    return pairs, None


def clean_leftovers(state_dir, trees):
    """Remove the temporary files of a run that was killed before it finished.

    The journal is written before the first temporary file is made: it names
    the run's token and every directory the run stages files in, so whatever
    a kill leaves behind (a complete temporary file, or one still being
    written) is found by listing those directories only. A journal naming a
    directory outside the roots ``trees`` (``_RootTree``) stops the run; its
    directories are reached without following a link. Temporary files of
    the state directory's own atomic writes are removed as well.
    """
    removed = 0
    journal = _journal_path(state_dir)
    try:
        with open(journal, "rb") as handle:
            recorded = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        recorded = None
    except (OSError, ValueError) as exc:
        raise WriterError("cannot read the journal %s (%s); remove it (the temporary files it names are then left "
                          "for you to remove)" % (journal, exc), field="state_dir")
    if recorded is not None:
        pairs, problem = _journal_problem(recorded, trees)
        if problem:
            raise WriterError("the journal %s was altered: %s; nothing was deleted; remove it (the temporary files "
                              "it names are then left for you to remove)" % (journal, problem), field="state_dir")
        if isinstance(recorded, list):
            for tree, rel in pairs:
                parent, name = posixpath.split(rel)
                parent_fd = tree.dir_fd(parent)
                if parent_fd is not None:
                    removed += _unlink_quietly(name, parent_fd)
        else:
            suffix = "." + recorded["token"]
            for tree, rel in pairs:
                directory_fd = tree.dir_fd(rel)
                if directory_fd is not None:
                    removed += _remove_temps(directory_fd, lambda name: name.endswith(suffix))
        os.unlink(journal)
    state_fd = os.open(state_dir, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        removed += _remove_temps(state_fd, lambda name: True)
    finally:
        os.close(state_fd)
    return removed


def _unlink_quietly(name, dir_fd):
    try:
        os.unlink(name, dir_fd=dir_fd)
        return 1
    except (FileNotFoundError, IsADirectoryError):
        return 0


def _remove_temps(directory_fd, matches):
    removed = 0
    for entry in os.scandir(directory_fd):
        if entry.name.startswith(TEMP_PREFIX) and matches(entry.name) and not entry.is_dir(follow_symlinks=False):
            removed += _unlink_quietly(entry.name, directory_fd)
    return removed


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _new_token():
    return binascii.hexlify(os.urandom(8)).decode("ascii")


def write_file_atomic(path, data, mode=0o600, prepare=None):
    """Replace ``path`` with ``data`` (bytes) through a flushed temporary file in its directory.

    ``prepare(fd)``, when given, is called on the temporary file before the
    first byte is written (the key store gives it the old store's owner).
    """
    directory, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, "%s%s.%s" % (TEMP_PREFIX, name, _new_token()))
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600)
        try:
            if prepare is not None:
                prepare(fd)
            _write_all(fd, data)
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _write_json_atomic(path, data, mode=0o600):
    write_file_atomic(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"), mode)


class _Staged:
    __slots__ = ("tree", "reldir", "name", "temp", "renamed")

    def __init__(self, tree, reldir, name, temp):
        self.tree = tree
        self.reldir = reldir
        self.name = name
        self.temp = temp
        self.renamed = False


def _staging_directories(plans):
    directories = set()
    for plan in plans:
        for change in plan.changes:
            if change.action in ("create", "update"):
                directories.add(posixpath.normpath(posixpath.join(plan.root, posixpath.dirname(change.path))))
    return sorted(directories)


def _stage(plan, change, policy, token, staged):
    reldir, name = posixpath.split(change.path)
    directory_fd = plan.tree.dir_fd(reldir, policy)
    temp = "%s%s.%s" % (TEMP_PREFIX, name, token)
    # 0600 until complete, so no server can hand out a partial file under the
    # temporary name; the final owner and mode are set once every byte is out.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600, dir_fd=directory_fd)
    staged.append(_Staged(plan.tree, reldir, name, temp))
    try:
        _write_all(fd, change.new.content)
        if policy.uid != -1 or policy.gid != -1:
            os.fchown(fd, policy.uid, policy.gid)
        os.fchmod(fd, policy.mode_for(change.new))
    finally:
        os.close(fd)


def _undo_staging(staged, plans, journal):
    """After a failure: remove the temporary files not yet renamed, the directories this run made, the journal."""
    for item in staged:
        if not item.renamed:
            try:
                directory_fd = item.tree.dir_fd(item.reldir)
                if directory_fd is not None:
                    _unlink_quietly(item.temp, directory_fd)
            except (OSError, WriterError):
                pass
    for plan in plans:
        if plan.tree is None:
            continue
        for reldir in reversed(plan.tree.created):
            try:
                parent_fd = plan.tree.dir_fd(posixpath.dirname(reldir))
                plan.tree.forget(reldir)
                if parent_fd is not None:
                    os.rmdir(posixpath.basename(reldir), dir_fd=parent_fd)
            except (OSError, WriterError):
                pass
        del plan.tree.created[:]
    try:
        os.unlink(journal)
    except OSError:
        pass


#: The libc ``syncfs`` found through ctypes, looked up at the first flush (``{"function": callable or None}``).
_LIBC_SYNCFS = {}


def _libc_syncfs():
    """glibc's (or musl's) ``syncfs`` through ctypes, or None where ctypes or the symbol is missing.

    CPython has no ``os.syncfs`` (3.13 measured), so the writer calls the C
    library; argtypes are set so the descriptor goes as a C ``int``.
    """
    if "function" not in _LIBC_SYNCFS:
        function = None
        try:
            import ctypes
            function = ctypes.CDLL(None, use_errno=True).syncfs
            function.argtypes = [ctypes.c_int]
            function.restype = ctypes.c_int
        except (ImportError, OSError, AttributeError):
            function = None
        _LIBC_SYNCFS["function"] = function
    return _LIBC_SYNCFS["function"]


def _syncfs(fd):
    """Flush the file system holding ``fd``: True, or False where this Python and libc offer no ``syncfs``.

    A failure (``-1``: since Linux 5.8 also a writeback error such as EIO
    that ``os.sync()`` swallows) raises ``OSError`` with the errno.
    """
    native = getattr(os, "syncfs", None)
    if native is not None:
        native(fd)
        return True
    function = _libc_syncfs()
    if function is None:
        return False
    if function(fd) != 0:
        import ctypes
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return True


def flush_filesystems(places, consequence):
    """Flush the file system of each ``(path, fd)`` of ``places`` once: one ``syncfs`` per distinct ``st_dev``.

    Only the roots' (and the state directory's) file systems are written
    back, not the whole machine's as ``os.sync()`` does. Without ``syncfs``
    (ctypes or the symbol missing) one ``os.sync()`` does it. A failed flush
    raises :class:`WriterError` naming the path, the reason and
    ``consequence`` (what is served now).
    """
    seen = set()
    for path, fd in places:
        device = os.fstat(fd).st_dev
        if device in seen:
            continue
        seen.add(device)
        try:
            flushed = _syncfs(fd)
        except OSError as exc:
            raise WriterError("cannot flush the file system of %s to disk: %s; %s"
                              % (path, exc.strerror or exc, consequence), field="roots")
        if not flushed:
            os.sync()
            return


def _root_places(plans):
    places = []
    for plan in plans:
        if plan.tree.fd is not None:
            places.append((plan.root, plan.tree.fd))
    return places


def apply_plans(plans, policy, state_dir):
    """Carry out ``plans``; returns ``{"written": n, "pruned": n}``.

    Every new file is staged and flushed to disk before the first rename, so
    an error while staging (disk full, permission) leaves every root as it
    was. Manifests are written last; a failure after the first rename leaves
    old and new files side by side, complete, for the next run to finish (it
    compares contents). Whatever fails, and however (an exception that is
    not an ``OSError``, an interrupt), the run's temporary files and its
    journal are removed before the error goes on.
    """
    check_state_dir(state_dir)
    for plan in plans:
        if plan.tree is None:
            plan.tree, plan.owns_tree = _RootTree(plan.root), True
    staged = []
    journal = _journal_path(state_dir)
    token = _new_token()
    try:
        try:
            where, field = state_dir, "state_dir"
            clean_leftovers(state_dir, [plan.tree for plan in plans])
            for plan in plans:
                plan.tree.ensure_root(policy.dir_mode)
            where, field = journal, "state_dir"
            directories = _staging_directories(plans)
            if directories:
                # Before the first temporary file: a kill at any later point
                # leaves a journal that finds every file this run made.
                _write_json_atomic(journal, {"token": token, "directories": directories})
            for plan in plans:
                for change in plan.changes:
                    if change.action in ("create", "update"):
                        where, field = posixpath.join(change.root, change.path), "roots"
                        _stage(plan, change, policy, token, staged)
            if staged:
                where, field = "the profile roots", "roots"
                # One flush of each file system rather than an fsync per file:
                # at fleet scale thousands of fsyncs would dominate the run.
                # The state directory's too: its journal must be on disk
                # before a rename makes a staged file served.
                state_fd = os.open(state_dir, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
                try:
                    flush_filesystems(_root_places(plans) + [(state_dir, state_fd)],
                                      "nothing was changed, the previous files are still served")
                finally:
                    os.close(state_fd)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise WriterError("no space left on the device of %s: nothing was changed, the previous files are "
                                  "still served" % where, field=field)
            raise WriterError("cannot write %s: %s; nothing was changed, the previous files are still served"
                              % (where, exc.strerror or exc), field=field)
        try:
            result = _commit(plans, policy, staged)
            try:
                os.unlink(journal)
            except FileNotFoundError:
                pass
        except OSError as exc:
            raise WriterError("cannot finish writing the profile roots (%s); old and new files are served side by "
                              "side, run again to finish" % (exc,), field="roots")
    except BaseException:
        _undo_staging(staged, plans, journal)
        raise
    return result


def _commit(plans, policy, staged):
    written = pruned = 0
    for item in staged:
        directory_fd = item.tree.existing_dir_fd(item.reldir)
        os.rename(item.temp, item.name, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
        item.renamed = True
        written += 1
    for plan in plans:
        del plan.tree.created[:]    # now holding served files: never removed by a clean-up
        for change in plan.changes:
            if change.action == "attributes":
                _set_attributes(plan.tree, change.path, policy, policy.mode_for(change.new))
                written += 1
            elif change.action == "delete":
                parent, name = posixpath.split(change.path)
                parent_fd = plan.tree.dir_fd(parent)
                if parent_fd is not None:
                    pruned += _unlink_quietly(name, parent_fd)
                _remove_empty_parents(plan.tree, change.path)
    if staged:
        # The renames on disk before a manifest vouches for the files.
        flush_filesystems(_root_places(plans), "old and new files are served side by side, run again to finish")
    for plan in plans:
        files, tags = {}, {}
        for path, record in plan.entries.items():
            if record[SIZE] is None:
                st = plan.tree.lstat(path)
                record[SIZE], record[MTIME_NS] = st.st_size, st.st_mtime_ns
            files[path] = record[:_UNTAGGED_FIELDS]
            if len(record) == _TAGGED_FIELDS:
                tags[path] = record[_UNTAGGED_FIELDS:]
        _write_json_atomic(plan.manifest_path, {
            "version": MANIFEST_VERSION, "root": plan.root, "files": files, "tags": tags, "state": plan.extra_state})
    return {"written": written, "pruned": pruned}


def _set_attributes(tree, relpath, policy, mode):
    """Owner and mode of an existing file, through a descriptor opened without following a link."""
    parent, name = posixpath.split(relpath)
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=tree.existing_dir_fd(parent))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise WriterError("%s is no longer a regular file" % posixpath.join(tree.root, relpath), field="roots")
        if policy.uid != -1 or policy.gid != -1:
            os.fchown(fd, policy.uid, policy.gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _remove_empty_parents(tree, path):
    """Remove directories left empty by pruning (Cisco's per-device ``profile/<dir>``), never the root."""
    parent = posixpath.dirname(path)
    while parent:
        grandparent_fd = tree.dir_fd(posixpath.dirname(parent))
        if grandparent_fd is None:
            return
        tree.forget(parent)
        try:
            os.rmdir(posixpath.basename(parent), dir_fd=grandparent_fd)
        except OSError as exc:
            # Not empty (another device's files, someone else's) is the end
            # of it; any other failure is reported so the next run retries.
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                return
            raise
        parent = posixpath.dirname(parent)


def flock_until(fd, deadline):
    """Take the exclusive ``flock`` of ``fd``, retrying until ``time.monotonic()`` reaches ``deadline``.

    Returns False if another process still holds it then; other errors
    (``OSError``) go to the caller.
    """
    delay = 0.01
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.2)


def stamp_lock_holder(fd):
    """Write this process's PID into the lock file ``fd``, for the error of a run that waits too long."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, b"%d\n" % os.getpid(), 0)


def lock_holder(fd, st, is_file):
    """The PID holding ``fd``'s lock: what the holder wrote into the lock file, else from /proc/locks."""
    if is_file:
        try:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            if text.isdigit():
                return text
        except OSError:
            pass
    wanted = "%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    try:
        with open("/proc/locks", "r") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == wanted and fields[4].isdigit():
                    return fields[4]
    except OSError:
        pass
    return "unknown"


class RunLock:
    """Serialise runs that share a state directory or a root.

    ``flock`` locks on ``<state_dir>/lock`` and on each root's directory,
    taken in the order of their real paths (two runs sharing some of them
    cannot each wait for the other), waiting up to ``timeout`` seconds. The
    roots' descriptors are the ones the plan and the writing go through
    (:meth:`tree`). With ``create`` false (check mode) a missing state
    directory is neither made nor locked: there is nothing to read. A root
    that does not exist yet is not locked (it is made when the first file is
    written): runs sharing it share their state directory, whose lock covers it.
    """

    def __init__(self, state_dir, roots, timeout, dir_mode=0o755, create=True):
        self.trees = {}
        self._locks = []            # (real path, fd, is the lock file)
        self._lock_fd = None
        try:
            self._acquire(state_dir, roots, timeout, dir_mode, create)
        except BaseException:
            self.release()
            raise

    def _acquire(self, state_dir, roots, timeout, dir_mode, create):
        if check_state_dir(state_dir, create):
            path = os.path.join(os.path.realpath(state_dir), LOCK_FILE)
            try:
                self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | _CLOEXEC, 0o600)
            except OSError as exc:
                raise WriterError("cannot open the lock file %s: %s" % (path, exc.strerror or exc), field="state_dir")
            self._locks.append((path, self._lock_fd, True))
        for root in roots:
            real = os.path.realpath(root)
            if real in self.trees:
                continue
            tree = _RootTree(root)
            self.trees[real] = tree
            if tree.fd is not None:
                self._locks.append((real, tree.fd, False))
        deadline = time.monotonic() + max(0, timeout)
        for path, fd, is_file in sorted(self._locks, key=lambda item: item[0]):
            if not flock_until(fd, deadline):
                holder = lock_holder(fd, os.fstat(fd), is_file)
                raise WriterError("another run still holds the lock %s (PID %s) after %d seconds of waiting: "
                                  "wait for it to finish, or raise lock_timeout" % (path, holder, timeout),
                                  field="lock_timeout")
        if self._lock_fd is not None:
            # Best effort: who holds it is for the error of a run that waits,
            # and a full state directory must not stop the run here.
            try:
                stamp_lock_holder(self._lock_fd)
            except OSError:
                pass

    def tree(self, root):
        """The descriptors of ``root`` this lock holds."""
        return self.trees.get(os.path.realpath(root))

    def release(self):
        # Closing the descriptors releases their flock locks.
        for tree in self.trees.values():
            tree.close()
        self.trees = {}
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self._locks = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.release()
