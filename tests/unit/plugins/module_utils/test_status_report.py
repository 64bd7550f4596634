# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The merged fleet status and the files written from it: status.json, unknown-devices.yml, index.html."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
import yaml

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._status_report import (
    _SCRIPT,
    COLUMNS,
    PAGE_SIZE,
    STATE_LABELS,
    STATES,
    _table_rows,
    json_for_script,
    merge_status,
    render_page,
    status_json,
    unknown_devices_yaml,
    yaml_quote,
)

HOSTILE = '</script><b id="x">bold</b><script>window.owned=1</script><!--'


def fetch(time, host, client="10.0.0.5", path="cfg000b82000001.xml", user_agent="Grandstream GXP2170"):
    return {"time": time, "host": host, "client": client, "scheme": "http", "path": path, "status": 200,
            "user_agent": user_agent}


def device(name, mac, host, last_fetch=None, current=True, state=None, bootstrap="closed", firmware="1.0.11.16",
           mismatch=(), model="GXP2170", site="berlin", own_files=None):
    if state is None:
        state = "never_seen" if last_fetch is None else ("current" if current else "outdated")
    if own_files is None:
        # As fleet_status gives them: the last fetch was of the device's own file.
        own_files = [own(last_fetch["path"], last_fetch["time"], current)] if last_fetch else []
    return {
        "device": name, "mac": mac, "vendor": "grandstream", "model": model, "site": site, "state": state,
        "last_fetch": last_fetch,
        "reported": {"model": model if last_fetch else None, "firmware": firmware if last_fetch else None,
                     "mac": mac if last_fetch else None},
        "current": current if last_fetch else False, "mismatch": list(mismatch), "bootstrap": bootstrap,
        "days_since_contact": 0.5 if last_fetch else None, "own_files": own_files, "last_refused": None,
    }


def own(path, time, current):
    return {"path": path, "time": time, "current": current}


def unknown(mac, first, last, client, model="VVX450", paths=None, name=None, firmware="6.4.6.0123"):
    return {"mac": mac, "vendor": "poly", "model": model, "firmware": firmware, "first_seen": first,
            "last_seen": last, "client": client, "paths": paths or ["%s.cfg" % mac],
            "suggested_name": name or "unknown-%s" % mac}


def host_result(host, generated, devices, unknown_macs=()):
    return {"generated": generated, "hosts": [host], "counts": {}, "devices": devices,
            "unknown": list(unknown_macs), "changed": False, "log_lines": {}}


@pytest.fixture
def two_hosts():
    """Two servers' views: the same inventory, different fetches."""
    prov1 = host_result("prov-1", "2026-12-06T16:30:00Z", [
        # prov-1 saw an older fetch of an old version; prov-2 the newer, current one.
        device("alpha", "000b82000001", "prov-1",
               fetch("2026-12-05T08:00:00Z", "prov-1", client="10.0.0.1", user_agent="UA old"),
               current=False, firmware="1.0.11.10"),
        # prov-1 saw a fresh fetch; prov-2 a fetch 20 days ago.
        device("bravo", "000b82000002", "prov-1", fetch("2026-12-06T12:00:00Z", "prov-1")),
        device("charlie", "000b82000003", "prov-1", bootstrap="closed"),
        device("delta", "000b82000004", "prov-1"),
    ], [unknown("0004f2aa0001", "2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z", "10.0.1.1",
                paths=["0004f2aa0001.cfg"]),
        unknown("000b82000004", "2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z", "10.0.1.9")])
    prov2 = host_result("prov-2", "2026-12-06T16:31:00Z", [
        device("alpha", "000b82000001", "prov-2",
               fetch("2026-12-06T16:00:00Z", "prov-2", client="10.0.0.2", user_agent="UA new"), current=True),
        device("bravo", "000b82000002", "prov-2", fetch("2026-11-16T12:00:00Z", "prov-2"), current=False,
               state="stale"),
        device("charlie", "000b82000003", "prov-2", bootstrap="open"),
        device("delta", "000b82000004", "prov-2", fetch("2026-11-01T00:00:00Z", "prov-2"), state="stale"),
    ], [unknown("0004f2aa0001", "2026-11-30T09:00:00Z", "2026-12-02T10:00:00Z", "10.0.2.2", model=None,
                paths=["0004f2aa0001-sipfleet.cfg"])])
    return [prov1, prov2]


