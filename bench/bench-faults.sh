#!/usr/bin/env bash
# make bench-faults: what faults cost a job. The same word count, run
# fault-free and with one fault each, every faulty run timed against the
# fault-free run of its own round; prints a table and ends with one BENCH
# line. A benchmark, not a test: it fails only when a job fails or its
# output differs from the fault-free one, never on speed.
#
# The job: make bench's corpus (bench/corpus.sh: ~195 MB in 16 files), the
# word count cut into 8 MB map tasks (--split-size 8M, ~24 of them), 10
# reduce tasks, 3 workers on a Unix socket, the coordinator's --task-timeout
# at its default (10 s). The runs of a round:
#   clean     no fault;
#   straggler one worker is SIGSTOPped for good right after it takes its
#             first task (the coordinator's debug line handing it out):
#             its task is run again elsewhere, as a backup once the others
#             are done, or when its heartbeats stop;
#   slow      one worker gets a tenth of a CPU from its start: a cgroup's
#             cpu.max of 10 ms per 100 ms where cgroup v2 can be written
#             (root), else SIGSTOP/SIGCONT, 90 ms stopped in every 100;
#   restart   the coordinator is SIGKILLed halfway through the clean run's
#             time and started again at once with the same command; the
#             workers wait for it and join it again. Its time counts from
#             the restart.
# Each run's time ends when the coordinator says the outputs are committed
# (its stamped log line), before it drains. Figures, the median over ROUNDS
# rounds (3, or $MR_BENCH_ROUNDS):
#   straggler_ratio, slow_ratio  the run's wall time over the clean run's
#             (goal: <= 1.2);
#   restart_ratio  the restarted coordinator's time to the end over the
#             clean run's (goal: <= 0.6 after a kill halfway);
#   reused_tasks_pct  of the task outputs present in the job's private
#             directory at the kill, the share the restarted coordinator
#             used rather than ran again: kept from its journal, or taken
#             from a worker's late report (goal: 100).
set -eu

