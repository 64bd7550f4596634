# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet_status action: the inventory variables travel in a file, the other options to the module."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.sipfleet.provisioning.plugins.action.fleet_status import ActionModule
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet_status import INVENTORY_FILE_OPTIONS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.action.recording import recording, run_action

DEVICES = [{"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170"}]
INVENTORY_FILE = "/remote/tmp/sipfleet-inventory.json"


def run_task(args, task_vars=None):
    return run_action(recording(ActionModule), args, task_vars)


def test_the_inventory_variables_go_in_a_file_and_the_other_options_to_the_module():
    directory = {"contacts": [{"name": "Front desk", "numbers": ["+49 30 1234"]}]}
    action, result = run_task({"roots": ["/srv/tftp"], "stale_days": 3, "host": "prov-1"},
                              task_vars={"sipfleet_devices": DEVICES, "sipfleet_sites": {"berlin": {}},
                                         "sipfleet_directory": directory})
    assert result == {"changed": False}
    [(module, args)] = action.executed
    assert module == "sipfleet.provisioning.fleet_status"
    assert args == {"roots": ["/srv/tftp"], "stale_days": 3, "host": "prov-1", "inventory_file": INVENTORY_FILE}
    sent = json.loads(action.transferred[INVENTORY_FILE])
    # The status reads no directory.
    assert list(sent) == list(INVENTORY_FILE_OPTIONS)
    assert sent == {"devices": DEVICES, "defaults": {}, "sites": {"berlin": {}}, "models": {}}


def test_a_task_option_wins_over_the_variable():
    action, dummy = run_task({"roots": ["/srv/tftp"], "devices": DEVICES},
                             task_vars={"sipfleet_devices": [{"name": "other"}]})
    assert json.loads(action.transferred[INVENTORY_FILE])["devices"] == DEVICES


@pytest.mark.parametrize("args, message", [
    ({"roots": ["/srv/tftp"], "stale_dayz": 3}, "stale_dayz"),
    ({"roots": ["/srv/tftp"], "stale_days": "a week"}, "stale_days"),
    ({"devices": DEVICES}, "roots"),
])
def test_a_bad_option_is_refused_before_anything_reaches_the_host(args, message):
    with pytest.raises(AnsibleActionFail) as info:
        run_task(args)
    assert message in str(info.value)


def test_an_inventory_file_and_inventory_options_together_are_refused():
    with pytest.raises(AnsibleActionFail, match="not both"):
        run_task({"inventory_file": "/srv/inventory.json", "devices": DEVICES, "roots": ["/srv/tftp"]})
