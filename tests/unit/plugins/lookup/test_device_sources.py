# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sipfleet_device_sources: the actions read the devices lookup's files themselves, on the controller."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.plugins.loader import lookup_loader

from ansible_collections.sipfleet.provisioning.plugins.action.fleet_status import ActionModule as FleetStatusAction
from ansible_collections.sipfleet.provisioning.plugins.action.key_store import ActionModule as KeyStoreAction
from ansible_collections.sipfleet.provisioning.plugins.action.phone_profiles import ActionModule as ProfilesAction
from ansible_collections.sipfleet.provisioning.plugins.action.resync import ActionModule as ResyncAction
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils import _fleet_bundle
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.action.recording import (
    recording,
    run_action as run_recorded,
)

VAULT_SECRETS = [("default", VaultSecret(b"device-sources-test-password"))]
DEFAULTS = {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
            "provisioning_url": "http://prov.example.net"}
RECEPTION = "{name: reception, mac: '00:0B:82:00:00:01', model: GXP2170, lines: [{extension: '201'}]}\n"
# A value with template syntax: data from files is never templated.
VAULTED = ("{name: lobby, mac: '00:0B:82:00:00:02', model: GXP2170, "
           "lines: [{extension: '202', display_name: 'Lobby {#2}'}]}\n")
SCANS = "mac;model;name;extension\n000b82000003;GXP2160;office;203\n"
TERMS = ["devices/", "scans/*.csv"]
PASSWORDS = {"201": "Secret-201", "202": "Secret-202", "203": "Secret-203"}


@pytest.fixture(name="inventory")
def inventory_fixture(tmp_path, monkeypatch):
    local = tmp_path / "local"
    local.mkdir(mode=0o700)
    monkeypatch.setattr(_fleet_bundle.C, "DEFAULT_LOCAL_TMP", str(local))
    inventory = tmp_path / "inventory"
    (inventory / "devices").mkdir(parents=True)
    (inventory / "scans").mkdir()
    (inventory / "devices" / "reception.yml").write_text(RECEPTION)
    vault = VaultLib(VAULT_SECRETS)
    (inventory / "devices" / "lobby.yml").write_bytes(vault.encrypt(VAULTED, VAULT_SECRETS[0][1]))
    (inventory / "scans" / "desk.csv").write_text(SCANS)
    return inventory


def make_loader(secrets=True):
    loader = DataLoader()
    if secrets:
        loader.set_vault_secrets(VAULT_SECRETS)
    return loader


def run_action(cls, args, task_vars, secrets=True):
    return run_recorded(cls, args, task_vars, loader=make_loader(secrets))


def sent_inventory(action):
    """The inventory the action would transfer to the host, read back."""
    [data] = action.transferred.values()
    return json.loads(data)


def via_lookup(inventory):
    lookup = lookup_loader.get("sipfleet.provisioning.devices", loader=make_loader(), templar=None)
    return lookup.run(TERMS, variables={"inventory_dir": str(inventory)}, passwords=PASSWORDS)


def test_the_sources_give_the_bundle_the_lookup_gives(inventory, tmp_path):
    store = str(tmp_path / "keys.vault")
    common = {"sipfleet_defaults": DEFAULTS, "inventory_dir": str(inventory)}
    dummy, first = run_action(KeyStoreAction, {"path": store, "create": True, "fleet_bundle": True},
                              dict(common, sipfleet_devices=via_lookup(inventory)))
    assert not first.get("failed"), first.get("msg")
    dummy, second = run_action(KeyStoreAction, {"path": store, "fleet_bundle": True},
                               dict(common, sipfleet_device_sources=TERMS, sipfleet_device_passwords=PASSWORDS))
    assert not second.get("failed"), second.get("msg")
    one = open(first["fleet_bundle"]["path"], "rb").read()
    other = open(second["fleet_bundle"]["path"], "rb").read()
    # The same bytes: the same devices (the vaulted one decrypted, "{#2}" as written, passwords filled), same keys.
    assert one == other and second["fleet_bundle"]["devices"] == 3
    devices = json.loads(other)["devices"]
    assert [device["name"] for device in devices] == ["lobby", "reception", "office"]
    assert devices[0]["lines"][0]["display_name"] == "Lobby {#2}"
    assert [device["lines"][0]["password"] for device in devices] == ["Secret-202", "Secret-201", "Secret-203"]


