#!/usr/bin/env bash
# Skipping bad records of executable mappers (--skip-bad-records with
# --mapper, docs/exec-apps.md): a Python word count mapper that dies of
# SIGSEGV on one line out of 200,000 (tests/support/exec/crash_map.py, on
# the line starting "CRASH!") finishes through mrrun, in the text and the
# framed protocol, with the output of the input without that line
# (counted here by awk), and the job lists exactly that record (its
# offset as grep -b finds it, its first 32 bytes) in the success marker
# and mrstatus --summary, and counts it ("map skipped records"). The
# task's attempts went one line at a time to find the line, and its last,
# after the skip, in bulk again (the coordinator's debug line for each
# handout says which). Without the flag the same job fails naming the
# mapper and SIGSEGV. Prints one "PASS name" or "FAIL name: why" line per
# check.
#
# Usage: BUILD=build tests/job/test-exec-skip.sh [CHECK...]
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-execskiptest
TIMEOUT="timeout -k 5 180"
SUP=$(cd "$(dirname "$0")/../support/exec" && pwd)
EXAMPLES=$(cd "$(dirname "$0")/../../examples/streaming" && pwd)
MAP="python3 $SUP/crash_map.py"
RED="python3 $SUP/wc_reduce.py"
need "$B/mrrun" "$B/mrstatus"
IN=$WORK/input
mkdir -p "$IN"
BAD_LINE="CRASH! this line kills the mapper, and it is longer than 32 bytes"
BAD_HEAD=${BAD_LINE:0:32}

# 200,000 lines of two or three words, line 123,457 the bad one.
awk -v line="$BAD_LINE" 'BEGIN {
    split("alpha beta gamma delta eps zeta eta theta iota kappa lambda", w, " ")
    for (i = 0; i < 200000; i++) {
        if (i == 123457) { print line; continue }
        s = w[i % 11 + 1] " " w[int(i / 11) % 11 + 1]
        if (i % 3 == 0) s = s " " w[int(i / 121) % 11 + 1]
        print s
    }
}' > "$IN/one-bad.txt"
awk '!/^CRASH!/ { for (i = 1; i <= NF; i++) c[$i]++ }
     END { for (w in c) print w, c[w] }' "$IN/one-bad.txt" | sort \
    > "$WORK/want"
BAD_OFFSET=$(grep -b '^CRASH!' "$IN/one-bad.txt" | cut -d: -f1)

# marker_problem FILE: what is wrong with the success marker FILE, if
# anything: it must list the bad line alone and count it.
marker_problem() {
    python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("%s is not JSON: %s" % (sys.argv[1], e)); sys.exit()
want = [{"input": sys.argv[2], "offset": int(sys.argv[3]), "head": sys.argv[4]}]
c = d.get("counters", {})
if d.get("outcome") != "done": print("outcome:", d.get("outcome"), d.get("why"))
elif d.get("skipped_records") != want: print("skipped_records %s, wanted %s" % (d.get("skipped_records"), want))
elif c.get("map skipped records") != 1: print("map skipped records:", c.get("map skipped records"))
' "$1" "$IN/one-bad.txt" "$BAD_OFFSET" "$BAD_HEAD"
}

# bulk_problem ERR: what is wrong with the attempts of the map task that
# skipped a line, as mrrun's debug lines in ERR tell, if anything: one went
# one line at a time, and the last (after the skip) in bulk.
bulk_problem() {
    local task handouts last
    task=$(sed -n 's/.*map task \([0-9]*\): skipping the line.*/\1/p' "$1" |
           head -n 1)
    handouts=$(grep "debug: map task $task attempt [0-9]* -> " "$1")
    last=$(echo "$handouts" | tail -n 1)
    if [ -z "$task" ] || [ -z "$handouts" ]; then
        echo "no handout of the skipping task logged"
    elif ! echo "$handouts" | grep -q ", one line at a time$"; then
        echo "no attempt of map task $task went one line at a time"
    elif echo "$last" | grep -q "one line at a time"; then
        echo "its last attempt went one line at a time: $last"
    fi
}

