# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``--diff`` output for profile changes, with every secret masked.

A profile is shown as text: encrypted files decrypted with the device's
keys (Panasonic's base64-armoured ones too), gzip unpacked, the Grandstream
legacy binary as its parameter list. Then two nets mask the secrets, on
both sides of the diff (before: the file on disk; after: the rendered one):

1. by field: each vendor declares its secret parameters once
   (:meth:`~._vendors.base.VendorRenderer.is_secret_param`) and masks their
   values in its formats, whatever the value and whether or not the
   inventory still holds it (a changed, rotated or removed password or key),
   and its secret path parts (Cisco's ``GPP_B`` directory); the user
   information of any ``scheme://user:password@host`` URL is masked too,
   whatever characters it holds;
2. by value: every secret the inventory holds (SIP and admin passwords,
   keys, secret raw parameters, the passwords of its URLs) is replaced in
   each form a format or a message writes it (as is, XML-escaped,
   URL-encoded, escaped as in a Python string), wherever it stands as a whole
   token: not inside a longer word, so that a short password (``p``) neither
   garbles the text around it nor gives itself away by the gaps it leaves.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from html import escape as xml_escape
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    CryptoError,
    ProvisioningError,
    ProvisioningErrors,
    userinfo_span,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import (
    decrypt,
    gunzip,
    plaintext_as_text,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import MASK
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import VENDORS

# Where a secret form standing as a whole token may start: after a
# character that is not part of a word, at the start of the text, or after an
# escape that ends in a letter or digit (URL-encoded %2F, a message's quoted
# \n, \x00 or \u202e), which is a separator of the text it encodes.
_TOKEN_START = (r"(?:(?<!\w)|(?<=%[0-9A-Fa-f]{2})|(?<=\\[abfnrtv0])|(?<=\\x[0-9A-Fa-f]{2})"
                r"|(?<=\\u[0-9A-Fa-f]{4})|(?<=\\U[0-9A-Fa-f]{8}))")
_TOKEN_END = r"(?!\w)"
_WORD_CHAR_RE = re.compile(r"\w")

# Settings and line fields that name a host, which may be written user:password@host.
_HOST_FIELDS = ("outbound_proxy", "ntp_server", "syslog_server", "sip_server")

# "openssl enc -a" output: base64 of "Salted__..." in lines of 64 characters.
_ARMOURED_SALTED = b"U2FsdGVkX1"
_BASE64_TEXT_RE = re.compile(rb"^[A-Za-z0-9+/=\r\n]+$")

# Written at the top of the legacy binary's view; the Grandstream renderer
# recognises its files by it.
LEGACY_VIEW_HEADER = "# Grandstream legacy binary profile"


def is_secret_param(name):
    """Whether any vendor declares parameter ``name`` secret (for raw parameters of a device not yet validated)."""
    return any(renderer.is_secret_param(name) for renderer in VENDORS.values())


def _renderers(vendor, text=None):
    """The renderers whose masks apply to ``text`` of a file made by ``vendor``.

    The file's own vendor, and any vendor whose format ``text`` is in (a
    removed file, or one a device of another vendor left at that path); with
    none of those, every vendor: masking too much is safe, too little is not.
    """
    chosen = []
    if vendor in VENDORS:
        chosen.append(VENDORS[vendor])
    if text is not None:
        chosen.extend(VENDORS[name] for name in sorted(VENDORS)
                      if VENDORS[name] not in chosen and VENDORS[name].recognizes_text(text))
    return chosen or [VENDORS[name] for name in sorted(VENDORS)]


def mask_fields(text, vendor=None):
    """``text`` with every secret field masked by the vendors :func:`_renderers` picks, and URL credentials."""
    for renderer in _renderers(vendor, text):
        text = renderer.mask_text(text)
    return mask_userinfo(text)


def mask_userinfo(text):
    """``text`` with the user information of the URLs on each line masked.

    On a line that holds ``://`` before an ``@``, everything from the first
    ``://`` to the last ``@`` is masked: a password may hold any character
    (Panasonic takes ``'``, ``<`` and ``>``), so no character can be trusted
    to end it, and several URLs on one line are masked as one. One pass per
    line: linear time whatever the file holds.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        span = userinfo_span(line)
        if span is not None and span[0] > 0 and span[1] > span[0]:
            lines[index] = line[:span[0]] + MASK + line[span[1]:]
    return "\n".join(lines)


def url_credentials(value, scheme_only=True):
    """The secrets in the user information of the URLs in ``value``: each password, or a user given alone.

    A user given with a password is a name, not a secret; one given alone
    may be a token (``https://<token>@host``). With ``scheme_only`` off, a
    value without ``scheme://`` is read as ``user:password@host`` (a host
    setting). Each is returned as written and percent-decoded.
    """
    found = []
    if not isinstance(value, str) or "@" not in value:
        return found
    starts = [match.end() for match in re.finditer("://", value)]
    bare = not starts and not scheme_only
    for index, start in enumerate([0] if bare else starts):
        segment = value[start:starts[index + 1] if index + 1 < len(starts) else len(value)]
        end = segment.rfind("@")
        if end < 0:
            continue
        userinfo = segment[:end]
        dummy, colon, password = userinfo.partition(":")
        # user@host with no password: nothing secret in a host setting.
        secret = password if colon else ("" if bare else userinfo)
        if secret:
            found.extend([secret, unquote(secret)])
    return found


def mask_path(path, vendor=None):
    """``path`` (relative to its root) with the secret parts any applicable vendor declares masked."""
    for renderer in _renderers(vendor):
        path = renderer.mask_path(path)
    return path


def raw_secrets(devices, defaults=None, sites=None, models=None, *key_maps):
    """The secrets of the raw inventory, before (and whether or not) it validates.

    ``key_maps`` are ``{MAC: {key name: hex}}`` mappings (the key store's
    current and next keys). Keys are collected in lower and upper case, the
    two ways hex is written.
    """
    secrets = set()

    def add(value):
        # A float too: an unquoted YAML password (12.50) is refused, and the
        # error may quote it.
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            secrets.add(str(value))

    def add_key(value):
        if isinstance(value, str) and value:
            secrets.add(value)
            secrets.add(value.upper())

    def add_urls(value, scheme_only=True):
        if isinstance(value, dict):
            value = value.get("value")
        for secret in url_credentials(value, scheme_only):
            secrets.add(secret)

    def add_settings(settings):
        if isinstance(settings, dict):
            add(settings.get("admin_password"))
            # provisioning_url, firmware_url, and a user:password@ in a host.
            for name, value in settings.items():
                add_urls(value, scheme_only=name not in _HOST_FIELDS)

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
                add_urls(line.get("sip_server"), scheme_only=False)
        for value in (device.get("keys") or {}).values() if isinstance(device.get("keys"), dict) else []:
            add_key(value)
        params = device.get("params")
        if isinstance(params, dict):
            for name, value in params.items():
                if is_secret_param(str(name)):
                    add(value.get("value") if isinstance(value, dict) else value)
                add_urls(value)
    for keys in key_maps:
        for values in (keys or {}).values() if isinstance(keys, dict) else []:
            if isinstance(values, dict):
                for value in values.values():
                    add_key(value)
    return secrets


@functools.lru_cache(maxsize=4096)
def _forms(secret):
    """The ways a file or a message writes ``secret``, longest first."""
    forms = (secret, xml_escape(secret, quote=True), xml_escape(secret, quote=False), quote(secret, safe=""),
             quote(secret, safe="/"), quote_plus(secret), quote_plus(secret, safe="/"), repr(secret)[1:-1])
    return tuple(sorted(set(form for form in forms if form), key=len, reverse=True))


@functools.lru_cache(maxsize=1024)
def _token_pattern(secret):
    """A pattern of every form of ``secret`` standing as a whole token.

    A form that begins (ends) with a letter, digit or ``_`` must not be
    preceded (followed) by one; a form that begins or ends with punctuation
    (``!pw``, ``&lt;x``, ``%40x``) carries its own boundary on that side.
    """
    parts = []
    for form in _forms(secret):
        parts.append("%s%s%s" % (_TOKEN_START if _WORD_CHAR_RE.match(form[0]) else "", re.escape(form),
                                 _TOKEN_END if _WORD_CHAR_RE.match(form[-1]) else ""))
    return re.compile("|".join(parts))


def redact(text, secrets):
    """``text`` with every secret masked where one of its forms stands as a whole token (see the module doc)."""
    for secret in secrets:
        if secret and any(form in text for form in _forms(secret)):
            text = _token_pattern(secret).sub(MASK, text)
    return text


def redact_error(exc, secrets):
    """``(message, errors)`` of a :class:`ProvisioningError` for a task result, every message redacted.

    Only what each error says is redacted, not the device and field it
    names: a short password equal to a name or a line number would garble
    them and show where the secret was.
    """
    errors = exc.errors if isinstance(exc, ProvisioningErrors) else [exc]
    redacted = [ProvisioningError(redact(error.message, secrets), device=error.device, field=error.field)
                for error in errors]
    shown = ProvisioningErrors(redacted) if len(redacted) > 1 else redacted[0]
    return str(shown), [{"device": error.device, "field": error.field, "msg": error.message} for error in redacted]


def _legacy_grandstream_text(content):
    # Layout: length(4) checksum(2) MAC(6) CRLFCRLF(4) body "P2=...&P3=...&gnkey=0b82".
    body = content[16:].rstrip(b"\0")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    lines = ["%s for %s" % (LEGACY_VIEW_HEADER, content[6:12].hex())]
    for pair in text.split("&"):
        name, _sep, value = pair.partition("=")
        # One pair, one line: a line break in a value is shown escaped, so
        # the rest of a secret value cannot land on a line of its own.
        lines.append("%s=%s" % (name, _one_line(unquote_plus(value))))
    return "\n".join(lines) + "\n"


def _one_line(value):
    return "".join(char if char >= " " and char != "\x7f" else "\\x%02x" % ord(char) for char in value)


def _unarmour(data):
    """The binary of an ``openssl enc -a`` file, or ``None`` if ``data`` is not one."""
    if not data.startswith(_ARMOURED_SALTED) or not _BASE64_TEXT_RE.match(data):
        return None
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def text_view(content, keys=None):
    """A readable text form of a served file, or a one-line summary of what it is.

    ``keys`` are the device's keys (the openssl passwords its files are
    encrypted with): an encrypted file is shown decrypted when one fits.
    """
    data = content
    note = ""
    binary = _unarmour(data)
    if binary is not None:
        data = binary
        note = "# (base64 armour removed for display)\n"
    if data[:8] == b"Salted__":
        for key in (keys or {}).values():
            plain = _try_decrypt(data, key)
            if plain is not None:
                data = plain
                note += "# (decrypted for display; served encrypted)\n"
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


def file_diff(root, path, before, after, keys, secrets, limit, vendor=None, before_vendor=None):
    """One entry of Ansible's ``diff`` list; ``before``/``after`` are bytes or ``None``.

    ``vendor`` made the new file; ``before_vendor`` the file on disk, when it
    is known (for a removed file it usually is not: the text's format then
    tells, see :func:`_renderers`). Both sides are masked by field and by
    value, and so is the path.
    """
    before_vendor = before_vendor or vendor
    before_text = "" if before is None else capped(_masked_view(before, keys, secrets, before_vendor), limit)
    after_text = "" if after is None else capped(_masked_view(after, keys, secrets, vendor), limit)
    if before is not None and after is not None and before_text == after_text:
        # Otherwise a changed password would look like no change at all.
        after_text += "# (what changed is masked: a password or key)\n"
    # Cisco's per-device directory is a key too (GPP_B): paths are masked as well.
    relative = path
    for owner in set([vendor, before_vendor]):
        relative = mask_path(relative, owner)
    name = redact("%s/%s" % (root.rstrip("/"), relative), secrets)
    return {
        "before_header": name if before is not None else "%s (absent)" % name,
        "after_header": name if after is not None else "%s (deleted)" % name,
        "before": before_text,
        "after": after_text,
    }


def _masked_view(content, keys, secrets, vendor):
    return redact(mask_fields(text_view(content, keys), vendor), secrets)
