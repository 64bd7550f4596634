# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Panasonic renderer: golden files, parse-back, the first-file-wins split and the key flow.

Golden files live in ``golden/panasonic/<flow>/`` as ``<served path>.bin``
(the exact bytes; ``.bin`` because the files have CR LF line ends, which
ansible-test's line-endings check rejects in text files), with
``<served path>.plaintext.bin`` next to each encrypted file for review.
A key carrier's ``after_window`` replacement (served at the same path once
the window has closed) is stored as ``<served path>.after-window.bin``.
Regenerate them with ``SIPFLEET_REGENERATE_GOLDEN=1`` and check the diff by
hand against the Panasonic administrator guides before committing.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import armour
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic import renderer as pana
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import decrypt
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import ProfileFile, select_window_files
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

RENDERER = pana.RENDERER
GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "panasonic")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

KEY_1 = "00112233445566778899aabbccddeeff"
KEY_2 = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

_PARAM_LINE_RE = re.compile(r'^([A-Z0-9_]+)="([^"]*)"$')


def vendor_for_model(model):
    return "panasonic" if RENDERER.model_info(model) is not None else None


def load(devices, defaults=None, sites=None, models=None):
    """Validate like the registry does: build every device, then validate the whole fleet."""
    inventory = Inventory(defaults, sites, models)
    fleet = [build_device(raw, index, inventory, vendor_for_model) for index, raw in enumerate(devices)]
    for device in fleet:
        RENDERER.validate(device, inventory)
    return inventory, fleet


#: Suffix of the key under which :func:`render` keeps an after_window file.
AFTER = ".after-window"


def render(inventory, fleet):
    """``{path: ProfileFile}`` (an after_window file under ``path + AFTER``); a path rendered twice is a test failure."""
    files = {}
    for device in fleet:
        for item in RENDERER.render_device(device, inventory):
            name = item.path + AFTER if item.after_window else item.path
            assert name not in files, name
            files[name] = item
    for item in RENDERER.render_shared(fleet, inventory):
        assert item.path not in files, item.path
        files[item.path] = item
    return files


def parse_cfg(data):
    """Read a Panasonic text file back, checking the format rules on the way; returns ``{name: value}``."""
    assert data.endswith(b"\r\n\r\n"), "the file must end with an empty line"
    lines = data.decode("utf-8").split("\r\n")
    # split() leaves "" after the last CR LF; the line before it is the empty last line.
    assert lines.pop() == ""
    assert lines[-1] == ""
    assert lines[0] == pana.HEADER
    assert lines[0].startswith("# Panasonic SIP Phone Standard Format File #")
    params = {}
    for line in lines:
        assert "\r" not in line and "\n" not in line
        assert len(line.encode("utf-8")) + 2 <= 537, line
    for line in lines[1:-1]:
        match = _PARAM_LINE_RE.match(line)
        assert match, "not a NAME=\"value\" line: %r" % line
        assert match.group(1) not in params, "parameter %s twice" % match.group(1)
        params[match.group(1)] = match.group(2)
    return params


def phone_view(files, device, standard=None):
    """What the phone ends up with: standard, product, master file in that order, the first file to set a name wins.

    ``standard`` is the content of the standard file (default: the plain Config<MAC>.cfg).
    """
    view = {}
    if standard is None:
        standard = files[RENDERER.standard_path(device)].content
    for content in (standard, files["Config%s.cfg" % device.model].content, files["ConfigCom.cfg"].content):
        for name, value in parse_cfg(content).items():
            view.setdefault(name, value)
    return view


def check_golden(flow, files):
    """Compare every rendered file (and the plaintext of encrypted ones) byte for byte with golden/panasonic/<flow>/."""
    directory = os.path.join(GOLDEN, flow)
    wanted = {}
    for name, item in files.items():
        wanted[name + ".bin"] = item.content
        if item.plaintext is not None:
            wanted[name + ".plaintext.bin"] = item.plaintext
    if REGENERATE:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        for name, content in wanted.items():
            with open(os.path.join(directory, name), "wb") as handle:
                handle.write(content)
    assert sorted(os.listdir(directory)) == sorted(wanted)
    for name, content in wanted.items():
        with open(os.path.join(directory, name), "rb") as handle:
            assert handle.read() == content, "%s/%s differs from the golden file" % (flow, name)


# -- flow 1: the per-model bootstrap ------------------------------------------

BOOTSTRAP_DEFAULTS = {
    "sip_server": "pbx.example.net",
    "provisioning_url": "http://prov.example.net/panasonic/",
    "encrypt_profiles": False,
}


def bootstrap_files():
    devices = [
        {"name": "desk", "mac": "00:80:f0:c8:c3:81", "model": "kx-ut133", "lines": [{"extension": "201", "password": "pw-201"}]},
        {"name": "hall", "mac": "00:80:f0:c8:c3:82", "model": "KX-HDV230", "lines": [{"extension": "202", "password": "pw-202"}]},
    ]
    inventory, fleet = load(devices, BOOTSTRAP_DEFAULTS)
    files = render(inventory, fleet)
    return dict((path, item) for path, item in files.items() if path in ("KX-UT133.cfg", "KX-HDV230.cfg"))


