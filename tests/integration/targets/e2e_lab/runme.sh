#!/usr/bin/env bash
# End to end, as ./scripts/lab does it: the example inventory deployed with
# deploy.yml into network namespaces, one virtual phone per vendor family
# booting from it with real clients (dhclient, tftp, curl, openssl), then the
# GitOps cycle: the status playbook sees the boots and a forged unknown MAC,
# a rerun changes nothing, check mode reports a change and
# writes nothing, a changed device reaches its phone (deploy.yml notifies
# exactly that phone, sipp playing it), a removed device's
# phone falls back as its vendor does, an added device provisions, and a bad
# device fails the run while the servers keep serving the previous files.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

prefix=sfe
root=/srv/provisioning

# tftpd-hpa's read requests, which the status and the SPA's bootstrap window
# read; the lab, with a stranger on the phone LAN that has an address of its own.
lab_tftp_syslog
start_lab "$prefix" scan
scanner=10.99.20.66
lab_net_address "$prefix-scan" "$scanner/$LAB_PREFIX_LENGTH"

snapshot() {  # every served file with its hash, size and change time
    (cd "$root" && find . -type f -printf '%p %s %C@ ' -exec sha256sum {} \; | awk '{print $1, $2, $3, $4}' | sort)
}
expect_report() {  # expect_report RESULT EXPECTATION...: assert on a boot's JSON report
    "$test_python" "$collection/lab/check_phone.py" "$work/$1.json" "${@:2}" ||
        { cat "$work/$1.out"; fail "phone report $1 does not match"; }
}
lab_status() {  # lab_status OUT: status.yml in the server's namespace, its files in $work/OUT/, output in $work/OUT.out
    in_namespace "$prov_ns" ansible-playbook -i "$work/repo/inventory" sipfleet.provisioning.status \
        -e "ansible_python_interpreter=$test_python" -e "sipfleet_status_dir=$work/$1" "${lab_deploy_args[@]}" \
        >"$work/$1.out" 2>&1 ||
        fail_with_log "$work/$1.out" "the status playbook ($1) failed"
}
expect_status() {  # expect_status OUT MAC=STATE...: status.json of OUT gives each MAC that state
    "$test_python" - "$work/$1/status.json" "${@:2}" <<'PYTHON' || fail "status $1 does not match"
import json
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    devices = {device["mac"]: device for device in json.load(handle)["devices"]}
wrong = []
for expectation in sys.argv[2:]:
    mac, state = expectation.split("=")
    if devices[mac]["state"] != state:
        wrong.append("%s (%s) is %s, not %s; last fetch %s" % (
            devices[mac]["device"], mac, devices[mac]["state"], state, devices[mac]["last_fetch"]))
if wrong:
    sys.exit("\n".join(wrong))
PYTHON
}

step "deploy the example inventory (first run creates the key store)"
lab_deploy first -e sipfleet_key_store_create=true || fail_with_log "$work/first" "the first deploy failed"
# tftpd-hpa logs its read requests to /dev/log: a /dev/log of its own.
lab_tftp_syslog_attach
expect_recap "$work/first" --host lab-prov failed=0
[ "$(head -c 14 "$work/repo/sipfleet_keys.vault")" = "\$ANSIBLE_VAULT" ] || fail "the key store is not vault-encrypted"
[ "$(stat -c %a "$work/repo/sipfleet_keys.vault")" = 600 ] || fail "the key store is not mode 0600"
[ "$(stat -c '%U:%G %a' "$root")" = "root:tftp 750" ] || fail "the served root is not root:tftp 0750"
# Files that carry a readable key or password: readable by the servers'
# group only. Encrypted profiles and shared files may be 0644.
for secret_file in cfg000b82123456 cfg000b82123456.bin spa000e08abcdef.xml 0c1167abcdef.xml Config0080F0C8C381.cfg \
    00156574b150.cfg 00156574b150-bootstrap.cfg 0004f2aa0001-sipfleet.cfg 0004f2aa0001-bootstrap.cfg \
    snom-0004135E0001.xml snom-0004135E0001-bootstrap.xml 0c383e5e0002.cfg 0c383e5e0002-bootstrap.cfg; do
    [ "$(stat -c '%U:%G %a' "$root/$secret_file")" = "root:tftp 640" ] || fail "$secret_file is not root:tftp 0640"
