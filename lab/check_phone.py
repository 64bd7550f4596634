# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assert on the JSON report of lab/virtual_phone.py.

    python check_phone.py REPORT.json EXPECTATION...

Expectations:
    ok / no_device_profile      the phone did / did not apply a profile of its own
    applied=TEXT                a file whose URL contains TEXT was applied
    not_found=NAME              a request for a URL ending in NAME got "not found"
    transport=PROTOCOL          the last file fetched (the directory aside) came over tftp, http or https
    sip_server=HOST             the summary's SIP server is HOST (with or without :port)
    lineN.FIELD=VALUE           a field of line N in the summary (extension, display_name, auth_user)
    secret:NAME=VALUE           the phone holds VALUE in its secret parameter NAME (compared by SHA-256,
                                the report never carries the value)
    no_secret:NAME              the phone holds no value in its secret parameter NAME
    first_account               a file of this run applied a SIP account with its password
    no_first_account            none did
    first_account_cycle=N       ... in cycle N (0 is the boot)
    first_account_minutes<=M    ... within M minutes of the virtual clock
    resyncs=N                   N periodic checks were made, each reached the device profile with an account held
    no_in_vain                  no request was made in vain (404 loop, key carrier fetched again)
    unchanged                   every URL fetched more than once had the same SHA-256 each time
    not_fetched=NAME            no request for a URL ending in NAME got a file
    fetched_with_credentials=NAME
                                a request for a URL ending in NAME got a file while the phone sent
                                HTTP credentials, and none got it without
    refused=NAME                a request for a URL ending in NAME was answered 401 or 403
    http_user=USER              the phone holds HTTP credentials for its provisioning server, user USER
                                (a bare MAC: a user of that device, MAC-<4 hex digits>)
                                (the password: secret:NAME=VALUE with the vendor's parameter)
    no_http_credentials         it holds none
    directory=N                 it fetched a directory and parsed N entries from it
    no_directory                it fetched none
    keyN=TYPE[,VALUE[,LABEL]]   its function key N is of TYPE (line, blf, ...), with VALUE and LABEL when given
Every failed expectation is printed; the exit status is 1 if any failed.
"""

import hashlib
import json
import re
import sys


def check(report, expectation):
    """Return None when the expectation holds, else what was found instead."""
    summary = report["summary"]
    if expectation == "ok":
        return None if report["ok"] else "not ok: %s" % report["message"]
    if expectation == "no_device_profile":
        return "it applied %s" % report["message"] if report["ok"] else None
    first = report.get("first_account")
    if expectation == "first_account":
        return None if first else "no SIP account with its password applied"
    if expectation == "no_first_account":
        return "a SIP account was applied by %s" % first["url"] if first else None
    if expectation.startswith("first_account_minutes<="):
        limit = float(expectation.split("<=", 1)[1])
        if not first:
            return "no SIP account applied"
        return None if first["minutes"] <= limit else "the account came at minute %g" % first["minutes"]
    if expectation == "no_in_vain":
        return "in vain: %s" % report["in_vain"] if report["in_vain"] else None
    if expectation == "unchanged":
        seen, changed = {}, []
        for request in report["requests"]:
            if request["result"] == "ok":
                if seen.setdefault(request["url"], request["sha256"]) != request["sha256"]:
                    changed.append(request["url"])
        return "changed between fetches: %s" % changed if changed else None
    name, _sep, value = expectation.partition("=")
    directory = report.get("directory")
    if expectation == "no_directory":
        return "it fetched the directory %s" % directory["url"] if directory else None
    if name == "directory":
        if not directory:
            return "no directory fetched"
        return None if directory["entries"] == int(value) else "%d entries in %s" % (directory["entries"], directory["url"])
    if re.fullmatch(r"key\d+", name):
        keys = [key for key in report.get("keys") or () if str(key["index"]) == name[3:]]
        if not keys:
            return "no key %s (keys: %s)" % (name[3:], [key["index"] for key in report.get("keys") or ()])
        wanted = value.split(",", 2)
        got = [keys[0]["type"], keys[0]["value"] or "", keys[0]["label"] or ""][:len(wanted)]
        return None if got == wanted else "key %s is %s" % (name[3:], ",".join(got))
    if name == "first_account_cycle":
        return None if first and first["cycle"] == int(value) else "first account: %s" % first
    if name == "resyncs":
        resyncs = [cycle for cycle in report["cycles"] if cycle["kind"] == "resync"]
        bad = [cycle for cycle in resyncs if not (cycle["device_profile"] and cycle["account_held"])]
        if len(resyncs) != int(value) or bad:
            return "%d resyncs, failed: %s" % (len(resyncs), [cycle["failure"] for cycle in bad])
        return None
    if name == "not_fetched":
        got = [request["url"] for request in report["requests"] if request["result"] == "ok" and request["url"].endswith(value)]
        return "fetched %s" % got if got else None
    if name == "fetched_with_credentials":
        got = [request for request in report["requests"] if request["result"] == "ok" and request["url"].endswith(value)]
        if not got:
            return "no request for %s got a file" % value
        plain = [request["url"] for request in got if not request.get("http_user")]
        return "fetched without credentials: %s" % plain if plain else None
    if name == "refused":
        refused = [request["url"] for request in report["requests"] if request["result"] == "refused"]
        return None if any(url.endswith(value) for url in refused) else "refused: %s" % refused
    if name == "http_user":
        held = summary.get("http_credentials")
        wanted = re.compile(r"\A%s-[0-9a-f]{4}\Z" % re.escape(value)) if re.match(r"\A[0-9a-f]{12}\Z", value) else None
        if held and (held["user"] == value or (wanted and wanted.match(held["user"]))):
            return None
        return "HTTP credentials: %s" % held
    if expectation == "no_http_credentials":
        held = summary.get("http_credentials")
        return "it holds HTTP credentials for user %s" % held["user"] if held else None
    if name.startswith("no_secret:"):
        return "it holds %s" % name[10:] if name[10:] in report["secrets"] else None
    if name == "applied":
        urls = [applied["url"] for applied in report["files"]]
        return None if any(value in url for url in urls) else "applied: %s" % urls
    if name == "not_found":
        missing = [request["url"] for request in report["requests"] if request["result"] == "not found"]
        return None if any(url.endswith(value) for url in missing) else "not found: %s" % missing
    if name == "transport":
        # The files of the boot, not the directory fetched after them.
        fetched = [request["protocol"] for request in report["requests"]
                   if request["result"] == "ok" and "directory" not in request["purpose"]]
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
            print("%s: expected %s, %s" % (sys.argv[1], expectation.split("=")[0] + "=…" if expectation.startswith("secret:") else expectation,
                                           problem))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
