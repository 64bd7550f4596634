# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Panasonic SIP phones (KX-UT, KX-HDV, KX-TGP, KX-UTG): the text configuration format.

The format itself (encoder, decoder, limits) is in ``formats.py``; this
module maps the inventory to parameters and splits them over the files.

Files, all relative to the provisioning root, which is served at the
``provisioning_url`` (the URL DHCP option 66 hands out):

``<MODEL>.cfg`` (``KX-UT133.cfg``)
    the per-model bootstrap the phone fetches from the option-66 URL; it sets
    ``CFG_STANDARD_FILE_PATH``, ``CFG_PRODUCT_FILE_PATH`` and
    ``CFG_MASTER_FILE_PATH``.
``Config<MAC>.cfg`` (``Config0080F0C8C381.cfg``)
    the standard (per-device) file. Without encryption it is the device's
    profile; with encryption it is the plain key file that delivers
    ``CFG_FILE_KEY`` during the device's bootstrap window and points the
    phone at the encrypted profile, and once the window has closed the
    encrypted profile itself (seed 004 step 3: the server replaces the plain
    MAC file by an encrypted version), so a phone that reboots and re-reads
    ``<MODEL>.cfg`` still reaches its account.
``Config<MAC>.enc``
    the encrypted profile (``openssl enc -aes-256-cbc -a -salt``), served once
    the phone holds its key.

Encryption is a per-model fact (:data:`MODELS`): only the KX-UTG family is
documented to read ``openssl enc`` files; the KX-UT, KX-HDV and KX-TGP
families decrypt ``.e1c``/``.e2c``/``.e3c`` files with an algorithm that is
not published, so they are never served an encrypted file.
``Config<MODEL>.cfg`` and ``ConfigCom.cfg``
    the product and master files, shared by all phones of a model and by the
    whole fleet.

The phone reads the standard file, then the product file, then the master
file, and the *first* file that sets a parameter wins. The split follows the
inventory levels: the master file carries what ``sipfleet_defaults`` maps to,
the product file what ``sipfleet_defaults`` -> ``sipfleet_models`` maps to where
it differs, and a device's standard file every parameter whose value differs
from what the product or master file would give it, plus everything per line,
every secret and every raw parameter. Nothing a later file sets can then
reach a phone whose own value differs, whatever the fleet looks like.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    IPV6_LOOSE,
    AddressError,
    HostRules,
    UrlRules,
    parse_host_port,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import merge_settings
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, shown_url
from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import BASE64_LINE_CHARS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    mask_assignments,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.formats import (
    FORBIDDEN_CATEGORIES,
    HEADER,
    LINE_END,
    MAX_LINE_BYTES,
    MAX_NAME_CHARS,
    MAX_TOTAL_BYTES,
    MAX_VALUE_CHARS,
    PARAM_NAME_RE,
    render_config,
)

#: How the phone expands ``{MAC}`` in CFG_STANDARD_FILE_PATH: upper-case hex
#: (Panasonic_KX-UT113 phones request Config0080F0C8C381.cfg). Change to
#: "lower" if your firmware asks for lower case.
MAC_CASE = "upper"

BOOTSTRAP_FILE = "{model}.cfg"
STANDARD_FILE = "Config{mac}.cfg"
#: The KX-UTG guide: "assign the file extension .enc to the encrypted
#: configuration file".
ENCRYPTED_STANDARD_FILE = "Config{mac}.enc"
PRODUCT_FILE = "Config{model}.cfg"
MASTER_FILE = "ConfigCom.cfg"

#: The per-device key: 16 random bytes, written as 32 lower-case hex digits.
#: That string is the "unique 32-byte key" of the guides (their example,
#: 12341234abcdabcd12341234abcdabcd, is 32 hex characters) and the
#: ``-pass pass:`` password of ``openssl enc``.
KEY_NAME = "cfg_file_key"
KEY_RANDOM_BYTES = 16
_KEY_RE = re.compile(r"^[0-9a-fA-F]{%d}$" % (2 * KEY_RANDOM_BYTES))

#: CFG_FILE_KEY_LENGTH "specifies the encrypt/decrypt algorithm" (KX-UTG
#: guide 2.6.1: AES-128-CBC, AES-192-CBC or AES-256-CBC); the value is the
#: AES key size in bits and must match the cipher the file is encrypted with.
#: The peers' templates write "128" next to an empty CFG_FILE_KEY (the sample
#: value of a phone that decrypts nothing); this collection encrypts with
#: AES-256-CBC, so it writes "256".
CFG_FILE_KEY_LENGTH = "256"

#: CFG_CYCLIC_INTVL the plain key file sets (minutes): the phone fetches its
#: encrypted profile at its next cyclic check, so a short one brings the
#: account within minutes of the first boot. The encrypted profile carries
#: the normal interval, which replaces this one once the phone has read it.
BOOTSTRAP_RESYNC_MINUTES = 5

#: What the encrypted profile sets when the inventory gives no resync
#: interval: the phones' sample defaults (no cyclic check; 10080 minutes), so
#: the short bootstrap interval does not stay on the phone.
FACTORY_CYCLIC = "N"
FACTORY_CYCLIC_INTVL = "10080"

