# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The two Grandstream profile formats: the ``gs_provision`` XML document and the legacy binary ``cfg<mac>``."""

from __future__ import annotations

import struct
from xml.sax.saxutils import escape

#: The fixed last pair of every legacy binary body (vendor-facts, several
#: open implementations).
LEGACY_GNKEY = "0b82"


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
    # How a value is URL-encoded (and LEGACY_SPACE, which decides it) is
    # still defined in renderer.py, which imports this module: imported here
    # when called, so either module can be imported first.
    from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.renderer import _url_value

    body = "".join("%s=%s&" % (name, _url_value(str(value))) for name, value in pvalues) + "gnkey=" + LEGACY_GNKEY
    data = body.encode("ascii")
    if len(data) % 2:
        data += b"\0"
    header = struct.pack(">IH", 8 + len(data) // 2, 0) + bytes.fromhex(mac) + b"\r\n\r\n"
    whole = header + data
    total = sum(struct.unpack(">%dH" % (len(whole) // 2), whole)) & 0xFFFF
    return whole[:4] + struct.pack(">H", (0x10000 - total) & 0xFFFF) + whole[6:]
