# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Grandstream renderer: ``gs_provision`` XML profiles, P1359 encryption and the legacy binary ``cfg<mac>``.

What a Grandstream phone requests at boot (SIP Device Provisioning Guide):
the legacy binary ``cfg<mac>`` (some firmware asks for ``cfg<mac>.bin``),
then ``cfg<mac>.xml``, then ``cfg<model>.xml``, then the generic ``cfg.xml``;
names are lower case, and the config file prefix/postfix (P234/P235) wrap
every name. Only one XML file is applied: the first that downloads.

Files per device, by the device's template family:

* XML families (GRP261x, GXP21xx and models the catalog does not know):
  ``cfg<mac>.xml`` (with the prefix and postfix), encrypted like ``openssl
  enc -aes-256-cbc -k <P1359>`` with ``encrypt_profiles`` (the default),
  plain without.
* the legacy family (GXP2000 era, firmware 1.2.5.3): the whole profile as the
  legacy binary (it reads no XML); it cannot be encrypted.
* a bootstrap whenever a new phone could not reach that profile on its own:
  with encryption (it needs the XML password P1359, the device's key) or a
  config prefix/postfix (it asks for names without them until it has
  P234/P235). The bootstrap is a plain legacy binary under the names without
  prefix, ``cfg<mac>`` and ``cfg<mac>.bin``, carrying the config server path
  P237/P212, P234/P235, the check interval P193/P194 and, with encryption,
  P1359. It is secret only when it carries a key.

Shared files (``render_shared``): ``cfg<model>.xml`` (setting
``model_profiles``) and ``cfg.xml`` (setting ``common_profile``), with the
settings of ``sipfleet_defaults``/``sipfleet_models`` only: never an account,
a password or a key.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import unicodedata
import weakref
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    AddressError,
    HostRules,
    UrlRules,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import merge_settings
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, shown_url
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import (
    check_param,
    describe_family,
    family_for_model,
    known_models as catalog_models,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.description import DESCRIPTION, SECRET_PARAMS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.legacy_view import (
    LEGACY_VIEW_HEADER,
    text as legacy_text,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    check_relative_path,
    mask_assignments,
    mask_xml_elements,
)

#: How the legacy binary body encodes a space. Open implementations differ
#: (wazo-provd and Elastix write ``%20``, form encoding would write ``+``) and
#: no Grandstream document settles it; ``%20`` is the default because it is
#: what the implementations that shipped to real phones write, and it can
#: never be mistaken for a literal ``+``. Set to ``"+"`` to form-encode.
LEGACY_SPACE = "%20"

#: The fixed last pair of every legacy binary body (vendor-facts, several
#: open implementations).
LEGACY_GNKEY = "0b82"

#: Names the legacy binary is served under: the provisioning guide says the
#: phone asks for ``cfg<mac>.bin``, user manuals of the same firmware
#: generations say ``cfg<mac>``. The same bytes are served under both.
LEGACY_NAMES = ("cfg{mac}", "cfg{mac}.bin")

#: Where the config postfix (P235) goes. The guide's only examples are
#: ``gs_cfg000b82000001_cfg001`` (a name without extension) and the firmware
#: ``gs_grp2610fw.bin_1.0.5.44``, where the postfix follows the whole basic
#: name, extension included; XML names follow that rule by default
#: (``gs_cfg000b82000001.xml_cfg001``). ``False`` puts the postfix before
#: the extension instead (``gs_cfg000b82000001_cfg001.xml``).
POSTFIX_AFTER_EXTENSION = True

#: Key-derivation digest of ``openssl enc`` when ``encryption_digest`` is not
#: set: Grandstream firmware was built against OpenSSL's old MD5 default.
DEFAULT_DIGEST = "md5"

#: The per-device key: 32 random bytes, written as 64 lower-case hex digits,
#: which are the XML config file password P1359.
KEY_NAME = "p1359"
KEY_BYTES = 32

#: Syslog level set with ``syslog_server`` (P208: 0 none ... 2 info); the
#: phone's default, 0, would send nothing to the server.
SYSLOG_LEVEL = 2

#: Line count of each known model, from the account sections of its template.
MODEL_LINES = {
    # grp261x_config_1.0.5.15: "Account 3 GRP2613/GRP2614/GRP2615/GRP2616",
    # "Account 4 GRP2614/GRP2615/GRP2616 only", "Account 5 GRP2615/GRP2616
    # only", "Account 6 GRP2616 only".
    "GRP2612": 2, "GRP2613": 3, "GRP2614": 4, "GRP2615": 5, "GRP2616": 6,
    # gxp2130_2135_2140_2160_2170_config_1.0.11.16: "Account 4 -
    # GXP2140/2160/2170/2135 only", "Account 5/6 - GXP2160/2170 only".
    "GXP2130": 3, "GXP2135": 4, "GXP2140": 4, "GXP2160": 6, "GXP2170": 6,
    # gxp_config_1.2.5.3: accounts 1-2 for all, "Account 3/4 Settings
    # (GXP2000/2020/2010)", "Account 5/6 Settings (GXP2020 only)".
    "GXP1200": 2, "GXP280": 2, "GXP285": 2, "GXP2000": 4, "GXP2010": 4, "GXP2020": 6,
}

#: Accounts whose P-values are known (the templates define six).
MAX_LINES = 6

#: P-values of account 1..6. Account 1 and 2 are in all three templates
#: ("Account N/General Settings", gxp_config_1.2.5.3 "Primary Account" and
#: "SIP Account 2 Settings"); 3-6 as their template sections above say.
ACCOUNTS = (
    {"active": "P271", "name": "P270", "server": "P47", "proxy": "P48", "user": "P35", "auth": "P36",
     "password": "P34", "display": "P3", "transport": "P130"},
    {"active": "P401", "name": "P417", "server": "P402", "proxy": "P403", "user": "P404", "auth": "P405",
     "password": "P406", "display": "P407", "transport": "P448"},
    {"active": "P501", "name": "P517", "server": "P502", "proxy": "P503", "user": "P504", "auth": "P505",
     "password": "P506", "display": "P507", "transport": "P548"},
    {"active": "P601", "name": "P617", "server": "P602", "proxy": "P603", "user": "P604", "auth": "P605",
     "password": "P606", "display": "P607", "transport": "P648"},
    {"active": "P1701", "name": "P1717", "server": "P1702", "proxy": "P1703", "user": "P1704", "auth": "P1705",
     "password": "P1706", "display": "P1707", "transport": "P1748"},
    {"active": "P1801", "name": "P1817", "server": "P1802", "proxy": "P1803", "user": "P1804", "auth": "P1805",
     "password": "P1806", "display": "P1807", "transport": "P1848"},
)


def is_secret_param(name):
    """Whether P-value ``name`` holds a secret (:data:`SECRET_PARAMS`); ``p34`` is ``P34``."""
    return isinstance(name, str) and name.upper() in SECRET_PARAMS


#: What the bootstrap carries, in this order: where and how to fetch (config
#: server path P237, config upgrade via P212), the names to ask for (config
#: file prefix P234 and postfix P235), when to check again (P193/P194: a
#: legacy-family phone reads its prefixed profile only at its next check) and
#: the XML config file password P1359. Only the values the device's own
#: profile sets are written, so the bootstrap never contradicts it.
BOOTSTRAP_PARAMS = ("P237", "P212", "P234", "P235", "P193", "P194", "P1359")

#: Character sets the templates state for password P-values, by family:
#: P2 "Admin password for web interface" and P196 "End User Password" are
#: "String: a-z, A-Z, 0-9" in grp261x 1.0.5.15 and gxp21xx 1.0.11.16; the
#: gxp 1.2.5.3 template states none.
_ALNUM = (re.compile(r"[A-Za-z0-9]*"), "a-z, A-Z and 0-9")
PASSWORD_CHARSETS = {
    "grp261x": {"P2": _ALNUM, "P196": _ALNUM},
    "gxp21xx": {"P2": _ALNUM, "P196": _ALNUM},
}

#: ISO 639-1 code -> P1362 value (grp261x and gxp21xx templates, "Display
#: Language"; Grandstream writes Czech as cz and Swedish as se).
LANGUAGES = {
    "ar": "ar", "cs": "cz", "de": "de", "en": "en", "es": "es", "fr": "fr", "he": "he", "hr": "hr",
    "hu": "hu", "it": "it", "ja": "ja", "ko": "ko", "lv": "lv", "nl": "nl", "pl": "pl", "pt": "pt",
    "ru": "ru", "sl": "sl", "sv": "se", "tr": "tr", "zh": "zh", "zh-tw": "zh-tw",
}

# "A parameter consists of a capital letter P and 1 to 5 digits" (seed 000).
_PARAM_NAME = re.compile(r"P[1-9][0-9]{0,4}")
# P-values the renderer owns: the served file names follow P234/P235, and
# P1359 must equal the key the file is encrypted with.
_NAME_PARAMS = ("P234", "P235")
_KEY_PARAM = "P1359"
_HEX_KEY = re.compile(r"(?:[0-9a-f]{2})+")
# Host names of RFC 1123 labels plus "_", at most 253 characters; IPv4, and
# IPv6 with or without brackets (Python's ipaddress decides).
_HOSTS = HostRules(underscore=True)
# In a URL an IPv6 address needs its brackets.
_URL_HOSTS = HostRules(underscore=True, bare_ipv6=False)
# File-name parts a prefix or postfix may use (they become part of a path).
_NAME_PART = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
# What may stand in a server path after the scheme (RFC 3986 characters
# without query and fragment; P237/P192 carry no scheme).
_URL_REST = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=:@/\[\]-]+")
_SERVER_PATH_MESSAGES = {
    "unparsable": "{value} is not a URL{reason}",
    "scheme": "{value} must start with one of {schemes} (what this model can fetch from)",
    "syntax": "{value} is not scheme://host[:port]/path (no user, query or fragment; a path of plain URL characters)",
    "port": "{value} is not scheme://host[:port]/path (no user, query or fragment; a path of plain URL characters)",
}


@functools.lru_cache(maxsize=None)
def _url_rules(schemes):
    """P237/P192 URLs of a template family that fetches over ``schemes`` (a tuple)."""
    return UrlRules(schemes, _URL_HOSTS, after_scheme=_URL_REST, forbidden="?#", python_parsable=True)


class _Features:
    """How a template family spells the settings the renderer maps."""

    def __init__(self, xml, transports, upgrade_via, firmware_via_param, timezone, language):
        self.xml = xml
        self.transports = transports
        self.upgrade_via = upgrade_via
        self.firmware_via_param = firmware_via_param
        self.timezone = timezone
        self.language = language


# grp261x/gxp21xx templates: P130 "SIP Transport. 0 - UDP, 1 - TCP, 2 -
# TLS/TCP"; P212 "Config Upgrade Via. 0 - TFTP, 1 - HTTP, 2 - HTTPS, 3 - FTP,
# 4 - FTPS"; P6767 "Firmware Upgrade Via" (same numbers); P64 time zone with
# "Self-Defined Time Zone ... customize" and P246 "Self Defined Time Zone";
# P1362 "Display Language".
_MODERN = _Features(
    xml=True,
    transports={"udp": 0, "tcp": 1, "tls": 2},
    upgrade_via={"tftp": 0, "http": 1, "https": 2, "ftp": 3, "ftps": 4},
    firmware_via_param="P6767",
    timezone="posix",
    language=True,
)
# gxp_config_1.2.5.3: P130 "SIP Transport. 1 - UDP, 2 - TCP."; P212
# "Firmware Upgrade. 0 - TFTP Upgrade, 1 - HTTP Upgrade." for both firmware
# and config; P64 "Time Zone. Offset in minutes to GMT" (GMT = 720), P75
# "Daylight Savings Time", P246 "Optional Rule"; no display language list
# beyond English/Chinese (P342).
_LEGACY = _Features(
    xml=False,
    transports={"udp": 1, "tcp": 2},
    upgrade_via={"tftp": 0, "http": 1},
    firmware_via_param=None,
    timezone="legacy",
    language=False,
)
_FAMILY_FEATURES = {"grp261x": _MODERN, "gxp21xx": _MODERN, "gxp_legacy": _LEGACY}


def _features(family):
    return _FAMILY_FEATURES.get(family, _MODERN)


# --- value checks ----------------------------------------------------------

def unsafe_character(text):
    """The first character a profile cannot carry (controls, surrogates, non-characters), or None.

    XML 1.0 cannot hold most control characters at all and a parser turns
    CR into LF; a P-value never needs any of them.
    """
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff":
            return char
    return None


def shown(value):
    """A URL or host value for an error message, with any ``user:password@`` part replaced (see :func:`~._errors.shown_url`)."""
    return shown_url(value)


def shown_type(value):
    """What an error message says about a value of the wrong type: never its content, which may be a secret."""
    if value is None or isinstance(value, bool):
        return repr(value)
    return "a %s" % type(value).__name__


def shown_param(name, value):
    """A P-value's value for an error message, or a placeholder for a secret one."""
    return "a secret value" if is_secret_param(name) else repr(value)


# A pure function of a string; every device of a fleet repeats the same
# servers, so it is cached.
@functools.lru_cache(maxsize=1024)
def _host(value):
    """The :class:`~._addresses.Host` of a host name, an IPv4 address or an IPv6 address (bracketed or not), or None."""
    return _HOSTS.host(value)


def _host_port(value):
    """True for ``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` (port 1 to 65535)."""
    found = _HOSTS.host_port(value)
    return found is not None and (found.port is None or 1 <= found.port <= 65535)


def resync_minutes(mac, low, high):
    """P193 for one device: a fixed number in ``[low, high]`` derived from its MAC.

    SHA-256 spreads MACs uniformly, even consecutive ones from one carton;
    the 64-bit remainder's bias is below 2**-40 for any range a phone takes.
    """
    digest = hashlib.sha256(("sipfleet.provisioning grandstream P193 " + mac).encode("ascii")).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


def served_name(basic, extension, prefix, postfix):
    """The file name a phone requests: config prefix P234 + basic name + extension + postfix P235."""
    prefix = prefix or ""
    postfix = postfix or ""
    if POSTFIX_AFTER_EXTENSION:
        return prefix + basic + extension + postfix
    return prefix + basic + postfix + extension


# --- file formats ----------------------------------------------------------

def render_xml(pvalues, mac=None):
    """A ``gs_provision`` document: ``<mac>`` (when given) and the P-values in order."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<gs_provision version="1">']
    if mac is not None:
        out.append("  <mac>%s</mac>" % mac)
    out.append('  <config version="1">')
    for name, value in pvalues:
        out.append("    <%s>%s</%s>" % (name, escape(str(value)), name))
    out.extend(["  </config>", "</gs_provision>", ""])
    return "\n".join(out).encode("utf-8")


def _url_value(value):
    if LEGACY_SPACE == "+":
        return quote_plus(value, safe="/")
    return quote(value, safe="/")


def render_legacy_binary(mac, pvalues):
    """The legacy binary config file of ``mac`` carrying ``pvalues``.

    16-byte header: length of the file in 16-bit words (4 bytes, big
    endian), a checksum (2 bytes) that makes the big-endian 16-bit words of
    the whole file sum to 0 mod 65536, the raw MAC, CR LF CR LF; then
    ``P2=...&P3=...&gnkey=0b82`` with URL-encoded values (UTF-8), NUL-padded
    to an even length. Encoding every value means no value can add a pair.
    """
    body = "".join("%s=%s&" % (name, _url_value(str(value))) for name, value in pvalues) + "gnkey=" + LEGACY_GNKEY
    data = body.encode("ascii")
    if len(data) % 2:
        data += b"\0"
    header = struct.pack(">IH", 8 + len(data) // 2, 0) + bytes.fromhex(mac) + b"\r\n\r\n"
    whole = header + data
    total = sum(struct.unpack(">%dH" % (len(whole) // 2), whole)) & 0xFFFF
    return whole[:4] + struct.pack(">H", (0x10000 - total) & 0xFFFF) + whole[6:]


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


def _server_path(ctx, name, value, schemes):
    """``scheme://host[:port]/path`` -> ``(host[:port]/path, scheme)`` for P237/P192."""
    try:
        url = parse_url(value, _url_rules(tuple(schemes)), messages=_SERVER_PATH_MESSAGES)
    except AddressError as exc:
        raise ctx.error(exc.message, name)
    return url.after_scheme.rstrip("/"), url.scheme


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
        if len(value) > 64:
            raise ctx.error("P246 takes at most 64 characters (Self Defined Time Zone), got %d" % len(value), "timezone")
        return [("P64", "customize"), ("P246", value), ("P143", 0)]
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


def _map_language(ctx, value):
    if not ctx.features.language:
        return []
    code = LANGUAGES.get(value.lower())
    if code is None:
        raise ctx.error("%r is not a display language Grandstream phones have; use one of %s"
                        % (value, ", ".join(sorted(LANGUAGES))), "language")
    return [("P1362", code)]


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
    _Row("language", "P1362 (legacy: not supported)", _NEW + ": Display Language", _map_language),
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
    _Row("compress_profiles", "not supported (ignored)", "seed 000: the phones read plain or encrypted XML and the legacy binary, "
         "no compressed profile", None),
    _Row("model_profiles", "writes cfg<model>.xml", "seed 000", None),
    _Row("common_profile", "writes cfg.xml", "seed 000", None),
)


