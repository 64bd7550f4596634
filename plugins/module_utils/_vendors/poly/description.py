# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Poly (Polycom) SoundPoint IP, VVX and Trio phones on UC Software are, as data.

Sources: vendor-facts-more.md section 2 (Poly guides and wazo-provd-plugins,
FusionPBX, Provisioner and an Ansible role, named beside each fact).
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    FirmwareFacts,
    HttpCredentialsFacts,
    NotifyFacts,
    UserAgent,
    VendorDescription,
)

DESCRIPTION = VendorDescription(
    name="poly",
    title="Poly",
    # wazo-provd-plugins common.py:67-89 (both forms); the User-Agent carries
    # no MAC: the phone's MAC is known only from the file name it requests.
    # Early in boot the version is the BootROM/Updater one (Type/Updater).
    # The series word (VVX, SoundPointIP, SoundStationIP...) is left open, as
    # wazo-provd-plugins reads it (Polycom\w+-); the Trio's is not in the sources.
    user_agents=(
        UserAgent(r"^FileTransport Polycom[A-Za-z]+-(?P<model>[A-Za-z]+_[0-9A-Za-z_]+)"
                  r"-UA/(?P<firmware>[0-9][0-9A-Za-z.]*) Type/(?:Application|Updater)",
                  "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"),
        UserAgent(r"^FileTransport Polycom[A-Za-z]+-(?P<model>[A-Za-z]+_[0-9A-Za-z_]+)"
                  r"-UA/(?P<firmware>[0-9][0-9A-Za-z.]*)$",
                  "FileTransport PolycomSoundPointIP-SPIP_335-UA/3.2.1.0078"),
    ),
    macs_in_user_agent=False,
    # The collection's <mac>-sipfleet.cfg, and the files the phone itself
    # asks for or writes under its MAC (Poly FAQ "What files does my phone
    # download or upload"): <mac>.cfg (the master it tries first),
    # -phone.cfg, -web.cfg, -license.cfg, -directory.xml, -app.log,
    # -boot.log; and -bootstrap.cfg, the plain file that hands the phone its
    # HTTP credentials. The fleet-wide 000000000000.cfg and 000000000000-*.* are
    # not a device's.
    device_paths=(r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}(?:-(?:sipfleet|bootstrap|phone|web|license|directory|app|boot))?"
                  r"\.(?:cfg|xml|log)$",),
    # A factory device certificate unique per MAC is documented, but not
    # where its subject carries the MAC (unsure): nothing is declared.
    client_certificate_mac=(),
    # Option 60 is binary, RFC 3925 style: enterprise 13885 (00 00 36 3d),
    # then length and sub-options (UCS 5.9 guide "parse vendor ID
    # information"; SIP 3.1 guide p.C-24). Never match the text "Polycom".
    # Option 66 carries the boot server (SIP 2.2.2 guide p.3-8). No OUIs: the
    # documented option 60 names UC Software phones exactly, while Polycom's
    # MAC prefixes (00:04:f2, 64:16:7f, 48:25:67 in wazo-provd-plugins) also
    # cover its video and conference systems, which would get the phones'
    # boot server; docs/roles/dhcp.md shows how to add them.
    dhcp=DhcpFacts(vendor_class=("0000363d",), match_type="hex-prefix", options=(66,), source="documented"),
    secret_params=("device.auth.localAdminPassword", "device.auth.localUserPassword", "device.prov.password",
                   "device.sec.configEncryption.key"),
    # reg.N.auth.password, and any other password, key or secret a raw
    # parameter may set; not the ".set" switches that go with them.
    secret_param_patterns=(r"(?:^|\.)(?:password|passwd|pin|key|secret)[0-9]*(?:\.|$)", r"[a-z]Password(?:\.|$)"),
    not_secret_param_patterns=(r"\.set$",),
    # 000000000000.cfg, <mac>-sipfleet.cfg and sipfleet-common.cfg: plain XML.
    # Poly's own file encryption (configFileEncrypt) is not public.
    encodings={"xml": ("plain",),
               # The phonebook of sipfleet_directory (_directory.py), shared.
               "phonebook": ("plain",)},
    # wazo-provd sends a plain check-sync (synchronize.py:94-95); whether the
    # phone reboots follows voIpProt.SIP.specialEvent.checkSync.alwaysReboot.
    notify=NotifyFacts("check-sync"),
    firmware=FirmwareFacts("the split images keep the names Poly ships (<part number>.sip.ld) in the directory "
                           "APP_FILE_PATH of 000000000000.cfg names (firmware_url, default sip.ld beside the master)"),
    docs="docs/vendors/poly.md",
    settings={_http_credentials.SETTING_NAME: _http_credentials.SETTING},
    # The phone reads the master first (<mac>.cfg if it exists, else
    # 000000000000.cfg), without credentials it does not have yet: the
    # masters stay open, and a master holds no parameter. The plain
    # bootstrap that sets device.prov.user/.password (vendor-facts-more 2.3,
    # code: FusionPBX) is a config file of its own, <mac>-bootstrap.cfg,
    # not <mac>.cfg: that name is Yealink's own file, which must stay
    # protected in the flat lists every family's patterns share. The files
    # under <mac>- (the collection's -sipfleet.cfg with the account
    # passwords, and what the phone itself reads or uploads) need them.
    # Unsure: whether the phone fetches the CONFIG_FILES after the
    # bootstrap with the new credentials in the same boot or only after the
    # restart a device.* change makes, and what it does on a 401.
    http_credentials=HttpCredentialsFacts(
        paths=(r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}-(?:sipfleet|phone|web|license|directory|app|boot)\.(?:cfg|xml|log)$",),
        # The same files for a TFTP server's refusal (egrep, no look-ahead).
        tftp_paths=(r"(^|/){mac}-(sipfleet|phone|web|license|directory|app|boot)\.(cfg|xml|log)$",),
        bootstrap_paths=(r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}-bootstrap\.cfg$",),
        setting=_http_credentials.SETTING_NAME,
        key=_http_credentials.DEFAULT_KEY_NAME,
        key_bytes=_http_credentials.DEFAULT_KEY_BYTES,
        source="unsure"),
)
