# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Panasonic: flexible buttons, the backup registrar, the voice VLAN and the settings a model does not get.

Golden files live in ``golden/panasonic/hdv330_keys/``; regenerate them with
``SIPFLEET_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.formats import parse_config
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.renderer import RENDERER
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_panasonic import (
    check_golden,
    render,
)

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "provisioning_url": "https://prov.example.net/panasonic/",
    "encrypt_profiles": False,
}

KEYS = [
    {"type": "line", "label": "Line 1"},
    {"type": "line", "line": 2},
    {"type": "blf", "value": "201", "label": "Reception"},
    {"type": "speed_dial", "value": "+49301234", "label": "Office"},
    {"type": "none", "index": 24},
]


def device(model="KX-HDV330", lines=2, **settings):
    return {
        "name": "desk", "mac": "00:80:f0:c8:c3:81", "model": model,
        "lines": [{"extension": "20%d" % number, "password": "pw-20%d" % number} for number in range(1, lines + 1)],
        "settings": settings,
    }


def load(raw, strict=False, defaults=None):
    return load_fleet([raw], dict(DEFAULTS, **(defaults or {})), strict=strict)


def rendered(raw, defaults=None):
    """``{path: ProfileFile}`` and the parameters of each file, read back with the strict decoder."""
    inventory, fleet = load(raw, defaults=defaults)
    files = render(inventory, fleet)
    params = dict((path, parse_config(item.content, device="desk", field=path)) for path, item in files.items())
    return files, params


def errors_of(raw, strict=False):
    with pytest.raises(ProvisioningErrors) as excinfo:
        load(raw, strict=strict)
    return [(error.device, error.field, str(error)) for error in excinfo.value.errors]


def warnings_of(raw):
    inventory, dummy = load(raw)
    return inventory.warnings()


def test_hdv330_keys_backup_vlan_golden_and_exact_parameters():
    raw = device(function_keys=KEYS, vlan_id=20, sip_server_secondary="pbx2.example.net")
    raw["lines"][1]["sip_server_secondary"] = "pbx3.example.net:5070"
    files, params = rendered(raw)
    check_golden("hdv330_keys", files)
    own = params["Config0080F0C8C381.cfg"]
    expected = {
        "FLEX_BUTTON_FACILITY_ACT1": "X_PANASONIC_IPTEL_LINE", "FLEX_BUTTON_FACILITY_ARG1": "1",
        "FLEX_BUTTON_QUICK_DIAL1": "", "FLEX_BUTTON_LABEL1": "Line 1",
        "FLEX_BUTTON_FACILITY_ACT2": "X_PANASONIC_IPTEL_LINE", "FLEX_BUTTON_FACILITY_ARG2": "2",
        "FLEX_BUTTON_QUICK_DIAL2": "", "FLEX_BUTTON_LABEL2": "",
        "FLEX_BUTTON_FACILITY_ACT3": "X_PANASONIC_IPTEL_BLF", "FLEX_BUTTON_FACILITY_ARG3": "201",
        "FLEX_BUTTON_QUICK_DIAL3": "", "FLEX_BUTTON_LABEL3": "Reception",
        "FLEX_BUTTON_FACILITY_ACT4": "X_PANASONIC_IPTEL_ONETOUCH", "FLEX_BUTTON_FACILITY_ARG4": "",
        "FLEX_BUTTON_QUICK_DIAL4": "+49301234", "FLEX_BUTTON_LABEL4": "Office",
        "FLEX_BUTTON_FACILITY_ACT24": "", "FLEX_BUTTON_FACILITY_ARG24": "",
        "FLEX_BUTTON_QUICK_DIAL24": "", "FLEX_BUTTON_LABEL24": "",
        "SIP_2NDRGSTR_ADDR_1": "pbx2.example.net", "SIP_2NDRGSTR_PORT_1": "5060",
        "SIP_2NDPROXY_ADDR_1": "pbx2.example.net", "SIP_2NDPROXY_PORT_1": "5060",
        "SIP_2NDRGSTR_ADDR_2": "pbx3.example.net", "SIP_2NDRGSTR_PORT_2": "5070",
        "SIP_2NDPROXY_ADDR_2": "pbx3.example.net", "SIP_2NDPROXY_PORT_2": "5070",
        "VLAN_ENABLE": "Y", "VLAN_ID_IP_PHONE": "20",
    }
    for name, value in expected.items():
        assert own[name] == value, name
    # Buttons the inventory leaves out keep the phone's own.
    assert not [name for name in own if name.endswith(("ACT5", "ARG5", "LABEL5"))]


