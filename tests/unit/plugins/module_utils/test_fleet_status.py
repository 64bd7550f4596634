# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet status from real rendered roots, their manifests and real (rotated, gzip) log files."""

from __future__ import annotations

import gzip
import json
import os
import time

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet_status import (
    MAX_UNKNOWN_PATHS,
    _Attributor,
    _Reader,
    fetch_is_current,
    models_agree,
    read_inventory_file,
    run,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run as render
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import manifest_path_for
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import MASK
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_phone_profiles import (
    DEFAULTS,
    SIP_PASSWORDS,
    devices,
    store_keys,
)

GS_UA = "Grandstream Model HW GXP2170 SW 1.0.11.16 DevId 000b82123456"
PANA_UA = "Panasonic_KX-UTG300/01.133 (0080f0c8c381)"
MPP_UA = "Cisco/ATA192-MPP-12-0-1 (00562b043615)"
POLY_UA = "FileTransport PolycomVVX-VVX_450-UA/6.4.6.0123 Type/Application"


def iso(moment):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(moment))


def access(path, when, status=200, sent=0, agent="", client="10.99.20.105", scheme="http"):
    return json.dumps({"time": iso(when), "remote_addr": client, "scheme": scheme, "path": "/" + path,
                       "status": status, "bytes": sent, "user_agent": agent, "remote_user": "",
                       "ssl_client_verify": "NONE", "client_mac": "", "device_auth": ""})


def with_fields(line, **fields):
    """An access log line with other values of the role's fields (device_auth, client_mac...)."""
    return json.dumps(dict(json.loads(line), **fields))


def utc(moment):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def tftp(path, when, client="10.99.20.106"):
    return "%s prov-1 in.tftpd[812]: RRQ from %s filename %s" % (iso(when), client, path)


@pytest.fixture(name="fleet")
def fleet_fixture(tmp_path):
    """Four real devices rendered into a root by ``phone_profiles``, with bootstrap windows open."""
    root, state, logs = tmp_path / "root", tmp_path / "state", tmp_path / "logs"
    logs.mkdir()
    device_list = devices()
    render({"devices": device_list, "defaults": dict(DEFAULTS), "keys": store_keys(device_list),
            "roots": [str(root)], "state_dir": str(state), "bootstrap_serve": "window"}, now=int(time.time()))
    written = time.time()
    params = {"devices": device_list, "defaults": dict(DEFAULTS), "roots": [str(root)], "state_dir": str(state),
              "http_logs": [str(logs / "access.log")], "tftp_logs": [str(logs / "syslog")], "host": "prov-1"}
    return params, root, logs, written


def size(root, path):
    return os.path.getsize(os.path.join(str(root), path))


def gpp_b_path(root, model):
    """The Cisco profile of ``model`` under its secret ``profile/<GPP_B>/`` directory."""
    for directory in os.listdir(os.path.join(str(root), "profile")):
        if os.path.exists(os.path.join(str(root), "profile", directory, model)):
            return "profile/%s/%s" % (directory, model)
    raise AssertionError("no profile of %s" % model)


def write(path, lines, compress=False):
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    if compress:
        with gzip.open(str(path), "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


def status(params, now, warnings=None):
    return run(params, (warnings if warnings is not None else []).append, now=now)


def by_label(result):
    return dict((entry["device"], entry) for entry in result["devices"])


def test_every_state_from_real_files(fleet):
    params, root, logs, written = fleet
    now = written + 3600
    spa_profile = gpp_b_path(root, "spa2102.cfg")
    write(logs / "access.log", [
        # gs got its profile whole after it was written: current.
        access("cfg000b82123456.xml", written + 60, sent=size(root, "cfg000b82123456.xml"), agent=GS_UA),
        # spa got a partial transfer of its profile: outdated.
        access(spa_profile, written + 70, sent=size(root, spa_profile) - 1, client="10.99.20.107"),
        # mpp's last contact is ten days old: stale.
        access("00562b043615.xml", written - 10 * 86400, sent=size(root, "00562b043615.xml"), agent=MPP_UA),
    ])
    result = status(params, now)
    devices_ = by_label(result)
    assert result["counts"] == {"current": 1, "outdated": 1, "stale": 1, "never_seen": 1, "unknown": 0}
    assert [entry["device"] for entry in result["devices"]] == sorted(devices_)
    gs = devices_["gs"]
    assert gs["state"] == "current" and gs["current"] is True and gs["mismatch"] == []
    assert gs["last_fetch"] == {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(written + 60)),
                                "host": "prov-1", "client": "10.99.20.105", "scheme": "http",
                                "path": "cfg000b82123456.xml", "status": 200, "user_agent": GS_UA,
                                "authenticated": False}
    assert gs["reported"] == {"vendor": "grandstream", "model": "GXP2170", "firmware": "1.0.11.16",
                              "mac": "000b82123456"}
    assert gs["vendor"] == "grandstream" and gs["model"] == "GXP2170" and gs["mac"] == "000b82123456"
    assert 0.03 < gs["days_since_contact"] < 0.05
    assert devices_["spa"]["state"] == "outdated" and devices_["spa"]["current"] is False
    assert devices_["mpp"]["state"] == "stale" and 10.0 < devices_["mpp"]["days_since_contact"] < 10.1
    assert devices_["mpp"]["reported"] == {"vendor": "cisco_mpp", "model": "ATA192-MPP", "firmware": "12-0-1",
                                           "mac": "00562b043615"}
    pana = devices_["pana"]
    assert pana["state"] == "never_seen" and pana["last_fetch"] is None and pana["days_since_contact"] is None
    assert pana["reported"] == {"vendor": None, "model": None, "firmware": None, "mac": None}
    assert result["hosts"] == ["prov-1"] and result["generated"].endswith("Z")


