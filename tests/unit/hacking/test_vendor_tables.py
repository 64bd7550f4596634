# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The docs' vendor tables: generated from the vendor descriptions, and up to date."""

from __future__ import annotations

import copy
import os
import shutil

import pytest

from ansible_collections.sipfleet.provisioning.hacking import vendor_tables
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS, vendor_facts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def block(text, name):
    """The lines between the markers of block ``name`` in ``text``."""
    lines = text.split("\n")
    begin = next(index for index, line in enumerate(lines) if line.startswith("<!-- vendor-facts:%s begin" % name))
    end = lines.index("<!-- vendor-facts:%s end -->" % name)
    return lines[begin + 1:end]


def read(page):
    with open(os.path.join(ROOT, page), encoding="utf-8") as handle:
        return handle.read()


def test_the_committed_docs_are_up_to_date():
    # Fails after a description changed without running hacking/vendor_tables.py.
    stale, problems = vendor_tables.update(ROOT, vendor_facts(), write=False)
    assert problems == []
    assert stale == [], "out of date (run python3 hacking/vendor_tables.py): %s" % ", ".join(stale)


def test_every_family_s_facts_are_in_the_tables():
    device_paths = "\n".join(block(read("docs/roles/http_server.md"), "device-paths"))
    dhcp = "\n".join(block(read("docs/roles/dhcp.md"), "dhcp-vendor-match"))
    firmware = "\n".join(block(read("docs/roles/firmware.md"), "firmware-naming"))
    for name, description in DESCRIPTIONS.items():
        row = [line for line in device_paths.split("\n") if "(`%s`)" % name in line]
        assert len(row) == 1, name
        for pattern in description.device_paths + description.client_certificate_mac:
            # A | inside a table cell is written \| (GitHub's escape).
            assert "`%s`" % pattern.replace("|", "\\|") in row[0], (name, pattern)
        for text in description.dhcp.vendor_class:
            assert "`%s`" % text in dhcp, (name, text)
        for oui in description.dhcp.ouis:
            assert "`%s`" % oui in dhcp, (name, oui)
        assert "| `%s` |" % name in firmware
        facts = "\n".join(block(read(description.docs), "facts"))
        for oui in description.dhcp.ouis:
            assert "`%s`" % oui in facts, (name, oui)
        assert "_vendors/%s/description.py" % name in facts
        assert "`%s`" % description.notify.event in facts
        for agent in description.user_agents:
            assert "`%s`" % agent.sample in facts


def test_the_http_credentials_table_has_the_declaring_families_only():
    table = block(read("docs/roles/http_server.md"), "http-credentials")
    for name, description in DESCRIPTIONS.items():
        rows = [line for line in table if "(`%s`)" % name in line]
        credentials = description.http_credentials
        if credentials is None:
            assert rows == [], name
            assert "per-device HTTP credentials" not in "\n".join(block(read(description.docs), "facts")), name
            continue
        assert len(rows) == 1, name
        for pattern in credentials.paths + credentials.bootstrap_paths:
            assert "`%s`" % pattern.replace("|", "\\|") in rows[0], (name, pattern)
        assert "`%s`: true" % credentials.setting in rows[0]
        facts = "\n".join(block(read(description.docs), "facts"))
        assert "per-device HTTP credentials (with `%s: true`)" % credentials.setting in facts, name


def test_a_changed_fact_makes_the_docs_stale(tmp_path):
    root = tmp_path / "collection"
    shutil.copytree(os.path.join(ROOT, "docs"), str(root / "docs"), symlinks=True)
    shutil.copy(os.path.join(ROOT, "README.md"), str(root / "README.md"))
    facts = copy.deepcopy(vendor_facts())
    # A family's device files dropped, as if its description lost them.
    facts["panasonic"]["device_paths"] = []
    stale, problems = vendor_tables.update(str(root), facts, write=False)
    assert problems == []
    assert stale == ["docs/roles/http_server.md", "docs/vendors/panasonic.md"]
    # --check says so and writes nothing; a run writes it, then --check passes.
    assert vendor_tables.main(["--check", "--root", str(root)]) == 0
    before = (root / "docs/roles/http_server.md").read_text()
    stale, problems = vendor_tables.update(str(root), facts)
    assert stale == ["docs/roles/http_server.md", "docs/vendors/panasonic.md"]
    assert (root / "docs/roles/http_server.md").read_text() != before
    assert vendor_tables.main(["--check", "--root", str(root)]) == 1
    assert vendor_tables.main(["--root", str(root)]) == 0
    assert vendor_tables.main(["--check", "--root", str(root)]) == 0
    assert (root / "docs/roles/http_server.md").read_text() == before


def test_a_removed_block_is_an_error(tmp_path):
    root = tmp_path / "collection"
    shutil.copytree(os.path.join(ROOT, "docs"), str(root / "docs"), symlinks=True)
    page = root / "docs/vendors/grandstream.md"
    page.write_text(page.read_text().replace("<!-- vendor-facts:facts", "<!-- removed"))
    stale, problems = vendor_tables.update(str(root), vendor_facts(), write=False)
    assert problems == ["docs/vendors/grandstream.md: has no facts block"]
    assert vendor_tables.main(["--check", "--root", str(root)]) == 1


def test_blocks_are_replaced_between_their_markers_only():
    text = "\n".join([
        "# Title",
        "<!-- vendor-facts:dhcp-vendor-match begin: generated -->",
        "stale text",
        "<!-- vendor-facts:dhcp-vendor-match end -->",
        "after",
    ])
    new_text, names = vendor_tables.update_text(text, vendor_facts())
    assert names == ["dhcp-vendor-match"]
    lines = new_text.split("\n")
    assert lines[:2] == text.split("\n")[:2]
    assert lines[-2:] == text.split("\n")[-2:]
    assert "stale text" not in new_text
    assert lines[2] == "| vendor | match | type | options the phones read | MAC prefixes (`ouis`) | source |"
    assert vendor_tables.update_text(new_text, vendor_facts()) == (new_text, names)


@pytest.mark.parametrize("text, message", [
    ("<!-- vendor-facts:nonesuch begin -->\n<!-- vendor-facts:nonesuch end -->", "unknown block 'nonesuch'"),
    ("<!-- vendor-facts:device-paths begin -->\nno end", "block device-paths has no end marker"),
    ("text\n<!-- vendor-facts:device-paths end -->", "line 2: <!-- vendor-facts:device-paths end --> without its begin"),
    ("<!-- vendor-facts:device-paths begin -->\n<!-- vendor-facts:facts end -->",
     "block device-paths ends with the end marker of facts"),
    ("<!-- vendor-facts:facts begin -->\n<!-- vendor-facts:facts end -->", "a facts block belongs on a vendor family"),
])
def test_broken_markers_are_refused(text, message):
    with pytest.raises(vendor_tables.BlockError, match=message):
        vendor_tables.update_text(text, vendor_facts())


def test_cells_keep_the_table_whole():
    facts = copy.deepcopy(vendor_facts())
    name = next(iter(facts))
    facts[name]["firmware"]["naming"] = "prefix | name <version>"
    lines = vendor_tables.render("firmware-naming", facts)
    row = [line for line in lines if line.startswith("| `%s` |" % name)][0]
    assert "prefix \\| name &lt;version&gt;" in row
    # Every row has as many unescaped cell separators as the header.
    assert len({line.replace("\\|", "").count("|") for line in lines}) == 1
