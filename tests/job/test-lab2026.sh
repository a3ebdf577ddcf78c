#!/usr/bin/env bash
# The 2026 lab's Go harness (src/mr/mr_test.go and util.go), ported: a fake
# lab tree, the coordinator started from src/mr with inputs that only the
# workers' directory src/mr/mr-tmp-XXXXXXXX can resolve, and each Go test's
# checks, followed by what a user of the harness would see: nothing left in
# src/mr, nothing but mr-* files in the job's directory, a success marker
# naming 10 reduce tasks, every process exiting 0 (the crash test's
# workers excepted). Prints one "PASS name" or "FAIL name: why" per test.
#
# Usage: BUILD=build tests/job/test-lab2026.sh [TEST...]
#   TEST is any of: wc indexer map_parallel reduce_parallel job_count
#   early_exit crash_worker, with or without the lab2026_ prefix
#   (default: all). MR_KEEP=1 keeps the work directory for inspection.
set -u
. "$(dirname "$0")/lib.sh"

ALL="wc indexer map_parallel reduce_parallel job_count early_exit crash_worker"

begin_suite mr-lab2026
# Every process gets a deadline: a hang fails the test, never blocks.
TIMEOUT="timeout -k 2s 120s"
FAILS=0

# ---------------------------------------------------------------- the tree

# $ROOT is the lab's src/: main/ (inputs and binaries), mrapps/, and mr/,
# the Go test process's directory and the coordinator's. $WORK/main, where
# ../../main leads from src/mr, does not exist, as 6.5840/main does not.
ROOT=$WORK/src
NAMES="pg-being_ernest.txt pg-dorian_gray.txt pg-frankenstein.txt
pg-grimm.txt pg-huckleberry_finn.txt pg-metamorphosis.txt
pg-sherlock_holmes.txt pg-tom_sawyer.txt"
setup() {
    local p a
    mkdir -p "$ROOT/main" "$ROOT/mrapps" "$ROOT/mr" "$WORK/logs" || return 1
    (cd "$ROOT/main" && "$B/mrgen" --size 300000 $NAMES) >/dev/null ||
        return 1
    for p in mrcoordinator mrworker mrsequential; do
        [ -x "$B/$p" ] && ln -s "$B/$p" "$ROOT/main/$p" || return 1
    done
    for a in wc indexer mtiming rtiming jobcount early_exit crash nocrash; do
        [ -f "$B/apps/$a.so" ] && ln -s "$B/apps/$a.so" "$ROOT/mrapps/$a.so" ||
            return 1
    done
}

# ---------------------------------------------------------------- util.go

# RandString(n): the first n characters of 2n random bytes, base64url.
rand_string() {
    head -c $((2 * $1)) /dev/urandom | base64 -w 0 | tr '+/' '-_' |
        cut -c 1-"$1"
}

# findFiles(dir, s): `find dir -type f -name s`, recursive.
find_files() { find "$1" -type f -name "$2"; }

# findFilesPre("../main", "pg*txt", ".."): each path prefixed with "..".
find_files_pre() {
    local f
    FILES=()
    while IFS= read -r f; do FILES+=("../$f"); done < <(find_files "$1" "$2")
}

# mkOut(): a fresh job directory, relative to src/mr.
mk_out() {
    tmp=mr-tmp-$(rand_string 8)
    mkdir "$tmp"                    # os.Mkdir(tmp, 0755), under the umask
}

# What t.Fatalf and log.Fatalf stand for here: the test fails, with why.
fatal() { WHY+=("$1"); return 1; }

# mkCorrectOutput(files, app, out): mrsequential in tmp, sorted into out.
mk_correct_output() {
    (cd "$tmp" && exec $TIMEOUT ../../main/mrsequential "$1" "${FILES[@]}") \
        >>"$LOG/mrsequential" 2>&1 ||
        { fatal "mrsequential $1 failed (exit $?)"; return 1; }
    sort "$tmp/mr-out-0" > "$tmp/$2" || { fatal "sort failed"; return 1; }
    rm "$tmp/mr-out-0" || fatal "Remove failed"
}

