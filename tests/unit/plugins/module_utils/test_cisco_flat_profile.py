# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Cisco ``flat-profile`` syntax, rules and crypto, parsed back with lxml, openssl and gzip.

The helpers at the top (a phone that expands macros, follows Profile_Rule
and decrypts with the real ``openssl`` CLI; golden-file comparison) are
shared with ``test_vendor_cisco_spa.py`` and ``test_vendor_cisco_mpp.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import encode
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_flat_profile as flat
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_spa.description import DESCRIPTION as CISCO_SPA
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")

#: Set SIPFLEET_REGENERATE_GOLDEN=1 to rewrite the golden files from the
#: current code (then review the diff by hand against the seeds).
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

# Cisco macro names, longest first so $MAU and $MAC win over $MA.
_MACRO_NAMES = sorted(["MA", "MAU", "MAC", "PN", "PSN", "SN", "SWVER"] + [chr(c) for c in range(ord("A"), ord("P") + 1)],
                      key=len, reverse=True)
_RULE_RE = re.compile(r"^(?:\[--key (?P<key>[^\]\s]+)\] )?(?P<url>\S+)$")


# --- shared helpers ---------------------------------------------------------------


def parse_profile(data):
    """``{name: (value, ua)}`` of a flat-profile file, as lxml reads it; asserts the shape."""
    root = etree.fromstring(data)
    assert root.tag == "flat-profile"
    params = {}
    for element in root:
        if not isinstance(element.tag, str):
            continue  # comments
        assert len(element) == 0, "parameter %s has child elements" % element.tag
        assert element.tag not in params, "parameter %s appears twice" % element.tag
        params[element.tag] = (element.text or "", element.get("ua"))
    return params


def values(data):
    return dict((name, value) for name, (value, dummy) in parse_profile(data).items())


def expand_macros(text, variables):
    """Cisco macro expansion, one level: ``$$``, ``$NAME`` and ``$(NAME)``; unknown names stay."""
    out = []
    index = 0
    while index < len(text):
        if text[index] != "$":
            out.append(text[index])
            index += 1
            continue
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if text.startswith("$(", index) and ")" in text[index:]:
            end = text.index(")", index)
            name = text[index + 2:end]
            out.append(variables[name] if name in variables else text[index:end + 1])
            index = end + 1
            continue
        for name in _MACRO_NAMES:
            if text.startswith(name, index + 1) and name in variables:
                out.append(variables[name])
                index += 1 + len(name)
                break
        else:
            out.append("$")
            index += 1
    return "".join(out)


