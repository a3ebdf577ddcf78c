#!/usr/bin/env bash
# make bench-net: jobs whose workers share no file system, against the same
# jobs in one shared directory, and a raw TCP copy as the floor. Prints a
# table and ends with one BENCH line. A benchmark, not a test: it fails
# only when a job fails or two ways give different outputs, never on
# speed. Needs root (network namespaces); without it, says so and exits 0.
#
# The corpus is make bench's (bench/corpus.sh: ~195 MB in 16 files). Two
# jobs, each run three ways, best of ROUNDS (by wall time; ROUNDS is 3,
# or $MR_BENCH_ROUNDS):
#   wc        the word count, 10 reduce tasks (make bench's job);
#   indexer   the indexer, 10 reduce tasks, inputs cut into 4 MB map tasks
#             (--split-size 4M): each map task indexes its own piece, so
#             the shuffle carries about three times what the whole-file
#             job does (~50 MB rather than ~18 MB).
# Three ways to run each:
#   shared    the coordinator and 2 workers in the root namespace, on a
#             Unix socket, all in one directory (build/bench), as make
#             bench runs them;
#   net       the coordinator and 2 workers, each in a network namespace
#             of its own, joined to a bridge by veth links
#             (tests/job/netns.sh), TCP with a token; each worker sees
#             neither the corpus nor the job's directory (a tmpfs hides
#             build/bench), so it reads its inputs through the
#             coordinator, keeps its map outputs in its own scratch
#             directory (on that tmpfs), serves them to the other worker's
#             reduces, and ships its outputs to the coordinator: no shared
#             file system at all;
#   net, inputs seen  the same, but the tmpfs hides only build/bench/net
#             (the networked jobs' directories): the workers open the
#             corpus themselves, as they would with inputs copied to every
#             host, so that the inputs' trip through the coordinator can be
#             told apart from the rest.
# Workers take the job's module from the coordinator every way.
# Wall time runs from the coordinator's start to its exit (and its
# workers'); the map phase from that start to the coordinator's first
# "job: MAP -> REDUCE", the reduce phase from there to "job: REDUCE ->
# DONE" (its debug lines, stamped as they are logged).
#
# The figures of the BENCH line:
#   net_job_s, shared_job_s  the word count's wall time, net and shared
#             (goal: net <= 1.3 x shared);
#   shuffle_mb_s  the shuffle alone (bench/shuffle_rate): w1's shuffle
#             server serves 16 map outputs holding as many bytes as the
#             networked indexer's reduces fetched, and w2 fetches every
#             partition of them, merged by key, every value visited, no
#             app; best of ROUNDS. The table also shows the in-job figure:
#             the bytes the indexer's reduces fetched (their "reduce task
#             N fetched B of ..." lines, at MR_LOG=info) divided by its
#             reduce phase, which also runs the app's reduce and ships the
#             outputs: a lower bound;
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
NET=$DIR/net                    # the networked jobs' directories
TOKEN=$NET/token
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
for tool in tcp_copy shuffle_rate; do
    [ -x "$DIR/$tool" ] || { echo "bench-net: $DIR/$tool is missing" \
        "(make bench-net builds it)" >&2; exit 1; }
done
bench_corpus
trap 'set +e; end_jobs; netns_down' EXIT
netns_up coord w1 w2 >/dev/null
mkdir -p "$NET"
head -c 32 /dev/urandom | base64 > "$TOKEN"
chmod 600 "$TOKEN"

# ------------------------------------------------------------------ jobs

# stamp: copies its input, each line prefixed with the time it was read
# (seconds since the epoch, microseconds).
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# phases LOG T0: the map and the reduce phase's seconds, from LOG's stamps
# and the job's start T0.
phases() {
    awk -v t0="$2" '/job: MAP -> REDUCE/ && !r { r = $1 }
                    /job: REDUCE -> DONE/ { d = $1 }
                    END { printf "%.3f %.3f", r - t0, d - r }' "$1"
}

# fetched_bytes LOG...: the bytes the reduces said they fetched.
fetched_bytes() {
    cat "$@" | sed -n 's/.*reduce task [0-9]* fetched \([0-9]*\) of.*/\1/p' |
        awk '{ n += $1 } END { printf "%d", n }'
}

