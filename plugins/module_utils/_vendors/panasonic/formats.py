# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Panasonic text configuration format: its encoder, its decoder and the limits the phones read it with.

A file is the header line, then one ``NAME="value"`` line per parameter,
then an empty line; every line ends in CR LF and the text is UTF-8. A
value is written between double quotes with no escapes, so it cannot hold a
double quote, and no control or line-break character.

:func:`render_config` writes ``[(name, value)]``; :func:`parse_config`
reads a file back to ``{NAME: value}`` in file order and refuses, with a
:class:`~._errors.ProfileFormatError`, anything the encoder cannot have
written: a missing or different header, a line ending that is not CR LF,
a missing final empty line, a line longer than the phones read, a comment
or empty line among the parameters, a name outside ``[A-Z0-9_]`` or longer
than the phones take, an unquoted or unterminated value, a value the
encoder's callers refuse (a double quote, a control or line-break
character, too long), a parameter set twice, a file larger than a phone's
files together may be. Its messages never show a value, nor a name that is
not a parameter name: either may be a password.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

#: The first line of every file. The phones require the first 44 bytes
#: (``# Panasonic SIP Phone Standard Format File #``); the guides recommend
#: the whole line, so that an editor does not alter it by chance.
HEADER = "# Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!"

#: Every line ends in CR LF; the file ends with an empty line.
LINE_END = "\r\n"

#: Longest line the phones read, CR LF included; longer lines are ignored.
MAX_LINE_BYTES = 537
#: Longest parameter name and value (characters, value without its quotes).
MAX_NAME_CHARS = 32
MAX_VALUE_CHARS = 500

#: "120 KB" in the KX-UT guides, for the standard, product and master files
#: together. KB is not defined there; 120,000 bytes is below both readings
#: (120,000 and 122,880), so a set of files this collection accepts fits
#: either. In encrypted mode the served (base64) size counts.
MAX_TOTAL_BYTES = 120000

#: Parameter names: what the phones use.
PARAM_NAME_RE = re.compile(r"^[A-Z0-9_]+\Z")

#: Unicode categories no value may contain: control characters (C0, DEL, C1:
#: CR and LF would end the line), surrogates (not encodable in UTF-8) and the
#: line and paragraph separators (a line break to some readers).
FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")


def render_config(params):
    """``[(name, value)]`` -> the bytes of a file: header, one line per parameter, an empty last line.

    Names and values must have passed the renderer's checks (the limits and
    characters above); nothing is escaped, as the format has no escapes.
    """
    lines = [HEADER] + ['%s="%s"' % (name, value) for name, value in params] + [""]
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")


def parse_config(data, device=None, field=None):
    """``{NAME: value}`` of a Panasonic file (bytes), in file order, as :func:`render_config` writes it.

    ``device`` and ``field`` (the file) go into the errors. Raises
    :class:`~._errors.ProfileFormatError`.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    if not isinstance(data, bytes):
        raise error("must be bytes, got %s" % type(data).__name__)
    if len(data) > MAX_TOTAL_BYTES:
        raise error("is %d bytes long; a phone's files together take at most %d" % (len(data), MAX_TOTAL_BYTES))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error("line %d is not UTF-8" % (data.count(b"\n", 0, exc.start) + 1)) from None
    lines = text.split(LINE_END)
    # Each line but the last ended in CR LF; the last piece is what follows the final CR LF.
    for number, line in enumerate(lines, start=1):
        if "\n" in line or "\r" in line:
            raise error("line %d ends in a bare %s; every line ends in CR LF" % (number, "LF" if "\n" in line else "CR"))
        if len(line.encode("utf-8")) + len(LINE_END) > MAX_LINE_BYTES:
            raise error("line %d is %d bytes long with its CR LF; Panasonic phones ignore lines over %d bytes"
                        % (number, len(line.encode("utf-8")) + len(LINE_END), MAX_LINE_BYTES))
    if lines[0] != HEADER:
        raise error("does not start with the header line %s" % HEADER)
    if lines.pop() != "":
        raise error("does not end with CR LF")
    if len(lines) < 2 or lines.pop() != "":
        raise error("does not end with an empty line")
    params = {}
    for number, line in enumerate(lines[1:], start=2):
        name, sep, rest = line.partition("=")
        if not sep or not PARAM_NAME_RE.match(name) or len(name) > MAX_NAME_CHARS:
            # Not quoted: a line that is not NAME="value" may be a password.
            raise error("line %d does not start with a parameter name and = (upper-case letters, digits and _, at most %d)"
                        % (number, MAX_NAME_CHARS))
        if not rest.startswith('"'):
            raise error("line %d: the value of %s is not in double quotes" % (number, name))
        if len(rest) < 2 or not rest.endswith('"'):
            raise error("line %d: the value of %s has no closing double quote at the end of the line" % (number, name))
        value = rest[1:-1]
        if '"' in value:
            raise error("line %d: the value of %s holds a double quote, which the format cannot carry" % (number, name))
        for char in value:
            if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
                raise error("line %d: the value of %s contains a control or line-break character" % (number, name))
        if len(value) > MAX_VALUE_CHARS:
            raise error("line %d: the value of %s is %d characters long; Panasonic phones take at most %d"
                        % (number, name, len(value), MAX_VALUE_CHARS))
        if name in params:
            raise error("line %d: %s is set twice" % (number, name))
        params[name] = value
    return params
