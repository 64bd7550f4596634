# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory model: merge order, defaults, and errors that name device and field."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import (
    SETTINGS,
    Inventory,
    build_device,
    build_fleet,
    merge_settings,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendor_base import check_relative_path

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
    (device(settings={"timezone": "Europe/Berlin"}), "field settings.timezone: 'Europe/Berlin' is not a POSIX TZ string"),
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

    @pytest.mark.parametrize("text", ["Europe/Berlin", "CET", "CET-1CEST", "CET-1CEST,M13.5.0,M10.5.0", "X-1", "", 5])
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
