# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shared host/URL parser (``_addresses``) and what each vendor accepts through it.

Three parts:

* :data:`TABLE`: what every vendor accepted and refused before the three
  grammars moved into ``_addresses`` (commit 49385e8, recorded on Python
  3.11 and 3.13), rendering each value through the whole vendor: one row per
  setting and value, ``+``/``-`` per vendor in :data:`VENDORS` order, and a
  digest of every outcome of the row (the error's field and exact message,
  or the bytes of every rendered file). A row that fails shows the outcomes
  now, to compare with the row.
* Differential tests: the three old grammars, copied verbatim from that
  commit as oracles, against the vendors' functions on generated values.
* The parser's own interface: parsed parts, error kinds, messages.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _addresses as addresses
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, ProvisioningErrors, shown_url
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_flat_profile as flat
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import addresses as grandstream
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic import renderer as panasonic

#: The vendors of :data:`TABLE`, each by one model (both Grandstream template
#: families: the legacy one fetches over tftp and http only).
VENDORS = (
    ("grandstream", "GRP2612"),
    ("grandstream_legacy", "GXP2000"),
    ("cisco_spa", "SPA504G"),
    ("cisco_mpp", "CP-8841-3PCC"),
    ("panasonic", "KX-UT133"),
)
#: Cisco upgrades firmware only with a version to compare.
_FIRMWARE_VERSIONS = {"cisco_spa": "7.6.2", "cisco_mpp": "12.0.1"}

_SETTINGS = settings(max_examples=400, deadline=None, database=None)


def vendor_outcome(vendor, model, setting, value):
    """``[field, message]`` of the error ``value`` gets as ``setting``, or ``ok`` and a digest of every file rendered."""
    defaults = {"encrypt_profiles": False, "allow_plain_credentials": True, "sip_server": "pbx.example.com",
                "provisioning_url": "http://prov.example.com/p"}
    if setting == "firmware_url" and vendor in _FIRMWARE_VERSIONS:
        defaults["firmware_version"] = _FIRMWARE_VERSIONS[vendor]
    defaults[setting] = value
    try:
        inventory, fleet = load_fleet([{"name": "d", "mac": "00:0b:82:12:34:56", "model": model,
                                        "lines": [{"extension": "1", "password": "pw"}]}], defaults)
        files = render_fleet(inventory, fleet)
    except ProvisioningError as exc:
        errors = exc.errors if isinstance(exc, ProvisioningErrors) else [exc]
        assert len(errors) == 1, errors
        return [errors[0].field, errors[0].message]
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda item: item.path):
        digest.update(item.path.encode() + b"\0" + item.content + b"\0")
    return "ok " + digest.hexdigest()[:16]


def row_digest(outcomes):
    return hashlib.sha256(json.dumps(outcomes).encode()).hexdigest()[:12]


# --- the old grammars, verbatim (49385e8), as oracles ----------------------------

_OLD_GS_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_OLD_GS_HOST_NAME = re.compile(r"(?=.{1,253}$)%s(?:\.%s)*\.?" % (_OLD_GS_HOST_LABEL, _OLD_GS_HOST_LABEL))
_OLD_GS_URL_REST = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=:@/\[\]-]+")


def _old_gs_host(value):
    import ipaddress
    bracketed = value.startswith("[") and value.endswith("]")
    text = value[1:-1] if bracketed else value
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        if not bracketed and _OLD_GS_HOST_NAME.fullmatch(value):
            return value, False
        return None
    if address.version == 4:
        return None if bracketed else (text, False)
    return text, True


def _old_gs_host_port(value):
    if value.startswith("["):
        host, sep, rest = value.partition("]")
        host += sep
        port = rest[1:] if rest.startswith(":") else (None if not rest else "x")
    elif value.count(":") == 1:
        host, dummy, port = value.partition(":")
    else:
        host, port = value, None
    if port is not None and not (port.isdigit() and port.isascii() and 1 <= int(port) <= 65535):
        return False
    return _old_gs_host(host) is not None


def _old_gs_server_path(value, schemes):
    """``(rest, scheme)``, or the message of the old ``_server_path``."""
    wanted = ", ".join("%s://" % scheme for scheme in schemes)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return "%s is not a URL%s" % (shown_url(value), "" if "@" in value else " (%s)" % exc)
    scheme = parts.scheme.lower()
    if scheme not in schemes or not value.lower().startswith(scheme + "://"):
        return "%s must start with one of %s (what this model can fetch from)" % (shown_url(value), wanted)
    rest = value[len(parts.scheme) + 3:].rstrip("/")
    host = parts.netloc.rsplit(":", 1)[0] if port else parts.netloc
    found = _old_gs_host(host)
    # The one deliberate change: the old parser took a bare IPv6 address as a
    # URL's host when a bracket in its zone ID kept urlsplit from reading a
    # port ("http://fe80::1%eth0[::1]"); a URL's IPv6 host is bracketed.
    if found is not None and found[1] and not host.startswith("["):
        found = None
    if (not parts.hostname or parts.username is not None or parts.query or parts.fragment or "?" in value or "#" in value
            or not _OLD_GS_URL_REST.fullmatch(rest) or found is None):
        return ("%s is not scheme://host[:port]/path (no user, query or fragment; a path of plain URL characters)"
                % (shown_url(value),))
    return rest, scheme


_OLD_C_HOSTNAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?"
_OLD_C_IPV6 = r"\[[0-9A-Fa-f:.]{2,45}\]"
_OLD_C_HOST_RE = re.compile(r"^(?:%s|%s)$" % (_OLD_C_HOSTNAME, _OLD_C_IPV6))
_OLD_C_HOST_PORT_RE = re.compile(r"^(?P<host>%s|%s)(?::(?P<port>[0-9]{1,5}))?$" % (_OLD_C_HOSTNAME, _OLD_C_IPV6))
_OLD_C_URL_RE = re.compile(
    r"^(?P<scheme>tftp|http|https)://(?P<host>%s|%s)(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9._~%%/+$-]*)?$"
    % (_OLD_C_HOSTNAME, _OLD_C_IPV6))


def _old_c_host(text, allow_port):
    if allow_port:
        match = _OLD_C_HOST_PORT_RE.match(text)
        return bool(match and (match.group("port") is None or 1 <= int(match.group("port")) <= 65535))
    return bool(_OLD_C_HOST_RE.match(text))


def _old_c_url(text):
    match = _OLD_C_URL_RE.match(text)
    return not (match is None or (match.group("port") is not None and not 1 <= int(match.group("port")) <= 65535))


_OLD_P_HOST_RE = re.compile(
    r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})"
    r"|\[[0-9A-Fa-f:.]{2,45}\]"
    r"|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})$")
_OLD_P_URL_RE = re.compile(
    r"^(?P<scheme>tftp|http|https)://(?P<userinfo>[^\s/\"@]+@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9_.-]+)(?::(?P<port>[0-9]{1,5}))?(?P<path>/[^\s\"]*)?$")


def _old_p_url(value, allow_query):
    """``'format'``, ``'port'`` or the user information (``None`` without)."""
    match = _OLD_P_URL_RE.match(value)
    if match is None or (not allow_query and re.search(r"[?#{}]", value)):
        return "format"
    if match.group("port") is not None and not 1 <= int(match.group("port")) <= 65535:
        return "port"
    return ("userinfo", match.group("userinfo"))


def _old_p_outbound_proxy(value):
    match = re.match(r"^(\[[^\]]*\]|[^:]*)(?::([0-9]{1,5}))?$", value)
    host, port = (match.group(1), match.group(2)) if match else (value, None)
    if not _OLD_P_HOST_RE.match(host):
        return "host"
    if port is not None and not 1 <= int(port) <= 65535:
        return "port"
    return host, (str(int(port)) if port is not None else None)


# --- generated values: mostly address-like, with the characters that matter --------

_ADDRESS_CHARS = "aZ09_-.:[]@/%?#{}$!+*;=,~'\"() \t\n\u00e9\u0665\u00b2fF"
_PIECES = ["http://", "https://", "tftp://", "ftp://", "HTTP://", "user:pw@", "[::1]", "[2001:db8::1]", "fe80::1%eth0",
           ":5060", ":0", ":65536", ":00080", "example.com", "1.2.3.4", "a" * 63, "a" * 64, "/p", "//", "\n", "x" * 250]


def _address_like():
    piece = st.one_of(st.sampled_from(_PIECES), st.text(alphabet=_ADDRESS_CHARS, max_size=6))
    return st.lists(piece, max_size=6).map("".join)


class _Ctx:
    """What Grandstream's mapping functions need: errors name the field."""

    device = "desk"

    @staticmethod
    def error(message, name):
        return ProvisioningError(message, device="desk", field="settings.%s" % name)


DEVICE = Device("desk", None, "000e08aabbcc", "SPA504G", "cisco_spa", None, [], {}, {}, {})


def _message(call, *args):
    try:
        return call(*args)
    except ProvisioningError as exc:
        return "error: " + exc.message


