# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile inventory values through the whole inventory -> files path.

Whatever a MAC, model, site, name, prefix, postfix or line field holds, a
run either refuses it, naming the field (and the device, for a device's
field), or writes files only inside the configured root, each a plain file,
XML files still well-formed with the value carried as data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from xml.etree import ElementTree

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run

# Text that goes for paths, markup and line structure.
_NASTY = st.sampled_from(["..", "../", "../../etc/passwd", "/etc/passwd", "a/b", "a\\b", ".hidden", "~root", "\x00",
                          "\n", "\r\n", "<", ">", "&", '"', "'", "]]>", "<!--", "%2e%2e%2f", "${IFS}", "$(id)",
                          "*", " ", "\t", "\u202e", "\ufeff", "ÿ", "cfg", "000b82123456", "Config"])
_TEXT = st.one_of(st.text(max_size=40), st.lists(_NASTY, max_size=6).map("".join),
                  st.tuples(st.text(max_size=8), _NASTY, st.text(max_size=8)).map("".join))

_BASE = {"mac": "00:0b:82:12:34:56", "model": "GXP2170", "name": "desk",
         "lines": [{"extension": "201", "password": "Secret201"}]}
_DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net",
             "encrypt_profiles": False, "allow_plain_credentials": True}


def _attempt(devices, defaults=None, sites=None):
    workdir = tempfile.mkdtemp()
    root = os.path.join(workdir, "root")
    try:
        try:
            run({"devices": devices, "defaults": dict(_DEFAULTS, **(defaults or {})), "sites": sites or {},
                 "models": {}, "roots": [root], "state_dir": os.path.join(workdir, "state"),
                 "bootstrap_serve": "always"})
        except ProvisioningError as exc:
            return exc, None
        return None, _written(workdir, root)
    finally:
        shutil.rmtree(workdir)


def _written(workdir, root):
    """Every file under the work directory; fails on anything outside the root and the state directory."""
    assert sorted(os.listdir(workdir)) == ["root", "state"]
    real_root = os.path.realpath(root)
    files = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(directory, name)
            assert not os.path.islink(path), path
            assert os.path.realpath(path).startswith(real_root + os.sep), path
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = handle.read()
    return files


def _check_rejection(exc, device_level=True):
    assert exc.field, "the error names no field: %s" % exc
    if device_level:
        assert exc.device is not None, "the error names no device: %s" % exc


def _check_xml(files):
    for path, content in files.items():
        if path.endswith(".xml") and content.startswith(b"<?xml"):
            ElementTree.fromstring(content)


_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(mac=_TEXT)
def test_mac_values(mac):
    exc, files = _attempt([dict(_BASE, mac=mac)])
    if exc is not None:
        _check_rejection(exc)
        assert exc.field == "mac"
    else:
        _check_xml(files)


@_FAST
@given(model=_TEXT, vendor=st.sampled_from([None, "grandstream", "cisco_spa", "cisco_mpp", "panasonic"]))
def test_model_values(model, vendor):
    device = dict(_BASE, model=model)
    if vendor:
        device["vendor"] = vendor
    exc, files = _attempt([device])
    if exc is not None:
        _check_rejection(exc)
    else:
        _check_xml(files)


@_FAST
@given(site=_TEXT)
def test_site_values(site):
    exc, files = _attempt([dict(_BASE, site=site)], sites={site: {"language": "de"}})
    if exc is not None:
        _check_rejection(exc, device_level=False)
    else:
        _check_xml(files)


@_FAST
@given(prefix=_TEXT, postfix=_TEXT)
def test_prefix_and_postfix_values(prefix, postfix):
    exc, files = _attempt([dict(_BASE, settings={"config_prefix": prefix, "config_postfix": postfix})])
    if exc is not None:
        _check_rejection(exc)
        assert exc.field.startswith("settings.config_p")
    else:
        _check_xml(files)


@_FAST
@given(name=_TEXT)
def test_name_values(name):
    exc, files = _attempt([dict(_BASE, name=name)])
    if exc is not None:
        _check_rejection(exc)
        assert exc.field == "name"


@_FAST
@given(field=st.sampled_from(["extension", "display_name", "auth_user", "password", "sip_server"]), value=_TEXT,
       model=st.sampled_from(["GXP2170", "SPA2102", "ATA192", "KX-UT133"]))
def test_line_values_stay_data(field, value, model):
    macs = {"GXP2170": "000b82123456", "SPA2102": "88012ba01234", "ATA192": "00562b043615",
            "KX-UT133": "0080f0c8c381"}
    line = {"extension": "201", "password": "Secret201"}
    line[field] = value
    exc, files = _attempt([dict(_BASE, model=model, mac=macs[model], lines=[line])])
    if exc is not None:
        _check_rejection(exc)
        assert exc.field.startswith("lines[0].")
        return
    _check_xml(files)
    for path, content in files.items():
        if path.endswith(".cfg") and content.startswith(b"# Panasonic"):
            # One parameter a line: nothing in a value can start another.
            for text_line in content.decode("utf-8").split("\r\n")[1:]:
                assert text_line == "" or text_line.startswith("#") or ('="' in text_line and text_line.endswith('"'))
