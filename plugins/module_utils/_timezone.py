# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""POSIX TZ strings, the one time-zone notation the ``timezone`` setting takes.

Every vendor spells time zones differently (Grandstream takes a TZ string,
Cisco an offset plus a daylight-saving rule, Panasonic minutes and rule
fields), and every one of them can be computed from a POSIX TZ string such as
``CET-1CEST,M3.5.0,M10.5.0/3``; an IANA name such as ``Europe/Berlin`` cannot,
without a time-zone database on the controller.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError

_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_OFFSET = r"[+-]?\d{1,2}(?::\d{2}){0,2}"
_RULE = r"M\d{1,2}\.\d\.\d(?:/[+-]?\d{1,3}(?::\d{2}){0,2})?"
_TZ_RE = re.compile(
    r"^(?P<std>{n})(?P<stdoff>{o})(?:(?P<dst>{n})(?P<dstoff>{o})?(?:,(?P<start>{r}),(?P<end>{r}))?)?$".format(
        n=_NAME, o=_OFFSET, r=_RULE))


def _minutes(text):
    sign = -1 if text.startswith("-") else 1
    parts = [int(part) for part in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 60 + parts[1] + (1 if parts[2] >= 30 else 0))


class Transition:
    """``Mm.w.d/time``: month 1-12, week 1-5 (5 = last), weekday 0-6 (0 = Sunday), minutes after midnight."""

    def __init__(self, month, week, weekday, minutes):
        self.month = month
        self.week = week
        self.weekday = weekday
        self.minutes = minutes

    def __repr__(self):
        return "Transition(M%d.%d.%d/%d min)" % (self.month, self.week, self.weekday, self.minutes)


class TimeZone:
    """A parsed POSIX TZ string. Offsets are minutes east of UTC (the opposite of POSIX's sign)."""

    def __init__(self, text, std_name, utc_offset, dst_name=None, dst_offset=None, start=None, end=None):
        self.text = text
        self.std_name = std_name
        self.utc_offset = utc_offset
        self.dst_name = dst_name
        self.dst_offset = dst_offset
        self.start = start
        self.end = end

    @property
    def has_dst(self):
        return self.dst_name is not None


def _transition(text, device, field):
    rule, dummy, time = text.partition("/")
    month, week, weekday = (int(part) for part in rule[1:].split("."))
    if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
        raise ProvisioningError("bad daylight-saving rule %r in the time zone" % text, device=device, field=field)
    return Transition(month, week, weekday, _minutes(time) if time else 120)


def parse_tz(text, device=None, field="settings.timezone"):
    """Parse a POSIX TZ string, or raise an error naming device and field."""
    match = _TZ_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ProvisioningError(
            "%r is not a POSIX TZ string such as CET-1CEST,M3.5.0,M10.5.0/3 or UTC0 "
            "(IANA names like Europe/Berlin are not accepted)" % (text,), device=device, field=field)
    offset = -_minutes(match.group("stdoff"))
    if not -14 * 60 <= offset <= 14 * 60:
        raise ProvisioningError("UTC offset of %r is out of range" % (text,), device=device, field=field)
    dst_name = match.group("dst")
    if dst_name is None:
        return TimeZone(text, match.group("std").strip("<>"), offset)
    dst_offset = -_minutes(match.group("dstoff")) if match.group("dstoff") else offset + 60
    if match.group("start") is None:
        raise ProvisioningError(
            "%r has daylight saving time without rules; add them, as in CET-1CEST,M3.5.0,M10.5.0/3" % (text,),
            device=device, field=field)
    return TimeZone(text, match.group("std").strip("<>"), offset, dst_name.strip("<>"), dst_offset,
                    _transition(match.group("start"), device, field), _transition(match.group("end"), device, field))
