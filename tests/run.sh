#!/bin/sh
# Runs every test suite and ends with one line "N passed, M failed" for the
# whole run (", K skipped" added when checks were skipped); exits non-zero
# when anything failed.
# Usage: tests/run.sh BUILD_DIR
set -u
build=${1:-build}
passed=0
failed=0
skipped=0

# Criterion prints "[====] Synthesis: Tested: T | Passing: P | Failing: F |
# Crashing: C" (crashes are among the failures); a binary that dies before that line counts as one failure.
run_criterion() {
    out=$(mktemp)
    "$@" --jobs 2 >"$out" 2>&1
    rc=$?
    cat "$out"
    line=$(grep 'Synthesis:' "$out" | tail -n 1)
    rm -f "$out"
    if [ -z "$line" ]; then
        echo "error: $1 exited $rc without a summary" >&2
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    # Failing already counts the crashes.
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
}

# A sanitized build (make SANITIZE=...) writes its reports to files here,
# whichever process they come from and wherever its stderr went (most
# suites keep their programs' stderr in files they then remove): each
# report fails the suite it came from.
logs=$build/test-logs
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)       # absolute: the programs run elsewhere
san=$logs/sanitizer
rm -rf "$san"
mkdir -p "$san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$san/ubsan"

# sanitizer_reports WHAT: counts a failure, and shows them, when reports
# came since the last call; then moves them aside under WHAT's name.
sanitizer_reports() {
    set -- "$1" "$san"/*san.*
    [ -e "$2" ] || return 0
    echo "FAIL $1: a sanitizer reported errors:"
    shift
    for r in "$@"; do
        head -n 40 "$r"
        mv "$r" "$logs/$(basename "$r").reported"
    done
    failed=$((failed + 1))
}

echo "== unit tests (Criterion)"
run_criterion "$build/tests/unit_tests"
sanitizer_reports "unit tests"

# Job-level suites: each executable tests/job/*.sh prints one "PASS name" or
# "FAIL name" line per check, or "SKIP name: why" for one that cannot run
# here (it needs root, say): neither passed nor failed, but counted.
#
# What the programs a suite starts write on stderr (warnings the checks
# expect, for the most part) goes to $build/test-logs/SUITE.stderr, shown
# here only when the suite failed a check or a sanitizer reported an error
# (which counts as a failure of its own).
for suite in tests/job/*.sh; do
    [ -x "$suite" ] || continue
    echo "== $suite"
    out=$(mktemp)
    log=$logs/$(basename "$suite" .sh).stderr
    BUILD="$build" "$suite" 2>"$log" | tee "$out"
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    rm -f "$out"
    failed_before=$failed
    sanitizer_reports "$suite"
    f=$((f + failed - failed_before))
    failed=$failed_before
    if [ "$f" -gt 0 ] && [ -s "$log" ]; then
        echo "-- what the suite's programs wrote on stderr ($log):"
        tail -n 200 "$log"
        echo "--"
    fi
    skipped=$((skipped + s))
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        f=1
        echo "FAIL $suite ran no check"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
