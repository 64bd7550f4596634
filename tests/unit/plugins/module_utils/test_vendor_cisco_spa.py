# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Cisco/Linksys SPA renderer: golden flows, a simulated phone, bad input, and arbitrary text.

Golden files live in ``golden/cisco_spa/<flow>/``; regenerate them with
``SIPFLEET_REGENERATE_GOLDEN=1`` and review the diff against the SPA
provisioning guide (seed 002) before committing.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_spa.renderer import RENDERER, CiscoSpaRenderer
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_cisco_flat_profile import (
    Phone,
    check_golden,
    parse_profile,
    values,
)

MAC = "000e08aabbcc"
KEYS = {
    "gpp_a": hashlib.sha256(b"sipfleet test key GPP_A").hexdigest(),
    "gpp_b": hashlib.md5(b"sipfleet test directory GPP_B").hexdigest(),
}
URL = "http://prov.example.com/cisco"
DEFAULTS = {
    "sip_server": "pbx.example.com",
    "provisioning_url": URL,
    "ntp_server": "ntp.example.com",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "admin_password": "Adm1n&<pw>",
    "resync_interval": 60,
    "syslog_server": "192.0.2.5:514",
}


def vendor_for_model(model):
    return "cisco_spa" if RENDERER.model_info(model) is not None else None


def raw_device(**overrides):
    raw = {
        "name": "lobby",
        "mac": "00:0E:08:AA:BB:CC",
        "model": "SPA2102",
        "lines": [{"extension": "201", "password": "Secret-201", "display_name": "Lobby & Co <1>"},
                  {"extension": "202", "password": "Secret-202", "auth_user": "auth202", "transport": "tcp",
                   "sip_port": 5070}],
        "params": {"Dial_Plan_1_": "(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|xxxxxxxxxxxx.)",
                   "Password_1_": {"ua": "na"}},
        "keys": dict(KEYS),
    }
    raw.update(overrides)
    return raw


def make(raw=None, defaults=None, models=None, renderer=RENDERER):
    inventory = Inventory(DEFAULTS if defaults is None else defaults, None, models)
    device = build_device(raw or raw_device(), 0, inventory, vendor_for_model)
    renderer.validate(device, inventory)
    return inventory, device


def render(raw=None, defaults=None, models=None, renderer=RENDERER):
    inventory, device = make(raw, defaults, models, renderer)
    return renderer.render_device(device, inventory) + renderer.render_shared([device], inventory)


def by_path(files):
    return dict((item.path, item) for item in files)


def error_of(raw=None, defaults=None, models=None, renderer=RENDERER):
    with pytest.raises(ProvisioningError) as excinfo:
        render(raw, defaults, models, renderer)
    return str(excinfo.value)


# --- golden flows ---------------------------------------------------------------------


def test_flow_inhouse_preprovisioning_plain():
    """Flow 1: option 66 TFTP server, factory rule /spa$PSN.cfg, plain per-device profile."""
    defaults = dict(DEFAULTS, encrypt_profiles=False, provisioning_url=None)
    files = render(raw_device(keys={}), defaults)
    check_golden("cisco_spa", "inhouse_plain", files)
    assert sorted(by_path(files)) == ["spa000e08aabbcc.xml", "spa2102.cfg"]
    bootstrap, profile = by_path(files)["spa2102.cfg"], by_path(files)["spa000e08aabbcc.xml"]
    assert (bootstrap.device, bootstrap.role, bootstrap.secret) == (None, "bootstrap", False)
    assert (profile.device, profile.role, profile.secret) == ("lobby", "profile", True)
    # No provisioning_url: the rules are relative, so the phone stays on the option-66 TFTP server.
    assert values(bootstrap.content) == {"Profile_Rule": "/spa$MA.xml", "Resync_Periodic": "30"}
    phone = Phone(files, MAC, "2102", "/spa$PSN.cfg", None, digest=None)
    phone.resync()
    params = phone.resync()
    assert phone.fetched == ["spa2102.cfg", "spa000e08aabbcc.xml"]
    assert params["Profile_Rule"] == "/spa$MA.xml"
    assert params["Password_1_"] == "Secret-201"
    assert parse_profile(profile.content)["Password_1_"] == ("Secret-201", "na")