def by_name(merged):
    return dict((entry["device"], entry) for entry in merged["devices"])


# --- merge ---------------------------------------------------------------------


def test_the_most_recent_fetch_over_all_hosts_wins(two_hosts):
    devices = by_name(merge_status(two_hosts))
    alpha = devices["alpha"]
    assert alpha["last_fetch"]["host"] == "prov-2"
    assert alpha["last_fetch"]["client"] == "10.0.0.2"
    assert alpha["last_fetch"]["user_agent"] == "UA new"
    assert alpha["reported"]["firmware"] == "1.0.11.16"
    # prov-1 alone would call it outdated: its old fetch got an old version.
    assert alpha["current"] is True and alpha["state"] == "current"
    bravo = devices["bravo"]
    # prov-2 alone would call it stale: 20 days since its fetch there.
    assert bravo["last_fetch"]["host"] == "prov-1" and bravo["state"] == "current"


def test_states_are_recomputed_at_the_latest_generated_time_with_one_rule(two_hosts):
    merged = merge_status(two_hosts)
    devices = by_name(merged)
    assert merged["generated"] == "2026-12-06T16:31:00Z"
    # 16:31 - 16:00 on the same day.
    assert devices["alpha"]["days_since_contact"] == pytest.approx(31 / 1440.0, abs=0.001)
    assert devices["delta"]["state"] == "stale"
    assert devices["charlie"]["state"] == "never_seen" and devices["charlie"]["days_since_contact"] is None
    # With a longer limit, delta (35 days) is merely outdated: its fetch was not current.
    devices = by_name(merge_status(two_hosts, stale_days=40))
    assert devices["delta"]["state"] == "current"
    assert by_name(merge_status(two_hosts, stale_days=0.1))["bravo"]["state"] == "stale"


def test_counts_are_those_of_the_merged_states(two_hosts):
    merged = merge_status(two_hosts)
    assert merged["counts"] == {"current": 2, "outdated": 0, "stale": 1, "never_seen": 1, "unknown": 1}
    assert sum(merged["counts"][state] for state in ("current", "outdated", "stale", "never_seen")) == 4


def test_an_outdated_latest_fetch_makes_the_device_outdated(two_hosts):
    two_hosts[1]["devices"][0]["current"] = False
    two_hosts[1]["devices"][0]["own_files"][0]["current"] = False
    assert by_name(merge_status(two_hosts))["alpha"]["state"] == "outdated"


def test_a_bootstrap_window_open_on_any_host_is_open(two_hosts):
    devices = by_name(merge_status(two_hosts))
    assert devices["charlie"]["bootstrap"] == "open"
    assert devices["alpha"]["bootstrap"] == "closed"


def test_unknown_macs_are_merged_by_mac(two_hosts):
    merged = merge_status(two_hosts)
    # 000b82000004 is delta's MAC: some host has it in its inventory.
    assert [entry["mac"] for entry in merged["unknown"]] == ["0004f2aa0001"]
    entry = merged["unknown"][0]
    assert entry["first_seen"] == "2026-11-30T09:00:00Z"
    assert entry["last_seen"] == "2026-12-03T10:00:00Z"
    assert entry["client"] == "10.0.1.1"
    assert entry["paths"] == ["0004f2aa0001-sipfleet.cfg", "0004f2aa0001.cfg"]
    # The latest sighting that showed a model.
    assert entry["model"] == "VVX450"
    assert entry["suggested_name"] == "unknown-0004f2aa0001"


def test_the_order_of_the_hosts_does_not_matter(two_hosts):
    forward = merge_status(two_hosts)
    assert merge_status(list(reversed(two_hosts))) == forward
    assert merge_status({"prov-2": two_hosts[1], "prov-1": two_hosts[0]}) == forward
    assert status_json(merge_status(copy.deepcopy(two_hosts))) == status_json(forward)


def test_equal_fetch_times_go_to_the_first_host_by_name(two_hosts):
    two_hosts[0]["devices"][0]["last_fetch"] = fetch("2026-12-06T16:00:00Z", "prov-1", client="10.0.0.1")
    two_hosts[0]["devices"][0]["own_files"][0]["time"] = "2026-12-06T16:00:00Z"
    for order in (two_hosts, list(reversed(two_hosts))):
        assert by_name(merge_status(order))["alpha"]["last_fetch"]["host"] == "prov-1"


