# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Cisco SPA and MPP: function keys, the backup registrar, the voice VLAN and the settings a model does not get.

Golden files live in ``golden/cisco_spa/spa508g_keys/`` and
``golden/cisco_mpp/cp8841_keys/`` (unencrypted, so they read as the phone
reads them); regenerate them with ``SIPFLEET_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_flat_format import parse_flat_profile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_cisco_flat_profile import check_golden

DEFAULTS = {
    "sip_server": "pbx.example.com",
    "provisioning_url": "https://prov.example.com/cisco",
    "encrypt_profiles": False,
}

MPP_KEYS = [
    {"type": "line", "line": 1},
    {"type": "line", "line": 2, "label": "Sales"},
    {"type": "blf", "value": "201", "label": "Reception"},
    {"type": "speed_dial", "value": "+49301234", "label": "Office", "line": 2},
    {"type": "park", "label": "Park"},
    {"type": "pickup", "value": "203"},
    {"type": "url", "value": "https://apps.example.com/menu.xml", "label": "Menu"},
    {"type": "none", "index": 10},
]

SPA_KEYS = [
    {"type": "line"},
    {"type": "blf", "value": "201", "label": "Reception"},
    {"type": "speed_dial", "value": "+49301234"},
    {"type": "none", "index": 8},
]


def device(model, mac, lines=1, **settings):
    return {
        "name": "desk", "mac": mac, "model": model,
        "lines": [{"extension": "70%d" % number, "password": "Secret-70%d" % number} for number in range(1, lines + 1)],
        "settings": settings,
    }


def load(raw, strict=False, **defaults):
    return load_fleet([raw], dict(DEFAULTS, **defaults), strict=strict)


def profile_of(raw, **defaults):
    """The device's own file, read back with the family's strict decoder: ``{name: value}``."""
    inventory, fleet = load(raw, **defaults)
    renderer = VENDORS[fleet[0].vendor]
    files = renderer.render_device(fleet[0], inventory) + renderer.render_shared(fleet, inventory)
    own = [item for item in files if item.device == "desk"]
    assert len(own) == 1, [item.path for item in own]
    params = parse_flat_profile(own[0].content, device="desk", field=own[0].path)
    return files, dict((name, value) for name, (value, dummy) in params.items())


def errors_of(raw, strict=False, **defaults):
    with pytest.raises(ProvisioningErrors) as excinfo:
        load(raw, strict=strict, **defaults)
    return [(error.device, error.field, str(error)) for error in excinfo.value.errors]


def warnings_of(raw, **defaults):
    inventory, dummy = load(raw, **defaults)
    return inventory.warnings()


# --- golden: every mapped type ----------------------------------------------------------------


def test_mpp_keys_vlan_golden_and_exact_parameters():
    raw = device("CP-8841-3PCC", "00:56:2b:00:88:41", lines=2, function_keys=MPP_KEYS, vlan_id=20)
    files, params = profile_of(raw)
    check_golden("cisco_mpp", "cp8841_keys", files)
    expected = {
        "Extension_1_": "1", "Short_Name_1_": "$USER", "Extended_Function_1_": "",
        "Extension_2_": "2", "Short_Name_2_": "Sales", "Extended_Function_2_": "",
        "Extension_3_": "Disabled", "Short_Name_3_": "Reception",
        "Extended_Function_3_": "fnc=blf+sd+cp;sub=201@$PROXY;nme=Reception",
        "Extension_4_": "Disabled", "Short_Name_4_": "Office",
        "Extended_Function_4_": "fnc=sd;ext=+49301234@$PROXY;vid=2;nme=Office",
        "Extension_5_": "Disabled", "Short_Name_5_": "Park", "Extended_Function_5_": "fnc=prk;sub=$USER@$PROXY;nme=Park",
        "Extension_6_": "Disabled", "Short_Name_6_": "203", "Extended_Function_6_": "fnc=blf+cp;sub=203@$PROXY",
        "Extension_7_": "Disabled", "Short_Name_7_": "Menu",
        "Extended_Function_7_": "fnc=xml;url=https://apps.example.com/menu.xml;nme=Menu",
        "Extension_10_": "Disabled", "Short_Name_10_": "", "Extended_Function_10_": "",
        "Enable_VLAN": "Yes", "VLAN_ID": "20",
    }
    for name, value in expected.items():
        assert params[name] == value, name
    # Keys the inventory leaves out keep the phone's own values.
    assert "Extension_8_" not in params and "Extension_9_" not in params


