# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The key store's format and reconciliation: keys persist, are never silently replaced."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import (
    KeyStoreError,
    dump_store,
    empty_store,
    key_id,
    normalise_evidence,
    parse_store,
    reconcile,
    rotation_targets,
    update_store,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import TEMP_PREFIX
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet

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


def test_rotation_adds_next_keys_then_promotes_them_once_proven():
    store = empty_store()
    keys = reconcile(store, WANTED).keys
    # The phone fetched its bootstrap (a rotation needs that: see the held rotation tests).
    bootstrapped = {"88012ba01234": [key_id(keys["88012ba01234"])]}
    started = reconcile(store, WANTED, rotate=["88012ba01234"], fetched=bootstrapped)
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
    assert done.rotation_report() == {"pending": [], "finished": ["88012ba01234"], "stalled": []}


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


# --- delivered keys, proof of possession, re-bootstrap, rotation report ---

CISCO = "88012ba01234"
GS = "000b82123456"


def rotating_store():
    """A store whose Cisco device is between keys; returns (store, current keys, next keys)."""
    store = empty_store()
    keys = reconcile(store, WANTED, now=1000).keys
    reconcile(store, WANTED, fetched={CISCO: [key_id(keys[CISCO])]}, now=1500)
    new = reconcile(store, WANTED, rotate=[CISCO], now=2000).next_keys[CISCO]
    return store, keys, new


def test_a_fetched_key_carrier_is_recorded_as_delivered_and_survives_the_round_trip():
    store = empty_store()
    keys = reconcile(store, WANTED, now=0).keys
    before = dump_store(store)
    outcome = reconcile(store, WANTED, fetched={GS: [key_id(keys[GS]), "0123456789abcdef"]}, now=86400)
    # Only the id of keys the device has counts; the unknown id is no record.
    assert outcome.delivered == {GS: [key_id(keys[GS])]}
    assert store["devices"][GS]["delivered"] == {key_id(keys[GS]): "1970-01-02T00:00:00Z"}
    assert dump_store(store) != before, "recording a delivery must change (and so write) the store"
    reloaded = parse_store(dump_store(store), "store")
    again = reconcile(reloaded, WANTED, now=2 * 86400)
    # A new controller with no logs at all still knows the keys left.
    assert again.delivered == {GS: [key_id(keys[GS])]} and dump_store(reloaded) == dump_store(store)


def test_an_anonymous_fetch_of_the_handover_never_finishes_a_rotation():
    store, keys, new = rotating_store()
    outcome = reconcile(store, WANTED, fetched={CISCO: [key_id(new)]}, now=3000)
    assert outcome.promoted == [] and outcome.keys[CISCO] == keys[CISCO] and outcome.next_keys[CISCO] == new
    # ...but the new keys left, and are recorded so (next to the current keys' bootstrap).
    assert outcome.delivered[CISCO] == sorted([key_id(keys[CISCO]), key_id(new)])
    assert outcome.rotation_report() == {"pending": [CISCO], "finished": [], "stalled": []}
    assert "next" in store["devices"][CISCO]


def test_proof_of_possession_finishes_the_rotation_and_keeps_its_delivery_record():
    store, keys, new = rotating_store()
    reconcile(store, WANTED, fetched={CISCO: [key_id(keys[CISCO])]}, now=2500)
    outcome = reconcile(store, WANTED, promote={CISCO: [key_id(new)]}, now=3000)
    assert outcome.promoted == [CISCO] and outcome.keys[CISCO] == new and outcome.next_keys == {}
    # The old keys' record means nothing any more; the new keys are held by the device.
    assert outcome.delivered[CISCO] == [key_id(new)]
    assert outcome.rotation_report() == {"pending": [], "finished": [CISCO], "stalled": []}
    proof_of_old_keys = reconcile(store, WANTED, promote={CISCO: [key_id(keys[CISCO])]}, now=4000)
    assert proof_of_old_keys.keys[CISCO] == new


