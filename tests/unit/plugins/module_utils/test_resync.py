# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The resync module's logic (device choice, addresses, targets, check mode) and the PBX hand-off."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _resync
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._pbx_notify import conf_value, pbx_notify_config
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run as render_profiles
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_phone_profiles import (
    DEFAULTS as PROFILE_DEFAULTS,
    devices as profile_devices,
    store_keys,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_sip_notify import _answer, _serve_udp

INVENTORY = {
    "devices": [
        {"name": "lobby", "mac": "80:5e:c0:11:22:33", "model": "T46U",
         "lines": [{"extension": "201", "password": "Yealink-201-Secret"}]},
        {"name": "desk", "mac": "00:04:13:aa:bb:cc", "model": "D785",
         "lines": [{"extension": "301", "auth_user": "snom301", "password": "Snom-301-Secret"}]},
        {"name": "berlin-ata", "mac": "88:01:2b:a0:12:34", "model": "SPA2102",
         "lines": [{"extension": "203", "password": "spa-203-secret"}]},
        {"name": "berlin-conf", "mac": "00:04:f2:aa:00:01", "model": "VVX410",
         "lines": [{"extension": "204", "password": "Poly-204-Secret"}]},
    ],
    "defaults": {"sip_server": "pbx.example.net", "provisioning_url": "https://prov.example.net"},
}


def _params(**overrides):
    params = dict(devices=["*"], addresses={}, status_file=None, status=None, port=5060, transport="udp", rate=0,
                  concurrency=2, timeout=1.0, reboot=None, unmatched_devices="fail", inventory_file="unused")
    params.update(overrides)
    return params


@pytest.fixture(name="fleet")
def fixture_fleet():
    return _resync.load_devices(INVENTORY)


def _names(devices):
    return [device.label for device in devices]


def test_devices_load_without_the_renderers_rules(fleet):
    # Yealink with encrypt_profiles on (the default) would fail phone_profiles; a NOTIFY does not care.
    assert [(device.label, device.vendor) for device in fleet] == [
        ("lobby", "yealink"), ("desk", "snom"), ("berlin-ata", "cisco_spa"), ("berlin-conf", "poly")]


@pytest.mark.parametrize("wanted, expected", [
    (["desk"], ["desk"]),
    (["00-04-F2-AA-00-01"], ["berlin-conf"]),
    (["berlin-*"], ["berlin-ata", "berlin-conf"]),
    (["desk", "lobby", "desk"], ["lobby", "desk"]),
    (["*"], ["lobby", "desk", "berlin-ata", "berlin-conf"]),
    ([], []),
])
def test_select_devices(fleet, wanted, expected):
    assert _names(_resync.select_devices(fleet, wanted)) == expected


def test_an_unknown_device_is_an_error_naming_it(fleet):
    with pytest.raises(ProvisioningError) as caught:
        _resync.select_devices(fleet, ["lobby", "lobyy", "munich-*"])
    assert caught.value.field == "devices"
    assert "devices[1] 'lobyy'" in str(caught.value) and "devices[2] 'munich-*'" in str(caught.value)


def proof(client, time="2026-12-06T10:00:00Z"):
    """A status record's last_authenticated, as fleet_status writes it."""
    return {"time": time, "host": "prov-1", "client": client, "scheme": "https", "path": "805ec0112233.cfg"}


STATUS = {"devices": [
    # lobby's last fetch (a shared file) carried no proof; its last proof came from the same address.
    {"device": "lobby", "mac": "805ec0112233", "state": "current",
     "last_fetch": {"client": "10.99.20.105", "authenticated": False}, "last_authenticated": proof("10.99.20.105")},
    # An older status file: no "last_authenticated", not even "authenticated".
    {"device": "desk", "mac": "000413aabbcc", "last_fetch": {"client": "10.99.20.106"}},
    {"device": "berlin-conf", "mac": "0004f2aa0001", "last_fetch": None},
]}


def test_status_addresses_read_the_client_mac_proof_and_state():
    lobby = {"client": "10.99.20.105", "mac": "805ec0112233", "proven_client": "10.99.20.105", "state": "current"}
    desk = {"client": "10.99.20.106", "mac": "000413aabbcc", "proven_client": None, "state": None}
    assert _resync.status_addresses(STATUS) == {"lobby": lobby, "805ec0112233": lobby,
                                                "desk": desk, "000413aabbcc": desk}
    # A registered fleet_status result holds the document as its status.
    assert _resync.status_addresses({"changed": False, "status": STATUS}) == _resync.status_addresses(STATUS)
    # The MAC in any notation is the device's.
    record = dict(STATUS["devices"][0], mac="80:5E:C0:11:22:33")
    assert _resync.status_addresses({"devices": [record]})["lobby"]["mac"] == "805ec0112233"


@pytest.mark.parametrize("document", [{}, {"status": {}}, {"hosts": ["prov-1"], "unknown": []}, {"status": "x"}])
def test_a_document_without_devices_is_an_error_not_an_empty_status(document, tmp_path):
    with pytest.raises(ProvisioningError) as caught:
        _resync.status_addresses(document, "status_file")
    assert (caught.value.device, caught.value.field) == (None, "status_file.devices")
    status_file = tmp_path / "status.json"
    status_file.write_text(json.dumps(document))
    with pytest.raises(ProvisioningError) as caught:
        _resync.run(_params(devices=["lobby"], status_file=str(status_file)), INVENTORY, sender=None)
    assert caught.value.field == "status_file.devices"


@pytest.mark.parametrize("document, device, field", [
    ([1, 2], None, "status"),
    ({"devices": {"a": 1}}, None, "status.devices"),
    ({"devices": ["lobby"]}, None, "status.devices[0]"),
    ({"devices": [{"device": 7}]}, None, "status.devices[0].device"),
    ({"devices": [{"device": "lobby", "mac": 805}]}, None, "status.devices[0].mac"),
    ({"devices": [{}, {"device": "lobby", "last_fetch": "10.0.0.1"}]}, "lobby", "status.devices[1].last_fetch"),
    ({"devices": [{"device": "lobby", "last_fetch": {"client": 10}}]}, "lobby", "status.devices[0].last_fetch.client"),
    ({"devices": [{"mac": "805ec0112233", "last_fetch": {"client": "10.0.0.1", "authenticated": "yes"}}]},
     "805ec0112233", "status.devices[0].last_fetch.authenticated"),
    ({"devices": [{"device": "lobby", "last_fetch": {"client": "10.0.0.1"}, "last_authenticated": "10.0.0.1"}]},
     "lobby", "status.devices[0].last_authenticated"),
    ({"devices": [{"device": "lobby", "last_fetch": {"client": "10.0.0.1"}, "last_authenticated": {"client": 10}}]},
     "lobby", "status.devices[0].last_authenticated.client"),
    ({"devices": [{"device": "lobby", "last_fetch": {"client": "10.0.0.1"}, "last_authenticated": {}}]},
     "lobby", "status.devices[0].last_authenticated.client"),
    ({"devices": [{"device": "lobby", "last_fetch": {"client": "10.0.0.1"}, "state": 3}]},
     "lobby", "status.devices[0].state"),
])
def test_a_malformed_status_document_names_the_device_and_field(document, device, field):
    with pytest.raises(ProvisioningError) as caught:
        _resync.status_addresses(document)
    assert (caught.value.device, caught.value.field) == (device, field)


def test_a_malformed_status_file_names_the_option(tmp_path):
    status_file = tmp_path / "status.json"
    status_file.write_text(json.dumps({"devices": [{"device": "lobby", "last_fetch": "10.0.0.1"}]}))
    with pytest.raises(ProvisioningError) as caught:
        _resync.run(_params(devices=["lobby"], status_file=str(status_file)), INVENTORY, sender=None)
    assert (caught.value.device, caught.value.field) == ("lobby", "status_file.devices[0].last_fetch")


@pytest.mark.parametrize("addresses, device, field", [
    ({"lobby": 10}, "lobby", "addresses.lobby"),
    ({"lobby": ["192.0.2.5"]}, "lobby", "addresses.lobby"),
    ({"lobby": None}, "lobby", "addresses.lobby"),
    ({805: "192.0.2.5"}, None, "addresses"),
    (["lobby"], None, "addresses"),
])
def test_an_address_of_the_wrong_type_is_refused_not_converted(addresses, device, field):
    sent = []
    with pytest.raises(ProvisioningError) as caught:
        _resync.run(_params(devices=["lobby"], addresses=addresses), INVENTORY, sender=sent.append)
    assert (caught.value.device, caught.value.field) == (device, field)
    assert sent == []


def test_targets_take_the_given_address_before_the_status(fleet):
    found = _resync.status_addresses(STATUS)
    targets, skipped, notes = _resync.build_targets(fleet, {"desk": "192.0.2.6:5070", "80:5E:C0:11:22:33": "192.0.2.5"},
                                                    found)
    by_device = dict((target["device"], target) for target in targets)
    assert skipped == ["berlin-ata", "berlin-conf"] and notes == []
    assert (by_device["lobby"]["host"], by_device["lobby"]["port"]) == ("192.0.2.5", 5060)
    assert by_device["lobby"]["address_source"] == "addresses"
    assert (by_device["desk"]["host"], by_device["desk"]["port"]) == ("192.0.2.6", 5070)
    # The Request-URI names the extension; the digest uses the authentication user and the line's password.
    assert (by_device["desk"]["user"], by_device["desk"]["auth_user"], by_device["desk"]["password"]) == (
        "301", "snom301", "Snom-301-Secret")
    assert by_device["desk"]["event"] == "check-sync;reboot=false"


def test_only_a_trusted_address_gets_the_password(fleet):
    # lobby's fetch was authenticated, desk's was not; berlin-conf's address was given.
    targets, _skipped, _notes = _resync.build_targets(fleet, {"berlin-conf": "192.0.2.7"},
                                                      _resync.status_addresses(STATUS))
    by_device = dict((target["device"], target) for target in targets)
    assert (by_device["lobby"]["address_source"], by_device["lobby"]["password"],
            by_device["lobby"]["challenge_refusal"]) == ("status: authenticated fetch", "Yealink-201-Secret", None)
    assert (by_device["berlin-conf"]["address_source"], by_device["berlin-conf"]["password"],
            by_device["berlin-conf"]["challenge_refusal"]) == ("addresses", "Poly-204-Secret", None)
    desk = by_device["desk"]
    assert (desk["address_source"], desk["password"]) == ("status: unauthenticated fetch", "")
    assert "10.99.20.106 from the status is not trusted" in desk["challenge_refusal"]
    assert "no authenticated fetch of the device" in desk["challenge_refusal"]
    assert "give the device's address in addresses" in desk["challenge_refusal"]
    assert "per-device credentials or client certificates" in desk["challenge_refusal"]


#: The desk phone's status record at 127.0.0.1, trusted: its MAC, its proof from that address, not stale.
TRUSTED_DESK = {"device": "desk", "mac": "000413aabbcc", "state": "current",
                "last_fetch": {"client": "127.0.0.1", "time": "2026-12-06T10:00:00Z", "authenticated": False},
                "last_authenticated": proof("127.0.0.1", "2026-12-06T09:00:00Z")}


@pytest.mark.parametrize("change, reason", [
    ({}, None),
    # The same record with last_fetch authenticated too.
    ({"last_fetch": dict(TRUSTED_DESK["last_fetch"], authenticated=True)}, None),
    # An older status file: only last_fetch.authenticated, no last_authenticated.
    ({"last_fetch": dict(TRUSTED_DESK["last_fetch"], authenticated=True), "last_authenticated": None},
     "no authenticated fetch of the device"),
    ({"last_authenticated": None}, "no authenticated fetch of the device"),
    # The last fetch (a shared file, a TFTP read) came from another address than the proof.
    ({"last_authenticated": proof("10.99.20.5")},
     "its last authenticated fetch came from 10.99.20.5, not from the address of its last fetch"),
    # The record of the phone this one replaced: the label is the same, the MAC the old phone's.
    ({"mac": "0004139999ff"}, "the status record's MAC (0004139999ff) is not the device's (000413aabbcc)"),
    ({"mac": None}, "the status record's MAC (none) is not the device's (000413aabbcc)"),
    ({"state": "stale"}, "the device is stale in the status"),
])
def test_a_challenge_at_a_status_address_is_answered_only_when_the_phone_proved_it(change, reason):
    # A real exchange with a loopback socket playing whatever sits at the status address and challenges.
    challenge = _answer("401 Unauthorized", 'WWW-Authenticate: Digest realm="snom", nonce="n0nce", qop="auth"\r\n')
    port, received, thread = _serve_udp([challenge, _answer("200 OK")])
    status = {"devices": [dict(TRUSTED_DESK, **change)]}
    result = _resync.run(_params(devices=["desk"], status=status, port=port, timeout=2.0), INVENTORY)
    thread.join(3)
    record = result["results"][0]
    if reason is None:
        assert (record["status"], record["authenticated"], record["note"]) == (200, True, None)
        assert record["address_source"] == "status: authenticated fetch"
        assert len(received) == 2 and b"Authorization: Digest" in received[1]
        return
    assert (record["status"], record["result"], record["authenticated"]) == (401, "401 Unauthorized", False)
    assert record["address_source"] == "status: unauthenticated fetch"
    assert "challenge not answered" in record["note"] and "addresses" in record["note"]
    assert reason in record["note"]
    # One NOTIFY, no digest: nothing of the password reached the challenger.
    assert len(received) == 1 and b"Authorization" not in received[0]
    assert result["summary"] == {"failed": 1}
    assert any("challenge was not answered: desk" in warning for warning in result["warnings"])


def test_every_failed_condition_is_in_the_note(fleet):
    desk = dict(TRUSTED_DESK, mac="0004139999ff", state="stale", last_authenticated=None)
    targets, _skipped, _notes = _resync.build_targets(fleet, {}, _resync.status_addresses({"devices": [desk]}))
    target = [target for target in targets if target["device"] == "desk"][0]
    assert (target["host"], target["password"], target["address_source"]) == ("127.0.0.1", "",
                                                                              "status: unauthenticated fetch")
    for reason in ("MAC (0004139999ff)", "no authenticated fetch", "stale"):
        assert reason in target["challenge_refusal"]


def test_a_given_address_gets_the_challenge_answered():
    challenge = _answer("401 Unauthorized", 'WWW-Authenticate: Digest realm="snom", nonce="n0nce"\r\n')
    port, received, thread = _serve_udp([challenge, _answer("200 OK")])
    result = _resync.run(_params(devices=["desk"], addresses={"desk": "127.0.0.1:%d" % port}, timeout=2.0), INVENTORY)
    thread.join(3)
    record = result["results"][0]
    assert (record["status"], record["authenticated"], record["address_source"]) == (200, True, "addresses")
    assert b'Authorization: Digest username="snom301"' in received[1]


def test_targets_events_and_reboot_notes(fleet):
    addresses = dict((device.label, "192.0.2.%d" % index) for index, device in enumerate(fleet, 1))
    targets, _skipped, notes = _resync.build_targets(fleet, addresses, {}, reboot=True)
    events = [target["event"] for target in targets]
    assert events == ["check-sync;reboot=true", "check-sync;reboot=true", "resync", "check-sync"]
    assert len(notes) == 2 and "Cisco" in notes[0] and "Poly" in notes[1]


def test_a_bad_address_names_the_device(fleet):
    with pytest.raises(ProvisioningError) as caught:
        _resync.build_targets(fleet, {"lobby": "192.0.2.5:70000"}, {})
    assert (caught.value.device, caught.value.field) == ("lobby", "addresses")


def test_check_mode_sends_nothing_and_plans():
    def sender(target, timeout, transport):
        raise AssertionError("check mode sent a NOTIFY")

    result = _resync.run(_params(devices=["lobby", "desk"], addresses={"lobby": "192.0.2.5", "desk": "192.0.2.6"}),
                         INVENTORY, check_mode=True, sender=sender)
    assert [record["result"] for record in result["results"]] == ["not sent (check mode)"] * 2
    assert result["results"][1]["uri"] == "sip:301@192.0.2.6:5060"
    assert result["summary"] == {"planned": 2} and result["changed"] is True
    assert "Snom-301-Secret" not in json.dumps(result)


def test_run_sends_to_each_target_with_the_options(tmp_path):
    status_file = tmp_path / "status.json"
    status_file.write_text(json.dumps(STATUS))
    calls = []

    def sender(target, timeout, transport):
        calls.append((target["device"], target["host"], timeout, transport))
        record = {"device": target["device"], "status": 200 if target["device"] == "lobby" else None,
                  "result": "200 OK" if target["device"] == "lobby" else "timeout"}
        return record

    result = _resync.run(_params(status_file=str(status_file), transport="tcp", timeout=2.5), INVENTORY, sender=sender)
    assert sorted(calls) == [("desk", "10.99.20.106", 2.5, "tcp"), ("lobby", "10.99.20.105", 2.5, "tcp")]
    assert result["summary"] == {"ok": 1, "timeout": 1}
    assert result["no_address"] == ["berlin-ata", "berlin-conf"]
    assert any("no address for 2 device(s)" in warning for warning in result["warnings"])


def test_devices_that_left_the_inventory_are_skipped_when_asked(fleet):
    skipped = []
    assert _names(_resync.select_devices(fleet, ["desk", "old-desk", "old-desk"], skipped)) == ["desk"]
    assert skipped == ["old-desk"]
    calls = []

    def sender(target, timeout, transport):
        calls.append(target["device"])
        return {"device": target["device"], "status": 200, "result": "200 OK"}

    result = _resync.run(_params(devices=["desk", "old-desk"], addresses={"desk": "192.0.2.6"},
                                 unmatched_devices="skip"), INVENTORY, sender=sender)
    assert calls == ["desk"] and result["not_in_inventory"] == ["old-desk"]
    assert any("1 device(s) not in the inventory (removed or renamed), nothing sent to them: old-desk" in warning
               for warning in result["warnings"])
    with pytest.raises(ProvisioningError):
        _resync.run(_params(devices=["desk", "old-desk"], addresses={"desk": "192.0.2.6"}), INVENTORY, sender=sender)


def test_the_changed_devices_of_a_removal_resync_without_failing(tmp_path):
    # What deploy.yml does: phone_profiles deletes a removed device's files and
    # reports it changed (from the old manifest); resync gets that list.
    root, state = tmp_path / "root", tmp_path / "state"
    everyone = profile_devices()
    params = {"devices": everyone, "defaults": dict(PROFILE_DEFAULTS), "keys": store_keys(everyone),
              "roots": [str(root)], "state_dir": str(state)}
    render_profiles(params, now=int(time.time()))
    fewer = everyone[1:]
    result = render_profiles(dict(params, devices=fewer, keys=store_keys(fewer)), now=int(time.time()))
    removed = everyone[0]["name"]
    assert removed in result["changed_devices"]
    inventory = {"devices": fewer, "defaults": dict(PROFILE_DEFAULTS)}
    outcome = _resync.run(_params(devices=result["changed_devices"], unmatched_devices="skip"), inventory,
                          check_mode=True)
    assert outcome["not_in_inventory"] == [removed] and outcome["results"] == []


def test_nothing_chosen_sends_nothing():
    result = _resync.run(_params(devices=[]), INVENTORY, sender=None)
    assert result["results"] == [] and result["changed"] is False


@pytest.mark.parametrize("option, value", [("concurrency", 0), ("rate", -1), ("timeout", 0)])
def test_bad_numbers_name_the_option(option, value):
    with pytest.raises(ProvisioningError) as caught:
        _resync.run(_params(**{option: value}), INVENTORY)
    assert caught.value.field == option


def test_an_unreadable_status_file_names_the_field(tmp_path):
    with pytest.raises(ProvisioningError) as caught:
        _resync.run(_params(status_file=str(tmp_path / "missing.json")), INVENTORY)
    assert caught.value.field == "status_file"


def asterisk_values(text):
    """``{section: {key: value}}`` as Asterisk's config reader gets them (main/config.c).

    A ``;`` starts a comment unless a backslash precedes it; that backslash
    is dropped. ``key=>value`` is the object form ``pjsip_notify.conf`` uses.
    """
    sections = {}
    current = None
    for raw in text.split("\n"):
        line, index = raw, 0
        while True:
            index = line.find(";", index)
            if index < 0:
                break
            if index > 0 and line[index - 1] == "\\":
                line = line[:index - 1] + line[index:]
                continue
            line = line[:index]
            break
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif "=>" in line:
            key, value = line.split("=>", 1)
            current[key.strip()] = value.strip()
    return sections


def test_asterisk_hand_off(fleet):
    config = pbx_notify_config(fleet, endpoints={"berlin-conf": "conf-room"})
    assert config["pjsip_notify_conf"] == (
        "; pjsip_notify.conf sections written by sipfleet.provisioning (pbx_notify_config).\n"
        "; Send one with: asterisk -rx 'pjsip send notify <section> endpoint <endpoint>'\n"
        "\n"
        "; Cisco/Linksys SPA\n[sipfleet-cisco-spa]\nEvent=>resync\n\n"
        "; Poly\n[sipfleet-poly]\nEvent=>check-sync\n\n"
        "; Snom\n[sipfleet-snom]\nEvent=>check-sync\\;reboot=false\n\n"
        "; Yealink\n[sipfleet-yealink]\nEvent=>check-sync\n")
    # What Asterisk reads from it: each section's Event whole, ;reboot= included.
    assert asterisk_values(config["pjsip_notify_conf"]) == {
        "sipfleet-cisco-spa": {"Event": "resync"}, "sipfleet-poly": {"Event": "check-sync"},
        "sipfleet-snom": {"Event": "check-sync;reboot=false"}, "sipfleet-yealink": {"Event": "check-sync"}}
    assert [item["command"] for item in config["commands"]] == [
        "pjsip send notify sipfleet-yealink endpoint 201",
        "pjsip send notify sipfleet-snom endpoint snom301",
        "pjsip send notify sipfleet-cisco-spa endpoint 203",
        "pjsip send notify sipfleet-poly endpoint conf-room",
    ]
    assert config["commands"][1]["event"] == "check-sync;reboot=false"


def test_asterisk_reboot_sections(fleet):
    config = pbx_notify_config(fleet[:2], reboot=True)
    assert "[sipfleet-yealink-reboot]\nEvent=>check-sync\\;reboot=true\n" in config["pjsip_notify_conf"]
    assert "[sipfleet-snom-reboot]\nEvent=>check-sync\\;reboot=true\n" in config["pjsip_notify_conf"]
    assert asterisk_values(config["pjsip_notify_conf"])["sipfleet-yealink-reboot"] == {"Event": "check-sync;reboot=true"}
    assert config["commands"][0]["section"] == "sipfleet-yealink-reboot"


@pytest.mark.parametrize("value", ["check-sync\\;x", "check-sync\nEvent=>reboot", "a\tb", ""])
def test_a_value_asterisk_cannot_read_back_is_refused(value):
    with pytest.raises(ProvisioningError) as caught:
        conf_value(value, "desk")
    assert (caught.value.device, caught.value.field) == ("desk", "event")


def test_hand_off_refuses_what_it_cannot_write(fleet):
    with pytest.raises(ProvisioningError) as caught:
        pbx_notify_config(fleet, endpoints={"lobby": "201; core restart now"})
    assert (caught.value.device, caught.value.field) == ("lobby", "endpoints")
    with pytest.raises(ProvisioningError) as caught:
        pbx_notify_config(fleet, pbx="kamailio")
    assert caught.value.field == "pbx"