#: openssl enc key-derivation digest: the KX-UTG tools date from 2014
#: (OpenSSL 1.0, MD5 default); ``encryption_digest`` overrides it.
DEFAULT_DIGEST = "md5"

#: CFG_CYCLIC_INTVL range, minutes (1 to 28 days).
MAX_RESYNC_MINUTES = 40320
#: TIME_ZONE range, minutes east of UTC.
MIN_UTC_OFFSET = -720
MAX_UTC_OFFSET = 780
#: DST_OFFSET range, minutes.
MAX_DST_OFFSET = 720

#: The parameters of the cyclic check.
_CYCLIC_PARAMS = ("CFG_CYCLIC", "CFG_CYCLIC_INTVL")

#: SIP_TRANSPORT_n values.
TRANSPORTS = {"udp": "0", "tcp": "1", "tls": "2"}

#: Encryption method a model's firmware is documented to read:
#: ``openssl-enc`` is ``openssl enc -aes-<CFG_FILE_KEY_LENGTH>-cbc -a -salt``
#: with ``CFG_FILE_KEY`` from a plain key file (KX-UTG200/300 Administrator
#: Guide, 2.6.1); ``None`` is no method the collection can produce (KX-UT,
#: KX-HDV, KX-TGP: ``.e1c``/``.e2c``/``.e3c`` with ``CFG_FILE_KEY1..3``, an
#: unpublished algorithm). See docs/vendors/panasonic.md for the sources.
OPENSSL_ENC = "openssl-enc"

#: What the guides of the families without an openssl method describe instead.
_UNPUBLISHED_ENCRYPTION = {
    "KX-UT": ".e1c/.e2c/.e3c files decrypted with CFG_FILE_KEY1/2/3",
    "KX-HDV": ".e2c/.e3c files decrypted with CFG_FILE_KEY2/3",
    "KX-TGP": ".e2c/.e3c files decrypted with CFG_FILE_KEY2/3",
}

#: Known models: number of SIP lines and encryption method.
MODELS = {
    "KX-HDV100": {"lines": 1, "encryption": None},
    "KX-HDV130": {"lines": 2, "encryption": None},
    "KX-HDV230": {"lines": 6, "encryption": None},
    "KX-HDV330": {"lines": 12, "encryption": None},
    "KX-HDV340": {"lines": 12, "encryption": None},
    "KX-HDV430": {"lines": 16, "encryption": None},
    "KX-TGP500": {"lines": 8, "encryption": None},
    "KX-TGP550": {"lines": 8, "encryption": None},
    "KX-TGP600": {"lines": 8, "encryption": None},
    "KX-UT113": {"lines": 2, "encryption": None},
    "KX-UT123": {"lines": 2, "encryption": None},
    "KX-UT133": {"lines": 4, "encryption": None},
    "KX-UT136": {"lines": 4, "encryption": None},
    "KX-UT248": {"lines": 6, "encryption": None},
    "KX-UT670": {"lines": 6, "encryption": None},
    "KX-UTG200": {"lines": 4, "encryption": OPENSSL_ENC},
    "KX-UTG300": {"lines": 6, "encryption": OPENSSL_ENC},
}

#: Flexible buttons (``FLEX_BUTTON_*<n>``) of the models a source documents
#: them for: 24 on the KX-HDV230 (physical keys) and KX-HDV330/430 (LCD keys),
#: as a KX-HDV provisioning page of a public PBX project writes them. The
#: KX-UT sources disagree (``FLEX_BUTTON_FACILITY_LABEL`` and ``_DN``/``_CONTACT``
#: facilities against the KX-HDV ``FLEX_BUTTON_LABEL`` and ``_LINE``/``_BLF``),
#: so no other model gets keys.
FLEX_BUTTONS = {"KX-HDV230": 24, "KX-HDV330": 24, "KX-HDV430": 24}

#: ``FLEX_BUTTON_FACILITY_ACT<n>`` of each generic key type (``""``: an unused button).
KEY_FACILITIES = {
    "line": "X_PANASONIC_IPTEL_LINE",
    "blf": "X_PANASONIC_IPTEL_BLF",
    "speed_dial": "X_PANASONIC_IPTEL_ONETOUCH",
    "none": "",
}

#: A model the collection does not know (with ``vendor: panasonic``): the name
#: must look like a Panasonic model, which also keeps <MODEL>.cfg and
#: Config<MODEL>.cfg clear of the per-device and master file names.
_UNKNOWN_MODEL_RE = re.compile(r"^KX-[A-Z0-9][A-Z0-9-]*$")
UNKNOWN_MODEL_MAX_LINES = max(info["lines"] for info in MODELS.values())

#: Parameters the key and file flow depends on; raw params may not set them.
MANAGED_PARAMS = {
    "CFG_STANDARD_FILE_PATH": "set provisioning_url instead",
    "CFG_PRODUCT_FILE_PATH": "set provisioning_url instead",
    "CFG_MASTER_FILE_PATH": "set provisioning_url instead",
    "CFG_FILE_KEY": "the key store supplies the key (keys.%s)" % KEY_NAME,
    "CFG_FILE_KEY_LENGTH": "the collection sets it with the key",
}


