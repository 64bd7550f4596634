# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``key_store`` action: keep the per-device keys in a vault file on the controller."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, is_encrypted, match_encrypt_secret
from ansible.plugins.action import ActionBase

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import build_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, error_list
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import (
    ARGUMENT_SPEC,
    KeyStoreError,
    dump_store,
    empty_store,
    parse_store,
    reconcile,
    rotation_targets,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import write_file_atomic
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import required_keys, vendor_for_model
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options


class ActionModule(ActionBase):
    """Read, complete and write the key store; return the keys of the fleet."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # Whatever happens, the result holds keys: never display it.
        result["_ansible_no_log"] = True
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        args.update(inventory_options(self._task.args, task_vars, self._templar))
        try:
            result.update(self._run(args))
        except ProvisioningError as exc:
            result.update(failed=True, msg=str(exc), field=exc.field, device=exc.device, errors=error_list(exc))
        return result

    def _run(self, args):
        path = args["path"]
        # The data model alone says which keys each device needs; the vendors'
        # full checks run in phone_profiles, before anything is written.
        dummy, fleet = build_model(args["devices"], args["defaults"], args["sites"], args["models"], vendor_for_model)
        specs_by_label = required_keys(fleet)
        wanted = {}
        inventory_keys = 0
        for device in fleet:
            specs = specs_by_label.get(device.label)
            if not specs:
                continue
            if device.keys:
                # The inventory supplies this device's keys: the store keeps none for it.
                inventory_keys += 1
                continue
            wanted[device.mac] = specs
        vault = VaultLib(self._loader._vault.secrets or [])
        store, source_state = self._read(path, args, vault)
        rotate = rotation_targets(fleet, args["rotate"]) if args["rotate"] else []
        try:
            outcome = reconcile(store, wanted, generate=args["generate"], rotate=rotate, promote=args["fetched"])
        except KeyStoreError as exc:
            # A damaged entry is the store's fault: say which file holds it.
            raise KeyStoreError("%s (in %s)" % (exc.message, path), device=exc.device, field=exc.field)
        missing = outcome.missing
        if missing:
            raise KeyStoreError(
                "%d device(s) have no keys in %s and generate is off: %s%s; run the deployment once with key "
                "generation on (where the store can be committed), or give the keys in the inventory"
                % (len(missing), path, ", ".join(missing[:10]), ", ..." if len(missing) > 10 else ""),
                device=missing[0], field="keys")
        changed = bool(outcome.generated or outcome.rotated or outcome.promoted) or source_state == "new"
        if changed and not self._task.check_mode:
            self._write(path, dump_store(store), args, vault)
        return {
            "changed": changed,
            "device_keys": outcome.keys,
            "device_next_keys": outcome.next_keys,
            "path": path,
            "devices": len(outcome.keys),
            "inventory_keys": inventory_keys,
            "generated": outcome.generated,
            "rotated": outcome.rotated,
            "promoted": outcome.promoted,
            "rotating": sorted(outcome.next_keys),
            "created": source_state == "new",
        }

    def _read(self, path, args, vault):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            if not args["create"]:
                raise KeyStoreError(
                    "the key store %s does not exist. New keys for phones that already have keys would lock them "
                    "out, so it is never created silently: restore it (it belongs in the inventory's git repository, "
                    "vault-encrypted), or, for a first deployment, set create: true (sipfleet_key_store_create)"
                    % path, field="path")
            return empty_store(), "new"
        except OSError as exc:
            raise KeyStoreError("cannot read the key store %s: %s" % (path, exc.strerror), field="path")
        if is_encrypted(raw):
            if not vault.secrets:
                raise KeyStoreError("the key store %s is vault-encrypted: give the vault password "
                                    "(--vault-password-file or --vault-id)" % path, field="path")
            try:
                text = to_text(vault.decrypt(raw), errors="surrogate_or_strict")
            except AnsibleError as exc:
                raise KeyStoreError("cannot decrypt the key store %s: %s" % (path, exc), field="path")
        else:
            if args["encrypt"]:
                raise KeyStoreError("the key store %s is not vault-encrypted; encrypt it (ansible-vault encrypt %s) "
                                    "or set encrypt: false for a store kept outside any repository" % (path, path),
                                    field="path")
            text = to_text(raw, errors="surrogate_or_strict")
        return parse_store(text, path), "existing"

    def _write(self, path, text, args, vault):
        data = to_bytes(text)
        if args["encrypt"]:
            if not vault.secrets:
                raise KeyStoreError("the key store must be vault-encrypted and no vault password was given "
                                    "(--vault-password-file or --vault-id), or set encrypt: false for a store "
                                    "kept outside any repository", field="path")
            try:
                vault_id, secret = match_encrypt_secret(vault.secrets, args["vault_id"])
            except AnsibleError as exc:
                raise KeyStoreError("no vault secret to encrypt the key store with: %s" % exc, field="vault_id")
            data = vault.encrypt(data, secret, vault_id=vault_id)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise KeyStoreError("the directory of the key store %s does not exist" % path, field="path")
        write_file_atomic(path, data, 0o600)
