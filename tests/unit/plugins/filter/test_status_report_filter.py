# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The status_report filter as the status playbook calls it."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.sipfleet.provisioning.plugins.filter.status_report import FilterModule

status_report = FilterModule().filters()["status_report"]

RESULT = {
    "changed": False, "generated": "2026-12-06T16:30:00Z", "hosts": ["prov-1"], "counts": {},
    "devices": [{
        "device": "lobby", "mac": "000b82000001", "vendor": "grandstream", "model": "GXP2170", "site": None,
        "state": "stale", "current": True, "mismatch": [], "bootstrap": "none", "days_since_contact": 3.0,
        "reported": {"model": "GXP2170", "firmware": "1.0.11.16", "mac": "000b82000001"},
        "last_fetch": {"time": "2026-12-03T16:30:00Z", "host": "prov-1", "client": "10.0.0.5", "scheme": "tftp",
                       "path": "cfg000b82000001.xml", "status": None, "user_agent": None},
    }],
    "unknown": [],
}


def test_returns_the_merged_status_and_the_three_texts():
    report = status_report([RESULT])
    assert set(report) == {"status", "status_json", "unknown_devices_yml", "index_html"}
    assert json.loads(report["status_json"]) == report["status"]
    assert yaml.safe_load(report["unknown_devices_yml"]) == []
    assert report["index_html"].startswith("<!DOCTYPE html>")
    # Three days is within the default seven: recomputed, whatever the host said.
    assert report["status"]["devices"][0]["state"] == "current"


@pytest.mark.parametrize("stale_days", ["2", "2.5", 2])
def test_stale_days_may_come_templated_as_text(stale_days):
    assert status_report([RESULT], stale_days=stale_days)["status"]["devices"][0]["state"] == "stale"


def test_errors_become_filter_errors_naming_the_field():
    with pytest.raises(AnsibleFilterError, match=r"^status_report: field stale_days: must be a number of days"):
        status_report([RESULT], stale_days="a week")
    bad_fetch = dict(RESULT["devices"][0]["last_fetch"], time="2026-13-01T00:00:00Z")
    broken = dict(RESULT, devices=[dict(RESULT["devices"][0], last_fetch=bad_fetch)])
    with pytest.raises(AnsibleFilterError, match=r"^status_report: device lobby, field last_fetch.time: "):
        status_report([broken])
