#!/usr/bin/env bash
# The example project's playbooks (examples/playbooks/) run the way AWX and
# Ansible Automation Platform run a job, on localhost, without daemons:
#   - the project is a git repository (a bare one stands in for the remote);
#     each job gets a copy of one revision without .git, in a job directory
#     of its own, thrown away afterwards, with the job's working directory
#     in it;
#   - the inventory is the project's inventory as an inventory source
#     imports it (ansible-inventory --list --export: variables untemplated),
#     served by a script in another temporary directory, so inventory_dir
#     is not in the project; beside it lie a key store and a fleet that a
#     path relative to inventory_dir would find instead;
#   - the vault password comes as a vault credential gives it, --vault-id;
#     AWX's awx_project_revision and awx_project_scm_branch are extra vars.
# Checked: the generate job (generate_keys.yml) makes the store in its copy
# and pushes it, vault-encrypted, writing no profile; the profiles job
# (profiles.yml, generate off) writes every profile encrypted with the keys
# of the store in its copy of the project, reads none of the decoys; a new
# device fails the profiles job, named, and nothing is written; the generate
# job gives it keys and pushes them; a generate job whose revision the
# branch has moved past pushes nothing; a generate job that would render is
# refused; one with nothing new pushes nothing; and the same repository
# still runs from a checkout with the collection's playbook and -i inventory,
# whose status playbook writes status/ at the top of the project.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$here/../setup_lab/lib.sh"
make_work awx_layout
python=$test_python
export ANSIBLE_NOCOLOR=1

vault_password=awx-layout-vault-password
root=$work/root
state=$work/state
remote=$work/remote.git

# --- the project repository, as its users keep it -----------------------------------
step "the project: the example's playbooks and inventory variables, a fleet of two phones"
src=$work/src
mkdir -p "$src/inventory/group_vars/all" "$src/fleet/berlin" "$root" "$state"
cp -r "$collection/examples/playbooks" "$src/playbooks"
for vars in project keys fleet; do
    cp "$collection/examples/inventory/group_vars/all/$vars.yml" "$src/inventory/group_vars/all/"
done
cat >"$src/inventory/hosts.yml" <<YAML
---
all:
  children:
    provisioning_servers:
      hosts:
        prov:
          ansible_connection: local
          ansible_python_interpreter: $python
YAML
cat >"$src/inventory/group_vars/provisioning_servers.yml" <<YAML
---
sipfleet_profile_roots: [$root]
sipfleet_state_dir: $state
sipfleet_http_access_logs: []
YAML
# The SIP and admin passwords the example keeps in its vault, plain here:
# the vault credential is for the key store.
cat >"$src/inventory/group_vars/all/secrets.yml" <<'YAML'
---
vault_admin_password: AwxAdmin4711
vault_sip_passwords:
  "301": AwxSecret301
  "302": AwxSecret302
  "303": AwxSecret303
YAML
phone() {  # phone NAME MAC EXTENSION: a device file of the fleet
    printf '{name: %s, mac: "%s", model: GXP2170, site: berlin, lines: [{extension: "%s"}]}\n' "$1" "$2" "$3"
}
phone desk-1 00:0b:82:aa:00:01 301 >"$src/fleet/berlin/desk-1.yml"
phone desk-2 00:0b:82:aa:00:02 302 >"$src/fleet/berlin/desk-2.yml"
printf '/sipfleet_keys.vault.lock\n' >"$src/.gitignore"

git init --quiet --bare --initial-branch=main "$remote"
git -C "$src" init --quiet --initial-branch=main
git -C "$src" config user.name "awx_layout test"
git -C "$src" config user.email awx-layout@localhost
commit_and_push() {  # commit_and_push MESSAGE: as a user adds a phone
    git -C "$src" add -A
    git -C "$src" commit --quiet -m "$1"
    git -C "$src" push --quiet "$remote" HEAD:refs/heads/main
}
commit_and_push "The project"
head_of() { git --git-dir="$remote" rev-parse "${1:-main}"; }

