# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What each Grandstream model is: its facts (:data:`MODELS`: lines, keys, the files it asks for), its family's features, the accounts.

Sources: the config templates (grp261x 1.0.5.15, gxp21xx 1.0.11.16, gxp
1.2.5.3), whose family and model lists ``catalog`` holds, and the SIP
Device Provisioning Guide (seed 000) for the file names.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import family_for_model

#: Names the legacy binary is served under: the provisioning guide says the
#: phone asks for ``cfg<mac>.bin``, user manuals of the same firmware
#: generations say ``cfg<mac>``. The same bytes are served under both.
LEGACY_NAMES = ("cfg{mac}", "cfg{mac}.bin")


class ModelFacts:
    """What one model is, as its template and the provisioning guide state it.

    ``lines``: its SIP accounts. ``virtual_keys``: the virtual multi-purpose
    keys (VPKs) its template section defines, ``multipurpose_keys``: the
    physical multi-purpose keys (MPKs); ``None`` where the template states
    no count for the model (the legacy template has no VPKs at all, and the
    MPK sections name only some models). ``family``: its template family
    (``catalog``).
    """

    def __init__(self, model, lines, virtual_keys, multipurpose_keys):
        self.model = model
        self.family = family_for_model(model)
        self.lines = lines
        self.virtual_keys = virtual_keys
        self.multipurpose_keys = multipurpose_keys

    def requested_files(self, mac):
        """The basic names of the files the phone asks for, in its order, before the config prefix and postfix.

        Provisioning guide (seed 000): the legacy binary (:data:`LEGACY_NAMES`),
        then ``cfg<mac>.xml``, ``cfg<model>.xml`` and ``cfg.xml``, lower
        case; the legacy family reads no XML.
        """
        names = [name.format(mac=mac) for name in LEGACY_NAMES]
        if _features(self.family).xml:
            names.extend(["cfg%s.xml" % mac, "cfg%s.xml" % self.model.lower(), "cfg.xml"])
        return tuple(names)


#: The models the catalog knows. Line counts from the account sections of
#: each template; key counts from its "Programmable Keys" sections.
MODELS = dict((facts.model, facts) for facts in (
    # grp261x_config_1.0.5.15: "Account 3 GRP2613/GRP2614/GRP2615/GRP2616",
    # "Account 4 GRP2614/GRP2615/GRP2616 only", "Account 5 GRP2615/GRP2616
    # only", "Account 6 GRP2616 only". VPKs: one section "For GRP261N" per
    # model, VPK 1 to N. MPKs: "Physical Multi-Purpose Keys - GRP2614/GRP2616
    # only", MPK 1 to 24; no count for the others.
    ModelFacts("GRP2612", 2, 16, None),
    ModelFacts("GRP2613", 3, 24, None),
    ModelFacts("GRP2614", 4, 16, 24),
    ModelFacts("GRP2615", 5, 40, None),
    ModelFacts("GRP2616", 6, 24, 24),
    # gxp2130_2135_2140_2160_2170_config_1.0.11.16: "Account 4 -
    # GXP2140/2160/2170/2135 only", "Account 5/6 - GXP2160/2170 only". VPKs:
    # one section "For GXP21NN" per model. MPKs: "MPK 1- GXP2130/2160 only"
    # to MPK 8, "MPK 9 - MPK 24 - GXP2160 only"; no count for the others.
    ModelFacts("GXP2130", 3, 12, 8),
    ModelFacts("GXP2135", 4, 32, None),
    ModelFacts("GXP2140", 4, 16, None),
    ModelFacts("GXP2160", 6, 24, 24),
    ModelFacts("GXP2170", 6, 48, None),
    # gxp_config_1.2.5.3: accounts 1-2 for all, "Account 3/4 Settings
    # (GXP2000/2020/2010)", "Account 5/6 Settings (GXP2020 only)". No VPKs.
    # "End User Multi Purpose Keys (GXP2000/2020/2010)": keys 1-7, then
    # "The following are for GXP-2010 only": keys 8-18; no count for the
    # GXP1200, GXP280 and GXP285.
    ModelFacts("GXP1200", 2, None, None),
    ModelFacts("GXP280", 2, None, None),
    ModelFacts("GXP285", 2, None, None),
    ModelFacts("GXP2000", 4, None, 7),
    ModelFacts("GXP2010", 4, None, 18),
    ModelFacts("GXP2020", 6, None, 7),
))

#: Line count of each known model (:data:`MODELS`).
MODEL_LINES = dict((model, facts.lines) for model, facts in MODELS.items())

#: Accounts whose P-values are known (the templates define six).
MAX_LINES = 6

