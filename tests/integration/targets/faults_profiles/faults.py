# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Faults of the profile deployment: fleets, one deployment, kill points, digests, openssl checks.

Subcommands (runme.sh calls them; PYTHONPATH must lead to the collection):

``fleet OUT COUNT URL``
    write group_vars for COUNT devices of the four vendors, provisioning URL URL
``change FLEET URL [--devices N]``
    give those group_vars another provisioning URL (a change of every file)
    and, with ``--devices``, more devices
``write PARAMS``
    one ``phone_profiles`` run with the parameters in the JSON file PARAMS:
    the process the kill points kill
``kill WORK --points N --devices N [--seed S]``
    the SIGKILL campaign (see :func:`kill_campaign`)
``decrypt ROOT FLEET STORE MARKER``
    decrypt every encrypted profile under ROOT with the openssl CLI, the keys
    coming from the fleet (inventory keys) or the decrypted key store STORE;
    each must hold MARKER and its device's extension
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _phone_profiles as phone_profiles
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import TEMP_PREFIX
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, renderer_for

# One model of each vendor, with an OUI of that vendor, and the keys
# docs/keys.md documents for it ({name: bytes}).
VENDOR_MODELS = (
    ("grandstream", "GXP2170", "00:0b:82", {"p1359": 32}),
    ("cisco_spa", "SPA2102", "88:01:2b", {"gpp_a": 32, "gpp_b": 16}),
    ("cisco_mpp", "ATA192", "00:56:2b", {"gpp_a": 32, "gpp_b": 16}),
    ("panasonic", "KX-UTG300", "00:80:f0", {"cfg_file_key": 16}),
)
# Every this many devices, one brings its own keys in the inventory
# instead of taking them from the key store.
INVENTORY_KEYS_EVERY = 50
JOURNAL = "in-progress.json"


def fleet_devices(count):
    """``count`` devices, the four vendors in turn; every 50th with keys of its own."""
    devices = []
    for index in range(count):
        dummy, model, oui, specs = VENDOR_MODELS[index % len(VENDOR_MODELS)]
        device = {
            "name": "phone-%04d" % index,
            "mac": "%s:%02x:%02x:%02x" % (oui, (index >> 16) & 255, (index >> 8) & 255, index & 255),
            "model": model,
            "lines": [{"extension": str(10000 + index), "password": "Line%dx%s" % (index, os.urandom(6).hex())}],
        }
        if index % INVENTORY_KEYS_EVERY == 7:
            device["keys"] = dict((name, os.urandom(size).hex()) for name, size in specs.items())
        devices.append(device)
    return devices


def fleet_defaults(url):
    return {"sip_server": "pbx.example.net", "admin_password": "Admin" + os.urandom(6).hex(),
            "provisioning_url": url, "resync_interval": 60}


def write_json(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)


def read_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def store_keys(devices, defaults):
    """The keys the key store generates for the devices without inventory keys, ``{mac: {name: hex}}``."""
    dummy, fleet = load_fleet(devices, defaults)
    wanted = {}
    for device in fleet:
        specs = renderer_for(device).key_specs(device)
        if specs and not device.keys:
            wanted[device.mac] = specs
    return reconcile(empty_store(), wanted).keys


