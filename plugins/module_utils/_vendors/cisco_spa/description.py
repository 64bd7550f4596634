# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Cisco/Linksys SPA phones and ATAs are, as data (see ``_vendors/description.py``).

Sources: the SPA provisioning guide (seed 002), the SPA IP phone
administration guide (seed 003) and ``docs/vendors/cisco_spa.md``.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    FirmwareFacts,
    NotifyFacts,
    UserAgent,
    VendorDescription,
)

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_flat_profile import (
    SECRET_PARAM_PATTERN,
    SECRET_PARAMS,
    SETTINGS,
)

DESCRIPTION = VendorDescription(
    name="cisco_spa",
    title="Cisco/Linksys SPA",
    user_agents=(
        # Seed 002: "Linksys/SPA-2102-2.0.5 (88012BA01234)", the serial number in brackets.
        UserAgent(r"^(?:Linksys|Cisco|Sipura)/(?P<model>SPA-?[0-9A-Za-z]+|PAP2T|WIP[0-9]+)-(?P<firmware>[^\s(]+)",
                  "Linksys/SPA-2102-2.0.5 (88012BA01234)", source="documented"),
    ),
    # The User-Agent carries the serial number, sometimes the MAC too: not a rule.
    macs_in_user_agent=False,
    device_paths=(r"^/(?:[^/]+/)*spa{mac}\.xml$",),
    # Seed 002: the device certificate's subject holds OU=model, L=serial, S=MAC (OpenSSL writes ST=).
    client_certificate_mac=(r"(?:^|[,+])(?:ST|S)={mac}(?:[,+]|$)",),
    # Not documented by Cisco; what the phones are seen to send.
    dhcp=DhcpFacts(vendor_class=("Linksys", "Cisco SPA"), match_type="prefix", options=(66, 150)),
    secret_params=SECRET_PARAMS,
    secret_param_patterns=(SECRET_PARAM_PATTERN,),
    encodings={
        "xml": ("plain",),
        "xml_encrypted": ("openssl-aes-256-cbc",),
        "xml_compressed_encrypted": ("gzip", "openssl-aes-256-cbc"),
        # The phonebook of sipfleet_directory (_directory.py), shared.
        "phonebook": ("plain",),
    },
    # Resync_From_SIP: "a SIP NOTIFY message containing the Event: resync header".
    notify=NotifyFacts("resync"),
    firmware=FirmwareFacts("the image keeps the file name Cisco ships (spa525g-7-6-2b.bin), optionally in a directory"),
    docs="docs/vendors/cisco_spa.md",
    settings=SETTINGS,
)
