# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""No plain credentials to strangers, and the files served once a bootstrap window has closed.

* ``allow_plain_credentials``: a device file carrying a SIP or admin password
  in plain text over TFTP, plain HTTP or FTP fails the run naming device and
  field, unless the inventory allows it; then the run warns.
* ``after_window`` files: the Panasonic key file's path serves the encrypted
  profile once the window has closed (seed 004 step 3), chosen by
  ``select_window_files`` and checked with the real ``openssl`` command.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import key_id
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    is_key_carrier,
    select_window_files,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    check_plain_credentials,
    load_fleet,
    render_fleet,
    required_keys,
)

OPENSSL = shutil.which("openssl")

SIP_PASSWORD = "Plain-Sip-Secret-1"
PANA_KEY = "00112233445566778899aabbccddeeff"

#: One device per vendor family; {"keys"} filled by :func:`with_keys` when encrypted.
DEVICES = {
    "gs": {"name": "gs", "mac": "00:0b:82:12:34:56", "model": "GXP2170"},
    "gs-legacy": {"name": "gs-legacy", "mac": "00:0b:82:12:34:57", "model": "GXP2000"},
    "spa": {"name": "spa", "mac": "88:01:2b:a0:12:34", "model": "SPA2102"},
    "mpp": {"name": "mpp", "mac": "00:56:2b:04:36:15", "model": "ATA192"},
    "pana": {"name": "pana", "mac": "00:80:f0:c8:c3:81", "model": "KX-UTG300"},
    "pana-ut": {"name": "pana-ut", "mac": "00:80:f0:c8:c3:82", "model": "KX-UT133"},
}


def device(name, **changes):
    raw = dict(DEVICES[name], lines=[{"extension": "201", "password": SIP_PASSWORD}])
    raw.update(changes)
    return raw


def defaults(url="http://prov.example.net/", **changes):
    values = {"sip_server": "pbx.example.net", "encrypt_profiles": False}
    if url is not None:
        values["provisioning_url"] = url
    values.update(changes)
    return values


def with_keys(devices, settings):
    """Give every device deterministic keys of the sizes its vendor asks for."""
    dummy, fleet = load_fleet(devices, settings)
    wanted = required_keys(fleet)
    for raw in devices:
        specs = wanted.get(raw["name"], {})
        raw["keys"] = dict((name, ("%02x" % (index + 1)) * size) for index, (name, size) in enumerate(sorted(specs.items())))
    return devices


def render(devices, settings, warnings=None):
    inventory, fleet = load_fleet(devices, settings)
    return render_fleet(inventory, fleet, warnings=warnings)


# -- the rule ------------------------------------------------------------------

@pytest.mark.parametrize("name, url, field, transport", [
    ("gs", "http://prov.example.net/", "settings.encrypt_profiles", "over HTTP"),
    ("gs", "ftp://prov.example.net/", "settings.encrypt_profiles", "over FTP"),
    ("gs", None, "settings.encrypt_profiles", "no provisioning_url"),
    ("spa", "tftp://prov.example.net/", "settings.encrypt_profiles", "over TFTP"),
    # A Cisco rule without a base URL is relative: TFTP from DHCP option 66/150.
    ("spa", None, "settings.encrypt_profiles", "over TFTP"),
    ("mpp", "http://prov.example.net/", "settings.encrypt_profiles", "over HTTP"),
    ("pana", "http://prov.example.net/", "settings.encrypt_profiles", "over HTTP"),
    ("pana", "tftp://prov.example.net/", "settings.encrypt_profiles", "over TFTP"),
    # Models that cannot encrypt: the password is the field to act on.
    ("gs-legacy", "http://prov.example.net/", r"lines\[0\]\.password", "over HTTP"),
    ("pana-ut", "http://prov.example.net/", r"lines\[0\]\.password", "over HTTP"),
])
def test_plain_password_over_a_plain_transport_fails_naming_device_and_field(name, url, field, transport):
    with pytest.raises(ProvisioningError) as failure:
        render([device(name)], defaults(url))
    message = str(failure.value)
    assert re.match(r"^device %s, field %s: " % (name, field), message), message
    assert failure.value.device == name
    assert transport in message and "lines[0].password" in message and "allow_plain_credentials: true" in message
    assert "an https provisioning_url" in message
    assert SIP_PASSWORD not in message


def test_the_hint_names_the_client_certificate_binding_where_the_phones_have_certificates():
    for name in ("gs", "spa", "mpp"):
        with pytest.raises(ProvisioningError, match="client-certificate binding"):
            render([device(name)], defaults())
    with pytest.raises(ProvisioningError, match="no client certificate is documented for Panasonic"):
        render([device("pana")], defaults())


