# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._http_credentials import (
    device_credentials,
    device_htpasswd,
    ssha,
    user_name,
)


def _check_ssha(value, password):
    """What nginx does with a {SSHA} entry: split digest and salt, hash again, compare."""
    assert value.startswith("{SSHA}")
    raw = base64.b64decode(value[len("{SSHA}"):])
    digest, salt = raw[:20], raw[20:]
    return hashlib.sha1(password.encode() + salt).digest() == digest, salt


def test_ssha_is_what_nginx_checks():
    ok, salt = _check_ssha(ssha("Zq4vR8wLp2Xn7TkM", b"\x01\x02"), "Zq4vR8wLp2Xn7TkM")
    assert ok and salt == b"\x01\x02"
    assert not _check_ssha(ssha("Zq4vR8wLp2Xn7TkM", b"\x01\x02"), "Zq4vR8wLp2Xn7TkN")[0]


def test_file_has_one_line_per_device_named_by_mac_salted_with_it():
    text = device_htpasswd(
        [{"mac": "C0:74:AD:00:00:01", "password": "pw-a"}],
        {"805EC0000001": {"p1359": "00", "http_password": "pw-y"}, "000e08abcdef": {"p1359": "11"}},
    )
    lines = text.splitlines()
    assert text.endswith("\n")
    # The user: the MAC, a dash, 4 hex digits of SHA-256("sipfleet-http-user:" + password).
    user_a = "c074ad000001-" + hashlib.sha256(b"sipfleet-http-user:pw-a").hexdigest()[:4]
    user_y = "805ec0000001-" + hashlib.sha256(b"sipfleet-http-user:pw-y").hexdigest()[:4]
    assert user_name("c074ad000001", "pw-a") == user_a
    assert [line.split(":", 1)[0] for line in lines] == [user_y, user_a]
    users = dict(line.split(":", 1) for line in lines)
    ok, salt = _check_ssha(users[user_a], "pw-a")
    assert ok and salt == bytes.fromhex("c074ad000001")
    assert _check_ssha(users[user_y], "pw-y")[0]
    assert "pw-a" not in text and "pw-y" not in text


def test_a_rotating_device_has_two_users_both_valid():
    keys = {"805ec0000001": {"http_password": "pw-y"}, "c074ad000001": {"http_password": "pw-a"}}
    text = device_htpasswd([], keys, next_keys={"C0:74:AD:00:00:01": {"http_password": "pw-a2"}, "000e08abcdef": {}})
    users = dict(line.split(":", 1) for line in text.splitlines())
    assert sorted(users) == sorted([user_name("805ec0000001", "pw-y"), user_name("c074ad000001", "pw-a"),
                                    user_name("c074ad000001", "pw-a2")])
    assert _check_ssha(users[user_name("c074ad000001", "pw-a")], "pw-a")[0]
    assert _check_ssha(users[user_name("c074ad000001", "pw-a2")], "pw-a2")[0]
    # New keys equal to the current ones (a finished rotation the playbook still passes) add no line.
    assert device_htpasswd([], keys, next_keys={"c074ad000001": {"http_password": "pw-a"}}) == device_htpasswd([], keys)


def test_same_input_same_file_and_a_rotation_changes_only_that_line():
    keys = {"805ec0000001": {"http_password": "pw-y"}, "c074ad000001": {"http_password": "pw-a"}}
    first = device_htpasswd([], keys)
    assert device_htpasswd([], keys) == first
    rotated = device_htpasswd([], dict(keys, c074ad000001={"http_password": "pw-a2"}))
    assert rotated.splitlines()[0] == first.splitlines()[0]
    assert rotated.splitlines()[1] != first.splitlines()[1]


def test_same_password_differs_between_devices():
    text = device_htpasswd([], {"805ec0000001": {"http_password": "same"}, "c074ad000001": {"http_password": "same"}})
    hashes = [line.split(":", 1)[1] for line in text.splitlines()]
    assert hashes[0] != hashes[1]


def test_another_key_name():
    assert device_credentials([], {"c074ad000001": {"prov_pw": "x"}}, key_name="prov_pw") == [("c074ad000001", "x")]
    assert device_credentials([], {"c074ad000001": {"prov_pw": "x"}}) == []


@pytest.mark.parametrize("credentials, keys, device, field", [
    ([{"mac": "c074ad00001", "password": "x"}], {}, "http_server_device_credentials[0]", "mac"),
    ([{"mac": "c074ad000001"}], {}, "http_server_device_credentials[0]", "mac"),
    ([{"mac": "c074ad000001", "password": ""}], {}, "c074ad000001", "password"),
    ([{"mac": "c074ad000001", "password": "a\nb"}], {}, "c074ad000001", "password"),
    ([{"mac": "c074ad000001", "password": "x"}, {"mac": "C0-74-AD-00-00-01", "password": "y"}], {},
     "c074ad000001", "mac"),
    ([{"mac": "c074ad000001", "password": "x"}], {"C074AD000001": {"http_password": "y"}}, "c074ad000001",
     "http_password"),
    ([], {"c074ad000001": {"http_password": 5}}, "c074ad000001", "http_password"),
])
def test_errors_name_device_and_field_never_the_password(credentials, keys, device, field):
    with pytest.raises(ProvisioningError) as info:
        device_htpasswd(credentials, keys)
    assert info.value.device == device
    assert info.value.field == field
    assert "a\nb" not in str(info.value)
