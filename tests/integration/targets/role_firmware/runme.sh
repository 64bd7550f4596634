#!/usr/bin/env bash
# The firmware role against this machine: temporary TFTP and HTTP roots, images
# from the controller, from a loopback HTTP server and from a file:// URL; then
# the rollout filter, and a phone's firmware request served from the HTTP root.
set -eu

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

make_work role-firmware
server_pids=()
stop_http_servers() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
on_exit stop_http_servers

# A loopback HTTP server on a free port, started from this shell (not a
# subshell) so that cleanup knows its PID; sets server_port.
start_http_server() {
    local directory=$1 log=$2 tries=0
    python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$directory" >"$log" 2>&1 &
    server_pids+=("$!")
    server_port=""
    while [ -z "$server_port" ]; do
        tries=$((tries + 1))
        [ "$tries" -le 50 ] || fail "the HTTP server for $directory did not start: $(cat "$log")"
        sleep 0.1
        server_port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$log")
    done
}

# publish NAME VARS_FILE: runs publish.yml on this machine, keeps the output
# in $work/NAME.log.
role_playbook=publish.yml
publish() {
    run_role "$work/$1.log" -e "@$2"
}

# expect_changed NAME some|COUNT: the PLAY RECAP of $work/NAME.log.
expect_changed() {
    case "$2" in
        some) expect_recap "$work/$1.log" "changed>0" ;;
        *) expect_recap "$work/$1.log" "changed=$2" ;;
    esac
    echo "ok: $1 changed=$(recap "$work/$1.log" changed)"
}

sha256() {
    sha256sum "$1" | cut -d' ' -f1
}

# Every file of both roots, with content hash, mode and owner.
snapshot() {
    (cd "$work" && find tftp http cache -printf '%p %y %m %u:%g\n' | sort
        find tftp http cache -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

expect_file() {
    local path=$1 source=$2 mode_owner
    [ -f "$path" ] || fail "$path was not published"
    [ "$(sha256 "$path")" = "$(sha256 "$source")" ] || fail "$path differs from $source"
    mode_owner=$(stat -c '%a %U:%G' "$path")
    [ "$mode_owner" = "644 nobody:nogroup" ] || fail "$path is $mode_owner, not 644 nobody:nogroup"
}

expect_absent() {
    [ ! -e "$1" ] || fail "$1 should not exist"
}

manifest_files() {
    python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["files"]))' "$1"
}

mkdir -p "$work/tftp" "$work/http" "$work/src" "$work/mirror" "$work/cache"
head -c 200000 /dev/urandom >"$work/src/gxp2170fw.bin"
head -c 150000 /dev/urandom >"$work/src/grp2610fw.bin"
head -c 100000 /dev/urandom >"$work/src/new.bin"
head -c 120000 /dev/urandom >"$work/mirror/spa525g-7-6-2b.bin"
head -c 110000 /dev/urandom >"$work/mirror/KX-UT133-01.102.fw"
# Files the role did not publish: no run may touch them.
echo "not the role's" >"$work/tftp/foreign.bin"
echo "not the role's" >"$work/http/foreign.bin"

start_http_server "$work/mirror" "$work/mirror.log"
mirror_port=$server_port

gxp_sha=$(sha256 "$work/src/gxp2170fw.bin")
grp_sha=$(sha256 "$work/src/grp2610fw.bin")
new_sha=$(sha256 "$work/src/new.bin")
spa_sha=$(sha256 "$work/mirror/spa525g-7-6-2b.bin")
kx_sha=$(sha256 "$work/mirror/KX-UT133-01.102.fw")
wrong_sha=$(printf '%064d' 0)

# The four images of the first runs, as JSON list items.
image_gxp="{\"name\": \"gxp2170\", \"vendor\": \"grandstream\", \"src\": \"gxp2170fw.bin\", \"sha256\": \"$gxp_sha\",
            \"version\": \"1.0.11.16\", \"prefix\": \"fw1_\"}"
image_grp="{\"name\": \"grp2610\", \"vendor\": \"grandstream\", \"src\": \"$work/src/grp2610fw.bin\",
            \"sha256\": \"$grp_sha\", \"version\": \"1.0.5.44\", \"prefix\": \"gs_\", \"postfix\": \"_custom\"}"
