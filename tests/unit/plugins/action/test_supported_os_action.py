# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The supported_os action: facts read as the play has them, gathered only when missing, one clear message."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.sipfleet.provisioning.plugins.action.supported_os import ActionModule

ROCKY = {"os_family": "RedHat", "distribution": "Rocky", "distribution_version": "9.4"}
DEBIAN = {"os_family": "Debian", "distribution": "Debian", "distribution_version": "12.11"}
SETUP_DEBIAN = {
    "ansible_facts": {"ansible_os_family": "Debian", "ansible_distribution": "Debian",
                      "ansible_distribution_version": "12.11", "gather_subset": ["!all", "!min", "distribution"]},
    "changed": False,
}


class RecordingAction(ActionModule):
    """The action with the host side recorded: the modules it would run there, and its warnings."""

    def __init__(self, *args, setup_result=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.executed = []
        self.warnings = []
        self.setup_result = setup_result
        self._display = SimpleNamespace(warning=self.warnings.append)

    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        self.executed.append((module_name, module_args))
        return self.setup_result

    def _remove_tmp_path(self, tmp_path, force=False):
        return None


def run_task(args, facts=None, setup_result=None, role="sipfleet.provisioning.tftp_server"):
    loader = DataLoader()
    task = SimpleNamespace(args=args, check_mode=True, async_val=0, action="sipfleet.provisioning.supported_os",
                           diff=False, _role=SimpleNamespace(get_name=lambda: role) if role else None)
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
    action = RecordingAction(task, connection, None, loader, Templar(loader=loader), None, setup_result=setup_result)
    task_vars = {"inventory_hostname": "prov-1"}
    if facts is not None:
        task_vars["ansible_facts"] = facts
    return action, action.run(task_vars=task_vars)


def test_a_supported_host_with_facts_passes_without_asking_the_host_again():
    action, result = run_task({"os_families": ["Debian"]}, facts=dict(DEBIAN, architecture="x86_64"))
    assert action.executed == []
    assert not result.get("failed")
    assert "ansible_facts" not in result
    assert result["supported"] is True
    assert (result["os_family"], result["distribution"], result["distribution_version"]) == ("Debian", "Debian", "12.11")


def test_an_unsupported_host_fails_naming_its_os_and_the_supported_families():
    action, result = run_task({"os_families": ["Debian"]}, facts=ROCKY)
    assert action.executed == []
    assert result["failed"] is True
    assert result["supported"] is False
    assert result["msg"] == (
        "sipfleet.provisioning.tftp_server supports only hosts of the OS family Debian (ansible_facts.os_family); "
        "prov-1 runs Rocky 9.4, OS family RedHat. Stopped before changing anything on it."
    )


def test_several_families_are_all_named():
    dummy, result = run_task({"os_families": ["Debian", "Suse"]}, facts=ROCKY)
    assert "of the OS family Debian or Suse" in result["msg"]


def test_without_facts_only_the_distribution_subset_is_gathered_and_returned_as_facts():
    action, result = run_task({"os_families": ["Debian"]}, facts={}, setup_result=SETUP_DEBIAN)
    assert action.executed == [("ansible.legacy.setup", {"gather_subset": ["!all", "!min", "distribution"]})]
    assert not result.get("failed")
    assert result["ansible_facts"] == SETUP_DEBIAN["ansible_facts"]
    assert result["distribution_version"] == "12.11"


def test_facts_without_the_os_family_are_completed():
    action, result = run_task({"os_families": ["Debian"]}, facts={"architecture": "x86_64"}, setup_result=SETUP_DEBIAN)
    assert len(action.executed) == 1
    assert result["supported"] is True


def test_a_failed_gathering_is_reported():
    dummy, result = run_task({"os_families": ["Debian"]}, facts={},
                             setup_result={"failed": True, "msg": "no python on the host"})
    assert result["failed"] is True
    assert result["msg"] == "Could not read the host's OS family: no python on the host"


def test_allowed_an_unsupported_host_warns_and_goes_on():
    action, result = run_task({"os_families": ["Debian"], "allow_unsupported": True}, facts=ROCKY)
    assert not result.get("failed")
    assert result["supported"] is False
    assert action.warnings == [
        "sipfleet.provisioning.tftp_server supports only hosts of the OS family Debian (ansible_facts.os_family); "
        "prov-1 runs Rocky 9.4, OS family RedHat. Going on untested, as allowed."
    ]


def test_missing_facts_are_called_unknown():
    dummy, result = run_task({"os_families": ["Debian"]}, facts={"os_family": "Darwin"}, role=None)
    assert result["msg"].startswith("This task supports only")
    assert "runs an unknown distribution of unknown version, OS family Darwin" in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({}, "os_families"),
    ({"os_families": ["Debian"], "allow_unsuported": True}, "allow_unsuported"),
])
def test_a_bad_option_is_refused(args, message):
    with pytest.raises(AnsibleActionFail) as info:
        run_task(args, facts=DEBIAN)
    assert message in str(info.value)