done
[ -z "$(find "$root" -perm -o+w)" ] || fail "something in the served root is world-writable"

step "the deploy warns of exactly the settings the example inventory leaves out on purpose"
# The ATAs have no display and the ATA192 no documented admin password;
# Fanvil's periodic-check codes are in no source (the defaults' resync_spread);
# the directory reaches no Fanvil or Panasonic phone (no documented
# format), not the SPA2102 on TFTP, and the Poly phone the fleet-wide one.
expected_warnings=(
    '^1 cisco_mpp device\(s\) do not get settings\.admin_password: .*\(berlin-fax\)$'
    '^1 cisco_mpp device\(s\) do not get settings\.language: .*\(berlin-fax\)$'
    '^1 cisco_spa device\(s\) do not get settings\.language: .*\(munich-door\)$'
    '^1 fanvil device\(s\) do not get settings\.resync_spread: .*\(berlin-warehouse\)$'
    '^sipfleet_directory: no directory for 1 Cisco/Linksys SPA device\(s\) \(munich-door\): their provisioning_url.s scheme '
    '^sipfleet_directory: no directory for 1 Fanvil device\(s\) \(berlin-warehouse\): no documented Fanvil phonebook format'
    '^sipfleet_directory: no directory for 2 Panasonic device\(s\) \(berlin-office, munich-kitchen\): no documented Panasonic '
    '^sipfleet_directory: the fleet-wide directory, not their site.s, for 1 Poly device\(s\) \(berlin-meeting\): '
)
mapfile -t warnings < <(sed -n 's/^\[WARNING\]: //p' "$work/first")
for pattern in "${expected_warnings[@]}"; do
    matches=$(printf '%s\n' "${warnings[@]}" | grep -cE -- "$pattern" || true)
    [ "$matches" = 1 ] || fail "expected one warning matching $pattern, got $matches of: $(printf '\n  %s' "${warnings[@]}")"
done
[ "${#warnings[@]}" = "${#expected_warnings[@]}" ] ||
    fail "expected ${#expected_warnings[@]} warnings, got ${#warnings[@]}: $(printf '\n  %s' "${warnings[@]}")"

step "boot one phone of each vendor family"
for namespace in "${LAB_PHONES[@]}"; do
    mapfile -t first_contact < <(lab_first_contact_args "$namespace")
    lab_phone "$namespace" "$namespace-1" "${first_contact[@]}" &
done
failed=0
for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
for namespace in "${LAB_PHONES[@]}"; do cat "$work/$namespace-1.out"; done
[ "$failed" = 0 ] || fail "$failed phone(s) did not provision"
expect_report gs-1 applied=cfg000b82123456.xml sip_server=pbx.berlin.example.net line1.extension=201 \
    line1.display_name=Reception secret:P34=Ber-recep-4Kd9 secret:P2=AdminExample2Vw8 transport=http \
    key1=line key2=line key3=blf,231,Sales "key4=blf,241,Meeting room" directory=13
expect_report spa-1 applied=profile/ sip_server=pbx.munich.example.net line1.extension=301 \
    line1.display_name=Door secret:Password_1_=Muc-door-3Rv8 transport=tftp no_directory
expect_report mpp-1 applied=profile/ sip_server=pbx.berlin.example.net line1.extension=290 \
    secret:Password_1_=Ber-fax-9Lc4 transport=https directory=13
expect_report pana-1 applied=Config0080F0C8C381.enc sip_server=pbx.berlin.example.net line1.extension=221 \
    line1.display_name="Back office" secret:SIP_PASS_1=Ber-office-5Tz1 transport=http no_directory
# Yealink and Poly: plain files; the phone's own one only with the HTTP
# credentials its bootstrap file gave it.
expect_report yl-1 applied=00156574b150.cfg sip_server=pbx.berlin.example.net line1.extension=231 \
    line1.display_name=Sales secret:account.1.password=Ber-sales-6Hn3 \
    secret:static.security.user_password.admin=AdminExample2Vw8 transport=http \
    http_user=00156574b150 fetched_with_credentials=00156574b150.cfg key1=line key2=blf,201,Reception directory=13
