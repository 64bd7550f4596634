#!/usr/bin/env bash
# phone_profiles and key_store end to end on localhost: idempotence, a
# one-device change, removal, check mode, diff redaction at -vvv, a bad
# device, keys that persist across runs, hosts and controllers, and the
# written profiles decrypted by the real openssl CLI.
set -eu

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
make_work sipfleet-profiles
export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-pass"
printf 'test-vault-password\n' >"$ANSIBLE_VAULT_PASSWORD_FILE"
mkdir -p "$work/inventory/group_vars/all"

write_inventory() {
    # $1: the display name of device "reception"; $2: "with-spare" to keep the spare phone
    python3 - "$work" "$1" "$2" <<'PY'
import json, sys
work, display, spare = sys.argv[1:]
devices = [
    {"name": "reception", "mac": "00:0b:82:12:34:56", "model": "GXP2170",
     "lines": [{"extension": "201", "password": "Gs201Secret", "display_name": display}]},
    {"name": "lobby-ata", "mac": "88:01:2b:a0:12:34", "model": "SPA2102",
     "lines": [{"extension": "202", "password": "spa-202-secret"}]},
    {"name": "store-ata", "mac": "00:56:2b:04:36:15", "model": "ATA192",
     "lines": [{"extension": "203", "password": "mpp-203-secret"}]},
    {"name": "office", "mac": "00:80:f0:c8:c3:81", "model": "KX-UTG300",
     "lines": [{"extension": "204", "password": "pana-204-secret"}]},
]
if spare == "with-spare":
    devices.append({"name": "spare", "mac": "00:0b:82:00:00:99", "model": "GXP2170",
                    "lines": [{"extension": "299", "password": "SpareSecret299"}]})
with open(work + "/inventory/group_vars/all/fleet.json", "w") as handle:
    json.dump({"sipfleet_devices": devices,
               "sipfleet_defaults": {"sip_server": "pbx.example.net", "admin_password": "AdminSecret99",
                                     "provisioning_url": "http://prov.example.net", "resync_interval": 60}},
              handle)
with open(work + "/inventory/hosts.yml", "w") as handle:
    handle.write("provisioning_servers:\n  hosts:\n")
    for host in ("prov1", "prov2"):
        handle.write("    %s:\n      ansible_connection: local\n      ansible_python_interpreter: %s\n"
                     "      sipfleet_profile_roots: [%s/%s/root]\n      sipfleet_state_dir: %s/%s/state\n"
                     "      sipfleet_http_access_logs: [%s/%s/access.log]\n"
                     % (host, sys.executable, work, host, work, host, work, host))
    handle.write("  vars:\n    sipfleet_key_store_path: %s/inventory/sipfleet_keys.vault\n"
                 "    sipfleet_bootstrap_serve: always\n" % work)
PY
}

playbook() {
    ansible-playbook -i "$work/inventory/hosts.yml" deploy.yml -e "work_dir=$work" "$@"
}

listing() {
    # path, size and mtime of every served file of both hosts
    (cd "$work" && find prov1/root prov2/root -type f -printf '%p %s %T@\n' | sort)
}

write_inventory "Reception" with-spare

echo "== a missing key store is an error, never a new one"
if playbook >"$work/out" 2>&1; then fail "a run without a key store succeeded"; fi
grep -q "does not exist" "$work/out" || fail "no clear error for the missing key store: $(cat "$work/out")"
[ ! -e "$work/inventory/sipfleet_keys.vault" ] || fail "a key store was created silently"

echo "== first run creates the vault-encrypted store and writes both hosts"
playbook -e sipfleet_key_store_create=true >"$work/out" 2>&1 || fail_with_log "$work/out" "first run failed"
[ "$(head -c 14 "$work/inventory/sipfleet_keys.vault")" = "\$ANSIBLE_VAULT" ] || fail "the key store is not vault-encrypted"
[ "$(stat -c %a "$work/inventory/sipfleet_keys.vault")" = 600 ] || fail "the key store is not mode 0600"
expect_recap "$work/out" --host prov1 "changed>0"
diff <(cd "$work/prov1/root" && find . -type f -exec sha256sum {} + | sort) \
     <(cd "$work/prov2/root" && find . -type f -exec sha256sum {} + | sort) || fail "the two hosts serve different files"

