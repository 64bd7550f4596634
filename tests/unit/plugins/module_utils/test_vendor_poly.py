# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Poly renderer: golden files, the XML format's encoder and strict decoder, a phone's reading order.

Golden files live in ``golden/poly/<flow>/`` under their served names.
Regenerate them with ``SIPFLEET_REGENERATE_GOLDEN=1`` and check the diff by
hand against vendor-facts-more.md section 2 before committing.

The simulated phone reads the files as the Poly guides say (section 2.1):
its own ``<mac>.cfg`` master if there is one, else ``000000000000.cfg``,
whose ``CONFIG_FILES`` it reads left to right with ``[PHONE_MAC_ADDRESS]``
replaced by its MAC, the first file that sets a parameter winning. It parses
each file with Python's XML parser, not with the collection's decoder.
"""

from __future__ import annotations

import copy
import os
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import DhcpFacts, check_description
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly import formats
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly import renderer as poly
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly.models import MODELS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import vendor_for_model

RENDERER = poly.RENDERER
GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "poly")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "language": "de",
    "admin_password": "Adm1n<&>\"pw",
    "syslog_server": "log.example.net",
    "provisioning_url": "https://prov.example.net/poly",
    "resync_interval": 1440,
    "encrypt_profiles": False,
}

DEVICES = [
    {"name": "desk", "mac": "00:04:f2:aa:00:01", "model": "VVX410",
     "lines": [{"extension": "201", "password": "S3cret&<201>"},
               {"extension": "202", "password": "pw-202", "display_name": "Sales \"A\""}],
     "params": {"voIpProt.SIP.specialEvent.checkSync.alwaysReboot": "1"}},
    {"name": "lobby", "mac": "64:16:7f:00:00:02", "model": "SPIP335", "site": "branch",
     "lines": [{"extension": "301", "password": "pw-301"}]},
    {"name": "board", "mac": "48:25:67:00:00:03", "model": "Trio8800",
     "settings": {"language": "en", "admin_password": "Board-Admin"},
     "lines": [{"extension": "401", "password": "pw-401"}]},
]

SITES = {"branch": {"timezone": "EST5EDT,M3.2.0,M11.1.0", "sip_transport": "tls", "sip_port": 5061}}


def load(devices, defaults=None, sites=None, models=None):
    inventory = Inventory(DEFAULTS if defaults is None else defaults, sites, models)
    fleet = [build_device(raw, index, inventory, vendor_for_model) for index, raw in enumerate(devices)]
    for device in fleet:
        RENDERER.validate(device, inventory)
    return inventory, fleet


def render(inventory, fleet):
    files = {}
    for device in fleet:
        for item in RENDERER.render_device(device, inventory):
            assert item.path not in files
            files[item.path] = item
    for item in RENDERER.render_shared(fleet, inventory):
        assert item.path not in files
        files[item.path] = item
    return files


def check_golden(flow, files):
    directory = os.path.join(GOLDEN, flow)
    if REGENERATE:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        for name, item in files.items():
            with open(os.path.join(directory, name), "wb") as handle:
                handle.write(item.content)
    assert sorted(os.listdir(directory)) == sorted(files)
    for name, item in files.items():
        with open(os.path.join(directory, name), "rb") as handle:
            assert handle.read() == item.content, "%s/%s differs from the golden file" % (flow, name)


def xml_attributes(data, element):
    """The attributes of a file's one element, read by Python's XML parser (the format's own reader)."""
    root = ElementTree.fromstring(data)
    assert root.tag == element
    assert len(root) == 0, "the element holds no children"
    return dict(root.attrib)


def phone_reads(files, mac):
    """The files a phone with ``mac`` fetches, in order, and its effective parameters (first file wins)."""
    fetched = []
    own_master = "%s.cfg" % mac
    fetched.append(own_master)
    if own_master in files:
        master_name = own_master
    else:
        master_name = "000000000000.cfg"
        fetched.append(master_name)
    master = xml_attributes(files[master_name].content, "APPLICATION")
    effective = {}
    for name in [part.strip() for part in master["CONFIG_FILES"].split(",")]:
        name = name.replace("[PHONE_MAC_ADDRESS]", mac)
        fetched.append(name)
        for param, value in xml_attributes(files[name].content, "polycomConfig").items():
            effective.setdefault(param, value)
    return fetched, master, effective


# -- golden files ------------------------------------------------------------

def test_flow_plain_golden():
    check_golden("plain", render(*load(DEVICES, sites=SITES)))


def test_flow_credentials_golden():
    # Credentials in the provisioning and firmware URLs: the master and the device file are secret.
    defaults = dict(DEFAULTS, provisioning_url="https://fleet:Pr0v-pw@prov.example.net/poly",
                    firmware_url="https://fw:Fw-pw@fw.example.net/ucs/6.4.6/sip.ld", resync_spread=[120, 240])
    files = render(*load(DEVICES[:1], defaults))
    check_golden("credentials", files)
    assert files["000000000000.cfg"].secret
    assert b"Pr0v-pw" not in files["sipfleet-common.cfg"].content
    assert b"Pr0v-pw" in files["0004f2aa0001-sipfleet.cfg"].content


def test_files_roles_and_secrets():
    files = render(*load(DEVICES, sites=SITES))
    assert sorted(files) == ["000000000000.cfg", "0004f2aa0001-bootstrap.cfg", "0004f2aa0001-sipfleet.cfg",
                             "482567000003-bootstrap.cfg", "482567000003-sipfleet.cfg",
                             "64167f000002-bootstrap.cfg", "64167f000002-sipfleet.cfg", "sipfleet-common.cfg"]
    for name, item in files.items():
        assert item.kind == "xml" and item.encoding == ("plain",) and item.plaintext is None
        if name.endswith("-sipfleet.cfg"):
            assert item.device and item.secret and item.role == "profile"
        elif name.endswith("-bootstrap.cfg"):
            # No HTTP credentials: an empty file the master names all the same.
            assert item.device and not item.secret and item.role == "profile" and not item.after_window
            assert xml_attributes(item.content, "polycomConfig") == {}
        else:
            assert item.device is None and not item.secret and item.role == "common"
    for item in files.values():
        if item.device is None:
            for secret in (b"S3cret", b"pw-301", b"pw-401", b"Adm1n", b"Board-Admin"):
                assert secret not in item.content, item.path


# -- the phone's reading order and first-file-wins ----------------------------

def test_a_phone_reads_master_then_its_own_file_then_the_common_file():
    inventory, fleet = load(DEVICES, sites=SITES)
    files = render(inventory, fleet)
    fetched, master, view = phone_reads(files, "0004f2aa0001")
    assert fetched == ["0004f2aa0001.cfg", "000000000000.cfg", "0004f2aa0001-bootstrap.cfg", "0004f2aa0001-sipfleet.cfg",
                       "sipfleet-common.cfg"]
    assert master["APP_FILE_PATH"] == "sip.ld"
    assert view["reg.1.address"] == "201"
    assert view["reg.1.auth.password"] == "S3cret&<201>"
    assert view["reg.2.displayName"] == 'Sales "A"'
    assert view["reg.2.server.1.transport"] == "UDPOnly"
    assert view["device.set"] == "1"
    assert view["device.auth.localAdminPassword"] == 'Adm1n<&>"pw'
    assert view["device.auth.localAdminPassword.set"] == "1"
    assert view["tcpIpApp.sntp.address"] == "ntp.example.net"
    assert view["tcpIpApp.sntp.gmtOffset"] == "3600"
    assert view["tcpIpApp.sntp.daylightSavings.start.month"] == "3"
    assert view["tcpIpApp.sntp.daylightSavings.start.dayOfWeek.lastInMonth"] == "1"
    assert view["lcl.ml.lang"] == "German_Germany"
    assert view["device.syslog.serverName"] == "log.example.net"
    assert view["device.prov.serverType"] == "HTTPS"
    assert view["device.prov.serverName"] == "prov.example.net/poly"
    assert view["prov.polling.period"] == "86400"
    assert view["voIpProt.SIP.specialEvent.checkSync.alwaysReboot"] == "1"


def test_the_device_s_own_values_win_over_the_common_file():
    inventory, fleet = load(DEVICES, sites=SITES)
    files = render(inventory, fleet)
    common = xml_attributes(files["sipfleet-common.cfg"].content, "polycomConfig")
    dummy, dummy, board = phone_reads(files, "482567000003")
    assert common["lcl.ml.lang"] == "German_Germany"
    assert board["lcl.ml.lang"] == "English_United_States"
    assert board["device.auth.localAdminPassword"] == "Board-Admin"
    dummy, dummy, lobby = phone_reads(files, "64167f000002")
    # The site's time zone: EST, second Sunday of March (date 8), first Sunday of November.
    assert lobby["tcpIpApp.sntp.gmtOffset"] == "-18000"
    assert lobby["tcpIpApp.sntp.daylightSavings.start.date"] == "8"
    assert lobby["tcpIpApp.sntp.daylightSavings.start.dayOfWeek"] == "1"
    assert lobby["tcpIpApp.sntp.daylightSavings.start.dayOfWeek.lastInMonth"] == "0"
    assert lobby["tcpIpApp.sntp.daylightSavings.stop.date"] == "1"
    assert lobby["reg.1.server.1.transport"] == "TLS"
    assert lobby["reg.1.server.1.port"] == "5061"
    assert "reg.2.address" not in lobby


def test_every_device_ends_with_exactly_its_settings():
    """Whatever the split, the effective view equals all of the device's parameters rendered in one file."""
    inventory, fleet = load(DEVICES, sites=SITES)
    files = render(inventory, fleet)
    for device in fleet:
        dummy, dummy, view = phone_reads(files, device.mac)
        wanted = {}
        for param in (RENDERER._line_params(device)
                      + RENDERER.settings_params(device.settings, device.label, lambda name: name, mac=device.mac)
                      + RENDERER._raw_params(device)):
            wanted[param.name] = param.value
        assert view == wanted, device.label


def test_resync_spread_gives_each_device_its_own_period():
    defaults = dict(DEFAULTS, resync_spread=[120, 240])
    inventory, fleet = load(DEVICES, defaults=defaults, sites=SITES)
    files = render(inventory, fleet)
    periods = set()
    for device in fleet:
        dummy, dummy, view = phone_reads(files, device.mac)
        period = int(view["prov.polling.period"])
        assert 120 * 60 <= period <= 240 * 60
        periods.add(period)
    assert len(periods) == 3
    assert "prov.polling.period" not in xml_attributes(files["sipfleet-common.cfg"].content, "polycomConfig")


def test_firmware_url_is_the_master_s_app_file_path():
    defaults = dict(DEFAULTS, firmware_url="http://fw.example.net/ucs/6.4.6/sip.ld")
    files = render(*load(DEVICES[:1], defaults))
    master = xml_attributes(files["000000000000.cfg"].content, "APPLICATION")
    assert master == {"APP_FILE_PATH": "http://fw.example.net/ucs/6.4.6/sip.ld",
                      "CONFIG_FILES": "[PHONE_MAC_ADDRESS]-bootstrap.cfg, [PHONE_MAC_ADDRESS]-sipfleet.cfg, "
                                      "sipfleet-common.cfg",
                      "MISC_FILES": "", "LOG_FILE_DIRECTORY": "", "OVERRIDES_DIRECTORY": "", "CONTACTS_DIRECTORY": ""}


def test_the_switch_of_a_secret_never_goes_alone_into_the_common_file():
    files = render(*load(DEVICES, sites=SITES))
    common = xml_attributes(files["sipfleet-common.cfg"].content, "polycomConfig")
    assert not any(name.startswith("device.auth.") for name in common)


# -- the format ----------------------------------------------------------------

def test_every_rendered_file_decodes_with_the_strict_decoder_and_the_xml_parser_alike():
    files = render(*load(DEVICES, sites=SITES))
    for name, item in files.items():
        element = "APPLICATION" if name == "000000000000.cfg" else "polycomConfig"
        assert formats.parse_xml(item.content, element) == xml_attributes(item.content, element)
        assert list(formats.parse_xml(item.content, element)) == list(xml_attributes(item.content, element))


_NAMES = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,8}(?:\.[A-Za-z0-9_]{1,6}){0,4}\Z")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_NAMES, st.text(max_size=40), max_size=8))
def test_any_params_round_trip_or_are_refused(params):
    pairs = list(params.items())
    if any(formats.value_problem(value) for dummy, value in pairs):
        with pytest.raises(ProfileFormatError):
            formats.parse_xml(formats.render_xml("polycomConfig", pairs), "polycomConfig")
        return
    data = formats.render_xml("polycomConfig", pairs)
    assert formats.parse_xml(data, "polycomConfig") == params
    assert xml_attributes(data, "polycomConfig") == params


