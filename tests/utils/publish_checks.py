# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks of the publish stage of ./scripts/test on what users and Galaxy get.

``tarball TARBALL``: the built collection holds what users, ansible-builder
and the docsite read, and nothing that runs only from a checkout.

``galaxy-docs IMPORTER_RESULT``: galaxy-importer's result renders every
Markdown page under ``docs/`` (Galaxy shows only the files directly in
``docs/``; hacking/publish_docs.py links the others there).

``galaxy-log LOG``: galaxy-importer's log has no warning or error (it logs
ansible-lint's and ansible-doc's findings as warnings and still succeeds).

Each prints what it found wrong and exits 1, or prints a summary and exits 0.
Run from the collection's root.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import tarfile

#: Top-level paths that run only from a checkout (./scripts/test, the lab, benchmarks, generators, CI).
DEVELOPER_ONLY = ("bench", "hacking", "lab", "scripts", "tests", ".ci")

#: What users, ansible-builder and the docsite read from the tarball.
NEEDED = (
    "README.md",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "changelogs/changelog.yaml",
    "docs/docsite/extra-docs.yml",
    "docs/docsite/links.yml",
)


def check_tarball(path):
    with tarfile.open(path) as archive:
        members = archive.getmembers()
    names = {member.name for member in members}
    problems = ["holds %s/" % top for top in sorted({name.split("/")[0] for name in names} & set(DEVELOPER_ONLY))]
    problems += ["lacks %s" % name for name in NEEDED if name not in names]
    files = [member for member in members if not member.isdir()]
    print("%s: %d files, %d bytes" % (os.path.basename(path), len(files), os.path.getsize(path)))
    return ["the tarball " + problem for problem in problems]


def docs_pages(root="."):
    """Every Markdown page under docs/, as hacking/publish_docs.py finds the pages it publishes."""
    # Loaded by path: hacking/ is no package, and the two must agree on what a page is.
    spec = importlib.util.spec_from_file_location("publish_docs", os.path.join(root, "hacking", "publish_docs.py"))
    publish_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish_docs)
    return publish_docs.pages(root)


def check_galaxy_docs(result_path):
    with open(result_path, encoding="utf-8") as handle:
        rendered = {doc["name"] for doc in json.load(handle)["docs_blob"]["documentation_files"]}
    pages = docs_pages()
    missing = [page for page in pages if page.replace("/", "-") not in rendered]
    print("galaxy-importer rendered %d of the %d pages under docs/" % (len(pages) - len(missing), len(pages)))
    problems = ["Galaxy does not render docs/%s (run hacking/publish_docs.py)" % page for page in missing]
    return problems or ([] if pages else ["no page under docs/"])


def check_galaxy_log(log_path):
    with open(log_path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    problems = [line for line in lines if re.match(r"(WARNING|ERROR|CRITICAL)\b", line)]
    if "Importer processing completed successfully" not in lines:
        problems.append("galaxy-importer did not complete")
    return problems


def main(argv):
    checks = {"tarball": check_tarball, "galaxy-docs": check_galaxy_docs, "galaxy-log": check_galaxy_log}
    if len(argv) != 2 or argv[0] not in checks:
        raise SystemExit("usage: publish_checks.py {%s} PATH" % ",".join(checks))
    problems = checks[argv[0]](argv[1])
    for problem in problems:
        print("publish: %s" % problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
