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

Only a trusted address gets a digest challenge answered with the line's
credentials: one the operator gave (``addresses``), or a status address the
phone itself proved (:func:`status_distrust`): the record is the device's
(its ``mac`` is the inventory's), the phone's latest proven request
(``last_authenticated``: its own HTTP credentials or client certificate)
came from the very address of its last fetch, and the record is not
``stale``. Anyone can fetch a phone's shared files, or its files over TFTP,
from anywhere; answering the challenge of that address would hand its owner
a digest of the line's password to attack offline.
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
    unmatched_devices=dict(type="str", choices=["fail", "skip"], default="fail"),
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


def select_devices(fleet, wanted, skipped=None):
    """The devices of ``fleet`` that ``wanted`` names, in fleet order; every entry must match one.

    An entry matches a device's name or label exactly, its MAC (any
    notation ``normalize_mac`` reads), or, holding ``*``, ``?`` or ``[``, its
    name or label as a shell pattern. An entry that matches nothing is an
    error, unless ``skipped`` is a list: it is then appended there (a
    device a profile run deleted has left the inventory).
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
            if skipped is not None:
                if entry not in skipped:
                    skipped.append(entry)
            else:
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


def status_addresses(document, field="status"):
    """``{label or MAC: {"client", "mac", "proven_client", "state"}}`` from a status document (``status.json``).

    A device's entry is the client address of its ``last_fetch`` (the last
    request the servers served it), the record's ``mac`` (normalized, or
    ``None``), the client of its ``last_authenticated`` (the last request
    the device proved; ``None`` when there is none, or in older status
    files that lack the field) and its ``state``. Whether the address is
    trusted is :func:`status_distrust`'s question. A fleet_status result
    holding the document as ``status`` is read as the document. The
    document is checked, not trusted: a value of the wrong type fails
    naming the record and field, it is never converted.
    """
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ProvisioningError("must be a status document (a JSON object with devices), not a %s"
                                % _json_type(document), field=field)
    if "devices" not in document and isinstance(document.get("status"), dict):
        # A registered fleet_status result, as the status playbook's merge reads it.
        document = document["status"]
    records = document.get("devices")
    if records is None:
        # Not a status document at all (a wrong file): no address is not an answer.
        raise ProvisioningError("has no devices list: is it a status.json or fleet_status result?",
                                field="%s.devices" % field)
    if not isinstance(records, list):
        raise ProvisioningError("must be a list of device records, not a %s" % _json_type(records),
                                field="%s.devices" % field)
    found = {}
    for index, record in enumerate(records):
        where = "%s.devices[%d]" % (field, index)
        if not isinstance(record, dict):
            raise ProvisioningError("must be a device record (an object), not a %s" % _json_type(record), field=where)
        keys = []
        for name in ("device", "mac"):
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                raise ProvisioningError("must be a string, not a %s" % _json_type(value), field="%s.%s" % (where, name))
            if value:
                keys.append(value)
        label = keys[0] if keys else None
        fetch = record.get("last_fetch")
        if fetch is None:
            continue
        if not isinstance(fetch, dict):
            raise ProvisioningError("must be an object (client, time, ...) or null, not a %s" % _json_type(fetch),
                                    device=label, field="%s.last_fetch" % where)
        client = fetch.get("client")
        if client is not None and not isinstance(client, str):
            raise ProvisioningError("must be an address string, not a %s" % _json_type(client),
                                    device=label, field="%s.last_fetch.client" % where)
        authenticated = fetch.get("authenticated", False)
        if not isinstance(authenticated, bool):
            raise ProvisioningError("must be true or false, not a %s" % _json_type(authenticated),
                                    device=label, field="%s.last_fetch.authenticated" % where)
        state = record.get("state")
        if state is not None and not isinstance(state, str):
            raise ProvisioningError("must be a string, not a %s" % _json_type(state), device=label,
                                    field="%s.state" % where)
        proof = record.get("last_authenticated")
        if proof is not None and not isinstance(proof, dict):
            raise ProvisioningError("must be an object (client, time, ...) or null, not a %s" % _json_type(proof),
                                    device=label, field="%s.last_authenticated" % where)
        proven_client = proof.get("client") if proof is not None else None
        if proof is not None and (not isinstance(proven_client, str) or not proven_client):
            raise ProvisioningError("must be an address string, not a %s" % _json_type(proven_client),
                                    device=label, field="%s.last_authenticated.client" % where)
        if client:
            entry = {"client": client, "mac": _mac_or_none(record.get("mac") or ""), "proven_client": proven_client,
                     "state": state}
            for key in keys:
                found[key] = entry
    return found


def status_distrust(device, entry):
    """Why the status address of ``entry`` (:func:`status_addresses`) is not trusted for ``device``; empty: trusted.

    Trusted only when every condition holds: the record is this device's
    (its MAC is the inventory's, so a replaced phone's record proves
    nothing of the new one); the phone proved a request of its own
    (``last_authenticated``) and that proof came from the address of its
    last fetch, the one the NOTIFY goes to (a shared file or a TFTP read,
    which anyone can make, moves the last fetch but not the proof); and the
    record is not ``stale``.
    """
    reasons = []
    if entry["mac"] != device.mac:
        reasons.append("the status record's MAC (%s) is not the device's (%s)" % (entry["mac"] or "none", device.mac))
    if entry["proven_client"] is None:
        reasons.append("the status has no authenticated fetch of the device (last_authenticated is null or missing)")
    elif entry["proven_client"] != entry["client"]:
        reasons.append("its last authenticated fetch came from %s, not from the address of its last fetch"
                       % entry["proven_client"])
    if entry["state"] == "stale":
        reasons.append("the device is stale in the status")
    return reasons


def check_addresses(addresses):
    """``addresses`` as given, after checking it maps strings to strings (an address is never converted)."""
    if addresses is None:
        return {}
    if not isinstance(addresses, dict):
        raise ProvisioningError("must be a mapping {device: address}, not a %s" % _json_type(addresses),
                                field="addresses")
    for key, value in addresses.items():
        if not isinstance(key, str):
            raise ProvisioningError("the key %r is a %s: a device name, label or MAC is a string (quote it)"
                                    % (key, _json_type(key)), field="addresses")
        if not isinstance(value, str):
            raise ProvisioningError("%r is a %s, not an address string (host, host:port or [IPv6]:port; quote it)"
                                    % (value, _json_type(value)), device=key, field="addresses.%s" % key)
    return addresses


def _json_type(value):
    """The JSON/YAML name of ``value``'s type, for error messages."""
    for kind, name in ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"), (list, "list"),
                       (dict, "mapping")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def load_status_file(path):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvisioningError("cannot read the status file %s: %s" % (path, exc), field="status_file") from None


