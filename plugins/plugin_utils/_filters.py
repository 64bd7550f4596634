# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Glue between the collection's pure logic and Ansible's filter plugins."""

from __future__ import annotations

import base64
import binascii
import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError, ProvisioningError

OUTPUT_FORMATS = ("base64", "openssl-base64")


def filter_errors(func):
    """Turn :class:`ProvisioningError` into :class:`AnsibleFilterError`, keeping the message.

    The message is all the user needs: it names the value, device or option at
    fault and never contains a password or key.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ProvisioningError as exc:
            raise AnsibleFilterError("%s: %s" % (func.__name__, exc)) from None

    return wrapper


def encode_base64(data, output):
    """Base64-encode ``data`` as one line, or in ``openssl enc -a`` lines of 64 characters."""
    if output not in OUTPUT_FORMATS:
        raise CryptoError("output must be one of %s, got %r" % (", ".join(OUTPUT_FORMATS), output))
    text = base64.b64encode(data).decode("ascii")
    if output == "base64":
        return text
    return "".join(text[i:i + 64] + "\n" for i in range(0, len(text), 64))


def decode_base64(text, what="input"):
    """Decode base64 in either form :func:`encode_base64` writes (white space is ignored)."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not isinstance(text, str):
        raise CryptoError("%s must be a base64 string, not %s" % (what, type(text).__name__))
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("%s is not valid base64" % what)
