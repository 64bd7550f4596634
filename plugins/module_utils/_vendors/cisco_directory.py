# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Cisco SPA and MPP phones' XML directory service: a ``<CiscoIPPhoneDirectory>`` file and its two parameters.

Format (**code**, many independent directory services: sipwise ngcp
``spa`` directory, FreePBX/Asterisk scripts, the wazo phonebook;
Cisco's XML object as a 2000 presentation shows it)::

    <?xml version="1.0" encoding="UTF-8"?>
    <CiscoIPPhoneDirectory>
    <Title>Directory</Title>
    <DirectoryEntry>
    <Name>Front desk</Name>
    <Telephone>+49 30 1234</Telephone>
    </DirectoryEntry>
    </CiscoIPPhoneDirectory>

Parameters (**code, 2x**: wazo-provd-plugins' Cisco SPA template, FusionPBX
and other SPA templates): ``XML_Directory_Service_Name`` and
``XML_Directory_Service_URL``. An XML service is fetched over HTTP or HTTPS.
Several of the services read page their answer at 32 entries; no document
read states a limit, and the collection writes one page.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import LineFormat

FILE_NAME = "directory.xml"
TITLE = "Directory"
NAME_PARAM = "XML_Directory_Service_Name"
URL_PARAM = "XML_Directory_Service_URL"
SCHEMES = ("http", "https")

FORMAT = LineFormat(
    header=('<?xml version="1.0" encoding="UTF-8"?>', "<CiscoIPPhoneDirectory>", "<Title>%s</Title>" % TITLE),
    entry=("<DirectoryEntry>", "<Name>{name}</Name>", "<Telephone>{number}</Telephone>", "</DirectoryEntry>"),
    footer=("</CiscoIPPhoneDirectory>",),
)


def render_directory(entries):
    """The directory's bytes."""
    return FORMAT.encode(entries)


def parse_directory(data):
    """``[(name, number)]`` of a directory :func:`render_directory` wrote; anything else is a ProfileFormatError."""
    return FORMAT.pairs(data)


def directory_settings(url):
    """The parameters that point the phone at the directory."""
    return [(NAME_PARAM, TITLE), (URL_PARAM, url)]
