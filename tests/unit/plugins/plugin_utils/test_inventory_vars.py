# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How the actions read the inventory variables: templates rendered once, data never templated."""

from __future__ import annotations

import pytest

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options


def trusted(text):
    """A string as Ansible reads it from a vars file: a template it may render."""
    return TrustedAsTemplate().tag(text)


#: What the devices lookup returns: plain strings, which Ansible never templates.
IMPORTED = [{"mac": "000b82000001", "model": "GXP2170",
             "lines": [{"extension": "201", "password": "pw{{ secret }}", "display_name": "Lobby {#2} {% if %}"}]}]


def options(variables, task_args=None):
    templar = Templar(loader=DataLoader(), variables=variables)
    return inventory_options(task_args or {}, variables, templar)


def test_imported_values_with_template_markers_stay_literal():
    # sipfleet_devices: "{{ query(...) }}" in group_vars; "{#" made this recurse without end.
    variables = {"sipfleet_devices": trusted("{{ imported }}"), "imported": IMPORTED, "secret": "S"}
    assert options(variables)["devices"] == IMPORTED


def test_imported_values_given_as_the_task_option_stay_literal():
    variables = {"imported": IMPORTED, "secret": "S"}
    assert options(variables, {"devices": trusted("{{ imported }}")})["devices"] == IMPORTED
    assert options(variables, {"devices": IMPORTED})["devices"] == IMPORTED


def test_templates_written_in_the_inventory_are_rendered_once():
    variables = {"secret": "S", "sipfleet_devices": [{"mac": "000b82000001", "lines": [
        {"extension": "201", "password": trusted("{{ secret }}"), "display_name": trusted("{{ '{{' }} x }}")}]}],
        "sipfleet_defaults": {"sip_server": trusted("{{ 'pbx' }}.example.net")}}
    got = options(variables)
    # The result of a template is final: "{{ x }}" is not templated a second time.
    assert got["devices"][0]["lines"][0] == {"extension": "201", "password": "S", "display_name": "{{ x }}"}
    assert got["defaults"] == {"sip_server": "pbx.example.net"}
    assert got["sites"] == {} and got["models"] == {}


def test_a_broken_template_in_the_inventory_names_its_field():
    variables = {"sipfleet_devices": [{"mac": "000b82000001", "lines": [{"display_name": trusted("Lobby {#2}")}]}]}
    with pytest.raises(AnsibleActionFail) as excinfo:
        options(variables)
    message = str(excinfo.value)
    assert message.startswith("field sipfleet_devices[0].lines[0].display_name: cannot template 'Lobby {#2}': ")
    assert "!unsafe" in message
