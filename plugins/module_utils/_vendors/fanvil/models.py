# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Fanvil models the collection lists, and their facts.

Sources (vendor-facts-more.md section 4, each read from the code named there):

- ``format``: the XML form the model's ``<mac>.cfg`` is written in.
  wazo-provd-plugins writes ``<sysConf>`` (``sysconf``) for the models its
  ``_NEW_MODEL_REGEX`` ``^X([4-9][UC]|(210i?)|7)([- ](Pro|V2))?$`` matches
  and for the H2U-V2 (``base-h-series.tpl``), ``<VOIP_CONFIG_FILE>``
  (``voip_config_file``) for the others; FusionPBX writes
  ``<VOIP_CONFIG_FILE>`` for every model. **code**, one source for the
  split: the ``fanvil_config_format`` setting overrides it.
- ``version``: the ``<Version>`` a ``<sysConf>`` file carries (H2U-V2:
  ``2.0000000000``, ``base-h-series.tpl:3``; others ``2.0002``).
- ``language``: the table of the numeric ``Language`` of a
  ``<VOIP_CONFIG_FILE>`` file: only wazo-provd-plugins' X-series table is
  in the facts; ``None`` where none is known (the H-series table differs).
- ``lines``: SIP accounts. No source the facts cite counts them: where
  wazo-provd-plugins gives line keys per page (``LINE_KEYS_PER_PAGE``,
  ``serie_x/entry.py``) that count is taken; elsewhere one account, the
  conservative value, and ``unsure`` says so.
- ``common_file``: the model file the phone asks for besides its own, as
  wazo-provd-plugins names it in its ``COMMON_FILES`` tables
  (``serie_x/entry.py``, ``serie_h/entry.py``); ``None`` where no source
  names one. No naming rule was found: the table is all there is.
- ``keys``: function keys per page (``FUNCTION_KEYS_PER_PAGE``), ``None``
  where no source gives it.
- ``top_keys``: the keys beside the display a ``<sysConf>`` file writes as
  ``<dssSide>`` before the paged ``<internal>`` keys
  (``TOP_FUNCTION_KEYS``, ``serie_x/entry.py``), ``None`` where no source
  gives it.
"""

from __future__ import annotations

VOIP_CONFIG_FILE = "voip_config_file"
SYSCONF = "sysconf"

_NO_COUNT = "SIP account count not in the sources: one account allowed"


def _model(series, form, lines, keys=None, language=None, version="2.0002", unsure=None, common_file=None, top_keys=None):
    return {"series": series, "format": form, "lines": lines, "keys": keys, "language": language, "version": version,
            "unsure": unsure, "common_file": common_file, "top_keys": top_keys}


#: ``{MODEL: facts}``, canonical upper-case names as inventories write them (``X4U``, ``H2U-V2``).
MODELS = {
    "X3S": _model("X", VOIP_CONFIG_FILE, 1, language="x", unsure=_NO_COUNT, common_file="f0X3shw1.100.cfg"),
    "X4": _model("X", VOIP_CONFIG_FILE, 1, language="x", unsure=_NO_COUNT, common_file="f0X4hw1.100.cfg"),
    "X5S": _model("X", VOIP_CONFIG_FILE, 1, language="x", unsure=_NO_COUNT, common_file="F0V00X5S0000.cfg"),
    "X6": _model("X", VOIP_CONFIG_FILE, 1, language="x", unsure=_NO_COUNT, common_file="F0V00X600000.cfg"),
    "X4U": _model("X", SYSCONF, 3, keys=6, language="x", top_keys=3),
    "X4U-PRO": _model("X", SYSCONF, 1, language="x", unsure=_NO_COUNT),
    "X5U": _model("X", SYSCONF, 4, keys=6, language="x", top_keys=4),
    "X6U": _model("X", SYSCONF, 5, keys=12, language="x", top_keys=5),
    "X6U-PRO": _model("X", SYSCONF, 1, language="x", unsure=_NO_COUNT),
    "X7": _model("X", SYSCONF, 1, language="x", unsure=_NO_COUNT),
    "X7C": _model("X", SYSCONF, 1, language="x", unsure=_NO_COUNT),
    "X210": _model("X", SYSCONF, 10, keys=32, language="x", top_keys=10),
    "X210I": _model("X", SYSCONF, 10, keys=32, language="x", top_keys=10),
    "H5": _model("H", VOIP_CONFIG_FILE, 1, unsure=_NO_COUNT),
    "H2U-V2": _model("H", SYSCONF, 1, keys=10, version="2.0000000000", unsure=_NO_COUNT, common_file="F0V2UV200000.cfg"),
}

#: The numeric ``Language`` of a ``<VOIP_CONFIG_FILE>`` file by ISO 639-1
#: code, per table (wazo-provd-plugins ``serie_x/entry.py`` ``_LOCALE``).
NUMERIC_LANGUAGES = {"x": {"en": "0", "nl": "3", "fr": "4", "it": "7", "es": "10", "de": "16"}}

#: ``<DefaultLanguage>`` of a ``<sysConf>`` file: the two-letter codes of
#: wazo-provd-plugins' ``_NEW_SUPPORTED_LANGUAGES`` that are ISO 639-1 codes
#: (its ``cn``, ``tc``, ``cz``, ``ua`` are not, and are left out).
SYSCONF_LANGUAGES = ("ar", "de", "en", "es", "fr", "he", "hr", "it", "ko", "nl", "pl", "pt", "ru", "tr")
