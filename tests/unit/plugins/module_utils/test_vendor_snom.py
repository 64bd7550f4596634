# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Snom renderer: golden files, the XML formats' encoders and strict decoders, a phone's reading order.

Golden files live in ``golden/snom/<flow>/`` under their served names.
Regenerate them with ``SIPFLEET_REGENERATE_GOLDEN=1`` and check the diff by
hand against vendor-facts-more.md section 3 before committing.

The simulated phone reads the files as Snom's Auto Provisioning page says
(section 3.1): with a setting server that names no file, ``<phoneType>.htm``
then ``<phoneType>-<MAC>.htm`` (upper-case MAC), each a ``<setting-files>``
container whose files it reads in order; then the firmware file
``firmware_status`` names. It parses every file with Python's XML parser,
not with the collection's decoders. Which of two files wins for one setting
is not documented: the phone here fails when a setting is set twice.
"""

from __future__ import annotations

import copy
import os
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import is_key_carrier, select_window_files
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    MAC_PATTERN,
    check_description,
    tftp_path_ere,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS, vendor_for_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom import formats
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom import renderer as snom
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom.models import MODELS

RENDERER = snom.RENDERER
GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "snom")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"
BASE = "https://prov.example.net/snom/"

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "language": "de",
    "admin_password": "Adm1n<&>\"pw",
    "provisioning_url": "https://prov.example.net/snom",
    "resync_interval": 1440,
    "encrypt_profiles": False,
}

MODEL_SETTINGS = {"D785": {"firmware_url": "https://downloads.snom.com/fw/10.1.215.13/bin/snomD785-10.1.215.13-SIP-r.bin"}}

DEVICES = [
    {"name": "desk", "mac": "00:04:13:a1:1f:a7", "model": "D785",
     "lines": [{"extension": "201", "password": "S3cret&<201>", "display_name": "Reception"},
               {"extension": "202", "password": "pw-202", "transport": "tls", "sip_port": 5061}],
     "params": {"challenge_checksync": "on", "user_dtmf_info[1]": "sip_info_only", "fkey[0]": "blf 203",
                "fkey[1]": "speed 0301234567", "fkey[2]": "dest sip:123@example.com;user=phone"}},
    {"name": "lobby", "mac": "00:04:13:00:00:02", "model": "D120", "settings": {"language": "en"},
     "lines": [{"extension": "301", "password": "pw-301"}]},
    {"name": "dect", "mac": "00:04:13:b6:06:80", "model": "M900", "settings": {"outbound_proxy": "sbc.example.net:5070"},
     "lines": [{"extension": "401", "password": "pw-401"}]},
]

SECRETS = (b"S3cret", b"pw-202", b"pw-301", b"pw-401", b"Adm1n")


def load(devices, defaults=None, models=None, keys=None):
    inventory = Inventory(DEFAULTS if defaults is None else defaults, None, MODEL_SETTINGS if models is None else models)
    fleet = [build_device(raw, index, inventory, vendor_for_model) for index, raw in enumerate(devices)]
    for device in fleet:
        device.keys.update((keys or {}).get(device.mac, {}))
        RENDERER.validate(device, inventory)
    return inventory, fleet


def render(inventory, fleet, window_closed=False):
    files = {}
    items = []
    for device in fleet:
        items += RENDERER.render_device(device, inventory)
    items += RENDERER.render_shared(fleet, inventory)
    dropped = set(id(item) for item in items if is_key_carrier(item)) if window_closed else ()
    for item in select_window_files(items, dropped):
        assert item.path not in files, item.path
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


# -- the simulated phone: Python's XML parser, Snom's documented order ----------------------

def fetch(files, url):
    """The file at ``url``, which must be under the setting server."""
    assert url.startswith(BASE), url
    return files[url[len(BASE):]]


def container_urls(data):
    root = ElementTree.fromstring(data)
    assert root.tag == "setting-files"
    assert all(child.tag == "file" and set(child.attrib) == {"url"} for child in root)
    return [child.attrib["url"] for child in root]


def read_settings(data):
    """``({(name, idx): value}, {idx: fkey})`` of a settings file, read by Python's XML parser."""
    root = ElementTree.fromstring(data)
    assert root.tag == "settings"
    values = {}
    keys = {}
    for section in root:
        if section.tag == "phone-settings":
            for element in section:
                assert element.attrib.get("perm") == "R", element.tag
                key = (element.tag, int(element.attrib["idx"]) if "idx" in element.attrib else None)
                assert key not in values
                values[key] = element.text or ""
        else:
            assert section.tag == "functionKeys"
            for element in section:
                assert element.tag == "fkey" and re.match(r"^(active|[1-9][0-9]?)\Z", element.attrib["context"])
                keys[int(element.attrib["idx"])] = element.text or ""
    return values, keys


def phone_reads(files, model, mac):
    """The paths a phone fetches, in order, its settings, its function keys and the firmware URL it ends with."""
    fetched = []
    view = {}
    keys = {}
    for container in ("snom%s.htm" % model, "snom%s-%s.htm" % (model, mac.upper())):
        fetched.append(container)
        for url in container_urls(files[container].content):
            item = fetch(files, url)
            fetched.append(item.path)
            values, fkeys = read_settings(item.content)
            for key, value in values.items():
                # Which file wins is not documented: the collection never sets one setting twice.
                assert key not in view, "%s set again by %s" % (key, item.path)
                view[key] = value
            keys.update(fkeys)
    firmware = None
    if ("firmware_status", None) in view:
        item = fetch(files, view[("firmware_status", None)])
        fetched.append(item.path)
        root = ElementTree.fromstring(item.content)
        assert root.tag == "firmware-settings" and [child.tag for child in root] == ["firmware"]
        firmware = root[0].text
    return fetched, view, keys, firmware


