# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import MacAddressError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac


@pytest.mark.parametrize("value", [
    "00:0B:82:12:34:56",
    "00-0b-82-12-34-56",
    "000b.8212.3456",
    "000B82123456",
    "000b82123456",
    "  00:0b:82:12:34:56\n",
    "00:0b:82:12:34:56",
])
def test_accepted_forms(value):
    assert normalize_mac(value) == "000b82123456"


@pytest.mark.parametrize("value", [
    "0080F0C8C381",  # Panasonic
    "88:01:2B:A0:12:34",  # Linksys
    "02:00:00:00:00:01",  # locally administered unicast is a valid device address
])
def test_other_unicast_addresses(value):
    assert normalize_mac(value) == value.replace(":", "").lower()


@pytest.mark.parametrize("value, reason", [
    ("00:0B:82:12:34", "is not a MAC address"),
    ("00:0B:82:12:34:56:78", "is not a MAC address"),
    ("000B8212345", "is not a MAC address"),
    ("000B821234567", "is not a MAC address"),
    ("00:0B:82:12:34:5G", "is not a MAC address"),
    ("00:0B-82:12:34:56", "is not a MAC address"),
    ("000b.8212-3456", "is not a MAC address"),
    ("00:0b:82:12:34:5", "is not a MAC address"),
    ("0:b:82:12:34:56", "is not a MAC address"),
    ("00 0b 82 12 34 56", "is not a MAC address"),
    ("", "is not a MAC address"),
    ("ff:ff:ff:ff:ff:ff", "the broadcast MAC address"),
    ("FFFFFFFFFFFF", "the broadcast MAC address"),
    ("01:00:5e:00:00:01", "a multicast MAC address"),
    ("33:33:00:00:00:01", "a multicast MAC address"),
    ("00:00:00:00:00:00", "all-zero MAC address"),
    ("0000.0000.0000", "all-zero MAC address"),
])
def test_rejected_values_are_named(value, reason):
    with pytest.raises(MacAddressError) as excinfo:
        normalize_mac(value)
    message = str(excinfo.value)
    assert reason in message
    assert repr(value) in message


@pytest.mark.parametrize("value", [None, 12, ["000b82123456"], b"000b82123456"])
def test_non_strings(value):
    with pytest.raises(MacAddressError, match="must be a string"):
        normalize_mac(value)


def test_error_names_device_and_field():
    with pytest.raises(MacAddressError) as excinfo:
        normalize_mac("nonsense", device="reception-phone", field="mac")
    assert str(excinfo.value).startswith("device reception-phone, field mac: 'nonsense' is not a MAC address")
    assert excinfo.value.device == "reception-phone"
    assert excinfo.value.field == "mac"
