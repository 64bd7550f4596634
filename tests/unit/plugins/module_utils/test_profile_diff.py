# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``--diff`` masks secrets by field, on both sides, whatever their value.

Real fleets rendered by the real renderers, written into a temporary root
by a real run, then diffed in check mode after a password change, a device
removal or a key rotation: the old values are read back from the files on
disk and are no longer in the inventory, so only masking by field can hide
them.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from html import escape as xml_escape
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, key_id, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    ProvisioningError,
    ProvisioningErrors,
    shown_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import inventory_secrets
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import (
    MASK,
    file_diff,
    mask_fields,
    raw_secrets,
    redact,
    redact_error,
    text_view,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.renderer import ACCOUNTS, render_legacy_binary
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.renderer import _Param as panasonic_param
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import VENDORS, load_fleet, render_fleet, renderer_for

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "provisioning_url": "http://prov.example.net",
    "resync_interval": 60,
    # These tests are about what a diff shows; unencrypted profiles over plain
    # HTTP are allowed here so that every format can be diffed.
    "allow_plain_credentials": True,
}

GS_MAC, SPA_MAC, MPP_MAC, PANA_MAC, LEGACY_MAC = (
    "000b82123456", "88012ba01234", "00562b043615", "0080f0c8c381", "000b82654321")


def _line(extension, password):
    return {"extension": extension, "password": password}


def fleet(tag):
    """Every vendor, every line its model has, each password distinct and marked with ``tag``.

    Line passwords carry markup, quotes and percent signs where the vendor
    accepts them; admin and end-user passwords are alphanumeric (Grandstream
    P2/P196 take only that).
    """
    nasty = "<&>'%" + tag
    return [
        {"name": "gs", "mac": GS_MAC, "model": "GXP2170", "settings": {"admin_password": "gsAdmin" + tag},
         "params": {"P196": "gsUser" + tag, "P1361": "gsHttp" + tag},
         "lines": [_line("20%d" % n, "gs%d%s\"%s" % (n, nasty, n)) for n in range(1, 7)]},
        {"name": "legacy", "mac": LEGACY_MAC, "model": "GXP2000",
         "settings": {"admin_password": "lgAdmin" + tag, "encrypt_profiles": False},
         "lines": [_line("30%d" % n, "lg%d%s/&=+%s" % (n, nasty, n)) for n in range(1, 5)]},
        {"name": "spa", "mac": SPA_MAC, "model": "SPA2102", "settings": {"admin_password": "spaAdmin" + tag},
         "params": {"User_Password": "spaUser" + tag},
         "lines": [_line("40%d" % n, "spa%d%s\"%s" % (n, nasty, n)) for n in range(1, 3)]},
        {"name": "mpp", "mac": MPP_MAC, "model": "CP-8841-3PCC", "settings": {"admin_password": "mppAdmin" + tag},
         "lines": [_line("50%d" % n, "mpp%d%s\"%s" % (n, nasty, n)) for n in range(1, 5)]},
        {"name": "pana", "mac": PANA_MAC, "model": "KX-UTG200", "settings": {"admin_password": "panaAdmin" + tag},
         "params": {"USER_PASS": "panaUser" + tag},
         "lines": [_line("60%d" % n, "pana%d%s%s" % (n, nasty, n)) for n in range(1, 5)]},
    ]


def passwords(device_list):
    found = []
    for device in device_list:
        found.extend(line["password"] for line in device.get("lines", []))
        found.extend(value for value in (device.get("settings") or {}).values() if isinstance(value, str))
        found.extend((device.get("params") or {}).values())
    return [value for value in found if "example" not in value]


def store_keys(device_list):
    dummy, devices = load_fleet(device_list, DEFAULTS)
    wanted = dict((device.mac, renderer_for(device).key_specs(device)) for device in devices)
    return reconcile(empty_store(), dict((mac, specs) for mac, specs in wanted.items() if specs)).keys


def forms(secret):
    """The ways a file or a diff could write ``secret``."""
    return set([secret, xml_escape(secret, quote=True), xml_escape(secret, quote=False), quote(secret, safe=""),
                quote(secret, safe="/"), quote_plus(secret), secret.upper(), secret.lower()])


def diff_text(diffs):
    return "\n".join("%s\n%s\n%s\n%s" % (item["before_header"], item["after_header"], item["before"], item["after"])
                     for item in diffs)


def assert_hidden(text, secrets):
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, "%r (as %r) is in the diff" % (secret, form)


@pytest.fixture(name="env")
def env_fixture(tmp_path):
    device_list = fleet("Old")
    params = {"devices": device_list, "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": store_keys(device_list), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"),
              "bootstrap_serve": "always"}
    run(params)
    return params, tmp_path / "root"


