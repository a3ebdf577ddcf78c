#!/usr/bin/env bash
# Apps against the app contract (include/mrapp.h): mrsequential
# --check-combiner catches a combiner that is not associative, passes the
# lab's apps, and refuses bad usage in one line; an app written in C++
# loads and gives the word count's output, alone and in a distributed job.
# Prints one "PASS name" or "FAIL name: why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-apptest
# Every process gets a deadline: a hang fails, never blocks.
TIMEOUT="timeout -k 2s 120s"
SEQ="$B/mrsequential"
MEAN=$B/tests/apps/meancombine.so
CXXWC=$B/tests/apps/cxxwc.so
need "$MEAN" "$CXXWC"
make_inputs --ascii --size 200000 a.txt b.txt c.txt

# A fresh, empty directory for a check; the check runs in it.
enter() {
    mkdir "$WORK/$1" && cd "$WORK/$1" || exit 1
}

# The mean of means: exit 1, one line naming a key and a seed, nothing
# written; the printed seed repeats the same finding.
test_check_combiner_catches_mean() {
    local name=check_combiner_catches_mean rc seed again
    enter "$name"
    $TIMEOUT "$SEQ" --check-combiner "$MEAN" "$IN"/*.txt > ../mean.out \
        2> ../mean.err
    rc=$?
    seed=$(sed -n 's/.*rerun with --seed \([0-9]*\).*/\1/p' ../mean.err)
    if [ $rc -ne 1 ]; then
        fail $name "exit status $rc, wanted 1"
    elif [ "$(wc -l < ../mean.err)" -ne 1 ]; then
        fail $name "not one line on stderr: $(head -c 300 ../mean.err)"
    elif ! grep -q 'combiner changes the result for key "[a-z]"' \
            ../mean.err; then
        fail $name "no key named: $(cat ../mean.err)"
    elif [ -z "$seed" ]; then
        fail $name "no --seed to rerun with: $(cat ../mean.err)"
    elif [ -n "$(ls -A)" ]; then
        fail $name "wrote files: $(ls -A | tr '\n' ' ')"
    else
        $TIMEOUT "$SEQ" --check-combiner --seed "$seed" "$MEAN" \
            "$IN"/*.txt >/dev/null 2> ../again.err
        again=$(grep -o 'for key "[^"]*"' ../again.err)
        if [ "$again" != "$(grep -o 'for key "[^"]*"' ../mean.err)" ]; then
            fail $name "--seed $seed reported '$(cat ../again.err)'," \
                "first '$(cat ../mean.err)'"
        elif ! cmp -s ../mean.err ../again.err; then
            fail $name "--seed $seed: same key, another line:" \
                "$(cat ../again.err)"
        else
            pass $name
        fi
    fi
}

# Every lab app, and the C++ word count: those with a combiner pass, the
# others say they have none; each exits 0, prints one line and writes
# nothing.
test_check_combiner_passes_lab_apps() {
    local name=check_combiner_passes_lab_apps so rc bad="" passed=""
    enter "$name"
    for so in "$B"/apps/*.so "$CXXWC"; do
        $TIMEOUT "$SEQ" --check-combiner "$so" "$IN"/*.txt > ../out \
            2> ../err
        rc=$?
        if [ $rc -ne 0 ] || [ -s ../err ] || [ "$(wc -l < ../out)" -ne 1 ]
        then
            bad="$bad $(basename "$so") (exit $rc: $(head -c 200 ../err))"
        elif grep -q '^combiner check passed: [1-9][0-9]* keys' ../out; then
            passed="$passed $(basename "$so" .so)"
        elif ! grep -q 'has no combiner' ../out; then
            bad="$bad $(basename "$so") ($(cat ../out))"
        fi
    done
    if [ -n "$bad" ]; then fail $name "failed:$bad"
    elif [ "$passed" != " wc cxxwc" ]; then
        fail $name "checked combiners of:$passed; wanted wc and cxxwc"
    elif [ -n "$(ls -A)" ]; then
        fail $name "wrote files: $(ls -A | tr '\n' ' ')"
    else pass $name; fi
}

# expect_usage_error CMD...: exit 2, one line on stderr, nothing written.
# Prints why not, or nothing.
expect_usage_error() {
    local rc
    $TIMEOUT "$@" > ../usage.out 2> ../usage.err
    rc=$?
    if [ $rc -ne 2 ]; then echo "'${*:2}': exit $rc, wanted 2"
    elif [ "$(wc -l < ../usage.err)" -ne 1 ]; then
        echo "'${*:2}': not one line on stderr: $(head -c 200 ../usage.err)"
    elif [ -n "$(ls -A)" ]; then echo "'${*:2}': wrote files"
    fi
}

test_check_combiner_bad_usage() {
    local name=check_combiner_bad_usage why=""
    enter "$name"
    why=$why$(expect_usage_error "$SEQ" --check-combiner)
    why=$why$(expect_usage_error "$SEQ" --check-combiner "$B/apps/wc.so")
    why=$why$(expect_usage_error "$SEQ" --check-combiner --seed x \
              "$B/apps/wc.so" "$IN/a.txt")
    why=$why$(expect_usage_error "$SEQ" --seed 1 "$B/apps/wc.so" "$IN/a.txt")
    if [ -n "$why" ]; then fail $name "$why"
    elif ! grep -q -- '--check-combiner' ../usage.err; then
        fail $name "usage line does not name --check-combiner"
    elif ! "$SEQ" --help | grep -q -- '--check-combiner.*--seed N'; then
        fail $name "--help does not document --check-combiner [--seed N]"
    else pass $name; fi
}

# The C++ word count and the C one agree on ASCII text.
test_cxx_app_matches_wc() {
    local name=cxx_app_matches_wc
    enter "$name"
    $TIMEOUT "$SEQ" "$B/apps/wc.so" "$IN"/*.txt && sort mr-out-0 > wc.txt
    $TIMEOUT "$SEQ" "$CXXWC" "$IN"/*.txt && sort mr-out-0 > cxx.txt
    if [ ! -s wc.txt ] || [ ! -s cxx.txt ]; then
        fail $name "mrsequential failed"
    elif ! cmp -s wc.txt cxx.txt; then
        fail $name "outputs differ: $(diff wc.txt cxx.txt | head -4 |
                                      tr '\n' ' ')"
    else pass $name; fi
}

# The C++ module in a distributed job: a coordinator and two workers.
test_cxx_app_runs_distributed() {
    local name=cxx_app_runs_distributed dir=$WORK/cxx_app_runs_distributed
    local pid rc
    enter "$name"
    mkdir ref && (cd ref && $TIMEOUT "$SEQ" "$CXXWC" "$IN"/*.txt &&
                  sort mr-out-0 > ../ref.txt)
    $TIMEOUT "$B/mrcoordinator" --addr "unix:$dir/s" "$IN"/*.txt &
    pid=$!
    $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" "$CXXWC" &
    $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" "$CXXWC"
    wait $pid
    rc=$?
    wait
    sort mr-out-* | grep . > got.txt
    if [ $rc -ne 0 ]; then fail $name "coordinator exited $rc"
    elif [ ! -s ref.txt ]; then fail $name "mrsequential failed"
    elif ! cmp -s got.txt ref.txt; then
        fail $name "output differs from mrsequential"
    else pass $name; fi
}

test_check_combiner_catches_mean
test_check_combiner_passes_lab_apps
test_check_combiner_bad_usage
test_cxx_app_matches_wc
test_cxx_app_runs_distributed