def test_stale_days_decides_stale(fleet):
    params, root, logs, written = fleet
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 1, sent=size(root, "cfg000b82123456.xml"))])
    assert by_label(status(dict(params, stale_days=1), written + 2 * 86400))["gs"]["state"] == "stale"
    assert by_label(status(dict(params, stale_days=3), written + 2 * 86400))["gs"]["state"] == "current"
    with pytest.raises(ProvisioningError) as error:
        status(dict(params, stale_days=0), written)
    assert error.value.field == "stale_days"


def test_what_current_compares(fleet):
    params, root, logs, written = fleet
    full = size(root, "cfg000b82123456.xml")
    cases = [
        (access("cfg000b82123456.xml", written + 5, status=304), True),
        (access("cfg000b82123456.xml", written + 5, status=206, sent=full), False),
        (access("cfg000b82123456.xml", written + 5, sent=full + 1), False),
        # The right size, but fetched before the file was written: the earlier version.
        (access("cfg000b82123456.xml", written - 120, sent=full), False),
        (access("cfg000b82123456.xml", written - 120, status=304), False),
        (access("cfg000b82123456.xml", written + 5, status=404), False),
    ]
    for line, expected in cases:
        write(logs / "access.log", [line])
        gs = by_label(status(params, written + 600))["gs"]
        assert gs["current"] is expected, line
    # Every fetched own file counts: a current profile does not hide an outdated bootstrap file.
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 5, sent=full),
                                access("cfg000b82123456", written + 6, sent=1)])
    assert by_label(status(params, written + 600))["gs"]["state"] == "outdated"
    # The last fetch of a path decides: an earlier failure is superseded.
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 5, status=404),
                                access("cfg000b82123456.xml", written + 9, sent=full)])
    assert by_label(status(params, written + 600))["gs"]["state"] == "current"


def test_fetch_is_current_over_tftp_is_the_request_after_the_write():
    versions = [(100, 1000.5)]
    assert fetch_is_current({"time": 1000, "scheme": "tftp", "status": None, "bytes": None}, versions)
    assert not fetch_is_current({"time": 999, "scheme": "tftp", "status": None, "bytes": None}, versions)


def test_rotated_and_gzip_logs_are_all_read_the_newest_fetch_wins(fleet):
    params, root, logs, written = fleet
    full = size(root, "cfg000b82123456.xml")
    write(logs / "access.log.3.gz", [access("cfg000b82123456.xml", written + 10, sent=full, client="10.0.0.3")],
          compress=True)
    write(logs / "access.log.2.gz", [access("Config0080F0C8C381.enc", written + 20, agent=PANA_UA,
                                            sent=size(root, "Config0080F0C8C381.enc"))], compress=True)
    write(logs / "access.log.1", [access("cfg000b82123456.xml", written + 30, sent=1, client="10.0.0.1")])
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 40, sent=full, client="10.0.0.0")])
    write(logs / "syslog.1.gz", ["%s prov-1 kernel: nothing" % iso(written), tftp("00562b043615.xml", written + 50)],
          compress=True)
    write(logs / "syslog", [tftp("/00562b043615.xml", written + 55)])
    result = status(params, written + 600)
    devices_ = by_label(result)
    assert devices_["gs"]["last_fetch"]["client"] == "10.0.0.0" and devices_["gs"]["state"] == "current"
    assert devices_["pana"]["state"] == "current" and devices_["pana"]["reported"]["firmware"] == "01.133"
    mpp = devices_["mpp"]
    assert mpp["state"] == "current" and mpp["last_fetch"]["scheme"] == "tftp" and mpp["last_fetch"]["status"] is None
    assert mpp["last_fetch"]["client"] == "10.99.20.106" and mpp["last_fetch"]["path"] == "00562b043615.xml"
    assert result["log_lines"] == {"http_lines": 4, "http_malformed": 0, "tftp_lines": 3, "tftp_requests": 2}


