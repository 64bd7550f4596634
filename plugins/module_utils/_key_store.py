# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The per-device key store: its format and what a run does to it.

The store is one JSON document (kept Ansible-Vault encrypted by the
``key_store`` action plugin, which does the file and vault work)::

    {"sipfleet_key_store": 1,
     "devices": {"000b82123456": {"p1359": "<64 hex>", "created": "2026-11-21T10:00:00Z",
                                  "delivered": {"<key id>": "2026-11-21T10:05:00Z"}}}}

Devices are keyed by MAC, not by name, so renaming a phone keeps its keys.
A key, once stored, is never replaced by this code except on an explicit
rotation: new keys for a phone that already has some would lock it out.
``delivered`` records which of a device's key sets have left in a fetched
key carrier, ``closed`` those whose bootstrap window a provisioning host
closed for any other reason (unused until it expired, or never served):
both travel with the store, so a new provisioning host (or a lost state
directory) never opens a closed bootstrap window again.

Every run that may change the store reads, changes and writes it under an
exclusive lock beside the store (:func:`update_store`), so two runs at once
never lose each other's keys.
"""

from __future__ import annotations

import binascii
import calendar
import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import secrets as _random
import stat
import time

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    flock_until,
    lock_holder,
    stamp_lock_holder,
    write_file_atomic,
)

FORMAT_VERSION = 1
_HEX_RE = re.compile(r"^[0-9a-f]+$")
_KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: Fields of a device entry that are not keys; ``next`` holds the keys a
#: rotation is moving the device to, ``delivered`` the ids of the key sets
#: that left in a fetched key carrier, with the time it was first seen,
#: ``closed`` those whose window closed otherwise (expired), likewise.
META_FIELDS = ("created", "rotated", "next", "delivered", "closed")
#: Seconds a run waits for another run's lock on the store.
DEFAULT_LOCK_TIMEOUT = 300
#: Days after which a rotation nobody finished is reported as stalled.
DEFAULT_ROTATION_STALL_DAYS = 14


class KeyStoreError(ProvisioningError):
    """The key store is missing, unreadable or inconsistent."""


def empty_store():
    return {"sipfleet_key_store": FORMAT_VERSION, "devices": {}}


def parse_store(text, source):
    """The store document from its decrypted text; raises naming ``source`` when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeyStoreError("%s is not a key store (not JSON after decryption: %s); restore it from git or from "
                            "the backup, never start a new one for phones that already have keys" % (source, exc),
                            field="path")
    if not isinstance(data, dict) or data.get("sipfleet_key_store") != FORMAT_VERSION or not isinstance(
            data.get("devices"), dict):
        raise KeyStoreError("%s is not a version %d key store" % (source, FORMAT_VERSION), field="path")
    for mac, entry in data["devices"].items():
        if not isinstance(entry, dict):
            raise KeyStoreError("%s: the entry of %s is not a mapping" % (source, mac), field="path")
        keys = dict((name, value) for name, value in entry.items() if name not in META_FIELDS)
        if "next" in entry:
            if not isinstance(entry["next"], dict):
                raise KeyStoreError("%s: the next keys of %s are not a mapping" % (source, mac), field="path")
            keys.update(("next." + name, value) for name, value in entry["next"].items())
        for record in ("delivered", "closed"):
            seen = entry.get(record, {})
            if not isinstance(seen, dict):
                raise KeyStoreError("%s: the %s keys of %s are not a mapping" % (source, record, mac), field="path")
            for identifier, when in seen.items():
                if not _KEY_ID_RE.match(identifier) or not isinstance(when, str):
                    raise KeyStoreError("%s: the %s keys of %s must map 16-hex-digit key ids to UTC times, "
                                        "found %s" % (source, record, mac, _quote(identifier)), field="path")
        for name, value in keys.items():
            if not isinstance(value, str) or not _HEX_RE.match(value):
                raise KeyStoreError("%s: key %s of %s is not lower-case hex" % (source, name, mac), field="path")
    return data


def dump_store(store):
    """Stable text of the store: one device a line, so a decrypted diff is readable."""
    devices = store["devices"]
    lines = ['{"sipfleet_key_store": %d,' % FORMAT_VERSION, ' "devices": {']
    items = sorted(devices.items())
    for index, (mac, entry) in enumerate(items):
        lines.append("  %s: %s%s" % (json.dumps(mac), json.dumps(entry, sort_keys=True),
                                     "," if index < len(items) - 1 else ""))
    lines.append(" }}")
    return "\n".join(lines) + "\n"