# -- golden files ---------------------------------------------------------------------------

def test_flow_plain_golden():
    check_golden("plain", render(*load(DEVICES)))


def credentials_fleet():
    defaults = dict(DEFAULTS, http_credentials=True, provisioning_url="http://prov.example.net/snom",
                    allow_plain_credentials=True)
    keys = {"000413a11fa7": {"http_password": "0123456789abcdef0123456789abcdef"}}
    return load(DEVICES[:1], defaults=defaults, models={}, keys=keys)


def test_flow_credentials_golden():
    check_golden("credentials", render(*credentials_fleet()))


def test_files_roles_and_secrets():
    files = render(*load(DEVICES))
    assert set(files) == {
        "snom-000413000002.xml", "snom-000413A11FA7.xml", "snom-000413B60680.xml",
        # A MAC without letters has one case: one container.
        "snomD120-000413000002.htm", "snomD120.htm", "snomD120.xml",
        "snomD785-000413A11FA7.htm", "snomD785-000413a11fa7.htm", "snomD785-firmware.xml", "snomD785.htm", "snomD785.xml",
        "snomM900-000413B60680.htm", "snomM900-000413b60680.htm", "snomM900.htm", "snomM900.xml"}
    for name, item in files.items():
        assert item.encoding == ("plain",) and item.plaintext is None
        assert item.kind == ("htm" if name.endswith(".htm") else "xml")
        if re.match(r"^snom-[0-9A-F]{12}\.xml$", name):
            assert item.device and item.secret and item.role == "profile"
        elif "-0004" in name:
            assert item.device and not item.secret and item.role == "bootstrap"
        else:
            assert item.device is None and not item.secret and item.role == "model"
            for secret in SECRETS:
                assert secret not in item.content, item.path
    # Both cases of the container the phone derives itself carry the same bytes.
    assert files["snomD785-000413A11FA7.htm"].content == files["snomD785-000413a11fa7.htm"].content


# -- the phone's reading order ----------------------------------------------------------------

def test_a_phone_reads_model_then_device_container_then_firmware():
    files = render(*load(DEVICES))
    fetched, view, keys, firmware = phone_reads(files, "D785", "000413a11fa7")
    assert fetched == ["snomD785.htm", "snomD785.xml", "snomD785-000413A11FA7.htm", "snom-000413A11FA7.xml",
                       "snomD785-firmware.xml"]
    assert firmware == "https://downloads.snom.com/fw/10.1.215.13/bin/snomD785-10.1.215.13-SIP-r.bin"
    assert view[("firmware_status", None)] == BASE + "snomD785-firmware.xml"
    assert view[("user_active", 1)] == "on"
    assert view[("user_name", 1)] == "201"
    assert view[("user_pname", 1)] == "201"
    assert view[("user_pass", 1)] == "S3cret&<201>"
    assert view[("user_realname", 1)] == "Reception"
    assert view[("user_host", 1)] == "pbx.example.net:5060"
    assert view[("user_outbound", 1)] == "pbx.example.net:5060;transport=udp"
    assert view[("user_host", 2)] == "pbx.example.net:5061"
    assert view[("user_outbound", 2)] == "pbx.example.net:5061;transport=tls"
    assert view[("http_user", None)] == "admin"
    assert view[("http_pass", None)] == 'Adm1n<&>"pw'
    assert view[("admin_mode_password", None)] == 'Adm1n<&>"pw'
    assert view[("ntp_server", None)] == "ntp.example.net"
    assert view[("language", None)] == view[("web_language", None)] == "Deutsch"
    assert view[("setting_server", None)] == BASE
    assert view[("settings_refresh_timer", None)] == "86400"
    assert view[("challenge_checksync", None)] == "on"
    assert view[("user_dtmf_info", 1)] == "sip_info_only"
    assert keys == {0: "blf 203", 1: "speed 0301234567", 2: "dest sip:123@example.com;user=phone"}


def test_every_device_ends_with_exactly_its_settings():
    inventory, fleet = load(DEVICES)
    files = render(inventory, fleet)
    for device in fleet:
        dummy, view, dummy, dummy = phone_reads(files, device.model, device.mac)
        wanted = dict((item.key(), item.value) for item, dummy, dummy in RENDERER.device_params(device))
        view.pop(("firmware_status", None), None)
        assert view == wanted, device.label


def test_outbound_proxy_language_and_no_firmware():
    files = render(*load(DEVICES))
    fetched, view, keys, firmware = phone_reads(files, "M900", "000413b60680")
    assert fetched == ["snomM900.htm", "snomM900.xml", "snomM900-000413B60680.htm", "snom-000413B60680.xml"]
    assert firmware is None and keys == {}
    assert view[("user_outbound", 1)] == "sbc.example.net:5070;transport=udp"
    dummy, view, dummy, dummy = phone_reads(files, "D120", "000413000002")
    assert view[("language", None)] == "English"


def test_an_ipv6_server_and_proxy_are_written_in_brackets_before_the_port():
    device = one(lines=[{"extension": "201", "password": "Hush-1", "sip_server": "[2001:db8::1]"}],
                 settings={"outbound_proxy": "[2001:db8::2]:5070"})
    files = render(*load([device], models={}))
    dummy, view, dummy, dummy = phone_reads(files, "D785", "000413a11fa7")
    assert view[("user_host", 1)] == "[2001:db8::1]:5060"
    assert view[("user_outbound", 1)] == "[2001:db8::2]:5070;transport=udp"


