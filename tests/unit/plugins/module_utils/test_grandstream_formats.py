# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Grandstream format decoders: they read back what the encoders write, and refuse what they could not have written.

The round trips run on random P-values and on the golden files of
``test_vendor_grandstream`` (real rendered profiles, cross-checked with
lxml and with the review copies written next to them). Each refusal is
built from a valid file with one thing wrong; for the legacy binary the
header is recomputed, so that only the fault under test is present.
"""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings, strategies as st
from lxml import etree

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import formats as gs_formats
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.formats import (
    ProfileFormatError,
    parse_legacy_binary,
    parse_xml,
    render_legacy_binary,
    render_xml,
)

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "grandstream")
MAC = "000b82123456"
SECRET = "Pw-Do-Not-Show-9"

names = st.integers(min_value=1, max_value=99999).map(lambda number: "P%d" % number)
# What a profile may carry (the renderer refuses the rest: unsafe_character).
profile_text = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"), max_size=40)
values = st.one_of(profile_text, st.integers(min_value=-10 ** 6, max_value=10 ** 6))
pvalue_lists = st.lists(st.tuples(names, values), max_size=25, unique_by=lambda pair: pair[0])
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
macs = st.binary(min_size=6, max_size=6).map(bytes.hex)


def as_strings(pairs):
    return dict((name, str(value)) for name, value in pairs)


# --- round trips ---------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(pairs=pvalue_lists, mac=st.one_of(st.none(), macs))
def test_xml_round_trip(pairs, mac):
    data = render_xml(pairs, mac=mac)
    assert parse_xml(data, mac=mac) == as_strings(pairs)
    # Without an expected MAC, a file that names one is read too.
    assert parse_xml(data) == as_strings(pairs)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(names, st.one_of(any_text, st.integers())), max_size=25, unique_by=lambda pair: pair[0]),
       mac=macs, space=st.sampled_from(["%20", "+"]))
def test_legacy_binary_round_trip(pairs, mac, space):
    # Any text at all: the legacy binary URL-encodes every value, line breaks too.
    original = gs_formats.LEGACY_SPACE
    gs_formats.LEGACY_SPACE = space
    try:
        data = render_legacy_binary(mac, pairs)
    finally:
        gs_formats.LEGACY_SPACE = original
    assert parse_legacy_binary(data, mac=mac) == as_strings(pairs)
    assert parse_legacy_binary(data, mac=mac.upper()) == as_strings(pairs)


def golden_files():
    """Every served file of the golden flows but the ciphertexts (``<name>.bin`` beside ``<name>.plaintext``)."""
    for flow in sorted(os.listdir(GOLDEN)):
        names = set(os.listdir(os.path.join(GOLDEN, flow)))
        for name in sorted(names):
            review_copy = name.endswith((".decoded", ".plaintext"))
            ciphertext = name.endswith(".bin") and name[:-4] + ".plaintext" in names
            if not review_copy and not ciphertext:
                yield os.path.join(flow, name)


def read_golden(relative):
    with open(os.path.join(GOLDEN, relative), "rb") as handle:
        return handle.read()


def test_the_golden_files_are_all_read():
    files = list(golden_files())
    xml_files = [name for name in files if read_golden(name).startswith(b"<?xml")]
    plaintexts = [name for flow in os.listdir(GOLDEN) for name in os.listdir(os.path.join(GOLDEN, flow)) if name.endswith(".plaintext")]
    # 9 XML files, 2 XML plaintexts of encrypted files, 12 legacy binaries.
    assert (len(xml_files), len(plaintexts), len(files) - len(xml_files)) == (9, 2, 12)


@pytest.mark.parametrize("relative", list(golden_files()))
def test_golden_files_decode(relative):
    data = read_golden(relative)
    if data.startswith(b"<?xml"):
        check_xml_against_lxml(data)
        return
    # A legacy binary: its review copy lists "P=value" a line after a "# ..." header line.
    with open(os.path.join(GOLDEN, relative + ".decoded"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert lines[0] == "# legacy binary for %s" % data[6:12].hex()
    expected = dict(line.split("=", 1) for line in lines[1:])
    assert parse_legacy_binary(data, mac=data[6:12].hex()) == expected


@pytest.mark.parametrize("relative", ["encrypted/cfgc074ad0b63ee.xml.plaintext",
                                      "prefix_postfix/gs_cfg000b82000002.xml_cfg001.plaintext"])
def test_golden_plaintexts_decode(relative):
    check_xml_against_lxml(read_golden(relative))


def check_xml_against_lxml(data):
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    expected = dict((child.tag, child.text or "") for child in root.find("config"))
    assert expected
    mac = root.find("mac")
    assert parse_xml(data, mac=mac.text if mac is not None else None) == expected


# --- what the XML decoder refuses ---------------------------------------------

def xml(config, head='<gs_provision version="1">', mac="<mac>%s</mac>" % MAC, tail="</gs_provision>"):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n%s\n  %s\n  <config version="1">%s</config>\n%s\n'
            % (head, mac, config, tail)).encode("utf-8")


VALID_XML = xml("<P2>admin</P2><P34>%s</P34>" % SECRET)
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE gs_provision [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n'
          b'<gs_provision version="1"><config version="1"><P2>&b;</P2></config></gs_provision>')
EXTERNAL = (b'<?xml version="1.0"?>\n<!DOCTYPE gs_provision [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b'<gs_provision version="1"><config version="1"><P2>&x;</P2></config></gs_provision>')


def test_the_valid_xml_sample_is_read():
    assert parse_xml(VALID_XML, mac=MAC) == {"P2": "admin", "P34": SECRET}


XML_REFUSALS = [
    (b"", "is not well-formed XML: "),
    (VALID_XML[:-20], "is not well-formed XML: "),
    (VALID_XML.replace(b"admin", b"adm\xe9n"), "is not UTF-8"),
    (LAUGHS, "has a document type declaration; a gs_provision file has none"),
    (EXTERNAL, "has a document type declaration; a gs_provision file has none"),
    (VALID_XML.replace(b"<P2>", b"<?php x?><P2>"), "has the processing instruction <?php?>"),
    (xml("<P2>a</P2>", head='<provision version="1">', tail="</provision>"), "its root element is 'provision', not gs_provision"),
    (xml("<P2>a</P2>", head='<gs_provision version="2">'), '<gs_provision> must have version="1"'),
    (xml("<P2>a</P2>", head="<gs_provision>"), '<gs_provision> must have version="1"'),
    (xml("<P2>a</P2>").replace(b'<config version="1">', b"<config>"), '<config> must have version="1"'),
    (xml("<P2>a</P2>", mac="<mac>%s</mac><mac>%s</mac>" % (MAC, MAC)), "'mac' in <gs_provision>, which holds an optional <mac>"),
    (xml("<P2>a</P2>", mac='<config version="1"></config>'), "'config' in <gs_provision>, which holds an optional <mac>"),
    (xml("<P2>a</P2>", mac="<firmware>1</firmware>"), "'firmware' in <gs_provision>"),
    (xml("<P2>a</P2>", tail="<mac>%s</mac></gs_provision>" % MAC), "'mac' in <gs_provision>"),
    (xml("<P2>a</P2>", mac=""), "has no <mac>; the file for 000b82123456 must name it"),
    (xml("<P2>a</P2>", mac="<mac>000b82123457</mac>"), "is for MAC 000b82123457, not 000b82123456"),
    (xml("<P2>a</P2>", mac="<mac>000b8212345</mac>"), "<mac> is not 12 hex digits"),
    (xml("<P2>a</P2>", mac="<mac> %s</mac>" % MAC), "<mac> is not 12 hex digits"),
    (xml("<P2>a</P2>", mac='<mac x="1">%s</mac>' % MAC), "<mac> must have no attributes"),
    (xml("<P2>a</P2>", mac="<mac><b>%s</b></mac>" % MAC), "<mac> holds an element; it holds only text"),
    (xml("<P2>a</P2>", mac="stray text"), "text outside a P-value, in <gs_provision>"),
    (xml("<P2>a</P2>stray"), "text outside a P-value, in <config>"),
    (xml("<P2>a</P2><p3>b</p3>"), "'p3' in <config> is not a P-value name"),
    (xml("<P02>a</P02>"), "'P02' in <config> is not a P-value name"),
    (xml("<P123456>a</P123456>"), "'P123456' in <config> is not a P-value name"),
    (xml("<mac>%s</mac>" % MAC), "'mac' in <config> is not a P-value name"),
    (xml("<P2>a</P2><P2>a</P2>"), "P2 is set twice"),
    (xml('<P2 value="a"/>'), "<P2> must have no attributes"),
    (xml("<P34><b>%s</b></P34>" % SECRET), "<P34> holds an element; it holds only text"),
    (b'<?xml version="1.0"?><gs_provision version="1"><mac>%s</mac></gs_provision>' % MAC.encode(), "has no <config>"),
]


@pytest.mark.parametrize("data, message", XML_REFUSALS, ids=[message for data, message in XML_REFUSALS])
def test_xml_decoder_refuses(data, message):
    with pytest.raises(ProfileFormatError) as info:
        parse_xml(data, mac=MAC, device="desk-1", field="cfg000b82123456.xml")
    assert info.value.device == "desk-1" and info.value.field == "cfg000b82123456.xml"
    assert message in info.value.message, info.value.message
    assert SECRET not in str(info.value)


def test_xml_decoder_refuses_text_and_non_bytes():
    with pytest.raises(ProfileFormatError, match="^must be bytes, got str$"):
        parse_xml(VALID_XML.decode("utf-8"))


def test_xml_declared_encoding_is_not_trusted():
    # The encoder writes UTF-8 only; a Latin-1 declaration does not make é two characters.
    data = VALID_XML.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(b"admin", "adm\u00e9n".encode("utf-8"))
    assert parse_xml(data)["P2"] == "adm\u00e9n"


# --- what the legacy binary decoder refuses -------------------------------------

def legacy(body, mac=MAC, pad=True, words=None, checksum=None, separator=b"\r\n\r\n"):
    """A legacy binary file around ``body`` with a header that is right unless told otherwise."""
    if pad and len(body) % 2:
        body += b"\0"
    data = struct.pack(">IH", words if words is not None else 8 + len(body) // 2, 0) + bytes.fromhex(mac) + separator + body
    if len(data) % 2:
        return data
    total = sum(struct.unpack(">%dH" % (len(data) // 2), data)) & 0xFFFF
    right = (0x10000 - total) & 0xFFFF
    return data[:4] + struct.pack(">H", right if checksum is None else checksum) + data[6:]


VALID_BODY = b"P2=admin&P34=" + SECRET.encode() + b"&gnkey=0b82"


def test_the_legacy_helper_writes_what_the_encoder_writes():
    assert legacy(VALID_BODY) == render_legacy_binary(MAC, [("P2", "admin"), ("P34", SECRET)])
    assert parse_legacy_binary(legacy(VALID_BODY), mac=MAC) == {"P2": "admin", "P34": SECRET}


LEGACY_REFUSALS = [
    (b"", "is 0 bytes long; a legacy binary file has an even length of at least 16"),
    (legacy(VALID_BODY)[:15], "is 15 bytes long"),
    (legacy(VALID_BODY) + b"\0", "is 57 bytes long"),
    (legacy(VALID_BODY, words=21), "says it is 21 16-bit words long, but it is 28"),
    (legacy(VALID_BODY)[:-2], "says it is 28 16-bit words long, but it is 27"),
    (legacy(VALID_BODY, checksum=0), "has a wrong checksum"),
    (legacy(VALID_BODY).replace(b"admin", b"admio"), "has a wrong checksum"),
    (legacy(VALID_BODY, separator=b"\n\n\n\n"), "has no CR LF CR LF after the MAC"),
    (legacy(VALID_BODY, mac="000b82123457"), "is for MAC 000b82123457, not 000b82123456"),
    (legacy(b"P2=admin&gnkey=0b82\0\0"), "has a NUL the encoder would not write"),
    (legacy(b"P2=admin\0&gnkey=0b82", pad=False), "has a NUL the encoder would not write"),
    (legacy(b"P2=adm\xe9n&gnkey=0b82"), "has a byte that is not ASCII in its body"),
    (legacy(b"P2=admin&gnkey=0b83"), "does not end with gnkey=0b82"),
    (legacy(b"P2=admin"), "does not end with gnkey=0b82"),
    (legacy(b"P2=admin&gnkey=0b82&P3=x"), "does not end with gnkey=0b82"),
    (legacy(b"P2=admin&" + SECRET.encode() + b"&gnkey=0b82"), "pair 2 is not P<number>=value"),
    (legacy(b"P2=admin&&gnkey=0b82"), "pair 2 is not P<number>=value"),
    (legacy(b"p2=admin&gnkey=0b82"), "pair 1 is not P<number>=value"),
    (legacy(b"P0=admin&gnkey=0b82"), "pair 1 is not P<number>=value"),
    (legacy(b"=admin&gnkey=0b82"), "pair 1 is not P<number>=value"),
    (legacy(b"P2=a&P2=a&gnkey=0b82"), "P2 is set twice"),
    (legacy(b"P34=" + SECRET.encode() + b"=x&gnkey=0b82"), "the value of P34 is not URL-encoded"),
    (legacy(b"P34=" + SECRET.encode() + b" x&gnkey=0b82"), "the value of P34 is not URL-encoded"),
    (legacy(b"P34=" + SECRET.encode() + b"%G1&gnkey=0b82"), "the value of P34 is not URL-encoded"),
    (legacy(b"P34=" + SECRET.encode() + b"%4&gnkey=0b82"), "the value of P34 is not URL-encoded"),
    (legacy(b"P34=" + SECRET.encode() + b"%FF&gnkey=0b82"), "the value of P34 is not URL-encoded UTF-8"),
]


@pytest.mark.parametrize("data, message", LEGACY_REFUSALS, ids=[message for data, message in LEGACY_REFUSALS])
def test_legacy_decoder_refuses(data, message):
    with pytest.raises(ProfileFormatError) as info:
        parse_legacy_binary(data, mac=MAC, device="desk-1", field="cfg000b82123456")
    assert info.value.device == "desk-1" and info.value.field == "cfg000b82123456"
    assert info.value.message.startswith(message), info.value.message
    assert SECRET not in str(info.value)


def test_legacy_decoder_refuses_text():
    with pytest.raises(ProfileFormatError, match="^must be bytes, got str$"):
        parse_legacy_binary(legacy(VALID_BODY).decode("latin-1"))


def test_a_mac_is_only_checked_when_asked_for():
    assert parse_legacy_binary(legacy(VALID_BODY, mac="c074ad000001")) == {"P2": "admin", "P34": SECRET}
    assert parse_xml(xml("<P2>a</P2>", mac="<mac>c074ad000001</mac>")) == {"P2": "a"}
    assert parse_xml(xml("<P2>a</P2>", mac="")) == {"P2": "a"}
