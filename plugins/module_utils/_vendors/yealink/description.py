# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Yealink T3x/T4x/T5x/T7x/T8x desk phones and W-series DECT bases are, as data (see ``_vendors/description.py``).

Sources: vendor-facts-more.md section 1 (Yealink admin and provisioning
guides; wazo-provd-plugins and FusionPBX code where no guide was found) and
``docs/vendors/yealink.md``.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    FirmwareFacts,
    HttpCredentialsFacts,
    NotifyFacts,
    UserAgent,
    VendorDescription,
)

#: The inventory setting that turns on compatibility-mode file encryption
#: for a device: an OBFUSCATION only. The key that wraps each file's key in
#: <mac>_Security.enc is built into every phone and public (CVE-2024-24681),
#: and that file is served next to the one it unlocks, so anyone who can
#: fetch <mac>.cfg can read it; it only stops a casual reader of the file.
COMPAT_ENCRYPTION_SETTING = "yealink_compat_encryption"
#: The key-store key of a device's compatibility-mode key (16 lower-case hex
#: digits: 16 characters of the alphabet Yealink allows).
COMPAT_KEY_NAME = "yealink_aes_key"
#: Random bytes of that key: the key store writes twice as many hex digits, and the phones take 16 characters.
COMPAT_KEY_BYTES = 8

COMPAT_ENCRYPTION = Setting(
    "bool", "Yealink: serve <mac>.cfg encrypted in Yealink's compatibility mode (AES-128-ECB, key yealink_aes_key from the "
    "key store) with <mac>_Security.enc beside it. Obfuscation only: the key that wraps the file's key is public "
    "(CVE-2024-24681), so anyone who can fetch the file can read it; docs/vendors/yealink.md", default=False)

