# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write two provisioning hosts' fleet_status results for a fleet of N devices.

    gen_status.py DIR N

DIR/prov-1.json and DIR/prov-2.json are what fleet_status returns on each
host (STATUS17's document), DIR/expected.json what the merged page must show
for the checks of browser.py: the device whose contact is the oldest and the
newest, the first name in natural order, how many rows there are in each
state and how many devices of site "lisbon" in each state. The
fleet is made from a fixed seed, so every run tests the same page:

- every 10th device fetched from both hosts, at different times (the later
  one wins);
- every 7th device never seen; every 11th seen 10-30 days ago (stale with the
  default 7 days); every 6th got an old version of its file (outdated);
- 30 unknown MACs, 10 of them on both hosts with different sightings, and
  12 more left out of the hosts' lists (unknown_dropped);
- one device whose name-like fields and User-Agent carry markup and a
  closing script tag, which must stay text.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import sys

GENERATED = datetime.datetime(2026, 12, 6, 16, 30, 0, tzinfo=datetime.timezone.utc)
MODELS = [
    ("grandstream", "GXP2170", "000b82", "1.0.11.16"),
    ("grandstream", "GXP2160", "000b82", "1.0.11.10"),
    ("cisco_spa", "SPA504G", "0018b9", "7.6.2"),
    ("cisco_mpp", "CP-8841-3PCC", "00eebd", "12.0.1"),
    ("panasonic", "KX-HDV230", "0080f0", "12.050"),
    ("yealink", "T46U", "805ec0", "108.86.0.45"),
    ("poly", "VVX450", "0004f2", "6.4.6.0123"),
    ("snom", "D785", "000413", "10.1.159.12"),
    ("fanvil", "X4U", "0c383e", "2.12.10"),
]
SITES = ["berlin", "hamburg", "lisbon", "paris", None]
UNKNOWN_DROPPED = {"prov-1": 5, "prov-2": 7}
HOSTILE = '</script><b id="injected">x</b><img src=x onerror="window.injected=1">'


def natural(name):
    """The page's natural order: case-insensitive, digit runs by value."""
    return re.sub(r"\d+", lambda match: match.group().rjust(12, "0"), name.lower())


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    out_dir, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(17)
    hosts = {"prov-1": [], "prov-2": []}
    unknown = {"prov-1": [], "prov-2": []}
    merged = []
    for number in range(count):
        vendor, model, oui, firmware = MODELS[number % len(MODELS)]
        name = "%s-%05d" % (SITES[number % len(SITES)] or "hq", number)
        mac = "%s%06x" % (oui, number)
        site = SITES[number % len(SITES)]
        base = {"device": name, "mac": mac, "vendor": vendor, "model": model, "site": site}
        # Distinct seconds: the oldest and the newest contact are one device each.
        if number % 11 == 0:
            age = datetime.timedelta(days=10 + number % 20, seconds=number)
        else:
            age = datetime.timedelta(seconds=60 + number * 7 + rng.randrange(5))
        seen = number % 7 != 0
        current = number % 6 != 1
        views = {}
        fetch_hosts = ["prov-1", "prov-2"] if number % 10 == 0 else ["prov-%d" % (1 + number % 2)]
        for index, host in enumerate(fetch_hosts):
            # The second host of a pair saw an older fetch of an old version.
            host_age = age + datetime.timedelta(hours=5 * index)
            fetch = None
            if seen:
                user_agent = "%s %s SW %s DevId %s" % (vendor, model, firmware, mac)
                if number == 43:
                    user_agent = HOSTILE
                fetch = {"time": iso(GENERATED - host_age), "host": host, "client": "10.99.%d.%d"
                         % (number // 250, number % 250 + 2), "scheme": ["http", "https", "tftp"][number % 3],
                         "path": "cfg%s.xml" % mac, "status": None if number % 3 == 2 else 200,
                         "user_agent": user_agent}
            own_files = []
            if fetch is not None:
                # Its own file's last fetch: what the merge judges current from, per file.
                own_files = [{"path": fetch["path"], "time": fetch["time"], "current": bool(current and index == 0)}]
            views[host] = dict(base, last_fetch=fetch, own_files=own_files, last_refused=None,
                               reported={"model": model if seen else None,
                                         "firmware": (HOSTILE if number == 43 else firmware) if seen else None,
                                         "mac": mac if seen else None},
                               current=bool(seen and (current and index == 0)),
                               mismatch=["model"] if seen and number % 97 == 0 else [],
                               bootstrap="closed",
                               days_since_contact=None if fetch is None else host_age.total_seconds() / 86400.0,
                               state="never_seen")
        for host in hosts:
            unseen = {"model": None, "firmware": None, "mac": None}
            view = views.get(host) or dict(base, last_fetch=None, reported=unseen, current=False, mismatch=[],
                                           bootstrap="none", days_since_contact=None, state="never_seen",
                                           own_files=[], last_refused=None)
            if view["last_fetch"] is not None:
                days = view["days_since_contact"]
                view["state"] = "stale" if days > 7 else ("current" if view["current"] else "outdated")
            hosts[host].append(view)
        state = "never_seen"
        if seen:
            # The merge compares the days rounded to three decimals, as it reports them (7.0004 is 7.0, not
            # stale): past 10,000 devices some ages are that close to the 7 days.
            days = round(age.total_seconds() / 86400.0, 3)
            state = "stale" if days > 7 else ("current" if current else "outdated")
        merged.append({"device": name, "site": site, "state": state, "age": age.total_seconds() if seen else None})

    for number in range(30):
        mac = "0004f2ff%04x" % number
        last = GENERATED - datetime.timedelta(minutes=3 * number + 1)
        entry = {"mac": mac, "vendor": "poly", "model": "VVX450", "firmware": "6.4.6.0123",
                 "first_seen": iso(last - datetime.timedelta(days=1)), "last_seen": iso(last),
                 "client": "10.99.200.%d" % (number + 2), "paths": ["%s.cfg" % mac],
                 "suggested_name": "unknown-%s" % mac}
        if number == 5:
            entry["model"] = HOSTILE
        unknown["prov-1"].append(entry)
        if number < 10:
            unknown["prov-2"].append(dict(entry, last_seen=iso(last + datetime.timedelta(seconds=30)),
                                          client="10.99.201.%d" % (number + 2),
                                          paths=["%s-sipfleet.cfg" % mac]))

    for host in hosts:
        # Each host left some unknown MACs out of its list (unknown_limit): the page says how many.
        document = {"generated": iso(GENERATED), "hosts": [host], "devices": hosts[host], "unknown": unknown[host],
                    "unknown_dropped": UNKNOWN_DROPPED[host], "counts": {}, "changed": False}
        with open(os.path.join(out_dir, "%s.json" % host), "w", encoding="utf-8") as handle:
            json.dump(document, handle)

    # Every row with a contact, unknown MACs too (merged: their latest sighting).
    contacts = [(item["age"], item["device"]) for item in merged if item["age"] is not None]
    for number in range(30):
        contacts.append(((3 * number + 1) * 60 - (30 if number < 10 else 0), "unknown-0004f2ff%04x" % number))
    contacts.sort()
    lisbon = {}
    for item in merged:
        if item["site"] == "lisbon":
            lisbon[item["state"]] = lisbon.get(item["state"], 0) + 1
    states = {"unknown": 30}
    for item in merged:
        states[item["state"]] = states.get(item["state"], 0) + 1
    names = [item["device"] for item in merged] + ["unknown-0004f2ff%04x" % number for number in range(30)]
    expected = {
        "rows": count + 30,
        "states": states,
        "first_name": min(names, key=natural),
        "devices": count,
        "unknown": 30,
        "unknown_dropped": sum(UNKNOWN_DROPPED.values()),
        "oldest": contacts[-1][1],
        "newest": contacts[0][1],
        "lisbon": lisbon,
        "hostile_device": "%s-%05d" % (SITES[43 % len(SITES)] or "hq", 43),
        "hostile": HOSTILE,
    }
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as handle:
        json.dump(expected, handle, indent=1)


if __name__ == "__main__":
    main()
