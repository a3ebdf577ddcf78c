#!/usr/bin/env bash
# Skipping bad records (--skip-bad-records): an MR_APP_LINES app that dies
# of SIGSEGV on one line out of a million (tests/support/apps/linewc.so: a
# word count that segfaults on lines starting "CRASH!") finishes, through
# mrrun and through mrcoordinator with mrworkers, with the output of the
# input without that line (counted here by awk), and the job lists exactly
# that record (input, offset as grep -b finds it, its first 32 bytes) in
# the success marker, mrstatus --summary, mrrun's closing lines and the
# running job's status (mrstatus, --json), and
# counts it ("map skipped records"). Without the flag the same job fails
# naming SIGSEGV; with two bad lines and --max-skipped-records 1 it fails
# with one line saying the limit and how to raise it. A coordinator
# killed and started again keeps skipping the line (its journal). The
# line form with
# the built-in sum gives the word count apps/wc.so gives. Prints one
# "PASS name" or "FAIL name: why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-skiptest
TESTS=$(cd "$(dirname "$0")/.." && pwd)
LINEWC=$B/tests/apps/linewc.so
need "$LINEWC" "$B/apps/wc.so" "$B/mrrun" "$B/mrcoordinator" "$B/mrworker" \
    "$B/mrsequential" "$B/mrstatus"
TIMEOUT="timeout -k 5 120"
IN=$WORK/input
mkdir -p "$IN"
BAD_LINE="CRASH! this line kills the map, and it is longer than 32 bytes"
BAD_HEAD=${BAD_LINE:0:32}

# lines FILE N BAD...: N lines of two or three words each, the line of
# each index in BAD replaced by $BAD_LINE.
lines() {
    local file=$1 n=$2
    shift 2
    awk -v n="$n" -v bad="$*" -v line="$BAD_LINE" 'BEGIN {
        split(bad, b, " "); for (k in b) isbad[b[k]] = 1
        split("alpha beta gamma delta eps zeta eta theta iota kappa lambda", w, " ")
        for (i = 0; i < n; i++) {
            if (i in isbad) { print line; continue }
            s = w[i % 11 + 1] " " w[int(i / 11) % 11 + 1]
            if (i % 3 == 0) s = s " " w[int(i / 121) % 11 + 1]
            print s
        }
    }' > "$file"
}

# expected FILE WANT: the word count of FILE's lines but those starting
# "CRASH!", as "word count" lines, sorted.
expected() {
    awk '!/^CRASH!/ { for (i = 1; i <= NF; i++) c[$i]++ }
         END { for (w in c) print w, c[w] }' "$1" | sort > "$2"
}

lines "$IN/one-bad.txt" 1000000 654321
lines "$IN/two-bad.txt" 1000000 1234 876543
expected "$IN/one-bad.txt" "$WORK/one-bad.want"
expected "$IN/two-bad.txt" "$WORK/two-bad.want"
BAD_OFFSET=$(grep -b '^CRASH!' "$IN/one-bad.txt" | cut -d: -f1)

# What a success marker must say of the one bad line: skipped_records holds
# it alone, the counter counts it. Args: input name, offset, head.
ONE_SKIPPED='
want = [{"input": args[0], "offset": int(args[1]), "head": args[2]}]
c = d.get("counters", {})
if d.get("outcome") != "done": print("outcome:", d.get("outcome"), d.get("why"))
elif d.get("skipped_records") != want: print("skipped_records %s, wanted %s" % (d.get("skipped_records"), want))
elif c.get("map skipped records") != 1: print("map skipped records:", c.get("map skipped records"))
elif c.get("map input records") != 999999: print("map input records:", c.get("map input records"))
'

# same_output DIR WANT: DIR's mr-out-* sorted equal WANT, or why not.
same_output() {
    sort "$1"/mr-out-* > "$1.got" 2>/dev/null
    cmp -s "$1.got" "$2" ||
        echo "output differs from awk's: $(diff "$1.got" "$2" | head -n 4 | tr '\n' ' ')"
}

