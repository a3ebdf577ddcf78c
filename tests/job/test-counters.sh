#!/usr/bin/env bash
# The job's counters (docs/counters.md), as the success marker mr-success
# shows them, with real jobs: an app's counts from map and reduce add up to
# what awk counts in its inputs, and mrsequential --counters agrees; the
# framework's counters agree with the inputs and the outputs (input bytes,
# one input record per map task, output records = lines in mr-out-*,
# output bytes = their size) and with each other; the crash app, which kills and stalls its
# workers, ends with the very counters of a run without crashes, though
# attempts failed or were reassigned; a coordinator killed in the reduce
# phase and started again, or a worker killed with map outputs only it
# kept, ends with the counters of a job never interrupted; an app that counts more names than allowed fails its job
# (and mrsequential) with one sentence that says so. Prints one "PASS name" or "FAIL name:
# why" line per check; exits 1 when a check failed.
#
# Usage: BUILD=build tests/job/test-counters.sh [CHECK...]
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-counterstest
ODD=$B/tests/apps/oddlines.so
SLOW=$B/tests/apps/slowreduce.so
need "$ODD" "$SLOW" "$B/apps/wc.so" "$B/apps/crash.so" "$B/apps/nocrash.so"
# The crash app stalls workers for up to 10 s at a time.
TIMEOUT="timeout -k 5 180"

# Lines with and without a last '\n', empty lines, an empty file.
make_inputs --size 300000 t1.txt t2.txt t3.txt t4.txt t5.txt
printf 'one\n\nthree three\nno newline at the end' > "$IN/t6.txt"
: > "$IN/t7.txt"
TEXTS=("$IN"/t*.txt)

# ---------------------------------------------------------------- helpers

# counters FILE: the "counters" object of the success marker FILE, one
# "name=value" line each, in its order (by name).
counters() {
    sed -n '/^  "counters": {/,/^  }/s/^    "\(.*\)": \([0-9]*\),\{0,1\}$/\1=\2/p' "$1"
}

# task_counters FILE: the same without the coordinator's own, which count
# attempts rather than what the winning ones did.
task_counters() {
    counters "$1" | grep -v -e '^failed attempts=' -e '^killed attempts=' \
        -e '^reassigned attempts=' -e '^backup attempts='
}

# counter FILE NAME: the value of counter NAME in FILE's; empty if none.
counter() { counters "$1" | sed -n "s/^$2=//p"; }

# expect_counters FILE NAME=VALUE...: prints each counter of FILE that is
# not as given, or nothing.
expect_counters() {
    local file=$1 want name got
    shift
    for want in "$@"; do
        name=${want%=*}
        got=$(counter "$file" "$name")
        [ "$got" = "${want##*=}" ] ||
            echo "\"$name\" is ${got:-missing}, wanted ${want##*=};"
    done
}

# mrrun_in DIR ARGS...: mrrun ARGS... in DIR (made), its output in
# DIR.out and DIR.err; returns its exit status.
mrrun_in() {
    local dir=$1
    shift
    mkdir -p "$dir" &&
        (cd "$dir" && $TIMEOUT "$B/mrrun" "$@" > "$dir.out" 2> "$dir.err")
}

# words: what it reads, on one line.
# shellcheck disable=SC2046
words() { (set -f; echo $(cat)); }

# size FILE...: their bytes, together.
size() { cat "$@" | wc -c; }

# map_tasks FILE: the map tasks the success marker FILE counts.
map_tasks() { sed -n 's/^  "map_tasks": \([0-9]*\),$/\1/p' "$1"; }

# ---------------------------------------------------------------- checks

# The counters oddlines counts itself.
APP_NAMES='^(even lines|length values|lengths|lines|odd lines)='

