# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shards (sipfleet_shard): the controller selects a host's devices and keys; the shards together are the fleet."""

from __future__ import annotations

import json
import os

import pytest

from ansible.errors import AnsibleActionFail, AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret

from ansible_collections.sipfleet.provisioning.plugins.action import phone_profiles as phone_profiles_action
from ansible_collections.sipfleet.provisioning.plugins.action.key_store import ActionModule as KeyStoreAction
from ansible_collections.sipfleet.provisioning.plugins.filter.shard_keys import FilterModule as ShardKeysFilters
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import OTHER_LINES
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import read_inventory_file
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import INVENTORY_FILE_OPTIONS, run
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils import _fleet_bundle
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.action.recording import recording, run_action

# key_store writes the fleet bundles into Ansible's local temporary directory: the test's own.
pytestmark = pytest.mark.usefixtures("local_tmp")

VAULT_SECRETS = [("default", VaultSecret(b"shard-test-password"))]
DEFAULTS = {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
            "provisioning_url": "http://prov.example.net", "timezone": "CET-1CEST,M3.5.0,M10.5.0/3"}
SITES = {"berlin": {}, "paris": {}}
DEVICES = [
    {"name": "gs-berlin", "mac": "00:0b:82:12:34:56", "model": "GXP2170", "site": "berlin",
     "settings": {"admin_password": "DeviceAdmin77"},
     "lines": [{"extension": "201", "password": "Secret-201", "display_name": "Reception Berlin"}]},
    {"name": "spa-paris", "mac": "88:01:2b:a0:12:34", "model": "SPA2102", "site": "paris",
     "lines": [{"extension": "202", "password": "Secret-202"}]},
    {"name": "pana-paris", "mac": "00:80:f0:c8:c3:81", "model": "KX-UTG300", "site": "paris",
     "lines": [{"extension": "204", "password": "Secret-204", "display_name": "Lobby Paris"}]},
    {"name": "gs-paris", "mac": "00:0b:82:12:34:57", "model": "GXP2170", "site": "paris",
     "lines": [{"extension": "205", "password": "Secret-205"}]},
]
#: Every password of the fleet: no error may quote one.
SECRETS = ("AdminSecret99", "DeviceAdmin77", "Secret-201", "Secret-202", "Secret-204", "Secret-205")
DIRECTORY = {"contacts": [{"name": "Front desk", "numbers": ["+49 30 1234"]}]}
FLEET_VARS = {"sipfleet_devices": DEVICES, "sipfleet_defaults": DEFAULTS, "sipfleet_sites": SITES,
              "sipfleet_directory": DIRECTORY}


def make_loader():
    loader = DataLoader()
    loader.set_vault_secrets(VAULT_SECRETS)
    return loader


def run_key_store(tmp_path, task_vars=None, **args):
    args = dict({"path": str(tmp_path / "keys.vault"), "create": True, "fleet_bundle": True}, **args)
    dummy, result = run_action(KeyStoreAction, args, dict(FLEET_VARS, **(task_vars or {})), loader=make_loader(),
                               action="sipfleet.provisioning.key_store")
    return result


def key_store(tmp_path):
    result = run_key_store(tmp_path)
    assert not result.get("failed"), result.get("msg")
    return result


def play(**shards):
    """The magic variables of a play over the hosts ``shards`` names, each with its sipfleet_shard (None: none)."""
    hostvars = dict((host, {} if shard is None else {"sipfleet_shard": shard}) for host, shard in shards.items())
    return {"ansible_play_hosts_all": sorted(shards), "hostvars": hostvars}


