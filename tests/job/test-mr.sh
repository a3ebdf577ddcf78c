#!/usr/bin/env bash
# The lab's test-mr.sh, ported: real coordinator and worker processes over a
# real Unix socket, on generated inputs named like the lab's texts. Prints
# one "PASS name" or "FAIL name: why" line per check.
#
# Usage: BUILD=build tests/job/test-mr.sh [TEST...]
#   TEST is any of: wc wc_split indexer map_parallelism reduce_parallelism job_count
#   early_exit crash (default: all).
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-jobtest
APPS=$B/apps
# Every process gets a deadline, as in the lab: a hang fails, never blocks.
TIMEOUT="timeout -k 2s 180s"

NAMES="pg-being_ernest.txt pg-dorian_gray.txt pg-frankenstein.txt
pg-grimm.txt pg-huckleberry_finn.txt pg-metamorphosis.txt
pg-sherlock_holmes.txt pg-tom_sawyer.txt"
make_inputs --size 300000 $NAMES

# Starts a fresh job directory for a test; sets ADDR and SOCK.
enter() {
    mkdir "$WORK/$1" && cd "$WORK/$1" || exit 1
    SOCK=$WORK/$1.sock
    ADDR=unix:$SOCK
}

coordinator() { $TIMEOUT "$B/mrcoordinator" --addr "$ADDR" "$@" ../input/pg*txt; }
worker() { $TIMEOUT "$B/mrworker" --addr "$ADDR" "$@"; }

# The reference: mrsequential's output, sorted.
reference() {
    "$B/mrsequential" "$APPS/$1.so" ../input/pg*txt || return 1
    sort mr-out-0 > "$2"
    rm -f mr-out*
}

check_wc() {
    enter wc
    reference wc mr-correct-wc.txt || { fail wc "mrsequential failed"; return; }
    coordinator & local pid=$!
    worker "$APPS/wc.so" & worker "$APPS/wc.so" & worker "$APPS/wc.so" &
    wait $pid; local rc=$?
    wait
    sort mr-out* | grep . > mr-wc-all
    if [ $rc -ne 0 ]; then fail wc "coordinator exited $rc"
    elif [ "$(ls mr-out-* | wc -l)" -ne 10 ]; then fail wc "not 10 outputs"
    elif ! cmp -s mr-wc-all mr-correct-wc.txt; then
        fail wc "output differs from mrsequential"
    elif ! grep -q '"reduce_tasks": 10,' mr-success 2>/dev/null; then
        fail wc "no success marker"
    elif ls -A | grep -qv -e '^mr-out-[0-9]$' -e '^mr-correct' -e '^mr-wc-all' \
            -e '^mr-success$'; then
        fail wc "left files behind: $(ls -A | grep -v mr-out | tr '\n' ' ')"
    elif [ -e "$SOCK" ]; then fail wc "socket not removed"
    else pass wc; fi
}

# Files larger than the split size become several map tasks each.
check_wc_split() {
    enter wc_split
    reference wc mr-correct-wc.txt || { fail wc_split "mrsequential failed"; return; }
    coordinator --split-size 20K & local pid=$!
    worker "$APPS/wc.so" & worker "$APPS/wc.so" & worker "$APPS/wc.so" &
    wait $pid; local rc=$?
    wait
    sort mr-out* | grep . > mr-wc-all
    if [ $rc -ne 0 ]; then fail wc_split "coordinator exited $rc"
    elif cmp -s mr-wc-all mr-correct-wc.txt; then pass wc_split
    else fail wc_split "output differs from mrsequential"; fi
}

check_indexer() {
    enter indexer
    reference indexer mr-correct-indexer.txt ||
        { fail indexer "mrsequential failed"; return; }
    coordinator & local pid=$!
    worker "$APPS/indexer.so" & worker "$APPS/indexer.so" &
    wait $pid
    wait
    sort mr-out* | grep . > mr-indexer-all
    if cmp -s mr-indexer-all mr-correct-indexer.txt; then pass indexer
    else fail indexer "output differs from mrsequential"; fi
}

check_map_parallelism() {
    enter map_parallelism
    coordinator & local pid=$!
    worker "$APPS/mtiming.so" & worker "$APPS/mtiming.so" &
    wait $pid
    wait
    local nt
    nt=$(cat mr-out* | grep -c '^times-')
    if [ "$nt" -ne 2 ]; then
        fail map_parallelism "saw $nt workers rather than 2"
    elif ! cat mr-out* | grep -q '^parallel.* 2'; then
        fail map_parallelism "map workers did not run in parallel"
    else pass map_parallelism; fi
}

check_reduce_parallelism() {
    enter reduce_parallelism
    coordinator & local pid=$!
    worker "$APPS/rtiming.so" & worker "$APPS/rtiming.so" &
    wait $pid
    wait
    local nt
    nt=$(cat mr-out* | grep -c '^[a-z] 2')
    if [ "$nt" -lt 2 ]; then
        fail reduce_parallelism "too few parallel reduces ($nt)"
    else pass reduce_parallelism; fi
}

check_job_count() {
    enter job_count
    coordinator & local pid=$!
    worker "$APPS/jobcount.so" & worker "$APPS/jobcount.so" &
    worker "$APPS/jobcount.so" & worker "$APPS/jobcount.so" &
    wait $pid
    wait
    local nt
    nt=$(cat mr-out* | awk '{print $2}')
    if [ "$nt" = 8 ]; then pass job_count
    else fail job_count "map jobs ran '$nt' times rather than 8"; fi
}

check_early_exit() {
    enter early_exit
    local pids=()
    coordinator & pids+=($!)
    worker "$APPS/early_exit.so" & pids+=($!)
    worker "$APPS/early_exit.so" & pids+=($!)
    worker "$APPS/early_exit.so" & pids+=($!)
    # The moment any of these exits, the output must already be final. (A
    # bare `wait -n` could return for a process of an earlier test.)
    wait -n "${pids[@]}"
    sort mr-out* 2>/dev/null | grep . > mr-wc-all-initial
    wait
    sort mr-out* | grep . > mr-wc-all-final
    if [ ! -s mr-wc-all-final ]; then fail early_exit "no output"
    elif cmp -s mr-wc-all-final mr-wc-all-initial; then pass early_exit
    else fail early_exit "output changed after the first process exited"; fi
}

# Workers are restarted in loops while crash.so kills and delays them.
crash_loop() {
    while [ ! -f mr-done ]; do
        worker --connect-timeout 2 "$APPS/crash.so" 2>/dev/null
    done
}

check_crash() {
    enter crash
    reference nocrash mr-correct-crash.txt ||
        { fail crash "mrsequential failed"; return; }
    rm -f mr-done
    coordinator 2>/dev/null & local pid=$!
    crash_loop & crash_loop & crash_loop &
    wait $pid; local rc=$?
    touch mr-done
    wait
    sort mr-out* | grep . > mr-crash-all
    if [ $rc -ne 0 ]; then fail crash "coordinator exited $rc"
    elif cmp -s mr-crash-all mr-correct-crash.txt; then pass crash
    else fail crash "output differs from the nocrash reference"; fi
}

run_checks "wc wc_split indexer map_parallelism reduce_parallelism job_count
early_exit crash" "$@"
