# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading bootstrap fetches from nginx JSON access logs and tftpd-hpa syslog lines."""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import sys
import tracemalloc

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import MASK
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fetch_log import (
    closed_windows,
    http_fetches,
    log_files,
    merge_fetched,
    parse_iso_time,
    read_lines,
    read_state,
    recorded,
    run,
    tftp_fetches,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS

OPENED = int(parse_iso_time("2026-11-21T10:00:00+00:00"))  # phone_profiles writes whole seconds
STATE = {"version": 1, "devices": {
    "0080f0c8c381": {"key_id": "k-pana", "opened": OPENED, "closed": None, "paths": ["Config0080F0C8C381.cfg"],
                     "sizes": {"Config0080F0C8C381.cfg": 300}, "vendor": "panasonic", "device": "office"},
    "000b82123456": {"key_id": "k-gs", "opened": OPENED, "closed": None, "paths": ["cfg000b82123456", "cfg000b82123456.bin"],
                     "sizes": {"cfg000b82123456": 120, "cfg000b82123456.bin": 120}, "vendor": "grandstream",
                     "device": "reception"},
    "88012ba01234": {"key_id": "k-spa", "opened": OPENED, "closed": 5, "paths": ["spa88012ba01234.xml"],
                     "sizes": {}, "vendor": "cisco_spa", "device": "lobby"},
}}


def access(path, status=200, sent=300, when="2026-11-21T10:05:00+00:00", agent="", client="10.99.0.2",
           verify="NONE", client_mac=""):
    return json.dumps({"time": when, "remote_addr": client, "path": path, "status": status, "bytes": sent,
                       "user_agent": agent, "ssl_client_verify": verify, "client_mac": client_mac})


def test_complete_fetch_after_the_window_opened_counts():
    fetched, proven, foreign = http_fetches(
        [access("/Config0080F0C8C381.cfg", agent="Panasonic_KX-UT133/01.133 (0080f0c8c381)")], STATE)
    assert fetched == {"0080f0c8c381": {"k-pana"}} and foreign == [] and proven == {}


def test_partial_failed_early_and_closed_window_fetches_do_not_count():
    lines = [
        access("/Config0080F0C8C381.cfg", sent=100),
        access("/Config0080F0C8C381.cfg", status=404, sent=0),
        access("/Config0080F0C8C381.cfg", when="2026-11-21T09:59:59+00:00"),
        access("/spa88012ba01234.xml"),
        "not json",
        "{broken json",
    ]
    assert http_fetches(lines, STATE) == ({}, {}, [])


def test_a_user_agent_naming_another_device_is_reported_not_counted():
    agent = "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82999999"
    fetched, proven, foreign = http_fetches([access("/cfg000b82123456", sent=120, agent=agent, client="10.99.0.66")],
                                            STATE)
    assert fetched == {} and proven == {}
    assert foreign[0]["device"] == "reception" and foreign[0]["client"] == "10.99.0.66"
    assert foreign[0]["claimed"] == "000b82999999"
    own = "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456"
    assert http_fetches([access("/cfg000b82123456", sent=120, agent=own)], STATE)[0] == {"000b82123456": {"k-gs"}}


def test_tftp_read_requests_in_both_syslog_time_formats():
    lines = [
        "2026-11-21T10:01:02.123456789+00:00 prov in.tftpd[812]: RRQ from ::ffff:10.99.0.2 filename cfg000b82123456.bin",
        "2026-11-21T09:00:00+00:00 prov in.tftpd[812]: RRQ from 10.99.0.3 filename Config0080F0C8C381.cfg",
        "Nov 21 10:00:00 prov in.tftpd[1]: something else",
    ]
    assert tftp_fetches(lines, STATE, now=OPENED + 3600) == ({"000b82123456": {"k-gs"}}, {})
    traditional = ["Nov 21 10:01:02 prov in.tftpd[812]: RRQ from 10.99.0.2 filename /Config0080F0C8C381.cfg"]
    assert tftp_fetches(traditional, STATE, now=OPENED + 3600) == ({"0080f0c8c381": {"k-pana"}}, {})


def test_merge_over_hosts():
    assert merge_fetched({"a": {"1"}}, {"a": {"2"}, "b": {"3"}}) == {"a": ["1", "2"], "b": ["3"]}


def test_a_forged_tftp_line_in_another_programs_message_does_not_count():
    # Anyone who can log (logger, a web application) can write these words;
    # only tftpd-hpa's own tag counts.
    forged = [
        "Nov 21 10:01:02 prov myapp[9]: in.tftpd[1]: RRQ from 1.2.3.4 filename cfg000b82123456",
        "2026-11-21T10:01:02+00:00 prov myapp[9]: in.tftpd[1]: RRQ from 1.2.3.4 filename cfg000b82123456",
        "2026-11-21T10:01:02+00:00 prov logger: x in.tftpd[1]: RRQ from 1.2.3.4 filename cfg000b82123456",
        "in.tftpd[1]: RRQ from 1.2.3.4 filename cfg000b82123456",
    ]
    assert tftp_fetches(forged, STATE, now=OPENED + 3600) == ({}, {})
    genuine = "Nov 21 10:01:02 prov in.tftpd[1]: RRQ from 1.2.3.4 filename cfg000b82123456"
    assert tftp_fetches([genuine], STATE, now=OPENED + 3600) == ({"000b82123456": {"k-gs"}}, {})


def test_a_user_agent_naming_no_mac_is_reported_counts_as_fetched_and_proves_nothing():
    rotating = {"version": 1, "devices": {"000b82123456": dict(
        STATE["devices"]["000b82123456"], paths=["cfg000b82123456.xml"], rotation=True,
        proof_paths=["cfg000b82123456.xml"], sizes={"cfg000b82123456.xml": 500})}}
    curl = access("/cfg000b82123456.xml", sent=500, agent="curl/8.5.0", client="203.0.113.9")
    fetched, proven, foreign = http_fetches([curl], rotating)
    assert fetched == {"000b82123456": {"k-gs"}}
    assert proven == {}
    assert foreign == [{"device": "reception", "path": "cfg000b82123456.xml", "client": "203.0.113.9",
                        "user_agent": "curl/8.5.0", "time": "2026-11-21T10:05:00+00:00", "claimed": ""}]
    # The device's own User-Agent without a certificate: fetched, not reported, still not proof.
    own = access("/cfg000b82123456.xml", sent=500, agent="Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456")
    assert http_fetches([own], rotating) == ({"000b82123456": {"k-gs"}}, {}, [])


def test_only_a_fetch_authenticated_as_the_device_proves_a_rotation():
    entry = dict(STATE["devices"]["000b82123456"], paths=["cfg000b82123456.xml"], rotation=True,
                 proof_paths=["cfg000b82123456.xml"], sizes={"cfg000b82123456.xml": 500})
    state = {"version": 1, "devices": {"000b82123456": entry}}
    certified = access("/cfg000b82123456.xml", sent=500, agent="curl/8.5.0", verify="SUCCESS",
                       client_mac="00:0b:82:12:34:56")
    assert http_fetches([certified], state) == ({"000b82123456": {"k-gs"}}, {"000b82123456": {"k-gs"}}, [])
    # A certificate of another device: someone else's fetch, whatever the User-Agent says.
    other = access("/cfg000b82123456.xml", sent=500, agent="Grandstream DevId 000b82123456", verify="SUCCESS",
                   client_mac="000b82999999")
    fetched, proven, foreign = http_fetches([other], state)
    assert fetched == {} and proven == {} and foreign[0]["claimed"] == "000b82999999"
    # A certificate the server did not verify names nobody; nor does a partial download prove anything.
    failed = access("/cfg000b82123456.xml", sent=500, verify="FAILED:certificate has expired",
                    client_mac="000b82123456", agent="Grandstream DevId 000b82123456")
    partial = access("/cfg000b82123456.xml", sent=100, verify="SUCCESS", client_mac="000b82123456")
    assert http_fetches([failed, partial], state)[1] == {}
    # Once this host recorded the proof, it reports it without the logs.
    assert recorded({"devices": {"000b82123456": dict(entry, proven=5, fetched=5)}}) == (
        {"000b82123456": {"k-gs"}}, {"000b82123456": {"k-gs"}})


def test_a_fetch_as_the_device_s_new_http_user_proves_a_rotation():
    """Yealink: while the rotation runs nginx lets the device in as its old and its new user; only the new one proves it."""
    new_user, old_user = "00156574b150-3a7f", "00156574b150-91c2"
    entry = {"key_id": "k-new", "opened": OPENED, "closed": None, "paths": ["00156574b150-bootstrap.cfg"],
             "sizes": {"00156574b150-bootstrap.cfg": 120, "00156574b150.cfg": 450}, "vendor": "yealink",
             "device": "desk", "rotation": True, "proof_paths": ["00156574b150-bootstrap.cfg", "00156574b150.cfg"],
             "proof_user": new_user}
    state = {"version": 1, "devices": {"00156574b150": entry}}
    agent = "Yealink SIP-T46U 108.86.0.90 00:15:65:74:b1:50"

    def fetch(**fields):
        record = {"time": "2026-11-21T10:05:00+00:00", "remote_addr": "10.99.0.2", "path": "/00156574b150.cfg",
                  "status": 200, "bytes": 450, "user_agent": agent, "ssl_client_verify": "NONE", "client_mac": "",
                  "remote_user": new_user, "device_auth": "00156574b150"}
        record.update(fields)
        return json.dumps(record)

    assert http_fetches([fetch()], state) == ({}, {"00156574b150": {"k-new"}}, [])
    # nginx writes the MAC as the path spells it, the user as the phone sent it.
    assert http_fetches([fetch(device_auth="00156574B150", remote_user=new_user.upper())], state)[1] == {
        "00156574b150": {"k-new"}}
    # Not proof: the old password's user (still let in), no credentials asked for (another server, a
    # missing file), a refused password, a user of another device or of no device, the bare MAC, a
    # partial download, a fetch before the rotation's files were served.
    for record in (fetch(remote_user=old_user), fetch(device_auth=""), fetch(status=401, bytes=0),
                   fetch(remote_user="00156574b151-3a7f"), fetch(remote_user=""), fetch(remote_user="00156574b150"),
                   fetch(bytes=100), fetch(time="2026-11-21T09:59:00+00:00"),
                   fetch(device_auth="not-a-mac", remote_user="not-a-mac-3a7f")):
        assert http_fetches([record], state)[1] == {}, record
    # A rotation without HTTP credentials (no proof_user): a device_auth fetch proves nothing.
    other_state = {"version": 1, "devices": {"00156574b150": dict(entry, proof_user=None)}}
    del other_state["devices"]["00156574b150"]["proof_user"]
    assert http_fetches([fetch()], other_state)[1] == {}
    # Another device's credentials on this device's file: someone else's fetch.
    other = fetch(device_auth="00156574b151", remote_user="00156574b151-0000", path="/00156574b150-bootstrap.cfg",
                  bytes=120)
    fetched, proven, foreign = http_fetches([other], state)
    assert fetched == {} and proven == {} and foreign[0]["claimed"] == "00156574b151"
    # The plain bootstrap with the new password: fetched (its window closes), not proof.
    bootstrap = fetch(path="/00156574b150-bootstrap.cfg", bytes=120, remote_user="", device_auth="")
    assert http_fetches([bootstrap], state) == ({"00156574b150": {"k-new"}}, {}, [])


def test_a_fetch_from_the_new_cisco_gpp_b_directory_proves_the_rotation_over_http_and_tftp():
    new_file = "profile/0123456789abcdef0123456789abcdef/spa2102.cfg"
    entry = {"key_id": "k-new", "opened": OPENED, "closed": None, "paths": ["profile/old/spa2102.cfg"],
             "sizes": {"profile/old/spa2102.cfg": 400, new_file: 900}, "vendor": "cisco_spa", "device": "lobby",
             "rotation": True, "proof_paths": ["profile/old/spa2102.cfg", new_file], "secret_paths": [new_file]}
    state = {"version": 1, "devices": {"88012ba01234": entry}}
    fetch = access("/" + new_file, sent=900, agent="Linksys/SPA-2102-2.0.5 (88012BA01234)")
    assert http_fetches([fetch], state) == ({}, {"88012ba01234": {"k-new"}}, [])
    line = "Nov 21 10:02:00 prov in.tftpd[4]: RRQ from 10.99.0.5 filename /" + new_file
    assert tftp_fetches([line], state, now=OPENED + 3600) == ({}, {"88012ba01234": {"k-new"}})
    # The old directory's handover, fetched anonymously, closes nothing and proves nothing.
    old = "Nov 21 10:02:00 prov in.tftpd[4]: RRQ from 10.99.0.5 filename profile/old/spa2102.cfg"
    assert tftp_fetches([old], state, now=OPENED + 3600) == ({"88012ba01234": {"k-new"}}, {})
    # A fetch from before the rotation started is no proof.
    early = "Nov 21 09:02:00 prov in.tftpd[4]: RRQ from 10.99.0.5 filename " + new_file
    assert tftp_fetches([early], state, now=OPENED + 3600) == ({}, {})


def write_log(path, lines, compress=False):
    data = "".join(line + "\n" for line in lines).encode()
    if compress:
        with gzip.open(str(path), "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


def read_all(path, option="tftp_logs"):
    files, warning = log_files(str(path), option)
    return files, warning, [line for name in files for line in read_lines(name, option)]


def test_rotated_and_compressed_logs_are_read_oldest_first(tmp_path):
    log = tmp_path / "syslog"
    first = "Nov 21 10:01:00 prov in.tftpd[1]: RRQ from 10.0.0.1 filename cfg000b82123456"
    second = "Nov 21 10:02:00 prov in.tftpd[1]: RRQ from 10.0.0.2 filename Config0080F0C8C381.cfg"
    write_log(tmp_path / "syslog.3.gz", ["oldest"], compress=True)
    write_log(tmp_path / "syslog.2.gz", [first], compress=True)
    write_log(tmp_path / "syslog.1", [second])
    write_log(log, ["newest"])
    write_log(tmp_path / "syslog.old", ["not a generation"])
    write_log(tmp_path / "syslog.10.gz", ["tenth"], compress=True)
    files, warning, lines = read_all(log)
    assert warning is None
    names = [os.path.basename(name) for name in files]
    assert names == ["syslog.10.gz", "syslog.3.gz", "syslog.2.gz", "syslog.1", "syslog"]
    assert [line.strip() for line in lines] == ["tenth", "oldest", first, second, "newest"]
    fetched, proven = tftp_fetches(iter(lines), STATE, now=OPENED + 3600)
    assert fetched == {"000b82123456": {"k-gs"}, "0080f0c8c381": {"k-pana"}}


def test_a_log_rotated_away_is_still_read_from_its_generations(tmp_path):
    write_log(tmp_path / "access.log.1", ["one"])
    files, warning, lines = read_all(tmp_path / "access.log", "http_logs")
    assert warning is None and lines == ["one\n"]


def test_a_missing_log_is_a_warning_naming_option_and_file(tmp_path):
    files, warning = log_files(str(tmp_path / "nowhere.log"), "http_logs")
    assert files == []
    assert str(tmp_path / "nowhere.log") in warning and "http_logs" in warning


def test_a_directory_or_unreadable_log_is_an_error_naming_option_and_file(tmp_path):
    (tmp_path / "nginx").mkdir()
    with pytest.raises(ProvisioningError) as info:
        log_files(str(tmp_path / "nginx"), "http_logs")
    assert info.value.field == "http_logs" and str(tmp_path / "nginx") in str(info.value)
    assert str(info.value).endswith("is a directory; give the log file itself")
    (tmp_path / "syslog.1").mkdir()
    (tmp_path / "syslog").write_bytes(b"")
    with pytest.raises(ProvisioningError) as info:
        log_files(str(tmp_path / "syslog"), "tftp_logs")
    assert info.value.field == "tftp_logs" and str(tmp_path / "syslog.1") in str(info.value)
    broken = tmp_path / "auth.log.2.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ProvisioningError) as info:
        list(read_lines(str(broken), "tftp_logs"))
    assert info.value.field == "tftp_logs" and str(broken) in str(info.value)
    if os.geteuid() != 0:
        locked = tmp_path / "locked.log"
        locked.write_bytes(b"x")
        locked.chmod(0)
        with pytest.raises(ProvisioningError) as info:
            log_files(str(locked), "http_logs")
        assert info.value.field == "http_logs" and str(locked) in str(info.value)


def test_a_large_compressed_log_is_streamed(tmp_path):
    # 200,000 lines: read one at a time, never all of them at once.
    log = tmp_path / "syslog.2.gz"
    line = "Nov 21 10:01:00 prov other[1]: " + "x" * 60 + "\n"
    with gzip.open(str(log), "wb") as handle:
        for dummy in range(200000):
            handle.write(line.encode())
    tracemalloc.start()
    try:
        lines = read_lines(str(log), "tftp_logs")
        assert next(lines) == line
        assert sum(1 for dummy in lines) == 199999
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The unpacked log is 18 MB; reading it whole would show here.
    assert peak < 2 * 1024 * 1024, peak


def run_module(tmp_path, **args):
    """The provisioning_fetches module as Ansible runs it: a separate Python reading its arguments from a file."""
    import subprocess
    import sys
    import ansible_collections
    module = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules",
                          "provisioning_fetches.py")
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_tmpdir=str(tmp_path))}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(list(ansible_collections.__path__)[0])] + sys.path))
    done = subprocess.run([sys.executable, module, str(args_file)], stdout=subprocess.PIPE, env=env, check=False)
    return json.loads(done.stdout.decode())


