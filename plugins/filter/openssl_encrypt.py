# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: openssl_encrypt
short_description: Encrypt data exactly like C(openssl enc -aes-256-cbc)
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Encrypts a string with AES-256-CBC and returns the bytes C(openssl enc -aes-256-cbc) would write, base64-encoded.
  - In password mode the result is C(Salted__), 8 salt bytes and the ciphertext, with key and IV derived from the
    password by OpenSSL's C(EVP_BytesToKey) (one iteration of O(digest)) or, with O(pbkdf2_iterations), by
    PBKDF2-HMAC. It decrypts with C(openssl enc -d -aes-256-cbc -md DIGEST -k PASSWORD) (add
    C(-pbkdf2 -iter N) for PBKDF2).
  - In raw-key mode (O(key) and O(iv), like C(openssl enc -K KEY -iv IV)) there is no header and no salt.
  - This is the encryption Grandstream (P1359), Cisco SPA and MPP (C(Profile_Rule --key)) and Panasonic
    (C(CFG_FILE_KEY)) phones decrypt.
requirements:
  - cryptography (Python library) on the controller; ansible-core requires it, so it is there
options:
  _input:
    description:
      - The plaintext. Text is encoded as UTF-8 before it is encrypted.
    type: string
    required: true
  password:
    description:
      - The password, as given to C(openssl enc -k). Mutually exclusive with O(key) and O(iv).
    type: string
  digest:
    description:
      - The digest of the key derivation, as C(openssl enc -md).
      - The default is V(md5) because phones whose firmware was built against OpenSSL before 1.1.0 (Grandstream,
        Cisco SPA, older Cisco MPP) derive keys with MD5. OpenSSL 1.1.0 and later default to SHA-256 instead, so
        always name the digest when you decrypt with the C(openssl) CLI; Cisco MPP firmware 11.3(1) and later
        expects V(sha256).
      - Ignored in raw-key mode.
    type: string
    choices: [md5, sha256]
    default: md5
  pbkdf2_iterations:
    description:
      - Derive key and IV with PBKDF2-HMAC over O(digest) with this many iterations, as
        C(openssl enc -pbkdf2 -iter N). OpenSSL's own default count is 10000.
      - The file does not record the iteration count; the reader must know it. No phone vendor documents
        PBKDF2 support, so leave this unset for profiles.
    type: int
  salt:
    description:
      - Unset for a fresh random salt on every call, as C(openssl enc) does.
      - V(stable) derives the salt from the password, the key-derivation options and the plaintext (HMAC-SHA256
        keyed with the password), so the same plaintext and password always give the same bytes. Deployments need
        this to write nothing on a rerun with no change. What it reveals to someone who can read the files but does
        not know the password is whether two files encrypted with the same password have the same plaintext, for
        example that a profile did not change between two deployments; nothing else about the content.
      - 16 hex digits use that salt as given (tests and interoperability only; never reuse a fixed salt for different
        plaintexts).
    type: string
  key:
    description:
      - Raw 256-bit key as 64 hex digits, like C(openssl enc -K). Requires O(iv). Mutually exclusive with O(password).
    type: string
  iv:
    description:
      - Raw IV as 32 hex digits, like C(openssl enc -iv). Required with O(key).
    type: string
  gzip:
    description:
      - Compress the plaintext with gzip before encrypting it, as Cisco SPA and MPP accept. The gzip header carries
        no timestamp or file name, so the output is reproducible.
    type: bool
    default: false
  output:
    description:
      - V(base64) returns the file as one line of base64, to be decoded with P(ansible.builtin.b64decode#filter)
        or written by a module that takes binary content.
      - V(openssl-base64) returns base64 wrapped at 64 characters with a final newline, exactly what
        C(openssl enc -a) writes (the form Panasonic's guide uses); it can be written with
        P(ansible.builtin.copy#module) C(content) and decrypted with C(openssl enc -d -a).
    type: string
    choices: [base64, openssl-base64]
    default: base64
notes:
  - AES-CBC as used by C(openssl enc) has no integrity protection; anyone who can change a file in transit can
    corrupt it undetected. Serve encrypted profiles over HTTPS where the phones support it.
seealso:
  - plugin: sipfleet.provisioning.openssl_decrypt
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Encrypt a Grandstream profile with its P1359 password (MD5 key derivation)
  ansible.builtin.set_fact:
    profile_b64: "{{ profile_xml | sipfleet.provisioning.openssl_encrypt(p1359_password, digest='md5', salt='stable') }}"

- name: Write a Panasonic encrypted file in the openssl -a format
  ansible.builtin.copy:
    dest: /srv/tftp/Config0080F0C8C381.cfg
    content: "{{ panasonic_config | sipfleet.provisioning.openssl_encrypt(cfg_file_key, output='openssl-base64', salt='stable') }}"
    mode: "0640"

- name: gzip then encrypt a Cisco MPP profile for firmware 11.3(1) or later
  ansible.builtin.set_fact:
    mpp_profile_b64: "{{ flat_profile | sipfleet.provisioning.openssl_encrypt(gpp_a_key, digest='sha256', gzip=true, salt='stable') }}"

- name: Raw key and IV, like openssl enc -K ... -iv ...
  ansible.builtin.debug:
    msg: "{{ 'secret' | sipfleet.provisioning.openssl_encrypt(key='00' * 32, iv='11' * 16) }}"
"""

RETURN = r"""
_value:
  description:
    - The encrypted file, base64-encoded (one line, or wrapped at 64 characters for O(output=openssl-base64)).
  type: string
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _openssl_enc
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import encode_base64, filter_errors


@filter_errors
def openssl_encrypt(data, password=None, digest="md5", pbkdf2_iterations=None, salt=None, key=None, iv=None,
                    gzip=False, output="base64"):
    """Encrypt ``data`` as ``openssl enc -aes-256-cbc`` does; see DOCUMENTATION."""
    if not isinstance(data, (str, bytes)):
        raise CryptoError("input must be a string, not %s" % type(data).__name__)
    plaintext = _openssl_enc.gzip_compress(data) if gzip else data
    raw_key_mode = key is not None or iv is not None
    encrypted = _openssl_enc.encrypt(
        plaintext,
        password=password,
        digest=None if raw_key_mode else digest,
        pbkdf2_iterations=pbkdf2_iterations,
        salt=salt,
        key=key,
        iv=iv,
    )
    return encode_base64(encrypted, output)


class FilterModule:
    """OpenSSL-compatible encryption filter."""

    def filters(self):
        return {"openssl_encrypt": openssl_encrypt}
