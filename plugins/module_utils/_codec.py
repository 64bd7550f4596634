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

:func:`encode` renders a file through its chain; :func:`decode` undoes it
for ``--diff``, by the chain the file is tagged with, never by looking at
its bytes. Every error names the chain and the step that failed.
"""

from __future__ import annotations

import base64
import binascii
import re

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
    """Whether ``chain`` has an openssl step (then it needs a key and a digest)."""
    return OPENSSL in chain


def _check(chain, key, digest):
    problem = chain_problem(chain, digest if OPENSSL in (chain or ()) else None)
    if problem is None and OPENSSL in chain and not key:
        problem = "encoding chain %s needs a key" % describe(chain)
    if problem is not None:
        raise CryptoError(problem)


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
    return data


def _decode_step(step, data, key, digest):
    if step == GZIP:
        return gunzip(data)
    if step == OPENSSL:
        return decrypt(data, password=key, digest=digest)
    if step == BASE64:
        return unarmour(data)
    return data


def encode(chain, data, key=None, digest=None):
    """``data`` (bytes) wrapped by each step of ``chain``, innermost first.

    ``key`` (the openssl password, the device key as written in the key
    store) and ``digest`` are needed by, and only by, a chain that encrypts.
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
    MAC: a wrong key passes the padding check about once in 256, so callers
    that expect text check the plaintext too.
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
