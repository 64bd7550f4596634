# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Snom D1xx/D3xx/D7xx/D8xx desk phones and M-series DECT bases (``vendor: snom``): XML settings files.

Files, relative to the provisioning root that ``setting_server`` (the
``provisioning_url``, a directory) names, in the order the phone fetches
them (vendor-facts-more.md 3.1: with a setting server without a file name
the phone asks for ``<phoneType>.htm``, then ``<phoneType>-<MAC>.htm``):

``snom<model>.htm`` (``snomD785.htm``), shared by the model
    a ``<setting-files>`` container naming ``snom<model>.xml``.
``snom<model>.xml``
    the model's settings file: only ``firmware_status``, the URL of
    ``snom<model>-firmware.xml``, when the model has a ``firmware_url``
    (otherwise no setting at all).
``snom<model>-<MAC>.htm`` (``snomD785-000413A11FA7.htm``, upper-case MAC as
the phone asks; the same file is also served under the lower-case MAC, since
FusionPBX writes Snom MACs lower case)
    the device's container: ``snom-<MAC>-bootstrap.xml`` first when the
    device has ``http_credentials: true``, then ``snom-<MAC>.xml``. No secret.
``snom-<MAC>-bootstrap.xml`` (only with ``http_credentials: true``)
    ``http_client_user`` / ``http_client_pass``: the device's HTTP user and
    password, a plain key carrier served only in its bootstrap window, and
    an empty ``<phone-settings>`` once it closed.
``snom-<MAC>.xml`` (W names it ``<MAC>.xml``, the name of Cisco MPP's
own file under the case-insensitive patterns the roles share)
    every mapped setting of the device, its identities, admin password,
    function keys and raw ``params``.
``snom<model>-firmware.xml``
    ``<firmware-settings>`` naming the image (``firmware_url``); fetched
    only through ``firmware_status``, never named in a container (Snom:
    it "must not be specified in any container setting file").

Which file wins when two set one setting is not documented
(vendor-facts-more 3.1, 5): the collection never sets a setting in two
files, so the order does not matter.

