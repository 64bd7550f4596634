# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MAC address normalisation.

Every vendor names per-device files after the MAC (``cfg000b82123456.xml``,
``Config0080F0C8C381.cfg``), so one canonical form, twelve lower-case hex
digits, is used everywhere inside the collection; renderers change the case
where a vendor wants it.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import MacAddressError

_HEX = "[0-9A-Fa-f]"
_FORMATS = (
    # 00:0B:82:12:34:56 and 00-0b-82-12-34-56 (one separator throughout)
    re.compile(r"^{h}{{2}}([:-]){h}{{2}}(?:\1{h}{{2}}){{4}}$".format(h=_HEX)),
    # 000b.8212.3456 (Cisco)
    re.compile(r"^{h}{{4}}\.{h}{{4}}\.{h}{{4}}$".format(h=_HEX)),
    # 000B82123456
    re.compile(r"^{h}{{12}}$".format(h=_HEX)),
)
_SEPARATORS = re.compile("[:.-]")

ACCEPTED_FORMS = "00:0B:82:12:34:56, 00-0b-82-12-34-56, 000b.8212.3456 or 000B82123456"


def normalize_mac(value, device=None, field="mac"):
    """Return ``value`` as twelve lower-case hex digits, or raise :class:`MacAddressError`.

    Surrounding white space is ignored (bar-code scanners add it). Rejected,
    with the value in the message: other notations, group (multicast and
    broadcast) addresses and the all-zero address, none of which a phone has.
    """
    if not isinstance(value, str):
        raise MacAddressError(
            "MAC address must be a string in one of the forms %s, got %s %r"
            % (ACCEPTED_FORMS, type(value).__name__, value),
            device=device, field=field,
        )
    text = value.strip()
    if not any(form.match(text) for form in _FORMATS):
        raise MacAddressError(
            "%r is not a MAC address; use one of the forms %s" % (value, ACCEPTED_FORMS),
            device=device, field=field,
        )
    mac = _SEPARATORS.sub("", text).lower()
    if mac == "000000000000":
        raise MacAddressError("%r is the all-zero MAC address, which no device has" % (value,), device=device, field=field)
    # The I/G bit (least significant bit of the first octet) marks group
    # addresses: multicast and the broadcast ff:ff:ff:ff:ff:ff.
    if int(mac[:2], 16) & 1:
        kind = "the broadcast" if mac == "ffffffffffff" else "a multicast"
        raise MacAddressError(
            "%r is %s MAC address, not a device's own address" % (value, kind), device=device, field=field
        )
    return mac
