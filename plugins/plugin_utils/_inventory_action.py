# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the action plugins that hand the inventory to their module in a file share.

Module arguments are embedded in the module's payload, echoed back with
``-vvv`` and written to the host's log by ``AnsibleModule``; for a fleet they
are tens of megabytes and full of passwords. The ``phone_profiles``,
``fleet_status`` and ``resync`` actions check the task's own options against
the module's spec first, then write the inventory as JSON into the task's
private temporary directory on the host and give the module its path.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.json import get_encoder
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase


def check_task_options(module, spec, module_args, inventory_options=()):
    """Fail as ``module`` would on a misspelt, mistyped or missing option; ``inventory_options`` are not checked here.

    Those travel in the file and the module checks them, naming each device
    and field, all errors together.
    """
    task_spec = dict((name, option) for name, option in spec.items() if name not in inventory_options)
    options = dict((name, value) for name, value in module_args.items() if name not in inventory_options)
    validation = ArgumentSpecValidator(task_spec).validate(options)
    messages = []
    for error in validation.errors:
        if isinstance(error, UnsupportedError):
            messages.append("Unsupported parameters for (%s) module: %s" % (module, error))
        else:
            messages.append(str(error))
    if messages:
        raise AnsibleActionFail("; ".join(messages))


def send_inventory(action, inventory):
    """Write ``inventory`` as JSON into ``action``'s temporary directory on the host; returns the file's path.

    The tagless profile turns Ansible's lazy containers and tagged strings
    into plain JSON. The caller removes the directory when the task is done.
    """
    data = json.dumps(inventory, cls=get_encoder("tagless"), separators=(",", ":"))
    tmpdir = action._connection._shell.tmpdir
    remote_path = action._connection._shell.join_path(tmpdir, "sipfleet-inventory.json")
    action._transfer_data(remote_path, data)
    action._fixup_perms2((tmpdir, remote_path))
    return remote_path


def send_file(action, local_path, name):
    """Transfer the controller's file ``local_path`` as it is into ``action``'s temporary directory on the host.

    Used for the fleet bundle: the same bytes to every host, no JSON encoded
    again per host. Returns the file's path on the host.
    """
    tmpdir = action._connection._shell.tmpdir
    remote_path = action._connection._shell.join_path(tmpdir, name)
    action._transfer_file(local_path, remote_path)
    action._fixup_perms2((tmpdir, remote_path))
    return remote_path


class InventoryFileAction(ActionBase):
    """An action that runs ``MODULE`` with the inventory in a file on the host.

    A subclass names its module (``MODULE``, ``ARGUMENT_SPEC``), the task
    options that travel in the file rather than as arguments
    (``INVENTORY_FILE_OPTIONS``; the module checks those) and builds the
    file's content in :meth:`inventory`, or overrides :meth:`send`. A task
    that gives ``inventory_file`` itself runs the module on that file, and
    may not give those options too.
    """

    TRANSFERS_FILES = True
    MODULE = None
    ARGUMENT_SPEC = None
    INVENTORY_FILE_OPTIONS = ()

    def inventory(self, module_args, task_vars):
        """The inventory to send; removes from ``module_args`` what travels in the file."""
        raise NotImplementedError

    def send(self, module_args, task_vars):
        """Put the inventory on the host and point ``module_args`` at it."""
        module_args["inventory_file"] = send_inventory(self, self.inventory(module_args, task_vars))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        try:
            # The module's own spec: a misspelt or mistyped option fails here,
            # before the inventory is written to the host. The module gets the
            # task's arguments as given (a path is expanded on the host).
            check_task_options(self.MODULE, self.ARGUMENT_SPEC, module_args, self.INVENTORY_FILE_OPTIONS)
            given = [name for name in self.INVENTORY_FILE_OPTIONS + ("fleet_bundle", "device_sources", "shard")
                     if module_args.get(name) is not None]
            if not module_args.get("inventory_file"):
                self.send(module_args, task_vars)
            elif given:
                # The module reads the task's inventory_file as it is: nothing
                # else can select from it or add to it.
                raise AnsibleActionFail("give either inventory_file or %s, not both" % ", ".join(given))
            result.update(self._execute_module(module_name=self.MODULE, module_args=module_args,
                                               task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
