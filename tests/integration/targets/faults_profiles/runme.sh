#!/usr/bin/env bash
# Faults of the profile deployment, each a test:
#   1. the writer killed with SIGKILL at many random points: every served file
#      stays a complete old or new profile, and a rerun converges;
#   2. a full disk under the served root and under the state directory: the
#      run fails naming the space problem and the path, the previous files
#      stay served, a rerun after freeing space converges;
#   3. a missing or corrupted key store: a clear error naming the file (and
#      device), nothing regenerated, the store and the served files untouched;
#   4. one of three provisioning hosts unreachable: the others are deployed,
#      the run fails and the recap names the unreachable host.
# Every section runs even when an earlier one failed, so one finding does not
# hide another; the target fails if any did.
#
# Environment: FAULTS_SEED replays a kill campaign (its seed is printed),
# FAULTS_KILL_POINTS (default 80) and FAULTS_KILL_DEVICES (default 300) size it;
# FAULTS_SECTIONS runs some sections only, FAULTS_KEEP=1 keeps the work directory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$here/../setup_lab/lib.sh"
[ -z "${FAULTS_KEEP:-}" ] || SIPFLEET_TEST_KEEP=1
make_work sipfleet-faults
# The tmpfs file systems the sections mount; unmounted at exit if still mounted.
kill_fs="$work/kill"
root_fs="$work/disk/root-fs"
state_fs="$work/disk/state-fs"
unmount_all() {
    local mount
    for mount in "$kill_fs" "$root_fs" "$state_fs"; do
        if mountpoint -q "$mount"; then umount "$mount"; fi
    done
}
on_exit unmount_all

export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-pass"
printf 'faults-vault-password\n' >"$ANSIBLE_VAULT_PASSWORD_FILE"

python=$test_python
# The collection as Ansible finds it, so faults.py imports the code under test.
collections_dir=$(ansible-galaxy collection list sipfleet.provisioning --format json |
    "$python" -c 'import json, sys; print(list(json.load(sys.stdin))[0])')
faults() {
    PYTHONPATH="$(dirname "$collections_dir")" "$python" "$here/faults.py" "$@"
}

# sha256 and path of every file under a root, temporary files included.
listing() {
    (cd "$1" && find . -type f -exec sha256sum {} + | sort -k2)
}

# The fatal line of one host in the output file $1.
fatal_line() {
    grep -F "fatal: [$2]" "$1" || true
}

# The error lines of the output file $1: the key store's result is never
# shown (it holds keys), its message is in the "[ERROR]: Task failed" line.
error_lines() {
    grep -F '[ERROR]' "$1" || true
}

# Host entries of a local provisioning host: $1 name, $2 root, $3 state directory.
local_host() {
    printf '    %s:\n      ansible_connection: local\n      ansible_python_interpreter: %s\n' "$1" "$python"
    printf '      sipfleet_profile_roots: [%s]\n      sipfleet_state_dir: %s\n' "$2" "$3"
    printf '      sipfleet_http_access_logs: [%s/access.log]\n' "$(dirname "$3")"
}

# Group vars every inventory here shares: $1 the key store path.
group_vars() {
    printf '  vars:\n    sipfleet_key_store_path: %s\n    sipfleet_bootstrap_serve: always\n' "$1"
}

profiles() {
    # $1: inventory directory; the rest: ansible-playbook options
    local inventory=$1
    shift
    ansible-playbook -i "$inventory/hosts.yml" sipfleet.provisioning.profiles "$@"
}

# ---------------------------------------------------------------------------

kill_points() {
    echo "== SIGKILL at random points of the writer"
    mkdir -p "$kill_fs"
    # The campaign on a tmpfs: a kill leaves the page cache intact on any file
    # system, so what a kill can leave behind is the same, and runs on memory
    # take the same time whatever else the machine's disk is doing.
    mount -t tmpfs -o size=256m,mode=0700 sipfleet-faults-kill "$kill_fs" || fail "cannot mount a tmpfs"
    local seed_args=()
    [ -z "${FAULTS_SEED:-}" ] || seed_args=(--seed "$FAULTS_SEED")
    faults kill "$kill_fs" --points "${FAULTS_KILL_POINTS:-80}" --devices "${FAULTS_KILL_DEVICES:-300}" \
        "${seed_args[@]}" || fail "the kill campaign found problems (above)"
}

# ---------------------------------------------------------------------------

