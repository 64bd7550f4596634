# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Poly models the collection lists, with their line counts.

``lines`` is the number of line keys, the registrations the collection
renders at most; ``keys`` the programmable keys of the phone alone as
wazo-provd-plugins counts them (``_NB_FKEY`` of wazo_polycom/common/common.py,
**code**), ``None`` where it lists none; ``user_agent`` the model as the
User-Agent writes it (``VVX_400``). The facts file (vendor-facts-more.md
section 2) gives no line counts: they are from Poly's data sheets and
**unsure** (UC Software may take more registrations than line keys; the
collection stays at the line keys). Trio conference phones register one
line (**unsure**). Edge E / PolyOS phones are not listed: no source covered
them.
"""

from __future__ import annotations

#: ``{model: {"series":, "lines":, "keys":, "user_agent":}}``; every count unsure (see above).
MODELS = {
    "SPIP321": {"series": "SoundPoint IP", "lines": 2, "keys": None, "user_agent": "SPIP_321"},
    "SPIP331": {"series": "SoundPoint IP", "lines": 2, "keys": None, "user_agent": "SPIP_331"},
    "SPIP335": {"series": "SoundPoint IP", "lines": 2, "keys": None, "user_agent": "SPIP_335"},
    "SPIP450": {"series": "SoundPoint IP", "lines": 3, "keys": 2, "user_agent": "SPIP_450"},
    "SPIP550": {"series": "SoundPoint IP", "lines": 4, "keys": 3, "user_agent": "SPIP_550"},
    "SPIP560": {"series": "SoundPoint IP", "lines": 4, "keys": 3, "user_agent": "SPIP_560"},
    "SPIP650": {"series": "SoundPoint IP", "lines": 6, "keys": 47, "user_agent": "SPIP_650"},
    "SPIP670": {"series": "SoundPoint IP", "lines": 6, "keys": 47, "user_agent": "SPIP_670"},
    "VVX101": {"series": "VVX", "lines": 1, "keys": 2, "user_agent": "VVX_101"},
    "VVX150": {"series": "VVX", "lines": 2, "keys": 2, "user_agent": "VVX_150"},
    "VVX201": {"series": "VVX", "lines": 2, "keys": 2, "user_agent": "VVX_201"},
    "VVX250": {"series": "VVX", "lines": 4, "keys": 4, "user_agent": "VVX_250"},
    "VVX300": {"series": "VVX", "lines": 6, "keys": 6, "user_agent": "VVX_300"},
    "VVX301": {"series": "VVX", "lines": 6, "keys": 6, "user_agent": "VVX_301"},
    "VVX310": {"series": "VVX", "lines": 6, "keys": 6, "user_agent": "VVX_310"},
    "VVX311": {"series": "VVX", "lines": 6, "keys": 6, "user_agent": "VVX_311"},
    "VVX350": {"series": "VVX", "lines": 6, "keys": 6, "user_agent": "VVX_350"},
    "VVX400": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_400"},
    "VVX401": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_401"},
    "VVX410": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_410"},
    "VVX411": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_411"},
    "VVX450": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_450"},
    "VVX500": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_500"},
    "VVX501": {"series": "VVX", "lines": 12, "keys": 12, "user_agent": "VVX_501"},
    "VVX600": {"series": "VVX", "lines": 16, "keys": 16, "user_agent": "VVX_600"},
    "VVX601": {"series": "VVX", "lines": 16, "keys": 16, "user_agent": "VVX_601"},
    "VVX1500": {"series": "VVX", "lines": 6, "keys": 6, "user_agent": "VVX_1500"},
    "TRIO8500": {"series": "Trio", "lines": 1, "keys": None, "user_agent": "Trio_8500"},
    "TRIO8800": {"series": "Trio", "lines": 1, "keys": None, "user_agent": "Trio_8800"},
}
