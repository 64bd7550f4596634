# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Invariants every vendor renderer keeps, checked on a mixed fleet."""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import ProfileFile, check_relative_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    VENDORS,
    load_fleet,
    render_fleet,
    required_keys,
    vendor_for_model,
)
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

SIP_PASSWORDS = ["gs-Secret-201", "spa-Secret-202", "mpp-Secret-203", "pana-Secret-204", "yea-Secret-205",
                 "poly-Secret-206", "snom-Secret-207", "fanvil-Secret-208"]
#: Devices whose model reads no encrypted file: served plain whatever the fleet's encrypt_profiles
#: (Yealink over HTTPS; Poly and Fanvil, whose encryption is not public, and Snom, which publishes none,
#: with their passwords allowed on http here).
PLAIN_ONLY = {"yealink", "poly", "snom", "fanvil"}
ADMIN_PASSWORD = "AdminSecret999"

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "admin_password": ADMIN_PASSWORD,
    "provisioning_url": "http://prov.example.net",
    "resync_interval": 60,
}


def fleet_devices():
    return [
        {"name": "gs", "mac": "00:0b:82:12:34:56", "model": "GXP2170",
         "lines": [{"extension": "201", "password": SIP_PASSWORDS[0]}]},
        {"name": "spa", "mac": "88:01:2b:a0:12:34", "model": "SPA2102",
         "lines": [{"extension": "202", "password": SIP_PASSWORDS[1]}]},
        {"name": "mpp", "mac": "00:56:2b:04:36:15", "model": "ATA192",
         "lines": [{"extension": "203", "password": SIP_PASSWORDS[2]}]},
        {"name": "pana", "mac": "00:80:f0:c8:c3:81", "model": "KX-UTG300",
         "lines": [{"extension": "204", "password": SIP_PASSWORDS[3]}]},
        {"name": "yealink", "mac": "00:15:65:00:00:01", "model": "T46U",
         "settings": {"encrypt_profiles": False, "provisioning_url": "https://prov.example.net"},
         "lines": [{"extension": "205", "password": SIP_PASSWORDS[4]}]},
        {"name": "poly", "mac": "00:04:f2:00:00:05", "model": "VVX410",
         "settings": {"encrypt_profiles": False, "allow_plain_credentials": True},
         "lines": [{"extension": "206", "password": SIP_PASSWORDS[5]}]},
        # Snom takes its own time zone code instead of the POSIX string.
        {"name": "snom", "mac": "00:04:13:00:00:06", "model": "D785",
         "settings": {"encrypt_profiles": False, "allow_plain_credentials": True, "snom_timezone": "GER+1"},
         "lines": [{"extension": "207", "password": SIP_PASSWORDS[6]}]},
        # The Fanvil DST codes are unsure: a zone without DST.
        {"name": "fanvil", "mac": "0c:38:3e:00:00:07", "model": "X4U",
         "settings": {"encrypt_profiles": False, "allow_plain_credentials": True, "timezone": "UTC0"},
         "lines": [{"extension": "208", "password": SIP_PASSWORDS[7]}]},
    ]


def with_keys(devices, fleet):
    """Give every device deterministic keys of the sizes its vendor asks for."""
    wanted = required_keys(fleet)
    for raw in devices:
        specs = wanted.get(raw["name"], {})
        raw["keys"] = dict((name, ("%02x" % (index + 1)) * size) for index, (name, size) in enumerate(sorted(specs.items())))
    return devices


def render(devices, defaults=None):
    inventory, fleet = load_fleet(devices, defaults or DEFAULTS)
    return render_fleet(inventory, fleet)


@pytest.fixture(name="rendered", params=[True, False], ids=["encrypted", "plain"])
def rendered_fixture(request):
    # Plain profiles over http: allowed explicitly, or the run refuses them.
    defaults = dict(DEFAULTS, encrypt_profiles=request.param, allow_plain_credentials=not request.param)
    dummy, fleet = load_fleet(fleet_devices(), defaults)
    return request.param, render(with_keys(fleet_devices(), fleet), defaults)


def test_registry():
    assert sorted(VENDORS) == ["cisco_mpp", "cisco_spa", "fanvil", "grandstream", "panasonic", "poly", "snom", "yealink"]
    for name, renderer in VENDORS.items():
        assert renderer.name == name
        assert renderer.known_models(), name
        for model in renderer.known_models():
            assert vendor_for_model(model) == name, "model %s is claimed by two vendors" % model


def test_every_device_gets_files_and_paths_are_safe(rendered):
    dummy, files = rendered
    assert all(isinstance(item, ProfileFile) for item in files)
    for item in files:
        assert check_relative_path(item.path) == item.path
        assert item.vendor in VENDORS
    devices = {"gs", "spa", "mpp", "pana", "yealink", "poly", "snom", "fanvil"}
    assert set(item.device for item in files if item.device) == devices


def test_readable_secrets_are_marked_secret(rendered):
    """Any file whose served bytes contain a password or key in readable form is marked secret."""
    dummy, files = rendered
    for item in files:
        readable = any(secret.encode() in item.content for secret in SIP_PASSWORDS + [ADMIN_PASSWORD])
        if readable:
            assert item.secret, "%s carries a password in readable form but is not marked secret" % item.path


def test_encryption_hides_sip_passwords(rendered):
    encrypted, files = rendered
    if not encrypted:
        return
    for item in files:
        if item.role == "profile" and item.device and item.device not in PLAIN_ONLY:
            assert not any(secret.encode() in item.content for secret in SIP_PASSWORDS), item.path


def test_shared_files_carry_no_device_secret(rendered):
    dummy, files = rendered
    for item in files:
        if item.device is None:
            for secret in SIP_PASSWORDS:
                assert secret.encode() not in item.content and secret.encode() not in (item.plaintext or b""), item.path


def test_rendering_is_deterministic():
    dummy, fleet = load_fleet(fleet_devices(), DEFAULTS)
    one = [(item.path, item.content) for item in render(with_keys(fleet_devices(), fleet))]
    two = [(item.path, item.content) for item in render(with_keys(fleet_devices(), fleet))]
    assert one == two


def test_missing_key_is_an_error_naming_device_and_field():
    with pytest.raises(ProvisioningError, match=r"^device gs, field keys\.[a-z0-9_]+: missing secret"):
        render(fleet_devices()[:1])


def test_one_bad_device_stops_the_whole_fleet():
    devices = fleet_devices()
    devices[3]["lines"][0]["password"] = None
    with pytest.raises(ProvisioningError, match=r"^device pana, field lines\[0\]\.password: is required"):
        load_fleet(devices, DEFAULTS)


def test_unknown_model_names_device():
    devices = fleet_devices()
    devices[1]["model"] = "SPA9999X"
    with pytest.raises(ProvisioningError, match=r"^device spa, field model: unknown model 'SPA9999X'"):
        load_fleet(devices, DEFAULTS)


def test_compress_profiles_setting_gzips_cisco_profiles_before_encryption():
    defaults = dict(DEFAULTS, compress_profiles=True)
    devices = fleet_devices()[1:2]
    dummy, fleet = load_fleet(devices, defaults)
    files = render(with_keys(devices, fleet), defaults)
    profile = [item for item in files if item.role == "profile" and item.device == "spa"][0]
    key = devices[0]["keys"]["gpp_a"]
    code, compressed, err = openssl_cli.dec(profile.content, password=key, digest="md5")
    assert code == 0, err
    xml = subprocess.run(["gzip", "-d", "-c"], input=compressed, stdout=subprocess.PIPE, check=True).stdout
    assert xml == profile.plaintext
    assert b"<flat-profile>" in xml
