#!/usr/bin/env bash
# make bench-net: jobs whose workers share no file system, against the same
# jobs in one shared directory, and a raw TCP copy as the floor. Prints a
# table and ends with one BENCH line. A benchmark, not a test: it fails
# only when a job fails or the two ways give different outputs, never on
# speed. Needs root (network namespaces); without it, says so and exits 0.
#
# The corpus is make bench's (bench/corpus.sh: ~195 MB in 16 files). Two
# jobs, each run both ways, best of ROUNDS (by wall time):
#   wc        the word count, 10 reduce tasks (make bench's job);
#   indexer   the indexer, 10 reduce tasks, inputs cut into 4 MB map tasks
#             (--split-size 4M): each map task indexes its own piece, so
#             the shuffle carries about three times what the whole-file
#             job does (~50 MB rather than ~18 MB).
# The two ways:
#   net       the coordinator and 2 workers, each in a network namespace
#             of its own, joined to a bridge by veth links
#             (tests/job/netns.sh), TCP with a token; each worker sees
#             neither the corpus nor the job's directory (a tmpfs hides
#             build/bench), so it reads its inputs through the
#             coordinator, keeps its map outputs in its own scratch
#             directory (on that tmpfs), serves them to the other worker's
#             reduces, and ships its outputs to the coordinator. Workers
#             take the job's module from the coordinator.
#   shared    the same coordinator and 2 workers in the root namespace, on
#             a Unix socket, all in one directory (build/bench), as make
#             bench runs them; workers take the module the same way.
# Wall time runs from the coordinator's start to its exit (and its
# workers').
#
# The figures of the BENCH line:
#   net_job_s, shared_job_s  the word count's wall time each way (goal:
#             net <= 1.3 x shared);
#   shuffle_mb_s  the networked indexer's shuffle: the bytes its reduces
#             fetched from the other worker over TCP (each worker's
#             "reduce task N fetched B of ..." lines, at MR_LOG=info)
#             divided by its reduce phase's wall time (from the
#             coordinator's "job: MAP -> REDUCE" to "job: REDUCE -> DONE",
#             stamped as they are logged). The phase also merges, runs
#             the app's reduce and ships the outputs, so this is a lower
#             bound on the rate at which the shuffle moves bytes;
#   raw_tcp_mb_s  as many bytes as that shuffle fetched, copied over one
#             TCP connection from one worker's namespace to the other's
#             (the same veth and bridge path) by bench/tcp_copy, best of
#             ROUNDS (goal: shuffle_mb_s >= 0.5 x raw_tcp_mb_s).
set -eu

