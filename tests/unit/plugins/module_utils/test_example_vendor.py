# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The example family of docs/development/adding-a-vendor.md is real: it registers, renders and passes every check.

The guide shows the two modules of ``example_vendor/`` in full; the first
tests fail when the guide and the package differ. The others register the
package the way ``_vendors/registry.py`` lists a family (one more entry of
``_PACKAGES``, for the length of the test) and run it the way the
collection runs a real family: its files tagged with the kinds its
description declares and decoded by the codec and ``--diff`` by that tag,
its facts reaching the roles through the ``vendor_facts`` lookup and the
docs through ``hacking/vendor_tables.py``, with no other file edited.
"""

from __future__ import annotations

import copy
import os
import re
import shutil

import pytest
import yaml

from ansible_collections.sipfleet.provisioning.hacking import vendor_tables
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _codec as codec
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import CryptoError, ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet, required_keys
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import mask_fields, text_view
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import registry
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import is_key_carrier
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import check_description
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import (
    DESCRIPTIONS,
    VENDORS,
    description_for,
    vendor_facts,
    vendor_for_model,
)
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor import (
    description as example_description,
    renderer as example_renderer,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor.description import DESCRIPTION
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor.renderer import RENDERER
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_vendor_descriptions import (
    description_problems,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
GUIDE = os.path.join(ROOT, "docs", "development", "adding-a-vendor.md")
PACKAGE = "tests/unit/plugins/module_utils/example_vendor"
#: The families registered before the example, in registry order (read at import, before any test registers it).
REGISTERED_BEFORE = list(registry.vendor_facts())

#: The guide marks each shown file with this comment before its code block.
_SHOWN_FILE_RE = re.compile(r"<!-- example file: (\S+) -->\n\n```python\n(.*?)```\n", re.DOTALL)

DEFAULTS = {
    "sip_server": "pbx.example.net",
    "provisioning_url": "https://prov.example.net/ex",
    "admin_password": "AdminSecret1",
    "encrypt_profiles": False,
}
SAMPLE_PARSES = {"ExamplePhone/EX200 2.1.0 0011aabbccdd": {"model": "EX200", "mac": "0011aabbccdd", "firmware": "2.1.0"}}
KEY = "5e" * 32
NEXT_KEY = "a7" * 32


def devices():
    return [
        {"name": "hall", "mac": "00:11:aa:00:00:01", "model": "EX100", "lines": [{"extension": "100", "password": "Secret100"}]},
        {"name": "desk", "mac": "00:11:aa:00:00:02", "model": "ex200",
         "lines": [{"extension": "200", "password": "Secret200"}, {"extension": "201", "password": "Secret201"}]},
    ]


def guide():
    with open(GUIDE, encoding="utf-8") as stream:
        return stream.read()


def register_example(monkeypatch):
    """Add the example family to the registry, as its one line in ``_PACKAGES`` would, until ``monkeypatch`` undoes it."""
    packages = registry._PACKAGES + ((example_renderer, example_description),)
    monkeypatch.setattr(registry, "_PACKAGES", packages)
    # What registry.py builds from _PACKAGES; every reader holds these two dictionaries.
    for renderer, description in packages:
        monkeypatch.setitem(VENDORS, renderer.RENDERER.name, renderer.RENDERER)
        monkeypatch.setitem(DESCRIPTIONS, description.DESCRIPTION.name, description.DESCRIPTION)


@pytest.fixture(name="registered")
def registered_fixture(monkeypatch):
    """The registry with the example family added."""
    register_example(monkeypatch)


def encrypted_fleet(keys=KEY):
    """``(inventory, fleet)``: the desk (EX200) encrypted with ``keys``, the hall (EX100, which cannot) plain."""
    raw = devices()
    raw[1]["settings"] = {"encrypt_profiles": True}
    raw[1]["keys"] = {"ex_key": keys}
    return load_fleet(raw, DEFAULTS)


# --- the guide shows the package and what it renders -----------------------------------------


def test_guide_shows_the_example_package_as_it_is():
    shown = dict(_SHOWN_FILE_RE.findall(guide()))
    assert sorted(shown) == ["%s/description.py" % PACKAGE, "%s/renderer.py" % PACKAGE]
    for path, code in shown.items():
        with open(os.path.join(ROOT, path), encoding="utf-8") as stream:
            assert code == stream.read(), "the guide's copy of %s differs from the file" % path


def test_guide_shows_what_the_example_renders(registered):
    text = guide()
    inventory = yaml.safe_load(re.search(r"this inventory\n\n```yaml\n(.*?)```\n", text, re.DOTALL).group(1))
    shown = re.search(r"gives `ex200.cfg` \(shared\) and `ex0011aa000002.cfg`:\n\n```text\n(.*?)```\n", text, re.DOTALL)
    loaded, fleet = load_fleet(inventory["sipfleet_devices"], inventory["sipfleet_defaults"])
    files = dict((item.path, item) for item in render_fleet(loaded, fleet))
    assert sorted(files) == ["ex0011aa000002.cfg", "ex200.cfg"]
    assert files["ex0011aa000002.cfg"].content.decode() == shown.group(1)


def test_example_is_not_registered_outside_its_tests():
    assert "example" not in VENDORS and "example" not in DESCRIPTIONS and vendor_for_model("EX100") is None
    assert RENDERER not in [renderer.RENDERER for renderer, dummy in registry._PACKAGES]


def test_example_description_is_complete():
    assert check_description(DESCRIPTION) == []
    assert RENDERER.description is DESCRIPTION and RENDERER.name == DESCRIPTION.name


# --- registered, it runs as a real family --------------------------------------------------------


def test_registered_example_renders_like_a_real_family(registered):
    assert vendor_for_model("EX200") == "example" and description_for("example") is DESCRIPTION
    inventory, fleet = load_fleet(devices(), DEFAULTS)
    assert [device.vendor for device in fleet] == ["example", "example"]
    files = render_fleet(inventory, fleet)
    by_path = dict((item.path, item) for item in files)
    assert sorted(by_path) == ["ex0011aa000001.cfg", "ex0011aa000002.cfg", "ex100.cfg", "ex200.cfg"]
    assert by_path["ex200.cfg"].content == (b"# Example Phone Co. profile\n"
                                            b"PROFILE_URL=https://prov.example.net/ex/ex{mac}.cfg\n")
    desk = by_path["ex0011aa000002.cfg"]
    assert (desk.device, desk.secret, desk.role) == ("desk", True, "profile")
    # Unencrypted, every file is of the declared plain kind.
    assert set(item.tag for item in files) == {("example", "cfg", ("plain",), None)}
    assert all(item.plaintext is None for item in files)
    assert b"LINE2_PASSWORD=Secret201\n" in desk.content
    # The checks every registered family passes.
    secrets = {"hall": {"Secret100", "AdminSecret1"}, "desk": {"Secret200", "Secret201", "AdminSecret1"}}
    assert description_problems(DESCRIPTION, files, fleet, secrets, {}, sample_parses=SAMPLE_PARSES) == []
    # --diff masks the example's secrets through the registry, like any family's.
    masked = mask_fields(desk.content.decode(), vendor="example")
    assert "Secret201" not in masked and "AdminSecret1" not in masked and "LINE2_USER=201" in masked


def test_registered_example_files_carry_their_declared_kind_and_decode_by_it(registered):
    inventory, fleet = encrypted_fleet()
    assert required_keys(fleet) == {"desk": {"ex_key": 32}}
    files = render_fleet(inventory, fleet)
    by_path = dict((item.path, item) for item in files)
    assert sorted(by_path) == ["ex0011aa000001.cfg", "ex0011aa000002.cfg", "ex0011aa000002.enc", "ex100.cfg", "ex200.cfg"]
    # Every file is tagged with a kind its description declares, and that kind's chain; every kind is rendered.
    for item in files:
        assert item.encoding == DESCRIPTION.encodings[item.kind], item.path
    assert set(item.kind for item in files) == set(DESCRIPTION.encodings)
    profile = by_path["ex0011aa000002.enc"]
    assert profile.tag == ("example", "enc", ("openssl-aes-256-cbc",), "sha256")
    assert (profile.device, profile.secret, profile.role) == ("desk", False, "profile")
    assert b"Secret201" not in profile.content and b"LINE2_PASSWORD=Secret201\n" in profile.plaintext
    # The codec undoes the chain with the device's key and the tagged digest; so does the real openssl.
    assert codec.decode(profile.encoding, profile.content, KEY, profile.digest) == profile.plaintext
    assert openssl_cli.dec(profile.content, password=KEY, digest="sha256")[:2] == (0, profile.plaintext)
    with pytest.raises(CryptoError):
        codec.decode(profile.encoding, profile.content, KEY, "md5")
    # --diff shows it decrypted (by its tag, never by its bytes) and masked.
    shown = text_view(profile.content, {"ex_key": KEY}, profile.tag)
    assert shown == "# (decrypted for display; served encrypted)\n" + profile.plaintext.decode()
    assert "Secret201" not in mask_fields(shown, vendor="example")
    assert "encrypted with a key this run does not hold" in text_view(profile.content, {"ex_key": NEXT_KEY}, profile.tag)
    # The plain key file is the device's key carrier: served only while its bootstrap window is open.
    carrier = by_path["ex0011aa000002.cfg"]
    assert carrier.tag == ("example", "cfg", ("plain",), None) and is_key_carrier(carrier)
    assert carrier.content == (b"# Example Phone Co. profile\nPROFILE_KEY=%s\n"
                               b"PROFILE_URL=https://prov.example.net/ex/ex0011aa000002.enc\n" % KEY.encode())
    assert "PROFILE_KEY=********" in mask_fields(carrier.content.decode(), vendor="example")
    assert not any(is_key_carrier(item) for item in files if item is not carrier)


def test_registered_example_rotation_passes_the_description_checks(registered):
    inventory, fleet = encrypted_fleet()
    dummy, (next_desk,) = load_fleet([dict(devices()[1], settings={"encrypt_profiles": True}, keys={"ex_key": NEXT_KEY})],
                                     DEFAULTS)
    files = render_fleet(inventory, fleet)
    rotation = render_fleet(inventory, fleet, rotations={"desk": next_desk})
    handover = [item for item in rotation if item.delivers_keys]
    assert [item.path for item in handover] == ["ex0011aa000002.cfg"] and NEXT_KEY.encode() in handover[0].content
    moved = [item for item in rotation if item.path == "ex0011aa000002.enc"]
    assert codec.decode(moved[0].encoding, moved[0].content, NEXT_KEY, moved[0].digest) == moved[0].plaintext
    secrets = {"hall": {"Secret100", "AdminSecret1"},
               "desk": {"Secret200", "Secret201", "AdminSecret1", KEY, NEXT_KEY}}
    assert description_problems(DESCRIPTION, files + rotation, fleet, secrets, {}, sample_parses=SAMPLE_PARSES) == []


def test_the_description_check_catches_an_undeclared_secret(registered):
    # Without PROFILE_KEY declared secret, the key file's key would show in --diff: the shared check says so.
    inventory, fleet = encrypted_fleet()
    files = render_fleet(inventory, fleet)
    careless = copy.copy(DESCRIPTION)
    careless.secret_params = frozenset(["ADMIN_PASSWORD"])
    problems = description_problems(careless, files, fleet, {"desk": {KEY}}, {}, sample_parses=SAMPLE_PARSES)
    assert problems == ["example: device desk's file ex0011aa000002.cfg carries 1 secret value(s) in a parameter "
                        "the description does not declare secret"]


def test_registered_example_refuses_what_it_cannot_render(registered):
    with pytest.raises(ProvisioningError, match=r"device hall, field settings.encrypt_profiles: is on, but EX100 reads no"):
        load_fleet(devices()[:1], dict(DEFAULTS, encrypt_profiles=True))
    raw = devices()[0]
    raw["lines"].append({"extension": "101", "password": "Secret101"})
    with pytest.raises(ProvisioningError, match=r"device hall, field lines\[1\]: EX100 has 1 line"):
        load_fleet([raw], DEFAULTS)
    with pytest.raises(ProvisioningError, match=r"device hall, field model: Example Phone Co. does not list model EX300"):
        load_fleet([dict(devices()[0], model="EX300", vendor="example")], DEFAULTS)
    # Hosts and URLs go through the shared _addresses parser, which names the device and the field.
    with pytest.raises(ProvisioningError, match=r"device hall, field settings.provisioning_url: .* must start with one "
                                                r"of http://, https://"):
        load_fleet(devices()[:1], dict(DEFAULTS, provisioning_url="tftp://prov.example.net/ex"))
    with pytest.raises(ProvisioningError, match=r"device hall, field lines\[0\].sip_server: 'pbx_1' is not a host name"):
        load_fleet(devices()[:1], dict(DEFAULTS, sip_server="pbx_1"))


# --- registered, it reaches the roles and the docs with no other file edited ---------------------


def test_registered_example_is_in_the_vendor_facts(registered):
    # What the vendor_facts lookup, hence every role, reads (its views: tests/unit/plugins/lookup/test_example_vendor_lookup.py).
    facts = vendor_facts()
    # After every family registered before it, whichever they are.
    assert list(facts) == REGISTERED_BEFORE + ["example"]
    assert facts["example"] == DESCRIPTION.facts()
    assert facts["example"]["encodings"] == {"cfg": ["plain"], "enc": ["openssl-aes-256-cbc"]}
    assert facts["example"]["device_paths"] == [r"^/(?:[^/]+/)*ex{mac}\.(?:cfg|enc)$"]


def _guide_page_markers():
    """The marker lines the guide tells a new family's page to hold, as written there."""
    lines = [line.strip() for line in guide().split("\n") if "<!-- vendor-facts:facts " in line]
    assert len(lines) == 2 and vendor_tables._BEGIN.match(lines[0]) and vendor_tables._END.match(lines[1]), lines
    return lines


