#!/usr/bin/env bash
# The tftp_server role applied in a provisioning namespace, then exercised from
# a phone namespace with the tftp-hpa and atftp clients.
set -euo pipefail

prov_ns=sft-tftp-prov
phone_ns=sft-tftp-phone
prov_ip=10.99.11.1
phone_ip=10.99.11.2
defaults_file=/etc/default/tftpd-hpa

# The init script finds its daemon by name (start-stop-daemon --name
# in.tftpd): with another in.tftpd running, "start" would do nothing and
# "restart" would stop that one too.
if ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 == "in.tftpd" { found = 1 } END { exit !found }'; then
    echo "an in.tftpd process is already running on this host; not testing" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/role_tftp_server.XXXXXX")
defaults_backup=""
if [ -e "$defaults_file" ]; then
    defaults_backup="$work/tftpd-hpa.orig"
    cp -p "$defaults_file" "$defaults_backup"
fi

cleanup() {
    local pids
    # Only what runs inside this test's namespace: the daemon and its children.
    pids=$(ip netns pids "$prov_ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086  # one PID per word
        kill $pids 2>/dev/null || true
    fi
    ip netns del "$phone_ns" 2>/dev/null || true
    ip netns del "$prov_ns" 2>/dev/null || true
    if [ -n "$defaults_backup" ]; then
        cp -p "$defaults_backup" "$defaults_file"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ip netns add "$prov_ns"
ip netns add "$phone_ns"
ip link add sft-tftp-pv type veth peer name sft-tftp-ph
ip link set sft-tftp-pv netns "$prov_ns"
ip link set sft-tftp-ph netns "$phone_ns"
ip -n "$prov_ns" addr add "$prov_ip/24" dev sft-tftp-pv
ip -n "$phone_ns" addr add "$phone_ip/24" dev sft-tftp-ph
for ns in "$prov_ns" "$phone_ns"; do
    ip -n "$ns" link set lo up
done
ip -n "$prov_ns" link set sft-tftp-pv up
ip -n "$phone_ns" link set sft-tftp-ph up

# The served root, and a file just outside it that escapes must not reach.
export TFTP_TEST_ROOT="$work/root"
echo "outside the TFTP root" >"$work/secret.txt"

run_role() {
    ip netns exec "$prov_ns" ansible-playbook -i "$INVENTORY_PATH" -c local \
        -e ansible_python_interpreter=/usr/bin/python3 "$@" playbook.yml
}

run_role | tee "$work/first.log"
run_role | tee "$work/second.log"
grep -Eq '^testhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$work/second.log" \
    || fail "the second run changed something"
echo "second run: changed=0"

grep -q -- "--secure" "$defaults_file" || fail "$defaults_file lacks --secure"
if grep -q -- "--create" "$defaults_file"; then
    fail "$defaults_file allows --create"
fi
[ "$(stat -c '%U:%G %a' "$TFTP_TEST_ROOT")" = "root:tftp 750" ] \
    || fail "the root is $(stat -c '%U:%G %a' "$TFTP_TEST_ROOT"), not root:tftp 750"
[ -n "$(ip netns pids "$prov_ns")" ] || fail "no daemon runs in $prov_ns"

# Profiles as a provisioning job leaves them: group-readable by the daemon,
# hidden from other local users.
printf '<?xml version="1.0"?>\n<gs_provision version="1"><config version="1"><P47>sip.example.net</P47></config></gs_provision>\n' \
    >"$TFTP_TEST_ROOT/cfg000b82123456.xml"
printf '# Cisco SPA\n<flat-profile><Proxy_1_>sip.example.net</Proxy_1_></flat-profile>\n' >"$TFTP_TEST_ROOT/spa000e08123456.cfg"
# Binary, several blocks long, with every byte value and a partial last block.
head -c 100000 /dev/urandom >"$TFTP_TEST_ROOT/cfg000b82abcdef"
mkdir "$TFTP_TEST_ROOT/Config"
printf 'SIP_RGSTR_ADDR_1="sip.example.net"\n' >"$TFTP_TEST_ROOT/Config/Config080023123456.cfg"
chown -R root:tftp "$TFTP_TEST_ROOT"/*
chmod 0640 "$TFTP_TEST_ROOT"/*.xml "$TFTP_TEST_ROOT"/*.cfg "$TFTP_TEST_ROOT/cfg000b82abcdef" "$TFTP_TEST_ROOT"/Config/*
chmod 0750 "$TFTP_TEST_ROOT/Config"
# Only root may read this one: the daemon must have dropped to the tftp user.
echo "root only" >"$TFTP_TEST_ROOT/root-only.cfg"
chmod 0600 "$TFTP_TEST_ROOT/root-only.cfg"
chown root:root "$TFTP_TEST_ROOT/root-only.cfg"

in_phone() {
    ip netns exec "$phone_ns" "$@"
}

# tftp-hpa's client exits 0 even when the server refuses, so both its output
# and the local file are checked.
tftp_hpa_get() {
    in_phone tftp -m binary "$prov_ip" -c get "$1" "$2" 2>&1
}

mkdir "$work/hpa" "$work/atftp"
for profile in cfg000b82123456.xml spa000e08123456.cfg cfg000b82abcdef Config/Config080023123456.cfg; do
    local_name=${profile//\//_}
    output=$(tftp_hpa_get "$profile" "$work/hpa/$local_name")
    cmp "$TFTP_TEST_ROOT/$profile" "$work/hpa/$local_name" || fail "tftp-hpa got a different $profile: $output"
    in_phone atftp -g -r "$profile" -l "$work/atftp/$local_name" "$prov_ip" \
        || fail "atftp could not fetch $profile"
    cmp "$TFTP_TEST_ROOT/$profile" "$work/atftp/$local_name" || fail "atftp got a different $profile"
done
echo "tftp-hpa and atftp fetched every profile byte for byte"

# The daemon caps negotiated blocks at tftp_server_blocksize (1024 here).
trace=$(in_phone atftp --trace --option "blksize 8192" -g -r cfg000b82abcdef -l "$work/atftp/blksize" "$prov_ip" 2>&1) \
    || fail "atftp with blksize 8192 failed: $trace"
grep -q 'blksize: 1024' <<<"$trace" || fail "the server did not cap blksize at 1024: $trace"
cmp "$TFTP_TEST_ROOT/cfg000b82abcdef" "$work/atftp/blksize" || fail "the 1024-byte-block transfer differs"
echo "blksize 8192 requested, 1024 negotiated"

# Escapes from the root: the chroot of --secure resolves "../" inside it.
for escape in ../secret.txt ../../etc/passwd /etc/passwd ../../../../../../etc/passwd; do
    local_name="$work/hpa/escape"
    rm -f "$local_name"
    output=$(tftp_hpa_get "$escape" "$local_name")
    grep -q 'Error code 1: File not found' <<<"$output" || fail "$escape was not refused: $output"
    [ ! -s "$local_name" ] || fail "$escape returned data"
    if in_phone atftp -g -r "$escape" -l "$work/atftp/escape" "$prov_ip" 2>/dev/null; then
        fail "atftp fetched $escape"
    fi
done
echo "../ and absolute paths refused"

output=$(tftp_hpa_get root-only.cfg "$work/hpa/root-only.cfg")
grep -q 'Permission denied' <<<"$output" || fail "a root-only file was served: $output"
echo "a file only root may read is refused: the daemon runs as tftp"

# A missing file is an error; tftp-hpa still leaves an empty local file.
rm -f "$work/hpa/missing.cfg"
output=$(tftp_hpa_get cfg000000000000.xml "$work/hpa/missing.cfg")
grep -q 'Error code 1: File not found' <<<"$output" || fail "no error for a missing file: $output"
if [ ! -e "$work/hpa/missing.cfg" ] || [ -s "$work/hpa/missing.cfg" ]; then
    fail "expected tftp-hpa to leave an empty local file after the error"
fi
if in_phone atftp -g -r cfg000000000000.xml -l "$work/atftp/missing.cfg" "$prov_ip" 2>/dev/null; then
    fail "atftp reported success for a missing file"
fi
echo "a missing file is an error (tftp-hpa leaves an empty local file behind)"

# Writes: neither a new file nor an existing profile may be written.
echo "overwritten" >"$work/upload.cfg"
sum_before=$(cd "$TFTP_TEST_ROOT" && find . -type f -exec sha256sum {} + | sort)
output=$(in_phone tftp -m binary "$prov_ip" -c put "$work/upload.cfg" new-file.cfg 2>&1)
grep -q 'Error code' <<<"$output" || fail "a put of a new file was not refused: $output"
output=$(in_phone tftp -m binary "$prov_ip" -c put "$work/upload.cfg" cfg000b82123456.xml 2>&1)
grep -q 'Error code' <<<"$output" || fail "a put over a profile was not refused: $output"
if in_phone atftp -p -l "$work/upload.cfg" -r spa000e08123456.cfg "$prov_ip" 2>/dev/null; then
    fail "atftp put over a profile succeeded"
fi
sum_after=$(cd "$TFTP_TEST_ROOT" && find . -type f -exec sha256sum {} + | sort)
[ "$sum_before" = "$sum_after" ] || fail "the root changed after the puts"
echo "puts refused, the root is unchanged"

# An option in.tftpd does not know fails validation: the old configuration
# stays and the running daemon keeps serving.
defaults_before=$(sha256sum <"$defaults_file")
pids_before=$(ip netns pids "$prov_ns" | sort)
if run_role -e '{"tftp_server_extra_options": ["--no-such-option"]}' >"$work/bad.log" 2>&1; then
    fail "a configuration with an unknown option was accepted"
fi
grep -q "unrecognized option '--no-such-option'" "$work/bad.log" || fail "the validation error is not shown: $(cat "$work/bad.log")"
[ "$(sha256sum <"$defaults_file")" = "$defaults_before" ] || fail "$defaults_file changed after a failed validation"
[ "$(ip netns pids "$prov_ns" | sort)" = "$pids_before" ] || fail "the daemon was restarted after a failed validation"
output=$(tftp_hpa_get cfg000b82123456.xml "$work/hpa/after-bad")
cmp "$TFTP_TEST_ROOT/cfg000b82123456.xml" "$work/hpa/after-bad" || fail "the daemon stopped serving: $output"
echo "an invalid option is refused by validation; the daemon and its configuration are untouched"

# A changed setting restarts the daemon with it.
run_role -e '{"tftp_server_blocksize": 512}' | tee "$work/change.log"
grep -Eq '^testhost +: ok=[0-9]+ +changed=[1-9]' "$work/change.log" || fail "changing the block size changed nothing"
trace=$(in_phone atftp --trace --option "blksize 8192" -g -r cfg000b82abcdef -l "$work/atftp/blksize512" "$prov_ip" 2>&1) \
    || fail "atftp failed after the restart: $trace"
grep -q 'blksize: 512' <<<"$trace" || fail "the restarted daemon did not cap blksize at 512: $trace"
echo "a new block size is in effect after the handler restarted the daemon"