# Through mrrun, several maps (2 MB splits), two workers restarted as they
# die.
check_mrrun() {
    local d=$WORK/mrrun rc problem
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$LINEWC" --skip-bad-records --workers 2 \
        --reduce 3 --split-size 2M --output "$d" "$IN/one-bad.txt" \
        >"$WORK/mrrun.out" 2>"$WORK/mrrun.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        fail mrrun_skips_the_bad_line "mrrun exit $rc: $(tail -n 1 "$WORK/mrrun.err")"
        return
    fi
    problem=$(same_output "$d" "$WORK/one-bad.want")
    if [ -n "$problem" ]; then fail mrrun_skips_the_bad_line "$problem"
    else pass mrrun_skips_the_bad_line; fi
    problem=$(json_problems "$d/mr-success" "$ONE_SKIPPED" "$IN/one-bad.txt" \
        "$BAD_OFFSET" "$BAD_HEAD")
    if [ -n "$problem" ]; then fail mrrun_marker_lists_the_record "$problem"
    else pass mrrun_marker_lists_the_record; fi
    if ! grep -qx "skipped 1 bad record .*" "$WORK/mrrun.out" ||
       ! grep -qxF "  $IN/one-bad.txt offset $BAD_OFFSET: \"$BAD_HEAD\"" \
            "$WORK/mrrun.out"; then
        fail mrrun_prints_the_record "$(tail -n 3 "$WORK/mrrun.out")"
    elif ! logged "$WORK/mrrun.err" "skipping the line at offset $BAD_OFFSET of $IN/one-bad.txt"; then
        fail mrrun_prints_the_record "no warning: $(grep skipping "$WORK/mrrun.err")"
    else pass mrrun_prints_the_record; fi
    if ! "$B/mrstatus" --summary "$d" > "$WORK/mrrun.summary" 2>&1 ||
       ! grep -q "offset: *$BAD_OFFSET$" "$WORK/mrrun.summary" ||
       ! grep -qF "head:   $BAD_HEAD" "$WORK/mrrun.summary"; then
        fail mrstatus_summary_lists_the_record "$(grep -A4 skipped "$WORK/mrrun.summary")"
    else pass mrstatus_summary_lists_the_record; fi
}

# Without --skip-bad-records nothing changes: the job fails, naming the
# task and SIGSEGV, after its usual four attempts.
check_without_flag() {
    local d=$WORK/noflag rc last
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$LINEWC" --workers 2 --split-size 2M \
        --output "$d" "$IN/one-bad.txt" >/dev/null 2>"$WORK/noflag.err"
    rc=$?
    last=$(tail -n 1 "$WORK/noflag.err")
    if [ $rc -ne 1 ]; then fail without_flag_the_job_fails "mrrun exit $rc: $last"
    elif ! echo "$last" | grep -q "^mrrun: job failed: map task [0-9]* (input .*one-bad.txt.*) failed 4 times; .*SIGSEGV"; then
        fail without_flag_the_job_fails "last line: $last"
    elif [ -e "$d/mr-success" ]; then fail without_flag_the_job_fails "mr-success written"
    else pass without_flag_the_job_fails; fi
}

