# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Cisco MPP renderer: golden flows per model family and firmware, digest choice, bad input, arbitrary text.

Golden files live in ``golden/cisco_mpp/<flow>/``; regenerate them with
``SIPFLEET_REGENERATE_GOLDEN=1`` and review the diff against seed 001 and
the MPP provisioning guides before committing.
"""

from __future__ import annotations

import hashlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_mpp.renderer import RENDERER
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_cisco_flat_profile import (
    Phone,
    check_golden,
    parse_profile,
    values,
)

KEYS = {
    "gpp_a": hashlib.sha256(b"sipfleet test key GPP_A (MPP)").hexdigest(),
    "gpp_b": hashlib.md5(b"sipfleet test directory GPP_B (MPP)").hexdigest(),
}
URL = "https://prov.example.com/mpp"
DEFAULTS = {
    "sip_server": "pbx.example.com",
    "provisioning_url": URL,
    "ntp_server": "ntp.example.com",
    "timezone": "EST5EDT,M3.2.0,M11.1.0",
    "admin_password": "Adm1n-pw",
    "resync_interval": 30,
    "language": "fr",
}


def vendor_for_model(model):
    return "cisco_mpp" if RENDERER.model_info(model) is not None else None


def raw_device(**overrides):
    raw = {
        "name": "desk-7",
        "mac": "00:56:2b:04:36:15",
        "model": "CP-6841-3PCC",
        "lines": [{"extension": "701", "password": "Secret-701", "display_name": "Desk 7"}],
        "keys": dict(KEYS),
    }
    raw.update(overrides)
    return raw


def render(raw=None, defaults=None):
    inventory = Inventory(DEFAULTS if defaults is None else defaults)
    device = build_device(raw or raw_device(), 0, inventory, vendor_for_model)
    RENDERER.validate(device, inventory)
    return RENDERER.render_device(device, inventory) + RENDERER.render_shared([device], inventory)


def by_path(files):
    return dict((item.path, item) for item in files)


def error_of(raw=None, defaults=None):
    with pytest.raises(ProvisioningError) as excinfo:
        render(raw, defaults)
    return str(excinfo.value)


def run_phone(files, mac, psn, factory_rule, digest):
    phone = Phone(files, mac, psn, factory_rule, URL, digest)
    phone.resync()
    phone.resync()
    full = phone.resync()
    return phone, full


# --- golden flows ---------------------------------------------------------------------


def test_flow_ata192_firmware_before_11_3_uses_md5():
    """Seed 001: an ATA192-MPP asks for ata192.cfg; 11-1-0MPP (its User-Agent's firmware) decrypts with MD5."""
    files = render(raw_device(model="ATA192", mac="00:56:2b:04:00:01",
                              lines=[{"extension": "101", "password": "Secret-101"}, {"extension": "102", "password": "Secret-102"}]),
                   dict(DEFAULTS, firmware_version="11-1-0MPP-16"))
    check_golden("cisco_mpp", "ata192_md5", files)
    encrypted_path = "profile/%s/ata192.cfg" % KEYS["gpp_b"]
    assert sorted(by_path(files)) == sorted(["ata192.cfg", "00562b040001.xml", encrypted_path])
    assert values(by_path(files)["ata192.cfg"].content)["Profile_Rule"] == "https://prov.example.com/mpp/$MA.xml"
    phone, full = run_phone(files, "00562b040001", "192", "/ata$PSN.cfg", "md5")
    assert phone.fetched == ["ata192.cfg", "00562b040001.xml", encrypted_path]
    assert full["Password_2_"] == "Secret-102"
    assert "Language_Selection" not in full and "Admin_Password" not in full, "an ATA has no display; admin unknown"
    code, dummy, dummy = openssl_cli.dec(by_path(files)[encrypted_path].content, password=KEYS["gpp_a"], digest="sha256")
    assert code != 0, "SHA-256 must not decrypt an MD5 file"


def test_flow_6841_firmware_11_3_uses_sha256():
    """A 68xx asks for $PSN.xml; firmware 11.3(1) and later decrypt with SHA-256."""
    files = render(raw_device(), dict(DEFAULTS, firmware_version="11.3(1)"))
    check_golden("cisco_mpp", "cp6841_sha256", files)
    encrypted_path = "profile/%s/6841-3PCC.xml" % KEYS["gpp_b"]
    assert sorted(by_path(files)) == sorted(["6841-3PCC.xml", "00562b043615.xml", encrypted_path])
    initial = by_path(files)["00562b043615.xml"]
    assert (initial.role, initial.secret) == ("bootstrap", True)
    assert values(initial.content)["Profile_Rule"] == "[--key $A] https://prov.example.com/mpp/profile/$B/6841-3PCC.xml"
    phone, full = run_phone(files, "00562b043615", "6841-3PCC", "/$PSN.xml", "sha256")
    assert phone.fetched == ["6841-3PCC.xml", "00562b043615.xml", encrypted_path]
    assert full == values(by_path(files)[encrypted_path].plaintext)
    expected = {
        "Resync_Periodic": "1800", "Admin_Password": "Adm1n-pw", "Primary_NTP_Server": "ntp.example.com",
        "Time_Zone": "GMT-05:00", "Daylight_Saving_Time_Enable": "Yes",
        "Daylight_Saving_Time_Rule": "start=3/8/7/2;end=11/1/7/2;save=1", "Language_Selection": "French",
        "Line_Enable_1_": "Yes", "Proxy_1_": "pbx.example.com:5060", "User_ID_1_": "701", "Password_1_": "Secret-701",
        "Display_Name_1_": "Desk 7", "Line_Enable_4_": "No", "Password_4_": "",
    }
    for name, value in expected.items():
        assert full[name] == value, name
    code, dummy, dummy = openssl_cli.dec(by_path(files)[encrypted_path].content, password=KEYS["gpp_a"], digest="md5")
    assert code != 0, "MD5 must not decrypt a SHA-256 file"


def test_flow_8841_no_firmware_version_defaults_to_sha256_with_upgrade_rule():
    files = render(raw_device(model="cp-8841-3pcc", mac="00:56:2b:00:88:41"),
                   dict(DEFAULTS, firmware_url="http://fw.example.com/sip88xx.12-0-1MPP-1.loads"))
    check_golden("cisco_mpp", "cp8841_default_sha256", files)
    phone, full = run_phone(files, "00562b008841", "8841", "/$PSN.xml", "sha256")
    assert phone.fetched[0] == "8841.xml"
    assert full["Upgrade_Rule"] == "http://fw.example.com/sip88xx.12-0-1MPP-1.loads"
    assert full["Line_Enable_10_"] == "No"


def test_plain_flow():
    files = render(raw_device(keys={}), dict(DEFAULTS, encrypt_profiles=False))
    assert sorted(by_path(files)) == ["00562b043615.xml", "6841-3PCC.xml"]
    profile = by_path(files)["00562b043615.xml"]
    assert (profile.role, profile.secret, profile.plaintext) == ("profile", True, None)
    assert values(profile.content)["Profile_Rule"] == "https://prov.example.com/mpp/$MA.xml"


# --- digest choice ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra, digest", [
    ({}, "sha256"),
    ({"firmware_version": "11.3(1)"}, "sha256"),
    ({"firmware_version": "11.3.2"}, "sha256"),
    ({"firmware_version": "12.0(1)"}, "sha256"),
    ({"firmware_version": "sip78xx.11-3-1MPP-477"}, "sha256"),
    ({"firmware_version": "11.2(3)"}, "md5"),
    ({"firmware_version": "11-0-1MPP"}, "md5"),
    ({"firmware_version": "10.4.1"}, "md5"),
    ({"firmware_version": "11.2(3)", "encryption_digest": "sha256"}, "sha256"),
    ({"firmware_version": "12.0(1)", "encryption_digest": "md5"}, "md5"),
    ({"encryption_digest": "md5"}, "md5"),
])
def test_digest_choice(extra, digest):
    inventory = Inventory(dict(DEFAULTS, **extra))
    device = build_device(raw_device(), 0, inventory, vendor_for_model)
    assert RENDERER.digest(device) == digest
    files = render(raw_device(), dict(DEFAULTS, **extra))
    encrypted = by_path(files)["profile/%s/6841-3PCC.xml" % KEYS["gpp_b"]]
    code, out, err = openssl_cli.dec(encrypted.content, password=KEYS["gpp_a"], digest=digest)
    assert code == 0, err
    assert out == encrypted.plaintext


