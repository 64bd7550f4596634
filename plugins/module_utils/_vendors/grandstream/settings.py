# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mapping of generic settings (``_device_model.SETTINGS``) to Grandstream P-values.

:data:`SETTINGS_MAP` has one row per generic setting: the P-values it
becomes, the template that confirms them and the function that maps a value.
A mapping function takes a :class:`_Context` (the device, its family's
features from ``models``, its settings) and a value, and returns
``[(P-name, value), ...]``; it raises the context's error for a value the
family cannot take. The renderer puts the pairs together (``_PValues``).
"""

from __future__ import annotations

import hashlib
import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import malformed_language
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.addresses import (
    _host,
    _host_port,
    _server_path,
    shown,
)

#: Syslog level set with ``syslog_server`` (P208: 0 none ... 2 info); the
#: phone's default, 0, would send nothing to the server.
SYSLOG_LEVEL = 2

#: ISO 639-1 code -> P1362 value (grp261x and gxp21xx templates, "Display
#: Language"; Grandstream writes Czech as cz and Swedish as se).
LANGUAGES = {
    "ar": "ar", "cs": "cz", "de": "de", "en": "en", "es": "es", "fr": "fr", "he": "he", "hr": "hr",
    "hu": "hu", "it": "it", "ja": "ja", "ko": "ko", "lv": "lv", "nl": "nl", "pl": "pl", "pt": "pt",
    "ru": "ru", "sl": "sl", "sv": "se", "tr": "tr", "zh": "zh", "zh-tw": "zh-tw",
}

# File-name parts a prefix or postfix may use (they become part of a path).
_NAME_PART = re.compile(r"[A-Za-z0-9_.+-]{1,64}")


def resync_minutes(mac, low, high):
    """P193 for one device: a fixed number in ``[low, high]`` derived from its MAC.

    SHA-256 spreads MACs uniformly, even consecutive ones from one carton;
    the 64-bit remainder's bias is below 2**-40 for any range a phone takes.
    """
    digest = hashlib.sha256(("sipfleet.provisioning grandstream P193 " + mac).encode("ascii")).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


# --- the mapping of generic settings ---------------------------------------

class _Context:
    """What a mapping function needs: where errors go and how the family spells things."""

    def __init__(self, device, features, settings, mac, field_for):
        self.device = device
        self.features = features
        self.settings = settings
        self.mac = mac
        self.field_for = field_for

    def error(self, message, name):
        return ProvisioningError(message, device=self.device, field=self.field_for(name))


def _map_ntp(ctx, value):

    if _host(value) is None:
        raise ctx.error("%s is not a host name or IP address" % (shown(value),), "ntp_server")
    return [("P30", value)]


def _map_timezone(ctx, value):
    tz = parse_tz(value, device=ctx.device, field=ctx.field_for("timezone"))
    # P143 "Allow DHCP Option 2 to override Time Zone setting" defaults to 1
    # on the XML families: a DHCP server's offset would replace the zone set
    # here (and its daylight-saving rule). All three templates have it.
    if ctx.features.timezone == "posix":
        # tz.text is the POSIX string, also when the inventory gave a zone name.
        if len(tz.text) > 64:
            raise ctx.error("P246 takes at most 64 characters (Self Defined Time Zone), got %d" % len(tz.text), "timezone")
        return [("P64", "customize"), ("P246", tz.text), ("P143", 0)]
    pairs = [("P64", 720 + tz.utc_offset), ("P75", 1 if tz.has_dst else 0), ("P143", 0)]
    if tz.has_dst:
        rules = []
        for transition in (tz.start, tz.end):
            if not 0 <= transition.minutes < 24 * 60:
                raise ctx.error("the legacy daylight-saving rule takes transition times from 0:00 to 23:59", "timezone")
            rules.append("%d,%d,%d,%d,%d" % (
                transition.month, transition.week if transition.week < 5 else -1, transition.weekday or 7,
                transition.minutes // 60, transition.minutes % 60))
        pairs.append(("P246", "%s;%s;%d" % (rules[0], rules[1], tz.dst_offset - tz.utc_offset)))
    return pairs


def language_code(value):
    """``language`` as the table's key: Grandstream takes upper-case codes (DE) too."""
    return value.lower() if isinstance(value, str) else value


def _map_language(ctx, value):
    if not ctx.features.language:
        return []
    code = language_code(value)
    problem = malformed_language(code)
    if problem:
        raise ctx.error(problem, "language")
    if code not in LANGUAGES:
        # A code Grandstream has no value for: the device's settings_not_carried
        # reports it; a shared cfg<model>.xml or cfg.xml leaves it out too.
        return []
    return [("P1362", LANGUAGES[code])]