def test_a_missing_log_is_a_warning_and_a_directory_an_error(fleet):
    params, root, logs, written = fleet
    warnings = []
    result = status(params, written, warnings)
    assert result["counts"]["never_seen"] == 4 and len(warnings) == 2 and "access.log" in warnings[0]
    (logs / "access.log").mkdir()
    with pytest.raises(ProvisioningError) as error:
        status(params, written)
    assert error.value.field == "http_logs" and "access.log" in str(error.value)


def test_malformed_lines_are_counted_and_skipped(fleet):
    params, root, logs, written = fleet
    full = size(root, "cfg000b82123456.xml")
    good = access("cfg000b82123456.xml", written + 5, sent=full)
    broken = json.loads(good)
    write(logs / "access.log", [
        "not json at all",
        "[1, 2, 3]",
        '{"time": "2026-12-06T16:00:00+00:00", "path": "/cfg000b82123456.xml"',
        json.dumps(dict(broken, status="OK")),
        json.dumps(dict(broken, time="yesterday")),
        json.dumps(dict(broken, path=None)),
        json.dumps(dict(broken, bytes=None)),
        good,
        "",
    ])
    result = status(params, written + 60)
    assert result["log_lines"]["http_lines"] == 8 and result["log_lines"]["http_malformed"] == 7
    assert by_label(result)["gs"]["state"] == "current"


def test_unknown_macs_with_vendor_model_and_firmware(fleet):
    params, root, logs, written = fleet
    lines = [
        # {mac}.cfg is a Yealink, Fanvil and Poly name: the User-Agent says Poly.
        access("0004f2aa00ff.cfg", written + 10, status=404, agent=POLY_UA, client="10.99.20.120"),
        access("0004f2aa00ff-phone.cfg", written + 20, status=404, agent=POLY_UA, client="10.99.20.121"),
        # Only Grandstream names its files so, User-Agent or not.
        access("cfg000b82ffffff.xml", written + 30, status=404),
        # A shared file asked for by a MAC not in the inventory is no device file: not listed.
        access("y000000000028.cfg", written + 50, agent="Yealink SIP-T46G 28.72.0.1 00:15:65:99:99:99"),
    ]
    lines += [access("0004f2aa00ff/%d/0004f2aa00ff.cfg" % index, written + 60, status=404)
              for index in range(MAX_UNKNOWN_PATHS + 5)]
    write(logs / "access.log", lines)
    # A name several vendors use, over TFTP: no User-Agent to decide.
    write(logs / "syslog", [tftp("001565abcdef.cfg", written + 40)])
    result = status(params, written + 600)
    unknown = dict((entry["mac"], entry) for entry in result["unknown"])
    assert sorted(unknown) == ["0004f2aa00ff", "000b82ffffff", "001565abcdef"]
    assert result["counts"]["unknown"] == 3 and result["counts"]["never_seen"] == 4
    poly = unknown["0004f2aa00ff"]
    assert poly["first_seen"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(written + 10))
    assert poly["last_seen"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(written + 60))
    assert poly["suggested_name"] == "unknown-0004f2aa00ff"
    assert "0004f2aa00ff.cfg" in poly["paths"] and len(poly["paths"]) == MAX_UNKNOWN_PATHS
    gs = unknown["000b82ffffff"]
    assert (gs["vendor"], gs["model"], gs["firmware"]) == ("grandstream", None, None)
    assert gs["paths"] == ["cfg000b82ffffff.xml"] and gs["client"] == "10.99.20.105"
    assert unknown["001565abcdef"]["vendor"] is None
    # The last request decides the vendor, model and firmware shown.
    write(logs / "access.log", lines[:2])
    poly = status(params, written + 600)["unknown"][0]
    shown = (poly["vendor"], poly["model"], poly["firmware"], poly["client"])
    assert shown == ("poly", "VVX_450", "6.4.6.0123", "10.99.20.121")


