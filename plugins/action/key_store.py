# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``key_store`` action: keep the per-device keys in a vault file on the controller."""

from __future__ import annotations

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, is_encrypted, match_encrypt_secret
from ansible.plugins.action import ActionBase

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import build_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, error_list
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import (
    ARGUMENT_SPEC,
    KeyStoreError,
    normalise_evidence,
    reconcile,
    rotation_targets,
    update_store,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import required_keys, vendor_for_model
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._fleet_bundle import (
    fleet_lines,
    uncovered_devices,
    write_bundle,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._inventory_vars import inventory_options, resolve


class ActionModule(ActionBase):
    """Read, complete and write the key store; return the keys of the fleet."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # Whatever happens, the result holds keys: never display it.
        result["_ansible_no_log"] = True
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        args.update(inventory_options(self._task.args, task_vars, self._templar, self._loader))
        try:
            if args["fleet_bundle"] and args["shard_coverage"]:
                self._check_shard_coverage(args, task_vars or {})
            result.update(self._run(args))
        except ProvisioningError as exc:
            result.update(failed=True, msg=str(exc), field=exc.field, device=exc.device, errors=error_list(exc))
            return result
        if not args["fleet_bundle"]:
            return result
        # Asked for (fleet_bundle): the fleet and its keys, resolved once for
        # the play; phone_profiles (fleet_bundle) sends this file to every
        # host as it is. The value returned names the file only; the keys
        # stay in it.
        try:
            result["fleet_bundle"] = write_bundle({
                "devices": args["devices"], "defaults": args["defaults"], "sites": args["sites"],
                "models": args["models"], "directory": args["directory"],
                "keys": result["device_keys"], "next_keys": result["device_next_keys"]},
                lines=self._lines)
        except OSError as exc:
            result.update(failed=True, msg="cannot write the fleet bundle into the local temporary directory %s: %s "
                          "(the key store itself was updated)" % (C.DEFAULT_LOCAL_TMP, exc), field="fleet_bundle")
        return result

    def _check_shard_coverage(self, args, task_vars):
        """Fail naming the devices that the sipfleet_shard of the play's hosts leave out.

        Each shard host renders its shard only and prunes the rest: a device
        no host's shard selects is served by no host of the play, silently.
        """
        hostvars = task_vars.get("hostvars") or {}
        hosts = task_vars.get("ansible_play_hosts_all") or task_vars.get("ansible_play_hosts") or []
        host_shards = {}
        for host in hosts:
            variables = hostvars.get(host) if hasattr(hostvars, "get") else None
            shard = variables.get("sipfleet_shard") if variables is not None else None
            host_shards[host] = None if shard is None else resolve(self._templar, shard, "sipfleet_shard")
        left_out = uncovered_devices(args["devices"] or [], args["sites"], host_shards)
        if left_out:
            raise ProvisioningError(
                "%d device(s) are in no sipfleet_shard of the play's hosts (%s), and no host serves the whole fleet: "
                "%s%s. Add them to a shard or add a host without sipfleet_shard; a run limited to some shards "
                "(--limit) sets sipfleet_shard_coverage: false (docs/scale.md)"
                % (len(left_out), ", ".join(sorted(host_shards)), ", ".join(str(name) for name in left_out[:10]),
                   ", ..." if len(left_out) > 10 else ""), field="sipfleet_shard")

    def _run(self, args):
        path = args["path"]
        if args["lock_timeout"] < 0:
            raise KeyStoreError("must be 0 or more seconds", field="lock_timeout")
        if args["rotation_stall_days"] < 0:
            raise KeyStoreError("must be 0 or more days", field="rotation_stall_days")
        # The data model alone says which keys each device needs; the vendors'
        # full checks run in phone_profiles, before anything is written.
        dummy, fleet = build_model(args["devices"], args["defaults"], args["sites"], args["models"], vendor_for_model)
        # What a shard's fleet-wide directory lists of the other shards'
        # devices (fleet_bundle), each line checked as a directory entry
        # before the store is written: a bad one fails here, once, naming
        # its device, rather than on every shard host.
        self._lines = None
        if args["fleet_bundle"] and args["directory"] is not None:
            self._lines = fleet_lines(fleet, args["directory"])
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
        rotate = rotation_targets(fleet, args["rotate"], "rotate") if args["rotate"] else []
        rebootstrap = rotation_targets(fleet, args["rebootstrap"], "rebootstrap") if args["rebootstrap"] else []
        fetched = normalise_evidence(args["fetched"], "fetched")
        proven = normalise_evidence(args["proven"], "proven")
        closed = normalise_evidence(args["closed"], "closed")

        def mutate(store, created):
            try:
                outcome = reconcile(store, wanted, generate=args["generate"], rotate=rotate, promote=proven,
                                    fetched=fetched, rebootstrap=rebootstrap,
                                    stall_days=args["rotation_stall_days"], closed=closed)
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
            return outcome

        outcome, changed, created = update_store(
            path, lambda raw: self._decode(raw, path, args, vault), lambda text: self._encode(text, args, vault),
            mutate, create=args["create"], timeout=args["lock_timeout"], write=not self._task.check_mode)
        return {
            "changed": changed,
            "device_keys": outcome.keys,
            "device_next_keys": outcome.next_keys,
            "device_delivered": outcome.delivered,
            "path": path,
            "devices": len(outcome.keys),
            "inventory_keys": inventory_keys,
            "generated": outcome.generated,
            "rotated": outcome.rotated,
            "rotation_held": sorted(outcome.held),
            "promoted": outcome.promoted,
            "rotating": sorted(outcome.next_keys),
            "rotation": outcome.rotation_report(),
            "rebootstrap": sorted(rebootstrap),
            "created": created,
        }

    @staticmethod
    def _decode(raw, path, args, vault):
        if is_encrypted(raw):
            if not vault.secrets:
                raise KeyStoreError("the key store %s is vault-encrypted: give the vault password "
                                    "(--vault-password-file or --vault-id)" % path, field="path")
            try:
                return to_text(vault.decrypt(raw), errors="surrogate_or_strict")
            except AnsibleError as exc:
                raise KeyStoreError("cannot decrypt the key store %s: %s" % (path, exc), field="path")
        if args["encrypt"]:
            raise KeyStoreError("the key store %s is not vault-encrypted; encrypt it (ansible-vault encrypt %s) "
                                "or set encrypt: false for a store kept outside any repository" % (path, path),
                                field="path")
        return to_text(raw, errors="surrogate_or_strict")

    @staticmethod
    def _encode(text, args, vault):
        data = to_bytes(text)
        if not args["encrypt"]:
            return data
        if not vault.secrets:
            raise KeyStoreError("the key store must be vault-encrypted and no vault password was given "
                                "(--vault-password-file or --vault-id), or set encrypt: false for a store "
                                "kept outside any repository", field="path")
        try:
            vault_id, secret = match_encrypt_secret(vault.secrets, args["vault_id"])
        except AnsibleError as exc:
            raise KeyStoreError("no vault secret to encrypt the key store with: %s" % exc, field="vault_id")
        return vault.encrypt(data, secret, vault_id=vault_id)
