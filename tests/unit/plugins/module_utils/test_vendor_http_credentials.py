# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Per-device HTTP credentials as the vendor descriptions declare them (Yealink, Poly)."""

from __future__ import annotations

import inspect
import re

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet, required_keys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    MAC_PATTERN,
    HttpCredentialsFacts,
    VendorDescription,
    check_description,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS

#: The families whose phones take per-device HTTP credentials.
FAMILIES = ("yealink", "poly")

DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net/p",
            "admin_password": "AdminSecret77", "allow_plain_credentials": True, "encrypt_profiles": False}

DEVICES = [
    {"name": "yl-desk", "mac": "00:15:65:74:b1:50", "model": "T46U", "lines": [{"extension": "201", "password": "Sip-201"}]},
    {"name": "yl-dect", "mac": "80:5e:0c:1d:65:4e", "model": "W70B", "lines": [{"extension": "401", "password": "Sip-401"}]},
    {"name": "po-desk", "mac": "00:04:f2:aa:00:01", "model": "VVX410", "lines": [{"extension": "501", "password": "Sip-501"}]},
    {"name": "po-trio", "mac": "48:25:67:00:00:03", "model": "Trio8800", "lines": [{"extension": "502", "password": "Sip-502"}]},
    {"name": "gs-desk", "mac": "00:0b:82:00:00:01", "model": "GXP2170", "lines": [{"extension": "601", "password": "Sip-601"}]},
    {"name": "spa", "mac": "00:0e:08:00:00:01", "model": "SPA2102", "lines": [{"extension": "701", "password": "Sip-701"}]},
    {"name": "mpp", "mac": "00:0e:08:00:00:02", "model": "CP-6841-3PCC", "lines": [{"extension": "702", "password": "Sip-702"}]},
    {"name": "kx", "mac": "00:80:f0:c8:c3:81", "model": "KX-UT133", "lines": [{"extension": "801", "password": "Sip-801"}]},
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


@pytest.fixture(name="rendered", scope="module")
def rendered_fixture():
    inventory, fleet = load_fleet(DEVICES, DEFAULTS)
    return fleet, render_fleet(inventory, fleet)


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
        if item.secret:
            # The file with the account passwords: only to its own device's credentials.
            assert matches(declared.paths, uri) == macs[item.device], item.path
            assert matches(declared.bootstrap_paths, uri) is None, item.path
            protected += 1
        if item.role == "bootstrap":
            # The file the phone fetches before it has credentials stays open.
            assert matches(declared.bootstrap_paths, uri) == macs[item.device], item.path
            assert matches(declared.paths, uri) is None, item.path
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
                                    "po-desk": {"http_password": 16}, "po-trio": {"http_password": 16}}


def test_one_device_opts_in():
    devices = [dict(raw) for raw in DEVICES]
    devices[2]["settings"] = {"http_credentials": True}
    dummy, fleet = load_fleet(devices, DEFAULTS)
    assert required_keys(fleet) == {"po-desk": {"http_password": 16}}


def test_the_setting_is_a_boolean():
    with pytest.raises(ProvisioningError, match=r"field sipfleet_defaults.http_credentials: must be true or false"):
        load_fleet(DEVICES, dict(DEFAULTS, http_credentials="yes"))


def test_the_key_changes_no_file_yet():
    """The bootstrap files do not carry the credentials yet: a device with the key renders what it did without."""
    inventory, fleet = load_fleet(DEVICES, DEFAULTS)
    before = dict((item.path, item.content) for item in render_fleet(inventory, fleet))
    keyed = [dict(raw, keys={"http_password": "%032x" % index}) if index < 4 else raw
             for index, raw in enumerate(DEVICES)]
    inventory, fleet = load_fleet(keyed, dict(DEFAULTS, http_credentials=True))
    after = dict((item.path, item.content) for item in render_fleet(inventory, fleet))
    assert after == before