def sent_to(host, args, task_vars=None):
    """The inventory (devices, keys, ...) the host would read, and the bytes it would receive."""
    action, dummy = run_action(recording(phone_profiles_action.ActionModule), args,
                               dict(task_vars or {}, inventory_hostname=host), loader=make_loader())
    [(dummy, module_args)] = action.executed
    if action.files:
        [(local, dummy, data)] = action.files
        return read_inventory_file(local, INVENTORY_FILE_OPTIONS + (OTHER_LINES,),
                                   sha256=module_args["fleet_bundle"]["sha256"]), data
    [data] = action.transferred.values()
    data = data.encode() if isinstance(data, str) else data
    return json.loads(data), data


def render(tmp_path, name, inventory):
    root = tmp_path / name
    params = dict(inventory, roots=[str(root)], state_dir=str(tmp_path / (name + "-state")), bootstrap_serve="always")
    run(params, now=1_800_000_000)
    files = {}
    for directory, dummy, names in os.walk(str(root)):
        for file_name in names:
            path = os.path.join(directory, file_name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, str(root))] = handle.read()
    return files


@pytest.mark.parametrize("shards", [
    [{"sites": ["berlin"]}, {"sites": ["paris"]}],
    [{"query": "site == 'berlin' || name == 'spa-paris'"}, {"query": "site == 'paris' && name != 'spa-paris'"}],
])
def test_two_shards_cover_the_fleet_with_the_unsharded_files(tmp_path, shards):
    bundle = key_store(tmp_path)["fleet_bundle"]
    whole, dummy = sent_to("prov0", {"fleet_bundle": bundle, "roots": ["/srv"]})
    assert whole["devices"] == DEVICES
    unsharded = render(tmp_path, "all", whole)
    served = {}
    macs = []
    for index, shard in enumerate(shards):
        inventory, data = sent_to("prov%d" % (index + 1), {"fleet_bundle": bundle, "roots": ["/srv"], "shard": shard})
        files = render(tmp_path, "shard%d" % index, inventory)
        # Device files and phonebooks alike: byte for byte the unsharded run's.
        for path, content in files.items():
            assert unsharded.get(path) == content, path
        served.update(files)
        macs.append(set(inventory["keys"]))
    assert set(served) == set(unsharded)
    assert not macs[0] & macs[1] and len(macs[0] | macs[1]) == len(whole["keys"])


def test_a_shard_host_receives_only_its_devices_and_their_keys(tmp_path):
    result = key_store(tmp_path)
    inventory, data = sent_to("prov-berlin", {"fleet_bundle": result["fleet_bundle"], "roots": ["/srv"],
                                              "shard": {"sites": ["berlin"]}})
    assert [device["name"] for device in inventory["devices"]] == ["gs-berlin"]
    assert list(inventory["keys"]) == ["000b82123456"]
    for mac in ("8801 2ba01234", "0080f0c8c381", "000b82123457"):
        for value in result["device_keys"].get(mac.replace(" ", ""), {}).values():
            assert value.encode() not in data
    for secret in (b"Secret-202", b"Secret-204", b"Secret-205"):
        assert secret not in data
    # The fleet-wide phonebook still lists every phone: names and extensions only, each with its device and line,
    # beside the directory, not in it.
    assert inventory["other_lines"] == [
        ["spa-paris", 0, "202", "202", "paris"], ["pana-paris", 0, "Lobby Paris", "204", "paris"],
        ["gs-paris", 0, "205", "205", "paris"]]
    assert inventory["directory"] == DIRECTORY


def test_hosts_of_one_shard_share_one_file(tmp_path, local_tmp):
    bundle = key_store(tmp_path)["fleet_bundle"]
    one, first = sent_to("prov1", {"fleet_bundle": bundle, "roots": ["/srv"], "shard": {"sites": ["paris"]}})
    two, second = sent_to("prov2", {"fleet_bundle": bundle, "roots": ["/srv"], "shard": {"sites": ["paris"]}})
    assert first == second
    [directory] = os.listdir(str(local_tmp))
    assert len([name for name in os.listdir(str(local_tmp / directory)) if name.startswith("shard-")]) == 1