def test_the_module_warns_about_a_missing_log_and_fails_on_a_directory_naming_option_and_file(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "bootstrap.json").write_text(json.dumps(STATE))
    log = tmp_path / "access.log"
    write_log(tmp_path / "access.log.1", [access("/Config0080F0C8C381.cfg", agent="curl/8.5.0")])
    write_log(tmp_path / "syslog.2.gz", [
        "Nov 21 10:01:02 prov myapp[9]: in.tftpd[1]: RRQ from 1.2.3.4 filename cfg000b82123456"], compress=True)
    result = run_module(tmp_path, state_dir=str(state), http_logs=[str(log), str(tmp_path / "gone.log")],
                        tftp_logs=[str(tmp_path / "syslog")])
    assert not result.get("failed"), result
    assert result["fetched"] == {"0080f0c8c381": ["k-pana"]} and result["proven"] == {}
    assert [item["claimed"] for item in result["foreign_fetches"]] == [""]
    # Warnings are plain strings or, from ansible-core 2.19, structured: read them as text.
    warnings = json.dumps(result["warnings"])
    assert "the log %s does not exist (http_logs)" % (tmp_path / "gone.log") in warnings
    assert "which names no device" in warnings
    (tmp_path / "nginx").mkdir()
    failed = run_module(tmp_path, state_dir=str(state), tftp_logs=[str(tmp_path / "nginx")])
    assert failed["failed"] and failed["field"] == "tftp_logs"
    assert str(tmp_path / "nginx") in failed["msg"] and "Traceback" not in json.dumps(failed)


