# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Fanvil X-series and H-series desk phones are, as data (see ``_vendors/description.py``).

Sources: vendor-facts-more.md section 4 (wazo-provd-plugins and FusionPBX
code, the Fanvil C56 and Cortelco C58 manuals) and ``docs/vendors/fanvil.md``.
No source was tested against a real phone.
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

#: The inventory setting that picks the XML form of a device's files.
FORMAT_SETTING = "fanvil_config_format"
#: ``model``: the form the model table gives (models.py); the other two force one form, for firmware that reads the other.
FORMAT_CHOICES = ("model", "voip_config_file", "sysconf")

CONFIG_FORMAT = Setting(
    "str", "Fanvil: the XML form of the device's <mac>.cfg: model (the form models.py gives the model, as wazo-provd-plugins "
    "picks it), voip_config_file (<VOIP_CONFIG_FILE>, older X-series and H5) or sysconf (<sysConf>, X4U/X5U/X6U/X7/X7C/X210 "
    "and H2U-V2); set it when your firmware reads the other form; docs/vendors/fanvil.md", choices=FORMAT_CHOICES,
    default="model")

DESCRIPTION = VendorDescription(
    name="fanvil",
    title="Fanvil",
    # wazo-provd-plugins common.py:59-87 and FusionPBX app/provision/index.php:
    # "Fanvil <model> <firmware> <mac>", the MAC the last token in lower
    # case; the model may hold a space ("X6U Pro") or a -V2 suffix.
    user_agents=(
        UserAgent(r"^Fanvil (?P<model>[A-Za-z0-9-]+ Pro) (?P<firmware>[0-9][0-9.]*) (?P<mac>[0-9a-f]{12})$",
                  "Fanvil X6U Pro 0.0.10 0c383e2cd782"),
        UserAgent(r"^Fanvil (?P<model>[A-Za-z0-9-]+) (?P<firmware>[0-9][0-9.]*) (?P<mac>[0-9a-f]{12})$",
                  "Fanvil X4 2.10.2.6887 0c383e07e16c"),
    ),
    macs_in_user_agent=True,
    # <mac>.cfg (lower-case MAC, wazo-provd-plugins and FusionPBX agree), in
    # any directory, and <mac>-bootstrap.cfg, the plain file that hands the
    # phone its HTTP credentials (below): the same names and pattern as
    # Yealink's. The model files (f0X4hw1.100.cfg, F0V00X600000.cfg) are
    # never served by the collection, and hold no MAC. Poly's fleet-wide
    # 000000000000.cfg must match no family's pattern.
    device_paths=(r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}(?:-bootstrap)?\.cfg$",),
    # No factory device certificate was found (vendor-facts-more 4.6).
    client_certificate_mac=(),
    # Option 60 is probably not sent (FusionPBX: Use_Vendor_Class_ID 0,
    # unsure), so none is declared: the phones are matched by Fanvil's MAC
    # prefixes as wazo-provd-plugins lists them (dhcp/dhcpd_update/fanvil.conf),
    # which sends them option 66 and option 43 alike; DHCP_Option (default
    # 66) picks the one the phone reads.
    dhcp=DhcpFacts(vendor_class=(), match_type=None, options=(66, 43), source="code", ouis=("00a859", "0c383e")),
    # The file keys (their algorithm is not public, never written by the
    # collection), and every password: Register_Pswd, Proxy_Pswd,
    # Download_Password, Password, Menu_Password, RegisterPswd, MenuPassword;
    # every key, such as the SRTP keys of a SIP_Line_List_Entry
    # (SigCrypto_Key, MedCrypto_Key), and every PIN a raw parameter may set.
    secret_params=("Config_File_Key", "Common_Cfg_File_Key"),
    secret_param_patterns=(r"(?:Pswd|Passwd|Password|_Key|_Pin)$",),
    # The function keys' container (PHONE_CONFIG_MODULE.Function_Key) holds no key material.
    not_secret_param_patterns=(r"(?:^|\.)Function_Key$",),
    # cfg: <mac>.cfg and <mac>-bootstrap.cfg, plain XML in either form.
    # Fanvil's own file encryption (Config_File_Key) is not public.
    encodings={"cfg": ("plain",)},
    # wazo-provd sends a plain check-sync; whether the phone reboots follows
    # Notify_Reboot / NotifyReboot (unsure).
    notify=NotifyFacts("check-sync", source="code"),
    firmware=FirmwareFacts("the image keeps the file name Fanvil ships (such as "
                           "x4upro-fanvil-release-ff01-6903-2.12.20-krnlvUT2024-07-16-04.42.26.z); firmware_url is its full "
                           "URL (Auto_Image_URL)"),
    docs="docs/vendors/fanvil.md",
    settings={_http_credentials.SETTING_NAME: _http_credentials.SETTING, FORMAT_SETTING: CONFIG_FORMAT},
    # Per-device HTTP credentials protect the account file: <mac>.cfg holds
    # the SIP and admin passwords and Fanvil's file encryption is not public.
    # A plain <mac>-bootstrap.cfg, served without credentials and only in the
    # device's bootstrap window, sets Download_Username / Download_Password
    # (AUTOUPDATE_CONFIG_MODULE, code: wazo-provd base.tpl, FusionPBX x4) and
    # Config_File_Name = $mac.cfg, which sends the phone on to its own file.
    # The phone reaches the bootstrap first only if its DHCP option or its
    # Config_File_Name names $mac-bootstrap.cfg (docs/vendors/fanvil.md);
    # whether it then fetches <mac>.cfg in the same pass is unsure. The
    # zero MAC is no device's. tftp_paths: the same file for a TFTP server's
    # refusal (egrep, no look-ahead).
    http_credentials=HttpCredentialsFacts(
        paths=(r"^/(?:[^/]+/)*(?!0{12}[.]){mac}\.cfg$",),
        tftp_paths=(r"(^|/){mac}\.cfg$",),
        bootstrap_paths=(r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}-bootstrap\.cfg$",),
        setting=_http_credentials.SETTING_NAME,
        key=_http_credentials.DEFAULT_KEY_NAME,
        key_bytes=_http_credentials.DEFAULT_KEY_BYTES,
        source="unsure"),
)
