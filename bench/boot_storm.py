# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot storm: phones fetch their files over HTTP and TFTP while deploy.yml rewrites every one of them.

    python3 bench/boot_storm.py [--devices 10000] [--ansible-bin VENV/bin] [--json OUT]

Run it as root on a machine where nginx and tftpd-hpa serve nothing else. It
builds a lab of network namespaces (lab/network.sh: <prefix>-prov with
10.99.20.1, <prefix>-client with --client-address), writes an inventory of
N phones of four vendor families, every one encrypting (bench/fleet.py --classic),
and deploys tftpd-hpa, nginx (HTTP) and every phone's files into one served
root with playbooks/deploy.yml in the provisioning namespace: version A.

Then, from the client namespace:

1. references, no deploy running: wrk alone on one static 4 KB file, then
   wrk alone with a Lua script cycling through every served path and some
   paths that are not served (intended 404s);
2. baseline: the storm's load for the same time, no deploy running: that
   wrk, a pool of Python HTTP clients (keep-alive) and a pool of tftp-hpa and
   atftp clients, both fetching random paths and recording the SHA-256 of
   every body;
3. storm: the same load while deploy.yml --tags profiles rewrites every file
   after a fleet-wide change (version B: another provisioning URL and NTP
   server), until a few seconds after the deploy ends.

It checks that every body a client received is the complete version A or
the complete version B of its path, that the only 404s are those of paths
not served, that no request failed, and that every distinct file of both
versions is valid: encrypted files decrypted with the openssl CLI (openssl
enc -d) with the device's key from the key store, then parsed (XML, the
Panasonic text format, the Grandstream legacy binary), naming the device's
MAC and extension and carrying its version's URLs. Prints a table; exits 1
on any mismatch or error.

The lab's daemons stop with its namespaces; what the deploy wrote on the
machine (lab/machine_state.sh: the servers' configuration under /etc, the
collection's state, the daemons' logs) is put back as it was, and the served
root and the working directory removed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from xml.etree import ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
NETWORK_LIB = os.path.join(CHECKOUT, "lab", "network.sh")
SERVER_ADDRESS = "10.99.20.1"  # LAB_SERVER_ADDRESS of lab/network.sh
REFERENCE_FILE = "bench-reference-4k.bin"

# What the fleet-wide change of version B replaces: every file that names the
# provisioning server or the NTP server changes, so every device's files do.
VERSION_A = {"provisioning_url": "http://prov.example.net", "ntp_server": "ntp.example.net"}
VERSION_B = {"provisioning_url": "http://prov-b.example.net", "ntp_server": "ntp-b.example.net"}
MARKERS = {"A": ("prov.example.net", "ntp.example.net"), "B": ("prov-b.example.net", "ntp-b.example.net")}

# The models bench/fleet.py --classic cycles through: vendor family and, for the Cisco
# families, the model's default profile name ($PSN file).
MODELS = {
    "GXP2170": ("grandstream", None),
    "GRP2614": ("grandstream", None),
    "SPA2102": ("cisco_spa", "spa2102.cfg"),
    "SPA504G": ("cisco_spa", "spa504G.cfg"),
    "ATA192": ("cisco_mpp", "ata192.cfg"),
    "CP-8841-3PCC": ("cisco_mpp", "8841.xml"),
    "KX-UTG300": ("panasonic", None),
    "KX-UTG200": ("panasonic", None),
}
# Key derivation digest of each family's encrypted profile with the fleet's
# settings (docs/vendors/*.md).
DIGESTS = {"grandstream": "md5", "cisco_spa": "md5", "cisco_mpp": "sha256", "panasonic": "md5"}
PANASONIC_HEADER = "# Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!"
PANASONIC_LINE = re.compile(r'^[A-Z][A-Z0-9_]{0,31}="[^"\r\n]*"$')

# Saves and puts back what a deploy writes on the machine outside the lab
# (the servers' configuration, state and logs), as scripts/lab does.
MACHINE_STATE_LIB = os.path.join(CHECKOUT, "lab", "machine_state.sh")

WRK_SCRIPT = r"""
-- Cycles through every path of the paths file, thread n starting (n - 1)
-- sevenths of the way in, so threads fetch different files; counts the
-- answers by status. "M /path" lines are paths that are
-- not served (a 404 is the right answer), "P /path" lines served ones.
local paths, missing = {}, {}
local threads, thread_count = {}, 0
position, requested, requested_missing, ok, not_found, other = 0, 0, 0, 0, 0, 0
other_statuses = ""

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local kind, path = line:match("^(%a) (.+)$")
    paths[#paths + 1] = path
    missing[#paths] = kind == "M"
  end
  position = math.floor((thread_index - 1) * #paths / 7) % #paths
end

function request()
  position = position % #paths + 1
  requested = requested + 1
  if missing[position] then requested_missing = requested_missing + 1 end
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status == 404 then not_found = not_found + 1
  else
    other = other + 1
    if #other_statuses < 200 then other_statuses = other_statuses .. " " .. status end
  end
end

function done(summary, latency, requests)
  local totals = {requested = 0, requested_missing = 0, ok = 0, not_found = 0, other = 0}
  local statuses = ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
    statuses = statuses .. thread:get("other_statuses")
  end
  io.write(string.format(
    'BOOT_STORM_WRK {"requested": %d, "requested_missing": %d, "ok": %d, "not_found": %d, "other": %d, "other_statuses": "%s"}\n',
    totals.requested, totals.requested_missing, totals.ok, totals.not_found, totals.other, statuses))
end
"""


class BenchError(Exception):
    """Something the benchmark needs failed; the message says what."""


