# shellcheck shell=bash
# The lab's network: a phone LAN (a bridge in namespace <prefix>-lan), a
# provisioning server (namespace <prefix>-prov, eth0 = 10.99.20.1/24) and one
# namespace per virtual phone (eth0, no address until DHCP gives one). Each
# phone has a namespace of its own because two DHCP clients on one subnet in
# one namespace would share one routing table.
#
# Sourced by scripts/lab, bench/boot_storm.py and every integration target
# that needs a network (through tests/integration/targets/setup_lab/lib.sh):
#   lab_net_up [--server ADDRESS/LENGTH] PREFIX PHONE...
#                                  create the namespaces and links; the
#                                  server's eth0 gets ADDRESS/LENGTH (default
#                                  LAB_SERVER_ADDRESS/LAB_PREFIX_LENGTH)
#   lab_net_address NAMESPACE ADDRESS/LENGTH...
#                                  more addresses on a namespace's eth0 (a
#                                  phone's fixed address, or several clients
#                                  sharing one namespace)
#   lab_net_down PREFIX            kill every process left in them, delete them
# Everything it makes is named after PREFIX, so a lab never touches another.
# PREFIX is 10 characters at most: link names are PREFIX-pN-b, and Linux
# allows 15.

LAB_SERVER_ADDRESS=10.99.20.1
LAB_PREFIX_LENGTH=24

lab_net_up() {
    local server="$LAB_SERVER_ADDRESS/$LAB_PREFIX_LENGTH" prefix phone index=0
    if [ "${1:-}" = --server ]; then
        server=$2
        shift 2
    fi
    prefix=$1
    shift
    if [ "${#prefix}" -gt 10 ]; then
        echo "lab_net_up: the prefix '$prefix' is longer than 10 characters (link names are limited to 15)" >&2
        return 1
    fi
    lab_net_down "$prefix"
    ip netns add "$prefix-lan"
    ip -n "$prefix-lan" link add lan type bridge
    ip -n "$prefix-lan" link set lan up
    ip -n "$prefix-lan" link set lo up
    _lab_attach "$prefix" prov "$prefix-prov"
    ip -n "$prefix-prov" addr add "$server" dev eth0
    for phone in "$@"; do
        index=$((index + 1))
        _lab_attach "$prefix" "p$index" "$prefix-$phone"
    done
}

lab_net_address() {
    local namespace=$1 address
    shift
    for address in "$@"; do
        ip -n "$namespace" addr add "$address" dev eth0
    done
}

# _lab_attach PREFIX SHORT NAMESPACE: a namespace with eth0 on the LAN bridge.
# veth names are made short and unique first (15 characters at most), then the
# namespace's end is renamed eth0.
_lab_attach() {
    local prefix=$1 short=$2 namespace=$3
    ip netns add "$namespace"
    ip link add "$prefix-$short" type veth peer name "$prefix-$short-b"
    ip link set "$prefix-$short" netns "$namespace"
    ip -n "$namespace" link set "$prefix-$short" name eth0
    ip link set "$prefix-$short-b" netns "$prefix-lan"
    ip -n "$prefix-lan" link set "$prefix-$short-b" master lan up
    ip -n "$namespace" link set lo up
    ip -n "$namespace" link set eth0 up
}

lab_net_down() {
    local prefix=$1 namespace pids
    for namespace in $(ip netns list | awk '{print $1}' | grep -E "^$prefix-" || true); do
        # The daemons the deploy started in the namespace (nginx, tftpd,
        # kea, rsyslog, dhclient) live only there: stop them before the
        # namespace goes, or they would keep running without a network.
        pids=$(ip netns pids "$namespace" 2>/dev/null | tr '\n' ' ')
        if [ -n "${pids// /}" ]; then
            # shellcheck disable=SC2086  # one argument per PID
            kill $pids 2>/dev/null || true
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                [ -z "$(ip netns pids "$namespace" 2>/dev/null)" ] && break
                sleep 0.2
            done
            pids=$(ip netns pids "$namespace" 2>/dev/null | tr '\n' ' ')
            # shellcheck disable=SC2086
            [ -z "${pids// /}" ] || kill -9 $pids 2>/dev/null || true
        fi
        ip netns del "$namespace" 2>/dev/null || true
    done
}