#: P-values of account 1..6. Account 1 and 2 are in all three templates
#: ("Account N/General Settings", gxp_config_1.2.5.3 "Primary Account" and
#: "SIP Account 2 Settings"); 3-6 as their template sections above say.
#: ``backup``: "Secondary SIP Server" (P2312, P2412, ... P2812) of the
#: grp261x and gxp21xx templates; the legacy template has none.
ACCOUNTS = (
    {"active": "P271", "name": "P270", "server": "P47", "proxy": "P48", "user": "P35", "auth": "P36",
     "password": "P34", "display": "P3", "transport": "P130", "backup": "P2312"},
    {"active": "P401", "name": "P417", "server": "P402", "proxy": "P403", "user": "P404", "auth": "P405",
     "password": "P406", "display": "P407", "transport": "P448", "backup": "P2412"},
    {"active": "P501", "name": "P517", "server": "P502", "proxy": "P503", "user": "P504", "auth": "P505",
     "password": "P506", "display": "P507", "transport": "P548", "backup": "P2512"},
    {"active": "P601", "name": "P617", "server": "P602", "proxy": "P603", "user": "P604", "auth": "P605",
     "password": "P606", "display": "P607", "transport": "P648", "backup": "P2612"},
    {"active": "P1701", "name": "P1717", "server": "P1702", "proxy": "P1703", "user": "P1704", "auth": "P1705",
     "password": "P1706", "display": "P1707", "transport": "P1748", "backup": "P2712"},
    {"active": "P1801", "name": "P1817", "server": "P1802", "proxy": "P1803", "user": "P1804", "auth": "P1805",
     "password": "P1806", "display": "P1807", "transport": "P1848", "backup": "P2812"},
)


#: Character sets the templates state for password P-values, by family:
#: P2 "Admin password for web interface" and P196 "End User Password" are
#: "String: a-z, A-Z, 0-9" in grp261x 1.0.5.15 and gxp21xx 1.0.11.16; the
#: gxp 1.2.5.3 template states none.
_ALNUM = (re.compile(r"[A-Za-z0-9]*"), "a-z, A-Z and 0-9")
PASSWORD_CHARSETS = {
    "grp261x": {"P2": _ALNUM, "P196": _ALNUM},
    "gxp21xx": {"P2": _ALNUM, "P196": _ALNUM},
}


class _Features:
    """How a template family spells the settings the renderer maps."""

    def __init__(self, xml, transports, upgrade_via, firmware_via_param, timezone, language, backup_server):
        self.xml = xml
        self.transports = transports
        self.upgrade_via = upgrade_via
        self.firmware_via_param = firmware_via_param
        self.timezone = timezone
        self.language = language
        #: Whether the accounts have a "Secondary SIP Server" (ACCOUNTS' ``backup``).
        self.backup_server = backup_server


# grp261x/gxp21xx templates: P130 "SIP Transport. 0 - UDP, 1 - TCP, 2 -
# TLS/TCP"; P212 "Config Upgrade Via. 0 - TFTP, 1 - HTTP, 2 - HTTPS, 3 - FTP,
# 4 - FTPS"; P6767 "Firmware Upgrade Via" (same numbers); P64 time zone with
# "Self-Defined Time Zone ... customize" and P246 "Self Defined Time Zone";
# P1362 "Display Language"; P2312 ... "Secondary SIP Server".
_MODERN = _Features(
    xml=True,
    transports={"udp": 0, "tcp": 1, "tls": 2},
    upgrade_via={"tftp": 0, "http": 1, "https": 2, "ftp": 3, "ftps": 4},
    firmware_via_param="P6767",
    timezone="posix",
    language=True,
    backup_server=True,
)
# gxp_config_1.2.5.3: P130 "SIP Transport. 1 - UDP, 2 - TCP."; P212
# "Firmware Upgrade. 0 - TFTP Upgrade, 1 - HTTP Upgrade." for both firmware
# and config; P64 "Time Zone. Offset in minutes to GMT" (GMT = 720), P75
# "Daylight Savings Time", P246 "Optional Rule"; no display language list
# beyond English/Chinese (P342); no secondary SIP server.
_LEGACY = _Features(
    xml=False,
    transports={"udp": 1, "tcp": 2},
    upgrade_via={"tftp": 0, "http": 1},
    firmware_via_param=None,
    timezone="legacy",
    language=False,
    backup_server=False,
)
_FAMILY_FEATURES = {"grp261x": _MODERN, "gxp21xx": _MODERN, "gxp_legacy": _LEGACY}


def _features(family):
    return _FAMILY_FEATURES.get(family, _MODERN)
