# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hand the inventory to ``resync`` in a file, as ``phone_profiles``' action plugin does.

``resync`` needs each device's vendor (for its event) and its first line's
credentials (to answer a digest challenge): it reads the inventory
variables ``sipfleet_devices``, ``sipfleet_defaults``, ``sipfleet_sites`` and
``sipfleet_models`` (templated only where a string holds template syntax,
see ``plugin_utils/_inventory_vars.py``). They go to the host as a JSON file
in the task's private temporary directory, never as module arguments
(which ``-vvv`` echoes and the host's log records: they hold the SIP
passwords), and the directory is removed afterwards.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.sipfleet.provisioning.plugins.module_utils._resync import ARGUMENT_SPEC, INVENTORY_KEYS
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_action import check_task_options, send_inventory
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options

MODULE = "sipfleet.provisioning.resync"


class ActionModule(ActionBase):
    """Action plugin of ``sipfleet.provisioning.resync``."""

    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        try:
            check_task_options(MODULE, ARGUMENT_SPEC, module_args)
            if not module_args.get("inventory_file"):
                # The task's own "devices" is the choice of phones, not the
                # inventory: the inventory always comes from its variables.
                inventory = inventory_options({}, task_vars, self._templar)
                module_args["inventory_file"] = send_inventory(
                    self, dict((key, inventory[key]) for key in INVENTORY_KEYS))
            result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
