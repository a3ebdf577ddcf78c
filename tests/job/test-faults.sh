#!/usr/bin/env bash
# Faults a user can meet: unreadable, empty, binary and giant inputs, app
# modules without the entry symbol or built for another ABI, a job
# directory workers cannot write, a disk that fills during map or reduce
# (and one that frees up). A refusal is one clear line on stderr, a
# non-zero exit and nothing written; a failed job ends with one line naming
# the cause after its retries and leaves no partial or temporary file; an
# odd but valid input gives mrsequential's output. Checks that mount a
# file system need root and print "SKIP name: needs root" without it.
# Prints one "PASS name", "FAIL name: why" or "SKIP name: why" per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-faulttest
chmod 755 "$WORK"               # an unprivileged worker reads inputs here
MOUNTS=()
# unmount_all: the tmpfs mount_tmpfs made, once nothing runs in them.
unmount_all() {
    local m
    for m in "${MOUNTS[@]}"; do
        mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }
    done
}
trap 's=$?; end_jobs; unmount_all; (exit $s); end_suite' EXIT   # end_suite reads $?

# Root runs the "unprivileged" side of a check as nobody (root reads and
# writes whatever the permission bits say); anyone else runs it as itself.
ROOT=false
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
    ROOT=true
    RUNAS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    command -v setpriv >/dev/null || {
        fail setup "running as root needs setpriv (util-linux)"; exit 1; }
fi

make_inputs --size 100000 a.txt
make_inputs --size 1000000 m1.txt
make_inputs --size 2000000 m2.txt
mkdir "$WORK/socks" && { ! $ROOT || chown nobody:nogroup "$WORK/socks"; }
need "$B"/tests/apps/{noentry,abi99,bigreduce}.so

# A directory the unprivileged side can write.
user_dir() {
    mkdir -p "$1" && { ! $ROOT || chown nobody:nogroup "$1"; }
}

# mount_tmpfs DIR OPTIONS: mounts a tmpfs there, unmounted on exit.
mount_tmpfs() {
    mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" || return 1
    MOUNTS+=("$1")
}

# expect_error_as_user NAME STATUS PATTERN CMD...: expect_error with CMD
# run as the unprivileged user, in a directory that user can write.
expect_error_as_user() {
    user_dir "$WORK/err-$1" &&
        expect_error "$1" "$2" "$3" "${RUNAS[@]}" "${@:4}"
}

# tcp_coordinator DIR LOG ARGS...: start_coordinator in DIR, with DIR as
# the job's directory, on a port the kernel picks. Over TCP so that a
# worker running as another user can connect (such a worker may not choose
# the job's directory, hence --output). With RUNAS_COORD=1 it runs as the
# unprivileged user too.
tcp_coordinator() {
    local dir=$1 log=$2 t=$TIMEOUT
    shift 2
    [ "${RUNAS_COORD:-0}" = 1 ] && t="$t ${RUNAS[*]}"
    TIMEOUT=$t start_coordinator "$dir" "$log" --addr tcp:127.0.0.1:0 \
        --output "$dir" "$@"
}

# check_job_failed NAME RC LOG PATTERN DIR: the coordinator exited 1 after
# retrying (four failed attempts), its last line says why, matching
# PATTERN, and DIR holds only the job's failure note (only_failure_note).
check_job_failed() {
    local name=$1 rc=$2 log=$3 pattern=$4 dir=$5 last why
    last=$(tail -n 1 "$log")
    if [ "$rc" -ne 1 ]; then
        fail "$name" "coordinator exited $rc, wanted 1: $last"
    elif ! grep -q "attempt 4 failed" "$log"; then
        fail "$name" "the task was not retried: $(grep -m1 failed "$log")"
    elif ! echo "$last" |
            grep -q -- "^mrcoordinator: job failed: .*$pattern"; then
        fail "$name" "last line '$last' lacks '$pattern'"
    elif ! why=$(only_failure_note "$dir"); then
        fail "$name" "$why"
    else
        pass "$name"
    fi
}

# ---------------------------------------------------------------- inputs