def test_flow_bootstrap_golden():
    check_golden("bootstrap", bootstrap_files())


def test_bootstrap_points_at_the_three_files():
    files = bootstrap_files()
    assert sorted(files) == ["KX-HDV230.cfg", "KX-UT133.cfg"]
    params = parse_cfg(files["KX-UT133.cfg"].content)
    assert params == {
        "CFG_STANDARD_FILE_PATH": "http://prov.example.net/panasonic/Config{MAC}.cfg",
        "CFG_PRODUCT_FILE_PATH": "http://prov.example.net/panasonic/ConfigKX-UT133.cfg",
        "CFG_MASTER_FILE_PATH": "http://prov.example.net/panasonic/ConfigCom.cfg",
    }
    item = files["KX-UT133.cfg"]
    assert item.device is None and item.role == "model" and not item.secret


def test_bootstrap_with_credentials_in_the_url_is_secret():
    defaults = dict(BOOTSTRAP_DEFAULTS, provisioning_url="https://prov:Secret@prov.example.net")
    inventory, fleet = load([{"mac": "00:80:f0:c8:c3:81", "model": "KX-UT133"}], defaults)
    assert render(inventory, fleet)["KX-UT133.cfg"].secret


# -- flow 2: the plain first-file-wins split ----------------------------------

SPLIT_DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "language": "en",
    "admin_password": "Admin-Secret",
    "provisioning_url": "http://prov.example.net/panasonic",
    "resync_interval": 60,
    "encrypt_profiles": False,
}
SPLIT_SITES = {"hamburg": {"ntp_server": "ntp.hamburg.example.net"}}
SPLIT_MODELS = {
    "KX-UT133": {"syslog_server": "syslog.example.net"},
    "kx-hdv130": {"language": "de", "firmware_url": "http://fw.example.net/pana/KX-HDV130.fw", "firmware_version": "05.100"},
}


def split_devices():
    return [
        {"name": "desk-1", "mac": "00:80:f0:00:00:01", "model": "KX-UT133",
         "lines": [{"extension": "201", "password": "Sip-Secret-201", "display_name": "Anna Schmidt"},
                   {"extension": "209", "password": "Sip-Secret-209", "auth_user": "auth209", "transport": "tcp"}]},
        {"name": "desk-2", "mac": "00:80:f0:00:00:02", "model": "KX-UT133", "site": "hamburg",
         "lines": [{"extension": "202", "password": "Sip-Secret-202", "display_name": "Jörg Müller"}],
         "settings": {"language": "fr", "outbound_proxy": "sbc.example.net:5070"},
         "params": {"SIP_PRSNC_ADDR_1": "presence.example.net"}},
        {"name": "lobby", "mac": "00:80:f0:00:00:03", "model": "KX-HDV130",
         "lines": [{"extension": "203", "password": "Sip-Secret-203"}]},
    ]


def split_files():
    inventory, fleet = load(split_devices(), SPLIT_DEFAULTS, SPLIT_SITES, SPLIT_MODELS)
    return fleet, render(inventory, fleet)


def test_flow_split_golden():
    dummy, files = split_files()
    check_golden("split", files)


def test_a_device_s_params_are_built_once_a_run(monkeypatch):
    built = []
    line_params = RENDERER._line_params
    monkeypatch.setattr(RENDERER, "_line_params", lambda mapper, device: built.append(device.label)
                        or line_params(mapper, device))
    fleet, files = split_files()
    # Validation, the split, the resync interval and the rendering ask five times; the files are the golden ones.
    assert sorted(built) == sorted(device.label for device in fleet)
    check_golden("split", files)


def test_split_files_and_roles():
    dummy, files = split_files()
    assert sorted(files) == [
        "Config0080F0000001.cfg", "Config0080F0000002.cfg", "Config0080F0000003.cfg",
        "ConfigCom.cfg", "ConfigKX-HDV130.cfg", "ConfigKX-UT133.cfg", "KX-HDV130.cfg", "KX-UT133.cfg",
    ]
    for path, item in files.items():
        if path.startswith("Config0080"):
            assert item.role == "profile" and item.secret and item.device is not None and item.plaintext is None
        else:
            assert item.device is None and not item.secret
    assert files["ConfigCom.cfg"].role == "common"
    assert files["ConfigKX-UT133.cfg"].role == "model"


