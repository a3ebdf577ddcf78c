#!/usr/bin/env bash
# Workers that bring no app module (mrworker --addr ADDR): they take the
# job's from the coordinator (mrcoordinator --app PATH), over a Unix
# socket, and over TCP with a token; without a token over TCP they refuse
# to; one that brings the same file works beside them, one that brings
# another is refused, and so is one that asks a coordinator that has no
# module to give; a bad --app is one line.
# Prints one "PASS name" or "FAIL name: why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-network
need "$B/apps/wc.so" "$B/apps/indexer.so"
make_inputs --size 100000 a.txt b.txt c.txt
mkdir -p "$WORK/seq" && (cd "$WORK/seq" &&
    "$B/mrsequential" "$B/apps/wc.so" "$IN"/*.txt && sort mr-out-0 > ../ref) ||
    { fail setup "mrsequential failed"; exit 1; }

# same_as_sequential NAME DIR: DIR's mr-out-* hold what mrsequential wrote,
# and its marker names the app; fails NAME otherwise.
same_as_sequential() {
    local name=$1 dir=$2
    sort "$dir"/mr-out-* 2>/dev/null | grep . > "$dir.got"
    if ! cmp -s "$dir.got" "$WORK/ref"; then
        fail "$name" "output differs from mrsequential"
    elif ! grep -q '"app": "wc"' "$dir/mr-success"; then
        fail "$name" "the marker does not name app wc: $(head -c 300 \
            "$dir/mr-success")"
    else
        return 0
    fi
    return 1
}

# finish_job NAME DIR ADDR APP WORKER_ARGS...: two workers with those args
# in DIR against ADDR, the second with module APP unless it is "", then
# the coordinator ($TPID) must exit 0 with mrsequential's output in DIR.
# Passes or fails NAME.
finish_job() {
    local name=$1 dir=$2 addr=$3 app=$4 rc w1 w2
    shift 4
    (cd "$dir" && timeout 60 "$B/mrworker" --addr "$addr" "$@" \
        2>"$dir.w1.err") &
    w1=$!
    (cd "$dir" && timeout 60 "$B/mrworker" --addr "$addr" "$@" ${app:+"$app"} \
        2>"$dir.w2.err") &
    w2=$!
    wait "$w1"; rc=$?
    wait "$w2"; rc=$((rc | $?))
    wait "$TPID"
    rc=$((rc | $? << 4))
    if [ $rc -ne 0 ]; then
        fail "$name" "statuses (coordinator << 4 | workers) $rc:" \
            "$(tail -n 1 "$dir.w1.err" "$dir.w2.err" "$dir.log")"
    elif same_as_sequential "$name" "$dir"; then
        pass "$name"
    fi
}

# (a) Over a Unix socket, without a token: two workers take the module.
# Before them, one that brings another module is refused with one line.
test_fetch_over_unix() {
    local dir=$WORK/unix
    mkdir -p "$dir"
    start_coordinator "$dir" "$dir.log" --app "$B/apps/wc.so" \
        --addr "unix:$dir.sock" "$IN"/*.txt ||
        { fail fetch_over_unix "no coordinator: $(cat "$dir.log")"; return; }
    expect_error other_module_refused 4 \
        "start the worker without APP.so to take the job's module" \
        "$B/mrworker" --addr "unix:$dir.sock" "$B/apps/indexer.so"
    finish_job fetch_over_unix "$dir" "unix:$dir.sock" ""
}

# A worker that brings the same file as the coordinator's works beside one
# that takes it.
test_same_module_beside_fetcher() {
    local dir=$WORK/mixed
    mkdir -p "$dir"
    start_coordinator "$dir" "$dir.log" --app "$B/apps/wc.so" \
        --addr "unix:$dir.sock" "$IN"/*.txt ||
        { fail same_module_beside_fetcher "no coordinator"; return; }
    finish_job same_module_beside_fetcher "$dir" "unix:$dir.sock" \
        "$B/apps/wc.so"
}

# (b) Over TCP, with a token on both sides: two workers take the module.
test_fetch_over_tcp_with_token() {
    local dir=$WORK/tcp
    mkdir -p "$dir"
    head -c 32 /dev/urandom | base64 > "$WORK/token" && chmod 600 "$WORK/token"
    start_coordinator "$dir" "$dir.log" --app "$B/apps/wc.so" \
        --addr tcp:127.0.0.1:0 --token-file "$WORK/token" "$IN"/*.txt ||
        { fail fetch_over_tcp_with_token "no coordinator: $(cat "$dir.log")"
          return; }
    finish_job fetch_over_tcp_with_token "$dir" "$COORD_ADDR" "" \
        --token-file "$WORK/token"
}

# (c) A worker without a module and without a token, against a TCP
# coordinator: it refuses to take code from an unproven peer, exit 2.
test_fetch_over_tcp_needs_token() {
    local dir=$WORK/tcp-open
    mkdir -p "$dir"
    start_coordinator "$dir" "$dir.log" --app "$B/apps/wc.so" \
        --addr tcp:127.0.0.1:0 --output "$dir" "$IN"/*.txt ||
        { fail fetch_over_tcp_needs_token "no coordinator"; return; }
    expect_error fetch_over_tcp_needs_token 2 \
        "over TCP takes --token-file FILE" \
        "$B/mrworker" --addr "$COORD_ADDR"
    kill "$TPID" 2>/dev/null
    wait "$TPID" 2>/dev/null
}

# A worker without a module, against a coordinator that has none to give.
test_no_module_to_give() {
    local dir=$WORK/none
    mkdir -p "$dir"
    start_coordinator "$dir" "$dir.log" --addr "unix:$dir.sock" \
        "$IN"/*.txt || { fail no_module_to_give "no coordinator"; return; }
    expect_error no_module_to_give 4 "give the coordinator --app PATH" \
        "$B/mrworker" --addr "unix:$dir.sock"
    kill "$TPID" 2>/dev/null
    wait "$TPID" 2>/dev/null
}

test_fetch_over_unix
test_same_module_beside_fetcher
test_fetch_over_tcp_with_token
test_fetch_over_tcp_needs_token
test_no_module_to_give

# A worker that cannot serve its map outputs where it was told says so at
# start-up, with the address, and leaves nothing in its scratch directory.
test_shuffle_address_refused() {
    local dir=$WORK/bind scratch=$WORK/bind-scratch
    mkdir -p "$dir" "$scratch"
    mkdir -p "$dir-out"
    start_coordinator "$dir" "$dir.log" --addr "unix:$dir.sock" \
        --output "$dir-out" "$IN"/*.txt ||
        { fail shuffle_address_refused "no coordinator"; return; }
    expect_error shuffle_address_refused 4 \
        "cannot serve this worker's map outputs at tcp:192.0.2.1:0: " \
        "$B/mrworker" --addr "unix:$dir.sock" --scratch "$scratch" \
        --shuffle-addr tcp:192.0.2.1:0 "$B/apps/wc.so"
    [ -z "$(find "$scratch" -name 'mr-*.*')" ] ||
        fail shuffle_address_refused_cleans_up \
            "left: $(find "$scratch" -name 'mr-*.*' | head -3)"
    kill "$TPID" 2>/dev/null
    wait "$TPID" 2>/dev/null
}
test_shuffle_address_refused
# (e) A module the coordinator cannot read: one line, exit 2.
expect_error coord_app_missing 2 "^mrcoordinator: --app /nonexistent/wc.so" \
    "$B/mrcoordinator" --app /nonexistent/wc.so "$IN/a.txt"
expect_error coord_app_not_elf 2 "not an ELF file" \
    "$B/mrcoordinator" --app "$IN/a.txt" "$IN/a.txt"