def test_the_admin_password_alone_is_a_plain_credential():
    raw = device("gs", lines=[])
    with pytest.raises(ProvisioningError, match=r"^device gs, field settings\.encrypt_profiles: .*settings\.admin_password"):
        render([raw], defaults(admin_password="AdminSecret1"))
    # Without any password the file carries no credential: nothing to refuse.
    assert render([device("gs", lines=[])], defaults())


# A GXP2000 fetches over TFTP or HTTP only: the inventory must allow plain credentials for it.
@pytest.mark.parametrize("name", sorted(set(DEVICES) - {"gs-legacy"}))
def test_https_serves_plain_profiles_without_a_warning(name):
    warnings = []
    files = render([device(name)], defaults("https://prov.example.net/"), warnings)
    assert warnings == []
    assert any(item.secret and item.device == name and SIP_PASSWORD.encode() in item.content for item in files)


@pytest.mark.parametrize("level", ["defaults", "device"])
def test_allowed_plain_credentials_render_and_warn(level):
    raw = device("pana-ut")
    settings = defaults()
    if level == "defaults":
        settings["allow_plain_credentials"] = True
    else:
        raw["settings"] = {"allow_plain_credentials": True}
    warnings = []
    files = render([raw, device("spa", settings={"allow_plain_credentials": True})], settings, warnings)
    assert warnings == [
        "pana-ut: lines[0].password carries a password in plain text over HTTP (settings.provisioning_url); "
        "allowed by allow_plain_credentials",
        "spa: lines[0].password carries a password in plain text over HTTP (settings.provisioning_url); "
        "allowed by allow_plain_credentials",
    ]
    assert any(SIP_PASSWORD.encode() in item.content for item in files if item.device == "pana-ut")


def test_key_carriers_of_an_encrypted_fleet_are_not_plain_credentials():
    """Encrypted profiles over HTTP and TFTP: their plain key files are the bootstrap windows, not this rule's."""
    settings = defaults(encrypt_profiles=True)
    devices = with_keys([device(name) for name in ("gs", "spa", "mpp", "pana")], settings)
    warnings = []
    files = render(devices, settings, warnings)
    assert warnings == []
    carriers = [item for item in files if is_key_carrier(item)]
    assert set(item.device for item in carriers) == {"gs", "spa", "mpp", "pana"}
    assert check_plain_credentials(load_fleet(devices, settings)[1], files) == []


def test_run_reports_the_warnings(tmp_path):
    params = {"devices": [device("pana-ut", settings={"allow_plain_credentials": True})], "defaults": defaults(),
              "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state")}
    result = run(params)
    assert len(result["warnings"]) == 1 and result["warnings"][0].startswith("pana-ut: lines[0].password carries")
    params["devices"] = [device("pana-ut")]
    with pytest.raises(ProvisioningError, match=r"^device pana-ut, field lines\[0\]\.password: "):
        run(params)


# -- after_window files ----------------------------------------------------------

def _pair():
    carrier = ProfileFile("Config0080F0C8C381.cfg", b"key", device="pana", secret=True, role="bootstrap")
    profile = ProfileFile("Config0080F0C8C381.enc", b"enc", device="pana")
    after = ProfileFile("Config0080F0C8C381.cfg", b"enc", device="pana", after_window=True)
    shared = ProfileFile("ConfigCom.cfg", b"com", role="common")
    return carrier, profile, after, shared


def test_select_window_files_serves_the_carrier_while_its_window_is_open():
    carrier, profile, after, shared = _pair()
    assert select_window_files([carrier, profile, after, shared]) == [carrier, profile, shared]


def test_select_window_files_serves_the_replacement_once_the_carrier_is_dropped():
    carrier, profile, after, shared = _pair()
    files = [carrier, profile, after, shared]
    selected = select_window_files(files, {id(carrier)})
    assert selected == [profile, after, shared]
    # Pure and idempotent: the input is untouched, a second pass changes nothing.
    assert files == [carrier, profile, after, shared]
    assert select_window_files(selected) == selected
    # decide_bootstrap already left the carrier out: the same answer.
    assert select_window_files([profile, after, shared]) == [profile, after, shared]


