# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The key_store action as a task runs it: options wired to the store, the vault file on disk."""

from __future__ import annotations

import os
import stat
from types import SimpleNamespace

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.template import Templar

from ansible_collections.sipfleet.provisioning.plugins.action.key_store import ActionModule
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import key_id, parse_store

VAULT_SECRETS = [("default", VaultSecret(b"key-store-action-test-password"))]
MAC = "000b82123456"
DEFAULTS = {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
            "provisioning_url": "http://prov.example.net"}
DEVICES = [{"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170", "lines": [{"extension": "201", "password": "Secret-201"}]}]


@pytest.fixture(name="run_task")
def run_task_fixture():
    loader = DataLoader()
    loader.set_vault_secrets(VAULT_SECRETS)

    def run_task(check_mode=False, **args):
        args.setdefault("devices", DEVICES)
        args.setdefault("defaults", DEFAULTS)
        task = SimpleNamespace(args=args, check_mode=check_mode, async_val=0, action="sipfleet.provisioning.key_store")
        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=""))
        action = ActionModule(task, connection, None, loader, Templar(loader=loader), None)
        return action.run(task_vars={})
    return run_task


def stored(path):
    return parse_store(VaultLib(VAULT_SECRETS).decrypt(open(path, "rb").read()).decode(), path)["devices"]


def test_the_store_is_created_vault_encrypted_and_0600(tmp_path, run_task):
    path = str(tmp_path / "keys.vault")
    result = run_task(path=path, create=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["created"] and result["generated"] == [MAC]
    assert open(path, "rb").read().startswith(b"$ANSIBLE_VAULT")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stored(path)[MAC]["p1359"] == result["device_keys"][MAC]["p1359"]
    again = run_task(path=path)
    assert not again["changed"] and again["device_keys"] == result["device_keys"]


def test_only_proof_finishes_a_rotation_and_fetches_are_recorded_as_delivered(tmp_path, run_task):
    path = str(tmp_path / "keys.vault")
    old = run_task(path=path, create=True)["device_keys"][MAC]
    new = run_task(path=path, rotate=["reception"], fetched={MAC: [key_id(old)]})["device_next_keys"][MAC]
    anonymous = run_task(path=path, fetched={"00:0B:82:12:34:56": [key_id(new)]})
    assert not anonymous.get("failed"), anonymous.get("msg")
    assert anonymous["promoted"] == [] and anonymous["device_keys"][MAC] == old
    assert anonymous["rotation"] == {"pending": [MAC], "finished": [], "stalled": []}
    both = sorted([key_id(old), key_id(new)])
    assert anonymous["changed"] and anonymous["device_delivered"] == {MAC: both}
    assert sorted(stored(path)[MAC]["delivered"]) == both
    proven = run_task(path=path, proven={MAC: [key_id(new)]})
    assert proven["promoted"] == [MAC] and proven["device_keys"][MAC] == new
    assert proven["rotation"] == {"pending": [], "finished": [MAC], "stalled": []}
    assert stored(path)[MAC]["p1359"] == new["p1359"] and "next" not in stored(path)[MAC]


def test_rebootstrap_drops_the_delivery_record_and_names_the_device(tmp_path, run_task):
    path = str(tmp_path / "keys.vault")
    keys = run_task(path=path, create=True)["device_keys"][MAC]
    fetched = {MAC: [key_id(keys)]}
    assert run_task(path=path, fetched=fetched)["device_delivered"] == {MAC: [key_id(keys)]}
    result = run_task(path=path, fetched=fetched, rebootstrap=["recep*"])
    assert result["rebootstrap"] == [MAC] and result["device_delivered"] == {} and result["changed"]
    assert "delivered" not in stored(path)[MAC] and result["device_keys"][MAC] == keys


def test_check_mode_writes_nothing(tmp_path, run_task):
    path = str(tmp_path / "keys.vault")
    result = run_task(check_mode=True, path=path, create=True)
    assert result["changed"] and result["generated"] == [MAC] and os.listdir(str(tmp_path)) == []


def test_errors_name_the_field(tmp_path, run_task):
    result = run_task(path=str(tmp_path / "keys.vault"), create=True, lock_timeout=-1)
    assert result["failed"] and result["field"] == "lock_timeout"
    result = run_task(path=str(tmp_path / "keys.vault"), create=True, proven={"nonsense": ["0123456789abcdef"]})
    assert result["failed"] and result["field"] == "proven" and result["device"] == "nonsense"


def test_a_device_not_yet_bootstrapped_is_not_rotated_and_is_reported(tmp_path, run_task):
    path = str(tmp_path / "keys.vault")
    keys = run_task(path=path, create=True)["device_keys"][MAC]
    held = run_task(path=path, rotate=["*"])
    assert not held.get("failed"), held.get("msg")
    assert held["rotation_held"] == [MAC] and held["rotated"] == [] and held["device_next_keys"] == {}
    assert "next" not in stored(path)[MAC]
    started = run_task(path=path, rotate=["*"], fetched={MAC: [key_id(keys)]})
    assert started["rotation_held"] == [] and started["rotated"] == [MAC]


@pytest.mark.parametrize("field", ["rotate", "rebootstrap"])
def test_a_pattern_matching_no_device_fails_naming_it(tmp_path, run_task, field):
    path = str(tmp_path / "keys.vault")
    result = run_task(path=path, create=True, **{field: ["recption"]})
    assert result["failed"] and result["field"] == field and "'recption'" in result["msg"]
    assert os.listdir(str(tmp_path)) == []


def test_closed_windows_are_recorded_and_rebootstrap_drops_them_though_still_reported(tmp_path, run_task):
    path = str(tmp_path / "keys.vault")
    keys = run_task(path=path, create=True)["device_keys"][MAC]
    closed = {"00:0b:82:12:34:56": [key_id(keys)]}
    result = run_task(path=path, closed=closed)
    assert result["changed"] and result["device_delivered"] == {MAC: [key_id(keys)]}
    assert list(stored(path)[MAC]["closed"]) == [key_id(keys)]
    reopened = run_task(path=path, closed=closed, rebootstrap=["reception"])
    assert reopened["device_delivered"] == {} and "closed" not in stored(path)[MAC]
    bad = run_task(path=path, closed={"nonsense": []})
    assert bad["failed"] and bad["field"] == "closed"