def test_the_option_reads_the_sources_too_and_the_inventory_file_is_the_lookups(inventory):
    task_vars = {"sipfleet_defaults": DEFAULTS, "inventory_dir": str(inventory),
                 "sipfleet_device_passwords": PASSWORDS}
    action, dummy = run_action(recording(ProfilesAction), {"device_sources": TERMS, "roots": ["/srv"], "keys": {}},
                               task_vars)
    from_sources = sent_inventory(action)
    assert "device_sources" not in action.executed[0][1]
    action, dummy = run_action(recording(ProfilesAction), {"roots": ["/srv"], "keys": {}},
                               dict(task_vars, sipfleet_devices=via_lookup(inventory)))
    assert from_sources == sent_inventory(action)
    assert len(from_sources["devices"]) == 3


@pytest.mark.parametrize("cls, args", [
    (FleetStatusAction, {"roots": ["/srv/tftp"]}),
    (ResyncAction, {"devices": ["reception"]}),
])
def test_fleet_status_and_resync_read_the_variable(inventory, cls, args):
    action, dummy = run_action(recording(cls), args, {"sipfleet_device_sources": TERMS,
                                                      "inventory_dir": str(inventory)})
    sent = sent_inventory(action)
    assert sorted(device["name"] for device in sent["devices"]) == ["lobby", "office", "reception"]


@pytest.mark.parametrize("cls, args, task_vars, named", [
    (KeyStoreAction, {"path": "/nowhere/keys.vault"}, {"sipfleet_devices": [], "sipfleet_device_sources": TERMS},
     ("sipfleet_device_sources", "sipfleet_devices")),
    (KeyStoreAction, {"path": "/nowhere/keys.vault", "device_sources": TERMS}, {"sipfleet_devices": []},
     ("device_sources", "sipfleet_devices")),
    (ProfilesAction, {"roots": ["/srv"], "devices": [], "device_sources": TERMS}, {},
     ("device_sources", "devices")),
    (FleetStatusAction, {"roots": ["/srv"]}, {"sipfleet_devices": [], "sipfleet_device_sources": TERMS},
     ("sipfleet_device_sources", "sipfleet_devices")),
])
def test_sources_and_devices_together_are_an_error_naming_both(inventory, cls, args, task_vars, named):
    with pytest.raises(AnsibleActionFail) as info:
        run_action(recording(cls), args, dict(task_vars, inventory_dir=str(inventory)))
    assert "either as %s or as %s, not both" % named in str(info.value)


def test_a_vaulted_device_file_needs_the_vault_secret_and_the_error_names_it(inventory):
    with pytest.raises(AnsibleActionFail) as info:
        run_action(recording(ProfilesAction), {"roots": ["/srv"], "keys": {}},
                   {"sipfleet_device_sources": TERMS, "inventory_dir": str(inventory)}, secrets=False)
    assert "sipfleet_device_sources" in str(info.value) and "lobby.yml" in str(info.value)


def test_a_term_that_finds_nothing_is_an_error(inventory):
    with pytest.raises(AnsibleActionFail, match="sipfleet_device_sources: .*devcies"):
        run_action(recording(ProfilesAction), {"roots": ["/srv"], "keys": {}},
                   {"sipfleet_device_sources": ["devcies/"], "inventory_dir": str(inventory)})


def test_the_actions_resolve_the_sources_against_the_project_directory(inventory, tmp_path):
    # The fleet is in the project (here the fixture's directory); the
    # inventory AWX generated for the job is elsewhere and holds no fleet.
    job_inventory = tmp_path / "job-inventory"
    job_inventory.mkdir()
    task_vars = {"sipfleet_device_sources": TERMS, "sipfleet_device_passwords": PASSWORDS,
                 "inventory_dir": str(job_inventory), "sipfleet_project_dir": str(inventory)}
    action, dummy = run_action(recording(ProfilesAction), {"roots": ["/srv"], "keys": {}}, task_vars)
    assert len(sent_inventory(action)["devices"]) == 3
    # Without it, the same terms are the inventory's, as before: none there.
    del task_vars["sipfleet_project_dir"]
    with pytest.raises(AnsibleActionFail, match="sipfleet_device_sources: devices does not exist"):
        run_action(recording(ProfilesAction), {"roots": ["/srv"], "keys": {}}, task_vars)
