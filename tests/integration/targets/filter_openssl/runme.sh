#!/usr/bin/env bash
# The filters as users call them, decrypted by the real openssl CLI.
set -eu

# The ad-hoc command from the README: its output, base64-decoded, must decrypt
# with openssl enc -d -aes-256-cbc -md md5 -k pw.
ansible localhost -o -m ansible.builtin.debug -a "msg={{ 'x' | sipfleet.provisioning.openssl_encrypt('pw') }}" >adhoc.out
# One line: "localhost | SUCCESS => {...json...}"
python -c 'import json, sys; print(json.loads(sys.stdin.read().split(" => ", 1)[1])["msg"])' <adhoc.out >adhoc.b64
plaintext=$(base64 -d adhoc.b64 | openssl enc -d -aes-256-cbc -md md5 -k pw 2>/dev/null)
if [ "$plaintext" != x ]; then
    echo "ad-hoc openssl_encrypt output did not decrypt to 'x' (got '$plaintext')" >&2
    exit 1
fi
rm -f adhoc.out adhoc.b64
echo "ad-hoc openssl_encrypt output decrypted with openssl enc -d -md md5 -k pw"

ansible-playbook playbook.yml -i "$INVENTORY_PATH" "$@"