def test_mismatch_of_model_and_mac(fleet):
    params, root, logs, written = fleet
    full = size(root, "cfg000b82123456.xml")
    other = "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859"
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 5, sent=full, agent=other)])
    gs = by_label(status(params, written + 60))["gs"]
    assert gs["mismatch"] == ["model", "mac"]
    assert gs["reported"] == {"vendor": "grandstream", "model": "GXP1628", "firmware": "1.0.4.138",
                              "mac": "c074ad2bd859"}
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 5, sent=full,
                                       agent="Grandstream Model HW GXP2140 SW 1.0.4.138 DevId 000b82123456")])
    assert by_label(status(params, written + 60))["gs"]["mismatch"] == ["model"]
    # The Cisco ATA192-MPP is the inventory's ATA192.
    write(logs / "access.log", [access("00562b043615.xml", written + 5, agent=MPP_UA)])
    assert by_label(status(params, written + 60))["mpp"]["mismatch"] == []


def test_models_agree_on_decorations_only():
    assert models_agree("T46G", "SIP-T46G") and models_agree("VVX450", "VVX_450") and models_agree("ATA192", "ATA192-MPP")
    assert not models_agree("GXP2170", "GXP1628") and not models_agree("T46G", "T48G")


def test_a_shared_file_counts_as_contact_by_the_user_agent_mac(fleet):
    params, root, logs, written = fleet
    write(logs / "access.log", [access("ConfigCom.cfg", written + 5, sent=size(root, "ConfigCom.cfg"), agent=PANA_UA)])
    pana = by_label(status(params, written + 60))["pana"]
    # Seen, but none of its own files fetched: nothing shows it has the current profile.
    assert pana["last_fetch"]["path"] == "ConfigCom.cfg" and pana["state"] == "outdated" and pana["current"] is False


def test_secret_path_parts_are_masked_and_no_secret_is_returned(fleet):
    params, root, logs, written = fleet
    profile = gpp_b_path(root, "spa2102.cfg")
    secret_directory = profile.split("/")[1]
    write(logs / "access.log", [access(profile, written + 5, sent=size(root, profile), scheme="https",
                                       agent="Linksys/SPA-2102-5.1.10 (88012BA01234)")])
    result = status(params, written + 60)
    spa = by_label(result)["spa"]
    # The file's name holds no MAC: the manifest says whose it is.
    assert spa["state"] == "current" and spa["last_fetch"]["path"] == "profile/%s/spa2102.cfg" % MASK
    assert spa["reported"] == {"vendor": "cisco_spa", "model": "SPA-2102", "firmware": "5.1.10", "mac": None}
    assert spa["mismatch"] == []
    shown = json.dumps(result)
    assert secret_directory not in shown
    assert not [secret for secret in SIP_PASSWORDS + [DEFAULTS["admin_password"]] if secret in shown]


def test_bootstrap_windows_from_the_state(fleet):
    params, root, logs, written = fleet
    state_file = os.path.join(params["state_dir"], "bootstrap.json")
    with open(state_file) as handle:
        state = json.load(handle)
    opened = sorted(entry["device"] for entry in state["devices"].values() if entry.get("closed") is None)
    assert opened, "the fixture opens windows"
    devices_ = by_label(status(params, written))
    for label, entry in devices_.items():
        assert entry["bootstrap"] == ("open" if label in opened else "none"), label
    mac = next(mac for mac, entry in state["devices"].items() if entry["device"] == opened[0])
    state["devices"][mac]["closed"] = int(written)
    with open(state_file, "w") as handle:
        json.dump(state, handle)
    assert by_label(status(params, written))[opened[0]]["bootstrap"] == "closed"


def test_an_altered_manifest_or_state_is_refused_naming_the_file(fleet):
    params, root, logs, written = fleet
    manifest = manifest_path_for(params["state_dir"], params["roots"][0])
    with open(manifest) as handle:
        data = json.load(handle)
    path = sorted(data["files"])[0]
    data["files"][path][3] = "big"
    with open(manifest, "w") as handle:
        json.dump(data, handle)
    with pytest.raises(ProvisioningError) as error:
        status(params, written)
    assert manifest in str(error.value) and error.value.field == "state_dir"
    with open(manifest, "w") as handle:
        handle.write("{not json")
    with pytest.raises(ProvisioningError) as error:
        status(params, written)
    assert manifest in str(error.value)
    os.remove(manifest)
    state_file = os.path.join(params["state_dir"], "bootstrap.json")
    with open(state_file, "w") as handle:
        json.dump({"version": 1, "devices": {"NOT-A-MAC": {}}}, handle)
    with pytest.raises(ProvisioningError) as error:
        status(params, written)
    assert state_file in str(error.value) and error.value.field == "state_dir"


def test_a_state_directory_others_can_write_is_refused(fleet):
    params, root, logs, written = fleet
    os.chmod(params["state_dir"], 0o777)
    try:
        with pytest.raises(ProvisioningError) as error:
            status(params, written)
    finally:
        os.chmod(params["state_dir"], 0o700)
    assert error.value.field == "state_dir" and params["state_dir"] in str(error.value)


