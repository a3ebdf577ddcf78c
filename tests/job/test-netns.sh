#!/usr/bin/env bash
# Whole jobs across network namespaces, as on hosts with no shared file
# system: the coordinator in a namespace of its own, listening on TCP with
# a token, with the inputs and the job's directory (--output); each of
# three workers in a namespace of its own, in a mount namespace where a
# tmpfs hides the suite's directory (so it sees neither the inputs nor the
# coordinator's files, only the build directory and a copy of the token),
# taking the job's module from the coordinator, keeping its files in its
# private scratch directory and serving its map outputs to the other
# workers' reduces. Checks: a word count and an indexer job give
# mrsequential's output in the coordinator's --output directory, with
# reduces that fetched over the network; a worker with the wrong token is
# refused (exit 4) while the job goes on; a worker holding finished map
# outputs SIGKILLed during the reduce phase has its maps run again (the
# coordinator finds out first either from the worker's lost connection or
# from a reduce that could not fetch, whichever comes first) and the
# output stays the same; the namespaces leave nothing behind.
# Needs root; without it every check prints "SKIP name: needs root
# (network namespaces)".
# Prints one "PASS name", "FAIL name: why" or "SKIP name: why" per check.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

CHECKS=(netns_private_view netns_wrong_token_refused netns_wc netns_indexer
        netns_worker_killed_in_reduce netns_cleaned_up)
REDUCE=5
WORKERS=(w1 w2 w3)

begin_suite mr-netns
need "$B/apps/wc.so" "$B/apps/indexer.so" "$B/tests/apps/slowreduce.so"
if ! why=$(netns_can); then
    for c in "${CHECKS[@]}"; do skip "$c" "$why"; done
    exit 0
fi
LINKS_BEFORE=$(ip -o link show | awk -F': ' '{print $2}')
trap 's=$?; end_jobs; netns_down; (exit $s); end_suite' EXIT   # end_suite reads $?
netns_up coord "${WORKERS[@]}" intruder > "$WORK/netns-up.log" ||
    { fail setup "$(cat "$WORK/netns-up.log")"; exit 1; }

make_inputs --size 3000000 a.txt b.txt c.txt d.txt
head -c 32 /dev/urandom | base64 > "$WORK/token" &&
    head -c 32 /dev/urandom | base64 > "$WORK/bad-token" &&
    chmod 600 "$WORK/token" "$WORK/bad-token" ||
    { fail setup "cannot write the tokens"; exit 1; }

