# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Yealink renderer: golden files, the formats read back, the phone's fetch order, the mapping and the refusals.

Golden files live in ``golden/yealink/<flow>/`` as ``<served path>.bin``;
regenerate with ``SIPFLEET_REGENERATE_GOLDEN=1`` and review them against
vendor-facts-more.md section 1.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet, required_keys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import file_diff
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink import formats, models
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink.renderer import RENDERER

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "yealink")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "provisioning_url": "https://prov.example.net/yealink",
    "encrypt_profiles": False,
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "language": "de",
    "resync_interval": 1440,
    "admin_password": "Admin-Secret-1",
}


def vendor_for_model(model):
    return "yealink" if RENDERER.model_info(model) is not None else None


def load(devices, defaults=None, sites=None, models_=None):
    inventory = Inventory(DEFAULTS if defaults is None else defaults, sites, models_)
    fleet = [build_device(raw, index, inventory, vendor_for_model) for index, raw in enumerate(devices)]
    for device in fleet:
        RENDERER.validate(device, inventory)
    return inventory, fleet


def render(inventory, fleet):
    files = {}
    for device in fleet:
        for item in RENDERER.render_device(device, inventory):
            assert item.path not in files, item.path
            files[item.path] = item
    for item in RENDERER.render_shared(fleet, inventory):
        assert item.path not in files, item.path
        files[item.path] = item
    return files


def check_golden(flow, files):
    directory = os.path.join(GOLDEN, flow)
    wanted = dict((name + ".bin", item.content) for name, item in files.items())
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


SYSLOG_MODELS = {"T46U": {"syslog_server": "log.example.net"}}


def fleet_devices():
    return [
        {"name": "desk", "mac": "00:15:65:74:B1:50", "model": "T46U",
         "lines": [{"extension": "201", "password": "Sip-Secret-201", "display_name": "Reception"},
                   {"extension": "202", "password": "Sip-Secret-202", "transport": "tls", "sip_port": 5061}],
         "settings": {"ntp_server": "ntp2.example.net"},
         "params": {"features.dnd.enable": "1"}},
        {"name": "conf-a", "mac": "80:5e:c0:00:00:01", "model": "T53",
         "lines": [{"extension": "301", "password": "Sip-Secret-301"}]},
        {"name": "conf-b", "mac": "80:5e:c0:00:00:02", "model": "T53W",
         "lines": [{"extension": "302", "password": "Sip-Secret-302"}]},
        {"name": "dect", "mac": "80:5e:0c:1d:65:4e", "model": "W70B",
         "lines": [{"extension": "401", "password": "Sip-Secret-401"}, {"extension": "402", "password": "Sip-Secret-402"}]},
    ]


def fleet_files():
    # Syslog for the desk phones of one model (DECT bases take no syslog mapping).
    return render(*load(fleet_devices(), models_=SYSLOG_MODELS))


def cfg(item):
    return formats.parse_config(item.content)


def phone_view(files, mac, boot=True):
    """What the phone ends up with: each file it fetches in order, a later file overriding an earlier one.

    With ``boot`` (firmware 81 and later) the phone asks for ``<mac>.boot``
    and fetches what it includes, top to bottom; without it (older
    firmware) it fetches the common file of its model, then ``<mac>.cfg``.
    """
    order = []
    if boot:
        order = formats.parse_boot(files["%s.boot" % mac].content)
    else:
        order = [path for path in files if path.startswith("y000000000")] + ["%s.cfg" % mac]
    view = {}
    for path in order:
        view.update(cfg(files[path]))
    return order, view


# -- golden files and the files a device gets --------------------------------------------

def test_flow_fleet_golden():
    check_golden("fleet", fleet_files())


def test_each_device_gets_a_boot_file_and_its_own_file_and_each_common_id_one_file():
    files = fleet_files()
    assert sorted(files) == ["00156574b150.boot", "00156574b150.cfg", "805e0c1d654e.boot", "805e0c1d654e.cfg", "805ec0000001.boot", "805ec0000001.cfg",
                             "805ec0000002.boot", "805ec0000002.cfg",
                             "y000000000095.cfg", "y000000000108.cfg", "y000000000146.cfg"]
    for path, item in files.items():
        assert item.kind == path.rsplit(".", 1)[1] and item.encoding == ("plain",)
        if path.startswith("y"):
            assert item.device is None and item.role == "model" and not item.secret
        elif path.endswith(".boot"):
            assert item.role == "bootstrap" and not item.secret and item.device is not None
        else:
            assert item.role == "profile" and item.secret and item.device is not None


def test_boot_file_has_the_header_first_and_includes_common_then_own_file_lower_case():
    files = fleet_files()
    content = files["00156574b150.boot"].content
    assert content.split(b"\n")[0] == b"#!version:1.0.0.1"
    assert content == b'#!version:1.0.0.1\ninclude:config "y000000000108.cfg"\ninclude:config "00156574b150.cfg"\n'
    assert formats.parse_boot(files["805ec0000002.boot"].content) == ["y000000000095.cfg", "805ec0000002.cfg"]


def test_every_cfg_starts_with_the_header_and_reads_back():
    for path, item in fleet_files().items():
        if path.endswith(".cfg"):
            assert item.content.startswith(b"#!version:1.0.0.1\n")
            assert formats.render_config(cfg(item)) == item.content


