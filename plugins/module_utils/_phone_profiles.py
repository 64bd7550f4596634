# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``phone_profiles`` run: validate, render, decide bootstrap windows, write.

Kept apart from the module file so it runs (and is tested) without
``AnsibleModule``: :func:`run` takes plain values and returns the result
dictionary the module hands back.
"""

from __future__ import annotations

import copy
import gc
import json
import os
import re
import time

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _http_credentials
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _incremental
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import canonical_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fingerprint import (
    FleetContext,
    code_digests,
    device_fingerprint,
    render_fingerprint,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_ROTATION_STALL_DAYS,
    key_id,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import HAS_CRYPTOGRAPHY
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import file_diff, mask_path, raw_secrets
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    FilePolicy,
    RunLock,
    WriterError,
    _write_json_atomic,
    apply_plans,
    clean_leftovers,
    check_state_dir,
    manifest_path_for,
    parse_mode,
    plan_root,
    read_served_file,
    record_changed,
    recorded_tag,
    resolve_owner,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import select_window_files
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import OTHER_LINES
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._parallel import worker_count
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import VENDORS, vendor_for_model

BOOTSTRAP_MODES = ("window", "always", "never")
BOOTSTRAP_STATE_FILE = "bootstrap.json"
BOOTSTRAP_STATE_VERSION = 1
#: Where the state is kept unless ``state_dir`` says otherwise (``provisioning_fetches`` reads it there too).
DEFAULT_STATE_DIR = "/var/lib/sipfleet-provisioning"

#: The options of ``phone_profiles``, written once: the module validates its
#: arguments with it, the action plugin checks the task's before it moves the
#: inventory to the host, and :func:`run` takes its defaults from it. The
#: module's DOCUMENTATION describes the same options (ansible-test sanity
#: compares the two).
ARGUMENT_SPEC = dict(
    devices=dict(type="list", elements="dict"),
    defaults=dict(type="dict"),
    sites=dict(type="dict"),
    models=dict(type="dict"),
    directory=dict(type="dict"),
    keys=dict(type="dict", no_log=True),
    next_keys=dict(type="dict", no_log=True),
    inventory_file=dict(type="path"),
    fleet_bundle=dict(type="dict", options=dict(path=dict(type="path", required=True),
                                                sha256=dict(type="str", required=True),
                                                devices=dict(type="int"))),
    shard=dict(type="dict"),
    device_sources=dict(type="list", elements="str"),
    roots=dict(type="list", elements="path", required=True),
    state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
    lock_timeout=dict(type="int", default=DEFAULT_LOCK_TIMEOUT),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw", default="0644"),
    secret_mode=dict(type="raw", default="0640", no_log=False),
    dir_mode=dict(type="raw", default="0755"),
    prune=dict(type="bool", default=True),
    http_credentials_enforced=dict(type="bool", default=False),
    # raw, not bool: AnsibleModule would turn sipfleet_strict: "yes" into
    # true; the inventory check (Inventory) refuses anything but a boolean.
    strict=dict(type="raw", default=False),
    bootstrap_serve=dict(type="str", choices=list(BOOTSTRAP_MODES), default="window"),
    bootstrap_window=dict(type="int", default=1440),
    bootstrap_fetched=dict(type="dict", default={}),
    bootstrap_delivered=dict(type="dict", default={}),
    bootstrap_proven=dict(type="dict", default={}),
    rebootstrap=dict(type="list", elements="str", default=[]),
    rotation_stall_days=dict(type="int", default=DEFAULT_ROTATION_STALL_DAYS),
    diff_max_bytes=dict(type="int", default=16384),
    diff_max_files=dict(type="int", default=50),
    # 0: one process per usable core (at most 8); 1: serial.
    workers=dict(type="int", default=0),
    full=dict(type="bool", default=False),
)

#: The options ``inventory_file`` stands for: the action plugin moves them
#: into that file, the module reads them back from it.
INVENTORY_FILE_OPTIONS = ("devices", "defaults", "sites", "models", "directory", "keys", "next_keys")

#: Options whose empty value ("", 0) has always meant "not given": they take
#: their default then, as a missing one does.
_EMPTY_IS_DEFAULT = ("state_dir", "mode", "secret_mode", "dir_mode", "bootstrap_serve", "diff_max_bytes",
                     "diff_max_files")


def option_values(params):
    """``params`` with every option of :data:`ARGUMENT_SPEC`; a missing or ``None`` one takes the spec's default.

    The module gives what ``AnsibleModule`` validated (every option there);
    tests and tools give only the options they set. A default is copied, so
    a run never shares (or changes) the spec's lists and dicts.
    """
    values = dict(params)
    for name, spec in ARGUMENT_SPEC.items():
        value = values.get(name)
        if value is None or (name in _EMPTY_IS_DEFAULT and not value):
            values[name] = copy.deepcopy(spec.get("default"))
    return values


def keys_by_mac(keys, field):
    """``{canonical MAC: {key name: hex}}`` from a key store mapping, or an error naming ``field``."""
    if not keys:
        return {}
    if not isinstance(keys, dict):
        raise ProvisioningError("must be a mapping of MAC address to {key name: hex}", field=field)
    by_mac = {}
    for mac, values in keys.items():
        canonical = normalize_mac(mac, device=mac, field=field)
        if not isinstance(values, dict):
            raise ProvisioningError("must be a mapping of key name to hex string", device=mac, field=field)
        by_mac[canonical] = values
    return by_mac


def attach_keys(fleet, keys):
    """Give each device the keys of the store unless the inventory set its own."""
    by_mac = keys_by_mac(keys, "keys")
    for device in fleet:
        if not device.keys:
            stored = by_mac.get(device.mac)
            if stored:
                device.keys = dict(stored)


def load_bootstrap_state(state_dir):
    path = os.path.join(state_dir, BOOTSTRAP_STATE_FILE)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        return {"version": BOOTSTRAP_STATE_VERSION, "devices": {}}
    except (OSError, ValueError) as exc:
        raise WriterError("cannot read %s (%s)" % (path, exc), field="state_dir")
    if not isinstance(data, dict) or data.get("version") != BOOTSTRAP_STATE_VERSION:
        raise WriterError("%s is not a version %d bootstrap state file" % (path, BOOTSTRAP_STATE_VERSION),
                          field="state_dir")
    data.setdefault("devices", {})
    problem = _bootstrap_state_problem(data["devices"])
    if problem:
        raise WriterError("%s was altered: %s; move it away to start afresh (every key carrier is then served "
                          "again until fetched)" % (path, problem), field="state_dir")
    return data


_MAC_KEY = re.compile(r"\A[0-9a-f]{12}\Z")
# The types of the fields decide_bootstrap and plan_rotations write; a
# field they do not know is left alone.
_ENTRY_TYPES = {"key_id": (str,), "opened": (int,), "closed": (int, type(None)), "reason": (str, type(None)),
                "fetched": (int, type(None)), "paths": (list,), "sizes": (dict,), "vendor": (str,),
                "device": (str,), "rotation": (bool,), "proof_paths": (list,), "secret_paths": (list,),
                "proven": (int, type(None)), "reopened": (int, type(None)), "handover_served": (int, type(None)),
                "handover_key_id": (str, type(None)), "proof_user": (str,)}


def _bootstrap_state_problem(devices):
    if not isinstance(devices, dict):
        return "its devices are not a mapping"
    for mac, entry in devices.items():
        if not _MAC_KEY.match(mac):
            return "%r is not a MAC address in 12 lower-case hex digits" % (mac[:40],)
        if not isinstance(entry, dict):
            return "the entry of %s is not a mapping" % mac
        # The entry's own fields (a handful) against the known ones, not
        # every known field looked up in each of 10,000 entries.
        for name, value in entry.items():
            types = _ENTRY_TYPES.get(name)
            if types is not None and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
                return "the field %s of %s has the wrong type (%s)" % (name, mac, type(value).__name__)
        for name in ("paths", "proof_paths", "secret_paths"):
            if not all(isinstance(item, str) for item in entry.get(name) or []):
                return "the %s of %s are not strings" % (name, mac)
        if not all(isinstance(key, str) and isinstance(value, int) and not isinstance(value, bool)
                   for key, value in (entry.get("sizes") or {}).items()):
            return "the sizes of %s are not path: integer" % mac
    return None


def _normalise_fetched(fetched, field="bootstrap_fetched"):
    """``{mac: set(key ids)}`` from a ``{MAC: [key id, ...]}`` option (``bootstrap_fetched``, ``_delivered``, ``_proven``)."""
    if not fetched:
        return {}
    if not isinstance(fetched, dict):
        raise ProvisioningError("must be a mapping of MAC address to a list of key ids", field=field)
    result = {}
    for mac, ids in fetched.items():
        canonical = normalize_mac(mac, device=mac, field=field)
        if isinstance(ids, str):
            ids = [ids]
        elif not isinstance(ids, (list, tuple, set)):
            raise ProvisioningError("must be a list of key ids", device=mac, field=field)
        result.setdefault(canonical, set()).update(str(item) for item in ids or [])
    return result


def _normalise_macs(macs, field):
    """The canonical MACs of a list option (``rebootstrap``)."""
    if not macs:
        return set()
    if isinstance(macs, str) or not isinstance(macs, (list, tuple, set)):
        raise ProvisioningError("must be a list of MAC addresses", field=field)
    return set(normalize_mac(mac, device=str(mac), field=field) for mac in macs)


def _carriers_by_device(files):
    """Per device, the files that hand over keys: plain key bootstraps and rotation handovers."""
    carriers = {}
    for profile_file in files:
        if profile_file.device is None:
            continue
        if profile_file.delivers_keys or (profile_file.role == "bootstrap" and profile_file.secret):
            carriers.setdefault(profile_file.device, []).append(profile_file)
    return carriers


#: Fields of a bootstrap state entry that belong to a running rotation and
#: outlive the entry of one key id (a re-opened window of the current keys).
_HANDOVER_FIELDS = ("handover_key_id", "handover_served")


def reopen_windows(fleet, state, rebootstrap, now):
    """Re-open the bootstrap window of the devices in ``rebootstrap`` for their current keys.

    The recovery of a phone that lost its key (a factory reset, a rotation
    it missed): its key carriers are served again, whatever the logs, the
    key store's delivered keys or this host's state said, until the phone
    fetches them (seen in the logs after now) or ``bootstrap_window``
    passes. Returns the labels re-opened.
    """
    reopened = []
    for device in fleet:
        if device.mac not in rebootstrap or not device.keys:
            continue
        old = state["devices"].get(device.mac) or {}
        entry = {"key_id": key_id(device.keys), "opened": now, "closed": None, "reason": None, "reopened": now}
        entry.update((name, old[name]) for name in _HANDOVER_FIELDS if name in old)
        state["devices"][device.mac] = entry
        reopened.append(device.label)
    return sorted(reopened)


def _bootstrap_pending(entry, keys, fetched, delivered):
    """Whether ``entry`` is a window of ``keys`` still open and not known fetched.

    ``fetched``: this run's key ids fetched; ``delivered``: the key store's,
    which count unless the window was re-opened after them.
    """
    if entry.get("key_id") != key_id(keys) or entry.get("closed") is not None or entry.get("fetched"):
        return False
    if entry["key_id"] in fetched:
        return False
    return bool(entry.get("reopened")) or entry["key_id"] not in delivered


def decide_bootstrap(files, fleet, state, mode, window_minutes, fetched, now, rotating=None, delivered=None,
                     proven=None, reopened=None, pending=None):
    """Drop the key carriers whose window is closed; update ``state``.

    Returns ``(files to serve, report)``. A window opens the first time a
    device's keys need delivering (its current keys, or during a rotation
    its new ones), and closes for good, for those keys, once the device is
    known to have them: the logs show a fetch of the carrier (``fetched``),
    a proof (``proven``), or the key store lists the keys as delivered
    (``delivered``, which travels with the inventory: a rebuilt host or an
    empty state directory never re-opens a closed window). A window of
    plain carriers (the key readable by whoever fetches it) also closes
    when ``window_minutes`` pass unused, and follows ``mode``. A rotation's
    encrypted handover is readable only with the device's current key: it
    stays served until the rotation finishes, on proof.

    ``reopened``: MACs whose window :func:`reopen_windows` re-opened in this
    run; this run's evidence predates it and is ignored for them, and the
    key store's ``delivered`` never closes a re-opened window (only a fetch
    logged after it does). ``pending``: labels of devices whose rotation
    is not finished (the state keeps when their handover was first served).
    """
    rotating = rotating or {}
    delivered = delivered or {}
    proven = proven or {}
    reopened = reopened or set()
    pending = pending or set()
    report = {"open": [], "closed": [], "expired": []}
    carriers = _carriers_by_device(files)
    files_by_device = {}
    for profile_file in files:
        if profile_file.device is not None:
            files_by_device.setdefault(profile_file.device, []).append(profile_file)
    by_label = dict((device.label, device) for device in fleet)
    devices_state = state["devices"]
    dropped = set()
    for label, carrier_files in carriers.items():
        device = by_label[label]
        in_rotation = label in rotating
        current = key_id(rotating[label].keys if in_rotation else device.keys or {})
        plain = any(item.secret for item in carrier_files)
        entry = devices_state.get(device.mac)
        if entry is None or entry.get("key_id") != current:
            old = entry or {}
            entry = {"key_id": current, "opened": now, "closed": None, "reason": None}
            entry.update((name, old[name]) for name in _HANDOVER_FIELDS if name in old)
            devices_state[device.mac] = entry
        entry["paths"] = sorted(item.path for item in carrier_files)
        entry["sizes"] = dict((item.path, item.size) for item in carrier_files)
        entry["vendor"] = device.vendor
        entry["device"] = label
        entry["rotation"] = in_rotation
        if in_rotation:
            _record_rotation_proofs(entry, device.mac, files_by_device.get(label, []), rotating[label].keys, current, now)
        else:
            for name in ("proof_paths", "secret_paths", "proof_user"):
                entry.pop(name, None)
        if label not in pending:
            for name in _HANDOVER_FIELDS:
                entry.pop(name, None)
        if device.mac not in reopened:
            if current in proven.get(device.mac, ()) and not entry.get("proven"):
                entry["proven"] = now
            if (current in fetched.get(device.mac, ()) or entry.get("proven")) and not entry.get("fetched"):
                entry["fetched"] = now
        was_delivered = current in delivered.get(device.mac, ()) and not entry.get("reopened")
        if entry["closed"] is None and plain:
            if entry.get("fetched") and mode != "always":
                entry.update(closed=now, reason="fetched")
                report["closed"].append(label)
            elif was_delivered and mode != "always":
                entry.update(closed=now, reason="delivered")
                report["closed"].append(label)
            elif mode == "never":
                entry.update(closed=now, reason="never")
            elif mode == "window" and now - entry["opened"] > window_minutes * 60:
                entry.update(closed=now, reason="expired")
                report["expired"].append(label)
        if entry["closed"] is None:
            report["open"].append(label)
        else:
            dropped.update(id(item) for item in carrier_files)
    # Forget devices that left the inventory, so a MAC that comes back starts afresh.
    macs = set(device.mac for device in fleet)
    for mac in list(devices_state):
        if mac not in macs:
            del devices_state[mac]
    for name in report:
        report[name].sort()
    return [item for item in files if id(item) not in dropped], report


def _record_rotation_proofs(entry, mac, device_files, new_keys, new_id, now):
    """What :mod:`._fetch_log` needs to recognise proof that the device holds ``new_keys``.

    ``proof_paths``: every file of the device during the rotation (the
    handover, files encrypted with the new keys); fetched complete by a
    client authenticated as the device, each proves it. ``secret_paths``:
    the files in the new Cisco ``GPP_B`` directory, a path only the new
    keys reveal; any fetch of one proves it. ``proof_user``: the HTTP user
    of the new password (per-device HTTP credentials): while the rotation
    runs the server lets the device in with its old password too, so only a
    fetch as that user proves it.
    """
    directory = str(new_keys.get("gpp_b") or "")
    entry["proof_paths"] = sorted(item.path for item in device_files)
    entry["secret_paths"] = sorted(item.path for item in device_files if directory and directory in item.path.split("/"))
    password = new_keys.get(_http_credentials.DEFAULT_KEY_NAME)
    if isinstance(password, str) and password:
        entry["proof_user"] = _http_credentials.user_name(mac, password)
    else:
        entry.pop("proof_user", None)
    entry["sizes"].update((item.path, item.size) for item in device_files)
    if entry.get("handover_key_id") != new_id:
        entry["handover_key_id"] = new_id
        entry["handover_served"] = now


def plan_rotations(fleet, next_keys, state, proven, now, rebootstrap=None, fetched=None, delivered=None):
    """Split devices with new keys into finished rotations and pending ones.

    A rotation finishes only on proof that the device itself holds the new
    keys (in ``proven``, or recorded in ``state`` by an earlier run, on
    this host or, through ``proven``, on another): a fetch authenticated as
    the device, or a fetch from its new Cisco ``GPP_B`` directory. A fetch
    anyone could have made is not enough: a phone that did not apply the
    new keys would be locked out. From then on the device is served with
    its new keys only. Until then the handover stays served, so a phone
    that missed it takes it at its next resync.

    A device in ``rebootstrap``, or whose window of its current keys is
    still open on this host and not fetched (``fetched``; nor, for a window
    that was not re-opened, listed in the key store's ``delivered``), is
    held: it is served its current keys' bootstrap (a phone that lost its
    key, or was never bootstrapped, gets it), and its handover again once
    the phone fetched that bootstrap or the window closed. The handover is
    encrypted with the current keys and replaces the bootstrap: served to a
    phone that never had them, it would lock the phone out.

    Returns ``(rotating, report)``, ``rotating`` mapping labels to the
    device with its new keys; ``report`` has ``pending`` (handover served,
    or held) and ``finished``.
    """
    rebootstrap = rebootstrap or set()
    fetched = fetched or {}
    delivered = delivered or {}
    rotating = {}
    report = {"pending": [], "finished": []}
    by_mac = keys_by_mac(next_keys, "next_keys")
    for device in fleet:
        new = by_mac.get(device.mac)
        if not new or new == device.keys:
            continue
        new_id = key_id(new)
        entry = state["devices"].get(device.mac) or {}
        if new_id in proven.get(device.mac, ()) or (entry.get("key_id") == new_id and entry.get("proven")):
            device.keys = dict(new)
            report["finished"].append(device.label)
            continue
        report["pending"].append(device.label)
        if device.mac in rebootstrap or _bootstrap_pending(entry, device.keys or {}, fetched.get(device.mac, ()),
                                                           delivered.get(device.mac, ())):
            continue
        successor = copy.copy(device)
        successor.keys = dict(new)
        rotating[device.label] = successor
    return rotating, report


def stalled_rotations(fleet, state, pending, stall_days, now):
    """Labels of the pending rotations whose handover was first served more than ``stall_days`` ago."""
    stalled = []
    for device in fleet:
        if device.label not in pending:
            continue
        served = (state["devices"].get(device.mac) or {}).get("handover_served")
        if served is not None and now - served > stall_days * 86400:
            stalled.append(device.label)
    return sorted(stalled)


def inventory_secrets(params):
    """Every password and key of the run's input, longest first (the order :func:`redact` needs)."""
    secrets = raw_secrets(params.get("devices"), params.get("defaults"), params.get("sites"), params.get("models"),
                          params.get("keys"), params.get("next_keys"))
    return sorted(secrets, key=len, reverse=True)


