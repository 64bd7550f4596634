# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet-scale benchmark of the key store and the phone_profiles module.

    python bench/run_benchmark.py [--sizes 1000 10000 100000] [--template-sample 100]

Run it with the Python of a virtual environment that has ansible-core (for
example the one scripts/test builds). For each fleet size, with a mixed fleet
of all four vendor families, every device encrypting, it measures end to end
as ``ansible-playbook`` runs on ``connection: local`` (bench/deploy_profiles.yml):
the first run, a rerun with no change and a rerun with one device changed,
with the peak resident memory of the largest process. In the same run it
measures the limit (a plain Python loop rendering and encrypting the same
files with the same library calls), the module's own time (its logic called
directly, writing into an empty directory) and a naive
``ansible.builtin.template`` loop over a sample of devices, extrapolated.
Prints one table; nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)


def collection_path(workdir):
    """An ansible_collections tree holding this checkout, for ansible-playbook and imports."""
    root = os.path.join(workdir, "collections")
    target = os.path.join(root, "ansible_collections", "sipfleet")
    os.makedirs(target, exist_ok=True)
    link = os.path.join(target, "provisioning")
    if not os.path.exists(link):
        os.symlink(CHECKOUT, link)
    return root


def timed(command, env):
    """``(seconds, peak RSS in MiB, output)`` of a command; fails loudly on an error."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        dummy, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - start
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if status != 0:
        sys.exit("command failed: %s\n%s" % (" ".join(command), text[-4000:]))
    return seconds, usage.ru_maxrss / 1024.0, text


def make_fleet(count, directory, change=None):
    command = [sys.executable, os.path.join(HERE, "fleet.py"), str(count), directory]
    if change is not None:
        command += ["--change", str(change)]
    subprocess.run(command, check=True)


def limit_and_module(count, directory, env):
    """Seconds of the plain render loop and of the module's logic, in a fresh interpreter."""
    code = r"""
import json, os, sys, tempfile, time
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet, renderer_for
data = json.load(open(sys.argv[1]))
devices, defaults = data["sipfleet_devices"], data["sipfleet_defaults"]
start = time.monotonic()
inventory, fleet = load_fleet(devices, defaults)
wanted = dict((d.mac, renderer_for(d).key_specs(d)) for d in fleet)
keys = reconcile(empty_store(), wanted).keys
for device in fleet:
    device.keys = keys[device.mac]
files = render_fleet(inventory, fleet)
limit = time.monotonic() - start
out = tempfile.mkdtemp()
start = time.monotonic()
run({"devices": devices, "defaults": defaults, "keys": keys, "roots": [out + "/root"], "state_dir": out + "/state"})
module = time.monotonic() - start
print(json.dumps({"limit": limit, "module": module, "files": len(files)}))
"""
    result = subprocess.run([sys.executable, "-c", code, os.path.join(directory, "group_vars", "all", "fleet.json")],
                            check=True, stdout=subprocess.PIPE, env=env)
    return json.loads(result.stdout.decode())


TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1"><mac>{{ item.mac }}</mac><config version="1">
<P271>1</P271><P47>{{ sipfleet_defaults.sip_server }}</P47><P35>{{ item.lines[0].extension }}</P35>
<P34>{{ item.lines[0].password }}</P34><P3>{{ item.lines[0].display_name }}</P3>
</config></gs_provision>
"""

TEMPLATE_PLAYBOOK = """---
- name: Naive loop
  hosts: provisioning_servers
  gather_facts: false
  tasks:
    - name: One template task per device
      ansible.builtin.template:
        src: "{{ bench_dir }}/profile.xml.j2"
        dest: "{{ bench_dir }}/loop/cfg{{ item.mac }}.xml"
        mode: "0640"
      loop: "{{ sipfleet_devices[:bench_sample | int] }}"
"""


def template_loop(sample, directory, workdir, env):
    with open(os.path.join(workdir, "profile.xml.j2"), "w") as handle:
        handle.write(TEMPLATE)
    playbook = os.path.join(workdir, "loop.yml")
    with open(playbook, "w") as handle:
        handle.write(TEMPLATE_PLAYBOOK)
    os.makedirs(os.path.join(workdir, "loop"), exist_ok=True)
    seconds, dummy, dummy2 = timed(["ansible-playbook", "-i", os.path.join(directory, "hosts.yml"), playbook,
                                    "-e", "bench_dir=%s" % workdir, "-e", "bench_sample=%d" % sample], env)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--template-sample", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="sipfleet-bench.")
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = collection_path(workdir)
    env["PYTHONPATH"] = env["ANSIBLE_COLLECTIONS_PATH"]
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    playbook = os.path.join(HERE, "deploy_profiles.yml")
    rows = []
    loop_seconds = None
    try:
        for count in args.sizes:
            fleet_dir = os.path.join(workdir, "fleet-%d" % count)
            run_dir = os.path.join(workdir, "run-%d" % count)
            os.makedirs(run_dir)
            make_fleet(count, fleet_dir)
            command = ["ansible-playbook", "-i", os.path.join(fleet_dir, "hosts.yml"), playbook, "-e",
                       "bench_dir=%s" % run_dir]
            first, first_rss, dummy = timed(command, env)
            rerun, rerun_rss, text = timed(command, env)
            if "changed=0" not in text:
                sys.exit("the rerun with no change reported changes:\n" + text[-3000:])
            make_fleet(count, fleet_dir, change=count // 2)
            one, one_rss, text = timed(command, env)
            if "changed_devices=1" not in text:
                sys.exit("the one-device change did not change exactly one device:\n" + text[-3000:])
            direct = limit_and_module(count, fleet_dir, env)
            if loop_seconds is None:
                loop_seconds = template_loop(args.template_sample, fleet_dir, workdir, env)
            rows.append((count, direct["files"], first, rerun, one, max(first_rss, rerun_rss, one_rss),
                         direct["limit"], direct["module"], loop_seconds * count / args.template_sample))
            shutil.rmtree(run_dir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print("| devices | files | first run (s) | rerun, no change (s) | rerun, one device changed (s) | peak RSS (MiB) "
          "| limit: plain render loop (s) | module logic (s) | module / limit | template loop, extrapolated (s) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for count, files, first, rerun, one, rss, limit, module, loop in rows:
        print("| %d | %d | %.1f | %.1f | %.1f | %.0f | %.1f | %.1f | %.2f | %.0f |"
              % (count, files, first, rerun, one, rss, limit, module, module / limit, loop))
    print("template loop: %d devices in %.1f s (%.2f s a device)"
          % (args.template_sample, loop_seconds, loop_seconds / args.template_sample))


if __name__ == "__main__":
    main()