expect_report poly-1 applied=0004f2aa0001-sipfleet.cfg sip_server=pbx.berlin.example.net line1.extension=241 \
    line1.display_name="Meeting room" secret:reg.1.auth.password=Ber-meeting-3Xk7 \
    secret:device.auth.localAdminPassword=AdminExample2Vw8 transport=http \
    http_user=0004f2aa0001 fetched_with_credentials=0004f2aa0001-sipfleet.cfg key1=line key2=blf,201,Reception \
    directory=19
# Snom: the two containers, the bootstrap settings file, then its own file
# with the credentials the bootstrap gave it.
expect_report snom-1 applied=snom-0004135E0001.xml sip_server=pbx.berlin.example.net line1.extension=251 \
    line1.display_name=Lobby "secret:user_pass[1]=Ber-lobby-5Gs8" secret:http_pass=AdminExample2Vw8 transport=http \
    http_user=0004135e0001 fetched_with_credentials=snom-0004135E0001.xml directory=13
# Fanvil: option 66 names its bootstrap, which sends it on to <mac>.cfg.
expect_report fanvil-1 applied=0c383e5e0002.cfg sip_server=pbx.berlin.example.net line1.extension=261 \
    line1.display_name=Warehouse "secret:SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Register_Pswd=Ber-wareh-2Fv6" \
    "secret:MMI_CONFIG_MODULE.MMI_Account.MMI_Account_Entry[Account1].Password=AdminExample2Vw8" transport=http \
    http_user=0c383e5e0002 fetched_with_credentials=0c383e5e0002.cfg no_directory

step "status after the boots: every phone is current, a forged unknown MAC is listed"
# A request for the device file of a MAC the inventory does not have, as a
# Yealink phone makes it (its User-Agent names model and MAC): 404, logged.
forged=00156500f0f0
forged_status=$(in_namespace "$prefix-scan" curl -s -o /dev/null -w '%{http_code}' \
    -A "Yealink SIP-T46U 108.86.0.90 00:15:65:00:f0:f0" "http://$LAB_SERVER_ADDRESS/$forged.cfg")
[ "$forged_status" = 404 ] || fail "the forged request for $forged.cfg got $forged_status, not 404"
lab_status status-boot
# The SPA fetches over TFTP only: tftpd's log shows it.
expect_status status-boot 000b82123456=current 0c1167abcdef=current 0080f0c8c381=current 00156574b150=current \
    0004f2aa0001=current 0004135e0001=current 0c383e5e0002=current 000e08abcdef=current
"$test_python" - "$work/status-boot/unknown-devices.yml" "$forged" <<'PYTHON' || fail "unknown-devices.yml does not list $forged"
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    unknown = {entry["mac"].replace(":", "").lower(): entry for entry in yaml.safe_load(handle) or []}
entry = unknown.get(sys.argv[2])
assert entry is not None, "not listed: %s" % sorted(unknown)
assert entry["vendor"] == "yealink" and entry["model"] in ("T46U", "SIP-T46U"), entry
print("unknown-devices.yml: %s" % entry)
PYTHON

step "rerun: the fetches the servers logged close the bootstrap windows"
lab_deploy second || fail_with_log "$work/second" "the second deploy failed"
for carrier in cfg000b82123456 cfg000b82123456.bin 0c1167abcdef.xml spa000e08abcdef.xml; do
    [ ! -e "$root/$carrier" ] || fail "$carrier is still served after its phone fetched it over HTTP(S) or TFTP"
done
# Panasonic (seed 004 step 3): the key file is replaced by the encrypted
# profile, where <MODEL>.cfg sends a rebooting phone; its key decrypts it.
cmp -s "$root/Config0080F0C8C381.cfg" "$root/Config0080F0C8C381.enc" ||
    fail "Config0080F0C8C381.cfg is not the encrypted profile once its window has closed"
pana_key=$(ansible-vault view "$work/repo/sipfleet_keys.vault" |
    "$test_python" -c 'import json, sys; print(json.load(sys.stdin)["devices"]["0080f0c8c381"]["cfg_file_key"])')
