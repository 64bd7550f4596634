# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory data model: devices, lines and generic settings.

Users describe phones with these inventory variables (the names are part of
the collection's interface):

``sipfleet_defaults``
    Generic settings for every device (see :func:`all_settings`).
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
field, and nothing is rendered until the whole fleet is valid. Every
independent error is collected, so that one run lists all of them (see
:class:`~._errors.ProvisioningErrors`).

Free text and credentials must be strings: YAML reads an unquoted ``0777`` as
the integer 511, ``12:30`` as 750 and ``yes`` as true, and a phone would get
that number instead of what the inventory says. Such values are refused with
a hint to quote them, never converted back (the original text is lost).
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    ErrorCollector,
    ProvisioningError,
    quote_value,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._function_keys import check_function_keys
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
#: them to its native parameters in one table. A vendor that has no
#: equivalent for a setting ignores it and says so in its table. The settings
#: only some families read (Grandstream's file name prefixes, Cisco's
#: compression) are declared by those families' descriptions
#: (``VendorDescription.settings``); :func:`all_settings` is the union, and
#: a key in neither is an error.
GENERIC_SETTINGS = {
    "sip_server": Setting("str", "SIP registrar/proxy host name or address for every line"),
    "sip_port": Setting("int", "SIP port", minimum=1, maximum=65535, default=5060),
    "sip_transport": Setting("str", "SIP transport", choices=("udp", "tcp", "tls"), default="udp"),
    "outbound_proxy": Setting("str", "outbound proxy host[:port]"),
    "ntp_server": Setting("str", "NTP server"),
    "timezone": Setting("str", "IANA time-zone name (Europe/Berlin, America/Sao_Paulo), whose current rule comes from the "
                        "tzdata of the host that renders the profiles, or a POSIX TZ string (CET-1CEST,M3.5.0,M10.5.0/3, "
                        "EST5EDT,M3.2.0,M11.1.0)"),
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
    "encryption_digest": Setting(
        "str", "key-derivation digest of openssl enc; default per vendor and model", choices=("md5", "sha256")),
    "function_keys": Setting(
        "keys", "the phone's programmable keys: a list of {type, value, label, line, index}; the most specific level's "
        "list replaces the others whole (see docs/inventory.md)"),
    "sip_server_secondary": Setting(
        "str", "backup SIP registrar for every line, where the vendor has one (a line's own sip_server_secondary wins)"),
    "vlan_id": Setting("int", "voice VLAN the phone tags its traffic with (a wrong one cuts it off its servers)",
                       minimum=1, maximum=4094),
    "vlan_priority": Setting("int", "802.1p priority of the voice VLAN's frames", minimum=0, maximum=7),
}

#: Settings the collection itself reads, whatever the vendor: never reported as not carried.
CORE_SETTINGS = frozenset(("sip_port", "sip_transport", "allow_plain_credentials"))

_ALL_SETTINGS = {}


def all_settings():
    """``{name: Setting}`` of every setting an inventory may use: the generic ones and each registered family's own.

    The registry is read on first use, not when this module is imported: it
    imports the vendor packages, and they import this module. Two families
    may declare the same setting (the two Cisco families' compress_profiles)
    only as one :class:`Setting`; a family may not redeclare a generic one.
    """
    if not _ALL_SETTINGS:
        from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS
        table = dict(GENERIC_SETTINGS)
        for description in DESCRIPTIONS.values():
            for name, spec in sorted(description.settings.items()):
                if table.setdefault(name, spec) is not spec:
                    raise ValueError("setting %s of vendor %s is declared twice, differently" % (name, description.name))
        _ALL_SETTINGS.update(table)
    return _ALL_SETTINGS


#: Fields of an entry of ``sipfleet_devices``.
DEVICE_FIELDS = ("name", "mac", "model", "vendor", "site", "lines", "params", "settings", "keys")

#: Fields of an entry of a device's ``lines``.
LINE_FIELDS = ("extension", "auth_user", "password", "display_name", "sip_server", "sip_port", "transport",
               "sip_server_secondary")

_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_INTEGER_RE = re.compile(r"^-?[0-9]{1,12}$")
#: Longer values are refused before a parser quotes them in a message.
_MAX_TZ_CHARS = 64
_MAX_MAC_CHARS = 64
_MAX_LABEL_CHARS = 80
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")


class Line:
    """One SIP account of a device, with defaults filled in."""

    def __init__(self, number, extension, auth_user, password, display_name, sip_server, sip_port, transport,
                 sip_server_secondary=None):
        self.number = number
        self.extension = extension
        self.auth_user = auth_user
        self.password = password
        self.display_name = display_name
        self.sip_server = sip_server
        self.sip_port = sip_port
        self.transport = transport
        #: The backup registrar: the line's own, else the settings' ``sip_server_secondary``, else ``None``.
        self.sip_server_secondary = sip_server_secondary

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
        #: What a renderer derives from this device's settings, lines and
        #: params, computed once per run rather than in every step that needs
        #: it. Never from its keys: a rotation's successor is a shallow copy
        #: with other keys that shares this.
        self.derived = {}

    def error(self, message, field=None):
        """A :class:`ProvisioningError` about this device."""
        return ProvisioningError(message, device=self.label, field=field)

    def __repr__(self):
        return "Device(%s, mac=%s, model=%s, vendor=%s)" % (self.label, self.mac, self.model, self.vendor)


def canonical_model(model):
    """Model names compare case-insensitively; upper case is the canonical form."""
    return model.strip().upper()


def check_setting(name, value, device=None, field_prefix="settings", field=None):
    """Return ``value`` converted to the setting's type, or raise naming device and field.

    The field is ``<field_prefix>.<name>`` unless ``field`` names it.
    """
    if field is None:
        field = "%s.%s" % (field_prefix, label_text(name))
    spec = all_settings().get(name)
    if spec is None:
        raise ProvisioningError(
            "unknown setting %s; known settings: %s" % (quote_value(name), ", ".join(sorted(all_settings()))),
            device=device, field=field)
    if value is None:
        return None
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ProvisioningError("must be true or false, got %s" % _shown(value, spec.secret), device=device, field=field)
        return value
    if spec.kind == "int":
        # A number written as a string ("5060", as CSV files give it) is
        # still the number; a boolean or a float is not.
        if isinstance(value, bool) or not isinstance(value, (int, str)) or (
                isinstance(value, str) and not _INTEGER_RE.fullmatch(value)):
            raise ProvisioningError("must be an integer, got %s" % _shown(value, spec.secret), device=device, field=field)
        number = int(value)
        if (spec.minimum is not None and number < spec.minimum) or (spec.maximum is not None and number > spec.maximum):
            raise ProvisioningError(
                "must be from %s to %s, got %d" % (spec.minimum, spec.maximum, number), device=device, field=field)
        return number
    if spec.kind == "list":
        return _check_range(value, device, field)
    if spec.kind == "keys":
        return check_function_keys(value, device, field)
    text = check_text(value, device, field, secret=spec.secret)
    if spec.choices and text not in spec.choices:
        raise ProvisioningError(
            "must be one of %s, got %s" % (", ".join(spec.choices), quote_value(text)), device=device, field=field)
    if name == "timezone":
        if len(text) > _MAX_TZ_CHARS:
            # parse_tz quotes what it cannot parse: keep that short.
            raise ProvisioningError("%s is neither an IANA time-zone name such as Europe/Berlin nor a POSIX TZ string "
                                    "such as CET-1CEST,M3.5.0,M10.5.0/3 (at most %d characters)"
                                    % (quote_value(text), _MAX_TZ_CHARS), device=device, field=field)
        parse_tz(text, device=device, field=field)
    return text


def _shown(value, secret):
    """A value for a message: its type only when it is a secret."""
    return type(value).__name__ if secret else quote_value(value)


def yaml_reading(value, secret=False):
    """What YAML made of an unquoted scalar that is not text ("the integer 511"), or ``None`` for anything else.

    With ``secret`` only the kind is named ("an integer"): the value of a
    password is never shown.
    """
    if isinstance(value, bool):
        kind, shown = "boolean", "true" if value else "false"
    elif isinstance(value, int):
        kind, shown = "integer", "%d" % value
    elif isinstance(value, float):
        kind, shown = "number", repr(value)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        kind, shown = "date", value.isoformat()
    else:
        return None
    if secret:
        return "an integer" if kind == "integer" else "a %s" % kind
    return "the %s %s" % (kind, shown)


def check_text(value, device, field, secret=False, what="value"):
    """``value`` if it is a string; otherwise an error naming device and field.

    A number, boolean or date is what YAML made of an unquoted value. The
    text the user wrote is lost (``0777`` and ``511`` both read as 511), so
    the hint never pretends to know it: it says what YAML read and to quote
    the value as written. A secret's value is never shown.
    """
    if isinstance(value, str):
        return value
    reading = yaml_reading(value, secret)
    if reading is None:
        raise ProvisioningError("must be a string, got %s" % type(value).__name__, device=device, field=field)
    raise ProvisioningError(
        "must be a string, but YAML read it as %s: quote the %s exactly as written in the inventory (%s: \"...\") so "
        "that it reaches the phone as written (YAML reads unquoted 0777 as 511, 12:30 as 750, yes as true)"
        % (reading, what, field.rsplit(".", 1)[-1]), device=device, field=field)


def _check_range(value, device, field):
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise ProvisioningError("must be a list of two integers [low, high], got %s" % quote_value(value),
                                device=device, field=field)
    low, high = value
    if not 1 <= low <= high:
        raise ProvisioningError("needs 1 <= low <= high, got %s" % quote_value(value), device=device, field=field)
    return [low, high]


def check_settings(settings, device=None, field_prefix="settings", errors=None):
    """Check a whole settings mapping; returns a new dict with converted values.

    Every bad setting is an error; with an :class:`~._errors.ErrorCollector`
    they are recorded there and the good settings returned, else they are
    raised together.
    """
    collector = ErrorCollector() if errors is None else errors
    checked = {}
    if settings is None:
        return checked
    if not isinstance(settings, dict):
        collector.add(ProvisioningError("must be a mapping of settings, got %s" % type(settings).__name__,
                                        device=device, field=field_prefix))
    else:
        for name, value in settings.items():
            with collector.check():
                checked[name] = check_setting(name, value, device, field_prefix)
    if errors is None:
        collector.raise_if_any()
    return checked


def merge_settings(*levels):
    """Merge settings mappings, later levels winning; ``None`` values unset nothing."""
    merged = {}
    for level in levels:
        for name, value in level.items():
            if value is not None:
                merged[name] = value
    for name, spec in all_settings().items():
        if spec.default is not None:
            merged.setdefault(name, spec.default)
    return merged


class Inventory:
    """The validated ``sipfleet_defaults``, ``sipfleet_sites`` and ``sipfleet_models``.

    Without ``errors`` every error is raised together; with an
    :class:`~._errors.ErrorCollector` they are recorded there and the
    inventory keeps what is valid, so the devices can still be checked.
    """

    def __init__(self, defaults=None, sites=None, models=None, errors=None, strict=False):
        collector = ErrorCollector() if errors is None else errors
        if not isinstance(strict, bool):
            collector.add(ProvisioningError("must be true or false, got %s" % quote_value(strict),
                                            field="sipfleet_strict"))
            strict = False
        #: ``sipfleet_strict``: a setting a device's vendor or model cannot carry is an error, not a warning.
        self.strict = strict
        #: ``{(vendor, field, reason): [device labels]}`` of the settings devices do not get (see :meth:`not_carried`).
        self.dropped = {}
        self.defaults = check_settings(defaults, field_prefix="sipfleet_defaults", errors=collector)
        self.sites = {}
        for site, settings in _mapping(sites, "sipfleet_sites", collector).items():
            self.sites[str(site)] = check_settings(settings, field_prefix="sipfleet_sites.%s" % site, errors=collector)
        self.models = {}
        for model, settings in _mapping(models, "sipfleet_models", collector).items():
            key = canonical_model(str(model))
            if key in self.models:
                collector.add(ProvisioningError("model %s is listed twice (names are case-insensitive)" % key,
                                                field="sipfleet_models.%s" % model))
                continue
            self.models[key] = check_settings(settings, field_prefix="sipfleet_models.%s" % model, errors=collector)
        #: Values renderers derive from these settings alone (shared parameter
        #: sets): computed once per run, not once per device.
        self.derived = {}
        if errors is None:
            collector.raise_if_any()

    def not_carried(self, device, vendor, field, reason):
        """Report that ``device`` does not get the setting at ``field`` (``settings.language``): ``reason`` says why.

        Nothing an inventory sets is dropped silently: each is a warning of
        the run, grouped by vendor, field and reason (:meth:`warnings`), or
        under ``sipfleet_strict`` an error naming the device and the field.
        """
        if self.strict:
            raise ProvisioningError("%s devices do not get this setting: %s (sipfleet_strict is true; unset it for "
                                    "this device or model)" % (vendor, reason), device=device, field=field)
        self.dropped.setdefault((vendor, field, reason), []).append(device)

    def warnings(self, shown=5):
        """One line per vendor, field and reason of :meth:`not_carried`, with the count and the first devices."""
        lines = []
        for (vendor, field, reason), devices in sorted(self.dropped.items()):
            names = sorted(set(devices))
            more = " and %d more" % (len(names) - shown) if len(names) > shown else ""
            lines.append("%d %s device(s) do not get %s: %s (%s%s)" % (
                len(names), vendor, field, reason, ", ".join(names[:shown]), more))
        return lines

    def model_settings(self, model):
        """Settings of files shared by every device of ``model``: defaults -> model."""
        return merge_settings(self.defaults, self.models.get(canonical_model(model), {}))

    def device_settings(self, site, model, own):
        """defaults -> site -> model -> device."""
        return merge_settings(self.defaults, self.sites.get(site, {}) if site else {},
                              self.models.get(canonical_model(model), {}), own)


def _mapping(value, field, errors):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(ProvisioningError("must be a mapping, got %s" % type(value).__name__, field=field))
        return {}
    return value


def _text(value, device, field, required=True, pattern=None, what=None, secret=False):
    if value is None or value == "":
        if required:
            raise ProvisioningError("is required", device=device, field=field)
        return None
    text = check_text(value, device, field, secret=secret)
    if pattern is not None and not pattern.fullmatch(text):
        raise ProvisioningError("%s is not a valid %s" % (quote_value(text), what), device=device, field=field)
    return text


def label_text(value):
    """A name or MAC as it appears in messages: as written when short and printable, else quoted and cut."""
    text = str(value).strip()
    if len(text) <= _MAX_LABEL_CHARS and text.isprintable():
        return text
    return quote_value(text, _MAX_LABEL_CHARS)


def device_label(raw, index):
    """How errors name a device: its name, else its MAC as written, else its position."""
    if isinstance(raw, dict):
        for key in ("name", "mac"):
            value = raw.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return label_text(value)
    return "sipfleet_devices[%d]" % index


def _mac(value, label):
    if value is None or value == "":
        raise ProvisioningError("is required", device=label, field="mac")
    if not isinstance(value, str):
        check_text(value, label, "mac", what="MAC address")
    if len(value) > _MAX_MAC_CHARS:
        raise ProvisioningError("%s is not a MAC address" % quote_value(value), device=label, field="mac")
    return normalize_mac(value, device=label, field="mac")


def build_device(raw, index, inventory, vendor_for_model, errors=None):
    """Validate one ``sipfleet_devices`` entry and return a :class:`Device`.

    ``vendor_for_model(model)`` returns the vendor name of a known model or
    ``None``; it comes from the vendor registry, which this module does not
    import so that it stays free of vendor details.

    Every independent field error is reported: without ``errors`` they are
    raised together, with an :class:`~._errors.ErrorCollector` they are
    recorded there and ``None`` is returned for an invalid device.
    """
    collector = ErrorCollector()
    device = _build_device(raw, index, inventory, vendor_for_model, collector)
    if errors is None:
        collector.raise_if_any()
    elif collector:
        for error in collector.errors:
            errors.add(error)
        return None
    return device


def _build_device(raw, index, inventory, vendor_for_model, errors):
    label = device_label(raw, index)
    if not isinstance(raw, dict):
        errors.add(ProvisioningError("must be a mapping, got %s" % type(raw).__name__, device=label))
        return None
    unknown = sorted((str(key) for key in raw if key not in DEVICE_FIELDS))
    if unknown:
        errors.add(ProvisioningError(
            "unknown field(s) %s; a device has %s (put settings under 'settings')"
            % (", ".join(map(label_text, unknown)), ", ".join(DEVICE_FIELDS)), device=label, field=label_text(unknown[0])))
    name = mac = model = vendor = site = None
    with errors.check():
        name = _text(raw.get("name"), label, "name", required=False, pattern=_NAME_RE, what="device name")
    with errors.check():
        mac = _mac(raw.get("mac"), label)
    with errors.check():
        model = canonical_model(_text(raw.get("model"), label, "model", pattern=_MODEL_RE, what="model name"))
    with errors.check():
        vendor = _text(raw.get("vendor"), label, "vendor", required=False)
        if model is not None:
            known_vendor = vendor_for_model(model)
            if vendor is None:
                if known_vendor is None:
                    raise ProvisioningError("unknown model %s: set 'vendor' for a model the collection does not know"
                                            % quote_value(model), device=label, field="model")
                vendor = known_vendor
            elif known_vendor is not None and known_vendor != vendor:
                raise ProvisioningError("model %s is a %s model, not %s" % (model, known_vendor, quote_value(vendor)),
                                        device=label, field="vendor")
    with errors.check():
        site = _text(raw.get("site"), label, "site", required=False)
        if site is not None and site not in inventory.sites:
            raise ProvisioningError("unknown site %s; sipfleet_sites has %s"
                                    % (quote_value(site), ", ".join(sorted(inventory.sites)) or "none"),
                                    device=label, field="site")
    own = check_settings(raw.get("settings"), device=label, errors=errors)
    settings = inventory.device_settings(site if site in inventory.sites else None, model or "", own)
    params = _params(raw.get("params"), label, errors)
    keys = _keys(raw.get("keys"), label, errors)
    lines = _build_lines(raw.get("lines"), label, settings, errors)
    for key in settings.get("function_keys") or ():
        if key.line > max(len(lines), 1):
            errors.add(ProvisioningError("line %d: the device has %d line(s)" % (key.line, len(lines)),
                                         device=label, field=key.field + ".line"))
    if errors:
        return None
    return Device(label, name, mac, model, vendor, site, lines, params, settings, keys)


def _params(value, label, errors):
    """Raw vendor parameters: names are the vendor's to check, values must be text.

    A value is a string or (Cisco) a mapping with a string ``value`` and a
    string ``ua``; anything else (a number YAML read, null, a list, a
    mapping) is refused here, before any vendor would quote it, with its type
    only: a parameter may hold a password.
    """
    params = _mapping_of(value, label, "params", errors)
    for name, raw in params.items():
        field = "params.%s" % (label_text(name),)
        if isinstance(raw, dict):
            for key in ("value", "ua"):
                if key in raw:
                    with errors.check():
                        _param_text(raw[key], label, "%s.%s" % (field, key))
        else:
            with errors.check():
                _param_text(raw, label, field)
    return params


def _param_text(value, label, field):
    """``value`` if it is a string, else an error that names its type and never its content."""
    if value is None:
        raise ProvisioningError('must be a string, got null (use "" for an empty value)', device=label, field=field)
    return check_text(value, label, field, secret=True)


def _keys(value, label, errors):
    keys = _mapping_of(value, label, "keys", errors)
    for name, key in keys.items():
        with errors.check():
            check_text(key, label, "keys.%s" % (label_text(name),), secret=True, what="key")
    return keys


def _mapping_of(value, label, field, errors):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(ProvisioningError("must be a mapping, got %s" % type(value).__name__, device=label, field=field))
        return {}
    return dict(value)


def _build_lines(raw_lines, label, settings, errors):
    if raw_lines is None:
        return []
    if not isinstance(raw_lines, list):
        errors.add(ProvisioningError("must be a list of lines, got %s" % type(raw_lines).__name__, device=label,
                                     field="lines"))
        return []
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        line = _build_line(number, raw, label, settings, errors)
        if line is not None:
            lines.append(line)
    return lines


def _build_line(number, raw, label, settings, errors):
    field = "lines[%d]" % (number - 1)
    if not isinstance(raw, dict):
        errors.add(ProvisioningError("must be a mapping, got %s" % type(raw).__name__, device=label, field=field))
        return None
    before = len(errors)
    unknown = sorted(str(key) for key in raw if key not in LINE_FIELDS)
    if unknown:
        errors.add(ProvisioningError(
            "unknown field(s) %s; a line has %s" % (", ".join(map(label_text, unknown)), ", ".join(LINE_FIELDS)),
            device=label, field="%s.%s" % (field, label_text(unknown[0]))))
    extension = auth_user = password = display_name = sip_server = port = transport = secondary = None
    with errors.check():
        extension = _text(raw.get("extension"), label, field + ".extension")
    with errors.check():
        password = raw.get("password")
        if password is None or password == "":
            raise ProvisioningError("is required (the SIP password of extension %s)" % label_text(extension or "?"),
                                    device=label, field=field + ".password")
        password = _text(password, label, field + ".password", secret=True)
    with errors.check():
        port = check_setting("sip_port", raw.get("sip_port"), label, field)
    with errors.check():
        # The line's field is "transport", the setting's "sip_transport".
        transport = check_setting("sip_transport", raw.get("transport"), label, field=field + ".transport")
    with errors.check():
        sip_server = _text(raw.get("sip_server"), label, field + ".sip_server", required=False) or settings.get("sip_server")
        if sip_server is None:
            raise ProvisioningError("no SIP server: set sip_server on the line or in the settings", device=label,
                                    field=field + ".sip_server")
    with errors.check():
        secondary = _text(raw.get("sip_server_secondary"), label, field + ".sip_server_secondary",
                          required=False) or settings.get("sip_server_secondary")
    with errors.check():
        auth_user = _text(raw.get("auth_user"), label, field + ".auth_user", required=False)
    with errors.check():
        display_name = _text(raw.get("display_name"), label, field + ".display_name", required=False)
    if len(errors) != before:
        return None
    return Line(
        number=number,
        extension=extension,
        auth_user=auth_user or extension,
        password=password,
        display_name=display_name or extension,
        sip_server=sip_server,
        sip_port=port if port is not None else settings["sip_port"],
        transport=transport if transport is not None else settings["sip_transport"],
        sip_server_secondary=secondary,
    )


def build_fleet(devices, inventory, vendor_for_model, errors=None):
    """Validate every device; duplicate MACs and names are errors naming both devices.

    Every device's errors are reported: without ``errors`` they are raised
    together as one :class:`~._errors.ProvisioningErrors`; with an
    :class:`~._errors.ErrorCollector` they are recorded there and the valid
    devices are returned.
    """
    collector = ErrorCollector() if errors is None else errors
    fleet = []
    if devices is None:
        devices = []
    if not isinstance(devices, list):
        collector.add(ProvisioningError("must be a list of devices, got %s" % type(devices).__name__,
                                        field="sipfleet_devices"))
        devices = []
    by_mac = {}
    by_name = {}
    for index, raw in enumerate(devices):
        device = build_device(raw, index, inventory, vendor_for_model, errors=collector)
        if device is None:
            continue
        other = by_mac.get(device.mac)
        if other is not None:
            collector.add(ProvisioningError(
                "duplicate MAC %s: also used by device %s (sipfleet_devices[%d]; this is sipfleet_devices[%d])"
                % (device.mac, other[0].label, other[1], index), device=device.label, field="mac"))
            continue
        by_mac[device.mac] = (device, index)
        if device.name is not None:
            other = by_name.get(device.name)
            if other is not None:
                collector.add(ProvisioningError(
                    "duplicate name: the devices with MAC %s (sipfleet_devices[%d]) and %s (sipfleet_devices[%d]) "
                    "both have it" % (other[0].mac, other[1], device.mac, index), device=device.label, field="name"))
                continue
            by_name[device.name] = (device, index)
        fleet.append(device)
    if errors is None:
        collector.raise_if_any()
    return fleet


def build_model(devices, defaults, sites, models, vendor_for_model, errors=None, strict=False):
    """``(inventory, fleet)`` of the data model, every error of both reported together."""
    collector = ErrorCollector() if errors is None else errors
    inventory = Inventory(defaults, sites, models, errors=collector, strict=strict)
    fleet = build_fleet(devices, inventory, vendor_for_model, errors=collector)
    if errors is None:
        collector.raise_if_any()
    return inventory, fleet