def digest(root):
    """``{relative path: sha256}`` of every regular file under ``root``, temporary files included."""
    result = {}
    for directory, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                result[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return result


def is_temp(path):
    return os.path.basename(path).startswith(TEMP_PREFIX)


def temp_target(path):
    """The served name a staged temporary file ``<dir>/.sipfleet-tmp-<name>.<random>`` becomes."""
    name = os.path.basename(path)[len(TEMP_PREFIX):].rsplit(".", 1)[0]
    return os.path.join(os.path.dirname(path), name)


class Decryptor:
    """Which files of a fleet are encrypted, how the phones decrypt them, and the real openssl CLI doing it."""

    def __init__(self, devices, keys):
        self.by_path = {}
        vendor_of = dict((model, vendor) for vendor, model, dummy, dummy2 in VENDOR_MODELS)
        for device in devices:
            vendor = vendor_of[device["model"]]
            mac = device["mac"].replace(":", "").lower()
            device_keys = device.get("keys") or keys[mac]
            extension = device["lines"][0]["extension"]
            if vendor == "grandstream":
                self.by_path["cfg%s.xml" % mac] = (vendor, device_keys["p1359"], ["-md", "md5"], extension)
            elif vendor in ("cisco_spa", "cisco_mpp"):
                # profile/<gpp_b>/<psn file>: the directory is the device's; the file name its model's.
                digest_name = "md5" if vendor == "cisco_spa" else "sha256"
                self.by_path["profile/%s/" % device_keys["gpp_b"]] = (vendor, device_keys["gpp_a"], ["-md", digest_name],
                                                                      extension)
            else:
                self.by_path["Config%s.enc" % mac.upper()] = (vendor, device_keys["cfg_file_key"], ["-a", "-md", "md5"],
                                                              extension)

    def spec(self, path):
        """``(vendor, key, openssl options, extension)`` of an encrypted file, else ``None``."""
        found = self.by_path.get(path)
        if found is None and path.startswith("profile/"):
            found = self.by_path.get(path.rsplit("/", 1)[0] + "/")
        return found

    def check(self, root, path, markers):
        """Decrypt ``root/path`` with ``openssl enc -d``; a problem as text, or ``None``.

        The plaintext must hold one of ``markers`` (the provisioning URL of a
        version) and the device's extension: a complete, valid profile.
        """
        vendor, key, options, extension = self.spec(path)
        env = dict(os.environ, FAULTS_PROFILE_KEY=key)
        result = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc"] + options
                                + ["-pass", "env:FAULTS_PROFILE_KEY", "-in", os.path.join(root, path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False)
        if result.returncode != 0:
            # openssl 3 warns about the vendors' key derivation on every run; the error is what follows.
            errors = [line for line in result.stderr.decode(errors="replace").splitlines()
                      if line.strip() and "WARNING" not in line and "-pbkdf2" not in line]
            return "%s (%s) does not decrypt with openssl enc -d: %s" % (path, vendor, errors[0] if errors else result.returncode)
        if extension.encode() not in result.stdout:
            return "%s (%s) decrypts to a profile without its extension %s" % (path, vendor, extension)
        if not any(marker.encode() in result.stdout for marker in markers):
            return "%s (%s) decrypts to a profile with none of %s" % (path, vendor, ", ".join(markers))
        return None


# ---------------------------------------------------------------------------
# The SIGKILL campaign


class Version:
    """One inventory version: its parameters file and the bytes a clean render of it gives."""

    def __init__(self, name, url, params_path, expected):
        self.name = name
        self.url = url
        self.marker = url.split("//", 1)[1].split("/", 1)[0]
        self.params_path = params_path
        self.expected = expected


def _params(devices, defaults, keys, root, state_dir):
    return {"devices": devices, "defaults": defaults, "sites": {}, "models": {}, "keys": keys,
            "roots": [root], "state_dir": state_dir, "bootstrap_serve": "always"}


def examine_after_kill(root, state_dir, source, target):
    """What a killed run left: ``(phase, problems)``.

    Every file a phone can request must be the complete ``source`` or
    ``target`` version; a staged temporary file may be incomplete only while
    nobody but root can read it.
    """
    problems = []
    found = digest(root)
    temps = [path for path in found if is_temp(path)]
    served = dict((path, sha) for path, sha in found.items() if not is_temp(path))
    torn = [path for path, sha in sorted(served.items()) if sha not in (source.expected.get(path), target.expected.get(path))]
    if torn:
        problems.append("%d served files are neither the complete old nor the complete new version (%s, ...)"
                        % (len(torn), torn[0]))
    missing = sorted(set(source.expected) & set(target.expected) - set(served))
    if missing:
        problems.append("%d files are missing, a phone would get 404 (%s, ...)" % (len(missing), missing[0]))
    exposed = [path for path in temps if os.stat(os.path.join(root, path)).st_mode & 0o077
               and found[path] != target.expected.get(temp_target(path))]
    for path in exposed:
        st = os.stat(os.path.join(root, path))
        problems.append("the temporary file %s is readable by more than its owner (mode %o) before it is complete (%d bytes)"
                        % (path, st.st_mode & 0o777, st.st_size))
    journal = os.path.join(state_dir, JOURNAL)
    for name in sorted(os.listdir(state_dir)) if os.path.isdir(state_dir) else []:
        if name.endswith(".json"):
            try:
                read_json(os.path.join(state_dir, name))
            except ValueError as exc:
                problems.append("the state file %s is not valid JSON after the kill (%s)" % (name, exc))
    moved = sum(1 for path, sha in served.items()
                if sha == target.expected.get(path) and sha != source.expected.get(path))
    differing = sum(1 for path in target.expected if target.expected[path] != source.expected.get(path))
    if os.path.exists(journal):
        if moved == 0:
            phase = "staged, journal written, before the first rename"
        elif moved < differing:
            phase = "during the renames (old and new files side by side)"
        else:
            phase = "after the renames, journal still present (flush, manifest)"
    elif temps:
        phase = "while staging temporary files (no journal yet)"
    elif moved == 0:
        phase = "before writing (start-up, rendering, planning)"
    elif moved == differing:
        phase = "after the journal was removed (bootstrap state, exit)"
    else:
        phase = "old and new files side by side without a journal"
    return phase, problems


def examine_converged(root, state_dir, target):
    """After a normal rerun: exactly the target version is served, no leftovers anywhere."""
    problems = []
    found = digest(root)
    leftovers = sorted(set(found) - set(target.expected))
    temps = [path for path in leftovers if is_temp(path)]
    if temps:
        problems.append("%d temporary files are left in the root after a normal rerun (%s, ...)" % (len(temps), temps[0]))
    problems.extend("%s is left in the root after a normal rerun" % path for path in leftovers if not is_temp(path))
    stale = [path for path in sorted(target.expected) if found.get(path) != target.expected[path]]
    if stale:
        problems.append("%d files are not the new version after a normal rerun (%s, ...)" % (len(stale), stale[0]))
    for name in sorted(os.listdir(state_dir)):
        if name == JOURNAL or name.startswith(TEMP_PREFIX):
            problems.append("%s is left in the state directory after a normal rerun" % name)
    return problems


def remove_temps(directory):
    """Remove what a kill left behind that no rerun removed, so the next kill point starts clean."""
    removed = 0
    for parent, dummy, names in os.walk(directory):
        for name in names:
            if name.startswith(TEMP_PREFIX):
                os.unlink(os.path.join(parent, name))
                removed += 1
    return removed


WRITING = b"writing\n"
WRITTEN = b"written\n"


def write_once(params_path):
    """One deployment, as the module does it; says on stdout when the writer starts and ends.

    The announcements let kill points aim at the writer, whose part of a run
    is short next to start-up and rendering. ``apply_plans`` itself runs
    unchanged.
    """
    real_apply = phone_profiles.apply_plans

    def announced(*args, **kwargs):
        os.write(1, WRITING)
        result = real_apply(*args, **kwargs)
        os.write(1, WRITTEN)
        return result

    phone_profiles.apply_plans = announced
    run(read_json(params_path))


class Campaign:
    """Deploy one version, kill the change to the other, check, let a rerun repair, repeat."""

    def __init__(self, work, devices, rng):
        self.rng = rng
        self.root = os.path.join(work, "live", "root")
        self.state_dir = os.path.join(work, "live", "state")
        defaults_old = fleet_defaults("http://prov-old.example.net/")
        # The change: another provisioning URL, which every per-device file carries.
        defaults_new = dict(defaults_old, provisioning_url="http://prov-new.example.net/")
        keys = store_keys(devices, defaults_old)
        self.decryptor = Decryptor(devices, keys)
        versions = []
        for name, defaults in (("old", defaults_old), ("new", defaults_new)):
            # The expected bytes: a clean render in a directory of its own.
            clean = os.path.join(work, "clean-" + name)
            run(_params(copy.deepcopy(devices), defaults, keys, clean + "/root", clean + "/state"))
            params_path = os.path.join(work, "params-%s.json" % name)
            write_json(params_path, _params(devices, defaults, keys, self.root, self.state_dir))
            versions.append(Version(name, defaults["provisioning_url"], params_path, digest(clean + "/root")))
        self.old, self.new = versions
        self.encrypted = sorted(path for path in self.new.expected if self.decryptor.spec(path))
        self.current = None

    def deploy(self, version):
        """The real run in a process of its own."""
        return subprocess.Popen([sys.executable, os.path.abspath(__file__), "write", version.params_path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def timed_run(self, version):
        """An unkilled run: ``(seconds in all, seconds the writer takes)``."""
        start = time.monotonic()
        proc = self.deploy(version)
        announced = proc.stdout.readline()
        writing = time.monotonic()
        announced += proc.stdout.readline()
        written = time.monotonic()
        dummy, err = proc.communicate()
        end = time.monotonic()
        if proc.returncode != 0 or announced != WRITING + WRITTEN:
            raise SystemExit("FAIL: a deployment of the %s version failed: %s" % (version.name, err.decode()[-2000:]))
        problems = examine_converged(self.root, self.state_dir, version)
        if problems:
            raise SystemExit("FAIL: an unkilled deployment: " + "; ".join(problems[:5]))
        self.current = version
        return end - start, written - writing

    def kill_point(self, delay, from_writing):
        """Start the change, SIGKILL it ``delay`` s after its start (or its first write); returns ``(phase, problems)``."""
        source = self.current
        target = self.new if source is self.old else self.old
        proc = self.deploy(target)
        if from_writing and proc.stdout.readline() != WRITING:
            proc.wait()
            return "finished before the kill", ["the run ended without writing: %s" % proc.stderr.read().decode()[-500:]]
        time.sleep(delay)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        dummy, err = proc.communicate()
        phase, problems = examine_after_kill(self.root, self.state_dir, source, target)
        if not killed:
            phase = "finished before the kill"
            if proc.returncode != 0:
                problems.append("the run failed by itself: %s" % err.decode()[-500:])
        # A sample of the served encrypted files, one per vendor, through the real openssl CLI.
        by_vendor = {}
        for path in self.encrypted:
            if os.path.exists(os.path.join(self.root, path)):
                by_vendor.setdefault(self.decryptor.spec(path)[0], []).append(path)
        for vendor in sorted(by_vendor):
            problem = self.decryptor.check(self.root, self.rng.choice(by_vendor[vendor]), (source.marker, target.marker))
            if problem:
                problems.append(problem)
        # A normal rerun converges, and the one after it changes nothing.
        try:
            run(read_json(target.params_path))
            again = run(read_json(target.params_path))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # any failure of the rerun is the finding
            problems.append("the rerun failed: %s: %s" % (type(exc).__name__, exc))
        else:
            problems.extend(examine_converged(self.root, self.state_dir, target))
            if again["changed"] or again["written"]:
                problems.append("the second rerun reported changed=%s written=%d" % (again["changed"], again["written"]))
        # What no rerun removed must not spill into the next kill point.
        remove_temps(self.root)
        remove_temps(self.state_dir)
        self.current = target
        return phase, problems


def problem_kind(problem):
    """A problem's text with its numbers, paths and file names left out."""
    return " ".join("..." if any(char.isdigit() for char in word) or "/" in word or TEMP_PREFIX in word else word
                    for word in problem.split())


def kill_campaign(args):
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    rng = random.Random(seed)
    print("kill campaign: seed %d (replay with FAULTS_SEED=%d), %d kill points, %d devices"
          % (seed, seed, args.points, args.devices), flush=True)
    devices = fleet_devices(args.devices)
    campaign = Campaign(os.path.abspath(args.work), devices, rng)
    old, new = campaign.old, campaign.new
    differing = [path for path in new.expected if new.expected[path] != old.expected.get(path)]
    print("%d files per version (%d encrypted), %d differ between the versions" % (
        len(new.expected), len(campaign.encrypted), len(differing)), flush=True)
    if len(campaign.encrypted) != len(devices):
        raise SystemExit("FAIL: %d encrypted files found for %d devices: the fleet's file names are not what "
                         "the vendors' documents say" % (len(campaign.encrypted), len(devices)))
    if len(differing) < len(new.expected) * 0.9:
        raise SystemExit("FAIL: the change touches only %d of %d files" % (len(differing), len(new.expected)))

    # The first good deploy, then unkilled changes back and forth to measure a run.
    timings = [campaign.timed_run(version) for version in (old, new, old, new)][1:]
    whole = max(total for total, dummy in timings)
    writing = max(part for dummy, part in timings)
    print("an unkilled change run takes up to %.2f s, the writer up to %.3f s of it" % (whole, writing), flush=True)
    # A quarter of the kill points over the whole run (start-up, rendering,
    # writing), the rest over the writing; one delay in each of N equal
    # slices of its span, so every part of the span is covered.
    over_whole = max(1, args.points // 4)
    over_writing = args.points - over_whole
    points = [((index + rng.random()) * whole / over_whole, False) for index in range(over_whole)]
    points += [((index + rng.random()) * writing / over_writing, True) for index in range(over_writing)]
    rng.shuffle(points)

    phases = {}
    failures = []
    for number, (delay, from_writing) in enumerate(points, 1):
        where = "kill point %d (%s -> %s, %.3f s after the %s)" % (
            number, campaign.current.name, (new if campaign.current is old else old).name, delay,
            "first write" if from_writing else "start")
        phase, problems = campaign.kill_point(delay, from_writing)
        phases[phase] = phases.get(phase, 0) + 1
        failures.extend("%s, %s: %s" % (where, phase, problem) for problem in problems)

    # The end: every encrypted file served decrypts with the real openssl CLI.
    final = [problem for problem in (campaign.decryptor.check(campaign.root, path, (campaign.current.marker,))
                                     for path in campaign.encrypted) if problem]
    failures.extend("final state: " + problem for problem in final)

    mid_write = sum(count for phase, count in phases.items() if phase not in (
        "finished before the kill", "before writing (start-up, rendering, planning)",
        "after the journal was removed (bootstrap state, exit)"))
    print("kill points tried: %d; landed mid-write: %d" % (len(points), mid_write))
    for phase, count in sorted(phases.items(), key=lambda item: -item[1]):
        print("  %3d  %s" % (count, phase))
    print("final state: %d encrypted files decrypted with openssl enc -d, %d problems"
          % (len(campaign.encrypted), len(final)))
    if failures:
        # One line per kind of problem (the text without its numbers and
        # paths), with how often it happened and its first occurrence.
        kinds = {}
        for failure in failures:
            kinds.setdefault(problem_kind(failure.split(": ", 1)[1]), []).append(failure)
        print("FAIL: %d problems of %d kinds after %d kill points (seed %d):" % (len(failures), len(kinds), len(points), seed))
        for kind, occurrences in kinds.items():
            print("  %d x %s\n      first: %s" % (len(occurrences), kind, occurrences[0]))
        return 1
    print("every kill point left complete old or new files; every rerun converged")
    return 0


# ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fleet = sub.add_parser("fleet")
    fleet.add_argument("out")
    fleet.add_argument("count", type=int)
    fleet.add_argument("url")
    change = sub.add_parser("change")
    change.add_argument("fleet")
    change.add_argument("url")
    change.add_argument("--devices", type=int, default=0)
    write = sub.add_parser("write")
    write.add_argument("params")
    kill = sub.add_parser("kill")
    kill.add_argument("work")
    kill.add_argument("--points", type=int, default=80)
    kill.add_argument("--devices", type=int, default=300)
    kill.add_argument("--seed", type=int)
    decrypt = sub.add_parser("decrypt")
    decrypt.add_argument("root")
    decrypt.add_argument("fleet")
    decrypt.add_argument("store")
    decrypt.add_argument("marker")
    args = parser.parse_args()

    if args.command == "write":
        write_once(args.params)
        return 0
    if args.command == "kill":
        return kill_campaign(args)
    if args.command == "fleet":
        write_json(args.out, {"sipfleet_devices": fleet_devices(args.count), "sipfleet_defaults": fleet_defaults(args.url)})
        return 0
    if args.command == "change":
        data = read_json(args.fleet)
        data["sipfleet_defaults"]["provisioning_url"] = args.url
        data["sipfleet_devices"].extend(fleet_devices(args.devices)[len(data["sipfleet_devices"]):])
        write_json(args.fleet, data)
        return 0
    inventory = read_json(args.fleet)
    store = read_json(args.store)["devices"]
    decryptor = Decryptor(inventory["sipfleet_devices"], store)
    found = sorted(path for path in digest(args.root) if decryptor.spec(path))
    problems = [problem for problem in (decryptor.check(args.root, path, (args.marker,)) for path in found) if problem]
    if len(found) != len(inventory["sipfleet_devices"]):
        problems.append("%d encrypted profiles under %s for %d devices" % (len(found), args.root, len(inventory["sipfleet_devices"])))
    for problem in problems[:10]:
        print("FAIL: " + problem)
    if not problems:
        print("%s: %d encrypted profiles decrypt with openssl enc -d and carry %s" % (args.root, len(found), args.marker))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