DESCRIPTION = VendorDescription(
    name="yealink",
    title="Yealink",
    # FusionPBX app/provision/index.php and wazo-provd-plugins v87/common.py:
    # "Yealink SIP-<model> <firmware> <mac>", the MAC the last token, lower
    # case with or without colons; newer models write two spaces before the
    # firmware; DECT bases have no "SIP-"; old firmware writes "yealink".
    user_agents=(
        UserAgent(r"^[Yy]ealink (?:SIP-)?(?P<model>[A-Za-z0-9_-]+) +(?P<firmware>[0-9][0-9.]*) "
                  r"(?P<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{12})$",
                  "Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37"),
        UserAgent(r"^[Yy]ealink (?:SIP-)?(?P<model>[A-Za-z0-9_-]+) +(?P<firmware>[0-9][0-9.]*) (?P<mac>[0-9A-Fa-f]{12})$",
                  "Yealink SIP-T56A  58.80.0.25 001565f429a4"),
        UserAgent(r"^[Yy]ealink (?P<model>W[0-9A-Za-z]+) +(?P<firmware>[0-9][0-9.]*) "
                  r"(?P<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})$",
                  "Yealink W70B 146.87.0.15 80:5e:0c:1d:65:4e"),
    ),
    macs_in_user_agent=True,
    # <mac>.boot and <mac>.cfg (lower-case MAC, no separators), in any
    # directory; y0000000000xx.cfg is shared by a model ("y" is not hex, so it
    # never matches); <mac>-bootstrap.cfg hands the phone its HTTP
    # credentials (below). 000000000000.cfg is Poly's fleet-wide master,
    # served from the same roots: the flat lists the roles read hold every
    # family's patterns, so it must match none. <mac>_Security.enc holds the
    # key of a compatibility-mode <mac>.cfg (yealink_compat_encryption).
    device_paths=(r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}(?:(?:-bootstrap)?\.(?:boot|cfg)|_Security\.enc)$",),
    # The phones carry a Yealink-issued per-device certificate, but whether
    # they present it to a provisioning server and its subject layout were not
    # found: none is declared.
    client_certificate_mac=(),
    # The option-60 string Yealink phones send was not found (vendor-facts-more
    # 1.5, unsure), so none is declared: the phones are matched by their MAC
    # prefixes, Yealink's OUIs as wazo-provd-plugins lists them
    # (dhcp/dhcpd_update/yealink.conf, wazo_yealink/v87/common.py), which
    # sends them option 66. Priority: custom option > option 66 > option 43
    # (T5 Admin Guide p.27).
    dhcp=DhcpFacts(vendor_class=(), match_type=None, options=(66, 43), source="code",
                   ouis=("001565", "e434d7", "805ec0", "805e0c", "249ad8", "44dbd2", "644f56", "b061a9", "c4fc22",
                         "ec1da9", "3497d7", "f01653")),
    secret_params=("static.security.user_password",),
    # account.N.password, static.auto_provision.server.password, the AES keys
    # (static.auto_provision.aes_key.com/.mac, aes_key_16.*), any *password*
    # or *pin*; not the switch that says where keys come from.
    secret_param_patterns=(r"password", r"aes_key", r"(?:^|[._])pin(?:$|[._])"),
    not_secret_param_patterns=(r"aes_key_in_file$",),
    # boot: <mac>.boot; cfg: y0000000000xx.cfg and <mac>.cfg. With
    # yealink_compat_encryption: cfg_obfuscated is <mac>.cfg in Yealink's
    # compatibility mode, security_enc its <mac>_Security.enc (the file's
    # key under the public fixed key): vendor-facts-more 1.4, checked.
    encodings={
        "boot": ("plain",),
        "cfg": ("plain",),
        "cfg_obfuscated": ("yealink-aes-128-ecb",),
        "security_enc": ("yealink-key-wrap",),
        # The phonebook of sipfleet_directory (_directory.py), shared.
        "phonebook": ("plain",),
    },
    # Event: check-sync (T5 Smart Media Admin Guide p.757); whether the phone
    # reboots follows sip.notify_reboot_enable (guide default 1: always).
    # sip.notify_reboot_enable = 0 reboots only on reboot=true (T5 admin guide p.757).
    notify=NotifyFacts("check-sync", source="documented",
                       reboot_events={False: "check-sync;reboot=false", True: "check-sync;reboot=true"}),
    firmware=FirmwareFacts("the image keeps the file name Yealink ships (such as T46U(T43U,T46U,T41U,T48U,T42U,T44U,T44W)"
                           "-108.86.0.90.rom); static.firmware.url is its full URL"),
    docs="docs/vendors/yealink.md",
    settings={_http_credentials.SETTING_NAME: _http_credentials.SETTING, COMPAT_ENCRYPTION_SETTING: COMPAT_ENCRYPTION},
    # The phone fetches <mac>.boot first, without credentials, then the
    # .cfg files it names in order. A boot file holds include:config lines
    # and overwrite_mode only (vendor-facts-more 1.1, documented), so the
    # credentials (static.auto_provision.server.username/.password, 1.3,
    # code: wazo-provd base.tpl, FusionPBX) go in a plain <mac>-bootstrap.cfg
    # it names first: the same name and pattern as Poly's. <mac>.cfg, the
    # device's own file with its account passwords, needs them.
    # y0000000000xx.cfg and Poly's 000000000000.cfg master are shared and
    # stay open. Unsure: whether the phone uses the new credentials for the
    # files after the bootstrap in the same pass or from the next one.
    # <mac>_Security.enc unlocks a compatibility-mode <mac>.cfg: protected alike.
    # The zero MAC is no device's: 000000000000.cfg stays open. tftp_paths:
    # the same files for a TFTP server's refusal (egrep, no look-ahead).
    http_credentials=HttpCredentialsFacts(
        paths=(r"^/(?:[^/]+/)*(?!0{12}[._]){mac}(?:\.cfg|_Security\.enc)$",),
        tftp_paths=(r"(^|/){mac}(\.cfg|_Security\.enc)$",),
        bootstrap_paths=(r"^/(?:[^/]+/)*{mac}\.boot$", r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}-bootstrap\.cfg$"),
        setting=_http_credentials.SETTING_NAME,
        key=_http_credentials.DEFAULT_KEY_NAME,
        key_bytes=_http_credentials.DEFAULT_KEY_BYTES,
        source="code"),
)
