# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phone_profiles action: the module's argument spec checks the task, the inventory travels in a file."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.sipfleet.provisioning.plugins.action.phone_profiles import ActionModule
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import INVENTORY_FILE_OPTIONS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.action.recording import recording, run_action

DEVICES = [{"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170"}]
KEYS = {"000b82123456": {"p1359": "ab" * 32}}


def run_task(args, task_vars=None):
    return run_action(recording(ActionModule), args, task_vars)


def test_the_inventory_goes_in_a_file_and_the_other_options_to_the_module():
    action, result = run_task({"devices": DEVICES, "keys": KEYS, "next_keys": {}, "roots": ["/srv/tftp"],
                               "bootstrap_window": 60},
                              task_vars={"sipfleet_defaults": {"sip_server": "pbx.example.net"}})
    assert result == {"changed": False}
    [(module, args)] = action.executed
    assert module == "sipfleet.provisioning.phone_profiles"
    assert args == {"roots": ["/srv/tftp"], "bootstrap_window": 60,
                    "inventory_file": "/remote/tmp/sipfleet-inventory.json"}
    sent = json.loads(action.transferred["/remote/tmp/sipfleet-inventory.json"])
    assert list(sent) == list(INVENTORY_FILE_OPTIONS)
    # An undefined sipfleet_directory travels as null: no directory.
    assert sent == {"devices": DEVICES, "defaults": {"sip_server": "pbx.example.net"}, "sites": {}, "models": {},
                    "directory": None, "keys": KEYS, "next_keys": {}}


def test_sipfleet_directory_travels_in_the_file_and_the_task_option_wins():
    directory = {"contacts": [{"name": "Front desk", "numbers": ["+49 30 1234"]}]}
    action, dummy = run_task({"roots": ["/srv/tftp"]}, task_vars={"sipfleet_devices": DEVICES,
                                                                  "sipfleet_directory": directory})
    sent = json.loads(action.transferred["/remote/tmp/sipfleet-inventory.json"])
    assert sent["directory"] == directory
    [(dummy, args)] = action.executed
    assert "directory" not in args
    action, dummy = run_task({"roots": ["/srv/tftp"], "directory": {"per_site": True}},
                             task_vars={"sipfleet_devices": DEVICES, "sipfleet_directory": directory})
    assert json.loads(action.transferred["/remote/tmp/sipfleet-inventory.json"])["directory"] == {"per_site": True}


@pytest.mark.parametrize("args, message", [
    ({"roots": ["/srv/tftp"], "bootstrap_windw": 60}, "bootstrap_windw"),
    ({"roots": ["/srv/tftp"], "bootstrap_window": "an hour"}, "bootstrap_window"),
    ({"roots": ["/srv/tftp"], "bootstrap_serve": "sometimes"}, "bootstrap_serve"),
    ({"devices": DEVICES}, "roots"),
])
def test_the_modules_spec_refuses_a_bad_option_before_anything_reaches_the_host(args, message):
    with pytest.raises(AnsibleActionFail) as info:
        run_task(dict(args, keys=KEYS))
    assert message in str(info.value)


def test_the_inventory_itself_is_checked_by_the_module_naming_device_and_field():
    """A device that is not a mapping is no option error: run() reports it, with every other error of the run."""
    action, result = run_task({"devices": ["junk", 5], "keys": KEYS, "roots": ["/srv/tftp"]})
    assert result == {"changed": False}
    sent = json.loads(action.transferred["/remote/tmp/sipfleet-inventory.json"])
    assert sent["devices"] == ["junk", 5]


def test_a_misspelt_option_is_named_with_the_module():
    with pytest.raises(AnsibleActionFail) as info:
        run_task({"devices": DEVICES, "keys": KEYS, "roots": ["/srv/tftp"], "rootz": ["/srv"]})
    assert str(info.value).startswith("Unsupported parameters for (sipfleet.provisioning.phone_profiles) module: rootz")


def test_an_inventory_file_and_inventory_options_together_are_refused():
    with pytest.raises(AnsibleActionFail, match="not both"):
        run_task({"inventory_file": "/srv/inventory.json", "next_keys": KEYS, "roots": ["/srv/tftp"]})


def test_strict_reaches_the_module_as_given_for_its_inventory_check():
    # sipfleet_strict: "yes" is no option error here: the module's run refuses it naming sipfleet_strict.
    action, dummy = run_task({"devices": DEVICES, "keys": KEYS, "roots": ["/srv/tftp"], "strict": "yes"})
    [(dummy, args)] = action.executed
    assert args["strict"] == "yes"