@pytest.mark.parametrize("boot", [True, False], ids=["boot-file", "no-boot-file"])
def test_the_phone_ends_with_its_own_values_whatever_its_firmware(boot):
    """Per-device values last: the device's own NTP server wins over the model's in the common file."""
    files = fleet_files()
    order, view = phone_view(dict((path, item) for path, item in files.items()
                                  if not path.startswith("y") or path == "y000000000108.cfg"), "00156574b150", boot=boot)
    assert order == ["y000000000108.cfg", "00156574b150.cfg"]
    assert cfg(files["y000000000108.cfg"])[0] == ("local_time.ntp_server1", "ntp.example.net")
    assert view["local_time.ntp_server1"] == "ntp2.example.net"
    assert view["account.1.user_name"] == "201"
    assert view["account.1.password"] == "Sip-Secret-201"
    assert view["account.1.label"] == "Reception"
    assert view["account.2.sip_server.1.transport_type"] == "2"
    assert view["account.2.sip_server.1.port"] == "5061"
    assert view["static.security.user_password"] == "admin:Admin-Secret-1"
    assert view["features.dnd.enable"] == "1"


def test_generic_settings_map_to_the_documented_parameters():
    files = fleet_files()
    common = dict(cfg(files["y000000000108.cfg"]))
    assert common == {
        "local_time.ntp_server1": "ntp.example.net",
        "local_time.time_zone": "+1",
        "local_time.summer_time": "1",
        "local_time.dst_time_type": "1",
        # Month/week/weekday (7 = Sunday)/hour.
        "local_time.start_time": "3/5/7/2",
        "local_time.end_time": "10/5/7/3",
        "local_time.offset_time": "60",
        "lang.gui": "German",
        "lang.wui": "German",
        "static.syslog.enable": "1",
        "static.syslog.server": "log.example.net",
        "static.auto_provision.server.url": "https://prov.example.net/yealink/",
        "static.auto_provision.repeat.enable": "1",
        "static.auto_provision.repeat.minutes": "1440",
    }
    assert "static.syslog.server" not in dict(cfg(files["y000000000146.cfg"]))


def test_no_secret_in_a_shared_or_boot_file():
    for path, item in fleet_files().items():
        if item.device is None or path.endswith(".boot"):
            assert b"Secret" not in item.content, path
            assert not any(RENDERER.is_secret_param(name) for name, dummy in cfg(item)) if path.endswith(".cfg") else True


def test_fleet_renders_through_the_registry_and_device_paths_match():
    devices = fleet_devices()
    inventory, fleet = load_fleet(devices, DEFAULTS, None, SYSLOG_MODELS)
    files = render_fleet(inventory, fleet)
    macs = dict((device.label, device.mac) for device in fleet)
    for item in files:
        assert item.vendor == "yealink"
        found = DESCRIPTION.device_path_mac(item.path)
        assert found == (macs[item.device] if item.device else None), item.path


def test_firmware_url_and_resync_spread():
    inventory, fleet = load([{"name": "d", "mac": "001565000010", "model": "T54W", "lines": [{"extension": "1", "password": "p"}]}],
                            dict(DEFAULTS, firmware_url="https://fw.example.net/T54W(T57W,T53W,T53,T53C,T54,T57)-96.87.0.15.rom",
                                 resync_spread=[60, 120]))
    files = render(inventory, fleet)
    own = dict(cfg(files["001565000010.cfg"]))
    assert own["static.firmware.url"] == "https://fw.example.net/T54W(T57W,T53W,T53,T53C,T54,T57)-96.87.0.15.rom"
    assert own["static.auto_provision.repeat.minutes"] == str(60 + 0x001565000010 % 61)
    # A per-device spread has no place in the shared file.
    assert "static.auto_provision.repeat.minutes" not in dict(cfg(files["y000000000096.cfg"]))


def test_timezone_without_dst():
    inventory, fleet = load([{"name": "d", "mac": "001565000011", "model": "T31G", "lines": [{"extension": "1", "password": "p"}]}],
                            dict(DEFAULTS, timezone="EST5"))
    own = dict(cfg(render(inventory, fleet)["001565000011.cfg"]))
    assert own["local_time.time_zone"] == "-5" and own["local_time.summer_time"] == "0"
    assert "local_time.start_time" not in own


def test_masking_and_secret_names():
    assert RENDERER.is_secret_param("account.3.password")
    assert RENDERER.is_secret_param("static.security.user_password")
    assert RENDERER.is_secret_param("static.auto_provision.server.password")
    assert RENDERER.is_secret_param("static.auto_provision.aes_key.mac")
    assert not RENDERER.is_secret_param("static.auto_provision.aes_key_in_file")
    assert not RENDERER.is_secret_param("account.1.user_name")
    text = fleet_files()["00156574b150.cfg"].content.decode()
    assert RENDERER.recognizes_text(text)
    masked = RENDERER.mask_text(text)
    assert "Sip-Secret" not in masked and "Admin-Secret" not in masked
    assert "account.1.user_name = 201" in masked


# -- refusals ------------------------------------------------------------------------------

def one(**changes):
    raw = {"name": "d", "mac": "001565000020", "model": "T46U", "lines": [{"extension": "1", "password": "p"}]}
    raw.update(changes)
    return raw


