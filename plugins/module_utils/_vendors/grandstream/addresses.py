# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Grandstream's rules for hosts and server paths, on the shared ``_addresses`` parser.

Only what differs from other families is here: underscores in host names,
IPv6 without brackets outside URLs, and P237/P192 server paths written
without their scheme.
"""

from __future__ import annotations

import functools
import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    AddressError,
    HostRules,
    UrlRules,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import shown_url

# Host names of RFC 1123 labels plus "_", at most 253 characters; IPv4, and
# IPv6 with or without brackets (Python's ipaddress decides).
_HOSTS = HostRules(underscore=True)
# In a URL an IPv6 address needs its brackets.
_URL_HOSTS = HostRules(underscore=True, bare_ipv6=False)
# What may stand in a server path after the scheme (RFC 3986 characters
# without query and fragment; P237/P192 carry no scheme).
_URL_REST = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=:@/\[\]-]+")
_SERVER_PATH_MESSAGES = {
    "unparsable": "{value} is not a URL{reason}",
    "scheme": "{value} must start with one of {schemes} (what this model can fetch from)",
    "syntax": "{value} is not scheme://host[:port]/path (no user, query or fragment; a path of plain URL characters)",
    "port": "{value} is not scheme://host[:port]/path (no user, query or fragment; a path of plain URL characters)",
}


@functools.lru_cache(maxsize=None)
def _url_rules(schemes):
    """P237/P192 URLs of a template family that fetches over ``schemes`` (a tuple)."""
    return UrlRules(schemes, _URL_HOSTS, after_scheme=_URL_REST, forbidden="?#", python_parsable=True)


def shown(value):
    """A URL or host value for an error message, with any ``user:password@`` part replaced (see :func:`~._errors.shown_url`)."""
    return shown_url(value)


# A pure function of a string; every device of a fleet repeats the same
# servers, so it is cached.
@functools.lru_cache(maxsize=1024)
def _host(value):
    """The :class:`~._addresses.Host` of a host name, an IPv4 address or an IPv6 address (bracketed or not), or None."""
    return _HOSTS.host(value)


def _host_port(value):
    """True for ``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` (port 1 to 65535)."""
    found = _HOSTS.host_port(value)
    return found is not None and (found.port is None or 1 <= found.port <= 65535)


def _server_path(ctx, name, value, schemes):
    """``scheme://host[:port]/path`` -> ``(host[:port]/path, scheme)`` for P237/P192."""
    try:
        url = parse_url(value, _url_rules(tuple(schemes)), messages=_SERVER_PATH_MESSAGES)
    except AddressError as exc:
        raise ctx.error(exc.message, name)
    return url.after_scheme.rstrip("/"), url.scheme
