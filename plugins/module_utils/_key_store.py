# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The per-device key store: its format and what a run does to it.

The store is one JSON document (kept Ansible-Vault encrypted by the
``key_store`` action plugin, which does the file and vault work)::

    {"sipfleet_key_store": 1,
     "devices": {"000b82123456": {"p1359": "<64 hex>", "created": "2026-11-21T10:00:00Z"}}}

Devices are keyed by MAC, not by name, so renaming a phone keeps its keys.
A key, once stored, is never replaced by this code except on an explicit
rotation: new keys for a phone that already has some would lock it out.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
import secrets as _random
import time

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac

FORMAT_VERSION = 1
_HEX_RE = re.compile(r"^[0-9a-f]+$")
#: Fields of a device entry that are not keys; ``next`` holds the keys a
#: rotation is moving the device to.
META_FIELDS = ("created", "rotated", "next")


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


def _timestamp(now):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


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


def reconcile(store, wanted, generate=True, rotate=(), promote=None, now=None):
    """Make sure every device in ``wanted`` has its keys; returns a :class:`Reconciled`.

    ``wanted`` is ``{mac: {key name: number of bytes}}`` for the devices whose
    keys the store keeps (devices with keys in the inventory are left out by
    the caller). ``generate=False`` lists devices without keys in
    ``missing`` instead of creating keys. ``rotate`` names MACs that get new
    keys *next to* their current ones: the phones still have the current
    keys until they fetch the files that hand the new ones over.
    ``promote`` is ``{mac: [key id, ...]}`` of key sets the phones are known
    to have (from the servers' logs): a rotation whose new keys are listed is
    finished, and the new keys become the current ones.
    """
    now = time.time() if now is None else now
    devices = store["devices"]
    result = Reconciled()
    rotate = set(rotate)
    promote = promote or {}
    for mac, specs in sorted(wanted.items()):
        entry = devices.get(mac)
        if entry is not None and isinstance(entry.get("next"), dict) and key_id(entry["next"]) in promote.get(mac, ()):
            entry = dict((name, value) for name, value in entry.items() if name != "next")
            entry.update(devices[mac]["next"])
            devices[mac] = entry
            result.promoted.append(mac)
        if mac in rotate and entry is not None and "next" not in entry:
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
        result.keys[mac] = dict((name, entry[name]) for name in specs)
        if entry.get("next"):
            result.next_keys[mac] = dict((name, entry["next"][name]) for name in specs if name in entry["next"])
    return result


def rotation_targets(fleet, patterns):
    """MACs of the devices whose name, label or MAC matches one of ``patterns`` (``*`` matches all)."""
    import fnmatch

    macs = []
    for device in fleet:
        for pattern in patterns:
            pattern = str(pattern)
            try:
                mac_pattern = normalize_mac(pattern, device=pattern, field="rotate")
            except ProvisioningError:
                mac_pattern = None
            if (fnmatch.fnmatchcase(device.label, pattern) or (device.name and fnmatch.fnmatchcase(device.name, pattern))
                    or mac_pattern == device.mac or fnmatch.fnmatchcase(device.mac, pattern.lower())):
                macs.append(device.mac)
                break
    return macs


#: Options of the ``key_store`` action, shared by its documentation stub.
ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    devices=dict(type="list", elements="dict"),
    defaults=dict(type="dict"),
    sites=dict(type="dict"),
    models=dict(type="dict"),
    create=dict(type="bool", default=False),
    generate=dict(type="bool", default=True),
    encrypt=dict(type="bool", default=True),
    vault_id=dict(type="str"),
    rotate=dict(type="list", elements="str", default=[]),
    fetched=dict(type="dict", default={}),
)
