#!/usr/bin/env bash
# make bench: the distributed word count (coordinator + 2 workers, 10 reduce
# tasks) and indexer against mrsequential and a `tr | sort | uniq -c`
# pipeline, on the same ~195 MB corpus, in one run. Checks that the word
# counts agree, prints a table, and ends with one BENCH line. A benchmark,
# not a test: it never fails on speed.
#
# The corpus (bench/corpus.sh) is the lab's eight Project Gutenberg texts
# (../shared/data/gutenberg) repeated into 16 files of ~12 MB; without
# them, 16 generated ASCII files of the same size.
set -eu

B=$(cd "${BUILD:-build}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
DIR=$B/bench
ROUNDS=3
. "$TOP/bench/corpus.sh"
bench_corpus

# ------------------------------------------------------------------ helpers
now() { date +%s.%N; }
# peak RSS in MB from a /usr/bin/time -v report
rss() { awk '/Maximum resident/ {printf "%.0f", $6 / 1024}' "$1"; }
TIME="/usr/bin/time -v"

# One distributed job: prints "seconds worker_peak_rss_mb coord_rss_mb".
run_job() {
    local app=$1 dir=$DIR/job-$1 addr t0 t1 pid
    rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
    addr=unix:$dir/sock
    t0=$(now)
    $TIME -o coord.time "$B/mrcoordinator" --addr "$addr" "$CORPUS"/in-*.txt &
    pid=$!
    $TIME -o w1.time "$B/mrworker" --addr "$addr" "$B/apps/$app.so" &
    $TIME -o w2.time "$B/mrworker" --addr "$addr" "$B/apps/$app.so" &
    wait $pid
    wait
    t1=$(now)
    echo "$(echo "$t1 - $t0" | bc -l) $(printf '%s\n' "$(rss w1.time)" \
        "$(rss w2.time)" | sort -n | tail -1) $(rss coord.time)"
}

best_job() {
    local app=$1 best="" r
    for ((r = 0; r < ROUNDS; r++)); do
        read -r s w c < <(run_job "$app")
        if [ -z "$best" ] || [ "$(echo "$s < ${best%% *}" | bc -l)" = 1 ]; then
            best="$s $w $c"
        fi
    done
    echo "$best"
}

# ------------------------------------------------------------------ runs
echo "running: distributed wc and indexer (best of $ROUNDS), mrsequential," \
     "tr|sort|uniq on $MB MB"
read -r WC_S WC_W WC_C < <(best_job wc)
(cd "$DIR/job-wc" && sort mr-out-* | grep . > "$DIR/job-wc.sorted")
read -r IX_S IX_W IX_C < <(best_job indexer)

rm -rf "$DIR/seq" && mkdir -p "$DIR/seq" && cd "$DIR/seq"
t0=$(now)
$TIME -o seq.time "$B/mrsequential" "$B/apps/wc.so" "$CORPUS"/in-*.txt
SEQ_S=$(echo "$(now) - $t0" | bc -l)
SEQ_RSS=$(rss seq.time)
sort mr-out-0 > "$DIR/seq.sorted"

cd "$DIR"
t0=$(now)
cat "$CORPUS"/in-*.txt | LC_ALL=C tr -cs 'A-Za-z' '\n' | grep . |
    LC_ALL=C sort | LC_ALL=C uniq -c > pipeline.out
PIPE_S=$(echo "$(now) - $t0" | bc -l)

# ------------------------------------------------------------------ exec apps
# The word count as an executable app (docs/exec-apps.md), in awk and as a
# small C program reading stdin (bench/exec_wc_*.c), one run each: a
# coordinator and 2 workers given --mapper/--reducer, and the same two
# commands as cat | map | LC_ALL=C sort | reduce; then the C one with
# --sum-combiner, to compare with wc.so, which sums the same way.
AWK_MAP="awk -f $TOP/tests/support/exec/wc_map.awk"
AWK_RED="awk -f $TOP/tests/support/exec/wc_reduce.awk"
C_MAP=$B/bench/exec_wc_map
C_RED=$B/bench/exec_wc_reduce

# run_exec_job NAME MAP REDUCE [WORKER_OPTION...]: prints "seconds
# worker_peak_rss_mb"; the sorted output goes to $DIR/job-exec-NAME.sorted.
run_exec_job() {
    local dir=$DIR/job-exec-$1 addr t0 t1 pid extra=("${@:4}")
    rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
    addr=unix:$dir/sock
    t0=$(now)
    "$B/mrcoordinator" --addr "$addr" "$CORPUS"/in-*.txt &
    pid=$!
    $TIME -o w1.time "$B/mrworker" --addr "$addr" --mapper "$2" \
        --reducer "$3" "${extra[@]}" &
    $TIME -o w2.time "$B/mrworker" --addr "$addr" --mapper "$2" \
        --reducer "$3" "${extra[@]}" &
    wait $pid
    wait
    t1=$(now)
    sort mr-out-* | grep . > "$DIR/job-exec-$1.sorted"
    echo "$(echo "$t1 - $t0" | bc -l) $(printf '%s\n' "$(rss w1.time)" \
        "$(rss w2.time)" | sort -n | tail -1)"
}

# run_exec_pipe MAP REDUCE: the seconds of cat | MAP | sort | REDUCE.
run_exec_pipe() {
    local t0
    cd "$DIR"
    t0=$(now)
    # shellcheck disable=SC2086
    cat "$CORPUS"/in-*.txt | $1 | LC_ALL=C sort | $2 > exec-pipe.out
    echo "$(now) - $t0" | bc -l
}

echo "running: the word count as an executable app (awk, C), one run each"
read -r XA_S XA_W < <(run_exec_job awk "$AWK_MAP" "$AWK_RED")
XA_P=$(run_exec_pipe "$AWK_MAP" "$AWK_RED")
read -r XC_S XC_W < <(run_exec_job c "$C_MAP" "$C_RED")
XC_P=$(run_exec_pipe "$C_MAP" "$C_RED")
read -r XS_S XS_W < <(run_exec_job csum "$C_MAP" "$C_RED" --sum-combiner)

# ------------------------------------------------------------------ check
AGREE=yes
for x in awk c csum; do
    if ! cmp -s "$DIR/job-exec-$x.sorted" "$DIR/job-wc.sorted"; then
        AGREE="NO: the $x executable app's wc differs from wc.so's"
    fi
done
if ! cmp -s job-wc.sorted seq.sorted; then
    AGREE="NO: distributed wc differs from mrsequential"
fi
# The corpus is ASCII (Gutenberg, or generated with --ascii), where a word
# is exactly a run of A-Za-z, so the pipeline must agree too.
awk '{print $2 " " $1}' pipeline.out | LC_ALL=C sort > pipeline.sorted
LC_ALL=C sort job-wc.sorted > job-wc.csorted
if ! cmp -s job-wc.csorted pipeline.sorted; then
    AGREE="NO: distributed wc differs from the tr|sort|uniq pipeline"
fi

# ------------------------------------------------------------------ table
mbs() { echo "$MB / $1" | bc -l; }
printf '\n%-36s %8s %9s %14s\n' system "wall s" "MB/s" "peak RSS MB"
printf '%-36s %8.2f %9.1f %14s\n' "wc: coordinator + 2 workers" "$WC_S" \
    "$(mbs "$WC_S")" "$WC_W/worker"
printf '%-36s %8.2f %9.1f %14s\n' "indexer: coordinator + 2 workers" \
    "$IX_S" "$(mbs "$IX_S")" "$IX_W/worker"
printf '%-36s %8.2f %9.1f %14s\n' "wc: mrsequential" "$SEQ_S" \
    "$(mbs "$SEQ_S")" "$SEQ_RSS"
printf '%-36s %8.2f %9.1f %14s\n' "tr | sort | uniq -c (LC_ALL=C)" \
    "$PIPE_S" "$(mbs "$PIPE_S")" "-"
printf '%-36s %8.2f %9.1f %14s\n' "wc exec awk: coordinator + 2 workers" \
    "$XA_S" "$(mbs "$XA_S")" "$XA_W/worker"
printf '%-36s %8.2f %9.1f %14s\n' "wc exec awk: cat|map|sort|reduce" \
    "$XA_P" "$(mbs "$XA_P")" "-"
printf '%-36s %8.2f %9.1f %14s\n' "wc exec C: coordinator + 2 workers" \
    "$XC_S" "$(mbs "$XC_S")" "$XC_W/worker"
printf '%-36s %8.2f %9.1f %14s\n' "wc exec C: cat|map|sort|reduce" \
    "$XC_P" "$(mbs "$XC_P")" "-"
printf '%-36s %8.2f %9.1f %14s\n' "wc exec C, --sum-combiner: 2 workers" \
    "$XS_S" "$(mbs "$XS_S")" "$XS_W/worker"
printf '\ncorpus: %s MB, %s; coordinator peak RSS %s MB\n' "$MB" \
    "$(cat "$CORPUS/KIND")" "$WC_C"
printf 'ratios: job/seq speed %.1fx, job/pipeline %.1fx, indexer/wc time %.2f\n' \
    "$(echo "$SEQ_S / $WC_S" | bc -l)" "$(echo "$PIPE_S / $WC_S" | bc -l)" \
    "$(echo "$IX_S / $WC_S" | bc -l)"
printf 'exec apps: awk job/pipeline time %.2f, C job/pipeline %.2f, C with --sum-combiner/wc.so time %.2f\n' \
    "$(echo "$XA_S / $XA_P" | bc -l)" "$(echo "$XC_S / $XC_P" | bc -l)" \
    "$(echo "$XS_S / $WC_S" | bc -l)"
echo "outputs agree: $AGREE"
printf 'BENCH job_mb_s=%.1f seq_mb_s=%.1f pipeline_mb_s=%.1f worker_peak_rss_mb=%s exec_awk_vs_pipe=%.2f exec_c_sum_vs_wc_so=%.2f\n' \
    "$(mbs "$WC_S")" "$(mbs "$SEQ_S")" "$(mbs "$PIPE_S")" "$WC_W" \
    "$(echo "$XA_S / $XA_P" | bc -l)" "$(echo "$XS_S / $WC_S" | bc -l)"