Snom publishes no file encryption: the device's files are protected by
HTTPS with the phone's factory certificate bound to its MAC (the
http_server role; docs/vendors/snom.md), or by the per-device HTTP
credentials above.
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
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import directory_url, standard_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    language_not_carried,
    malformed_language,
    mask_xml_elements,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom.description import (
    DESCRIPTION,
    TIMEZONE_SETTING,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom.formats import (
    DECLARATION,
    FKEY_TYPES,
    FunctionKeyElement,
    Setting,
    render_container,
    render_firmware,
    render_settings,
    value_problem,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom import directory as _directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom.models import MODELS, phone_type

MODEL_CONTAINER = "{phone_type}.htm"
MODEL_SETTINGS = "{phone_type}.xml"
FIRMWARE_FILE = "{phone_type}-firmware.xml"
DEVICE_CONTAINER = "{phone_type}-{mac}.htm"
BOOTSTRAP_FILE = "snom-{mac}-bootstrap.xml"
DEVICE_FILE = "snom-{mac}.xml"

#: The settings that give the phone its HTTP credentials (F {$mac}.xml:56-57, code).
PROVISIONING_USER = "http_client_user"
PROVISIONING_PASSWORD = "http_client_pass"
#: The web login the admin password is for (Snom's D385 example, W, F).
ADMIN_USER = "admin"

#: ISO 639-1 -> language / web_language, where Snom's page and W write the same word.
#: (French: the page writes "Français", W "Francais": reported as not carried until checked.)
LANGUAGES = {"en": "English", "de": "Deutsch"}

#: A Snom timezone code as Snom's examples write them (GER+1, USA-5, GBR-0); the list is Snom's page.
TIMEZONE_CODE_RE = re.compile(r"^[A-Z]{3}[+-][0-9]{1,2}(?:[.:][0-9]{1,2})?\Z")

#: settings_refresh_timer is in seconds (F :55).
MAX_RESYNC_MINUTES = 525600

#: Raw params the file flow depends on.
MANAGED_PARAMS = {
    "setting_server": "set provisioning_url instead",
    "firmware_status": "set firmware_url instead (the model's snom<model>-firmware.xml)",
    "firmware": "set firmware_url instead: Snom reads the image URL from the firmware file only",
}

#: The raw param name of a function key: fkey[N], N from 0 (Snom's <fkey idx>).
FKEY = "fkey"
#: Generic function key type -> the text of Snom's <fkey> (service.snom.com/display/wiki/Function+Key+Types, whose
#: examples are "line" with the identity as context, "dest sip:...", "speed <number>"; "blf <ext>", "speed <number>"
#: as wazo-provd-plugins' wazo_snom common.py writes them). ``{value}`` is the key's value. Pickup has no Snom type
#: (a BLF key picks up): not mapped.
KEY_FORMS = {"line": "line", "blf": "blf {value}", "speed_dial": "speed {value}", "park": "orbit {value}",
             "transfer": "transfer {value}", "dtmf": "dtmf {value}", "url": "url {value}", "none": "none"}
#: The types whose Snom form needs the key's value, which the generic key may leave out.
KEY_VALUE_REQUIRED = {"park": "Snom's orbit key takes the park orbit", "transfer": "Snom's transfer key takes its target"}

#: The generic settings the family's files have no place for, with why.
NOT_CARRIED = {
    "sip_server_secondary": "Snom phones fail over to another identity (user_failover_identity, as wazo-provd-plugins "
                            "writes it), which would take an identity the inventory's lines number; the collection maps "
                            "no backup registrar for Snom",
    "firmware_version": "Snom phones take the image firmware_url names; no setting names a version",
    "encryption_digest": "Snom publishes no file encryption",
}
#: Reported unless the device sets the native setting itself (snom_timezone, or a raw param of that name).
TIMEZONE_NOT_CARRIED = ("Snom's timezone takes its own codes (a country and an offset, such as GER+1 or USA-5, from "
                        "service.snom.com/display/wiki/timezone), which an IANA name or POSIX string does not determine; "
                        "set snom_timezone")
SYSLOG_NOT_CARRIED = ("no Snom document read names the syslog setting (syslog_server is seen only in unrelated code); "
                      "set syslog_server in the device's params after checking your firmware's settings list")

#: Raw param names: a setting, or a per-identity setting with its idx in brackets (user_dtmf_info[1]).
RAW_NAME_RE = re.compile(r"^([a-z][a-z0-9_]*)(?:\[(0|[1-9][0-9]{0,3})\])?\Z")

_HOSTS = HostRules()
# user_host and user_outbound hold host:port in one value, where the colons
# of a bare IPv6 address would read as a port (2001:db8::1:5060): an IPv6
# address is taken only in brackets, and written so ([2001:db8::1]:5060).
_SIP_HOSTS = HostRules(bare_ipv6=False)
_SIP_HOST_MESSAGE = ("{value} is not a host name, an IPv4 address or an IPv6 address in brackets: Snom writes the server "
                     "and its port as one value (host:port), where the colons of a bare IPv6 address would read as a port; "
                     "write it as [2001:db8::1]")
_URLS = UrlRules(("http", "https", "tftp"), HostRules(bare_ipv6=False), path=re.compile(r"/[^\s\"<>]*"), forbidden="?#")
_FIRMWARE_URLS = UrlRules(("http", "https", "tftp"), HostRules(bare_ipv6=False), path=re.compile(r"/[^\s\"<>]*"))


def _spread_minutes(mac, low, high):
    """A fixed interval in [low, high] for this MAC, so a fleet does not check at one minute."""
    return low + int(mac, 16) % (high - low + 1)


class SnomRenderer(VendorRenderer):
    """``snom<model>.htm``/``.xml`` per model, ``snom<model>-<MAC>.htm`` and ``snom-<MAC>.xml`` per device."""

    name = DESCRIPTION.name
    title = DESCRIPTION.title
    description = DESCRIPTION
    secure_transport = ("an https provisioning_url with the http_server role's client-certificate binding (Snom's factory "
                        "certificate, CN = MAC, under the Snom roots of docs/vendors/snom.md), or http_credentials: true "
                        "(per-device HTTP credentials; docs/keys.md)")

    def model_info(self, model):
        return MODELS.get(model)

    def known_models(self):
        return sorted(MODELS)

    def can_encrypt(self, device):
        # Snom publishes no file encryption (vendor-facts-more 3.4).
        return False

    def key_specs(self, device):
        # The HTTP password, only for a device whose inventory opts in.
        return self.description.http_credentials.key_specs(device.settings)

    def is_secret_param(self, name):
        return isinstance(name, str) and self.description.is_secret_param(name)

    def recognizes_text(self, text):
        return text.startswith(DECLARATION + "\n") and any(
            "\n<%s>\n" % root in text for root in ("settings", "setting-files", "firmware-settings"))

    def mask_text(self, text):
        return mask_xml_elements(text, self.is_secret_param)

    # -- paths -------------------------------------------------------------------

    @staticmethod
    def base_url(settings):
        """The provisioning_url with one trailing slash: the setting server, and where the files are."""
        return settings["provisioning_url"].rstrip("/") + "/"

    @staticmethod
    def device_paths(device):
        """``(container, lower-case container, settings file, bootstrap)`` paths of ``device``."""
        kind = phone_type(device.model)
        mac = device.mac.upper()
        return (DEVICE_CONTAINER.format(phone_type=kind, mac=mac), DEVICE_CONTAINER.format(phone_type=kind, mac=device.mac),
                DEVICE_FILE.format(mac=mac), BOOTSTRAP_FILE.format(mac=mac))

    # -- mapping -----------------------------------------------------------------

    def setting_params(self, device):
        """The phone-wide settings the generic settings map to, in file order."""
        settings = device.settings
        label = device.label
        params = []

        def add(name, value, setting, secret=False):
            params.append((Setting(name, str(value)), "settings.%s" % setting, secret))

        def refuse(message, setting):
            return ProvisioningError(message, device=label, field="settings.%s" % setting)

        password = settings.get("admin_password")
        if password is not None:
            add("http_user", ADMIN_USER, "admin_password")
            add("http_pass", password, "admin_password", secret=True)
            add("admin_mode_password", password, "admin_password", secret=True)
            add("admin_mode", "off", "admin_password")
        ntp = settings.get("ntp_server")
        if ntp is not None:
            parse_host(ntp, _HOSTS, device=label, field="settings.ntp_server")
            add("ntp_server", ntp, "ntp_server")
        code = settings.get(TIMEZONE_SETTING)
        if code is not None:
            if not TIMEZONE_CODE_RE.match(code):
                raise refuse("is not a Snom timezone code: three capital letters, a sign and an offset (GER+1, USA-5, GBR-0)",
                             TIMEZONE_SETTING)
            add("timezone", code, TIMEZONE_SETTING)
        language = settings.get("language")
        if language is not None:
            if malformed_language(language):
                raise refuse(malformed_language(language), "language")
            # A code without a value the sources agree on is left out:
            # settings_not_carried reports it.
            if language in LANGUAGES:
                add("language", LANGUAGES[language], "language")
                add("web_language", LANGUAGES[language], "language")
        vlan = settings.get("vlan_id")
        if vlan is not None:
            add("vlan_id", vlan, "vlan_id")
        priority = settings.get("vlan_priority")
        if priority is not None:
            # Written with or without vlan_id, as the phone keeps it for its VLAN, on or off.
            add("vlan_qos", priority, "vlan_priority")
        url = settings.get("provisioning_url")
        parse_url(url or "", _URLS, device=label, field="settings.provisioning_url")
        add("setting_server", self.base_url(settings), "provisioning_url")
        spread = settings.get("resync_spread")
        interval = settings.get("resync_interval")
        if spread is not None:
            interval = _spread_minutes(device.mac, spread[0], spread[1])
        if interval is not None:
            setting = "resync_spread" if spread is not None else "resync_interval"
            if not 1 <= interval <= MAX_RESYNC_MINUTES:
                raise refuse("must be from 1 to %d minutes, got %d" % (MAX_RESYNC_MINUTES, interval), setting)
            add("settings_refresh_timer", interval * 60, setting)
        return params

    def identity_params(self, device):
        """``user_*`` settings of each identity (``idx`` = line number)."""
        params = []
        proxy = device.settings.get("outbound_proxy")
        if proxy is not None:
            try:
                found = parse_host_port(proxy, _SIP_HOSTS, messages={
                    "host": "{value} is not host[:port] (an IPv6 address in brackets: [2001:db8::1]:5060): Snom writes the "
                            "proxy and its port as one value, where the colons of a bare IPv6 address would read as a port",
                    "port": "{value} has a port out of range 1 to 65535"})
            except AddressError as exc:
                raise device.error(exc.message, field="settings.outbound_proxy")
            proxy = found.text if found.port is None else "%s:%d" % (found.text, found.port)
        for index, line in enumerate(device.lines):
            field = "lines[%d].%%s" % index
            parse_host(line.sip_server or "", _SIP_HOSTS, device=device.label, field=field % "sip_server",
                       messages={"host": _SIP_HOST_MESSAGE})
            host = "%s:%d" % (line.sip_server, line.sip_port)
            outbound = "%s;transport=%s" % (proxy or host, line.transport)
            for name, value, line_field, secret in (
                    ("user_active", "on", "extension", False),
                    ("user_realname", line.display_name, "display_name", False),
                    ("user_name", line.extension, "extension", False),
                    ("user_pname", line.auth_user, "auth_user", False),
                    ("user_pass", line.password, "password", True),
                    ("user_host", host, "sip_server", False),
                    ("user_outbound", outbound, "transport" if proxy is None else "sip_server", False),
                    ("user_idle_text", line.display_name, "display_name", False)):
                params.append((Setting(name, str(value), idx=line.number), field % line_field, secret))
        return params

    def settings_not_carried(self, device):
        result = dict(NOT_CARRIED)
        raw = self._raw_keys(device)
        if device.settings.get(TIMEZONE_SETTING) is None and ("timezone", None) not in raw:
            result["timezone"] = TIMEZONE_NOT_CARRIED
        if ("syslog_server", None) not in raw:
            result["syslog_server"] = SYSLOG_NOT_CARRIED
        reason = language_not_carried(device.settings.get("language"), LANGUAGES,
                                      "Snom language",
                                      "set language and web_language in params for another")
        if reason:
            result["language"] = reason
        return result

    def function_key_support(self, device):
        facts = self.model_info(device.model)
        if facts is None or facts["dect"]:
            # An M-series base has no keys of its own; no source read maps a handset's.
            return frozenset(), 0
        # No source read gives a model's key count: every idx is accepted.
        return frozenset(KEY_FORMS), facts["keys"]

    def mapped_function_keys(self, device):
        """``[(FunctionKeyElement, field)]`` of the inventory's ``function_keys``; keys it leaves out keep the phone's own.

        Index I is Snom's idx I-1; the context is the key's identity (its
        ``line``), ``active`` for an unused key. A type the model cannot
        carry is left to check_generic_settings, whose error names the model.
        """
        types, dummy = self.function_key_support(device)
        result = []
        # A key's line is one of the device's lines (checked for every vendor), so a context Snom has.
        for key in device.settings.get("function_keys") or ():
            if key.type not in types:
                continue
            if key.type in KEY_VALUE_REQUIRED and key.value is None:
                raise device.error("is required for a %s key on Snom phones: %s" % (key.type, KEY_VALUE_REQUIRED[key.type]),
                                   field=key.field + ".value")
            if key.type == "none":
                result.append((FunctionKeyElement(key.index - 1, "none"), key.field))
                continue
            text = KEY_FORMS[key.type].format(value=key.value)
            for value, where in ((text, ".value"), (key.label, ".label")):
                problem = value_problem(value) if value is not None else None
                if problem:
                    raise device.error(problem, field=key.field + where)
            result.append((FunctionKeyElement(key.index - 1, text, str(key.line), key.label), key.field))
        return result

    def function_keys(self, device):
        """``[FunctionKeyElement]`` of ``<functionKeys>`` in key order: the mapped keys and the raw ``fkey[N]`` params.

        A raw ``fkey[N]`` at the idx of a mapped key is refused, naming the key's field.
        """
        limit = MODELS[device.model]["keys"]
        mapped = self.mapped_function_keys(device)
        taken = dict((element.idx, field) for element, field in mapped)
        result = [element for element, dummy in mapped]
        for name in sorted(device.params, key=str):
            match = RAW_NAME_RE.match(name) if isinstance(name, str) else None
            if match is None or match.group(1) != FKEY:
                continue
            value = device.params[name]
            field = "params.%s" % (name,)
            if match.group(2) is None:
                raise device.error("a function key needs its 0-based index: fkey[0], fkey[1]...", field=field)
            idx = int(match.group(2))
            if idx in taken:
                raise device.error("%s is written by the collection from %s" % (name, taken[idx]), field=field)
            if not isinstance(value, str) or not value.strip():
                raise device.error("must be a non-empty string \"<type> <argument>\" (\"blf 201\")", field=field)
            kind = value.split(" ", 1)[0]
            if kind not in FKEY_TYPES:
                raise device.error("%r is not a function key type the collection writes; known: %s"
                                   % (kind, ", ".join(FKEY_TYPES)), field=field)
            problem = value_problem(value)
            if problem:
                raise device.error(problem, field=field)
            if limit is not None and idx >= limit:
                raise device.error("the %s has %d function keys (idx 0 to %d)" % (device.model, limit, limit - 1), field=field)
            result.append(FunctionKeyElement(idx, value))
        return sorted(result, key=lambda element: element.idx)

    @staticmethod
    def _raw_keys(device):
        """``{(name, idx)}`` the device's raw params set."""
        keys = set()
        for name in device.params:
            match = RAW_NAME_RE.match(name) if isinstance(name, str) else None
            if match is not None:
                keys.add((match.group(1), None if match.group(2) is None else int(match.group(2))))
        return keys

    def _raw_params(self, device, managed):
        params = []
        for name in sorted(device.params, key=str):
            value = device.params[name]
            field = "params.%s" % (name,)
            match = RAW_NAME_RE.match(name) if isinstance(name, str) else None
            if match is None:
                raise device.error("%r is not a Snom setting name (lower-case letters, digits and _, with [N] for an identity, "
                                   "like user_dtmf_info[1])" % (name,), field=field)
            setting, idx = match.group(1), match.group(2)
            if setting == FKEY:
                # A function key: <functionKeys>, checked by function_keys().
                continue
            key = (setting, None if idx is None else int(idx))
            if setting in MANAGED_PARAMS:
                raise device.error("%s is written by the collection: %s" % (setting, MANAGED_PARAMS[setting]), field=field)
            if key in managed:
                raise device.error("%s is written by the collection from %s" % (name, managed[key]), field=field)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                # The type only: a raw parameter may hold a password.
                raise device.error("must be a string or an integer, got %s" % (type(value).__name__,), field=field)
            params.append((Setting(setting, str(value), idx=key[1]), field, self.is_secret_param(setting)))
        return params

    def device_params(self, device):
        """``[(Setting, field, secret)]`` of ``snom-<MAC>.xml``: settings, identities, raw params."""
        params = self.setting_params(device) + self.identity_params(device)
        managed = dict((item.key(), field) for item, field, dummy in params)
        if self.has_http_credentials(device):
            # The bootstrap sets them; a raw value here, read later, would replace the credentials the server checks.
            for name in (PROVISIONING_USER, PROVISIONING_PASSWORD):
                managed[(name, None)] = "settings.%s" % self.description.http_credentials.setting
        return params + self._raw_params(device, managed)

    def bootstrap_params(self, device):
        """``[Setting]`` of ``snom-<MAC>-bootstrap.xml``: the HTTP user (``<mac>-<4 hex>``) and password, or none."""
        password = self.http_password(device)
        if password is None:
            return []
        return [Setting(PROVISIONING_USER, _http_credentials.user_name(device.mac, password)),
                Setting(PROVISIONING_PASSWORD, password)]

    def firmware_url(self, settings, label, field):
        url = settings.get("firmware_url")
        if url is not None:
            parse_url(url, _FIRMWARE_URLS, device=label, field=field)
        return url

    # -- validation --------------------------------------------------------------

    def validate(self, device, inventory):
        facts = self.model_info(device.model)
        if facts is None:
            raise device.error("%s does not list model %s; known: %s" % (self.title, device.model, ", ".join(self.known_models())),
                               field="model")
        if device.settings.get("encrypt_profiles"):
            raise device.error("is on (the default), but Snom publishes no file encryption and the collection cannot encrypt "
                               "for the %s: set encrypt_profiles: false with %s (or allow_plain_credentials: true to serve "
                               "passwords in plain text anyway)" % (device.model, self.secure_transport),
                               field="settings.encrypt_profiles")
        if len(device.lines) > facts["lines"]:
            raise device.error("the %s takes %d identit%s (%s) and this device lists %d: lines[%d] and later have none"
                               % (device.model, facts["lines"], "y" if facts["lines"] == 1 else "ies", facts["unsure"],
                                  len(device.lines), facts["lines"]), field="lines[%d]" % facts["lines"])
        if not device.settings.get("provisioning_url"):
            raise device.error("is required: the containers name every settings file by its full URL under it, and the phone "
                               "keeps it as setting_server", field="settings.provisioning_url")
        for item, field, dummy in self.device_params(device):
            problem = value_problem(item.value)
            if problem:
                raise device.error(problem, field=field)
        self.function_keys(device)
        self.firmware_url(device.settings, device.label, "settings.firmware_url")
        if facts["dect"] and device.settings.get("firmware_url") is not None:
            # W writes fp_fwu_sw_version/pp_fwu_sw_version for the bases, not <firmware>: not confirmed, not written.
            raise device.error("is not mapped for the %s: M-series DECT bases take a different firmware file (base and handset "
                               "versions), which the collection does not write; update the base another way"
                               % device.model, field="settings.firmware_url")
        shared = inventory.model_settings(device.model)
        for name in ("firmware_url", "provisioning_url"):
            if device.settings.get(name) != shared.get(name):
                raise device.error("differs from the model's %s: the shared snom%s.htm and snom%s.xml name it for every %s; "
                                   "set it in sipfleet_defaults or sipfleet_models.%s only"
                                   % (name, device.model, device.model, device.model, device.model),
                                   field="settings.%s" % name)

    # -- rendering ---------------------------------------------------------------

    def render_device(self, device, inventory):
        container, container_lower, own, bootstrap_path = self.device_paths(device)
        base = self.base_url(device.settings)
        bootstrap = self.bootstrap_params(device)
        urls = ([base + bootstrap_path] if bootstrap else []) + [base + own]
        # The phonebook (sipfleet_directory), read after the device's settings.
        phonebook = directory_url(self, device, inventory)
        if phonebook is not None:
            urls.append(phonebook)
        listing = render_container(urls)
        files = [
            # Names the device's files; holds nothing secret. Upper-case MAC
            # as the phone asks (Snom's page, W, E), and lower case (F).
            ProfileFile(container, listing, device=device.label, role="bootstrap", kind="htm"),
        ]
        if container_lower != container:
            files.append(ProfileFile(container_lower, listing, device=device.label, role="bootstrap", kind="htm"))
        if bootstrap:
            files += [
                # The HTTP password in plain text: a key carrier, served only in the bootstrap window.
                ProfileFile(bootstrap_path, render_settings(bootstrap), device=device.label, secret=True, role="bootstrap",
                            kind="xml"),
                # The container still names it once the window closed: no setting, which changes nothing stored.
                ProfileFile(bootstrap_path, render_settings([]), device=device.label, role="profile", after_window=True,
                            kind="xml"),
            ]
        content = render_settings([item for item, dummy, dummy in self.device_params(device)], self.function_keys(device))
        # Identities and admin password: readable by anyone who fetches it
        # unless the server checks the device's certificate or credentials.
        files.append(ProfileFile(own, content, device=device.label, secret=True, role="profile", kind="xml"))
        return files

    # -- the directory (sipfleet_directory; snom/directory.py) --

    def directory_path(self, site):
        return standard_path(self.name, site, _directory.FILE_NAME)

    def render_directory(self, entries):
        return _directory.render_directory(entries)

    def render_rotation(self, device, next_device, inventory):
        # The new password travels in the bootstrap (docs/keys.md).
        return self.render_credentials_rotation(device, next_device, inventory)

    def render_shared(self, devices, inventory):
        first = {}
        for device in sorted(devices, key=lambda item: (item.model, item.label)):
            first.setdefault(device.model, device)
        files = []
        for model in sorted(first):
            device = first[model]
            kind = phone_type(model)
            base = self.base_url(device.settings)
            settings = []
            firmware = self.firmware_url(device.settings, device.label, "settings.firmware_url")
            if firmware is not None:
                settings.append(Setting("firmware_status", base + FIRMWARE_FILE.format(phone_type=kind)))
                files.append(ProfileFile(FIRMWARE_FILE.format(phone_type=kind), render_firmware(firmware), role="model",
                                         kind="xml"))
            files.append(ProfileFile(MODEL_CONTAINER.format(phone_type=kind),
                                     render_container([base + MODEL_SETTINGS.format(phone_type=kind)]), role="model",
                                     kind="htm"))
            files.append(ProfileFile(MODEL_SETTINGS.format(phone_type=kind), render_settings(settings), role="model",
                                     kind="xml"))
        return files


RENDERER = SnomRenderer()
