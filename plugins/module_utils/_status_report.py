# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet's status, merged from every provisioning host, and the files written from it.

``fleet_status`` reports what one provisioning host logged (the document of
``STATUS17``: ``generated``, ``hosts``, ``counts``, ``devices``, ``unknown``).
A phone may fetch from any of several redundant servers, so the status
playbook merges every host's document into one (:func:`merge_status`) and
writes three files from it on the controller: ``status.json``
(:func:`status_json`), ``unknown-devices.yml`` (:func:`unknown_devices_yaml`)
and the self-contained page ``index.html`` (:func:`render_page`).

Every function is pure and deterministic: the same documents give the same
bytes, whatever the order of the hosts, so the files only change when the
fleet does. Nothing here reads a clock; the only time in the output is the
documents' own ``generated``.
"""

from __future__ import annotations

import datetime
import html
import json
import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, quote_value

#: The states of an inventory device, in the order the page shows them; an
#: ``unknown`` entry (a MAC not in the inventory) is not a device.
DEVICE_STATES = ("current", "outdated", "stale", "never_seen")
STATES = DEVICE_STATES + ("unknown",)
STATE_LABELS = {
    "current": "current",
    "outdated": "outdated",
    "stale": "stale",
    "never_seen": "never seen",
    "unknown": "unknown",
}
BOOTSTRAP_STATES = ("open", "closed", "none")

#: fleet_status's own default: a device not heard from for longer is stale.
DEFAULT_STALE_DAYS = 7

_TIME_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$"
)
# The inventory's own rules (_device_model): a suggested name or a reported
# model that breaks them would make the pasted entry an error.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")
_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_MAC_RE = re.compile(r"^[0-9a-f]{12}$")


# ---------------------------------------------------------------------------
# Reading the hosts' documents
# ---------------------------------------------------------------------------

def parse_time(value, device=None, field=None):
    """An ISO 8601 time with a zone (``2026-12-06T16:01:02Z``) as an aware UTC datetime.

    Written by hand rather than with ``datetime.fromisoformat``: Python 3.9
    takes neither ``Z`` nor fractions of other than 3 or 6 digits.
    """
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ProvisioningError(
            "%s is not an ISO 8601 time with a zone (2026-12-06T16:01:02Z)" % quote_value(value),
            device=device, field=field,
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone == "Z":
        offset = datetime.timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if zone[0] == "-":
            offset = -offset
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
                                   tzinfo=datetime.timezone(offset))
    except ValueError as exc:
        raise ProvisioningError("%s is not a valid time: %s" % (quote_value(value), exc), device=device, field=field)
    return moment.astimezone(datetime.timezone.utc)


def format_time(moment):
    """``2026-12-06T16:01:02Z`` (microseconds only when there are any)."""
    text = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None).isoformat()
    return text + "Z"


def _host_document(result, index):
    """The status document of one host's result: the result itself, or its ``status``."""
    where = "host_results[%d]" % index
    if not isinstance(result, dict):
        raise ProvisioningError("must be a mapping (a fleet_status result), not %s" % type(result).__name__, field=where)
    if "devices" not in result and isinstance(result.get("status"), dict):
        result = result["status"]
    for key in ("devices", "unknown"):
        if not isinstance(result.get(key), list):
            raise ProvisioningError("has no %s list: is it a fleet_status result?" % key, field="%s.%s" % (where, key))
    hosts = result.get("hosts") or []
    if not isinstance(hosts, list) or not all(isinstance(host, str) for host in hosts):
        raise ProvisioningError("must be a list of host names", field="%s.hosts" % where)
    return result


def _text_or_none(value, device, field):
    if value is None or isinstance(value, str):
        return value
    raise ProvisioningError("must be a string or null, not %s" % type(value).__name__, device=device, field=field)


def _check_device(entry, where):
    if not isinstance(entry, dict):
        raise ProvisioningError("must be a mapping, not %s" % type(entry).__name__, field=where)
    label = entry.get("device")
    if not isinstance(label, str) or not label:
        raise ProvisioningError("has no device label", field="%s.device" % where)
    for field in ("mac", "vendor", "model", "site"):
        _text_or_none(entry.get(field), label, field)
    if entry.get("state") not in DEVICE_STATES:
        raise ProvisioningError("%s is not one of %s" % (quote_value(entry.get("state")), ", ".join(DEVICE_STATES)),
                                device=label, field="state")
    for field in ("last_fetch", "last_refused"):
        fetch = entry.get(field)
        if fetch is not None:
            if not isinstance(fetch, dict):
                raise ProvisioningError("must be a mapping or null", device=label, field=field)
            parse_time(fetch.get("time"), device=label, field="%s.time" % field)
    fetch = entry.get("last_fetch")
    if fetch is not None and not isinstance(fetch.get("authenticated", False), bool):
        raise ProvisioningError("must be true or false", device=label, field="last_fetch.authenticated")
    proof = entry.get("last_authenticated")
    if proof is not None:
        if not isinstance(proof, dict):
            raise ProvisioningError("must be a mapping (time, host, client, scheme, path) or null, not %s"
                                    % type(proof).__name__, device=label, field="last_authenticated")
        parse_time(proof.get("time"), device=label, field="last_authenticated.time")
        if not isinstance(proof.get("client"), str) or not proof["client"]:
            raise ProvisioningError("must be an address string", device=label, field="last_authenticated.client")
        for field in ("host", "scheme", "path"):
            _text_or_none(proof.get(field), label, "last_authenticated.%s" % field)
    own_files = entry.get("own_files")
    if own_files is not None:
        if not isinstance(own_files, list):
            raise ProvisioningError("must be a list", device=label, field="own_files")
        for index, own in enumerate(own_files):
            where = "own_files[%d]" % index
            if not isinstance(own, dict):
                raise ProvisioningError("must be a mapping", device=label, field=where)
            if not isinstance(own.get("path"), str) or not own["path"]:
                raise ProvisioningError("must be a path", device=label, field=where + ".path")
            parse_time(own.get("time"), device=label, field=where + ".time")
            if not isinstance(own.get("current"), bool):
                raise ProvisioningError("must be true or false", device=label, field=where + ".current")
    return label


