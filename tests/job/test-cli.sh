#!/usr/bin/env bash
# The programs as a user meets them: --help, bad arguments and bad inputs
# (each one clear line on stderr, a non-zero exit, nothing written), and
# mrrun end to end: default input, crashing workers, an interrupt. Prints
# one "PASS name" or "FAIL name: why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-clitest
make_inputs --size 100000 a.txt b.txt c.txt

# expect_job_failure NAME PATTERN CMD...: CMD (which sets its own
# timeouts), run in a fresh directory, exits 1, its last line on stderr
# says the job failed, matching PATTERN, and the directory holds only the
# job's failure note.
expect_job_failure() {
    local name=$1 pattern=$2 dir=$WORK/err-$1 rc last why
    shift 2
    mkdir "$dir"
    (cd "$dir" && "$@" >/dev/null 2>"$WORK/stderr-$name")
    rc=$?
    last=$(tail -n 1 "$WORK/stderr-$name")
    if [ $rc -ne 1 ]; then
        fail "$name" "exit status $rc, wanted 1: $last"
    elif ! echo "$last" | grep -q -- "job failed: .*$pattern"; then
        fail "$name" "last line '$last' lacks 'job failed: .*$pattern'"
    elif ! why=$(only_failure_note "$dir"); then
        fail "$name" "$why"
    else
        pass "$name"
    fi
}

# mrcoordinator on the arguments with one wc worker, both in the current
# directory; returns the coordinator's status.
coordinator_with_worker() {
    local sock=unix:$WORK/cw.sock pid
    timeout 30 "$B/mrcoordinator" --addr "$sock" "$@" &
    pid=$!
    timeout 30 "$B/mrworker" --addr "$sock" "$B/apps/wc.so" \
        2>>"$WORK/cw-worker.log"
    wait $pid
}

for prog in mrcoordinator mrworker mrsequential mrrun mrgen mrstatus; do
    if "$B/$prog" --help | grep -q '^usage:'; then pass "help_$prog"
    else fail "help_$prog" "no usage on stdout"; fi
done

S=unix:$WORK/sock
expect_error coord_no_files 2 "no input files" "$B/mrcoordinator" --addr "$S"
expect_error coord_bad_reduce 2 "reduce wants a whole number" \
    "$B/mrcoordinator" --addr "$S" --reduce abc "$IN/a.txt"
expect_error coord_bad_timeout 2 "task-timeout" \
    "$B/mrcoordinator" --addr "$S" --task-timeout -1 "$IN/a.txt"
expect_error coord_unknown_option 2 "mrcoordinator --help" \
    "$B/mrcoordinator" --frobnicate "$IN/a.txt"
# A name the coordinator cannot find is not refused: it may resolve from
# the workers' directory (coordinator/splits.h). A worker that cannot find
# it either fails the job, which names the file.
expect_job_failure coord_missing_input "nope.txt: No such file" \
    coordinator_with_worker "$IN/a.txt" "$IN/nope.txt"
mkdir -p "$WORK/empty-dir"
expect_error coord_empty_directory_input 2 "holds no file to read" \
    "$B/mrcoordinator" --addr "$S" "$WORK/empty-dir"
expect_error coord_bad_address 2 "neither unix:/path nor tcp:host:port" \
    "$B/mrcoordinator" --addr "http://x" "$IN/a.txt"
expect_error coord_open_tcp_without_token 2 "not a loopback address" \
    "$B/mrcoordinator" --addr tcp:0.0.0.0:0 "$IN/a.txt"
printf 'short\n' > "$WORK/short-token" && chmod 600 "$WORK/short-token"
expect_error coord_short_token 2 "at least 16 random" \
    "$B/mrcoordinator" --token-file "$WORK/short-token" "$IN/a.txt"
head -c 32 /dev/urandom | base64 > "$WORK/open-token"
chmod 644 "$WORK/open-token"
expect_error worker_token_open_to_others 2 "chmod 600" \
    "$B/mrworker" --token-file "$WORK/open-token" "$B/apps/wc.so"
# Without APP.so a worker takes the job's module (test-network.sh); more
# than a module and a socket is refused.
expect_error worker_too_many_args 2 "expected an app module (.so) or none" \
    "$B/mrworker" "$B/apps/wc.so" "$S" extra
