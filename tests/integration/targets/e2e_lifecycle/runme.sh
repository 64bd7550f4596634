#!/usr/bin/env bash
# Every vendor's phone life cycle, end to end with the files really served:
# the example inventory deployed with deploy.yml into network namespaces, then
# for each of the lab's eight phones (lab/setup.sh), with the real servers and
# clients:
#   a. first contact: a factory-new phone reaches its SIP account (extension,
#      and the vault's password by SHA-256); requests and virtual minutes; a
#      Yealink, Poly, Snom or Fanvil phone also learns its HTTP credentials
#      (the key store's http_password, by SHA-256) and fetches its own file
#      with them;
#   b. periodic resync, once a rerun closed the bootstrap windows from the
#      servers' logs: the same files, the account kept, nothing fetched in
#      vain, no key carrier served any more (Yealink, Poly, Snom and Fanvil:
#      their bootstrap file is still served, without the password);
#   c. reboot after the window closed (the phone's flash kept): its account
#      again, from the files its boot order asks for (Yealink, Poly, Snom and
#      Fanvil: with the credentials in their flash);
#   d. factory reset after the window closed (flash erased): no SIP password
#      and no key reachable, every key carrier answers 404 (or 403); the own
#      files of Yealink, Poly, Snom and Fanvil answer 401 without credentials,
#      also to a stranger with the phone's User-Agent, and 403 to another
#      device's credentials;
#      TFTP, which carries no credentials, refuses them to a stranger.
# A step that fails is marked in the table and the target fails at the end,
# after the whole table is printed (docs/lifecycle.md shows it).
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
here=$collection/tests/integration/targets/e2e_lifecycle

# Not e2e_lab's sfe nor scripts/lab's sfl: a lab left by one never meets another.
prefix=sfc
root=/srv/provisioning
started=$(date +%s)

# tftpd-hpa's read requests, which close the SPA's bootstrap window.
lab_tftp_syslog
# scan: a stranger on the phone LAN, with an address of its own.
start_lab "$prefix" scan
lab_net_address "$prefix-scan" 10.99.20.67/$LAB_PREFIX_LENGTH

# all_phones STEP [ARGS...]: every phone at once (result NAME-STEP); their exit status is not checked here
all_phones() {
    local step_name=$1 name pids=()
    shift
    for name in "${LAB_PHONES[@]}"; do
        lab_phone "$name" "$name-$step_name" "$@" &
        pids+=($!)
    done
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
    [yl]="line1.extension=231 secret:account.1.password=Ber-sales-6Hn3"
    [poly]="line1.extension=241 secret:reg.1.auth.password=Ber-meeting-3Xk7"
    [snom]="line1.extension=251 secret:user_pass[1]=Ber-lobby-5Gs8"
    [fanvil]="line1.extension=261 secret:SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Register_Pswd=Ber-wareh-2Fv6"
)
# Its key and password parameters: what a factory-reset phone must not get.
declare -A credentials=(
    [gs]="no_secret:P1359 no_secret:P34"
    [spa]="no_secret:GPP_A no_secret:Password_1_"
    [mpp]="no_secret:GPP_A no_secret:Password_1_"
    [pana]="no_secret:CFG_FILE_KEY no_secret:SIP_PASS_1"
    [yl]="no_secret:static.auto_provision.server.password no_secret:account.1.password no_http_credentials"
    [poly]="no_secret:device.prov.password no_secret:reg.1.auth.password no_http_credentials"
    [snom]="no_secret:http_client_pass no_secret:user_pass[1] no_http_credentials"
    [fanvil]="no_secret:AUTOUPDATE_CONFIG_MODULE.Download_Password no_secret:SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Register_Pswd no_http_credentials"
)
pana_model=$(lab_phone_args pana "$work" | sed -n '/^--model$/{n;p;}')
# The plain files that deliver each phone's key (its bootstrap window's files).
declare -A carriers=(
    [gs]="cfg000b82123456 cfg000b82123456.bin"
    [spa]="spa000e08abcdef.xml"
    [mpp]="0c1167abcdef.xml"
    [pana]="Config0080F0C8C381.cfg"
    [yl]="00156574b150-bootstrap.cfg"
    [poly]="0004f2aa0001-bootstrap.cfg"
    [snom]="snom-0004135E0001-bootstrap.xml"
    [fanvil]="0c383e5e0002-bootstrap.cfg"
)
# Yealink, Poly, Snom and Fanvil: their MAC, the file the HTTP credentials
# guard, the parameter the phone keeps the password in, and the phone of
# another family whose valid credentials must not open it.
declare -A http_mac=([yl]=00156574b150 [poly]=0004f2aa0001 [snom]=0004135e0001 [fanvil]=0c383e5e0002)
declare -A http_file=([yl]=00156574b150.cfg [poly]=0004f2aa0001-sipfleet.cfg [snom]=snom-0004135E0001.xml
    [fanvil]=0c383e5e0002.cfg)
