# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write an inventory of N phones of all four vendor families, every one encrypting.

    python3 bench/fleet.py 10000 OUT_DIR [--change INDEX]

OUT_DIR gets ``hosts.yml`` (one provisioning host on connection: local) and
``group_vars/all/fleet.json`` (sipfleet_devices, sipfleet_defaults,
sipfleet_models). ``--change INDEX`` gives device INDEX another display name,
to measure a one-device change.
"""

from __future__ import annotations

import argparse
import json
import os

# (model, MAC prefix): the fleet cycles through them, so each vendor gets a
# quarter of the devices.
MODELS = [
    ("GXP2170", "000b82"),
    ("GRP2614", "c074ad"),
    ("SPA2102", "88012b"),
    ("SPA504G", "e05fb9"),
    ("ATA192", "00562b"),
    ("CP-8841-3PCC", "0c1167"),
    ("KX-UTG300", "0080f0"),
    ("KX-UTG200", "0080f1"),
]

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "ntp_server": "ntp.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "admin_password": "BenchAdmin2026",
    "provisioning_url": "http://prov.example.net",
    "resync_interval": 60,
    "encrypt_profiles": True,
}


def devices(count, changed=None):
    result = []
    for index in range(count):
        model, prefix = MODELS[index % len(MODELS)]
        mac = "%s%06x" % (prefix, index // len(MODELS) + 1)
        extension = str(100000 + index)
        display = "Desk %d" % index + (" (moved)" if index == changed else "")
        result.append({
            "name": "phone-%06d" % index,
            "mac": mac,
            "model": model,
            "lines": [{"extension": extension, "password": "Pw%08dX" % index, "display_name": display}],
        })
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out")
    parser.add_argument("--change", type=int, default=None)
    args = parser.parse_args()
    os.makedirs(os.path.join(args.out, "group_vars", "all"), exist_ok=True)
    with open(os.path.join(args.out, "hosts.yml"), "w") as handle:
        handle.write("provisioning_servers:\n  hosts:\n    prov1:\n      ansible_connection: local\n")
    with open(os.path.join(args.out, "group_vars", "all", "fleet.json"), "w") as handle:
        json.dump({"sipfleet_devices": devices(args.count, args.change), "sipfleet_defaults": DEFAULTS,
                   "sipfleet_models": {}, "sipfleet_sites": {}}, handle)


if __name__ == "__main__":
    main()