def test_spa_keys_backup_vlan_golden_and_exact_parameters():
    raw = device("SPA508G", "00:0e:08:aa:bb:cc", lines=2, function_keys=SPA_KEYS, vlan_id=100,
                 sip_server_secondary="pbx2.example.com")
    raw["lines"][1]["sip_server_secondary"] = "pbx3.example.com:5070"
    files, params = profile_of(raw)
    check_golden("cisco_spa", "spa508g_keys", files)
    expected = {
        "Extension_1_": "1", "Short_Name_1_": "$USER", "Extended_Function_1_": "",
        "Extension_2_": "Disabled", "Short_Name_2_": "Reception",
        "Extended_Function_2_": "fnc=blf+sd+cp;sub=201@$PROXY;nme=Reception",
        "Extension_3_": "Disabled", "Short_Name_3_": "+49301234", "Extended_Function_3_": "fnc=sd;ext=+49301234@$PROXY",
        "Extension_8_": "Disabled", "Short_Name_8_": "", "Extended_Function_8_": "",
        "Enable_VLAN": "Yes", "VLAN_ID": "100",
        "Proxy_1_": "sipfleet1:SRV=pbx.example.com:5060:p=0|pbx2.example.com:5060:p=1", "Use_DNS_SRV_1_": "Yes",
        "Proxy_2_": "sipfleet2:SRV=pbx.example.com:5060:p=0|pbx3.example.com:5070:p=1", "Use_DNS_SRV_2_": "Yes",
    }
    for name, value in expected.items():
        assert params[name] == value, name


def test_without_the_new_settings_nothing_new_is_written():
    dummy, params = profile_of(device("SPA508G", "00:0e:08:aa:bb:cc"))
    new = ("Extension_", "Short_Name_", "Extended_Function_", "Enable_VLAN", "VLAN_ID", "Use_DNS_SRV")
    assert not [name for name in params if name.startswith(new)]
    assert params["Proxy_1_"] == "pbx.example.com:5060"


# --- what a model cannot carry ------------------------------------------------------------------


@pytest.mark.parametrize("model, mac, keys, field, message", [
    ("CP-7841-3PCC", "00:56:2b:00:78:41", [{"type": "blf", "value": "201", "index": 5}], "settings.function_keys[0].index",
     "model CP-7841-3PCC has 4 function keys; index 5 is beyond them"),
    ("SPA504G", "00:0e:08:aa:bb:01", [{"type": "line"}, {"type": "line", "index": 5}], "settings.function_keys[1].index",
     "model SPA504G has 4 function keys; index 5 is beyond them"),
    ("SPA508G", "00:0e:08:aa:bb:02", [{"type": "park"}], "settings.function_keys[0].type",
     "model SPA508G cannot carry a park key; it carries blf, line, none, speed_dial"),
    ("CP-8841-3PCC", "00:56:2b:00:88:42", [{"type": "dtmf", "value": "123#"}], "settings.function_keys[0].type",
     "model CP-8841-3PCC cannot carry a dtmf key"),
    ("CP-8841-3PCC", "00:56:2b:00:88:43", [{"type": "transfer"}], "settings.function_keys[0].type",
     "model CP-8841-3PCC cannot carry a transfer key"),
])
def test_a_key_the_model_cannot_carry_names_device_field_and_model(model, mac, keys, field, message):
    [(name, where, text)] = errors_of(device(model, mac, function_keys=keys))
    assert (name, where) == ("desk", field)
    assert message in text


@pytest.mark.parametrize("keys, field, message", [
    ([{"type": "blf", "value": "201", "label": "Empfang\u00e4"}], "settings.function_keys[0].label", "non-ASCII"),
    ([{"type": "blf", "value": "201", "label": "a;nme=b"}], "settings.function_keys[0].label", "';' and '='"),
    ([{"type": "speed_dial", "value": "201", "label": "x=y"}], "settings.function_keys[0].label", "'='"),
    ([{"type": "line", "label": "Caf\u00e9"}], "settings.function_keys[0].label", "non-ASCII"),
    ([{"type": "pickup"}], "settings.function_keys[0].value", "only directed pickup"),
    ([{"type": "blf", "value": "201", "line": 2}], "settings.function_keys[0].line", "no line selection"),
])
def test_a_value_the_native_field_cannot_carry_names_the_key_field(keys, field, message):
    [(name, where, text)] = errors_of(device("CP-8841-3PCC", "00:56:2b:00:88:44", lines=2, function_keys=keys))
    assert (name, where) == ("desk", field)
    assert message in text


def test_an_unlisted_phone_takes_any_index_but_a_keyless_one_none():
    raw = dict(device("CP-8875-3PCC", "00:56:2b:00:88:75", function_keys=[{"type": "blf", "value": "201", "index": 30}]),
               vendor="cisco_mpp")
    dummy, params = profile_of(raw)
    assert params["Extended_Function_30_"] == "fnc=blf+sd+cp;sub=201@$PROXY"
    raw = dict(device("CP-8832-3PCC", "00:56:2b:00:88:32", function_keys=[{"type": "line"}]), vendor="cisco_mpp")
    assert warnings_of(raw) == [
        "1 cisco_mpp device(s) do not get settings.function_keys: the sources give model CP-8832-3PCC no "
        "programmable line keys (desk)"]


# --- settings reported as not carried ---------------------------------------------------------------


