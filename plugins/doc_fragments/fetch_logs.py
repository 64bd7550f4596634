# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The servers' logs a module reads (``_fetch_log.LOG_OPTIONS``): nginx's JSON access log and tftpd-hpa's syslog lines."""

    DOCUMENTATION = r"""
options:
  http_logs:
    description:
      - nginx access logs in the JSON format of the C(http_server) role, read with their rotated generations.
      - A missing log is a warning; a directory or an unreadable file fails the task.
    type: list
    elements: path
    default: []
  tftp_logs:
    description:
      - Syslog files that receive tftpd-hpa's messages (run it with C(--verbose)), read with their rotated
        generations.
      - A missing log is a warning; a directory or an unreadable file fails the task.
    type: list
    elements: path
    default: []
"""