def _check_unknown(entry, where):
    if not isinstance(entry, dict):
        raise ProvisioningError("must be a mapping, not %s" % type(entry).__name__, field=where)
    mac = entry.get("mac")
    if not isinstance(mac, str) or not _MAC_RE.match(mac.lower()):
        raise ProvisioningError("%s is not a MAC address of twelve hex digits" % quote_value(mac),
                                field="%s.mac" % where)
    label = "unknown " + mac.lower()
    for field in ("first_seen", "last_seen"):
        parse_time(entry.get(field), device=label, field=field)
    for field in ("vendor", "model", "firmware", "client", "suggested_name"):
        _text_or_none(entry.get(field), label, field)
    paths = entry.get("paths") or []
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise ProvisioningError("must be a list of paths", device=label, field="paths")
    return mac.lower()


# ---------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------

def _fetch_order(view, field="last_fetch"):
    """Sort key of one host's view of a device: a fetch beats none, a later fetch an earlier one."""
    fetch = view["entry"].get(field)
    if fetch is None:
        return (0, datetime.datetime.min.replace(tzinfo=datetime.timezone.utc))
    return (1, parse_time(fetch["time"]))


def _days_between(earlier, later):
    return max(0.0, round((later - earlier).total_seconds() / 86400.0, 3))