def test_registered_example_gets_its_docs_tables_from_the_generator(registered, tmp_path):
    shutil.copytree(os.path.join(ROOT, "docs"), str(tmp_path / "docs"), symlinks=True)
    page = tmp_path / DESCRIPTION.docs
    stale, problems = vendor_tables.update(str(tmp_path), vendor_facts(), write=False)
    assert problems == ["docs/vendors/example.md: missing (it must hold the blocks facts)"]
    page.write_text("# Example Phone Co.\n\n%s\n" % "\n".join(_guide_page_markers()), encoding="utf-8")
    stale, problems = vendor_tables.update(str(tmp_path), vendor_facts(), write=True)
    assert problems == []
    assert stale == ["docs/roles/dhcp.md", "docs/roles/firmware.md", "docs/roles/http_server.md", "docs/vendors/example.md"]
    generated = page.read_text(encoding="utf-8")
    assert "`ExamplePhone/EX200 2.1.0 0011aabbccdd`" in generated and "`enc`: openssl-aes-256-cbc" in generated
    # A | inside a table cell is written \| (GitHub's escape).
    assert r"`^/(?:[^/]+/)*ex{mac}\.(?:cfg\|enc)$`" in (tmp_path / "docs/roles/http_server.md").read_text(encoding="utf-8")
    assert "| `example` | `ExamplePhone` | prefix | 66 |" in (tmp_path / "docs/roles/dhcp.md").read_text(encoding="utf-8")
    # Once written, the docs are up to date: what the unit test of the tables checks.
    assert vendor_tables.update(str(tmp_path), vendor_facts(), write=False) == ([], [])
