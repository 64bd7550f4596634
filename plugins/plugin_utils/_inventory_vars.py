# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read the fleet's inventory variables in an action plugin, at fleet scale.

Passing ``devices: "{{ sipfleet_devices }}"`` makes Ansible template every
string of every device before the action runs, through its lazy containers:
about 0.5 ms a device, several seconds for 10,000 phones, and again in each
task. An option left out is read here from its variable instead, and only
the strings that contain template syntax (a vaulted password reference, a
lookup) are handed to the templar; every other string is already its own
value.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Action option -> the inventory variable it defaults to.
INVENTORY_VARIABLES = {
    "devices": "sipfleet_devices",
    "defaults": "sipfleet_defaults",
    "sites": "sipfleet_sites",
    "models": "sipfleet_models",
}

_EMPTY = {"devices": [], "defaults": {}, "sites": {}, "models": {}}


def resolve(templar, value):
    """``value`` with its templates rendered, as plain lists, dicts and scalars."""
    if isinstance(value, str):
        if ("{" in value or value.startswith("#jinja2:")) and templar.is_possibly_template(value):
            return resolve(templar, templar.template(value))
        return value
    if isinstance(value, Mapping):
        return dict((resolve(templar, key), resolve(templar, item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [resolve(templar, item) for item in value]
    return value


def inventory_options(task_args, task_vars, templar):
    """``{option: value}`` for devices, defaults, sites and models.

    An option the task gives wins; otherwise the variable of
    :data:`INVENTORY_VARIABLES`, or an empty value when it is undefined.
    """
    options = {}
    for option, variable in INVENTORY_VARIABLES.items():
        if option in task_args and task_args[option] is not None:
            options[option] = resolve(templar, task_args[option])
        elif variable in task_vars and task_vars[variable] is not None:
            options[option] = resolve(templar, task_vars[variable])
        else:
            options[option] = _EMPTY[option]
    return options