def run(params, check_mode=False, want_diff=False, now=None):
    """Render and write the fleet; returns the module result (raises ProvisioningError).

    ``params``: the options of :data:`ARGUMENT_SPEC` as the module validated
    them; one left out takes its default there (see :func:`option_values`).
    """
    # A run builds a few hundred thousand long-lived objects (the fleet, the
    # manifests, the render cache, the files' records) and no reference
    # cycle worth collecting: the cyclic collector would only walk them
    # again and again (a fifth of a rerun at 10,000 devices). Reference
    # counting still frees everything; the collector runs again afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(params, check_mode, want_diff, now)
    finally:
        if enabled:
            gc.enable()


def _run(params, check_mode, want_diff, now):
    now = int(time.time()) if now is None else int(now)
    params = option_values(params)
    roots = params["roots"] or []
    if not roots:
        raise ProvisioningError("give at least one directory to write the profiles into", field="roots")
    mode_bootstrap = params["bootstrap_serve"]
    if mode_bootstrap not in BOOTSTRAP_MODES:
        raise ProvisioningError("must be one of %s" % ", ".join(BOOTSTRAP_MODES), field="bootstrap_serve")
    window = int(params["bootstrap_window"])
    if window < 0:
        raise ProvisioningError("must be 0 or more minutes", field="bootstrap_window")
    stall_days = params["rotation_stall_days"]
    if isinstance(stall_days, bool) or not isinstance(stall_days, int) or stall_days < 0:
        raise ProvisioningError("must be 0 or more days", field="rotation_stall_days")
    uid, gid = resolve_owner(params["owner"], params["group"])
    policy = FilePolicy(
        uid, gid,
        mode=parse_mode(params["mode"], "mode"),
        secret_mode=parse_mode(params["secret_mode"], "secret_mode"),
        dir_mode=parse_mode(params["dir_mode"], "dir_mode"),
    )
    state_dir = params["state_dir"]
    lock_timeout = params["lock_timeout"]
    if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, int) or lock_timeout < 0:
        raise ProvisioningError("must be 0 or more seconds", field="lock_timeout")

    full = params["full"]
    if not isinstance(full, bool):
        raise ProvisioningError("must be true or false", field="full")

    # Everything is validated and rendered before the first byte is written:
    # one bad device stops the run with the files of the last good run served.
    params["workers"] = worker_count(params["workers"])
    pool_warnings = []
    incremental = Incremental(params, state_dir, full)
    inventory, fleet = load_fleet(params["devices"] or [], params["defaults"], params["sites"], params["models"],
                                  params["directory"], strict=params["strict"], workers=params["workers"],
                                  warnings=pool_warnings, only=incremental.validates,
                                  other_lines=params.get(OTHER_LINES))
    incremental.after_validation(inventory, fleet)
    check_cryptography(fleet)
    attach_keys(fleet, params["keys"])
    # Runs sharing the state directory or a root take turns, from reading the
    # state to saving it; check mode too, since it reads them.
    with RunLock(state_dir, roots, lock_timeout, policy.dir_mode, create=not check_mode) as lock:
        result = _run_locked(params, check_mode, want_diff, now, lock, roots, mode_bootstrap, window, policy,
                             state_dir, inventory, fleet, stall_days, incremental)
    result["warnings"][:0] = pool_warnings
    return result


