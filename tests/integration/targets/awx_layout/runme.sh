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
# and pushes it, vault-encrypted, writing no profile, and its output never
# shows the push URL; a push URL with a token is refused without quoting
# it; the profiles job (profiles.yml, generate off) writes every profile
# encrypted with the keys of the store in its copy of the project, reads
# none of the decoys; a new device fails the profiles job, named, and
# nothing is written; the generate job gives it keys and pushes them,
# encrypted with sipfleet_key_store_vault_id's secret of two; a generate job
# whose store the branch has replaced pushes nothing, one whose branch moved
# with the same store pushes on top; a generate job that would render, one
# with the store in plain text, one whose commit a hook refuses are refused
# and push nothing; a check run succeeds and writes and pushes nothing; one
# with nothing new pushes nothing; a project in a subdirectory of its
# repository pushes its store there (found from .git, or given as
# sipfleet_keys_repo_subdir), and is refused without either; a profiles job
# on the implicit localhost finds the project; and the same repository
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
# A name no output may show: the push URL is kept out of the job's events.
url_mark=pushurl-c0ffee
remote=$work/$url_mark.git

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
  "304": AwxSecret304
  "305": AwxSecret305
  "306": AwxSecret306
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
job_remote=$remote    # the repository AWX updates the project from
job_playbooks=playbooks  # the job template's playbook directory, in the repository
job_checkout=archive  # archive: a copy without .git; clone: a checkout
vault_first=""        # another vault secret given before the store's (a second Vault credential)
awx_job() {  # awx_job OUT REVISION PLAYBOOK [ARG...]: a job of PLAYBOOK at REVISION, output in $work/OUT
    local out=$1 revision=$2 playbook=$3
    local -a vault_ids=()
    shift 3
    jobs=$((jobs + 1))
    job_dir=$(mktemp -d "$work/awx_${jobs}_XXXXXX")
    mkdir "$job_dir/env"
    if [ "$job_checkout" = clone ]; then
        git clone --quiet "$job_remote" "$job_dir/project"
        git -C "$job_dir/project" checkout --quiet "$revision"
    else
        mkdir "$job_dir/project"
        # tar.umask: git archives directories group-writable (0775) by
        # default, which key_store refuses for the store's directory.
        git --git-dir="$job_remote" -c tar.umask=0022 archive "$revision" | tar -x -C "$job_dir/project"
    fi
    install -m 600 "$work/vault-password" "$job_dir/env/vault_password"
    if [ -n "$vault_first" ]; then
        printf 'another-vault-password\n' >"$job_dir/env/vault_password_other"
        vault_ids=(--vault-id "$vault_first@$job_dir/env/vault_password_other")
    fi
    vault_ids+=(--vault-id "sipfleet@$job_dir/env/vault_password")
    (cd "$job_dir/project" && ansible-playbook -i "$inventory/hosts" "$job_playbooks/$playbook" "${vault_ids[@]}" \
        -e "awx_job_id=$jobs" -e "awx_project_revision=$revision" -e awx_project_scm_branch=main "$@") \
        >"$work/$out" 2>&1
}
keys_job() {  # keys_job OUT REVISION [ARG...]: the generate job, as its job template runs it
    local out=$1 revision=$2
    shift 2
    awx_job "$out" "$revision" generate_keys.yml --skip-tags render -e "sipfleet_keys_push_url=file://$job_remote" "$@"
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
        openssl enc -d -aes-256-cbc -md md5 -k "$key" -in "${served:-$root}/cfg$mac.xml" 2>/dev/null | grep -q '<P35>' || return 1
    done
    rm -f "$work/store.json"
}

# --- the generate job: the first one creates the store ------------------------------
step "the generate job makes the store in its copy of the project and pushes it"
first=$(head_of)
keys_job keys1 "$first" -e sipfleet_key_store_create=true -v || fail_with_log "$work/keys1" "the first generate job failed"
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
# The URL is in the arguments of ls-remote, the clone and the push, which
# AWX keeps as job events: -v shows them unless hidden.
! grep -q "$url_mark" "$work/keys1" || fail_with_log "$work/keys1" "the job's output shows the push URL"
pass "the store was made in the job's copy and pushed, encrypted, on top of revision ${first:0:8}"

