#!/usr/bin/env bash
# make bench-coord-load: the coordinator's cost per assignment at 100 and
# 1,000 connected workers. bench/coord_load (see its top comment) runs a
# real mrcoordinator through a job of 20,000 map and 2,000 reduce tasks,
# driven by that many fake workers that report each task done as soon as
# they get it; so the job's pace is the coordinator's. A benchmark, not a
# test: it fails only when a job does not end DONE, never on speed.
#
# Figures, the median over ROUNDS rounds (3, or $MR_BENCH_ROUNDS):
#   coord_assign_s_N  tasks handed out per second, first GetTask to the
#             job's end (its commit included) (goal at 1,000: >= 50,000);
#   coord_p99_ms_N  the 99th percentile of an ask's round trip (a GetTask,
#             or a report asking for the next task), among those
#             answered with a task (goal: <= 20 ms); the table also
#             shows it among those answered with a map task, which leaves
#             out the workers that waited at the map phase's end (1,000
#             of 22,000 GetTasks at 1,000 workers: more than 1%);
#   coord_rss_mb_1000  the coordinator's peak RSS (goal: <= 64 MiB).
# The coordinator's CPU time per task is printed too: on a busy machine it
# says more than the wall time.
# Each fake's report asks for its next task (one round trip a task);
# arguments go to bench/coord_load: --get-task measures the two round
# trips (a report, then a GetTask) workers made before TaskReport.ask.
set -eu

B=$(cd "${BUILD:-build}" && pwd)
ROUNDS=${MR_BENCH_ROUNDS:-3}
MAPS=20000
REDUCES=2000

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
    END {print v[int((NR + 1) / 2)]}'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

printf '%-6s %6s %10s %8s %8s %12s %7s %11s\n' conns round "assign/s" \
    "p50 ms" "p99 ms" "map p99 ms" "RSS MB" "CPU us/task"
for conns in 100 1000; do
    a=() p=() m=()
    for ((i = 1; i <= ROUNDS; i++)); do
        out=$("$B/bench/coord_load" --build "$B" --conns "$conns" \
                  --maps $MAPS --reduces $REDUCES "$@" | grep '^RESULT')
        a+=("$(field assign_s <<< "$out")")
        p+=("$(field p99_ms <<< "$out")")
        m+=("$(field rss_mb <<< "$out")")
        cpu=$(field cpu_us_task <<< "$out")
        printf '%-6s %6s %10s %8s %8s %12s %7s %11s\n' "$conns" "$i" \
            "${a[-1]}" "$(field p50_ms <<< "$out")" "${p[-1]}" \
            "$(field map_p99_ms <<< "$out")" "${m[-1]}" "$cpu"
    done
    eval "A$conns=$(median "${a[@]}") P$conns=$(median "${p[@]}")"
    eval "M$conns=$(median "${m[@]}")"
done
echo "BENCH coord_assign_s_100=$A100 coord_p99_ms_100=$P100" \
     "coord_assign_s_1000=$A1000 coord_p99_ms_1000=$P1000" \
     "coord_rss_mb_1000=$M1000"