B=$(cd "${BUILD:-build}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
DIR=$B/bench/faults
ROUNDS=${MR_BENCH_ROUNDS:-3}
APP=$B/apps/wc.so

. "$TOP/tests/job/lib.sh"       # wait_for, logged
. "$TOP/bench/corpus.sh"

bench_corpus
mkdir -p "$DIR"
CG=""
trap 'set +e; end_jobs; [ -z "$CG" ] || rmdir "$CG" 2>/dev/null' EXIT

# A cgroup v2 directory with the cpu controller, or nothing.
if [ "$(id -u)" = 0 ] && [ -w /sys/fs/cgroup/cgroup.subtree_control ] &&
   grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    echo +cpu > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    CG=/sys/fs/cgroup/mr-bench-faults-$$
    mkdir "$CG" 2>/dev/null && echo "10000 100000" > "$CG/cpu.max" ||
        CG=""
fi

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# stamp: copies its input, each line prefixed with the time it was read
# (seconds since the epoch, microseconds).
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# coordinator RUN LOG: starts the job's coordinator in the background,
# its pid in CPID, its log lines stamped in LOG.
coordinator() {
    MR_LOG=debug "$B/mrcoordinator" --addr "unix:$1/sock" --output "$1/out" \
        --reduce 10 --split-size 8M "$CORPUS"/in-*.txt 2> >(stamp >> "$2") &
    CPID=$!
}

# committed LOG: the time the coordinator said the outputs were committed.
committed() { awk '/ done: mr-out-0 / { t = $1 } END { print t }' "$1"; }

# workers RUN: starts 3 workers, their pids in WPIDS.
workers() {
    local w
    WPIDS=()
    for w in 1 2 3; do
        "$B/mrworker" --addr "unix:$1/sock" "$APP" 2>"$1/w$w.log" &
        WPIDS+=($!)
    done
}

# handed_to LOG PID: the coordinator has handed a task to worker PID.
handed_to() { logged "$1" "-> connection .* (worker pid $2)"; }

# duty_cycle PID: stops PID 90 ms in every 100 until it is gone.
duty_cycle() {
    while kill -STOP "$1" 2>/dev/null; do
        sleep 0.09
        kill -CONT "$1" 2>/dev/null || break
        sleep 0.01
    done
}

# finish RUN NAME LOG: waits for the job, checks its output against the
# clean run's, and sets T_END to when LOG says its outputs were committed
# (a stopped worker may keep the coordinator draining a little longer).
finish() {
    local rc=0
    wait "$CPID" || rc=$?
    kill -CONT "${WPIDS[@]}" 2>/dev/null || true
    kill "${WPIDS[@]}" 2>/dev/null || true
    wait "${WPIDS[@]}" 2>/dev/null || true
    if [ $rc -ne 0 ] || ! wait_for 10 logged "$3" " done: mr-out-0 "; then
        echo "bench-faults: the $2 job failed (exit $rc); see $1" >&2
        exit 1
    fi
    T_END=$(committed "$3")
    sort "$1"/out/mr-out-* > "$1.sorted"
    if [ "$2" != clean ] && ! cmp -s "$1.sorted" "$DIR/clean.sorted"; then
        echo "bench-faults: the $2 job's output differs from the clean" \
             "one's; see $1" >&2
        exit 1
    fi
}

fresh() { rm -rf "$1" "$1.log" "$1.restarted.log" && mkdir -p "$1/out"; }

run_clean() {
    local run=$DIR/clean t0
    fresh "$run"
    t0=$(now)
    coordinator "$run" "$run.log"
    workers "$run"
    finish "$run" clean "$run.log"
    CLEAN=$(elapsed "$t0" "$T_END")
}

run_straggler() {
    local run=$DIR/straggler t0
    fresh "$run"
    t0=$(now)
    coordinator "$run" "$run.log"
    workers "$run"
    wait_for 60 handed_to "$run.log" "${WPIDS[2]}"
    kill -STOP "${WPIDS[2]}"
    finish "$run" straggler "$run.log"
    STRAGGLER=$(elapsed "$t0" "$T_END")
}

run_slow() {
    local run=$DIR/slow t0 cycler=""
    fresh "$run"
    t0=$(now)
    coordinator "$run" "$run.log"
    workers "$run"
    if [ -n "$CG" ]; then
        echo "${WPIDS[2]}" > "$CG/cgroup.procs"
    else
        duty_cycle "${WPIDS[2]}" & cycler=$!
    fi
    finish "$run" slow "$run.log"
    [ -z "$cycler" ] || wait "$cycler" 2>/dev/null || true
    SLOW=$(elapsed "$t0" "$T_END")
}

# reused LOG: the tasks the restarted coordinator kept or took late.
reused() {
    local kept late
    kept=$(sed -n 's/.*resumed from its journal.*: \([0-9]*\) of [0-9]* map and \([0-9]*\) of .*/\1 \2/p' "$1" |
           awk '{ n += $1 + $2 } END { print n + 0 }')
    late=$(grep -c "handed out before the coordinator restarted" "$1" || true)
    echo $((kept + late))
}

run_restart() {
    local run=$DIR/restart t1 before
    fresh "$run"
    coordinator "$run" "$run.log"
    workers "$run"
    sleep "$(awk -v c="$CLEAN" 'BEGIN { printf "%.3f", c / 2 }')"
    kill -KILL "$CPID"
    wait "$CPID" 2>/dev/null || true
    # shellcheck disable=SC2012
    before=$(ls "$run"/out/.mr-*/ 2>/dev/null |
             grep -Ec '^mr-(im|staged)-[0-9]+-[0-9]+$' || true)
    t1=$(now)
    coordinator "$run" "$run.restarted.log"
    finish "$run" restart "$run.restarted.log"
    RESTART=$(elapsed "$t1" "$T_END")
    REUSED=$(reused "$run.restarted.log")
    BEFORE=$before
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench-faults: $(cat "$CORPUS/KIND") corpus of ${MB} MB, 3 workers," \
     "$ROUNDS rounds; slow worker by" \
     "$([ -n "$CG" ] && echo "a cgroup (cpu.max 10%)" || echo "SIGSTOP/SIGCONT")"
printf '%-6s %8s %10s %8s %10s %14s\n' round clean_s straggler_s slow_s \
    restart_s reused
sr=() lr=() rr=() up=()
for ((round = 1; round <= ROUNDS; round++)); do
    run_clean
    run_straggler
    run_slow
    run_restart
    printf '%-6s %8s %10s %8s %10s %8s of %s\n' "$round" "$CLEAN" \
        "$STRAGGLER" "$SLOW" "$RESTART" "$REUSED" "$BEFORE"
    sr+=("$(ratio "$STRAGGLER" "$CLEAN")")
    lr+=("$(ratio "$SLOW" "$CLEAN")")
    rr+=("$(ratio "$RESTART" "$CLEAN")")
    up+=("$(awk -v r="$REUSED" -v b="$BEFORE" \
            'BEGIN { printf "%.0f", b ? 100 * (r > b ? b : r) / b : 100 }')")
done
echo "BENCH straggler_ratio=$(median "${sr[@]}") slow_ratio=$(median "${lr[@]}")" \
     "restart_ratio=$(median "${rr[@]}") reused_tasks_pct=$(median "${up[@]}")"
