# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The render cache of incremental runs: ``<state_dir>/render-cache.json``.

Per device: its fingerprints (see ``_fingerprint``), MAC, vendor, the
metadata of every file its renderer returned (not only the served ones: a
closed carrier and its replacement too) and the settings it does not get
(warnings replayed for a device not validated again). The cache is advisory:
the manifests decide what was served and what is pruned; a missing or
damaged cache only means a full render (with a warning when damaged). It
holds no key and no plaintext; records are lists, not dicts, for memory.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import chain_problem
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fingerprint import FINGERPRINT_VERSION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    _write_json_atomic,
    is_relative_path,
    is_sha256_hex,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import CachedFile, ProfileFile

CACHE_FILE = "render-cache.json"
CACHE_FORMAT = "sipfleet-render-cache"
CACHE_VERSION = 1

SECRET, AFTER_WINDOW, DELIVERS_KEYS = 1, 2, 4
# A device record: [label, fp, vfp, mac, vendor, files, dropped]
LABEL, FP, VFP, MAC, VENDOR, FILES, DROPPED = range(7)
# A file record: [path, role, flags, sha256, size, kind, encoding, digest]
F_PATH, F_ROLE, F_FLAGS, F_SHA256, F_SIZE, F_KIND, F_ENCODING, F_DIGEST = range(8)

_MAC = re.compile(r"\A[0-9a-f]{12}\Z")


def cache_path(state_dir):
    return os.path.join(state_dir, CACHE_FILE)


def load_cache(state_dir):
    """``({canonical MAC: device record}, warning or None)``; ``(None, None)`` when there is no cache.

    Keyed by MAC, unique in a fleet (labels are not: a name cut at 80
    characters, a name that is another device's MAC).

    A cache that cannot be read or was altered gives ``(None, warning)``:
    the run renders every device and writes a new one.
    """
    path = cache_path(state_dir)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, "render cache %s cannot be read (%s): every device was rendered" % (path, exc)
    problem = _cache_problem(data)
    if problem is not None:
        return None, "render cache %s was altered (%s): every device was rendered" % (path, problem)
    if data["fingerprint_version"] != FINGERPRINT_VERSION:
        return None, None
    return dict((record[MAC], record) for record in data["devices"]), None


def _is_text(value):
    return isinstance(value, str) and bool(value)


def _cache_problem(data):
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("version") != CACHE_VERSION:
        return "not a version %d render cache" % CACHE_VERSION
    if not isinstance(data.get("fingerprint_version"), int) or not isinstance(data.get("devices"), list):
        return "no fingerprint version or device list"
    chains = {}
    macs = set()
    # A path in two devices' records would make the run refuse ("written
    # twice") or prune on the cache's word: the cache is not used.
    owners = {}
    for record in data["devices"]:
        if not isinstance(record, list) or len(record) != 7:
            return "a device record is not a list of 7 fields"
        label = record[LABEL]
        if not _is_text(label):
            return "a device label is missing"
        if not all(is_sha256_hex(record[index]) for index in (FP, VFP)):
            return "the fingerprints of %s are not SHA-256 hex" % label[:60]
        if not isinstance(record[MAC], str) or not _MAC.match(record[MAC]) or not _is_text(record[VENDOR]):
            return "the MAC or vendor of %s is wrong" % label[:60]
        if record[MAC] in macs:
            return "the MAC of %s is listed twice" % label[:60]
        macs.add(record[MAC])
        if not isinstance(record[FILES], list) or not isinstance(record[DROPPED], list):
            return "the files or warnings of %s are not lists" % label[:60]
        for item in record[FILES]:
            problem = _file_problem(item, chains)
            if problem is not None:
                return "a file of %s: %s" % (label[:60], problem)
            if owners.setdefault(item[F_PATH], label) != label:
                return "a file of %s is %s's too" % (label[:60], owners[item[F_PATH]][:60])
        for item in record[DROPPED]:
            if not isinstance(item, list) or len(item) != 3 or not all(isinstance(part, str) for part in item):
                return "a warning of %s is not [vendor, field, reason]" % label[:60]
    return None