B=$(cd "${BUILD:-build}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
DIR=$B/bench
ROUNDS=${MR_BENCH_ROUNDS:-3}
REDUCE=10
TOKEN=$DIR/net-token
# The coordinator listens in a namespace of its own, where no other
# program can hold the port: a fixed one lets the workers start at once,
# as they do on a Unix socket.
PORT=7000

. "$TOP/tests/job/lib.sh"       # wait_for, logged
. "$TOP/tests/job/netns.sh"
. "$TOP/bench/corpus.sh"

if ! why=$(netns_can); then
    echo "bench-net: $why; nothing measured"
    exit 0
fi
[ -x "$DIR/tcp_copy" ] || { echo "bench-net: $DIR/tcp_copy is missing" \
    "(make bench-net builds it)" >&2; exit 1; }
bench_corpus
trap 'set +e; end_jobs; netns_down' EXIT
netns_up coord w1 w2 >/dev/null
head -c 32 /dev/urandom | base64 > "$TOKEN"
chmod 600 "$TOKEN"

# ------------------------------------------------------------------ jobs

# stamp: copies its input, each line prefixed with the time it was read
# (seconds since the epoch, microseconds).
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# phase_s LOG: seconds from the coordinator's first "job: MAP -> REDUCE"
# to its "job: REDUCE -> DONE", from LOG's stamps.
phase_s() {
    awk '/job: MAP -> REDUCE/ && !s { s = $1 }
         /job: REDUCE -> DONE/ { e = $1 }
         END { printf "%.3f", e - s }' "$1"
}

# fetched_bytes LOG...: the bytes the reduces said they fetched.
fetched_bytes() {
    cat "$@" | sed -n 's/.*reduce task [0-9]* fetched \([0-9]*\) of.*/\1/p' |
        awk '{ n += $1 } END { printf "%d", n }'
}

# run_job MODE APP ARGS...: one job of APP with coordinator ARGS, MODE net
# or shared, in $DIR/MODE-APP; sets RUN to "wall_s reduce_phase_s
# fetched_bytes" and leaves its sorted output in $DIR/MODE-APP.sorted. A
# failed job ends the benchmark.
run_job() {
    local mode=$1 app=$2 dir=$DIR/$1-$2 addr t0 w
    shift 2
    rm -rf "$dir" && mkdir -p "$dir/out"
    t0=$EPOCHREALTIME
    if [ "$mode" = net ]; then
        addr=tcp:${NETNS_IP[coord]}:$PORT
        (MR_LOG=debug ip netns exec "$(netns_name coord)" \
            "$B/mrcoordinator" --addr "$addr" --token-file "$TOKEN" \
            --output "$dir/out" --reduce $REDUCE --app "$B/apps/$app.so" \
            "$@" "$CORPUS"/in-*.txt 2>&1 >/dev/null | stamp > "$dir.log") &
        for w in w1 w2; do
            netns_private_cmd "$w" "$DIR" "$TOKEN"
            TMPDIR=$DIR MR_LOG=info "${NETNS_CMD[@]}" "$B/mrworker" \
                --addr "$addr" --token-file "$TOKEN" 2>"$dir.$w.log" &
        done
    else
        addr=unix:$dir/sock
        (MR_LOG=debug "$B/mrcoordinator" --addr "$addr" \
            --output "$dir/out" --reduce $REDUCE --app "$B/apps/$app.so" \
            "$@" "$CORPUS"/in-*.txt 2>&1 >/dev/null | stamp > "$dir.log") &
        for w in w1 w2; do
            MR_LOG=info "$B/mrworker" --addr "$addr" 2>"$dir.$w.log" &
        done
    fi
    wait
    RUN="$(echo "$EPOCHREALTIME - $t0" | bc -l) $(phase_s "$dir.log")"
    RUN="$RUN $(fetched_bytes "$dir".w*.log)"
    if ! logged "$dir.log" "done: mr-out-0" || [ ! -f "$dir/out/mr-success" ]
    then
        echo "bench-net: the $mode $app job failed: $(tail -n 3 "$dir.log" \
            "$dir".w*.log)" >&2
        exit 1
    fi
    sort "$dir"/out/mr-out-* > "$dir.sorted"
}

# best_job MODE APP ARGS...: run_job ROUNDS times; sets BEST to the RUN of
# the fastest.
best_job() {
    local r
    BEST=
    for ((r = 0; r < ROUNDS; r++)); do
        run_job "$@"
        if [ -z "$BEST" ] ||
           [ "$(echo "${RUN%% *} < ${BEST%% *}" | bc -l)" = 1 ]; then
            BEST=$RUN
        fi
    done
}

# raw_tcp BYTES: the best of ROUNDS copies of BYTES from w1 to w2; sets
# RAW_S to its seconds.
raw_tcp() {
    local r pid port got s out=$DIR/tcp-copy.out
    RAW_S=
    for ((r = 0; r < ROUNDS; r++)); do
        rm -f "$out"
        ip netns exec "$(netns_name w2)" "$DIR/tcp_copy" receive \
            "${NETNS_IP[w2]}" > "$out" &
        pid=$!
        wait_for 10 test -s "$out"
        port=$(head -n 1 "$out")
        ip netns exec "$(netns_name w1)" "$DIR/tcp_copy" send \
            "${NETNS_IP[w2]}" "$port" "$1"
        wait $pid
        read -r got s < <(sed -n 2p "$out")
        [ "$got" = "$1" ] || {
            echo "bench-net: the raw TCP copy moved $got bytes, not $1" >&2
            exit 1
        }
        if [ -z "$RAW_S" ] || [ "$(echo "$s < $RAW_S" | bc -l)" = 1 ]; then
            RAW_S=$s
        fi
    done
}

# ------------------------------------------------------------------ runs

echo "running: wc and indexer, networked and in one directory (best of" \
     "$ROUNDS each), then a raw TCP copy, on $MB MB"
IX_ARGS=(--split-size 4M)
best_job net wc
read -r WC_NET WC_NET_PHASE WC_NET_FETCHED <<< "$BEST"
best_job shared wc
read -r WC_SH WC_SH_PHASE _ <<< "$BEST"
best_job net indexer "${IX_ARGS[@]}"
read -r IX_NET IX_NET_PHASE IX_FETCHED <<< "$BEST"
best_job shared indexer "${IX_ARGS[@]}"
read -r IX_SH IX_SH_PHASE _ <<< "$BEST"
for app in wc indexer; do
    cmp -s "$DIR/net-$app.sorted" "$DIR/shared-$app.sorted" || {
        echo "bench-net: the networked $app job's output differs from the" \
             "shared directory's" >&2
        exit 1
    }
done
IM=$(sed -n 's/.*"intermediate_bytes": \([0-9]*\),/\1/p' \
    "$DIR/net-indexer/out/mr-success")
raw_tcp "$IX_FETCHED"

# ------------------------------------------------------------------ table

mb() { echo "$1 / 1000000" | bc -l; }
SHUFFLE=$(echo "$(mb "$IX_FETCHED") / $IX_NET_PHASE" | bc -l)
RAW=$(echo "$(mb "$IX_FETCHED") / $RAW_S" | bc -l)
printf '\n%-28s %9s %9s %7s %12s %12s %11s\n' job "shared s" "net s" \
    "net/sh" "reduce sh s" "reduce net s" "fetched MB"
printf '%-28s %9.2f %9.2f %7.2f %12.2f %12.2f %11.1f\n' \
    "wc" "$WC_SH" "$WC_NET" "$(echo "$WC_NET / $WC_SH" | bc -l)" \
    "$WC_SH_PHASE" "$WC_NET_PHASE" "$(mb "$WC_NET_FETCHED")"
printf '%-28s %9.2f %9.2f %7.2f %12.2f %12.2f %11.1f\n' \
    "indexer --split-size 4M" "$IX_SH" "$IX_NET" \
    "$(echo "$IX_NET / $IX_SH" | bc -l)" "$IX_SH_PHASE" "$IX_NET_PHASE" \
    "$(mb "$IX_FETCHED")"
printf '\ncorpus: %s MB, %s; indexer intermediate data %.1f MB, of which' \
    "$MB" "$(cat "$CORPUS/KIND")" "$(mb "$IM")"
printf ' the reduces fetched %.1f MB over TCP\n' "$(mb "$IX_FETCHED")"
printf 'shuffle: %.1f MB in the %.2f s reduce phase = %.1f MB/s' \
    "$(mb "$IX_FETCHED")" "$IX_NET_PHASE" "$SHUFFLE"
# What fetching adds to the reduce phase, against reading in place.
EXTRA=$(echo "$IX_NET_PHASE - $IX_SH_PHASE" | bc -l)
if [ "$(echo "$EXTRA > 0" | bc -l)" = 1 ]; then
    printf ' (the phase is %.2f s longer than in one directory: %.1f MB/s' \
        "$EXTRA" "$(echo "$(mb "$IX_FETCHED") / $EXTRA" | bc -l)"
    printf ' for the extra time)'
fi
echo
printf 'raw TCP copy of the same bytes, w1 -> w2: %.3f s = %.1f MB/s\n' \
    "$RAW_S" "$RAW"
printf 'ratios: shuffle/raw TCP %.2f (goal >= 0.5), networked/shared wc' \
    "$(echo "$SHUFFLE / $RAW" | bc -l)"
printf ' %.2f (goal <= 1.3)\n' "$(echo "$WC_NET / $WC_SH" | bc -l)"
echo "outputs agree: yes (networked and shared, wc and indexer)"
printf 'BENCH net_job_s=%.2f shared_job_s=%.2f shuffle_mb_s=%.1f raw_tcp_mb_s=%.1f\n' \
    "$WC_NET" "$WC_SH" "$SHUFFLE" "$RAW"
