# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: shard_keys
short_description: The key store's keys of the devices of a host's shard
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - "Of the key store's C({MAC: {key name: hex}}) mapping (RV(sipfleet.provisioning.key_store#module:device_keys) or
    RV(sipfleet.provisioning.key_store#module:device_next_keys)), the entries of the devices of O(shard) (a host's
    C(sipfleet_shard)), selected from the fleet bundle by the code M(sipfleet.provisioning.phone_profiles)' action
    selects a shard with: a shard host gets the HTTP passwords of its own devices only, never another shard's."
  - Without a shard (V(null)), the mapping as it is.
  - "The shard's file is made next to the bundle, as M(sipfleet.provisioning.phone_profiles) makes it (once per
    distinct shard, then reused), and the same errors name the host: a shard that does not parse, an unknown site,
    a shard that selects no device."
  - Runs on the controller, where the bundle is.
requirements:
  - jmespath (Python library) on the controller, for a shard given as a query
options:
  _input:
    description: "The key store's C({MAC: {key name: hex}}) mapping."
    type: dict
    required: true
  fleet_bundle:
    description: RV(sipfleet.provisioning.key_store#module:fleet_bundle) of the play (C(fleet_bundle=true)).
    type: dict
    required: true
  shard:
    description: The host's C(sipfleet_shard), or V(null) for the whole fleet.
    type: dict
  host:
    description: The host's name, for error messages.
    type: string
"""

EXAMPLES = r"""
- name: Give nginx the HTTP passwords of this host's devices only
  ansible.builtin.include_role:
    name: sipfleet.provisioning.http_server
    tasks_from: device_credentials
  vars:
    http_server_device_keys: >-
      {{ sipfleet_key_store.device_keys | sipfleet.provisioning.shard_keys(sipfleet_key_store.fleet_bundle,
         sipfleet_shard | default(none), inventory_hostname) }}
"""

RETURN = r"""
_value:
  description: The entries of O(_input) whose MAC is a device of the shard.
  type: dict
"""

import json

from ansible.errors import AnsibleError, AnsibleFilterError

from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._fleet_bundle import (
    check_bundle_value,
    check_shard,
    shard_bundle,
    shard_macs,
)


def shard_keys(keys, fleet_bundle, shard=None, host=None):
    """The entries of ``keys`` of the devices of ``shard``; see DOCUMENTATION."""
    if shard is None:
        return keys
    if not isinstance(keys, dict):
        raise AnsibleFilterError("shard_keys: the input must be the key store's {MAC: {key name: hex}} mapping")
    host = host or "?"
    try:
        bundle = shard_bundle(check_bundle_value(fleet_bundle), check_shard(shard, host), host)
        with open(bundle["path"], "rb") as handle:
            devices = json.loads(handle.read().decode("utf-8"))["devices"]
    except AnsibleError as exc:
        raise AnsibleFilterError("shard_keys: %s" % exc.message) from None
    except (OSError, ValueError, KeyError) as exc:
        raise AnsibleFilterError("shard_keys: cannot read the shard's bundle: %s" % type(exc).__name__) from None
    macs = shard_macs(devices)
    return dict((mac, value) for mac, value in keys.items() if mac in macs)


class FilterModule:
    """The keys of a shard."""

    def filters(self):
        return {"shard_keys": shard_keys}
