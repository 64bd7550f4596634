# shellcheck shell=bash
# The set-up every integration target shares. A target lists
# needs/target/setup_lab in its aliases (so ansible-test copies this
# directory beside it) and starts with:
#
#   # shellcheck source=tests/integration/targets/setup_lab/lib.sh
#   . "$(dirname "$0")/../setup_lab/lib.sh"
#
# Variables:
#   collection       the collection's root (the nearest directory above with
#                    galaxy.yml): ansible-test runs a copy of the target under
#                    the collection's tests/output/, scripts/test a copy of
#                    the whole checkout, so lab/ and examples/ are found there
#   test_python      the Python running the test (ansible-test's), for helper
#                    scripts and as the modules' interpreter where they need
#                    its packages
#   prov_ns          the provisioning server's namespace, once setup_netns ran
#
# Exit and failure:
#   fail MESSAGE...                 "FAIL: MESSAGE" and exit 1
#   fail_with_log LOG MESSAGE...    show LOG first
#   fail_later MESSAGE...           count a failure and go on (pass, check and
#   pass MESSAGE...                 exit_on_failures_later report a series of
#   check DESCRIPTION COMMAND...    checks that must all run)
#   exit_on_failures_later
#   step TEXT                       a heading in the output
#   on_exit COMMAND [ARG...]        run COMMAND when the target exits, however
#                                   it exits; the last registered runs first
#   make_work NAME                  $work: a new temporary directory, removed
#                                   at exit (kept with SIPFLEET_TEST_KEEP=1)
#   refuse_if_running NAME WHY      stop before anything when a process NAME
#                                   runs on this machine (a daemon the test
#                                   would take over through its init script)
#
# Network (lab/network.sh):
#   setup_netns PREFIX ADDRESS/LENGTH PHONE...
#                                   PREFIX-prov with ADDRESS on eth0, one
#                                   namespace PREFIX-PHONE per PHONE on the
#                                   same bridge; removed at exit with every
#                                   process in them; sets prov_ns
#   in_namespace NAMESPACE COMMAND...
#
# The lab of scripts/lab (lab/setup.sh, lab/machine_state.sh), for the
# end-to-end targets:
#   start_lab PREFIX [NAMESPACE...] refuses to run beside another in.tftpd;
#                                   $work; the machine's server configuration
#                                   saved and put back at exit; the example
#                                   repository in $work/repo (lab_prepare_repo)
#                                   and its vault password exported; the
#                                   namespaces of LAB_PHONES and NAMESPACEs
#                                   (setup_netns at LAB_SERVER_ADDRESS)
#   lab_deploy OUT [ARG...]         deploy.yml in $prov_ns with the example
#                                   inventory, the modules run by $test_python
#                                   (python3-apt, cryptography), extra
#                                   arguments from the array lab_deploy_args;
#                                   output to $work/OUT
#   lab_tftp_syslog                 before start_lab: a syslog daemon of the
#                                   test for tftpd-hpa's read requests
#                                   (lab/tftp_syslog.sh), stopped at exit;
#                                   every lab_deploy lists its file
#                                   ($lab_tftp_log) in sipfleet_tftp_logs;
#                                   call lab_tftp_syslog_attach after the
#                                   first deploy started tftpd-hpa
#   lab_phone PHONE RESULT [ARG...] PHONE's virtual phone (lab_boot), its
#                                   flash in $work/PHONE.state; its report in
#                                   $work/RESULT.json and .out
#   lab_vault_passwords             the example vault's passwords, one a line
#   lab_http_user MAC PASSWORD      a device's HTTP user: MAC-<first 4 hex
#                                   digits of SHA-256("sipfleet-http-user:"
#                                   PASSWORD)> (docs/roles/http_server.md)
#   lab_store_keys all|MAC...       the key store's keys, of every device or
#                                   of the MACs given, one a line; not a
#                                   Cisco profile's directory (gpp_b): it is
#                                   in URLs, and so in access logs, by design
#
# Ansible:
#   run_role LOG [ARG...]           ansible-playbook $role_playbook (default
#                                   playbook.yml) with the test's inventory,
#                                   in $prov_ns when set, output to LOG
#   expect_recap LOG [--host HOST] CONDITION...
#                                   the PLAY RECAP of LOG meets every
#                                   CONDITION (changed=0, changed>0,
#                                   failed=1, --changed-task NAME...;
#                                   recap.py); fails otherwise
#   recap_holds LOG [--host HOST] CONDITION...
#                                   the same as a status, for check
#   recap LOG FIELD [HOST]          one figure of LOG's PLAY RECAP
#   json_lines LOG FIELD=VALUE... [--distinct FIELD]
#                                   how many lines of a JSON-lines log (nginx's
#                                   access and scan logs) have those values,
#                                   or how many values of FIELD they have
#                                   (json_lines.py)

_setup_lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

collection=$_setup_lab_dir
while [ ! -f "$collection/galaxy.yml" ]; do
    if [ "$collection" = / ]; then
        echo "setup_lab: no galaxy.yml above $_setup_lab_dir" >&2
        exit 1
    fi
    collection=$(dirname "$collection")
done
# shellcheck disable=SC2034  # read by the targets
test_python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3)}

# shellcheck source=lab/network.sh
. "$collection/lab/network.sh"
# shellcheck source=lab/machine_state.sh
. "$collection/lab/machine_state.sh"
# shellcheck source=lab/setup.sh
. "$collection/lab/setup.sh"
# shellcheck source=lab/tftp_syslog.sh
. "$collection/lab/tftp_syslog.sh"

# --- exit and failure -----------------------------------------------------------

