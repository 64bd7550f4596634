# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time ``fleet_status``'s logic on N devices and a 1,000,000-line access log.

    python bench/fleet_status.py --sizes 10000 100000 [--lines 1000000]

For each size, in a temporary directory: the inventory of ``fleet.py --classic`` (an
eighth each of eight Grandstream, Cisco SPA, Cisco MPP and Panasonic
models), one manifest listing each device's profile as ``phone_profiles``
records it (path, device, size, time), and an access log in the
``http_server`` role's JSON format, rotated as logrotate leaves it
(``access.log.2.gz``, ``access.log.1``, ``access.log``): per line a fetch of
a random device's profile with its vendor's User-Agent (most complete, some
of an older size, some 304), plus shared files, unknown MACs and malformed
lines. ``_fleet_status.run`` is then called in a fresh interpreter; printed
per size: the seconds of the whole call, of the inventory validation inside
it, and the interpreter's peak RSS. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)

_spec = importlib.util.spec_from_file_location("bench_fleet", os.path.join(HERE, "fleet.py"))
bench_fleet = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_fleet)

#: Model -> (profile path with {mac}, the User-Agent its phones send).
PROFILES = {
    "GXP2170": ("cfg{mac}.xml", "Grandstream Model HW GXP2170 SW 1.0.11.16 DevId {mac}"),
    "GRP2614": ("cfg{mac}.xml", "Grandstream Model HW GRP2614 SW 1.0.5.15 DevId {mac}"),
    "SPA2102": ("spa{mac}.xml", "Linksys/SPA-2102-5.1.10 (88012BA01234)"),
    "SPA504G": ("spa{mac}.xml", "Cisco/SPA504G-7.6.2 (CBT123456AB)"),
    "ATA192": ("{mac}.xml", "Cisco/ATA192-MPP-12-0-1 ({mac})"),
    "CP-8841-3PCC": ("{mac}.xml", "Cisco-CP-8841-3PCC/11.3.7 ({mac})"),
    "KX-UTG300": ("Config{MAC}.cfg", "Panasonic_KX-UTG300/01.133 ({mac})"),
    "KX-UTG200": ("Config{MAC}.cfg", "Panasonic_KX-UTG200/01.133 ({mac})"),
}
SIZE = 1500


def collection_path(workdir):
    """An ansible_collections tree holding this checkout, for the child's imports."""
    target = os.path.join(workdir, "collections", "ansible_collections", "sipfleet")
    os.makedirs(target, exist_ok=True)
    link = os.path.join(target, "provisioning")
    if not os.path.exists(link):
        os.symlink(CHECKOUT, link)
    return os.path.join(workdir, "collections")


def manifest_path_for(state_dir, root):
    # As _profile_writer.manifest_path_for names it (not imported: the parent needs no collection path).
    return os.path.join(state_dir, "manifest-%s.json" % hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:16])