step "a push URL with a token in it is refused, without showing the token"
token=glpat-Tok3nNeverShown
if keys_job keys_token "$(head_of)" -v -e "sipfleet_keys_push_url=https://keys:$token@git.invalid/voice/phones.git"; then
    fail_with_log "$work/keys_token" "a keys job with a token in its push URL ran"
fi
grep -q 'sipfleet_keys_push_url (not shown) carries a password or token' "$work/keys_token" ||
    fail_with_log "$work/keys_token" "not refused for the token in the URL"
! grep -q "$token" "$work/keys_token" || fail_with_log "$work/keys_token" "the job's output shows the token"
pass "refused; the output never shows the token"

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
step "the generate job gives the new phone keys and pushes them, encrypted with the vault ID asked for"
# Two vault secrets, as two Vault credentials give them, the store's last:
# without sipfleet_key_store_vault_id the first would encrypt it.
vault_first=other keys_job keys2 "$with_desk3" -e sipfleet_key_store_vault_id=sipfleet ||
    fail_with_log "$work/keys2" "the generate job failed"
[ "$(head_of main~1)" = "$with_desk3" ] || fail "the second generate job's commit is not on top of its revision"
remote_store >"$work/pushed.vault"
cmp -s "$work/pushed.vault" "$job_dir/project/sipfleet_keys.vault" || fail "the pushed store is not the job's"
[ "$(head -n 1 "$work/pushed.vault")" = "\$ANSIBLE_VAULT;1.2;AES256;sipfleet" ] ||
    fail "the store is not encrypted with the vault ID sipfleet: $(head -n 1 "$work/pushed.vault")"
store_json "$work/pushed.vault" | grep -q '"000b82aa0003"' || fail "the pushed store lacks desk-3's keys"
[ "$(snapshot)" = "$before" ] || fail "the generate job wrote profiles"
after_keys=$(head_of)
pass "desk-3's keys pushed on top of ${with_desk3:0:8}, encrypted for vault ID sipfleet, no profile written"

step "a generate job whose store the branch has replaced pushes nothing"
if keys_job keys3 "$with_desk3"; then
    fail_with_log "$work/keys3" "a generate job on a replaced store succeeded"
fi
grep -q "The key store sipfleet_keys.vault of branch main is not the one this job's copy of the project holds" \
    "$work/keys3" || fail_with_log "$work/keys3" "the refusal does not say the store was replaced"
[ "$(head_of)" = "$after_keys" ] || fail "the branch moved"
pass "refused: main's store is not the one the job made its keys from"

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

step "a generate job whose branch moved on, with the same store, pushes on top"
git -C "$src" pull --quiet --rebase "$remote" main
phone desk-4 00:0b:82:aa:00:04 304 >"$src/fleet/berlin/desk-4.yml"
commit_and_push "Add desk-4"
with_desk4=$(head_of)
printf 'The phones of Berlin and Munich.\n' >"$src/NOTES.md"
commit_and_push "Describe the project"
moved=$(head_of)
keys_job keys6 "$with_desk4" || fail_with_log "$work/keys6" "the generate job on a moved branch with the same store failed"
[ "$(head_of main~1)" = "$moved" ] || fail "the commit is not on top of the branch's head"
remote_store >"$work/pushed.vault"
cmp -s "$work/pushed.vault" "$job_dir/project/sipfleet_keys.vault" || fail "the pushed store is not the job's"
store_json "$work/pushed.vault" | grep -q '"000b82aa0004"' || fail "the pushed store lacks desk-4's keys"
git --git-dir="$remote" cat-file -e main:NOTES.md || fail "the push lost the commit it went on top of"
after_keys=$(head_of)
pass "desk-4's keys pushed on top of ${moved:0:8} (the job's copy was ${with_desk4:0:8})"