# An input the user cannot read is refused before any work, by name.
test_unreadable_input() {
    local secret=$WORK/secret.txt S=unix:$WORK/socks/unreadable
    cp "$IN/a.txt" "$secret" && chmod 000 "$secret"
    expect_error_as_user unreadable_input_coordinator 1 \
        "secret.txt cannot be read: Permission denied" \
        "$B/mrcoordinator" --addr "$S" "$IN/a.txt" "$secret"
    expect_error_as_user unreadable_input_sequential 1 \
        "cannot open input .*secret.txt: Permission denied" \
        "$B/mrsequential" "$B/apps/wc.so" "$secret"
    expect_error_as_user unreadable_input_mrrun 1 \
        "secret.txt cannot be read: Permission denied" \
        "$B/mrrun" "$secret"
    rm -f "$secret"
}

# An input that becomes unreadable to the worker after the coordinator
# planned it: the map task fails saying so, is retried, and the job fails
# naming the file. Both run as the unprivileged user (root reads anything).
test_unreadable_input_for_worker() {
    local name=unreadable_input_worker dir=$WORK/worker-unreadable rc
    local secret=$WORK/secret2.txt why
    why="cannot open input .*secret2.txt: Permission denied"
    user_dir "$dir" && cp "$IN/a.txt" "$secret" && chmod 644 "$secret"
    RUNAS_COORD=1 tcp_coordinator "$dir" "$WORK/$name-coord.log" \
        --reduce 2 "$secret" || { fail $name "no coordinator"; return; }
    chmod 000 "$secret"
    (cd "$dir" && timeout -k 5 60 "${RUNAS[@]}" "$B/mrworker" \
        --addr "$COORD_ADDR" "$B/apps/wc.so" 2>"$WORK/$name-worker.log")
    wait "$TPID"; rc=$?
    if ! grep -q "map task 0 failed: $why" "$WORK/$name-worker.log"; then
        fail $name "worker said: $(head -c 300 "$WORK/$name-worker.log")"
    else
        check_job_failed $name $rc "$WORK/$name-coord.log" \
            "map task 0 (input .*secret2.txt) failed 4 times; last error: $why" "$dir"
    fi
    rm -f "$secret"
}

# like_sequential NAME FILE [COORDINATOR OPTIONS...]: a job on FILE
# succeeds, writes every mr-out-* and the success marker and nothing else
# (hidden files included), its worker says
# nothing, and its output is mrsequential's. (One worker: a second one
# could come after the job is over and rightly complain.)
like_sequential() {
    local name=$1 file=$2 dir=$WORK/ok-$1 rc extra
    shift 2
    mkdir -p "$dir/ref" "$dir/job"
    (cd "$dir/ref" &&
     timeout -k 5 60 "$B/mrsequential" "$B/apps/wc.so" "$file") ||
        { fail "$name" "mrsequential failed"; return 1; }
    sort "$dir/ref/mr-out-0" > "$dir/want"
    tcp_coordinator "$dir/job" "$dir/coord.log" --reduce 3 "$@" "$file" || {
        fail "$name" "no coordinator"; return 1; }
    (cd "$dir/job" && timeout -k 5 60 "$B/mrworker" --addr "$COORD_ADDR" \
        "$B/apps/wc.so" 2>"$dir/worker.log")
    wait "$TPID"; rc=$?
    extra=$(ls -A "$dir/job" | grep -v -e '^mr-out-[012]$' -e '^mr-success$')
    if [ $rc -ne 0 ]; then
        fail "$name" "job failed ($rc): $(tail -n 1 "$dir/coord.log")"
    elif ! grep -q '"reduce_tasks": 3,' "$dir/job/mr-success" 2>/dev/null; then
        fail "$name" "no success marker naming 3 reduce tasks"
    elif [ "$(ls "$dir/job" | grep -c '^mr-out-')" -ne 3 ]; then
        fail "$name" "outputs: $(ls "$dir/job" | tr '\n' ' ')"
    elif [ -n "$extra" ]; then
        fail "$name" "left files: $(echo $extra)"
    elif [ -s "$dir/worker.log" ]; then
        fail "$name" "the worker said: $(head -c 300 "$dir/worker.log")"
    elif ! sort "$dir"/job/mr-out-* | cmp -s - "$dir/want"; then
        fail "$name" "output differs from mrsequential"
        return 1
    else
        pass "$name"
        rm -rf "$dir"           # up to 60 MB for the giant inputs
    fi
}

