# shellcheck shell=bash
# The lab's network: a phone LAN (a bridge in namespace <prefix>-lan), a
# provisioning server (namespace <prefix>-prov, eth0 = 10.99.20.1/24) and one
# namespace per virtual phone (eth0, no address until DHCP gives one). Each
# phone has a namespace of its own because two DHCP clients on one subnet in
# one namespace would share one routing table.
#
# Sourced by scripts/lab and by the end-to-end tests:
#   lab_net_up PREFIX PHONE...     create the namespaces and links
#   lab_net_down PREFIX            kill every process left in them, delete them
# Everything it makes is named after PREFIX, so a lab never touches another.

LAB_SERVER_ADDRESS=10.99.20.1
LAB_PREFIX_LENGTH=24

lab_net_up() {
    local prefix=$1 phone index=0
    shift
    lab_net_down "$prefix"
    ip netns add "$prefix-lan"
    ip -n "$prefix-lan" link add lan type bridge
    ip -n "$prefix-lan" link set lan up
    ip -n "$prefix-lan" link set lo up
    _lab_attach "$prefix" prov "$prefix-prov"
    ip -n "$prefix-prov" addr add "$LAB_SERVER_ADDRESS/$LAB_PREFIX_LENGTH" dev eth0
    for phone in "$@"; do
        index=$((index + 1))
        _lab_attach "$prefix" "p$index" "$prefix-$phone"
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