def new_key(nbytes):
    """``nbytes`` random bytes from the operating system's generator, as lower-case hex."""
    return binascii.hexlify(_random.token_bytes(nbytes)).decode("ascii")


def _quote(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _timestamp(now):
    return time.strftime(_TIME_FORMAT, time.gmtime(now))


def _parse_timestamp(text):
    """Seconds since the epoch of a time :func:`_timestamp` wrote, or None."""
    try:
        return calendar.timegm(time.strptime(text, _TIME_FORMAT))
    except (TypeError, ValueError):
        return None


def key_id(keys):
    """A short fingerprint of a device's keys: tells new keys from old ones, reveals nothing of them."""
    material = "|".join("%s=%s" % (name, keys[name]) for name in sorted(keys))
    return hashlib.sha256(("sipfleet-key-id|" + material).encode("utf-8")).hexdigest()[:16]


class Reconciled:
    """What :func:`reconcile` found and did."""

    def __init__(self):
        self.keys = {}          # {mac: {name: hex}}: the keys the phones have now
        self.next_keys = {}     # {mac: {name: hex}}: the keys a rotation moves them to
        self.generated = []
        self.rotated = []       # rotations started in this run
        self.promoted = []      # rotations finished in this run
        self.missing = []
        self.delivered = {}     # {mac: [key id, ...]}: key sets whose window must stay closed (delivered or closed)
        self.held = []          # rotations asked for and not started: the current keys never reached the phone
        self.rebootstrapped = []  # devices whose current keys' delivery record was dropped on request
        self.stalled = []       # rotations started longer ago than the stall limit

    def rotation_report(self):
        """``{"pending": [...], "finished": [...], "stalled": [...]}``, by MAC."""
        return {"pending": sorted(self.next_keys), "finished": sorted(self.promoted), "stalled": sorted(self.stalled)}


def normalise_evidence(evidence, field):
    """``{mac: set(key ids)}`` from an option such as ``fetched`` or ``proven`` (``{mac: [key id, ...]}``)."""
    result = {}
    if not isinstance(evidence, dict):
        raise KeyStoreError("must be a mapping of MAC addresses to lists of key ids", field=field)
    for mac, ids in evidence.items():
        canonical = normalize_mac(mac, device=mac, field=field)
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, (list, tuple, set, frozenset)):
            raise KeyStoreError("must be a list of key ids, got %s" % type(ids).__name__, device=canonical,
                                field=field)
        result.setdefault(canonical, set()).update(str(item) for item in ids)
    return result


def _keys_of(keys, specs):
    return dict((name, keys[name]) for name in specs if name in keys)