# Empty, binary and one-line inputs are valid: same answer as mrsequential.
test_odd_inputs() {
    local bin=$WORK/input/binary.dat line=$WORK/input/line.txt
    local word=$WORK/input/word.txt

    : > "$WORK/input/empty.txt"
    like_sequential empty_input "$WORK/input/empty.txt"
    # Random bytes, then NULs, bytes never valid in UTF-8, a truncated and
    # an overlong sequence, a lone surrogate, words glued to all of those.
    { head -c 1000000 /dev/urandom
      printf 'abc\0def\0\0ghi \377\376\300\257 caf\303\251 na\303 x\355\240\200y '
      printf 'word\0word\377word\200 \357\273\277bom\r\n'; } > "$bin"
    like_sequential binary_input "$bin" ||
        { cp "$bin" /tmp/mr-faulttest-binary.dat &&
          echo "(that input is kept in /tmp/mr-faulttest-binary.dat)"; }
    # 20 MB, no newline: words (one not ASCII) separated by spaces only.
    yes 'alpha beta gamma délta épsilon zeta' | head -c 20000000 |
        tr '\n' ' ' > "$line"
    like_sequential giant_line "$line"
    # The same with 1 MB splits: splits end at line ends, so a line
    # without '\n' stays one split, whatever its size.
    like_sequential giant_line_split "$line" --split-size 1M
    # 20 MB without any whitespace: one 20 MB word, one split whatever
    # the split size.
    head -c 20000000 /dev/zero | tr '\0' 'w' > "$word"
    like_sequential giant_word "$word" --split-size 1M
    rm -f "$bin" "$line" "$word"
}

# ---------------------------------------------------------------- apps

test_bad_apps() {
    local S=unix:$WORK/app.sock
    expect_error worker_app_no_entry 2 \
        "noentry.so has no mr_app_entry()" \
        "$B/mrworker" --addr "$S" "$B/tests/apps/noentry.so"
    expect_error worker_app_wrong_abi 2 \
        "abi99.so.*ABI version 99.*rebuild" \
        "$B/mrworker" --addr "$S" "$B/tests/apps/abi99.so"
    expect_error sequential_app_wrong_abi 2 "ABI version 99" \
        "$B/mrsequential" "$B/tests/apps/abi99.so" "$IN/a.txt"
    expect_error mrrun_app_no_entry 2 "has no mr_app_entry()" \
        "$B/mrrun" --app "$B/tests/apps/noentry.so" "$IN/a.txt"
}

# ---------------------------------------------------------------- dirs

# A directory nobody may write in: read-only mount as root, mode 0555
# otherwise. A job cannot take it as its directory, whichever way it is
# named: --output, mrrun's current directory, or a worker's directory (the
# lab's way); each refusal is one line, and nothing is written anywhere.
test_readonly_dir() {
    local dir=$WORK/ro n
    if $ROOT; then
        mount_tmpfs "$dir" ro,size=1m || {
            for n in coordinator_output mrrun worker sequential; do
                skip ${n}_readonly_dir "cannot mount a tmpfs"
            done
            return; }
    else
        mkdir "$dir" && chmod 555 "$dir"
    fi
    user_dir "$WORK/ro-elsewhere"
    expect_error_in "$WORK/ro-elsewhere" coordinator_output_readonly_dir 1 \
        "cannot use .*/ro as the job directory: " \
        "$B/mrcoordinator" --addr "unix:$WORK/ro.sock" --output "$dir" \
        "$IN/a.txt"
    expect_error_in "$dir" mrrun_readonly_dir 1 \
        "mrrun: cannot use .*/ro as the job directory: " \
        "$B/mrrun" "$IN/a.txt"
    worker_in_readonly_dir "$dir" "$WORK/ro-elsewhere"
    expect_error_in "$dir" sequential_readonly_dir 1 \
        "cannot create mr-out-0 in .*/ro: " \
        "$B/mrsequential" "$B/apps/wc.so" "$IN/a.txt"
    [ -z "$(ls -A "$WORK/ro-elsewhere")" ] ||
        fail readonly_dir_elsewhere "files: $(ls -A "$WORK/ro-elsewhere")"
    $ROOT && umount "$dir"
}

