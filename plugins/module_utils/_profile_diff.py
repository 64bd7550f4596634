# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``--diff`` output for profile changes, with every secret masked.

A profile is shown as text, decoded by the encoding it is tagged with
(:class:`~._vendors.base.FileTag`), never by what its bytes look like: the
new file by its own tag, the file on disk by what the manifest recorded when
it was written (see :func:`text_view`). Encrypted files are decrypted with
the device's keys (Panasonic's base64-armoured ones too), gzip unpacked, and
the vendor shows its kind of file as text (the Grandstream legacy binary as
its parameter list). Then two nets mask the secrets, on both sides of the
diff (before: the file on disk; after: the rendered one):

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

import functools
import re
from html import escape as xml_escape
from urllib.parse import quote, quote_plus, unquote

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    CryptoError,
    ProvisioningError,
    ProvisioningErrors,
    userinfo_span,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import (
    BASE64,
    GZIP,
    KEYED_STEPS,
    OPENSSL,
    YEALINK_AES,
    YEALINK_KEY_WRAP,
    decode,
    describe,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import plaintext_as_text
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import MASK, plain_text_view
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

# What each step of a chain adds to the top of the view once undone.
_NOTES = {
    BASE64: "# (base64 armour removed for display)\n",
    OPENSSL: "# (decrypted for display; served encrypted)\n",
    GZIP: "# (gzip-decompressed for display)\n",
    YEALINK_AES: "# (decrypted for display; served in Yealink's compatibility mode, which anyone can decrypt)\n",
    YEALINK_KEY_WRAP: "# (unwrapped with Yealink's public fixed key for display)\n",
}


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


def text_view(content, keys=None, tag=None):
    """A readable text form of a served file, or a one-line summary of what it is.

    ``tag`` (a :class:`~._vendors.base.FileTag`) says how ``content`` is
    encoded and which vendor shows its kind of file; without one nothing is
    guessed from the bytes: the file is summarised, never shown. ``keys``
    are the device's keys (the openssl passwords its files are encrypted
    with): an encrypted file is shown decrypted when one of them fits, with
    the digest the tag names.
    """
    if tag is None:
        return "(%d bytes not shown: how the file is encoded was not recorded)\n" % len(content)
    data = content
    notes = ""
    chain = tuple(tag.encoding)
    for index in range(len(chain) - 1, -1, -1):
        step = chain[index]
        if step in KEYED_STEPS:
            plain = _decrypt(data, keys, chain[:index], tag.digest, step)
            if plain is None:
                return "(%d bytes encrypted with a key this run does not hold)\n" % len(content)
            data = plain
        elif step in _NOTES:
            try:
                data = decode((step,), data)
            except CryptoError:
                if step == GZIP:
                    return "(%d bytes of gzip data that does not decompress)\n" % len(data)
                if step == YEALINK_KEY_WRAP:
                    return "(%d bytes that are not a key wrapped with Yealink's fixed key)\n" % len(data)
                return "(%d bytes that are not the base64 armour %s declares)\n" % (len(data), describe(chain))
        notes += _NOTES.get(step, "")
    return notes + _vendor_text(tag, data)


def _vendor_text(tag, data):
    renderer = VENDORS.get(tag.vendor)
    if renderer is None:
        return plain_text_view(data)
    return renderer.text_view(tag.kind, data)


def _decrypt(data, keys, inner, digest, step=OPENSSL):
    """``data`` decrypted with the first of ``keys`` whose plaintext the ``inner`` steps decode.

    AES-CBC has no MAC: a wrong key passes the padding check about once in
    256 (Yealink's AES-ECB ``step`` has no check at all). The inner steps
    catch it (a gzip stream's CRC), or, when there are none, the plaintext
    must be text, as every encrypted kind is.
    """
    for key in (keys or {}).values():
        try:
            plain = decode((step,), data, key, digest if step == OPENSSL else None)
            inner_plain = decode(inner, plain) if inner else plain
            if GZIP not in inner:
                plaintext_as_text(inner_plain)
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


def file_diff(root, path, before, after, keys, secrets, limit, after_tag=None, before_tag=None):
    """One entry of Ansible's ``diff`` list; ``before``/``after`` are bytes or ``None``.

    ``after_tag`` is the new file's :class:`~._vendors.base.FileTag`,
    ``before_tag`` the one the manifest recorded for the file on disk (or,
    with no record, the new file's for the same path; ``None`` for a removed
    file without one: it is then not shown). Each side is decoded by its own
    tag, then masked by field (by its vendor, and by any vendor whose format
    the text is in, see :func:`_renderers`) and by value, and so is the path.
    """
    vendor = after_tag.vendor if after_tag is not None else None
    before_vendor = before_tag.vendor if before_tag is not None else None
    before_text = "" if before is None else capped(_masked_view(before, keys, secrets, before_tag), limit)
    after_text = "" if after is None else capped(_masked_view(after, keys, secrets, after_tag), limit)
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


def _masked_view(content, keys, secrets, tag):
    return redact(mask_fields(text_view(content, keys, tag), tag.vendor if tag is not None else None), secrets)