def log(message):
    print("==> %s" % message, file=sys.stderr, flush=True)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --------------------------------------------------------------------------
# Client pools: run inside the client namespace as subprocesses of this
# script (``ip netns exec``), until SIGTERM; then write their records.
# --------------------------------------------------------------------------

def read_paths_file(path):
    served, missing = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            kind, name = line.rstrip("\n").split(" ", 1)
            (missing if kind == "M" else served).append(name.lstrip("/"))
    return served, missing


def stop_on_sigterm():
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    return stop


def pick(rng, served, missing, missing_every):
    """A served path, or (one time in ``missing_every``) one that is not served."""
    if missing and rng.randrange(missing_every) == 0:
        return rng.choice(missing)
    return rng.choice(served)


def http_clients_main(argv):
    """Keep-alive HTTP clients fetching random paths; one record per request."""
    parser = argparse.ArgumentParser(prog="boot_storm.py _http_clients")
    parser.add_argument("--server", required=True)
    parser.add_argument("--paths", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--missing-every", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    served, missing = read_paths_file(args.paths)
    stop = stop_on_sigterm()
    results = [[] for dummy in range(args.clients)]

    def client(index):
        rng = random.Random(index)
        records = results[index]
        connection = None
        while not stop.is_set():
            path = pick(rng, served, missing, args.missing_every)
            started = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(args.server, 80, timeout=10)
                connection.request("GET", "/" + urllib.parse.quote(path))
                answer = connection.getresponse()
                body = answer.read()
                records.append([path, answer.status, sha256_hex(body), len(body), time.monotonic() - started, None])
                if answer.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                records.append([path, None, None, None, time.monotonic() - started, "%s: %s" % (type(exc).__name__, exc)])
                if connection is not None:
                    connection.close()
                connection = None

    threads = [threading.Thread(target=client, args=(index,)) for index in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while not stop.wait(0.2):
        pass
    for thread in threads:
        thread.join()
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"seconds": time.monotonic() - started, "records": [r for part in results for r in part]}, handle)


def tftp_fetch(client, server, path, local):
    """``(status, body, error)`` of one fetch with a real TFTP client: status 200, 404 or None."""
    if os.path.exists(local):
        os.unlink(local)
    if client == "tftp-hpa":
        command = ["tftp", "-m", "binary", server, "-c", "get", path, local]
    else:
        command = ["atftp", "--get", "--remote-file", path, "--local-file", local, server]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return None, None, "%s timed out after 60 s" % client
    output = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
    # tftp-hpa exits 0 even when the server answers with an error, and
    # leaves an empty file behind: only its message tells.
    if "File not found" in output:
        return 404, None, None
    if done.returncode != 0 or output:
        return None, None, "%s exit %d: %s" % (client, done.returncode, output[:200])
    with open(local, "rb") as handle:
        return 200, handle.read(), None


def tftp_clients_main(argv):
    """Loops of tftp-hpa and atftp fetching random paths; one record per fetch."""
    parser = argparse.ArgumentParser(prog="boot_storm.py _tftp_clients")
    parser.add_argument("--server", required=True)
    parser.add_argument("--paths", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--missing-every", type=int, required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    served, missing = read_paths_file(args.paths)
    stop = stop_on_sigterm()
    results = [[] for dummy in range(args.clients)]

    def client(index):
        rng = random.Random(1000 + index)
        name = "tftp-hpa" if index % 2 == 0 else "atftp"
        local = os.path.join(args.scratch, "fetch-%d" % index)
        while not stop.is_set():
            path = pick(rng, served, missing, args.missing_every)
            started = time.monotonic()
            status, body, error = tftp_fetch(name, args.server, path, local)
            results[index].append([path, status, sha256_hex(body) if body is not None else None,
                                   len(body) if body is not None else None, time.monotonic() - started,
                                   error, name])

    threads = [threading.Thread(target=client, args=(index,)) for index in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while not stop.wait(0.2):
        pass
    for thread in threads:
        thread.join()
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"seconds": time.monotonic() - started, "records": [r for part in results for r in part]}, handle)


# --------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------

def run(command, **kwargs):
    """A command that must succeed."""
    return subprocess.run(command, check=True, **kwargs)


def network(function, *args):
    """Call a function of lab/network.sh."""
    script = '. "$1"; shift; "$@"'
    run(["bash", "-c", script, "network", NETWORK_LIB, function] + list(args))


def machine_state(function, directory):
    """Call a function of lab/machine_state.sh."""
    run(["bash", "-c", '. "$1"; shift; "$@"', "machine_state", MACHINE_STATE_LIB, function, directory])


def in_namespace(namespace, command):
    return ["ip", "netns", "exec", namespace] + command


def running_daemons():
    """The daemons the deploy's init scripts would take for their own: ``["what pid", ...]``.

    /etc/init.d/nginx knows its daemon by /run/nginx.pid, /etc/init.d/tftpd-hpa
    by the name in.tftpd: with one of those running, starting ours would do
    nothing and restarting would stop someone else's.
    """
    found = []
    try:
        with open("/run/nginx.pid", encoding="utf-8") as handle:
            pid = int(handle.read().strip() or 0)
        if pid and os.path.exists("/proc/%d" % pid):
            found.append("nginx %d (/run/nginx.pid)" % pid)
    except (OSError, ValueError):
        pass
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                name, state = handle.read().split(" (", 1)[1].rsplit(") ", 1)
        except (OSError, IndexError, ValueError):
            continue
        if name == "in.tftpd" and not state.startswith("Z"):
            found.append("in.tftpd %s" % entry)
    return found


