#!/usr/bin/env bash
# The http_server role run twice in a "provisioning server" network namespace,
# then nginx exercised with curl from a "phone" namespace: HTTP with basic
# authentication, HTTPS with client certificates bound to devices (made here
# with the openssl CLI), the JSON access log, and a bad setting that must fail
# the run while nginx keeps serving its previous configuration.
set -eu

prov_ns=sft-http-prov
phone_ns=sft-http-phone
prov_ip=10.99.13.1
phone_ip=10.99.13.2
site=/etc/nginx/conf.d/sipfleet-provisioning.conf
default_site=/etc/nginx/sites-enabled/default
nginx_pidfile=/run/nginx.pid

mac_a=c074ad000001 # Grandstream: MAC in the common name
mac_b=000e08abcdef # Cisco SPA: MAC in S= (stateOrProvinceName)
secret_dir=9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
pass() {
    echo "ok: $*"
}
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

if [ -s "$nginx_pidfile" ] && kill -0 "$(cat "$nginx_pidfile")" 2>/dev/null; then
    echo "an nginx is already running ($nginx_pidfile): this test runs the machine's nginx and cannot share it" >&2
    exit 1
fi
if [ -e "$site" ]; then
    echo "$site exists already: this test would overwrite it" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/role-http-server.XXXXXX")
chmod 0755 "$work"
default_site_target=$(readlink "$default_site" 2>/dev/null || true)
started_nginx=

cleanup() {
    set +e
    local pid
    if [ -s "$nginx_pidfile" ]; then
        pid=$(cat "$nginx_pidfile")
        # Only the nginx this test started: its master runs in our namespace.
        if [ "$(ip netns identify "$pid" 2>/dev/null)" = "$prov_ns" ]; then
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        elif [ -n "$started_nginx" ]; then
            echo "leaving nginx $pid alone: it is not in $prov_ns" >&2
        fi
    fi
    ip netns del "$phone_ns" 2>/dev/null
    ip netns del "$prov_ns" 2>/dev/null
    rm -f "$site"
    if [ -n "$default_site_target" ] && [ ! -e "$default_site" ]; then
        ln -s "$default_site_target" "$default_site"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- network: two namespaces joined by a veth pair -----------------------------
ip netns add "$prov_ns"
ip netns add "$phone_ns"
ip link add sft-http-p0 type veth peer name sft-http-p1
ip link set sft-http-p0 netns "$prov_ns"
ip link set sft-http-p1 netns "$phone_ns"
ip -n "$prov_ns" addr add "$prov_ip/24" dev sft-http-p0
ip -n "$phone_ns" addr add "$phone_ip/24" dev sft-http-p1
for ns in "$prov_ns" "$phone_ns"; do
    ip -n "$ns" link set lo up
done
ip -n "$prov_ns" link set sft-http-p0 up
ip -n "$phone_ns" link set sft-http-p1 up

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
echo "grandstream legacy $mac_a" >"$root/gs_cfg${mac_a}_cfg001"
echo "panasonic $mac_a" >"$root/Config${mac_a^^}.cfg"
echo "<flat-profile><GPP_B>$secret_dir</GPP_B></flat-profile>" >"$root/spa$mac_b.xml"
echo "encrypted spa2102 profile of $mac_b" >"$root/profile/$secret_dir/spa2102.cfg"
echo "<gs_provision/>" >"$root/cfg.xml"
echo "<flat-profile/>" >"$root/spa2102.cfg"
echo ".sipfleet-tmp- leftover" >"$root/.sipfleet-tmp-cfg.xml"
chmod -R a+rX "$root"

# --- role settings ----------------------------------------------------------------
state=$work/state
access_log=$work/access.log
common_vars() {
    cat <<EOF
http_server_root: $root
http_server_state_dir: $state
http_server_check_script: $work/bin/nginx-check-site
http_server_access_log: $access_log
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
EOF
} >"$work/lab-ca.yml"

run_role() { # VARS_FILE LOG
    ip netns exec "$prov_ns" ansible-playbook -i "$INVENTORY_PATH" -c local \
        -e ansible_python_interpreter=/usr/bin/python3 -e "@$1" playbook.yml >"$2" 2>&1
}
changed_count() {
    sed -n 's/^testhost *:.* changed=\([0-9]*\) .*/\1/p' "$1"
}

# --- apply twice ------------------------------------------------------------------
run_role "$work/lab-ca.yml" "$work/run1.log" || { cat "$work/run1.log"; exit 1; }
started_nginx=yes
echo "first run: changed=$(changed_count "$work/run1.log")"
run_role "$work/lab-ca.yml" "$work/run2.log" || { cat "$work/run2.log"; exit 1; }
if [ "$(changed_count "$work/run2.log")" = 0 ]; then
    pass "second run changed=0"
else
    cat "$work/run2.log"
    fail "second run changed=$(changed_count "$work/run2.log")"
fi
if [ -e "$default_site" ]; then fail "the default site is still enabled"; fi
master_pid=$(cat "$nginx_pidfile")
if [ "$(ip netns identify "$master_pid")" = "$prov_ns" ]; then
    pass "nginx $master_pid runs in $prov_ns"
else
    fail "nginx $master_pid is not in $prov_ns"
fi
key_mode=$(stat -c %a "$state/server.key")
check "server key mode 0600 (is $key_mode)" test "$key_mode" = 600
# shellcheck disable=SC2016  # a literal crypt prefix
check "password file holds one SHA-512 crypt entry" grep -qxE 'grandstream:\$6\$[^$]+\$[./0-9A-Za-z]{86}' "$state/htpasswd"

# --- clients ----------------------------------------------------------------------
# status URL [curl options...]: the HTTP status code, 000 when no answer.
status() {
    local url=$1
    shift
    ip netns exec "$phone_ns" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" || true
}
expect() { # WANT DESCRIPTION URL [curl options...]
    local want=$1 what=$2 got
    shift 2
    got=$(status "$@")
    if [ "$got" = "$want" ]; then pass "$what: $got"; else fail "$what: want $want, got $got"; fi
}
http=http://$prov_ip
https=https://$prov_ip
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
body=$(ip netns exec "$phone_ns" curl -s "${auth[@]}" "$http/cfg.xml")
check "body of cfg.xml ($body)" test "$body" = "<gs_provision/>"
listing=$(ip netns exec "$phone_ns" curl -s "${auth[@]}" "$http/profile/")
case "$listing" in
    *"$secret_dir"* | *"Index of"*) fail "a directory request lists its content" ;;
    *) pass "no directory listing" ;;
