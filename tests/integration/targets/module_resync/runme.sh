#!/usr/bin/env bash
# sipfleet.provisioning.resync against real sipp (sip-tester) processes
# playing the phones on loopback: a phone that answers 200, one that answers
# 481, one that challenges the NOTIFY with a digest (Snom's
# challenge_checksync) and checks the retry's Authorization with sipp's
# verifyauth, and one that never answers. Checks each device's result, the
# Event header each phone received (sipp's message log), that check mode
# sends nothing, that a challenge at a status address the phone did not prove
# is not answered (and is at one it proved), that deploy.yml's resync
# skips a device that left the inventory, and measures the rate against sipp
# with the limit off and on.
set -eu

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
make_work sipfleet-resync
here=$(cd "$(dirname "$0")" && pwd)
command -v sipp >/dev/null || fail "sipp is missing (Debian package sip-tester, listed in tests/bindep.txt)"

# Ports of the sipp phones (loopback only; far from the usual 5060).
port_ok=25160 port_481=25161 port_auth=25162 port_silent=25163 port_rate=25164 port_status=25165

mkdir -p "$work/inventory/group_vars/all"
"$test_python" - "$work" "$test_python" <<'PY'
import json, sys
work, python = sys.argv[1:]
devices = [
    {"name": "lobby", "mac": "80:5e:c0:11:22:33", "model": "T46U",
     "lines": [{"extension": "201", "password": "Yealink-201-Secret"}]},
    {"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170",
     "lines": [{"extension": "202", "password": "Gs202Secret"}]},
    {"name": "desk", "mac": "00:04:13:aa:bb:cc", "model": "D785",
     "lines": [{"extension": "301", "password": "Snom-301-Secret"}]},
    {"name": "lobby-ata", "mac": "88:01:2b:a0:12:34", "model": "SPA2102",
     "lines": [{"extension": "203", "password": "spa-203-secret"}]},
    {"name": "conference", "mac": "00:04:f2:aa:00:01", "model": "VVX410",
     "lines": [{"extension": "204", "password": "Poly-204-Secret"}]},
    {"name": "spare", "mac": "00:0b:82:00:00:99", "model": "GXP2170",
     "lines": [{"extension": "299", "password": "SpareSecret299"}]},
]
with open(work + "/inventory/group_vars/all/fleet.json", "w") as handle:
    json.dump({"sipfleet_devices": devices,
               "sipfleet_defaults": {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
                                     "provisioning_url": "https://prov.example.net"}}, handle)
with open(work + "/inventory/hosts.yml", "w") as handle:
    handle.write("provisioning_servers:\n  hosts:\n    prov1:\n      ansible_connection: local\n"
                 "      ansible_python_interpreter: %s\n" % python)
PY

# sipp_phone NAME SCENARIO PORT CALLS: a sipp UAS in the background, its
# message log in $work/NAME.msg; $work/NAME.pid holds its PID.
sipp_phone() {
    local name=$1 scenario=$2 port=$3 calls=$4
    (cd "$work" && exec sipp -sf "$here/$scenario" -i 127.0.0.1 -p "$port" -m "$calls" -nostdin \
        -trace_msg -message_file "$work/$name.msg" -trace_err -error_file "$work/$name.err" \
        -timeout 60 >"$work/$name.out" 2>&1) &
    echo $! >"$work/$name.pid"
    on_exit kill_quietly "$work/$name.pid"
}

kill_quietly() {
    kill "$(cat "$1")" 2>/dev/null || true
}

# wait_phone NAME: sipp's exit status (0: every call of its scenario passed).
wait_phone() {
    local status=0
    wait "$(cat "$work/$1.pid")" || status=$?
    [ "$status" -eq 0 ] || fail_with_log "$work/$1.out" "sipp $1 exited with $status"
}

addresses="{\"lobby\": \"127.0.0.1:$port_ok\", \"reception\": \"127.0.0.1:$port_ok\",
  \"00:04:13:AA:BB:CC\": \"127.0.0.1:$port_auth\", \"lobby-ata\": \"127.0.0.1:$port_481\",
  \"conference\": \"127.0.0.1:$port_silent\"}"

run_resync() {
    # $1: the result file; the rest: extra ansible-playbook arguments
    local result=$1
    shift
    ansible-playbook -i "$work/inventory/hosts.yml" "$here/resync.yml" \
        -e "{\"resync_devices\": [\"lobby\", \"reception\", \"desk\", \"lobby-ata\", \"conference\", \"spare\"],
             \"resync_addresses\": $addresses, \"result_file\": \"$result\"}" "$@" >"$result.log" 2>&1 \
        || fail_with_log "$result.log" "the resync playbook failed"
}

