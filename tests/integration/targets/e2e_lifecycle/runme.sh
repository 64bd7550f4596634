#!/usr/bin/env bash
# Every vendor's phone life cycle, end to end with the files really served:
# the example inventory deployed with deploy.yml into network namespaces, then
# for each of the lab's four phones (lab/setup.sh), with the real servers and
# clients:
#   a. first contact: a factory-new phone reaches its SIP account (extension,
#      and the vault's password by SHA-256); requests and virtual minutes;
#   b. periodic resync, once a rerun closed the bootstrap windows from the
#      servers' logs: the same files, the account kept, nothing fetched in
#      vain, no key carrier served any more;
#   c. reboot after the window closed (the phone's flash kept): its account
#      again, from the files its boot order asks for;
#   d. factory reset after the window closed (flash erased): no SIP password
#      and no key reachable, every key carrier answers 404 (or 403).
# A step that fails is marked in the table and the target fails at the end,
# after the whole table is printed (docs/lifecycle.md shows it).
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
here=$collection/tests/integration/targets/e2e_lifecycle
# shellcheck source=tests/integration/targets/e2e_lifecycle/tftp_syslog.sh
. "$here/tftp_syslog.sh"

# Not e2e_lab's sfe nor scripts/lab's sfl: a lab left by one never meets another.
prefix=sfc
root=/srv/provisioning
started=$(date +%s)

# The syslog socket's path must fit in a sockaddr_un (108 bytes): a short
# directory of its own. Its rsyslogd stops after the lab's namespaces went.
syslog_dir=$(mktemp -d /tmp/sfc-syslog.XXXXXX)
on_exit rm -rf "$syslog_dir"
on_exit tftp_syslog_stop "$syslog_dir"
start_lab "$prefix"
lab_deploy_args=(-e "{\"sipfleet_tftp_logs\": [\"$syslog_dir/tftpd.log\"]}")

# all_phones STEP [ARGS...]: every phone at once (result NAME-STEP); their exit status is not checked here
all_phones() {
    local step_name=$1 name pids=()
    shift
    for name in "${LAB_PHONES[@]}"; do
        lab_phone "$name" "$name-$step_name" "$@" &
        pids+=($!)
    done
    # Only the phones: the test's rsyslogd is a background job too.
    for pid in "${pids[@]}"; do wait "$pid" || true; done
    for name in "${LAB_PHONES[@]}"; do cat "$work/$name-$step_name.out"; printf '\n'; done
}

# The table: one line per phone and step, PASS or FAIL with a few words.
results=$work/results
: >"$results"
record() {  # record PHONE STEP STATUS TEXT
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"
    [ "$3" = PASS ] || echo "FAIL: $1 $2: $4" >&2
}
# problems RESULT EXPECTATION...: what check_phone.py finds wrong in a report, on one line; empty when all hold
problems() {
    { "$test_python" "$collection/lab/check_phone.py" "$work/$1.json" "${@:2}" 2>&1 || true; } | head -2 |
        sed 's/^[^ ]*\.json: expected //' | tr '\n' ';'
}
in_vain() {  # in_vain RESULT: "; N fetched in vain (...)" from a report, nothing when none
    "$test_python" -c 'import json, sys
vain = json.load(open(sys.argv[1]))["in_vain"]
if vain:
    print("; at check %s: %d fetched in vain (%s)" % (vain[0]["cycle"], len(vain), vain[0]["why"].split(":")[0]))' "$work/$1.json"
}
first_account() {  # first_account RESULT: "N requests, M min" from a report
    "$test_python" -c 'import json, sys
first = json.load(open(sys.argv[1]))["first_account"]
print("%d requests, %g min" % (first["requests"], first["minutes"]) if first else "none")' "$work/$1.json"
}

