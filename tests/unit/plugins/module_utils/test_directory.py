# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phone directory (``sipfleet_directory``): the model, each family's phonebook, the profiles that point at it.

Golden files under ``golden/directory/<flow>/`` (the served path with ``/``
as ``__``); regenerate with ``SIPFLEET_REGENERATE_GOLDEN=1`` and review them
against each family's format in ``docs/vendors/<family>.md`` (Directory).
"""

from __future__ import annotations

import copy
import os
import re
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    ProfileFormatError,
    ProvisioningError,
    ProvisioningErrors,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import VENDORS, load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import MAC_PATTERN
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import directory as gs_directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.legacy_view import text as legacy_text
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly import directory as poly_directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom import directory as snom_directory
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink import directory as yealink_directory

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "directory")
REGENERATE = os.environ.get("SIPFLEET_REGENERATE_GOLDEN") == "1"

BASE = "http://prov.example.net/p"
DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": BASE + "/", "encrypt_profiles": False,
            "allow_plain_credentials": True}
SITES = {"berlin": {}, "paris": {}}
PASSWORDS = ["pw-%d-Secret" % number for number in range(20)]

#: The strict decoder of each family with a phonebook format.
DECODERS = {
    "grandstream": gs_directory.parse_directory,
    "cisco_spa": cisco_directory.parse_directory,
    "cisco_mpp": cisco_directory.parse_directory,
    "yealink": yealink_directory.parse_directory,
    "snom": snom_directory.parse_directory,
    "poly": poly_directory.parse_directory,
}

CONTACTS = [
    {"name": "Front desk", "numbers": ["+49 30 1234"]},
    {"name": "Smith & Sons <Plumbing>", "numbers": ["030 555-1", "+49 (170) 555.2"], "group": "Suppliers"},
    # The same name as a line of the fleet: both stay.
    {"name": "Anna Berg", "numbers": ["*21#"]},
]


def device(name, mac, model, extension, display_name=None, site=None, **settings):
    line = {"extension": extension, "password": PASSWORDS[int(extension) % 20]}
    if display_name is not None:
        line["display_name"] = display_name
    raw = {"name": name, "mac": mac, "model": model, "lines": [line]}
    if site is not None:
        raw["site"] = site
    if settings:
        raw["settings"] = settings
    return raw


def fleet_devices():
    return [
        device("gs", "000b82123456", "GXP2170", "201", "Anna Berg", "berlin"),
        device("gs-legacy", "000b82654321", "GXP2000", "202", "Bob & Co <old>"),
        device("spa", "88012ba01234", "SPA2102", "203", "Carla Diaz", "paris"),
        device("mpp", "00562b043615", "CP-8841-3PCC", "204", "Dieter", "berlin"),
        device("yealink", "001565000001", "T46U", "205", "Zoë Ünal", "paris"),
        device("poly", "0004f2000001", "VVX410", "206", "Emil", "berlin"),
        device("snom", "000413000001", "D785", "207", "Fay", "paris"),
        device("fanvil", "0c383e000001", "X4", "208", "Gus"),
        device("pana", "0080f0c8c381", "KX-UTG200", "209", "Hana", "berlin"),
        device("hdv", "0080f0c8c382", "KX-HDV130", "210", "Ivo"),
    ]


FLOWS = {
    "fleet": {"contacts": CONTACTS},
    "per_site": {"per_site": True, "contacts": CONTACTS},
}


def render(directory, raw=None, defaults=None, sites=None):
    inventory, fleet = load_fleet(copy.deepcopy(raw if raw is not None else fleet_devices()), dict(defaults or DEFAULTS),
                                  SITES if sites is None else sites, None, directory)
    warnings = []
    files = render_fleet(inventory, fleet, warnings=warnings)
    return inventory, fleet, files, warnings


def phonebooks(files):
    return dict((item.path, item) for item in files if item.kind == "phonebook")


def by_path(files):
    return dict((item.path, item) for item in files)


# --- the model -----------------------------------------------------------------------------


def test_no_variable_is_no_directory_and_an_empty_mapping_is_the_default_one():
    assert _directory.check_directory(None) is None
    directory = _directory.check_directory({})
    assert (directory.fleet, directory.per_site, directory.contacts) == (True, False, ())
    directory = _directory.check_directory({"fleet": False, "per_site": True, "contacts": [
        {"name": "A", "numbers": ["1", "2"], "group": "G"}]})
    assert (directory.fleet, directory.per_site) == (False, True)
    assert directory.contacts == (_directory.Entry("A", "1", "G", False), _directory.Entry("A", "2", "G", False))


@pytest.mark.parametrize("raw, field, words", [
    ([], "sipfleet_directory", "must be a mapping"),
    ({"colour": "red"}, "sipfleet_directory.colour", "unknown field"),
    ({"fleet": "yes"}, "sipfleet_directory.fleet", "true or false"),
    ({"per_site": 1}, "sipfleet_directory.per_site", "true or false"),
    ({"contacts": {"name": "A"}}, "sipfleet_directory.contacts", "must be a list"),
    ({"contacts": ["A"]}, "sipfleet_directory.contacts[0]", "must be a mapping"),
    ({"contacts": [{"name": "A", "numbers": ["1"], "email": "a@b"}]}, "sipfleet_directory.contacts[0].email", "unknown field"),
    ({"contacts": [{"numbers": ["1"]}]}, "sipfleet_directory.contacts[0].name", "is required"),
    ({"contacts": [{"name": "", "numbers": ["1"]}]}, "sipfleet_directory.contacts[0].name", "is required"),
    ({"contacts": [{"name": 42, "numbers": ["1"]}]}, "sipfleet_directory.contacts[0].name", "YAML read it as the integer 42"),
    ({"contacts": [{"name": "A\x07B", "numbers": ["1"]}]}, "sipfleet_directory.contacts[0].name", "U+0007"),
    ({"contacts": [{"name": "A\u2028B", "numbers": ["1"]}]}, "sipfleet_directory.contacts[0].name", "U+2028"),
    ({"contacts": [{"name": " A", "numbers": ["1"]}]}, "sipfleet_directory.contacts[0].name", "white space"),
    ({"contacts": [{"name": "A", "numbers": ["1"], "group": ["G"]}]}, "sipfleet_directory.contacts[0].group",
     "must be a string"),
    ({"contacts": [{"name": "A"}]}, "sipfleet_directory.contacts[0].numbers", "non-empty list"),
    ({"contacts": [{"name": "A", "numbers": []}]}, "sipfleet_directory.contacts[0].numbers", "non-empty list"),
    ({"contacts": [{"name": "A", "numbers": "+49 30 1"}]}, "sipfleet_directory.contacts[0].numbers", "non-empty list"),
    ({"contacts": [{"name": "A", "numbers": ["1"]}, {"name": "B", "numbers": ["2"]},
                   {"name": "C", "numbers": [4930123]}]},
     "sipfleet_directory.contacts[2].numbers[0]", 'quote the phone number exactly as written'),
    ({"contacts": [{"name": "A", "numbers": ["1", "call me"]}]}, "sipfleet_directory.contacts[0].numbers[1]",
     "is not a phone number"),
    ({"contacts": [{"name": "A", "numbers": ["+ ()"]}]}, "sipfleet_directory.contacts[0].numbers[0]", "at least one digit"),
    ({"contacts": [{"name": "A", "numbers": ["1\n2"]}]}, "sipfleet_directory.contacts[0].numbers[0]", "U+000A"),
    ({"contacts": [{"name": "A", "numbers": [None]}]}, "sipfleet_directory.contacts[0].numbers[0]", "is required"),
])
def test_every_bad_value_is_an_error_naming_its_field(raw, field, words):
    with pytest.raises(ProvisioningError) as failure:
        _directory.check_directory(raw)
    errors = failure.value.errors if isinstance(failure.value, ProvisioningErrors) else [failure.value]
    assert [error.field for error in errors] == [field]
    assert words in errors[0].message, errors[0].message
    assert errors[0].device is None


def test_every_error_is_reported_at_once_and_by_load_fleet_too():
    raw = {"fleet": "no", "contacts": [{"name": 1, "numbers": ["x"]}, {"name": "B", "numbers": [12]}]}
    with pytest.raises(ProvisioningErrors) as failure:
        _directory.check_directory(raw)
    assert [error.field for error in failure.value.errors] == [
        "sipfleet_directory.fleet", "sipfleet_directory.contacts[0].name", "sipfleet_directory.contacts[0].numbers[0]",
        "sipfleet_directory.contacts[1].numbers[0]"]
    with pytest.raises(ProvisioningErrors) as failure:
        load_fleet(fleet_devices(), DEFAULTS, SITES, None, raw)
    assert len(failure.value.errors) == 4


def test_a_fleet_line_a_directory_cannot_carry_names_its_device_and_field():
    line = SimpleNamespace(display_name="Anna\x1bBerg", extension="201")
    owner = SimpleNamespace(label="gs", lines=[SimpleNamespace(display_name="A", extension="200"), line],
                            error=lambda message, field=None: ProvisioningError(message, device="gs", field=field))
    with pytest.raises(ProvisioningError) as failure:
        _directory.line_entries(owner)
    assert (failure.value.device, failure.value.field) == ("gs", "lines[1].display_name")
    assert "U+001B" in failure.value.message


def test_a_site_that_cannot_name_a_path_is_an_error_with_per_site_only():
    raw = fleet_devices()[:1]
    raw[0]["site"] = "Berlin Mitte/2"
    sites = {"Berlin Mitte/2": {}}
    render({}, raw, sites=sites)
    with pytest.raises(ProvisioningError) as failure:
        render({"per_site": True}, raw, sites=sites)
    assert failure.value.field == "sipfleet_directory.per_site"
    assert "'Berlin Mitte/2'" in failure.value.message and "gs" in failure.value.message


def test_entries_are_sorted_by_name_then_number_exact_duplicates_dropped():
    raw = fleet_devices()[:2] + [device("gs2", "000b82000003", "GXP2170", "201", "Anna Berg")]
    inventory, fleet, files, dummy = render({"contacts": CONTACTS}, raw)
    entries = _directory.build_entries(inventory.directory, fleet)
    assert [(entry.name, entry.number) for entry in entries] == [
        ("Anna Berg", "*21#"), ("Anna Berg", "201"), ("Bob & Co <old>", "202"), ("Front desk", "+49 30 1234"),
        ("Smith & Sons <Plumbing>", "+49 (170) 555.2"), ("Smith & Sons <Plumbing>", "030 555-1")]
    # The order of the inventory does not matter: the same bytes.
    shuffled = list(reversed(raw))
    contacts = list(reversed(CONTACTS))
    assert phonebooks(render({"contacts": contacts}, shuffled)[2])["phonebook/grandstream/all/phonebook.xml"].content \
        == phonebooks(files)["phonebook/grandstream/all/phonebook.xml"].content


def test_fleet_false_gives_the_contacts_only():
    inventory, fleet, files, dummy = render({"fleet": False, "contacts": CONTACTS})
    parsed = yealink_directory.parse_directory(phonebooks(files)["phonebook/yealink/all/directory.xml"].content)
    assert [name for name, dummy in parsed] == ["Anna Berg", "Front desk", "Smith & Sons <Plumbing>",
                                                "Smith & Sons <Plumbing>"]


# --- the files ----------------------------------------------------------------------------


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_golden_phonebooks(flow):
    files = phonebooks(render(FLOWS[flow])[2])
    directory = os.path.join(GOLDEN, flow)
    named = dict((path.replace("/", "__"), item) for path, item in files.items())
    if REGENERATE:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        for name, item in named.items():
            with open(os.path.join(directory, name), "wb") as handle:
                handle.write(item.content)
    assert sorted(os.listdir(directory)) == sorted(named)
    for name, item in named.items():
        with open(os.path.join(directory, name), "rb") as handle:
            assert handle.read() == item.content, "%s/%s differs from the golden file" % (flow, name)


def test_per_site_files_are_only_those_a_device_reads():
    assert sorted(phonebooks(render(FLOWS["per_site"])[2])) == [
        "000000000000-directory.xml",
        "phonebook/cisco_mpp/site/berlin/directory.xml",
        "phonebook/cisco_spa/site/paris/directory.xml",
        "phonebook/grandstream/all/phonebook.xml",
        "phonebook/grandstream/site/berlin/phonebook.xml",
        "phonebook/snom/site/paris/tbook.xml",
        "phonebook/yealink/site/paris/directory.xml",
    ]
    assert sorted(phonebooks(render(FLOWS["fleet"])[2])) == [
        "000000000000-directory.xml",
        "phonebook/cisco_mpp/all/directory.xml",
        "phonebook/cisco_spa/all/directory.xml",
        "phonebook/grandstream/all/phonebook.xml",
        "phonebook/snom/all/tbook.xml",
        "phonebook/yealink/all/directory.xml",
    ]


def expected_entries(flow, site):
    inventory, fleet, dummy, dummy = render(FLOWS[flow])
    return _directory.build_entries(inventory.directory, fleet, site)


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_each_phonebook_parses_back_with_its_strict_decoder_and_with_an_xml_parser(flow):
    files = phonebooks(render(FLOWS[flow])[2])
    assert files
    for path, item in files.items():
        site = path.split("/")[3] if "/site/" in path else None
        wanted = [(entry.name, entry.number) for entry in expected_entries(flow, site)]
        decoded = DECODERS[item.vendor](item.content)
        assert [record[:2] for record in decoded] == wanted, path
        # Python's XML parser reads the same names and numbers (escaping done right).
        root = ElementTree.fromstring(item.content)
        if item.vendor in ("yealink", "cisco_spa", "cisco_mpp"):
            pairs = [(entry.findtext("Name"), entry.findtext("Telephone")) for entry in root.iter("DirectoryEntry")]
        elif item.vendor == "grandstream":
            pairs = [(contact.findtext("LastName"), contact.findtext("Phone/phonenumber")) for contact in root.iter("Contact")]
        elif item.vendor == "snom":
            pairs = [(entry.findtext("last_name"), entry.findtext("number")) for entry in root.iter("item")]
            assert [entry.get("index") for entry in root.iter("item")] == [str(index) for index in range(len(pairs))]
            assert [entry.get("type") for entry in root.iter("item")] == [
                "colleagues" if entry.colleague else "none" for entry in expected_entries(flow, site)]
        else:
            pairs = [(entry.findtext("ln"), entry.findtext("ct")) for entry in root.iter("item")]
        assert pairs == wanted, path


@pytest.mark.parametrize("vendor, old, new", [
    ("yealink", b"<Name>Front desk</Name>", b"<Name>Front desk </Name>"),
    ("yealink", b"&amp;", b"&"),
    ("yealink", b"</YealinkIPPhoneDirectory>\n", b"</YealinkIPPhoneDirectory>"),
    ("cisco_spa", b"<Title>Directory</Title>", b"<Title>Phonebook</Title>"),
    ("cisco_spa", b"&lt;", b"&#60;"),
    ("grandstream", b"<accountindex>1</accountindex>", b"<accountindex>0</accountindex>"),
    ("grandstream", b"<Phone>\n", b""),
    ("snom", b'index="1"', b'index="7"'),
    ("snom", b'type="none"', b'type="friends"'),
    ("poly", b"<fn></fn>", b"<fn>x</fn>"),
    ("poly", b"<item_list>\n", b""),
])
def test_the_strict_decoders_refuse_what_they_did_not_write(vendor, old, new):
    files = phonebooks(render(FLOWS["fleet"])[2])
    [item] = [item for item in files.values() if item.vendor == vendor]
    DECODERS[vendor](item.content)
    assert old in item.content
    with pytest.raises(ProfileFormatError):
        DECODERS[vendor](item.content.replace(old, new, 1))


def test_a_phonebook_is_a_shared_plain_file_with_no_secret_and_no_device_path():
    dummy, fleet, files, dummy = render(FLOWS["per_site"])
    books = phonebooks(files)
    patterns = [(name, re.compile(pattern.replace("{mac}", MAC_PATTERN), re.IGNORECASE))
                for name, renderer in VENDORS.items() for pattern in renderer.description.device_paths]
    for path, item in books.items():
        assert (item.device, item.secret, item.role, item.encoding, item.plaintext) == (None, False, "common", ("plain",), None)
        assert item.kind in VENDORS[item.vendor].description.encodings
        for password in PASSWORDS:
            assert password.encode() not in item.content, path
        for name, pattern in patterns:
            assert not pattern.search("/" + path), "%s matches a %s device path" % (path, name)


# --- the profiles ----------------------------------------------------------------------------


def test_each_profile_points_at_its_phonebook_with_the_vendors_parameters():
    files = by_path(render(FLOWS["per_site"])[2])
    yealink = files["001565000001.cfg"].content.decode()
    assert "remote_phonebook.data.1.url = %s/phonebook/yealink/site/paris/directory.xml\n" % BASE in yealink
    assert "remote_phonebook.data.1.name = Directory\n" in yealink
    spa = files["spa88012ba01234.xml"].content.decode()
    assert ("<XML_Directory_Service_Name>Directory</XML_Directory_Service_Name>\n"
            "  <XML_Directory_Service_URL>%s/phonebook/cisco_spa/site/paris/directory.xml</XML_Directory_Service_URL>"
            % BASE) in spa
    mpp = files["00562B043615.xml"].content.decode() if "00562B043615.xml" in files else None
    if mpp is None:
        [mpp] = [item.content.decode() for item in files.values() if item.device == "mpp" and item.kind == "xml"]
    assert "<XML_Directory_Service_URL>%s/phonebook/cisco_mpp/site/berlin/directory.xml</XML_Directory_Service_URL>" % BASE in mpp
    gs = files["cfg000b82123456.xml"].content.decode()
    assert "<P330>1</P330>" in gs and "<P331>prov.example.net/p/phonebook/grandstream/site/berlin</P331>" in gs
    # The legacy GXP: no site, the fleet-wide phonebook; its P-values in the legacy binary.
    legacy = legacy_text(files["cfg000b82654321"].content)
    assert "P330=1\n" in legacy and "P331=prov.example.net/p/phonebook/grandstream/all\n" in legacy
    container = files["snomD785-000413000001.htm"].content.decode()
    assert container.endswith('<file url="%s/snom-000413000001.xml"/>\n  <file url="%s/phonebook/snom/site/paris/tbook.xml"/>\n'
                              '</setting-files>\n' % (BASE, BASE)), container


#: The files a directory changes in the fleet of fleet_devices().
CHANGED_BY_THE_DIRECTORY = ["001565000001.cfg", "00562b043615.xml", "cfg000b82123456.xml", "cfg000b82654321",
                            "cfg000b82654321.bin", "snomD785-000413000001.htm", "spa88012ba01234.xml"]


def test_without_a_directory_no_file_and_no_profile_changes():
    """The golden tests of every family prove it for their fleets; here: None, and the families without a format."""
    plain = by_path(render(None)[2])
    assert not phonebooks(plain.values())
    with_directory = by_path(render(FLOWS["fleet"])[2])
    changed = sorted(path for path, item in plain.items() if with_directory[path].content != item.content)
    # Only the profiles that point at a phonebook change; Poly finds its own, Fanvil and Panasonic get none.
    assert changed == CHANGED_BY_THE_DIRECTORY
    assert set(with_directory) - set(plain) == set(phonebooks(with_directory.values()))
    for path in plain:
        if path.startswith(("0c383e", "0004f2", "Config0080F0")) or "0080f0" in path.lower():
            assert with_directory[path].content == plain[path].content, path


def test_a_raw_parameter_wins_over_the_directory():
    raw = [device("yealink", "001565000001", "T46U", "205", "Zoë")]
    raw[0]["params"] = {"remote_phonebook.data.1.url": "https://ldap.example.net/book.xml"}
    content = by_path(render(FLOWS["fleet"], raw)[2])["001565000001.cfg"].content.decode()
    assert content.count("remote_phonebook.data.1.url") == 1
    assert "remote_phonebook.data.1.url = https://ldap.example.net/book.xml\n" in content
    assert "remote_phonebook.data.1.name = Directory\n" in content


# --- the warnings -----------------------------------------------------------------------------


def directory_warnings(warnings):
    return [warning for warning in warnings if warning.startswith("sipfleet_directory:")]


def test_a_family_without_a_documented_format_is_one_warning_counting_its_devices():
    raw = fleet_devices() + [device("pana-%d" % index, "0080f0c8c3%02x" % (index + 16), "KX-UTG200", str(211 + index))
                             for index in range(5)]
    warnings = directory_warnings(render(FLOWS["fleet"], raw)[3])[1:]
    assert warnings == [
        "sipfleet_directory: no directory for 1 Fanvil device(s) (fanvil): no documented Fanvil phonebook format the "
        "collection can render (Xml_PhoneBook_Entry and xmlContact name the URL of an XML phonebook whose format no "
        "Fanvil document read describes; point the phones at a phonebook you serve with params)",
        "sipfleet_directory: no directory for 7 Panasonic device(s) (pana, hdv, pana-0, pana-1, pana-2 and 2 more): no "
        "documented Panasonic phonebook format the collection can render (no Panasonic document or public template read "
        "names a phonebook file or its parameter)",
    ]
    # Without a directory, only the other warnings.
    assert render(None, raw)[3] == [warning for warning in render(FLOWS["fleet"], raw)[3]
                                    if not warning.startswith("sipfleet_directory:")]


def test_groups_no_format_carries_are_a_warning():
    warnings = directory_warnings(render(FLOWS["fleet"])[3])
    assert warnings[0] == ("sipfleet_directory: the contacts' groups (Suppliers) are not in the phonebooks of Cisco MPP, "
                           "Cisco/Linksys SPA, Grandstream, Poly, Snom, Yealink: no group element is documented for their "
                           "formats")
    assert not [warning for warning in directory_warnings(render({"contacts": CONTACTS[:1]})[3]) if "groups" in warning]


def test_per_site_poly_phones_get_the_fleet_wide_directory_and_a_warning():
    warnings = directory_warnings(render(FLOWS["per_site"])[3])
    assert ("sipfleet_directory: the fleet-wide directory, not their site's, for 1 Poly device(s) (poly): Poly phones "
            "read one directory for the whole fleet (000000000000-directory.xml beside the shared master)") in warnings


def test_poly_keeps_one_entry_per_number_and_cuts_names_to_40_bytes_with_warnings():
    # Polycom SIP 3.0.2 Administrator's Guide: ct "cannot be null or duplicated"; fn, ln "up to 40 bytes".
    long_name = "Ünal-Österreicher Großhandel Büro Zürich Süd"  # 50 bytes of UTF-8, 44 characters
    contacts = [{"name": "Zed Reception", "numbers": ["201", "+49 30 1"]}, {"name": "Aaron", "numbers": ["201"]},
                {"name": long_name, "numbers": ["+49 30 2"]}, {"name": "Front", "numbers": ["+49 30 1"]}]
    raw = [device("gs", "000b82123456", "GXP2170", "201", "Anna Berg"),
           device("poly", "0004f2000001", "VVX410", "206", "Emil")]
    dummy, dummy, files, warnings = render({"contacts": contacts}, raw)
    books = phonebooks(files)
    # Byte 40 is the first of the two of "ü": the cut keeps 39 bytes, whole characters.
    cut = "Ünal-Österreicher Großhandel Büro Z"
    assert long_name.encode("utf-8")[:39] == cut.encode("utf-8") and long_name.encode("utf-8")[39:41] == "ü".encode()
    assert poly_directory.parse_directory(books["000000000000-directory.xml"].content) == [
        ("Aaron", "201"), ("Emil", "206"), ("Front", "+49 30 1"), (cut, "+49 30 2")]
    assert directory_warnings(warnings)[-2:] == [
        "sipfleet_directory: 3 entries left out of the Poly directory (000000000000-directory.xml): a Poly directory's "
        "number (ct) cannot be duplicated (Polycom SIP 3.0.2 Administrator's Guide), so each number keeps its first "
        "entry by name: 'Anna Berg' 201 (kept 'Aaron'), 'Zed Reception' +49 30 1 (kept 'Front'), 'Zed Reception' 201 "
        "(kept 'Aaron')",
        "sipfleet_directory: 1 name(s) cut to 40 bytes of UTF-8 in the Poly directory (000000000000-directory.xml), the "
        "most its ln holds (Polycom SIP 3.0.2 Administrator's Guide): %r to %r" % (long_name, cut),
    ]
    # The other families' formats hold them all.
    grandstream = gs_directory.parse_directory(books["phonebook/grandstream/all/phonebook.xml"].content)
    assert len(grandstream) == 7 and (long_name, "+49 30 2") in [record[:2] for record in grandstream]
    # Without a duplicate or a long name, no such warning.
    assert not [warning for warning in directory_warnings(render(FLOWS["fleet"])[3]) if "Poly directory" in warning]


def test_a_scheme_the_phonebook_is_not_fetched_over_is_a_warning_and_no_file():
    raw = [device("yealink", "001565000001", "T46U", "205", "Zoë", provisioning_url="tftp://prov.example.net/p"),
           device("gs-legacy", "000b82654321", "GXP2000", "202", "Bob", provisioning_url="tftp://prov.example.net/p"),
           device("gs", "000b82123456", "GXP2170", "201", "Anna", provisioning_url="https://prov.example.net/p")]
    dummy, dummy, files, warnings = render(FLOWS["fleet"], raw)
    assert directory_warnings(warnings)[1:] == [
        "sipfleet_directory: no directory for 1 Yealink device(s) (yealink): their provisioning_url's scheme is not one the "
        "Yealink phonebook is fetched over (http, https)",
    ]
    assert sorted(phonebooks(files)) == ["phonebook/grandstream/all/phonebook.xml"]
    files = by_path(files)
    assert "remote_phonebook" not in files["001565000001.cfg"].content.decode()
    # Grandstream fetches it over the device's own scheme: TFTP 2, HTTPS 3.
    legacy = legacy_text(files["cfg000b82654321"].content)
    assert "P330=2\n" in legacy and "P331=prov.example.net/p/phonebook/grandstream/all\n" in legacy
    assert "<P330>3</P330>" in files["cfg000b82123456.xml"].content.decode()


def test_grandstream_server_path_longer_than_the_template_allows_is_an_error():
    long_path = "https://prov.example.net/" + "d" * 200
    raw = [device("gs", "000b82123456", "GXP2170", "201", "Anna", provisioning_url=long_path)]
    render(FLOWS["fleet"], raw)
    raw = [device("gs", "000b82123456", "GXP2170", "201", "Anna", provisioning_url=long_path + "e" * 40)]
    with pytest.raises(ProvisioningError) as failure:
        render(FLOWS["fleet"], raw)
    assert (failure.value.device, failure.value.field) == ("gs", "settings.provisioning_url")
    assert "at most 256" in failure.value.message


def test_the_directory_url_never_carries_user_information():
    renderer = SimpleNamespace(directory_per_site=True, directory_path=lambda site: "phonebook/x/all/book.xml",
                               directory_schemes=lambda dev: None, transport=lambda dev: "https")
    owner = SimpleNamespace(site=None, settings={"provisioning_url": "https://user:p@ss@prov.example.net/p/"})
    inventory = SimpleNamespace(directory=_directory.check_directory({}))
    assert _directory.directory_url(renderer, owner, inventory) == "https://prov.example.net/p/phonebook/x/all/book.xml"
    assert _directory.directory_url(renderer, owner, SimpleNamespace(directory=None)) is None


@pytest.mark.parametrize("provisioning_url, expected", [
    ("http://h/p", "http://h/p/phonebook/x/all/book.xml"),
    ("http://h/p/", "http://h/p/phonebook/x/all/book.xml"),
    ("http://h", "http://h/phonebook/x/all/book.xml"),
    ("http://h/", "http://h/phonebook/x/all/book.xml"),
    ("http://h:8080/p?token=x", "http://h:8080/p/phonebook/x/all/book.xml"),
    ("http://h/p/?token=x#top", "http://h/p/phonebook/x/all/book.xml"),
    ("http://h/p#top", "http://h/p/phonebook/x/all/book.xml"),
    ("https://user:pa/ss@h/p?token=x", "https://h/p/phonebook/x/all/book.xml"),
    ("http://[2001:db8::5]:8080/p/?a=b", "http://[2001:db8::5]:8080/p/phonebook/x/all/book.xml"),
])
def test_the_directory_url_joins_the_path_and_drops_query_and_fragment(provisioning_url, expected):
    renderer = SimpleNamespace(directory_per_site=True, directory_path=lambda site: "phonebook/x/all/book.xml",
                               directory_schemes=lambda dev: None, transport=lambda dev: "http")
    owner = SimpleNamespace(site=None, settings={"provisioning_url": provisioning_url})
    inventory = SimpleNamespace(directory=_directory.check_directory({}))
    assert _directory.directory_url(renderer, owner, inventory) == expected


# --- the module run ----------------------------------------------------------------------------


def test_a_run_writes_the_phonebooks_once_and_a_rerun_changes_nothing(tmp_path):
    params = {"devices": fleet_devices(), "defaults": dict(DEFAULTS), "sites": SITES, "models": {},
              "directory": FLOWS["per_site"], "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state")}
    first = run(copy.deepcopy(params))
    assert first["changed"]
    assert "phonebook/yealink/site/paris/directory.xml" in first["changed_shared_files"]
    assert (tmp_path / "root" / "000000000000-directory.xml").read_bytes().startswith(b'<?xml version="1.0"')
    assert len(directory_warnings(first["warnings"])) == 4
    second = run(copy.deepcopy(params))
    assert not second["changed"] and second["written"] == 0
    # Dropping the directory prunes its files.
    params["directory"] = None
    third = run(copy.deepcopy(params))
    assert third["pruned"] == 7
    assert not (tmp_path / "root" / "000000000000-directory.xml").exists()
    assert not (tmp_path / "root" / "phonebook" / "yealink" / "site" / "paris" / "directory.xml").exists()
    assert not directory_warnings(third["warnings"])