def test_split_puts_each_value_where_it_belongs():
    dummy, files = split_files()
    common = parse_cfg(files["ConfigCom.cfg"].content)
    ut133 = parse_cfg(files["ConfigKX-UT133.cfg"].content)
    hdv130 = parse_cfg(files["ConfigKX-HDV130.cfg"].content)
    desk_1 = parse_cfg(files["Config0080F0000001.cfg"].content)
    desk_2 = parse_cfg(files["Config0080F0000002.cfg"].content)
    lobby = parse_cfg(files["Config0080F0000003.cfg"].content)
    # Fleet-wide values once, in the master file.
    assert common["NTP_ADDR"] == "ntp.example.net" and common["DEFAULT_LANGUAGE"] == "en"
    assert common["TIME_ZONE"] == "60" and common["CFG_CYCLIC_INTVL"] == "60"
    # Model values in the product file, only where they differ from the master file.
    assert ut133 == {"SYSLOG_ADDR": "syslog.example.net"}
    assert hdv130 == {"DEFAULT_LANGUAGE": "de", "FIRM_UPGRADE_ENABLE": "Y",
                      "FIRM_FILE_PATH": "http://fw.example.net/pana/KX-HDV130.fw", "FIRM_VERSION": "05.100"}
    # A site's and a device's own values in the standard file, which the phone reads first.
    assert desk_2["NTP_ADDR"] == "ntp.hamburg.example.net" and desk_2["DEFAULT_LANGUAGE"] == "fr"
    assert "NTP_ADDR" not in desk_1 and "DEFAULT_LANGUAGE" not in desk_1 and "DEFAULT_LANGUAGE" not in lobby
    # Secrets never leave the device's own file.
    for shared in (common, ut133, hdv130):
        assert "ADMIN_PASS" not in shared and not any(name.startswith("SIP_PASS") for name in shared)
    for own in (desk_1, desk_2, lobby):
        assert own["ADMIN_PASS"] == "Admin-Secret"
    for item in files.values():
        if item.device is None:
            assert b"Secret" not in item.content
    assert desk_1["SIP_PASS_2"] == "Sip-Secret-209" and desk_1["SIP_AUTHID_2"] == "auth209" and desk_1["SIP_TRANSPORT_2"] == "1"
    assert desk_2["DISPLAY_NAME_1"] == "Jörg Müller"
    assert desk_2["SIP_OUTPROXY_ADDR_1"] == "sbc.example.net" and desk_2["SIP_OUTPROXY_PORT_1"] == "5070"
    assert desk_2["SIP_PRSNC_ADDR_1"] == "presence.example.net"
    assert desk_1["CFG_STANDARD_FILE_PATH"] == "http://prov.example.net/panasonic/Config0080F0000001.cfg"


def test_split_first_file_wins_gives_each_phone_exactly_its_values():
    fleet, files = split_files()
    for device in fleet:
        own = dict((param.name, param.value) for param in RENDERER.device_params(device))
        view = phone_view(files, device)
        for name in ("CFG_STANDARD_FILE_PATH", "CFG_PRODUCT_FILE_PATH", "CFG_MASTER_FILE_PATH"):
            view.pop(name)
        assert view == own, device.label


_POOLS = {
    "ntp_server": ["ntp-a.example.net", "ntp-b.example.net"],
    "language": ["en", "de"],
    "resync_interval": [30, 60],
    "timezone": ["CET-1CEST,M3.5.0,M10.5.0/3", "UTC0", "EST5EDT,M3.2.0,M11.1.0"],
    "resync_spread": [[10, 20]],
}


def _level():
    return st.fixed_dictionaries({}, optional=dict((name, st.sampled_from(values)) for name, values in _POOLS.items()))


@settings(max_examples=200, deadline=None)
@given(defaults=_level(), site=_level(), models=st.fixed_dictionaries({"KX-UT133": _level(), "KX-HDV130": _level()}),
       devices=st.lists(st.tuples(st.sampled_from(["KX-UT133", "KX-HDV130"]), st.booleans(), _level()), min_size=1, max_size=5))
def test_split_is_right_for_any_fleet(defaults, site, models, devices):
    """Whatever level sets a value, the phone's first-file-wins view is exactly its own mapping."""
    defaults = dict(defaults, sip_server="pbx.example.net", provisioning_url="http://prov.example.net", encrypt_profiles=False)
    raw = [{"mac": "00:80:f0:00:01:%02x" % index, "model": model, "site": "s1" if in_site else None, "settings": own,
            "lines": [{"extension": "2%02d" % index, "password": "pw"}]}
           for index, (model, in_site, own) in enumerate(devices)]
    inventory, fleet = load(raw, defaults, {"s1": site}, models)
    files = render(inventory, fleet)
    for device in fleet:
        own = dict((param.name, param.value) for param in RENDERER.device_params(device))
        view = phone_view(files, device)
        for name, value in own.items():
            assert view[name] == value, (device.label, name)
        extra = set(view) - set(own) - {"CFG_STANDARD_FILE_PATH", "CFG_PRODUCT_FILE_PATH", "CFG_MASTER_FILE_PATH"}
        # A shared file may only add daylight-saving rules, which a phone with DST_ENABLE="N" ignores.
        assert all(name.startswith(("DST_START_", "DST_STOP_", "DST_OFFSET")) for name in extra), extra
        if extra:
            assert view["DST_ENABLE"] == "N"


def test_shared_files_do_not_depend_on_device_order():
    inventory, fleet = load(split_devices(), SPLIT_DEFAULTS, SPLIT_SITES, SPLIT_MODELS)
    one = render(inventory, fleet)
    two = render(inventory, list(reversed(fleet)))
    assert sorted((path, item.content) for path, item in one.items()) == sorted((path, item.content) for path, item in two.items())


# -- flow 3: the key flow -----------------------------------------------------