def test_a_shard_without_a_bundle_is_selected_from_the_inventory_the_same_way(tmp_path):
    result = key_store(tmp_path)
    from_bundle, dummy = sent_to("prov1", {"fleet_bundle": result["fleet_bundle"], "roots": ["/srv"],
                                           "shard": {"sites": ["paris"]}})
    from_inventory, dummy = sent_to("prov1", {"keys": result["device_keys"], "next_keys": {}, "roots": ["/srv"],
                                              "shard": {"sites": ["paris"]}}, task_vars=FLEET_VARS)
    assert from_bundle == from_inventory


@pytest.mark.parametrize("shard, expected", [
    ({"query": "site =="}, "sipfleet_shard of host prov7: cannot parse the JMESPath expression 'site =='"),
    ({"query": "starts_with(lines, 'x')"},
     "sipfleet_shard of host prov7: the JMESPath expression \"starts_with(lines, 'x')\" fails on device 'gs-berlin'"),
    ({"query": "abs(settings.admin_password)"},
     "sipfleet_shard of host prov7: the JMESPath expression 'abs(settings.admin_password)' fails on device 'gs-berlin'"),
    # Python's own TypeError, not only JMESPath's errors.
    ({"query": "name > `1`"}, "sipfleet_shard of host prov7: the JMESPath expression 'name > `1`' fails on device "
                              "'gs-berlin' (TypeError"),
    # The query sees no secret: a password is not there to compare or select by.
    ({"query": "settings.admin_password > `1`"},
     "sipfleet_shard of host prov7: the JMESPath expression 'settings.admin_password > `1`' gives null, not a boolean"),
    ({"query": "lines[0].password"},
     "sipfleet_shard of host prov7: the JMESPath expression 'lines[0].password' gives null, not a boolean, on "
     "device 'gs-berlin'"),
    ({"query": "lines"}, "sipfleet_shard of host prov7: the JMESPath expression 'lines' gives a list, not a boolean"),
    ({"query": "site"}, "sipfleet_shard of host prov7: the JMESPath expression 'site' gives a string, not a boolean"),
    ({"sites": "berlin"}, "sipfleet_shard of host prov7: sites must be a non-empty list"),
    ({"site": ["berlin"]}, "sipfleet_shard of host prov7 must be {sites: [site, ...]} or {query: <JMESPath"),
])
def test_a_bad_shard_names_the_host_and_the_expression(tmp_path, shard, expected):
    bundle = key_store(tmp_path)["fleet_bundle"]
    with pytest.raises(AnsibleActionFail) as info:
        sent_to("prov7", {"fleet_bundle": bundle, "roots": ["/srv"], "shard": shard})
    assert str(info.value).startswith(expected), str(info.value)
    # Never a password, a key or the exception's text (JMESPath's quotes the value it fails on).
    for secret in SECRETS:
        assert secret not in str(info.value)


def test_a_shard_of_an_inventory_file_is_refused():
    """The module reads an inventory_file of the task's own as it is: no shard can be selected from it."""
    with pytest.raises(AnsibleActionFail, match="not both"):
        sent_to("prov1", {"inventory_file": "/srv/inventory.json", "roots": ["/srv"], "shard": {"sites": ["paris"]}})


@pytest.mark.parametrize("shard, expected", [
    # A misspelt site selected nothing, and the host pruned every file it served.
    ({"sites": ["berlin", "pariss"]}, "sipfleet_shard of host prov7: unknown site 'pariss'; sipfleet_sites has berlin, paris"),
    ({"query": "site == 'lyon'"}, "sipfleet_shard of host prov7: the shard {query: \"site == 'lyon'\"} selects none of "
                                  "the fleet's 4 device(s)"),
    ({"query": "site == 'lyon'", "allow_empty": "yes"}, "sipfleet_shard of host prov7: allow_empty must be true or false"),
])
def test_a_shard_that_would_empty_its_hosts_is_an_error(tmp_path, shard, expected):
    bundle = key_store(tmp_path)["fleet_bundle"]
    for args, task_vars in (({"fleet_bundle": bundle}, None), ({"keys": {}}, FLEET_VARS)):
        with pytest.raises(AnsibleActionFail) as info:
            sent_to("prov7", dict(args, roots=["/srv"], shard=shard), task_vars=task_vars)
        assert str(info.value).startswith(expected), str(info.value)


