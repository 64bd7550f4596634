# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading bootstrap fetches from nginx JSON access logs and tftpd-hpa syslog lines."""

from __future__ import annotations

import json

from ansible_collections.sipfleet.provisioning.plugins.module_utils._fetch_log import (
    http_fetches,
    merge_fetched,
    parse_iso_time,
    tftp_fetches,
)

OPENED = parse_iso_time("2026-11-21T10:00:00+00:00")
STATE = {"version": 1, "devices": {
    "0080f0c8c381": {"key_id": "k-pana", "opened": OPENED, "closed": None, "paths": ["Config0080F0C8C381.cfg"],
                     "sizes": {"Config0080F0C8C381.cfg": 300}, "vendor": "panasonic", "device": "office"},
    "000b82123456": {"key_id": "k-gs", "opened": OPENED, "closed": None, "paths": ["cfg000b82123456", "cfg000b82123456.bin"],
                     "sizes": {"cfg000b82123456": 120, "cfg000b82123456.bin": 120}, "vendor": "grandstream",
                     "device": "reception"},
    "88012ba01234": {"key_id": "k-spa", "opened": OPENED, "closed": 5, "paths": ["spa88012ba01234.xml"],
                     "sizes": {}, "vendor": "cisco_spa", "device": "lobby"},
}}


def access(path, status=200, sent=300, when="2026-11-21T10:05:00+00:00", agent="", client="10.99.0.2"):
    return json.dumps({"time": when, "remote_addr": client, "path": path, "status": status, "bytes": sent,
                       "user_agent": agent})


def test_complete_fetch_after_the_window_opened_counts():
    fetched, foreign = http_fetches([access("/Config0080F0C8C381.cfg", agent="Panasonic_KX-UT133/01.133 (0080f0c8c381)")], STATE)
    assert fetched == {"0080f0c8c381": {"k-pana"}} and foreign == []


def test_partial_failed_early_and_closed_window_fetches_do_not_count():
    lines = [
        access("/Config0080F0C8C381.cfg", sent=100),
        access("/Config0080F0C8C381.cfg", status=404, sent=0),
        access("/Config0080F0C8C381.cfg", when="2026-11-21T09:59:59+00:00"),
        access("/spa88012ba01234.xml"),
        "not json",
        "{broken json",
    ]
    assert http_fetches(lines, STATE) == ({}, [])


def test_a_user_agent_naming_another_device_is_reported_not_counted():
    agent = "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82999999"
    fetched, foreign = http_fetches([access("/cfg000b82123456", sent=120, agent=agent, client="10.99.0.66")], STATE)
    assert fetched == {}
    assert foreign[0]["device"] == "reception" and foreign[0]["client"] == "10.99.0.66"
    own = "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456"
    assert http_fetches([access("/cfg000b82123456", sent=120, agent=own)], STATE)[0] == {"000b82123456": {"k-gs"}}


def test_tftp_read_requests_in_both_syslog_time_formats():
    lines = [
        "2026-11-21T10:01:02.123456789+00:00 prov in.tftpd[812]: RRQ from ::ffff:10.99.0.2 filename cfg000b82123456.bin",
        "2026-11-21T09:00:00+00:00 prov in.tftpd[812]: RRQ from 10.99.0.3 filename Config0080F0C8C381.cfg",
        "Nov 21 10:00:00 prov in.tftpd[1]: something else",
    ]
    assert tftp_fetches(lines, STATE, now=OPENED + 3600) == {"000b82123456": {"k-gs"}}


def test_merge_over_hosts():
    assert merge_fetched({"a": {"1"}}, {"a": {"2"}, "b": {"3"}}) == {"a": ["1", "2"], "b": ["3"]}
