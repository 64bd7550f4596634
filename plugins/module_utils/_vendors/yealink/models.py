# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Yealink models the collection knows, and their facts.

Sources (vendor-facts-more.md section 1, each read from the code named there):

- ``common_id``: the ``y0000000000xx.cfg`` common file the model fetches when
  its firmware has no boot file (FusionPBX's template folders, one file per
  model; the W52P id also in the W52P guide). Never derived from the
  firmware version: the T42U/T43U/T46U/T48U share firmware 108 but have ids
  116/107/108/109.
- ``lines``: SIP accounts (wazo-provd-plugins ``v87/common.py``
  ``_NB_SIP_ACCOUNTS``; W70B from the facts file's list).
- ``keys``: programmable line keys on the phone itself, expansion modules
  not counted (wazo-provd-plugins ``_NB_LINEKEY``); ``None`` where no source
  gives it.
- ``dect``: a W-series DECT base, whose syslog and account server keys
  differ from the desk phones' (one source) and whose handsets are not
  configured by the collection.
- ``unsure``: what no source confirms; the collection then takes the
  conservative value (one SIP account) and the docs say so.
"""

from __future__ import annotations


def _model(common_id, lines, keys, dect=False, unsure=None):
    return {"common_id": common_id, "lines": lines, "keys": keys, "dect": dect, "unsure": unsure}


#: ``{MODEL: facts}``, canonical upper-case names as inventories write them (``T46U``).
MODELS = {
    "T27G": _model("069", 6, 21),
    "T31G": _model("123", 2, 2),
    "T31W": _model("172", 2, 2),
    "T33G": _model("124", 4, 12),
    "T34W": _model("171", 4, 12),
    "T41S": _model("068", 6, 15),
    "T42S": _model("067", 12, 15),
    "T42U": _model("116", 12, 15),
    "T43U": _model("107", 12, 15),
    "T44W": _model("174", 12, 24),
    "T46S": _model("066", 16, 27),
    "T46U": _model("108", 16, 27),
    "T48S": _model("065", 16, 29),
    "T48U": _model("109", 16, 29),
    "T53": _model("095", 12, 21),
    "T53W": _model("095", 12, 21),
    "T54S": _model("070", 16, 27),
    "T54W": _model("096", 16, 27),
    "T57W": _model("097", 16, 29),
    "T58W": _model("150", 16, 27),
    "T73U": _model("186", 12, 48),
    "T73W": _model("183", 12, 48),
    "T74U": _model("187", 16, 60),
    "T74W": _model("184", 16, 60),
    "T77U": _model("188", 16, 95),
    "T85W": _model("196", 16, 72),
    "T87W": _model("197", 16, 95),
    "T88V": _model("192", 16, 95),
    "T88W": _model("192", 16, 95),
    "CP920": _model("078", 1, 0),
    "W70B": _model("146", 10, 0, dect=True),
    "W52P": _model("025", 1, 0, dect=True, unsure="SIP account count not found: one account allowed"),
    "W56P": _model("025", 1, 0, dect=True, unsure="SIP account count not found: one account allowed"),
    "W60B": _model("077", 1, 0, dect=True, unsure="SIP account count not found: one account allowed"),
}


def common_file(model):
    """The ``y0000000000xx.cfg`` name of ``model``'s common file."""
    return "y000000000%s.cfg" % MODELS[model]["common_id"]
