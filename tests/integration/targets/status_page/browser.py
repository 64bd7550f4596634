# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Drive the status page in a real headless Chromium, as a user would.

    browser.py PAGE EXPECTED_JSON SCREENSHOT_DIR

Starts Debian's chromium with the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in NUL on file descriptors 3
and 4, no port, no websocket library), loads PAGE and checks, with what
gen_status.py wrote into EXPECTED_JSON:

- it renders: the script ran, one row per device and unknown MAC, no
  exception, and no value became markup (no injected element, no handler ran);
- a click on the "Last contact" header (a real mouse event at its position)
  puts the oldest contact first, a second click the newest;
- typing into the filter box and choosing a state show exactly the matching
  rows, and only those are laid out;
- screenshots of the sorted and of the filtered page go to SCREENSHOT_DIR.

Prints the load and sort times (no assertion on them: a shared machine's
figures vary). Exits 1 with the failed checks listed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import pathlib
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 120.0


class DevTools:
    """A minimal DevTools protocol client over --remote-debugging-pipe."""

    def __init__(self, chromium, profile_dir):
        to_browser_read, self._write_fd = os.pipe()
        self._read_fd, from_browser_write = os.pipe()

        def child_fds():
            # The browser reads commands on fd 3 and writes answers on fd 4.
            # Copies above 10 first, so neither end is overwritten by the
            # other's dup2; those copies close at exec, fds 3 and 4 stay.
            commands = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD_CLOEXEC, 10)
            answers = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
             "--hide-scrollbars", "--remote-debugging-pipe", "--user-data-dir=%s" % profile_dir,
             "--window-size=1400,1000", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # No close_fds: it would run after child_fds and close 3 and 4;
            # every other descriptor of this process is close-on-exec (PEP 446).
            close_fds=False, preexec_fn=child_fds)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from chromium")
            ready, dummy, dummy = select.select([self._read_fd], [], [], remaining)
            if ready:
                chunk = os.read(self._read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe (exit code %s)" % self.process.poll())
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=True, timeout=TIMEOUT):
        self._next_id += 1
        command = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            command["sessionId"] = self.session
        data = json.dumps(command).encode() + b"\0"
        while data:
            data = data[os.write(self._write_fd, data):]
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(index)
            self.events.append(self._read_message(deadline))

    def evaluate(self, expression, await_promise=False):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise})
        if "exceptionDetails" in result:
            raise RuntimeError("%s: %s" % (expression[:60], result["exceptionDetails"]))
        return result["result"].get("value")

    def click(self, selector):
        """A real left click (press and release) at the centre of the element."""
        box = self.evaluate("(function () { var r = document.querySelector(%s).getBoundingClientRect();"
                            " return [r.left + r.width / 2, r.top + r.height / 2]; }())" % json.dumps(selector))
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                   "clickCount": 1})

    def rendered(self):
        # Two animation frames: the one the change is laid out and painted in has passed.
        self.evaluate("new Promise(function (done) { requestAnimationFrame(function () {"
                      " requestAnimationFrame(function () { done(true); }); }); })", await_promise=True)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read_fd)
        os.close(self._write_fd)


FIRST_NAMES = "Array.prototype.slice.call(document.querySelectorAll('#devices tbody tr'), 0, 3)" \
              ".map(function (row) { return row.cells[0].textContent; })"
VISIBLE = "(function () { var rows = document.querySelectorAll('#devices tbody tr'), shown = [], laid = 0;" \
          " for (var i = 0; i < rows.length; i++) { if (!rows[i].hidden) { shown.push(rows[i]); }" \
          " if (rows[i].getClientRects().length) { laid += 1; } }" \
          " return {count: shown.length, laid: laid, label: document.getElementById('shown').textContent," \
          " states: shown.map(function (row) { return row.className; })" \
          ".filter(function (v, i, all) { return all.indexOf(v) === i; })," \
          " sites: shown.map(function (row) { return row.cells[5].textContent; })" \
          ".filter(function (v, i, all) { return all.indexOf(v) === i; })}; }())"


