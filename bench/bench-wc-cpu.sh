#!/usr/bin/env bash
# make bench-wc-cpu: the CPU the distributed word count costs, the user +
# system seconds of the coordinator and its 2 workers together (10 reduce
# tasks, wc.so) on make bench's ~195 MB corpus, over ROUNDS runs (default
# 5), and their median. CPU rather than wall time, so that a figure taken
# while other work shares the machine still means something. Ends with one
# BENCH line. A benchmark, not a test: it never fails on speed.
#
# Take timings one at a time on a shared machine:
#     flock /tmp/mr-bench.lock make bench-wc-cpu
set -eu

B=$(cd "${BUILD:-build}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-5}
. "$TOP/bench/corpus.sh"
bench_corpus
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mr-wc-cpu-$$-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# One job: prints the CPU seconds of its three processes, added up.
cpu_of_job() {
    local d=$WORK/job pid
    rm -rf "$d" && mkdir "$d" && cd "$d"
    /usr/bin/time -f '%U %S' -o coord.cpu "$B/mrcoordinator" \
        --addr "unix:$d/sock" "$CORPUS"/in-*.txt 2>/dev/null &
    pid=$!
    /usr/bin/time -f '%U %S' -o w1.cpu "$B/mrworker" --addr "unix:$d/sock" \
        "$B/apps/wc.so" 2>/dev/null &
    /usr/bin/time -f '%U %S' -o w2.cpu "$B/mrworker" --addr "unix:$d/sock" \
        "$B/apps/wc.so" 2>/dev/null &
    wait $pid
    wait
    [ -f mr-success ] || { echo "bench-wc-cpu: the job failed" >&2; exit 1; }
    # GNU time prints "Command exited..." first when a process fails.
    tail -qn1 coord.cpu w1.cpu w2.cpu |
        awk '{ s += $1 + $2 } END { printf "%.2f\n", s }'
}

echo "wc.so, coordinator + 2 workers, $MB MB ($(cat "$CORPUS/KIND")):" \
     "CPU seconds (user + sys) of $ROUNDS runs"
for ((r = 0; r < ROUNDS; r++)); do
    cpu_of_job | tee -a "$WORK/cpu"
done
MEDIAN=$(sort -n "$WORK/cpu" | awk '{ v[NR] = $1 } END {
    print v[int((NR + 1) / 2)] }')
printf 'median %s s, %.0f MB per CPU second\n' "$MEDIAN" \
    "$(echo "$MB / $MEDIAN" | bc -l)"
echo "BENCH wc_cpu_s=$MEDIAN"
