# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The generic function_keys setting, backup registrars, VLANs, and the settings a device does not get."""

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, ProvisioningErrors
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._function_keys import TYPES, check_function_keys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import NOT_CARRIED_BY_DEFAULT
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS


def keys(*entries):
    return check_function_keys(list(entries), device="desk", field="settings.function_keys")


def test_keys_take_the_next_index_after_the_previous_one():
    result = keys({"type": "line"}, {"type": "blf", "value": "201", "label": "Reception"},
                  {"type": "speed_dial", "value": "+49301234", "index": 6}, {"type": "none"})
    assert [(key.index, key.type, key.value, key.label, key.line) for key in result] == [
        (1, "line", None, None, 1), (2, "blf", "201", "Reception", 1), (6, "speed_dial", "+49301234", None, 1),
        (7, "none", None, None, 1)]
    assert result[1].field == "settings.function_keys[1]"


def test_keys_are_sorted_by_index_whatever_their_order():
    result = keys({"type": "blf", "value": "202", "index": 3}, {"type": "line", "index": 1})
    assert [key.index for key in result] == [1, 3]


@pytest.mark.parametrize("entry, field, message", [
    ({"type": "blf"}, "[0].value", "is required for a blf key"),
    ({"type": "speed_dial", "value": 201}, "[0].value", "YAML read it as the integer 201"),
    ({"type": "blf", "value": "20 1"}, "[0].value", "must be an extension"),
    ({"type": "dtmf", "value": "12a"}, "[0].value", "DTMF digits"),
    ({"type": "url", "value": "ftp://x/y"}, "[0].value", "http:// or https:// URL"),
    ({"type": "line", "value": "1"}, "[0].value", "line names the account"),
    ({"type": "none", "label": "x"}, "[0].label", "unused key takes no label"),
    ({"type": "blf", "value": "201", "label": "a\tb"}, "[0].label", "printable"),
    ({"type": "blf", "value": "201", "label": ""}, "[0].label", "printable"),
    ({"type": "intercom", "value": "201"}, "[0].type", "must be one of line, blf"),
    ({"value": "201"}, "[0].type", "must be one of"),
    ({"type": "blf", "value": "201", "line": "2"}, "[0].line", "must be an integer"),
    ({"type": "blf", "value": "201", "line": True}, "[0].line", "must be an integer"),
    ({"type": "blf", "value": "201", "line": 0}, "[0].line", "from 1 to 64"),
    ({"type": "blf", "value": "201", "index": 0}, "[0].index", "from 1 to 400"),
    ({"type": "blf", "value": "201", "colour": "red"}, "[0].colour", r"unknown field\(s\) colour"),
    ("blf 201", "[0]", "must be a mapping"),
])
def test_a_bad_key_names_its_own_field(entry, field, message):
    with pytest.raises(ProvisioningError, match=message) as error:
        keys(entry)
    assert error.value.device == "desk"
    assert error.value.field == "settings.function_keys" + field


def test_two_keys_at_one_index_name_both():
    with pytest.raises(ProvisioningError, match=r"index 2 is also the index of settings.function_keys\[0\]") as error:
        keys({"type": "blf", "value": "201", "index": 2}, {"type": "line", "index": 1}, {"type": "line"})
    assert error.value.field == "settings.function_keys[2].index"


def test_the_setting_must_be_a_list():
    with pytest.raises(ProvisioningError, match="must be a list of keys, got dict"):
        check_function_keys({"type": "line"}, device="desk")


def test_every_type_is_accepted_with_a_value_where_it_needs_one():
    for index, (key_type, needs_value) in enumerate(TYPES.items(), start=1):
        entry = {"type": key_type}
        if needs_value:
            entry["value"] = "https://dir.example.net/x" if key_type == "url" else "201"
        assert keys(entry)[0].type == key_type


def raw_device(**settings):
    return {"name": "desk", "mac": "00:0b:82:12:34:56", "model": "GXP2170",
            "lines": [{"extension": "201", "password": "pw"}], "settings": dict(settings, encrypt_profiles=False)}


def test_the_most_specific_list_replaces_the_others_whole():
    inventory = Inventory(defaults={"sip_server": "pbx", "function_keys": [{"type": "line"}, {"type": "park"}]},
                          models={"GXP2170": {"function_keys": [{"type": "blf", "value": "301"}]}})
    device = build_device(raw_device(), 0, inventory, lambda model: "grandstream")
    assert [(key.type, key.value) for key in device.settings["function_keys"]] == [("blf", "301")]


def test_a_key_on_a_line_the_device_does_not_have_is_an_error():
    inventory = Inventory(defaults={"sip_server": "pbx"})
    with pytest.raises(ProvisioningErrors, match=r"line 2: the device has 1 line\(s\)") as errors:
        build_device(raw_device(function_keys=[{"type": "line", "line": 2}]), 0, inventory, lambda model: "grandstream")
    assert [(error.device, error.field) for error in errors.value.errors] == [
        ("desk", "settings.function_keys[0].line")]


def test_a_line_takes_its_own_backup_registrar_or_the_settings_one():
    inventory = Inventory(defaults={"sip_server": "pbx", "sip_server_secondary": "pbx2"})
    raw = raw_device()
    raw["lines"] = [{"extension": "201", "password": "pw"},
                    {"extension": "202", "password": "pw", "sip_server_secondary": "pbx3"}]
    device = build_device(raw, 0, inventory, lambda model: "grandstream")
    assert [line.sip_server_secondary for line in device.lines] == ["pbx2", "pbx3"]
    assert build_device(raw_device(), 0, Inventory(defaults={"sip_server": "pbx"}),
                        lambda model: "grandstream").lines[0].sip_server_secondary is None


