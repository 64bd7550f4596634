# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: status_report
short_description: Merge the fleet status of every provisioning host and render status.json, unknown-devices.yml and the page
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - Takes the results of C(sipfleet.provisioning.fleet_status) from every provisioning host and returns one merged
    status document and the text of the three files the C(sipfleet.provisioning.status) playbook writes.
  - A phone may fetch from any of several redundant servers. For each device the view of the host that logged its
    most recent served fetch wins (last fetch, model and firmware from the User-Agent, mismatches), and the latest
    refused request of any host is its C(last_refused); its C(last_authenticated) is the latest of the hosts whose
    view has the device's MAC (a host that knows the label by another MAC proved another phone). Whether it got the current version is judged per own file
    (C(own_files)) over every host, the latest fetch of each file deciding, so a later fetch of a shared file on
    another host does not hide or fake one. Its bootstrap window is C(open) when it is open on any host. The state is
    recomputed for every device from the latest fetch, at the latest of the hosts' C(generated) times, with
    O(stale_days), so all devices are judged at one moment by one rule. MACs that are not in the inventory are merged
    by MAC (first and last seen over every host, the model and firmware of the latest sighting, every path); the
    hosts' C(unknown_dropped), the unknown MACs each left out of its list, are summed.
  - The output depends only on the input, never on the clock or the order the hosts are listed in, so the files
    change only when the fleet does.
  - Fails, naming the host result, device and field, on a result that is not a C(fleet_status) result, a time that
    is not ISO 8601 with a zone, or an unknown state.
  - See C(docs/status.md) for the page and the files.
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _input:
    description:
      - The C(fleet_status) results, one per host (a list, or a mapping of host name to result). A result may hold
        the status document itself or under C(status).
    type: raw
    required: true
  stale_days:
    description:
      - Days without contact after which a device is C(stale); the same as the module's O(stale_days).
    type: float
    default: 7
"""

EXAMPLES = r"""
- name: Read what every provisioning host logged
  sipfleet.provisioning.fleet_status:
    devices: "{{ sipfleet_devices }}"
  register: sipfleet_status

- name: Write the status page on the controller
  ansible.builtin.copy:
    content: "{{ (ansible_play_hosts | map('extract', hostvars, 'sipfleet_status') | list
                  | sipfleet.provisioning.status_report(stale_days=7)).index_html }}"
    dest: "{{ inventory_dir }}/status/index.html"
    mode: "0644"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The merged status and the text of the three files.
  type: dict
  contains:
    status:
      description:
        - The merged status document (C(generated), C(hosts), C(stale_days), C(counts), C(devices), C(unknown),
          C(unknown_dropped)), as in C(status.json). C(counts) has C(current), C(outdated), C(stale), C(never_seen) and
          C(unknown).
      type: dict
    status_json:
      description: The text of C(status.json), the merged document with sorted keys.
      type: str
    unknown_devices_yml:
      description:
        - The text of C(unknown-devices.yml), a YAML list of C(sipfleet_devices) entries for the unknown MACs (C(name),
          C(mac), C(vendor) when known, C(model)), each with a comment giving when and from where it was seen. No
          secret. The list is empty (C([])) when every MAC is known.
      type: str
    index_html:
      description:
        - The text of C(index.html), one self-contained page (inline style, script and SVG chart, nothing loaded)
          with counts by state, vendor, model and firmware, and the device table, sortable and filterable.
      type: str
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._status_report import (
    merge_status,
    render_page,
    status_json,
    unknown_devices_yaml,
)
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import filter_errors


def _number(value):
    # Templated options arrive as text ("7", "2.5").
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            raise ProvisioningError("must be a number of days, got %r" % value[:40], field="stale_days") from None
    return value


@filter_errors
def status_report(host_results, stale_days=7):
    """The merged status and the texts of status.json, unknown-devices.yml and index.html; see DOCUMENTATION."""
    merged = merge_status(host_results, stale_days=_number(stale_days))
    return {
        "status": merged,
        "status_json": status_json(merged),
        "unknown_devices_yml": unknown_devices_yaml(merged),
        "index_html": render_page(merged),
    }


class FilterModule:
    """Fleet status report filter."""

    def filters(self):
        return {"status_report": status_report}
