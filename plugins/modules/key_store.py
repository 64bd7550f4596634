#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: key_store
short_description: Keep every phone's encryption keys in an Ansible Vault file on the controller
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Reads the key store O(path) on the controller, gives every device that encrypts its profiles the keys its vendor
    needs (Grandstream C(p1359), Cisco C(gpp_a) and C(gpp_b), Panasonic C(cfg_file_key)), generating random ones from
    the operating system for devices that have none yet, writes the store back Ansible-Vault encrypted (mode 0600,
    replaced atomically), and returns the keys for M(sipfleet.provisioning.phone_profiles).
  - The store belongs in the inventory's git repository, vault-encrypted, so every controller (a laptop, an
    ephemeral CI runner, AWX) finds the same keys and every provisioning host serves files encrypted with them.
  - A store that does not exist is an error unless O(create=true). New keys for phones that already have keys would
    lock every phone out, so a missing or unreadable store is never replaced silently.
  - A device whose inventory entry has its own C(keys) uses those; the store keeps nothing for it.
  - "Runs that share the store are serialised: the store is read, completed and written under an exclusive lock on
    C(<store>.lock), beside the store, and read again once the lock is held, so two runs that generate keys for the
    same new devices agree on them and no generated key is lost. A run waits at most O(lock_timeout) seconds."
  - A O(path) that is a symbolic link is written through to its target, which keeps its owner, group and mode; a new
    store is created with mode 0600. The store's directory (that of the link's target) must be writable by its owner
    only and owned by the user running or root; otherwise the task fails naming O(path).
  - The store also records, per device, the key sets that left in a fetched key carrier (C(delivered)), so a new
    provisioning host or a lost state directory never re-opens a closed bootstrap window; see RV(device_delivered).
  - The task's result is never displayed (it holds keys); register it and pass RV(device_keys) on.
requirements:
  - jmespath (Python library) on the controller, to check shards given as a query (shard_coverage)
  - the time-zone database (tzdata on Debian and Ubuntu) on the controller, for a device whose timezone is an IANA
    name
  - It runs on the controller only; nothing is needed on the managed host.