def is_secret_param(name):
    """Whether parameter ``name`` holds a password or key, as the description declares."""
    return isinstance(name, str) and DESCRIPTION.is_secret_param(name)


# Hosts: a run of letters, digits, "_", "." and "-" (no label structure) of
# at most 253 characters, or IPv6 by its characters, with or without
# brackets; ports of at most 5 digits. A final LF is left to the line check,
# which names the parameter that cannot carry it.
_HOSTS = HostRules(underscore=True, labels=False, ipv6=IPV6_LOOSE, bare_ipv6=True, port_digits=5, final_newline=True)
# URLs: tftp, http or https (lower case); user information allowed (a
# firmware_url that carries one is secret); any path without white space or '"'.
_URLS = UrlRules(
    ("tftp", "http", "https"),
    HostRules(underscore=True, labels=False, dot_or_hyphen_first=True, max_length=None, ipv6=IPV6_LOOSE, bare_ipv6=False,
              port_digits=5),
    scheme_case="sensitive", userinfo=re.compile(r"[^\s/\"@]+"), path=re.compile(r"/[^\s\"]*"), final_newline=True)
# The provisioning_url becomes the start of CFG_*_FILE_PATH values the phone
# completes: no query, fragment or the braces of its {MAC} macro.
_PROVISIONING_URLS = _URLS.replace(forbidden="?#{}")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")


class _Param:
    """One ``NAME="value"`` line and the inventory field its value comes from.

    ``per_device`` parameters (per line, raw, derived from the MAC) always go
    to the device's standard file, as do ``secret`` ones.
    """

    __slots__ = ("name", "value", "field", "secret", "per_device")

    def __init__(self, name, value, field, secret=False, per_device=False):
        self.name = name
        self.value = value
        self.field = field
        # The declaration decides too: a secret never goes to a shared file.
        self.secret = secret or is_secret_param(name)
        self.per_device = per_device

    @property
    def shareable(self):
        return not (self.secret or self.per_device)

    def __repr__(self):
        return "_Param(%s, field=%s)" % (self.name, self.field)


class _Mapper:
    """Maps generic settings to parameters; errors name ``label`` and the field ``field_of(setting)``."""

    def __init__(self, label, field_of, mac=None):
        self.label = label
        self.field_of = field_of
        self.mac = mac
        self.params = []

    def error(self, message, setting):
        return ProvisioningError(message, device=self.label, field=self.field_of(setting))

    def add(self, name, value, setting, secret=False, per_device=False):
        self.params.append(_Param(name, str(value), self.field_of(setting), secret, per_device))

    def host(self, value, setting, what="host name or address"):
        if _HOSTS.host(value) is None:
            raise self.error("%s is not a %s" % (shown_url(value), what), setting)
        return value

    def url(self, value, setting, allow_query=True):
        """The :class:`~._addresses.Url` of ``value``."""
        wrong = "{value} is not a URL of the form scheme://host[:port][/path] with scheme tftp, http or https%s" % (
            "" if allow_query else " (no query, fragment or braces)")
        messages = {"scheme": wrong, "syntax": wrong, "port": "{value} has a port out of range 1 to 65535"}
        try:
            return parse_url(value, _URLS if allow_query else _PROVISIONING_URLS, messages=messages)
        except AddressError as exc:
            raise self.error(exc.message, setting)


