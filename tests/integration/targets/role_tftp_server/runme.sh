#!/usr/bin/env bash
# The tftp_server role applied in a provisioning namespace, then exercised from
# a phone namespace with the tftp-hpa and atftp clients.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

prov_ip=10.99.11.1
defaults_file=/etc/default/tftpd-hpa

# The init script finds its daemon by name (start-stop-daemon --name
# in.tftpd): with another in.tftpd running, "start" would do nothing and
# "restart" would stop that one too.
refuse_if_running in.tftpd "the role's init script would take it for its own"
map_file=/etc/tftpd-hpa.map
[ ! -e "$map_file" ] || fail "$map_file exists before the test: it would be removed"

make_work role_tftp_server
if [ -e "$defaults_file" ]; then
    cp -p "$defaults_file" "$work/tftpd-hpa.orig"
    on_exit cp -p "$work/tftpd-hpa.orig" "$defaults_file"
fi
on_exit rm -f "$map_file"
setup_netns sft-tftp "$prov_ip/24" phone
phone_ns=sft-tftp-phone
lab_net_address "$phone_ns" 10.99.11.2/24

# The served root, and a file just outside it that escapes must not reach.
export TFTP_TEST_ROOT="$work/root"
echo "outside the TFTP root" >"$work/secret.txt"

run_role "$work/first.log" || fail_with_log "$work/first.log" "the first run failed"
run_role "$work/second.log" || fail_with_log "$work/second.log" "the second run failed"
expect_recap "$work/second.log" changed=0 unreachable=0 failed=0
echo "second run: changed=0"

# The daemon's options as its init script reads them (TFTP_OPTIONS, a shell
# assignment): chrooted, and no option that lets a client create files.
"$test_python" - "$defaults_file" <<'PYTHON' || fail "$defaults_file: the options are not as expected (above)"
import shlex
import sys

values = {}
for line in open(sys.argv[1], encoding="utf-8"):
    words = shlex.split(line, comments=True)
    if words and "=" in words[0]:
        name, value = words[0].split("=", 1)
        values[name] = value
options = shlex.split(values.get("TFTP_OPTIONS", ""))
assert "--secure" in options or "-s" in options, "TFTP_OPTIONS lacks --secure: %r" % options
assert not {"--create", "-c"} & set(options), "TFTP_OPTIONS allows --create: %r" % options
assert "--map-file" not in options, "TFTP_OPTIONS has a --map-file without refused paths: %r" % options
PYTHON
[ ! -e "$map_file" ] || fail "$map_file written without refused paths"
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
    in_namespace "$phone_ns" "$@"
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
if run_role "$work/bad.log" -e '{"tftp_server_extra_options": ["--no-such-option"]}'; then
    fail "a configuration with an unknown option was accepted"
fi
grep -q "unrecognized option '--no-such-option'" "$work/bad.log" || fail "the validation error is not shown: $(cat "$work/bad.log")"
[ "$(sha256sum <"$defaults_file")" = "$defaults_before" ] || fail "$defaults_file changed after a failed validation"
[ "$(ip netns pids "$prov_ns" | sort)" = "$pids_before" ] || fail "the daemon was restarted after a failed validation"
output=$(tftp_hpa_get cfg000b82123456.xml "$work/hpa/after-bad")
cmp "$TFTP_TEST_ROOT/cfg000b82123456.xml" "$work/hpa/after-bad" || fail "the daemon stopped serving: $output"
echo "an invalid option is refused by validation; the daemon and its configuration are untouched"

# A changed setting restarts the daemon with it.
run_role "$work/change.log" -e '{"tftp_server_blocksize": 512}' || fail_with_log "$work/change.log" "the run with a new block size failed"
expect_recap "$work/change.log" "changed>0"
trace=$(in_phone atftp --trace --option "blksize 8192" -g -r cfg000b82abcdef -l "$work/atftp/blksize512" "$prov_ip" 2>&1) \
    || fail "atftp failed after the restart: $trace"
grep -q 'blksize: 512' <<<"$trace" || fail "the restarted daemon did not cap blksize at 512: $trace"
echo "a new block size is in effect after the handler restarted the daemon"

# Per-device HTTP credentials: the files nginx gives only to a device's own
# credentials, which TFTP cannot carry. The same root holds them (a Yealink
# <mac>.cfg, a Poly <mac>-sipfleet.cfg) beside what must stay served: the
# fleet-wide zero-MAC and common files, the bootstrap files, the others'.
refused=(00156574B150.cfg 00156574b150.cfg /0004f2aa0001-sipfleet.cfg sub/00156574b150.cfg
         00156574b150_Security.enc 0004F2AA0001-phone.cfg)