# --- the imported inventory ----------------------------------------------------------
# Imported once, as an inventory source from the project does; the script
# in its own directory is what a job reads.
inventories=$work/inventories
mkdir -p "$inventories"
inventory=$(mktemp -d "$inventories/awx_inventory.XXXXXX")
ansible-inventory -i "$src/inventory" --list --export >"$inventory/imported.json"
grep -q '"sipfleet_project_dir": "{{ inventory_dir | dirname }}"' "$inventory/imported.json" ||
    fail "the import did not keep sipfleet_project_dir untemplated, as AWX's import does"
printf '#!/bin/sh\nexec cat "%s"\n' "$inventory/imported.json" >"$inventory/hosts"
chmod 0755 "$inventory/hosts"
# Decoys where paths relative to inventory_dir lead: the collection's old
# default store (beside the inventory), the example's old store and fleet
# (the directory above it). A store of other keys, and a phone of its own.
decoy_key=$(printf 'd%.0s' $(seq 64))
printf '{"sipfleet_key_store": 1, "devices": {"000b82aa0001": {"p1359": "%s", "created": "2026-01-01T00:00:00Z"}}}' \
    "$decoy_key" >"$work/decoy.json"
printf '%s\n' "$vault_password" >"$work/vault-password"
ansible-vault encrypt --vault-id "sipfleet@$work/vault-password" --output "$inventory/sipfleet_keys.vault" \
    "$work/decoy.json" >/dev/null
cp "$inventory/sipfleet_keys.vault" "$inventories/sipfleet_keys.vault"
mkdir -p "$inventories/fleet"
phone decoy 00:0b:82:dd:00:01 301 >"$inventories/fleet/decoy.yml"
decoy_sum=$(sha256sum "$inventory/sipfleet_keys.vault" "$inventories/sipfleet_keys.vault" "$inventories/fleet/decoy.yml")

# --- one AWX job ---------------------------------------------------------------------
jobs=0
job_dir=""
awx_job() {  # awx_job OUT REVISION PLAYBOOK [ARG...]: a job of PLAYBOOK at REVISION, output in $work/OUT
    local out=$1 revision=$2 playbook=$3
    shift 3
    jobs=$((jobs + 1))
    job_dir=$(mktemp -d "$work/awx_${jobs}_XXXXXX")
    mkdir "$job_dir/project" "$job_dir/env"
    git --git-dir="$remote" archive "$revision" | tar -x -C "$job_dir/project"
    install -m 600 "$work/vault-password" "$job_dir/env/vault_password"
    (cd "$job_dir/project" && ansible-playbook -i "$inventory/hosts" "playbooks/$playbook" \
        --vault-id "sipfleet@$job_dir/env/vault_password" \
        -e "awx_job_id=$jobs" -e "awx_project_revision=$revision" -e awx_project_scm_branch=main "$@") \
        >"$work/$out" 2>&1
}
keys_job() {  # keys_job OUT REVISION [ARG...]: the generate job, as its job template runs it
    local out=$1 revision=$2
    shift 2
    awx_job "$out" "$revision" generate_keys.yml --skip-tags render -e "sipfleet_keys_push_url=file://$remote" "$@"
}
snapshot() {  # every file of the served root and the state directory (not its lock: a PID), with its hash
    (cd "$work" && find root state -type f ! -path state/lock -exec sha256sum {} + | sort)
}
store_json() {  # store_json FILE: the decrypted key store
    ansible-vault view --vault-id "sipfleet@$work/vault-password" "$1"
}
remote_store() {  # the key store of the remote's main branch, as committed
    git --git-dir="$remote" show main:sipfleet_keys.vault
}
decrypts_with_store() {  # decrypts_with_store STORE MAC...: each cfg<mac>.xml decrypts with STORE's p1359
    local store=$1 mac key
    shift
    store_json "$store" >"$work/store.json"
    for mac in "$@"; do
        key=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["devices"][sys.argv[2]]["p1359"])' \
            "$work/store.json" "$mac") || return 1
        openssl enc -d -aes-256-cbc -md md5 -k "$key" -in "$root/cfg$mac.xml" 2>/dev/null | grep -q '<P35>' || return 1
    done
    rm -f "$work/store.json"
}