declare -A http_parameter=([yl]=static.auto_provision.server.password [poly]=device.prov.password
    [snom]=http_client_pass [fanvil]=AUTOUPDATE_CONFIG_MODULE.Download_Password)
declare -A http_other=([yl]=poly [poly]=yl [snom]=fanvil [fanvil]=snom)
# store_key MAC NAME: one key of the key store
store_key() {
    ansible-vault view "$work/repo/sipfleet_keys.vault" | "$test_python" -c '
import json, sys
for mac, entry in json.load(sys.stdin)["devices"].items():
    if mac.replace(":", "").lower() == sys.argv[1]:
        print(entry[sys.argv[2]])' "$1" "$2"
}
# http_expectations PHONE STEP: what check_phone.py asserts on top for a phone with HTTP credentials
http_expectations() {
    local name=$1 step_name=$2 password
    [ -n "${http_mac[$name]:-}" ] || return 0
    case $step_name in
        a|b|c) password=$(store_key "${http_mac[$name]}" http_password)
               printf '%s\n' "http_user=$(lab_http_user "${http_mac[$name]}" "$password")" \
                   "fetched_with_credentials=${http_file[$name]}" "secret:${http_parameter[$name]}=$password" ;;
        d) printf '%s\n' "refused=${http_file[$name]}" ;;
    esac
}
# http_status PHONE NAMESPACE [curl options...]: the status of PHONE's own file from NAMESPACE, with the phone's User-Agent
http_status() {
    local name=$1 namespace=$2 agent
    shift 2
    agent=$("$test_python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["user_agent"])' "$work/$name-a.json")
    in_namespace "$namespace" curl -s -o /dev/null -w '%{http_code}' -A "$agent" "$@" \
        "http://$LAB_SERVER_ADDRESS/${http_file[$name]}"
}
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
                if grep -qaE 'Panasonic SIP Phone Standard Format File|CFG_FILE_KEY|P1359|GPP_A|server\.password|device\.prov\.password|http_client_pass|Download_Password' "$body" ||
                    grep -qaFf "$work/secrets" "$body"; then
                    echo "$path is served in clear"
                elif [ -n "${http_mac[$name]:-}" ]; then
                    printf '(no password) ' >>"$work/carriers.$name"
                else
                    printf '(encrypted) ' >>"$work/carriers.$name"
                fi ;;
            *) echo "$path answers $answer" ;;
        esac
    done
}

step "deploy the example inventory (first run creates the key store)"
lab_deploy first -e sipfleet_key_store_create=true || fail_with_log "$work/first" "the first deploy failed"
# tftpd-hpa logs its read requests to /dev/log, which nothing serves here:
# run it again with a /dev/log of its own (lab/tftp_syslog.sh).
lab_tftp_syslog_attach
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
    mapfile -t extra < <(http_expectations "$name" a)
    # shellcheck disable=SC2086  # one expectation a word
    problem=$(problems "$name-a" first_account ${account[$name]} "first_account_minutes<=10" "${extra[@]}")
    if [ -z "$problem" ]; then
        record "$name" first-contact PASS "$(first_account "$name-a")$(in_vain "$name-a")"
    else
        record "$name" first-contact FAIL "$(first_account "$name-a"); $problem"
    fi
done

step "b. rerun: the fetches in the servers' logs close the windows; then two periodic checks"
lab_deploy second || fail_with_log "$work/second" "the second deploy failed"
grep -q 'RRQ from .* filename /\?spa000e08abcdef.xml$' "$lab_tftp_log" ||
    fail "tftpd's read request of the SPA's key carrier is not in $lab_tftp_log"
