# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Snom's phonebook: a ``<tbook>`` settings file, named in the device's container.

Format (vendor-facts-more.md 3.2/3.3: the settings sections, ``<tbook>``
among them, may each be a file of their own, **documented**; the
``<tbook>`` elements, **code**: FusionPBX ``snom`` templates, a
standalone ``tbook`` file among them)::

    <?xml version="1.0" encoding="utf-8"?>
    <tbook e="2" complete="true">
    <item context="active" type="colleagues" index="0">
    <first_name></first_name>
    <last_name>Anna Berg</last_name>
    <number>201</number>
    </item>
    </tbook>

``complete="true"``: the file is the whole phonebook (FusionPBX writes it so).
``type`` is ``colleagues`` for the fleet's own lines and ``none`` for a
contact, as FusionPBX types extensions and other contacts; ``index`` counts
from 0. The whole name goes in ``last_name``. One item per name and number.
No parameter: the device's container (``snom<model>-<MAC>.htm``) lists the
file's URL after its own settings file, and the phone reads it as it reads
them, over the same scheme.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import Entry, LineFormat
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

FILE_NAME = "tbook.xml"
TYPES = {True: "colleagues", False: "none"}

FORMAT = LineFormat(
    header=('<?xml version="1.0" encoding="utf-8"?>', '<tbook e="2" complete="true">'),
    entry=('<item context="active" type="{type}" index="{index}">', "<first_name></first_name>",
           "<last_name>{name}</last_name>", "<number>{number}</number>", "</item>"),
    footer=("</tbook>",),
    fields=lambda index, entry: {"type": TYPES[entry.colleague], "index": str(index)},
)


def render_directory(entries):
    """The phonebook's bytes."""
    return FORMAT.encode(entries)


def parse_directory(data):
    """``[(name, number, type)]`` of a phonebook :func:`render_directory` wrote; anything else is a ProfileFormatError."""
    records = FORMAT.decode(data)
    if any(record["type"] not in TYPES.values() for record in records):
        raise ProfileFormatError("an item's type is neither colleagues nor none")
    entries = [Entry(record["name"], record["number"], None, record["type"] == "colleagues") for record in records]
    if render_directory(entries) != data:
        raise ProfileFormatError("the phonebook is not in the form the collection writes")
    return [(record["name"], record["number"], record["type"]) for record in records]