def _lookup(device, source):
    """The entry of ``source`` keyed by ``device``'s name, label or MAC (any notation), or ``None``."""
    for key in (device.name, device.label, device.mac):
        if key and key in source:
            return source[key]
    for key, value in source.items():
        if _mac_or_none(key) == device.mac:
            return value
    return None


#: Where a target's address came from (``address_source`` in its result).
FROM_ADDRESSES = "addresses"
FROM_AUTHENTICATED_FETCH = "status: authenticated fetch"
FROM_UNAUTHENTICATED_FETCH = "status: unauthenticated fetch"


def device_address(device, addresses, found):
    """``(address text, source, reasons)`` for ``device`` (by name, label or MAC), or ``(None, None, [])``.

    ``addresses`` (the operator's) wins over ``found`` (:func:`status_addresses`);
    ``reasons`` are why a status address is not trusted (:func:`status_distrust`).
    """
    given = _lookup(device, addresses)
    if given is not None:
        return given, FROM_ADDRESSES, []
    entry = _lookup(device, found)
    if entry is None:
        return None, None, []
    reasons = status_distrust(device, entry)
    return entry["client"], FROM_UNAUTHENTICATED_FETCH if reasons else FROM_AUTHENTICATED_FETCH, reasons


def challenge_refusal(address, reasons=()):
    """Why a challenge from the status address ``address`` is not answered (``reasons``), and what to do."""
    why = "; ".join(reasons) or "it is not proven to be the phone's"
    return ("challenge not answered: the address %s from the status is not trusted: %s (anyone can request a "
            "phone's shared files, or its files over TFTP), and a digest answer would expose the line's password "
            "to offline guessing; to trust it, give the device's address in addresses, or serve the phone's files "
            "with per-device credentials or client certificates so its fetches are authenticated" % (address, why))


