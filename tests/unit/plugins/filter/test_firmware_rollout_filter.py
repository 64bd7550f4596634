# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firmware_rollout filter as playbooks call it."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sipfleet.provisioning.plugins.filter.firmware_rollout import FilterModule

firmware_rollout = FilterModule().filters()["firmware_rollout"]

FLEET = [
    {"name": "pilot-1", "mac": "00:0B:82:00:00:01", "model": "GXP2170", "site": "berlin"},
    {"name": "desk-2", "mac": "00:0B:82:00:00:02", "model": "GXP2170", "site": "berlin"},
]
ROLLOUT = {
    "version": "1.0.11.16",
    "waves": [{"name": "pilot", "devices": ["pilot-1"]}, {"name": "rest", "rest": True}],
    "current_wave": "pilot",
}


def test_sets_the_version_of_the_started_waves():
    result = firmware_rollout(FLEET, ROLLOUT)
    assert result[0]["settings"] == {"firmware_version": "1.0.11.16"}
    assert result[1] is FLEET[1]


def test_errors_become_filter_errors_naming_the_field():
    with pytest.raises(AnsibleFilterError, match=r"^firmware_rollout: field rollout.current_wave: unknown wave 'nope'"):
        firmware_rollout(FLEET, dict(ROLLOUT, current_wave="nope"))
