#!/usr/bin/env bash
# A job owns its data: each check is something a user saw go wrong before
# jobs had an identity and a directory of their own (issue 9), done as the
# user did it, with real processes. Earlier results survive failed and
# interrupted jobs; a second job in a directory is refused; a commit
# replaces the whole output set; killed and stopped processes leave nothing
# that looks like a result; workers' exit statuses tell the truth; a task
# that kills every worker ends the job, named. Prints one "PASS name" or
# "FAIL name: why" line per check.
#
# Usage: BUILD=build tests/job/test-ownership.sh [CHECK...]
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-owntest
FAULTY=$B/tests/apps/faulty.so
need "$FAULTY"
make_inputs --size 100000 a.txt b.txt c.txt
make_inputs --size 20000 pg-sherlock_holmes.txt pg-tom_sawyer.txt
echo good > "$IN/good.txt"
for f in segv vanish fail; do echo "$f" > "$IN/$f.txt"; done

# gone PID: PID no longer runs.
gone() { ! kill -0 "$1" 2>/dev/null; }

# state DIR: every name in DIR, hidden ones too, and the checksum of every
# regular file: what a user would compare.
state() {
    (cd "$1" && ls -A && find . -maxdepth 1 -type f -exec md5sum {} + |
        sort)
}

# An earlier job's result in DIR, and what DIR looks like with it.
earlier_result() {
    mkdir -p "$1" && (cd "$1" && $TIMEOUT "$B/mrrun" "$IN/a.txt" "$IN/b.txt" \
        >/dev/null 2>&1) && [ -s "$1/mr-success" ] && state "$1" > "$1.state"
}

unchanged() { state "$1" | cmp -s - "$1.state"; }

# ---------------------------------------------------------------- 1

# Coordinators that fail to start, or are interrupted, in a directory that
# holds a finished job's result leave that result as it was.
check_earlier_results_survive() {
    local d=$WORK/keep rc line
    earlier_result "$d" || { fail earlier_result_setup "mrrun failed"; return; }
    cd "$d" || return

    $TIMEOUT "$B/mrcoordinator" --addr tcp:0.0.0.0:0 "$IN/a.txt" 2>/dev/null
    rc=$?
    if [ $rc -ne 2 ]; then fail open_tcp_keeps_earlier_result "exit $rc"
    elif ! unchanged "$d"; then
        fail open_tcp_keeps_earlier_result "the directory changed"
    else pass open_tcp_keeps_earlier_result; fi

    $TIMEOUT "$B/mrcoordinator" --addr "unix:$WORK/no/such/dir/s" "$IN/a.txt" \
        2>/dev/null
    rc=$?
    if [ $rc -ne 1 ]; then fail bad_socket_keeps_earlier_result "exit $rc"
    elif ! unchanged "$d"; then
        fail bad_socket_keeps_earlier_result "the directory changed"
    else pass bad_socket_keeps_earlier_result; fi

    mkdir -p "$WORK/keep-live"
    MR_LOG=debug start_coordinator "$WORK/keep-live" "$WORK/keep-live.log" \
        --addr "unix:$WORK/keep-live.s" "$IN/a.txt" ||
        { fail second_coordinator_keeps_earlier_result "no first one"; return; }
    $TIMEOUT "$B/mrcoordinator" --addr "unix:$WORK/keep-live.s" "$IN/a.txt" \
        2>"$WORK/keep-second.err"
    rc=$?
    kill -TERM "$CPID"; wait "$TPID"
    if [ $rc -ne 1 ] || ! grep -q "already listening" "$WORK/keep-second.err"
    then fail second_coordinator_keeps_earlier_result \
            "exit $rc: $(cat "$WORK/keep-second.err")"
    elif ! unchanged "$d"; then
        fail second_coordinator_keeps_earlier_result "the directory changed"
    else pass second_coordinator_keeps_earlier_result; fi

    # Interrupted in its map phase, with a worker busy in this directory.
    MR_LOG=debug start_coordinator "$d" "$WORK/keep-int.log" \
        --addr "unix:$WORK/keep-int.s" "$IN/good.txt" "$IN/a.txt" ||
        { fail interrupted_job_keeps_earlier_result "no coordinator"; return; }
    FAULTY_MAP_MS=2000 $TIMEOUT "$B/mrworker" --addr "unix:$WORK/keep-int.s" \
        --connect-timeout 1 "$FAULTY" 2>"$WORK/keep-int-worker.err" &
    local wpid=$!
    wait_for 20 logged "$WORK/keep-int.log" "map task .* -> connection"
    kill -INT "$CPID"
    wait "$TPID"; rc=$?
    wait "$wpid"; local wrc=$?
    # The worker is told the job failed, or finds the coordinator gone if
    # its map outlasts the coordinator's second of draining: 1 or 3.
    line=$(tail -n 1 "$WORK/keep-int-worker.err")
    if [ $rc -ne 130 ]; then
        fail interrupted_job_keeps_earlier_result "coordinator exit $rc"
    elif [ $wrc -ne 1 ] && [ $wrc -ne 3 ]; then
        fail interrupted_job_keeps_earlier_result "worker exit $wrc: $line"
    elif ! unchanged "$d"; then
        fail interrupted_job_keeps_earlier_result "the directory changed: $(ls -A)"
    else pass interrupted_job_keeps_earlier_result; fi

    # mrrun interrupted the same way.
    coproc RUN { FAULTY_MAP_MS=3000 exec $TIMEOUT "$B/mrrun" --app "$FAULTY" \
                 "$IN/good.txt" "$IN/a.txt" 2>/dev/null; }
    local rpid=$RUN_PID
    read_until "${RUN[0]}" 'running*'
    kill -INT "$(pgrep -P "$rpid")"
    cat <&"${RUN[0]}" >/dev/null
    wait "$rpid"; rc=$?
    if [ $rc -ne 130 ]; then
        fail interrupted_mrrun_keeps_earlier_result "exit $rc"
    elif ! unchanged "$d"; then
        fail interrupted_mrrun_keeps_earlier_result "the directory changed"
    else pass interrupted_mrrun_keeps_earlier_result; fi
}

