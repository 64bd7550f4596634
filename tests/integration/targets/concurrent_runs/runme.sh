#!/usr/bin/env bash
# Two ansible-playbook runs started at the same moment, round after round,
# against one key store (vault encrypted, reached through a symbolic link),
# one served root and one state directory, with the same new devices each
# round (and one device of each run's own). Checked after every round, in
# two separate parts so one finding does not hide the other:
#   key store: it holds one key set per device, every key a run returned is
#     the stored one (no generated key lost), both runs agree on the shared
#     devices, the link stays a link and the target keeps its owner and mode;
#   served root: both runs exit 0, no temporary file is left anywhere, and
#     every served profile decrypts with the real openssl CLI and the stored
#     key.
# Environment: CONCURRENT_ROUNDS (default 10), CONCURRENT_BASE_DEVICES (shared
# devices already there in round 1, default 150: enough work for the runs'
# writers to overlap), CONCURRENT_KEEP=1 keeps the work directory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$here/../setup_lab/lib.sh"
[ -z "${CONCURRENT_KEEP:-}" ] || SIPFLEET_TEST_KEEP=1
make_work sipfleet-concurrent
python=$test_python
rounds=${CONCURRENT_ROUNDS:-10}
base=${CONCURRENT_BASE_DEVICES:-150}

export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-pass"
printf 'concurrent-vault-password\n' >"$ANSIBLE_VAULT_PASSWORD_FILE"
# The store lives in "repo" and is reached through a link from "inventory";
# nobody owns it but the user nobody, whose group may read it.
mkdir -m 0700 "$work/repo" "$work/inventory" "$work/results" "$work/rounds"
ln -s ../repo/keys.vault "$work/inventory/keys.vault"
cat >"$work/inventory/hosts.yml" <<YAML
all:
  hosts:
    prov:
      ansible_connection: local
      ansible_python_interpreter: $python
  vars:
    fleet_defaults:
      sip_server: pbx.example.net
      admin_password: AdminSecret99
      provisioning_url: http://prov.example.net
YAML

keystore_failures=0
root_failures=0
ks_fail() { echo "KEY STORE FAIL (round $round): $*" >&2; keystore_failures=$((keystore_failures + 1)); }
root_fail() { echo "ROOT FAIL (round $round): $*" >&2; root_failures=$((root_failures + 1)); }

# The devices of a round: 3 new shared ones a round (all earlier ones kept),
# and one new one of each run's own; every profile changes every round.
write_round() {
    "$python" - "$work/rounds/$1" "$1" "$base" <<'PY'
import json, os, sys
directory, number, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(directory)
def device(prefix, index):
    # The display name changes every round: both runs rewrite every profile at once.
    mac = "%s%06x" % (prefix, index)
    return {"name": "phone-%s" % mac, "mac": mac, "model": "GXP2170",
            "lines": [{"extension": "%d" % (1000 + index), "password": "Secret-%s" % mac,
                       "display_name": "Round %d" % number}]}
files = {"shared": [device("000b82", i) for i in range(base + 3 * number)],
         "own-a": [device("000b83", i) for i in range(number)],
         "own-b": [device("000b84", i) for i in range(number)]}
for name, devices in files.items():
    with open(os.path.join(directory, name + ".json"), "w") as handle:
        json.dump(devices, handle)
PY
}

run() {
    # $1: run name; the round's device lists as extra variables
    ansible-playbook -i "$work/inventory/hosts.yml" "$here/runs.yml" -e "work_dir=$work" -e "round=$round" \
        -e "run_name=$1" -e "{\"shared_devices\": $(cat "$work/rounds/$round/shared.json")}" \
        -e "{\"own_devices\": $(cat "$work/rounds/$round/own-$1.json")}" >"$work/out-$1" 2>&1
}

fatal_lines() {
    grep -E '^fatal:|"msg":' "$1" | cut -c1-400 | head -5 || true
}

