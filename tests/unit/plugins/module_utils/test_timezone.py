# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Time zones by IANA name, from this machine's tzdata, through every vendor.

The oracle is Python's own ``zoneinfo`` (its own TZif and POSIX readers):
the UTC offsets the parsed rule gives at many instants of this year and the
next, and one minute either side of every transition, must be the ones
``ZoneInfo(name)`` gives.
"""

from __future__ import annotations

import calendar
import datetime
import os
import re
import struct
import zoneinfo

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _timezone
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._timezone import parse_tz
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_grandstream import pvalues_of
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendors import (
    DEFAULTS,
    fleet_devices,
    with_keys,
)

ZONES = [
    # southern hemisphere
    "America/Sao_Paulo", "Australia/Sydney", "Pacific/Auckland", "America/Santiago", "Africa/Johannesburg",
    "Pacific/Easter",
    # half and quarter hours
    "Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Chatham",
    "America/St_Johns", "Asia/Tehran", "Australia/Eucla",
    # no daylight saving
    "Asia/Tokyo", "UTC", "Etc/GMT-14", "Etc/GMT+5", "Pacific/Kiritimati", "Pacific/Pago_Pago",
    # rules changed recently
    "America/Mexico_City", "Asia/Amman", "Asia/Damascus", "Africa/Cairo", "America/Nuuk", "Europe/Kyiv",
    "America/Asuncion",
    # the usual ones, and odd ones
    "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Jerusalem",
    "America/Havana", "Antarctica/Troll", "Europe/Dublin", "Atlantic/Azores", "EST5EDT",
]

UTC = datetime.timezone.utc
THIS_YEAR = datetime.datetime.now(UTC).year
YEARS = (THIS_YEAR, THIS_YEAR + 1)


# --- an evaluator of the parsed rule, kept apart from the vendors' code -------

def rule_day(year, transition):
    """The date of ``Mm.w.d`` (weekday 0 = Sunday, week 5 = last) in ``year``."""
    first = datetime.date(year, transition.month, 1)
    day = 1 + (transition.weekday - (first.weekday() + 1) % 7) % 7 + (transition.week - 1) * 7
    while day > calendar.monthrange(year, transition.month)[1]:
        day -= 7
    return datetime.date(year, transition.month, day)


def transitions_utc(zone, year):
    """``(start, end)`` of daylight saving in ``year`` as naive UTC datetimes.

    The start is given in standard time, the end in daylight time (POSIX).
    """
    start = (datetime.datetime.combine(rule_day(year, zone.start), datetime.time())
             + datetime.timedelta(minutes=zone.start.minutes - zone.utc_offset))
    end = (datetime.datetime.combine(rule_day(year, zone.end), datetime.time())
           + datetime.timedelta(minutes=zone.end.minutes - zone.dst_offset))
    return start, end


def offset_at(zone, instant):
    """Minutes east of UTC the parsed rule gives at ``instant`` (naive UTC)."""
    if not zone.has_dst:
        return zone.utc_offset
    start, end = transitions_utc(zone, instant.year)
    in_dst = start <= instant < end if start < end else not end <= instant < start
    return zone.dst_offset if in_dst else zone.utc_offset


def oracle(name, instant):
    """Minutes east of UTC ``zoneinfo`` gives at ``instant`` (naive UTC)."""
    return int(instant.replace(tzinfo=UTC).astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds()) // 60


def sample_instants():
    for year in YEARS:
        for month in range(1, 13):
            for day in (1, 8, 15, 22):
                for hour in (0, 12):
                    yield datetime.datetime(year, month, day, hour)


def zone_file(name):
    for directory in zoneinfo.TZPATH:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise AssertionError("no zone file for %s" % name)


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(_timezone, "_ZONE_CACHE", {})
    monkeypatch.setattr(_timezone, "_PARSED_CACHE", {})


# --- the rule of each zone ---------------------------------------------------

@pytest.mark.parametrize("name", ZONES)
def test_name_gives_the_rule_zoneinfo_applies(name):
    zone = parse_tz(name, device="desk-1")
    assert zone.name == name
    # The POSIX string is the file's footer: the text between its last two newlines.
    with open(zone_file(name), "rb") as handle:
        assert zone.text == handle.read().rstrip(b"\n").rsplit(b"\n", 1)[1].decode("ascii")
    assert zone.label == "%s (%s)" % (name, zone.text)
    for instant in sample_instants():
        assert offset_at(zone, instant) == oracle(name, instant), (name, instant)
    if zone.has_dst:
        assert zone.dst_offset > zone.utc_offset
        for year in YEARS:
            for change in transitions_utc(zone, year):
                before, after = change - datetime.timedelta(minutes=1), change + datetime.timedelta(minutes=1)
                # The clock really changes there, and the rule agrees on both sides.
                assert oracle(name, before) != oracle(name, after), (name, change)
                assert (offset_at(zone, before), offset_at(zone, after)) == (oracle(name, before), oracle(name, after))
    else:
        assert len(set(oracle(name, instant) for instant in sample_instants())) == 1


@pytest.mark.parametrize("name, utc_offset, dst_offset, start, end", [
    ("Europe/Berlin", 60, 120, (3, 5, 0, 120), (10, 5, 0, 180)),
    ("Australia/Sydney", 600, 660, (10, 1, 0, 120), (4, 1, 0, 180)),
    ("Australia/Lord_Howe", 630, 660, (10, 1, 0, 120), (4, 1, 0, 120)),
    ("Pacific/Chatham", 765, 825, (9, 5, 0, 165), (4, 1, 0, 225)),
    ("America/Nuuk", -120, -60, (3, 5, 0, -60), (10, 5, 0, 0)),
    ("Asia/Jerusalem", 120, 180, (3, 4, 4, 26 * 60), (10, 5, 0, 120)),
    ("Africa/Cairo", 120, 180, (4, 5, 5, 0), (10, 5, 4, 24 * 60)),
    ("America/Santiago", -240, -180, (9, 1, 6, 24 * 60), (4, 1, 6, 24 * 60)),
    # Negative daylight saving (IST-1GMT0,M10.5.0,M3.5.0/1) read as the same clock with positive saving.
    ("Europe/Dublin", 0, 60, (3, 5, 0, 60), (10, 5, 0, 120)),
    ("Asia/Kolkata", 330, None, None, None),
    ("Asia/Kathmandu", 345, None, None, None),
    ("America/Mexico_City", -360, None, None, None),
    ("Asia/Amman", 180, None, None, None),
    ("Asia/Damascus", 180, None, None, None),
    ("Etc/GMT-14", 840, None, None, None),
    ("Etc/GMT+5", -300, None, None, None),
    ("UTC", 0, None, None, None),
])
def test_rule_fields(name, utc_offset, dst_offset, start, end):
    zone = parse_tz(name)
    assert (zone.utc_offset, zone.dst_offset) == (utc_offset, dst_offset)
    rules = [(rule.month, rule.week, rule.weekday, rule.minutes) if rule else None for rule in (zone.start, zone.end)]
    assert rules == [start, end]


def test_a_posix_string_is_parsed_once_and_a_bad_one_names_every_device(monkeypatch):
    calls = []
    parse = _timezone._parse_posix
    monkeypatch.setattr(_timezone, "_POSIX_CACHE", {})
    monkeypatch.setattr(_timezone, "_parse_posix", lambda *args, **kwargs: calls.append(args[0]) or parse(*args, **kwargs))
    first = parse_tz("CET-1CEST,M3.5.0,M10.5.0/3", device="a")
    assert parse_tz("CET-1CEST,M3.5.0,M10.5.0/3", device="b") is first
    assert calls == ["CET-1CEST,M3.5.0,M10.5.0/3"]
    # Month 13 matches the form but not the rules: never kept, each device told.
    for device in ("c", "d"):
        with pytest.raises(ProvisioningError) as info:
            parse_tz("CET-1CEST,M13.5.0,M10.5.0/3", device=device)
        assert info.value.device == device
    assert len(calls) == 3


def test_posix_strings_still_work_and_have_no_name():
    zone = parse_tz("CET-1CEST,M3.5.0,M10.5.0/3")
    assert (zone.name, zone.text, zone.label) == (None, "CET-1CEST,M3.5.0,M10.5.0/3", "CET-1CEST,M3.5.0,M10.5.0/3")


# --- names checked before the file system, files checked before use ---------

@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/localtime", "Europe//Berlin", "Europe/Berlin/", "Europe/../etc",
                                  "Europe/Ber lin", "Europe/Berlin\x00", "./UTC", "a/b/c/d", "zone.tab", "-UTC"])
def test_malformed_names_are_refused_without_opening_a_file(name, monkeypatch):
    opened = []
    monkeypatch.setattr(_timezone, "open", lambda *args, **kwargs: opened.append(args), raising=False)
    assert not _timezone.is_zone_name(name)
    with pytest.raises(ProvisioningError) as excinfo:
        parse_tz(name, device="desk-1")
    assert str(excinfo.value).startswith("device desk-1, field settings.timezone: ")
    assert "neither an IANA time-zone name" in str(excinfo.value)
    assert opened == []


@pytest.mark.parametrize("timezone, message", [
    ("../etc/passwd", "is neither an IANA time-zone name"),
    ("/etc/localtime", "is neither an IANA time-zone name"),
    ("Europe//Berlin", "is neither an IANA time-zone name"),
    ("Nowhere/City", "'Nowhere/City' is not a time zone of the host's time-zone database"),
    (5, "must be a string"),
    (["Europe/Berlin"], "must be a string"),
])
def test_bad_names_in_the_inventory_name_device_and_field(timezone, message):
    raw = [dict(fleet_devices()[0], settings={"timezone": timezone})]
    with pytest.raises(ProvisioningError) as excinfo:
        load_fleet(raw, DEFAULTS)
    assert str(excinfo.value).startswith("device gs, field settings.timezone: ")
    assert message in str(excinfo.value)


@pytest.mark.parametrize("name", ["Africa/Casablanca", "Africa/El_Aaiun"])
def test_a_footer_the_listed_transitions_contradict_is_refused(name):
    # Morocco's Ramadan time: tzdata lists each change until 2087, the footer
    # (<+01>-1, no DST) only holds after that; zoneinfo shows the hour off.
    assert len(set(oracle(name, instant) for instant in sample_instants())) == 2
    with pytest.raises(ProvisioningError) as excinfo:
        parse_tz(name, device="desk-1")
    message = str(excinfo.value)
    assert message.startswith("device desk-1, field settings.timezone: time zone %s: " % name)
    assert "follow no yearly rule" in message and "'<+01>-1' would put the clock off by" in message


def test_unknown_zone_mentions_tzdata():
    with pytest.raises(ProvisioningError, match="install the tzdata package"):
        parse_tz("Nowhere/City", device="desk-1")


def tzif(version=b"2", footer=b"\nXYZ-3\n", magic=b"TZif"):
    """A minimal TZif file: one local time type, no transitions, both data blocks and ``footer``."""
    header = struct.pack(">4sc15x6L", magic, version, 0, 0, 0, 0, 1, 4)
    block = struct.pack(">lBB", 10800, 0, 0) + b"XYZ\0"
    return header + block + header + block + footer


@pytest.fixture(name="zone_dir")
def zone_dir_fixture(tmp_path, monkeypatch):
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(tmp_path),))
    monkeypatch.setattr(_timezone, "_tzdata_package_dir", lambda: None)
    (tmp_path / "Test").mkdir()
    return tmp_path


def test_a_minimal_file_is_read(zone_dir):
    (zone_dir / "Test" / "Zone").write_bytes(tzif())
    zone = parse_tz("Test/Zone", device="desk-1")
    assert (zone.text, zone.utc_offset, zone.has_dst) == ("XYZ-3", 180, False)


@pytest.mark.parametrize("data, reason", [
    (tzif(version=b"\0"), "is a version 1 TZif file"),
    (tzif(footer=b"\n\n"), "has an empty footer"),
    (tzif(footer=b""), "no footer"),
    (tzif(footer=b"\nXYZ-3"), "no footer"),
    (tzif(magic=b"TZjf"), "is not a TZif zone file"),
    (b"Europe/Berlin\n", "is not a TZif zone file"),
    (tzif(footer=b"\nnot a rule\n"), "gives the rule 'not a rule', which is not a POSIX TZ string"),
    (tzif(footer=b"\nEST5EDT,J60,J300\n"), "Julian-day rules (Jn, n) are not supported"),
    (tzif(footer=b"\nEST5EDT,60,300\n"), "Julian-day rules (Jn, n) are not supported"),
    (tzif(footer=b"\nXYZ-3\n" + b"\0" * _timezone.MAX_TZIF_BYTES), "is larger than"),
])
def test_broken_files_are_errors_naming_device_and_field(zone_dir, data, reason):
    (zone_dir / "Test" / "Zone").write_bytes(data)
    with pytest.raises(ProvisioningError) as excinfo:
        parse_tz("Test/Zone", device="desk-1")
    message = str(excinfo.value)
    assert message.startswith("device desk-1, field settings.timezone: ")
    assert reason in message
    if "Julian" not in reason and "POSIX" not in reason:
        assert "install or update the tzdata package" in message


def test_bounded_read(zone_dir, monkeypatch):
    reads = []
    real_open = open

    class Recorder:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self.handle.close()

        def read(self, size=-1):
            reads.append(size)
            return self.handle.read(size)

    monkeypatch.setattr(_timezone, "open", lambda path, mode: Recorder(real_open(path, mode)), raising=False)
    (zone_dir / "Test" / "Zone").write_bytes(tzif())
    parse_tz("Test/Zone")
    assert reads == [_timezone.MAX_TZIF_BYTES + 1]


def test_names_are_cached_within_a_run(zone_dir):
    path = zone_dir / "Test" / "Zone"
    path.write_bytes(tzif())
    assert parse_tz("Test/Zone").text == "XYZ-3"
    path.unlink()
    assert parse_tz("Test/Zone").text == "XYZ-3"
    # The file is read once per name, even when the parsed zone is asked for again.
    _timezone._PARSED_CACHE.clear()
    assert parse_tz("Test/Zone").text == "XYZ-3"


def test_a_checked_name_is_not_checked_again(monkeypatch):
    first = parse_tz("Europe/Berlin", device="desk-1")

    def fail(*args):
        raise AssertionError("read or checked again")

    monkeypatch.setattr(_timezone, "_zone_footer", fail)
    monkeypatch.setattr(_timezone, "_check_footer", fail)
    assert parse_tz("Europe/Berlin", device="desk-2") is first


def test_tzdata_package_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(zoneinfo, "TZPATH", ())
    package = tmp_path / "tzdata"
    (package / "zoneinfo" / "Test").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "zoneinfo" / "Test" / "Zone").write_bytes(tzif(footer=b"\n<+0330>-3:30\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "tzdata", raising=False)
    assert parse_tz("Test/Zone").utc_offset == 210
    with pytest.raises(ProvisioningError, match=re.escape(str(package / "zoneinfo"))):
        parse_tz("Nowhere/City", device="desk-1")


def test_without_zoneinfo_pythontzpath_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "zoneinfo", None)
    monkeypatch.setenv("PYTHONTZPATH", os.pathsep.join(["relative/ignored", str(tmp_path)]))
    assert _timezone.zone_search_path() == (str(tmp_path),)
    monkeypatch.delenv("PYTHONTZPATH")
    assert _timezone.zone_search_path() == (
        "/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")


def test_zoneinfo_search_path_is_followed(tmp_path, monkeypatch):
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(tmp_path),))
    monkeypatch.setattr(_timezone, "_tzdata_package_dir", lambda: None)
    with pytest.raises(ProvisioningError, match="not a time zone of the host's"):
        parse_tz("Europe/Berlin", device="desk-1")


@pytest.mark.parametrize("name, reason", [
    ("localtime", "is not an IANA zone name: it stands for the host's own clock setting (a link to /etc/localtime)"),
    ("posixrules", "is not an IANA zone name: it stands for the host's own clock setting"),
    ("Factory", "is not an IANA zone name: it stands for the host's own clock setting not being set yet"),
    ("right/Europe/Berlin", "the right/ zones count leap seconds, which a phone's clock does not; give the name without "
                            "right/ (Europe/Berlin)"),
    ("posix/Europe/Berlin", "give the name without posix/ (Europe/Berlin)"),
])
def test_host_dependent_and_duplicate_names_are_refused(name, reason, monkeypatch):
    opened = []
    monkeypatch.setattr(_timezone, "open", lambda *args, **kwargs: opened.append(args), raising=False)
    with pytest.raises(ProvisioningError) as excinfo:
        parse_tz(name, device="desk-1")
    message = str(excinfo.value)
    assert message.startswith("device desk-1, field settings.timezone: %r " % name)
    assert reason in message
    assert opened == []


def test_a_zone_file_that_links_out_of_its_directory_is_refused(zone_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "clock"
    outside.write_bytes(tzif())
    (zone_dir / "Test" / "Zone").symlink_to(outside)
    (zone_dir / "Test" / "Inside").write_bytes(tzif())
    (zone_dir / "Test" / "Alias").symlink_to(zone_dir / "Test" / "Inside")
    with pytest.raises(ProvisioningError) as excinfo:
        parse_tz("Test/Zone", device="desk-1")
    message = str(excinfo.value)
    assert message.startswith("device desk-1, field settings.timezone: time zone Test/Zone: ")
    assert "links to %s, outside %s" % (outside, zone_dir) in message
    # A link inside the directory (Cuba -> America/Havana) is a zone's other name.
    assert parse_tz("Test/Alias").text == "XYZ-3"


# --- every zone through every vendor ---------------------------------------

VENDOR_DEVICES = ["gs", "gsold", "spa", "mpp", "pana", "yealink", "poly", "snom", "fanvil"]


def vendor_device(name):
    if name == "gsold":
        # Grandstream's legacy family: offset and rule fields, not a TZ string.
        return {"name": "gsold", "mac": "00:0b:82:27:26:c8", "model": "GXP2000",
                "settings": {"provisioning_url": "tftp://192.0.2.10/gs"},
                "lines": [{"extension": "209", "password": "gs-Secret-209"}]}
    raw = [item for item in fleet_devices() if item["name"] == name][0]
    settings = dict(raw.get("settings", {}))
    settings.pop("timezone", None)
    settings.pop("snom_timezone", None)
    raw["settings"] = settings
    return raw


def render_zone(name, timezone):
    """The time-zone fields one device's served files carry, by their native names."""
    defaults = dict(DEFAULTS, encrypt_profiles=False, allow_plain_credentials=True)
    del defaults["timezone"]
    raw = vendor_device(name)
    raw["settings"]["timezone"] = timezone
    dummy, fleet = load_fleet([raw], defaults)
    inventory, fleet = load_fleet(with_keys([raw], fleet), defaults)
    values = {}
    for item in render_fleet(inventory, fleet):
        if name.startswith("gs"):
            if item.device == name:
                pvalues = pvalues_of(item)
                if "P64" in pvalues:
                    values.update(pvalues)
            continue
        text = (item.plaintext or item.content).decode("utf-8", "replace")
        for pattern in (r"<(Time_Zone|Daylight_Saving_Time_\w+)>([^<]*)<",          # Cisco
                        r"^(TIME_ZONE|DST_\w+)=\"([^\"]*)\"",                         # Panasonic
                        r"^(local_time\.\w+) = (.*)$",                               # Yealink
                        r"(tcpIpApp\.sntp\.(?:gmtOffset|daylightSavings)[\w.]*)=\"([^\"]*)\"",  # Poly
                        r"<(timezone) perm=\"R\">([^<]*)<",                          # Snom
                        r"<(TimeZone|TimeZoneName|EnableDST)>([^<]*)<"):             # Fanvil
            values.update(re.findall(pattern, text, re.M))
    return values


