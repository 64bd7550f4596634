#!/usr/bin/env bash
# phone_certificates.sh DIR MAC PRODUCT SERIAL
# Play a phone maker: a CA (DIR/maker-ca.pem) and a device certificate it
# signs (DIR/phone.pem, DIR/phone.key) with the subject Cisco documents for
# its phones: OU=<product>, L=<serial>, S=<mac> (S is stateOrProvinceName,
# ST in OpenSSL's output). The http_server role binds device files to the MAC
# in that subject.
set -euo pipefail
dir=$1 mac=$2 product=$3 serial=$4
mkdir -p "$dir"
chmod 700 "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=Lab phone maker/CN=Lab phone maker CA" \
    -keyout "$dir/maker-ca.key" -out "$dir/maker-ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/OU=$product/L=$serial/ST=$mac" \
    -keyout "$dir/phone.key" -out "$dir/phone.csr" 2>/dev/null
openssl x509 -req -in "$dir/phone.csr" -CA "$dir/maker-ca.pem" -CAkey "$dir/maker-ca.key" -CAcreateserial \
    -days 30 -out "$dir/phone.pem" 2>/dev/null
rm -f "$dir/phone.csr" "$dir/maker-ca.srl"
printf '%s\n' "$dir/phone.pem"
