# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fanvil X-series and H-series desk phones (``vendor: fanvil``): one XML file per device.

Files, relative to the provisioning root (vendor-facts-more.md 4.1):

``<mac>-bootstrap.cfg`` (only for a device with ``http_credentials: true``)
    the device's HTTP user and password (``Download_Username`` /
    ``Download_Password``) and ``Config_File_Name`` = ``$mac.cfg``: a plain
    key carrier, served with them only in the device's bootstrap window, and
    with ``Config_File_Name`` alone once the window closed (the phone keeps
    the credentials it stored). The phone reads it first only when its DHCP
    option or its own ``Config_File_Name`` names ``$mac-bootstrap.cfg``.
``<mac>.cfg`` (``0c383e07e16c.cfg``, lower-case MAC)
    the device's own file, complete by itself: every mapped setting, its
    accounts, its admin password and its raw ``params``, in the XML form
    of its model or of ``fanvil_config_format``.

``f0X4hw1.100.cfg``, ``F0V00X600000.cfg``... (a model file, shared)
    only for the models whose file name a source gives (``models.py``: no
    naming rule is known), and holding one parameter, the name of the
    device's own file (``Config_File_Name`` / ``FlashFileName`` =
    ``$mac.cfg``), which every device file writes too, in the form of the
    model's devices (the model's ``fanvil_config_format``). Neither the
    order in which a phone reads the model file and its own nor which wins
    is known,
    so the model file says nothing a device file could contradict, and the
    device's file carries everything.