def by_header(diffs):
    return dict((os.path.basename(item["before_header"].replace(" (absent)", "")), item) for item in diffs)


# --- through a real run ---------------------------------------------------------


def test_password_change_never_shows_the_old_passwords(env):
    """Before = the files on disk: their passwords are no longer in the inventory."""
    params, root = env
    old = passwords(params["devices"])
    changed = copy.deepcopy(params)
    changed["devices"] = fleet("New")
    new = passwords(changed["devices"])
    result = run(changed, check_mode=True, want_diff=True)
    text = diff_text(result["diff"])
    assert_hidden(text, old + new)
    files = by_header(result["diff"])
    # Each side shows the decrypted profile with the fields masked.
    for name, field in (("cfg%s.xml" % GS_MAC, "<P406>%s</P406>" % MASK),
                        ("cfg%s" % LEGACY_MAC, "P406=%s" % MASK),
                        ("8841.xml", "<Password_4_>%s</Password_4_>" % MASK),
                        ("Config%s.enc" % PANA_MAC.upper(), 'SIP_PASS_4="%s"' % MASK)):
        assert field in files[name]["before"] and field in files[name]["after"], name
    assert "<Admin_Passwd>%s</Admin_Passwd>" % MASK in files["spa2102.cfg"]["before"]


def test_removed_device_diff_masks_its_passwords_and_keys(env):
    """A removed device's passwords and keys are in no inventory: its plain files are masked by field."""
    params, root = env
    removed = params["devices"]
    secrets = passwords(removed) + [value for keys in params["keys"].values() for value in keys.values()]
    gone = copy.deepcopy(params)
    gone["devices"] = [{"name": "other", "mac": "00:0b:82:00:00:99", "model": "GXP2170", "lines": [_line("1", "x1")]}]
    gone["keys"] = store_keys(gone["devices"])
    result = run(gone, check_mode=True, want_diff=True)
    text = diff_text(result["diff"])
    assert_hidden(text, secrets)
    deleted = dict((item["before_header"], item) for item in result["diff"] if item["after_header"].endswith("(deleted)"))
    # The plain key carriers are shown (so the reviewer sees what goes), masked.
    spa_initial = deleted[str(root / ("spa%s.xml" % SPA_MAC))]["before"]
    assert '<GPP_A ua="na">%s</GPP_A>' % MASK in spa_initial and '<GPP_B ua="na">%s</GPP_B>' % MASK in spa_initial
    assert 'CFG_FILE_KEY="%s"' % MASK in deleted[str(root / ("Config%s.cfg" % PANA_MAC.upper()))]["before"]
    assert "P1359=%s" % MASK in deleted[str(root / ("cfg%s" % GS_MAC))]["before"]
    legacy = deleted[str(root / ("cfg%s.bin" % LEGACY_MAC))]["before"]
    assert "P34=%s" % MASK in legacy and "P1806=%s" % MASK not in legacy and "P606=%s" % MASK in legacy
    assert str(root / "profile" / MASK / "spa2102.cfg") in deleted


def test_a_kept_foreign_file_is_reported_without_its_gpp_b_directory(env):
    """A pruned file someone changed is kept and listed: the listing masks the directory like the diff."""
    params, root = env
    directory = params["keys"][SPA_MAC]["gpp_b"]
    (root / "profile" / directory / "spa2102.cfg").write_bytes(b"edited by hand")
    result = run(dict(params, devices=[device for device in params["devices"] if device["name"] != "spa"]))
    assert result["kept_foreign_files"] == [str(root / "profile" / MASK / "spa2102.cfg")]
    assert directory not in repr(result) and directory.upper() not in repr(result)


