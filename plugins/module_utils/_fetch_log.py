# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which devices fetched their key-carrying files, and which proved they hold new keys, from the servers' logs.

Inputs: the bootstrap state ``phone_profiles`` keeps (per device: the paths
of its key carriers, their sizes, the key id and when the window opened;
during a rotation also the files that prove the new keys), nginx access logs
in the JSON format of the ``http_server`` role, and the syslog lines of
tftpd-hpa (``in.tftpd[PID]: RRQ from ADDRESS filename PATH``).

Two kinds of evidence come out, per device and key id:

``fetched``
    a complete, successful download of a key carrier after its window
    opened: HTTP status 200 with all the bytes, or a TFTP read request
    (tftpd-hpa logs no completion). Whoever made it, the key it carried is
    known to them: the window closes. Over HTTP, a User-Agent that names
    another device's MAC, or a client certificate of another device, makes
    the fetch someone else's: it does not count and is reported. A
    User-Agent that names no MAC at all, from a vendor whose phones always
    send one, is reported the same way but counts (the key is exposed all
    the same).
``proven``
    evidence that the device itself holds a rotation's new keys: a complete
    fetch of one of its rotation files (the handover, or a file only
    readable with the new keys) by a client whose certificate the server
    verified and which names the device's MAC, or which the server let in
    with the device's own HTTP credentials of the new password
    (``device_auth``, status 200, ``remote_user`` the new password's user,
    recorded as the entry's ``proof_user``); or any fetch of a file whose
    path only the new keys reveal (``phone_profiles`` records them as the
    entry's ``secret_paths``). An anonymous fetch is never proof: anyone can
    send a User-Agent.

What a User-Agent says is read by the forms the device's vendor declares
(``VendorDescription.user_agents``, see ``_vendors/description.py``): the
MAC is that form's ``mac`` group, and ``macs_in_user_agent`` says whether a
fetch that names none is suspect. A User-Agent of no declared form names no
MAC.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import re
import stat
import time
import zlib
from datetime import datetime

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._http_credentials import USER_NAME_PATTERN
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import (
    BOOTSTRAP_STATE_VERSION,
    DEFAULT_STATE_DIR,
    load_bootstrap_state,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import mask_path
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import check_state_dir
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import description_for

#: The options of ``provisioning_fetches``, written once: the module
#: validates its arguments with it and :func:`run` takes its defaults from it
#: (the module's DOCUMENTATION describes the same options).
#: The logs a module reads, for ``provisioning_fetches`` and ``fleet_status``
#: alike (their documentation: the ``fetch_logs`` doc fragment).
LOG_OPTIONS = dict(
    http_logs=dict(type="list", elements="path", default=[]),
    tftp_logs=dict(type="list", elements="path", default=[]),
)

ARGUMENT_SPEC = dict(state_dir=dict(type="path", default=DEFAULT_STATE_DIR), **LOG_OPTIONS)

#: A tftpd-hpa read request as syslog files it: the time (traditional
#: ``Mmm dd hh:mm:ss`` or RFC 3339), the host name, then ``in.tftpd[PID]:``
#: as the line's tag. Anchored at the start: another program can log any
#: text after its own tag, ``in.tftpd[1]: RRQ ...`` included, and that must
#: never close a window.
_TFTP_RE = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"
    r" \S+ in\.tftpd\[\d+\]: RRQ from (\S+) filename (\S+)")
_TRADITIONAL_TIME_RE = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\s")
_MONTHS = dict((name, index) for index, name in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1))


def parse_iso_time(text):
    """Epoch seconds of an ISO 8601 time with offset (nginx ``$time_iso8601``, rsyslog RFC 3339)."""
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python before 3.11 takes at most six digits of fractions.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return time.mktime(moment.timetuple())
    return moment.timestamp()


def _syslog_time(line, now):
    first = line.split(" ", 1)[0]
    if first[:4].isdigit() and "T" in first:
        return parse_iso_time(first)
    match = _TRADITIONAL_TIME_RE.match(line)
    if not match:
        return None
    month = _MONTHS.get(match.group(1))
    if month is None:
        return None
    year = time.localtime(now).tm_year
    moment = time.mktime((year, month, int(match.group(2)), int(match.group(3)), int(match.group(4)),
                          int(match.group(5)), 0, 0, -1))
    if moment > now + 86400:
        # A traditional syslog line has no year: December's lines read in January.
        moment = time.mktime((year - 1, month, int(match.group(2)), int(match.group(3)), int(match.group(4)),
                              int(match.group(5)), 0, 0, -1))
    return moment


# -- log files --------------------------------------------------------------

def _rotation_index(base, name):
    """The number of a logrotate generation of ``base`` (``base.1``, ``base.2.gz``), or ``None``."""
    if not name.startswith(base + "."):
        return None
    rest = name[len(base) + 1:]
    if rest.endswith(".gz"):
        rest = rest[:-3]
    return int(rest) if rest.isdigit() else None


def _check_file(path, option):
    """Raise naming ``option`` and ``path`` unless ``path`` is a readable regular file; False when it is missing."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ProvisioningError("cannot read the log %s (%s)" % (path, exc.strerror or exc), field=option)
    if stat.S_ISDIR(info.st_mode):
        raise ProvisioningError("the log %s is a directory; give the log file itself" % path, field=option)
    if not stat.S_ISREG(info.st_mode):
        raise ProvisioningError("the log %s is not a regular file" % path, field=option)
    if not os.access(path, os.R_OK):
        raise ProvisioningError("cannot read the log %s (permission denied)" % path, field=option)
    return True


def log_files(path, option):
    """``(files, warning)``: ``path`` and its rotated generations, oldest first.

    The logrotate (and Debian) naming: ``path.1`` (the last one, often not
    yet compressed), ``path.2.gz``, ``path.3.gz``... A fetch made just
    before the last rotation is in ``path.1``; the files are read oldest
    first. ``warning`` is a message when neither ``path`` nor any generation
    exists (a server not installed yet, or a wrong name); a directory or an
    unreadable file raises, naming ``option`` and the file.
    """
    directory, base = os.path.split(path)
    rotated = []
    try:
        names = os.listdir(directory or ".")
    except FileNotFoundError:
        names = []
    except OSError as exc:
        raise ProvisioningError("cannot list the directory of the log %s (%s)" % (path, exc.strerror or exc),
                                field=option)
    for name in names:
        index = _rotation_index(base, name)
        if index is not None:
            rotated.append((index, os.path.join(directory, name)))
    files = [item for index, item in sorted(rotated, reverse=True) if _check_file(item, option)]
    if _check_file(path, option):
        files.append(path)
    if not files:
        return [], "the log %s does not exist (%s); no fetch was read from it" % (path, option)
    return files, None


def read_lines(path, option):
    """The lines of one log file as text, one at a time (bounded memory); ``.gz`` files are unpacked as they are read."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for raw in handle:
                yield raw.decode("utf-8", "replace")
    except (OSError, EOFError, zlib.error) as exc:
        raise ProvisioningError("cannot read the log %s (%s)" % (path, getattr(exc, "strerror", None) or exc),
                                field=option)


# -- what to look for ---------------------------------------------------------

def read_state(state_dir):
    """The bootstrap state of ``state_dir``, checked as ``phone_profiles`` checks it before trusting it.

    Its recorded proofs finish rotations and its closed windows stay closed
    on every host: a directory another user owns or can write is refused,
    naming ``state_dir``. A missing one is empty, and is not created here
    (reading changes nothing).
    """
    if not check_state_dir(state_dir, create=False):
        return {"version": BOOTSTRAP_STATE_VERSION, "devices": {}}
    return load_bootstrap_state(state_dir)


CARRIER = "carrier"
PROOF = "proof"
SECRET_PATH = "secret_path"


def _watched(state):
    """``{path: [(mac, entry, kind), ...]}`` of the files whose fetch is evidence.

    ``carrier``: a key carrier of an open window. ``proof``: a file of a
    running rotation whose fetch by the authenticated device proves the new
    keys. ``secret_path``: a file whose path only the new keys reveal.
    """
    result = {}

    def watch(paths, mac, entry, kind):
        # Only strings: the state file is validated on load, and a path that
        # is not one can match no request anyway.
        for path in paths or []:
            if isinstance(path, str):
                result.setdefault(path.lstrip("/"), []).append((mac, entry, kind))

    for mac, entry in (state.get("devices") or {}).items():
        if entry.get("closed") is None:
            watch(entry.get("paths"), mac, entry, CARRIER)
        if entry.get("rotation") and not entry.get("proven"):
            watch(entry.get("proof_paths"), mac, entry, PROOF)
            watch(entry.get("secret_paths"), mac, entry, SECRET_PATH)
    return result


def _complete(entry, path, status, sent):
    return status == 200 and sent == (entry.get("sizes") or {}).get(path, sent)


def http_fetches(lines, state):
    """``(fetched, proven, foreign)`` from nginx JSON access log lines.

    ``fetched`` and ``proven`` map MACs to sets of key ids; ``foreign``
    lists the fetches of a device's key carrier by a client that named
    another device or no device at all (``claimed`` says which: a MAC, or
    an empty string).
    """
    watched = _watched(state)
    fetched, proven, foreign = {}, {}, []
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        path = str(record.get("path") or "").lstrip("/")
        found = watched.get(path)
        if not found:
            continue
        try:
            status = int(record.get("status"))
            sent = int(record.get("bytes"))
        except (TypeError, ValueError):
            continue
        moment = parse_iso_time(str(record.get("time") or ""))
        if moment is None:
            continue
        agent = str(record.get("user_agent") or "")
        # A certificate the server verified names the client for sure; a
        # User-Agent is what the client chose to say.
        verified_mac = certificate_mac(record)
        auth_user = ""
        if not verified_mac and status == 200:
            # So does a device's own HTTP password: device_auth names the
            # device whose credentials the server asked for, and a 200
            # means the user was one of that device's and its password matched.
            verified_mac, auth_user = _device_auth(record)
        for mac, entry, kind in found:
            if moment < entry.get("opened", 0):
                continue
            description = description_for(entry.get("vendor"))
            claimed_mac = user_agent_mac(description, agent)
            if verified_mac:
                # The certificate names the client; what its User-Agent says does not matter.
                claimed_mac = verified_mac
            if claimed_mac is not None and claimed_mac != mac:
                if kind == CARRIER and _complete(entry, path, status, sent):
                    foreign.append(_foreign(entry, path, record, agent, claimed_mac))
                continue
            if kind == SECRET_PATH:
                # Only a phone that read the new keys' files knows this path:
                # even a "not modified" answer proves it asked for it.
                if status in (200, 304):
                    proven.setdefault(mac, set()).add(entry["key_id"])
                continue
            if not _complete(entry, path, status, sent):
                continue
            if verified_mac == mac:
                if kind == PROOF and auth_user and auth_user != entry.get("proof_user"):
                    # The device's old password, still let in while its
                    # rotation runs: it does not prove the new one.
                    continue
                if kind == PROOF:
                    proven.setdefault(mac, set()).add(entry["key_id"])
                else:
                    fetched.setdefault(mac, set()).add(entry["key_id"])
                continue
            if kind != CARRIER:
                continue
            if claimed_mac is None and description is not None and description.macs_in_user_agent:
                # This vendor's phones name their MAC: this client did not
                # (a serial-number form included: nothing ties it to the
                # device). The key is exposed all the same, so the window
                # closes.
                foreign.append(_foreign(entry, path, record, agent, ""))
            fetched.setdefault(mac, set()).add(entry["key_id"])
    return fetched, proven, foreign


def certificate_mac(record):
    """The MAC of the client certificate the server verified (``ssl_client_verify`` ``SUCCESS``), or ``""``."""
    if str(record.get("ssl_client_verify") or "") != "SUCCESS":
        return ""
    return re.sub(r"[^0-9a-f]", "", str(record.get("client_mac") or "").lower())


def _device_auth(record):
    """``(mac, user)`` of the device whose own HTTP credentials the request carried (``device_auth``), or ``("", "")``.

    The user is one of the device's (``<mac>-<4 hex>``, one per password:
    see ``_http_credentials.user_name``).
    """
    device_auth = str(record.get("device_auth") or "").lower()
    user = str(record.get("remote_user") or "").lower()
    if not re.match(r"^[0-9a-f]{12}$", device_auth) or not re.match(r"^%s$" % USER_NAME_PATTERN, user):
        return "", ""
    if user.split("-", 1)[0] != device_auth:
        return "", ""
    return device_auth, user


def user_agent_mac(description, agent):
    """The lower-case MAC that User-Agent ``agent`` names as ``description`` reads it, or ``None``.

    By a declared form, or else by the vendor's MAC search
    (:meth:`~._vendors.description.VendorDescription.claimed_mac`). ``None``
    when the User-Agent names no MAC (a serial number, another program) and
    for an unknown vendor (``description`` ``None``): such a User-Agent can
    never make a fetch someone else's.
    """
    if description is None:
        return None
    return description.claimed_mac(agent)


def _foreign(entry, path, record, agent, claimed):
    # The path can hold a key (a directory only the keys reveal): masked as in a diff.
    return {"device": entry.get("device"), "path": mask_path(path, entry.get("vendor")),
            "client": record.get("remote_addr"),
            "user_agent": agent, "time": record.get("time"), "claimed": claimed or ""}


def tftp_fetches(lines, state, now=None):
    """``(fetched, proven)`` from tftpd-hpa's syslog lines (read requests).

    TFTP authenticates nobody, so the only proof it gives is a request for
    a path only the new keys reveal.
    """
    now = time.time() if now is None else now
    watched = _watched(state)
    fetched, proven = {}, {}
    for line in lines:
        match = _TFTP_RE.match(line)
        if not match:
            continue
        found = watched.get(match.group(2).lstrip("/"))
        if not found:
            continue
        moment = _syslog_time(line, now)
        if moment is None:
            continue
        for mac, entry, kind in found:
            if moment < entry.get("opened", 0):
                continue
            if kind == CARRIER:
                fetched.setdefault(mac, set()).add(entry["key_id"])
            elif kind == SECRET_PATH:
                proven.setdefault(mac, set()).add(entry["key_id"])
    return fetched, proven


def recorded(state):
    """``(fetched, proven)`` that earlier runs on this host recorded in ``state``.

    A host that joins later, or whose logs were rotated away, learns them
    through the result merged over every host.
    """
    fetched, proven = {}, {}
    for mac, entry in (state.get("devices") or {}).items():
        if entry.get("fetched"):
            fetched.setdefault(mac, set()).add(entry["key_id"])
        if entry.get("proven"):
            proven.setdefault(mac, set()).add(entry["key_id"])
    return fetched, proven


def closed_windows(state):
    """``{mac: set(key ids)}`` of the windows ``state`` records as closed, whatever the reason.

    Fetched, proven, expired unused or never served: the key store records
    them all, so a host without this state (rebuilt, a new redundant one)
    keeps them closed instead of serving the key in plain text again.
    """
    closed = {}
    for mac, entry in (state.get("devices") or {}).items():
        if entry.get("closed") is not None and entry.get("key_id"):
            closed.setdefault(mac, set()).add(entry["key_id"])
    return closed


def merge_fetched(*maps):
    """Union of ``{mac: set(key ids)}`` maps, as sorted lists."""
    merged = {}
    for item in maps:
        for mac, ids in item.items():
            merged.setdefault(mac, set()).update(ids)
    return dict((mac, sorted(ids)) for mac, ids in sorted(merged.items()))


def run(params, warn):
    """The ``provisioning_fetches`` result for ``params`` (the options of :data:`ARGUMENT_SPEC`).

    An option left out, or ``None``, takes its default. ``warn`` is called
    with each message for the user (a missing log, a foreign fetch) as it
    comes, so those given before an error are not lost. Raises
    ProvisioningError naming the option and file it cannot read.
    """
    params = dict(params)
    for name, spec in ARGUMENT_SPEC.items():
        if params.get(name) is None:
            params[name] = copy.deepcopy(spec["default"])
    fetched_maps, proven_maps, foreign = [], [], []
    state = read_state(params["state_dir"])
    for option, reader in (("http_logs", http_fetches), ("tftp_logs", _tftp_reader)):
        for path in params[option]:
            files, warning = log_files(path, option)
            if warning:
                warn(warning)
            for name in files:
                fetched, proven, strangers = reader(read_lines(name, option), state)
                fetched_maps.append(fetched)
                proven_maps.append(proven)
                foreign.extend(strangers)
    fetched, proven = recorded(state)
    # A proof is also a delivery: the keys it proves reached the device.
    proven = merge_fetched(proven, *proven_maps)
    fetched = merge_fetched(fetched, proven, *fetched_maps)
    open_windows = sum(1 for entry in state["devices"].values() if entry.get("closed") is None)
    for item in foreign:
        if item["claimed"]:
            warn("device %s: its key carrier %s was fetched by %s with User-Agent %r, which names another "
                 "device (%s); rotate its keys"
                 % (item["device"], item["path"], item["client"], item["user_agent"], item["claimed"]))
        else:
            warn("device %s: its key carrier %s was fetched by %s with User-Agent %r, which names no device; "
                 "the key is exposed, rotate its keys unless that was the phone"
                 % (item["device"], item["path"], item["client"], item["user_agent"]))
    return {"changed": False, "fetched": fetched, "proven": proven, "foreign_fetches": foreign,
            "closed": merge_fetched(closed_windows(state)), "open_windows": open_windows}


def _tftp_reader(lines, state):
    fetched, proven = tftp_fetches(lines, state)
    return fetched, proven, []