# skips NAME MRRUN-ARGS...: mrrun with --skip-bad-records and the args
# succeeds with awk's output, lists the bad line alone, and its task's
# last attempt ran in bulk.
skips() {
    local name=$1 d=$WORK/$1 rc problem
    shift
    mkdir -p "$d" && cd "$d" || return
    MR_LOG=debug $TIMEOUT "$B/mrrun" --skip-bad-records --workers 2 --reduce 3 \
        --split-size 256K --output "$d" "$@" "$IN/one-bad.txt" \
        >"$WORK/$name.out" 2>"$WORK/$name.err"
    rc=$?
    sort "$d"/mr-out-* > "$WORK/$name.got" 2>/dev/null
    if [ $rc -ne 0 ]; then
        fail "$name" "mrrun exit $rc: $(tail -n 1 "$WORK/$name.err")"
        return
    elif ! cmp -s "$WORK/$name.got" "$WORK/want"; then
        fail "$name" "output differs from awk's: $(diff "$WORK/$name.got" "$WORK/want" | head -n 4 | tr '\n' ' ')"
        return
    fi
    problem=$(marker_problem "$d/mr-success")
    if [ -n "$problem" ]; then fail "$name" "marker: $problem"
    elif ! logged "$WORK/$name.err" "skipping the line at offset $BAD_OFFSET of $IN/one-bad.txt"; then
        fail "$name" "no warning: $(grep skipping "$WORK/$name.err")"
    elif ! "$B/mrstatus" --summary "$d" > "$WORK/$name.summary" 2>&1 ||
         ! grep -q "offset: *$BAD_OFFSET$" "$WORK/$name.summary" ||
         ! grep -qF "head:   $BAD_HEAD" "$WORK/$name.summary"; then
        fail "$name" "mrstatus --summary: $(grep -A4 skipped "$WORK/$name.summary")"
    else
        problem=$(bulk_problem "$WORK/$name.err")
        if [ -n "$problem" ]; then fail "$name" "$problem"
        else pass "$name"; fi
    fi
}

check_text() {
    skips text_mapper_skips_the_bad_line --mapper "$MAP" --reducer "$RED"
}

check_framed() {
    skips framed_mapper_skips_the_bad_line --framed \
        --mapper "$MAP --framed" --reducer "python3 $EXAMPLES/wc_reduce.py"
}

# Without --skip-bad-records nothing changes: the job fails after the
# usual four attempts, naming the mapper and SIGSEGV.
check_without_flag() {
    local d=$WORK/noflag rc last
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --workers 2 --split-size 256K --output "$d" \
        --mapper "$MAP" --reducer "$RED" "$IN/one-bad.txt" \
        >/dev/null 2>"$WORK/noflag.err"
    rc=$?
    last=$(tail -n 1 "$WORK/noflag.err")
    if [ $rc -ne 1 ]; then fail without_flag_the_job_fails "mrrun exit $rc: $last"
    elif ! echo "$last" | grep -q "^mrrun: job failed: map task [0-9]* (input .*one-bad.txt.*) failed 4 times; .*mapper \`$MAP\` was killed by signal 11 .*SIGSEGV"; then
        fail without_flag_the_job_fails "last line: $last"
    elif [ -e "$d/mr-success" ]; then fail without_flag_the_job_fails "mr-success written"
    else pass without_flag_the_job_fails; fi
}

# A mapper that dies after reading all of its input (a crash at its end,
# not on a line) has no line to blame: no good line is skipped, however
# high the limit, and the job fails as it would without the flag.
check_crash_at_end() {
    local d=$WORK/atend rc last
    mkdir -p "$d" && cd "$d" || return
    seq 1 20 | sed 's/^/line /' > in.txt
    $TIMEOUT "$B/mrrun" --workers 2 --skip-bad-records \
        --max-skipped-records 100 --output "$d" \
        --mapper 'cat >/dev/null; kill -SEGV $$' --reducer cat in.txt \
        >/dev/null 2>"$WORK/atend.err"
    rc=$?
    last=$(tail -n 1 "$WORK/atend.err")
    if [ $rc -ne 1 ]; then
        fail crash_at_end_skips_nothing "mrrun exit $rc: $last"
    elif ! python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["skipped_records"] != [])' \
            "$d/mr-failed"; then
        fail crash_at_end_skips_nothing "lines were skipped, or no" \
            "mr-failed: $(head -c 300 "$d/mr-failed" 2>&1)"
    elif ! echo "$last" | grep -q "killed by signal 11"; then
        fail crash_at_end_skips_nothing "last line: $last"
    else pass crash_at_end_skips_nothing; fi
}

ALL="text framed without_flag crash_at_end"
run_checks "$ALL" "$@"
