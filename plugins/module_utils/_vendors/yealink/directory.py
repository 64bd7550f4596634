# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Yealink's remote phonebook: a ``<YealinkIPPhoneDirectory>`` XML file, and the parameters that point a phone at it.

Format (**code, 2x**: FusionPBX ``yealink/t46s/directory.xml``; the
voip-phonebook and 3CX phonebook generators write the same elements)::

    <?xml version="1.0" encoding="UTF-8"?>
    <YealinkIPPhoneDirectory>
    <DirectoryEntry>
    <Name>Front desk</Name>
    <Telephone>+49 30 1234</Telephone>
    </DirectoryEntry>
    </YealinkIPPhoneDirectory>

One entry per name and number. Parameters (vendor-facts-more.md 1.3, **code
2x**, wazo-provd-plugins ``base.tpl:92-93``, FusionPBX ``:750-787``):
``remote_phonebook.data.1.url`` and ``remote_phonebook.data.1.name``.
The phone fetches the URL itself, over HTTP or HTTPS (the sources use no
other scheme).
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import LineFormat

FILE_NAME = "directory.xml"
#: The name the phone shows for the phonebook.
TITLE = "Directory"
URL_PARAM = "remote_phonebook.data.1.url"
NAME_PARAM = "remote_phonebook.data.1.name"
SCHEMES = ("http", "https")

FORMAT = LineFormat(
    header=('<?xml version="1.0" encoding="UTF-8"?>', "<YealinkIPPhoneDirectory>"),
    entry=("<DirectoryEntry>", "<Name>{name}</Name>", "<Telephone>{number}</Telephone>", "</DirectoryEntry>"),
    footer=("</YealinkIPPhoneDirectory>",),
)


def render_directory(entries):
    """The phonebook's bytes."""
    return FORMAT.encode(entries)


def parse_directory(data):
    """``[(name, number)]`` of a phonebook :func:`render_directory` wrote; anything else is a ProfileFormatError."""
    return FORMAT.pairs(data)


def directory_settings(url):
    """The parameters that point the phone at its phonebook."""
    return [(URL_PARAM, url), (NAME_PARAM, TITLE)]
