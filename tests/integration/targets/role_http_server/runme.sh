#!/usr/bin/env bash
# The http_server role run twice in a "provisioning server" network namespace,
# then nginx exercised with curl and openssl s_client from a "phone" namespace
# (several client addresses): HTTP with basic authentication, HTTPS with
# client certificates bound to devices (made here with the openssl CLI), the
# TLS profiles and the legacy listener, the 404 limit against a MAC sweep,
# the JSON access and scan logs, and bad settings that must fail the run while
# nginx keeps serving its previous configuration.
set -eu

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

prov_ip=10.99.13.1
phone_ip=10.99.13.2
# More clients on the phone LAN: a second phone, two scanners and a client
# in the network exempt from the 404 limit.
phone2_ip=10.99.13.3
scanner_ip=10.99.13.5
scanner2_ip=10.99.13.6
exempt_net=10.99.13.128/25
exempt_ip=10.99.13.130
legacy_port=8443
notfound_burst=20
site=/etc/nginx/conf.d/sipfleet-provisioning.conf
default_site=/etc/nginx/sites-enabled/default
nginx_pidfile=/run/nginx.pid

mac_a=c074ad000001 # Grandstream: MAC in the common name
mac_b=000e08abcdef # Cisco SPA: MAC in S= (stateOrProvinceName)
secret_dir=9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c

# nginx_workers: the PIDs of the nginx master's children, one a line.
nginx_workers() {
    [ -s "$nginx_pidfile" ] || return 0
    pgrep -P "$(cat "$nginx_pidfile")" | sort || true
}
# A reload (SIGHUP) returns before nginx has replaced its workers: a request in
# between is answered with the old configuration. Every run of the role here
# waits, after a reload, until none of the workers from before it is left
# (at most 15 s; a check that follows then fails if the reload never came).
eval "$(declare -f run_role | sed '1s/^run_role/run_role_unsettled/')"
run_role() {
    local log=$1 before rc=0 waited=0
    before=$(nginx_workers)
    run_role_unsettled "$@" || rc=$?
    if [ -n "$before" ] && grep -q 'RUNNING HANDLER \[.*Reload nginx\]' "$log"; then
        while [ "$waited" -lt 150 ] && comm -12 <(printf '%s\n' "$before") <(nginx_workers) | grep -q .; do
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    return "$rc"
}

if [ -s "$nginx_pidfile" ] && kill -0 "$(cat "$nginx_pidfile")" 2>/dev/null; then
    echo "an nginx is already running ($nginx_pidfile): this test runs the machine's nginx and cannot share it" >&2
    exit 1
fi
if [ -e "$site" ]; then
    echo "$site exists already: this test would overwrite it" >&2
    exit 1
fi

make_work role-http-server
chmod 0755 "$work"
default_site_target=$(readlink "$default_site" 2>/dev/null || true)
restore_site() {
    rm -f "$site"
    if [ -n "$default_site_target" ] && [ ! -e "$default_site" ]; then
        ln -s "$default_site_target" "$default_site"
    fi
}
on_exit restore_site

# --- network: the server and one phone namespace with several client addresses
# (nginx, started in the server's namespace, goes with it at exit)
setup_netns sft-http "$prov_ip/24" phone
phone_ns=sft-http-phone
lab_net_address "$phone_ns" "$phone_ip/24" "$phone2_ip/24" "$scanner_ip/24" "$scanner2_ip/24" "$exempt_ip/24"

# --- certificates: the phones' CA, two phones, and a CA nobody trusts -----------
pki=$work/pki
mkdir "$pki"
make_ca() { # NAME CN
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.pem" -days 2 \
        -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
}
make_cert() { # NAME SUBJECT CA [openssl x509 options...]
    local name=$1 subject=$2 ca=$3
    shift 3
    openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subject" 2>/dev/null
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.pem" -CAkey "$pki/$ca.key" -CAcreateserial -days 2 \
        "$@" -out "$pki/$name.pem" 2>/dev/null
}
make_ca phones-ca "sipfleet test phone CA"
make_ca other-ca "some other CA"
make_cert phone-a "/CN=$mac_a/OU=GXP2170" phones-ca
make_cert phone-b "/OU=SPA-2102/L=88012BA01234/ST=$mac_b" phones-ca
make_cert stranger "/CN=$mac_a" other-ca
printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$prov_ip" >"$pki/inventory-server.ext"
make_cert inventory-server "/CN=$prov_ip" phones-ca -extfile "$pki/inventory-server.ext"
for name in phone-a phone-b stranger inventory-server; do
    [ -s "$pki/$name.pem" ] || { echo "could not make the $name certificate" >&2; exit 1; }
done
subject_a=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$pki/phone-a.pem" | sed 's/^subject=//')
subject_b=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$pki/phone-b.pem" | sed 's/^subject=//')
echo "phone A: $subject_a; phone B: $subject_b"

# --- the provisioning root --------------------------------------------------------
root=$work/root
mkdir -p "$root/profile/$secret_dir" "$root/firmware"
echo "<gs_provision><mac>$mac_a</mac></gs_provision>" >"$root/cfg$mac_a.xml"
# The same device's file under a name with colons: bound to A as well.
echo "<gs_provision><mac>$mac_a</mac></gs_provision>" >"$root/cfgc0:74:ad:00:00:01.xml"
echo "grandstream legacy $mac_a" >"$root/gs_cfg${mac_a}_cfg001"
echo "panasonic $mac_a" >"$root/Config${mac_a^^}.cfg"
echo "<flat-profile><GPP_B>$secret_dir</GPP_B></flat-profile>" >"$root/spa$mac_b.xml"
echo "<device><mac>$mac_b</mac></device>" >"$root/$mac_b.xml"
echo "encrypted spa2102 profile of $mac_b" >"$root/profile/$secret_dir/spa2102.cfg"
# Shared bootstrap files: Grandstream, Cisco SPA, Cisco ATA19x, Panasonic.
shared_files=(cfg.xml spa2102.cfg ata192.cfg KX-UT133.cfg)
echo "<gs_provision/>" >"$root/cfg.xml"
echo "<flat-profile/>" >"$root/spa2102.cfg"
echo "<flat-profile/>" >"$root/ata192.cfg"
echo "# Panasonic SIP Phone Standard Format File #" >"$root/KX-UT133.cfg"
echo ".sipfleet-tmp- leftover" >"$root/.sipfleet-tmp-cfg.xml"
chmod -R a+rX "$root"
# Device files carry credentials: as phone_profiles writes them (secret_mode
# 0640, group of the web server), nginx's workers read them and other local
# users cannot.
secret_files=("cfg$mac_a.xml" "cfgc0:74:ad:00:00:01.xml" "gs_cfg${mac_a}_cfg001" "Config${mac_a^^}.cfg" "spa$mac_b.xml" "$mac_b.xml")
for name in "${secret_files[@]}"; do
    chown root:www-data "$root/$name"
    chmod 0640 "$root/$name"
