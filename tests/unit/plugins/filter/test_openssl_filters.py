# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filters as playbooks call them, checked against the openssl CLI."""

from __future__ import annotations

import base64

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sipfleet.provisioning.plugins.filter.normalize_mac import FilterModule as MacFilters
from ansible_collections.sipfleet.provisioning.plugins.filter.openssl_decrypt import FilterModule as DecryptFilters
from ansible_collections.sipfleet.provisioning.plugins.filter.openssl_encrypt import FilterModule as EncryptFilters
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

openssl_encrypt = EncryptFilters().filters()["openssl_encrypt"]
openssl_decrypt = DecryptFilters().filters()["openssl_decrypt"]
normalize_mac = MacFilters().filters()["normalize_mac"]


def test_default_digest_is_md5():
    data = base64.b64decode(openssl_encrypt("x", "pw"))
    code, out, err = openssl_cli.dec(data, password="pw", digest="md5")
    assert (code, out) == (0, b"x"), err


def test_sha256_and_pbkdf2():
    data = base64.b64decode(openssl_encrypt("hello", "pw", digest="sha256", pbkdf2_iterations=20000))
    code, out, err = openssl_cli.dec(data, password="pw", digest="sha256", pbkdf2_iterations=20000)
    assert (code, out) == (0, b"hello"), err


def test_round_trip_with_stable_salt_and_gzip():
    profile = '<flat-profile><Display_Name_1_ ua="na">Front desk</Display_Name_1_></flat-profile>'
    one = openssl_encrypt(profile, "k" * 64, digest="sha256", salt="stable", gzip=True)
    two = openssl_encrypt(profile, "k" * 64, digest="sha256", salt="stable", gzip=True)
    assert one == two
    assert openssl_decrypt(one, "k" * 64, digest="sha256", gunzip=True) == profile


def test_openssl_base64_output_is_what_openssl_a_reads():
    text = openssl_encrypt("CFG_FILE_KEY test\r\n" * 20, "key", output="openssl-base64")
    # Exactly the line layout openssl enc -a writes for a file of that size.
    same_size = openssl_cli.enc(b"CFG_FILE_KEY test\r\n" * 20, base64_armor=True, password="key", digest="md5")
    assert [len(line) for line in text.splitlines(True)] == [len(line) for line in same_size.decode().splitlines(True)]
    code, out, err = openssl_cli.dec(text.encode(), base64_armor=True, password="key", digest="md5")
    assert (code, out) == (0, b"CFG_FILE_KEY test\r\n" * 20), err
    # And the filter reads openssl's own -a output.
    theirs = openssl_cli.enc(b"from openssl", base64_armor=True, password="key", digest="md5")
    assert openssl_decrypt(theirs.decode(), "key") == "from openssl"


def test_raw_key_mode():
    key, iv = "0f" * 32, "f0" * 16
    data = openssl_encrypt("raw", key=key, iv=iv)
    assert base64.b64decode(data) == openssl_cli.enc(b"raw", key=key, iv=iv)
    assert openssl_decrypt(data, key=key, iv=iv) == "raw"


def test_binary_plaintext_as_base64():
    theirs = openssl_cli.enc(b"\xff\x00\xfe", password="pw", digest="md5")
    encoded = base64.b64encode(theirs).decode()
    assert openssl_decrypt(encoded, "pw", output="base64") == base64.b64encode(b"\xff\x00\xfe").decode()
    with pytest.raises(AnsibleFilterError, match="not UTF-8 text"):
        openssl_decrypt(encoded, "pw")


@pytest.mark.parametrize("call, message", [
    (lambda: openssl_decrypt(openssl_encrypt("secret text", "pw"), "other"), "bad decrypt"),
    (lambda: openssl_decrypt(openssl_encrypt("secret text", "pw"), "pw", digest="sha256"), "bad decrypt"),
    (lambda: openssl_decrypt("not base64!", "pw"), "not valid base64"),
    (lambda: openssl_decrypt(base64.b64encode(b"Salted__12345678" + b"x" * 5).decode(), "pw"), "multiple of 16"),
    (lambda: openssl_decrypt(openssl_encrypt("x", "pw"), "pw", output="hex"), "output must be one of text, base64"),
    (lambda: openssl_encrypt("x", "pw", digest="sha1"), "digest must be one of md5, sha256"),
    (lambda: openssl_encrypt("x", "pw", output="hex"), "output must be one of base64, openssl-base64"),
    (lambda: openssl_encrypt(["x"], "pw"), "input must be a string"),
    (lambda: openssl_encrypt("x"), "a password, or a key and iv, is required"),
])
def test_errors_are_filter_errors(call, message):
    with pytest.raises(AnsibleFilterError, match=message) as excinfo:
        call()
    assert str(excinfo.value).startswith("openssl_")


def test_errors_do_not_contain_the_password():
    with pytest.raises(AnsibleFilterError) as excinfo:
        openssl_decrypt(openssl_encrypt("secret text", "hunter2-password"), "hunter3-password")
    assert "hunter" not in str(excinfo.value)
    assert excinfo.value.__cause__ is None


def test_normalize_mac_filter():
    assert normalize_mac("00:0B:82:12:34:56") == "000b82123456"
    with pytest.raises(AnsibleFilterError, match=r"normalize_mac: 'ff:ff:ff:ff:ff:ff' is the broadcast MAC address"):
        normalize_mac("ff:ff:ff:ff:ff:ff")
