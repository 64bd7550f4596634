# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Panasonic KX-UT, KX-UTG and KX-HDV phones are, as data (see ``_vendors/description.py``).

Sources: the Panasonic provisioning guides and ``docs/vendors/panasonic.md``.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    FirmwareFacts,
    NotifyFacts,
    UserAgent,
    VendorDescription,
)

DESCRIPTION = VendorDescription(
    name="panasonic",
    title="Panasonic",
    user_agents=(
        UserAgent(r"^Panasonic_(?P<model>KX-[0-9A-Za-z-]+)/(?P<firmware>\S+) \((?P<mac>[0-9A-Fa-f]{12})\)",
                  "Panasonic_KX-UT113/01.133 (0080f0c8c381)"),
    ),
    macs_in_user_agent=True,
    user_agent_mac=r"\({mac}\)",
    device_paths=(r"^/(?:[^/]+/)*config{mac}\.(?:cfg|enc)$",),
    # No device certificate whose subject carries the MAC is documented.
    client_certificate_mac=(),
    # Option 60 "Panasonic..."; option 66 is the server URL ending in "/".
    dhcp=DhcpFacts(vendor_class=("Panasonic",), match_type="prefix", options=(66, 159, 160)),
    secret_params=(),
    # The one declaration of Panasonic secrets (--diff masks them on both
    # sides whatever their value): every name with PASS, PWD, SECRET or KEY
    # in it (SIP_PASS_1, ADMIN_PASS, USER_PASS, HTTP_AUTH_PASS, CFG_FILE_KEY,
    # CFG_FILE_KEY2) or ending in a PIN, except a key's length
    # (CFG_FILE_KEY_LENGTH names an algorithm, not a secret).
    secret_param_patterns=(r"PASS|PWD|SECRET|KEY|(?:^|_)PIN(?:_[0-9]+)?$",),
    not_secret_param_patterns=(r"KEY[0-9]*_LENGTH$",),
    encodings={
        "cfg": ("plain",),
        "enc": ("openssl-aes-256-cbc", "base64"),
    },
    notify=NotifyFacts("check-sync"),
    firmware=FirmwareFacts("the image keeps the file name Panasonic ships, optionally in a directory"),
    docs="docs/vendors/panasonic.md",
)
