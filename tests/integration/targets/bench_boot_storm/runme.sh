#!/usr/bin/env bash
# The boot-storm benchmark (bench/boot_storm.py) at a size CI can afford: 300
# phones of all four vendor families, their files fetched over HTTP (wrk and
# keep-alive clients) and TFTP (tftp-hpa and atftp) while deploy.yml rewrites
# every one of them. Fails on any body that is not the complete old or new
# file, any error, any 404 of a served path, or a load that did not see both
# versions. bench/README.md has the full-size figures.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
make_work bench_boot_storm

# The modules run with this test's Python (cryptography, python3-apt);
# ansible-playbook is the one on PATH.
status=0
"$test_python" "$collection/bench/boot_storm.py" --devices 300 --reference-duration 3 --warmup 2 --settle 3 \
    --module-python "$test_python" --json "$work/report.json" || status=$?

# The script checks everything and exits 1 on a problem; check its figures
# here too, so the test does not rest on its exit status alone.
"$test_python" - "$work/report.json" "$status" <<'PYTHON'
import json
import sys

path, status = sys.argv[1], int(sys.argv[2])
try:
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
except (OSError, ValueError) as exc:
    sys.exit("no report from bench/boot_storm.py (exit %d): %s" % (status, exc))
failures = list(report["problems"])
if report["files"] < 600 or report["files_changed"] < report["files"] - 2:
    failures.append("%d files served, %d changed: the fleet-wide change did not rewrite every profile"
                    % (report["files"], report["files_changed"]))
for pool in ("http", "tftp"):
    figures = report["storm"][pool]
    if figures["mismatches"] or figures["partial"] or figures["errors"]:
        failures.append("storm %s: %d mismatches (%d partial), %d errors"
                        % (pool, figures["mismatches"], figures["partial"], figures["errors"]))
    if figures["by_version"]["A"] == 0 or figures["by_version"]["B"] == 0:
        failures.append("storm %s: did not fetch both versions" % pool)
if report["validated"]["checked"] < report["files"] + report["files_changed"]:
    failures.append("only %d of the files of both versions were checked" % report["validated"]["checked"])
if status != 0 and not failures:
    failures.append("bench/boot_storm.py exited %d" % status)
if failures:
    sys.exit("FAIL:\n  " + "\n  ".join(failures))
print("boot storm: every body complete (version A or B), no error, every file valid")
PYTHON
