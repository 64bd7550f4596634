# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Function keys (line keys, BLF, speed dials...): the generic ``function_keys`` setting.

A list of keys, each a mapping::

    function_keys:
      - {type: line, line: 1}
      - {type: blf, value: "201", label: Reception}
      - {type: speed_dial, value: "+49301234", label: Office, index: 5}

``type`` is one of :data:`TYPES`. ``index`` (1-based) places a key; a key
without one takes the position after the previous key's (the first: 1), so
a list reads top to bottom as the phone's keys. ``line`` (1-based, default 1)
is the account a key uses. Like every setting it may be set at any level;
the most specific level's list replaces the others whole, never element by
element (a site that adds one key to the defaults' list repeats the list).

This module checks what every vendor has in common: types, text, indexes.
Whether a model can carry a type, and how many keys it has, is each vendor
package's fact (:meth:`~._vendors.base.VendorRenderer.function_key_support`).
The setting is named ``function_keys``, not ``keys``: ``keys`` is a device's
field for its encryption keys.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, quote_value

#: The key types an inventory may use, with whether a ``value`` is required.
TYPES = {
    "line": False,        # an account's line key; ``line`` names the account
    "blf": True,          # busy lamp field: the monitored extension
    "speed_dial": True,   # the number to dial
    "park": False,        # call park; value: the park orbit or code, if the server needs one
    "pickup": False,      # call pickup; value: the extension to pick up (directed), else group pickup
    "transfer": False,    # transfer; value: a fixed target, else the phone asks
    "dtmf": True,         # send DTMF digits during a call
    "url": True,          # open an http(s) URL (an XML application)
    "none": False,        # an unused key: cleared
}

#: The fields of a key.
FIELDS = ("type", "value", "label", "line", "index")

#: A list longer than any phone's keys (with its expansion modules) is a typo.
MAX_KEYS = 400
_MAX_TEXT = 128
_DIGITS = re.compile(r"^[0-9*#+]{1,64}$")
_EXTENSION = re.compile(r"^[A-Za-z0-9*#+_.@:-]{1,128}$")
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$")


class FunctionKey:
    """One validated key; ``field`` is where it stands in the inventory (for errors about it)."""

    __slots__ = ("index", "type", "value", "label", "line", "field")

    def __init__(self, index, key_type, value, label, line, field):
        self.index = index
        self.type = key_type
        self.value = value
        self.label = label
        self.line = line
        self.field = field

    def __eq__(self, other):
        return isinstance(other, FunctionKey) and self.as_dict() == other.as_dict()

    def __hash__(self):
        return hash(tuple(sorted(self.as_dict().items())))

    def as_dict(self):
        return {"index": self.index, "type": self.type, "value": self.value, "label": self.label, "line": self.line}

    def __repr__(self):
        return "FunctionKey(%d, %s, value=%r, label=%r, line=%d)" % (
            self.index, self.type, self.value, self.label, self.line)


def _integer(value, device, field, minimum, maximum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProvisioningError("must be an integer, got %s" % quote_value(value), device=device, field=field)
    if not minimum <= value <= maximum:
        raise ProvisioningError("must be from %d to %d, got %d" % (minimum, maximum, value), device=device, field=field)
    return value


def _text(value, device, field, what):
    # Imported here: _device_model imports this module for its setting check.
    from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import check_text
    text = check_text(value, device, field, what=what)
    if not text or len(text) > _MAX_TEXT or not text.isprintable():
        raise ProvisioningError("must be 1 to %d printable characters, got %s" % (_MAX_TEXT, quote_value(text)),
                                device=device, field=field)
    return text


def _value(key_type, value, device, field):
    text = _text(value, device, field, "number")
    if key_type == "url":
        if not _URL.match(text):
            raise ProvisioningError("must be an http:// or https:// URL, got %s" % quote_value(text),
                                    device=device, field=field)
    elif key_type == "dtmf":
        if not _DIGITS.match(text):
            raise ProvisioningError("must be DTMF digits (0-9, *, #, +), got %s" % quote_value(text),
                                    device=device, field=field)
    elif not _EXTENSION.match(text):
        raise ProvisioningError("must be an extension, number or SIP user (letters, digits and * # + _ . @ : -), "
                                "got %s" % quote_value(text), device=device, field=field)
    return text


def check_function_keys(value, device=None, field="settings.function_keys"):
    """A tuple of :class:`FunctionKey`, sorted by index, or an error naming device and field.

    Errors name the key's own field (``settings.function_keys[2].value``).
    Two keys at one index are an error naming both.
    """
    if not isinstance(value, (list, tuple)):
        raise ProvisioningError("must be a list of keys, got %s" % type(value).__name__, device=device, field=field)
    if len(value) > MAX_KEYS:
        raise ProvisioningError("has %d keys; at most %d" % (len(value), MAX_KEYS), device=device, field=field)
    keys = []
    taken = {}
    next_index = 1
    for position, raw in enumerate(value):
        where = "%s[%d]" % (field, position)
        if not isinstance(raw, dict):
            raise ProvisioningError("must be a mapping with type, value, label, line, index; got %s"
                                    % type(raw).__name__, device=device, field=where)
        unknown = sorted(str(name) for name in raw if name not in FIELDS)
        if unknown:
            raise ProvisioningError("unknown field(s) %s; a key has %s" % (", ".join(unknown), ", ".join(FIELDS)),
                                    device=device, field="%s.%s" % (where, unknown[0]))
        key_type = raw.get("type")
        if key_type not in TYPES:
            raise ProvisioningError("must be one of %s, got %s" % (", ".join(TYPES), quote_value(key_type)),
                                    device=device, field=where + ".type")
        raw_value = raw.get("value")
        if raw_value is None or raw_value == "":
            if TYPES[key_type]:
                raise ProvisioningError("is required for a %s key" % key_type, device=device, field=where + ".value")
            key_value = None
        elif key_type in ("line", "none"):
            raise ProvisioningError("a %s key takes no value%s" % (
                key_type, " (line names the account)" if key_type == "line" else ""), device=device, field=where + ".value")
        else:
            key_value = _value(key_type, raw_value, device, where + ".value")
        label = raw.get("label")
        if label is not None:
            if key_type == "none":
                raise ProvisioningError("an unused key takes no label", device=device, field=where + ".label")
            label = _text(label, device, where + ".label", "label")
        line = _integer(raw.get("line", 1), device, where + ".line", 1, 64)
        index = raw.get("index")
        index = next_index if index is None else _integer(index, device, where + ".index", 1, MAX_KEYS)
        if index in taken:
            raise ProvisioningError("index %d is also the index of %s[%d]" % (index, field, taken[index]),
                                    device=device, field=where + ".index")
        taken[index] = position
        next_index = index + 1
        keys.append(FunctionKey(index, key_type, key_value, label, line, where))
    return tuple(sorted(keys, key=lambda key: key.index))
