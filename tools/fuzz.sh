#!/bin/sh
# Runs each libFuzzer target for a bounded time, starting from the committed
# seeds (tests/fuzz/seeds/TARGET) and any crash reproducers kept as
# regression inputs (tests/fuzz/regressions/TARGET). Prints executions per
# target and a total; exits non-zero if any target crashed, leaked or hung.
# Usage: tools/fuzz.sh FUZZ_DIR SECONDS TARGET...
set -u
dir=$1 seconds=$2
shift 2
total=0 failed=0
for t in "$@"; do
    corpus=$dir/corpus/$t
    mkdir -p "$corpus"
    seeds=tests/fuzz/seeds/$t
    regress=tests/fuzz/regressions/$t
    # Known crashers first: each must now run clean.
    if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
        if ! "$dir/fuzz_$t" "$regress"/* >"$dir/$t.regress.log" 2>&1; then
            echo "fuzz $t: a regression input crashes again; see $dir/$t.regress.log"
            failed=$((failed + 1))
            continue
        fi
    fi
    "$dir/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$dir/$t-" \
        "$corpus" "$seeds" >"$dir/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
    runs=${runs:-0}
    total=$((total + runs))
    if [ $rc -ne 0 ]; then
        echo "fuzz $t: FAILED after $runs executions; see $dir/$t.log"
        failed=$((failed + 1))
    else
        echo "fuzz $t: $runs executions in ${seconds}s, no crash"
    fi
done
echo "fuzz: $total executions in all, $failed targets failed"
[ $failed -eq 0 ]