step "sipp phones: 200 (two phones), 481, digest challenge, silent"
sipp_phone ok uas_200.xml "$port_ok" 2
sipp_phone refuses uas_481.xml "$port_481" 1
sipp_phone challenges uas_401.xml "$port_auth" 1
sipp_phone silent uas_silent.xml "$port_silent" 1
sleep 1

step "check mode sends nothing and says what it would send"
run_resync "$work/check.json" --check
"$test_python" - "$work/check.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
by_device = dict((record["device"], record) for record in result["results"])
assert sorted(by_device) == ["conference", "desk", "lobby", "lobby-ata", "reception"], sorted(by_device)
assert all(record["result"] == "not sent (check mode)" and record["sent"] == 0 for record in by_device.values())
assert by_device["desk"]["uri"].startswith("sip:301@127.0.0.1:"), by_device["desk"]
assert result["no_address"] == ["spare"], result["no_address"]
PY
sleep 1
for name in ok refuses challenges silent; do
    [ ! -s "$work/$name.msg" ] || fail_with_log "$work/$name.msg" "check mode sent a NOTIFY to sipp $name"
done
pass "check mode: five planned, spare skipped, no message reached sipp"

step "the real run"
run_resync "$work/run.json"
# Ansible may wrap a long warning: join the lines first.
tr -s ' \n' '  ' <"$work/run.json.log" | grep -q "no address for 1 device(s), nothing sent to them: spare" \
    || fail_with_log "$work/run.json.log" "no warning about the device without an address"
if grep -q -e Yealink-201-Secret -e Snom-301-Secret -e Poly-204-Secret "$work/run.json" "$work/run.json.log"; then
    fail "a SIP password shows in the result or the output"
fi
"$test_python" - "$work/run.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
by_device = dict((record["device"], record) for record in result["results"])
expected = {
    "lobby": ("200 OK", "check-sync", False),
    "reception": ("200 OK", "check-sync", False),
    "desk": ("200 OK", "check-sync;reboot=false", True),
    "lobby-ata": ("481 Call/Transaction Does Not Exist", "resync", False),
    "conference": ("timeout", "check-sync", False),
}
for device, (outcome, event, authenticated) in expected.items():
    record = by_device[device]
    assert (record["result"], record["event"], record["authenticated"]) == (outcome, event, authenticated), record
assert by_device["conference"]["status"] is None and by_device["conference"]["sent"] >= 3, by_device["conference"]
assert result["summary"] == {"ok": 3, "failed": 1, "timeout": 1}, result["summary"]
assert result["changed"] is True
PY
pass "results: 200, 200, 200 after the challenge, 481, timeout"

wait_phone ok
wait_phone refuses
wait_phone challenges
kill_quietly "$work/silent.pid"

# What each phone received: its vendor's Event, once per transaction.
check_event() {
    # $1 sipp name, $2 the Request-URI user, $3 the Event value
    grep -q "^NOTIFY sip:$2@127.0.0.1:" "$work/$1.msg" || fail_with_log "$work/$1.msg" "sipp $1 got no NOTIFY for $2"
    grep -qx "Event: $3" <(tr -d '\r' <"$work/$1.msg") || fail_with_log "$work/$1.msg" "sipp $1 did not get Event: $3"
}
check_event ok 201 check-sync
check_event ok 202 check-sync
check_event refuses 203 resync
check_event challenges 301 "check-sync;reboot=false"
check_event silent 204 check-sync
tr -d '\r' <"$work/challenges.msg" | grep -q '^Authorization: Digest username="301", realm="snom", nonce="5e1f0a2b3c4d"' \
    || fail_with_log "$work/challenges.msg" "the retry carries no Authorization for the challenge"
[ "$(tr -d '\r' <"$work/challenges.msg" | grep -c '^CSeq: [12] NOTIFY$')" -ge 2 ] \
    || fail_with_log "$work/challenges.msg" "the retry is not a new transaction (CSeq 2)"
# The silent phone got the Timer E retransmissions of one transaction.
[ "$(tr -d '\r' <"$work/silent.msg" | grep -c '^NOTIFY sip:204@')" -ge 3 ] \
    || fail_with_log "$work/silent.msg" "no retransmissions to the silent phone"
pass "each phone got its vendor's Event; the challenged retry carried the digest sipp verified"

step "the reboot option picks the vendors' variants"
sipp_phone reboot uas_200.xml "$port_ok" 2
sleep 1
ansible-playbook -i "$work/inventory/hosts.yml" "$here/resync.yml" \
    -e "{\"resync_devices\": [\"lobby\", \"reception\"], \"resync_reboot\": true, \"result_file\": \"$work/reboot.json\",
         \"resync_addresses\": {\"lobby\": \"127.0.0.1:$port_ok\", \"reception\": \"127.0.0.1:$port_ok\"}}" \
    >"$work/reboot.log" 2>&1 || fail_with_log "$work/reboot.log" "the reboot run failed"