# worker_in_readonly_dir RO CDIR: a coordinator in CDIR, the lab's way (no
# --output, a Unix socket), and a worker in RO: the first worker's
# directory would be the job's, but the coordinator cannot use it, so it
# refuses the worker (exit 4, one line) and keeps waiting for one it can
# use, until stopped.
worker_in_readonly_dir() {
    local ro=$1 cdir=$2 name=worker_readonly_dir rc msg pid
    start_coordinator "$cdir" "$cdir.log" --addr "unix:$WORK/ro-lab.sock" \
        "$IN/a.txt" || { fail $name "no coordinator"; return; }
    pid=$TPID
    (cd "$ro" && timeout -k 5 30 "$B/mrworker" --addr "unix:$WORK/ro-lab.sock" \
        "$B/apps/wc.so" 2>"$WORK/stderr-$name")
    rc=$?
    kill -TERM "$pid"
    wait "$pid"
    msg=$(head -c 300 "$WORK/stderr-$name")
    if [ $rc -ne 4 ]; then
        fail $name "worker exited $rc, wanted 4: $msg"
    elif [ "$(wc -l < "$WORK/stderr-$name")" -ne 1 ] ||
         ! grep -q "refused this worker: cannot use .*/ro as the job directory: " \
             "$WORK/stderr-$name"; then
        fail $name "worker said: $msg"
    elif ! grep -q "refused a worker .*cannot use" "$cdir.log"; then
        fail $name "the coordinator did not say it refused the worker"
    elif [ -n "$(ls -A "$ro")" ]; then
        fail $name "left files: $(ls -A "$ro" | tr '\n' ' ')"
    else
        pass $name
    fi
}

# A worker that cannot write the job's directory (as root: root's
# coordinator took it, and the worker runs as nobody; otherwise the job's
# private directory is made read-only) keeps its files in its own scratch
# directory, serves its map outputs itself and ships its outputs through
# the coordinator: the job finishes, its outputs are those of mrsequential,
# and the worker leaves nothing behind, in its scratch directory or in the
# job's.
test_worker_cannot_write() {
    local name=worker_cannot_write dir=$WORK/nowrite rc priv
    local scratch=$WORK/nowrite-scratch ref=$WORK/nowrite-ref
    mkdir -p "$dir" "$scratch" "$ref"
    chmod 1777 "$scratch"
    (cd "$ref" && "$B/mrsequential" "$B/apps/wc.so" "$IN/a.txt") ||
        { fail $name "mrsequential failed"; return; }
    tcp_coordinator "$dir" "$WORK/$name-coord.log" --reduce 2 "$IN/a.txt" ||
        { fail $name "no coordinator"; return; }
    priv=$(ls -d "$dir"/.mr-* 2>/dev/null | head -n 1)
    $ROOT || chmod 555 "$priv"
    (cd "$dir" && TMPDIR=$scratch MR_LOG=info timeout -k 5 60 \
        "${RUNAS[@]}" "$B/mrworker" --addr "$COORD_ADDR" "$B/apps/wc.so" \
        2>"$WORK/$name-worker.log")
    rc=$?
    $ROOT || chmod 755 "$priv" 2>/dev/null
    wait "$TPID"
    if [ -z "$priv" ]; then
        fail $name "the coordinator made no private directory"
    elif [ $rc -ne 0 ]; then
        fail $name "worker exited $rc: $(tail -c 300 "$WORK/$name-worker.log")"
    elif ! grep -q "cannot write the job's directory .*keeping this worker's files local" \
             "$WORK/$name-worker.log"; then
        fail $name "the worker did not say it keeps its files local"
    elif ! sort "$dir"/mr-out-* | cmp -s - <(sort "$ref/mr-out-0"); then
        fail $name "output differs from mrsequential"
    elif [ -n "$(ls -A "$dir" | grep -v -e '^mr-out-[01]$' -e '^mr-success$')" ]; then
        fail $name "left files: $(ls -A "$dir" | tr '\n' ' ')"
    elif [ -z "$(ls -A "$scratch")" ]; then
        fail $name "the worker did not use its scratch directory (TMPDIR)"
    elif [ -n "$(find "$scratch" -mindepth 2 -name 'mr-*')" ]; then
        fail $name "left in its scratch: $(find "$scratch" -mindepth 2 -name 'mr-*' | head -3)"
    else
        pass $name
    fi
}

