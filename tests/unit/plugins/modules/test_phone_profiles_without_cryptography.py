# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""phone_profiles on a host whose Python cannot import cryptography: one clear failure naming what to install.

The module runs as Ansible runs it on a host, in its own interpreter with its
arguments in a file. The missing library is a real failed import: a package
named ``cryptography`` that raises ImportError is put first on that
interpreter's path. The same arguments without it write the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_phone_profiles import (
    DEFAULTS,
    devices,
    store_keys,
)

COLLECTIONS_ROOT = Path(__file__).resolve().parents[6]
MODULE = "ansible_collections.sipfleet.provisioning.plugins.modules.phone_profiles"


#: A fleet whose files are all plain: served over HTTPS, nothing encrypted.
PLAIN_DEVICES = [
    {"name": "gs-plain", "mac": "00:0b:82:12:34:57", "model": "GXP2170",
     "settings": {"encrypt_profiles": False, "provisioning_url": "https://prov.example.net"},
     "lines": [{"extension": "211", "password": "Plain-Secret-211"}]},
]


def run_module(tmp_path, hide_cryptography, device_list=None):
    device_list = devices() if device_list is None else device_list
    arguments = tmp_path / "args.json"
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "devices": device_list, "defaults": DEFAULTS, "keys": store_keys(device_list),
        "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"), "bootstrap_serve": "always",
    }}))
    path = [str(COLLECTIONS_ROOT)] + sys.path
    if hide_cryptography:
        shadow = tmp_path / "shadow" / "cryptography"
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text('raise ImportError("No module named \'cryptography\'")\n')
        path.insert(0, str(shadow.parent))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    process = subprocess.run([sys.executable, "-m", MODULE, str(arguments)], env=env, cwd=str(tmp_path),
                             capture_output=True, text=True, timeout=300, check=False)
    return json.loads(process.stdout)


@pytest.mark.parametrize("hide_cryptography", [True, False])
def test_a_host_without_cryptography_is_told_what_to_install(tmp_path, hide_cryptography):
    result = run_module(tmp_path, hide_cryptography)
    if not hide_cryptography:
        assert not result.get("failed"), result
        assert result["written"] > 0
        return
    assert result["failed"] is True
    message = result["msg"]
    assert "Failed to import the required Python library (cryptography)" in message
    assert sys.executable in message, "names the interpreter that lacks it"
    assert "install the package python3-cryptography" in message
    assert "No module named 'cryptography'" in message
    assert "errors" not in result, "one failure for the run, not one per device"
    # The devices that need it are named, the first as the failure's device.
    assert "4 device(s) encrypt their files" in message and "gs, spa, mpp, pana" in message
    assert result["device"] == "gs" and result["field"] == "settings.encrypt_profiles"
    assert not (tmp_path / "root").exists() and not (tmp_path / "state").exists(), "nothing is written"


def test_a_fleet_of_plain_files_needs_no_cryptography(tmp_path):
    result = run_module(tmp_path, hide_cryptography=True, device_list=PLAIN_DEVICES)
    assert not result.get("failed"), result
    assert result["written"] > 0
    served = (tmp_path / "root" / "cfg000b82123457.xml").read_text()
    assert "<P35>211</P35>" in served, "the plain profile is served as rendered"
