#!/bin/sh
# Check a DHCP provisioning options fragment the way its server reads it:
# included in a minimal complete configuration, by the server's own checker.
# Usage: check-fragment.sh kea|isc|dnsmasq FRAGMENT
set -eu

backend=$1
fragment=$2
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT

case $backend in
kea)
    cat >"$wrapper" <<WRAPPER
{
"Dhcp4": {
  "interfaces-config": { "interfaces": [] },
  "lease-database": { "type": "memfile", "persist": false },
  <?include "$fragment"?>
}
}
WRAPPER
    kea-dhcp4 -t "$wrapper"
    ;;
isc)
    printf 'include "%s";\n' "$fragment" >"$wrapper"
    dhcpd -t -q -cf "$wrapper"
    ;;
dnsmasq)
    printf 'port=0\ndhcp-range=192.0.2.10,192.0.2.20,1h\nconf-file=%s\n' "$fragment" >"$wrapper"
    dnsmasq --test --conf-file="$wrapper"
    ;;
*)
    echo "unknown backend $backend" >&2
    exit 2
    ;;
esac
