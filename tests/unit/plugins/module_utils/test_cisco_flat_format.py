# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Cisco ``flat-profile`` decoder: it reads back what the encoder writes, and refuses what it could not have written.

The round trips run on random parameters and on every golden file of the
two Cisco families (``test_vendor_cisco_spa``, ``test_vendor_cisco_mpp``):
the plain ones as they are, the encrypted ones decrypted by ``_codec``
with the keys and digests of those tests. Each decoded file is checked
against lxml's reading of it and rendered again to the same bytes. Each
refusal is a valid file with one thing wrong.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import decode
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_flat_profile as flat
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_flat_format import (
    UA_VALUES,
    parse_flat_profile,
    render_flat_profile,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_mpp.description import DESCRIPTION as MPP
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_spa.description import DESCRIPTION as SPA
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_cisco_flat_profile import (
    DEVICE,
    GOLDEN,
    parse_profile,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_cisco_mpp import KEYS as MPP_KEYS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_cisco_spa import KEYS as SPA_KEYS

SECRET = "Pw-Do-Not-Show-9"

names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,40}\Z").filter(lambda name: name.lower() != "flat-profile")
# What check_text lets through: printable ASCII without leading or trailing spaces.
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)
entries = st.lists(st.tuples(names, ascii_text, st.sampled_from((None,) + UA_VALUES)), max_size=25,
                   unique_by=lambda entry: entry[0])


# --- round trips ---------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(entries=entries)
def test_round_trip(entries):
    entries = [(name, value.strip(" "), ua) for name, value, ua in entries]
    data = render_flat_profile(entries)
    params = parse_flat_profile(data)
    assert list(params.items()) == [(name, (value, ua)) for name, value, ua in entries]
    assert parse_profile(data) == params, "lxml reads the same"
    assert render_flat_profile([(name, value, ua) for name, (value, ua) in params.items()]) == data


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=30), ascii_text))
def test_what_check_text_accepts_round_trips(value):
    try:
        text = flat.check_text(value, DEVICE, "params.X")
    except ProvisioningError:
        return
    assert parse_flat_profile(render_flat_profile([("X", text, "rw")])) == {"X": (value, "rw")}


# Which encoding chain and digest each encrypted golden file was written with (the golden tests' settings).
ENCRYPTED = {
    ("cisco_spa", "secure"): ("xml_encrypted", "md5"),
    ("cisco_spa", "gzip_encrypted"): ("xml_compressed_encrypted", "md5"),
    ("cisco_mpp", "ata192_md5"): ("xml_encrypted", "md5"),
    ("cisco_mpp", "cp6841_sha256"): ("xml_encrypted", "sha256"),
    ("cisco_mpp", "cp8841_default_sha256"): ("xml_encrypted", "sha256"),
}
FAMILIES = {"cisco_spa": (SPA, SPA_KEYS), "cisco_mpp": (MPP, MPP_KEYS)}


def golden_files():
    """``(family, flow, path)`` of every golden file, review copies (``.plaintext.xml``) included."""
    for family in sorted(FAMILIES):
        for flow in sorted(os.listdir(os.path.join(GOLDEN, family))):
            root = os.path.join(GOLDEN, family, flow)
            for directory, dummy, files in sorted(os.walk(root)):
                for name in sorted(files):
                    yield family, flow, os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/")


def read(family, flow, path):
    with open(os.path.join(GOLDEN, family, flow, *path.split("/")), "rb") as handle:
        return handle.read()


def test_every_golden_flow_is_read():
    files = list(golden_files())
    ciphertexts = [item for item in files if item[2].endswith(".bin")]
    assert len(files) == 26 and len(ciphertexts) == 5
    assert sorted(set((family, flow) for family, flow, path in ciphertexts)) == sorted(ENCRYPTED)


def check_decodes(data, family, path):
    description = FAMILIES[family][0]
    params = parse_flat_profile(data, device="golden", field=path, is_secret=description.is_secret_param)
    assert params
    assert params == parse_profile(data), "lxml reads the same"
    assert render_flat_profile([(name, value, ua) for name, (value, ua) in params.items()]) == data
    return params


@pytest.mark.parametrize("family, flow, path", list(golden_files()))
def test_golden_file_decodes(family, flow, path):
    data = read(family, flow, path)
    if not path.endswith(".bin"):
        check_decodes(data, family, path)
        return
    # A ciphertext: decrypted as the phone would, by the chain its description declares for the kind.
    description, keys = FAMILIES[family]
    kind, digest = ENCRYPTED[(family, flow)]
    plaintext = decode(description.encodings[kind], data, key=keys["gpp_a"], digest=digest)
    assert plaintext == read(family, flow, path[:-len(".bin")] + ".plaintext.xml")
    params = check_decodes(plaintext, family, path)
    assert "Profile_Rule" in params and params["Profile_Rule"][0].startswith("[--key $A] ")


