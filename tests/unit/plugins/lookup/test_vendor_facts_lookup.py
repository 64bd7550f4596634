# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The vendor_facts lookup, as the roles' defaults call it."""

from __future__ import annotations

import pytest

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS, vendor_facts

# What roles/http_server/defaults/main.yml and roles/dhcp/defaults/main.yml
# spelled out before they read the lookup: the lookup must give the roles
# the very same values (no change for users), in the same order (nginx tries
# its map's patterns in order).
PREVIOUS_DEVICE_FILE_PATTERNS = [
    r"^/(?:[^/]+/)*[^/]*cfg{mac}(?:\.xml|\.bin)?[^/]*$",
    r"^/(?:[^/]+/)*spa{mac}\.xml$",
    r"^/(?:[^/]+/)*{mac}\.xml$",
    r"^/(?:[^/]+/)*config{mac}\.(?:cfg|enc)$",
]
PREVIOUS_CLIENT_MAC_PATTERNS = [
    r"(?:^|[,+])CN={mac}(?:[,+]|$)",
    r"(?:^|[,+])(?:ST|S)={mac}(?:[,+]|$)",
]
PREVIOUS_DHCP_VENDOR_MATCH = {
    "grandstream": {"match": ["Grandstream", "HT8XX", "DP7XX"], "match_type": "prefix"},
    "cisco_spa": {"match": ["Linksys", "Cisco SPA"], "match_type": "prefix"},
    "cisco_mpp": {"match": ["Cisco ATA", "Cisco IP Phone", "Cisco Systems"], "match_type": "prefix"},
    "panasonic": {"match": ["Panasonic"], "match_type": "prefix"},
}


def run(*terms):
    return lookup_loader.get("sipfleet.provisioning.vendor_facts", loader=DataLoader(), templar=None).run(list(terms))


def template(expression):
    return Templar(loader=DataLoader()).template(TrustedAsTemplate().tag(expression))


def test_the_roles_get_the_values_they_had():
    """The families of before keep their values, in their order; a family added later only adds after them."""
    device_paths, subjects, match = run("device_paths", "client_certificate_mac", "dhcp_vendor_match")
    assert device_paths[:len(PREVIOUS_DEVICE_FILE_PATTERNS)] == PREVIOUS_DEVICE_FILE_PATTERNS
    assert subjects[:len(PREVIOUS_CLIENT_MAC_PATTERNS)] == PREVIOUS_CLIENT_MAC_PATTERNS
    assert list(match)[:len(PREVIOUS_DHCP_VENDOR_MATCH)] == list(PREVIOUS_DHCP_VENDOR_MATCH)
    assert dict((name, match[name]) for name in PREVIOUS_DHCP_VENDOR_MATCH) == PREVIOUS_DHCP_VENDOR_MATCH


def test_every_family_s_declared_patterns_are_in_the_flat_lists():
    # A family left out would have its device files served as shared files:
    # the client-certificate check would silently stop applying to them.
    device_paths, subjects = run("device_paths", "client_certificate_mac")
    for name, description in DESCRIPTIONS.items():
        assert description.device_paths, name
        for pattern in description.device_paths:
            assert pattern in device_paths, (name, pattern)
        for pattern in description.client_certificate_mac:
            assert pattern in subjects, (name, pattern)
    assert len(device_paths) == len(set(device_paths))
    assert len(subjects) == len(set(subjects))


def test_names_and_dhcp_vendor_match_cover_every_family():
    names, match = run("names", "dhcp_vendor_match")
    assert names == list(DESCRIPTIONS)
    assert list(match) == names
    for name, description in DESCRIPTIONS.items():
        expected = {"match": list(description.dhcp.vendor_class), "match_type": description.dhcp.match_type}
        if description.dhcp.ouis:
            expected["ouis"] = list(description.dhcp.ouis)
        assert match[name] == expected


def test_dhcp_vendor_match_gives_yealink_its_ouis_and_no_option_60_string():
    # The dhcp role reads C(ouis) where it reads C(match): Yealink's phones
    # are recognised by their MAC prefix only; the other families' entries
    # keep the two keys they had.
    match = run("dhcp_vendor_match")[0]
    assert match["yealink"] == {"match": [], "match_type": None, "ouis": [
        "001565", "e434d7", "805ec0", "805e0c", "249ad8", "44dbd2", "644f56", "b061a9", "c4fc22", "ec1da9", "3497d7",
        "f01653"]}
    assert match["poly"] == {"match": ["0000363d"], "match_type": "hex-prefix"}
    assert [name for name, entry in match.items() if "ouis" in entry] == ["yealink", "fanvil"]
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'dhcp_vendor_match')['yealink']['ouis'] }}") == (
        match["yealink"]["ouis"])