# oddlines counts lines, odd and even ones (by their length in bytes) in
# map, and the distinct lengths and their values in reduce, over 20 map
# tasks of 7 files (one empty, one without a last '\n').
check_app_totals() {
    local d=$WORK/app n odd even lengths why
    mrrun_in "$d" --app "$ODD" --reduce 4 --split-size 64K "${TEXTS[@]}" ||
        { fail app_totals "mrrun exited $?: $(tail -n 1 "$d.err")"; return; }
    read -r n odd even lengths <<< "$(LC_ALL=C awk '
        { if (length($0) % 2) odd++; else even++; seen[length($0)] = 1 }
        END { print NR, odd, even, length(seen) }' "${TEXTS[@]}")"
    why=$(expect_counters "$d/mr-success" "lines=$n" "odd lines=$odd" \
          "even lines=$even" "lengths=$lengths" "length values=$n")
    if [ -n "$why" ]; then fail app_totals "$why"
    elif [ "$(map_tasks "$d/mr-success")" -lt 10 ]; then
        fail app_totals "fewer map tasks than the splits should make"
    else pass app_totals; fi

    # The reference run counts the same, with the framework's counters
    # left out.
    mkdir -p "$d.seq"
    if ! (cd "$d.seq" && "$B/mrsequential" --counters "$ODD" \
            "${TEXTS[@]}" > counters); then
        fail mrsequential_counts_the_same "mrsequential failed"
    elif [ "$(tr '\t' '=' < "$d.seq/counters")" != \
           "$(counters "$d/mr-success" | grep -E "$APP_NAMES")" ]; then
        fail mrsequential_counts_the_same "$(tr '\t' '=' < "$d.seq/counters" | words) against $(counters "$d/mr-success" | grep -E "$APP_NAMES" | words)"
    else pass mrsequential_counts_the_same; fi

    # The framework's, against the inputs and the outputs.
    why=$(expect_counters "$d/mr-success" \
          "map input bytes=$(size "${TEXTS[@]}")" \
          "map input records=$(map_tasks "$d/mr-success")" \
          "map output records=$n" "reduce input records=$n" \
          "intermediate records=$n" "combine input records=0" \
          "reduce input groups=$lengths" \
          "reduce output records=$(cat "$d"/mr-out-* | wc -l)" \
          "reduce output bytes=$(size "$d"/mr-out-*)")
    if [ -n "$why" ]; then fail builtin_counters_match_inputs_and_outputs "$why"
    elif [ "$(cat "$d"/mr-out-* | wc -l)" -ne "$lengths" ]; then
        fail builtin_counters_match_inputs_and_outputs "$(cat "$d"/mr-out-* | wc -l) output lines, $lengths lengths"
    else pass builtin_counters_match_inputs_and_outputs; fi
}

# The word count combines: every pair goes into its combiner, what comes
# out is what the maps wrote and the reduces read; the summary's older
# figures are the counters'.
check_combining_counts() {
    local d=$WORK/wc f why n
    mrrun_in "$d" --app "$B/apps/wc.so" --reduce 3 "${TEXTS[@]}" ||
        { fail combining_counts "mrrun exited $?: $(tail -n 1 "$d.err")"; return; }
    f=$d/mr-success
    n=$(counter "$f" "map output records")
    why=$(expect_counters "$f" "map input bytes=$(size "${TEXTS[@]}")" \
          "map input records=$(map_tasks "$f")" \
          "combine input records=$n" "spilled runs=0" \
          "combine output records=$(counter "$f" "intermediate records")" \
          "reduce input records=$(counter "$f" "intermediate records")" \
          "reduce output records=$(cat "$d"/mr-out-* | wc -l)" \
          "reduce input groups=$(cat "$d"/mr-out-* | wc -l)" \
          "reduce output bytes=$(size "$d"/mr-out-*)" \
          "map output records=$(sed -n 's/.*"map_output_records": \([0-9]*\),/\1/p' "$f")" \
          "intermediate bytes=$(sed -n 's/.*"intermediate_bytes": \([0-9]*\),/\1/p' "$f")" \
          "failed attempts=0" "reassigned attempts=0" "killed attempts=0")
    if [ -n "$why" ]; then fail combining_counts "$why"
    elif [ "${n:-0}" -le "$(counter "$f" "intermediate records")" ]; then
        fail combining_counts "the combiner did not shrink $n pairs"
    elif [ "$(counter "$f" "shuffle bytes")" -le 0 ]; then
        fail combining_counts "no shuffle bytes"
    else pass combining_counts; fi
}