def test_an_inventory_error_names_the_device_and_field(fleet):
    params, root, logs, written = fleet
    device_list = devices()
    device_list[1]["mac"] = "not-a-mac"
    with pytest.raises(ProvisioningError) as error:
        status(dict(params, devices=device_list), written)
    assert "spa" in str(error.value) and "mac" in str(error.value)
    with pytest.raises(ProvisioningError) as error:
        status(dict(params, devices=None), written)
    assert error.value.field == "devices"


def test_log_times_with_an_offset_fractions_or_z_are_the_same_instant(fleet):
    params, root, logs, written = fleet
    full = size(root, "cfg000b82123456.xml")
    moment = int(written) + 65
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    line = json.loads(access("cfg000b82123456.xml", moment, sent=full))
    for shown in (time.strftime("%Y-%m-%dT%H:%M:%S+01:00", time.gmtime(moment + 3600)),
                  time.strftime("%Y-%m-%dT%H:%M:%S-05:30", time.gmtime(moment - 5.5 * 3600)),
                  time.strftime("%Y-%m-%dT%H:%M:%S.250Z", time.gmtime(moment)),
                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))):
        write(logs / "access.log", [json.dumps(dict(line, time=shown))])
        assert by_label(status(params, written + 600))["gs"]["last_fetch"]["time"] == expected, shown


def test_the_inventory_file_is_read_and_a_bad_one_named(tmp_path):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"devices": devices(), "defaults": DEFAULTS, "directory": {}, "keys": {}}))
    assert read_inventory_file(str(path)) == {"devices": devices(), "defaults": DEFAULTS}
    for content in ("{broken", "[]"):
        path.write_text(content)
        with pytest.raises(ProvisioningError) as error:
            read_inventory_file(str(path))
        assert str(path) in str(error.value) and error.value.field == "inventory_file"


@pytest.mark.parametrize("vendor", sorted(DESCRIPTIONS))
def test_every_user_agent_form_reads_a_model_and_firmware_from_its_sample(vendor):
    """The status shows the firmware: every declared form has the group, and it reads the sample's version."""
    for agent in DESCRIPTIONS[vendor].user_agents:
        parsed = agent.parse(agent.sample)
        assert parsed["model"] and parsed["firmware"] and parsed["firmware"][0].isdigit(), agent.sample


def test_the_old_grandstream_form_reads_the_program_image_version():
    form = DESCRIPTIONS["grandstream"].user_agents[1]
    assert form.parse("Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8") == {
        "model": "GXP2000", "firmware": "1.2.5.3", "mac": "000b822726c8"}
    # Brackets of another shape still name the MAC, without a firmware.
    assert form.parse("Grandstream GXP2000 (custom) DevId 000b822726c8") == {
        "model": "GXP2000", "firmware": None, "mac": "000b822726c8"}


# -- who the logs say it was ---------------------------------------------------------


def test_a_refused_request_never_makes_the_state_nor_the_address(fleet):
    """A stranger's 401 and 404s for the phone's file come after the phone's 200: the phone's fetch stays the last."""
    params, root, logs, written = fleet
    write(logs / "access.log", [
        access("cfg000b82123456.xml", written + 60, sent=size(root, "cfg000b82123456.xml"), client="10.99.20.105"),
        access("cfg000b82123456.xml", written + 70, status=401, sent=0, client="203.0.113.66"),
        access("evil/x1cfg000b82123456.xml.bak", written + 80, status=404, sent=0, client="203.0.113.66"),
        access("evil/x2cfg000b82123456.xml.bak", written + 81, status=403, sent=0, client="203.0.113.66",
               agent="scanner"),
        # A refused shared file is nobody's, whatever its User-Agent says.
        access("ConfigCom.cfg", written + 90, status=404, agent=PANA_UA, client="203.0.113.67"),
    ])
    result = status(params, written + 100)
    gs = by_label(result)["gs"]
    assert gs["state"] == "current" and gs["current"] is True
    assert gs["last_fetch"]["client"] == "10.99.20.105" and gs["last_fetch"]["status"] == 200
    assert gs["last_fetch"]["time"] == utc(written + 60)
    assert gs["last_refused"] == {"time": utc(written + 81), "host": "prov-1", "client": "203.0.113.66",
                                  "scheme": "http", "path": "evil/x2cfg000b82123456.xml.bak", "status": 403,
                                  "user_agent": "scanner"}
    assert gs["own_files"] == [{"path": "cfg000b82123456.xml", "time": utc(written + 60), "current": True}]
    pana = by_label(result)["pana"]
    assert pana["state"] == "never_seen" and pana["last_fetch"] is None and pana["last_refused"] is None
    # Only refusals: never seen, and the refusal is reported.
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 70, status=401, client="203.0.113.66")])
    gs = by_label(status(params, written + 100))["gs"]
    assert gs["state"] == "never_seen" and gs["last_fetch"] is None and gs["days_since_contact"] is None
    assert gs["last_refused"]["status"] == 401 and gs["last_refused"]["client"] == "203.0.113.66"
    assert gs["own_files"] == [] and gs["current"] is False


