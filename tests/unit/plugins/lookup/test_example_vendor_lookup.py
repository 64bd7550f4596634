# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The example family of docs/development/adding-a-vendor.md, registered, reaches the roles through the lookup.

A controller test: the lookup plugin imports controller-side Ansible, which
the module_utils tests (``test_example_vendor.py``) cannot.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.lookup.vendor_facts import LookupModule
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import vendor_facts
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_example_vendor import register_example


def test_registered_example_is_in_every_view_the_roles_read(monkeypatch):
    names_before = LookupModule().run(["names"])[0]
    before = LookupModule().run(["device_paths", "client_certificate_mac", "dhcp_vendor_match"])
    register_example(monkeypatch)
    facts = vendor_facts()
    names, device_paths, subjects, dhcp = LookupModule().run(["names", "device_paths", "client_certificate_mac",
                                                              "dhcp_vendor_match"])
    # After every registered family, whichever they are.
    assert names == names_before + ["example"] and names_before[:4] == ["grandstream", "cisco_spa", "cisco_mpp", "panasonic"]
    # roles/http_server binds the example's device files to client certificates after the other families' ...
    assert device_paths == before[0] + [r"^/(?:[^/]+/)*ex{mac}\.(?:cfg|enc)$"]
    # ... declares no certificate subject for it (it has no documented device certificate) ...
    assert subjects == before[1]
    # ... and roles/dhcp knows its option 60 string and accepts it as a vendor.
    assert dhcp == dict(before[2], example={"match": ["ExamplePhone"], "match_type": "prefix"})
    whole, = LookupModule().run([])
    assert whole == facts and whole["example"]["firmware"]["versioned_name"] is False