#: The device settings whose files need the ``cryptography`` library: the
#: vendors' validation refuses either on a model that cannot read the result,
#: so a valid device with one of them set has files to encrypt.
ENCRYPTING_SETTINGS = ("encrypt_profiles", "yealink_compat_encryption")


class MissingCryptography(ProvisioningError):
    """Devices of the fleet encrypt their files and the host's Python cannot import ``cryptography``."""


def check_cryptography(fleet):
    """Raise :class:`MissingCryptography` once, before anything is written, if a device encrypts and the library is missing.

    A fleet whose files are all plain (Poly, Fanvil, HTTPS with
    ``encrypt_profiles: false``) runs without it.
    """
    if HAS_CRYPTOGRAPHY:
        return
    encrypting = [device.label for device in fleet
                  if any(device.settings.get(name) for name in ENCRYPTING_SETTINGS)]
    if encrypting:
        raise MissingCryptography(
            "%d device(s) encrypt their files and the host's Python cannot import cryptography: %s%s"
            % (len(encrypting), ", ".join(encrypting[:10]), ", ..." if len(encrypting) > 10 else ""),
            device=encrypting[0], field="settings.encrypt_profiles")


class Incremental:
    """What an incremental run skips: the devices whose fingerprint matches the render cache.

    Validation is skipped for a device whose validation fingerprint (its
    inputs, see ``_fingerprint.device_fingerprint``) is the cache's; its
    rendering when, in addition, the keys it is rendered with are the same
    (:func:`~._fingerprint.render_fingerprint`). Its files are then the
    cache's stubs, which the plan of each root accepts only when the manifest
    and the file on disk match them; otherwise the device is rendered
    (:meth:`promote`). ``full``, no cache or a damaged one: every device is
    validated and rendered.
    """

    def __init__(self, params, state_dir, full):
        self.cache, warning = (None, None) if full else _incremental.load_cache(state_dir)
        self.warnings = [warning] if warning else []
        self.active = self.cache is not None
        devices = params["devices"] or []
        # Keyed by canonical MAC (unique in a fleet; labels are not).
        self.vfps = {}
        self.validated = set()
        self.dirty = None
        self.fps = {}
        self.macs_by_label = {}
        if not isinstance(devices, list):
            return
        ctx = FleetContext(params["defaults"], params["sites"], params["models"], params["directory"],
                           code_digests(families=VENDORS),
                           {"strict": params["strict"], "http_credentials_enforced": params["http_credentials_enforced"]})
        for raw in devices:
            vendor = None
            if isinstance(raw, dict):
                vendor = raw.get("vendor") or vendor_for_model(canonical_model(str(raw.get("model") or "")))
            try:
                mac = normalize_mac(raw.get("mac")) if isinstance(raw, dict) else None
            except ProvisioningError:
                # The data model reports it: no fingerprint, no device.
                continue
            self.vfps[mac] = device_fingerprint(raw, vendor, None, ctx)

    def _matches(self, device, index):
        record = (self.cache or {}).get(device.mac)
        return (record is not None and record[_incremental.LABEL] == device.label
                and record[_incremental.VENDOR] == device.vendor and record[index] is not None)

    def validates(self, device):
        """Whether the vendors check ``device`` this run (``load_fleet``'s ``only``)."""
        if self.active and self._matches(device, _incremental.VFP) and (
                self.vfps.get(device.mac) == self.cache[device.mac][_incremental.VFP]):
            return False
        self.validated.add(device.mac)
        return True

    def after_validation(self, inventory, fleet):
        """The warnings of the devices not validated, replayed from the cache (``load_fleet`` ran their checks across devices)."""
        if not self.active:
            return
        skipped = [device for device in fleet if device.mac not in self.validated]
        _incremental.replay_dropped(inventory, [self.cache[device.mac] for device in skipped])

    def plan_renders(self, fleet, rotating):
        """Decide which devices are rendered, once the keys of this run (rotations) are known."""
        for device in fleet:
            successor = rotating.get(device.label)
            vfp = self.vfps.get(device.mac)
            fp = None if vfp is None else render_fingerprint(vfp, device.keys, successor.keys if successor else None)
            self.fps[device.mac] = (fp, vfp)
            self.macs_by_label.setdefault(device.label, []).append(device.mac)
        if not self.active:
            return
        self.dirty = set(self.validated)
        for device in fleet:
            if not self._matches(device, _incremental.FP) or self.cache[device.mac][_incremental.FP] != self.fps[device.mac][0]:
                self.dirty.add(device.mac)

    def only(self):
        return None if self.dirty is None else (lambda device: device.mac in self.dirty)

    def stubs(self, fleet):
        if self.dirty is None:
            return []
        files = []
        for device in fleet:
            if device.mac not in self.dirty:
                files.extend(_incremental.stubs(self.cache[device.mac]))
        return files

    def promote(self, plans):
        """Render the devices whose stubs a root's plan could not vouch for; returns whether any was.

        A planned delete of a path the old manifest gives to a device not
        rendered, and its cache record does not list, promotes it too: the
        record lacks a file it served (damaged or altered), and only a
        render says whether it still has it. (A listed one is a carrier
        whose window closed: its delete is decided from the record.)
        """
        promoted = set()
        stuck = set()
        for plan in plans:
            for change in plan.changes:
                if change.new is not None and change.new.content is None:
                    # Files name their device by label: every device not rendered that has it.
                    stubbed = self._stubbed(change.new.device)
                    if not stubbed:
                        stuck.add(change.new.device)
                    promoted.update(stubbed)
                elif change.action == "delete":
                    promoted.update(mac for mac in self._stubbed(plan.old_devices.get(change.path)) if change.path not in [
                        item[_incremental.F_PATH] for item in self.cache[mac][_incremental.FILES]])
        if stuck:
            # Only a device not rendered has stubs: this would loop forever.
            raise ProvisioningError("internal error: rendered devices still have cached files: %s"
                                    % ", ".join(sorted(stuck)))
        self.dirty |= promoted
        return bool(promoted)

    def _stubbed(self, label):
        """The MACs of the devices labelled ``label`` that are not rendered."""
        return [mac for mac in self.macs_by_label.get(label, ()) if mac not in self.dirty]

    def render_everything(self, fleet):
        """Render every device from now on; returns whether some device had stubs (else there is nothing to retry)."""
        if self.dirty is None or all(device.mac in self.dirty for device in fleet):
            return False
        self.dirty.update(device.mac for device in fleet)
        return True

    def rendered(self, fleet):
        return len(fleet) if self.dirty is None else len(self.dirty)

    def save(self, state_dir, fleet, files, inventory):
        """Write the render cache; returns a warning if it could not be (the files are served: the run stands)."""
        try:
            _incremental.save_cache(state_dir, fleet, files, self.fps, _incremental.dropped_by_device(inventory.dropped),
                                    self.cache)
        except OSError as exc:
            path = _incremental.cache_path(state_dir)
            # An older cache left in place would still be checked against
            # the manifests; removed, the next run simply renders everything.
            try:
                os.remove(path)
            except OSError:
                pass
            return "render cache %s could not be written (%s): the next run may render every device" % (path, exc)
        return None