def test_flow_secure_first_provisioning():
    """Flow 2 (seed 002): initial device-unique file with GPP_A/GPP_B, then the encrypted profile in profile/$B/."""
    files = render()
    check_golden("cisco_spa", "secure", files)
    files_by_path = by_path(files)
    encrypted_path = "profile/%s/spa2102.cfg" % KEYS["gpp_b"]
    assert sorted(files_by_path) == sorted(["spa2102.cfg", "spa000e08aabbcc.xml", encrypted_path])
    initial = files_by_path["spa000e08aabbcc.xml"]
    assert (initial.role, initial.secret, initial.plaintext) == ("bootstrap", True, None)
    assert parse_profile(initial.content) == {
        "GPP_A": (KEYS["gpp_a"], "na"),
        "GPP_B": (KEYS["gpp_b"], "na"),
        "Profile_Rule": ("[--key $A] http://prov.example.com/cisco/profile/$B/spa2102.cfg", None),
        "Resync_Periodic": ("30", None),
    }
    encrypted = files_by_path[encrypted_path]
    assert (encrypted.role, encrypted.secret) == ("profile", False)
    assert encrypted.content.startswith(b"Salted__")
    assert b"Secret-201" not in encrypted.content and b"Secret-201" in encrypted.plaintext

    # The phone: factory rule, bootstrap, initial file, then every later resync decrypts with openssl -k $A -md md5.
    phone = Phone(files, MAC, "2102", "/spa$PSN.cfg", URL, digest="md5")
    phone.resync()
    phone.resync()
    assert phone.variables["A"] == KEYS["gpp_a"] and phone.variables["B"] == KEYS["gpp_b"]
    full = phone.resync()
    again = phone.resync()
    assert phone.fetched == ["spa2102.cfg", "spa000e08aabbcc.xml", encrypted_path, encrypted_path]
    assert full == again == values(encrypted.plaintext)
    expected = {
        "Resync_Periodic": "3600",
        "Admin_Passwd": "Adm1n&<pw>",
        "Primary_NTP_Server": "ntp.example.com",
        "Syslog_Server": "192.0.2.5:514",
        "Time_Zone": "GMT+01:00",
        "Daylight_Saving_Time_Enable": "Yes",
        "Daylight_Saving_Time_Rule": "start=3/-1/7/2;end=10/-1/7/3;save=1",
        "Line_Enable_1_": "Yes", "Proxy_1_": "pbx.example.com:5060", "SIP_Transport_1_": "UDP",
        "Display_Name_1_": "Lobby & Co <1>", "User_ID_1_": "201", "Password_1_": "Secret-201",
        "Use_Auth_ID_1_": "No", "Auth_ID_1_": "201",
        "Line_Enable_2_": "Yes", "Proxy_2_": "pbx.example.com:5070", "SIP_Transport_2_": "TCP",
        "Display_Name_2_": "202", "User_ID_2_": "202", "Password_2_": "Secret-202",
        "Use_Auth_ID_2_": "Yes", "Auth_ID_2_": "auth202",
        "Dial_Plan_1_": "(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|xxxxxxxxxxxx.)",
    }
    for name, value in expected.items():
        assert full[name] == value, name
    assert "GPP_A" not in full, "the full profile does not repeat the key"


def test_flow_gzip_then_encryption():
    """Flow 3: gzip, then AES-256-CBC; openssl enc -d | gzip -d gives the XML back."""
    renderer = CiscoSpaRenderer(compress=True)
    files = render(raw_device(model="SPA504G", mac="00:0e:08:11:22:33", lines=[{"extension": "301", "password": "pw301"}],
                              params={}), renderer=renderer)
    check_golden("cisco_spa", "gzip_encrypted", files)
    encrypted = by_path(files)["profile/%s/spa504G.cfg" % KEYS["gpp_b"]]
    phone = Phone(files, "000e08112233", "504G", "/spa$PSN.cfg", URL, digest="md5")
    phone.resync()
    phone.resync()
    full = phone.resync()
    assert phone.fetched == ["spa504G.cfg", "spa000e08112233.xml", encrypted.path]
    assert full == values(encrypted.plaintext)
    assert full["User_ID_1_"] == "301" and full["Line_Enable_4_"] == "No" and full["Password_4_"] == ""