def test_a_result_may_hold_its_document_under_status(two_hosts):
    wrapped = [{"changed": False, "status": two_hosts[0]}, two_hosts[1]]
    assert merge_status(wrapped) == merge_status(two_hosts)


def test_times_with_offsets_and_fractions_compare_as_times(two_hosts):
    # 17:30+01:00 is 16:30Z: later than prov-1's other fetch, earlier than prov-2's.
    two_hosts[0]["devices"][0]["last_fetch"]["time"] = "2026-12-06T17:30:00.123456789+01:00"
    two_hosts[0]["devices"][0]["own_files"][0]["time"] = "2026-12-06T17:30:00.123456789+01:00"
    assert by_name(merge_status(two_hosts))["alpha"]["last_fetch"]["host"] == "prov-1"


@pytest.mark.parametrize("damage, field, device", [
    (lambda hosts: hosts[0]["devices"][0]["last_fetch"].update(time="yesterday"), "last_fetch.time", "alpha"),
    (lambda hosts: hosts[0]["devices"][1].update(state="fine"), "state", "bravo"),
    (lambda hosts: hosts[0]["devices"][1].update(model=7), "model", "bravo"),
    (lambda hosts: hosts[1]["unknown"][0].update(last_seen=None), "last_seen", "unknown 0004f2aa0001"),
    (lambda hosts: hosts[1].pop("devices"), "host_results[1].devices", None),
    (lambda hosts: hosts[1]["unknown"][0].update(mac="xyz"), "host_results[1].unknown[0].mac", None),
])
def test_a_malformed_result_is_an_error_naming_device_and_field(two_hosts, damage, field, device):
    damage(two_hosts)
    with pytest.raises(ProvisioningError) as caught:
        merge_status(two_hosts)
    assert caught.value.field == field
    assert caught.value.device == device


def snom(host, last_fetch, own_files, last_refused=None):
    """One host's document of one Snom desk phone: its own file is snomD785-<mac>.htm, snomD785.htm is shared."""
    entry = device("desk", "000413000001", host, last_fetch, own_files=own_files)
    entry.update(vendor="snom", model="D785", last_refused=last_refused)
    return host_result(host, "2026-12-06T12:00:00Z", [entry])


OWN = "snomD785-000413000001.htm"
SHARED = "snomD785.htm"


def test_current_is_judged_per_own_file_over_every_host():
    """Host a logged the own file, current; host b a shared file 5 s later: still current."""
    first = snom("a", fetch("2026-12-06T11:00:00Z", "a", path=OWN), [own(OWN, "2026-12-06T11:00:00Z", True)])
    shared = snom("b", fetch("2026-12-06T11:00:05Z", "b", path=SHARED), [])
    desk = merge_status([first, shared])["devices"][0]
    assert desk["last_fetch"]["host"] == "b" and desk["last_fetch"]["path"] == SHARED
    assert desk["current"] is True and desk["state"] == "current"
    assert desk["own_files"] == [own(OWN, "2026-12-06T11:00:00Z", True)]
    # A later fetch of the same file that did not get the current version decides that file.
    later = snom("b", fetch("2026-12-06T11:00:05Z", "b", path=OWN), [own(OWN, "2026-12-06T11:00:05Z", False)])
    for hosts in ([first, later], [later, first]):
        desk = merge_status(hosts)["devices"][0]
        assert desk["current"] is False and desk["state"] == "outdated"
    # An earlier fetch elsewhere of an old version does not: the latest of that file is current.
    earlier = snom("b", fetch("2026-12-06T10:00:00Z", "b", path=OWN), [own(OWN, "2026-12-06T10:00:00Z", False)])
    assert merge_status([first, earlier])["devices"][0]["state"] == "current"
    # Two own files, one per host: each counts.
    other = "snomD785-000413000001-extra.htm"
    second = snom("b", fetch("2026-12-06T11:05:00Z", "b", path=other), [own(other, "2026-12-06T11:05:00Z", True)])
    desk = merge_status([first, second])["devices"][0]
    assert [entry["path"] for entry in desk["own_files"]] == sorted([OWN, other]) and desk["state"] == "current"
    second["devices"][0]["own_files"][0]["current"] = False
    assert merge_status([first, second])["devices"][0]["state"] == "outdated"
    # Seen only through shared files on every host: nothing shows it read its profile.
    assert merge_status([shared])["devices"][0]["state"] == "outdated"