def _in_fleet_order(files, fleet):
    """``files`` with each device's files in the fleet's order (a full run's), shared files last, order kept otherwise."""
    position = dict((device.label, index) for index, device in enumerate(fleet))
    last = len(position)
    return sorted(files, key=lambda item: position.get(item.device, last) if item.device is not None else last)


def _run_locked(params, check_mode, want_diff, now, lock, roots, mode_bootstrap, window, policy, state_dir,
                inventory, fleet, stall_days, incremental=None):
    if incremental is None:
        incremental = Incremental(dict(params, devices=[]), state_dir, True)
    state = load_bootstrap_state(state_dir)
    state_as_loaded = json.dumps(state, sort_keys=True)
    fetched = _normalise_fetched(params["bootstrap_fetched"])
    delivered = _normalise_fetched(params["bootstrap_delivered"], "bootstrap_delivered")
    proven = _normalise_fetched(params["bootstrap_proven"], "bootstrap_proven")
    rebootstrap = _normalise_macs(params["rebootstrap"], "rebootstrap")
    rotating, rotation_report = plan_rotations(fleet, params["next_keys"], state, proven, now, rebootstrap,
                                               fetched, delivered)
    reopened = reopen_windows(fleet, state, rebootstrap, now)
    incremental.plan_renders(fleet, rotating)
    before_windows = json.dumps(state) if incremental.dirty is not None else None
    while True:
        # --diff decrypts what it shows from the files themselves: the decrypted
        # copies the renderers keep are not needed, and at fleet scale they are
        # half the memory.
        warnings = list(incremental.warnings)
        try:
            files = render_fleet(inventory, fleet, rotating, keep_plaintext=False, warnings=warnings,
                                 http_credentials_enforced=params["http_credentials_enforced"],
                                 workers=params["workers"], only=incremental.only(), cached=incremental.stubs(fleet))
        except ProvisioningError:
            # The checks across devices (a file written twice, plain
            # credentials) saw cached records: the error is reported only
            # if a render of every device gives it too.
            if not incremental.render_everything(fleet):
                raise
            continue
        if incremental.dirty is not None:
            files = _in_fleet_order(files, fleet)
        rendered = files

        files, bootstrap_report = decide_bootstrap(files, fleet, state, mode_bootstrap, window, fetched, now, rotating,
                                                   delivered, proven, rebootstrap, set(rotation_report["pending"]))
        bootstrap_report["reopened"] = reopened
        rotation_report["stalled"] = stalled_rotations(fleet, state, set(rotation_report["pending"]), stall_days, now)
        # A carrier's after_window replacement is served once the carrier is not.
        files = select_window_files(files)

        seen = {}
        plans = []
        for root in roots:
            real = os.path.realpath(root)
            if real in seen:
                continue
            seen[real] = root
            plans.append(plan_root(root, files, manifest_path_for(state_dir, root), policy, lock.tree(root)))
        # A cached file that is not what a root serves (changed or removed
        # there, or served only now that a window closed): its device is
        # rendered for real, and the windows decided again from the same state.
        if before_windows is None or not incremental.promote(plans):
            break
        for plan in plans:
            plan.close()
        state = json.loads(before_windows)
    if not params["prune"]:
        for plan in plans:
            plan.changes = [change for change in plan.changes if change.action != "delete"]
            for path, entry in plan.old_entries.items():
                plan.entries.setdefault(path, entry)

    changed_devices = set()
    changed_shared = set()
    for plan in plans:
        for change in plan.changes:
            owner = change.device if change.action != "delete" else plan.old_devices.get(change.path)
            if owner is None:
                changed_shared.add(change.path)
            else:
                changed_devices.add(owner)
    # Only files count as a change; the manifests and the bootstrap state are
    # bookkeeping, saved whenever they differ (outside check mode).
    changed = any(plan.changes for plan in plans)

    result = {
        "changed": changed,
        "devices": len(fleet),
        "files": len(files),
        "changed_devices": sorted(changed_devices),
        "changed_shared_files": sorted(changed_shared),
        "bootstrap": bootstrap_report,
        "rotation": rotation_report,
        "roots": [],
        "kept_foreign_files": [],
        "warnings": warnings,
        "rendered_devices": incremental.rendered(fleet),
        "incremental": incremental.dirty is not None,
    }
    counts = {"written": 0, "unchanged": 0, "pruned": 0}
    for plan in plans:
        per_root = {
            "path": plan.root,
            "created": sum(1 for c in plan.changes if c.action == "create"),
            "updated": sum(1 for c in plan.changes if c.action in ("update", "attributes")),
            "pruned": sum(1 for c in plan.changes if c.action == "delete"),
            "unchanged": plan.unchanged,
        }
        result["roots"].append(per_root)
        counts["written"] += per_root["created"] + per_root["updated"]
        counts["pruned"] += per_root["pruned"]
        counts["unchanged"] += plan.unchanged
        # A path can hold a key (Cisco's GPP_B directory): masked like the diff's.
        result["kept_foreign_files"].extend("%s/%s" % (plan.root.rstrip("/"), mask_path(path)) for path in plan.kept_foreign)
    result.update(counts)

    if want_diff:
        result["diff"] = _diffs(plans, fleet, inventory_secrets(params), params, rotating)
    if not check_mode:
        stale = [plan for plan in plans if plan.changes or _manifest_stale(plan)]
        if stale:
            apply_plans(stale, policy, state_dir)
        else:
            # A killed run's temporary files go even when this run has
            # nothing to write (its change may have been reverted since).
            clean_leftovers(state_dir, [plan.tree for plan in plans if plan.tree is not None])
        if json.dumps(state, sort_keys=True) != state_as_loaded:
            _save_bootstrap_state(state_dir, state)
        # After the manifests: advisory, a run that stops before it renders
        # again what it did not record.
        check_state_dir(state_dir)
        warning = incremental.save(state_dir, fleet, rendered, inventory)
        if warning is not None:
            result["warnings"].append(warning)
    return result


