# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Per-device HTTP credentials: the password file nginx checks them against.

A device's user name is its MAC (twelve lower-case hex digits), a dash and
four hex digits of its password's SHA-256 (:func:`user_name`): nginx
compares the MAC part with the MAC in a requested path, and while a
rotation runs the device's old and new passwords are two users, both
valid, so a phone that has not taken the new one yet is not locked out;
the log's ``remote_user`` then tells which one a phone used (16 bits of a
hash of a 128-bit random password say nothing usable about it). Each
password is stored as nginx's ``{SSHA}`` scheme: base64 of SHA-1(password +
salt) followed by the salt. The passwords are random key-store secrets (the
vendor asks for at least 16 bytes), so a slow hash would add nothing against
guessing while nginx would run it on every request; pure hashlib also works
on every controller (no passlib, no libxcrypt). The salt is the device's MAC:
unique per user, and the same password gives the same line, so a run that
rotates nothing leaves the file unchanged.
"""

from __future__ import annotations

import base64
import hashlib

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac

# The key store key a vendor's key_specs names for a device's HTTP password.
DEFAULT_KEY_NAME = "http_password"
# Its size in random bytes (the key store writes it as twice as many hex digits).
DEFAULT_KEY_BYTES = 16

#: The inventory setting a device opts in to HTTP credentials with; every
#: family that declares ``http_credentials`` declares this one object (two
#: declarations of one setting must be the same ``Setting``).
SETTING_NAME = "http_credentials"
SETTING = Setting(
    "bool", "ask the key store for this device's HTTP password (key http_password) so that the server can protect its "
    "own files with per-device HTTP credentials (the families that declare them: docs/roles/http_server.md)", default=False)


def ssha(password, salt):
    """nginx's ``{SSHA}`` value of ``password`` (text) with ``salt`` (bytes)."""
    digest = hashlib.sha1(password.encode("utf-8") + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _check_password(password, device, field):
    if not isinstance(password, str) or not password:
        raise ProvisioningError("the HTTP password must be a non-empty string", device=device, field=field)
    if "\r" in password or "\n" in password or "\0" in password:
        raise ProvisioningError("the HTTP password must be one line", device=device, field=field)


#: Hex digits of the password's hash in a user name.
USER_SUFFIX_DIGITS = 4
#: A device user name, as nginx's maps and the password file's check read it.
USER_NAME_PATTERN = r"[0-9a-f]{12}-[0-9a-f]{%d}" % USER_SUFFIX_DIGITS


def user_name(mac, password):
    """The HTTP user of a device with ``mac`` (normalised) and ``password``: ``<mac>-<4 hex digits>``."""
    digest = hashlib.sha256(b"sipfleet-http-user:" + password.encode("utf-8")).hexdigest()
    return "%s-%s" % (mac, digest[:USER_SUFFIX_DIGITS])


def htpasswd_line(mac, password):
    """``<user>:{SSHA}...`` for one device's password; ``mac`` already normalised."""
    return "%s:%s" % (user_name(mac, password), ssha(password, bytes.fromhex(mac)))


def device_credentials(credentials=(), device_keys=None, key_name=DEFAULT_KEY_NAME, next_keys=None):
    """``[(mac, password)]`` from a list of ``{mac, password}`` and the key store's ``{MAC: {key: hex}}``.

    Devices of ``device_keys`` without ``key_name`` have no credentials and are
    left out. A device given twice is an error naming it. ``next_keys`` (the
    key store's ``device_next_keys``) adds the new password of each device
    whose rotation runs, next to its current one.
    """
    found = {}
    for index, entry in enumerate(credentials or ()):
        where = "http_server_device_credentials[%d]" % index
        if not isinstance(entry, dict) or "mac" not in entry or "password" not in entry:
            raise ProvisioningError("each entry needs mac and password", device=where, field="mac")
        mac = normalize_mac(entry["mac"], device=where, field="mac")
        _check_password(entry["password"], mac, "password")
        if mac in found:
            raise ProvisioningError("the device is given twice", device=mac, field="mac")
        found[mac] = entry["password"]
    for raw_mac, keys in (device_keys or {}).items():
        mac = normalize_mac(raw_mac, device=raw_mac, field="mac")
        if not isinstance(keys, dict) or key_name not in keys:
            continue
        _check_password(keys[key_name], mac, key_name)
        if mac in found:
            raise ProvisioningError("the device is given twice (credentials and key store)", device=mac, field=key_name)
        found[mac] = keys[key_name]
    result = sorted(found.items())
    for raw_mac, keys in sorted((next_keys or {}).items()):
        mac = normalize_mac(raw_mac, device=raw_mac, field="next_keys")
        if not isinstance(keys, dict) or key_name not in keys:
            continue
        _check_password(keys[key_name], mac, "next_keys.%s" % key_name)
        if found.get(mac) != keys[key_name]:
            result.append((mac, keys[key_name]))
    return sorted(result)


def device_htpasswd(credentials=(), device_keys=None, key_name=DEFAULT_KEY_NAME, next_keys=None):
    """The password file: one ``<user>:{SSHA}...`` line per device password, sorted by user.

    A device whose rotation runs (``next_keys``) has two lines, its current
    and its new password, so that it is let in with either.
    """
    lines = sorted(htpasswd_line(mac, password)
                   for mac, password in device_credentials(credentials, device_keys, key_name, next_keys))
    return "".join(line + "\n" for line in lines)