def test_documents_without_own_files_keep_the_latest_view_s_current():
    first = snom("a", fetch("2026-12-06T11:00:00Z", "a", path=OWN), None)
    shared = snom("b", fetch("2026-12-06T11:00:05Z", "b", path=SHARED), None)
    for document, current in ((first, False), (shared, True)):
        entry = document["devices"][0]
        del entry["own_files"]
        entry["current"] = current
    desk = merge_status([first, shared])["devices"][0]
    assert desk["current"] is True and desk["own_files"] == []


def test_the_latest_refusal_over_every_host_is_kept_apart():
    refused_a = dict(fetch("2026-12-06T11:30:00Z", "a", client="203.0.113.66", path=OWN), status=401)
    refused_b = dict(fetch("2026-12-06T11:40:00Z", "b", client="203.0.113.67", path=OWN), status=404)
    served = dict(fetch("2026-12-06T11:00:00Z", "b", path=OWN), authenticated=True)
    first = snom("a", None, [], last_refused=refused_a)
    second = snom("b", served, [own(OWN, "2026-12-06T11:00:00Z", True)], last_refused=refused_b)
    for hosts in ([first, second], [second, first]):
        desk = merge_status(hosts)["devices"][0]
        # The latest, from the second host by name.
        assert desk["last_refused"] == refused_b
        assert desk["last_fetch"] == served and desk["state"] == "current"
    # A fetch that does not say it was proven is not.
    second["devices"][0]["last_fetch"].pop("authenticated")
    assert merge_status([first, second])["devices"][0]["last_fetch"]["authenticated"] is False
    second["devices"][0]["last_refused"] = None
    assert merge_status([first, second])["devices"][0]["last_refused"] == refused_a
    first["devices"][0]["last_refused"] = None
    assert merge_status([first, second])["devices"][0]["last_refused"] is None


def proof(time, host, client, path="cfg000b82000001.xml"):
    return {"time": time, "host": host, "client": client, "scheme": "https", "path": path}


def test_the_latest_proof_is_kept_with_the_host_that_saw_it():
    """Each host's last_authenticated stays whole: its client is never paired with another host's time."""
    # prov-1 saw the later fetch (unproven, a shared file); prov-2 the later proof, from another client.
    one = device("alpha", "000b82000001", "prov-1", fetch("2026-12-06T16:00:00Z", "prov-1", client="10.0.0.9"))
    one["last_authenticated"] = proof("2026-12-06T09:00:00Z", "prov-1", "10.0.0.1")
    two = device("alpha", "000b82000001", "prov-2", fetch("2026-12-06T12:00:00Z", "prov-2", client="10.0.0.2"))
    two["last_authenticated"] = proof("2026-12-06T11:00:00Z", "prov-2", "10.0.0.2")
    hosts = [host_result("prov-1", "2026-12-06T16:30:00Z", [one]), host_result("prov-2", "2026-12-06T16:30:00Z", [two])]
    for order in (hosts, hosts[::-1]):
        alpha = by_name(merge_status(copy.deepcopy(order)))["alpha"]
        assert alpha["last_fetch"]["client"] == "10.0.0.9"
        assert alpha["last_authenticated"] == proof("2026-12-06T11:00:00Z", "prov-2", "10.0.0.2")
    # The other way round: prov-1's proof is the later one.
    one["last_authenticated"] = proof("2026-12-06T15:00:00Z", "prov-1", "10.0.0.1")
    later = proof("2026-12-06T15:00:00Z", "prov-1", "10.0.0.1")
    assert by_name(merge_status(hosts))["alpha"]["last_authenticated"] == later
    # A host without a proof (or an older document without the field) leaves the other's.
    one.pop("last_authenticated")
    assert by_name(merge_status(hosts))["alpha"]["last_authenticated"]["host"] == "prov-2"
    two["last_authenticated"] = None
    assert by_name(merge_status(hosts))["alpha"]["last_authenticated"] is None


