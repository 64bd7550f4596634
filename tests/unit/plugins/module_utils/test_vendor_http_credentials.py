# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Per-device HTTP credentials as the vendor descriptions declare them (Yealink, Poly, Snom)."""

from __future__ import annotations

import copy
import inspect
import re
from xml.etree import ElementTree

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet, renderer_for, required_keys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import is_key_carrier, select_window_files
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    MAC_PATTERN,
    HttpCredentialsFacts,
    VendorDescription,
    check_description,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS

#: The families whose phones take per-device HTTP credentials.
FAMILIES = ("yealink", "poly", "snom", "fanvil")

DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net/p",
            "admin_password": "AdminSecret77", "allow_plain_credentials": True, "encrypt_profiles": False}

DEVICES = [
    {"name": "yl-desk", "mac": "00:15:65:74:b1:50", "model": "T46U", "lines": [{"extension": "201", "password": "Sip-201"}]},
    {"name": "yl-dect", "mac": "80:5e:0c:1d:65:4e", "model": "W70B", "lines": [{"extension": "401", "password": "Sip-401"}]},
    {"name": "po-desk", "mac": "00:04:f2:aa:00:01", "model": "VVX410", "lines": [{"extension": "501", "password": "Sip-501"}]},
    {"name": "po-trio", "mac": "48:25:67:00:00:03", "model": "Trio8800", "lines": [{"extension": "502", "password": "Sip-502"}]},
    {"name": "sn-desk", "mac": "00:04:13:a1:1f:a7", "model": "D785", "lines": [{"extension": "503", "password": "Sip-503"}]},
    {"name": "gs-desk", "mac": "00:0b:82:00:00:01", "model": "GXP2170", "lines": [{"extension": "601", "password": "Sip-601"}]},
    {"name": "spa", "mac": "00:0e:08:00:00:01", "model": "SPA2102", "lines": [{"extension": "701", "password": "Sip-701"}]},
    {"name": "mpp", "mac": "00:0e:08:00:00:02", "model": "CP-6841-3PCC", "lines": [{"extension": "702", "password": "Sip-702"}]},
    {"name": "kx", "mac": "00:80:f0:c8:c3:81", "model": "KX-UT133", "lines": [{"extension": "801", "password": "Sip-801"}]},
    {"name": "fv-desk", "mac": "0c:38:3e:07:e1:6c", "model": "X4", "lines": [{"extension": "901", "password": "Sip-901"}]},
]


def replaced(description, **changes):
    names = [name for name in inspect.signature(VendorDescription.__init__).parameters if name != "self"]
    arguments = dict((name, getattr(description, name)) for name in names)
    arguments.update(changes)
    return VendorDescription(**arguments)


def credentials(**changes):
    arguments = {"paths": (r"^/(?:[^/]+/)*{mac}\.cfg$",), "bootstrap_paths": (r"^/(?:[^/]+/)*{mac}\.boot$",),
                 "setting": "http_credentials"}
    arguments.update(changes)
    return HttpCredentialsFacts(**arguments)


def matches(patterns, path):
    """The lower-case MAC ``path`` names under one of ``patterns``, as nginx reads them, or None."""
    for pattern in patterns:
        match = re.search(pattern.replace("{mac}", MAC_PATTERN), path, re.IGNORECASE)
        if match is not None:
            return match.group(1).lower()
    return None


# --- the description ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_the_families_declare_credentials_that_pass_the_check(family):
    description = DESCRIPTIONS[family]
    assert check_description(description) == []
    facts = description.facts()["http_credentials"]
    assert facts["key"] == "http_password" == _http_credentials.DEFAULT_KEY_NAME
    assert facts["key_bytes"] == 16
    assert facts["setting"] == "http_credentials"
    assert facts["paths"] and facts["bootstrap_paths"]
    # The opt-in is one setting, declared once for both families, off by default.
    assert description.settings["http_credentials"] is _http_credentials.SETTING
    assert _http_credentials.SETTING.kind == "bool" and _http_credentials.SETTING.default is False


