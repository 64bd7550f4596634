# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet renderer: validates a whole inventory and renders every device's files.

The vendors themselves are packages under ``_vendors/``, listed by
``_vendors/registry.py``; this module only reads the registry.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import all_settings, build_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import check_directory, render_directories
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ErrorCollector, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _parallel
from ansible_collections.sipfleet.provisioning.plugins.module_utils._parallel import map_devices
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import check_relative_path, is_key_carrier
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import (
    VENDORS,
    renderer_for,
    vendor_for_model,
)

#: ``{name: Setting}`` of every setting an inventory may use: the generic ones
#: and those the registered families declare (``VendorDescription.settings``).
SETTINGS = all_settings()


#: The fleet bundle key_store's action writes once per play (plugin_utils/_fleet_bundle.py): an inventory
#: file with this format marker, whose sha256 the module checks.
BUNDLE_FORMAT = "sipfleet-fleet-bundle"
BUNDLE_VERSION = 1


def read_inventory_file(path, names, sha256=None):
    """The options ``names`` that an ``inventory_file`` holds (an action plugin writes it), or an error naming it.

    The file is the JSON object the action plugins of ``phone_profiles``,
    ``fleet_status`` and ``resync`` write; options it does not hold are left out.
    With ``sha256`` it is a fleet bundle: its bytes must have that digest
    (a file truncated or replaced in transit is never rendered) and its
    format marker must be one this module reads.
    """
    field = "inventory_file" if sha256 is None else "fleet_bundle"
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
            raise ProvisioningError("the fleet bundle %s does not match its sha256 %s" % (path, sha256), field=field)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvisioningError("cannot read the %s %s: %s"
                                % ("inventory file" if sha256 is None else "fleet bundle", path, exc), field=field)
    if not isinstance(data, dict):
        raise ProvisioningError("%s must hold a JSON object with %s" % (path, ", ".join(names)), field=field)
    if sha256 is not None and (data.get("format"), data.get("version")) != (BUNDLE_FORMAT, BUNDLE_VERSION):
        raise ProvisioningError("%s is not a fleet bundle of version %d this module reads (format %s, version %s)"
                                % (path, BUNDLE_VERSION, data.get("format"), data.get("version")), field=field)
    return dict((name, data[name]) for name in names if name in data)


def load_fleet(devices, defaults=None, sites=None, models=None, directory=None, strict=False, workers=1,
               warnings=None, only=None, other_lines=None):
    """Validate the whole inventory: returns ``(inventory, devices)``.

    ``directory`` is ``sipfleet_directory``: kept, validated, as
    ``inventory.directory`` (``None`` when undefined: no directory), with
    ``other_lines`` (a shard's other devices' lines, see ``_directory.OTHER_LINES``).

    Every error is collected - each independent field error of the data
    model, then the first vendor error of each device the model accepts,
    and the first error of its generic settings (a function key its model
    cannot carry; under ``strict``, a setting its vendor or model does not
    carry) - and raised together as one :class:`~._errors.ProvisioningErrors`,
    so one run shows everything there is to fix. The settings devices do not
    get are the inventory's :meth:`~._device_model.Inventory.warnings`.

    ``workers`` processes share the vendors' checks (see
    :func:`~._parallel.map_devices`: the same errors in the same order);
    ``warnings``, a list, gets a line if the pool could not start.

    ``only(device)``, when given, says which devices the vendors check (an
    incremental run: the others passed with the same inputs before); the
    data model and the directory are checked whole every time, and the
    others take part, in their places, in the vendors' checks across
    devices (``validate_shared``): the errors are a full run's, in its order.
    """
    errors = ErrorCollector()
    inventory, fleet = build_model(devices, defaults, sites, models, vendor_for_model, errors=errors, strict=strict)
    inventory.directory = check_directory(directory, errors, other_lines)
    checked = fleet if only is None else [device for device in fleet if only(device)]
    if only is not None:
        validating = set(id(device) for device in checked)
        checked = [(device, id(device) in validating) for device in fleet]
        if len(validating) < max(_parallel.PARALLEL_MIN_DEVICES, 2):
            # The checks across devices, and one device's own, are not worth a fork
            # (map_devices' own rule, counted on the devices really validated).
            workers = 1
    for found in map_devices(_validate_devices, inventory, checked, workers, warnings):
        errors.errors.extend(found)
    errors.raise_if_any()
    return inventory, fleet


