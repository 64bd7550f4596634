#!/usr/bin/env bash
# The dhcp role with Kea, ISC dhcpd and dnsmasq in turn: each serves a
# network namespace, and the real dhclient asks it for a lease from another
# namespace as a Grandstream, a Cisco SPA, a Cisco MPP, a Panasonic phone, a
# Poly phone (binary option 60), Yealink phones (their MAC address prefix,
# no option 60) and clients of no known vendor; each must get its own
# provisioning options.
set -eu

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

server_ip=10.99.14.1

# Files the role writes; saved first and put back by cleanup.
managed_files=(
    /etc/kea/kea-dhcp4.conf
    /etc/kea/sipfleet-dhcp4-options.json
    /etc/dhcp/dhcpd.conf
    /etc/dhcp/sipfleet-dhcp-options.conf
    /etc/default/isc-dhcp-server
    /etc/dnsmasq.d/sipfleet-dhcp.conf
    /usr/local/sbin/sipfleet-dhcp-check-fragment
)
declare -A pid_files=(
    [kea]=/run/kea/kea-dhcp4.kea-dhcp4.pid
    [isc]=/run/dhcpd.pid
    [dnsmasq]=/run/dnsmasq/dnsmasq.pid
)

make_work role_dhcp
mkdir "$work/saved"
for file in "${managed_files[@]}"; do
    if [ -e "$file" ]; then
        mkdir -p "$work/saved$(dirname "$file")"
        cp -a "$file" "$work/saved$file"
    fi
done
: >"$work/servers"

# Servers this test started: the backend's pid file, read while it runs.
remember_server() {
    cat "${pid_files[$1]}" >>"$work/servers"
}

stop_pid() {
    local pid=$1 tries=50
    kill "$pid" 2>/dev/null || return 0
    while [ "$tries" -gt 0 ]; do
        tries=$((tries - 1))
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop_server() {
    local backend=$1 pid
    [ -s "${pid_files[$backend]}" ] || return 0
    pid=$(cat "${pid_files[$backend]}")
    if grep -qx "$pid" "$work/servers"; then
        stop_pid "$pid"
        rm -f "${pid_files[$backend]}"
    fi
}

restore_files() {
    for file in "${managed_files[@]}"; do
        if [ -e "$work/saved$file" ]; then
            cp -a "$work/saved$file" "$file"
        else
            rm -f "$file"
        fi
    done
}
stop_servers() {
    if [ -s "$work/dhclient.pid" ]; then
        stop_pid "$(cat "$work/dhclient.pid")"
    fi
    for backend in "${!pid_files[@]}"; do
        stop_server "$backend"
    done
}
on_exit restore_files
# The servers before their namespace: stop_server also removes the pid files.
setup_netns sft-dhcp "$server_ip/24" phone
phone_ns=sft-dhcp-phone
on_exit stop_servers

# A locally administered MAC, in no vendor's OUI: the phone namespace's
# address for every client that is not about its MAC.
default_mac=02:00:00:99:14:02

# phone_mac MAC: the phone namespace's eth0 takes MAC, which dhclient sends
# as its hardware address (chaddr).
phone_mac() {
    in_namespace "$phone_ns" ip link set dev eth0 down
    in_namespace "$phone_ns" ip link set dev eth0 address "$1"
    in_namespace "$phone_ns" ip link set dev eth0 up
}

# lease VENDOR_CLASS [hex|none]: one real DHCP exchange from the phone
# namespace; the options the client received go to $work/lease, one
# new_NAME=value a line. With hex, VENDOR_CLASS is bytes (00:00:36:3d:...)
# and dhclient sends them as they are, not as text; with none, dhclient
# sends no option 60 at all (VENDOR_CLASS only names the client in errors).
lease() {
    local vendor_class=$1 sent
    sent="send vendor-class-identifier \"$vendor_class\";"
    [ "${2:-}" != hex ] || sent="send vendor-class-identifier $vendor_class;"
    [ "${2:-}" != none ] || sent="# no option 60"
    cat >"$work/dhclient.conf" <<CONF
option cisco-tftp-servers code 150 = array of ip-address;
option provisioning-server code 159 = string;
option provisioning-url code 160 = string;
timeout 15;
$sent
request subnet-mask, routers, tftp-server-name, vendor-encapsulated-options,
        cisco-tftp-servers, provisioning-server, provisioning-url;
CONF
    # dhclient runs its script with an empty environment apart from the lease.
    cat >"$work/dhclient-script" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|REBOOT|RENEW|REBIND) env | grep '^new_' | sort >"$work/lease" ;;
esac
SCRIPT
    chmod +x "$work/dhclient-script"
    rm -f "$work/lease" "$work/dhclient.leases" "$work/dhclient.pid"
    in_namespace "$phone_ns" dhclient -1 -cf "$work/dhclient.conf" -sf "$work/dhclient-script" \
        -lf "$work/dhclient.leases" -pf "$work/dhclient.pid" eth0 ||
        fail "no lease for vendor class '$vendor_class'"
    # With a lease, dhclient goes on in the background and writes its pid
    # file from there: release only once it has.
    local tries=50 pid
    while [ ! -s "$work/dhclient.pid" ] && [ "$tries" -gt 0 ]; do
        tries=$((tries - 1))
        sleep 0.1
    done
    pid=$(cat "$work/dhclient.pid")
    in_namespace "$phone_ns" dhclient -r -cf "$work/dhclient.conf" -sf /bin/true \
        -lf "$work/dhclient.leases" -pf "$work/dhclient.pid" eth0 2>/dev/null
    stop_pid "$pid"
    rm -f "$work/dhclient.pid"
    [ -s "$work/lease" ] || fail "dhclient reported no lease for '$vendor_class'"
}

