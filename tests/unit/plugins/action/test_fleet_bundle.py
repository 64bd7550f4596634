# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet bundle: key_store writes the fleet and its keys once, phone_profiles sends that file to every host."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
from ansible.template import Templar

from ansible_collections.sipfleet.provisioning.plugins.action import phone_profiles as phone_profiles_action
from ansible_collections.sipfleet.provisioning.plugins.action.key_store import ActionModule as KeyStoreAction
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import read_inventory_file
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import INVENTORY_FILE_OPTIONS
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils import _fleet_bundle
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import (
    device_sources,
    read_device_sources,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.action.recording import recording, run_action

VAULT_SECRETS = [("default", VaultSecret(b"fleet-bundle-test-password"))]
DEFAULTS = {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
            "provisioning_url": "http://prov.example.net"}
DEVICES = [
    {"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170", "site": "berlin",
     "lines": [{"extension": "201", "password": "Secret-201"}]},
    {"name": "office", "mac": "00:0b:82:12:34:57", "model": "GXP2170", "site": "paris",
     "lines": [{"extension": "202", "password": "Secret-202"}]},
]
SITES = {"berlin": {}, "paris": {}}
SECRETS = ("AdminSecret99", "Secret-201", "Secret-202")
FLEET_VARS = {"sipfleet_devices": DEVICES, "sipfleet_defaults": DEFAULTS, "sipfleet_sites": SITES}

# key_store writes the fleet bundles into Ansible's local temporary directory: the test's own.
pytestmark = pytest.mark.usefixtures("local_tmp")


def loader_with_vault():
    loader = DataLoader()
    loader.set_vault_secrets(VAULT_SECRETS)
    return loader


def key_store(tmp_path, task_vars=None, **args):
    """Run the key_store action with a new store in ``tmp_path``; the bundle goes into ``tmp_path/local``."""
    args.setdefault("path", str(tmp_path / "keys.vault"))
    args.setdefault("create", True)
    args.setdefault("fleet_bundle", True)
    if args["fleet_bundle"] is None:
        del args["fleet_bundle"]  # left out
    dummy, result = run_action(KeyStoreAction, args, task_vars if task_vars is not None else FLEET_VARS,
                               loader=loader_with_vault(), action="sipfleet.provisioning.key_store")
    return result


def phone_profiles(args, task_vars=None, host="prov1"):
    action, dummy = run_action(recording(phone_profiles_action.ActionModule), args,
                               dict(task_vars or {}, inventory_hostname=host), loader=loader_with_vault())
    return action


def test_key_store_writes_the_bundle_private_and_returns_only_its_name(tmp_path, local_tmp):
    result = key_store(tmp_path)
    assert not result.get("failed"), result.get("msg")
    bundle = result["fleet_bundle"]
    assert sorted(bundle) == ["devices", "path", "sha256"] and bundle["devices"] == 2
    # The value names the file; no password or key is in it, and the result is never displayed.
    shown = json.dumps(bundle)
    assert not any(secret in shown for secret in SECRETS)
    assert not any(key in shown for keys in result["device_keys"].values() for key in keys.values())
    assert result["_ansible_no_log"] is True
    assert os.path.dirname(os.path.dirname(bundle["path"])) == str(local_tmp)
    assert stat.S_IMODE(os.stat(bundle["path"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(bundle["path"])).st_mode) == 0o700
    data = open(bundle["path"], "rb").read()
    assert hashlib.sha256(data).hexdigest() == bundle["sha256"]
    assert b", " not in data and b": " not in data  # compact
    content = json.loads(data)
    assert content["format"] == "sipfleet-fleet-bundle" and content["version"] == 1
    assert content["devices"] == DEVICES and content["defaults"] == DEFAULTS and content["sites"] == SITES
    assert content["directory"] is None
    assert content["keys"] == result["device_keys"] and content["next_keys"] == result["device_next_keys"]


def test_key_store_writes_no_bundle_unless_asked(tmp_path, local_tmp, monkeypatch):
    """A play that only reads or rotates keys leaves no copy of every secret behind, and cannot fail writing one."""
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_fleet_bundle, "_write_new", refuse)
    for args in ({"fleet_bundle": None}, {"fleet_bundle": False}):
        result = key_store(tmp_path, **args)
        assert not result.get("failed"), result.get("msg")
        assert "fleet_bundle" not in result and result["device_keys"]
        assert os.listdir(str(local_tmp)) == []
    # Asked for, a bundle that cannot be written fails the task, saying the store was written.
    result = key_store(tmp_path, fleet_bundle=True)
    assert result["failed"] and result["field"] == "fleet_bundle"
    assert "No space left on device" in result["msg"] and "the key store itself was updated" in result["msg"]


def test_the_bundle_is_sent_as_it_is_once_per_host_and_the_inventory_is_not_resolved(tmp_path, monkeypatch):
    bundle = key_store(tmp_path)["fleet_bundle"]
    sent = open(bundle["path"], "rb").read()

    def no_resolve(*args, **kwargs):
        raise AssertionError("inventory_options called with a fleet bundle")
    monkeypatch.setattr(phone_profiles_action, "inventory_options", no_resolve)
    for host in ("prov1", "prov2"):
        action = phone_profiles({"fleet_bundle": bundle, "roots": ["/srv/tftp"]},
                                task_vars={"sipfleet_devices": DEVICES}, host=host)
        # One transfer, the key store's bytes; nothing encoded again.
        assert action.files == [(bundle["path"], "/remote/tmp/sipfleet-fleet-bundle.json", sent)]
        assert action.transferred == {}
        [(dummy, args)] = action.executed
        assert args == {"roots": ["/srv/tftp"], "fleet_bundle": dict(bundle, path="/remote/tmp/sipfleet-fleet-bundle.json")}
        assert not any(secret in json.dumps(args) for secret in SECRETS)


def test_the_bundle_holds_what_the_inventory_file_would_hold(tmp_path):
    result = key_store(tmp_path)
    action = phone_profiles({"fleet_bundle": result["fleet_bundle"], "roots": ["/srv/tftp"]})
    [(local, dummy, data)] = action.files
    via_bundle = read_inventory_file(local, INVENTORY_FILE_OPTIONS, sha256=result["fleet_bundle"]["sha256"])
    action = phone_profiles({"keys": result["device_keys"], "next_keys": result["device_next_keys"],
                             "roots": ["/srv/tftp"]},
                            task_vars=FLEET_VARS)
    via_file = json.loads(action.transferred["/remote/tmp/sipfleet-inventory.json"])
    assert via_bundle == via_file


def test_a_bundle_whose_bytes_changed_is_refused_naming_the_file(tmp_path):
    bundle = key_store(tmp_path)["fleet_bundle"]
    with open(bundle["path"], "ab") as handle:
        handle.write(b" ")
    with pytest.raises(ProvisioningError) as info:
        read_inventory_file(bundle["path"], INVENTORY_FILE_OPTIONS, sha256=bundle["sha256"])
    assert bundle["path"] in str(info.value) and "sha256" in str(info.value) and info.value.field == "fleet_bundle"
    # The controller checks it too before it selects a shard from it.
    with pytest.raises(AnsibleActionFail, match="does not match its sha256"):
        phone_profiles({"fleet_bundle": bundle, "roots": ["/srv/tftp"], "shard": {"sites": ["berlin"]}})


def test_a_plain_inventory_file_is_no_bundle(tmp_path):
    path = tmp_path / "inventory.json"
    data = json.dumps({"devices": DEVICES}).encode()
    path.write_bytes(data)
    with pytest.raises(ProvisioningError, match="not a fleet bundle"):
        read_inventory_file(str(path), INVENTORY_FILE_OPTIONS, sha256=hashlib.sha256(data).hexdigest())
    assert read_inventory_file(str(path), INVENTORY_FILE_OPTIONS) == {"devices": DEVICES}


@pytest.mark.parametrize("args, named", [
    ({"devices": DEVICES}, "devices"),
    ({"keys": {}}, "keys"),
    ({"device_sources": ["devices/"]}, "device_sources"),
])
def test_a_bundle_and_the_inventory_together_are_refused(tmp_path, args, named):
    bundle = key_store(tmp_path)["fleet_bundle"]
    with pytest.raises(AnsibleActionFail, match="fleet_bundle or %s, not both" % named):
        phone_profiles(dict(args, fleet_bundle=bundle, roots=["/srv/tftp"]))


def test_the_bundle_directory_goes_with_ansibles_local_tmp(tmp_path):
    """Written from a process whose Ansible made its local tmp: nothing is left once that process exits."""
    base = tmp_path / "ansible-local"
    script = ("from ansible import constants as C\n"
              "from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._fleet_bundle import write_bundle\n"
              "content = dict(devices=[{'name': 'a'}], defaults={}, sites={}, models={}, directory=None,\n"
              "               keys={'000b82123456': {'p1359': 'ab'}}, next_keys={})\n"
              "bundle = write_bundle(content)\n"
              "import os; assert os.path.exists(bundle['path'])\n"
              "print(bundle['path'])\n")
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(base), PYTHONPATH=os.pathsep.join(sys.path))
    output = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    path = output.stdout.strip().splitlines()[-1]
    assert path.startswith(str(base) + os.sep)
    assert not os.path.exists(path) and os.listdir(str(base)) == []


