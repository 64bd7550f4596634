# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``flat-profile`` XML that Cisco/Linksys SPA and Cisco MPP devices read, and the renderer both share.

The file's encoder and decoder are in ``cisco_flat_format``; this module
checks what goes into it and maps the generic settings.

Syntax (Linksys SPA Provisioning Guide, Cisco MPP provisioning guides):

* parameters are elements inside ``<flat-profile>``; names are the web
  field names with spaces and ``[ ] ( ) /`` turned into ``_`` (``Proxy_1_``,
  ``Auth_Resync-Reboot_1_``), case-sensitive; unknown elements are ignored;
  the last occurrence of a parameter wins;
* an optional ``ua="na|ro|rw"`` attribute sets what the phone's *User* login
  may do with the parameter (no access, read-only, read/write);
* standard XML escapes and numeric character references are understood, but
  the firmware handles **ASCII only**; leading and trailing white space of a
  value is removed and newlines become spaces, so such values cannot be
  carried and are rejected here;
* ``<Name></Name>`` sets an empty value. A self-closing ``<Name ua="rw"/>``
  means "keep the value" on MPP firmware, so it is never written;
* the file may be gzip-compressed, then encrypted like
  ``openssl enc -aes-256-cbc -k KEY``; ``Profile_Rule`` then carries
  ``[--key KEY]`` in front of the URL, the same string as openssl's ``-k``.

Macros: ``Profile_Rule*``, ``Upgrade_Rule``, ``Resync_Trigger_*``, ``Log_*``
(and ``GPP_*`` in some contexts) expand ``$NAME``/``$(NAME)`` on the phone,
``$$`` being a literal ``$``. The renderer writes the macros it means
(``$MA``, ``$A``, ``$B``) literally and doubles every ``$`` that comes from a
user's URL in those parameters. Raw ``params`` are native values and are
written exactly as given, macros and all.

The device flow, the same for both vendors:

1. the factory ``Profile_Rule`` fetches the model's default file
   (``spa$PSN.cfg``, ``ata$PSN.cfg``, ``$PSN.xml``): a plain bootstrap shared
   by every device of the model, which points the phone to its own file
   through ``$MA``;
2. without encryption, that per-device file is the full profile;
3. with encryption (the default), it is a small plain initial file that sets
   a 256-bit key in ``GPP_A``, a random directory in ``GPP_B`` and
   ``Profile_Rule [--key $A] <server>/profile/$B/<model file>``;
4. the phone then fetches its encrypted full profile from that directory,
   at every resync from then on.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    IPV6_LOOSE,
    AddressError,
    HostRules,
    UrlRules,
    parse_host,
    parse_host_port,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import standard_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import quote_value
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    MASK,
    NOT_CARRIED_BY_DEFAULT,
    ProfileFile,
    VendorRenderer,
    language_not_carried,
    malformed_language,
    mask_xml_elements,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_flat_format import (
    UA_VALUES,
    is_param_name,
    render_flat_profile,
)

#: The per-device keys of the encrypted flow: 32 random bytes become the
#: ``GPP_A`` key (64 hex digits), 16 become the ``GPP_B`` directory (32 hex digits).
KEY_SPECS = {"gpp_a": 32, "gpp_b": 16}

#: Parameters the encrypted flow owns while encryption is on.
RESERVED_WHEN_ENCRYPTED = ("GPP_A", "GPP_B")

#: Parameters that hold a secret: the one declaration of Cisco secrets
#: (``--diff`` masks them on both sides whatever their value). ``GPP_A``
#: (the profile key) and ``GPP_B`` (the random directory, itself a secret
#: path), and every name, in any case, that says password, passwd,
#: passphrase, pwd or secret anywhere (``Admin_Passwd``, ``User_Password``,
#: ``Password_1_``, ``SIP_TLS_Key_Passphrase``), or whose last word is
#: ``Key``, ``Pass`` or ``PIN`` (``Encryption_Key``, ``Voice_Mail_PIN_1_``).
#: A ``Key`` followed by a number (``Unit_1_Key_3_``, ``Line_Key_2_``) is a
#: button, not a secret, and is shown.
SECRET_PARAM_PATTERN = (
    r"passw|passphrase|pwd|secret|(?:^|_)(?:pass|pin)(?:_?[0-9]+)?_?$|(?:^|_)key_?$|^gpp_[ab]$")
SECRET_PARAM_RE = re.compile(SECRET_PARAM_PATTERN, re.IGNORECASE)
#: No name needs listing: :data:`SECRET_PARAM_PATTERN` covers them all.
SECRET_PARAMS = ()

#: The inventory settings only the two Cisco families read (their descriptions' ``settings``).
SETTINGS = {
    "compress_profiles": Setting(
        "bool", "gzip profiles before encrypting them (Cisco SPA and MPP; other vendors ignore it)", default=False),
}

#: A key written literally in a rule (``[--key 0123...]``); ``$A``-style macros are shown.
_RULE_KEY_RE = re.compile(r"""(--key\s+)(?!\$)("[^"]*"|'[^']*'|[^\s\]<"']+)""")
#: A ``GPP_B`` directory written literally in a URL (the collection writes ``$B``).
_URL_DIRECTORY_RE = re.compile(r"(/profile/)[0-9A-Fa-f]{32}(?=/)")

