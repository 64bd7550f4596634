# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Drive the status page in a real headless Chromium, as a user would.

    browser.py PAGE EXPECTED_JSON SCREENSHOT_DIR --page-size N [--cells CELLS_JSON] [--name PREFIX]

Starts Debian's chromium with the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in NUL on file descriptors 3
and 4, no port, no websocket library), loads PAGE and checks, with what
gen_status.py wrote into EXPECTED_JSON:

- it renders: the script ran, the first page of N rows, no exception, and
  no value became markup (no injected element, no handler ran);
- paging: real clicks on next, last and first show the next rows, the last
  page's rows and the first again, and the counter says which; with
  CELLS_JSON (every row's class and cells as the Python side writes them, in
  the document's order), every page from the first to the last is compared
  with it: every row once, every cell the same text;
- a click on the "Last contact" header (a real mouse event at its position)
  puts the fleet's oldest contact first (over every row, not the page), the
  never seen devices on the last page; a second click the newest first;
  Enter on the focused "Device" header sorts by name in natural order,
  Space on "Client" the addresses by value;
- typing into the filter box and choosing a state: the counter's numbers,
  and every row of every page of the match is one that matches;
- screenshots of the sorted and of the filtered page go to SCREENSHOT_DIR.

Prints the load, sort and filter times (no assertion on them: a shared
machine's figures vary). Exits 1 with the failed checks listed.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import pathlib
import re
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

    def press(self, selector, key, code, key_code):
        """Focus the element, then a real key press and release on it."""
        self.evaluate("document.querySelector(%s).focus()" % json.dumps(selector))
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code,
                                                 "windowsVirtualKeyCode": key_code})


# The rows on screen: their class (the state) and cells, as the browser shows them.
PAGE_ROWS = "Array.prototype.map.call(document.querySelectorAll('#devices tbody tr'), function (row) {" \
            " return [row.className].concat(Array.prototype.map.call(row.cells, function (cell) {" \
            " return cell.textContent; })); })"
# Every page from the first to the last, with the pager's own buttons: the rows of
# each, the counter and the page label as they were on each page.
ALL_PAGES = "(function () { document.getElementById('page-first').click(); var pages = [];" \
            " for (;;) { pages.push({rows: %s, shown: document.getElementById('shown').textContent," \
            " page: document.getElementById('page').textContent});" \
            " var next = document.getElementById('page-next'); if (next.disabled) { break; } next.click(); }" \
            " document.getElementById('page-first').click(); return pages; }())" % PAGE_ROWS
COLUMN = {"device": 1, "mac": 2, "site": 6, "state": 7, "last": 8, "client": 10}