def test_a_bundle_that_no_longer_exists_says_how_long_it_lives(tmp_path):
    bundle = key_store(tmp_path)["fleet_bundle"]
    os.unlink(bundle["path"])
    # The bundle's own message, not the connection's about a file to put.
    with pytest.raises(AnsibleActionFail, match="^cannot read the fleet bundle %s: No such file or directory \\(it "
                                                "lives as long as the ansible-playbook run that made it\\)$"
                       % re.escape(bundle["path"])):
        phone_profiles({"fleet_bundle": bundle, "roots": ["/srv/tftp"]})


@pytest.mark.parametrize("args, named", [
    ({"shard": {"sites": ["berlin"]}}, "shard"),
    ({"fleet_bundle": {"path": "/b.json", "sha256": "0" * 64}}, "fleet_bundle"),
    ({"device_sources": ["devices/"]}, "device_sources"),
    ({"devices": DEVICES, "keys": {}}, "devices, keys"),
])
def test_an_inventory_file_and_other_inventory_options_name_the_options_given(args, named):
    with pytest.raises(AnsibleActionFail) as info:
        phone_profiles(dict(args, inventory_file="/srv/inventory.json", roots=["/srv/tftp"]))
    assert str(info.value) == "give either inventory_file or %s, not both" % named


@pytest.mark.parametrize("value", ["devices/", {"path": "devices/"}, [], ["devices/", 3]])
def test_device_sources_of_the_wrong_type_are_an_error(value):
    templar = Templar(loader=loader_with_vault())
    with pytest.raises(AnsibleActionFail) as info:
        device_sources({}, {"sipfleet_device_sources": value}, templar)
    assert str(info.value).startswith("sipfleet_device_sources must be a non-empty list of device files, directories "
                                      "or glob patterns, got ")


def test_an_error_in_the_device_passwords_names_that_variable(tmp_path):
    loader = loader_with_vault()
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / "a.yml").write_text("{name: a, mac: '00:0B:82:00:00:01', model: GXP2170, "
                                                "lines: [{extension: '201'}]}\n")
    task_vars = {"inventory_dir": str(tmp_path), "sipfleet_device_passwords": {"201": 511}}
    with pytest.raises(AnsibleActionFail) as info:
        read_device_sources(["devices/"], "sipfleet_device_sources", task_vars, Templar(loader=loader), loader)
    assert str(info.value).startswith("sipfleet_device_passwords: the password of extension 201 must be a string, "
                                      "got int"), str(info.value)
