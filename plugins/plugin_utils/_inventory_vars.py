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

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.parsing.vault import EncryptedString

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import quote_value

#: Action option -> the inventory variable it defaults to.
INVENTORY_VARIABLES = {
    "devices": "sipfleet_devices",
    "defaults": "sipfleet_defaults",
    "sites": "sipfleet_sites",
    "models": "sipfleet_models",
    "directory": "sipfleet_directory",
}

# An undefined sipfleet_directory is no directory (None), not an empty one.
_EMPTY = {"devices": [], "defaults": {}, "sites": {}, "models": {}, "directory": None}


def resolve(templar, value, where="value"):
    """``value`` with its templates rendered, as plain lists, dicts and scalars.

    Each string is templated at most once, and what a template returns is
    final: the templar has already rendered everything the template
    trusts, and strings it does not trust - the ``devices`` lookup's values,
    ``!unsafe`` - are data that must stay literal, ``{{``, ``{%`` and ``{#``
    included. (Templating a result again is how ``Lobby {#2}`` used to recurse
    until Python gave up.) A template that cannot be rendered is an error
    naming the variable and the path in it.
    """
    if isinstance(value, str):
        if ("{" in value or value.startswith("#jinja2:")) and templar.is_possibly_template(value):
            try:
                return plain(templar.template(value))
            except AnsibleError as exc:
                raise AnsibleActionFail(
                    "field %s: cannot template %s: %s. A value that is data, not a template, is written as "
                    "!unsafe, or comes from the devices lookup, whose values are never templated"
                    % (where, quote_value(value), getattr(exc, "message", exc))) from None
        return value
    if isinstance(value, EncryptedString):
        # An inline !vault value: its plain text.
        return str(value)
    if isinstance(value, Mapping):
        return dict((resolve(templar, key, where), resolve(templar, item, "%s.%s" % (where, key)))
                    for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [resolve(templar, item, "%s[%d]" % (where, index)) for index, item in enumerate(value)]
    return value


def plain(value):
    """A template's result as plain lists, dicts and scalars, never templated again."""
    if isinstance(value, EncryptedString):
        return str(value)
    if isinstance(value, Mapping):
        return dict((plain(key), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def inventory_options(task_args, task_vars, templar):
    """``{option: value}`` for devices, defaults, sites, models and directory.

    An option the task gives wins; otherwise the variable of
    :data:`INVENTORY_VARIABLES`, or an empty value when it is undefined.
    """
    options = {}
    for option, variable in INVENTORY_VARIABLES.items():
        if option in task_args and task_args[option] is not None:
            options[option] = resolve(templar, task_args[option], option)
        elif variable in task_vars and task_vars[variable] is not None:
            options[option] = resolve(templar, task_vars[variable], variable)
        else:
            options[option] = _EMPTY[option]
    return options