# ---------------------------------------------------------------- 2

# Two jobs at once in one directory: the second is refused with one line
# naming the first, which finishes untouched.
check_second_job_refused() {
    local d=$WORK/two rc lines
    mkdir -p "$d" && cd "$d" || return
    coproc FIRST { exec $TIMEOUT "$B/mrrun" --app jobcount "$IN/a.txt" \
                   "$IN/b.txt" 2>&1; }
    local fpid=$FIRST_PID
    read_until "${FIRST[0]}" 'running*'
    $TIMEOUT "$B/mrrun" --app indexer "$IN/c.txt" >/dev/null 2>"$WORK/two.err"
    rc=$?
    cat <&"${FIRST[0]}" > "$WORK/two-first.out"
    wait "$fpid"; local frc=$?
    lines=$(wc -l < "$WORK/two.err")
    if [ $rc -ne 4 ]; then fail second_mrrun_refused "exit $rc, wanted 4"
    elif [ "$lines" -ne 1 ] || ! grep -Eq \
            "in use by job [0-9a-f]{12} \(app jobcount" "$WORK/two.err"; then
        fail second_mrrun_refused "said: $(cat "$WORK/two.err")"
    elif [ $frc -ne 0 ]; then
        fail second_mrrun_refused "the first job failed ($frc)"
    elif [ "$(cat mr-out-* | awk '{print $1, $2}')" != "a 2" ] ||
         ! grep -q '"app": "jobcount"' mr-success; then
        fail second_mrrun_refused "the first job's output is not its own"
    else pass second_mrrun_refused; fi

    # The lab's way: a second coordinator elsewhere, its worker here.
    d=$WORK/two-lab
    mkdir -p "$d" "$WORK/two-lab-c2" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/two-lab-c1.log" \
        --addr "unix:$WORK/c1.s" "$IN/a.txt" "$IN/b.txt" ||
        { fail second_lab_job_refused "no c1"; return; }
    local c1t=$TPID
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/c1.s" "$B/apps/jobcount.so" &
    local w1=$!
    wait_for 20 logged "$WORK/two-lab-c1.log" "joined"
    MR_LOG=debug start_coordinator "$WORK/two-lab-c2" "$WORK/two-lab-c2.log" \
        --addr "unix:$WORK/c2.s" "$IN/c.txt" ||
        { fail second_lab_job_refused "no c2"; return; }
    local c2=$CPID c2t=$TPID
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/c2.s" "$B/apps/indexer.so" \
        2>"$WORK/two-lab-w2.err"
    rc=$?
    kill -TERM "$c2"; wait "$c2t"
    wait "$c1t"; local c1rc=$?
    wait "$w1"; local w1rc=$?
    if [ $rc -ne 4 ] || [ "$(wc -l < "$WORK/two-lab-w2.err")" -ne 1 ] ||
       ! grep -q "in use by job" "$WORK/two-lab-w2.err"; then
        fail second_lab_job_refused "worker exit $rc: $(cat "$WORK/two-lab-w2.err")"
    elif [ $c1rc -ne 0 ] || [ $w1rc -ne 0 ]; then
        fail second_lab_job_refused "the first job: coordinator $c1rc, worker $w1rc"
    elif [ "$(cat mr-out-* | awk '{print $1, $2}')" != "a 2" ]; then
        fail second_lab_job_refused "the first job's output is not its own"
    elif [ -n "$(ls -A "$WORK/two-lab-c2")" ]; then
        fail second_lab_job_refused "the refused job wrote files"
    else pass second_lab_job_refused; fi
}

