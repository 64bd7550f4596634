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

import json

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.json import get_encoder
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.sipfleet.provisioning.plugins.module_utils._resync import ARGUMENT_SPEC, INVENTORY_KEYS
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options

MODULE = "sipfleet.provisioning.resync"

_TASK_SPEC = ARGUMENT_SPEC


def check_task_options(module_args):
    """Fail as the module would on a misspelt, mistyped or missing option, before the inventory is written."""
    validation = ArgumentSpecValidator(_TASK_SPEC).validate(dict(module_args))
    messages = []
    for error in validation.errors:
        if isinstance(error, UnsupportedError):
            messages.append("Unsupported parameters for (%s) module: %s" % (MODULE, error))
        else:
            messages.append(str(error))
    if messages:
        raise AnsibleActionFail("; ".join(messages))


class ActionModule(ActionBase):
    """Action plugin of ``sipfleet.provisioning.resync``."""

    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        try:
            check_task_options(module_args)
            if not module_args.get("inventory_file"):
                # The task's own "devices" is the choice of phones, not the
                # inventory: the inventory always comes from its variables.
                inventory = inventory_options({}, task_vars, self._templar)
                data = json.dumps(dict((key, inventory[key]) for key in INVENTORY_KEYS),
                                  cls=get_encoder("tagless"), separators=(",", ":"))
                tmpdir = self._connection._shell.tmpdir
                remote_path = self._connection._shell.join_path(tmpdir, "sipfleet-inventory.json")
                self._transfer_data(remote_path, data)
                self._fixup_perms2((tmpdir, remote_path))
                module_args["inventory_file"] = remote_path
            result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