def test_a_proof_from_a_host_that_knows_the_device_by_another_mac_is_dropped():
    """A replaced phone: prov-2's inventory still gives the label the old MAC, and its proof is the old phone's."""
    new = device("alpha", "000b82000001", "prov-1", fetch("2026-12-06T10:00:00Z", "prov-1", client="10.0.0.1"))
    new["last_authenticated"] = proof("2026-12-06T10:00:00Z", "prov-1", "10.0.0.1")
    old = device("alpha", "000b820000ff", "prov-2", fetch("2026-12-06T12:00:00Z", "prov-2", client="10.0.0.2"))
    old["last_authenticated"] = proof("2026-12-06T12:00:00Z", "prov-2", "10.0.0.2")
    hosts = [host_result("prov-1", "2026-12-06T16:30:00Z", [new]), host_result("prov-2", "2026-12-06T16:30:00Z", [old])]
    alpha = by_name(merge_status(hosts))["alpha"]
    assert alpha["mac"] == "000b82000001"
    assert alpha["last_authenticated"] == proof("2026-12-06T10:00:00Z", "prov-1", "10.0.0.1")
    # The same MAC in another case is the same device.
    old["mac"] = "000B82000001"
    assert by_name(merge_status(hosts))["alpha"]["last_authenticated"]["client"] == "10.0.0.2"
    # Only the old phone's host proved anything: nothing is proven for the new MAC.
    old["mac"] = "000b820000ff"
    new["last_authenticated"] = None
    assert by_name(merge_status(hosts))["alpha"]["last_authenticated"] is None


def test_unknown_macs_left_out_are_summed_and_shown(two_hosts):
    assert merge_status(two_hosts)["unknown_dropped"] == 0
    page = render_page(merge_status(two_hosts))
    assert "unknown-dropped" not in page and "not listed" not in unknown_devices_yaml(merge_status(two_hosts))
    two_hosts[0]["unknown_dropped"] = 1200
    two_hosts[1]["unknown_dropped"] = 34
    merged = merge_status(two_hosts)
    assert merged["unknown_dropped"] == 1234
    assert '<p id="unknown-dropped">1234 more unknown MACs not listed' in render_page(merged)
    text = unknown_devices_yaml(merged)
    assert "# 1234 more unknown MACs were seen but not listed" in text
    assert yaml.safe_load(text) == yaml.safe_load(unknown_devices_yaml(merge_status(
        [dict(host, unknown_dropped=0) for host in two_hosts])))


@pytest.mark.parametrize("damage, field, device", [
    (lambda hosts: hosts[0]["devices"][0].update(own_files={"a": 1}), "own_files", "alpha"),
    (lambda hosts: hosts[0]["devices"][0]["own_files"].append("x"), "own_files[1]", "alpha"),
    (lambda hosts: hosts[0]["devices"][0]["own_files"][0].update(path=None), "own_files[0].path", "alpha"),
    (lambda hosts: hosts[0]["devices"][0]["own_files"][0].update(time="later"), "own_files[0].time", "alpha"),
    (lambda hosts: hosts[0]["devices"][0]["own_files"][0].update(current="yes"), "own_files[0].current", "alpha"),
    (lambda hosts: hosts[0]["devices"][0].update(last_refused="10.0.0.1"), "last_refused", "alpha"),
    (lambda hosts: hosts[0]["devices"][0].update(last_refused={"time": None}), "last_refused.time", "alpha"),
    (lambda hosts: hosts[0]["devices"][0]["last_fetch"].update(authenticated="true"), "last_fetch.authenticated",
     "alpha"),
    (lambda hosts: hosts[0]["devices"][0].update(last_authenticated="10.0.0.1"), "last_authenticated", "alpha"),
    (lambda hosts: hosts[0]["devices"][0].update(last_authenticated={"time": "now", "client": "10.0.0.1"}),
     "last_authenticated.time", "alpha"),
    (lambda hosts: hosts[0]["devices"][0].update(last_authenticated={"time": "2026-12-06T10:00:00Z", "client": 1}),
     "last_authenticated.client", "alpha"),
    (lambda hosts: hosts[0]["devices"][0].update(last_authenticated={"time": "2026-12-06T10:00:00Z",
                                                                     "client": "10.0.0.1", "path": 3}),
     "last_authenticated.path", "alpha"),
    (lambda hosts: hosts[1].update(unknown_dropped=-1), "host_results[1].unknown_dropped", None),
    (lambda hosts: hosts[1].update(unknown_dropped=True), "host_results[1].unknown_dropped", None),
    (lambda hosts: hosts[1].update(unknown_dropped="3"), "host_results[1].unknown_dropped", None),
])
def test_a_malformed_new_field_is_an_error_naming_device_and_field(two_hosts, damage, field, device):
    damage(two_hosts)
    with pytest.raises(ProvisioningError) as caught:
        merge_status(two_hosts)
    assert caught.value.field == field
    assert caught.value.device == device