def merge_status(host_results, stale_days=DEFAULT_STALE_DAYS):
    """One status document from the documents of every provisioning host.

    ``host_results`` is a list of ``fleet_status`` results (the document
    itself, or a result holding it as ``status``), or a mapping of host name
    to result. For each device the view of the host with its most recent
    ``last_fetch`` wins (``last_fetch``, ``reported``, ``mismatch``), and
    the latest ``last_refused`` of any host, the latest ``last_authenticated``
    of the hosts whose view has the device's MAC; ``own_files`` are merged per
    path (the latest fetch of each file over every host) and ``current`` is
    computed from them: every own file's latest fetch got its current
    version (:func:`_merge_current`). The inventory fields come from the
    first host by name that lists it; ``bootstrap`` is ``open`` when a window
    is open on any host, else ``closed`` when any closed one, else ``none``. ``generated`` is the
    latest of the hosts' own, ``days_since_contact`` and the ``state`` are
    recomputed from it and ``stale_days``, so every device is judged at one
    moment by one rule. Unknown MACs are merged by MAC (first and last seen
    over every host, the client, model and firmware of the latest sighting,
    every path); a MAC some host has in its inventory is not unknown.
    ``unknown_dropped`` is the sum of the hosts' (the MACs each host left
    out of its list: a MAC one host listed and another left out is in both,
    so it is an upper bound).
    """
    if isinstance(stale_days, bool) or not isinstance(stale_days, (int, float)) or stale_days <= 0:
        raise ProvisioningError("must be a positive number of days, got %s" % quote_value(stale_days),
                                field="stale_days")
    if isinstance(host_results, dict):
        host_results = [host_results[name] for name in sorted(host_results)]
    if not isinstance(host_results, list) or not host_results:
        raise ProvisioningError("no provisioning host returned a status", field="host_results")

    documents = [_host_document(result, index) for index, result in enumerate(host_results)]
    hosts = set()
    generated = None
    dropped = 0
    views = {}      # label -> [{"host", "entry"}]
    sightings = {}  # mac -> [entry]
    for index, document in enumerate(documents):
        doc_hosts = sorted(document.get("hosts") or [])
        hosts.update(doc_hosts)
        # The host a view came from: the document's own (one host each).
        host = doc_hosts[0] if doc_hosts else "host_results[%d]" % index
        count = document.get("unknown_dropped", 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ProvisioningError("must be a whole number, 0 or more, not %s" % quote_value(count),
                                    field="host_results[%d].unknown_dropped" % index)
        dropped += count
        if document.get("generated") is not None:
            moment = parse_time(document["generated"], field="host_results[%d].generated" % index)
            generated = moment if generated is None or moment > generated else generated
        for position, entry in enumerate(document["devices"]):
            label = _check_device(entry, "host_results[%d].devices[%d]" % (index, position))
            views.setdefault(label, []).append({"host": host, "entry": entry})
        for position, entry in enumerate(document["unknown"]):
            mac = _check_unknown(entry, "host_results[%d].unknown[%d]" % (index, position))
            sightings.setdefault(mac, []).append(entry)
    if generated is None:
        raise ProvisioningError("no host's status says when it was generated", field="generated")

    devices = [_merge_device(label, views[label], generated, stale_days) for label in sorted(views)]
    inventory_macs = set(device["mac"].lower() for device in devices if device.get("mac"))
    names = set(device["device"] for device in devices)
    unknown = [_merge_unknown(mac, sightings[mac], names) for mac in sorted(sightings) if mac not in inventory_macs]

    counts = dict((state, 0) for state in STATES)
    for device in devices:
        counts[device["state"]] += 1
    counts["unknown"] = len(unknown)
    return {
        "generated": format_time(generated),
        "hosts": sorted(hosts),
        "stale_days": stale_days,
        "counts": counts,
        "devices": devices,
        "unknown": unknown,
        "unknown_dropped": dropped,
    }


def _merge_device(label, views, generated, stale_days):
    # By host name first: on equal times max() keeps the first host, so the
    # result does not depend on the order the hosts answered in.
    views = sorted(views, key=lambda view: view["host"])
    inventory = views[0]["entry"]
    latest = max(views, key=_fetch_order)["entry"]
    fetch = latest.get("last_fetch")
    if fetch is not None:
        # Only a fetch the device's credentials or certificate proved is authenticated; absent is not proof.
        fetch = dict(fetch, authenticated=fetch.get("authenticated") is True)
    refused = max(views, key=lambda view: _fetch_order(view, "last_refused"))["entry"].get("last_refused")
    proof = _merge_proof(views, inventory.get("mac"))
    own_files, current = _merge_current(views, latest)
    device = {
        "device": label,
        "mac": inventory.get("mac"),
        "vendor": inventory.get("vendor"),
        "model": inventory.get("model"),
        "site": inventory.get("site"),
        "last_fetch": fetch,
        "last_authenticated": proof,
        "last_refused": dict(refused) if refused is not None else None,
        "reported": dict(latest.get("reported") or {"vendor": None, "model": None, "firmware": None, "mac": None}),
        "current": current if fetch is not None else False,
        "own_files": own_files,
        "mismatch": sorted(set(latest.get("mismatch") or [])),
    }
    bootstraps = set(view["entry"].get("bootstrap") for view in views)
    device["bootstrap"] = next((state for state in BOOTSTRAP_STATES if state in bootstraps), "none")
    if fetch is None:
        device["days_since_contact"] = None
        device["state"] = "never_seen"
    else:
        days = _days_between(parse_time(fetch["time"]), generated)
        device["days_since_contact"] = days
        if days > stale_days:
            device["state"] = "stale"
        else:
            device["state"] = "current" if device["current"] else "outdated"
    return device


def _mac_key(mac):
    return mac.lower() if isinstance(mac, str) and mac else None


def _merge_proof(views, mac):
    """The latest ``last_authenticated`` over the hosts whose view of the device has its MAC ``mac``.

    A host whose inventory gives the label another MAC (a replaced phone
    not yet everywhere) proved another phone: its proof is dropped, never
    paired with this MAC. Equal times: the first host by name.
    """
    mac = _mac_key(mac)
    latest = None
    for view in views:
        proof = view["entry"].get("last_authenticated")
        if proof is None or mac is None or _mac_key(view["entry"].get("mac")) != mac:
            continue
        if latest is None or parse_time(proof["time"]) > parse_time(latest["time"]):
            latest = proof
    return dict(latest) if latest is not None else None


def _merge_current(views, latest):
    """``(own_files, current)`` of a device over every host's view.

    Per own file (by path), the latest fetch over every host, so a later
    fetch of another file on another host (a shared file, a bootstrap) does
    not decide whether this one is current: ``current`` is true when the
    device fetched at least one own file and the latest fetch of each got
    its current version. Equal times: the first host by name (``views`` is
    sorted by host). A document without ``own_files`` (written before
    fleet_status listed them) keeps the old rule: ``current`` of the view
    with the latest fetch.
    """
    if not any("own_files" in view["entry"] for view in views):
        return [], bool(latest.get("current"))
    latest_by_path = {}
    for view in views:
        for own in view["entry"].get("own_files") or []:
            moment = parse_time(own["time"])
            previous = latest_by_path.get(own["path"])
            if previous is None or moment > previous[0]:
                latest_by_path[own["path"]] = (moment, own)
    own_files = [{"path": path, "time": format_time(moment), "current": own["current"]}
                 for path, (moment, own) in sorted(latest_by_path.items())]
    return own_files, bool(own_files) and all(own["current"] for own in own_files)


def _merge_unknown(mac, entries, inventory_names):
    # The whole entry breaks ties, so the order the hosts answered in never matters.
    ordered = sorted(entries, key=lambda entry: (parse_time(entry["last_seen"]),
                                                 json.dumps(entry, sort_keys=True, default=str)))
    latest = ordered[-1]

    def newest(field):
        # The latest sighting that shows the field: an earlier User-Agent
        # may have shown the model a later plain fetch did not.
        for entry in reversed(ordered):
            if entry.get(field):
                return entry[field]
        return None

    first_seen = min(parse_time(entry["first_seen"]) for entry in entries)
    name = newest("suggested_name")
    if not isinstance(name, str) or not _NAME_RE.match(name) or name in inventory_names:
        name = "unknown-%s" % mac
    return {
        "mac": mac,
        "vendor": newest("vendor"),
        "model": newest("model"),
        "firmware": newest("firmware"),
        "first_seen": format_time(first_seen),
        "last_seen": format_time(parse_time(latest["last_seen"])),
        "client": latest.get("client"),
        "paths": sorted(set(path for entry in entries for path in entry.get("paths") or [])),
        "suggested_name": name,
    }


# ---------------------------------------------------------------------------
# status.json
# ---------------------------------------------------------------------------

def status_json(merged):
    """The text of ``status.json``: the merged document, keys sorted, two-space indent."""
    return json.dumps(merged, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# unknown-devices.yml
# ---------------------------------------------------------------------------

_YAML_ESCAPES = {
    "\\": "\\\\", '"': '\\"', "\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n",
    "\v": "\\v", "\f": "\\f", "\r": "\\r", "\x1b": "\\e", "\x85": "\\N", "\xa0": "\\_",
    "\u2028": "\\L", "\u2029": "\\P",
}


def yaml_quote(value):
    """``value`` as a YAML double-quoted scalar on one line.

    Written here rather than with PyYAML, which the hosts need not have:
    every character YAML takes for a line break (``\\x85``, ``\\u2028``,
    ``\\u2029``), every control character and every character YAML cannot
    carry literally is escaped, so a hostile model or name can neither end
    the line nor the scalar.
    """
    out = []
    for char in value:
        code = ord(char)
        if char in _YAML_ESCAPES:
            out.append(_YAML_ESCAPES[char])
        elif code < 0x20 or 0x7f <= code <= 0x9f or 0xd800 <= code <= 0xdfff or code in (0xfeff, 0xfffe, 0xffff):
            out.append("\\x%02x" % code if code <= 0xff else "\\u%04x" % code)
        else:
            out.append(char)
    return '"%s"' % "".join(out)


_PLAIN_COMMENT_RE = re.compile(r"^[A-Za-z0-9_.:+@/-]+$")


def _comment_value(value):
    # A comment ends at a line break: a value that is not plain is quoted like a scalar.
    if value is None:
        return "-"
    text = str(value)
    return text if _PLAIN_COMMENT_RE.match(text) else yaml_quote(text)


def unknown_devices_yaml(merged):
    """The text of ``unknown-devices.yml``: the unknown MACs as a list of ``sipfleet_devices`` entries.

    The file is a device file the ``devices`` lookup reads (a YAML list of
    devices), or entries to paste into ``sipfleet_devices``: ``name`` (the
    suggested one), ``mac``, ``vendor`` when it is one the collection knows,
    ``model`` as the User-Agent showed it (``null`` when it showed none the
    inventory accepts, so the entry fails, named, until someone fills it in).
    A comment above each says when the MAC was first and last seen, from which
    address and with which firmware. No lines, so no password.
    """
    from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS

    unknown = merged.get("unknown") or []
    lines = [
        "# Phones that asked the provisioning servers (%s) for device files but are not in"
        % ", ".join(_comment_value(host) for host in merged.get("hosts") or []),
        "# sipfleet_devices, as of %s. Check each one, give it a name and its lines, then"
        % _comment_value(merged.get("generated")),
        "# add it to the fleet (this file is also a device file the devices lookup reads).",
    ]
    if merged.get("unknown_dropped"):
        lines.append("# %s more unknown MACs were seen but not listed (over the hosts' unknown_limit)."
                     % _comment_value(merged["unknown_dropped"]))
    if not unknown:
        lines.append("[]")
        return "\n".join(lines) + "\n"
    for entry in unknown:
        lines.append("")
        lines.append("# first seen %s, last seen %s, from %s, firmware %s" % (
            _comment_value(entry.get("first_seen")), _comment_value(entry.get("last_seen")),
            _comment_value(entry.get("client")), _comment_value(entry.get("firmware"))))
        lines.append("- name: %s" % yaml_quote(entry["suggested_name"]))
        lines.append("  mac: %s" % yaml_quote(entry["mac"]))
        vendor = entry.get("vendor")
        if vendor in VENDORS:
            lines.append("  vendor: %s" % yaml_quote(vendor))
        elif vendor:
            lines.append("  # vendor %s is not one the collection knows" % _comment_value(vendor))
        model = entry.get("model")
        if isinstance(model, str) and _MODEL_RE.match(model):
            lines.append("  model: %s" % yaml_quote(model))
        else:
            why = "no model" if not model else "the model %s, which is not a model name" % _comment_value(model)
            lines.append("  model: null  # the User-Agent showed %s: fill it in" % why)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# index.html
# ---------------------------------------------------------------------------

#: The device table's columns: key (the script's sort key and the header's
#: data-key), heading, whether the column sorts as a number, and its width in
#: em. Fixed widths (table-layout: fixed) keep the columns in place from one
#: page of rows to the next.
COLUMNS = (
    ("device", "Device", False, 12),
    ("mac", "MAC", False, 9.5),
    ("vendor", "Vendor", False, 8),
    ("model", "Model", False, 8.5),
    ("firmware", "Firmware", False, 7.5),
    ("site", "Site", False, 6),
    ("state", "State", False, 6.5),
    ("last", "Last contact (UTC)", False, 13),
    ("days", "Days", True, 4),
    ("client", "Client", False, 7.5),
    ("host", "Server", False, 5.5),
    ("file", "Last file", False, 15),
    ("bootstrap", "Bootstrap", False, 7),
    ("mismatch", "Mismatch", False, 8),
    ("user_agent", "User-Agent", False, 24),
)

_STATE_COLOURS = {
    "current": "#2e7d32",
    "outdated": "#ef6c00",
    "stale": "#c62828",
    "never_seen": "#757575",
    "unknown": "#6a1b9a",
}


def _text(value):
    return "" if value is None else str(value)


def _device_cells(device):
    fetch = device.get("last_fetch") or {}
    reported = device.get("reported") or {}
    file_text = ""
    if fetch:
        file_text = "%s %s" % (_text(fetch.get("scheme")), _text(fetch.get("path")))
        if fetch.get("status") is not None:
            file_text += " (%s)" % fetch["status"]
    mismatch = ", ".join("%s: %s" % (field, _text(reported.get(field))) for field in device.get("mismatch") or [])
    days = device.get("days_since_contact")
    return {
        "device": device.get("device"),
        "mac": device.get("mac"),
        "vendor": device.get("vendor"),
        "model": device.get("model"),
        "firmware": reported.get("firmware"),
        "site": device.get("site"),
        "state": device.get("state"),
        "last": fetch.get("time"),
        "days": None if days is None else "%.1f" % days,
        "client": fetch.get("client"),
        "host": fetch.get("host"),
        "file": file_text.strip(),
        "bootstrap": device.get("bootstrap"),
        "mismatch": mismatch,
        "user_agent": fetch.get("user_agent"),
    }


def _unknown_cells(entry, generated):
    last_seen = entry.get("last_seen")
    days = _days_between(parse_time(last_seen), generated) if last_seen else None
    return {
        "device": entry.get("suggested_name"),
        "mac": entry.get("mac"),
        "vendor": entry.get("vendor"),
        "model": entry.get("model"),
        "firmware": entry.get("firmware"),
        "site": None,
        "state": "unknown",
        "last": last_seen,
        "days": None if days is None else "%.1f" % days,
        "client": entry.get("client"),
        "host": None,
        "file": ", ".join(entry.get("paths") or []),
        "bootstrap": None,
        "mismatch": "",
        "user_agent": None,
    }


def _table_rows(merged):
    generated = parse_time(merged["generated"])
    rows = [_device_cells(device) for device in merged.get("devices") or []]
    rows.extend(_unknown_cells(entry, generated) for entry in merged.get("unknown") or [])
    return rows


def _tally(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _e(value):
    return html.escape(_text(value), quote=True)


def _bar_chart(counts, total):
    """The states as an inline SVG bar chart: one labelled bar per state."""
    width, label_width, bar_height, gap = 460, 110, 22, 6
    top = max([counts.get(state, 0) for state in STATES] + [1])
    height = len(STATES) * (bar_height + gap) + gap
    parts = ['<svg class="chart" role="img" aria-label="devices by state" width="%d" height="%d" '
             'viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">' % (width, height, width, height)]
    for index, state in enumerate(STATES):
        count = counts.get(state, 0)
        y = gap + index * (bar_height + gap)
        length = round((width - label_width - 70) * count / top, 1)
        share = "%.1f%%" % (100.0 * count / total) if total else "0.0%"
        parts.append(
            '<g><title>%s: %d (%s)</title>'
            '<text x="%d" y="%d" text-anchor="end">%s</text>'
            '<rect x="%d" y="%d" width="%s" height="%d" fill="%s"/>'
            '<text x="%s" y="%d">%d</text></g>' % (
                _e(STATE_LABELS[state]), count, share,
                label_width - 8, y + bar_height - 6, _e(STATE_LABELS[state]),
                label_width, y, length, bar_height, _STATE_COLOURS[state],
                round(label_width + length + 6, 1), y + bar_height - 6, count))
    parts.append("</svg>")
    return "".join(parts)


def _count_table(title, tally, total):
    parts = ['<table class="counts"><caption>%s</caption><tbody>' % _e(title)]
    for value, count in tally:
        share = 100.0 * count / total if total else 0.0
        parts.append('<tr><td>%s</td><td class="n">%d</td><td class="bar"><span style="width:%.1f%%"></span></td></tr>'
                     % (_e(value), count, share))
    parts.append("</tbody></table>")
    return "".join(parts)


def _column_css():
    # Fixed column widths (table-layout: fixed): the columns keep their place
    # from one page of rows to the next, and a page is laid out without
    # measuring its cells.
    rules = ["#devices { width: %gem; }\n" % sum(column[3] for column in COLUMNS)]
    for number, column in enumerate(COLUMNS, 1):
        rules.append("#devices th:nth-child(%d) { width: %gem; }\n" % (number, column[3]))
    return "".join(rules)


def json_for_script(document):
    """``document`` as JSON that can stand inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026``
    (the same string to JSON.parse), so no value can close the element
    (``</script>``) or open a comment (``<!--``); U+2028 and U+2029 too, for
    the JavaScript parsers that end lines on them.
    """
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


#: Rows the table shows at a time. A page is built in a millisecond or two
#: whatever the fleet's size (sorting and filtering work on arrays, not on
#: the DOM), and 100 rows of 23 pixels are two or three screens: enough to
#: scan by scrolling, few enough that the pager, not the scroll bar, is the
#: way through 10,000 or 100,000 rows.
PAGE_SIZE = 100


def render_page(merged):
    """The text of ``index.html``: one self-contained page of the merged status.

    Counts by state (an inline SVG chart, and how many unknown MACs the
    hosts left out of their lists, ``unknown_dropped``), vendor, model and
    firmware, in the HTML; the table of every device and every unknown MAC,
    which the page's script builds from the status document, embedded as
    JSON in a ``<script type="application/json" id="status-data">`` element:
    :data:`PAGE_SIZE` rows at a time, with a pager (first, previous, next,
    last, "rows X-Y of Z matching"), sorted by a click on a header (or Enter
    on it) and filtered by a text box and a state over the whole fleet, not
    the page. Every value is escaped in the HTML and set as text by the
    script (``textContent``), never as markup; a ``<noscript>`` note says the
    table needs scripts. No external resource.
    """
    rows = _table_rows(merged)
    total = len(rows)
    counts = dict(merged.get("counts") or {})
    hosts = ", ".join(merged.get("hosts") or [])
    title = "Phone fleet status, %s" % _text(merged.get("generated"))

    out = []
    out.append("<!DOCTYPE html>\n")
    out.append('<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    out.append('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    # The page loads nothing: a policy that forbids every source but its own
    # inline style and script keeps it so, even if a value got through.
    out.append('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
               'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">\n')
    out.append("<title>%s</title>\n" % _e(title))
    out.append("<style>\n%s%s</style>\n</head>\n<body>\n" % (_CSS, _column_css()))
    out.append("<header><h1>Phone fleet status</h1>\n")
    out.append('<p>Generated <time id="generated">%s</time> from the logs of %s. Stale after %s days.</p>\n'
               % (_e(merged.get("generated")), _e(hosts or "no host"), _e(merged.get("stale_days"))))
    out.append("</header>\n<section class=\"summary\">\n")
    dropped = merged.get("unknown_dropped") or 0
    # The hosts list at most unknown_limit unknown MACs each: say how many more there were.
    dropped_text = ('<p id="unknown-dropped">%s more unknown MACs not listed (over the hosts\' unknown_limit)</p>'
                    % _e(dropped)) if dropped else ""
    out.append('<div class="box"><h2>By state</h2>%s%s</div>\n' % (_bar_chart(counts, total), dropped_text))
    out.append('<div class="box"><h2>By vendor</h2>%s</div>\n'
               % _count_table("devices by vendor", _tally(_text(row["vendor"]) or "unknown" for row in rows), total))
    out.append('<div class="box"><h2>By model</h2>%s</div>\n'
               % _count_table("devices by model", _tally(_text(row["model"]) or "unknown" for row in rows), total))
    out.append('<div class="box"><h2>By firmware</h2>%s</div>\n'
               % _count_table("devices by firmware", _tally(_text(row["firmware"]) or "not reported" for row in rows),
                              total))
    out.append("</section>\n")
    out.append('<section class="devices">\n')
    out.append('<noscript><p class="note">The table of the %d devices and unknown MACs needs scripts: enable '
               'them for this page, or read status.json beside it. The counts above need none.</p></noscript>\n'
               % total)
    # The controls are hidden until the script runs: without it they would do nothing.
    out.append('<form id="filters" hidden onsubmit="return false">\n')
    out.append('<label>Filter <input id="filter" type="search" placeholder="name, MAC, model, address..." '
               'autocomplete="off"></label>\n')
    out.append('<label>State <select id="state"><option value="">all</option>')
    for state in STATES:
        out.append('<option value="%s">%s (%d)</option>' % (state, _e(STATE_LABELS[state]), counts.get(state, 0)))
    out.append("</select></label>\n")
    out.append('<span id="shown" aria-live="polite"></span>\n</form>\n')
    out.append('<nav id="pager" hidden aria-label="pages of the table">'
               '<button type="button" id="page-first">&laquo; first</button>'
               '<button type="button" id="page-previous">&lsaquo; previous</button>'
               '<span id="page"></span>'
               '<button type="button" id="page-next">next &rsaquo;</button>'
               '<button type="button" id="page-last">last &raquo;</button></nav>\n')
    out.append('<table id="devices" data-rows="%d">\n<thead><tr>' % total)
    for key, heading, numeric, dummy in COLUMNS:
        out.append('<th data-key="%s"%s tabindex="0" aria-sort="none">%s</th>'
                   % (key, ' data-numeric="1"' if numeric else "", _e(heading)))
    out.append("</tr></thead>\n<tbody></tbody>\n</table>\n</section>\n")
    out.append('<script type="application/json" id="status-data">%s</script>\n' % json_for_script(merged))
    script = (_SCRIPT.replace("@PAGE_SIZE@", str(PAGE_SIZE))
              .replace("@STATE_LABELS@", json_for_script(STATE_LABELS))
              .replace("@STATES@", json_for_script(list(STATES))))
    out.append("<script>\n%s</script>\n</body>\n</html>\n" % script)
    return "".join(out)


_CSS = """\
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1em 2em; color: #212121; }
[hidden] { display: none !important; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.05em; margin: 0 0 .4em; }
.summary { display: flex; flex-wrap: wrap; gap: 1em; margin: 1em 0; }
.box { border: 1px solid #ddd; border-radius: 6px; padding: .6em .8em; max-height: 16em; overflow: auto; }
.chart text { font-size: 13px; fill: #212121; }
.note { padding: .5em .8em; background: #fff8e1; border: 1px solid #ffe082; border-radius: 6px; }
table.counts caption { display: none; }
table.counts td { padding: 0 .4em; white-space: nowrap; max-width: 20em; overflow: hidden; text-overflow: ellipsis; }
table.counts td.n { text-align: right; }
table.counts td.bar { width: 8em; }
table.counts td.bar span { display: block; height: .8em; background: #1565c0; min-width: 1px; }
#filters { display: flex; gap: 1.5em; align-items: center; margin: .5em 0; }
#filter { width: 22em; }
#pager { display: flex; gap: .5em; align-items: center; margin: .5em 0; }
#page { min-width: 8em; text-align: center; }
#devices { table-layout: fixed; border-collapse: collapse; font-size: 13px; }
#devices th, #devices td { box-sizing: border-box; padding: .15em .5em; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; text-align: left; border-bottom: 1px solid #eee; }
#devices th { position: sticky; top: 0; z-index: 1; background: #eceff1; cursor: pointer; padding: .3em .5em;
  border-bottom: 2px solid #90a4ae; user-select: none; }
#devices th[aria-sort=ascending]::after { content: " \\25b2"; }
#devices th[aria-sort=descending]::after { content: " \\25bc"; }
#devices tr.s-current td:nth-child(7) { color: #2e7d32; }
#devices tr.s-outdated td:nth-child(7) { color: #ef6c00; font-weight: bold; }
#devices tr.s-stale td:nth-child(7) { color: #c62828; font-weight: bold; }
#devices tr.s-never_seen td:nth-child(7) { color: #757575; }
#devices tr.s-unknown td:nth-child(7) { color: #6a1b9a; font-weight: bold; }
#devices tr.s-unknown { background: #f8f1fb; }
"""

# The table is built here, one page at a time, from the embedded status
# document. Sorting and filtering work on arrays over the whole fleet (sort
# keys and search texts built once, on first use), then only the page on
# screen becomes rows: 100,000 devices sort in a fraction of a second and a
# page costs the same whatever the fleet's size. Every value is set with
# textContent (or as an attribute's value), never parsed as HTML. The cells
# are written as _device_cells and _unknown_cells write them (the
# status_page integration target compares every row with them).
_SCRIPT = """\
(function () {
  "use strict";
  var PAGE_SIZE = @PAGE_SIZE@;
  var STATE_LABELS = @STATE_LABELS@;
  var STATES = @STATES@;
  var data = JSON.parse(document.getElementById("status-data").textContent);
  var devices = data.devices || [], unknown = data.unknown || [];
  var total = devices.length + unknown.length;
  var table = document.getElementById("devices");
  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var columns = headers.map(function (th) { return th.dataset.key; });
  var generated = Date.parse(data.generated);
  var stateOrder = {};
  STATES.forEach(function (state, index) { stateOrder[state] = index; });

  function text(value) { return value === null || value === undefined ? "" : String(value); }
  function own(object, key) {
    return object && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : null;
  }
  // Python's "%.1f": toFixed rounds the exact ties (x.25, x.75...) up, Python to the even digit.
  function oneDecimal(value) {
    if (value === null || value === undefined) { return ""; }
    var size = Math.abs(value);
    if ((size * 4) % 4 === 1) { return (value < 0 ? "-" : "") + (Math.floor(size * 10) / 10).toFixed(1); }
    return value.toFixed(1);
  }
  function unknownDays(entry) {
    if (!entry.last_seen) { return null; }
    // _days_between: days rounded to three decimals, never below zero.
    return Math.max(0, Math.round((generated - Date.parse(entry.last_seen)) / 86400000 * 1000) / 1000);
  }

  // What a cell shows: the same text as the Python side's _device_cells and _unknown_cells.
  function cell(i, key) {
    if (i < devices.length) {
      var d = devices[i], f = d.last_fetch || {}, r = d.reported || {};
      switch (key) {
        case "firmware": return text(own(r, "firmware"));
        case "state": return text(own(STATE_LABELS, d.state) || d.state);
        case "last": return text(f.time);
        case "days": return oneDecimal(d.days_since_contact);
        case "client": case "host": case "user_agent": return text(f[key]);
        case "file":
          if (!Object.keys(f).length) { return ""; }
          return (text(f.scheme) + " " + text(f.path)
                  + (f.status === null || f.status === undefined ? "" : " (" + f.status + ")")).trim();
        case "mismatch":
          return (d.mismatch || []).map(function (field) { return field + ": " + text(own(r, field)); }).join(", ");
        default: return text(own(d, key));
      }
    }
    var u = unknown[i - devices.length];
    switch (key) {
      case "device": return text(u.suggested_name);
      case "mac": case "vendor": case "model": case "firmware": case "client": return text(u[key]);
      case "state": return STATE_LABELS.unknown;
      case "last": return text(u.last_seen);
      case "days": return oneDecimal(unknownDays(u));
      case "file": return (u.paths || []).join(", ");
      default: return "";
    }
  }
  function stateOf(i) { return i < devices.length ? devices[i].state : "unknown"; }

  // Sort keys, one array per column, built on the first sort by it. Text
  // sorts case-insensitively with its numbers by value (desk-2 before
  // desk-10, 10.0.0.9 before 10.0.0.10): digit runs are padded, so a sort
  // compares plain strings. Empty is null: last in both directions.
  var keyCache = {};
  function sortKey(i, key) {
    if (key === "state") { return stateOrder[stateOf(i)]; }
    if (key === "days") {
      var days = i < devices.length ? devices[i].days_since_contact : unknownDays(unknown[i - devices.length]);
      return days === null || days === undefined ? null : Number(days);
    }
    // The file sorts by its path, not by the scheme before it.
    var value = key === "file" && i < devices.length ? text((devices[i].last_fetch || {}).path) : cell(i, key);
    if (value === "") { return null; }
    // A MAC is hex: padding its digit runs would put 0004f2aa00ff after
    // 000b82123456. Twelve digits each, its plain text sorts right.
    if (key === "mac") { return value.toLowerCase(); }
    return value.toLowerCase().replace(/\\d+/g, function (digits) {
      return digits.length >= 12 ? digits : ("000000000000" + digits).slice(-12);
    });
  }
  function keysOf(key) {
    if (!keyCache[key]) {
      var keys = new Array(total);
      for (var i = 0; i < total; i++) { keys[i] = sortKey(i, key); }
      keyCache[key] = keys;
    }
    return keyCache[key];
  }

  var order = [];
  for (var n = 0; n < total; n++) { order.push(n); }
  var matching = order, keep = null, page = 0, sorted = {key: null, dir: 1};

  function sortBy(key) {
    var dir = sorted.key === key ? -sorted.dir : 1;
    var keys = keysOf(key);
    // Equal keys keep the document's order (the sort is stable on the index).
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      if (x === null || y === null) { return x === y ? a - b : (x === null ? 1 : -1); }
      if (x !== y) { return x < y ? -dir : dir; }
      return a - b;
    });
    sorted = {key: key, dir: dir};
    headers.forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key === key ? (dir > 0 ? "ascending" : "descending") : "none");
    });
    matching = keep ? order.filter(function (i) { return keep[i]; }) : order;
    show(0);
  }

  // Every cell's text, lower-cased, one string a row: built on the first filter.
  var haystacks = null;
  var filterBox = document.getElementById("filter");
  var stateBox = document.getElementById("state");
  function applyFilter() {
    var words = filterBox.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var state = stateBox.value;
    if (!words.length && !state) {
      keep = null;
      matching = order;
    } else {
      if (words.length && haystacks === null) {
        haystacks = new Array(total);
        for (var i = 0; i < total; i++) {
          haystacks[i] = columns.map(function (key) { return cell(i, key); }).join("\\n").toLowerCase();
        }
      }
      keep = new Array(total);
      for (var j = 0; j < total; j++) {
        keep[j] = (!state || stateOf(j) === state) && words.every(function (word) {
          return haystacks[j].indexOf(word) >= 0;
        });
      }
      matching = order.filter(function (i) { return keep[i]; });
    }
    show(0);
  }

  var shown = document.getElementById("shown");
  var pageLabel = document.getElementById("page");
  var buttons = {
    first: document.getElementById("page-first"), previous: document.getElementById("page-previous"),
    next: document.getElementById("page-next"), last: document.getElementById("page-last")
  };
  function pages() { return Math.max(1, Math.ceil(matching.length / PAGE_SIZE)); }

  // Only the page on screen becomes rows: PAGE_SIZE at most, whatever the fleet.
  function show(number) {
    page = Math.min(Math.max(0, number), pages() - 1);
    var start = page * PAGE_SIZE, end = Math.min(matching.length, start + PAGE_SIZE);
    var fragment = document.createDocumentFragment();
    for (var n = start; n < end; n++) {
      var i = matching[n], row = document.createElement("tr");
      row.className = "s-" + stateOf(i);
      row.dataset.i = i;
      for (var c = 0; c < columns.length; c++) {
        var td = document.createElement("td"), value = cell(i, columns[c]);
        td.textContent = value;
        if (value) { td.title = value; }
        row.appendChild(td);
      }
      fragment.appendChild(row);
    }
    body.textContent = "";
    body.appendChild(fragment);
    shown.textContent = (matching.length ? "rows " + (start + 1) + "\\u2013" + end + " of " + matching.length
                         : "no row of " + total) + " matching";
    pageLabel.textContent = "page " + (page + 1) + " of " + pages();
    buttons.first.disabled = buttons.previous.disabled = page === 0;
    buttons.next.disabled = buttons.last.disabled = page === pages() - 1;
  }

  function sortFrom(event) {
    var th = event.target.closest("th");
    if (th) { sortBy(th.dataset.key); }
  }
  table.tHead.addEventListener("click", sortFrom);
  table.tHead.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      sortFrom(event);
    }
  });
  filterBox.addEventListener("input", applyFilter);
  stateBox.addEventListener("change", applyFilter);
  buttons.first.addEventListener("click", function () { show(0); });
  buttons.previous.addEventListener("click", function () { show(page - 1); });
  buttons.next.addEventListener("click", function () { show(page + 1); });
  buttons.last.addEventListener("click", function () { show(pages() - 1); });
  document.getElementById("filters").hidden = false;
  document.getElementById("pager").hidden = false;
  show(0);
  document.documentElement.dataset.ready = "1";
}());
"""