# --- what the decoder refuses ----------------------------------------------------

VALID = render_flat_profile([("Profile_Rule", "[--key $A] http://h/p/$B/spa.cfg", None), ("Password_1_", SECRET, "na"),
                             ("Display_Name_1_", "A & <B>", "rw")])


def test_the_valid_sample_is_read():
    assert parse_flat_profile(VALID) == {"Profile_Rule": ("[--key $A] http://h/p/$B/spa.cfg", None),
                                         "Password_1_": (SECRET, "na"), "Display_Name_1_": ("A & <B>", "rw")}


def swap(old, new, data=VALID):
    assert old in data
    return data.replace(old, new, 1)


PASSWORD_LINE = b'  <Password_1_ ua="na">' + SECRET.encode() + b"</Password_1_>"
LAUGHS = (b'<?xml version="1.0" encoding="US-ASCII"?>\n<!DOCTYPE flat-profile [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n'
          b"<flat-profile>\n  <Password_1_>&b;</Password_1_>\n</flat-profile>\n")
EXTERNAL = swap(b"<flat-profile>\n", b'<!DOCTYPE flat-profile [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<flat-profile>\n')

REFUSALS = [
    (LAUGHS, "has a document type declaration; a flat-profile file has none"),
    (EXTERNAL, "has a document type declaration"),
    (swap(b"<!-- generated", b"<!doctype x><!-- generated"), "has a document type declaration"),
    (b"", "does not end with a line feed"),
    (VALID[:-1], "does not end with a line feed"),
    (swap(SECRET.encode(), "Pw-\u00e9".encode("utf-8")), "line 5 has a byte that is not ASCII; the encoder writes ASCII only"),
    (VALID.replace(b"\n", b"\r\n"), "line 1 ends in CR LF"),
    (swap(b' encoding="US-ASCII"', b""), "line 1 is not <?xml"),
    (swap(b"<!-- generated by sipfleet.provisioning; do not edit -->\n", b""), "line 2 is not <!-- generated"),
    (swap(b"<flat-profile>", b"<flat-profile ua=\"na\">"), "line 3 is not <flat-profile>"),
    (swap(b"<flat-profile>", b"<profile>"), "line 3 is not <flat-profile>"),
    (swap(b"</flat-profile>\n", b""), "its last line is not </flat-profile>"),
    (swap(b"</flat-profile>\n", b"</flat-profile>\n<x/>\n"), "its last line is not </flat-profile>"),
    (b'<?xml version="1.0" encoding="US-ASCII"?>\n<!-- generated by sipfleet.provisioning; do not edit -->\n<flat-profile>\n',
     "its last line is not </flat-profile>"),
    (swap(PASSWORD_LINE, b"  <!-- " + SECRET.encode() + b" -->"), "line 5 is not a parameter line"),
    (swap(PASSWORD_LINE, b""), "line 5 is not a parameter line"),
    (swap(PASSWORD_LINE, b"<Password_1_>" + SECRET.encode() + b"</Password_1_>"), "line 5 is not a parameter line"),
    (swap(PASSWORD_LINE, b"  <Password_1_><![CDATA[" + SECRET.encode() + b"]]></Password_1_>"), "line 5 is not a parameter line"),
    (swap(PASSWORD_LINE, b"  <Password_1_>" + SECRET.encode() + b"<x/></Password_1_>"), "line 5 is not a parameter line"),
    (swap(PASSWORD_LINE, b"  <Password_1_>" + SECRET.encode()), "line 5 is not a parameter line"),
    (swap(PASSWORD_LINE, b'  <Password_1_ ua="na"/>'), "line 5 is a self-closing element"),
    (swap(PASSWORD_LINE, b"  <Password_1_ />"), "line 5 is a self-closing element"),
    (swap(PASSWORD_LINE, b"  <1Password>" + SECRET.encode() + b"</1Password>"), "line 5: '1Password' is not a parameter name"),
    (swap(PASSWORD_LINE, b"  <flat-profile>x</flat-profile>"), "line 5: 'flat-profile' is not a parameter name"),
    (swap(PASSWORD_LINE, b"  <a.b>x</a.b>"), "line 5: 'a.b' is not a parameter name"),
    (swap(PASSWORD_LINE, b"  <x:y>x</x:y>"), "line 5: 'x:y' is not a parameter name"),
    (swap(PASSWORD_LINE, b"  <%s>x</%s>" % (b"x" * 129, b"x" * 129)), "line 5: 'xxxxxxxx"),
    (swap(PASSWORD_LINE, b"  <Password_1_>" + SECRET.encode() + b"</Password_2_>"), "line 5: <Password_1_> is closed by </Password_2_>"),
    (swap(PASSWORD_LINE, b"  <Password_1_>" + SECRET.encode() + b"</Password_1_ >"), "line 5: <Password_1_> is closed by"),
    (swap(PASSWORD_LINE, b'  <Password_1_ ua="rx">' + SECRET.encode() + b"</Password_1_>"), "line 5: <Password_1_> has ua='rx'; ua is one"),
    (swap(PASSWORD_LINE, b'  <Password_1_ ua="">' + SECRET.encode() + b"</Password_1_>"), "line 5: <Password_1_> has ua=''; ua is one of na, ro, rw"),
    (swap(PASSWORD_LINE, b'  <Password_1_ ua=\'na\'>' + SECRET.encode() + b"</Password_1_>"),
     "line 5: <Password_1_> has attributes the encoder does not write; it writes ua=\"..\" only"),
    (swap(PASSWORD_LINE, b'  <Password_1_ ua="na" x="1">' + SECRET.encode() + b"</Password_1_>"), "line 5: <Password_1_> has attributes the encoder"),
    (swap(PASSWORD_LINE, b'  <Password_1_ value="' + SECRET.encode() + b'">x</Password_1_>'), "line 5: <Password_1_> has attributes the encoder"),
    (swap(PASSWORD_LINE, b'  <Password_1_  ua="na">' + SECRET.encode() + b"</Password_1_>"), "line 5: <Password_1_> has attributes the encoder"),
    (swap(PASSWORD_LINE, b'  <Password_1_ ua="&#110;a">' + SECRET.encode() + b"</Password_1_>"), "line 5: <Password_1_> has ua='&#110;a'"),
    (swap(SECRET.encode(), SECRET.encode() + b"&#65;"), "line 5: the value of Password_1_ has a reference the encoder does not write"),
    (swap(SECRET.encode(), SECRET.encode() + b"&quot;"), "line 5: the value of Password_1_ has a reference the encoder does not write"),
    (swap(SECRET.encode(), SECRET.encode() + b"&amp"), "line 5: the value of Password_1_ has a reference the encoder does not write"),
    (swap(SECRET.encode(), SECRET.encode() + b">"), "line 5: the value of Password_1_ has a > the encoder would have written as &gt;"),
    (swap(SECRET.encode(), SECRET.encode() + b"\t"), "line 5: the value of Password_1_ contains the control character, "),
    (swap(SECRET.encode(), SECRET.encode() + b"\x7f"), "line 5: the value of Password_1_ contains the control character, "),
    (swap(b"A &amp; &lt;B&gt;", b"\x01"), "line 6: the value of Display_Name_1_ contains the control character U+0001, "),
    (swap(SECRET.encode(), b" " + SECRET.encode()), "line 5: the value of Password_1_ has leading or trailing spaces"),
    (swap(SECRET.encode(), SECRET.encode() + b" "), "line 5: the value of Password_1_ has leading or trailing spaces"),
    (swap(b"A &amp; &lt;B&gt;", b"A&#32;"), "line 6: the value of Display_Name_1_ has a reference"),
    (swap(PASSWORD_LINE, PASSWORD_LINE + b"\n" + PASSWORD_LINE), "line 6: Password_1_ is set twice (first on line 5)"),
]