def reconcile(store, wanted, generate=True, rotate=(), promote=None, now=None, fetched=None, rebootstrap=(),
              stall_days=DEFAULT_ROTATION_STALL_DAYS, closed=None):
    """Make sure every device in ``wanted`` has its keys; returns a :class:`Reconciled`.

    ``wanted`` is ``{mac: {key name: number of bytes}}`` for the devices whose
    keys the store keeps (devices with keys in the inventory are left out by
    the caller). ``generate=False`` lists devices without keys in
    ``missing`` instead of creating keys. ``rotate`` names MACs that get new
    keys *next to* their current ones: the phones still have the current
    keys until they fetch the files that hand the new ones over.

    ``promote`` (the ``proven`` option) is ``{mac: [key id, ...]}`` of key
    sets the *device itself* is known to hold (a fetch authenticated as the
    device, a Cisco fetch from the new GPP_B directory): only such proof
    finishes a rotation, making the new keys the current ones. ``fetched``
    is ``{mac: [key id, ...]}`` of complete fetches of key carriers, by
    anyone: never a proof that the phone has the keys (a stranger's fetch
    would lock the phone out), but the keys have left, so they are recorded
    in ``delivered`` and their plain window must stay closed. ``closed`` is
    ``{mac: [key id, ...]}`` of windows a provisioning host closed for any
    reason (fetched, or unused until they expired): recorded in ``closed``
    so they stay closed on every host too. ``rebootstrap`` names MACs whose
    current keys' records are dropped, so their bootstrap window opens again
    (a phone that lost its key).

    A rotation in ``rotate`` starts only for a device whose current keys are
    known to have reached it (``delivered``, or fetched or proven in this
    run): the handover is encrypted with them, and it replaces the plain
    bootstrap, so a phone that never had them would be locked out. Such
    devices are listed in ``held``.
    """
    now = time.time() if now is None else now
    devices = store["devices"]
    result = Reconciled()
    rotate = set(rotate)
    rebootstrap = set(rebootstrap)
    promote = promote or {}
    fetched = fetched or {}
    closed = closed or {}
    for mac, specs in sorted(wanted.items()):
        entry = devices.get(mac)
        if entry is not None and isinstance(entry.get("next"), dict) and key_id(
                _keys_of(entry["next"], specs)) in promote.get(mac, ()):
            entry = dict((name, value) for name, value in entry.items() if name != "next")
            entry.update(devices[mac]["next"])
            devices[mac] = entry
            result.promoted.append(mac)
        if mac in rotate and "next" not in (entry or {}) and (entry is None or not _current_keys_reached(
                entry, specs, fetched.get(mac, ()), promote.get(mac, ()), mac in rebootstrap)):
            # A new device (keys made in this run) or one not yet bootstrapped.
            result.held.append(mac)
        elif mac in rotate and entry is not None and "next" not in entry:
            entry = dict(entry)
            entry["next"] = dict((name, new_key(nbytes)) for name, nbytes in specs.items())
            entry["rotated"] = _timestamp(now)
            devices[mac] = entry
            result.rotated.append(mac)
        absent = [name for name in specs if not (entry or {}).get(name)]
        if absent:
            if not generate:
                result.missing.append(mac)
                continue
            entry = dict(entry or {})
            for name in absent:
                entry[name] = new_key(specs[name])
            entry.setdefault("created", _timestamp(now))
            devices[mac] = entry
            result.generated.append(mac)
        for prefix, keys in (("", entry), ("next.", entry.get("next") or {})):
            for name, nbytes in specs.items():
                value = keys.get(name, "x" * (2 * nbytes) if prefix else None)
                if len(value) != 2 * nbytes:
                    raise KeyStoreError("the stored %s key is %d hex digits, the vendor needs %d" % (
                        prefix + name, len(value), 2 * nbytes), device=mac, field="keys.%s" % name)
        result.keys[mac] = _keys_of(entry, specs)
        if entry.get("next"):
            result.next_keys[mac] = _keys_of(entry["next"], specs)
        _record_delivery(devices, mac, result, set(fetched.get(mac, ())) | set(promote.get(mac, ())),
                         set(closed.get(mac, ())), mac in rebootstrap, now)
        if mac in result.next_keys:
            started = _parse_timestamp(devices[mac].get("rotated"))
            if started is not None and now - started > stall_days * 86400:
                result.stalled.append(mac)
    return result


def _current_keys_reached(entry, specs, fetched, proven, rebootstrap):
    """Whether the device's current keys are known to have reached it (a logged fetch or proof, now or before)."""
    if rebootstrap:
        # Its window is being re-opened: the phone lost those keys.
        return False
    current = key_id(_keys_of(entry, specs))
    return current in (entry.get("delivered") or {}) or current in fetched or current in proven


def _record_delivery(devices, mac, result, seen, closed, rebootstrap, now):
    """Update the ``delivered`` and ``closed`` records of ``mac`` from the ids ``seen`` in the logs and ``closed``."""
    entry = devices[mac]
    current = key_id(result.keys[mac])
    live = set([current])
    if mac in result.next_keys:
        live.add(key_id(result.next_keys[mac]))
    records = {}
    for name, ids in (("delivered", seen), ("closed", closed)):
        old = entry.get(name) or {}
        # Records of keys the device no longer has (before a finished
        # rotation) mean nothing any more.
        record = dict((identifier, when) for identifier, when in old.items() if identifier in live)
        # A window closed by the fetch the delivered record already holds
        # needs no second record: it would change the store one run late.
        fresh = ids & live if name == "delivered" else ids & live - set(records["delivered"])
        for identifier in sorted(fresh):
            record.setdefault(identifier, _timestamp(now))
        # Applied after the logs and the hosts' closed windows: the fetch
        # that closed the window is still in the logs, and the window still
        # closed in the hosts' state, on the run that re-opens it (each host
        # re-opens it later in that run).
        if rebootstrap and current in record:
            del record[current]
            if mac not in result.rebootstrapped:
                result.rebootstrapped.append(mac)
        records[name] = record
    changed = dict(entry)
    for name, record in records.items():
        if record:
            changed[name] = record
        else:
            changed.pop(name, None)
    if changed != entry:
        devices[mac] = changed
    keep_closed = set(records["delivered"]) | set(records["closed"])
    if keep_closed:
        result.delivered[mac] = sorted(keep_closed)