# ---------------------------------------------------------------- ENOSPC

# enospc_job NAME SIZE APP PATTERN INPUT [NOT]: a job with one worker, run
# in a tmpfs of SIZE, fails with PATTERN after retries and leaves it empty;
# no line of the coordinator's log matches NOT.
# The caller's environment reaches the worker (MR_MAP_BUFFER); REDUCE sets
# the number of reduce tasks (default 1).
enospc_job() {
    local name=$1 size=$2 app=$3 pattern=$4 input=$5 not=${6:-} rc
    local dir=$WORK/fs-$1
    if ! $ROOT; then skip "$name" "needs root"; return; fi
    mount_tmpfs "$dir" "size=$size" ||
        { skip "$name" "cannot mount a tmpfs"; return; }
    tcp_coordinator "$dir" "$WORK/$name-coord.log" --reduce "${REDUCE:-1}" \
        "$input" || { fail "$name" "no coordinator"; umount "$dir"; return; }
    (cd "$dir" && timeout -k 5 60 "$B/mrworker" --addr "$COORD_ADDR" "$app" \
        2>"$WORK/$name-worker.log")
    wait "$TPID"; rc=$?
    if [ "$(grep -c "warn: .*No space left on device" \
            "$WORK/$name-worker.log")" -ne 4 ]; then
        fail "$name" "worker said: $(head -c 300 "$WORK/$name-worker.log")"
    elif [ -n "$not" ] && grep -q -- "$not" "$WORK/$name-coord.log"; then
        fail "$name" "$(grep -m1 -- "$not" "$WORK/$name-coord.log")"
    else
        check_job_failed "$name" $rc "$WORK/$name-coord.log" "$pattern" "$dir"
    fi
    umount "$dir"
}

test_enospc() {
    # wc's intermediate file for 1 MB of text is over 100 kB: no map fits.
    enospc_job enospc_map 32k "$B/apps/wc.so" \
        "map task 0 (input .*m1.txt) failed 4 times; last error: cannot write mr-im-0-4 in .*: No space left on device" \
        "$IN/m1.txt"
    # bigreduce maps 2 MB to a few bytes and reduces it to 2 MB: the map
    # fits in 1 MB, the reduce does not. With 3 reduce tasks, the two whose
    # partitions are empty finish; their outputs must go when the job fails.
    REDUCE=3 enospc_job enospc_reduce 1m "$B/tests/apps/bigreduce.so" \
        "reduce task [0-2] failed 4 times; last error: cannot write mr-staged-[0-2]-4 in .*: No space left on device" \
        "$IN/m2.txt" "map task .* failed"
    # A map whose pairs outgrow a 4 MB buffer spills sorted runs to disk:
    # 20 MB of random bytes give indexer ~5 MB of distinct words, so a
    # spill fails in 3 MB; the runs already written must go too.
    $ROOT && head -c 20000000 /dev/urandom > "$WORK/random.bin"
    MR_MAP_BUFFER=4194304 enospc_job enospc_spill 3m "$B/apps/indexer.so" \
        "map task 0 (input .*random.bin) failed 4 times; last error: .*cannot write mr-spill-[0-9-]* in .*: No space left on device" \
        "$WORK/random.bin"
    rm -f "$WORK/random.bin"
    if ! $ROOT; then
        skip sequential_disk_full "needs root"
        return
    fi
    mount_tmpfs "$WORK/fs-seq" size=32k || {
        skip sequential_disk_full "cannot mount a tmpfs"; return; }
    expect_error_in "$WORK/fs-seq" sequential_disk_full 1 \
        "mrsequential: cannot write mr-out-0 in .*: No space left on device" \
        "$B/mrsequential" "$B/apps/wc.so" "$IN/m1.txt"
    umount "$WORK/fs-seq"
}