def test_escaping_is_the_four_entities():
    data = formats.render_xml("polycomConfig", [("a.b", "<&>\"'")])
    assert b'a.b="&lt;&amp;&gt;&quot;\'"' in data


_GOOD = formats.render_xml("polycomConfig", [("reg.1.address", "201"), ("reg.1.auth.password", "p&w")])


@pytest.mark.parametrize("data, message", [
    ("text", "must be bytes"),
    (b"\xff" + _GOOD, "line 1 is not UTF-8"),
    (_GOOD.replace(b"\n", b"\r\n"), "holds a CR"),
    (_GOOD[:-1], "does not end with LF"),
    (_GOOD.replace(b'standalone="yes"', b'standalone="no"'), "does not start with the declaration"),
    (_GOOD.replace(b"<!-- written", b"<!-- w"), "line 2 is not"),
    (_GOOD.replace(b"<polycomConfig", b"<PHONE"), "line 3 does not open the polycomConfig element"),
    (_GOOD.replace(b"\n/>\n", b"\n></polycomConfig>\n"), "does not end with />"),
    (_GOOD.replace(b'  reg.1.address="201"', b'reg.1.address="201"'), "line 4 is not an indented"),
    (_GOOD.replace(b'  reg.1.address="201"', b"  reg.1.address='201'"), "line 4 is not an indented"),
    (_GOOD.replace(b"reg.1.address=", b"reg..1=", 1), "line 4 does not start with a parameter name"),
    (_GOOD.replace(b"p&amp;w", b"p&w"), "holds an & that is not"),
    (_GOOD.replace(b"p&amp;w", b"p&apos;w"), "holds an & that is not"),
    (_GOOD.replace(b"p&amp;w", b"p>w"), "unescaped < or >"),
    (_GOOD.replace(b"p&amp;w", b"p\tw"), "control or line-break character U+0009"),
    (_GOOD.replace(b"reg.1.auth.password", b"reg.1.address"), "line 5: reg.1.address is set twice"),
])
def test_the_decoder_refuses_what_the_encoder_cannot_write(data, message):
    with pytest.raises(ProfileFormatError, match=re.escape(message)) as caught:
        formats.parse_xml(data, "polycomConfig", device="desk", field="0004f2aa0001-sipfleet.cfg")
    assert "p&w" not in str(caught.value) and "p>w" not in str(caught.value)
    assert caught.value.device == "desk" and caught.value.field == "0004f2aa0001-sipfleet.cfg"


