# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every model the seed documents name is known: no ``vendor`` needed, the right lines and file names.

The seeds (``/work/shared/seeds``, summarised in ``docs/vendors/*.md``) name
these models; families (``GXP21xx``, ``CP-88xx-3PCC``) are covered by their
listed members. Each row: the model as the seed writes it, its vendor, its
line count and the shared file the phone asks for first (``None`` for
Grandstream, whose first request is per device).
"""

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    load_fleet,
    render_fleet,
    vendor_for_model,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_cisco_flat_profile import values

SEED_MODELS = [
    # Seed 000 (Grandstream): cfggrp2614.xml, "Grandstream GRP2616 dslforum.org".
    ("GRP2614", "grandstream", 4, None),
    ("GRP2616", "grandstream", 6, None),
    # Seed 001 (Cisco MPP): "for ATA192-MPP, the filename is ata192.cfg".
    ("ATA192", "cisco_mpp", 2, "ata192.cfg"),
    ("ATA192-MPP", "cisco_mpp", 2, "ata192.cfg"),
    # Seed 002 (Linksys SPA provisioning guide).
    ("SPA9000", "cisco_spa", 4, "spa9000.cfg"),
    ("PAP2T", "cisco_spa", 2, "init.cfg"),
    ("SPA1001", "cisco_spa", 1, "spa1001.cfg"),
    ("SPA2102", "cisco_spa", 2, "spa2102.cfg"),
    ("SPA3102", "cisco_spa", 1, "spa3102.cfg"),
    ("SPA901", "cisco_spa", 1, "spa901.cfg"),
    ("SPA921", "cisco_spa", 1, "spa921.cfg"),
    ("SPA922", "cisco_spa", 1, "spa922.cfg"),
    ("SPA941", "cisco_spa", 4, "spa941.cfg"),
    ("SPA942", "cisco_spa", 4, "spa942.cfg"),
    ("SPA962", "cisco_spa", 6, "spa962.cfg"),
    # Seed 003 (SPA300/SPA500/WIP310 administration guide).
    ("SPA303", "cisco_spa", 3, "spa303.cfg"),
    ("SPA525G", "cisco_spa", 5, "spa525G.cfg"),
    ("SPA525G2", "cisco_spa", 5, "spa525G2.cfg"),
    ("WIP310", "cisco_spa", 1, "wip310.cfg"),
]

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "provisioning_url": "http://prov.example.net/p",
    # Plain files, so the test reads every line of the profile.
    "encrypt_profiles": False,
    "allow_plain_credentials": True,
}
MAC = "000e08123456"


def device(model, lines):
    """A device with ``lines`` lines and no ``vendor``: the model alone must name it."""
    return {"name": "seed", "mac": MAC, "model": model,
            "lines": [{"extension": "%d" % (200 + number), "password": "Secret%d" % number} for number in range(lines)]}


@pytest.mark.parametrize("model, vendor, lines, bootstrap", SEED_MODELS)
def test_seed_model_needs_no_vendor(model, vendor, lines, bootstrap):
    assert vendor_for_model(model) == vendor
    # Inventories write model names in any case.
    dummy, fleet = load_fleet([dict(device(model, 1), model=model.lower())], DEFAULTS)
    assert fleet[0].vendor == vendor


@pytest.mark.parametrize("model, vendor, lines, bootstrap", SEED_MODELS)
def test_seed_model_renders_all_its_lines_and_its_file_names(model, vendor, lines, bootstrap):
    inventory, fleet = load_fleet([device(model, lines)], DEFAULTS)
    assert fleet[0].vendor == vendor
    files = dict((item.path, item) for item in render_fleet(inventory, fleet))
    if vendor == "grandstream":
        profile = files["cfg%s.xml" % MAC].content.decode()
        assert "Secret%d" % (lines - 1) in profile
        return
    assert bootstrap in files and files[bootstrap].device is None
    own = files["spa%s.xml" % MAC if vendor == "cisco_spa" else "%s.xml" % MAC]
    params = values(own.content)
    # Every line the model has is enabled (all are in use); none beyond.
    assert [params.get("Line_Enable_%d_" % number) for number in range(1, lines + 2)] == ["Yes"] * lines + [None]
    assert params["Password_%d_" % lines] == "Secret%d" % (lines - 1)


@pytest.mark.parametrize("model, vendor, lines, bootstrap", SEED_MODELS)
def test_seed_model_refuses_a_line_it_does_not_have(model, vendor, lines, bootstrap):
    with pytest.raises(ProvisioningError, match=r"device seed, field lines\[%d\]" % lines):
        load_fleet([device(model, lines + 1)], DEFAULTS)


def test_unused_lines_of_a_seed_model_are_disabled():
    """A SPA962 with one line in use: lines 2 to 6 are switched off and their credentials wiped."""
    inventory, fleet = load_fleet([device("SPA962", 1)], DEFAULTS)
    files = dict((item.path, item) for item in render_fleet(inventory, fleet))
    params = values(files["spa%s.xml" % MAC].content)
    assert [params["Line_Enable_%d_" % number] for number in range(1, 7)] == ["Yes"] + ["No"] * 5
    assert params["Password_6_"] == "" and "Line_Enable_7_" not in params