def test_unreadable_firmware_version_is_an_error_only_when_it_decides():
    message = error_of(raw_device(), dict(DEFAULTS, firmware_version="latest"))
    assert message.startswith("device desk-7, field settings.firmware_version: cannot tell the firmware release")
    render(raw_device(), dict(DEFAULTS, firmware_version="latest", encryption_digest="sha256"))
    render(raw_device(keys={}), dict(DEFAULTS, firmware_version="latest", encrypt_profiles=False))


# --- models ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model, psn, lines, bootstrap", [
    ("ATA191", "191", 2, "ata191.cfg"),
    ("ATA192", "192", 2, "ata192.cfg"),
    ("CP-6821-3PCC", "6821-3PCC", 2, "6821-3PCC.xml"),
    ("CP-7811-3PCC", "7811", 1, "7811.xml"),
    ("CP-7832-3PCC", "7832", 1, "7832.xml"),
    ("CP-7861-3PCC", "7861", 16, "7861.xml"),
    ("CP-8865-3PCC", "8865", 10, "8865.xml"),
])
def test_known_models(model, psn, lines, bootstrap):
    facts = RENDERER.model_info(model)
    assert (facts.psn, facts.lines, facts.bootstrap) == (psn, lines, bootstrap)


def test_derived_and_unknown_models():
    files = render(raw_device(model="CP-8832-3PCC", vendor="cisco_mpp"))
    assert "8832.xml" in by_path(files)
    files = render(raw_device(model="CP-6871-3PCC", vendor="cisco_mpp"))
    assert "6871-3PCC.xml" in by_path(files)
    files = render(raw_device(model="ATA193-MPP", vendor="cisco_mpp"))
    assert "ata193.cfg" in by_path(files)
    message = error_of(raw_device(model="CP-8841", vendor="cisco_mpp"))
    assert message.startswith("device desk-7, field model: Cisco MPP does not list model CP-8841")
    assert "CP-<number>-3PCC" in message
    message = error_of(raw_device(model="CP-9999-3PCC"))
    assert message.startswith("device desk-7, field model: unknown model 'CP-9999-3PCC'")


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("change, expected", [
    (lambda raw: raw.update(model="ATA192", lines=[{"extension": str(n), "password": "p"} for n in range(3)]),
     "device desk-7, field lines[2]: ATA192 has 2 line(s)"),
    (lambda raw: raw["lines"][0].update(password=""), "device desk-7, field lines[0].password: is required"),
    (lambda raw: raw["lines"][0].update(extension="70\n1"), "device desk-7, field lines[0].extension: contains the control"),
    (lambda raw: raw.update(params={"9lives": "x"}), "device desk-7, field params.9lives: '9lives' is not a Cisco"),
    (lambda raw: raw.update(params={"GPP_A": "x"}), "device desk-7, field params.GPP_A: is set by the collection"),
    (lambda raw: raw.update(params={"X": {"value": "v", "ua": "yes"}}), "device desk-7, field params.X.ua: must be one of"),
    (lambda raw: raw.update(keys={}), "device desk-7, field keys.gpp_a: missing secret"),
    (lambda raw: raw.update(settings={"firmware_url": "http://fw/x.loads | http://evil/y"}),
     "device desk-7, field settings.firmware_url: "),
    (lambda raw: raw.update(settings={"syslog_server": "log:99999"}), "device desk-7, field settings.syslog_server: "),
    (lambda raw: raw.update(settings={"outbound_proxy": "sbc\u00e9"}), "device desk-7, field settings.outbound_proxy: "),
])
def test_bad_input_names_device_and_field(change, expected):
    raw = raw_device()
    change(raw)
    assert error_of(raw).startswith(expected)