# --- refusals with a new phone to give keys to ------------------------------------------
git -C "$src" pull --quiet --rebase "$remote" main
phone desk-5 00:0b:82:aa:00:05 305 >"$src/fleet/berlin/desk-5.yml"
commit_and_push "Add desk-5"
with_desk5=$(head_of)

step "a generate job with the store in plain text is refused and pushes nothing"
if keys_job keys_plain "$with_desk5" -e sipfleet_key_store_encrypt=false; then
    fail_with_log "$work/keys_plain" "a generate job with sipfleet_key_store_encrypt false ran"
fi
grep -Eq 'sipfleet_key_store_encrypt is false|The key store sipfleet_keys.vault is not vault-encrypted' "$work/keys_plain" ||
    fail_with_log "$work/keys_plain" "not refused for the plain store"
[ "$(head_of)" = "$with_desk5" ] || fail "the generate job with a plain store pushed"
pass "refused, nothing pushed"

step "a check run (AWX's Check job type) succeeds, and writes and pushes nothing"
keys_job keys_check "$with_desk5" --check || fail_with_log "$work/keys_check" "the check run failed"
[ "$(head_of)" = "$with_desk5" ] || fail "the check run pushed"
git --git-dir="$remote" show "$with_desk5:sipfleet_keys.vault" >"$work/committed.vault"
cmp -s "$job_dir/project/sipfleet_keys.vault" "$work/committed.vault" || fail "the check run wrote the store"
[ "$(snapshot)" = "$before" ] || fail "the check run wrote profiles"
pass "ok, nothing written or pushed"

step "a generate job whose commit a hook refuses fails, and pushes nothing"
mkdir -p "$work/hooks"
printf '#!/bin/sh\necho "pre-commit: refused by the repository policy" >&2\nexit 1\n' >"$work/hooks/pre-commit"
chmod 0755 "$work/hooks/pre-commit"
# As a global git configuration of the execution environment would give it.
if GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0="$work/hooks" keys_job keys_hook "$with_desk5"; then
    fail_with_log "$work/keys_hook" "a generate job whose commit failed succeeded"
fi
grep -q 'pre-commit: refused by the repository policy' "$work/keys_hook" ||
    fail_with_log "$work/keys_hook" "the job did not fail at the commit"
[ "$(head_of)" = "$with_desk5" ] || fail "the generate job with a refused commit pushed"
pass "failed at the commit, nothing pushed"

step "the generate job then gives desk-5 its keys"
keys_job keys7 "$with_desk5" || fail_with_log "$work/keys7" "the generate job failed"
remote_store >"$work/pushed.vault"
store_json "$work/pushed.vault" | grep -q '"000b82aa0005"' || fail "the pushed store lacks desk-5's keys"
after_keys=$(head_of)
pass "pushed"

step "the next profiles job serves the new phones"
awx_job profiles3 "$after_keys" profiles.yml || fail_with_log "$work/profiles3" "the profiles job failed"
decrypts_with_store "$job_dir/project/sipfleet_keys.vault" \
    000b82aa0001 000b82aa0002 000b82aa0003 000b82aa0004 000b82aa0005 ||
    fail "the profiles do not decrypt with the pushed keys"
pass "desk-1 to desk-5 decrypt with the pushed store's keys"

step "a profiles job on the implicit localhost finds the project"
# The provisioning host is the controller itself, the implicit localhost:
# no member of all, so locate_project.yml must name it.
local_root=$work/local-root
mkdir -p "$local_root" "$work/local-state"
printf '{"sipfleet_profile_roots": ["%s"], "sipfleet_state_dir": "%s", "sipfleet_http_access_logs": []}\n' \
    "$local_root" "$work/local-state" >"$work/local-vars.json"
awx_job profiles_local "$after_keys" profiles.yml -e sipfleet_provisioning_hosts=localhost -e "@$work/local-vars.json" ||
    fail_with_log "$work/profiles_local" "the profiles job on localhost failed"