in_namespace "$prefix-scan" curl -s -o "$work/pana-after-window.cfg" --resolve "prov.example.net:80:$LAB_SERVER_ADDRESS" \
    http://prov.example.net/Config0080F0C8C381.cfg || fail "Config0080F0C8C381.cfg is not served after the window"
grep -q CFG_FILE_KEY "$work/pana-after-window.cfg" && fail "the key file is still served after the window"
printf '%s' "$pana_key" | openssl enc -d -a -aes-256-cbc -md md5 -pass stdin -in "$work/pana-after-window.cfg" |
    grep -q '^CFG_STANDARD_FILE_PATH="http://prov.example.net/Config0080F0C8C381.enc"' ||
    fail "Config0080F0C8C381.cfg served after the window does not decrypt with the phone's key"
# The bootstrap files of Yealink, Poly, Snom and Fanvil stay, without the HTTP password.
for bootstrap in 00156574b150-bootstrap.cfg 0004f2aa0001-bootstrap.cfg snom-0004135E0001-bootstrap.xml \
    0c383e5e0002-bootstrap.cfg; do
    [ -e "$root/$bootstrap" ] || fail "$bootstrap is no longer served after its window closed"
    if grep -qE 'server\.password|device\.prov\.password|http_client_pass|Download_Password' "$root/$bootstrap"; then
        fail "$bootstrap still carries the HTTP password after its phone fetched it"
    fi
done

step "rerun with nothing changed: changed=0"
lab_deploy third || fail_with_log "$work/third" "the third deploy failed"
expect_recap "$work/third" --host lab-prov changed=0