def test_closed_windows_lists_every_closed_window_whatever_the_reason():
    state = {"devices": {
        "0080f0c8c381": dict(STATE["devices"]["0080f0c8c381"], closed=OPENED + 60, reason="expired"),
        "000b82123456": dict(STATE["devices"]["000b82123456"]),
        "88012ba01234": dict(STATE["devices"]["88012ba01234"], reason="fetched", fetched=5),
    }}
    assert closed_windows(state) == {"0080f0c8c381": {"k-pana"}, "88012ba01234": {"k-spa"}}


# A rotation this host's state says was proven: whoever can write the state can finish rotations.
PROVEN_STATE = {"version": 1, "devices": {"000b82123456": {
    "key_id": "0123456789abcdef", "rotation": True, "proven": 1, "opened": 1, "closed": None}}}


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_state_directory_others_can_write_is_refused_naming_state_dir(tmp_path, mode):
    state = tmp_path / "state"
    state.mkdir()
    (state / "bootstrap.json").write_text(json.dumps(PROVEN_STATE))
    os.chmod(str(state), mode)
    with pytest.raises(ProvisioningError) as info:
        read_state(str(state))
    assert info.value.field == "state_dir" and str(state) in str(info.value)
    os.chmod(str(state), 0o700)
    assert recorded(read_state(str(state)))[1] == {"000b82123456": {"0123456789abcdef"}}


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_a_state_directory_of_another_user_is_refused(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "bootstrap.json").write_text(json.dumps(PROVEN_STATE))
    os.chown(str(state), 65534, 65534)
    with pytest.raises(ProvisioningError) as info:
        read_state(str(state))
    assert info.value.field == "state_dir" and "uid 65534" in str(info.value)


