#!/usr/bin/env bash
# Seeing a job while it runs: mrstatus asks a running coordinator (the
# Status RPC) and prints the job for people or as JSON, checked field by
# field while two workers hold a map each (the faulty app's maps wait at a
# gate file until the test opens it); the job then finishes, and
# mrstatus --summary prints its marker. Over TCP with a token, mrstatus
# needs the token. mrcoordinator on a terminal draws a live progress line,
# with its log lines kept whole, and off a terminal nothing new. Refusals:
# one line each, with the exit status --help gives.
# Prints one "PASS name" or "FAIL name: why" per check.
#
# Usage: BUILD=build tests/job/test-status.sh [CHECK...]
#   (checks: live token progress refusals summary)
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-status
FAULTY=$B/tests/apps/faulty.so
need "$FAULTY" "$B/mrstatus" "$B/mrcoordinator" "$B/mrworker"
make_inputs --size 20000 a.txt b.txt c.txt d.txt
INPUT_BYTES=$(cat "$IN"/*.txt | wc -c)

# worker DIR LOG SOCKET [VAR=VALUE...]: a faulty mrworker in DIR, in the
# background, with those variables in its environment, its stderr in LOG;
# WTPID is set to the pid of its timeout.
worker() {
    local dir=$1 log=$2 sock=$3
    shift 3
    # shellcheck disable=SC2086
    (cd "$dir" && exec env "$@" $TIMEOUT "$B/mrworker" --addr "unix:$sock" \
        "$FAULTY") >/dev/null 2>"$log" &
    WTPID=$!
}

# job_of LOG: the job id the coordinator's log names.
job_of() { sed -n 's/.*: info: job \([0-9a-f]*\) runs in .*/\1/p' "$1" | head -n 1; }

# two_maps_running ADDR OUT: mrstatus --json at ADDR, into OUT, says two
# maps run, on two workers.
two_maps_running() {
    "$B/mrstatus" --addr "$1" --json --tasks 10 > "$2" 2>/dev/null &&
        python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["maps"]["running"] == 2 and
         sum(w["task"] is not None for w in s["workers"]) == 2 else 1)
' "$2"
}

# check_status_json FILE JOB DIR PID1 PID2: the document in FILE, field by
# field, for job JOB in DIR while workers PID1 and PID2 each run a map;
# prints what is wrong, nothing when all is right.
check_status_json() {
    python3 - "$@" "$INPUT_BYTES" "$IN" <<'EOF'
import json, os, sys
path, job, jobdir, pid1, pid2, input_bytes, indir = sys.argv[1:]
pids = {int(pid1), int(pid2)}
inputs = sorted(os.path.join(indir, f) for f in ("a.txt", "b.txt", "c.txt", "d.txt"))
s = json.load(open(path))
bad = []
def want(name, got, expected):
    if got != expected:
        bad.append("%s is %r, wanted %r" % (name, got, expected))
want("job", s["job"], job)
want("phase", s["phase"], "map")
want("over", s["over"], False)
want("why", s["why"], "")
want("app", s["app"], "faulty")
want("directory", s["directory"], jobdir)
want("input_bytes", s["input_bytes"], int(input_bytes))
want("maps", s["maps"], {"total": 4, "done": 0, "running": 2, "failed": 0})
want("reduces", s["reduces"], {"total": 2, "done": 0, "running": 0, "failed": 0})
want("attempts", s["attempts"], {"lost": 0, "backups": 0, "backups_won": 0})
want("workers_joined", s["workers_joined"], 2)
want("failures_total", s["failures_total"], 0)
want("failures", s["failures"], [])
if not isinstance(s["counters"], dict):
    bad.append("counters is %r, not an object" % (s["counters"],))
if not 0 < s["elapsed_seconds"] < 60:
    bad.append("elapsed_seconds is %r" % s["elapsed_seconds"])
want("worker pids", {w["pid"] for w in s["workers"]}, pids)
tasks = set()
for w in s["workers"]:
    if not (isinstance(w["task"], str) and w["task"].startswith("map ")):
        bad.append("worker %d runs %r, not a map" % (w["pid"], w["task"]))
    tasks.add(w["task"])
    want("worker %d attempt" % w["pid"], w["attempt"], 1)
    want("worker %d tasks_done" % w["pid"], w["tasks_done"], 0)
    # It beats every second; the task timeout is 10 s.
    if not 0 <= w["last_heard_seconds"] < 10:
        bad.append("worker %d last heard %r s ago" % (w["pid"], w["last_heard_seconds"]))
if len(tasks) != 2:
    bad.append("the workers run %r, not two maps" % sorted(tasks))
rows = s["tasks"]
want("task rows", len(rows), 6)
running = [r for r in rows if r["state"] == "running"]
want("running rows", [r["state"] for r in rows[:2]], ["running", "running"])
want("running rows' tasks", {"%s %d" % (r["kind"], r["id"]) for r in running}, tasks)
for r in running:
    host_pid = r["worker"].rsplit(" ", 1)
    if len(host_pid) != 2 or int(host_pid[1]) not in pids:
        bad.append("running row %r names worker %r" % (r["id"], r["worker"]))
    want("running row %d attempts" % r["id"], r["attempts"], 1)
want("idle rows", sorted(r["state"] for r in rows[2:]), ["idle"] * 4)
want("map rows' inputs", sorted(r["input"] for r in rows if r["kind"] == "map"), inputs)
want("reduce rows", sorted(r["id"] for r in rows if r["kind"] == "reduce"), [0, 1])
print("; ".join(bad))
EOF
}