def rotation(params):
    keys = params["keys"]
    store = empty_store()
    for mac, values in keys.items():
        store["devices"][mac] = dict(values)
    wanted = dict((mac, dict((name, len(value) // 2) for name, value in values.items())) for mac, values in keys.items())
    # The phones fetched their bootstraps: only then may a rotation start.
    started = reconcile(store, wanted, rotate=list(keys),
                        fetched=dict((mac, [key_id(values)]) for mac, values in keys.items()))
    params["bootstrap_delivered"] = started.delivered
    return store, wanted, started.next_keys


def test_rotation_diffs_mask_old_and_new_keys_even_once_the_store_forgot_the_old(env):
    params, root = env
    old = copy.deepcopy(params["keys"])
    store, wanted, new = rotation(params)
    rotating = dict(params, next_keys=new)
    during = run(rotating, check_mode=True, want_diff=True, now=10)
    run(rotating, now=10)
    # The phones fetched the handover; the store promoted the new keys and forgot the old ones.
    fetched = dict((mac, [key_id(keys)]) for mac, keys in new.items())
    promoted = reconcile(store, wanted, promote=fetched)
    assert promoted.keys == new
    finished = dict(params, keys=promoted.keys, next_keys={}, bootstrap_fetched=fetched)
    after = run(finished, check_mode=True, want_diff=True, now=20)
    keys = [value for values in list(old.values()) + list(new.values()) for value in values.values()]
    for result in (during, after):
        assert_hidden(diff_text(result["diff"]), keys + passwords(params["devices"]))
    headers = [item["before_header"] for item in after["diff"]]
    # The old GPP_B directory is pruned: its path is masked.
    assert str(root / "profile" / MASK / "spa2102.cfg") in headers
    handover = [item for item in during["diff"] if "<GPP_A" in item["after"]]
    assert handover and all('<GPP_A ua="na">%s</GPP_A>' % MASK in item["after"] for item in handover)
    assert any("<P1359>%s</P1359>" % MASK in item["after"] for item in during["diff"])


def test_a_changed_password_is_reported_as_a_masked_change(env):
    params, root = env
    changed = copy.deepcopy(params)
    changed["devices"][3]["lines"][0]["password"] = "otherMppPassword"
    result = run(changed, check_mode=True, want_diff=True)
    [item] = result["diff"]
    assert item["before"] + "# (what changed is masked: a password or key)\n" == item["after"]


@pytest.mark.parametrize("path, planted, secret", [
    # A value with markup can only be written escaped; a hand-made file could
    # use CDATA, a comment, nested or unclosed elements: masked to the real end.
    ("cfg%s.xml" % GS_MAC, "<gs_provision><config><P34><![CDATA[a</P34>plantedSecret1]]></P34></config></gs_provision>",
     "plantedSecret1"),
    ("cfg%s.xml" % GS_MAC, "<gs_provision><config><P406>x<!-- </P406> -->plantedSecret2</P406></config></gs_provision>",
     "plantedSecret2"),
    ("cfg%s.xml" % GS_MAC, "<gs_provision><config><P506><P506>a</P506>plantedSecret3</P506></config></gs_provision>",
     "plantedSecret3"),
    ("cfg%s.xml" % GS_MAC, "<gs_provision><config><P1806>plantedSecret4", "plantedSecret4"),
    ("cfg%s.xml" % GS_MAC, "<gs_provision><config><p196 >plantedSecret5</p196 ></config></gs_provision>",
     "plantedSecret5"),
    ("%s.xml" % MPP_MAC, '<flat-profile><Admin_Password ua=na >plantedSecret6</Admin_Password></flat-profile>',
     "plantedSecret6"),
    ("%s.xml" % MPP_MAC, '<flat-profile><X Admin_Password="plantedSecret7"/></flat-profile>', "plantedSecret7"),
    ("%s.xml" % MPP_MAC, '<flat-profile><Profile_Rule>[--key plantedSecret8] /x.cfg</Profile_Rule></flat-profile>',
     "plantedSecret8"),
    ("%s.xml" % MPP_MAC, '<flat-profile><Upgrade_Rule>http://admin:plantedSecret9@fw/x</Upgrade_Rule></flat-profile>',
     "plantedSecret9"),
    ("Config%s.cfg" % PANA_MAC.upper(), '# Panasonic SIP Phone Standard Format File #\r\nSIP_PASS_1="a"plantedSecretA"\r\n',
     "plantedSecretA"),
    ("Config%s.cfg" % PANA_MAC.upper(), '# Panasonic SIP Phone Standard Format File #\r\nADMIN_PASS="a\rplantedSecretB"\r\n',
     "plantedSecretB"),
    ("Config%s.cfg" % PANA_MAC.upper(), "CFG_FILE_KEY = plantedSecretC\n", "plantedSecretC"),
    ("Config%s.cfg" % PANA_MAC.upper(), '# Panasonic SIP Phone Standard Format File #\r\n# SIP_PASS_2="plantedSecretE"\r\n',
     "plantedSecretE"),
    ("%s.xml" % MPP_MAC, "<flat-profile><Profile_Rule_B>http://p/profile/0123456789abcdef0123456789ABCDEF/x.cfg"
     "</Profile_Rule_B></flat-profile>", "0123456789abcdef0123456789ABCDEF"),
])
def test_a_planted_file_cannot_smuggle_a_secret_out(tmp_path, path, planted, secret):
    """Whatever is on disk at a served path, the before side masks the fields a phone would read."""
    device_list = fleet("Old")
    root = tmp_path / "root"
    root.mkdir()
    (root / path).write_bytes(planted.encode())
    params = {"devices": device_list, "defaults": dict(DEFAULTS, encrypt_profiles=False), "sites": {}, "models": {},
              "keys": {}, "roots": [str(root)], "state_dir": str(tmp_path / "state"), "bootstrap_serve": "always"}
    result = run(params, check_mode=True, want_diff=True)
    [item] = [item for item in result["diff"] if item["before_header"] == str(root / path)]
    assert secret not in item["before"] and MASK in item["before"]


@pytest.mark.parametrize("kind, password", [
    ("grandstream", "Mk1</P34><P35>Mk2"),
    ("grandstream", "Mk1]]><![CDATA[<P406>Mk2"),
    ("legacy", "Mk1&P35=Mk2&P3=x"),
    ("legacy", "Mk1%0AP35=Mk2"),
    ("cisco_spa", "Mk1</Password_1_><User_ID_1_>Mk2"),
    ("cisco_mpp", "Mk1<!-- </Password_1_> -->Mk2"),
    ("panasonic", "Mk1' SIP_AUTHID_1='Mk2&lt;x"),
])
def test_a_password_with_markup_cannot_smuggle_itself_out(tmp_path, kind, password):
    """Through a real run: the password as the new value, then as the old one on disk, then of a removed device."""
    devices = [_device(kind, password, password)]
    params = {"devices": devices, "defaults": dict(DEFAULTS), "sites": {}, "models": {}, "keys": store_keys(devices),
              "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"), "bootstrap_serve": "always"}
    texts = [diff_text(run(params, check_mode=True, want_diff=True)["diff"])]
    run(params)
    changed = dict(params, devices=[_device(kind, "other1", "other2")])
    texts.append(diff_text(run(changed, check_mode=True, want_diff=True)["diff"]))
    texts.append(diff_text(run(dict(params, devices=[], keys={}), check_mode=True, want_diff=True)["diff"]))
    for text in texts:
        assert "Mk1" not in text and "Mk2" not in text and MASK in text


def test_a_planted_legacy_binary_cannot_put_a_secret_on_a_line_of_its_own(tmp_path):
    """A line break in a legacy pair's value is shown escaped: the rest of the value stays on the masked line."""
    root = tmp_path / "root"
    root.mkdir()
    (root / ("cfg%s" % LEGACY_MAC)).write_bytes(render_legacy_binary(LEGACY_MAC, [("P34", "a\nP35=plantedSecretD")]))
    params = {"devices": fleet("Old")[1:2], "defaults": dict(DEFAULTS), "sites": {}, "models": {}, "keys": {},
              "roots": [str(root)], "state_dir": str(tmp_path / "state"), "bootstrap_serve": "always"}
    result = run(params, check_mode=True, want_diff=True)
    [item] = [item for item in result["diff"] if item["before_header"] == str(root / ("cfg%s" % LEGACY_MAC))]
    assert "plantedSecretD" not in item["before"] and "P34=%s" % MASK in item["before"]


# --- the declarations, vendor by vendor (field masking alone) ---------------------


def rendered(device_list, defaults=None):
    inventory, devices = load_fleet(device_list, dict(DEFAULTS, **(defaults or {})))
    keys = store_keys(device_list)
    for device in devices:
        device.keys = dict(keys.get(device.mac, {}))
    # A Panasonic key file's after-window replacement (the .enc bytes at the
    # same path) is left out: the .enc file itself is looked at.
    return dict((item.path, item) for item in render_fleet(inventory, devices)
                if not getattr(item, "after_window", False)), keys


def field_masked(item, keys=None):
    """The diff of a created file with masking by value switched off (no inventory secrets)."""
    return file_diff("/srv", item.path, None, item.content, keys, [], 1 << 20, after_tag=item.tag)


def test_grandstream_every_account_p196_and_keys_are_masked_by_field():
    device_list = fleet("Gs")[:2]
    files, keys = rendered(device_list)
    profile = field_masked(files["cfg%s.xml" % GS_MAC], keys[GS_MAC])["after"]
    for account in ACCOUNTS:
        assert "<%s>%s</%s>" % (account["password"], MASK, account["password"]) in profile
    for name in ("P2", "P196", "P1361", "P1359"):
        assert "<%s>%s</%s>" % (name, MASK, name) in profile
    assert "<P35>201</P35>" in profile and "<P1804>206</P1804>" in profile
    legacy = field_masked(files["cfg%s" % LEGACY_MAC])["after"]
    for account in ACCOUNTS[:4]:
        assert "%s=%s" % (account["password"], MASK) in legacy
    assert "P2=%s" % MASK in legacy and "P35=301" in legacy
    assert_hidden(profile + legacy, passwords(device_list) + list(keys[GS_MAC].values()))


@pytest.mark.parametrize("name", ["spa", "mpp"])
def test_cisco_gpp_a_gpp_b_passwords_and_the_directory_are_masked_by_field(name):
    device_list = [device for device in fleet("Cs") if device["name"] == name]
    files, keys = rendered(device_list)
    mac = device_list[0]["mac"]
    initial = [item for item in files.values() if item.role == "bootstrap" and item.device == name][0]
    profile = [item for item in files.values() if item.path.startswith("profile/")][0]
    initial_diff = field_masked(initial)
    profile_diff = field_masked(profile, keys[mac])
    assert '<GPP_A ua="na">%s</GPP_A>' % MASK in initial_diff["after"]
    assert '<GPP_B ua="na">%s</GPP_B>' % MASK in initial_diff["after"]
    assert profile_diff["after_header"] == "/srv/profile/%s/%s" % (MASK, os.path.basename(profile.path))
    assert ">%s</Password_1_>" % MASK in profile_diff["after"]
    if name == "spa":
        assert "<Admin_Passwd>%s</Admin_Passwd>" % MASK in profile_diff["after"]
        assert "<User_Password>%s</User_Password>" % MASK in profile_diff["after"]
    else:
        assert "<Admin_Password>%s</Admin_Password>" % MASK in profile_diff["after"]
    assert "<Display_Name_1_>" in profile_diff["after"]
    text = diff_text([initial_diff, profile_diff])
    assert_hidden(text, passwords(device_list) + list(keys[mac].values()))


def test_panasonic_passwords_and_key_masked_and_enc_shown_decrypted():
    device_list = [device for device in fleet("Pn") if device["name"] == "pana"]
    files, keys = rendered(device_list)
    key_file = field_masked(files["Config%s.cfg" % PANA_MAC.upper()])["after"]
    assert 'CFG_FILE_KEY="%s"' % MASK in key_file and 'CFG_FILE_KEY_LENGTH="256"' in key_file
    encrypted = files["Config%s.enc" % PANA_MAC.upper()]
    assert encrypted.content.startswith(b"U2FsdGVkX1")
    profile = field_masked(encrypted, keys[PANA_MAC])["after"]
    assert "(decrypted for display; served encrypted)" in profile
    assert 'PHONE_NUMBER_1="601"' in profile
    for name in ["SIP_PASS_%d" % n for n in range(1, 5)] + ["ADMIN_PASS", "USER_PASS"]:
        assert '%s="%s"' % (name, MASK) in profile
    assert_hidden(key_file + profile, passwords(device_list) + list(keys[PANA_MAC].values()))
    # Without its key the armoured file is summarised, never shown as base64.
    summary = text_view(encrypted.content, {}, encrypted.tag)
    assert "encrypted with a key this run does not hold" in summary and "U2Fsd" not in summary


def test_a_removed_files_vendor_is_found_from_its_text():
    """``vendor=None`` (a removed file): each format is recognised and masked by its vendor."""
    samples = {
        "grandstream": "<gs_provision><config><P606>s3cret</P606></config></gs_provision>",
        "cisco_spa": "<flat-profile><Admin_Passwd>s3cret</Admin_Passwd></flat-profile>",
        "panasonic": "# Panasonic SIP Phone Standard Format File #\r\nSIP_PASS_3=\"s3cret\"\r\n",
    }
    for vendor, text in samples.items():
        assert VENDORS[vendor].recognizes_text(text)
        assert "s3cret" not in mask_fields(text, None)
        assert "s3cret" not in mask_fields(text, vendor)


@pytest.mark.parametrize("unit", ["a", "a.", "<a b ", "<a b=\"", "<P34>", "<P34><![CDATA[", "SIP_PASS_1=\"x\r", "ab://",
                                  "a://@", "://a@", "%41%41", "\\x41"])
def test_masking_a_hostile_file_takes_linear_time(unit):
    """A 60 KB file on disk of a repeated pattern is masked in a tenth of a second (a quadratic scan took a minute)."""
    text = unit * (60000 // len(unit))
    started = time.monotonic()
    mask_fields(text, None)
    # Redaction by value too: its token boundaries look back a fixed width.
    redact(text, ["a", "A41", "b"])
    assert time.monotonic() - started < 3


def test_declarations_spare_what_is_not_secret():
    grandstream, cisco, panasonic = VENDORS["grandstream"], VENDORS["cisco_spa"], VENDORS["panasonic"]
    assert all(grandstream.is_secret_param(name) for name in ("P34", "P406", "P1806", "P196", "p2", "P1359", "P8024"))
    assert not any(grandstream.is_secret_param(name) for name in ("P35", "P3", "P237", "P1362"))
    assert all(cisco.is_secret_param(name) for name in ("Admin_Passwd", "admin_password", "GPP_A", "gpp_b", "Password_3_",
                                                        "XML_Password", "Shared_Secret", "Encryption_Key"))
    assert not any(cisco.is_secret_param(name) for name in ("GPP_C", "User_ID_1_", "Profile_Rule", "Unit_1_Key_3_"))
    assert all(panasonic.is_secret_param(name) for name in ("SIP_PASS_1", "ADMIN_PASS", "USER_PASS", "CFG_FILE_KEY",
                                                            "CFG_FILE_KEY2", "HTTP_AUTH_PASS"))
    assert not any(panasonic.is_secret_param(name) for name in ("CFG_FILE_KEY_LENGTH", "SIP_AUTHID_1", "PHONE_NUMBER_1"))
    # The same declarations decide which Panasonic parameters may go to a shared file.
    assert not panasonic_param("USER_PASS", "x", "settings.x").shareable
    assert panasonic_param("NTP_ADDR", "x", "settings.x").shareable


# --- every password, every vendor: a property ----------------------------------------

# Printable text with everything that means something to XML, URLs, quoting
# and the legacy binary's pairs; markers at both ends make any partial leak
# of a value show.
_PRINTABLE = st.text(alphabet=st.sampled_from([chr(code) for code in range(0x21, 0x7f)] + list("<>&\"'%=+/;[]$ ")),
                     min_size=0, max_size=24)
_HEAD, _TAIL = "Qz7", "J4x"


def _password(middle, allow_quote=True):
    """A password the vendor takes: Panasonic values cannot hold a double quote."""
    if not allow_quote:
        middle = middle.replace('"', "'")
    return _HEAD + middle + _TAIL


# Each with every line its model has.
_VENDOR_DEVICES = {
    "grandstream": ({"name": "d", "mac": GS_MAC, "model": "GXP2170"}, 6),
    "legacy": ({"name": "d", "mac": LEGACY_MAC, "model": "GXP2000", "settings": {"encrypt_profiles": False}}, 4),
    "cisco_spa": ({"name": "d", "mac": SPA_MAC, "model": "SPA2102"}, 2),
    "cisco_mpp": ({"name": "d", "mac": MPP_MAC, "model": "ATA192"}, 2),
    "panasonic": ({"name": "d", "mac": PANA_MAC, "model": "KX-UTG200"}, 4),
}


def _device(kind, first_password, last_password):
    """The first line gets ``first_password``, the last ``last_password``, the others marked ones."""
    template, lines = _VENDOR_DEVICES[kind]
    device = copy.deepcopy(template)
    device["lines"] = [_line("20%d" % number, "%sMid%d%s" % (_HEAD, number, _TAIL)) for number in range(1, lines + 1)]
    device["lines"][0]["password"] = first_password
    device["lines"][-1]["password"] = last_password
    return device


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(_VENDOR_DEVICES)), values=st.lists(_PRINTABLE, min_size=4, max_size=4))
def test_no_password_or_key_in_any_diff(kind, values):
    """Old (first run) and new (check-mode run) passwords of the first and last line; then the device removed."""
    quotes = kind != "panasonic"
    old_first, old_last, new_first, new_last = [_password(value, quotes) for value in values]
    workdir = tempfile.mkdtemp()
    try:
        devices = [_device(kind, old_first, old_last)]
        params = {"devices": devices, "defaults": dict(DEFAULTS), "sites": {}, "models": {},
                  "keys": store_keys(devices), "roots": [os.path.join(workdir, "root")],
                  "state_dir": os.path.join(workdir, "state"), "bootstrap_serve": "always"}
        run(params)
        keys = [value for stored in params["keys"].values() for value in stored.values()]
        changed = dict(params, devices=[_device(kind, new_first, new_last)])
        removed = dict(params, devices=[], keys={})
        texts = [diff_text(run(changed, check_mode=True, want_diff=True)["diff"]),
                 diff_text(run(removed, check_mode=True, want_diff=True)["diff"])]
        for text in texts:
            assert _HEAD not in text and _TAIL not in text
            for key in keys:
                assert key.lower() not in text and key.upper() not in text
        assert MASK in texts[1] and ((old_first, old_last) == (new_first, new_last) or MASK in texts[0])
    finally:
        shutil.rmtree(workdir)


# --- URL credentials ----------------------------------------------------------------

PANA_DEVICE = {"name": "pana", "mac": PANA_MAC, "model": "KX-UTG200", "settings": {"admin_password": "adm1"},
               "lines": [_line("601", "pw1")]}


@pytest.mark.parametrize("setting, old_url", [
    ("provisioning_url", "https://prov:Old'Secret@prov.example.net/p"),
    ("provisioning_url", "https://prov:Old<Sec>@prov.example.net/p"),
    ("provisioning_url", "https://prov:Old%40x@prov.example.net/p"),
    ("provisioning_url", "https://Old'Sec:x@prov.example.net/p"),
    ("provisioning_url", "https://OldToken@prov.example.net/p"),
    ("firmware_url", "https://fw:Old'<>#?Sec@fw.example.net/f.fw"),
])
def test_a_changed_url_password_is_masked_whatever_it_holds(tmp_path, setting, old_url):
    """Panasonic takes ' < > in the user information: the old URL, read back from disk, shows none of it."""
    defaults = dict(DEFAULTS, provisioning_url="https://prov.example.net/p", allow_plain_credentials=False)
    old = dict(defaults, **{setting: old_url})
    new = dict(defaults, **{setting: old_url.replace("Old", "New")})
    devices = [copy.deepcopy(PANA_DEVICE)]
    params = {"devices": devices, "defaults": old, "sites": {}, "models": {}, "keys": store_keys(devices),
              "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"), "bootstrap_serve": "always"}
    run(params)
    text = diff_text(run(dict(params, defaults=new), check_mode=True, want_diff=True)["diff"])
    assert "Old" not in text and "New" not in text and "%s@" % MASK in text
    removed = diff_text(run(dict(params, devices=[], keys={}), check_mode=True, want_diff=True)["diff"])
    # The firmware URL is in the encrypted file only, shown as such without its key.
    assert "Old" not in removed and ("%s@" % MASK in removed or setting == "firmware_url")


def test_mask_fields_masks_the_whole_userinfo_up_to_the_last_at():
    text = ('FIRM_FILE_PATH="https://u:p\'w<x>@y@fw.example.net/f"\r\n'
            "<Upgrade_Rule>http://admin:a/b@fw/x</Upgrade_Rule>\n"
            "<Profile_Rule>http://prov.example.net/p/x.cfg</Profile_Rule>\n")
    masked = mask_fields(text)
    for part in ("p'w", "<x>@y", "a/b", "admin"):
        assert part not in masked
    assert '"https://%s@fw.example.net/f"\r\n' % MASK in masked
    assert "http://prov.example.net/p/x.cfg" in masked


def test_raw_secrets_collects_the_passwords_of_every_url_in_the_inventory():
    devices = [{"settings": {"provisioning_url": "https://u:DevPass@h/p"},
                "lines": [{"password": "x", "sip_server": "u:LinePass@pbx"}],
                "params": {"Upgrade_Rule": "http://a:RawPass@fw/x | http://b:Raw2%40@fw2/y",
                           "Profile_Rule_B": {"value": "https://RawToken@prov/b"}, "Display": "me@example.net"}}]
    secrets = raw_secrets(devices, {"firmware_url": "tftp://fw:DefPass@fw/"}, {"s": {"ntp_server": "n:SitePass@ntp"}},
                          {"M": {"provisioning_url": "https://m:ModelPass@h/p"}})
    for secret in ("DevPass", "LinePass", "RawPass", "Raw2%40", "Raw2@", "RawToken", "DefPass", "SitePass", "ModelPass"):
        assert secret in secrets, secret
    # A user named with a password is a name, not a secret; an address is no URL.
    assert not set(["u", "a", "m", "me", "n"]) & secrets


def test_a_url_password_never_reaches_an_error_message():
    """e.g. a provisioning_url that differs from the model's: both URLs shown, neither password."""
    own = {"admin_password": "adm1", "provisioning_url": "https://prov:Top'Secret2@prov.example.net/q"}
    devices = [dict(copy.deepcopy(PANA_DEVICE), settings=own)]
    params = {"devices": devices, "defaults": dict(DEFAULTS, provisioning_url="https://prov:Top<Secret>1@prov.example.net/p"),
              "sites": {}, "models": {}, "keys": {}, "roots": ["/nonexistent/root"], "state_dir": "/nonexistent/state"}
    with pytest.raises(ProvisioningError) as info:
        run(params, check_mode=True)
    message = str(info.value)
    assert "Secret" not in message, message
    assert "'https://<credentials>@prov.example.net/q' here but 'https://<credentials>@prov.example.net/p'" in message


@pytest.mark.parametrize("kind, setting, value", [
    ("panasonic", "provisioning_url", "https://prov:Bad'Secret@prov example/p"),
    ("panasonic", "firmware_url", "https://fw:Bad<Secret>@fw.example.net:99999/f"),
    ("panasonic", "outbound_proxy", "u:BadSecret@sbc example"),
    ("panasonic", "sip_server", "u:BadSecret@pbx example"),
    ("cisco_spa", "provisioning_url", "http://admin:BadSecret@prov.example.net/p"),
    ("cisco_spa", "firmware_url", "http://admin:Bad/Secret@fw.example.net/f"),
    ("cisco_spa", "outbound_proxy", "admin:BadSecret@sbc example:5060"),
    ("cisco_mpp", "ntp_server", "admin:BadSecret@ntp example"),
    ("cisco_mpp", "sip_server", "admin:BadSecret@pbx.example.net:5060:1"),
    ("grandstream", "provisioning_url", "http://admin:Bad@Secret@prov.example.net/p?x"),
])
def test_vendor_url_and_host_errors_mask_the_credentials(kind, setting, value):
    template, dummy = _VENDOR_DEVICES[kind]
    raw = dict(copy.deepcopy(template), lines=[_line("201", "pw1")])
    raw.setdefault("settings", {})[setting] = value
    defaults = dict(DEFAULTS)
    if kind == "panasonic" and setting == "provisioning_url":
        defaults[setting] = value
    with pytest.raises(ProvisioningError) as info:
        run({"devices": [raw], "defaults": defaults, "sites": {}, "models": {}, "keys": {},
             "roots": ["/nonexistent/root"], "state_dir": "/nonexistent/state"}, check_mode=True)
    message = str(info.value)
    assert "Secret" not in message and "<credentials>@" in message, message


def test_shown_url():
    assert shown_url("https://u:p'<>@h/p") == "'https://<credentials>@h/p'"
    assert shown_url("u:p@h:5060") == "'<credentials>@h:5060'"
    assert shown_url("https://h/p") == "'https://h/p'"
    assert shown_url(["https://u:p@h"]) == "a list"
    assert shown_url("https://u:%s@h" % ("p" * 200)).startswith("'https://<credentials>@h'")


# --- redaction by value: whole tokens -------------------------------------------------


def test_a_short_password_neither_garbles_a_message_nor_shows_where_it_was():
    message = "device spa, field params.Admin_Passwd: must be a string, got list"
    assert redact(message, ["p", "s", "pa", "ring"]) == message
    assert redact("the password is p.", ["p"]) == "the password is %s." % MASK
    assert redact("p", ["p"]) == MASK


@pytest.mark.parametrize("text, secret", [
    # inside a URL path (a longer token, not a field)
    ("http://prov.example.net/p/S3cret/x.cfg", "S3cret"),
    ("http://prov.example.net/p/S3cret.cfg", "S3cret"),
    # URL-encoded, glued to the escape before it
    ("http://h/a%2FS3cret%2Fb", "S3cret"),
    ("next=%2F" + quote("p@ss w0rd", safe=""), "p@ss w0rd"),
    ("q=a+" + quote_plus("p@ss w0rd"), "p@ss w0rd"),
    # XML-escaped, glued to letters on both sides
    ("x" + xml_escape("<S3&cret>") + "y", "<S3&cret>"),
    ('attr="' + xml_escape("S3\"cret", quote=True) + '"', 'S3"cret'),
    # punctuation at either end: its own boundary
    ("a!S3cret!b", "!S3cret!"),
    ("user-S3cret.", "-S3cret"),
    # quoted in a message, after an escape
    (repr("first line\nS3cret"), "S3cret"),
    (repr("S3\ncret"), "S3\ncret"),
    (repr("\u202eS3cret"), "S3cret"),
])
def test_redaction_by_value_still_finds_a_secret_inside_a_longer_token(text, secret):
    redacted = redact(text, [secret])
    assert MASK in redacted
    for form in forms(secret) | set([repr(secret)[1:-1]]):
        if len(form) > 2:
            assert form not in redacted, (form, redacted)


def test_errors_are_redacted_in_their_messages_not_in_device_or_field():
    secrets = inventory_secrets({"devices": [{"name": "spa", "lines": [{"password": "p"}],
                                              "params": {"Admin_Passwd": "Adm1n"}}]})
    single = ProvisioningError("got 'Adm1n' and p", device="spa", field="params.Admin_Passwd")
    message, errors = redact_error(single, secrets)
    assert message == "device spa, field params.Admin_Passwd: got '%s' and %s" % (MASK, MASK)
    assert errors == [{"device": "spa", "field": "params.Admin_Passwd", "msg": "got '%s' and %s" % (MASK, MASK)}]
    many = ProvisioningErrors([single, ProvisioningError("p", device="p", field="lines[0].password")])
    message, errors = redact_error(many, secrets)
    assert message.splitlines() == ["device spa, field params.Admin_Passwd: got '%s' and %s" % (MASK, MASK),
                                    "device p, field lines[0].password: %s" % MASK]
    assert [error["msg"] for error in errors] == ["got '%s' and %s" % (MASK, MASK), MASK]