@pytest.mark.parametrize("raw, defaults, field, message", [
    (one(), dict(DEFAULTS, encrypt_profiles=True), "settings.encrypt_profiles", "CVE-2024-24681"),
    (one(model="CP920", lines=[{"extension": "1", "password": "p"}, {"extension": "2", "password": "q"}]), DEFAULTS,
     "lines[1]", "1 SIP account"),
    (one(model="W60B", lines=[{"extension": "1", "password": "p"}, {"extension": "2", "password": "q"}]), DEFAULTS,
     "lines[1]", "not found"),
    (one(), dict(DEFAULTS, timezone="IST-5:30"), "settings.timezone", "whole hours"),
    (one(), dict(DEFAULTS, timezone="<+14>-14"), "settings.timezone", "outside"),
    (one(), dict(DEFAULTS, language="Dutch"), "settings.language", "'Dutch' is not a lower-case ISO 639-1 code"),
    (one(model="W70B"), DEFAULTS, "settings.syslog_server", "DECT"),
    (one(), dict(DEFAULTS, ntp_server="bad host"), "settings.ntp_server", "host name"),
    (one(), dict(DEFAULTS, outbound_proxy="proxy.example.net"), "settings.outbound_proxy", "not mapped"),
    (one(), dict(DEFAULTS, provisioning_url="https://u:pw@prov.example.net/"), "settings.provisioning_url", "user:password@"),
    (one(), dict(DEFAULTS, firmware_url="gopher://fw.example.net/x.rom"), "settings.firmware_url", "scheme"),
    (one(params={"Bad Name": "1"}), DEFAULTS, "params.Bad Name", "not a Yealink parameter name"),
    (one(params={"account.1.password": "x"}), DEFAULTS, "params.account.1.password", "written by the collection"),
    (one(params={"features.dnd.enable": ""}), DEFAULTS, "params.features.dnd.enable", "empty"),
    (one(params={"features.x": "a\nstatic.security.user_password = admin:x"}), DEFAULTS, "params.features.x", "line-break"),
    (one(params={"features.x": " padded"}), DEFAULTS, "params.features.x", "space"),
    (one(lines=[{"extension": "1", "password": "p", "display_name": "a\tb"}]), DEFAULTS, "lines[0].display_name", "control"),
])
def test_refusals_name_the_device_and_the_field(raw, defaults, field, message):
    with pytest.raises(ProvisioningError) as caught:
        load([raw], defaults, models_={"W70B": {"syslog_server": "log.example.net"}})
    assert caught.value.device == "d" and caught.value.field == field, str(caught.value)
    assert message in str(caught.value)
    assert "admin:x" not in str(caught.value)


def test_models_sharing_a_common_file_must_map_their_shared_settings_alike():
    devices = [one(name="a", model="T53"), one(name="b", mac="001565000021", model="T53W")]
    with pytest.raises(ProvisioningError) as caught:
        load(devices, models_={"T53W": {"ntp_server": "other.example.net"}})
    assert caught.value.device == "b" and caught.value.field == "sipfleet_models.T53W"
    assert "y000000000095.cfg" in str(caught.value)


# -- models --------------------------------------------------------------------------------

def test_models_table():
    assert len(models.MODELS) >= 20
    assert sum(1 for model in models.MODELS if model.startswith("W")) >= 2
    for model, facts in models.MODELS.items():
        assert len(facts["common_id"]) == 3 and facts["common_id"].isdigit(), model
        assert len(models.common_file(model)) == len("y000000000000.cfg")
        assert facts["lines"] >= 1
        assert RENDERER.model_info(model) is facts
    # Never derived from the firmware version: the 108 family has four ids.
    assert [models.common_file(model) for model in ("T42U", "T43U", "T46U", "T48U")] == [
        "y000000000116.cfg", "y000000000107.cfg", "y000000000108.cfg", "y000000000109.cfg"]
    assert models.MODELS["W70B"]["lines"] == 10 and models.MODELS["W70B"]["dect"]
    assert models.MODELS["T54W"]["lines"] == 16 and models.MODELS["T54W"]["keys"] == 27


def test_user_agent_samples_parse():
    assert DESCRIPTION.parse_user_agent("Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37") == {
        "model": "T46G", "mac": "0015654aa937", "firmware": "28.72.0.1"}
    assert DESCRIPTION.parse_user_agent("Yealink SIP-T56A  58.80.0.25 001565f429a4")["mac"] == "001565f429a4"
    assert DESCRIPTION.parse_user_agent("yealink SIP-T28P 2.73.0.50 00:15:65:00:00:aa")["model"] == "T28P"
    assert DESCRIPTION.parse_user_agent("Yealink W90DM 130.87.0.10 80:5e:c0:d9:c7:44")["mac"] == "805ec0d9c744"
    assert DESCRIPTION.parse_user_agent("Grandstream GXP2170 1.0 000b82000001") is None


# -- the formats ---------------------------------------------------------------------------

_NAMES = st.from_regex(formats.PARAM_NAME_RE, fullmatch=True).filter(lambda name: len(name) < 60)
_VALUES = st.text(st.characters(blacklist_categories=formats.FORBIDDEN_CATEGORIES), max_size=40).filter(
    lambda value: formats.value_problem(value) is None)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, max_size=12))
def test_config_round_trip(params):
    pairs = list(params.items())
    assert formats.parse_config(formats.render_config(pairs)) == pairs


@settings(max_examples=100, deadline=None)
@given(st.lists(st.from_regex(formats.INCLUDE_PATH_RE, fullmatch=True), min_size=1, max_size=5))
def test_boot_round_trip(paths):
    assert formats.parse_boot(formats.render_boot(paths)) == paths


def test_config_format_exactly():
    assert formats.render_config([("a.b", "1"), ("c", ""), ("d", "x = y")]) == b"#!version:1.0.0.1\na.b = 1\nc =\nd = x = y\n"
    assert formats.parse_config(b"#!version:1.0.0.1\na.b = 1\nc =\nd = x = y\n") == [("a.b", "1"), ("c", ""), ("d", "x = y")]


