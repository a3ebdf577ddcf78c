#!/usr/bin/env bash
# Executable apps (--mapper CMD --reducer CMD [--framed], docs/exec-apps.md):
# the word count written in Python and in awk gives wc.so's output through
# mrrun, mrsequential and mrcoordinator with mrworker processes, and the
# same scripts give it through a shell pipeline; the framed protocol
# carries keys with tabs, newlines and NUL bytes; a failing, a hanging, a
# non-reading and a badly framing mapper each end as a user would want; a
# --combiner runs on every spill of map output (text and framed), its
# output re-sorted, and a failing one fails the job naming it. The
# commands' processes: a failing mapper fails the job even when the
# program started with SIGCHLD ignored; stopping mrrun or mrsequential
# (SIGTERM, SIGINT) ends its running command's whole process group, a
# mrworker stopped by SIGTERM, SIGHUP or SIGSEGV its command's group, and
# a SIGKILLed one its command's shell; a command gets its stdin and
# stdout when mrsequential started with fd 0 or fd 1 closed.
# Prints one "PASS name" or "FAIL name: why" line per check.
#
# Usage: BUILD=build tests/job/test-exec.sh [CHECK...]
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-exectest
TIMEOUT="timeout -k 2s 120s"
SUP=$(cd "$(dirname "$0")/../support/exec" && pwd)
PYMAP="python3 $SUP/wc_map.py"
PYRED="python3 $SUP/wc_reduce.py"
AWKMAP="awk -f $SUP/wc_map.awk"
AWKRED="awk -f $SUP/wc_reduce.awk"
need "$B/apps/wc.so" "$B/mrrun" "$B/mrgen"
make_inputs --ascii --size 200000 a.txt b.txt c.txt
reference "$B/apps/wc.so" "$WORK/want-wc" "$IN"/*.txt ||
    { fail setup "mrsequential failed"; exit 1; }

# A bigger input for the combiner's checks, and wc.so's output on it:
# one map task of it outgrows a 4 MiB map buffer several times.
"$B/mrgen" --ascii --size 3000000 "$IN/comb.big" &&
    reference "$B/apps/wc.so" "$WORK/want-comb" "$IN/comb.big" ||
    { fail setup "could not make the combiner's input"; exit 1; }
SMALL_BUFFER=4194304

# A fresh, empty directory for a check; the check runs in it.
enter() {
    mkdir "$WORK/$1" && cd "$WORK/$1" || exit 1
}

# same_as_wc NAME: the outputs here, sorted, are wc.so's.
same_as_wc() {
    if ! cat mr-out-* 2>/dev/null | sort | cmp -s - "$WORK/want-wc"; then
        fail "$1" "output differs from wc.so's ($(cat mr-out-* | wc -l)" \
            "lines, wanted $(wc -l < "$WORK/want-wc"))"
    else
        pass "$1"
    fi
}

check_python_mrrun() {
    enter python_mrrun
    if ! $TIMEOUT "$B/mrrun" --workers 3 --reduce 4 --split-size 64K \
            --mapper "$PYMAP" --reducer "$PYRED" "$IN"/*.txt > ../py.out \
            2>&1; then
        fail python_mrrun "mrrun failed: $(tail -n 3 ../py.out)"
    elif [ "$(ls mr-out-* | wc -l)" -ne 4 ]; then
        fail python_mrrun "not 4 outputs: $(ls)"
    else
        same_as_wc python_mrrun
    fi
}

check_awk_mrrun() {
    enter awk_mrrun
    if ! $TIMEOUT "$B/mrrun" --workers 2 --reduce 3 --split-size 100K \
            --mapper "$AWKMAP" --reducer "$AWKRED" "$IN"/*.txt > ../awk.out \
            2>&1; then
        fail awk_mrrun "mrrun failed: $(tail -n 3 ../awk.out)"
    else
        same_as_wc awk_mrrun
    fi
}

check_sequential() {
    local name
    for name in python awk; do
        enter "sequential_$name"
        if [ $name = python ]; then
            $TIMEOUT "$B/mrsequential" --mapper "$PYMAP" --reducer "$PYRED" \
                "$IN"/*.txt 2> ../seq.err
        else
            $TIMEOUT "$B/mrsequential" --mapper "$AWKMAP" \
                --reducer "$AWKRED" "$IN"/*.txt 2> ../seq.err
        fi || { fail "sequential_$name" "$(cat ../seq.err)"; continue; }
        same_as_wc "sequential_$name"
    done
}

# mrcoordinator and mrworker processes; a worker with other commands is
# refused as another app. The job's mappers first wait for a lock held
# here, so that a worker of the job has joined (its mapper started) and the
# job still runs when the other worker joins: neither can win the race.
check_processes() {
    local sock=$WORK/processes.sock gate=$WORK/processes.gate rc other
    local started=$WORK/processes.started
    local held="touch $started; flock -s $gate true; $PYMAP"
    enter processes
    exec 9> "$gate" && flock 9 || { fail processes "cannot lock"; return; }
    $TIMEOUT "$B/mrcoordinator" --addr "unix:$sock" --reduce 3 \
        --split-size 100K "$IN"/*.txt 2> ../coord.err 9>&- & local pid=$!
    wait_for 20 test -S "$sock" || { fail processes "no socket"; return; }
    $TIMEOUT "$B/mrworker" --addr "unix:$sock" --mapper "$held" \
        --reducer "$PYRED" 2>/dev/null 9>&- &
    $TIMEOUT "$B/mrworker" --addr "unix:$sock" --mapper "$held" \
        --reducer "$PYRED" 2>/dev/null 9>&- &
    wait_for 20 test -e "$started" ||
        { fail processes "no mapper started"; flock -u 9; return; }
    $TIMEOUT "$B/mrworker" --addr "unix:$sock" --mapper "$AWKMAP" \
        --reducer "$PYRED" 2> ../other.err 9>&-
    other=$?
    flock -u 9
    exec 9>&-
    wait $pid; rc=$?
    wait
    if [ $rc -ne 0 ]; then
        fail processes "coordinator exited $rc: $(tail -n 2 ../coord.err)"
    elif [ $other -ne 4 ] || ! grep -q "same module" ../other.err; then
        fail processes "the worker with another mapper was not refused" \
            "(exit $other): $(head -c 300 ../other.err)"
    else
        same_as_wc processes
    fi
}

# The same scripts, unchanged, through cat | map | sort | reduce (each file
# given its own last newline: mrgen's end without one, and cat would join
# the last word of one file to the first of the next).
each_file() {
    local f
    for f in "$IN"/*.txt; do cat "$f"; echo; done
}

check_pipeline() {
    enter pipeline
    each_file | $PYMAP | LC_ALL=C sort | $PYRED | sed 's/\t/ /' |
        sort > py.txt
    each_file | $AWKMAP | LC_ALL=C sort | $AWKRED | sed 's/\t/ /' |
        sort > awk.txt
    if ! cmp -s py.txt "$WORK/want-wc"; then
        fail pipeline "python scripts in a pipeline differ from wc.so"
    elif ! cmp -s awk.txt "$WORK/want-wc"; then
        fail pipeline "awk scripts in a pipeline differ from wc.so"
    else
        pass pipeline
    fi
}

# Keys and values with tabs, newlines, NULs and CRs, through mrrun and
# mrsequential, against what bin_expect.py computes from the inputs.
check_framed_binary() {
    local map="python3 $SUP/bin_map.py" red="python3 $SUP/bin_reduce.py"
    enter framed_binary
    python3 "$SUP/bin_input.py" ../bin1 3000 1 &&
        python3 "$SUP/bin_input.py" ../bin2 2000 2 &&
        python3 "$SUP/bin_expect.py" ../bin.want ../bin1 ../bin2 ||
        { fail framed_binary "could not make the inputs"; return; }
    if ! $TIMEOUT "$B/mrrun" --framed --reduce 1 --split-size 16K \
            --mapper "$map" --reducer "$red" ../bin1 ../bin2 > ../bin.out \
            2>&1; then
        fail framed_binary "mrrun failed: $(tail -n 3 ../bin.out)"
    elif ! cmp -s mr-out-0 ../bin.want; then
        fail framed_binary "mrrun's output differs from the expected"
    elif ! (mkdir seq && cd seq && $TIMEOUT "$B/mrsequential" --framed \
            --mapper "$map" --reducer "$red" ../../bin1 ../../bin2); then
        fail framed_binary "mrsequential failed"
    elif ! cmp -s seq/mr-out-0 ../bin.want; then
        fail framed_binary "mrsequential's output differs from the expected"
    else
        pass framed_binary
    fi
}

# job_fails NAME PATTERN MRRUN_ARGS...: mrrun exits 1, its last stderr
# line is the job's failure and matches PATTERN, only mr-failed is left,
# and no process of the command is left running.
job_fails() {
    local name=$1 pattern=$2 rc last why
    shift 2
    enter "$name"
    $TIMEOUT "$B/mrrun" --workers 2 --reduce 2 "$@" > "../$name.out" \
        2> "../$name.err"
    rc=$?
    last=$(grep 'mrrun: job failed' "../$name.err" | tail -n 1)
    if [ $rc -ne 1 ]; then
        fail "$name" "exit status $rc, wanted 1: $(tail -n 2 "../$name.err")"
    elif ! echo "$last" | grep -q -- "$pattern"; then
        fail "$name" "the failure '$last' lacks '$pattern'"
    elif ! why=$(only_failure_note .); then
        fail "$name" "$why"
    elif pgrep -f "^sh -c .*exec-test-marker-$name-$$" > /dev/null; then
        fail "$name" "a command of the job is still running"
    else
        pass "$name"
    fi
}

check_mapper_fails() {
    job_fails mapper_fails \
        'mapper `.*` exited with status 2.*its stderr: bad record 17' \
        --mapper 'echo "bad record 17" >&2; exit 2' --reducer cat \
        "$IN/a.txt"
}

check_mapper_hangs() {
    job_fails mapper_hangs \
        'mapper `sleep 1000;.*` neither read nor wrote for 1 s' \
        --exec-timeout 1 \
        --mapper "sleep 1000; : exec-test-marker-mapper_hangs-$$" \
        --reducer cat "$IN/a.txt"
}

check_framed_malformed() {
    job_fails framed_malformed \
        'wrote malformed framing: at byte 0 a key length of 4294967295' \
        --framed --mapper "printf '\\377\\377\\377\\377xx'" --reducer cat \
        "$IN/a.txt"
}

# A mapper that never reads its big split, and one that writes 4 MB before
# reading: no deadlock, the job completes with their output.
check_mapper_not_reading() {
    local rc lines
    enter mapper_not_reading
    "$B/mrgen" --ascii --size 8000000 ../big.txt
    $TIMEOUT "$B/mrrun" --reduce 2 --split-size 64M \
        --mapper 'echo fixed line' --reducer cat ../big.txt > ../nr.out 2>&1
    rc=$?
    lines=$(cat mr-out-* 2>/dev/null)
    # A line without a TAB is a key with an empty value: "fixed line ".
    if [ $rc -ne 0 ]; then
        fail mapper_not_reading "mrrun exited $rc: $(tail -n 2 ../nr.out)"
    elif [ "$lines" != "fixed line " ]; then
        fail mapper_not_reading "output '$lines', wanted 'fixed line '"
    else
        rm -f mr-*
        $TIMEOUT "$B/mrrun" --reduce 1 --split-size 64M --mapper \
            "head -c 4000000 /dev/zero | tr '\\0' x | fold -w 100; echo; wc -c" \
            --reducer 'sort | uniq -c' ../big.txt > ../nr2.out 2>&1
        rc=$?
        if [ $rc -ne 0 ]; then
            fail mapper_not_reading "write-first mapper: mrrun exited $rc:" \
                "$(tail -n 2 ../nr2.out)"
        elif ! grep -q "^ *1 8000000 *$" mr-out-0; then
            fail mapper_not_reading "the write-first mapper did not read" \
                "all of its split: $(grep -v xxx mr-out-0 | head -c 200)"
        else
            pass mapper_not_reading
        fi
    fi
}

# ---------------------------------------------------------------- combiner

# marker_counter NAME: counter NAME of the success marker here.
marker_counter() {
    sed -n "s/^    \"$1\": \([0-9]*\),\{0,1\}\$/\1/p" mr-success
}

# combined_on_spills NAME: the job here spilled several runs, every map
# output record went into the combiner, fewer came out, and those are the
# intermediate records; its output is wc.so's on comb.big. Else says why.
combined_on_spills() {
    local runs cin cout emitted inter
    runs=$(marker_counter "spilled runs")
    cin=$(marker_counter "combine input records")
    cout=$(marker_counter "combine output records")
    emitted=$(marker_counter "map output records")
    inter=$(marker_counter "intermediate records")
    if ! cat mr-out-* 2>/dev/null | sort | cmp -s - "$WORK/want-comb"; then
        fail "$1" "output differs from wc.so's"
    elif [ "${runs:-0}" -lt 2 ]; then
        fail "$1" "spilled ${runs:-no} runs: the buffer did not force spills"
    elif [ "$cin" != "$emitted" ]; then
        fail "$1" "combine input records $cin, map output records $emitted"
    elif [ "${cout:-0}" -ge "$cin" ] || [ "$cout" = 0 ]; then
        fail "$1" "combine output records $cout, input $cin: not combined"
    elif [ "$cout" != "$inter" ]; then
        fail "$1" "combine output records $cout, intermediate $inter"
    else
        pass "$1"
    fi
}

# A Python combiner summing counts per key (the word count's reducer), on
# every spill of one map task with a small buffer.
check_combiner_spills() {
    enter combiner_spills
    if ! MR_MAP_BUFFER=$SMALL_BUFFER $TIMEOUT "$B/mrrun" --workers 2 \
            --reduce 3 --split-size 64M --mapper "$PYMAP" \
            --reducer "$PYRED" --combiner "$PYRED" "$IN/comb.big" \
            > ../cs.out 2>&1; then
        fail combiner_spills "mrrun failed: $(tail -n 3 ../cs.out)"
    else
        combined_on_spills combiner_spills
    fi
}

# The same with the framed protocol (examples/streaming's word count).
check_combiner_framed() {
    local ex
    ex=$(cd "$SUP/../../../examples/streaming" && pwd)
    enter combiner_framed
    if ! MR_MAP_BUFFER=$SMALL_BUFFER $TIMEOUT "$B/mrrun" --framed \
            --workers 2 --reduce 2 --split-size 64M \
            --mapper "python3 $ex/wc_map.py" \
            --reducer "python3 $ex/wc_reduce.py" \
            --combiner "python3 $ex/wc_reduce.py" "$IN/comb.big" \
            > ../cf.out 2>&1; then
        fail combiner_framed "mrrun failed: $(tail -n 3 ../cf.out)"
    else
        combined_on_spills combiner_framed
    fi
}

# --sum-combiner: the mapper's counts added up inside the worker, no
# process: the word count's output, fewer intermediate records than map
# output records; a value that is not a count fails the job saying so.
check_sum_combiner() {
    local emitted inter out rc
    enter sum_combiner
    if ! MR_MAP_BUFFER=$SMALL_BUFFER $TIMEOUT "$B/mrrun" --workers 2 \
            --reduce 3 --split-size 1M --mapper "$AWKMAP" \
            --reducer "$AWKRED" --sum-combiner "$IN/comb.big" \
            > ../sc.out 2>&1; then
        fail sum_combiner "mrrun failed: $(tail -n 3 ../sc.out)"
        return
    fi
    emitted=$(marker_counter "map output records")
    inter=$(marker_counter "intermediate records")
    if ! cat mr-out-* | sort | cmp -s - "$WORK/want-comb"; then
        fail sum_combiner "output differs from wc.so's"
    elif [ "${inter:-0}" -eq 0 ] || [ "$inter" -ge "${emitted:-0}" ]; then
        fail sum_combiner "intermediate records $inter, map output" \
            "records $emitted: not summed"
    else
        rm -f mr-*
        out=$($TIMEOUT "$B/mrrun" --mapper "$AWKMAP | sed 's/1\$/one/'" \
            --reducer "$AWKRED" --sum-combiner "$IN/a.txt" 2>&1); rc=$?
        if [ $rc -ne 1 ] || ! echo "$out" | tail -n 1 |
                grep -q -- "--sum-combiner) but the map emitted one that is not a whole number"; then
            fail sum_combiner "a value not a count: exit $rc, said:" \
                "$(echo "$out" | tail -n 1)"
        else pass sum_combiner; fi
    fi
}

# A combiner that writes its records in reverse order: they are sorted
# again before they are written, so the output is still right.
check_combiner_unsorted() {
    enter combiner_unsorted
    if ! MR_MAP_BUFFER=$SMALL_BUFFER $TIMEOUT "$B/mrrun" --workers 2 \
            --reduce 3 --split-size 1M --mapper "$AWKMAP" \
            --reducer "$AWKRED" --combiner "$AWKRED | tac" \
            "$IN/comb.big" > ../cu.out 2>&1; then
        fail combiner_unsorted "mrrun failed: $(tail -n 3 ../cu.out)"
    elif ! cat mr-out-* | sort | cmp -s - "$WORK/want-comb"; then
        fail combiner_unsorted "output differs from wc.so's: the" \
            "combiner's records were not sorted again"
    else
        pass combiner_unsorted
    fi
}

check_combiner_fails() {
    job_fails combiner_fails \
        'combiner `.*` exited with status 3.*its stderr: combiner broke at 42' \
        --mapper "$AWKMAP" --reducer "$AWKRED" \
        --combiner 'echo "combiner broke at 42" >&2; exit 3' "$IN/a.txt"
}

# A combiner that fails on the first spill of a big split stops its map
# attempt there: the mapper is killed rather than run to its end.
check_combiner_stops_mapper() {
    local rc
    enter combiner_stops_mapper
    MR_MAP_BUFFER=$SMALL_BUFFER $TIMEOUT "$B/mrrun" --workers 1 --reduce 2 \
        --split-size 64M --mapper "$PYMAP && touch ../mapper-finished" \
        --reducer cat --combiner 'exit 3' "$IN/comb.big" > ../csm.out 2>&1
    rc=$?
    if [ $rc -ne 1 ]; then
        fail combiner_stops_mapper "mrrun exited $rc, wanted 1"
    elif [ -e ../mapper-finished ]; then
        fail combiner_stops_mapper "the mapper ran to its end after its" \
            "combiner failed"
    else
        pass combiner_stops_mapper
    fi
}

# ---------------------------------------------------------------- processes

# The words that run a program as a parent ignoring SIGCHLD leaves it (the
# disposition is inherited across exec).
SIGCHLD_IGNORED=(python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])')
# The same with SIGINT at its default action (a background job of this
# script starts with it ignored, and a program keeps it so).
SIGINT_DEFAULT=(python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])')

check_sigchld_ignored() {
    local rc
    enter sigchld_ignored
    timeout -k 2s 30s "${SIGCHLD_IGNORED[@]}" "$B/mrsequential" \
        --mapper 'head -n 1; exit 3' --reducer cat "$IN/a.txt" \
        2> ../sci-seq.err
    rc=$?
    if [ $rc -ne 1 ] || ! grep -q 'exited with status 3' ../sci-seq.err; then
        fail sigchld_ignored "mrsequential exited $rc, wanted 1 with the" \
            "mapper's status 3: $(head -c 300 ../sci-seq.err)"
        return
    fi
    mkdir run && cd run || return
    timeout -k 2s 30s "${SIGCHLD_IGNORED[@]}" "$B/mrrun" --workers 1 \
        --reduce 1 --mapper 'head -n 1; exit 3' --reducer cat "$IN/a.txt" \
        > ../../sci-run.out 2>&1
    rc=$?
    if [ $rc -ne 1 ] || ! grep -q 'job failed: .*exited with status 3' \
            ../../sci-run.out; then
        fail sigchld_ignored "mrrun exited $rc, wanted 1 with the mapper's" \
            "status 3: $(tail -n 2 ../../sci-run.out)"
    else
        pass sigchld_ignored
    fi
}

# group_alive PGID: a process of group PGID is running (a zombie is not:
# whoever adopted it may be slow to reap it).
group_alive() {
    local p
    for p in $(pgrep -g "$1"); do
        case $(ps -o stat= -p "$p" 2>/dev/null) in
        Z*|'') ;;
        *) return 0 ;;
        esac
    done
    return 1
}
group_gone() { ! group_alive "$1"; }

# pid_gone PID: process PID does not run (a zombie does not).
pid_gone() {
    case $(ps -o stat= -p "$1" 2>/dev/null) in
    Z*|'') return 0 ;;
    esac
    return 1
}

# The mapper of the stop checks: it says its process group (its shell's
# pid) in the file $1, then waits in a child of its shell.
stoppable_mapper() {
    echo "echo \$\$ > $1; sleep 300; cat"
}

# stopped NAME SIGNAL WANT_RC PGID_FILE PROGRAM ARGS...: PROGRAM, run in
# the background with the stoppable mapper, gets SIGNAL once its mapper
# runs; it then exits WANT_RC and no process of the mapper's group is
# left. Says PASS or FAIL for NAME.
stopped() {
    local name=$1 sig=$2 want=$3 file=$4 pid pgid rc
    shift 4
    "$@" > "../$name.out" 2>&1 &
    pid=$!
    if ! wait_for 30 test -s "$file"; then
        fail "$name" "the mapper did not start: $(tail -n 2 "../$name.out")"
        kill -KILL "$pid"
        return
    fi
    pgid=$(cat "$file")
    kill "-$sig" "$pid"
    wait_for 20 group_gone "$pgid"
    wait "$pid"
    rc=$?
    if group_alive "$pgid"; then
        fail "$name" "the mapper's processes outlived SIG$sig:" \
            "$(pgrep -a -g "$pgid" | head -n 3 | tr '\n' ' ')"
    elif [ $rc -ne "$want" ]; then
        fail "$name" "exited $rc, wanted $want: $(tail -n 2 "../$name.out")"
    else
        pass "$name"
    fi
    kill -KILL -- "-$pgid" 2>/dev/null
}

check_stop_mrrun() {
    local file=$WORK/stop_mrrun.pgid
    enter stop_mrrun
    stopped stop_mrrun TERM 143 "$file" "$B/mrrun" --workers 1 --reduce 1 \
        --mapper "$(stoppable_mapper "$file")" --reducer cat "$IN/a.txt"
}

check_stop_sequential() {
    local file=$WORK/stop_sequential.pgid
    enter stop_sequential
    stopped stop_sequential TERM 143 "$file" "$B/mrsequential" \
        --mapper "$(stoppable_mapper "$file")" --reducer cat "$IN/a.txt"
    rm -f "$file"
    stopped stop_sequential_int INT 130 "$file" "${SIGINT_DEFAULT[@]}" \
        "$B/mrsequential" --mapper "$(stoppable_mapper "$file")" \
        --reducer cat "$IN/a.txt"
}

# worker_dies NAME SIGNAL: a mrworker gets SIGNAL while its mapper runs;
# then no process of the mapper's group is left, or, for SIGKILL, which
# the worker cannot act on, the mapper's shell is gone (what the shell
# started may not be: docs/exec-apps.md).
worker_dies() {
    local name=$1 sig=$2 sock=$WORK/$1.sock file=$WORK/$1.pgid
    local cpid wpid pgid gone=group_gone what="the mapper's processes"
    enter "$name"
    if [ "$sig" = KILL ]; then gone=pid_gone; what="the mapper's shell"; fi
    "$B/mrcoordinator" --addr "unix:$sock" --reduce 1 "$IN/a.txt" \
        2> coord.err &
    cpid=$!
    wait_for 20 test -S "$sock" || { fail "$name" "no socket"; return; }
    "$B/mrworker" --addr "unix:$sock" --mapper "$(stoppable_mapper "$file")" \
        --reducer cat 2> worker.err &
    wpid=$!
    if ! wait_for 30 test -s "$file"; then
        fail "$name" "the mapper did not start: $(tail -n 2 worker.err)"
    else
        pgid=$(cat "$file")
        kill "-$sig" "$wpid"
        if ! wait_for 20 "$gone" "$pgid"; then
            fail "$name" "$what outlived a worker's SIG$sig:" \
                "$(pgrep -a -g "$pgid" | head -n 3 | tr '\n' ' ')"
        else
            pass "$name"
        fi
        kill -KILL -- "-$pgid" 2>/dev/null
    fi
    kill -KILL "$wpid" "$cpid" 2>/dev/null
    wait
}

check_worker_stopped() {
    worker_dies worker_sigterm TERM
    worker_dies worker_sighup HUP
    worker_dies worker_sigsegv SEGV
    worker_dies worker_sigkill KILL
}

# mrsequential started with its stdin, its stdout or both closed: its
# commands still read and write through their pipes.
check_closed_stdio() {
    local how
    enter closed_stdio
    printf 'a\tb\nc\td\ne\n' > ../in2.txt
    if ! $TIMEOUT "$B/mrsequential" --mapper cat --reducer cat ../in2.txt \
            < /dev/null > /dev/null 2> ../closed.err ||
            ! mv mr-out-0 ../closed.want; then
        fail closed_stdio "mrsequential failed: $(cat ../closed.err)"
        return
    fi
    for how in stdin stdout both; do
        case $how in
        stdin) $TIMEOUT "$B/mrsequential" --mapper cat --reducer cat \
                   ../in2.txt <&- 2> ../closed.err ;;
        stdout) $TIMEOUT "$B/mrsequential" --mapper cat --reducer cat \
                    ../in2.txt >&- 2> ../closed.err ;;
        both) $TIMEOUT "$B/mrsequential" --mapper cat --reducer cat \
                  ../in2.txt <&- >&- 2> ../closed.err ;;
        esac || { fail closed_stdio "with $how closed: $(cat ../closed.err)"
                  return; }
        if ! cmp -s mr-out-0 ../closed.want; then
            fail closed_stdio "with $how closed, the output differs"
            return
        fi
        rm -f mr-out-0
    done
    pass closed_stdio
}

check_usage() {
    expect_error mapper_alone 2 '--mapper needs --reducer' \
        "$B/mrrun" --mapper cat "$IN/a.txt"
    expect_error reducer_alone 2 '--reducer needs --mapper' \
        "$B/mrsequential" --reducer cat "$IN/a.txt"
    expect_error app_and_mapper 2 'either --app or --mapper' \
        "$B/mrrun" --app wc --mapper cat --reducer cat "$IN/a.txt"
    expect_error worker_so_and_mapper 2 'either APP.so or --mapper' \
        "$B/mrworker" --mapper cat --reducer cat "$B/apps/wc.so"
    expect_error framed_alone 2 '--framed is for an executable app' \
        "$B/mrsequential" --framed "$B/apps/wc.so" "$IN/a.txt"
    expect_error combiner_alone 2 '--combiner is for an executable app' \
        "$B/mrrun" --combiner cat "$IN/a.txt"
    expect_error combiner_empty 2 '--combiner is empty' \
        "$B/mrrun" --mapper cat --reducer cat --combiner '' "$IN/a.txt"
    expect_error sum_and_combiner 2 'give --combiner CMD or --sum-combiner, not both' \
        "$B/mrrun" --mapper cat --reducer cat --combiner cat --sum-combiner \
        "$IN/a.txt"
}

# A mapper line of 40 MB (under the 64 MiB a record may hold), read in
# many pieces: one record, whole, with its tab-free bytes as the key.
check_long_line() {
    local rc
    enter long_line
    echo "one line in" > in.txt
    $TIMEOUT "$B/mrsequential" --mapper \
        "head -c 40000000 /dev/zero | tr '\\0' x; printf '\\tv\\n'" \
        --reducer cat in.txt > out.txt 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then fail long_line "exited $rc: $(tail -c 300 out.txt)"
    elif [ "$(wc -c < mr-out-0)" -ne 40000003 ] ||
            [ "$(tr -d x < mr-out-0)" != " v" ]; then
        fail long_line "output is not the 40 MB key and its value:" \
            "$(wc -c < mr-out-0) bytes, $(tr -d x < mr-out-0 | head -c 100)"
    else pass long_line; fi
}

run_checks "python_mrrun awk_mrrun sequential processes pipeline
framed_binary mapper_fails mapper_hangs framed_malformed mapper_not_reading
long_line combiner_spills combiner_framed combiner_unsorted combiner_fails
sum_combiner
combiner_stops_mapper sigchld_ignored stop_mrrun stop_sequential
worker_stopped closed_stdio usage" "$@"