def _file_problem(item, tags):
    """What is wrong with a file record, or ``None``; ``tags``: ``{tag fields: problem}`` across the cache.

    A fleet's files share a handful of (role, flags, kind, encoding, digest)
    between them: those are checked once each, the path, digest and size of
    every file.
    """
    if not isinstance(item, list) or len(item) != 8:
        return "not a list of 8 fields"
    path, role, flags, sha, size, kind, encoding, digest = item
    if not isinstance(path, str) or not is_relative_path(path):
        return "%r is not a relative path" % (str(path)[:80],)
    if not is_sha256_hex(sha):
        return "sha256 is not hex"
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return "bad size"
    if not isinstance(encoding, list) or not all(isinstance(step, str) for step in encoding):
        return "bad encoding"
    if not all(value is None or isinstance(value, str) for value in (role, kind, digest)):
        return _tag_problem(role, flags, kind, encoding, digest) or "bad role, kind or digest"
    # The type is part of the key: True == 1, but a bool is no flags.
    key = (role, type(flags), flags if isinstance(flags, int) else repr(flags), kind, digest, tuple(encoding))
    if key not in tags:
        tags[key] = _tag_problem(role, flags, kind, encoding, digest)
    return tags[key]


def _tag_problem(role, flags, kind, encoding, digest):
    if role not in ProfileFile.ROLES:
        return "unknown role"
    if isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags <= 7:
        return "bad flags"
    if flags & AFTER_WINDOW and (flags & SECRET or role != "profile"):
        return "an after_window file that is not a plain profile"
    if kind is not None and not isinstance(kind, str):
        return "bad kind"
    if digest is not None and not isinstance(digest, str):
        return "bad digest"
    return chain_problem(tuple(encoding), digest)


def file_record(profile_file):
    """The cache record of one rendered (or cached) file."""
    flags = ((SECRET if profile_file.secret else 0) | (AFTER_WINDOW if profile_file.after_window else 0)
             | (DELIVERS_KEYS if profile_file.delivers_keys else 0))
    return [profile_file.path, profile_file.role, flags, profile_file.sha256, profile_file.size, profile_file.kind,
            list(profile_file.encoding), profile_file.digest]


def stubs(record):
    """The :class:`~._vendors.base.CachedFile` stubs of a device record, in the order they were rendered."""
    label, vendor = record[LABEL], record[VENDOR]
    return [CachedFile(item[F_PATH], label, item[F_ROLE], bool(item[F_FLAGS] & SECRET), bool(item[F_FLAGS] & AFTER_WINDOW),
                       bool(item[F_FLAGS] & DELIVERS_KEYS), item[F_SHA256], item[F_SIZE], vendor, item[F_KIND],
                       item[F_ENCODING], item[F_DIGEST])
            for item in record[FILES]]


def dropped_by_device(dropped):
    """``{label: [[vendor, field, reason], ...]}`` from ``Inventory.dropped``."""
    by_device = {}
    for (vendor, field, reason), labels in sorted(dropped.items()):
        for label in labels:
            entry = by_device.setdefault(label, [])
            if [vendor, field, reason] not in entry:
                entry.append([vendor, field, reason])
    return by_device


def replay_dropped(inventory, records):
    """Put the warnings of the devices not validated this run back into ``inventory.dropped``."""
    for record in records:
        for vendor, field, reason in record[DROPPED]:
            inventory.dropped.setdefault((vendor, field, reason), []).append(record[LABEL])


def save_cache(state_dir, fleet, files, fingerprints, dropped, loaded=None):
    """Write the cache of this run: ``fingerprints`` is ``{MAC: (fp, vfp)}``, ``dropped`` :func:`dropped_by_device`.

    Files and warnings name their device by label: a device whose label
    another one shares gets no record (it is rendered every run).

    ``loaded``: the cache this run read (:func:`load_cache`); when this run's
    records are the same, the file is left as it is. Returns whether it was written.
    """
    by_device = {}
    for profile_file in files:
        if profile_file.device is not None:
            by_device.setdefault(profile_file.device, []).append(file_record(profile_file))
    records = []
    labels = {}
    for device in fleet:
        labels[device.label] = labels.get(device.label, 0) + 1
    for device in fleet:
        fp, vfp = fingerprints[device.mac]
        if fp is None or vfp is None or labels[device.label] > 1:
            continue
        records.append([device.label, fp, vfp, device.mac, device.vendor, by_device.get(device.label, []),
                        dropped.get(device.label, [])])
    if loaded is not None and len(loaded) == len(records) and all(
            loaded.get(record[MAC]) == record for record in records):
        return False
    _write_json_atomic(cache_path(state_dir), {"format": CACHE_FORMAT, "version": CACHE_VERSION,
                                               "fingerprint_version": FINGERPRINT_VERSION, "devices": records})
    return True
