#!/usr/bin/python
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: phone_profiles
short_description: Render, encrypt and write the provisioning files of a whole fleet of phones
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Validates every device of the inventory, renders each device's files in its vendor's native format (Grandstream,
    Cisco SPA, Cisco MPP, Panasonic), encrypts them with the device's keys, and writes them into one or more
    provisioning roots (the TFTP root, the HTTP root) in one task, for ten phones or a hundred thousand.
  - Writes only files whose content changed, each through a temporary file in the same directory renamed over the old
    one, so a phone never downloads half a file. Every new file is written and flushed before the first one is
    renamed into place, so a run that fails (a bad device, a full disk) leaves the previous files served.
  - A rerun with unchanged inputs changes nothing (encryption salts are derived from key and content).
  - Keeps a manifest of the files it wrote, per root, in O(state_dir) (outside the served roots) and prunes the files
    of devices that left the inventory. It never deletes a file it did not write, nor one changed by someone else
    since it wrote it (those are reported in RV(kept_foreign_files)).
  - Bootstrap windows. A plain file that carries a device's key (the Grandstream C(cfg<mac>) bootstrap, the Cisco
    per-device initial profile, the Panasonic C(Config<MAC>.cfg) key file) is served only while that device is being
    bootstrapped. The window closes once the device is known to have fetched it (O(bootstrap_fetched), from the
    servers' logs, see M(sipfleet.provisioning.provisioning_fetches); or O(bootstrap_delivered), from the key store)
    or after O(bootstrap_window) minutes; new keys open a new window, and so does O(rebootstrap). Where a vendor
    replaces the key file by the encrypted profile at the same path (Panasonic C(Config<MAC>.cfg), which
    C(<MODEL>.cfg) names), that replacement is served once the window has closed.
  - No plain credentials to strangers. A device file that carries a SIP or administrator password in plain text (an
    unencrypted profile) and that the device fetches over TFTP, plain HTTP or FTP, or whose provisioning URL the
    inventory does not give, fails the run naming the device and the field, unless the device's settings have
    C(allow_plain_credentials=true); each such device is then reported as a warning. A device with per-device HTTP
    credentials (a family that declares them, with C(http_credentials=true)) may fetch over plain HTTP when O(http_credentials_enforced)
    says the servers ask for them.
  - See the collection's C(docs/) directory for the data model, each vendor's files and the deployment playbook that
    calls this module.
requirements:
  - cryptography (Python library) on the managed host, for a fleet with devices whose files are encrypted
    (python3-cryptography on Debian and Ubuntu; without it such a fleet fails before anything is written)
  - jmespath (Python library) on the controller, for a shard given as a query
  - the time-zone database (tzdata on Debian and Ubuntu) on the managed host, for a device whose timezone is an IANA
    name
options:
  devices:
    description:
      - The devices, as in C(sipfleet_devices). Each has C(mac), C(model), optional C(name), C(vendor), C(site),
        C(lines), C(params), C(settings) and C(keys). See C(docs/inventory.md).
      - Default, the variable C(sipfleet_devices), or the devices of the files of O(device_sources) (or
        C(sipfleet_device_sources)). With O(fleet_bundle), the devices, defaults, sites, models and directory are
        those M(sipfleet.provisioning.key_store) read on its host. Leave it out rather than passing
        C("{{ sipfleet_devices }}").
        Read from the variable, only strings with template syntax are templated, which saves seconds per 10,000
        devices.
      - The action plugin hands this (with O(defaults), O(sites), O(models) and O(keys)) to the host in a file,
        not as a module argument, so a large fleet costs no argument echo and nothing of it reaches the host's
        logs.
    type: list
    elements: dict
  defaults:
    description: Generic settings for every device. Default, the variable C(sipfleet_defaults).
    type: dict
  sites:
    description: Settings per site. Default, the variable C(sipfleet_sites).
    type: dict
  models:
    description: Settings per model. Default, the variable C(sipfleet_models).
    type: dict
  directory:
    description:
      - "The phone directory, as in C(sipfleet_directory): C(fleet) (default V(true): every line's display name and
        extension), C(per_site) (default V(false): V(true) gives each site its own directory) and C(contacts), a list
        of C({name, numbers, group})."
      - Each vendor family with a documented phonebook format gets its phonebook file as a shared file in every root,
        and each of its devices' profiles points at C(<provisioning_url>/<file>). A device of a family with no documented
        format (Panasonic, Fanvil), or whose C(provisioning_url) the family's phonebook cannot be fetched over, gets none
        and is listed in the run's warnings, one per family.
      - Default, the variable C(sipfleet_directory). Undefined or null means no directory (no file, no profile changes);
        V({}) means a fleet-wide directory of every line. See C(docs/inventory.md).
    type: dict
  keys:
    description:
      - "The devices' keys from the key store, C({MAC: {key name: hex}}), as returned by
        M(sipfleet.provisioning.key_store). A device's own C(keys) field in O(devices) wins over this."
      - A device that encrypts and has no key here nor in its C(keys) field fails the task, naming the device and the
        key.
    type: dict
  next_keys:
    description:
      - "Keys a rotation is moving devices to, C({MAC: {key name: hex}}), as returned by
        M(sipfleet.provisioning.key_store) in RV(sipfleet.provisioning.key_store#module:device_next_keys)."
      - Such a device is served the files that hand the new keys over in the way its vendor documents (Grandstream,
        the new P1359 inside the profile encrypted with the old one; Cisco, the new C(GPP_A) key and C(GPP_B)
        directory in the file at the old directory, encrypted with the old key; Panasonic, a new plain key file
        and files encrypted with the new key) until O(bootstrap_proven) shows the device itself holds the new keys;
        from then on it is served with its new keys only. A fetch anyone could have made does not finish a
        rotation. See C(docs/keys.md).
    type: dict
  inventory_file:
    description:
      - Path on the managed host of a JSON file with the keys C(devices), C(defaults), C(sites), C(models),
        C(directory) and C(keys) (and C(next_keys)), read instead of those options. The action plugin writes such a file into the task's temporary
        directory (readable by the connecting user only) and removes it afterwards; give it yourself to render an
        inventory exported on the host.
    type: path
  fleet_bundle:
    description:
      - "The fleet bundle M(sipfleet.provisioning.key_store) returns in
        RV(sipfleet.provisioning.key_store#module:fleet_bundle): one file on the controller holding the devices,
        defaults, sites, models, directory and keys, resolved once per play. The action plugin transfers that file
        as it is into the task's temporary directory on each host (no resolving, templating or JSON encoding of the
        fleet per host) and the module checks its O(fleet_bundle.sha256) before reading it."
      - Give it instead of O(devices), O(defaults), O(sites), O(models), O(directory), O(keys), O(next_keys) and
        O(device_sources); with any of those too the task fails naming them.
      - "The file lives in Ansible's local temporary directory and is removed when the C(ansible-playbook) run that
        made it exits: it is only valid within that run."
    type: dict
    suboptions:
      path:
        description: The bundle's path on the controller (the action plugin replaces it by the transferred copy's).
        type: path
        required: true
      sha256:
        description: The SHA-256 of the bundle's bytes.
        type: str
        required: true
      devices:
        description: Number of devices in the bundle.
        type: int
  shard:
    description:
      - "Serve only part of the fleet on this host (playbooks/profiles.yml passes the host variable
        C(sipfleet_shard)). C({sites: [site, ...]}) selects the devices of those sites; C({query: <expression>})
        those for which a JMESPath expression over the device's inventory entry is true (for example
        C(site == 'berlin' && starts_with(model, 'GXP'))). The expression needs the Python package C(jmespath)
        on the controller, sees the device without its passwords, keys and secret settings, and must give a
        boolean. Either may add C(allow_empty: true)."
      - "The selection is made by the action plugin on the controller, from O(fleet_bundle) or the inventory: the
        host receives the shard's devices and only their keys, never another shard's. A fleet-wide phonebook
        (C(sipfleet_directory)) on a shard host still lists every phone of the fleet (the other shards' display
        names and extensions go with the shard, no secret); see C(docs/scale.md)."
      - "An expression that cannot be parsed, fails on a device or gives no boolean, a site not in C(sipfleet_sites),
        and a shard that selects no device without C(allow_empty: true) fail naming the host (and the expression
        and device); an error never quotes the device's values."
    type: dict
  device_sources:
    description:
      - The fleet from device files instead of O(devices) (default, the variable C(sipfleet_device_sources)),
        files, directories and glob patterns as the P(sipfleet.provisioning.devices#lookup) lookup reads them,
        relative ones against C(sipfleet_project_dir), else C(inventory_dir). The action plugin reads them on the controller (vault-encrypted
        files with the play's vault secrets; C(sipfleet_device_passwords) fills lines without a password), so the
        fleet never becomes an Ansible variable.
      - "Giving it (or C(sipfleet_device_sources)) together with O(devices) (or C(sipfleet_devices)) fails naming
        both. With O(fleet_bundle), M(sipfleet.provisioning.key_store) has read them already: leave it out."
    type: list
    elements: str
  roots:
    description:
      - Directories to write the files into, for example the TFTP root and the HTTP root. Every root gets every
        file. Two entries that resolve to the same directory are written once.
    type: list
    elements: path
    required: true
  state_dir:
    description:
      - Where the manifests of written files and the bootstrap windows' state are kept. Not to be published by any
        server.
    type: path
    default: /var/lib/sipfleet-provisioning
  lock_timeout:
    description:
      - Seconds to wait for another run that uses the same O(state_dir) or one of the same O(roots) (two pipelines,
        two merges at once). Runs take turns through C(flock) locks on C(<state_dir>/lock) and on each root
        directory, held from reading the state to writing the last file; check mode takes them too.
      - Past this wait the run fails naming the lock and the PID of the run holding it. V(0) fails at once.
    type: int
    default: 300
  owner:
    description: Owner of the written files and directories (name or number); default the user the module runs as.
    type: str
  group:
    description:
      - Group of the written files and directories (name or number). Give the group the TFTP and HTTP servers read
        files as, so O(secret_mode) can keep secrets from everyone else.
    type: str
  mode:
    description: Mode of files that carry no readable secret (encrypted profiles, shared files).
    type: raw
    default: "0644"
  secret_mode:
    description:
      - Mode of files that carry passwords or keys readable by whoever fetches them (plain profiles, bootstraps).
        Must not grant anything to others.
    type: raw
    default: "0640"
  dir_mode:
    description: Mode of the directories the module creates.
    type: raw
    default: "0755"
  prune:
    description: Delete the files this module wrote earlier that no device needs any more.
    type: bool
    default: true
  bootstrap_serve:
    description:
      - How to serve the plain files that carry a device's key.
      - V(window) serves each for one bootstrap of the device (see O(bootstrap_window) and O(bootstrap_fetched)).
      - V(always) serves them all the time (for example behind HTTPS with client certificates bound to the device).
      - V(never) never serves them (the keys reach the phones another way, such as the web UI).
    type: str
    choices: [window, always, never]
    default: window
  http_credentials_enforced:
    description:
      - Whether the servers give a device's own files only to a request with that device's HTTP user and password (the
        C(sipfleet.provisioning.http_server) role with C(http_server_device_credentials_enabled=true)). Only then may a
        device with C(http_credentials=true) fetch its plain files over plain HTTP without
        C(allow_plain_credentials=true); otherwise they would reach anyone who asks.
      - The profiles playbook passes the provisioning hosts' C(http_server_device_credentials_enabled); with it,
        C(deploy.yml) makes the TFTP server refuse the same files (the C(sipfleet.provisioning.tftp_server) role's
        C(tftp_server_refused_paths)), so a root served over both protocols gives them to nobody else. A TFTP server
        set up another way must refuse them too.
    type: bool
    default: false
  strict:
    description:
      - Whether a setting a device's vendor or model cannot carry (a backup registrar on a phone without one, function
        keys on a family that maps none) fails the run, naming each device and setting. Without it each is a warning
        of the run, grouped by vendor, setting and reason, with the number of devices.
      - The profiles playbook passes the inventory variable C(sipfleet_strict).
      - V(true) or V(false); anything else, a string such as V(yes) included, is an error naming C(sipfleet_strict).
    type: raw
    default: false
  bootstrap_window:
    description:
      - Minutes a key-carrying bootstrap file stays published when no fetch of it is reported. A window that expires
        unused is reported in RV(bootstrap.expired); that device cannot decrypt its profile until it gets new keys or
        O(bootstrap_serve=always).
    type: int
    default: 1440
  bootstrap_fetched:
    description:
      - "Devices known to have fetched their key-carrying bootstrap file: C({MAC: [key id, ...]}), as returned by
        M(sipfleet.provisioning.provisioning_fetches) (merged over every provisioning host). The window of a device
        closes once its current key id is listed."
      - A rotation's encrypted handover is not closed by this; see O(bootstrap_proven).
    type: dict
    default: {}
  bootstrap_delivered:
    description:
      - "Keys the key store records as delivered, C({MAC: [key id, ...]}), as returned by
        M(sipfleet.provisioning.key_store) in RV(sipfleet.provisioning.key_store#module:device_delivered)."
      - A listed key id counts as fetched (the window of those keys closes, reason C(delivered)) even when
        O(state_dir) has no record of it, so a rebuilt host, a lost state directory or a new redundant host never
        serves a delivered key again. It does not close a window O(rebootstrap) re-opened.
    type: dict
    default: {}
  bootstrap_proven:
    description:
      - "Devices that proved they hold the keys of an id, C({MAC: [key id, ...]}), as returned by
        M(sipfleet.provisioning.provisioning_fetches) in
        RV(sipfleet.provisioning.provisioning_fetches#module:proven) (merged over every provisioning host): a fetch
        authenticated as the device by its client certificate, or a fetch from its new Cisco C(GPP_B) directory."
      - A rotation (see O(next_keys)) finishes only when the new keys' id is listed here, or was recorded by an
        earlier run on this host.
    type: dict
    default: {}
  rebootstrap:
    description:
      - MAC addresses of devices whose bootstrap window to re-open now, for their current keys (those of O(keys)),
        as returned by M(sipfleet.provisioning.key_store) in RV(sipfleet.provisioning.key_store#module:rebootstrap)
        from C(sipfleet_rebootstrap). The recovery of a phone that lost its key; factory-reset it to fetch it.
      - The window then follows O(bootstrap_serve) and O(bootstrap_window) and closes on a fetch logged after this
        run. A device whose rotation is pending is served its current keys' bootstrap while the window is open, and
        its handover again afterwards.
    type: list
    elements: str
    default: []
  rotation_stall_days:
    description:
      - Days after its handover was first served that a rotation still not proven is reported in
        RV(rotation.stalled).
    type: int
    default: 14
  diff_max_bytes:
    description: With C(--diff), the most bytes of text shown for each side of one file.
    type: int
    default: 16384
  diff_max_files:
    description: With C(--diff), the most files shown; the rest are counted.
    type: int
    default: 50
  full:
    description:
      - Render every device, whatever the render cache says.
      - Without it, a run renders only the devices whose inputs changed since the last run (their fingerprint of
        the device, its settings at every level, the defaults, its model's entry, its time zone's data, the
        directory options, its keys, the renderers' code, O(strict), O(http_credentials_enforced)) or whose served
        files are not the ones the manifest records; the others are neither validated, rendered nor encrypted.
        The fingerprints and the files' metadata are kept in C(render-cache.json) in O(state_dir), an advisory
        file (no keys, no plaintext); when it is missing or damaged every device is rendered.
      - Use it after an upgrade of the host's time-zone data or of Python if in doubt; the result is the same
        files either way, only the work differs.
    type: bool
    default: false
  workers:
    description:
      - Processes that validate, render and encrypt the devices. V(0) starts one per core the module may run on
        (its CPU affinity), at most 8; V(1) does everything in the module's own process.
      - The devices are cut into contiguous chunks handled by forked processes (Linux C(fork) only) and their
        results merged in the inventory's order, so the files, the errors and the warnings are the same bytes and
        the same lines as with V(1). Fewer than 1,500 devices are always handled in one process (a fork costs more
        than it saves there).
      - Where the host cannot fork (a process limit such as systemd C(TasksMax), C(EAGAIN)) the run goes on in one
        process and says so in a warning.
    type: int
    default: 0
extends_documentation_fragment:
  - sipfleet.provisioning.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Encrypted (Panasonic's base64 ones too) and gzip files are shown decrypted and unpacked, the Grandstream legacy
        binary as its parameters.
      - On both sides (the file on disk and the new one), the value of every parameter its vendor declares secret is
        replaced by C(********), whatever the value, so an old password or key (changed, rotated, or of a removed
        device) is never shown; so is Cisco's C(GPP_B) directory in paths, and the C(user:password@) of any URL
        (whatever characters it holds). Every password and key of the inventory, and the password of every URL in it,
        is replaced wherever it stands as a whole token (not inside a longer word), as is, XML-escaped or URL-encoded.
      - "A change in masked values only is shown as the added line C(# (what changed is masked: a password or key))."
  idempotent:
    support: full
notes:
  - Runs on the provisioning host; every file of the fleet is rendered in the one task, so a fleet of 10,000 phones is
    written in seconds rather than the hours a loop over M(ansible.builtin.template) would take.
seealso:
  - module: sipfleet.provisioning.key_store
  - module: sipfleet.provisioning.provisioning_fetches
  - plugin: sipfleet.provisioning.render_profiles
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write every phone's profile into the TFTP and HTTP roots
  # devices, defaults, sites and models come from sipfleet_devices,
  # sipfleet_defaults, sipfleet_sites and sipfleet_models.
  sipfleet.provisioning.phone_profiles:
    keys: "{{ key_store.device_keys }}"
    roots:
      - /srv/tftp
      - /srv/provisioning
    group: sipfleet
  register: profiles

- name: Write this host's shard of the fleet, from the bundle key_store wrote once for the play
  sipfleet.provisioning.phone_profiles:
    fleet_bundle: "{{ key_store.fleet_bundle }}"
    shard:
      sites: [berlin, potsdam]
    roots: [/srv/tftp]

- name: Tell only the phones whose files changed to check for their new profile
  ansible.builtin.debug:
    msg: "{{ profiles.changed_devices }}"

- name: Give every phone a directory of the fleet's lines and two contacts
  sipfleet.provisioning.phone_profiles:
    directory:
      contacts:
        - name: Front desk
          numbers: ["+49 30 1234"]
        - name: Plumber
          numbers: ["+49 30 5555", "+49 170 5555"]
          group: Suppliers
    keys: "{{ key_store.device_keys }}"
    roots: [/srv/tftp, /srv/provisioning]

- name: Serve the key bootstraps all the time (HTTPS with device certificates only)
  sipfleet.provisioning.phone_profiles:
    devices: "{{ lab_devices }}"
    keys: "{{ key_store.device_keys }}"
    roots: [/srv/provisioning]
    bootstrap_serve: always
"""

RETURN = r"""
devices:
  description: Number of devices in the inventory.
  returned: success
  type: int
  sample: 10000
files:
  description: Number of files each root serves.
  returned: success
  type: int
  sample: 20012
written:
  description: Files created or rewritten (or whose mode or owner was fixed), over all roots.
  returned: success
  type: int
  sample: 2
unchanged:
  description: Files already as wanted, over all roots.
  returned: success
  type: int
  sample: 40022
pruned:
  description: Files deleted because no device needs them any more, over all roots.
  returned: success
  type: int
  sample: 0
rendered_devices:
  description: Number of devices rendered in this run (all of them on a full render, the changed ones otherwise).
  returned: success
  type: int
  sample: 1
incremental:
  description: Whether the run used the render cache (false with O(full), on a first run, or with a damaged cache).
  returned: success
  type: bool
  sample: true
changed_devices:
  description: Labels (name, else MAC) of the devices whose own files were written or deleted.
  returned: success
  type: list
  elements: str
  sample: [berlin-reception]
changed_shared_files:
  description: Paths of changed files that belong to no single device (model and common files).
  returned: success
  type: list
  elements: str
  sample: [cfggxp2170.xml]
roots:
  description: What happened in each root.
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description: The root.
      type: str
    created:
      description: Files created.
      type: int
    updated:
      description: Files rewritten or whose mode or owner was fixed.
      type: int
    pruned:
      description: Files deleted.
      type: int
    unchanged:
      description: Files left as they were.
      type: int
kept_foreign_files:
  description: Files the module wrote once but that someone else changed since; they are not pruned.
  returned: success
  type: list
  elements: str
bootstrap:
  description: Devices by the state of their key-carrying bootstrap window.
  returned: success
  type: dict
  contains:
    open:
      description: Devices whose bootstrap file is served.
      type: list
      elements: str
    closed:
      description: Devices whose window closed in this run because they fetched their bootstrap.
      type: list
      elements: str
    expired:
      description: Devices whose window closed in this run unused; they have not received their keys.
      type: list
      elements: str
    reopened:
      description: Devices whose window O(rebootstrap) re-opened in this run.
      type: list
      elements: str
rotation:
  description: Devices whose keys are being changed (see O(next_keys)).
  returned: success
  type: dict
  contains:
    pending:
      description:
        - Devices whose rotation is not proven yet. They are served the handover files (or, while a window
          O(rebootstrap) re-opened is open, their current keys' bootstrap) and keep their current keys in the store.
      type: list
      elements: str
    finished:
      description: Devices that proved they hold their new keys, served with those only.
      type: list
      elements: str
    stalled:
      description:
        - Pending devices whose handover was first served more than O(rotation_stall_days) days ago. See
          C(docs/keys.md) for why and how to recover such a phone.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import read_inventory_file
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import CRYPTOGRAPHY_IMPORT_ERROR
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import (
    ARGUMENT_SPEC,
    INVENTORY_FILE_OPTIONS,
    OTHER_LINES,
    MissingCryptography,
    inventory_secrets,
    run,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import redact_error


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    # A copy: what the file holds must not show up in the echo of the
    # module's arguments.
    params = dict(module.params)
    if params["fleet_bundle"]:
        # The play's fleet bundle, transferred as key_store wrote it: its digest is checked.
        params.update(_load_inventory_file(module, params["fleet_bundle"]["path"], params["fleet_bundle"]["sha256"]))
    elif params["inventory_file"]:
        params.update(_load_inventory_file(module, params["inventory_file"]))
    elif params["devices"] is None:
        module.fail_json(msg="one of devices or inventory_file is required", field="devices")
    try:
        result = run(params, check_mode=module.check_mode, want_diff=module._diff)
    except MissingCryptography as exc:
        # Said once, before anything is written, naming the package to
        # install, rather than once per device after rendering them all.
        module.fail_json(msg=missing_required_lib(
            "cryptography", reason="to encrypt the profiles (on Debian and Ubuntu, install the package "
            "python3-cryptography)") + ". The import failed with: %s. %s" % (CRYPTOGRAPHY_IMPORT_ERROR, exc.message),
            device=exc.device, field=exc.field)
    except ProvisioningError as exc:
        # An error names a device and field; should it quote a value, never
        # let that be a password or key.
        message, errors = redact_error(exc, inventory_secrets(params))
        module.fail_json(msg=message, device=exc.device, field=exc.field, errors=errors)
    # Devices served passwords in plain text because the inventory allows it,
    # and devices that get no directory (sipfleet_directory).
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


def _load_inventory_file(module, path, sha256=None):
    try:
        return read_inventory_file(path, INVENTORY_FILE_OPTIONS + (OTHER_LINES,), sha256=sha256)
    except ProvisioningError as exc:
        module.fail_json(msg=exc.message, field=exc.field)


if __name__ == "__main__":
    main()