def test_upgrade_rule_is_conditional_on_the_running_version():
    defaults = dict(DEFAULTS, firmware_url="http://fw.example.com/spa$50x/spa50x-30x-7-6-2.bin", firmware_version="7.6.2")
    files = render(raw_device(), defaults)
    plaintext = by_path(files)["profile/%s/spa2102.cfg" % KEYS["gpp_b"]].plaintext
    assert values(plaintext)["Upgrade_Rule"] == "( $SWVER ne 7.6.2 )? http://fw.example.com/spa$$50x/spa50x-30x-7-6-2.bin"
    message = error_of(raw_device(), dict(DEFAULTS, firmware_url="http://fw.example.com/x.bin"))
    assert message.startswith("device lobby, field settings.firmware_version: is required with firmware_url")


def test_rendering_is_idempotent_and_keys_change_everything():
    first = [(item.path, item.content) for item in render()]
    assert first == [(item.path, item.content) for item in render()]
    other_keys = {"gpp_a": "11" * 32, "gpp_b": "22" * 16}
    second = dict((item.path, item.content) for item in render(raw_device(keys=other_keys)))
    assert "profile/%s/spa2102.cfg" % ("22" * 16) in second


def test_digest_override():
    files = render(raw_device(), dict(DEFAULTS, encryption_digest="sha256"))
    phone = Phone(files, MAC, "2102", "/spa$PSN.cfg", URL, digest="sha256")
    for dummy in range(3):
        phone.resync()
    assert phone.params["User_ID_1_"] == "201"


def test_shared_bootstrap_uses_model_settings_only():
    inventory = Inventory(DEFAULTS, None, {"spa2102": {"provisioning_url": "tftp://staging.example.com"}})
    device = build_device(raw_device(settings={"provisioning_url": "https://paris.example.com/p"}), 0, inventory,
                          vendor_for_model)
    RENDERER.validate(device, inventory)
    bootstrap = RENDERER.render_shared([device, device], inventory)
    assert len(bootstrap) == 1
    assert values(bootstrap[0].content)["Profile_Rule"] == "tftp://staging.example.com/spa$MA.xml"
    initial = by_path(RENDERER.render_device(device, inventory))["spa000e08aabbcc.xml"]
    assert values(initial.content)["Profile_Rule"] == "[--key $A] https://paris.example.com/p/profile/$B/spa2102.cfg"


def test_known_and_derived_models():
    assert RENDERER.model_info("SPA2102").psn == "2102"
    assert RENDERER.model_info("SPA502G").bootstrap == "spa502G.cfg"
    assert RENDERER.model_info("PAP2T").bootstrap == "init.cfg"
    assert RENDERER.model_info("SPA9999X") is None
    assert "SPA525G2" in RENDERER.known_models()
    files = render(raw_device(model="SPA942", vendor="cisco_spa"))
    assert "spa942.cfg" in by_path(files) and "profile/%s/spa942.cfg" % KEYS["gpp_b"] in by_path(files)


def test_language_only_for_phones():
    files = render(raw_device(model="SPA504G", lines=[{"extension": "1", "password": "p"}]), dict(DEFAULTS, language="de"))
    assert values(by_path(files)["profile/%s/spa504G.cfg" % KEYS["gpp_b"]].plaintext)["Language_Selection"] == "German"
    files = render(raw_device(), dict(DEFAULTS, language="de"))
    assert "Language_Selection" not in values(by_path(files)["profile/%s/spa2102.cfg" % KEYS["gpp_b"]].plaintext)


