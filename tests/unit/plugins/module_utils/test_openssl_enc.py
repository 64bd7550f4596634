# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The crypto core against the real ``openssl enc`` CLI, in both directions."""

from __future__ import annotations

import gzip
import hashlib
import subprocess

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _openssl_enc as enc
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

PASSWORD = "p1359-Secret pw"

# Plaintext sizes around the AES block boundary, and a large one.
SIZES = [0, 1, 15, 16, 17, 1024 * 1024]

# (digest, pbkdf2 iterations): OpenSSL's EVP_BytesToKey with each digest, and PBKDF2.
KDFS = [
    ("md5", None),
    ("sha256", None),
    ("sha256", 10000),
    ("md5", 1000),
]


def plaintext_of(size):
    # Deterministic, not all one byte, so block-order mistakes show.
    pattern = hashlib.sha256(str(size).encode()).digest()
    return (pattern * (size // len(pattern) + 1))[:size]


def kdf_id(kdf):
    digest, iterations = kdf
    return digest if iterations is None else "%s-pbkdf2-%d" % (digest, iterations)


@pytest.mark.parametrize("kdf", KDFS, ids=kdf_id)
@pytest.mark.parametrize("size", SIZES)
def test_our_file_decrypts_with_openssl(kdf, size):
    digest, iterations = kdf
    plaintext = plaintext_of(size)
    data = enc.encrypt(plaintext, password=PASSWORD, digest=digest, pbkdf2_iterations=iterations)
    assert data[:8] == b"Salted__"
    # PKCS#7 always adds 1 to 16 bytes.
    assert len(data) == 16 + (size // 16 + 1) * 16
    code, out, err = openssl_cli.dec(data, password=PASSWORD, digest=digest, pbkdf2_iterations=iterations)
    assert code == 0, err
    assert out == plaintext


@pytest.mark.parametrize("kdf", KDFS, ids=kdf_id)
@pytest.mark.parametrize("size", SIZES)
def test_openssl_file_decrypts_with_ours(kdf, size):
    digest, iterations = kdf
    plaintext = plaintext_of(size)
    data = openssl_cli.enc(plaintext, password=PASSWORD, digest=digest, pbkdf2_iterations=iterations)
    assert enc.decrypt(data, password=PASSWORD, digest=digest, pbkdf2_iterations=iterations) == plaintext


@pytest.mark.parametrize("kdf", KDFS, ids=kdf_id)
def test_derived_key_and_iv_match_openssl(kdf):
    digest, iterations = kdf
    salt = bytes.fromhex("0011223344556677")
    key, iv = enc.derive_key_iv(PASSWORD, salt, digest, iterations)
    want_key, want_iv = openssl_cli.print_key_iv(salt.hex(), password=PASSWORD, digest=digest,
                                                 pbkdf2_iterations=iterations)
    assert key.hex().upper() == want_key
    assert iv.hex().upper() == want_iv


def test_digest_matters():
    """A file made with MD5 must not decrypt with SHA-256: the reason the digest is always named."""
    data = enc.encrypt(b"<gs_provision/>" * 4, password=PASSWORD, digest="md5")
    code, out, err = openssl_cli.dec(data, password=PASSWORD, digest="sha256")
    assert code != 0 or out != b"<gs_provision/>" * 4
    with pytest.raises(CryptoError):
        enc.plaintext_as_text(enc.decrypt(data, password=PASSWORD, digest="sha256"))


@pytest.mark.parametrize("size", SIZES)
def test_raw_key_mode_both_directions(size):
    key = "8f" * 16 + "01" * 16
    iv = "a5" * 16
    plaintext = plaintext_of(size)
    ours = enc.encrypt(plaintext, key=key, iv=iv)
    assert not ours.startswith(b"Salted__")
    code, out, err = openssl_cli.dec(ours, key=key, iv=iv)
    assert code == 0, err
    assert out == plaintext
    theirs = openssl_cli.enc(plaintext, key=key, iv=iv)
    assert theirs == ours
    assert enc.decrypt(theirs, key=bytes.fromhex(key), iv=bytes.fromhex(iv)) == plaintext


@pytest.mark.parametrize("digest", ["md5", "sha256"])
def test_gzip_then_encrypt_round_trips_through_openssl_and_gunzip(digest, tmp_path):
    profile = b'<flat-profile><Proxy_1_ ua="na">sip.example.net</Proxy_1_></flat-profile>\n' * 200
    data = enc.encrypt(enc.gzip_compress(profile), password=PASSWORD, digest=digest)
    code, compressed, err = openssl_cli.dec(data, password=PASSWORD, digest=digest)
    assert code == 0, err
    result = subprocess.run(["gzip", "-d", "-c"], input=compressed, stdout=subprocess.PIPE, check=True)
    assert result.stdout == profile

    # And the other way: gzip(1) then openssl enc, read back by the core.
    zipped = subprocess.run(["gzip", "-c", "-n"], input=profile, stdout=subprocess.PIPE, check=True).stdout
    theirs = openssl_cli.enc(zipped, password=PASSWORD, digest=digest)
    assert enc.gunzip(enc.decrypt(theirs, password=PASSWORD, digest=digest)) == profile


def test_gzip_is_reproducible():
    assert enc.gzip_compress(b"abc" * 100) == enc.gzip_compress(b"abc" * 100)
    # Fixed header whatever the Python version: no name, mtime 0, XFL 2, OS 255.
    assert enc.gzip_compress(b"abc")[:10] == bytes.fromhex("1f8b08000000000002ff")
    assert gzip.decompress(enc.gzip_compress(b"abc")) == b"abc"


def test_gunzip_rejects_non_gzip():
    with pytest.raises(CryptoError, match="not a valid gzip stream"):
        enc.gunzip(b"plain text")
    with pytest.raises(CryptoError, match="not a valid gzip stream"):
        enc.gunzip(enc.gzip_compress(b"x" * 100)[:-6])


class TestStableSalt:
    def test_same_input_same_bytes(self):
        one = enc.encrypt(b"profile", password=PASSWORD, digest="md5", salt=enc.STABLE_SALT)
        two = enc.encrypt(b"profile", password=PASSWORD, digest="md5", salt=enc.STABLE_SALT)
        assert one == two
        code, out, err = openssl_cli.dec(one, password=PASSWORD, digest="md5")
        assert (code, out) == (0, b"profile"), err

    @pytest.mark.parametrize("change", [
        {"plaintext": b"profile2"},
        {"password": PASSWORD + "x"},
        {"digest": "sha256"},
        {"pbkdf2_iterations": 10},
    ])
    def test_any_change_changes_the_salt(self, change):
        base = {"plaintext": b"profile", "password": PASSWORD, "digest": "md5", "pbkdf2_iterations": None}
        changed = dict(base, **change)
        assert enc.stable_salt(**base) != enc.stable_salt(**changed)

    def test_random_salt_differs_each_call(self):
        salts = {enc.encrypt(b"profile", password=PASSWORD, digest="md5")[8:16] for dummy in range(20)}
        assert len(salts) == 20

    def test_explicit_salt_is_used(self):
        data = enc.encrypt(b"x", password=PASSWORD, digest="md5", salt="0011223344556677")
        assert data[8:16] == bytes.fromhex("0011223344556677")
        assert enc.decrypt(data, password=PASSWORD, digest="md5") == b"x"

    @pytest.mark.parametrize("salt", ["00112233", "zz11223344556677", "stable!"])
    def test_bad_explicit_salt(self, salt):
        with pytest.raises(CryptoError, match="salt must be 16 hex digits"):
            enc.encrypt(b"x", password=PASSWORD, digest="md5", salt=salt)


class TestWrongPasswordAndCorruptInput:
    TEXT = (
        '<?xml version="1.0" encoding="UTF-8"?><gs_provision version="1"><mac>000b82123456</mac>'
        "<config version=\"1\"><P47>sip.example.net</P47><P34>secret</P34></config></gs_provision>"
    ).encode()

    def test_wrong_passwords_never_return_text(self):
        data = enc.encrypt(self.TEXT, password=PASSWORD, digest="md5", salt="0102030405060708")
        # Fixed salt and passwords: deterministic. About 12 of these 3000 pass
        # the padding check; the UTF-8 check must catch every one of them.
        padding_passed = 0
        for attempt in range(3000):
            try:
                plaintext = enc.decrypt(data, password="wrong-%d" % attempt, digest="md5")
            except CryptoError as exc:
                assert "bad decrypt" in str(exc)
                continue
            padding_passed += 1
            with pytest.raises(CryptoError, match="bad decrypt"):
                enc.plaintext_as_text(plaintext)
        assert padding_passed > 0, "the sample never exercised the UTF-8 check"

    def test_openssl_agrees_the_password_is_wrong(self):
        data = enc.encrypt(self.TEXT, password=PASSWORD, digest="md5", salt="0102030405060708")
        code, out, err = openssl_cli.dec(data, password="wrong", digest="md5")
        assert code != 0 and "bad decrypt" in err
        with pytest.raises(CryptoError, match="bad decrypt"):
            enc.decrypt(data, password="wrong", digest="md5")

    def test_missing_header(self):
        data = enc.encrypt(self.TEXT, key="11" * 32, iv="22" * 16)
        with pytest.raises(CryptoError, match="does not start with 'Salted__'"):
            enc.decrypt(data, password=PASSWORD, digest="md5")

    def test_truncated_header(self):
        with pytest.raises(CryptoError, match="ends inside its 16-byte"):
            enc.decrypt(b"Salted__1234", password=PASSWORD, digest="md5")

    @pytest.mark.parametrize("cut", [1, 15])
    def test_truncated_ciphertext(self, cut):
        data = enc.encrypt(self.TEXT, password=PASSWORD, digest="md5")
        with pytest.raises(CryptoError, match="not a positive multiple of 16"):
            enc.decrypt(data[:-cut], password=PASSWORD, digest="md5")

    def test_header_only(self):
        data = enc.encrypt(b"", password=PASSWORD, digest="md5")
        with pytest.raises(CryptoError, match="ciphertext is 0 bytes"):
            enc.decrypt(data[:16], password=PASSWORD, digest="md5")

    def test_flipped_last_block(self):
        data = bytearray(enc.encrypt(self.TEXT, password=PASSWORD, digest="md5", salt="0102030405060708"))
        data[-1] ^= 0x55
        with pytest.raises(CryptoError, match="bad decrypt"):
            enc.plaintext_as_text(enc.decrypt(bytes(data), password=PASSWORD, digest="md5"))


class TestOptionErrors:
    @pytest.mark.parametrize("digest", [None, "sha1", "MD5", ""])
    def test_digest_must_be_named_and_known(self, digest):
        with pytest.raises(CryptoError, match="digest must be one of md5, sha256"):
            enc.encrypt(b"x", password=PASSWORD, digest=digest)

    @pytest.mark.parametrize("iterations", [0, -1, True, "1000", 1.5])
    def test_bad_iterations(self, iterations):
        with pytest.raises(CryptoError, match="pbkdf2_iterations must be a positive integer"):
            enc.encrypt(b"x", password=PASSWORD, digest="sha256", pbkdf2_iterations=iterations)

    def test_empty_password(self):
        with pytest.raises(CryptoError, match="password must not be empty"):
            enc.encrypt(b"x", password="", digest="md5")

    def test_no_password_no_key(self):
        with pytest.raises(CryptoError, match="a password, or a key and iv, is required"):
            enc.encrypt(b"x", digest="md5")

    def test_password_and_key(self):
        with pytest.raises(CryptoError, match="either password or key/iv"):
            enc.encrypt(b"x", password=PASSWORD, key="00" * 32, iv="00" * 16)

    def test_key_without_iv(self):
        with pytest.raises(CryptoError, match="iv is required with key"):
            enc.encrypt(b"x", key="00" * 32)

    @pytest.mark.parametrize("key", ["00" * 31, "00" * 33, "zz" * 32, 12])
    def test_bad_key(self, key):
        with pytest.raises(CryptoError, match="key must be 64 hex digits"):
            enc.encrypt(b"x", key=key, iv="00" * 16)

    def test_salt_in_raw_mode(self):
        with pytest.raises(CryptoError, match="raw-key mode has no salt"):
            enc.encrypt(b"x", key="00" * 32, iv="00" * 16, salt=enc.STABLE_SALT)

    def test_pbkdf2_in_raw_mode(self):
        with pytest.raises(CryptoError, match="raw-key mode derives nothing"):
            enc.decrypt(b"x" * 16, key="00" * 32, iv="00" * 16, pbkdf2_iterations=5)

    def test_plaintext_type(self):
        with pytest.raises(CryptoError, match="plaintext must be a string or bytes, not int"):
            enc.encrypt(5, password=PASSWORD, digest="md5")

    def test_text_is_utf8(self):
        data = enc.encrypt("Zürich ☎", password=PASSWORD, digest="sha256")
        code, out, err = openssl_cli.dec(data, password=PASSWORD, digest="sha256")
        assert code == 0, err
        assert out.decode("utf-8") == "Zürich ☎"
