# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The state of every device of the fleet, from what the servers logged and what ``phone_profiles`` wrote.

Inputs: the inventory (validated as ``phone_profiles`` validates it), the
manifests of the served roots (per file: the device it belongs to, its size
and modification time), the bootstrap state, and the servers' logs (the
``http_server`` role's JSON access log, tftpd-hpa's syslog lines; rotated
and gzip generations included). The logs are streamed in one pass, never
kept: per inventory device its last served fetch, its last refused request
and the last fetch of each of its manifest files; at most ``unknown_limit``
unknown MACs (those read last), and one number per further unknown MAC to
count them (``unknown_dropped``).

A request belongs to the device whose MAC its path holds, by the device-file
patterns of the vendor descriptions (``VendorDescription.device_paths``), or
to the device a manifest records the path as its own (a file whose name
holds no MAC, such as Cisco's ``profile/<GPP_B>/spa2102.cfg``), or else to
the MAC its User-Agent names (a phone fetching a shared file). A device file
of a MAC the inventory does not have is an *unknown* device.

Only a *served* request (HTTP 200, 206 or 304, or a tftpd-hpa read request)
is a contact: anyone can ask for a device's file and be refused, so a
refused request (any other status) is kept apart as the device's
``last_refused`` and changes neither its last fetch nor its state. A TFTP
read request counts for an inventory device only when its path is one of
the device's files in a manifest: tftpd-hpa logs the request before it
knows whether the file exists, so a request for any other name (a
stranger's ``zz/nothing/cfg<mac>.xml``) was not served and says nothing.
TFTP has no authentication: a request for a real file name is
indistinguishable from the phone's.

Besides its last served fetch, each device keeps the last served request
that *proved* it (its own HTTP credentials with a 200, or a verified client
certificate naming its MAC): ``last_authenticated``. A phone's last fetch
is often a shared file, which carries no proof; the proof stays.

The document returned is the one ``docs/status.md`` describes.
"""

from __future__ import annotations

import collections
import copy
import json
import math
import platform
import re
import time

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, quote_value
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fetch_log import (
    _TFTP_RE,
    LOG_OPTIONS,
    _device_auth,
    _syslog_time,
    certificate_mac,
    log_files,
    parse_iso_time,
    read_lines,
    read_state,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import read_inventory_file as _read_options
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import DEFAULT_STATE_DIR
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import mask_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    DEVICE,
    MTIME_NS,
    SIZE,
    check_state_dir,
    load_manifest,
    manifest_path_for,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS

#: The options of ``fleet_status``: the module validates its arguments with
#: it and :func:`run` takes its defaults from it.
ARGUMENT_SPEC = dict(
    devices=dict(type="list", elements="dict"),
    defaults=dict(type="dict"),
    sites=dict(type="dict"),
    models=dict(type="dict"),
    inventory_file=dict(type="path"),
    roots=dict(type="list", elements="path", required=True),
    state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
    stale_days=dict(type="float", default=7.0),
    host=dict(type="str"),
    unknown_limit=dict(type="int", default=1000),
    **LOG_OPTIONS
)

#: The options ``inventory_file`` stands for (the action plugin moves them there).
INVENTORY_FILE_OPTIONS = ("devices", "defaults", "sites", "models")

STATES = ("current", "outdated", "stale", "never_seen")

#: The HTTP statuses of a served request: the file (or part of it, or "you
#: have it already") went to the client. Any other status is a refusal.
SERVED_STATUSES = frozenset((200, 206, 304))

#: At most this many distinct paths are listed per unknown MAC (a scanner
#: asking for thousands must not grow the result without bound).
MAX_UNKNOWN_PATHS = 20

#: Caches of what a path and a User-Agent say are dropped when they grow
#: past this: logs repeat the same few of each, a scan does not.
_CACHE_LIMIT = 100000


# -- attribution ---------------------------------------------------------------

class _Attributor:
    """Who a path and a User-Agent name, by every vendor description, with bounded caches."""

    def __init__(self, descriptions, limit=_CACHE_LIMIT):
        self.descriptions = descriptions
        # Every device's own paths must fit, or a large fleet's log clears the cache over and over.
        self.limit = limit
        self._paths = {}
        self._agents = {}

    def path(self, path):
        """``(mac, (vendor, ...))``: the MAC a device-file path holds and the vendors whose pattern it matches, or ``(None, ())``."""
        found = self._paths.get(path)
        if found is None:
            mac, vendors = None, []
            for name, description in self.descriptions:
                candidate = description.device_path_mac(path)
                if candidate is not None and (mac is None or candidate == mac):
                    mac = candidate
                    vendors.append(name)
            found = (mac, tuple(vendors))
            if len(self._paths) >= self.limit:
                self._paths.clear()
            self._paths[path] = found
        return found

    def agent(self, agent):
        """``{vendor: {"model":, "mac":, "firmware":}}`` of the vendors whose User-Agent forms read ``agent``."""
        if not agent:
            return {}
        found = self._agents.get(agent)
        if found is None:
            found = {}
            for name, description in self.descriptions:
                parsed = description.parse_user_agent(agent)
                if parsed is not None:
                    found[name] = parsed
            if len(self._agents) >= _CACHE_LIMIT:
                self._agents.clear()
            self._agents[agent] = found
        return found


def _model_key(model):
    return re.sub(r"[^0-9A-Z]", "", str(model or "").upper())


def models_agree(inventory_model, reported_model):
    """Whether a User-Agent's model names the inventory's one.

    Compared on letters and digits only, upper-case, and either may hold the
    other: phones add or drop decorations (Yealink's ``SIP-`` prefix, Poly's
    ``VVX_400`` for ``VVX400``, Cisco's ``ATA192-MPP`` for ``ATA192``).
    """
    inventory, reported = _model_key(inventory_model), _model_key(reported_model)
    if not inventory or not reported:
        return True
    return inventory in reported or reported in inventory


# -- the logs ------------------------------------------------------------------

class _Seen:
    """What the logs say of one MAC: its last served fetch, its last refusal, the last fetch of each own file."""

    __slots__ = ("last", "refused", "proven", "paths", "count", "first", "vendors")

    def __init__(self):
        self.last = None
        # The last served request that proved the device made it (last_authenticated).
        self.proven = None
        self.refused = None
        self.paths = {}
        self.count = 0
        self.first = None
        self.vendors = ()


def _mac_number(mac):
    # An unknown MAC left out is remembered as a number (about 70 bytes in
    # a set), not as a record, only to count it once.
    return int(mac, 16)


class _Reader:
    """Folds log lines into ``{mac: _Seen}``, one line at a time."""

    def __init__(self, host, known_macs, attributor, owners=None, unknown_limit=1000):
        self.host = host
        self.known = known_macs
        self.owners = owners or {}
        self.attributor = attributor
        self.seen = {}
        # In the order last read: when full, the MAC read longest ago is dropped.
        self.unknown = collections.OrderedDict()
        self.unknown_limit = unknown_limit
        self.dropped = set()
        self.counts = {"http_lines": 0, "http_malformed": 0, "tftp_lines": 0, "tftp_requests": 0}
        self._minutes = {}

    def _time(self, text):
        """Epoch seconds of nginx's ``$time_iso8601`` (``2026-12-06T16:01:02+00:00``), parsed once a minute.

        A million lines hold a few thousand distinct minutes: the minute and
        offset are parsed once, the seconds added. Any other form is parsed
        in full.
        """
        if len(text) == 25 and text[16] == ":" and text[19] in "+-" and text[17:19].isdigit():
            key = text[:16] + text[19:]
            base = self._minutes.get(key, False)
            if base is False:
                base = parse_iso_time(text[:16] + ":00" + text[19:])
                if len(self._minutes) >= _CACHE_LIMIT:
                    self._minutes.clear()
                self._minutes[key] = base
            return None if base is None else base + int(text[17:19])
        return parse_iso_time(text)

    def http(self, lines):
        for line in lines:
            line = line.strip()
            if not line:
                continue
            self.counts["http_lines"] += 1
            record = None
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
            fetch = _http_fetch(record, self._time) if isinstance(record, dict) else None
            if fetch is None:
                self.counts["http_malformed"] += 1
                continue
            self._fold(fetch)

    def tftp(self, lines, now):
        for line in lines:
            self.counts["tftp_lines"] += 1
            match = _TFTP_RE.match(line)
            if not match:
                # Other programs' lines share the syslog file: not malformed.
                continue
            moment = _syslog_time(line, now)
            if moment is None:
                continue
            self.counts["tftp_requests"] += 1
            # tftpd-hpa logs read requests only, never their outcome: each one counts as served.
            self._fold({"time": moment, "client": match.group(1), "scheme": "tftp",
                        "path": match.group(2).lstrip("/"), "status": None, "bytes": None, "user_agent": "",
                        "cert_mac": "", "auth_mac": ""})

    def _fold(self, fetch):
        fetch["host"] = self.host
        served = fetch["scheme"] == "tftp" or fetch["status"] in SERVED_STATUSES
        path_mac, vendors = self.attributor.path(fetch["path"])
        if path_mac is None:
            # A device's file whose name holds no MAC (Cisco's profile/<GPP_B>/spa2102.cfg): the manifest says whose.
            path_mac = self.owners.get(fetch["path"])
        mac = path_mac
        if mac is None:
            if not served:
                # A refused shared file is nobody's: the User-Agent is all that would name a device.
                return
            # A shared file: the MAC the User-Agent names, if the inventory has it.
            for parsed in self.attributor.agent(fetch["user_agent"]).values():
                if parsed["mac"] and parsed["mac"] in self.known:
                    mac = parsed["mac"]
                    break
            if mac is None:
                return
        elif mac not in self.known:
            # A new phone's first requests are refused (404): they make it an unknown device all the same.
            self._fold_unknown(mac, vendors, fetch)
            return
        elif fetch["scheme"] == "tftp" and self.owners.get(fetch["path"]) != mac:
            # tftpd-hpa logs a read request before it knows the file exists:
            # only a request for one of the device's manifest files may have
            # been served. Any other (a stranger's zz/nothing/cfg<mac>.xml)
            # must neither move the device's last fetch nor its state.
            return
        seen = self.seen.get(mac)
        if seen is None:
            seen = self.seen[mac] = _Seen()
        seen.count += 1
        if not served:
            # Anyone may ask for a device's file: a refusal says nothing of the device's state.
            if seen.refused is None or fetch["time"] >= seen.refused["time"]:
                seen.refused = fetch
            return
        if seen.last is None or fetch["time"] >= seen.last["time"]:
            seen.last = fetch
        if fetch_authenticated(fetch, mac) and (seen.proven is None or fetch["time"] >= seen.proven["time"]):
            seen.proven = fetch
        # Only the device's files of the manifest: any other path (a scan
        # of /<anything>/cfg<mac>.xml) would grow the record with the logs.
        if self.owners.get(fetch["path"]) == mac:
            previous = seen.paths.get(fetch["path"])
            if previous is None or fetch["time"] >= previous["time"]:
                seen.paths[fetch["path"]] = fetch

    def _fold_unknown(self, mac, vendors, fetch):
        seen = self.unknown.get(mac)
        if seen is None:
            if self.unknown_limit <= 0:
                self.dropped.add(_mac_number(mac))
                return
            if len(self.unknown) >= self.unknown_limit:
                # Full: the MAC read longest ago makes room, and is counted.
                left_out, dummy = self.unknown.popitem(last=False)
                self.dropped.add(_mac_number(left_out))
            # Listed (again): no longer one of those left out.
            self.dropped.discard(_mac_number(mac))
            seen = self.unknown[mac] = _Seen()
            seen.vendors = vendors
        else:
            self.unknown.move_to_end(mac)
        seen.count += 1
        if seen.first is None or fetch["time"] < seen.first:
            seen.first = fetch["time"]
        if seen.last is None or fetch["time"] >= seen.last["time"]:
            seen.last = fetch
        if fetch["path"] in seen.paths or len(seen.paths) < MAX_UNKNOWN_PATHS:
            seen.paths[fetch["path"]] = True


def _http_fetch(record, parse_time):
    """The fields of an access log record that matter here, or ``None`` when it lacks one.

    ``cert_mac`` is the MAC of the client certificate the server verified
    (``ssl_client_verify`` ``SUCCESS``, ``client_mac``); ``auth_mac`` the
    device whose own HTTP credentials the server checked (``device_auth``
    with a 200 and that device's user, as ``_fetch_log`` reads it). Either
    proves which device made the request; a User-Agent does not.
    """
    path = record.get("path")
    if not isinstance(path, str) or not path:
        return None
    try:
        status = int(record.get("status"))
        sent = int(record.get("bytes"))
    except (TypeError, ValueError):
        return None
    moment = parse_time(str(record.get("time") or ""))
    if moment is None:
        return None
    cert_mac = certificate_mac(record)
    auth_mac = _device_auth(record)[0] if status == 200 else ""
    return {"time": moment, "client": str(record.get("remote_addr") or ""),
            "scheme": str(record.get("scheme") or "http"), "path": path.lstrip("/"), "status": status,
            "bytes": sent, "user_agent": str(record.get("user_agent") or ""), "cert_mac": cert_mac,
            "auth_mac": auth_mac}


# -- the manifests ---------------------------------------------------------------

def own_files(roots, state_dir):
    """``{device label: {path: [(size, mtime seconds), ...]}}`` from the manifests of ``roots``.

    One entry per root that serves the path (the same file can be served
    from a TFTP and an HTTP root). A manifest that is not one this writer
    wrote is an error naming the file (``load_manifest``).
    """
    files = {}
    if not check_state_dir(state_dir, create=False):
        return files
    for root in roots:
        manifest = load_manifest(manifest_path_for(state_dir, root), root)
        for path, record in manifest["files"].items():
            label = record[DEVICE]
            if label is None or record[SIZE] is None:
                continue
            mtime = record[MTIME_NS] / 1e9 if record[MTIME_NS] is not None else 0.0
            files.setdefault(label, {}).setdefault(path, []).append((record[SIZE], mtime))
    return files


def fetch_is_current(fetch, versions):
    """Whether ``fetch`` (the last of one path) got the version ``versions`` (``[(size, mtime)]``) describe.

    It was made no earlier than the file was last written (the log has
    whole seconds: the file's time is rounded down), and: over HTTP, a 200
    with exactly the file's size in bytes, or a 304 (nginx answers "not
    modified" only when the client's ``If-Modified-Since`` is exactly the
    file's time, so the client holds this version); a partial transfer, an
    error or another size is not current. Over TFTP the request after the
    write is all the log shows (tftpd-hpa logs no completion).
    """
    for size, mtime in versions:
        if fetch["time"] < math.floor(mtime):
            continue
        if fetch["scheme"] == "tftp":
            return True
        if fetch["status"] == 304 or (fetch["status"] == 200 and fetch["bytes"] == size):
            return True
    return False


# -- the document ----------------------------------------------------------------

def iso_time(moment):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def _shown_fetch(fetch):
    if fetch is None:
        return None
    # Masked as every family masks: a Cisco GPP_B directory stays hidden
    # whatever the inventory says the device is (over-masking is harmless).
    return {"time": iso_time(fetch["time"]), "host": fetch["host"], "client": fetch["client"],
            "scheme": fetch["scheme"], "path": mask_path(fetch["path"]), "status": fetch["status"],
            "user_agent": fetch["user_agent"]}


def _shown_proof(fetch):
    """``last_authenticated``: where and when the device last proved itself, or ``None``."""
    if fetch is None:
        return None
    return {"time": iso_time(fetch["time"]), "host": fetch["host"], "client": fetch["client"],
            "scheme": fetch["scheme"], "path": mask_path(fetch["path"])}


def fetch_authenticated(fetch, mac):
    """Whether ``fetch`` proves that device ``mac`` made it: its own HTTP credentials or its verified certificate."""
    return bool(mac) and mac in (fetch.get("auth_mac"), fetch.get("cert_mac"))


def _reading(device, parsed_by):
    """``(vendor, parsed)``: whose User-Agent forms read the last fetch's User-Agent, the device's own first.

    When the device's own family does not read it but another does, that
    one (the one naming the device's MAC first, then by name): the phone
    says it is of another family. ``(None, None)`` when no form reads it.
    """
    if device.vendor in parsed_by:
        return device.vendor, parsed_by[device.vendor]
    if not parsed_by:
        return None, None
    vendor = sorted(parsed_by, key=lambda name: (parsed_by[name]["mac"] != device.mac, name))[0]
    return vendor, parsed_by[vendor]


def _own_files(seen, files):
    """``[{"path", "time", "current"}]``: the last served fetch of each own file the device fetched, by masked path.

    What the merge across hosts needs to judge ``current`` per file. Two
    files whose masked paths are the same (only a secret part differs) are
    one entry: the later time, current only when both are.
    """
    merged = {}
    for path, fetch in seen.paths.items():
        versions = files.get(path)
        if versions is None:
            continue
        shown = mask_path(path)
        current = fetch_is_current(fetch, versions)
        previous = merged.get(shown)
        if previous is not None:
            current = current and previous[1]
            fetch = fetch if fetch["time"] >= previous[0]["time"] else previous[0]
        merged[shown] = (fetch, current)
    return [{"path": path, "time": iso_time(fetch["time"]), "current": current}
            for path, (fetch, current) in sorted(merged.items())]


def _device_entry(device, seen, files, bootstrap, now, stale_seconds, attributor):
    entry = {"device": device.label, "mac": device.mac, "vendor": device.vendor, "model": device.model,
             "site": device.site, "state": "never_seen", "last_fetch": None, "last_authenticated": None,
             "last_refused": None,
             "reported": {"vendor": None, "model": None, "firmware": None, "mac": None}, "current": False,
             "own_files": [], "mismatch": [], "bootstrap": "none", "days_since_contact": None}
    window = bootstrap.get(device.mac)
    if window is not None:
        entry["bootstrap"] = "open" if window.get("closed") is None else "closed"
    if seen is None:
        return entry
    entry["last_refused"] = _shown_fetch(seen.refused)
    last = seen.last
    if last is None:
        # Only refused requests: nothing was served, the device was not seen.
        return entry
    entry["last_fetch"] = dict(_shown_fetch(last), authenticated=fetch_authenticated(last, device.mac))
    entry["last_authenticated"] = _shown_proof(seen.proven)
    entry["days_since_contact"] = round(max(0.0, now - last["time"]) / 86400.0, 3)
    vendor, parsed = _reading(device, attributor.agent(last["user_agent"]))
    if parsed is not None:
        entry["reported"] = {"vendor": vendor, "model": parsed["model"], "firmware": parsed["firmware"],
                             "mac": parsed["mac"]}
        if vendor != device.vendor:
            entry["mismatch"].append("vendor")
        if not models_agree(device.model, parsed["model"]):
            entry["mismatch"].append("model")
        if parsed["mac"] and parsed["mac"] != device.mac:
            entry["mismatch"].append("mac")
    entry["own_files"] = _own_files(seen, files)
    entry["current"] = bool(entry["own_files"]) and all(own["current"] for own in entry["own_files"])
    if now - last["time"] > stale_seconds:
        entry["state"] = "stale"
    else:
        entry["state"] = "current" if entry["current"] else "outdated"
    return entry


def _unknown_entry(mac, seen, attributor):
    vendors = seen.vendors
    parsed_by = attributor.agent(seen.last["user_agent"])
    # Several families share a file name ({mac}.cfg): the User-Agent decides.
    told = [name for name in vendors if name in parsed_by]
    vendor = told[0] if told else (vendors[0] if len(vendors) == 1 else None)
    parsed = parsed_by.get(vendor) if vendor else None
    return {"mac": mac, "vendor": vendor, "model": parsed["model"] if parsed else None,
            "firmware": parsed["firmware"] if parsed else None, "first_seen": iso_time(seen.first),
            "last_seen": iso_time(seen.last["time"]), "client": seen.last["client"],
            "paths": sorted(set(mask_path(path) for path in seen.paths)),
            "suggested_name": "unknown-%s" % mac}


def _inventory(params):
    if params.get("devices") is None:
        raise ProvisioningError("one of devices or inventory_file is required", field="devices")
    dummy, fleet = load_fleet(params["devices"], params.get("defaults"), params.get("sites"), params.get("models"))
    return fleet


def run(params, warn, now=None):
    """The ``fleet_status`` result for ``params`` (the options of :data:`ARGUMENT_SPEC`).

    An option left out, or ``None``, takes its default; ``now`` (epoch
    seconds) is the time the ages are measured from (tests give it).
    ``warn`` is called with each message for the user (a missing log).
    Raises ProvisioningError naming the device and field, or the option and
    file it cannot read.
    """
    now = time.time() if now is None else now
    params = dict(params)
    for name, spec in ARGUMENT_SPEC.items():
        if params.get(name) is None and "default" in spec:
            params[name] = copy.deepcopy(spec["default"])
    if params["stale_days"] <= 0:
        raise ProvisioningError("must be a positive number of days", field="stale_days")
    limit = params["unknown_limit"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ProvisioningError("must be a whole number, 0 or more, not %s" % quote_value(limit), field="unknown_limit")
    host = params.get("host") or platform.node()
    fleet = _inventory(params)
    files = own_files(params["roots"] or [], params["state_dir"])
    bootstrap = read_state(params["state_dir"])["devices"]
    attributor = _Attributor(sorted(DESCRIPTIONS.items()), _CACHE_LIMIT + 4 * len(fleet))
    mac_of = dict((device.label, device.mac) for device in fleet)
    owners = dict((path, mac_of[label]) for label, paths in files.items() if label in mac_of for path in paths)
    reader = _Reader(host, set(mac_of.values()), attributor, owners, limit)
    for option in ("http_logs", "tftp_logs"):
        for path in params[option]:
            names, warning = log_files(path, option)
            if warning:
                warn(warning)
            for name in names:
                if option == "http_logs":
                    reader.http(read_lines(name, option))
                else:
                    reader.tftp(read_lines(name, option), now)
    stale_seconds = params["stale_days"] * 86400.0
    devices = [_device_entry(device, reader.seen.get(device.mac), files.get(device.label, {}), bootstrap, now,
                             stale_seconds, attributor)
               for device in sorted(fleet, key=lambda item: item.label)]
    unknown = [_unknown_entry(mac, seen, attributor) for mac, seen in sorted(reader.unknown.items())]
    counts = dict((state, 0) for state in STATES)
    for entry in devices:
        counts[entry["state"]] += 1
    counts["unknown"] = len(unknown)
    return {"changed": False, "generated": iso_time(now), "hosts": [host], "counts": counts, "devices": devices,
            "unknown": unknown, "unknown_dropped": len(reader.dropped), "log_lines": reader.counts}


def read_inventory_file(path):
    """The inventory options an ``inventory_file`` holds (the action plugin writes it), or an error naming it."""
    return _read_options(path, INVENTORY_FILE_OPTIONS)
