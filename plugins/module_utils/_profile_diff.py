# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``--diff`` output for profile changes, with every secret redacted.

A profile is shown as text: encrypted files decrypted with the device's
keys, gzip unpacked, the Grandstream legacy binary as its parameter list.
Then every secret the inventory holds (SIP and admin passwords, keys, secret
raw parameters) is replaced by ``********`` in each form a format writes it
(as is, XML-escaped, URL-encoded), before the text leaves the module.
"""

from __future__ import annotations

import re
from html import escape as xml_escape
from urllib.parse import quote, quote_plus, unquote_plus

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import (
    decrypt,
    gunzip,
    plaintext_as_text,
)

MASK = "********"

#: Raw vendor parameters whose values are secrets: Grandstream P2 (admin
#: password), P34 (account 1 password), P1359 (XML key), P1361 (HTTP
#: password); Cisco and Panasonic names that say password, passwd, secret or
#: end in KEY (GPP_A carries Cisco's key). Passwords set through ``lines`` are
#: collected from the lines themselves.
_SECRET_PARAM_RE = re.compile(r"(pass|pwd|secret|(^|_)key$|^gpp_a$|^p2$|^p34$|^p1359$|^p1361$)", re.IGNORECASE)


def raw_secrets(devices, defaults=None, sites=None, models=None, *key_maps):
    """The secrets of the raw inventory, before (and whether or not) it validates.

    ``key_maps`` are ``{MAC: {key name: hex}}`` mappings (the key store's
    current and next keys). Keys are collected in lower and upper case, the
    two ways hex is written.
    """
    secrets = set()

    def add(value):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            secrets.add(str(value))

    def add_key(value):
        if isinstance(value, str) and value:
            secrets.add(value)
            secrets.add(value.upper())

    def add_settings(settings):
        if isinstance(settings, dict):
            add(settings.get("admin_password"))

    add_settings(defaults)
    for level in (sites, models):
        if isinstance(level, dict):
            for settings in level.values():
                add_settings(settings)
    for device in devices if isinstance(devices, list) else []:
        if not isinstance(device, dict):
            continue
        add_settings(device.get("settings"))
        for line in device.get("lines") or []:
            if isinstance(line, dict):
                add(line.get("password"))
        for value in (device.get("keys") or {}).values() if isinstance(device.get("keys"), dict) else []:
            add_key(value)
        params = device.get("params")
        if isinstance(params, dict):
            for name, value in params.items():
                if _SECRET_PARAM_RE.search(str(name)):
                    add(value.get("value") if isinstance(value, dict) else value)
    for keys in key_maps:
        for values in (keys or {}).values() if isinstance(keys, dict) else []:
            if isinstance(values, dict):
                for value in values.values():
                    add_key(value)
    return secrets


def redact(text, secrets):
    """``text`` with every secret, in its raw, XML-escaped and URL-encoded forms, masked."""
    for secret in secrets:
        forms = (secret, xml_escape(secret, quote=True), xml_escape(secret, quote=False), quote(secret, safe=""),
                 quote_plus(secret))
        for form in sorted(set(forms), key=len, reverse=True):
            if form and form in text:
                text = text.replace(form, MASK)
    return text


def _legacy_grandstream_text(content):
    # Layout: length(4) checksum(2) MAC(6) CRLFCRLF(4) body "P2=...&P3=...&gnkey=0b82".
    body = content[16:].rstrip(b"\0")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    lines = ["# Grandstream legacy binary profile for %s" % content[6:12].hex()]
    for pair in text.split("&"):
        name, _sep, value = pair.partition("=")
        lines.append("%s=%s" % (name, unquote_plus(value)))
    return "\n".join(lines) + "\n"


def text_view(content, keys=None):
    """A readable text form of a served file, or a one-line summary of what it is.

    ``keys`` are the device's keys (the openssl passwords its files are
    encrypted with): an encrypted file is shown decrypted when one fits.
    """
    data = content
    note = ""
    if data[:8] == b"Salted__":
        for key in (keys or {}).values():
            plain = _try_decrypt(data, key)
            if plain is not None:
                data = plain
                note = "# (decrypted for display; served encrypted)\n"
                break
        else:
            return "(%d bytes encrypted with a key this run does not hold)\n" % len(content)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip(data)
            note += "# (gzip-decompressed for display)\n"
        except (CryptoError, OSError, EOFError):
            return "(%d bytes of gzip data that does not decompress)\n" % len(data)
    if len(data) > 16 and data[12:16] == b"\r\n\r\n":
        legacy = _legacy_grandstream_text(data)
        if legacy is not None:
            return note + legacy
    try:
        return note + data.decode("utf-8")
    except UnicodeDecodeError:
        return "(%d bytes of binary data)\n" % len(data)


def _try_decrypt(data, key):
    for digest in ("md5", "sha256"):
        try:
            plain = decrypt(data, password=key, digest=digest)
        except CryptoError:
            continue
        if plain[:2] == b"\x1f\x8b":
            return plain
        try:
            plaintext_as_text(plain)
        except CryptoError:
            continue
        return plain
    return None


def capped(text, limit):
    """``text`` cut to ``limit`` bytes of UTF-8, with a note saying so."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore") + "\n... (cut: %d more bytes not shown)\n" % (len(encoded) - limit)


def file_diff(root, path, before, after, keys, secrets, limit):
    """One entry of Ansible's ``diff`` list; ``before``/``after`` are bytes or ``None``."""
    before_text = "" if before is None else capped(redact(text_view(before, keys), secrets), limit)
    after_text = "" if after is None else capped(redact(text_view(after, keys), secrets), limit)
    # Cisco's per-device directory is a key too (GPP_B): paths are redacted as well.
    name = redact("%s/%s" % (root.rstrip("/"), path), secrets)
    return {
        "before_header": name if before is not None else "%s (absent)" % name,
        "after_header": name if after is not None else "%s (deleted)" % name,
        "before": before_text,
        "after": after_text,
    }