def natural(text):
    """The page's natural order: case-insensitive, digit runs by value."""
    return re.sub(r"\d+", lambda match: match.group().rjust(12, "0"), text.lower())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("expected")
    parser.add_argument("shots")
    parser.add_argument("--cells", help="the rows as the Python side writes them: every page is compared with them")
    parser.add_argument("--name", default="status-page", help="the screenshots' name prefix")
    parser.add_argument("--page-size", type=int, required=True, help="rows a page: the module's PAGE_SIZE")
    args = parser.parse_args()
    expected = json.loads(pathlib.Path(args.expected).read_text())
    cells = json.loads(pathlib.Path(args.cells).read_text()) if args.cells else None
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("FAIL: no chromium on the PATH (Debian: apt-get install chromium)")
        return 1
    os.makedirs(args.shots, exist_ok=True)
    failures = []
    total = expected["rows"]
    per_page = args.page_size

    def check(what, condition, detail=""):
        print("%s: %s%s" % ("ok" if condition else "FAIL", what, "" if condition else " (%s)" % str(detail)[:400]))
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
            browser.send("Page.navigate", {"url": pathlib.Path(args.page).resolve().as_uri()})
            browser.wait_event("Page.loadEventFired")
            browser.rendered()
            load_seconds = time.monotonic() - start
            navigation = browser.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
            timing = json.loads(navigation or "{}")

            def counter():
                return browser.evaluate("document.getElementById('shown').textContent")

            def rows_label(first, last, matching):
                return "rows %d\u2013%d of %d matching" % (first, last, matching)

            exceptions = [event for event in browser.events if event["method"] == "Runtime.exceptionThrown"]
            check("the page's script ran", browser.evaluate("document.documentElement.dataset.ready") == "1")
            check("no exception in the page", not exceptions, exceptions[:1])
            page_size = min(per_page, total)
            last_count = total - per_page * ((total - 1) // per_page)
            pages = (total + per_page - 1) // per_page
            first_page = browser.evaluate(PAGE_ROWS)
            check("the first page shows %d rows" % page_size, len(first_page) == page_size, len(first_page))
            check("the counter says which rows of how many", counter() == rows_label(1, page_size, total), counter())
            check("the controls are shown", browser.evaluate(
                "!document.getElementById('filters').hidden && !document.getElementById('pager').hidden"))

            # Paging, with real clicks on the pager's buttons.
            browser.click("#page-next")
            browser.rendered()
            second = browser.evaluate(PAGE_ROWS)
            check("next shows rows %d to %d" % (per_page + 1, 2 * per_page),
                  counter() == rows_label(per_page + 1, min(total, 2 * per_page), total) and len(second)
                  == min(per_page, total - per_page) and second[0] != first_page[0], counter())
            if cells:
                check("page 2 holds the document's rows %d to %d" % (per_page + 1, 2 * per_page),
                      second == cells[per_page:2 * per_page], second[:1])
            browser.click("#page-last")
            browser.rendered()
            last = browser.evaluate(PAGE_ROWS)
            check("the last page (%d) shows the last %d rows" % (pages, last_count),
                  len(last) == last_count and counter() == rows_label(total - last_count + 1, total, total)
                  and browser.evaluate("document.getElementById('page').textContent") == "page %d of %d"
                  % (pages, pages) and browser.evaluate("document.getElementById('page-next').disabled"),
                  (len(last), counter()))
            browser.click("#page-first")
            browser.rendered()
            check("first goes back to the first page", browser.evaluate(PAGE_ROWS) == first_page
                  and browser.evaluate("document.getElementById('page-previous').disabled"), counter())

            if cells:
                # Every row, page after page, is the row the Python side writes, in the document's order.
                start = time.monotonic()
                walked = browser.evaluate(ALL_PAGES)
                walk_seconds = time.monotonic() - start
                rows = [row for page in walked for row in page["rows"]]
                check("the %d pages show every row once, each cell as _device_cells/_unknown_cells write it"
                      % len(walked), rows == cells and len(walked) == pages,
                      next(((number, row, want) for number, (row, want) in enumerate(zip(rows, cells))
                            if row != want), (len(rows), len(cells))))
                check("each page's counter", [page["shown"] for page in walked] == [
                    rows_label(1 + per_page * number, min(total, per_page * (number + 1)), total)
                    for number in range(pages)], walked[-1]["shown"])
                hostile = sum(cell == expected["hostile"] for row in rows for cell in row)
                check("the markup-like User-Agent, firmware and model are shown as text", hostile == 3, hostile)
                print("all %d pages walked in %.3f s" % (len(walked), walk_seconds))
            check("no value became an element", browser.evaluate(
                "document.querySelectorAll('#injected, #devices tbody b, #devices tbody img, .counts img').length")
                == 0)
            counted = browser.evaluate(
                "Array.prototype.filter.call(document.querySelectorAll('.counts td'),"
                " function (cell) { return cell.textContent === %s; }).length" % json.dumps(expected["hostile"]))
            check("the markup-like firmware and model are counted as text", counted == 2, counted)

            # Sort by the last contact: over every row, not the page.
            start = time.monotonic()
            browser.click('th[data-key="last"]')
            browser.rendered()
            sort_seconds = time.monotonic() - start
            sorted_page = browser.evaluate(PAGE_ROWS)
            check("a click on Last contact puts the fleet's oldest contact first (%s)" % expected["oldest"],
                  sorted_page[0][COLUMN["device"]] == expected["oldest"], sorted_page[0][:2])
            check("the page is in order", [row[COLUMN["last"]] for row in sorted_page]
                  == sorted(row[COLUMN["last"]] for row in sorted_page))
            check("the header says ascending",
                  browser.evaluate("document.querySelector('th[data-key=\"last\"]').getAttribute('aria-sort')")
                  == "ascending")
            check("sorting goes back to the first page of every row", counter() == rows_label(1, page_size, total),
                  counter())
            browser.click("#page-last")
            browser.rendered()
            last = browser.evaluate(PAGE_ROWS)
            check("the never seen devices come last (empty last)",
                  all(row[COLUMN["last"]] == "" and row[0] == "s-never_seen" for row in last), last[:1])
            browser.click("#page-first")
            start = time.monotonic()
            browser.click('th[data-key="last"]')
            browser.rendered()
            resort_seconds = time.monotonic() - start
            sorted_page = browser.evaluate(PAGE_ROWS)
            check("a second click puts the newest contact first (%s)" % expected["newest"],
                  sorted_page[0][COLUMN["device"]] == expected["newest"], sorted_page[0][:2])
            check("the header says descending",
                  browser.evaluate("document.querySelector('th[data-key=\"last\"]').getAttribute('aria-sort')")
                  == "descending")
            browser.click("#page-last")
            browser.rendered()
            last = browser.evaluate(PAGE_ROWS)
            check("the never seen devices still come last", all(row[COLUMN["last"]] == "" for row in last),
                  last[:1])
            browser.click("#page-first")
            browser.rendered()
            browser.evaluate("window.scrollTo(0, 0)")
            browser.rendered()
            browser.screenshot(os.path.join(args.shots, "%s-sorted.png" % args.name))

            # The keyboard: Enter on the focused Device header sorts by name, in natural order.
            browser.press('th[data-key="device"]', "Enter", "Enter", 13)
            browser.rendered()
            by_name = browser.evaluate(PAGE_ROWS)
            check("Enter on the Device header sorts by name (%s first)" % expected["first_name"],
                  by_name[0][COLUMN["device"]] == expected["first_name"] and browser.evaluate(
                      "document.querySelector('th[data-key=\"device\"]').getAttribute('aria-sort') === 'ascending'"
                      " && document.querySelector('th[data-key=\"last\"]').getAttribute('aria-sort') === 'none'"),
                  by_name[0][:2])
            names = [row[COLUMN["device"]] for row in by_name]
            check("in natural order", names == sorted(names, key=natural), names[:5])
            # Space on the Client header: addresses by value, 10.99.0.9 before 10.99.0.10.
            browser.press('th[data-key="client"]', " ", "Space", 32)
            browser.rendered()
            clients = [row[COLUMN["client"]] for row in browser.evaluate(PAGE_ROWS)]
            check("Space on the Client header sorts the addresses by value",
                  clients == sorted(clients, key=natural) and browser.evaluate(
                      "document.querySelector('th[data-key=\"client\"]').getAttribute('aria-sort')") == "ascending",
                  clients[:12])
            if cells:
                lowest = min((row[COLUMN["client"]] for row in cells if row[COLUMN["client"]]), key=natural)
                check("the lowest address of all first (%s)" % lowest, clients[0] == lowest, clients[:3])
            # Enter on the MAC header: hex MACs by their plain text (0004f2... before 000b82...), not padded.
            browser.press('th[data-key="mac"]', "Enter", "Enter", 13)
            browser.rendered()
            macs = [row[COLUMN["mac"]] for row in browser.evaluate(PAGE_ROWS)]
            check("Enter on the MAC header sorts the MACs by their text", macs == sorted(macs, key=str.lower)
                  and browser.evaluate("document.querySelector('th[data-key=\"mac\"]').getAttribute('aria-sort')")
                  == "ascending", macs[:12])
            if cells:
                lowest = min(row[COLUMN["mac"]].lower() for row in cells if row[COLUMN["mac"]])
                check("the lowest MAC of all first (%s)" % lowest, macs[0].lower() == lowest, macs[:3])

            # Filter: type a site's name, then choose a state; every matching row over every page.
            browser.click("#filter")
            start = time.monotonic()
            browser.send("Input.insertText", {"text": "lisbon"})
            browser.rendered()
            filter_seconds = time.monotonic() - start
            lisbon_total = sum(expected["lisbon"].values())
            check("the counter says %d rows match lisbon" % lisbon_total,
                  counter() == rows_label(1, min(per_page, lisbon_total), lisbon_total), counter())
            matched = [row for page in browser.evaluate(ALL_PAGES) for row in page["rows"]]
            check("every page of the match shows lisbon devices only, %d in all" % lisbon_total,
                  len(matched) == lisbon_total and {row[COLUMN["site"]] for row in matched} == {"lisbon"},
                  len(matched))
            browser.evaluate("(function () { var box = document.getElementById('state'); box.value = 'outdated';"
                             " box.dispatchEvent(new Event('change', {bubbles: true})); }())")
            browser.rendered()
            outdated_lisbon = expected["lisbon"]["outdated"]
            check("text and state together: the counter says %d outdated lisbon devices" % outdated_lisbon,
                  counter() == rows_label(1, min(per_page, outdated_lisbon), outdated_lisbon), counter())
            matched = [row for page in browser.evaluate(ALL_PAGES) for row in page["rows"]]
            check("every one shown is an outdated lisbon device",
                  len(matched) == outdated_lisbon and {row[COLUMN["site"]] for row in matched} == {"lisbon"}
                  and {row[0] for row in matched} == {"s-outdated"}
                  and {row[COLUMN["state"]] for row in matched} == {"outdated"}, len(matched))
            browser.screenshot(os.path.join(args.shots, "%s-filtered.png" % args.name))
            browser.evaluate("(function () { var box = document.getElementById('filter'); box.value = '';"
                             " box.dispatchEvent(new Event('input', {bubbles: true})); }())")
            browser.rendered()
            outdated = expected["states"]["outdated"]
            matched = [row for page in browser.evaluate(ALL_PAGES) for row in page["rows"]]
            check("the state alone shows every outdated device (%d)" % outdated,
                  counter() == rows_label(1, min(per_page, outdated), outdated) and len(matched) == outdated
                  and {row[0] for row in matched} == {"s-outdated"}, counter())
            # The device whose firmware and User-Agent are markup: on screen, as text.
            browser.evaluate("(function () { var box = document.getElementById('filter'); box.value = %s;"
                             " box.dispatchEvent(new Event('input', {bubbles: true})); }())"
                             % json.dumps(expected["hostile_device"]))
            browser.rendered()
            hostile_rows = [row for row in browser.evaluate(PAGE_ROWS) if row[COLUMN["device"]]
                            == expected["hostile_device"]]
            check("the markup-like firmware and User-Agent of %s are shown as text" % expected["hostile_device"],
                  len(hostile_rows) == 1 and hostile_rows[0].count(expected["hostile"]) == 2, hostile_rows)
            check("no value became an element on its page", browser.evaluate(
                "document.querySelectorAll('#injected, #devices tbody b, #devices tbody img').length") == 0)
            browser.evaluate("(function () { var box = document.getElementById('filter'); box.value = 'no-such-device';"
                             " box.dispatchEvent(new Event('input', {bubbles: true})); }())")
            browser.rendered()
            check("no match: no row, and the counter says so", browser.evaluate(PAGE_ROWS) == []
                  and counter() == "no row of %d matching" % total, counter())
            check("no value's handler ran", browser.evaluate("window.injected === undefined"))
            exceptions = [event for event in browser.events if event["method"] == "Runtime.exceptionThrown"]
            check("no exception while paging, sorting and filtering", not exceptions, exceptions[:1])
        finally:
            browser.close()

    print("page: %d bytes, %d rows, %d a page" % (os.path.getsize(args.page), total, per_page))
    print("load: %.3f s to the first frame after the load event (DOMContentLoaded at %.0f ms, load event done at "
          "%.0f ms)" % (load_seconds, timing.get("domContentLoadedEventEnd", -1), timing.get("loadEventEnd", -1)))
    print("sort: %.3f s (Last contact, ascending), %.3f s (descending); filter: %.3f s; load+sort %.3f s"
          % (sort_seconds, resort_seconds, filter_seconds, load_seconds + sort_seconds))
    print("screenshots: %s" % ", ".join(sorted(os.listdir(args.shots))))
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
