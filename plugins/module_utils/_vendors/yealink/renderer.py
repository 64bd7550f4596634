# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Yealink desk phones and W-series DECT bases (``vendor: yealink``): ``key = value`` files.

Files, all relative to the provisioning root (the directory DHCP option 66
or ``static.auto_provision.server.url`` points the phone at), in the order
the phone fetches them:

``<mac>.boot`` (``00156574b150.boot``, lower-case MAC)
    firmware 81 and later asks for it first; it names, top to bottom, the
    ``.cfg`` files below, so the phone reads the collection's own files
    whatever its factory ``y000000000000.boot`` would name. Plain, no secret.
``<mac>-bootstrap.cfg`` (only for a device with ``http_credentials: true``)
    the device's HTTP user (its MAC) and password
    (``static.auto_provision.server.username`` / ``.password``): a plain key
    carrier, served with them only in the device's bootstrap window and
    with the header line alone once the window closed (the phone keeps what
    it stored). The server then gives ``<mac>.cfg`` only to a request
    carrying them (the http_server role's per-device HTTP credentials).
``y0000000000xx.cfg`` (``y000000000108.cfg`` for a T46U)
    the common file of the model's id (``models.py``), shared by every
    device of the model (and of the models sharing its id): the parameters
    ``sipfleet_defaults`` -> ``sipfleet_models`` map to. Older firmware with
    no boot file fetches it by itself, then ``<mac>.cfg``.
``<mac>.cfg``
    the device's own file: every mapped parameter with the device's own
    settings, its accounts, its admin password and its raw ``params``.

"Parameters in the new downloaded configuration files will override the
duplicate parameters in files downloaded earlier": the device's own file
comes last, so its values win over the common file's.

No file is encrypted. With ``yealink_compat_encryption: true`` the
device's own file is *obfuscated* in Yealink's compatibility mode
(AES-128-ECB with the device's 16-character key ``yealink_aes_key``) and
``<mac>_Security.enc`` (that key wrapped with the fixed key built into
every phone) is served beside it; the common file then carries
``static.auto_provision.aes_key_in_file = 1`` so that the phone asks for
it. The fixed key is public (CVE-2024-24681): anyone who can fetch both
files reads the profile, so this stops a casual reader only, and the
device's own file must still be served over HTTPS, or behind the
per-device HTTP credentials above.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    IPV6_LOOSE,
    AddressError,
    HostRules,
    UrlRules,
    parse_host_port,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import yealink_key_problem
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import standard_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, shown_url
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import NativeParam as _Param
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    MASK,
    ProfileFile,
    VendorRenderer,
    language_not_carried,
    malformed_language,
    mask_assignments,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink.description import (
    COMPAT_ENCRYPTION_SETTING,
    COMPAT_KEY_BYTES,
    COMPAT_KEY_NAME,
    DESCRIPTION,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink.formats import (
    HEADER,
    PARAM_NAME_RE,
    render_boot,
    render_config,
    value_problem,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink.models import MODELS, common_file
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink import directory as _directory

BOOT_FILE = "{mac}.boot"
BOOTSTRAP_FILE = "{mac}-bootstrap.cfg"
DEVICE_FILE = "{mac}.cfg"
#: The key of a compatibility-mode file, wrapped with Yealink's public fixed key: "<name>_Security.enc" of "<name>.cfg".
SECURITY_FILE = "{mac}_Security.enc"

#: What makes the phone fetch <name>_Security.enc for an encrypted <name>.cfg
#: and unwrap its key with the built-in one (T2/T4/T5/CP920 Admin Guide
#: p.117: 1 = RSA-mode file, else <name>.enc, else <name>_Security.enc; 0 =
#: keys configured on the phone). The guide lists it for the common file.
AES_KEY_IN_FILE = "static.auto_provision.aes_key_in_file"
#: 1 would make the phone refuse plain files, the common file included.
UPDATE_FILE_MODE = "static.auto_provision.update_file_mode"

#: The parameters that give the phone its HTTP credentials (vendor-facts-more 1.3).
PROVISIONING_USER = "static.auto_provision.server.username"
PROVISIONING_PASSWORD = "static.auto_provision.server.password"

#: account.N.sip_server.1.transport_type values (0 UDP, 1 TCP, 2 TLS).
TRANSPORTS = {"udp": "0", "tcp": "1", "tls": "2"}

#: lang.gui / lang.wui values (wazo-provd-plugins v87 common.py), by ISO 639-1 code.
LANGUAGES = {"en": "English", "fr": "French", "de": "German", "it": "Italian", "es": "Spanish"}

#: local_time.time_zone range, whole hours (FusionPBX: -11 to +12; wazo clamps to it).
MIN_UTC_HOURS = -11
MAX_UTC_HOURS = 12

#: The administrator login static.security.user_password sets ("admin:<password>").
ADMIN_USER = "admin"

#: Generic function key type -> ``linekey.K.type`` (docs/vendors/yealink.md "Function keys" gives each
#: source): 15 line, 16 BLF, 13 speed dial, 10 call park, 0 N/A in wazo-provd-plugins v87/common.py
#: and FusionPBX's Yealink key list (app/devices/device_key_edit.php); 3 transfer, 11 DTMF, 17 URL in
#: FusionPBX's list only (wazo's "recording" key is type 11 with the digits *3). Pickup is not mapped:
#: no source says what the value of Yealink's pickup keys (9, 23) holds.
KEY_TYPES = {"line": "15", "blf": "16", "speed_dial": "13", "park": "10", "transfer": "3", "dtmf": "11",
             "url": "17", "none": "0"}

#: The voice VLAN of the phone's internet port (wazo-provd-plugins v87 base.tpl and base-dect.tpl).
VLAN_ENABLE = "static.network.vlan.internet_port_enable"
VLAN_ID = "static.network.vlan.internet_port_vid"
VLAN_PRIORITY = "static.network.vlan.internet_port_priority"

#: The generic settings the family's files have no place for, with why.
NOT_CARRIED = {
    "firmware_version": "Yealink phones take the image static.firmware.url names; no parameter names a version",
    "encryption_digest": "no Yealink file is encrypted with openssl enc (compatibility mode is AES-128-ECB with a raw key)",
}

# Host names (underscores as some DNS setups use), IPv4, IPv6.
_HOSTS = HostRules(underscore=True, ipv6=IPV6_LOOSE, bare_ipv6=True)


def parse_backup_registrar(value, label, field):
    """The :class:`~._addresses.Host` of a backup registrar, ``host[:port]`` (``port`` ``None`` without one)."""
    try:
        return parse_host_port(value, _HOSTS, messages={
            "host": "{value} is not host[:port] (a host name or address, optionally with :port)",
            "port": "{value} has a port out of range 1 to 65535"})
    except AddressError as exc:
        raise ProvisioningError(exc.message, device=label, field=field)


# URLs the phones fetch from: no white space or double quote in the path.
# User information is parsed so that it can be refused by name: the phones
# take provisioning credentials in separate parameters (the bootstrap's, with
# http_credentials).
_URLS = UrlRules(("tftp", "ftp", "http", "https"), HostRules(underscore=True, ipv6=IPV6_LOOSE, bare_ipv6=False),
                 userinfo=re.compile(r"[^\s/\"@]+"), path=re.compile(r"/[^\s\"]*"))


def _spread_minutes(mac, low, high):
    """A fixed interval in [low, high] for this MAC, so a fleet does not check at one minute."""
    return low + int(mac, 16) % (high - low + 1)


def _weekday_from_monday(posix_weekday):
    """POSIX weekday (0 = Sunday) -> Yealink's (1 = Monday ... 7 = Sunday), as wazo-provd-plugins converts it."""
    return 7 if posix_weekday == 0 else posix_weekday


class YealinkRenderer(VendorRenderer):
    """``<mac>.boot``, ``y0000000000xx.cfg`` and ``<mac>.cfg`` of Yealink phones."""

    name = DESCRIPTION.name
    title = DESCRIPTION.title
    description = DESCRIPTION
    secure_transport = ("http_credentials: true (the device's own HTTP user and password, with the http_server role's "
                        "per-device HTTP credentials; docs/keys.md), or an https provisioning_url restricted to the phones' "
                        "network (Yealink's file encryption is not confidential: CVE-2024-24681)")

    # -- models ------------------------------------------------------------

    def model_info(self, model):
        return MODELS.get(model)

    def known_models(self):
        return sorted(MODELS)

    def can_encrypt(self, device):
        return False

    def key_specs(self, device):
        # The HTTP password, only for a device whose inventory opts in
        # (settings.http_credentials): a fleet that does not gets no new key.
        # Likewise the compatibility-mode key (settings.yealink_compat_encryption).
        specs = dict(self.description.http_credentials.key_specs(device.settings))
        specs.update(self._compat_key_specs(device))
        return specs

    def is_secret_param(self, name):
        return isinstance(name, str) and self.description.is_secret_param(name)

    def recognizes_text(self, text):
        return text.startswith(HEADER + "\n")

    def mask_text(self, text):
        return mask_assignments(text, self.is_secret_param)

    # -- mapping -----------------------------------------------------------

    def setting_params(self, settings, label, field_of, model, mac=None):
        """The parameters the generic settings map to; ``mac`` None for a shared file (no per-device spread)."""
        def error(message, setting):
            return ProvisioningError(message, device=label, field=field_of(setting))

        params = []

        def add(name, value, setting, secret=False):
            params.append(_Param(name, value, field_of(setting), secret=secret))

        value = settings.get("ntp_server")
        if value is not None:
            add("local_time.ntp_server1", self._host(value, label, field_of("ntp_server")), "ntp_server")
        value = settings.get("timezone")
        if value is not None:
            params.extend(self._timezone_params(value, label, field_of))
        value = settings.get("language")
        if value is not None:
            if malformed_language(value):
                raise error(malformed_language(value), "language")
            # A code without a lang.gui value is left out, of the device's file
            # and of the common file alike: settings_not_carried reports it.
            if value in LANGUAGES:
                add("lang.gui", LANGUAGES[value], "language")
                add("lang.wui", LANGUAGES[value], "language")
        value = settings.get("syslog_server")
        if value is not None:
            if MODELS[model]["dect"]:
                raise error("is not mapped for the %s: DECT bases take static.syslog.mode (one source, values unknown) "
                            "instead of the desk phones' static.syslog.enable; set it in params" % model, "syslog_server")
            add("static.syslog.enable", "1", "syslog_server")
            add("static.syslog.server", self._host(value, label, field_of("syslog_server")), "syslog_server")
        value = settings.get("provisioning_url")
        if value is not None:
            url = self._url(value, label, field_of("provisioning_url"))
            add("static.auto_provision.server.url", url.rstrip("/") + "/", "provisioning_url")
        spread = settings.get("resync_spread")
        if spread is not None:
            if mac is not None:
                add("static.auto_provision.repeat.enable", "1", "resync_spread")
                add("static.auto_provision.repeat.minutes", _spread_minutes(mac, spread[0], spread[1]), "resync_spread")
        elif settings.get("resync_interval") is not None:
            add("static.auto_provision.repeat.enable", "1", "resync_interval")
            add("static.auto_provision.repeat.minutes", settings["resync_interval"], "resync_interval")
        value = settings.get("firmware_url")
        if value is not None:
            add("static.firmware.url", self._url(value, label, field_of("firmware_url")), "firmware_url")
        value = settings.get("vlan_id")
        if value is not None:
            add(VLAN_ENABLE, "1", "vlan_id")
            add(VLAN_ID, value, "vlan_id")
        value = settings.get("vlan_priority")
        if value is not None:
            # Written with or without vlan_id: the phone keeps it for its VLAN, on or off.
            add(VLAN_PRIORITY, value, "vlan_priority")
        if settings.get("outbound_proxy") is not None:
            # Not in the facts gathered: no parameter name is written from a guess.
            raise error("is not mapped for Yealink phones (the outbound proxy parameters were not confirmed by any source); "
                        "set account.N.outbound_proxy_enable and its address in params after checking your firmware's guide",
                        "outbound_proxy")
        return params

    @staticmethod
    def _host(value, label, field):
        if _HOSTS.host(value) is None:
            raise ProvisioningError("%s is not a host name or address" % (shown_url(value),), device=label, field=field)
        return value

    @staticmethod
    def _url(value, label, field):
        wrong = "{value} is not a URL of the form scheme://host[:port][/path] with scheme tftp, ftp, http or https"
        # Raises an AddressError naming the device and the field.
        url = parse_url(value, _URLS, device=label, field=field,
                        messages={"scheme": wrong, "syntax": wrong, "port": "{value} has a port out of range 1 to 65535"})
        if url.userinfo:
            raise ProvisioningError("%s carries user:password@; Yealink phones take provisioning credentials in separate "
                                    "parameters (set http_credentials: true for per-device ones)" % shown_url(value),
                                    device=label, field=field)
        return value

    def _timezone_params(self, text, label, field_of):
        field = field_of("timezone")
        zone = parse_tz(text, device=label, field=field)

        def error(message):
            return ProvisioningError(message, device=label, field=field)

        if zone.utc_offset % 60:
            raise error("has a UTC offset of %+d minutes; local_time.time_zone takes whole hours (set local_time.time_zone_name "
                        "in params for such a zone)" % zone.utc_offset)
        hours = zone.utc_offset // 60
        if not MIN_UTC_HOURS <= hours <= MAX_UTC_HOURS:
            raise error("UTC offset %+d hours is outside local_time.time_zone's %d to %+d" % (hours, MIN_UTC_HOURS, MAX_UTC_HOURS))
        params = [_Param("local_time.time_zone", "%+d" % hours, field)]
        if not zone.has_dst:
            return params + [_Param("local_time.summer_time", "0", field)]
        rules = []
        for rule in (zone.start, zone.end):
            if rule.minutes % 60 or not 0 <= rule.minutes < 24 * 60:
                raise error("changes to or from daylight saving time at minute %d; Yealink phones take whole hours 0 to 23"
                            % rule.minutes)
            rules.append("%d/%d/%d/%d" % (rule.month, rule.week, _weekday_from_monday(rule.weekday), rule.minutes // 60))
        return params + [
            _Param("local_time.summer_time", "1", field),
            _Param("local_time.dst_time_type", "1", field),
            _Param("local_time.start_time", rules[0], field),
            _Param("local_time.end_time", rules[1], field),
            _Param("local_time.offset_time", zone.dst_offset - zone.utc_offset, field),
        ]

    def _account_params(self, device):
        params = []
        for index, line in enumerate(device.lines):
            self._host(line.sip_server, device.label, "lines[%d].sip_server" % index)
            prefix = "account.%d." % line.number
            for name, value, line_field, secret in (
                    ("enable", "1", "extension", False),
                    ("label", line.display_name, "display_name", False),
                    ("display_name", line.display_name, "display_name", False),
                    ("user_name", line.extension, "extension", False),
                    ("auth_name", line.auth_user, "auth_user", False),
                    ("password", line.password, "password", True),
                    ("sip_server.1.address", line.sip_server, "sip_server", False),
                    ("sip_server.1.port", line.sip_port, "sip_port", False),
                    ("sip_server.1.transport_type", TRANSPORTS[line.transport], "transport", False)):
                params.append(_Param(prefix + name, value, "lines[%d].%s" % (index, line_field), secret=secret))
            params += self._backup_params(device, index, line, prefix)
        return params

    def _backup_params(self, device, index, line, prefix):
        """``account.N.sip_server.2.*``: the line's backup registrar (``host[:port]``), on the primary's transport.

        The port is the value's own, else the line's ``sip_port``; the host
        is written as the value writes it (an IPv6 address's brackets kept),
        as ``sip_server`` is.
        """
        if line.sip_server_secondary is None:
            return []
        field = ("settings.sip_server_secondary" if device.settings.get("sip_server_secondary") == line.sip_server_secondary
                 else "lines[%d].sip_server_secondary" % index)
        backup = parse_backup_registrar(line.sip_server_secondary, device.label, field)
        return [_Param(prefix + "sip_server.2.address", backup.text, field),
                _Param(prefix + "sip_server.2.port", line.sip_port if backup.port is None else backup.port, field),
                _Param(prefix + "sip_server.2.transport_type", TRANSPORTS[line.transport], field)]

    # -- function keys -------------------------------------------------------

    def settings_not_carried(self, device):
        not_carried = dict(NOT_CARRIED)
        reason = language_not_carried(device.settings.get("language"), LANGUAGES, "Yealink lang.gui",
                                      "set lang.gui and lang.wui in params for another")
        if reason:
            not_carried["language"] = reason
        return not_carried

    def function_key_support(self, device):
        facts = self.model_info(device.model)
        if facts is None or not facts["keys"]:
            # CP920 and the DECT bases have no line keys (wazo-provd-plugins _NB_LINEKEY).
            return frozenset(), 0
        return frozenset(KEY_TYPES), facts["keys"]

    def _function_key_params(self, device):
        """``linekey.K.*`` of the device's function keys; keys the inventory leaves out keep the phone's own.

        Only in the device's own file: the most specific level's list
        replaces the others whole, which a common file read first would not.
        A type the model cannot carry is left to check_generic_settings,
        whose error names the model.
        """
        types, dummy = self.function_key_support(device)
        params = []
        for key in device.settings.get("function_keys") or ():
            if key.type not in types:
                continue
            prefix = "linekey.%d." % key.index
            params.append(_Param(prefix + "type", KEY_TYPES[key.type], key.field + ".type"))
            if key.type == "none":
                # N/A: the key does nothing; what the phone kept in its other fields is unused.
                continue
            params.append(_Param(prefix + "line", key.line, key.field + ".line"))
            if key.value is not None:
                params.append(_Param(prefix + "value", key.value, key.field + ".value"))
            if key.label is not None:
                params.append(_Param(prefix + "label", key.label, key.field + ".label"))
        return params

    def _raw_params(self, device, managed):
        params = []
        for name in sorted(device.params, key=str):
            value = device.params[name]
            field = "params.%s" % (name,)
            if not isinstance(name, str) or not PARAM_NAME_RE.match(name):
                raise device.error("%r is not a Yealink parameter name (dotted parts of letters, digits, _ and -, like "
                                   "features.dnd.enable)" % (name,), field=field)
            if name in managed:
                raise device.error("%s is written by the collection from %s" % (name, managed[name]), field=field)
            if not isinstance(value, str):
                # The type only: a raw parameter may hold a password.
                raise device.error("must be a string, got %s" % (type(value).__name__,), field=field)
            if value == "":
                raise device.error("is empty: what a blank value does without overwrite_mode = 1 is not documented; "
                                   "set the value you want", field=field)
            params.append(_Param(name, value, field, secret=self.is_secret_param(name)))
        return params

    def bootstrap_params(self, device):
        """The parameters of ``<mac>-bootstrap.cfg``: the HTTP user (``<mac>-<4 hex>``) and password, or none."""
        password = self.http_password(device)
        if password is None:
            return []
        field = "settings.%s" % self.description.http_credentials.setting
        return [_Param(PROVISIONING_USER, _http_credentials.user_name(device.mac, password), field),
                _Param(PROVISIONING_PASSWORD, password, "keys.%s" % self.description.http_credentials.key, secret=True)]

    def device_params(self, device):
        """Every parameter of the device's own file, in file order: settings, admin password, accounts, raw params."""
        params = self.setting_params(device.settings, device.label, lambda setting: "settings.%s" % setting, device.model,
                                     mac=device.mac)
        password = device.settings.get("admin_password")
        if password is not None:
            params.append(_Param("static.security.user_name.admin", ADMIN_USER, "settings.admin_password"))
            params.append(_Param("static.security.user_password", "%s:%s" % (ADMIN_USER, password), "settings.admin_password",
                                 secret=True))
        params += self._account_params(device)
        params += self._function_key_params(device)
        managed = dict((param.name, param.field) for param in params)
        if self.has_http_credentials(device):
            # The bootstrap sets them; a raw value in the device's file, read
            # later, would replace the credentials the server checks.
            for name in (PROVISIONING_USER, PROVISIONING_PASSWORD):
                managed[name] = "settings.%s" % self.description.http_credentials.setting
        return params + self._raw_params(device, managed)

    def common_params(self, model, inventory, label):
        """The parameters of the common file of ``model``'s id: what the model's shared settings map to, no secret."""
        def field_of(setting):
            return ("sipfleet_models.%s.%s" % (model, setting) if setting in inventory.models.get(model, {})
                    else "sipfleet_defaults.%s" % setting)
        settings = inventory.model_settings(model)
        return [param for param in self.setting_params(settings, label, field_of, model) if not param.secret]

    # -- validation --------------------------------------------------------

    @staticmethod
    def _check_param(label, param):
        problem = value_problem(param.value)
        if problem is not None:
            raise ProvisioningError(problem, device=label, field=param.field)

    def validate(self, device, inventory):
        facts = self.model_info(device.model)
        if facts is None:
            raise device.error("%s does not list model %s; known: %s" % (self.title, device.model, ", ".join(self.known_models())),
                               field="model")
        if device.settings.get("encrypt_profiles"):
            raise device.error(
                "is on (the default), but Yealink phones read no encrypted file the collection makes (their compatibility-mode "
                "encryption is not confidential: CVE-2024-24681): set encrypt_profiles: false with %s, or with "
                "allow_plain_credentials: true to serve the passwords in plain text anyway" % self.secure_transport,
                field="settings.encrypt_profiles")
        if len(device.lines) > facts["lines"]:
            raise device.error("the %s has %d SIP account(s)%s and this device lists %d: lines[%d] and later have no account"
                               % (device.model, facts["lines"], " (%s)" % facts["unsure"] if facts["unsure"] else "",
                                  len(device.lines), facts["lines"]), field="lines[%d]" % facts["lines"])
        for param in self.device_params(device):
            self._check_param(device.label, param)
        self._check_common(device, inventory)
        self._check_compat_encryption(device)

    def validate_shared(self, devices, inventory):
        # The common-file check compares models: each model's first device
        # stands for its model (the check reads only the model's settings).
        seen = set()
        for device in devices:
            if device.model not in seen:
                seen.add(device.model)
                self._check_common(device, inventory)

    def _check_common(self, device, inventory):
        """Models sharing a common id share its file: their shared settings must map to the same parameters."""
        path = common_file(device.model)
        cache_key = ("yealink-common", path)
        known = inventory.derived.get(cache_key)
        params = [(param.name, param.value) for param in self.common_params(device.model, inventory, device.label)]
        if known is None:
            for param in self.common_params(device.model, inventory, device.label):
                self._check_param(device.label, param)
            inventory.derived[cache_key] = (device.model, params)
        elif known[1] != params:
            raise device.error("the %s and the %s share the common file %s, but their sipfleet_models settings map to different "
                               "parameters there: give them the same shared settings, and device-level ones where they differ"
                               % (known[0], device.model, path), field="sipfleet_models.%s" % device.model)

    # -- rendering ---------------------------------------------------------

    def render_device(self, device, inventory):
        own = DEVICE_FILE.format(mac=device.mac)
        bootstrap = self.bootstrap_params(device)
        bootstrap_path = BOOTSTRAP_FILE.format(mac=device.mac)
        # The bootstrap first: the credentials must be set before the phone
        # asks for its own file, which needs them.
        boot = render_boot(([bootstrap_path] if bootstrap else []) + [common_file(device.model), own])
        content = render_config([(param.name, param.value) for param in self.device_params(device)]
                                + self.directory_params(device, inventory))
        files = [
            # Names the files, holds nothing secret.
            ProfileFile(BOOT_FILE.format(mac=device.mac), boot, device=device.label, role="bootstrap", kind="boot"),
        ]
        if bootstrap:
            files += [
                # The HTTP password in plain text: a key carrier, served only in the bootstrap window.
                ProfileFile(bootstrap_path, render_config([(param.name, param.value) for param in bootstrap]),
                            device=device.label, secret=True, role="bootstrap", kind="cfg"),
                # Once the window closed, the boot file still names it: the
                # header alone, which changes nothing the phone stored.
                ProfileFile(bootstrap_path, render_config([]), device=device.label, role="profile", after_window=True,
                            kind="cfg"),
            ]
        # Accounts and admin password: readable by anyone who fetches it
        # unless the server asks for the device's credentials or certificate.
        files.append(ProfileFile(own, content, device=device.label, secret=True, role="profile", kind="cfg"))
        return self._compat_encrypted(device, files)

    # -- the directory (sipfleet_directory; yealink/directory.py) --

    def directory_path(self, site):
        return standard_path(self.name, site, _directory.FILE_NAME)

    def directory_schemes(self, device):
        return _directory.SCHEMES

    def render_directory(self, entries):
        return _directory.render_directory(entries)

    def directory_settings(self, device, url):
        return _directory.directory_settings(url)

    def render_rotation(self, device, next_device, inventory):
        # The new password travels in the bootstrap (docs/keys.md).
        return self.render_credentials_rotation(device, next_device, inventory)

    def render_shared(self, devices, inventory):
        first = {}
        for device in sorted(devices, key=lambda item: (item.model, item.label)):
            first.setdefault(common_file(device.model), device)
        files = []
        for path in sorted(first):
            device = first[path]
            params = self.common_params(device.model, inventory, device.label) + self._compat_common_params(path, devices)
            files.append(ProfileFile(path, render_config([(param.name, param.value) for param in params]), role="model",
                                     kind="cfg"))
        return files

    # -- compatibility-mode obfuscation (yealink_compat_encryption) -------------
    #
    # Opt-in per device. <mac>.cfg is served AES-128-ECB encrypted with the
    # device's 16-character key and <mac>_Security.enc (that key under
    # Yealink's fixed key) beside it. The fixed key is public
    # (CVE-2024-24681): both files stay "secret" (readable by whoever fetches
    # them), so the plain-credentials check and the http_server protection
    # treat them as plain. The common file stays plain: it carries no secret
    # (a shared key would also need a model-level key the key store does not
    # have) and it is what tells the phone, before it reads <mac>.cfg, to
    # fetch the _Security.enc (static.auto_provision.aes_key_in_file = 1).

    @staticmethod
    def _compat_on(device):
        return device.settings.get(COMPAT_ENCRYPTION_SETTING) is True

    def _compat_key_specs(self, device):
        return {COMPAT_KEY_NAME: COMPAT_KEY_BYTES} if self._compat_on(device) else {}

    def _check_compat_encryption(self, device):
        """With the setting on, the parameters that make the phone read the files are the collection's."""
        if not self._compat_on(device):
            return
        for name in (AES_KEY_IN_FILE, UPDATE_FILE_MODE):
            if name in device.params:
                raise device.error("is written by the collection with settings.%s: %s = 1 in the common file, which must "
                                   "stay plain (and %s = 0, its default, so that the phone still reads plain files)"
                                   % (COMPAT_ENCRYPTION_SETTING, AES_KEY_IN_FILE, UPDATE_FILE_MODE),
                                   field="params.%s" % name)

    def _compat_key(self, device):
        """The device's 16-character key; a wrong one is an error naming ``keys.yealink_aes_key`` (never quoting it)."""
        key = self.require_key(device, COMPAT_KEY_NAME)
        problem = yealink_key_problem(key)
        if problem is not None:
            raise device.error("%s (settings.%s)" % (problem, COMPAT_ENCRYPTION_SETTING), field="keys.%s" % COMPAT_KEY_NAME)
        return key

    def _compat_encrypted(self, device, files):
        """``files`` with the device's own ``<mac>.cfg`` encrypted and its ``_Security.enc`` added, when the setting is on."""
        if not self._compat_on(device):
            return files
        own = DEVICE_FILE.format(mac=device.mac)
        key = self._compat_key(device)
        result = []
        for item in files:
            if item.path != own:
                result.append(item)
                continue
            # Still secret: the key travels beside it under a public key.
            result.append(self.encoded_file(own, item.content, "cfg_obfuscated", key, None, device=device.label,
                                            secret=True, role="profile"))
            # A profile file, not a bootstrap key carrier: the phone needs it at
            # every resync, not once.
            result.append(self.encoded_file(SECURITY_FILE.format(mac=device.mac), key.encode("ascii"), "security_enc",
                                            None, None, device=device.label, secret=True, role="profile"))
        return result

    def _compat_common_params(self, path, devices):
        """``aes_key_in_file = 1`` for the common file ``path`` when a device that reads it has the setting on."""
        if any(self._compat_on(device) for device in devices if common_file(device.model) == path):
            return [_Param(AES_KEY_IN_FILE, "1", "settings.%s" % COMPAT_ENCRYPTION_SETTING)]
        return []

    def text_view(self, kind, data):
        if kind == "security_enc":
            # The unwrapped key is shown masked, whatever it is.
            return ("# the 16-character key of the device's compatibility-mode file, wrapped with Yealink's public fixed key\n"
                    "aes_key = %s\n" % MASK)
        return super().text_view(kind, data)


RENDERER = YealinkRenderer()