def test_timezone_and_syslog_take_snom_s_own_values():
    defaults = dict(DEFAULTS, timezone="CET-1CEST,M3.5.0,M10.5.0/3", syslog_server="log.example.net", snom_timezone="GER+1")
    device = one(params={"syslog_server": "log.example.net"})
    files = render(*load([device], defaults=defaults, models={}))
    dummy, view, dummy, dummy = phone_reads(files, "D785", "000413a11fa7")
    # The Snom code, never one derived from the POSIX string; syslog_server only as the raw param gives it.
    assert view[("timezone", None)] == "GER+1"
    assert view[("syslog_server", None)] == "log.example.net"
    # A raw timezone likewise takes the place of the generic one.
    files = render(*load([one(params={"timezone": "USA-5"})], defaults=dict(DEFAULTS, timezone="EST5EDT,M3.2.0,M11.1.0"), models={}))
    assert phone_reads(files, "D785", "000413a11fa7")[1][("timezone", None)] == "USA-5"
    # Neither is reported as not carried then: the phone gets what the inventory says.
    inventory, dummy = load_fleet([device], defaults, None, {})
    assert inventory.warnings() == []


def test_resync_spread_gives_each_device_its_own_timer():
    inventory, fleet = load(DEVICES, defaults=dict(DEFAULTS, resync_spread=[120, 240]))
    files = render(inventory, fleet)
    timers = set()
    for device in fleet:
        dummy, view, dummy, dummy = phone_reads(files, device.model, device.mac)
        timer = int(view[("settings_refresh_timer", None)])
        assert 120 * 60 <= timer <= 240 * 60
        timers.add(timer)
    assert len(timers) == 3


# -- HTTP credentials: the fallback -------------------------------------------------------------

def test_credentials_bootstrap_comes_first_and_sets_the_http_client_user():
    inventory, fleet = credentials_fleet()
    files = render(inventory, fleet)
    password = "0123456789abcdef0123456789abcdef"
    base = "http://prov.example.net/snom/"
    assert container_urls(files["snomD785-000413A11FA7.htm"].content) == [
        base + "snom-000413A11FA7-bootstrap.xml", base + "snom-000413A11FA7.xml"]
    carrier = files["snom-000413A11FA7-bootstrap.xml"]
    assert carrier.secret and carrier.role == "bootstrap" and is_key_carrier(carrier)
    values, dummy = read_settings(carrier.content)
    assert values == {("http_client_user", None): _http_credentials.user_name("000413a11fa7", password),
                      ("http_client_pass", None): password}
    assert password.encode() not in files["snom-000413A11FA7.xml"].content
    # Once the window closed: the same path, no setting.
    closed = render(inventory, fleet, window_closed=True)
    replacement = closed["snom-000413A11FA7-bootstrap.xml"]
    assert replacement.after_window and not replacement.secret and read_settings(replacement.content) == ({}, {})
    assert RENDERER.key_specs(fleet[0]) == {"http_password": 16}


def test_credentials_raw_params_may_not_replace_them():
    defaults = dict(DEFAULTS, http_credentials=True)
    with pytest.raises(ProvisioningError, match=r"^device desk, field params\.http_client_pass: .*settings\.http_credentials"):
        load([one(params={"http_client_pass": "Hush-9"})], defaults=defaults, models={},
             keys={"000413a11fa7": {"http_password": "00" * 16}})


def _matches(patterns, path):
    for pattern in patterns:
        found = re.search(pattern.replace("{mac}", MAC_PATTERN), "/" + path, re.IGNORECASE)
        if found is not None:
            return found.group(1).lower()
    return None


def test_http_credentials_paths_against_what_is_rendered():
    credentials = DESCRIPTION.http_credentials
    inventory, fleet = credentials_fleet()
    files = render(inventory, fleet)
    for name, item in files.items():
        protected = _matches(credentials.paths, name)
        bootstrap = _matches(credentials.bootstrap_paths, name)
        tftp = any(re.search(tftp_path_ere(pattern), name, re.IGNORECASE) for pattern in credentials.tftp_paths)
        if item.secret and item.role == "profile":
            # The device's own settings: only with its credentials, never over TFTP.
            assert protected == "000413a11fa7" and bootstrap is None and tftp, name
        elif item.device is not None:
            # The container and the bootstrap: open, so that the phone can get its credentials.
            assert protected is None and bootstrap == "000413a11fa7" and not tftp, name
        else:
            assert protected is None and bootstrap is None and not tftp, name
        assert DESCRIPTION.device_path_mac(name) == (item.device and "000413a11fa7"), name
    # The lower-case form F writes is protected alike.
    assert _matches(credentials.paths, "snom/snom-000413a11fa7.xml") == "000413a11fa7"
    assert re.search(tftp_path_ere(credentials.tftp_paths[0]), "snom-000413a11fa7.xml", re.IGNORECASE)
    assert _matches(credentials.paths, "snom-000000000000.xml") is None
    # Cisco MPP's own <mac>.xml, served from the same roots, is not Snom's to protect (nor refused over TFTP).
    assert _matches(credentials.paths + credentials.bootstrap_paths, "000413a11fa7.xml") is None
    assert not re.search(tftp_path_ere(credentials.tftp_paths[0]), "000413a11fa7.xml", re.IGNORECASE)


# -- the formats ----------------------------------------------------------------------------------

def _documented_files(page, start):
    """The snom file names in backquotes of the bullet of ``page`` that starts with ``start``."""
    bullet = re.search(r"^\* %s(.*?)(?=^\* |^$)" % re.escape(start), page, re.MULTILINE | re.DOTALL)
    assert bullet is not None, start
    return set(re.findall(r"`(snom[^`]*)`", bullet.group(1)))