def zone_facts(name):
    """Standard offset, daylight saving (minutes) and whether the zone has it, from zoneinfo alone."""
    offsets = set(oracle(name, instant) for instant in sample_instants())
    return min(offsets), max(offsets) - min(offsets), len(offsets) > 1


#: Per vendor: the reasons it may refuse a zone (its mapping's documented limits).
REFUSALS = {
    "gs": ["P246 takes at most 64 characters"],
    "gsold": ["legacy daylight-saving rule takes transition times from 0:00 to 23:59"],
    "spa": ["cannot be written as a Cisco Daylight_Saving_Time_Rule", "not a multiple of 15 minutes"],
    "mpp": ["cannot be written as a Cisco Daylight_Saving_Time_Rule", "not a multiple of 15 minutes"],
    "pana": ["the phones take 00:00 to 23:59", "outside the phones' range -720 to +780"],
    "yealink": ["local_time.time_zone takes whole hours", "Yealink phones take whole hours 0 to 23",
                "outside local_time.time_zone's"],
    "poly": ["Poly phones shift by one hour", "Poly phones take an hour (0-23)"],
    "fanvil": ["has daylight saving time; the Fanvil DST codes are unsure", "Time_Zone_Name of whole hours only",
               "is outside -12 to +12"],
}


def mapped_standard_offset(vendor, values):
    """The standard offset in minutes a vendor's rendered fields give, and whether DST is on."""
    if vendor == "gs":
        # The TZ string itself, never the zone name the inventory gave.
        assert re.match(r"^[<A-Za-z]", values["P246"]) and "/" not in values["P246"].split(",")[0], values["P246"]
        zone = parse_tz(values["P246"])
        return zone.utc_offset, zone.dst_offset - zone.utc_offset if zone.has_dst else 0
    if vendor == "gsold":
        dst = int(values["P246"].rsplit(";", 1)[1]) if values["P75"] == "1" else 0
        return int(values["P64"]) - 720, dst
    if vendor in ("spa", "mpp"):
        match = re.match(r"^GMT(?:([+-])(\d\d):(\d\d))?$", values["Time_Zone"])
        offset = 0 if match.group(1) is None else int("%s1" % match.group(1)) * (int(match.group(2)) * 60 + int(match.group(3)))
        save = re.search(r"save=(\d+)(?::(\d\d))?", values["Daylight_Saving_Time_Rule"])
        return offset, int(save.group(1)) * 60 + int(save.group(2) or 0) if save else 0
    if vendor == "pana":
        return int(values["TIME_ZONE"]), int(values["DST_OFFSET"]) if values["DST_ENABLE"] == "Y" else 0
    if vendor == "yealink":
        return int(values["local_time.time_zone"]) * 60, (
            int(values["local_time.offset_time"]) if values["local_time.summer_time"] == "1" else 0)
    if vendor == "poly":
        return int(values["tcpIpApp.sntp.gmtOffset"]) // 60, 60 if values["tcpIpApp.sntp.daylightSavings.enable"] == "1" else 0
    if vendor == "fanvil":
        assert values["EnableDST"] == "0"
        return int(values["TimeZone"]) * 15, 0
    raise AssertionError(vendor)


