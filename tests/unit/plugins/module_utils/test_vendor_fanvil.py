# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Fanvil renderer: golden files, both XML forms' encoders and strict decoders, a phone's reading order.

Golden files live in ``golden/fanvil/<flow>/`` under their served names (a
bootstrap's after-window replacement as ``<name>.after-window``).
Regenerate them with ``SIPFLEET_REGENERATE_GOLDEN=1`` and check the diff by
hand against vendor-facts-more.md section 4 before committing.

The simulated phone reads the files as the facts say (section 4.1): the
model file if its model has one, then the file its DHCP option or stored
``Config_File_Name`` names, with ``$mac`` replaced by its MAC. It parses
each file with Python's XML parser, not with the collection's decoder.
"""

from __future__ import annotations

import os
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    MAC_PATTERN,
    check_description,
    tftp_path_ere,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil import formats
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil import renderer as fanvil
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil.models import MODELS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import vendor_for_model

RENDERER = fanvil.RENDERER
GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "fanvil")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

ADMIN = "Adm1n<&>pw"
HTTP_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "UTC-1",
    "admin_password": ADMIN,
    "syslog_server": "log.example.net",
    "provisioning_url": "https://prov.example.net/fanvil",
    "encrypt_profiles": False,
}

#: Form A models (X4 with a model file, H5 without), two lines on the X210.
DEVICES_A = [
    {"name": "desk", "mac": "0c:38:3e:07:e1:6c", "model": "X4",
     "settings": {"firmware_url": "https://fw.example.net/x4/x42.14.0.7386T20210730173312.z", "language": "de"},
     "lines": [{"extension": "201", "password": "S3cret&<201>", "display_name": "Desk \"A\""}],
     "params": {"SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].DTMF_Mode": "2",
                "SIP_CONFIG_MODULE.Notify_Reboot": "1"}},
    {"name": "hotel", "mac": "00:a8:59:00:00:02", "model": "H5",
     "lines": [{"extension": "301", "password": "pw-301"}]},
]

#: Form B models: the X210 with two lines, the H2U-V2 (its own version), an X4 whose firmware reads sysConf
#: (MODELS_B: set for the model, since its model file is written in the form of its devices).
DEVICES_B = [
    {"name": "exec", "mac": "0c:38:3e:2c:d7:82", "model": "X210", "settings": {"language": "de"},
     "lines": [{"extension": "401", "password": "pw-401"}, {"extension": "402", "password": "pw-402", "transport": "tcp"}],
     "params": {"sip.line[1].DTMFMode": "2", "sip.SIPPort": "5062"}},
    {"name": "room", "mac": "0c:38:3e:32:34:2e", "model": "H2U-V2", "settings": {"language": "fr"},
     "lines": [{"extension": "501", "password": "pw-501"}]},
    {"name": "newfw", "mac": "0c:38:3e:00:00:03", "model": "X4",
     "lines": [{"extension": "601", "password": "pw-601"}]},
]
MODELS_B = {"X4": {"fanvil_config_format": "sysconf"}}


def load(devices, defaults=None, models=None):
    inventory = Inventory(DEFAULTS if defaults is None else defaults, None, models)
    fleet = [build_device(raw, index, inventory, vendor_for_model) for index, raw in enumerate(devices)]
    for device in fleet:
        RENDERER.validate(device, inventory)
    return inventory, fleet


def render(inventory, fleet):
    """``{served name: ProfileFile}``; an after-window replacement as ``<name>.after-window``."""
    files = {}
    for item in [item for device in fleet for item in RENDERER.render_device(device, inventory)] + \
            RENDERER.render_shared(fleet, inventory):
        name = item.path + (".after-window" if item.after_window else "")
        assert name not in files
        files[name] = item
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


def credentials_fleet():
    devices = [dict(DEVICES_A[0], keys={"http_password": HTTP_KEY})]
    return load(devices, dict(DEFAULTS, http_credentials=True))


# -- a phone, written from the facts with Python's XML parser ------------------------------------


def xml_values(data):
    """``{path: value}`` of a Fanvil file as a phone reads it: form A entries by their <ID>, form B by index."""
    root = ElementTree.fromstring(data)
    assert root.tag in ("VOIP_CONFIG_FILE", "sysConf")
    values = {}

    def walk(element, prefix, skip_id=False):
        for position, child in enumerate(element):
            if skip_id and position == 0:
                # The <ID> names its entry: it is in the entry's path.
                continue
            if len(child) == 0:
                values[prefix + child.tag] = child.text or ""
                continue
            keyed = child[0].tag == "ID" and len(child[0]) == 0
            if "index" in child.attrib:
                name = "%s[%s]" % (child.tag, child.attrib["index"])
            elif keyed:
                name = "%s[%s]" % (child.tag, child[0].text)
            else:
                name = child.tag
            walk(child, prefix + name + ".", skip_id=keyed and "index" not in child.attrib)

    walk(root, "")
    return root.tag, values


def phone_reads(files, mac, model, first_name="$mac.cfg"):
    """The files a phone fetches, in order, and what it ends with (later values win: the device file is last)."""
    fetched = []
    effective = {}
    common = MODELS[model]["common_file"]
    if common is not None:
        fetched.append(common)
        effective.update(xml_values(files[common].content)[1])
    name = first_name.replace("$mac", mac)
    seen = set()
    while name not in seen:
        seen.add(name)
        fetched.append(name)
        dummy, values = xml_values(files[name].content)
        effective.update(values)
        # The file it is sent to next, if the one it read names another.
        name = (values.get("AUTOUPDATE_CONFIG_MODULE.Config_File_Name") or values.get("ap.FlashFileName") or "").replace(
            "$mac", mac)
    return fetched, effective


# -- golden files ----------------------------------------------------------------------------------


def test_flow_voip_config_file_golden():
    check_golden("voip_config_file", render(*load(DEVICES_A)))


def test_flow_sysconf_golden():
    check_golden("sysconf", render(*load(DEVICES_B, models=MODELS_B)))


def test_flow_credentials_golden():
    check_golden("credentials", render(*credentials_fleet()))


def test_files_roles_and_secrets():
    files = render(*credentials_fleet())
    assert sorted(files) == ["0c383e07e16c-bootstrap.cfg", "0c383e07e16c-bootstrap.cfg.after-window", "0c383e07e16c.cfg",
                             "f0X4hw1.100.cfg"]
    carrier = files["0c383e07e16c-bootstrap.cfg"]
    assert carrier.role == "bootstrap" and carrier.secret and carrier.device == "desk"
    after = files["0c383e07e16c-bootstrap.cfg.after-window"]
    assert after.after_window and not after.secret and after.role == "profile"
    own = files["0c383e07e16c.cfg"]
    assert own.secret and own.role == "profile" and own.kind == "cfg" and own.encoding == ("plain",)
    model = files["f0X4hw1.100.cfg"]
    assert model.device is None and model.role == "model" and not model.secret


# -- the phone --------------------------------------------------------------------------------------


def test_a_form_a_phone_ends_with_the_settings():
    files = render(*load(DEVICES_A))
    fetched, values = phone_reads(files, "0c383e07e16c", "X4")
    assert fetched == ["f0X4hw1.100.cfg", "0c383e07e16c.cfg"]
    line = "SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1]."
    admin = "MMI_CONFIG_MODULE.MMI_Account.MMI_Account_Entry[Account1]."
    assert values == {
        "version": "2.0002",
        "AUTOUPDATE_CONFIG_MODULE.Download_Server_IP": "https://prov.example.net/fanvil",
        "AUTOUPDATE_CONFIG_MODULE.Config_File_Name": "$mac.cfg",
        "AUTOUPDATE_CONFIG_MODULE.Auto_Image_URL": "https://fw.example.net/x4/x42.14.0.7386T20210730173312.z",
        "GLOBAL_CONFIG_MODULE.SNTP_Server": "ntp.example.net", "GLOBAL_CONFIG_MODULE.Enable_SNTP": "1",
        # UTC+1: four quarter hours, wazo-provd-plugins' name.
        "GLOBAL_CONFIG_MODULE.Time_Zone": "4", "GLOBAL_CONFIG_MODULE.Time_Zone_Name": "UTC+1",
        "GLOBAL_CONFIG_MODULE.Enable_DST": "0",
        "GLOBAL_CONFIG_MODULE.Language": "16",
        "AAA_CONFIG_MODULE.Enable_Syslog": "1", "AAA_CONFIG_MODULE.Syslog_address": "log.example.net",
        admin + "Name": "admin", admin + "Password": ADMIN, admin + "Level": "10",
        line + "Phone_Number": "201", line + "Display_Name": "Desk \"A\"", line + "Register_Addr": "pbx.example.net",
        line + "Register_Port": "5060", line + "Register_User": "201", line + "Register_Pswd": "S3cret&<201>",
        line + "Enable_Reg": "1", line + "Transport": "0", line + "DTMF_Mode": "2",
        "SIP_CONFIG_MODULE.Notify_Reboot": "1",
    }


def test_a_form_b_phone_ends_with_the_settings():
    files = render(*load(DEVICES_B, models=MODELS_B))
    fetched, values = phone_reads(files, "0c383e2cd782", "X210")
    assert fetched == ["0c383e2cd782.cfg"]
    assert values["Version"] == "2.0002"
    assert values["ap.FlashServerIP"] == "https://prov.example.net/fanvil" and values["ap.FlashFileName"] == "$mac.cfg"
    assert values["phone.date.TimeZone"] == "4" and values["phone.date.TimeZoneName"] == "UTC+1"
    assert values["phone.date.EnableDST"] == "0" and values["phone.display.DefaultLanguage"] == "de"
    assert values["log.SyslogServer"] == "log.example.net"
    assert values["web.account[1].Password"] == ADMIN and values["web.account[1].Level"] == "10"
    assert values["sip.line[1].RegisterPswd"] == "pw-401" and values["sip.line[1].DTMFMode"] == "2"
    assert values["sip.line[2].PhoneNumber"] == "402" and values["sip.line[2].Transport"] == "1"
    assert values["sip.SIPPort"] == "5062"
    # The H2U-V2 reads its model file first, then its own file with its own version.
    fetched, values = phone_reads(files, "0c383e32342e", "H2U-V2")
    assert fetched == ["F0V2UV200000.cfg", "0c383e32342e.cfg"]
    assert values["Version"] == "2.0000000000" and values["phone.display.DefaultLanguage"] == "fr"
    # An X4 whose firmware reads <sysConf>: its own file and its model file in that form.
    assert xml_values(files["0c383e000003.cfg"].content)[0] == "sysConf"
    assert xml_values(files["f0X4hw1.100.cfg"].content) == ("sysConf", {"Version": "2.0002", "ap.FlashFileName": "$mac.cfg"})
    fetched, values = phone_reads(files, "0c383e000003", "X4")
    assert fetched == ["f0X4hw1.100.cfg", "0c383e000003.cfg"] and values["sip.line[1].RegisterPswd"] == "pw-601"


def test_the_model_file_is_in_the_form_of_its_model_s_devices():
    for models, root in (({}, "VOIP_CONFIG_FILE"), (MODELS_B, "sysConf"),
                         ({"X4": {"fanvil_config_format": "voip_config_file"}}, "VOIP_CONFIG_FILE")):
        files = render(*load([dict(DEVICES_B[2])], models=models))
        assert xml_values(files["0c383e000003.cfg"].content)[0] == root
        assert xml_values(files["f0X4hw1.100.cfg"].content)[0] == root
    # sipfleet_defaults count too: defaults -> model.
    files = render(*load([dict(DEVICES_B[2])], dict(DEFAULTS, fanvil_config_format="sysconf")))
    assert xml_values(files["f0X4hw1.100.cfg"].content)[0] == "sysConf"


def test_a_device_may_not_give_its_model_file_another_form():
    for settings, models in (({"fanvil_config_format": "sysconf"}, None), ({"fanvil_config_format": "model"}, MODELS_B)):
        raw = dict(DEVICES_B[2], settings=settings)
        with pytest.raises(ProvisioningError) as failure:
            load([raw], models=models)
        assert "device newfw, field settings.fanvil_config_format: gives the " in str(failure.value)
        assert "f0X4hw1.100.cfg is one file for every X4" in str(failure.value)
    # A model without a model file: each device may take its own form.
    files = render(*load([_exec(), _exec(name="exec2", mac="0c:38:3e:2c:d7:83",
                                         settings={"fanvil_config_format": "voip_config_file"})]))
    assert xml_values(files["0c383e2cd782.cfg"].content)[0] == "sysConf"
    assert xml_values(files["0c383e2cd783.cfg"].content)[0] == "VOIP_CONFIG_FILE"


def test_the_model_file_holds_nothing_a_device_file_could_contradict():
    files = dict(render(*load(DEVICES_A)), **render(*load(DEVICES_B, models=MODELS_B)))
    models = [item for item in files.values() if item.device is None]
    assert sorted(item.path for item in models) == ["F0V2UV200000.cfg", "f0X4hw1.100.cfg"]
    for item in models:
        dummy, values = xml_values(item.content)
        assert set(values) - {"version", "Version"} in ({"AUTOUPDATE_CONFIG_MODULE.Config_File_Name"}, {"ap.FlashFileName"})
        assert set(values.values()) - {"2.0002", "2.0000000000"} == {"$mac.cfg"}


def test_with_credentials_the_phone_reads_the_bootstrap_then_its_own_file():
    inventory, fleet = credentials_fleet()
    files = render(inventory, fleet)
    # In the window: the DHCP option names $mac-bootstrap.cfg; it sends the phone on to $mac.cfg.
    window = dict((name, item) for name, item in files.items() if not name.endswith(".after-window"))
    fetched, values = phone_reads(window, "0c383e07e16c", "X4", first_name="$mac-bootstrap.cfg")
    assert fetched == ["f0X4hw1.100.cfg", "0c383e07e16c-bootstrap.cfg", "0c383e07e16c.cfg"]
    assert values["AUTOUPDATE_CONFIG_MODULE.Download_Username"] == _http_credentials.user_name("0c383e07e16c", HTTP_KEY)
    assert values["AUTOUPDATE_CONFIG_MODULE.Download_Password"] == HTTP_KEY
    assert values["SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Register_Pswd"] == "S3cret&<201>"
    # After the window: the same name holds the next file's name alone, no credential.
    after = dict(window, **{"0c383e07e16c-bootstrap.cfg": files["0c383e07e16c-bootstrap.cfg.after-window"]})
    dummy, values = xml_values(after["0c383e07e16c-bootstrap.cfg"].content)
    assert values == {"version": "2.0002", "AUTOUPDATE_CONFIG_MODULE.Config_File_Name": "$mac.cfg"}
    fetched, dummy = phone_reads(after, "0c383e07e16c", "X4", first_name="$mac-bootstrap.cfg")
    assert fetched[-1] == "0c383e07e16c.cfg"


# -- the HTTP-credentials paths against what is rendered ----------------------------------------------


def _match(patterns, uri):
    for pattern in patterns:
        found = re.search(pattern.replace("{mac}", MAC_PATTERN), uri, re.IGNORECASE)
        if found:
            return found.group(1).lower()
    return None


def test_the_credentials_paths_protect_exactly_the_account_file():
    inventory, fleet = credentials_fleet()
    extra_inventory, extra = load(DEVICES_A[1:] + DEVICES_B, models=MODELS_B)
    declared = DESCRIPTION.http_credentials
    eres = [tftp_path_ere(pattern) for pattern in declared.tftp_paths]
    items = list(render(inventory, fleet).values()) + list(render(extra_inventory, extra).values())
    macs = dict((device.label, device.mac) for device in fleet + extra)
    protected = set()
    for item in items:
        for uri in ("/" + item.path, "/fanvil/" + item.path):
            tftp = any(re.search(ere, item.path, re.IGNORECASE) for ere in eres)
            if item.device is None:
                assert _match(declared.paths + declared.bootstrap_paths, uri) is None, item.path
                assert DESCRIPTION.device_path_mac(uri) is None and not tftp, item.path
            elif item.role == "bootstrap" or item.after_window:
                assert _match(declared.bootstrap_paths, uri) == macs[item.device], item.path
                assert _match(declared.paths, uri) is None and not tftp, item.path
            else:
                assert item.secret, item.path
                assert _match(declared.paths, uri) == macs[item.device] and tftp, item.path
                protected.add(item.path)
            if item.device is not None:
                assert DESCRIPTION.device_path_mac(uri) == macs[item.device], item.path
    assert protected == set("%s.cfg" % device.mac for device in fleet + extra)


# -- secrets ---------------------------------------------------------------------------------------


def test_secrets_are_never_in_shared_files_and_are_masked():
    inventory, fleet = credentials_fleet()
    extra_inventory, extra = load(DEVICES_A[1:] + DEVICES_B, models=MODELS_B)
    files = list(render(inventory, fleet).values()) + list(render(extra_inventory, extra).values())
    secrets = [ADMIN, HTTP_KEY, "S3cret&<201>", "pw-301", "pw-401", "pw-402", "pw-501", "pw-601"]
    escaped = [formats._escape(secret) for secret in secrets]
    for item in files:
        text = item.content.decode("utf-8")
        if item.device is None or not item.secret:
            assert not any(secret in text for secret in escaped), item.path
        masked = RENDERER.mask_text(text)
        assert RENDERER.recognizes_text(text)
        assert not any(secret in masked for secret in escaped), item.path
    own = [item for item in files if item.path == "0c383e07e16c.cfg"][0].content.decode()
    # Only the secrets are masked: the rest of the file stays readable.
    assert "<Register_User>201</Register_User>" in RENDERER.mask_text(own)


def test_the_srtp_keys_and_pins_of_raw_params_are_masked():
    entry = "SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1]."
    raw = dict(DEVICES_A[0], params={entry + "SigCrypto_Key": "SrtpSig-K3y", entry + "MedCrypto_Key": "SrtpMed-K3y",
                                     "MMI_CONFIG_MODULE.Lock_Pin": "4711-Pin", entry + "DTMF_Mode": "2"})
    own = render(*load([raw]))["0c383e07e16c.cfg"].content.decode("utf-8")
    masked = RENDERER.mask_text(own)
    for secret in ("SrtpSig-K3y", "SrtpMed-K3y", "4711-Pin"):
        assert secret in own and secret not in masked, secret
    assert "<SigCrypto_Key>********</SigCrypto_Key>" in masked and "<DTMF_Mode>2</DTMF_Mode>" in masked
    # No element of the golden files becomes secret but the passwords.
    for flow in os.listdir(GOLDEN):
        for name in os.listdir(os.path.join(GOLDEN, flow)):
            with open(os.path.join(GOLDEN, flow, name), encoding="utf-8") as handle:
                for tag in re.findall(r"<([A-Za-z_]+)[ >]", handle.read()):
                    assert RENDERER.is_secret_param(tag) == bool(re.search("(?:Pswd|Password)$", tag)), (name, tag)


# -- the formats: round trip and strict decoding ------------------------------------------------------


def test_every_rendered_file_decodes_with_the_strict_decoder_and_the_xml_parser_alike():
    files = list(render(*credentials_fleet()).values()) + list(render(*load(DEVICES_A[1:] + DEVICES_B, models=MODELS_B)).values())
    for item in files:
        form = formats.SYSCONF if item.content.split(b"\n")[1] == b"<sysConf>" else formats.VOIP_CONFIG_FILE
        root = formats.parse(item.content, form, device=item.device, field=item.path)
        assert formats.render(root, form) == item.content
        params = formats.flatten(root, form)
        assert dict(params) == xml_values(item.content)[1]
        version = params[0][1]
        assert formats.render(formats.build(params[1:], form, version), form) == item.content


_SEGMENTS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([formats.VOIP_CONFIG_FILE, formats.SYSCONF]),
       st.lists(st.tuples(st.lists(_SEGMENTS, min_size=1, max_size=3), st.one_of(st.none(), st.integers(1, 3)),
                          st.text(max_size=20)), max_size=8))
def test_any_tree_round_trips_or_is_refused(form, raw):
    params = []
    for segments, key, value in raw:
        if key is not None and len(segments) > 1:
            segments = [segments[0] + ("[%d]" % key if form == formats.SYSCONF else "[E%d]" % key)] + segments[1:]
        params.append((".".join(segments), value))
    if any(formats.value_problem(value) for dummy, value in params) or any(
            formats.path_problem(path, form) for path, dummy in params):
        return
    try:
        root = formats.build(params, form, "2.0002")
    except ValueError:
        return
    data = formats.render(root, form)
    assert formats.render(formats.parse(data, form), form) == data
    back = formats.flatten(formats.parse(data, form), form)[1:]
    # The same parameters, grouped by element (build keeps each element's first place).
    assert dict(back) == dict(params) and len(back) == len(params)
    assert formats.render(formats.build(back, form, "2.0002"), form) == data


GOOD_A = (b'<?xml version="1.0" encoding="UTF-8"?>\n<VOIP_CONFIG_FILE>\n<version>2.0002</version>\n'
          b'<GLOBAL_CONFIG_MODULE>\n<SNTP_Server>ntp</SNTP_Server>\n</GLOBAL_CONFIG_MODULE>\n</VOIP_CONFIG_FILE>\n')
GOOD_B = (b'<?xml version="1.0" encoding="UTF-8"?>\n<sysConf>\n  <Version>2.0002</Version>\n  <sip>\n'
          b'    <line index="1">\n      <RegisterPswd>Secret-x</RegisterPswd>\n    </line>\n  </sip>\n</sysConf>\n')


def test_the_good_samples_decode():
    assert formats.flatten(formats.parse(GOOD_A, formats.VOIP_CONFIG_FILE), formats.VOIP_CONFIG_FILE) == [
        ("version", "2.0002"), ("GLOBAL_CONFIG_MODULE.SNTP_Server", "ntp")]
    assert formats.flatten(formats.parse(GOOD_B, formats.SYSCONF), formats.SYSCONF) == [
        ("Version", "2.0002"), ("sip.line[1].RegisterPswd", "Secret-x")]


@pytest.mark.parametrize("form, data, message", [
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b"</version>\n", b"</version>\r\n"), "holds a CR"),
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b' encoding="UTF-8"', b""), "does not start with the line"),
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b"<VOIP_CONFIG_FILE>\n", b"<!DOCTYPE x>\n<VOIP_CONFIG_FILE>\n"), "DOCTYPE"),
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b"<version>", b"<!-- c --><version>"), "comment"),
    (formats.VOIP_CONFIG_FILE, GOOD_B, "has the root element sysConf"),
    (formats.SYSCONF, GOOD_A, "has the root element VOIP_CONFIG_FILE"),
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b"<SNTP_Server>", b"  <SNTP_Server>"), "line 5 is not in the layout"),
    (formats.SYSCONF, GOOD_B.replace(b"  <sip>", b"<sip>"), "line 4 is not in the layout"),
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b"<GLOBAL_CONFIG_MODULE>", b'<GLOBAL_CONFIG_MODULE index="1">'),
     "attribute other than a numeric index"),
    (formats.SYSCONF, GOOD_B.replace(b'index="1"', b'index="a"'), "attribute other than a numeric index"),
    (formats.SYSCONF, GOOD_B.replace(b'index="1"', b'index="01"'), "index with a leading zero"),
    (formats.SYSCONF, GOOD_B.replace(b">Secret-x<", b"> Secret-x<"), "the value of RegisterPswd starts or ends"),
    (formats.SYSCONF, GOOD_B.replace(b">Secret-x<", b">Secret&#1;x<"), "is not well-formed XML"),
    (formats.SYSCONF, GOOD_B.replace(b">Secret-x<", b">Secret<x<"), "is not well-formed XML"),
    (formats.SYSCONF, GOOD_B.replace(b"    <line", b"    text<line"), "mixes text and elements"),
    (formats.SYSCONF, GOOD_B.replace(b"  <Version>2.0002</Version>\n", b""), "does not hold <Version> first"),
    (formats.VOIP_CONFIG_FILE, GOOD_A[:-1], "ends early"),
    (formats.VOIP_CONFIG_FILE, GOOD_A.replace(b"ntp", b"n\xfftp"), "line 5 is not UTF-8"),
    (formats.VOIP_CONFIG_FILE, "text", "must be bytes"),
])
def test_the_decoders_refuse_what_the_encoders_cannot_write(form, data, message):
    with pytest.raises(ProfileFormatError) as failure:
        formats.parse(data, form, device="desk", field="0c383e07e16c.cfg")
    assert message in failure.value.message
    assert "device desk, field 0c383e07e16c.cfg" in str(failure.value)
    assert "Secret" not in str(failure.value)


# -- bad input -------------------------------------------------------------------------------------


def _desk(**changes):
    raw = {"name": "desk", "mac": "0c:38:3e:07:e1:6c", "model": "X4", "lines": [{"extension": "201", "password": "Sip-Pw-1"}]}
    raw.update(changes)
    return raw


def _exec(**changes):
    raw = {"name": "exec", "mac": "0c:38:3e:2c:d7:82", "model": "X210", "lines": [{"extension": "401", "password": "Sip-Pw-1"}]}
    raw.update(changes)
    return raw


@pytest.mark.parametrize("raw, defaults, field, words", [
    (_desk(lines=[{"extension": "201", "password": "Sip-Pw-1", "transport": "tls"}]), {}, "lines[0].transport",
     "3 in wazo-provd-plugins and 2 in FusionPBX"),
    (_desk(), {"timezone": "CET-1CEST,M3.5.0,M10.5.0/3"}, "settings.timezone", "DST codes are unsure"),
    (_desk(), {"timezone": "IST-5:30"}, "settings.timezone", "+330 minutes"),
    (_desk(), {"timezone": "UTC+13"}, "settings.timezone", "outside -12 to +12"),
    (_desk(model="H5"), {"language": "German"}, "settings.language", "'German' is not a lower-case ISO 639-1 code"),
    (_exec(), {"language": "zh_CN"}, "settings.language", "'zh_CN' is not a lower-case ISO 639-1 code"),
    (_exec(), {"http_credentials": True}, "settings.http_credentials", "neither the provisioning user nor its password"),
    (_desk(), {"encrypt_profiles": True}, "settings.encrypt_profiles", "Config_File_Key"),
    (_desk(lines=[{"extension": "201", "password": "Sip-Pw-1"}, {"extension": "202", "password": "Sip-Pw-2"}]), {},
     "lines[1]", "one account allowed"),
    (_desk(), {"provisioning_url": "https://u:Sip-Pw-1@prov.example.net/f"}, "settings.provisioning_url",
     "carries user:password@"),
    (_desk(), {"provisioning_url": "gopher://prov.example.net"}, "settings.provisioning_url", "scheme"),
    (_desk(), {"ntp_server": "ntp server"}, "settings.ntp_server", "not a host name"),
    (_desk(lines=[{"extension": "201", "password": "Sip-Pw-1\x07"}]), {}, "lines[0].password", "U+0007"),
    (_desk(lines=[{"extension": "201", "password": " Sip-Pw-1"}]), {}, "lines[0].password", "white space"),
    (_desk(params={"AUTOUPDATE_CONFIG_MODULE.Config_File_Key": "Sip-Pw-1"}), {},
     "params.AUTOUPDATE_CONFIG_MODULE.Config_File_Key", "never writes a file key"),
    (_desk(params={"GLOBAL_CONFIG_MODULE.SNTP_Server": "x"}), {}, "params.GLOBAL_CONFIG_MODULE.SNTP_Server",
     "written by the collection from settings.ntp_server"),
    (_desk(params={"GLOBAL_CONFIG_MODULE..X": "x"}), {}, "params.GLOBAL_CONFIG_MODULE..X", "not a path"),
    (_exec(params={"sip.line[SIP1].DTMFMode": "2"}), {}, "params.sip.line[SIP1].DTMFMode", "have a number"),
    (_desk(params={"GLOBAL_CONFIG_MODULE": "Sip-Pw-1"}), {}, "params.GLOBAL_CONFIG_MODULE",
     "other parameters need an element"),
    (_desk(params={"SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].ID": "SIP9"}), {},
     "params.SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].ID", "the ID that names its entry"),
    # Another spelling of an entry the collection writes: the phone would read a second entry.
    (_desk(params={"SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[sip1].Register_Pswd": "Sip-Pw-1"}), {},
     "params.SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[sip1].Register_Pswd",
     "written by the collection from lines[0].password, spelled SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1]"
     ".Register_Pswd"),
    (_desk(params={"SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[sip1].DTMF_Mode": "2"}), {},
     "params.SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[sip1].DTMF_Mode",
     "names the entry SIP_Line_List_Entry[sip1], which this file writes SIP_Line_List_Entry[SIP1]"),
    (_desk(params={"SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP01].DTMF_Mode": "2"}), {},
     "params.SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP01].DTMF_Mode",
     "leading zero, write SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].DTMF_Mode"),
    (_exec(params={"sip.line[01].RegisterPswd": "Sip-Pw-1"}), {}, "params.sip.line[01].RegisterPswd",
     "leading zero, write sip.line[1].RegisterPswd"),
    (_exec(params={"sip.line[01].DTMFMode": "2"}), {}, "params.sip.line[01].DTMFMode", "leading zero, write sip.line[1].DTMFMode"),
    (_desk(params={"FUNCTION_KEY_MODULE.Function_Key_Entry[FKEY1].Type": "1",
                   "FUNCTION_KEY_MODULE.Function_Key_Entry[Fkey1].Value": "201"}), {},
     "params.FUNCTION_KEY_MODULE.Function_Key_Entry[Fkey1].Value",
     "names the entry Function_Key_Entry[Fkey1], which this file writes Function_Key_Entry[FKEY1]"),
    (_desk(params={"X.Y": True}), {}, "params.X.Y", "YAML read it as a boolean"),
    (_desk(params={"X.Y": "Sip-Pw-1\n"}), {}, "params.X.Y", "U+000A"),
    (_desk(model="X9", vendor="fanvil"), {}, "model", "known: H2U-V2"),
    (_desk(settings={"fanvil_config_format": "text"}), {}, "settings.fanvil_config_format", "voip_config_file"),
])
def test_bad_input_names_device_and_field(raw, defaults, field, words):
    with pytest.raises(ProvisioningError) as failure:
        load([raw], dict(DEFAULTS, **defaults))
    assert "device %s, field %s:" % (raw["name"], field) in str(failure.value)
    assert words in str(failure.value)
    assert "Sip-Pw-1" not in str(failure.value) and ADMIN not in str(failure.value)


def test_a_raw_param_may_not_replace_the_credentials():
    for name in (fanvil.PROVISIONING_USER, fanvil.PROVISIONING_PASSWORD):
        raw = dict(DEVICES_A[0], keys={"http_password": HTTP_KEY}, params={name: "x"})
        with pytest.raises(ProvisioningError, match=r"device desk, field params.%s: .* from settings.http_credentials"
                           % re.escape(name)):
            load([raw], dict(DEFAULTS, http_credentials=True))


def test_a_sysconf_device_cannot_be_served_by_servers_that_enforce_credentials():
    # With credentials on: refused, and the way out is form A; https restricted to the phones' network is no
    # way out while the servers ask for credentials on every <mac>.cfg.
    with pytest.raises(ProvisioningError) as failure:
        load([dict(DEVICES_B[0], keys={"http_password": HTTP_KEY})], dict(DEFAULTS, http_credentials=True))
    message = str(failure.value)
    assert message.startswith("device exec, field settings.http_credentials: is true, but the X210 reads <sysConf>")
    assert "Set fanvil_config_format: voip_config_file if the firmware reads that form" in message
    assert "cannot be served by servers that ask for per-device HTTP credentials" in message
    assert "answer 401 to every <mac>.cfg" in message and "does not change that" in message
    # With credentials off: the servers that ask for them would refuse its file; the message points at the page.
    inventory, fleet = load_fleet([dict(DEVICES_B[0], vendor="fanvil")], dict(DEFAULTS, allow_plain_credentials=True),
                                  None, None)
    with pytest.raises(ProvisioningError) as failure:
        render_fleet(inventory, fleet, http_credentials_enforced=True)
    assert str(failure.value).startswith("device exec, field settings.http_credentials: is off, but the servers")
    assert "a model that cannot take them cannot be served by these servers: docs/vendors/fanvil.md" in str(failure.value)
    # The page says so where it explains the <sysConf> limit.
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "vendors", "fanvil.md"),
              encoding="utf-8") as handle:
        page = " ".join(handle.read().split())
    assert "is not a way out while the servers ask for per-device credentials" in page


def test_a_sysconf_device_may_take_credentials_once_it_reads_form_a():
    raw = dict(DEVICES_B[0], keys={"http_password": HTTP_KEY}, settings={"fanvil_config_format": "voip_config_file"})
    files = render(*load([raw], dict(DEFAULTS, http_credentials=True)))
    assert xml_values(files["0c383e2cd782.cfg"].content)[0] == "VOIP_CONFIG_FILE"
    assert "0c383e2cd782-bootstrap.cfg" in files


# -- the description and the models ------------------------------------------------------------------


def test_description_passes_the_check_and_declares_no_encryption():
    assert check_description(DESCRIPTION) == []
    assert DESCRIPTION.encodings == {"cfg": ("plain",)}
    assert DESCRIPTION.client_certificate_mac == ()
    inventory, fleet = load(DEVICES_A)
    assert not any(RENDERER.can_encrypt(device) for device in fleet)


@pytest.mark.parametrize("agent, model, mac, firmware", [
    # The four User-Agents vendor-facts-more 4.6 gives (wazo-provd-plugins, FusionPBX).
    ("Fanvil X4 2.10.2.6887 0c383e07e16c", "X4", "0c383e07e16c", "2.10.2.6887"),
    ("Fanvil X6U Pro 0.0.10 0c383e2cd782", "X6U Pro", "0c383e2cd782", "0.0.10"),
    ("Fanvil X5U-V2 2.12.16.17 0c383e557eb1", "X5U-V2", "0c383e557eb1", "2.12.16.17"),
    ("Fanvil H2U-V2 2.12.0 0c383e32342e", "H2U-V2", "0c383e32342e", "2.12.0"),
])
def test_user_agents_name_model_firmware_and_a_fanvil_mac(agent, model, mac, firmware):
    assert DESCRIPTION.parse_user_agent(agent) == {"model": model, "mac": mac, "firmware": firmware}
    assert mac[:6] in DESCRIPTION.dhcp.ouis
    assert DESCRIPTION.parse_user_agent("Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37") is None


def test_dhcp_matches_the_ouis_only():
    dhcp = DESCRIPTION.dhcp
    assert dhcp.vendor_class == () and dhcp.match_type is None
    assert dhcp.ouis == ("00a859", "0c383e") and dhcp.options == (66, 43)


def test_models_table():
    assert len(MODELS) >= 10
    assert set(facts["series"] for facts in MODELS.values()) == {"X", "H"}
    # The form is the one wazo-provd-plugins picks: its regex for new X models, sysConf for the H2U-V2.
    new_model = re.compile(r"^X([4-9][UC]|(210i?)|7)([- ](Pro|V2))?$", re.IGNORECASE)
    for model, facts in MODELS.items():
        expected = "sysconf" if new_model.match(model) or model == "H2U-V2" else "voip_config_file"
        assert facts["format"] == expected, model
        assert vendor_for_model(model) == "fanvil", model
        assert facts["lines"] >= 1 and (facts["unsure"] is None) == (facts["lines"] > 1), model
        if facts["common_file"]:
            assert DESCRIPTION.device_path_mac("/" + facts["common_file"]) is None


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_renders_its_full_line_count(model):
    count = MODELS[model]["lines"]
    raw = {"name": "m", "mac": "0c:38:3e:00:00:10", "model": model,
           "lines": [{"extension": "7%02d" % index, "password": "pw-%d" % index} for index in range(count)]}
    files = render(*load([raw]))
    dummy, values = xml_values(files["0c383e000010.cfg"].content)
    passwords = sorted(value for name, value in values.items() if name.endswith(("Register_Pswd", "RegisterPswd")))
    assert passwords == sorted("pw-%d" % index for index in range(count))


# -- function keys, backup registrar, voice VLAN, settings not carried (issue 16) ------------

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors  # noqa: E402

KEYS_DEFAULTS = dict(DEFAULTS, sip_server_secondary="pbx2.example.net", vlan_id=20, vlan_priority=5)

KEYS = [
    {"type": "line", "line": 1},
    {"type": "blf", "value": "205", "label": "Reception"},
    {"type": "speed_dial", "value": "+49301234", "label": "Office 2", "line": 2},
    {"type": "none", "index": 5},
]


def keys_devices():
    return [
        # Form A.
        {"name": "desk", "mac": "0c:38:3e:07:e1:6c", "model": "X4",
         "lines": [{"extension": "201", "password": "Sip-Pw-201"}], "settings": {"function_keys": KEYS[:2] + KEYS[3:]}},
        # Form B: keys 1-3 beside the display, then pages of 6; two lines, the second with its own backup.
        {"name": "exec", "mac": "0c:38:3e:2c:d7:82", "model": "X4U",
         "lines": [{"extension": "401", "password": "Sip-Pw-401"},
                   {"extension": "402", "password": "Sip-Pw-402", "transport": "tcp", "sip_port": 5070,
                    "sip_server_secondary": "pbx3.example.net"}],
         "settings": {"function_keys": KEYS + [{"type": "blf", "value": "206", "index": 10}]}},
    ]


def keys_files():
    inventory, fleet = load_fleet(keys_devices(), KEYS_DEFAULTS)
    assert inventory.warnings() == []
    return render(inventory, fleet)


def test_flow_keys_golden():
    check_golden("keys", keys_files())


def test_each_key_type_becomes_its_function_key_entry():
    files = keys_files()
    dummy, values = phone_reads(files, "0c383e07e16c", "X4")
    entry = "PHONE_CONFIG_MODULE.Function_Key.Function_Key_Entry[Fkey%d]."
    assert {name: value for name, value in values.items() if name.startswith("PHONE_CONFIG_MODULE.")} == {
        entry % 1 + "Type": "2", entry % 1 + "Value": "SIP1", entry % 1 + "Title": "",
        entry % 2 + "Type": "1", entry % 2 + "Value": "205@1/ba", entry % 2 + "Title": "Reception",
        entry % 5 + "Type": "0", entry % 5 + "Value": "", entry % 5 + "Title": ""}
    # The strict decoder reads back what the XML parser reads.
    root = formats.parse(files["0c383e07e16c.cfg"].content, formats.VOIP_CONFIG_FILE)
    assert dict(formats.flatten(root, formats.VOIP_CONFIG_FILE))[entry % 2 + "Value"] == "205@1/ba"


def test_a_sysconf_file_puts_the_first_keys_beside_the_display_and_pages_the_rest():
    files = keys_files()
    dummy, values = phone_reads(files, "0c383e2cd782", "X4U")
    assert {name: value for name, value in values.items() if name.startswith("dsskey.")} == {
        "dsskey.dssSide[1].Fkey[1].Type": "2", "dsskey.dssSide[1].Fkey[1].Value": "SIP1",
        "dsskey.dssSide[1].Fkey[1].Title": "",
        "dsskey.dssSide[1].Fkey[2].Type": "1", "dsskey.dssSide[1].Fkey[2].Value": "205@1/ba",
        "dsskey.dssSide[1].Fkey[2].Title": "Reception",
        "dsskey.dssSide[1].Fkey[3].Type": "1", "dsskey.dssSide[1].Fkey[3].Value": "+49301234@2/f",
        "dsskey.dssSide[1].Fkey[3].Title": "Office 2",
        # Key 5 is the second of the first page, key 10 the first of the second (6 a page).
        "dsskey.internal[1].Fkey[2].Type": "0", "dsskey.internal[1].Fkey[2].Value": "",
        "dsskey.internal[1].Fkey[2].Title": "",
        "dsskey.internal[2].Fkey[1].Type": "1", "dsskey.internal[2].Fkey[1].Value": "206@1/ba",
        "dsskey.internal[2].Fkey[1].Title": "",
        "dsskey.FuncKeyPageNum": "2"}
    root = formats.parse(files["0c383e2cd782.cfg"].content, formats.SYSCONF)
    assert dict(formats.flatten(root, formats.SYSCONF))["dsskey.internal[2].Fkey[1].Value"] == "206@1/ba"


def test_backup_registrar_per_line_and_voice_vlan_in_both_forms():
    files = keys_files()
    dummy, values = phone_reads(files, "0c383e07e16c", "X4")
    entry = "SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1]."
    assert (values[entry + "Backup_Addr"], values[entry + "Backup_Port"], values[entry + "Backup_Transpo"]) == (
        "pbx2.example.net", "5060", "0")
    assert {name: value for name, value in values.items() if name.startswith("QOS_CONFIG_MODULE.")} == {
        "QOS_CONFIG_MODULE.Enable_VLAN": "1", "QOS_CONFIG_MODULE.VLAN_ID": "20",
        "QOS_CONFIG_MODULE.Signalling_Priority": "5", "QOS_CONFIG_MODULE.Voice_Priority": "5"}
    dummy, values = phone_reads(files, "0c383e2cd782", "X4U")
    assert [(values["sip.line[%d].BackupAddr" % n], values["sip.line[%d].BackupPort" % n],
             values["sip.line[%d].BackupTransport" % n]) for n in (1, 2)] == [
        ("pbx2.example.net", "5060", "0"), ("pbx3.example.net", "5070", "1")]
    assert {name: value for name, value in values.items() if name.startswith("qos.")} == {
        "qos.EnableVLAN": "1", "qos.VLANID": "20", "qos.SignallingPriority": "5", "qos.VoicePriority": "5"}


def test_no_keys_backup_or_vlan_without_the_settings():
    for devices in (DEVICES_A, DEVICES_B):
        for item in render(*load(devices, models=MODELS_B if devices is DEVICES_B else None)).values():
            assert not re.search(rb"Backup|VLAN|Function_Key|dsskey", item.content), item.path


def fanvil_fleet_error(raws, defaults=None, models_=None):
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet(raws, dict(DEFAULTS) if defaults is None else defaults, None, models_)
    return errors.value.errors


def test_a_type_fanvil_cannot_carry_names_device_field_and_model():
    errors = fanvil_fleet_error([_desk(settings={"function_keys": [{"type": "line"}, {"type": "park", "value": "700"}]})])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.function_keys[1].type")]
    assert "model X4 cannot carry a park key" in str(errors[0])
    # A <sysConf> model whose key layout no source gives carries none.
    errors = fanvil_fleet_error([_desk(model="X7", settings={"function_keys": [{"type": "line"}]})])
    assert [(error.field, "model X7 cannot carry a line key; it carries none" in str(error)) for error in errors] == [
        ("settings.function_keys[0].type", True)]


def test_a_key_value_or_title_fanvil_cannot_carry_names_the_key_s_field():
    errors = fanvil_fleet_error([_desk(settings={"function_keys": [{"type": "blf", "value": "205@pbx"}]})])
    assert [(error.field, "cannot carry" in str(error)) for error in errors] == [("settings.function_keys[0].value", True)]
    errors = fanvil_fleet_error([_desk(settings={"function_keys": [{"type": "blf", "value": "205", "label": "R&D"}]})])
    assert [(error.field, "letters, digits, _ and spaces" in str(error)) for error in errors] == [
        ("settings.function_keys[0].label", True)]


def test_a_raw_param_may_not_overwrite_a_mapped_key_or_backup():
    raw = _desk(settings={"function_keys": [{"type": "blf", "value": "205"}], "sip_server_secondary": "pbx2"},
                params={"PHONE_CONFIG_MODULE.Function_Key.Function_Key_Entry[Fkey1].Value": "206@1/ba"})
    errors = fanvil_fleet_error([raw])
    assert [(error.device, error.field) for error in errors] == [
        ("desk", "params.PHONE_CONFIG_MODULE.Function_Key.Function_Key_Entry[Fkey1].Value")]
    assert "settings.function_keys[0].value" in str(errors[0])
    raw = _desk(settings={"sip_server_secondary": "pbx2"},
                params={"SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Backup_Addr": "pbx9"})
    assert [error.field for error in fanvil_fleet_error([raw])] == [
        "params.SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Backup_Addr"]


def test_a_bad_backup_registrar_names_its_field():
    raw = _desk()
    raw["lines"][0]["sip_server_secondary"] = "pbx 2"
    assert [(error.device, error.field) for error in fanvil_fleet_error([raw])] == [("desk", "lines[0].sip_server_secondary")]


def test_the_settings_fanvil_files_ignore_are_reported():
    settings_ = {"resync_interval": 60, "firmware_version": "2.12", "encryption_digest": "sha256",
                 "outbound_proxy": "sbc.example.net", "firmware_url": "https://fw.example.net/x.z"}
    inventory, fleet = load_fleet([_desk(settings=dict(settings_)), _exec(settings=dict(settings_, resync_interval=None,
                                                                                        resync_spread=[60, 120]))],
                                  dict(DEFAULTS))
    reasons = RENDERER.settings_not_carried(fleet[1])
    assert inventory.warnings() == [
        "1 fanvil device(s) do not get settings.encryption_digest: %s (desk, exec)".replace("1 ", "2 ") % reasons[
            "encryption_digest"],
        "1 fanvil device(s) do not get settings.firmware_url: %s (exec)" % reasons["firmware_url"],
        "2 fanvil device(s) do not get settings.firmware_version: %s (desk, exec)" % reasons["firmware_version"],
        "2 fanvil device(s) do not get settings.outbound_proxy: %s (desk, exec)" % reasons["outbound_proxy"],
        "1 fanvil device(s) do not get settings.resync_interval: %s (desk)" % reasons["resync_interval"],
        "1 fanvil device(s) do not get settings.resync_spread: %s (exec)" % reasons["resync_spread"],
    ]
    # Form A writes the firmware URL.
    assert "firmware_url" not in RENDERER.settings_not_carried(fleet[0])
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([_desk(settings={"outbound_proxy": "sbc.example.net"})], dict(DEFAULTS), strict=True)
    assert [(error.device, error.field) for error in errors.value.errors] == [("desk", "settings.outbound_proxy")]


def test_dst_zones_and_tls_stay_errors():
    errors = fanvil_fleet_error([_desk(settings={"timezone": "Europe/Berlin"})])
    assert [error.field for error in errors] == ["settings.timezone"]
    errors = fanvil_fleet_error([_desk(lines=[{"extension": "201", "password": "Sip-Pw-1", "transport": "tls"}])])
    assert [error.field for error in errors] == ["lines[0].transport"]


# -- a language a file cannot carry -------------------------------------------------------------------

LANGUAGE_REASONS = {
    "X4": "no numeric Language value for ja; known: de, en, es, fr, it, nl (set GLOBAL_CONFIG_MODULE.Language in params)",
    "H5": "the sources give no numeric Language code for the H5 in a <VOIP_CONFIG_FILE> file (the X-series table only; "
          "set GLOBAL_CONFIG_MODULE.Language in params)",
    "X210": "no DefaultLanguage value for ja; known: ar, de, en, es, fr, he, hr, it, ko, nl, pl, pt, ru, tr (set "
            "phone.display.DefaultLanguage in params for another)",
}


@pytest.mark.parametrize("raw", [_desk(), _desk(model="H5"), _exec()], ids=["X4", "H5", "X210"])
def test_a_language_the_file_cannot_carry_is_reported_and_written_in_no_file(raw):
    inventory, fleet = load_fleet([raw], dict(DEFAULTS, language="ja"))
    assert inventory.warnings() == ["1 fanvil device(s) do not get settings.language: %s (%s)" % (
        LANGUAGE_REASONS[raw["model"]], raw["name"])]
    files = render(inventory, fleet)
    assert not [name for name, item in files.items() if b"Language" in item.content]
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([raw], dict(DEFAULTS, language="ja"), strict=True)
    assert [(error.device, error.field, error.message) for error in errors.value.errors] == [
        (raw["name"], "settings.language", "fanvil devices do not get this setting: %s (sipfleet_strict is true; unset "
                                           "it for this device or model)" % LANGUAGE_REASONS[raw["model"]])]


def test_a_language_the_file_carries_is_written_and_not_reported():
    inventory, fleet = load_fleet([_desk(), _exec()], dict(DEFAULTS, language="nl"))
    assert inventory.warnings() == []
    files = render(inventory, fleet)
    assert phone_reads(files, "0c383e07e16c", "X4")[1]["GLOBAL_CONFIG_MODULE.Language"] == "3"
    assert phone_reads(files, "0c383e2cd782", "X210")[1]["phone.display.DefaultLanguage"] == "nl"