# ---------------------------------------------------------------- 3

# Fewer reduce tasks than the last job: the old higher-numbered outputs go,
# so that `sort mr-out-*` is this job's output alone.
check_fewer_reduces() {
    local d=$WORK/fewer want
    mkdir -p "$d/ref" && cd "$d" || return
    (cd ref && "$B/mrsequential" "$B/apps/wc.so" "$IN/a.txt" "$IN/b.txt" &&
     sort mr-out-0 > ../want) || { fail fewer_reduces "mrsequential failed"; return; }
    rm -rf ref
    $TIMEOUT "$B/mrrun" "$IN/a.txt" "$IN/c.txt" >/dev/null 2>&1 &&
        $TIMEOUT "$B/mrrun" --reduce 3 "$IN/a.txt" "$IN/b.txt" \
            >/dev/null 2>&1 ||
        { fail fewer_reduces "a job failed"; return; }
    want="mr-out-0 mr-out-1 mr-out-2 mr-success want "
    if [ "$(ls -A | tr '\n' ' ')" != "$want" ]; then
        fail fewer_reduces "files: $(ls -A | tr '\n' ' ')"
    elif ! sort mr-out-* | cmp -s - want; then
        fail fewer_reduces "sort mr-out-* is not this job's output"
    elif ! grep -q '"reduce_tasks": 3,' mr-success; then
        fail fewer_reduces "the marker does not say 3 reduce tasks"
    else pass fewer_reduces; fi
}

# ---------------------------------------------------------------- 4

