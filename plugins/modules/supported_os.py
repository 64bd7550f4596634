#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: supported_os
short_description: Stop a role early on a host whose OS family it does not support
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Fails when the host's C(ansible_facts.os_family) is not one of O(os_families), with a message naming the host's
    distribution, version and OS family and the supported families. Each role of the collection runs it as its first
    task, so a host it cannot serve is refused before a package task or a configuration file.
  - "Reads the facts the play already has. Only when C(ansible_facts.os_family) is missing (a play with
    C(gather_facts: false)) it runs M(ansible.builtin.setup) with the C(distribution) subset alone and returns those
    facts, so later tasks see them and no fact is gathered twice."
  - Runs on the controller (an action plugin); it contacts the host only to gather the missing facts.
requirements:
  - Nothing beyond ansible-core; it runs on the controller and, when facts are missing, M(ansible.builtin.setup) on the host.
options:
  os_families:
    description:
      - The OS families (C(ansible_facts.os_family), for example C(Debian), which Debian, Ubuntu and their
        derivatives report) the caller supports.
    type: list
    elements: str
    required: true
  allow_unsupported:
    description:
      - On a host of another family, warn with the same message and succeed instead of failing.
    type: bool
    default: false
extends_documentation_fragment:
  - sipfleet.provisioning.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
seealso:
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Check that the host's OS is one the role supports
  sipfleet.provisioning.supported_os:
    os_families: [Debian]
"""

RETURN = r"""
os_family:
  description: The host's OS family, as C(ansible_facts.os_family).
  returned: always
  type: str
  sample: Debian
distribution:
  description: The host's distribution, as C(ansible_facts.distribution).
  returned: always
  type: str
  sample: Debian
distribution_version:
  description: The host's distribution version, as C(ansible_facts.distribution_version).
  returned: always
  type: str
  sample: "12.11"
supported:
  description: Whether RV(os_family) is one of O(os_families).
  returned: always
  type: bool
  sample: true
"""