def test_a_missing_state_directory_is_empty_and_not_created(tmp_path):
    assert read_state(str(tmp_path / "none"))["devices"] == {}
    assert not (tmp_path / "none").exists()


def test_the_module_refuses_a_state_directory_others_can_write(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "bootstrap.json").write_text(json.dumps(PROVEN_STATE))
    os.chmod(str(state), 0o777)
    result = run_module(tmp_path, state_dir=str(state))
    assert result["failed"] and result["field"] == "state_dir" and "proven" not in result
    os.chmod(str(state), 0o755)
    result = run_module(tmp_path, state_dir=str(state))
    assert not result.get("failed"), result
    assert result["proven"] == {"000b82123456": ["0123456789abcdef"]}


def test_a_gpp_b_directory_is_masked_in_foreign_fetches_and_the_modules_warnings(tmp_path):
    directory = "0123456789abcdef0123456789abcdef"
    path = "profile/%s/mpp.xml" % directory
    state = {"version": 1, "devices": {
        "00562b043615": {"key_id": "aaaaaaaaaaaaaaaa", "opened": OPENED, "closed": None, "vendor": "cisco_mpp",
                         "device": "mpp", "paths": [path], "sizes": {path: 10}},
        "0080f0c8c381": dict(STATE["devices"]["0080f0c8c381"], closed=OPENED + 60, reason="expired")}}
    line = access("/" + path, sent=10, agent="curl/8", client="10.0.0.9")
    fetched, proven, foreign = http_fetches([line], state)
    assert fetched == {"00562b043615": {"aaaaaaaaaaaaaaaa"}}
    assert [item["path"] for item in foreign] == ["profile/%s/mpp.xml" % MASK]
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "bootstrap.json").write_text(json.dumps(state))
    write_log(tmp_path / "access.log", [line])
    result = run_module(tmp_path, state_dir=str(tmp_path / "state"), http_logs=[str(tmp_path / "access.log")])
    assert not result.get("failed"), result
    assert directory not in json.dumps(result["warnings"]) and directory not in json.dumps(result["foreign_fetches"])
    assert "profile/%s/mpp.xml" % MASK in json.dumps(result["warnings"])
    # The expired window is reported closed, for the key store to record.
    assert result["closed"] == {"0080f0c8c381": ["k-pana"]}


