# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Grandstream: function keys as VPK/MPK P-values, the backup registrar, the voice VLAN, settings not carried.

The golden files of these features are in test_vendor_grandstream.py
(flow ``keys``); here each mapping and each refusal on its own, through
load_fleet and render_fleet as a run does them, read back with lxml and
the legacy binary decoder.
"""

from __future__ import annotations

import struct
from urllib.parse import unquote

import pytest
from lxml import etree

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._function_keys import TYPES
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import keys as gs_keys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import check_param, param_spec
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.models import MODELS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS

DEFAULTS = {"sip_server": "pbx.example.net", "encrypt_profiles": False, "allow_plain_credentials": True}
MACS = {"GRP2612": "c0:74:ad:00:26:12", "GRP2616": "c0:74:ad:00:26:16", "GXP2130": "00:0b:82:00:21:30",
        "GXP2170": "00:0b:82:00:21:70", "GXP2160": "00:0b:82:00:21:60", "GXP2000": "00:0b:82:00:20:00",
        "GXP2010": "00:0b:82:00:20:10", "GXP2020": "00:0b:82:00:20:20", "GXP280": "00:0b:82:00:02:80", "GXV3275": "00:0b:82:00:32:75"}


def device(model, lines=1, name="desk", **settings):
    raw = {"name": name, "mac": MACS[model], "model": model,
           "lines": [{"extension": "20%d" % number, "password": "pw-%d" % number} for number in range(1, lines + 1)],
           "settings": settings}
    if model == "GXV3275":
        raw["vendor"] = "grandstream"
    if model.startswith("GXP2") and MODELS.get(model) is not None and MODELS[model].family == "gxp_legacy":
        raw["settings"].setdefault("provisioning_url", "http://prov.example.net/gs")
    return raw


def read_back(item):
    """The P-values of a served file, as the phone reads it: gs_provision XML (lxml) or the legacy binary."""
    data = item.content
    if data.startswith(b"<?xml"):
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        assert root.tag == "gs_provision"
        return dict((child.tag, child.text or "") for child in root.find("config"))
    words = struct.unpack(">%dH" % (len(data) // 2), data)
    assert sum(words) % 0x10000 == 0 and struct.unpack(">I", data[:4])[0] * 2 == len(data)
    body = data[16:].rstrip(b"\0").decode("ascii")
    pairs = [pair.split("=") for pair in body.split("&")]
    assert pairs[-1] == ["gnkey", "0b82"]
    return dict((name, unquote(value, errors="strict")) for name, value in pairs[:-1])


def run(raws, defaults=None, models=None, strict=False):
    """load_fleet + render_fleet: ``(inventory, {device: P-values of its profile})``."""
    inventory, fleet = load_fleet(raws, dict(DEFAULTS, **(defaults or {})), None, models, strict=strict)
    profiles = {}
    for item in render_fleet(inventory, fleet):
        if item.role == "profile" and item.path not in profiles:
            profiles.setdefault(item.device, read_back(item))
    return inventory, profiles


def pvalues(model, keys, lines=1, **settings):
    return run([device(model, lines, function_keys=keys, **settings)])[1]["desk"]


def errors_of(raws, defaults=None, strict=False):
    with pytest.raises(ProvisioningErrors) as caught:
        load_fleet(raws, dict(DEFAULTS, **(defaults or {})), strict=strict)
    return [(error.device, error.field, error.message) for error in caught.value.errors]


# --- each mapped type, exactly --------------------------------------------------

# (model, index, key, (mode, account, description, value) P-names, their values)
EXACT = [
    ("GRP2612", 1, {"type": "line", "line": 2}, ("P1363", "P1364", "P1465", "P1466"), ("31", "1", "", "")),
    ("GRP2612", 4, {"type": "none"}, ("P1369", "P1370", "P1471", "P1472"), ("-1", "0", "", "")),
    ("GRP2612", 5, {"type": "blf", "value": "301", "label": "Ann"}, ("P1371", "P1372", "P1473", "P1474"), ("1", "0", "Ann", "301")),
    ("GRP2612", 6, {"type": "speed_dial", "value": "+4930", "label": "HQ"}, ("P1373", "P1374", "P1475", "P1476"),
     ("0", "0", "HQ", "+4930")),
    ("GRP2612", 7, {"type": "park", "value": "701"}, ("P23800", "P23801", "P23802", "P23803"), ("9", "0", "", "701")),
    ("GRP2612", 7, {"type": "transfer", "value": "400"}, ("P23800", "P23801", "P23802", "P23803"), ("8", "0", "", "400")),
    ("GRP2612", 16, {"type": "dtmf", "value": "1234#"}, ("P23836", "P23837", "P23838", "P23839"), ("5", "0", "", "1234#")),
    ("GRP2616", 48, {"type": "blf", "value": "302", "line": 2}, ("P1460", "P1461", "P1462", "P1463"), ("1", "1", "", "302")),
    ("GXP2130", 3, {"type": "line", "line": 2}, ("P1367", "P1368", "P1469", "P1470"), ("0", "1", "", "")),
    ("GXP2130", 1, {"type": "blf", "value": "301"}, ("P1363", "P1364", "P1465", "P1466"), ("11", "0", "", "301")),
    ("GXP2130", 1, {"type": "speed_dial", "value": "301"}, ("P1363",), ("10",)),
    ("GXP2130", 1, {"type": "dtmf", "value": "301"}, ("P1363",), ("15",)),
    ("GXP2130", 1, {"type": "transfer"}, ("P1363",), ("18",)),
    ("GXP2130", 1, {"type": "park"}, ("P1363",), ("19",)),
    ("GXP2130", 1, {"type": "none"}, ("P1363",), ("-1",)),
    ("GXP2130", 4, {"type": "blf", "value": "301"}, ("P1369", "P1370", "P1471", "P1472"), ("1", "0", "", "301")),
    ("GXP2130", 4, {"type": "speed_dial", "value": "301"}, ("P1369",), ("0",)),
    ("GXP2130", 4, {"type": "dtmf", "value": "301"}, ("P1369",), ("5",)),
    ("GXP2130", 4, {"type": "transfer"}, ("P1369",), ("8",)),
    ("GXP2130", 4, {"type": "park"}, ("P1369",), ("9",)),
    # GXP2130: 12 VPKs, then MPK 1-8.
    ("GXP2130", 13, {"type": "blf", "value": "301", "label": "x" * 128}, ("P323", "P301", "P302", "P303"),
     ("1", "0", "x" * 128, "301")),
    ("GXP2130", 20, {"type": "none"}, ("P353", "P354", "P355", "P356"), ("-1", "0", "", "")),
    ("GXP2000", 1, {"type": "blf", "value": "301", "label": "Ann"}, ("P323", "P301", "P302", "P303"), ("1", "0", "Ann", "301")),
    ("GXP2000", 7, {"type": "speed_dial", "value": "0800"}, ("P329", "P319", "P320", "P321"), ("0", "0", "", "0800")),
    ("GXP2010", 8, {"type": "blf", "value": "301", "line": 2}, ("P353", "P354", "P355", "P356"), ("1", "1", "", "301")),
]


@pytest.mark.parametrize("model, index, key, names, expected", EXACT)
def test_each_type_becomes_its_native_p_values(model, index, key, names, expected):
    values = pvalues(model, [dict(key, index=index)], lines=2)
    assert tuple(values[name] for name in names) == expected


def test_keys_the_inventory_leaves_out_are_not_written():
    values = pvalues("GRP2616", [{"type": "blf", "value": "301", "index": 2}, {"type": "blf", "value": "302", "index": 25}])
    written = [slot.name for slot in gs_keys.layout_for("GRP2616").slots if slot.params[0] in values]
    assert written == ["VPK 2", "MPK 1"]


def test_dynamic_vpks_before_a_listed_one_are_written_as_none():
    # GXP2130: fixed VPK 1-3, dynamic 4-12. Listing VPK 7 writes 4-6 as None
    # (the template: skipping a dynamic VPK removes everything after it),
    # never the fixed ones and nothing after VPK 7.
    values = pvalues("GXP2130", [{"type": "blf", "value": "301", "index": 7}])
    assert [values.get(gs_keys.vpk_params(number)[0]) for number in range(1, 9)] == [
        None, None, None, "-1", "-1", "-1", "1", None]
    assert all(values[name] == "" for number in (4, 5, 6) for name in gs_keys.vpk_params(number)[2:])


def test_every_key_p_value_is_in_its_template_and_every_mode_passes_its_check():
    for model, facts in MODELS.items():
        layout = gs_keys.layout_for(model)
        assert layout.count == (facts.virtual_keys or 0) + (facts.multipurpose_keys or 0)
        for slot in layout.slots:
            assert all(param_spec(facts.family, name) is not None for name in slot.params), (model, slot.name)
            for mode in slot.modes.values():
                assert check_param(facts.family, slot.params[0], mode) is None, (model, slot.name, mode)


def test_key_p_values_do_not_overlap_any_other_mapped_p_value():
    layout = gs_keys.layout_for("GRP2616")
    names = [name for slot in layout.slots for name in slot.params]
    assert len(names) == len(set(names)) == 4 * 48
    values = pvalues("GRP2616", [], lines=6, vlan_id=3, sip_server_secondary="pbx2.example.net", timezone="UTC0",
                     ntp_server="ntp.example.net", resync_interval=60)
    assert not set(values) & set(names)


# --- what each model carries ----------------------------------------------------

def test_support_per_model():
    renderer = VENDORS["grandstream"]

    def support(model):
        return renderer.function_key_support(type("D", (), {"model": model})())

    xml_types = frozenset(("line", "blf", "speed_dial", "park", "transfer", "dtmf", "none"))
    assert support("GRP2612") == (xml_types, 16)
    assert support("GRP2616") == (xml_types, 48)  # 24 VPKs + 24 MPKs
    assert support("GXP2130") == (xml_types, 20)  # 12 VPKs + 8 MPKs
    assert support("GXP2170") == (xml_types, 48)
    assert support("GXP2010") == (frozenset(("blf", "speed_dial")), 18)
    assert support("GXP2000") == (frozenset(("blf", "speed_dial")), 7)
    assert support("GXP285") == (frozenset(), 0)
    assert not set(xml_types) - set(TYPES)


def test_a_key_beyond_the_model_is_one_error_naming_device_field_and_model():
    raws = [device("GRP2612", function_keys=[{"type": "blf", "value": "301", "index": 17}])]
    assert errors_of(raws) == [("desk", "settings.function_keys[0].index",
                                "model GRP2612 has 16 function keys; index 17 is beyond them")]


@pytest.mark.parametrize("model, key, message", [
    ("GRP2616", {"type": "pickup", "value": "301"},
     "model GRP2616 cannot carry a pickup key; it carries blf, dtmf, line, none, park, speed_dial, transfer"),
    ("GXP2170", {"type": "url", "value": "https://x.example.net/a"}, "model GXP2170 cannot carry a url key"),
    ("GXP2000", {"type": "park"}, "model GXP2000 cannot carry a park key; it carries blf, speed_dial"),
    ("GXP2000", {"type": "none"}, "model GXP2000 cannot carry a none key"),
    ("GXP280", {"type": "blf", "value": "301"}, "model GXP280 cannot carry a blf key; it carries none"),
])
def test_a_type_the_model_cannot_carry_is_one_error_naming_device_field_and_model(model, key, message):
    errors = errors_of([device(model, function_keys=[dict(key)])])
    assert len(errors) == 1
    assert errors[0][:2] == ("desk", "settings.function_keys[0].type")
    assert errors[0][2].startswith(message)


def test_a_line_key_must_be_a_fixed_vpk():
    errors = errors_of([device("GXP2170", function_keys=[{"type": "line", "index": 13}])])
    assert errors == [("desk", "settings.function_keys[0].type",
                       "key 13 of GXP2170 is VPK 13, which cannot be a line key; its line keys are keys 1 to 12")]
    errors = errors_of([device("GRP2616", function_keys=[{"type": "line", "index": 25}])])
    assert errors[0][2].endswith("is MPK 1, which cannot be a line key; its line keys are keys 1 to 6")


@pytest.mark.parametrize("model, key, field, message", [
    ("GRP2612", {"type": "blf", "value": "301", "label": "x" * 33}, ".label",
     "VPK 1 of GRP2612 takes a description (label) of at most 32 characters (Grandstream template), got 33"),
    ("GXP2170", {"type": "speed_dial", "value": "1" * 65, "index": 20}, ".value",
     "VPK 20 of GXP2170 takes a value of at most 64 characters (Grandstream template), got 65"),
    ("GXP2160", {"type": "blf", "value": "3" * 65, "index": 25}, ".value", "MPK 1 of GXP2160 takes a value of at most 64"),
])
def test_text_longer_than_the_keys_field_is_an_error_naming_it(model, key, field, message):
    errors = errors_of([device(model, function_keys=[key])])
    assert len(errors) == 1
    assert errors[0][:2] == ("desk", "settings.function_keys[0]" + field)
    assert errors[0][2].startswith(message)


def test_the_longest_text_a_field_takes_is_written_whole():
    values = pvalues("GRP2616", [{"type": "blf", "value": "3" * 64, "label": "L" * 32},
                                 {"type": "blf", "value": "4" * 128, "label": "M" * 128, "index": 25}])
    assert values["P1465"] == "L" * 32 and values["P1466"] == "3" * 64
    assert values["P302"] == "M" * 128 and values["P303"] == "4" * 128


def test_raw_params_still_win_over_a_mapped_key():
    raw = device("GRP2612", function_keys=[{"type": "blf", "value": "301", "label": "Ann"}])
    raw["params"] = {"P1465": "Manual"}
    values = run([raw])[1]["desk"]
    assert values["P1465"] == "Manual" and values["P1466"] == "301"


def test_keys_set_for_a_model_go_into_device_files_only():
    models = {"GRP2616": {"function_keys": [{"type": "blf", "value": "301"}], "vlan_id": 30}}
    inventory, fleet = load_fleet([device("GRP2616")], dict(DEFAULTS, model_profiles=True), None, models)
    files = dict((item.role, read_back(item)) for item in render_fleet(inventory, fleet))
    assert files["profile"]["P1363"] == "1" and files["profile"]["P51"] == "30"
    # The model file is shared: no key (it names accounts), but the VLAN.
    assert "P1363" not in files["model"] and files["model"]["P51"] == "30"


# --- backup registrar -------------------------------------------------------------

def test_backup_registrar_per_account_with_the_lines_port():
    raw = device("GXP2160", lines=3)
    raw["lines"][1]["sip_server_secondary"] = "[2001:db8::2]"
    raw["lines"][2]["sip_port"] = 5070
    values = run([raw], {"sip_server_secondary": "pbx2.example.net"})[1]["desk"]
    assert (values["P2312"], values["P2412"], values["P2512"]) == (
        "pbx2.example.net:5060", "[2001:db8::2]:5060", "pbx2.example.net:5070")
    assert "P2612" not in values


def test_no_backup_registrar_writes_none():
    values = run([device("GRP2616", lines=6)])[1]["desk"]
    assert not set(values) & {"P2312", "P2412", "P2512", "P2612", "P2712", "P2812"}


@pytest.mark.parametrize("backup, written", [
    ("pbx-b.example.net:5070", "pbx-b.example.net:5070"),
    ("pbx-b.example.net", "pbx-b.example.net:5080"),
    ("192.0.2.7:5090", "192.0.2.7:5090"),
    ("[2001:db8::5]:5070", "[2001:db8::5]:5070"),
    ("[2001:db8::5]", "[2001:db8::5]:5080"),
    ("2001:db8::5", "[2001:db8::5]:5080"),
])
def test_a_backup_registrar_takes_its_own_port_or_the_line_s(backup, written):
    raw = device("GRP2612")
    raw["lines"][0]["sip_port"] = 5080
    raw["lines"][0]["sip_server_secondary"] = backup
    assert run([raw])[1]["desk"]["P2312"] == written


@pytest.mark.parametrize("where, field, value, words", [
    ("settings", "settings.sip_server_secondary", "pbx 2", "is not host[:port]"),
    ("line", "lines[0].sip_server_secondary", "pbx2.example.net:99999", "has a port out of range 1 to 65535"),
    ("line", "lines[0].sip_server_secondary", "pbx2.example.net:sip", "is not host[:port]"),
])
def test_a_bad_backup_registrar_names_its_field(where, field, value, words):
    raw = device("GRP2612")
    if where == "line":
        raw["lines"][0]["sip_server_secondary"] = value
    else:
        raw["settings"]["sip_server_secondary"] = value
    errors = errors_of([raw])
    assert [(device_name, error_field) for device_name, error_field, message in errors] == [("desk", field)]
    assert words in errors[0][2]


def test_the_legacy_family_reports_the_backup_registrar_as_not_carried():
    inventory, profiles = run([device("GXP2000")], {"sip_server_secondary": "pbx2.example.net"})
    assert "P2312" not in profiles["desk"]
    assert inventory.warnings() == [
        "1 grandstream device(s) do not get settings.sip_server_secondary: the GXP legacy template (firmware 1.2.5.3) "
        "has no secondary SIP server (desk)"]
    raw = device("GXP2000")
    raw["lines"][0]["sip_server_secondary"] = "pbx2.example.net"
    assert run([raw])[0].warnings() == [
        "1 grandstream device(s) do not get lines[0].sip_server_secondary: the GXP legacy template (firmware 1.2.5.3) "
        "has no secondary SIP server (desk)"]


# --- voice VLAN -------------------------------------------------------------------

@pytest.mark.parametrize("model", ["GRP2612", "GXP2170", "GXP2000", "GXV3275"])
def test_vlan_tag_and_priority(model):
    values = run([device(model, vlan_id=4094, vlan_priority=7)])[1]["desk"]
    assert (values["P51"], values["P87"]) == ("4094", "7")
    values = run([device(model, vlan_priority=0)])[1]["desk"]
    assert values["P87"] == "0" and "P51" not in values


# --- settings reported as not carried -------------------------------------------------

def test_the_settings_grandstream_ignores_are_reported():
    raws = [device("GXP2000", name="old-1"), device("GXP2010", name="old-2"), device("GRP2612", name="new"),
            device("GXV3275", name="other", function_keys=[{"type": "blf", "value": "301"}])]
    inventory, profiles = run(raws, {"language": "de", "compress_profiles": True, "model_profiles": True})
    assert inventory.warnings() == [
        "4 grandstream device(s) do not get settings.compress_profiles: Grandstream phones read no compressed profile "
        "(new, old-1, old-2, other)",
        "1 grandstream device(s) do not get settings.function_keys: the collection knows the programmable keys of the "
        "models of its Grandstream templates only (docs/vendors/grandstream.md) (other)",
        "2 grandstream device(s) do not get settings.language: the GXP legacy template (firmware 1.2.5.3) has no display "
        "language setting (old-1, old-2)",
        "2 grandstream device(s) do not get settings.model_profiles: the GXP legacy family reads no XML profile, so no "
        "cfg<model>.xml or cfg.xml is written for it (old-1, old-2)",
    ]
    assert "P1363" not in profiles["other"] and "P1362" not in profiles["old-1"]


def test_a_language_grandstream_lacks_is_reported_and_written_nowhere():
    raws = [device("GRP2612", name="new"), device("GXP2170", name="other"), device("GXP2160", name="fr", language="fr")]
    inventory, fleet = load_fleet(raws, dict(DEFAULTS, language="ka", model_profiles=True, common_profile=True))
    assert inventory.warnings() == [
        "2 grandstream device(s) do not get settings.language: no Grandstream P1362 value for ka; known: "
        "ar, cs, de, en, es, fr, he, hr, hu, it, ja, ko, lv, nl, pl, pt, ru, sl, sv, tr, zh, zh-tw (new, other)"]
    served = {item.path: read_back(item) for item in render_fleet(inventory, fleet)}
    assert any(path.startswith("cfg") and not path.startswith("cfg0") and path.endswith(".xml") for path in served)
    assert {path for path, values in served.items() if "P1362" in values} == {"cfg000b82002160.xml"}
    assert served["cfg000b82002160.xml"]["P1362"] == "fr"


def test_under_strict_a_language_grandstream_lacks_is_an_error():
    errors = errors_of([device("GRP2612", language="ka")], strict=True)
    assert errors == [("desk", "settings.language", "grandstream devices do not get this setting: no Grandstream "
                       "P1362 value for ka; known: ar, cs, de, en, es, fr, he, hr, hu, it, ja, ko, lv, nl, pl, "
                       "pt, ru, sl, sv, tr, zh, zh-tw (sipfleet_strict is true; unset it for this device or model)")]


def test_settings_a_model_carries_are_not_reported():
    raws = [device("GRP2612", lines=2, function_keys=[{"type": "blf", "value": "301"}], vlan_id=5, vlan_priority=3,
                   sip_server_secondary="pbx2.example.net", language="de", model_profiles=True, common_profile=True)]
    inventory, dummy = run(raws, strict=True)
    assert inventory.warnings() == []


def test_under_strict_a_setting_not_carried_is_an_error_per_device():
    raws = [device("GXP2000", name="old-1", language="de"), device("GXP2020", name="old-2", language="de")]
    errors = errors_of(raws, strict=True)
    assert [(name, field) for name, field, message in errors] == [
        ("old-1", "settings.language"), ("old-2", "settings.language")]
