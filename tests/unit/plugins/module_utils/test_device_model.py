# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory model: merge order, defaults, and errors that name device and field."""

from __future__ import annotations

import datetime
import os
import re

import pytest
import yaml

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import (
    DEVICE_FIELDS,
    LINE_FIELDS,
    Inventory,
    build_device,
    build_fleet,
    device_label,
    merge_settings,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    ProvisioningError,
    ProvisioningErrors,
    cut_quoted_values,
    error_list,
    quote_value,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import SETTINGS, load_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import check_relative_path

KNOWN = {"GXP2170": "grandstream", "SPA2102": "cisco_spa"}


def vendor_for_model(model):
    return KNOWN.get(model)


def device(**overrides):
    raw = {
        "name": "desk-1",
        "mac": "00:0B:82:12:34:56",
        "model": "gxp2170",
        "lines": [{"extension": "201", "password": "s3cret"}],
    }
    raw.update(overrides)
    return raw


INVENTORY = Inventory(
    defaults={"sip_server": "sip.example.net", "ntp_server": "ntp.default", "language": "en", "resync_interval": 60},
    sites={"berlin": {"ntp_server": "ntp.berlin", "language": "de", "timezone": "CET-1CEST,M3.5.0,M10.5.0/3"}},
    models={"GXP2170": {"language": "fr", "resync_interval": 30}},
)


def test_merge_order_defaults_site_model_device():
    built = build_device(device(site="berlin", settings={"resync_interval": 15}), 0, INVENTORY, vendor_for_model)
    assert built.settings["ntp_server"] == "ntp.berlin"  # site over defaults
    assert built.settings["language"] == "fr"  # model over site
    assert built.settings["resync_interval"] == 15  # device over model
    assert built.settings["sip_server"] == "sip.example.net"  # defaults
    assert built.settings["sip_port"] == 5060  # built-in default
    assert built.settings["encrypt_profiles"] is True


def test_model_settings_skip_site_and_device():
    assert INVENTORY.model_settings("gxp2170")["language"] == "fr"
    assert INVENTORY.model_settings("gxp2170")["ntp_server"] == "ntp.default"


def test_canonical_fields_and_line_defaults():
    built = build_device(device(), 0, INVENTORY, vendor_for_model)
    assert (built.mac, built.model, built.vendor, built.label) == ("000b82123456", "GXP2170", "grandstream", "desk-1")
    line = built.lines[0]
    assert (line.extension, line.auth_user, line.display_name, line.sip_server, line.sip_port, line.transport) == (
        "201", "201", "201", "sip.example.net", 5060, "udp")
    assert "s3cret" not in repr(line)


def test_line_overrides():
    raw = device(lines=[{"extension": "7", "password": "p", "auth_user": "u7", "display_name": "Desk",
                         "sip_server": "pbx2", "sip_port": "5080", "transport": "tls"}])
    line = build_device(raw, 0, INVENTORY, vendor_for_model).lines[0]
    assert (line.extension, line.auth_user, line.display_name, line.sip_server, line.sip_port, line.transport) == (
        "7", "u7", "Desk", "pbx2", 5080, "tls")


def test_unknown_model_with_explicit_vendor():
    built = build_device(device(model="GXP9999", vendor="grandstream"), 0, INVENTORY, vendor_for_model)
    assert built.vendor == "grandstream"


@pytest.mark.parametrize("raw, expected", [
    (device(mac="00:0B:82:12:34"), "device desk-1, field mac: '00:0B:82:12:34' is not a MAC address"),
    (device(mac=None), "device desk-1, field mac: is required"),
    (device(model="XYZ1"), "device desk-1, field model: unknown model 'XYZ1'"),
    (device(model="GXP2170", vendor="cisco_spa"), "device desk-1, field vendor: model GXP2170 is a grandstream model"),
    (device(site="paris"), "device desk-1, field site: unknown site 'paris'"),
    (device(colour="red"), "device desk-1, field colour: unknown field(s) colour"),
    (device(settings={"sip_prot": 1}), "device desk-1, field settings.sip_prot: unknown setting 'sip_prot'"),
    (device(settings={"sip_port": 70000}), "device desk-1, field settings.sip_port: must be from 1 to 65535"),
    (device(settings={"sip_port": True}), "device desk-1, field settings.sip_port: must be an integer"),
    (device(settings={"sip_transport": "sctp"}), "field settings.sip_transport: must be one of udp, tcp, tls"),
    (device(settings={"encrypt_profiles": "yes"}), "field settings.encrypt_profiles: must be true or false"),
    (device(settings={"timezone": "Nowhere/City"}), "field settings.timezone: 'Nowhere/City' is not a time zone of the host"),
    (device(settings={"resync_spread": [90, 30]}), "field settings.resync_spread: needs 1 <= low <= high"),
    (device(lines=[{"extension": "201"}]), "device desk-1, field lines[0].password: is required"),
    (device(lines=[{"extension": "201", "password": ""}]), "field lines[0].password: is required"),
    (device(lines=[{"password": "x"}]), "device desk-1, field lines[0].extension: is required"),
    (device(lines=[{"extension": "1", "password": "x", "pin": 1}]), "field lines[0].pin: unknown field(s) pin"),
    (device(lines="201"), "device desk-1, field lines: must be a list of lines"),
    (device(params=["P47"]), "device desk-1, field params: must be a mapping"),
    (device(name="bad name"), "device bad name, field name: 'bad name' is not a valid device name"),
])
def test_bad_input_names_device_and_field(raw, expected):
    with pytest.raises(ProvisioningError) as excinfo:
        build_device(raw, 0, INVENTORY, vendor_for_model)
    assert expected in str(excinfo.value)


def test_device_without_name_is_named_by_mac_then_position():
    with pytest.raises(ProvisioningError, match=r"^device 00:0b:82:00:00:01, field model"):
        build_device({"mac": "00:0b:82:00:00:01", "model": "NOPE"}, 3, INVENTORY, vendor_for_model)
    with pytest.raises(ProvisioningError, match=r"^device sipfleet_devices\[3\], field mac: is required"):
        build_device({"model": "GXP2170"}, 3, INVENTORY, vendor_for_model)


def test_line_without_any_sip_server():
    inventory = Inventory(defaults={})
    with pytest.raises(ProvisioningError, match=r"field lines\[0\].sip_server: no SIP server"):
        build_device(device(), 0, inventory, vendor_for_model)


def test_duplicate_mac_names_both_devices():
    with pytest.raises(ProvisioningError) as excinfo:
        build_fleet([device(), device(name="desk-2", mac="000b.8212.3456")], INVENTORY, vendor_for_model)
    assert str(excinfo.value) == ("device desk-2, field mac: duplicate MAC 000b82123456: also used by device desk-1 "
                                  "(sipfleet_devices[0]; this is sipfleet_devices[1])")


def test_duplicate_name_names_both_devices():
    with pytest.raises(ProvisioningError) as excinfo:
        build_fleet([device(), device(mac="00:0b:82:00:00:02")], INVENTORY, vendor_for_model)
    assert str(excinfo.value) == ("device desk-1, field name: duplicate name: the devices with MAC 000b82123456 "
                                  "(sipfleet_devices[0]) and 000b82000002 (sipfleet_devices[1]) both have it")


@pytest.mark.parametrize("kwargs, expected", [
    ({"defaults": {"bogus": 1}}, "field sipfleet_defaults.bogus: unknown setting"),
    ({"sites": {"x": {"sip_port": "abc"}}}, "field sipfleet_sites.x.sip_port: must be an integer"),
    ({"models": {"gxp2170": {}, "GXP2170": {}}}, "field sipfleet_models.GXP2170: model GXP2170 is listed twice"),
    ({"sites": ["x"]}, "field sipfleet_sites: must be a mapping"),
])
def test_inventory_errors(kwargs, expected):
    with pytest.raises(ProvisioningError) as excinfo:
        Inventory(**kwargs)
    assert expected in str(excinfo.value)


def test_merge_ignores_none():
    assert merge_settings({"ntp_server": "a"}, {"ntp_server": None})["ntp_server"] == "a"


class TestTimezone:
    def test_central_europe(self):
        tz = parse_tz("CET-1CEST,M3.5.0,M10.5.0/3")
        assert (tz.std_name, tz.utc_offset, tz.dst_name, tz.dst_offset) == ("CET", 60, "CEST", 120)
        assert (tz.start.month, tz.start.week, tz.start.weekday, tz.start.minutes) == (3, 5, 0, 120)
        assert (tz.end.month, tz.end.week, tz.end.weekday, tz.end.minutes) == (10, 5, 0, 180)

    def test_new_york_and_half_hours(self):
        tz = parse_tz("EST5EDT,M3.2.0,M11.1.0")
        assert (tz.utc_offset, tz.dst_offset) == (-300, -240)
        assert parse_tz("<+0530>-5:30").utc_offset == 330
        assert not parse_tz("UTC0").has_dst

    @pytest.mark.parametrize("text", ["Nowhere/City", "Europe/Berlin/", "CET-1CEST", "CET-1CEST,M13.5.0,M10.5.0", "X-1", "", 5])
    def test_rejected(self, text):
        with pytest.raises(ProvisioningError, match="field settings.timezone"):
            parse_tz(text)


@pytest.mark.parametrize("path", ["cfg000b82123456.xml", "profile/0a1b/spa2102.cfg", "Config0080F0C8C381.cfg"])
def test_safe_paths(path):
    assert check_relative_path(path) == path


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "a//b", "a/../b", ".hidden", "a/", "", "a b", "a\\b", None])
def test_unsafe_paths(path):
    with pytest.raises(ProvisioningError, match="not a safe relative file path"):
        check_relative_path(path)