@pytest.mark.parametrize("data, message", [
    (b"a = 1\n", "does not start with the line"),
    (b"#!version:1.0.0.2\na = 1\n", "does not start with the line"),
    (b"#!version:1.0.0.1\na = 1", "line feed"),
    (b"#!version:1.0.0.1\r\na = 1\r\n", "carriage return"),
    (b"#!version:1.0.0.1\n# comment\n", "not a key = value line"),
    (b"#!version:1.0.0.1\n\n", "not a key = value line"),
    (b"#!version:1.0.0.1\na=1\n", "not a key = value line"),
    (b"#!version:1.0.0.1\na = \n", "trailing space"),
    (b"#!version:1.0.0.1\na = 1 \n", "space"),
    (b"#!version:1.0.0.1\na = \x01\n", "control"),
    (b"#!version:1.0.0.1\na b = 1\n", "parameter name"),
    (b"#!version:1.0.0.1\na = 1\na = 2\n", "set twice"),
    (b"#!version:1.0.0.1\na = \xff\n", "not UTF-8"),
    ("#!version:1.0.0.1\n", "must be bytes"),
])
def test_config_decoder_refuses(data, message):
    with pytest.raises(ProfileFormatError, match=message) as caught:
        formats.parse_config(data, device="d", field="x.cfg")
    assert caught.value.device == "d" and caught.value.field == "x.cfg"


@pytest.mark.parametrize("data", [
    b"#!version:1.0.0.1\n",
    b'include:config "a.cfg"\n',
    b'#!version:1.0.0.1\ninclude:config a.cfg\n',
    b'#!version:1.0.0.1\ninclude:config "a.xml"\n',
    b'#!version:1.0.0.1\ninclude:config "../a.cfg"x\n',
    b'#!version:1.0.0.1\ninclude:config "http://h/a.cfg"\n',
    b'#!version:1.0.0.1\ninclude:config "a.cfg"\noverwrite_mode = 1\n',
])
def test_boot_decoder_refuses(data):
    with pytest.raises(ProfileFormatError):
        formats.parse_boot(data)


# -- compatibility-mode obfuscation (yealink_compat_encryption) ----------------------------

#: Yealink's fixed key, public since CVE-2024-24681; written here so that a wrong one in the codec fails.
FIXED_KEY = "EKs35XacP6eybA25"
COMPAT_KEY = "0123456789abcdef"
COMPAT_MAC = "001565000030"


