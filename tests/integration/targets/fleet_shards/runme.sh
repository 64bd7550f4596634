#!/usr/bin/env bash
# Shards of one fleet on two provisioning hosts, through playbooks/profiles.yml
# as users run it (ansible-playbook -v sipfleet.provisioning.profiles), the
# fleet read from files by key_store and phone_profiles themselves
# (sipfleet_device_sources: per-device YAML files, one vault-encrypted, and a
# scan CSV; Grandstream, Panasonic and Cisco SPA phones at two sites):
#   prov-berlin  sipfleet_shard: {sites: [berlin]}
#   prov-rest    sipfleet_shard: {query: "site == 'munich'"}
#   prov-all     no shard, in an inventory of its own: the reference
# Each host has its own served root and state directory on localhost. Asserted:
# - each shard host serves exactly its shard's files, byte for byte what the
#   unsharded host serves for them, and together everything it serves; one
#   key store holds the keys of both shards, the ones the unsharded run
#   (started from a copy of it) uses without adding any;
# - a shard's profile fetched over TFTP from a real in.tftpd serving its root
#   decrypts with the openssl CLI and the stored key; the other shard's file
#   is not there;
# - a rerun changes nothing and renders no device; a one-device edit in a
#   YAML file (and in the CSV) renders that device only, on its shard's host
#   only; a site's setting renders that site's devices on its shard's host
#   only; a device moved to the other site is pruned from its old host and
#   rendered on its new one; sipfleet_full_render renders every device of
#   each shard; the shards still serve what the unsharded host renders;
# - a device no shard selects fails the keys task, naming it, before anything
#   is written; sipfleet_shard_coverage: false lets a run limited to one
#   shard's host pass;
# - no password or key reaches the output of any of these -v runs.
set -eu
set -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$here/../setup_lab/lib.sh"
make_work fleet-shards
python=$test_python

export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-password" ANSIBLE_NOCOLOR=1
# One JSON line per task result at -v: what shards.py reads.
export ANSIBLE_CALLBACK_RESULT_FORMAT=json ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default
printf 'fleet-shards-vault-password\n' >"$ANSIBLE_VAULT_PASSWORD_FILE"
mkdir -p "$work/logs"

# The test's own knowledge of the fleet: which devices and models each shard holds.
berlin_macs=(000b825a0001 0080f05a0001 000e085a0001)
rest_macs=(000b825a0011 000b825a0012 000e085a0011 0080f05a0011)
berlin_models=(GXP2170 KX-UTG300 SPA502G)
rest_models=(GXP2160 KX-UTG200 SPA2102)
passwords=(Shard-Gs201-Secret Shard-Pana221-Vaulted Shard-Spa202-Secret Shard-Gs312-Secret Shard-Spa301-Secret
           Shard-Gs311-Secret Shard-Pana303-Secret Shard-Gs401-Secret ShardAdminSecret9)

# --- the fleet's files and the inventories ---------------------------------------

cp -r "$here/fleet" "$work/fleet"
ansible-vault encrypt --output "$work/fleet/devices/berlin/office.yml" "$work/fleet/vaulted/office.yml" >/dev/null
rm -r "$work/fleet/vaulted"
[ "$(head -c 14 "$work/fleet/devices/berlin/office.yml")" = "\$ANSIBLE_VAULT" ] || fail "office.yml is not vault-encrypted"

