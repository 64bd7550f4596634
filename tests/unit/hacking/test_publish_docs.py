# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""hacking/publish_docs.py without pandoc: page names, links, tables and the docsite index.

The conversion itself (pandoc) and the comparison with the committed pages
run in the publish stage of ./scripts/test (``publish_docs.py --check``).
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.sipfleet.provisioning.hacking import publish_docs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
REPOSITORY = "https://github.com/sipfleet/provisioning"


def links(page, pages=("deploy.md", "keys.md", "roles/dhcp.md", "roles/tftp_server.md")):
    return publish_docs.Links(ROOT, page, list(pages), REPOSITORY + "/")


def test_flat_names():
    assert publish_docs.flat_name("deploy.md") == "deploy"
    assert publish_docs.flat_name("roles/http_server.md") == "roles-http_server"
    assert publish_docs.flat_name("development/adding-a-vendor.md") == "development-adding-a-vendor"


def test_the_pages_are_the_markdown_files_under_docs_not_the_links_nor_the_docsite():
    found = publish_docs.pages(ROOT)
    assert "deploy.md" in found and "roles/dhcp.md" in found and "vendors/yealink.md" in found
    assert "roles-dhcp.md" not in found  # the link Galaxy reads
    assert not [page for page in found if page.startswith("docsite/")]
    assert found == sorted(found)


def test_a_link_to_another_page_becomes_its_label_wherever_the_pages_are():
    prefix = "ansible_collections.sipfleet.provisioning.docsite."
    assert links("deploy.md").target("roles/tftp_server.md") == (prefix + "roles-tftp_server", None)
    assert links("roles/dhcp.md").target("../keys.md#rotation") == (prefix + "keys", None)
    assert links("roles/dhcp.md").target("tftp_server.md") == (prefix + "roles-tftp_server", None)


def test_a_link_to_another_file_points_at_the_repository():
    assert links("deploy.md").target("../examples/") == (None, REPOSITORY + "/tree/main/examples")
    assert links("roles/dhcp.md").target("../../playbooks/deploy.yml") == (
        None, REPOSITORY + "/blob/main/playbooks/deploy.yml")
    assert links("deploy.md").target("../README.md#testing") == (None, REPOSITORY + "/blob/main/README.md#testing")


def test_urls_and_anchors_in_the_page_are_kept():
    for url in ("https://example.com/a.md", "#one-server-per-host", "mailto:x@example.com"):
        assert links("deploy.md").target(url) == (None, url)


def test_a_link_out_of_the_repository_is_an_error():
    with pytest.raises(SystemExit, match="leaves the repository"):
        links("deploy.md").target("../../elsewhere.md")


def cell(text):
    blocks = [{"t": "Plain", "c": [{"t": "Str", "c": text}]}] if text else []
    return [["", [], []], {"t": "AlignDefault"}, 1, 1, blocks]


def row(*texts):
    return [["", [], []], [cell(text) for text in texts]]


def table(head, *body):
    colspecs = [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}] for _column in head]
    return {"t": "Table", "c": [
        ["", [], []], [None, []], colspecs, [["", [], []], [row(*head)]],
        [[["", [], []], 0, [], [row(*line) for line in body]]], [["", [], []], []],
    ]}


def texts(node):
    colspecs, head, bodies = node["c"][2:5]
    rows = head[1] + bodies[0][3]
    return len(colspecs), [[cell_[4][0]["c"][0]["c"] if cell_[4] else "" for cell_ in line[1]] for line in rows]


def test_the_empty_column_between_two_tables_side_by_side_is_dropped():
    side_by_side = table(["model", "lines", "", "model", "lines"], ["A", "1", "", "B", "2"], ["C", "3", "", "", ""])
    assert texts(publish_docs.drop_empty_columns(side_by_side)) == (
        4, [["model", "lines", "model", "lines"], ["A", "1", "B", "2"], ["C", "3", "", ""]])


def test_a_table_whose_columns_all_hold_something_is_unchanged():
    full = table(["a", "", "c"], ["1", "2", ""])
    assert publish_docs.drop_empty_columns(full) == full


def test_nested_markup_and_markdown_looking_literals_become_valid_rst():
    walk = links("deploy.md").walk
    strong_code = {"t": "Strong", "c": [{"t": "Code", "c": [["", [], []], "server"]}]}
    assert walk([strong_code]) == [{"t": "Code", "c": [["", [], []], "server"]}]
    regex = {"t": "Code", "c": [["", [], []], "([- ](Pro|V2))?$"]}
    assert walk([regex]) == [{"t": "RawInline", "c": ["rst", ":literal:`([- ]\\(Pro|V2))?$`"]}]
    comment = {"t": "RawBlock", "c": ["html", "<!-- vendor-facts:facts begin -->"]}
    assert walk([comment]) == []
    page_link = {"t": "Link", "c": [["", [], []], [{"t": "Code", "c": [["", [], []], "tftp_server"]}],
                                    ["roles/tftp_server.md", ""]]}
    assert walk([page_link]) == [{"t": "RawInline", "c": [
        "rst", ":ref:`tftp_server <ansible_collections.sipfleet.provisioning.docsite.roles-tftp_server>`"]}]


def test_the_docsite_index_lists_every_page_in_its_section_guides_in_reading_order():
    pages = ["zeta.md", "keys.md", "deploy.md", "roles/dhcp.md", "vendors/snom.md", "development/adding-a-vendor.md"]
    index = yaml.safe_load(publish_docs.extra_docs(sorted(pages)))
    assert index == {"sections": [
        {"title": "Guides", "toctree": ["deploy", "keys", "zeta"]},
        {"title": "Server role guides", "toctree": ["roles-dhcp"]},
        {"title": "Vendor guides", "toctree": ["vendors-snom"]},
        {"title": "Development", "toctree": ["development-adding-a-vendor"]},
    ]}


def test_a_page_in_a_directory_no_section_lists_is_an_error():
    with pytest.raises(SystemExit, match="no docsite section"):
        publish_docs.section_of("howto/x.md")
