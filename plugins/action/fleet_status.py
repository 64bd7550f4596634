# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hand the fleet to ``fleet_status`` in a file rather than as arguments.

The inventory options default to the variables ``sipfleet_devices``,
``sipfleet_defaults``, ``sipfleet_sites`` and ``sipfleet_models``, read
without templating every device (see ``plugin_utils/_inventory_vars.py``),
as the ``phone_profiles`` action does.

Module arguments are embedded in the module's payload, echoed back with
``-vvv`` and written to the host's log by ``AnsibleModule``; for a fleet they
are tens of megabytes and full of passwords. This plugin moves the inventory
options into a JSON file in the task's private temporary directory on the
host, runs the module with ``inventory_file`` pointing at it, and removes the
directory afterwards.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet_status import (
    ARGUMENT_SPEC,
    INVENTORY_FILE_OPTIONS,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_action import InventoryFileAction
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options


class ActionModule(InventoryFileAction):
    """Action plugin of ``sipfleet.provisioning.fleet_status``."""

    MODULE = "sipfleet.provisioning.fleet_status"
    ARGUMENT_SPEC = ARGUMENT_SPEC
    INVENTORY_FILE_OPTIONS = INVENTORY_FILE_OPTIONS

    def inventory(self, module_args, task_vars):
        inventory = inventory_options(module_args, task_vars, self._templar, self._loader)
        for name in INVENTORY_FILE_OPTIONS:
            module_args.pop(name, None)
        # The status reads no directory.
        return dict((name, inventory[name]) for name in INVENTORY_FILE_OPTIONS)