def test_the_page_names_exactly_the_files_the_certificate_binding_covers():
    # The http_server role binds every device_paths match to the certificate's MAC; with per-device credentials
    # on, its nginx first exempts every family's http_credentials.bootstrap_paths (sipfleet-provisioning.conf.j2).
    bootstrap_patterns = [pattern for description in DESCRIPTIONS.values() if description.http_credentials is not None
                          for pattern in description.http_credentials.bootstrap_paths]
    files = render(*credentials_fleet())

    def generic(path):
        return path.replace("D785", "<model>").replace("000413A11FA7", "<MAC>").replace("000413a11fa7", "<MAC>")

    without = set(generic(name) for name in files if DESCRIPTION.device_path_mac(name) is not None)
    with_credentials = set(generic(name) for name in files if DESCRIPTION.device_path_mac(name) is not None
                           and _matches(bootstrap_patterns, name) is None)
    assert with_credentials == {"snom-<MAC>.xml"}
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "vendors", "snom.md"),
              encoding="utf-8") as handle:
        page = handle.read()
    assert _documented_files(page, "bound without per-device credentials:") == without
    assert _documented_files(page, "bound with per-device credentials:") == with_credentials
    # Once the servers enforce credentials, a Snom device on its certificate alone is refused.
    inventory, fleet = load_fleet([dict(DEVICES[0], vendor="snom")], dict(DEFAULTS, allow_plain_credentials=True), None,
                                  MODEL_SETTINGS)
    with pytest.raises(ProvisioningError, match=r"^device desk, field settings\.http_credentials: is off, but the servers"):
        render_fleet(inventory, fleet, http_credentials_enforced=True)
    assert "**Certificates or credentials: one per deployment.**" in page


def test_every_rendered_file_decodes_with_the_strict_decoders_and_the_xml_parser_alike():
    inventory, fleet = load(DEVICES)
    files = render(inventory, fleet)
    for name, item in files.items():
        root = ElementTree.fromstring(item.content).tag
        if root == "setting-files":
            assert formats.parse_container(item.content) == container_urls(item.content)
        elif root == "firmware-settings":
            assert formats.parse_firmware(item.content) == ElementTree.fromstring(item.content)[0].text
        else:
            settings_, keys = formats.parse_settings(item.content)
            values, fkeys = read_settings(item.content)
            assert dict((entry.key(), entry.value) for entry in settings_) == values
            assert dict(keys) == fkeys


_NAMES = st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z")
_VALUES = st.text(max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.tuples(_NAMES, st.one_of(st.none(), st.integers(0, 99))), _VALUES, max_size=8),
       st.lists(_VALUES, max_size=4))
def test_any_settings_round_trip_or_are_refused(values, fkeys):
    items = [formats.Setting(name, value, idx) for (name, idx), value in values.items()]
    keys = list(enumerate(fkeys))
    data = formats.render_settings(items, keys)
    if any(formats.value_problem(value) for value in list(values.values()) + fkeys):
        with pytest.raises(ProfileFormatError):
            formats.parse_settings(data)
        return
    assert formats.parse_settings(data) == (items, keys)
    parsed, parsed_keys = read_settings(data)
    assert parsed == dict(values) and parsed_keys == dict(keys)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_VALUES, st.one_of(st.none(), _VALUES), st.one_of(st.just("active"), st.integers(1, 12).map(str))),
                max_size=4))
def test_any_function_keys_round_trip_or_are_refused(keys):
    elements = [formats.FunctionKeyElement(idx, value, context, label) for idx, (value, label, context) in enumerate(keys)]
    data = formats.render_settings([], elements)
    if any(formats.value_problem(text) for value, label, dummy in keys for text in (value, label or "")):
        with pytest.raises(ProfileFormatError):
            formats.parse_function_keys(data)
        return
    assert formats.parse_function_keys(data) == elements
    assert formats.parse_settings(data) == ([], [(element.idx, element.value) for element in elements])
    section = ElementTree.fromstring(data).find("functionKeys")
    assert [(element.attrib.get("label"), element.attrib["context"], element.text or "")
            for element in (section if section is not None else ())] == [
        (label, context, value) for value, label, context in keys]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4))
def test_containers_round_trip_or_are_refused(urls):
    data = formats.render_container(urls)
    if any(formats.value_problem(url) for url in urls):
        with pytest.raises(ProfileFormatError):
            formats.parse_container(data)
        return
    assert formats.parse_container(data) == urls == container_urls(data)


_GOOD = formats.render_settings([formats.Setting("user_name", "201", 1), formats.Setting("user_pass", "p&w", 1)],
                                [(0, "blf 203"), formats.FunctionKeyElement(1, "speed 1", "2", "Boss")])


