# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Cisco multiplatform phones and ATA19x are, as data (see ``_vendors/description.py``).

Sources: the MPP provisioning guide (seed 001) and ``docs/vendors/cisco_mpp.md``.
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
    name="cisco_mpp",
    title="Cisco MPP",
    user_agents=(
        # "Cisco-CP-7832-3PCC/11.0.1 (00562b043615)".
        UserAgent(r"^Cisco-(?P<model>CP-[0-9A-Za-z-]+)/(?P<firmware>\S+) \((?P<mac>[0-9A-Fa-f]{12})\)",
                  "Cisco-CP-7832-3PCC/11.0.1 (00562b043615)"),
        # ATA19x and the lab's form (README): "Cisco/ATA192-MPP-12-0-1 (0c1167abcdef)".
        UserAgent(r"^Cisco/(?P<model>[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)-(?P<firmware>[^\s(]+) \((?P<mac>[0-9A-Fa-f]{12})\)",
                  "Cisco/ATA192-MPP-12-0-1 (0c1167abcdef)"),
        # Seed 001's ATA192 names its serial number, not its MAC: a fetch of
        # this form claims no device, so the fetch log still reports it as
        # naming none (nothing ties a serial number to the device).
        UserAgent(r"^Cisco/(?P<model>ATA19[0-9](?:-MPP)?)-(?P<firmware>[^\s(]+) \((?P<serial>[0-9A-Z]{11})\)",
                  "Cisco/ATA192-MPP-11-1-0MPP-16 (FCH2118DGQP)", source="documented"),
    ),
    macs_in_user_agent=True,
    user_agent_mac=r"\({mac}\)",
    device_paths=(r"^/(?:[^/]+/)*{mac}\.xml$",),
    # The MPP device certificate (seed 001) is Cisco-signed; where its subject
    # carries the MAC is not documented there: none is assumed.
    client_certificate_mac=(),
    # Not documented by Cisco; what the phones are seen to send.
    dhcp=DhcpFacts(vendor_class=("Cisco ATA", "Cisco IP Phone", "Cisco Systems"), match_type="prefix",
                   options=(66, 150, 159, 160)),
    secret_params=SECRET_PARAMS,
    secret_param_patterns=(SECRET_PARAM_PATTERN,),
    encodings={
        "xml": ("plain",),
        "xml_encrypted": ("openssl-aes-256-cbc",),
        "xml_compressed_encrypted": ("gzip", "openssl-aes-256-cbc"),
        # The phonebook of sipfleet_directory (_directory.py), shared.
        "phonebook": ("plain",),
    },
    notify=NotifyFacts("resync"),
    firmware=FirmwareFacts("the image keeps the file name Cisco ships (the load name the phone compares), "
                           "optionally in a directory"),
    docs="docs/vendors/cisco_mpp.md",
    settings=SETTINGS,
)
