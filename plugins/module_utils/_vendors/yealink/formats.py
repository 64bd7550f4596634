# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Yealink ``.cfg`` and ``.boot`` formats: encoders, strict decoders and what a value may hold.

Both files start with the line ``#!version:1.0.0.1``, which is not a comment:
the phones require it as the first line (vendor-facts-more.md 1.1, 1.2).

A ``.cfg`` file is then one ``key = value`` line per parameter. The format
has no quoting or escaping (none was found): a value runs to the end of the
line, so it cannot hold a line break or any control character, and the
collection writes none with a leading or trailing space (the phones' reading
of those is unknown). The text is UTF-8, as wazo-provd-plugins writes it.

A ``.boot`` file is then one ``include:config "<path>"`` line per ``.cfg``
file, in the order the phone downloads them; a later file overrides the
parameters of an earlier one.

:func:`parse_config` and :func:`parse_boot` read back exactly what
:func:`render_config` and :func:`render_boot` write, and refuse anything
else with a :class:`~._errors.ProfileFormatError` that never shows a value
(any value may be a password).
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

#: The first line of every ``.cfg`` and ``.boot`` file.
HEADER = "#!version:1.0.0.1"

#: Lines end in LF (Yealink's own templates and both peers write LF).
LINE_END = "\n"

#: What the collection writes between a key and its value.
SEPARATOR = " = "

#: Parameter names as the phones' templates write them (``account.1.sip_server.1.address``,
#: ``static.security.user_name.admin``, ``over_the_air.url.w56h``).
PARAM_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\Z")

#: A path a boot file includes: relative to the boot file, no quote, no space, ending in .cfg.
INCLUDE_PATH_RE = re.compile(r'^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*\.cfg\Z')

#: Unicode categories no value may contain: control characters (a CR or LF
#: would end the line), surrogates (not encodable in UTF-8), and the line and
#: paragraph separators (a line break to some readers).
FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")


def value_problem(value):
    """Why ``value`` cannot be written as a ``key = value`` line, or ``None``. Never quotes the value."""
    for char in value:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return "contains the control or line-break character U+%04X, which a key = value line cannot carry" % ord(char)
    if value != value.strip(" \t"):
        return "starts or ends with a space; the Yealink format has no quoting, so the phone's reading of it is unknown"
    return None


def render_config(params):
    """``[(key, value)]`` -> the bytes of a ``.cfg`` file: the header, then one ``key = value`` line each.

    Keys and values must have passed the renderer's checks (:data:`PARAM_NAME_RE`,
    :func:`value_problem`); an empty value is written ``key =``.
    """
    lines = [HEADER] + [("%s%s%s" % (name, SEPARATOR, value)) if value != "" else "%s =" % name for name, value in params]
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")


def render_boot(paths):
    """``[path]`` -> the bytes of a ``.boot`` file that includes each ``.cfg`` in that order."""
    lines = [HEADER] + ['include:config "%s"' % path for path in paths]
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")


def _lines(data, error):
    if not isinstance(data, bytes):
        raise error("must be bytes, got %s" % type(data).__name__)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error("line %d is not UTF-8" % (data.count(b"\n", 0, exc.start) + 1)) from None
    if not text.endswith(LINE_END):
        raise error("does not end with a line feed")
    lines = text[:-1].split(LINE_END)
    for number, line in enumerate(lines, start=1):
        if "\r" in line:
            raise error("line %d holds a carriage return; lines end in a bare line feed" % number)
    if lines[0] != HEADER:
        raise error("does not start with the line %s, which Yealink phones require first" % HEADER)
    return lines


def parse_config(data, device=None, field=None):
    """``[(key, value)]`` of a ``.cfg`` file (bytes), in file order, as :func:`render_config` writes it.

    Refuses a missing header, CR, a missing final line feed, a comment or
    empty line, a line that is not ``key = value`` (or ``key =``), a key
    outside :data:`PARAM_NAME_RE`, a value :func:`value_problem` refuses, a
    key set twice. Raises :class:`~._errors.ProfileFormatError`.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    params = []
    seen = set()
    for number, line in enumerate(_lines(data, error)[1:], start=2):
        name, sep, value = line.partition(SEPARATOR)
        if not sep:
            if line.endswith(" =") and PARAM_NAME_RE.match(line[:-2]):
                name, value = line[:-2], ""
            else:
                # Not quoted: a line that is not key = value may be a password.
                raise error("line %d is not a key = value line" % number)
        elif value == "":
            raise error("line %d: the empty value of %s is written with a trailing space; the encoder writes 'key ='" % (number, name))
        if not PARAM_NAME_RE.match(name):
            raise error("line %d does not start with a parameter name (letters, digits, _ and - in dotted parts)" % number)
        problem = value_problem(value)
        if problem is not None:
            raise error("line %d: the value of %s %s" % (number, name, problem))
        if name in seen:
            raise error("line %d: %s is set twice" % (number, name))
        seen.add(name)
        params.append((name, value))
    return params


_INCLUDE_RE = re.compile(r'^include:config "([^"]*)"\Z')


def parse_boot(data, device=None, field=None):
    """``[path]`` a ``.boot`` file (bytes) includes, in order, as :func:`render_boot` writes it.

    Refuses a missing header, CR, a missing final line feed, and any line
    but ``include:config "<path>"`` with a path :data:`INCLUDE_PATH_RE` takes.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    paths = []
    for number, line in enumerate(_lines(data, error)[1:], start=2):
        match = _INCLUDE_RE.match(line)
        if match is None or not INCLUDE_PATH_RE.match(match.group(1)):
            raise error('line %d is not include:config "<relative path>.cfg"' % number)
        paths.append(match.group(1))
    if not paths:
        raise error("includes no file")
    return paths