@pytest.mark.parametrize("status_code", [200, 206, 304])
def test_a_served_status_is_a_contact(fleet, status_code):
    params, root, logs, written = fleet
    write(logs / "access.log", [access("cfg000b82123456.xml", written + 5, status=status_code, sent=1)])
    gs = by_label(status(params, written + 60))["gs"]
    assert gs["last_fetch"]["status"] == status_code and gs["last_refused"] is None
    assert gs["state"] == ("current" if status_code == 304 else "outdated")


def test_authenticated_is_the_device_s_own_credentials_or_certificate(fleet):
    params, root, logs, written = fleet
    full = size(root, "cfg000b82123456.xml")
    line = access("cfg000b82123456.xml", written + 5, sent=full)
    cases = [
        (line, False),
        # The role's device_auth: nginx checked this device's user and password (a 200).
        (with_fields(line, device_auth="000b82123456", remote_user="000b82123456-1a2b"), True),
        (with_fields(line, device_auth="000B82123456", remote_user="000b82123456-1a2b"), True),
        # Another device's credentials, or a user that is not the device's, prove nothing of this one.
        (with_fields(line, device_auth="000b82999999", remote_user="000b82999999-1a2b"), False),
        (with_fields(line, device_auth="000b82123456", remote_user="admin"), False),
        # A verified client certificate naming the device's MAC, however the subject writes it.
        (with_fields(line, ssl_client_verify="SUCCESS", client_mac="00:0B:82:12:34:56"), True),
        (with_fields(line, ssl_client_verify="SUCCESS", client_mac="000b82999999"), False),
        (with_fields(line, ssl_client_verify="FAILED:certificate has expired", client_mac="000b82123456"), False),
        (with_fields(line, ssl_client_verify="NONE", client_mac="000b82123456"), False),
        # A 304 with the verified certificate is a served request of the device too.
        (with_fields(access("cfg000b82123456.xml", written + 5, status=304), ssl_client_verify="SUCCESS",
                     client_mac="000b82123456"), True),
    ]
    for record, expected in cases:
        write(logs / "access.log", [record])
        gs = by_label(status(params, written + 60))["gs"]
        assert gs["last_fetch"]["authenticated"] is expected, record
    # Over TFTP nothing proves who asked.
    (logs / "access.log").unlink()
    write(logs / "syslog", [tftp("00562b043615.xml", written + 5)])
    assert by_label(status(params, written + 60))["mpp"]["last_fetch"]["authenticated"] is False


def test_last_authenticated_keeps_the_last_proof_when_later_fetches_prove_nothing(fleet):
    """A shared file, a 304 or a stranger's 200 after the phone's proven fetch keep its proof."""
    params, root, logs, written = fleet
    own = access("cfg000b82123456.xml", written + 60, sent=size(root, "cfg000b82123456.xml"), agent=GS_UA,
                 client="10.99.20.105", scheme="https")
    proven = with_fields(own, device_auth="000b82123456", remote_user="000b82123456-abcd")
    # The phone's next fetch is a shared file (its User-Agent names it): no device_auth there.
    shared = with_fields(access("gs_phonebook.xml", written + 61, sent=10, agent=GS_UA, client="10.99.20.105"),
                         remote_user="000b82123456-abcd")
    # nginx checks the credentials of a 304 too, but the role's device_auth is a 200's only: unproven.
    not_modified = with_fields(access("cfg000b82123456.xml", written + 62, status=304, agent=GS_UA),
                               device_auth="000b82123456", remote_user="000b82123456-abcd")
    expected = {"time": utc(written + 60), "host": "prov-1", "client": "10.99.20.105", "scheme": "https",
                "path": "cfg000b82123456.xml"}
    write(logs / "access.log", [proven])
    gs = by_label(status(params, written + 600))["gs"]
    assert gs["last_fetch"]["authenticated"] is True and gs["last_authenticated"] == expected
    write(logs / "access.log", [proven, shared, not_modified])
    gs = by_label(status(params, written + 600))["gs"]
    assert (gs["last_fetch"]["status"], gs["last_fetch"]["authenticated"]) == (304, False)
    assert gs["last_authenticated"] == expected
    # A stranger's 200 of the shared file with the phone's User-Agent, and its TFTP read of the
    # phone's file, move last_fetch to the stranger's address but not the proof.
    stranger = access("gs_phonebook.xml", written + 70, sent=10, agent=GS_UA, client="203.0.113.66")
    write(logs / "access.log", [proven, shared, stranger])
    write(logs / "syslog", [tftp("cfg000b82123456.xml", written + 71, client="203.0.113.66")])
    gs = by_label(status(params, written + 600))["gs"]
    assert (gs["last_fetch"]["client"], gs["last_fetch"]["authenticated"]) == ("203.0.113.66", False)
    assert gs["last_authenticated"] == expected
    # A later proof replaces the earlier one; no proof at all is null.
    again = with_fields(proven, time=iso(written + 80), remote_addr="10.99.20.9")
    write(logs / "access.log", [proven, again, shared])
    assert by_label(status(params, written + 600))["gs"]["last_authenticated"]["client"] == "10.99.20.9"
    write(logs / "access.log", [own, shared])
    (logs / "syslog").unlink()
    gs = by_label(status(params, written + 600))["gs"]
    assert gs["last_fetch"] is not None and gs["last_authenticated"] is None
    assert by_label(status(params, written + 600))["spa"]["last_authenticated"] is None