def test_other_families_declare_none():
    for name, description in DESCRIPTIONS.items():
        if name not in FAMILIES:
            assert description.http_credentials is None and description.facts()["http_credentials"] is None, name


@pytest.mark.parametrize("changes, expected", [
    ({"http_credentials": credentials(paths=())}, "http_credentials.paths is empty"),
    ({"http_credentials": credentials(paths=(r"^/(?:[^/]+/)*device\.cfg$",))},
     r"http_credentials.paths pattern '^/(?:[^/]+/)*device\\.cfg$' must hold {mac} once"),
    ({"http_credentials": credentials(bootstrap_paths=(r"^/{mac}\.boot$", r"{mac}\.boot$"))},
     "http_credentials.bootstrap_paths pattern '{mac}\\\\.boot$' must be anchored at the root"),
    ({"http_credentials": credentials(paths=(r"^/(?P<x>a){mac}\.cfg$",))}, "syntax nginx and Python read differently"),
    ({"http_credentials": credentials(paths=(r"^/({mac}\.cfg$",))}, "does not compile"),
    ({"http_credentials": credentials(key_bytes=8)}, "http_credentials.key_bytes 8 must be an integer of at least 16"),
    ({"http_credentials": credentials(key_bytes=True)}, "http_credentials.key_bytes True must be an integer"),
    ({"http_credentials": credentials(key="HTTP-Password")}, "http_credentials.key 'HTTP-Password' must be lower-case"),
    ({"http_credentials": credentials(setting="no_such_setting")}, "http_credentials.setting 'no_such_setting' must be"),
    ({"http_credentials": credentials(), "settings": {"http_credentials": Setting("str", "text")}},
     "http_credentials.setting 'http_credentials' must be one of the family's settings, a bool defaulting to false"),
    ({"http_credentials": credentials(), "settings": {"http_credentials": Setting("bool", "on", default=True)}},
     "a bool defaulting to false"),
    ({"http_credentials": credentials(source="folklore")}, "http_credentials.source 'folklore' is not one of"),
    ({"http_credentials": credentials(bootstrap_paths=(r"^/(?:[^/]+/)*{mac}\.cfg$",))}, "both protected and bootstrap"),
    ({"http_credentials": {"paths": [r"^/{mac}\.cfg$"]}}, "http_credentials must be an HttpCredentialsFacts"),
])
def test_check_description_refuses_malformed_credentials(changes, expected):
    problems = check_description(replaced(DESCRIPTIONS["yealink"], **changes))
    assert any(expected in problem for problem in problems), problems


# --- the patterns against what the families serve ----------------------------------------------


@pytest.fixture(name="rendered", scope="module", params=["without", "with"])
def rendered_fixture(request):
    """The mixed fleet, without and with the credentials (their bootstrap carriers and after-window files)."""
    if request.param == "without":
        inventory, fleet = load_fleet(DEVICES, DEFAULTS)
        return fleet, render_fleet(inventory, fleet)
    keys = {"yl-desk": "0123456789abcdef0123456789abcdef", "yl-dect": "fedcba9876543210fedcba9876543210",
            "po-desk": "00112233445566778899aabbccddeeff", "po-trio": "ffeeddccbbaa99887766554433221100",
            "sn-desk": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "fv-desk": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}
    devices = [dict(raw, keys={"http_password": keys[raw["name"]]}, settings={"http_credentials": True})
               if raw["name"] in keys else raw for raw in DEVICES]
    inventory, fleet = load_fleet(devices, DEFAULTS)
    files = render_fleet(inventory, fleet)
    assert any(is_key_carrier(item) for item in files) and any(item.after_window for item in files)
    return fleet, files


