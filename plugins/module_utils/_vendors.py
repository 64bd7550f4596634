# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The vendor registry and the fleet renderer.

To add a vendor: write ``_vendor_<name>.py`` with a ``RENDERER`` (see
``_vendor_base.py``) and add its module to :data:`_VENDOR_MODULES`.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils import (
    _vendor_cisco_mpp,
    _vendor_cisco_spa,
    _vendor_grandstream,
    _vendor_panasonic,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import build_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ErrorCollector, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendor_base import check_relative_path

_VENDOR_MODULES = (
    _vendor_grandstream,
    _vendor_cisco_spa,
    _vendor_cisco_mpp,
    _vendor_panasonic,
)

VENDORS = dict((module.RENDERER.name, module.RENDERER) for module in _VENDOR_MODULES)


def vendor_for_model(model):
    """The name of the vendor that knows ``model`` (canonical upper case), or ``None``."""
    for renderer in VENDORS.values():
        if renderer.model_info(model) is not None:
            return renderer.name
    return None


def renderer_for(device):
    renderer = VENDORS.get(device.vendor)
    if renderer is None:
        raise device.error("unknown vendor %r; known vendors: %s" % (device.vendor, ", ".join(sorted(VENDORS))), field="vendor")
    return renderer


def load_fleet(devices, defaults=None, sites=None, models=None):
    """Validate the whole inventory: returns ``(inventory, devices)``.

    Every error is collected - each independent field error of the data
    model, then the first vendor error of each device the model accepts -
    and raised together as one :class:`~._errors.ProvisioningErrors`, so one
    run shows everything there is to fix.
    """
    errors = ErrorCollector()
    inventory, fleet = build_model(devices, defaults, sites, models, vendor_for_model, errors=errors)
    for device in fleet:
        with errors.check():
            renderer_for(device).validate(device, inventory)
    errors.raise_if_any()
    return inventory, fleet


def required_keys(fleet):
    """``{device label: {key name: bytes}}`` for every device that needs keys."""
    wanted = {}
    for device in fleet:
        specs = renderer_for(device).key_specs(device)
        if specs:
            wanted[device.label] = specs
    return wanted


def render_fleet(inventory, fleet, rotations=None, keep_plaintext=True):
    """Render every file of a validated fleet; returns a list of :class:`ProfileFile`.

    ``rotations`` maps the label of a device whose keys are being changed to
    the same device with its new keys: such a device gets the files of
    :meth:`~._vendor_base.VendorRenderer.render_rotation`.
    ``keep_plaintext=False`` drops the decrypted copy of each encrypted file
    as soon as it is made (it only serves ``--diff``): at 100,000 devices it
    is half of the memory the files take.

    Two files with the same path are an error naming both owners: one phone
    must never be served another's profile.
    """
    files = []
    by_vendor = {}
    for device in fleet:
        renderer = renderer_for(device)
        by_vendor.setdefault(renderer.name, []).append(device)
        next_device = (rotations or {}).get(device.label)
        if next_device is None:
            rendered = renderer.render_device(device, inventory)
        else:
            rendered = renderer.render_rotation(device, next_device, inventory)
        if not keep_plaintext:
            for profile_file in rendered:
                profile_file.plaintext = None
        files.extend(_tagged(renderer, rendered))
    for name in sorted(by_vendor):
        files.extend(_tagged(VENDORS[name], VENDORS[name].render_shared(by_vendor[name], inventory)))
    owners = {}
    for profile_file in files:
        check_relative_path(profile_file.path, device=profile_file.device)
        other = owners.get(profile_file.path)
        if other is not None:
            raise ProvisioningError(
                "file %s would be written twice, for %s and for %s"
                % (profile_file.path, other.device or "shared files", profile_file.device or "shared files"),
                device=profile_file.device, field="path")
        owners[profile_file.path] = profile_file
    return files


def _tagged(renderer, files):
    for profile_file in files:
        profile_file.vendor = renderer.name
    return files
