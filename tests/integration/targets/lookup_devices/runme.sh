#!/usr/bin/env bash
# The devices lookup as users call it: from group_vars of an inventory
# directory, with paths relative to that directory.
set -eu
set -o pipefail

work=$(mktemp -d)
trap 'rm -rf good.out bad.out "$work"' EXIT
# The actions run modules on localhost, with the interpreter of the test.
python=$(command -v python || command -v python3)

ansible-playbook playbook.yml -i inventory/ --vault-password-file vault-password \
    -e "work_dir=$work" -e "ansible_python_interpreter=$python" "$@" 2>&1 | tee good.out
# Device files are data of a variable: none may be taken for an inventory source.
if grep -q 'inventory source' good.out; then
    echo "a device file was read as an inventory source" >&2
    exit 1
fi

# A row with too few cells fails the run, and the error names the file, the
# line and the columns the row lacks.
if ansible-playbook playbook.yml -i bad_inventory/ "$@" >bad.out 2>&1; then
    cat bad.out
    echo "a CSV row with too few cells did not fail the run" >&2
    exit 1
fi
if ! grep -q 'bad_fleet/scans.csv line 3: the row has 2 cells, the header has 4 columns (mac, model, extension, password)' bad.out; then
    cat bad.out
    echo "the error does not name the row of scans.csv" >&2
    exit 1
fi
if grep -q 'Lookup-Secret-401' bad.out; then
    echo "the error shows a password" >&2
    exit 1
fi
echo "a short CSV row failed the run, naming bad_fleet/scans.csv line 3"

# Values YAML did not keep as text (0777, 0201, 12:30, yes, 10.5) fail the run,
# all of them listed at once, naming device and field; nothing is written.
ansible-playbook values.yml -i values_inventory/ -e "work_dir=$work" -e "ansible_python_interpreter=$python" "$@"