# The per-device HTTP credentials' patterns, written out by hand, in vendor
# order: Yealink's <mac>.cfg (and <mac>_Security.enc), Poly's <mac>-*.cfg and
# Snom's snom-<MAC>.xml need them; Yealink's <mac>.boot, the <mac>-bootstrap.cfg
# both families name (once in the flat list), Snom's snom<model>-<MAC>.htm and
# snom-<MAC>-bootstrap.xml are served without.
HTTP_CREDENTIALS_PATHS = [
    r"^/(?:[^/]+/)*(?!0{12}[._]){mac}(?:\.cfg|_Security\.enc)$",
    r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}-(?:sipfleet|phone|web|license|directory|app|boot)\.(?:cfg|xml|log)$",
    r"^/(?:[^/]+/)*snom-(?!0{12}\.){mac}\.xml$",
    r"^/(?:[^/]+/)*(?!0{12}[.]){mac}\.cfg$",
]
HTTP_CREDENTIALS_BOOTSTRAP_PATHS = [
    r"^/(?:[^/]+/)*{mac}\.boot$",
    r"^/(?:[^/]+/)*(?!0{12}[-.]){mac}-bootstrap\.cfg$",
    r"^/(?:[^/]+/)*snom[A-Za-z0-9]+-{mac}\.htm$",
    r"^/(?:[^/]+/)*snom-(?!0{12}-){mac}-bootstrap\.xml$",
]


def test_http_credentials_terms_are_the_declaring_families_flat_lists():
    paths, bootstrap = run("http_credentials_paths", "http_credentials_bootstrap_paths")
    declaring = [name for name, description in DESCRIPTIONS.items() if description.http_credentials is not None]
    assert declaring == ["yealink", "poly", "snom", "fanvil"]
    assert paths == HTTP_CREDENTIALS_PATHS
    assert bootstrap == HTTP_CREDENTIALS_BOOTSTRAP_PATHS
    # What the http_server role's defaults get from a template: the lists themselves.
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'http_credentials_paths') }}") == paths
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'http_credentials_bootstrap_paths') }}") == bootstrap


# The zero-MAC exclusion written out by hand, to check the generated one.
NONZERO_MAC = "(" + "|".join(
    ["[1-9a-f][0-9a-f]{11}"] + ["0{%d}[1-9a-f][0-9a-f]{%d}" % (zeros, 11 - zeros) for zeros in range(1, 11)]
    + ["0{11}[1-9a-f]"]) + ")"
HTTP_CREDENTIALS_TFTP_PATHS = [
    r"(^|/)" + NONZERO_MAC + r"(\.cfg|_Security\.enc)$",
    r"(^|/)" + NONZERO_MAC + r"-(sipfleet|phone|web|license|directory|app|boot)\.(cfg|xml|log)$",
    r"(^|/)snom-" + NONZERO_MAC + r"\.xml$",
    r"(^|/)" + NONZERO_MAC + r"\.cfg$",
]


def test_http_credentials_tftp_term_is_the_egrep_forms_with_the_mac_expanded():
    tftp_paths, = run("http_credentials_tftp_paths")
    assert tftp_paths == HTTP_CREDENTIALS_TFTP_PATHS
    assert not any("{mac}" in pattern for pattern in tftp_paths)
    # What the deploy playbook gives the tftp_server role: the list itself.
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'http_credentials_tftp_paths') }}") == tftp_paths


def test_no_term_is_every_family_s_facts():
    assert run() == [vendor_facts()]


def test_unknown_term_fails_naming_it_and_the_known_terms():
    with pytest.raises(AnsibleLookupError, match=r"unknown term 'device_path'; known terms: client_certificate_mac, "
                                                 r"device_paths, dhcp_vendor_match, http_credentials_bootstrap_paths, "
                                                 r"http_credentials_paths, http_credentials_tftp_paths, names"):
        run("names", "device_path")


def test_lookup_in_a_template_returns_the_value_itself():
    # What a role default gets: the list, not a comma-joined string.
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'device_paths') }}") == run("device_paths")[0]
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'names') }}") == list(DESCRIPTIONS)
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts', 'dhcp_vendor_match') }}") == run("dhcp_vendor_match")[0]
    assert template("{{ lookup('sipfleet.provisioning.vendor_facts')['grandstream']['notify']['event'] }}") == (
        DESCRIPTIONS["grandstream"].notify.event)


def test_query_returns_one_value_per_term():
    assert template("{{ query('sipfleet.provisioning.vendor_facts', 'names', 'client_certificate_mac') }}") == [
        list(DESCRIPTIONS), run("client_certificate_mac")[0]]
    assert template("{{ query('sipfleet.provisioning.vendor_facts', 'names') }}") == [list(DESCRIPTIONS)]


def test_unknown_term_in_a_template_fails():
    with pytest.raises(AnsibleError, match="unknown term 'nope'"):
        template("{{ lookup('sipfleet.provisioning.vendor_facts', 'nope') }}")


def test_the_facts_are_never_templated():
    # The patterns hold braces ({mac}, {12}): the values must come back as
    # data, whatever they hold.
    facts = template("{{ lookup('sipfleet.provisioning.vendor_facts') }}")
    assert facts == vendor_facts()