done

# --- role settings ----------------------------------------------------------------
state=$work/state
access_log=$work/access.log
scan_log=$work/scan.log
common_vars() {
    cat <<EOF
http_server_root: $root
http_server_state_dir: $state
http_server_check_script: $work/bin/nginx-check-site
http_server_access_log: $access_log
http_server_scan_log: $scan_log
http_server_error_log: $work/error.log
http_server_http_listen: ["$prov_ip:80"]
http_server_https_enabled: true
http_server_https_listen: ["$prov_ip:443"]
http_server_basic_auth_users:
  - name: grandstream
    password: "P1361 s3cret: with spaces"
http_server_basic_auth_listeners: [http]
EOF
}
{
    common_vars
    cat <<EOF
http_server_tls_certificate_source: lab_ca
http_server_lab_subject_alt_names: ["IP:$prov_ip"]
http_server_ssl_verify_client: "on"
http_server_client_ca_certificates:
  - $pki/phones-ca.pem
http_server_legacy_tls_listen: ["$prov_ip:$legacy_port"]
http_server_notfound_limit_burst: $notfound_burst
http_server_notfound_limit_exempt_networks: ["$exempt_net"]
EOF
} >"$work/lab-ca.yml"

# A run that must fail before anything changes: VARS_FILE LOG DESCRIPTION
# EXPECTED_TEXT...; each EXPECTED_TEXT must be in the output.
expect_run_fails() {
    local vars=$1 log=$2 what=$3 text
    shift 3
    if run_role "$log" -e "@$vars"; then
        fail_later "$what: the run succeeded"
        return
    fi
    for text in "$@"; do
        if grep -qF -- "$text" "$log"; then
            pass "$what: the run failed with \"$text\""
        else
            cat "$log"
            fail_later "$what: the run failed, but without \"$text\""
        fi
    done
}

# --- apply twice ------------------------------------------------------------------
run_role "$work/run1.log" -e "@$work/lab-ca.yml" || fail_with_log "$work/run1.log" "the first run failed"
echo "first run: changed=$(recap "$work/run1.log" changed)"
run_role "$work/run2.log" -e "@$work/lab-ca.yml" || fail_with_log "$work/run2.log" "the second run failed"
check "second run changed=0" recap_holds "$work/run2.log" changed=0
if [ -e "$default_site" ]; then fail_later "the default site is still enabled"; fi
master_pid=$(cat "$nginx_pidfile")
if [ "$(ip netns identify "$master_pid")" = "$prov_ns" ]; then
    pass "nginx $master_pid runs in $prov_ns"
else
    fail_later "nginx $master_pid is not in $prov_ns"
fi
key_mode=$(stat -c %a "$state/server.key")
check "server key mode 0600 (is $key_mode)" test "$key_mode" = 600
key_mode=$(stat -c %a "$state/lab-ca/ca.key")
check "lab CA key mode 0600 (is $key_mode)" test "$key_mode" = 600
htpasswd_mode=$(stat -c '%a %U:%G' "$state/htpasswd")
check "password file 0640 root:www-data (is $htpasswd_mode)" test "$htpasswd_mode" = "640 root:www-data"
for name in "${secret_files[@]}"; do
    file_mode=$(stat -c '%a %G' "$root/$name")
    check "$name is not world-readable ($file_mode)" test "$file_mode" = "640 www-data"
done
# shellcheck disable=SC2016  # a literal crypt prefix
check "password file holds one SHA-512 crypt entry" grep -qxE 'grandstream:\$6\$[^$]+\$[./0-9A-Za-z]{86}' "$state/htpasswd"

# --- clients ----------------------------------------------------------------------
# status URL [curl options...]: the HTTP status code, 000 when no answer.
status() {
    local url=$1
    shift
    in_namespace "$phone_ns" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" || true
}
expect() { # WANT DESCRIPTION URL [curl options...]
    local want=$1 what=$2 got
    shift 2
    got=$(status "$@")
    if [ "$got" = "$want" ]; then pass "$what: $got"; else fail_later "$what: want $want, got $got"; fi
}
# fetch_many SOURCE_ADDRESS CURL_CONFIG [curl options...]: one curl, one
# connection where the server keeps it, "STATUS URL" a line for each URL of
# CURL_CONFIG in order (000: no answer).
fetch_many() {
    local source=$1 config=$2
    shift 2
    in_namespace "$phone_ns" curl -s --interface "$source" --max-time 10 -w '%{http_code} %{url_effective}\n' \
        -K "$config" "$@" || true
}
# url_list BASE PATH...: a curl config that fetches each path, bodies discarded.
url_list() {
    local base=$1 path
    shift
    for path in "$@"; do
        printf 'url = "%s%s"\noutput = "/dev/null"\n' "$base" "$path"
    done
}
# tls_handshake PORT CA VERSION_OPTION CIPHERS [s_client options...]: the
# protocol and cipher suite openssl s_client agreed with the server, or
# "refused: " and the TLS alert the server sent.
tls_handshake() {
    local port=$1 ca=$2 version=$3 ciphers=$4 out
    shift 4
    if out=$(in_namespace "$phone_ns" timeout 10 openssl s_client -connect "$prov_ip:$port" -verify_ip "$prov_ip" \
        -CAfile "$ca" -verify_return_error "$version" -cipher "$ciphers" -brief "$@" </dev/null 2>&1); then
        printf '%s %s\n' "$(sed -n 's/^Protocol version: //p' <<<"$out")" "$(sed -n 's/^Ciphersuite: //p' <<<"$out")"
    else
        printf 'refused: %s\n' "$(grep -o 'alert [a-z ]*' <<<"$out" | head -n 1)"
    fi
}
expect_tls() { # WANT(glob) DESCRIPTION PORT CA VERSION_OPTION CIPHERS [s_client options...]
    local want=$1 what=$2 got
    shift 2
    got=$(tls_handshake "$@")
    # shellcheck disable=SC2254  # WANT is a pattern on purpose
    case "$got" in
        $want) pass "$what: $got" ;;
        *) fail_later "$what: want $want, got $got" ;;
    esac
}
http=http://$prov_ip
https=https://$prov_ip
https_legacy=https://$prov_ip:$legacy_port
auth=(-u "grandstream:P1361 s3cret: with spaces")
tls=(--cacert "$state/lab-ca/ca.pem")
cert_a=(--cert "$pki/phone-a.pem" --key "$pki/phone-a.key")
cert_b=(--cert "$pki/phone-b.pem" --key "$pki/phone-b.key")
cert_stranger=(--cert "$pki/stranger.pem" --key "$pki/stranger.key")

