# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where relative paths to the fleet's files are resolved on the controller.

On a command line the inventory is a file or directory of the repository,
so ``inventory_dir`` points into it. AWX and Ansible Automation Platform
import the inventory into their database and hand each job a generated
inventory in a directory of its own, while the repository is the job's
project checkout: there ``inventory_dir`` is not in the repository. The
variable ``sipfleet_project_dir`` names the repository (the project's
playbooks set it from their own location, see ``docs/awx.md``); when it is
set, relative device files are resolved against it, otherwise against
``inventory_dir`` as before.
"""

from __future__ import annotations

import os

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, quote_value

#: The variable naming the project (repository) directory on the controller.
PROJECT_DIR_VARIABLE = "sipfleet_project_dir"


def fleet_basedir(variables, templar=None, loader=None):
    """The directory relative device files are resolved against.

    ``sipfleet_project_dir`` when it is set (templated with ``templar``:
    an inventory may define it as a template), else ``inventory_dir``, else
    the playbook's directory (``loader``'s base directory), else the
    working directory. A project directory that is not a string is an error
    naming the variable; a relative one is taken from the working directory.
    """
    variables = variables or {}
    project_dir = variables.get(PROJECT_DIR_VARIABLE)
    if project_dir is not None and project_dir != "":
        if templar is not None and isinstance(project_dir, str) and templar.is_possibly_template(project_dir):
            project_dir = templar.template(project_dir)
        if not isinstance(project_dir, str) or not project_dir:
            raise ProvisioningError("%s must be the path of the project's directory, got %s"
                                    % (PROJECT_DIR_VARIABLE, quote_value(project_dir)))
        return os.path.abspath(os.path.expanduser(str.__str__(project_dir)))
    return variables.get("inventory_dir") or (loader.get_basedir() if loader is not None else None) or "."