echo "== the profiles decrypt with the real openssl CLI and the stored keys"
ansible-vault view "$work/inventory/sipfleet_keys.vault" >"$work/keys.json"
gs_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"]["000b82123456"]["p1359"])' "$work/keys.json")
openssl enc -d -aes-256-cbc -md md5 -k "$gs_key" -in "$work/prov1/root/cfg000b82123456.xml" >"$work/gs.xml" 2>"$work/openssl.err"
grep -q '<P3>Reception</P3>' "$work/gs.xml" || fail "the Grandstream profile does not carry the display name"

echo "== a rerun changes nothing"
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "rerun failed"
for host in prov1 prov2; do
    expect_recap "$work/out" --host "$host" changed=0
done

echo "== a fresh controller finds the same keys (no regeneration), with generation off"
cp "$work/keys.json" "$work/keys-before.json"
ANSIBLE_LOCAL_TEMP="$work/fresh-controller" playbook -e sipfleet_key_store_generate=false >"$work/out" 2>&1 || fail_with_log "$work/out" "run with generation off failed"
ansible-vault view "$work/inventory/sipfleet_keys.vault" | cmp -s - "$work/keys-before.json" || fail "the keys changed"
expect_recap "$work/out" --host prov1 changed=0

echo "== check mode reports a change and writes nothing"
write_inventory "Front desk" with-spare
listing >"$work/before"
playbook --check >"$work/out" 2>&1 || fail_with_log "$work/out" "check mode failed"
expect_recap "$work/out" --host prov1 "changed>0"
listing | cmp -s - "$work/before" || fail "check mode wrote files"

echo "== --diff -vvv shows the change and no password or key"
playbook --check --diff -vvv >"$work/out" 2>&1 || fail_with_log "$work/out" "diff run failed"
grep -q 'Front desk' "$work/out" || fail "the diff does not show the new display name"
for secret in Gs201Secret spa-202-secret mpp-203-secret pana-204-secret SpareSecret299 AdminSecret99 \
        $(python3 -c 'import json,sys; [print(v) for e in json.load(open(sys.argv[1]))["devices"].values() for k, v in e.items() if k not in ("created", "rotated")]' "$work/keys.json"); do
    if grep -qi -- "$secret" "$work/out"; then fail "a secret reached the output of --diff -vvv"; fi
done

echo "== one device changed: only its files are rewritten"
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "change run failed"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["changed_devices"] == ["reception"], r' "$work/prov1-result.json"
listing >"$work/after"
changed=$(diff "$work/before" "$work/after" | grep '^>' | awk '{print $2}' | sort -u)
[ -n "$changed" ] || fail "nothing was rewritten"
for path in $changed; do
    case "$path" in
        */cfg000b82123456*) ;;
        *) fail "$path was rewritten though its device did not change" ;;
    esac
done

echo "== a removed device's files are pruned, foreign files kept"
echo "not ours" >"$work/prov1/root/firmware.bin"
write_inventory "Front desk" without-spare
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "removal run failed"
[ ! -e "$work/prov1/root/cfg000b82000099.xml" ] || fail "the removed device's profile is still served"
[ "$(cat "$work/prov1/root/firmware.bin")" = "not ours" ] || fail "a foreign file was touched"

echo "== a bad device fails the run and changes no file"
listing >"$work/before"
python3 - "$work" <<'PY'
import json, sys
path = sys.argv[1] + "/inventory/group_vars/all/fleet.json"
data = json.load(open(path))
data["sipfleet_devices"][0]["lines"][0]["display_name"] = "Changed again"
data["sipfleet_devices"].append({"name": "broken", "mac": "00:0b:82:00:00:zz", "model": "GXP2170"})
json.dump(data, open(path, "w"))
PY
if playbook >"$work/out" 2>&1; then fail "a run with a bad device succeeded"; fi
grep -q "device broken, field mac" "$work/out" || fail_with_log "$work/out" "the error does not name the device and field"
listing | cmp -s - "$work/before" || fail "files changed in a failed run"

echo "== key rotation: the new key travels in the profile the phone can still decrypt"
python3 - "$work" <<'PY'
import json, sys
path = sys.argv[1] + "/inventory/group_vars/all/fleet.json"
data = json.load(open(path))
data["sipfleet_devices"] = [d for d in data["sipfleet_devices"] if d["name"] != "broken"]
json.dump(data, open(path, "w"))
PY
# Nothing shows that the phone ever fetched its bootstrap: a handover
# encrypted with keys it may not have would lock it out, so it is held.
ansible-playbook -i "$work/inventory/hosts.yml" sipfleet.provisioning.rotate_keys -e '{"sipfleet_rotate": ["reception"]}' \
    >"$work/out" 2>&1 || fail_with_log "$work/out" "rotate_keys (held) failed"