esac
headers=$(ip netns exec "$phone_ns" curl -s -D - -o /dev/null "${auth[@]}" -X POST "$http/cfg.xml" | tr -d '\r')
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
    fail "access log"
fi

echo "--- a bad setting fails the run and nginx keeps serving"
site_before=$(sha256sum "$site")
{
    cat "$work/lab-ca.yml"
    echo "http_server_ssl_ciphers: NOT-A-CIPHER"
} >"$work/bad.yml"
if run_role "$work/bad.yml" "$work/bad.log"; then
    fail "a run with ssl_ciphers NOT-A-CIPHER succeeded"
else
    if grep -q 'SSL_CTX_set_cipher_list' "$work/bad.log"; then
        pass "the run failed on nginx's own check"
    else
        cat "$work/bad.log"
        fail "the run failed, but not on the cipher list"
    fi
fi
check "live site file unchanged" test "$(sha256sum "$site")" = "$site_before"
check "same nginx master running" test "$(cat "$nginx_pidfile")" = "$master_pid"
check "nginx master alive" kill -0 "$master_pid"
expect 200 "still serving after the failed run" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_a[@]}"
expect 403 "still binding files to devices" "$https/cfg$mac_a.xml" "${tls[@]}" "${cert_b[@]}"

echo "--- certificate from inventory, ssl_verify_client optional"
{
    common_vars
    echo 'http_server_ssl_verify_client: "optional"'
    # PEM text, as inventory would carry it.
    printf 'http_server_client_ca_certificates:\n  - |\n'
    sed 's/^/    /' "$pki/phones-ca.pem"
    echo "http_server_tls_certificate: |"
    sed 's/^/  /' "$pki/inventory-server.pem"
    echo "http_server_tls_private_key: |"
    sed 's/^/  /' "$pki/inventory-server.key"
} >"$work/inventory-cert.yml"
run_role "$work/inventory-cert.yml" "$work/run3.log" || { cat "$work/run3.log"; exit 1; }
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
    fail "the private key shows in the output"
else
    pass "the private key stays out of the output"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures checks failed" >&2
    exit 1
fi
echo "all checks passed"