def gunzip_cli(data):
    result = subprocess.run(["gzip", "-d", "-c"], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


class Phone:
    """A phone as the guides describe it: factory rule, macros, GPP registers, ``--key`` decryption with openssl."""

    def __init__(self, files, mac, psn, factory_rule, base_url, digest):
        self.files = dict((item.path, item) for item in files)
        self.variables = {"MA": mac, "MAU": mac.upper(), "PSN": psn}
        self.rule = factory_rule
        self.base_url = base_url
        self.digest = digest
        self.fetched = []
        self.params = {}

    def path_of(self, url):
        if url.startswith("/"):
            return url[1:]
        assert url.startswith(self.base_url + "/"), "%s is not below %s" % (url, self.base_url)
        return url[len(self.base_url) + 1:]

    def resync(self):
        """Fetch, decrypt and apply the file the current Profile_Rule names; returns its parameters."""
        match = _RULE_RE.match(expand_macros(self.rule, self.variables))
        assert match, "cannot read the rule %r" % self.rule
        path = self.path_of(match.group("url"))
        assert path in self.files, "the phone asks for %s, which nobody renders" % path
        data = self.files[path].content
        self.fetched.append(path)
        if match.group("key"):
            # Exactly what the guides say the phone does: openssl enc -d -aes-256-cbc -k <--key argument>.
            code, data, err = openssl_cli.dec(data, password=match.group("key"), digest=self.digest)
            assert code == 0, err
            if data[:2] == b"\x1f\x8b":
                data = gunzip_cli(data)
        params = values(data)
        self.params.update(params)
        for letter in "ABCDEFGHIJKLMNOP":
            if "GPP_" + letter in params:
                self.variables[letter] = params["GPP_" + letter]
        self.rule = params.get("Profile_Rule", self.rule)
        return params


def check_golden(vendor, flow, files):
    """Compare rendered files byte for byte with ``golden/<vendor>/<flow>/``.

    A plain file is stored under its own path. An encrypted file is stored as
    ``<path>.bin`` (the suffix tells the repository's text checks it is
    binary), with its plaintext next to it as ``<path>.plaintext.xml`` for
    review.
    """
    root = os.path.join(GOLDEN, vendor, flow)
    expected = {}
    for item in files:
        if item.plaintext is None:
            expected[item.path] = item.content
        else:
            expected[item.path + ".bin"] = item.content
            expected[item.path + ".plaintext.xml"] = item.plaintext
    if REGENERATE:
        shutil.rmtree(root, ignore_errors=True)
        for path, content in expected.items():
            target = os.path.join(root, *path.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(content)
    present = set()
    for directory, dummy, names in os.walk(root):
        for name in names:
            present.add(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    assert present == set(expected), "golden files of %s/%s differ in names (regenerate with SIPFLEET_REGENERATE_GOLDEN=1)" % (
        vendor, flow)
    for path, content in expected.items():
        with open(os.path.join(root, *path.split("/")), "rb") as handle:
            assert handle.read() == content, "%s/%s/%s differs from its golden file" % (vendor, flow, path)


# --- tests of the syntax --------------------------------------------------------------

DEVICE = Device("desk-1", None, "000e08aabbcc", "SPA2102", "cisco_spa", None, [], {}, {}, {})


def device_with(params=None, settings_=None, mac="000e08aabbcc"):
    return Device("desk-1", None, mac, "SPA2102", "cisco_spa", None, [], params or {}, settings_ or {}, {})


def raises(call, *args):
    with pytest.raises(ProvisioningError) as excinfo:
        call(*args)
    return str(excinfo.value)


@pytest.mark.parametrize("value, expected", [
    ("plain", "plain"),
    ("", ""),
    (5060, "5060"),
    ("a  b", "a  b"),
    ("<&>\"'$|#[]", "<&>\"'$|#[]"),
])
def test_check_text_accepts_what_the_phone_reads_back(value, expected):
    assert flat.check_text(value, DEVICE, "f") == expected


@pytest.mark.parametrize("value, reason", [
    ("Zürich", "non-ASCII character 'ü' (U+00FC)"),
    ("\u20ac", "non-ASCII character"),
    ("line\nbreak", "control character U+000A"),
    ("tab\there", "control character U+0009"),
    ("del\x7f", "control character U+007F"),
    (" lead", "leading or trailing spaces"),
    ("trail ", "leading or trailing spaces"),
    (True, "must be a string or an integer"),
    (None, "must be a string or an integer"),
    ([1], "must be a string or an integer"),
    ({"a": 1}, "must be a string or an integer"),
    (1.5, "must be a string or an integer"),
])
def test_check_text_rejects_what_a_profile_cannot_carry(value, reason):
    message = raises(flat.check_text, value, DEVICE, "lines[0].display_name")
    assert message.startswith("device desk-1, field lines[0].display_name: ")
    assert reason in message


@pytest.mark.parametrize("name", ["Proxy_1_", "Auth_Resync-Reboot_1_", "GPP_A", "_x", "SPCP_Auto-detect"])
def test_param_names_accepted(name):
    assert flat.check_param_name(name, DEVICE, "params.x") == name


@pytest.mark.parametrize("name", ["", "1st", "-x", "a b", "a<b", "a/b", "a.b", "flat-profile", "x" * 129, "Proxy[1]", 5])
def test_param_names_rejected(name):
    message = raises(flat.check_param_name, name, DEVICE, "params.%s" % name)
    assert message.startswith("device desk-1, field params.%s: " % name)
    assert "is not a Cisco parameter name" in message


def test_render_escapes_and_parses_back():
    entries = [("A", "x<y>&z", None), ("B", "", "na"), ("C", "\"quoted\" 'single'", "rw"), ("D", "]]>", "ro")]
    data = flat.render_flat_profile(entries)
    assert data.startswith(b'<?xml version="1.0" encoding="US-ASCII"?>\n')
    assert b"<B ua=\"na\"></B>" in data, "an empty value is an open and a close tag, never <B/> (MPP: keep value)"
    assert parse_profile(data) == {"A": ("x<y>&z", None), "B": ("", "na"), "C": ("\"quoted\" 'single'", "rw"),
                                   "D": ("]]>", "ro")}


def test_render_refuses_non_ascii_even_if_unchecked():
    with pytest.raises(UnicodeEncodeError):
        flat.render_flat_profile([("A", "\u00e9", None)])


def test_raw_params_forms_and_errors():
    device = device_with(params={"Dial_Plan_1_": "(*xx|[2-9]xxxxxx)", "Port": 5061, "Hidden": {"value": "v", "ua": "na"},
                                 "Password_1_": {"ua": "ro"}})
    assert flat.check_raw_params(device) == {"Dial_Plan_1_": ("(*xx|[2-9]xxxxxx)", None), "Port": ("5061", None),
                                             "Hidden": ("v", "na"), "Password_1_": (None, "ro")}
    cases = [
        ({"Bad Name": "x"}, "field params.Bad Name: 'Bad Name' is not a Cisco parameter name"),
        ({"X": True}, "field params.X: must be a string or an integer, got bool"),
        ({"X": None}, "field params.X: must be a string or an integer, got null"),
        ({"X": [1]}, "field params.X: must be a string or an integer, got list"),
        ({"X": {"value": "v", "ua": "rx"}}, "field params.X.ua: must be one of na, ro, rw, got 'rx'"),
        ({"X": {"value": None}}, "field params.X.value: must be a string or an integer, got null"),
        ({"X": {"value": {"a": 1}}}, "field params.X.value: must be a string or an integer, got dict"),
        ({"X": {"valeu": "v"}}, "field params.X.valeu: unknown key(s) valeu"),
        ({"X": {}}, "field params.X: a mapping needs 'value', 'ua' or both"),
        ({"X": "\u00e9t\u00e9"}, "field params.X: contains the non-ASCII character"),
    ]
    for params, expected in cases:
        message = raises(flat.check_raw_params, device_with(params=params))
        assert message.startswith("device desk-1, " + expected), message


def test_reserved_params_and_merge():
    message = raises(flat.check_raw_params, device_with(params={"GPP_A": "x"}), flat.RESERVED_WHEN_ENCRYPTED)
    assert message.startswith("device desk-1, field params.GPP_A: is set by the collection while encrypt_profiles is on")
    merged = flat.merge_params({"A": "1", "B": "2"}, {"B": ("3", "na"), "A": (None, "ro"), "C": ("4", None)}, DEVICE)
    assert merged == [("A", "1", "ro"), ("B", "3", "na"), ("C", "4", None)]
    message = raises(flat.merge_params, {}, {"Z": (None, "na")}, DEVICE)
    assert message.startswith("device desk-1, field params.Z: sets only 'ua', but no mapped setting writes Z")


@pytest.mark.parametrize("path, base, key, expected", [
    ("spa$MA.xml", "http://prov.example.com/cisco", None, "http://prov.example.com/cisco/spa$MA.xml"),
    ("spa$MA.xml", None, None, "/spa$MA.xml"),
    ("profile/$B/spa2102.cfg", "tftp://10.0.0.1", "$A", "[--key $A] tftp://10.0.0.1/profile/$B/spa2102.cfg"),
    ("$MA.xml", "https://h:8443/a$b", "$A", "[--key $A] https://h:8443/a$$b/$MA.xml"),
])
def test_profile_rule(path, base, key, expected):
    assert flat.profile_rule(path, base, key) == expected


def test_macro_escape_round_trips_through_expansion():
    rule = flat.profile_rule("$MA.xml", "http://h/$MA$$x$(A)", "$A")
    assert expand_macros(rule, {"MA": "000e08aabbcc", "A": "k"}) == "[--key k] http://h/$MA$$x$(A)/000e08aabbcc.xml"


@pytest.mark.parametrize("url, expected", [
    ("http://prov.example.com/cisco/", "http://prov.example.com/cisco"),
    ("https://prov.example.com:8443", "https://prov.example.com:8443"),
    ("tftp://192.0.2.10/", "tftp://192.0.2.10"),
    ("http://[2001:db8::1]/p", "http://[2001:db8::1]/p"),
    ("http://h/a_b~c%20+d-$e.f", "http://h/a_b~c%20+d-$e.f"),
])
def test_urls_accepted(url, expected):
    assert flat.check_url(url, DEVICE, "settings.provisioning_url") == expected


@pytest.mark.parametrize("url", [
    "ftp://h/x", "http://", "http://h/x?y=1", "http://h/x#c", "http://u:p@h/x", "http://h/a b", "http://h/a|b",
    "http://h/[x]", "http://h:99999/x", "http://h/a(b)", "prov.example.com/x", "http://h/\u00e9",
])
def test_urls_rejected(url):
    message = raises(flat.check_url, url, DEVICE, "settings.provisioning_url")
    assert message.startswith("device desk-1, field settings.provisioning_url: ")


@pytest.mark.parametrize("host, allow_port, ok", [
    ("pbx.example.com", False, True), ("192.0.2.1", False, True), ("[2001:db8::1]", False, True),
    ("pbx.example.com.", False, True), ("pbx:5060", False, False), ("pbx:5060", True, True), ("pbx:0", True, False),
    ("a b", False, False), ("-pbx", False, False), ("pbx;transport=tcp", True, False), ("", False, False),
])
def test_hosts(host, allow_port, ok):
    if ok:
        assert flat.check_host(host, DEVICE, "settings.ntp_server", allow_port) == host
    else:
        assert raises(flat.check_host, host, DEVICE, "settings.ntp_server", allow_port).startswith(
            "device desk-1, field settings.ntp_server: ")


@pytest.mark.parametrize("tz, expected", [
    ("CET-1CEST,M3.5.0,M10.5.0/3", {"Time_Zone": "GMT+01:00", "Daylight_Saving_Time_Enable": "Yes",
                                    "Daylight_Saving_Time_Rule": "start=3/-1/7/2;end=10/-1/7/3;save=1"}),
    ("EST5EDT,M3.2.0,M11.1.0", {"Time_Zone": "GMT-05:00", "Daylight_Saving_Time_Enable": "Yes",
                                "Daylight_Saving_Time_Rule": "start=3/8/7/2;end=11/1/7/2;save=1"}),
    ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", {"Time_Zone": "GMT+10:30", "Daylight_Saving_Time_Enable": "Yes",
                                              "Daylight_Saving_Time_Rule": "start=10/1/7/2;end=4/1/7/2;save=0:30"}),
    ("UTC0", {"Time_Zone": "GMT", "Daylight_Saving_Time_Enable": "No", "Daylight_Saving_Time_Rule": ""}),
    ("IST-5:30", {"Time_Zone": "GMT+05:30", "Daylight_Saving_Time_Enable": "No", "Daylight_Saving_Time_Rule": ""}),
    ("<+0545>-5:45", {"Time_Zone": "GMT+05:45", "Daylight_Saving_Time_Enable": "No", "Daylight_Saving_Time_Rule": ""}),
    ("XXX3MMM,M4.3.6/1:30,M9.2.1", {"Time_Zone": "GMT-03:00", "Daylight_Saving_Time_Enable": "Yes",
                                    "Daylight_Saving_Time_Rule": "start=4/15/6/1:30;end=9/8/1/2;save=1"}),
])
def test_time_zone(tz, expected):
    assert flat.time_zone_params(device_with(settings_={"timezone": tz})) == expected


@pytest.mark.parametrize("tz, reason", [
    ("XXX-0:20", "not a multiple of 15 minutes"),
    ("CET-1CEST,M3.5.0/-1,M10.5.0/3", "-60 minutes past midnight"),
    ("CET-1CEST,M3.5.0/25,M10.5.0/3", "1500 minutes past midnight"),
    ("Europe/Berlin/", "is neither an IANA time-zone name"),
])
def test_time_zone_errors(tz, reason):
    message = raises(flat.time_zone_params, device_with(settings_={"timezone": tz}))
    assert message.startswith("device desk-1, field settings.timezone: ")
    assert reason in message


@pytest.mark.parametrize("text, expected", [
    ("11.3(1)", (11, 3, 1)), ("11.3.1", (11, 3, 1)), ("11-3-1MPP", (11, 3, 1)), ("12.0(1)", (12, 0, 1)),
    ("sip88xx.11-3-1MPP-477", (11, 3, 1)), ("sip8845_65.11-2-3MPP-398.loads", (11, 2, 3)),
    ("11-1-0MPP-16", (11, 1, 0)), ("11.2", (11, 2, None)), ("ATA192.11-2-1MPP", (11, 2, 1)),
    ("latest", None), ("", None), ("MPP11", None),
])
def test_mpp_versions(text, expected):
    assert flat.parse_mpp_version(text) == expected


@pytest.mark.parametrize("version, ok", [("7.6.2", True), ("1.3.5p", True), ("2.0.3(G)", True), ("1.4.1(SR5)", True),
                                         ("7", False), ("7.6.2 ", False), ("7.6.2)? http://evil/x | (", False)])
def test_spa_versions(version, ok):
    if ok:
        assert flat.check_spa_version(version, DEVICE, "settings.firmware_version") == version
    else:
        assert raises(flat.check_spa_version, version, DEVICE, "settings.firmware_version").startswith(
            "device desk-1, field settings.firmware_version: ")


def test_resync_seconds():
    assert flat.resync_seconds(device_with()) is None
    assert flat.resync_seconds(device_with(settings_={"resync_interval": 60})) == 3600
    spread = [flat.resync_seconds(device_with(settings_={"resync_spread": [60, 120], "resync_interval": 5}, mac=mac))
              for mac in ("000e08aabbcc", "000e08aabbcd", "000e08aabbce")]
    assert all(3600 <= seconds <= 7200 and seconds % 60 == 0 for seconds in spread)
    assert len(set(spread)) == 3, "neighbouring MACs get different intervals"
    assert spread[0] == (60 + 0x000e08aabbcc % 61) * 60


def encode_profile(xml, key, digest, compress):
    """What the Cisco renderers serve: the chain each description declares for the encrypted kinds, by the codec."""
    kind = "xml_compressed_encrypted" if compress else "xml_encrypted"
    return encode(CISCO_SPA.encodings[kind], xml, key, digest)


@pytest.mark.parametrize("digest", ["md5", "sha256"])
@pytest.mark.parametrize("compress", [False, True])
def test_encode_profile_decrypts_with_openssl_and_gzip(digest, compress):
    xml = flat.render_flat_profile([("Password_1_", "s3cret & <more>", "na")])
    key = "00" * 32
    data = encode_profile(xml, key, digest, compress)
    assert data == encode_profile(xml, key, digest, compress), "the stable salt makes it idempotent"
    code, out, err = openssl_cli.dec(data, password=key, digest=digest)
    assert code == 0, err
    assert (gunzip_cli(out) if compress else out) == xml
    other = "sha256" if digest == "md5" else "md5"
    code, out, err = openssl_cli.dec(data, password=key, digest=other)
    assert code != 0 or out != xml


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e))))
def test_any_text_renders_back_exactly_or_is_rejected(value):
    try:
        text = flat.check_text(value, DEVICE, "params.X")
    except ProvisioningError as exc:
        assert str(exc).startswith("device desk-1, field params.X: ")
        return
    data = flat.render_flat_profile([("X", text, None), ("Y", "after", None)])
    assert parse_profile(data) == {"X": (value, None), "Y": ("after", None)}


# --- the family contract ------------------------------------------------------------

@pytest.mark.parametrize("family", ["cisco_spa", "cisco_mpp"])
def test_families_declare_their_facts(family):
    renderer = VENDORS[family]
    for name in ("device_file_template", "default_digest", "naming_hint", "upgrade_rule_template"):
        assert getattr(renderer, name), "%s declares no %s" % (family, name)
    mac = "000e08aabbcc"
    # The phone's rule and the served file name the same file.
    assert renderer.device_file_macro().replace("$MA", mac) == renderer.device_file(mac)
    # The description attributes fetches of that file to the device.
    assert renderer.description.device_path_mac("/" + renderer.device_file(mac)) == mac
    assert renderer.derive_hint().startswith(renderer.naming_hint + ", or use a listed model: ")
