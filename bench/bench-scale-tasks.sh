#!/usr/bin/env bash
# make bench-scale-tasks: what cost does at scale, in three parts run one
# after the other (never two at once): a reduce's cost per (map, reduce)
# pair over M x R (bench-pairs.sh), the coordinator under 100 and 1,000
# fake workers (bench-coord-load.sh), and the word count's CPU on make
# bench's corpus (bench-wc-cpu.sh). Each part prints its own table and a
# BENCH line; the last line here gathers the figures the issue asked for.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT

for part in bench-pairs bench-coord-load bench-wc-cpu; do
    echo "== $part"
    "$here/$part.sh" | tee -a "$lines"
done

# value KEY: the figure KEY=... from the parts' BENCH lines.
value() {
    grep '^BENCH ' "$lines" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -1
}
echo "BENCH pair_us=$(value pair_us)" \
     "coord_assign_s_1000=$(value coord_assign_s_1000)" \
     "coord_p99_ms_1000=$(value coord_p99_ms_1000)" \
     "wc_cpu_s=$(value wc_cpu_s)"
