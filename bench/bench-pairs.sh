#!/usr/bin/env bash
# make bench-pairs: what a reduce pays per (map, reduce) pair. The word
# count (coordinator + 2 workers, real processes, one directory) on M maps
# of 1 KB each (one generated file cut by --split-size 1K), so the maps are
# cheap and the reduces' work is mostly their pairs, for M in {200, 2000}
# x R in {10, 100, 1000}; then one networked row (M=2000, R=1000): each
# worker keeps its map outputs in a scratch directory the other cannot see
# (a private tmpfs, unshare -m: needs root; skipped otherwise) and fetches
# the other's through its shuffle server.
#
# Per-pair cost: pair_us(M,R) = (wall(M,R) - wall(M,10)) / (M * (R - 10))
# in microseconds: the time R - 10 more reduces add, over the pairs they
# add. The same over CPU time (every process's user + sys) is the "cpu
# us/pair" column: less noisy than wall time on a busy machine. Each
# reduce's fixed cost (its task, its output file's creation and fsync:
# about 2 ms of CPU here) is in those figures, which are so an upper bound;
# the line before the last takes it out, comparing M = 2000
# with M = 200 at R = 1000: pair_net_us = (wall(2000,1000) - wall(2000,10)
# - wall(200,1000) + wall(200,10)) / (1800 * 990). Takes about a minute. A
# benchmark, not a test: it fails only when a job does, never on speed.
# The last line is "BENCH pair_us=... mr_2000x1000_s=... pair_net_us=...
# pair_cpu_us=..." (the per-pair cost at M=2000, R=1000, that job's wall
# time, the per-pair cost net of the per-reduce cost, and the per-pair CPU
# cost at M=2000, R=1000).
set -eu

B=$(cd "${BUILD:-build}" && pwd)
# The jobs run in a tmpfs when there is one (/dev/shm): on a disk, each
# reduce's output file creation and fsync (and, on ext4, the inode
# allocator's scan past files others deleted lately) add milliseconds per
# reduce that vary with what else the machine does, and would drown the
# pairs. MR_BENCH_DIR chooses another place.
if [ -n "${MR_BENCH_DIR:-}" ]; then
    DIR=$(mktemp -d "$MR_BENCH_DIR/mr-bench-pairs.XXXXXX")
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
    DIR=$(mktemp -d /dev/shm/mr-bench-pairs.XXXXXX)
else
    DIR=$(mktemp -d "$B/bench/mr-bench-pairs.XXXXXX")
fi
DIR=$(cd "$DIR" && pwd)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"
for m in 200 2000; do
    "$B/mrgen" --ascii --seed 7 --size $((m * 1024)) "in-$m.txt"
done

# run M R [net]: prints "wall_s cpu_s", checks the job's outputs.
run() {
    local m=$1 r=$2 net=${3:-} dir=$DIR/job-$1x$2${3:+-net} w
    mkdir -p "$dir/out" "$dir/hidden"
    cd "$dir"
    if [ -n "$net" ]; then
        # Each worker's scratch directory lies in a tmpfs of its own
        # mount namespace: the other worker can only fetch from it.
        w="unshare -m sh -c 'mount -t tmpfs none $dir/hidden &&"
        w="$w mkdir $dir/hidden/s && exec \"\$0\" \"\$@\"' $B/mrworker"
        w="$w --scratch $dir/hidden/s --shuffle-addr tcp:127.0.0.1:0"
    else
        w="$B/mrworker"
    fi
    /usr/bin/time -f '%e %U %S' -o time bash -c "
        '$B/mrcoordinator' --addr 'unix:$dir/s' --split-size 1K \
            --reduce $r --output '$dir/out' '$DIR/in-$m.txt' 2>coord.log &
        $w --addr 'unix:$dir/s' '$B/apps/wc.so' 2>w1.log &
        $w --addr 'unix:$dir/s' '$B/apps/wc.so' 2>w2.log &
        wait" >/dev/null
    if [ ! -e out/mr-success ] || [ "$(ls out | grep -c '^mr-out-')" != "$r" ]
    then
        echo "bench-pairs: the job M=$m R=$r${net:+ (networked)} failed:" \
            "$(tail -n 2 coord.log w1.log w2.log)" >&2
        exit 1
    fi
    awk '{printf "%s %.2f\n", $1, $2 + $3}' time
    cd "$DIR"
}

pair_us() {     # WALL BASE M R
    echo "($1 - $2) * 1000000 / ($3 * ($4 - 10))" | bc -l
}

printf '%-6s %-6s %9s %9s %12s %12s\n' M R "wall s" "cpu s" "us/pair" \
    "cpu us/pair"
declare -A WALL CPU
for m in 200 2000; do
    for r in 10 100 1000; do
        read -r wall cpu < <(run $m $r)
        WALL[$m,$r]=$wall
        CPU[$m,$r]=$cpu
        if [ "$r" = 10 ]; then
            per=-
            cper=-
        else
            per=$(printf '%.2f' "$(pair_us "$wall" "${WALL[$m,10]}" $m $r)")
            cper=$(printf '%.2f' "$(pair_us "$cpu" "${CPU[$m,10]}" $m $r)")
        fi
        printf '%-6s %-6s %9.2f %9.2f %12s %12s\n' $m $r "$wall" "$cpu" \
            "$per" "$cper"
    done
done
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    read -r bwall bcpu < <(run 2000 10 net)
    read -r wall cpu < <(run 2000 1000 net)
    printf '%-6s %-6s %9.2f %9.2f %12.2f %12.2f  networked (R=10: %.2f s)\n' \
        2000 1000 "$wall" "$cpu" "$(pair_us "$wall" "$bwall" 2000 1000)" \
        "$(pair_us "$cpu" "$bcpu" 2000 1000)" "$bwall"
else
    echo "networked row skipped: needs root (unshare -m)"
fi
# Net of the per-reduce cost: what R - 10 more reduces add at M = 2000
# beyond what they add at M = 200, over the 1800 (R - 10) pairs that
# differ.
marginal() {    # TABLE-NAME
    local -n t=$1
    echo "(${t[2000,1000]} - ${t[2000,10]} - ${t[200,1000]} + ${t[200,10]}) \
        * 1000000 / (1800 * 990)" | bc -l
}
printf 'per pair, net of the per-reduce cost (R=1000, M 2000 vs 200): '
printf 'wall %.2f us, cpu %.2f us\n' "$(marginal WALL)" "$(marginal CPU)"
printf 'BENCH pair_us=%.2f mr_2000x1000_s=%.2f pair_net_us=%.2f pair_cpu_us=%.2f\n' \
    "$(pair_us "${WALL[2000,1000]}" "${WALL[2000,10]}" 2000 1000)" \
    "${WALL[2000,1000]}" "$(marginal WALL)" \
    "$(pair_us "${CPU[2000,1000]}" "${CPU[2000,10]}" 2000 1000)"
