# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Byte-compatible ``openssl enc -aes-256-cbc`` encryption and decryption.

Phones decrypt their profiles with OpenSSL's ``enc`` format, so the files this
collection writes must be exactly what ``openssl enc -aes-256-cbc`` writes:

* password mode: ``Salted__`` + 8 salt bytes + AES-256-CBC ciphertext with
  PKCS#7 padding; key and IV come from ``EVP_BytesToKey`` (one iteration of
  the named digest) or, with ``pbkdf2_iterations``, from PBKDF2-HMAC;
* raw-key mode (``openssl enc -K KEY -iv IV``): no header, just the
  ciphertext.

The digest is never defaulted here. OpenSSL changed its own default from MD5
to SHA-256 in 1.1.0, and phone firmware built against either exists, so every
caller names the digest its phones use.

Pure Python on top of ``cryptography``; no Ansible imports, so it can run in
modules, filters and unit tests alike.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import os
import struct
import zlib

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError

try:
    from cryptography.hazmat.primitives import padding as _padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError as _import_error:  # pragma: no cover - exercised only without cryptography
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = _import_error
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None


SALT_MAGIC = b"Salted__"
SALT_LENGTH = 8
KEY_LENGTH = 32
IV_LENGTH = 16
BLOCK_SIZE = 16

#: Digests ``openssl enc -md`` accepts that phone firmware is known to use.
DIGESTS = ("md5", "sha256")

#: ``salt`` value that derives the salt from password, options and plaintext.
STABLE_SALT = "stable"

_STABLE_SALT_CONTEXT = b"sipfleet.provisioning openssl_enc stable salt v1"


def _require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise CryptoError(
            "the Python package 'cryptography' is required for profile encryption "
            "but cannot be imported: %s" % CRYPTOGRAPHY_IMPORT_ERROR
        )


def _to_bytes(value, what):
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise CryptoError("%s must be a string or bytes, not %s" % (what, type(value).__name__))


def _check_digest(digest):
    if digest not in DIGESTS:
        raise CryptoError(
            "digest must be one of %s (name the one your phones' firmware uses), got %r"
            % (", ".join(DIGESTS), digest)
        )


def _check_iterations(pbkdf2_iterations):
    if pbkdf2_iterations is None:
        return
    # bool is an int subclass; True would silently mean one iteration.
    if isinstance(pbkdf2_iterations, bool) or not isinstance(pbkdf2_iterations, int) or pbkdf2_iterations < 1:
        raise CryptoError("pbkdf2_iterations must be a positive integer, got %r" % (pbkdf2_iterations,))


def _password_bytes(password):
    password = _to_bytes(password, "password")
    if not password:
        raise CryptoError("password must not be empty")
    return password


def evp_bytes_to_key(password, salt, digest):
    """OpenSSL's ``EVP_BytesToKey`` with one iteration: returns ``(key, iv)``.

    ``D1 = H(password + salt)``, ``Di = H(D(i-1) + password + salt)``, until
    48 bytes; key is bytes 0-31, IV bytes 32-47.
    """
    _check_digest(digest)
    material = b""
    block = b""
    while len(material) < KEY_LENGTH + IV_LENGTH:
        block = hashlib.new(digest, block + password + salt).digest()
        material += block
    return material[:KEY_LENGTH], material[KEY_LENGTH:KEY_LENGTH + IV_LENGTH]


def derive_key_iv(password, salt, digest, pbkdf2_iterations=None):
    """Key and IV exactly as ``openssl enc -md DIGEST [-pbkdf2 -iter N]`` derives them."""
    _check_digest(digest)
    _check_iterations(pbkdf2_iterations)
    password = _password_bytes(password)
    if pbkdf2_iterations is None:
        return evp_bytes_to_key(password, salt, digest)
    material = hashlib.pbkdf2_hmac(digest, password, salt, pbkdf2_iterations, KEY_LENGTH + IV_LENGTH)
    return material[:KEY_LENGTH], material[KEY_LENGTH:]