def test_rebootstrap_drops_the_delivery_record_of_the_current_keys_even_with_the_fetch_still_in_the_logs():
    store = empty_store()
    keys = reconcile(store, WANTED, now=0).keys
    fetched = {GS: [key_id(keys[GS])], CISCO: [key_id(keys[CISCO])]}
    reconcile(store, WANTED, fetched=fetched, now=10)
    outcome = reconcile(store, WANTED, fetched=fetched, rebootstrap=[GS], now=20)
    assert outcome.rebootstrapped == [GS]
    assert GS not in outcome.delivered and "delivered" not in store["devices"][GS]
    assert outcome.delivered == {CISCO: [key_id(keys[CISCO])]}
    # The keys themselves are untouched: the phone gets the same keys again.
    assert outcome.keys == keys


def test_a_rotation_older_than_the_stall_limit_is_reported_stalled():
    store, keys, new = rotating_store()
    fresh = reconcile(store, WANTED, now=2000 + 13 * 86400, stall_days=14)
    assert fresh.rotation_report() == {"pending": [CISCO], "finished": [], "stalled": []}
    late = reconcile(store, WANTED, now=2000 + 15 * 86400, stall_days=14)
    assert late.rotation_report() == {"pending": [CISCO], "finished": [], "stalled": [CISCO]}


@pytest.mark.parametrize("delivered", [
    '["0123456789abcdef"]',
    '{"0123456789ABCDEF": "2026-01-01T00:00:00Z"}',
    '{"0123456789abcde": "2026-01-01T00:00:00Z"}',
    '{"0123456789abcdef": 5}',
])
def test_a_malformed_delivered_record_is_an_error(delivered):
    text = '{"sipfleet_key_store": 1, "devices": {"000b82123456": {"p1359": "%s", "delivered": %s}}}' % (
        "ab" * 32, delivered)
    with pytest.raises(KeyStoreError) as info:
        parse_store(text, "keys.vault")
    assert "keys.vault" in str(info.value) and "delivered" in str(info.value) and info.value.field == "path"


@pytest.mark.parametrize("evidence", [{"not a mac": ["0123456789abcdef"]}, {GS: 5}, ["x"]])
def test_malformed_evidence_is_an_error_naming_the_option(evidence):
    with pytest.raises(ProvisioningError) as info:
        normalise_evidence(evidence, "proven")
    assert info.value.field == "proven"


def test_evidence_is_keyed_by_canonical_mac():
    assert normalise_evidence({"00:0B:82:12:34:56": "0123456789abcdef"}, "fetched") == {GS: {"0123456789abcdef"}}


# --- the store on disk: lock, symlinks, directory ---

def plain(raw):
    return raw.decode("utf-8")


def encoded(text):
    return text.encode("utf-8")


def generate_for(wanted):
    def mutate(store, created):
        return reconcile(store, wanted)
    return mutate


def test_a_new_store_is_created_0600_and_a_missing_one_is_never_created_silently(tmp_path):
    path = tmp_path / "keys.json"
    with pytest.raises(KeyStoreError) as info:
        update_store(str(path), plain, encoded, generate_for(WANTED))
    assert "does not exist" in str(info.value) and not path.exists()
    outcome, changed, created = update_store(str(path), plain, encoded, generate_for(WANTED), create=True)
    assert changed and created and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_store(path.read_text(), "x")["devices"][GS]["p1359"] == outcome.keys[GS]["p1359"]
    dummy, changed, created = update_store(str(path), plain, encoded, generate_for(WANTED))
    assert not changed and not created
    assert sorted(os.listdir(tmp_path)) == ["keys.json", "keys.json.lock"]
    assert stat.S_IMODE((tmp_path / "keys.json.lock").stat().st_mode) == 0o600


def test_check_mode_reads_but_writes_and_locks_nothing(tmp_path):
    path = tmp_path / "keys.json"
    outcome, changed, created = update_store(str(path), plain, encoded, generate_for(WANTED), create=True,
                                             write=False)
    assert changed and created and outcome.generated and os.listdir(tmp_path) == []