# A worker SIGKILLed while it writes a file: the job finishes with the
# other worker, and leaves only its outputs and marker.
check_killed_worker() {
    local d=$WORK/kill-worker tmp pid rc
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/kw.log" \
        --addr "unix:$WORK/kw.s" "$IN/pg-sherlock_holmes.txt" \
        "$IN/pg-tom_sawyer.txt" "$IN/a.txt" ||
        { fail killed_worker_leaves_nothing "no coordinator"; return; }
    local ct=$TPID
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/kw.s" "$B/apps/early_exit.so" &
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/kw.s" "$B/apps/early_exit.so" &
    # early_exit's reduce sleeps 3 s on sherlock and tom, its output file
    # open; its temporary name holds the writer's pid.
    for _ in 1 2 3 4 5; do
        tmp=$(wait_for 20 first_match ".mr-*/mr-tmp-*") || break
        pid=$(basename "$tmp" | cut -d- -f3)
        kill -STOP "$pid" 2>/dev/null
        [ -e "$tmp" ] && break
        kill -CONT "$pid" 2>/dev/null
        tmp=
    done
    [ -n "$tmp" ] && kill -KILL "$pid"
    wait "$ct"; rc=$?
    wait
    if [ -z "$tmp" ]; then fail killed_worker_leaves_nothing "no temporary file seen"
    elif [ $rc -ne 0 ]; then fail killed_worker_leaves_nothing "job failed ($rc)"
    elif [ "$(ls -A | tr '\n' ' ')" != "$(printf 'mr-out-%d ' 0 1 2 3 4 5 6 7 8 9)mr-success " ]
    then fail killed_worker_leaves_nothing "files: $(ls -A | tr '\n' ' ')"
    else pass killed_worker_leaves_nothing; fi
}

# A coordinator SIGKILLed in the middle of its job: its worker waits for it
# (--reconnect), then exits 3 saying so; the directory's earlier result is
# untouched, with no partial outputs; another job there is refused while
# the dead one's journal is there, and with --fresh removes what the dead
# one left.
check_killed_coordinator() {
    local d=$WORK/kill-coord rc wrc dead
    earlier_result "$d" || { fail killed_coordinator_setup "mrrun failed"; return; }
    cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/kc.log" \
        --addr "unix:$WORK/kc.s" "$IN/good.txt" "$IN/a.txt" "$IN/b.txt" ||
        { fail killed_coordinator "no coordinator"; return; }
    local ct=$TPID
    FAULTY_MAP_MS=500 $TIMEOUT "$B/mrworker" --addr "unix:$WORK/kc.s" \
        --connect-timeout 1 --reconnect 1 "$FAULTY" \
        2>"$WORK/kc-worker.err" &
    local w=$!
    wait_for 20 first_match ".mr-*/mr-im-*" >/dev/null
    dead=$(grep -o "job [0-9a-f]* runs in" "$WORK/kc.log" | cut -d' ' -f2)
    kill -KILL "$CPID"
    wait "$ct"
    wait "$w"; wrc=$?
    # One line saying it waits for the coordinator, one that it gave up.
    if [ $wrc -ne 3 ] || [ "$(wc -l < "$WORK/kc-worker.err")" -ne 2 ] ||
       ! grep -q "waiting up to 1 s for it to come back" \
           "$WORK/kc-worker.err" ||
       ! tail -n 1 "$WORK/kc-worker.err" | grep -q "lost the coordinator"; then
        fail killed_coordinator_worker_exits_3 "exit $wrc: $(cat "$WORK/kc-worker.err")"
    else pass killed_coordinator_worker_exits_3; fi
    if ! diff <(state "$d" | grep -v '\.mr-') "$d.state" >/dev/null; then
        fail killed_coordinator_keeps_earlier_result "visible files changed"
    elif [ ! -d "$d/.mr-$dead" ]; then
        fail killed_coordinator_keeps_earlier_result "no trace of job '$dead'"
    else pass killed_coordinator_keeps_earlier_result; fi
    # Another job: refused while the dead one's journal is there, it
    # discards the dead job's files with --fresh.
    $TIMEOUT "$B/mrrun" "$IN/c.txt" >/dev/null 2>"$WORK/kc-refused.err"
    rc=$?
    if [ $rc -ne 4 ] || [ "$(wc -l < "$WORK/kc-refused.err")" -ne 1 ] ||
       ! grep -q "job $dead, killed before it finished, left its files here.*--fresh" \
           "$WORK/kc-refused.err"; then
        fail next_job_refused_by_dead_journal "exit $rc: $(cat "$WORK/kc-refused.err")"
    elif [ ! -d "$d/.mr-$dead" ]; then
        fail next_job_refused_by_dead_journal "the dead job's files went"
    else pass next_job_refused_by_dead_journal; fi
    $TIMEOUT "$B/mrrun" --fresh "$IN/c.txt" >/dev/null 2>"$WORK/kc-next.err"
    rc=$?
    if [ $rc -ne 0 ]; then fail next_job_sweeps_dead_job "exit $rc"
    elif ! grep -q "removed the files of job $dead" "$WORK/kc-next.err"; then
        fail next_job_sweeps_dead_job "said: $(cat "$WORK/kc-next.err")"
    elif ls -A | grep -q '^\.'; then
        fail next_job_sweeps_dead_job "hidden files: $(ls -A | grep '^\.')"
    else pass next_job_sweeps_dead_job; fi
}

