# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Time zones: IANA names (``Europe/Berlin``) and POSIX TZ strings (``CET-1CEST,M3.5.0,M10.5.0/3``).

Every vendor spells time zones differently (Grandstream takes a TZ string,
Cisco an offset plus a daylight-saving rule, Panasonic minutes and rule
fields), and every one of them can be computed from a POSIX TZ string. A name
is turned into the POSIX string of the zone's current rule by reading the
footer of the zone's TZif file (RFC 8536 section 3.3) from the host's time
zone database, the files Python's ``zoneinfo`` reads; no table of zones is kept
here, so updating the host's tzdata updates the rule at the next run.
"""

from __future__ import annotations

import calendar
import datetime
import os
import re
import struct
import time

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError

_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_OFFSET = r"[+-]?\d{1,2}(?::\d{2}){0,2}"
_RULE = r"M\d{1,2}\.\d\.\d(?:/[+-]?\d{1,3}(?::\d{2}){0,2})?"
#: A Julian-day rule (``Jn``, ``n``): POSIX allows them, the vendors' rule fields take ``Mm.w.d`` only.
_JULIAN_RE = re.compile(r",J?\d{1,3}(?:/[^,]*)?(?:,|$)")
_TZ_RE = re.compile(
    r"^(?P<std>{n})(?P<stdoff>{o})(?:(?P<dst>{n})(?P<dstoff>{o})?(?:,(?P<start>{r}),(?P<end>{r}))?)?$".format(
        n=_NAME, o=_OFFSET, r=_RULE))


#: RFC 8536 section 3.3.1: a transition time may run from -167 to 167 hours.
_MAX_TRANSITION_MINUTES = 167 * 60

#: One part of an IANA zone name: ASCII letters, digits, ``_``, ``-`` and ``+``
#: (``Etc/GMT+5``), starting with a letter; no ``.``, so no ``..``.
_ZONE_PART_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,29}\Z")
_MAX_ZONE_PARTS = 3
_MAX_ZONE_NAME_CHARS = 64

#: zoneinfo's default search path, used when the zoneinfo module is missing (Python < 3.9 builds without it).
_DEFAULT_TZPATH = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")

#: A zone file is a few kilobytes; read no more than this, whatever the file is.
MAX_TZIF_BYTES = 256 * 1024

#: RFC 8536 section 3.1: magic, version, 15 unused bytes, then isutcnt,
#: isstdcnt, leapcnt, timecnt, typecnt and charcnt.
_TZIF_HEADER = struct.Struct(">4sc15x6L")

#: name -> (path, footer, transitions) of the zones read in this process.
_ZONE_CACHE = {}
#: name -> TimeZone of the names parsed and checked in this process (every device of a site asks again).
_PARSED_CACHE = {}
#: POSIX TZ string (as given) -> its TimeZone; like the zones', shared and never changed.
_POSIX_CACHE = {}

#: How far ahead the footer must agree with the transitions the file lists.
_CHECK_SECONDS = 2 * 366 * 86400
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


def _minutes(text):
    sign = -1 if text.startswith("-") else 1
    parts = [int(part) for part in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 60 + parts[1] + (1 if parts[2] >= 30 else 0))


class Transition:
    """``Mm.w.d/time``: month 1-12, week 1-5 (5 = last), weekday 0-6 (0 = Sunday), minutes after midnight.

    The minutes may be negative or past a day (``M3.5.0/-1``, ``M10.5.4/24``,
    ``M3.4.4/26``): RFC 8536 allows -167 to 167 hours.
    """

    def __init__(self, month, week, weekday, minutes):
        self.month = month
        self.week = week
        self.weekday = weekday
        self.minutes = minutes

    def __repr__(self):
        return "Transition(M%d.%d.%d/%d min)" % (self.month, self.week, self.weekday, self.minutes)


class TimeZone:
    """A parsed time zone. Offsets are minutes east of UTC (the opposite of POSIX's sign).

    ``text`` is always the POSIX TZ string (what phones taking one are given),
    ``name`` the IANA name when the inventory gave one (``None`` otherwise).
    """

    def __init__(self, text, std_name, utc_offset, dst_name=None, dst_offset=None, start=None, end=None, name=None):
        self.text = text
        self.std_name = std_name
        self.utc_offset = utc_offset
        self.dst_name = dst_name
        self.dst_offset = dst_offset
        self.start = start
        self.end = end
        self.name = name

    @property
    def has_dst(self):
        return self.dst_name is not None

    def offset_at(self, seconds):
        """Minutes east of UTC at ``seconds`` since the epoch, by this rule."""
        if not self.has_dst:
            return self.utc_offset
        year = datetime.date.fromordinal(_EPOCH_ORDINAL + int(seconds // 86400)).year
        # The start is given in standard time, the end in daylight time (POSIX).
        start = _rule_seconds(year, self.start, self.utc_offset)
        end = _rule_seconds(year, self.end, self.dst_offset)
        in_dst = start <= seconds < end if start < end else not end <= seconds < start
        return self.dst_offset if in_dst else self.utc_offset

    @property
    def label(self):
        """For messages: ``Europe/Berlin (CET-1CEST,M3.5.0,M10.5.0/3)``, or the POSIX string given."""
        return "%s (%s)" % (self.name, self.text) if self.name else self.text


def _rule_seconds(year, transition, offset):
    """The UTC instant (seconds since the epoch) of ``transition`` in ``year``, given in local time ``offset``."""
    first_weekday = (datetime.date(year, transition.month, 1).weekday() + 1) % 7
    day = 1 + (transition.weekday - first_weekday) % 7 + (transition.week - 1) * 7
    while day > calendar.monthrange(year, transition.month)[1]:
        day -= 7
    days = datetime.date(year, transition.month, day).toordinal() - _EPOCH_ORDINAL
    return days * 86400 + (transition.minutes - offset) * 60


def _transition(text, device, field):
    rule, dummy, time = text.partition("/")
    month, week, weekday = (int(part) for part in rule[1:].split("."))
    if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
        raise ProvisioningError("bad daylight-saving rule %r in the time zone" % text, device=device, field=field)
    minutes = _minutes(time) if time else 120
    if not -_MAX_TRANSITION_MINUTES <= minutes <= _MAX_TRANSITION_MINUTES:
        raise ProvisioningError("daylight-saving rule %r changes the clock more than 167 hours from midnight" % text,
                                device=device, field=field)
    return Transition(month, week, weekday, minutes)


def zone_search_path():
    """The directories searched for zone files, as ``zoneinfo`` searches them (``zoneinfo.TZPATH``, ``PYTHONTZPATH``)."""
    try:
        import zoneinfo
    except ImportError:
        zoneinfo = None
    if zoneinfo is not None:
        return tuple(zoneinfo.TZPATH)
    env = os.environ.get("PYTHONTZPATH")
    if env is None:
        return _DEFAULT_TZPATH
    # zoneinfo ignores relative entries (with a warning): so do we.
    return tuple(path for path in env.split(os.pathsep) if os.path.isabs(path))


def _tzdata_package_dir():
    """The zone files of the ``tzdata`` Python package, zoneinfo's fallback, or ``None`` without it."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("tzdata")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return os.path.join(os.path.dirname(spec.origin), "zoneinfo")


def is_zone_name(text):
    """Whether ``text`` has the form of an IANA name (checked before any file is looked at)."""
    if not isinstance(text, str) or not 0 < len(text) <= _MAX_ZONE_NAME_CHARS:
        return False
    parts = text.split("/")
    # An absolute path or an empty part gives an empty element; ".." fails the pattern.
    return len(parts) <= _MAX_ZONE_PARTS and all(_ZONE_PART_RE.match(part) for part in parts)


class _TzifError(Exception):
    pass


def read_tzif(data):
    """``(footer, transitions)`` of a TZif file's bytes (RFC 8536), or raise ``_TzifError`` saying why not.

    ``footer`` is the POSIX TZ string, ``transitions`` the version 2 data's
    ``[(UTC seconds, UTC offset in seconds after it)]``.
    """
    if len(data) < _TZIF_HEADER.size or data[:4] != b"TZif":
        raise _TzifError("is not a TZif zone file")
    version = data[4:5]
    if version == b"\0":
        raise _TzifError("is a version 1 TZif file, which has no rule for the current time (a footer)")
    if not b"2" <= version <= b"9":
        raise _TzifError("has an unknown TZif version %r" % version)
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = _TZIF_HEADER.unpack_from(data)[2:]
    # Skip the version 1 data block (32-bit times), then the second header
    # and its block (64-bit times): what follows is "\n<TZ string>\n".
    second = _TZIF_HEADER.size + timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
    if len(data) < second + _TZIF_HEADER.size or data[second:second + 4] != b"TZif":
        raise _TzifError("is truncated or damaged (no second TZif header)")
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = _TZIF_HEADER.unpack_from(data, second)[2:]
    body = second + _TZIF_HEADER.size
    footer = body + timecnt * 9 + typecnt * 6 + charcnt + leapcnt * 12 + isstdcnt + isutcnt
    if len(data) < footer or typecnt == 0:
        raise _TzifError("is truncated or damaged (the data block is short or has no local time type)")
    times = struct.unpack_from(">%dq" % timecnt, data, body)
    indexes = struct.unpack_from(">%dB" % timecnt, data, body + timecnt * 8)
    offsets = [struct.unpack_from(">l", data, body + timecnt * 9 + 6 * index)[0] for index in range(typecnt)]
    if any(index >= typecnt for index in indexes):
        raise _TzifError("is damaged (a transition names a local time type it lacks)")
    rest = data[footer:]
    if len(rest) < 2 or rest[:1] != b"\n" or rest[-1:] != b"\n" or b"\n" in rest[1:-1]:
        raise _TzifError("is truncated or damaged (no footer between two newlines after the data)")
    try:
        text = rest[1:-1].decode("ascii")
    except UnicodeDecodeError:
        raise _TzifError("has a footer that is not ASCII")
    if not text:
        raise _TzifError("has an empty footer: the file gives no rule for times after its last transition")
    return text, [(moment, offsets[index]) for moment, index in zip(times, indexes)]


def _check_footer(zone, transitions, path, device, field):
    """Refuse a footer that is not the rule of the coming two years.

    Where a zone's changes follow no yearly rule (Morocco's and Gaza's
    Ramadan time) tzdata lists them one by one for decades and the footer
    only applies after the last; a phone given the footer would be off by an
    hour part of every year.
    """
    now = time.time()
    horizon = now + _CHECK_SECONDS
    if not transitions or transitions[-1][0] <= now:
        return
    moments = [now] + [moment + delta for moment, dummy in transitions if now < moment <= horizon for delta in (-1, 0)]
    if zone.has_dst:
        for year in range(datetime.date.fromordinal(_EPOCH_ORDINAL + int(now // 86400)).year, 1 + datetime.date.fromordinal(
                _EPOCH_ORDINAL + int(horizon // 86400)).year):
            for rule, offset in ((zone.start, zone.utc_offset), (zone.end, zone.dst_offset)):
                moment = _rule_seconds(year, rule, offset)
                moments += [moment - 1, moment]
    last = transitions[-1][0]
    for moment in moments:
        if not now <= moment <= min(horizon, last):
            continue
        listed = [offset for when, offset in transitions if when <= moment]
        # Before the first transition there is nothing to compare (a zone without one has no "listed" offset).
        if listed and listed[-1] != zone.offset_at(moment) * 60:
            raise ProvisioningError(
                "time zone %s: its changes in the coming two years follow no yearly rule (%s lists them one by one, as "
                "tzdata does for Ramadan time in Morocco and Gaza), so its POSIX rule %r would put the clock off by "
                "%+d minutes on %s UTC; set timezone to a POSIX TZ string you accept for such a zone"
                % (zone.name, path, zone.text, zone.offset_at(moment) - listed[-1] // 60,
                   datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=moment)), device=device, field=field)


#: Files of a zone directory that are no zone: their rule is the host's own
#: setting (``localtime`` links to /etc/localtime, ``posixrules`` is the
#: rule the C library gives POSIX strings without one), or none (``Factory``,
#: "-00", for an image whose zone is not set yet).
_NOT_ZONES = {
    "localtime": "it stands for the host's own clock setting (a link to /etc/localtime), so the rule would depend on "
                 "each provisioning host's configuration",
    "posixrules": "it stands for the host's own clock setting (the rule the C library gives POSIX strings without one), "
                  "so the rule would depend on each provisioning host's configuration",
    "Factory": "it stands for the host's own clock setting not being set yet (-00, no offset)",
}


def _refuse_non_zone(name, device, field):
    """Refuse a name of the zone directory that is not an IANA zone (checked before any file is opened)."""
    parts = name.split("/")
    if name in _NOT_ZONES:
        raise ProvisioningError("%r is not an IANA zone name: %s; give the zone's name (Europe/Berlin)"
                                % (name, _NOT_ZONES[name]), device=device, field=field)
    if parts[0] == "right" and len(parts) > 1:
        # right/ files count leap seconds in their times: their footer is
        # not the rule of a clock that ignores them, as phones' clocks do.
        raise ProvisioningError("%r is not an IANA zone name: the right/ zones count leap seconds, which a phone's "
                                "clock does not; give the name without right/ (%s)" % (name, "/".join(parts[1:])),
                                device=device, field=field)
    if parts[0] == "posix" and len(parts) > 1:
        # Debian's posix/ tree repeats the zones under a second name: one name per zone.
        raise ProvisioningError("%r is not an IANA zone name: posix/ repeats the zones of the database; give the name "
                                "without posix/ (%s)" % (name, "/".join(parts[1:])), device=device, field=field)


def _zone_footer(name, device, field):
    """``(path, POSIX TZ string, transitions)`` of the zone ``name`` (already checked by ``is_zone_name``); cached per name.

    The file must resolve inside the directory it was found in: a link out
    of it (``localtime`` to /etc/localtime) is the host's setting, no zone.
    """
    cached = _ZONE_CACHE.get(name)
    if cached is not None:
        return cached
    _refuse_non_zone(name, device, field)
    directories = list(zone_search_path())
    package = _tzdata_package_dir()
    if package is not None:
        directories.append(package)
    parts = name.split("/")
    for directory in directories:
        path = os.path.join(directory, *parts)
        if not os.path.isfile(path):
            continue
        real = os.path.realpath(path)
        root = os.path.realpath(directory)
        if not real.startswith(root.rstrip(os.sep) + os.sep):
            raise ProvisioningError("time zone %s: %s links to %s, outside %s, so its rule is the host's own setting, "
                                    "not a zone of the database; give the zone's name (Europe/Berlin)"
                                    % (name, path, real, directory), device=device, field=field)
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_TZIF_BYTES + 1)
            if len(data) > MAX_TZIF_BYTES:
                raise _TzifError("is larger than %d bytes, which no zone file is" % MAX_TZIF_BYTES)
            footer, transitions = read_tzif(data)
        except (OSError, _TzifError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ProvisioningError("time zone %s: %s %s; install or update the tzdata package on the host that renders "
                                    "the profiles" % (name, path, reason), device=device, field=field)
        _ZONE_CACHE[name] = (path, footer, transitions)
        return path, footer, transitions
    raise ProvisioningError(
        "%r is not a time zone of the host's time-zone database (searched %s); check the name (Europe/Berlin, "
        "America/Sao_Paulo) or install the tzdata package on the host that renders the profiles"
        % (name, ", ".join(directories) or "no directory: zoneinfo.TZPATH is empty"), device=device, field=field)


def _parse_posix(text, match, device, field, name=None):
    std_name = match.group("std").strip("<>")
    offset = -_minutes(match.group("stdoff"))
    if not -14 * 60 <= offset <= 14 * 60:
        raise ProvisioningError("UTC offset of %r is out of range" % (text,), device=device, field=field)
    dst_name = match.group("dst")
    if dst_name is None:
        return TimeZone(text, std_name, offset, name=name)
    dst_name = dst_name.strip("<>")
    dst_offset = -_minutes(match.group("dstoff")) if match.group("dstoff") else offset + 60
    start = _transition(match.group("start"), device, field)
    end = _transition(match.group("end"), device, field)
    if dst_offset < offset:
        # Negative daylight saving (Europe/Dublin: IST-1GMT0,M10.5.0,M3.5.0/1,
        # winter is "daylight" time). The same clock is a positive one with
        # the names, offsets and rules swapped: each transition time stays in
        # the local time in force before it.
        std_name, offset, dst_name, dst_offset, start, end = dst_name, dst_offset, std_name, offset, end, start
    return TimeZone(text, std_name, offset, dst_name, dst_offset, start, end, name=name)


_EXAMPLES = "an IANA time-zone name such as Europe/Berlin or a POSIX TZ string such as CET-1CEST,M3.5.0,M10.5.0/3"


def parse_tz(text, device=None, field="settings.timezone"):
    """Parse an IANA zone name or a POSIX TZ string, or raise an error naming device and field.

    A name gives the POSIX string of the zone's current rule, read from the
    host's time-zone database; ``TimeZone.text`` is that string.
    """
    if not isinstance(text, str):
        raise ProvisioningError("%r is not a time zone: give %s" % (text, _EXAMPLES), device=device, field=field)
    stripped = text.strip()
    match = _TZ_RE.match(stripped)
    if match is not None and (match.group("dst") is None or match.group("start") is not None):
        # A fleet repeats a few strings on every device: parse each once. Only
        # a string that parsed is kept, so an error still names its device.
        zone = _POSIX_CACHE.get(text)
        if zone is None:
            zone = _parse_posix(text, match, device, field)
            _POSIX_CACHE[text] = zone
        return zone
    if is_zone_name(stripped):
        if stripped in _PARSED_CACHE:
            return _PARSED_CACHE[stripped]
        if match is None or _found(stripped):
            path, footer, transitions = _zone_footer(stripped, device, field)
            footer_match = _TZ_RE.match(footer)
            if footer_match is None or (footer_match.group("dst") is not None and footer_match.group("start") is None):
                raise ProvisioningError(
                    "time zone %s: %s gives the rule %r, which is not a POSIX TZ string of the form this collection reads "
                    "(Mm.w.d rules)%s" % (stripped, path, footer, _julian_hint(footer)), device=device, field=field)
            zone = _parse_posix(footer, footer_match, device, field, name=stripped)
            _check_footer(zone, transitions, path, device, field)
            _PARSED_CACHE[stripped] = zone
            return zone
    if match is not None:
        raise ProvisioningError(
            "%r has daylight saving time without rules; add them, as in CET-1CEST,M3.5.0,M10.5.0/3, or give the zone's "
            "IANA name (America/New_York)" % (text,), device=device, field=field)
    raise ProvisioningError(
        "%r is neither an IANA time-zone name (parts of letters, digits, _, - and + separated by /, such as Europe/Berlin "
        "or Etc/GMT+5; no absolute path, no empty part, no ..) nor a POSIX TZ string such as CET-1CEST,M3.5.0,M10.5.0/3 "
        "or UTC0%s" % (text, _julian_hint(stripped)), device=device, field=field)


def _found(name):
    """Whether a zone file ``name`` exists (``EST5EDT`` is both a name and a POSIX string lacking rules)."""
    try:
        _zone_footer(name, None, None)
    except ProvisioningError:
        return False
    return True


def _julian_hint(text):
    if _JULIAN_RE.search(text):
        return "; Julian-day rules (Jn, n) are not supported: the phones' rule fields take month, week and weekday (Mm.w.d)"
    return ""