@pytest.mark.parametrize("family", FAMILIES)
def test_a_device_s_secret_files_need_its_credentials_and_shared_files_none(family, rendered):
    fleet, files = rendered
    declared = DESCRIPTIONS[family].http_credentials
    macs = dict((device.label, device.mac) for device in fleet if device.vendor == family)
    own = [item for item in files if item.device in macs]
    shared = [item for item in files if item.device is None]
    assert own and shared
    protected = 0
    for item in own:
        uri = "/p/" + item.path
        if item.role == "bootstrap" or item.after_window:
            # The files the phone fetches before it has credentials stay open
            # (the carrier of its HTTP password and what replaces it after its window).
            assert matches(declared.bootstrap_paths, uri) == macs[item.device], item.path
            assert matches(declared.paths, uri) is None, item.path
        elif item.secret:
            # The file with the account passwords: only to its own device's credentials.
            assert matches(declared.paths, uri) == macs[item.device], item.path
            assert matches(declared.bootstrap_paths, uri) is None, item.path
            protected += 1
    assert protected == len(macs)
    for item in files:
        if item.device is None:
            assert matches(declared.paths + declared.bootstrap_paths, "/p/" + item.path) is None, item.path


@pytest.mark.parametrize("family, protected, bootstrap, neither", [
    ("yealink", ["/00156574b150.cfg", "/a/b/00156574B150.cfg"], ["/00156574b150.boot", "/00156574b150-bootstrap.cfg"],
     ["/y000000000028.cfg", "/00156574b150.rom", "/x00156574b150.cfg", "/000000000000.cfg",
      "/000000000000-bootstrap.cfg"]),
    ("poly", ["/0004f2aa0001-sipfleet.cfg", "/p/0004F2AA0001-phone.cfg", "/0004f2aa0001-directory.xml",
              "/0004f2aa0001-app.log"],
     ["/0004f2aa0001-bootstrap.cfg", "/p/0004F2AA0001-bootstrap.cfg"],
     ["/000000000000.cfg", "/000000000000-phone.cfg", "/000000000000-bootstrap.cfg", "/sipfleet-common.cfg", "/sip.ld",
      "/0004f2aa0001.ld", "/0004f2aa0001.cfg"]),
    ("snom", ["/snom-000413A11FA7.xml", "/p/snom-000413a11fa7.xml"],
     ["/snomD785-000413A11FA7.htm", "/p/snomD785-000413a11fa7.htm", "/snom-000413A11FA7-bootstrap.xml"],
     ["/snomD785.htm", "/snomD785.xml", "/snomD785-firmware.xml", "/000000000000.xml", "/000000000000-bootstrap.xml",
      "/snomD785-10.1.215.13-SIP-r.bin", "/cfg000413a11fa7.xml"]),
    ("fanvil", ["/0c383e07e16c.cfg", "/a/b/0C383E07E16C.cfg"], ["/0c383e07e16c-bootstrap.cfg"],
     ["/000000000000.cfg", "/f0X4hw1.100.cfg", "/F0V00X600000.cfg", "/0c383e07e16c.txt", "/x0c383e07e16c.cfg"]),
])
def test_declared_paths_by_hand(family, protected, bootstrap, neither):
    declared = DESCRIPTIONS[family].http_credentials
    for uri in protected:
        assert matches(declared.paths, uri) is not None and matches(declared.bootstrap_paths, uri) is None, uri
        # Every protected or bootstrap file is one of the device's (the certificate binding covers it too).
        assert DESCRIPTIONS[family].device_path_mac(uri) is not None, uri
    for uri in bootstrap:
        assert matches(declared.bootstrap_paths, uri) is not None and matches(declared.paths, uri) is None, uri
        assert DESCRIPTIONS[family].device_path_mac(uri) is not None, uri
    for uri in neither:
        assert matches(declared.paths + declared.bootstrap_paths, uri) is None, uri