@pytest.mark.parametrize("stale_days", [0, -1, True, "7", None])
def test_stale_days_must_be_a_positive_number(two_hosts, stale_days):
    with pytest.raises(ProvisioningError, match="positive number") as caught:
        merge_status(two_hosts, stale_days=stale_days)
    assert caught.value.field == "stale_days"


def test_no_host_is_an_error():
    with pytest.raises(ProvisioningError, match="no provisioning host returned a status"):
        merge_status([])


# --- unknown-devices.yml -------------------------------------------------------------


NASTY = [
    "plain", "", "with: colon", "# hash", "- dash", "quote\"s and 'apostrophes'", "back\\slash", "new\nline",
    "carriage\rreturn", "tab\there", "nel\x85next", "ls\u2028ps\u2029", "nul\0bell\a", "del\x7f", "bom\ufeff",
    "yes", "0777", "12:30", "~", "null", "\u00e9t\u00e9 \u65e5\u672c \U0001F4DE", "{flow: [x]}", "*alias", "&anchor",
    "!tag", "%directive", "@at", "`tick`", "</script><b>", "  spaces  ",
]


@pytest.mark.parametrize("value", NASTY)
def test_yaml_quote_reads_back_as_the_same_string(value):
    quoted = yaml_quote(value)
    assert "\n" not in quoted and "\r" not in quoted and "\x85" not in quoted and "\u2028" not in quoted
    assert yaml.safe_load("key: %s  # comment\n" % quoted) == {"key": value}


def test_unknown_devices_are_sipfleet_devices_entries(two_hosts):
    text = unknown_devices_yaml(merge_status(two_hosts))
    assert yaml.safe_load(text) == [
        {"name": "unknown-0004f2aa0001", "mac": "0004f2aa0001", "vendor": "poly", "model": "VVX450"},
    ]
    assert "# first seen 2026-11-30T09:00:00Z, last seen 2026-12-03T10:00:00Z, from 10.0.1.1, firmware 6.4.6.0123" \
        in text
    # Paths are not in it: whatever a path held stays on the page.
    assert ".cfg" not in text


def test_hostile_unknown_values_stay_in_their_comment_or_scalar(two_hosts):
    entry = two_hosts[0]["unknown"][0]
    entry.update(client="10.0.0.1\n- name: injected\n  mac: '000000000001'", model="VVX450\nmac: x",
                 firmware="1.0\u2028- injected", vendor="not-a-vendor", suggested_name="bad name\nx: y")
    two_hosts[1]["unknown"] = []
    text = unknown_devices_yaml(merge_status(two_hosts))
    loaded = yaml.safe_load(text)
    assert loaded == [{"name": "unknown-0004f2aa0001", "mac": "0004f2aa0001", "model": None}]
    assert "# vendor not-a-vendor is not one the collection knows" in text


def test_a_suggested_name_taken_by_a_device_is_replaced(two_hosts):
    two_hosts[0]["unknown"][0]["suggested_name"] = "alpha"
    two_hosts[1]["unknown"] = []
    assert yaml.safe_load(unknown_devices_yaml(merge_status(two_hosts)))[0]["name"] == "unknown-0004f2aa0001"


def test_no_unknown_mac_is_an_empty_list(two_hosts):
    for host in two_hosts:
        host["unknown"] = []
    text = unknown_devices_yaml(merge_status(two_hosts))
    assert yaml.safe_load(text) == []
    assert text.startswith("# Phones that asked the provisioning servers (prov-1, prov-2)")


# --- index.html ------------------------------------------------------------------------


