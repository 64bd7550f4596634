# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Exceptions shared by the collection's pure-Python logic.

Plugins translate these into ``AnsibleFilterError`` or ``module.fail_json``;
the logic itself never depends on Ansible.
"""

from __future__ import annotations

import re

#: How many characters of a value an error message quotes at most: enough to
#: recognise it, never a megabyte of it in a log.
QUOTE_CHARS = 80

#: How many errors the message of :class:`ProvisioningErrors` lists one a
#: line; the total is always given.
MAX_LISTED_ERRORS = 100


def quote_value(value, limit=QUOTE_CHARS):
    """``repr(value)`` of at most about ``limit`` characters, saying how long a cut value was.

    Every message that shows a value the user wrote goes through this, so a
    huge or multi-line value never floods a log: ``'abcd'... (1048576
    characters)``. Vendors quote values with it too.
    """
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else "%s..." % text[:limit]
    shown = len(value) if len(value) <= limit else limit
    # Escapes (\x00, \u202e) make a repr longer than its text.
    while shown and len(repr(value[:shown])) > limit + 2:
        shown -= 1
    if shown == len(value):
        return repr(value)
    return "%s... (%d characters)" % (repr(value[:shown]), len(value))


#: What an error message shows instead of the ``user:password@`` part of a URL.
CREDENTIALS = "<credentials>"


def userinfo_span(value):
    """``(start, end)`` of the user information of one URL or ``user:password@host`` value, or ``None``.

    It runs from after ``scheme://`` (or the start of a value without one)
    to the value's last ``@``, whatever characters it holds: a password may
    contain ``'``, ``<``, ``>``, ``/`` or another ``@``, and a part of a
    password left visible is a leak. An ``@`` further on in a path makes it
    cover too much, which is safe.
    """
    end = value.rfind("@")
    if end < 0:
        return None
    scheme_end = value.find("://", 0, end)
    return (scheme_end + 3 if scheme_end >= 0 else 0), end


def without_userinfo(value, placeholder=CREDENTIALS):
    """``value`` (a URL or host) with its user information (see :func:`userinfo_span`) replaced by ``placeholder``."""
    span = userinfo_span(value)
    if span is None:
        return value
    return value[:span[0]] + placeholder + value[span[1]:]


def shown_url(value):
    """A URL or host value for an error message: quoted and cut like :func:`quote_value`, its credentials replaced.

    Every vendor quotes URL and host values with this, so a password in a
    ``provisioning_url`` never reaches a log; a value that is not a string is
    shown by its type only.
    """
    if not isinstance(value, str):
        return "a %s" % type(value).__name__
    return quote_value(without_userinfo(value))


#: A Python repr of a string in a message: '...' or "..." with escapes.
_QUOTED_RE = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')


def cut_quoted_values(message, limit=QUOTE_CHARS):
    """``message`` with every quoted value longer than about ``limit`` characters cut, saying how long it was.

    The safety net for messages that quote a value with ``%r`` instead of
    :func:`quote_value`: every error of :class:`ProvisioningErrors` goes
    through it, so no value of a megabyte reaches a log whoever wrote the
    check. Short messages are left alone (an apostrophe in prose is not a
    quote, and only a long message can hide a long value).
    """
    if len(message) <= 4 * limit:
        return message

    def cut(match):
        quoted = match.group(0)
        if len(quoted) <= limit + 2:
            return quoted
        return "%s%s... (%d characters quoted)" % (quoted[:limit + 1], quoted[0], len(quoted) - 2)
    return _QUOTED_RE.sub(cut, message)


class ProvisioningError(ValueError):
    """Bad input or a failed operation, with the device and field it concerns.

    ``device`` and ``field`` are optional: a crypto error has no device, a
    profile error has both. ``str()`` puts them in front of the message so that
    every error a user sees names what to fix.
    """

    def __init__(self, message, device=None, field=None):
        self.message = message
        self.device = device
        self.field = field
        super().__init__(self.__str__())

    def __str__(self):
        where = []
        if self.device is not None:
            where.append("device %s" % self.device)
        if self.field is not None:
            where.append("field %s" % self.field)
        if where:
            return "%s: %s" % (", ".join(where), self.message)
        return self.message


class CryptoError(ProvisioningError):
    """Encryption or decryption failed (wrong password, corrupt input, bad option)."""


class MacAddressError(ProvisioningError):
    """A MAC address that is malformed or cannot belong to a phone."""


class ProfileFormatError(ProvisioningError):
    """A file a format decoder refuses: it is not what the format's encoder writes."""


class ProvisioningErrors(ProvisioningError):
    """Every error of a validation run, reported together.

    ``errors`` is the list of :class:`ProvisioningError`; ``device`` and
    ``field`` are those of the first. The message has one line per error,
    ``device <label>, field <field>: <message>``, the first
    :data:`MAX_LISTED_ERRORS` of them, then how many more there are.
    """

    def __init__(self, errors):
        flat = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, ProvisioningErrors) else [error])
        if not flat:
            raise ValueError("ProvisioningErrors needs at least one error")
        for error in flat:
            error.message = cut_quoted_values(error.message)
        self.errors = flat
        first = flat[0]
        # str(): a subclass may say more (the file a device came from).
        lines = [str(error) for error in flat[:MAX_LISTED_ERRORS]]
        if len(flat) > MAX_LISTED_ERRORS:
            more = len(flat) - MAX_LISTED_ERRORS
            lines.append("... and %d more error%s (%d in all)" % (more, "" if more == 1 else "s", len(flat)))
        self.lines = lines
        super().__init__("\n".join(lines), device=first.device, field=first.field)

    def __str__(self):
        return self.message


def error_list(exc):
    """``[{device, field, msg}]`` of a :class:`ProvisioningError`, one entry per error, for task results."""
    errors = exc.errors if isinstance(exc, ProvisioningErrors) else [exc]
    return [{"device": error.device, "field": error.field, "msg": error.message} for error in errors]


class ErrorCollector:
    """Gather the errors of independent checks instead of stopping at the first.

    ``with collector.check():`` runs a block and records the
    :class:`ProvisioningError` it raises (the block stops, the caller goes on);
    :meth:`raise_if_any` raises them all as one :class:`ProvisioningErrors`.
    """

    def __init__(self):
        self.errors = []

    def add(self, error):
        if isinstance(error, ProvisioningErrors):
            self.errors.extend(error.errors)
        else:
            self.errors.append(error)

    def check(self):
        # A small context manager, not a generator's: the data model enters
        # it for every field of every device (165,000 times at 10,000
        # devices), where @contextmanager costs a tenth of a second. Made
        # per call, not kept: kept, it would be a reference cycle.
        return _Check(self)

    def __bool__(self):
        return bool(self.errors)

    def __len__(self):
        return len(self.errors)

    def raise_if_any(self):
        if self.errors:
            raise ProvisioningErrors(self.errors)


class _Check:
    """``with collector.check():`` records the :class:`ProvisioningError` the block raises and goes on."""

    __slots__ = ("collector",)

    def __init__(self, collector):
        self.collector = collector

    def __enter__(self):
        return None

    def __exit__(self, kind, exc, traceback):
        if kind is not None and issubclass(kind, ProvisioningError):
            self.collector.add(exc)
            return True
        return False