@pytest.mark.parametrize("data, message", REFUSALS, ids=[message for data, message in REFUSALS])
def test_decoder_refuses(data, message):
    with pytest.raises(ProfileFormatError) as info:
        parse_flat_profile(data, device="desk-1", field="spa000e08aabbcc.xml", is_secret=SPA.is_secret_param)
    assert info.value.device == "desk-1" and info.value.field == "spa000e08aabbcc.xml"
    assert info.value.message.startswith(message), info.value.message
    assert SECRET not in str(info.value) and "Do-Not" not in str(info.value)


def test_decoder_refuses_text():
    with pytest.raises(ProfileFormatError, match="^must be bytes, got str$"):
        parse_flat_profile(VALID.decode("ascii"))


def test_without_a_secret_declaration_no_value_is_described():
    data = swap(b"A &amp; &lt;B&gt;", b"\x01")
    with pytest.raises(ProfileFormatError) as info:
        parse_flat_profile(data)
    assert info.value.message == "line 6: the value of Display_Name_1_ contains the control character, which a profile cannot carry"


def test_a_name_ending_in_a_newline_is_not_a_parameter_name():
    # XML would read <Proxy_1_\n> as <Proxy_1_>: another parameter's name, so the renderer refuses it.
    assert not flat.is_param_name("Proxy_1_\n")
    with pytest.raises(ProvisioningError, match="is not a Cisco parameter name"):
        flat.check_param_name("Proxy_1_\n", DEVICE, "params.Proxy_1_")