class _PValues:
    """P-values in file order, each with the inventory field it came from."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.values = {}
        self.fields = {}

    def put(self, name, value, field):
        """A mapped value; two settings that want different values for one P-value are an error."""
        if name in self.values and str(self.values[name]) != str(value):
            raise ProvisioningError("sets %s to %s, but %s sets it to %s" % (
                name, shown_param(name, value), self.fields[name], shown_param(name, self.values[name])),
                device=self.ctx.device, field=field)
        if name not in self.values:
            self.values[name] = value
            self.fields[name] = field

    def override(self, name, value, field):
        """A raw parameter: it always wins."""
        self.values[name] = value
        self.fields[name] = field

    def items(self):
        return list(self.values.items())


# --- the renderer ----------------------------------------------------------

class GrandstreamRenderer(VendorRenderer):
    """Grandstream GRP261x, GXP21xx and GXP legacy phones (and other models with ``vendor: grandstream``)."""

    name = "grandstream"
    title = "Grandstream"
    description = DESCRIPTION
    secure_transport = ("an https provisioning_url with the http_server role's client-certificate binding "
                        "(http_server_ssl_verify_client: a Grandstream phone's factory certificate names its MAC)")

    def __init__(self):
        super().__init__()
        # (weak reference to the inventory, {(kind, model or family): None or (message, field)}):
        # see _validate_shared.
        self._shared_checks = None

    # -- secrets --

    def is_secret_param(self, name):
        return is_secret_param(name)

    def recognizes_text(self, text):
        head = text[:4096]
        return "<gs_provision" in head or LEGACY_VIEW_HEADER in head

    def mask_text(self, text):
        """XML ``<P34>..</P34>`` and the legacy binary's ``P34=..`` lines, for every secret P-value."""
        return mask_assignments(mask_xml_elements(text, is_secret_param), is_secret_param)

    def text_view(self, kind, data):
        """The legacy binary as one ``P34=value`` line per pair (``legacy_view``); the XML as it is."""
        view = legacy_text(data) if kind == "legacy_binary" else None
        return view if view is not None else super().text_view(kind, data)

    def model_info(self, model):
        family = family_for_model(model)
        if family is None:
            return None
        return {"family": family, "lines": MODEL_LINES.get(model.strip().upper(), 1),
                "format": "xml" if _features(family).xml else "legacy_binary"}

    def known_models(self):
        return catalog_models()

    @staticmethod
    def _family(device):
        return family_for_model(device.model)

    @staticmethod
    def _encrypted(device):
        return bool(device.settings.get("encrypt_profiles"))

    def can_encrypt(self, device):
        # The legacy binary profile has no encrypted form.
        return _features(self._family(device)).xml

    def key_specs(self, device):
        if self._encrypted(device) and _features(self._family(device)).xml:
            return {KEY_NAME: KEY_BYTES}
        return {}

    # -- P-values --

    def _device_pvalues(self, device, key=None):
        family = self._family(device)
        ctx = _Context(device.label, _features(family), device.settings, device.mac, lambda name: "settings.%s" % name)
        pvalues = _PValues(ctx)
        self._map_lines(device, family, ctx, pvalues)
        self._map_settings(ctx, pvalues, shared=False)
        if key is not None:
            pvalues.put(_KEY_PARAM, key, "keys.%s" % KEY_NAME)
        for name, value in device.params.items():
            pvalues.override(name, value, "params.%s" % (name,))
        return pvalues

    @staticmethod
    def _map_lines(device, family, ctx, pvalues):
        proxy = device.settings.get("outbound_proxy")
        for index, line in enumerate(device.lines):
            account = ACCOUNTS[index]
            field = "lines[%d]" % index
            server_field = "settings.sip_server" if line.sip_server == device.settings.get("sip_server") else field + ".sip_server"
            host = _host(line.sip_server)
            if host is None:
                raise device.error("%s is not a host name or IP address (give the port as sip_port)" % (shown(line.sip_server),),
                                   field=server_field)
            server = host.with_port(line.sip_port)
            transport = ctx.features.transports.get(line.transport)
            if transport is None:
                raise device.error("this model has no %s transport; it takes %s" % (
                    line.transport, ", ".join(sorted(ctx.features.transports))), field=field + ".transport")
            # auth_user and display_name default to the extension: a bad
            # value there is the extension's fault.
            display_field = field + (".extension" if line.display_name == line.extension else ".display_name")
            auth_field = field + (".extension" if line.auth_user == line.extension else ".auth_user")
            pvalues.put(account["active"], 1, field)
            pvalues.put(account["name"], line.display_name, display_field)
            pvalues.put(account["server"], server, server_field)
            pvalues.put(account["user"], line.extension, field + ".extension")
            pvalues.put(account["auth"], line.auth_user, auth_field)
            pvalues.put(account["password"], line.password, field + ".password")
            pvalues.put(account["display"], line.display_name, display_field)
            pvalues.put(account["transport"], transport, field + ".transport")
            if proxy:
                for name, value in _map_outbound_proxy(ctx, proxy, account):
                    pvalues.put(name, value, "settings.outbound_proxy")
        # Accounts the inventory no longer lists are switched off, so a
        # removed line does not stay registered from an older profile.
        if family is not None:
            for index in range(len(device.lines), MODEL_LINES.get(device.model, 1)):
                pvalues.put(ACCOUNTS[index]["active"], 0, "lines")

    @staticmethod
    def _map_settings(ctx, pvalues, shared):
        for row in SETTINGS_MAP:
            if row.mapper is None or row.setting == "outbound_proxy" or (shared and not row.shared):
                continue
            value = ctx.settings.get(row.setting)
            if value is None or value == "":
                continue
            for name, native in row.mapper(ctx, value):
                pvalues.put(name, native, ctx.field_for(row.setting))

    def _shared_pvalues(self, settings, family, label, field_for):
        ctx = _Context(label, _features(family), settings, None, field_for)
        pvalues = _PValues(ctx)
        self._map_settings(ctx, pvalues, shared=True)
        return pvalues

    # -- validation --

    def validate(self, device, inventory):
        family = self._family(device)
        features = _features(family)
        limit = MODEL_LINES.get(device.model, 1) if family is not None else MAX_LINES
        if len(device.lines) > limit:
            raise device.error("%s has %d line(s); this is line %d" % (device.model, limit, limit + 1),
                               field="lines[%d]" % limit)
        encrypted = self._encrypted(device)
        if encrypted and not features.xml:
            raise device.error(
                "%s reads only the legacy binary profile, which cannot be encrypted: set encrypt_profiles to false "
                "for this model (its profile then carries passwords in readable form)" % device.model,
                field="settings.encrypt_profiles")
        key = device.keys.get(KEY_NAME)
        if encrypted and key is not None:
            self._check_key(device, key)
        self._check_params(device, family)
        pvalues = self._device_pvalues(device, key="0" * 2 * KEY_BYTES if encrypted else None)
        self._check_pvalues(device.label, family, pvalues)
        bootstrap_names, profile_names = self._device_names(device)
        for path, field in bootstrap_names + profile_names:
            check_relative_path(path, device=device.label, field=field)
        if features.xml:
            self._validate_shared(device, inventory, family)

    def _validate_shared(self, device, inventory, family):
        """Check the shared files this device asks for, once per inventory and model (or family) per run.

        A shared file depends on the inventory and the model only, not on the
        device: checking it again for every device would make validation
        grow with fleet size times models. The results of the last
        inventory are kept; a weak reference notices a new inventory even
        if it reuses the address of a dead one.
        """
        cached = self._shared_checks
        if cached is None or cached[0]() is not inventory:
            cached = self._shared_checks = (weakref.ref(inventory), {})
        results = cached[1]
        wanted = []
        if device.settings.get("model_profiles"):
            wanted.append(("model", device.model))
        if device.settings.get("common_profile"):
            wanted.append(("common", family))
        for what in wanted:
            if what not in results:
                results[what] = self._check_shared_file(inventory, what[0], device.model, family)
            problem = results[what]
            if problem is not None:
                raise ProvisioningError(problem[0], device=device.label, field=problem[1])

    def _check_shared_file(self, inventory, kind, model, family):
        """``None`` if the model or common file is valid for ``family``, else ``(message, field)``."""
        if kind == "model":
            settings, basic = inventory.model_settings(model), "cfg" + model.lower()

            def field_for(name):
                if name in inventory.models.get(model, {}):
                    return "sipfleet_models.%s.%s" % (model, name)
                return "sipfleet_defaults.%s" % name
        else:
            settings, basic = merge_settings(inventory.defaults), "cfg"

            def field_for(name):
                return "sipfleet_defaults.%s" % name
        try:
            pvalues = self._shared_pvalues(settings, family, None, field_for)
            self._check_pvalues(None, family, pvalues)
            check_relative_path(served_name(basic, ".xml", settings.get("config_prefix"), settings.get("config_postfix")),
                                field=field_for("config_prefix"))
        except ProvisioningError as exc:
            return "in the shared file %s.xml: %s" % (basic, exc.message), exc.field
        return None

    @staticmethod
    def _check_key(device, key):
        if not isinstance(key, str) or not _HEX_KEY.fullmatch(key):
            raise device.error("must be lower-case hex digits (it becomes the XML config file password P1359)",
                               field="keys.%s" % KEY_NAME)

    def _check_params(self, device, family):
        for name, value in device.params.items():
            field = "params.%s" % (name,)
            if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
                raise device.error("%r is not a Grandstream parameter name: P followed by 1 to 5 digits, like P193" % (name,),
                                   field=field)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise device.error("must be a string or an integer, got %s" % (shown_type(value),), field=field)
            if name in _NAME_PARAMS:
                raise device.error("%s decides the file names the phone requests: set settings.%s instead"
                                   % (name, "config_prefix" if name == "P234" else "config_postfix"), field=field)
            if name == _KEY_PARAM and self._encrypted(device) and _features(family).xml:
                raise device.error("P1359 is the key the profile is encrypted with (keys.%s); it cannot be set by hand "
                                   "while encrypt_profiles is on" % KEY_NAME, field=field)

    @staticmethod
    def _check_pvalues(label, family, pvalues):
        charsets = PASSWORD_CHARSETS.get(family, {})
        for name, value in pvalues.items():
            field = pvalues.fields[name]
            where = "" if field.endswith("." + name) else "%s " % name
            text = str(value)
            bad = unsafe_character(text)
            if bad is not None:
                raise ProvisioningError("%scontains the control character U+%04X, which a profile cannot carry" % (where, ord(bad)),
                                        device=label, field=field)
            charset = charsets.get(name)
            if charset is not None and not charset[0].fullmatch(text):
                raise ProvisioningError("%smay contain only %s (template for %s)" % (where, charset[1], describe_family(family)),
                                        device=label, field=field)
            if family is not None:
                reason = check_param(family, name, value)
                if reason is not None:
                    raise ProvisioningError("%s%s" % (where, reason), device=label, field=field)

    # -- file names --

    def _needs_bootstrap(self, device):
        """Whether a new phone needs the bootstrap to reach its profile.

        It needs it for the XML password (encryption) and for the prefix and
        postfix: until it has P234/P235 it asks only for the names without.
        """
        settings = device.settings
        if settings.get("config_prefix") or settings.get("config_postfix"):
            return True
        return _features(self._family(device)).xml and self._encrypted(device)

    def _device_names(self, device):
        """``(bootstrap names, profile names)`` of ``device``, each a list of ``(path, field that decides it)``."""
        settings = device.settings
        prefix, postfix = settings.get("config_prefix"), settings.get("config_postfix")
        field = "settings.config_prefix" if prefix else "settings.config_postfix"
        bootstrap = [(name.format(mac=device.mac), "mac") for name in LEGACY_NAMES] if self._needs_bootstrap(device) else []
        if not _features(self._family(device)).xml:
            return bootstrap, [(served_name(name.format(mac=device.mac), "", prefix, postfix), field) for name in LEGACY_NAMES]
        return bootstrap, [(served_name("cfg" + device.mac, ".xml", prefix, postfix), field)]

    # -- rendering --

    def render_device(self, device, inventory):
        xml = _features(self._family(device)).xml
        encrypted = xml and self._encrypted(device)
        key = None
        if encrypted:
            key = self.require_key(device, KEY_NAME)
            self._check_key(device, key)
        # Mapped once: the profile and the bootstrap are cut from the same values.
        pvalues = self._device_pvalues(device, key=key)
        bootstrap_names, profile_names = self._device_names(device)
        files = []
        if bootstrap_names:
            pairs = [(name, pvalues.values[name]) for name in BOOTSTRAP_PARAMS if name in pvalues.values]
            bootstrap = render_legacy_binary(device.mac, pairs)
            secret = any(is_secret_param(name) for name, dummy in pairs)
            files.extend(ProfileFile(path, bootstrap, device=device.label, secret=secret, role="bootstrap",
                                     kind="legacy_binary") for path, dummy in bootstrap_names)
        if not xml:
            content = render_legacy_binary(device.mac, pvalues.items())
            files.extend(ProfileFile(path, content, device=device.label, secret=True, kind="legacy_binary")
                         for path, dummy in profile_names)
            return files
        plaintext = render_xml(pvalues.items(), mac=device.mac)
        if not encrypted:
            files.append(ProfileFile(profile_names[0][0], plaintext, device=device.label, secret=True, kind="xml"))
            return files
        digest = device.settings.get("encryption_digest") or DEFAULT_DIGEST
        files.append(self.encoded_file(profile_names[0][0], plaintext, "xml_encrypted", key, digest,
                                       device=device.label, secret=False))
        return files

    def render_rotation(self, device, next_device, inventory):
        """The new P1359 travels in the profile the phone can still decrypt.

        Seed 000: the password is set by a profile; a phone that has the old
        one decrypts the profile encrypted with it, applies the new P1359 it
        carries, and from then on needs files encrypted with the new one. No
        plain bootstrap is served: the phone already has a key.
        """
        old_key = self.require_key(device, KEY_NAME)
        digest = device.settings.get("encryption_digest") or DEFAULT_DIGEST
        files = []
        for item in self.render_device(next_device, inventory):
            if item.role == "bootstrap" and item.secret:
                continue
            if item.plaintext is not None:
                item = self.encoded_file(item.path, item.plaintext, item.kind, old_key, digest,
                                         device=item.device, secret=False, role=item.role)
                item.delivers_keys = True
            files.append(item)
        return files

    def render_shared(self, devices, inventory):
        files = []
        models = sorted(set(device.model for device in devices
                            if device.settings.get("model_profiles") and _features(self._family(device)).xml))
        for model in models:
            settings = inventory.model_settings(model)
            pvalues = self._shared_pvalues(settings, family_for_model(model), None, lambda name: "settings.%s" % name)
            path = served_name("cfg" + model.lower(), ".xml", settings.get("config_prefix"), settings.get("config_postfix"))
            files.append(ProfileFile(path, render_xml(pvalues.items()), role="model", kind="xml"))
        if any(device.settings.get("common_profile") and _features(self._family(device)).xml for device in devices):
            settings = merge_settings(inventory.defaults)
            pvalues = self._shared_pvalues(settings, None, None, lambda name: "settings.%s" % name)
            path = served_name("cfg", ".xml", settings.get("config_prefix"), settings.get("config_postfix"))
            files.append(ProfileFile(path, render_xml(pvalues.items()), role="common", kind="xml"))
        return files


RENDERER = GrandstreamRenderer()
