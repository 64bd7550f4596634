# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the action plugins' tests."""

from __future__ import annotations

import pytest

from ansible_collections.sipfleet.provisioning.plugins.plugin_utils import _fleet_bundle


@pytest.fixture
def local_tmp(tmp_path, monkeypatch):
    """Ansible's per-run local temporary directory (where key_store writes the fleet bundle), here the test's own."""
    path = tmp_path / "local"
    path.mkdir(mode=0o700)
    monkeypatch.setattr(_fleet_bundle.C, "DEFAULT_LOCAL_TMP", str(path))
    return path