# What each phone must end up with: extension and SIP password (e2e_lab's expectations, from the example vault).
declare -A account=(
    [gs]="line1.extension=201 secret:P34=Ber-recep-4Kd9"
    [spa]="line1.extension=301 secret:Password_1_=Muc-door-3Rv8"
    [mpp]="line1.extension=290 secret:Password_1_=Ber-fax-9Lc4"
    [pana]="line1.extension=221 secret:SIP_PASS_1=Ber-office-5Tz1"
)
# Its key and password parameters: what a factory-reset phone must not get.
declare -A credentials=(
    [gs]="no_secret:P1359 no_secret:P34"
    [spa]="no_secret:GPP_A no_secret:Password_1_"
    [mpp]="no_secret:GPP_A no_secret:Password_1_"
    [pana]="no_secret:CFG_FILE_KEY no_secret:SIP_PASS_1"
)
pana_model=$(lab_phone_args pana "$work" | sed -n '/^--model$/{n;p;}')
# The plain files that deliver each phone's key (its bootstrap window's files).
declare -A carriers=(
    [gs]="cfg000b82123456 cfg000b82123456.bin"
    [spa]="spa000e08abcdef.xml"
    [mpp]="0c1167abcdef.xml"
    [pana]="Config0080F0C8C381.cfg"
)
# carrier_status PHONE PATH: how the server answers the phone itself (its own
# address, User-Agent and certificate) for a key carrier: "404", "403", or
# "200 <file>" with the body saved to <file>.
carrier_status() {
    local name=$1 path=$2 out=$work/carrier.$1.$RANDOM status
    case $name in
        spa)
            if in_namespace "$prefix-$name" tftp -m binary "$LAB_SERVER_ADDRESS" -c get "$path" "$out" 2>&1 | grep -q "Error code 1"; then
                echo 404
            else
                echo "200 $out"
            fi ;;
        mpp)
            status=$(in_namespace "$prefix-$name" curl -s -o "$out" -w '%{http_code}' --cacert "$LAB_SERVER_CA" \
                --cert "$work/pki/phone.pem" --key "$work/pki/phone.key" \
                --resolve "prov.example.net:443:$LAB_SERVER_ADDRESS" "https://prov.example.net/$path")
            [ "$status" = 200 ] && echo "200 $out" || echo "$status" ;;
        *)
            status=$(in_namespace "$prefix-$name" curl -s -o "$out" -w '%{http_code}' "http://$LAB_SERVER_ADDRESS/$path")
            [ "$status" = 200 ] && echo "200 $out" || echo "$status" ;;
    esac
}
# no_key_carriers PHONE: every key carrier of PHONE answers 404/403, or (a
# Panasonic Config<MAC>.cfg once seed 004 step 3 applies) carries no key or
# password in clear. Prints what is wrong; silent when all is well. What
# each answered goes to $work/carriers.PHONE for the table.
no_key_carriers() {
    local name=$1 path answer body
    : >"$work/carriers.$name"
    for path in ${carriers[$name]}; do
        answer=$(carrier_status "$name" "$path")
        printf '%s ' "${answer%% *}" >>"$work/carriers.$name"
        case $answer in
            404|403) ;;
            "200 "*)
                body=${answer#200 }
                if grep -qaE 'Panasonic SIP Phone Standard Format File|CFG_FILE_KEY|P1359|GPP_A' "$body" ||
                    grep -qaFf "$work/secrets" "$body"; then
                    echo "$path is served in clear"
                else
                    printf '(encrypted) ' >>"$work/carriers.$name"
                fi ;;
            *) echo "$path answers $answer" ;;
        esac
    done
}