def test_outbound_proxy_and_resync_spread():
    files = render(raw_device(), dict(DEFAULTS, outbound_proxy="sbc.example.com:5061", resync_spread=[60, 120]))
    params = values(by_path(files)["profile/%s/spa2102.cfg" % KEYS["gpp_b"]].plaintext)
    assert params["Use_Outbound_Proxy_1_"] == params["Use_Outbound_Proxy_2_"] == "Yes"
    assert params["Outbound_Proxy_2_"] == "sbc.example.com:5061"
    assert params["Resync_Periodic"] == str((60 + int(MAC, 16) % 61) * 60)


def test_admin_password_not_mapped_where_unknown():
    files = render(raw_device(model="SPA112"))
    params = values(by_path(files)["profile/%s/spa112.cfg" % KEYS["gpp_b"]].plaintext)
    assert "Admin_Passwd" not in params


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("change, expected", [
    (lambda raw: raw.update(model="SPA9999X"), "device lobby, field model: unknown model 'SPA9999X'"),
    (lambda raw: raw.update(model="PHONE1", vendor="cisco_spa"),
     "device lobby, field model: Cisco/Linksys SPA does not list model PHONE1"),
    (lambda raw: raw["lines"].append({"extension": "203", "password": "x"}),
     "device lobby, field lines[2]: SPA2102 has 2 line(s)"),
    (lambda raw: raw["lines"][0].update(password=None), "device lobby, field lines[0].password: is required"),
    (lambda raw: raw["lines"][0].update(sip_port=70000), "device lobby, field lines[0].sip_port: must be from 1 to 65535"),
    (lambda raw: raw["lines"][0].update(display_name="M\u00fcller"),
     "device lobby, field lines[0].display_name: contains the non-ASCII character"),
    (lambda raw: raw["lines"][1].update(sip_server="pbx.example.com;transport=tls"),
     "device lobby, field lines[1].sip_server: "),
    (lambda raw: raw.update(params={"Dial Plan": "x"}), "device lobby, field params.Dial Plan: 'Dial Plan' is not a Cisco"),
    (lambda raw: raw.update(params={"Resync_Periodic": True}), "device lobby, field params.Resync_Periodic: must be a string"),
    (lambda raw: raw.update(params={"Resync_Periodic": 3.5}), "device lobby, field params.Resync_Periodic: must be a string"),
    (lambda raw: raw.update(params={"GPP_B": "x"}), "device lobby, field params.GPP_B: is set by the collection"),
    (lambda raw: raw.update(params={"Station_Name": {"ua": "na"}}),
     "device lobby, field params.Station_Name: sets only 'ua'"),
    (lambda raw: raw.update(keys={}), "device lobby, field keys.gpp_a: missing secret"),
    (lambda raw: raw.update(keys={"gpp_a": KEYS["gpp_a"]}), "device lobby, field keys.gpp_b: missing secret"),
    (lambda raw: raw.update(keys={"gpp_a": "zz" * 32, "gpp_b": KEYS["gpp_b"]}),
     "device lobby, field keys.gpp_a: must be 64 hex digits"),
    (lambda raw: raw.update(settings={"timezone": "XXX-0:20"}), "device lobby, field settings.timezone: "),
    (lambda raw: raw.update(settings={"resync_interval": 0}), "device lobby, field settings.resync_interval: must be from 1"),
    (lambda raw: raw.update(settings={"provisioning_url": "http://prov/x?mac=1"}),
     "device lobby, field settings.provisioning_url: "),
    (lambda raw: raw.update(settings={"language": "xx"}), None),
    (lambda raw: raw.update(model="SPA504G", settings={"language": "german"}),
     "device lobby, field settings.language: 'german' is not a lower-case ISO 639-1 code"),
    (lambda raw: raw.update(settings={"admin_password": "caf\u00e9"}),
     "device lobby, field settings.admin_password: contains a non-ASCII character;"),
    (lambda raw: raw.update(settings={"ntp_server": "ntp example"}), "device lobby, field settings.ntp_server: "),
])
def test_bad_input_names_device_and_field(change, expected):
    raw = raw_device()
    change(raw)
    if expected is None:
        render(raw)  # ignored where the model has no display
        return
    assert error_of(raw).startswith(expected)