@pytest.mark.parametrize("name, value, message", [
    ("vlan_id", 0, "from 1 to 4094"),
    ("vlan_id", 4095, "from 1 to 4094"),
    ("vlan_id", True, "must be an integer"),
    ("vlan_priority", 8, "from 0 to 7"),
    ("sip_server_secondary", 5060, "YAML read it as the integer 5060"),
])
def test_vlan_and_backup_values_are_checked(name, value, message):
    with pytest.raises(ProvisioningErrors, match=message):
        load_fleet([raw_device(**{name: value})], {"sip_server": "pbx"})


# -- settings a device does not get --

@pytest.fixture
def grandstream_without_vlan(monkeypatch):
    """Grandstream declaring that its files have no VLAN: the reporting is under test, not Grandstream's mapping."""
    monkeypatch.setattr(type(VENDORS["grandstream"]), "settings_not_carried",
                        lambda self, device: {"vlan_id": "no VLAN parameter"})


def test_a_setting_the_vendor_does_not_carry_is_a_grouped_warning(grandstream_without_vlan):
    raws = [dict(raw_device(vlan_id=20), name="desk-%d" % number, mac="00:0b:82:00:00:%02x" % number)
            for number in range(1, 8)]
    inventory, fleet = load_fleet(raws, {"sip_server": "pbx", "allow_plain_credentials": True})
    warnings = []
    render_fleet(inventory, fleet, warnings=warnings)
    assert ("7 grandstream device(s) do not get settings.vlan_id: no VLAN parameter "
            "(desk-1, desk-2, desk-3, desk-4, desk-5 and 2 more)") in warnings


def test_under_strict_each_device_that_does_not_get_a_setting_is_an_error(grandstream_without_vlan):
    raws = [dict(raw_device(vlan_id=20), name="desk-%d" % number, mac="00:0b:82:00:00:%02x" % number)
            for number in range(1, 3)]
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet(raws, {"sip_server": "pbx"}, strict=True)
    assert [(error.device, error.field) for error in errors.value.errors] == [
        ("desk-1", "settings.vlan_id"), ("desk-2", "settings.vlan_id")]
    assert "sipfleet_strict is true" in str(errors.value)


def test_a_setting_left_unset_or_at_its_default_is_not_reported(grandstream_without_vlan, monkeypatch):
    monkeypatch.setattr(type(VENDORS["grandstream"]), "settings_not_carried",
                        lambda self, device: {"vlan_id": "no VLAN parameter", "encrypt_profiles": "x"})
    # encrypt_profiles defaults to true: a default is not the inventory's choice.
    raw = raw_device()
    raw["settings"] = {}
    inventory, dummy = load_fleet([raw], {"sip_server": "pbx"}, strict=True)
    assert inventory.warnings() == []


def test_a_backup_registrar_given_on_a_line_only_is_reported_on_that_line(monkeypatch):
    monkeypatch.setattr(type(VENDORS["grandstream"]), "settings_not_carried",
                        lambda self, device: {"sip_server_secondary": "no backup registrar"})
    raw = raw_device()
    raw["lines"][0]["sip_server_secondary"] = "pbx2"
    inventory, dummy = load_fleet([raw], {"sip_server": "pbx"})
    assert inventory.warnings() == [
        "1 grandstream device(s) do not get lines[0].sip_server_secondary: no backup registrar (desk)"]


def test_function_keys_on_a_model_that_cannot_carry_a_type_name_device_field_and_model(monkeypatch):
    renderer = type(VENDORS["grandstream"])
    monkeypatch.setattr(renderer, "settings_not_carried", lambda self, device: {})
    monkeypatch.setattr(renderer, "function_key_support", lambda self, device: (frozenset(("line", "blf")), 4))
    raw = raw_device(function_keys=[{"type": "line"}, {"type": "park", "label": "Park"}])
    with pytest.raises(ProvisioningErrors, match="model GXP2170 cannot carry a park key; it carries blf, line") as errors:
        load_fleet([raw], {"sip_server": "pbx"})
    assert [(error.device, error.field) for error in errors.value.errors] == [("desk", "settings.function_keys[1].type")]
    raw = raw_device(function_keys=[{"type": "blf", "value": "201", "index": 5}])
    with pytest.raises(ProvisioningErrors, match="model GXP2170 has 4 function keys; index 5 is beyond them") as errors:
        load_fleet([raw], {"sip_server": "pbx"})
    assert [(error.device, error.field) for error in errors.value.errors] == [("desk", "settings.function_keys[0].index")]


def test_a_family_that_maps_no_keys_reports_them_instead_of_refusing_them(monkeypatch):
    monkeypatch.setattr(type(VENDORS["grandstream"]), "settings_not_carried",
                        lambda self, device: dict(NOT_CARRIED_BY_DEFAULT))
    inventory, dummy = load_fleet([raw_device(function_keys=[{"type": "park"}])], {"sip_server": "pbx"})
    assert inventory.warnings() == ["1 grandstream device(s) do not get settings.function_keys: %s (desk)"
                                    % NOT_CARRIED_BY_DEFAULT["function_keys"]]


def test_an_empty_list_of_keys_is_not_reported(monkeypatch):
    # function_keys: [] is how a model or device clears the defaults' list: nothing to carry.
    monkeypatch.setattr(type(VENDORS["grandstream"]), "settings_not_carried",
                        lambda self, device: dict(NOT_CARRIED_BY_DEFAULT))
    inventory, fleet = load_fleet([raw_device(function_keys=[])], {"sip_server": "pbx", "function_keys": [
        {"type": "park"}]}, strict=True)
    assert not fleet[0].settings.get("function_keys")
    assert inventory.warnings() == []


def test_strict_must_be_a_boolean():
    with pytest.raises(ProvisioningErrors, match="sipfleet_strict"):
        load_fleet([], {}, strict="yes")