step "a stranger gets no credentials: TFTP writes and ../ refused, HTTPS device files need the device's certificate"
in_scan() { in_namespace "$prefix-scan" "$@"; }
printf 'x\n' >"$work/upload.cfg"
out=$(in_scan tftp "$LAB_SERVER_ADDRESS" -c put "$work/upload.cfg" upload.cfg 2>&1 || true)
grep -q "Error code" <<<"$out" || fail "a TFTP write was not refused: $out"
[ ! -e "$root/upload.cfg" ] || fail "a TFTP write created a file"
out=$(cd "$work" || exit 1; in_scan tftp "$LAB_SERVER_ADDRESS" -c get ../../etc/passwd passwd.out 2>&1; true)
grep -q "Error code" <<<"$out" || fail "a TFTP ../ path was not refused: $out"
[ "$(in_scan curl -s --path-as-is -o /dev/null -w '%{http_code}' "http://$LAB_SERVER_ADDRESS/../../etc/passwd")" = 400 ] ||
    fail "an HTTP ../ path was not refused"
https_get() {  # https_get PATH [curl options...]: the status of an HTTPS fetch from the stranger's namespace
    local path=$1
    shift
    in_scan curl -s -o /dev/null -w '%{http_code}' --resolve "prov.example.net:443:$LAB_SERVER_ADDRESS" \
        --cacert "$LAB_SERVER_CA" "$@" "https://prov.example.net/$path"
}
# The key carriers are gone once fetched; the MPP's encrypted profile's name
# is secret (GPP_B). The Grandstream phone's encrypted profile stays: it must
# need that phone's own certificate, not the MPP's.
[ -e "$root/cfg000b82123456.xml" ] || fail "cfg000b82123456.xml is not served"
[ "$(https_get cfg000b82123456.xml)" = 403 ] || fail "a device file was served over HTTPS without a certificate"
[ "$(https_get cfg000b82123456.xml --cert "$work/pki/phone.pem" --key "$work/pki/phone.key")" = 403 ] ||
    fail "a device file was served over HTTPS to another device's certificate"
[ "$(https_get ata192.cfg --cert "$work/pki/phone.pem" --key "$work/pki/phone.key")" = 200 ] ||
    fail "a shared bootstrap file was refused to a phone's certificate"
# The own files of Yealink, Poly, Snom and Fanvil (plain, with the SIP
# passwords) need the device's HTTP credentials, even with the phone's User-Agent.
for own in "00156574b150.cfg:Yealink SIP-T46U 108.86.0.90 00:15:65:74:b1:50" \
    "0004f2aa0001-sipfleet.cfg:FileTransport PolycomVVX-VVX_450-UA/6.4.6.0123 Type/Application" \
    "snom-0004135E0001.xml:Mozilla/4.0 (compatible; snomD785-SIP 10.1.169.16 2010.12-00001-gd311851f1 (Feb 25 2019 - 14:19:43) 0004135E0001 SXM:0 UXM:0 UXMC:0)" \
    "0c383e5e0002.cfg:Fanvil X4 2.10.2.6887 0c383e5e0002"; do
    status=$(in_scan curl -s -o /dev/null -w '%{http_code}' -A "${own#*:}" "http://$LAB_SERVER_ADDRESS/${own%%:*}")
    [ "$status" = 401 ] || fail "${own%%:*} answered $status to a stranger without credentials, not 401"
done

step "a MAC sweep from one address is throttled while a phone provisions"
# shellcheck disable=SC2016  # the loop is expanded by the shell in the namespace
in_scan bash -c 'for i in $(seq 1 150); do
    curl -s -o /dev/null -w "%{http_code}\n" "http://$0/cfg000b82$(printf %06x $((RANDOM * 32 + i))).xml"
done' "$LAB_SERVER_ADDRESS" >"$work/sweep" &
sweep=$!
lab_phone pana pana-1b || { cat "$work/pana-1b.out"; fail "the Panasonic phone did not provision during the sweep"; }
# A rebooting Panasonic phone starts again from KX-UTG300.cfg, which sends it
# to Config<MAC>.cfg: after the window that is the encrypted profile.
expect_report pana-1b applied=Config0080F0C8C381.cfg line1.extension=221 secret:SIP_PASS_1=Ber-office-5Tz1
wait "$sweep"
limited=$(grep -c '^429$' "$work/sweep" || true)
notfound=$(grep -c '^404$' "$work/sweep" || true)
echo "sweep: 150 requests, $notfound answered 404, $limited limited (429)"
[ "$((limited + notfound))" = 150 ] || fail "the sweep got answers other than 404 and 429: $(sort "$work/sweep" | uniq -c)"
[ "$limited" -ge 100 ] || fail "the sweep was not throttled: only $limited of 150 limited"
scan_lines=$(json_lines /var/log/nginx/sipfleet-provisioning.scan.log remote_addr="$scanner")
[ "$scan_lines" -ge 150 ] || fail "the sweep's 150 requests are not in the scan log ($scan_lines lines from $scanner)"

step "change one device; check mode reports it and writes nothing"
sed -i 's/display_name: Reception/display_name: Front desk/' "$work/repo/fleet/berlin/reception.yml"
before=$(snapshot)
lab_deploy check --check --diff -vvv || fail_with_log "$work/check" "the check-mode run failed"
expect_recap "$work/check" --host lab-prov "changed>0"
[ "$(snapshot)" = "$before" ] || fail "check mode changed served files"
grep -q "Front desk" "$work/check" || fail "the diff does not show the new display name"
# No password of the vault and no key of the store in the whole output.
secrets=$(lab_vault_passwords)
keys=$(ansible-vault view "$work/repo/sipfleet_keys.vault" | grep -oE '"[0-9a-f]{32,}"' | tr -d '"')
[ "$(printf '%s\n' "$secrets" | wc -l)" -ge 12 ] || fail "could not read the passwords to look for"
[ "$(printf '%s\n' "$keys" | wc -l)" -ge 8 ] || fail "could not read the keys to look for"
for secret in $secrets $keys; do
    if grep -qF -- "$secret" "$work/check"; then fail "a secret appears in the --check --diff -vvv output"; fi
done
# Nor in the servers' logs after every boot so far. A Cisco profile's
# directory (gpp_b) is in its URL, so in the access log, by design: it hides
# the file's name from strangers, its content is encrypted with gpp_a.
log_keys=$(lab_store_keys all)
logs=(/var/log/nginx/sipfleet-provisioning.access.log /var/log/nginx/sipfleet-provisioning.error.log /var/log/sipfleet)
for secret in $secrets $log_keys; do
    if grep -rqF -- "$secret" "${logs[@]}"; then fail "a secret appears in the servers' logs"; fi
done

step "apply the change with resync: only that device's files change, only its phone gets the NOTIFY, then its new name"
# sipp answers the NOTIFY on the changed phone's address (its last fetch in
# the status above, where deploy.yml's resync looks it up); sipp listens on
# every other phone's address too, and must get nothing there. The virtual phone has no
# SIP stack; it fetches afterwards, as the NOTIFY asks a real one to.
cat >"$work/uas_200.xml" <<'SCENARIO'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone answering 200">
  <recv request="NOTIFY" crlf="true">
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]sipp[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
SCENARIO
last_client() {  # last_client MAC: the client address of MAC's last fetch in the status after the boots
    "$test_python" -c 'import json, sys
print([d for d in json.load(open(sys.argv[1]))["devices"] if d["mac"] == sys.argv[2]][0]["last_fetch"]["client"])' \
        "$work/status-boot/status.json" "$1"
}
sipp_phone() {  # sipp_phone NAME ADDRESS: sipp answering one NOTIFY in NAME's namespace on ADDRESS:5060
    (cd "$work" && exec ip netns exec "$prefix-$1" sipp -sf "$work/uas_200.xml" -i "$2" -p 5060 -m 1 -nostdin \
        -trace_msg -message_file "$work/sipp-$1.msg" -timeout 60 >"$work/sipp-$1.out" 2>&1) &
    echo $! >"$work/sipp-$1.pid"
    on_exit kill_quietly "$work/sipp-$1.pid"
}
kill_quietly() {
    kill "$(cat "$1")" 2>/dev/null || true
}
# Every phone, at the address of its last fetch.
declare -A phone_macs=([gs]=000b82123456 [spa]=000e08abcdef [mpp]=0c1167abcdef [pana]=0080f0c8c381
    [yl]=00156574b150 [poly]=0004f2aa0001 [snom]=0004135e0001 [fanvil]=0c383e5e0002)
gs_address=$(last_client "${phone_macs[gs]}")
for phone in "${!phone_macs[@]}"; do sipp_phone "$phone" "$(last_client "${phone_macs[$phone]}")"; done
sleep 1
# Every sipp listens (alive, its message log open): else "got no NOTIFY" below proves nothing.
for phone in "${!phone_macs[@]}"; do
    kill -0 "$(cat "$work/sipp-$phone.pid")" 2>/dev/null || fail_with_log "$work/sipp-$phone.out" "sipp $phone is not running"
    [ -e "$work/sipp-$phone.msg" ] || fail_with_log "$work/sipp-$phone.out" "sipp $phone has no message log"
done
lab_deploy change --tags profiles,resync -e sipfleet_resync_changed=true \
    -e "sipfleet_status_file=$work/status-boot/status.json" || fail_with_log "$work/change" "the change failed"
sipp_status=0
wait "$(cat "$work/sipp-gs.pid")" || sipp_status=$?
[ "$sipp_status" = 0 ] || fail_with_log "$work/sipp-gs.out" "the changed phone's sipp got no NOTIFY (exit $sipp_status)"
for phone in "${!phone_macs[@]}"; do
    [ "$phone" = gs ] && continue
    # Still listening after the deploy: it did not exit after answering a NOTIFY.
    kill -0 "$(cat "$work/sipp-$phone.pid")" 2>/dev/null || fail_with_log "$work/sipp-$phone.out" "sipp $phone exited during the deploy"
    kill_quietly "$work/sipp-$phone.pid"
    wait "$(cat "$work/sipp-$phone.pid")" || true
    if grep -q '^NOTIFY' "$work/sipp-$phone.msg"; then fail_with_log "$work/sipp-$phone.msg" "unchanged phone $phone got a NOTIFY"; fi
done
[ "$(grep -c '^NOTIFY sip:' "$work/sipp-gs.msg")" = 1 ] || fail_with_log "$work/sipp-gs.msg" "the changed phone did not get one NOTIFY"
grep -q "^NOTIFY sip:201@$gs_address:5060 SIP/2.0" "$work/sipp-gs.msg" ||
    fail_with_log "$work/sipp-gs.msg" "the NOTIFY is not for extension 201 at $gs_address"
grep -qi '^Event: check-sync' "$work/sipp-gs.msg" || fail_with_log "$work/sipp-gs.msg" "the NOTIFY has not Grandstream's event"
after=$(snapshot)
changed_files=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed -n 's/^\.\/\([^ ]*\) .*/\1/p' | sort)
# The display name is in the directories too: Berlin's of each family, and
# the Poly phones' fleet-wide one.
expected_files=$(printf '%s\n' cfg000b82123456.xml 000000000000-directory.xml phonebook/cisco_mpp/site/berlin/directory.xml \
    phonebook/grandstream/site/berlin/phonebook.xml phonebook/snom/site/berlin/tbook.xml \
    phonebook/yealink/site/berlin/directory.xml | sort)
