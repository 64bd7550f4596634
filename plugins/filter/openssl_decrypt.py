# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: openssl_decrypt
short_description: Decrypt data written by C(openssl enc -aes-256-cbc)
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - The inverse of P(sipfleet.provisioning.openssl_encrypt#filter) and of C(openssl enc -e -aes-256-cbc);
    it takes the encrypted file base64-encoded and returns the plaintext.
  - A wrong password, key or digest, a truncated or corrupt file, or input that is not base64 fails with an error
    that says so; it never returns garbage. AES-CBC carries no MAC, so the check is the PKCS#7 padding (which
    catches about 255 of 256 wrong passwords) followed, for O(output=text), by strict UTF-8 decoding and, with
    O(gunzip), by the gzip CRC, which catch the rest in practice.
requirements:
  - cryptography (Python library) on the controller; ansible-core requires it, so it is there
options:
  _input:
    description:
      - The encrypted file, base64-encoded, in one line or wrapped as C(openssl enc -a) writes it.
    type: string
    required: true
  password:
    description:
      - The password, as given to C(openssl enc -k). Mutually exclusive with O(key) and O(iv).
    type: string
  digest:
    description:
      - The digest of the key derivation, as C(openssl enc -md). Must be the one the file was encrypted with; see
        P(sipfleet.provisioning.openssl_encrypt#filter) for why the default is V(md5).
      - Ignored in raw-key mode.
    type: string
    choices: [md5, sha256]
    default: md5
  pbkdf2_iterations:
    description:
      - The PBKDF2 iteration count the file was encrypted with (C(openssl enc -pbkdf2 -iter N)). Unset for
        C(EVP_BytesToKey).
    type: int
  key:
    description:
      - Raw 256-bit key as 64 hex digits, like C(openssl enc -K). Requires O(iv).
    type: string
  iv:
    description:
      - Raw IV as 32 hex digits, like C(openssl enc -iv). Required with O(key).
    type: string
  gunzip:
    description:
      - Decompress the plaintext with gzip after decrypting it (for profiles that were gzipped before encryption).
    type: bool
    default: false
  output:
    description:
      - V(text) returns the plaintext as a string and fails if it is not UTF-8.
      - V(base64) returns the plaintext bytes base64-encoded, for binary content.
    type: string
    choices: [text, base64]
    default: text
notes:
  - The plaintext of a profile contains SIP passwords; use C(no_log) on tasks that display or register it.
seealso:
  - plugin: sipfleet.provisioning.openssl_encrypt
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read back an encrypted Grandstream profile
  ansible.builtin.set_fact:
    profile_xml: "{{ lookup('ansible.builtin.file', 'cfg000b82123456.xml.b64') | sipfleet.provisioning.openssl_decrypt(p1359_password) }}"
  no_log: true

- name: Decrypt and gunzip a Cisco MPP profile (firmware 11.3(1) or later uses SHA-256)
  ansible.builtin.set_fact:
    flat_profile: "{{ encrypted_b64 | sipfleet.provisioning.openssl_decrypt(gpp_a_key, digest='sha256', gunzip=true) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description:
    - The plaintext, as text or base64-encoded bytes according to O(output).
  type: string
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _openssl_enc
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import decode_base64, encode_base64, filter_errors

PLAINTEXT_OUTPUTS = ("text", "base64")


@filter_errors
def openssl_decrypt(data, password=None, digest="md5", pbkdf2_iterations=None, key=None, iv=None,
                    gunzip=False, output="text"):
    """Decrypt an ``openssl enc -aes-256-cbc`` file given as base64; see DOCUMENTATION."""
    if output not in PLAINTEXT_OUTPUTS:
        raise CryptoError("output must be one of %s, got %r" % (", ".join(PLAINTEXT_OUTPUTS), output))
    raw_key_mode = key is not None or iv is not None
    plaintext = _openssl_enc.decrypt(
        decode_base64(data),
        password=password,
        digest=None if raw_key_mode else digest,
        pbkdf2_iterations=pbkdf2_iterations,
        key=key,
        iv=iv,
    )
    if gunzip:
        plaintext = _openssl_enc.gunzip(plaintext)
    if output == "base64":
        return encode_base64(plaintext, "base64")
    return _openssl_enc.plaintext_as_text(plaintext)


class FilterModule:
    """OpenSSL-compatible decryption filter."""

    def filters(self):
        return {"openssl_decrypt": openssl_decrypt}