echo "--- HTTP"
expect 401 "no credentials" "$http/cfg.xml"
expect 401 "wrong password" "$http/cfg.xml" -u grandstream:wrong
expect 200 "existing file" "$http/cfg.xml" "${auth[@]}"
expect 404 "missing file" "$http/cfg000b82999999.xml" "${auth[@]}"
expect 404 "directory without slash" "$http/profile" "${auth[@]}"
expect 404 "directory with slash" "$http/profile/" "${auth[@]}"
expect 404 "root directory" "$http/" "${auth[@]}"
expect 404 "hidden temporary file" "$http/.sipfleet-tmp-cfg.xml" "${auth[@]}"
expect 405 "POST" "$http/cfg.xml" "${auth[@]}" -X POST
expect 200 "HEAD" "$http/cfg.xml" "${auth[@]}" -I
body=$(in_namespace "$phone_ns" curl -s "${auth[@]}" "$http/cfg.xml")
check "body of cfg.xml ($body)" test "$body" = "<gs_provision/>"
listing=$(in_namespace "$phone_ns" curl -s "${auth[@]}" "$http/profile/")
case "$listing" in
    *"$secret_dir"* | *"Index of"*) fail_later "a directory request lists its content" ;;
    *) pass "no directory listing" ;;
esac
headers=$(in_namespace "$phone_ns" curl -s -D - -o /dev/null "${auth[@]}" -X POST "$http/cfg.xml" | tr -d '\r')
check "Server header without version" grep -qx 'Server: nginx' <<<"$headers"
check "405 carries Allow: GET, HEAD" grep -qx 'Allow: GET, HEAD' <<<"$headers"

echo "--- HTTPS, client certificates required (ssl_verify_client on)"
expect 400 "no client certificate" "$https/cfg.xml" "${tls[@]}"
expect 400 "certificate from another CA" "$https/cfg.xml" "${tls[@]}" "${cert_stranger[@]}"
expect 200 "A: own cfg<mac>.xml (MAC in CN)" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}"
expect 200 "A: own prefixed/postfixed file" "$https/gs_cfg${mac_a}_cfg001" "${tls[@]}" "${cert_a[@]}"
expect 200 "A: own Config<MAC>.cfg (upper case)" "$https/Config${mac_a^^}.cfg" "${tls[@]}" "${cert_a[@]}"
expect 403 "A: B's spa<mac>.xml" "$https/spa$mac_b.xml" "${tls[@]}" "${cert_a[@]}"
expect 200 "B: own spa<mac>.xml (MAC in ST=)" "$https/spa$mac_b.xml" "${tls[@]}" "${cert_b[@]}"
expect 403 "B: A's cfg<mac>.xml" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_b[@]}"
expect 403 "B: A's Config<MAC>.cfg" "$https/Config${mac_a^^}.cfg" "${tls[@]}" "${cert_b[@]}"
expect 403 "B: A's prefixed file" "$https/gs_cfg${mac_a}_cfg001" "${tls[@]}" "${cert_b[@]}"
expect 403 "B: A's file, MAC written with colons" "$https/cfgc0:74:ad:00:00:01.xml" "${tls[@]}" "${cert_b[@]}"
expect 200 "A: own file, MAC written with colons" "$https/cfgc0:74:ad:00:00:01.xml" "${tls[@]}" "${cert_a[@]}"
# A device file that does not exist is 404 for every client, bound or not.
expect 404 "B: a missing file of A's" "$https/cfg$mac_a.bin" "${tls[@]}" "${cert_b[@]}"
expect 404 "A: own missing file" "$https/cfg$mac_a.bin" "${tls[@]}" "${cert_a[@]}"
expect 404 "missing shared file" "$https/cfggxp2170.xml" "${tls[@]}" "${cert_a[@]}"
expect 200 "A: shared cfg.xml" "$https/cfg.xml" "${tls[@]}" "${cert_a[@]}"
expect 200 "B: shared spa2102.cfg" "$https/spa2102.cfg" "${tls[@]}" "${cert_b[@]}"
expect 200 "B: file in the secret directory" "$https/profile/$secret_dir/spa2102.cfg" "${tls[@]}" "${cert_b[@]}"
expect 404 "directory over HTTPS" "$https/profile/" "${tls[@]}" "${cert_b[@]}"
expect 000 "server certificate not trusted without the lab CA" "$https/cfg.xml" "${cert_a[@]}"

echo "--- access log"
agent="Grandstream Model HW GXP2170 SW 1.0.11.16 DevId $mac_a test-$$"
status "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}" -A "$agent" >/dev/null
sleep 0.2
if python3 - "$access_log" "$agent" "/cfg$mac_a.xml" "$subject_a" "$mac_a" <<'EOF'; then
import json
import sys

log, agent, path, subject, mac = sys.argv[1:]
entries = [json.loads(line) for line in open(log, encoding="utf-8")]
mine = [e for e in entries if e["user_agent"] == agent]
assert len(mine) == 1, "%d lines with the User-Agent" % len(mine)
entry = mine[0]
assert entry["path"] == path, entry
assert entry["status"] == 200 and entry["bytes"] > 0, entry
assert entry["ssl_client_s_dn"] == subject, entry
assert entry["ssl_client_verify"] == "SUCCESS", entry
assert entry["client_mac"].lower() == mac and entry["file_mac"].lower() == mac, entry
assert entry["remote_addr"] == "10.99.13.2", entry
for field in ("time", "method", "request_uri", "scheme", "request_time"):
    assert field in entry, field
print(json.dumps(entry))
EOF
    pass "access log line has path, User-Agent and client certificate subject"
else
    fail_later "access log"
fi

echo "--- access control: device files only to their device, shared files to all (certificates required)"
# DEVICE_FILE OWNER_CERT OTHER_CERT: the owner gets it, the other phone 403.
for entry in "cfg$mac_a.xml a b" "Config${mac_a^^}.cfg a b" "spa$mac_b.xml b a" "$mac_b.xml b a"; do
    read -r name owner other <<<"$entry"
    owner_cert=(--cert "$pki/phone-$owner.pem" --key "$pki/phone-$owner.key")
    other_cert=(--cert "$pki/phone-$other.pem" --key "$pki/phone-$other.key")
    expect 200 "${owner^^}: own $name" "$https/$name" "${tls[@]}" "${owner_cert[@]}"
    expect 403 "${other^^}: $name of the other phone" "$https/$name" "${tls[@]}" "${other_cert[@]}"
    expect 400 "no certificate: $name" "$https/$name" "${tls[@]}"