# run_job WAY APP ARGS...: one job of APP with coordinator ARGS, WAY
# shared, net or seen (net, inputs seen); sets RUN to "wall_s map_s
# reduce_s fetched_bytes" and leaves its sorted output in DIR.sorted,
# DIR being the job's directory's parent. A failed job ends the
# benchmark.
run_job() {
    local way=$1 app=$2 dir addr t0 w hide
    shift 2
    case $way in
        shared) dir=$DIR/shared-$app ;;
        net)    dir=$NET/net-$app hide=$DIR ;;
        seen)   dir=$NET/seen-$app hide=$NET ;;
    esac
    rm -rf "$dir" && mkdir -p "$dir/out"
    t0=$EPOCHREALTIME
    if [ "$way" = shared ]; then
        addr=unix:$dir/sock
        (MR_LOG=debug "$B/mrcoordinator" --addr "$addr" \
            --output "$dir/out" --reduce $REDUCE --app "$B/apps/$app.so" \
            "$@" "$CORPUS"/in-*.txt 2>&1 >/dev/null | stamp > "$dir.log") &
        for w in w1 w2; do
            MR_LOG=info "$B/mrworker" --addr "$addr" 2>"$dir.$w.log" &
        done
    else
        addr=tcp:${NETNS_IP[coord]}:$PORT
        (MR_LOG=debug ip netns exec "$(netns_name coord)" \
            "$B/mrcoordinator" --addr "$addr" --token-file "$TOKEN" \
            --output "$dir/out" --reduce $REDUCE --app "$B/apps/$app.so" \
            "$@" "$CORPUS"/in-*.txt 2>&1 >/dev/null | stamp > "$dir.log") &
        for w in w1 w2; do
            netns_private_cmd "$w" "$hide" "$TOKEN"
            TMPDIR=$hide MR_LOG=info "${NETNS_CMD[@]}" "$B/mrworker" \
                --addr "$addr" --token-file "$TOKEN" 2>"$dir.$w.log" &
        done
    fi
    wait
    RUN="$(echo "$EPOCHREALTIME - $t0" | bc -l) $(phases "$dir.log" "$t0")"
    RUN="$RUN $(fetched_bytes "$dir".w*.log)"
    if ! logged "$dir.log" "done: mr-out-0" || [ ! -f "$dir/out/mr-success" ]
    then
        echo "bench-net: the $way $app job failed: $(tail -n 3 "$dir.log" \
            "$dir".w*.log)" >&2
        exit 1
    fi
    sort "$dir"/out/mr-out-* > "$dir.sorted"
}

# best_job WAY APP ARGS...: run_job ROUNDS times; sets BEST to the RUN of
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

# shuffle_alone BYTES: the best of ROUNDS fetches, by w2, of 16 map outputs
# of BYTES in all that w1 serves; sets ALONE_S to its seconds and
# ALONE_BYTES to the bytes fetched.
shuffle_alone() {
    local r dir=$NET/alone out=$NET/alone.addr got s
    ALONE_S=
    rm -rf "$dir" && mkdir -p "$dir"
    "$DIR/shuffle_rate" make "$dir" 16 $REDUCE $(($1 / 1000000 + 1))
    coproc SERVE { ip netns exec "$(netns_name w1)" "$DIR/shuffle_rate" \
                   serve "$dir" "tcp:${NETNS_IP[w1]}:0"; }
    read -r addr <&"${SERVE[0]}"
    for ((r = 0; r < ROUNDS; r++)); do
        read -r got s < <(ip netns exec "$(netns_name w2)" \
            "$DIR/shuffle_rate" fetch "$addr" 16 $REDUCE)
        if [ -z "$ALONE_S" ] || [ "$(echo "$s < $ALONE_S" | bc -l)" = 1 ]
        then
            ALONE_S=$s
        fi
    done
    ALONE_BYTES=$got
    exec {SERVE[1]}>&-
    wait "$SERVE_PID"
    rm -rf "$dir"
}

# ------------------------------------------------------------------ runs

echo "running: wc and indexer three ways (best of $ROUNDS each), then a" \
     "raw TCP copy, on $MB MB"
WAYS=(shared seen net)
declare -A WAY_NAME=([shared]="one shared directory"
                     [seen]="namespaces, inputs seen"
                     [net]="namespaces, no shared files")