# mergeOutput(out): every mr-out-[0-9] under tmp, sorted into tmp/out.
merge_output() {
    local files=() f
    while IFS= read -r f; do files+=("$f"); done \
        < <(find_files "$tmp" 'mr-out-[0-9]')
    [ ${#files[@]} -ge 1 ] ||
        { fatal "reduce created no mr-out-X output files!"; return 1; }
    sort "${files[@]}" > "$tmp/$1" || fatal "sort failed"
}

# runCmp(t, f1, f2, msg): cmp in tmp.
run_cmp() {
    local out
    out=$(cd "$tmp" && cmp -- "$1" "$2" 2>&1) || fatal "$3 ($out)"
}

# countPattern(files, p): matches of the regexp p in all files. Go's
# FindAllString over a file's text; "." stops at a newline, so matching
# line by line with grep -o counts the same.
count_pattern() {
    local p=$1
    shift
    [ $# -eq 0 ] && { echo 0; return; }
    grep -ahoE -- "$p" "$@" | wc -l
}

# The mr-out* files under tmp, into OUTS.
find_outs() {
    local f
    OUTS=()
    while IFS= read -r f; do OUTS+=("$f"); done < <(find_files "$tmp" 'mr-out*')
}

# ---------------------------------------------------------------- processes

# Waits for pid once; its exit status is then STATUS[pid].
declare -A STATUS
reap() {
    [ -n "${STATUS[$1]:-}" ] && return
    wait "$1"
    STATUS[$1]=$?
}

# The coordinator, from src/mr, as runMRchan starts it; sets CPID.
start_mrcoordinator() {
    SOCK=$WORK/5840-mr-$(rand_string 20)
    $TIMEOUT ../main/mrcoordinator "$SOCK" "${FILES[@]}" \
        >>"$LOG/coordinator" 2>&1 &
    CPID=$!
    RAN=1
}

# startWorker(app, i, c, sock): a worker in tmp; sets WPIDS[i].
start_worker() {
    (cd "$tmp" && exec $TIMEOUT ../../main/mrworker "$1" "$SOCK") \
        >>"$LOG/worker-$2" 2>&1 &
    WPIDS[$2]=$!
}

# After coord.Wait(): a failed coordinator is log.Fatalf("Wait %v").
coordinator_ended() {
    rm -f "$SOCK"                   # os.Remove(sock)
    [ "${STATUS[$CPID]}" -eq 0 ] ||
        fatal "Wait: coordinator exited ${STATUS[$CPID]}"
}

# runMR(files, app, n): returns when the coordinator has exited; the
# workers may still be running, as they may in the Go harness.
run_mr() {
    local i
    start_mrcoordinator
    sleep 1                         # the harness's own: "give the
                                    # coordinator time to create the sockets"
    for ((i = 0; i < $2; i++)); do start_worker "$1" "$i"; done
    reap "$CPID"
    coordinator_ended
}

# ---------------------------------------------------------------- a test

# Starts test $1: a fresh tmp, the inputs, no processes yet.
begin() {
    NAME=lab2026_$1
    WHY=()
    WPIDS=()
    CPID=
    RAN=0
    LOG=$WORK/logs/$1
    mkdir -p "$LOG"
    BEFORE=$(ls -A)
    mk_out
    find_files_pre ../main 'pg*txt'
}

# The last lines a process wrote, for a failure report.
show_log() {
    [ -s "$LOG/$1" ] || return 0
    echo "    $1:"
    tail -n 4 "$LOG/$1" | sed 's/^/      /'
}

# Waits for the workers, checks what a user would see, runs the Go
# cleanup when the test passed, and prints the verdict. With "crash", the
# workers' exit statuses are not checked.
finish() {
    local i rc stray left msg
    for i in "${!WPIDS[@]}"; do
        reap "${WPIDS[$i]}"
        rc=${STATUS[${WPIDS[$i]}]}
        [ "${1:-}" = crash ] || [ "$rc" -eq 0 ] ||
            WHY+=("worker $i exited $rc")
    done
    if [ "$RAN" = 1 ]; then
        if [ ! -f "$tmp/mr-success" ]; then
            WHY+=("no mr-success in $tmp")
        elif ! grep -q '"reduce_tasks": 10,' "$tmp/mr-success"; then
            WHY+=("mr-success does not name 10 reduce tasks")
        fi
    fi
    stray=$(comm -13 <(echo "$BEFORE" | sort) <(ls -A | sort) |
            grep -v '^mr-tmp-' |
            paste -sd ' ')
    [ -z "$stray" ] || WHY+=("left in the coordinator's directory: $stray")
    if [ ${#WHY[@]} -eq 0 ]; then
        # cleanup(): every file named mr-*, then the directory.
        find_files "$tmp" 'mr-*' | while IFS= read -r f; do rm -f "$f"; done
        rmdir "$tmp" 2>/dev/null
        if [ -e "$tmp" ]; then
            left=$(cd "$tmp" && find . -mindepth 1 | sed 's|^\./||' |
                   head -n 8 | paste -sd ' ')
            WHY+=("the job left more than mr-* files in its directory: $left")
        fi
    fi
    if [ ${#WHY[@]} -eq 0 ]; then
        pass "$NAME"
        return
    fi
    printf -v msg '%s; ' "${WHY[@]}"
    fail "$NAME" "${msg%; }"
    FAILS=$((FAILS + 1))
    show_log coordinator
    for i in "${!WPIDS[@]}"; do
        [ "${STATUS[${WPIDS[$i]}]:-0}" -eq 0 ] || show_log "worker-$i"
    done
}

# ---------------------------------------------------------------- mr_test.go

INCORRECT="incorrect combined reduce output"

test_wc() {
    begin wc
    local app=../../mrapps/wc.so
    mk_correct_output "$app" mr-wc-correct.txt &&
        run_mr "$app" 3 &&
        merge_output mr-wc-all.txt &&
        run_cmp mr-wc-all.txt mr-wc-correct.txt \
            "$INCORRECT: mr-wc-all.txt vs mr-wc-correct.txt"
    finish
}

test_indexer() {
    begin indexer
    local app=../../mrapps/indexer.so
    mk_correct_output "$app" mr-indexer-correct.txt &&
        run_mr "$app" 2 &&
        merge_output mr-indexer-all.txt &&
        run_cmp mr-indexer-all.txt mr-indexer-correct.txt \
            "$INCORRECT: mr-indexer-all.txt vs mr-indexer-correct.txt"
    finish
}

test_map_parallel() {
    begin map_parallel
    local n
    if run_mr ../../mrapps/mtiming.so 2; then
        find_outs
        n=$(count_pattern "times-" "${OUTS[@]}")
        if [ "$n" -ne 2 ]; then
            fatal "saw $n worker(s) instead of 2"
        elif [ "$(count_pattern "parallel.*" "${OUTS[@]}")" -eq 0 ]; then
            fatal "map workers did not run in parallel"
        fi
    fi
    finish
}

test_reduce_parallel() {
    begin reduce_parallel
    if run_mr ../../mrapps/rtiming.so 2; then
        find_outs
        [ "$(count_pattern "[a-z] 2" "${OUTS[@]}")" -ge 2 ] ||
            fatal "too few parallel reduces"
    fi
    finish
}

test_job_count() {
    begin job_count
    if run_mr ../../mrapps/jobcount.so 4; then
        find_outs
        [ "$(count_pattern "a 8" "${OUTS[@]}")" -eq 1 ] ||
            fatal "map jobs ran incorrect number of times"
    fi
    finish
}

# The moment the first of the coordinator and the workers exits, the
# output must be final.
test_early_exit() {
    begin early_exit
    local app=../../mrapps/early_exit.so i first='' rc pids
    start_mrcoordinator
    sleep 1                         # the harness's own
    for ((i = 0; i < 4; i++)); do start_worker "$app" "$i"; done
    pids=("$CPID" "${WPIDS[@]}")
    wait -n -p first "${pids[@]}"
    rc=$?
    [ -n "$first" ] && STATUS[$first]=$rc
    merge_output mr-wc-initial.txt
    local initial=$?
    reap "$CPID"
    coordinator_ended
    for i in "${WPIDS[@]}"; do reap "$i"; done
    [ "$initial" -eq 0 ] &&
        merge_output mr-wc-final.txt &&
        run_cmp mr-wc-initial.txt mr-wc-final.txt \
            "reduce output changed: mr-wc-initial.txt vs mr-wc-final.txt"
    finish
}

# One of TestCrashWorker's workers: restarted whenever it exits, until
# the coordinator has exited ($DONE exists).
crash_slot() {
    local pid
    trap 'kill $pid 2>/dev/null; exit 143' TERM
    while :; do
        (cd "$tmp" && exec $TIMEOUT ../../main/mrworker "$1" "$SOCK") \
            >>"$LOG/worker-$2" 2>&1 &
        pid=$!
        echo "$pid" >>"$LOG/starts"
        wait "$pid"
        [ -e "$DONE" ] && break
    done
}

test_crash_worker() {
    begin crash_worker
    local app=../../mrapps/crash.so i slots=()
    DONE=$WORK/crash-coordinator-done
    rm -f "$DONE"
    if mk_correct_output ../../mrapps/nocrash.so mr-crash-correct.txt; then
        start_mrcoordinator
        sleep 1                     # the harness's own
        for ((i = 0; i < 3; i++)); do
            crash_slot "$app" "$i" &
            slots+=($!)
        done
        reap "$CPID"
        : >"$DONE"
        coordinator_ended &&
            merge_output mr-crash-all.txt &&
            run_cmp mr-crash-all.txt mr-crash-correct.txt \
                "$INCORRECT: mr-crash-all.txt vs mr-crash-correct.txt"
        for i in "${slots[@]}"; do wait "$i"; done
    fi
    finish crash
    [ -s "$LOG/starts" ] && echo "  ($(wc -l <"$LOG/starts") workers started)"
}

# ---------------------------------------------------------------- main

if ! setup; then
    fail setup "could not build the lab tree under $ROOT"
    exit 1
fi
cd "$ROOT/mr" || exit 1
[ $# -eq 0 ] && set -- $ALL
for arg in "$@"; do
    t=${arg#lab2026_}
    case " $ALL " in
    *" $t "*) ;;
    *)  fail "$arg" "no such test (known: $ALL)"
        FAILS=$((FAILS + 1))
        continue ;;
    esac
    start=$SECONDS
    "test_$t"
    echo "  ($t took $((SECONDS - start))s)"
done
[ "$FAILS" -eq 0 ]
