# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The roles take their vendor facts from the vendor descriptions, never from lists of their own."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = os.path.join(ROOT, "roles")

#: ``{role: {variable: lookup term}}``: the defaults that must come from the lookup.
LOOKUP_DEFAULTS = {
    "http_server": {"http_server_device_file_patterns": "device_paths",
                    "http_server_client_mac_patterns": "client_certificate_mac"},
    "dhcp": {"dhcp_vendor_match": "dhcp_vendor_match"},
}


def load(*path):
    with open(os.path.join(ROLES, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def declared_strings():
    """Every pattern and option 60 string a description declares, and the vendor names."""
    strings = set(DESCRIPTIONS)
    for description in DESCRIPTIONS.values():
        strings.update(description.device_paths)
        strings.update(description.client_certificate_mac)
        strings.update(description.dhcp.vendor_class)
        strings.update(description.dhcp.ouis)
        strings.update(agent.pattern for agent in description.user_agents)
    return strings


def options(spec):
    """Every option of an argument spec, suboptions included, as ``(name, option)``."""
    for name, option in (spec or {}).items():
        yield name, option
        yield from options(option.get("options"))


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in list(value) + list(value.values()):
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


@pytest.mark.parametrize("role", sorted(name for name in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, name))))
def test_argument_specs_spell_out_no_vendor_fact(role):
    # A static list (choices: [grandstream, ...], a default of patterns) would
    # drift from the descriptions as soon as a vendor is added: the vendors
    # and their facts come from the vendor_facts lookup, checked in tasks.
    path = os.path.join(ROLES, role, "meta", "argument_specs.yml")
    if not os.path.exists(path):
        pytest.skip("no argument spec")
    declared = declared_strings()
    for entry_point, spec in load(role, "meta", "argument_specs.yml")["argument_specs"].items():
        for name, option in options(spec.get("options")):
            for key in ("choices", "default"):
                found = declared.intersection(strings_in(option.get(key)))
                assert not found, "%s %s: %s of %s spells out %s" % (role, entry_point, key, name, sorted(found))


@pytest.mark.parametrize("role, variables", sorted(LOOKUP_DEFAULTS.items()))
def test_defaults_are_the_lookup(role, variables):
    defaults = load(role, "defaults", "main.yml")
    templar = Templar(loader=DataLoader())
    for variable, term in variables.items():
        assert defaults[variable] == "{{ lookup('sipfleet.provisioning.vendor_facts', '%s') }}" % term
        expected = templar.template(TrustedAsTemplate().tag("{{ query('sipfleet.provisioning.vendor_facts', '%s') }}" % term))
        assert templar.template(TrustedAsTemplate().tag(defaults[variable])) == expected[0]


def collections_path():
    parent = os.path.dirname(os.path.dirname(ROOT))
    if os.path.basename(parent) != "ansible_collections":
        pytest.skip("the collection is not under an ansible_collections directory")
    return os.path.dirname(parent)


def run_role(tmp_path, role, role_vars):
    """Runs ``role`` on localhost with ``role_vars``; ``(return code, output)``."""
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"ansible.builtin.include_role": {"name": "sipfleet.provisioning.%s" % role}, "vars": role_vars}],
    }]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=300, check=False)
    return result.returncode, result.stdout


def failure_messages(output):
    """The ``msg`` of each failed task in ``output``."""
    messages = []
    for line in output.split("\n"):
        if line.startswith(("fatal: ", "failed: ")) and "=> " in line:
            messages.append(json.loads(line.split("=> ", 1)[1])["msg"])
    return messages


def test_firmware_refuses_an_unknown_vendor_naming_the_image_and_the_known_ones(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "image.bin").write_bytes(b"firmware")
    image = {"name": "acme-fw", "vendor": "acme", "src": str(tmp_path / "image.bin"),
             "sha256": hashlib.sha256(b"firmware").hexdigest()}
    code, output = run_role(tmp_path, "firmware", {"firmware_tftp_root": str(tmp_path / "root"),
                                                   "firmware_images": [dict(image, vendor="panasonic", file="other.bin"), image]})
    assert code != 0, output
    assert failure_messages(output) == ['firmware_images[1] (acme-fw): vendor "acme" is not one of %s'
                                        % ", ".join(DESCRIPTIONS)], output
    assert os.listdir(str(tmp_path / "root")) == []


def test_firmware_takes_prefix_only_for_families_whose_images_it_names(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "image.bin").write_bytes(b"firmware")
    versioned = [name for name, description in DESCRIPTIONS.items() if description.firmware.versioned_name]
    other = [name for name, description in DESCRIPTIONS.items() if not description.firmware.versioned_name][0]
    image = {"name": "fw", "vendor": other, "src": str(tmp_path / "image.bin"), "prefix": "x_",
             "sha256": hashlib.sha256(b"firmware").hexdigest()}
    code, output = run_role(tmp_path, "firmware", {"firmware_tftp_root": str(tmp_path / "root"),
                                                   "firmware_images": [image]})
    assert code != 0, output
    assert failure_messages(output) == [
        "firmware_images[0] (fw): prefix and postfix name the images of %s (the devices' firmware_prefix and "
        "firmware_postfix); %s phones take the image under its own name" % (", ".join(versioned), other)], output