@pytest.mark.parametrize("name", ZONES)
def test_every_vendor_maps_the_zone_or_refuses_it_clearly(name):
    standard, saving, has_dst = zone_facts(name)
    outcomes = {}
    for vendor in VENDOR_DEVICES:
        try:
            values = render_zone(vendor, name)
        except ProvisioningError as exc:
            message = str(exc)
            assert message.startswith("device %s, field settings.timezone: " % vendor), message
            assert any(reason in message for reason in REFUSALS[vendor]), message
            outcomes[vendor] = "refused"
            continue
        if vendor == "snom":
            # Snom's codes cannot be derived from a zone: reported as not carried, nothing written.
            assert values == {}, values
            outcomes[vendor] = "not carried"
            continue
        assert mapped_standard_offset(vendor, values) == (standard, saving), (vendor, values)
        outcomes[vendor] = "mapped"
    # Phones taking a TZ string take every zone; Snom takes none without snom_timezone.
    assert outcomes["gs"] == "mapped" and outcomes["snom"] == "not carried"
    assert outcomes["fanvil"] == ("refused" if has_dst or standard % 60 or abs(standard) > 12 * 60 else "mapped")
    assert outcomes["spa"] == outcomes["mpp"]


# --- exact native fields, a few per vendor ---------------------------------

