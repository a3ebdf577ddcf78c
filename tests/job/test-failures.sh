#!/usr/bin/env bash
# Failures name their cause: a job whose app segfaults on one input fails
# with a final line naming the task, its input and SIGSEGV, the worker's
# pid and the app's last line on stderr, and leaves its summary, with the
# same, as DIR/mr-failed, touching nothing else of the directory (an
# earlier job's outputs stay); a later job's commit removes that note. A
# map that returns an error shows its reason and stderr the same way, and
# workers that vanish are recorded as lost. A map that floods stderr and
# segfaults in workers whose stderr nobody reads still fails the job, in
# time, naming SIGSEGV. Prints one "PASS name" or
# "FAIL name: why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-causetest  # not "fail": faulty.so reads the path
FAULTY=$B/tests/apps/faulty.so
need "$FAULTY" "$B/mrcoordinator" "$B/mrworker" "$B/mrrun"
mkdir -p "$WORK/input" && IN=$WORK/input
echo good > "$IN/good.txt"
echo other > "$IN/other.txt"
echo crash > "$IN/crash-segv.txt"
echo fail > "$IN/give-fail.txt"
echo gone > "$IN/gone-vanish.txt"
echo flood > "$IN/flood-segv.txt"

# state DIR: every name in DIR, hidden ones too, and the checksum of every
# regular file, but the failure note's.
state() {
    (cd "$1" && ls -A | grep -vx mr-failed &&
        find . -maxdepth 1 -type f ! -name mr-failed -exec md5sum {} + |
        sort)
}

# What a failure note says of the segfaulting map (args: the pids of the
# workers that died of it, in order, then the final error line's text).
SEGV_NOTE='
why, pids = args[-1], [int(p) for p in args[:-1]]
f = [x for x in d.get("failures", []) if x.get("task") == "map 1"]
if d.get("outcome") != "failed": print("outcome:", d.get("outcome"))
elif d.get("why") != why: print("why %r, the error line %r" % (d.get("why"), why))
elif d.get("failures_total") != 4: print("failures_total:", d.get("failures_total"))
elif len(f) != 4: print("failures of map 1:", f)
elif not all(x["input"].endswith("/crash-segv.txt") for x in f): print("inputs:", f)
elif not all(x["signal"] == "SIGSEGV" for x in f): print("signals:", f)
elif [x["pid"] for x in f] != pids: print("pids %s, workers %s" % ([x["pid"] for x in f], pids))
elif not all(x["stderr"] == "faulty: about to crash on " + x["input"] for x in f):
    print("stderr:", [x["stderr"] for x in f])
elif not all(x["host"] for x in f): print("hosts:", f)
elif [x["attempt"] for x in f] != [1, 2, 3, 4]: print("attempts:", f)
elif sorted(d.get("phases", {})) != ["commit_seconds", "map_seconds", "reduce_seconds"]:
    print("phases:", d.get("phases"))
elif d["phases"]["reduce_seconds"] != 0: print("a reduce phase:", d["phases"])
'

# What a later job's marker says: done, its phases, no failure.
DONE_MARKER='
p = d.get("phases", {})
if d.get("outcome") != "done" or d.get("why") != "": print("outcome:", d.get("outcome"), d.get("why"))
elif sorted(p) != ["commit_seconds", "map_seconds", "reduce_seconds"]: print("phases:", p)
elif not all(isinstance(v, float) and v >= 0 for v in p.values()): print("phases:", p)
elif sum(p.values()) > d["seconds"] + 0.002: print("phases %s outlast the job, %s s" % (p, d["seconds"]))
elif d.get("failures") != [] or d.get("failures_total") != 0: print("failures:", d.get("failures"))
'