def test_every_setting_is_documented():
    docs = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "inventory.md")
    with open(docs, encoding="utf-8") as handle:
        documented = set(re.findall(r"^\| `([a-z_]+)` \|", handle.read(), flags=re.M))
    assert set(SETTINGS) <= documented, "settings missing from docs/inventory.md: %s" % sorted(set(SETTINGS) - documented)


# -- Values YAML did not keep as text ----------------------------------------

def _set(raw, path, value):
    """Set ``value`` at a dotted ``path`` of a device mapping (``lines.0.password``)."""
    keys = path.split(".")
    target = raw
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    target[keys[-1]] = value


#: Every free-text or credential field of a device, its error field, and whether it is a secret.
TEXT_FIELDS = [
    ("name", "name", False),
    ("model", "model", False),
    ("vendor", "vendor", False),
    ("site", "site", False),
    ("lines.0.extension", "lines[0].extension", False),
    ("lines.0.auth_user", "lines[0].auth_user", False),
    ("lines.0.password", "lines[0].password", True),
    ("lines.0.display_name", "lines[0].display_name", False),
    ("lines.0.sip_server", "lines[0].sip_server", False),
    ("lines.0.transport", "lines[0].transport", False),
    ("params.P47", "params.P47", True),
    ("params.Proxy_1_.value", "params.Proxy_1_.value", True),
    ("keys.p1359", "keys.p1359", True),
] + [("settings.%s" % name, "settings.%s" % name, spec.secret) for name, spec in sorted(SETTINGS.items())
     if spec.kind == "str"]