def test_the_flat_lists_keep_every_family_s_promise(rendered):
    """The role reads every family's patterns as one list each and tries the bootstrap list first.

    So no family's bootstrap pattern may open another family's protected
    file, and no protected pattern may close a shared file of any family
    (Poly's master 000000000000.cfg has the shape of Yealink's <mac>.cfg).
    """
    fleet, files = rendered
    declared = [DESCRIPTIONS[family].http_credentials for family in FAMILIES]
    paths = sum((facts.paths for facts in declared), ())
    bootstrap = sum((facts.bootstrap_paths for facts in declared), ())
    vendor_of = dict((device.label, device.vendor) for device in fleet)
    assert set(vendor_of.values()) == set(DESCRIPTIONS)
    for item in files:
        uri = "/p/" + item.path
        if item.device is None:
            assert matches(paths + bootstrap, uri) is None, item.path
        elif vendor_of[item.device] in FAMILIES and (item.role == "bootstrap" or item.after_window):
            assert matches(bootstrap, uri) is not None, item.path
        elif vendor_of[item.device] in FAMILIES and item.secret:
            assert matches(bootstrap, uri) is None and matches(paths, uri) is not None, item.path
    for facts in declared:
        for uri in ("/00156574b150.cfg", "/0004f2aa0001-sipfleet.cfg"):
            if matches(facts.paths, uri):
                assert matches(bootstrap, uri) is None, uri


# --- the key specs: only an inventory that opts in gets the key ------------------------------------


def test_no_new_key_without_the_setting():
    dummy, fleet = load_fleet(DEVICES, DEFAULTS)
    assert required_keys(fleet) == {}
    dummy, fleet = load_fleet(DEVICES, dict(DEFAULTS, http_credentials=False))
    assert required_keys(fleet) == {}


def test_the_setting_asks_the_key_store_for_the_http_password():
    dummy, fleet = load_fleet(DEVICES, dict(DEFAULTS, http_credentials=True))
    # Both families' devices, none of the others (Grandstream reads the setting nowhere).
    assert required_keys(fleet) == {"yl-desk": {"http_password": 16}, "yl-dect": {"http_password": 16},
                                    "po-desk": {"http_password": 16}, "po-trio": {"http_password": 16},
                                    "sn-desk": {"http_password": 16}, "fv-desk": {"http_password": 16}}


def test_one_device_opts_in():
    devices = [dict(raw) for raw in DEVICES]
    devices[2]["settings"] = {"http_credentials": True}
    dummy, fleet = load_fleet(devices, DEFAULTS)
    assert required_keys(fleet) == {"po-desk": {"http_password": 16}}


def test_the_setting_is_a_boolean():
    with pytest.raises(ProvisioningError, match=r"field sipfleet_defaults.http_credentials: must be true or false"):
        load_fleet(DEVICES, dict(DEFAULTS, http_credentials="yes"))


# --- the bootstrap hands the credentials over; the window and rotation rules apply -------------------

KEYS = {"yl-desk": "0123456789abcdef0123456789abcdef", "yl-dect": "fedcba9876543210fedcba9876543210",
        "po-desk": "00112233445566778899aabbccddeeff", "po-trio": "ffeeddccbbaa99887766554433221100",
        "sn-desk": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "fv-desk": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}


def keyed(keys=None, defaults=None):
    """The fleet with http_credentials on and each Yealink/Poly device's HTTP password; its rendered files."""
    keys = KEYS if keys is None else keys
    devices = [dict(raw, keys={"http_password": keys[raw["name"]]}) if raw["name"] in keys else raw for raw in DEVICES]
    inventory, fleet = load_fleet(devices, dict(DEFAULTS, http_credentials=True) if defaults is None else defaults)
    return inventory, fleet, render_fleet(inventory, fleet)


def yealink_params(content):
    lines = content.decode("utf-8").splitlines()
    assert lines[0] == "#!version:1.0.0.1"
    return dict(line.split(" = ", 1) for line in lines[1:])


def poly_params(content):
    return dict(ElementTree.fromstring(content).attrib)


def by_path(files, path):
    return [item for item in files if item.path == path]


