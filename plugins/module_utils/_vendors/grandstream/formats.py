# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The two Grandstream profile formats: the ``gs_provision`` XML document and the legacy binary ``cfg<mac>``.

Each has an encoder (``render_*``: P-values in order to bytes) and a decoder
(``parse_*``: bytes back to ``{P-name: value}``, every value a string). A
decoder accepts what its encoder writes and refuses, with a
:class:`ProfileFormatError`, anything that is not: a broken layout or
checksum, a name that is not a P-value, a P-value given twice, a value its
encoder could not have written, another device's MAC, and in XML a
document type declaration (so no entity can expand). Its messages never
show a value: a value may be a password.
"""

from __future__ import annotations

import re
import struct
import xml.parsers.expat
from urllib.parse import quote, quote_plus, unquote_plus
from xml.sax.saxutils import escape

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, quote_value

#: How the legacy binary body encodes a space. Open implementations differ
#: (wazo-provd and Elastix write ``%20``, form encoding would write ``+``) and
#: no Grandstream document settles it; ``%20`` is the default because it is
#: what the implementations that shipped to real phones write, and it can
#: never be mistaken for a literal ``+``. Set to ``"+"`` to form-encode.
LEGACY_SPACE = "%20"

#: The fixed last pair of every legacy binary body (vendor-facts, several
#: open implementations).
LEGACY_GNKEY = "0b82"

# "A parameter consists of a capital letter P and 1 to 5 digits" (seed 000).
PARAM_NAME = re.compile(r"P[1-9][0-9]{0,4}")

# A legacy value as the encoder writes it: the characters urllib's quote()
# leaves alone with safe="/", %XX escapes, and + for a space when
# LEGACY_SPACE is "+" (the encoder turns a literal + into %2B either way,
# so a + always means a space).
_LEGACY_VALUE = re.compile(r"(?:[A-Za-z0-9_.~/+-]|%[0-9A-Fa-f]{2})*")
_MAC = re.compile(r"[0-9a-f]{12}")
_LEGACY_HEADER = 16


def _url_value(value):
    if LEGACY_SPACE == "+":
        return quote_plus(value, safe="/")
    return quote(value, safe="/")


def render_xml(pvalues, mac=None):
    """A ``gs_provision`` document: ``<mac>`` (when given) and the P-values in order."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<gs_provision version="1">']
    if mac is not None:
        out.append("  <mac>%s</mac>" % mac)
    out.append('  <config version="1">')
    for name, value in pvalues:
        out.append("    <%s>%s</%s>" % (name, escape(str(value)), name))
    out.extend(["  </config>", "</gs_provision>", ""])
    return "\n".join(out).encode("utf-8")