KEY_DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "EST5EDT,M3.2.0,M11.1.0",
    "admin_password": "Admin-Secret",
    "provisioning_url": "http://prov.example.net",
    "resync_spread": [60, 120],
}


def key_devices():
    return [
        {"name": "desk", "mac": "00:80:f0:c8:c3:81", "model": "KX-UTG300",
         "lines": [{"extension": "301", "password": "Sip-Secret-301", "display_name": "Front desk"}],
         "keys": {"cfg_file_key": KEY_1}},
        {"name": "dect", "mac": "00:80:f0:c8:c3:82", "model": "KX-UTG200",
         "lines": [{"extension": "302", "password": "Sip-Secret-302"}],
         "settings": {"encryption_digest": "sha256"},
         "keys": {"cfg_file_key": KEY_2}},
    ]


def key_files():
    inventory, fleet = load(key_devices(), KEY_DEFAULTS)
    return fleet, render(inventory, fleet)


def test_flow_encrypted_golden():
    dummy, files = key_files()
    check_golden("encrypted", files)


def test_key_specs():
    inventory, fleet = load(key_devices(), KEY_DEFAULTS)
    assert RENDERER.key_specs(fleet[0]) == {"cfg_file_key": 16}
    inventory, fleet = load(split_devices(), SPLIT_DEFAULTS, SPLIT_SITES, SPLIT_MODELS)
    assert RENDERER.key_specs(fleet[0]) == {}


def test_key_file_is_plain_and_secret_and_carries_only_the_key():
    dummy, files = key_files()
    item = files["Config0080F0C8C381.cfg"]
    assert item.role == "bootstrap" and item.secret and item.device == "desk" and item.plaintext is None
    params = parse_cfg(item.content)
    assert params["CFG_FILE_KEY"] == KEY_1 and params["CFG_FILE_KEY_LENGTH"] == "256"
    assert params["CFG_STANDARD_FILE_PATH"] == "http://prov.example.net/Config0080F0C8C381.enc"
    assert params["CFG_PRODUCT_FILE_PATH"] == "http://prov.example.net/ConfigKX-UTG300.cfg"
    assert params["CFG_MASTER_FILE_PATH"] == "http://prov.example.net/ConfigCom.cfg"
    assert b"Sip-Secret" not in item.content and b"Admin-Secret" not in item.content
    # The short bootstrap-phase interval: the phone fetches its encrypted profile within minutes.
    assert params["CFG_CYCLIC"] == "Y" and params["CFG_CYCLIC_INTVL"] == str(pana.BOOTSTRAP_RESYNC_MINUTES) == "5"


@pytest.mark.parametrize("path, key, digest", [
    ("Config0080F0C8C381.enc", KEY_1, "md5"),
    ("Config0080F0C8C382.enc", KEY_2, "sha256"),
])
def test_encrypted_profile_decrypts_with_openssl(path, key, digest):
    dummy, files = key_files()
    item = files[path]
    assert item.role == "profile" and not item.secret and item.plaintext is not None
    assert b"Sip-Secret" not in item.content and b"Admin-Secret" not in item.content
    code, out, err = openssl_cli.dec(item.content, base64_armor=True, password=key, digest=digest)
    assert code == 0, err
    assert out == item.plaintext
    params = parse_cfg(out)
    assert params["SIP_PASS_1"].startswith("Sip-Secret-30") and params["ADMIN_PASS"] == "Admin-Secret"
    assert params["CFG_STANDARD_FILE_PATH"] == "http://prov.example.net/" + path
    assert "CFG_FILE_KEY" not in params
    # The wrong digest does not give the plaintext back.
    other = "sha256" if digest == "md5" else "md5"
    code, out, err = openssl_cli.dec(item.content, base64_armor=True, password=key, digest=other)
    assert code != 0 or out != item.plaintext


def test_armor_is_what_openssl_enc_a_writes():
    dummy, files = key_files()
    content = files["Config0080F0C8C381.enc"].content
    lines = content.split(b"\n")
    assert lines.pop() == b""
    assert all(len(line) == 64 for line in lines[:-1]) and 0 < len(lines[-1]) <= 64
    assert base64.b64decode(content).startswith(b"Salted__")
    # Same layout as the real CLI: re-armouring openssl's own -a output gives it back unchanged.
    reference = openssl_cli.enc(b"x" * 1000, base64_armor=True, password=KEY_1, digest="md5")
    assert armour(base64.b64decode(reference)) == reference
    assert pana._armored_size(1000) == len(reference)  # pylint: disable=protected-access
    assert decrypt(base64.b64decode(content), password=KEY_1, digest="md5") == files["Config0080F0C8C381.enc"].plaintext