def test_every_text_setting_and_field_is_covered():
    # A new str setting is covered by TEXT_FIELDS without a change here; a new
    # line or device field must be added to it (or be a number).
    covered = set(path.split(".")[-1] for path, field, secret in TEXT_FIELDS)
    numbers = {"sip_port", "mac", "lines", "params", "settings", "keys"}
    assert set(DEVICE_FIELDS + LINE_FIELDS) - numbers <= covered
    assert {"admin_password", "ntp_server", "provisioning_url", "firmware_url", "sip_server"} <= covered


@pytest.mark.parametrize("value, reading", [
    (511, "the integer 511"), (0, "the integer 0"), (1.5, "the number 1.5"), (True, "the boolean true"),
    (False, "the boolean false"), (datetime.date(2024, 1, 2), "the date 2024-01-02"),
])
@pytest.mark.parametrize("path, field, secret", TEXT_FIELDS)
def test_yaml_typed_text_is_refused_with_a_hint_to_quote_it(path, field, secret, value, reading):
    raw = device(site="berlin", vendor="grandstream")
    _set(raw, path, value)
    with pytest.raises(ProvisioningError) as excinfo:
        build_device(raw, 0, INVENTORY, vendor_for_model)
    errors = excinfo.value.errors
    assert [(error.device, error.field) for error in errors] == [(device_label(raw, 0), field)]
    message = errors[0].message
    assert message.startswith("must be a string, but YAML read it as ")
    what = "key" if path.startswith("keys.") else "value"
    assert 'quote the %s exactly as written in the inventory (%s: "...")' % (what, field.rsplit(".", 1)[-1]) in message
    if secret:
        # A secret's value is never shown, not even as YAML's number.
        assert reading not in message and reading.split(" ", 2)[-1] not in message.split("(YAML reads", maxsplit=1)[0]
    else:
        assert ("YAML read it as %s:" % reading) in message