def test_dhcp_refuses_an_unknown_vendor_naming_the_entry_and_the_known_ones(tmp_path):
    code, output = run_role(tmp_path, "dhcp", {
        "dhcp_mode": "options", "dhcp_backend": "dnsmasq", "dhcp_manage_package": False, "dhcp_manage_service": False,
        "dhcp_dnsmasq_config_file": str(tmp_path / "dnsmasq.conf"), "dhcp_fragment_checker": str(tmp_path / "check"),
        "dhcp_vendor_classes": [{"vendor": "grandstream", "option_66": "http://192.0.2.1/"},
                                {"name": "acmephones", "vendor": "acme", "option_66": "http://192.0.2.1/"}]})
    assert code != 0, output
    assert failure_messages(output) == ["dhcp_vendor_classes[1] (acmephones): vendor \"acme\" is not one of %s, the "
                                        "vendors of dhcp_vendor_match" % ", ".join(DESCRIPTIONS)], output
    assert not (tmp_path / "dnsmasq.conf").exists()


def test_dhcp_refuses_a_hex_prefix_match_that_is_not_hex_bytes_naming_the_entry_and_the_strings(tmp_path):
    # Poly's option 60 is binary: a hex-prefix match holds its leading bytes
    # as lower-case hex digits, which the templates write as they are.
    code, output = run_role(tmp_path, "dhcp", {
        "dhcp_mode": "options", "dhcp_backend": "dnsmasq", "dhcp_manage_package": False, "dhcp_manage_service": False,
        "dhcp_dnsmasq_config_file": str(tmp_path / "dnsmasq.conf"), "dhcp_fragment_checker": str(tmp_path / "check"),
        "dhcp_vendor_classes": [{"vendor": "grandstream", "option_66": "http://192.0.2.1/"},
                                {"vendor": "poly", "option_66": "http://192.0.2.1/"},
                                {"name": "polyphones", "match": ["0000363d", "00:00:36:3D", "0000363", "00"],
                                 "match_type": "hex-prefix", "option_66": "http://192.0.2.1/"}]})
    assert code != 0, output
    assert failure_messages(output) == [
        'dhcp_vendor_classes[2] (polyphones): a hex-prefix match is the leading bytes of option 60 as lower-case hex '
        'digits, two or more bytes without separators (Poly: 0000363d), not "00:00:36:3D", "0000363", "00"'], output
    assert not (tmp_path / "dnsmasq.conf").exists()


def test_dhcp_refuses_an_oui_that_is_not_6_lower_case_hex_digits_naming_the_entry_and_the_strings(tmp_path):
    # The templates write an OUI as it is, in three syntaxes; an override of
    # Yealink's (dhcp_vendor_match) is checked like an entry's own.
    code, output = run_role(tmp_path, "dhcp", {
        "dhcp_mode": "options", "dhcp_backend": "dnsmasq", "dhcp_manage_package": False, "dhcp_manage_service": False,
        "dhcp_dnsmasq_config_file": str(tmp_path / "dnsmasq.conf"), "dhcp_fragment_checker": str(tmp_path / "check"),
        "dhcp_vendor_match": {"yealink": {"match": [], "match_type": None, "ouis": ["001565", "80:5E:0C"]}},
        "dhcp_vendor_classes": [{"vendor": "yealink", "option_66": "http://192.0.2.1/"},
                                {"name": "polyphones", "match": ["0000363d"], "match_type": "hex-prefix",
                                 "ouis": ["0004f2", "0004F2", "0004f", "00:04:f2", "0004f2\n"],
                                 "option_66": "http://192.0.2.1/"}]})
    assert code != 0, output
    assert failure_messages(output) == [
        'dhcp_vendor_classes[0] (yealink): an OUI is the first three bytes of the MAC address as 6 lower-case hex '
        'digits without separators (Yealink: 001565), not "80:5E:0C"',
        'dhcp_vendor_classes[1] (polyphones): an OUI is the first three bytes of the MAC address as 6 lower-case hex '
        'digits without separators (Yealink: 001565), not "0004F2", "0004f", "00:04:f2", "0004f2\\n"'], output
    assert not (tmp_path / "dnsmasq.conf").exists()


def test_dhcp_takes_yealink_s_ouis_unless_an_entry_sets_its_own(tmp_path):
    # An entry of vendor yealink without ouis matches the declared OUIs; with
    # ouis: [] and no match it has nothing to match and is refused.
    role_vars = {
        "dhcp_mode": "options", "dhcp_backend": "dnsmasq", "dhcp_manage_package": False, "dhcp_manage_service": False,
        "dhcp_dnsmasq_config_file": str(tmp_path / "dnsmasq.conf"), "dhcp_fragment_checker": "/bin/true",
        "dhcp_vendor_classes": [{"vendor": "yealink", "option_66": "http://192.0.2.1/"},
                                {"name": "lab", "vendor": "yealink", "ouis": ["0004f2"], "option_66": "http://192.0.2.2/"}]}
    code, output = run_role(tmp_path, "dhcp", role_vars)
    assert code == 0, output
    lines = (tmp_path / "dnsmasq.conf").read_text().split("\n")
    assert [line for line in lines if line.startswith("dhcp-mac=")] == (
        ["dhcp-mac=set:sipfleet_yealink,%s:%s:%s:*:*:*" % (oui[0:2], oui[2:4], oui[4:6])
         for oui in DESCRIPTIONS["yealink"].dhcp.ouis] + ["dhcp-mac=set:sipfleet_lab,00:04:f2:*:*:*"])
    assert not [line for line in lines if line.startswith("dhcp-match=")]
    code, output = run_role(tmp_path, "dhcp", dict(role_vars, dhcp_vendor_classes=[
        {"vendor": "yealink", "ouis": [], "option_66": "http://192.0.2.1/"}]))
    assert code != 0, output
    assert "dhcp_vendor_classes[0] (yealink) is invalid" in failure_messages(output)[0], output
