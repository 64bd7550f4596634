# shellcheck shell=bash
# The lab's inventory repository and its phones, for scripts/lab and the
# end-to-end test alike.
#
#   lab_prepare_repo CHECKOUT DIR   DIR/repo: the example inventory, as a user
#                                   would have cloned it, with lab/hosts.yml
#                                   for its hosts; DIR/vault-password; DIR/pki
#   lab_phone_args PHONE DIR        lab/virtual_phone.py's arguments for one
#                                   of LAB_PHONES, one a line
#   lab_first_contact_args PHONE    what a factory-new PHONE needs on top of
#                                   those to reach its account, one a line
#   lab_boot CHECKOUT PREFIX PHONE DIR [ARG...]
#                                   boot PHONE's virtual phone in its namespace
#                                   of the lab PREFIX (lab/network.sh), with
#                                   lab_phone_args and ARGs (--json, --state,
#                                   --resyncs... of lab/virtual_phone.py)

# shellcheck disable=SC2034  # read by the scripts that source this file
LAB_PHONES=(gs spa mpp pana yl poly snom fanvil)
# The CA of the server certificate the http_server role makes (lab_ca).
LAB_SERVER_CA=/etc/nginx/sipfleet-provisioning/lab-ca/ca.pem

lab_prepare_repo() {
    local checkout=$1 dir=$2
    cp -r "$checkout/examples" "$dir/repo"
    cp "$checkout/lab/hosts.yml" "$dir/repo/inventory/hosts.yml"
    # The example's vault password (examples/README.md); yours goes elsewhere.
    install -m 600 /dev/null "$dir/vault-password"
    printf 'sipfleet-example\n' >"$dir/vault-password"
    # The Cisco ATA presents a client certificate from its maker, as real
    # ones do (Cisco's manufacturing CA). The lab plays the maker: its CA goes
    # where the example inventory takes the makers' CAs from (pki/*.pem).
    "$checkout/lab/phone_certificates.sh" "$dir/pki" 0c1167abcdef ATA192-MPP FCH2118DGQP >/dev/null
    cp "$dir/pki/maker-ca.pem" "$dir/repo/pki/lab-maker-ca.pem"
}

lab_phone_args() {
    local phone=$1 dir=$2
    case $phone in
        gs) printf '%s\n' --vendor grandstream --model GXP2170 --mac 00:0b:82:12:34:56 ;;
        spa) printf '%s\n' --vendor cisco_spa --model SPA2102 --mac 00:0e:08:ab:cd:ef ;;
        mpp) printf '%s\n' --vendor cisco_mpp --model ATA192 --mac 0c:11:67:ab:cd:ef --cacert "$LAB_SERVER_CA" \
                 --cert "$dir/pki/phone.pem" --key "$dir/pki/phone.key" ;;
        pana) printf '%s\n' --vendor panasonic --model KX-UTG300 --mac 00:80:f0:c8:c3:81 ;;
        yl) printf '%s\n' --vendor yealink --model T46U --mac 00:15:65:74:b1:50 ;;
        poly) printf '%s\n' --vendor poly --model VVX450 --mac 00:04:f2:aa:00:01 ;;
        snom) printf '%s\n' --vendor snom --model D785 --mac 00:04:13:5e:00:01 ;;
        fanvil) printf '%s\n' --vendor fanvil --model X4 --mac 0c:38:3e:5e:00:02 ;;
        *) echo "lab_phone_args: no phone $phone" >&2; return 1 ;;
    esac
}

lab_first_contact_args() {
    # A Panasonic phone's first boot applies its key file; it fetches the
    # encrypted file the key file names at its next cyclic check.
    [ "$1" != pana ] || printf '%s\n' --resyncs 1
}

lab_boot() {
    local checkout=$1 prefix=$2 phone=$3 dir=$4 args
    shift 4
    mapfile -t args < <(lab_phone_args "$phone" "$dir")
    [ "${#args[@]}" -gt 0 ] || return 1
    ip netns exec "$prefix-$phone" python3 "$checkout/lab/virtual_phone.py" --interface eth0 \
        --resolve "prov.example.net=$LAB_SERVER_ADDRESS" "${args[@]}" "$@"
}