def _armored_size(plain_length):
    """Size of ``openssl enc -aes-256-cbc -a -salt`` output for a plaintext of ``plain_length`` bytes."""
    binary = 16 + (plain_length // 16 + 1) * 16
    chars = 4 * ((binary + 2) // 3)
    return chars + (chars + BASE64_LINE_CHARS - 1) // BASE64_LINE_CHARS


def _file_bytes(params):
    """The bytes of a file: header, one line per parameter, an empty last line."""
    return render_config((param.name, param.value) for param in params)


def _spread_minutes(mac, low, high):
    """A fixed interval in [low, high] for this MAC, so a fleet does not check at one minute."""
    return low + int(mac, 16) % (high - low + 1)


class PanasonicRenderer(VendorRenderer):
    """Renderer of the Panasonic standard/product/master text files."""

    name = DESCRIPTION.name
    description = DESCRIPTION
    #: sipfleet_directory: no phonebook file (docs/vendors/panasonic.md, Directory).
    directory_hint = " (no Panasonic document or public template read names a phonebook file or its parameter)"
    title = DESCRIPTION.title
    mac_case = MAC_CASE

    def is_secret_param(self, name):
        return is_secret_param(name)

    def recognizes_text(self, text):
        return HEADER[:44] in text[:4096]

    def mask_text(self, text):
        """``NAME="value"`` lines of every secret parameter."""
        return mask_assignments(text, is_secret_param)

    # -- models ------------------------------------------------------------

    #: Where a Panasonic phone's device file must come from when it is not
    #: encrypted: no client certificate is documented for these phones.
    secure_transport = ("an https provisioning_url (the guides recommend HTTPS for unencrypted files; no client "
                        "certificate is documented for Panasonic phones, so restrict the HTTPS server to the phones' network)")

    def settings_not_carried(self, device):
        not_carried = {
            "vlan_priority": "no source the collection follows documents the VLAN priority parameter",
        }
        if device.model not in FLEX_BUTTONS:
            not_carried["function_keys"] = ("the sources document flexible buttons only for the KX-HDV230, KX-HDV330 "
                                            "and KX-HDV430 (the KX-UT sources disagree on their parameters)")
        return not_carried

    def function_key_support(self, device):
        if device.model not in FLEX_BUTTONS:
            return frozenset(), 0
        return frozenset(KEY_FACILITIES), FLEX_BUTTONS[device.model]

    def model_info(self, model):
        info = MODELS.get(model)
        return None if info is None else dict(info)

    def known_models(self):
        return sorted(MODELS)

    @staticmethod
    def encryption(device):
        """The encryption method ``device``'s model is documented to read, or ``None`` (unknown models too)."""
        info = MODELS.get(device.model)
        return info["encryption"] if info is not None else None

    def can_encrypt(self, device):
        return self.encryption(device) is not None

    def _encrypted(self, device):
        # validate() refuses encrypt_profiles on a model without a method, so
        # this never hands a model a file it cannot read.
        return bool(device.settings.get("encrypt_profiles")) and self.can_encrypt(device)

    def key_specs(self, device):
        return {KEY_NAME: KEY_RANDOM_BYTES} if self._encrypted(device) else {}

    # -- file names --------------------------------------------------------

    def _mac_text(self, device):
        return device.mac.upper() if self.mac_case == "upper" else device.mac.lower()

    def standard_path(self, device):
        return STANDARD_FILE.format(mac=self._mac_text(device))

    def encrypted_path(self, device):
        return ENCRYPTED_STANDARD_FILE.format(mac=self._mac_text(device))

    # -- mapping -----------------------------------------------------------

    def _global_params(self, mapper, settings):
        """Device-wide parameters, in the order of the mapping table (docs/vendors/panasonic.md)."""
        if settings.get("ntp_server") is not None:
            mapper.add("NTP_ADDR", mapper.host(settings["ntp_server"], "ntp_server"), "ntp_server")
        if settings.get("timezone") is not None:
            self._timezone_params(mapper, settings["timezone"])
        if settings.get("language") is not None:
            if not _LANGUAGE_RE.match(settings["language"]):
                raise mapper.error("%r is not a two-letter lower-case ISO 639-1 code such as en or de" % settings["language"],
                                   "language")
            mapper.add("DEFAULT_LANGUAGE", settings["language"], "language")
        if settings.get("admin_password") is not None:
            mapper.add("ADMIN_PASS", settings["admin_password"], "admin_password", secret=True)
        self._resync_params(mapper, settings)
        if settings.get("firmware_url") is not None:
            url = mapper.url(settings["firmware_url"], "firmware_url")
            mapper.add("FIRM_UPGRADE_ENABLE", "Y", "firmware_url")
            # A password in the URL must not reach a shared file.
            mapper.add("FIRM_FILE_PATH", settings["firmware_url"], "firmware_url", secret=bool(url.userinfo))
        if settings.get("firmware_version") is not None:
            mapper.add("FIRM_VERSION", settings["firmware_version"], "firmware_version")
        if settings.get("syslog_server") is not None:
            mapper.add("SYSLOG_ADDR", mapper.host(settings["syslog_server"], "syslog_server"), "syslog_server")
        if settings.get("vlan_id") is not None:
            mapper.add("VLAN_ENABLE", "Y", "vlan_id")
            mapper.add("VLAN_ID_IP_PHONE", settings["vlan_id"], "vlan_id")

    def _timezone_params(self, mapper, text):
        zone = parse_tz(text, device=mapper.label, field=mapper.field_of("timezone"))
        if not MIN_UTC_OFFSET <= zone.utc_offset <= MAX_UTC_OFFSET:
            raise mapper.error("UTC offset %+d minutes is outside the phones' range %d to %+d"
                               % (zone.utc_offset, MIN_UTC_OFFSET, MAX_UTC_OFFSET), "timezone")
        mapper.add("TIME_ZONE", zone.utc_offset, "timezone")
        mapper.add("DST_ENABLE", "Y" if zone.has_dst else "N", "timezone")
        if not zone.has_dst:
            return
        shift = zone.dst_offset - zone.utc_offset
        if not 0 <= shift <= MAX_DST_OFFSET:
            raise mapper.error("daylight saving shifts the clock by %d minutes; the phones take 0 to %d" % (shift, MAX_DST_OFFSET),
                               "timezone")
        mapper.add("DST_OFFSET", shift, "timezone")
        for prefix, rule in (("DST_START", zone.start), ("DST_STOP", zone.end)):
            if not 0 <= rule.minutes <= 1439:
                raise mapper.error("daylight-saving change at minute %d of the day; the phones take 00:00 to 23:59" % rule.minutes,
                                   "timezone")
            mapper.add(prefix + "_MONTH", rule.month, "timezone")
            mapper.add(prefix + "_ORDINAL_DAY", rule.week, "timezone")
            mapper.add(prefix + "_DAY_OF_WEEK", rule.weekday, "timezone")
            mapper.add(prefix + "_TIME", rule.minutes, "timezone")

    def _resync_params(self, mapper, settings):
        spread = settings.get("resync_spread")
        if spread is not None:
            if spread[1] > MAX_RESYNC_MINUTES:
                raise mapper.error("must stay within 1 to %d minutes (CFG_CYCLIC_INTVL), got %r" % (MAX_RESYNC_MINUTES, spread),
                                   "resync_spread")
            mapper.add("CFG_CYCLIC", "Y", "resync_spread")
            if mapper.mac is not None:
                mapper.add("CFG_CYCLIC_INTVL", _spread_minutes(mapper.mac, spread[0], spread[1]), "resync_spread", per_device=True)
            return
        interval = settings.get("resync_interval")
        if interval is not None:
            if interval > MAX_RESYNC_MINUTES:
                raise mapper.error("must be from 1 to %d minutes for Panasonic phones (CFG_CYCLIC_INTVL), got %d"
                                   % (MAX_RESYNC_MINUTES, interval), "resync_interval")
            mapper.add("CFG_CYCLIC", "Y", "resync_interval")
            mapper.add("CFG_CYCLIC_INTVL", interval, "resync_interval")

    def _line_params(self, mapper, device):
        proxy = self._outbound_proxy(mapper, device.settings.get("outbound_proxy"))
        for index, line in enumerate(device.lines):
            if _HOSTS.host(line.sip_server) is None:
                raise device.error("%s is not a host name or address" % (shown_url(line.sip_server),), field="lines[%d].sip_server" % index)
            values = (
                ("PHONE_NUMBER", line.extension, "extension", False),
                ("DISPLAY_NAME", line.display_name, "display_name", False),
                ("SIP_AUTHID", line.auth_user, "auth_user", False),
                ("SIP_PASS", line.password, "password", True),
                ("SIP_RGSTR_ADDR", line.sip_server, "sip_server", False),
                ("SIP_RGSTR_PORT", line.sip_port, "sip_port", False),
                ("SIP_PRXY_ADDR", line.sip_server, "sip_server", False),
                ("SIP_PRXY_PORT", line.sip_port, "sip_port", False),
                ("SIP_TRANSPORT", TRANSPORTS[line.transport], "transport", False),
            )
            for name, value, line_field, secret in values:
                mapper.params.append(_Param("%s_%d" % (name, index + 1), str(value), "lines[%d].%s" % (index, line_field),
                                            secret=secret, per_device=True))
            if proxy is not None:
                mapper.params.append(_Param("SIP_OUTPROXY_ADDR_%d" % (index + 1), proxy[0], "settings.outbound_proxy", per_device=True))
                if proxy[1] is not None:
                    mapper.params.append(_Param("SIP_OUTPROXY_PORT_%d" % (index + 1), proxy[1], "settings.outbound_proxy",
                                                per_device=True))
            if line.sip_server_secondary is not None:
                self._backup_params(mapper, device, index, line)

    @staticmethod
    def _backup_params(mapper, device, index, line):
        """``sip_server_secondary`` (``host[:port]``, the line's port by default) -> SIP_2NDRGSTR_* and SIP_2NDPROXY_* of the line."""
        own = line.sip_server_secondary != device.settings.get("sip_server_secondary")
        field = "lines[%d].sip_server_secondary" % index if own else "settings.sip_server_secondary"
        try:
            found = parse_host_port(line.sip_server_secondary, _HOSTS, messages={
                "host": "{value} is not host[:port]", "port": "{value} has a port out of range 1 to 65535"})
        except AddressError as exc:
            raise ProvisioningError(exc.message, device=device.label, field=field)
        port = str(found.port) if found.port is not None else str(line.sip_port)
        for name, value in (("SIP_2NDRGSTR_ADDR", found.text), ("SIP_2NDRGSTR_PORT", port),
                            ("SIP_2NDPROXY_ADDR", found.text), ("SIP_2NDPROXY_PORT", port)):
            mapper.params.append(_Param("%s_%d" % (name, index + 1), value, field, per_device=True))

    def _key_params(self, device):
        """``function_keys`` -> ``FLEX_BUTTON_FACILITY_ACT``/``_ARG``, ``FLEX_BUTTON_QUICK_DIAL``, ``FLEX_BUTTON_LABEL`` of each listed key.

        Buttons the inventory leaves out are not written (the phone keeps
        its own). A type or index the model cannot carry is not mapped here:
        the generic check refuses it, naming the model.
        """
        types, count = self.function_key_support(device)
        params = []
        for key in device.settings.get("function_keys") or ():
            if key.type not in types or key.index > count:
                continue
            argument = quick_dial = ""
            if key.type == "line":
                argument = str(key.line)
            elif key.type == "blf":
                argument = key.value
            elif key.type == "speed_dial":
                quick_dial = key.value
            for name, value, what in (("FLEX_BUTTON_FACILITY_ACT", KEY_FACILITIES[key.type], ".type"),
                                      ("FLEX_BUTTON_FACILITY_ARG", argument, ".value" if key.type == "blf" else ".line"),
                                      ("FLEX_BUTTON_QUICK_DIAL", quick_dial, ".value"),
                                      ("FLEX_BUTTON_LABEL", key.label or "", ".label")):
                params.append(_Param("%s%d" % (name, key.index), value, key.field + what, per_device=True))
        return params

    @staticmethod
    def _outbound_proxy(mapper, value):
        """``host[:port]`` -> (host, port or None)."""
        if value is None:
            return None
        try:
            found = parse_host_port(value, _HOSTS, messages={"host": "{value} is not host[:port]",
                                                             "port": "{value} has a port out of range 1 to 65535"})
        except AddressError as exc:
            raise mapper.error(exc.message, "outbound_proxy")
        return found.text, (str(found.port) if found.port is not None else None)

    def _raw_params(self, device):
        params = []
        for name in sorted(device.params, key=str):
            value = device.params[name]
            field = "params.%s" % (name,)
            if not isinstance(name, str) or not PARAM_NAME_RE.match(name):
                raise device.error("%r is not a Panasonic parameter name (upper-case letters, digits and _, like SIP_PRSNC_ADDR_1)"
                                   % (name,), field=field)
            if len(name) > MAX_NAME_CHARS:
                raise device.error("parameter names have at most %d characters, this one has %d" % (MAX_NAME_CHARS, len(name)),
                                   field=field)
            if name in MANAGED_PARAMS:
                raise device.error("%s is written by the collection: %s" % (name, MANAGED_PARAMS[name]), field=field)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                # The type only: a raw parameter may hold a password.
                raise device.error("must be a string or an integer, got %s" % (type(value).__name__,), field=field)
            params.append(_Param(name, str(value), field, per_device=True))
        return params

    def device_params(self, device):
        """Every parameter of ``device``, mapped settings first, raw params last (they win), each once."""
        # Validation, the split, the resync interval and the rendering all ask
        # (five times a device): built once, its _Params never changed.
        params = device.derived.get("panasonic-params")
        if params is None:
            mapper = _Mapper(device.label, lambda setting: "settings.%s" % setting, mac=device.mac)
            self._global_params(mapper, device.settings)
            self._line_params(mapper, device)
            mapper.params.extend(self._key_params(device))
            merged = dict((param.name, param) for param in mapper.params)
            for param in self._raw_params(device):
                merged[param.name] = param
            params = tuple(merged.values())
            device.derived["panasonic-params"] = params
        return list(params)

    def common_params(self, inventory, label=None):
        """ConfigCom.cfg: what sipfleet_defaults maps to, without secrets."""
        mapper = _Mapper(label, lambda setting: "sipfleet_defaults.%s" % setting)
        self._global_params(mapper, merge_settings(inventory.defaults))
        return [param for param in mapper.params if param.shareable]

    def product_params(self, model, inventory, label=None):
        """Config<MODEL>.cfg: what defaults -> model maps to, where it differs from ConfigCom.cfg."""
        own = inventory.models.get(model, {})

        def field_of(setting):
            return "sipfleet_models.%s.%s" % (model, setting) if setting in own else "sipfleet_defaults.%s" % setting

        mapper = _Mapper(label, field_of)
        self._global_params(mapper, inventory.model_settings(model))
        common = dict((param.name, param.value) for param in self.common_params(inventory, label))
        return [param for param in mapper.params if param.shareable and common.get(param.name) != param.value]

    def standard_params(self, device, inventory):
        """The device's part of the split: every parameter the product or master file would not give it as is."""
        cache_key = ("panasonic-effective", device.model)
        effective = inventory.derived.get(cache_key)
        if effective is None:
            effective = dict((param.name, param.value) for param in self.common_params(inventory, device.label))
            # The product file is read before the master file, so it wins.
            effective.update((param.name, param.value)
                             for param in self.product_params(device.model, inventory, device.label))
            inventory.derived[cache_key] = effective
        return [param for param in self.device_params(device)
                if not param.shareable or effective.get(param.name) != param.value]

    def _paths(self, device, base_url, encrypted):
        standard = self.encrypted_path(device) if encrypted else self.standard_path(device)
        field = "settings.provisioning_url"
        return [
            _Param("CFG_STANDARD_FILE_PATH", base_url + standard, field),
            _Param("CFG_PRODUCT_FILE_PATH", base_url + PRODUCT_FILE.format(model=device.model), field),
            _Param("CFG_MASTER_FILE_PATH", base_url + MASTER_FILE, field),
        ]

    @staticmethod
    def _base_url(url):
        return url.rstrip("/") + "/"

    # -- validation --------------------------------------------------------

    def _line_limit(self, device):
        info = self.model_info(device.model)
        if info is not None:
            return info["lines"]
        if not _UNKNOWN_MODEL_RE.match(device.model):
            raise device.error("%r does not look like a Panasonic model (KX-...); known models: %s"
                               % (device.model, ", ".join(self.known_models())), field="model")
        return UNKNOWN_MODEL_MAX_LINES

    @staticmethod
    def _check_param(label, param):
        """Raise unless ``param`` can be carried by a ``NAME="value"`` line the phone reads."""
        for char in param.value:
            if char == '"':
                raise ProvisioningError('contains a double quote ("), which the Panasonic format cannot carry: values are written as '
                                        '%s="value" with no escapes' % param.name, device=label, field=param.field)
            if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
                raise ProvisioningError("contains the control or line-break character U+%04X, which a %s=\"value\" line cannot carry"
                                        % (ord(char), param.name), device=label, field=param.field)
        if len(param.value) > MAX_VALUE_CHARS:
            raise ProvisioningError("is %d characters long; Panasonic phones take at most %d" % (len(param.value), MAX_VALUE_CHARS),
                                    device=label, field=param.field)
        size = len(param.name) + len(param.value.encode("utf-8")) + len('=""') + len(LINE_END)
        if size > MAX_LINE_BYTES:
            raise ProvisioningError("makes the line %s=\"...\" %d bytes long; Panasonic phones ignore lines over %d bytes (CR LF included)"
                                    % (param.name, size, MAX_LINE_BYTES), device=label, field=param.field)

    def _check_provisioning_url(self, device, inventory):
        url = device.settings.get("provisioning_url")
        shared = inventory.model_settings(device.model).get("provisioning_url")
        bootstrap = BOOTSTRAP_FILE.format(model=device.model)
        if shared is None:
            raise device.error("is required in sipfleet_defaults or sipfleet_models.%s: the %s bootstrap that every %s reads points "
                               "the phone at its files by this URL" % (device.model, bootstrap, device.model),
                               field="settings.provisioning_url")
        if url != shared:
            raise device.error("is %s here but %s for the model: every %s reads the same %s bootstrap, so set provisioning_url in "
                               "sipfleet_defaults or sipfleet_models, not per site or device"
                               % (shown_url(url), shown_url(shared), device.model, bootstrap),
                               field="settings.provisioning_url")
        _Mapper(device.label, lambda setting: "settings.%s" % setting).url(url, "provisioning_url", allow_query=False)

    def _check_key(self, device, key):
        if not _KEY_RE.match(key):
            raise device.error("must be %d hex digits (%d random bytes): Panasonic phones take a %d-character key"
                               % (2 * KEY_RANDOM_BYTES, KEY_RANDOM_BYTES, 2 * KEY_RANDOM_BYTES), field="keys.%s" % KEY_NAME)
        return key.lower()

    def _check_encryption(self, device):
        if not device.settings.get("encrypt_profiles") or self.can_encrypt(device):
            return
        family = re.sub(r"[0-9]+[A-Z]*$", "", device.model)
        documented = _UNPUBLISHED_ENCRYPTION.get(family)
        why = "its guides describe %s, whose algorithm is not published" % documented if documented else ""
        if device.model not in MODELS:
            why = "the collection does not know this model" + ("; the %s guides describe %s, whose algorithm is not published"
                                                               % (family, documented) if documented else "")
        raise device.error(
            "is on (the default), but the %s is not documented to read an encrypted file the collection can make (%s; "
            "only the KX-UTG family reads openssl enc files), and a phone must never be served a file it cannot read: "
            "use a KX-UTG model, or set encrypt_profiles: false with an https provisioning_url, or with "
            "allow_plain_credentials: true to serve its passwords in plain text anyway" % (device.model, why),
            field="settings.encrypt_profiles")

    def validate(self, device, inventory):
        limit = self._line_limit(device)
        if len(device.lines) > limit:
            raise device.error("the %s has %d line(s) and this device lists %d: lines[%d] and later have no line on the phone"
                               % (device.model, limit, len(device.lines), limit), field="lines[%d]" % limit)
        self._check_encryption(device)
        self._check_provisioning_url(device, inventory)
        encrypted = self._encrypted(device)
        if encrypted and device.keys.get(KEY_NAME):
            self._check_key(device, device.keys[KEY_NAME])
        own = self._own_params(device, inventory, encrypted)
        cache_key = ("panasonic-shared-sizes", device.model)
        shared_size = inventory.derived.get(cache_key)
        if shared_size is None:
            # The model's shared files are the same for all its devices:
            # checked once, errors naming the first device that uses them.
            product = self.product_params(device.model, inventory, device.label)
            common = self.common_params(inventory, device.label)
            for param in product + common:
                self._check_param(device.label, param)
            shared_size = len(_file_bytes(product)) + len(_file_bytes(common))
            inventory.derived[cache_key] = shared_size
        base_url = self._base_url(device.settings["provisioning_url"])
        paths = self._paths(device, base_url, encrypted)
        for param in paths + own:
            self._check_param(device.label, param)
        self._check_total_size(device, paths + own, shared_size, encrypted)

    def _check_total_size(self, device, own, shared_size, encrypted):
        standard = len(_file_bytes(own))
        if encrypted:
            standard = _armored_size(standard)
        total = standard + shared_size
        if total > MAX_TOTAL_BYTES:
            biggest = max(own, key=lambda param: len(param.value.encode("utf-8")))
            raise device.error("this phone's standard, product and master files total %d bytes; Panasonic phones accept at most %d "
                               "(the longest value of its own file is this field)" % (total, MAX_TOTAL_BYTES), field=biggest.field)

    # -- rendering ---------------------------------------------------------

    def _resync(self, device):
        """``(CFG_CYCLIC, CFG_CYCLIC_INTVL)`` parameters of the device's normal checks (the factory values without a setting)."""
        mapped = dict((param.name, param) for param in self.device_params(device) if param.name in _CYCLIC_PARAMS)
        field = "settings.resync_interval"
        cyclic = mapped.get("CFG_CYCLIC") or _Param("CFG_CYCLIC", FACTORY_CYCLIC, field)
        interval = mapped.get("CFG_CYCLIC_INTVL") or _Param("CFG_CYCLIC_INTVL", FACTORY_CYCLIC_INTVL, field)
        return cyclic, interval

    def _own_params(self, device, inventory, encrypted):
        """The standard file's parameters besides the paths.

        Encrypted, it always sets the normal resync parameters itself: the key
        file set a short bootstrap interval, which would otherwise stay on a
        phone whose product and master files set none.
        """
        own = self.standard_params(device, inventory)
        if not encrypted:
            return own
        restore = [_Param(param.name, param.value, param.field, per_device=True) for param in self._resync(device)]
        return [param for param in own if param.name not in _CYCLIC_PARAMS] + restore

    def render_device(self, device, inventory):
        base_url = self._base_url(device.settings["provisioning_url"])
        encrypted = self._encrypted(device)
        own = self._own_params(device, inventory, encrypted)
        if not encrypted:
            content = _file_bytes(self._paths(device, base_url, encrypted=False) + own)
            # A device's own file may carry SIP or admin passwords, or credentials in raw params.
            return [ProfileFile(self.standard_path(device), content, device=device.label, secret=True, role="profile",
                                kind="cfg")]
        key = self._check_key(device, self.require_key(device, KEY_NAME))
        digest = device.settings.get("encryption_digest") or DEFAULT_DIGEST
        plaintext = _file_bytes(self._paths(device, base_url, encrypted=True) + own)
        key_file = _file_bytes(self._key_file_params(device, base_url, key))
        profile = self.encoded_file(self.encrypted_path(device), plaintext, "enc", key, digest, device=device.label,
                                    secret=False, role="profile")
        return [
            ProfileFile(self.standard_path(device), key_file, device=device.label, secret=True, role="bootstrap",
                        kind="cfg"),
            profile,
            # Seed 004 step 3: once the key file's window has closed, the
            # plain MAC file is replaced by an encrypted version. <MODEL>.cfg
            # sends a rebooting phone to Config<MAC>.cfg; it decrypts this
            # with the key it already holds.
            ProfileFile(self.standard_path(device), profile.content, device=device.label, secret=False, plaintext=plaintext,
                        role="profile", after_window=True, kind="enc", encoding=profile.encoding, digest=digest),
        ]

    def bootstrap_interval(self, device):
        """CFG_CYCLIC_INTVL of the key file: :data:`BOOTSTRAP_RESYNC_MINUTES`, or the normal interval if that is shorter."""
        cyclic, interval = self._resync(device)
        if cyclic.value == "Y" and int(interval.value) < BOOTSTRAP_RESYNC_MINUTES:
            return int(interval.value)
        return BOOTSTRAP_RESYNC_MINUTES

    def _key_file_params(self, device, base_url, key):
        """The plain key file: the key, the paths to the encrypted file, and a short check interval; nothing secret besides the key."""
        field = "keys.%s" % KEY_NAME
        return self._paths(device, base_url, encrypted=True) + [
            _Param("CFG_FILE_KEY", key, field, secret=True),
            _Param("CFG_FILE_KEY_LENGTH", CFG_FILE_KEY_LENGTH, field),
            # The phone fetches Config<MAC>.enc only at its next cyclic
            # check: soon, so the account arrives within minutes. The
            # encrypted profile then sets the normal interval again.
            _Param("CFG_CYCLIC", "Y", field),
            _Param("CFG_CYCLIC_INTVL", str(self.bootstrap_interval(device)), field),
        ]

    def render_rotation(self, device, next_device, inventory):
        """Seed 004, key renewal: a new plain MAC file with the new key, then files encrypted with it."""
        files = self.render_device(next_device, inventory)
        for item in files:
            if item.role == "bootstrap":
                item.delivers_keys = True
        return files

    def render_shared(self, devices, inventory):
        files = []
        for model in sorted(set(device.model for device in devices)):
            base_url = self._base_url(inventory.model_settings(model)["provisioning_url"])
            field = "settings.provisioning_url"
            bootstrap = [
                _Param("CFG_STANDARD_FILE_PATH", base_url + STANDARD_FILE.format(mac="{MAC}"), field),
                _Param("CFG_PRODUCT_FILE_PATH", base_url + PRODUCT_FILE.format(model=model), field),
                _Param("CFG_MASTER_FILE_PATH", base_url + MASTER_FILE, field),
            ]
            has_credentials = bool(parse_url(base_url.rstrip("/"), _URLS).userinfo)
            files.append(ProfileFile(BOOTSTRAP_FILE.format(model=model), _file_bytes(bootstrap), secret=has_credentials, role="model",
                                     kind="cfg"))
            files.append(ProfileFile(PRODUCT_FILE.format(model=model), _file_bytes(self.product_params(model, inventory)), role="model",
                                     kind="cfg"))
        if devices:
            files.append(ProfileFile(MASTER_FILE, _file_bytes(self.common_params(inventory)), role="common", kind="cfg"))
        return files


RENDERER = PanasonicRenderer()
