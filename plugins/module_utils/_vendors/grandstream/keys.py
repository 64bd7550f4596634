# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Programmable keys of the Grandstream models: the generic ``function_keys`` as VPK and MPK P-values.

Sources: the "Programmable Keys" sections of the configuration templates
(grp261x 1.0.5.15, gxp21xx 1.0.11.16, gxp 1.2.5.3). A key of the inventory
is found by its index: index 1 to N are the model's virtual multi-purpose
keys (VPK 1 to N), the next ones its physical multi-purpose keys (MPK 1,
2, ...). The legacy family has no VPKs: its indexes are MPKs.

Every key is four P-values: key mode, account, description (the label) and
value. The templates give each kind of key its own mode numbers:

* GRP261x, every VPK and MPK: None -1, SpeedDial 0, BLF 1, DialDTMF 5,
  Transfer 8, CallPark 9; "Default" 31 (the account's line key) only on the
  fixed VPKs ("Key Mode for line VPK ... Default (31)").
* GXP21xx fixed VPKs ("Key Mode for line VPK"): -1 None, 0 Default, 10 Speed
  Dial, 11 BLF, 15 DialDTMF, 18 Transfer, 19 CallPark; dynamic VPKs and MPKs:
  -1 None, 0 Speed Dial, 1 BLF, 5 DialDTMF, 8 Transfer, 9 Call Park.
* GXP legacy MPKs: 0 Speed Dial, 1 BLF (no None).

No template has a pickup mode, and an XML application key takes its URL
from another P-value, not from the key: ``pickup`` and ``url`` are not
carried.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.models import MODELS

#: Fixed VPKs of each XML-family model: the templates' "VPK n - fixed VPK"
#: entries of the model's section (the others are "Dynamic VPK"). Only a
#: fixed VPK can be an account's line key.
FIXED_VPKS = {
    "GRP2612": 4, "GRP2613": 6, "GRP2614": 4, "GRP2615": 5, "GRP2616": 6,
    "GXP2130": 3, "GXP2135": 8, "GXP2140": 4, "GXP2160": 6, "GXP2170": 12,
}

# Mode numbers by kind of key (module documentation).
_GRP_MODES = {"none": -1, "speed_dial": 0, "blf": 1, "dtmf": 5, "transfer": 8, "park": 9}
_GRP_FIXED_MODES = dict(_GRP_MODES, line=31)
_GXP_FIXED_MODES = {"none": -1, "line": 0, "speed_dial": 10, "blf": 11, "dtmf": 15, "transfer": 18, "park": 19}
_GXP_DYNAMIC_MODES = dict(_GRP_MODES)
_LEGACY_MODES = {"speed_dial": 0, "blf": 1}

# (description, value) length limits. VPKs: "Description. Max length allowed
# is 32 characters", "Value. Max length allowed is 64 characters" (both XML
# templates; stated on the fixed VPKs and the first dynamic ones, applied to
# every VPK: they are one form on the phone). MPKs: grp261x "Max length
# allowed is 256 characters" for both; gxp21xx "Name ... 128", "User ID ...
# 64"; the legacy template states none.
_VPK_LIMITS = (32, 64)
_MPK_LIMITS = {"grp261x": (256, 256), "gxp21xx": (128, 64), "gxp_legacy": (None, None)}


def vpk_params(number):
    """``(mode, account, description, value)`` P-values of VPK ``number`` (1-based), both XML templates.

    VPK 1-6: P1363/P1364/P1465/P1466, then two apart each; VPK 7 and up
    (the "Dynamic VPK" block): P23800-P23803, then four apart each.
    """
    if number <= 6:
        step = 2 * (number - 1)
        return ("P%d" % (1363 + step), "P%d" % (1364 + step), "P%d" % (1465 + step), "P%d" % (1466 + step))
    base = 23800 + 4 * (number - 7)
    return tuple("P%d" % (base + offset) for offset in range(4))


def mpk_params(number):
    """``(mode, account, description, value)`` P-values of MPK ``number`` (1-based), all three templates.

    MPK 1-7: mode P323-P329, account/name/value P301-P321 three apart;
    MPK 8: P353-P356; MPK 9-18: from P357, four apart; MPK 19-24: from
    P1440, four apart.
    """
    if number <= 7:
        base = 301 + 3 * (number - 1)
        return ("P%d" % (322 + number), "P%d" % base, "P%d" % (base + 1), "P%d" % (base + 2))
    if number <= 18:
        base = 353 + 4 * (number - 8)
    else:
        base = 1440 + 4 * (number - 19)
    return tuple("P%d" % (base + offset) for offset in range(4))


class KeySlot:
    """One key of a model: what it is called, its P-values, the modes it takes and its text limits."""

    __slots__ = ("name", "params", "modes", "label_max", "value_max", "dynamic")

    def __init__(self, name, params, modes, limits, dynamic=False):
        self.name = name
        self.params = params
        self.modes = modes
        self.label_max, self.value_max = limits
        # Dynamic VPKs must be written in sequence (see key_pvalues).
        self.dynamic = dynamic


class KeyLayout:
    """The keys of one model, by generic index (1-based): its VPKs, then its MPKs."""

    def __init__(self, model, family, slots):
        self.model = model
        self.family = family
        self.slots = tuple(slots)
        self.types = frozenset(name for slot in self.slots for name in slot.modes)

    @property
    def count(self):
        return len(self.slots)

    def slot(self, index):
        return self.slots[index - 1] if 1 <= index <= len(self.slots) else None


def _layout(model):
    facts = MODELS.get(model)
    if facts is None:
        return None
    family = facts.family
    slots = []
    if family != "gxp_legacy":
        fixed = FIXED_VPKS[model]
        for number in range(1, facts.virtual_keys + 1):
            if number <= fixed:
                modes = _GRP_FIXED_MODES if family == "grp261x" else _GXP_FIXED_MODES
            else:
                modes = _GRP_MODES if family == "grp261x" else _GXP_DYNAMIC_MODES
            slots.append(KeySlot("VPK %d" % number, vpk_params(number), modes, _VPK_LIMITS, dynamic=number > fixed))
        mpk_modes = _GRP_MODES if family == "grp261x" else _GXP_DYNAMIC_MODES
    else:
        mpk_modes = _LEGACY_MODES
    # The MPK sections name the models they are for ("GRP2614/GRP2616 only",
    # "GXP2130/2160 only", "(GXP2000/2020/2010)"): the others have none.
    for number in range(1, (facts.multipurpose_keys or 0) + 1):
        slots.append(KeySlot("MPK %d" % number, mpk_params(number), mpk_modes, _MPK_LIMITS[family]))
    return KeyLayout(model, family, slots)


_LAYOUTS = dict((model, _layout(model)) for model in MODELS)


def layout_for(model):
    """The :class:`KeyLayout` of a catalog model (``"GXP2170"``, any case), or ``None`` for another model."""
    if not isinstance(model, str):
        return None
    return _LAYOUTS.get(model.strip().upper())


def _check_text(device, key, slot, model, text, limit, what, field):
    if limit is not None and len(text) > limit:
        raise device.error("%s of %s takes a %s of at most %d characters (Grandstream template), got %d"
                           % (slot.name, model, what, limit, len(text)), field=key.field + field)


def _ranges(numbers):
    """``"1 to 4, 9"`` of increasing ``numbers``."""
    spans = []
    for number in numbers:
        if spans and spans[-1][1] == number - 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(low) if low == high else "%d to %d" % (low, high) for low, high in spans)