# An earlier job's result in DIR; then, the lab's way, a coordinator and
# one worker after another on good.txt and crash-segv.txt, until the job
# fails: each worker but the first dies of SIGSEGV in map task 1, the
# first once it has mapped good.txt. Then a good job in DIR again.
check_segfault() {
    local d=$WORK/segv rc last why pids="" crashed="" wpid n=0 problem
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$FAULTY" "$IN/other.txt" >/dev/null 2>&1 &&
        [ -s mr-success ] && state "$d" > "$WORK/segv.state" ||
        { fail segv_setup "the earlier job failed"; return; }
    MR_LOG=info start_coordinator "$d" "$WORK/segv.log" \
        --addr "unix:$WORK/segv.s" --output "$d" "$IN/good.txt" \
        "$IN/crash-segv.txt" || { fail segv_setup "no coordinator"; return; }
    # No timeout in front, so that $! is the worker's pid: it exits when
    # its coordinator, which has one, is gone (--reconnect 0).
    while kill -0 "$CPID" 2>/dev/null && [ $n -lt 6 ]; do
        n=$((n + 1))
        "$B/mrworker" --addr "unix:$WORK/segv.s" --connect-timeout 1 \
            --reconnect 0 "$FAULTY" 2>"$WORK/segv-worker-$n.err" &
        wpid=$!
        pids="$pids $wpid"
        wait "$wpid"
        [ $? -eq 139 ] && crashed="$crashed $wpid"   # 128 + SIGSEGV
    done
    wait "$TPID"; rc=$?
    last=$(tail -n 1 "$WORK/segv.log")
    why=${last#mrcoordinator: job failed: }
    set -- $crashed
    if [ $# -ne 4 ]; then
        fail segv_fails_the_job "workers that died of SIGSEGV:$crashed, of$pids"
        return
    elif [ $rc -ne 1 ]; then
        fail segv_fails_the_job "coordinator exit $rc: $last"
        return
    fi
    pass segv_fails_the_job
    if ! echo "$last" | grep -q "^mrcoordinator: job failed: map task 1 (input .*/crash-segv.txt) failed 4 times; .*SIGSEGV"; then
        fail segv_error_names_task_input_signal "last line: $last"
    elif ! echo "$last" | grep -q "; worker pid ${!#} on host [^;]*; its stderr: faulty: about to crash on .*/crash-segv.txt$"; then
        fail segv_error_names_worker_and_stderr "last line: $last (workers$crashed)"
    else
        pass segv_error_names_task_input_signal
        pass segv_error_names_worker_and_stderr
    fi
    problem=$(json_problems "$d/mr-failed" "$SEGV_NOTE" $crashed "$why")
    if [ -n "$problem" ]; then fail segv_failure_note "$problem"
    else pass segv_failure_note; fi
    if ! state "$d" | cmp -s - "$WORK/segv.state"; then
        fail segv_earlier_outputs_untouched "now: $(ls -A "$d" | tr '\n' ' ')"
    elif [ "$(ls -A "$d" | grep -c '^mr-failed$')" -ne 1 ]; then
        fail segv_earlier_outputs_untouched "no mr-failed beside them"
    else pass segv_earlier_outputs_untouched; fi
    # Nothing lost from the user's view: each worker that crashed printed
    # the app's line before it died.
    n=$(grep -l "^faulty: about to crash on .*/crash-segv.txt$" \
        "$WORK"/segv-worker-*.err | wc -l)
    if [ "$n" -ne 4 ]; then
        fail segv_stderr_reaches_the_user "$n workers' stderr show the app's line, wanted 4"
    else pass segv_stderr_reaches_the_user; fi

    $TIMEOUT "$B/mrrun" --app "$FAULTY" "$IN/good.txt" >/dev/null 2>&1
    rc=$?
    problem=$(json_problems "$d/mr-success" "$DONE_MARKER")
    if [ $rc -ne 0 ]; then fail later_job_removes_note "mrrun exit $rc"
    elif [ -e "$d/mr-failed" ]; then fail later_job_removes_note "mr-failed stays"
    elif [ -n "$problem" ]; then fail later_job_removes_note "$problem"
    else pass later_job_removes_note; fi
}

# A map that returns an error (after a line on stderr): the job fails after
# four attempts, its last line naming the reason, the worker and the line,
# and the note has the same in each failure.
check_map_error() {
    local d=$WORK/fail rc last problem
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$FAULTY" "$IN/good.txt" "$IN/give-fail.txt" \
        >/dev/null 2>"$WORK/fail.err"
    rc=$?
    last=$(tail -n 1 "$WORK/fail.err")
    problem=$(json_problems "$d/mr-failed" '
f = d.get("failures", [])
if d.get("outcome") != "failed" or len(f) != 4: print("outcome %s, failures %s" % (d.get("outcome"), f))
elif not all(x["task"] == "map 1" and x["signal"] is None and
             x["reason"] == "the app\x27s map failed on " + x["input"] and
             x["stderr"] == "faulty: giving up on " + x["input"] and
             x["pid"] > 0 for x in f): print("failures:", f)
elif d.get("why") != args[0]: print("why %r, the error line %r" % (d.get("why"), args[0]))
' "${last#mrrun: job failed: }")
    if [ $rc -ne 1 ]; then fail map_error_fails_the_job "mrrun exit $rc: $last"
    elif ! echo "$last" | grep -q "^mrrun: job failed: map task 1 (input .*/give-fail.txt) failed 4 times; last error: the app's map failed on .*/give-fail.txt; worker pid [1-9][0-9]* on host [^;]*; its stderr: faulty: giving up on .*/give-fail.txt$"; then
        fail map_error_names_reason_and_stderr "last line: $last"
    elif [ -n "$problem" ]; then fail map_error_names_reason_and_stderr "$problem"
    else pass map_error_names_reason_and_stderr; fi
}

# A map whose worker vanishes without a word (faulty's _exit) every time:
# each lost attempt is recorded, with the worker that ran it; the job fails
# after sixteen of them.
check_lost() {
    local d=$WORK/lost rc last problem
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$FAULTY" "$IN/good.txt" "$IN/gone-vanish.txt" \
        >/dev/null 2>"$WORK/lost.err"
    rc=$?
    last=$(tail -n 1 "$WORK/lost.err")
    problem=$(json_problems "$d/mr-failed" '
f = d.get("failures", [])
if d.get("failures_total") != 16 or len(f) != 16: print("failures_total %s, %d kept" % (d.get("failures_total"), len(f)))
elif not all(x["task"] == "map 1" and x["reason"].startswith("its worker went away") and
             x["pid"] > 0 and x["host"] and x["stderr"] == "" for x in f): print("failures:", f)
')
    if [ $rc -ne 1 ]; then fail lost_attempts_recorded "mrrun exit $rc: $last"
    elif ! echo "$last" | grep -q "^mrrun: job failed: map task 1 (input .*/gone-vanish.txt) was lost 16 times.*; worker pid [1-9][0-9]* on host [^;]*$"; then
        fail lost_attempts_recorded "last line: $last"
    elif [ -n "$problem" ]; then fail lost_attempts_recorded "$problem"
    else pass lost_attempts_recorded; fi
}

# A map that writes 96 KiB to stderr (more than a pipe holds) and then
# segfaults, run by one worker after another, each with a fifo for stderr
# that this shell holds open and never reads (a terminal paused with ^S, a
# pipe into a reader that stopped): every worker still sends its last words
# and dies of SIGSEGV, and the job fails naming the signal and the app's
# last line, within its deadline. A crash handler that waits for the stuck
# stderr blocks for ever while the heartbeat goes on, and the job with it.
check_flood() {
    local d=$WORK/flood rc last why n=0 crashed=0 fifo fd problem
    local TIMEOUT="timeout -k 2 40"
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=info start_coordinator "$d" "$WORK/flood.log" \
        --addr "unix:$WORK/flood.s" --output "$d" "$IN/flood-segv.txt" ||
        { fail flood_setup "no coordinator"; return; }
    while kill -0 "$CPID" 2>/dev/null && [ $n -lt 6 ]; do
        n=$((n + 1))
        fifo=$WORK/flood-$n.fifo
        # Opened for reading and writing, the fifo has a reader (this
        # shell) and never blocks its opener; nothing ever reads it.
        mkfifo "$fifo" && exec {fd}<>"$fifo" ||
            { fail flood_setup "no fifo"; kill "$TPID"; return; }
        timeout -k 2 15 "$B/mrworker" --addr "unix:$WORK/flood.s" \
            --connect-timeout 1 --reconnect 0 "$FAULTY" 2>"$fifo" {fd}>&-
        rc=$?
        exec {fd}>&-
        case $rc in
        139) crashed=$((crashed + 1)) ;;    # 128 + SIGSEGV
        124|137)
            fail flood_worker_dies "worker $n still ran 15 s after it" \
                "started, stuck on its unread stderr"
            kill "$TPID" 2>/dev/null
            return ;;
        esac
    done
    wait "$TPID"; rc=$?
    last=$(tail -n 1 "$WORK/flood.log")
    why=${last#mrcoordinator: job failed: }
    if [ $crashed -ne 4 ]; then
        fail flood_worker_dies "$crashed of $n workers died of SIGSEGV, wanted 4"
    elif [ $rc -ne 1 ]; then
        fail flood_worker_dies "coordinator exit $rc: $last"
    else pass flood_worker_dies; fi
    if ! echo "$last" | grep -q "^mrcoordinator: job failed: map task 0 (input .*/flood-segv.txt) failed 4 times; .*SIGSEGV"; then
        fail flood_last_words_name_signal "last line: $last"
        return
    fi
    problem=$(json_problems "$d/mr-failed" '
f = [x for x in d.get("failures", []) if x.get("task") == "map 0"]
crash = "faulty: about to crash on "
if d.get("why") != args[0]: print("why %r, the error line %r" % (d.get("why"), args[0]))
elif len(f) != 4 or not all(x["signal"] == "SIGSEGV" for x in f): print("failures:", f)
elif not all(x["stderr"].split("\n")[-1] == crash + x["input"] for x in f):
    print("stderr tails end:", [x["stderr"][-80:] for x in f])
' "$why")
    if [ -n "$problem" ]; then fail flood_last_words_name_signal "$problem"
    else pass flood_last_words_name_signal; fi
}

# A smaller flood (24 KiB: a terminal holds less than a pipe, and an app
# writing more to a stuck terminal blocks, as it would without the
# capture) from workers whose stderr is a terminal nobody reads (a
# pseudo-terminal whose other side is never read): the dying worker's
# handler must not wait for the terminal (whose poll promises no room
# for a whole write), but die.
check_flood_tty() {
    local d=$WORK/floodtty rc last problem
    local TIMEOUT="timeout -k 2 40"
    mkdir -p "$d" && cd "$d" || return
    start_coordinator "$d" "$WORK/floodtty.log" \
        --addr "unix:$WORK/floodtty.s" --output "$d" "$IN/flood-segv.txt" ||
        { fail flood_tty_setup "no coordinator"; return; }
    problem=$(FAULTY_FLOOD_BYTES=24576 python3 - "$B/mrworker" \
        "unix:$WORK/floodtty.s" "$FAULTY" <<'PY'
import os, pty, subprocess, sys
exe, addr, app = sys.argv[1:4]
crashed = 0
for n in range(6):
    master, slave = pty.openpty()       # the master is never read
    p = subprocess.Popen([exe, "--addr", addr, "--connect-timeout", "1",
                          "--reconnect", "0", app], stderr=slave,
                         stdout=subprocess.DEVNULL)
    os.close(slave)
    try:
        rc = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        print("worker %d still ran 15 s after it started, stuck on its "
              "unread terminal" % (n + 1))
        sys.exit(0)
    finally:
        os.close(master)
    if rc == -11:
        crashed += 1
    if crashed == 4:
        break
if crashed != 4:
    print("%d workers died of SIGSEGV, wanted 4" % crashed)
PY
)
    wait "$TPID"; rc=$?
    last=$(tail -n 1 "$WORK/floodtty.log")
    if [ -n "$problem" ]; then fail flood_tty_worker_dies "$problem"
    elif [ $rc -ne 1 ] || ! echo "$last" | grep -q "SIGSEGV"; then
        fail flood_tty_worker_dies "coordinator exit $rc: $last"
    else pass flood_tty_worker_dies; fi
}

ALL="segfault map_error lost flood flood_tty"
run_checks "$ALL" "$@"