def main():
    page, expected_path, shots = sys.argv[1:4]
    expected = json.loads(pathlib.Path(expected_path).read_text())
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("FAIL: no chromium on the PATH (Debian: apt-get install chromium)")
        return 1
    os.makedirs(shots, exist_ok=True)
    failures = []

    def check(what, condition, detail=""):
        print("%s: %s%s" % ("ok" if condition else "FAIL", what, "" if condition else " (%s)" % detail))
        if not condition:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="status-page-chromium.") as profile:
        browser = DevTools(chromium, profile)
        try:
            targets = browser.send("Target.getTargets", session=False)["targetInfos"]
            target = next(info["targetId"] for info in targets if info["type"] == "page")
            browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                           session=False)["sessionId"]
            for domain in ("Page.enable", "Runtime.enable"):
                browser.send(domain)
            browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000,
                                                                "deviceScaleFactor": 1, "mobile": False})

            # Load: from the navigation to the first frame painted after the load event.
            start = time.monotonic()
            browser.send("Page.navigate", {"url": pathlib.Path(page).resolve().as_uri()})
            browser.wait_event("Page.loadEventFired")
            browser.rendered()
            load_seconds = time.monotonic() - start
            navigation = browser.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
            timing = json.loads(navigation or "{}")

            exceptions = [event for event in browser.events if event["method"] == "Runtime.exceptionThrown"]
            check("the page's script ran", browser.evaluate("document.documentElement.dataset.ready") == "1")
            check("no exception in the page", not exceptions, exceptions[:1])
            rows = browser.evaluate("document.querySelectorAll('#devices tbody tr').length")
            check("one row per device and unknown MAC (%d)" % expected["rows"], rows == expected["rows"], rows)
            check("the counter shows every row", browser.evaluate("document.getElementById('shown').textContent")
                  == "%d of %d shown" % (expected["rows"], expected["rows"]))
            check("no value became an element", browser.evaluate(
                "document.querySelectorAll('#injected, #devices tbody b, #devices tbody img, .counts img').length")
                == 0)
            check("no value's handler ran", browser.evaluate("window.injected === undefined"))
            hostile_cells = browser.evaluate(
                "Array.prototype.filter.call(document.querySelectorAll('#devices tbody td, .counts td'),"
                " function (cell) { return cell.textContent === %s; }).length" % json.dumps(expected["hostile"]))
            check("the markup-like User-Agent, firmware and model are shown as text", hostile_cells == 5,
                  hostile_cells)

            # Sort by the last contact: ascending puts the oldest first.
            start = time.monotonic()
            browser.click('th[data-key="last"]')
            browser.rendered()
            sort_seconds = time.monotonic() - start
            first = browser.evaluate(FIRST_NAMES)
            check("a click on Last contact puts the oldest contact first (%s)" % expected["oldest"],
                  first[0] == expected["oldest"], first)
            check("the header says ascending",
                  browser.evaluate("document.querySelector('th[data-key=\"last\"]').getAttribute('aria-sort')")
                  == "ascending")
            start = time.monotonic()
            browser.click('th[data-key="last"]')
            browser.rendered()
            resort_seconds = time.monotonic() - start
            first = browser.evaluate(FIRST_NAMES)
            check("a second click puts the newest contact first (%s)" % expected["newest"],
                  first[0] == expected["newest"], first)
            still = browser.evaluate("document.querySelectorAll('#devices tbody tr').length")
            check("sorting keeps every row", still == expected["rows"], still)
            browser.evaluate("window.scrollTo(0, 0)")
            browser.rendered()
            browser.screenshot(os.path.join(shots, "status-page-sorted.png"))

            # Filter: type a site's name, then choose a state.
            browser.click("#filter")
            start = time.monotonic()
            browser.send("Input.insertText", {"text": "lisbon"})
            browser.rendered()
            filter_seconds = time.monotonic() - start
            lisbon_total = sum(expected["lisbon"].values())
            shown = browser.evaluate(VISIBLE)
            check("the text filter shows the %d lisbon devices" % lisbon_total,
                  shown["count"] == lisbon_total and shown["sites"] == ["lisbon"], shown["count"])
            check("only the shown rows are laid out", shown["laid"] == shown["count"], shown["laid"])
            check("the counter says so", shown["label"] == "%d of %d shown" % (lisbon_total, expected["rows"]),
                  shown["label"])
            browser.evaluate("(function () { var box = document.getElementById('state'); box.value = 'outdated';"
                             " box.dispatchEvent(new Event('change', {bubbles: true})); }())")
            browser.rendered()
            shown = browser.evaluate(VISIBLE)
            check("text and state together show the %d outdated lisbon devices" % expected["lisbon"]["outdated"],
                  shown["count"] == expected["lisbon"]["outdated"] and shown["states"] == ["s-outdated"]
                  and shown["sites"] == ["lisbon"], shown)
            browser.screenshot(os.path.join(shots, "status-page-filtered.png"))
            browser.evaluate("(function () { var box = document.getElementById('filter'); box.value = '';"
                             " box.dispatchEvent(new Event('input', {bubbles: true})); }())")
            browser.rendered()
            shown = browser.evaluate(VISIBLE)
            outdated = browser.evaluate("document.querySelectorAll('#devices tbody tr.s-outdated').length")
            check("the state alone shows every outdated device (%d)" % outdated,
                  shown["count"] == outdated and shown["states"] == ["s-outdated"], shown["count"])
            exceptions = [event for event in browser.events if event["method"] == "Runtime.exceptionThrown"]
            check("no exception while sorting and filtering", not exceptions, exceptions[:1])
        finally:
            browser.close()

    print("page: %d bytes, %d rows" % (os.path.getsize(page), expected["rows"]))
    print("load: %.3f s to the first frame after the load event (DOMContentLoaded at %.0f ms, load event done at "
          "%.0f ms)" % (load_seconds, timing.get("domContentLoadedEventEnd", -1), timing.get("loadEventEnd", -1)))
    print("sort: %.3f s (Last contact, ascending), %.3f s (descending); filter: %.3f s; load+sort %.3f s"
          % (sort_seconds, resort_seconds, filter_seconds, load_seconds + sort_seconds))
    print("screenshots: %s" % ", ".join(sorted(os.listdir(shots))))
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
