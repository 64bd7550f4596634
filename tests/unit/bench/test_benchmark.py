# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's fleet (bench/fleet.py) and a smoke run of bench/run_benchmark.py."""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    load_fleet,
    render_fleet,
    renderer_for,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import is_key_carrier
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS, vendor_for_model
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._device_import import import_devices

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench")


def bench_module(name):
    """``bench/<name>.py``, imported by path (bench/ is no package)."""
    key = "sipfleet_bench_" + name
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, os.path.join(BENCH, name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def rendered(variables):
    """``(fleet, files, warnings)`` of the bench inventory, keys generated as the key store would."""
    inventory, fleet = load_fleet(variables["sipfleet_devices"], variables["sipfleet_defaults"],
                                  variables["sipfleet_sites"], variables["sipfleet_models"])
    keys = reconcile(empty_store(), dict((d.mac, renderer_for(d).key_specs(d)) for d in fleet)).keys
    for device in fleet:
        device.keys = keys[device.mac]
    warnings = []
    # The bench playbook runs phone_profiles with http_credentials_enforced: true.
    files = render_fleet(inventory, fleet, warnings=warnings, http_credentials_enforced=True)
    return fleet, files, warnings


def test_the_bench_fleet_covers_every_registered_family():
    fleet = bench_module("fleet")
    assert set(vendor_for_model(model) for model, dummy in fleet.MODELS) == set(VENDORS)
    # Two models a family, so each family is an eighth of the fleet.
    counts = collections.Counter(vendor_for_model(model) for model, dummy in fleet.MODELS)
    assert set(counts.values()) == {2}
    assert set(fleet.MODEL_SETTINGS) <= set(model for model, dummy in fleet.MODELS)


def test_a_few_hundred_bench_devices_load_and_render_each_as_protected_as_its_family_allows():
    fleet_module = bench_module("fleet")
    count = 400
    variables = fleet_module.inventory(count, site_count=4)
    fleet, files, warnings = rendered(variables)
    assert len(fleet) == count
    assert collections.Counter(device.vendor for device in fleet) == dict((name, count // 8) for name in VENDORS)
    assert sum(1 for device in fleet if len(device.lines) == 2) >= count // 3
    own = collections.defaultdict(list)
    for item in files:
        if item.device is not None:
            own[item.device].append(item)
    assert set(own) == set(device.label for device in fleet)
    for device in fleet:
        renderer = renderer_for(device)
        if renderer.can_encrypt(device):
            # Encrypting: the device's files that are not key carriers are not readable.
            assert device.settings["encrypt_profiles"] is True, device.label
            assert all(not item.secret for item in own[device.label] if not is_key_carrier(item)), device.label
        else:
            # No usable encryption: its own HTTP credentials guard its files.
            assert device.settings["encrypt_profiles"] is False, device.label
            assert renderer.has_http_credentials(device), device.label
    assert not [text for text in warnings if "plain" in text], warnings


def test_the_classic_fleet_keeps_the_four_families_the_boot_storm_checks(tmp_path):
    # bench/boot_storm.py and bench/fleet_status.py parse the files of these
    # families only, and the boot storm's fleet-wide change edits the defaults.
    out = tmp_path / "fleet"
    subprocess.run([sys.executable, os.path.join(BENCH, "fleet.py"), "40", str(out), "--classic"], check=True)
    with open(out / "group_vars" / "all" / "fleet.json") as handle:
        variables = json.load(handle)
    assert variables["sipfleet_sites"] == {} and variables["sipfleet_models"] == {}
    devices = variables["sipfleet_devices"]
    assert set(vendor_for_model(device["model"]) for device in devices) == {
        "grandstream", "cisco_spa", "cisco_mpp", "panasonic"}
    assert all(len(device["lines"]) == 1 and "site" not in device for device in devices)
    assert variables["sipfleet_defaults"]["provisioning_url"] == "http://prov.example.net"
    assert variables["sipfleet_defaults"]["ntp_server"] == "ntp.example.net"


def test_the_devices_spread_over_sites_in_blocks_and_the_shard_plan_matches():
    fleet_module = bench_module("fleet")
    benchmark = bench_module("run_benchmark")
    count, site_size, shard_size = 1000, 100, 250
    sites, shard_sites, shard_devices = benchmark.shard_plan(count, site_size, shard_size)
    assert (sites, shard_sites) == (10, ["site-000", "site-001", "site-002"])
    variables = fleet_module.inventory(count, site_count=sites)
    per_site = collections.Counter(device["site"] for device in variables["sipfleet_devices"])
    assert set(per_site) == set(variables["sipfleet_sites"]) and set(per_site.values()) == {site_size}
    assert shard_devices == sum(per_site[name] for name in shard_sites) == 300
    # Contiguous blocks: a site's devices follow each other.
    order = [device["site"] for device in variables["sipfleet_devices"]]
    assert order == sorted(order)
    # A fleet smaller than a shard is one shard.
    assert benchmark.shard_plan(50, 1000, 10000) == (1, ["site-000"], 50)


def test_the_sources_hold_the_same_devices_as_the_inventory(tmp_path):
    fleet_module = bench_module("fleet")
    out = tmp_path / "fleet"
    subprocess.run([sys.executable, os.path.join(BENCH, "fleet.py"), "60", str(out), "--sites", "3",
                    "--change", "7", "--sources", str(tmp_path / "sources")], check=True)
    with open(out / "group_vars" / "all" / "fleet.json") as handle:
        variables = json.load(handle)
    devices = variables["sipfleet_devices"]
    assert devices == fleet_module.devices(60, changed=7, site_count=3)
    assert devices[7]["lines"][0]["display_name"] == "Desk 7 (moved)"
    for kind, term in (("files", tmp_path / "sources" / "devices"), ("csv", tmp_path / "sources" / "fleet.csv")):
        assert [dict(device) for device in import_devices([str(term)], str(tmp_path))] == devices, kind
        with open(tmp_path / "sources" / ("inventory-" + kind) / "group_vars" / "all" / "fleet.json") as handle:
            source_variables = json.load(handle)
        assert "sipfleet_devices" not in source_variables
        assert source_variables["sipfleet_device_sources"] == [str(term)]
        assert dict(source_variables, sipfleet_devices=devices) == dict(variables, sipfleet_device_sources=[str(term)])


def test_the_benchmark_detects_the_fleet_scale_options_from_the_modules_documentation():
    benchmark = bench_module("run_benchmark")
    profiles = benchmark.module_options("phone_profiles")
    assert {"roots", "keys", "state_dir", "http_credentials_enforced"} <= profiles
    found = benchmark.features()
    assert (found["sources"] is None) == ("device_sources" in profiles
                                          and "device_sources" in benchmark.module_options("key_store"))
    assert (found["shard"] is None) == (found["sources"] is None and "shard" in profiles)


FIGURE = r"\d+\.\d\d"
RATIO = r"\d+\.\d\d×"


def run_benchmark(tmp_path, *arguments):
    result = subprocess.run([sys.executable, os.path.join(BENCH, "run_benchmark.py"), "--workdir", str(tmp_path)]
                            + list(arguments), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
                            check=False)
    text = result.stdout.decode()
    assert result.returncode == 0, text
    # Its working directory is gone.
    assert os.listdir(str(tmp_path)) == []
    return text


def table_rows(text, count):
    """``{label: [cells]}`` of the last table's rows for ``count`` devices."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| %d | " % count):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[1]] = cells
    return rows


def row(rows, start):
    found = [cells for label, cells in rows.items() if label.startswith(start)]
    assert len(found) == 1, (start, sorted(rows))
    return found[0]


def test_a_smoke_run_without_playbooks_prints_the_floors_and_the_ratios(tmp_path):
    text = run_benchmark(tmp_path, "--sizes", "50", "--no-playbooks")
    assert "| devices | run | seconds | × Ansible's floor | × disk floor | peak RSS (MiB) | rendered devices " \
           "| target (issue 18) |" in text
    rows = table_rows(text, 50)
    assert len(rows) == 12
    disk = row(rows, "disk floor")
    assert re.fullmatch(FIGURE, disk[2]) and re.fullmatch(r"\d+", disk[5])
    files = int(re.search(r"\((\d+) files\)", disk[1]).group(1))
    assert files > 2 * 50
    module = row(rows, "module's own first-run work")
    assert re.fullmatch(FIGURE, module[2]) and re.fullmatch(RATIO, module[4])
    assert module[7].startswith("≤ 1.5× the disk floor: ")
    assert re.fullmatch(FIGURE, row(rows, "limit")[2])
    for start in ("Ansible's floor: ", "Ansible's floor + `key_store`", "first run", "rerun, no change",
                  "rerun, one device changed"):
        assert row(rows, start)[2] == "n/a (--no-playbooks)"


def playbook_available():
    return shutil.which("ansible-playbook", path=os.path.dirname(sys.executable) + os.pathsep
                        + os.environ.get("PATH", "")) is not None


@pytest.mark.skipif(not playbook_available(), reason="ansible-playbook is not installed")
def test_a_smoke_run_with_playbooks_measures_every_row_against_both_floors(tmp_path):
    benchmark = bench_module("run_benchmark")
    # 48 devices in sites of 12: the shard of 20 devices is the first two sites, 24 devices.
    text = run_benchmark(tmp_path, "--sizes", "48", "--template-sample", "2", "--site-size", "12",
                         "--shard-size", "20")
    rows = table_rows(text, 48)
    floor = row(rows, "Ansible's floor: ")
    assert re.fullmatch(FIGURE, floor[2]) and floor[3] == "1.00×" and re.fullmatch(r"\d+", floor[5])
    fixed = row(rows, "Ansible's floor + `key_store` and `phone_profiles` on no device")
    # Two module tasks on top of the floor's one debug task cost more than the floor.
    assert re.fullmatch(FIGURE, fixed[2]) and float(fixed[2]) > float(floor[2]), fixed
    assert re.fullmatch(RATIO, fixed[3]) and fixed[7].startswith("the least a rerun can cost: "), fixed
    for start in ("first run", "rerun, no change", "rerun, one device changed"):
        cells = row(rows, start)
        assert re.fullmatch(FIGURE, cells[2]) and re.fullmatch(RATIO, cells[3]), cells
        assert re.fullmatch(r"\d+", cells[5]), cells
    assert re.fullmatch(RATIO, row(rows, "first run")[4])
    assert re.fullmatch(RATIO, row(rows, "module's own first-run work")[3])
    assert re.fullmatch(RATIO, row(rows, "`ansible.builtin.template` loop")[3])
    found = benchmark.features()
    sources = row(rows, "rerun, fleet read from files")
    shard = row(rows, "one shard from files (`sipfleet_shard`), first run")
    if found["sources"] is None:
        assert re.fullmatch(FIGURE, sources[2]) and re.fullmatch(RATIO, sources[3])
    else:
        assert sources[2] == "n/a (%s)" % found["sources"]
    if found["shard"] is None:
        assert "(24 devices)" in shard[1] and re.fullmatch(FIGURE, shard[2])
    else:
        assert shard[2] == "n/a (%s)" % found["shard"]
    assert "template loop: 2 devices in " in text


@pytest.mark.skipif(not playbook_available(), reason="ansible-playbook is not installed")
def test_a_run_that_changes_what_a_check_says_it_must_not_stops_the_benchmark(tmp_path):
    benchmark = bench_module("run_benchmark")
    fleet = tmp_path / "fleet"
    subprocess.run([sys.executable, os.path.join(BENCH, "fleet.py"), "16", str(fleet)], check=True)
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = env["PYTHONPATH"] = benchmark.collection_path(str(tmp_path))
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    inventory = str(fleet / "hosts.yml")
    (tmp_path / "run").mkdir()
    # A first run taken for a rerun: it changes every device.
    with pytest.raises(SystemExit) as info:
        benchmark.profiles_run(inventory, str(tmp_path / "run"), env, "the rerun with no change", expect_changed=0)
    assert "the rerun with no change reported changes" in str(info.value)
    again = benchmark.profiles_run(inventory, str(tmp_path / "run"), env, "the rerun", expect_changed=0,
                                   expect_rendered=0)
    assert again["changed_devices"] == 0 and again["seconds"] > 0 and again["rss"] > 0
    # Two devices changed where one was expected.
    subprocess.run([sys.executable, os.path.join(BENCH, "fleet.py"), "16", str(fleet), "--change", "3"], check=True)
    with open(fleet / "group_vars" / "all" / "fleet.json") as handle:
        variables = json.load(handle)
    variables["sipfleet_devices"][5]["lines"][0]["display_name"] = "Desk 5 (moved too)"
    with open(fleet / "group_vars" / "all" / "fleet.json", "w") as handle:
        json.dump(variables, handle)
    with pytest.raises(SystemExit) as info:
        benchmark.profiles_run(inventory, str(tmp_path / "run"), env, "the one-device change", expect_changed=1)
    assert "the one-device change changed 2 devices, not 1" in str(info.value)