grep -q "Not rotated.*000b82123456" "$work/out" || fail_with_log "$work/out" "the held rotation is not reported"
if ansible-vault view "$work/inventory/sipfleet_keys.vault" | grep -q '"next"'; then
    fail "a rotation started for a device never known to have its keys"
fi
[ -f "$work/prov1/root/cfg000b82123456" ] || fail "the held rotation removed the device's bootstrap"
# The phone fetches its bootstrap; the next run records the delivery in the key store.
printf '{"time":"%s","remote_addr":"10.99.0.2","path":"/cfg000b82123456","status":200,"bytes":%s,"user_agent":"Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$(stat -c %s "$work/prov1/root/cfg000b82123456")" >"$work/prov1/access.log"
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "run after the bootstrap fetch failed"
ansible-playbook -i "$work/inventory/hosts.yml" sipfleet.provisioning.rotate_keys -e '{"sipfleet_rotate": ["reception"]}' \
    >"$work/out" 2>&1 || fail_with_log "$work/out" "rotate_keys failed"
ansible-vault view "$work/inventory/sipfleet_keys.vault" >"$work/keys-rotating.json"
new_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"]["000b82123456"]["next"]["p1359"])' "$work/keys-rotating.json")
[ "$new_key" != "$gs_key" ] || fail "the rotation did not make a new key"
openssl enc -d -aes-256-cbc -md md5 -k "$gs_key" -in "$work/prov1/root/cfg000b82123456.xml" >"$work/gs.xml" 2>"$work/openssl.err" \
    || fail "during the rotation the profile does not decrypt with the key the phone has"
grep -q "<P1359>$new_key</P1359>" "$work/gs.xml" || fail "the profile does not hand the new key over"
grep -q 'Changed again' "$work/gs.xml" || fail "the profile lost the inventory's settings"

echo "== a fetch of the handover anyone could have made (no client certificate): the rotation stays pending"
size=$(stat -c %s "$work/prov2/root/cfg000b82123456.xml")
printf '{"time":"%s","remote_addr":"10.99.0.66","path":"/cfg000b82123456.xml","status":200,"bytes":%s,"user_agent":"Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456","ssl_client_verify":"NONE","client_mac":""}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$size" >"$work/prov2/access.log"
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "run after the anonymous fetch failed"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rotation"]["pending"] == ["reception"] and r["rotation"]["finished"] == [], r' "$work/prov1-result.json"
openssl enc -d -aes-256-cbc -md md5 -k "$gs_key" -in "$work/prov1/root/cfg000b82123456.xml" 2>/dev/null | grep -q "<P1359>$new_key</P1359>" \
    || fail "after an anonymous fetch the handover is no longer served with the key the phone has"
ansible-vault view "$work/inventory/sipfleet_keys.vault" | grep -q '"next"' || fail "an anonymous fetch promoted the new key"

echo "== the phone fetched its handover with its client certificate (access log): the rotation finishes"
printf '{"time":"%s","remote_addr":"10.99.0.2","path":"/cfg000b82123456.xml","status":200,"bytes":%s,"user_agent":"Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456","ssl_client_verify":"SUCCESS","client_mac":"000b82123456"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$size" >>"$work/prov2/access.log"
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "run after the fetch failed"
# The key store promoted the new key in the same run: the device is now served with it alone.
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["changed_devices"] == ["reception"] and r["rotation"]["pending"] == [], r' "$work/prov1-result.json"
for host in prov1 prov2; do
    openssl enc -d -aes-256-cbc -md md5 -k "$new_key" -in "$work/$host/root/cfg000b82123456.xml" >"$work/gs.xml" 2>"$work/openssl.err" \
        || fail "after the rotation $host's profile does not decrypt with the new key"
    grep -q '<P3>Changed again</P3>' "$work/gs.xml" || fail "$host's profile after the rotation lacks the settings"
    if openssl enc -d -aes-256-cbc -md md5 -k "$gs_key" -in "$work/$host/root/cfg000b82123456.xml" 2>/dev/null | grep -q '<P3>'; then
        fail "$host's profile still decrypts with the old key"
    fi
