# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hand the fleet to ``phone_profiles`` in a file rather than as arguments.

The inventory options default to the variables ``sipfleet_devices``,
``sipfleet_defaults``, ``sipfleet_sites``, ``sipfleet_models`` and ``sipfleet_directory``, read
without templating every device (see ``plugin_utils/_inventory_vars.py``).

Module arguments are embedded in the module's payload, echoed back with
``-vvv`` and written to the host's log by ``AnsibleModule``; for a fleet they
are tens of megabytes and full of passwords. This plugin moves the inventory
options into a JSON file in the task's private temporary directory on the
host, runs the module with ``inventory_file`` pointing at it, and removes the
directory afterwards.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import (
    ARGUMENT_SPEC,
    INVENTORY_FILE_OPTIONS,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._fleet_bundle import (
    check_bundle_readable,
    check_bundle_value,
    check_shard,
    select_shard,
    shard_bundle,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_action import (
    InventoryFileAction,
    send_file,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options

#: The file name of the fleet bundle in the task's temporary directory on the host.
BUNDLE_NAME = "sipfleet-fleet-bundle.json"


class ActionModule(InventoryFileAction):
    """Action plugin of ``sipfleet.provisioning.phone_profiles``."""

    MODULE = "sipfleet.provisioning.phone_profiles"
    ARGUMENT_SPEC = ARGUMENT_SPEC
    INVENTORY_FILE_OPTIONS = INVENTORY_FILE_OPTIONS

    def _shard(self, module_args):
        shard = module_args.pop("shard", None)
        # A shard is selected here, on the controller: the host never receives
        # another shard's devices or keys.
        return None if shard is None else check_shard(shard, self._task_host())

    def _task_host(self):
        # Errors about a shard name the host whose sipfleet_shard it is.
        return getattr(self, "_host_name", None) or "?"

    def send(self, module_args, task_vars):
        self._host_name = (task_vars or {}).get("inventory_hostname")
        bundle = module_args.get("fleet_bundle")
        if bundle is None:
            super().send(module_args, task_vars)
            return
        given = [name for name in INVENTORY_FILE_OPTIONS + ("device_sources",) if module_args.get(name) is not None]
        if given:
            raise AnsibleActionFail("give either fleet_bundle or %s, not both: the bundle holds the fleet and its keys"
                                    % ", ".join(given))
        bundle = check_bundle_value(bundle)
        shard = self._shard(module_args)
        if shard is not None:
            bundle = shard_bundle(bundle, shard, self._task_host())
        else:
            # Not the connection's error about a file to put: the bundle's own.
            check_bundle_readable(bundle)
        # The same bytes to every host: neither resolved nor encoded again here.
        module_args["fleet_bundle"] = dict(bundle, path=send_file(self, bundle["path"], BUNDLE_NAME))

    def inventory(self, module_args, task_vars):
        inventory = inventory_options(module_args, task_vars, self._templar, self._loader)
        module_args.pop("device_sources", None)
        shard = self._shard(module_args)
        for name in INVENTORY_FILE_OPTIONS:
            value = module_args.pop(name, None)
            # The options without an inventory variable (the keys) come from the task only.
            inventory.setdefault(name, value or {})
        if shard is not None:
            inventory = select_shard(inventory, shard, self._task_host())
        return inventory
