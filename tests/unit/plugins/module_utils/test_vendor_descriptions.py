# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every registered vendor's description agrees with what its renderer does.

The descriptions are what the rest of the collection reads (nginx binds a
device's files to its certificate by ``device_paths``, the fetch log
attributes fetches by them and by ``user_agents``, ``--diff`` masks by
``secret_params``), so a description that disagrees with its renderer breaks
things silently: a per-device file nginx takes for a shared one is served
without the certificate check. :func:`description_problems` is the check; it
runs on a fleet of every model each vendor lists, rendered with encryption on
and off, with and without Grandstream's file name prefix and postfix, in its
first (bootstrap) form and during a key rotation. The last tests prove that
the check fails on broken copies of a real description.
"""

from __future__ import annotations

import hashlib
import inspect
import re

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _device_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import GENERIC_SETTINGS, Setting
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    SETTINGS,
    load_fleet,
    render_fleet,
    required_keys,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import text_view
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    mask_assignments,
    mask_xml_elements,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    MAC_PATTERN,
    UserAgent,
    VendorDescription,
    check_description,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import (
    DESCRIPTIONS,
    VENDORS,
)

ADMIN_PASSWORD = "AdminSecret77"

#: What each description's sample User-Agent says, written out by hand from
#: the source the sample comes from: a pattern that parses its sample into
#: something else fails here.
SAMPLE_PARSES = {
    "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859":
        {"model": "GXP1628", "mac": "c074ad2bd859", "firmware": "1.0.4.138"},
    "Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8":
        {"model": "GXP2000", "mac": "000b822726c8", "firmware": "1.2.5.3"},
    "Linksys/SPA-2102-2.0.5 (88012BA01234)": {"model": "SPA-2102", "mac": None, "firmware": "2.0.5"},
    "Cisco-CP-7832-3PCC/11.0.1 (00562b043615)": {"model": "CP-7832-3PCC", "mac": "00562b043615", "firmware": "11.0.1"},
    "Cisco/ATA192-MPP-12-0-1 (0c1167abcdef)": {"model": "ATA192-MPP", "mac": "0c1167abcdef", "firmware": "12-0-1"},
    "Cisco/ATA192-MPP-11-1-0MPP-16 (FCH2118DGQP)": {"model": "ATA192-MPP", "mac": None, "firmware": "11-1-0MPP-16"},
    "Panasonic_KX-UT113/01.133 (0080f0c8c381)": {"model": "KX-UT113", "mac": "0080f0c8c381", "firmware": "01.133"},
    "Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37": {"model": "T46G", "mac": "0015654aa937", "firmware": "28.72.0.1"},
    "Yealink SIP-T56A  58.80.0.25 001565f429a4": {"model": "T56A", "mac": "001565f429a4", "firmware": "58.80.0.25"},
    "Yealink W70B 146.87.0.15 80:5e:0c:1d:65:4e": {"model": "W70B", "mac": "805e0c1d654e", "firmware": "146.87.0.15"},
    # Poly names no MAC: it comes from the requested path.
    "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application": {"model": "VVX_400", "mac": None, "firmware": "4.1.4.7430"},
    "FileTransport PolycomSoundPointIP-SPIP_335-UA/3.2.1.0078": {"model": "SPIP_335", "mac": None, "firmware": "3.2.1.0078"},
    "Mozilla/4.0 (compatible; snomD785-SIP 10.1.169.16 2010.12-00001-gd311851f1 (Feb 25 2019 - 14:19:43) 00041396D9B4 "
    "SXM:0 UXM:0 UXMC:0)": {"model": "D785", "mac": "00041396d9b4", "firmware": "10.1.169.16"},
    "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)":
        {"model": "D785", "mac": "000413922d24", "firmware": "10.1.33.33"},
    "Mozilla/4.0 (compatible; Snom M900 05.20.0001 000413b60680)": {"model": "M900", "mac": "000413b60680", "firmware": "05.20.0001"},
    # Snom 7.x/8.x firmware names no MAC.
    "Mozilla/4.0 (compatible; snom320-SIP 8.4.18 1.1.3-s)": {"model": "320", "mac": None, "firmware": "8.4.18"},
    "Fanvil X6U Pro 0.0.10 0c383e2cd782": {"model": "X6U Pro", "mac": "0c383e2cd782", "firmware": "0.0.10"},
    "Fanvil X4 2.10.2.6887 0c383e07e16c": {"model": "X4", "mac": "0c383e07e16c", "firmware": "2.10.2.6887"},
}

#: A device certificate subject of each family that has one, as nginx gives it
#: (``$ssl_client_s_dn``, RFC 2253), and the MAC it names: seed 002's SPA2102
#: subject (``S=`` in the guide, ``ST=`` in OpenSSL's output), and the
#: subject form of docs/roles/http_server.md for Grandstream.
SUBJECT_SAMPLES = {
    "grandstream": [("OU=GXP2170,CN=c074ad000001", "c074ad000001")],
    "cisco_spa": [("ST=000e08abcdef,L=88012BA01234,OU=SPA-2102", "000e08abcdef"),
                  ("OU=SPA-2102,L=88012BA01234,S=000e08abcdef", "000e08abcdef")],
    # The factory certificate's CN is the MAC (vendor-facts-more 3.6; eventphone guru3 snom/views.py).
    "snom": [("CN=000413922D24", "000413922d24")],
}

#: Settings of the fleet's two name variants. Grandstream's config prefix and
#: postfix (P234/P235) wrap every file name it serves; the other vendors
#: ignore them.
NAME_VARIANTS = {
    "plain_names": {},
    "prefixed_names": {"config_prefix": "gs_", "config_postfix": "_cfg001"},
}


# --- the check --------------------------------------------------------------------------


def _path_regexes(description):
    return [re.compile(pattern.replace("{mac}", MAC_PATTERN), re.IGNORECASE) for pattern in description.device_paths]


def is_unbindable_device_file(vendor, directories, item):
    """The documented exception to "a device's file names its MAC": Cisco's ``profile/<GPP_B>/`` directory.

    Cisco's secure flow serves a device's encrypted profile from a random
    directory (its ``gpp_b`` key) under the model's shared name, so the path
    holds no MAC and nginx cannot bind it to a certificate; the secrecy of the
    directory and the per-device key protect it (``docs/roles/http_server.md``).
    Only a file directly in one of the device's own ``directories`` (its
    current ``gpp_b``, and during a rotation its next one) is excused.
    """
    parts = item.path.split("/")
    return (vendor in ("cisco_spa", "cisco_mpp") and len(parts) == 3 and parts[0] == "profile"
            and parts[1] in directories)


def _path_mac(regexes, uri):
    """The MAC the first matching pattern finds in ``uri`` (``""`` if its ``{mac}`` took no part), or ``None``."""
    for regex in regexes:
        match = regex.search(uri)
        if match is not None:
            return (match.group(1) or "").lower()
    return None


def _secrets_left(text, description, secrets):
    masked = mask_assignments(mask_xml_elements(text, description.is_secret_param), description.is_secret_param)
    return sorted(secret for secret in secrets if secret in masked)


def _file_text(item, device):
    """What the phone reads of ``item``: the plaintext of an encrypted file, the text view of the rest."""
    if item.plaintext is not None:
        return text_view(item.plaintext, None, item.tag._replace(encoding=("plain",), digest=None))
    return text_view(item.content, device.keys if device else None, item.tag)


def description_problems(description, files, fleet, secrets, directories, sample_parses=None):
    """What is wrong with ``description`` against the files its vendor rendered for ``fleet``; empty if nothing.

    ``files`` are every file of the run (any vendor's); ``secrets`` maps a
    device label to the passwords and keys its files may carry,
    ``directories`` to its Cisco ``gpp_b`` directories. ``sample_parses``
    maps each sample User-Agent to what it says (default
    :data:`SAMPLE_PARSES`).
    """
    sample_parses = SAMPLE_PARSES if sample_parses is None else sample_parses
    problems = ["%s: %s" % (description.name, problem) for problem in check_description(description)]
    regexes = _path_regexes(description)
    devices = dict((device.label, device) for device in fleet)
    for item in files:
        if item.vendor != description.name:
            continue
        uri = "/" + item.path
        if item.device is None:
            if any(regex.search(uri) for regex in regexes):
                problems.append("%s: shared file %s matches a device path pattern" % (description.name, item.path))
            continue
        device = devices[item.device]
        found = _path_mac(regexes, uri)
        if found and description.device_path_mac(item.path) != found:
            # What the fetch log uses must say the same as nginx's reading of the patterns.
            problems.append("%s: device_path_mac(%s) is not %s" % (description.name, item.path, found))
        if found != device.mac and not is_unbindable_device_file(description.name, directories.get(device.label, ()), item):
            problems.append("%s: device %s's file %s %s" % (
                description.name, device.label, item.path,
                "matches no device path pattern" if found is None else "yields the MAC %s, not %s" % (found, device.mac)))
        left = _secrets_left(_file_text(item, device), description, secrets.get(device.label, ()))
        if left:
            problems.append("%s: device %s's file %s carries %d secret value(s) in a parameter the description "
                            "does not declare secret" % (description.name, device.label, item.path, len(left)))
    for agent in description.user_agents:
        parsed = agent.parse(agent.sample)
        expected = sample_parses.get(agent.sample)
        if parsed is None or not parsed["model"]:
            problems.append("%s: user agent sample %r gives no model" % (description.name, agent.sample))
        elif expected is None:
            problems.append("%s: user agent sample %r has no expected parse"
                            % (description.name, agent.sample))
        elif parsed != expected:
            problems.append("%s: user agent sample %r parses to %r, not %r"
                            % (description.name, agent.sample, parsed, expected))
        if "mac" in agent.regex.groupindex and parsed is not None and not parsed["mac"]:
            problems.append("%s: user agent sample %r gives no MAC" % (description.name, agent.sample))
    return problems


# --- the fleet: every listed model of every vendor ----------------------------------------------


def _key(label, name, size, generation):
    return hashlib.sha256(("%s/%s/%d" % (label, name, generation)).encode()).hexdigest()[:2 * size]


def fleet_devices():
    devices = []
    for vendor in sorted(VENDORS):
        for model in VENDORS[vendor].known_models():
            index = len(devices) + 1
            label = "%s-%s" % (vendor, model.lower())
            devices.append({"name": label, "mac": "00aa%08x" % index, "model": model,
                            "lines": [{"extension": "%d" % (100 + index), "password": "SipSecret%d" % index}]})
    return devices


def render_variant(encrypted, names):
    """``(files, fleet, secrets, directories)`` of the whole fleet, bootstrap and rotation forms together."""
    defaults = dict({"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net/p",
                     "admin_password": ADMIN_PASSWORD, "allow_plain_credentials": True,
                     "encrypt_profiles": False, "model_profiles": True, "common_profile": True}, **NAME_VARIANTS[names])
    devices = fleet_devices()
    dummy, plain_fleet = load_fleet(devices, defaults)
    encryptable = set(device.label for device in plain_fleet if VENDORS[device.vendor].can_encrypt(device))
    for raw in devices:
        raw["settings"] = {"encrypt_profiles": encrypted and raw["name"] in encryptable}
    dummy, unkeyed = load_fleet(devices, defaults)
    wanted = required_keys(unkeyed)
    for raw in devices:
        raw["keys"] = dict((name, _key(raw["name"], name, size, 0)) for name, size in wanted.get(raw["name"], {}).items())
    inventory, fleet = load_fleet(devices, defaults)
    files = render_fleet(inventory, fleet)
    secrets = {}
    rotations = {}
    for raw, device in zip(devices, fleet):
        secrets[device.label] = set([raw["lines"][0]["password"], ADMIN_PASSWORD] + list(raw["keys"].values()))
        if raw["keys"]:
            rotated = dict(raw, keys=dict((name, _key(raw["name"], name, len(value) // 2, 1))
                                          for name, value in raw["keys"].items()))
            dummy, (next_device,) = load_fleet([rotated], defaults)
            rotations[device.label] = next_device
            secrets[device.label].update(next_device.keys.values())
    assert rotations or not encrypted
    # The rotation form: the files of a run that moves every keyed device to new keys.
    rotation_files = render_fleet(inventory, fleet, rotations=rotations) if rotations else []
    directories = {}
    for device in fleet:
        for each in (device, rotations.get(device.label)):
            if each is not None and each.keys.get("gpp_b"):
                directories.setdefault(device.label, set()).add(each.keys["gpp_b"])
    return files + rotation_files, fleet, secrets, directories


@pytest.fixture(name="variant", scope="module", params=[
    (encrypted, names) for encrypted in (True, False) for names in sorted(NAME_VARIANTS)],
    ids=lambda param: "%s-%s" % ("encrypted" if param[0] else "plain", param[1]))
def variant_fixture(request):
    return render_variant(*request.param)


# --- the tests --------------------------------------------------------------------------------


def test_every_vendor_has_a_description_of_its_own():
    assert sorted(DESCRIPTIONS) == sorted(VENDORS)
    for name, renderer in VENDORS.items():
        assert renderer.description is DESCRIPTIONS[name]
        assert DESCRIPTIONS[name].name == name


@pytest.mark.parametrize("vendor", sorted(DESCRIPTIONS))
def test_description_has_no_empty_field(vendor):
    assert check_description(DESCRIPTIONS[vendor]) == []


def test_fleet_covers_every_vendor_and_file_kind(variant):
    files, fleet, dummy, dummy = variant
    assert set(device.vendor for device in fleet) == set(VENDORS)
    assert set(item.vendor for item in files) == set(VENDORS)
    # Each vendor renders device files and shared files: both sides of the check run.
    for vendor in VENDORS:
        mine = [item for item in files if item.vendor == vendor]
        assert any(item.device for item in mine) and any(item.device is None for item in mine), vendor


@pytest.mark.parametrize("vendor", sorted(DESCRIPTIONS))
def test_description_matches_rendered_files(vendor, variant):
    assert description_problems(DESCRIPTIONS[vendor], *variant) == []


@pytest.mark.parametrize("vendor", sorted(DESCRIPTIONS))
def test_certificate_subject_patterns_find_the_mac(vendor):
    patterns = [re.compile(pattern.replace("{mac}", MAC_PATTERN), re.IGNORECASE)
                for pattern in DESCRIPTIONS[vendor].client_certificate_mac]
    samples = SUBJECT_SAMPLES.get(vendor, [])
    # A family declares subject patterns exactly when the tests know a subject of its phones.
    assert bool(patterns) == bool(samples)
    for subject, mac in samples:
        assert [match.group(1).lower() for match in (regex.search(subject) for regex in patterns) if match] == [mac]
        # A MAC in another attribute (the serial number's place) is not the device's.
        assert not any(regex.search(subject.replace("CN=", "L=").replace("ST=", "L=").replace("S=", "L="))
                       for regex in patterns)


def test_every_sample_user_agent_is_checked():
    samples = set(agent.sample for description in DESCRIPTIONS.values() for agent in description.user_agents)
    assert samples == set(SAMPLE_PARSES)


# --- the check fails where it must --------------------------------------------------------------


def replaced(description, **changes):
    """A copy of ``description`` built by its constructor, with ``changes``."""
    names = [name for name in inspect.signature(VendorDescription.__init__).parameters if name != "self"]
    arguments = dict((name, getattr(description, name)) for name in names)
    arguments.update(changes)
    return VendorDescription(**arguments)


@pytest.fixture(name="encrypted_fleet", scope="module")
def encrypted_fleet_fixture():
    return render_variant(True, "prefixed_names")


@pytest.mark.parametrize("vendor, changes, expected", [
    ("panasonic", {"title": ""}, "panasonic: title is empty"),
    ("cisco_spa", {"device_paths": ()}, "cisco_spa: device_paths is empty"),
    # A pattern that misses the phone's own file: nginx would serve it without the certificate check.
    ("cisco_mpp", {"device_paths": (r"^/(?:[^/]+/)*SEP{mac}\.cnf\.xml$",)}, "matches no device path pattern"),
    ("grandstream", {"device_paths": (r"^/(?:[^/]+/)*cfg{mac}\.xml$",)}, "matches no device path pattern"),
    # A pattern so broad that a shared file matches it.
    ("cisco_spa", {"device_paths": (r"^/(?:[^/]+/)*spa(?:{mac}\.xml|[0-9]+\.cfg)$",)},
     "shared file spa2102.cfg matches a device path pattern"),
    # Undeclared secrets: the account passwords, the keys.
    ("cisco_spa", {"secret_param_patterns": (r"^gpp_[ab]$|passwd",)}, "does not declare secret"),
    ("panasonic", {"secret_param_patterns": (r"PASS",)}, "does not declare secret"),
    ("grandstream", {"secret_params": frozenset(["P2", "P1359"])}, "does not declare secret"),
    ("grandstream", {"secret_params": frozenset(["P2", "P34", "P406", "P506", "P606", "P1706", "P1806"])},
     "does not declare secret"),
    # A User-Agent pattern that matches its sample but reads the wrong model.
    ("panasonic", {"user_agents": (UserAgent(r"^Panasonic_(?P<model>KX)-[0-9A-Z]+/(?P<firmware>\S+) \((?P<mac>[0-9a-f]{12})\)",
                                             "Panasonic_KX-UT113/01.133 (0080f0c8c381)"),)},
     "parses to"),
    ("grandstream", {"user_agents": (UserAgent(r"^Grandstream Model HW (?P<model>\S+) SW (?P<firmware>\S+)",
                                               "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859"),)},
     "macs_in_user_agent is true but no user agent pattern has a mac group"),
])
def test_check_fails_on_a_broken_description(vendor, changes, expected, encrypted_fleet):
    assert description_problems(DESCRIPTIONS[vendor], *encrypted_fleet) == []
    problems = description_problems(replaced(DESCRIPTIONS[vendor], **changes), *encrypted_fleet)
    assert any(expected in problem for problem in problems), problems


def test_unbindable_exception_is_only_the_devices_own_directory(encrypted_fleet):
    """A Cisco file in another device's random directory, or deeper, or of another vendor, is no exception."""
    files, fleet, dummy, directories = encrypted_fleet
    item = next(item for item in files if item.vendor == "cisco_spa" and item.device and item.path.startswith("profile/"))
    own = directories[item.device]
    other = next(directories[device.label] for device in fleet
                 if device.vendor == "cisco_spa" and device.label != item.device)
    assert is_unbindable_device_file("cisco_spa", own, item)
    assert not is_unbindable_device_file("cisco_spa", other, item)
    assert not is_unbindable_device_file("grandstream", own, item)
    deeper = type(item)(item.path.replace("/", "/x/", 1), item.content, device=item.device)
    assert not is_unbindable_device_file("cisco_spa", own, deeper)


def test_check_reads_what_every_device_is_served(encrypted_fleet):
    """The secret check is not vacuous: each device's SIP password is in the text it reads from its files."""
    files, fleet, secrets, dummy = encrypted_fleet
    texts = {}
    for item in files:
        if item.device is not None:
            texts.setdefault(item.device, []).append(_file_text(item, next(d for d in fleet if d.label == item.device)))
    for device in fleet:
        password = device.lines[0].password
        assert password in secrets[device.label]
        assert any(password in text for text in texts[device.label]), device.label


@pytest.mark.parametrize("vendor", sorted(DESCRIPTIONS))
def test_check_fails_when_nothing_is_declared_secret(vendor, encrypted_fleet):
    problems = description_problems(replaced(DESCRIPTIONS[vendor], secret_params=frozenset(["NONE"]),
                                             secret_param_patterns=(), not_secret_param_patterns=()), *encrypted_fleet)
    assert any("does not declare secret" in problem for problem in problems), problems


# --- the settings only some families read ------------------------------------------------------

#: Which family declares which of its own settings.
FAMILY_SETTINGS = {
    "grandstream": ["common_profile", "config_postfix", "config_prefix", "firmware_postfix", "firmware_prefix",
                    "model_profiles"],
    "cisco_spa": ["compress_profiles"],
    "cisco_mpp": ["compress_profiles"],
    "panasonic": [],
    "yealink": ["http_credentials", "yealink_compat_encryption"],
    "poly": ["http_credentials"],
    "snom": ["http_credentials", "snom_timezone"],
    "fanvil": ["fanvil_config_format", "http_credentials"],
}


def test_vendor_settings_live_in_their_families_descriptions():
    for vendor, names in FAMILY_SETTINGS.items():
        assert sorted(DESCRIPTIONS[vendor].settings) == names
        assert not set(names) & set(GENERIC_SETTINGS)
        assert sorted(DESCRIPTIONS[vendor].facts()["settings"]) == names
    # The two Cisco families share one declaration.
    assert DESCRIPTIONS["cisco_spa"].settings["compress_profiles"] is DESCRIPTIONS["cisco_mpp"].settings["compress_profiles"]
    assert DESCRIPTIONS["grandstream"].facts()["settings"]["model_profiles"]["default"] is False


def test_inventory_accepts_the_union_and_nothing_else():
    assert set(SETTINGS) == set(GENERIC_SETTINGS) | set(name for names in FAMILY_SETTINGS.values() for name in names)
    inventory, fleet = load_fleet([{"name": "a", "mac": "000b82000001", "model": "GXP2170",
                                    "lines": [{"extension": "1", "password": "p"}]}],
                                  {"sip_server": "pbx", "config_prefix": "gs_", "compress_profiles": True,
                                   "encrypt_profiles": False, "allow_plain_credentials": True})
    assert fleet[0].settings["config_prefix"] == "gs_" and inventory.defaults["compress_profiles"] is True
    # A family's boolean setting is checked like a generic one, and its default applies to every device.
    with pytest.raises(ProvisioningError, match=r"field sipfleet_defaults.model_profiles: must be true or false"):
        load_fleet([], {"model_profiles": "yes"})
    with pytest.raises(ProvisioningError, match=r"unknown setting 'no_such_setting'; known settings: admin_password, "):
        load_fleet([], {"no_such_setting": 1})


def test_two_families_declaring_one_setting_differently_is_refused(monkeypatch):
    other = replaced(DESCRIPTIONS["panasonic"], name="clash",
                     settings={"compress_profiles": Setting("bool", "something else", default=True)})
    monkeypatch.setitem(DESCRIPTIONS, "clash", other)
    monkeypatch.setattr(_device_model, "_ALL_SETTINGS", {})
    with pytest.raises(ValueError, match="setting compress_profiles of vendor .* is declared twice"):
        _device_model.all_settings()
    generic = replaced(DESCRIPTIONS["panasonic"], name="clash", settings={"sip_server": Setting("str", "mine")})
    monkeypatch.setitem(DESCRIPTIONS, "clash", generic)
    monkeypatch.setattr(_device_model, "_ALL_SETTINGS", {})
    with pytest.raises(ValueError, match="setting sip_server of vendor clash is declared twice"):
        _device_model.all_settings()


@pytest.mark.parametrize("settings, expected", [
    ({"Config-Prefix": Setting("str", "x")}, "settings name 'Config-Prefix' must be lower-case words"),
    ({"config_prefix": Setting("text", "x")}, "settings[config_prefix] must be a Setting with a kind"),
    ({"config_prefix": Setting("str", "")}, "settings[config_prefix] must be a Setting with a kind"),
    ({"config_prefix": "gs_"}, "settings[config_prefix] must be a Setting with a kind"),
])
def test_check_description_refuses_a_bad_setting(settings, expected):
    problems = check_description(replaced(DESCRIPTIONS["grandstream"], settings=settings))
    assert any(problem.startswith(expected) for problem in problems), problems