disk_full() {
    echo "== a full file system under the served root and under the state directory"
    local dir="$work/disk" inventory="$work/disk/inventory" out="$work/disk/out"
    mkdir -p "$inventory/group_vars/all" "$root_fs" "$state_fs"
    mount -t tmpfs -o size=64m sipfleet-faults-root "$root_fs" || fail "cannot mount a tmpfs"
    mount -t tmpfs -o size=4m sipfleet-faults-state "$state_fs" || fail "cannot mount a tmpfs"
    faults fleet "$inventory/group_vars/all/fleet.json" 120 http://prov-old.example.net/ || fail "no fleet"
    # ref: an ordinary disk, the reference bytes; root-full: the served root on
    # a tmpfs that will be full; state-full: the state directory on one.
    {
        printf 'provisioning_servers:\n  hosts:\n'
        local_host ref "$dir/ref/root" "$dir/ref/state"
        local_host root-full "$root_fs/root" "$dir/root-full/state"
        local_host state-full "$dir/state-full/root" "$state_fs/state"
        group_vars "$inventory/sipfleet_keys.vault"
    } >"$inventory/hosts.yml"

    profiles "$inventory" -e sipfleet_key_store_create=true >"$out" 2>&1 || fail_with_log "$out" "the first deploy failed"
    listing "$dir/ref/root" >"$dir/ref-old"
    for root in "$root_fs/root" "$dir/state-full/root"; do
        listing "$root" | cmp -s - "$dir/ref-old" || fail "$root differs from the reference after the first deploy"
    done

    # Fill both: the served root keeps 64 KiB free, the state directory none.
    # The change below rewrites every file and adds 60 devices: a writer that
    # stages every file next to the old one fails before its first rename; one
    # that rewrote files in place would run out of space half-way.
    local avail
    avail=$(df --output=avail -k "$root_fs" | tail -n 1)
    fallocate -l "$(((avail - 64) * 1024))" "$root_fs/ballast" || fail "cannot fill the root's tmpfs"
    avail=$(df --output=avail -k "$state_fs" | tail -n 1)
    fallocate -l "$((avail * 1024))" "$state_fs/ballast" || fail "cannot fill the state tmpfs"
    echo "served root: $(du -sk "$root_fs/root" | cut -f1) KiB, $(df --output=avail -k "$root_fs" | tail -n 1) KiB free;" \
        "state directory: $(df --output=avail -k "$state_fs" | tail -n 1) KiB free"
    listing "$root_fs/root" >"$dir/root-full-before"
    listing "$dir/state-full/root" >"$dir/state-full-before"

    echo "-- a change of every file and 60 more devices, on the full file systems"
    faults change "$inventory/group_vars/all/fleet.json" http://prov-new.example.net/ --devices 180 || fail "cannot change the fleet"
    if profiles "$inventory" >"$out" 2>&1; then cat "$out"; fail "the run on full file systems succeeded"; fi
    local message problems=0
    recap_holds "$out" --host ref failed=0 || { echo "FAIL: the host with space failed too"; problems=1; }
    recap_holds "$out" --host root-full failed=1 || { echo "FAIL: the full root did not fail its host"; problems=1; }
    recap_holds "$out" --host state-full failed=1 || { echo "FAIL: the full state directory did not fail its host"; problems=1; }
    message=$(fatal_line "$out" root-full)
    echo "root-full: $message"
    grep -qi 'no space left' <<<"$message" || { echo "FAIL: the error does not name the space problem"; problems=1; }
    grep -qF "$root_fs/root" <<<"$message" || { echo "FAIL: the error does not name the full root $root_fs/root"; problems=1; }
    message=$(fatal_line "$out" state-full)
    echo "state-full: $message"
    grep -qi 'no space left' <<<"$message" || { echo "FAIL: the error does not name the space problem"; problems=1; }
    grep -qF "$state_fs/state" <<<"$message" || { echo "FAIL: the error does not name the full state directory $state_fs/state"; problems=1; }
    listing "$root_fs/root" | cmp -s - "$dir/root-full-before" || { echo "FAIL: files on the full root changed"; problems=1; }
    listing "$dir/state-full/root" | cmp -s - "$dir/state-full-before" || {
        echo "FAIL: served files changed though the state directory was full"; problems=1; }
    if [ -n "$(find "$root_fs" "$state_fs" "$dir/state-full/root" -name '.sipfleet-tmp-*')" ]; then
        echo "FAIL: temporary files were left behind"; problems=1
    fi
    [ ! -e "$state_fs/state/in-progress.json" ] || { echo "FAIL: the journal was left behind"; problems=1; }

    echo "-- space freed: a rerun converges"
    rm -f "$root_fs/ballast" "$state_fs/ballast"
    profiles "$inventory" >"$out" 2>&1 || fail_with_log "$out" "the run after freeing space failed"
    listing "$dir/ref/root" >"$dir/ref-new"
    cmp -s "$dir/ref-old" "$dir/ref-new" && fail "the change did not change the reference files"
    for root in "$root_fs/root" "$dir/state-full/root"; do
        listing "$root" | cmp -s - "$dir/ref-new" || fail "$root is not the new version after freeing space"
    done
    ansible-vault view "$inventory/sipfleet_keys.vault" >"$dir/keys.json" || fail "cannot read the key store"
    faults decrypt "$root_fs/root" "$inventory/group_vars/all/fleet.json" "$dir/keys.json" prov-new.example.net ||
        fail "the profiles on the freed root do not decrypt to the new version"
    profiles "$inventory" >"$out" 2>&1 || fail_with_log "$out" "the second run after freeing space failed"
    for host in ref root-full state-full; do
        expect_recap "$out" --host "$host" changed=0
    done
    umount "$root_fs" "$state_fs"
    [ "$problems" = 0 ] || fail "a full disk is not handled as it must be (above)"
}