done
for name in "${shared_files[@]}"; do
    expect 200 "A: shared $name" "$https/$name" "${tls[@]}" "${cert_a[@]}"
    expect 200 "B: shared $name" "$https/$name" "${tls[@]}" "${cert_b[@]}"
done

echo "--- TLS: modern profile on 443, legacy listener on $legacy_port"
lab_ca=$state/lab-ca/ca.pem
# The client allows TLS 1.0 and 1.1 (@SECLEVEL=0), so a refusal is the server's.
expect_tls "refused: alert protocol version" "443 refuses TLS 1.0" 443 "$lab_ca" -tls1 'DEFAULT:@SECLEVEL=0'
expect_tls "refused: alert protocol version" "443 refuses TLS 1.1" 443 "$lab_ca" -tls1_1 'DEFAULT:@SECLEVEL=0'
expect_tls "refused: alert protocol version" "443 refuses TLS 1.0 with AES256-SHA" 443 "$lab_ca" -tls1 'AES256-SHA:@SECLEVEL=0'
expect_tls "TLSv1.2 ECDHE-*" "443 speaks TLS 1.2" 443 "$lab_ca" -tls1_2 DEFAULT
expect_tls "TLSv1.3 TLS_*" "443 speaks TLS 1.3" 443 "$lab_ca" -tls1_3 DEFAULT
expect_tls "TLSv1 AES256-SHA" "$legacy_port: TLS 1.0 with AES256-SHA" "$legacy_port" "$lab_ca" -tls1 'AES256-SHA:@SECLEVEL=0'
expect_tls "TLSv1 AES128-SHA" "$legacy_port: TLS 1.0 with AES128-SHA" "$legacy_port" "$lab_ca" -tls1 'AES128-SHA:@SECLEVEL=0'
expect_tls "TLSv1.1 AES256-SHA" "$legacy_port: TLS 1.1 with AES256-SHA" "$legacy_port" "$lab_ca" -tls1_1 'AES256-SHA:@SECLEVEL=0'
expect_tls "TLSv1.3 TLS_*" "$legacy_port: TLS 1.3 for newer clients" "$legacy_port" "$lab_ca" -tls1_3 DEFAULT
tls10=(--tlsv1.0 --tls-max 1.0 --ciphers 'AES256-SHA:@SECLEVEL=0')
spa_agent="Linksys/SPA-2102-2.0.5 (88012BA01234) test-$$"
expect 200 "$legacy_port, TLS 1.0, B: own spa<mac>.xml" "$https_legacy/spa$mac_b.xml" "${tls[@]}" "${cert_b[@]}" "${tls10[@]}" -A "$spa_agent"
expect 403 "$legacy_port, TLS 1.0, A: B's spa<mac>.xml" "$https_legacy/spa$mac_b.xml" "${tls[@]}" "${cert_a[@]}" "${tls10[@]}"
expect 400 "$legacy_port, TLS 1.0, no client certificate" "$https_legacy/cfg.xml" "${tls[@]}" "${tls10[@]}"
expect 000 "443, TLS 1.0, B: refused" "$https/spa$mac_b.xml" "${tls[@]}" "${cert_b[@]}" "${tls10[@]}"
sleep 0.2
spa_tls10_lines=$(json_lines "$access_log" user_agent="$spa_agent" ssl_protocol=TLSv1 status=200)
check "access log: the SPA's fetch over TLSv1 ($spa_tls10_lines line)" test "$spa_tls10_lines" = 1

echo "--- 404 limit: a MAC sweep from one address"
# Existing files first: they must not use up the burst.
existing_paths=()
for _ in $(seq 30); do existing_paths+=(/cfg.xml); done
url_list "$http" "${existing_paths[@]}" >"$work/existing.curl"
existing_codes=$(fetch_many "$scanner_ip" "$work/existing.curl" "${auth[@]}" | cut -d' ' -f1 | sort | uniq -c | xargs)
check "scanner: 30 fetches of an existing file all 200 ($existing_codes)" test "$existing_codes" = "30 200"
# The sweep: Grandstream names with random MACs, every 25th request an
# existing file.
sweep_total=200
macs=$(od -An -tx1 -N$((sweep_total * 3)) /dev/urandom | tr -d ' \n')
sweep_paths=()
for i in $(seq 0 $((sweep_total - 1))); do
    if [ $(((i + 1) % 25)) -eq 0 ]; then
        sweep_paths+=(/cfg.xml)
    else
        sweep_paths+=("/cfg000b82${macs:i*6:6}.xml")
    fi
done
url_list "$http" "${sweep_paths[@]}" >"$work/sweep.curl"
sweep_agent="sweep-$$"
# Meanwhile a phone at another address of the same LAN keeps fetching.
rm -f "$work/sweep.done"
(
    while [ ! -e "$work/sweep.done" ]; do
        status "$http/cfg.xml" --interface "$phone2_ip" "${auth[@]}"
        echo
    done
) >"$work/phone2.codes" &
phone2_loop=$!
sweep_start=$(date +%s.%N)
fetch_many "$scanner_ip" "$work/sweep.curl" "${auth[@]}" -A "$sweep_agent" >"$work/sweep.out"
sweep_end=$(date +%s.%N)
touch "$work/sweep.done"
wait "$phone2_loop"
sweep_seconds=$(awk -v start="$sweep_start" -v end="$sweep_end" 'BEGIN { printf "%.2f", end - start }')
read -r missing n404 n429 nother existing existing200 first_burst_ok <<<"$(awk -v burst="$notfound_burst" '
    $2 ~ /\/cfg\.xml$/ { existing++; if ($1 == 200) existing200++; next }
    { missing++; if ($1 == 404) n404++; else if ($1 == 429) n429++; else nother++
      if (missing <= burst + 1 && $1 == 404) first++ }
    END { printf "%d %d %d %d %d %d %d\n", missing, n404, n429, nother, existing, existing200, (first == burst + 1) }
