#!/usr/bin/env bash
# The suites' own contract: a suite run alone exits non-zero when a check
# failed or a check's name is unknown, as the lab's test-mr.sh does, so that
# a user (or a script) running one suite can trust its status.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite harness
HERE=$(cd "$(dirname "$0")" && pwd)

# A planted suite using lib.sh: $1 is what its one check does.
planted() {
    cat > "$WORK/planted.sh" <<PLANTED
set -u
. "$HERE/lib.sh"
begin_suite planted
$1
PLANTED
    BUILD="$B" bash "$WORK/planted.sh" > "$WORK/planted.out" 2>&1
}

check_unknown_name() {
    local out rc
    out=$(BUILD="$B" "$HERE/test-mr.sh" no_such_test 2>&1); rc=$?
    if [ $rc -eq 0 ]; then fail unknown_name "test-mr.sh no_such_test exited 0"
    elif ! echo "$out" | grep -q '^FAIL no_such_test: no such check'; then
        fail unknown_name "no FAIL line naming it: $out"
    else pass unknown_name; fi
}

check_fail_in_subshell() {
    local rc
    planted '( fail inner "planted" ); pass outer'; rc=$?
    if [ $rc -ne 1 ]; then
        fail fail_in_subshell "a suite with a FAIL exited $rc, not 1"
    else pass fail_in_subshell; fi
}

check_all_pass() {
    local rc
    planted 'pass one; pass two'; rc=$?
    if [ $rc -ne 0 ]; then
        fail all_pass "a suite whose checks passed exited $rc: $(cat "$WORK/planted.out")"
    else pass all_pass; fi
}

run_checks "unknown_name fail_in_subshell all_pass" "$@"