def render_legacy_binary(mac, pvalues):
    """The legacy binary config file of ``mac`` carrying ``pvalues``.

    16-byte header: length of the file in 16-bit words (4 bytes, big
    endian), a checksum (2 bytes) that makes the big-endian 16-bit words of
    the whole file sum to 0 mod 65536, the raw MAC, CR LF CR LF; then
    ``P2=...&P3=...&gnkey=0b82`` with URL-encoded values (UTF-8), NUL-padded
    to an even length. Encoding every value means no value can add a pair.
    """
    body = "".join("%s=%s&" % (name, _url_value(str(value))) for name, value in pvalues) + "gnkey=" + LEGACY_GNKEY
    data = body.encode("ascii")
    if len(data) % 2:
        data += b"\0"
    header = struct.pack(">IH", 8 + len(data) // 2, 0) + bytes.fromhex(mac) + b"\r\n\r\n"
    whole = header + data
    total = sum(struct.unpack(">%dH" % (len(whole) // 2), whole)) & 0xFFFF
    return whole[:4] + struct.pack(">H", (0x10000 - total) & 0xFFFF) + whole[6:]


def _check_mac(found, mac, device, field):
    if mac is not None and found != mac.lower():
        raise ProfileFormatError("is for MAC %s, not %s" % (found, mac.lower()), device=device, field=field)


class _XmlReader:
    """Expat handlers that keep the P-values of a ``gs_provision`` document and refuse any other shape."""

    def __init__(self, device, field):
        self.device = device
        self.field = field
        self.path = []
        self.text = None
        self.mac = None
        self.seen = []
        self.values = {}

    def error(self, message):
        return ProfileFormatError(message, device=self.device, field=self.field)

    def start(self, name, attributes):
        depth = len(self.path)
        if self.text is not None:
            raise self.error("<%s> holds an element; it holds only text" % self.path[-1])
        if depth == 0:
            attrs = {"version": "1"}
            if name != "gs_provision":
                raise self.error("its root element is %s, not gs_provision" % quote_value(name))
        elif depth == 1:
            # An optional <mac> first, then the one <config>.
            attrs = {} if name == "mac" else {"version": "1"}
            if name not in ("mac", "config") or name in self.seen or (name == "mac" and self.seen):
                raise self.error("%s in <gs_provision>, which holds an optional <mac> then one <config>" % quote_value(name))
            self.seen.append(name)
        else:
            attrs = {}
            if not PARAM_NAME.fullmatch(name):
                raise self.error("%s in <config> is not a P-value name: P followed by 1 to 5 digits" % quote_value(name))
            if name in self.values:
                raise self.error("%s is set twice" % name)
        if dict(attributes) != attrs:
            raise self.error("<%s> must have %s" % (name, " ".join('%s="%s"' % item for item in attrs.items()) or "no attributes"))
        self.path.append(name)
        if depth == 2 or name == "mac":
            self.text = []

    def end(self, name):
        self.path.pop()
        if self.text is None:
            return
        text = "".join(self.text)
        self.text = None
        if name == "mac":
            if not _MAC.fullmatch(text.lower()):
                raise self.error("<mac> is not 12 hex digits")
            self.mac = text.lower()
        else:
            self.values[name] = text

    def characters(self, data):
        if self.text is not None:
            self.text.append(data)
        elif data.strip():
            raise self.error("text outside a P-value, in <%s>" % (self.path[-1] if self.path else "the document"))

    def refuse(self, *dummy):
        raise self.error("has a document type declaration; a gs_provision file has none")

    def refuse_instruction(self, target, dummy):
        raise self.error("has the processing instruction <?%s?>; a gs_provision file has none" % quote_value(target)[1:-1])


def parse_xml(data, mac=None, device=None, field=None):
    """``{P-name: value}`` of a ``gs_provision`` document (bytes), as :func:`render_xml` writes it.

    ``mac``: the device the file must be for; the document must then carry
    that ``<mac>`` (without it, a ``<mac>`` is allowed and not checked).
    ``device`` and ``field`` (the file) go into the errors. Raises
    :class:`ProfileFormatError`.
    """
    reader = _XmlReader(device, field)
    # UTF-8 whatever the declaration says: the encoder writes nothing else.
    parser = xml.parsers.expat.ParserCreate("UTF-8")
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    # Refused before its internal subset is read: no entity is ever declared.
    parser.StartDoctypeDeclHandler = reader.refuse
    parser.EntityDeclHandler = reader.refuse
    parser.ProcessingInstructionHandler = reader.refuse_instruction
    if not isinstance(data, bytes):
        raise reader.error("must be bytes, got %s" % type(data).__name__)
    try:
        data.decode("utf-8")
        parser.Parse(data, True)
    except UnicodeDecodeError:
        raise reader.error("is not UTF-8") from None
    except xml.parsers.expat.ExpatError as exc:
        # Expat's message names the line and column, never the text there.
        raise reader.error("is not well-formed XML: %s (line %d, column %d)"
                           % (xml.parsers.expat.ErrorString(exc.code), exc.lineno, exc.offset)) from None
    if "config" not in reader.seen:
        raise reader.error("has no <config>")
    if mac is not None and reader.mac is None:
        raise reader.error("has no <mac>; the file for %s must name it" % mac.lower())
    if reader.mac is not None:
        _check_mac(reader.mac, mac, device, field)
    return reader.values


def parse_legacy_binary(data, mac=None, device=None, field=None):
    """``{P-name: value}`` of a legacy binary file, as :func:`render_legacy_binary` writes it.

    Checks the whole layout: the length in 16-bit words, the checksum, the
    CR LF CR LF, the one NUL that pads an odd body, the final
    ``gnkey=0b82``; ``mac``, when given, must be the MAC in the header.
    A value is URL-encoded UTF-8 (``+`` is a space, see ``LEGACY_SPACE``).
    ``device`` and ``field`` (the file) go into the errors. Raises
    :class:`ProfileFormatError`.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    if not isinstance(data, bytes):
        raise error("must be bytes, got %s" % type(data).__name__)
    if len(data) < _LEGACY_HEADER or len(data) % 2:
        raise error("is %d bytes long; a legacy binary file has an even length of at least %d" % (len(data), _LEGACY_HEADER))
    (words,) = struct.unpack(">I", data[:4])
    if words * 2 != len(data):
        raise error("says it is %d 16-bit words long, but it is %d" % (words, len(data) // 2))
    if sum(struct.unpack(">%dH" % (len(data) // 2), data)) & 0xFFFF:
        raise error("has a wrong checksum: its 16-bit words do not add up to 0 modulo 65536")
    if data[12:16] != b"\r\n\r\n":
        raise error("has no CR LF CR LF after the MAC")
    _check_mac(data[6:12].hex(), mac, device, field)
    body = data[_LEGACY_HEADER:]
    # The file has an even length, so a body ending in NUL is odd without it:
    # that one NUL is the padding, and no other NUL may follow or precede.
    if body.endswith(b"\0"):
        body = body[:-1]
    if b"\0" in body:
        raise error("has a NUL the encoder would not write: one NUL pads an odd body, nothing else")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise error("has a byte that is not ASCII in its body") from None
    pairs = text.split("&")
    if pairs[-1] != "gnkey=" + LEGACY_GNKEY:
        raise error("does not end with gnkey=%s" % LEGACY_GNKEY)
    values = {}
    for number, pair in enumerate(pairs[:-1], start=1):
        name, sep, value = pair.partition("=")
        if not sep or not PARAM_NAME.fullmatch(name):
            # Not quoted: the text of a broken pair may be a password.
            raise error("pair %d is not P<number>=value" % number)
        if name in values:
            raise error("%s is set twice" % name)
        if not _LEGACY_VALUE.fullmatch(value):
            raise error("the value of %s is not URL-encoded" % name)
        try:
            values[name] = unquote_plus(value, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise error("the value of %s is not URL-encoded UTF-8" % name) from None
    return values
