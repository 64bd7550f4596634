# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Exceptions shared by the collection's pure-Python logic.

Plugins translate these into ``AnsibleFilterError`` or ``module.fail_json``;
the logic itself never depends on Ansible.
"""

from __future__ import annotations


class ProvisioningError(ValueError):
    """Bad input or a failed operation, with the device and field it concerns.

    ``device`` and ``field`` are optional: a crypto error has no device, a
    profile error has both. ``str()`` puts them in front of the message so that
    every error a user sees names what to fix.
    """

    def __init__(self, message, device=None, field=None):
        self.message = message
        self.device = device
        self.field = field
        super().__init__(self.__str__())

    def __str__(self):
        where = []
        if self.device is not None:
            where.append("device %s" % self.device)
        if self.field is not None:
            where.append("field %s" % self.field)
        if where:
            return "%s: %s" % (", ".join(where), self.message)
        return self.message


class CryptoError(ProvisioningError):
    """Encryption or decryption failed (wrong password, corrupt input, bad option)."""


class MacAddressError(ProvisioningError):
    """A MAC address that is malformed or cannot belong to a phone."""