def find_ansible_playbook(ansible_bin):
    if ansible_bin:
        candidate = os.path.join(ansible_bin, "ansible-playbook") if os.path.isdir(ansible_bin) else ansible_bin
        if not os.access(candidate, os.X_OK):
            raise BenchError("--ansible-bin: no executable ansible-playbook at %s" % candidate)
        return candidate
    found = shutil.which("ansible-playbook")
    if not found:
        raise BenchError("ansible-playbook is not on PATH; give the bin directory of a virtual environment with "
                         "ansible-core (--ansible-bin)")
    return found


def collection_path(workdir):
    """An ansible_collections tree holding this checkout, for ansible-playbook."""
    root = os.path.join(workdir, "collections")
    target = os.path.join(root, "ansible_collections", "sipfleet")
    os.makedirs(target, exist_ok=True)
    os.symlink(CHECKOUT, os.path.join(target, "provisioning"))
    return root


class Lab:
    """The working directory, the inventory, the namespaces and the deploys."""

    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.root = args.root
        self.prov = args.prefix + "-prov"
        self.client = args.prefix + "-client"
        self.inventory = os.path.join(workdir, "inventory")
        self.fleet_file = os.path.join(self.inventory, "group_vars", "all", "fleet.json")
        self.key_store = os.path.join(workdir, "keys.json")
        self.logs = os.path.join(workdir, "logs")
        self.access_log = os.path.join(self.logs, "access.log")
        self.playbook = find_ansible_playbook(args.ansible_bin)
        self.env = dict(os.environ)
        self.env.update(ANSIBLE_COLLECTIONS_PATH=collection_path(workdir), ANSIBLE_NOCOLOR="1",
                        ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_RETRY_FILES_ENABLED="false")

    def write_inventory(self):
        # The four families whose files the checks parse (fleet.py --classic).
        run([sys.executable, os.path.join(HERE, "fleet.py"), str(self.args.devices), self.inventory, "--classic"])
        os.makedirs(self.logs)
        with open(os.path.join(self.inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
            handle.write(
                "# The benchmark's provisioning server: the network namespace %s on this machine.\n"
                "# No DHCP server: the group is there, empty, for deploy.yml's DHCP play to match.\n"
                "all:\n  children:\n    provisioning_servers:\n      hosts:\n        bench-prov:\n"
                "    dhcp_servers:\n"
                "  hosts:\n    bench-prov:\n      ansible_connection: local\n"
                "      ansible_python_interpreter: %s\n" % (self.prov, json.dumps(self.args.module_python)))
        servers = {
            "sipfleet_servers": ["tftp", "http"],
            "sipfleet_profile_roots": [self.root],
            "sipfleet_profile_group": "tftp",
            "sipfleet_state_dir": os.path.join(self.workdir, "state"),
            "sipfleet_key_store_path": self.key_store,
            "sipfleet_key_store_create": True,
            # A throw-away store: the checks read the keys from it.
            "sipfleet_key_store_encrypt": False,
            # Every file exists, the key carriers included, for the whole run.
            "sipfleet_bootstrap_serve": "always",
            "sipfleet_http_access_logs": [self.access_log],
            "tftp_server_root": self.root,
            "http_server_root": self.root,
            "http_server_manage_root": False,
            "http_server_access_log": self.access_log,
            "http_server_scan_log": os.path.join(self.logs, "scan.log"),
            "http_server_error_log": os.path.join(self.logs, "error.log"),
            # The client asks for paths that are not served on purpose; the
            # 404 limit would answer them with 429 after its burst.
            "http_server_notfound_limit_exempt_networks": [self.args.client_address + "/32"],
        }
        with open(os.path.join(self.inventory, "group_vars", "all", "servers.json"), "w", encoding="utf-8") as handle:
            json.dump(servers, handle, indent=1)
        self.set_version("A")

    def set_version(self, version):
        with open(self.fleet_file, encoding="utf-8") as handle:
            fleet = json.load(handle)
        fleet["sipfleet_defaults"].update(VERSION_A if version == "A" else VERSION_B)
        with open(self.fleet_file, "w", encoding="utf-8") as handle:
            json.dump(fleet, handle)
        return fleet

    def devices(self):
        with open(self.fleet_file, encoding="utf-8") as handle:
            return json.load(handle)["sipfleet_devices"]

    def keys(self):
        with open(self.key_store, encoding="utf-8") as handle:
            return json.load(handle)["devices"]

    def back_up_system_files(self):
        machine_state("lab_machine_save", self.workdir)

    def restore_system_files(self):
        machine_state("lab_machine_restore", self.workdir)

    def up(self):
        network("lab_net_up", self.args.prefix, "client")
        run(["ip", "-n", self.client, "addr", "add", self.args.client_address + "/24", "dev", "eth0"])

    def down(self):
        network("lab_net_down", self.args.prefix)

    def deploy(self, name, tags):
        """Run deploy.yml with these tags in the provisioning namespace; returns its seconds."""
        output = os.path.join(self.workdir, "deploy-%s.log" % name)
        command = in_namespace(self.prov, [self.playbook, "-i", self.inventory, "sipfleet.provisioning.deploy",
                                           "--tags", tags])
        started = time.monotonic()
        with open(output, "wb") as handle:
            status = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=self.env, check=False)
        seconds = time.monotonic() - started
        if status.returncode != 0:
            with open(output, encoding="utf-8", errors="replace") as handle:
                raise BenchError("deploy.yml --tags %s (%s) failed:\n%s" % (tags, name, handle.read()[-6000:]))
        return seconds


# --------------------------------------------------------------------------
# The served files: what to expect, snapshots and their validation
# --------------------------------------------------------------------------

def expected_files(devices, keys):
    """``{path: spec}`` of every file the fleet must have served: how to check it and whose it is."""
    files = {}
    for device in devices:
        if device["model"] not in MODELS:
            raise BenchError("device %s: model %s is not one the benchmark knows how to check (%s)"
                             % (device["name"], device["model"], ", ".join(sorted(MODELS))))
        family, psn_file = MODELS[device["model"]]
        mac = device["mac"]
        key = keys.get(mac)
        if not key:
            raise BenchError("device %s (%s): no keys in the key store" % (device["name"], mac))
        owner = {"device": device["name"], "mac": mac, "extension": device["lines"][0]["extension"],
                 "family": family}
        if family == "grandstream":
            for name in ("cfg%s" % mac, "cfg%s.bin" % mac):
                files[name] = dict(owner, kind="grandstream_legacy", carries={"P1359": key["p1359"]})
            files["cfg%s.xml" % mac] = dict(owner, kind="grandstream_xml", password=key["p1359"])
        elif family in ("cisco_spa", "cisco_mpp"):
            initial = ("spa%s.xml" if family == "cisco_spa" else "%s.xml") % mac
            files[initial] = dict(owner, kind="flat_profile", carries={"GPP_A": key["gpp_a"], "GPP_B": key["gpp_b"]})
            encrypted = "profile/%s/%s" % (key["gpp_b"], psn_file)
            files[encrypted] = dict(owner, kind="flat_profile_encrypted", password=key["gpp_a"])
            files[psn_file] = {"kind": "flat_profile", "family": family, "device": "model " + device["model"]}
        else:
            files["Config%s.cfg" % mac.upper()] = dict(owner, kind="panasonic",
                                                       carries={"CFG_FILE_KEY": key["cfg_file_key"]})
            files["Config%s.enc" % mac.upper()] = dict(owner, kind="panasonic_encrypted", password=key["cfg_file_key"])
            for name in ("%s.cfg" % device["model"], "Config%s.cfg" % device["model"], "ConfigCom.cfg"):
                files[name] = {"kind": "panasonic", "family": family, "device": "model " + device["model"]}
    return files


def snapshot(root):
    """``{path: bytes}`` of every file under the served root."""
    files = {}
    for directory, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = handle.read()
    return files


def openssl_decrypt(data, password, digest, base64):
    """The plain text of an ``openssl enc`` file, decrypted by the openssl CLI itself."""
    command = ["openssl", "enc", "-d", "-aes-256-cbc", "-md", digest, "-pass", "env:BOOT_STORM_KEY"]
    if base64:
        command.append("-a")
    # The key goes through the environment, never the command line.
    done = subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                          env=dict(os.environ, BOOT_STORM_KEY=password))
    if done.returncode != 0:
        message = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if "deprecated" not in line
                   and "-pbkdf2" not in line]
        raise ValueError("openssl enc -d -md %s failed: %s" % (digest, " ".join(message)[:300]))
    return done.stdout


