# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: normalize_mac
short_description: Normalise a phone's MAC address to twelve lower-case hex digits
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Accepts C(00:0B:82:12:34:56), C(00-0b-82-12-34-56), C(000b.8212.3456) and C(000B82123456) (any case, surrounding
    white space ignored, one separator throughout) and returns C(000b82123456), the form the collection uses in file
    names and data.
  - Fails, naming the value, on anything else, that is a wrong length, non-hex digits, mixed separators, a multicast or
    broadcast address (least significant bit of the first octet set, such as C(ff:ff:ff:ff:ff:ff)) and the all-zero
    address.
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _input:
    description:
      - The MAC address.
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Name a Grandstream per-device file
  ansible.builtin.debug:
    msg: "cfg{{ '00:0B:82:12:34:56' | sipfleet.provisioning.normalize_mac }}.xml"
  # => cfg000b82123456.xml

- name: Upper case for Panasonic's Config{MAC}.cfg
  ansible.builtin.debug:
    msg: "Config{{ '0080.f0c8.c381' | sipfleet.provisioning.normalize_mac | upper }}.cfg"
  # => Config0080F0C8C381.cfg
"""

RETURN = r"""
_value:
  description:
    - The MAC address as twelve lower-case hex digits without separators.
  type: string
  sample: 000b82123456
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac as _normalize_mac
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import filter_errors


@filter_errors
def normalize_mac(value):
    """Return ``value`` as twelve lower-case hex digits; see DOCUMENTATION."""
    return _normalize_mac(value, field=None)


class FilterModule:
    """MAC address filter."""

    def filters(self):
        return {"normalize_mac": normalize_mac}