def key_pvalues(device, layout, keys):
    """``[(P-name, value, field)]`` of ``keys`` (validated :class:`~._function_keys.FunctionKey`) on ``layout``.

    Keys beyond the layout or of a type the model carries nowhere are left
    to :meth:`~.base.VendorRenderer.check_generic_settings`, which names
    them (load_fleet runs it for every device). A type the model carries
    elsewhere but not on this key (a line key on a dynamic VPK) and text
    longer than the key's field are errors naming the key's field.

    Keys the inventory leaves out are not written: the phone keeps its own.
    Except between dynamic VPKs: the templates say "Even if a Dynamic VPK
    has mode set to None, it should be added in sequence. Skipping one will
    remove everything after that VPK", so every dynamic VPK before the last
    listed one that the inventory leaves out is written as None.
    """
    listed = dict((key.index, key) for key in keys)
    last_dynamic = max([index for index in listed if layout.slot(index) is not None and layout.slot(index).dynamic] or [0])
    pairs = []
    for index, slot in enumerate(layout.slots, start=1):
        key = listed.get(index)
        if key is None:
            if slot.dynamic and index < last_dynamic:
                mode, account, label, value = slot.params
                pairs.extend([(mode, slot.modes["none"], "settings.function_keys"), (account, 0, "settings.function_keys"),
                              (label, "", "settings.function_keys"), (value, "", "settings.function_keys")])
            continue
        if key.type not in layout.types:
            continue
        if key.type not in slot.modes:
            raise device.error("key %d of %s is %s, which cannot be a %s key; its %s keys are keys %s" % (
                index, layout.model, slot.name, key.type, key.type, _ranges(
                    number for number, other in enumerate(layout.slots, start=1) if key.type in other.modes)),
                field=key.field + ".type")
        label, value = key.label or "", key.value or ""
        _check_text(device, key, slot, layout.model, label, slot.label_max, "description (label)", ".label")
        _check_text(device, key, slot, layout.model, value, slot.value_max, "value", ".value")
        mode_param, account_param, label_param, value_param = slot.params
        pairs.extend([(mode_param, slot.modes[key.type], key.field + ".type"), (account_param, key.line - 1, key.field + ".line"),
                      (label_param, label, key.field + ".label"), (value_param, value, key.field + ".value")])
    return pairs