' "$work/sweep.out")"
echo "sweep: $sweep_total requests from $scanner_ip in ${sweep_seconds}s: $missing missing names ($n404 answered 404, $n429 limited with 429, $nother other), $existing for an existing file ($existing200 answered 200)"
check "every request of the sweep answered" test $((missing + existing)) -eq "$sweep_total"
check "the first $((notfound_burst + 1)) missing names answered 404 (the burst)" test "$first_burst_ok" = 1
# rate 10r/m: one more 404 every 6 seconds of the sweep.
allowed=$((notfound_burst + 1 + ${sweep_seconds%.*} / 6 + 1))
check "at most $allowed of $missing missing names answered 404 (got $n404)" test "$n404" -le "$allowed"
check "all other missing names limited with 429 ($n429 of $missing)" test $((n404 + n429)) -eq "$missing"
check "most of the sweep limited ($n429 of $missing)" test $((n429 * 4)) -ge $((missing * 3))
check "existing file served to the scanner during the sweep ($existing200 of $existing)" test "$existing200" -eq "$existing"
phone2_codes=$(sort "$work/phone2.codes" | uniq -c | xargs)
check "other phone served during the sweep ($phone2_codes)" test "$(grep -vc '^200$' "$work/phone2.codes")" -eq 0
check "other phone fetched during the sweep" test -s "$work/phone2.codes"
expect 429 "scanner still limited after the sweep" "$http/cfg000b82ffffff.xml" --interface "$scanner_ip" "${auth[@]}"
expect 200 "scanner still gets an existing file" "$http/spa2102.cfg" --interface "$scanner_ip" "${auth[@]}"
expect 200 "other phone: existing file" "$http/cfg.xml" --interface "$phone2_ip" "${auth[@]}"
expect 404 "other phone: missing file is 404, not limited" "$http/cfggxp2170.xml" --interface "$phone2_ip" "${auth[@]}"
expect 429 "scanner: missing file still limited" "$http/cfggxp2170.xml" --interface "$scanner_ip" "${auth[@]}"
# The exempt network is never limited.
mapfile -t exempt_paths < <(seq -f '/cfg000b8200%04g.xml' 60)
url_list "$http" "${exempt_paths[@]}" >"$work/exempt.curl"
exempt_codes=$(fetch_many "$exempt_ip" "$work/exempt.curl" "${auth[@]}" | cut -d' ' -f1 | sort | uniq -c | xargs)
check "exempt network: 60 missing names all 404 ($exempt_codes)" test "$exempt_codes" = "60 404"
if grep -q 'limiting requests' "$work/error.log"; then
    fail_later "the 404 limit writes to the error log at its default level"
else
    pass "refusals stay out of the error log (limit_req_log_level warn)"
fi

echo "--- access and scan logs"
sleep 0.2
if python3 - "$access_log" "$scan_log" "$sweep_agent" "$scanner_ip" "$exempt_ip" "$phone2_ip" "$n404" "$n429" <<'EOF'; then
import json
import re
import sys

access_log, scan_log, agent, scanner, exempt, phone2 = sys.argv[1:7]
n404, n429 = int(sys.argv[7]), int(sys.argv[8])


def read(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


access, scan = read(access_log), read(scan_log)
# The fields the fetch report (plugins/module_utils/_fetch_log.py) reads keep their types.
for entry in access + scan:
    assert isinstance(entry["status"], int) and isinstance(entry["bytes"], int), entry
    assert isinstance(entry["notfound"], bool), entry
    for field in ("time", "remote_addr", "path", "user_agent", "limit_req", "file_mac", "ssl_client_s_dn"):
        assert isinstance(entry[field], str), (field, entry)
# Only 404s and refusals reach the scan log, and all of them do.
assert all(e["notfound"] for e in scan), [e for e in scan if not e["notfound"]]
assert [e for e in access if e["notfound"]] == scan, "the scan log differs from the access log's notfound lines"
assert all(e["notfound"] == (e["status"] in (404, 429, 444)) for e in access)
sweep = [e for e in access if e["user_agent"] == agent]
missing = [e for e in sweep if e["path"] != "/cfg.xml"]
existing = [e for e in sweep if e["path"] == "/cfg.xml"]
assert len(sweep) == 200, len(sweep)
assert all(e["remote_addr"] == scanner for e in sweep)
assert all(e["status"] == 200 and not e["notfound"] and e["limit_req"] == "" for e in existing), existing
passed = [e for e in missing if e["limit_req"] == "PASSED"]
rejected = [e for e in missing if e["limit_req"] == "REJECTED"]
assert len(passed) == n404 and all(e["status"] == 404 for e in passed), passed
assert len(rejected) == n429 and all(e["status"] == 429 for e in rejected), rejected
for entry in missing:
    mac = re.match(r"^/cfg([0-9a-f]{12})\.xml$", entry["path"]).group(1)
    assert entry["notfound"] and entry["file_mac"] == mac, entry
assert len([e for e in scan if e["user_agent"] == agent]) == len(missing)
exempt_lines = [e for e in scan if e["remote_addr"] == exempt]
assert len(exempt_lines) == 60 and all(e["status"] == 404 and e["limit_req"] == "" for e in exempt_lines), exempt_lines
phone2_scan = [e for e in scan if e["remote_addr"] == phone2]
assert len(phone2_scan) == 1 and phone2_scan[0]["limit_req"] == "PASSED", phone2_scan
print(json.dumps(rejected[0]))
EOF
    pass "scan log: the sweep's missing names with status, limit_req, file_mac; no served file; JSON fields unchanged"
else
    fail_later "access and scan logs"
fi

echo "--- a bad setting fails the run and nginx keeps serving"
site_before=$(sha256sum "$site")
{
    cat "$work/lab-ca.yml"
    echo "http_server_ssl_ciphers: NOT-A-CIPHER"
} >"$work/bad.yml"
if run_role "$work/bad.log" -e "@$work/bad.yml"; then
    fail_later "a run with ssl_ciphers NOT-A-CIPHER succeeded"
else
    if grep -q 'SSL_CTX_set_cipher_list' "$work/bad.log"; then
        pass "the run failed on nginx's own check"
    else
        cat "$work/bad.log"
        fail_later "the run failed, but not on the cipher list"
    fi
fi
check "live site file unchanged" test "$(sha256sum "$site")" = "$site_before"
check "same nginx master running" test "$(cat "$nginx_pidfile")" = "$master_pid"
check "nginx master alive" kill -0 "$master_pid"
expect 200 "still serving after the failed run" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}"
expect 403 "still binding files to devices" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_b[@]}"

echo "--- bad TLS and 404 limit settings are refused before anything changes"
{
    cat "$work/lab-ca.yml"
    echo "http_server_tls_profile: ancient"
    echo "http_server_ssl_protocols: [TLSv1.2, SSLv3]"
} >"$work/bad-tls.yml"
expect_run_fails "$work/bad-tls.yml" "$work/bad-tls.log" "unknown TLS profile and version" \
    "http_server_tls_profile must be one of: modern, legacy, got: ancient" \
    "http_server_ssl_protocols must be one or more of: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3. Got no match for: SSLv3"
{
    cat "$work/lab-ca.yml"
    echo "http_server_notfound_limit_rate: 10/minute"
    echo "http_server_notfound_limit_zone_size: 1 MB"
} >"$work/bad-limit.yml"
expect_run_fails "$work/bad-limit.yml" "$work/bad-limit.log" "bad 404 limit" "given: 10/minute" "given: 1 MB"
printf 'http_server_https_enabled: false\nhttp_server_legacy_tls_listen: ["%s:%s"]\n' "$prov_ip" "$legacy_port" >"$work/bad-legacy.yml"
expect_run_fails "$work/bad-legacy.yml" "$work/bad-legacy.log" "legacy listener without HTTPS" \
    "http_server_legacy_tls_listen ($prov_ip:$legacy_port) needs http_server_https_enabled"
