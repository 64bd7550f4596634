#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_status
short_description: Report which phones fetched their current profile, which went silent and which unknown phones asked
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Reads the inventory, the manifests M(sipfleet.provisioning.phone_profiles) keeps for O(roots) in O(state_dir), its
    bootstrap state, and the servers' logs (the JSON access log of the C(http_server) role, tftpd-hpa's syslog lines),
    and reports per device its last fetch, the model, firmware and MAC its User-Agent reports, whether its last fetch
    of each of its own files got the current version, its bootstrap window and the days since its last contact; and
    the MAC addresses that asked for device files but are not in the inventory.
  - A request belongs to the device whose MAC its path holds (the device-file patterns each vendor declares), or else
    to the device whose MAC its User-Agent names (a phone fetching a shared file).
  - "Only a served request is a contact (HTTP status 200, 206 or 304, or a tftpd-hpa read request): anyone may ask for
    a device's file, so a refused one (any other status) is reported as the device's RV(devices[].last_refused) and
    changes neither its RV(devices[].last_fetch) nor its state."
  - "tftpd-hpa logs a read request before it knows whether the file exists, so a TFTP request counts for an inventory
    device only when its path is one of the files a manifest records as that device's; any other path is ignored for
    the device (it still makes an unknown MAC unknown). TFTP has no authentication: a request for a real file name is
    indistinguishable from the phone's."
  - "A device is C(current) when it was seen within O(stale_days) and the last fetch of each of its own files that it
    fetched got the manifest's version: made no earlier than the file was written and, over HTTP, a 200 with exactly
    the file's size or a 304 (nginx answers it only to the file's exact time); over TFTP the request is all the log
    shows. It is C(outdated) when seen within O(stale_days) otherwise (a file it last fetched is not the current
    version, or it was seen only through shared files), C(stale) when its last contact is older, and C(never_seen)
    when no served request is its."
  - Each log is read with its rotated generations (C(.1), C(.2.gz), ...), oldest first, line by line, once, and never
    kept. Per inventory device its last fetch, its last refusal and the last fetch of each of its manifest files are
    kept (bounded by the inventory and the manifests); at most O(unknown_limit) unknown MACs are listed, and each
    further one costs one number (to count it in RV(unknown_dropped)). Lines that are not access log records are
    counted in RV(log_lines) and skipped.
  - The inventory options default to the variables C(sipfleet_devices), C(sipfleet_defaults), C(sipfleet_sites) and
    C(sipfleet_models), read by the action plugin without templating every device and handed to the host in a file.
  - "With the variable C(sipfleet_device_sources) (the P(sipfleet.provisioning.devices#lookup) lookup's files), the
    action reads the devices from those files on the controller instead of C(sipfleet_devices); both defined, or
    C(sipfleet_device_sources) with O(devices), fails naming both."
  - Nothing in the result is secret; a path part that is a key (the Cisco C(GPP_B) directory) is masked.
  - Reads only; changes nothing.
requirements:
  - Python 3.9 or later on the managed host, with no library beyond its standard library.
  - the time-zone database (tzdata on Debian and Ubuntu) on the managed host, for a device whose timezone is an IANA
    name
