# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The codec against the real ``openssl`` and ``gzip`` command lines, and every rendered file against its tag."""

from __future__ import annotations

import copy
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _codec as codec
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import (
    DIGESTS,
    STABLE_SALT,
    encrypt,
    gzip_compress,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import ProfileFile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import ENCODINGS
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    VENDORS,
    load_fleet,
    render_fleet,
    required_keys,
)
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

KEY = "5f" * 32
PLAINTEXT = b'<flat-profile>\n  <Password_1_ ua="na">s3cret &amp; more</Password_1_>\n</flat-profile>\n' * 9

#: Every chain a served file can have: each one a description declares, and the others the steps allow.
CHAINS = [
    ("plain",),
    ("gzip",),
    ("base64",),
    ("gzip", "base64"),
    ("openssl-aes-256-cbc",),
    ("gzip", "openssl-aes-256-cbc"),
    ("openssl-aes-256-cbc", "base64"),
    ("gzip", "openssl-aes-256-cbc", "base64"),
]


def gunzip_cli(data):
    return subprocess.run(["gzip", "-d", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def base64_cli(data):
    return subprocess.run(["openssl", "base64", "-d"], input=data, stdout=subprocess.PIPE, check=True).stdout


def decode_cli(chain, data, key, digest):
    """Undo ``chain`` with the real tools: ``openssl enc -d [-a]``, ``openssl base64 -d``, ``gzip -d``."""
    steps = list(chain)
    if steps[-1] == "base64" and "openssl-aes-256-cbc" in steps:
        # What Panasonic documents: one "openssl enc -d -a" undoes both.
        code, data, err = openssl_cli.dec(data, base64_armor=True, password=key, digest=digest)
        assert code == 0, err
        steps = steps[:-2]
    for step in reversed(steps):
        if step == "base64":
            data = base64_cli(data)
        elif step == "openssl-aes-256-cbc":
            code, data, err = openssl_cli.dec(data, password=key, digest=digest)
            assert code == 0, err
        elif step == "gzip":
            data = gunzip_cli(data)
    return data


def declared_chains():
    return sorted(set(chain for renderer in VENDORS.values() for chain in renderer.description.encodings.values()))


def test_every_declared_chain_is_one_the_codec_knows():
    assert set(declared_chains()) <= set(CHAINS)
    for chain in declared_chains():
        assert codec.chain_problem(chain, "md5" if codec.encrypts(chain) else None) is None, chain


@pytest.mark.parametrize("chain", CHAINS, ids=codec.describe)
@pytest.mark.parametrize("digest", DIGESTS)
def test_each_chain_is_undone_by_the_real_tools(chain, digest):
    encoded = codec.encode(chain, PLAINTEXT, KEY, digest)
    assert decode_cli(chain, encoded, KEY, digest) == PLAINTEXT
    assert codec.decode(chain, encoded, KEY, digest) == PLAINTEXT
    # The stable salt: the same plaintext and key give the same bytes.
    assert codec.encode(chain, PLAINTEXT, KEY, digest) == encoded
    if codec.encrypts(chain):
        assert b"s3cret" not in encoded and PLAINTEXT not in encoded


@pytest.mark.parametrize("digest", DIGESTS)
def test_what_openssl_enc_a_writes_is_decoded(digest):
    """The Panasonic chain: a file made by ``openssl enc -e -a`` (random salt) decodes; its layout is the codec's."""
    made = openssl_cli.enc(PLAINTEXT, base64_armor=True, password=KEY, digest=digest)
    assert codec.decode(("openssl-aes-256-cbc", "base64"), made, KEY, digest) == PLAINTEXT
    assert codec.armour(codec.unarmour(made)) == made
    lines = codec.encode(("openssl-aes-256-cbc", "base64"), PLAINTEXT, KEY, digest).split(b"\n")
    assert lines.pop() == b"" and all(len(line) == 64 for line in lines[:-1]) and 0 < len(lines[-1]) <= 64


@pytest.mark.parametrize("digest", DIGESTS)
def test_encryption_is_byte_for_byte_the_openssl_enc_module(digest):
    """The served bytes did not change: the codec is ``_openssl_enc`` with the stable salt."""
    assert (codec.encode(("openssl-aes-256-cbc",), PLAINTEXT, KEY, digest)
            == encrypt(PLAINTEXT, password=KEY, digest=digest, salt=STABLE_SALT))
    assert (codec.encode(("gzip", "openssl-aes-256-cbc"), PLAINTEXT, KEY, digest)
            == encrypt(gzip_compress(PLAINTEXT), password=KEY, digest=digest, salt=STABLE_SALT))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300), chain=st.sampled_from(CHAINS), digest=st.sampled_from(DIGESTS))