def rotation_targets(fleet, patterns, field="rotate"):
    """MACs of the devices whose name, label or MAC matches one of ``patterns`` (``*`` matches all).

    A pattern that matches no device is an error naming ``field``: a typo
    would otherwise rotate (or re-open) nothing, silently.
    """
    macs = []
    unmatched = [str(pattern) for pattern in patterns]
    for device in fleet:
        matched = False
        for pattern in patterns:
            pattern = str(pattern)
            try:
                mac_pattern = normalize_mac(pattern, device=pattern, field=field)
            except ProvisioningError:
                mac_pattern = None
            if (fnmatch.fnmatchcase(device.label, pattern) or (device.name and fnmatch.fnmatchcase(device.name, pattern))
                    or mac_pattern == device.mac or fnmatch.fnmatchcase(device.mac, pattern.lower())):
                matched = True
                if pattern in unmatched:
                    unmatched.remove(pattern)
        if matched:
            macs.append(device.mac)
    if unmatched:
        raise KeyStoreError("%s match%s no device (names, labels or MACs, shell patterns): %s" % (
            "these patterns" if len(unmatched) > 1 else "the pattern", "" if len(unmatched) > 1 else "es",
            ", ".join(_quote(pattern, 80) for pattern in unmatched)), field=field)
    return macs


def check_store_directory(directory, path):
    """Refuse a key store directory that someone other than its owner could swap files in."""
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        raise KeyStoreError("the directory %s of the key store %s does not exist" % (directory, path), field="path")
    except OSError as exc:
        raise KeyStoreError("cannot examine the directory %s of the key store %s: %s" % (directory, path, exc.strerror),
                            field="path")
    if not stat.S_ISDIR(info.st_mode):
        raise KeyStoreError("%s, where the key store %s lives, is not a directory" % (directory, path), field="path")
    # Whoever can write the directory can replace the store with keys of
    # their own, or read the next plain copy: only its owner may.
    writers = [who for bit, who in ((stat.S_IWGRP, "its group"), (stat.S_IWOTH, "others")) if info.st_mode & bit]
    if writers:
        raise KeyStoreError("the directory %s of the key store %s is writable by %s (mode %04o): anyone who can write "
                            "there can replace the keys; chmod go-w %s" % (
                                directory, path, " and ".join(writers), stat.S_IMODE(info.st_mode), directory),
                            field="path")
    if info.st_uid not in (os.geteuid(), 0):
        raise KeyStoreError("the directory %s of the key store %s belongs to uid %d, neither the user running "
                            "(uid %d) nor root; that user can replace the keys. Keep the store in a directory of "
                            "yours" % (directory, path, info.st_uid, os.geteuid()), field="path")