def _map_admin_password(ctx, value):
    return [("P2", value)]


def _map_provisioning_url(ctx, value):

    path, scheme = _server_path(ctx, "provisioning_url", value, ctx.features.upgrade_via)
    return [("P237", path), ("P212", ctx.features.upgrade_via[scheme])]


def _check_resync(ctx, name, minutes):
    # All three templates: "Check for new firmware every () minutes",
    # minimum 60 (grp261x/gxp21xx: "Number: 60-86400").
    if minutes < 60:
        raise ctx.error("P193 (auto check interval) is at least 60 minutes, got %d" % minutes, name)


def _map_resync_interval(ctx, value):
    if ctx.settings.get("resync_spread"):
        return []
    _check_resync(ctx, "resync_interval", value)
    return [("P193", value), ("P194", 1)]


def _map_resync_spread(ctx, value):
    low, high = value
    _check_resync(ctx, "resync_spread", low)
    # A shared file serves many MACs: the low end keeps every phone within
    # the range the user allowed.
    minutes = resync_minutes(ctx.mac, low, high) if ctx.mac else low
    return [("P193", minutes), ("P194", 1)]


def _map_firmware_url(ctx, value):

    path, scheme = _server_path(ctx, "firmware_url", value, ctx.features.upgrade_via)
    # The legacy family has one "upgrade via" (P212) for firmware and config.
    via = ctx.features.firmware_via_param or "P212"
    return [("P192", path), (via, ctx.features.upgrade_via[scheme])]


def _map_firmware_version(ctx, value):
    pairs = [("P238", 1)]
    if not ctx.settings.get("firmware_postfix"):
        pairs.append(("P233", "_" + value))
    return pairs


def _map_firmware_prefix(ctx, value):
    return [("P232", value)]


def _map_firmware_postfix(ctx, value):
    return [("P233", value)]


def _map_syslog(ctx, value):

    if _host(value) is None or len(value) > 64:
        raise ctx.error("%s is not a host name or IP address of at most 64 characters (P207)" % (shown(value),), "syslog_server")
    return [("P207", value), ("P208", SYSLOG_LEVEL)]


def _name_part(ctx, name, value, param):
    if not _NAME_PART.fullmatch(value):
        raise ctx.error("%r cannot be part of a file name: use 1 to 64 of A-Z a-z 0-9 _ . + -" % (value,), name)
    return [(param, value)]


def _map_config_prefix(ctx, value):
    return _name_part(ctx, "config_prefix", value, "P234")


def _map_config_postfix(ctx, value):
    return _name_part(ctx, "config_postfix", value, "P235")


def _map_outbound_proxy(ctx, value, account):

    if not _host_port(value):
        raise ctx.error("%s is not host[:port]" % (shown(value),), "outbound_proxy")
    return [(account["proxy"], value)]


def _map_vlan_id(ctx, value):
    # All three templates: P51 "Layer 2 QoS. 802.1Q/VLAN Tag (VLAN
    # classification for RTP)", 0 (untagged) to 4094.
    return [("P51", value)]


def _map_vlan_priority(ctx, value):
    # All three templates: P87 "802.1p priority value (0 - 7)".
    return [("P87", value)]


class _Row:
    """One generic setting: the P-values it becomes, the template that confirms them, the mapping."""

    def __init__(self, setting, params, confirmed_by, mapper, shared=True):
        self.setting = setting
        self.params = params
        self.confirmed_by = confirmed_by
        self.mapper = mapper
        self.shared = shared


_ALL = "grp261x 1.0.5.15, gxp21xx 1.0.11.16 and gxp 1.2.5.3 templates"
_NEW = "grp261x 1.0.5.15 and gxp21xx 1.0.11.16 templates"

