# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: device_htpasswd
short_description: The nginx password file of per-device HTTP credentials
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - One C(<user>:{SSHA}...) line per device password, sorted; the user name is the device's MAC as twelve lower-case
    hex digits, a dash and the first four hex digits of the SHA-256 of C(sipfleet-http-user:) and the password, so
    nginx can compare its MAC with the MAC in a requested path (role C(sipfleet.provisioning.http_server),
    O(sipfleet.provisioning.http_server#role:main:http_server_device_credentials_enabled)), and a device whose rotation runs has two users, both valid.
  - The salt is the MAC, so the same password gives the same line and an unchanged file stays unchanged. The
    passwords are random key-store secrets; C({SSHA}) is nginx's salted SHA-1 scheme, cheap for nginx to check on
    every request.
  - Fails, naming the device and the field, on a bad MAC, an empty or multi-line password or a device given twice.
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _input:
    description: Devices as a list of C({mac, password}).
    type: list
    elements: dict
    required: true
  device_keys:
    description: The key store's per-device keys (a MAC to key name to hex mapping); devices with O(key_name) are added.
    type: dict
    default: {}
  key_name:
    description: The key that holds a device's HTTP password.
    type: string
    default: http_password
  next_keys:
    description:
      - The key store's C(device_next_keys). Each device whose rotation runs also gets a line with its new password.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the per-device password file
  ansible.builtin.copy:
    content: "{{ [] | sipfleet.provisioning.device_htpasswd(sipfleet_key_store.device_keys) }}"
    dest: /etc/nginx/sipfleet-provisioning/device-htpasswd
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_value:
  description: The file's text, one C(<mac>-<4 hex>:{SSHA}<base64>) line per device password.
  type: string
  sample: "805ec0000001-3f0a:{SSHA}nvK1o1GoYZ6o9yU1JzEzj1kA4rGAXsAAAAE=\n"
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils._http_credentials import (
    DEFAULT_KEY_NAME,
    device_htpasswd as _device_htpasswd,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import filter_errors


@filter_errors
def device_htpasswd(credentials, device_keys=None, key_name=DEFAULT_KEY_NAME, next_keys=None):
    """The password file of ``credentials``, ``device_keys`` and ``next_keys``; see DOCUMENTATION."""
    return _device_htpasswd(credentials, device_keys, key_name, next_keys)


class FilterModule:
    """Per-device HTTP credentials filter."""

    def filters(self):
        return {"device_htpasswd": device_htpasswd}