# expect NAME VALUE: the last lease carried option NAME with exactly VALUE
# (empty: the option was absent).
expect() {
    local name=$1 want=$2 got
    got=$(sed -n "s/^new_$name=//p" "$work/lease")
    [ "$got" = "$want" ] ||
        fail "$backend, '$vendor_class': $name is '$got', expected '$want'"
}

# The sub-options of option 43 as dhclient prints them: 1 "http://10.99.14.1/gs43",
# 2 = 01, 3 = ab:cd. dnsmasq ends the encapsulated options with an end option (ff).
hex_text() {
    printf '%s' "$1" | od -An -tx1 | tr -s ' \n' '::' | sed 's/^://; s/:$//; s/:0\([0-9a-f]\)/:\1/g'
}
option43="1:16:$(hex_text "http://$server_ip/gs43"):2:1:1:3:2:ab:cd"

check_leases() {
    local backend=$1 o43=$option43 yealink43
    # A class matched by MAC sends option 43 as raw bytes on every backend:
    # dnsmasq adds no end option to it.
    yealink43="1:$(printf '%x' ${#yealink_43_text}):$(hex_text "$yealink_43_text")"
    [ "$backend" != dnsmasq ] || o43="$o43:ff"
    phone_mac "$default_mac"

    vendor_class="Grandstream GXP2170 dslforum.org"
    lease "$vendor_class"
    expect tftp_server_name "http://$server_ip/grandstream"
    expect vendor_encapsulated_options "$o43"
    expect routers "$server_ip"
    expect cisco_tftp_servers ""

    vendor_class="Linksys/SPA-2102-2.0.5"
    lease "$vendor_class"
    # dhclient escapes the $ it passes to its script.
    expect tftp_server_name "tftp://$server_ip/spa\\\$PSN.cfg"
    expect vendor_encapsulated_options ""

    vendor_class="Cisco ATA 192"
    lease "$vendor_class"
    expect tftp_server_name 10.99.14.2
    expect cisco_tftp_servers "10.99.14.5 10.99.14.6"
    expect provisioning_server "http://$server_ip/mpp/"
    expect provisioning_url "http://$server_ip/mpp/ata\\\$PSN.cfg"

    # The Panasonic class matches a substring, anywhere in option 60.
    vendor_class="SIP Panasonic KX-HDV130"
    lease "$vendor_class"
    expect tftp_server_name "http://$server_ip/panasonic/"
    expect provisioning_server ""

    # Grandstream matches a prefix: "Grandstream" later in the string is not enough.
    vendor_class="ACME Grandstream-compatible 1.0"
    lease "$vendor_class"
    expect tftp_server_name "$server_ip"
    expect vendor_encapsulated_options ""
    expect provisioning_url ""

    # Poly's option 60 is binary: enterprise 13885 (00 00 36 3d), a length,
    # then sub-options 1 "Polycom", 2 "VVX-VVX_400", 3 "3111-46135-002,7".
    vendor_class=$poly_vendor_class
    lease "$vendor_class" hex
    expect tftp_server_name "http://$server_ip/poly/"
    expect vendor_encapsulated_options ""

    # The hex-prefix matches bytes: the same digits sent as text are not Poly,
    # nor is a client that names Polycom in text.
    for vendor_class in 0000363d Polycom-VVX400; do
        lease "$vendor_class"
        expect tftp_server_name "$server_ip"
    done

    # Yealink is matched by MAC address prefix (OUI) only: phones of two of
    # its OUIs, sending no option 60, or a string no class knows, get
    # Yealink's options (option 43 with its sub-option, so the whole class).
    for mac in 00:15:65:4a:a9:37 80:5e:0c:1d:65:4e; do
        phone_mac "$mac"
        vendor_class="(none, MAC $mac)"
        lease "$vendor_class" none
        expect tftp_server_name "http://$server_ip/yealink/"
        expect vendor_encapsulated_options "$yealink43"
    done
    vendor_class="Yealink SIP-T46U"
    lease "$vendor_class"
    expect tftp_server_name "http://$server_ip/yealink/"
    # The playbook's Poly entry adds an OUI of its own (ouis): a Poly MAC
    # without option 60 gets Poly's options.
    phone_mac 00:04:f2:12:34:56
    vendor_class="(none, MAC 00:04:f2:12:34:56)"
    lease "$vendor_class" none
    expect tftp_server_name "http://$server_ip/poly/"
    expect vendor_encapsulated_options ""
    # MACs outside the OUIs get none of Yealink's options, but the fallback:
    # the last byte of the OUI off; the first; and Yealink's OUI one byte
    # later in the MAC (a test reading the wrong bytes would take it). The
    # fallback also shows that a client sending no option 60 is matched by
    # the classes that exclude the option-60 classes.
    for mac in 00:15:66:4a:a9:37 02:15:65:4a:a9:37 02:00:15:65:4a:a9 $default_mac; do
        phone_mac "$mac"
        vendor_class="(none, MAC $mac)"
        lease "$vendor_class" none
        expect tftp_server_name "$server_ip"
        expect vendor_encapsulated_options ""
    done
}

