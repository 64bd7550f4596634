# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: pbx_notify_config
short_description: The PBX configuration that sends the resync NOTIFY for phones that trust only their registrar
version_added: 1.0.0
author:
  - sipfleet.provisioning contributors (@sipfleet)
description:
  - A phone set to accept SIP requests only from its registrar (Yealink C(sip.trust_ctrl=1), Poly request validation
    by C(source)) ignores the NOTIFY of M(sipfleet.provisioning.resync). Its PBX can send it instead.
  - For Asterisk (chan_pjsip, C(res_pjsip_notify)) returns the C(pjsip_notify.conf) sections, one per vendor event
    (C([sipfleet-yealink]) with C(Event=>check-sync); C(-reboot) and C(-no-reboot) sections for a reboot variant),
    and per device the CLI command C(pjsip send notify <section> endpoint <endpoint>). The section name is also the
    C(Option) of the AMI action C(PJSIPNotify).
  - Values are written as Asterisk reads them, a C(;) escaped (C(Event=>check-sync\;reboot=false)), since an
    unescaped C(;) starts a comment there; an event holding a backslash or a line break is refused.
  - Kamailio and FreeSWITCH are not rendered (no documented hand-off could be confirmed); see C(docs/resync.md).
requirements:
  - Nothing beyond ansible-core; it runs on the controller.
options:
  _input:
    description: The devices, as in C(sipfleet_devices).
    type: list
    elements: dict
    required: true
  defaults:
    description: C(sipfleet_defaults).
    type: dict
  sites:
    description: C(sipfleet_sites).
    type: dict
  models:
    description: C(sipfleet_models).
    type: dict
  pbx:
    description: The PBX to render for.
    type: string
    choices: [asterisk]
    default: asterisk
  reboot:
    description: As the O(sipfleet.provisioning.resync#module:reboot) option of the resync module.
    type: boolean
  endpoints:
    description:
      - "C({device name, label or MAC: PJSIP endpoint name}); a device not listed uses its first line's
        authentication user (its extension unless C(auth_user) is set)."
    type: dict
"""

EXAMPLES = r"""
- name: Write the NOTIFY sections Asterisk needs
  ansible.builtin.copy:
    content: "{{ (sipfleet_devices | sipfleet.provisioning.pbx_notify_config(defaults=sipfleet_defaults)).pjsip_notify_conf }}"
    dest: /etc/asterisk/pjsip_notify.conf
    mode: "0640"
  delegate_to: pbx

- name: Have Asterisk send each phone its NOTIFY
  ansible.builtin.command:
    argv: [asterisk, -rx, "{{ item.command }}"]
  loop: "{{ (sipfleet_devices | sipfleet.provisioning.pbx_notify_config(defaults=sipfleet_defaults)).commands }}"
  loop_control:
    label: "{{ item.device }}"
  delegate_to: pbx
  changed_when: true
"""

RETURN = r"""
_value:
  description: The configuration.
  type: dict
  contains:
    pjsip_notify_conf:
      description: The text of C(pjsip_notify.conf) (or the part to include in it).
      type: string
    commands:
      description: Per device, C(device), C(endpoint), C(section), C(event) and the CLI C(command).
      type: list
      elements: dict
    warnings:
      description: Vendors asked for a reboot variant they do not define (their plain event is used).
      type: list
      elements: string
"""

from ansible_collections.sipfleet.provisioning.plugins.module_utils._pbx_notify import pbx_notify_config as _render
from ansible_collections.sipfleet.provisioning.plugins.module_utils._resync import load_devices
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._filters import filter_errors


@filter_errors
def pbx_notify_config(devices, defaults=None, sites=None, models=None, pbx="asterisk", reboot=None, endpoints=None):
    """The PBX hand-off configuration of ``devices``; see DOCUMENTATION."""
    fleet = load_devices({"devices": devices, "defaults": defaults, "sites": sites, "models": models})
    return _render(fleet, pbx, reboot, endpoints)


class FilterModule:
    """PBX NOTIFY hand-off filter."""

    def filters(self):
        return {"pbx_notify_config": pbx_notify_config}
