# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wait until both runs of a round have arrived: barrier.py DIRECTORY NAME.

Ansible starts up in a few seconds whose length varies; this lines the two
runs up to within milliseconds of each other before their key_store task.
"""

from __future__ import annotations

import os
import sys
import time

directory, name = sys.argv[1:]
os.makedirs(directory, exist_ok=True)
with open(os.path.join(directory, name), "w", encoding="ascii"):
    pass
deadline = time.monotonic() + 120
while len(os.listdir(directory)) < 2:
    if time.monotonic() > deadline:
        sys.exit("the other run never reached the barrier in %s" % directory)
    time.sleep(0.002)