wait_phone reboot
check_event reboot 201 "check-sync;reboot=true"
check_event reboot 202 "check-sync"
tr -s ' \n' '  ' <"$work/reboot.log" | grep -q "Grandstream defines no reboot=true variant" \
    || fail_with_log "$work/reboot.log" "no warning that Grandstream has no reboot variant"
pass "reboot: Yealink got check-sync;reboot=true, Grandstream its plain check-sync and a warning"

step "a challenge at a status address is answered only when the phone proved that address"
# desk (Snom) has no address given: its address is the client of its last
# fetch in a status.json. That fetch was of a shared file (unauthenticated):
# when the phone's last authenticated fetch came from another address, anyone
# could have made the last one: the NOTIFY goes, the challenge is reported,
# not answered. When the proof came from the same address, it is answered.
write_status() {
    # $1: the status file, $2: the client of the device's last authenticated fetch
    printf '{"devices": [{"device": "desk", "mac": "000413aabbcc", "state": "current",
      "last_fetch": {"client": "127.0.0.1", "time": "2026-12-06T10:00:00Z", "authenticated": false},
      "last_authenticated": {"client": "%s", "time": "2026-12-06T09:00:00Z", "host": "prov-1",
      "scheme": "https", "path": "000413aabbcc.xml"}}]}\n' "$2" >"$1"
}
status_resync() {
    # $1: the result file, $2: the status file
    ansible-playbook -i "$work/inventory/hosts.yml" "$here/resync.yml" \
        -e "{\"resync_devices\": [\"desk\"], \"resync_addresses\": {}, \"resync_status_file\": \"$2\",
             \"resync_port\": $port_status, \"result_file\": \"$1\"}" >"$1.log" 2>&1 \
        || fail_with_log "$1.log" "the resync playbook failed"
}
write_status "$work/status-unauthenticated.json" 192.0.2.10
sipp_phone stranger uas_401_once.xml "$port_status" 1
sleep 1
status_resync "$work/unauthenticated.json" "$work/status-unauthenticated.json"
wait_phone stranger
"$test_python" - "$work/unauthenticated.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))["results"][0]
assert (record["device"], record["status"], record["authenticated"]) == ("desk", 401, False), record
assert record["address_source"] == "status: unauthenticated fetch", record
assert "challenge not answered" in record["note"] and "addresses" in record["note"], record
assert "last authenticated fetch came from 192.0.2.10" in record["note"], record
PY
[ "$(tr -d '\r' <"$work/stranger.msg" | grep -c '^NOTIFY sip:301@')" = 1 ] \
    || fail_with_log "$work/stranger.msg" "the challenging host did not get exactly one NOTIFY"
if tr -d '\r' <"$work/stranger.msg" | grep -q '^Authorization:'; then
    fail_with_log "$work/stranger.msg" "the challenge of an unauthenticated fetch's address was answered"
fi
tr -s ' \n' '  ' <"$work/unauthenticated.json.log" | grep -q "challenge was not answered: desk" \
    || fail_with_log "$work/unauthenticated.json.log" "no warning about the unanswered challenge"
write_status "$work/status-authenticated.json" 127.0.0.1
sipp_phone trusted uas_401.xml "$port_status" 1
sleep 1
status_resync "$work/authenticated.json" "$work/status-authenticated.json"
wait_phone trusted
"$test_python" - "$work/authenticated.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))["results"][0]
assert (record["status"], record["authenticated"], record["note"]) == (200, True, None), record
assert record["address_source"] == "status: authenticated fetch", record
PY
pass "address not proven: 401 reported, no Authorization sent; proven by the phone: challenge answered, 200"