def _manifest_stale(plan):
    if set(plan.entries) != set(plan.old_entries):
        return True
    # A record of an older writer (without the file's tag) is rewritten too.
    return any(record_changed(plan.old_entries[path], entry) for path, entry in plan.entries.items())


def _save_bootstrap_state(state_dir, state):
    check_state_dir(state_dir)
    _write_json_atomic(os.path.join(state_dir, BOOTSTRAP_STATE_FILE), state)


def _diffs(plans, fleet, secrets, params, rotating=None):
    limit = int(params["diff_max_bytes"])
    max_files = int(params["diff_max_files"])
    keys_by_label = dict((device.label, device.keys) for device in fleet)
    for label, successor in (rotating or {}).items():
        # A handover is encrypted with the old keys, the rest with the new.
        keys_by_label[label] = dict(list(keys_by_label[label].items())
                                    + [("next." + name, value) for name, value in successor.keys.items()])
    diffs = []
    total = 0
    for plan in plans:
        for change in plan.changes:
            total += 1
            if len(diffs) >= max_files:
                continue
            if change.action == "attributes":
                continue
            before = None
            if change.action in ("update", "delete"):
                before = read_served_file(plan.root, change.path)
            after = change.new.content if change.new is not None else None
            owner = change.device if change.action != "delete" else plan.old_devices.get(change.path)
            # Each side is decoded by its tag: the file on disk by what the
            # manifest recorded for it, else (a record of an older writer, a
            # file someone put there) by the new file's for the same path.
            after_tag = change.new.tag if change.new is not None else None
            before_tag = None
            if before is not None:
                before_tag = recorded_tag(plan.old_entries.get(change.path), before) or after_tag
            diffs.append(file_diff(plan.root, change.path, before, after, keys_by_label.get(owner), secrets, limit,
                                   after_tag=after_tag, before_tag=before_tag))
    if total > len(diffs) and len(diffs) >= max_files:
        diffs.append({"before_header": "(more changes)", "after_header": "(more changes)", "before": "",
                      "after": "%d more changed files not shown (diff_max_files=%d)\n" % (total - len(diffs), max_files)})
    return diffs