def test_yealink_boot_names_the_bootstrap_first_and_the_bootstrap_carries_the_credentials():
    dummy, dummy, files = keyed()
    boot = by_path(files, "00156574b150.boot")[0].content.decode()
    assert boot.splitlines()[1:] == ['include:config "00156574b150-bootstrap.cfg"', 'include:config "y000000000108.cfg"',
                                     'include:config "00156574b150.cfg"']
    carrier, replacement = by_path(files, "00156574b150-bootstrap.cfg")
    assert is_key_carrier(carrier) and carrier.secret and carrier.role == "bootstrap"
    assert yealink_params(carrier.content) == {
        "static.auto_provision.server.username": _http_credentials.user_name("00156574b150", KEYS["yl-desk"]),
        "static.auto_provision.server.password": KEYS["yl-desk"]}
    assert re.match(r"^00156574b150-[0-9a-f]{4}$", _http_credentials.user_name("00156574b150", KEYS["yl-desk"]))
    # Once the window closed: the header alone, which changes nothing the phone stored.
    assert replacement.after_window and not replacement.secret and not is_key_carrier(replacement)
    assert replacement.content == b"#!version:1.0.0.1\n"
    own = by_path(files, "00156574b150.cfg")[0]
    assert KEYS["yl-desk"].encode() not in own.content and b"auto_provision.server.username" not in own.content


def test_poly_bootstrap_sets_the_device_prov_credentials_with_their_switches():
    dummy, dummy, files = keyed()
    carrier, replacement = by_path(files, "0004f2aa0001-bootstrap.cfg")
    assert is_key_carrier(carrier) and carrier.secret
    assert poly_params(carrier.content) == {
        "device.set": "1", "device.prov.user": _http_credentials.user_name("0004f2aa0001", KEYS["po-desk"]),
        "device.prov.user.set": "1",
        "device.prov.password": KEYS["po-desk"], "device.prov.password.set": "1"}
    assert replacement.after_window and poly_params(replacement.content) == {}
    master = poly_params(by_path(files, "000000000000.cfg")[0].content)
    # The bootstrap first: the first file that sets a parameter wins.
    assert master["CONFIG_FILES"].split(", ")[0] == "[PHONE_MAC_ADDRESS]-bootstrap.cfg"
    own = by_path(files, "0004f2aa0001-sipfleet.cfg")[0]
    assert KEYS["po-desk"].encode() not in own.content


@pytest.mark.parametrize("path", ["00156574b150-bootstrap.cfg", "0004f2aa0001-bootstrap.cfg"])
def test_the_window_decides_which_bootstrap_is_served(path):
    dummy, dummy, files = keyed()
    carrier, replacement = by_path(files, path)
    # Window open: the carrier; closed (the carrier dropped): the empty replacement, at the same path.
    assert by_path(select_window_files(files), path) == [carrier]
    assert by_path(select_window_files(files, dropped={id(carrier)}), path) == [replacement]


def test_the_credentials_need_their_key():
    # Fanvil renders first (vendors in name order): its device has its key, so the Yealink one's is missing first.
    devices = [dict(raw, keys={"http_password": KEYS[raw["name"]]}) if raw["name"] == "fv-desk" else dict(raw)
               for raw in DEVICES]
    with pytest.raises(ProvisioningError, match=r"device yl-desk, field keys.http_password: missing secret"):
        inventory, fleet = load_fleet(devices, dict(DEFAULTS, http_credentials=True))
        render_fleet(inventory, fleet)


@pytest.mark.parametrize("name, param", [("yl-desk", "static.auto_provision.server.password"),
                                         ("yl-desk", "static.auto_provision.server.username"),
                                         ("po-desk", "device.prov.password"), ("po-desk", "device.prov.user"),
                                         ("sn-desk", "http_client_pass"), ("sn-desk", "http_client_user")])