def build_targets(devices, addresses, found, port=_sip_notify.DEFAULT_PORT, reboot=None):
    """``(targets, skipped, notes)``: what to send each device; the devices without an address; event notes.

    A target whose address is not trusted carries no password and a
    ``challenge_refusal``: it gets its NOTIFY, not an answer to a challenge.
    """
    targets = []
    skipped = []
    notes = []
    for device in devices:
        text, source, reasons = device_address(device, addresses, found)
        if not text:
            skipped.append(device.label)
            continue
        field = "addresses" if source == FROM_ADDRESSES else "status.last_fetch.client"
        host, device_port = _sip_notify.parse_address(text, device=device.label, field=field, default_port=port)
        event, note = _sip_notify.notify_event(description_for(device.vendor), reboot)
        if note and note not in notes:
            notes.append(note)
        line = device.lines[0] if device.lines else None
        trusted = source in (FROM_ADDRESSES, FROM_AUTHENTICATED_FETCH)
        targets.append({
            "device": device.label, "host": host, "port": device_port, "event": event, "address_source": source,
            # The Request-URI names the line the phone registers (its extension);
            # the digest answers with the line's authentication user.
            "user": (line.extension or line.auth_user) if line else "",
            "auth_user": line.auth_user if line else "",
            "password": line.password if (line and trusted) else "",
            "challenge_refusal": None if trusted else challenge_refusal(text, reasons),
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
    not_in_inventory = [] if params.get("unmatched_devices") == "skip" else None
    devices = select_devices(fleet, params["devices"] or [], not_in_inventory)
    addresses = check_addresses(params.get("addresses"))
    found = {}
    if params.get("status_file"):
        found.update(status_addresses(load_status_file(params["status_file"]), "status_file"))
    if params.get("status"):
        found.update(status_addresses(params["status"], "status"))
    targets, skipped, notes = build_targets(devices, addresses, found, params["port"], params.get("reboot"))
    warnings = list(notes)
    if not_in_inventory:
        warnings.append("%d device(s) not in the inventory (removed or renamed), nothing sent to them: %s (they have "
                        "no line to notify)" % (len(not_in_inventory), ", ".join(not_in_inventory)))
    if skipped:
        warnings.append("no address for %d device(s), nothing sent to them: %s (give addresses or a status_file "
                        "whose devices have a last fetch)" % (len(skipped), ", ".join(skipped)))
    if check_mode:
        results = [planned(target, params["transport"]) for target in targets]
    else:
        results = _sip_notify.notify_all(targets, params["transport"], params["rate"], params["concurrency"],
                                         params["timeout"], sender=sender)
    unanswered = [record["device"] for record in results
                  if record.get("note") and record.get("status") in (401, 407)]
    if unanswered:
        warnings.append("%d device(s) challenged the NOTIFY at an untrusted address from the status; the "
                        "challenge was not answered: %s (see their note; give their addresses to trust them)"
                        % (len(unanswered), ", ".join(unanswered)))
    summary = {}
    for record in results:
        key = "ok" if record.get("status") and 200 <= record["status"] < 300 else (
            "timeout" if record["result"] == "timeout" else "planned" if check_mode else "failed")
        summary[key] = summary.get(key, 0) + 1
    return {
        "changed": bool(results),
        "results": results,
        "no_address": skipped,
        "not_in_inventory": not_in_inventory or [],
        "summary": summary,
        "warnings": warnings,
    }