# crash_loop DIR ADDR APP: workers started one after the other in DIR,
# while DIR.over does not exist.
crash_loop() {
    while [ ! -e "$1.over" ]; do
        (cd "$1" && $TIMEOUT "$B/mrworker" --connect-timeout 2 --addr "$2" \
            "$3") 2>/dev/null
    done
}

# run_crashing DIR APP LOOPS INPUTS...: a job in DIR with LOOPS crash_loops
# of APP; returns the coordinator's exit status.
run_crashing() {
    local dir=$1 app=$2 loops=$3 rc i
    shift 3
    mkdir -p "$dir"
    start_coordinator "$dir" "$dir.log" --addr "unix:$dir.s" --output "$dir" \
        --reduce 3 "$@" || return 1
    for i in $(seq 1 "$loops"); do crash_loop "$dir" "unix:$dir.s" "$app" & done
    wait "$TPID"; rc=$?
    touch "$dir.over"
    wait
    return $rc
}

# The crash app kills a third of its calls' workers and stalls another
# third: 30 maps and 4 reduce calls (keys a to d), so that some attempts
# surely fail or are lost (all 34 calls survive once in a million jobs).
# Every counter of the winning attempts is what the nocrash app, the same
# map and reduce without the crashes, counts in a job without a fault;
# its own "map calls" and "reduce calls" are 30 and 4.
check_crash_counts_once() {
    local d=$WORK/crash ref=$WORK/nocrash rc why retries i
    mkdir -p "$IN/crash"
    for i in $(seq -w 1 30); do echo "input $i" > "$IN/crash/c$i.txt"; done
    run_crashing "$ref" "$B/apps/nocrash.so" 2 "$IN"/crash/c*.txt ||
        { fail crash_counts_once "the nocrash job failed: $(tail -n 1 "$ref.log")"; return; }
    run_crashing "$d" "$B/apps/crash.so" 3 "$IN"/crash/c*.txt; rc=$?
    retries=$(( $(counter "$d/mr-success" "failed attempts") +
                $(counter "$d/mr-success" "reassigned attempts") ))
    why=$(expect_counters "$d/mr-success" "map calls=30" "reduce calls=4")
    if [ $rc -ne 0 ]; then
        fail crash_counts_once "the crash job's coordinator exited $rc: $(tail -n 1 "$d.log")"
    elif ! diff <(sort "$d"/mr-out-*) <(sort "$ref"/mr-out-*) > /dev/null; then
        fail crash_counts_once "its output differs from the nocrash job's"
    elif [ -n "$why" ]; then fail crash_counts_once "$why"
    elif [ "$(task_counters "$d/mr-success")" != \
           "$(task_counters "$ref/mr-success")" ]; then
        fail crash_counts_once "$(diff <(task_counters "$ref/mr-success") <(task_counters "$d/mr-success") | grep '^[<>]' | words)"
    elif [ "$retries" -eq 0 ]; then
        fail crash_counts_once "no attempt failed or was reassigned"
    elif [ "$(counter "$ref/mr-success" "failed attempts")" != 0 ] ||
         [ "$(counter "$ref/mr-success" "reassigned attempts")" != 0 ]; then
        fail crash_counts_once "the nocrash job retried"
    else
        echo "  ($retries attempts failed or reassigned, $(counter "$d/mr-success" "killed attempts") killed)"
        pass crash_counts_once
    fi
}