[ "$changed_files" = "$expected_files" ] || fail "expected only $(tr "\n" " " <<<"$expected_files")to change, got: $(tr "\n" " " <<<"$changed_files")"
# Its file changed under the phone: outdated until the phone fetches it.
lab_status status-changed
expect_status status-changed 000b82123456=outdated
lab_phone gs gs-2 || { cat "$work/gs-2.out"; fail "the Grandstream phone did not provision after the change"; }
expect_report gs-2 applied=cfg000b82123456.xml line1.display_name="Front desk" directory=13
lab_status status-fetched
expect_status status-fetched 000b82123456=current

step "remove two devices: their files go, their phones fall back"
rm "$work/repo/fleet/berlin/reception.yml" "$work/repo/fleet/berlin/office.yml"
lab_deploy remove --tags profiles || fail_with_log "$work/remove" "the removal failed"
for gone in cfg000b82123456.xml Config0080F0C8C381.cfg Config0080F0C8C381.enc ConfigKX-UTG300.cfg KX-UTG300.cfg; do
    [ ! -e "$root/$gone" ] || fail "$gone is still served after its device was removed"
done
# Grandstream: no file of its own or of its model, so the generic cfg.xml.
lab_phone gs gs-3 || true
expect_report gs-3 applied=cfg.xml no_device_profile
# Panasonic: its standard and product files are gone (404); the master file
# (still written for the Munich phone) applies, and the phone keeps its last
# configuration for the rest.
lab_phone pana pana-2 || true
expect_report pana-2 not_found=KX-UTG300.cfg not_found=Config0080F0C8C381.enc not_found=ConfigKX-UTG300.cfg \
    applied=ConfigCom.cfg no_device_profile

