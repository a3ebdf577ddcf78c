#!/usr/bin/env bash
# Two builds on the same job, alternately: the distributed wc and indexer
# (a coordinator and 2 workers, 10 reduce tasks) on make bench's corpus,
# ROUNDS rounds each, then the medians. For measuring a change: build the
# old commit elsewhere (git worktree add /tmp/old REV; make -C /tmp/old)
# and compare. A benchmark: it prints figures and never fails on speed.
#
# Usage: bench/compare.sh OLD_BUILD NEW_BUILD [ROUNDS]   (after make bench)
set -eu

OLD=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
ROUNDS=${3:-5}
CORPUS=$NEW/bench/corpus
WORK=$(mktemp -d /tmp/mr-compare-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ls "$CORPUS"/in-*.txt >/dev/null 2>&1 || {
    echo "compare: no corpus in $CORPUS; run 'make bench' first" >&2
    exit 1; }

# job BUILD APP: one job's wall seconds.
job() {
    local b=$1 d=$WORK/job t0 pid
    rm -rf "$d" && mkdir "$d" && cd "$d"
    t0=$(date +%s.%N)
    "$b/mrcoordinator" --addr "unix:$d/s" "$CORPUS"/in-*.txt 2>/dev/null &
    pid=$!
    "$b/mrworker" --addr "unix:$d/s" "$b/apps/$2.so" 2>/dev/null &
    "$b/mrworker" --addr "unix:$d/s" "$b/apps/$2.so" 2>/dev/null &
    wait $pid
    wait
    echo "$(date +%s.%N) - $t0" | bc -l
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

for app in wc indexer; do
    : > "$WORK/old" && : > "$WORK/new"
    for ((r = 0; r < ROUNDS; r++)); do
        job "$OLD" $app >> "$WORK/old"
        job "$NEW" $app >> "$WORK/new"
    done
    printf '%-8s old %.3f s  new %.3f s  (medians of %d)\n' $app \
        "$(median < "$WORK/old")" "$(median < "$WORK/new")" "$ROUNDS"
done