@pytest.mark.parametrize("status_code", [206, 304, 401, 403, 404])
def test_device_auth_with_another_status_than_200_proves_nothing(fleet, status_code):
    params, root, logs, written = fleet
    line = with_fields(access("cfg000b82123456.xml", written + 5, status=status_code, sent=10),
                       device_auth="000b82123456", remote_user="000b82123456-1a2b")
    write(logs / "access.log", [line])
    gs = by_label(status(params, written + 60))["gs"]
    assert gs["last_authenticated"] is None
    if status_code in (206, 304):
        assert gs["last_fetch"]["authenticated"] is False
    else:
        assert gs["last_fetch"] is None and gs["last_refused"]["status"] == status_code


def test_a_tftp_request_counts_only_for_a_file_the_manifest_records(fleet):
    """tftpd-hpa logs a request before it knows the file: a stranger's made-up path was never served."""
    params, root, logs, written = fleet
    write(logs / "access.log", [])
    write(logs / "syslog", [tftp("zz/nothing/cfg000b82123456.xml", written + 100, client="203.0.113.66"),
                            tftp("cfg000b82123456.xml.bak", written + 101, client="203.0.113.66")])
    result = status(params, written + 600)
    gs = by_label(result)["gs"]
    assert (gs["state"], gs["last_fetch"], gs["own_files"]) == ("never_seen", None, [])
    assert result["log_lines"]["tftp_requests"] == 2 and result["unknown"] == []
    # The device's real file name: indistinguishable from the phone's request, so it counts.
    write(logs / "syslog", [tftp("cfg000b82123456.xml", written + 100, client="203.0.113.66"),
                            tftp("zz/nothing/cfg000b82123456.xml", written + 200, client="203.0.113.67")])
    gs = by_label(status(params, written + 600))["gs"]
    fetched = (gs["state"], gs["last_fetch"]["client"], gs["last_fetch"]["scheme"])
    assert fetched == ("current", "203.0.113.66", "tftp")
    # An unknown MAC's requests still make it an unknown device, whatever the path.
    write(logs / "syslog", [tftp("zz/nothing/cfg000b82abcdef.xml", written + 100, client="203.0.113.66")])
    assert [entry["mac"] for entry in status(params, written + 600)["unknown"]] == ["000b82abcdef"]


def test_only_the_manifest_s_files_are_kept_per_device(fleet):
    """/<anything>/cfg<mac>.xml names the device too: such paths must not grow its record with the logs."""
    params, root, logs, written = fleet
    mac = "000b82123456"
    attributor = _Attributor(sorted(DESCRIPTIONS.items()))
    reader = _Reader("prov-1", {mac}, attributor, {"cfg000b82123456.xml": mac})
    lines = [access("scan%d/cfg000b82123456.xml" % index, written + index, sent=1) for index in range(50)]
    lines.append(access("cfg000b82123456.xml", written + 60, sent=1))
    reader.http(lines)
    assert list(reader.seen[mac].paths) == ["cfg000b82123456.xml"]
    # The served scan paths are contacts all the same: the last one is the last fetch.
    write(logs / "access.log", lines[:-1])
    gs = by_label(status(params, written + 600))["gs"]
    assert gs["last_fetch"]["path"] == "scan49/cfg000b82123456.xml" and gs["own_files"] == []
    assert gs["state"] == "outdated"


