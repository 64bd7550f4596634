# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write an inventory of N phones of every vendor family, each as protected as its family allows.

    python3 bench/fleet.py 10000 OUT_DIR [--change INDEX] [--sites N] [--sources DIR] [--classic]

OUT_DIR gets ``hosts.yml`` (one provisioning host on connection: local) and
``group_vars/all/fleet.json`` (sipfleet_devices, sipfleet_defaults,
sipfleet_sites, sipfleet_models). ``--change INDEX`` gives device INDEX
another display name, to measure a one-device change. ``--sites N`` spreads
the devices over N sites (contiguous blocks), each with its own time zone
and NTP server, so that a host can serve a shard of them (sipfleet_shard).

``--classic`` writes the fleet of the benchmarks before issue 18 instead,
byte for byte: the four families that encrypt (Grandstream, Cisco SPA,
Cisco MPP, Panasonic), one line a device, no sites, no model settings;
bench/boot_storm.py and bench/fleet_status.py check those families' files
and keep it.

``--sources DIR`` also writes the same devices as the ``devices`` lookup
reads them: one JSON file per device under ``DIR/devices/<site>/`` and all
of them as one scan CSV ``DIR/fleet.csv``, with two inventories around
them that name them in ``sipfleet_device_sources`` instead of holding
``sipfleet_devices``: ``DIR/inventory-files/`` (the per-device files) and
``DIR/inventory-csv/`` (the CSV).
"""

from __future__ import annotations

import argparse
import csv
import json
import os

# (model, MAC prefix): the fleet cycles through them, so each of the eight
# vendor families gets an eighth of the devices. The prefixes are the
# vendors' own OUIs where one is common (Grandstream 000b82, Yealink 805ec0,
# Poly 0004f2, Snom 000413, Fanvil 0c383e, Panasonic 0080f0), one per model
# so that every MAC is unique.
MODELS = [
    ("GXP2170", "000b82"),
    ("GRP2614", "c074ad"),
    ("SPA2102", "88012b"),
    ("SPA504G", "e05fb9"),
    ("ATA192", "00562b"),
    ("CP-8841-3PCC", "0c1167"),
    ("KX-UTG300", "0080f0"),
    ("KX-UTG200", "0080f1"),
    ("T46U", "805ec0"),
    ("T54W", "249ad8"),
    ("VVX450", "0004f2"),
    ("VVX250", "64167f"),
    ("D785", "000413"),
    ("D735", "000414"),
    ("X6", "0c383e"),
    ("X5S", "0c383f"),
]

#: Models with one SIP account (the Fanvil X6 and X5S): the others have two or more.
SINGLE_LINE_MODELS = ("X6", "X5S")

#: Every second phone of a model that has two accounts or more gets a second
#: line (a shared or personal second number).
SECOND_LINE_EVERY = 2

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "sip_server_secondary": "pbx2.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "snom_timezone": "GER+1",
    "language": "de",
    "admin_password": "BenchAdmin2026",
    "provisioning_url": "http://prov.example.net",
    "resync_interval": 60,
    "syslog_server": "syslog.example.net",
    "encrypt_profiles": True,
}

# The families whose files no public encryption covers (Yealink's own mode is
# an obfuscation, docs/vendors/yealink.md): their own files are protected by
# per-device HTTP credentials, which the servers ask for
# (http_server_device_credentials_enabled; the benchmark's playbook tells
# phone_profiles so with http_credentials_enforced).
_CREDENTIALS = {"encrypt_profiles": False, "http_credentials": True}

_KEYS = [
    {"type": "line", "line": 1},
    {"type": "blf", "value": "100000", "label": "Reception"},
]
_YEALINK_KEYS = _KEYS + [{"type": "speed_dial", "value": "+4930123456", "label": "Office"}]

MODEL_SETTINGS = {
    "T46U": dict(_CREDENTIALS, function_keys=_YEALINK_KEYS),
    "T54W": dict(_CREDENTIALS, function_keys=_YEALINK_KEYS),
    "VVX450": dict(_CREDENTIALS),
    "VVX250": dict(_CREDENTIALS),
    "D785": dict(_CREDENTIALS),
    "D735": dict(_CREDENTIALS),
    # Fanvil's DST codes are unsure (docs/vendors/fanvil.md): its phones take
    # a zone without DST, which wins over the sites' zones (model > site).
    "X6": dict(_CREDENTIALS, timezone="CET-1"),
    "X5S": dict(_CREDENTIALS, timezone="CET-1"),
}

# (IANA zone, Snom's code, language) of the sites, in turn.
_SITE_ZONES = [
    ("Europe/Berlin", "GER+1", "de"),
    ("Europe/London", "GBR-0", "en"),
    ("Europe/Paris", "FRA+1", "fr"),
    ("America/New_York", "USA-5", "en"),
    ("Europe/Madrid", "ESP+1", "es"),
    ("Europe/Rome", "ITA+1", "it"),
    ("Europe/Amsterdam", "NLD+1", "nl"),
    ("America/Chicago", "USA-6", "en"),
]


# The fleet before issue 18 (--classic): an eighth each of these models.
CLASSIC_MODELS = MODELS[:8]

CLASSIC_DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "admin_password": "BenchAdmin2026",
    "provisioning_url": "http://prov.example.net",
    "resync_interval": 60,
    "encrypt_profiles": True,
}


def classic_devices(count, changed=None):
    """The devices of the fleet before issue 18: four families, one line each."""
    result = []
    for index in range(count):
        model, prefix = CLASSIC_MODELS[index % len(CLASSIC_MODELS)]
        mac = "%s%06x" % (prefix, index // len(CLASSIC_MODELS) + 1)
        extension = str(100000 + index)
        display = "Desk %d" % index + (" (moved)" if index == changed else "")
        result.append({
            "name": "phone-%06d" % index,
            "mac": mac,
            "model": model,
            "lines": [{"extension": extension, "password": "Pw%08dX" % index, "display_name": display}],
        })
    return result


def classic_inventory(count, changed=None):
    return {"sipfleet_devices": classic_devices(count, changed), "sipfleet_defaults": CLASSIC_DEFAULTS,
            "sipfleet_models": {}, "sipfleet_sites": {}}


def site_name(index):
    return "site-%03d" % index


def sites(count):
    """``sipfleet_sites`` of ``count`` sites: each its own time zone, NTP server and language."""
    result = {}
    for index in range(count):
        zone, snom_zone, language = _SITE_ZONES[index % len(_SITE_ZONES)]
        result[site_name(index)] = {"timezone": zone, "snom_timezone": snom_zone, "language": language,
                                    "ntp_server": "ntp.%s.example.net" % site_name(index)}
    return result


def devices(count, changed=None, site_count=1):
    """The fleet's devices: models in turn, contiguous blocks of devices per site."""
    result = []
    for index in range(count):
        model, prefix = MODELS[index % len(MODELS)]
        mac = "%s%06x" % (prefix, index // len(MODELS) + 1)
        extension = str(100000 + index)
        display = "Desk %d" % index + (" (moved)" if index == changed else "")
        lines = [{"extension": extension, "password": "Pw%08dX" % index, "display_name": display}]
        if (index // len(MODELS)) % SECOND_LINE_EVERY == 0 and model not in SINGLE_LINE_MODELS:
            lines.append({"extension": str(500000 + index), "password": "Sh%08dY" % index,
                          "display_name": "Team %d" % (index // 10)})
        result.append({
            "name": "phone-%06d" % index,
            "mac": mac,
            "model": model,
            "site": site_name(index * site_count // count),
            "lines": lines,
        })
    return result


def inventory(count, changed=None, site_count=1):
    """The inventory variables; ``sipfleet_devices`` holds the devices."""
    return {"sipfleet_devices": devices(count, changed, site_count), "sipfleet_defaults": DEFAULTS,
            "sipfleet_models": MODEL_SETTINGS, "sipfleet_sites": sites(site_count)}


CSV_COLUMNS = ["name", "mac", "model", "site", "extension", "password", "display_name",
               "line2_extension", "line2_password", "line2_display_name"]


def csv_row(device):
    row = {"name": device["name"], "mac": device["mac"], "model": device["model"], "site": device["site"]}
    for number, line in enumerate(device["lines"], 1):
        prefix = "" if number == 1 else "line%d_" % number
        for field in ("extension", "password", "display_name"):
            row[prefix + field] = line[field]
    return row


def write_inventory(directory, variables):
    os.makedirs(os.path.join(directory, "group_vars", "all"), exist_ok=True)
    with open(os.path.join(directory, "hosts.yml"), "w") as handle:
        handle.write("provisioning_servers:\n  hosts:\n    prov1:\n      ansible_connection: local\n")
    with open(os.path.join(directory, "group_vars", "all", "fleet.json"), "w") as handle:
        json.dump(variables, handle)


def write_sources(directory, variables):
    """The devices as per-device JSON files and as one CSV, and the two inventories naming them."""
    directory = os.path.abspath(directory)
    fleet = variables["sipfleet_devices"]
    made = set()
    for device in fleet:
        site_dir = os.path.join(directory, "devices", device["site"])
        if site_dir not in made:
            os.makedirs(site_dir, exist_ok=True)
            made.add(site_dir)
        with open(os.path.join(site_dir, device["name"] + ".json"), "w") as handle:
            json.dump(device, handle)
    with open(os.path.join(directory, "fleet.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS, restval="")
        writer.writeheader()
        for device in fleet:
            writer.writerow(csv_row(device))
    shared = dict((name, value) for name, value in variables.items() if name != "sipfleet_devices")
    write_inventory(os.path.join(directory, "inventory-files"),
                    dict(shared, sipfleet_device_sources=[os.path.join(directory, "devices")]))
    write_inventory(os.path.join(directory, "inventory-csv"),
                    dict(shared, sipfleet_device_sources=[os.path.join(directory, "fleet.csv")]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out")
    parser.add_argument("--change", type=int, default=None)
    parser.add_argument("--sites", type=int, default=1, help="spread the devices over N sites (default 1)")
    parser.add_argument("--sources", metavar="DIR", help="also write the devices as files the devices lookup reads")
    parser.add_argument("--classic", action="store_true",
                        help="the fleet before issue 18: four families, one line, no sites")
    args = parser.parse_args()
    if args.sites < 1 or args.sites > max(args.count, 1):
        parser.error("--sites must be between 1 and the number of devices")
    if args.classic and args.sites != 1:
        parser.error("--classic has no sites")
    if args.classic:
        variables = classic_inventory(args.count, args.change)
    else:
        variables = inventory(args.count, args.change, args.sites)
    write_inventory(args.out, variables)
    if args.sources:
        write_sources(args.sources, variables)


if __name__ == "__main__":
    main()