# A worker stopped (SIGSTOP) in a map past its deadline, resumed after the
# job ended: what it then writes does not appear, and it exits 0, since
# the marker says its job finished.
check_stopped_worker() {
    local d=$WORK/stopped rc wrc pid
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/st.log" \
        --addr "unix:$WORK/st.s" --task-timeout 1 "$IN/a.txt" "$IN/b.txt" ||
        { fail stopped_worker "no coordinator"; return; }
    local ct=$TPID
    FAULTY_MAP_MS=1500 $TIMEOUT "$B/mrworker" --addr "unix:$WORK/st.s" \
        --connect-timeout 1 "$FAULTY" 2>"$WORK/st-slow.err" &
    local slow=$!
    wait_for 20 logged "$WORK/st.log" "map task .* -> connection .* (worker pid"
    pid=$(grep -m1 -o "(worker pid [0-9]*)" "$WORK/st.log" | tr -dc 0-9)
    kill -STOP "$pid"
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/st.s" "$FAULTY" 2>/dev/null
    wait "$ct"; rc=$?
    kill -CONT "$pid"
    wait "$slow"; wrc=$?
    if [ $rc -ne 0 ]; then fail stopped_worker_writes_nothing_late "job failed ($rc)"
    elif [ $wrc -ne 0 ]; then
        fail stopped_worker_writes_nothing_late "the stopped worker exited $wrc: $(cat "$WORK/st-slow.err")"
    elif ! grep -q "cannot create mr-im-.*No such file" "$WORK/st-slow.err"; then
        fail stopped_worker_writes_nothing_late "it did not try to write late: $(cat "$WORK/st-slow.err")"
    elif [ "$(ls -A | tr '\n' ' ')" != "$(printf 'mr-out-%d ' 0 1 2 3 4 5 6 7 8 9)mr-success " ]
    then fail stopped_worker_writes_nothing_late "files: $(ls -A | tr '\n' ' ')"
    else pass stopped_worker_writes_nothing_late; fi
}

# has_children PID N: PID has at least N child processes now.
has_children() { [ "$(pgrep -c -P "$1")" -ge "$2" ]; }

# mrrun SIGKILLed: its workers die with it, and no socket or directory of
# its is left in $TMPDIR or in the job's directory's visible names.
check_killed_mrrun() {
    local d=$WORK/kill-run kids k alive=""
    mkdir -p "$d/tmp" && cd "$d" || return
    coproc KR { FAULTY_MAP_MS=5000 TMPDIR=$d/tmp exec "$B/mrrun" \
                --app "$FAULTY" "$IN/a.txt" "$IN/b.txt" 2>/dev/null; }
    local rpid=$KR_PID
    read_until "${KR[0]}" 'running*'
    # mrrun says "running" just before it forks its 2 workers.
    wait_for 10 has_children "$rpid" 2
    kids=$(pgrep -P "$rpid")
    kill -KILL "$rpid"
    cat <&"${KR[0]}" >/dev/null
    wait "$rpid" 2>/dev/null
    for k in $kids; do wait_for 10 gone "$k" || alive="$alive $k"; done
    if [ -z "$kids" ]; then fail killed_mrrun_takes_its_workers "no workers seen"
    elif [ -n "$alive" ]; then
        fail killed_mrrun_takes_its_workers "workers still alive:$alive"
        kill -KILL $alive
    elif [ -n "$(ls -A tmp)" ]; then
        fail killed_mrrun_takes_its_workers "left in TMPDIR: $(ls -A tmp)"
    elif [ "$(ls | tr '\n' ' ')" != "tmp " ]; then
        fail killed_mrrun_takes_its_workers "visible files: $(ls | tr '\n' ' ')"
    else pass killed_mrrun_takes_its_workers; fi
}