served=$local_root decrypts_with_store "$job_dir/project/sipfleet_keys.vault" 000b82aa0001 000b82aa0005 ||
    fail "localhost's profiles do not decrypt with the project's keys"
[ ! -e "$local_root/cfg000b82dd0001.xml" ] || fail "the decoy fleet beside the imported inventory was read"
pass "localhost wrote the project's profiles"

# --- a project in a subdirectory of its repository -------------------------------------
step "a project in a subdirectory of its repository: the store is pushed where the jobs read it"
sub_remote=$work/sub-repository.git
sub_src=$work/sub-src
mkdir -p "$sub_src/site"
(cd "$src" && git ls-files -z | xargs -0 cp --parents -t "$sub_src/site")
rm -f "$sub_src/site/sipfleet_keys.vault"
git init --quiet --bare --initial-branch=main "$sub_remote"
git -C "$sub_src" init --quiet --initial-branch=main
git -C "$sub_src" add -A
git -C "$sub_src" -c user.name=awx_layout -c user.email=awx-layout@localhost commit --quiet -m "The project, in site/"
git -C "$sub_src" push --quiet "$sub_remote" HEAD:refs/heads/main
sub_first=$(git --git-dir="$sub_remote" rev-parse main)
job_remote=$sub_remote
job_playbooks=site/playbooks
if keys_job sub1 "$sub_first" -e sipfleet_key_store_create=true; then
    fail_with_log "$work/sub1" "a job in a subdirectory, without .git or sipfleet_keys_repo_subdir, pushed"
fi
grep -q 'Set sipfleet_keys_repo_subdir' "$work/sub1" || fail_with_log "$work/sub1" "the refusal does not name the variable"
[ "$(git --git-dir="$sub_remote" rev-parse main)" = "$sub_first" ] || fail "the refused job pushed"
keys_job sub2 "$sub_first" -e sipfleet_key_store_create=true -e sipfleet_keys_repo_subdir=site ||
    fail_with_log "$work/sub2" "the job with sipfleet_keys_repo_subdir failed"
git --git-dir="$sub_remote" show main:site/sipfleet_keys.vault >"$work/sub.vault" ||
    fail "no store in site/ of the repository"
cmp -s "$work/sub.vault" "$job_dir/project/site/sipfleet_keys.vault" || fail "the store in site/ is not the job's"
! git --git-dir="$sub_remote" cat-file -e main:sipfleet_keys.vault 2>/dev/null || fail "a store was pushed at the top"
pass "refused without the project's place; pushed to site/ with sipfleet_keys_repo_subdir"

step "a project in a subdirectory, from a checkout with .git: found without the variable"
git -C "$sub_src" pull --quiet --rebase "$sub_remote" main
phone desk-6 00:0b:82:aa:00:06 306 >"$sub_src/site/fleet/berlin/desk-6.yml"
git -C "$sub_src" add -A
git -C "$sub_src" -c user.name=awx_layout -c user.email=awx-layout@localhost commit --quiet -m "Add desk-6"
git -C "$sub_src" push --quiet "$sub_remote" HEAD:refs/heads/main
sub_head=$(git --git-dir="$sub_remote" rev-parse main)
job_checkout=clone keys_job sub3 "$sub_head" -e sipfleet_keys_push_branch=main ||
    fail_with_log "$work/sub3" "the job from a checkout in a subdirectory failed"
[ "$(git --git-dir="$sub_remote" rev-parse main~1)" = "$sub_head" ] || fail "nothing pushed on top of desk-6"
git --git-dir="$sub_remote" show main:site/sipfleet_keys.vault >"$work/sub.vault"
store_json "$work/sub.vault" | grep -q '"000b82aa0006"' ||
    fail "the store in site/ lacks desk-6's keys"
job_remote=$remote
job_playbooks=playbooks
pass "desk-6's keys pushed to site/sipfleet_keys.vault"

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