# -- --diff masking -------------------------------------------------------------

def test_mask_text_masks_every_password_and_nothing_else():
    files = render(*load(DEVICES, sites=SITES))
    text = files["0004f2aa0001-sipfleet.cfg"].content.decode("utf-8")
    assert RENDERER.recognizes_text(text)
    masked = RENDERER.mask_text(text)
    assert "S3cret" not in masked and "pw-202" not in masked and "Adm1n" not in masked
    assert 'reg.1.address="201"' in masked
    assert 'device.auth.localAdminPassword.set="1"' in masked
    assert RENDERER.is_secret_param("reg.3.auth.password")
    assert RENDERER.is_secret_param("device.auth.localAdminPassword")
    assert RENDERER.is_secret_param("device.prov.password")
    assert not RENDERER.is_secret_param("device.auth.localAdminPassword.set")
    assert not RENDERER.is_secret_param("reg.1.auth.userId")


# -- the description ---------------------------------------------------------------

def test_device_paths_take_the_device_s_files_and_not_the_fleet_s():
    for path in ("0004f2aa0001-sipfleet.cfg", "poly/0004f2aa0001-sipfleet.cfg", "0004f2aa0001.cfg", "0004F2AA0001-phone.cfg",
                 "0004f2aa0001-web.cfg", "0004f2aa0001-directory.xml", "0004f2aa0001-app.log", "0004f2aa0001-license.cfg"):
        assert DESCRIPTION.device_path_mac(path) == "0004f2aa0001", path
    for path in ("000000000000.cfg", "000000000000-directory.xml", "000000000000-license.cfg", "sipfleet-common.cfg",
                 "sip.ld", "2345-12600-001.sip.ld", "0004f2aa0001-other.cfg"):
        assert DESCRIPTION.device_path_mac(path) is None, path