def xml_values(data):
    """The root and ``{tag: text}`` of an XML document, parsed from its bytes (its declaration names the encoding)."""
    root = ElementTree.fromstring(data)
    return root, dict((element.tag, element.text or "") for element in root.iter())


def check_grandstream_legacy(data, spec):
    """The legacy binary format (docs/vendors/grandstream.md): length, checksum, MAC, URL-encoded values."""
    if len(data) < 16 or len(data) % 2:
        raise ValueError("legacy binary file of %d bytes" % len(data))
    if int.from_bytes(data[0:4], "big") * 2 != len(data):
        raise ValueError("length field says %d words, file has %d bytes" % (int.from_bytes(data[0:4], "big"), len(data)))
    if sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)) % 65536:
        raise ValueError("checksum does not add up to 0")
    if data[6:12].hex() != spec["mac"] or data[12:16] != b"\r\n\r\n":
        raise ValueError("MAC or separator wrong")
    body = data[16:].rstrip(b"\0").decode("ascii")
    values = dict(urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True))
    return body, values


def check_flat_profile(data, spec):
    root, values = xml_values(data)
    if root.tag != "flat-profile":
        raise ValueError("root element <%s>, not <flat-profile>" % root.tag)
    if spec["kind"] == "flat_profile_encrypted" and values.get("User_ID_1_") != spec["extension"]:
        raise ValueError("User_ID_1_ is not the device's extension")
    return values


def check_panasonic(text, spec):
    lines = text.split("\r\n")
    if lines[0] != PANASONIC_HEADER or lines[-1] != "":
        raise ValueError("not a Panasonic standard format file (header line or final CR LF missing)")
    values = {}
    for line in lines[1:-1]:
        if not line:
            continue
        if not PANASONIC_LINE.match(line):
            raise ValueError("line %r is not NAME=\"value\"" % line[:40])
        name, value = line.split("=", 1)
        values[name] = value[1:-1]
    if spec["kind"] == "panasonic_encrypted" and values.get("PHONE_NUMBER_1") != spec["extension"]:
        raise ValueError("PHONE_NUMBER_1 is not the device's extension")
    return values


