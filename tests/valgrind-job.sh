#!/bin/sh
# A complete word-count job with the coordinator and both workers under
# valgrind: every process must finish its job with no memory error and no
# leak (definite, indirect or possible). Prints one PASS or FAIL line per
# process; exits non-zero on any failure. Run by `make check`.
# Usage: tests/valgrind-job.sh [BUILD_DIR]
set -u
B=$(cd "${1:-build}" && pwd)
WORK=$(mktemp -d /tmp/mr-valgrind-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

if ! command -v valgrind >/dev/null 2>&1; then
    echo "FAIL valgrind: not installed (apt-get install valgrind)"
    exit 1
fi
"$B/mrgen" --size 300000 a.txt b.txt c.txt d.txt || exit 1
"$B/mrsequential" "$B/apps/wc.so" ./*.txt && sort mr-out-0 > ref &&
    rm mr-out-0

VG="valgrind --quiet --error-exitcode=99 --leak-check=full
    --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible"
S=unix:$WORK/sock
# shellcheck disable=SC2086
timeout 300 $VG --log-file=coord.vg "$B/mrcoordinator" --addr "$S" \
    ./*.txt 2>coord.err &
cpid=$!
# shellcheck disable=SC2086
timeout 300 $VG --log-file=w1.vg "$B/mrworker" --addr "$S" \
    --connect-timeout 60 "$B/apps/wc.so" 2>w1.err &
w1=$!
# shellcheck disable=SC2086
timeout 300 $VG --log-file=w2.vg "$B/mrworker" --addr "$S" \
    --connect-timeout 60 "$B/apps/wc.so" 2>w2.err &
w2=$!

failed=0
check() {
    local name=$1 pid=$2 rc
    wait "$pid"
    rc=$?
    if [ "$rc" -eq 0 ] && [ ! -s "$name.vg" ]; then
        echo "PASS valgrind_$name"
    else
        echo "FAIL valgrind_$name: exit $rc; $(head -c 2000 "$name.vg")" \
             "$(head -c 300 "$name.err")"
        failed=1
    fi
}
check coord "$cpid"
check w1 "$w1"
check w2 "$w2"
if sort mr-out-* | grep . | cmp -s - ref; then
    echo "PASS valgrind_job_output"
else
    echo "FAIL valgrind_job_output: differs from mrsequential"
    failed=1
fi
exit $failed
