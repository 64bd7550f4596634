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

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet_status import (
    ARGUMENT_SPEC,
    INVENTORY_FILE_OPTIONS,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_action import check_task_options, send_inventory
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options

MODULE = "sipfleet.provisioning.fleet_status"


class ActionModule(ActionBase):
    """Action plugin of ``sipfleet.provisioning.fleet_status``."""

    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        try:
            # The module's own spec: a misspelt or mistyped option fails here,
            # before the inventory is written to the host. The module gets the
            # task's arguments as given (a path is expanded on the host).
            check_task_options(MODULE, ARGUMENT_SPEC, module_args, INVENTORY_FILE_OPTIONS)
            if not module_args.get("inventory_file"):
                inventory = inventory_options(module_args, task_vars, self._templar)
                # The status reads no directory.
                inventory = dict((name, inventory[name]) for name in INVENTORY_FILE_OPTIONS)
                for name in INVENTORY_FILE_OPTIONS:
                    module_args.pop(name, None)
                module_args["inventory_file"] = send_inventory(self, inventory)
            elif any(module_args.get(name) is not None for name in INVENTORY_FILE_OPTIONS):
                raise AnsibleActionFail("give either inventory_file or the inventory (devices, defaults, sites, "
                                        "models), not both")
            result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
