#!/usr/bin/env bash
# make bench-scale: the distributed word count (coordinator + 2 workers) on
# generated inputs of 200 MB, 1 GB and 2 GB in files of up to 256 MB (so
# large files are split into 64 MB map tasks), with wall time and the peak
# RSS of the workers for each. Linear scaling means 2 GB takes about 10x the
# 200 MB time, with the same memory. Takes a few minutes and ~2.3 GB of disk
# (kept in build/bench/scale for the next run).
set -eu

B=$(cd "${BUILD:-build}" && pwd)
DIR=$B/bench/scale
FILE=256000000
mkdir -p "$DIR/input"
cd "$DIR/input"
[ -f small.txt ] || "$B/mrgen" --ascii --seed 100 --size 200000000 small.txt
for i in 0 1 2 3 4 5 6 7; do
    [ -f big-$i.txt ] || "$B/mrgen" --ascii --seed $((200 + i)) \
        --size $FILE big-$i.txt
done

rss() { awk '/Maximum resident/ {printf "%.0f", $6 / 1024}' "$1"; }

# run NAME FILE...: prints "seconds worker_peak_rss_mb map_tasks"
run() {
    local name=$1 dir=$DIR/job-$1 t0 t1 pid
    shift
    rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
    t0=$(date +%s.%N)
    /usr/bin/time -v -o coord.time "$B/mrcoordinator" --addr "unix:$dir/s" \
        "$@" &
    pid=$!
    /usr/bin/time -v -o w1.time "$B/mrworker" --addr "unix:$dir/s" \
        "$B/apps/wc.so" &
    /usr/bin/time -v -o w2.time "$B/mrworker" --addr "unix:$dir/s" \
        "$B/apps/wc.so" &
    wait $pid
    wait
    t1=$(date +%s.%N)
    echo "$(echo "$t1 - $t0" | bc -l) $(printf '%s\n' "$(rss w1.time)" \
        "$(rss w2.time)" | sort -n | tail -1)"
}

I=$DIR/input
read -r S1 R1 < <(run 200M "$I/small.txt")
read -r S2 R2 < <(run 1G "$I"/big-[0-3].txt)
read -r S3 R3 < <(run 2G "$I"/big-*.txt)

printf '%-8s %10s %9s %9s %20s\n' input bytes "wall s" "MB/s" \
    "worker peak RSS MB"
line() {
    printf '%-8s %10s %9.2f %9.1f %20s\n' "$1" "$2" "$3" \
        "$(echo "$2 / 1000000 / $3" | bc -l)" "$4"
}
line 200M 200000000 "$S1" "$R1"
line 1G $((4 * FILE)) "$S2" "$R2"
line 2G $((8 * FILE)) "$S3" "$R3"
printf 'time 2G / 200M: %.1fx for %.2fx the bytes\n' \
    "$(echo "$S3 / $S1" | bc -l)" "$(echo "8 * $FILE / 200000000" | bc -l)"
printf 'BENCH scale_200m_s=%.2f scale_1g_s=%.2f scale_2g_s=%.2f worker_peak_rss_mb=%s\n' \
    "$S1" "$S2" "$S3" "$(printf '%s\n' "$R1" "$R2" "$R3" | sort -n | tail -1)"
