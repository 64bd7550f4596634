#!/usr/bin/env bash
# The devices lookup as users call it: from group_vars of an inventory
# directory, with paths relative to that directory.
set -eu
set -o pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"
make_work lookup_devices
on_exit rm -f good.out bad.out
# The actions run modules on localhost, with the interpreter of the test.
python=$(command -v python || command -v python3)

ansible-playbook playbook.yml -i inventory/ --vault-password-file vault-password \
    -e "work_dir=$work" -e "ansible_python_interpreter=$python" "$@" 2>&1 | tee good.out
# Device files are data of a variable: none may be taken for an inventory source.
if grep -q 'inventory source' good.out; then
    fail "a device file was read as an inventory source"
fi

# A row with too few cells fails the run, and the error names the file, the
# line and the columns the row lacks.
if ansible-playbook playbook.yml -i bad_inventory/ "$@" >bad.out 2>&1; then
    fail_with_log bad.out "a CSV row with too few cells did not fail the run"
fi
grep -q 'bad_fleet/scans.csv line 3: the row has 2 cells, the header has 4 columns (mac, model, extension, password)' bad.out ||
    fail_with_log bad.out "the error does not name the row of scans.csv"
if grep -q 'Lookup-Secret-401' bad.out; then
    fail "the error shows a password"
fi
echo "a short CSV row failed the run, naming bad_fleet/scans.csv line 3"

# Values YAML did not keep as text (0777, 0201, 12:30, yes, 10.5) fail the run,
# all of them listed at once, naming device and field; nothing is written.
ansible-playbook values.yml -i values_inventory/ -e "work_dir=$work" -e "ansible_python_interpreter=$python" "$@"