for round in $(seq 1 "$rounds"); do
    write_round "$round"
    rm -rf "$work/barrier"
    run a & pid_a=$!
    run b & pid_b=$!
    rc_a=0; wait "$pid_a" || rc_a=$?
    rc_b=0; wait "$pid_b" || rc_b=$?
    if [ "$round" = 1 ]; then
        # Both runs created the store through the dangling link at once:
        # after that, give the target to another owner with a group-readable
        # mode, which every later write must keep.
        if [ -f "$work/repo/keys.vault" ]; then
            chown 65534:65534 "$work/repo/keys.vault"
            chmod 0640 "$work/repo/keys.vault"
        else
            ks_fail "the new store was not created at the target of the link"
        fi
    fi

    # --- the key store ---
    if [ ! -L "$work/inventory/keys.vault" ]; then ks_fail "the symbolic link to the store was replaced"; fi
    owner_mode=$(stat -c '%u:%g %a' "$work/repo/keys.vault" 2>&1 || true)
    [ "$owner_mode" = "65534:65534 640" ] || ks_fail "the link's target lost its owner or mode: $owner_mode"
    temps=$(find "$work/repo" "$work/inventory" -name '.sipfleet-tmp-*' | wc -l)
    [ "$temps" = 0 ] || ks_fail "$temps temporary files beside the key store"
    # Through the path the runs were given, so lost keys are found even
    # where the link was replaced.
    if ansible-vault view "$work/inventory/keys.vault" >"$work/store.json" 2>"$work/vault.err"; then
        "$python" "$here/check_store.py" "$work/store.json" "$work/rounds/$round" "$work/results" "$round" \
            >"$work/check.out" || ks_fail "$(cat "$work/check.out")"
    else
        ks_fail "the store does not decrypt: $(cat "$work/vault.err")"
    fi
    for name in a b; do
        if [ ! -e "$work/results/$name-$round.json" ]; then
            ks_fail "run $name's key_store task failed: $(fatal_lines "$work/out-$name")"
        fi
    done

    # --- the served root and the state directory ---
    [ "$rc_a" = 0 ] || root_fail "run a exited $rc_a: $(fatal_lines "$work/out-a")"
    [ "$rc_b" = 0 ] || root_fail "run b exited $rc_b: $(fatal_lines "$work/out-b")"
    temps=$(find "$work/root" "$work/state" -name '.sipfleet-tmp-*' 2>/dev/null | wc -l)
    [ "$temps" = 0 ] || root_fail "$temps temporary files left in the served root or the state directory"
    served=0
    # "MAC key" of every shared device, for openssl; kept in the work directory, never shown.
    "$python" - "$work/store.json" "$work/rounds/$round/shared.json" >"$work/keys.txt" <<'PY' || true
import json, sys
devices = json.load(open(sys.argv[1]))["devices"]
for device in json.load(open(sys.argv[2])):
    print(device["mac"], devices.get(device["mac"], {}).get("p1359", "-"))
PY
    while read -r mac key; do
        file="$work/root/cfg$mac.xml"
        if [ ! -e "$file" ]; then
            root_fail "no profile served for $mac"
        elif [ "$key" = - ]; then
            root_fail "no stored key for the served $mac"
        elif openssl enc -d -aes-256-cbc -md md5 -k "$key" -in "$file" 2>/dev/null | grep -q "<P35>"; then
            served=$((served + 1))
        else
            root_fail "cfg$mac.xml does not decrypt with the stored key"
        fi
    done <"$work/keys.txt"
    echo "round $round: runs exited $rc_a and $rc_b, $served profiles decrypt with the stored keys"
done
rm -f "$work/store.json" "$work/keys.txt"

echo "key store: $keystore_failures failure(s) in $rounds rounds"
echo "served root: $root_failures failure(s) in $rounds rounds"
[ "$keystore_failures" = 0 ] && [ "$root_failures" = 0 ]