# Yealink's option 43 sub-option 1, in playbook.yml.
yealink_43_text="http://$server_ip/yealink43/"
poly_vendor_class=00:00:36:3d:28:01:07:50:6f:6c:79:63:6f:6d:02:0b:56:56:58:2d:56:56:58:5f:34:30:30:03:10:33:31:31:31:2d:34:36:31:33:35:2d:30:30:32:2c:37

# check_fragment BACKEND: the options-mode fragment, embedded in a complete
# configuration of its server, passes the server's checker; the same
# configuration with a damaged fragment fails it.
check_fragment() {
    local backend=$1 fragment config
    case $backend in
    kea)
        fragment=/etc/kea/sipfleet-dhcp4-options.json
        config=$work/kea-dhcp4.conf
        cat >"$config" <<CONF
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["eth0"]},
  "lease-database": {"type": "memfile", "persist": false},
  <?include "$work/fragment"?>,
  "subnet4": [{"id": 1, "subnet": "10.99.14.0/24", "pools": [{"pool": "10.99.14.100 - 10.99.14.199"}]}]
}}
CONF
        checker=(kea-dhcp4 -t "$config")
        ;;
    isc)
        fragment=/etc/dhcp/sipfleet-dhcp-options.conf
        config=$work/dhcpd.conf
        printf 'include "%s";\nsubnet 10.99.14.0 netmask 255.255.255.0 { range 10.99.14.100 10.99.14.199; }\n' \
            "$work/fragment" >"$config"
        checker=(dhcpd -t -q -cf "$config")
        ;;
    dnsmasq)
        fragment=/etc/dnsmasq.d/sipfleet-dhcp.conf
        config=$work/dnsmasq.conf
        printf 'port=0\ninterface=eth0\ndhcp-range=10.99.14.100,10.99.14.199,1h\nconf-file=%s\n' \
            "$work/fragment" >"$config"
        checker=(dnsmasq --test "--conf-file=$config")
        ;;
    esac
    grep -q sipfleet_grandstream "$fragment" ||
        fail "$backend: the options fragment $fragment has no Grandstream class"
    ! grep -qE '^(subnet|dhcp-range|interface)|"subnet4"' "$fragment" ||
        fail "$backend: the options fragment $fragment declares subnets or interfaces"
    cp "$fragment" "$work/fragment"
    in_namespace "$prov_ns" "${checker[@]}" >"$work/check.log" 2>&1 ||
        fail "$backend: the options fragment does not pass its checker: $(cat "$work/check.log")"
    printf '\n}}} broken\n' >>"$work/fragment"
    if in_namespace "$prov_ns" "${checker[@]}" >"$work/check.log" 2>&1; then
        fail "$backend: a damaged fragment passed the checker: the check proves nothing"
    fi
}

