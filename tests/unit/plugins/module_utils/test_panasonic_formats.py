# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Panasonic decoder: it reads back what the encoder writes, and refuses what it could not have written.

The round trips run on random parameters and on every golden file of
``test_vendor_panasonic``: the plain ones as they are, the encrypted ones
(``.enc`` and the after-window ``Config<MAC>.cfg``) decoded by ``_codec``
with that test's keys and digests. Each decoded file is checked against
the test's own reader and rendered again to the same bytes. Each refusal
is a valid file with one thing wrong.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import decode
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic.formats import (
    FORBIDDEN_CATEGORIES,
    HEADER,
    MAX_LINE_BYTES,
    MAX_NAME_CHARS,
    MAX_TOTAL_BYTES,
    MAX_VALUE_CHARS,
    PARAM_NAME_RE,
    parse_config,
    render_config,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_panasonic import (
    GOLDEN,
    KEY_1,
    KEY_2,
    SPLIT_DEFAULTS,
    load,
    one_device,
    parse_cfg,
)

SECRET = "Pw-Do-Not-Show-9"

names = st.from_regex(r"\A[A-Z0-9_]{1,%d}\Z" % MAX_NAME_CHARS)
# What the renderer lets through: no double quote, no control or line-break character.
values = st.text(st.characters(blacklist_categories=FORBIDDEN_CATEGORIES, blacklist_characters='"'), max_size=60)
params_lists = st.lists(st.tuples(names, values), max_size=25, unique_by=lambda pair: pair[0])


# --- round trips ---------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(params=params_lists)
def test_round_trip(params):
    data = render_config(params)
    decoded = parse_config(data)
    assert list(decoded.items()) == params
    assert render_config(decoded.items()) == data


# Each encrypted golden file: the key and digest test_vendor_panasonic renders it with.
KEYS = {"0080F0C8C381": (KEY_1, "md5"), "0080F0C8C382": (KEY_2, "sha256")}


def golden_files():
    """``flow/name`` of every golden file, review copies (``.plaintext.bin``) included."""
    for flow in sorted(os.listdir(GOLDEN)):
        for name in sorted(os.listdir(os.path.join(GOLDEN, flow))):
            yield "%s/%s" % (flow, name)


def read(relative):
    with open(os.path.join(GOLDEN, relative), "rb") as handle:
        return handle.read()


def is_ciphertext(relative):
    return relative[:-len(".bin")] + ".plaintext.bin" in set(golden_files())


def test_every_golden_file_is_read():
    files = list(golden_files())
    ciphertexts = [relative for relative in files if is_ciphertext(relative)]
    assert len(files) == 29
    assert ciphertexts == ["encrypted/Config0080F0C8C381.cfg.after-window.bin", "encrypted/Config0080F0C8C381.enc.bin",
                           "encrypted/Config0080F0C8C382.cfg.after-window.bin", "encrypted/Config0080F0C8C382.enc.bin"]


@pytest.mark.parametrize("relative", list(golden_files()))
def test_golden_file_decodes(relative):
    data = read(relative)
    if is_ciphertext(relative):
        # Decoded by the chain the description declares for the enc kind, as the phone decrypts it.
        key, digest = KEYS[relative.split("/")[1][len("Config"):][:12]]
        data = decode(DESCRIPTION.encodings["enc"], data, key=key, digest=digest)
        assert data == read(relative[:-len(".bin")] + ".plaintext.bin")
    params = parse_config(data, device="golden", field=relative)
    # Only a product file may be empty: when the model sets nothing the master file does not.
    assert params or relative.startswith(("encrypted/ConfigKX-", "split/ConfigKX-", "hdv330_keys/ConfigKX-"))
    assert params == parse_cfg(data), "the vendor test's reader reads the same"
    assert render_config(params.items()) == data


# --- what the decoder refuses ----------------------------------------------------

VALID = render_config([("CFG_STANDARD_FILE_PATH", "http://h/Config{MAC}.cfg"), ("SIP_PASS_1", SECRET), ("DISPLAY_NAME_1", "Desk")])
SECRET_LINE = b'SIP_PASS_1="' + SECRET.encode() + b'"'


def test_the_valid_sample_is_read():
    assert parse_config(VALID) == {"CFG_STANDARD_FILE_PATH": "http://h/Config{MAC}.cfg", "SIP_PASS_1": SECRET,
                                   "DISPLAY_NAME_1": "Desk"}


def swap(old, new, data=VALID):
    assert old in data
    return data.replace(old, new, 1)


def long_line(size):
    """A ``DISPLAY_NAME_1`` line of ``size`` bytes with its CR LF (its value UTF-8, two bytes a character)."""
    prefix = b'DISPLAY_NAME_1=""'
    rest = size - len(prefix) - 2
    return prefix[:-1] + "\u00e9".encode("utf-8") * (rest // 2) + b"x" * (rest % 2) + b'"'


REFUSALS = [
    (b"", "does not start with the header line # Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!"),
    (swap(b" DO NOT CHANGE THIS LINE!", b""), "does not start with the header line"),
    (b"\xef\xbb\xbf" + VALID, "does not start with the header line"),
    (VALID.replace(b"\r\n", b"\n"), "line 1 ends in a bare LF; every line ends in CR LF"),
    (swap(b'"Desk"\r\n', b'"Desk"\n'), "line 4 ends in a bare LF"),
    (swap(b'"Desk"\r\n', b'"Desk"\r'), "line 4 ends in a bare CR"),
    (swap(SECRET.encode(), SECRET.encode() + b"\r"), "line 3 ends in a bare CR"),
    (VALID[:-2], "does not end with an empty line"),
    (VALID[:-4], "does not end with CR LF"),
    (VALID[:-2] + b"X\r\n", "does not end with an empty line"),
    (HEADER.encode() + b"\r\n", "does not end with an empty line"),
    (swap(SECRET.encode(), "Pw-\u00e9".encode("latin-1")), "line 3 is not UTF-8"),
    (swap(b'DISPLAY_NAME_1="Desk"', long_line(MAX_LINE_BYTES + 1)), "line 4 is 538 bytes long with its CR LF; Panasonic phones ignore"),
    (VALID[:-2] + b"X" * MAX_TOTAL_BYTES + b"\r\n\r\n", "is 120"),
    (swap(SECRET_LINE, b"# " + SECRET.encode()), "line 3 does not start with a parameter name and ="),
    (swap(SECRET_LINE, b""), "line 3 does not start with a parameter name and ="),
    (swap(SECRET_LINE, SECRET.encode()), "line 3 does not start with a parameter name and ="),
    (swap(SECRET_LINE, b'sip_pass_1="' + SECRET.encode() + b'"'), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, b'SIP-PASS="' + SECRET.encode() + b'"'), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, b' SIP_PASS_1="' + SECRET.encode() + b'"'), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, b'SIP_PASS_1 ="' + SECRET.encode() + b'"'), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, b'="' + SECRET.encode() + b'"'), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, b"X" * (MAX_NAME_CHARS + 1) + b'="x"'), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, b"SIP_PASS_1=" + SECRET.encode()), "line 3: the value of SIP_PASS_1 is not in double quotes"),
    (swap(SECRET_LINE, b"SIP_PASS_1= \"" + SECRET.encode() + b'"'), "line 3: the value of SIP_PASS_1 is not in double quotes"),
    (swap(SECRET_LINE, b"SIP_PASS_1='" + SECRET.encode() + b"'"), "line 3: the value of SIP_PASS_1 is not in double quotes"),
    (swap(SECRET_LINE, b'SIP_PASS_1="' + SECRET.encode()), "line 3: the value of SIP_PASS_1 has no closing double quote"),
    (swap(SECRET_LINE, b'SIP_PASS_1="'), "line 3: the value of SIP_PASS_1 has no closing double quote"),
    (swap(SECRET_LINE, SECRET_LINE + b" "), "line 3: the value of SIP_PASS_1 has no closing double quote"),
    (swap(SECRET_LINE, SECRET_LINE + b"# note"), "line 3: the value of SIP_PASS_1 has no closing double quote"),
    (swap(SECRET.encode(), SECRET.encode() + b'"x'), "line 3: the value of SIP_PASS_1 holds a double quote"),
    (swap(SECRET_LINE, SECRET_LINE + b'"'), "line 3: the value of SIP_PASS_1 holds a double quote"),
    (swap(SECRET.encode(), SECRET.encode() + b"\t"), "line 3: the value of SIP_PASS_1 contains a control or line-break character"),
    (swap(SECRET.encode(), SECRET.encode() + b"\x00"), "line 3: the value of SIP_PASS_1 contains a control"),
    (swap(SECRET.encode(), SECRET.encode() + "\u0085".encode("utf-8")), "line 3: the value of SIP_PASS_1 contains a control"),
    (swap(SECRET.encode(), SECRET.encode() + "\u2028".encode("utf-8")), "line 3: the value of SIP_PASS_1 contains a control"),
    (swap(b"Desk", b"x" * (MAX_VALUE_CHARS + 1)), "line 4: the value of DISPLAY_NAME_1 is 501 characters long; Panasonic phones take"),
    (swap(b"\r\n\r\n", b"\r\n\r\n\r\n"), "line 5 does not start with a parameter name"),
    (swap(SECRET_LINE, b"\r\n" + SECRET_LINE), "line 3 does not start with a parameter name"),
    (swap(SECRET_LINE, SECRET_LINE + b"\r\n" + SECRET_LINE), "line 4: SIP_PASS_1 is set twice"),
]


