#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: provisioning_fetches
short_description: Find which phones fetched their key-carrying bootstrap file, from the servers' logs
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Reads the bootstrap windows M(sipfleet.provisioning.phone_profiles) keeps in O(state_dir), the nginx access logs
    of the C(sipfleet.provisioning.http_server) role (JSON lines) and the syslog lines of tftpd-hpa, and reports the
    devices that fetched their key-carrying files since their window opened (RV(fetched)) and the devices that proved
    they hold the new keys of a rotation (RV(proven)).
  - Pass RV(fetched) and RV(proven), each merged over every provisioning host, to M(sipfleet.provisioning.key_store)
    (its O(sipfleet.provisioning.key_store#module:fetched) and O(sipfleet.provisioning.key_store#module:proven)) and to
    the next M(sipfleet.provisioning.phone_profiles) run (its
    O(sipfleet.provisioning.phone_profiles#module:bootstrap_fetched) and
    O(sipfleet.provisioning.phone_profiles#module:bootstrap_proven)); C(playbooks/profiles.yml) does so. A fetched key
    carrier stops being served, so a rerun of the deployment moves a device from bootstrap to encrypted-only by itself;
    a proven rotation finishes.
  - An HTTP fetch counts when it is complete (status 200, all bytes). When the User-Agent names a MAC address that is
    not the device's (in one of the forms its vendor declares; each vendor's page under C(docs/vendors/) lists
    them), or the client certificate the server verified is another device's, the fetch does not count and is
    reported in RV(foreign_fetches), since that key must be taken as known to whoever fetched it; rotate it. A fetch
    whose User-Agent is of none of the declared forms, from a vendor whose phones name their MAC, is reported there
    too, and counts as fetched (the key is exposed either way).
  - A TFTP read request counts as a fetch (tftpd-hpa logs no completion). Only lines whose syslog tag is
    C(in.tftpd[PID]:) are read; the same words in another program's message are not.
  - "Proof that a device holds a rotation's new keys (RV(proven)): a complete fetch of one of its rotation files by a
    client whose certificate the server verified (C(ssl_client_verify) C(SUCCESS)) and names the device's MAC
    (C(client_mac)); or, for Cisco, any fetch from the device's new C(GPP_B) directory, a path only the new keys
    reveal. An anonymous fetch is never proof."
  - Each log is read with its rotated generations (C(.1), C(.2.gz), ...), oldest first, line by line. A log that
    does not exist is a warning; one that is a directory or cannot be read fails the task, naming the option and
    the file.
  - "RV(closed) lists the windows this host's state records as closed for any reason (fetched, proven, or unused until
    they expired); pass it, merged over the hosts, to O(sipfleet.provisioning.key_store#module:closed), which records
    them in the key store so a host with a new or lost state directory keeps them closed."
  - Reads only; changes nothing.
requirements:
  - Python 3.9 or later on the managed host, with no library beyond its standard library.
options:
  state_dir:
    description:
      - The O(sipfleet.provisioning.phone_profiles#module:state_dir) of the profiles on this host.
      - "It must be a directory owned by the user running the task and writable by nobody else (as
        M(sipfleet.provisioning.phone_profiles) requires), or the task fails naming it: a state file someone else
        could write would be read as proof. A state directory that does not exist is read as empty (and not
        created)."
    type: path
    default: /var/lib/sipfleet-provisioning
extends_documentation_fragment:
  - sipfleet.provisioning.attributes
  - sipfleet.provisioning.fetch_logs
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
# On every provisioning host: who fetched their bootstrap there.
- name: Read who fetched their bootstrap
  sipfleet.provisioning.provisioning_fetches:
    http_logs: [/var/log/nginx/sipfleet-provisioning.access.log]
    tftp_logs: [/var/log/syslog]
  register: fetches

# Then, in a later play over the same hosts, each host's evidence merged over all of them.
- name: Record the fetches, proofs and closed windows in the key store
  sipfleet.provisioning.key_store:
    path: "{{ inventory_dir }}/sipfleet_keys.vault"
    fetched: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['fetches', 'fetched']) | combine(list_merge='append_rp') }}
    proven: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['fetches', 'proven']) | combine(list_merge='append_rp') }}
    closed: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['fetches', 'closed']) | combine(list_merge='append_rp') }}
  run_once: true
  register: key_store

- name: Stop serving the key carriers that were fetched, on every host
  sipfleet.provisioning.phone_profiles:
    keys: "{{ key_store.device_keys }}"
    next_keys: "{{ key_store.device_next_keys }}"
    roots: [/srv/tftp]
    bootstrap_fetched: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['fetches', 'fetched']) | combine(list_merge='append_rp') }}
    bootstrap_proven: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['fetches', 'proven']) | combine(list_merge='append_rp') }}
    bootstrap_delivered: "{{ key_store.device_delivered }}"
"""

RETURN = r"""
fetched:
  description: "C({MAC: [key id, ...]}): devices that fetched their key-carrying bootstrap, with the id of the keys it carried."
  returned: success
  type: dict
  sample: {"0080f0c8c381": ["3f1c0a9b2d4e5f60"]}
proven:
  description:
    - "C({MAC: [key id, ...]}): devices that proved they hold the keys of that id (the new keys of a rotation): a
      fetch authenticated as the device by its client certificate, or a fetch from its new Cisco C(GPP_B)
      directory. Includes what earlier runs recorded on this host."
  returned: success
  type: dict
  sample: {"88012ba01234": ["9d2e4f60a1b3c5d7"]}
foreign_fetches:
  description:
    - Complete fetches of a device's key carrier by a client that named another MAC address (in its User-Agent or its
      verified client certificate; not counted in RV(fetched)), or that named none although the vendor's phones
      always do (counted in RV(fetched)).
  returned: success
  type: list
  elements: dict
  contains:
    device:
      description: The device whose file was fetched.
      type: str
    path:
      description: The file, with any part that is a key (the Cisco C(GPP_B) directory) masked.
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
    claimed:
      description: The MAC address the client named, or an empty string when it named none.
      type: str
closed:
  description:
    - "C({MAC: [key id, ...]}): the bootstrap windows this host's state records as closed, for any reason (fetched,
      proven, unused until they expired, never served), by the id of the keys they carried."
  returned: success
  type: dict
  sample: {"0080f0c8c381": ["3f1c0a9b2d4e5f60"]}
open_windows:
  description: Number of devices whose bootstrap window is open on this host.
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fetch_log import ARGUMENT_SPEC, run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, module.warn)
    except ProvisioningError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
