# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Grandstream's phonebook download: an ``<AddressBook>`` XML file named ``phonebook.xml``, and P330/P331.

Format (**code**: FusionPBX ``grandstream/gxp21xx/phonebook.xml``; the
gs_tools and django-sip-phonebook generators write the same elements)::

    <?xml version="1.0" encoding="UTF-8"?>
    <AddressBook>
    <Contact>
    <LastName>Front desk</LastName>
    <Phone>
    <phonenumber>+49 30 1234</phonenumber>
    <accountindex>1</accountindex>
    </Phone>
    </Contact>
    </AddressBook>

The whole name goes in ``LastName``, as FusionPBX writes a name it has in
one piece; ``accountindex`` 1 as FusionPBX writes it (another generator
writes 0: which account it selects is unsure). One contact per name and
number.

Parameters (Grandstream's configuration templates, vendor-facts
``grandstream-templates``): P330 "Enable Phonebook XML Download", 1 HTTP,
2 TFTP, 3 HTTPS (the GXP 1.2.5.3 template has 0-2 only); P331 "Phonebook XML
Server Path", "host/path", at most 128 characters (GXP 1.2.5.3) or 256
(GXP21xx 1.0.11.16, GRP261x 1.0.5.15). The phone appends ``phonebook.xml``
to the path (**code, 2x**: FusionPBX's README rewrites
``<path>/phonebook.xml``; django-sip-phonebook serves ``phonebook.xml`` at
the path it tells the phone). P332, the download interval, is in hours on
the GXP 1.2.5.3 and in minutes on the newer templates: not set.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import LineFormat

FILE_NAME = "phonebook.xml"
#: P330 per scheme (0 disables the download).
DOWNLOAD_MODES = {"http": "1", "tftp": "2", "https": "3"}
#: The schemes of the legacy GXP template (no HTTPS), and of the newer ones.
LEGACY_SCHEMES = ("http", "tftp")
SCHEMES = ("http", "https", "tftp")
#: The longest P331 of the legacy template, and of the newer ones.
LEGACY_PATH_CHARS = 128
PATH_CHARS = 256

FORMAT = LineFormat(
    header=('<?xml version="1.0" encoding="UTF-8"?>', "<AddressBook>"),
    entry=("<Contact>", "<LastName>{name}</LastName>", "<Phone>", "<phonenumber>{number}</phonenumber>",
           "<accountindex>1</accountindex>", "</Phone>", "</Contact>"),
    footer=("</AddressBook>",),
)


def render_directory(entries):
    """The phonebook's bytes."""
    return FORMAT.encode(entries)


def parse_directory(data):
    """``[(name, number)]`` of a phonebook :func:`render_directory` wrote; anything else is a ProfileFormatError."""
    return FORMAT.pairs(data)


def server_path(url):
    """P331 of the phonebook at ``url``: host and path of its directory, without scheme and file name."""
    return url.split("://", 1)[1].rsplit("/", 1)[0]


def directory_settings(url):
    """P330 (the download, over the URL's scheme) and P331 (where)."""
    return [("P330", DOWNLOAD_MODES[url.split("://", 1)[0].lower()]), ("P331", server_path(url))]