def test_an_empty_shard_it_allows_gets_no_device(tmp_path):
    bundle = key_store(tmp_path)["fleet_bundle"]
    inventory, dummy = sent_to("prov7", {"fleet_bundle": bundle, "roots": ["/srv"],
                                         "shard": {"query": "site == 'lyon'", "allow_empty": True}})
    assert inventory["devices"] == [] and inventory["keys"] == {}


@pytest.mark.parametrize("site", [["berlin"], {"berlin": 1}])
def test_a_device_site_of_the_wrong_type_names_the_device_and_field(site):
    devices = [dict(DEVICES[1]), dict(DEVICES[0], site=site)]
    with pytest.raises(AnsibleActionFail) as info:
        sent_to("prov7", {"keys": {}, "roots": ["/srv"], "shard": {"sites": ["paris"]}},
                task_vars=dict(FLEET_VARS, sipfleet_devices=devices))
    assert str(info.value) == ("sipfleet_shard of host prov7: device 'gs-berlin', field site: must be a site name, got a %s"
                               % ("list" if isinstance(site, list) else "mapping"))


@pytest.mark.parametrize("shards", [
    # The shards together are the fleet, or some host serves all of it, or no host has a shard.
    {"prov1": {"sites": ["berlin"]}, "prov2": {"sites": ["paris"]}},
    {"prov1": {"sites": ["berlin"]}, "prov2": None},
    {"prov1": None},
    {"prov1": {"query": "site == 'berlin' || name == 'spa-paris'"}, "prov2": {"query": "site == 'paris'"}},
])
def test_shards_that_cover_the_fleet_pass_the_key_stores_check(tmp_path, shards):
    result = run_key_store(tmp_path, play(**shards))
    assert not result.get("failed"), result.get("msg")


def test_devices_no_shard_selects_fail_the_key_store_naming_them(tmp_path, local_tmp):
    shards = {"prov1": {"sites": ["berlin"]}, "prov2": {"query": "name == 'spa-paris'"}}
    result = run_key_store(tmp_path, play(**shards))
    assert result["failed"] and result["field"] == "sipfleet_shard"
    assert result["msg"].startswith("field sipfleet_shard: 2 device(s) are in no sipfleet_shard of the play's hosts (prov1, prov2), and no "
                                    "host serves the whole fleet: pana-paris, gs-paris."), result["msg"]
    # Before the store and the bundle are written.
    assert not (tmp_path / "keys.vault").exists() and os.listdir(str(local_tmp)) == []
    # A run limited to some shards opts out; the key store without a bundle does not check.
    for args in ({"shard_coverage": False}, {"fleet_bundle": False}):
        result = run_key_store(tmp_path, play(**shards), **args)
        assert not result.get("failed"), result.get("msg")


def test_a_bad_shard_of_any_host_fails_the_key_store_naming_the_host(tmp_path):
    with pytest.raises(AnsibleActionFail, match="^sipfleet_shard of host prov2: unknown site 'pariss'"):
        run_key_store(tmp_path, play(prov1={"sites": ["berlin"]}, prov2={"sites": ["pariss"]}))


def test_a_users_directory_cannot_carry_other_shards_lines(tmp_path):
    """The lines of other shards are the action's, beside the directory: sipfleet_directory refuses the old field."""
    injected = dict(DIRECTORY, _other_shards_lines=[["Boss", "999", None]])
    with pytest.raises(ProvisioningError) as info:
        render(tmp_path, "injected", {"devices": DEVICES[:1], "defaults": DEFAULTS, "sites": SITES, "keys": {},
                                      "directory": injected})
    assert "field sipfleet_directory._other_shards_lines: unknown field" in str(info.value)