image_spa="{\"name\": \"spa525g\", \"vendor\": \"cisco_spa\", \"url\": \"http://127.0.0.1:$mirror_port/spa525g-7-6-2b.bin\",
            \"sha256\": \"$spa_sha\", \"directory\": \"cisco/7.6.2b\", \"roots\": [\"http\"]}"
image_kx="{\"name\": \"kx-ut133\", \"vendor\": \"panasonic\", \"url\": \"file://$work/mirror/KX-UT133-01.102.fw\",
           \"sha256\": \"$kx_sha\", \"roots\": [\"tftp\"]}"

write_vars() {
    local file=$1 prune=$2 images=$3
    cat >"$work/$file" <<JSON
{
  "firmware_tftp_root": "$work/tftp",
  "firmware_http_root": "$work/http/",
  "firmware_src_dir": "$work/src",
  "firmware_cache_dir": "$work/cache",
  "firmware_owner": "nobody",
  "firmware_group": "nogroup",
  "firmware_prune": $prune,
  "firmware_images": [$images]
}
JSON
}

# 1. Publish, then publish again: nothing changes the second time.
write_vars all.json false "$image_gxp, $image_grp, $image_spa, $image_kx"
publish first "$work/all.json" || fail_with_log "$work/first.log" "first run failed"
expect_changed first some
publish second "$work/all.json" || fail_with_log "$work/second.log" "second run failed"
expect_changed second 0

for root in tftp http; do
    expect_file "$work/$root/fw1_gxp2170fw.bin_1.0.11.16" "$work/src/gxp2170fw.bin"
    expect_file "$work/$root/gs_grp2610fw.bin_custom" "$work/src/grp2610fw.bin"
    [ "$(cat "$work/$root/foreign.bin")" = "not the role's" ] || fail "$root/foreign.bin was changed"
done
expect_file "$work/http/cisco/7.6.2b/spa525g-7-6-2b.bin" "$work/mirror/spa525g-7-6-2b.bin"
expect_file "$work/tftp/KX-UT133-01.102.fw" "$work/mirror/KX-UT133-01.102.fw"
expect_absent "$work/tftp/cisco"
expect_absent "$work/http/KX-UT133-01.102.fw"
[ "$(stat -c '%a %U:%G' "$work/http/cisco/7.6.2b")" = "755 nobody:nogroup" ] || fail "cisco/7.6.2b has the wrong mode or owner"
[ "$(manifest_files "$work/tftp/.sipfleet-firmware.json")" = "KX-UT133-01.102.fw fw1_gxp2170fw.bin_1.0.11.16 gs_grp2610fw.bin_custom" ] \
    || fail "tftp manifest: $(manifest_files "$work/tftp/.sipfleet-firmware.json")"
[ "$(manifest_files "$work/http/.sipfleet-firmware.json")" = "cisco/7.6.2b/spa525g-7-6-2b.bin fw1_gxp2170fw.bin_1.0.11.16 gs_grp2610fw.bin_custom" ] \
    || fail "http manifest: $(manifest_files "$work/http/.sipfleet-firmware.json")"
[ -f "$work/cache/$spa_sha" ] || fail "the downloaded image is not in the cache"
echo "ok: images published under the vendors' names, 0644 nobody:nogroup, foreign files untouched"

# 2. A checksum mismatch fails before anything is published, naming the image.
before=$(snapshot)
bad_src="{\"name\": \"bad-image\", \"vendor\": \"panasonic\", \"src\": \"new.bin\", \"sha256\": \"$wrong_sha\"}"
good_new="{\"name\": \"good-new\", \"vendor\": \"panasonic\", \"src\": \"new.bin\", \"file\": \"good-new.bin\",
           \"sha256\": \"$new_sha\"}"
write_vars bad-src.json false "$good_new, $image_gxp, $image_grp, $image_spa, $image_kx, $bad_src"
if publish bad-src "$work/bad-src.json"; then fail "a wrong sha256 on a controller image was accepted"; fi
grep -q "firmware image bad-image (firmware_images\[5\]): SHA-256 of $work/src/new.bin is $new_sha, not the $wrong_sha" "$work/bad-src.log" \
    || fail_with_log "$work/bad-src.log" "the error does not name the controller image"