def test_any_bytes_round_trip(data, chain, digest):
    assert codec.decode(chain, codec.encode(chain, data, KEY, digest), KEY, digest) == data


@pytest.mark.parametrize("chain, data, key, digest, words", [
    (("openssl-aes-256-cbc", "base64"), b"not base64!\n", KEY, "md5", ["openssl-aes-256-cbc+base64", "step base64"]),
    (("openssl-aes-256-cbc",), b"Salted__12345678" + b"x" * 32, KEY, "md5",
     ["step openssl-aes-256-cbc", "bad decrypt"]),
    (("openssl-aes-256-cbc",), b"plain text, no header", KEY, "md5", ["step openssl-aes-256-cbc", "Salted__"]),
    (("gzip",), b"\x1f\x8b not really", None, None, ["step gzip", "gzip"]),
    (("gzip", "openssl-aes-256-cbc"), codec.encode(("openssl-aes-256-cbc",), b"no gzip inside", KEY, "md5"), KEY, "md5",
     ["gzip+openssl-aes-256-cbc", "step gzip"]),
])
def test_a_decoding_error_names_the_chain_and_the_step(chain, data, key, digest, words):
    with pytest.raises(CryptoError) as failure:
        codec.decode(chain, data, key, digest)
    for word in words:
        assert word in failure.value.message, failure.value.message


def test_a_wrong_key_or_digest_is_refused():
    encoded = codec.encode(("openssl-aes-256-cbc", "base64"), PLAINTEXT, KEY, "sha256")
    for key, digest in (("6a" * 32, "sha256"), (KEY, "md5")):
        try:
            decoded = codec.decode(("openssl-aes-256-cbc", "base64"), encoded, key, digest)
        except CryptoError as exc:
            assert "bad decrypt" in exc.message
        else:
            # About one wrong key in 256 passes the padding check: never as the plaintext.
            assert decoded != PLAINTEXT


@pytest.mark.parametrize("chain, key, digest, words", [
    (("rot13",), None, None, ["unknown encoding step 'rot13'"]),
    ((), None, None, ["non-empty"]),
    ("gzip", None, None, ["non-empty list"]),
    (("plain", "gzip"), None, None, ["plain+gzip", "plain stands alone"]),
    (("gzip", "gzip"), None, None, ["repeats"]),
    (("openssl-aes-256-cbc",), KEY, None, ["needs a digest"]),
    (("openssl-aes-256-cbc",), KEY, "sha1", ["needs a digest", "md5, sha256", "'sha1'"]),
    (("openssl-aes-256-cbc",), None, "md5", ["needs a key"]),
    (("openssl-aes-256-cbc",), "", "md5", ["needs a key"]),
])
def test_a_bad_chain_is_refused_naming_what_is_wrong(chain, key, digest, words):
    for call in (codec.encode, codec.decode):
        with pytest.raises(CryptoError) as failure:
            call(chain, b"data", key, digest)
        for word in words:
            assert word in failure.value.message, failure.value.message


def test_a_profile_file_refuses_a_tag_that_cannot_be():
    for encoding, digest in ((("openssl-aes-256-cbc",), None), (("plain",), "md5"), (("zip",), None)):
        with pytest.raises(ValueError) as failure:
            ProfileFile("a.cfg", b"x", kind="cfg", encoding=encoding, digest=digest)
        assert "a.cfg" in str(failure.value)
    assert ProfileFile("a.cfg", b"x").tag == (None, None, ("plain",), None)
    assert set(ENCODINGS) == set(step for chain in CHAINS for step in chain)


# --- every rendered file: its kind is declared, its content decodes to its plaintext -------------

DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "resync_interval": 60,
            "allow_plain_credentials": True, "model_profiles": True, "common_profile": True}