step "add a device: a new phone provisions"
cat >"$work/repo/fleet/berlin/reception.yml" <<'EOF'
name: berlin-reception
mac: "00:0B:82:12:34:70"
model: GXP2170
site: berlin
lines:
  - extension: "201"
    display_name: Reception
EOF
lab_deploy add --tags profiles || fail_with_log "$work/add" "adding a device failed"
rm -f "$work/gs.state"  # a factory-new phone
lab_phone gs gs-4 --mac 00:0b:82:12:34:70 || { cat "$work/gs-4.out"; fail "the added phone did not provision"; }
expect_report gs-4 applied=cfg000b82123470.xml line1.extension=201 line1.display_name=Reception secret:P34=Ber-recep-4Kd9

step "a bad device fails the run; the servers keep serving the previous files"
before=$(snapshot)
printf 'name: berlin-broken\nmac: "00:0B:82:12:34:7G"\nmodel: GXP2170\n' >"$work/repo/fleet/berlin/broken.yml"
if lab_deploy bad --tags profiles; then fail "a run with a malformed MAC succeeded"; fi
grep -q "device berlin-broken, field mac" "$work/bad" || { cat "$work/bad"; fail "the error does not name the device and field"; }
[ "$(snapshot)" = "$before" ] || fail "the failed run changed served files"
lab_phone spa spa-2 || { cat "$work/spa-2.out"; fail "the SPA did not provision while the inventory was broken"; }
expect_report spa-2 applied=profile/ line1.extension=301
echo "all end-to-end checks passed"