@pytest.mark.parametrize("data, message", [
    ("text", "must be bytes"),
    (b"\xff" + _GOOD, "line 1 is not UTF-8"),
    (_GOOD.replace(b"\n", b"\r\n"), "holds a CR"),
    (_GOOD[:-1], "does not end with LF"),
    (_GOOD.replace(b'encoding="utf-8"', b'encoding="latin-1"'), "does not start with the declaration"),
    (_GOOD.replace(b' e="2">\n    <user_name', b'>\n    <user_name'), "lines 2-3 are not"),
    (_GOOD.replace(b"</settings>", b"</setting>"), "does not end with </settings>"),
    (_GOOD.replace(b"</user_name>", b"</user_host>"), "line 4: the end tag of user_name is user_host"),
    (_GOOD.replace(b'perm="R">201', b'perm="X">201'), "line 4: the perm of user_name is not one Snom documents"),
    (_GOOD.replace(b'idx="1" perm="R">201', b'idx="01" perm="R">201'), "line 4 is not a <name"),
    (_GOOD.replace(b"p&amp;w", b"p&w"), "holds an & that is not"),
    (_GOOD.replace(b"p&amp;w", b"p>w"), "line 5: the value of user_pass holds an unescaped character"),
    (_GOOD.replace(b"p&amp;w", b"p\tw"), "control or line-break character U+0009"),
    (_GOOD.replace(b"<user_pass idx", b"<user_name idx").replace(b"</user_pass>", b"</user_name>"),
     "line 5: user_name[1] is set twice"),
    (_GOOD.replace(b"  </phone-settings>\n", b""), "line 6 is not a <name"),
    (_GOOD.replace(b'<fkey idx="0" context="active"', b'<fkey idx="0" context="idle"'), "line 8 is not an <fkey"),
    (_GOOD.replace(b"  </functionKeys>\n", b""), "only a non-empty <functionKeys"),
    (_GOOD.replace(b'context="2"', b'context="0"'), "line 9 is not an <fkey"),
    (_GOOD.replace(b'label="Boss" perm', b'perm="R" label="Boss" perm'), "line 9 is not an <fkey"),
    (_GOOD.replace(b'label="Boss"', b'label="B>ss"'), "line 9: the label of function key 1 holds an unescaped character"),
    (_GOOD.replace(b'label="Boss"', b'label="B&ss"'), "line 9: the label of function key 1 holds an & that is not"),
    (_GOOD.replace(b'label="Boss"', b'label="B\x7fss"'), "line 9: the label of function key 1 contains the control"),
    (_GOOD.replace(b'<fkey idx="1"', b'<fkey idx="0"'), "line 9: function key 0 is set twice"),
])
def test_the_decoder_refuses_what_the_encoder_cannot_write(data, message):
    with pytest.raises(ProfileFormatError, match=re.escape(message)) as caught:
        formats.parse_settings(data, device="desk", field="snom-000413A11FA7.xml")
    assert "p&w" not in str(caught.value) and "p>w" not in str(caught.value)
    assert caught.value.device == "desk" and caught.value.field == "snom-000413A11FA7.xml"


def test_container_and_firmware_decoders_refuse_other_shapes():
    good = formats.render_container(["https://a.example/x.xml"])
    for bad in (good.replace(b"<file url", b"<file  url"), good.replace(b"</setting-files>", b""),
                formats.render_container([]), good.replace(b'.xml"', b'.xml" x="1"')):
        with pytest.raises(ProfileFormatError):
            formats.parse_container(bad, device="desk", field="snomD785.htm")
    firmware = formats.render_firmware("https://fw.example/a.bin")
    assert formats.parse_firmware(firmware) == "https://fw.example/a.bin"
    for bad in (firmware.replace(b'perm="R"', b'perm=""'), firmware + b"<x/>\n", firmware.replace(b"firmware>", b"fw>")):
        with pytest.raises(ProfileFormatError):
            formats.parse_firmware(bad)


# -- --diff masking and secrets -------------------------------------------------------------------

def test_mask_text_masks_every_password_and_nothing_else():
    files = render(*load(DEVICES))
    text = files["snom-000413A11FA7.xml"].content.decode("utf-8")
    assert RENDERER.recognizes_text(text)
    assert RENDERER.recognizes_text(files["snomD785.htm"].content.decode("utf-8"))
    masked = RENDERER.mask_text(text)
    assert "S3cret" not in masked and "pw-202" not in masked and "Adm1n" not in masked
    assert '<user_name idx="1" perm="R">201</user_name>' in masked
    assert '<user_pass idx="1" perm="R">********</user_pass>' in masked
    for name in ("user_pass", "http_pass", "admin_mode_password", "http_client_pass", "ldap_password", "user_pin",
                 "keyboard_lock_pw", "user_hash"):
        assert RENDERER.is_secret_param(name), name
    for name in ("user_pname", "http_user", "http_client_user", "dkey_directory", "user_name", "keyboard_lock",
                 "pwr_led", "hashtag_dial", "user_hashed_realm_x"):
        assert not RENDERER.is_secret_param(name), name


def test_mask_text_masks_the_keypad_pin_and_the_digest_hash_of_raw_params():
    # keyboard_lock_pw unlocks the keypad; user_hash[N] is the identity's HA1, which authenticates like the password.
    device = dict(DEVICES[1], params={"keyboard_lock_pw": "Lock-4711", "user_hash[1]": "0123abcdHA1", "keyboard_lock": "on"})
    files = render(*load([device]))
    masked = RENDERER.mask_text(files["snom-000413000002.xml"].content.decode("utf-8"))
    assert "Lock-4711" not in masked and "0123abcdHA1" not in masked
    assert '<keyboard_lock_pw perm="R">********</keyboard_lock_pw>' in masked
    assert '<user_hash idx="1" perm="R">********</user_hash>' in masked
    assert '<keyboard_lock perm="R">on</keyboard_lock>' in masked
    # The settings the golden files hold keep their value in --diff, but for the declared secrets.
    for path in ("plain", "credentials"):
        for name in os.listdir(os.path.join(GOLDEN, path)):
            for tag in re.findall(r"<([a-z_]+)[ >]", open(os.path.join(GOLDEN, path, name), encoding="utf-8").read()):
                assert RENDERER.is_secret_param(tag) == (tag in DESCRIPTION.secret_params), (name, tag)


