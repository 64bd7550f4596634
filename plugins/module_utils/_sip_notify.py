# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SIP NOTIFY ``check-sync`` to phones: build, send, answer a digest challenge.

A phone checks its profile at its next periodic resync (hours) unless a SIP
NOTIFY with its vendor's event (``Event: check-sync``, Cisco's ``resync``)
tells it to check now. This module builds that out-of-dialog NOTIFY
(RFC 3261 section 8.1.1, RFC 6665's ``Subscription-State: terminated`` as
wazo-provd, FusionPBX and Asterisk's ``pjsip send notify`` send it), sends it
over UDP (non-INVITE client transaction: Timer E retransmissions from T1,
doubling up to T2, until the timeout, RFC 3261 section 17.1.2.2) or TCP,
reads the final status, and answers one 401/407 digest challenge (RFC 2617,
RFC 7616: MD5, SHA-256, their ``-sess`` forms, ``qop=auth``) with the line's
credentials: Snom's ``challenge_checksync`` and Poly's
``requestValidation...method=digest`` challenge, the others do not. A
target whose address is not trusted (``challenge_refusal``, set by
``_resync``) gets its NOTIFY but no answer to a challenge: a digest
response is offline dictionary material for whoever sent the challenge.

Standard library only: it runs on the provisioning hosts inside the module,
and the tests import it directly. Nothing here logs or returns a password;
the digest ``response`` is a hash and may be shown.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError

#: RFC 3261 timers (section 17.1.2.2): first retransmission after T1, doubling, capped at T2.
T1 = 0.5
T2 = 4.0
#: The magic cookie every RFC 3261 branch starts with.
BRANCH_COOKIE = "z9hG4bK"
DEFAULT_PORT = 5060
TRANSPORTS = ("udp", "tcp")
USER_AGENT = "sipfleet.provisioning"
#: The largest SIP message read (a response to a NOTIFY is a few hundred bytes).
MAX_MESSAGE = 65535


def notify_event(description, reboot=None):
    """``(event, note)``: the ``Event:`` value for a family and a ``reboot`` choice.

    ``reboot`` ``None`` (no choice) sends the description's own event
    (``NotifyFacts.event``); a choice sends the family's variant
    (``NotifyFacts.reboot_events``, ``docs/resync.md`` lists them). ``note``
    is ``None``, or why the plain event stands in for a variant the family
    does not define (the phone's own setting then decides whether it
    reboots: Poly ``checkSync.alwaysReboot``, Fanvil ``Notify_Reboot``).
    """
    if reboot is None:
        return description.notify.event, None
    variant = description.notify.reboot_events.get(bool(reboot))
    if variant is not None:
        return variant, None
    return description.notify.event, ("%s defines no reboot=%s variant of its NOTIFY; sent %s, the phone's own "
                                      "setting decides whether it reboots"
                                      % (description.title, str(bool(reboot)).lower(), description.notify.event))


# --- addresses -------------------------------------------------------------------------------------------------------

_ADDRESS_RE = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\s\[\]]+))(?::(?P<port>[0-9]{1,5}))?\Z")


def parse_address(value, device=None, field="addresses", default_port=DEFAULT_PORT):
    """``(host, port)`` from ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address.

    ``value`` must be a string: an integer or a list is a mistake in the
    YAML (``lobby: 10``), never converted into an address.
    """
    if not isinstance(value, str):
        raise ProvisioningError("must be an address text (host, host:port or [IPv6]:port), not %s %r"
                                % (type(value).__name__, value), device=device, field=field)
    text = value.strip()
    if text.count(":") > 1 and not text.startswith("["):
        # A bare IPv6 address: it holds no port.
        return text, default_port
    match = _ADDRESS_RE.match(text)
    if match is None:
        raise ProvisioningError("%r is not an address (host, host:port or [IPv6]:port)" % text,
                                device=device, field=field)
    port = int(match.group("port")) if match.group("port") else default_port
    if not 0 < port < 65536:
        raise ProvisioningError("port %d is out of range" % port, device=device, field=field)
    return match.group("v6") or match.group("host"), port