@pytest.mark.parametrize("text, field, reading", [
    ("password: 0777", "lines[0].password", "an integer"),
    ("extension: 0201", "lines[0].extension", "the integer 129"),
    ("auth_user: 12:30", "lines[0].auth_user", "the integer 750"),
    ("display_name: yes", "lines[0].display_name", "the boolean true"),
    ("display_name: 1.50", "lines[0].display_name", "the number 1.5"),
    ("sip_server: 2024-01-02", "lines[0].sip_server", "the date 2024-01-02"),
])
def test_unquoted_yaml_line_values_never_reach_a_profile(text, field, reading):
    line = yaml.safe_load("{extension: '201', password: s3cret, %s}" % text.replace(": ", ": ", 1))
    with pytest.raises(ProvisioningError) as excinfo:
        build_device(device(lines=[line]), 0, INVENTORY, vendor_for_model)
    assert str(excinfo.value).startswith("device desk-1, field %s: must be a string, but YAML read it as %s: " % (field, reading))
    # The hint never pretends to know what was written: the octal text is lost.
    assert "0201" not in str(excinfo.value) and '"0777"' not in str(excinfo.value)
    if field.endswith("password"):
        assert "511" not in str(excinfo.value).split("(YAML reads", maxsplit=1)[0]


@pytest.mark.parametrize("text, reading", [
    ("mac: 112233445566", "the integer 112233445566"),
    ("mac: 11:22:33:44:55:06", "the integer %d" % yaml.safe_load("11:22:33:44:55:06")),
])
def test_a_mac_yaml_read_as_an_integer_gets_the_same_hint(text, reading):
    raw = device(name=None, **yaml.safe_load(text))
    with pytest.raises(ProvisioningError) as excinfo:
        build_device(raw, 0, INVENTORY, vendor_for_model)
    assert excinfo.value.field == "mac"
    assert "must be a string, but YAML read it as %s: quote the MAC address exactly as written" % reading in str(excinfo.value)
    # Without colons and with a letter, YAML keeps a MAC as text.
    assert isinstance(yaml.safe_load("mac: 000b82123456")["mac"], str)


@pytest.mark.parametrize("name, value, expected", [
    ("sip_port", 5080, 5080), ("sip_port", "5080", 5080), ("resync_interval", 60, 60),
    ("resync_spread", [30, 90], [30, 90]), ("encrypt_profiles", False, False),
])
def test_numeric_and_boolean_settings_keep_their_types(name, value, expected):
    built = build_device(device(settings={name: value}), 0, INVENTORY, vendor_for_model)
    assert built.settings[name] == expected


@pytest.mark.parametrize("name, value, message", [
    ("sip_port", True, "must be an integer, got True"), ("sip_port", 50.5, "must be an integer, got 50.5"),
    ("sip_port", "5_080", "must be an integer, got '5_080'"), ("resync_interval", "sixty", "must be an integer"),
    ("encrypt_profiles", "yes", "must be true or false, got 'yes'"), ("encrypt_profiles", 1, "must be true or false"),
])
def test_numeric_settings_refuse_other_types(name, value, message):
    with pytest.raises(ProvisioningError) as excinfo:
        build_device(device(settings={name: value}), 0, INVENTORY, vendor_for_model)
    assert str(excinfo.value).startswith("device desk-1, field settings.%s: %s" % (name, message))


def test_inventory_level_settings_refuse_yaml_numbers_too():
    with pytest.raises(ProvisioningError) as excinfo:
        Inventory(defaults={"ntp_server": 10.5}, sites={"x": {"admin_password": 1234}})
    assert [error.field for error in excinfo.value.errors] == ["sipfleet_defaults.ntp_server", "sipfleet_sites.x.admin_password"]
    assert "1234" not in str(excinfo.value)


# -- Every error of a run, together ------------------------------------------

def test_a_device_reports_every_independent_field_error():
    raw = device(name="desk 1", model="GXP2170", site="paris", colour="red", settings={"sip_port": 0, "language": 5},
                 params={"P3": 7}, lines=[{"extension": 201, "password": None, "pin": 1}, {"extension": "202"}])
    with pytest.raises(ProvisioningErrors) as excinfo:
        build_device(raw, 0, INVENTORY, vendor_for_model)
    assert [error.field for error in excinfo.value.errors] == [
        "colour", "name", "site", "settings.sip_port", "settings.language", "params.P3",
        "lines[0].pin", "lines[0].extension", "lines[0].password", "lines[1].password"]
    assert str(excinfo.value).splitlines()[0] == "device desk 1, field colour: unknown field(s) colour; a device has " \
        "name, mac, model, vendor, site, lines, params, settings, keys (put settings under 'settings')"
    assert len(str(excinfo.value).splitlines()) == 10
    assert (excinfo.value.device, excinfo.value.field) == ("desk 1", "colour")