# ---------------------------------------------------------------- 5

# Workers exit 1 when the job failed, with the reason as their last line.
check_worker_exit_failed() {
    local d=$WORK/exit-failed rc wrc line why
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/ef.log" \
        --addr "unix:$WORK/ef.s" "$IN/good.txt" "$IN/fail.txt" ||
        { fail worker_exits_1_when_job_fails "no coordinator"; return; }
    local ct=$TPID
    $TIMEOUT "$B/mrworker" --addr "unix:$WORK/ef.s" "$FAULTY" 2>"$WORK/ef.err"
    wrc=$?
    wait "$ct"; rc=$?
    line=$(tail -n 1 "$WORK/ef.err")
    if [ $rc -ne 1 ]; then fail worker_exits_1_when_job_fails "coordinator exit $rc"
    elif [ $wrc -ne 1 ]; then fail worker_exits_1_when_job_fails "worker exit $wrc"
    elif ! echo "$line" | grep -q \
            "^mrworker: the job failed: map task 1 (input .*fail.txt) failed 4 times"
    then fail worker_exits_1_when_job_fails "last line: $line"
    elif ! why=$(only_failure_note .); then
        fail worker_exits_1_when_job_fails "$why"
    else pass worker_exits_1_when_job_fails; fi
}

# refused_worker NAME PATTERN DIR APP: a coordinator, the lab's way, and a
# slow faulty worker in its own directory that joins first; then a worker
# running APP in DIR is refused: exit 4, one line matching PATTERN, one
# line of the coordinator's too, nothing written in DIR; and the job
# finishes with its own worker, its output its own.
refused_worker() {
    local name=$1 pattern=$2 wdir=$3 app=$4 d=$WORK/$1 rc crc w1rc
    mkdir -p "$d" "$wdir" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/$name.log" \
        --addr "unix:$WORK/$name.s" "$IN/good.txt" "$IN/a.txt" ||
        { fail "$name" "no coordinator"; return; }
    local ct=$TPID
    FAULTY_MAP_MS=1000 $TIMEOUT "$B/mrworker" --addr "unix:$WORK/$name.s" \
        "$FAULTY" &
    local w1=$!
    wait_for 20 logged "$WORK/$name.log" "joined"
    (cd "$wdir" && $TIMEOUT "$B/mrworker" --addr "unix:$WORK/$name.s" "$app" \
        2>"$WORK/$name.err")
    rc=$?
    wait "$ct"; crc=$?
    wait "$w1"; w1rc=$?
    if [ $rc -ne 4 ] || [ "$(wc -l < "$WORK/$name.err")" -ne 1 ] ||
       ! grep -q "refused this worker: $pattern" "$WORK/$name.err"; then
        fail "$name" "exit $rc: $(cat "$WORK/$name.err")"
    elif ! grep -q "refused a worker .*$pattern" "$WORK/$name.log"; then
        fail "$name" "the coordinator did not say so"
    elif [ "$wdir" != "$d" ] && [ -n "$(ls -A "$wdir")" ]; then
        fail "$name" "it wrote in its directory"
    elif [ $crc -ne 0 ] || [ $w1rc -ne 0 ]; then
        fail "$name" "the job: coordinator $crc, worker $w1rc"
    elif [ "$(sort mr-out-* | grep -c ' 1$')" -ne 2 ]; then
        fail "$name" "output: $(cat mr-out-*)"
    else pass "$name"; fi
}

