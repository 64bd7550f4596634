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

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, quote_value
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._device_import import import_devices
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._project_dir import fleet_basedir

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


#: The playbook variable naming the fleet's device files (the ``devices`` lookup's terms): the option
#: ``device_sources`` defaults to it, and either stands for ``devices``/``sipfleet_devices``.
DEVICE_SOURCES_VARIABLE = "sipfleet_device_sources"
#: The lookup's ``passwords`` for those files: ``{extension: SIP password}`` for lines that have none.
DEVICE_PASSWORDS_VARIABLE = "sipfleet_device_passwords"


def _given(mapping, name):
    return name in mapping and mapping[name] is not None


def device_sources(task_args, task_vars, templar):
    """``(terms, where)`` of the device files the fleet comes from, or ``(None, None)`` when it does not.

    ``where`` names the option or variable they came from. Together with
    ``devices``/``sipfleet_devices`` they are an error naming both: the fleet
    has one source.
    """
    if _given(task_args, "device_sources"):
        terms, where = task_args["device_sources"], "device_sources"
    elif _given(task_vars, DEVICE_SOURCES_VARIABLE):
        terms, where = task_vars[DEVICE_SOURCES_VARIABLE], DEVICE_SOURCES_VARIABLE
    else:
        return None, None
    for other in ("devices", INVENTORY_VARIABLES["devices"]):
        if _given(task_args if other == "devices" else task_vars, other):
            raise AnsibleActionFail("give the fleet either as %s or as %s, not both: %s reads the devices from files "
                                    "and replaces %s" % (where, other, where, other))
    terms = resolve(templar, terms, where)
    # A single string is an error, not a list of one: a value of the wrong
    # YAML type is an error everywhere in the inventory.
    if not isinstance(terms, list) or not terms or not all(isinstance(term, str) and term for term in terms):
        raise AnsibleActionFail("%s must be a non-empty list of device files, directories or glob patterns, got %s"
                                % (where, quote_value(terms)))
    return terms, where


def read_device_sources(terms, where, task_vars, templar, loader=None):
    """The devices of the files ``terms`` name, read as the ``devices`` lookup reads them.

    Relative paths are resolved as the lookup resolves them (against
    ``sipfleet_project_dir`` when it is set, else ``inventory_dir``),
    vault-encrypted files are decrypted with ``loader``'s vault secrets,
    and ``sipfleet_device_passwords`` fills lines without a password. The
    devices are plain data that nothing templates.
    """
    try:
        basedir = fleet_basedir(task_vars, templar, loader)
    except ProvisioningError as exc:
        raise AnsibleActionFail(str(exc)) from None
    passwords = None
    if _given(task_vars, DEVICE_PASSWORDS_VARIABLE):
        passwords = resolve(templar, task_vars[DEVICE_PASSWORDS_VARIABLE], DEVICE_PASSWORDS_VARIABLE)

    def decrypt(path):
        # A plain str: the C YAML parser refuses the loader's tagged strings.
        return str.__str__(loader.get_text_file_contents(path))

    try:
        return import_devices(terms, str(basedir), passwords=passwords, decrypt=decrypt if loader is not None else None)
    except ProvisioningError as exc:
        if exc.device is None and exc.field == "passwords":
            # The lookup's option is the playbook's sipfleet_device_passwords.
            raise AnsibleActionFail("%s: %s" % (DEVICE_PASSWORDS_VARIABLE, exc.message)) from None
        raise AnsibleActionFail("%s: %s" % (where, exc)) from None


def inventory_options(task_args, task_vars, templar, loader=None):
    """``{option: value}`` for devices, defaults, sites, models and directory.

    An option the task gives wins; otherwise the variable of
    :data:`INVENTORY_VARIABLES`, or an empty value when it is undefined.
    The devices come from the files of ``device_sources`` (the option) or
    ``sipfleet_device_sources`` when either is given (see
    :func:`read_device_sources`; ``loader`` decrypts vaulted ones).
    """
    options = {}
    terms, where = device_sources(task_args, task_vars, templar)
    for option, variable in INVENTORY_VARIABLES.items():
        if option == "devices" and terms is not None:
            options[option] = read_device_sources(terms, where, task_vars, templar, loader)
        elif _given(task_args, option):
            options[option] = resolve(templar, task_args[option], option)
        elif _given(task_vars, variable):
            options[option] = resolve(templar, task_vars[variable], variable)
        else:
            options[option] = _EMPTY[option]
    return options
