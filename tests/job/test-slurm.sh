#!/usr/bin/env bash
# Jobs under a real Slurm: the suite installs slurm-wlm and munge (tools/
# deps.sh --install slurm), configures a cluster of this one machine in
# its temporary directory (a controller and one node daemon on unusual
# ports, a node with this machine's CPUs, state, spool and munge's socket
# and key in the directory), starts munged, slurmctld and slurmd, and
# submits examples/slurm/mrjob.sbatch as written (two tasks, one CPU each)
# with sbatch. Checks: a word count equals mrsequential's; a job whose batch
# shell gets the time limit's signal (scancel --batch --signal=USR1, what
# #SBATCH --signal=B:USR1@120 does) once two reduces have started exits
# 75, and submitted again resumes, keeping the reduces done, running no
# reduce twice and giving mrsequential's output; a worker rank SIGKILLed
# (its mrrun and its worker) after it has run a map task is a worker
# death: the job finishes with the right output; scancel (SIGTERM to
# every process of the job) stops it, the script exits 75, not 143, and
# submitted again it resumes; the daemons are stopped
# and nothing of theirs is left. These need root; without it, or when the
# packages cannot be installed, each prints "SKIP name: why". Checks that
# need no Slurm: mrrun and mrcoordinator stopped by SIGUSR1 exit 75 with
# one line, commit nothing, and started again resume (mrrun: the reduces
# done are kept, none runs twice); a SIGTERM after a stop, or during its
# grace, leaves it resumable (exit 75); mrrun --slurm outside a step is
# refused with one line, exit 2; a worker rank whose coordinator cannot
# be reached exits 3 naming the address it tried and the file it read it
# from; --slurm-stop before rank 0 starts stops it as it starts, and never
# signals a process a stale file names, and finds a rank 0 whose
# environment is over 64 KiB; two ranks on this host: SIGTERM
# to rank 0 stops the job, rank 1 ends its busy worker and exits 75 too,
# and requeued (restart 1) rank 1 does not take the old run's files; a
# rank waiting for rank 0 ends on SIGTERM; a worker rank whose worker
# failed as rank 0 ended exits with rank 0's status;
# nothing of the local checks is left running. The running job's token
# has mode 0600. No check hangs on timing: reduces wait at a gate file.
# Prints one "PASS name", "FAIL name: why" or "SKIP name: why" per check.
set -u
. "$(dirname "$0")/lib.sh"

LOCAL_CHECKS=(stop_mrrun stop_grace_over stop_then_term stop_mrcoordinator
              slurm_outside_a_step slurm_rank_unreachable slurm_stop_early
              slurm_stop_big_env
              slurm_two_ranks slurm_rank_waits slurm_rank_late
              local_cleaned_up)
SLURM_CHECKS=(slurm_wc slurm_time_limit slurm_scancel slurm_rank_killed
              slurm_cleaned_up)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SBATCH_SCRIPT=$REPO/examples/slurm/mrjob.sbatch

begin_suite mr-slurm
need "$B/mrrun" "$B/mrworker" "$B/mrsequential" "$B/mrgen" \
    "$B/apps/wc.so" "$SBATCH_SCRIPT"

# ---------------------------------------------------------------- cluster

S=$WORK/slurm                   # the cluster's files
HOST=$(hostname -s)
CTLD_PID='' SLURMD_PID=''

# free_ports N: N TCP ports free now, one a line.
free_ports() {
    python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("", 0))
for s in socks: print(s.getsockname()[1])' "$1"
}

# The munge daemon's own key, socket and files: munged checks that the
# socket's directory is reachable by all and the key's by munge alone.
start_munge() {
    mkdir -p "$S/munge" "$S/msock" &&
        chown munge:munge "$S/munge" "$S/msock" &&
        chmod 700 "$S/munge" && chmod 755 "$S/msock" &&
        mungekey --create --keyfile="$S/munge/munge.key" &&
        chown munge:munge "$S/munge/munge.key" &&
        chmod 400 "$S/munge/munge.key" &&
        runuser -u munge -- munged --socket="$S/msock/munge.sock" \
            --key-file="$S/munge/munge.key" \
            --pid-file="$S/munge/munged.pid" \
            --log-file="$S/munge/munged.log" \
            --seed-file="$S/munge/munged.seed"
}