options:
  path:
    description: The key store file on the controller.
    type: path
    required: true
  devices:
    description:
      - The devices. Default, the variable C(sipfleet_devices), read without templating every device, or the devices
        of the files of O(device_sources) (or C(sipfleet_device_sources)). Leave the option out rather than passing
        C("{{ sipfleet_devices }}"), which costs seconds per 10,000 devices.
    type: list
    elements: dict
  defaults:
    description: Generic settings (they decide which devices encrypt). Default, the variable C(sipfleet_defaults).
    type: dict
  sites:
    description: Settings per site. Default, the variable C(sipfleet_sites).
    type: dict
  models:
    description: Settings per model. Default, the variable C(sipfleet_models).
    type: dict
  device_sources:
    description:
      - "The fleet from device files instead of O(devices) (default, the variable C(sipfleet_device_sources)):
        files, directories and glob patterns as the P(sipfleet.provisioning.devices#lookup) lookup reads them,
        relative ones against C(sipfleet_project_dir), else C(inventory_dir); vault-encrypted files are decrypted with the play's vault secrets,
        and C(sipfleet_device_passwords) (the lookup's C(passwords)) fills lines without a password. The devices
        are read once, here, and reach M(sipfleet.provisioning.phone_profiles) in RV(fleet_bundle): the fleet never
        becomes an Ansible variable."
      - Giving it (or C(sipfleet_device_sources)) together with O(devices) (or C(sipfleet_devices)) fails naming
        both.
    type: list
    elements: str
  fleet_bundle:
    description:
      - "Also write the fleet bundle, after the store is updated, and return its name in RV(fleet_bundle): the
        devices, defaults, sites, models, directory (C(sipfleet_directory)) and keys in one file on the controller,
        which M(sipfleet.provisioning.phone_profiles) (its O(sipfleet.provisioning.phone_profiles#module:fleet_bundle))
        sends as it is to every host. C(playbooks/profiles.yml) sets it; a play that only reads or rotates the keys
        leaves it out."
      - The file holds every password and key of the fleet. It is written mode 0600 in a private directory (mode
        0700) inside Ansible's local temporary directory of the run (C(ANSIBLE_LOCAL_TEMP)), which
        C(ansible-playbook) removes when it exits; an C(ansible-playbook) killed with SIGKILL leaves it there.
        See C(docs/keys.md).
      - Failing to write it fails the task, after the store was updated.
    type: bool
    default: false
  shard_coverage:
    description:
      - "With O(fleet_bundle=true): when every host of the play has a C(sipfleet_shard) (none serves the whole
        fleet), check that together they select every device, and fail naming the devices no shard selects (no
        host of the play would serve them). Each host's shard is checked too (an unknown site, a shard that
        selects no device without C(allow_empty: true)), naming the host, before any host renders."
      - "V(false) for a run limited to some shards (C(--limit shard_01)): the other shards' hosts are not in the
        play. C(playbooks/profiles.yml) sets it from C(sipfleet_shard_coverage)."
    type: bool
    default: true
  create:
    description: Start a new, empty store when O(path) does not exist (first deployment only).
    type: bool
    default: false
  generate:
    description:
      - Generate keys for devices that have none. With V(false) such devices fail the task; use that on controllers
        whose changes to the store would be lost (a CI runner that does not commit the store back).
    type: bool
    default: true
  encrypt:
    description:
      - Keep the store Ansible-Vault encrypted (needs a vault password) and refuse to read a plain one. V(false) is
        for stores kept outside any repository, such as a throwaway lab.
    type: bool
    default: true
  vault_id:
    description: Vault identity to encrypt the store with, when several are given.
    type: str
  rotate:
    description:
      - Start a key rotation for the devices whose name, label or MAC matches one of these patterns (C(*) and C(?)
        as in shell globs; C(*) for all). They get new keys next to their current ones (RV(device_next_keys)); the
        phones keep the current keys until they fetch the files that hand the new ones over. A device already
        rotating is left as it is. See C(playbooks/rotate_keys.yml) and C(docs/keys.md).
      - A device whose current keys are not known to have reached it (not recorded as delivered, nor fetched or proven
        in this run; a device added but not yet bootstrapped, or one whose window is being re-opened) does not
        rotate, since the handover is encrypted with its current keys and would replace its plain bootstrap, locking the
        phone out. Such devices are returned in RV(rotation_held).
      - A pattern that matches no device fails the task, naming it.
    type: list
    elements: str
    default: []
  fetched:
    description:
      - "Complete fetches of key-carrying files, C({MAC: [key id, ...]}), from
        M(sipfleet.provisioning.provisioning_fetches) merged over the provisioning hosts. Each listed key set that is
        the device's current or new set is recorded as delivered (the store changes): its plain bootstrap window
        stays closed for good, on every host. A fetch by anyone counts, since the key is exposed either way; it
        never finishes a rotation (see O(proven))."
    type: dict
    default: {}
  proven:
    description:
      - "Evidence that the device itself holds a key set, C({MAC: [key id, ...]}), from
        M(sipfleet.provisioning.provisioning_fetches): a fetch authenticated as the device (client certificate or
        per-device credentials), or a Cisco fetch from the new C(GPP_B) directory, which only the key's holder
        knows. A rotation whose new keys are listed is finished: the new keys become the current ones. Nothing
        else finishes a rotation, so a stranger's fetch of a handover cannot lock the phone out."
    type: dict
    default: {}
  closed:
    description:
      - "Bootstrap windows the provisioning hosts' state records as closed for any reason (fetched, proven, or unused
        until O(sipfleet.provisioning.phone_profiles#module:bootstrap_window) passed), C({MAC: [key id, ...]}), from
        M(sipfleet.provisioning.provisioning_fetches) merged over the provisioning hosts. Each listed key set that is
        the device's current or new set is recorded in the store's C(closed) record (the store changes) and returned
        in RV(device_delivered), so a host with a new or lost state directory keeps that window closed too."
    type: dict
    default: {}
  rebootstrap:
    description:
      - Recovery for a phone that lost its key (a factory reset after its window closed). For the devices whose
        name, label or MAC matches one of these patterns (as O(rotate)), the records that their current keys were
        delivered or their window closed are dropped (after this run's O(fetched) and O(closed) are recorded, which
        still show the window that is being re-opened), and their MACs are returned in RV(rebootstrap) for
        M(sipfleet.provisioning.phone_profiles) to open their bootstrap window again. Give it for one run only
        (C(-e)); while it is set, every run re-opens those windows.
    type: list
    elements: str
    default: []
  lock_timeout:
    description:
      - Seconds to wait for another run's lock on the store before failing; the error names the lock file and the
        PID of the run holding it.
    type: int
    default: 300
  rotation_stall_days:
    description: A rotation started more than this many days ago and still not finished is reported as stalled.
    type: int
    default: 14
extends_documentation_fragment:
  - sipfleet.provisioning.attributes
attributes:
  check_mode:
    support: full
    details: New keys are generated in memory for the run and not written; the store is read without taking its lock.
  diff_mode:
    support: none
  idempotent:
    support: full
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
notes:
  - Runs on the controller only; use it with C(run_once) so all hosts get the same keys.
seealso:
  - module: sipfleet.provisioning.phone_profiles
"""

EXAMPLES = r"""
- name: Load the keys of every phone (generating those of new phones)
  sipfleet.provisioning.key_store:
    path: "{{ inventory_dir }}/sipfleet_keys.vault"
  run_once: true
  register: key_store

- name: Write the profiles with them
  sipfleet.provisioning.phone_profiles:
    keys: "{{ key_store.device_keys }}"
    roots: [/srv/tftp]

- name: Or load the keys and write the fleet bundle
  sipfleet.provisioning.key_store:
    path: "{{ inventory_dir }}/sipfleet_keys.vault"
    fleet_bundle: true
  run_once: true
  register: key_store

- name: And hand every host the fleet and its keys in that one file, resolved once
  sipfleet.provisioning.phone_profiles:
    fleet_bundle: "{{ key_store.fleet_bundle }}"
    roots: [/srv/tftp]
"""

RETURN = r"""
device_keys:
  description: "C({MAC: {key name: hex}}) for every device whose keys the store keeps."
  returned: success
  type: dict
path:
  description: The store.
  returned: success
  type: str
devices:
  description: Number of devices whose keys the store keeps.
  returned: success
  type: int
inventory_keys:
  description: Number of devices whose keys come from the inventory.
  returned: success
  type: int
generated:
  description: MACs of the devices that got new keys in this run.
  returned: success
  type: list
  elements: str
device_next_keys:
  description: "C({MAC: {key name: hex}}): the new keys of the devices whose rotation is under way."
  returned: success
  type: dict
rotated:
  description: MACs of the devices whose rotation started in this run.
  returned: success
  type: list
  elements: str
promoted:
  description: MACs of the devices whose rotation finished in this run (their new keys are now their keys).
  returned: success
  type: list
  elements: str
rotation_held:
  description:
    - MACs of the devices matching O(rotate) whose rotation did not start because their current keys are not known
      to have reached the phone (no delivery recorded; not bootstrapped yet, keys made in this run, or a window being
      re-opened). Bootstrap them first (or re-open their window), then rotate.
  returned: success
  type: list
  elements: str
rotating:
  description: MACs of the devices whose rotation is under way.
  returned: success
  type: list
  elements: str
device_delivered:
  description:
    - "C({MAC: [key id, ...]}): the key sets of each device (current or new) known to have left in a fetched key
      carrier, or whose bootstrap window a host closed otherwise (O(closed)), as recorded in the store after this
      run. Pass it to
      O(sipfleet.provisioning.phone_profiles#module:bootstrap_delivered): their windows stay closed."
  returned: success
  type: dict
rotation:
  description: The state of the rotations, by MAC.
  returned: success
  type: dict
  contains:
    pending:
      description: Devices between keys (new keys exist, not yet proven held by the device).
      type: list
      elements: str
    finished:
      description: Devices whose rotation finished in this run.
      type: list
      elements: str
    stalled:
      description: Pending devices whose rotation started more than O(rotation_stall_days) days ago.
      type: list
      elements: str
rebootstrap:
  description: MACs of the devices matching O(rebootstrap), whose bootstrap window is to open again.
  returned: success
  type: list
  elements: str
fleet_bundle:
  description:
    - "The fleet bundle for O(sipfleet.provisioning.phone_profiles#module:fleet_bundle), C({path, sha256, devices}):
      a compact JSON file on the controller holding the devices, defaults, sites, models, directory
      (C(sipfleet_directory)), the keys and the rotations' new keys, written after the store is updated (in check
      mode too)."
    - The file is mode 0600 in a private directory inside Ansible's local temporary directory (C(ANSIBLE_LOCAL_TEMP));
      C(ansible-playbook) removes it when it exits. The value itself holds no password or key.
  returned: success, when O(fleet_bundle=true)
  type: dict
  contains:
    path:
      description: The bundle on the controller.
      type: str
    sha256:
      description: The SHA-256 of its bytes, which M(sipfleet.provisioning.phone_profiles) checks on the host.
      type: str
    devices:
      description: Number of devices in it.
      type: int
created:
  description: Whether the store was created in this run.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="sipfleet.provisioning.key_store runs on the controller through its action plugin; "
                         "it cannot run as a module on a managed host")


if __name__ == "__main__":
    main()