def test_user_agents_name_no_mac():
    assert DESCRIPTION.macs_in_user_agent is False
    assert DESCRIPTION.parse_user_agent("FileTransport PolycomVVX-VVX_501-UA/6.4.6.0123") == {
        "model": "VVX_501", "mac": None, "firmware": "6.4.6.0123"}
    assert DESCRIPTION.parse_user_agent("FileTransport PolycomSoundStationIP-SSIP_6000-UA/5.0.3.1667 Type/Updater") == {
        "model": "SSIP_6000", "mac": None, "firmware": "5.0.3.1667"}
    assert DESCRIPTION.claimed_mac("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application") is None


def test_option_60_is_the_binary_enterprise_prefix():
    # UCS 5.9 guide: 00 00 36 3d (enterprise 13885), a length, sub-option 1 "Polycom", ...
    sample = bytes.fromhex("0000363d") + bytes([20]) + b"\x01\x07Polycom" + b"\x02\x09VVX-VVX_4"
    assert DESCRIPTION.dhcp.match_type == "hex-prefix"
    assert DESCRIPTION.dhcp.vendor_class == ("0000363d",)
    assert sample.startswith(bytes.fromhex(DESCRIPTION.dhcp.vendor_class[0]))
    assert DESCRIPTION.dhcp.options == (66,)
    assert DESCRIPTION.notify.event == "check-sync"