declare -A WALL MAP_S RED_S FETCHED
for app in wc indexer; do
    args=()
    [ $app = indexer ] && args=(--split-size 4M)
    for way in "${WAYS[@]}"; do
        best_job "$way" "$app" "${args[@]}"
        read -r "WALL[$app.$way]" "MAP_S[$app.$way]" "RED_S[$app.$way]" \
            "FETCHED[$app.$way]" <<< "$BEST"
    done
    for way in seen net; do
        cmp -s "$NET/$way-$app.sorted" "$DIR/shared-$app.sorted" || {
            echo "bench-net: the $app job's output ($way) differs from the" \
                 "shared directory's" >&2
            exit 1
        }
    done
done
IX_FETCHED=${FETCHED[indexer.net]}
IX_PHASE=${RED_S[indexer.net]}
IM=$(sed -n 's/.*"intermediate_bytes": \([0-9]*\),/\1/p' \
    "$NET/net-indexer/out/mr-success")
raw_tcp "$IX_FETCHED"
shuffle_alone "$IX_FETCHED"

# ------------------------------------------------------------------ table

mb() { echo "$1 / 1000000" | bc -l; }
IN_JOB=$(echo "$(mb "$IX_FETCHED") / $IX_PHASE" | bc -l)
SHUFFLE=$(echo "$(mb "$ALONE_BYTES") / $ALONE_S" | bc -l)
RAW=$(echo "$(mb "$IX_FETCHED") / $RAW_S" | bc -l)
printf '\n%-8s %-28s %7s %9s %7s %9s %11s\n' job way "wall s" "x shared" \
    "map s" "reduce s" "fetched MB"
for app in wc indexer; do
    for way in "${WAYS[@]}"; do
        k=$app.$way
        printf '%-8s %-28s %7.2f %9.2f %7.2f %9.2f %11.1f\n' "$app" \
            "${WAY_NAME[$way]}" "${WALL[$k]}" \
            "$(echo "${WALL[$k]} / ${WALL[$app.shared]}" | bc -l)" \
            "${MAP_S[$k]}" "${RED_S[$k]}" "$(mb "${FETCHED[$k]}")"
    done
done
printf '\ncorpus: %s MB, %s; indexer: --split-size 4M, %.1f MB of' "$MB" \
    "$(cat "$CORPUS/KIND")" "$(mb "$IM")"
printf ' intermediate data, of which the reduces fetched %.1f MB over TCP\n' \
    "$(mb "$IX_FETCHED")"
printf 'shuffle in the job: %.1f MB in the %.2f s reduce phase = %.1f MB/s' \
    "$(mb "$IX_FETCHED")" "$IX_PHASE" "$IN_JOB"
# What fetching adds to the reduce phase, against reading in place.
EXTRA=$(echo "$IX_PHASE - ${RED_S[indexer.shared]}" | bc -l)
if [ "$(echo "$EXTRA > 0" | bc -l)" = 1 ]; then
    printf ' (%.2f s longer than in one directory: %.1f MB/s for the' \
        "$EXTRA" "$(echo "$(mb "$IX_FETCHED") / $EXTRA" | bc -l)"
    printf ' extra time)'
fi
echo
printf 'shuffle alone, w1 -> w2 (16 outputs, fetched, merged, no app): %.1f' \
    "$(mb "$ALONE_BYTES")"
printf ' MB in %.3f s = %.1f MB/s\n' "$ALONE_S" "$SHUFFLE"
printf 'raw TCP copy of the same bytes, w1 -> w2: %.3f s = %.1f MB/s\n' \
    "$RAW_S" "$RAW"
printf 'ratios: shuffle/raw TCP %.2f (goal >= 0.5); wc, namespaces/shared' \
    "$(echo "$SHUFFLE / $RAW" | bc -l)"
printf ' %.2f (goal <= 1.3), %.2f with the inputs seen\n' \
    "$(echo "${WALL[wc.net]} / ${WALL[wc.shared]}" | bc -l)" \
    "$(echo "${WALL[wc.seen]} / ${WALL[wc.shared]}" | bc -l)"
echo "outputs agree: yes (every way, wc and indexer)"
printf 'BENCH net_job_s=%.2f shared_job_s=%.2f shuffle_mb_s=%.1f raw_tcp_mb_s=%.1f\n' \
    "${WALL[wc.net]}" "${WALL[wc.shared]}" "$SHUFFLE" "$RAW"