Fanvil's file encryption (``Config_File_Key``) is not public: no model
reads a file the collection can encrypt; per-device HTTP credentials
protect the account file.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    IPV6_LOOSE,
    HostRules,
    UrlRules,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, shown_url
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import NativeParam as _Param
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    language_not_carried,
    malformed_language,
    mask_xml_elements,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil.description import (
    DESCRIPTION,
    FORMAT_SETTING,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil.formats import (
    DECLARATION,
    FORMS,
    SYSCONF,
    VOIP_CONFIG_FILE,
    build,
    canonical_key,
    path_problem,
    render,
    unpadded_path,
    value_problem,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil.models import (
    MODELS,
    NUMERIC_LANGUAGES,
    SYSCONF_LANGUAGES,
)

DEVICE_FILE = "{mac}.cfg"
#: ``{parameter path: folded path}`` (FanvilRenderer._fold): the collection's own paths, a few hundred, folded once.
_FOLDED = {}
_FOLDED_SIZE = 4096
BOOTSTRAP_FILE = "{mac}-bootstrap.cfg"
#: What the phone asks for next: it expands $mac itself (wazo-provd-plugins model.tpl:8, base-new.tpl:16).
CONFIG_FILE_NAME = "$mac.cfg"

#: The form-A module of the provisioning parameters.
_AUTOUPDATE = "AUTOUPDATE_CONFIG_MODULE"
#: The parameters of the HTTP-credentials bootstrap (form A; vendor-facts-more 4.3, code 2x).
PROVISIONING_USER = _AUTOUPDATE + ".Download_Username"
PROVISIONING_PASSWORD = _AUTOUPDATE + ".Download_Password"
BOOTSTRAP_FILE_NAME = _AUTOUPDATE + ".Config_File_Name"

#: Transport codes both sources agree on; TLS is 3 in wazo-provd-plugins and 2 in FusionPBX (unsure): not mapped.
TRANSPORTS = {"udp": "0", "tcp": "1"}

#: Per form: where each mapped parameter goes (vendor-facts-more 4.3).
PATHS = {
    VOIP_CONFIG_FILE: {
        "line": "SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP%d].",
        "line_fields": ("Phone_Number", "Display_Name", "Register_Addr", "Register_Port", "Register_User", "Register_Pswd",
                        "Enable_Reg", "Transport"),
        "admin": "MMI_CONFIG_MODULE.MMI_Account.MMI_Account_Entry[Account1].",
        "ntp": ("GLOBAL_CONFIG_MODULE.SNTP_Server", "GLOBAL_CONFIG_MODULE.Enable_SNTP"),
        "timezone": ("GLOBAL_CONFIG_MODULE.Time_Zone", "GLOBAL_CONFIG_MODULE.Time_Zone_Name", "GLOBAL_CONFIG_MODULE.Enable_DST"),
        "language": "GLOBAL_CONFIG_MODULE.Language",
        "syslog": ("AAA_CONFIG_MODULE.Enable_Syslog", "AAA_CONFIG_MODULE.Syslog_address"),
        "provisioning": (_AUTOUPDATE + ".Download_Server_IP", _AUTOUPDATE + ".Config_File_Name"),
        "firmware": _AUTOUPDATE + ".Auto_Image_URL",
        "backup": ("Backup_Addr", "Backup_Port", "Backup_Transpo"),
        "vlan": ("QOS_CONFIG_MODULE.Enable_VLAN", "QOS_CONFIG_MODULE.VLAN_ID", "QOS_CONFIG_MODULE.Signalling_Priority",
                 "QOS_CONFIG_MODULE.Voice_Priority"),
    },
    SYSCONF: {
        "line": "sip.line[%d].",
        "line_fields": ("PhoneNumber", "DisplayName", "RegisterAddr", "RegisterPort", "RegisterUser", "RegisterPswd",
                        "EnableReg", "Transport"),
        "admin": "web.account[1].",
        "ntp": ("phone.date.SNTPServer", "phone.date.EnableSNTP"),
        "timezone": ("phone.date.TimeZone", "phone.date.TimeZoneName", "phone.date.EnableDST"),
        "language": "phone.display.DefaultLanguage",
        "syslog": (None, "log.SyslogServer"),
        "provisioning": ("ap.FlashServerIP", "ap.FlashFileName"),
        "firmware": None,
        "backup": ("BackupAddr", "BackupPort", "BackupTransport"),
        "vlan": ("qos.EnableVLAN", "qos.VLANID", "qos.SignallingPriority", "qos.VoicePriority"),
    },
}

#: Generic function key type -> (Type, Value) of a Fanvil function key (vendor-facts-more 4.3; wazo-provd-plugins
#: wazo_fanvil common.py _format_fkey: Type 1, a memory key, with <number>@<line>/f for a speed dial and
#: <number>@<line>/ba for a BLF; Type 2 a line key whose value names the account, SIP<n>, as W's <sysConf> template
#: writes the keys of its lines; Type 0 an unused key). Park is not mapped: W writes <number>@<line>/c with the line
#: key's Type 2, which no second source confirms; pickup, transfer, DTMF and URL keys are in no source.
KEY_TYPES = {"line": ("2", "SIP{line}"), "blf": ("1", "{value}@{line}/ba"), "speed_dial": ("1", "{value}@{line}/f"),
             "none": ("0", "")}
#: Where a key goes: form A's Function_Key_Entry (W base.tpl, FusionPBX); form B's keys beside the display
#: (<dssSide index="1"><Fkey index="n">) and then the paged ones (<internal index="page"><Fkey index="n">,
#: FuncKeyPageNum pages), as W's base-new.tpl writes them.
KEY_ENTRY = "PHONE_CONFIG_MODULE.Function_Key.Function_Key_Entry[Fkey%d]."
KEY_TOP = "dsskey.dssSide[1].Fkey[%d]."
KEY_PAGED = "dsskey.internal[%d].Fkey[%d]."
KEY_PAGES = "dsskey.FuncKeyPageNum"
#: What wazo-provd-plugins keeps of a key's title (it strips the rest, common.py): letters, digits, _ and spaces.
TITLE_RE = re.compile(r"^[\w ]+\Z")
#: What a BLF or speed dial's number may hold: its value is <number>@<line>/<kind>.
KEY_NUMBER_RE = re.compile(r"^[^@/]+\Z")

#: The generic settings the family's files have no place for, with why.
NOT_CARRIED = {
    "resync_interval": "the periodic check's mode and interval codes (Download_Mode / Download_Interval, FlashMode / "
                       "FlashInterval) and their unit are in no source: the phone keeps its own; set them in params",
    "resync_spread": "the periodic check's mode and interval codes (Download_Mode / Download_Interval, FlashMode / "
                     "FlashInterval) and their unit are in no source: the phone keeps its own; set them in params",
    "firmware_version": "Fanvil phones take the image a URL names; no parameter names a version",
    "encryption_digest": "Fanvil's file encryption is not public: no file is encrypted",
    "outbound_proxy": "whether Proxy_Addr is an outbound proxy or the SIP proxy is in no source; set the line's "
                      "Proxy_Addr / Proxy_Port (ProxyAddr / ProxyPort) in params",
}
#: A <sysConf> file's firmware: reported as not carried.
SYSCONF_FIRMWARE_NOT_CARRIED = ("the sources name fwCheck.UpgradeServer1 for a <sysConf> file, but not whether it takes "
                                "an image URL or a server; set fwCheck.* in params")

#: The admin login (Level 10 = administrator; wazo-provd-plugins base.tpl / base-new.tpl).
ADMIN_USER = "admin"
ADMIN_LEVEL = "10"

#: Whole-hour UTC offsets and their Time_Zone_Name, as wazo-provd-plugins writes them (serie_x/entry.py _TZ_INFO):
#: Time_Zone is the offset in quarter hours.
MIN_UTC_HOURS = -12
MAX_UTC_HOURS = 12


#: The version element of a <VOIP_CONFIG_FILE> file (wazo-provd-plugins and FusionPBX agree).
VOIP_CONFIG_FILE_VERSION = "2.0002"


def version_of(model, form):
    """The version element's value of ``model``'s files of ``form``: a <sysConf> version is the model's."""
    return MODELS[model]["version"] if form == SYSCONF else VOIP_CONFIG_FILE_VERSION


def time_zone_name(hours):
    """wazo-provd-plugins' name of a whole-hour offset: UTC-05, UCT, UTC+1."""
    if hours == 0:
        return "UCT"
    return "UTC-%02d" % -hours if hours < 0 else "UTC+%d" % hours


#: Raw parameters the collection writes itself or never writes.
MANAGED_LEAVES = {
    "Config_File_Key": "Fanvil file encryption is not public: the collection never writes a file key",
    "Common_Cfg_File_Key": "Fanvil file encryption is not public: the collection never writes a file key",
}

_HOSTS = HostRules(underscore=True, ipv6=IPV6_LOOSE, bare_ipv6=True)
# User information is parsed so that it can be refused by name: the phones
# take provisioning credentials in separate parameters.
_URLS = UrlRules(("tftp", "ftp", "http", "https"), HostRules(underscore=True, ipv6=IPV6_LOOSE, bare_ipv6=False),
                 userinfo=re.compile(r"[^\s/\"@]+"), path=re.compile(r"/[^\s\"<>&]*"))


class FanvilRenderer(VendorRenderer):
    """``<mac>.cfg`` (and ``<mac>-bootstrap.cfg``) of Fanvil phones, in ``<VOIP_CONFIG_FILE>`` or ``<sysConf>`` XML."""

    name = DESCRIPTION.name
    title = DESCRIPTION.title
    description = DESCRIPTION
    #: sipfleet_directory: no phonebook file (docs/vendors/fanvil.md, Directory).
    directory_hint = (" (Xml_PhoneBook_Entry and xmlContact name the URL of an XML phonebook whose format no Fanvil document "
                      "read describes; point the phones at a phonebook you serve with params)")
    secure_transport = ("http_credentials: true (the device's own HTTP user and password, with the http_server role's "
                        "per-device HTTP credentials; docs/keys.md), or an https provisioning_url (Fanvil file encryption is "
                        "not public)")

    def model_info(self, model):
        return MODELS.get(model)

    def known_models(self):
        return sorted(MODELS)

    def can_encrypt(self, device):
        # Config_File_Key's algorithm is not public.
        return False

    def key_specs(self, device):
        # The HTTP password, only for a device whose inventory opts in.
        return self.description.http_credentials.key_specs(device.settings)

    def is_secret_param(self, name):
        if not isinstance(name, str):
            return False
        leaf = name.rsplit(".", 1)[-1]
        return self.description.is_secret_param(name) or self.description.is_secret_param(leaf)

    def recognizes_text(self, text):
        return text.startswith(DECLARATION + "\n") and any(
            text.startswith("%s\n<%s>\n" % (DECLARATION, root)) for root, dummy, dummy2 in FORMS.values())

    def mask_text(self, text):
        return mask_xml_elements(text, self.is_secret_param)

    # -- the form ----------------------------------------------------------

    @staticmethod
    def form(device):
        """``voip_config_file`` or ``sysconf``: the setting's, or the model's."""
        chosen = device.settings.get(FORMAT_SETTING) or "model"
        return MODELS[device.model]["format"] if chosen == "model" else chosen

    @staticmethod
    def model_form(model, inventory):
        """The form of ``model``'s model file: the ``fanvil_config_format`` of sipfleet_defaults -> sipfleet_models, or the model's.

        One model file serves every device of the model, so a device whose own
        setting (site or device level) gives another form is refused by
        :meth:`validate`.
        """
        chosen = inventory.model_settings(model).get(FORMAT_SETTING) or "model"
        return MODELS[model]["format"] if chosen == "model" else chosen

    # -- mapping -----------------------------------------------------------

    def setting_params(self, device, form):
        """The parameters the generic settings map to, in file order."""
        settings = device.settings
        paths = PATHS[form]
        params = []

        def field(setting):
            return "settings.%s" % setting

        def add(path, value, setting, secret=False):
            params.append(_Param(path, value, field(setting), secret=secret))

        value = settings.get("provisioning_url")
        if value is not None:
            self._url(value, device.label, field("provisioning_url"))
            add(paths["provisioning"][0], value, "provisioning_url")
            add(paths["provisioning"][1], CONFIG_FILE_NAME, "provisioning_url")
        # resync_interval and resync_spread: settings_not_carried reports them.
        value = settings.get("firmware_url")
        if value is not None and paths["firmware"] is not None:
            # A <sysConf> file has none: settings_not_carried reports it.
            self._url(value, device.label, field("firmware_url"))
            add(paths["firmware"], value, "firmware_url")
        value = settings.get("ntp_server")
        if value is not None:
            add(paths["ntp"][0], self._host(value, device.label, field("ntp_server")), "ntp_server")
            add(paths["ntp"][1], "1", "ntp_server")
        value = settings.get("timezone")
        if value is not None:
            params.extend(self._timezone_params(value, device, paths["timezone"]))
        value = settings.get("language")
        if value is not None and self._language(value, device, form) is not None:
            add(paths["language"], self._language(value, device, form), "language")
        value = settings.get("syslog_server")
        if value is not None:
            if paths["syslog"][0] is not None:
                add(paths["syslog"][0], "1", "syslog_server")
            add(paths["syslog"][1], self._host(value, device.label, field("syslog_server")), "syslog_server")
        value = settings.get("vlan_id")
        if value is not None:
            add(paths["vlan"][0], "1", "vlan_id")
            add(paths["vlan"][1], value, "vlan_id")
        value = settings.get("vlan_priority")
        if value is not None:
            # Signalling and voice alike, as wazo-provd-plugins writes them; kept by the phone for its VLAN, on or off.
            add(paths["vlan"][2], value, "vlan_priority")
            add(paths["vlan"][3], value, "vlan_priority")
        password = settings.get("admin_password")
        if password is not None:
            add(paths["admin"] + "Name", ADMIN_USER, "admin_password")
            add(paths["admin"] + "Password", password, "admin_password", secret=True)
            add(paths["admin"] + "Level", ADMIN_LEVEL, "admin_password")
        return params

    @staticmethod
    def _language(value, device, form):
        """The ``language`` parameter's value in ``form``, or ``None`` where it has none (settings_not_carried reports it)."""
        problem = malformed_language(value)
        if problem:
            raise device.error(problem, field="settings.language")
        if form == SYSCONF:
            return value if value in SYSCONF_LANGUAGES else None
        return (NUMERIC_LANGUAGES.get(MODELS[device.model]["language"]) or {}).get(value)

    def _language_not_carried(self, device):
        """Why the device's ``language`` reaches none of its files, or ``None``."""
        value = device.settings.get("language")
        if self.form(device) == SYSCONF:
            return language_not_carried(value, SYSCONF_LANGUAGES, "DefaultLanguage",
                                        "set phone.display.DefaultLanguage in params for another")
        table = NUMERIC_LANGUAGES.get(MODELS[device.model]["language"])
        if table is not None:
            return language_not_carried(value, table, "numeric Language", "set GLOBAL_CONFIG_MODULE.Language in params")
        if value is None or malformed_language(value):
            return None
        return ("the sources give no numeric Language code for the %s in a <VOIP_CONFIG_FILE> file (the X-series "
                "table only; set GLOBAL_CONFIG_MODULE.Language in params)" % device.model)

    @staticmethod
    def _host(value, label, field):
        if _HOSTS.host(value) is None:
            raise ProvisioningError("%s is not a host name or address" % (shown_url(value),), device=label, field=field)
        return value

    @staticmethod
    def _url(value, label, field):
        wrong = "{value} is not a URL of the form scheme://host[:port][/path] with scheme tftp, ftp, http or https"
        url = parse_url(value, _URLS, device=label, field=field,
                        messages={"scheme": wrong, "syntax": wrong, "port": "{value} has a port out of range 1 to 65535"})
        if url.userinfo:
            raise ProvisioningError("%s carries user:password@; Fanvil phones take provisioning credentials in separate "
                                    "parameters (set http_credentials: true for per-device ones)" % shown_url(value),
                                    device=label, field=field)
        return value

    @staticmethod
    def _timezone_params(text, device, paths):
        field = "settings.timezone"
        zone = parse_tz(text, device=device.label, field=field)
        if zone.has_dst:
            # Enable_DST 2 (a rule) is in one source, the weekday numbering
            # in none, and the last-week code is -1 or 5 (unsure).
            raise device.error("%r has daylight saving time; the Fanvil DST codes are unsure in the sources (Enable_DST, "
                               "the weekday numbering, last week -1 or 5): use a zone without DST here and set Enable_DST "
                               "and DST_* (EnableDST, DST*) in params after checking your firmware" % (zone.label,), field=field)
        if zone.utc_offset % 60:
            raise device.error("has a UTC offset of %+d minutes; the sources give the Time_Zone_Name of whole hours only "
                               "(set Time_Zone and Time_Zone_Name in params)" % zone.utc_offset, field=field)
        hours = zone.utc_offset // 60
        if not MIN_UTC_HOURS <= hours <= MAX_UTC_HOURS:
            raise device.error("UTC offset %+d hours is outside %d to %+d" % (hours, MIN_UTC_HOURS, MAX_UTC_HOURS),
                               field=field)
        return [_Param(paths[0], hours * 4, field), _Param(paths[1], time_zone_name(hours), field),
                _Param(paths[2], "0", field)]

    def _line_params(self, device, form):
        paths = PATHS[form]
        params = []
        for index, line in enumerate(device.lines):
            field = "lines[%d].%%s" % index
            self._host(line.sip_server or "", device.label, field % "sip_server")
            if line.transport not in TRANSPORTS:
                raise device.error("%s is not mapped for Fanvil phones: its code is 3 in wazo-provd-plugins and 2 in "
                                   "FusionPBX (unsure); set the line's Transport in params after checking your firmware"
                                   % line.transport, field=field % "transport")
            prefix = paths["line"] % line.number
            values = (line.extension, line.display_name, line.sip_server, line.sip_port, line.auth_user, line.password,
                      "1", TRANSPORTS[line.transport])
            sources = ("extension", "display_name", "sip_server", "sip_port", "auth_user", "password", "extension",
                       "transport")
            for name, value, source in zip(paths["line_fields"], values, sources):
                params.append(_Param(prefix + name, value, field % source, secret=source == "password"))
            if line.sip_server_secondary is not None:
                # The line's backup registrar, on the primary's port and transport (W base.tpl, base-new.tpl).
                backup = ("settings.sip_server_secondary"
                          if device.settings.get("sip_server_secondary") == line.sip_server_secondary
                          else field % "sip_server_secondary")
                self._host(line.sip_server_secondary, device.label, backup)
                for name, value in zip(paths["backup"], (line.sip_server_secondary, line.sip_port,
                                                         TRANSPORTS[line.transport])):
                    params.append(_Param(prefix + name, value, backup))
        return params

    # -- function keys -----------------------------------------------------

    def settings_not_carried(self, device):
        result = dict(NOT_CARRIED)
        if device is not None and device.model in MODELS and PATHS[self.form(device)]["firmware"] is None:
            result["firmware_url"] = SYSCONF_FIRMWARE_NOT_CARRIED
        if device is not None and device.model in MODELS and self._language_not_carried(device):
            result["language"] = self._language_not_carried(device)
        return result

    def function_key_support(self, device):
        facts = self.model_info(device.model)
        if facts is None:
            return frozenset(), 0
        if self.form(device) == VOIP_CONFIG_FILE:
            # Function_Key_Entry[FkeyN]: no source gives a model's count.
            return frozenset(KEY_TYPES), None
        if facts["top_keys"] is None or facts["keys"] is None:
            # No source gives where a <sysConf> file of this model puts its keys.
            return frozenset(), 0
        return frozenset(KEY_TYPES), None

    def _key_prefix(self, device, index, form):
        """The path prefix of key ``index`` (1-based) in a file of ``form``, and its page of paged keys (or ``None``)."""
        if form == VOIP_CONFIG_FILE:
            return KEY_ENTRY % index, None
        facts = MODELS[device.model]
        if index <= facts["top_keys"]:
            return KEY_TOP % index, None
        position = index - facts["top_keys"] - 1
        page = position // facts["keys"] + 1
        return KEY_PAGED % (page, position % facts["keys"] + 1), page

    def _function_key_params(self, device, form):
        """The device's function keys; keys the inventory leaves out keep the phone's own.

        A type the model cannot carry is left to check_generic_settings,
        whose error names the model.
        """
        types, dummy = self.function_key_support(device)
        params = []
        pages = 0
        first_paged = None
        for key in device.settings.get("function_keys") or ():
            if key.type not in types:
                continue
            code, template = KEY_TYPES[key.type]
            if key.value is not None and not KEY_NUMBER_RE.match(key.value):
                raise device.error("holds @ or /, which a Fanvil key's value <number>@<line>/%s cannot carry"
                                   % template.rsplit("/", 1)[-1], field=key.field + ".value")
            if key.label is not None and not TITLE_RE.match(key.label):
                raise device.error("may hold letters, digits, _ and spaces only: wazo-provd-plugins strips any other "
                                   "character from a Fanvil key's title", field=key.field + ".label")
            prefix, page = self._key_prefix(device, key.index, form)
            if page is not None and first_paged is None:
                first_paged = len(params)
            pages = max(pages, page or 0)
            params += [_Param(prefix + "Type", code, key.field + ".type"),
                       _Param(prefix + "Value", template.format(value=key.value, line=key.line), key.field + ".value"),
                       _Param(prefix + "Title", key.label or "", key.field + ".label")]
        if pages:
            # Before the pages, as wazo-provd-plugins writes it.
            params.insert(first_paged, _Param(KEY_PAGES, pages, "settings.function_keys"))
        return params

    @staticmethod
    def _fold(path):
        """``path`` with every entry key in :func:`formats.canonical_key` form: one value for every spelling of a parameter."""
        folded = _FOLDED.get(path)
        if folded is None:
            folded = FanvilRenderer._fold_path(path)
            if len(_FOLDED) < _FOLDED_SIZE:
                _FOLDED[path] = folded
        return folded

    @staticmethod
    def _fold_path(path):
        return ".".join(re.sub(r"\[([A-Za-z0-9_]+)\]\Z", lambda match: "[%s]" % canonical_key(match.group(1)), segment)
                        for segment in path.split("."))

    def _raw_params(self, device, form, managed):
        params = []
        # Only a device with raw params needs the managed names folded (most have none).
        folded = dict((self._fold(name), name) for name in managed) if device.params else {}
        for name in sorted(device.params, key=str):
            value = device.params[name]
            field = "params.%s" % (name,)
            problem = path_problem(name, form)
            if problem:
                fixed = unpadded_path(name) if isinstance(name, str) else name
                hint = "write %s" % fixed if fixed != name else "like %s" % (
                    "SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].DTMF_Mode" if form == VOIP_CONFIG_FILE
                    else "sip.line[1].DTMFMode")
                raise device.error("%r %s, %s" % (name, problem, hint), field=field)
            leaf = name.rsplit(".", 1)[-1]
            if leaf in MANAGED_LEAVES:
                raise device.error("%s: %s" % (name, MANAGED_LEAVES[leaf]), field=field)
            if name in managed:
                raise device.error("%s is written by the collection from %s" % (name, managed[name]), field=field)
            spelled = folded.get(self._fold(name))
            if spelled is not None:
                # SIP_Line_List_Entry[sip1]: the phone would read a second entry beside SIP1.
                raise device.error("%s is written by the collection from %s, spelled %s" % (name, managed[spelled], spelled),
                                   field=field)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                # The type only: a raw parameter may hold a password.
                raise device.error("must be a string or an integer, got %s" % (type(value).__name__,), field=field)
            params.append(_Param(name, value, field, secret=self.is_secret_param(name)))
        return params

    def device_params(self, device):
        """Every parameter of the device's own file, in file order: settings, accounts, raw params."""
        # Validation and rendering both ask: built once a run, from the
        # device's settings, lines and params (never its keys).
        params = device.derived.get("fanvil-params")
        if params is None:
            params = device.derived["fanvil-params"] = tuple(self._device_params(device))
        return list(params)

    def _device_params(self, device):
        form = self.form(device)
        params = self.setting_params(device, form) + self._line_params(device, form) + self._function_key_params(device, form)
        managed = dict((param.name, param.field) for param in params)
        if form == VOIP_CONFIG_FILE and self.has_http_credentials(device):
            # The bootstrap sets them; a raw value here would replace the credentials the server checks.
            for name in (PROVISIONING_USER, PROVISIONING_PASSWORD):
                managed[name] = "settings.%s" % self.description.http_credentials.setting
        return params + self._raw_params(device, form, managed)

    def bootstrap_params(self, device):
        """``<mac>-bootstrap.cfg``'s parameters: the HTTP user (``<mac>-<4 hex>``) and password and the file to read next, or none."""
        password = self.http_password(device)
        if password is None:
            return []
        setting = "settings.%s" % self.description.http_credentials.setting
        return [_Param(PROVISIONING_USER, _http_credentials.user_name(device.mac, password), setting),
                _Param(PROVISIONING_PASSWORD, password, "keys.%s" % self.description.http_credentials.key, secret=True),
                _Param(BOOTSTRAP_FILE_NAME, CONFIG_FILE_NAME, setting)]

    # -- validation --------------------------------------------------------

    def validate(self, device, inventory):
        facts = self.model_info(device.model)
        if facts is None:
            raise device.error("%s does not list model %s; known: %s" % (self.title, device.model, ", ".join(self.known_models())),
                               field="model")
        if device.settings.get("encrypt_profiles"):
            raise device.error(
                "is on (the default), but Fanvil's file encryption (Config_File_Key) is not public and the collection "
                "cannot encrypt for the %s: set encrypt_profiles: false with %s (or allow_plain_credentials: true to serve "
                "the passwords in plain text anyway)" % (device.model, self.secure_transport),
                field="settings.encrypt_profiles")
        if len(device.lines) > facts["lines"]:
            raise device.error("the %s has %d SIP account(s)%s and this device lists %d: lines[%d] and later have no account"
                               % (device.model, facts["lines"], " (%s)" % facts["unsure"] if facts["unsure"] else "",
                                  len(device.lines), facts["lines"]), field="lines[%d]" % facts["lines"])
        form = self.form(device)
        common_file = facts["common_file"]
        shared_form = self.model_form(device.model, inventory)
        if common_file is not None and form != shared_form:
            raise device.error(
                "gives the %s form, but the model's setting (sipfleet_defaults -> sipfleet_models.%s) gives %s: the model "
                "file %s is one file for every %s, written in the model's form; set %s in sipfleet_defaults or "
                "sipfleet_models.%s only"
                % (form, device.model, shared_form, common_file, device.model, FORMAT_SETTING, device.model),
                field="settings.%s" % FORMAT_SETTING)
        if self.has_http_credentials(device) and form != VOIP_CONFIG_FILE:
            raise device.error(
                "is true, but the %s reads <sysConf> files, and the sources give a <sysConf> element for neither the "
                "provisioning user nor its password (only FlashServerIP, FlashFileName, FlashProtocol, FlashMode, "
                "FlashInterval): no bootstrap can hand them over. Set fanvil_config_format: voip_config_file if the "
                "firmware reads that form. Otherwise the device cannot be served by servers that ask for per-device "
                "HTTP credentials (http_server_device_credentials_enabled): they answer 401 to every <mac>.cfg, this "
                "device's too, and https restricted to the phones' network does not change that; only without them "
                "may it take http_credentials: false and an https provisioning_url restricted to the phones' network "
                "(docs/vendors/fanvil.md)"
                % device.model, field="settings.%s" % self.description.http_credentials.setting)
        params = self.device_params(device)
        for param in params:
            problem = value_problem(param.value)
            if problem is not None:
                raise ProvisioningError(problem, device=device.label, field=param.field)
        self._tree(device, params, form)

    def _tree(self, device, params, form):
        try:
            return build([(param.name, param.value) for param in params], form, version_of(device.model, form))
        except ValueError as exc:
            message, index = exc.args[0]
            raise device.error(message, field=params[index].field) from None

    # -- rendering ---------------------------------------------------------

    def render_device(self, device, inventory):
        form = self.form(device)
        own = DEVICE_FILE.format(mac=device.mac)
        files = []
        bootstrap = self.bootstrap_params(device)
        if bootstrap:
            bootstrap_path = BOOTSTRAP_FILE.format(mac=device.mac)
            version = version_of(device.model, VOIP_CONFIG_FILE)
            files += [
                # The HTTP password in plain text: a key carrier, served only in the bootstrap window.
                ProfileFile(bootstrap_path, render(self._tree(device, bootstrap, VOIP_CONFIG_FILE), VOIP_CONFIG_FILE),
                            device=device.label, secret=True, role="bootstrap", kind="cfg"),
                # Once the window closed: the name of its own file alone, no credential (the phone keeps what it stored).
                ProfileFile(bootstrap_path,
                            render(build([(BOOTSTRAP_FILE_NAME, CONFIG_FILE_NAME)], VOIP_CONFIG_FILE, version),
                                   VOIP_CONFIG_FILE),
                            device=device.label, role="profile", after_window=True, kind="cfg"),
            ]
        # Accounts and admin password: readable by anyone who fetches it unless
        # the server asks for the device's credentials.
        files.append(ProfileFile(own, render(self._tree(device, self.device_params(device), form), form),
                                 device=device.label, secret=True, role="profile", kind="cfg"))
        return files

    def render_shared(self, devices, inventory):
        files = []
        for model in sorted(set(device.model for device in devices)):
            name = MODELS[model]["common_file"]
            if name is None:
                continue
            # The form the model's devices use (validate() refuses a device that differs).
            form = self.model_form(model, inventory)
            tree = build([(PATHS[form]["provisioning"][1], CONFIG_FILE_NAME)], form, version_of(model, form))
            files.append(ProfileFile(name, render(tree, form), role="model", kind="cfg"))
        return files

    def render_rotation(self, device, next_device, inventory):
        # The new password travels in the bootstrap (docs/keys.md).
        return self.render_credentials_rotation(device, next_device, inventory)


RENDERER = FanvilRenderer()