def devices(settings_=None):
    own = dict(settings_ or {})
    return [
        {"name": "gs", "mac": "000b82123456", "model": "GXP2170", "settings": own,
         "lines": [{"extension": "201", "password": "pw-gs"}]},
        {"name": "legacy", "mac": "000b82654321", "model": "GXP2000", "settings": dict(own, encrypt_profiles=False),
         "lines": [{"extension": "202", "password": "pw-legacy"}]},
        {"name": "spa", "mac": "88012ba01234", "model": "SPA2102", "settings": own,
         "lines": [{"extension": "203", "password": "pw-spa"}]},
        {"name": "mpp", "mac": "00562b043615", "model": "CP-8841-3PCC", "settings": own,
         "lines": [{"extension": "204", "password": "pw-mpp"}]},
        {"name": "pana", "mac": "0080f0c8c381", "model": "KX-UTG200", "settings": own,
         "lines": [{"extension": "205", "password": "pw-pana"}]},
        {"name": "hdv", "mac": "0080f0c8c382", "model": "KX-HDV130", "settings": dict(own, encrypt_profiles=False),
         "lines": [{"extension": "206", "password": "pw-hdv"}]},
        {"name": "yealink", "mac": "001565000001", "model": "T46U", "settings": dict(own, encrypt_profiles=False),
         "lines": [{"extension": "207", "password": "pw-yealink"}]},
        # Poly reads no file the collection can encrypt.
        {"name": "poly", "mac": "0004f2000001", "model": "VVX410", "settings": dict(own, encrypt_profiles=False),
         "lines": [{"extension": "207", "password": "pw-poly"}]},
    ]


def keys_for(fleet, generation):
    return dict((label, dict((name, ("%02x" % (generation * 16 + index + 1)) * size)
                             for index, (name, size) in enumerate(sorted(specs.items()))))
                for label, specs in required_keys(fleet).items())


FLOWS = {
    "encrypted": {},
    "plain": {"encrypt_profiles": False},
    "gzip-sha256": {"compress_profiles": True, "encryption_digest": "sha256"},
    "rotation": {},
}


def test_every_rendered_file_is_tagged_with_a_declared_kind_and_decodes_to_its_plaintext():
    kinds = set()
    for flow in sorted(FLOWS):
        kinds |= _check_flow(flow)
    declared = set((name, kind) for name, renderer in VENDORS.items() for kind in renderer.description.encodings)
    assert kinds == declared, "the flows render every declared kind"


def _check_flow(flow):
    raw = devices(FLOWS[flow])
    inventory, fleet = load_fleet(raw, DEFAULTS)
    current, following = keys_for(fleet, 0), keys_for(fleet, 1)
    rotations = {}
    for device in fleet:
        device.keys = dict(current.get(device.label, {}))
        if flow == "rotation" and device.keys:
            successor = copy.copy(device)
            successor.keys = dict(following[device.label])
            rotations[device.label] = successor
    files = render_fleet(inventory, fleet, rotations=rotations)
    by_label = dict((device.label, device) for device in fleet)
    kinds = set()
    for item in files:
        description = VENDORS[item.vendor].description
        assert item.kind in description.encodings, "%s: kind %r is not declared by %s" % (item.path, item.kind, item.vendor)
        assert item.encoding == description.encodings[item.kind], item.path
        kinds.add((item.vendor, item.kind))
        if not codec.encrypts(item.encoding):
            assert item.plaintext is None and item.digest is None, item.path
            assert codec.decode(item.encoding, item.content) == item.content
            continue
        assert item.plaintext is not None and item.digest in DIGESTS, item.path
        held = list(by_label[item.device].keys.values()) + list(following.get(item.device, {}).values())
        fits = [key for key in held if _decodes(item, key) == item.plaintext]
        assert fits, "%s (%s) does not decode with its device's keys" % (item.path, flow)
        # The real tools agree, with the digest the tag names.
        assert decode_cli(item.encoding, item.content, fits[0], item.digest) == item.plaintext, item.path
        if flow == "gzip-sha256":
            assert item.digest == "sha256", item.path
    return kinds


def _decodes(item, key):
    try:
        return codec.decode(item.encoding, item.content, key, item.digest)
    except CryptoError:
        return None