# -- User-Agents, read by the forms each vendor declares -----------------------

DEVICE_MAC = "0a0b0c0d0e0f"
OTHER_MAC = "0a0b0c999999"


def _carrier_state(vendor):
    path = "dev/%s.cfg" % DEVICE_MAC
    return path, {"version": 1, "devices": {DEVICE_MAC: {
        "key_id": "k-1", "opened": OPENED, "closed": None, "paths": [path], "sizes": {path: 300},
        "vendor": vendor, "device": "desk"}}}


def _with_mac(sample, sample_mac, mac):
    """A declared form's sample User-Agent, naming ``mac`` where it names its own (with colons where it writes them)."""
    colons = ":".join(sample_mac[i:i + 2] for i in range(0, 12, 2))
    if colons in sample.lower():
        index = sample.lower().index(colons)
        return sample[:index] + ":".join(mac[i:i + 2] for i in range(0, 12, 2)) + sample[index + len(colons):]
    index = sample.lower().index(sample_mac)
    written = sample[index:index + 12]
    return sample[:index] + (mac.upper() if written.isupper() else mac) + sample[index + 12:]


MAC_FORMS = [(name, agent) for name, description in DESCRIPTIONS.items() if description.macs_in_user_agent
             for agent in description.user_agents if "mac" in agent.regex.groupindex]