# staged DIR: how many reduce outputs the job in DIR has staged.
staged() {
    local f n=0
    for f in "$1"/.mr-*/mr-staged-*; do [ -e "$f" ] && n=$((n + 1)); done
    echo $n
}
has_staged() { [ "$(staged "$1")" -ge 1 ]; }

# The slow job of the two checks below: slowreduce on 4 files of 500 kB
# split in 8 maps, 6 reduces.
SLOW_JOB=(--reduce 6 --split-size 256K)

# whole_job: runs the slow job once, uninterrupted, in $WORK/whole (on the
# first call); false when it failed.
whole_job() {
    local ref=$WORK/whole w
    [ -e "$ref/mr-success" ] && return 0
    make_inputs --size 500000 r1.txt r2.txt r3.txt r4.txt
    mkdir -p "$ref"
    start_coordinator "$ref" "$ref.log" --addr "unix:$ref.s" \
        --output "$ref" "${SLOW_JOB[@]}" "$IN"/r*.txt || return 1
    for w in 1 2; do
        (cd "$ref" && exec $TIMEOUT "$B/mrworker" --addr "unix:$ref.s" \
            "$SLOW") 2>/dev/null &
    done
    wait "$TPID" || return 1
    wait
}

# slow_workers DIR ADDR [ARGS...]: two workers of the slow job for DIR,
# their reduces slowed down, with ARGS; PIDS holds their pids.
slow_workers() {
    local dir=$1 addr=$2 w
    shift 2
    PIDS=()
    for w in 1 2; do
        (cd "$dir" && MR_TEST_REDUCE_DELAY_US=300 exec $TIMEOUT \
            "$B/mrworker" --addr "$addr" "$@" "$SLOW") 2>/dev/null &
        PIDS+=($!)
    done
}

# same_counters DIR NAME...: prints how the task counters of the job in
# DIR differ from the uninterrupted job's, NAMEs left out; or nothing.
same_counters() {
    local dir=$1 skip=${2:-^$}
    diff <(task_counters "$WORK/whole/mr-success" | grep -v -e "$skip") \
         <(task_counters "$dir/mr-success" | grep -v -e "$skip") |
        grep '^[<>]' | words
}

# A coordinator killed in the reduce phase (one reduce staged, five to
# go, each slowed down) and started again: the maps and the reduce its
# journal kept, and the late reports of the workers that ran on, bring
# their counters back, and the job ends with those of a job never
# interrupted.
check_resumed_job_counts_every_task() {
    local name=resumed_job_counts_every_task d=$WORK/resumed rc why
    local -a cmd
    whole_job || { fail $name "the job never interrupted failed"; return; }
    cmd=(--addr "unix:$d.s" --output "$d" "${SLOW_JOB[@]}" "$IN"/r*.txt)
    mkdir -p "$d"
    start_coordinator "$d" "$d.log-1" "${cmd[@]}" ||
        { fail $name "no coordinator"; return; }
    slow_workers "$d" "unix:$d.s"
    if ! wait_for 60 has_staged "$d"; then
        fail $name "no reduce output was ever staged"; return
    fi
    kill -KILL "$CPID"
    wait "$TPID"
    if [ -e "$d/mr-success" ]; then
        fail $name "the job was over before the kill"; return
    fi
    start_coordinator "$d" "$d.log-2" "${cmd[@]}" ||
        { fail $name "no second coordinator"; return; }
    wait "$TPID"; rc=$?
    wait "${PIDS[@]}"
    why=$(same_counters "$d")
    if [ $rc -ne 0 ]; then
        fail $name "the second coordinator exited $rc: $(tail -n 1 "$d.log-2")"
    elif ! logged "$d.log-2" "resumed from its journal"; then
        fail $name "the second coordinator did not resume the job"
    elif ! diff <(sort "$d"/mr-out-*) <(sort "$WORK/whole"/mr-out-*) > /dev/null; then
        fail $name "its output differs from the job never interrupted"
    elif [ -n "$why" ]; then fail $name "$why"
    else
        echo "  ($(sed -n 's/.*resumed from its journal (coordinator 2): \([0-9]* of [0-9]* map and [0-9]* of [0-9]* reduce\) tasks.*/\1 tasks kept/p' "$d.log-2"))"
        pass $name
    fi
}