def test_a_hex_prefix_match_holds_hex_bytes_only():
    assert check_description(DESCRIPTION) == []
    for bad in ("0000363D", "00003", "Polycom"):
        broken = copy.copy(DESCRIPTION)
        broken.dhcp = DhcpFacts(vendor_class=(bad,), match_type="hex-prefix", options=(66,), source="documented")
        assert check_description(broken) == ["dhcp.vendor_class of a hex-prefix match must be lower-case hex bytes"], bad


# -- models ---------------------------------------------------------------------

def test_models_table():
    assert len(MODELS) >= 15
    assert set(info["series"] for info in MODELS.values()) == {"SoundPoint IP", "VVX", "Trio"}
    assert MODELS["VVX410"]["lines"] == 12 and MODELS["SPIP335"]["lines"] == 2 and MODELS["TRIO8800"]["lines"] == 1
    for model, info in MODELS.items():
        assert model == model.upper() and vendor_for_model(model) == "poly"
        assert info["user_agent"].replace("_", "").upper() == model
        assert DESCRIPTION.parse_user_agent("FileTransport PolycomVVX-%s-UA/6.4.6.0123" % info["user_agent"])["model"] == info["user_agent"]
    inventory, fleet = load(DEVICES, sites=SITES)
    assert not any(RENDERER.can_encrypt(device) for device in fleet)
    assert RENDERER.key_specs(fleet[0]) == {}


def test_every_model_renders_its_full_line_count():
    for model, info in sorted(MODELS.items()):
        lines = [{"extension": str(100 + index), "password": "pw%d" % index} for index in range(info["lines"])]
        files = render(*load([{"name": "x", "mac": "00:04:f2:00:00:09", "model": model, "lines": lines}]))
        dummy, dummy, view = phone_reads(files, "0004f2000009")
        assert view["reg.%d.address" % info["lines"]] == str(99 + info["lines"])


# -- bad input ---------------------------------------------------------------------

def one(**fields):
    raw = {"name": "desk", "mac": "00:04:f2:aa:00:01", "model": "VVX410", "lines": [{"extension": "201", "password": "Hush-1"}]}
    raw.update(fields)
    return raw


@pytest.mark.parametrize("device, defaults, pattern", [
    (one(settings={"encrypt_profiles": True}), {}, r"^device desk, field settings\.encrypt_profiles: is on .*not public"),
    (one(model="SPIP335", lines=[{"extension": str(n), "password": "Hush-1"} for n in range(3)]), {},
     r"^device desk, field lines\[2\]: the SPIP335 has 2 line"),
    (one(settings={"language": "Swedish"}), {}, r"^device desk, field settings\.language: 'Swedish' is not a lower-case ISO"),
    (one(settings={"ntp_server": "ntp example"}), {}, r"^device desk, field settings\.ntp_server: "),
    (one(settings={"syslog_server": "a b"}), {}, r"^device desk, field settings\.syslog_server: "),
    (one(settings={"outbound_proxy": "sbc:99999"}), {}, r"^device desk, field settings\.outbound_proxy: 'sbc:99999' has a port"),
    (one(settings={"provisioning_url": "ftp://prov.example.net"}), {}, r"^device desk, field settings\.provisioning_url: "),
    (one(), {"provisioning_url": None}, r"^device desk, field settings\.provisioning_url: is required"),
    (one(settings={"resync_interval": 30}), {}, r"^device desk, field settings\.resync_interval: must be from 60"),
    (one(settings={"timezone": "IST-5:30"}), {}, None),
    (one(settings={"timezone": "CET-1CEST,M3.5.0/2:30,M10.5.0/3"}), {}, r"^device desk, field settings\.timezone: .*whole hour"),
    (one(settings={"firmware_url": "http://fw.example.net/sip.ld"}), {},
     r"^device desk, field settings\.firmware_url: differs from sipfleet_defaults\.firmware_url"),
    (one(), {"firmware_url": "http://fw.example.net/" + "x" * 260}, r"^device desk, field settings\.firmware_url: is 282 characters"),
    (one(params={"reg 1": "x"}), {}, r"^device desk, field params\.reg 1: 'reg 1' is not a Poly parameter name"),
    (one(params={"device.prov.serverName": "x"}), {}, r"^device desk, field params\.device\.prov\.serverName: .*provisioning_url"),
    (one(params={"device.sec.configEncryption.key": "x"}), {}, r"^device desk, field params\.device\.sec\.configEncryption\.key: "),
    (one(params={"reg.1.label": 1.5}), {}, r"^device desk, field params\.reg\.1\.label: must be a string"),
    (one(params={"reg.1.auth.password": "Hush-\x01"}), {}, r"^device desk, field params\.reg\.1\.auth\.password: contains the control"),
    (one(lines=[{"extension": "201", "password": "Hush-\n1"}]), {}, r"^device desk, field lines\[0\]\.password: contains the control"),
    (one(lines=[{"extension": "201", "password": "Hush", "sip_server": "pbx;evil"}]), {}, r"^device desk, field lines\[0\]\.sip_server: "),
])
def test_bad_input_names_device_and_field(device, defaults, pattern):
    merged = dict(DEFAULTS, **defaults)
    merged = dict((name, value) for name, value in merged.items() if value is not None)
    if pattern is None:
        # A half-hour offset is fine: gmtOffset is in seconds.
        inventory, fleet = load([device], merged)
        dummy, dummy, view = phone_reads(render(inventory, fleet), "0004f2aa0001")
        assert view["tcpIpApp.sntp.gmtOffset"] == "19800"
        return
    with pytest.raises(ProvisioningError, match=pattern) as caught:
        load([device], merged)
    assert "Hush" not in str(caught.value)