def openssl_ecb(data, key, decrypt=True):
    """The real ``openssl enc [-d] -aes-128-ecb -nopad -K <hex of the 16 characters>``."""
    result = subprocess.run(["openssl", "enc", "-d" if decrypt else "-e", "-aes-128-ecb", "-nopad", "-K",
                             key.encode("ascii").hex()], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def compat_devices(key=COMPAT_KEY, **settings_):
    return [
        # Obfuscated; its key as the key store (or the inventory's keys) supplies it.
        {"name": "secret-desk", "mac": COMPAT_MAC, "model": "T46U", "keys": {"yealink_aes_key": key},
         "lines": [{"extension": "501", "password": "Sip-Secret-501", "display_name": "Finance"}],
         "settings": dict({"yealink_compat_encryption": True}, **settings_)},
        # Plain, sharing the T46U common file.
        {"name": "plain-desk", "mac": "001565000031", "model": "T46U",
         "lines": [{"extension": "502", "password": "Sip-Secret-502"}]},
        # Plain, another common file.
        {"name": "conf", "mac": "805ec0000031", "model": "T53", "lines": [{"extension": "503", "password": "Sip-Secret-503"}]},
    ]


def compat_files(**settings_):
    return render(*load(compat_devices(**settings_)))


def test_flow_compat_golden():
    check_golden("compat", compat_files())


def test_compat_device_gets_its_cfg_encrypted_and_its_security_enc():
    files = compat_files()
    assert sorted(path for path in files if path.startswith(COMPAT_MAC)) == [
        COMPAT_MAC + ".boot", COMPAT_MAC + ".cfg", COMPAT_MAC + "_Security.enc"]
    own, security = files[COMPAT_MAC + ".cfg"], files[COMPAT_MAC + "_Security.enc"]
    assert (own.kind, own.encoding, own.digest, own.role, own.secret) == (
        "cfg_obfuscated", ("yealink-aes-128-ecb",), None, "profile", True)
    # Readable by anyone who fetches it (the wrapping key is public): secret, and served at every resync, not a carrier.
    assert (security.kind, security.encoding, security.role, security.secret, security.device) == (
        "security_enc", ("yealink-key-wrap",), "profile", True, "secret-desk")
    assert len(security.content) == 16
    # The boot file still names the common file, then the device's own.
    assert formats.parse_boot(files[COMPAT_MAC + ".boot"].content) == ["y000000000108.cfg", COMPAT_MAC + ".cfg"]
    # The other devices are untouched.
    assert files["001565000031.cfg"].encoding == ("plain",) and "001565000031_Security.enc" not in files


def test_compat_files_are_read_with_the_real_openssl_and_the_public_key_alone():
    files = compat_files()
    own, security = files[COMPAT_MAC + ".cfg"], files[COMPAT_MAC + "_Security.enc"]
    # Step 1, what anyone can do: unwrap the key with the fixed key every phone holds.
    key = openssl_ecb(security.content, FIXED_KEY).decode("ascii")
    assert key == COMPAT_KEY
    # Step 2: decrypt the file with the 16 characters as the key bytes: the config, then spaces to the block.
    raw = openssl_ecb(own.content, key)
    plain = raw.rstrip(b" ")
    assert plain == own.plaintext and plain.endswith(b"\n")
    assert raw == plain + b" " * (-len(plain) % 16) and len(raw) % 16 == 0
    # This file is padded (the one real sample pads with spaces, not PKCS#7).
    assert len(raw) - len(plain) == 8
    # The same config the device gets without the setting, and it reads back.
    assert plain == render(*load(compat_devices(yealink_compat_encryption=False)))[COMPAT_MAC + ".cfg"].content
    assert dict(formats.parse_config(plain))["account.1.password"] == "Sip-Secret-501"
    assert b"Sip-Secret-501" not in own.content
    # openssl encrypting the padded text gives the served bytes: byte-stable, reproducible with the tool.
    assert openssl_ecb(raw, key, decrypt=False) == own.content


def test_the_common_file_tells_the_phone_to_fetch_the_security_enc_before_the_encrypted_file():
    """aes_key_in_file = 1 in the plain common file of the model, which the phone reads before <mac>.cfg, boot file or not."""
    files = compat_files()
    common = dict(cfg(files["y000000000108.cfg"]))
    assert common["static.auto_provision.aes_key_in_file"] == "1"
    # update_file_mode stays at its default 0: the phone must still read the plain files.
    assert "static.auto_provision.update_file_mode" not in common
    # A common file no obfuscated device reads does not get it.
    assert "static.auto_provision.aes_key_in_file" not in dict(cfg(files["y000000000095.cfg"]))
    for boot in (True, False):
        if boot:
            order = formats.parse_boot(files[COMPAT_MAC + ".boot"].content)
        else:
            order = ["y000000000108.cfg", COMPAT_MAC + ".cfg"]
        assert order.index("y000000000108.cfg") < order.index(COMPAT_MAC + ".cfg")
        assert files[order[0]].encoding == ("plain",)
    # Without the setting anywhere, the common file is what it was.
    plain = render(*load(compat_devices(yealink_compat_encryption=False)))
    assert "static.auto_provision.aes_key_in_file" not in dict(cfg(plain["y000000000108.cfg"]))


def test_compat_key_specs_and_paths():
    inventory, fleet = load(compat_devices())
    assert RENDERER.key_specs(fleet[0]) == {"yealink_aes_key": 8}
    assert RENDERER.key_specs(fleet[1]) == {}
    inventory, fleet = load(compat_devices(http_credentials=True))
    assert RENDERER.key_specs(fleet[0]) == {"yealink_aes_key": 8, "http_password": 16}
    # The key store writes 8 random bytes as 16 lower-case hex digits: in Yealink's key alphabet.
    assert required_keys(load_fleet(compat_devices(), DEFAULTS)[1]) == {"secret-desk": {"yealink_aes_key": 8}}
    for path in ("/%s_Security.enc" % COMPAT_MAC, "/a/%s_security.ENC" % COMPAT_MAC.upper()):
        assert DESCRIPTION.device_path_mac(path) == COMPAT_MAC, path
    assert DESCRIPTION.device_path_mac("/y000000000108_Security.enc") is None
    protected = [re.compile(pattern.replace("{mac}", "([0-9a-f]{12})"), re.IGNORECASE)
                 for pattern in DESCRIPTION.http_credentials.paths]
    for path in ("/%s.cfg" % COMPAT_MAC, "/%s_Security.enc" % COMPAT_MAC):
        assert any(regex.search(path) for regex in protected), path
    for path in ("/y000000000108.cfg", "/%s.boot" % COMPAT_MAC, "/%s-bootstrap.cfg" % COMPAT_MAC):
        assert not any(regex.search(path) for regex in protected), path


def test_compat_files_render_through_the_registry_and_stay_under_the_plain_credentials_check():
    inventory, fleet = load_fleet(compat_devices(), dict(DEFAULTS, provisioning_url="http://prov.example.net/"))
    with pytest.raises(ProvisioningError) as caught:
        render_fleet(inventory, fleet)
    # Obfuscation is not encryption: over plain HTTP the passwords are readable, as without it.
    assert caught.value.device == "secret-desk" and caught.value.field == "lines[0].password"
    inventory, fleet = load_fleet(compat_devices(), DEFAULTS)
    files = render_fleet(inventory, fleet)
    macs = dict((device.label, device.mac) for device in fleet)
    for item in files:
        assert DESCRIPTION.device_path_mac(item.path) == (macs[item.device] if item.device else None), item.path
    assert "%s_Security.enc" % COMPAT_MAC in [item.path for item in files]


def test_compat_diff_shows_the_decrypted_file_masked():
    inventory, fleet = load_fleet(compat_devices(), DEFAULTS)
    files = dict((item.path, item) for item in render_fleet(inventory, fleet))
    own, security = files[COMPAT_MAC + ".cfg"], files[COMPAT_MAC + "_Security.enc"]
    keys = {"http_password": "ab" * 16, "yealink_aes_key": COMPAT_KEY}
    shown = file_diff("/srv", own.path, None, own.content, keys, set(), 100000, after_tag=own.tag)["after"]
    assert "decrypted for display" in shown and "anyone can decrypt" in shown
    assert "account.1.user_name = 501" in shown and "account.1.password = ********" in shown
    assert "Sip-Secret" not in shown
    key_view = file_diff("/srv", security.path, None, security.content, keys, set(), 100000, after_tag=security.tag)["after"]
    assert "aes_key = ********" in key_view and COMPAT_KEY not in key_view
    # Without the key the file is summarised, never shown as garbage.
    hidden = file_diff("/srv", own.path, None, own.content, {}, set(), 100000, after_tag=own.tag)["after"]
    assert "encrypted with a key this run does not hold" in hidden


@pytest.mark.parametrize("key, words", [
    ("0123456789abcde", ["16 characters", "has 15"]),
    ("0123456789abcdef01234567", ["16 characters", "has 24"]),
    ("0123456789abcde!", ["only 0-9"]),
    ("0123456789abcd\u00e9f", ["only 0-9"]),
])
def test_a_wrong_compat_key_names_the_device_and_the_field(key, words):
    with pytest.raises(ProvisioningError) as caught:
        render(*load(compat_devices(key=key)))
    assert caught.value.device == "secret-desk" and caught.value.field == "keys.yealink_aes_key", str(caught.value)
    for word in words:
        assert word in str(caught.value)
    assert key not in str(caught.value)


def test_a_missing_compat_key_names_the_device_and_the_field():
    devices = compat_devices()
    del devices[0]["keys"]
    with pytest.raises(ProvisioningError) as caught:
        render(*load(devices))
    assert caught.value.device == "secret-desk" and caught.value.field == "keys.yealink_aes_key"


@pytest.mark.parametrize("name", ["static.auto_provision.aes_key_in_file", "static.auto_provision.update_file_mode"])
def test_compat_refuses_raw_params_that_would_stop_the_phone_reading_its_files(name):
    devices = compat_devices()
    devices[0]["params"] = {name: "0"}
    with pytest.raises(ProvisioningError) as caught:
        load(devices)
    assert caught.value.device == "secret-desk" and caught.value.field == "params." + name


def test_compat_does_not_lift_the_encrypt_profiles_refusal():
    with pytest.raises(ProvisioningError) as caught:
        load(compat_devices(encrypt_profiles=True))
    assert caught.value.field == "settings.encrypt_profiles" and "CVE-2024-24681" in str(caught.value)


def test_compat_with_http_credentials_keeps_the_bootstrap_plain_and_protects_both_files():
    """The HTTP bootstrap is read before the common file: it stays plain; <mac>.cfg and its _Security.enc need the credentials."""
    # Over plain HTTP: the server asks for every Yealink device's credentials.
    devices = compat_devices(http_credentials=True, provisioning_url="http://prov.example.net/")
    devices[0]["keys"]["http_password"] = "ab" * 16
    for index, device in enumerate(devices[1:], 1):
        device.update(settings={"http_credentials": True}, keys={"http_password": "%032x" % index})
    inventory, fleet = load_fleet(devices, DEFAULTS)
    files = render_fleet(inventory, fleet, http_credentials_enforced=True)
    own = dict((item.path, item) for item in files if item.device == "secret-desk" and not item.after_window)
    assert sorted(own) == [COMPAT_MAC + "-bootstrap.cfg", COMPAT_MAC + ".boot", COMPAT_MAC + ".cfg",
                           COMPAT_MAC + "_Security.enc"]
    assert formats.parse_boot(own[COMPAT_MAC + ".boot"].content) == [
        COMPAT_MAC + "-bootstrap.cfg", "y000000000108.cfg", COMPAT_MAC + ".cfg"]
    assert own[COMPAT_MAC + "-bootstrap.cfg"].encoding == ("plain",)
    assert own[COMPAT_MAC + ".cfg"].encoding == ("yealink-aes-128-ecb",)
    protected = [re.compile(pattern.replace("{mac}", "([0-9a-f]{12})"), re.IGNORECASE)
                 for pattern in DESCRIPTION.http_credentials.paths]
    for path, item in own.items():
        needs = any(regex.search("/" + path) for regex in protected)
        assert needs == (path in (COMPAT_MAC + ".cfg", COMPAT_MAC + "_Security.enc")), path


def test_compat_key_follows_a_rotation_of_the_device_keys():
    """Where Yealink changes keys in place (with HTTP credentials), the new files use the new compatibility-mode key."""
    devices = compat_devices(http_credentials=True)
    devices[0]["keys"]["http_password"] = "ab" * 16
    inventory, fleet = load(devices)
    successor = build_device(dict(devices[0], keys={"yealink_aes_key": "fedcba9876543210", "http_password": "cd" * 16}),
                             0, inventory, vendor_for_model)
    files = dict((item.path, item) for item in RENDERER.render_rotation(fleet[0], successor, inventory)
                 if not item.after_window)
    assert openssl_ecb(files[COMPAT_MAC + "_Security.enc"].content, FIXED_KEY) == b"fedcba9876543210"
    assert openssl_ecb(files[COMPAT_MAC + ".cfg"].content, "fedcba9876543210").rstrip(b" ") == files[
        COMPAT_MAC + ".cfg"].plaintext


# -- function keys, backup registrar, voice VLAN (issue 16) ---------------------------------

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningErrors  # noqa: E402

KEYS_DEFAULTS = dict(DEFAULTS, sip_server_secondary="pbx2.example.net", vlan_id=20, vlan_priority=5)

KEYS = [
    {"type": "line", "line": 1},
    {"type": "line", "line": 2, "label": "Sales"},
    {"type": "blf", "value": "205", "label": "Reception"},
    {"type": "speed_dial", "value": "+49301234", "label": "Office"},
    {"type": "park", "value": "700", "label": "Park"},
    {"type": "transfer", "value": "299", "label": "To desk"},
    {"type": "dtmf", "value": "*3", "label": "Record"},
    {"type": "url", "value": "https://apps.example.net/menu.xml", "label": "Menu"},
    {"type": "none", "index": 12},
]


def keys_devices():
    return [
        {"name": "desk", "mac": "00:15:65:74:b1:60", "model": "T46U",
         "lines": [{"extension": "201", "password": "Sip-Secret-201"},
                   {"extension": "202", "password": "Sip-Secret-202", "sip_server_secondary": "pbx3.example.net",
                    "transport": "tls", "sip_port": 5061}],
         "settings": {"function_keys": KEYS}},
        # A model whose keys come from the model level.
        {"name": "small", "mac": "80:5e:c0:00:00:61", "model": "T31G",
         "lines": [{"extension": "301", "password": "Sip-Secret-301"}]},
    ]


KEYS_MODELS = {"T31G": {"function_keys": [{"type": "blf", "value": "201", "label": "Boss"}, {"type": "line"}]}}


def keys_files():
    return render(*load(keys_devices(), defaults=KEYS_DEFAULTS, models_=KEYS_MODELS))


def test_flow_keys_golden():
    check_golden("keys", keys_files())


def test_each_key_type_becomes_its_documented_linekey_parameters():
    own = dict(cfg(keys_files()["00156574b160.cfg"]))
    assert {name: value for name, value in own.items() if name.startswith("linekey.")} == {
        "linekey.1.type": "15", "linekey.1.line": "1",
        "linekey.2.type": "15", "linekey.2.line": "2", "linekey.2.label": "Sales",
        "linekey.3.type": "16", "linekey.3.line": "1", "linekey.3.value": "205", "linekey.3.label": "Reception",
        "linekey.4.type": "13", "linekey.4.line": "1", "linekey.4.value": "+49301234", "linekey.4.label": "Office",
        "linekey.5.type": "10", "linekey.5.line": "1", "linekey.5.value": "700", "linekey.5.label": "Park",
        "linekey.6.type": "3", "linekey.6.line": "1", "linekey.6.value": "299", "linekey.6.label": "To desk",
        "linekey.7.type": "11", "linekey.7.line": "1", "linekey.7.value": "*3", "linekey.7.label": "Record",
        "linekey.8.type": "17", "linekey.8.line": "1", "linekey.8.value": "https://apps.example.net/menu.xml",
        "linekey.8.label": "Menu",
        "linekey.12.type": "0",
    }


def test_keys_are_only_in_the_device_s_own_file_and_the_phone_ends_with_them():
    files = keys_files()
    for path, item in files.items():
        if path.startswith("y000000000"):
            assert not [name for name, dummy in cfg(item) if name.startswith("linekey.")], path
    dummy, view = phone_view(files, "805ec0000061")
    assert {name: value for name, value in view.items() if name.startswith("linekey.")} == {
        "linekey.1.type": "16", "linekey.1.line": "1", "linekey.1.value": "201", "linekey.1.label": "Boss",
        "linekey.2.type": "15", "linekey.2.line": "1"}


def test_backup_registrar_per_line_and_voice_vlan():
    files = keys_files()
    own = dict(cfg(files["00156574b160.cfg"]))
    assert [(name, own[name]) for name in sorted(own) if ".sip_server.2." in name] == [
        ("account.1.sip_server.2.address", "pbx2.example.net"), ("account.1.sip_server.2.port", "5060"),
        ("account.1.sip_server.2.transport_type", "0"),
        ("account.2.sip_server.2.address", "pbx3.example.net"), ("account.2.sip_server.2.port", "5061"),
        ("account.2.sip_server.2.transport_type", "2")]
    for path in ("00156574b160.cfg", "y000000000108.cfg", "y000000000123.cfg"):
        params = dict(cfg(files[path]))
        assert (params["static.network.vlan.internet_port_enable"], params["static.network.vlan.internet_port_vid"],
                params["static.network.vlan.internet_port_priority"]) == ("1", "20", "5"), path


def test_no_backup_registrar_and_no_vlan_without_the_settings():
    own = dict(cfg(fleet_files()["00156574b150.cfg"]))
    assert not [name for name in own if ".sip_server.2." in name or "vlan" in name or name.startswith("linekey.")]


def yealink_fleet_error(raws, defaults=None, models_=None):
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet(raws, dict(DEFAULTS) if defaults is None else defaults, None, models_)
    return errors.value.errors


def one_device(model="T46U", **settings):
    return {"name": "desk", "mac": "00:15:65:74:b1:70", "model": model,
            "lines": [{"extension": "201", "password": "pw"}], "settings": settings}


def test_an_index_beyond_the_model_s_line_keys_names_device_field_and_model():
    errors = yealink_fleet_error([one_device("T31G", function_keys=[{"type": "blf", "value": "201", "index": 3}])])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.function_keys[0].index")]
    assert "model T31G has 2 function keys; index 3 is beyond them" in str(errors[0])
    # The same index fits a T46U's 27 keys.
    load_fleet([one_device("T46U", function_keys=[{"type": "blf", "value": "201", "index": 27}])], dict(DEFAULTS))


def test_a_type_without_a_yealink_mapping_or_a_model_without_keys_is_an_error():
    errors = yealink_fleet_error([one_device(function_keys=[{"type": "line"}, {"type": "pickup", "value": "201"}])])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.function_keys[1].type")]
    assert "model T46U cannot carry a pickup key" in str(errors[0])
    errors = yealink_fleet_error([one_device("W70B", function_keys=[{"type": "line"}])])
    assert [(error.field, "cannot carry a line key; it carries none" in str(error)) for error in errors] == [
        ("settings.function_keys[0].type", True)]
    errors = yealink_fleet_error([one_device("T46U")], models_={"T46U": {"function_keys": [{"type": "pickup"}]}})
    # A list set at the model level is named where it stands.
    assert [(error.device, error.field) for error in errors] == [("desk", "sipfleet_models.T46U.function_keys[0].type")]


def test_a_label_the_format_cannot_hold_names_the_key_s_label():
    errors = yealink_fleet_error([one_device(function_keys=[{"type": "blf", "value": "201", "label": "Reception "}])])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.function_keys[0].label")]
    assert "starts or ends with a space" in str(errors[0])


def test_a_raw_linekey_parameter_may_not_overwrite_a_mapped_key():
    raw = one_device(function_keys=[{"type": "blf", "value": "201"}])
    raw["params"] = {"linekey.1.value": "202", "linekey.2.value": "203"}
    errors = yealink_fleet_error([raw])
    assert [(error.device, error.field) for error in errors] == [("desk", "params.linekey.1.value")]
    assert "settings.function_keys[0].value" in str(errors[0])


def test_a_bad_backup_registrar_names_its_field():
    raw = one_device()
    raw["lines"][0]["sip_server_secondary"] = "pbx 2"
    errors = yealink_fleet_error([raw])
    assert [(error.device, error.field) for error in errors] == [("desk", "lines[0].sip_server_secondary")]
    errors = yealink_fleet_error([one_device(sip_server_secondary="bad host")])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.sip_server_secondary")]


@pytest.mark.parametrize("backup, address, port", [
    ("pbx-b.example.net:5070", "pbx-b.example.net", "5070"),
    ("pbx-b.example.net", "pbx-b.example.net", "5080"),
    ("192.0.2.7:5090", "192.0.2.7", "5090"),
    # The host as written, brackets kept, as sip_server is written.
    ("[2001:db8::5]:5070", "[2001:db8::5]", "5070"),
    ("[2001:db8::5]", "[2001:db8::5]", "5080"),
    ("2001:db8::5", "2001:db8::5", "5080"),
])
def test_a_backup_registrar_takes_its_own_port_or_the_line_s(backup, address, port):
    raw = one_device(sip_server_secondary=backup)
    raw["lines"][0]["sip_port"] = 5080
    own = dict(cfg(render(*load([raw]))["00156574b170.cfg"]))
    assert [(name, own[name]) for name in sorted(own) if ".sip_server.2." in name] == [
        ("account.1.sip_server.2.address", address), ("account.1.sip_server.2.port", port),
        ("account.1.sip_server.2.transport_type", "0")]


@pytest.mark.parametrize("value, words", [("pbx2:99999", "has a port out of range 1 to 65535"),
                                          ("pbx2:sip", "is not host[:port]")])
def test_a_backup_registrar_s_bad_port_names_its_field(value, words):
    errors = yealink_fleet_error([one_device(sip_server_secondary=value)])
    assert [(error.device, error.field) for error in errors] == [("desk", "settings.sip_server_secondary")]
    assert words in str(errors[0])


def test_the_settings_yealink_files_ignore_are_reported():
    inventory, fleet = load_fleet([one_device(firmware_version="108.86.0.90", encryption_digest="sha256",
                                              function_keys=[{"type": "line"}], vlan_id=30, sip_server_secondary="pbx2")],
                                  dict(DEFAULTS))
    assert inventory.warnings() == [
        "1 yealink device(s) do not get settings.encryption_digest: %s (desk)" % RENDERER.settings_not_carried(fleet[0])[
            "encryption_digest"],
        "1 yealink device(s) do not get settings.firmware_version: %s (desk)" % RENDERER.settings_not_carried(fleet[0])[
            "firmware_version"],
    ]
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([one_device(firmware_version="108.86.0.90")], dict(DEFAULTS), strict=True)
    assert [(error.device, error.field) for error in errors.value.errors] == [("desk", "settings.firmware_version")]


NL_REASON = "no Yealink lang.gui value for nl; known: de, en, es, fr, it (set lang.gui and lang.wui in params for another)"


def test_a_language_yealink_lacks_is_reported_and_written_in_no_file():
    raws = [one_device(), dict(one_device(language="fr"), name="hall", mac="00:15:65:74:b1:71")]
    inventory, fleet = load_fleet(raws, dict(DEFAULTS, language="nl"))
    assert inventory.warnings() == ["1 yealink device(s) do not get settings.language: %s (desk)" % NL_REASON]
    files = render(inventory, fleet)
    assert "y000000000108.cfg" in files  # the common file of the T46U
    assert [name for name, item in files.items() if b"lang." in item.content] == ["00156574b171.cfg"]
    assert b"lang.gui = French" in files["00156574b171.cfg"].content


def test_under_strict_a_language_yealink_lacks_is_an_error():
    with pytest.raises(ProvisioningErrors) as errors:
        load_fleet([one_device(language="nl")], dict(DEFAULTS), strict=True)
    assert [(error.device, error.field, error.message) for error in errors.value.errors] == [
        ("desk", "settings.language", "yealink devices do not get this setting: %s (sipfleet_strict is true; unset it "
                                      "for this device or model)" % NL_REASON)]
