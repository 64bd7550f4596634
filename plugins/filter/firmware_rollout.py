# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: firmware_rollout
short_description: Set the firmware version of a fleet's devices wave by wave
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Takes the device list (C(sipfleet_devices)) and a rollout spec, and returns the device list with
    C(settings.firmware_version) and C(settings.firmware_url) set for a staged firmware rollout.
  - The spec lists waves in rollout order; each wave selects devices by site, model, device name or MAC. The devices of
    every wave up to and including O(rollout.current_wave) get O(rollout.version) and O(rollout.url); the other devices
    of the rollout's scope get O(rollout.previous_version) and O(rollout.previous_url) when they are given, and are
    left as they are otherwise. Moving O(rollout.current_wave) to the next wave upgrades exactly the devices of that
    wave.
  - Within one wave, C(sites) and C(models) are filters that must all match; C(devices) names devices by name or MAC
    (any form the data model accepts) and adds them to the wave. A device named in one wave's C(devices) belongs to
    that wave alone, so a pilot can pick phones from sites that a later wave selects as a whole. A wave with
    C(rest=true), which must be the last one, takes every device of the scope that no other wave selects.
  - Devices outside O(rollout.models), and devices whose settings already have the wanted values, are returned as
    they are (the same objects); the others are shallow copies with a new C(settings) mapping. The input is never
    modified. 100,000 devices take a fraction of a second.
  - Fails, naming the field, on an invalid spec, an unknown O(rollout.current_wave), a site, model, name or MAC that
    selects no device, and a device selected by two waves or in the scope of two rollouts.
  - The result is the input of the C(sipfleet.provisioning.render_profiles) filter and of the roles that render the
    profiles; each vendor maps C(firmware_version) and C(firmware_url) as its page under C(docs/vendors/) describes.
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _input:
    description:
      - The devices, as in C(sipfleet_devices). Only C(name), C(mac), C(model), C(site) and C(settings) are read.
    type: list
    elements: dict
    required: true
  rollout:
    description:
      - The rollout spec, or a list of specs (for example one per vendor family, each with its own O(rollout.models)).
    type: raw
    required: true
    suboptions:
      models:
        description:
          - The scope of the rollout, the models this firmware is for (case-insensitive). Default is every device.
        type: list
        elements: str
      version:
        description:
          - The firmware version the devices of the started waves get. Quote it in YAML.
        type: str
        required: true
      url:
        description:
          - The C(firmware_url) the devices of the started waves get. Grandstream phones take the server path and build
            the file name themselves; Cisco and Panasonic phones take the URL of the image file.
        type: str
      previous_version:
        description:
          - The version the devices of the scope that are in no started wave get. Without it they keep their own.
        type: str
      previous_url:
        description:
          - The C(firmware_url) of O(rollout.previous_version). Needs O(rollout.previous_version).
        type: str
      waves:
        description:
          - The waves, in rollout order.
        type: list
        elements: dict
        required: true
        suboptions:
          name:
            description: The wave's name, unique within the rollout.
            type: str
            required: true
          sites:
            description: Select devices of these sites.
            type: list
            elements: str
          models:
            description: Select devices of these models (case-insensitive); each must be in O(rollout.models).
            type: list
            elements: str
          devices:
            description: Select these devices, by name or MAC address.
            type: list
            elements: str
          rest:
            description: Select every device of the scope that no other wave selects. Only the last wave.
            type: bool
            default: false
      current_wave:
        description:
          - The name of the last wave that gets the new version.
        type: str
        required: true
"""

EXAMPLES = r"""
- name: Upgrade the pilot phones and Berlin, the rest stays on the old firmware
  ansible.builtin.set_fact:
    sipfleet_devices: "{{ sipfleet_devices | sipfleet.provisioning.firmware_rollout(sipfleet_firmware_rollout) }}"
  vars:
    sipfleet_firmware_rollout:
      models: [GXP2160, GXP2170]
      version: "1.0.11.16"
      url: http://prov.example.net/firmware
      previous_version: "1.0.11.10"
      waves:
        - name: pilot
          devices: [it-desk, "00:0B:82:00:00:17"]
        - name: berlin
          sites: [berlin]
        - name: everyone
          rest: true
      current_wave: berlin

- name: Render the profiles of the fleet as the rollout has it
  ansible.builtin.set_fact:
    phone_files: >-
      {{ sipfleet_devices | sipfleet.provisioning.firmware_rollout(sipfleet_firmware_rollout)
         | sipfleet.provisioning.render_profiles(defaults=sipfleet_defaults, sites=sipfleet_sites,
                                                 models=sipfleet_models) }}
  no_log: true
"""

RETURN = r"""
_value:
  description:
    - The devices, in the input's order, with C(settings.firmware_version) (and C(settings.firmware_url) when the spec
      gives a URL) set on the devices of the rollout's scope.
  type: list
  elements: dict
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils._firmware_rollout import apply_rollout
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import filter_errors


@filter_errors
def firmware_rollout(devices, rollout):
    """Return ``devices`` with the rollout's firmware settings; see DOCUMENTATION."""
    return apply_rollout(devices, rollout)


class FilterModule:
    """Staged firmware rollout filter."""

    def filters(self):
        return {"firmware_rollout": firmware_rollout}