check "live site file unchanged" test "$(sha256sum "$site")" = "$site_before"

echo "--- certificate from inventory, ssl_verify_client optional, legacy TLS profile, 404 limit closing connections"
{
    common_vars
    echo 'http_server_ssl_verify_client: "optional"'
    echo "http_server_tls_profile: legacy"
    echo "http_server_notfound_limit_status: 444"
    echo "http_server_notfound_limit_burst: 2"
    # PEM text, as inventory would carry it.
    printf 'http_server_client_ca_certificates:\n  - |\n'
    sed 's/^/    /' "$pki/phones-ca.pem"
    echo "http_server_tls_certificate: |"
    sed 's/^/  /' "$pki/inventory-server.pem"
    echo "http_server_tls_private_key: |"
    sed 's/^/  /' "$pki/inventory-server.key"
} >"$work/inventory-cert.yml"
run_role "$work/run3.log" -e "@$work/inventory-cert.yml" || fail_with_log "$work/run3.log" "the run with the certificate from inventory failed"
pass "role applied with the certificate from inventory"
tls=(--cacert "$pki/phones-ca.pem")
expect 403 "no client certificate (optional)" "$https/cfg.xml" "${tls[@]}"
expect 400 "certificate from another CA (optional: nginx still rejects it)" "$https/cfg.xml" "${tls[@]}" "${cert_stranger[@]}"
expect 200 "A: own file" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}"
expect 403 "A: B's file" "$https/spa$mac_b.xml" "${tls[@]}" "${cert_a[@]}"
expect 200 "B: shared file" "$https/cfg.xml" "${tls[@]}" "${cert_b[@]}"
check "reloaded, not restarted" test "$(cat "$nginx_pidfile")" = "$master_pid"
key_mode=$(stat -c %a "$state/server.key")
check "inventory key mode 0600 (is $key_mode)" test "$key_mode" = 600
if grep -q 'BEGIN PRIVATE KEY\|BEGIN RSA PRIVATE KEY' "$work/run3.log"; then
    fail_later "the private key shows in the output"
else
    pass "the private key stays out of the output"
fi
phones_ca=$pki/phones-ca.pem
expect_tls "TLSv1 AES256-SHA" "legacy profile on 443: TLS 1.0 with AES256-SHA" 443 "$phones_ca" -tls1 'AES256-SHA:@SECLEVEL=0'
expect_tls "TLSv1.3 TLS_*" "legacy profile on 443: TLS 1.3 still" 443 "$phones_ca" -tls1_3 DEFAULT
expect 200 "legacy profile on 443, TLS 1.0, A: own file" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}" "${tls10[@]}"
expect 403 "legacy profile on 443, TLS 1.0, A: B's file" "$https/spa$mac_b.xml" "${tls[@]}" "${cert_a[@]}" "${tls10[@]}"
expect_tls "refused: " "the legacy listener is gone" "$legacy_port" "$phones_ca" -tls1_2 DEFAULT
# 444: nginx closes the connection; curl reports no status (000).
mapfile -t close_paths < <(seq -f '/cfg000b82ee%04g.xml' 8)
url_list "$http" "${close_paths[@]}" >"$work/close.curl"
close_codes=$(fetch_many "$scanner2_ip" "$work/close.curl" "${auth[@]}" | cut -d' ' -f1 | xargs)
check "burst 2, then the connection closed without an answer ($close_codes)" test "$close_codes" = "404 404 404 000 000 000 000 000"
sleep 0.2
# curl sends a request again once when a kept-alive connection closes
# without an answer, so count the names.
closed_logged=$(json_lines "$scan_log" remote_addr="$scanner2_ip" status=444 --distinct path)
check "scan log: the 5 names closed with 444 (got $closed_logged)" test "$closed_logged" = 5

echo "--- clients without a certificate get the shared files only (anonymous shared files)"
{
    cat "$work/inventory-cert.yml"
    echo "http_server_ssl_anonymous_shared_files: true"
    # An explicit setting wins over the profile.
    echo "http_server_ssl_protocols: [TLSv1.2, TLSv1.3]"
} >"$work/anonymous.yml"
run_role "$work/run4.log" -e "@$work/anonymous.yml" || fail_with_log "$work/run4.log" "the run with anonymous shared files failed"
pass "role applied with anonymous shared files"
for name in "${shared_files[@]}"; do
    expect 200 "no certificate: shared $name" "$https/$name" "${tls[@]}"
    expect 200 "A: shared $name" "$https/$name" "${tls[@]}" "${cert_a[@]}"
done
for entry in "cfg$mac_a.xml a b" "Config${mac_a^^}.cfg a b" "spa$mac_b.xml b a" "$mac_b.xml b a"; do
    read -r name owner other <<<"$entry"
    owner_cert=(--cert "$pki/phone-$owner.pem" --key "$pki/phone-$owner.key")
    other_cert=(--cert "$pki/phone-$other.pem" --key "$pki/phone-$other.key")
    expect 403 "no certificate: $name" "$https/$name" "${tls[@]}"
    expect 403 "${other^^}: $name of the other phone" "$https/$name" "${tls[@]}" "${other_cert[@]}"
    expect 200 "${owner^^}: own $name" "$https/$name" "${tls[@]}" "${owner_cert[@]}"
done
expect 400 "certificate from another CA still refused" "$https/cfg.xml" "${tls[@]}" "${cert_stranger[@]}"
expect_tls "refused: alert protocol version" "http_server_ssl_protocols wins over the legacy profile" 443 "$phones_ca" -tls1 'AES256-SHA:@SECLEVEL=0'
expect_tls "TLSv1.2 *" "TLS 1.2 still" 443 "$phones_ca" -tls1_2 DEFAULT

