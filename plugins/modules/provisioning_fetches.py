#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: provisioning_fetches
short_description: Find which phones fetched their key-carrying bootstrap file, from the servers' logs
version_added: 0.1.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Reads the bootstrap windows M(sipfleet.provisioning.phone_profiles) keeps in O(state_dir), the nginx access logs
    of the M(sipfleet.provisioning.http_server) role (JSON lines) and the syslog lines of tftpd-hpa, and reports the
    devices that fetched their key-carrying bootstrap file since its window opened.
  - Pass RV(fetched), merged over every provisioning host, to the O(sipfleet.provisioning.phone_profiles#module:bootstrap_fetched)
    option of the next M(sipfleet.provisioning.phone_profiles) run; it then stops serving those files, so a rerun
    of the deployment moves a device from bootstrap to encrypted-only by itself.
  - An HTTP fetch counts when it is complete (status 200, all bytes). When the User-Agent names a MAC address that is
    not the device's (Grandstream C(DevId), Cisco MPP and Panasonic C((mac))), the fetch does not count and is
    reported in RV(foreign_fetches), since that key must be taken as known to whoever fetched it; rotate it.
  - A TFTP read request counts as a fetch (tftpd-hpa logs no completion).
  - Reads only; changes nothing.
options:
  state_dir:
    description: The O(sipfleet.provisioning.phone_profiles#module:state_dir) of the profiles on this host.
    type: path
    default: /var/lib/sipfleet-provisioning
  http_logs:
    description: nginx access logs in the JSON format of the C(http_server) role. Missing files are skipped.
    type: list
    elements: path
    default: []
  tftp_logs:
    description: Syslog files that receive tftpd-hpa's messages (run it with C(--verbose)). Missing files are skipped.
    type: list
    elements: path
    default: []
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
  - module: sipfleet.provisioning.phone_profiles
"""

EXAMPLES = r"""
- name: Read who fetched their bootstrap
  sipfleet.provisioning.provisioning_fetches:
    http_logs: [/var/log/nginx/sipfleet-provisioning.access.log]
    tftp_logs: [/var/log/syslog]
  register: fetches

- name: Close the windows of the devices that fetched theirs, on every host
  sipfleet.provisioning.phone_profiles:
    keys: "{{ key_store['keys'] }}"
    roots: [/srv/tftp]
    bootstrap_fetched: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['fetches', 'fetched']) | combine(list_merge='append_rp') }}
"""

RETURN = r"""
fetched:
  description: "C({MAC: [key id, ...]}): devices that fetched their key-carrying bootstrap, with the id of the keys it carried."
  returned: success
  type: dict
  sample: {"0080f0c8c381": ["3f1c0a9b2d4e5f60"]}
foreign_fetches:
  description: Fetches of a device's key carrier by a client that named another MAC address.
  returned: success
  type: list
  elements: dict
  contains:
    device:
      description: The device whose file was fetched.
      type: str
    path:
      description: The file.
      type: str
    client:
      description: The client's address.
      type: str
    user_agent:
      description: The User-Agent it sent.
      type: str
    time:
      description: When, as logged.
      type: str
open_windows:
  description: Number of devices whose bootstrap window is open on this host.
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fetch_log import (
    http_fetches,
    merge_fetched,
    tftp_fetches,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import load_bootstrap_state


def _lines(path):
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                yield raw.decode("utf-8", "replace")
    except FileNotFoundError:
        return


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state_dir=dict(type="path", default="/var/lib/sipfleet-provisioning"),
            http_logs=dict(type="list", elements="path", default=[]),
            tftp_logs=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        state = load_bootstrap_state(module.params["state_dir"])
    except ProvisioningError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    found, foreign = [], []
    for path in module.params["http_logs"]:
        fetched, strangers = http_fetches(_lines(path), state)
        found.append(fetched)
        foreign.extend(strangers)
    for path in module.params["tftp_logs"]:
        found.append(tftp_fetches(_lines(path), state))
    # Deliveries this host recorded earlier count too: a host that joins later,
    # or whose logs were rotated, learns them through the merged result.
    found.append(dict((mac, set([entry["key_id"]])) for mac, entry in state["devices"].items() if entry.get("fetched")))
    open_windows = sum(1 for entry in state["devices"].values() if entry.get("closed") is None)
    for item in foreign:
        module.warn("device %s: its key carrier %s was fetched by %s with User-Agent %r, which names another "
                    "device; rotate its keys" % (item["device"], item["path"], item["client"], item["user_agent"]))
    module.exit_json(changed=False, fetched=merge_fetched(*found), foreign_fetches=foreign,
                     open_windows=open_windows)


if __name__ == "__main__":
    main()
