#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: resync
short_description: Tell phones to fetch their profiles now, with each vendor's SIP NOTIFY
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Sends each chosen device an out-of-dialog SIP NOTIFY with its vendor's documented event (C(Event{:} check-sync),
    Cisco's C(resync), Snom's C(check-sync;reboot=false)), as wazo-provd and FusionPBX do, so it checks its
    provisioning files now rather than at its next periodic check.
  - Over UDP with RFC 3261 retransmissions (from 0.5 s, doubling up to 4 s) until O(timeout), or over TCP. A phone
    that answers 401 or 407 with a digest challenge (Snom's C(challenge_checksync), Poly's request validation) gets
    the NOTIFY once more with an C(Authorization) computed from the device's first line (its authentication user and
    password); a second challenge is its final answer.
  - A challenge is answered only at a trusted address, one given in O(addresses) or a status address the phone
    proved, when all of these hold for its status record - its C(mac) is the device's; its C(last_authenticated) (the
    last request that carried the device's own HTTP credentials or a client certificate naming its MAC) is not null
    and its C(client) is the C(last_fetch) client, the address the NOTIFY goes to; its C(state) is not C(stale).
    Anyone can request a phone's shared files, or its files over TFTP, so any other status address may be anybody's;
    answering its challenge would hand that host a digest of the line's password to attack offline. There the
    NOTIFY is sent, the challenge is not answered, and the device's result is the 401 or 407 with a RV(results[].note)
    naming each condition that failed and saying how to trust the address (give it in O(addresses), or serve the
    phone's files with per-device credentials or certificates). See C(docs/resync.md), "Security".
  - Returns each device's final SIP status (C(200 OK), C(481 ...)), C(timeout), or C(error{:} <reason>). A phone that
    refuses or does not answer does not fail the task; look at RV(results) or RV(summary).
  - The device's address is O(addresses)'s, else the client address of its last fetch in O(status_file) (the
    C(status.json) of the status playbook). A device with neither is listed in RV(no_address) with a warning, and nothing is sent to it.
  - The status document and O(addresses) are checked; a value of the wrong type (an address that is not a string,
    a C(last_fetch) or C(last_authenticated) that is not an object) fails the task naming the device and field, it is
    never converted. A document without C(devices) fails (a fleet_status result holding it as C(status) is read as the
    document).
  - Phones that accept a NOTIFY only from their registrar (Yealink C(sip.trust_ctrl), Poly C(source) validation) need
    the PBX to send it; see the filter P(sipfleet.provisioning.pbx_notify_config#filter) and C(docs/resync.md).
  - The inventory (C(sipfleet_devices), C(sipfleet_defaults), C(sipfleet_sites), C(sipfleet_models)) is read from the
    variables by the action plugin and reaches the host in a private file, never as an argument; no password is
    logged or returned.
  - "With the variable C(sipfleet_device_sources) (the P(sipfleet.provisioning.devices#lookup) lookup's files), the
    action reads the inventory's devices from those files on the controller instead of C(sipfleet_devices); both
    defined fails naming both."
extends_documentation_fragment:
  - sipfleet.provisioning.attributes
attributes:
  check_mode:
    support: full
    details: Sends nothing; RV(results) lists what would be sent to each device (address, Request-URI, event).
  diff_mode:
    support: none
  idempotent:
    support: none
    details: Every run sends the NOTIFYs again.
requirements:
  - Python 3.9 or later on the managed host, with no library beyond its standard library.
  - the time-zone database (tzdata on Debian and Ubuntu) on the managed host, for a device whose timezone is an IANA
    name
options:
  devices:
    description:
      - The devices to notify, each a device name, a label, a MAC (any notation), or a shell pattern (C(*), C(?),
        C([...])) of names. V(["*"]) is every device. An entry that matches no device of the inventory fails the task,
        naming it.
      - The RV(sipfleet.provisioning.phone_profiles#module:changed_devices) of a profile run can be given as is, with
        O(unmatched_devices=skip) (it names the devices a removal deleted). An empty list sends nothing.
    type: list
    elements: str
    required: true
  unmatched_devices:
    description:
      - What an entry of O(devices) that matches no device of the inventory does.
      - V(fail) fails the task, naming the entries.
      - V(skip) sends nothing for it and lists it in RV(not_in_inventory) with a warning; for a device that left the
        inventory (removed or renamed), which has no line to notify. C(deploy.yml) uses it.
    type: str
    choices: [fail, skip]
    default: fail
  addresses:
    description:
      - "C({device: address}): the device's name, label or MAC, and its IP address or host name, with an optional
        port (C(192.0.2.10), C(192.0.2.10:5062), C([2001:db8::10]:5060)). Wins over O(status_file)."
      - Each key and address must be a string; quote a MAC or address YAML would read as a number.
      - An address given here is trusted, a digest challenge from it is answered with the line's credentials.
    type: dict
    default: {}
  status_file:
    description:
      - Path on the host of a C(status.json) written by the status playbook; a device's address is the client address
        of its last fetch there (at port O(port)).
      - That address is trusted (a challenge from it answered) only when the record's C(mac) is the device's, its
        C(last_authenticated.client) is that address and its C(state) is not C(stale); a record without
        C(last_authenticated) (an older status file, even with C(last_fetch.authenticated)) is untrusted.
    type: path
  status:
    description:
      - The status document itself (what O(status_file) holds), such as C(lookup('file', 'status/status.json') |
        from_json) on the controller; it wins over O(status_file). For a large fleet prefer O(status_file) on the
        host, since this travels as a module argument.
    type: dict
  port:
    description: The SIP port of an address that gives none.
    type: int
    default: 5060
  transport:
    description: How to send the NOTIFY.
    type: str
    choices: [udp, tcp]
    default: udp
  rate:
    description: At most this many NOTIFYs are started per second over the whole run; V(0) means no limit.
    type: float
    default: 20
  concurrency:
    description: At most this many transactions are open at once.
    type: int
    default: 10
  timeout:
    description: Seconds to wait for a device's final response (both requests, when it challenges) before C(timeout).
    type: float
    default: 8
  reboot:
    description:
      - Unset, each vendor's own event (the description's). V(true) or V(false) asks for the vendor's reboot variant
        where it defines one (Yealink and Snom C(check-sync;reboot=true|false)); the others get their plain event
        and a warning says so (their own setting, such as Poly's C(checkSync.alwaysReboot), decides).
    type: bool
  inventory_file:
    description:
      - Path on the host of a JSON file with C(devices), C(defaults), C(sites) and C(models) (the inventory). The
        action plugin writes it from the inventory variables and removes it afterwards; give it yourself only to
        use an inventory exported on the host. The module fails without it.
    type: path
notes:
  - A NOTIFY carries no secret. The digest C(response) is a hash of the line's password; the password itself is
    neither sent nor returned.
seealso:
  - module: sipfleet.provisioning.phone_profiles
"""

EXAMPLES = r"""
- name: Tell the lobby phone and the Berlin phones to check their files now
  sipfleet.provisioning.resync:
    devices: [lobby, "berlin-*"]
    addresses:
      lobby: 192.0.2.10
      berlin-reception: "192.0.2.20:5062"
  register: resync

- name: Notify exactly the phones a profile run changed, at the addresses the status found
  sipfleet.provisioning.resync:
    devices: "{{ sipfleet_profiles.changed_devices }}"
    status_file: /var/lib/sipfleet-status/status.json
    rate: 10
    reboot: false

- name: What would be sent, sending nothing
  sipfleet.provisioning.resync:
    devices: ["*"]
    status_file: /var/lib/sipfleet-status/status.json
  check_mode: true
"""

RETURN = r"""
results:
  description: One per device that had an address, in inventory order.
  returned: success
  type: list
  elements: dict
  contains:
    device:
      description: The device's label (name, else MAC).
      type: str
      sample: lobby
    address:
      description: Where the NOTIFY went, C(host:port).
      type: str
      sample: "192.0.2.10:5060"
    event:
      description: The C(Event) header sent.
      type: str
      sample: check-sync
    result:
      description: C(<status> <reason>), C(timeout), C(error{:} <reason>), or C(not sent (check mode)).
      type: str
      sample: 200 OK
    status:
      description: The final SIP status, or null (timeout, error, check mode).
      type: int
      sample: 200
    reason:
      description: Its reason phrase.
      type: str
      sample: OK
    address_source:
      description:
        - Where the address came from; C(addresses), C(status{:} authenticated fetch) (a status address the phone
          proved; both trusted) or C(status{:} unauthenticated fetch) (a status address that is not trusted; a challenge
          from it is not answered).
      type: str
      sample: addresses
    authenticated:
      description: Whether the device challenged and was answered with the line's credentials.
      type: bool
      sample: false
    note:
      description:
        - Null, or why a challenge was not answered (each trust condition the status address failed) and how to
          trust the address.
      type: str
      sample: null
    sent:
      description: Datagrams or messages sent, retransmissions included.
      type: int
      sample: 1
summary:
  description: How many devices got a 2xx (C(ok)), another final status or an error (C(failed)), no answer (C(timeout)), or, in check mode, C(planned).
  returned: success
  type: dict
  sample: {"ok": 12, "timeout": 1}
no_address:
  description: Labels of the chosen devices with no address (nothing sent to them; a warning names them too).
  returned: success
  type: list
  elements: str
  sample: [spare-phone]
not_in_inventory:
  description: With O(unmatched_devices=skip), the entries of O(devices) that match no device of the inventory.
  returned: success
  type: list
  elements: str
  sample: [old-desk]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import read_inventory_file
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import inventory_secrets
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import redact_error
from ansible_collections.sipfleet.provisioning.plugins.module_utils._resync import ARGUMENT_SPEC, INVENTORY_KEYS, run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not module.params["inventory_file"]:
        module.fail_json(msg="inventory_file is required (the action plugin gives it from the inventory variables)",
                         field="inventory_file")
    inventory = _load_inventory_file(module, module.params["inventory_file"])
    try:
        result = run(module.params, inventory, check_mode=module.check_mode)
    except ProvisioningError as exc:
        # An error names a device and field; should it quote a value, never
        # let that be a password.
        message, errors = redact_error(exc, inventory_secrets(inventory))
        module.fail_json(msg=message, device=exc.device, field=exc.field, errors=errors)
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


def _load_inventory_file(module, path):
    try:
        options = read_inventory_file(path, INVENTORY_KEYS)
    except ProvisioningError as exc:
        module.fail_json(msg=exc.message, field=exc.field)
    return dict((key, options.get(key)) for key in INVENTORY_KEYS)


if __name__ == "__main__":
    main()
