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

from ansible_collections.sipfleet.provisioning.plugins.module_utils._resync import ARGUMENT_SPEC, INVENTORY_KEYS
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_action import InventoryFileAction
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options


class ActionModule(InventoryFileAction):
    """Action plugin of ``sipfleet.provisioning.resync``."""

    MODULE = "sipfleet.provisioning.resync"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def inventory(self, module_args, task_vars):
        # The task's own "devices" is the choice of phones, not the
        # inventory: the inventory always comes from its variables.
        inventory = inventory_options({}, task_vars, self._templar, self._loader)
        return dict((key, inventory[key]) for key in INVENTORY_KEYS)
