# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Grandstream model facts: every catalog model has them, and the renderer serves only files a model asks for."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import family_for_model, known_models
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.models import (
    ACCOUNTS,
    MAX_LINES,
    MODEL_LINES,
    MODELS,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.renderer import RENDERER, served_name

MAC = "000b82a1b2c3"
KEY = bytes(range(32)).hex()
DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net/gs", "model_profiles": True,
            "common_profile": True}


PACKAGE = "ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream"


@pytest.mark.parametrize("module", ["models", "addresses", "settings", "formats", "legacy_view", "renderer"])
def test_each_module_of_the_package_imports_first(module):
    # settings and formats use the host/URL grammar still defined in renderer,
    # which imports them: they import it when called, so any module can be
    # imported first, and the mappers and encoders work after that.
    code = "\n".join([
        "import %s.%s" % (PACKAGE, module),
        "from %s.formats import render_legacy_binary" % PACKAGE,
        "from %s.settings import _map_ntp" % PACKAGE,
        "assert render_legacy_binary('000b82000001', [('P3', 'a b')])[16:] == b'P3=a%20b&gnkey=0b82\\0'",
        "assert _map_ntp(None, 'ntp.example.net') == [('P30', 'ntp.example.net')]",
    ])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_every_catalog_model_has_its_facts():
    assert sorted(MODELS) == sorted(known_models())
    for model, facts in MODELS.items():
        assert facts.model == model and facts.family == family_for_model(model)
        assert 1 <= facts.lines <= MAX_LINES == len(ACCOUNTS)
        assert MODEL_LINES[model] == facts.lines
        for count in (facts.virtual_keys, facts.multipurpose_keys):
            assert count is None or (isinstance(count, int) and count > 0)


# (lines, virtual keys, multi-purpose keys) as read from the templates
# (grp261x 1.0.5.15, gxp21xx 1.0.11.16, gxp 1.2.5.3): their account sections,
# their per-model VPK sections and their MPK sections with the models they name.
TEMPLATE_FACTS = {
    "GRP2612": (2, 16, None), "GRP2613": (3, 24, None), "GRP2614": (4, 16, 24), "GRP2615": (5, 40, None),
    "GRP2616": (6, 24, 24),
    "GXP2130": (3, 12, 8), "GXP2135": (4, 32, None), "GXP2140": (4, 16, None), "GXP2160": (6, 24, 24),
    "GXP2170": (6, 48, None),
    "GXP1200": (2, None, None), "GXP280": (2, None, None), "GXP285": (2, None, None), "GXP2000": (4, None, 7),
    "GXP2010": (4, None, 18), "GXP2020": (6, None, 7),
}


def test_the_facts_are_the_templates():
    assert dict((model, (facts.lines, facts.virtual_keys, facts.multipurpose_keys)) for model, facts in MODELS.items()) == TEMPLATE_FACTS


def test_key_counts_follow_the_templates_sections():
    # The legacy template defines no virtual keys; the two newer ones one VPK section per model.
    for facts in MODELS.values():
        assert (facts.virtual_keys is None) == (facts.family == "gxp_legacy")
    assert [MODELS[model].multipurpose_keys for model in ("GXP2000", "GXP2010", "GXP2020", "GXP1200")] == [7, 18, 7, None]
    assert [MODELS[model].virtual_keys for model in ("GXP2130", "GXP2170", "GRP2615")] == [12, 48, 40]


def test_requested_files():
    assert MODELS["GXP2170"].requested_files(MAC) == (
        "cfg000b82a1b2c3", "cfg000b82a1b2c3.bin", "cfg000b82a1b2c3.xml", "cfggxp2170.xml", "cfg.xml")
    assert MODELS["GXP2000"].requested_files(MAC) == ("cfg000b82a1b2c3", "cfg000b82a1b2c3.bin")


def served_paths(model, settings):
    inventory = Inventory(DEFAULTS, None, None)

    def vendor_for_model(name):
        return "grandstream" if name in MODELS else None
    raw = {"name": "desk", "mac": MAC, "model": model, "lines": [{"extension": "201", "password": "pw"}],
           "settings": settings, "keys": {"p1359": KEY}}
    device = build_device(raw, 0, inventory, vendor_for_model)
    RENDERER.validate(device, inventory)
    files = RENDERER.render_device(device, inventory) + RENDERER.render_shared([device], inventory)
    return [item.path for item in files]


def with_prefix(name, prefix, postfix):
    """``name`` as the phone asks for it once it has the config prefix and postfix."""
    if name.endswith(".xml"):
        return served_name(name[:-4], ".xml", prefix, postfix)
    return served_name(name, "", prefix, postfix)


SETTINGS = {
    "plain": {"encrypt_profiles": False},
    "encrypted": {"encrypt_profiles": True},
    "prefix-postfix": {"encrypt_profiles": False, "config_prefix": "gs_", "config_postfix": "_cfg001"},
    "encrypted-prefix": {"encrypt_profiles": True, "config_prefix": "gs_"},
}
# The legacy binary has no encrypted form.
CASES = [(model, name) for model in sorted(MODELS) for name in SETTINGS
         if not (MODELS[model].family == "gxp_legacy" and SETTINGS[name]["encrypt_profiles"])]


@pytest.mark.parametrize("model, case", CASES)
def test_the_renderer_serves_only_files_the_model_asks_for(model, case):
    settings = SETTINGS[case]
    facts = MODELS[model]
    requested = facts.requested_files(MAC)
    prefix, postfix = settings.get("config_prefix"), settings.get("config_postfix")
    # Before the bootstrap the phone asks for the plain names; after it, with its prefix and postfix.
    asked = set(requested) | set(with_prefix(name, prefix, postfix) for name in requested)
    paths = served_paths(model, settings)
    assert paths and set(paths) <= asked
    # The device's own profile is there, under the name its family reads.
    profile = "cfg%s" % MAC if facts.family == "gxp_legacy" else "cfg%s.xml" % MAC
    assert with_prefix(profile, prefix, postfix) in paths
    # And the shared files (model_profiles, common_profile; the inventory sets no prefix for them).
    if facts.family != "gxp_legacy":
        assert "cfg%s.xml" % model.lower() in paths and "cfg.xml" in paths
    # Every served file that names the MAC is bound to the device by the description's patterns.
    for path in paths:
        assert DESCRIPTION.device_path_mac(path) == (MAC if MAC in path else None), path
