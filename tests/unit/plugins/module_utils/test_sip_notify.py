# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The NOTIFY resync's logic: message bytes, digest, response parsing, events, rate and concurrency.

The real exchange with a phone is tested against sipp in
``tests/integration/targets/module_resync``.
"""

from __future__ import annotations

import copy
import socket
import threading
import time

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _sip_notify as sip
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.description import NotifyFacts
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.registry import DESCRIPTIONS


def _request(**overrides):
    fields = dict(user="201", host="192.0.2.10", port=5060, event="check-sync;reboot=false",
                  local_host="192.0.2.1", local_port=40000, transport="udp", call_id="c4ll@192.0.2.1",
                  from_tag="f00d", branch="z9hG4bKb1", cseq=1)
    fields.update(overrides)
    return sip.NotifyRequest(**fields)


FIXTURE = (
    b"NOTIFY sip:201@192.0.2.10:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bKb1;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:sipfleet@192.0.2.1>;tag=f00d\r\n"
    b"To: <sip:201@192.0.2.10:5060>\r\n"
    b"Call-ID: c4ll@192.0.2.1\r\n"
    b"CSeq: 1 NOTIFY\r\n"
    b"Contact: <sip:sipfleet@192.0.2.1:40000>\r\n"
    b"Event: check-sync;reboot=false\r\n"
    b"Subscription-State: terminated\r\n"
    b"User-Agent: sipfleet.provisioning\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def test_notify_bytes_are_exactly_the_fixture():
    assert _request().encode() == FIXTURE


def test_tcp_and_ipv6_forms():
    data = _request(transport="tcp", host="2001:db8::10", local_host="2001:db8::1").encode().decode()
    assert data.startswith("NOTIFY sip:201@[2001:db8::10]:5060 SIP/2.0\r\n")
    assert "Via: SIP/2.0/TCP [2001:db8::1]:40000;branch=z9hG4bKb1;rport\r\n" in data
    assert "Contact: <sip:sipfleet@[2001:db8::1]:40000;transport=tcp>\r\n" in data


def test_generated_ids_follow_rfc3261():
    first, second = _request(call_id=None, from_tag=None, branch=None), _request(call_id=None, from_tag=None, branch=None)
    assert first.branch.startswith("z9hG4bK") and len(first.branch) > len("z9hG4bK")
    assert first.branch != second.branch and first.call_id != second.call_id and first.from_tag != second.from_tag


def test_retry_is_a_new_transaction_of_the_same_dialog_with_the_authorization():
    request = _request()
    again = request.next(("Authorization", 'Digest username="201"'))
    data = again.encode().decode()
    assert again.call_id == request.call_id and again.from_tag == request.from_tag
    assert again.branch != request.branch and again.branch.startswith("z9hG4bK")
    assert "CSeq: 2 NOTIFY\r\n" in data
    assert 'Authorization: Digest username="201"\r\nContent-Length: 0\r\n\r\n' in data


# RFC 2617 section 3.5: the worked example.
def test_digest_md5_qop_auth_rfc2617_example():
    assert sip.digest_response("Mufasa", "Circle Of Life", "testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                               "GET", "/dir/index.html", "MD5", "auth", "00000001",
                               "0a4f113b") == "6629fae49393a05397450978507c4ef1"


# RFC 7616 section 3.9.1: the same request with MD5 and with SHA-256.
@pytest.mark.parametrize("algorithm, expected", [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_digest_rfc7616_examples(algorithm, expected):
    assert sip.digest_response("Mufasa", "Circle of Life", "http-auth@example.org",
                               "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "GET", "/dir/index.html", algorithm,
                               "auth", "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ") == expected


def test_authorization_value_answers_the_rfc2617_challenge():
    challenge = sip.parse_challenge('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                                    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    assert challenge["realm"] == "testrealm@host.com" and challenge["qop"] == "auth,auth-int"
    value = sip.authorization_value(challenge, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", cnonce="0a4f113b")
    assert value == ('Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
                     'uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, '
                     'opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001, cnonce="0a4f113b"')
    assert "Circle Of Life" not in value


def test_authorization_without_qop_uses_rfc2069_form():
    challenge = sip.parse_challenge('Digest realm="r", nonce="n"')
    value = sip.authorization_value(challenge, "u", "p", "NOTIFY", "sip:u@h:5060")
    assert "qop" not in value and "cnonce" not in value and "nc=" not in value
    assert 'response="%s"' % sip.digest_response("u", "p", "r", "n", "NOTIFY", "sip:u@h:5060") in value


def test_sess_without_qop_sends_the_cnonce_it_hashed():
    # RFC 7616 section 3.4.2: HA1 of a -sess algorithm holds the cnonce; the server needs it to check.
    challenge = sip.parse_challenge('Digest realm="r", nonce="n", algorithm=MD5-sess')
    value = sip.authorization_value(challenge, "u", "p", "NOTIFY", "sip:u@h:5060", cnonce="c0ffee")
    assert 'cnonce="c0ffee"' in value and "qop" not in value and "nc=" not in value
    expected = sip.digest_response("u", "p", "r", "n", "NOTIFY", "sip:u@h:5060", "MD5-sess", cnonce="c0ffee")
    assert 'response="%s"' % expected in value


@pytest.mark.parametrize("values, algorithm", [
    (['Digest realm="r", nonce="a", algorithm=MD5', 'Digest realm="r", nonce="b", algorithm=SHA-256'], "SHA-256"),
    (['Digest realm="r", nonce="b", algorithm=SHA-256', 'Digest realm="r", nonce="a"'], "SHA-256"),
    (['Digest realm="r", nonce="c", algorithm=SHA-512-256', 'Digest realm="r", nonce="a", algorithm=MD5'], "MD5"),
    (['Basic realm="r"', 'Digest realm="r", nonce="a", algorithm=MD5-sess'], "MD5-sess"),
    (['Digest realm="r", nonce="c", algorithm=SHA-512-256'], "SHA-512-256"),
])
def test_the_strongest_supported_challenge_is_picked(values, algorithm):
    assert sip.pick_challenge(values)["algorithm"] == algorithm
    assert sip.pick_challenge(['Basic realm="r"']) is None and sip.pick_challenge(None) is None


def test_several_challenges_are_answered_with_the_strongest():
    challenges = ('WWW-Authenticate: Digest realm="snom", nonce="md5nonce", algorithm=MD5\r\n'
                  'WWW-Authenticate: Digest realm="snom", nonce="shanonce", algorithm=SHA-256\r\n')
    port, received, thread = _serve_udp([_answer("401 Unauthorized", challenges), _answer("200 OK")])
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync",
              "auth_user": "201", "password": "Secret-201"}
    result = sip.send_notify(target, timeout=3)
    thread.join(3)
    assert result["status"] == 200
    retry = received[1].decode()
    assert 'nonce="shanonce"' in retry and "algorithm=SHA-256" in retry


def test_auth_int_only_is_refused():
    with pytest.raises(ValueError):
        sip.authorization_value({"realm": "r", "nonce": "n", "qop": "auth-int"}, "u", "p", "NOTIFY", "sip:x")


def test_parse_response_status_headers_folding_and_compact_forms():
    data = (b"SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
            b"v: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bKb1\r\n"
            b"i: c4ll@192.0.2.1\r\n"
            b"CSeq: 1 NOTIFY\r\n"
            b"WWW-Authenticate: Digest realm=\"snom\",\r\n nonce=\"abc\"\r\n"
            b"l: 0\r\n\r\n")
    response = sip.parse_response(data)
    assert (response.status, response.reason) == (481, "Call/Transaction Does Not Exist")
    assert response.header("call-id") == "c4ll@192.0.2.1" and response.cseq() == (1, "NOTIFY")
    assert sip.parse_challenge(response.header("www-authenticate")) == {"realm": "snom", "nonce": "abc"}
    assert sip._matches(response, _request())
    assert not sip._matches(response, _request(cseq=2))
    # RFC 3261 section 17.1.3: the top Via's branch decides the transaction.
    assert not sip._matches(response, _request(branch="z9hG4bKother"))
    assert sip.top_via_branch(response) == "z9hG4bKb1"
    two_vias = sip.parse_response(data.replace(b"v: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bKb1",
                                               b"v: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKproxy, "
                                               b"SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bKb1"))
    assert sip.top_via_branch(two_vias) == "z9hG4bKproxy" and not sip._matches(two_vias, _request())
    method = sip.parse_response(data.replace(b"CSeq: 1 NOTIFY", b"CSeq: 1 OPTIONS"))
    assert not sip._matches(method, _request())
    assert sip.parse_response(b"NOTIFY sip:x SIP/2.0\r\n\r\n") is None
    assert sip.parse_response(b"garbage") is None


def test_message_length_frames_a_stream():
    first = b"SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n"
    second = b"SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nbody"
    assert sip.message_length(first + second) == len(first)
    assert sip.message_length(second[:-1]) is None
    assert sip.message_length(b"SIP/2.0 200 OK\r\n") is None
    assert sip.strip_keepalives(b"\r\n\r\n\r\n" + first) == first


@pytest.mark.parametrize("stream", [
    b"SIP/2.0 200 OK\r\nContent-Length: -29\r\n\r\n",
    b"SIP/2.0 200 OK\r\nl: twelve\r\n\r\n",
    b"SIP/2.0 200 OK\r\nContent-Length: \r\n\r\n",
    b"SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n",
    b"SIP/2.0 200 OK\r\nX-Filler: " + b"x" * sip.MAX_MESSAGE,
])
def test_message_length_refuses_what_cannot_be_framed(stream):
    with pytest.raises(sip.MessageError):
        sip.message_length(stream)


@pytest.mark.parametrize("text, expected", [
    ("192.0.2.10", ("192.0.2.10", 5060)),
    ("192.0.2.10:5070", ("192.0.2.10", 5070)),
    ("phone.example.net", ("phone.example.net", 5060)),
    ("[2001:db8::1]:5062", ("2001:db8::1", 5062)),
    ("2001:db8::1", ("2001:db8::1", 5060)),
])
def test_parse_address(text, expected):
    assert sip.parse_address(text) == expected


@pytest.mark.parametrize("text", ["", "a b", "192.0.2.1:0", "192.0.2.1:99999", "[::1"])
def test_bad_address_names_the_device_and_field(text):
    with pytest.raises(ProvisioningError) as caught:
        sip.parse_address(text, device="lobby", field="addresses.lobby")
    assert "device lobby" in str(caught.value) and "field addresses.lobby" in str(caught.value)


def test_events_come_from_the_descriptions():
    for name, description in DESCRIPTIONS.items():
        event, note = sip.notify_event(description)
        assert (event, note) == (description.notify.event, None), name
    assert sip.notify_event(DESCRIPTIONS["cisco_spa"])[0] == "resync"


@pytest.mark.parametrize("family, reboot, event", [
    ("yealink", True, "check-sync;reboot=true"),
    ("yealink", False, "check-sync;reboot=false"),
    ("snom", True, "check-sync;reboot=true"),
    ("snom", False, "check-sync;reboot=false"),
])
def test_reboot_variants(family, reboot, event):
    assert sip.notify_event(DESCRIPTIONS[family], reboot) == (event, None)


def test_reboot_variants_come_from_the_vendor_description():
    # A family's package declares its variants; nothing outside it names them.
    description = copy.copy(DESCRIPTIONS["grandstream"])
    description.notify = NotifyFacts("check-sync", reboot_events={True: "check-sync;restart=yes"})
    assert sip.notify_event(description, True) == ("check-sync;restart=yes", None)
    event, note = sip.notify_event(description, False)
    assert event == "check-sync" and "no reboot=false variant" in note
    assert description.facts()["notify"]["reboot_events"] == {"true": "check-sync;restart=yes"}


@pytest.mark.parametrize("family", ["grandstream", "poly", "fanvil", "cisco_mpp"])
def test_no_variant_sends_the_plain_event_and_says_so(family):
    event, note = sip.notify_event(DESCRIPTIONS[family], True)
    assert event == DESCRIPTIONS[family].notify.event
    assert "no reboot=true variant" in note


def test_rate_limiter_spaces_starts():
    limiter = sip.RateLimiter(4)
    # Four requests at t=0: they may start at 0, 0.25, 0.5, 0.75.
    assert [limiter.reserve(0.0) for _index in range(4)] == [0.0, 0.25, 0.5, 0.75]
    # Later than the next slot: no wait, and the schedule restarts from now.
    assert limiter.reserve(10.0) == 0.0
    assert limiter.reserve(10.0) == 0.25


def test_rate_zero_is_unlimited():
    limiter = sip.RateLimiter(0)
    assert [limiter.reserve(0.0) for _index in range(3)] == [0.0, 0.0, 0.0]


def test_rate_limiter_wait_sleeps_the_reserved_time():
    slept = []
    limiter = sip.RateLimiter(2, clock=lambda: 5.0, sleep=slept.append)
    limiter.wait()
    limiter.wait()
    limiter.wait()
    assert slept == [0.5, 1.0]


def test_notify_all_bounds_concurrency_keeps_order_and_passes_options():
    active = [0]
    peak = [0]
    lock = threading.Lock()
    seen = []

    def sender(target, timeout, transport):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            seen.append((timeout, transport))
        # Each call stays open a moment, so a pool wider than 3 would run more at once.
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return {"device": target["device"]}

    targets = [{"device": "d%02d" % index} for index in range(20)]
    results = sip.notify_all(targets, transport="tcp", concurrency=3, timeout=1.5, sender=sender)
    assert [result["device"] for result in results] == [target["device"] for target in targets]
    assert peak[0] == 3
    assert seen == [(1.5, "tcp")] * 20


def test_notify_all_goes_through_the_limiter():
    calls = []

    class Limiter:
        def wait(self):
            calls.append(1)

    sip.notify_all([{"device": "a"}, {"device": "b"}], limiter=Limiter(),
                   sender=lambda target, timeout, transport: target)
    assert len(calls) == 2
    assert sip.notify_all([]) == []
    with pytest.raises(ValueError):
        sip.notify_all([{"device": "a"}], concurrency=0)


def _serve_udp(replies):
    """A UDP socket on loopback answering each datagram with the next of ``replies``.

    Each reply is a function of the request giving a datagram or a list of them, or ``None`` (no answer).
    """

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(3)
    received = []

    def run():
        for reply in replies:
            try:
                data, peer = server.recvfrom(65535)
            except socket.timeout:
                break
            received.append(data)
            answer = reply(data) if reply else None
            for datagram in (answer if isinstance(answer, list) else [answer] if answer else []):
                server.sendto(datagram, peer)
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server.getsockname()[1], received, thread


def _answer(status, extra=""):
    def reply(data):
        head = data.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        return ("SIP/2.0 %s\r\nVia: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n%sContent-Length: 0\r\n\r\n"
                % (status, headers["Via"], headers["Call-ID"], headers["CSeq"], extra)).encode()
    return reply


def test_send_notify_answers_one_challenge_without_showing_the_password():
    port, received, thread = _serve_udp([
        _answer("401 Unauthorized", 'WWW-Authenticate: Digest realm="snom", nonce="n0nce", qop="auth"\r\n'),
        _answer("200 OK"),
    ])
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync",
              "auth_user": "201", "password": "Secret-201"}
    result = sip.send_notify(target, timeout=3)
    thread.join(3)
    assert result["result"] == "200 OK" and result["status"] == 200 and result["authenticated"] is True
    assert b"Authorization: Digest" not in received[0]
    retry = received[1].decode()
    assert 'Authorization: Digest username="201", realm="snom", nonce="n0nce"' in retry
    assert "CSeq: 2 NOTIFY" in retry
    assert "Secret-201" not in str(result) and "Secret-201" not in retry


def test_send_notify_second_challenge_is_final():
    challenge = _answer("401 Unauthorized", 'WWW-Authenticate: Digest realm="r", nonce="n"\r\n')
    port, received, thread = _serve_udp([challenge, challenge])
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync",
              "auth_user": "201", "password": "wrong"}
    result = sip.send_notify(target, timeout=3)
    thread.join(3)
    assert result["result"] == "401 Unauthorized" and len(received) == 2


def test_send_notify_without_password_reports_the_challenge():
    port, received, thread = _serve_udp([_answer("401 Unauthorized", 'WWW-Authenticate: Digest realm="r", nonce="n"\r\n')])
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync"}
    result = sip.send_notify(target, timeout=3)
    thread.join(3)
    assert result["status"] == 401 and result["authenticated"] is False


def test_send_notify_ignores_a_provisional_and_a_stranger_response():
    def trying_and_stranger(data):
        stranger = _answer("200 OK")(data).replace(b"CSeq: 1 NOTIFY", b"CSeq: 7 NOTIFY")
        return [_answer("100 Trying")(data), stranger, b"not SIP at all"]

    # The first datagram gets a 100 and a 200 of another transaction, the retransmissions nothing.
    port, received, thread = _serve_udp([trying_and_stranger] + [None] * 10)
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync"}
    result = sip.send_notify(target, timeout=1.2)
    thread.join(5)
    assert result["result"] == "timeout" and result["status"] is None
    assert result["sent"] == len(received)
    # Timer E fires at T1 (0.5 s) whatever the 100 said (RFC 3261 section 17.1.2.2: in the Proceeding
    # state it retransmits and is reset to T2); the next, at 4.5 s, is beyond the timeout.
    assert len(received) == 2
    assert all(data == received[0] for data in received)


def test_send_notify_retransmits_over_udp_until_answered():
    port, received, thread = _serve_udp([None, None, _answer("200 OK")])
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync"}
    result = sip.send_notify(target, timeout=5)
    thread.join(5)
    assert result["result"] == "200 OK" and result["sent"] == 3 and len(set(received)) == 1


def test_send_notify_reports_an_unreachable_port_as_an_error():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    result = sip.send_notify({"device": "gone", "host": "127.0.0.1", "port": port, "user": "", "event": "resync"},
                             timeout=2)
    assert result["result"].startswith("error: ") and result["status"] is None


def test_a_refused_challenge_is_reported_not_answered():
    port, received, thread = _serve_udp([
        _answer("407 Proxy Authentication Required", 'Proxy-Authenticate: Digest realm="r", nonce="n"\r\n'),
        _answer("200 OK")])
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync",
              "auth_user": "201", "password": "Secret-201", "challenge_refusal": "not trusted: give it in addresses"}
    result = sip.send_notify(target, timeout=1.5)
    thread.join(3)
    assert (result["status"], result["authenticated"], result["note"]) == (407, False, "not trusted: give it in addresses")
    assert len(received) == 1 and b"Authorization" not in received[0]


def test_a_stranger_branch_is_not_an_answer():
    def other_branch(data):
        return _answer("200 OK")(data).replace(b";branch=", b";branch=z9hG4bKstranger", 1)

    port, received, thread = _serve_udp([other_branch] + [None] * 10)
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync"}
    result = sip.send_notify(target, timeout=0.8)
    thread.join(3)
    assert result["result"] == "timeout"


def _serve_tcp(reply):
    """A TCP listener on loopback: reads one request, sends ``reply(request)`` (bytes), keeps the connection open."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    received = []

    def run():
        try:
            connection, _peer = server.accept()
        except socket.timeout:
            server.close()
            return
        with connection:
            connection.settimeout(3)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65535)
                if not chunk:
                    break
                data += chunk
            received.append(data)
            connection.sendall(reply(data))
            # Hold the connection until the client closes it.
            try:
                connection.recv(1)
            except OSError:
                pass
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server.getsockname()[1], received, thread