options:
  devices:
    description:
      - The devices, as for M(sipfleet.provisioning.phone_profiles); defaults to C(sipfleet_devices), or the devices
        of the files of C(sipfleet_device_sources).
    type: list
    elements: dict
  defaults:
    description:
      - Fleet-wide defaults; defaults to C(sipfleet_defaults).
    type: dict
  sites:
    description:
      - Sites; defaults to C(sipfleet_sites).
    type: dict
  models:
    description:
      - Model overrides; defaults to C(sipfleet_models).
    type: dict
  inventory_file:
    description:
      - A JSON file holding O(devices), O(defaults), O(sites) and O(models); the action plugin writes it. Give either
        this or the inventory.
    type: path
  roots:
    description:
      - The served roots whose manifests say which files are each device's and their current size and time (the
        O(sipfleet.provisioning.phone_profiles#module:roots) of this host).
    type: list
    elements: path
    required: true
  state_dir:
    description:
      - The O(sipfleet.provisioning.phone_profiles#module:state_dir) of the profiles on this host.
      - It must be owned by the user running the task and writable by nobody else, or the task fails naming it. A
        manifest or bootstrap state that this collection did not write fails the task naming the file.
    type: path
    default: /var/lib/sipfleet-provisioning
  stale_days:
    description:
      - A device whose last contact is older than this many days is C(stale).
    type: float
    default: 7.0
  host:
    description:
      - The name this host is reported under in RV(hosts) and each fetch's C(host); the machine's host name when
        omitted.
    type: str
  unknown_limit:
    description:
      - At most this many unknown MACs are listed in RV(unknown), those read last (a scan of thousands of
        made-up MACs must not grow the result, the page and C(unknown-devices.yml) without bound); the others are
        counted in RV(unknown_dropped). V(0) lists none.
      - Must be a whole number, 0 or more.
    type: int
    default: 1000
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
  - module: sipfleet.provisioning.provisioning_fetches
"""

EXAMPLES = r"""
- name: Read the state of the fleet from this host's logs
  sipfleet.provisioning.fleet_status:
    roots: [/srv/tftp]
    http_logs: [/var/log/nginx/sipfleet-provisioning.access.log]
    tftp_logs: [/var/log/syslog]
    host: "{{ inventory_hostname }}"
  register: fleet_status

- name: List the phones that did not pick up their profile
  ansible.builtin.debug:
    msg: "{{ fleet_status.devices | selectattr('state', 'equalto', 'outdated') | map(attribute='device') | list }}"
"""

RETURN = r"""
generated:
  description: When the status was built (UTC, ISO 8601).
  returned: success
  type: str
  sample: "2026-12-06T16:30:00Z"
hosts:
  description: The host whose logs were read (O(host)).
  returned: success
  type: list
  elements: str
counts:
  description:
    - Number of devices in each state (C(current), C(outdated), C(stale), C(never_seen)) and of unknown MACs listed
      (C(unknown); RV(unknown_dropped) more were left out).
  returned: success
  type: dict
  sample: {"current": 2, "outdated": 1, "stale": 0, "never_seen": 4, "unknown": 1}
devices:
  description: One entry per inventory device, sorted by label.
  returned: success
  type: list
  elements: dict
  contains:
    device:
      description: The device label as errors name it.
      type: str
    mac:
      description: Its MAC, 12 lower-case hex digits.
      type: str
    vendor:
      description: Its vendor family.
      type: str
    model:
      description: Its model in the inventory.
      type: str
    site:
      description: Its site, or null.
      type: str
    state:
      description: C(current), C(outdated), C(stale) or C(never_seen).
      type: str
    last_fetch:
      description:
        - "Its last served request (HTTP 200, 206 or 304, or a TFTP read request), of any file: C(time) (UTC),
          C(host), C(client), C(scheme) (C(http), C(https), C(tftp)), C(path) (secret parts masked by every vendor's
          mask), C(status) (null over TFTP), C(user_agent), C(authenticated). Null when never seen."
        - "C(authenticated) is true when the request proved the device made it: the server checked this device's
          own HTTP credentials (the log's C(device_auth) is its MAC, with status 200 and one of its users as
          C(remote_user)), or a client certificate the server verified (C(ssl_client_verify) C(SUCCESS)) names its
          MAC (C(client_mac)). False otherwise, always over TFTP: the client address of an unauthenticated fetch is
          what anyone who asked for the file had."
      type: dict
    last_authenticated:
      description:
        - "Its last served request that proved the device made it (as C(authenticated) of RV(devices[].last_fetch)
          says), whatever it fetched after (a shared file, a 304, a TFTP read): C(time) (UTC), C(host), C(client),
          C(scheme), C(path) (masked). Null when no request proved it."
        - "The C(http_server) role's C(device_auth) is set on a 200 only: a 304 proves nothing, the proof of the last
          200 stays here. M(sipfleet.provisioning.resync) trusts a status address only when this C(client) is the
          last fetch's."
      type: dict
    last_refused:
      description:
        - "Its last refused request (any other HTTP status) for one of its files (a path holding its MAC, or one the
          manifest records as its own): C(time), C(host), C(client), C(scheme), C(path) (masked), C(status),
          C(user_agent). It changes neither RV(devices[].last_fetch) nor the state. Null when none."
      type: dict
    own_files:
      description:
        - "Per own file it fetched (the manifest's files of the device, by masked path, sorted): C(path), C(time) of
          its last served fetch (UTC) and C(current), whether that fetch got the manifest's version. The status
          merge judges RV(devices[].current) per file over every host from it. Only manifest paths."
      type: list
      elements: dict
    reported:
      description:
        - The C(vendor) whose User-Agent forms read the User-Agent of the last fetch (the device's own first, else
          another family's), and the C(model), C(firmware) and C(mac) it reports (null when absent).
      type: dict
    current:
      description:
        - Whether it fetched at least one of its own files and the last fetch of each got the current version.
      type: bool
    mismatch:
      description:
        - C(vendor) when only another family's User-Agent forms read the last fetch's User-Agent, C(model) and/or
          C(mac) when what it reports contradicts the inventory.
      type: list
      elements: str
    bootstrap:
      description: Its bootstrap window on this host, C(open), C(closed) or C(none).
      type: str
    days_since_contact:
      description: Days since its last request, or null when never seen.
      type: float
unknown:
  description:
    - MAC addresses that requested device files (by a vendor's device-file pattern) but are not in the inventory.
  returned: success
  type: list
  elements: dict
  contains:
    mac:
      description: The MAC the path holds.
      type: str
    vendor:
      description: The vendor whose pattern matched (the User-Agent decides between several); null when undecided.
      type: str
    model:
      description: The model its User-Agent reports, or null.
      type: str
    firmware:
      description: The firmware its User-Agent reports, or null.
      type: str
    first_seen:
      description: Its first request (UTC).
      type: str
    last_seen:
      description: Its last request (UTC).
      type: str
    client:
      description: The address of its last request.
      type: str
    paths:
      description: The paths it asked for (at most 20, secret parts masked).
      type: list
      elements: str
    suggested_name:
      description: A device name for the inventory, C(unknown-<mac>).
      type: str
unknown_dropped:
  description:
    - How many unknown MACs were left out of RV(unknown) (over O(unknown_limit)). A MAC left out and read again later
      is listed again and no longer counted.
  returned: success
  type: int
  sample: 0
log_lines:
  description:
    - "Lines read: C(http_lines), C(http_malformed) (skipped: not an access log record), C(tftp_lines) and
      C(tftp_requests) (the tftpd-hpa read requests among them)."
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet_status import (
    ARGUMENT_SPEC,
    read_inventory_file,
    run,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import inventory_secrets
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import redact_error


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    # A copy: what the file holds must not show up in the echo of the module's arguments.
    params = dict(module.params)
    try:
        if params["inventory_file"]:
            params.update(read_inventory_file(params["inventory_file"]))
        result = run(params, module.warn)
    except ProvisioningError as exc:
        # An inventory error may quote a value: never let that be a password.
        message, errors = redact_error(exc, inventory_secrets(params))
        module.fail_json(msg=message, device=exc.device, field=exc.field, errors=errors)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