[ "$(snapshot)" = "$before" ] || fail "a failed run changed the roots"
echo "ok: a controller image with a wrong checksum fails, named, and nothing is published"

bad_url="{\"name\": \"bad-download\", \"vendor\": \"panasonic\", \"url\": \"http://127.0.0.1:$mirror_port/KX-UT133-01.102.fw\",
          \"file\": \"other.fw\", \"sha256\": \"$wrong_sha\"}"
write_vars bad-url.json false "$good_new, $image_gxp, $image_grp, $image_spa, $image_kx, $bad_url"
if publish bad-url "$work/bad-url.json"; then fail "a wrong sha256 on a downloaded image was accepted"; fi
grep -q "firmware image bad-download (firmware_images\[5\]): The checksum for .* did not match" "$work/bad-url.log" \
    || fail_with_log "$work/bad-url.log" "the error does not name the downloaded image"
[ "$(snapshot)" = "$before" ] || fail "a failed download changed the roots or the cache"
echo "ok: a downloaded image with a wrong checksum fails, named, and nothing is published or cached"

# 3. Images no longer listed stay without prune; prune removes only what the
# role published.
write_vars fewer.json false "$image_gxp, $image_kx"
publish fewer "$work/fewer.json" || fail_with_log "$work/fewer.log" "run without prune failed"
expect_changed fewer 0
if [ ! -f "$work/tftp/gs_grp2610fw.bin_custom" ] || [ ! -f "$work/http/cisco/7.6.2b/spa525g-7-6-2b.bin" ]; then
    fail "images were removed without firmware_prune"
fi
echo "ok: without prune, images no longer listed stay"

write_vars prune.json true "$image_gxp, $image_kx"
publish prune "$work/prune.json" || fail_with_log "$work/prune.log" "prune run failed"
expect_changed prune some
publish prune-again "$work/prune.json" || fail_with_log "$work/prune-again.log" "second prune run failed"
expect_changed prune-again 0
for root in tftp http; do
    expect_absent "$work/$root/gs_grp2610fw.bin_custom"
    expect_file "$work/$root/fw1_gxp2170fw.bin_1.0.11.16" "$work/src/gxp2170fw.bin"
    [ "$(cat "$work/$root/foreign.bin")" = "not the role's" ] || fail "prune touched $root/foreign.bin"
done
expect_absent "$work/http/cisco/7.6.2b/spa525g-7-6-2b.bin"
expect_file "$work/tftp/KX-UT133-01.102.fw" "$work/mirror/KX-UT133-01.102.fw"
expect_absent "$work/cache/$spa_sha"
[ -f "$work/cache/$kx_sha" ] || fail "prune removed a cached image still in use"
[ "$(manifest_files "$work/http/.sipfleet-firmware.json")" = "fw1_gxp2170fw.bin_1.0.11.16" ] \
    || fail "http manifest after prune: $(manifest_files "$work/http/.sipfleet-firmware.json")"
echo "ok: prune removed exactly the images the role had published and no longer lists"

# 4. The rollout filter in a playbook, and the pilot phone's firmware request
# answered from the HTTP root.
start_http_server "$work/http" "$work/http-server.log"
http_port=$server_port
role_playbook=rollout.yml run_role "$work/rollout.log" -e "firmware_base_url=http://127.0.0.1:$http_port" \
    -e "phone_url_file=$work/phone-url" || fail_with_log "$work/rollout.log" "rollout playbook failed"
phone_url=$(cat "$work/phone-url")
[ "$phone_url" = "http://127.0.0.1:$http_port/fw1_gxp2170fw.bin_1.0.11.16" ] || fail "unexpected phone URL $phone_url"
curl -fsS -o "$work/fetched.bin" "$phone_url" || fail "the phone's firmware request $phone_url failed"
[ "$(sha256 "$work/fetched.bin")" = "$gxp_sha" ] || fail "the phone would get the wrong image"
echo "ok: the rollout moved exactly the Berlin wave; the pilot phone's request $phone_url returns the image"
