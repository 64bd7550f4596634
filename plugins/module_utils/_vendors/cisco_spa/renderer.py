# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Cisco/Linksys SPA ATAs and IP phones (``vendor: cisco_spa``).

Files (see ``docs/vendors/cisco_spa.md``):

* ``spa$PSN.cfg`` (``spa2102.cfg``, ``spa502G.cfg``): the factory-default
  profile name, shared by every device of the model; points the phone to
  ``spa$MA.xml``;
* ``spa<mac>.xml``: the full profile when encryption is off; with encryption
  on, the device-unique initial file with the key (``GPP_A``), the random
  directory (``GPP_B``) and ``Profile_Rule [--key $A] <url>/profile/$B/spa$PSN.cfg``;
* ``profile/<GPP_B>/spa$PSN.cfg``: the encrypted full profile.

Profiles are encrypted with MD5 key derivation: the SPA guides say the
firmware was tested against openssl 0.9.7, whose default digest is MD5;
``encryption_digest`` overrides it.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_spa.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_flat_profile import (
    CiscoFlatProfileRenderer,
    CiscoModel,
    check_spa_version,
    check_url,
)

_ADMIN = "Admin_Passwd"


def _model(name, psn, lines, kind, admin_param=_ADMIN, bootstrap=None):
    return name, CiscoModel(name, psn, lines, bootstrap or "spa%s.cfg" % psn, kind, admin_param,
                            keys=LINE_KEYS.get(name, 0))


#: Programmable line keys of the phones (wazo-provd-plugins' ``_NB_FKEY``,
#: without expansion modules). The SPA502G and SPA512G have none there; the
#: SPA901/921/922, SPA301 and WIP310 are not listed, so no key is mapped on them.
LINE_KEYS = {
    "SPA941": 4, "SPA942": 4, "SPA962": 6, "SPA303": 3, "SPA501G": 8, "SPA504G": 4, "SPA508G": 8,
    "SPA509G": 12, "SPA514G": 4, "SPA525G": 5, "SPA525G2": 5,
}

#: The key types wazo-provd-plugins writes for these phones (line key, BLF, speed dial) and a cleared key.
KEY_TYPES = frozenset(("line", "blf", "speed_dial", "none"))


#: Listed models: product series number ($PSN), lines, kind. The web login of
#: SPA112/SPA122 lives in their router configuration, not in Admin_Passwd, so
#: admin_password is not mapped for them.
MODELS = dict((
    _model("SPA112", "112", 2, "ata", admin_param=None),
    _model("SPA122", "122", 2, "ata", admin_param=None),
    _model("SPA2102", "2102", 2, "ata"),
    _model("SPA3102", "3102", 1, "ata"),
    _model("SPA8000", "8000", 8, "ata"),
    _model("SPA9000", "9000", 4, "ata"),
    # The PAP2T asks for /init.cfg (wazo-provd-plugins serves it there); its $PSN is not documented.
    _model("PAP2T", None, 2, "ata", bootstrap="init.cfg"),
    # Seed 002: the SPA1001 is a "small VoIP adapter" with one phone port.
    _model("SPA1001", "1001", 1, "ata"),
    # The SPA900 series of seed 002, $PSN by its rule (/spa$PSN.cfg: a SPA942
    # asks for spa942.cfg, as wazo-provd-plugins serves it). The SPA941 and
    # SPA942 have "two lines, upgradeable to four": they are listed with four,
    # because a profile may set lines a phone lacks (it ignores unknown
    # elements) but the collection refuses lines a model does not list, which
    # would lock an upgraded phone out of lines 3 and 4.
    _model("SPA901", "901", 1, "phone"),
    _model("SPA921", "921", 1, "phone"),
    _model("SPA922", "922", 1, "phone"),
    _model("SPA941", "941", 4, "phone"),
    _model("SPA942", "942", 4, "phone"),
    _model("SPA962", "962", 6, "phone"),
    _model("SPA301", "301", 1, "phone"),
    _model("SPA303", "303", 3, "phone"),
    _model("SPA501G", "501G", 8, "phone"),
    _model("SPA502G", "502G", 1, "phone"),
    _model("SPA504G", "504G", 4, "phone"),
    _model("SPA508G", "508G", 8, "phone"),
    _model("SPA509G", "509G", 12, "phone"),
    _model("SPA512G", "512G", 1, "phone"),
    _model("SPA514G", "514G", 4, "phone"),
    _model("SPA525G", "525G", 5, "phone"),
    _model("SPA525G2", "525G2", 5, "phone"),
    # Seed 003 (the SPA300/SPA500/WIP310 administration guide) gives neither the
    # WIP310's $PSN nor its factory profile name, only that its firmware
    # default is /wip310.img where the SPA phones' is /spa.bin; wip310.cfg
    # follows that naming. The same guide documents entering the profile rule
    # from the WIP310's keypad, which points a phone that asks for another name.
    # One line: the WIP310 data sheet (the seeds do not count its lines).
    _model("WIP310", None, 1, "phone", bootstrap="wip310.cfg"),
))

_DERIVABLE_RE = re.compile(r"^SPA-?([0-9]{3,4}[A-Z0-9]{0,3})$")


class CiscoSpaRenderer(CiscoFlatProfileRenderer):
    """Cisco/Linksys SPA: ``spa$PSN.cfg`` bootstrap, ``spa$MA.xml``, MD5 key derivation."""

    name = DESCRIPTION.name
    description = DESCRIPTION
    title = DESCRIPTION.title
    models = MODELS
    key_types = KEY_TYPES
    # wazo-provd-plugins writes a backup proxy as the Proxy_<n>_ alias form.
    backup_registrar = True
    unknown_model_lines = 12
    device_file_template = "spa{mac}.xml"
    default_digest = "md5"
    naming_hint = "name it SPA<series>, for example SPA2102 or SPA502G"
    # Only a phone that runs another version upgrades, so the same file is
    # not flashed at every resync.
    upgrade_rule_template = "( $SWVER ne {version} )? {url}"

    def derive_model(self, model):
        match = _DERIVABLE_RE.match(model)
        if match is None:
            return None
        psn = match.group(1)
        # SPA3xx/5xx/9xx three-digit series are phones; the rest are ATAs and gateways.
        kind = "phone" if len(re.match(r"[0-9]*", psn).group(0)) == 3 and psn[0] in "359" else "ata"
        # A derived phone's keys are unknown (None: any index); an ATA has none.
        return CiscoModel(model, psn, self.unknown_model_lines, "spa%s.cfg" % psn, kind, _ADMIN, derived=True,
                          keys=None if kind == "phone" else 0)

    def check_firmware(self, device):
        settings = device.settings
        if settings.get("firmware_url"):
            check_url(settings["firmware_url"], device, "settings.firmware_url")
            if not settings.get("firmware_version"):
                raise device.error("is required with firmware_url: the Upgrade_Rule upgrades only a phone that runs "
                                   "another version, so it does not flash the same file at every resync",
                                   field="settings.firmware_version")
        if settings.get("firmware_version"):
            check_spa_version(settings["firmware_version"], device, "settings.firmware_version")


RENDERER = CiscoSpaRenderer()