def test_keys_stay_in_the_device_file_and_a_fleet_vlan_goes_to_the_master_file():
    dummy, params = rendered(device(), defaults={"function_keys": KEYS, "vlan_id": 30})
    assert params["Config0080F0C8C381.cfg"]["FLEX_BUTTON_FACILITY_ACT3"] == "X_PANASONIC_IPTEL_BLF"
    assert params["ConfigCom.cfg"]["VLAN_ID_IP_PHONE"] == "30"
    for shared in ("ConfigCom.cfg", "ConfigKX-HDV330.cfg"):
        assert not [name for name in params[shared] if name.startswith("FLEX_BUTTON")], shared


def test_without_the_new_settings_nothing_new_is_written():
    dummy, params = rendered(device())
    for path, values in params.items():
        assert not [name for name in values if name.startswith(("FLEX_BUTTON", "VLAN_", "SIP_2ND"))], path


@pytest.mark.parametrize("keys, field, message", [
    ([{"type": "blf", "value": "201", "index": 25}], "settings.function_keys[0].index",
     "model KX-HDV330 has 24 function keys; index 25 is beyond them"),
    ([{"type": "park"}], "settings.function_keys[0].type",
     "model KX-HDV330 cannot carry a park key; it carries blf, line, none, speed_dial"),
    ([{"type": "blf", "value": "201", "label": 'say "hi"'}], "settings.function_keys[0].label",
     "contains a double quote"),
    ([{"type": "speed_dial", "value": "201", "label": "x" * 128}, {"type": "line", "label": "\u00e9" * 128}],
     "settings.function_keys[0].label", None),
])
def test_a_key_the_model_or_format_cannot_carry_names_device_and_field(keys, field, message):
    if message is None:
        # Labels within every limit the format knows are carried.
        dummy, params = rendered(device(function_keys=keys))
        assert params["Config0080F0C8C381.cfg"]["FLEX_BUTTON_LABEL2"] == "\u00e9" * 128
        return
    [(name, where, text)] = errors_of(device(function_keys=keys))
    assert (name, where) == ("desk", field)
    assert message in text


def test_backup_registrar_with_a_bad_port_names_the_line_field():
    raw = device()
    raw["lines"][1]["sip_server_secondary"] = "pbx3.example.net:99999"
    [(name, where, text)] = errors_of(raw)
    assert (name, where) == ("desk", "lines[1].sip_server_secondary")
    assert "port out of range" in text


def test_a_model_without_documented_buttons_reports_keys_and_every_model_the_vlan_priority():
    assert warnings_of(device("KX-UT133", function_keys=[{"type": "line"}], vlan_priority=5)) == [
        "1 panasonic device(s) do not get settings.function_keys: the sources document flexible buttons only for the "
        "KX-HDV230, KX-HDV330 and KX-HDV430 (the KX-UT sources disagree on their parameters) (desk)",
        "1 panasonic device(s) do not get settings.vlan_priority: no source the collection follows documents the VLAN "
        "priority parameter (desk)"]
    dummy, params = rendered(device("KX-UT133", function_keys=[{"type": "line"}]))
    assert not [name for name in params["Config0080F0C8C381.cfg"] if name.startswith("FLEX_BUTTON")]


def test_under_strict_a_key_on_a_model_without_buttons_is_an_error():
    [(name, where, text)] = errors_of(device("KX-UT133", function_keys=[{"type": "line"}]), strict=True)
    assert (name, where) == ("desk", "settings.function_keys")
    assert "flexible buttons only for the KX-HDV230" in text


def test_what_the_hdv330_maps_is_not_reported():
    raw = device(function_keys=KEYS, vlan_id=20, sip_server_secondary="pbx2.example.net")
    assert warnings_of(raw) == []
    assert RENDERER.function_key_support(load(raw)[1][0]) == (frozenset(("line", "blf", "speed_dial", "none")), 24)