def validate(path, data, spec, version):
    """Check one file of one version; returns ``(text, used openssl)``, raises ValueError."""
    used_openssl = False
    if "password" in spec:
        data = openssl_decrypt(data, spec["password"], DIGESTS[spec["family"]], spec["kind"] == "panasonic_encrypted")
        used_openssl = True
    kind = spec["kind"]
    if kind == "grandstream_legacy":
        text, values = check_grandstream_legacy(data, spec)
    else:
        text = data.decode("utf-8")
        if kind == "grandstream_xml":
            root, values = xml_values(data)
            if root.tag != "gs_provision" or values.get("mac") != spec["mac"] or values.get("P35") != spec["extension"]:
                raise ValueError("not the device's gs_provision profile (root, <mac> or P35)")
        elif kind.startswith("flat_profile"):
            values = check_flat_profile(data, spec)
        else:
            values = check_panasonic(text, spec)
    for name, wanted in spec.get("carries", {}).items():
        if values.get(name) != wanted:
            raise ValueError("%s is not the device's key from the key store" % name)
    other = MARKERS["B" if version == "A" else "A"]
    if any(marker in text for marker in other):
        raise ValueError("version %s names the other version's servers" % version)
    return text, used_openssl


def validate_versions(version_a, version_b, specs, jobs):
    """Check every distinct file of both versions; returns counts, raises BenchError on the first bad file."""
    work = []
    for path, spec in specs.items():
        work.append((path, version_a[path], spec, "A"))
        if version_b[path] != version_a[path]:
            work.append((path, version_b[path], spec, "B"))
    counts = {"checked": 0, "openssl": 0, "unchanged_without_marker": 0}
    problems = []

    def one(item):
        path, data, spec, version = item
        try:
            text, used_openssl = validate(path, data, spec, version)
        except (ValueError, UnicodeDecodeError, ElementTree.ParseError) as exc:
            return item, None, None, "%s" % exc
        return item, text, used_openssl, None

    texts = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for (path, dummy, spec, version), text, used_openssl, problem in pool.map(one, work):
            if problem:
                problems.append("%s (version %s, %s): %s" % (path, version, spec.get("device"), problem))
                continue
            counts["checked"] += 1
            counts["openssl"] += 1 if used_openssl else 0
            texts[(path, version)] = text
    # A file that names a server must name its own version's; one that names
    # none (the empty Panasonic product files) must not have changed.
    for path in specs:
        text_a = texts.get((path, "A"))
        if text_a is None:
            continue
        if not any(marker in text_a for marker in MARKERS["A"]):
            if version_b[path] != version_a[path]:
                problems.append("%s: changed between versions although it names no server" % path)
            counts["unchanged_without_marker"] += 1
        elif version_b[path] == version_a[path]:
            problems.append("%s: did not change with the fleet-wide change" % path)
        elif not any(marker in texts.get((path, "B"), "") for marker in MARKERS["B"]):
            problems.append("%s: version B does not name version B's servers" % path)
    if problems:
        raise BenchError("%d invalid files, for example:\n  %s" % (len(problems), "\n  ".join(problems[:20])))
    return counts


# --------------------------------------------------------------------------
# Loads and their results
# --------------------------------------------------------------------------

