# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The codec against the real ``openssl`` and ``gzip`` command lines, and every rendered file against its tag."""
# Yealink's compatibility mode is checked against "openssl enc -aes-128-ecb -nopad" and the one real sample.

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

#: Yealink's compatibility mode: a chain of its own each (a config and its 16-character key, a key and the fixed key).
YEALINK_CHAINS = [
    ("yealink-aes-128-ecb",),
    ("yealink-key-wrap",),
]

#: Written here, not imported: a wrong fixed key in the codec must fail these tests.
YEALINK_FIXED_KEY = "EKs35XacP6eybA25"
#: traviscross/yealink-confenc test/test_Security.enc decrypts to this key (vendor-facts-more 1.4, checked with OpenSSL).
SAMPLE_KEY = "ljB7jiDIQQ7XD888"
#: The bytes of that test_Security.enc as the stored copy of the repository shows them (read as Windows-1252 text:
#: ac 31 d0 43 ?? 8b 31 ec 3c 0a 88 fc 2d e4 71 56, the fifth byte shown as a space, so a no-break space a0 or
#: a space 20); "openssl enc -aes-128-ecb -nopad" of the key under the fixed key gives a0 there, and 15 of 16 bytes
#: agree with the sample.
SAMPLE_SECURITY_ENC = bytes.fromhex("ac31d043a08b31ec3c0a88fc2de47156")
YEALINK_CONFIG = b"#!version:1.0.0.1\naccount.1.password = s3cret\nstatic.security.user_password = admin:x\n" * 5


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