def test_no_secret_in_a_shared_file_or_a_container_through_the_registry():
    inventory, fleet = load_fleet([dict(device, vendor="snom") for device in copy.deepcopy(DEVICES)], DEFAULTS, None,
                                  MODEL_SETTINGS)
    files = render_fleet(inventory, fleet)
    assert set(item.vendor for item in files) == {"snom"}
    for item in files:
        if item.device is None or item.path.endswith(".htm"):
            for secret in SECRETS:
                assert secret not in item.content, item.path


# -- the description ---------------------------------------------------------------------------------

def test_description_checks_and_device_paths():
    assert check_description(DESCRIPTION) == []
    for path in ("snomD785-000413A11FA7.htm", "snom/snomD785-000413a11fa7.htm", "snom-000413A11FA7.xml", "p/snom-000413a11fa7.xml",
                 "snom-000413A11FA7-bootstrap.xml", "snom715-000413A11FA7.htm"):
        assert DESCRIPTION.device_path_mac(path) == "000413a11fa7", path
    for path in ("snomD785.htm", "snomD785.xml", "snomD785-firmware.xml", "000000000000.xml", "snom-general.xml",
                 "000413A11FA7.xml", "snom-000000000000.xml",
                 "snomD785-10.1.215.13-SIP-r.bin", "cfg000413a11fa7.xml"):
        assert DESCRIPTION.device_path_mac(path) is None, path


def test_user_agents_and_certificate_subject():
    assert DESCRIPTION.macs_in_user_agent is True
    assert DESCRIPTION.parse_user_agent("Mozilla/4.0 (compatible; snom710-SIP 8.7.5.35 1.1.5-IFX-05.01.12 000413741767)") == {
        "model": "710", "mac": "000413741767", "firmware": "8.7.5.35"}
    assert DESCRIPTION.parse_user_agent("Mozilla/4.0 (compatible; snom870-SIP 8.4.35 SPEAr300 SNOM 1.4)") == {
        "model": "870", "mac": None, "firmware": "8.4.35"}
    assert DESCRIPTION.claimed_mac("snom-something 000413ABCDEF") == "000413abcdef".lower()
    regex = re.compile(DESCRIPTION.client_certificate_mac[0].replace("{mac}", MAC_PATTERN), re.IGNORECASE)
    assert regex.search("CN=000413922D24,O=Snom Technology AG").group(1).lower() == "000413922d24"
    assert regex.search("L=000413922D24,CN=Snom Phone 1") is None


def test_dhcp_notify_firmware_facts():
    assert DESCRIPTION.dhcp.vendor_class == ("snom",) and DESCRIPTION.dhcp.match_type == "prefix"
    for option_60 in ("snomD785", "snom715", "snomD120", "snomM300"):
        assert option_60.startswith(DESCRIPTION.dhcp.vendor_class[0])
    assert DESCRIPTION.dhcp.ouis == ()
    assert DESCRIPTION.dhcp.options == (43, 66)
    assert DESCRIPTION.notify.event == "check-sync;reboot=false"
    assert not DESCRIPTION.firmware.versioned_name


# -- models -------------------------------------------------------------------------------------------

def test_models_table():
    assert len(MODELS) >= 15
    assert {model[:2] for model in MODELS} >= {"D1", "D3", "D7", "M3", "M9"}
    for model, info in MODELS.items():
        assert model == model.upper() and vendor_for_model(model) == "snom"
        assert info["unsure"], model
        assert info["lines"] == (1 if info["dect"] else 2 if model.startswith("D1") else 12)
    inventory, fleet = load(DEVICES)
    assert not any(RENDERER.can_encrypt(device) for device in fleet)
    assert RENDERER.key_specs(fleet[0]) == {}


def test_every_model_renders_its_full_identity_count():
    for model, info in sorted(MODELS.items()):
        lines = [{"extension": str(100 + index), "password": "pw%d" % index} for index in range(info["lines"])]
        files = render(*load([{"name": "x", "mac": "00:04:13:00:00:09", "model": model, "lines": lines}], models={}))
        dummy, view, dummy, dummy = phone_reads(files, model, "000413000009")
        assert view[("user_name", info["lines"])] == str(99 + info["lines"])


# -- bad input ---------------------------------------------------------------------------------------

def one(**fields):
    raw = {"name": "desk", "mac": "00:04:13:a1:1f:a7", "model": "D785", "lines": [{"extension": "201", "password": "Hush-1"}]}
    raw.update(fields)
    return raw