def stable_salt(password, plaintext, digest, pbkdf2_iterations=None):
    """A salt that depends only on password, key-derivation options and plaintext.

    HMAC-SHA256 keyed with the password, so the salt says nothing about the
    plaintext to anyone without the password. What it does reveal: two files
    encrypted with the same password are byte-identical exactly when their
    plaintexts are, so an observer can tell whether a profile changed between
    two deployments. It is what makes a rerun with no inventory change write
    nothing. Different plaintexts get different salts, hence different key/IV
    pairs, so CBC never reuses an IV under one key.
    """
    message = b"\0".join((
        _STABLE_SALT_CONTEXT,
        digest.encode("ascii"),
        str(pbkdf2_iterations or 0).encode("ascii"),
        plaintext,
    ))
    return hmac.new(_password_bytes(password), message, hashlib.sha256).digest()[:SALT_LENGTH]


def _aes_cbc(key, iv, data, encrypt):
    _require_cryptography()
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    if encrypt:
        padder = _padding.PKCS7(BLOCK_SIZE * 8).padder()
        padded = padder.update(data) + padder.finalize()
        encryptor = cipher.encryptor()
        return encryptor.update(padded) + encryptor.finalize()
    if not data or len(data) % BLOCK_SIZE:
        raise CryptoError(
            "corrupt input: the ciphertext is %d bytes, not a positive multiple of %d" % (len(data), BLOCK_SIZE)
        )
    decryptor = cipher.decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = _padding.PKCS7(BLOCK_SIZE * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        # The same words as "openssl enc -d": the padding check is the only
        # integrity check the format has.
        raise CryptoError("bad decrypt: wrong password, key or digest, or corrupt input")


def _raw_key_iv(key, iv):
    key = _hex_or_bytes(key, KEY_LENGTH, "key")
    if iv is None:
        raise CryptoError("iv is required with key (like openssl enc -K ... -iv ...)")
    iv = _hex_or_bytes(iv, IV_LENGTH, "iv")
    return key, iv


def _hex_or_bytes(value, length, what):
    """Accept raw bytes of ``length`` or ``2 * length`` hex digits."""
    if isinstance(value, (bytes, bytearray)) and len(value) == length:
        return bytes(value)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("ascii", "replace")
    if not isinstance(value, str):
        raise CryptoError("%s must be %d hex digits, not %s" % (what, 2 * length, type(value).__name__))
    text = value.strip()
    if len(text) != 2 * length:
        raise CryptoError("%s must be %d hex digits (%d bytes), got %d characters" % (what, 2 * length, length, len(text)))
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise CryptoError("%s must be %d hex digits, got a value with non-hex characters" % (what, 2 * length))


def _check_mode(password, key, iv, salt, pbkdf2_iterations):
    """Return True for password mode, False for raw-key mode; reject mixed options."""
    if key is not None or iv is not None:
        if password is not None:
            raise CryptoError("give either password or key/iv, not both")
        if salt is not None:
            raise CryptoError("salt applies to password mode only; raw-key mode has no salt")
        if pbkdf2_iterations is not None:
            raise CryptoError("pbkdf2_iterations applies to password mode only; raw-key mode derives nothing")
        return False
    if password is None:
        raise CryptoError("a password, or a key and iv, is required")
    return True


def encrypt(plaintext, password=None, digest=None, pbkdf2_iterations=None, salt=None, key=None, iv=None):
    """Encrypt ``plaintext`` like ``openssl enc -aes-256-cbc``; returns the file's bytes.

    Password mode (``password`` and ``digest``): ``salt`` is ``None`` for a
    random salt, ``STABLE_SALT`` for one derived by :func:`stable_salt`, or 8
    bytes (or 16 hex digits) to use as given. Raw-key mode (``key``, ``iv``):
    32-byte key and 16-byte IV, as bytes or hex; no header is written.
    """
    plaintext = _to_bytes(plaintext, "plaintext")
    if not _check_mode(password, key, iv, salt, pbkdf2_iterations):
        raw_key, raw_iv = _raw_key_iv(key, iv)
        return _aes_cbc(raw_key, raw_iv, plaintext, encrypt=True)

    _check_digest(digest)
    _check_iterations(pbkdf2_iterations)
    if salt is None:
        salt_bytes = os.urandom(SALT_LENGTH)
    elif salt == STABLE_SALT:
        salt_bytes = stable_salt(password, plaintext, digest, pbkdf2_iterations)
    else:
        salt_bytes = _hex_or_bytes(salt, SALT_LENGTH, "salt")
    derived_key, derived_iv = derive_key_iv(password, salt_bytes, digest, pbkdf2_iterations)
    return SALT_MAGIC + salt_bytes + _aes_cbc(derived_key, derived_iv, plaintext, encrypt=True)


def decrypt(data, password=None, digest=None, pbkdf2_iterations=None, key=None, iv=None):
    """Decrypt a file written by ``openssl enc -aes-256-cbc`` (or :func:`encrypt`).

    Raises :class:`CryptoError` for a missing header, a truncated file or bad
    padding. AES-CBC carries no MAC, so a wrong password is detected by the
    PKCS#7 padding check, which lets about one wrong password in 256 through
    as garbage; callers that know the plaintext's shape (text, gzip, XML)
    check it too, as :func:`plaintext_as_text` and :func:`gunzip` do.
    """
    data = _to_bytes(data, "ciphertext")
    if not _check_mode(password, key, iv, None, pbkdf2_iterations):
        raw_key, raw_iv = _raw_key_iv(key, iv)
        return _aes_cbc(raw_key, raw_iv, data, encrypt=False)

    _check_digest(digest)
    _check_iterations(pbkdf2_iterations)
    header_length = len(SALT_MAGIC) + SALT_LENGTH
    if not data.startswith(SALT_MAGIC):
        raise CryptoError("input is not an OpenSSL salted file: it does not start with 'Salted__'")
    if len(data) < header_length:
        raise CryptoError("corrupt input: the file ends inside its 16-byte 'Salted__' header")
    salt_bytes = data[len(SALT_MAGIC):header_length]
    derived_key, derived_iv = derive_key_iv(password, salt_bytes, digest, pbkdf2_iterations)
    return _aes_cbc(derived_key, derived_iv, data[header_length:], encrypt=False)


def plaintext_as_text(plaintext):
    """Decode decrypted bytes as strict UTF-8, or raise :class:`CryptoError`.

    A wrong password that slips past the padding check almost never yields
    valid UTF-8, so for text content this turns that rare case into an error
    too.
    """
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise CryptoError(
            "bad decrypt: the plaintext is not UTF-8 text (wrong password, key or digest, corrupt input, "
            "or binary content)"
        )


# gzip header (RFC 1952): magic, deflate, no flags, mtime 0, XFL 2 (maximum
# compression), OS 255 (unknown). Written by hand because Python's gzip
# module writes OS 3 before 3.12 and 255 after, which would change every
# compressed profile's bytes when the controller's Python changes.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def gzip_compress(data):
    """gzip ``data`` reproducibly: no file name, a zero timestamp, a fixed OS byte.

    A timestamp in the header would change the bytes on every run and defeat
    idempotent deployment.
    """
    data = _to_bytes(data, "data")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(data) + compressor.flush()
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return _GZIP_HEADER + body + trailer


def gunzip(data):
    """Inverse of :func:`gzip_compress`; a broken stream raises :class:`CryptoError`."""
    try:
        return gzip.decompress(_to_bytes(data, "data"))
    except (OSError, EOFError, zlib.error) as exc:
        raise CryptoError("the data is not a valid gzip stream (%s)" % exc)
