#!/usr/bin/env bash
# Every role's first task: on a host whose facts say another OS family
# (Rocky Linux, RedHat) each role and entry point stops there, naming the
# host's OS and the supported family, and writes nothing; on this Debian
# machine each gets past it, with or without facts gathered, in check mode
# and not.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_lab/lib.sh
. "$(dirname "$0")/../setup_lab/lib.sh"

make_work role-supported-os
# Read by settings.yml and supported.yml.
# shellcheck disable=SC2154  # work: set by make_work (setup_lab/lib.sh)
SUPPORTED_OS_SENTINEL=$work/sentinel
SUPPORTED_OS_WRITTEN=$work/written
SUPPORTED_OS_GROUP=$(id -gn)
export SUPPORTED_OS_SENTINEL SUPPORTED_OS_WRITTEN SUPPORTED_OS_GROUP
mkdir "$SUPPORTED_OS_SENTINEL" "$SUPPORTED_OS_WRITTEN"
cd "$(dirname "$0")"

sentinel_is_empty() {
    local left
    left=$(find "$SUPPORTED_OS_SENTINEL" -mindepth 1)
    [ -z "$left" ] || { echo "written under the sentinel directory: $left" >&2; return 1; }
}

step "another OS family: every role stops at its first task"
role_playbook=unsupported.yml run_role "$work/unsupported.log" \
    || fail_with_log "$work/unsupported.log" "a role did not stop at its OS check (above)"
expect_recap "$work/unsupported.log" failed=0
grep -q "sipfleet.provisioning.firmware supports only hosts of the OS family Debian.*Going on untested, as allowed" \
    "$work/unsupported.log" || fail_with_log "$work/unsupported.log" "no warning from the allowed firmware role"
check "nothing written" sentinel_is_empty

for mode in check real; do
    step "this Debian machine, $mode run: every role gets past its first task"
    args=()
    [ "$mode" = real ] || args=(--check)
    role_playbook=supported.yml run_role "$work/supported-$mode.log" "${args[@]}" \
        || fail_with_log "$work/supported-$mode.log" "a role did not get past its OS check (above)"
    expect_recap "$work/supported-$mode.log" failed=0
    check "nothing written under the sentinel ($mode run)" sentinel_is_empty
done
exit_on_failures_later