def test_an_after_window_file_is_never_a_key_carrier():
    carrier, profile, after, shared = _pair()
    assert is_key_carrier(carrier) and not is_key_carrier(after) and not is_key_carrier(profile)
    after.delivers_keys = True
    assert not is_key_carrier(after)
    for bad in ({"secret": True}, {"role": "bootstrap"}, {"device": None}):
        arguments = dict({"device": "pana", "after_window": True}, **bad)
        with pytest.raises(ValueError):
            ProfileFile("Config0080F0C8C381.cfg", b"enc", **arguments)


def test_render_fleet_allows_only_the_carrier_and_its_replacement_at_one_path():
    settings = defaults(encrypt_profiles=True)
    devices = with_keys([device("pana")], settings)
    files = render(devices, settings)
    at_path = [item for item in files if item.path == "Config0080F0C8C381.cfg"]
    assert [(item.role, item.secret, item.after_window) for item in at_path] == [("bootstrap", True, False), ("profile", False, True)]
    assert at_path[1].content == [item for item in files if item.path == "Config0080F0C8C381.enc"][0].content

    from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic import renderer as pana

    real = pana.RENDERER.render_device

    def render_with(extra):
        def rendered(device_, inventory):
            return real(device_, inventory) + [extra(device_)]
        return rendered

    cases = [
        # A second replacement at the same path.
        lambda d: ProfileFile("Config0080F0C8C381.cfg", b"x", device=d.label, after_window=True),
        # A replacement at a path that holds no key carrier (the encrypted profile).
        lambda d: ProfileFile("Config0080F0C8C381.enc", b"x", device=d.label, after_window=True),
        # A replacement at a shared file's path.
        lambda d: ProfileFile("ConfigCom.cfg", b"x", device=d.label, after_window=True),
    ]
    for extra in cases:
        pana.RENDERER.render_device = render_with(extra)
        try:
            with pytest.raises(ProvisioningError, match=r"would be written twice"):
                render(devices, settings)
        finally:
            pana.RENDERER.render_device = real


def _openssl_decrypt(data, key):
    """``openssl enc -d -a -aes-256-cbc -md md5 -pass stdin``: the real CLI, the key on standard input."""
    assert OPENSSL is not None, "the openssl command is required by these tests"
    result = subprocess.run([OPENSSL, "enc", "-d", "-a", "-aes-256-cbc", "-md", "md5", "-pass", "stdin"],
                            input=key.encode() + b"\n" + data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return result.returncode, result.stdout


def test_a_reboot_after_the_window_reads_the_encrypted_profile_at_the_key_files_path(tmp_path):
    """Seed 004 step 3 through the whole run: <MODEL>.cfg -> Config<MAC>.cfg gives the account, encrypted."""
    root = tmp_path / "root"
    raw = device("pana", keys={"cfg_file_key": PANA_KEY})
    params = {"devices": [raw], "defaults": defaults(encrypt_profiles=True, resync_interval=60),
              "roots": [str(root)], "state_dir": str(tmp_path / "state"), "bootstrap_serve": "window"}
    run(params, now=1000)
    bootstrap = (root / "KX-UTG300.cfg").read_bytes()
    assert b'CFG_STANDARD_FILE_PATH="http://prov.example.net/Config{MAC}.cfg"' in bootstrap
    key_file = (root / "Config0080F0C8C381.cfg").read_bytes()
    assert b'CFG_FILE_KEY="%s"' % PANA_KEY.encode() in key_file and SIP_PASSWORD.encode() not in key_file

    params["bootstrap_fetched"] = {"00:80:f0:c8:c3:81": [key_id({"cfg_file_key": PANA_KEY})]}
    closed = run(params, now=2000)
    assert closed["bootstrap"]["closed"] == ["pana"] and closed["warnings"] == []
    served = (root / "Config0080F0C8C381.cfg").read_bytes()
    assert served == (root / "Config0080F0C8C381.enc").read_bytes()
    assert b"CFG_FILE_KEY" not in served and SIP_PASSWORD.encode() not in served
    code, plaintext = _openssl_decrypt(served, PANA_KEY)
    assert code == 0
    assert ('SIP_PASS_1="%s"' % SIP_PASSWORD).encode() in plaintext
    assert b'CFG_STANDARD_FILE_PATH="http://prov.example.net/Config0080F0C8C381.enc"' in plaintext
    assert b'CFG_CYCLIC_INTVL="60"' in plaintext
    # The wrong key gives no profile.
    code, plaintext = _openssl_decrypt(served, "ff" * 16)
    assert code != 0 or SIP_PASSWORD.encode() not in plaintext
    # A rerun with the window closed changes nothing.
    assert not run(params, now=3000)["changed"]