expect_error worker_missing_app 2 "nope.so: No such file" \
    "$B/mrworker" --addr "$S" "$WORK/nope.so"
expect_error worker_not_elf 2 "not a loadable app module" \
    "$B/mrworker" --addr "$S" "$IN/a.txt"
expect_error worker_no_coordinator 3 "no coordinator is listening at" \
    "$B/mrworker" --addr "$S" --connect-timeout 0.2 "$B/apps/wc.so"
# Bytes only: 32M once meant 32 bytes, silently raised to 4 MiB. mrrun
# refuses it before starting workers that would.
expect_error worker_bad_map_buffer 2 "MR_MAP_BUFFER wants .* not '32M'" \
    env MR_MAP_BUFFER=32M "$B/mrworker" --addr "$S" "$B/apps/wc.so"
expect_error run_bad_map_buffer 2 "^mrrun: MR_MAP_BUFFER wants" \
    env MR_MAP_BUFFER=32M "$B/mrrun" "$IN/a.txt"
expect_error seq_missing_input 1 "cannot open input .*nope.txt: No such file" \
    "$B/mrsequential" "$B/apps/wc.so" "$IN/nope.txt"
expect_error run_unknown_app 2 "apps/nosuch.so" "$B/mrrun" --app nosuch

# One rule for naming an app (common/app_name.h) in every program: NAME or
# NAME.so from the build's apps, a path as it is, a file of that name here;
# a name found nowhere is one line with what was tried and the apps there,
# exit 2, nothing written.
reference "$B/apps/wc.so" "$WORK/wc-want" "$IN/a.txt"
# names_app NAME DIR CMD...: CMD (which sets its own timeouts), run in
# DIR, writes wc's output.
names_app() {
    local name=$1 dir=$2
    shift 2
    if (cd "$dir" && rm -f mr-out-* mr-success && "$@" \
            > "$WORK/names.out" 2>&1) &&
        sort "$dir"/mr-out-* | grep . | cmp -s - "$WORK/wc-want"; then
        pass "$name"
    else fail "$name" "$(tail -2 "$WORK/names.out")"; fi
}
mkdir -p "$WORK/names/sub"
cp "$B/apps/wc.so" "$WORK/names/sub/wc.so"
# spec_label SPEC: SPEC as part of a check's name.
spec_label() { case $1 in */*) echo path ;; *) echo "${1/./_}" ;; esac; }
for spec in wc wc.so ./sub/wc.so; do
    names_app "seq_app_named_$(spec_label "$spec")" "$WORK/names" \
        timeout 60 "$B/mrsequential" "$spec" "$IN/a.txt"
    names_app "run_app_named_$(spec_label "$spec")" "$WORK/names" \
        timeout 60 "$B/mrrun" --app "$spec" "$IN/a.txt"
done
# The lab's form: a bare file name in the current directory (one the
# build's apps do not have).
cp "$B/apps/wc.so" "$WORK/names/sub/mywc.so"
names_app seq_app_file_here "$WORK/names/sub" \
    timeout 60 "$B/mrsequential" mywc.so "$IN/a.txt"
# worker_names_app SPEC: a job of mrcoordinator and one mrworker SPEC, in
# $WORK/names.
worker_names_app() {
    local sock=unix:$WORK/names.sock pid
    timeout 60 "$B/mrcoordinator" --addr "$sock" "$IN/a.txt" 2>/dev/null &
    pid=$!
    timeout 60 "$B/mrworker" --addr "$sock" "$1" && wait $pid
}
for spec in wc wc.so ./sub/wc.so; do
    names_app "worker_app_named_$(spec_label "$spec")" "$WORK/names" \
        worker_names_app "$spec"
done
# mrcoordinator --app NAME: a worker without a module fetches it.
coordinator_names_app() {
    local sock=unix:$WORK/names.sock pid
    timeout 60 "$B/mrcoordinator" --addr "$sock" --app wc.so "$IN/a.txt" \
        2>/dev/null &
    pid=$!
    timeout 60 "$B/mrworker" --addr "$sock" && wait $pid
}
names_app coordinator_app_named_wc_so "$WORK/names" coordinator_names_app
for prog in mrsequential mrworker mrcoordinator mrrun; do
    case $prog in
        mrsequential) args=(nosuch "$IN/a.txt") ;;
        mrworker) args=(nosuch "$S") ;;
        *) args=(--app nosuch.so "$IN/a.txt") ;;
    esac
    expect_error "${prog}_unknown_app" 2 \
        "no app module 'nosuch.*not ./nosuch.*apps/nosuch.so.*apps there: .*indexer, .*wc" \
        "$B/$prog" "${args[@]}"
done
expect_error run_bad_workers 2 "workers wants a whole number from 1" \
    "$B/mrrun" --workers 0
# mrrun's workers run where it does: a name it cannot find is a mistake.
expect_error run_missing_input 1 "input file .*nope.txt: No such file" \
    "$B/mrrun" "$IN/nope.txt"

# A second coordinator on a live one's socket is refused; the first is
# unharmed and still finishes its job.
test_live_socket() {
    local dir=$WORK/live rc first pid
    mkdir -p "$dir/second" && cd "$dir" || return
    # No worker yet, so it cannot finish.
    start_coordinator "$dir" "$WORK/live.log" --addr "unix:$dir/s" \
        "$IN/a.txt" || { fail live_socket "no first coordinator"; return; }
    pid=$TPID
    (cd second && timeout 10 "$B/mrcoordinator" --addr "unix:$dir/s" \
        "$IN/b.txt" 2>"$dir/err")
    rc=$?
    timeout 60 "$B/mrworker" --addr "unix:$dir/s" "$B/apps/nocrash.so"
    wait "$pid"; first=$?
    if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
        fail live_socket "second coordinator started (exit $rc)"
    elif ! grep -q "already listening" "$dir/err"; then
        fail live_socket "message: $(cat "$dir/err")"
    elif [ $first -ne 0 ] || ! grep -q xyzzy mr-out-*; then
        fail live_socket "first coordinator's job failed ($first)"
    elif [ -n "$(ls -A second)" ]; then
        fail live_socket "the refused coordinator wrote files"
    else pass live_socket; fi
}

# mrrun on the generated default input, checked against mrsequential.
test_run_default_input() {
    local dir=$WORK/run-default
    mkdir -p "$dir/tmp" && cd "$dir" || return
    if ! TMPDIR=$dir/tmp timeout 120 "$B/mrrun" > out.txt 2>&1; then
        fail run_default_input "mrrun failed: $(tail -3 out.txt)"; return
    fi
    sort mr-out-* | grep . > dist.txt
    "$B/mrsequential" "$B/apps/wc.so" mr-input/*.txt && sort mr-out-0 > seq.txt
    if ! cmp -s dist.txt seq.txt; then
        fail run_default_input "output differs from mrsequential"
    elif ! grep -q '^done in .* MB/s' out.txt; then
        fail run_default_input "no summary line"
    elif ! grep -q '^top 10 words:' out.txt; then
        fail run_default_input "no top words"
    elif ! grep -q '^map: 8/8 tasks done' out.txt ||
         ! grep -q '^reduce: 10/10 tasks done' out.txt; then
        fail run_default_input "no plain progress lines off a terminal"
    elif ! grep -q ' 8 map + 10 reduce tasks' out.txt; then
        fail run_default_input "not one map task per file: $(grep '^done' out.txt)"
    elif [ -n "$(ls -A tmp)" ]; then
        fail run_default_input "left its socket directory behind"
    else pass run_default_input; fi
}

# Workers that crash a third of the time are replaced; output is right.
test_run_crash() {
    local dir=$WORK/run-crash
    mkdir "$dir" && cd "$dir" || return
    "$B/mrsequential" "$B/apps/nocrash.so" "$IN"/*.txt && sort mr-out-0 > ref
    rm -f mr-out-0
    if ! timeout 300 "$B/mrrun" --app crash --workers 3 "$IN"/*.txt \
            > out.txt 2>/dev/null; then
        fail run_crash "mrrun failed: $(tail -3 out.txt)"; return
    fi
    sort mr-out-* | grep . > got
    if cmp -s got ref; then pass run_crash
    else fail run_crash "output differs from the nocrash reference"; fi
}

# SIGINT stops the job: exit 130, no worker left running.
test_run_interrupt() {
    local dir=$WORK/run-int pid rc kids alive=""
    mkdir "$dir" && cd "$dir" || return
    coproc RUN { exec "$B/mrrun" --app jobcount --workers 2 "$IN"/*.txt 2>&1; }
    pid=$RUN_PID
    # Workers are started right after this line is printed.
    read_until "${RUN[0]}" 'running*'
    kids=$(pgrep -P "$pid")
    kill -INT "$pid"
    cat <&"${RUN[0]}" > out.txt
    wait "$pid"; rc=$?
    for k in $kids; do kill -0 "$k" 2>/dev/null && alive="$alive $k"; done
    if [ $rc -ne 130 ]; then fail run_interrupt "exit status $rc, wanted 130"
    elif [ -z "$kids" ]; then fail run_interrupt "no workers were started"
    elif [ -n "$alive" ]; then fail run_interrupt "workers still alive:$alive"
    elif ! grep -q "interrupted" out.txt; then
        fail run_interrupt "no message: $(cat out.txt)"
    else pass run_interrupt; fi
}

# Stopped while a task runs whose deadline comes during the stop: the
# coordinator exits promptly (its deadline timer once re-armed itself in a
# tight loop and locked the loop, signals included).
test_abort_with_a_running_task() {
    local dir=$WORK/abort log=$WORK/abort.log rc pid worker
    mkdir -p "$dir" && cd "$dir" || return
    MR_LOG=debug start_coordinator "$dir" "$log" --addr "unix:$dir/s" \
        --task-timeout 1 "$IN/a.txt" "$IN/b.txt" ||
        { fail abort_with_a_running_task "no coordinator"; return; }
    pid=$CPID
    timeout 60 "$B/mrworker" --addr "unix:$dir/s" "$B/apps/jobcount.so" \
        >/dev/null 2>&1 &
    worker=$!
    wait_for 60 logged "$log" "-> connection"
    kill -TERM "$pid"
    timeout 10 tail --pid="$pid" -f /dev/null
    rc=$?
    kill "$worker" 2>/dev/null
    [ $rc -eq 0 ] || kill -KILL "$pid" 2>/dev/null
    wait "$TPID" 2>/dev/null
    wait "$worker" 2>/dev/null
    if [ $rc -ne 0 ]; then
        fail abort_with_a_running_task "coordinator still running 10 s after SIGTERM"
    else pass abort_with_a_running_task; fi
}

# A whole job over TCP: the coordinator takes a port from the kernel and
# says which in its log; workers connect there.
# start_tcp_coordinator HOST ARGS...: a coordinator on tcp:HOST:0 with
# more args, in the current directory, logging to $PWD.log; sets TPID and
# TCP_PORT (empty if it never listened).
start_tcp_coordinator() {
    local host=$1
    shift
    TCP_PORT=""
    start_coordinator . "$PWD.log" --addr "tcp:$host:0" "$@" "$IN"/*.txt &&
        TCP_PORT=${COORD_ADDR##*:}
}

# Runs the rest of a TCP job with two workers (worker args in $@) and
# checks its output against mrsequential's. Prints nothing; returns 0 or
# fails the test NAME.
finish_tcp_job() {
    local name=$1 rc
    shift
    timeout 60 "$B/mrworker" --addr "tcp:127.0.0.1:$TCP_PORT" "$@" \
        "$B/apps/wc.so" &
    timeout 60 "$B/mrworker" --addr "tcp:127.0.0.1:$TCP_PORT" "$@" \
        "$B/apps/wc.so"
    wait "$TPID"
    rc=$?
    wait
    mkdir -p seq && (cd seq && "$B/mrsequential" "$B/apps/wc.so" \
        "$IN"/*.txt && sort mr-out-0 > ../ref)
    sort mr-out-* | grep . > got
    if [ -z "$TCP_PORT" ]; then fail "$name" "no 'listening on' line"
    elif [ $rc -ne 0 ]; then fail "$name" "coordinator exited $rc"
    elif cmp -s got ref; then return 0
    else fail "$name" "output differs from mrsequential"; fi
    return 1
}

# Without a token, a TCP worker may not choose the job's directory: the
# coordinator is given one.
test_job_over_tcp() {
    mkdir -p "$WORK/tcp" && cd "$WORK/tcp" || return
    start_tcp_coordinator 127.0.0.1 --output "$WORK/tcp"
    finish_tcp_job job_over_tcp && pass job_over_tcp
}

# Without --output or a token, a worker over TCP may not choose where the
# coordinator writes (anyone who can reach the port could): refused with
# one line, exit 4, nothing written.
test_tcp_worker_cannot_choose_directory() {
    local name=tcp_worker_cannot_choose_directory rc
    mkdir -p "$WORK/tcp-choose" && cd "$WORK/tcp-choose" || return
    start_tcp_coordinator 127.0.0.1
    timeout 30 "$B/mrworker" --addr "tcp:127.0.0.1:$TCP_PORT" \
        "$B/apps/wc.so" 2> worker.err
    rc=$?
    kill "$TPID" 2>/dev/null
    wait "$TPID" 2>/dev/null
    if [ $rc -ne 4 ]; then fail $name "worker exited $rc"
    elif [ "$(wc -l < worker.err)" -ne 1 ] ||
         ! grep -q "cannot choose the job's directory: give the coordinator --output DIR" worker.err
    then fail $name "worker said: $(cat worker.err)"
    elif [ "$(ls -A | tr '\n' ' ')" != "worker.err " ]; then
        fail $name "files: $(ls -A | tr '\n' ' ')"
    else pass $name; fi
}

# On every interface, with a token: a worker with the wrong token is
# refused with one line and changes nothing; workers with the right one
# run the job.
test_job_over_tcp_with_token() {
    local name=job_over_tcp_with_token rc
    mkdir -p "$WORK/tcp-token" && cd "$WORK/tcp-token" || return
    head -c 32 /dev/urandom | base64 > token && chmod 600 token
    head -c 32 /dev/urandom | base64 > wrong && chmod 600 wrong
    start_tcp_coordinator 0.0.0.0 --token-file token
    timeout 30 "$B/mrworker" --addr "tcp:127.0.0.1:$TCP_PORT" \
        --token-file wrong "$B/apps/wc.so" 2> wrong.err
    rc=$?
    if [ $rc -eq 0 ]; then
        fail "$name" "a worker with the wrong token exited 0"
    elif [ "$(wc -l < wrong.err)" -ne 1 ] ||
         ! grep -q "does not know this token" wrong.err; then
        fail "$name" "wrong-token worker said: $(head -c 300 wrong.err)"
    elif ls mr-out-* >/dev/null 2>&1; then
        fail "$name" "the refused worker wrote output"
    elif finish_tcp_job "$name" --token-file token; then
        pass "$name"
    fi
    # Whatever failed, leave no coordinator behind.
    kill "$TPID" 2>/dev/null
    wait 2>/dev/null
}

# A map output corrupted between map and reduce: its checksum catches it,
# that map runs again, and the output is right. With one worker running
# jobcount (2-5 s per map), map 0's output sits on disk for seconds while
# map 1 runs; the test waits for the file, then flips its first byte.
test_corrupt_intermediate() {
    local dir=$WORK/corrupt pid rc n im
    mkdir -p "$dir" && cd "$dir" || return
    timeout 120 "$B/mrcoordinator" --addr "unix:$dir/s" "$IN/a.txt" \
        "$IN/b.txt" 2>coord.log &
    pid=$!
    timeout 120 "$B/mrworker" --addr "unix:$dir/s" "$B/apps/jobcount.so" \
        2>/dev/null &
    # The intermediate file is in the job's private directory, .mr-<id>/.
    im=$(wait_for 60 first_match ".mr-*/mr-im-0-1")
    printf '\377' | dd of="$im" bs=1 count=1 conv=notrunc 2>/dev/null
    wait $pid; rc=$?
    wait
    n=$(cat mr-out-* 2>/dev/null | awk '{print $2}')
    if [ $rc -ne 0 ]; then
        fail corrupt_intermediate "job failed: $(tail -2 coord.log)"
    elif ! grep -q "running that map again" coord.log; then
        fail corrupt_intermediate "the corruption went unnoticed"
    elif [ "$n" != 3 ]; then
        fail corrupt_intermediate "jobcount says '$n', wanted 3 (2 maps + 1 rerun)"
    else pass corrupt_intermediate; fi
}

test_live_socket
test_corrupt_intermediate
test_job_over_tcp
test_tcp_worker_cannot_choose_directory
test_job_over_tcp_with_token
test_abort_with_a_running_task
test_run_default_input
test_run_crash
test_run_interrupt