# Workers that keep their map outputs on their own disk (--scratch), one
# of them killed in the reduce phase: the maps whose outputs went with it
# run again, and their counters count once, as in a job without the kill
# (but for the bytes fetched from other workers, which only these fetch).
check_lost_outputs_count_once() {
    local name=lost_outputs_count_once d=$WORK/lost rc why victim
    whole_job || { fail $name "the job never interrupted failed"; return; }
    mkdir -p "$d" "$d.scratch"
    start_coordinator "$d" "$d.log" --addr tcp:127.0.0.1:0 --output "$d" \
        "${SLOW_JOB[@]}" "$IN"/r*.txt || { fail $name "no coordinator"; return; }
    slow_workers "$d" "$COORD_ADDR" --scratch "$d.scratch"
    if ! wait_for 60 has_staged "$d"; then
        fail $name "no reduce output was ever staged"; return
    fi
    victim=$(pgrep -P "${PIDS[0]}")
    [ -n "$victim" ] && kill -KILL "$victim"
    wait "$TPID"; rc=$?
    wait "${PIDS[@]}"
    why=$(same_counters "$d" '^shuffle fetched bytes=')
    if [ $rc -ne 0 ]; then
        fail $name "the coordinator exited $rc: $(tail -n 1 "$d.log")"
    elif ! logged "$d.log" "a worker that kept the outputs of [1-9][0-9]* map tasks\? .*is gone; running them again" &&
         ! logged "$d.log" "reduce task [0-9]* could not fetch the outputs of .*; [1-9][0-9]* of them run again"; then
        fail $name "no map ran again (nothing was tested): $(grep -m1 warn "$d.log")"
    elif ! diff <(sort "$d"/mr-out-*) <(sort "$WORK/whole"/mr-out-*) > /dev/null; then
        fail $name "its output differs from the job never interrupted"
    elif [ -n "$why" ]; then fail $name "$why"
    elif [ "$(counter "$d/mr-success" "reassigned attempts")" -eq 0 ]; then
        fail $name "no attempt counted as reassigned"
    else pass $name; fi
}

# An app that counts more distinct names than a task may (oddlines with
# ODDLINES_NAMES=300) fails every attempt of its map: the job fails, with
# one last line saying why, and leaves its directory as it found it but
# for its failure note (mr-failed); mrsequential fails the same way.
check_too_many_names() {
    local name=too_many_names_fail_the_job d=$WORK/names rc problem
    ODDLINES_NAMES=300 mrrun_in "$d" --app "$ODD" --reduce 2 "$IN/t1.txt"
    rc=$?
    if [ $rc -ne 1 ]; then fail $name "mrrun exited $rc, wanted 1"
    elif ! tail -n 1 "$d.err" | grep -q "job failed: .*the app counts more than 256 distinct counter names (the next is \"name 253\")"; then
        fail $name "its last line: $(tail -n 1 "$d.err")"
    elif ! problem=$(only_failure_note "$d"); then
        fail $name "$problem"
    else pass $name; fi
    expect_error too_many_names_fail_mrsequential 1 \
        "mrsequential: the app counts more than 256 distinct counter names" \
        env ODDLINES_NAMES=300 "$B/mrsequential" "$ODD" "$IN/t1.txt"
    expect_error mrsequential_counters_is_for_a_run 2 \
        "mrsequential: --counters is for a run, not --check-combiner" \
        "$B/mrsequential" --counters --check-combiner "$ODD" "$IN/t1.txt"
}

run_checks "app_totals combining_counts crash_counts_once
resumed_job_counts_every_task lost_outputs_count_once too_many_names" "$@"