def _validate_devices(inventory, devices):
    """The vendor checks of ``devices``, in order: their errors, at most one of each kind a device."""
    errors = ErrorCollector()
    for device in devices:
        validated = True
        if isinstance(device, tuple):
            # An incremental run: (device, validated this run?).
            device, validated = device
        renderer = renderer_for(device)
        if not validated:
            with errors.check():
                renderer.validate_shared([device], inventory)
            continue
        with errors.check():
            renderer.validate(device, inventory)
        with errors.check():
            renderer.check_generic_settings(device, inventory)
    return errors.errors


def required_keys(fleet):
    """``{device label: {key name: bytes}}`` for every device that needs keys."""
    wanted = {}
    for device in fleet:
        specs = renderer_for(device).key_specs(device)
        if specs:
            wanted[device.label] = specs
    return wanted


def render_fleet(inventory, fleet, rotations=None, keep_plaintext=True, warnings=None, http_credentials_enforced=False,
                 workers=1, only=None, cached=None):
    """Render every file of a validated fleet; returns a list of :class:`ProfileFile`.

    ``rotations`` maps the label of a device whose keys are being changed to
    the same device with its new keys: such a device gets the files of
    :meth:`~._vendors.base.VendorRenderer.render_rotation`.
    ``keep_plaintext=False`` drops the decrypted copy of each encrypted file
    as soon as it is made (it only serves ``--diff``): at 100,000 devices it
    is half of the memory the files take.

    Two files with the same path are an error naming both owners: one phone
    must never be served another's profile. The one exception is a key
    carrier and its ``after_window`` replacement, of the same device (see
    :func:`~._vendors.base.select_window_files`).

    A device file that carries a password in plain text over a plain
    transport is an error unless the inventory allows it (see
    :func:`check_plain_credentials`; ``http_credentials_enforced`` says the
    servers ask for the devices' own HTTP credentials); the warnings it
    gives then are appended to ``warnings`` when a list is passed, after
    the inventory's own (the settings devices do not get, see
    :meth:`~._device_model.Inventory.warnings`), and so are those of the
    directory (``inventory.directory``, see
    :func:`~._directory.render_directories`), whose phonebooks are shared
    files of the run.

    ``workers`` processes share the devices' rendering (see
    :func:`~._parallel.map_devices`: the same files in the same order, the
    same first error); a line goes to ``warnings`` if the pool could not start.

    ``only(device)``, when given, says which devices are rendered (an
    incremental run); the files of the others are ``cached`` (stubs of the
    render cache, placed after the rendered ones). Shared files, phonebooks
    and every check across devices still cover the whole ``fleet``.
    """
    files = []
    by_vendor = {}
    for device in fleet:
        by_vendor.setdefault(renderer_for(device).name, []).append(device)
    pool_warnings = []

    def render_devices(inventory, devices):
        return _render_devices(inventory, devices, rotations or {}, keep_plaintext)

    rendering = fleet if only is None else [device for device in fleet if only(device)]
    for rendered in map_devices(render_devices, inventory, rendering, workers, pool_warnings):
        files.extend(rendered)
        del rendered[:]     # each chunk's list gone once merged
    if only is not None:
        files.extend(cached or ())
    for name in sorted(by_vendor):
        files.extend(_tagged(VENDORS[name], VENDORS[name].render_shared(by_vendor[name], inventory)))
    # The phonebook of each family (sipfleet_directory), and a warning per family that gets none.
    directory_files, directory_warnings = render_directories(inventory, fleet, renderer_for)
    files.extend(directory_files)
    owners = {}
    replacements = {}
    for profile_file in files:
        check_relative_path(profile_file.path, device=profile_file.device)
        table = replacements if profile_file.after_window else owners
        other = table.get(profile_file.path)
        if other is not None:
            raise ProvisioningError(
                "file %s would be written twice, for %s and for %s"
                % (profile_file.path, other.device or "shared files", profile_file.device or "shared files"),
                device=profile_file.device, field="path")
        table[profile_file.path] = profile_file
    for path, replacement in replacements.items():
        carrier = owners.get(path)
        if carrier is not None and not (carrier.device == replacement.device and is_key_carrier(carrier)):
            raise ProvisioningError(
                "file %s would be written twice, for %s and for %s"
                % (path, carrier.device or "shared files", replacement.device), device=replacement.device, field="path")
    found = check_plain_credentials(fleet, files, http_credentials_enforced)
    if warnings is not None:
        warnings.extend(inventory.warnings())
        warnings.extend(found + directory_warnings + pool_warnings)
    return files


def _render_devices(inventory, devices, rotations, keep_plaintext):
    """The files of ``devices`` (rotating ones: :meth:`~._vendors.base.VendorRenderer.render_rotation`), in order."""
    files = []
    for device in devices:
        renderer = renderer_for(device)
        next_device = rotations.get(device.label)
        if next_device is None:
            rendered = renderer.render_device(device, inventory)
        else:
            rendered = renderer.render_rotation(device, next_device, inventory)
        if not keep_plaintext:
            for profile_file in rendered:
                profile_file.plaintext = None
        files.extend(_tagged(renderer, rendered))
    return files


