# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The real ``openssl`` command line, the reference the crypto core must match."""

from __future__ import annotations

import shutil
import subprocess

OPENSSL = shutil.which("openssl")


def _run(args, data):
    if OPENSSL is None:
        raise AssertionError("the openssl command is required by these tests (install the openssl package)")
    result = subprocess.run([OPENSSL] + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return result


def _kdf_args(password=None, digest=None, pbkdf2_iterations=None, key=None, iv=None):
    if key is not None:
        return ["-K", key, "-iv", iv]
    args = ["-md", digest, "-pass", "pass:" + password]
    if pbkdf2_iterations is not None:
        args += ["-pbkdf2", "-iter", str(pbkdf2_iterations)]
    return args


def enc(plaintext, base64_armor=False, **kdf):
    """``openssl enc -e -aes-256-cbc``; returns the file's bytes."""
    args = ["enc", "-e", "-aes-256-cbc"] + _kdf_args(**kdf) + (["-a"] if base64_armor else [])
    result = _run(args, plaintext)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def dec(ciphertext, base64_armor=False, **kdf):
    """``openssl enc -d -aes-256-cbc``; returns ``(returncode, plaintext, stderr)``."""
    args = ["enc", "-d", "-aes-256-cbc"] + _kdf_args(**kdf) + (["-a"] if base64_armor else [])
    result = _run(args, ciphertext)
    return result.returncode, result.stdout, result.stderr.decode()


def print_key_iv(salt_hex, **kdf):
    """``openssl enc -P -S SALT``: the key and IV OpenSSL derives, as upper-case hex."""
    args = ["enc", "-e", "-aes-256-cbc", "-P", "-S", salt_hex] + _kdf_args(**kdf)
    result = _run(args, b"")
    assert result.returncode == 0, result.stderr.decode()
    # Lines look like "key=ABCD..." and "iv =ABCD..." (OpenSSL pads the name).
    values = {}
    for line in result.stdout.decode().splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = value.strip()
    return values["key"], values["iv"]
