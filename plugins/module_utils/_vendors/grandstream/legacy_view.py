# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The legacy binary ``cfg<mac>`` as ``--diff`` shows it: one ``P34=value`` line per pair.

The Grandstream renderer's :meth:`text_view` shows a file of kind
``legacy_binary`` this way, so that its masking (``P34=********``) and the
masking by value see every value whole, decoded from its URL encoding.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

#: The first line of the view; the renderer recognises its files by it.
LEGACY_VIEW_HEADER = "# Grandstream legacy binary profile"

# Layout: length(4) checksum(2) MAC(6) CRLFCRLF(4), then the body.
_HEADER_LENGTH = 16
_SEPARATOR = b"\r\n\r\n"


def text(content):
    """The view of ``content``, or ``None`` if it is not laid out as a legacy binary (or its body is not ASCII)."""
    if len(content) <= _HEADER_LENGTH or content[12:_HEADER_LENGTH] != _SEPARATOR:
        return None
    # Body "P2=...&P3=...&gnkey=0b82", NUL-padded to an even length.
    body = content[_HEADER_LENGTH:].rstrip(b"\0")
    try:
        pairs = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    lines = ["%s for %s" % (LEGACY_VIEW_HEADER, content[6:12].hex())]
    for pair in pairs.split("&"):
        name, dummy, value = pair.partition("=")
        # One pair, one line: a line break in a value is shown escaped, so
        # the rest of a secret value cannot land on a line of its own.
        lines.append("%s=%s" % (name, _one_line(unquote_plus(value))))
    return "\n".join(lines) + "\n"


def _one_line(value):
    return "".join(char if char >= " " and char != "\x7f" else "\\x%02x" % ord(char) for char in value)