SERIAL_FORMS = [(name, agent) for name, description in DESCRIPTIONS.items() if description.macs_in_user_agent
                for agent in description.user_agents if "mac" not in agent.regex.groupindex]


@pytest.mark.parametrize("vendor, form", MAC_FORMS, ids=[agent.sample for dummy, agent in MAC_FORMS])
def test_a_declared_user_agent_naming_another_mac_is_foreign_and_the_own_one_counts(vendor, form):
    sample_mac = form.parse(form.sample)["mac"]
    path, state = _carrier_state(vendor)
    stranger = _with_mac(form.sample, sample_mac, OTHER_MAC)
    assert DESCRIPTIONS[vendor].parse_user_agent(stranger)["mac"] == OTHER_MAC
    fetched, proven, foreign = http_fetches([access("/" + path, agent=stranger, client="10.99.0.66")], state)
    assert fetched == {} and proven == {}
    assert [(item["device"], item["claimed"], item["user_agent"]) for item in foreign] == [
        ("desk", OTHER_MAC, stranger)]
    own = _with_mac(form.sample, sample_mac, DEVICE_MAC)
    assert http_fetches([access("/" + path, agent=own)], state) == ({DEVICE_MAC: {"k-1"}}, {}, [])
    # No declared form: no MAC named, from a vendor whose phones always name theirs.
    fetched, proven, foreign = http_fetches([access("/" + path, agent="curl/8.5.0")], state)
    assert fetched == {DEVICE_MAC: {"k-1"}} and [item["claimed"] for item in foreign] == [""]