# --- the generate job: the first one creates the store ------------------------------
step "the generate job makes the store in its copy of the project and pushes it"
first=$(head_of)
keys_job keys1 "$first" -e sipfleet_key_store_create=true || fail_with_log "$work/keys1" "the first generate job failed"
keys1=$job_dir/project/sipfleet_keys.vault
[ -f "$keys1" ] || fail_with_log "$work/keys1" "the generate job wrote no store into its copy of the project"
[ "$(head -c 14 "$keys1")" = "\$ANSIBLE_VAULT" ] || fail "the store in the project copy is not vault-encrypted"
[ "$(head_of main~1)" = "$first" ] || fail "the generate job's commit is not on top of the job's revision"
remote_store >"$work/pushed.vault"
cmp -s "$work/pushed.vault" "$keys1" || fail "the pushed store is not the one the job wrote"
[ "$(head -c 14 "$work/pushed.vault")" = "\$ANSIBLE_VAULT" ] || fail "the pushed store is not vault-encrypted"
store_json "$work/pushed.vault" | grep -q '"000b82aa0002"' || fail "the pushed store lacks desk-2's keys"
[ -z "$(snapshot)" ] || fail "the generate job wrote profiles (it runs with --skip-tags render)"
[ "$(sha256sum "$inventory/sipfleet_keys.vault" "$inventories/sipfleet_keys.vault" "$inventories/fleet/decoy.yml")" = \
    "$decoy_sum" ] || fail "a job wrote beside the imported inventory"
git --git-dir="$remote" log -1 --format=%s main | grep -q '^Key store: keys of 2 new device(s), 0 rotation(s) started (AWX job 1)$' ||
    fail "the commit message is not the expected one: $(git --git-dir="$remote" log -1 --format=%s main)"
pass "the store was made in the job's copy and pushed, encrypted, on top of revision ${first:0:8}"

# --- the profiles job: generate off, the store of its copy ---------------------------
step "the profiles job writes the profiles with the keys of its copy of the project"
# With the tags a job template may give: the project is located all the same.
awx_job profiles1 "$(head_of)" profiles.yml --tags profiles || fail_with_log "$work/profiles1" "the profiles job failed"
decrypts_with_store "$job_dir/project/sipfleet_keys.vault" 000b82aa0001 000b82aa0002 ||
    fail "the profiles do not decrypt with the keys of the store in the project copy"
[ ! -e "$root/cfg000b82dd0001.xml" ] || fail "the decoy fleet beside the imported inventory was read"
if decrypts_with_store "$inventory/sipfleet_keys.vault" 000b82aa0001 2>/dev/null; then
    fail "a profile is encrypted with the decoy store's key"
fi
cmp -s "$job_dir/project/sipfleet_keys.vault" "$work/pushed.vault" || fail "the profiles job changed the store"
pass "desk-1 and desk-2 decrypt with the project copy's keys; no decoy was read"

# --- a new device with generate off ---------------------------------------------------
step "a new phone without keys fails the profiles job, named, and nothing is written"
phone desk-3 00:0b:82:aa:00:03 303 >"$src/fleet/berlin/desk-3.yml"
git -C "$src" pull --quiet --rebase "$remote" main
commit_and_push "Add desk-3"
with_desk3=$(head_of)
before=$(snapshot)
if awx_job profiles2 "$with_desk3" profiles.yml; then
    fail_with_log "$work/profiles2" "the profiles job gave a new device keys with generate off"
fi
# key_store's message: the device, the store of the project copy, and why.
grep -q "device(s) have no keys in $job_dir/project/sipfleet_keys.vault and generate is off: 000b82aa0003;" \
    "$work/profiles2" || fail_with_log "$work/profiles2" "the failure does not name desk-3 and the project copy's store"
[ "$(snapshot)" = "$before" ] || fail "the failed profiles job changed the served root or the state"
cmp -s "$job_dir/project/sipfleet_keys.vault" "$work/pushed.vault" || fail "the failed profiles job changed the store"
[ ! -e "$root/cfg000b82aa0003.xml" ] || fail "desk-3 got a profile"
pass "the run failed naming desk-3 (000b82aa0003) and the store of the project copy; nothing changed"