write_conf() {
    local ports
    mapfile -t ports < <(free_ports 2)
    [ ${#ports[@]} = 2 ] || return 1
    mkdir -p "$S/state" "$S/spool" || return 1
    cat > "$S/slurm.conf" <<EOF
ClusterName=mrtest
SlurmctldHost=$HOST
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/msock/munge.sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=mrtest Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
}

node_idle() { [ "$(sinfo -h -N -o %T 2>/dev/null)" = idle ]; }
no_jobs() { [ -z "$(squeue -h -o %i 2>/dev/null)" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# Stops what start_cluster started, each by its pid, and waits for it.
stop_cluster() {
    local pid
    [ -n "$CTLD_PID" ] && scancel --full --signal=KILL --user=root \
        2>/dev/null && wait_for 20 no_jobs
    for pid in "$SLURMD_PID" "$CTLD_PID"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null
        wait_for 20 gone "$pid" || kill -9 "$pid" 2>/dev/null
    done
    if [ -s "$S/munge/munged.pid" ]; then
        pid=$(cat "$S/munge/munged.pid")
        kill "$pid" 2>/dev/null && { wait_for 20 gone "$pid" ||
                                     kill -9 "$pid" 2>/dev/null; }
    fi
}

start_cluster() {
    chmod 711 "$WORK" && mkdir -p "$S" && write_conf &&
        start_munge > "$S/munge.out" 2>&1 || return 1
    export SLURM_CONF=$S/slurm.conf
    slurmctld -D -f "$SLURM_CONF" > "$S/slurmctld.out" 2>&1 &
    CTLD_PID=$!
    slurmd -D -f "$SLURM_CONF" > "$S/slurmd.out" 2>&1 &
    SLURMD_PID=$!
    wait_for 30 node_idle
}


# ---------------------------------------------------------------- jobs

make_inputs --size 300000 a.txt b.txt c.txt d.txt
reference "$B/apps/wc.so" "$WORK/ref-wc" "$IN"/*.txt ||
    { fail setup "mrsequential failed"; exit 1; }

# The streaming app of the time-limit and killed-rank checks: a mapper that
# leaves m.<its worker's pid> in marks/ (the worker runs it through sh -c)
# and sleeps MAP_SLEEP s, a reducer that leaves s.* in marks/ as it
# starts, sleeps REDUCE_SLEEP s (default 0), then leaves r.* there. With
# REDUCE_GATE set, two reduces run freely (the first to take marks/free.1
# and marks/free.2) and the others wait for the file REDUCE_GATE names:
# a check opens the gate once it has seen what it waits for, so that no
# outcome hangs on how fast the machine is.
cat > "$WORK/map.sh" <<'EOF'
#!/bin/sh
touch "marks/m.$(awk '{print $4}' "/proc/$PPID/stat")"
sleep "${MAP_SLEEP:-0}"
tr -s ' ' '\n' | grep -v '^$'
EOF
cat > "$WORK/reduce.sh" <<'EOF'
#!/bin/sh
touch "marks/s.$$"
if [ -n "${REDUCE_GATE:-}" ] && ! mkdir marks/free.1 2>/dev/null &&
   ! mkdir marks/free.2 2>/dev/null; then
    while [ ! -e "$REDUCE_GATE" ]; do sleep 0.05; done
fi
sleep "${REDUCE_SLEEP:-0}"
mktemp marks/r.XXXXXX > /dev/null
uniq -c | awk '{print $2 "\t" $1}'
EOF
chmod +x "$WORK/map.sh" "$WORK/reduce.sh"
(mkdir -p "$WORK/ref-exec.d/marks" && cd "$WORK/ref-exec.d" &&
    "$B/mrsequential" --mapper "$WORK/map.sh" --reducer "$WORK/reduce.sh" \
        "$IN"/*.txt > /dev/null && sort mr-out-0 > "$WORK/ref-exec") ||
    { fail setup "mrsequential failed on the streaming app"; exit 1; }

# job_dir NAME: a fresh job directory $WORK/NAME with marks/ in it.
job_dir() { mkdir -p "$WORK/$1/marks" && echo "$WORK/$1"; }

# submit DIR LOG ARGS...: submits the example script from DIR, two tasks
# of one CPU on this node, its output in DIR/LOG, mrrun's ARGS, and waits
# for its end (job_wait). Returns the job's exit status.
submit() {
    local dir=$1 log=$2 id
    shift 2
    id=$(cd "$dir" && MRRUN=$B/mrrun MR_LOG=info sbatch --parsable \
        --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=5 \
        --output="$dir/$log" "$SBATCH_SCRIPT" "$@" 2> "$dir/$log.err") ||
        { echo "sbatch: $(cat "$dir/$log.err")" >> "$dir/$log"; return 1; }
    echo "$id" > "$dir/$log.id"
    job_wait "$id"
}

# job_wait ID: waits (60 s at most) for job ID to end, asking the
# controller every 50 ms (sbatch --wait asks every few seconds); returns
# the job's exit status (its batch script's), or 124 when it did not end.
job_wait() {
    local code
    wait_for 60 job_ended "$1" || return 124
    code=$(scontrol -o show job "$1" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p')
    return "${code:-1}"
}
job_ended() {
    scontrol -o show job "$1" 2>/dev/null |
        grep -q 'JobState=\(COMPLETED\|FAILED\|CANCELLED\|TIMEOUT\|NODE_FAIL\|OUT_OF_MEMORY\)'
}

# same_output DIR REF: DIR's mr-out-*, sorted, are REF.
same_output() { cat "$1"/mr-out-* 2>/dev/null | sort | cmp -s - "$2"; }

# count DIR PREFIX: how many files in DIR have names starting with PREFIX.
count() {
    local f n=0
    for f in "$1/$2"*; do [ -e "$f" ] && n=$((n + 1)); done
    echo $n
}
# at_least N DIR PREFIX: count DIR PREFIX is N or more.
at_least() { [ "$(count "$2" "$3")" -ge "$1" ]; }

check_slurm_wc() {
    local dir st
    dir=$(job_dir wc)
    submit "$dir" out --app wc --reduce 4 "$IN"
    st=$?
    if [ $st -ne 0 ]; then
        fail slurm_wc "the job exited $st: $(tail -n 3 "$dir/out")"
    elif ! same_output "$dir" "$WORK/ref-wc"; then
        fail slurm_wc "the outputs differ from mrsequential's"
    elif ! logged "$dir/out" "^rank 0 on .*the coordinator listens at tcp:"; then
        fail slurm_wc "rank 0 did not say where it listens"
    elif ls "$dir"/.mr-slurm-"$(cat "$dir/out.id")"-*.token > /dev/null 2>&1; then
        fail slurm_wc "the job's token was left in its directory"
    else
        pass slurm_wc
    fi
}

# resumed_reduces LOG: Y of "... X of M map and Y of R reduce tasks were
# done and are kept".
resumed_reduces() {
    sed -n 's/.* map and \([0-9]*\) of [0-9]* reduce tasks were done and are kept.*/\1/p' "$1" | head -n 1
}

# submit_gated CHECK DIR N MARK ARGS...: submits the example script with
# ARGS (REDUCE_GATE=DIR/gate) in the background, its output in DIR/first,
# and waits until the job has left N marks MARK in DIR/marks. Sets SB (the
# submission's pid). Returns 1, after failing CHECK and ending the job,
# when it did not get there.
submit_gated() {
    local check=$1 dir=$2 n=$3 mark=$4
    shift 4
    export REDUCE_GATE=$dir/gate
    submit "$dir" first "$@" &
    SB=$!
    if ! wait_for 40 test -s "$dir/first.id" ||
       ! wait_for 40 at_least "$n" "$dir/marks" "$mark"; then
        fail "$check" "the job did not reach its reduces: $(tail -n 3 "$dir/first")"
        scancel "$(cat "$dir/first.id" 2>/dev/null)" 2>/dev/null
        kill "$SB" 2>/dev/null; wait "$SB"
        unset REDUCE_GATE
        return 1
    fi
}

check_slurm_time_limit() {
    local dir st1 st2
    local args=(--mapper "$WORK/map.sh" --reducer "$WORK/reduce.sh" --reduce 6
                "$IN")
    local token mode
    dir=$(job_dir limit)
    # Two reduces are done and the next ones wait at the gate: the time
    # limit comes, as #SBATCH --signal=B:USR1 sends it, to the batch shell;
    # once the coordinator says it stops, the gate opens, and the reduces
    # that run finish within its grace.
    submit_gated slurm_time_limit "$dir" 2 r. "${args[@]}" || return
    token=$(ls "$dir"/.mr-slurm-"$(cat "$dir/first.id")"-0.*.token 2>/dev/null)
    mode=$(stat -c %a "$token" 2>/dev/null)
    scancel --batch --signal=USR1 "$(cat "$dir/first.id")"
    wait_for 40 logged "$dir/first" "stopping job"
    touch "$REDUCE_GATE"
    wait "$SB"
    st1=$?
    note_outputs "$dir"
    submit "$dir" second "${args[@]}"
    st2=$?
    unset REDUCE_GATE
    if [ "$mode" != 600 ]; then
        fail slurm_time_limit "the running job's token ${token:-was missing} had mode ${mode:-none}, not 600"
        return
    fi
    stop_resume_check slurm_time_limit "$dir" "$st1" "$st2"
}

# scancel of the job's step, a plain SIGTERM to each of its processes (as
# the time limit without --signal=B:USR1): rank 0 stops the job, the
# worker rank exits with its status, the batch script 75, and the job
# submitted again finishes, keeping the reduces done before. Four reduces
# have started (two free, two at the gate) on the job's two workers: the
# free ones were reported, as a worker gets its next task only then.
check_slurm_scancel() {
    local dir st1 st2
    local args=(--mapper "$WORK/map.sh" --reducer "$WORK/reduce.sh" --reduce 6
                "$IN")
    dir=$(job_dir scancel)
    submit_gated slurm_scancel "$dir" 4 s. "${args[@]}" || return
    scancel "$(cat "$dir/first.id")"
    wait "$SB"
    st1=$?
    note_outputs "$dir"
    touch "$REDUCE_GATE"
    submit "$dir" second "${args[@]}"
    st2=$?
    unset REDUCE_GATE
    if logged "$dir/first" "task 1: Exited with exit code 143"; then
        fail slurm_scancel "the worker rank exited 143, not rank 0's status: $(tail -n 3 "$dir/first")"
        return
    fi
    stop_resume_check slurm_scancel "$dir" "$st1" "$st2"
}

# rank1_ran_map DIR: prints the pids of rank 1's mrrun (from its line in
# DIR/out) and of its children, its workers, once one of them has started
# a map task; false before.
rank1_ran_map() {
    local rank p pids
    rank=$(sed -n 's/^rank 1 on .* (pid \([0-9]*\)).*/\1/p' "$1/out" \
           2>/dev/null)
    [ -n "$rank" ] || return 1
    pids=$(ps -o pid= --ppid "$rank")
    for p in $pids; do
        # shellcheck disable=SC2086
        [ -e "$1/marks/m.$p" ] && { echo "$rank" $pids; return 0; }
    done
    return 1
}

check_slurm_rank_killed() {
    local dir pids st
    dir=$(job_dir killed)
    MAP_SLEEP=0.5 submit "$dir" out --mapper "$WORK/map.sh" \
        --reducer "$WORK/reduce.sh" --reduce 2 --split-size 100000 "$IN" &
    local sb=$!
    if ! pids=$(wait_for 40 rank1_ran_map "$dir"); then
        fail slurm_rank_killed "rank 1 ran no map task: $(tail -n 3 "$dir/out")"
        scancel "$(cat "$dir/out.id" 2>/dev/null)" 2>/dev/null
        kill $sb 2>/dev/null; wait $sb
        return
    fi
    # shellcheck disable=SC2086
    kill -9 $pids
    wait $sb
    st=$?
    if ! logged "$dir/out" "^committed job"; then
        fail slurm_rank_killed "the job did not finish without rank 1 (status $st): $(tail -n 3 "$dir/out")"
    elif ! same_output "$dir" "$WORK/ref-exec"; then
        fail slurm_rank_killed "the outputs differ from mrsequential's"
    elif ! logged "$dir/out" "task 1: Killed"; then
        fail slurm_rank_killed "srun did not see rank 1 killed (status $st)"
    else
        pass slurm_rank_killed
    fi
}

# ours PID: the process runs with this suite's files (its command line,
# environment or directory name $WORK).
ours() {
    grep -qs -- "$WORK" "/proc/$1/cmdline" "/proc/$1/environ" ||
        readlink "/proc/$1/cwd" | grep -q -- "^$WORK"
}

check_slurm_cleaned_up() {
    local left='' pid comm
    stop_cluster
    CTLD_PID='' SLURMD_PID=''
    while read -r pid comm; do
        case $comm in
        slurmctld|slurmd|slurmstepd|munged|mrrun|mrworker|sleep)
            ours "$pid" && left="$left $comm($pid)" ;;
        esac
    done < <(ps -eo pid=,comm=)
    if [ -n "$left" ]; then
        fail slurm_cleaned_up "left running:$left"
    else
        pass slurm_cleaned_up
    fi
}

# ---------------------------------------------------------------- no Slurm

# stop_resume_check NAME DIR: the first run in DIR (logged in DIR/first,
# its status in $1) was stopped by SIGUSR1 once two reduces had started;
# the second (DIR/second, status $2) resumed. Prints the check's line.
stop_resume_check() {
    local name=$1 dir=$2 st1=$3 st2=$4 kept runs
    kept=$(resumed_reduces "$dir/second")
    runs=$(count "$dir/marks" r.)
    if [ "$st1" -ne 75 ]; then
        fail "$name" "stopped, it exited $st1, not 75: $(tail -n 3 "$dir/first")"
    elif ! logged "$dir/first" "stopped before it was over.*run the same command again"; then
        fail "$name" "no line said the job can be resumed: $(tail -n 3 "$dir/first")"
    elif [ -e "$dir/first-outputs" ]; then
        fail "$name" "a stopped job committed outputs"
    elif [ "$st2" -ne 0 ]; then
        fail "$name" "started again, it exited $st2: $(tail -n 3 "$dir/second")"
    elif ! same_output "$dir" "$WORK/ref-exec"; then
        fail "$name" "the resumed job's outputs differ from mrsequential's"
    elif [ -z "$kept" ] || [ "$kept" -lt 2 ]; then
        fail "$name" "the resumed job kept ${kept:-no} reduces, not the 2 or more done before the stop"
    elif [ "$runs" -ne 6 ]; then
        fail "$name" "the reducer ran $runs times for 6 reduce tasks: finished work was done again"
    else
        pass "$name"
    fi
}

# note_outputs DIR: when DIR holds outputs or a success marker, leaves
# DIR/first-outputs to say so (stop_resume_check reads it).
note_outputs() {
    if ls "$1"/mr-out-* > /dev/null 2>&1 || [ -e "$1/mr-success" ]; then
        : > "$1/first-outputs"
    fi
}

# start_stoppable CHECK DIR N MARK VAR=VALUE ARGS...: runs mrrun ARGS in
# DIR in the background (VAR=VALUE in its environment, its output in
# DIR/first) and waits until it has left N marks MARK in DIR/marks. Sets
# TPID (its timeout's pid) and PID (mrrun's). Returns 1, after failing
# CHECK and ending the job, when it did not get there.
start_stoppable() {
    local check=$1 dir=$2 n=$3 mark=$4 var=$5
    shift 5
    (cd "$dir" && exec env "$var" MR_LOG=info $TIMEOUT "$B/mrrun" "$@") \
        > "$dir/first" 2>&1 &
    TPID=$!
    if ! PID=$(wait_for 10 pgrep -P "$TPID") ||
       ! wait_for 40 at_least "$n" "$dir/marks" "$mark"; then
        fail "$check" "the job did not reach its reduces: $(tail -n 3 "$dir/first")"
        kill "$TPID" 2>/dev/null; touch "$dir/gate"; wait "$TPID"
        return 1
    fi
}

check_stop_mrrun() {
    local dir st1 st2
    local args=(--workers 2 --reduce 6 --mapper "$WORK/map.sh"
                --reducer "$WORK/reduce.sh" "$IN")
    dir=$(job_dir local)
    start_stoppable stop_mrrun "$dir" 2 r. REDUCE_GATE="$dir/gate" "${args[@]}" || return
    kill -USR1 "$PID"
    wait_for 40 logged "$dir/first" "stopping job"
    touch "$dir/gate"
    wait "$TPID"
    st1=$?
    note_outputs "$dir"
    (cd "$dir" && REDUCE_GATE=$dir/gate MR_LOG=info $TIMEOUT "$B/mrrun" \
        "${args[@]}") > "$dir/second" 2>&1
    st2=$?
    stop_resume_check stop_mrrun "$dir" "$st1" "$st2"
}

# Reduces that outlast --stop-grace are given up: the job stops anyway
# (the grace is a bound), and they run again when it resumes.
check_stop_grace_over() {
    local dir st start
    local args=(--workers 2 --reduce 6 --stop-grace 0.3 --mapper
                "$WORK/map.sh" --reducer "$WORK/reduce.sh" "$IN")
    dir=$(job_dir grace)
    start_stoppable stop_grace_over "$dir" 2 s. REDUCE_SLEEP=30 "${args[@]}" || return
    start=$SECONDS
    kill -USR1 "$PID"
    # A SIGTERM once stopped (mrrun waits for its workers busy with the
    # reduces given up) leaves the job resumable: exit 75, journal kept.
    wait_for 20 logged "$dir/first" "stopped before it was over" &&
        kill -TERM "$PID" 2>/dev/null
    wait "$TPID"
    st=$?
    if [ $st -ne 75 ]; then
        fail stop_grace_over "stopped, it exited $st, not 75: $(tail -n 3 "$dir/first")"
    elif [ $((SECONDS - start)) -ge 20 ]; then
        fail stop_grace_over "it waited $((SECONDS - start)) s for reduces of 30 s, past its grace of 0.3 s"
    elif logged "$dir/first" "job failed\|failed: interrupted"; then
        fail stop_grace_over "a SIGTERM after the stop failed the job: $(tail -n 3 "$dir/first")"
    elif ! logged "$dir/first" "had their grace"; then
        fail stop_grace_over "no line said running attempts were given up: $(tail -n 3 "$dir/first")"
    elif ! (cd "$dir" && REDUCE_SLEEP=0 $TIMEOUT "$B/mrrun" "${args[@]}") \
            > "$dir/second" 2>&1; then
        fail stop_grace_over "started again, it failed: $(tail -n 3 "$dir/second")"
    elif ! same_output "$dir" "$WORK/ref-exec"; then
        fail stop_grace_over "the resumed job's outputs differ from mrsequential's"
    else
        pass stop_grace_over
    fi
}

check_stop_mrcoordinator() {
    local dir st
    dir=$(job_dir coord)
    mkdir -p "$dir/out"
    if ! start_coordinator "$dir" "$dir/first" --addr "unix:$dir/sock" \
            --app wc --output "$dir/out" "$IN"; then
        fail stop_mrcoordinator "it did not start: $(tail -n 3 "$dir/first")"
        return
    fi
    kill -USR1 "$CPID"
    wait "$TPID"
    st=$?
    if [ $st -ne 75 ]; then
        fail stop_mrcoordinator "stopped, it exited $st, not 75: $(tail -n 3 "$dir/first")"
        return
    elif ! logged "$dir/first" "stopped before it was over.*run the same command again to resume"; then
        fail stop_mrcoordinator "no line said the job can be resumed: $(tail -n 3 "$dir/first")"
        return
    fi
    if ! start_coordinator "$dir" "$dir/second" --addr "unix:$dir/sock" \
            --app wc --output "$dir/out" "$IN"; then
        fail stop_mrcoordinator "started again, it did not start: $(tail -n 3 "$dir/second")"
        return
    fi
    (cd "$dir" && $TIMEOUT "$B/mrworker" --addr "unix:$dir/sock") \
        > "$dir/worker" 2>&1
    wait "$TPID"
    st=$?
    if [ $st -ne 0 ]; then
        fail stop_mrcoordinator "started again, it exited $st: $(tail -n 3 "$dir/second")"
    elif ! logged "$dir/second" "resumed from its journal"; then
        fail stop_mrcoordinator "started again, it did not resume the stopped job"
    elif ! same_output "$dir/out" "$WORK/ref-wc"; then
        fail stop_mrcoordinator "the outputs differ from mrsequential's"
    else
        pass stop_mrcoordinator
    fi
}

# A SIGTERM while the stop waits for running reduces (a grace of 60 s)
# ends the wait: the job stays resumable, exit 75, and resumes.
check_stop_then_term() {
    local dir st
    local args=(--workers 2 --reduce 6 --stop-grace 60 --mapper
                "$WORK/map.sh" --reducer "$WORK/reduce.sh" "$IN")
    dir=$(job_dir term)
    start_stoppable stop_then_term "$dir" 4 s. REDUCE_GATE="$dir/gate" "${args[@]}" || return
    kill -USR1 "$PID"
    wait_for 40 logged "$dir/first" "stopping job"
    kill -TERM "$PID"
    wait "$TPID"
    st=$?
    touch "$dir/gate"
    if [ $st -ne 75 ]; then
        fail stop_then_term "stopped, then SIGTERM, it exited $st, not 75: $(tail -n 3 "$dir/first")"
    elif logged "$dir/first" "job failed"; then
        fail stop_then_term "the SIGTERM failed the job: $(tail -n 3 "$dir/first")"
    elif ! logged "$dir/first" "interrupted while stopping"; then
        fail stop_then_term "no line said the grace was cut short: $(tail -n 3 "$dir/first")"
    elif ! (cd "$dir" && REDUCE_GATE=$dir/gate MR_LOG=info $TIMEOUT \
              "$B/mrrun" "${args[@]}") > "$dir/second" 2>&1; then
        fail stop_then_term "started again, it failed: $(tail -n 3 "$dir/second")"
    elif ! logged "$dir/second" "were done and are kept"; then
        fail stop_then_term "started again, it did not resume: $(tail -n 3 "$dir/second")"
    elif ! same_output "$dir" "$WORK/ref-exec"; then
        fail stop_then_term "the resumed job's outputs differ from mrsequential's"
    else
        pass stop_then_term
    fi
}

check_slurm_outside_a_step() {
    expect_error slurm_outside_a_step 2 "runs inside a Slurm job step" \
        env -u SLURM_JOB_ID -u SLURM_PROCID "$B/mrrun" --slurm
}

# A worker rank (SLURM_PROCID 1) given an address where nobody listens.
check_slurm_rank_unreachable() {
    local dir port st
    dir=$(job_dir unreachable)
    port=$(free_ports 1)
    printf 'addr tcp:127.0.0.1:%s\nhost %s\npid 1\n' "$port" "$HOST" \
        > "$dir/.mr-slurm-77-0.addr"
    head -c 32 /dev/urandom | base64 > "$dir/.mr-slurm-77-0.token"
    chmod 600 "$dir/.mr-slurm-77-0.addr" "$dir/.mr-slurm-77-0.token"
    (cd "$dir" && SLURM_JOB_ID=77 SLURM_PROCID=1 SLURM_NTASKS=2 $TIMEOUT \
        "$B/mrrun" --slurm --workers 1 --app wc "$IN") > /dev/null \
        2> "$dir/err"
    st=$?
    if [ $st -ne 3 ]; then
        fail slurm_rank_unreachable "exit status $st, not 3: $(cat "$dir/err")"
    elif ! logged "$dir/err" "^mrrun: rank 1 on .*tcp:127.0.0.1:$port (from .*\.mr-slurm-77-0\.addr)"; then
        fail slurm_rank_unreachable "the rank did not name the address and its file: $(cat "$dir/err")"
    elif ! logged "$dir/err" "^mrworker: no coordinator is listening at tcp:127.0.0.1:$port"; then
        fail slurm_rank_unreachable "its worker did not name the address: $(cat "$dir/err")"
    else
        pass slurm_rank_unreachable
    fi
}

# as_rank RANK RESTART STEP CMD...: CMD in the environment of task RANK of
# step STEP of job 88's run RESTART (what srun sets), on this host.
as_rank() {
    SLURM_JOB_ID=88 SLURM_PROCID=$1 SLURM_NTASKS=2 SLURM_RESTART_COUNT=$2 \
        SLURM_STEP_ID=$3 "${@:4}"
}

# mrrun --slurm-stop before rank 0 has started leaves a request that rank 0
# acts on as it starts (exit 75, resumable); it never signals a process
# that is not the job's rank 0, though a stale .addr names it.
check_slurm_stop_early() {
    local dir st sleeper
    dir=$(job_dir early)
    sleep 60 &
    sleeper=$!
    printf 'addr tcp:%s:1\nhost %s\npid %s\n' "$HOST" "$(hostname)" \
        "$sleeper" > "$dir/.mr-slurm-88-0.5.addr"
    (cd "$dir" && as_rank 0 0 '' $TIMEOUT "$B/mrrun" --slurm-stop) \
        > "$dir/stop" 2>&1
    st=$?
    if [ $st -ne 0 ]; then
        kill $sleeper; wait $sleeper 2>/dev/null
        fail slurm_stop_early "--slurm-stop exited $st: $(cat "$dir/stop")"
        return
    fi
    if ! kill -0 $sleeper 2>/dev/null; then
        fail slurm_stop_early "--slurm-stop signalled pid $sleeper, not an mrrun, named by a stale .addr"
        return
    fi
    kill $sleeper; wait $sleeper 2>/dev/null
    (cd "$dir" && as_rank 0 0 5 $TIMEOUT "$B/mrrun" --slurm --workers 1 \
        --app wc "$IN") > "$dir/first" 2>&1
    st=$?
    if [ $st -ne 75 ]; then
        fail slurm_stop_early "asked to stop before it started, rank 0 exited $st, not 75: $(tail -n 3 "$dir/first")"
    elif [ -e "$dir/.mr-slurm-88-0.stop" ]; then
        fail slurm_stop_early "rank 0 left the stop request behind"
    elif [ "$(cat "$dir/.mr-slurm-88-0.5.addr")" != "over 75" ]; then
        fail slurm_stop_early "the .addr file says '$(cat "$dir/.mr-slurm-88-0.5.addr")', not 'over 75'"
    elif ! (cd "$dir" && as_rank 0 0 6 $TIMEOUT "$B/mrrun" --slurm \
              --workers 1 --app wc "$IN") > "$dir/second" 2>&1; then
        fail slurm_stop_early "started again, it failed: $(tail -n 3 "$dir/second")"
    elif ! same_output "$dir" "$WORK/ref-wc"; then
        fail slurm_stop_early "the outputs differ from mrsequential's"
    else
        pass slurm_stop_early
    fi
}

# --slurm-stop reads the whole of /proc/PID/environ: rank 0's SLURM_*
# variables come after 70 KiB of another one, and it is still found
# and stopped (exit 75).
check_slurm_stop_big_env() {
    local dir big p0 st
    dir=$(job_dir bigenv)
    big=$(head -c 72000 /dev/zero | tr '\0' x)
    (cd "$dir" && exec env -i BIG="$big" PATH="$PATH" \
        REDUCE_GATE="$dir/gate" SLURM_JOB_ID=88 SLURM_PROCID=0 \
        SLURM_NTASKS=1 SLURM_RESTART_COUNT=0 SLURM_STEP_ID=7 \
        $TIMEOUT "$B/mrrun" --slurm --workers 1 --reduce 4 \
        --stop-grace 0.3 --mapper "$WORK/map.sh" \
        --reducer "$WORK/reduce.sh" "$IN") > "$dir/r0" 2>&1 &
    p0=$!
    if ! wait_for 40 at_least 3 "$dir/marks" s.; then
        fail slurm_stop_big_env "the job did not reach its gated reduces: $(tail -n 3 "$dir/r0")"
        kill $p0; touch "$dir/gate"; wait $p0
        return
    fi
    (cd "$dir" && as_rank 0 0 '' $TIMEOUT "$B/mrrun" --slurm-stop) \
        > "$dir/stop" 2>&1
    if ! wait_for 20 gone $p0; then
        fail slurm_stop_big_env "--slurm-stop did not stop rank 0: $(cat "$dir/stop")"
        kill $p0; touch "$dir/gate"; wait $p0
        return
    fi
    wait $p0
    st=$?
    touch "$dir/gate"
    if [ $st -ne 75 ]; then
        fail slurm_stop_big_env "rank 0 exited $st, not 75: $(tail -n 3 "$dir/r0")"
    else
        pass slurm_stop_big_env
    fi
}

# Two ranks on this host, as srun starts them: SIGTERM to rank 0 (Slurm's
# at the time limit and at scancel) stops the job, resumable, while a
# reduce of rank 1's worker waits at the gate: rank 1 ends it and exits
# 75 too. The job requeued (restart 1, same job id), rank 1 started
# first: it waits for the new rank 0 rather than take the old "over 75",
# and the job finishes.
check_slurm_two_ranks() {
    local dir p0 p1 st0 st1 pid
    local args=(--slurm --workers 1 --reduce 4 --stop-grace 0.3 --mapper
                "$WORK/map.sh" --reducer "$WORK/reduce.sh" "$IN")
    dir=$(job_dir ranks)
    export REDUCE_GATE=$dir/gate
    (cd "$dir" && MR_LOG=info as_rank 0 0 0 exec $TIMEOUT "$B/mrrun" \
        "${args[@]}") > "$dir/r0" 2>&1 &
    p0=$!
    (cd "$dir" && as_rank 1 0 0 exec $TIMEOUT "$B/mrrun" "${args[@]}") \
        > "$dir/r1" 2>&1 &
    p1=$!
    if ! pid=$(wait_for 10 pgrep -P "$p0") ||
       ! wait_for 40 at_least 4 "$dir/marks" s.; then
        fail slurm_two_ranks "the job did not reach its gated reduces: $(tail -n 3 "$dir/r0")"
        kill $p0 $p1 2>/dev/null; touch "$REDUCE_GATE"; wait $p0 $p1
        return
    fi
    kill -TERM "$pid"
    wait $p0
    st0=$?
    wait $p1
    st1=$?
    touch "$REDUCE_GATE"
    if [ $st0 -ne 75 ]; then
        fail slurm_two_ranks "SIGTERM under --slurm: rank 0 exited $st0, not 75: $(tail -n 3 "$dir/r0")"
        return
    elif [ $st1 -ne 75 ]; then
        fail slurm_two_ranks "rank 1 exited $st1, not 75 as rank 0: $(tail -n 3 "$dir/r1")"
        return
    fi
    (cd "$dir" && as_rank 1 1 0 exec $TIMEOUT "$B/mrrun" "${args[@]}") \
        > "$dir/r1-again" 2>&1 &
    p1=$!
    (cd "$dir" && as_rank 0 1 0 $TIMEOUT "$B/mrrun" "${args[@]}") \
        > "$dir/r0-again" 2>&1
    st0=$?
    wait $p1
    st1=$?
    if [ $st0 -ne 0 ]; then
        fail slurm_two_ranks "requeued, rank 0 exited $st0: $(tail -n 3 "$dir/r0-again")"
    elif [ $st1 -ne 0 ]; then
        fail slurm_two_ranks "requeued, rank 1 exited $st1: $(tail -n 3 "$dir/r1-again")"
    elif ! logged "$dir/r1-again" "^rank 1 on .* worker for the coordinator"; then
        fail slurm_two_ranks "requeued, rank 1 ran no worker: $(tail -n 3 "$dir/r1-again")"
    elif ! same_output "$dir" "$WORK/ref-exec"; then
        fail slurm_two_ranks "the outputs differ from mrsequential's"
    else
        pass slurm_two_ranks
    fi
}

# mrrun_holds_term PID: prints the pid of the mrrun under PID (its child
# or grandchild: PID may be a subshell, then timeout) once it holds
# SIGTERM: SigBlk has SIGUSR1 (bit 9, 0x200), blocked in the one call that
# holds SIGTERM too (which SigBlk lacks while sigtimedwait waits for it);
# false before (still timeout's fork, or mrrun before it blocks signals).
mrrun_holds_term() {
    local p blk
    for p in $(pgrep -P "$1") $(pgrep -P "$(pgrep -P "$1" | head -n 1)"); do
        [ "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null)")" = mrrun ] ||
            continue
        blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
        [ -n "$blk" ] && (( 0x$blk & 0x200 )) && { echo "$p"; return 0; }
    done
    return 1
}

# A worker rank waits for rank 0 to publish as long as it takes, and a
# SIGTERM (scancel) ends the wait: exit 143 and one line.
check_slurm_rank_waits() {
    local dir pid st
    dir=$(job_dir waits)
    (cd "$dir" && as_rank 1 0 0 exec $TIMEOUT "$B/mrrun" --slurm \
        --workers 1 --app wc "$IN") > /dev/null 2> "$dir/err" &
    pid=$!
    kill -TERM "$(wait_for 10 mrrun_holds_term "$pid")"
    wait "$pid"
    st=$?
    if [ $st -ne 143 ]; then
        fail slurm_rank_waits "SIGTERM while waiting: exit $st, not 143: $(cat "$dir/err")"
    elif ! logged "$dir/err" "^mrrun: rank 1 on .*interrupted by Terminated while waiting for rank 0 to publish .*\.mr-slurm-88-0\.0\.addr"; then
        fail slurm_rank_waits "no line said what it waited for: $(cat "$dir/err")"
    else
        pass slurm_rank_waits
    fi
}

# A worker rank that started as rank 0 ended: its worker finds no token
# (rank 0 removed it) and exits 2; then rank 0's .addr says "over 0". The
# rank exits 0, rank 0's status, not its worker's.
check_slurm_rank_late() {
    local dir port pid st addr
    dir=$(job_dir late)
    port=$(free_ports 1)
    addr=$dir/.mr-slurm-88-0.3.addr
    printf 'addr tcp:127.0.0.1:%s\nhost %s\npid 1\n' "$port" "$HOST" > "$addr"
    chmod 600 "$addr"
    (cd "$dir" && as_rank 1 0 3 exec $TIMEOUT "$B/mrrun" --slurm \
        --workers 1 --app wc "$IN") > "$dir/out" 2> "$dir/err" &
    pid=$!
    if ! wait_for 10 logged "$dir/err" "token file .*No such file"; then
        fail slurm_rank_late "its worker did not fail on the missing token: $(cat "$dir/err")"
        kill $pid; wait $pid
        return
    fi
    printf 'over 0\n' > "$addr.tmp" && mv "$addr.tmp" "$addr"
    wait $pid
    st=$?
    if [ $st -ne 0 ]; then
        fail slurm_rank_late "exit $st, not rank 0's 0: $(cat "$dir/err")"
    elif ! logged "$dir/out" "^rank 1 on .*: rank 0 exited 0: so does this rank"; then
        fail slurm_rank_late "no line said it took rank 0's status: $(cat "$dir/out")"
    else
        pass slurm_rank_late
    fi
}

# Nothing the local checks started is left running.
check_local_cleaned_up() {
    local left='' pid comm
    while read -r pid comm; do
        case $comm in
        mrrun|mrworker|mrcoordinator|sleep|sh|reduce.sh|map.sh)
            ours "$pid" && left="$left $comm($pid)" ;;
        esac
    done < <(ps -eo pid=,comm=)
    if [ -n "$left" ]; then
        fail local_cleaned_up "left running:$left"
    else
        pass local_cleaned_up
    fi
}

# ---------------------------------------------------------------- run

# Without root or the packages, the Slurm checks say why they are skipped.
why=''
if [ "$(id -u)" != 0 ]; then
    why="needs root (it runs slurmctld, slurmd and munged)"
elif ! "$REPO/tools/deps.sh" --install slurm > "$WORK/deps.log" 2>&1; then
    why="slurm-wlm and munge cannot be installed: $(tail -n 1 "$WORK/deps.log")"
elif ! command -v python3 > /dev/null; then
    why="needs python3 (to pick free ports)"
fi
if [ -n "$why" ]; then
    for c in "${SLURM_CHECKS[@]}"; do
        eval "check_$c() { skip $c \"$why\"; }"
    done
else
    trap 's=$?; stop_cluster; (exit $s); end_suite' EXIT   # end_suite reads $?
    if ! start_cluster; then
        fail setup "the cluster did not come up: $(tail -n 3 "$S"/*.log \
            "$S"/*.out 2>/dev/null | tr '\n' ' ')"
        exit 1
    fi
fi

run_checks "${LOCAL_CHECKS[*]} ${SLURM_CHECKS[*]}" "$@"
