# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: vendor_facts
short_description: What the collection's vendor families declare about their phones, for roles and playbooks
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Returns the facts each vendor family of the collection declares about its phones (its vendor description), so
    that roles and playbooks never spell out a vendor's file names, certificate subjects or DHCP vendor classes
    themselves. A vendor added to the collection reaches every role through this lookup.
  - The roles use it for their defaults - C(http_server_device_file_patterns), C(http_server_client_mac_patterns),
    C(http_server_device_credentials_paths) and C(http_server_device_credentials_bootstrap_paths) of the
    C(sipfleet.provisioning.http_server) role, C(tftp_server_refused_paths) of the C(sipfleet.provisioning.tftp_server)
    role in the deploy playbook, C(dhcp_vendor_match) of the C(sipfleet.provisioning.dhcp) role,
    and the vendors the C(sipfleet.provisioning.dhcp) and C(sipfleet.provisioning.firmware) roles accept.
  - Each term names one view of the facts, see O(_terms). Without a term the lookup returns every family's facts.
  - Returns one value per term. With one term (or none), C(lookup()) returns that value itself (a list or a
    mapping), which is what a role default wants; C(query()) and C(lookup(..., wantlist=true)) return a list with
    one value per term.
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _terms:
    description:
      - Which view of the facts to return, one value per term.
      - V(names) - the vendor names, as inventories write them in C(vendor), in the order the docs list them.
      - V(device_paths) - every family's regular expressions for the request paths of files that belong to one
        device, one flat list in vendor order with duplicates removed; C({mac}) stands for the device's MAC. nginx
        reads them (PCRE) as Python does.
      - V(client_certificate_mac) - every family's regular expressions for where a client certificate's subject
        (RFC 2253) carries the MAC, one flat list in vendor order with duplicates removed; C({mac}) stands for the
        MAC. A family whose phones carry no documented device certificate adds none.
      - V(http_credentials_paths) - the regular expressions for the request paths of a device's own files that need
        its per-device HTTP credentials, from every family that declares such credentials (Yealink, Poly), one flat
        list in vendor order with duplicates removed; C({mac}) stands for the device's MAC.
      - V(http_credentials_bootstrap_paths) - the same for the plain bootstrap files that hand a device its HTTP
        credentials and are served without them.
      - V(http_credentials_tftp_paths) - the files of V(http_credentials_paths) as POSIX extended regular expressions
        (egrep, what tftpd-hpa's C(--map-file) reads), to be matched case-insensitively against a TFTP file name with
        or without its leading C(/); C({mac}) is already expanded to any 12 hex digits but C(000000000000), so the
        fleet-wide files stay served. TFTP carries no credentials, so a TFTP server serving the same root must refuse
        these (C(tftp_server_refused_paths) of the C(sipfleet.provisioning.tftp_server) role, which the deploy
        playbook sets when C(http_server_device_credentials_enabled) is true).
      - 'V(dhcp_vendor_match) - C({vendor: {match: [...], match_type: ...}}), the option 60 strings each family''s
        phones send and how to compare them; a family whose phones are recognised by their MAC address prefixes
        also has C(ouis) (a list of 6 lower-case hex digits each, such as V(001565)), and a family declaring
        OUIs and no option 60 string has C(match) empty and C(match_type) null (Yealink).'
      - Without a term the lookup returns every family's facts by vendor name, every field of its description
        (C(name), C(title), C(user_agents), C(macs_in_user_agent), C(user_agent_mac), C(device_paths),
        C(client_certificate_mac), C(dhcp), C(secret_params), C(secret_param_patterns),
        C(not_secret_param_patterns), C(encodings), C(notify), C(firmware), C(docs), C(settings),
        C(http_credentials), null for a family without per-device HTTP credentials).
      - An unknown term fails, naming it and the known terms.
    type: list
    elements: str
    required: false
notes:
  - The facts are data, never templates; the lookup reads the collection only, so it runs in check mode and needs no
    host.
  - C(docs/roles/http_server.md), C(docs/roles/dhcp.md) and C(docs/roles/firmware.md) in the collection show the
    values, in tables C(hacking/vendor_tables.py) generates from the same descriptions.
"""

EXAMPLES = r"""
- name: Serve the provisioning root with the vendors' device binding, plus one family of your own
  hosts: provisioning_servers
  vars:
    # lookup() with one term returns its value itself: here a list of patterns.
    http_server_device_file_patterns: >-
      {{ lookup('sipfleet.provisioning.vendor_facts', 'device_paths') + ['^/(?:[^/]+/)*acme-{mac}\\.conf$'] }}
    # The dhcp role's vendor classes, plus those of phones the collection does not know,
    # matched on option 60 or on their MAC address prefix (OUI).
    dhcp_vendor_match: >-
      {{ lookup('sipfleet.provisioning.vendor_facts', 'dhcp_vendor_match')
         | combine({'acme': {'match': ['ACME-Phone'], 'match_type': 'prefix', 'ouis': ['00005e']}}) }}
  roles:
    - sipfleet.provisioning.http_server
    - sipfleet.provisioning.dhcp

- name: Look at the facts
  hosts: localhost
  gather_facts: false
  tasks:
    # query() returns a list, one value per term.
    - name: Show the vendors and their certificate subject patterns
      ansible.builtin.debug:
        msg: "{{ query('sipfleet.provisioning.vendor_facts', 'names', 'client_certificate_mac') }}"

    # Without a term: every family's facts, by vendor name.
    - name: Show the SIP NOTIFY event Grandstream phones resync on
      ansible.builtin.debug:
        msg: "{{ lookup('sipfleet.provisioning.vendor_facts')['grandstream'].notify.event }}"
"""

RETURN = r"""
_raw:
  description:
    - One value per term, in the order of the terms; without a term, one value, the mapping of every vendor's facts.
    - V(names) is a list of strings; V(device_paths), V(client_certificate_mac), V(http_credentials_paths),
      V(http_credentials_bootstrap_paths) and V(http_credentials_tftp_paths) are lists of strings;
      V(dhcp_vendor_match) and the whole facts are mappings keyed by vendor name.
  type: list
  elements: raw
  sample:
    - [grandstream, cisco_spa, cisco_mpp, panasonic]
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import tftp_path_ere
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import vendor_facts


def _flat(facts, field):
    """Every family's ``field`` list, in vendor order, each item once."""
    flat = []
    for vendor in facts.values():
        for item in vendor[field]:
            if item not in flat:
                flat.append(item)
    return flat


def _flat_credentials(facts, field):
    """``field`` of every family's ``http_credentials``, in vendor order, each item once; families without none."""
    flat = []
    for vendor in facts.values():
        for item in (vendor["http_credentials"] or {}).get(field, ()):
            if item not in flat:
                flat.append(item)
    return flat


def _dhcp_vendor_match(facts):
    """``{vendor: {match, match_type[, ouis]}}``: ``ouis`` only where declared, so the others' values stay as they were."""
    match = {}
    for name, vendor in facts.items():
        dhcp = vendor["dhcp"]
        match[name] = {"match": list(dhcp["vendor_class"]), "match_type": dhcp["match_type"]}
        if dhcp["ouis"]:
            match[name]["ouis"] = list(dhcp["ouis"])
    return match


#: ``{term: function of vendor_facts() that returns its value}``.
VIEWS = {
    "names": list,  # the mapping's keys, in the registry's order
    "device_paths": lambda facts: _flat(facts, "device_paths"),
    "client_certificate_mac": lambda facts: _flat(facts, "client_certificate_mac"),
    "http_credentials_paths": lambda facts: _flat_credentials(facts, "paths"),
    "http_credentials_bootstrap_paths": lambda facts: _flat_credentials(facts, "bootstrap_paths"),
    # tftpd-hpa cannot expand {mac}: the lookup does.
    "http_credentials_tftp_paths": lambda facts: [tftp_path_ere(pattern) for pattern in _flat_credentials(facts, "tftp_paths")],
    "dhcp_vendor_match": _dhcp_vendor_match,
}


class LookupModule(LookupBase):
    """Vendor facts, as the vendor packages declare them."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        facts = vendor_facts()
        if not terms:
            return [wrap_var(facts)]
        values = []
        for term in terms:
            view = VIEWS.get(term) if isinstance(term, str) else None
            if view is None:
                raise AnsibleLookupError("unknown term %r; known terms: %s (or none, for every vendor's facts)"
                                         % (term, ", ".join(sorted(VIEWS))))
            values.append(wrap_var(view(facts)))
        return values