served=(000000000000.cfg y000000000108.cfg 00156574b150.boot 00156574b150-bootstrap.cfg cfg000b82123456.xml
        000000000000-sipfleet.cfg 0004f2aa0001-bootstrap.cfg sub/000000000000.cfg)
mkdir "$TFTP_TEST_ROOT/sub"
for name in "${refused[@]}" "${served[@]}"; do
    [ -e "$TFTP_TEST_ROOT/$name" ] || echo "the file ${name#/}" >"$TFTP_TEST_ROOT/$name"
done
chown -R root:tftp "$TFTP_TEST_ROOT"
chmod 0640 "$TFTP_TEST_ROOT"/*.* "$TFTP_TEST_ROOT"/sub/*
chmod 0600 "$TFTP_TEST_ROOT/root-only.cfg"
chown root:root "$TFTP_TEST_ROOT/root-only.cfg"
chmod 0750 "$TFTP_TEST_ROOT/sub"
mkdir "$work/cred"

# Served byte for byte (tftp-hpa), or refused with an access violation
# (tftp-hpa reports the server's error and exits 0 either way; atftp fails).
expect_served() {
    local name=$1 local_name output
    local_name="$work/cred/$(tr / _ <<<"$name")"
    rm -f "$local_name"
    output=$(tftp_hpa_get "$name" "$local_name")
    cmp "$TFTP_TEST_ROOT/${name#/}" "$local_name" || fail "$name was not served: $output"
}
expect_refused() {
    local name=$1 local_name output
    local_name="$work/cred/refused"
    rm -f "$local_name"
    output=$(tftp_hpa_get "$name" "$local_name")
    grep -q 'Error code 2' <<<"$output" || fail "$name was not refused with an access violation: $output"
    [ ! -s "$local_name" ] || fail "$name returned data"
    if in_phone atftp -g -r "$name" -l "$local_name" "$prov_ip" 2>/dev/null; then
        fail "atftp fetched $name"
    fi
}

# Without tftp_server_refused_paths nothing is refused (the role as before).
for name in "${refused[@]}" "${served[@]}"; do
    expect_served "$name"
done
echo "without refused paths every file is served"

# A regex egrep cannot compile: the map file's validation fails, nothing changes.
defaults_before=$(sha256sum <"$defaults_file")
pids_before=$(ip netns pids "$prov_ns" | sort)
if run_role "$work/bad-regex.log" -e '{"tftp_test_refused_paths": ["(^|/)(unclosed\\.cfg$"]}'; then
    fail "a refused path that is no egrep regex was accepted"
fi
grep -q "not an egrep regex" "$work/bad-regex.log" || fail "the validation error is not shown: $(cat "$work/bad-regex.log")"
[ ! -e "$map_file" ] || fail "$map_file written after a failed validation"
[ "$(sha256sum <"$defaults_file")" = "$defaults_before" ] || fail "$defaults_file changed after a failed map validation"
[ "$(ip netns pids "$prov_ns" | sort)" = "$pids_before" ] || fail "the daemon was restarted after a failed map validation"
echo "a refused path that does not compile as egrep is refused by validation; nothing changes"

# The vendors' patterns, as deploy.yml passes them with the credentials on.
run_role "$work/refuse.log" -e tftp_test_vendor_refusal=true || fail_with_log "$work/refuse.log" "the run with refused paths failed"
expect_recap "$work/refuse.log" "changed>0"
grep -q -- '--map-file /etc/tftpd-hpa.map' "$defaults_file" || fail "$defaults_file does not name the map file: $(cat "$defaults_file")"
grep -q '^ai[[:space:]]' "$map_file" || fail "$map_file has no refusal rule: $(cat "$map_file")"
for name in "${refused[@]}"; do
    expect_refused "$name"
done
for name in "${served[@]}"; do
    expect_served "$name"
done
echo "refused: ${refused[*]}; still served: ${served[*]}"
run_role "$work/refuse-again.log" -e tftp_test_vendor_refusal=true || fail_with_log "$work/refuse-again.log" "the second run with refused paths failed"
expect_recap "$work/refuse-again.log" changed=0 unreachable=0 failed=0
echo "with refused paths, the second run: changed=0"

# Back without them: the map file goes, every file is served again.
run_role "$work/unrefuse.log" || fail_with_log "$work/unrefuse.log" "the run without refused paths failed"
[ ! -e "$map_file" ] || fail "$map_file left behind without refused paths"
! grep -q -- '--map-file' "$defaults_file" || fail "$defaults_file still names a map file"
for name in "${refused[@]}" "${served[@]}"; do
    expect_served "$name"
done
echo "without refused paths again, the map file is gone and every file is served"