class PageParser(HTMLParser):
    """Collects the tags, the device table's rows and cells, and the script elements' text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.rows = []
        self.scripts = []
        self.in_body = False
        self.cell = None
        self.script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tbody" and self.tags and any(t == "table" and a.get("id") == "devices" for t, a in self.tags):
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append({"attrs": dict(attrs), "cells": []})
        elif tag == "td" and self.in_body:
            self.cell = []
        elif tag == "script":
            self.script = {"attrs": dict(attrs), "text": []}

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1]["cells"].append("".join(self.cell))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "script" and self.script is not None:
            self.scripts.append(dict(self.script, text="".join(self.script["text"])))
            self.script = None

    def handle_data(self, data):
        if self.script is not None:
            self.script["text"].append(data)
        elif self.cell is not None:
            self.cell.append(data)


def parse(page):
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def test_the_table_body_is_left_to_the_script(two_hosts):
    merged = merge_status(two_hosts)
    text = render_page(merged)
    page = parse(text)
    # No row in the HTML: the script builds one page of them at a time from the JSON.
    assert page.rows == []
    assert '<tbody></tbody>' in text
    table = [attrs for tag, attrs in page.tags if tag == "table" and attrs.get("id") == "devices"]
    assert table == [{"id": "devices", "data-rows": "5"}]
    # Without scripts: a note says so, the controls that would do nothing are hidden, the counts stay.
    assert "<noscript><p class=\"note\">The table of the 5 devices and unknown MACs needs scripts" in text
    hidden = {attrs.get("id"): "hidden" in attrs for tag, attrs in page.tags if tag in ("form", "nav")}
    assert hidden == {"filters": True, "pager": True}
    assert "<title>current: 2 (40.0%)</title>" in text


def test_the_cells_the_script_must_show(two_hosts):
    # The script writes the cells as _table_rows does (the status_page
    # integration target compares every row of the page with these).
    rows = _table_rows(merge_status(two_hosts))
    assert [row["device"] for row in rows] == ["alpha", "bravo", "charlie", "delta", "unknown-0004f2aa0001"]
    assert [row["state"] for row in rows] == ["current", "current", "never_seen", "stale", "unknown"]
    assert all(set(row) == {column[0] for column in COLUMNS} for row in rows)
    alpha = rows[0]
    assert alpha["client"] == "10.0.0.2" and alpha["host"] == "prov-2" and alpha["firmware"] == "1.0.11.16"
    assert alpha["file"] == "http cfg000b82000001.xml (200)"


def test_the_json_block_is_the_merged_status(two_hosts):
    merged = merge_status(two_hosts)
    page = parse(render_page(merged))
    data = [script for script in page.scripts if script["attrs"].get("type") == "application/json"]
    assert len(data) == 1 and data[0]["attrs"]["id"] == "status-data"
    assert json.loads(data[0]["text"]) == merged


def test_values_stay_text_in_the_html_and_json(two_hosts):
    two_hosts[1]["devices"][0]["last_fetch"]["user_agent"] = HOSTILE
    two_hosts[1]["devices"][0]["device"] = HOSTILE
    two_hosts[0]["devices"][0]["device"] = HOSTILE
    two_hosts[0]["unknown"][0]["firmware"] = HOSTILE
    merged = merge_status(two_hosts)
    text = render_page(merged)
    page = parse(text)
    # The only elements are the page's own: no b, and only its two scripts.
    assert "b" not in [tag for tag, dummy in page.tags]
    assert [script["attrs"].get("type") for script in page.scripts] == ["application/json", None]
    json_text = page.scripts[0]["text"]
    assert "<" not in json_text and ">" not in json_text and "&" not in json_text
    assert json.loads(json_text) == merged
    # The counts tables show it as text too.
    assert "<td>%s</td>" % HOSTILE.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in text
    assert HOSTILE not in text


def test_the_script_writes_values_as_text_only():
    # The cells get their values through textContent (and title): nothing
    # the script does parses a string as HTML.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment",
                 "DOMParser", "eval(", "Function(", "setAttribute(\"on", "srcdoc"):
        assert sink not in _SCRIPT, sink
    assert "td.textContent = value;" in _SCRIPT and "shown.textContent =" in _SCRIPT


def test_the_mac_column_sorts_by_its_plain_text():
    """Hex MACs must not have their digit runs padded: 0004f2aa00ff sorts before 000b82123456."""
    start = _SCRIPT.index("  function sortKey(i, key) {")
    end = _SCRIPT.index("  function keysOf(key) {")
    assert 'if (key === "mac") { return value.toLowerCase(); }' in _SCRIPT[start:end]
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("no node to run the page's script with")
    macs = ["0c1167abcdef", "000e08abcdef", "00562b043615", "000b82123456", "0004F2AA00FF"]
    names = ["desk-10", "desk-9", "desk-1", "desk-100", "desk-2"]
    program = "\n".join([
        "var devices = [], unknown = [], stateOrder = {};",
        "function stateOf(i) { return 'current'; }",
        "function unknownDays(u) { return null; }",
        "function text(v) { return v === null || v === undefined ? '' : String(v); }",
        "var columns = %s;" % json.dumps({"mac": macs, "device": names}),
        "function cell(i, key) { return columns[key][i]; }",
        _SCRIPT[start:end],
        "var out = {};",
        "Object.keys(columns).forEach(function (key) {",
        "  var idx = columns[key].map(function (v, i) { return i; });",
        "  idx.sort(function (a, b) { var x = sortKey(a, key), y = sortKey(b, key);"
        " return x < y ? -1 : x > y ? 1 : 0; });",
        "  out[key] = idx.map(function (i) { return columns[key][i]; });",
        "});",
        "process.stdout.write(JSON.stringify(out));",
    ])
    done = subprocess.run([node, "-e", program], stdout=subprocess.PIPE, check=True)
    order = json.loads(done.stdout.decode("utf-8"))
    assert order["mac"] == sorted(macs, key=str.lower)
    assert order["mac"][:2] == ["0004F2AA00FF", "000b82123456"]
    # The other columns keep their numbers by value.
    assert order["device"] == ["desk-1", "desk-2", "desk-9", "desk-10", "desk-100"]


def test_the_script_gets_its_constants(two_hosts):
    page = parse(render_page(merge_status(two_hosts)))
    script = [script["text"] for script in page.scripts if script["attrs"].get("type") is None][0]
    assert "@" not in script
    assert "var PAGE_SIZE = %d;" % PAGE_SIZE in script
    assert "var STATE_LABELS = %s;" % json_for_script(STATE_LABELS) in script
    assert "var STATES = %s;" % json_for_script(list(STATES)) in script


def test_json_for_script_escapes_what_could_end_the_element():
    text = json_for_script({"a": "</script><!-- & \u2028\u2029"})
    assert text == '{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029"}'
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029"}


def test_the_page_loads_nothing_from_anywhere(two_hosts):
    text = render_page(merge_status(two_hosts))
    page = parse(text)
    for tag, attrs in page.tags:
        assert not set(attrs) & {"src", "href", "srcset", "data", "action", "poster"}, (tag, attrs)
        assert tag not in ("link", "iframe", "object", "embed", "img", "base")
    assert "url(" not in text and "@import" not in text and "http://" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text
    assert "default-src 'none'" in text
    assert [tag for tag, dummy in page.tags].count("svg") == 1


def test_the_page_has_the_counts_and_the_controls(two_hosts):
    text = render_page(merge_status(two_hosts))
    page = parse(text)
    ids = [attrs.get("id") for dummy, attrs in page.tags]
    assert "filter" in ids and "state" in ids and "shown" in ids
    buttons = [attrs.get("id") for tag, attrs in page.tags if tag == "button"]
    assert buttons == ["page-first", "page-previous", "page-next", "page-last"]
    assert all(attrs.get("type") == "button" for tag, attrs in page.tags if tag == "button")
    headers = [attrs for tag, attrs in page.tags if tag == "th"]
    # Sortable from the keyboard: every header takes the focus and says how it is sorted.
    assert all(attrs.get("tabindex") == "0" and attrs.get("aria-sort") == "none" for attrs in headers)
    options = [attrs.get("value") for tag, attrs in page.tags if tag == "option"]
    assert options == ["", "current", "outdated", "stale", "never_seen", "unknown"]
    headers = [attrs.get("data-key") for tag, attrs in page.tags if tag == "th"]
    assert headers == [column[0] for column in COLUMNS]
    assert "<title>current: 2 (40.0%)</title>" in text
    assert "<caption>devices by vendor</caption><tbody><tr><td>grandstream</td><td class=\"n\">4</td>" in text


def test_the_page_is_the_same_for_the_same_input(two_hosts):
    first = render_page(merge_status(two_hosts))
    assert render_page(merge_status(list(reversed(copy.deepcopy(two_hosts))))) == first
    assert "2026-12-06T16:31:00Z" in first
