# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The server roles install python3-cryptography, which phone_profiles needs on the hosts they set up.

playbooks/deploy.yml runs tftp_server and http_server on the provisioning
hosts before profiles.yml runs phone_profiles there; either may be the only
server (sipfleet_servers). The package list of each role's apt task is
templated from the role's defaults and vars, as Ansible would.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

ROLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "roles")


def load(*path):
    with open(os.path.join(ROLES, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def installed_packages(role, inventory=None):
    """The packages the ``ansible.builtin.apt`` task of ``role``'s tasks/main.yml installs, templated."""
    tasks = [task for task in load(role, "tasks", "main.yml") if "ansible.builtin.apt" in task]
    assert len(tasks) == 1, "%s: one apt task expected, got %d" % (role, len(tasks))
    variables = dict(load(role, "defaults", "main.yml"), **load(role, "vars", "main.yml"))
    variables.update(inventory or {})
    name = tasks[0]["ansible.builtin.apt"]["name"]
    if isinstance(name, str):
        name = Templar(loader=DataLoader(), variables=variables).template(TrustedAsTemplate().tag(name))
    return [name] if isinstance(name, str) else list(name)


@pytest.mark.parametrize("role, server", [("tftp_server", "tftpd-hpa"), ("http_server", "nginx")])
def test_the_server_roles_install_python3_cryptography(role, server):
    packages = installed_packages(role)
    assert server in packages and "python3-cryptography" in packages, packages


def test_an_inventorys_http_server_packages_keep_python3_cryptography():
    packages = installed_packages("http_server", {"http_server_packages": ["nginx-light"]})
    assert packages == ["nginx-light", "python3-cryptography"]
