#!/usr/bin/env bash
# Stragglers (issue 11): a worker far slower than the others, as on a
# machine slowed to a crawl, does not hold the job up. It takes its task
# alone, before the others join; once they have nothing else to do, the
# coordinator hands a backup attempt of that task to one of them, says so
# in one line, the backup wins, and the job commits mrsequential's output
# (mr-success counting the backup that won) while the straggler is still
# at work, with a task timeout (60 s) far from passing. Once for a map
# (the faulty app's maps sleep FAULTY_MAP_MS in the straggler only), once
# for a reduce (slowreduce's sleep MR_TEST_REDUCE_DELAY_US per key there).
# Prints one "PASS name" or "FAIL name: why" per check.
#
# Usage: BUILD=build tests/job/test-stragglers.sh
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-stragglers
FAULTY=$B/tests/apps/faulty.so
SLOWREDUCE=$B/tests/apps/slowreduce.so
need "$FAULTY" "$SLOWREDUCE"
make_inputs --size 20000 a.txt b.txt c.txt d.txt e.txt f.txt g.txt h.txt

# mrsequential's outputs, sorted, in $WORK/ref-NAME (NAME: the module's).
for app in "$FAULTY" "$SLOWREDUCE"; do
    reference "$app" "$WORK/ref-$(basename "$app" .so)" "$IN"/*.txt ||
        { fail setup "mrsequential $app failed"; exit 1; }
done

# worker DIR LOG APP [VAR=VALUE...]: an mrworker in DIR, in the background,
# with those variables in its environment, its stderr in LOG.
worker() {
    local dir=$1 log=$2 app=$3
    shift 3
    # shellcheck disable=SC2086
    (cd "$dir" && exec env "$@" $TIMEOUT "$B/mrworker" --addr "unix:$dir.s" \
        "$app") 2>"$log" &
}

# handed_pid LOG KIND ID: the pid of the worker that was handed attempt 1
# of that task, from the coordinator's debug log; false if none was yet.
handed_pid() {
    sed -n "s/.*$2 task $3 attempt 1 -> connection [0-9]* (worker pid \([0-9]*\))/\1/p" \
        "$1" | grep .
}

# backup_pid LOG KIND ID: the pid of the worker given a backup of that
# task, from the coordinator's line that says so; false if none was.
backup_pid() {
    sed -n "s/.*: info: $2 task $3 has run [0-9.]* m\?s, [0-9.]*x the median [0-9.]* m\?s: backup attempt 2 -> worker pid \([0-9]*\)$/\1/p" \
        "$1" | grep .
}

# straggler_job NAME APP KIND ID DELAY_VAR=VALUE ARGS...: a coordinator
# (--task-timeout 60, ARGS) and a straggler worker alone, with DELAY_VAR
# in its environment only, until it holds attempt 1 of KIND task ID; then
# two workers without it. Checks the whole story; the straggler is killed
# once checked.
straggler_job() {
    local name=$1 app=$2 kind=$3 id=$4 delay=$5
    local dir=$WORK/$1 log=$WORK/$1.coord.log slow other rc w1 w2 wrc1 wrc2
    local app_name
    shift 5
    app_name=$(basename "$app" .so)
    mkdir -p "$dir" || return
    MR_LOG=debug start_coordinator "$dir" "$log" --addr "unix:$dir.s" \
        --task-timeout 60 "$@" "$IN"/*.txt ||
        { fail "$name" "no coordinator: $(tail -n 1 "$log")"; return; }
    worker "$dir" "$WORK/$name.slow.log" "$app" "$delay"
    if ! slow=$(wait_for 30 handed_pid "$log" "$kind" "$id"); then
        fail "$name" "the straggler never got $kind task $id:" \
            "$(tail -n 1 "$log")"
        end_jobs
        return
    fi
    worker "$dir" "$WORK/$name.w1.log" "$app"
    w1=$!
    worker "$dir" "$WORK/$name.w2.log" "$app"
    w2=$!
    wait "$TPID"; rc=$?
    wait "$w1"; wrc1=$?
    wait "$w2"; wrc2=$?
    other=$(backup_pid "$log" "$kind" "$id")
    sort "$dir"/mr-out-* 2>/dev/null | grep . > "$WORK/$name.got"
    if [ $rc -ne 0 ]; then
        fail "$name" "coordinator exited $rc: $(tail -n 1 "$log")"
    elif ! kill -0 "$slow" 2>/dev/null; then
        fail "$name" "the straggler (pid $slow) finished before the job"
    elif [ -z "$other" ]; then
        fail "$name" "no line says $kind task $id got a backup:" \
            "$(grep -m1 backup "$log")"
    elif [ "$other" = "$slow" ]; then
        fail "$name" "the backup went to the straggler itself"
    elif ! grep -q '"backups_won": [1-9]' "$dir/mr-success" 2>/dev/null; then
        fail "$name" "mr-success counts no backup that won:" \
            "$(grep -o '"backup[^,]*' "$dir/mr-success" 2>/dev/null)"
    elif ! cmp -s "$WORK/$name.got" "$WORK/ref-$app_name"; then
        fail "$name" "output differs from mrsequential's"
    elif [ $wrc1 -ne 0 ] || [ $wrc2 -ne 0 ]; then
        fail "$name" "the other workers exited $wrc1 and $wrc2"
    else
        pass "$name"
    fi
    kill "$slow" 2>/dev/null
    end_jobs
}

# A map straggles: the others map the rest, then back it up.
straggler_job straggling_map_backed_up "$FAULTY" map 0 FAULTY_MAP_MS=50000 \
    --reduce 3

# A reduce straggles: alone, the straggler maps everything and takes
# reduce 0; one of the others does reduce 1, then backs up reduce 0.
straggler_job straggling_reduce_backed_up "$SLOWREDUCE" reduce 0 \
    MR_TEST_REDUCE_DELAY_US=1000000 --reduce 2