# -- function keys, backup registrar, voice VLAN (issue 16) ---------------------------------

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors  # noqa: E402
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet  # noqa: E402

KEYS_DEFAULTS = dict(DEFAULTS, sip_server_secondary="pbx2.example.net", vlan_id=20, vlan_priority=6)

KEYS_DEVICES = [
    {"name": "desk", "mac": "00:04:f2:aa:00:11", "model": "VVX410",
     "lines": [{"extension": "201", "password": "pw-201"},
               {"extension": "202", "password": "pw-202", "sip_server_secondary": "pbx3.example.net",
                "transport": "tcp", "sip_port": 5070}],
     "settings": {"function_keys": [
         {"type": "line", "line": 1}, {"type": "line", "line": 1}, {"type": "line", "line": 2},
         {"type": "blf", "value": "205", "label": "Reception"},
         {"type": "park", "value": "700", "label": "Park 1"},
         {"type": "none", "index": 7}]}},
    # Keys from the model level, no line keys listed: the one line keeps its one line key.
    {"name": "exec", "mac": "64:16:7f:00:00:12", "model": "SPIP650",
     "lines": [{"extension": "301", "password": "pw-301"}]},
]

KEYS_MODELS = {"SPIP650": {"function_keys": [{"type": "blf", "value": "201@pbx.example.net", "label": "Boss", "index": 2}]}}


def keys_files():
    return render(*load(KEYS_DEVICES, KEYS_DEFAULTS, models=KEYS_MODELS))


def test_flow_keys_golden():
    check_golden("keys", keys_files())


def test_line_keys_and_attendant_resources_are_the_documented_parameters():
    files = keys_files()
    own = formats.parse_xml(files["0004f2aa0011-sipfleet.cfg"].content, formats.CONFIG_ELEMENT)
    assert {name: value for name, value in own.items() if "lineKeys" in name or name.startswith("attendant.")} == {
        "reg.1.lineKeys": "2", "reg.2.lineKeys": "1",
        # Key 4 is the first after the three line keys: resource 1.
        "attendant.resourceList.1.address": "205", "attendant.resourceList.1.label": "Reception",
        "attendant.resourceList.1.type": "normal",
        "attendant.resourceList.2.address": "700", "attendant.resourceList.2.label": "Park 1",
        "attendant.resourceList.2.type": "automata",
        "attendant.resourceList.4.address": "", "attendant.resourceList.4.label": ""}
    exec_own = formats.parse_xml(files["64167f000012-sipfleet.cfg"].content, formats.CONFIG_ELEMENT)
    assert {name: value for name, value in exec_own.items() if "lineKeys" in name or name.startswith("attendant.")} == {
        "attendant.resourceList.1.address": "201@pbx.example.net", "attendant.resourceList.1.label": "Boss",
        "attendant.resourceList.1.type": "normal"}
    common = xml_attributes(files["sipfleet-common.cfg"].content, "polycomConfig")
    assert not [name for name in common if name.startswith("attendant.") or "lineKeys" in name]