def test_both_phases_of_the_key_flow():
    """Phase 1: key file + shared files give the key and the path of the encrypted file; phase 2: everything else."""
    fleet, files = key_files()
    for device, key in zip(fleet, (KEY_1, KEY_2)):
        first = phone_view(files, device)
        assert first["CFG_FILE_KEY"] == key
        assert first["CFG_STANDARD_FILE_PATH"].endswith("/" + RENDERER.encrypted_path(device))
        assert not any(name.startswith("SIP_PASS") or name == "ADMIN_PASS" for name in first)
        second = phone_view(files, device, standard=files[RENDERER.encrypted_path(device)].plaintext)
        assert second.pop("CFG_STANDARD_FILE_PATH") == first["CFG_STANDARD_FILE_PATH"]
        second.pop("CFG_PRODUCT_FILE_PATH")
        second.pop("CFG_MASTER_FILE_PATH")
        assert second == dict((param.name, param.value) for param in RENDERER.device_params(device))
        # The key file's short interval is replaced by the device's own (resync_spread: 60 to 120).
        assert first["CFG_CYCLIC_INTVL"] == "5"
        assert second["CFG_CYCLIC"] == "Y" and 60 <= int(second["CFG_CYCLIC_INTVL"]) <= 120


def test_encryption_is_deterministic():
    dummy, one = key_files()
    dummy, two = key_files()
    assert [(path, item.content) for path, item in sorted(one.items())] == [(path, item.content) for path, item in sorted(two.items())]


def test_encrypted_fleet_shares_no_secret():
    dummy, files = key_files()
    assert sorted(files) == [
        "Config0080F0C8C381.cfg", "Config0080F0C8C381.cfg" + AFTER, "Config0080F0C8C381.enc",
        "Config0080F0C8C382.cfg", "Config0080F0C8C382.cfg" + AFTER, "Config0080F0C8C382.enc",
        "ConfigCom.cfg", "ConfigKX-UTG200.cfg", "ConfigKX-UTG300.cfg", "KX-UTG200.cfg", "KX-UTG300.cfg",
    ]
    for item in files.values():
        if item.device is None:
            assert b"Secret" not in item.content and KEY_1.encode() not in item.content and KEY_2.encode() not in item.content
            parse_cfg(item.content)


def test_missing_key_is_an_error_naming_device_and_field():
    devices = key_devices()
    del devices[0]["keys"]
    inventory, fleet = load(devices, KEY_DEFAULTS)
    with pytest.raises(ProvisioningError, match=r"^device desk, field keys\.cfg_file_key: missing secret"):
        RENDERER.render_device(fleet[0], inventory)


def test_malformed_key_is_an_error():
    devices = key_devices()
    devices[0]["keys"]["cfg_file_key"] = KEY_1 * 2
    with pytest.raises(ProvisioningError, match=r"^device desk, field keys\.cfg_file_key: must be 32 hex digits"):
        load(devices, KEY_DEFAULTS)


# -- bad input ----------------------------------------------------------------

def one_device(**changes):
    device = {"name": "desk", "mac": "00:80:f0:c8:c3:81", "model": "KX-UT133",
              "lines": [{"extension": "201", "password": "pw-201"}]}
    device.update(changes)
    return device


