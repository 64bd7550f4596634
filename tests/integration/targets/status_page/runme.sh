#!/usr/bin/env bash
# The status page as the status playbook writes it, in a real browser: the
# status_report filter merges two hosts' fleet_status results for 10,000
# devices (gen_status.py) in a playbook, the files are checked as files, and
# Debian's headless chromium loads the page, pages through it, sorts and
# filters it (browser.py), every row compared with the cells the Python side
# writes. Then the same page for 100,000 devices, rendered by the module
# directly (the playbook adds nothing to test there): its figures are printed.
# The screenshots are kept in tests/output/status_page/ of the collection
# (scripts/test copies tests/output back into the checkout).
set -eu
set -o pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
make_work status_page
devices=${SIPFLEET_STATUS_PAGE_DEVICES:-10000}
big_devices=${SIPFLEET_STATUS_PAGE_BIG_DEVICES:-100000}
shots=$collection/tests/output/status_page
python=$(command -v python || command -v python3)
# The collection importable by the test's python: ansible_collections/sipfleet/provisioning.
collection_path=$(cd "$collection/../../.." && pwd)
page_size=$(PYTHONPATH=$collection_path "$test_python" -c \
    'from ansible_collections.sipfleet.provisioning.plugins.module_utils._status_report import PAGE_SIZE; print(PAGE_SIZE)')

command -v chromium >/dev/null || fail "no chromium: it is in tests/bindep.txt (apt-get install chromium)"

step "two hosts' status for $devices devices"
"$test_python" gen_status.py "$work" "$devices"

step "the filter and the files, in a playbook"
start=$SECONDS
ansible-playbook playbook.yml -e "work_dir=$work" -e "device_count=$devices" \
    -e "ansible_python_interpreter=$python" "$@" >"$work/playbook.out" 2>&1 ||
    fail_with_log "$work/playbook.out" "the playbook failed"
echo "merge, render and write: $((SECONDS - start)) s (ansible-playbook, $devices devices)"

PYTHONPATH=$collection_path "$test_python" - "$work/status" "$devices" "$work/cells.json" <<'PYTHON'
import json
import os
import stat
import sys

import yaml

status_dir, devices = sys.argv[1], int(sys.argv[2])
for name in ("status.json", "unknown-devices.yml", "index.html"):
    mode = stat.S_IMODE(os.stat(os.path.join(status_dir, name)).st_mode)
    assert mode == 0o644, "%s has mode %o" % (name, mode)
with open(os.path.join(status_dir, "status.json"), encoding="utf-8") as handle:
    status = json.load(handle)
assert len(status["devices"]) == devices and len(status["unknown"]) == 30, "status.json is not the merged fleet"
assert status["unknown_dropped"] == 12, "the hosts' unknown_dropped are not summed: %r" % status["unknown_dropped"]
with open(os.path.join(status_dir, "index.html"), encoding="utf-8") as handle:
    assert '<p id="unknown-dropped">12 more unknown MACs not listed' in handle.read(), "the page hides unknown_dropped"
with open(os.path.join(status_dir, "unknown-devices.yml"), encoding="utf-8") as handle:
    unknown = yaml.safe_load(handle)
assert [entry["mac"] for entry in unknown] == [entry["mac"] for entry in status["unknown"]], unknown[:2]
assert all(set(entry) <= {"name", "mac", "vendor", "model"} for entry in unknown), unknown[:2]
# The unknown MAC whose User-Agent showed markup for a model gets none.
assert [entry["model"] for entry in unknown].count(None) == 1
print("ok: status.json and unknown-devices.yml read back (%d devices, %d unknown)" % (devices, len(unknown)))

# Every row as the Python side writes its cells, in the document's order: the
# page's script must show the same text (browser.py --cells).
from ansible_collections.sipfleet.provisioning.plugins.module_utils import _status_report as report
rows = [["s-" + row["state"]] + ["" if row[key] is None else str(row[key]) if key != "state"
                                 else report.STATE_LABELS[row[key]] for key, dummy, dummy, dummy in report.COLUMNS]
        for row in report._table_rows(status)]
with open(sys.argv[3], "w", encoding="utf-8") as handle:
    json.dump(rows, handle)
PYTHON

step "the page in headless chromium"
rm -rf "$shots"
"$test_python" browser.py "$work/status/index.html" "$work/expected.json" "$shots" --page-size "$page_size" \
    --cells "$work/cells.json"

if [ "$big_devices" -gt 0 ]; then
    step "the page for $big_devices devices in headless chromium (the figures are printed, not asserted)"
    mkdir "$work/big"
    start=$SECONDS
    "$test_python" gen_status.py "$work/big" "$big_devices"
    PYTHONPATH=$collection_path "$test_python" - "$work/big" <<'PYTHON'
import json
import os
import sys

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _status_report as report

big = sys.argv[1]
documents = []
for host in ("prov-1", "prov-2"):
    with open(os.path.join(big, "%s.json" % host), encoding="utf-8") as handle:
        documents.append(json.load(handle))
with open(os.path.join(big, "index.html"), "w", encoding="utf-8") as handle:
    handle.write(report.render_page(report.merge_status(documents, stale_days=7)))
PYTHON
    echo "generate, merge and render: $((SECONDS - start)) s ($big_devices devices)"
    "$test_python" browser.py "$work/big/index.html" "$work/big/expected.json" "$shots" --page-size "$page_size" \
        --name "status-page-$big_devices"
fi