def test_an_ata_reports_keys_vlan_and_language_and_writes_none_of_them():
    raw = device("ATA192", "00:56:2b:04:00:01", function_keys=[{"type": "line"}], vlan_id=20, vlan_priority=5,
                 language="fr")
    assert warnings_of(raw) == [
        "1 cisco_mpp device(s) do not get settings.function_keys: an ATA has no keys (desk)",
        "1 cisco_mpp device(s) do not get settings.language: an ATA has no display; Language_Selection is written "
        "for phones only (desk)",
        "1 cisco_mpp device(s) do not get settings.vlan_id: the sources document Enable_VLAN/VLAN_ID for the phones "
        "only, not for the ATAs (a SPA112/SPA122 sets its VLAN in its router configuration) (desk)",
        "1 cisco_mpp device(s) do not get settings.vlan_priority: no source the collection follows documents a VLAN "
        "priority parameter in the flat profile (desk)",
    ]
    dummy, params = profile_of(raw)
    assert not [name for name in params if name.startswith(("Extension_", "Enable_VLAN", "VLAN_ID", "Language"))]


VENDOR_OF = {"SPA508G": "cisco_spa", "CP-8832-3PCC": "cisco_mpp"}
EL_REASON = ("no Language_Selection value for el; known: cs, da, de, en, es, fi, fr, hu, it, ja, ko, nb, nl, no, pl, pt, "
             "ru, sk, sv, tr, zh")


@pytest.mark.parametrize("model, mac", [("SPA508G", "00:0e:08:aa:bb:08"), ("CP-8832-3PCC", "00:56:2b:00:88:32")])
def test_a_language_the_phone_lacks_is_reported_and_not_written(model, mac):
    raw = dict(device(model, mac, language="el"), vendor=VENDOR_OF[model])
    assert warnings_of(raw) == ["1 %s device(s) do not get settings.language: %s (desk)" % (VENDOR_OF[model], EL_REASON)]
    files, params = profile_of(raw)
    assert not [item.path for item in files if b"Language_Selection" in item.content]
    dummy, params = profile_of(dict(raw, settings={"language": "DE"}))
    assert params["Language_Selection"] == "German"
    [(name, field, text)] = errors_of(raw, strict=True)
    assert (name, field, text) == ("desk", "settings.language", "device desk, field settings.language: %s devices do not "
                                   "get this setting: %s (sipfleet_strict is true; unset it for this device or model)"
                                   % (VENDOR_OF[model], EL_REASON))


def test_under_strict_an_ata_key_is_an_error_naming_the_setting():
    raw = device("SPA2102", "00:0e:08:aa:bb:03", function_keys=[{"type": "line"}])
    [(name, field, text)] = errors_of(raw, strict=True)
    assert (name, field) == ("desk", "settings.function_keys")
    assert "an ATA has no keys" in text


def test_spa_phone_without_keys_reports_them():
    assert warnings_of(device("SPA502G", "00:0e:08:aa:bb:04", function_keys=[{"type": "line"}])) == [
        "1 cisco_spa device(s) do not get settings.function_keys: the sources give model SPA502G no programmable "
        "line keys (desk)"]


def test_mpp_reports_a_backup_registrar_on_the_settings_or_a_line():
    reason = ("no source the collection follows documents a backup registrar for this firmware "
              "(set params Proxy_<n>_ yourself)")
    assert warnings_of(device("CP-8841-3PCC", "00:56:2b:00:88:45", sip_server_secondary="pbx2.example.com")) == [
        "1 cisco_mpp device(s) do not get settings.sip_server_secondary: %s (desk)" % reason]
    raw = device("CP-8841-3PCC", "00:56:2b:00:88:46")
    raw["lines"][0]["sip_server_secondary"] = "pbx2.example.com"
    assert warnings_of(raw) == ["1 cisco_mpp device(s) do not get lines[0].sip_server_secondary: %s (desk)" % reason]
    dummy, params = profile_of(raw)
    assert params["Proxy_1_"] == "pbx.example.com:5060" and "Use_DNS_SRV_1_" not in params


def test_vlan_priority_and_an_unmapped_admin_password_are_reported():
    assert warnings_of(device("SPA112", "00:0e:08:aa:bb:05", vlan_priority=5, admin_password="Adm1n-pw")) == [
        "1 cisco_spa device(s) do not get settings.admin_password: the sources document no administrator password "
        "parameter for model SPA112 (desk)",
        "1 cisco_spa device(s) do not get settings.vlan_priority: no source the collection follows documents a VLAN "
        "priority parameter in the flat profile (desk)"]


def test_spa_phone_carries_everything_it_maps_without_a_warning():
    raw = device("SPA508G", "00:0e:08:aa:bb:06", function_keys=SPA_KEYS, vlan_id=20, language="de",
                 admin_password="Adm1n-pw", sip_server_secondary="pbx2.example.com")
    assert warnings_of(raw) == []


@pytest.mark.parametrize("value, field, message", [
    ("[2001:db8::1]", "settings.sip_server_secondary", "an IPv6 address cannot be written"),
    ("pbx2 example", "settings.sip_server_secondary", "not a host name"),
])
def test_spa_backup_registrar_the_alias_form_cannot_carry_is_an_error(value, field, message):
    [(name, where, text)] = errors_of(device("SPA508G", "00:0e:08:aa:bb:07", sip_server_secondary=value))
    assert (name, where) == ("desk", field)
    assert message in text
