# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The example family of docs/development/adding-a-vendor.md is real: it registers, renders and passes every check.

The guide shows the two modules of ``example_vendor/`` in full; the first
test fails when the guide and the package differ, the others register the
package into the registry (for the length of the test) and run it the way
the collection runs a real family.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import mask_fields
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import check_description
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import (
    DESCRIPTIONS,
    VENDORS,
    description_for,
    vendor_facts,
    vendor_for_model,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor.renderer import RENDERER
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_descriptions import (
    description_problems,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
GUIDE = os.path.join(ROOT, "docs", "development", "adding-a-vendor.md")
PACKAGE = "tests/unit/plugins/module_utils/example_vendor"

#: The guide marks each shown file with this comment before its code block.
_SHOWN_FILE_RE = re.compile(r"<!-- example file: (\S+) -->\n\n```python\n(.*?)```\n", re.DOTALL)

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "provisioning_url": "https://prov.example.net/ex",
    "admin_password": "AdminSecret1",
    "encrypt_profiles": False,
}
SAMPLE_PARSES = {"ExamplePhone/EX200 2.1.0 0011aabbccdd": {"model": "EX200", "mac": "0011aabbccdd", "firmware": "2.1.0"}}


def devices():
    return [
        {"name": "hall", "mac": "00:11:aa:00:00:01", "model": "EX100", "lines": [{"extension": "100", "password": "Secret100"}]},
        {"name": "desk", "mac": "00:11:aa:00:00:02", "model": "ex200",
         "lines": [{"extension": "200", "password": "Secret200"}, {"extension": "201", "password": "Secret201"}]},
    ]


@pytest.fixture(name="registered")
def registered_fixture(monkeypatch):
    """The registry with the example family added, as ``_vendors/registry.py`` would list it."""
    monkeypatch.setitem(VENDORS, RENDERER.name, RENDERER)
    monkeypatch.setitem(DESCRIPTIONS, DESCRIPTION.name, DESCRIPTION)


def test_guide_shows_the_example_package_as_it_is():
    with open(GUIDE, encoding="utf-8") as stream:
        shown = dict(_SHOWN_FILE_RE.findall(stream.read()))
    assert sorted(shown) == ["%s/description.py" % PACKAGE, "%s/renderer.py" % PACKAGE]
    for path, code in shown.items():
        with open(os.path.join(ROOT, path), encoding="utf-8") as stream:
            assert code == stream.read(), "the guide's copy of %s differs from the file" % path


def test_guide_shows_what_the_example_renders(registered):
    with open(GUIDE, encoding="utf-8") as stream:
        guide = stream.read()
    inventory = yaml.safe_load(re.search(r"this inventory\n\n```yaml\n(.*?)```\n", guide, re.DOTALL).group(1))
    shown = re.search(r"gives `ex200.cfg` \(shared\) and `ex0011aa000002.cfg`:\n\n```text\n(.*?)```\n", guide, re.DOTALL)
    loaded, fleet = load_fleet(inventory["sipfleet_devices"], inventory["sipfleet_defaults"])
    files = dict((item.path, item) for item in render_fleet(loaded, fleet))
    assert sorted(files) == ["ex0011aa000002.cfg", "ex200.cfg"]
    assert files["ex0011aa000002.cfg"].content.decode() == shown.group(1)


def test_example_is_not_registered_outside_its_tests():
    assert "example" not in VENDORS and vendor_for_model("EX100") is None


def test_example_description_is_complete():
    assert check_description(DESCRIPTION) == []


def test_registered_example_renders_like_a_real_family(registered):
    assert vendor_for_model("EX200") == "example" and description_for("example") is DESCRIPTION
    assert vendor_facts()["example"]["device_paths"] == [r"^/(?:[^/]+/)*ex{mac}\.cfg$"]
    inventory, fleet = load_fleet(devices(), DEFAULTS)
    assert [device.vendor for device in fleet] == ["example", "example"]
    files = render_fleet(inventory, fleet)
    by_path = dict((item.path, item) for item in files)
    assert sorted(by_path) == ["ex0011aa000001.cfg", "ex0011aa000002.cfg", "ex100.cfg", "ex200.cfg"]
    assert by_path["ex200.cfg"].content == (b"# Example Phone Co. profile\n"
                                            b"PROFILE_URL=https://prov.example.net/ex/ex{mac}.cfg\n")
    desk = by_path["ex0011aa000002.cfg"]
    assert (desk.device, desk.secret, desk.vendor) == ("desk", True, "example")
    assert b"LINE2_PASSWORD=Secret201\n" in desk.content
    # The checks every registered family passes.
    secrets = {"hall": {"Secret100", "AdminSecret1"}, "desk": {"Secret200", "Secret201", "AdminSecret1"}}
    assert description_problems(DESCRIPTION, files, fleet, secrets, {}, sample_parses=SAMPLE_PARSES) == []
    # --diff masks the example's secrets through the registry, like any family's.
    masked = mask_fields(desk.content.decode(), vendor="example")
    assert "Secret201" not in masked and "AdminSecret1" not in masked and "LINE2_USER=201" in masked


def test_registered_example_refuses_what_it_cannot_render(registered):
    with pytest.raises(ProvisioningError, match=r"device hall, field settings.encrypt_profiles: is on"):
        load_fleet(devices()[:1], dict(DEFAULTS, encrypt_profiles=True))
    raw = devices()[0]
    raw["lines"].append({"extension": "101", "password": "Secret101"})
    with pytest.raises(ProvisioningError, match=r"device hall, field lines\[1\]: EX100 has 1 line"):
        load_fleet([raw], DEFAULTS)
    with pytest.raises(ProvisioningError, match=r"device hall, field model: Example Phone Co. does not list model EX300"):
        load_fleet([dict(devices()[0], model="EX300", vendor="example")], DEFAULTS)