# ---------------------------------------------------------------------------

key_store() {
    echo "== a missing or corrupted key store"
    local dir="$work/keys" inventory="$work/keys/inventory" out="$work/keys/out"
    local store="$work/keys/inventory/sipfleet_keys.vault"
    mkdir -p "$inventory/group_vars/all"
    faults fleet "$inventory/group_vars/all/fleet.json" 8 http://prov.example.net/ || fail "no fleet"
    {
        printf 'provisioning_servers:\n  hosts:\n'
        local_host prov1 "$dir/prov1/root" "$dir/prov1/state"
        group_vars "$store"
    } >"$inventory/hosts.yml"
    profiles "$inventory" -e sipfleet_key_store_create=true >"$out" 2>&1 || fail_with_log "$out" "the first deploy failed"
    cp -p "$store" "$dir/store-good"
    ansible-vault view "$store" >"$dir/store.json" || fail "cannot read the key store"
    # Path, size and mtime: a file rewritten with the same bytes shows too.
    served() { (cd "$dir/prov1/root" && find . -type f -printf '%p %s %T@\n' | sort); }
    local before
    before=$(served)

    echo "-- missing, create false"
    mv "$store" "$dir/store-away"
    local message problems=0
    if profiles "$inventory" >"$out" 2>&1; then echo "FAIL: a run without its key store succeeded"; problems=1; fi
    message=$(error_lines "$out")
    echo "$message"
    grep -qF "$store" <<<"$message" || { echo "FAIL: the error does not name $store"; problems=1; }
    [ ! -e "$store" ] || { echo "FAIL: a new key store was created"; problems=1; }
    [ "$(served)" = "$before" ] || { echo "FAIL: served files changed without a key store"; problems=1; }
    rm -f "$store"
    mv "$dir/store-away" "$store"

    # The corrupted stores: cut in half; encrypted with another vault password;
    # valid vault text around JSON cut short; valid JSON with one device's key
    # two hex digits short (the first device of the store).
    local mac
    mac=$("$python" -c 'import json, sys; print(sorted(json.load(open(sys.argv[1]))["devices"])[0])' "$dir/store.json")
    head -c "$(($(stat -c %s "$dir/store-good") / 2))" "$dir/store-good" >"$dir/truncated"
    printf 'another-password\n' >"$dir/other-pass"
    env -u ANSIBLE_VAULT_PASSWORD_FILE ansible-vault encrypt --vault-password-file "$dir/other-pass" \
        --output "$dir/other-password" "$dir/store.json" >/dev/null 2>&1 || fail "cannot encrypt with another password"
    head -c "$(($(stat -c %s "$dir/store.json") - 40))" "$dir/store.json" >"$dir/broken.json"
    ansible-vault encrypt --output "$dir/broken-json" "$dir/broken.json" >/dev/null 2>&1 || fail "cannot encrypt"
    "$python" - "$dir/store.json" "$dir/short.json" "$mac" <<'PY' || fail "cannot shorten a key"
import json, sys
store = json.load(open(sys.argv[1]))
entry = store["devices"][sys.argv[3]]
name = sorted(key for key in entry if key not in ("created", "rotated", "next"))[0]
entry[name] = entry[name][:-2]
json.dump(store, open(sys.argv[2], "w"))
PY
    ansible-vault encrypt --output "$dir/short-key" "$dir/short.json" >/dev/null 2>&1 || fail "cannot encrypt"

    local variant
    for variant in truncated other-password broken-json short-key; do
        echo "-- $variant"
        cp "$dir/$variant" "$store"
        chmod 600 "$store"
        if profiles "$inventory" >"$out" 2>&1; then
            echo "FAIL: a run with the $variant key store succeeded"; problems=1
        fi
        message=$(error_lines "$out")
        echo "$message"
        grep -qF "$store" <<<"$message" || { echo "FAIL: the error does not name the key store $store"; problems=1; }
        if [ "$variant" = short-key ] && ! grep -qi "$mac\|$(sed 's/../&:/g; s/:$//' <<<"$mac")" <<<"$message"; then
            echo "FAIL: the error does not name the device $mac"; problems=1
        fi
        cmp -s "$store" "$dir/$variant" || { echo "FAIL: the $variant key store was rewritten"; problems=1; }
        [ "$(served)" = "$before" ] || { echo "FAIL: served files changed with the $variant key store"; problems=1; }
        if grep -q '^changed: \[prov1\]' "$out"; then echo "FAIL: a task changed something"; problems=1; fi
    done

    echo "-- the good store again: nothing to do"
    cp -p "$dir/store-good" "$store"
    profiles "$inventory" >"$out" 2>&1 || fail_with_log "$out" "the run with the restored store failed"
    expect_recap "$out" --host prov1 changed=0
    cmp -s "$store" "$dir/store-good" || fail "the restored store was rewritten"
    [ "$problems" = 0 ] || fail "a missing or corrupted key store is not handled as it must be (above)"
}