step "deploy.yml with sipfleet_resync_changed notifies exactly the changed devices"
# Grandstream phones only: their profiles need nothing but generated keys.
mkdir -p "$work/deploy/group_vars/all"
export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-pass"
printf 'test-vault-password\n' >"$ANSIBLE_VAULT_PASSWORD_FILE"
write_deploy_inventory() {
    # $1: the display name of device "reception"; $2: "without-spare" to remove device "spare"
    "$test_python" - "$work" "$test_python" "$1" "$port_ok" "${2:-}" <<'PY'
import json, sys
work, python, display, port, without = sys.argv[1:]
devices = [
    {"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170",
     "lines": [{"extension": "202", "password": "Gs202Secret", "display_name": display}]},
    {"name": "spare", "mac": "00:0b:82:00:00:99", "model": "GXP2170",
     "lines": [{"extension": "299", "password": "SpareSecret299"}]},
]
if without == "without-spare":
    devices = devices[:1]
with open(work + "/deploy/group_vars/all/fleet.json", "w") as handle:
    json.dump({"sipfleet_devices": devices,
               "sipfleet_defaults": {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
                                     "provisioning_url": "http://prov.example.net"},
               "sipfleet_resync_changed": True,
               "sipfleet_resync_addresses": {"reception": "127.0.0.1:" + port, "spare": "127.0.0.1:" + port},
               "sipfleet_resync_timeout": 3}, handle)
with open(work + "/deploy/hosts.yml", "w") as handle:
    handle.write("provisioning_servers:\n  hosts:\n    prov1:\n      ansible_connection: local\n"
                 "      ansible_python_interpreter: %s\n      sipfleet_profile_roots: [%s/prov1/root]\n"
                 "      sipfleet_state_dir: %s/prov1/state\n      sipfleet_http_access_logs: [%s/prov1/access.log]\n"
                 "  vars:\n    sipfleet_key_store_path: %s/deploy/sipfleet_keys.vault\n"
                 # deploy.yml's DHCP play: the group exists, with no host.
                 "dhcp_servers: {}\n"
                 % (python, work, work, work, work))
PY
}
deploy() {
    ansible-playbook -i "$work/deploy/hosts.yml" sipfleet.provisioning.deploy --tags keys,profiles,resync \
        -e sipfleet_key_store_create=true "$@"
}
write_deploy_inventory "Reception"
sipp_phone deploy1 uas_200.xml "$port_ok" 2
sleep 1
deploy >"$work/deploy1.log" 2>&1 || fail_with_log "$work/deploy1.log" "the first deploy failed"
wait_phone deploy1
check_event deploy1 202 check-sync
check_event deploy1 299 check-sync
write_deploy_inventory "Front Desk"
sipp_phone deploy2 uas_200.xml "$port_ok" 1
sleep 1
deploy >"$work/deploy2.log" 2>&1 || fail_with_log "$work/deploy2.log" "the second deploy failed"
wait_phone deploy2
check_event deploy2 202 check-sync
! grep -q "^NOTIFY sip:299@" "$work/deploy2.msg" || fail_with_log "$work/deploy2.msg" "the unchanged phone got a NOTIFY"
deploy --check >"$work/deploy3.log" 2>&1 || fail_with_log "$work/deploy3.log" "the unchanged deploy failed"
grep -q "Tell the changed phones to fetch their files now" "$work/deploy3.log" \
    || fail_with_log "$work/deploy3.log" "the resync play did not run"
# A removed device's files are deleted, so it is a changed device, but it is
# no longer in the inventory: the resync skips it rather than failing the deploy.
write_deploy_inventory "Front Desk" without-spare
deploy -v >"$work/deploy4.log" 2>&1 || fail_with_log "$work/deploy4.log" "the deploy after removing a device failed"
tr -s ' \n' '  ' <"$work/deploy4.log" | grep -q "1 device(s) not in the inventory (removed or renamed), nothing sent to them: spare" \
    || fail_with_log "$work/deploy4.log" "no note that the removed device was skipped"
pass "deploy: both new phones notified; after one display name changed, only that phone; a removed one skipped"

step "rate against sipp: 500 NOTIFYs, limit off and at 200/s"
measure() {
    # $1: rate (0 = no limit); prints "sent N in S s: R/s"
    sipp_phone "rate$1" uas_200.xml "$port_rate" 500
    sleep 1
    PYTHONPATH="$(cd "$collection/../../.." && pwd)" "$test_python" - "$port_rate" "$1" <<'PY'
import sys, time
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _sip_notify
port, rate = int(sys.argv[1]), float(sys.argv[2])
targets = [{"device": "phone%03d" % index, "host": "127.0.0.1", "port": port, "user": "%d" % (1000 + index),
            "event": "check-sync"} for index in range(500)]
started = time.monotonic()
results = _sip_notify.notify_all(targets, rate=rate, concurrency=20, timeout=10)
elapsed = time.monotonic() - started
answered = sum(1 for record in results if record["status"] == 200)
assert answered == 500, [record["result"] for record in results if record["status"] != 200][:5]
# The limiter's own bound (499 intervals of 1/rate): a broken limiter finishes sooner.
assert not rate or elapsed >= 499 / rate, elapsed
print("rate limit %s: 500 NOTIFYs answered 200 in %.2f s: %.0f/s" % (rate or "off", elapsed, 500 / elapsed))
PY
    wait_phone "rate$1"
}
measure 0
measure 200

exit_on_failures_later
