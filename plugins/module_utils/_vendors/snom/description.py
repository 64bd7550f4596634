# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Snom D1xx/D3xx/D7xx desk phones and M-series DECT bases are, as data (see ``_vendors/description.py``).

Sources: vendor-facts-more.md section 3 (Snom's service wiki pages, and the
wazo-provd-plugins (W), FusionPBX (F) and eventphone guru3 (E) code named
beside each fact) and ``docs/vendors/snom.md``.
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

#: Snom's time zone code: the generic ``timezone`` (an IANA name or a POSIX string) cannot be turned into one.
TIMEZONE_SETTING = "snom_timezone"
TIMEZONE = Setting(
    "str", "Snom: the phone's timezone code, a country and an offset as Snom lists them (GER+1, USA-5, GBR-0; "
    "service.snom.com/display/wiki/timezone); Snom phones need it instead of the generic timezone, whose IANA name or "
    "POSIX string they do not take; docs/vendors/snom.md")

DESCRIPTION = VendorDescription(
    name="snom",
    title="Snom",
    # W common.py:68-81 (the comment lists every form) and F index.php:174:
    # "Mozilla/4.0 (compatible; snom<model>-SIP <firmware> <build...> <MAC> ...)",
    # the MAC 12 upper-case hex digits whose place varies (F's sample has a
    # build date in parentheses before it), so it is searched, not counted;
    # 7.x/8.x firmware writes no MAC. DECT bases (W common_dect/common.py:
    # 68-70) write "Snom M<model> <firmware> <mac>", the MAC lower case.
    user_agents=(
        UserAgent(r"^Mozilla/4\.0 \(compatible; snom(?P<model>[A-Za-z0-9]+)-SIP (?P<firmware>[0-9][0-9.]*) "
                  r"\S+ \([^()]*\) (?P<mac>[0-9A-Fa-f]{12})\b",
                  "Mozilla/4.0 (compatible; snomD785-SIP 10.1.169.16 2010.12-00001-gd311851f1 (Feb 25 2019 - 14:19:43) "
                  "00041396D9B4 SXM:0 UXM:0 UXMC:0)"),
        UserAgent(r"^Mozilla/4\.0 \(compatible; snom(?P<model>[A-Za-z0-9]+)-SIP (?P<firmware>[0-9][0-9.]*) "
                  r".*\b(?P<mac>[0-9A-Fa-f]{12})\b",
                  "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)"),
        UserAgent(r"^Mozilla/4\.0 \(compatible; Snom (?P<model>M[0-9A-Za-z]+) (?P<firmware>[0-9][0-9.]*) "
                  r"(?P<mac>[0-9A-Fa-f]{12})\)",
                  "Mozilla/4.0 (compatible; Snom M900 05.20.0001 000413b60680)"),
        # Old firmware: no MAC (W's comment lists this form for 8.4.18).
        UserAgent(r"^Mozilla/4\.0 \(compatible; snom(?P<model>[A-Za-z0-9]+)-SIP (?P<firmware>[0-9][0-9.]*)",
                  "Mozilla/4.0 (compatible; snom320-SIP 8.4.18 1.1.3-s)"),
    ),
    macs_in_user_agent=True,
    # Any other form: the MAC is a word of 12 hex digits (vendor-facts-more 3.6).
    user_agent_mac=r"\b{mac}\b",
    # snom<model>-<MAC>.htm (the per-device container the phone asks for
    # itself), snom-<MAC>.xml (the device's settings) and
    # snom-<MAC>-bootstrap.xml (the HTTP credentials); W and E write the MAC
    # upper case, F lower case: matched case-insensitively. The container may
    # name any file (vendor-facts-more 5): not W's <MAC>.xml, which is Cisco
    # MPP's <mac>.xml under case-insensitive matching, and the flat lists the
    # roles read hold every family's patterns. snom<model>.htm,
    # snom<model>.xml and snom<model>-firmware.xml are the model's and carry
    # no MAC. The zero MAC is no device's.
    device_paths=(r"^/(?:[^/]+/)*snom[A-Za-z0-9]+-{mac}\.htm$",
                  r"^/(?:[^/]+/)*snom-(?!0{12}[-.]){mac}(?:-bootstrap)?\.xml$"),
    # The factory certificate's subject CN is the MAC (E snom/views.py:9-40,
    # checked on E's CA file); its issuer is "Snom Phone 1" or "Snom Phone 1
    # SHA-256", under the two Snom roots docs/vendors/snom.md lists (the
    # client CA the http_server role must be given).
    client_certificate_mac=(r"(?:^|[,+])CN={mac}(?:[,+]|$)",),
    # Option 60 is the phone type, "snom<model>" ("phoneType is the same
    # string as the vendor identifier", Snom's Auto Provisioning page;
    # supported since 7.3.15, older than every listed model's firmware):
    # matched on its "snom" prefix. No OUIs: the documented option 60 names
    # the phones, while Snom's MAC prefixes (00:04:13, 00:08:7B in W) would
    # also take in whatever else Snom ships; docs/roles/dhcp.md shows how to
    # add them. Option 43 (66/67 inside it) wins over the direct 66 (Snom's
    # DHCP options page).
    dhcp=DhcpFacts(vendor_class=("snom",), match_type="prefix", options=(43, 66), source="documented"),
    secret_params=("user_pass", "http_pass", "admin_mode_password", "http_client_pass"),
    # Any other password, PIN or key a raw parameter may set: pw for
    # keyboard_lock_pw (the keypad unlock PIN), hash for user_hash (the
    # identity's digest HA1, as good as its password).
    secret_param_patterns=(r"(?:^|_)(?:pass|password|passwd|pw|pin|secret|hash)(?:$|_)",),
    # htm: the setting-files containers (snom<model>.htm, snom<model>-<MAC>.htm);
    # xml: the settings files and the firmware file. Snom publishes no file
    # encryption (vendor-facts-more 3.4): TLS and the phone's certificate.
    encodings={"htm": ("plain",), "xml": ("plain",),
               # The phonebook of sipfleet_directory (_directory.py), shared.
               "phonebook": ("plain",)},
    # W sends check-sync;reboot=false to desk phones (common.py:379-382) and
    # ;reboot=true to DECT bases; challenge_checksync decides whether the
    # phone asks for the SIP password first (documented).
    notify=NotifyFacts("check-sync;reboot=false", source="code",
                       reboot_events={False: "check-sync;reboot=false", True: "check-sync;reboot=true"}),
    firmware=FirmwareFacts("the image keeps the file name Snom ships (such as snomD785-10.1.215.13-SIP-r.bin); "
                           "snom<model>-firmware.xml names its full URL (firmware_url)"),
    docs="docs/vendors/snom.md",
    settings={_http_credentials.SETTING_NAME: _http_credentials.SETTING, TIMEZONE_SETTING: TIMEZONE},
    # The fallback where the phone's certificate cannot be checked: the
    # phone fetches snom<model>-<MAC>.htm without credentials; it names
    # snom-<MAC>-bootstrap.xml first (http_client_user / http_client_pass, F
    # {$mac}.xml:56-57, code), then snom-<MAC>.xml, the device's settings with
    # its passwords, which needs them. Unsure: whether the phone uses the
    # new credentials for the next file of the same container or from the
    # next check on. tftp_paths: the same files for a TFTP server's refusal.
    http_credentials=HttpCredentialsFacts(
        paths=(r"^/(?:[^/]+/)*snom-(?!0{12}\.){mac}\.xml$",),
        tftp_paths=(r"(^|/)snom-{mac}\.xml$",),
        bootstrap_paths=(r"^/(?:[^/]+/)*snom[A-Za-z0-9]+-{mac}\.htm$", r"^/(?:[^/]+/)*snom-(?!0{12}-){mac}-bootstrap\.xml$"),
        setting=_http_credentials.SETTING_NAME,
        key=_http_credentials.DEFAULT_KEY_NAME,
        key_bytes=_http_credentials.DEFAULT_KEY_BYTES,
        source="code"),
)