@_SETTINGS
@given(_address_like())
@example("[::1]\n")
@example("proxy:5060\n")
@example("http://[::1]x:80/p")
@example("http://fe80::1%eth0[::1]")
def test_grandstream_grammar_is_unchanged(value):
    assert (grandstream._host(value) is None) == (_old_gs_host(value) is None)
    found = grandstream._host(value)
    if found is not None:
        assert (found.name, found.ipv6) == _old_gs_host(value)
    assert grandstream._host_port(value) == _old_gs_host_port(value)
    for schemes in ({"tftp": 0, "http": 1, "https": 2, "ftp": 3, "ftps": 4}, {"tftp": 0, "http": 1}):
        new = _message(grandstream._server_path, _Ctx, "provisioning_url", value, schemes)
        old = _old_gs_server_path(value, schemes)
        assert new == (old if isinstance(old, tuple) else "error: " + old)


@_SETTINGS
@given(_address_like())
@example("a-.example")
@example("[::::]")
def test_cisco_grammar_is_unchanged(value):
    text_ok = _message(flat.check_text, value, DEVICE, "f") == value
    for allow_port in (False, True):
        new = _message(flat.check_host, value, DEVICE, "f", allow_port)
        assert (new == value) == (text_ok and _old_c_host(value, allow_port))
    new = _message(flat.check_url, value, DEVICE, "f")
    assert (new == value.rstrip("/")) == (text_ok and _old_c_url(value)), new


@_SETTINGS
@given(_address_like())
@example("pbx\n")
@example("[::1]\n")
@example("proxy:5060\n")
@example("http://u:p@h/p\n")
def test_panasonic_grammar_is_unchanged(value):
    mapper = panasonic._Mapper("desk", lambda setting: "settings.%s" % setting)
    assert (_message(mapper.host, value, "ntp_server") == value) == bool(_OLD_P_HOST_RE.match(value))
    for allow_query in (True, False):
        old = _old_p_url(value, allow_query)
        new = _message(mapper.url, value, "firmware_url", allow_query)
        if old == "format":
            assert new.startswith("error: ") and "is not a URL of the form" in new
        elif old == "port":
            assert new.startswith("error: ") and new.endswith("has a port out of range 1 to 65535")
        else:
            assert new.userinfo == (old[1][:-1] if old[1] else None)
    old = _old_p_outbound_proxy(value)
    new = _message(panasonic.PanasonicRenderer._outbound_proxy, mapper, value)
    if old == "host":
        assert new.startswith("error: ") and new.endswith("is not host[:port]")
    elif old == "port":
        assert new.startswith("error: ") and new.endswith("has a port out of range 1 to 65535")
    else:
        assert new == old


# --- the parser's interface ---------------------------------------------------------

STRICT = addresses.HostRules()
LOOSE = addresses.HostRules(underscore=True, labels=False, ipv6=addresses.IPV6_LOOSE, port_digits=5)


@pytest.mark.parametrize("rules, value, expected", [
    (STRICT, "pbx.example.com", addresses.Host("pbx.example.com", False)),
    (STRICT, "192.0.2.1", addresses.Host("192.0.2.1", False)),
    (STRICT, "[2001:db8::1]", addresses.Host("2001:db8::1", True, text="[2001:db8::1]")),
    (STRICT, "2001:db8::1", addresses.Host("2001:db8::1", True)),
    (STRICT, "[192.0.2.1]", None),
    (STRICT, "a_b", None),
    (STRICT, "a-", None),
    (STRICT, "a" * 64, None),
    (STRICT, ("a" * 63 + ".") * 3 + "a" * 61, addresses.Host(("a" * 63 + ".") * 3 + "a" * 61, False)),
    (STRICT, ("a" * 63 + ".") * 3 + "a" * 62, None),
    (addresses.HostRules(bare_ipv6=False), "2001:db8::1", None),
    (addresses.HostRules(underscore=True), "_sip._udp.example", addresses.Host("_sip._udp.example", False)),
    (addresses.HostRules(hyphen_ends_label=True), "a-.b", addresses.Host("a-.b", False)),
    (LOOSE, "a..b", addresses.Host("a..b", False)),
    (LOOSE, ".a", None),
    (addresses.HostRules(labels=False, dot_or_hyphen_first=True), ".a", addresses.Host(".a", False)),
    (LOOSE, "[::::]", addresses.Host("::::", True, text="[::::]")),
    (LOOSE, "a:b:c", addresses.Host("a:b:c", True)),
    (LOOSE, "pbx\n", None),
    (addresses.HostRules(final_newline=True), "pbx\n", addresses.Host("pbx", False, text="pbx\n")),
    (addresses.HostRules(final_newline=True), "pbx\n\n", None),
])
def test_hosts(rules, value, expected):
    assert rules.host(value) == expected


@pytest.mark.parametrize("rules, value, expected", [
    (STRICT, "sbc.example.com:5061", addresses.Host("sbc.example.com", False, 5061)),
    (STRICT, "[2001:db8::1]:5060", addresses.Host("2001:db8::1", True, 5060, "[2001:db8::1]")),
    (STRICT, "2001:db8::1", addresses.Host("2001:db8::1", True)),
    (STRICT, "sbc:000080", addresses.Host("sbc", False, 80)),
    (LOOSE, "sbc:000080", "host"),
    (STRICT, "sbc:", "host"),
    (STRICT, "sbc:x", "host"),
    (STRICT, "sbc:\u0665", "host"),
    (STRICT, "[::1]x", "host"),
    (STRICT, "sbc:0", "port"),
    (STRICT, "sbc:65536", "port"),
    (STRICT, "bad host:70000", "host"),
])
def test_host_ports(rules, value, expected):
    if isinstance(expected, str):
        with pytest.raises(addresses.AddressError) as excinfo:
            addresses.parse_host_port(value, rules, device="desk", field="settings.outbound_proxy")
        assert excinfo.value.kind == expected
        assert (excinfo.value.device, excinfo.value.field) == ("desk", "settings.outbound_proxy")
    else:
        assert addresses.parse_host_port(value, rules) == expected


URLS = addresses.UrlRules(("tftp", "http", "https"), addresses.HostRules(bare_ipv6=False), userinfo=re.compile(r"[^@/\s]+"),
                          path=re.compile(r"/[A-Za-z0-9._~%/+$-]*"))


def test_url_parts():
    url = addresses.parse_url("HTTPS://user:pw@[2001:db8::1]:8443/p/$MA/", URLS)
    assert (url.scheme, url.userinfo, url.host, url.path) == (
        "https", "user:pw", addresses.Host("2001:db8::1", True, 8443, "[2001:db8::1]"), "/p/$MA/")
    assert url.after_scheme == "user:pw@[2001:db8::1]:8443/p/$MA/"
    url = addresses.parse_url("tftp://192.0.2.1", URLS)
    assert (url.scheme, url.userinfo, url.host, url.path) == ("tftp", None, addresses.Host("192.0.2.1", False), "")


@pytest.mark.parametrize("rules, value, kind", [
    (URLS, "ftp://h/p", "scheme"),
    (URLS, "http:/h/p", "scheme"),
    (addresses.UrlRules(("http",), STRICT, scheme_case="sensitive"), "HTTP://h/p", "scheme"),
    (URLS, "http://h/a b", "syntax"),
    (URLS, "http://2001:db8::1/p", "syntax"),
    (URLS, "http://h:/p", "syntax"),
    (URLS, "http://h:0/p", "port"),
    (URLS, "http://h:65536/p", "port"),
    (addresses.UrlRules(("http",), STRICT), "http://u@h/p", "syntax"),
    (addresses.UrlRules(("http",), STRICT, forbidden="?#"), "http://h/p?x", "syntax"),
    (addresses.UrlRules(("http",), STRICT, python_parsable=True), "http://h:65536/p", "unparsable"),
    (addresses.UrlRules(("http",), STRICT, after_scheme=re.compile(r"[a-z/]+")), "http://h/P", "syntax"),
])
def test_url_errors(rules, value, kind):
    with pytest.raises(addresses.AddressError) as excinfo:
        addresses.parse_url(value, rules, device="desk", field="settings.provisioning_url")
    assert excinfo.value.kind == kind
    assert str(excinfo.value).startswith("device desk, field settings.provisioning_url: ")


def test_messages_never_show_credentials():
    rules = addresses.UrlRules(("http",), STRICT, python_parsable=True)
    with pytest.raises(addresses.AddressError) as excinfo:
        addresses.parse_url("http://user:s3cret@h:99999/p", rules)
    # Python's reason may quote the authority: it is left out when a "@" is there.
    assert excinfo.value.message == "'http://<credentials>@h:99999/p' is not a URL"
    with pytest.raises(addresses.AddressError) as excinfo:
        addresses.parse_url("http://h:99999/p", rules)
    assert excinfo.value.message == "'http://h:99999/p' is not a URL (Port out of range 0-65535)"
    with pytest.raises(addresses.AddressError) as excinfo:
        addresses.parse_url("gopher://user:s3cret@h/p", URLS, messages={"scheme": "{value} wants {schemes}"})
    assert excinfo.value.message == "'gopher://<credentials>@h/p' wants tftp://, http://, https://"