@pytest.mark.parametrize("vendor, form", SERIAL_FORMS, ids=[agent.sample for dummy, agent in SERIAL_FORMS])
def test_a_declared_form_without_a_mac_counts_and_is_reported_for_naming_none(vendor, form):
    """Seed 001's ATA192 names its serial number: nothing ties it to the device, so it is reported, as before.

    The bootstrap state does not record the model, so the serial form cannot be
    limited to the models that send it: accepting it silently would let any
    client take any of the vendor's key carriers unreported.
    """
    path, state = _carrier_state(vendor)
    fetched, proven, foreign = http_fetches([access("/" + path, agent=form.sample)], state)
    assert fetched == {DEVICE_MAC: {"k-1"}} and proven == {}
    assert [(item["device"], item["claimed"]) for item in foreign] == [("desk", "")]


# Real User-Agents of no declared form still name their MAC where the
# vendor's search finds it: a stranger's claim is read from every form.
UNLISTED_FORMS = [
    ("grandstream", "Grandstream Model HW HT801 V1.1A SW 1.0.17.5 DevId %s"),
    ("grandstream", "Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId %s"),
    ("grandstream", "Grandstream Model HW GXP2170 V1.0B SW 1.0.11.16 DevId %s extra"),
    ("panasonic", "Panasonic KX-UT113/01.133 (%s)"),
    ("cisco_mpp", "Cisco/CP-8841-3PCC-11-3-1 (%s) (Something)"),
]


@pytest.mark.parametrize("vendor, template", UNLISTED_FORMS, ids=[template for dummy, template in UNLISTED_FORMS])
def test_any_user_agent_naming_another_mac_where_the_vendor_writes_it_is_foreign(vendor, template):
    path, state = _carrier_state(vendor)
    assert DESCRIPTIONS[vendor].claimed_mac(template % OTHER_MAC) == OTHER_MAC
    fetched, proven, foreign = http_fetches([access("/" + path, agent=template % OTHER_MAC)], state)
    assert fetched == {} and [item["claimed"] for item in foreign] == [OTHER_MAC]
    assert http_fetches([access("/" + path, agent=template % DEVICE_MAC)], state) == ({DEVICE_MAC: {"k-1"}}, {}, [])


def test_the_seed_ata192_user_agent_is_a_declared_form():
    assert ("cisco_mpp", "Cisco/ATA192-MPP-11-1-0MPP-16 (FCH2118DGQP)") in [
        (name, agent.sample) for name, agent in SERIAL_FORMS]


def test_every_vendor_is_checked_by_its_user_agents_or_declares_it_cannot_be():
    with_macs = set(name for name, dummy in MAC_FORMS)
    assert set(("grandstream", "cisco_mpp", "panasonic")) <= with_macs
    assert "cisco_spa" in set(DESCRIPTIONS) - with_macs


WITHOUT_MACS = [name for name, description in DESCRIPTIONS.items() if not description.macs_in_user_agent]