def _racer(path, rounds, name, barrier, queue):
    """One run of the race: each round, keys for a shared new MAC and one of its own."""
    seen = {}
    generated = {}

    def slow(raw):
        # Decrypting a vault store takes milliseconds: so does this, so the
        # runs overlap as real ones do.
        time.sleep(0.003)
        return raw.decode("utf-8")

    try:
        for index in range(rounds):
            shared = "00000b%06x" % index
            own = "02%s%08x" % ("aa" if name == "a" else "bb", index)
            wanted = {shared: {"p1359": 32}, own: {"p1359": 32}}
            barrier.wait(timeout=60)
            outcome, dummy, dummy2 = update_store(path, slow, encoded, generate_for(wanted), create=True, timeout=60)
            for mac in wanted:
                seen[mac] = outcome.keys[mac]["p1359"]
            for mac in outcome.generated:
                generated[mac] = outcome.keys[mac]["p1359"]
        queue.put((name, seen, generated, None))
    except Exception as exc:  # reported to the test, which fails on it
        queue.put((name, seen, generated, repr(exc)))


def test_two_processes_generating_keys_at_once_never_lose_one(tmp_path):
    path = str(tmp_path / "keys.json")
    rounds = 40
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    queue = context.Queue()
    workers = [context.Process(target=_racer, args=(path, rounds, name, barrier, queue)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    results = dict((item[0], item) for item in (queue.get(timeout=120) for dummy in workers))
    for worker in workers:
        worker.join(timeout=30)
    assert [results[name][3] for name in ("a", "b")] == [None, None]
    stored = dict((mac, entry["p1359"]) for mac, entry in parse_store(open(path).read(), path)["devices"].items())
    # One key set per MAC: every shared MAC, and every MAC of each run.
    assert len(stored) == 3 * rounds
    for name in ("a", "b"):
        dummy, seen, generated, dummy2 = results[name]
        assert dict((mac, stored[mac]) for mac in seen) == seen, "run %s used keys the store does not hold" % name
        assert dict((mac, stored[mac]) for mac in generated) == generated, "a key run %s generated was lost" % name
    shared = [mac for mac in stored if mac.startswith("00000b")]
    assert all(results["a"][1][mac] == results["b"][1][mac] for mac in shared)
    # Each shared MAC got its keys from exactly one of the runs.
    assert sorted(mac for name in ("a", "b") for mac in results[name][2] if mac in shared) == sorted(shared)
    assert not [name for name in os.listdir(str(tmp_path)) if name.startswith(TEMP_PREFIX)]


def _hold_lock(path, ready, release):
    def mutate(store, created):
        ready.set()
        release.wait(30)
    update_store(path, plain, encoded, mutate, create=True, timeout=5)


def test_a_run_waits_for_the_lock_then_fails_naming_the_lock_file_and_the_holder(tmp_path):
    path = str(tmp_path / "keys.json")
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        started = time.monotonic()
        with pytest.raises(KeyStoreError) as info:
            update_store(path, plain, encoded, generate_for(WANTED), create=True, timeout=1)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(30)
    assert 1 <= waited < 5
    assert info.value.field == "lock_timeout"
    assert path + ".lock" in str(info.value) and "PID %d" % holder.pid in str(info.value)
    # Released: the next run goes through.
    outcome, changed, dummy = update_store(path, plain, encoded, generate_for(WANTED), timeout=1)
    assert changed and sorted(outcome.generated) == sorted(WANTED)


def test_a_symlinked_store_is_written_through_keeping_owner_group_and_mode(tmp_path):
    real_dir = tmp_path / "repo"
    link_dir = tmp_path / "elsewhere"
    real_dir.mkdir(mode=0o755)
    link_dir.mkdir(mode=0o700)
    target = real_dir / "keys.json"
    target.write_text(dump_store(empty_store()))
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(str(target), *owner)
    os.chmod(str(target), 0o640)
    link = link_dir / "keys.json"
    link.symlink_to(target)
    outcome, changed, created = update_store(str(link), plain, encoded, generate_for(WANTED), timeout=5)
    assert changed and not created
    assert link.is_symlink() and os.readlink(str(link)) == str(target)
    info = os.lstat(str(target))
    assert (info.st_uid, info.st_gid) == owner and stat.S_IMODE(info.st_mode) == 0o640
    assert parse_store(target.read_text(), "t")["devices"][GS]["p1359"] == outcome.keys[GS]["p1359"]
    # The lock lives beside the real store; nothing else is left anywhere.
    assert sorted(os.listdir(str(real_dir))) == ["keys.json", "keys.json.lock"]
    assert os.listdir(str(link_dir)) == ["keys.json"]


@pytest.mark.parametrize("mode", [0o770, 0o702, 0o777, 0o1777])
def test_a_store_directory_writable_by_others_is_refused(tmp_path, mode):
    directory = tmp_path / "repo"
    directory.mkdir()
    os.chmod(str(directory), mode)
    with pytest.raises(KeyStoreError) as info:
        update_store(str(directory / "keys.json"), plain, encoded, generate_for(WANTED), create=True)
    assert info.value.field == "path" and str(directory) in str(info.value)
    assert os.listdir(str(directory)) == []


def test_the_directory_of_the_real_target_is_checked_not_the_links(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    (shared / "keys.json").write_text(dump_store(empty_store()))
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    (mine / "keys.json").symlink_to(shared / "keys.json")
    with pytest.raises(KeyStoreError) as info:
        update_store(str(mine / "keys.json"), plain, encoded, generate_for(WANTED))
    assert info.value.field == "path" and str(shared) in str(info.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_store_directory_owned_by_another_user_is_refused(tmp_path):
    directory = tmp_path / "repo"
    directory.mkdir(mode=0o755)
    os.chown(str(directory), 65534, 65534)
    with pytest.raises(KeyStoreError) as info:
        update_store(str(directory / "keys.json"), plain, encoded, generate_for(WANTED), create=True)
    assert info.value.field == "path" and "uid 65534" in str(info.value)
    assert os.listdir(str(directory)) == []


def test_a_failed_write_leaves_the_old_store_and_no_temporary_file(tmp_path):
    path = tmp_path / "keys.json"
    update_store(str(path), plain, encoded, generate_for({GS: {"p1359": 32}}), create=True)
    before = path.read_bytes()

    def broken(text):
        raise KeyStoreError("no vault secret", field="vault_id")
    with pytest.raises(KeyStoreError):
        update_store(str(path), plain, broken, generate_for(WANTED))
    assert path.read_bytes() == before
    assert sorted(os.listdir(str(tmp_path))) == ["keys.json", "keys.json.lock"]


# --- a rotation only for a phone known to hold its current keys; closed windows travel with the store ---

def test_a_rotation_of_a_device_never_bootstrapped_is_held():
    store = empty_store()
    keys = reconcile(store, WANTED, now=0).keys
    # Added, not yet bootstrapped: a handover encrypted with keys the phone never got would lock it out.
    held = reconcile(store, WANTED, rotate=[GS, CISCO], now=10)
    assert held.held == [GS, CISCO] and held.rotated == [] and held.next_keys == {}
    assert all("next" not in entry for entry in store["devices"].values())
    # A window closed unused (expired) is no delivery either.
    expired = reconcile(store, WANTED, rotate=[GS], closed={GS: [key_id(keys[GS])]}, now=20)
    assert expired.held == [GS] and "next" not in store["devices"][GS]
    # A device whose keys are made in this very run is held too.
    fresh = reconcile(empty_store(), WANTED, rotate=[GS], now=0)
    assert fresh.held == [GS] and fresh.rotated == [] and fresh.generated == sorted(WANTED)
    # Its fetch seen in this run's logs is enough; a window being re-opened in the same run is not.
    reopening = reconcile(store, WANTED, rotate=[CISCO], fetched={CISCO: [key_id(keys[CISCO])]}, rebootstrap=[CISCO],
                          now=30)
    assert reopening.held == [CISCO] and "next" not in store["devices"][CISCO]
    started = reconcile(store, WANTED, rotate=[GS, CISCO], fetched={GS: [key_id(keys[GS])]}, now=40)
    assert started.rotated == [GS] and started.held == [CISCO] and list(started.next_keys) == [GS]
    # Recorded as delivered by an earlier run: a later run rotates without the log line.
    reconcile(store, WANTED, fetched={CISCO: [key_id(keys[CISCO])]}, now=50)
    later = reconcile(store, WANTED, rotate=[CISCO], now=60)
    assert later.rotated == [CISCO] and later.held == []


def test_a_window_closed_for_any_reason_is_recorded_and_survives_the_round_trip():
    store = empty_store()
    keys = reconcile(store, WANTED, now=0).keys
    outcome = reconcile(store, WANTED, closed={GS: [key_id(keys[GS]), "0123456789abcdef"]}, now=86400)
    # Only the id of keys the device has counts.
    assert store["devices"][GS]["closed"] == {key_id(keys[GS]): "1970-01-02T00:00:00Z"}
    assert "delivered" not in store["devices"][GS]
    # What phone_profiles gets as bootstrap_delivered: that window stays closed on every host.
    assert outcome.delivered == {GS: [key_id(keys[GS])]}
    reloaded = parse_store(dump_store(store), "store")
    assert reconcile(reloaded, WANTED, now=2 * 86400).delivered == {GS: [key_id(keys[GS])]}


def test_a_window_closed_by_its_recorded_fetch_changes_the_store_once():
    """Run 1 records the fetch; run 2's hosts report that window closed: no second record, the store is unchanged."""
    store = empty_store()
    keys = reconcile(store, WANTED, now=0).keys
    fetched = {GS: [key_id(keys[GS])]}
    reconcile(store, WANTED, fetched=fetched, now=10)
    after_fetch = dump_store(store)
    outcome = reconcile(store, WANTED, fetched=fetched, closed=fetched, now=20)
    assert dump_store(store) == after_fetch
    assert "closed" not in store["devices"][GS]
    assert outcome.delivered == {GS: [key_id(keys[GS])]}


def test_rebootstrap_drops_the_closed_record_even_while_the_hosts_still_report_it():
    store = empty_store()
    keys = reconcile(store, WANTED, now=0).keys
    closed = {GS: [key_id(keys[GS])], CISCO: [key_id(keys[CISCO])]}
    reconcile(store, WANTED, closed=closed, fetched={GS: [key_id(keys[GS])]}, now=10)
    # The run that re-opens: the hosts' state still says closed (phone_profiles re-opens it later in the run).
    outcome = reconcile(store, WANTED, closed=closed, fetched={GS: [key_id(keys[GS])]}, rebootstrap=[GS], now=20)
    assert outcome.rebootstrapped == [GS] and GS not in outcome.delivered
    assert "closed" not in store["devices"][GS] and "delivered" not in store["devices"][GS]
    assert outcome.delivered == {CISCO: [key_id(keys[CISCO])]}


@pytest.mark.parametrize("closed", [
    '["0123456789abcdef"]',
    '{"0123456789ABCDEF": "2026-01-01T00:00:00Z"}',
    '{"0123456789abcdef": null}',
])
def test_a_malformed_closed_record_is_an_error(closed):
    text = '{"sipfleet_key_store": 1, "devices": {"000b82123456": {"p1359": "%s", "closed": %s}}}' % (
        "ab" * 32, closed)
    with pytest.raises(KeyStoreError) as info:
        parse_store(text, "keys.vault")
    assert "keys.vault" in str(info.value) and "closed" in str(info.value) and info.value.field == "path"


@pytest.mark.parametrize("field", ["rotate", "rebootstrap"])
def test_a_pattern_matching_no_device_is_an_error_naming_it(field):
    dummy, fleet = load_fleet([
        {"name": "berlin-1", "mac": "000b82000001", "model": "GXP2170"},
        {"name": "berlin-2", "mac": "000b82000002", "model": "GXP2170"},
    ])
    with pytest.raises(KeyStoreError) as info:
        rotation_targets(fleet, ["berlin-*", "bern-*", "00:0b:82:00:00:09"], field)
    assert info.value.field == field
    assert "'bern-*'" in str(info.value) and "'00:0b:82:00:00:09'" in str(info.value)
    assert "berlin-*" not in str(info.value).replace("'bern-*'", "")
    assert rotation_targets(fleet, ["berlin-*", "berlin-1"], field) == ["000b82000001", "000b82000002"]