@pytest.mark.parametrize("vendor, name, expected", [
    ("gs", "Europe/Berlin", {"P64": "customize", "P246": "CET-1CEST,M3.5.0,M10.5.0/3", "P143": "0"}),
    ("gs", "Asia/Kolkata", {"P64": "customize", "P246": "IST-5:30"}),
    ("gs", "America/Nuuk", {"P246": "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"}),
    ("gsold", "Europe/Berlin", {"P64": "780", "P75": "1", "P246": "3,-1,7,2,0;10,-1,7,3,0;60"}),
    ("gsold", "Australia/Sydney", {"P64": "1320", "P75": "1", "P246": "10,1,7,2,0;4,1,7,3,0;60"}),
    ("gsold", "Asia/Tokyo", {"P64": "1260", "P75": "0"}),
    ("spa", "Europe/Berlin", {"Time_Zone": "GMT+01:00", "Daylight_Saving_Time_Enable": "Yes",
                              "Daylight_Saving_Time_Rule": "start=3/-1/7/2;end=10/-1/7/3;save=1"}),
    ("mpp", "Australia/Sydney", {"Time_Zone": "GMT+10:00", "Daylight_Saving_Time_Enable": "Yes",
                                 "Daylight_Saving_Time_Rule": "start=10/1/7/2;end=4/1/7/3;save=1"}),
    ("mpp", "Australia/Lord_Howe", {"Time_Zone": "GMT+10:30",
                                    "Daylight_Saving_Time_Rule": "start=10/1/7/2;end=4/1/7/2;save=0:30"}),
    ("spa", "America/St_Johns", {"Time_Zone": "GMT-03:30",
                                 "Daylight_Saving_Time_Rule": "start=3/8/7/2;end=11/1/7/2;save=1"}),
    ("spa", "Asia/Kathmandu", {"Time_Zone": "GMT+05:45", "Daylight_Saving_Time_Enable": "No",
                               "Daylight_Saving_Time_Rule": ""}),
    ("mpp", "Europe/Dublin", {"Time_Zone": "GMT", "Daylight_Saving_Time_Rule": "start=3/-1/7/1;end=10/-1/7/2;save=1"}),
    ("pana", "Europe/Berlin", {"TIME_ZONE": "60", "DST_ENABLE": "Y", "DST_OFFSET": "60", "DST_START_MONTH": "3",
                               "DST_START_ORDINAL_DAY": "5", "DST_START_DAY_OF_WEEK": "0", "DST_START_TIME": "120",
                               "DST_STOP_MONTH": "10", "DST_STOP_ORDINAL_DAY": "5", "DST_STOP_DAY_OF_WEEK": "0",
                               "DST_STOP_TIME": "180"}),
    ("pana", "America/Sao_Paulo", {"TIME_ZONE": "-180", "DST_ENABLE": "N"}),
    ("pana", "Pacific/Chatham", {"TIME_ZONE": "765", "DST_OFFSET": "60", "DST_START_MONTH": "9",
                                 "DST_START_TIME": "165", "DST_STOP_MONTH": "4", "DST_STOP_TIME": "225"}),
    ("pana", "Australia/Lord_Howe", {"TIME_ZONE": "630", "DST_OFFSET": "30"}),
    ("yealink", "America/New_York", {"local_time.time_zone": "-5", "local_time.summer_time": "1",
                                     "local_time.dst_time_type": "1", "local_time.start_time": "3/2/7/2",
                                     "local_time.end_time": "11/1/7/2", "local_time.offset_time": "60"}),
    ("yealink", "Pacific/Auckland", {"local_time.time_zone": "+12", "local_time.start_time": "9/5/7/2",
                                     "local_time.end_time": "4/1/7/3"}),
    ("yealink", "Asia/Tokyo", {"local_time.time_zone": "+9", "local_time.summer_time": "0"}),
    ("poly", "Pacific/Auckland", {"tcpIpApp.sntp.gmtOffset": "43200", "tcpIpApp.sntp.daylightSavings.enable": "1",
                                  "tcpIpApp.sntp.daylightSavings.start.month": "9",
                                  "tcpIpApp.sntp.daylightSavings.start.dayOfWeek.lastInMonth": "1",
                                  "tcpIpApp.sntp.daylightSavings.start.time": "2",
                                  "tcpIpApp.sntp.daylightSavings.stop.month": "4",
                                  "tcpIpApp.sntp.daylightSavings.stop.date": "1",
                                  "tcpIpApp.sntp.daylightSavings.stop.time": "3"}),
    ("poly", "Asia/Kolkata", {"tcpIpApp.sntp.gmtOffset": "19800", "tcpIpApp.sntp.daylightSavings.enable": "0"}),
    ("poly", "America/Los_Angeles", {"tcpIpApp.sntp.gmtOffset": "-28800",
                                     "tcpIpApp.sntp.daylightSavings.start.date": "8",
                                     "tcpIpApp.sntp.daylightSavings.start.dayOfWeek": "1"}),
    ("fanvil", "Asia/Tokyo", {"TimeZone": "36", "TimeZoneName": "UTC+9", "EnableDST": "0"}),
    ("fanvil", "America/Sao_Paulo", {"TimeZone": "-12", "TimeZoneName": "UTC-03", "EnableDST": "0"}),
    ("fanvil", "UTC", {"TimeZone": "0", "TimeZoneName": "UCT", "EnableDST": "0"}),
    ("fanvil", "Etc/GMT-14", None),  # outside Fanvil's -12..+12 hours
])
def test_native_fields(vendor, name, expected):
    if expected is None:
        with pytest.raises(ProvisioningError, match="field settings.timezone: UTC offset"):
            render_zone(vendor, name)
        return
    values = render_zone(vendor, name)
    assert dict((key, values.get(key)) for key in expected) == expected