# ---------------------------------------------------------------- checks

# A job held in its map phase, looked at, then let go.
check_live() {
    local dir=$WORK/live sock=$WORK/live.s log=$WORK/live.log job out rc
    local w1 w2 pid
    mkdir -p "$dir"
    start_coordinator "$WORK" "$log" --addr "unix:$sock" --output "$dir" \
        --reduce 2 "$IN"/*.txt ||
        { fail status_json_live "no coordinator: $(tail -n 1 "$log")"; return; }
    job=$(job_of "$log")
    worker "$dir" "$WORK/live.w1.log" "$sock" FAULTY_MAP_GATE="$WORK/gate"
    w1=$(wait_for 5 pgrep -P "$WTPID")
    worker "$dir" "$WORK/live.w2.log" "$sock" FAULTY_MAP_GATE="$WORK/gate"
    w2=$(wait_for 5 pgrep -P "$WTPID")
    if ! wait_for 30 two_maps_running "unix:$sock" "$WORK/live.json"; then
        fail status_json_live "mrstatus never showed two maps running:" \
            "$(head -c 300 "$WORK/live.json")"
        end_jobs
        return
    fi
    out=$(check_status_json "$WORK/live.json" "$job" "$dir" "$w1" "$w2")
    if [ -n "$out" ]; then fail status_json_live "$out"
    else pass status_json_live; fi

    "$B/mrstatus" --addr "unix:$sock" > "$WORK/live.txt" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        fail status_human_live "exit status $rc: $(head -c 300 "$WORK/live.txt")"
    elif ! grep -q "^job  *$job, app faulty$" "$WORK/live.txt" ||
         ! grep -q "^phase  *map, " "$WORK/live.txt" ||
         ! grep -q "^maps  *4 total, 0 done, 2 running, 0 failed" "$WORK/live.txt"; then
        fail status_human_live "no job, phase or map line: $(head -c 300 "$WORK/live.txt")"
    else
        out=pass
        for pid in "$w1" "$w2"; do
            grep -q "^  $pid  .* map [0-3] (attempt 1)  .* s ago " "$WORK/live.txt" ||
                out="no line for worker $pid running a map"
        done
        if [ "$out" = pass ]; then pass status_human_live
        else fail status_human_live "$out: $(cat "$WORK/live.txt")"; fi
    fi

    touch "$WORK/gate"
    wait "$TPID"; rc=$?
    if [ $rc -ne 0 ]; then
        fail summary_of_finished_job "coordinator exited $rc: $(tail -n 1 "$log")"
    elif ! grep -q "\"job\": \"$job\"" "$dir/mr-success" 2>/dev/null; then
        fail summary_of_finished_job "mr-success does not name job $job"
    else
        "$B/mrstatus" --summary "$dir" > "$WORK/summary.txt" 2>&1; rc=$?
        if [ $rc -ne 0 ]; then
            fail summary_of_finished_job "exit status $rc: $(cat "$WORK/summary.txt")"
        elif [ "$(head -n 1 "$WORK/summary.txt")" != "$dir/mr-success" ] ||
             ! grep -q "^  job:  *$job$" "$WORK/summary.txt" ||
             ! grep -q "^  input_bytes:  *$INPUT_BYTES\( (.*)\)\?$" "$WORK/summary.txt" ||
             ! grep -q "^  inputs:$" "$WORK/summary.txt" ||
             ! grep -q "^    $IN/a.txt$" "$WORK/summary.txt"; then
            fail summary_of_finished_job "$(head -c 400 "$WORK/summary.txt")"
        else
            pass summary_of_finished_job
        fi
    fi

    # Its stderr was a file: the log lines as ever, no progress of any kind.
    if grep -q 'map \[\|tasks done\|'$'\r' "$log"; then
        fail no_progress_off_terminal "$(grep -m1 'map \[\|tasks done' "$log")"
    else
        pass no_progress_off_terminal
    fi
    end_jobs
}

# Over TCP, a coordinator with a token answers only who proves it.
check_token() {
    local log=$WORK/token.log job rc
    head -c 32 /dev/urandom | base64 > "$WORK/token" && chmod 600 "$WORK/token"
    head -c 32 /dev/urandom | base64 > "$WORK/token2" && chmod 600 "$WORK/token2"
    mkdir -p "$WORK/token-job"
    start_coordinator "$WORK" "$log" --addr tcp:127.0.0.1:0 \
        --token-file "$WORK/token" --output "$WORK/token-job" "$IN"/*.txt ||
        { fail status_over_tcp_with_token "no coordinator: $(tail -n 1 "$log")"; return; }
    job=$(job_of "$log")
    expect_error status_over_tcp_without_token 4 \
        "the coordinator at $COORD_ADDR has a token: give mrstatus the same --token-file" \
        "$B/mrstatus" --addr "$COORD_ADDR"
    expect_error status_over_tcp_wrong_token 4 "does not know this token" \
        "$B/mrstatus" --addr "$COORD_ADDR" --token-file "$WORK/token2"
    "$B/mrstatus" --addr "$COORD_ADDR" --token-file "$WORK/token" --json \
        > "$WORK/token.json" 2>&1; rc=$?
    if [ $rc -ne 0 ]; then
        fail status_over_tcp_with_token "exit status $rc: $(head -c 300 "$WORK/token.json")"
    elif ! python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["job"] == sys.argv[2] and s["phase"] == "map" and
         s["workers"] == [] and s["maps"]["total"] == 4 else 1)' \
            "$WORK/token.json" "$job"; then
        fail status_over_tcp_with_token "$(head -c 300 "$WORK/token.json")"
    else
        pass status_over_tcp_with_token
    fi
    kill "$CPID" 2>/dev/null
    end_jobs
}

# A python3 wrapper that runs a command with a pseudo-terminal as its
# stdin, stdout and stderr, writes what it printed to OUT, and exits with
# its status.
PTY_RUN=$WORK/pty_run.py
cat > "$PTY_RUN" <<'EOF'
import os, pty, subprocess, sys
out, argv = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave)
os.close(slave)
text = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:         # EIO: every holder of the terminal closed it
        break
    if not chunk:
        break
    text += chunk
open(out, "wb").write(text)
sys.exit(child.wait())
EOF

# mrcoordinator on a terminal: the live line, and its log lines whole.
check_progress() {
    local dir=$WORK/pty sock=$WORK/pty.s out=$WORK/pty.out pty rc
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    MR_LOG=info python3 "$PTY_RUN" "$out" $TIMEOUT "$B/mrcoordinator" \
        --addr "unix:$sock" --output "$dir" --reduce 2 "$IN"/*.txt \
        >/dev/null 2>&1 &
    pty=$!
    if ! wait_for 20 test -S "$sock"; then
        fail progress_on_terminal "the coordinator never listened"
        end_jobs
        return
    fi
    worker "$dir" "$WORK/pty.w1.log" "$sock"
    worker "$dir" "$WORK/pty.w2.log" "$sock"
    wait "$pty"; rc=$?
    if [ $rc -ne 0 ]; then
        fail progress_on_terminal "coordinator exited $rc: $(tail -c 300 "$out")"
    elif ! grep -qa $'\rmap \[#\{20\}\] 4/4  reduce \[#\{20\}\] 2/2  ' "$out"; then
        fail progress_on_terminal "no finished bar: $(tail -c 300 "$out" | cat -v)"
    elif ! python3 -c '
import re, sys
text = open(sys.argv[1], "rb").read()
starts = [m.start() for m in re.finditer(rb"mrcoordinator\[", text)]
ok = [p == 0 or text[:p].endswith(b"\n") or text[:p].endswith(b"\r\x1b[K")
      for p in starts]
sys.exit(0 if starts and all(ok) else 1)' "$out"; then
        fail progress_on_terminal "a log line shares a line with the bar:" \
            "$(cat -v "$out" | head -c 600)"
    elif ! grep -qa "info: job [0-9a-f]* done" "$out"; then
        fail progress_on_terminal "no log line says the job is done: $(cat -v "$out" | head -c 300)"
    else
        pass progress_on_terminal
    fi
    end_jobs
}

# Mistakes: one line each, and the exit status --help gives.
check_refusals() {
    expect_error status_no_coordinator 1 \
        "no coordinator is listening at unix:$WORK/none.s" \
        "$B/mrstatus" --addr "unix:$WORK/none.s"
    expect_error status_bad_option 2 "unknown option or missing value: '--bogus'" \
        "$B/mrstatus" --bogus
    expect_error status_bad_tasks 2 "tasks" "$B/mrstatus" --tasks many
    expect_error status_stray_argument 2 "unexpected argument 'extra'" \
        "$B/mrstatus" extra
    expect_error status_missing_token_file 2 "$WORK/no-token" \
        "$B/mrstatus" --token-file "$WORK/no-token"
    expect_error status_summary_as_json 2 "the summary is JSON already" \
        "$B/mrstatus" --summary "$WORK" --json
}

# --summary on directories without a good summary, and with two.
check_summary() {
    local both=$WORK/both
    mkdir -p "$WORK/nothing" "$WORK/torn" "$both"
    expect_error summary_none 1 \
        "no job summary in $WORK/nothing: neither mr-success nor mr-failed" \
        "$B/mrstatus" --summary "$WORK/nothing"
    printf '{"job": "0123456789ab", "app": ' > "$WORK/torn/mr-success"
    expect_error summary_torn 1 "$WORK/torn/mr-success is not a JSON job summary" \
        "$B/mrstatus" --summary "$WORK/torn"
    expect_error summary_no_directory 1 "$WORK/absent: No such file or directory" \
        "$B/mrstatus" --summary "$WORK/absent"

    # A failed job's summary, newer than an earlier job's marker: shown,
    # every member, the marker named.
    printf '{"job": "0123456789ab"}\n' > "$both/mr-success"
    cat > "$both/mr-failed" <<'EOF'
{"job": "ba9876543210", "outcome": "failed", "why": "map task 1 failed 4 times",
 "app": "faulty", "counters": {"lines": 12},
 "failures": [{"task": "map 1", "attempt": 4, "signal": "SIGSEGV",
               "reason": "killed\u001b[2J", "stderr": "one\ntwo"}]}
EOF
    touch -d '@1000000000' "$both/mr-success"
    "$B/mrstatus" --summary "$both" > "$WORK/both.txt" 2>&1 &&
    python3 - "$WORK/both.txt" "$both" <<'EOF'
import sys
text = open(sys.argv[1]).read()
d = sys.argv[2]
want = [d + "/mr-failed\n",
        "  (%s/mr-success is here too, older: job 0123456789ab)\n" % d,
        "  job:      ba9876543210\n",
        "  outcome:  failed\n",
        "  why:      map task 1 failed 4 times\n",
        "  app:      faulty\n",
        "  counters:\n    lines: 12\n",
        "  failures:\n    1. task:    map 1\n       attempt: 4\n"
        "       signal:  SIGSEGV\n       reason:  killed?[2J\n"
        "       stderr:\n           | one\n           | two\n"]
missing = [w for w in want if w not in text]
if missing or "\x1b" in text:
    print("missing %r in:\n%s" % (missing, text))
    sys.exit(1)
EOF
    if [ $? -eq 0 ]; then pass summary_newer_of_two
    else fail summary_newer_of_two "$(head -c 600 "$WORK/both.txt")"; fi
}

run_checks "live token progress refusals summary" "$@"