@pytest.mark.parametrize("device, defaults, pattern", [
    (one(settings={"encrypt_profiles": True}), {}, r"^device desk, field settings\.encrypt_profiles: is on .*no file encryption"),
    (one(model="D120", lines=[{"extension": str(n), "password": "Hush-1"} for n in range(3)]), {},
     r"^device desk, field lines\[2\]: the D120 takes 2 identities"),
    (one(model="M700", lines=[{"extension": str(n), "password": "Hush-1"} for n in range(2)]), {},
     r"^device desk, field lines\[1\]: the M700 takes 1 identity"),
    (one(settings={"snom_timezone": "Europe/Berlin"}), {}, r"^device desk, field settings\.snom_timezone: is not a Snom timezone code"),
    (one(settings={"language": "FR"}), {}, r"^device desk, field settings\.language: 'FR' is not a lower-case ISO 639-1"),
    (one(settings={"ntp_server": "ntp example"}), {}, r"^device desk, field settings\.ntp_server: "),
    (one(settings={"outbound_proxy": "sbc:99999"}), {}, r"^device desk, field settings\.outbound_proxy: 'sbc:99999' has a port"),
    (one(), {"provisioning_url": None}, r"^device desk, field settings\.provisioning_url: is required"),
    (one(settings={"provisioning_url": "ftp://prov.example.net/snom"}), {}, r"^device desk, field settings\.provisioning_url: "),
    (one(settings={"provisioning_url": "https://other.example.net/snom"}), {},
     r"^device desk, field settings\.provisioning_url: differs from the model's"),
    (one(settings={"firmware_url": "https://fw.example.net/x.bin"}), {},
     r"^device desk, field settings\.firmware_url: differs from the model's"),
    (one(params={"fkey[0]": "fly 201"}), {}, r"^device desk, field params\.fkey\[0\]: 'fly' is not a function key type"),
    (one(params={"fkey[0]": "blf 201", "fkey[1]": ""}), {}, r"^device desk, field params\.fkey\[1\]: must be"),
    (one(params={"fkey[0]": "blf 2\n01"}), {}, r"^device desk, field params\.fkey\[0\]: contains"),
    (one(params={"fkey": "blf 201"}), {}, r"^device desk, field params\.fkey: a function key needs its 0-based index"),
    (one(model="M900", settings={"firmware_url": "https://fw.example.net/m900.bin"}), {},
     r"^device desk, field settings\.firmware_url: is not mapped for the M900"),
    (one(params={"User Pass": "x"}), {}, r"^device desk, field params\.User Pass: 'User Pass' is not a Snom setting name"),
    (one(params={"setting_server": "x"}), {}, r"^device desk, field params\.setting_server: .*provisioning_url"),
    (one(params={"firmware": "x"}), {}, r"^device desk, field params\.firmware: .*firmware_url"),
    (one(params={"user_pass[1]": "Hush-2"}), {}, r"^device desk, field params\.user_pass\[1\]: .*lines\[0\]\.password"),
    (one(params={"user_idle_text[1]": 1.5}), {}, r"^device desk, field params\.user_idle_text\[1\]: must be a string"),
    (one(params={"ldap_password": "Hush-\x01"}), {}, r"^device desk, field params\.ldap_password: contains the control"),
    (one(lines=[{"extension": "201", "password": "Hush-\n1"}]), {}, r"^device desk, field lines\[0\]\.password: contains the control"),
    (one(lines=[{"extension": "201", "password": "Hush", "sip_server": "pbx;evil"}]), {}, r"^device desk, field lines\[0\]\.sip_server: "),
    (one(lines=[{"extension": "201", "password": "Hush", "sip_server": "2001:db8::1"}]), {},
     r"^device desk, field lines\[0\]\.sip_server: '2001:db8::1' is not .*IPv6 address in brackets"),
    (one(settings={"outbound_proxy": "2001:db8::1:5070"}), {},
     r"^device desk, field settings\.outbound_proxy: '2001:db8::1:5070' is not host\[:port\].*bare IPv6"),
    (one(settings={"outbound_proxy": "2001:db8::1"}), {}, r"^device desk, field settings\.outbound_proxy: .*bare IPv6"),
])
def test_bad_input_names_device_and_field(device, defaults, pattern):
    merged = dict(DEFAULTS, **defaults)
    merged = dict((name, value) for name, value in merged.items() if value is not None)
    with pytest.raises(ProvisioningError, match=pattern) as caught:
        load([device], merged, models={})
    assert "Hush" not in str(caught.value)


# -- function keys, voice VLAN, settings not carried (issue 16) ------------------------------

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors  # noqa: E402

KEYS_DEFAULTS = dict(DEFAULTS, vlan_id=20, vlan_priority=5)

KEYS = [
    {"type": "line", "line": 1},
    {"type": "line", "line": 2, "label": "Sales"},
    {"type": "blf", "value": "205", "label": "Reception & \"Desk\""},
    {"type": "speed_dial", "value": "+49301234", "label": "Office"},
    {"type": "park", "value": "700", "label": "Park", "line": 2},
    {"type": "transfer", "value": "299", "label": "To desk"},
    {"type": "dtmf", "value": "*3", "label": "Record"},
    {"type": "url", "value": "https://apps.example.net/menu.xml?a=1&b=2", "label": "Menu"},
    {"type": "none", "index": 12},
]


def keys_devices():
    return [
        {"name": "desk", "mac": "00:04:13:a1:1f:a7", "model": "D785",
         "lines": [{"extension": "201", "password": "Sip-Secret-201"}, {"extension": "202", "password": "Sip-Secret-202"}],
         "settings": {"function_keys": KEYS},
         # A raw key beside the mapped ones, at an idx they leave free.
         "params": {"fkey[9]": "keyevent F_REDIAL"}},
        # Keys from the model level.
        {"name": "lobby", "mac": "00:04:13:00:00:02", "model": "D120", "lines": [{"extension": "301", "password": "pw-301"}]},
    ]


KEYS_MODELS = dict(MODEL_SETTINGS, D120={"function_keys": [{"type": "blf", "value": "201", "label": "Boss"}, {"type": "line"}]})


def keys_files():
    inventory, fleet = load_fleet(keys_devices(), KEYS_DEFAULTS, None, KEYS_MODELS)
    assert inventory.warnings() == []
    return render(inventory, fleet)


def test_flow_keys_golden():
    check_golden("keys", keys_files())