def yealink_cli(data, key, decrypt=True):
    """``openssl enc [-d] -aes-128-ecb -nopad -K <hex of the 16 characters>``: the raw blocks, padding left in."""
    result = subprocess.run(["openssl", "enc", "-d" if decrypt else "-e", "-aes-128-ecb", "-nopad", "-K",
                             key.encode("ascii").hex()], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def unpad_spaces(data):
    """``data`` without the spaces that pad its last block, checking they are fewer than a block."""
    stripped = data.rstrip(b" ")
    assert len(data) - len(stripped) < 16 and len(data) % 16 == 0
    return stripped


def declared_chains():
    return sorted(set(chain for renderer in VENDORS.values() for chain in renderer.description.encodings.values()))


def test_every_declared_chain_is_one_the_codec_knows():
    assert set(declared_chains()) <= set(CHAINS + YEALINK_CHAINS)
    for chain in declared_chains():
        assert codec.chain_problem(chain, "md5" if "openssl-aes-256-cbc" in chain else None) is None, chain


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
    assert set(ENCODINGS) == set(step for chain in CHAINS + YEALINK_CHAINS for step in chain)
    # Yealink's steps take no digest.
    for chain in YEALINK_CHAINS:
        with pytest.raises(ValueError):
            ProfileFile("a.cfg", b"x", kind="cfg", encoding=chain, digest="md5")


# --- Yealink's compatibility mode ------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 15, 16, 17, len(YEALINK_CONFIG)])
def test_yealink_cipher_is_aes_128_ecb_with_the_16_characters_padded_with_spaces(size):
    plaintext = (YEALINK_CONFIG * 2)[:size - 1] + b"\n"
    encoded = codec.encode(("yealink-aes-128-ecb",), plaintext, SAMPLE_KEY)
    # The real openssl, the 16 characters as the key bytes, no padding scheme: the plaintext and spaces to a block.
    raw = yealink_cli(encoded, SAMPLE_KEY)
    assert raw == plaintext + b" " * (-size % 16)
    assert len(encoded) == size + (-size % 16)
    assert unpad_spaces(raw) == plaintext
    assert codec.decode(("yealink-aes-128-ecb",), encoded, SAMPLE_KEY) == plaintext
    # Both ways byte for byte: openssl encrypting the space-padded text writes the same file.
    assert yealink_cli(raw, SAMPLE_KEY, decrypt=False) == encoded
    assert b"s3cret" not in encoded


def test_yealink_key_wrap_reproduces_the_public_sample():
    """``<name>_Security.enc`` of the sample's key is the sample (15 of 16 stored bytes; openssl decides the fifth)."""
    wrapped = codec.encode(("yealink-key-wrap",), SAMPLE_KEY.encode("ascii"))
    assert wrapped == yealink_cli(SAMPLE_KEY.encode("ascii"), YEALINK_FIXED_KEY, decrypt=False)
    assert wrapped == SAMPLE_SECURITY_ENC and len(wrapped) == 16
    assert yealink_cli(wrapped, YEALINK_FIXED_KEY) == SAMPLE_KEY.encode("ascii")
    # No key is needed to undo it: that is CVE-2024-24681.
    assert codec.decode(("yealink-key-wrap",), SAMPLE_SECURITY_ENC) == SAMPLE_KEY.encode("ascii")
    assert not codec.encrypts(("yealink-key-wrap",)) and codec.encrypts(("yealink-aes-128-ecb",))


def test_a_yealink_file_and_its_security_enc_are_read_with_openssl_alone():
    """What anyone holding the two files can do: unwrap the key with the public key, then decrypt the file."""
    key = "0123456789abcdef"
    served = codec.encode(("yealink-aes-128-ecb",), YEALINK_CONFIG + b"x\n", key)
    security = codec.encode(("yealink-key-wrap",), key.encode("ascii"))
    found = yealink_cli(security, YEALINK_FIXED_KEY).decode("ascii")
    assert found == key
    assert unpad_spaces(yealink_cli(served, found)) == YEALINK_CONFIG + b"x\n"


_KEY_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:=?@[]^_{}~"


@settings(max_examples=80, deadline=None)
@given(data=st.binary(min_size=1, max_size=200).filter(lambda data: not data.endswith(b" ")),
       key=st.text(st.sampled_from(_KEY_CHARS), min_size=16, max_size=16))
def test_yealink_round_trip(data, key):
    encoded = codec.encode(("yealink-aes-128-ecb",), data, key)
    assert codec.decode(("yealink-aes-128-ecb",), encoded, key) == data
    wrapped = codec.encode(("yealink-key-wrap",), key.encode("ascii"))
    assert codec.decode(("yealink-key-wrap",), wrapped) == key.encode("ascii")


@pytest.mark.parametrize("chain, data, key, words", [
    (("yealink-aes-128-ecb",), b"a = 1\n", None, ["needs a key"]),
    (("yealink-aes-128-ecb",), b"a = 1\n", "0123456789abcde", ["16 characters", "has 15"]),
    (("yealink-aes-128-ecb",), b"a = 1\n", "0123456789abcdef0", ["16 characters", "has 17"]),
    (("yealink-aes-128-ecb",), b"a = 1\n", "ab" * 16, ["16 characters", "has 32"]),
    (("yealink-aes-128-ecb",), b"a = 1\n", "0123456789abcde!", ["only 0-9", "1 other character"]),
    (("yealink-aes-128-ecb",), b"a = 1\n", "0123456789 abc\u00e9f", ["only 0-9", "2 other character"]),
    (("yealink-aes-128-ecb",), b"a = 1 ", "0123456789abcdef", ["end in a space"]),
    (("yealink-aes-128-ecb",), b"", "0123456789abcdef", ["non-empty"]),
    (("yealink-key-wrap",), b"0123456789abcde", None, ["16 characters"]),
    (("yealink-key-wrap",), b"0123456789abcde!", None, ["only 0-9"]),
])
def test_a_bad_yealink_key_or_plaintext_is_refused(chain, data, key, words):
    with pytest.raises(CryptoError) as failure:
        codec.encode(chain, data, key)
    for word in words + [codec.describe(chain)]:
        assert word in failure.value.message, failure.value.message
    if key:
        assert key not in failure.value.message


@pytest.mark.parametrize("chain, data, key, words", [
    (("yealink-aes-128-ecb",), b"x" * 15, "0123456789abcdef", ["step yealink-aes-128-ecb", "15 bytes"]),
    (("yealink-aes-128-ecb",), b"", "0123456789abcdef", ["step yealink-aes-128-ecb", "0 bytes"]),
    (("yealink-key-wrap",), b"x" * 32, None, ["step yealink-key-wrap", "exactly 16 bytes"]),
    # 16 bytes that unwrap to no key of the alphabet: not a _Security.enc.
    (("yealink-key-wrap",), b"x" * 16, None, ["step yealink-key-wrap", "not a compatibility-mode key"]),
])
def test_a_yealink_decoding_error_names_the_step(chain, data, key, words):
    with pytest.raises(CryptoError) as failure:
        codec.decode(chain, data, key)
    for word in words:
        assert word in failure.value.message, failure.value.message


def test_a_wrong_yealink_key_gives_no_plaintext():
    """ECB has no integrity check: a wrong key decodes to garbage, never to the plaintext (callers check for text)."""
    encoded = codec.encode(("yealink-aes-128-ecb",), YEALINK_CONFIG, SAMPLE_KEY)
    assert codec.decode(("yealink-aes-128-ecb",), encoded, "0123456789abcdef") != YEALINK_CONFIG


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
        # Compatibility-mode obfuscation: <mac>.cfg encrypted, <mac>_Security.enc beside it; with HTTP
        # credentials, so that the rotation flow changes its keys in place too.
        {"name": "yealink-compat", "mac": "001565000002", "model": "T46U",
         "settings": dict(own, encrypt_profiles=False, yealink_compat_encryption=True, http_credentials=True),
         "lines": [{"extension": "208", "password": "pw-yealink-compat"}]},
        # Poly reads no file the collection can encrypt.
        {"name": "poly", "mac": "0004f2000001", "model": "VVX410", "settings": dict(own, encrypt_profiles=False),
         "lines": [{"extension": "207", "password": "pw-poly"}]},
        # Snom publishes no file encryption; with HTTP credentials, so that the rotation changes its password in place.
        {"name": "snom", "mac": "000413000001", "model": "D785",
         "settings": dict(own, encrypt_profiles=False, http_credentials=True),
         "lines": [{"extension": "209", "password": "pw-snom"}]},
        # Fanvil reads no file the collection can encrypt.
        {"name": "fanvil", "mac": "0c383e000001", "model": "X4", "settings": dict(own, encrypt_profiles=False),
         "lines": [{"extension": "210", "password": "pw-fanvil"}]},
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


#: A phone directory, so that every family with a phonebook format renders its phonebook kind.
DIRECTORY = {"contacts": [{"name": "Front desk", "numbers": ["+49 30 1234"]}]}


def _check_flow(flow):
    raw = devices(FLOWS[flow])
    inventory, fleet = load_fleet(raw, DEFAULTS, directory=DIRECTORY)
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
            if item.encoding == ("yealink-key-wrap",):
                # Anyone can unwrap it: it holds the device's key (the new one in a rotation).
                wanted = (following if flow == "rotation" else current)[item.device]["yealink_aes_key"]
                assert codec.decode(item.encoding, item.content).decode() == wanted
                assert yealink_cli(item.content, YEALINK_FIXED_KEY).decode() == wanted
            else:
                assert codec.decode(item.encoding, item.content) == item.content
            continue
        assert item.plaintext is not None, item.path
        if "openssl-aes-256-cbc" in item.encoding:
            assert item.digest in DIGESTS, item.path
        else:
            assert item.digest is None, item.path
        held = list(by_label[item.device].keys.values()) + list(following.get(item.device, {}).values())
        fits = [key for key in held if _decodes(item, key) == item.plaintext]
        assert fits, "%s (%s) does not decode with its device's keys" % (item.path, flow)
        # The real tools agree, with the digest the tag names.
        if item.encoding == ("yealink-aes-128-ecb",):
            assert unpad_spaces(yealink_cli(item.content, fits[0])) == item.plaintext, item.path
        else:
            assert decode_cli(item.encoding, item.content, fits[0], item.digest) == item.plaintext, item.path
        if flow == "gzip-sha256" and "openssl-aes-256-cbc" in item.encoding:
            assert item.digest == "sha256", item.path
    return kinds


def _decodes(item, key):
    try:
        return codec.decode(item.encoding, item.content, key, item.digest)
    except CryptoError:
        return None