def test_a_raw_param_may_not_replace_the_credentials(name, param):
    devices = [dict(raw, keys={"http_password": KEYS[raw["name"]]}, params={param: "x"}) if raw["name"] == name
               else dict(raw, keys={"http_password": KEYS[raw["name"]]}) if raw["name"] in KEYS else raw for raw in DEVICES]
    with pytest.raises(ProvisioningError, match=r"device %s, field params.%s: .*settings.http_credentials"
                       % (name, re.escape(param))):
        inventory, fleet = load_fleet(devices, dict(DEFAULTS, http_credentials=True))
        render_fleet(inventory, fleet)
    # Without the setting the raw parameter is the operator's.
    inventory, fleet = load_fleet([dict(raw, params={param: "x"}) if raw["name"] == name else raw for raw in DEVICES],
                                  DEFAULTS)
    render_fleet(inventory, fleet)


@pytest.mark.parametrize("name", ["yl-desk", "po-desk", "sn-desk"])
def test_rotation_hands_over_the_new_password_in_the_bootstrap(name):
    inventory, fleet, dummy = keyed()
    device = [item for item in fleet if item.label == name][0]
    renderer = renderer_for(device)
    next_device = copy.copy(device)
    next_device.keys = {"http_password": "99999999999999999999999999999999"}
    files = renderer.render_rotation(device, next_device, inventory)
    carriers = [item for item in files if item.delivers_keys]
    # Snom names its files by the upper-case MAC, in XML.
    bootstrap = "snom-" + device.mac.upper() + "-bootstrap.xml" if name == "sn-desk" else device.mac + "-bootstrap.cfg"
    assert len(carriers) == 1 and carriers[0].path == bootstrap and carriers[0].secret
    assert b"99999999999999999999999999999999" in carriers[0].content
    assert KEYS[name].encode() not in b"".join(item.content for item in files)


def test_no_rotation_without_credentials():
    inventory, fleet = load_fleet(DEVICES, DEFAULTS)
    device = fleet[0]
    with pytest.raises(ProvisioningError, match=r"field keys: changing keys in place is not supported for Yealink"):
        renderer_for(device).render_rotation(device, device, inventory)


def test_plain_http_is_enough_with_credentials_and_tftp_is_refused():
    strict = dict(DEFAULTS, allow_plain_credentials=False, http_credentials=True)
    devices = [raw for raw in DEVICES if raw["name"] in KEYS]
    warnings = []
    inventory, fleet = load_fleet([dict(raw, keys={"http_password": KEYS[raw["name"]]}) for raw in devices], strict)
    assert render_fleet(inventory, fleet, warnings=warnings, http_credentials_enforced=True)
    assert warnings == []
    # A device of these families without credentials, on servers that ask for them, would get 401 for ever.
    mixed = [dict(raw, keys={"http_password": KEYS[raw["name"]]}) for raw in devices]
    mixed[1] = dict(DEVICES[1], settings={"http_credentials": False, "allow_plain_credentials": True})
    with pytest.raises(ProvisioningError, match=r"device yl-dect, field settings.http_credentials: is off, but the servers"):
        inventory2, fleet2 = load_fleet(mixed, strict)
        render_fleet(inventory2, fleet2, http_credentials_enforced=True)
    # A server that does not ask for the credentials would give the file to anyone.
    with pytest.raises(ProvisioningError, match=r"device yl-desk, field lines\[0\].password: .*allow_plain_credentials"):
        render_fleet(inventory, fleet)
    # Without the credentials: refused by the servers that ask for them, readable by anyone from the others.
    with pytest.raises(ProvisioningError, match=r"device yl-desk, field settings.http_credentials: is off"):
        inventory, fleet = load_fleet(devices, dict(strict, http_credentials=False))
        render_fleet(inventory, fleet, http_credentials_enforced=True)
    with pytest.raises(ProvisioningError, match=r"device yl-desk, field lines\[0\].password: .*allow_plain_credentials"):
        render_fleet(inventory, fleet)
    tftp = dict(strict, provisioning_url="tftp://prov.example.net/p")
    with pytest.raises(ProvisioningError, match=r"device yl-desk, field settings.http_credentials: .*over TFTP"):
        inventory, fleet = load_fleet([dict(raw, keys={"http_password": KEYS[raw["name"]]}) for raw in devices], tftp)
        render_fleet(inventory, fleet, http_credentials_enforced=True)
