# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one codec of served files: every encoding a vendor description declares, both ways.

A served file is its plaintext wrapped by an *encoding chain*: a tuple of
steps from :data:`~._vendors.description.ENCODINGS`, innermost first, as each
vendor declares it per file kind (``VendorDescription.encodings``):

``plain``
    nothing; a chain of its own (``("plain",)``), never a step among others.
``gzip``
    :func:`~._openssl_enc.gzip_compress`, reproducible (no name, zero time).
``openssl-aes-256-cbc``
    ``openssl enc -aes-256-cbc -md DIGEST -k KEY`` with the stable salt
    (:data:`~._openssl_enc.STABLE_SALT`): a rerun with the same plaintext
    and key writes the same bytes.
``base64``
    base64 exactly as ``openssl enc -a`` writes it: lines of 64
    characters, each ending in LF.
``yealink-aes-128-ecb``
    Yealink's "compatibility mode": AES-128-ECB with the file's
    16-character key (:data:`YEALINK_KEY_RE`) used as the 16 key bytes,
    the plaintext padded with spaces (0x20) to a multiple of 16 bytes, no
    IV, no header (``openssl enc -aes-128-ecb -nopad -K <hex of the 16
    characters>`` after padding). **Obfuscation, not encryption**: the key
    travels next to the file, wrapped by ``yealink-key-wrap``.
``yealink-key-wrap``
    ``<name>_Security.enc``: exactly 16 bytes, the 16 characters of a
    ``yealink-aes-128-ecb`` key encrypted with AES-128-ECB, no padding,
    under :data:`YEALINK_FIXED_KEY`, the key built into every Yealink phone,
    which is public (CVE-2024-24681). It takes no key: anyone can undo it.

:func:`encode` renders a file through its chain; :func:`decode` undoes it
for ``--diff``, by the chain the file is tagged with, never by looking at
its bytes. Every error names the chain and the step that failed.

A step that needs the device's key (:data:`KEYED_STEPS`: the openssl step,
the Yealink cipher) makes the chain one that :func:`encrypts`; only the
openssl step takes a digest.
"""

from __future__ import annotations

import base64
import binascii
import re

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError as _import_error:  # pragma: no cover - exercised only without cryptography
    _CRYPTOGRAPHY_IMPORT_ERROR = _import_error
else:
    _CRYPTOGRAPHY_IMPORT_ERROR = None

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._openssl_enc import (
    DIGESTS,
    STABLE_SALT,
    decrypt,
    encrypt,
    gunzip,
    gzip_compress,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import ENCODINGS

PLAIN, GZIP, OPENSSL, BASE64 = "plain", "gzip", "openssl-aes-256-cbc", "base64"
YEALINK_AES, YEALINK_KEY_WRAP = "yealink-aes-128-ecb", "yealink-key-wrap"

#: The steps that need the device's key.
KEYED_STEPS = (OPENSSL, YEALINK_AES)

#: The key Yealink's encryption tools and every Yealink phone wrap a file's
#: 16-character key with (``<name>_Security.enc``). Public since
#: CVE-2024-24681 ("a single hardcoded key ... across customers'
#: installations"; gitaware/yealink-encryption, traviscross/yealink-confenc):
#: a file and its ``_Security.enc`` together are readable by anyone.
YEALINK_FIXED_KEY = b"EKs35XacP6eybA25"

# The characters Yealink's guides allow in an AES key: 0-9 A-Z a-z # $ % * + , - . : = ? @ [ ] ^ _ { } ~.
_YEALINK_KEY_CHAR = r"[0-9A-Za-z#$%*+,\-.:=?@\[\]^_{}~]"
#: A compatibility-mode key: 16 of those characters, used as the 16 bytes of an AES-128 key.
YEALINK_KEY_RE = re.compile(r"\A%s{16}\Z" % _YEALINK_KEY_CHAR)
_YEALINK_KEY_CHAR_RE = re.compile(_YEALINK_KEY_CHAR)

#: What pads a compatibility-mode plaintext to the AES block size: spaces,
#: as in the one real sample found (traviscross/yealink-confenc
#: test/test.cfg); whether the phones also accept PKCS#7 is not known.
YEALINK_PAD = b" "
_AES_BLOCK = 16

#: ``openssl enc -a`` writes base64 in lines of this many characters, each ending in LF.
BASE64_LINE_CHARS = 64

# What "openssl enc -d -a" reads: base64 characters in lines (LF or CRLF).
_ARMOUR_RE = re.compile(rb"\A[A-Za-z0-9+/=\r\n]*\Z")


def chain_problem(chain, digest=None):
    """What is wrong with ``chain`` (and the ``digest`` its openssl step uses), or ``None``.

    A chain is a non-empty tuple or list of known steps, each at most once;
    ``plain`` stands alone; the openssl step needs one of
    :data:`~._openssl_enc.DIGESTS` and a chain without it takes none.
    """
    if not isinstance(chain, (tuple, list)) or not chain:
        return "an encoding chain is a non-empty list of steps, got %r" % (chain,)
    unknown = [step for step in chain if step not in ENCODINGS]
    if unknown:
        return "unknown encoding step %r (known: %s)" % (unknown[0], ", ".join(ENCODINGS))
    if len(set(chain)) != len(chain):
        return "encoding chain %s repeats a step" % describe(chain)
    if PLAIN in chain and len(chain) > 1:
        return "encoding chain %s: plain stands alone" % describe(chain)
    if OPENSSL in chain:
        if digest not in DIGESTS:
            return "encoding chain %s needs a digest, one of %s, got %r" % (describe(chain), ", ".join(DIGESTS), digest)
    elif digest is not None:
        return "encoding chain %s encrypts nothing, so it takes no digest (got %r)" % (describe(chain), digest)
    return None


def describe(chain):
    """``chain`` as people read it: ``gzip+openssl-aes-256-cbc``."""
    return "+".join(str(step) for step in chain) if isinstance(chain, (tuple, list)) else repr(chain)


def encrypts(chain):
    """Whether ``chain`` has a step that needs the device's key (:data:`KEYED_STEPS`; the openssl one also a digest)."""
    return any(step in KEYED_STEPS for step in chain)