# Two bad lines, at most one may be skipped: the job fails with one line
# naming the limit and how to raise it.
check_limit() {
    local d=$WORK/limit rc last
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$LINEWC" --max-skipped-records 1 --workers 2 \
        --split-size 2M --output "$d" "$IN/two-bad.txt" \
        >/dev/null 2>"$WORK/limit.err"
    rc=$?
    last=$(tail -n 1 "$WORK/limit.err")
    if [ $rc -ne 1 ]; then fail over_the_limit_the_job_fails "mrrun exit $rc: $last"
    elif ! echo "$last" | grep -q "^mrrun: job failed: map task [0-9]* (input .*two-bad.txt.*) would skip 2 records, over --max-skipped-records 1 (raise it to skip more): the line at offset [0-9]* killed 2 attempts; worker pid [0-9]* on host [^;]*; killed by SIGSEGV$"; then
        fail over_the_limit_the_job_fails "last line: $last"
    elif [ -e "$d/mr-success" ]; then fail over_the_limit_the_job_fails "mr-success written"
    else pass over_the_limit_the_job_fails; fi
    # And with room for both, both are skipped.
    d=$WORK/limit2
    mkdir -p "$d" && cd "$d" || return
    $TIMEOUT "$B/mrrun" --app "$LINEWC" --max-skipped-records 2 --workers 2 \
        --split-size 2M --output "$d" "$IN/two-bad.txt" \
        >/dev/null 2>"$WORK/limit2.err"
    rc=$?
    problem=$(same_output "$d" "$WORK/two-bad.want")
    if [ $rc -ne 0 ]; then fail within_the_limit_both_are_skipped "mrrun exit $rc: $(tail -n 1 "$WORK/limit2.err")"
    elif [ -n "$problem" ]; then fail within_the_limit_both_are_skipped "$problem"
    elif [ "$(grep -b '^CRASH!' "$IN/two-bad.txt" | cut -d: -f1 | tr '\n' ' ')" != \
           "$(python3 -c 'import json, sys
print(" ".join(str(r["offset"]) for r in sorted(json.load(open(sys.argv[1]))["skipped_records"], key=lambda r: r["offset"])), end=" ")' "$d/mr-success")" ]; then
        fail within_the_limit_both_are_skipped "marker: $(grep -A3 skipped_records "$d/mr-success")"
    else pass within_the_limit_both_are_skipped; fi
}

# The lab's way: mrcoordinator --skip-bad-records, and mrworkers started
# one after another as they die, until the job is over.
check_coordinator() {
    local d=$WORK/coord rc n=0 crashed=0 problem
    mkdir -p "$d" && cd "$d" || return
    start_coordinator "$d" "$WORK/coord.log" --addr "unix:$WORK/coord.s" \
        --skip-bad-records --reduce 2 --split-size 2M --output "$d" \
        "$IN/one-bad.txt" || { fail coordinator_setup "no coordinator"; return; }
    while kill -0 "$CPID" 2>/dev/null && [ $n -lt 10 ]; do
        n=$((n + 1))
        "$B/mrworker" --addr "unix:$WORK/coord.s" --connect-timeout 1 \
            --reconnect 0 "$LINEWC" 2>>"$WORK/coord-workers.err"
        [ $? -eq 139 ] && crashed=$((crashed + 1))  # 128 + SIGSEGV
    done
    wait "$TPID"
    rc=$?
    problem=$(same_output "$d" "$WORK/one-bad.want")
    if [ $rc -ne 0 ]; then fail coordinator_skips_the_bad_line "exit $rc: $(tail -n 1 "$WORK/coord.log")"
    elif [ $crashed -ne 2 ]; then fail coordinator_skips_the_bad_line "$crashed workers died of SIGSEGV, wanted 2"
    elif [ -n "$problem" ]; then fail coordinator_skips_the_bad_line "$problem"
    else pass coordinator_skips_the_bad_line; fi
    problem=$(json_problems "$d/mr-success" "$ONE_SKIPPED" "$IN/one-bad.txt" \
        "$BAD_OFFSET" "$BAD_HEAD")
    if [ -n "$problem" ]; then fail coordinator_marker_lists_the_record "$problem"
    else pass coordinator_marker_lists_the_record; fi
}

# skipped_in_journal DIR: the journal of the job in DIR has a Skipped
# record.
skipped_in_journal() {
    local j
    j=$(first_match "$1/.mr-*/mr-journal") &&
        python3 "$TESTS/support/journal.py" frames "$j" | grep -q " skipped$"
}

# A coordinator killed once the bad line is skipped, and started again:
# the job it resumes skips the line from its journal, and no worker dies
# of it again.
check_resume() {
    local d=$WORK/resume rc n=0 crashed=0 problem
    local args=(--addr "unix:$WORK/resume.s" --skip-bad-records --reduce 2
                --split-size 2M --output "$d" "$IN/one-bad.txt")
    mkdir -p "$d" && cd "$d" || return
    start_coordinator "$d" "$WORK/resume-1.log" "${args[@]}" ||
        { fail resume_setup "no coordinator"; return; }
    while [ $n -lt 2 ]; do
        n=$((n + 1))
        "$B/mrworker" --addr "unix:$WORK/resume.s" --connect-timeout 1 \
            --reconnect 0 "$LINEWC" 2>>"$WORK/resume-workers.err"
        [ $? -eq 139 ] || { fail resume_setup "worker $n did not die of SIGSEGV"; return; }
    done
    if ! wait_for 10 skipped_in_journal "$d"; then
        fail resume_keeps_the_skip "no Skipped record in the journal"
        return
    fi
    # While the job waits for workers, its status lists the record.
    "$B/mrstatus" --addr "unix:$WORK/resume.s" > "$WORK/resume.status" 2>&1
    "$B/mrstatus" --addr "unix:$WORK/resume.s" --json > "$WORK/resume.json" 2>&1
    problem=$(json_problems "$WORK/resume.json" '
want = [{"input": args[0], "offset": int(args[1]), "head": args[2]}]
if d.get("skipped_records") != want: print("skipped_records %s, wanted %s" % (d.get("skipped_records"), want))
' "$IN/one-bad.txt" "$BAD_OFFSET" "$BAD_HEAD")
    if [ -n "$problem" ]; then fail status_lists_the_record "$problem"
    elif ! grep -qxF "skipped    1 bad record:" "$WORK/resume.status" ||
         ! grep -qxF "  $IN/one-bad.txt offset $BAD_OFFSET: \"$BAD_HEAD\"" \
              "$WORK/resume.status"; then
        fail status_lists_the_record "mrstatus: $(grep -A1 skipped "$WORK/resume.status")"
    else pass status_lists_the_record; fi
    kill -KILL "$CPID"
    wait "$TPID"
    start_coordinator "$d" "$WORK/resume-2.log" "${args[@]}" ||
        { fail resume_setup "no second coordinator"; return; }
    n=0
    while kill -0 "$CPID" 2>/dev/null && [ $n -lt 10 ]; do
        n=$((n + 1))
        "$B/mrworker" --addr "unix:$WORK/resume.s" --connect-timeout 1 \
            --reconnect 0 "$LINEWC" 2>>"$WORK/resume-workers.err"
        [ $? -eq 139 ] && crashed=$((crashed + 1))
    done
    wait "$TPID"
    rc=$?
    problem=$(same_output "$d" "$WORK/one-bad.want")
    if [ $rc -ne 0 ]; then fail resume_keeps_the_skip "exit $rc: $(tail -n 1 "$WORK/resume-2.log")"
    elif ! logged "$WORK/resume-2.log" "resumed from its journal"; then
        fail resume_keeps_the_skip "the job was not resumed: $(tail -n 2 "$WORK/resume-2.log")"
    elif [ $crashed -ne 0 ]; then fail resume_keeps_the_skip "$crashed workers died of SIGSEGV after the restart"
    elif [ -n "$problem" ]; then fail resume_keeps_the_skip "$problem"
    else
        problem=$(json_problems "$d/mr-success" "$ONE_SKIPPED" \
            "$IN/one-bad.txt" "$BAD_OFFSET" "$BAD_HEAD")
        if [ -n "$problem" ]; then fail resume_keeps_the_skip "$problem"
        else pass resume_keeps_the_skip; fi
    fi
}

# The line form with the built-in sum counts words as apps/wc.so does
# (ASCII text: a word is a run of letters for both), through mrsequential
# and mrrun.
check_lines_like_wc() {
    local d=$WORK/wc rc
    mkdir -p "$d" && cd "$d" || return
    awk 'BEGIN {
        split("The quick, brown fox; jumps over 42 lazy dogs. A-b c\r", w, " ")
        for (i = 0; i < 50000; i++) {
            s = ""
            for (k = 0; k < i % 7; k++) s = s w[(i * 7 + k * 3) % 11 + 1] " "
            print s
        }
        printf "no newline at the end"
    }' > "$IN/text.txt"
    reference "$B/apps/wc.so" "$WORK/wc.want" "$IN/text.txt" &&
        reference "$LINEWC" "$WORK/linewc.seq" "$IN/text.txt" ||
        { fail lines_sum_like_wc "mrsequential failed"; return; }
    $TIMEOUT "$B/mrrun" --app "$LINEWC" --split-size 64K --output "$d" \
        "$IN/text.txt" >/dev/null 2>"$WORK/wc.err"
    rc=$?
    sort "$d"/mr-out-* > "$WORK/linewc.run"
    if [ $rc -ne 0 ]; then fail lines_sum_like_wc "mrrun exit $rc: $(tail -n 1 "$WORK/wc.err")"
    elif ! [ -s "$WORK/wc.want" ]; then fail lines_sum_like_wc "wc counted nothing"
    elif ! cmp -s "$WORK/wc.want" "$WORK/linewc.seq"; then
        fail lines_sum_like_wc "mrsequential: $(diff "$WORK/wc.want" "$WORK/linewc.seq" | head -n 4 | tr '\n' ' ')"
    elif ! cmp -s "$WORK/wc.want" "$WORK/linewc.run"; then
        fail lines_sum_like_wc "mrrun: $(diff "$WORK/wc.want" "$WORK/linewc.run" | head -n 4 | tr '\n' ' ')"
    else pass lines_sum_like_wc; fi
}

ALL="mrrun without_flag limit coordinator resume lines_like_wc"
run_checks "$ALL" "$@"