@pytest.mark.parametrize("device, defaults, pattern", [
    (one_device(model="KX-XX999"), {}, r"^device desk, field model: unknown model 'KX-XX999'"),
    (one_device(model="GXP9999", vendor="panasonic"), {}, r"^device desk, field model: 'GXP9999' does not look like a Panasonic"),
    (one_device(lines=[{"extension": "201", "password": "pw"}] * 3, model="KX-UT113"), {},
     r"^device desk, field lines\[2\]: the KX-UT113 has 2 line"),
    (one_device(lines=[{"extension": "201"}]), {}, r"^device desk, field lines\[0\]\.password: is required"),
    (one_device(params={"sip_pass_1": "x"}), {}, r"^device desk, field params\.sip_pass_1: 'sip_pass_1' is not a Panasonic"),
    (one_device(params={"A" * 33: "x"}), {}, r"^device desk, field params\.A{33}: parameter names have at most 32"),
    (one_device(params={"CFG_FILE_KEY": "x"}), {}, r"^device desk, field params\.CFG_FILE_KEY: CFG_FILE_KEY is written by"),
    (one_device(params={"CFG_STANDARD_FILE_PATH": "x"}), {}, r"^device desk, field params\.CFG_STANDARD_FILE_PATH: .*provisioning_url"),
    (one_device(params={"VM_NUMBER_1": True}), {}, r"^device desk, field params\.VM_NUMBER_1: must be a string, but YAML read it as a boolean"),
    (one_device(params={"VM_NUMBER_1": ["1"]}), {}, r"^device desk, field params\.VM_NUMBER_1: must be a string, got list$"),
    (one_device(params={"VM_NUMBER_1": None}), {}, r"^device desk, field params\.VM_NUMBER_1: must be a string, got null"),
    (one_device(params={"VM_NUMBER_1": 'say "hi"'}), {}, r"^device desk, field params\.VM_NUMBER_1: contains a double quote"),
    (one_device(settings={"resync_interval": 50000}), {},
     r"^device desk, field settings\.resync_interval: must be from 1 to 40320 minutes"),
    (one_device(settings={"resync_spread": [100, 50000]}), {}, r"^device desk, field settings\.resync_spread: must stay within"),
    (one_device(settings={"timezone": "<+14>-14"}), {}, r"^device desk, field settings\.timezone: UTC offset \+840 minutes"),
    (one_device(settings={"timezone": "CET-1CEST,M3.5.0/25,M10.5.0/3"}), {},
     r"^device desk, field settings\.timezone: daylight-saving change at minute 1500"),
    (one_device(settings={"language": "german"}), {}, r"^device desk, field settings\.language: 'german' is not a two-letter"),
    (one_device(settings={"ntp_server": "ntp example"}), {}, r"^device desk, field settings\.ntp_server: 'ntp example' is not a host"),
    (one_device(settings={"outbound_proxy": "sbc:99999"}), {}, r"^device desk, field settings\.outbound_proxy: 'sbc:99999' has a port"),
    (one_device(settings={"firmware_url": "ftp://fw"}), {}, r"^device desk, field settings\.firmware_url: 'ftp://fw' is not a URL"),
    (one_device(lines=[{"extension": "201", "password": "pw", "sip_server": "pbx;evil"}]), {},
     r"^device desk, field lines\[0\]\.sip_server: 'pbx;evil' is not a host"),
    (one_device(lines=[{"extension": "201", "password": "pw", "display_name": 'Anna" SIP_PASS_2="x'}]), {},
     r"^device desk, field lines\[0\]\.display_name: contains a double quote"),
    (one_device(lines=[{"extension": "201", "password": "pw", "display_name": "a\r\nX"}]), {},
     r"^device desk, field lines\[0\]\.display_name: contains the control or line-break character U\+000D"),
    (one_device(lines=[{"extension": "201", "password": "pw", "display_name": "x" * 501}]), {},
     r"^device desk, field lines\[0\]\.display_name: is 501 characters long"),
    (one_device(lines=[{"extension": "201", "password": "pw", "display_name": "\u00e9" * 300}]), {},
     r"^device desk, field lines\[0\]\.display_name: makes the line DISPLAY_NAME_1=\"...\" 619 bytes long"),
    (one_device(), {"provisioning_url": None}, r"^device desk, field settings\.provisioning_url: is required in sipfleet_defaults"),
    (one_device(settings={"provisioning_url": "http://other.example.net"}), {},
     r"^device desk, field settings\.provisioning_url: is 'http://other.example.net' here but"),
    (one_device(), {"provisioning_url": "http://prov.example.net/?x=1"},
     r"^device desk, field settings\.provisioning_url: .* is not a URL .*no query"),
    (one_device(settings={"ntp_server": "ntp.example.net"}), {"ntp_server": "bad host"},
     r"^device desk, field sipfleet_defaults\.ntp_server: 'bad host' is not a host"),
])
def test_bad_input_names_device_and_field(device, defaults, pattern):
    merged = dict({"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "encrypt_profiles": False}, **defaults)
    with pytest.raises(ProvisioningError, match=pattern):
        load([device], dict((name, value) for name, value in merged.items() if value is not None))


def test_bad_model_level_value_names_the_model_field():
    defaults = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "encrypt_profiles": False}
    with pytest.raises(ProvisioningError, match=r"^device desk, field sipfleet_models\.KX-UT133\.syslog_server: 'a b' is not a host"):
        load([one_device(settings={"syslog_server": "ok.example.net"})], defaults, models={"KX-UT133": {"syslog_server": "a b"}})


def test_files_over_the_size_limit_are_an_error():
    params = dict(("VM_NUMBER_%d" % index, "9" * 400) for index in range(300))
    params["VM_NUMBER_7"] = "9" * 500
    with pytest.raises(ProvisioningError, match=r"^device desk, field params\.VM_NUMBER_7: this phone's standard, product and master files "
                                                r"total \d+ bytes; Panasonic phones accept at most 120000"):
        load([one_device(params=params)], {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net",
                                           "encrypt_profiles": False})


def test_unknown_kx_model_with_vendor_is_accepted():
    inventory, fleet = load([one_device(model="KX-HDV800", vendor="panasonic")],
                            {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "encrypt_profiles": False})
    files = render(inventory, fleet)
    assert "KX-HDV800.cfg" in files and "ConfigKX-HDV800.cfg" in files


def test_known_models_are_canonical():
    for model in RENDERER.known_models():
        assert model == model.upper() and model.startswith("KX-")
        assert RENDERER.model_info(model)["lines"] >= 1
    assert RENDERER.model_info("KX-UT133") == {"lines": 4, "encryption": None}
    assert RENDERER.model_info("KX-UTG300") == {"lines": 6, "encryption": "openssl-enc"}
    assert RENDERER.model_info("kx-ut133") is None


def test_raw_params_win_over_mapped_settings_and_appear_once():
    inventory, fleet = load([one_device(params={"NTP_ADDR": "raw.example.net", "VM_NUMBER_1": "8000"})],
                            {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "encrypt_profiles": False,
                             "ntp_server": "ntp.example.net"})
    files = render(inventory, fleet)
    own = parse_cfg(files["Config0080F0C8C381.cfg"].content)
    assert own["NTP_ADDR"] == "raw.example.net" and own["VM_NUMBER_1"] == "8000"
    assert phone_view(files, fleet[0])["NTP_ADDR"] == "raw.example.net"


# -- property tests: free text either round-trips or is refused -------------

_TEXT = st.text(max_size=600)
_BASE = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "encrypt_profiles": False}