# --- the generate job gives it keys ----------------------------------------------------
step "the generate job gives the new phone keys and pushes them"
keys_job keys2 "$with_desk3" || fail_with_log "$work/keys2" "the generate job failed"
[ "$(head_of main~1)" = "$with_desk3" ] || fail "the second generate job's commit is not on top of its revision"
remote_store >"$work/pushed.vault"
cmp -s "$work/pushed.vault" "$job_dir/project/sipfleet_keys.vault" || fail "the pushed store is not the job's"
store_json "$work/pushed.vault" | grep -q '"000b82aa0003"' || fail "the pushed store lacks desk-3's keys"
[ "$(snapshot)" = "$before" ] || fail "the generate job wrote profiles"
after_keys=$(head_of)
pass "desk-3's keys pushed on top of ${with_desk3:0:8}, no profile written"

step "a generate job on a revision the branch moved past pushes nothing"
if keys_job keys3 "$with_desk3"; then
    fail_with_log "$work/keys3" "a generate job on an old revision succeeded"
fi
grep -q "Branch main of file://$remote is at $after_keys, this job's project at $with_desk3" "$work/keys3" ||
    fail_with_log "$work/keys3" "the refusal does not name the branch's head and the job's revision"
[ "$(head_of)" = "$after_keys" ] || fail "the branch moved"
pass "refused: main is past the job's revision"

step "a generate job that would write profiles is refused before any key is made"
if awx_job keys4 "$after_keys" generate_keys.yml -e "sipfleet_keys_push_url=file://$remote"; then
    fail_with_log "$work/keys4" "a generate job without --skip-tags render ran"
fi
grep -q 'Run this playbook with --skip-tags render' "$work/keys4" || fail_with_log "$work/keys4" "not refused as expected"
[ "$(head_of)" = "$after_keys" ] || fail "the refused generate job pushed"
[ "$(snapshot)" = "$before" ] || fail "the refused generate job wrote profiles"
pass "refused, nothing written or pushed"

step "a generate job with nothing new commits nothing"
keys_job keys5 "$after_keys" || fail_with_log "$work/keys5" "the generate job with nothing new failed"
[ "$(head_of)" = "$after_keys" ] || fail "a generate job with nothing new pushed a commit"
pass "no commit, no push"

step "the next profiles job serves the new phone"
awx_job profiles3 "$after_keys" profiles.yml || fail_with_log "$work/profiles3" "the profiles job failed"
decrypts_with_store "$job_dir/project/sipfleet_keys.vault" 000b82aa0001 000b82aa0002 000b82aa0003 ||
    fail "the profiles do not decrypt with the pushed keys"
pass "desk-1, desk-2 and desk-3 decrypt with the pushed store's keys"

# --- the command line, as before -------------------------------------------------------
step "the same repository from a checkout: the collection's playbook, -i inventory"
git -C "$src" pull --quiet --rebase "$remote" main
# Without the example's sipfleet_key_store_path: the playbook's default,
# sipfleet_project_dir's store, is the one the jobs pushed.
rm "$src/inventory/group_vars/all/keys.yml"
before=$(snapshot)
(cd "$src" && ansible-playbook -i inventory sipfleet.provisioning.profiles --vault-id "sipfleet@$work/vault-password" \
    -e sipfleet_key_store_generate=false) >"$work/cli" 2>&1 || fail_with_log "$work/cli" "the checkout's run failed"
expect_recap "$work/cli" --host prov failed=0 changed=0
[ "$(snapshot)" = "$before" ] || fail "the checkout's run changed files the jobs wrote"
pass "unchanged: the checkout's run found the same fleet and, by the default path, the same store"

step "the status playbook from the checkout writes status/ in the project"
(cd "$work" && ansible-playbook -i "$src/inventory" sipfleet.provisioning.status \
    --vault-id "sipfleet@$work/vault-password") >"$work/status" 2>&1 || fail_with_log "$work/status" "the status run failed"
for file in status.json index.html; do
    [ -f "$src/status/$file" ] || fail_with_log "$work/status" "$file is not in the project's status/"
done
[ ! -e "$src/inventory/status" ] || fail "the status playbook wrote into the inventory directory"
pass "status/ written at the top of the project, not in inventory/"
