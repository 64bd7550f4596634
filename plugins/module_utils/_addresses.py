# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Host names, IP addresses, ``host[:port]`` and URLs as the phones take them.

One parser for every vendor. What differs between firmwares is declared as
data: a :class:`HostRules` says which host names and IP literals a field
takes, a :class:`UrlRules` which schemes, whether user information, which
path characters. A vendor module keeps only its rules and its messages.

The parser splits a value the same way for every vendor:

* ``host``: ``[v6]`` (bracketed), an IP literal without brackets where the
  rules allow one, or a host name;
* ``host:port``: a value starting with ``[`` ends its host at the first ``]``;
  otherwise a value with exactly one ``:`` is ``host:port`` and a value with
  more is a host (an IPv6 address without brackets, which cannot carry a port);
* ``scheme://[userinfo@]host[:port][/path]``: the authority ends at the first
  ``/`` and its user information at its first ``@``.

Errors are :class:`AddressError` (a :class:`~._errors.ProvisioningError`)
naming the device and the field; their ``kind`` says what was wrong
(``host``, ``port``, ``scheme``, ``syntax``, ``unparsable``) and each vendor
may word each kind its own way. Values are shown with
:func:`~._errors.shown_url`, so a ``user:password@`` never reaches a log.

Some rules keep what a vendor has always accepted although a stricter check
would be right (a label ending in ``-``, loose IPv6 literals, a final line
feed left to a later check); they are named as such below, so that tightening
one is a visible change of one vendor's rules.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, shown_url

#: The port numbers a host:port or URL may name.
MIN_PORT = 1
MAX_PORT = 65535

#: IPv6 checks: ``exact`` is Python's :mod:`ipaddress` (zone ids included, a
#: bracketed IPv4 address refused); ``loose`` only looks at the characters.
IPV6_EXACT = "exact"
IPV6_LOOSE = "loose"