def _render_or_error(raw_line=None, params=None):
    """Render one device; returns its parsed standard file, or the error (which must name device desk)."""
    device = one_device(lines=[dict({"extension": "201", "password": "pw-201"}, **(raw_line or {}))], params=params or {})
    try:
        inventory, fleet = load([device], _BASE)
        files = render(inventory, fleet)
    except ProvisioningError as exc:
        return None, str(exc)
    return parse_cfg(files["Config0080F0C8C381.cfg"].content), None


def _expected_names(extra=()):
    return {"CFG_STANDARD_FILE_PATH", "CFG_PRODUCT_FILE_PATH", "CFG_MASTER_FILE_PATH", "PHONE_NUMBER_1", "DISPLAY_NAME_1",
            "SIP_AUTHID_1", "SIP_PASS_1", "SIP_RGSTR_ADDR_1", "SIP_RGSTR_PORT_1", "SIP_PRXY_ADDR_1", "SIP_PRXY_PORT_1",
            "SIP_TRANSPORT_1"} | set(extra)


@pytest.mark.parametrize("line_field, native", [
    ("display_name", "DISPLAY_NAME_1"),
    ("extension", "PHONE_NUMBER_1"),
    ("auth_user", "SIP_AUTHID_1"),
    ("password", "SIP_PASS_1"),
    ("sip_server", "SIP_RGSTR_ADDR_1"),
])
@settings(max_examples=200, deadline=None)
@given(value=_TEXT)
def test_line_text_round_trips_or_is_refused(line_field, native, value):
    parsed, error = _render_or_error(raw_line={line_field: value})
    if error is not None:
        assert error.startswith("device desk, field lines[0].%s: " % line_field), error
        return
    assert set(parsed) == _expected_names(), "a value added or removed a parameter"
    fallback = {"display_name": "201", "auth_user": "201", "sip_server": "pbx.example.net"}
    assert parsed[native] == (value if value != "" else fallback[line_field])
    if line_field == "sip_server":
        assert parsed["SIP_PRXY_ADDR_1"] == parsed[native]


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(_TEXT, st.integers()))
def test_raw_param_value_round_trips_or_is_refused(value):
    parsed, error = _render_or_error(params={"SIP_PRSNC_ADDR_1": value})
    if error is not None:
        assert error.startswith("device desk, field params.SIP_PRSNC_ADDR_1: "), error
        return
    assert set(parsed) == _expected_names(["SIP_PRSNC_ADDR_1"])
    assert parsed["SIP_PRSNC_ADDR_1"] == str(value)


# -- encryption per model family ------------------------------------------------

#: What the administrator guides document per family (docs/vendors/panasonic.md, "Encryption by model family").
FAMILY_ENCRYPTION = {"KX-UTG": "openssl-enc", "KX-UT": None, "KX-HDV": None, "KX-TGP": None}


@pytest.mark.parametrize("model", sorted(pana.MODELS))
def test_every_model_has_its_familys_documented_encryption(model):
    family = re.sub(r"[0-9]+[A-Z]*$", "", model)
    assert RENDERER.model_info(model)["encryption"] == FAMILY_ENCRYPTION[family]