# check_rejected_config BACKEND: a configuration the server's checker
# rejects leaves the running server and its configuration file untouched.
check_rejected_config() {
    local backend=$1 config before pid
    config=$(config_file "$backend")
    before=$(sha256sum "$config")
    pid=$(cat "${pid_files[$backend]}")
    if run_role "$work/broken.log" -e dhcp_backend="$backend" -e dhcp_manage_package=false \
        -e @broken-server.yml; then
        fail "$backend: the role accepted a configuration its server rejects"
    fi
    grep -q 'failed to validate' "$work/broken.log" ||
        { cat "$work/broken.log"; fail "$backend: the broken run failed, but not in validation"; }
    [ "$(sha256sum "$config")" = "$before" ] || fail "$backend: a rejected configuration replaced $config"
    if [ "$(cat "${pid_files[$backend]}")" != "$pid" ] || ! kill -0 "$pid"; then
        fail "$backend: the server did not survive a rejected configuration"
    fi
    vendor_class="ACME Grandstream-compatible 1.0"
    lease "$vendor_class"
    expect tftp_server_name "$server_ip"
    echo "$backend: a rejected configuration left the server and $config untouched"
}

config_file() {
    case $1 in
    kea) echo /etc/kea/kea-dhcp4.conf ;;
    isc) echo /etc/dhcp/dhcpd.conf ;;
    dnsmasq) echo /etc/dnsmasq.d/sipfleet-dhcp.conf ;;
    esac
}

for backend in kea isc dnsmasq; do
    start=$SECONDS
    run_role "$work/first.log" -e dhcp_backend="$backend" ||
        fail_with_log "$work/first.log" "$backend: the first run failed"
    run_role "$work/second.log" -e dhcp_backend="$backend" ||
        fail_with_log "$work/second.log" "$backend: the second run failed"
    expect_recap "$work/second.log" changed=0
    [ -s "${pid_files[$backend]}" ] || fail "$backend: no server runs after the role (${pid_files[$backend]})"
    remember_server "$backend"
    for other in "${!pid_files[@]}"; do
        [ "$other" = "$backend" ] || [ ! -s "${pid_files[$other]}" ] ||
            ! kill -0 "$(cat "${pid_files[$other]}")" 2>/dev/null ||
            fail "$backend: the $other server still runs"
    done
    echo "$backend: role applied twice, second run changed=0"

    leases_start=$SECONDS
    check_leases "$backend"
    echo "$backend: Grandstream, SPA, MPP, Panasonic, Poly (binary option 60 or an OUI), Yealink (OUI, no option 60) and unknown clients got their options ($((SECONDS - leases_start)) s)"

    pid=$(cat "${pid_files[$backend]}")
    # The same template validation guards every backend's files: Kea shows
    # it, whose daemon would reload a changed file.
    [ "$backend" != kea ] || check_rejected_config "$backend"

    # Options mode reloads a running server after checking its whole
    # configuration: done with Kea (a SIGHUP); dhcpd and dnsmasq would only
    # restart, which costs seconds and is covered by the server mode runs.
    manage_service=false
    [ "$backend" != kea ] || manage_service=true
    run_role "$work/options.log" -e dhcp_backend="$backend" -e dhcp_mode=options -e dhcp_manage_package=false \
        -e dhcp_manage_service="$manage_service" ||
        fail_with_log "$work/options.log" "$backend: options mode failed"
    if [ "$backend" = kea ]; then
        expect_recap "$work/options.log" --changed-task "Reload kea-dhcp4"
        [ "$(cat "${pid_files[kea]}")" = "$pid" ] || fail "kea: options mode restarted Kea instead of reloading it"
    fi
    check_fragment "$backend"
    echo "$backend: the options fragment passes $backend's checker inside a complete configuration"

    stop_server "$backend"
    echo "$backend: done in $((SECONDS - start)) s"
done
