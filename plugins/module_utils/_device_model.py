# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory data model: devices, lines and generic settings.

Users describe phones with these inventory variables (the names are part of
the collection's interface):

``sipfleet_defaults``
    Generic settings for every device (see :data:`SETTINGS`).
``sipfleet_sites``
    ``{site name: {settings}}``, applied to the devices of that site.
``sipfleet_models``
    ``{model: {settings}}``, applied to every device of that model (model names
    are matched case-insensitively).
``sipfleet_devices``
    A list of devices (see :data:`DEVICE_FIELDS`), each with ``settings`` of its
    own.

Settings merge in the order defaults -> site -> model -> device: a later level
replaces a key of an earlier one. Raw vendor ``params`` are not settings; a
vendor renderer applies them after its mapped settings, so they always win.

Everything here is pure data checking: each error names the device and the
field, and nothing is rendered until the whole fleet is valid.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz


class Setting:
    """One generic setting: its type, its bounds and whether it is a secret."""

    def __init__(self, kind, description, choices=None, minimum=None, maximum=None, secret=False, default=None):
        self.kind = kind
        self.description = description
        self.choices = choices
        self.minimum = minimum
        self.maximum = maximum
        self.secret = secret
        self.default = default


#: The generic settings every vendor renderer understands; each vendor maps
#: them to its native parameters in one table. A key not listed here is an
#: error. A vendor that has no equivalent for a setting ignores it and says so
#: in its table.
SETTINGS = {
    "sip_server": Setting("str", "SIP registrar/proxy host name or address for every line"),
    "sip_port": Setting("int", "SIP port", minimum=1, maximum=65535, default=5060),
    "sip_transport": Setting("str", "SIP transport", choices=("udp", "tcp", "tls"), default="udp"),
    "outbound_proxy": Setting("str", "outbound proxy host[:port]"),
    "ntp_server": Setting("str", "NTP server"),
    "timezone": Setting("str", "POSIX TZ string, for example CET-1CEST,M3.5.0,M10.5.0/3 or EST5EDT,M3.2.0,M11.1.0"),
    "language": Setting("str", "display language as an ISO 639-1 code (en, de, fr, es, it, nl, pt, ...)"),
    "admin_password": Setting("str", "password of the phone's administrator web login", secret=True),
    "provisioning_url": Setting(
        "str", "where the phone fetches its profiles: scheme://host[:port]/path (tftp, http, https; Grandstream also ftp, ftps)"),
    "resync_interval": Setting("int", "minutes between profile checks", minimum=1, maximum=525600),
    "resync_spread": Setting(
        "list", "[low, high] minutes: each device gets a fixed interval in this range, derived from its MAC, "
        "so a fleet does not check at the same minute (Grandstream P193); overrides resync_interval"),
    "firmware_url": Setting("str", "where the phone fetches firmware: scheme://host[:port]/path"),
    "firmware_version": Setting("str", "firmware version the phone should run"),
    "syslog_server": Setting("str", "syslog server host name or address"),
    "encrypt_profiles": Setting("bool", "encrypt per-device profiles with the device's key", default=True),
    "allow_plain_credentials": Setting(
        "bool", "serve a device file that carries a SIP or admin password in plain text over TFTP, plain HTTP or FTP "
        "(an unencrypted profile on a plain transport); the run warns for each such device", default=False),
    "compress_profiles": Setting(
        "bool", "gzip profiles before encrypting them (Cisco SPA and MPP; other vendors ignore it)", default=False),
    "encryption_digest": Setting(
        "str", "key-derivation digest of openssl enc; default per vendor and model", choices=("md5", "sha256")),
    "model_profiles": Setting(
        "bool", "also write the per-model shared profile (Grandstream cfg<model>.xml); Panasonic always splits "
        "settings into Config{MAC}.cfg, Config{MODEL}.cfg and ConfigCom.cfg", default=False),
    "common_profile": Setting(
        "bool", "also write the fleet-wide generic profile (Grandstream cfg.xml), served to phones that have no "
        "profile of their own", default=False),
    "config_prefix": Setting("str", "profile file name prefix (Grandstream P234)"),
    "config_postfix": Setting("str", "profile file name postfix (Grandstream P235)"),
    "firmware_prefix": Setting("str", "firmware file name prefix (Grandstream P232)"),
    "firmware_postfix": Setting("str", "firmware file name postfix (Grandstream P233)"),
}

#: Fields of an entry of ``sipfleet_devices``.
DEVICE_FIELDS = ("name", "mac", "model", "vendor", "site", "lines", "params", "settings", "keys")

#: Fields of an entry of a device's ``lines``.
LINE_FIELDS = ("extension", "auth_user", "password", "display_name", "sip_server", "sip_port", "transport")

_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")


class Line:
    """One SIP account of a device, with defaults filled in."""

    def __init__(self, number, extension, auth_user, password, display_name, sip_server, sip_port, transport):
        self.number = number
        self.extension = extension
        self.auth_user = auth_user
        self.password = password
        self.display_name = display_name
        self.sip_server = sip_server
        self.sip_port = sip_port
        self.transport = transport

    def __repr__(self):
        # Never show the password, even in a traceback.
        return "Line(%d, extension=%r, auth_user=%r, password=<redacted>)" % (self.number, self.extension, self.auth_user)


class Device:
    """A validated device: canonical MAC and model, merged settings, filled-in lines."""

    def __init__(self, label, name, mac, model, vendor, site, lines, params, settings, keys):
        self.label = label
        self.name = name
        self.mac = mac
        self.model = model
        self.vendor = vendor
        self.site = site
        self.lines = lines
        self.params = params
        self.settings = settings
        self.keys = keys

    def error(self, message, field=None):
        """A :class:`ProvisioningError` about this device."""
        return ProvisioningError(message, device=self.label, field=field)

    def __repr__(self):
        return "Device(%s, mac=%s, model=%s, vendor=%s)" % (self.label, self.mac, self.model, self.vendor)


def canonical_model(model):
    """Model names compare case-insensitively; upper case is the canonical form."""
    return model.strip().upper()


def check_setting(name, value, device=None, field_prefix="settings"):
    """Return ``value`` converted to the setting's type, or raise naming device and field."""
    field = "%s.%s" % (field_prefix, name)
    spec = SETTINGS.get(name)
    if spec is None:
        raise ProvisioningError(
            "unknown setting %r; known settings: %s" % (name, ", ".join(sorted(SETTINGS))), device=device, field=field)
    if value is None:
        return None
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ProvisioningError("must be true or false, got %r" % (value,), device=device, field=field)
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ProvisioningError("must be an integer, got %r" % (value,), device=device, field=field)
        try:
            number = int(value)
        except ValueError:
            raise ProvisioningError("must be an integer, got %r" % (value,), device=device, field=field)
        if (spec.minimum is not None and number < spec.minimum) or (spec.maximum is not None and number > spec.maximum):
            raise ProvisioningError(
                "must be from %s to %s, got %d" % (spec.minimum, spec.maximum, number), device=device, field=field)
        return number
    if spec.kind == "list":
        return _check_range(value, device, field)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProvisioningError("must be a string, got %r" % (value,), device=device, field=field)
    text = str(value)
    if spec.choices and text not in spec.choices:
        raise ProvisioningError(
            "must be one of %s, got %r" % (", ".join(spec.choices), text), device=device, field=field)
    if name == "timezone":
        parse_tz(text, device=device, field=field)
    return text


def _check_range(value, device, field):
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise ProvisioningError("must be a list of two integers [low, high], got %r" % (value,), device=device, field=field)
    low, high = value
    if not 1 <= low <= high:
        raise ProvisioningError("needs 1 <= low <= high, got %r" % (value,), device=device, field=field)
    return [low, high]


def check_settings(settings, device=None, field_prefix="settings"):
    """Check a whole settings mapping; returns a new dict with converted values."""
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise ProvisioningError("must be a mapping of settings, got %s" % type(settings).__name__,
                                device=device, field=field_prefix)
    return dict((name, check_setting(name, value, device, field_prefix)) for name, value in settings.items())


def merge_settings(*levels):
    """Merge settings mappings, later levels winning; ``None`` values unset nothing."""
    merged = {}
    for level in levels:
        for name, value in level.items():
            if value is not None:
                merged[name] = value
    for name, spec in SETTINGS.items():
        if spec.default is not None:
            merged.setdefault(name, spec.default)
    return merged


class Inventory:
    """The validated ``sipfleet_defaults``, ``sipfleet_sites`` and ``sipfleet_models``."""

    def __init__(self, defaults=None, sites=None, models=None):
        self.defaults = check_settings(defaults, field_prefix="sipfleet_defaults")
        self.sites = {}
        for site, settings in _mapping(sites, "sipfleet_sites").items():
            self.sites[str(site)] = check_settings(settings, field_prefix="sipfleet_sites.%s" % site)
        self.models = {}
        for model, settings in _mapping(models, "sipfleet_models").items():
            key = canonical_model(str(model))
            if key in self.models:
                raise ProvisioningError("model %s is listed twice (names are case-insensitive)" % key,
                                        field="sipfleet_models.%s" % model)
            self.models[key] = check_settings(settings, field_prefix="sipfleet_models.%s" % model)
        #: Values renderers derive from these settings alone (shared parameter
        #: sets): computed once per run, not once per device.
        self.derived = {}

    def model_settings(self, model):
        """Settings of files shared by every device of ``model``: defaults -> model."""
        return merge_settings(self.defaults, self.models.get(canonical_model(model), {}))

    def device_settings(self, site, model, own):
        """defaults -> site -> model -> device."""
        return merge_settings(self.defaults, self.sites.get(site, {}) if site else {},
                              self.models.get(canonical_model(model), {}), own)


def _mapping(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProvisioningError("must be a mapping, got %s" % type(value).__name__, field=field)
    return value


def _text(value, device, field, required=True, pattern=None, what=None):
    if value is None or value == "":
        if required:
            raise ProvisioningError("is required", device=device, field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProvisioningError("must be a string, got %r" % (value,), device=device, field=field)
    text = str(value)
    if pattern is not None and not pattern.match(text):
        raise ProvisioningError("%r is not a valid %s" % (text, what), device=device, field=field)
    return text


def device_label(raw, index):
    """How errors name a device: its name, else its MAC as written, else its position."""
    if isinstance(raw, dict):
        for key in ("name", "mac"):
            value = raw.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()
    return "sipfleet_devices[%d]" % index


def build_device(raw, index, inventory, vendor_for_model):
    """Validate one ``sipfleet_devices`` entry and return a :class:`Device`.

    ``vendor_for_model(model)`` returns the vendor name of a known model or
    ``None``; it comes from the vendor registry, which this module does not
    import so that it stays free of vendor details.
    """
    label = device_label(raw, index)
    if not isinstance(raw, dict):
        raise ProvisioningError("must be a mapping, got %s" % type(raw).__name__, device=label)
    unknown = sorted(set(raw) - set(DEVICE_FIELDS))
    if unknown:
        raise ProvisioningError("unknown field(s) %s; a device has %s (put settings under 'settings')"
                                % (", ".join(map(str, unknown)), ", ".join(DEVICE_FIELDS)), device=label, field=unknown[0])
    name = _text(raw.get("name"), label, "name", required=False, pattern=_NAME_RE, what="device name")
    mac = normalize_mac(raw.get("mac"), device=label, field="mac") if raw.get("mac") is not None else None
    if mac is None:
        raise ProvisioningError("is required", device=label, field="mac")
    model = canonical_model(_text(raw.get("model"), label, "model", pattern=_MODEL_RE, what="model name"))
    known_vendor = vendor_for_model(model)
    vendor = _text(raw.get("vendor"), label, "vendor", required=False)
    if vendor is None:
        if known_vendor is None:
            raise ProvisioningError(
                "unknown model %r: set 'vendor' for a model the collection does not know" % model, device=label, field="model")
        vendor = known_vendor
    elif known_vendor is not None and known_vendor != vendor:
        raise ProvisioningError("model %s is a %s model, not %s" % (model, known_vendor, vendor), device=label, field="vendor")
    site = _text(raw.get("site"), label, "site", required=False)
    if site is not None and site not in inventory.sites:
        raise ProvisioningError("unknown site %r; sipfleet_sites has %s" % (site, ", ".join(sorted(inventory.sites)) or "none"),
                                device=label, field="site")
    own = check_settings(raw.get("settings"), device=label)
    settings = inventory.device_settings(site, model, own)
    params = _mapping_of(raw.get("params"), label, "params")
    keys = _mapping_of(raw.get("keys"), label, "keys")
    lines = _build_lines(raw.get("lines"), label, settings)
    return Device(label, name, mac, model, vendor, site, lines, params, settings, keys)


def _mapping_of(value, label, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProvisioningError("must be a mapping, got %s" % type(value).__name__, device=label, field=field)
    return dict(value)


def _build_lines(raw_lines, label, settings):
    if raw_lines is None:
        return []
    if not isinstance(raw_lines, list):
        raise ProvisioningError("must be a list of lines, got %s" % type(raw_lines).__name__, device=label, field="lines")
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        field = "lines[%d]" % (number - 1)
        if not isinstance(raw, dict):
            raise ProvisioningError("must be a mapping, got %s" % type(raw).__name__, device=label, field=field)
        unknown = sorted(set(raw) - set(LINE_FIELDS))
        if unknown:
            raise ProvisioningError("unknown field(s) %s; a line has %s" % (", ".join(map(str, unknown)), ", ".join(LINE_FIELDS)),
                                    device=label, field="%s.%s" % (field, unknown[0]))
        extension = _text(raw.get("extension"), label, field + ".extension")
        password = raw.get("password")
        if password is None or password == "":
            raise ProvisioningError("is required (the SIP password of extension %s)" % extension,
                                    device=label, field=field + ".password")
        password = _text(password, label, field + ".password")
        port = check_setting("sip_port", raw.get("sip_port"), label, field)
        transport = check_setting("sip_transport", raw.get("transport"), label, field)
        sip_server = _text(raw.get("sip_server"), label, field + ".sip_server", required=False) or settings.get("sip_server")
        if sip_server is None:
            raise ProvisioningError("no SIP server: set sip_server on the line or in the settings", device=label,
                                    field=field + ".sip_server")
        lines.append(Line(
            number=number,
            extension=extension,
            auth_user=_text(raw.get("auth_user"), label, field + ".auth_user", required=False) or extension,
            password=password,
            display_name=_text(raw.get("display_name"), label, field + ".display_name", required=False) or extension,
            sip_server=sip_server,
            sip_port=port if port is not None else settings["sip_port"],
            transport=transport if transport is not None else settings["sip_transport"],
        ))
    return lines


def build_fleet(devices, inventory, vendor_for_model):
    """Validate every device; duplicate MACs and names are errors naming both devices."""
    if devices is None:
        devices = []
    if not isinstance(devices, list):
        raise ProvisioningError("must be a list of devices, got %s" % type(devices).__name__, field="sipfleet_devices")
    fleet = []
    by_mac = {}
    by_name = {}
    for index, raw in enumerate(devices):
        device = build_device(raw, index, inventory, vendor_for_model)
        other = by_mac.get(device.mac)
        if other is not None:
            raise ProvisioningError("duplicate MAC %s: also used by device %s" % (device.mac, other.label),
                                    device=device.label, field="mac")
        by_mac[device.mac] = device
        if device.name is not None:
            other = by_name.get(device.name)
            if other is not None:
                raise ProvisioningError("duplicate name: device %s has it too" % other.mac, device=device.label, field="name")
            by_name[device.name] = device
        fleet.append(device)
    return fleet
