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

Polycom's SIP 3.0.2 Administrator's Guide (4-11, the local contact
directory's elements, **documented**): ``ct`` "cannot be null or
duplicated" (the phone matches incoming callers on it), ``fn`` and ``ln``
are UTF-8 strings "of up to 40 bytes". So one item per number, the first
of the sorted entries (by name), and a name cut to 40 bytes; each is a
warning of the run (:func:`phonebook_entries`).
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import LineFormat

FILE_NAME = "000000000000-directory.xml"
#: ``fn``/``ln``: "UTF-8 encoded string of up to 40 bytes" (SIP 3.0.2 Administrator's Guide, 4-11).
MAX_NAME_BYTES = 40
#: How many entries a warning names before it only counts them.
_WARNED_ENTRIES = 5

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
    return FORMAT.pairs(data)


def cut_name(name):
    """``name`` cut to :data:`MAX_NAME_BYTES` bytes of UTF-8 at a character boundary, without trailing white space."""
    data = name.encode("utf-8")
    if len(data) <= MAX_NAME_BYTES:
        return name
    # errors="ignore" drops the bytes of a character the cut split.
    return data[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip()


def _listed(items):
    shown = items[:_WARNED_ENTRIES]
    more = len(items) - len(shown)
    return ", ".join(shown) + (" and %d more" % more if more else "")


def phonebook_entries(entries):
    """``(entries, warnings)``: one entry per number (the first of the sorted ``entries``), names cut to 40 bytes.

    Each entry dropped and each name cut is named in a warning of the run:
    the directory is what the inventory says, less what a Poly phone
    cannot hold.
    """
    first = {}
    kept = []
    dropped = []
    for entry in entries:
        if entry.number in first:
            dropped.append("%r %s (kept %r)" % (entry.name, entry.number, first[entry.number].name))
            continue
        first[entry.number] = entry
        kept.append(entry)
    cut = []
    result = []
    for entry in kept:
        name = cut_name(entry.name)
        if name != entry.name:
            cut.append("%r to %r" % (entry.name, name))
            entry = entry._replace(name=name)
        result.append(entry)
    warnings = []
    if dropped:
        warnings.append(
            "sipfleet_directory: %d entr%s left out of the Poly directory (%s): a Poly directory's number (ct) cannot be "
            "duplicated (Polycom SIP 3.0.2 Administrator's Guide), so each number keeps its first entry by name: %s"
            % (len(dropped), "y" if len(dropped) == 1 else "ies", FILE_NAME, _listed(dropped)))
    if cut:
        warnings.append(
            "sipfleet_directory: %d name(s) cut to %d bytes of UTF-8 in the Poly directory (%s), the most its ln "
            "holds (Polycom SIP 3.0.2 Administrator's Guide): %s" % (len(cut), MAX_NAME_BYTES, FILE_NAME, _listed(cut)))
    return tuple(result), warnings