def test_a_fleet_reports_every_device_capped_at_100_lines_with_the_total():
    devices = [device(name="desk-%03d" % index, mac="00:0b:82:00:%02x:%02x" % (index // 256, index % 256),
                      lines=[{"extension": index, "password": "x"}]) for index in range(157)]
    with pytest.raises(ProvisioningErrors) as excinfo:
        build_fleet(devices, INVENTORY, vendor_for_model)
    assert len(excinfo.value.errors) == 157
    lines = str(excinfo.value).splitlines()
    assert len(lines) == 101
    assert lines[0].startswith("device desk-000, field lines[0].extension: must be a string")
    assert lines[99].startswith("device desk-099, field lines[0].extension: ")
    assert lines[100] == "... and 57 more errors (157 in all)"
    assert (excinfo.value.device, excinfo.value.field) == ("desk-000", "lines[0].extension")
    assert error_list(excinfo.value)[156] == {"device": "desk-156", "field": "lines[0].extension",
                                              "msg": excinfo.value.errors[156].message}


def test_load_fleet_reports_model_and_vendor_errors_of_every_device_together():
    devices = [
        {"name": "a", "mac": "00:0b:82:00:00:01", "model": "GXP2170", "params": {"p193": "60"}},
        {"name": "b", "mac": "00:0b:82:00:00:02", "model": "GXP2170", "lines": [{"extension": 201, "password": "x"}]},
        {"name": "c", "mac": "00:0b:82:00:00:03", "model": "GXP2170", "params": {"P193x": "1"}},
        {"name": "d", "mac": "00:0b:82:00:00:01", "model": "GXP2170"},
        {"name": "a", "mac": "00:0b:82:00:00:05", "model": "GXP2170"},
    ]
    with pytest.raises(ProvisioningErrors) as excinfo:
        load_fleet(devices, defaults={"sip_server": "pbx", "provisioning_url": "http://prov", "bogus": 1})
    found = [(error.device, error.field) for error in excinfo.value.errors]
    assert found == [(None, "sipfleet_defaults.bogus"), ("b", "lines[0].extension"), ("d", "mac"), ("a", "name"),
                     ("a", "params.p193"), ("c", "params.P193x")]
    assert "duplicate MAC 000b82000001: also used by device a (sipfleet_devices[0]; this is sipfleet_devices[3])" \
        in str(excinfo.value)


# -- Values quoted in messages are cut ---------------------------------------

HUGE = "x" * (1 << 20)


@pytest.mark.parametrize("overrides, field", [
    ({"name": HUGE}, "name"),
    ({"name": "ok", "mac": HUGE}, "mac"),
    ({"model": HUGE}, "model"),
    ({"site": HUGE}, "site"),
    ({"vendor": HUGE}, "vendor"),
    ({"settings": {"timezone": HUGE}}, "settings.timezone"),
    ({"settings": {"sip_transport": HUGE}}, "settings.sip_transport"),
    ({"settings": {"sip_port": HUGE}}, "settings.sip_port"),
    ({"settings": {HUGE: 1}}, "settings." + quote_value(HUGE)),
    ({HUGE: 1}, quote_value(HUGE)),
    ({"lines": [{"extension": "1", "password": "x", "transport": HUGE}]}, "lines[0].transport"),
    ({"lines": [{"extension": "1", "password": "x", HUGE: 1}]}, "lines[0]." + quote_value(HUGE)),
])
def test_a_huge_value_is_quoted_cut_to_about_80_characters(overrides, field):
    with pytest.raises(ProvisioningError) as excinfo:
        build_device(device(**overrides), 0, INVENTORY, vendor_for_model)
    message = str(excinfo.value)
    assert excinfo.value.errors[0].field == field
    assert "(1048576 characters)" in message
    # The known setting list of an unknown setting is the longest part left.
    assert len(message) < 1200, message[:300]
    assert "x" * 81 not in message


def test_quote_value():
    assert quote_value("short") == "'short'"
    assert quote_value("y" * 100) == "'%s'... (100 characters)" % ("y" * 80)
    assert quote_value("\x00" * 100).endswith("... (100 characters)") and len(quote_value("\x00" * 100)) < 110
    assert quote_value(511) == "511"
    assert len(quote_value(list(range(10000)))) <= 83


@pytest.mark.parametrize("vendor_model", [("grandstream", "GXP2170"), ("cisco_spa", "SPA2102"), ("cisco_mpp", "ATA192"),
                                          ("panasonic", "KX-UT133")])
@pytest.mark.parametrize("setting", ["sip_server", "ntp_server", "provisioning_url", "outbound_proxy"])
def test_vendor_errors_quote_a_huge_value_cut_too(vendor_model, setting):
    # Vendor checks may quote a value whole; every error of a run is cut on its way out.
    raw = {"name": "d", "mac": "00:0b:82:00:00:01", "model": vendor_model[1], "settings": {setting: HUGE},
           "lines": [{"extension": "201", "password": "pw"}]}
    with pytest.raises(ProvisioningErrors) as excinfo:
        load_fleet([raw], defaults={"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net"})
    assert len(str(excinfo.value)) < 1000 and "x" * 81 not in str(excinfo.value)
    assert all(len(entry["msg"]) < 1000 for entry in error_list(excinfo.value))


def test_cut_quoted_values():
    message = "field x: %r is bad, so is %r" % ("a" * 500, "it's " + "b" * 300)
    assert cut_quoted_values(message) == "field x: '%s'... (500 characters quoted) is bad, so is \"it's %s\"... " \
        "(305 characters quoted)" % ("a" * 80, "b" * 75)
    assert cut_quoted_values("short 'x'") == "short 'x'"


# --- raw parameter values of another type: the type, never the value ------------

_PARAM_LEAK = "Le4kedValue"


@pytest.mark.parametrize("model, params, field, shown", [
    ("SPA2102", {"Admin_Passwd": [_PARAM_LEAK]}, "params.Admin_Passwd", "got list"),
    ("SPA2102", {"Admin_Passwd": {"value": [_PARAM_LEAK]}}, "params.Admin_Passwd.value", "got list"),
    ("SPA2102", {"Admin_Passwd": {"value": {"x": _PARAM_LEAK}}}, "params.Admin_Passwd.value", "got dict"),
    ("SPA2102", {"Admin_Passwd": {"value": "ok", "ua": [_PARAM_LEAK]}}, "params.Admin_Passwd.ua", "got list"),
    ("SPA2102", {"Admin_Passwd": {"ua": {"x": _PARAM_LEAK}}}, "params.Admin_Passwd.ua", "got dict"),
    ("SPA2102", {"Dial_Plan_1_": (_PARAM_LEAK,)}, "params.Dial_Plan_1_", "got tuple"),
    ("KX-UTG200", {"SIP_PASS_1": [_PARAM_LEAK]}, "params.SIP_PASS_1", "got list"),
    ("KX-UTG200", {"VM_NUMBER_1": {_PARAM_LEAK: 1}}, "params.VM_NUMBER_1", "got dict"),
    ("GXP2170", {"P34": [_PARAM_LEAK]}, "params.P34", "got list"),
    ("GXP2170", {"P3": None}, "params.P3", "got null"),
    ("GXP2170", {"P34": 12.5}, "params.P34", "YAML read it as a number"),
])
def test_a_raw_param_of_another_type_is_refused_naming_its_type_only(model, params, field, shown):
    """The data model refuses it before any vendor check could quote the value (a parameter may be a password)."""
    raw = device(model=model, mac="00:80:f0:c8:c3:81", params=params)
    with pytest.raises(ProvisioningError) as info:
        load_fleet([raw], {"sip_server": "pbx.example.net", "provisioning_url": "https://prov.example.net/p"})
    errors = error_list(info.value)
    assert [(error["device"], error["field"]) for error in errors] == [("desk-1", field)], errors
    assert shown in errors[0]["msg"], errors
    assert _PARAM_LEAK not in str(info.value) and "12.5" not in str(info.value)


def test_a_raw_param_of_another_type_is_refused_by_the_data_model_itself():
    """Without any vendor: build_device alone refuses a list, a null and a mapping's list ``ua``."""
    raw = device(params={"A": [_PARAM_LEAK], "B": None, "C": {"value": "v", "ua": [_PARAM_LEAK]}, "D": "fine",
                         "E": {"ua": "na"}})
    with pytest.raises(ProvisioningErrors) as info:
        build_device(raw, 0, INVENTORY, vendor_for_model)
    assert [error["field"] for error in error_list(info.value)] == ["params.A", "params.B", "params.C.ua"]
    assert _PARAM_LEAK not in str(info.value)