before=$(cd "$root" && find . -type f -exec sha256sum {} + | sort)
all_phones b --no-boot --resyncs 2
after=$(cd "$root" && find . -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || fail "the served files changed while the phones resynced"
for name in "${LAB_PHONES[@]}"; do
    # The HTTP-credential families' bootstraps stay served, emptied: fetching them is their boot order.
    mapfile -t carrier_args < <(http_expectations "$name" b)
    [ -n "${http_mac[$name]:-}" ] || for carrier in ${carriers[$name]}; do carrier_args+=("not_fetched=$carrier"); done
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
    mapfile -t extra < <(http_expectations "$name" c)
    # shellcheck disable=SC2086
    problem=$(problems "$name-c" ok first_account first_account_cycle=0 no_in_vain ${account[$name]} "${extra[@]}")
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
    mapfile -t extra < <(http_expectations "$name" d)
    # shellcheck disable=SC2086
    problem=$(problems "$name-d" no_first_account ${credentials[$name]} "${extra[@]}")$(no_key_carriers "$name")
    own=""
    if [ -n "${http_mac[$name]:-}" ]; then
        # The phone's own file: 401 to the reset phone (above), to a stranger with its
        # User-Agent and no credentials, and to its own user with a wrong password;
        # 403 to another family's phone with its own, valid credentials.
        other=${http_other[$name]}
        stranger=$(http_status "$name" "$prefix-scan")
        user=$(lab_http_user "${http_mac[$name]}" "$(store_key "${http_mac[$name]}" http_password)")
        printf 'user = "%s:%s"\n' "$user" 00000000000000000000000000000000 >"$work/wrong.$name"
        wrong=$(http_status "$name" "$prefix-scan" --basic --config "$work/wrong.$name")
        password=$(store_key "${http_mac[$other]}" http_password)
        printf 'user = "%s:%s"\n' "$(lab_http_user "${http_mac[$other]}" "$password")" "$password" >"$work/other.$name"
        another=$(http_status "$name" "$prefix-$other" --basic --config "$work/other.$name")
        own="; ${http_file[$name]} answers $stranger to a stranger with its User-Agent, $wrong to a wrong password, $another to another device's credentials"
        [ "$stranger/$wrong/$another" = 401/401/403 ] || problem+="${http_file[$name]} answers $stranger/$wrong/$another, not 401/401/403"
        # TFTP carries no credentials: the TFTP server of the same root refuses the
        # file (access violation, not "not found": it is there), with or without a /.
        for path in "${http_file[$name]}" "/${http_file[$name]}"; do
            rm -f "$work/tftp.$name"
            tftp_out=$(in_namespace "$prefix-scan" tftp -m binary "$LAB_SERVER_ADDRESS" -c get "$path" "$work/tftp.$name" 2>&1)
            if ! grep -q "Error code 2" <<<"$tftp_out" || [ -s "$work/tftp.$name" ]; then
                problem+="${problem:+; }TFTP gave $path to a stranger: ${tftp_out:-a file}"
            fi
        done
        [ -f "$root/${http_file[$name]}" ] || problem+="${problem:+; }${http_file[$name]} is not in $root"
        own+=", and TFTP refuses it"
    fi
    if [ -z "$problem" ]; then
        record "$name" factory-reset PASS "no password, no key; key carriers answer $(xargs <"$work/carriers.$name")$own"
    else
        record "$name" factory-reset FAIL "$problem"
    fi
done
# Nothing in the served root carries one of the lab phones' passwords or keys
# in clear any more (the example's other devices never fetched: their windows are open).
# Yealink, Poly, Snom and Fanvil have no file encryption: their SIP passwords are in clear,
# but only in the files their HTTP credentials guard (checked in d).
for name in "${LAB_PHONES[@]}"; do [ -n "${http_mac[$name]:-}" ] || printf '%s\n' "${account[$name]##*=}"; done >"$work/lab-secrets"
lab_store_keys 000b82123456 000e08abcdef 0c1167abcdef 0080f0c8c381 00156574b150 0004f2aa0001 0004135e0001 0c383e5e0002 \
    >>"$work/lab-secrets"
[ "$(wc -l <"$work/lab-secrets")" -ge 12 ] || fail "could not read the lab phones' keys from the key store"
if grep -rqaFf "$work/lab-secrets" "$root"; then
    fail "a lab phone's password or key is served in clear after its window closed: $(grep -rlaFf "$work/lab-secrets" "$root" | tr '\n' ' ')"
fi
for name in "${!http_mac[@]}"; do
    holders=$(grep -rlaF -- "${account[$name]##*=}" "$root" | sed "s|^$root/||" | xargs)
    [ "$holders" = "${http_file[$name]}" ] ||
        fail "$name's SIP password is served in: ${holders:-nothing}, not only in ${http_file[$name]}"
done

step "the life cycle, per vendor"
"$test_python" "$here/table.py" "$results" "$pana_model" | tee "$work/table.md"
echo "wall time: $(( $(date +%s) - started )) s"
if grep -q "	FAIL	" "$results"; then
    fail "$(grep -c "	FAIL	" "$results") life-cycle step(s) failed (table above)"
fi
echo "all life-cycle checks passed"