@pytest.mark.parametrize("data, message", REFUSALS, ids=[message for data, message in REFUSALS])
def test_decoder_refuses(data, message):
    with pytest.raises(ProfileFormatError) as info:
        parse_config(data, device="desk", field="Config0080F0C8C381.cfg")
    assert info.value.device == "desk" and info.value.field == "Config0080F0C8C381.cfg"
    assert info.value.message.startswith(message), info.value.message
    assert SECRET not in str(info.value) and "Do-Not" not in str(info.value)


def test_the_longest_line_and_value_are_read():
    longest = swap(b'DISPLAY_NAME_1="Desk"', long_line(MAX_LINE_BYTES))
    assert len(parse_config(longest)["DISPLAY_NAME_1"].encode("utf-8")) == MAX_LINE_BYTES - len('DISPLAY_NAME_1=""\r\n')
    assert parse_config(swap(b"Desk", b"x" * MAX_VALUE_CHARS))["DISPLAY_NAME_1"] == "x" * MAX_VALUE_CHARS


def test_decoder_refuses_text():
    with pytest.raises(ProfileFormatError, match="^must be bytes, got str$"):
        parse_config(VALID.decode("utf-8"))


def test_a_raw_name_ending_in_a_newline_is_refused():
    # It would write a bare LF into the file, which the decoder refuses (and a phone may read as a line end).
    assert PARAM_NAME_RE.match("SIP_X\n") is None
    with pytest.raises(ProvisioningError, match=r"^device desk, field params\.SIP_X\n: 'SIP_X\\n' is not a Panasonic parameter name"):
        load([one_device(params={"SIP_X\n": "1"})], SPLIT_DEFAULTS)