#: Resync period (seconds) written into the bootstrap and initial files, so a
#: phone moves on to its next file within a minute even on firmware that does
#: not resync at once when ``Profile_Rule`` changes. The full profile sets the
#: real period.
BOOTSTRAP_RESYNC_SECONDS = 30

#: Resync period of the full profile when no ``resync_interval`` is set: the
#: factory default, written explicitly because the bootstrap changed it.
DEFAULT_RESYNC_SECONDS = 3600

#: Directory (below the provisioning root) of the per-device random directories.
PROFILE_DIRECTORY = "profile"

#: ``language`` (ISO 639-1) -> ``Language_Selection``. The phone needs a
#: matching dictionary (``Dictionary_Server_Script``) for anything but English.
LANGUAGES = {
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "hu": "Hungarian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nb": "Norwegian",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sk": "Slovak",
    "sv": "Swedish",
    "tr": "Turkish",
    "zh": "Chinese",
}


def _language_code(device):
    """The device's ``language`` as a key of :data:`LANGUAGES`: upper-case codes (DE) are taken too."""
    value = device.settings.get("language")
    return value.lower() if isinstance(value, str) else value


_TRANSPORTS = {"udp": "UDP", "tcp": "TCP", "tls": "TLS"}

#: ``Extended_Function_<n>_`` of each generic key type a line key can carry:
#: ``fnc=<function>`` and the field that takes the key's value. Sources:
#: wazo-provd-plugins (``wazo_cisco_spa/common/common.py``: ``fnc=sd;ext=``,
#: ``fnc=sd+blf+cp;sub=``, the line key ``Extension_<n>_`` / ``Short_Name_<n>_``
#: / empty ``Extended_Function_<n>_``), the MPP administration guides
#: (``Extended_Function_n_``: ``fnc=prk;sub=``; ``fnc=xml;url=``;
#: "busy lamp field only with call pickup": ``fnc=blf+cp;sub=``). A family
#: lists the types its phones carry in ``key_types``.
KEY_FUNCTIONS = {
    "blf": ("blf+sd+cp", "sub"),
    "speed_dial": ("sd", "ext"),
    "park": ("prk", "sub"),
    "pickup": ("blf+cp", "sub"),
    "url": ("xml", "url"),
}
#: Functions whose line the guides select with ``vid=<line>`` (speed dial,
#: park and XML service examples); the others take the first line's.
_KEY_FUNCTIONS_WITH_VID = ("sd", "prk", "xml")
#: ``Extended_Function_<n>_`` limit (MPP guides: "String Length: 0 to 511").
MAX_EXTENDED_FUNCTION = 511
#: Characters the ``fnc=type;name=value`` syntax uses itself.
_FUNCTION_SYNTAX_CHARS = ";="

# Host names of labels of letters, digits and "-" (a label may end in "-";
# no length limit for the whole name), IPv6 in brackets by its characters;
# ports of at most 5 digits.
_HOSTS = HostRules(hyphen_ends_label=True, max_length=None, ipv6=IPV6_LOOSE, bare_ipv6=False, port_digits=5)
# No user info, query or fragment: "#" starts a comment in a Profile_Rule,
# "|", "[", "]", "(", ")" and "?" are rule syntax, white space separates terms.
_URLS = UrlRules(("tftp", "http", "https"), _HOSTS, scheme_case="sensitive", path=re.compile(r"/[A-Za-z0-9._~%/+$-]*"))
_URL_MESSAGE = ("{value} is not a URL a Cisco rule can carry: use scheme://host[:port]/path with scheme tftp, http or https, "
                "no user:password@, no query (?) or fragment (#), and only letters, digits and . _ ~ % / + - $ in the path")
_SPA_VERSION_RE = re.compile(r"^[0-9]+(?:\.[0-9A-Za-z]+){1,3}(?:\([0-9A-Za-z]+\))?$")
_MPP_VERSION_RE = re.compile(r"^([0-9]{1,3})[.-]([0-9]{1,3})(?:[.(-]([0-9]{1,3}))?")


# --- values -------------------------------------------------------------------


def check_text(value, device, field, secret=False):
    """Return ``value`` as a string the phone reads back unchanged, or raise naming the field.

    Rejected: non-ASCII characters (the firmware handles ASCII only), control
    characters (newlines become spaces, others are not XML), and leading or
    trailing white space (the phone strips it). A value of another type is
    named by its type only, and a ``secret`` one's characters are never shown.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise device.error("must be a string or an integer, got %s" % (type(value).__name__,), field=field)
    text = str(value)
    for char in text:
        code = ord(char)
        if code > 0x7e:
            if code == 0x7f:
                raise device.error("contains the control character U+007F, which a profile cannot carry", field=field)
            if secret:
                raise device.error("contains a non-ASCII character; Cisco firmware reads profiles as ASCII only",
                                   field=field)
            raise device.error("contains the non-ASCII character %r (U+%04X); Cisco firmware reads profiles as ASCII only"
                               % (char, code), field=field)
        if code < 0x20:
            raise device.error("contains the control character U+%04X; the phone turns newlines into spaces "
                               "and cannot read other control characters" % code, field=field)
    if text != text.strip(" "):
        raise device.error("has leading or trailing spaces, which the phone strips from every value", field=field)
    return text


def check_host(value, device, field, allow_port=False):
    """A host name, IPv4 address or bracketed IPv6 address (with ``allow_port``, optionally ``:port``)."""
    text = check_text(value, device, field)
    try:
        if allow_port:
            message = "{value} is not a host name or address with an optional :port"
            parse_host_port(text, _HOSTS, messages={"host": message, "port": message})
        else:
            parse_host(text, _HOSTS)
    except AddressError as exc:
        raise device.error(exc.message, field=field)
    return text


def check_url(value, device, field):
    """A ``tftp://``, ``http://`` or ``https://`` URL a Profile_Rule can carry; returns it without a trailing ``/``."""
    text = check_text(value, device, field)
    try:
        parse_url(text, _URLS, messages=dict.fromkeys(("scheme", "syntax", "port"), _URL_MESSAGE))
    except AddressError as exc:
        raise device.error(exc.message, field=field)
    return text.rstrip("/")


