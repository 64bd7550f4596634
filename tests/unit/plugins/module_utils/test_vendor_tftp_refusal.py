# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The egrep forms of the files that need per-device HTTP credentials, which a TFTP server refuses.

TFTP carries no credentials: a TFTP server serving the root nginx protects
must refuse exactly the files the Python ``paths`` protect, and keep serving
everything else (the fleet-wide ``000000000000`` files, the bootstrap files,
the other families' files). The egrep forms are read by Python's ``re`` and
by the real ``grep -E -i`` (tftpd-hpa's map file reads them as POSIX ERE,
case-insensitively with the ``i`` flag), over the same sample names.
"""

from __future__ import annotations

import inspect
import re
import shutil
import subprocess

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import (
    MAC_PATTERN,
    TFTP_MAC_ERE,
    HttpCredentialsFacts,
    VendorDescription,
    check_description,
    tftp_path_ere,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS

FAMILIES = ("yealink", "poly", "snom", "fanvil")

MACS = ["00156574b150", "00156574B150", "0004f2aa0001", "0004F2AA0001", "000413A11FA7", "805e0c1d654e", "000000000001",
        "100000000000", "0000000000f0", "00000000000A", "ffffffffffff"]
# Every name a family of the collection serves or a phone asks for, and near misses.
NAMES = ["{mac}.cfg", "{mac}_Security.enc", "{mac}.boot", "{mac}-bootstrap.cfg", "{mac}-sipfleet.cfg",
         "{mac}-phone.cfg", "{mac}-web.cfg", "{mac}-license.xml", "{mac}-directory.xml", "{mac}-app.log",
         "{mac}-boot.log", "{mac}-sipfleet.xml", "{mac}-sipfleet.cfg.bak", "{mac}.cfg.bak", "{mac}-other.cfg",
         "{mac}.xml", "cfg{mac}", "cfg{mac}.xml", "spa{mac}.xml", "Config{mac}.cfg", "config{mac}.enc",
         "x{mac}.cfg", "{mac}x.cfg", "{mac}0.cfg", "{mac}.cfgx", "{mac}_security.ENC", "{mac}.CFG",
         "snom-{mac}.xml", "SNOM-{mac}.XML", "snom-{mac}-bootstrap.xml", "snomD785-{mac}.htm", "xsnom-{mac}.xml",
         "snom-{mac}.xml.bak"]
FLEET_WIDE = ["000000000000.cfg", "000000000000-sipfleet.cfg", "000000000000-phone.cfg", "000000000000-bootstrap.cfg",
              "000000000000_Security.enc", "000000000000.boot", "y000000000108.cfg", "y000000000028.cfg",
              "sipfleet-common.cfg", "sip.ld", "0000000000000.cfg", "00000000000.cfg", "00000000000g.cfg",
              "snom-000000000000.xml", "snomD785.htm", "snomD785.xml", "snomD785-firmware.xml",
              "00156574b15.cfg", "00156574b1500.cfg"]
DIRECTORIES = ["", "/", "sub/", "/sub/", "a/b/", "/a/b/"]


def samples():
    names = [name.format(mac=mac) for mac in MACS for name in NAMES] + FLEET_WIDE
    return [directory + name for directory in DIRECTORIES for name in names]


def python_protects(patterns, path):
    """Whether the Python ``paths`` protect ``path`` (nginx sees it with a leading /)."""
    uri = path if path.startswith("/") else "/" + path
    return any(re.search(pattern.replace("{mac}", MAC_PATTERN), uri, re.IGNORECASE) for pattern in patterns)


def re_refuses(eres, path):
    """Whether tftpd-hpa's rules (search, case-insensitive) refuse ``path``, read by Python's ``re``."""
    return any(re.search(ere, path, re.IGNORECASE) for ere in eres)


def grep_refused(eres, paths):
    """The ``paths`` the real ``grep -E -i`` matches with ``eres`` (one path a line, as tftpd-hpa matches each name)."""
    arguments = ["grep", "-E", "-i"]
    for ere in eres:
        arguments += ["-e", ere]
    result = subprocess.run(arguments, input="\n".join(paths) + "\n", capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    return set(result.stdout.splitlines())


needs_grep = pytest.mark.skipif(shutil.which("grep") is None, reason="grep is not installed")


# --- the zero-MAC exclusion ----------------------------------------------------------------------


def test_the_mac_ere_is_twelve_hex_digits_but_not_all_zero():
    mac = re.compile("^%s$" % TFTP_MAC_ERE, re.IGNORECASE)
    assert mac.match("000000000000") is None
    for position in range(12):
        for digit in "123456789abcdefABCDEF":
            assert mac.match("0" * position + digit + "0" * (11 - position)), (position, digit)
    for text in ("00000000000", "0000000000000", "00000000000g", "00156574b15", "-00156574b15"):
        assert mac.match(text) is None, text
    assert mac.match("ffffffffffff") and mac.match("00156574B150")
    # Plain ERE: no look-around, no non-capturing group.
    assert "(?" not in TFTP_MAC_ERE


@needs_grep
def test_grep_reads_the_mac_ere_as_python_does():
    texts = ["000000000000", "00000000000a", "0a0000000000", "a00000000000", "00156574B150", "0000000000000",
             "00000000000", "00000000000g"] + ["0" * position + "1" + "0" * (11 - position) for position in range(12)]
    found = grep_refused(["^%s$" % TFTP_MAC_ERE], texts)
    assert found == set(text for text in texts if re.match("^%s$" % TFTP_MAC_ERE, text, re.IGNORECASE))
    assert "000000000000" not in found and "0a0000000000" in found


# --- the families' egrep forms refuse exactly what the Python paths protect ----------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_python_re_refuses_exactly_the_protected_files(family):
    declared = DESCRIPTIONS[family].http_credentials
    eres = [tftp_path_ere(pattern) for pattern in declared.tftp_paths]
    protected = 0
    for path in samples():
        assert re_refuses(eres, path) == python_protects(declared.paths, path), path
        protected += python_protects(declared.paths, path)
    assert protected > 100  # the samples do exercise the protected files


@needs_grep
@pytest.mark.parametrize("family", FAMILIES)
def test_grep_refuses_exactly_the_protected_files(family):
    declared = DESCRIPTIONS[family].http_credentials
    eres = [tftp_path_ere(pattern) for pattern in declared.tftp_paths]
    paths = samples()
    assert grep_refused(eres, paths) == set(path for path in paths if python_protects(declared.paths, path))


@pytest.mark.parametrize("path, family", [
    ("00156574B150.cfg", "yealink"), ("00156574b150.cfg", "yealink"), ("sub/00156574b150.cfg", "yealink"),
    ("/00156574b150_Security.enc", "yealink"), ("/0004f2aa0001-sipfleet.cfg", "poly"),
    ("0004F2AA0001-phone.cfg", "poly"), ("0004f2aa0001-app.log", "poly"), ("snom-000413A11FA7.xml", "snom"),
    ("sub/snom-000413a11fa7.xml", "snom"),
])
def test_the_named_files_are_refused(path, family):
    eres = [tftp_path_ere(pattern) for pattern in DESCRIPTIONS[family].http_credentials.tftp_paths]
    assert re_refuses(eres, path)


@pytest.mark.parametrize("path", ["000000000000.cfg", "000000000000-sipfleet.cfg", "y000000000108.cfg",
                                  "00156574b150.boot", "00156574b150-bootstrap.cfg", "0004f2aa0001-bootstrap.cfg",
                                  "cfg000b82123456.xml", "sipfleet-common.cfg", "spa000e08000001.xml",
                                  "000e08000002.xml", "snomD785-000413A11FA7.htm", "snom-000413A11FA7-bootstrap.xml",
                                  "snomD785.xml"])
def test_the_open_files_stay_served(path):
    eres = [tftp_path_ere(pattern) for family in FAMILIES for pattern in DESCRIPTIONS[family].http_credentials.tftp_paths]
    assert not re_refuses(eres, path)


@needs_grep
def test_names_nginx_would_normalise_are_refused_too():
    """A TFTP name is not normalised: ``//x``, ``./x`` or ``sub/../x`` open x; the rules anchor at the last ``/``."""
    eres = [tftp_path_ere(pattern) for family in FAMILIES for pattern in DESCRIPTIONS[family].http_credentials.tftp_paths]
    odd = ["//00156574b150.cfg", "./00156574b150.cfg", "sub/../00156574b150.cfg", ".//0004f2aa0001-sipfleet.cfg",
           "a//b/0004F2AA0001-web.cfg"]
    assert all(re_refuses(eres, path) for path in odd)
    assert grep_refused(eres, odd) == set(odd)


# --- against what the collection renders ---------------------------------------------------------

DEVICES = [
    {"name": "yl-desk", "mac": "00:15:65:74:b1:50", "model": "T46U", "lines": [{"extension": "201", "password": "Sip-201"}],
     "keys": {"http_password": "0123456789abcdef0123456789abcdef"}},
    {"name": "po-desk", "mac": "00:04:f2:aa:00:01", "model": "VVX410", "lines": [{"extension": "501", "password": "Sip-501"}],
     "keys": {"http_password": "fedcba9876543210fedcba9876543210"}},
    {"name": "gs-desk", "mac": "00:0b:82:12:34:56", "model": "GXP2170", "lines": [{"extension": "601", "password": "Sip-601"}]},
    {"name": "spa", "mac": "00:0e:08:00:00:01", "model": "SPA2102", "lines": [{"extension": "701", "password": "Sip-701"}]},
    {"name": "mpp", "mac": "00:0e:08:00:00:02", "model": "CP-6841-3PCC", "lines": [{"extension": "702", "password": "Sip-702"}]},
    {"name": "kx", "mac": "00:80:f0:c8:c3:81", "model": "KX-UT133", "lines": [{"extension": "801", "password": "Sip-801"}]},
    {"name": "sn-desk", "mac": "00:04:13:a1:1f:a7", "model": "D785", "lines": [{"extension": "901", "password": "Sip-901"}],
     "keys": {"http_password": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"}},
    {"name": "fv-desk", "mac": "0c:38:3e:07:e1:6c", "model": "X4", "lines": [{"extension": "901", "password": "Sip-901"}],
     "keys": {"http_password": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}},
]
DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net/p",
            "admin_password": "AdminSecret77", "allow_plain_credentials": True, "encrypt_profiles": False}


def test_of_the_rendered_files_the_tftp_server_refuses_the_protected_ones_only():
    inventory, fleet = load_fleet(DEVICES, dict(DEFAULTS, http_credentials=True))
    files = render_fleet(inventory, fleet)
    declared = [DESCRIPTIONS[family].http_credentials for family in FAMILIES]
    eres = [tftp_path_ere(pattern) for facts in declared for pattern in facts.tftp_paths]
    refused = set()
    for item in files:
        protected = any(python_protects(facts.paths, item.path) for facts in declared)
        assert re_refuses(eres, item.path) == protected, item.path
        if protected:
            refused.add(item.path)
    # The Yealink, Poly, Snom and Fanvil phones' own files with their passwords, nothing else
    # (Cisco MPP's 000e08000002.xml stays served).
    assert refused == {"00156574b150.cfg", "0004f2aa0001-sipfleet.cfg", "snom-000413A11FA7.xml", "0c383e07e16c.cfg"}


# --- the check ---------------------------------------------------------------------------------


def replaced_credentials(**changes):
    description = DESCRIPTIONS["yealink"]
    names = [name for name in inspect.signature(HttpCredentialsFacts.__init__).parameters if name != "self"]
    arguments = dict((name, getattr(description.http_credentials, name)) for name in names)
    arguments.update(changes)
    credentials = HttpCredentialsFacts(**arguments)
    names = [name for name in inspect.signature(VendorDescription.__init__).parameters if name != "self"]
    arguments = dict((name, getattr(description, name)) for name in names)
    arguments["http_credentials"] = credentials
    return VendorDescription(**arguments)


def test_the_families_declare_tftp_paths_in_their_facts():
    for family in FAMILIES:
        description = DESCRIPTIONS[family]
        assert check_description(description) == []
        assert description.facts()["http_credentials"]["tftp_paths"] == list(description.http_credentials.tftp_paths)
        assert description.facts()["http_credentials"]["tftp_paths"]


@pytest.mark.parametrize("tftp_paths, expected", [
    ((), "http_credentials.tftp_paths is empty"),
    ((r"(^|/)[0-9a-f]{12}\.cfg$",), "must hold {mac} once"),
    ((r"(^|/){mac}{mac}\.cfg$",), "must hold {mac} once"),
    ((r"^/{mac}\.cfg$",), "must match a whole file name: begin with (^|/) and end with $"),
    ((r"(^|/){mac}\.cfg",), "must match a whole file name"),
    ((r"(^|/)(?!0{12}){mac}\.cfg$",), "uses a Python extension egrep does not read"),
    ((r"(^|/){mac}(?:\.cfg)$",), "uses a Python extension egrep does not read"),
    ((r"(^|/){mac}.*?\.cfg$",), "uses a Python extension egrep does not read"),
    ((r"(^|/){mac}\d*\.cfg$",), "is not plain egrep syntax"),
    ((r"(^|/){mac}[[:alpha:]]\.cfg$",), "is not plain egrep syntax"),
    ((r"(^|/){mac}(\.cfg$",), "does not compile"),
])
def test_check_description_refuses_malformed_tftp_paths(tftp_paths, expected):
    problems = check_description(replaced_credentials(tftp_paths=tftp_paths))
    assert any(expected in problem for problem in problems), problems


def test_check_description_accepts_plain_egrep():
    for tftp_paths in ((r"(^|/){mac}\.(cfg|xml)$",), (r"(^|/){mac}[-_.]x{1,3}\+?$",), (r"(^|/)a\?{mac}\*$",)):
        assert check_description(replaced_credentials(tftp_paths=tftp_paths)) == [], tftp_paths