def test_bad_model_level_url_names_its_source():
    message = error_of(raw_device(settings={"provisioning_url": URL}), models={"SPA2102": {"provisioning_url": "gopher://x"}})
    assert message.startswith("device lobby, field sipfleet_models.SPA2102.provisioning_url: ")


def test_sip_server_from_settings_is_named_as_such():
    assert error_of(raw_device(), dict(DEFAULTS, sip_server="pbx example")).startswith(
        "device lobby, field settings.sip_server: ")


def test_key_specs_follow_encryption():
    inventory, device = make()
    assert RENDERER.key_specs(device) == {"gpp_a": 32, "gpp_b": 16}
    inventory, device = make(raw_device(keys={}), dict(DEFAULTS, encrypt_profiles=False))
    assert RENDERER.key_specs(device) == {}


# --- arbitrary text --------------------------------------------------------------------------------

PRINTABLE = st.text(alphabet=string.printable)
ANY_TEXT = st.one_of(st.text(), PRINTABLE, st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e)))
PLAIN = dict(DEFAULTS, encrypt_profiles=False)


def outcome(raw, field):
    """The plain profile's parameters, or ``None`` after checking the error names device and field."""
    try:
        files = render(raw, PLAIN)
    except ProvisioningError as exc:
        assert str(exc).startswith("device lobby, field %s: " % field), str(exc)
        return None
    return parse_profile(by_path(files)["spa000e08aabbcc.xml"].content)


@functools.lru_cache(maxsize=None)
def baseline_names():
    return frozenset(outcome(raw_device(keys={}), "-"))


def assert_no_injection(params, extra=(), dropped=()):
    """Exactly the parameters of a benign device: a value never adds an element."""
    assert set(params) == (baseline_names() - set(dropped)) | set(extra)


def line_with(**fields):
    raw = raw_device(keys={})
    raw["lines"][0].update(fields)
    return raw


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_display_name(text):
    params = outcome(line_with(display_name=text), "lines[0].display_name")
    if params is not None:
        assert params["Display_Name_1_"][0] == (text or "201")
        assert_no_injection(params)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_extension(text):
    raw = line_with(extension=text, auth_user="auth", display_name="d")
    params = outcome(raw, "lines[0].extension")
    if params is not None:
        assert params["User_ID_1_"][0] == text
        assert_no_injection(params)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_auth_user(text):
    params = outcome(line_with(auth_user=text), "lines[0].auth_user")
    if params is not None:
        assert params["Auth_ID_1_"][0] == (text or "201")
        assert params["Use_Auth_ID_1_"][0] == ("Yes" if text not in ("", "201") else "No")
        assert_no_injection(params)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_password(text):
    params = outcome(line_with(password=text), "lines[0].password")
    if params is not None:
        assert params["Password_1_"] == (text, "na")
        assert_no_injection(params)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(ANY_TEXT, st.from_regex(r"\A[a-z0-9][a-z0-9.-]{0,20}\Z")))
def test_sip_server(text):
    params = outcome(line_with(sip_server=text), "lines[0].sip_server")
    if params is not None:
        assert params["Proxy_1_"][0] == ("%s:5060" % text if text else "pbx.example.com:5060")
        assert_no_injection(params)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT, ua=st.sampled_from([None, "na", "ro", "rw"]))
def test_raw_param_value(text, ua):
    raw = raw_device(keys={})
    raw["params"] = copy.deepcopy(raw["params"])
    raw["params"]["Dial_Plan_1_"] = text if ua is None else {"value": text, "ua": ua}
    params = outcome(raw, "params.Dial_Plan_1_" if ua is None else "params.Dial_Plan_1_.value")
    if params is not None:
        assert params["Dial_Plan_1_"] == (text, ua)
        assert_no_injection(params)


@settings(max_examples=200, deadline=None)
@given(name=st.one_of(st.text(min_size=1), st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,10}\Z")))
def test_raw_param_name(name):
    raw = raw_device(keys={})
    raw["params"] = {name: "v"}
    params = outcome(raw, "params.%s" % name)
    if params is not None:
        assert params[name] == ("v", None)
        assert_no_injection(params, extra=[name], dropped=["Dial_Plan_1_"])