# A worker in another directory than the job's, or with another app, is
# refused, and harms nothing.
check_worker_refusals() {
    refused_worker worker_in_another_directory_refused \
        "this job's directory is $WORK/worker_in_another_directory_refused, where its first worker runs; this worker runs in $WORK/elsewhere" \
        "$WORK/elsewhere" "$FAULTY"
    refused_worker worker_with_another_app_refused \
        "this job runs app faulty .*this worker loaded indexer" \
        "$WORK/worker_with_another_app_refused" "$B/apps/indexer.so"
    # The same app's name and ABI, other contents (a byte appended still
    # loads): a different build, refused by its digest.
    cp "$FAULTY" "$WORK/faulty-other.so" && echo >> "$WORK/faulty-other.so"
    refused_worker worker_with_another_build_refused \
        "this job runs app faulty (ABI [0-9]*, blake2b [0-9a-f]*...), this worker loaded faulty (ABI [0-9]*, blake2b" \
        "$WORK/worker_with_another_build_refused" "$WORK/faulty-other.so"
}

# ---------------------------------------------------------------- 6

# mrrun_fails NAME INPUT PATTERN: mrrun with the faulty app on good.txt and
# INPUT exits 1, its last line says the job failed, matching PATTERN, and
# its directory, empty before, holds only the job's failure note.
mrrun_fails() {
    local name=$1 input=$2 pattern=$3 d=$WORK/$1 rc last why
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$FAULTY" "$IN/good.txt" "$IN/$input" >/dev/null \
        2>"$WORK/$name.err"
    rc=$?
    last=$(tail -n 1 "$WORK/$name.err")
    if [ $rc -ne 1 ]; then fail "$name" "exit $rc"
    elif ! echo "$last" | grep -q "^mrrun: job failed: $pattern"; then
        fail "$name" "last line: $last"
    elif ! why=$(only_failure_note .); then
        fail "$name" "$why"
    else pass "$name"; fi
}

# A map that segfaults on one input, every time: the job fails after four
# attempts, naming the task, its input and the signal, instead of retrying
# forever; through mrrun, and the lab's way with workers restarted in loops.
# A map whose worker vanishes without a word (_exit) every time is lost,
# not failed, but limited too.
check_poison_task() {
    local d=$WORK/poison-lab rc last n why
    mrrun_fails poison_task_fails_the_job segv.txt \
        "map task 1 (input .*segv.txt) failed 4 times; last error: its worker (pid [0-9]*) was killed by SIGSEGV"
    mrrun_fails vanishing_task_fails_the_job vanish.txt \
        "map task 1 (input .*vanish.txt) was lost 16 times"

    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug start_coordinator "$d" "$WORK/pl.log" \
        --addr "unix:$WORK/pl.s" "$IN/good.txt" "$IN/segv.txt" ||
        { fail poison_task_lab "no coordinator"; return; }
    local ct=$TPID
    for _ in 1 2 3; do
        ( while [ ! -e "$WORK/pl.done" ]; do
              $TIMEOUT "$B/mrworker" --addr "unix:$WORK/pl.s" \
                  --connect-timeout 1 "$FAULTY" 2>/dev/null
          done ) 2>/dev/null &
    done
    wait "$ct"; rc=$?
    touch "$WORK/pl.done"
    wait
    last=$(tail -n 1 "$WORK/pl.log")
    n=$(grep -c "attempt [0-9]*: its worker .* killed by SIGSEGV" \
        "$WORK/pl.log")
    if [ $rc -ne 1 ]; then fail poison_task_lab "coordinator exit $rc"
    elif ! echo "$last" | grep -q "^mrcoordinator: job failed: map task 1 (input .*segv.txt) failed 4 times; last error: .*SIGSEGV"
    then fail poison_task_lab "last line: $last"
    elif [ "$n" -ne 4 ]; then
        fail poison_task_lab "$n attempts died of SIGSEGV, wanted 4"
    elif ! why=$(only_failure_note .); then
        fail poison_task_lab "$why"
    else pass poison_task_lab; fi
}

ALL="earlier_results_survive second_job_refused fewer_reduces killed_worker
killed_coordinator stopped_worker killed_mrrun worker_exit_failed
worker_refusals poison_task"
run_checks "$ALL" "$@"
