# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: devices
short_description: Read the fleet's devices from device files and bar-code scan CSVs
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Returns the devices of YAML, JSON and CSV files as a list in the shape of C(sipfleet_devices), so a fleet can be kept
    as one file per device, or as the CSV files a preprovisioning desk records with a bar-code scanner, without making
    phones inventory hosts.
  - A YAML or JSON file (C(.yml), C(.yaml), C(.json)) holds one device mapping or a list of them, with the fields of
    C(sipfleet_devices) (C(name), C(mac), C(model), C(vendor), C(site), C(lines), C(settings), C(params), C(keys)).
    Files encrypted with Ansible Vault are decrypted.
  - A CSV file (C(.csv)) has a header row and one device a row. The columns are C(mac), C(model), C(name), C(vendor),
    C(site), and the fields of line 1 (C(extension), C(password), C(display_name), C(auth_user), C(sip_server),
    C(sip_port), C(transport)); C(line2_extension), C(line2_password) and so on describe line 2, and likewise for
    further lines. Column names are case-insensitive; the delimiter (C(,), C(;) or tab) is detected from the header
    row; a UTF-8 byte order mark, white space around cells, empty rows and empty cells are ignored.
  - MAC addresses are normalised to twelve lower-case hex digits. Errors name the file, the line (CSV) or entry (a
    YAML list) and the field - a malformed MAC, a MAC or name used twice (both files named), an unknown column or
    field, a row with too few cells. Every file is read before failing, and all the errors are reported together, one
    line each. Everything else about a device is checked when the fleet is rendered.
  - Call it with C(query()), or with C(lookup()) and C(wantlist=true); a plain C(lookup()) returns a fleet of one
    device as a mapping instead of a list.
  - See C(docs/device-import.md) in the collection for the formats, examples and figures.
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _terms:
    description:
      - Files, directories and glob patterns (C(scans/*.csv)). A directory is read recursively for C(.yml), C(.yaml),
        C(.json) and C(.csv) files, skipping names that begin with a dot; files are read in sorted order.
      - Relative paths are resolved against O(basedir).
      - A term that finds no file is an error, so a typo never empties the fleet.
    type: list
    elements: str
    required: true
  basedir:
    description:
      - Directory that relative paths in O(_terms) are resolved against.
      - Default is the project's directory, the variable C(sipfleet_project_dir), when it is set (the project's
        playbooks set it under AWX and Ansible Automation Platform, where the inventory is not in the repository; see
        C(docs/awx.md)); otherwise the directory of the inventory source of the host the lookup runs for (the variable
        C(inventory_dir)), so that paths in C(group_vars) are relative to the inventory; without an inventory
        directory, the playbook's directory.
    type: str
  passwords:
    description:
      - Mapping of extension to SIP password, usually a vaulted variable. It fills the password of every line that has
        none, so that CSV files and device files can be kept without secrets.
    type: dict
notes:
  - The files are data, not templates - C({{), C({%) and C({#) in them are kept as written, and the values the lookup
    returns (passwords from O(passwords) included) are never templated by Ansible or by the collection's actions.
    Give passwords through O(passwords).
  - The lookup runs each time the variable that calls it is templated. Reading 10,000 devices takes about a second;
    when many tasks use the fleet, set it once with C(ansible.builtin.set_fact) at the start of the play.
seealso:
  - plugin: sipfleet.provisioning.render_profiles
    plugin_type: filter
"""

EXAMPLES = r"""
# group_vars/all.yml of an inventory directory: one YAML file per device under
# devices/ and the bar-code desks' CSV files under scans/, both next to the
# inventory; the SIP passwords come from a vaulted mapping.
sipfleet_devices: >-
  {{ query('sipfleet.provisioning.devices', 'devices/', 'scans/*.csv', passwords=vault_sip_passwords) }}

# The same with lookup(): wantlist=true keeps the result a list.
sipfleet_devices_scanned: "{{ lookup('sipfleet.provisioning.devices', 'scans/', wantlist=true) }}"

# From an absolute path, and together with devices written in the inventory.
sipfleet_devices_all: "{{ sipfleet_devices_static + query('sipfleet.provisioning.devices', '/srv/fleet/devices') }}"
"""

RETURN = r"""
_raw:
  description:
    - The devices, in the order of the terms, of the files (sorted) and of the rows or entries in each file.
    - Each is a mapping with the fields of C(sipfleet_devices) that were set; C(mac) is normalised.
  type: list
  elements: dict
  sample:
    - mac: 000b82123456
      model: GXP2170
      name: berlin-reception
      site: berlin
      lines:
        - extension: "201"
          password: secret-201
          display_name: Reception
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._device_import import import_devices
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._project_dir import fleet_basedir


class LookupModule(LookupBase):
    """Devices from device files and CSV files."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        basedir = self.get_option("basedir")
        passwords = self.get_option("passwords")
        if passwords:
            # Vaulted values (!vault) are objects that decrypt when made strings.
            passwords = dict(
                (extension, password if password is None or isinstance(password, (str, int)) else str(password))
                for extension, password in passwords.items())
        try:
            if not basedir:
                basedir = fleet_basedir(variables, self._templar, self._loader)
            # Device files are data: wrap_var marks every value as one
            # Ansible must never template (since ansible-core 2.19 it drops
            # the trust a string from a vars file would carry), so
            # "Lobby {#2}" or a password with "{{" reaches the phone as written.
            return wrap_var(import_devices(terms, str(basedir), passwords=passwords, decrypt=self._decrypt))
        except ProvisioningError as exc:
            # Ansible's message already names the lookup.
            raise AnsibleLookupError(str(exc)) from None

    def _decrypt(self, path):
        # A plain str: the C YAML parser refuses the loader's tagged strings.
        return str.__str__(self._loader.get_text_file_contents(path))