def test_gpp_params_allowed_without_encryption():
    files = render(raw_device(keys={}, params={"GPP_A": "free", "Profile_Rule_B": "http://h/$MA-b.xml"}),
                   dict(DEFAULTS, encrypt_profiles=False))
    params = parse_profile(by_path(files)["00562b043615.xml"].content)
    assert params["GPP_A"] == ("free", None)
    assert params["Profile_Rule_B"] == ("http://h/$MA-b.xml", None), "raw values keep their macros"


# --- arbitrary text --------------------------------------------------------------------------------------

ANY_TEXT = st.one_of(st.text(), st.text(alphabet=string.printable),
                     st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e)))
PLAIN = dict(DEFAULTS, encrypt_profiles=False)


def outcome(raw, *fields):
    """The plain profile's parameters, or ``None`` after checking the error names the device and one of ``fields``."""
    try:
        files = render(raw, PLAIN)
    except ProvisioningError as exc:
        assert any(str(exc).startswith("device desk-7, field %s: " % field) for field in fields), str(exc)
        return None
    return parse_profile(by_path(files)["00562b043615.xml"].content)


BASELINE = frozenset(outcome(raw_device(keys={}), "-"))


@settings(max_examples=200, deadline=None)
@given(display_name=ANY_TEXT, password=ANY_TEXT)
def test_line_text(display_name, password):
    raw = raw_device(keys={})
    raw["lines"][0].update(display_name=display_name, password=password)
    params = outcome(raw, "lines[0].display_name", "lines[0].password")
    if params is not None:
        assert params["Display_Name_1_"][0] == (display_name or "701")
        assert params["Password_1_"][0] == password
        assert set(params) == BASELINE


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_raw_param_value(text):
    params = outcome(raw_device(keys={}, params={"Station_Name": text}), "params.Station_Name")
    if params is not None:
        assert params["Station_Name"] == (text, None)
        assert set(params) == BASELINE | {"Station_Name"}
