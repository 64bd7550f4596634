# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Example Phone Co. EX phones are, as data: the example family of docs/development/adding-a-vendor.md."""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    FirmwareFacts,
    NotifyFacts,
    UserAgent,
    VendorDescription,
)

DESCRIPTION = VendorDescription(
    name="example",
    title="Example Phone Co.",
    user_agents=(
        UserAgent(r"^ExamplePhone/(?P<model>EX[0-9]+) (?P<firmware>\S+) (?P<mac>[0-9a-f]{12})$",
                  "ExamplePhone/EX200 2.1.0 0011aabbccdd"),
    ),
    macs_in_user_agent=True,
    # ex<mac>.cfg and ex<mac>.enc, in any directory; the per-model <model>.cfg is shared.
    device_paths=(r"^/(?:[^/]+/)*ex{mac}\.(?:cfg|enc)$",),
    # The phones carry no documented device certificate.
    client_certificate_mac=(),
    dhcp=DhcpFacts(vendor_class=("ExamplePhone",), match_type="prefix", options=(66,)),
    secret_params=("ADMIN_PASSWORD", "PROFILE_KEY"),
    secret_param_patterns=(r"^LINE[0-9]+_PASSWORD$",),
    # Every kind a ProfileFile of this family is tagged with, and its chain:
    # cfg is <model>.cfg and ex<mac>.cfg, enc the encrypted ex<mac>.enc.
    encodings={
        "cfg": ("plain",),
        "enc": ("openssl-aes-256-cbc",),
    },
    notify=NotifyFacts("check-sync"),
    firmware=FirmwareFacts("the image keeps the file name the vendor ships"),
    docs="docs/vendors/example.md",
)
