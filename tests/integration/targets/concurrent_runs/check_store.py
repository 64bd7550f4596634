# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key store's side of one round: check_store.py STORE_JSON ROUND_DIR RESULTS_DIR ROUND.

STORE_JSON is the decrypted store; ROUND_DIR holds the round's device lists
(shared.json, own-a.json, own-b.json); RESULTS_DIR the key ids each run's
key_store task returned ("<run>-<round>.json"). Prints one line per problem
(MACs and key ids only, never a key) and exits 1 if there is any.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys


def key_id(keys):
    """As plugins/module_utils/_key_store.py computes it."""
    material = "|".join("%s=%s" % (name, keys[name]) for name in sorted(keys))
    return hashlib.sha256(("sipfleet-key-id|" + material).encode("utf-8")).hexdigest()[:16]


def macs(path):
    with open(path, encoding="utf-8") as handle:
        return [device["mac"].replace(":", "").lower() for device in json.load(handle)]


def main():
    store_path, round_dir, results_dir, round_number = sys.argv[1:]
    with open(store_path, encoding="utf-8") as handle:
        devices = json.load(handle)["devices"]
    problems = []
    stored = {}
    for mac, entry in devices.items():
        keys = dict((name, value) for name, value in entry.items()
                    if name not in ("created", "rotated", "next", "delivered"))
        if sorted(keys) != ["p1359"] or len(keys["p1359"]) != 64:
            problems.append("%s: the store holds %s, not one 64-digit p1359" % (mac, sorted(keys)))
        stored[mac] = key_id(keys)
    shared = macs(os.path.join(round_dir, "shared.json"))
    wanted = set(shared)
    returned = {}
    for run in ("a", "b"):
        own = macs(os.path.join(round_dir, "own-%s.json" % run))
        wanted.update(own)
        result = os.path.join(results_dir, "%s-%s.json" % (run, round_number))
        if not os.path.exists(result):
            problems.append("run %s: its key_store task returned nothing (it failed, see its output)" % run)
            continue
        with open(result, encoding="utf-8") as handle:
            returned[run] = json.load(handle)
        for mac in shared + own:
            if mac not in returned[run]:
                problems.append("run %s: no keys returned for %s" % (run, mac))
            elif stored.get(mac) != returned[run][mac]:
                problems.append("run %s: returned key id %s for %s, the store holds %s: a phone bootstrapped by "
                                "this run would be locked out" % (run, returned[run][mac], mac, stored.get(mac)))
    for mac in sorted(wanted - set(stored)):
        problems.append("%s: no keys in the store (a run's generated keys were lost)" % mac)
    if len(returned) == 2:
        for mac in shared:
            if returned["a"].get(mac) != returned["b"].get(mac):
                problems.append("%s: the two runs returned different keys (ids %s and %s)"
                                % (mac, returned["a"].get(mac), returned["b"].get(mac)))
    for problem in problems:
        print(problem)
    print("%d devices in the store, %d wanted this round, %d problem(s)" % (len(stored), len(wanted), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
