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

This module validates, names, renders and rotates; what it puts together
comes from the package's other modules: ``models`` (each model's facts, the
families' features, the accounts), ``settings`` (the generic settings as
P-values), ``keys`` (the function keys as VPK/MPK P-values), ``addresses``
(hosts and server paths), ``formats`` (the XML and
legacy binary encoders and decoders) and ``legacy_view`` (the legacy
binary as ``--diff`` shows it).
"""

from __future__ import annotations

import re
import unicodedata
import weakref

from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import AddressError, parse_host_port
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import merge_settings
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import standard_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import directory as _directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.addresses import _HOSTS, _host, shown
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import (
    check_param,
    describe_family,
    family_for_model,
    known_models as catalog_models,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.description import DESCRIPTION, SECRET_PARAMS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.legacy_view import (
    LEGACY_VIEW_HEADER,
    text as legacy_text,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.formats import PARAM_NAME, render_legacy_binary, render_xml
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.keys import key_pvalues, layout_for
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.models import (
    ACCOUNTS,
    LEGACY_NAMES,
    MAX_LINES,
    MODEL_LINES,
    PASSWORD_CHARSETS,
    _features,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.settings import (
    LANGUAGES,
    SETTINGS_MAP,
    _Context,
    _map_outbound_proxy,
    language_code,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    check_relative_path,
    language_not_carried,
    mask_assignments,
    mask_xml_elements,
)

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

# P-values the renderer owns: the served file names follow P234/P235, and
# P1359 must equal the key the file is encrypted with.
_NAME_PARAMS = ("P234", "P235")
_KEY_PARAM = "P1359"
_HEX_KEY = re.compile(r"(?:[0-9a-f]{2})+")


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


def shown_type(value):
    """What an error message says about a value of the wrong type: never its content, which may be a secret."""
    if value is None or isinstance(value, bool):
        return repr(value)
    return "a %s" % type(value).__name__


def shown_param(name, value):
    """A P-value's value for an error message, or a placeholder for a secret one."""
    return "a secret value" if is_secret_param(name) else repr(value)


def served_name(basic, extension, prefix, postfix):
    """The file name a phone requests: config prefix P234 + basic name + extension + postfix P235."""
    prefix = prefix or ""
    postfix = postfix or ""
    if POSTFIX_AFTER_EXTENSION:
        return prefix + basic + extension + postfix
    return prefix + basic + postfix + extension


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

    name = DESCRIPTION.name
    title = DESCRIPTION.title
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

    # -- generic settings a model does not get --

    def settings_not_carried(self, device):
        """What the device's files have no place for: see docs/vendors/grandstream.md, "Settings not carried"."""
        features = _features(self._family(device))
        not_carried = {"compress_profiles": "Grandstream phones read no compressed profile"}
        if layout_for(device.model) is None:
            not_carried["function_keys"] = ("the collection knows the programmable keys of the models of its Grandstream "
                                            "templates only (docs/vendors/grandstream.md)")
        if not features.backup_server:
            not_carried["sip_server_secondary"] = "the GXP legacy template (firmware 1.2.5.3) has no secondary SIP server"
        if not features.language:
            not_carried["language"] = "the GXP legacy template (firmware 1.2.5.3) has no display language setting"
        else:
            reason = language_not_carried(language_code(device.settings.get("language")), LANGUAGES, "Grandstream P1362")
            if reason:
                not_carried["language"] = reason
        if not features.xml:
            reason = "the GXP legacy family reads no XML profile, so no cfg<model>.xml or cfg.xml is written for it"
            not_carried["model_profiles"] = reason
            not_carried["common_profile"] = reason
        return not_carried

    def function_key_support(self, device):
        layout = layout_for(device.model)
        if layout is None:
            return frozenset(), 0
        return layout.types, layout.count

    # -- P-values --

    def _device_pvalues(self, device, key=None, directory=()):
        family = self._family(device)
        ctx = _Context(device.label, _features(family), device.settings, device.mac, lambda name: "settings.%s" % name)
        pvalues = _PValues(ctx)
        self._map_lines(device, family, ctx, pvalues)
        self._map_settings(ctx, pvalues, shared=False)
        function_keys = device.settings.get("function_keys")
        layout = layout_for(device.model)
        if function_keys and layout is not None:
            for name, value, field in key_pvalues(device, layout, function_keys):
                pvalues.put(name, value, field)
        if key is not None:
            pvalues.put(_KEY_PARAM, key, "keys.%s" % KEY_NAME)
        for name, value in directory:
            pvalues.put(name, value, "sipfleet_directory")
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
            if line.sip_server_secondary is not None and ctx.features.backup_server:
                pvalues.put(account["backup"], GrandstreamRenderer._backup_server(device, line, field),
                            GrandstreamRenderer._backup_field(device, line, field))
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

    @staticmethod
    def _backup_field(device, line, field):
        if line.sip_server_secondary == device.settings.get("sip_server_secondary"):
            return "settings.sip_server_secondary"
        return field + ".sip_server_secondary"

    @staticmethod
    def _backup_server(device, line, field):
        """The line's "Secondary SIP Server" value: its backup registrar (``host[:port]``) as ``host:port``.

        Written like the primary (P47, ...): the port is the value's own,
        else the line's ``sip_port``; an IPv6 address in brackets.
        """
        try:
            host = parse_host_port(line.sip_server_secondary, _HOSTS, messages={
                "host": "{value} is not host[:port] (a host name or IP address, optionally with :port)",
                "port": "{value} has a port out of range 1 to 65535"})
        except AddressError as exc:
            raise device.error(exc.message, field=GrandstreamRenderer._backup_field(device, line, field))
        return host.with_port(line.sip_port if host.port is None else host.port)

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
            if not isinstance(name, str) or not PARAM_NAME.fullmatch(name):
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
        pvalues = self._device_pvalues(device, key=key, directory=self.directory_params(device, inventory))
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

    # -- the directory (sipfleet_directory; grandstream/directory.py) --

    def directory_path(self, site):
        return standard_path(self.name, site, _directory.FILE_NAME)

    def directory_schemes(self, device):
        return _directory.SCHEMES if _features(self._family(device)).xml else _directory.LEGACY_SCHEMES

    def render_directory(self, entries):
        return _directory.render_directory(entries)

    def directory_settings(self, device, url):
        settings = _directory.directory_settings(url)
        limit = _directory.PATH_CHARS if _features(self._family(device)).xml else _directory.LEGACY_PATH_CHARS
        if len(settings[1][1]) > limit:
            raise device.error("is too long for the phonebook's server path (P331 holds at most %d characters of host and "
                               "path for the %s, and the directory's is %d)" % (limit, device.model, len(settings[1][1])),
                               field="settings.provisioning_url")
        return settings

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
