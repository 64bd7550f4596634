# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Snom models the collection lists, and their facts.

The model names are those of wazo-provd-plugins (``wazo_snom/v10_1_215_13/
entry.py`` and earlier plugin versions; M-series DECT bases from
``common_dect``), **code**. The phone type a phone names its files and
option 60 with is ``snom<model>`` (``snomD785``).

- ``lines``: SIP identities the collection renders at most. The facts'
  sources give no count (vendor-facts-more.md section 3 reads the
  identities from the inventory): **unsure**. Desk phones take ``idx`` 1 to
  12 in Snom's examples and W's templates; the collection allows 12 for the
  D3xx/D7xx/D8xx and 2 for the D1xx, and one for a DECT base (whose
  handset-to-identity mapping no source read covers), and says so.
- ``keys``: programmable function keys of the phone alone. No source read
  gives them: ``None``, and the collection then does not bound
  the ``fkey[N]`` params beyond Snom's 0-based ``idx``, nor the
  ``function_keys`` indexes.
- ``dect``: an M-series DECT base (W sends it ``check-sync;reboot=true``
  and a different firmware file).
"""

from __future__ import annotations

_DESK_UNSURE = "identity count not in the facts' sources: 12 allowed, as Snom's examples number them"
_D1_UNSURE = "identity count not in the facts' sources: 2 allowed"
_DECT_UNSURE = "identity-to-handset mapping not in the facts' sources: one identity allowed"


def _desk(lines=12, unsure=_DESK_UNSURE):
    return {"lines": lines, "keys": None, "dect": False, "unsure": unsure}


def _dect():
    return {"lines": 1, "keys": None, "dect": True, "unsure": _DECT_UNSURE}


#: ``{MODEL: facts}``, canonical upper-case names as inventories write them (``D785``).
MODELS = {
    "D120": _desk(2, _D1_UNSURE),
    "D140": _desk(2, _D1_UNSURE),
    "D150": _desk(2, _D1_UNSURE),
    "D315": _desk(),
    "D335": _desk(),
    "D345": _desk(),
    "D375": _desk(),
    "D385": _desk(),
    "D712": _desk(),
    "D713": _desk(),
    "D715": _desk(),
    "D717": _desk(),
    "D735": _desk(),
    "D785": _desk(),
    "D812": _desk(),
    "D815": _desk(),
    "D862": _desk(),
    "D865": _desk(),
    "M300": _dect(),
    "M400": _dect(),
    "M700": _dect(),
    "M900": _dect(),
}


def phone_type(model):
    """The phone type of ``model``: what it names its files and option 60 with (``snomD785``)."""
    return "snom%s" % model