@pytest.mark.parametrize("vendor, name, reason", [
    ("gsold", "America/Nuuk", "legacy daylight-saving rule takes transition times from 0:00 to 23:59"),
    ("spa", "Asia/Jerusalem", "1560 minutes past midnight cannot be written as a Cisco"),
    ("mpp", "Africa/Cairo", "1440 minutes past midnight"),
    ("pana", "America/Santiago", "daylight-saving change at minute 1440"),
    ("yealink", "Asia/Kolkata", "UTC offset of +330 minutes; local_time.time_zone takes whole hours"),
    ("yealink", "America/Nuuk", "at minute -60; Yealink phones take whole hours 0 to 23"),
    ("poly", "Australia/Lord_Howe", "'Australia/Lord_Howe (<+1030>-10:30<+11>-11,M10.1.0,M4.1.0)' shifts by 30 minutes"),
    ("poly", "Pacific/Chatham", "not a whole hour of the day"),
    # Fanvil: zones with DST and offsets off the hour stay refused (Time_Zone is in quarter hours,
    # but the sources give Time_Zone_Name for whole hours only).
    ("fanvil", "Europe/Berlin", "'Europe/Berlin (CET-1CEST,M3.5.0,M10.5.0/3)' has daylight saving time"),
    ("fanvil", "Asia/Kolkata", "UTC offset of +330 minutes; the sources give the Time_Zone_Name of whole hours only"),
])
def test_refusals_name_device_and_field(vendor, name, reason):
    with pytest.raises(ProvisioningError) as excinfo:
        render_zone(vendor, name)
    assert str(excinfo.value).startswith("device %s, field settings.timezone: " % vendor)
    assert reason in str(excinfo.value)


def test_snom_takes_its_own_code_next_to_a_zone_name():
    raw = vendor_device("snom")
    raw["settings"]["snom_timezone"] = "GER+1"
    defaults = dict(DEFAULTS, timezone="Europe/Berlin", encrypt_profiles=False, allow_plain_credentials=True)
    inventory, fleet = load_fleet([raw], defaults)
    assert inventory.warnings() == []
    files = render_fleet(inventory, fleet)
    assert any(b'<timezone perm="R">GER+1</timezone>' in item.content for item in files)
    # Without it the zone name is reported as not carried, and no timezone written.
    del raw["settings"]["snom_timezone"]
    inventory, fleet = load_fleet([raw], defaults)
    assert [warning.split(":")[0] for warning in inventory.warnings()] == ["1 snom device(s) do not get settings.timezone"]
    assert not any(b"<timezone" in item.content for item in render_fleet(inventory, fleet))