_exit_actions=()
on_exit() {
    _exit_actions+=("$(printf '%q ' "$@")")
}
_run_exit_actions() {
    local status=$? index
    set +e
    for ((index = ${#_exit_actions[@]} - 1; index >= 0; index--)); do
        eval "${_exit_actions[index]}"
    done
    exit "$status"
}
trap _run_exit_actions EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

fail_with_log() {
    local log=$1
    shift
    cat "$log" >&2
    fail "$@"
}

_failures_later=0
fail_later() {
    echo "FAIL: $*" >&2
    _failures_later=$((_failures_later + 1))
}

pass() {
    echo "ok: $*"
}

check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail_later "$what"; fi
}

exit_on_failures_later() {
    if [ "$_failures_later" -ne 0 ]; then
        echo "$_failures_later checks failed" >&2
        exit 1
    fi
}

step() {
    printf '\n== %s\n' "$*"
}

make_work() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    if [ "${SIPFLEET_TEST_KEEP:-}" = 1 ]; then
        echo "keeping $work (SIPFLEET_TEST_KEEP=1)" >&2
    else
        on_exit rm -rf "$work"
    fi
}

refuse_if_running() {
    local name=$1 why=$2
    if ps -eo stat=,comm= | awk -v name="$name" '$1 !~ /^Z/ && $2 == name { found = 1 } END { exit !found }'; then
        echo "a $name process is already running on this host: $why; not testing" >&2
        exit 1
    fi
}

# --- network --------------------------------------------------------------------

setup_netns() {
    local prefix=$1 server=$2
    shift 2
    on_exit lab_net_down "$prefix"
    lab_net_up --server "$server" "$prefix" "$@"
    prov_ns=$prefix-prov
}

in_namespace() {
    local namespace=$1
    shift
    ip netns exec "$namespace" "$@"
}

# --- the lab of scripts/lab -------------------------------------------------------

start_lab() {
    local prefix=$1
    shift
    # The tftpd-hpa init script finds its daemon by name: another in.tftpd
    # on this host would be restarted by the deploy, or keep the lab's from
    # starting.
    refuse_if_running in.tftpd "the deploy's tftpd-hpa init script would take it for its own"
    make_work "$prefix-lab"
    # The deploy writes the servers' configuration under /etc; the targets
    # that run later expect the machine as it was.
    lab_machine_save "$work"
    on_exit lab_machine_restore "$work"
    lab_prepare_repo "$collection" "$work"
    export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-password" ANSIBLE_NOCOLOR=1
    setup_netns "$prefix" "$LAB_SERVER_ADDRESS/$LAB_PREFIX_LENGTH" "${LAB_PHONES[@]}" "$@"
}

lab_deploy_args=()
lab_deploy() {
    local out=$1
    shift
    in_namespace "$prov_ns" ansible-playbook -i "$work/repo/inventory" sipfleet.provisioning.deploy \
        -e "ansible_python_interpreter=$test_python" "${lab_deploy_args[@]}" "$@" >"$work/$out" 2>&1
}

lab_tftp_log=""
lab_tftp_syslog() {
    local dir
    # The socket's path must fit in a sockaddr_un (108 bytes): a short
    # directory of its own. Registered before start_lab, its rsyslogd stops
    # after the lab's namespaces went.
    dir=$(mktemp -d /tmp/sipfleet-syslog.XXXXXX)
    on_exit rm -rf "$dir"
    on_exit tftp_syslog_stop "$dir"
    tftp_syslog_start "$dir"
    lab_tftp_log=$dir/tftpd.log
    lab_deploy_args+=(-e "{\"sipfleet_tftp_logs\": [\"$lab_tftp_log\"]}")
}
lab_tftp_syslog_attach() {
    tftp_syslog_restart_tftpd "$prov_ns" "$(dirname "$lab_tftp_log")"
}

lab_phone() {
    local phone=$1 result=$2
    shift 2
    lab_boot "$collection" "${prov_ns%-prov}" "$phone" "$work" --state "$work/$phone.state" \
        --json "$work/$result.json" "$@" >"$work/$result.out" 2>&1
}

lab_vault_passwords() {
    ansible-vault view "$work/repo/inventory/group_vars/all/vault.yml" |
        sed -n 's/^ *"*[0-9a-z_]*"*: *\([A-Za-z0-9-]\{8,\}\)$/\1/p'
}

lab_http_user() {
    printf '%s-%s' "$1" "$(printf 'sipfleet-http-user:%s' "$2" | sha256sum | cut -c1-4)"
}

lab_store_keys() {
    ansible-vault view "$work/repo/sipfleet_keys.vault" | "$test_python" -c '
import json, sys
macs = set(sys.argv[1:])
for mac, entry in json.load(sys.stdin)["devices"].items():
    if macs == {"all"} or mac.replace(":", "").lower() in macs:
        for name, value in entry.items():
            if name != "gpp_b" and isinstance(value, str) and len(value) >= 32:
                print(value)' "$@"
}

# --- ansible --------------------------------------------------------------------

run_role() {
    local log=$1 command
    shift
    command=(ansible-playbook -i "$INVENTORY_PATH" -c local -e ansible_python_interpreter=/usr/bin/python3
             "$@" "${role_playbook:-playbook.yml}")
    if [ -n "${prov_ns:-}" ]; then
        in_namespace "$prov_ns" "${command[@]}" >"$log" 2>&1
    else
        "${command[@]}" >"$log" 2>&1
    fi
}

recap_holds() {
    "$test_python" "$_setup_lab_dir/recap.py" "$@"
}

expect_recap() {
    recap_holds "$@" || fail "the run in $1 is not as expected (above)"
}

recap() {
    "$test_python" "$_setup_lab_dir/recap.py" --print "$2" --host "${3:-testhost}" "$1"
}

json_lines() {
    "$test_python" "$_setup_lab_dir/json_lines.py" "$@"
}