@pytest.mark.parametrize("model, documented", [
    ("KX-UT133", r"\.e1c/\.e2c/\.e3c files decrypted with CFG_FILE_KEY1/2/3"),
    ("KX-UT670", r"\.e1c/\.e2c/\.e3c files decrypted with CFG_FILE_KEY1/2/3"),
    ("KX-HDV130", r"\.e2c/\.e3c files decrypted with CFG_FILE_KEY2/3"),
    ("KX-TGP600", r"\.e2c/\.e3c files decrypted with CFG_FILE_KEY2/3"),
    ("KX-HDV800", r"the collection does not know this model; the KX-HDV guides describe \.e2c/\.e3c files"),
    ("KX-ABC1", r"\(the collection does not know this model; only the KX-UTG family"),
])
def test_encrypt_profiles_on_a_model_without_a_documented_method_is_an_error(model, documented):
    raw = one_device(model=model, vendor="panasonic", keys={"cfg_file_key": KEY_1})
    with pytest.raises(ProvisioningError) as failure:
        load([raw], {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net"})
    message = str(failure.value)
    assert message.startswith("device desk, field settings.encrypt_profiles: is on (the default), but the %s is not "
                              "documented to read an encrypted file" % model), message
    assert re.search(documented, message)
    for hint in ("use a KX-UTG model", "encrypt_profiles: false with an https provisioning_url", "allow_plain_credentials: true"):
        assert hint in message


def test_a_model_without_encryption_gets_no_key_and_no_encrypted_file():
    inventory, fleet = load([one_device(model="KX-HDV130")], {"sip_server": "pbx.example.net",
                                                              "provisioning_url": "https://prov.example.net", "encrypt_profiles": False})
    assert RENDERER.key_specs(fleet[0]) == {}
    files = render(inventory, fleet)
    assert not any(name.endswith(".enc") or name.endswith(AFTER) for name in files)
    assert files["Config0080F0C8C381.cfg"].role == "profile" and files["Config0080F0C8C381.cfg"].secret


@pytest.mark.parametrize("model", ["KX-UTG200", "KX-UTG300"])
def test_the_utg_family_is_served_openssl_enc_files(model):
    inventory, fleet = load([one_device(model=model, keys={"cfg_file_key": KEY_1})],
                            {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net"})
    assert RENDERER.key_specs(fleet[0]) == {"cfg_file_key": 16}
    files = render(inventory, fleet)
    code, out, err = openssl_cli.dec(files["Config0080F0C8C381.enc"].content, base64_armor=True, password=KEY_1, digest="md5")
    assert code == 0, err
    assert parse_cfg(out)["SIP_PASS_1"] == "pw-201"
    assert parse_cfg(files["Config0080F0C8C381.cfg"].content)["CFG_FILE_KEY_LENGTH"] == pana.CFG_FILE_KEY_LENGTH == "256"


# -- the file served once the window has closed, and the bootstrap-phase interval ------

def _openssl_stdin_decrypt(data, key):
    """The real ``openssl enc -d -a -aes-256-cbc -md md5 -pass stdin``."""
    result = subprocess.run(["openssl", "enc", "-d", "-a", "-aes-256-cbc", "-md", "md5", "-pass", "stdin"],
                            input=key.encode() + b"\n" + data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_after_window_file_is_the_encrypted_profile_at_the_key_files_path():
    fleet, files = key_files()
    desk = fleet[0]
    after = files["Config0080F0C8C381.cfg" + AFTER]
    assert after.path == RENDERER.standard_path(desk) == files["Config0080F0C8C381.cfg"].path
    assert after.after_window and after.role == "profile" and not after.secret and after.device == "desk"
    assert after.content == files["Config0080F0C8C381.enc"].content
    plaintext = _openssl_stdin_decrypt(after.content, KEY_1)
    assert plaintext == after.plaintext
    params = parse_cfg(plaintext)
    assert params["SIP_PASS_1"] == "Sip-Secret-301" and "CFG_FILE_KEY" not in params
    # A phone that reads it at Config<MAC>.cfg is pointed at the .enc name from then on.
    assert params["CFG_STANDARD_FILE_PATH"] == "http://prov.example.net/Config0080F0C8C381.enc"


def test_select_window_files_on_the_rendered_files():
    dummy, files = key_files()
    items = list(files.values())
    carrier = files["Config0080F0C8C381.cfg"]
    after = files["Config0080F0C8C381.cfg" + AFTER]
    served = select_window_files(items)
    assert carrier in served and after not in served
    served = select_window_files(items, {id(carrier)})
    assert carrier not in served and after in served
    # The other device's window is still open.
    assert files["Config0080F0C8C382.cfg"] in served and files["Config0080F0C8C382.cfg" + AFTER] not in served
    assert len(set(item.path for item in served)) == len(served)
    assert isinstance(after, ProfileFile)


def _resync_of(files, mac):
    key = parse_cfg(files["Config%s.cfg" % mac].content)
    profile = parse_cfg(files["Config%s.enc" % mac].plaintext)
    return (key["CFG_CYCLIC"], key["CFG_CYCLIC_INTVL"]), (profile["CFG_CYCLIC"], profile["CFG_CYCLIC_INTVL"])


@pytest.mark.parametrize("settings_, key_file, profile", [
    # The normal interval in the master file: the key file's 5 minutes, the profile's own value restores it.
    ({"resync_interval": 1440}, ("Y", "5"), ("Y", "1440")),
    # A normal interval shorter than the bootstrap one is kept.
    ({"resync_interval": 3}, ("Y", "3"), ("Y", "3")),
    # No resync setting: the profile restores the sample default (no cyclic check), never leaves 5 minutes behind.
    ({}, ("Y", "5"), ("N", "10080")),
    ({"resync_interval": 60, "encryption_digest": "sha256"}, ("Y", "5"), ("Y", "60")),
])
def test_key_file_sets_a_short_interval_and_the_profile_the_normal_one(settings_, key_file, profile):
    digest = settings_.get("encryption_digest", "md5")
    defaults = dict({"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net"}, **settings_)
    inventory, fleet = load([one_device(model="KX-UTG300", keys={"cfg_file_key": KEY_1})], defaults)
    files = render(inventory, fleet)
    assert _resync_of(files, "0080F0C8C381") == (key_file, profile)
    code, out, err = openssl_cli.dec(files["Config0080F0C8C381.enc"].content, base64_armor=True, password=KEY_1, digest=digest)
    assert code == 0, err
    # What the phone applies after the encrypted profile: standard first, so its interval wins over the master file's.
    device = fleet[0]
    assert phone_view(files, device, standard=out)["CFG_CYCLIC_INTVL"] == profile[1]
    assert phone_view(files, device)["CFG_CYCLIC_INTVL"] == key_file[1]


def test_a_raw_cyclic_interval_is_the_normal_one():
    inventory, fleet = load([one_device(model="KX-UTG300", keys={"cfg_file_key": KEY_1}, params={"CFG_CYCLIC_INTVL": "720"})],
                            {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net"})
    assert _resync_of(render(inventory, fleet), "0080F0C8C381") == (("Y", "5"), ("N", "720"))
