# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Grandstream renderer: golden files, parse-back with lxml and openssl, the legacy binary, bad input.

Golden files live in ``golden/grandstream/<flow>/``: every served file under
its served name, plus review copies next to it (``<name>.plaintext`` for an
encrypted file, ``<name>.decoded`` for a legacy binary, one ``P=value`` a
line). To rewrite them after an intended change, run the tests with
``SIPFLEET_REGENERATE_GOLDEN=1`` and review the diff by hand. ``ansible-test
units`` does not pass that variable on; run pytest itself from a copy in an
``ansible_collections/sipfleet/provisioning`` tree::

    SIPFLEET_REGENERATE_GOLDEN=1 PYTHONPATH=<dir holding ansible_collections> python -m pytest <this file>
"""

from __future__ import annotations

import os
import struct
from urllib.parse import unquote, unquote_plus

import pytest
from hypothesis import given, settings, strategies as st
from lxml import etree

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import formats as gs_formats
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import renderer as gs
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import settings as gs_settings
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import (
    family_for_model,
    known_models,
    param_spec,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import check_relative_path
from ansible_collections.sipfleet.provisioning.tests.unit.openssl_cli import dec

RENDERER = gs.RENDERER
GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "grandstream")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

KEY_A = bytes(range(32)).hex()
KEY_B = bytes(range(32, 64)).hex()

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "language": "de",
    "admin_password": "Adm1nSecret",
    "provisioning_url": "https://prov.example.net/gs",
    "resync_interval": 1440,
}


def vendor_for_model(model):
    return "grandstream" if RENDERER.model_info(model) is not None else None


def make(raw, defaults=None, sites=None, models=None, index=0):
    inventory = Inventory(DEFAULTS if defaults is None else defaults, sites, models)
    return inventory, build_device(raw, index, inventory, vendor_for_model)


def render(raws, defaults=None, models=None):
    """validate() every device first, as the fleet renderer does, then render."""
    inventory = Inventory(DEFAULTS if defaults is None else defaults, None, models)
    devices = [build_device(raw, index, inventory, vendor_for_model) for index, raw in enumerate(raws)]
    for device in devices:
        RENDERER.validate(device, inventory)
    files = []
    for device in devices:
        files.extend(RENDERER.render_device(device, inventory))
    files.extend(RENDERER.render_shared(devices, inventory))
    return files


def by_path(files):
    return dict((item.path, item) for item in files)


def line(extension, password, **extra):
    return dict(extension=extension, password=password, **extra)


# --- readers: the phone's side of the formats ------------------------------

def read_xml(data):
    """``(mac or None, [(P, value)])`` of a gs_provision file, parsed by lxml."""
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "gs_provision" and root.get("version") == "1"
    mac = root.find("mac")
    config = root.find("config")
    assert config.get("version") == "1"
    assert [child.tag for child in root] == (["mac", "config"] if mac is not None else ["config"])
    return (mac.text if mac is not None else None), [(child.tag, child.text or "") for child in config]


def decode_legacy(data, space=gs_formats.LEGACY_SPACE):
    """``(mac, [(P, value)])`` of a legacy binary file; asserts every invariant of the layout."""
    assert len(data) % 2 == 0 and len(data) >= 16
    words = struct.unpack(">%dH" % (len(data) // 2), data)
    assert sum(words) % 0x10000 == 0, "checksum invariant broken"
    (length,) = struct.unpack(">I", data[:4])
    assert length * 2 == len(data), "length field is not the file length in 16-bit words"
    assert data[12:16] == b"\r\n\r\n"
    body = data[16:]
    if body.endswith(b"\0"):
        body = body[:-1]
        assert len(body) % 2 == 1, "padding is only added to reach an even length"
    text = body.decode("ascii")
    pairs = [pair.split("=") for pair in text.split("&")]
    assert all(len(pair) == 2 for pair in pairs), "a value was not URL-encoded"
    assert pairs[-1] == ["gnkey", "0b82"]
    decode = unquote_plus if space == "+" else unquote
    return data[6:12].hex(), [(name, decode(value, errors="strict")) for name, value in pairs[:-1]]


def pvalues_of(item):
    """The P-values of a served file: its XML (the plaintext of an encrypted one) or its legacy binary."""
    if item.plaintext is not None:
        return dict(read_xml(item.plaintext)[1])
    if item.content.startswith(b"<?xml"):
        return dict(read_xml(item.content)[1])
    return dict(decode_legacy(item.content)[1])


# --- golden files ----------------------------------------------------------

def review_files(files):
    """Served bytes plus the review copies, ``{relative name: bytes}``."""
    out = {}
    for item in files:
        if item.plaintext is not None:
            # Ciphertext under a .bin name: ansible-test's text checks
            # (line endings, smart quotes) would read it as text otherwise.
            out[item.path + ".bin"] = item.content
            out[item.path + ".plaintext"] = item.plaintext
            continue
        out[item.path] = item.content
        if not read_as_xml(item):
            mac, pairs = decode_legacy(item.content)
            out[item.path + ".decoded"] = ("# legacy binary for %s\n" % mac + "".join("%s=%s\n" % pair for pair in pairs)).encode()
    return out


def read_as_xml(item):
    return item.content.startswith(b"<?xml") or item.content.startswith(b"Salted__")


def check_golden(flow, files):
    directory = os.path.join(GOLDEN, flow)
    wanted = review_files(files)
    if REGENERATE:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        for name, content in wanted.items():
            with open(os.path.join(directory, name), "wb") as handle:
                handle.write(content)
    assert sorted(os.listdir(directory)) == sorted(wanted), "golden files of %s differ in names" % flow
    for name, content in wanted.items():
        with open(os.path.join(directory, name), "rb") as handle:
            assert handle.read() == content, "golden file %s/%s differs" % (flow, name)


def flow_plain():
    defaults = dict(DEFAULTS, encrypt_profiles=False, provisioning_url="http://prov.example.net/gs",
                    firmware_url="http://fw.example.net/grandstream", firmware_version="1.0.11.16",
                    syslog_server="log.example.net", outbound_proxy="sbc.example.net:5070")
    raws = [{"name": "reception", "mac": "00:0B:82:12:34:56", "model": "GXP2170",
             "lines": [line("201", "Sip&Secret<201>", display_name="Reception & Co"),
                       line("202", "sip-secret-202", auth_user="a202", transport="tcp", sip_port=5080)],
             "params": {"P8463": "1", "P33": "*97"}}]
    return raws, defaults


def flow_encrypted():
    raws = [{"name": "desk-1", "mac": "c0:74:ad:0b:63:ee", "model": "GRP2614",
             "lines": [line("301", "sip-secret-301", display_name="Desk 1")],
             "keys": {"p1359": KEY_A}}]
    return raws, dict(DEFAULTS)


def flow_prefix():
    defaults = dict(DEFAULTS, config_prefix="gs_", config_postfix="_cfg001")
    raws = [{"name": "gxp2140", "mac": "00:0b:82:00:00:02", "model": "GXP2140",
             "lines": [line("401", "sip-secret-401")], "keys": {"p1359": KEY_B},
             "settings": {"encryption_digest": "sha256"}},
            # The seed's own example name: gs_cfg000b82000001_cfg001.
            {"name": "gxp2000", "mac": "00:0b:82:00:00:01", "model": "GXP2000",
             "lines": [line("402", "sip-secret-402", transport="tcp")],
             "settings": {"encrypt_profiles": False, "timezone": "EST5EDT,M3.2.0,M11.1.0",
                          "provisioning_url": "http://prov.example.net/gs"}},
            # Prefix and postfix without encryption: a plain bootstrap without key.
            {"name": "grp2612", "mac": "00:0b:82:00:00:03", "model": "GRP2612",
             "lines": [line("403", "sip-secret-403")], "settings": {"encrypt_profiles": False}}]
    return raws, defaults


def flow_shared():
    defaults = dict(DEFAULTS, encrypt_profiles=False, model_profiles=True, common_profile=True, resync_spread=[120, 240])
    models = {"grp2614": {"language": "fr"}}
    raws = [{"name": "a", "mac": "c0:74:ad:00:00:0a", "model": "GRP2614", "lines": [line("501", "sip-secret-501")]},
            {"name": "b", "mac": "c0:74:ad:00:00:0b", "model": "GXP2170", "lines": [line("502", "sip-secret-502")]}]
    return raws, defaults, models


def test_golden_plain_device_profile():
    raws, defaults = flow_plain()
    files = render(raws, defaults)
    assert [(item.path, item.role, item.secret) for item in files] == [("cfg000b82123456.xml", "profile", True)]
    mac, pairs = read_xml(files[0].content)
    values = dict(pairs)
    assert mac == "000b82123456"
    assert values["P34"] == "Sip&Secret<201>" and values["P3"] == "Reception & Co" and values["P270"] == "Reception & Co"
    assert values["P47"] == "pbx.example.net:5060" and values["P402"] == "pbx.example.net:5080"
    assert values["P35"] == "201" and values["P36"] == "201" and values["P405"] == "a202"
    assert values["P130"] == "0" and values["P448"] == "1"
    assert values["P48"] == values["P403"] == "sbc.example.net:5070"
    # Unused accounts 3-6 of a GXP2170 are switched off.
    assert [values[p] for p in ("P501", "P601", "P1701", "P1801")] == ["0"] * 4
    assert values["P237"] == "prov.example.net/gs" and values["P212"] == "1"
    assert values["P192"] == "fw.example.net/grandstream" and values["P6767"] == "1"
    assert values["P238"] == "1" and values["P233"] == "_1.0.11.16"
    assert values["P207"] == "log.example.net" and values["P208"] == "2"
    assert values["P64"] == "customize" and values["P246"] == "CET-1CEST,M3.5.0,M10.5.0/3"
    assert values["P143"] == "0"  # DHCP option 2 must not override the zone set here
    assert values["P1362"] == "de" and values["P2"] == "Adm1nSecret"
    assert values["P193"] == "1440" and values["P194"] == "1"
    assert values["P8463"] == "1" and values["P33"] == "*97"
    assert "P1359" not in values
    check_golden("plain", files)


def test_golden_encrypted_profile_with_legacy_bootstrap():
    raws, defaults = flow_encrypted()
    files = render(raws, defaults)
    assert [(item.path, item.role, item.secret) for item in files] == [
        ("cfgc074ad0b63ee", "bootstrap", True),
        ("cfgc074ad0b63ee.bin", "bootstrap", True),
        ("cfgc074ad0b63ee.xml", "profile", False),
    ]
    bootstrap, bootstrap_bin, profile = files
    assert bootstrap.content == bootstrap_bin.content
    mac, pairs = decode_legacy(bootstrap.content)
    assert mac == "c074ad0b63ee"
    assert pairs == [("P237", "prov.example.net/gs"), ("P212", "2"), ("P193", "1440"), ("P194", "1"), ("P1359", KEY_A)]
    # The real openssl, as the phone's firmware derives the key: MD5.
    code, plaintext, stderr = dec(profile.content, password=KEY_A, digest="md5")
    assert code == 0, stderr
    assert plaintext == profile.plaintext
    assert b"sip-secret-301" not in profile.content and b"sip-secret-301" in plaintext
    mac, pairs = read_xml(plaintext)
    assert mac == "c074ad0b63ee" and dict(pairs)["P1359"] == KEY_A
    code, wrong, dummy = dec(profile.content, password=KEY_A, digest="sha256")
    assert code != 0 or wrong != plaintext
    check_golden("encrypted", files)


def test_golden_prefix_and_postfix_names():
    raws, defaults = flow_prefix()
    files = render(raws, defaults)
    assert [(item.path, item.role, item.secret) for item in files] == [
        ("cfg000b82000002", "bootstrap", True),
        ("cfg000b82000002.bin", "bootstrap", True),
        ("gs_cfg000b82000002.xml_cfg001", "profile", False),
        # A new legacy phone asks for cfg<mac> without prefix: the bootstrap
        # gives it P234/P235, its next check fetches the prefixed profile.
        ("cfg000b82000001", "bootstrap", False),
        ("cfg000b82000001.bin", "bootstrap", False),
        ("gs_cfg000b82000001_cfg001", "profile", True),
        ("gs_cfg000b82000001.bin_cfg001", "profile", True),
        ("cfg000b82000003", "bootstrap", False),
        ("cfg000b82000003.bin", "bootstrap", False),
        ("gs_cfg000b82000003.xml_cfg001", "profile", True),
    ]
    found = by_path(files)
    # The bootstrap tells the phone the names it must ask for next.
    pairs = dict(decode_legacy(found["cfg000b82000002"].content)[1])
    assert pairs["P234"] == "gs_" and pairs["P235"] == "_cfg001" and pairs["P1359"] == KEY_B
    code, plaintext, stderr = dec(found["gs_cfg000b82000002.xml_cfg001"].content, password=KEY_B, digest="sha256")
    assert code == 0, stderr
    assert dict(read_xml(plaintext)[1])["P234"] == "gs_"
    # The legacy family reads the whole profile from the binary; its
    # template's own default time zone values (EST, US rule) come back.
    mac, pairs = decode_legacy(found["gs_cfg000b82000001_cfg001"].content)
    values = dict(pairs)
    assert mac == "000b82000001"
    assert values["P64"] == "420" and values["P75"] == "1" and values["P246"] == "3,2,7,2,0;11,1,7,2,0;60"
    assert values["P130"] == "2" and values["P212"] == "1" and values["P34"] == "sip-secret-402"
    assert values["P234"] == "gs_" and values["P235"] == "_cfg001"
    assert decode_legacy(found["cfg000b82000001"].content) == ("000b82000001", [
        ("P237", "prov.example.net/gs"), ("P212", "1"), ("P234", "gs_"), ("P235", "_cfg001"), ("P193", "1440"), ("P194", "1")])
    # Without encryption the bootstrap carries no key and no password.
    assert decode_legacy(found["cfg000b82000003"].content) == ("000b82000003", [
        ("P237", "prov.example.net/gs"), ("P212", "2"), ("P234", "gs_"), ("P235", "_cfg001"), ("P193", "1440"), ("P194", "1")])
    assert found["cfg000b82000003.bin"].content == found["cfg000b82000003"].content
    mac, pairs = read_xml(found["gs_cfg000b82000003.xml_cfg001"].content)
    assert mac == "000b82000003" and dict(pairs)["P34"] == "sip-secret-403" and "P1359" not in dict(pairs)
    check_golden("prefix_postfix", files)


def test_golden_model_and_common_files():
    raws, defaults, models = flow_shared()
    files = render(raws, defaults, models)
    assert [(item.path, item.role, item.device, item.secret) for item in files] == [
        ("cfgc074ad00000a.xml", "profile", "a", True),
        ("cfgc074ad00000b.xml", "profile", "b", True),
        ("cfggrp2614.xml", "model", None, False),
        ("cfggxp2170.xml", "model", None, False),
        ("cfg.xml", "common", None, False),
    ]
    found = by_path(files)
    for path in ("cfggrp2614.xml", "cfggxp2170.xml", "cfg.xml"):
        mac, pairs = read_xml(found[path].content)
        values = dict(pairs)
        assert mac is None
        # Only fleet or model settings: no account, no password, no key.
        assert not set(values) & {"P2", "P34", "P35", "P47", "P271", "P1359"}
        assert values["P193"] == "120" and values["P30"] == "ntp.example.net"
    assert dict(read_xml(found["cfggrp2614.xml"].content)[1])["P1362"] == "fr"
    assert dict(read_xml(found["cfg.xml"].content)[1])["P1362"] == "de"
    assert dict(read_xml(found["cfgc074ad00000a.xml"].content)[1])["P1362"] == "fr"
    check_golden("model_common", files)


def flow_keys():
    """Function keys on the three template families, a backup registrar and a voice VLAN."""
    defaults = dict(DEFAULTS, encrypt_profiles=False, sip_server_secondary="pbx2.example.net", vlan_id=20, vlan_priority=5)
    raws = [
        {"name": "reception", "mac": "c0:74:ad:00:16:01", "model": "GRP2616",
         "lines": [line("201", "sip-secret-201"),
                   line("202", "sip-secret-202", sip_server_secondary="pbx3.example.net", sip_port=5080)],
         "settings": {"function_keys": [
             {"type": "line", "line": 1},
             {"type": "line", "line": 2, "label": "Second"},
             {"type": "none"},
             {"type": "blf", "value": "210", "label": "Boss", "index": 7},
             {"type": "speed_dial", "value": "+49301234", "label": "Office", "line": 2},
             {"type": "park", "value": "700", "label": "Park"},
             {"type": "transfer", "label": "Transfer"},
             {"type": "dtmf", "value": "*21#", "label": "Door"},
             # VPK 12 and 13 are left out: VPK 14 follows them, so they are written as None.
             {"type": "blf", "value": "211", "index": 14},
             # GRP2616: 24 VPKs, then MPK 1.
             {"type": "blf", "value": "212", "label": "Sales", "index": 25}]}},
        {"name": "boss", "mac": "00:0b:82:21:70:01", "model": "GXP2170",
         "lines": [line("210", "sip-secret-210")],
         "settings": {"function_keys": [
             {"type": "line"},
             {"type": "blf", "value": "201", "label": "Reception"},
             {"type": "speed_dial", "value": "0800123", "label": "Hotline", "index": 12},
             {"type": "blf", "value": "202", "label": "Second", "index": 13}]}},
        {"name": "old", "mac": "00:0b:82:20:10:01", "model": "GXP2010",
         "lines": [line("220", "sip-secret-220")],
         "settings": {"provisioning_url": "http://prov.example.net/gs",
                      "function_keys": [{"type": "blf", "value": "201", "label": "Reception"},
                                        {"type": "speed_dial", "value": "0800123", "index": 18}]}},
    ]
    return raws, defaults


def test_golden_function_keys_backup_registrar_and_vlan():
    raws, defaults = flow_keys()
    files = render(raws, defaults)
    found = by_path(files)
    assert sorted(found) == ["cfg000b82201001", "cfg000b82201001.bin", "cfg000b82217001.xml", "cfgc074ad001601.xml"]
    # GRP2616: (mode, account, description, value) per VPK; Default (31) is a line key.
    values = pvalues_of(found["cfgc074ad001601.xml"])
    assert [values[name] for name in ("P1363", "P1364", "P1465", "P1466")] == ["31", "0", "", ""]
    assert [values[name] for name in ("P1365", "P1366", "P1467", "P1468")] == ["31", "1", "Second", ""]
    assert [values[name] for name in ("P1367", "P1368", "P1469", "P1470")] == ["-1", "0", "", ""]
    assert not set(values) & {"P1369", "P1371", "P1373"}  # VPK 4-6 are not listed: the phone keeps them
    assert [values[name] for name in ("P23800", "P23801", "P23802", "P23803")] == ["1", "0", "Boss", "210"]
    assert [values[name] for name in ("P23804", "P23805", "P23806", "P23807")] == ["0", "1", "Office", "+49301234"]
    assert [values[name] for name in ("P23808", "P23811")] == ["9", "700"]
    assert [values[name] for name in ("P23812", "P23814", "P23815")] == ["8", "Transfer", ""]
    assert [values[name] for name in ("P23816", "P23818", "P23819")] == ["5", "Door", "*21#"]
    # VPK 12 and 13 are left out before the listed dynamic VPK 14: written as None.
    assert [values[name] for name in ("P23820", "P23821", "P23822", "P23823")] == ["-1", "0", "", ""]
    assert [values[name] for name in ("P23824", "P23825", "P23826", "P23827")] == ["-1", "0", "", ""]
    assert [values[name] for name in ("P23828", "P23831")] == ["1", "211"]
    assert "P23832" not in values
    assert [values[name] for name in ("P323", "P301", "P302", "P303")] == ["1", "0", "Sales", "212"]
    assert values["P2312"] == "pbx2.example.net:5060" and values["P2412"] == "pbx3.example.net:5080"
    assert values["P51"] == "20" and values["P87"] == "5"
    # GXP2170: its fixed VPKs (1-12) number the modes differently from its dynamic ones.
    values = pvalues_of(found["cfg000b82217001.xml"])
    assert [values[name] for name in ("P1363", "P1364", "P1465", "P1466")] == ["0", "0", "", ""]
    assert [values[name] for name in ("P1365", "P1467", "P1468")] == ["11", "Reception", "201"]
    assert [values[name] for name in ("P23820", "P23822", "P23823")] == ["10", "Hotline", "0800123"]
    assert [values[name] for name in ("P23824", "P23826", "P23827")] == ["1", "Second", "202"]
    assert values["P2312"] == "pbx2.example.net:5060" and values["P51"] == "20"
    # GXP2010 (legacy binary): MPK 1 and MPK 18.
    values = pvalues_of(found["cfg000b82201001"])
    assert [values[name] for name in ("P323", "P301", "P302", "P303")] == ["1", "0", "Reception", "201"]
    assert [values[name] for name in ("P393", "P394", "P395", "P396")] == ["0", "0", "", "0800123"]
    assert values["P51"] == "20" and values["P87"] == "5"
    assert "P2312" not in values  # no secondary SIP server in the legacy template
    check_golden("keys", files)


def test_golden_directories_have_no_strays():
    assert sorted(os.listdir(GOLDEN)) == ["encrypted", "keys", "model_common", "plain", "prefix_postfix"]


# --- the mapping table against the templates --------------------------------

MAPPED = ("P30", "P64", "P246", "P143", "P2", "P237", "P212", "P193", "P194", "P192", "P232", "P233", "P238", "P207", "P208",
          "P234", "P235", "P1359", "P51", "P87")


@pytest.mark.parametrize("model", ["GRP2616", "GXP2170", "GXP2020"])
def test_every_mapped_p_value_is_in_the_template(model):
    family = family_for_model(model)
    # The legacy template has no secondary SIP server (reported as not carried).
    names = list(MAPPED) + [name for account in gs.ACCOUNTS for field, name in account.items()
                            if field != "backup" or family != "gxp_legacy"]
    if family != "gxp_legacy":
        names += ["P6767", "P1362"]
    else:
        names += ["P75"]
    missing = [name for name in names if param_spec(family, name) is None]
    assert not missing


def test_every_catalog_model_has_a_line_count():
    assert sorted(gs.MODEL_LINES) == sorted(known_models())
    assert sorted(RENDERER.known_models()) == sorted(known_models())
    assert max(gs.MODEL_LINES.values()) == len(gs.ACCOUNTS) == gs.MAX_LINES
    assert RENDERER.model_info("GRP2614") == {"family": "grp261x", "lines": 4, "format": "xml"}
    assert RENDERER.model_info("GXP2000")["format"] == "legacy_binary"
    assert RENDERER.model_info("GXV3275") is None


def test_every_generic_setting_has_a_row():
    # The generic settings and Grandstream's own; another family's own
    # settings are that family's business (its page documents them).
    from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import GENERIC_SETTINGS
    rows = set(row.setting for row in gs.SETTINGS_MAP)
    assert set(GENERIC_SETTINGS) | set(RENDERER.description.settings) <= rows
    assert all(row.confirmed_by for row in gs.SETTINGS_MAP)


def test_six_accounts_of_a_grp2616():
    raws = [{"name": "six", "mac": "c0:74:ad:00:00:06", "model": "GRP2616",
             "lines": [line("60%d" % n, "secret-%d" % n) for n in range(1, 7)], "settings": {"encrypt_profiles": False}}]
    values = pvalues_of(render(raws)[0])
    for number, account in enumerate(gs.ACCOUNTS, start=1):
        assert values[account["active"]] == "1"
        assert values[account["user"]] == "60%d" % number
        assert values[account["password"]] == "secret-%d" % number


# --- behaviour ---------------------------------------------------------------

def test_resync_spread_is_stable_in_range_and_uniform():
    low, high = 60, 1439
    macs = ["c074ad%06x" % number for number in range(20000)]
    values = [gs_settings.resync_minutes(mac, low, high) for mac in macs]
    assert values == [gs_settings.resync_minutes(mac, low, high) for mac in macs]
    assert min(values) >= low and max(values) <= high
    buckets = [0] * 10
    for value in values:
        buckets[(value - low) * 10 // (high - low + 1)] += 1
    expected = len(values) / 10.0
    chi_square = sum((count - expected) ** 2 / expected for count in buckets)
    assert chi_square < 30, buckets  # 9 degrees of freedom: p < 0.0005 for a uniform spread
    assert gs_settings.resync_minutes("c074ad000001", 300, 300) == 300


def test_resync_spread_in_the_profile_overrides_the_interval():
    raw = {"name": "r", "mac": "c0:74:ad:00:00:01", "model": "GRP2612", "lines": [line("1", "pw")],
           "settings": {"encrypt_profiles": False, "resync_spread": [60, 1440]}}
    values = pvalues_of(render([raw])[0])
    assert values["P193"] == str(gs_settings.resync_minutes("c074ad000001", 60, 1440)) and values["P194"] == "1"


def test_timezone_of_the_legacy_family():
    raw = {"name": "old", "mac": "00:0b:82:27:26:c8", "model": "GXP2000", "lines": [line("1", "pw")],
           "settings": {"encrypt_profiles": False, "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
                        "provisioning_url": "tftp://192.0.2.10/gs"}}
    values = pvalues_of(render([raw])[0])
    assert (values["P64"], values["P75"], values["P246"], values["P143"]) == ("780", "1", "3,-1,7,2,0;10,-1,7,3,0;60", "0")
    raw["settings"]["timezone"] = "UTC0"
    values = pvalues_of(render([raw])[0])
    assert (values["P64"], values["P75"]) == ("720", "0") and "P246" not in values
    assert "P1362" not in values  # no display language list on the legacy family


def test_raw_params_win_over_mapped_settings():
    raw = {"name": "p", "mac": "c0:74:ad:00:00:01", "model": "GRP2612", "lines": [line("1", "pw")],
           "settings": {"encrypt_profiles": False}, "params": {"P193": "600", "P30": "other.example.net"}}
    values = pvalues_of(render([raw])[0])
    assert values["P193"] == "600" and values["P30"] == "other.example.net"


def test_unknown_model_with_vendor_gets_syntax_check_only():
    raw = {"name": "ht", "mac": "c0:74:ad:27:3a:10", "model": "HT802", "vendor": "grandstream",
           "lines": [line("1", "pw")], "params": {"P193": "not a number", "P99999": "7"}, "keys": {"p1359": KEY_A}}
    files = render([raw])
    assert [item.path for item in files] == ["cfgc074ad273a10", "cfgc074ad273a10.bin", "cfgc074ad273a10.xml"]
    values = dict(read_xml(files[-1].plaintext)[1])
    assert values["P193"] == "not a number" and "P401" not in values
    raw["params"] = {"P193x": "1"}
    with pytest.raises(ProvisioningError, match=r"^device ht, field params\.P193x: 'P193x' is not a Grandstream parameter"):
        render([raw])


def test_rendering_is_deterministic():
    raws, defaults = flow_encrypted()
    one = [(item.path, item.content) for item in render(raws, defaults)]
    assert one == [(item.path, item.content) for item in render(raws, defaults)]


def test_legacy_space_encoding(monkeypatch):
    pairs = [("P3", "Ann + Bob"), ("P237", "prov.example.net:8080/gs")]
    body = gs.render_legacy_binary("000b82123456", pairs)[16:]
    assert body.startswith(b"P3=Ann%20%2B%20Bob&P237=prov.example.net%3A8080/gs&gnkey=0b82")
    assert decode_legacy(gs.render_legacy_binary("000b82123456", pairs))[1] == pairs
    monkeypatch.setattr(gs_formats, "LEGACY_SPACE", "+")
    data = gs.render_legacy_binary("000b82123456", pairs)
    assert data[16:].startswith(b"P3=Ann+%2B+Bob&")
    assert decode_legacy(data, space="+")[1] == pairs


def test_legacy_binary_layout():
    data = gs.render_legacy_binary("000b82123456", [("P2", "admin")])
    # "P2=admin&gnkey=0b82" is 19 bytes: one NUL makes 20, 10 words + 8 header words.
    assert data[:4] == b"\x00\x00\x00\x12"
    assert data[6:12] == bytes.fromhex("000b82123456")
    assert data[16:] == b"P2=admin&gnkey=0b82\x00"
    assert decode_legacy(data) == ("000b82123456", [("P2", "admin")])


def test_postfix_position_constant(monkeypatch):
    assert gs.served_name("cfg000b82000001", "", "gs_", "_cfg001") == "gs_cfg000b82000001_cfg001"
    assert gs.served_name("cfg000b82000001", ".xml", "gs_", "_cfg001") == "gs_cfg000b82000001.xml_cfg001"
    monkeypatch.setattr(gs, "POSTFIX_AFTER_EXTENSION", False)
    assert gs.served_name("cfg000b82000001", ".xml", "gs_", "_cfg001") == "gs_cfg000b82000001_cfg001.xml"


def test_key_specs():
    dummy, device = make({"mac": "c0:74:ad:00:00:01", "model": "GRP2612"})
    assert RENDERER.key_specs(device) == {"p1359": 32}
    dummy, device = make({"mac": "c0:74:ad:00:00:01", "model": "GRP2612", "settings": {"encrypt_profiles": False}})
    assert RENDERER.key_specs(device) == {}
    dummy, device = make({"mac": "00:0b:82:00:00:01", "model": "GXP2000", "settings": {"encrypt_profiles": False}})
    assert RENDERER.key_specs(device) == {}


def test_shared_files_follow_the_prefix():
    defaults = dict(DEFAULTS, encrypt_profiles=False, common_profile=True, model_profiles=True, config_prefix="p-")
    raws = [{"name": "a", "mac": "c0:74:ad:00:00:0a", "model": "GRP2612", "lines": [line("1", "pw")]}]
    paths = [item.path for item in render(raws, defaults)]
    assert paths == ["cfgc074ad00000a", "cfgc074ad00000a.bin", "p-cfgc074ad00000a.xml", "p-cfggrp2612.xml", "p-cfg.xml"]
    for path in paths:
        assert check_relative_path(path) == path


@pytest.mark.parametrize("model, mac, profile", [
    ("GRP2612", "c0:74:ad:00:00:01", "gs_cfgc074ad000001.xml_cfg001"),
    ("GXP2000", "00:0b:82:00:00:01", "gs_cfg000b82000001_cfg001"),
])
def test_prefix_without_encryption_gets_a_plain_bootstrap(model, mac, profile):
    """A phone without P234/P235 asks only for the names without them: the bootstrap there gives it prefix and postfix."""
    defaults = dict(DEFAULTS, encrypt_profiles=False, config_prefix="gs_", config_postfix="_cfg001",
                    provisioning_url="http://prov.example.net/gs")
    raw = {"name": "p", "mac": mac, "model": model, "lines": [line("1", "sip-pw")]}
    files = by_path(render([raw], defaults))
    plain = "cfg" + mac.replace(":", "")
    assert sorted(files) == sorted([plain, plain + ".bin", profile] + ([profile.replace("_cfg001", ".bin_cfg001")]
                                                                       if model == "GXP2000" else []))
    for name in (plain, plain + ".bin"):
        item = files[name]
        assert (item.role, item.secret) == ("bootstrap", False)
        values = dict(decode_legacy(item.content)[1])
        assert values["P234"] == "gs_" and values["P235"] == "_cfg001"
        assert values["P237"] == "prov.example.net/gs" and values["P212"] == "1"
        assert not set(values) & gs.SECRET_PARAMS
    assert (files[profile].role, files[profile].secret) == ("profile", True)
    assert pvalues_of(files[profile])["P34"] == "sip-pw"


def test_no_bootstrap_without_prefix_or_encryption():
    raw = {"name": "p", "mac": "c0:74:ad:00:00:01", "model": "GRP2612", "lines": [line("1", "pw")],
           "settings": {"encrypt_profiles": False}}
    assert [item.path for item in render([raw])] == ["cfgc074ad000001.xml"]


def test_bootstrap_is_secret_only_when_it_carries_a_secret():
    defaults = dict(DEFAULTS, encrypt_profiles=False, config_prefix="gs_")
    raw = {"name": "p", "mac": "c0:74:ad:00:00:01", "model": "GRP2612", "lines": [line("1", "pw")],
           "params": {"P1359": "handset-xml-password"}}
    bootstrap = render([raw], defaults)[0]
    assert bootstrap.role == "bootstrap" and bootstrap.secret is True
    assert dict(decode_legacy(bootstrap.content)[1])["P1359"] == "handset-xml-password"


@pytest.mark.parametrize("model, mac, extra", [
    ("GXP2170", "c0:74:ad:00:00:01", {}),
    ("GRP2614", "c0:74:ad:00:00:02", {}),
    ("GXP2000", "00:0b:82:00:00:01", {"provisioning_url": "http://prov.example.net/gs"}),
])
def test_timezone_turns_off_the_dhcp_option_2_override(model, mac, extra):
    # P143 "Allow DHCP Option 2 to override Time Zone setting" is 1 by default
    # on GRP261x/GXP21xx: a DHCP server would replace the configured zone.
    settings_ = dict(extra, encrypt_profiles=False)
    raw = {"name": "tz", "mac": mac, "model": model, "lines": [line("1", "pw")], "settings": settings_}
    assert pvalues_of(render([raw])[0])["P143"] == "0"
    no_zone = dict(DEFAULTS)
    del no_zone["timezone"]
    assert "P143" not in pvalues_of(render([raw], no_zone)[0])
    raw["params"] = {"P143": "1"}
    assert pvalues_of(render([raw])[0])["P143"] == "1"


def test_timezone_in_shared_files_turns_off_the_dhcp_override_too():
    defaults = dict(DEFAULTS, encrypt_profiles=False, model_profiles=True, common_profile=True)
    raws = [{"name": "a", "mac": "c0:74:ad:00:00:0a", "model": "GRP2614", "lines": [line("1", "pw")]}]
    for item in render(raws, defaults):
        assert pvalues_of(item)["P143"] == "0", item.path


@pytest.mark.parametrize("model, mac, extra", [
    ("GXP2000", "00:0b:82:00:00:01", {"provisioning_url": "http://prov.example.net/gs"}),
    ("HT802", "c0:74:ad:00:00:03", {}),
])
def test_admin_password_characters_are_free_where_no_template_restricts_them(model, mac, extra):
    # The gxp 1.2.5.3 template states no character set for P2; an unknown
    # model has no template at all.
    raw = {"name": "p", "mac": mac, "model": model, "vendor": "grandstream", "lines": [line("1", "pw")],
           "settings": dict(extra, encrypt_profiles=False, admin_password="Adm1n pw!&=")}
    assert pvalues_of(render([raw])[-1])["P2"] == "Adm1n pw!&="


# --- fleet scale: shared files checked once, each device mapped once -------

def fleet(count, defaults):
    inventory = Inventory(defaults, None, {"GXP2170": {"language": "fr"}})
    devices = [build_device({"name": "d%d" % number, "mac": "c074ad%06x" % number,
                             "model": "GRP2614" if number % 2 else "GXP2170",
                             "lines": [line(str(100 + number), "pw-%d" % number)],
                             "keys": {"p1359": KEY_A}}, number, inventory, vendor_for_model)
               for number in range(count)]
    return inventory, devices


def count_calls(monkeypatch, name):
    calls = []
    original = getattr(RENDERER, name)

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    monkeypatch.setattr(RENDERER, name, counting)
    return calls


def test_shared_files_are_checked_once_per_inventory_and_model(monkeypatch):
    defaults = dict(DEFAULTS, model_profiles=True, common_profile=True)
    inventory, devices = fleet(40, defaults)
    calls = count_calls(monkeypatch, "_shared_pvalues")
    for device in devices:
        RENDERER.validate(device, inventory)
    # cfggrp2614.xml, cfggxp2170.xml, and cfg.xml against each of the two families.
    assert len(calls) == 4
    for device in devices:
        RENDERER.validate(device, inventory)
    assert len(calls) == 4
    # Another inventory is checked anew, even with the same content.
    inventory, devices = fleet(4, defaults)
    for device in devices:
        RENDERER.validate(device, inventory)
    assert len(calls) == 8


def test_a_cached_shared_error_names_each_device_and_a_new_inventory_is_rechecked():
    defaults = dict(DEFAULTS, model_profiles=True)
    inventory, devices = fleet(2, defaults)
    for device in devices:
        RENDERER.validate(device, inventory)
    bad = Inventory(defaults, None, {"GXP2170": {"resync_interval": 100000}})
    raws = [{"name": name, "mac": mac, "model": "GXP2170", "lines": [line("1", "pw")], "keys": {"p1359": KEY_A},
             "settings": {"resync_interval": 120}}
            for name, mac in (("first", "c0:74:ad:00:00:01"), ("second", "c0:74:ad:00:00:02"))]
    for index, raw in enumerate(raws):
        device = build_device(raw, index, bad, vendor_for_model)
        with pytest.raises(ProvisioningError) as info:
            RENDERER.validate(device, bad)
        assert str(info.value).startswith("device %s, field sipfleet_models.GXP2170.resync_interval: in the shared file "
                                          "cfggxp2170.xml: P193 must be an integer from 60 to 86400" % raw["name"])


@pytest.mark.parametrize("raw", [
    {"name": "x", "mac": "c0:74:ad:00:00:01", "model": "GXP2170", "lines": [line("1", "pw")], "keys": {"p1359": KEY_A}},
    {"name": "x", "mac": "00:0b:82:00:00:01", "model": "GXP2000", "lines": [line("1", "pw")],
     "settings": {"encrypt_profiles": False, "config_prefix": "gs_", "provisioning_url": "http://prov.example.net/gs"}},
])
def test_render_device_maps_the_device_once(monkeypatch, raw):
    inventory, device = make(raw)
    RENDERER.validate(device, inventory)
    calls = count_calls(monkeypatch, "_device_pvalues")
    files = RENDERER.render_device(device, inventory)
    assert [item.role for item in files][:2] == ["bootstrap", "bootstrap"]
    assert len(calls) == 1


# --- bad input: every error names device and field -------------------------

def error_of(raws, defaults=None, models=None):
    with pytest.raises(ProvisioningError) as info:
        render(raws, defaults, models)
    return str(info.value)


def base(**extra):
    raw = {"name": "bad", "mac": "c0:74:ad:00:00:01", "model": "GRP2612", "lines": [line("1", "pw")],
           "keys": {"p1359": KEY_A}}
    raw.update(extra)
    return raw


@pytest.mark.parametrize("raw, expected", [
    ({"name": "bad", "mac": "c0:74:ad:00:00:01", "model": "GXP9999"},
     "device bad, field model: unknown model 'GXP9999'"),
    (base(params={"p193": "600"}), "device bad, field params.p193: 'p193' is not a Grandstream parameter name"),
    (base(params={"P0193": "600"}), "device bad, field params.P0193: "),
    (base(params={"P123456": "1"}), "device bad, field params.P123456: "),
    (base(params={"P193": "30"}), "device bad, field params.P193: must be an integer from 60 to 86400"),
    (base(params={"P193": "1.5"}), "device bad, field params.P193: must be an integer from 60 to 86400"),
    (base(params={"P271": ""}), "device bad, field params.P271: is mandatory and must not be empty"),
    (base(params={"P130": "3"}), "device bad, field params.P130: must be one of 0, 1, 2"),
    (base(params={"P3": True}), "device bad, field params.P3: must be a string, but YAML read it as a boolean"),
    (base(params={"P3": ["x"]}), "device bad, field params.P3: must be a string, got list"),
    (base(params={"P3": None}), "device bad, field params.P3: must be a string, got null"),
    (base(params={"P3": "a\rb"}), "device bad, field params.P3: contains the control character U+000D"),
    (base(params={"P234": "x"}), "device bad, field params.P234: P234 decides the file names"),
    (base(params={"P1359": "x"}), "device bad, field params.P1359: P1359 is the key"),
    (base(lines=[line("1", None)]), "device bad, field lines[0].password: is required"),
    (base(lines=[line("1", "pw"), line("2", "pw"), line("3", "pw")]), "device bad, field lines[2]: GRP2612 has 2 line(s)"),
    (base(lines=[line("1", "pw", display_name="a\x00b")]), "device bad, field lines[0].display_name: P270 contains the control"),
    (base(lines=[line("1", "pw", sip_server="pbx.example.net:5070")]), "device bad, field lines[0].sip_server: "),
    (base(settings={"resync_interval": 30}), "device bad, field settings.resync_interval: P193 (auto check interval) is at least"),
    (base(settings={"resync_interval": 100000}), "device bad, field settings.resync_interval: P193 must be an integer from 60 to 86400"),
    (base(settings={"resync_spread": [10, 100]}), "device bad, field settings.resync_spread: P193"),
    (base(settings={"language": "german"}), "device bad, field settings.language: 'german' is not a lower-case ISO 639-1"),
    (base(settings={"provisioning_url": "gopher://x/y"}), "device bad, field settings.provisioning_url: 'gopher://x/y' must start with"),
    (base(settings={"provisioning_url": "http://u:p@x/y"}), "device bad, field settings.provisioning_url: "),
    (base(settings={"provisioning_url": "http://x/y?z"}), "device bad, field settings.provisioning_url: "),
    (base(settings={"config_prefix": "a/b"}), "device bad, field settings.config_prefix: 'a/b' cannot be part of a file name"),
    (base(settings={"config_prefix": ".x"}), "device bad, field settings.config_prefix: '.xcfgc074ad000001.xml' is not a safe relative file path"),
    (base(settings={"ntp_server": "ntp example"}), "device bad, field settings.ntp_server: "),
    (base(settings={"outbound_proxy": "sbc:99999"}), "device bad, field settings.outbound_proxy: 'sbc:99999' is not host[:port]"),
    (base(settings={"timezone": "CET-1CEST,M3.5.0/-1,M10.5.0/3", "encrypt_profiles": False}, model="GXP2000"),
     "device bad, field settings.timezone: the legacy daylight-saving rule"),
    (base(keys={"p1359": "XYZ"}), "device bad, field keys.p1359: must be lower-case hex digits"),
    (base(settings={"admin_password": "Adm1n-pw"}),
     "device bad, field settings.admin_password: P2 may contain only a-z, A-Z and 0-9 (template for GRP2612/"),
    (base(model="GXP2170", settings={"admin_password": "Adm1n pw"}),
     "device bad, field settings.admin_password: P2 may contain only a-z, A-Z and 0-9 (template for GXP2130/"),
    (base(params={"P2": "\u00e4dmin"}), "device bad, field params.P2: may contain only a-z, A-Z and 0-9"),
    (base(params={"P196": "user pw"}), "device bad, field params.P196: may contain only a-z, A-Z and 0-9"),
    (base(model="GXP2000", settings={"provisioning_url": "http://x/y"}), "device bad, field settings.encrypt_profiles: GXP2000 reads only the legacy binary"),
    (base(model="GXP2000", lines=[line("1", "pw", transport="tls")], settings={"encrypt_profiles": False, "provisioning_url": "http://x/y"}),
     "device bad, field lines[0].transport: this model has no tls transport"),
    (base(model="GXP2000", settings={"encrypt_profiles": False, "provisioning_url": "https://x/y"}),
     "device bad, field settings.provisioning_url: 'https://x/y' must start with one of tftp://, http://"),
    (base(model="GXP2000", settings={"encrypt_profiles": False, "provisioning_url": "http://x/y", "firmware_url": "tftp://x/f"}),
     "device bad, field settings.firmware_url: sets P212 to 0, but settings.provisioning_url sets it to 1"),
    (base(model="HT802", vendor="grandstream", lines=[line(str(n), "pw") for n in range(7)]),
     "device bad, field lines[6]: HT802 has 6 line(s)"),
])
def test_bad_input_names_device_and_field(raw, expected):
    message = error_of([raw])
    assert message.startswith(expected), message


def test_missing_key_when_encryption_is_on():
    inventory, device = make(base(keys=None))
    RENDERER.validate(device, inventory)
    with pytest.raises(ProvisioningError, match=r"^device bad, field keys\.p1359: missing secret"):
        RENDERER.render_device(device, inventory)


def test_error_in_a_shared_file_names_the_inventory_level():
    defaults = dict(DEFAULTS, model_profiles=True)
    models = {"GRP2612": {"resync_interval": 100000}}
    raw = base(settings={"resync_interval": 120})
    message = error_of([raw], defaults, models)
    assert message.startswith("device bad, field sipfleet_models.GRP2612.resync_interval: in the shared file cfggrp2612.xml: "
                              "P193 must be an integer from 60 to 86400"), message


# --- secrets never appear in an error message -------------------------------

SIP_SECRET = "SipSecret4711"
ADMIN_SECRET = "AdminSecret0815"
URL_SECRET = "UrlSecret42"
SECRETS = (SIP_SECRET, ADMIN_SECRET, KEY_A, URL_SECRET)


def with_secrets(**changes):
    """A device that carries every kind of secret, with ``changes`` (one invalid value) applied."""
    raw = {"name": "sec", "mac": "c0:74:ad:00:00:01", "model": "GRP2614",
           "lines": [line("1", SIP_SECRET), line("2", SIP_SECRET + "b", auth_user="a2")],
           "settings": {"admin_password": ADMIN_SECRET}, "keys": {"p1359": KEY_A}}
    for name, value in changes.items():
        if name == "line0":
            raw["lines"][0].update(value)
        elif name in ("params", "keys", "model", "lines"):
            raw[name] = value
        else:
            raw["settings"][name] = value
    return raw


@pytest.mark.parametrize("raw", [
    # invalid values next to the secrets
    with_secrets(ntp_server="ntp example"),
    with_secrets(line0={"sip_server": "pbx example"}),
    with_secrets(syslog_server="log host"),
    with_secrets(language="german"),
    with_secrets(resync_interval=30),
    with_secrets(timezone="CET-1CEST,M13.5.0,M10.5.0/3"),
    with_secrets(config_prefix="a/b"),
    with_secrets(params={"P193": "soon"}),
    with_secrets(params={"P0193": "1"}),
    with_secrets(lines=[line(str(n), SIP_SECRET) for n in range(5)]),
    with_secrets(line0={"transport": "tls"}, model="GXP2000", encrypt_profiles=False, provisioning_url="http://x/y"),
    # credentials where a host or URL belongs
    with_secrets(provisioning_url="http://admin:%s@prov.example.net/gs?x" % URL_SECRET),
    with_secrets(provisioning_url="gopher://admin:%s@prov.example.net/gs" % URL_SECRET),
    with_secrets(provisioning_url="http://admin:%s@[::1/gs" % URL_SECRET),
    with_secrets(provisioning_url="http://admin:%s@prov.example.net:99999/gs" % URL_SECRET),
    with_secrets(firmware_url="https://admin:%s@fw.example.net/gs?x" % URL_SECRET),
    with_secrets(outbound_proxy="admin:%s@sbc.example.net:5060" % URL_SECRET),
    with_secrets(ntp_server="admin:%s@ntp.example.net" % URL_SECRET),
    with_secrets(syslog_server="admin:%s@log.example.net" % URL_SECRET),
    with_secrets(line0={"sip_server": "admin:%s@pbx.example.net" % URL_SECRET}),
    # the secrets themselves invalid
    with_secrets(admin_password=ADMIN_SECRET + "!"),
    with_secrets(admin_password=ADMIN_SECRET + "\x01"),
    with_secrets(line0={"password": SIP_SECRET + "\r"}),
    with_secrets(keys={"p1359": "Z" + KEY_A}),
    with_secrets(params={"P34": [SIP_SECRET]}),
    with_secrets(params={"P2": {"value": ADMIN_SECRET}}),
    with_secrets(params={"P406": (SIP_SECRET,)}),
    with_secrets(params={"P2": ADMIN_SECRET + " "}),
    with_secrets(params={"P1359": KEY_A}),
    with_secrets(params={"P1361": SIP_SECRET + "\n"}),
])
def test_errors_never_show_a_secret(raw):
    with pytest.raises(ProvisioningError) as info:
        render([raw])
    message = str(info.value)
    assert message.startswith("device sec, field "), message
    leaked = [secret for secret in SECRETS if secret in message or secret in repr(info.value.args)]
    assert not leaked, message


def test_a_conflict_on_a_secret_p_value_does_not_show_the_values():
    ctx = gs._Context("sec", gs._features("grp261x"), {}, None, lambda name: "settings.%s" % name)
    pvalues = gs._PValues(ctx)
    pvalues.put("P34", SIP_SECRET, "lines[0].password")
    with pytest.raises(ProvisioningError) as info:
        pvalues.put("P34", ADMIN_SECRET, "settings.admin_password")
    message = str(info.value)
    assert message == ("device sec, field settings.admin_password: sets P34 to a secret value, "
                       "but lines[0].password sets it to a secret value")
    pvalues.put("P30", "ntp.example.net", "settings.ntp_server")
    with pytest.raises(ProvisioningError, match="sets P30 to 'other', but settings.ntp_server sets it to 'ntp.example.net'"):
        pvalues.put("P30", "other", "params.P30")


def test_missing_key_error_shows_no_secret():
    inventory, device = make(with_secrets(keys=None))
    RENDERER.validate(device, inventory)
    with pytest.raises(ProvisioningError) as info:
        RENDERER.render_device(device, inventory)
    assert not [secret for secret in SECRETS if secret in str(info.value)]


# --- properties: arbitrary text round-trips or is refused -------------------

FIELDS = {
    "display_name": ("lines[0].display_name", ["P3", "P270"]),
    "extension": ("lines[0].extension", ["P35"]),
    "auth_user": ("lines[0].auth_user", ["P36"]),
    "password": ("lines[0].password", ["P34"]),
}


def tags_of(raw):
    """The P-value names a benign version of ``raw`` renders: what any value must leave unchanged."""
    return [name for name, dummy in read_xml(render([raw])[0].content)[1]]


def plain_raw(**line_fields):
    fields = {"extension": "100", "password": "pw"}
    fields.update(line_fields)
    return {"name": "prop", "mac": "c0:74:ad:00:00:01", "model": "GRP2612", "lines": [fields],
            "settings": {"encrypt_profiles": False}, "params": {"P33": "vm"}}


BENIGN_TAGS = tags_of(plain_raw())


def round_trip_or_refused(raw, field, names, expected):
    try:
        files = render([raw])
    except ProvisioningError as exc:
        assert str(exc).startswith("device prop, field %s: " % field), str(exc)
        return
    mac, pairs = read_xml(files[0].content)
    assert mac == "c074ad000001"
    assert [name for name, dummy in pairs] == BENIGN_TAGS
    values = dict(pairs)
    for name in names:
        assert values[name] == expected


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), text=st.text(max_size=40))
def test_line_text_round_trips_or_is_refused(field, text):
    error_field, names = FIELDS[field]
    raw = plain_raw(**{field: text})
    expected = text if text or field in ("extension", "password") else "100"
    if field == "extension" and text:
        names = names + ["P36", "P3", "P270"]  # auth_user and display_name default to the extension
    round_trip_or_refused(raw, error_field, names, expected)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_raw_param_text_round_trips_or_is_refused(text):
    raw = plain_raw()
    raw["params"] = {"P33": text}
    round_trip_or_refused(raw, "params.P33", ["P33"], text)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(min_size=1, max_size=40),
                      st.from_regex(r"[a-z0-9.:\[\]-]{1,30}", fullmatch=True)))
def test_sip_server_round_trips_or_is_refused(text):
    raw = plain_raw(sip_server=text)
    try:
        files = render([raw])
    except ProvisioningError as exc:
        assert str(exc).startswith("device prop, field lines[0].sip_server: "), str(exc)
        return
    pairs = read_xml(files[0].content)[1]
    assert [name for name, dummy in pairs] == BENIGN_TAGS
    server = dict(pairs)["P47"]
    assert server.endswith(":5060")
    assert server[:-5] in (text, "[%s]" % text.strip("[]"))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_legacy_binary_values_round_trip_or_are_refused(text):
    raw = {"name": "prop", "mac": "00:0b:82:00:00:01", "model": "GXP2000", "lines": [line("100", text or "pw")],
           "settings": {"encrypt_profiles": False, "provisioning_url": "http://prov.example.net/gs"}, "params": {"P33": text}}
    try:
        files = render([raw])
    except ProvisioningError as exc:
        assert str(exc).startswith("device prop, field ") and ("params.P33" in str(exc) or "lines[0].password" in str(exc))
        return
    mac, pairs = decode_legacy(files[0].content)
    values = dict(pairs)
    assert mac == "000b82000001"
    assert values["P33"] == text and values["P34"] == (text or "pw")
    assert len(pairs) == len(values)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30))
def test_bootstrap_values_round_trip_or_are_refused(text):
    raw = base(name="prop")
    raw["settings"] = {"provisioning_url": "http://prov.example.net/" + text}
    try:
        files = render([raw])
    except ProvisioningError as exc:
        assert str(exc).startswith("device prop, field settings.provisioning_url: "), str(exc)
        return
    pairs = decode_legacy(files[0].content)[1]
    assert [name for name, dummy in pairs] == ["P237", "P212", "P193", "P194", "P1359"]
    assert pairs[0][1] == ("prov.example.net/" + text).rstrip("/")


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(["admin_password", "password", "P34", "P2"]), text=st.text(max_size=30))
def test_secret_text_is_never_echoed(field, text):
    """Whatever a secret holds, it renders back exactly or is refused without appearing in the message."""
    secret = "Zq9Xw7Vt" + text  # a marker no message can contain by chance
    raw = plain_raw()
    if field == "admin_password":
        raw["settings"]["admin_password"] = secret
        error_field, names = "settings.admin_password", ["P2"]
    elif field == "password":
        raw["lines"][0]["password"] = secret
        error_field, names = "lines[0].password", ["P34"]
    else:
        raw["params"][field] = secret
        error_field, names = "params." + field, [field]
    try:
        files = render([raw])
    except ProvisioningError as exc:
        assert str(exc).startswith("device prop, field %s: " % error_field), str(exc)
        assert secret not in str(exc)
        return
    values = dict(read_xml(files[0].content)[1])
    assert [values[name] for name in names] == [secret] * len(names)