def test_unknown_macs_are_capped_and_those_left_out_counted(fleet):
    params, root, logs, written = fleet
    macs = ["0004f2a0%04x" % index for index in range(30)]
    lines = [access("%s.cfg" % mac, written + index, status=404, agent=POLY_UA) for index, mac in enumerate(macs)]
    # The first one again, later: listed again, and no longer counted as left out.
    lines.append(access("%s.cfg" % macs[0], written + 100, status=404))
    write(logs / "access.log", lines)
    result = status(dict(params, unknown_limit=10), written + 600)
    listed = [entry["mac"] for entry in result["unknown"]]
    # The ten read last.
    assert listed == sorted([macs[0]] + macs[21:])
    assert result["unknown_dropped"] == 20 and result["counts"]["unknown"] == 10
    result = status(dict(params, unknown_limit=0), written + 600)
    assert result["unknown"] == [] and result["unknown_dropped"] == 30 and result["counts"]["unknown"] == 0
    result = status(params, written + 600)
    assert len(result["unknown"]) == 30 and result["unknown_dropped"] == 0
    for wrong in (-1, "10", 1.5, True, [10]):
        with pytest.raises(ProvisioningError) as error:
            status(dict(params, unknown_limit=wrong), written)
        assert error.value.field == "unknown_limit", wrong


def test_the_default_unknown_limit_is_a_thousand(fleet):
    params, root, logs, written = fleet
    write(logs / "access.log", [access("cfg%012x.xml" % (0x000b82000000 + index), written + 5, status=404)
                                for index in range(1200)])
    result = status(params, written + 60)
    assert len(result["unknown"]) == 1000 and result["unknown_dropped"] == 200


def test_another_family_s_user_agent_is_a_vendor_mismatch(fleet):
    """An ATA192 (Cisco MPP) whose file is fetched by a phone saying it is a Grandstream."""
    params, root, logs, written = fleet
    agent = "Grandstream Model HW GXP2170 SW 1.0.11.16 DevId 00562b043615"
    write(logs / "access.log", [access("00562b043615.xml", written + 5, sent=size(root, "00562b043615.xml"),
                                       agent=agent)])
    mpp = by_label(status(params, written + 60))["mpp"]
    assert mpp["mismatch"] == ["vendor", "model"]
    assert mpp["reported"] == {"vendor": "grandstream", "model": "GXP2170", "firmware": "1.0.11.16",
                               "mac": "00562b043615"}
    # No family reads it: nothing reported, nothing contradicted.
    write(logs / "access.log", [access("00562b043615.xml", written + 5, agent="curl/8.5.0")])
    mpp = by_label(status(params, written + 60))["mpp"]
    assert mpp["mismatch"] == [] and mpp["reported"]["vendor"] is None


def test_every_family_s_mask_hides_a_secret_directory_whatever_the_device(fleet):
    """A Cisco profile/<GPP_B>/ directory in front of a Grandstream file name is masked too."""
    params, root, logs, written = fleet
    secret = "0123456789abcdef0123456789abcdef"
    write(logs / "access.log", [
        access("profile/%s/cfg000b82123456.xml" % secret, written + 5, sent=1),
        access("profile/%s/cfg000b82123456.xml" % secret, written + 6, status=404),
        access("profile/%s/cfg000b82ffffff.xml" % secret, written + 7, status=404),
    ])
    result = status(params, written + 60)
    gs = by_label(result)["gs"]
    assert gs["last_fetch"]["path"] == "profile/%s/cfg000b82123456.xml" % MASK
    assert gs["last_refused"]["path"] == "profile/%s/cfg000b82123456.xml" % MASK
    assert result["unknown"][0]["paths"] == ["profile/%s/cfg000b82ffffff.xml" % MASK]
    assert secret not in json.dumps(result)


def test_own_files_give_each_file_s_last_fetch_masked(fleet):
    params, root, logs, written = fleet
    profile = gpp_b_path(root, "spa2102.cfg")
    write(logs / "access.log", [
        access(profile, written + 5, sent=size(root, profile) - 1),
        access(profile, written + 9, sent=size(root, profile)),
        access("cfg000b82123456.xml", written + 5, sent=size(root, "cfg000b82123456.xml")),
        access("cfg000b82123456", written + 7, sent=1),
    ])
    result = by_label(status(params, written + 60))
    assert result["spa"]["own_files"] == [{"path": "profile/%s/spa2102.cfg" % MASK, "time": utc(written + 9),
                                           "current": True}]
    assert result["gs"]["own_files"] == [
        {"path": "cfg000b82123456", "time": utc(written + 7), "current": False},
        {"path": "cfg000b82123456.xml", "time": utc(written + 5), "current": True},
    ]
    assert result["gs"]["state"] == "outdated"
