# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Poly (Polycom) SoundPoint IP, VVX and Trio phones on UC Software (``vendor: poly``).

Files, in the order a phone reads them (vendor-facts-more.md 2.1):

1. ``<mac>.cfg``: the phone looks for a master of its own first; the
   collection serves none (a non-master ``<mac>.cfg`` as master is unsure).
2. ``000000000000.cfg``, the master shared by the fleet:
   ``<APPLICATION APP_FILE_PATH="..." CONFIG_FILES="[PHONE_MAC_ADDRESS]-bootstrap.cfg, [PHONE_MAC_ADDRESS]-sipfleet.cfg, sipfleet-common.cfg" .../>``.
   The phone replaces ``[PHONE_MAC_ADDRESS]`` with its MAC (lower case, as
   wazo-provd-plugins names its files).
3. ``<mac>-bootstrap.cfg``: for a device with ``http_credentials: true``,
   its HTTP user (its MAC) and password (``device.prov.user`` /
   ``.password``), a plain key carrier served with them only in its
   bootstrap window; otherwise, and once the window closed, an empty
   ``<polycomConfig/>`` (every device has one: the shared master names it).
4. ``<mac>-sipfleet.cfg``, the device's own file (lines, passwords, raw
   ``params`` and every setting that differs from the common file), then
   ``sipfleet-common.cfg``, the fleet's ``sipfleet_defaults``. The first
   file of ``CONFIG_FILES`` that sets a parameter wins, so the device's
   files come first.

