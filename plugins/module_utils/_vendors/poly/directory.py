# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Poly's contact directory: ``000000000000-directory.xml``, which the phone fetches by itself.

A phone asks for ``<mac>-directory.xml`` and ``000000000000-directory.xml``
(vendor-facts-more.md 2.1, Poly community FAQ, **documented**) in the
master's ``CONTACTS_DIRECTORY``, which the collection leaves empty: the
directory beside the master. The collection serves the shared
``000000000000-directory.xml`` only: ``<mac>-directory.xml`` is the
phone's own, which it uploads when its user edits a contact (and prefers).
One master for the fleet means one directory for the fleet: no per-site
directory.

Format (vendor-facts-more.md 2.3, **code**: FusionPBX
``6.x/{$mac}-directory.xml``, Provisioner ``spipm/contacts/``)::

    <?xml version="1.0" encoding="UTF-8"?>
    <directory>
    <item_list>
    <item>
    <ln>Front desk</ln>
    <fn></fn>
    <ct>+49 30 1234</ct>
    </item>
    </item_list>
    </directory>

``ln`` last name (the whole name), ``fn`` first name, ``ct`` the number.
One item per name and number.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import Entry, LineFormat
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

FILE_NAME = "000000000000-directory.xml"

FORMAT = LineFormat(
    header=('<?xml version="1.0" encoding="UTF-8"?>', "<directory>", "<item_list>"),
    entry=("<item>", "<ln>{name}</ln>", "<fn></fn>", "<ct>{number}</ct>", "</item>"),
    footer=("</item_list>", "</directory>"),
)


def render_directory(entries):
    """The directory's bytes."""
    return FORMAT.encode(entries)


def parse_directory(data):
    """``[(name, number)]`` of a directory :func:`render_directory` wrote; anything else is a ProfileFormatError."""
    pairs = [(record["name"], record["number"]) for record in FORMAT.decode(data)]
    if render_directory([Entry(name, number, None, False) for name, number in pairs]) != data:
        raise ProfileFormatError("the directory is not in the form the collection writes")
    return pairs
