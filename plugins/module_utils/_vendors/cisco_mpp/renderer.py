# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Cisco multiplatform (MPP, 3PCC) phones and ATA191/ATA192 (``vendor: cisco_mpp``).

Same ``flat-profile`` format and flow as the SPA (see
``_vendors/cisco_flat_profile.py``); what differs:

* default profile names: ``ata$PSN.cfg`` for the ATA19x (``ata192.cfg``),
  ``$PSN.xml`` for the phones (``6841-3PCC.xml``, ``7841.xml``, ``8841.xml``);
* per-device file ``$MA.xml``;
* key derivation digest: SHA-256 from firmware 11.3(1) on (built against
  openssl 1.1.1), MD5 before (openssl 0.9.7); ``encryption_digest`` wins,
  then ``firmware_version``, and with neither SHA-256 is used;
* ``Upgrade_Rule`` is the firmware file URL alone: the phones compare the
  load name themselves.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_mpp.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_flat_profile import (
    CiscoFlatProfileRenderer,
    CiscoModel,
    check_text,
    check_url,
    parse_mpp_version,
)

_ADMIN = "Admin_Password"

#: The first firmware built against openssl 1.1.1 (SHA-256 default digest).
SHA256_SINCE = (11, 3)

#: Digest when neither encryption_digest nor firmware_version is set: the
#: phones have shipped with 11.3 or later for years.
DEFAULT_DIGEST = "sha256"


#: Phones without programmable line keys: the MPP guides' Enable_Direct_PLK_Configuration
#: is for "all MPP phones except 7811, 7832, and 8832".
NO_LINE_KEYS = (7811, 7832, 8832)

#: The key types the MPP guides document on a line key (Extended_Function_n_):
#: line, BLF (fnc=blf+sd+cp), speed dial (fnc=sd), call park (fnc=prk),
#: directed pickup (fnc=blf+cp), XML service (fnc=xml), and a cleared key.
#: DTMF is a programmable softkey (PSK) function only; transfer has none.
KEY_TYPES = frozenset(("line", "blf", "speed_dial", "park", "pickup", "url", "none"))


def _phone(number, lines, keys=None):
    name = "CP-%d-3PCC" % number
    # The 6800 guide gives $PSN as "6841-3PCC", the 7800 guide as "7861"; the
    # 8800 guide's example is not a model number, so the 7800 form is assumed.
    psn = "%d-3PCC" % number if 6800 <= number < 6900 else "%d" % number
    # A line key per extension ("Extension_n_ ... n is the extension (1-10)
    # assigned to a line key" on the 8800): the keys are the model's lines.
    if keys is None:
        keys = 0 if number in NO_LINE_KEYS else lines
    return name, CiscoModel(name, psn, lines, "%s.xml" % psn, "phone", _ADMIN, keys=keys)


def _ata(number):
    name = "ATA%d" % number
    # Seed 001: the ATA192-MPP asks for ata192.cfg. Its admin login parameter is not documented.
    return name, CiscoModel(name, "%d" % number, 2, "ata%d.cfg" % number, "ata", None)


MODELS = dict((
    _ata(191),
    _ata(192),
    _phone(6821, 2),
    _phone(6841, 4),
    _phone(6851, 4),
    _phone(6861, 4),
    _phone(7811, 1),
    _phone(7821, 2),
    _phone(7832, 1),
    _phone(7841, 4),
    _phone(7861, 16),
    _phone(8811, 10),
    _phone(8841, 10),
    _phone(8845, 10),
    _phone(8851, 10),
    _phone(8861, 10),
    _phone(8865, 10),
))
# The ATA19x's product names ($PN), as seed 001 writes them ("ATA192-MPP"):
# the same models under the name an inventory copied from the guide or a
# User-Agent has.
MODELS.update(("%s-MPP" % name, MODELS[name]) for name in ("ATA191", "ATA192"))

_PHONE_RE = re.compile(r"^CP-?([0-9]{4})-3PCC$")
_ATA_RE = re.compile(r"^ATA-?([0-9]{3})(?:-MPP)?$")


class CiscoMppRenderer(CiscoFlatProfileRenderer):
    """Cisco MPP: ``ata$PSN.cfg``/``$PSN.xml`` bootstrap, ``$MA.xml``, digest by firmware."""

    name = DESCRIPTION.name
    description = DESCRIPTION
    title = DESCRIPTION.title
    models = MODELS
    key_types = KEY_TYPES
    device_file_template = "{mac}.xml"
    # With neither encryption_digest nor firmware_version (see digest()).
    default_digest = DEFAULT_DIGEST
    naming_hint = "name it CP-<number>-3PCC or ATA<number>, for example CP-8832-3PCC"
    # The phones compare the load name themselves.
    upgrade_rule_template = "{url}"

    def derive_model(self, model):
        match = _PHONE_RE.match(model)
        if match:
            number = int(match.group(1))
            name, facts = _phone(number, self.unknown_model_lines)
            # An unlisted phone's keys are unknown (None: any index), but for the guides' keyless models.
            return CiscoModel(name, facts.psn, facts.lines, facts.bootstrap, "phone", _ADMIN, derived=True,
                              keys=0 if number in NO_LINE_KEYS else None)
        match = _ATA_RE.match(model)
        if match:
            psn = match.group(1)
            return CiscoModel(model, psn, self.unknown_model_lines, "ata%s.cfg" % psn, "ata", None, derived=True)
        return None

    def digest(self, device):
        settings = device.settings
        if settings.get("encryption_digest"):
            return settings["encryption_digest"]
        version = settings.get("firmware_version")
        if version:
            parsed = parse_mpp_version(str(version))
            if parsed is None:
                raise device.error(
                    "cannot tell the firmware release from %r (write it as 11.3(1), 11-3-1MPP or "
                    "sip88xx.11-3-1MPP-477), so cannot choose the key derivation digest; fix it or set "
                    "encryption_digest" % (version,), field="settings.firmware_version")
            return "sha256" if parsed[:2] >= SHA256_SINCE else "md5"
        return self.default_digest

    def check_firmware(self, device):
        settings = device.settings
        if settings.get("firmware_url"):
            check_url(settings["firmware_url"], device, "settings.firmware_url")
        if settings.get("firmware_version"):
            check_text(settings["firmware_version"], device, "settings.firmware_version")


RENDERER = CiscoMppRenderer()