def escape_macros(text):
    """Double every ``$`` so a parameter that expands macros shows ``text`` literally."""
    return text.replace("$", "$$")


def check_param_name(name, device, field):
    """Raise unless ``name`` can be a flat-profile element name."""
    if not is_param_name(name):
        raise device.error(
            "%r is not a Cisco parameter name: use the XML element name (letters, digits, _ and -, not starting with "
            "a digit or -), for example Proxy_1_ or Resync_Periodic" % (name,), field=field)
    return name


def check_raw_params(device, reserved=()):
    """Validate ``device.params``: ``{name: value}`` or ``{name: {value: ..., ua: na|ro|rw}}``.

    Returns ``{name: (value or None, ua or None)}``; a ``None`` value means
    "only set the access of a parameter the mapped settings write".
    """
    checked = {}
    for name, raw in device.params.items():
        field = "params.%s" % (name,)
        check_param_name(name, device, field)
        if name in reserved:
            raise device.error("is set by the collection while encrypt_profiles is on (it holds the profile key or "
                               "directory); remove it, or turn encryption off", field=field)
        ua = None
        if isinstance(raw, dict):
            unknown = sorted(str(key) for key in raw if key not in ("value", "ua"))
            if unknown:
                raise device.error("unknown key(s) %s; a parameter given as a mapping has 'value' and 'ua'"
                                   % ", ".join(unknown), field="%s.%s" % (field, unknown[0]))
            if "ua" in raw:
                ua = raw["ua"]
                if ua not in UA_VALUES:
                    raise device.error("must be one of %s, got %s" % (", ".join(UA_VALUES), quote_value(ua)), field=field + ".ua")
            elif "value" not in raw:
                raise device.error("a mapping needs 'value', 'ua' or both", field=field)
            value = raw.get("value")
            if "value" in raw:
                if value is None:
                    raise device.error("must be a string or an integer, got null (use \"\" for an empty value)",
                                       field=field + ".value")
                value = check_text(value, device, field + ".value", secret=SECRET_PARAM_RE.search(name) is not None)
        elif raw is None:
            raise device.error("must be a string or an integer, got null (use \"\" for an empty value)", field=field)
        else:
            value = check_text(raw, device, field, secret=SECRET_PARAM_RE.search(name) is not None)
        checked[name] = (value, ua)
    return checked


def merge_params(mapped, raw, device):
    """Mapped ``{name: value}`` then raw params on top; returns ``[(name, value, ua)]``.

    A raw parameter replaces a mapped one in place (one element per name, as
    the guides recommend); new ones follow in the order given.
    """
    entries = dict((name, [value, None]) for name, value in mapped.items())
    for name, (value, ua) in raw.items():
        if value is None:
            if name not in entries:
                raise device.error("sets only 'ua', but no mapped setting writes %s; add a 'value'" % name,
                                   field="params.%s" % name)
            entries[name][1] = ua
        else:
            entries[name] = [value, ua]
    return [(name, value, ua) for name, (value, ua) in entries.items()]


# --- Profile_Rule ---------------------------------------------------------------


def profile_rule(path, base_url=None, key_macro=None):
    """``[--key $A] <base_url>/<path>``.

    ``base_url`` is a checked URL from the user: its ``$`` are doubled.
    ``path`` is the collection's own and may hold macros (``$MA``, ``$B``).
    Without ``base_url`` the rule is relative, which the phone resolves
    against the TFTP server DHCP option 66 names.
    """
    url = "%s/%s" % (escape_macros(base_url), path) if base_url else "/" + path
    if key_macro:
        return "[--key %s] %s" % (key_macro, url)
    return url


# --- time, firmware, resync -------------------------------------------------------


def _clock(minutes):
    hours, rest = divmod(minutes, 60)
    return "%d" % hours if rest == 0 else "%d:%02d" % (hours, rest)


def _rule_date(transition, device):
    if not 0 <= transition.minutes < 24 * 60:
        raise device.error("daylight-saving change at %d minutes past midnight cannot be written as a Cisco "
                           "Daylight_Saving_Time_Rule (it takes a time of day from 0:00 to 23:59)" % transition.minutes,
                           field="settings.timezone")
    # Cisco: month/day/weekday/time; a positive day with a weekday means "first
    # such weekday on or after that day", -1 "last such weekday of the month";
    # weekdays run Monday=1 .. Sunday=7.
    day = -1 if transition.week == 5 else (transition.week - 1) * 7 + 1
    weekday = 7 if transition.weekday == 0 else transition.weekday
    return "%d/%d/%d/%s" % (transition.month, day, weekday, _clock(transition.minutes))


