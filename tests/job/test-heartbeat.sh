#!/usr/bin/env bash
# Heartbeats (issue 11): a task's timeout means its worker has been silent,
# not slow. A map that takes longer than --task-timeout runs once, on a
# worker that beats, and is never handed out again; a worker stopped
# (SIGSTOP) in its map loses it after four missed beats, long before a
# 30-second timeout, to a worker that finishes the job. Both jobs give
# mrsequential's output. Prints one "PASS name" or "FAIL name: why" line
# per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-hbtest
FAULTY=$B/tests/apps/faulty.so
need "$FAULTY" "$B/mrsequential"
make_inputs --size 10000 a.txt
mkdir -p "$WORK/seq" && (cd "$WORK/seq" &&
    "$B/mrsequential" "$FAULTY" "$IN/a.txt" 2>/dev/null &&
    sort mr-out-0 > ../ref) || { fail setup "mrsequential failed"; exit 1; }

# job_problem DIR: what is wrong with the job that ran in DIR (its output
# is not mrsequential's, or it has no marker), on stdout; nothing if it is
# right.
job_problem() {
    local dir=$1
    if [ ! -e "$dir/mr-success" ]; then echo "no success marker"
    elif ! sort "$dir"/mr-out-* | grep . | cmp -s - "$WORK/ref"; then
        echo "output differs from mrsequential"
    fi
}

# A map of 3 s under --task-timeout 2, with one worker: its heartbeats
# keep the task its own, so the job runs it once and nothing is lost.
check_slow_map_is_not_reassigned() {
    local name=slow_map_is_not_reassigned d=$WORK/slow log=$WORK/slow.log
    local rc wrc problem
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$log" --addr "unix:$WORK/slow.s" \
        --task-timeout 2 "$IN/a.txt" ||
        { fail $name "no coordinator"; return; }
    FAULTY_MAP_MS=3000 $TIMEOUT "$B/mrworker" --addr "unix:$WORK/slow.s" \
        "$FAULTY" 2>"$WORK/slow-worker.err"
    wrc=$?
    wait "$TPID"; rc=$?
    problem=$(job_problem "$d")
    if [ $rc -ne 0 ] || [ $wrc -ne 0 ]; then
        fail $name "coordinator exit $rc, worker exit $wrc:" \
            "$(tail -n 1 "$WORK/slow-worker.err" "$log")"
    elif ! grep -q "map task 0 attempt 1 -> connection" "$log"; then
        fail $name "the map was never handed out: $(tail -n 3 "$log")"
    elif grep -q "missed its deadline\|reassigning\|attempt 2 ->" "$log"; then
        fail $name "the slow map was taken from its worker:" \
            "$(grep -m1 "missed its deadline\|reassigning\|attempt 2 ->" \
               "$log")"
    elif ! grep -q '"lost_attempts": 0' "$d/mr-success"; then
        fail $name "the marker counts lost attempts:" \
            "$(grep lost_attempts "$d/mr-success")"
    elif [ -n "$problem" ]; then
        fail $name "$problem"
    else
        pass $name
    fi
}

# A worker stopped for good as it takes the only map (a map that would
# take a minute, so that it is surely in it), under --task-timeout 30,
# with a second worker waiting: the coordinator hears no beat for four
# beats (4 s) and hands the map to the other, which finishes the job well
# before the timeout.
check_stopped_worker_loses_its_task() {
    local name=stopped_worker_loses_its_task d=$WORK/stopped
    local log=$WORK/stopped.log rc wrc pid slow start took problem
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$log" --addr "unix:$WORK/stopped.s" \
        --task-timeout 30 "$IN/a.txt" ||
        { fail $name "no coordinator"; return; }
    local ct=$TPID
    FAULTY_MAP_MS=60000 $TIMEOUT "$B/mrworker" --addr "unix:$WORK/stopped.s" \
        "$FAULTY" 2>/dev/null &
    slow=$!
    if ! wait_for 20 logged "$log" "map task 0 attempt 1 -> connection"; then
        fail $name "the map was never handed out: $(tail -n 3 "$log")"
        return
    fi
    pid=$(grep -m1 -o "attempt 1 -> connection .* (worker pid [0-9]*)" \
          "$log" | sed 's/.*worker pid //' | tr -dc 0-9)
    kill -STOP "$pid"
    start=$(date +%s%N)
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/stopped.s" "$FAULTY" \
        2>"$WORK/stopped-worker.err"
    wrc=$?
    wait "$ct"; rc=$?
    took=$((($(date +%s%N) - start) / 1000000))
    kill -KILL "$pid"           # stopped or not
    wait "$slow" 2>/dev/null
    problem=$(job_problem "$d")
    if [ $rc -ne 0 ] || [ $wrc -ne 0 ]; then
        fail $name "coordinator exit $rc, second worker exit $wrc:" \
            "$(tail -n 1 "$WORK/stopped-worker.err" "$log")"
    elif ! grep -q "map task 0 (attempt 1) missed its deadline: its worker (pid $pid) was silent" "$log"; then
        fail $name "the coordinator never said the stopped worker's map" \
            "missed its deadline: $(grep -m1 warn "$log")"
    elif [ "$took" -ge 20000 ]; then
        fail $name "the job took $took ms after the stop: the silence was" \
            "noticed by the 30 s timeout, not by the missing heartbeats"
    elif [ -n "$problem" ]; then
        fail $name "$problem"
    else
        pass $name
    fi
}

check_slow_map_is_not_reassigned
check_stopped_worker_loses_its_task
