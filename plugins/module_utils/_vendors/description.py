# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a vendor family declares about its phones, as data.

Each vendor package (``_vendors/<family>/``) has a ``description.py`` with
one :class:`VendorDescription` named ``DESCRIPTION``. Everything outside the
package that needs a fact about the family's phones reads it from there: the
nginx device binding (:attr:`~VendorDescription.device_paths`,
:attr:`~VendorDescription.client_certificate_mac`), the DHCP vendor classes
(:attr:`~VendorDescription.dhcp`), the fetch log's reading of User-Agents
(:attr:`~VendorDescription.user_agents`,
:attr:`~VendorDescription.user_agent_mac`), the ``--diff`` decoding and
masking (:attr:`~VendorDescription.encodings`,
:attr:`~VendorDescription.secret_params`), the firmware role's naming
(:attr:`~VendorDescription.firmware`), the resync push
(:attr:`~VendorDescription.notify`), the per-device HTTP credentials of the
http_server role and the key store (:attr:`~VendorDescription.http_credentials`)
and the generated docs tables.

The patterns are written once, in the syntax both Python's ``re`` and
nginx's PCRE read the same way (no named groups, no look-behind), with
``{mac}`` where the device's MAC (12 hex digits) stands; they are matched
case-insensitively. :func:`check_description` refuses a description with an
empty field or a pattern that cannot work; the unit tests also check that
each pattern matches the family's own rendered file names and sample
User-Agents.
"""

from __future__ import annotations

import re

#: What ``{mac}`` stands for in a pattern when Python matches it.
MAC_PATTERN = "([0-9A-Fa-f]{12})"

#: The encodings a served file can go through, innermost first (see ``_codec``).
ENCODINGS = ("plain", "gzip", "openssl-aes-256-cbc", "base64", "yealink-aes-128-ecb", "yealink-key-wrap")

#: Where a declared fact comes from: the vendor's own documents, or other
#: provisioning servers' code (wazo-provd-plugins, FusionPBX) only, or no
#: source at all (``unsure``: a default the family's page says to check).
SOURCES = ("documented", "code", "unsure")


class UserAgent:
    """One form of the User-Agent a family's phones send when they fetch over HTTP.

    ``pattern`` is a regular expression (searched, case-sensitive as the
    phones write it) whose named groups ``model``, ``mac`` and ``firmware``
    hold what the User-Agent says (a ``mac`` written with colons is read
    as its 12 hex digits); a form that carries no MAC (Cisco SPA
    sends its serial number) has no ``mac`` group. ``sample`` is a real
    User-Agent of that form: the tests match the pattern against it.
    """

    def __init__(self, pattern, sample, source="code"):
        self.pattern = pattern
        self.sample = sample
        self.source = source
        self.regex = re.compile(pattern)

    def parse(self, text):
        """``{"model":, "mac":, "firmware":}`` (lower-case MAC, ``None`` where absent), or ``None`` if not this form."""
        match = self.regex.search(text or "")
        if match is None:
            return None
        found = match.groupdict()
        mac = found.get("mac")
        # Some firmware writes the MAC with colons (Yealink's 00:15:65:4a:a9:37): the MAC is its 12 hex digits.
        return {"model": found.get("model"), "mac": mac.replace(":", "").lower() if mac else None,
                "firmware": found.get("firmware")}


class DhcpFacts:
    """How a DHCP server recognises the family's phones and what it hands them.

    ``vendor_class``: strings compared with the vendor class identifier
    (option 60) the phones send, the way ``match_type`` says (``prefix`` or
    ``substring``, what the dhcp role writes for Kea, ISC dhcpd and dnsmasq;
    ``hex-prefix`` for a binary option 60, each string then the leading
    bytes as hex digits, such as Poly's ``0000363d``, which the dhcp role
    matches as leading bytes on all three backends). ``ouis``: the MAC
    address prefixes (the first three bytes, 6 lower-case hex digits such
    as ``001565``) of the family's phones, for a family whose option 60 is
    not known: the dhcp role matches a client on either, and gives it the
    same options. A family may declare OUIs and no option 60 string
    (``vendor_class`` empty, ``match_type`` ``None``). ``options``: the DHCP
    options the phones read their provisioning server from, in the order
    they prefer them. ``source``: where these facts come from.
    """

    MATCH_TYPES = ("prefix", "substring", "hex-prefix")

    def __init__(self, vendor_class, match_type, options, source="code", ouis=()):
        self.vendor_class = tuple(vendor_class)
        self.match_type = match_type
        self.options = tuple(options)
        self.source = source
        self.ouis = tuple(ouis)

    def facts(self):
        return {"vendor_class": list(self.vendor_class), "match_type": self.match_type,
                "options": list(self.options), "source": self.source, "ouis": list(self.ouis)}


class NotifyFacts:
    """The SIP NOTIFY that makes a phone check its profile now (``Event:`` header value).

    ``reboot_events``: the ``Event:`` a ``reboot`` choice sends (``{False: ...,
    True: ...}``), where the family defines a reboot parameter; empty when it
    defines none, and the phone's own setting decides whether it reboots.
    """

    def __init__(self, event, source="code", reboot_events=None):
        self.event = event
        self.source = source
        self.reboot_events = dict(reboot_events or {})


class FirmwareFacts:
    """How the family's firmware images are named where the phones fetch them.

    ``naming``: one sentence for the docs. ``versioned_name``: whether the
    firmware role publishes an image under a name derived from its version
    (Grandstream: ``prefix + basic name + postfix``), rather than under the
    file name the vendor ships.
    """

    def __init__(self, naming, versioned_name=False):
        self.naming = naming
        self.versioned_name = versioned_name


def _nonzero_mac_ere():
    """12 hex digits, not all zero, in plain POSIX ERE (which has no look-ahead).

    One alternative per position of the first non-zero digit: ``k`` zeros,
    then a digit 1-9 or a-f, then ``11 - k`` hex digits. Lower-case ranges
    only: the map-file rules and the tests match case-insensitively.
    """
    forms = []
    for zeros in range(12):
        rest = 11 - zeros
        forms.append("%s[1-9a-f]%s" % ("0{%d}" % zeros if zeros else "", "[0-9a-f]{%d}" % rest if rest else ""))
    return "(%s)" % "|".join(forms)


#: What ``{mac}`` stands for in :attr:`HttpCredentialsFacts.tftp_paths`: a
#: device's MAC, never the zero MAC of fleet-wide files (Poly's
#: ``000000000000.cfg`` master), which must stay served.
TFTP_MAC_ERE = _nonzero_mac_ere()


def tftp_path_ere(pattern):
    """``pattern`` (one of :attr:`HttpCredentialsFacts.tftp_paths`) with ``{mac}`` expanded: an egrep regex."""
    return pattern.replace("{mac}", TFTP_MAC_ERE)


class HttpCredentialsFacts:
    """Per-device HTTP credentials, for a family whose files cannot be encrypted usefully.

    A plain bootstrap file (``bootstrap_paths``, served without credentials
    and only in the device's bootstrap window) sets the phone's provisioning
    user to its MAC and password to the key store's ``key`` (``key_bytes``
    random bytes); the server then serves ``paths`` (the device's own files,
    ``{mac}`` its MAC) only to a request carrying that device's user and
    password. A device asks the key store for the key only when its
    inventory sets ``setting`` (a boolean setting the family declares,
    default false), so a fleet that does not opt in gets no new key.

    TFTP carries no credentials, so a TFTP server serving the same root must
    refuse ``paths``: ``tftp_paths`` are the same files as POSIX extended
    regular expressions (what egrep and tftpd-hpa's ``--map-file`` read:
    no look-ahead, no ``(?:``), matched case-insensitively against the file
    name as the client sends it (with or without a leading ``/``). Each
    begins with ``(^|/)`` and ends with ``$``, so it matches a whole last
    path component; ``{mac}`` stands for a MAC other than the fleet-wide
    ``000000000000`` (:data:`TFTP_MAC_ERE`). They must refuse exactly what
    ``paths`` protect (the unit tests check both with samples).
    """

    def __init__(self, paths, bootstrap_paths, setting, key="http_password", key_bytes=16, source="code", tftp_paths=()):
        self.paths = tuple(paths)
        self.bootstrap_paths = tuple(bootstrap_paths)
        self.setting = setting
        self.key = key
        self.key_bytes = key_bytes
        self.source = source
        self.tftp_paths = tuple(tftp_paths)

    def key_specs(self, settings):
        """``{key: key_bytes}`` when ``settings`` (a device's) opt in, else ``{}``."""
        return {self.key: self.key_bytes} if (settings or {}).get(self.setting) is True else {}

    def facts(self):
        return {"paths": list(self.paths), "bootstrap_paths": list(self.bootstrap_paths), "setting": self.setting,
                "key": self.key, "key_bytes": self.key_bytes, "source": self.source, "tftp_paths": list(self.tftp_paths)}


class VendorDescription:
    """The facts a vendor family declares; see the module documentation for who reads each.

    ``name``
        the family's name as inventories write it in ``vendor``.
    ``title``
        its name for people.
    ``user_agents``
        :class:`UserAgent` forms, most specific first.
    ``macs_in_user_agent``
        whether the family's phones name their MAC in the User-Agent: a fetch
        whose User-Agent names none is then reported as foreign.
    ``user_agent_mac``
        where the MAC stands in a User-Agent of none of the declared forms
        (``{mac}``, searched anywhere), or ``None``: firmware writes more
        forms than anyone has listed, and the MAC a stranger claims must be
        read from all of them (see :meth:`VendorDescription.claimed_mac`).
    ``device_paths``
        request paths (beginning with ``/``) of the files that belong to one
        device, ``{mac}`` its MAC: nginx binds them to that device's client
        certificate, and a shared file must match none (the tests check both
        against what the renderer serves).
    ``client_certificate_mac``
        where a client certificate's subject (RFC 2253, as nginx's
        ``$ssl_client_s_dn``) carries the MAC; empty when the family's
        phones carry no documented device certificate.
    ``dhcp``
        :class:`DhcpFacts`.
    ``secret_params``
        names of the native parameters that hold a password or key.
    ``secret_param_patterns``
        regular expressions for secret parameter names a list cannot hold
        (searched, case-insensitive).
    ``not_secret_param_patterns``
        exceptions to ``secret_param_patterns`` (``..._KEY_LENGTH``).
    ``encodings``
        ``{file kind: (encoding, ...)}``, innermost first, each one of
        :data:`ENCODINGS`: how each kind of file this family serves is
        wrapped (``("plain",)``, ``("gzip", "openssl-aes-256-cbc")``...).
    ``notify``
        :class:`NotifyFacts`.
    ``firmware``
        :class:`FirmwareFacts`.
    ``docs``
        the family's page under ``docs/vendors/``.
    ``settings``
        ``{name: _device_model.Setting}`` of the inventory settings only this
        family reads (Grandstream's ``config_prefix``); the data model accepts
        them beside the generic ones (``_device_model.all_settings``). Two
        families that read the same one declare the same object.
    ``http_credentials``
        :class:`HttpCredentialsFacts`, or ``None`` for a family whose files
        are protected otherwise (encryption, client certificates).
    """

    def __init__(self, name, title, user_agents, macs_in_user_agent, device_paths, client_certificate_mac, dhcp,
                 secret_params, encodings, notify, firmware, docs, secret_param_patterns=(),
                 not_secret_param_patterns=(), settings=None, user_agent_mac=None, http_credentials=None):
        self.name = name
        self.title = title
        self.user_agents = tuple(user_agents)
        self.macs_in_user_agent = macs_in_user_agent
        self.device_paths = tuple(device_paths)
        self.client_certificate_mac = tuple(client_certificate_mac)
        self.dhcp = dhcp
        self.secret_params = frozenset(secret_params)
        self.secret_param_patterns = tuple(secret_param_patterns)
        self.not_secret_param_patterns = tuple(not_secret_param_patterns)
        self.encodings = dict(encodings)
        self.notify = notify
        self.firmware = firmware
        self.docs = docs
        self.settings = dict(settings or {})
        self.user_agent_mac = user_agent_mac
        self.http_credentials = http_credentials
        self._user_agent_mac_re = _mac_regex(user_agent_mac) if user_agent_mac else None
        self._secret_res = tuple(re.compile(pattern, re.IGNORECASE) for pattern in self.secret_param_patterns)
        self._not_secret_res = tuple(re.compile(pattern, re.IGNORECASE) for pattern in self.not_secret_param_patterns)
        self._path_res = tuple(_mac_regex(pattern) for pattern in self.device_paths)

    def is_secret_param(self, name):
        """Whether native parameter ``name`` holds a password or key, by the declared names and patterns."""
        if name in self.secret_params:
            return True
        return (any(regex.search(name) for regex in self._secret_res)
                and not any(regex.search(name) for regex in self._not_secret_res))

    def device_path_mac(self, path):
        """The lower-case MAC of the device a served path (relative to the root, or ``/``-rooted) belongs to, or ``None``."""
        uri = path if path.startswith("/") else "/" + path
        for regex in self._path_res:
            match = regex.search(uri)
            # A {mac} inside an alternative that did not match leaves the group empty.
            if match is not None and match.group(1) is not None:
                return match.group(1).lower()
        return None

    def parse_user_agent(self, text):
        """What the first matching :attr:`user_agents` form says of ``text``, or ``None``."""
        for agent in self.user_agents:
            found = agent.parse(text)
            if found is not None:
                return found
        return None

    def claimed_mac(self, agent):
        """The lower-case MAC User-Agent ``agent`` names, or ``None``.

        A declared form decides when one matches (a form without a ``mac``
        group, such as a serial number, names none); otherwise the
        :attr:`user_agent_mac` search, when declared.
        """
        found = self.parse_user_agent(agent)
        if found is not None:
            return found["mac"]
        if self._user_agent_mac_re is not None:
            match = self._user_agent_mac_re.search(agent or "")
            if match is not None and match.group(1) is not None:
                return match.group(1).lower()
        return None

    def facts(self):
        """The description as plain data (lists, strings, numbers), for roles and docs."""
        return {
            "name": self.name,
            "title": self.title,
            "user_agents": [{"pattern": agent.pattern, "sample": agent.sample, "source": agent.source}
                            for agent in self.user_agents],
            "macs_in_user_agent": self.macs_in_user_agent,
            "user_agent_mac": self.user_agent_mac,
            "device_paths": list(self.device_paths),
            "client_certificate_mac": list(self.client_certificate_mac),
            "dhcp": self.dhcp.facts(),
            "secret_params": sorted(self.secret_params),
            "secret_param_patterns": list(self.secret_param_patterns),
            "not_secret_param_patterns": list(self.not_secret_param_patterns),
            "encodings": dict((kind, list(chain)) for kind, chain in sorted(self.encodings.items())),
            "notify": {"event": self.notify.event, "source": self.notify.source,
                       "reboot_events": dict((str(choice).lower(), event)
                                             for choice, event in sorted(self.notify.reboot_events.items()))},
            "firmware": {"naming": self.firmware.naming, "versioned_name": self.firmware.versioned_name},
            "docs": self.docs,
            "settings": dict((name, {"kind": spec.kind, "description": spec.description, "default": spec.default,
                                     "choices": list(spec.choices) if spec.choices else None, "secret": spec.secret})
                             for name, spec in sorted(self.settings.items())),
            "http_credentials": self.http_credentials.facts() if self.http_credentials else None,
        }


#: What a key store key may be named (a key of ``device.keys``).
_KEY_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
#: The fewest random bytes an HTTP password may have (128 bits: see ``_http_credentials``).
HTTP_PASSWORD_MIN_BYTES = 16


#: What a family's own setting may be named and hold (``_device_model.Setting.kind``).
_SETTING_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_SETTING_KINDS = ("str", "int", "bool", "list")

#: A MAC address prefix (OUI) as descriptions and the dhcp role write it.
_OUI_RE = re.compile(r"^[0-9a-f]{6}\Z")


def _mac_regex(pattern):
    return re.compile(pattern.replace("{mac}", MAC_PATTERN), re.IGNORECASE)


def check_description(description):
    """The list of what is wrong with ``description`` (empty when nothing is).

    Every field must be filled (an empty ``client_certificate_mac`` is the
    one exception: a family may have no documented device certificate); each
    path and subject pattern must hold ``{mac}`` exactly once and compile;
    the encodings must be known ones; the DHCP match type, OUIs and options
    valid (option 60 strings, OUIs or both);
    HTTP credentials, when declared, need protected paths, their egrep forms
    for a TFTP server (``tftp_paths``, plain ERE matching a whole file name), a
    key of at least :data:`HTTP_PASSWORD_MIN_BYTES` bytes and a boolean
    setting of the family.
    """
    problems = []
    for field in ("name", "title", "user_agents", "device_paths", "dhcp", "encodings", "notify", "firmware", "docs"):
        if not getattr(description, field, None):
            problems.append("%s is empty" % field)
    if not (description.secret_params or description.secret_param_patterns):
        problems.append("secret_params is empty")
    if not isinstance(description.macs_in_user_agent, bool):
        problems.append("macs_in_user_agent must be a boolean")
    searched = (description.user_agent_mac,) if description.user_agent_mac else ()
    credentials = description.http_credentials
    credential_paths = ()
    if credentials is not None:
        problems.extend(_check_http_credentials(credentials, description.settings))
    if isinstance(credentials, HttpCredentialsFacts):
        credential_paths = (("http_credentials.paths", credentials.paths),
                            ("http_credentials.bootstrap_paths", credentials.bootstrap_paths))
    for field, patterns in (("device_paths", description.device_paths),
                            ("client_certificate_mac", description.client_certificate_mac),
                            ("user_agent_mac", searched)) + credential_paths:
        for pattern in patterns:
            if pattern.count("{mac}") != 1:
                problems.append("%s pattern %r must hold {mac} once" % (field, pattern))
                continue
            try:
                _mac_regex(pattern)
            except re.error as exc:
                problems.append("%s pattern %r does not compile: %s" % (field, pattern, exc))
            if "(?<" in pattern or "(?P" in pattern:
                problems.append("%s pattern %r uses syntax nginx and Python read differently" % (field, pattern))
    for field, patterns in (("device_paths", description.device_paths),) + credential_paths:
        for pattern in patterns:
            if not pattern.startswith("^/"):
                problems.append("%s pattern %r must be anchored at the root (^/)" % (field, pattern))
    for agent in description.user_agents:
        if "model" not in agent.regex.groupindex:
            problems.append("user agent pattern %r has no model group" % (agent.pattern,))
        if agent.parse(agent.sample) is None:
            problems.append("user agent pattern %r does not match its sample %r" % (agent.pattern, agent.sample))
        if agent.source not in SOURCES:
            problems.append("user agent source %r is not one of %s" % (agent.source, ", ".join(SOURCES)))
    if description.macs_in_user_agent and not any("mac" in agent.regex.groupindex for agent in description.user_agents):
        problems.append("macs_in_user_agent is true but no user agent pattern has a mac group")
    dhcp = description.dhcp
    if dhcp:
        problems.extend(_check_dhcp(dhcp))
    for kind, chain in description.encodings.items():
        if not chain or any(step not in ENCODINGS for step in chain):
            problems.append("encodings[%s] %r: each step must be one of %s" % (kind, chain, ", ".join(ENCODINGS)))
    if description.notify and not description.notify.event:
        problems.append("notify.event is empty")
    if description.firmware and not description.firmware.naming:
        problems.append("firmware.naming is empty")
    for name, spec in sorted(description.settings.items()):
        if not isinstance(name, str) or not _SETTING_NAME_RE.match(name):
            problems.append("settings name %r must be lower-case words joined by _" % (name,))
        if getattr(spec, "kind", None) not in _SETTING_KINDS or not getattr(spec, "description", None):
            problems.append("settings[%s] must be a Setting with a kind (%s) and a description"
                            % (name, ", ".join(_SETTING_KINDS)))
    return problems


def _check_dhcp(dhcp):
    """What is wrong with ``dhcp`` (:class:`DhcpFacts`)."""
    problems = []
    ouis = getattr(dhcp, "ouis", ())
    if not dhcp.vendor_class and not ouis:
        problems.append("dhcp needs vendor_class strings or ouis")
    if any(not isinstance(text, str) or len(text) < 2 for text in dhcp.vendor_class):
        problems.append("dhcp.vendor_class needs strings of at least two characters")
    if dhcp.vendor_class and dhcp.match_type not in DhcpFacts.MATCH_TYPES:
        problems.append("dhcp.match_type %r is not one of %s" % (dhcp.match_type, ", ".join(DhcpFacts.MATCH_TYPES)))
    if not dhcp.vendor_class and dhcp.match_type is not None:
        problems.append("dhcp.match_type %r without vendor_class strings: it must be None" % (dhcp.match_type,))
    if dhcp.match_type == "hex-prefix" and any(not re.match(r"^(?:[0-9a-f]{2})+\Z", text) for text in dhcp.vendor_class):
        problems.append("dhcp.vendor_class of a hex-prefix match must be lower-case hex bytes")
    # The dhcp role writes them as they are, in three syntaxes: one spelling only.
    bad = [oui for oui in ouis if not isinstance(oui, str) or not _OUI_RE.match(oui)]
    if bad:
        problems.append("dhcp.ouis %s: each must be 6 lower-case hex digits (001565)" % ", ".join(repr(oui) for oui in bad))
    if len(set(ouis)) != len(ouis):
        problems.append("dhcp.ouis lists an OUI twice")
    if not dhcp.options or any(option not in (43, 66, 150, 159, 160) for option in dhcp.options):
        problems.append("dhcp.options must be some of 43, 66, 150, 159, 160")
    if dhcp.source not in SOURCES:
        problems.append("dhcp.source %r is not one of %s" % (dhcp.source, ", ".join(SOURCES)))
    return problems


#: One token of the ERE subset ``tftp_paths`` may use, which egrep and
#: Python's ``re`` read alike: an escaped punctuation character, a bracket
#: expression without classes or equivalences, an interval, or any other
#: single character but a backslash, a bracket or a brace.
_ERE_TOKEN_RE = re.compile(r"\\[^0-9A-Za-z]|\[\^?\]?[^\]\[]*\]|\{[0-9]+(?:,[0-9]*)?\}|[^\\\[\]{}]")


def _ere_problem(pattern):
    """Why ``pattern`` is not in the ERE subset of ``tftp_paths``, or ``None``.

    Besides unknown tokens, it refuses what Python reads as an extension and
    egrep otherwise (or not at all): ``(?`` groups, lazy or possessive
    quantifiers (``*?``, ``{2}+``).
    """
    position = 0
    previous = ""
    while position < len(pattern):
        token = _ERE_TOKEN_RE.match(pattern, position)
        if token is None:
            return "is not plain egrep syntax at %r" % (pattern[position:],)
        text = token.group(0)
        quantifier = previous[-1:] in ("*", "+", "?", "}") and not previous.startswith("\\")
        if (previous == "(" and text == "?") or (quantifier and text in ("?", "+")):
            return "uses a Python extension egrep does not read at %r" % (pattern[position - len(previous):],)
        previous = text
        position = token.end()
    return None


def _check_tftp_paths(credentials):
    """What is wrong with ``credentials.tftp_paths``."""
    problems = []
    if not credentials.tftp_paths:
        problems.append("http_credentials.tftp_paths is empty: a TFTP server could not refuse the protected files")
    for pattern in credentials.tftp_paths:
        field = "http_credentials.tftp_paths pattern %r" % (pattern,)
        if not isinstance(pattern, str) or pattern.count("{mac}") != 1:
            problems.append("%s must hold {mac} once" % (field,))
            continue
        if not (pattern.startswith("(^|/)") and pattern.endswith("$")):
            problems.append("%s must match a whole file name: begin with (^|/) and end with $" % (field,))
        problem = _ere_problem(pattern.replace("{mac}", ""))
        if problem:
            problems.append("%s %s" % (field, problem))
            continue
        try:
            re.compile(tftp_path_ere(pattern), re.IGNORECASE)
        except re.error as exc:
            problems.append("%s does not compile: %s" % (field, exc))
    return problems


def _check_http_credentials(credentials, settings):
    """What is wrong with ``credentials`` (:class:`HttpCredentialsFacts`) apart from its patterns."""
    problems = []
    if not isinstance(credentials, HttpCredentialsFacts):
        return ["http_credentials must be an HttpCredentialsFacts"]
    if not credentials.paths:
        problems.append("http_credentials.paths is empty")
    if not isinstance(credentials.key, str) or not _KEY_NAME_RE.match(credentials.key):
        problems.append("http_credentials.key %r must be lower-case words joined by _" % (credentials.key,))
    if (not isinstance(credentials.key_bytes, int) or isinstance(credentials.key_bytes, bool)
            or credentials.key_bytes < HTTP_PASSWORD_MIN_BYTES):
        problems.append("http_credentials.key_bytes %r must be an integer of at least %d"
                        % (credentials.key_bytes, HTTP_PASSWORD_MIN_BYTES))
    spec = settings.get(credentials.setting) if isinstance(credentials.setting, str) else None
    if spec is None or getattr(spec, "kind", None) != "bool" or getattr(spec, "default", None) is not False:
        problems.append("http_credentials.setting %r must be one of the family's settings, a bool defaulting to false"
                        % (credentials.setting,))
    if credentials.source not in SOURCES:
        problems.append("http_credentials.source %r is not one of %s" % (credentials.source, ", ".join(SOURCES)))
    problems.extend(_check_tftp_paths(credentials))
    overlap = set(credentials.paths) & set(credentials.bootstrap_paths)
    if overlap:
        problems.append("http_credentials pattern(s) %s both protected and bootstrap" % ", ".join(sorted(overlap)))
    return problems