def _check(chain, key, digest):
    problem = chain_problem(chain, digest if OPENSSL in (chain or ()) else None)
    if problem is None and encrypts(chain) and not key:
        problem = "encoding chain %s needs a key" % describe(chain)
    if problem is not None:
        raise CryptoError(problem)


def yealink_key_problem(key):
    """What is wrong with ``key`` as a compatibility-mode key, or ``None``; never quotes the key."""
    if not isinstance(key, str):
        return "a Yealink compatibility-mode key must be a string, not %s" % type(key).__name__
    if len(key) != 16:
        return "a Yealink compatibility-mode key has 16 characters, this one has %d" % len(key)
    if not YEALINK_KEY_RE.match(key):
        return ("a Yealink compatibility-mode key holds only 0-9, A-Z, a-z and # $ %% * + , - . : = ? @ [ ] ^ _ { } ~, "
                "this one has %d other character(s)" % sum(1 for char in key if not _YEALINK_KEY_CHAR_RE.match(char)))
    return None


def _aes_ecb(key, data, encrypt):
    """AES-128-ECB of ``data`` (a multiple of 16 bytes) under the 16 bytes ``key``, no padding."""
    if _CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise CryptoError("the Python package 'cryptography' is required for Yealink compatibility-mode files but cannot be "
                          "imported: %s" % _CRYPTOGRAPHY_IMPORT_ERROR)
    if not data or len(data) % _AES_BLOCK:
        raise CryptoError("the data is %d bytes, not a positive multiple of %d" % (len(data), _AES_BLOCK))
    # ECB is what the phones read: each 16-byte block on its own, no IV.
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    worker = cipher.encryptor() if encrypt else cipher.decryptor()
    return worker.update(data) + worker.finalize()


def _yealink_key_bytes(key):
    problem = yealink_key_problem(key)
    if problem is not None:
        raise CryptoError(problem)
    return key.encode("ascii")


def yealink_encrypt(data, key):
    """``data`` padded with spaces to a multiple of 16 bytes, then AES-128-ECB under the 16 characters of ``key``.

    A plaintext that is empty or ends in a space is refused: its padding
    could not be told from it, so :func:`yealink_decrypt` would not give it
    back.
    """
    key_bytes = _yealink_key_bytes(key)
    if not data or data.endswith(YEALINK_PAD):
        raise CryptoError("a compatibility-mode plaintext must be non-empty and not end in a space (the padding)")
    return _aes_ecb(key_bytes, data + YEALINK_PAD * (-len(data) % _AES_BLOCK), encrypt=True)


