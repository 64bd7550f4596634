# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Grandstream P-value catalog: which model belongs to which template family, and P-value checks.

The data (``catalog_data``) is generated from Grandstream's
configuration templates by ``hacking/build_grandstream_catalog.py``; this
module only reads it. A family is the set of models one template covers, for
one firmware: ``grp261x`` (GRP2612/2613/2614/2615/2616), ``gxp21xx``
(GXP2130/2135/2140/2160/2170) and ``gxp_legacy`` (GXP2000/2020/1200/2010/280/285).

:func:`check_param` rules:

* ``name`` must be ``P`` followed by a decimal number without leading zero
  (``P193``; ``p193``, ``P0193`` and ``193`` are rejected);
* a P-value the family's template does not document is accepted whatever its
  value: the templates do not list every parameter of every firmware;
* ``value`` is a ``str`` or an ``int``; ``None``, an empty string and white
  space count as an empty value, which leaves the phone's default: accepted,
  except for a parameter the template marks mandatory;
* a boolean is never accepted (``True`` is not the number ``1``, nor the string
  a phone expects);
* a number parameter needs an ``int`` or a string of ASCII digits with an
  optional leading minus sign (``"60"``, ``"-1"``; not ``"1.0"``, ``" 60"``,
  ``"+1"``), within the template's list or range when it states one;
* a string parameter takes any ``str`` or ``int``.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog_data import (
    FAMILIES,
    MANDATORY,
    PARAMS,
)

_NAME = re.compile(r"P(?:0|[1-9][0-9]*)")
_INTEGER = re.compile(r"-?[0-9]+")

_MODEL_FAMILY = {model.upper(): family for family, info in FAMILIES.items() for model in info["models"]}


def _family(family):
    if family not in FAMILIES:
        raise ValueError("unknown Grandstream family {0!r}; known: {1}".format(family, ", ".join(sorted(FAMILIES))))
    return FAMILIES[family]


def family_for_model(model):
    """Return the family id of a Grandstream model name (``"GXP2170"``, ``"gxp2170"``), or None."""
    if not isinstance(model, str):
        return None
    return _MODEL_FAMILY.get(model.strip().upper())


def known_models():
    """Return every model the catalog knows, upper case, sorted."""
    return tuple(sorted(_MODEL_FAMILY))


def families():
    """Return the family ids, sorted."""
    return tuple(sorted(FAMILIES))


def describe_family(family):
    """Return ``"GXP2130/GXP2135/... firmware 1.0.11.16"`` for messages; ValueError for an unknown family."""
    info = _family(family)
    return "{0} firmware {1}".format("/".join(info["models"]), info["firmware"])


def mandatory_params(family):
    """Return the names (``"P271"``) the family's template marks mandatory; ValueError for an unknown family."""
    _family(family)
    return frozenset("P{0}".format(number) for number in MANDATORY.get(family, ()))


def param_spec(family, name):
    """Return the catalog's spec of ``name`` (see the data module) or None when the template does not document it."""
    _family(family)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return None
    return PARAMS[family].get(int(name[1:]))


#: ``{family: "Grandstream template for <models> firmware <version>"}``, the end of check_param's reasons.
_WHERE = {}
#: ``{spec: [(low, high), ...]}``: the catalog has a few hundred distinct specs, checked 5 times a device.
_NUMBER_ITEMS = {}


def _number_items(spec):
    """Return ``[(low, high), ...]`` of an ``e:``/``r:``/``u:`` spec (parsed once a spec)."""
    items = _NUMBER_ITEMS.get(spec)
    if items is None:
        items = _NUMBER_ITEMS[spec] = tuple(_parse_number_items(spec))
    return items


def _parse_number_items(spec):
    kind, body = spec.split(":", 1)
    if kind == "r":
        low, high = body.split(":")
        return [(int(low), int(high))]
    items = []
    for item in body.split(","):
        if kind == "u" and ":" in item:
            low, high = item.split(":")
            items.append((int(low), int(high)))
        else:
            items.append((int(item), int(item)))
    return items


def _describe_number(spec):
    if spec == "n":
        return "must be an integer"
    if spec.startswith("e:"):
        return "must be one of {0}".format(", ".join(spec[2:].split(",")))
    items = _number_items(spec)
    singles = [str(low) for low, high in items if low == high]
    ranges = ["an integer from {0} to {1}".format(low, high) for low, high in items if low != high]
    return "must be " + " or ".join([", ".join(singles)] + ranges if singles else ranges)


def check_param(family, name, value):
    """Return None if ``value`` is acceptable for P-value ``name`` of ``family``, else a short reason.

    See the module documentation for the rules. An unknown family is a
    programming error: ValueError.
    """
    _family(family)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return "{0!r} is not a P-value name: expected P followed by digits, like P271".format(name)
    number = int(name[1:])
    spec = PARAMS[family].get(number)
    if spec is None:
        return None
    where = _WHERE.get(family)
    if where is None:
        where = _WHERE[family] = "Grandstream template for {0}".format(describe_family(family))
    if isinstance(value, bool):
        return "must be {0}, not a boolean ({1})".format("a string" if spec == "s" else "an integer", where)
    if value is not None and not isinstance(value, (str, int)):
        return "must be a string or an integer, not {0} ({1})".format(type(value).__name__, where)
    text = "" if value is None else str(value)
    if not text.strip():
        if number in MANDATORY.get(family, ()):
            return "is mandatory and must not be empty ({0})".format(where)
        return None
    if spec == "s":
        return None
    if not _INTEGER.fullmatch(text):
        return "{0} ({1})".format(_describe_number(spec), where)
    if spec == "n":
        return None
    integer = int(text)
    if any(low <= integer <= high for low, high in _number_items(spec)):
        return None
    return "{0} ({1})".format(_describe_number(spec), where)