host_entry() {
    # $1 host; the rest: lines of its sipfleet_shard, if any
    local host=$1
    shift
    mkdir -p "$work/$host"
    : >"$work/$host/access.log"
    cat <<YAML
    $host:
      ansible_connection: local
      ansible_python_interpreter: $python
      sipfleet_profile_roots: [$work/$host/root]
      sipfleet_state_dir: $work/$host/state
      sipfleet_http_access_logs: [$work/$host/access.log]
YAML
    if [ $# -gt 0 ]; then
        echo "      sipfleet_shard:"
        printf '        %s\n' "$@"
    fi
}

write_inventory() {
    # $1 sharded|single: the inventory directory $work/$1/inventory
    local inventory=$work/$1/inventory
    mkdir -p "$inventory/group_vars"
    # Relative to the inventory directory: the fleet lives beside it, not in it.
    cat >"$inventory/group_vars/all.yml" <<'YAML'
---
sipfleet_device_sources:
  - ../../fleet/devices/
  - ../../fleet/scans/*.csv
# The scan CSV's lines without a password.
sipfleet_device_passwords:
  "301": Shard-Spa301-Secret
  "311": Shard-Gs311-Secret
  "303": Shard-Pana303-Secret
sipfleet_defaults:
  sip_server: pbx.example.net
  admin_password: ShardAdminSecret9
  provisioning_url: http://prov.example.net/
sipfleet_sites:
  berlin: {}
  munich: {}
  # No phone yet: a device added there is in no shard.
  potsdam: {}
sipfleet_bootstrap_serve: always
YAML
    {
        echo "provisioning_servers:"
        echo "  hosts:"
        if [ "$1" = sharded ]; then
            host_entry prov-berlin "sites: [berlin]"
            host_entry prov-rest "query: \"site == 'munich'\""
        else
            host_entry prov-all
        fi
        echo "  vars:"
        echo "    sipfleet_key_store_path: $work/$1/keys.vault"
    } >"$inventory/hosts.yml"
}
write_inventory sharded
write_inventory single
json_list() {
    printf '"%s",' "$@" | sed 's/^/[/; s/,$/]/'
}
write_spec() {
    # What shards.py trees expects of each shard host, from the arrays above.
    cat >"$work/spec.json" <<JSON
{"prov-berlin": {"root": "$work/prov-berlin/root", "macs": $(json_list "${berlin_macs[@]}"),
                 "models": $(json_list "${berlin_models[@]}")},
 "prov-rest": {"root": "$work/prov-rest/root", "macs": $(json_list "${rest_macs[@]}"),
               "models": $(json_list "${rest_models[@]}")}}
JSON
}
write_spec

# --- helpers ----------------------------------------------------------------------

# profiles INVENTORY NAME [ARG...]: the real playbook, -v, output in $work/logs/NAME.log
profiles() {
    local inventory=$1 name=$2
    shift 2
    ansible-playbook -v -i "$work/$inventory/inventory/hosts.yml" sipfleet.provisioning.profiles "$@" \
        >"$work/logs/$name.log" 2>&1
}
ok_profiles() {
    profiles "$@" || fail_with_log "$work/logs/$2.log" "the run $2 failed"
}
# result NAME HOST FIELD: HOST's phone_profiles result FIELD in run NAME, as JSON
result() {
    "$python" "$here/shards.py" result "$work/logs/$1.log" "$2" "$3"
}
expect_result() {
    # NAME HOST FIELD EXPECTED-JSON
    local got
    got=$(result "$1" "$2" "$3") || fail "run $1: no phone_profiles result for $2"
    [ "$got" = "$4" ] || fail "run $1: $2's $3 is $got, expected $4"
}
expect_one_device() {
    # NAME HOST DEVICE OTHER-HOST: run NAME rendered DEVICE alone, on HOST, and changed nothing on OTHER-HOST
    expect_result "$1" "$2" rendered_devices 1
    expect_result "$1" "$2" changed_devices "[\"$3\"]"
    expect_result "$1" "$4" rendered_devices 0
    expect_recap "$work/logs/$1.log" --host "$4" changed=0
}
store_json() {
    # the decrypted key store $1 (sharded|single)
    ansible-vault view "$work/$1/keys.vault"
}
listing() {
    # path, size, mtime of every file of the roots and state directories given
    (cd "$work" && find "$@" -type f -printf '%p %s %T@\n' | sort)
}
check_trees() {
    store_json sharded >"$work/store.json"
    "$python" "$here/shards.py" trees "$work/store.json" "$work/prov-all/root" "$work/spec.json" ||
        fail "$1: the shard hosts' roots are not the unsharded host's, split by shard"
}
key_of() {
    # MAC FIELD: the stored key
    store_json sharded | "$python" -c 'import json, sys; print(json.load(sys.stdin)["devices"][sys.argv[1]][sys.argv[2]])' "$@"
}

# --- first runs: two shards, then the unsharded reference -----------------------------

step "first run of both shard hosts: one new key store for the whole fleet"
ok_profiles sharded first -e sipfleet_key_store_create=true
[ "$(head -c 14 "$work/sharded/keys.vault")" = "\$ANSIBLE_VAULT" ] || fail "the key store is not vault-encrypted"
expect_recap "$work/logs/first.log" --host prov-berlin "changed>0" failed=0
expect_recap "$work/logs/first.log" --host prov-rest "changed>0" failed=0
expect_result first prov-berlin devices "${#berlin_macs[@]}"
expect_result first prov-rest devices "${#rest_macs[@]}"
expect_result first prov-berlin rendered_devices "${#berlin_macs[@]}"
expect_result first prov-rest rendered_devices "${#rest_macs[@]}"
store_json sharded >"$work/store-first.json"
"$python" - "$work/store-first.json" "${berlin_macs[@]}" "${rest_macs[@]}" <<'PY' || fail "the key store does not hold exactly both shards' devices"
import json, sys
stored = sorted(json.load(open(sys.argv[1]))["devices"])
assert stored == sorted(sys.argv[2:]), stored
PY
pass "one vault-encrypted key store holds the keys of both shards' ${#berlin_macs[@]}+${#rest_macs[@]} devices"

step "the unsharded host from a copy of that key store"
cp -p "$work/sharded/keys.vault" "$work/single/keys.vault"
ok_profiles single single
expect_recap "$work/logs/single.log" --host prov-all "changed>0" failed=0
store_json single | cmp -s - "$work/store-first.json" || fail "the unsharded run changed the shards' key store (new keys?)"
pass "the unsharded run uses the shards' keys as they are"
check_trees "first runs"
pass "each shard host serves exactly its shard's files, byte for byte the unsharded host's"

step "a shard's profile over TFTP from a real in.tftpd, decrypted by the openssl CLI"
tftp_port=$("$python" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tftpd_pid=""
stop_tftpd() {
    if [ -n "$tftpd_pid" ]; then
        kill "$tftpd_pid" 2>/dev/null || true
        wait "$tftpd_pid" 2>/dev/null || true
        tftpd_pid=""
    fi
}
on_exit stop_tftpd
# As root, so it reads the 0640 profiles the module wrote as root.
in.tftpd --foreground --listen --user root --address "127.0.0.1:$tftp_port" --secure "$work/prov-berlin/root" &
tftpd_pid=$!
for _ in $(seq 50); do
    [ -z "$(ss -Hlun "sport = :$tftp_port")" ] || break
    sleep 0.1
done
[ -n "$(ss -Hlun "sport = :$tftp_port")" ] || fail "in.tftpd does not listen on 127.0.0.1:$tftp_port"
tftp_get() {
    # FILE OUT: the tftp-hpa client leaves an empty file behind on an error, and exits 0
    (cd "$work" && tftp -m binary 127.0.0.1 "$tftp_port" -c get "$1" "$2" 2>&1)
}
out=$(tftp_get cfg000b825a0001.xml "$work/fetched.xml")
cmp -s "$work/fetched.xml" "$work/prov-berlin/root/cfg000b825a0001.xml" || fail "the TFTP fetch of berlin-reception's profile failed: $out"
openssl enc -d -aes-256-cbc -md md5 -k "$(key_of 000b825a0001 p1359)" -in "$work/fetched.xml" >"$work/reception.xml" 2>"$work/openssl.err" ||
    fail "the fetched profile does not decrypt with the stored key: $(cat "$work/openssl.err")"
grep -q '<P3>Reception</P3>' "$work/reception.xml" || fail "the decrypted profile lacks the device's display name"
grep -q '<P35>201</P35>' "$work/reception.xml" || fail "the decrypted profile lacks the device's extension"
out=$(tftp_get cfg000b825a0011.xml "$work/other-shard.xml")
case $out in *"File not found"*) ;; *) fail "prov-berlin's TFTP server serves munich-desk-1's profile: $out" ;; esac
openssl enc -d -aes-256-cbc -md md5 -k "$(key_of 000b825a0011 p1359)" -in "$work/prov-rest/root/cfg000b825a0011.xml" 2>/dev/null |
    grep -q '<P3>Desk 1</P3>' || fail "prov-rest's profile of munich-desk-1 does not decrypt with the shared store's key"
pass "berlin-reception's profile fetched over TFTP decrypts with its stored key; munich-desk-1's is not on that server"
stop_tftpd

# --- incremental runs ---------------------------------------------------------------

step "a rerun changes nothing and renders no device"
ok_profiles sharded rerun
for host in prov-berlin prov-rest; do
    expect_recap "$work/logs/rerun.log" --host "$host" changed=0 failed=0
    expect_result rerun "$host" rendered_devices 0
    expect_result rerun "$host" incremental true
done
pass "rerun: changed=0 and rendered_devices 0 on both hosts"

step "a one-device edit in its YAML file renders that device on its shard's host only"
listing prov-berlin/root prov-rest/root >"$work/before"
sed -i 's/display_name: Reception$/display_name: Front desk/' "$work/fleet/devices/berlin/reception.yml"
ok_profiles sharded edit-berlin
expect_one_device edit-berlin prov-berlin berlin-reception prov-rest
listing prov-berlin/root prov-rest/root >"$work/after"
rewritten=$({ diff "$work/before" "$work/after" || true; } | sed -n 's/^> \([^ ]*\) .*/\1/p' | sort -u)
[ -n "$rewritten" ] || fail "the edit rewrote no file"
for path in $rewritten; do
    case $path in
        prov-berlin/root/*000b825a0001*) ;;
        *) fail "$path was rewritten though its device did not change" ;;
    esac
done
pass "berlin-reception's edit rendered it alone, on prov-berlin alone"

step "a one-device edit in the scan CSV renders that device on the other shard's host only"
sed -i 's/;Desk 1;/;Desk One;/' "$work/fleet/scans/desk.csv"
ok_profiles sharded edit-rest
expect_one_device edit-rest prov-rest munich-desk-1 prov-berlin
pass "munich-desk-1's edit rendered it alone, on prov-rest alone"

step "a site's setting changed: that site's devices rendered again on its shard's host only"
sed -i 's/^  munich: {}$/  munich: {sip_server: pbx.munich.example.net}/' \
    "$work/sharded/inventory/group_vars/all.yml" "$work/single/inventory/group_vars/all.yml"
ok_profiles sharded edit-site
expect_result edit-site prov-rest rendered_devices "${#rest_macs[@]}"
expect_result edit-site prov-rest changed_devices '["munich-desk-1", "munich-desk-2", "munich-door", "munich-kitchen"]'
expect_result edit-site prov-berlin rendered_devices 0
expect_recap "$work/logs/edit-site.log" --host prov-berlin changed=0
pass "munich's new SIP server rendered munich's ${#rest_macs[@]} devices again, on prov-rest alone"

step "a device moved to the other shard's site: pruned from its old host, rendered on its new one"
sed -i 's/;berlin-lobby;berlin;/;berlin-lobby;munich;/' "$work/fleet/scans/desk.csv"
ok_profiles sharded move
expect_result move prov-berlin rendered_devices 0
expect_result move prov-berlin changed_devices '["berlin-lobby"]'
expect_result move prov-rest rendered_devices 1
expect_result move prov-rest changed_devices '["berlin-lobby"]'
berlin_macs=(000b825a0001 0080f05a0001)
rest_macs+=(000e085a0001)
berlin_models=(GXP2170 KX-UTG300)
rest_models+=(SPA502G)
write_spec
find "$work/prov-berlin/root" >"$work/berlin-files"
if grep -qi -e 000e085a0001 -e spa502G -e '/profile' "$work/berlin-files"; then
    fail "prov-berlin still serves the moved berlin-lobby's files: $(tr '\n' ' ' <"$work/berlin-files")"
fi
pass "berlin-lobby moved from prov-berlin (its files pruned) to prov-rest"

step "the incremental shards still serve what an unsharded host renders from the edited files"
ok_profiles single single-edited
check_trees "after the edits"

step "sipfleet_full_render renders every device of each shard"
ok_profiles sharded full -e sipfleet_full_render=true
expect_result full prov-berlin rendered_devices "${#berlin_macs[@]}"
expect_result full prov-rest rendered_devices "${#rest_macs[@]}"
expect_result full prov-berlin incremental false
expect_result full prov-rest incremental false
check_trees "after the full render"
pass "full render: ${#berlin_macs[@]} and ${#rest_macs[@]} devices rendered, the same files served"

# --- coverage -------------------------------------------------------------------------

step "a device no shard selects fails the keys task, naming it, with nothing written"
cat >"$work/fleet/devices/potsdam.yml" <<'YAML'
---
name: potsdam-desk
mac: "00:0B:82:5A:00:21"
model: GXP2170
site: potsdam
lines:
  - extension: "401"
    password: Shard-Gs401-Secret
YAML
listing prov-berlin prov-rest >"$work/before"
listing prov-berlin/root prov-rest/root >"$work/roots-before"
cp -p "$work/sharded/keys.vault" "$work/store-before.vault"
if profiles sharded uncovered; then
    fail_with_log "$work/logs/uncovered.log" "a run with a device in no shard succeeded"
fi
grep -q "are in no sipfleet_shard of the play's hosts (prov-berlin, prov-rest).*potsdam-desk" "$work/logs/uncovered.log" ||
    fail_with_log "$work/logs/uncovered.log" "the failure does not name the device no shard selects"
expect_recap "$work/logs/uncovered.log" --host prov-berlin failed=1
"$python" "$here/shards.py" result "$work/logs/uncovered.log" prov-berlin devices >/dev/null 2>&1 &&
    fail "phone_profiles ran after the keys task failed"
listing prov-berlin prov-rest | cmp -s - "$work/before" || fail "files changed in the failed run"
cmp -s "$work/sharded/keys.vault" "$work/store-before.vault" || fail "the failed run wrote the key store"
pass "the keys task failed naming potsdam-desk; roots, state directories and key store untouched"

step "sipfleet_shard_coverage: false lets a run limited to one shard's host pass"
ok_profiles sharded limited --limit prov-berlin -e sipfleet_shard_coverage=false
expect_result limited prov-berlin rendered_devices 0
expect_recap "$work/logs/limited.log" --host prov-berlin failed=0
listing prov-berlin/root prov-rest/root | cmp -s - "$work/roots-before" ||
    fail "the limited run changed served files"
pass "the run limited to prov-berlin passed and changed no served file"

# --- secrets ----------------------------------------------------------------------------

step "no password or key in the output of any -v run"
store_json sharded >"$work/store.json"
mapfile -t keys < <("$python" "$here/shards.py" secrets "$work/store.json")
[ "${#keys[@]}" -ge 8 ] || fail "only ${#keys[@]} keys read from the key store"
logs=("$work"/logs/*.log)
for secret in "${passwords[@]}" "${keys[@]}"; do
    if grep -lF -- "$secret" "${logs[@]}" >"$work/leaks"; then
        fail "a password or key reached the output of: $(xargs -n1 basename <"$work/leaks" | tr '\n' ' ')"
    fi
done
pass "${#passwords[@]} passwords and ${#keys[@]} keys absent from ${#logs[@]} -v logs"