def test_a_bad_line_of_another_shard_names_its_device_and_line(tmp_path):
    # The module's own check, whatever its file holds.
    others = [["gs-paris", 0, "Lobby ", "205", "paris"]]
    with pytest.raises(ProvisioningError) as info:
        render(tmp_path, "bad", {"devices": DEVICES[:1], "defaults": DEFAULTS, "sites": SITES, "keys": {},
                                 "directory": DIRECTORY, OTHER_LINES: others})
    assert str(info.value).startswith("device gs-paris, field lines[0].display_name: starts or ends with white space")


def test_key_store_checks_every_line_of_a_directory_once_before_any_shard(tmp_path):
    lines = [{"extension": "205", "password": "Secret-205"},
             {"extension": "206", "password": "Secret-206", "display_name": "Lobby\u2028Paris"}]
    devices = [DEVICES[0], dict(DEVICES[3], lines=lines)]
    result = run_key_store(tmp_path, {"sipfleet_devices": devices})
    assert result["failed"] and result["device"] == "gs-paris" and result["field"] == "lines[1].display_name"
    assert "U+2028" in result["msg"] and "Secret" not in result["msg"]
    assert not (tmp_path / "keys.vault").exists()


def test_a_shard_hosts_nginx_gets_the_http_passwords_of_its_devices_only(tmp_path, local_tmp):
    """profiles.yml's http_server_device_keys: the shard's keys, selected as phone_profiles selects the shard."""
    shard_keys = ShardKeysFilters().filters()["shard_keys"]
    result = key_store(tmp_path)
    keys = result["device_keys"]
    paris = shard_keys(keys, result["fleet_bundle"], {"sites": ["paris"]}, "prov-paris")
    inventory, dummy = sent_to("prov-paris", {"fleet_bundle": result["fleet_bundle"], "roots": ["/srv"],
                                              "shard": {"sites": ["paris"]}})
    assert paris == inventory["keys"] and "000b82123456" not in paris and "000b82123457" in paris
    # One shard file, shared with phone_profiles.
    [directory] = os.listdir(str(local_tmp))
    assert len([name for name in os.listdir(str(local_tmp / directory)) if name.startswith("shard-")]) == 1
    assert shard_keys(keys, result["fleet_bundle"], None, "prov0") == keys
    with pytest.raises(AnsibleFilterError, match="^shard_keys: sipfleet_shard of host prov9: unknown site 'pariss'"):
        shard_keys(keys, result["fleet_bundle"], {"sites": ["pariss"]}, "prov9")


def test_a_query_sees_the_device_without_its_secrets():
    device = {"name": "lab-1", "site": "lab", "keys": {"p1359": "00" * 32},
              "settings": {"admin_password": "AdminPass1", "provisioning_url": "https://prov:UrlPass1@prov.example.net/"},
              "lines": [{"extension": "201", "password": "LinePass1",
                         "sip_server": "sips:201:ServerPass1@pbx.example.net"}]}
    seen = _fleet_bundle._without_secrets(device)
    text = json.dumps(seen)
    for secret in ("AdminPass1", "UrlPass1", "LinePass1", "ServerPass1", "00" * 32):
        assert secret not in text
    # What is not secret stays as it is, for the query to select by.
    assert seen["name"] == "lab-1" and seen["site"] == "lab" and seen["lines"][0]["extension"] == "201"
    assert seen["settings"]["provisioning_url"].endswith("@prov.example.net/")
    assert "keys" not in seen and "password" not in seen["lines"][0] and "admin_password" not in seen["settings"]
    assert device["lines"][0]["password"] == "LinePass1"  # the device itself is untouched