def test_backup_registrar_and_vlan_reach_the_phone():
    files = keys_files()
    dummy, dummy, view = phone_reads(files, "0004f2aa0011")
    assert [(name, view[name]) for name in sorted(view) if ".server.2." in name] == [
        ("reg.1.server.2.address", "pbx2.example.net"), ("reg.1.server.2.port", "5060"),
        ("reg.1.server.2.transport", "UDPOnly"),
        ("reg.2.server.2.address", "pbx3.example.net"), ("reg.2.server.2.port", "5070"),
        ("reg.2.server.2.transport", "TCPOnly")]
    # device.* values take effect only with device.set and their own .set (a change restarts the phone).
    assert (view["device.set"], view["device.net.vlanId"], view["device.net.vlanId.set"]) == ("1", "20", "1")
    assert (view["qos.ethernet.rtp.user_priority"], view["qos.ethernet.callControl.user_priority"]) == ("6", "6")
    common = xml_attributes(files["sipfleet-common.cfg"].content, "polycomConfig")
    assert common["device.net.vlanId"] == "20" and common["device.net.vlanId.set"] == "1"


def test_no_backup_registrar_vlan_or_keys_without_the_settings():
    files = render(*load(DEVICES, sites=SITES))
    for name, item in files.items():
        if name.endswith(".cfg") and name != "000000000000.cfg":
            params = xml_attributes(item.content, "polycomConfig")
            assert not [param for param in params if ".server.2." in param or "vlan" in param.lower()
                        or "user_priority" in param or param.startswith("attendant.") or "lineKeys" in param], name


def poly_device(model="VVX410", lines=1, **settings):
    return {"name": "desk", "mac": "00:04:f2:aa:00:21", "model": model,
            "lines": [{"extension": "2%02d" % number, "password": "pw"} for number in range(1, lines + 1)],
            "settings": settings}


def poly_errors(raw, models=None):
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([raw], dict(DEFAULTS), None, models)
    return [(error.device, error.field, str(error)) for error in errors.value.errors]


@pytest.mark.parametrize("lines, keys, field, words", [
    (2, [{"type": "blf", "value": "205"}, {"type": "line", "line": 1}, {"type": "line", "line": 2}],
     "[1].index", "the 2 line key(s) must take keys 1 to 2"),
    (2, [{"type": "line", "line": 2}, {"type": "line", "line": 1}], "[1].line", "line 2's keys come after line 1's"),
    (2, [{"type": "line", "line": 1}, {"type": "line", "line": 1}], "", "line 2 has no line key"),
    (1, [{"type": "line", "label": "Me"}], "[0].label", "takes no label of its own"),
    (2, [{"type": "blf", "value": "205", "index": 2}], "[0].index", "keys 1 to 2 are the line keys"),
    (1, [{"type": "line"}, {"type": "park"}], "[1].value", "value must name it"),
    (2, [{"type": "line"}, {"type": "line", "line": 2}, {"type": "blf", "value": "205", "line": 2}], "[2].line",
     "not tied to a line"),
])
def test_a_key_layout_poly_cannot_show_names_the_key(lines, keys, field, words):
    errors = poly_errors(poly_device(lines=lines, function_keys=keys))
    assert [(device, error_field) for device, error_field, dummy in errors] == [("desk", "settings.function_keys" + field)]
    assert words in errors[0][2]


def test_an_index_beyond_the_model_s_keys_names_device_field_and_model():
    errors = poly_errors(poly_device("VVX101", function_keys=[{"type": "blf", "value": "205", "index": 3}]))
    assert [(device, field) for device, field, dummy in errors] == [("desk", "settings.function_keys[0].index")]
    assert "model VVX101 has 2 function keys; index 3 is beyond them" in errors[0][2]


def test_a_type_poly_does_not_carry_or_a_model_without_keys_is_an_error():
    errors = poly_errors(poly_device(function_keys=[{"type": "line"}, {"type": "speed_dial", "value": "123"}]))
    assert [(device, field) for device, field, dummy in errors] == [("desk", "settings.function_keys[1].type")]
    assert "model VVX410 cannot carry a speed_dial key; it carries blf, line, none, park" in errors[0][2]
    errors = poly_errors(poly_device("TRIO8800"), models={"TRIO8800": {"function_keys": [{"type": "line"}]}})
    assert [(device, field) for device, field, dummy in errors] == [("desk", "sipfleet_models.TRIO8800.function_keys[0].type")]
    assert "it carries none" in errors[0][2]


