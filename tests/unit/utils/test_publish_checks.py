# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tests/utils/publish_checks.py: what makes the publish stage fail on a tarball, galaxy-importer's log and result."""

from __future__ import annotations

import io
import json
import os
import tarfile

from ansible_collections.sipfleet.provisioning.tests.utils import publish_checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def tarball(tmp_path, names):
    path = tmp_path / "sipfleet-provisioning-1.0.0.tar.gz"
    with tarfile.open(str(path), "w:gz") as archive:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))
    return str(path)


def test_a_tarball_with_what_users_need_and_nothing_else_passes(tmp_path):
    assert publish_checks.check_tarball(tarball(tmp_path, publish_checks.NEEDED + ("plugins/modules/x.py",))) == []


def test_developer_only_directories_and_missing_files_are_each_named(tmp_path):
    names = [name for name in publish_checks.NEEDED if name != "changelogs/changelog.yaml"]
    problems = publish_checks.check_tarball(tarball(tmp_path, names + ["lab/setup.sh", "tests/unit/x.py"]))
    assert problems == ["the tarball holds lab/", "the tarball holds tests/", "the tarball lacks changelogs/changelog.yaml"]


def write_log(tmp_path, lines):
    path = tmp_path / "importer.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_warning_or_an_unfinished_import_fails_the_log_check(tmp_path):
    done = "Importer processing completed successfully"
    assert publish_checks.check_galaxy_log(write_log(tmp_path, ["Loading plugins", done])) == []
    warning = "WARNING: roles/x/tasks/main.yml:3: name[missing]: All tasks should be named."
    assert publish_checks.check_galaxy_log(write_log(tmp_path, [warning, done])) == [warning]
    assert publish_checks.check_galaxy_log(write_log(tmp_path, ["Loading plugins"])) == [
        "galaxy-importer did not complete"]


def test_every_page_under_docs_must_be_rendered_by_galaxy(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    pages = publish_checks.docs_pages()
    assert "deploy.md" in pages and "roles/dhcp.md" in pages
    result = tmp_path / "importer_result.json"
    rendered = [{"name": page.replace("/", "-")} for page in pages]
    result.write_text(json.dumps({"docs_blob": {"documentation_files": rendered}}))
    assert publish_checks.check_galaxy_docs(str(result)) == []
    result.write_text(json.dumps({"docs_blob": {"documentation_files": [r for r in rendered if r["name"] != "roles-dhcp.md"]}}))
    assert publish_checks.check_galaxy_docs(str(result)) == [
        "Galaxy does not render docs/roles/dhcp.md (run hacking/publish_docs.py)"]