# mrsequential's outputs, sorted, in $WORK/ref-NAME (NAME: the module's).
for app in "$B/apps/wc.so" "$B/apps/indexer.so" "$B/tests/apps/slowreduce.so"; do
    reference "$app" "$WORK/ref-$(basename "$app" .so)" "$IN"/*.txt ||
        { fail setup "mrsequential $app failed"; exit 1; }
done

# ---------------------------------------------------------------- helpers

# net_coordinator DIR APP ARGS...: start_coordinator in DIR (log DIR.log)
# in namespace coord, on TCP with the token, with DIR/out as the job's
# directory, the module APP for workers to take, REDUCE reduce tasks, the
# inputs, and ARGS.
net_coordinator() {
    local dir=$1 app=$2
    shift 2
    mkdir -p "$dir/out" &&
        TIMEOUT="$TIMEOUT ip netns exec $(netns_name coord)" \
        start_coordinator "$dir" "$dir.log" \
            --addr "tcp:${NETNS_IP[coord]}:0" --token-file "$WORK/token" \
            --output "$dir/out" --reduce $REDUCE --app "$app" "$@" \
            "$IN"/*.txt
}

# start_workers DIR: one mrworker without a module in each of WORKERS'
# namespaces, its scratch directory under $TMPDIR in its private tmpfs,
# stderr in DIR.NODE.log (at MR_LOG=info); WPIDS[i] the pid to wait for.
start_workers() {
    local dir=$1 node
    WPIDS=()
    for node in "${WORKERS[@]}"; do
        netns_private_cmd "$node" "$WORK" "$WORK/token"
        # The subshell reports a worker killed by a signal as a status, so
        # that bash does not print "Killed" when it is waited for.
        (TMPDIR=$WORK MR_LOG=info $TIMEOUT "${NETNS_CMD[@]}" \
            "$B/mrworker" --addr "$COORD_ADDR" --token-file "$WORK/token" \
            2>"$dir.$node.log"; exit $?) 2>/dev/null &
        WPIDS+=($!)
    done
}

# wait_job DIR: waits for the workers (statuses in WRC[i]) and the
# coordinator (CRC).
wait_job() {
    local i
    WRC=()
    for i in "${!WPIDS[@]}"; do
        wait "${WPIDS[$i]}"
        WRC[i]=$?
    done
    wait "$TPID"
    CRC=$?
}

# job_problem DIR REF SKIP_NODE: what is wrong with the job run in DIR
# (printed; nothing when all is well): the coordinator exited 0; its
# --output directory holds exactly mr-out-0 .. mr-out-<REDUCE-1> and
# mr-success; their lines are REF's; each worker (but SKIP_NODE) exited 0
# and kept its files local; some reduce fetched bytes over the network.
job_problem() {
    local dir=$1 ref=$2 skip_node=${3:-} i node want
    want=$(for ((i = 0; i < REDUCE; i++)); do echo "mr-out-$i"; done
           echo mr-success)
    if [ "$CRC" -ne 0 ]; then
        echo "coordinator exited $CRC: $(tail -n 1 "$dir.log")"
        return
    fi
    for i in "${!WORKERS[@]}"; do
        node=${WORKERS[$i]}
        [ "$node" = "$skip_node" ] && continue
        if [ "${WRC[$i]}" -ne 0 ]; then
            echo "worker $node exited ${WRC[$i]}: $(tail -n 1 "$dir.$node.log")"
            return
        elif ! logged "$dir.$node.log" \
                "cannot write the job's directory .*keeping this worker's files local"; then
            echo "worker $node did not keep its files local"
            return
        fi
    done
    if [ "$(ls -A "$dir/out" | sort)" != "$(echo "$want" | sort)" ]; then
        echo "the output directory holds: $(ls -A "$dir/out" | tr '\n' ' ')"
    elif ! sort "$dir"/out/mr-out-* | grep . | cmp -s - "$ref"; then
        echo "output differs from mrsequential"
    elif ! cat "$dir".w*.log |
            grep -q "reduce task [0-9]* fetched [1-9][0-9]* of its"; then
        echo "no reduce fetched anything over the network"
    fi
}

# finish_job NAME DIR REF: starts the workers on the job of the
# coordinator just started in DIR, waits for it, and passes NAME if
# job_problem finds nothing.
finish_job() {
    local problem
    start_workers "$2"
    wait_job "$2"
    problem=$(job_problem "$2" "$3")
    if [ -n "$problem" ]; then fail "$1" "$problem"
    else pass "$1"; fi
}

# ---------------------------------------------------------------- checks

# A worker's view: the build directory, a private token file (mode 600)
# with the token's bytes, and neither the inputs nor the suite's files.
test_private_view() {
    local got
    netns_private_cmd w1 "$WORK" "$WORK/token"
    # shellcheck disable=SC2016
    got=$("${NETNS_CMD[@]}" bash -c '
        test -x "$1" || echo "no $1;"
        test -e "$2" && echo "sees $2;"
        test -e "$3" && echo "sees $3;"
        [ "$(stat -c %a "$4")" = 600 ] || echo "token mode not 600;"
        [ "$(pwd)" = "$5" ] || echo "cwd $(pwd);"
        sha256sum < "$4"' - "$B/mrworker" "$IN/a.txt" "$WORK/netns-up.log" \
        "$WORK/token" "$WORK" 2>&1)
    if [ "$got" != "$(sha256sum < "$WORK/token")" ]; then
        fail netns_private_view "$(echo "$got" | tr '\n' ' ')"
    else
        pass netns_private_view
    fi
}

# The word count, with a worker holding the wrong token refused first (one
# line, exit 4, the coordinator says why); the job goes on without it.
test_wc() {
    local dir=$WORK/wc rc msg
    net_coordinator "$dir" "$B/apps/wc.so" ||
        { fail netns_wc "no coordinator: $(cat "$dir.log")"; return; }
    netns_private_cmd intruder "$WORK" "$WORK/bad-token"
    $TIMEOUT "${NETNS_CMD[@]}" "$B/mrworker" --addr "$COORD_ADDR" \
        --token-file "$WORK/bad-token" 2>"$dir.intruder.log"
    rc=$?
    msg=$(head -c 300 "$dir.intruder.log")
    if [ $rc -ne 4 ]; then
        fail netns_wrong_token_refused "exit status $rc, wanted 4: $msg"
    elif [ "$(wc -l < "$dir.intruder.log")" -ne 1 ] ||
         ! logged "$dir.intruder.log" "does not know this token"; then
        fail netns_wrong_token_refused "the worker said: $msg"
    elif ! logged "$dir.log" "hung up after our token proof"; then
        fail netns_wrong_token_refused "the coordinator did not say why"
    else
        pass netns_wrong_token_refused
    fi
    finish_job netns_wc "$dir" "$WORK/ref-wc"
}

test_indexer() {
    local dir=$WORK/indexer
    net_coordinator "$dir" "$B/apps/indexer.so" ||
        { fail netns_indexer "no coordinator: $(cat "$dir.log")"; return; }
    finish_job netns_indexer "$dir" "$WORK/ref-indexer"
}

# once_assigned_map_pid LOG: the pid of the worker of a map task handed
# out only once (so that worker finished it), from the coordinator's
# debug log; false if there is none.
once_assigned_map_pid() {
    sed -n 's/.*map task \([0-9]*\) attempt [0-9]* -> connection [0-9]* (worker pid \([0-9]*\))/\1 \2/p' \
        "$1" | awk '
        { n[$1]++; pid[$1] = $2 }
        END { for (m in n) if (n[m] == 1) { print pid[m]; exit 0 }; exit 1 }'
}

# A worker that holds finished map outputs, SIGKILLed once the reduce
# phase has begun: the coordinator runs its maps again and the job's
# output is still mrsequential's. slowreduce's reduce sleeps per key, so
# that reduces are still running when the kill comes; were they all done
# already, the check fails rather than pass without having tested
# anything.
test_killed_in_reduce() {
    local name=netns_worker_killed_in_reduce dir=$WORK/kill
    local victim node="" i done_before nmap problem victim_rc=
    MR_LOG=debug net_coordinator "$dir" "$B/tests/apps/slowreduce.so" ||
        { fail $name "no coordinator: $(cat "$dir.log")"; return; }
    MR_TEST_REDUCE_DELAY_US=100 start_workers "$dir"
    if ! wait_for 50 logged "$dir.log" "reduce task [0-9]*: IDLE -> RUNNING"
    then
        end_jobs
        fail $name "the reduce phase did not begin: $(tail -n 1 "$dir.log")"
        return
    fi
    victim=$(once_assigned_map_pid "$dir.log")
    for i in "${!WORKERS[@]}"; do
        [ -n "$victim" ] && logged "$dir.${WORKERS[$i]}.log" \
            "^mrworker\[$victim\]: " && node=${WORKERS[$i]}
    done
    if [ -z "$node" ]; then
        end_jobs
        fail $name "no worker of ours finished a map (pid '$victim')"
        return
    fi
    done_before=$(grep -c "reduce task [0-9]*: RUNNING -> DONE" "$dir.log")
    kill -KILL "$victim"
    wait_job "$dir"
    nmap=$(sed -n 's/.*"map_tasks": \([0-9]*\),/\1/p' "$dir/out/mr-success" \
        2>/dev/null)
    problem=$(job_problem "$dir" "$WORK/ref-slowreduce" "$node")
    for i in "${!WORKERS[@]}"; do
        [ "${WORKERS[$i]}" = "$node" ] && victim_rc=${WRC[$i]}
    done
    if [ "$done_before" -ge $REDUCE ]; then
        fail $name "every reduce was done before the kill: nothing was" \
            "tested (make slowreduce's delay longer)"
    elif [ "$victim_rc" != 137 ]; then
        fail $name "the killed worker exited $victim_rc, not 137"
    elif [ -n "$problem" ]; then
        fail $name "$problem"
    elif ! logged "$dir.log" \
            "a worker that kept the outputs of [1-9][0-9]* map tasks\? .*is gone; running them again" &&
         ! logged "$dir.log" \
            "reduce task [0-9]* could not fetch the outputs of .*; [1-9][0-9]* of them run again"; then
        fail $name "the coordinator did not say it runs the maps again:" \
            "$(grep -m1 'warn' "$dir.log")"
    elif ! logged "$dir.log" "map task [0-9]*: DONE -> IDLE" ||
         [ "$(grep -c "map task [0-9]*: RUNNING -> DONE" "$dir.log")" -le \
           "${nmap:-0}" ]; then
        fail $name "no map ran again"
    elif ! grep -q "\"input_bytes\": $(cat "$IN"/*.txt | wc -c)," \
            "$dir/out/mr-success"; then
        fail $name "the summary counts the maps run again twice:" \
            "$(grep -o '"input_bytes": [0-9]*' "$dir/out/mr-success")"
    else
        pass $name
    fi
}

# Once torn down: no namespace of this run, and the root namespace has
# the interfaces it had.
test_cleaned_up() {
    local left
    netns_down
    left=$(ip netns list | grep -c "^$NETNS_PREFIX-")
    if [ "$left" -ne 0 ]; then
        fail netns_cleaned_up "$left namespaces left: $(ip netns list |
            grep "^$NETNS_PREFIX-" | tr '\n' ' ')"
    elif [ "$(ip -o link show | awk -F': ' '{print $2}')" != "$LINKS_BEFORE" ]
    then
        fail netns_cleaned_up "the root namespace's interfaces changed"
    else
        pass netns_cleaned_up
    fi
}

test_private_view
test_wc
test_indexer
test_killed_in_reduce
test_cleaned_up