done
ansible-vault view "$work/inventory/sipfleet_keys.vault" >"$work/keys-after.json"
python3 - "$work/keys-after.json" "$new_key" <<'PY'
import json, sys
entry = json.load(open(sys.argv[1]))["devices"]["000b82123456"]
assert entry["p1359"] == sys.argv[2] and "next" not in entry, entry
PY
playbook >"$work/out" 2>&1 || fail_with_log "$work/out" "run after the rotation failed"
expect_recap "$work/out" --host prov1 changed=0

echo "== a delivered key travels with the key store: a lost state directory re-opens no window"
key_file=Config0080F0C8C381.cfg
playbook -e sipfleet_bootstrap_serve=window >"$work/out" 2>&1 || fail_with_log "$work/out" "run with windows failed"
[ -f "$work/prov1/root/$key_file" ] || fail "the Panasonic key file is not served in its window"
size=$(stat -c %s "$work/prov1/root/$key_file")
printf '{"time":"%s","remote_addr":"10.99.0.4","path":"/%s","status":200,"bytes":%s,"user_agent":"Panasonic_KX-UTG300/01.133 (0080f0c8c381)"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$key_file" "$size" >>"$work/prov1/access.log"
playbook -e sipfleet_bootstrap_serve=window >"$work/out" 2>&1 || fail_with_log "$work/out" "run after the key file fetch failed"
# Once its window closes, Config<MAC>.cfg is the encrypted profile (what a
# rebooting phone is sent to), never the plain key file.
serves_key_file() { grep -q '^CFG_FILE_KEY=' "$work/$1/root/$key_file"; }
if serves_key_file prov1 || serves_key_file prov2; then
    fail "the fetched key file is still served"
fi
rm -rf "$work/prov1/state" "$work/prov2/state" "$work/prov1/access.log" "$work/prov2/access.log"
playbook -e sipfleet_bootstrap_serve=window >"$work/out" 2>&1 || fail_with_log "$work/out" "run with lost state directories failed"
if serves_key_file prov1 || serves_key_file prov2; then
    fail "losing the state directories re-opened a delivered key's window"
fi

echo "== sipfleet_rebootstrap re-opens it, for the current key"
playbook -e sipfleet_bootstrap_serve=window -e '{"sipfleet_rebootstrap": ["office"]}' >"$work/out" 2>&1 \
    || fail_with_log "$work/out" "run with sipfleet_rebootstrap failed"
pana_key=$(ansible-vault view "$work/inventory/sipfleet_keys.vault" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"]["0080f0c8c381"]["cfg_file_key"])')
for host in prov1 prov2; do
    grep -q "$pana_key" "$work/$host/root/$key_file" || fail "$host does not serve the current key after sipfleet_rebootstrap"
done
playbook -e sipfleet_bootstrap_serve=window >"$work/out" 2>&1 || fail_with_log "$work/out" "run after the re-opening failed"
serves_key_file prov1 || fail "the re-opened window closed without a fetch"

echo "== a window closed by expiry travels with the key store: a lost state directory re-opens it no more"
[ -f "$work/prov1/root/spa88012ba01234.xml" ] || fail "the unfetched Cisco SPA bootstrap is not served in its window"
# The first run closes the windows (0 minutes); the next one reads that from the hosts' state into the store.
for run in expire record; do
    playbook -e sipfleet_bootstrap_serve=window -e sipfleet_bootstrap_window=0 >"$work/out" 2>&1 \
        || fail_with_log "$work/out" "run ($run) with a 0-minute window failed"
done
for host in prov1 prov2; do
    [ ! -e "$work/$host/root/spa88012ba01234.xml" ] || fail "$host still serves the expired Cisco SPA bootstrap"
done
ansible-vault view "$work/inventory/sipfleet_keys.vault" | grep '"88012ba01234"' | grep -q '"closed"' \
    || fail "the key store does not record the expired window"
rm -rf "$work/prov1/state" "$work/prov2/state"
playbook -e sipfleet_bootstrap_serve=window >"$work/out" 2>&1 || fail_with_log "$work/out" "run with lost state directories failed"
for host in prov1 prov2; do
    [ ! -e "$work/$host/root/spa88012ba01234.xml" ] || fail "losing the state directory re-opened an expired window on $host"
done

echo "phone_profiles, key_store and key rotation: all checks passed"
