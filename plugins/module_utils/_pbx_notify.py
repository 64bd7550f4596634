# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The PBX side of a resync, for phones that accept a NOTIFY only from their registrar.

A phone set to trust only its SIP server (Yealink ``sip.trust_ctrl = 1``,
Poly ``voIpProt.SIP.requestValidation`` with ``source``) ignores the
``resync`` module's NOTIFY; its PBX must send it. For Asterisk (chan_pjsip,
``res_pjsip_notify``, documented) this renders the ``pjsip_notify.conf``
sections, one per vendor event (``[sipfleet-<vendor>]`` with
``Event=>check-sync``), and per device the CLI command
``pjsip send notify <section> endpoint <endpoint>`` (the same section is the
AMI action ``PJSIPNotify``'s ``Option``). Values are written as Asterisk
reads them: ``Event=>check-sync\\;reboot=false`` (:func:`conf_value`).
Kamailio and FreeSWITCH have no documented equivalent we could confirm
(``docs/resync.md``): asking for them is an error rather than a guess.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _sip_notify
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import description_for

PBXES = ("asterisk",)

#: What an Asterisk endpoint name may hold here: it ends up in a CLI command line.
_ENDPOINT_RE = re.compile(r"^[A-Za-z0-9_.@+-]+\Z")
#: What a header value in pjsip_notify.conf may hold here: printable ASCII without a backslash (see conf_value).
_CONF_VALUE_RE = re.compile(r"^[\x20-\x5b\x5d-\x7e]+\Z")


def conf_value(value, device=None, field="event"):
    """``value`` written for an Asterisk ``.conf`` file: each ``;`` as ``\\;``.

    Asterisk's configuration reader (``main/config.c``,
    ``config_text_file_load``) starts a comment at a ``;`` unless a
    backslash precedes it ("Escaped semicolons aren't comments"), and then
    drops that backslash; the sample that ships with Asterisk writes Snom's
    event so (``configs/samples/pjsip_notify.conf.sample``:
    ``Event=>check-sync\\;reboot=false``). Unescaped, every ``;reboot=``
    variant reached the phone as plain ``check-sync``. A backslash, a line
    break or another control character has no such escape there: refused.
    """
    if not _CONF_VALUE_RE.match(value):
        raise ProvisioningError("%r cannot be written into pjsip_notify.conf (a backslash, line break or control "
                                "character)" % value, device=device, field=field)
    return value.replace(";", "\\;")


def section_name(vendor, event, plain_event):
    """``sipfleet-<vendor>``, with ``-reboot``/``-no-reboot`` for a reboot variant of the vendor's event."""
    if event == plain_event:
        return "sipfleet-%s" % vendor.replace("_", "-")
    suffix = "-reboot" if event.endswith("reboot=true") else "-no-reboot"
    return "sipfleet-%s%s" % (vendor.replace("_", "-"), suffix)


def asterisk_config(fleet, reboot=None, endpoints=None):
    """``{"pjsip_notify_conf": text, "commands": [{device, endpoint, section, event, command}], "warnings": [...]}``.

    ``fleet``: devices of the data model (vendor and lines filled in);
    ``endpoints``: ``{device name, label or MAC: PJSIP endpoint}``, else the
    device's first line's authentication user (what an Asterisk endpoint is
    usually named after).
    """
    endpoints = endpoints or {}
    sections = {}
    commands = []
    warnings = []
    for device in fleet:
        description = description_for(device.vendor)
        event, note = _sip_notify.notify_event(description, reboot)
        if note and note not in warnings:
            warnings.append(note)
        section = section_name(device.vendor, event, description.notify.event)
        sections.setdefault(section, (description.title, conf_value(event, device.label)))
        endpoint = None
        for key in (device.name, device.label, device.mac):
            if key and endpoints.get(key):
                endpoint = str(endpoints[key])
                break
        if endpoint is None and device.lines:
            endpoint = device.lines[0].auth_user or device.lines[0].extension
        if not endpoint:
            raise ProvisioningError("has no line to name its PJSIP endpoint after; give it in endpoints",
                                    device=device.label, field="endpoints")
        if not _ENDPOINT_RE.match(endpoint):
            raise ProvisioningError("%r is not a PJSIP endpoint name this filter writes into a command" % endpoint,
                                    device=device.label, field="endpoints")
        commands.append({"device": device.label, "endpoint": endpoint, "section": section, "event": event,
                         "command": "pjsip send notify %s endpoint %s" % (section, endpoint)})
    lines = ["; pjsip_notify.conf sections written by sipfleet.provisioning (pbx_notify_config).",
             "; Send one with: asterisk -rx 'pjsip send notify <section> endpoint <endpoint>'", ""]
    for section in sorted(sections):
        title, event = sections[section]
        lines.extend(["; %s" % title, "[%s]" % section, "Event=>%s" % event, ""])
    return {"pjsip_notify_conf": "\n".join(lines), "commands": commands, "warnings": warnings}


def pbx_notify_config(fleet, pbx="asterisk", reboot=None, endpoints=None):
    """The hand-off configuration for ``pbx`` (one of :data:`PBXES`)."""
    if pbx not in PBXES:
        raise ProvisioningError("%r: only %s is rendered; Kamailio and FreeSWITCH have no documented NOTIFY "
                                "hand-off here (docs/resync.md)" % (pbx, ", ".join(PBXES)), field="pbx")
    return asterisk_config(fleet, reboot, endpoints)