# A full disk that frees up: the first map attempt fails on it, the test
# then deletes the filler and the retry succeeds. No race: the
# coordinator's stderr is a pipe filled to the brim, so the log line it
# writes on that failure blocks its event loop (and so the retry) until
# the test, having deleted the filler, drains the pipe.
test_enospc_recovers() {
    local name=enospc_recovers dir=$WORK/fs-recover fifo=$WORK/recover.fifo
    local sock=unix:$WORK/recover.sock ref=$WORK/recover-ref
    local rw r pid wpid rc waited=0
    if ! $ROOT; then skip $name "needs root"; return; fi
    mount_tmpfs "$dir" size=1m ||
        { skip $name "cannot mount a tmpfs"; return; }
    mkdir -p "$ref" &&
        (cd "$ref" && "$B/mrsequential" "$B/apps/wc.so" "$IN/a.txt") &&
        sort "$ref/mr-out-0" > "$ref/want"
    dd if=/dev/zero of="$dir/filler" bs=64k 2>/dev/null  # until ENOSPC
    mkfifo "$fifo"
    exec {rw}<>"$fifo" {r}<"$fifo"
    (exec {rw}>&- {r}<&-; cd "$dir" && MR_LOG=warn exec timeout -k 5 60 \
        "$B/mrcoordinator" --addr "$sock" --output "$dir" --reduce 2 \
        "$IN/a.txt" 2>"$fifo") &
    pid=$!
    # Its first line: no room for the journal (the job runs without it).
    read_until "$r" "*journal*No space left on device*cannot be resumed*" ||
        { fail $name "the coordinator did not say it runs without a journal"
          exec {rw}>&- {r}<&-; kill $pid; wait; umount "$dir"; return; }
    # Its next line (the map's failure) then waits until the disk frees up.
    dd if=/dev/zero of="$fifo" bs=4096 oflag=nonblock 2>/dev/null  # to EAGAIN
    exec {rw}>&-
    (exec {r}<&-; cd "$dir" && MR_LOG=warn exec timeout -k 5 60 \
        "$B/mrworker" --addr "$sock" "$B/apps/wc.so" \
        2>"$WORK/recover-worker.log") &
    wpid=$!
    wait_for 20 logged "$WORK/recover-worker.log" \
        "map task 0 failed: .*No space left on device" || waited=1
    rm -f "$dir/filler"
    tr -d '\0' <&$r > "$WORK/recover-coord.log" &
    exec {r}<&-
    wait $pid; rc=$?
    wait $wpid
    wait                        # the pipe's reader
    if [ $waited -ne 0 ]; then
        fail $name "no map failed: $(head -c 300 "$WORK/recover-worker.log")"
    elif [ $rc -ne 0 ]; then
        fail $name "job failed ($rc): $(tail -n 1 "$WORK/recover-coord.log")"
    elif [ "$(grep -c failed "$WORK/recover-coord.log")" -ne 1 ] ||
         ! grep -q "map task 0 attempt 1 failed (worker pid [0-9]*): .*No space left on device" \
             "$WORK/recover-coord.log"; then
        fail $name "coordinator said: $(head -c 300 "$WORK/recover-coord.log")"
    elif [ "$(ls -A "$dir" | tr '\n' ' ')" != "mr-out-0 mr-out-1 mr-success " ]; then
        fail $name "files left: $(ls -A "$dir" | tr '\n' ' ')"
    elif ! sort "$dir"/mr-out-* | cmp -s - "$ref/want"; then
        fail $name "output differs from mrsequential"
    else
        pass $name
    fi
    umount "$dir"
}

test_unreadable_input
test_unreadable_input_for_worker
test_odd_inputs
test_bad_apps
test_readonly_dir
test_worker_cannot_write
test_enospc
test_enospc_recovers
# Checks said PASS or FAIL: a FAIL makes end_suite exit 1, so the status of
# the last unmount above says nothing.
exit 0