# ---------------------------------------------------------------------------

unreachable_host() {
    echo "== one of three provisioning hosts unreachable"
    local dir="$work/hosts" inventory="$work/hosts/inventory" out="$work/hosts/out"
    local store="$work/hosts/inventory/sipfleet_keys.vault"
    mkdir -p "$inventory/group_vars/all"
    faults fleet "$inventory/group_vars/all/fleet.json" 40 http://prov.example.net/ || fail "no fleet"
    # A port nothing listens on: bound and released, so a connection is refused at once.
    local port
    port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # The unreachable host first: run_once must not depend on the first host.
    {
        printf 'provisioning_servers:\n  hosts:\n'
        printf '    prov-down:\n      ansible_connection: ssh\n      ansible_host: 127.0.0.1\n      ansible_port: %s\n' "$port"
        printf '      ansible_ssh_common_args: -o ConnectTimeout=3 -o BatchMode=yes\n'
        printf '      sipfleet_profile_roots: [%s/prov-down/root]\n      sipfleet_state_dir: %s/prov-down/state\n' "$dir" "$dir"
        local_host prov-a "$dir/prov-a/root" "$dir/prov-a/state"
        local_host prov-b "$dir/prov-b/root" "$dir/prov-b/state"
        group_vars "$store"
    } >"$inventory/hosts.yml"

    local rc=0
    profiles "$inventory" -e sipfleet_key_store_create=true >"$out" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail_with_log "$out" "the run with an unreachable host exited 0"
    expect_recap "$out" --host prov-down unreachable=1
    for host in prov-a prov-b; do
        expect_recap "$out" --host "$host" failed=0 unreachable=0
    done
    echo "exit code $rc; recap: $(grep '^prov-down' "$out" | tr -s ' ')"
    [ ! -e "$dir/prov-down" ] || fail "something was written for the unreachable host"
    diff <(listing "$dir/prov-a/root") <(listing "$dir/prov-b/root") >/dev/null || fail "the reachable hosts serve different files"
    # run_once: one result for the key store task, from a reachable host. The
    # first play contacts every host, so prov-down is out of the play before
    # run_once picks the first of the hosts left.
    sed -n '/^TASK \[Load the keys/,/^TASK/p' "$out" | grep -E '^(ok|changed|fatal|skipping)' >"$dir/key-task"
    if [ "$(wc -l <"$dir/key-task")" != 1 ] || ! grep -q '^changed: \[prov-a\]' "$dir/key-task"; then
        cat "$out"; fail "the key store task did not run once on a reachable host: $(cat "$dir/key-task")"
    fi
    ansible-vault view "$store" >"$dir/keys.json" || fail "cannot read the key store"
    faults decrypt "$dir/prov-a/root" "$inventory/group_vars/all/fleet.json" "$dir/keys.json" prov.example.net ||
        fail "prov-a's profiles do not decrypt with the stored keys"
}

# ---------------------------------------------------------------------------

failed=()
for section in ${FAULTS_SECTIONS:-kill_points disk_full key_store unreachable_host}; do
    start=$SECONDS
    ( "$section" ) || failed+=("$section")
    echo "-- $section: $((SECONDS - start)) s"
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "faults of the profile deployment: FAILED: ${failed[*]}"
    exit 1
fi
echo "faults of the profile deployment: all checks passed"