#: URL schemes that carry a file in readable form to whoever listens or asks.
PLAIN_SCHEMES = ("tftp", "http", "ftp")
#: URL schemes whose requests carry no HTTP credentials.
CREDENTIAL_LESS_SCHEMES = ("tftp", "ftp")


def credential_fields(device):
    """The inventory fields of the passwords a device's own file carries: every line's, the admin password."""
    fields = ["lines[%d].password" % index for index, line in enumerate(device.lines) if line.password]
    if device.settings.get("admin_password"):
        fields.append("settings.admin_password")
    return fields


def check_plain_credentials(fleet, files, http_credentials_enforced=False):
    """No SIP or admin password in plain text over a plain transport, unless the inventory says so.

    A device with per-device HTTP credentials (its family declares them and
    its inventory opts in) may fetch over plain HTTP when
    ``http_credentials_enforced`` says the servers ask for them (the
    http_server role's per-device credentials are on): the server then gives
    its own files only to a request carrying them. Over TFTP or FTP, which
    carry no credentials, it is an error naming the setting; so is a device
    of such a family that does not opt in while the servers ask for the
    credentials (they would refuse it its own files).

    A device whose own served file (not a key carrier: those are the
    bootstrap windows) is marked ``secret`` carries its passwords readable by
    anyone who fetches or overhears it. When the device fetches it over
    TFTP, plain HTTP or FTP, or the inventory does not say how (no
    ``provisioning_url``), the run stops naming the device and the field
    (``settings.encrypt_profiles`` where the model can encrypt, else the first
    password), unless ``allow_plain_credentials`` is true: then it returns a
    warning for the device. Returns the list of warnings.
    """
    readable = set(item.device for item in files
                   if item.device is not None and item.secret and not is_key_carrier(item) and not item.after_window)
    warnings = []
    for device in fleet:
        renderer = renderer_for(device)
        scheme = renderer.transport(device)
        protected = renderer.has_http_credentials(device)
        facts = renderer.description.http_credentials if renderer.description is not None else None
        if http_credentials_enforced and facts is not None and not protected:
            # The servers ask for credentials on every file of the family's
            # pattern: this device would get 401 for its own file forever.
            raise ProvisioningError(
                "is off, but the servers ask for the own HTTP credentials of every %s device "
                "(http_server_device_credentials_enabled) and would refuse this device its files: set "
                "http_credentials: true (a model that cannot take them cannot be served by these servers: %s)"
                % (renderer.title, renderer.description.docs), device=device.label,
                field="settings.%s" % facts.setting)
        if protected and scheme in CREDENTIAL_LESS_SCHEMES:
            raise ProvisioningError(
                "is on, but the device fetches its files over %s (settings.provisioning_url), which carries no HTTP "
                "credentials: use an http or https provisioning_url" % scheme.upper(),
                device=device.label, field="settings.%s" % renderer.description.http_credentials.setting)
        if device.label not in readable:
            continue
        fields = credential_fields(device)
        if not fields:
            continue
        if scheme is not None and scheme not in PLAIN_SCHEMES:
            continue
        if protected and scheme == "http" and http_credentials_enforced:
            # The server gives the file only to a request with this device's
            # own credentials: no stranger can fetch it. It still crosses
            # the network readable (docs/keys.md says so; https for that).
            continue
        how = ("over %s (settings.provisioning_url)" % scheme.upper() if scheme is not None
               else "over whatever transport its DHCP options or factory settings name (no provisioning_url)")
        encryptable = renderer.can_encrypt(device)
        what = ("its profile is not encrypted (encrypt_profiles is false)" if encryptable
                else "its model %s is not documented to read an encrypted profile" % device.model)
        if device.settings.get("allow_plain_credentials"):
            warnings.append("%s: %s carries %s in plain text %s; allowed by allow_plain_credentials"
                            % (device.label, ", ".join(fields), "its passwords" if len(fields) > 1 else "a password", how))
            continue
        remedy = "set encrypt_profiles to true, or use " if encryptable else "use "
        raise ProvisioningError(
            "%s, so the file that carries %s would reach anyone %s: %s%s, or set allow_plain_credentials: true "
            "to serve it anyway" % (what, ", ".join(fields), how, remedy, renderer.secure_transport),
            device=device.label, field="settings.encrypt_profiles" if encryptable else fields[0])
    return warnings


def _tagged(renderer, files):
    for profile_file in files:
        profile_file.vendor = renderer.name
    return files