#: THE mapping of generic settings (``_device_model.SETTINGS``) to P-values.
#: Line fields map per account through :data:`ACCOUNTS`; the renderer loops
#: over the lines, the rows below say what each field becomes. ``shared``
#: rows may go into cfg<model>.xml and cfg.xml; the others (accounts,
#: passwords) only into a device's own file.
SETTINGS_MAP = (
    _Row("lines[].extension", "user id P35/P404/P504/P604/P1704/P1804", _ALL + ": SIP User ID", None, shared=False),
    _Row("lines[].auth_user", "auth id P36/P405/P505/P605/P1705/P1805", _ALL + ": Authenticate ID", None, shared=False),
    _Row("lines[].password", "P34/P406/P506/P606/P1706/P1806", _ALL + ": Authenticate Password", None, shared=False),
    _Row("lines[].display_name", "name P3/P407/P507/P607/P1707/P1807 and account name P270/P417/P517/P617/P1717/P1817",
         _ALL + ": Name, Account Name", None, shared=False),
    _Row("sip_server", "per account P47/P402/P502/P602/P1702/P1802 as host:port", _ALL + ": SIP Server", None, shared=False),
    _Row("sip_port", "the :port of the SIP server P-value", _ALL + ": SIP Server", None, shared=False),
    _Row("sip_transport", "per account P130/P448/P548/P648/P1748/P1848",
         _ALL + ": SIP Transport (0 UDP, 1 TCP, 2 TLS; legacy 1 UDP, 2 TCP)", None, shared=False),
    _Row("outbound_proxy", "per account P48/P403/P503/P603/P1703/P1803", _ALL + ": Outbound Proxy",
         _map_outbound_proxy, shared=False),
    _Row("ntp_server", "P30", _ALL + ": NTP Server", _map_ntp),
    _Row("timezone", "P64=customize + P246 TZ string; legacy P64 (GMT = 720) + P75 + P246 rule; P143=0 on all",
         _NEW + ": Time Zone, Self Defined Time Zone; gxp 1.2.5.3: Time Zone offset, Daylight Savings, Optional Rule; "
         + _ALL + ": Allow DHCP Option 2 to override Time Zone setting", _map_timezone),
    _Row("language", "P1362 (legacy, or a code without a P1362 value: reported as not carried)", _NEW + ": Display Language", _map_language),
    _Row("admin_password", "P2 (grp261x/gxp21xx: only a-z, A-Z, 0-9)", _ALL + ": Admin password for web interface; "
         + _NEW + ": String: a-z, A-Z, 0-9", _map_admin_password, shared=False),
    _Row("provisioning_url", "P237 + P212", _ALL + ": Config Server Path, Config Upgrade Via", _map_provisioning_url),
    _Row("resync_interval", "P193 + P194=1", _ALL + ": Check for new firmware every () minutes, Automatic Upgrade",
         _map_resync_interval),
    _Row("resync_spread", "P193 from the MAC + P194=1", _ALL + ": as resync_interval", _map_resync_spread),
    _Row("firmware_url", "P192 + P6767 (legacy: P192 + P212)", _NEW + ": Firmware Server Path, Firmware Upgrade Via",
         _map_firmware_url),
    _Row("firmware_version", "P238=1 + P233=_<version> unless firmware_postfix is set",
         _ALL + ": Check New Firmware only when F/W pre/suffix changes; seed 000 postfix example", _map_firmware_version),
    _Row("firmware_prefix", "P232", _ALL + ": Firmware File Prefix", _map_firmware_prefix),
    _Row("firmware_postfix", "P233", _ALL + ": Firmware File Postfix", _map_firmware_postfix),
    _Row("syslog_server", "P207 + P208=2", _ALL + ": Syslog Server, Syslog Level", _map_syslog),
    _Row("config_prefix", "P234 and the served file names", _ALL + ": Config File Prefix", _map_config_prefix),
    _Row("config_postfix", "P235 and the served file names", _ALL + ": Config File Postfix", _map_config_postfix),
    _Row("encrypt_profiles", "P1359 = the device key; which files are written", _ALL + ": XML Config File Password", None),
    _Row("encryption_digest", "the openssl enc digest (default md5)", "vendor-facts section 2", None),
    _Row("allow_plain_credentials", "no P-value: lets an unencrypted profile be served over TFTP, HTTP or FTP",
         "the collection's own rule (docs/inventory.md)", None),
    _Row("compress_profiles", "not supported (reported as not carried)", "seed 000: the phones read plain or encrypted XML and the legacy binary, "
         "no compressed profile", None),
    _Row("function_keys", "VPK mode/account/description/value P1363-P1476 and P23800 on, MPK P323-P329, P301-P396, "
         "P1440-P1463 (keys module); other models: not carried", "grp261x 1.0.5.15, gxp21xx 1.0.11.16 and gxp 1.2.5.3 "
         "templates: Virtual Multi-Purpose Keys, Physical Multi-Purpose Keys, End User Multi Purpose Keys", None,
         shared=False),
    _Row("sip_server_secondary", "per account P2312/P2412/P2512/P2612/P2712/P2812 as host:port (legacy: not carried)",
         _NEW + ": Secondary SIP Server", None, shared=False),
    _Row("vlan_id", "P51", _ALL + ": Layer 2 QoS. 802.1Q/VLAN Tag, 0 - 4094", _map_vlan_id),
    _Row("vlan_priority", "P87", _ALL + ": Layer 2 QoS. 802.1p priority value (0 - 7)", _map_vlan_priority),
    _Row("model_profiles", "writes cfg<model>.xml", "seed 000", None),
    _Row("common_profile", "writes cfg.xml", "seed 000", None),
)