def test_a_label_is_escaped_and_reads_back_whole():
    # check_function_keys refuses control characters first; an XML attribute holds every printable one.
    raw = poly_device(lines=1, function_keys=[{"type": "blf", "value": "205", "label": "<Boss & \"Co\">", "index": 2}])
    inventory, fleet = load_fleet([raw], dict(DEFAULTS))
    files = render(inventory, fleet)
    assert xml_attributes(files["0004f2aa0021-sipfleet.cfg"].content, "polycomConfig")[
        "attendant.resourceList.1.label"] == "<Boss & \"Co\">"


def test_a_bad_backup_registrar_names_its_field():
    raw = poly_device()
    raw["lines"][0]["sip_server_secondary"] = "pbx;evil"
    assert [(device, field) for device, field, dummy in poly_errors(raw)] == [("desk", "lines[0].sip_server_secondary")]


@pytest.mark.parametrize("backup, address, port", [
    ("pbx-b.example.net:5070", "pbx-b.example.net", "5070"),
    ("pbx-b.example.net", "pbx-b.example.net", "5080"),
    ("192.0.2.7:5090", "192.0.2.7", "5090"),
    # The host as written, brackets kept, as the outbound proxy's host is written.
    ("[2001:db8::5]:5070", "[2001:db8::5]", "5070"),
    ("[2001:db8::5]", "[2001:db8::5]", "5080"),
])
def test_a_backup_registrar_takes_its_own_port_or_the_line_s(backup, address, port):
    raw = poly_device(sip_server_secondary=backup)
    raw["lines"][0]["sip_port"] = 5080
    files = render(*load([raw]))
    own = formats.parse_xml(files["0004f2aa0021-sipfleet.cfg"].content, formats.CONFIG_ELEMENT)
    assert [(name, own[name]) for name in sorted(own) if ".server.2." in name] == [
        ("reg.1.server.2.address", address), ("reg.1.server.2.port", port), ("reg.1.server.2.transport", "UDPOnly")]


@pytest.mark.parametrize("value, words", [("pbx2:99999", "has a port out of range 1 to 65535"),
                                          ("pbx2:sip", "is not host[:port]")])
def test_a_backup_registrar_s_bad_port_names_its_field(value, words):
    errors = poly_errors(poly_device(sip_server_secondary=value))
    assert [(device, field) for device, field, dummy in errors] == [("desk", "settings.sip_server_secondary")]
    assert words in errors[0][2]


def test_the_settings_poly_files_ignore_are_reported():
    inventory, fleet = load_fleet([poly_device(firmware_version="7.1.0", encryption_digest="md5", vlan_id=30,
                                               sip_server_secondary="pbx2", function_keys=[{"type": "line"}])],
                                  dict(DEFAULTS))
    reasons = RENDERER.settings_not_carried(fleet[0])
    assert inventory.warnings() == [
        "1 poly device(s) do not get settings.encryption_digest: %s (desk)" % reasons["encryption_digest"],
        "1 poly device(s) do not get settings.firmware_version: %s (desk)" % reasons["firmware_version"]]
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([poly_device(encryption_digest="md5")], dict(DEFAULTS), strict=True)
    assert [(error.device, error.field) for error in errors.value.errors] == [("desk", "settings.encryption_digest")]


SV_REASON = "no Poly lcl.ml.lang value for sv; known: de, en, es, fr, it, nl (set lcl.ml.lang in params for another)"


def test_a_language_poly_lacks_is_reported_and_written_in_no_file():
    raws = [poly_device(), dict(poly_device(), name="lobby", mac="00:04:f2:aa:00:22"),
            dict(poly_device(language="fr"), name="hall", mac="00:04:f2:aa:00:23")]
    inventory, fleet = load_fleet(raws, dict(DEFAULTS, language="sv"))
    assert inventory.warnings() == ["2 poly device(s) do not get settings.language: %s (desk, lobby)" % SV_REASON]
    files = render(inventory, fleet)
    assert "sipfleet-common.cfg" in files
    assert [name for name, item in files.items() if b"lcl.ml.lang" in item.content] == ["0004f2aa0023-sipfleet.cfg"]
    assert phone_reads(files, "0004f2aa0023")[2]["lcl.ml.lang"] == "French_France"
    assert "lcl.ml.lang" not in phone_reads(files, "0004f2aa0021")[2]


def test_under_strict_a_language_poly_lacks_is_an_error():
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([poly_device(language="sv")], dict(DEFAULTS), strict=True)
    assert [(error.device, error.field, error.message) for error in errors.value.errors] == [
        ("desk", "settings.language", "poly devices do not get this setting: %s (sipfleet_strict is true; unset it for "
                                      "this device or model)" % SV_REASON)]