def test_each_key_type_becomes_its_documented_fkey():
    files = keys_files()
    elements = [key.as_tuple() for key in formats.parse_function_keys(files["snom-000413A11FA7.xml"].content)]
    assert elements == [
        (0, "line", "1", None),
        (1, "line", "2", "Sales"),
        (2, "blf 205", "1", "Reception & \"Desk\""),
        (3, "speed +49301234", "1", "Office"),
        (4, "orbit 700", "2", "Park"),
        (5, "transfer 299", "1", "To desk"),
        (6, "dtmf *3", "1", "Record"),
        (7, "url https://apps.example.net/menu.xml?a=1&b=2", "1", "Menu"),
        (9, "keyevent F_REDIAL", "active", None),
        (11, "none", "active", None),
    ]
    # Python's XML parser reads the same attributes (the label escaped in its attribute).
    root = ElementTree.fromstring(files["snom-000413A11FA7.xml"].content)
    fkeys = dict((int(element.attrib["idx"]), element.attrib) for element in root.find("functionKeys"))
    assert fkeys[2] == {"idx": "2", "context": "1", "label": "Reception & \"Desk\"", "perm": "R"}
    assert fkeys[0] == {"idx": "0", "context": "1", "perm": "R"}
    dummy, view, keys, dummy = phone_reads(files, "D120", "000413000002")
    assert keys == {0: "blf 201", 1: "line"}


def test_voice_vlan_and_no_vlan_or_keys_without_the_settings():
    dummy, view, dummy, dummy = phone_reads(keys_files(), "D785", "000413A11FA7")
    assert (view[("vlan_id", None)], view[("vlan_qos", None)]) == ("20", "5")
    dummy, view, keys, dummy = phone_reads(render(*load(DEVICES)), "D120", "000413000002")
    assert not [key for key in view if key[0].startswith("vlan")] and keys == {}


def snom_fleet_error(raws, defaults=None, models_=None):
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet(raws, dict(DEFAULTS) if defaults is None else defaults, None, {} if models_ is None else models_)
    return errors.value.errors


def test_a_type_snom_cannot_carry_or_a_dect_base_with_keys_names_device_field_and_model():
    errors = snom_fleet_error([one(settings={"function_keys": [{"type": "line"}, {"type": "pickup", "value": "201"}]})])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.function_keys[1].type")]
    assert "model D785 cannot carry a pickup key" in str(errors[0])
    errors = snom_fleet_error([one(model="M900", settings={"function_keys": [{"type": "line"}]})])
    assert [(error.field, "model M900 cannot carry a line key; it carries none" in str(error)) for error in errors] == [
        ("settings.function_keys[0].type", True)]


def test_a_key_snom_cannot_write_names_the_key_s_field():
    errors = snom_fleet_error([one(settings={"function_keys": [{"type": "park"}]})])
    assert [(error.field, "orbit" in str(error)) for error in errors] == [("settings.function_keys[0].value", True)]
    errors = snom_fleet_error([one(settings={"function_keys": [{"type": "transfer"}]})])
    assert [error.field for error in errors] == ["settings.function_keys[0].value"]


def test_a_raw_fkey_may_not_overwrite_a_mapped_key():
    errors = snom_fleet_error([one(settings={"function_keys": [{"type": "blf", "value": "201", "index": 2}]},
                                   params={"fkey[0]": "blf 203", "fkey[1]": "speed 1"})])
    assert [(error.device, error.field) for error in errors] == [("desk", "params.fkey[1]")]
    assert "settings.function_keys[0]" in str(errors[0])


def test_the_settings_snom_files_ignore_are_reported():
    inventory, fleet = load_fleet([one(settings={"firmware_version": "10.1", "encryption_digest": "sha256",
                                                 "sip_server_secondary": "pbx2", "timezone": "Europe/Berlin",
                                                 "syslog_server": "log.example.net", "vlan_id": 30})],
                                  dict(DEFAULTS), None, {})
    reasons = RENDERER.settings_not_carried(fleet[0])
    assert inventory.warnings() == [
        "1 snom device(s) do not get settings.%s: %s (desk)" % (name, reasons[name])
        for name in ("encryption_digest", "firmware_version", "sip_server_secondary", "syslog_server", "timezone")]
    assert "IANA name or POSIX string" in reasons["timezone"] and "snom_timezone" in reasons["timezone"]
    # A line's own backup registrar is named where it stands.
    raw = one()
    raw["lines"][0]["sip_server_secondary"] = "pbx2"
    inventory, dummy = load_fleet([raw], dict(DEFAULTS), None, {})
    assert [warning.split(":")[0] for warning in inventory.warnings()] == [
        "1 snom device(s) do not get lines[0].sip_server_secondary"]
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([one(settings={"timezone": "Europe/Berlin"})], dict(DEFAULTS), None, {}, strict=True)
    assert [(error.device, error.field) for error in errors.value.errors] == [("desk", "settings.timezone")]


FR_REASON = "no Snom language value for fr; known: de, en (set language and web_language in params for another)"


def test_a_language_snom_lacks_is_reported_and_written_in_no_file():
    raws = [one(), one(name="hall", mac="00:04:13:a1:1f:a8", settings={"language": "de"})]
    inventory, fleet = load_fleet(raws, dict(DEFAULTS, language="fr"), None, {})
    assert inventory.warnings() == ["1 snom device(s) do not get settings.language: %s (desk)" % FR_REASON]
    files = render(inventory, fleet)
    dummy, view, dummy, dummy = phone_reads(files, "D785", "000413a11fa7")
    assert ("language", None) not in view and ("web_language", None) not in view
    assert not [path for path, item in files.items() if b"Fran" in item.content]
    dummy, view, dummy, dummy = phone_reads(files, "D785", "000413a11fa8")
    assert view[("language", None)] == view[("web_language", None)] == "Deutsch"


def test_under_strict_a_language_snom_lacks_is_an_error():
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([one(settings={"language": "fr"})], dict(DEFAULTS), None, {}, strict=True)
    assert [(error.device, error.field, error.message) for error in errors.value.errors] == [
        ("desk", "settings.language", "snom devices do not get this setting: %s (sipfleet_strict is true; unset it for "
                                      "this device or model)" % FR_REASON)]