# The characters of an IPv6 literal, not its structure: what vendors that never
# checked more have always accepted (``[::::]``, ``[1.2.3.4]``).
_LOOSE_BRACKETED_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]{2,45}\]")
_LOOSE_BARE_IPV6 = re.compile(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")


class AddressError(ProvisioningError):
    """A value that is not a host, ``host:port`` or URL the rules accept.

    ``kind`` is ``host`` (not a host the rules take), ``port`` (a port out of
    1 to 65535), ``scheme`` (a scheme the rules do not list), ``syntax``
    (anything else wrong with a URL) or ``unparsable`` (Python's URL parser
    refuses it; ``reason`` says why).
    """

    def __init__(self, message, kind, reason=None, device=None, field=None):
        super().__init__(message, device=device, field=field)
        self.kind = kind
        self.reason = reason


class Host:
    """A parsed host: ``name`` without brackets, ``ipv6`` for an IPv6 literal, ``port`` or ``None``.

    ``text`` is the host as the value wrote it (brackets kept).
    """

    __slots__ = ("name", "ipv6", "port", "text")

    def __init__(self, name, ipv6, port=None, text=None):
        self.name = name
        self.ipv6 = ipv6
        self.port = port
        self.text = name if text is None else text

    def __eq__(self, other):
        return isinstance(other, Host) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        return (self.name, self.ipv6, self.port, self.text)

    def __repr__(self):
        return "Host(%r, ipv6=%r, port=%r, text=%r)" % (self.name, self.ipv6, self.port, self.text)

    def with_port(self, port):
        """``host:port`` as a phone writes it: an IPv6 address in brackets."""
        return "[%s]:%d" % (self.name, port) if self.ipv6 else "%s:%d" % (self.name, port)


class Url:
    """A parsed URL: ``scheme`` (lower case), ``userinfo`` or ``None``, ``host`` (a :class:`Host` with its port) and ``path``.

    ``path`` is ``""`` or starts with ``/``; ``after_scheme`` is the text after
    ``scheme://``.
    """

    __slots__ = ("scheme", "userinfo", "host", "path", "after_scheme")

    def __init__(self, scheme, userinfo, host, path, after_scheme):
        self.scheme = scheme
        self.userinfo = userinfo
        self.host = host
        self.path = path
        self.after_scheme = after_scheme

    def __repr__(self):
        return "Url(%r, userinfo=%s, host=%r, path=%r)" % (self.scheme, "set" if self.userinfo else None, self.host, self.path)


class HostRules:
    """Which host names and IP literals a vendor's field takes.

    ``underscore``
        ``_`` may stand in a name (service-style labels; RFC 1123 has none).
    ``labels``
        check the name label by label: 1 to 63 characters each, no empty
        label, a ``-`` never first. Without it the name is a run of name
        characters, dots and hyphens (no label structure).
    ``hyphen_ends_label``
        (with ``labels``) a label may end in ``-``, which RFC 1123 forbids:
        kept for the firmware that always took it.
    ``dot_or_hyphen_first``
        (without ``labels``) the name may start with ``.`` or ``-``.
    ``max_length``
        the longest name (253 in DNS), or ``None`` for no limit.
    ``ipv6``
        :data:`IPV6_EXACT` or :data:`IPV6_LOOSE`, for bracketed literals and,
        with ``bare_ipv6``, unbracketed ones.
    ``bare_ipv6``
        an IPv6 address may be written without brackets (not in a URL, where
        its colons would read as a port).
    ``port_digits``
        the most digits a port may have (leading zeros count), or ``None``.
    ``final_newline``
        one final line feed does not make the value wrong here (a regular
        expression's ``$`` let it through); the vendor's line check refuses it
        later, naming the parameter that cannot carry it.
    """

    def __init__(self, underscore=False, labels=True, hyphen_ends_label=False, dot_or_hyphen_first=False,
                 max_length=253, ipv6=IPV6_EXACT, bare_ipv6=True, port_digits=None, final_newline=False):
        if ipv6 not in (IPV6_EXACT, IPV6_LOOSE):
            raise ValueError("ipv6 must be %r or %r" % (IPV6_EXACT, IPV6_LOOSE))
        self.underscore = underscore
        self.labels = labels
        self.hyphen_ends_label = hyphen_ends_label
        self.dot_or_hyphen_first = dot_or_hyphen_first
        self.max_length = max_length
        self.ipv6 = ipv6
        self.bare_ipv6 = bare_ipv6
        self.port_digits = port_digits
        self.final_newline = final_newline
        self._name = re.compile(self._name_pattern())

    def _name_pattern(self):
        chars = "A-Za-z0-9_" if self.underscore else "A-Za-z0-9"
        if self.labels:
            if self.hyphen_ends_label:
                label = "[%s][%s-]{0,62}" % (chars, chars)
            else:
                label = "[%s](?:[%s-]{0,61}[%s])?" % (chars, chars, chars)
            return r"%s(?:\.%s)*\.?" % (label, label)
        first = chars + ".-" if self.dot_or_hyphen_first else chars
        return "[%s][%s.-]*" % (first, chars)

    def is_name(self, text):
        """Whether ``text`` is a host name these rules take."""
        return (self.max_length is None or len(text) <= self.max_length) and self._name.fullmatch(text) is not None

    def host(self, text):
        """The :class:`Host` ``text`` names, or ``None``."""
        written = text
        if self.final_newline and text.endswith("\n"):
            text = text[:-1]
        if self.ipv6 == IPV6_EXACT:
            found = self._exact_host(text)
        elif _LOOSE_BRACKETED_IPV6.fullmatch(text):
            found = Host(text[1:-1], True)
        elif self.is_name(text):
            found = Host(text, False)
        elif self.bare_ipv6 and _LOOSE_BARE_IPV6.fullmatch(text):
            found = Host(text, True)
        else:
            return None
        return None if found is None else Host(found.name, found.ipv6, text=written)

    def _exact_host(self, text):
        bracketed = text.startswith("[") and text.endswith("]")
        inner = text[1:-1] if bracketed else text
        try:
            address = ipaddress.ip_address(inner)
        except ValueError:
            if not bracketed and self.is_name(text):
                return Host(text, False)
            return None
        if address.version == 4:
            return None if bracketed else Host(inner, False)
        if not bracketed and not self.bare_ipv6:
            return None
        return Host(inner, True)

    def port(self, text):
        """The port number ``text`` names, or ``None`` when it is not digits (the range is checked by the callers)."""
        if self.final_newline and text.endswith("\n"):
            text = text[:-1]
        if not (text.isdigit() and text.isascii()) or (self.port_digits is not None and len(text) > self.port_digits):
            return None
        return int(text)

    def split(self, text):
        """``(host, port text or None)`` of ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``.

        The port is ``False`` when what follows ``]`` is not ``:port``.
        """
        if text.startswith("["):
            host, bracket, rest = text.partition("]")
            if not rest or (self.final_newline and rest == "\n"):
                return host + bracket, None
            return host + bracket, (rest[1:] if rest.startswith(":") else False)
        if text.count(":") == 1:
            host, dummy, port = text.partition(":")
            return host, port
        return text, None

    def host_port(self, text):
        """The :class:`Host` of ``host[:port]`` with its port (not range-checked), or ``None``."""
        host_text, port_text = self.split(text)
        port = None
        if port_text is not None:
            port = None if port_text is False else self.port(port_text)
            if port is None:
                return None
        host = self.host(host_text)
        return None if host is None else Host(host.name, host.ipv6, port, host.text)


class UrlRules:
    """What a vendor's URL field takes.

    ``schemes``
        the schemes, lower case, in the order a message lists them.
    ``host_rules``
        the :class:`HostRules` of the host (and port) part.
    ``scheme_case``
        ``insensitive`` (``HTTP://`` is ``http://``) or ``sensitive``.
    ``userinfo``
        a compiled pattern the ``user[:password]`` before ``@`` must match, or
        ``None`` when a URL may not carry one.
    ``path``
        a compiled pattern a path (from its ``/``) must match, or ``None``.
    ``after_scheme``
        a compiled pattern everything after ``scheme://`` (final ``/`` left
        out) must match, or ``None``.
    ``forbidden``
        characters the value may not contain anywhere (``?`` and ``#`` where
        a phone would cut the URL there).
    ``python_parsable``
        the value must also be one Python's :func:`urllib.parse.urlsplit`
        reads, port included; its reason is quoted when it is not.
    ``final_newline``
        one final line feed does not make the URL wrong here (see
        :class:`HostRules`).
    """

    def __init__(self, schemes, host_rules, scheme_case="insensitive", userinfo=None, path=None, after_scheme=None,
                 forbidden="", python_parsable=False, final_newline=False):
        if scheme_case not in ("insensitive", "sensitive"):
            raise ValueError("scheme_case must be 'insensitive' or 'sensitive'")
        self.schemes = tuple(schemes)
        self.host_rules = host_rules
        self.scheme_case = scheme_case
        self.userinfo = userinfo
        self.path = path
        self.after_scheme = after_scheme
        self.forbidden = forbidden
        self.python_parsable = python_parsable
        self.final_newline = final_newline

    def replace(self, **changes):
        """The same rules with ``changes`` (keyword arguments of the constructor)."""
        arguments = {name: getattr(self, name) for name in (
            "schemes", "host_rules", "scheme_case", "userinfo", "path", "after_scheme", "forbidden", "python_parsable",
            "final_newline")}
        arguments.update(changes)
        return UrlRules(**arguments)


# -- checks that raise ----------------------------------------------------------

#: Default wording of each kind of error; ``{value}`` is the value as
#: :func:`~._errors.shown_url` shows it, ``{schemes}`` the schemes as ``http://,
#: https://`` and ``{reason}`` Python's reason (`` (...)``, empty when the
#: value holds a ``@``: the reason may quote a password).
MESSAGES = {
    "host": "{value} is not a host name or address",
    "port": "{value} has a port out of range %d to %d" % (MIN_PORT, MAX_PORT),
    "scheme": "{value} must start with one of {schemes}",
    "syntax": "{value} is not a URL of the form scheme://host[:port][/path]",
    "unparsable": "{value} is not a URL{reason}",
}


def _fail(kind, value, messages, device, field, schemes=(), reason=None):
    template = (messages or {}).get(kind) or MESSAGES[kind]
    text = template.format(
        value=shown_url(value),
        schemes=", ".join("%s://" % scheme for scheme in schemes),
        reason="" if reason is None or "@" in value else " (%s)" % reason)
    return AddressError(text, kind, reason=reason, device=device, field=field)


def parse_host(value, rules, device=None, field=None, messages=None):
    """The :class:`Host` of a host name, IPv4 or IPv6 address; else :class:`AddressError` of kind ``host``."""
    found = rules.host(value)
    if found is None:
        raise _fail("host", value, messages, device, field)
    return found


def parse_host_port(value, rules, device=None, field=None, messages=None):
    """The :class:`Host` (``port`` set or ``None``) of ``host[:port]``; :class:`AddressError` of kind ``host`` or ``port``.

    A port that is not digits (or has more than ``port_digits``) makes the
    whole value no ``host:port``: kind ``host``.
    """
    found = rules.host_port(value)
    if found is None:
        raise _fail("host", value, messages, device, field)
    if found.port is not None and not MIN_PORT <= found.port <= MAX_PORT:
        raise _fail("port", value, messages, device, field)
    return found


def python_url_reason(value):
    """Why :func:`urllib.parse.urlsplit` refuses ``value`` (port included), or ``None``."""
    try:
        urlsplit(value).port
    except ValueError as exc:
        return str(exc)
    return None


def _scheme_of(text, rules):
    scheme, sep, rest = text.partition("://")
    wanted = scheme.lower() if rules.scheme_case == "insensitive" else scheme
    if not sep or wanted not in rules.schemes:
        return None, rest
    return wanted, rest


def parse_url(value, rules, device=None, field=None, messages=None):
    """The :class:`Url` of ``scheme://[userinfo@]host[:port][/path]``; else :class:`AddressError`.

    The kind is ``unparsable`` (with ``python_parsable``, first), ``scheme``,
    ``syntax`` or ``port`` (a port of digits out of range, checked last).
    """
    if rules.python_parsable:
        reason = python_url_reason(value)
        if reason is not None:
            raise _fail("unparsable", value, messages, device, field, reason=reason)
    text = value[:-1] if rules.final_newline and value.endswith("\n") else value
    scheme, rest = _scheme_of(text, rules)
    if scheme is None:
        raise _fail("scheme", value, messages, device, field, schemes=rules.schemes)
    url = _split_url(scheme, rest, rules)
    if url is None or any(char in rules.forbidden for char in value):
        raise _fail("syntax", value, messages, device, field)
    if url.host.port is not None and not MIN_PORT <= url.host.port <= MAX_PORT:
        raise _fail("port", value, messages, device, field)
    return url


def _split_url(scheme, rest, rules):
    """The :class:`Url` of what follows ``scheme://``, ports not range-checked; ``None`` when the rules refuse it."""
    authority, slash, path = rest.partition("/")
    path = slash + path
    if rules.after_scheme is not None and not rules.after_scheme.fullmatch(rest.rstrip("/")):
        return None
    if rules.path is not None and path and not rules.path.fullmatch(path):
        return None
    userinfo = None
    if "@" in authority:
        if rules.userinfo is None:
            return None
        userinfo, dummy, authority = authority.partition("@")
        if not rules.userinfo.fullmatch(userinfo):
            return None
    host = rules.host_rules.host_port(authority)
    if host is None:
        return None
    return Url(scheme, userinfo, host, path, rest)
