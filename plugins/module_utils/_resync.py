# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the ``resync`` module does, without AnsibleModule: pick devices, find addresses, send.

The devices come from the inventory (validated by the data model, so each
has its vendor and its lines); a device is chosen by name, label, MAC or a
shell pattern of its name (:func:`select_devices`); its address comes from
the ``addresses`` option, else from the status document ``fleet_status``
writes (the client address of its last fetch, :func:`status_addresses`).
The NOTIFY itself is ``_sip_notify``'s.
"""

from __future__ import annotations

import fnmatch
import json

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _sip_notify
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import build_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ErrorCollector, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import (
    description_for,
    vendor_for_model,
)

ARGUMENT_SPEC = dict(
    devices=dict(type="list", elements="str", required=True),
    addresses=dict(type="dict", default={}),
    status_file=dict(type="path"),
    status=dict(type="dict"),
    port=dict(type="int", default=_sip_notify.DEFAULT_PORT),
    transport=dict(type="str", choices=list(_sip_notify.TRANSPORTS), default="udp"),
    rate=dict(type="float", default=20.0),
    concurrency=dict(type="int", default=10),
    timeout=dict(type="float", default=8.0),
    reboot=dict(type="bool"),
    inventory_file=dict(type="path"),
)

#: The inventory keys the action plugin writes into ``inventory_file``.
INVENTORY_KEYS = ("devices", "defaults", "sites", "models")


def load_devices(inventory):
    """The inventory's devices through the data model (vendor, MAC, lines with defaults filled in).

    Only the data model: whether a vendor can render a device's files is
    ``phone_profiles``' question, not one that should stop a NOTIFY.
    """
    errors = ErrorCollector()
    _model, fleet = build_model(inventory.get("devices") or [], inventory.get("defaults"), inventory.get("sites"),
                                inventory.get("models"), vendor_for_model, errors=errors)
    errors.raise_if_any()
    return fleet


def select_devices(fleet, wanted):
    """The devices of ``fleet`` that ``wanted`` names, in fleet order; every entry must match one.

    An entry matches a device's name or label exactly, its MAC (any
    notation ``normalize_mac`` reads), or, holding ``*``, ``?`` or ``[``, its
    name or label as a shell pattern.
    """
    chosen = []
    unmatched = []
    for index, entry in enumerate(wanted):
        entry = str(entry).strip()
        mac = _mac_or_none(entry)
        pattern = any(char in entry for char in "*?[")
        found = False
        for device in fleet:
            names = [name for name in (device.name, device.label) if name]
            if (entry in names or (mac is not None and device.mac == mac)
                    or (pattern and any(fnmatch.fnmatchcase(name, entry) for name in names))):
                found = True
                if device not in chosen:
                    chosen.append(device)
        if not found:
            unmatched.append("devices[%d] %r" % (index, entry))
    if unmatched:
        raise ProvisioningError("matches no device of the inventory: %s" % ", ".join(unmatched), field="devices")
    order = dict((id(device), position) for position, device in enumerate(fleet))
    return sorted(chosen, key=lambda device: order[id(device)])


def _mac_or_none(text):
    try:
        return normalize_mac(text)
    except ProvisioningError:
        return None


def status_addresses(document):
    """``{label or MAC: client address}`` from a status document (``status.json``) of ``fleet_status``."""
    found = {}
    for record in (document or {}).get("devices") or []:
        if not isinstance(record, dict):
            continue
        client = (record.get("last_fetch") or {}).get("client")
        if client:
            for key in (record.get("device"), record.get("mac")):
                if key:
                    found[str(key)] = client
    return found


def load_status_file(path):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvisioningError("cannot read the status file %s: %s" % (path, exc), field="status_file") from None


def device_address(device, addresses, found):
    """The address text given for ``device`` (by name, label or MAC), or ``None``."""
    for source in (addresses, found):
        for key in (device.name, device.label, device.mac):
            if key and source.get(key):
                return source[key]
        for key, value in source.items():
            if value and _mac_or_none(key) == device.mac:
                return value
    return None


def build_targets(devices, addresses, found, port=_sip_notify.DEFAULT_PORT, reboot=None):
    """``(targets, skipped, notes)``: what to send each device; the devices without an address; event notes."""
    targets = []
    skipped = []
    notes = []
    for device in devices:
        text = device_address(device, addresses, found)
        if not text:
            skipped.append(device.label)
            continue
        host, device_port = _sip_notify.parse_address(text, device=device.label, field="addresses", default_port=port)
        event, note = _sip_notify.notify_event(description_for(device.vendor), reboot)
        if note and note not in notes:
            notes.append(note)
        line = device.lines[0] if device.lines else None
        targets.append({
            "device": device.label, "host": host, "port": device_port, "event": event,
            # The Request-URI names the line the phone registers (its extension);
            # the digest answers with the line's authentication user.
            "user": (line.extension or line.auth_user) if line else "",
            "auth_user": line.auth_user if line else "",
            "password": line.password if line else "",
        })
    return targets, skipped, notes


def planned(target, transport):
    """The result of a device in check mode: what would be sent, nothing sent."""
    record = _sip_notify.result_record(target)
    record.update(result="not sent (check mode)", transport=transport,
                  uri=_sip_notify.NotifyRequest(target["user"], target["host"], target["port"], target["event"],
                                                "0.0.0.0", 0).uri)
    return record


def run(params, inventory, check_mode=False, sender=_sip_notify.send_notify):
    """The module's result (without ``changed``'s Ansible details) for ``params`` and the inventory dict."""
    if params["concurrency"] < 1:
        raise ProvisioningError("must be at least 1", field="concurrency")
    if params["rate"] < 0:
        raise ProvisioningError("must be 0 (no limit) or more", field="rate")
    if params["timeout"] <= 0:
        raise ProvisioningError("must be more than 0", field="timeout")
    fleet = load_devices(inventory)
    devices = select_devices(fleet, params["devices"] or [])
    found = {}
    if params.get("status_file"):
        found.update(status_addresses(load_status_file(params["status_file"])))
    if params.get("status"):
        found.update(status_addresses(params["status"]))
    targets, skipped, notes = build_targets(devices, params.get("addresses") or {}, found, params["port"],
                                            params.get("reboot"))
    warnings = list(notes)
    if skipped:
        warnings.append("no address for %d device(s), nothing sent to them: %s (give addresses or a status_file "
                        "whose devices have a last fetch)" % (len(skipped), ", ".join(skipped)))
    if check_mode:
        results = [planned(target, params["transport"]) for target in targets]
    else:
        results = _sip_notify.notify_all(targets, params["transport"], params["rate"], params["concurrency"],
                                         params["timeout"], sender=sender)
    summary = {}
    for record in results:
        key = "ok" if record.get("status") and 200 <= record["status"] < 300 else (
            "timeout" if record["result"] == "timeout" else "planned" if check_mode else "failed")
        summary[key] = summary.get(key, 0) + 1
    return {
        "changed": bool(results),
        "results": results,
        "no_address": skipped,
        "summary": summary,
        "warnings": warnings,
    }