echo "--- per-device HTTP credentials"
# A Yealink-like phone: a plain bootstrap file and its own file, which only
# its credentials open; phone A gets credentials too (given with colons).
mac_y=805ec0000001
pw_a=Zq4vR8wLp2Xn7TkM
pw_y=Hb3sJ9cYd6Fg1WeQ
echo "#!version:1.0.0.1 account of $mac_y" >"$root/$mac_y.cfg"
echo "#!version:1.0.0.1 bootstrap of $mac_y" >"$root/$mac_y.boot"
chown root:www-data "$root/$mac_y.cfg"
chmod 0640 "$root/$mac_y.cfg"
chmod a+r "$root/$mac_y.boot"
credentials_vars() { # PASSWORD_OF_A
    cat "$work/anonymous.yml"
    cat <<EOF
http_server_device_credentials_enabled: true
http_server_device_credentials_paths:
  - '^/cfg{mac}\.xml$'
  - '^/Config{mac}\.cfg$'
  - '^/{mac}\.(?:cfg|boot)$'
http_server_device_credentials_bootstrap_paths:
  - '^/{mac}\.boot$'
http_server_device_credentials:
  - {mac: "C0:74:AD:00:00:01", password: "$1"}
# As the key store gives them: B has no HTTP password, so no user.
http_server_device_keys:
  $mac_y: {p1359: 00112233, http_password: "$pw_y"}
  $mac_b: {p1359: 44556677}
EOF
}
# A device's HTTP user: its MAC, a dash, the first 4 hex digits of
# SHA-256("sipfleet-http-user:" + password) (docs/roles/http_server.md).
http_user() { # MAC PASSWORD
    printf '%s-%s' "$1" "$(printf 'sipfleet-http-user:%s' "$2" | sha256sum | cut -c1-4)"
}
user_a=$(http_user "$mac_a" "$pw_a")
user_y=$(http_user "$mac_y" "$pw_y")
credentials_vars "$pw_a" >"$work/credentials.yml"
run_role "$work/run5.log" -e "@$work/credentials.yml" || fail_with_log "$work/run5.log" "the run with per-device credentials failed"
run_role "$work/run6.log" -e "@$work/credentials.yml" || fail_with_log "$work/run6.log" "the second run with per-device credentials failed"
check "second run with per-device credentials changed=0" recap_holds "$work/run6.log" changed=0
device_htpasswd=$state/device-htpasswd
device_htpasswd_mode=$(stat -c '%a %U:%G' "$device_htpasswd")
check "device password file 0640 root:www-data (is $device_htpasswd_mode)" test "$device_htpasswd_mode" = "640 root:www-data"
entries=$(grep -cE "^($user_a|$user_y):[{]SSHA[}][A-Za-z0-9+/]{35}=\$" "$device_htpasswd" || true)
check "device password file: one {SSHA} entry per device with a password, named <mac>-<4 hex> ($entries of 2)" \
    test "$entries" = 2 -a "$(wc -l <"$device_htpasswd")" = 2
for secret in "$pw_a" "$pw_y"; do
    if grep -qF "$secret" "$device_htpasswd" "$work/run5.log" "$work/run6.log" "$access_log" "$work/error.log"; then
        fail_later "a device password shows in the password file, the output or the logs"
    else
        pass "a device password stays out of the password file, the output and the logs"
    fi
done
creds_a=(-u "$user_a:$pw_a")
creds_y=(-u "$user_y:$pw_y")
# HTTP: the shared account still guards the shared files.
expect 401 "HTTP, shared cfg.xml without credentials (shared account still asked)" "$http/cfg.xml"
expect 200 "HTTP, shared cfg.xml with the shared account" "$http/cfg.xml" "${auth[@]}"
expect 200 "HTTP, shared spa2102.cfg with the shared account" "$http/spa2102.cfg" "${auth[@]}"
expect 200 "HTTP, shared cfg.xml with A's credentials" "$http/cfg.xml" "${creds_a[@]}"
expect 401 "HTTP, shared cfg.xml with A's user and a wrong password" "$http/cfg.xml" -u "$user_a:$pw_y"
expect 401 "HTTP, A's file without credentials" "$http/cfg$mac_a.xml"
expect 200 "HTTP, A's file with A's credentials" "$http/cfg$mac_a.xml" "${creds_a[@]}"
expect 200 "HTTP, A's Config<MAC>.cfg (upper case) with A's credentials" "$http/Config${mac_a^^}.cfg" "${creds_a[@]}"
expect 401 "HTTP, A's file with A's user and a wrong password" "$http/cfg$mac_a.xml" -u "$user_a:$pw_y"
expect 403 "HTTP, A's file as the bare MAC (not a device user)" "$http/cfg$mac_a.xml" -u "$mac_a:$pw_a"
expect 403 "HTTP, A's file with Y's credentials" "$http/cfg$mac_a.xml" "${creds_y[@]}"
expect 403 "HTTP, A's file with the shared account" "$http/cfg$mac_a.xml" "${auth[@]}"
expect 200 "HTTP, Y's file with Y's credentials" "$http/$mac_y.cfg" "${creds_y[@]}"
expect 403 "HTTP, Y's file with A's credentials" "$http/$mac_y.cfg" "${creds_a[@]}"
expect 403 "HTTP, Y's file, MAC with colons, with A's credentials" "$http/80:5e:c0:00:00:01.cfg" "${creds_a[@]}"
expect 401 "HTTP, Y's file without credentials" "$http/$mac_y.cfg"
# The bootstrap file follows the shared files' rules: the shared account on
# HTTP (or the device's own credentials), nothing on HTTPS here.
expect 401 "HTTP, Y's bootstrap file without credentials (shared account asked)" "$http/$mac_y.boot"
expect 200 "HTTP, Y's bootstrap file with the shared account" "$http/$mac_y.boot" "${auth[@]}"
expect 200 "HTTP, Y's bootstrap file with A's credentials" "$http/$mac_y.boot" "${creds_a[@]}"
expect 200 "HTTPS, Y's bootstrap file without certificate or credentials" "$https/$mac_y.boot" "${tls[@]}"
expect 404 "HTTP, a device file that does not exist, with its credentials" "$http/cfg$mac_y.xml" "${creds_y[@]}"
# A device file that does not exist is 404 before credentials are asked for
# (a Poly phone asks for <mac>.cfg, a Yealink device file's name, first).
# From the address the 404 limit exempts: the phone's own address has spent
# its burst by now, and a refused request would say nothing about the 404.
expect 404 "HTTP, a device file that does not exist, without credentials" "$http/0004f2aa0009.cfg" --interface "$exempt_ip"
expect 404 "HTTPS, a device file that does not exist, without credentials" "$https/0004f2aa0009.cfg" "${tls[@]}" \
    --interface "$exempt_ip"
