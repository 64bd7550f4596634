# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The devices lookup as group_vars call it."""

from __future__ import annotations

import pytest

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

DEVICE = "{mac: '00:0B:82:00:00:01', model: GXP2170, lines: [{extension: '201'}]}\n"
VAULT_SECRETS = [("default", VaultSecret(b"lookup-test-vault-password"))]


@pytest.fixture
def loader(tmp_path):
    data_loader = DataLoader()
    data_loader.set_basedir(str(tmp_path / "playbooks"))
    data_loader.set_vault_secrets(VAULT_SECRETS)
    return data_loader


def lookup(loader):
    return lookup_loader.get("sipfleet.provisioning.devices", loader=loader, templar=None)


def test_paths_are_relative_to_the_inventory_directory(tmp_path, loader):
    (tmp_path / "inventory" / "devices").mkdir(parents=True)
    (tmp_path / "inventory" / "devices" / "d.yml").write_text(DEVICE)
    devices = lookup(loader).run(["devices/"], variables={"inventory_dir": str(tmp_path / "inventory")})
    assert devices == [{"mac": "000b82000001", "model": "GXP2170", "lines": [{"extension": "201"}]}]


def test_without_an_inventory_directory_paths_are_relative_to_the_playbook(tmp_path, loader):
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "d.yml").write_text(DEVICE)
    assert len(lookup(loader).run(["d.yml"], variables={})) == 1
    assert len(lookup(loader).run(["d.yml"])) == 1


def test_basedir_wins(tmp_path, loader):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "scans.csv").write_text("mac;model\n000b82000002;GXP2160\n")
    devices = lookup(loader).run(["scans.csv"], variables={"inventory_dir": str(tmp_path / "inventory")},
                                 basedir=str(tmp_path / "elsewhere"))
    assert devices == [{"mac": "000b82000002", "model": "GXP2160"}]


def test_passwords_fill_the_lines(tmp_path, loader):
    (tmp_path / "d.yml").write_text(DEVICE)
    devices = lookup(loader).run(["d.yml"], variables={"inventory_dir": str(tmp_path)}, passwords={"201": "secret"})
    assert devices[0]["lines"] == [{"extension": "201", "password": "secret"}]


def test_vaulted_passwords_are_decrypted(tmp_path, loader):
    class Vaulted:
        """Stands for a !vault value: an object that decrypts when made a string."""

        def __str__(self):
            return "from-vault"

    (tmp_path / "d.yml").write_text(DEVICE)
    devices = lookup(loader).run(["d.yml"], variables={"inventory_dir": str(tmp_path)}, passwords={"201": Vaulted()})
    assert devices[0]["lines"][0]["password"] == "from-vault"


def test_vault_encrypted_device_files(tmp_path, loader):
    (tmp_path / "d.yml").write_bytes(VaultLib(VAULT_SECRETS).encrypt(DEVICE))
    devices = lookup(loader).run(["d.yml"], variables={"inventory_dir": str(tmp_path)})
    assert devices[0]["mac"] == "000b82000001"
    # The C YAML parser saw a plain string, not the loader's tagged one.
    assert devices[0]["model"].__class__ is str


def test_errors_are_lookup_errors_naming_file_line_and_field(tmp_path, loader):
    (tmp_path / "scans.csv").write_text("mac,model\n000b82000001,GXP2170\n00:0b:82:00:00:zz,GXP2170\n")
    with pytest.raises(AnsibleLookupError, match=r"^scans\.csv line 3: device 00:0b:82:00:00:zz, field mac: "
                                                 r"'00:0b:82:00:00:zz' is not a MAC address"):
        lookup(loader).run(["scans.csv"], variables={"inventory_dir": str(tmp_path)})


def test_missing_files_are_lookup_errors(tmp_path, loader):
    with pytest.raises(AnsibleLookupError, match=r"^devices does not exist$"):
        lookup(loader).run(["devices"], variables={"inventory_dir": str(tmp_path)})


MARKED = ("{mac: '00:0B:82:00:00:01', model: GXP2170, lines: [{extension: '201', display_name: 'Lobby {#2}',"
          " auth_user: '{% if %}'}]}\n")


def test_values_are_never_templated(tmp_path, loader):
    (tmp_path / "d.yml").write_text(MARKED)
    # A password from a vars file carries Ansible's trust: the lookup drops it.
    passwords = {"201": TrustedAsTemplate().tag("pw{{ secret }}")}
    devices = lookup(loader).run(["d.yml"], variables={"inventory_dir": str(tmp_path)}, passwords=passwords)
    line = devices[0]["lines"][0]
    assert line == {"extension": "201", "display_name": "Lobby {#2}", "auth_user": "{% if %}", "password": "pw{{ secret }}"}
    assert not any(TrustedAsTemplate.is_tagged_on(value) for value in line.values())
    # Through Ansible's templar, as a playbook reads them: kept as written.
    templar = Templar(loader=loader, variables={"fleet": devices, "secret": "S"})
    assert templar.template(TrustedAsTemplate().tag("{{ fleet }}")) == devices
    assert templar.template(TrustedAsTemplate().tag("{{ fleet[0].lines[0].password }}")) == "pw{{ secret }}"


def test_paths_are_relative_to_the_project_directory_when_it_is_set(tmp_path, loader):
    # AWX: the inventory is a generated one in a directory of the job's own;
    # the fleet is in the project's copy.
    (tmp_path / "project" / "fleet").mkdir(parents=True)
    (tmp_path / "project" / "fleet" / "d.yml").write_text(DEVICE)
    (tmp_path / "job-inventory" / "fleet").mkdir(parents=True)
    (tmp_path / "job-inventory" / "fleet" / "other.yml").write_text(DEVICE.replace("00:01", "00:99"))
    variables = {"inventory_dir": str(tmp_path / "job-inventory"), "sipfleet_project_dir": str(tmp_path / "project")}
    devices = lookup(loader).run(["fleet/"], variables=variables)
    assert [device["mac"] for device in devices] == ["000b82000001"]


def test_a_templated_project_directory_is_rendered(tmp_path, loader):
    # As the example inventory sets it: the directory above the inventory.
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "d.yml").write_text(DEVICE)
    variables = {"inventory_dir": str(tmp_path / "inventory"),
                 "sipfleet_project_dir": TrustedAsTemplate().tag("{{ inventory_dir | dirname }}")}
    templar = Templar(loader=loader, variables=variables)
    devices = lookup_loader.get("sipfleet.provisioning.devices", loader=loader, templar=templar).run(
        ["fleet/"], variables=variables)
    assert [device["mac"] for device in devices] == ["000b82000001"]


def test_a_project_directory_that_is_not_a_path_is_an_error_naming_it(tmp_path, loader):
    with pytest.raises(AnsibleLookupError, match=r"^sipfleet_project_dir must be the path of the project's directory"):
        lookup(loader).run(["fleet/"], variables={"inventory_dir": str(tmp_path), "sipfleet_project_dir": ["x"]})


def test_the_basedir_option_wins_over_the_project_directory(tmp_path, loader):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "d.yml").write_text(DEVICE)
    devices = lookup(loader).run(["d.yml"], variables={"sipfleet_project_dir": str(tmp_path / "project")},
                                 basedir=str(tmp_path / "elsewhere"))
    assert len(devices) == 1
