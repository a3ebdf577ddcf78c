#!/usr/bin/env bash
# Hostile peers against a live coordinator: malformed and foreign bytes,
# silent and half-sent frames and hundreds of idle connections while a real
# word count runs, lying task reports, and the connection cap. The job must
# still finish with mrsequential's output, memory must stay bounded, and
# other clients must keep getting answers. Prints one "PASS name" or
# "FAIL name: why" line per check (build/tests/hostile_peer prints some).
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-hostiletest
HP=$B/tests/hostile_peer
NMAP=1
NREDUCE=5
SILENT=300
MAX_HWM_KB=$((64 * 1024))
need "$HP"
make_inputs --size 800000 a.txt

# A word count with 2 real workers. One hostile peer takes a map task and
# keeps it (the job cannot finish until it lets go); meanwhile another holds
# 300 silent connections open and sends garbage on others, and a third lies
# about tasks. Then the first lets go, and the job must end exactly as
# mrsequential says. The held map is the job's only one: no map finishes
# while it is held, so it gets no backup attempt (coordinator/tasks.h),
# which would end the job without the holder.
test_hostile_job() {
    local dir=$WORK/job addr held hold_pid rc hwm w1 w2 apid n
    mkdir "$dir" && cd "$dir" || return
    "$B/mrsequential" "$B/apps/wc.so" "$IN"/*.txt && sort mr-out-0 > ref
    rm -f mr-out-0
    addr=unix:$dir/s
    if ! start_coordinator . coord.log --addr "$addr" --task-timeout 60 \
            --reduce $NREDUCE "$IN"/*.txt; then
        fail hostile_job_setup "coordinator did not start: $(tail -2 coord.log)"
        return
    fi
    timeout 60 "$HP" hold "$addr" "$B/apps/wc.so" > hold.out 2>&1 &
    hold_pid=$!
    if ! wait_for 10 logged hold.out "held map"; then
        fail hostile_job_setup "could not take a task: $(cat hold.out)"
        return
    fi
    held=$(awk '/^held map/ {print $3}' hold.out)

    timeout 60 "$B/mrworker" --addr "$addr" "$B/apps/wc.so" 2>w1.log &
    w1=$!
    timeout 60 "$B/mrworker" --addr "$addr" "$B/apps/wc.so" 2>w2.log &
    w2=$!
    timeout 40 "$HP" attack "$addr" $SILENT > attack.out 2>&1 &
    apid=$!
    timeout 30 "$HP" lie "$addr" "$held" $NMAP $NREDUCE > lie.out 2>&1
    wait $apid
    cat lie.out attack.out
    grep -q '^[A-Z]* valid_request_answered' attack.out ||
        fail hostile_job_probe "hostile_peer attack ended early"

    # Still holding: a believed lie would have let the reduces start.
    if ! kill -0 $hold_pid 2>/dev/null; then
        fail lies_changed_nothing "the holding peer is gone"
    elif ls mr-out-* >/dev/null 2>&1; then
        fail lies_changed_nothing "reduce output exists while map $held is held"
    elif logged coord.log "running that map again"; then
        fail lies_changed_nothing "$(grep -F "map again" coord.log)"
    else
        pass lies_changed_nothing
    fi

    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$CPID/status" 2>/dev/null)
    if [ -z "$hwm" ]; then
        fail coordinator_memory_bounded "could not read VmHWM of pid $CPID"
    elif [ "$hwm" -ge $MAX_HWM_KB ]; then
        fail coordinator_memory_bounded "peak RSS $hwm kB, over $MAX_HWM_KB"
    else
        pass "coordinator_memory_bounded (peak RSS ${hwm} kB)"
    fi

    kill -TERM $hold_pid        # the holder goes; its task is reassigned
    wait $TPID; rc=$?
    wait $w1; local r1=$?
    wait $w2; local r2=$?
    sort mr-out-* 2>/dev/null | grep . > got
    n=$(ls mr-out-* 2>/dev/null | wc -l)
    if [ $rc -ne 0 ]; then
        fail hostile_job_output "coordinator exited $rc: $(tail -3 coord.log)"
    elif [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
        fail hostile_job_output "workers exited $r1 and $r2"
    elif [ "$n" -ne $NREDUCE ]; then
        fail hostile_job_output "$n outputs, wanted $NREDUCE"
    elif ! cmp -s got ref; then
        fail hostile_job_output "output differs from mrsequential"
    else
        pass hostile_job_output
    fi

    # One line for each kind of garbage, none for what was not logged.
    local want missing=
    for want in "frame larger than the maximum size" \
                "unknown protocol version" "malformed frame" \
                "unknown method" "payload does not unpack" \
                "closed in the middle of a frame" \
                "sent no complete request" "did not finish a frame" \
                "refused a task report"; do
        logged coord.log "$want" || missing="$missing '$want'"
    done
    if [ -n "$missing" ]; then
        fail hostile_job_logged "coordinator log lacks$missing"
    elif logged coord.log "forged line"; then
        fail hostile_job_logged "a forged log line got through"
    else
        pass hostile_job_logged
    fi
}

# A coordinator capped at 8 connections, offered 20: the extra ones are
# closed at once, one log line says so, and a freed slot serves again.
test_connection_cap() {
    local dir=$WORK/cap
    mkdir "$dir" && cd "$dir" || return
    if ! start_coordinator . coord.log --addr "unix:$dir/s" --max-conns 8 \
            "$IN/a.txt"; then
        fail connection_cap "coordinator did not start: $(tail -2 coord.log)"
        return
    fi
    local start=$SECONDS lines
    timeout 30 "$HP" conns "unix:$dir/s" 20 8
    kill -TERM "$CPID"
    wait $TPID
    lines=$(grep -cF 'connection cap of' coord.log)
    if ! logged coord.log "connection cap of 8 reached"; then
        fail connection_cap_logged "no cap line: $(tail -3 coord.log)"
    elif [ "$lines" -gt $((SECONDS - start + 2)) ]; then
        fail connection_cap_logged "$lines cap lines in $((SECONDS - start)) s"
    else
        pass connection_cap_logged
    fi
}

# --max-conns is checked like every other number.
test_max_conns_option() {
    local dir=$WORK/opt rc
    mkdir "$dir" && cd "$dir" || return
    timeout 10 "$B/mrcoordinator" --addr "unix:$dir/s" --max-conns 0 \
        "$IN/a.txt" > out 2> err
    rc=$?
    if [ $rc -ne 2 ]; then
        fail max_conns_option "--max-conns 0 exited $rc, wanted 2"
    elif ! grep -q "max-conns" err || [ "$(wc -l < err)" -ne 1 ]; then
        fail max_conns_option "message: $(cat err)"
    elif ! "$B/mrcoordinator" --help | grep -q -- "--max-conns N"; then
        fail max_conns_option "not in --help"
    else
        pass max_conns_option
    fi
}

test_max_conns_option
test_connection_cap
test_hostile_job