def test_tcp_keepalive_crlfs_before_a_response_are_ignored():
    port, _received, thread = _serve_tcp(lambda data: b"\r\n\r\n\r\n" + _answer("200 OK")(data))
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync"}
    result = sip.send_notify(target, timeout=2, transport="tcp")
    thread.join(3)
    assert result["result"] == "200 OK"


@pytest.mark.parametrize("length", [b"-29", b"x", b"99999999"])
def test_tcp_bad_content_length_is_an_error_not_a_cut_or_a_wait(length):
    def reply(data):
        return _answer("200 OK")(data).replace(b"Content-Length: 0", b"Content-Length: " + length)

    port, _received, thread = _serve_tcp(reply)
    target = {"device": "desk", "host": "127.0.0.1", "port": port, "user": "201", "event": "check-sync"}
    started = time.monotonic()
    result = sip.send_notify(target, timeout=3, transport="tcp")
    thread.join(3)
    assert result["result"].startswith("error: ") and "Content-Length" in result["result"]
    assert result["status"] is None and time.monotonic() - started < 2


def test_a_tcp_connect_that_times_out_is_a_timeout():
    # A listener that never accepts, its queue full: the next SYN gets no answer.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    held = []
    try:
        for _attempt in range(8):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.3)
            held.append(probe)
            try:
                probe.connect(("127.0.0.1", port))
            except socket.timeout:
                break
        else:
            pytest.fail("the listen queue never filled")
        result = sip.send_notify({"device": "desk", "host": "127.0.0.1", "port": port, "user": "201",
                                  "event": "check-sync"}, timeout=0.5, transport="tcp")
        assert result["result"] == "timeout" and result["status"] is None
    finally:
        for probe in held:
            probe.close()
        server.close()


def test_parse_address_refuses_what_is_not_text():
    for value in (10, None, ["192.0.2.1"], 5060.0):
        with pytest.raises(ProvisioningError) as caught:
            sip.parse_address(value, device="lobby", field="addresses.lobby")
        assert (caught.value.device, caught.value.field) == ("lobby", "addresses.lobby")
