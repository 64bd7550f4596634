# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The resync module's logic (device choice, addresses, targets, check mode) and the PBX hand-off."""

from __future__ import annotations

import json

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _resync
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._pbx_notify import pbx_notify_config

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
                  concurrency=2, timeout=1.0, reboot=None, inventory_file="unused")
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


STATUS = {"devices": [
    {"device": "lobby", "mac": "805ec0112233", "last_fetch": {"client": "10.99.20.105"}},
    {"device": "desk", "mac": "000413aabbcc", "last_fetch": {"client": "10.99.20.106"}},
    {"device": "berlin-conf", "mac": "0004f2aa0001", "last_fetch": None},
]}


def test_status_addresses_read_the_last_fetch_client():
    assert _resync.status_addresses(STATUS) == {"lobby": "10.99.20.105", "805ec0112233": "10.99.20.105",
                                                "desk": "10.99.20.106", "000413aabbcc": "10.99.20.106"}
    assert _resync.status_addresses({}) == {}


def test_targets_take_the_given_address_before_the_status(fleet):
    found = _resync.status_addresses(STATUS)
    targets, skipped, notes = _resync.build_targets(fleet, {"desk": "192.0.2.6:5070", "80:5E:C0:11:22:33": "192.0.2.5"},
                                                    found)
    by_device = dict((target["device"], target) for target in targets)
    assert skipped == ["berlin-ata", "berlin-conf"] and notes == []
    assert (by_device["lobby"]["host"], by_device["lobby"]["port"]) == ("192.0.2.5", 5060)
    assert (by_device["desk"]["host"], by_device["desk"]["port"]) == ("192.0.2.6", 5070)
    # The Request-URI names the extension; the digest uses the authentication user and the line's password.
    assert (by_device["desk"]["user"], by_device["desk"]["auth_user"], by_device["desk"]["password"]) == (
        "301", "snom301", "Snom-301-Secret")
    assert by_device["desk"]["event"] == "check-sync;reboot=false"


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


def test_asterisk_hand_off(fleet):
    config = pbx_notify_config(fleet, endpoints={"berlin-conf": "conf-room"})
    assert config["pjsip_notify_conf"] == (
        "; pjsip_notify.conf sections written by sipfleet.provisioning (pbx_notify_config).\n"
        "; Send one with: asterisk -rx 'pjsip send notify <section> endpoint <endpoint>'\n"
        "\n"
        "; Cisco/Linksys SPA\n[sipfleet-cisco-spa]\nEvent=>resync\n\n"
        "; Poly\n[sipfleet-poly]\nEvent=>check-sync\n\n"
        "; Snom\n[sipfleet-snom]\nEvent=>check-sync;reboot=false\n\n"
        "; Yealink\n[sipfleet-yealink]\nEvent=>check-sync\n")
    assert [item["command"] for item in config["commands"]] == [
        "pjsip send notify sipfleet-yealink endpoint 201",
        "pjsip send notify sipfleet-snom endpoint snom301",
        "pjsip send notify sipfleet-cisco-spa endpoint 203",
        "pjsip send notify sipfleet-poly endpoint conf-room",
    ]


def test_asterisk_reboot_sections(fleet):
    config = pbx_notify_config(fleet[:2], reboot=True)
    assert "[sipfleet-yealink-reboot]\nEvent=>check-sync;reboot=true\n" in config["pjsip_notify_conf"]
    assert "[sipfleet-snom-reboot]\nEvent=>check-sync;reboot=true\n" in config["pjsip_notify_conf"]
    assert config["commands"][0]["section"] == "sipfleet-yealink-reboot"


def test_hand_off_refuses_what_it_cannot_write(fleet):
    with pytest.raises(ProvisioningError) as caught:
        pbx_notify_config(fleet, endpoints={"lobby": "201; core restart now"})
    assert (caught.value.device, caught.value.field) == ("lobby", "endpoints")
    with pytest.raises(ProvisioningError) as caught:
        pbx_notify_config(fleet, pbx="kamailio")
    assert caught.value.field == "pbx"
