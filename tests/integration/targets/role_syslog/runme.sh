#!/usr/bin/env bash
# The syslog role applied in a provisioning namespace; phones in another
# namespace send with logger from several source addresses.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

prov_ip=10.99.12.1
logrotate_file=/etc/logrotate.d/sft-log-test

make_work role_syslog
export SYSLOG_TEST_DIR="$work"
pidfile="$work/rsyslogd.pid"
config="$work/etc/rsyslog-phones.conf"
phones="$work/log/phones"
daemon_log="$work/log/rsyslogd.log"
on_exit rm -f "$logrotate_file"

# Two allowed phones (10.99.12.0/29) and one outside the allowed network,
# all in one namespace (send_from picks the source address).
setup_netns sft-log "$prov_ip/24" phone
phone_ns=sft-log-phone
lab_net_address "$phone_ns" 10.99.12.2/24 10.99.12.3/24 10.99.12.100/24

receiver_pid() {
    cat "$pidfile"
}

wait_for_port() {
    for _ in $(seq 50); do
        if in_namespace "$prov_ns" ss -Hlun "src $prov_ip:514" | grep -q .; then
            return 0
        fi
        sleep 0.1
    done
    fail "nothing listens on $prov_ip:514"
}

# logger has no option for the source address; a host route with a
# preferred source picks it. Phones send BSD-style (RFC 3164) messages.
send_from() {
    local source=$1 message=$2
    ip -n "$phone_ns" route replace "$prov_ip/32" dev eth0 src "$source"
    in_namespace "$phone_ns" logger --rfc3164 -n "$prov_ip" -P 514 -d -t resync "$message"
}

wait_for_line() {
    local file=$1 text=$2
    for _ in $(seq 50); do
        if grep -qF -- "$text" "$file" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    fail "'$text' did not arrive in $file"
}

run_role "$work/first.log" || fail_with_log "$work/first.log" "the first run failed"
run_role "$work/second.log" || fail_with_log "$work/second.log" "the second run failed"
expect_recap "$work/second.log" changed=0 unreachable=0 failed=0
echo "second run: changed=0"

pid=$(receiver_pid)
[ "$(readlink "/proc/$pid/exe")" = /usr/sbin/rsyslogd ] || fail "the pidfile does not name an rsyslogd"
ip netns pids "$prov_ns" | grep -qx "$pid" || fail "the receiver does not run in $prov_ns"
wait_for_port
[ -f "$logrotate_file" ] || fail "no $logrotate_file"

run_id=$$-$RANDOM
marker_a="resync-done phone-A $run_id"
marker_b="resync-done phone-B $run_id"
marker_c="from-outside $run_id"
send_from 10.99.12.2 "$marker_a"
send_from 10.99.12.3 "$marker_b"
send_from 10.99.12.100 "$marker_c"
wait_for_line "$phones/10.99.12.2.log" "$marker_a"
wait_for_line "$phones/10.99.12.3.log" "$marker_b"
if grep -qF -- "$marker_b" "$phones/10.99.12.2.log"; then
    fail "phone B's message is in phone A's file"
fi
if grep -qF -- "$marker_a" "$phones/10.99.12.3.log"; then
    fail "phone A's message is in phone B's file"
fi
grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ 10\.99\.12\.2 [^ ]+ user\.notice resync: $marker_a\$" "$phones/10.99.12.2.log" \
    || fail "unexpected line format: $(cat "$phones/10.99.12.2.log")"
echo "each phone's message is in its own file, with time, address, severity and tag"

wait_for_line "$daemon_log" "UDP message from disallowed sender discarded"
[ ! -e "$phones/10.99.12.100.log" ] || fail "a sender outside syslog_allowed_senders was logged"
# Nothing but the per-phone files holds phone messages: not the daemon's
# own log, not the host's logs.
for marker in "$marker_a" "$marker_b" "$marker_c"; do
    found=$(grep -rlF -- "$marker" "$work/log" /var/log 2>/dev/null | sort | tr '\n' ' ' || true)
    case "$marker" in
        "$marker_a") expected="$phones/10.99.12.2.log " ;;
        "$marker_b") expected="$phones/10.99.12.3.log " ;;
        *) expected="" ;;
    esac
    [ "$found" = "$expected" ] || fail "'$marker' found in '$found', expected '$expected'"
done
echo "the sender outside the allowed network is dropped; phone messages are nowhere else"

# An invalid network makes rsyslogd -N1 fail: the running receiver and its
# configuration stay as they were.
config_before=$(sha256sum <"$config")
if run_role "$work/bad.log" -e '{"syslog_allowed_senders": ["10.99.12.0/99"]}'; then
    fail "a configuration with an invalid network was accepted"
fi
grep -q 'Invalid number of bits (99)' "$work/bad.log" || fail "the validation error is not shown: $(cat "$work/bad.log")"
[ "$(sha256sum <"$config")" = "$config_before" ] || fail "the configuration changed after a failed validation"
if [ "$(receiver_pid)" != "$pid" ] || ! kill -0 "$pid"; then
    fail "the receiver was restarted after a failed validation"
fi
marker_d="still-running $run_id"
send_from 10.99.12.2 "$marker_d"
wait_for_line "$phones/10.99.12.2.log" "$marker_d"
echo "an invalid network is refused by rsyslogd -N1; the receiver and its configuration are untouched"

# A changed setting restarts the receiver with it.
run_role "$work/change.log" -e '{"syslog_allowed_senders": ["10.99.12.0/24"]}' ||
    fail_with_log "$work/change.log" "the run with new allowed senders failed"
expect_recap "$work/change.log" "changed>0"
[ "$(receiver_pid)" != "$pid" ] || fail "the receiver was not restarted"
pid=$(receiver_pid)
wait_for_port
marker_e="now-allowed $run_id"
send_from 10.99.12.100 "$marker_e"
wait_for_line "$phones/10.99.12.100.log" "$marker_e"
echo "after the restart the newly allowed sender is logged"

# Rotation: logrotate's postrotate HUP makes the receiver write new files.
logrotate --state "$work/logrotate.state" --force "$logrotate_file"
[ -f "$phones/10.99.12.2.log.1" ] || fail "logrotate did not rotate 10.99.12.2.log"
marker_f="after-rotation $run_id"
send_from 10.99.12.2 "$marker_f"
wait_for_line "$phones/10.99.12.2.log" "$marker_f"
if grep -qF -- "$marker_a" "$phones/10.99.12.2.log"; then
    fail "the receiver still writes to the rotated file"
fi
[ "$(receiver_pid)" = "$pid" ] || fail "rotation restarted the receiver"
echo "after rotation the receiver writes to a new file"