@pytest.mark.parametrize("vendor", WITHOUT_MACS)
def test_a_vendor_without_macs_in_its_user_agent_is_never_foreign_by_user_agent(vendor):
    path, state = _carrier_state(vendor)
    agents = [agent.sample for agent in DESCRIPTIONS[vendor].user_agents] + [
        # Seed 002's serial number and the lab's form, both with 12 hex digits
        # in brackets (another device's MAC in the second): neither is a MAC
        # this vendor declares.
        "Linksys/SPA-2102-2.0.5 (%s)" % OTHER_MAC.upper(),
        "Cisco/SPA2102-7.6.2 (%s)(CBT141400UK)" % OTHER_MAC.upper(),
        # Another vendor's form naming another MAC, and no form at all.
        "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId %s" % OTHER_MAC,
        "Panasonic_KX-UT133/01.133 (%s)" % OTHER_MAC,
        "curl/8.5.0",
        "",
    ]
    for agent in agents:
        assert http_fetches([access("/" + path, agent=agent)], state) == ({DEVICE_MAC: {"k-1"}}, {}, []), agent
    # A verified certificate of another device still makes the fetch someone else's.
    certified = access("/" + path, agent=agents[0], verify="SUCCESS", client_mac=OTHER_MAC)
    fetched, proven, foreign = http_fetches([certified], state)
    assert fetched == {} and [item["claimed"] for item in foreign] == [OTHER_MAC]


def test_run_reads_every_log_with_the_spec_defaults_and_warns_before_it_fails(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "bootstrap.json").write_text(json.dumps(STATE))
    write_log(tmp_path / "access.log", [access("/Config0080F0C8C381.cfg", agent="curl/8.5.0")])
    warnings = []
    result = run({"state_dir": str(state), "http_logs": [str(tmp_path / "access.log")]}, warnings.append)
    # tftp_logs left out: its default, no log.
    assert result["fetched"] == {"0080f0c8c381": ["k-pana"]} and result["open_windows"] == 2
    assert len(warnings) == 1 and "which names no device" in warnings[0]
    # A missing log's warning is given before a later log fails the run.
    (tmp_path / "nginx").mkdir()
    warnings = []
    with pytest.raises(ProvisioningError) as info:
        run({"state_dir": str(state), "http_logs": [str(tmp_path / "gone.log")], "tftp_logs": [str(tmp_path / "nginx")]},
            warnings.append)
    assert info.value.field == "tftp_logs"
    assert warnings == ["the log %s does not exist (http_logs); no fetch was read from it" % (tmp_path / "gone.log")]


def lab_phone_module():
    """``lab/virtual_phone.py``, the lab's phone, which writes its User-Agent without the collection's code."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "lab", "virtual_phone.py")
    name = "sipfleet_lab_virtual_phone"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        # Its dataclasses look their module up by name.
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# The lab's six phones, as lab/setup.sh starts them for the e2e targets.
LAB_PHONES = [("grandstream", "GXP2170", "00:0b:82:12:34:56"), ("cisco_spa", "SPA2102", "00:0e:08:ab:cd:ef"),
              ("cisco_mpp", "ATA192", "0c:11:67:ab:cd:ef"), ("cisco_mpp", "CP-8841-3PCC", "0c:11:67:ab:cd:ef"),
              ("panasonic", "KX-UTG300", "00:80:f0:c8:c3:81"), ("yealink", "T46U", "00:15:65:74:b1:50"),
              ("poly", "VVX450", "00:04:f2:aa:00:01")]


@pytest.mark.parametrize("vendor, model, mac", LAB_PHONES)
def test_the_lab_phones_user_agents_are_read_by_their_vendors_forms(vendor, model, mac):
    lab = lab_phone_module()
    identity = lab.build_identity(argparse.Namespace(vendor=vendor, model=model, mac=mac, serial=None, digest=None,
                                                     psn=None, vendor_class=None, user_agent=None))
    description = DESCRIPTIONS[vendor]
    found = description.parse_user_agent(identity.user_agent)
    assert found is not None, identity.user_agent
    assert found["mac"] == (identity.mac if description.macs_in_user_agent else None)
    path = "dev/%s.cfg" % identity.mac
    state = {"version": 1, "devices": {identity.mac: {
        "key_id": "k-1", "opened": OPENED, "closed": None, "paths": [path], "sizes": {path: 300}, "vendor": vendor,
        "device": "lab"}}}
    assert http_fetches([access("/" + path, agent=identity.user_agent)], state) == ({identity.mac: {"k-1"}}, {}, [])