def write_inputs(count, lines, workdir, now):
    # The four families PROFILES knows (fleet.py --classic).
    devices = bench_fleet.classic_devices(count)
    with open(os.path.join(workdir, "inventory.json"), "w") as handle:
        json.dump({"devices": devices, "defaults": bench_fleet.CLASSIC_DEFAULTS}, handle)
    root, state = os.path.join(workdir, "root"), os.path.join(workdir, "state")
    os.makedirs(root)
    os.makedirs(state, mode=0o700)
    written_ns = int((now - 86400) * 1e9)
    files = {}
    owned = []
    for device in devices:
        path_form, agent_form = PROFILES[device["model"]]
        mac = device["mac"]
        path = path_form.format(mac=mac, MAC=mac.upper())
        files[path] = ["0" * 64, device["name"], "profile", SIZE, written_ns]
        owned.append((path, agent_form.format(mac=mac)))
    with open(manifest_path_for(state, root), "w") as handle:
        json.dump({"version": 2, "root": root, "files": files, "state": {}}, handle)
    logs = os.path.join(workdir, "logs")
    os.makedirs(logs)
    generator = random.Random(17)
    # Three generations, oldest first, a third of the lines each.
    names = [("access.log.2.gz", True), ("access.log.1", False), ("access.log", False)]
    per_file = lines // len(names)
    start = now - 3 * 86400
    step = 3 * 86400.0 / lines
    written = 0
    for index, (name, compress) in enumerate(names):
        opener = gzip.open if compress else open
        with opener(os.path.join(logs, name), "wt") as handle:
            amount = per_file if index < len(names) - 1 else lines - written
            for dummy in range(amount):
                moment = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start + written * step))
                written += 1
                draw = generator.random()
                client = "10.%d.%d.%d" % (generator.randrange(256), generator.randrange(256), generator.randrange(1, 255))
                if draw < 0.001:
                    handle.write("garbage %d\n" % written)
                    continue
                if draw < 0.002:
                    path, agent, status, sent = "%012x.cfg" % generator.randrange(1 << 40), "", 404, 150
                elif draw < 0.05:
                    path, agent = owned[generator.randrange(len(owned))]
                    path, status, sent = "ConfigCom.cfg", 200, 900
                else:
                    path, agent = owned[generator.randrange(len(owned))]
                    status, sent = (304, 0) if draw > 0.9 else (200, SIZE if draw > 0.1 else SIZE - 7)
                handle.write(json.dumps({
                    "time": moment, "remote_addr": client, "scheme": "http", "server_port": "80", "method": "GET",
                    "path": "/" + path, "request_uri": "/" + path, "status": status, "bytes": sent,
                    "request_time": 0.001, "user_agent": agent, "remote_user": "", "ssl_protocol": "",
                    "ssl_client_verify": "NONE", "ssl_client_s_dn": "", "ssl_client_i_dn": "",
                    "ssl_client_serial": "", "client_mac": "", "file_mac": "", "device_auth": "",
                    "notfound": status == 404, "limit_req": ""}, separators=(",", ":")) + "\n")
    return root, state, os.path.join(logs, "access.log")


CHILD = r"""
import json, resource, sys, time
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _fleet_status
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet
workdir, root, state, log, now = sys.argv[1:6]
inventory = json.load(open(workdir + "/inventory.json"))
timings = {}
original = _fleet_status.load_fleet
def timed_load_fleet(*args):
    start = time.monotonic()
    try:
        return original(*args)
    finally:
        timings["inventory"] = time.monotonic() - start
_fleet_status.load_fleet = timed_load_fleet
start = time.monotonic()
result = _fleet_status.run(dict(inventory, roots=[root], state_dir=state, http_logs=[log], host="bench"),
                           lambda message: None, now=float(now))
seconds = time.monotonic() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps({"seconds": seconds, "inventory": timings["inventory"], "peak_mib": peak,
                  "counts": result["counts"], "log_lines": result["log_lines"]}))
"""


def measure(count, lines):
    with tempfile.TemporaryDirectory(prefix="sipfleet-bench-status-") as workdir:
        now = time.time()
        started = time.monotonic()
        root, state, log = write_inputs(count, lines, workdir, now)
        generated = time.monotonic() - started
        env = dict(os.environ, PYTHONPATH=collection_path(workdir))
        output = subprocess.run([sys.executable, "-c", CHILD, workdir, root, state, log, repr(now)], env=env,
                                check=True, stdout=subprocess.PIPE).stdout
        report = json.loads(output.decode("utf-8").strip().splitlines()[-1])
        report["generated"] = generated
        return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--lines", type=int, default=1000000)
    args = parser.parse_args()
    print("| devices | log lines | status (s) | of which inventory validation (s) | peak RSS (MiB) | counts |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for count in args.sizes:
        report = measure(count, args.lines)
        counts = ", ".join("%s %d" % item for item in sorted(report["counts"].items()))
        figures = (count, args.lines, report["seconds"], report["inventory"], report["peak_mib"], counts)
        print("| %d | %d | %.1f | %.1f | %.0f | %s |" % figures)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
