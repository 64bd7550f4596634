# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: render_profiles
short_description: Render every provisioning file of a fleet of phones
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Validates the whole inventory (O(_input), O(defaults), O(sites), O(models)) and renders, for every device, the files
    its phone downloads, in the vendor's native format. Grandstream C(gs_provision) XML and the legacy binary
    C(cfg<mac>); Cisco/Linksys SPA and Cisco MPP C(flat-profile) XML with the C(spa$PSN.cfg) and C(ata$PSN.cfg)
    bootstrap files; Panasonic C(Config{MAC}.cfg), C(Config{MODEL}.cfg), C(ConfigCom.cfg) and the per-model
    bootstrap.
  - Settings merge in the order O(defaults), site (O(sites)), model (O(models)), device (its C(settings)); a device's
    raw C(params) are applied last and always win over mapped settings.
  - Nothing is rendered unless every device is valid; the error names the device and the field (a malformed or
    duplicate MAC, an unknown model, a value the format cannot carry, a missing password or key).
  - Encryption (C(encrypt_profiles), on by default) needs each device's keys in its C(keys) field, as lower-case hex
    strings. The C(sipfleet.provisioning.phone_profiles) module manages them for you; this filter is for custom
    pipelines that only want the files.
  - There are no bootstrap windows here. Files that deliver a device's key in plain text are always in the result;
    what the module serves at their path once a window has closed (the encrypted Panasonic C(Config{MAC}.cfg)) is not.
  - A device file that carries a SIP or administrator password in plain text over TFTP, plain HTTP or FTP is an error
    unless the device's settings have C(allow_plain_credentials=true); each such device is then a warning.
  - See the C(docs/) directory of the collection for the data model and each vendor's files, fetch order and
    parameter tables.
requirements:
  - cryptography (Python library) on the controller, to encrypt the profiles; ansible-core requires it, so it is
    there
  - the time-zone database (tzdata on Debian and Ubuntu) on the controller, for a device whose timezone is an IANA
    name
options:
  _input:
    description:
      - The devices, as in C(sipfleet_devices). Each has C(mac), C(model), optional C(name), C(vendor), C(site),
        C(lines), C(params), C(settings) and C(keys).
    type: list
    elements: dict
    required: true
  defaults:
    description:
      - Generic settings for every device, as in C(sipfleet_defaults).
    type: dict
  sites:
    description:
      - Settings per site, as in C(sipfleet_sites).
    type: dict
  models:
    description:
      - Settings per model, as in C(sipfleet_models).
    type: dict
  strict:
    description:
      - Whether a setting a device's vendor or model cannot carry is an error (as C(sipfleet_strict)) rather than a
        warning.
    type: bool
    default: false
  directory:
    description:
      - The phone directory, as in C(sipfleet_directory) (C(fleet), C(per_site), C(contacts)); each family with a
        documented phonebook format gets its phonebook file and its devices' profiles point at it. Undefined or null,
        no directory.
    type: dict
notes:
  - The result contains SIP passwords and keys. Use C(no_log) on tasks that register or display it.
"""

EXAMPLES = r"""
- name: Render the fleet's files
  ansible.builtin.set_fact:
    phone_files: >-
      {{ sipfleet_devices | sipfleet.provisioning.render_profiles(defaults=sipfleet_defaults,
         sites=sipfleet_sites, models=sipfleet_models) }}
  no_log: true

- name: List what each device gets
  ansible.builtin.debug:
    msg: "{{ phone_files | map(attribute='path') | list }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per file, in a stable order.
  type: list
  elements: dict
  contains:
    path:
      description: Path relative to the provisioning root, as the phone requests it.
      type: str
      sample: cfg000b82123456.xml
    content:
      description: The file's bytes, base64-encoded.
      type: str
    device:
      description: Label of the device the file belongs to (its C(name), else its MAC), or null for a shared file.
      type: str
    vendor:
      description: Vendor of the device, or of the models, the file serves.
      type: str
    role:
      description:
        - V(profile) (the device's configuration), V(bootstrap) (a plain file that delivers a key or points the phone
          to its profile), V(model) or V(common) (settings shared by a model or the fleet).
      type: str
    secret:
      description: True when the file carries passwords or keys in readable form (serve it 0640 or stricter).
      type: bool
    encrypted:
      description: True when the file is encrypted.
      type: bool
"""

import base64

from ansible.utils.display import Display

from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import filter_errors


@filter_errors
def render_profiles(devices, defaults=None, sites=None, models=None, directory=None, strict=False):
    """Render every file of the fleet; see DOCUMENTATION."""
    inventory, fleet = load_fleet(devices, defaults, sites, models, directory, strict=strict)
    warnings = []
    rendered = render_fleet(inventory, fleet, warnings=warnings)
    for warning in warnings:
        Display().warning(warning)
    result = []
    for profile_file in sorted(rendered, key=lambda item: item.path):
        if profile_file.after_window:
            # Without windows the key carrier at that path is what is served.
            continue
        result.append({
            "path": profile_file.path,
            "content": base64.b64encode(profile_file.content).decode("ascii"),
            "device": profile_file.device,
            "vendor": profile_file.vendor,
            "role": profile_file.role,
            "secret": profile_file.secret,
            "encrypted": profile_file.plaintext is not None,
        })
    return result


class FilterModule:
    """Profile rendering filter."""

    def filters(self):
        return {"render_profiles": render_profiles}