def yealink_decrypt(data, key):
    """The plaintext of :func:`yealink_encrypt`: AES-128-ECB undone, the spaces that pad the last block removed.

    ECB has no integrity check: a wrong key gives garbage, not an error, so
    callers that expect text check the plaintext.
    """
    plain = _aes_ecb(_yealink_key_bytes(key), data, encrypt=False)
    last = plain[-_AES_BLOCK:]
    if not last.strip(YEALINK_PAD):
        # A whole block of spaces is no padding (it is shorter than a block): not a file the encoder writes.
        return plain
    return plain[:-_AES_BLOCK] + last.rstrip(YEALINK_PAD)


def yealink_wrap_key(key):
    """``<name>_Security.enc``: the 16 characters of ``key`` under :data:`YEALINK_FIXED_KEY`, 16 bytes."""
    return _aes_ecb(YEALINK_FIXED_KEY, _yealink_key_bytes(key), encrypt=True)


def yealink_unwrap_key(data):
    """The 16-character key a ``<name>_Security.enc`` holds; anything else raises :class:`CryptoError`."""
    if len(data) != _AES_BLOCK:
        raise CryptoError("a _Security.enc file is exactly %d bytes, this one has %d" % (_AES_BLOCK, len(data)))
    key = _aes_ecb(YEALINK_FIXED_KEY, data, encrypt=False)
    text = key.decode("latin-1")
    if yealink_key_problem(text) is not None:
        raise CryptoError("the 16 bytes are not a compatibility-mode key wrapped with Yealink's fixed key")
    return text


def armour(data):
    """Base64 exactly as ``openssl enc -a`` writes it: 64-character lines, each ending in LF."""
    text = base64.b64encode(data)
    return b"".join(text[start:start + BASE64_LINE_CHARS] + b"\n" for start in range(0, len(text), BASE64_LINE_CHARS))


def unarmour(data):
    """The bytes of an ``openssl enc -a`` text; anything but base64 in lines raises :class:`CryptoError`."""
    if not _ARMOUR_RE.match(data):
        raise CryptoError("the data is not base64 text (it holds characters base64 lines cannot)")
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("the data is not valid base64 (%s)" % exc)


def _encode_step(step, data, key, digest):
    if step == GZIP:
        return gzip_compress(data)
    if step == OPENSSL:
        return encrypt(data, password=key, digest=digest, salt=STABLE_SALT)
    if step == BASE64:
        return armour(data)
    if step == YEALINK_AES:
        return yealink_encrypt(data, key)
    if step == YEALINK_KEY_WRAP:
        return yealink_wrap_key(data.decode("ascii", "replace"))
    return data


def _decode_step(step, data, key, digest):
    if step == GZIP:
        return gunzip(data)
    if step == OPENSSL:
        return decrypt(data, password=key, digest=digest)
    if step == BASE64:
        return unarmour(data)
    if step == YEALINK_AES:
        return yealink_decrypt(data, key)
    if step == YEALINK_KEY_WRAP:
        return yealink_unwrap_key(data).encode("ascii")
    return data


def encode(chain, data, key=None, digest=None):
    """``data`` (bytes) wrapped by each step of ``chain``, innermost first.

    ``key`` (the openssl password or the Yealink key, the device key as
    written in the key store) is needed by, and only by, a chain that
    encrypts; ``digest`` by, and only by, one with the openssl step.
    """
    _check(chain, key, digest)
    if not isinstance(data, bytes):
        raise CryptoError("%s: the data to encode must be bytes, not %s" % (describe(chain), type(data).__name__))
    for step in chain:
        try:
            data = _encode_step(step, data, key, digest)
        except CryptoError as exc:
            raise CryptoError("encoding %s: step %s failed: %s" % (describe(chain), step, exc.message))
    return data


def decode(chain, data, key=None, digest=None):
    """The plaintext of ``data`` encoded by ``chain``: its steps undone, outermost first.

    Raises :class:`CryptoError` naming the chain and the step that failed
    (not base64, a wrong key or digest, a broken gzip stream). AES-CBC has no
    MAC: a wrong key passes the padding check about once in 256; Yealink's
    AES-ECB has no check at all; so callers that expect text check the
    plaintext too.
    """
    _check(chain, key, digest)
    if not isinstance(data, bytes):
        raise CryptoError("%s: the data to decode must be bytes, not %s" % (describe(chain), type(data).__name__))
    for step in reversed(chain):
        try:
            data = _decode_step(step, data, key, digest)
        except CryptoError as exc:
            raise CryptoError("decoding %s: step %s failed: %s" % (describe(chain), step, exc.message))
    return data