@contextlib.contextmanager
def store_lock(lock_path, path, timeout):
    """Hold the exclusive ``flock`` of ``lock_path`` for the block; wait at most ``timeout`` seconds for it.

    The lock file stays (removing it would let a waiting run lock a file
    nobody else opens); its content is the PID of the holder, for the
    error message of whoever waits too long.
    """
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise KeyStoreError("cannot open the lock file %s of the key store %s: %s" % (lock_path, path, exc.strerror),
                            field="path")
    try:
        try:
            locked = flock_until(fd, time.monotonic() + timeout)
        except OSError as exc:
            raise KeyStoreError("cannot lock %s for the key store %s: %s" % (lock_path, path, exc.strerror),
                                field="path")
        if not locked:
            raise KeyStoreError(
                "another run has held the lock %s of the key store %s for more than %s seconds (holder PID %s); "
                "wait for it to finish, or raise lock_timeout"
                % (lock_path, path, timeout, lock_holder(fd, os.fstat(fd), True)), field="lock_timeout")
        stamp_lock_holder(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_store_file(real, path, decode, create):
    """``(store, created)`` from the file ``real``; ``decode`` turns its bytes into the JSON text."""
    try:
        with open(real, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        if not create:
            raise KeyStoreError(
                "the key store %s does not exist. New keys for phones that already have keys would lock them "
                "out, so it is never created silently: restore it (it belongs in the inventory's git repository, "
                "vault-encrypted), or, for a first deployment, set create: true (sipfleet_key_store_create)"
                % path, field="path")
        return empty_store(), True
    except OSError as exc:
        raise KeyStoreError("cannot read the key store %s: %s" % (path, exc.strerror), field="path")
    return parse_store(decode(raw), path), False


def write_store_file(real, path, data):
    """Replace the file ``real`` with ``data`` through a flushed temporary file beside it.

    An existing file keeps its owner, group and mode; a new one is 0600.
    ``real`` is the store with every symbolic link resolved, so a symlinked
    store path is written through to its target and stays a link.
    """
    try:
        old = os.lstat(real)
    except FileNotFoundError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise KeyStoreError("the key store %s (%s) is not a regular file" % (path, real), field="path")

    def keep_owner(fd):
        made = os.fstat(fd)
        if old is not None and (made.st_uid, made.st_gid) != (old.st_uid, old.st_gid):
            try:
                os.fchown(fd, old.st_uid, old.st_gid)
            except OSError as exc:
                raise KeyStoreError("cannot give the new key store %s the owner %d:%d of the old one: %s; "
                                    "run as that user or root" % (path, old.st_uid, old.st_gid, exc.strerror),
                                    field="path")

    write_file_atomic(real, data, stat.S_IMODE(old.st_mode) if old is not None else 0o600, prepare=keep_owner)
    # The rename itself reaches the disk with its directory.
    try:
        dir_fd = os.open(os.path.dirname(real), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def update_store(path, decode, encode, mutate, create=False, timeout=DEFAULT_LOCK_TIMEOUT, write=True):
    """Read, change and write the key store at ``path`` so that no other run can come in between.

    ``decode(raw bytes) -> JSON text`` and ``encode(JSON text) -> bytes`` do
    the vault work; ``mutate(store, created)`` changes the store in place
    and returns what the caller wants back. The store is read *inside* the
    exclusive lock ``<store>.lock`` (beside the real file), so a run that
    waited for another one starts from that run's keys and keeps them.
    ``write=False`` (check mode) reads without locking or writing anything:
    the store is only ever replaced by a rename, so a read sees a whole one.
    Returns ``(mutate's result, changed, created)``.
    """
    real = os.path.realpath(path)
    check_store_directory(os.path.dirname(real), path)
    if not write:
        return _update(real, path, decode, None, mutate, create)
    if timeout is None or timeout < 0:
        raise KeyStoreError("must be 0 or more seconds", field="lock_timeout")
    with store_lock(real + ".lock", path, timeout):
        return _update(real, path, decode, encode, mutate, create)


def _update(real, path, decode, encode, mutate, create):
    store, created = read_store_file(real, path, decode, create)
    before = dump_store(store)
    outcome = mutate(store, created)
    text = dump_store(store)
    changed = created or text != before
    if changed and encode is not None:
        write_store_file(real, path, encode(text))
    return outcome, changed, created


#: Options of the ``key_store`` action, shared by its documentation stub.
ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    devices=dict(type="list", elements="dict"),
    defaults=dict(type="dict"),
    sites=dict(type="dict"),
    models=dict(type="dict"),
    device_sources=dict(type="list", elements="str"),
    create=dict(type="bool", default=False),
    generate=dict(type="bool", default=True),
    encrypt=dict(type="bool", default=True),
    vault_id=dict(type="str"),
    rotate=dict(type="list", elements="str", default=[]),
    fetched=dict(type="dict", default={}),
    proven=dict(type="dict", default={}),
    closed=dict(type="dict", default={}),
    rebootstrap=dict(type="list", elements="str", default=[]),
    lock_timeout=dict(type="int", default=DEFAULT_LOCK_TIMEOUT),
    rotation_stall_days=dict(type="int", default=DEFAULT_ROTATION_STALL_DAYS),
    fleet_bundle=dict(type="bool", default=False),
    shard_coverage=dict(type="bool", default=True),
)
