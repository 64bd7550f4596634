"""Assert on the JSON report of lab/virtual_phone.py.

    python check_phone.py REPORT.json EXPECTATION...

Expectations:
    ok / no_device_profile      the phone did / did not apply a profile of its own
    applied=TEXT                a file whose URL contains TEXT was applied
    not_found=NAME              a request for a URL ending in NAME got "not found"
    transport=PROTOCOL          the last file fetched came over tftp, http or https
    sip_server=HOST             the summary's SIP server is HOST (with or without :port)
    lineN.FIELD=VALUE           a field of line N in the summary (extension, display_name, auth_user)
    secret:NAME=VALUE           the phone holds VALUE in its secret parameter NAME (compared by SHA-256,
                                the report never carries the value)
Every failed expectation is printed; the exit status is 1 if any failed.
"""

import hashlib
import json
import sys


def check(report, expectation):
    """Return None when the expectation holds, else what was found instead."""
    summary = report["summary"]
    if expectation == "ok":
        return None if report["ok"] else "not ok: %s" % report["message"]
    if expectation == "no_device_profile":
        return "it applied %s" % report["message"] if report["ok"] else None
    name, _sep, value = expectation.partition("=")
    if name == "applied":
        urls = [applied["url"] for applied in report["files"]]
        return None if any(value in url for url in urls) else "applied: %s" % urls
    if name == "not_found":
        missing = [request["url"] for request in report["requests"] if request["result"] == "not found"]
        return None if any(url.endswith(value) for url in missing) else "not found: %s" % missing
    if name == "transport":
        fetched = [request["protocol"] for request in report["requests"] if request["result"] == "ok"]
        return None if fetched and fetched[-1] == value else "fetched over %s" % fetched
    if name == "sip_server":
        server = summary.get("sip_server") or ""
        return None if server in (value, value + ":5060") or server.startswith(value + ":") else "sip_server %r" % server
    if name.startswith("line") and "." in name:
        number, field = name[4:].split(".", 1)
        lines = [line for line in summary["lines"] if str(line["line"]) == number]
        if not lines:
            return "no line %s" % number
        return None if str(lines[0].get(field)) == value else "%s %r" % (name, lines[0].get(field))
    if name.startswith("secret:"):
        digest = report["secrets"].get(name[len("secret:"):])
        if digest is None:
            return "no secret %s (secrets: %s)" % (name[7:], sorted(report["secrets"]))
        return None if digest == hashlib.sha256(value.encode()).hexdigest() else "%s holds another value" % name[7:]
    raise SystemExit("unknown expectation %r" % expectation)


def main():
    with open(sys.argv[1]) as handle:
        report = json.load(handle)
    failures = 0
    for expectation in sys.argv[2:]:
        problem = check(report, expectation)
        if problem is not None:
            failures += 1
            print("%s: expected %s, %s" % (sys.argv[1], expectation.split("=")[0] + "=…" if "secret:" in expectation else expectation,
                                           problem))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