#: ``{timezone text: params}`` of the texts time_zone_params accepted: a fleet has a handful, asked for twice a
#: device. An error is never kept, so each device with a bad zone gets its own message.
_TIME_ZONE_PARAMS = {}
_TIME_ZONE_PARAMS_SIZE = 1024


def time_zone_params(device):
    """``timezone`` (IANA name or POSIX TZ) -> ``Time_Zone``, ``Daylight_Saving_Time_Enable``, ``Daylight_Saving_Time_Rule``."""
    text = device.settings.get("timezone")
    if not text:
        return {}
    if not isinstance(text, str):
        return _time_zone_params(text, device)
    params = _TIME_ZONE_PARAMS.get(text)
    if params is None:
        params = _time_zone_params(text, device)
        if len(_TIME_ZONE_PARAMS) < _TIME_ZONE_PARAMS_SIZE:
            _TIME_ZONE_PARAMS[text] = params
    return dict(params)


def _time_zone_params(text, device):
    zone = parse_tz(text, device=device.label, field="settings.timezone")
    if zone.utc_offset % 15:
        raise device.error("UTC offset of %r is not a multiple of 15 minutes, which Time_Zone cannot express" % zone.label,
                           field="settings.timezone")
    sign = "+" if zone.utc_offset >= 0 else "-"
    offset = abs(zone.utc_offset)
    params = {"Time_Zone": "GMT" if offset == 0 else "GMT%s%02d:%02d" % (sign, offset // 60, offset % 60)}
    if not zone.has_dst:
        params["Daylight_Saving_Time_Enable"] = "No"
        params["Daylight_Saving_Time_Rule"] = ""
        return params
    save = zone.dst_offset - zone.utc_offset
    if save <= 0:
        raise device.error("%r has a daylight-saving offset of %d minutes; Cisco rules only move clocks forward"
                           % (zone.label, save), field="settings.timezone")
    params["Daylight_Saving_Time_Enable"] = "Yes"
    params["Daylight_Saving_Time_Rule"] = "start=%s;end=%s;save=%s" % (
        _rule_date(zone.start, device), _rule_date(zone.end, device), _clock(save))
    return params


def resync_seconds(device):
    """``resync_spread`` (a per-device value from the MAC) or ``resync_interval``, in seconds; ``None`` if unset."""
    spread = device.settings.get("resync_spread")
    if spread:
        low, high = spread
        return (low + int(device.mac, 16) % (high - low + 1)) * 60
    interval = device.settings.get("resync_interval")
    return interval * 60 if interval else None


def check_spa_version(value, device, field):
    """A version ``$SWVER`` can be compared with: ``7.5.5``, ``1.3.5p``, ``2.0.3(G)``."""
    text = check_text(value, device, field)
    if not _SPA_VERSION_RE.match(text):
        raise device.error("%r is not a SPA firmware version such as 7.6.2 or 1.4.1(SR5); the Upgrade_Rule compares "
                           "it with the running version" % (text,), field=field)
    return text


def parse_mpp_version(value):
    """``(major, minor, patch or None)`` of ``11.3(1)``, ``11.3.1``, ``11-3-1MPP``, ``sip88xx.11-3-1MPP-477.loads``; ``None`` if not one."""
    text = value.strip()
    if text.lower().startswith(("sip", "ata")) and "." in text:
        text = text.split(".", 1)[1]
    match = _MPP_VERSION_RE.match(text)
    if match is None:
        return None
    patch = match.group(3)
    return int(match.group(1)), int(match.group(2)), int(patch) if patch is not None else None


# --- the renderer both vendors share ---------------------------------------------


class CiscoModel:
    """What the renderer needs to know about a model."""

    def __init__(self, name, psn, lines, bootstrap, kind, admin_param=None, derived=False, keys=0):
        self.name = name
        #: ``$PSN``, the product series number (``None`` where the sources do not give it).
        self.psn = psn
        #: Number of lines (SIP accounts: FXS ports of an ATA, extensions of a phone).
        self.lines = lines
        #: The model's factory-default profile name, relative to the server root.
        self.bootstrap = bootstrap
        #: ``ata`` or ``phone`` (only phones have a display language).
        self.kind = kind
        #: Parameter of the administrator password, or ``None`` where unknown.
        self.admin_param = admin_param
        #: ``True`` for a model the collection does not list, with facts derived from its name.
        self.derived = derived
        #: Programmable line keys (``Extension_<n>_``...): 0 for none (ATAs, and
        #: phones no source gives keys), ``None`` for unknown (a derived phone).
        self.keys = keys

    def __repr__(self):
        return "CiscoModel(%s, psn=%s, lines=%d, bootstrap=%s)" % (self.name, self.psn, self.lines, self.bootstrap)


class CiscoFlatProfileRenderer(VendorRenderer):
    """The renderer of ``flat-profile`` devices, shared by the Cisco families.

    A family is a subclass that declares its facts as class attributes:

    ``name``, ``description``, ``title``
        as for every :class:`~._vendors.base.VendorRenderer`.
    ``models``
        ``{canonical model name: CiscoModel}``.
    ``unknown_model_lines``
        lines accepted for a model the collection does not list.
    ``device_file_template``
        the per-device file (initial file or unencrypted profile), ``{mac}``
        standing for the 12 lower-case hex digits; the phone's rule writes the
        same name with the ``$MA`` macro.
    ``default_digest``
        the ``openssl enc -md`` digest when ``encryption_digest`` is not set.
    ``naming_hint``
        how to name an unlisted model so its facts can be derived (errors
        append the listed models).
    ``upgrade_rule_template``
        the ``Upgrade_Rule`` for a ``firmware_url``: ``{url}`` is the URL (its
        ``$`` doubled, no final ``/``), ``{version}`` the ``firmware_version``.

    and overrides only the methods where the families behave differently:

    :meth:`derive_model`
        facts of an unlisted model from its name (the default knows none);
    :meth:`check_firmware`
        the checks of ``firmware_url`` and ``firmware_version``;
    :meth:`digest`
        when more than ``encryption_digest`` and :attr:`default_digest` decide
        (MPP: the firmware release).
    """

    models = {}
    #: The generic key types the family's phones carry (:data:`KEY_FUNCTIONS` and ``line``, ``none``).
    key_types = frozenset()
    #: Whether the family maps ``sip_server_secondary`` (the ``Proxy_<n>_`` alias form).
    backup_registrar = False
    unknown_model_lines = 16
    device_file_template = None
    default_digest = None
    naming_hint = None
    upgrade_rule_template = "{url}"

    def __init__(self, compress=False):
        #: gzip every encrypted profile before encrypting it (the phones accept both).
        self.compress = compress

    # -- what a family may override --------------------------------------------

    def derive_model(self, model):
        """Facts of an unlisted model from its name, or ``None``."""
        return None

    def check_firmware(self, device):
        """Validate the firmware settings."""
        raise NotImplementedError

    def digest(self, device):
        """The ``openssl enc -md`` digest the device's firmware uses."""
        return device.settings.get("encryption_digest") or self.default_digest

    # -- the facts, applied --------------------------------------------------------

    def derive_hint(self):
        """How to name an unlisted model so its facts can be derived (for errors)."""
        return "%s, or use a listed model: %s" % (self.naming_hint, ", ".join(self.known_models()))

    def device_file(self, mac):
        """Path of the per-device plain file (initial file or unencrypted profile)."""
        return self.device_file_template.format(mac=mac)

    def device_file_macro(self):
        """The same path as the phone's rule writes it, with the MAC as a macro."""
        return self.device_file_template.format(mac="$MA")

    def upgrade_rule(self, device):
        """The ``Upgrade_Rule`` value, or ``None`` without a ``firmware_url``."""
        url = device.settings.get("firmware_url")
        if not url:
            return None
        return self.upgrade_rule_template.format(url=escape_macros(url.rstrip("/")),
                                                 version=device.settings.get("firmware_version"))

    # -- secrets -----------------------------------------------------------------

    def is_secret_param(self, name):
        return isinstance(name, str) and self.description.is_secret_param(name)

    def recognizes_text(self, text):
        return "<flat-profile" in text[:4096]

    def mask_text(self, text):
        """Every secret element (``<Admin_Passwd ua="na">..</Admin_Passwd>``) or attribute, literal rule keys and directories."""
        text = mask_xml_elements(text, self.is_secret_param)
        text = _URL_DIRECTORY_RE.sub(lambda match: match.group(1) + MASK, text)
        return _RULE_KEY_RE.sub(lambda match: match.group(1) + MASK, text)

    def mask_path(self, path):
        """``profile/<GPP_B>/...``: the directory is the device's second key."""
        parts = path.split("/")
        if len(parts) > 1 and parts[0] == PROFILE_DIRECTORY:
            parts[1] = MASK
        return "/".join(parts)

    # -- interface ---------------------------------------------------------------

    secure_transport = ("an https provisioning_url with the http_server role's client-certificate binding "
                        "(http_server_ssl_verify_client: the phones' factory certificates name their MAC)")

    def transport(self, device):
        # Without a provisioning_url the Profile_Rule is relative: the phone
        # resolves it against the TFTP server DHCP option 66/150 names.
        return super().transport(device) or "tftp"

    def model_info(self, model):
        return self.models.get(model)

    def known_models(self):
        return sorted(self.models)

    def facts(self, device):
        """The device's :class:`CiscoModel`, listed or derived, or an error naming ``model``."""
        facts = self.models.get(device.model) or self.derive_model(device.model)
        if facts is None:
            raise device.error("%s does not list model %s and cannot tell its product series number ($PSN), which "
                               "names its default profile; %s" % (self.title, device.model, self.derive_hint()),
                               field="model")
        return facts

    def encrypted(self, device):
        return bool(device.settings.get("encrypt_profiles"))

    def key_specs(self, device):
        return dict(KEY_SPECS) if self.encrypted(device) else {}

    def settings_not_carried(self, device):
        facts = self.models.get(device.model) or self.derive_model(device.model)
        if facts is None:
            # validate() names the model; nothing more to say about its settings.
            return dict(NOT_CARRIED_BY_DEFAULT)
        not_carried = {
            "vlan_priority": "no source the collection follows documents a VLAN priority parameter in the flat profile",
        }
        if facts.kind == "ata":
            not_carried["function_keys"] = "an ATA has no keys"
            not_carried["vlan_id"] = ("the sources document Enable_VLAN/VLAN_ID for the phones only, not for the "
                                      "ATAs (a SPA112/SPA122 sets its VLAN in its router configuration)")
            not_carried["language"] = "an ATA has no display; Language_Selection is written for phones only"
        else:
            reason = language_not_carried(_language_code(device), LANGUAGES, "Language_Selection")
            if reason:
                not_carried["language"] = reason
            if facts.keys == 0:
                not_carried["function_keys"] = "the sources give model %s no programmable line keys" % facts.name
        if not self.backup_registrar:
            not_carried["sip_server_secondary"] = (
                "no source the collection follows documents a backup registrar for this firmware "
                "(set params Proxy_<n>_ yourself)")
        if not facts.admin_param:
            not_carried["admin_password"] = "the sources document no administrator password parameter for model %s" % (
                facts.name,)
        return not_carried

    def function_key_support(self, device):
        facts = self.models.get(device.model) or self.derive_model(device.model)
        if facts is None or facts.kind == "ata":
            return frozenset(), 0
        return self.key_types, facts.keys

    def validate(self, device, inventory):
        facts = self.facts(device)
        if len(device.lines) > facts.lines:
            raise device.error("%s has %d line(s); remove this line and the ones after it" % (facts.name, facts.lines),
                               field="lines[%d]" % facts.lines)
        for index, line in enumerate(device.lines):
            prefix = "lines[%d]." % index
            for name in ("extension", "auth_user", "password", "display_name"):
                check_text(getattr(line, name), device, prefix + name, secret=name == "password")
            from_settings = line.sip_server == device.settings.get("sip_server")
            check_host(line.sip_server, device, "settings.sip_server" if from_settings else prefix + "sip_server")
        settings = device.settings
        for name, allow_port in (("outbound_proxy", True), ("ntp_server", False), ("syslog_server", True)):
            if settings.get(name):
                check_host(settings[name], device, "settings." + name, allow_port=allow_port)
        if settings.get("admin_password"):
            check_text(settings["admin_password"], device, "settings.admin_password", secret=True)
        if settings.get("provisioning_url"):
            check_url(settings["provisioning_url"], device, "settings.provisioning_url")
        self._check_model_url(device, inventory)
        self.check_firmware(device)
        time_zone_params(device)
        if facts.kind == "phone" and settings.get("language"):
            self._language(device)
        if self.encrypted(device):
            self.digest(device)
        for name, size in self.key_specs(device).items():
            if device.keys.get(name):
                self._key(device, name, size)
        check_raw_params(device, reserved=RESERVED_WHEN_ENCRYPTED if self.encrypted(device) else ())
        # The mapped parameters and the raw ones must merge (a ua-only raw
        # parameter needs a mapped value).
        rule = self.encrypted_rule(device, facts) if self.encrypted(device) else self.device_rule(device)
        merge_params(self._mapped(device, facts, rule), self._raw(device), device)

    def render_device(self, device, inventory):
        facts = self.facts(device)
        if not self.encrypted(device):
            xml = self._full_profile(device, facts, self.device_rule(device), self.directory_params(device, inventory))
            return [ProfileFile(self.device_file(device.mac), xml, device=device.label, secret=True, role="profile",
                                kind="xml")]
        key = self._key(device, "gpp_a", KEY_SPECS["gpp_a"])
        directory = self._key(device, "gpp_b", KEY_SPECS["gpp_b"])
        rule = self.encrypted_rule(device, facts)
        initial = render_flat_profile([
            ("GPP_A", key, "na"),
            ("GPP_B", directory, "na"),
            ("Profile_Rule", rule, None),
            ("Resync_Periodic", str(BOOTSTRAP_RESYNC_SECONDS), None),
        ])
        plaintext = self._full_profile(device, facts, rule, self.directory_params(device, inventory))
        profile_path = "%s/%s/%s" % (PROFILE_DIRECTORY, directory, facts.bootstrap)
        return [
            ProfileFile(self.device_file(device.mac), initial, device=device.label, secret=True, role="bootstrap",
                        kind="xml"),
            self._encoded_file(device, profile_path, plaintext, key, device=device.label, secret=False, role="profile"),
        ]

    def render_rotation(self, device, next_device, inventory):
        """New ``GPP_A`` key and ``GPP_B`` directory, handed over by the current profile.

        Seed 002: the key and directory "can be rotated" by the profile the
        phone resyncs to. The file at the old directory, encrypted with the
        old key, becomes the new initial profile (new ``GPP_A``, ``GPP_B``,
        the same ``Profile_Rule``); the phone's next resync then fetches the
        full profile from the new directory with the new key.
        """
        facts = self.facts(device)
        old_key = self._key(device, "gpp_a", KEY_SPECS["gpp_a"])
        old_directory = self._key(device, "gpp_b", KEY_SPECS["gpp_b"])
        files = []
        for item in self.render_device(next_device, inventory):
            if item.role == "bootstrap":
                handover = self._encoded_file(device, "%s/%s/%s" % (PROFILE_DIRECTORY, old_directory, facts.bootstrap),
                                              item.content, old_key, device=device.label, secret=False, role="profile")
                handover.delivers_keys = True
                files.append(handover)
            else:
                files.append(item)
        return files

    def _encoded_file(self, owner, path, plaintext, key, **fields):
        """Optional gzip, then ``openssl enc -aes-256-cbc -md DIGEST -k KEY``: the chain of the encrypted kind."""
        compress = self.compress or owner.settings["compress_profiles"]
        kind = "xml_compressed_encrypted" if compress else "xml_encrypted"
        return self.encoded_file(path, plaintext, kind, key, self.digest(owner), **fields)

    def render_shared(self, devices, inventory):
        files = []
        seen = set()
        for device in devices:
            facts = self.facts(device)
            if facts.bootstrap in seen:
                continue
            seen.add(facts.bootstrap)
            base = self._model_url(device, inventory)
            xml = render_flat_profile([
                ("Profile_Rule", profile_rule(self.device_file_macro(), base), None),
                ("Resync_Periodic", str(BOOTSTRAP_RESYNC_SECONDS), None),
            ])
            files.append(ProfileFile(facts.bootstrap, xml, device=None, secret=False, role="bootstrap", kind="xml"))
        return files

    # -- rules -------------------------------------------------------------------

    def _base_url(self, device):
        url = device.settings.get("provisioning_url")
        return url.rstrip("/") if url else None

    def device_rule(self, device):
        """``Profile_Rule`` of an unencrypted device: its own file."""
        return profile_rule(self.device_file_macro(), self._base_url(device))

    def encrypted_rule(self, device, facts):
        """``Profile_Rule`` of an encrypted device: ``[--key $A] <url>/profile/$B/<model file>``."""
        return profile_rule("%s/$B/%s" % (PROFILE_DIRECTORY, facts.bootstrap), self._base_url(device), key_macro="$A")

    def _model_url(self, device, inventory):
        url = inventory.model_settings(device.model).get("provisioning_url")
        return url.rstrip("/") if url else None

    def _check_model_url(self, device, inventory):
        url = inventory.model_settings(device.model).get("provisioning_url")
        if url:
            own = inventory.models.get(device.model, {})
            field = ("sipfleet_models.%s.provisioning_url" % device.model if own.get("provisioning_url")
                     else "sipfleet_defaults.provisioning_url")
            check_url(url, device, field)

    # -- mapping -----------------------------------------------------------------

    def _key(self, device, name, size):
        value = self.require_key(device, name).strip().lower()
        if not re.match(r"^[0-9a-f]{%d}$" % (2 * size), value):
            raise device.error("must be %d hex digits (%d random bytes) from the key store" % (2 * size, size),
                               field="keys.%s" % name)
        return value

    def _language(self, device):
        """``Language_Selection``, or ``None`` for a code it has no value for (settings_not_carried reports it)."""
        code = _language_code(device)
        problem = malformed_language(code)
        if problem:
            raise device.error(problem, field="settings.language")
        return LANGUAGES.get(code)

    def _raw(self, device):
        return check_raw_params(device, reserved=RESERVED_WHEN_ENCRYPTED if self.encrypted(device) else ())

    def _mapped(self, device, facts, rule):
        """The generic settings as native parameters, in file order (see the vendor docs' table)."""
        settings = device.settings
        params = {"Profile_Rule": rule}
        seconds = resync_seconds(device)
        params["Resync_Periodic"] = str(seconds if seconds is not None else DEFAULT_RESYNC_SECONDS)
        upgrade = self.upgrade_rule(device)
        if upgrade is not None:
            params["Upgrade_Enable"] = "Yes"
            params["Upgrade_Rule"] = upgrade
        if settings.get("admin_password") and facts.admin_param:
            params[facts.admin_param] = settings["admin_password"]
        if settings.get("ntp_server"):
            params["Primary_NTP_Server"] = settings["ntp_server"]
        if settings.get("syslog_server"):
            params["Syslog_Server"] = settings["syslog_server"]
        if settings.get("vlan_id") is not None and facts.kind == "phone":
            params["Enable_VLAN"] = "Yes"
            params["VLAN_ID"] = str(settings["vlan_id"])
        params.update(time_zone_params(device))
        if facts.kind == "phone" and settings.get("language") and self._language(device):
            params["Language_Selection"] = self._language(device)
        outbound = settings.get("outbound_proxy")
        for line in device.lines:
            number = line.number
            params["Line_Enable_%d_" % number] = "Yes"
            params["Proxy_%d_" % number] = "%s:%d" % (line.sip_server, line.sip_port)
            if self.backup_registrar and line.sip_server_secondary is not None:
                params["Proxy_%d_" % number] = self._proxy_with_backup(device, line)
                params["Use_DNS_SRV_%d_" % number] = "Yes"
            params["SIP_Transport_%d_" % number] = _TRANSPORTS[line.transport]
            if outbound:
                params["Use_Outbound_Proxy_%d_" % number] = "Yes"
                params["Outbound_Proxy_%d_" % number] = outbound
            params["Display_Name_%d_" % number] = line.display_name
            params["User_ID_%d_" % number] = line.extension
            params["Password_%d_" % number] = line.password
            params["Use_Auth_ID_%d_" % number] = "Yes" if line.auth_user != line.extension else "No"
            params["Auth_ID_%d_" % number] = line.auth_user
        if not facts.derived:
            # Disable the model's other lines and wipe their credentials, so a
            # line removed from the inventory stops registering.
            for number in range(len(device.lines) + 1, facts.lines + 1):
                params["Line_Enable_%d_" % number] = "No"
                params["User_ID_%d_" % number] = ""
                params["Password_%d_" % number] = ""
                params["Auth_ID_%d_" % number] = ""
        params.update(self._key_params(device, facts))
        return params

    def _full_profile(self, device, facts, rule, directory=()):
        mapped = self._mapped(device, facts, rule)
        # The directory service (sipfleet_directory); a raw parameter still wins.
        mapped.update(directory)
        return render_flat_profile(merge_params(mapped, self._raw(device), device))

    # -- the directory (sipfleet_directory; cisco_directory.py) --

    def directory_path(self, site):
        return standard_path(self.name, site, cisco_directory.FILE_NAME)

    def directory_schemes(self, device):
        return cisco_directory.SCHEMES

    def render_directory(self, entries):
        return cisco_directory.render_directory(entries)

    def directory_settings(self, device, url):
        return cisco_directory.directory_settings(url)

    def _proxy_with_backup(self, device, line):
        """``Proxy_<n>_`` as a local DNS SRV alias: the registrar first (p=0), the backup after it (p=1).

        The form wazo-provd-plugins writes for a backup proxy
        (``<alias>:SRV=<host>:<port>:p=0|<backup>:<port>:p=1``, with
        ``Use_DNS_SRV_<n>_`` on). ``:`` separates its fields, so an IPv6
        address cannot be written in it.
        """
        field = ("settings.sip_server_secondary" if line.sip_server_secondary == device.settings.get("sip_server_secondary")
                 else "lines[%d].sip_server_secondary" % (line.number - 1))
        backup = check_host(line.sip_server_secondary, device, field, allow_port=True)
        for value, where in ((line.sip_server, field), (backup, field)):
            if "[" in value:
                raise device.error("a backup registrar is written in the Proxy_%d_ alias form host:port:p=N|..., whose "
                                   "fields ':' separates; an IPv6 address cannot be written in it (use a host name)"
                                   % line.number, field=where)
        host, port = backup, line.sip_port
        if ":" in backup:
            host, port = backup.rsplit(":", 1)
        return "sipfleet%d:SRV=%s:%d:p=0|%s:%s:p=1" % (line.number, line.sip_server, line.sip_port, host, port)

    def _key_params(self, device, facts):
        """``function_keys`` -> ``Extension_<n>_``, ``Short_Name_<n>_``, ``Extended_Function_<n>_`` of each listed key.

        Keys the inventory leaves out are not written: the phone keeps its
        own (its line keys show its lines by default). A key of a type or
        index the model cannot carry is not mapped here: the generic check
        (:meth:`check_generic_settings`) refuses it, naming the model.
        """
        keys = device.settings.get("function_keys")
        types, count = self.function_key_support(device)
        params = {}
        for key in keys or ():
            if key.type not in types or (count is not None and key.index > count):
                continue
            number = key.index
            if key.type == "line":
                extension, function = str(key.line), ""
                short_name = key.label if key.label is not None else "$USER"
            elif key.type == "none":
                extension, short_name, function = "Disabled", "", ""
            else:
                extension = "Disabled"
                short_name = key.label if key.label is not None else key.value
                function = self._key_function(device, key)
            if short_name:
                check_text(short_name, device, key.field + (".label" if key.label is not None else ".value"))
            params["Extension_%d_" % number] = extension
            params["Short_Name_%d_" % number] = short_name
            params["Extended_Function_%d_" % number] = function
        return params

    def _key_function(self, device, key):
        """``fnc=<function>;<field>=<value>[;vid=<line>][;nme=<label>]`` of a key other than line and none."""
        function, name = KEY_FUNCTIONS[key.type]
        value = key.value
        if value is None:
            if key.type == "park":
                # The guides' private-line park key parks on the phone's own user.
                value = "$USER"
            else:
                raise device.error("a Cisco %s key needs the extension to pick up: the sources document only directed "
                                   "pickup on a line key (fnc=blf+cp;sub=<extension>)" % key.type, field=key.field + ".value")
        for text, what in ((value, ".value"), (key.label, ".label")):
            if text is None:
                continue
            check_text(text, device, key.field + what)
            bad = sorted(set(text) & set(_FUNCTION_SYNTAX_CHARS))
            if bad:
                raise device.error("contains %s, which the Extended_Function syntax fnc=type;name=value uses itself"
                                   % " and ".join(repr(char) for char in bad), field=key.field + what)
        if name != "url" and "@" not in value:
            # $PROXY: the line's registrar, as the guides and other servers write it.
            value = "%s@$PROXY" % value
        text = "fnc=%s;%s=%s" % (function, name, value)
        if key.line != 1:
            if function not in _KEY_FUNCTIONS_WITH_VID:
                raise device.error("the sources document no line selection (vid=) for a %s line key: it uses the first "
                                   "line; remove line or set it to 1" % key.type, field=key.field + ".line")
            text += ";vid=%d" % key.line
        if key.label is not None:
            text += ";nme=%s" % key.label
        if len(text) > MAX_EXTENDED_FUNCTION:
            raise device.error("makes Extended_Function_%d_ %d characters long; the phones take at most %d"
                               % (key.index, len(text), MAX_EXTENDED_FUNCTION), field=key.field + ".value")
        return text