Poly's file encryption (``configFileEncrypt``) is not public: no model
reads a file the collection can encrypt (:meth:`PolyRenderer.can_encrypt`).
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    AddressError,
    HostRules,
    UrlRules,
    parse_host,
    parse_host_port,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import merge_settings
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import NativeParam as _Param
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    language_not_carried,
    malformed_language,
    mask_xml_elements,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly.formats import (
    CONFIG_ELEMENT,
    DECLARATION,
    MASTER_ELEMENT,
    PARAM_NAME_RE,
    render_xml,
    value_problem,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly import directory as _directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly.models import MODELS

MASTER_FILE = "000000000000.cfg"
BOOTSTRAP_FILE = "{mac}-bootstrap.cfg"
DEVICE_FILE = "{mac}-sipfleet.cfg"
COMMON_FILE = "sipfleet-common.cfg"
#: Per-device files first: the first file that sets a parameter wins.
CONFIG_FILES = "[PHONE_MAC_ADDRESS]-bootstrap.cfg, [PHONE_MAC_ADDRESS]-sipfleet.cfg, %s" % COMMON_FILE
#: The parameters that give the phone its HTTP credentials (vendor-facts-more 2.3).
PROVISIONING_USER = "device.prov.user"
PROVISIONING_PASSWORD = "device.prov.password"
#: APP_FILE_PATH without a firmware_url: the image beside the master (Poly's default).
DEFAULT_APP_FILE_PATH = "sip.ld"
#: Longest APP_FILE_PATH the phones read (SIP 2.x Admin Guide p.14).
MAX_APP_FILE_PATH = 255

#: The master's other attributes, empty as in Poly's own example master.
_MASTER_EMPTY = ("MISC_FILES", "LOG_FILE_DIRECTORY", "OVERRIDES_DIRECTORY", "CONTACTS_DIRECTORY")

#: generic transport -> reg.N.server.1.transport (W _SIP_TRANSPORT; Poly's words, UCS 4.1.6 addendum p.56).
TRANSPORTS = {"udp": "UDPOnly", "tcp": "TCPOnly", "tls": "TLS"}
#: ISO 639-1 -> lcl.ml.lang (wazo-provd-plugins _LOCALE, FusionPBX); others are reported as not carried.
LANGUAGES = {
    "en": "English_United_States",
    "de": "German_Germany",
    "fr": "French_France",
    "es": "Spanish_Spain",
    "it": "Italian_Italy",
    "nl": "Dutch_Netherlands",
}
#: provisioning_url scheme -> device.prov.serverType.
SERVER_TYPES = {"tftp": "TFTP", "http": "HTTP", "https": "HTTPS"}
#: prov.polling.period is in seconds; the Trio guide (p.174) gives "> 3600" (unsure whether
#: 3600 itself is taken: an hour, the shortest common setting, is accepted).
MIN_RESYNC_MINUTES = 60
MAX_RESYNC_MINUTES = 525600

#: Parameters the file flow depends on; raw params may not set them.
MANAGED_PARAMS = {
    "device.prov.serverName": "set provisioning_url instead",
    "device.prov.serverType": "set provisioning_url instead",
    "device.sec.configEncryption.key": "Poly file encryption is not supported (its format is not public)",
}

#: The generic settings the family's files have no place for, with why.
NOT_CARRIED = {
    "firmware_version": "Poly phones compare the image APP_FILE_PATH names themselves; no parameter names a version",
    "encryption_digest": "Poly file encryption is not supported (its format is not public)",
}

#: The function key types Poly phones carry: line keys (reg.N.lineKeys) and attendant resources
#: (attendant.resourceList.K.*: blf "normal", park orbit "automata"; Engineering Advisory 62475).
KEY_TYPES = frozenset(("line", "blf", "park", "none"))
#: attendant.resourceList.K.type of a monitored user and of a park orbit (EA 62475).
ATTENDANT_TYPES = {"blf": "normal", "park": "automata"}

_HOSTS = HostRules()
_HOST_PORT_MESSAGES = {"host": "{value} is not host[:port]", "port": "{value} has a port out of range 1 to 65535"}
_URLS = UrlRules(("tftp", "http", "https"), HostRules(bare_ipv6=False),
                 userinfo=re.compile(r"[^\s/@:]+(?::[^\s/@]*)?"), path=re.compile(r"/[^\s]*"), forbidden="?#")
_FIRMWARE_URLS = UrlRules(("tftp", "http", "https", "ftp"), HostRules(bare_ipv6=False),
                          userinfo=re.compile(r"[^\s/@:]+(?::[^\s/@]*)?"), path=re.compile(r"/[^\s]*"))


def _device_set(name, value, field, secret=False):
    """A ``device.*`` parameter and the ``.set`` switch it takes effect with (CX5100 guide p.46).

    The switch of a secret goes where the secret goes (the device's own
    file), never alone into the common file, where it would set the
    parameter to nothing on a device whose file does not carry it.
    """
    return [_Param(name, value, field, secret), _Param(name + ".set", "1", field, secret)]


def _spread_minutes(mac, low, high):
    """A fixed interval in [low, high] derived from the MAC, so a fleet does not poll at the same minute."""
    return low + int(mac, 16) % (high - low + 1)


class PolyRenderer(VendorRenderer):
    """``000000000000.cfg`` master, ``<mac>-sipfleet.cfg`` per device, ``sipfleet-common.cfg`` for the fleet."""

    name = DESCRIPTION.name
    title = DESCRIPTION.title
    description = DESCRIPTION
    secure_transport = ("http_credentials: true (the device's own HTTP user and password, with the http_server role's "
                        "per-device HTTP credentials; docs/keys.md), or an https provisioning_url (Poly file encryption is "
                        "not public)")

    def can_encrypt(self, device):
        # configFileEncrypt's format (IV, padding, digest) is not public.
        return False

    def model_info(self, model):
        return MODELS.get(model)

    def key_specs(self, device):
        # The HTTP password, only for a device whose inventory opts in
        # (settings.http_credentials): a fleet that does not gets no new key.
        return self.description.http_credentials.key_specs(device.settings)

    def known_models(self):
        return sorted(MODELS)

    def is_secret_param(self, name):
        return isinstance(name, str) and self.description.is_secret_param(name)

    def recognizes_text(self, text):
        return text.startswith(DECLARATION) and ("<%s" % CONFIG_ELEMENT in text or "<%s" % MASTER_ELEMENT in text)

    def mask_text(self, text):
        return mask_xml_elements(text, self.is_secret_param)

    # -- settings -> parameters ---------------------------------------------

    def settings_params(self, settings, label, field_of, mac=None):
        """The parameters of the generic settings in ``settings`` (lines aside), in a fixed order."""
        params = []

        def error(message, setting):
            return ProvisioningError(message, device=label, field=field_of(setting))

        password = settings.get("admin_password")
        if password:
            params += _device_set("device.auth.localAdminPassword", password, field_of("admin_password"), secret=True)
        ntp = settings.get("ntp_server")
        if ntp is not None:
            parse_host(ntp, _HOSTS, device=label, field=field_of("ntp_server"))
            params += [_Param("tcpIpApp.sntp.address", ntp, field_of("ntp_server")),
                       _Param("tcpIpApp.sntp.address.overrideDHCP", "1", field_of("ntp_server"))]
        if settings.get("timezone") is not None:
            params += self._timezone_params(settings["timezone"], label, field_of("timezone"))
        language = settings.get("language")
        if language is not None:
            if malformed_language(language):
                raise error(malformed_language(language), "language")
            # A code without an lcl.ml.lang value is left out, of the device's
            # file and of sipfleet-common.cfg alike: settings_not_carried reports it.
            if language in LANGUAGES:
                params.append(_Param("lcl.ml.lang", LANGUAGES[language], field_of("language")))
        syslog = settings.get("syslog_server")
        if syslog is not None:
            parse_host(syslog, _HOSTS, device=label, field=field_of("syslog_server"))
            params += _device_set("device.syslog.serverName", syslog, field_of("syslog_server"))
            # 1 = UDP (SIP 3.0.2 guide p.3-12).
            params += _device_set("device.syslog.transport", "1", field_of("syslog_server"))
        url = settings.get("provisioning_url")
        if url is not None:
            found = parse_url(url, _URLS, device=label, field=field_of("provisioning_url"))
            field = field_of("provisioning_url")
            params += _device_set("device.prov.serverType", SERVER_TYPES[found.scheme], field)
            params += _device_set("device.prov.serverName", found.after_scheme.split("@", 1)[-1].rstrip("/"), field)
            if found.userinfo:
                user, dummy, secret = found.userinfo.partition(":")
                params += _device_set("device.prov.user", user, field)
                params += _device_set("device.prov.password", secret, field, secret=True)
        params += self._resync_params(settings, label, field_of, mac)
        vlan = settings.get("vlan_id")
        if vlan is not None:
            # W base.tpl; a device.* change restarts the phone (CX5100 guide p.46).
            params += _device_set("device.net.vlanId", vlan, field_of("vlan_id"))
        priority = settings.get("vlan_priority")
        if priority is not None:
            # 802.1p user priority of RTP and of call control frames (SIP 2.2.0 guide p.A-48, both 0-7, default 5).
            params += [_Param("qos.ethernet.rtp.user_priority", priority, field_of("vlan_priority")),
                       _Param("qos.ethernet.callControl.user_priority", priority, field_of("vlan_priority"))]
        devices = [param for param in params if param.name.startswith("device.")]
        if devices:
            # device.* parameters take effect only with device.set="1" (CX5100 guide p.46).
            params.insert(0, _Param("device.set", "1", devices[0].field))
        return params

    @staticmethod
    def _resync_params(settings, label, field_of, mac):
        spread = settings.get("resync_spread")
        interval = settings.get("resync_interval")
        setting = "resync_spread" if spread is not None else "resync_interval"
        if spread is not None:
            if spread[0] < MIN_RESYNC_MINUTES or spread[1] > MAX_RESYNC_MINUTES:
                raise ProvisioningError("must stay within %d to %d minutes (prov.polling.period, at least an hour), got %r"
                                        % (MIN_RESYNC_MINUTES, MAX_RESYNC_MINUTES, spread), device=label, field=field_of(setting))
            if mac is None:
                # The interval is the device's own: only its own file carries it.
                return []
            interval = _spread_minutes(mac, spread[0], spread[1])
        if interval is None:
            return []
        if not MIN_RESYNC_MINUTES <= interval <= MAX_RESYNC_MINUTES:
            raise ProvisioningError("must be from %d to %d minutes for Poly phones (prov.polling.period, at least an hour), "
                                    "got %d" % (MIN_RESYNC_MINUTES, MAX_RESYNC_MINUTES, interval), device=label,
                                    field=field_of(setting))
        field = field_of(setting)
        # rel: every period seconds from the last check (Trio guide p.174).
        return [_Param("prov.polling.enabled", "1", field), _Param("prov.polling.mode", "rel", field),
                _Param("prov.polling.period", interval * 60, field)]

    @staticmethod
    def _timezone_params(text, label, field):
        zone = parse_tz(text, device=label, field=field)
        params = [_Param("tcpIpApp.sntp.gmtOffset", zone.utc_offset * 60, field),
                  _Param("tcpIpApp.sntp.gmtOffset.overrideDHCP", "1", field),
                  _Param("tcpIpApp.sntp.daylightSavings.enable", "1" if zone.has_dst else "0", field)]
        if not zone.has_dst:
            return params
        if zone.dst_offset - zone.utc_offset != 60:
            raise ProvisioningError("%r shifts by %d minutes in summer; Poly phones shift by one hour" % (zone.label, zone.dst_offset - zone.utc_offset),
                                    device=label, field=field)
        params.append(_Param("tcpIpApp.sntp.daylightSavings.fixedDayEnable", "0", field))
        for name, rule in (("start", zone.start), ("stop", zone.end)):
            if rule.minutes % 60 or not 0 <= rule.minutes < 24 * 60:
                raise ProvisioningError("%r changes the clock at a time that is not a whole hour of the day; Poly phones take "
                                        "an hour (0-23)" % (zone.label,), device=label, field=field)
            prefix = "tcpIpApp.sntp.daylightSavings.%s." % name
            params += [_Param(prefix + "month", rule.month, field),
                       _Param(prefix + "time", rule.minutes // 60, field),
                       # POSIX 0 = Sunday; Poly 1 = Sun ... 7 = Sat (SIP 2.2.0 Admin Guide p.A-53).
                       _Param(prefix + "dayOfWeek", rule.weekday + 1, field)]
            if rule.week == 5:
                params.append(_Param(prefix + "dayOfWeek.lastInMonth", "1", field))
            else:
                # date 1, 8, 15, 22: the first, second... such weekday on or after it (SIP 2.2.0 guide p.A-53).
                params += [_Param(prefix + "dayOfWeek.lastInMonth", "0", field),
                           _Param(prefix + "date", (rule.week - 1) * 7 + 1, field)]
        return params

    def _line_params(self, device):
        params = []
        proxy = device.settings.get("outbound_proxy")
        proxy_host = None
        if proxy is not None:
            try:
                proxy_host = parse_host_port(proxy, _HOSTS, messages=_HOST_PORT_MESSAGES)
            except AddressError as exc:
                raise device.error(exc.message, field="settings.outbound_proxy")
        for index, line in enumerate(device.lines):
            number = index + 1
            field = "lines[%d].%%s" % index
            parse_host(line.sip_server or "", _HOSTS, device=device.label, field=field % "sip_server")
            prefix = "reg.%d." % number
            params += [
                _Param(prefix + "address", line.extension, field % "extension"),
                _Param(prefix + "displayName", line.display_name, field % "display_name"),
                _Param(prefix + "label", line.display_name, field % "display_name"),
                _Param(prefix + "auth.userId", line.auth_user, field % "auth_user"),
                _Param(prefix + "auth.password", line.password, field % "password", secret=True),
                _Param(prefix + "server.1.address", line.sip_server, field % "sip_server"),
                _Param(prefix + "server.1.port", line.sip_port, field % "sip_port"),
                _Param(prefix + "server.1.transport", TRANSPORTS[line.transport], field % "transport"),
            ]
            if line.sip_server_secondary is not None:
                # Server 2 of the registration: "multiple servers ... y=1, 2, ... for fault tolerance"
                # (SIP 1.4.x guide p.122; W base.tpl), on the primary's transport, on its own
                # port (host:port) or the primary's.
                backup = ("settings.sip_server_secondary"
                          if device.settings.get("sip_server_secondary") == line.sip_server_secondary
                          else field % "sip_server_secondary")
                try:
                    backup_host = parse_host_port(line.sip_server_secondary, _HOSTS, messages=_HOST_PORT_MESSAGES)
                except AddressError as exc:
                    raise device.error(exc.message, field=backup)
                params += [_Param(prefix + "server.2.address", backup_host.text, backup),
                           _Param(prefix + "server.2.port",
                                  line.sip_port if backup_host.port is None else backup_host.port, backup),
                           _Param(prefix + "server.2.transport", TRANSPORTS[line.transport], backup)]
            if proxy_host is not None:
                params.append(_Param(prefix + "outboundProxy.address", proxy_host.text, "settings.outbound_proxy"))
                if proxy_host.port is not None:
                    params.append(_Param(prefix + "outboundProxy.port", proxy_host.port, "settings.outbound_proxy"))
        return params

    # -- function keys -------------------------------------------------------

    def settings_not_carried(self, device):
        not_carried = dict(NOT_CARRIED)
        reason = language_not_carried(device.settings.get("language"), LANGUAGES,
                                      "Poly lcl.ml.lang",
                                      "set lcl.ml.lang in params for another")
        if reason:
            not_carried["language"] = reason
        return not_carried

    def function_key_support(self, device):
        info = self.model_info(device.model)
        if info is None or not info["keys"]:
            # No source gives the keys of the SoundPoint IP 321/331/335 and the Trio.
            return frozenset(), 0
        return KEY_TYPES, info["keys"]

    def _function_key_params(self, device):
        """``reg.N.lineKeys`` and ``attendant.resourceList.K.*`` of the device's function keys.

        The phone lays out the line keys of its registrations first, in
        registration order (``reg.N.lineKeys`` each, default 1: SIP 2.2.0 and
        3.1 guides), then the attendant resources in list order. So the
        line keys must be keys 1 to L, in line order, every line with one;
        a BLF or park key at index I is resource ``K = I - L`` (L the line
        keys listed, else one per line). Only in the device's own file (the
        most specific list replaces the others whole). A type the model
        cannot carry is left to check_generic_settings, which names the model.
        """
        keys = [key for key in device.settings.get("function_keys") or () if key.type in self.function_key_support(device)[0]]
        if not keys:
            return []
        params = []
        line_keys = [key for key in keys if key.type == "line"]
        counts = {}
        for position, key in enumerate(line_keys, start=1):
            if key.index != position:
                raise device.error("Poly phones show the line keys of the registrations first (reg.N.lineKeys): the %d line "
                                   "key(s) must take keys 1 to %d, this one has index %d"
                                   % (len(line_keys), len(line_keys), key.index), field=key.field + ".index")
            if position > 1 and key.line < line_keys[position - 2].line:
                raise device.error("Poly phones show the line keys in registration order: line %d's keys come after line "
                                   "%d's" % (line_keys[position - 2].line, key.line), field=key.field + ".line")
            if key.label is not None:
                raise device.error("a Poly line key shows its registration's label (reg.N.label, the line's display_name); "
                                   "it takes no label of its own", field=key.field + ".label")
            counts.setdefault(key.line, []).append(key)
        if line_keys:
            for number in range(1, len(device.lines) + 1):
                if number not in counts:
                    raise device.error("line %d has no line key; every Poly registration has at least one "
                                       "(reg.N.lineKeys 1 to max): list one for it" % number,
                                       field=line_keys[-1].field.rsplit("[", 1)[0])
            for number in sorted(counts):
                params.append(_Param("reg.%d.lineKeys" % number, len(counts[number]), counts[number][0].field + ".line"))
        offset = len(line_keys) if line_keys else len(device.lines)
        for key in keys:
            if key.type == "line":
                continue
            if key.index <= offset:
                raise device.error("keys 1 to %d are the line keys of the device's registrations (one per line unless "
                                   "line keys are listed); a %s key takes index %d or later"
                                   % (offset, key.type, offset + 1), field=key.field + ".index")
            if key.line != 1:
                raise device.error("Poly attendant resources are not tied to a line (attendant.resourceList has no line "
                                   "field): leave line at 1", field=key.field + ".line")
            prefix = "attendant.resourceList.%d." % (key.index - offset)
            if key.type == "none":
                # A Null address clears the resource.
                params += [_Param(prefix + "address", "", key.field + ".type"), _Param(prefix + "label", "", key.field + ".type")]
                continue
            if key.value is None:
                raise device.error("a Poly park key monitors the park orbit (attendant.resourceList, type automata): "
                                   "value must name it", field=key.field + ".value")
            params.append(_Param(prefix + "address", key.value, key.field + ".value"))
            if key.label is not None:
                params.append(_Param(prefix + "label", key.label, key.field + ".label"))
            params.append(_Param(prefix + "type", ATTENDANT_TYPES[key.type], key.field + ".type"))
        return params

    def _raw_params(self, device):
        params = []
        for name in sorted(device.params, key=str):
            value = device.params[name]
            field = "params.%s" % (name,)
            if not isinstance(name, str) or not PARAM_NAME_RE.match(name):
                raise device.error("%r is not a Poly parameter name (words of letters, digits and _ joined by dots, like "
                                   "voIpProt.SIP.specialEvent.checkSync.alwaysReboot)" % (name,), field=field)
            if name in MANAGED_PARAMS:
                raise device.error("%s is written by the collection: %s" % (name, MANAGED_PARAMS[name]), field=field)
            if name in (PROVISIONING_USER, PROVISIONING_PASSWORD) and self.has_http_credentials(device):
                # The bootstrap comes first in CONFIG_FILES and wins; a raw
                # value here would only hide which credentials the server checks.
                raise device.error("%s is written by the collection from settings.%s" % (
                    name, self.description.http_credentials.setting), field=field)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                # The type only: a raw parameter may hold a password.
                raise device.error("must be a string or an integer, got %s" % (type(value).__name__,), field=field)
            params.append(_Param(name, value, field, secret=self.is_secret_param(name)))
        return params

    def common_params(self, inventory, label=None):
        """The parameters of ``sipfleet_defaults``: the common file."""
        # Asked three times a device and the same for all: built once a run.
        # An error is not kept, so every device names it as before.
        params = inventory.derived.get("poly-common-params")
        if params is None:
            settings = merge_settings(inventory.defaults)
            params = tuple(param for param in self.settings_params(settings, label,
                                                                   lambda setting: "sipfleet_defaults.%s" % setting)
                           if not param.secret)
            inventory.derived["poly-common-params"] = params
        return list(params)

    def device_params(self, device, inventory):
        """The device's own file: lines, the settings that differ from the common file, raw params; each name once."""
        common = dict((param.name, param.value) for param in self.common_params(inventory, device.label))
        merged = {}
        own = self.settings_params(device.settings, device.label, lambda setting: "settings.%s" % setting, mac=device.mac)
        for param in self._line_params(device) + own + self._function_key_params(device):
            # Secrets (and their switches) are never in the common file, so they always land here.
            if common.get(param.name) != param.value:
                merged[param.name] = param
        for param in self._raw_params(device):
            # Raw params win over mapped ones.
            merged[param.name] = param
        return list(merged.values())

    # -- validation ----------------------------------------------------------

    @staticmethod
    def _check_param(label, param):
        problem = value_problem(param.value)
        if problem:
            raise ProvisioningError("%s (%s)" % (problem, param.name), device=label, field=param.field)

    def _app_file_path(self, settings, label, field):
        url = settings.get("firmware_url")
        if url is None:
            return DEFAULT_APP_FILE_PATH
        parse_url(url, _FIRMWARE_URLS, device=label, field=field)
        if len(url) > MAX_APP_FILE_PATH:
            raise ProvisioningError("is %d characters long; APP_FILE_PATH takes at most %d" % (len(url), MAX_APP_FILE_PATH),
                                    device=label, field=field)
        return url

    def validate(self, device, inventory):
        info = self.model_info(device.model)
        if info is None:
            raise device.error("%s does not list model %s; known: %s" % (self.title, device.model, ", ".join(self.known_models())),
                               field="model")
        if device.settings.get("encrypt_profiles"):
            raise device.error("is on (the default), but Poly's file encryption is not public and the collection cannot "
                               "encrypt for the %s; a phone must never be served a file it cannot read: set encrypt_profiles: "
                               "false with %s (or allow_plain_credentials: true to serve passwords in plain text anyway)"
                               % (device.model, self.secure_transport), field="settings.encrypt_profiles")
        if len(device.lines) > info["lines"]:
            raise device.error("the %s has %d line(s) and this device lists %d: lines[%d] and later have no line on the phone"
                               % (device.model, info["lines"], len(device.lines), info["lines"]), field="lines[%d]" % info["lines"])
        if not device.settings.get("provisioning_url"):
            raise device.error("is required: it names the server and protocol the phone keeps using (device.prov.serverName)",
                               field="settings.provisioning_url")
        # One master serves every model (per-model APPLICATION_<MODEL> tokens are unsure): one firmware_url for the fleet.
        fleet = merge_settings(inventory.defaults).get("firmware_url")
        if device.settings.get("firmware_url") != fleet:
            raise device.error("differs from sipfleet_defaults.firmware_url: the one 000000000000.cfg of the fleet names the "
                               "image (APP_FILE_PATH); set it in sipfleet_defaults only", field="settings.firmware_url")
        self._app_file_path(device.settings, device.label, "settings.firmware_url")
        for param in self.device_params(device, inventory) + self.common_params(inventory, device.label):
            self._check_param(device.label, param)

    # -- rendering -----------------------------------------------------------

    def device_path(self, device):
        return DEVICE_FILE.format(mac=device.mac)

    def bootstrap_params(self, device):
        """The parameters of ``<mac>-bootstrap.cfg``: the HTTP user (``<mac>-<4 hex>``) and password with their switches, or none."""
        password = self.http_password(device)
        if password is None:
            return []
        setting = "settings.%s" % self.description.http_credentials.setting
        key = "keys.%s" % self.description.http_credentials.key
        # device.* values take effect only with device.set (CX5100 guide p.46).
        user = _http_credentials.user_name(device.mac, password)
        return ([_Param("device.set", "1", setting)] + _device_set(PROVISIONING_USER, user, setting)
                + _device_set(PROVISIONING_PASSWORD, password, key, secret=True))

    def render_device(self, device, inventory):
        params = [(param.name, param.value) for param in self.device_params(device, inventory)]
        bootstrap = self.bootstrap_params(device)
        bootstrap_path = BOOTSTRAP_FILE.format(mac=device.mac)
        empty = render_xml(CONFIG_ELEMENT, [])
        if bootstrap:
            files = [
                # The HTTP password in plain text: a key carrier, served only in the bootstrap window.
                ProfileFile(bootstrap_path, render_xml(CONFIG_ELEMENT, [(param.name, param.value) for param in bootstrap]),
                            device=device.label, secret=True, role="bootstrap", kind="xml"),
                # The master names it for every device: once the window closed, an empty file.
                ProfileFile(bootstrap_path, empty, device=device.label, role="profile", after_window=True, kind="xml"),
            ]
        else:
            files = [ProfileFile(bootstrap_path, empty, device=device.label, role="profile", kind="xml")]
        # Accounts and passwords: readable by anyone who fetches it unless the
        # server asks for the device's credentials.
        files.append(ProfileFile(self.device_path(device), render_xml(CONFIG_ELEMENT, params), device=device.label,
                                 secret=True, role="profile", kind="xml"))
        return files

    def render_rotation(self, device, next_device, inventory):
        # The new password travels in the bootstrap (docs/keys.md).
        return self.render_credentials_rotation(device, next_device, inventory)

    # -- the directory (sipfleet_directory; poly/directory.py) --

    #: One master (CONTACTS_DIRECTORY) for the fleet: one directory for the fleet.
    directory_per_site = False
    directory_hint = " (000000000000-directory.xml beside the shared master)"

    def directory_path(self, site):
        return _directory.FILE_NAME

    def render_directory(self, entries):
        return _directory.render_directory(entries)

    def directory_entries(self, entries):
        return _directory.phonebook_entries(entries)

    def render_shared(self, devices, inventory):
        if not devices:
            return []
        settings = merge_settings(inventory.defaults)
        master = [("APP_FILE_PATH", self._app_file_path(settings, None, "sipfleet_defaults.firmware_url")),
                  ("CONFIG_FILES", CONFIG_FILES)] + [(name, "") for name in _MASTER_EMPTY]
        common = [(param.name, param.value) for param in self.common_params(inventory)]
        firmware_url = settings.get("firmware_url")
        # APP_FILE_PATH may carry the firmware server's user and password.
        has_credentials = bool(firmware_url and parse_url(firmware_url, _FIRMWARE_URLS).userinfo)
        return [
            ProfileFile(MASTER_FILE, render_xml(MASTER_ELEMENT, master), secret=has_credentials, role="common", kind="xml"),
            ProfileFile(COMMON_FILE, render_xml(CONFIG_ELEMENT, common), role="common", kind="xml"),
        ]


RENDERER = PolyRenderer()