step "deploy the example inventory (first run creates the key store)"
tftp_syslog_start "$syslog_dir"
lab_deploy first -e sipfleet_key_store_create=true || fail_with_log "$work/first" "the first deploy failed"
# tftpd-hpa logs its read requests to /dev/log, which nothing serves here:
# run it again with a /dev/log of its own (tftp_syslog.sh).
tftp_syslog_restart_tftpd "$prefix-prov" "$syslog_dir"
# Every password of the vault and key of the store (a Cisco GPP_B directory is
# in URLs by design) that must never be served in clear after the window.
{ lab_vault_passwords; lab_store_keys all; } >"$work/secrets"
[ "$(wc -l <"$work/secrets")" -ge 16 ] || fail "could not read the vault's passwords and the store's keys"
for name in "${LAB_PHONES[@]}"; do
    password=${account[$name]##*=}
    grep -qxF -- "$password" "$work/secrets" || fail "$name's expected password is not the vault's"
done

step "a. first contact: factory-new phones (no flash), one periodic check"
# A Panasonic phone fetches its encrypted file only at its next cyclic check.
all_phones a --resyncs 1
for name in "${LAB_PHONES[@]}"; do
    # shellcheck disable=SC2086  # one expectation a word
    problem=$(problems "$name-a" first_account ${account[$name]} "first_account_minutes<=10")
    if [ -z "$problem" ]; then
        record "$name" first-contact PASS "$(first_account "$name-a")$(in_vain "$name-a")"
    else
        record "$name" first-contact FAIL "$(first_account "$name-a"); $problem"
    fi
done

step "b. rerun: the fetches in the servers' logs close the windows; then two periodic checks"
lab_deploy second || fail_with_log "$work/second" "the second deploy failed"
grep -q 'RRQ from .* filename /\?spa000e08abcdef.xml$' "$syslog_dir/tftpd.log" ||
    fail "tftpd's read request of the SPA's key carrier is not in $syslog_dir/tftpd.log"
before=$(cd "$root" && find . -type f -exec sha256sum {} + | sort)
all_phones b --no-boot --resyncs 2
after=$(cd "$root" && find . -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || fail "the served files changed while the phones resynced"
for name in "${LAB_PHONES[@]}"; do
    carrier_args=()
    for carrier in ${carriers[$name]}; do carrier_args+=("not_fetched=$carrier"); done
    # shellcheck disable=SC2086
    problem=$(problems "$name-b" ok resyncs=2 no_in_vain unchanged ${account[$name]} "${carrier_args[@]}")$(no_key_carriers "$name")
    if [ -z "$problem" ]; then
        record "$name" resync PASS "2 checks, same files, account kept, nothing in vain; key carriers answer $(xargs <"$work/carriers.$name")"
    else
        record "$name" resync FAIL "$problem"
    fi
done

step "c. reboot after the window closed (flash kept)"
all_phones c
for name in "${LAB_PHONES[@]}"; do
    # shellcheck disable=SC2086
    problem=$(problems "$name-c" ok first_account first_account_cycle=0 no_in_vain ${account[$name]})
    if [ -z "$problem" ]; then
        record "$name" reboot PASS "account again in the boot ($(first_account "$name-c"))"
    else
        record "$name" reboot FAIL "$problem"
    fi
done

step "d. factory reset after the window closed (flash erased)"
for name in "${LAB_PHONES[@]}"; do rm -f "$work/$name.state"; done
all_phones d --resyncs 1
for name in "${LAB_PHONES[@]}"; do
    # shellcheck disable=SC2086
    problem=$(problems "$name-d" no_first_account ${credentials[$name]})$(no_key_carriers "$name")
    if [ -z "$problem" ]; then
        record "$name" factory-reset PASS "no password, no key; key carriers answer $(xargs <"$work/carriers.$name")"
    else
        record "$name" factory-reset FAIL "$problem"
    fi
done
# Nothing in the served root carries one of the lab phones' passwords or keys
# in clear any more (the example's other devices never fetched: their windows are open).
for name in "${LAB_PHONES[@]}"; do printf '%s\n' "${account[$name]##*=}"; done >"$work/lab-secrets"
lab_store_keys 000b82123456 000e08abcdef 0c1167abcdef 0080f0c8c381 >>"$work/lab-secrets"
[ "$(wc -l <"$work/lab-secrets")" -ge 8 ] || fail "could not read the lab phones' keys from the key store"
if grep -rqaFf "$work/lab-secrets" "$root"; then
    fail "a lab phone's password or key is served in clear after its window closed: $(grep -rlaFf "$work/lab-secrets" "$root" | tr '\n' ' ')"
fi

step "the life cycle, per vendor"
"$test_python" "$here/table.py" "$results" "$pana_model" | tee "$work/table.md"
echo "wall time: $(( $(date +%s) - started )) s"
if grep -q "	FAIL	" "$results"; then
    fail "$(grep -c "	FAIL	" "$results") life-cycle step(s) failed (table above)"
fi
echo "all life-cycle checks passed"
