# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which devices fetched their key-carrying bootstrap file, from the servers' logs.

Inputs: the bootstrap state ``phone_profiles`` keeps (per device: the paths
of its key carriers, their sizes, the key id and when the window opened),
nginx access logs in the JSON format of the ``http_server`` role, and the
syslog lines of tftpd-hpa (``in.tftpd[PID]: RRQ from ADDRESS filename
PATH``).

A fetch counts when it is a complete, successful download after the window
opened: HTTP status 200 with all the bytes, or a TFTP read request (tftpd-hpa
logs no completion). Over HTTP, when the User-Agent names a MAC (Grandstream
``DevId``, Cisco MPP and Panasonic ``(mac)``) that is not the device's, the
fetch is someone else's: it does not close the window and is reported, since
that key must be considered known to whoever fetched it.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

#: MAC in the User-Agent, per vendor. Cisco SPA User-Agents carry the serial
#: number, not the MAC, so they are not checked.
_UA_MAC_RE = {
    "grandstream": re.compile(r"DevId\s+([0-9A-Fa-f]{12})\b"),
    "cisco_mpp": re.compile(r"\(([0-9A-Fa-f]{12})\)"),
    "panasonic": re.compile(r"\(([0-9A-Fa-f]{12})\)"),
}

_TFTP_RE = re.compile(r"in\.tftpd\[\d+\]:\s+RRQ from (\S+) filename (\S+)")
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


def _carriers(state):
    """``{path: (mac, entry)}`` of every open window's key carriers."""
    result = {}
    for mac, entry in (state.get("devices") or {}).items():
        if entry.get("closed") is not None:
            continue
        for path in entry.get("paths") or []:
            result[path.lstrip("/")] = (mac, entry)
    return result


def http_fetches(lines, state):
    """``(fetched, foreign)`` from nginx JSON access log lines."""
    carriers = _carriers(state)
    fetched, foreign = {}, []
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        path = str(record.get("path") or "").lstrip("/")
        found = carriers.get(path)
        if found is None:
            continue
        mac, entry = found
        try:
            status = int(record.get("status"))
            sent = int(record.get("bytes"))
        except (TypeError, ValueError):
            continue
        moment = parse_iso_time(str(record.get("time") or ""))
        if status != 200 or moment is None or moment < entry.get("opened", 0):
            continue
        if sent != (entry.get("sizes") or {}).get(path, sent):
            continue
        agent = str(record.get("user_agent") or "")
        pattern = _UA_MAC_RE.get(entry.get("vendor"))
        claimed = pattern.search(agent) if pattern else None
        if claimed and claimed.group(1).lower() != mac:
            foreign.append({"device": entry.get("device"), "path": path, "client": record.get("remote_addr"),
                            "user_agent": agent, "time": record.get("time")})
            continue
        fetched.setdefault(mac, set()).add(entry["key_id"])
    return fetched, foreign


def tftp_fetches(lines, state, now=None):
    """``fetched`` from tftpd-hpa's syslog lines (read requests)."""
    now = time.time() if now is None else now
    carriers = _carriers(state)
    fetched = {}
    for line in lines:
        match = _TFTP_RE.search(line)
        if not match:
            continue
        found = carriers.get(match.group(2).lstrip("/"))
        if found is None:
            continue
        mac, entry = found
        moment = _syslog_time(line, now)
        if moment is None or moment < entry.get("opened", 0):
            continue
        fetched.setdefault(mac, set()).add(entry["key_id"])
    return fetched


def merge_fetched(*maps):
    """Union of ``{mac: set(key ids)}`` maps, as sorted lists."""
    merged = {}
    for item in maps:
        for mac, ids in item.items():
            merged.setdefault(mac, set()).update(ids)
    return dict((mac, sorted(ids)) for mac, ids in sorted(merged.items()))