def _uri_host(host):
    return "[%s]" % host if ":" in host else host


# --- messages --------------------------------------------------------------------------------------------------------

class NotifyRequest:
    """The fields of one NOTIFY; :meth:`encode` gives its bytes.

    ``user`` is the Request-URI's user part (the line's extension or
    authentication user, which the phone matches against its identities);
    ``local_host``/``local_port`` the address the response comes back to.
    """

    def __init__(self, user, host, port, event, local_host, local_port, transport="udp", call_id=None,
                 from_tag=None, branch=None, cseq=1):
        self.user = user
        self.host = host
        self.port = port
        self.event = event
        self.local_host = local_host
        self.local_port = local_port
        self.transport = transport
        self.call_id = call_id or "%s@%s" % (random_token(16), local_host)
        self.from_tag = from_tag or random_token(8)
        self.branch = branch or BRANCH_COOKIE + random_token(12)
        self.cseq = cseq
        self.authorization = None

    @property
    def uri(self):
        user = "%s@" % self.user if self.user else ""
        return "sip:%s%s:%d" % (user, _uri_host(self.host), self.port)

    def next(self, authorization):
        """The same NOTIFY again, as a new transaction (new branch, next CSeq) carrying ``authorization``.

        ``authorization`` is ``(header name, value)``.
        """
        again = NotifyRequest(self.user, self.host, self.port, self.event, self.local_host, self.local_port,
                              self.transport, self.call_id, self.from_tag, None, self.cseq + 1)
        again.authorization = authorization
        return again

    def encode(self):
        local = "%s:%d" % (_uri_host(self.local_host), self.local_port)
        contact_params = ";transport=tcp" if self.transport == "tcp" else ""
        lines = [
            "NOTIFY %s SIP/2.0" % self.uri,
            "Via: SIP/2.0/%s %s;branch=%s;rport" % (self.transport.upper(), local, self.branch),
            "Max-Forwards: 70",
            "From: <sip:sipfleet@%s>;tag=%s" % (_uri_host(self.local_host), self.from_tag),
            "To: <%s>" % self.uri,
            "Call-ID: %s" % self.call_id,
            "CSeq: %d NOTIFY" % self.cseq,
            "Contact: <sip:sipfleet@%s%s>" % (local, contact_params),
            "Event: %s" % self.event,
            "Subscription-State: terminated",
            "User-Agent: %s" % USER_AGENT,
        ]
        if self.authorization:
            lines.append("%s: %s" % self.authorization)
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def random_token(length):
    """``length`` random hex digits (Call-ID, tags, branches, cnonces)."""
    return os.urandom((length + 1) // 2).hex()[:length]


class Response:
    """A parsed SIP response: ``status``, ``reason`` and ``headers`` (lower-case name -> list of values)."""

    def __init__(self, status, reason, headers):
        self.status = status
        self.reason = reason
        self.headers = headers

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def cseq(self):
        """``(number, method)`` of the CSeq header, or ``None``."""
        value = self.header("cseq") or ""
        parts = value.split()
        if len(parts) == 2 and parts[0].isdigit():
            return int(parts[0]), parts[1].upper()
        return None


#: RFC 3261 compact header forms that can appear in a response.
_COMPACT = {"i": "call-id", "v": "via", "f": "from", "t": "to", "m": "contact", "l": "content-length", "o": "event"}
_STATUS_RE = re.compile(r"^SIP/2\.0 ([1-6][0-9][0-9])(?: (.*))?$")


def parse_response(data):
    """The :class:`Response` in ``data`` (bytes of one message), or ``None`` if it is not a SIP response."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    lines = head.split("\r\n")
    match = _STATUS_RE.match(lines[0].strip())
    if match is None:
        return None
    headers = {}
    name = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and name is not None:
            # Header folding (RFC 3261 section 7.3.1): continues the previous value.
            headers[name][-1] += " " + line.strip()
            continue
        if ":" not in line:
            continue
        raw, value = line.split(":", 1)
        name = raw.strip().lower()
        name = _COMPACT.get(name, name)
        headers.setdefault(name, []).append(value.strip())
    return Response(int(match.group(1)), (match.group(2) or "").strip(), headers)


class MessageError(ValueError):
    """A stream that cannot be framed into SIP messages (RFC 3261 section 18.3): the connection is dropped."""


def message_length(buffer):
    """The length of the first complete message in a stream ``buffer``, or ``None`` if it is not complete.

    Raises :class:`MessageError` for a Content-Length that is not a
    non-negative number, or a message (or a head without its end) longer
    than :data:`MAX_MESSAGE`: the buffer would otherwise grow until the
    deadline, or a cut fall inside the headers.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_MESSAGE:
            raise MessageError("a message head longer than %d bytes" % MAX_MESSAGE)
        return None
    length = 0
    for line in buffer[:end].split(b"\r\n")[1:]:
        name, _colon, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            text = value.strip()
            if not text.isdigit():
                raise MessageError("Content-Length %r is not a number of bytes" % text.decode("ascii", "replace"))
            length = int(text)
    total = end + 4 + length
    if total > MAX_MESSAGE:
        raise MessageError("a message of %d bytes (Content-Length %d), more than %d" % (total, length, MAX_MESSAGE))
    return total if len(buffer) >= total else None


def strip_keepalives(buffer):
    """``buffer`` without the CRLFs in front of a message (RFC 3261 section 7.5: ignored; RFC 5626 keepalives)."""
    return buffer.lstrip(b"\r\n")


# --- digest authentication -------------------------------------------------------------------------------------------

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


def parse_challenge(value):
    """``{parameter: value}`` of a ``Digest`` WWW-/Proxy-Authenticate value (lower-case names), or ``None``."""
    text = (value or "").strip()
    if not text[:7].lower() == "digest ":
        return None
    params = {}
    for name, raw in _PARAM_RE.findall(text[7:]):
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[name.lower()] = raw
    return params


def digest_response(username, password, realm, nonce, method, uri, algorithm="MD5", qop=None, nc=None, cnonce=None):
    """The digest ``response`` (RFC 2617 section 3.2.2.1, RFC 7616 section 3.4.1)."""
    base = algorithm.upper()
    sess = base.endswith("-SESS")
    if sess:
        base = base[:-5]
    if base not in _HASHES:
        raise ValueError("digest algorithm %s is not supported (MD5, SHA-256 and their -sess forms are)" % algorithm)

    def hexdigest(text):
        return _HASHES[base](text.encode("utf-8")).hexdigest()

    ha1 = hexdigest("%s:%s:%s" % (username, realm, password))
    if sess:
        ha1 = hexdigest("%s:%s:%s" % (ha1, nonce, cnonce))
    ha2 = hexdigest("%s:%s" % (method, uri))
    if qop:
        return hexdigest("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    return hexdigest("%s:%s:%s" % (ha1, nonce, ha2))


def authorization_value(challenge, username, password, method, uri, cnonce=None, nc=1):
    """The ``Authorization`` value answering ``challenge`` (from :func:`parse_challenge`).

    ``qop=auth`` when the challenge offers it (``auth-int`` alone is not
    supported: a NOTIFY without a body gains nothing from it).
    """
    algorithm = challenge.get("algorithm") or "MD5"
    offered = [item.strip().lower() for item in (challenge.get("qop") or "").split(",") if item.strip()]
    if offered and "auth" not in offered:
        raise ValueError("the challenge offers qop %s; only auth is supported" % challenge.get("qop"))
    qop = "auth" if offered else None
    # A -sess algorithm hashes the cnonce into HA1 (RFC 7616 section
    # 3.4.2): the server needs it back even without qop to check the answer.
    with_cnonce = bool(qop) or algorithm.upper().endswith("-SESS")
    cnonce = cnonce or random_token(16)
    nc_text = "%08x" % nc
    realm = challenge.get("realm", "")
    nonce = challenge.get("nonce", "")
    response = digest_response(username, password, realm, nonce, method, uri, algorithm, qop,
                               nc_text if qop else None, cnonce if with_cnonce else None)
    parts = ['username="%s"' % username, 'realm="%s"' % realm, 'nonce="%s"' % nonce, 'uri="%s"' % uri,
             'response="%s"' % response, "algorithm=%s" % algorithm]
    if challenge.get("opaque") is not None:
        parts.append('opaque="%s"' % challenge["opaque"])
    if qop:
        parts.extend(["qop=%s" % qop, "nc=%s" % nc_text])
    if with_cnonce:
        parts.append('cnonce="%s"' % cnonce)
    return "Digest " + ", ".join(parts)


#: Preference among the digest algorithms answered (RFC 8760 section 2.4: the strongest the client supports).
_STRENGTH = {"SHA-256": 2, "SHA-256-SESS": 2, "MD5": 1, "MD5-SESS": 1}


def _supported(challenge):
    offered = [item.strip().lower() for item in (challenge.get("qop") or "").split(",") if item.strip()]
    return (challenge.get("algorithm") or "MD5").upper() in _STRENGTH and (not offered or "auth" in offered)


def pick_challenge(values):
    """The challenge to answer among a response's ``WWW-/Proxy-Authenticate`` ``values``, or ``None``.

    A server may offer several (RFC 8760 section 2.4, one per algorithm,
    SHA-256 first by convention, not by rule): the strongest supported one,
    the first of equals. With none supported, the first Digest challenge,
    whose answer then fails naming what it asks for.
    """
    challenges = [challenge for challenge in (parse_challenge(value) for value in values or []) if challenge is not None]
    supported = [challenge for challenge in challenges if _supported(challenge)]
    if supported:
        return max(supported, key=lambda challenge: _STRENGTH[(challenge.get("algorithm") or "MD5").upper()])
    return challenges[0] if challenges else None


# --- transactions ----------------------------------------------------------------------------------------------------

class _Timeout(Exception):
    pass


_BRANCH_RE = re.compile(r";\s*branch\s*=\s*([^;,\s]+)", re.IGNORECASE)


def top_via_branch(response):
    """The ``branch`` parameter of the response's top Via, or ``None``."""
    value = response.header("via") or ""
    match = _BRANCH_RE.search(value.split(",", 1)[0])
    return match.group(1) if match else None


def _matches(response, request):
    """Whether ``response`` belongs to ``request``'s client transaction.

    RFC 3261 section 17.1.3: the top Via's branch is the one the request
    carried and the CSeq method is the request's. Call-ID and CSeq number
    are copies of the request's too (section 8.2.6.2); a response differing
    there is not an answer to this request either.
    """
    return (top_via_branch(response) == request.branch
            and response.cseq() == (request.cseq, "NOTIFY")
            and response.header("call-id") == request.call_id)


def _udp_transaction(sock, request, deadline, clock, record):
    """Send ``request`` on a connected UDP socket with Timer E retransmissions; the final :class:`Response`.

    Each datagram sent counts in ``record["sent"]``, whatever the outcome.
    """
    data = request.encode()
    interval = T1
    while True:
        now = clock()
        if now >= deadline:
            raise _Timeout()
        sock.send(data)
        record["sent"] += 1
        resend_at = min(now + interval, deadline)
        while True:
            remaining = resend_at - clock()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                packet = sock.recv(MAX_MESSAGE)
            except socket.timeout:
                break
            response = parse_response(packet)
            if response is None or not _matches(response, request):
                continue
            if response.status >= 200:
                return response
            # A provisional response: keep waiting, retransmitting every T2 (section 17.1.2.2).
            interval = T2
        interval = min(interval * 2, T2)


def _tcp_transaction(sock, request, deadline, clock, record):
    """Send ``request`` on a connected TCP socket; the final :class:`Response`."""
    sock.sendall(request.encode())
    record["sent"] += 1
    buffer = b""
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            raise _Timeout()
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(MAX_MESSAGE)
        except socket.timeout:
            raise _Timeout() from None
        if not chunk:
            raise ConnectionError("the phone closed the connection without a final response")
        buffer = strip_keepalives(buffer + chunk)
        while True:
            length = message_length(buffer)
            if length is None:
                break
            message, buffer = buffer[:length], strip_keepalives(buffer[length:])
            response = parse_response(message)
            if response is not None and _matches(response, request) and response.status >= 200:
                return response


def send_notify(target, timeout=8.0, transport="udp", clock=time.monotonic):
    """Send one NOTIFY to ``target`` and return its result (see :func:`result_record`).

    ``target`` is a dict: ``device``, ``host``, ``port``, ``user``, ``event``,
    and ``auth_user``/``password`` (may be empty) to answer one challenge.
    ``challenge_refusal``, when set, is why a challenge at this address is
    not answered (the address is not trusted): the final status is then
    the challenge's, with that reason in ``note``.
    """
    deadline = clock() + timeout
    family = socket.AF_INET6 if ":" in target["host"] else socket.AF_INET
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    transaction = _udp_transaction if transport == "udp" else _tcp_transaction
    record = result_record(target)
    try:
        with socket.socket(family, kind) as sock:
            sock.settimeout(max(deadline - clock(), 0.001))
            # Connected: the kernel picks the source address (the Via's), and a
            # UDP port with nothing listening reports ICMP unreachable as an error.
            sock.connect((target["host"], target["port"]))
            local_host, local_port = sock.getsockname()[:2]
            request = NotifyRequest(target.get("user"), target["host"], target["port"], target["event"],
                                    local_host, local_port, transport)
            response = transaction(sock, request, deadline, clock, record)
            if response.status in (401, 407):
                response = _answer_challenge(sock, request, response, target, deadline, clock, record, transaction)
            record.update(status=response.status, reason=response.reason,
                          result="%d %s" % (response.status, response.reason))
    except (_Timeout, socket.timeout):
        # socket.timeout (TimeoutError) too: a TCP connect() that got no answer in time.
        record["result"] = "timeout"
    except (OSError, ValueError) as exc:
        record["result"] = "error: %s" % (getattr(exc, "strerror", None) or exc)
    return record


def _answer_challenge(sock, request, response, target, deadline, clock, record, transaction):
    """The final response after a 401/407: the retry's, or the challenge itself when it is not answered."""
    if target.get("challenge_refusal"):
        # Never answered, whatever the password: the address is not known
        # to be the phone's, and the answer would let its owner try
        # passwords offline against the digest.
        record["note"] = target["challenge_refusal"]
        return response
    if not target.get("password"):
        return response
    header = "www-authenticate" if response.status == 401 else "proxy-authenticate"
    challenge = pick_challenge(response.headers.get(header))
    if challenge is None:
        return response
    value = authorization_value(challenge, target.get("auth_user") or target.get("user") or "", target["password"],
                                "NOTIFY", request.uri)
    name = "Authorization" if response.status == 401 else "Proxy-Authorization"
    record["authenticated"] = True
    return transaction(sock, request.next((name, value)), deadline, clock, record)


def result_record(target):
    """The per-device result, before sending: no status yet."""
    return {"device": target["device"], "address": "%s:%d" % (_uri_host(target["host"]), target["port"]),
            "address_source": target.get("address_source"), "event": target["event"], "status": None,
            "reason": None, "result": None, "authenticated": False, "sent": 0, "note": None}


# --- rate and concurrency --------------------------------------------------------------------------------------------

class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart across threads (``rate`` 0: no limit).

    :meth:`reserve` is the logic (given the time, the wait before this
    request may start); :meth:`wait` sleeps that long.
    """

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = None
        self._lock = threading.Lock()

    def reserve(self, now):
        with self._lock:
            if not self.interval:
                return 0.0
            start = now if self._next is None or self._next < now else self._next
            self._next = start + self.interval
            return start - now

    def wait(self):
        delay = self.reserve(self.clock())
        if delay > 0:
            self.sleep(delay)


def notify_all(targets, transport="udp", rate=0, concurrency=10, timeout=8.0, sender=send_notify, limiter=None):
    """Send every target its NOTIFY, ``concurrency`` at a time, at most ``rate`` a second; results in target order."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    limiter = limiter or RateLimiter(rate)

    def one(target):
        limiter.wait()
        return sender(target, timeout=timeout, transport=transport)

    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(targets))) as pool:
        return list(pool.map(one, targets))
