# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The key store's format and reconciliation: keys persist, are never silently replaced."""

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import (
    KeyStoreError,
    dump_store,
    key_id,
    empty_store,
    parse_store,
    reconcile,
    rotation_targets,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import load_fleet

WANTED = {"000b82123456": {"p1359": 32}, "88012ba01234": {"gpp_a": 32, "gpp_b": 16}}


def test_generates_random_keys_of_the_vendor_sizes():
    store = empty_store()
    outcome = reconcile(store, WANTED)
    assert sorted(outcome.generated) == sorted(WANTED) and outcome.rotated == [] and outcome.missing == []
    keys = outcome.keys
    assert len(keys["000b82123456"]["p1359"]) == 64
    assert len(keys["88012ba01234"]["gpp_a"]) == 64 and len(keys["88012ba01234"]["gpp_b"]) == 32
    other = reconcile(empty_store(), WANTED).keys
    assert other["000b82123456"]["p1359"] != keys["000b82123456"]["p1359"]


def test_keys_survive_a_round_trip_and_are_never_regenerated():
    store = empty_store()
    keys = reconcile(store, WANTED).keys
    reloaded = parse_store(dump_store(store), "store")
    again = reconcile(reloaded, WANTED)
    assert again.keys == keys and again.generated == [] and again.rotated == []
    assert dump_store(reloaded) == dump_store(store)


def test_generate_off_lists_devices_without_keys():
    store = empty_store()
    reconcile(store, {"000b82123456": {"p1359": 32}})
    outcome = reconcile(store, WANTED, generate=False)
    assert outcome.missing == ["88012ba01234"] and outcome.generated == [] and list(outcome.keys) == ["000b82123456"]


def test_rotation_adds_next_keys_then_promotes_them_once_fetched():
    store = empty_store()
    keys = reconcile(store, WANTED).keys
    started = reconcile(store, WANTED, rotate=["88012ba01234"])
    assert started.rotated == ["88012ba01234"]
    # The phones still have their keys: the current ones do not change yet.
    assert started.keys == keys
    new = started.next_keys["88012ba01234"]
    assert new["gpp_a"] != keys["88012ba01234"]["gpp_a"] and list(started.next_keys) == ["88012ba01234"]
    again = reconcile(parse_store(dump_store(store), "store"), WANTED, rotate=["88012ba01234"])
    assert again.rotated == [] and again.next_keys["88012ba01234"] == new
    unrelated = reconcile(store, WANTED, promote={"88012ba01234": ["0000000000000000"]})
    assert unrelated.promoted == [] and unrelated.keys == keys
    done = reconcile(store, WANTED, promote={"88012ba01234": [key_id(new)]})
    assert done.promoted == ["88012ba01234"] and done.keys["88012ba01234"] == new and done.next_keys == {}
    assert done.keys["000b82123456"] == keys["000b82123456"]


def test_a_stored_key_of_the_wrong_size_is_an_error():
    store = empty_store()
    store["devices"]["000b82123456"] = {"p1359": "ab" * 16}
    with pytest.raises(KeyStoreError) as info:
        reconcile(store, WANTED)
    assert info.value.device == "000b82123456" and info.value.field == "keys.p1359"


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"sipfleet_key_store": 2, "devices": {}}',
                                  '{"sipfleet_key_store": 1, "devices": {"x": {"p1359": "XYZ"}}}'])
def test_a_damaged_store_is_an_error_not_a_new_store(text):
    with pytest.raises(KeyStoreError) as info:
        parse_store(text, "keys.vault")
    assert "keys.vault" in str(info.value)


def test_rotation_targets_match_names_labels_and_macs():
    dummy, fleet = load_fleet([
        {"name": "berlin-1", "mac": "000b82000001", "model": "GXP2170"},
        {"name": "berlin-2", "mac": "000b82000002", "model": "GXP2170"},
        {"mac": "000b82000003", "model": "GXP2170"},
    ])
    assert rotation_targets(fleet, ["berlin-*"]) == ["000b82000001", "000b82000002"]
    assert rotation_targets(fleet, ["00:0B:82:00:00:03"]) == ["000b82000003"]
    assert len(rotation_targets(fleet, ["*"])) == 3