def test_default_messages():
    with pytest.raises(addresses.AddressError, match=r"^'a b' is not a host name or address$"):
        addresses.parse_host("a b", STRICT)
    with pytest.raises(addresses.AddressError, match=r"^'h:0' has a port out of range 1 to 65535$"):
        addresses.parse_host_port("h:0", STRICT)


def test_replaced_rules_keep_the_rest():
    strict = URLS.replace(forbidden="?")
    assert (strict.schemes, strict.host_rules, strict.userinfo, strict.path, strict.forbidden) == (
        URLS.schemes, URLS.host_rules, URLS.userinfo, URLS.path, "?")
    lenient = addresses.UrlRules(("http",), STRICT)
    assert addresses.parse_url("http://h/p?x", lenient).path == "/p?x"
    with pytest.raises(addresses.AddressError) as excinfo:
        addresses.parse_url("http://h/p?x", lenient.replace(forbidden="?"))
    assert excinfo.value.kind == "syntax"


def test_rules_refuse_unknown_ipv6_modes():
    with pytest.raises(ValueError):
        addresses.HostRules(ipv6="strict")
    with pytest.raises(ValueError):
        addresses.UrlRules(("http",), STRICT, scheme_case="upper")


# --- what each vendor accepted before the move ------------------------------------

#: ``(setting, value, accepted by each of VENDORS, digest of every outcome)``.
TABLE = [
    ('sip_server', 'pbx.example.com', '+++++', '8066f25bc688'),
    ('sip_server', 'PBX.Example.COM.', '+++++', '297a352faafb'),
    ('sip_server', 'a', '+++++', '8782bc229e56'),
    ('sip_server', 'a_b.example', '++--+', '56ddf3172bc4'),
    ('sip_server', '_sip.example', '++--+', '6f64ceec28cc'),
    ('sip_server', 'a_', '++--+', 'b7e607d60127'),
    ('sip_server', '-a.example', '-----', 'd42cb1ae9ecd'),
    ('sip_server', 'a-.example', '--+++', 'ed0a737c9fc3'),
    ('sip_server', 'a-b.example', '+++++', '3d515ba3b8fb'),
    ('sip_server', 'a..b', '----+', '0ad90db372ad'),
    ('sip_server', '.a', '-----', 'a8629226476f'),
    ('sip_server', 'a.', '+++++', '30e84e275a46'),
    ('sip_server', '..', '-----', '99bb11356a64'),
    ('sip_server', '.', '-----', 'd79570756407'),
    ('sip_server', '1.2.3.4', '+++++', '8736364592f2'),
    ('sip_server', '999.1.1.1', '+++++', 'dff40fb6a71a'),
    ('sip_server', '01.2.3.4', '+++++', '3606a26afa14'),
    ('sip_server', '1.2.3', '+++++', 'dcc51f4c087c'),
    ('sip_server', '[1.2.3.4]', '--+++', 'f25daa99c645'),
    ('sip_server', '::1', '++--+', '17d44493c1b2'),
    ('sip_server', '[::1]', '+++++', '3a8627c54f21'),
    ('sip_server', '[2001:db8::1]', '+++++', 'e9ab1879a2e4'),
    ('sip_server', '2001:db8::1', '++--+', 'a772206f771a'),
    ('sip_server', '[fe80::1%eth0]', '++---', 'ffa41267b77f'),
    ('sip_server', 'fe80::1%eth0', '++---', 'ea38714da6ed'),
    ('sip_server', '[::::]', '--+++', '33bf2efe4b58'),
    ('sip_server', '[zz::1]', '-----', '9e33dd230164'),
    ('sip_server', '[1:2]', '--+++', 'd0883edc304c'),
    ('sip_server', '[a.b]', '--+++', 'c2fcd0801c0c'),
    ('sip_server', 'a:b:c', '----+', '1c8ee3a251fc'),
    ('sip_server', '[', '-----', 'fb234916691c'),
    ('sip_server', ']', '-----', '5503577ddc2c'),
    ('sip_server', '[]', '-----', 'bf7db6aa6286'),
    ('sip_server', '[::1', '-----', '1bc1bdb75e1e'),
    ('sip_server', 'x' * 63 + '.com', '+++++', '212815020d7c'),
    ('sip_server', 'x' * 64 + '.com', '----+', '5613e82413c6'),
    ('sip_server', 'x' * 63 + '_', '----+', '1b6e3dfd375f'),
    ('sip_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x', '+++++', '6aefe3299c13'),
    ('sip_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.xx', '--++-', '439b7d4bbddf'),
    ('sip_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x.', '--++-', '6703d470e0a8'),
    ('sip_server', 'a' * 254, '-----', 'c90c56d382d1'),
    ('sip_server', 'a' * 300, '-----', '4cb996f79f49'),
    ('sip_server', '\xe9.example', '-----', '0294b7099c03'),
    ('sip_server', 'pbx example', '-----', 'c02e1943a6d7'),
    ('sip_server', 'pbx\n', '-----', 'c96cd4fd0ac4'),
    ('sip_server', 'pbx\t', '-----', '80548e4b44f5'),
    ('sip_server', 'host:5060', '-----', 'e6ea1aaa69be'),
    ('sip_server', 'user@host', '-----', '31fc4f373309'),
    ('sip_server', 'user:pw@host', '-----', '31fc4f373309'),
    ('sip_server', 'h/ost', '-----', 'a0f2ad7e7dbb'),
    ('sip_server', 'h%41', '-----', 'e9cbdbc62e1e'),
    ('sip_server', 'h~x', '-----', 'cb7c91bc0dc0'),
    ('sip_server', 'h+x', '-----', '03b806fe7998'),
    ('sip_server', 'h$x', '-----', 'e469efc6ffc4'),
    ('sip_server', 'h*', '-----', '3d41ade8d21a'),
    ('sip_server', 'pbx.example.com ', '-----', '8c8f897efab1'),
    ('ntp_server', 'pbx.example.com', '+++++', '510bf73287cd'),
    ('ntp_server', 'PBX.Example.COM.', '+++++', '112459c8dd6e'),
    ('ntp_server', 'a', '+++++', '86cacdc9712f'),
    ('ntp_server', 'a_b.example', '++--+', 'ca4728b094a6'),
    ('ntp_server', '_sip.example', '++--+', 'b6e0609e7077'),
    ('ntp_server', 'a_', '++--+', '502c5a453ed0'),
    ('ntp_server', '-a.example', '-----', '633c2091839a'),
    ('ntp_server', 'a-.example', '--+++', 'b3b43fb5d923'),
    ('ntp_server', 'a-b.example', '+++++', 'a4a856d7c027'),
    ('ntp_server', 'a..b', '----+', 'd97f3d3e438a'),
    ('ntp_server', '.a', '-----', 'c100f8930e52'),
    ('ntp_server', 'a.', '+++++', 'ec5e80cc96c2'),
    ('ntp_server', '..', '-----', '9c3b82b1d3ab'),
    ('ntp_server', '.', '-----', '1804e60d68e1'),
    ('ntp_server', '1.2.3.4', '+++++', '3ed96edfa4c0'),
    ('ntp_server', '999.1.1.1', '+++++', 'd0a268b85539'),
    ('ntp_server', '01.2.3.4', '+++++', 'c4aaca753456'),
    ('ntp_server', '1.2.3', '+++++', '8b63e8784e67'),
    ('ntp_server', '[1.2.3.4]', '--+++', '46dffa651495'),
    ('ntp_server', '::1', '++--+', '191e34317f35'),
    ('ntp_server', '[::1]', '+++++', 'f1d66b2e12ae'),
    ('ntp_server', '[2001:db8::1]', '+++++', '7f41cb824a8c'),
    ('ntp_server', '2001:db8::1', '++--+', '768ff70d7822'),
    ('ntp_server', '[fe80::1%eth0]', '++---', '2f763f45583e'),
    ('ntp_server', 'fe80::1%eth0', '++---', '8cdeb17e4281'),
    ('ntp_server', '[::::]', '--+++', 'e6765f1bd143'),
    ('ntp_server', '[zz::1]', '-----', '012dd91c1e49'),
    ('ntp_server', '[1:2]', '--+++', 'e3068b3e10cd'),
    ('ntp_server', '[a.b]', '--+++', 'aff26260e467'),
    ('ntp_server', 'a:b:c', '----+', 'fbd3defc955f'),
    ('ntp_server', '[', '-----', '9df13035c7cf'),
    ('ntp_server', ']', '-----', '91262f0b6211'),
    ('ntp_server', '[]', '-----', 'fc1c5e2ebb0a'),
    ('ntp_server', '[::1', '-----', '24ba2e92850a'),
    ('ntp_server', 'x' * 63 + '.com', '+++++', 'b21a6bbe20f9'),
    ('ntp_server', 'x' * 64 + '.com', '----+', '7bdae7550e8c'),
    ('ntp_server', 'x' * 63 + '_', '----+', '4a1bd923326c'),
    ('ntp_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x', '+++++', 'f01b73ff06ad'),
    ('ntp_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.xx', '--++-', '6ecb79d16a86'),
    ('ntp_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x.', '--++-', 'bd99f8438540'),
    ('ntp_server', 'a' * 254, '-----', '27046685ab6a'),
    ('ntp_server', 'a' * 300, '-----', '993c6836bfe9'),
    ('ntp_server', '\xe9.example', '-----', 'd6964c9eb028'),
    ('ntp_server', 'pbx example', '-----', 'ff1b421d6d94'),
    ('ntp_server', 'pbx\n', '-----', '12e495621fcc'),
    ('ntp_server', 'pbx\t', '-----', 'e3e92fcd5dad'),
    ('ntp_server', 'host:5060', '-----', '74c93f4cfa96'),
    ('ntp_server', 'user@host', '-----', '30752452b6ae'),
    ('ntp_server', 'user:pw@host', '-----', '30752452b6ae'),
    ('ntp_server', 'h/ost', '-----', '14419ef3b62a'),
    ('ntp_server', 'h%41', '-----', 'd39012c79fc3'),
    ('ntp_server', 'h~x', '-----', 'c3b92e2c0e0f'),
    ('ntp_server', 'h+x', '-----', '0e5aa580d605'),
    ('ntp_server', 'h$x', '-----', '325204406cc9'),
    ('ntp_server', 'h*', '-----', '31c98169dcca'),
    ('ntp_server', 'pbx.example.com ', '-----', 'c0dbef0f1d88'),
    ('syslog_server', 'pbx.example.com', '+++++', '3d8133e99fb6'),
    ('syslog_server', 'PBX.Example.COM.', '+++++', '09f17b324e60'),
    ('syslog_server', 'a', '+++++', '67281fc3b5d3'),
    ('syslog_server', 'a_b.example', '++--+', '9d7bb17ccce6'),
    ('syslog_server', '_sip.example', '++--+', '0ae48c14da6f'),
    ('syslog_server', 'a_', '++--+', '4754ffef32b8'),
    ('syslog_server', '-a.example', '-----', 'c61b21e33641'),
    ('syslog_server', 'a-.example', '--+++', 'fd58c792ecee'),
    ('syslog_server', 'a-b.example', '+++++', '3c59cc3ce5ef'),
    ('syslog_server', 'a..b', '----+', 'ca02a74acc5a'),
    ('syslog_server', '.a', '-----', '049336a400e0'),
    ('syslog_server', 'a.', '+++++', 'dceee3aa4a45'),
    ('syslog_server', '..', '-----', '47f57a7c7185'),
    ('syslog_server', '.', '-----', '2f56d097aee2'),
    ('syslog_server', '1.2.3.4', '+++++', '070f9df5b435'),
    ('syslog_server', '999.1.1.1', '+++++', 'eecad70c1844'),
    ('syslog_server', '01.2.3.4', '+++++', 'f087be43ccee'),
    ('syslog_server', '1.2.3', '+++++', 'e7288ba64c57'),
    ('syslog_server', '[1.2.3.4]', '--+++', '996876bca207'),
    ('syslog_server', '::1', '++--+', '3204ca381e05'),
    ('syslog_server', '[::1]', '+++++', 'f38045481881'),
    ('syslog_server', '[2001:db8::1]', '+++++', 'e19439a43e1a'),
    ('syslog_server', '2001:db8::1', '++--+', '5316e59bf838'),
    ('syslog_server', '[fe80::1%eth0]', '++---', '8352e738b67c'),
    ('syslog_server', 'fe80::1%eth0', '++---', '9e12e636011c'),
    ('syslog_server', '[::::]', '--+++', 'c82efeed03d4'),
    ('syslog_server', '[zz::1]', '-----', 'b801319749a0'),
    ('syslog_server', '[1:2]', '--+++', '29d464c45ac8'),
    ('syslog_server', '[a.b]', '--+++', '66328f69149f'),
    ('syslog_server', 'a:b:c', '----+', 'd75370b9c9b0'),
    ('syslog_server', '[', '-----', '923c8040b682'),
    ('syslog_server', ']', '-----', '96c6ef387fda'),
    ('syslog_server', '[]', '-----', 'fbdd0d5b780b'),
    ('syslog_server', '[::1', '-----', 'dcf6433e33c0'),
    ('syslog_server', 'x' * 63 + '.com', '--+++', '0243ee256b08'),
    ('syslog_server', 'x' * 64 + '.com', '----+', '6aa90b74aa7f'),
    ('syslog_server', 'x' * 63 + '_', '----+', '178ee9061375'),
    ('syslog_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x', '--+++', 'dd9ce04a79cc'),
    ('syslog_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.xx', '--++-', 'a6d4ed1c2cd4'),
    ('syslog_server', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x.', '--++-', '92799f0488bc'),
    ('syslog_server', 'a' * 254, '-----', '8178a7e67da6'),
    ('syslog_server', 'a' * 300, '-----', 'a8ddd9eca5d6'),
    ('syslog_server', '\xe9.example', '-----', '0cd98ec24e8e'),
    ('syslog_server', 'pbx example', '-----', '49c025970807'),
    ('syslog_server', 'pbx\n', '-----', 'cdd2ab34c39a'),
    ('syslog_server', 'pbx\t', '-----', 'b70838ceaa1a'),
    ('syslog_server', 'host:5060', '--++-', '1f3cdb377266'),
    ('syslog_server', 'user@host', '-----', '066bf06d37e9'),
    ('syslog_server', 'user:pw@host', '-----', '066bf06d37e9'),
    ('syslog_server', 'h/ost', '-----', 'a6e1733b5329'),
    ('syslog_server', 'h%41', '-----', '193e8ecb794c'),
    ('syslog_server', 'h~x', '-----', 'cef17285bb23'),
    ('syslog_server', 'h+x', '-----', '275fd7b34132'),
    ('syslog_server', 'h$x', '-----', '853b08e9c422'),
    ('syslog_server', 'h*', '-----', 'f769816e9bee'),
    ('syslog_server', 'pbx.example.com ', '-----', '906542769b1d'),
    ('syslog_server', 'proxy:0', '-----', '6ec21bd6de0b'),
    ('syslog_server', 'proxy:1', '--++-', '48d09b16d84c'),
    ('syslog_server', 'proxy:65535', '--++-', '94cfa81cccb0'),
    ('syslog_server', 'proxy:65536', '-----', '1bef6eb0eae2'),
    ('syslog_server', 'proxy:00080', '--++-', '28a80bc44daf'),
    ('syslog_server', 'proxy:', '-----', '5b3ace231a64'),
    ('syslog_server', 'proxy:x', '-----', '06c23abbfa9b'),
    ('syslog_server', 'proxy:123456', '-----', 'c3f867bfbfec'),
    ('syslog_server', '[2001:db8::1]:5060', '--++-', '5af6374f24b0'),
    ('syslog_server', '[2001:db8::1]:', '-----', '452102b96fac'),
    ('syslog_server', '[2001:db8::1]x', '-----', '55a7c41050d8'),
    ('syslog_server', '[2001:db8::1]:0', '-----', '1db52e8f60dd'),
    ('syslog_server', '1.2.3.4:5060', '--++-', '8117ff680d91'),
    ('syslog_server', 'fe80::1:5060', '++--+', '9d9289ea0c86'),
    ('syslog_server', '_proxy:5060', '-----', 'f715cefcf353'),
    ('syslog_server', 'proxy:\u0665\u0660\u0666\u0660', '-----', '78b632c1dc48'),
    ('syslog_server', 'user@proxy:5060', '-----', 'a5e4ea4529ae'),
    ('syslog_server', 'proxy:5060:5060', '-----', 'e90b898aa046'),
    ('syslog_server', '[zz]:5060', '-----', '4b86ca1218ea'),
    ('syslog_server', ':5060', '-----', '0ab5854f2ae4'),
    ('outbound_proxy', 'pbx.example.com', '+++++', 'd6429d70f54b'),
    ('outbound_proxy', 'PBX.Example.COM.', '+++++', '7b81d26c10b8'),
    ('outbound_proxy', 'a', '+++++', '1dcb9ea48336'),
    ('outbound_proxy', 'a_b.example', '++--+', '52586853dbda'),
    ('outbound_proxy', '_sip.example', '++--+', '7f11170804c5'),
    ('outbound_proxy', 'a_', '++--+', '4f05fc64af75'),
    ('outbound_proxy', '-a.example', '-----', 'e1c114e04045'),
    ('outbound_proxy', 'a-.example', '--+++', '8fd04d0a9223'),
    ('outbound_proxy', 'a-b.example', '+++++', 'c52dd5788243'),
    ('outbound_proxy', 'a..b', '----+', 'f40eb14f0b4a'),
    ('outbound_proxy', '.a', '-----', 'f3e1b58a494f'),
    ('outbound_proxy', 'a.', '+++++', 'b2823c175924'),
    ('outbound_proxy', '..', '-----', '4d94677acb89'),
    ('outbound_proxy', '.', '-----', '3db8823d6d5d'),
    ('outbound_proxy', '1.2.3.4', '+++++', 'eae0ed3b0caa'),
    ('outbound_proxy', '999.1.1.1', '+++++', 'fd2f16c685cb'),
    ('outbound_proxy', '01.2.3.4', '+++++', '51f629708e4c'),
    ('outbound_proxy', '1.2.3', '+++++', 'bf01cc68bd3b'),
    ('outbound_proxy', '[1.2.3.4]', '--+++', '6369aa28dc95'),
    ('outbound_proxy', '::1', '++--+', '65fe39005abe'),
    ('outbound_proxy', '[::1]', '+++++', 'dfecc2cc3fdb'),
    ('outbound_proxy', '[2001:db8::1]', '+++++', '1e7ac3de460c'),
    ('outbound_proxy', '2001:db8::1', '++--+', '391a8a34fe72'),
    ('outbound_proxy', '[fe80::1%eth0]', '++---', 'b222256323a5'),
    ('outbound_proxy', 'fe80::1%eth0', '++---', '78b85047209f'),
    ('outbound_proxy', '[::::]', '--+++', 'c5cd98f3f4ba'),
    ('outbound_proxy', '[zz::1]', '-----', 'ad38860d2755'),
    ('outbound_proxy', '[1:2]', '--+++', 'b57ca2220517'),
    ('outbound_proxy', '[a.b]', '--+++', '3e97599fde7f'),
    ('outbound_proxy', 'a:b:c', '----+', '8183e78b4026'),
    ('outbound_proxy', '[', '-----', '1fb4c1b1804f'),
    ('outbound_proxy', ']', '-----', '874a0b945abb'),
    ('outbound_proxy', '[]', '-----', 'b3c9e1843bda'),
    ('outbound_proxy', '[::1', '-----', 'f38059073986'),
    ('outbound_proxy', 'x' * 63 + '.com', '+++++', 'bf141d49f8d6'),
    ('outbound_proxy', 'x' * 64 + '.com', '----+', 'f949aa683f35'),
    ('outbound_proxy', 'x' * 63 + '_', '----+', '1958eacd2b8a'),
    ('outbound_proxy', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x', '+++++', 'cee699fe61ee'),
    ('outbound_proxy', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.xx', '--++-', 'c806f44ae650'),
    ('outbound_proxy', 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.' + 'x' * 62 + '.x.', '--++-', '255fedba1f8b'),
    ('outbound_proxy', 'a' * 254, '-----', '03399e48b78e'),
    ('outbound_proxy', 'a' * 300, '-----', '11400f286ff8'),
    ('outbound_proxy', '\xe9.example', '-----', '4c8e5499c9d3'),
    ('outbound_proxy', 'pbx example', '-----', 'd069a5ade83f'),
    ('outbound_proxy', 'pbx\n', '-----', 'c52ca2917855'),
    ('outbound_proxy', 'pbx\t', '-----', '7eb6128d0900'),
    ('outbound_proxy', 'host:5060', '+++++', '9df0d4519900'),
    ('outbound_proxy', 'user@host', '-----', '488cf8d4db9e'),
    ('outbound_proxy', 'user:pw@host', '-----', '488cf8d4db9e'),
    ('outbound_proxy', 'h/ost', '-----', '8bedb4e38758'),
    ('outbound_proxy', 'h%41', '-----', '78290e8b21ce'),
    ('outbound_proxy', 'h~x', '-----', 'b8c2c9b1da5d'),
    ('outbound_proxy', 'h+x', '-----', '7348b29970f7'),
    ('outbound_proxy', 'h$x', '-----', '15ba6da92f40'),
    ('outbound_proxy', 'h*', '-----', 'f830ec3d3495'),
    ('outbound_proxy', 'pbx.example.com ', '-----', '06fb9d99201f'),
    ('outbound_proxy', 'proxy:0', '-----', '8031426fbd90'),
    ('outbound_proxy', 'proxy:1', '+++++', 'f770b29e345d'),
    ('outbound_proxy', 'proxy:65535', '+++++', 'a5ebfd3a169a'),
    ('outbound_proxy', 'proxy:65536', '-----', '6601c7799d0b'),
    ('outbound_proxy', 'proxy:00080', '+++++', 'fde20df9422c'),
    ('outbound_proxy', 'proxy:', '-----', '57b7c69b955b'),
    ('outbound_proxy', 'proxy:x', '-----', 'e9898fdcf636'),
    ('outbound_proxy', 'proxy:123456', '-----', '0a7f6f9cd8f5'),
    ('outbound_proxy', '[2001:db8::1]:5060', '+++++', '346a947b33a4'),
    ('outbound_proxy', '[2001:db8::1]:', '-----', '66cc864c0f2b'),
    ('outbound_proxy', '[2001:db8::1]x', '-----', '9b12a14dcb13'),
    ('outbound_proxy', '[2001:db8::1]:0', '-----', '05d43689cb6b'),
    ('outbound_proxy', '1.2.3.4:5060', '+++++', 'acbbcf4ab61b'),
    ('outbound_proxy', 'fe80::1:5060', '++--+', '6a0f99fe6cfd'),
    ('outbound_proxy', '_proxy:5060', '++--+', 'feeff51b940e'),
    ('outbound_proxy', 'proxy:\u0665\u0660\u0666\u0660', '-----', '18c85ecfaa7f'),
    ('outbound_proxy', 'user@proxy:5060', '-----', 'd7f13a1363b5'),
    ('outbound_proxy', 'proxy:5060:5060', '-----', '78bcad613b7d'),
    ('outbound_proxy', '[zz]:5060', '-----', 'ebabb09271e3'),
    ('outbound_proxy', ':5060', '-----', '51959dce85d2'),
    ('provisioning_url', 'http://prov.example.com/p', '+++++', '8066f25bc688'),
    ('provisioning_url', 'https://prov.example.com/p/', '+-+++', '7d1f17986a00'),
    ('provisioning_url', 'tftp://1.2.3.4', '+++++', '498832e8ac58'),
    ('provisioning_url', 'tftp://1.2.3.4/', '+++++', '498832e8ac58'),
    ('provisioning_url', 'ftp://h/p', '+----', '5da0ca846fdf'),
    ('provisioning_url', 'ftps://h/p', '+----', '95e6c6a9a2e8'),
    ('provisioning_url', 'HTTP://h/p', '++---', 'c0bf3ebd3898'),
    ('provisioning_url', 'Http://h/p', '++---', '5fdfc80daad6'),
    ('provisioning_url', 'http://h', '+++++', 'c8ff7441feaa'),
    ('provisioning_url', 'http://h:8080/p', '+++++', '66a6133b4a95'),
    ('provisioning_url', 'http://h:0/p', '-----', '24caa8cf5719'),
    ('provisioning_url', 'http://h:65536/p', '-----', 'a8e754a0c083'),
    ('provisioning_url', 'http://h:99999/p', '-----', '67fd02e8b8bf'),
    ('provisioning_url', 'http://h:123456/p', '-----', '1a289fd05d3a'),
    ('provisioning_url', 'http://h:/p', '-----', '254c1a0c97ad'),
    ('provisioning_url', 'http://h:x/p', '-----', '4035a289b12a'),
    ('provisioning_url', 'http://[2001:db8::1]/p', '+++++', '6742b9071bf0'),
    ('provisioning_url', 'http://[2001:db8::1]:8080/p', '+++++', 'c3db3e43b736'),
    ('provisioning_url', 'http://[::::]/p', '--+++', 'f071f0454468'),
    ('provisioning_url', 'http://[zz::1]/p', '-----', '6fa157541cf4'),
    ('provisioning_url', 'http://[1.2.3.4]/p', '--+++', 'ce27dfadf814'),
    ('provisioning_url', 'http://2001:db8::1/p', '-----', 'd9d42451aee8'),
    ('provisioning_url', 'http://user:pw@h/p', '----+', 'fcefadd36368'),
    ('provisioning_url', 'http://user@h/p', '----+', 'de8e931d815d'),
    ('provisioning_url', 'http://us{er@h/p', '-----', 'ae6332c55def'),
    ('provisioning_url', 'http://h/p?x=1', '-----', '44f88e7946dd'),
    ('provisioning_url', 'http://h/p#f', '-----', 'f9a9e75a5474'),
    ('provisioning_url', 'http://h/p?', '-----', '18f7a749e884'),
    ('provisioning_url', 'http://h/a b', '-----', '45dbafe9d3d5'),
    ('provisioning_url', 'http://h/p$MA', '+++++', '55618667fe02'),
    ('provisioning_url', 'http://h/p%20x', '+++++', 'a06c324e8610'),
    ('provisioning_url', 'http://h/p~x+y', '+++++', '72cf95521688'),
    ('provisioning_url', 'http://h/p;x', '++--+', 'df3e0013c9e9'),
    ('provisioning_url', 'http://h/p(x)', '++--+', '03e047c12214'),
    ('provisioning_url', 'http://h/p[x]', '++--+', 'f6533e69af1d'),
    ('provisioning_url', 'http://h/p{x}', '-----', '1ff531c23c3c'),
    ('provisioning_url', 'http://h/p|x', '----+', 'ef0f97ee5d57'),
    ('provisioning_url', 'http://h/p,x', '++--+', '751fad492468'),
    ('provisioning_url', 'http://h/p=x&y', '++--+', '0ea399336067'),
    ('provisioning_url', "http://h/p!x*y'z", '++--+', 'b7a44b35742a'),
    ('provisioning_url', 'http://h/p:x@y', '++--+', '210cc80b2f0b'),
    ('provisioning_url', 'http://h/\xe9', '----+', '5f8560a23eba'),
    ('provisioning_url', 'http://h_x/p', '++--+', '3727994f4ca5'),
    ('provisioning_url', 'http://-h/p', '----+', 'a9c65fb13ca2'),
    ('provisioning_url', 'http://h-/p', '--+++', '816da5db065e'),
    ('provisioning_url', 'http://h..x/p', '----+', '8c1039b554ac'),
    ('provisioning_url', 'http://.h/p', '----+', '6012c93de0f2'),
    ('provisioning_url', 'http://999.1.1.1/p', '+++++', 'c357d3c95223'),
    ('provisioning_url', 'http://h/p"', '-----', '93c882727ad9'),
    ('provisioning_url', 'http://h/p\\x', '----+', '4c747d928248'),
    ('provisioning_url', 'http:/h/p', '-----', 'df8ac43ae4c5'),
    ('provisioning_url', 'http//h', '-----', 'a7e58a82fb69'),
    ('provisioning_url', 'h/p', '-----', '492491155c5d'),
    ('provisioning_url', 'http://', '-----', '0471d6e3b2f8'),
    ('provisioning_url', 'http:///p', '-----', 'acd70a0fefd0'),
    ('provisioning_url', 'http://h//p', '+++++', '2301bbf7b7c3'),
    ('provisioning_url', 'http://h/p//', '+++++', '6cad25f9e600'),
    ('provisioning_url', 'http://h/p\n', '-----', '5c1d0cb40f78'),
    ('provisioning_url', 'http://h/p\t', '-----', '80d091db7b11'),
    ('provisioning_url', 'http://' + 'a' * 300 + '/p', '----+', 'a29e95fe21c1'),
    ('provisioning_url', 'http://' + 'x' * 64 + '.com/p', '----+', 'bf8b9f2b3a43'),
    ('provisioning_url', 'http://h/' + 'p' * 300, '+++++', '0bdc19737c59'),
    ('provisioning_url', 'http://H.Example.COM./P', '+++++', '53df3920cfa9'),
    ('provisioning_url', 'https://h:443', '+-+++', '1e61472b5149'),
    ('provisioning_url', 'http://h:8080', '+++++', 'b9ccff909e9e'),
    ('provisioning_url', 'http://h:8080/', '+++++', 'b9ccff909e9e'),
    ('provisioning_url', 'http://h%41/p', '-----', 'f71157889700'),
    ('provisioning_url', 'http://user:p%40ss@h/p', '----+', '4f1f0adf74e3'),
    ('provisioning_url', 'http://h/p@x', '++--+', 'fab1ebcae43e'),
    ('firmware_url', 'http://prov.example.com/p', '+++++', 'ad3660ae619f'),
    ('firmware_url', 'https://prov.example.com/p/', '+-+++', '77d564e584e5'),
    ('firmware_url', 'tftp://1.2.3.4', '+-+++', '8aa019ad4645'),
    ('firmware_url', 'tftp://1.2.3.4/', '+-+++', 'da192f0ae5b2'),
    ('firmware_url', 'ftp://h/p', '+----', '218ae8cd3d33'),
    ('firmware_url', 'ftps://h/p', '+----', '071eb9fcec8c'),
    ('firmware_url', 'HTTP://h/p', '++---', '14d90f9f53eb'),
    ('firmware_url', 'Http://h/p', '++---', 'dad3e38a3db3'),
    ('firmware_url', 'http://h', '+++++', 'cdbbe24f9844'),
    ('firmware_url', 'http://h:8080/p', '+++++', 'c69a87f15254'),
    ('firmware_url', 'http://h:0/p', '-----', 'ae3248527a0f'),
    ('firmware_url', 'http://h:65536/p', '-----', '203a8750e986'),
    ('firmware_url', 'http://h:99999/p', '-----', '981dc6d285ee'),
    ('firmware_url', 'http://h:123456/p', '-----', '3e37c96da686'),
    ('firmware_url', 'http://h:/p', '-----', 'a762a125ab34'),
    ('firmware_url', 'http://h:x/p', '-----', '36368175da3e'),
    ('firmware_url', 'http://[2001:db8::1]/p', '+++++', '453017aa915d'),
    ('firmware_url', 'http://[2001:db8::1]:8080/p', '+++++', 'bfc5dee206cf'),
    ('firmware_url', 'http://[::::]/p', '--+++', '62891bd0d66c'),
    ('firmware_url', 'http://[zz::1]/p', '-----', '116ee660cd00'),
    ('firmware_url', 'http://[1.2.3.4]/p', '--+++', '7206fa28c578'),
    ('firmware_url', 'http://2001:db8::1/p', '-----', 'd43f71dcfabb'),
    ('firmware_url', 'http://user:pw@h/p', '----+', '6bd1e56309fb'),
    ('firmware_url', 'http://user@h/p', '----+', 'ef8f6e1cde74'),
    ('firmware_url', 'http://us{er@h/p', '----+', 'b077703912f2'),
    ('firmware_url', 'http://h/p?x=1', '----+', '84497b815ffd'),
    ('firmware_url', 'http://h/p#f', '----+', '6411fb033049'),
    ('firmware_url', 'http://h/p?', '----+', '6563c25f00a2'),
    ('firmware_url', 'http://h/a b', '-----', '0cdff75bf3bb'),
    ('firmware_url', 'http://h/p$MA', '+++++', 'f94682c5c58e'),
    ('firmware_url', 'http://h/p%20x', '+++++', 'fac8123f3c92'),
    ('firmware_url', 'http://h/p~x+y', '+++++', '195abbeab3bc'),
    ('firmware_url', 'http://h/p;x', '++--+', '170cfbd2ef26'),
    ('firmware_url', 'http://h/p(x)', '++--+', 'e879d09c7bec'),
    ('firmware_url', 'http://h/p[x]', '++--+', 'ad0f175b2ed2'),
    ('firmware_url', 'http://h/p{x}', '----+', '2f28105ead33'),
    ('firmware_url', 'http://h/p|x', '----+', '3d5947c3bee8'),
    ('firmware_url', 'http://h/p,x', '++--+', '8342470502a1'),
    ('firmware_url', 'http://h/p=x&y', '++--+', 'a0be66c3277e'),
    ('firmware_url', "http://h/p!x*y'z", '++--+', '7ba117ee97fa'),
    ('firmware_url', 'http://h/p:x@y', '++--+', '796778d6e071'),
    ('firmware_url', 'http://h/\xe9', '----+', '327e39d48358'),
    ('firmware_url', 'http://h_x/p', '++--+', 'c3df212bc5ac'),
    ('firmware_url', 'http://-h/p', '----+', '77b6adf51db3'),
    ('firmware_url', 'http://h-/p', '--+++', '9fd81f43decf'),
    ('firmware_url', 'http://h..x/p', '----+', '4163ab3e9a0e'),
    ('firmware_url', 'http://.h/p', '----+', '0591e3b312fe'),
    ('firmware_url', 'http://999.1.1.1/p', '+++++', '48c6502c70e4'),
    ('firmware_url', 'http://h/p"', '-----', 'c04093d118dc'),
    ('firmware_url', 'http://h/p\\x', '----+', '5135d6d85beb'),
    ('firmware_url', 'http:/h/p', '-----', '67653de55a45'),
    ('firmware_url', 'http//h', '-----', '72a8d2f6d179'),
    ('firmware_url', 'h/p', '-----', '5d7e75f11731'),
    ('firmware_url', 'http://', '-----', '5c2535310306'),
    ('firmware_url', 'http:///p', '-----', 'a0b4d97586a9'),
    ('firmware_url', 'http://h//p', '+++++', '4a08598f9674'),
    ('firmware_url', 'http://h/p//', '+++++', '688b9ca09d56'),
    ('firmware_url', 'http://h/p\n', '-----', '8b2464894259'),
    ('firmware_url', 'http://h/p\t', '-----', '41a8e704885d'),
    ('firmware_url', 'http://' + 'a' * 300 + '/p', '----+', '94f0180ec738'),
    ('firmware_url', 'http://' + 'x' * 64 + '.com/p', '----+', '4a5d8de6d4ec'),
    ('firmware_url', 'http://h/' + 'p' * 300, '+++++', '6165f6e24df4'),
    ('firmware_url', 'http://H.Example.COM./P', '+++++', '2346537e60ec'),
    ('firmware_url', 'https://h:443', '+-+++', '00eb06da2264'),
    ('firmware_url', 'http://h:8080', '+++++', 'f320ce495fe3'),
    ('firmware_url', 'http://h:8080/', '+++++', '5e9a6e81ac64'),
    ('firmware_url', 'http://h%41/p', '-----', 'e3c4b9e663b4'),
    ('firmware_url', 'http://user:p%40ss@h/p', '----+', 'e50af105e7b3'),
    ('firmware_url', 'http://h/p@x', '++--+', '9bc2e7be6bde'),
    ('sip_server', '[::1]\n', '-----', 'fb77ad30671e'),
    ('sip_server', 'pbx\n\n', '-----', '7ed9f118edad'),
    ('sip_server', '[fe80::1%eth 0]', '++---', '92a06727911e'),
    ('sip_server', 'fe80::1%', '-----', '105fc22c86c3'),
    ('sip_server', '[v1.x]', '-----', '4e9377729b1e'),
    ('sip_server', 'A' * 63, '+++++', 'b7b98a09d078'),
    ('sip_server', 'a' * 64, '----+', '0c2ef8c088d7'),
    ('sip_server', '1' * 63 + '.2', '+++++', '93330add6d9c'),
    ('sip_server', '[::ffff:1.2.3.4]', '+++++', '094a01c9aac8'),
    ('sip_server', '::ffff:1.2.3.4', '++---', '1dde2c48f5fa'),
    ('sip_server', '[111111111111111111111111111111111111111111111]', '--+++', '6a1e8fd7d4e6'),
    ('sip_server', '[1111111111111111111111111111111111111111111111]', '-----', '8aab142ba5ea'),
    ('sip_server', '1:2:3:4:5:6:7:8:9', '-----', 'e53c54d28677'),
    ('sip_server', '::', '++--+', 'e25ca0260370'),
    ('sip_server', '_', '++--+', '40d83089c659'),
    ('sip_server', '-', '-----', '8fa92454aa79'),
    ('sip_server', 'a-', '--+++', '79bb8c471d59'),
    ('sip_server', 'xn--bcher-kva.example', '+++++', 'f2197665b7db'),
    ('sip_server', 'a.b-.c', '--+++', '4c38c1a02c02'),
    ('sip_server', 'a._b', '++--+', '7c251aa15609'),
    ('ntp_server', '[::1]\n', '-----', 'f5d0f4673104'),
    ('ntp_server', 'pbx\n\n', '-----', '09cc2f18c8ee'),
    ('ntp_server', '[fe80::1%eth 0]', '++---', '755380b60a74'),
    ('ntp_server', 'fe80::1%', '-----', '925645162ce2'),
    ('ntp_server', '[v1.x]', '-----', '79541ebef207'),
    ('ntp_server', 'A' * 63, '+++++', '5bf0f144e08e'),
    ('ntp_server', 'a' * 64, '----+', 'b4db88c22255'),
    ('ntp_server', '1' * 63 + '.2', '+++++', 'b7da77c7f85d'),
    ('ntp_server', '[::ffff:1.2.3.4]', '+++++', '959d04b81610'),
    ('ntp_server', '::ffff:1.2.3.4', '++---', '965a7b543de0'),
    ('ntp_server', '[111111111111111111111111111111111111111111111]', '--+++', '9f3fad2290de'),
    ('ntp_server', '[1111111111111111111111111111111111111111111111]', '-----', '95d146152af8'),
    ('ntp_server', '1:2:3:4:5:6:7:8:9', '-----', '66f143289c99'),
    ('ntp_server', '::', '++--+', '8f7678769f4a'),
    ('ntp_server', '_', '++--+', '9ed2fb99d658'),
    ('ntp_server', '-', '-----', 'ab0445d776da'),
    ('ntp_server', 'a-', '--+++', 'c26cb1dfd739'),
    ('ntp_server', 'xn--bcher-kva.example', '+++++', 'f487acb50a56'),
    ('ntp_server', 'a.b-.c', '--+++', 'ae2aace49d45'),
    ('ntp_server', 'a._b', '++--+', '06f1b6b1d679'),
    ('syslog_server', '[::1]\n', '-----', '7c739707d0d1'),
    ('syslog_server', 'pbx\n\n', '-----', 'd0d87b81a299'),
    ('syslog_server', '[fe80::1%eth 0]', '++---', '1f1bf0e7ef5a'),
    ('syslog_server', 'fe80::1%', '-----', '21ce053f0a53'),
    ('syslog_server', '[v1.x]', '-----', 'a711c3a4eb39'),
    ('syslog_server', 'A' * 63, '+++++', '4621cc3ef73d'),
    ('syslog_server', 'a' * 64, '----+', 'a5839b942041'),
    ('syslog_server', '1' * 63 + '.2', '--+++', 'b92d1d52c53d'),
    ('syslog_server', '[::ffff:1.2.3.4]', '+++++', '3f31b39b721c'),
    ('syslog_server', '::ffff:1.2.3.4', '++---', '399812f50012'),
    ('syslog_server', '[111111111111111111111111111111111111111111111]', '--+++', 'c80491f61e9f'),
    ('syslog_server', '[1111111111111111111111111111111111111111111111]', '-----', 'e5a328a74728'),
    ('syslog_server', '1:2:3:4:5:6:7:8:9', '-----', '3daa74a2b563'),
    ('syslog_server', '::', '++--+', 'b48773bf073a'),
    ('syslog_server', '_', '++--+', '02b3ee884add'),
    ('syslog_server', '-', '-----', '1bb283464346'),
    ('syslog_server', 'a-', '--+++', 'a4d070fffcb4'),
    ('syslog_server', 'xn--bcher-kva.example', '+++++', 'a7e743a59788'),
    ('syslog_server', 'a.b-.c', '--+++', '046d97b8ebdc'),
    ('syslog_server', 'a._b', '++--+', 'eb55a0c991e4'),
    ('syslog_server', 'proxy:5060\n', '-----', '228b89cc4f75'),
    ('syslog_server', '[::1]:5060\n', '-----', '93e5b184de8e'),
    ('syslog_server', '[::1]x:80', '-----', '6d233c15221a'),
    ('syslog_server', '[a]b:5', '-----', '8ee8dfe26875'),
    ('syslog_server', 'proxy:+80', '-----', 'fea8a20acdfa'),
    ('syslog_server', 'proxy: 80', '-----', '057353939e5f'),
    ('syslog_server', 'proxy:\xb2', '-----', 'c603a7ed4c03'),
    ('syslog_server', 'proxy:0000000080', '-----', '2205b0450aa7'),
    ('syslog_server', '[1.2.3.4]:80', '--++-', '57bcef8130b4'),
    ('syslog_server', 'pbx\n:5060', '-----', 'f544ac87c63c'),
    ('syslog_server', 'a' * 300 + ':5060', '-----', 'cfa8b054c6f2'),
    ('outbound_proxy', '[::1]\n', '----+', 'c75558799d79'),
    ('outbound_proxy', 'pbx\n\n', '-----', 'de3eb5899b9a'),
    ('outbound_proxy', '[fe80::1%eth 0]', '++---', '556531a06be7'),
    ('outbound_proxy', 'fe80::1%', '-----', '7306a3250947'),
    ('outbound_proxy', '[v1.x]', '-----', 'f111c4c968e9'),
    ('outbound_proxy', 'A' * 63, '+++++', '82fca0c7233d'),
    ('outbound_proxy', 'a' * 64, '----+', '8d538318ac5c'),
    ('outbound_proxy', '1' * 63 + '.2', '+++++', '4d1cbbd5099a'),
    ('outbound_proxy', '[::ffff:1.2.3.4]', '+++++', '357ad6034177'),
    ('outbound_proxy', '::ffff:1.2.3.4', '++---', '1e2ac90bef6d'),
    ('outbound_proxy', '[111111111111111111111111111111111111111111111]', '--+++', '99e690674bbd'),
    ('outbound_proxy', '[1111111111111111111111111111111111111111111111]', '-----', 'cbf5143c1457'),
    ('outbound_proxy', '1:2:3:4:5:6:7:8:9', '-----', 'ddf9997f06b1'),
    ('outbound_proxy', '::', '++--+', '0ba1632f6116'),
    ('outbound_proxy', '_', '++--+', 'ad5beaff9b17'),
    ('outbound_proxy', '-', '-----', '330073be289e'),
    ('outbound_proxy', 'a-', '--+++', '9f6ee273fcfb'),
    ('outbound_proxy', 'xn--bcher-kva.example', '+++++', '337f312f7a77'),
    ('outbound_proxy', 'a.b-.c', '--+++', '8baa9c8a7266'),
    ('outbound_proxy', 'a._b', '++--+', 'ba454b9ca557'),
    ('outbound_proxy', 'proxy:5060\n', '----+', 'f8872e67ff72'),
    ('outbound_proxy', '[::1]:5060\n', '----+', '6b0a77b90e4c'),
    ('outbound_proxy', '[::1]x:80', '-----', 'adf1054eaad4'),
    ('outbound_proxy', '[a]b:5', '-----', 'db4a502ae14d'),
    ('outbound_proxy', 'proxy:+80', '-----', 'd70cab376550'),
    ('outbound_proxy', 'proxy: 80', '-----', '7795b899adac'),
    ('outbound_proxy', 'proxy:\xb2', '-----', '78891e58c363'),
    ('outbound_proxy', 'proxy:0000000080', '++---', '6be7d41dd66c'),
    ('outbound_proxy', '[1.2.3.4]:80', '--+++', '00ac8b2271e2'),
    ('outbound_proxy', 'pbx\n:5060', '-----', '35b2e8e3c547'),
    ('outbound_proxy', 'a' * 300 + ':5060', '-----', '26915151c91c'),
    ('provisioning_url', 'http://h\n', '-----', 'f279e0c9dc6b'),
    ('provisioning_url', 'http://h\n\n', '-----', '35ff302e4eb9'),
    ('provisioning_url', 'http://[fe80::1%25eth0]/p', '++---', '46445f443669'),
    ('provisioning_url', 'http://[fe80::1%eth0]/p', '++---', '75402d69b305'),
    ('provisioning_url', 'http://[v1.x]/p', '-----', 'f99a3e786b59'),
    ('provisioning_url', 'http://h:80:90/p', '-----', 'd9ee62d37676'),
    ('provisioning_url', 'http://::1/p', '-----', '76bde45222a6'),
    ('provisioning_url', 'http://@h/p', '-----', 'ae6332c55def'),
    ('provisioning_url', 'http://a@b@h/p', '-----', 'ae6332c55def'),
    ('provisioning_url', 'http://[::1]:0/p', '-----', 'a19d07828b29'),
    ('provisioning_url', 'http://[::1]:/p', '-----', 'e37b003aece0'),
    ('provisioning_url', 'http://h:0080/p', '+++++', '36a0c5111a04'),
    ('provisioning_url', 'http://h:+80/p', '-----', '683f75d91ead'),
    ('provisioning_url', 'http://h:\u0665/p', '-----', '0ae0af385de5'),
    ('provisioning_url', ' http://h/p', '-----', 'bead115a6cc5'),
    ('provisioning_url', 'http:\t//h/p', '-----', '92f13c03c630'),
    ('provisioning_url', 'x:http://h/p', '-----', 'b876d87c494c'),
    ('provisioning_url', 'http:http://h/p', '-----', '039936553be8'),
    ('provisioning_url', 'ht_tp://h/p', '-----', '285fb0a405c2'),
    ('provisioning_url', '//h/p', '-----', '53fc32fa3e0a'),
    ('provisioning_url', 'http://h/p?x#y', '-----', '249c9fbbc0ac'),
    ('provisioning_url', 'http://u@h:99999/p', '-----', '91f1f4afb22a'),
    ('provisioning_url', 'http://h:99999/p@x', '-----', '3fd9d44cbc03'),
    ('provisioning_url', 'http://[::1/p', '-----', '791e3137a7a3'),
    ('provisioning_url', 'http://::1]/p', '-----', '30b94d9d260f'),
    ('provisioning_url', 'http://h]/p', '-----', '6dd008aacd9e'),
    ('provisioning_url', 'http://h[/p', '-----', 'a43b1960a0ea'),
    ('provisioning_url', 'http://h/p\r', '-----', '3b841867196d'),
    ('provisioning_url', 'tftp://h_/p', '++--+', '8afd143369ac'),
    ('provisioning_url', 'https://xn--bcher-kva.example/p', '+-+++', '912c17b87a06'),
    ('provisioning_url', 'http://h.\xe9/p', '-----', '6404ceef3ad3'),
    ('provisioning_url', 'http://h/%zz', '+++++', '2360fbf0e8e2'),
    ('provisioning_url', 'http://h/p\u2028x', '-----', 'f0f1307e861d'),
    ('provisioning_url', 'http://u\xe9@h/p', '----+', 'fc7ba68b85c0'),
    ('provisioning_url', 'http://u"@h/p', '-----', 'ae6332c55def'),
    ('provisioning_url', 'http://u:p@[::1]:80/p', '----+', 'edfa5403c795'),
    ('provisioning_url', 'http://' + 'a.' * 130 + 'a/p', '--+++', 'b57884dda7d4'),
    ('provisioning_url', 'HTTPS://h/p', '+----', 'd38de1c761fe'),
    ('provisioning_url', 'http://1.2.3.4.5/p', '+++++', '093c27539292'),
    ('provisioning_url', 'http://a-.b/p', '--+++', 'cbb6fce2500e'),
    ('provisioning_url', 'http://h/p/../q', '+++++', 'fd5c4e70b4d0'),
    ('firmware_url', 'http://h\n', '-----', 'e9bcba7a3b77'),
    ('firmware_url', 'http://h\n\n', '-----', '64059f2e025a'),
    ('firmware_url', 'http://[fe80::1%25eth0]/p', '++---', '6d48bc7d83f5'),
    ('firmware_url', 'http://[fe80::1%eth0]/p', '++---', '42208d05e67d'),
    ('firmware_url', 'http://[v1.x]/p', '-----', '18b41ca718e2'),
    ('firmware_url', 'http://h:80:90/p', '-----', '5dee0d3af30a'),
    ('firmware_url', 'http://::1/p', '-----', '52493270073d'),
    ('firmware_url', 'http://@h/p', '-----', '385aeca00886'),
    ('firmware_url', 'http://a@b@h/p', '-----', '385aeca00886'),
    ('firmware_url', 'http://[::1]:0/p', '-----', 'cc65d5719c6d'),
    ('firmware_url', 'http://[::1]:/p', '-----', 'c633df4725c7'),
    ('firmware_url', 'http://h:0080/p', '+++++', 'ca940723977c'),
    ('firmware_url', 'http://h:+80/p', '-----', '4607bf65cc2d'),
    ('firmware_url', 'http://h:\u0665/p', '-----', '97f72735855e'),
    ('firmware_url', ' http://h/p', '-----', '384b4109fff3'),
    ('firmware_url', 'http:\t//h/p', '-----', '18f9e9a58e33'),
    ('firmware_url', 'x:http://h/p', '-----', '19b7cb287d1b'),
    ('firmware_url', 'http:http://h/p', '-----', 'e7bf11ee5c83'),
    ('firmware_url', 'ht_tp://h/p', '-----', 'ac170809a5ba'),
    ('firmware_url', '//h/p', '-----', '5d32130ed8f3'),
    ('firmware_url', 'http://h/p?x#y', '----+', '0b9f97ad07ff'),
    ('firmware_url', 'http://u@h:99999/p', '-----', '89e1117d57a3'),
    ('firmware_url', 'http://h:99999/p@x', '-----', '184b64ca5022'),
    ('firmware_url', 'http://[::1/p', '-----', 'fd5093b5a2d1'),
    ('firmware_url', 'http://::1]/p', '-----', '198ad8b899eb'),
    ('firmware_url', 'http://h]/p', '-----', 'cd15b3b5864c'),
    ('firmware_url', 'http://h[/p', '-----', '2bef2597ace4'),
    ('firmware_url', 'http://h/p\r', '-----', 'd49983c3428c'),
    ('firmware_url', 'tftp://h_/p', '+---+', 'e5513c10f31e'),
    ('firmware_url', 'https://xn--bcher-kva.example/p', '+-+++', 'e5518e9b0fdf'),
    ('firmware_url', 'http://h.\xe9/p', '-----', '1b3c06b16fda'),
    ('firmware_url', 'http://h/%zz', '+++++', '0c4f5ddcc78f'),
    ('firmware_url', 'http://h/p\u2028x', '-----', '4fe35a9b95d8'),
    ('firmware_url', 'http://u\xe9@h/p', '----+', '61a6cfe225a2'),
    ('firmware_url', 'http://u"@h/p', '-----', '385aeca00886'),
    ('firmware_url', 'http://u:p@[::1]:80/p', '----+', '46a7b25776af'),
    ('firmware_url', 'http://' + 'a.' * 130 + 'a/p', '--+++', 'a950620a2ed9'),
    ('firmware_url', 'HTTPS://h/p', '+----', 'b1cb93e16ed0'),
    ('firmware_url', 'http://1.2.3.4.5/p', '+++++', '33094647d881'),
    ('firmware_url', 'http://a-.b/p', '--+++', 'af323f246d56'),
    ('firmware_url', 'http://h/p/../q', '+++++', '4e6a7fc454a2'),
]


@pytest.mark.parametrize("setting, value, accepted, digest", TABLE)
def test_vendors_accept_and_refuse_what_they_did(setting, value, accepted, digest):
    outcomes = [vendor_outcome(vendor, model, setting, value) for vendor, model in VENDORS]
    assert ("".join("+" if isinstance(outcome, str) else "-" for outcome in outcomes), row_digest(outcomes)) == (
        accepted, digest), outcomes