def parse_duration(text):
    match = re.match(r"^([0-9.]+)(us|ms|s|m)$", text)
    if not match:
        return None
    return float(match.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[match.group(2)]


def parse_wrk(text):
    result = {"requests": None, "seconds": None, "rate": None, "p99": None, "socket_errors": 0, "non_2xx_3xx": 0,
              "script": None}
    match = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m),", text, re.M)
    if match:
        result["requests"] = int(match.group(1))
        result["seconds"] = parse_duration(match.group(2) + match.group(3))
    match = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.M)
    if match:
        result["rate"] = float(match.group(1))
    match = re.search(r"^\s*99%\s+(\S+)", text, re.M)
    if match:
        result["p99"] = parse_duration(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if match:
        result["socket_errors"] = sum(int(group) for group in match.groups())
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if match:
        result["non_2xx_3xx"] = int(match.group(1))
    match = re.search(r"^BOOT_STORM_WRK (\{.*\})$", text, re.M)
    if match:
        result["script"] = json.loads(match.group(1))
    if result["requests"] is None or result["rate"] is None or result["p99"] is None:
        raise BenchError("cannot read wrk's output:\n" + text[-3000:])
    return result


def wrk_command(args, duration, url, script=None, paths=None):
    command = ["wrk", "-t%d" % args.wrk_threads, "-c%d" % args.wrk_connections, "-d%ds" % duration, "--latency"]
    if script:
        command += ["-s", script]
    # wrk hands the arguments after the URL to the script's init().
    command.append(url)
    if paths:
        command.append(paths)
    return command


def judge_wrk(result, connections):
    """Errors in a wrk run: failed sockets, statuses other than 200 and 404, and 404s beyond the unserved paths asked for."""
    problems = []
    if result["socket_errors"]:
        problems.append("%d socket errors" % result["socket_errors"])
    script = result["script"]
    if script is None:
        if result["non_2xx_3xx"]:
            problems.append("%d answers were not 2xx/3xx" % result["non_2xx_3xx"])
        return problems
    if script["other"]:
        problems.append("%d answers with another status than 200 or 404:%s" % (script["other"], script["other_statuses"]))
    # The answers cannot be paired with their requests in wrk's scripts, so
    # the 404s are bounded: at most one per request for an unserved path,
    # and at least as many minus the requests still open when wrk stopped.
    if script["not_found"] > script["requested_missing"]:
        problems.append("%d 404 answers for %d requests of unserved paths: some served paths were not found"
                        % (script["not_found"], script["requested_missing"]))
    if script["not_found"] < script["requested_missing"] - connections - result["socket_errors"]:
        problems.append("only %d 404 answers for %d requests of unserved paths"
                        % (script["not_found"], script["requested_missing"]))
    return problems


def judge_records(records, versions, missing):
    """Compare every fetched body with the complete files of the versions; returns a summary."""
    summary = {"fetches": len(records), "ok": 0, "intended_404": 0, "errors": 0, "mismatches": 0, "partial": 0,
               "by_version": dict((name, 0) for name in versions), "examples": []}
    missing = set(missing)
    for record in records:
        path, status, digest, length, dummy, error = record[:6]
        problem = None
        if error:
            summary["errors"] += 1
            problem = "error: %s" % error
        elif path in missing:
            if status == 404:
                summary["intended_404"] += 1
            else:
                summary["errors"] += 1
                problem = "status %s for a path that is not served" % status
        elif status != 200:
            summary["errors"] += 1
            problem = "status %s for a served path" % status
        else:
            matched = [name for name, files in versions.items() if files[path][0] == digest]
            if matched:
                summary["ok"] += 1
                summary["by_version"][matched[0]] += 1
            else:
                summary["mismatches"] += 1
                complete = max(files[path][1] for files in versions.values())
                if length < complete:
                    summary["partial"] += 1
                problem = "body of %d bytes is no complete version (%s)" % (
                    length, ", ".join("%s: %d bytes" % (name, files[path][1]) for name, files in versions.items()))
        if problem and len(summary["examples"]) < 10:
            summary["examples"].append("%s: %s" % (path, problem))
    return summary


class Load:
    """wrk with the path list, the HTTP clients and the TFTP clients, all in the client namespace."""

    def __init__(self, lab, name, paths_file, script):
        self.lab = lab
        self.name = name
        self.paths_file = paths_file
        self.script = script
        self.processes = {}
        self.outputs = {}
        self.started = None

    def start(self):
        args, workdir = self.lab.args, self.lab.workdir
        scratch = os.path.join(workdir, "tftp-%s" % self.name)
        os.makedirs(scratch)
        commands = {
            # -d is an upper bound: the run ends with SIGINT, on which wrk
            # prints its results as at the end of its duration.
            "wrk": wrk_command(args, 3600, "http://%s/" % SERVER_ADDRESS, self.script, self.paths_file),
            "http": [sys.executable, os.path.abspath(__file__), "_http_clients", "--server", SERVER_ADDRESS,
                     "--paths", self.paths_file, "--clients", str(args.http_clients),
                     "--missing-every", str(args.missing_every),
                     "--out", os.path.join(workdir, "http-%s.json" % self.name)],
            "tftp": [sys.executable, os.path.abspath(__file__), "_tftp_clients", "--server", SERVER_ADDRESS,
                     "--paths", self.paths_file, "--clients", str(args.tftp_clients),
                     "--missing-every", str(args.missing_every), "--scratch", scratch,
                     "--out", os.path.join(workdir, "tftp-%s.json" % self.name)],
        }
        self.started = time.monotonic()
        for role, command in commands.items():
            output = os.path.join(workdir, "%s-%s.out" % (role, self.name))
            self.outputs[role] = output
            with open(output, "wb") as handle:
                self.processes[role] = subprocess.Popen(in_namespace(self.lab.client, command), stdout=handle,
                                                        stderr=subprocess.STDOUT)

    def stop(self):
        """Stop every client (wrk with SIGINT, the pools with SIGTERM) and collect what they measured."""
        seconds = time.monotonic() - self.started
        for role, process in self.processes.items():
            if process.poll() is not None:
                raise BenchError("the %s load of %s stopped early (exit %s):\n%s"
                                 % (role, self.name, process.returncode, self.read(role)[-3000:]))
            process.send_signal(signal.SIGINT if role == "wrk" else signal.SIGTERM)
        for role, process in self.processes.items():
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise BenchError("the %s load of %s did not stop" % (role, self.name))
            if process.returncode != 0:
                raise BenchError("the %s load of %s failed (exit %s):\n%s"
                                 % (role, self.name, process.returncode, self.read(role)[-3000:]))
        results = {"seconds": seconds, "wrk": parse_wrk(self.read("wrk"))}
        for role in ("http", "tftp"):
            with open(os.path.join(self.lab.workdir, "%s-%s.json" % (role, self.name)), encoding="utf-8") as handle:
                results[role] = json.load(handle)
        return results

    def kill(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    def read(self, role):
        with open(self.outputs[role], encoding="utf-8", errors="replace") as handle:
            return handle.read()


def pool_figures(results, versions, missing):
    summary = judge_records(results["records"], versions, missing)
    latencies = [record[4] for record in results["records"]]
    summary["rate"] = summary["ok"] / results["seconds"] if results["seconds"] else 0.0
    summary["p99"] = percentile(latencies, 0.99)
    summary["seconds"] = results["seconds"]
    return summary


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

def make_paths_file(workdir, served, rng, missing_every):
    """Every served path in random order, and every ``missing_every``-th line a path nobody serves."""
    served = sorted(served)
    rng.shuffle(served)
    missing = []
    lines = []
    for index, path in enumerate(served):
        lines.append("P /" + path)
        if index % missing_every == 0:
            # Names of the shapes phones ask for, for MACs the fleet does not have.
            unserved = ["cfg0b0b0b%06x.xml" % index, "Config0B0B0B%06X.enc" % index,
                        "profile/%032x/spa2102.cfg" % index][len(missing) % 3]
            missing.append(unserved)
            lines.append("M /" + unserved)
    path = os.path.join(workdir, "paths.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path, missing


def write_reference_file(root):
    path = os.path.join(root, REFERENCE_FILE)
    with open(path, "wb") as handle:
        handle.write(os.urandom(4096))
    os.chmod(path, 0o644)
    return path


def storm(lab, paths_file, script, name, action, before=0.0, after=0.0):
    """Run the load around ``action`` (a callable), ``before`` and ``after`` seconds longer; returns the load's
    results and what action returned."""
    load = Load(lab, name, paths_file, script)
    load.start()
    try:
        time.sleep(before)
        outcome = action()
        time.sleep(after)
        return load.stop(), outcome
    finally:
        load.kill()


def measure(args, lab):
    report = {"devices": args.devices, "load_average": " ".join("%.2f" % value for value in os.getloadavg())}
    lab.write_inventory()
    lab.up()
    log("deploying tftpd-hpa and nginx in %s" % lab.prov)
    report["deploy_servers_seconds"] = lab.deploy("servers", "servers")
    log("deploying version A of every file (no load)")
    report["deploy_a_seconds"] = lab.deploy("profiles-a", "profiles")

    keys = lab.keys()
    specs = expected_files(lab.devices(), keys)
    version_a = snapshot(lab.root)
    if set(version_a) != set(specs):
        raise BenchError("the served files are not the fleet's: missing %s; unexpected %s"
                         % (sorted(set(specs) - set(version_a))[:10], sorted(set(version_a) - set(specs))[:10]))
    report["files"] = len(version_a)
    rng = random.Random(2026)
    paths_file, missing = make_paths_file(lab.workdir, version_a, rng, args.missing_every)
    script = os.path.join(lab.workdir, "paths.lua")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(WRK_SCRIPT)

    log("reference: wrk on one static 4 KB file for %d s, no deploy" % args.reference_duration)
    reference = write_reference_file(lab.root)
    done = run(in_namespace(lab.client, wrk_command(args, args.reference_duration,
                                                    "http://%s/%s" % (SERVER_ADDRESS, REFERENCE_FILE))),
               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    os.unlink(reference)
    report["reference"] = parse_wrk(done.stdout.decode("utf-8", "replace"))

    log("reference: wrk alone on every path for %d s, no deploy" % args.reference_duration)
    done = run(in_namespace(lab.client, wrk_command(args, args.reference_duration, "http://%s/" % SERVER_ADDRESS,
                                                    script, paths_file)),
               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    report["reference_paths"] = parse_wrk(done.stdout.decode("utf-8", "replace"))

    log("baseline: the storm's load for %d s, no deploy" % args.reference_duration)
    baseline, dummy = storm(lab, paths_file, script, "baseline", lambda: time.sleep(args.reference_duration))
    # The deploy reads the access log for fetched key carriers; start the
    # storm with an empty one, as after a rotation, so the deploy reads only
    # what the storm itself logs.
    os.truncate(lab.access_log, 0)

    log("storm: the load while deploy.yml rewrites every file (version B)")
    lab.set_version("B")
    result, deploy_seconds = storm(lab, paths_file, script, "storm", lambda: lab.deploy("profiles-b", "profiles"),
                                   args.warmup, args.settle)
    report["deploy_b_seconds"] = deploy_seconds
    version_b = snapshot(lab.root)
    if set(version_b) != set(version_a):
        raise BenchError("version B serves other paths than version A: %s"
                         % sorted(set(version_a) ^ set(version_b))[:10])
    report["files_changed"] = sum(1 for path in version_a if version_a[path] != version_b[path])

    hashed = {"A": dict((path, (sha256_hex(data), len(data))) for path, data in version_a.items()),
              "B": dict((path, (sha256_hex(data), len(data))) for path, data in version_b.items())}
    report["baseline"] = {"seconds": baseline["seconds"], "wrk": baseline["wrk"],
                          "http": pool_figures(baseline["http"], {"A": hashed["A"]}, missing),
                          "tftp": pool_figures(baseline["tftp"], {"A": hashed["A"]}, missing)}
    report["storm"] = {"seconds": result["seconds"], "wrk": result["wrk"],
                       "http": pool_figures(result["http"], hashed, missing),
                       "tftp": pool_figures(result["tftp"], hashed, missing)}

    log("checking every distinct file of both versions (openssl enc -d, parsers)")
    started = time.monotonic()
    report["validated"] = validate_versions(version_a, version_b, specs, args.jobs)
    report["validate_seconds"] = time.monotonic() - started
    return report


def problems_of(report, args):
    problems = []
    for run_name in ("reference", "reference_paths"):
        problems += ["%s wrk: %s" % (run_name, text) for text in judge_wrk(report[run_name], args.wrk_connections)]
    for run_name in ("baseline", "storm"):
        problems += ["%s wrk: %s" % (run_name, text)
                     for text in judge_wrk(report[run_name]["wrk"], args.wrk_connections)]
        for pool in ("http", "tftp"):
            figures = report[run_name][pool]
            if figures["mismatches"] or figures["errors"]:
                problems.append("%s %s: %d bodies were no complete version (%d shorter than the file), %d errors; "
                                "for example:" % (run_name, pool, figures["mismatches"], figures["partial"],
                                                  figures["errors"]))
                problems += ["    " + example for example in figures["examples"]]
            if not figures["ok"]:
                problems.append("%s %s: no complete fetch at all" % (run_name, pool))
            if not figures["intended_404"]:
                problems.append("%s %s: no path that is not served was asked for" % (run_name, pool))
    # The storm must have seen the files change: both versions fetched.
    for pool in ("http", "tftp"):
        seen = report["storm"][pool]["by_version"]
        if not seen["A"] or not seen["B"]:
            problems.append("storm %s: fetched version A %d times and version B %d times; the load did not span the "
                            "deploy (raise --warmup/--settle)" % (pool, seen["A"], seen["B"]))
    return problems


def milliseconds(seconds):
    return "—" if seconds is None else "%.1f ms" % (seconds * 1000)


def print_table(report, args):
    wrk_options = "-t%d -c%d" % (args.wrk_threads, args.wrk_connections)
    rows = [("reference: one static 4 KB file, no deploy", "wrk %s" % wrk_options, report["reference"], None),
            ("reference: every path, no deploy", "wrk %s, Lua path list" % wrk_options, report["reference_paths"], None)]
    for run_name, label in (("baseline", "baseline: every path, no deploy"),
                            ("storm", "storm: every path, deploy rewriting every file")):
        data = report[run_name]
        rows.append((label, "wrk, Lua path list", data["wrk"], None))
        rows.append((label, "HTTP checker, %d keep-alive clients" % args.http_clients, None, data["http"]))
        rows.append((label, "TFTP, %d tftp-hpa/atftp clients" % args.tftp_clients, None, data["tftp"]))
    print("| run | client | requests | requests/s | p99 latency | 404 (intended) | errors | bodies A / B | "
          "mismatches (partial) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, client, wrk, pool in rows:
        if wrk is not None:
            script = wrk["script"]
            errors = wrk["socket_errors"] + (script["other"] if script else wrk["non_2xx_3xx"])
            print("| %s | %s | %d | %.0f | %s | %s | %d | — | — |"
                  % (label, client, wrk["requests"], wrk["rate"], milliseconds(wrk["p99"]),
                     script["not_found"] if script else "—", errors))
        else:
            versions = pool["by_version"]
            print("| %s | %s | %d | %.0f | %s | %d | %d | %s | %d (%d) |"
                  % (label, client, pool["fetches"], pool["rate"], milliseconds(pool["p99"]), pool["intended_404"],
                     pool["errors"], " / ".join(str(versions[name]) for name in sorted(versions)),
                     pool["mismatches"], pool["partial"]))
    validated = report["validated"]
    print()
    print("devices: %d; files served: %d; changed by the fleet-wide change: %d; load average before the run: %s"
          % (report["devices"], report["files"], report["files_changed"], report["load_average"]))
    print("deploy.yml --tags servers: %.1f s; --tags profiles, version A, no load: %.1f s; "
          "--tags profiles, version B, during the storm: %.1f s"
          % (report["deploy_servers_seconds"], report["deploy_a_seconds"], report["deploy_b_seconds"]))
    print("storm: %.1f s of load (%.0f s before the deploy, %.0f s after it)"
          % (report["storm"]["seconds"], args.warmup, args.settle))
    print("files of versions A and B checked: %d distinct (%d decrypted with openssl enc -d), all parsed; "
          "%d unchanged files name no server; %.1f s"
          % (validated["checked"], validated["openssl"], validated["unchanged_without_marker"],
             report["validate_seconds"]))
    print("TFTP/HTTP requests/s count complete fetches of served files; wrk counts every answer.")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10000, help="phones in the fleet (default 10000)")
    parser.add_argument("--ansible-bin", help="ansible-playbook, or the bin directory of a virtual environment "
                                              "with ansible-core (default: from PATH)")
    parser.add_argument("--module-python", default="/usr/bin/python3",
                        help="ansible_python_interpreter of the lab host: needs python3-apt and cryptography")
    parser.add_argument("--root", default="/srv/sipfleet-boot-storm", help="the served root (TFTP and HTTP); "
                        "must not exist")
    parser.add_argument("--prefix", default="sfb", help="prefix of the lab's network namespaces")
    parser.add_argument("--client-address", default="10.99.20.50", help="the client namespace's address")
    parser.add_argument("--reference-duration", type=int, default=10, help="seconds of each reference and of the "
                        "baseline")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the deploy starts")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds of load after the deploy ends")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=100)
    parser.add_argument("--http-clients", type=int, default=4, help="threads of the HTTP checker")
    parser.add_argument("--tftp-clients", type=int, default=8, help="concurrent TFTP client loops")
    parser.add_argument("--missing-every", type=int, default=50, help="one request in this many asks for an "
                        "unserved path")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel openssl processes")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, key store)")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("boot_storm.py needs root: it creates network namespaces and runs nginx and tftpd-hpa in them")
    for tool in ("wrk", "tftp", "atftp", "openssl", "ip", "bash"):
        if not shutil.which(tool):
            sys.exit("%s is missing (Debian: apt-get install wrk tftp-hpa atftp openssl iproute2)" % tool)
    daemons = running_daemons()
    if daemons:
        sys.exit("nginx or in.tftpd already runs on this machine (%s): the deploy's init scripts would restart "
                 "or skip them; stop them first" % ", ".join(daemons))
    if os.path.lexists(args.root):
        sys.exit("%s exists: give an unused --root (the run deletes it afterwards)" % args.root)
    workdir = tempfile.mkdtemp(prefix="sipfleet-boot-storm.")
    try:
        lab = Lab(args, workdir)
    except BenchError as exc:
        shutil.rmtree(workdir)
        sys.exit(str(exc))
    lab.back_up_system_files()
    try:
        report = measure(args, lab)
    except (BenchError, subprocess.CalledProcessError) as exc:
        print("FAILED: %s" % exc, file=sys.stderr)
        return 1
    finally:
        lab.down()
        lab.restore_system_files()
        shutil.rmtree(args.root, ignore_errors=True)
        if args.keep:
            log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    problems = problems_of(report, args)
    report["problems"] = problems
    print_table(report, args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
    if problems:
        print("\nFAILED:\n  %s" % "\n  ".join(problems), file=sys.stderr)
        return 1
    print("\nno mismatch, no partial body, no error: every answer was the complete version A or B, or an intended 404")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["_http_clients"]:
        http_clients_main(sys.argv[2:])
    elif sys.argv[1:2] == ["_tftp_clients"]:
        tftp_clients_main(sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