body=$(in_namespace "$phone_ns" curl -s "${creds_y[@]}" "$http/$mac_y.cfg")
check "body of Y's file ($body)" test "$body" = "#!version:1.0.0.1 account of $mac_y"
headers=$(in_namespace "$phone_ns" curl -s -D - -o /dev/null "$http/$mac_y.cfg" | tr -d '\r')
check "401 names the device realm" grep -qx 'WWW-Authenticate: Basic realm="Provisioning device"' <<<"$headers"
# device_auth in the log: the device whose credentials nginx checked, on a 200 only.
authenticated=$(json_lines "$access_log" path="/$mac_y.cfg" status=200 remote_user="$user_y" device_auth="$mac_y")
check "log: Y's authenticated fetches carry device_auth=$mac_y ($authenticated)" test "$authenticated" -ge 2
refused=$(json_lines "$access_log" path="/$mac_y.cfg" status=401 device_auth="")
refused_all=$(json_lines "$access_log" path="/$mac_y.cfg" status=401)
check "log: refused fetches carry no device_auth ($refused of $refused_all)" test "$refused" -ge 1 -a "$refused" = "$refused_all"
other=$(json_lines "$access_log" path="/cfg.xml" status=200 remote_user="$user_a" device_auth="")
check "log: a shared file fetched with device credentials carries no device_auth ($other)" test "$other" -ge 1
# HTTPS (no shared account there): both the certificate and the credentials.
expect 200 "HTTPS, no certificate, no credentials: shared cfg.xml" "$https/cfg.xml" "${tls[@]}"
expect 200 "HTTPS, A's certificate, no credentials: shared cfg.xml" "$https/cfg.xml" "${tls[@]}" "${cert_a[@]}"
expect 200 "HTTPS, A's certificate and credentials: own file" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}" "${creds_a[@]}"
expect 401 "HTTPS, A's certificate, no credentials: own file" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}"
expect 403 "HTTPS, B's certificate with A's credentials: A's file" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_b[@]}" "${creds_a[@]}"
expect 200 "HTTPS, B's own spa<mac>.xml (no credentials asked)" "$https/spa$mac_b.xml" "${tls[@]}" "${cert_b[@]}"

echo "--- per-device HTTP credentials: rotation, without a reload"
pw_a2=Nc5tW2mXe8Rk4PyD
credentials_vars "$pw_a2" >"$work/credentials-rotated.yml"
# As deploy.yml runs the servers: the password file is left to the entry point.
htpasswd_before=$(sha256sum <"$device_htpasswd")
run_role "$work/run7a.log" -e "@$work/credentials-rotated.yml" -e '{"http_server_device_credentials_write": false}' \
    || fail_with_log "$work/run7a.log" "the run with http_server_device_credentials_write=false failed"
check "write=false leaves the password file alone (changed=0)" recap_holds "$work/run7a.log" changed=0
check "write=false: password file unchanged" test "$(sha256sum <"$device_htpasswd")" = "$htpasswd_before"
# Then the device_credentials entry point, as profiles.yml runs it after the key store.
role_playbook=device_credentials.yml run_role "$work/run7.log" -e "@$work/credentials-rotated.yml" \
    || fail_with_log "$work/run7.log" "the device_credentials entry point failed"
check "device_credentials entry point changed=1 (the password file)" recap_holds "$work/run7.log" changed=1
user_a2=$(http_user "$mac_a" "$pw_a2")
expect 401 "HTTP, A's old password" "$http/cfg$mac_a.xml" "${creds_a[@]}"
expect 200 "HTTP, A's new password" "$http/cfg$mac_a.xml" -u "$user_a2:$pw_a2"
expect 200 "HTTP, Y's unchanged password" "$http/$mac_y.cfg" "${creds_y[@]}"
check "still the same nginx master" test "$(cat "$nginx_pidfile")" = "$master_pid"

site_before=$(sha256sum "$site")
{
    cat "$work/anonymous.yml"
    echo "http_server_device_credentials_enabled: true"
    echo "http_server_device_credentials: [{mac: c074ad00001, password: $pw_a2}]"
} >"$work/bad-credentials.yml"
expect_run_fails "$work/bad-credentials.yml" "$work/bad-credentials.log" "a device MAC of 11 digits" \
    "http_server_device_credentials[0]" "c074ad00001"
check "live site file unchanged" test "$(sha256sum "$site")" = "$site_before"
if grep -qF "$pw_a2" "$work/bad-credentials.log"; then
    fail_later "the password shows in the output of the failed run"
else
    pass "the password stays out of the output of the failed run"
fi
expect 200 "HTTP, A's new password after the failed run" "$http/cfg$mac_a.xml" -u "$user_a2:$pw_a2"

echo "--- per-device HTTP credentials: a rotation under way lets the device in with either password"
pw_y2=Kp7wQ3nRt5Xv9ZbC
user_y2=$(http_user "$mac_y" "$pw_y2")
{
    credentials_vars "$pw_a2"
    echo "http_server_device_next_keys:"
    echo "  ${mac_y^^}: {p1359: 99887766, http_password: \"$pw_y2\"}"
} >"$work/credentials-next.yml"
role_playbook=device_credentials.yml run_role "$work/run7b.log" -e "@$work/credentials-next.yml" \
    || fail_with_log "$work/run7b.log" "the entry point with next keys failed"
check "next keys: one more line, Y's new user ($user_y2)" grep -qE "^$user_y2:[{]SSHA[}]" "$device_htpasswd"
expect 200 "HTTP, Y's current password during its rotation" "$http/$mac_y.cfg" "${creds_y[@]}"
expect 200 "HTTP, Y's new password during its rotation" "$http/$mac_y.cfg" -u "$user_y2:$pw_y2"
expect 401 "HTTP, Y's new user with the old password" "$http/$mac_y.cfg" -u "$user_y2:$pw_y"
new_user_logged=$(json_lines "$access_log" path="/$mac_y.cfg" status=200 remote_user="$user_y2" device_auth="$mac_y")
check "log: the new user's fetch names it in remote_user ($new_user_logged)" test "$new_user_logged" -ge 1
role_playbook=device_credentials.yml run_role "$work/run7c.log" -e "@$work/credentials-rotated.yml" \
    || fail_with_log "$work/run7c.log" "the entry point after the rotation failed"
expect 401 "HTTP, Y's second user gone once the rotation is over" "$http/$mac_y.cfg" -u "$user_y2:$pw_y2"

echo "--- per-device HTTP credentials off again"
run_role "$work/run8.log" -e "@$work/anonymous.yml" || fail_with_log "$work/run8.log" "the run without per-device credentials failed"
check "device password file removed" test ! -e "$device_htpasswd"
expect 200 "HTTP, A's file with the shared account again" "$http/cfg$mac_a.xml" "${auth[@]}"
expect 200 "HTTPS, A's file with A's certificate only again" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}"

exit_on_failures_later
echo "all checks passed"
