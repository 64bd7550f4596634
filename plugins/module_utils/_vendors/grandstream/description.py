# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Grandstream phones are, as data (see ``_vendors/description.py``).

Sources: the Grandstream XML provisioning guide (seed 000), the config
templates (grp261x 1.0.5.15, gxp21xx 1.0.11.16, gxp 1.2.5.3) and the facts
in ``docs/vendors/grandstream.md``.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    FirmwareFacts,
    NotifyFacts,
    UserAgent,
    VendorDescription,
)

#: P-values of the six accounts' SIP passwords (template sections "Account N").
ACCOUNT_PASSWORD_PARAMS = ("P34", "P406", "P506", "P606", "P1706", "P1806")

#: P-values that hold a secret: the account passwords, P2 "Admin password for
#: web interface", P196 "End User Password", P1359 "XML Config File Password"
#: and P1361 "Config HTTP/HTTPS Password" (grp261x 1.0.5.15 and gxp21xx
#: 1.0.11.16 templates), and every other P-value those templates and gxp
#: 1.2.5.3 describe as a password, private key or authentication/privacy key
#: (:data:`TEMPLATE_SECRET_PARAMS`). The one declaration of Grandstream
#: secrets: ``--diff`` masks them on both sides, a bootstrap carrying one is
#: a secret file, and error messages never show their values.
TEMPLATE_SECRET_PARAMS = (
    "P83",  # PPPoE Password
    "P279", "P281",  # SIP TLS Private Key, SIP TLS Private Key Password
    "P1383",  # Password to Lock/Unlock
    "P1594",  # Login Password
    "P2967",  # Password.
    "P4505", "P4512",  # TR-069 Password, Connection Request Password
    "P6714", "P6769", "P6773",  # HTTP/HTTPS Password, Firmware HTTP/HTTPS Password, SIP Password
    "P7903",  # MD5 Password
    "P8024",  # LDAP bind Password
    "P8221",  # CPE SSL Private Key
    "P8395", "P9904",  # OpenVPN Password, OpenVPN Client Key
    "P8404", "P8407", "P8410", "P8413", "P8416", "P8419", "P8422", "P8425", "P8428", "P8431",  # Wi-Fi Password
    "P8452",  # FTP/HTTP Password
    "P21908", "P21909", "P21914", "P21915",  # SNMP (Trap) Authentication Key, Privacy Key
    "P22022", "P22137", "P22140", "P22143", "P22146", "P22149", "P22152", "P22155", "P22158", "P22161",  # EAP Password
    "P32004", "P32009", "P32014", "P32019", "P32024", "P32029", "P32034", "P32039", "P32044", "P32049",  # Access Password
)
SECRET_PARAMS = frozenset(ACCOUNT_PASSWORD_PARAMS + ("P2", "P196", "P1359", "P1361") + TEMPLATE_SECRET_PARAMS)

#: The inventory settings only Grandstream phones read.
SETTINGS = {
    "model_profiles": Setting(
        "bool", "also write the per-model shared profile (Grandstream cfg<model>.xml); Panasonic always splits "
        "settings into Config{MAC}.cfg, Config{MODEL}.cfg and ConfigCom.cfg", default=False),
    "common_profile": Setting(
        "bool", "also write the fleet-wide generic profile (Grandstream cfg.xml), served to phones that have no "
        "profile of their own", default=False),
    "config_prefix": Setting("str", "profile file name prefix (Grandstream P234)"),
    "config_postfix": Setting("str", "profile file name postfix (Grandstream P235)"),
    "firmware_prefix": Setting("str", "firmware file name prefix (Grandstream P232)"),
    "firmware_postfix": Setting("str", "firmware file name postfix (Grandstream P233)"),
}

DESCRIPTION = VendorDescription(
    name="grandstream",
    title="Grandstream",
    user_agents=(
        # The hardware revision follows the model on some (HT801 V1.1A, GXP2200 V2.2A).
        UserAgent(r"^Grandstream Model HW (?P<model>\S+)(?: V\S+)? SW (?P<firmware>\S+) DevId (?P<mac>[0-9A-Fa-f]{12})\b",
                  "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859"),
        # Firmware 1.2.x (GXP2000 and its family): the images' names and versions in brackets, the
        # program image first: its version is the firmware's.
        UserAgent(r"^Grandstream (?P<model>[A-Z]+[0-9]+) \((?:[^:)]*:(?P<firmware>[0-9][^/)]*))?[^)]*\) "
                  r"DevId (?P<mac>[0-9A-Fa-f]{12})\b",
                  "Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8"),
    ),
    macs_in_user_agent=True,
    user_agent_mac=r"DevId\s+{mac}\b",
    device_paths=(
        # cfg<mac>, cfg<mac>.bin, cfg<mac>.xml, with config prefix/postfix (gs_cfg000b82000001_cfg001).
        r"^/(?:[^/]+/)*[^/]*cfg{mac}(?:\.xml|\.bin)?[^/]*$",
    ),
    # The factory certificate's subject carries the MAC as its common name.
    client_certificate_mac=(r"(?:^|[,+])CN={mac}(?:[,+]|$)",),
    # "Grandstream GXP2170 dslforum.org", "HT8XX dslforum.org", "DP7XX dslforum.org".
    dhcp=DhcpFacts(vendor_class=("Grandstream", "HT8XX", "DP7XX"), match_type="prefix", options=(66, 43),
                   source="documented"),
    secret_params=SECRET_PARAMS,
    encodings={
        "xml": ("plain",),
        "xml_encrypted": ("openssl-aes-256-cbc",),
        "legacy_binary": ("plain",),
        # The phonebook of sipfleet_directory (_directory.py), shared.
        "phonebook": ("plain",),
    },
    notify=NotifyFacts("check-sync"),
    firmware=FirmwareFacts("firmware prefix (P232) + the image's basic name + firmware postfix (P233), the postfix "
                           "defaulting to _<version>", versioned_name=True),
    docs="docs/vendors/grandstream.md",
    settings=SETTINGS,
)
