# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DhcpFacts.ouis: the MAC address prefixes a family's phones are recognised by in DHCP.

Yealink's option 60 is not known (vendor-facts-more 1.5, unsure): its
description declares no option-60 string, only the OUIs wazo-provd-plugins
matches (written out here by hand from the facts file, so a changed list
fails). Poly keeps its documented binary option 60 and declares no OUI.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    DhcpFacts,
    check_description,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS, vendor_facts

#: vendor-facts-more 1.5, as the facts file writes them.
YEALINK_OUIS_IN_THE_FACTS = ("00:15:65, E4:34:D7, 80:5E:C0, 80:5E:0C, 24:9A:D8, 44:DB:D2, 64:4F:56, B0:61:A9, "
                             "C4:FC:22, EC:1D:A9, 34:97:D7, F0:16:53")


def with_dhcp(vendor, dhcp):
    broken = copy.copy(DESCRIPTIONS[vendor])
    broken.dhcp = dhcp
    return broken


def test_yealink_is_matched_by_its_ouis_and_no_option_60_string():
    dhcp = DESCRIPTIONS["yealink"].dhcp
    assert dhcp.ouis == tuple(oui.replace(":", "").lower() for oui in YEALINK_OUIS_IN_THE_FACTS.split(", "))
    assert len(dhcp.ouis) == 12
    # The guessed substring "yealink" is gone: no option-60 string is declared.
    assert dhcp.vendor_class == ()
    assert dhcp.match_type is None
    assert dhcp.source == "code"
    assert dhcp.options == (66, 43)
    assert check_description(DESCRIPTIONS["yealink"]) == []


def test_yealink_s_sample_user_agents_carry_a_declared_oui():
    # The MACs in the User-Agents other servers recorded are Yealink's.
    description = DESCRIPTIONS["yealink"]
    for agent in description.user_agents:
        mac = description.parse_user_agent(agent.sample)["mac"]
        assert mac[:6] in description.dhcp.ouis, agent.sample


def test_only_yealink_and_fanvil_declare_ouis():
    # Poly's binary option 60 is documented and exact; Polycom's OUIs would
    # also take in its video systems (see poly/description.py).
    assert [name for name, description in DESCRIPTIONS.items() if description.dhcp.ouis] == ["yealink", "fanvil"]
    assert DESCRIPTIONS["poly"].dhcp.vendor_class == ("0000363d",)
    assert DESCRIPTIONS["poly"].dhcp.match_type == "hex-prefix"


def test_facts_hold_the_ouis_of_every_family():
    facts = vendor_facts()
    for name, description in DESCRIPTIONS.items():
        assert facts[name]["dhcp"] == {"vendor_class": list(description.dhcp.vendor_class),
                                       "match_type": description.dhcp.match_type,
                                       "options": list(description.dhcp.options),
                                       "source": description.dhcp.source,
                                       "ouis": list(description.dhcp.ouis)}
    assert facts["yealink"]["dhcp"]["ouis"][0] == "001565"
    assert facts["poly"]["dhcp"]["ouis"] == []


def test_a_family_may_declare_both():
    dhcp = DhcpFacts(vendor_class=("0000363d",), match_type="hex-prefix", options=(66,), ouis=("0004f2",))
    assert check_description(with_dhcp("poly", dhcp)) == []


@pytest.mark.parametrize("ouis, expected", [
    # One spelling only: the dhcp role writes them as they are.
    (("E434D7",), "dhcp.ouis 'E434D7': each must be 6 lower-case hex digits (001565)"),
    (("00:15:65",), "dhcp.ouis '00:15:65': each must be 6 lower-case hex digits (001565)"),
    (("00156",), "dhcp.ouis '00156': each must be 6 lower-case hex digits (001565)"),
    (("0015655",), "dhcp.ouis '0015655': each must be 6 lower-case hex digits (001565)"),
    (("001565\n",), "dhcp.ouis '001565\\n': each must be 6 lower-case hex digits (001565)"),
    ((1565, "00156g"), "dhcp.ouis 1565, '00156g': each must be 6 lower-case hex digits (001565)"),
    (("001565", "e434d7", "001565"), "dhcp.ouis lists an OUI twice"),
])
def test_check_refuses_a_bad_oui(ouis, expected):
    dhcp = DhcpFacts(vendor_class=(), match_type=None, options=(66, 43), ouis=ouis)
    assert check_description(with_dhcp("yealink", dhcp)) == [expected]


@pytest.mark.parametrize("vendor_class, match_type, ouis, expected", [
    # Nothing to recognise the phones by.
    ((), None, (), ["dhcp needs vendor_class strings or ouis"]),
    # A match type without strings says nothing: an invented fact.
    ((), "substring", ("001565",), ["dhcp.match_type 'substring' without vendor_class strings: it must be None"]),
    # Strings need their match type.
    (("Yealink",), None, ("001565",), ["dhcp.match_type None is not one of prefix, substring, hex-prefix"]),
])
def test_check_refuses_an_incomplete_match(vendor_class, match_type, ouis, expected):
    dhcp = DhcpFacts(vendor_class=vendor_class, match_type=match_type, options=(66, 43), ouis=ouis)
    assert check_description(with_dhcp("yealink", dhcp)) == expected


def test_check_refuses_an_unknown_dhcp_source():
    dhcp = DhcpFacts(vendor_class=(), match_type=None, options=(66, 43), ouis=("001565",), source="guess")
    assert check_description(with_dhcp("yealink", dhcp)) == ["dhcp.source 'guess' is not one of documented, code, unsure"]
