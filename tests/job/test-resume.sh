#!/usr/bin/env bash
# A coordinator killed (SIGKILL) in the middle of its job and started again
# with the same command resumes it from its journal (issue 11), with real
# processes: a job killed at a dozen points of its map and reduce phases,
# chosen by progress (how many map or reduce outputs exist), its two
# workers running on across each restart, finishes with mrsequential's
# output and never runs again a task its journal kept; a task finished
# while the coordinator was away is reported again and taken, and one
# reported after the job is over is answered as stale; a journal cut
# anywhere in its last record, or with a bit flipped in a middle record,
# resumes from its valid prefix; a damaged definition, or another job's
# journal, is refused with one line (exit 4) and nothing touched but the
# dead job's lock file, and --fresh discards it; the lab's form resumes
# too; SIGTERM leaves no journal. Checks that read or write the journal
# or the protocol themselves need python3 (tests/support/journal.py,
# late_report.py) and print "SKIP name: needs python3" without it.
# Prints one "PASS name", "FAIL name: why" or "SKIP name: why" line per
# check; exits 1 when a check failed.
#
# Usage: BUILD=build tests/job/test-resume.sh [CHECK...]
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-resumetest
SLOW=$B/tests/apps/slowreduce.so
FAULTY=$B/tests/apps/faulty.so
need "$SLOW" "$FAULTY"
JOURNAL=$(cd "$(dirname "$0")/../support" && pwd)/journal.py
PY=$(command -v python3)
# Attempts the n-th coordinator of a job hands out are numbered above
# (n - 1) * STRIDE (coordinator/coord_journal.c).
STRIDE=65536

# 16 inputs of 1 MB: a map takes some 80 ms, so that kills land between
# maps; the reduces of slowreduce (MR_TEST_REDUCE_DELAY_US) take longer.
make_inputs --size 1000000 $(seq -f 's%02g.txt' 1 16)
# Small inputs for the faulty app, whose maps sleep FAULTY_MAP_MS: it
# counts each input's name once.
for i in $(seq 1 12); do echo "input $i" > "$IN/d$i.txt"; done

reference "$SLOW" "$WORK/want-slow" "$IN"/s*.txt &&
    reference "$FAULTY" "$WORK/want-faulty" "$IN"/d*.txt &&
    reference "$FAULTY" "$WORK/want-faulty3" "$IN"/d[123].txt ||
    { fail setup "mrsequential failed"; exit 1; }

# ---------------------------------------------------------------- helpers

# outputs DIR KIND: how many tasks have an output named KIND-TASK-ATTEMPT
# (KIND: mr-im, mr-staged) in the private directory of the job in DIR.
outputs() {
    local f t
    local -A seen=()
    for f in "$1"/.mr-*/"$2"-*; do
        [ -e "$f" ] || continue
        t=${f##*/"$2"-}
        seen[${t%%-*}]=1
    done
    echo ${#seen[@]}
}

# at_least DIR KIND K: at least K tasks have a KIND output in DIR's job.
at_least() { [ "$(outputs "$1" "$2")" -ge "$3" ]; }

# journal_of DIR: the journal of the (dead) job in DIR.
journal_of() { first_match "$1/.mr-*/mr-journal"; }

# state DIR: every name under DIR, hidden ones too, with its type, size and
# mode, and the checksum of every regular file: what a user would compare.
state() {
    (cd "$1" && find . -printf '%y %p %s %m\n' | sort &&
        find . -type f -exec md5sum {} + | sort)
}

# What the log of a coordinator (MR_LOG=debug) says about the tasks of
# KIND (map, reduce). kept LOG KIND: the tasks it took from its journal,
# one a line (they turn DONE before it says it resumed); handed LOG KIND:
# "TASK ATTEMPT" per task handed out; late LOG KIND: the tasks whose late
# report it took.
kept() {
    sed -n -e "/resumed from its journal/q" \
        -e "s/.*debug: $2 task \([0-9]*\): IDLE -> DONE$/\1/p" "$1" | sort -n
}
handed() {
    sed -n "s/.*debug: $2 task \([0-9]*\) attempt \([0-9]*\) -> connection.*/\1 \2/p" "$1"
}
late() {
    sed -n "s/.*info: $2 task \([0-9]*\): took the report of attempt.*/\1/p" "$1"
}

# resumed_counts LOG: "X Y Z" from the line "... X of M map and Y of R
# reduce tasks were done and are kept; Z finished before had lost ...".
resumed_counts() {
    sed -n 's/.*resumed from its journal (coordinator [0-9]*): \([0-9]*\) of [0-9]* map and \([0-9]*\) of [0-9]* reduce tasks were done and are kept; \([0-9]*\) finished before.*/\1 \2 \3/p' "$1" | head -n 1
}

# words: what it reads, on one line, words separated by one space.
# shellcheck disable=SC2046
words() { (set -f; echo $(cat)); }

# generation LOG G [DONE]: the G-th coordinator of a job (G >= 2), whose
# MR_LOG=debug log is LOG, resumed it: it says so, naming itself; the
# tasks it says it kept are as many as its line counts and, when DONE (the
# output of journal.py done on the journal it found) is given, exactly the
# tasks that journal holds as done; it hands out none of them again, and
# every attempt it hands out is numbered in its own range. Prints what is
# wrong, or nothing.
generation() {
    local log=$1 g=$2 done=${3:-} x y lost kind t a n
    local lo=$(( (g - 1) * STRIDE )) hi=$(( g * STRIDE ))
    if ! grep -q "resumed from its journal (coordinator $g)" "$log"; then
        echo "coordinator $g did not say it resumed: $(grep -m1 -e 'info: job' -e 'warn' "$log")"
        return
    fi
    read -r x y lost <<< "$(resumed_counts "$log")"
    for kind in map reduce; do
        n=$(kept "$log" $kind | wc -l)
        if [ "$kind" = map ] && [ "$n" -ne "$x" ]; then
            echo "it counts $x maps kept but took $n from its journal"
        elif [ "$kind" = reduce ] && [ "$n" -ne "$y" ]; then
            echo "it counts $y reduces kept but took $n from its journal"
        elif [ -n "$done" ] && [ "$(kept "$log" $kind | words)" != \
                "$(sed -n "s/^$kind //p" "$done" | words)" ]; then
            echo "it kept the ${kind}s $(kept "$log" $kind | words)," \
                 "its journal holds $(sed -n "s/^$kind //p" "$done" | words)"
        fi
        while read -r t a; do
            if kept "$log" $kind | grep -qx "$t"; then
                echo "$kind task $t, kept from the journal, was handed out again (attempt $a)"
            elif [ "$a" -le $lo ] || [ "$a" -gt $hi ]; then
                echo "$kind task $t was handed out as attempt $a, outside ($lo, $hi]"
            fi
        done < <(handed "$log" $kind)
    done
    [ "$lost" = 0 ] || echo "$lost tasks had lost their outputs"
}

# finished DIR RC LOG NREDUCE WANT: the job in DIR ended well: its
# coordinator exited 0 (RC) without a word of a crash in LOG, DIR holds
# mr-out-0 .. mr-out-<NREDUCE-1> and mr-success and nothing else (no
# private directory, no lock), and the outputs, sorted, are WANT. Prints
# what is wrong, or nothing.
finished() {
    local dir=$1 rc=$2 log=$3 nreduce=$4 want=$5 files
    files="$(seq -f 'mr-out-%g' 0 $((nreduce - 1)) | words) mr-success"
    if [ "$rc" -ne 0 ]; then
        echo "the coordinator exited $rc: $(tail -n 1 "$log")"
    elif grep -q -e 'Assertion' -e 'Sanitizer' -e 'runtime error' "$log"; then
        echo "the coordinator says: $(grep -m1 -e 'Assertion' -e 'Sanitizer' -e 'runtime error' "$log")"
    elif [ "$(ls -A "$dir" | words)" != "$files" ]; then
        echo "files: $(ls -A "$dir" | words)"
    elif ! sort "$dir"/mr-out-* | cmp -s - "$want"; then
        echo "the output differs from mrsequential's"
    fi
}

# start_workers N DIR ADDR APP: N workers in DIR (in the background, with
# the caller's environment), their stderr in DIR.worker-I.log; WORKERS
# holds their pids.
start_workers() {
    local i
    WORKERS=()
    for i in $(seq 1 "$1"); do
        (cd "$2" && exec $TIMEOUT "$B/mrworker" --addr "$3" "$4" \
            2>"$2.worker-$i.log") &
        WORKERS+=($!)
    done
}

# wait_workers: waits for WORKERS; WORKERS_WHY says which exit statuses
# were not 0 (empty when none). Not in a subshell: they are this shell's.
wait_workers() {
    local p rc
    WORKERS_WHY=
    for p in "${WORKERS[@]}"; do
        wait "$p"; rc=$?
        [ $rc -eq 0 ] || WORKERS_WHY="$WORKERS_WHY $rc"
    done
    [ -z "$WORKERS_WHY" ] || WORKERS_WHY="workers exited$WORKERS_WHY; "
}

# run_job DIR LOG ARGS...: a coordinator for DIR (--output DIR, on a socket
# of its own) with ARGS, and two fresh workers with the faulty app, to the
# end; RC is the coordinator's exit status, WHY what went wrong besides.
run_job() {
    local dir=$1 log=$2 addr=unix:$1.s
    shift 2
    WHY=
    MR_LOG=debug start_coordinator "$dir" "$log" --addr "$addr" \
        --output "$dir" "$@" || { RC=1; WHY="no coordinator"; return; }
    start_workers 2 "$dir" "$addr" "$FAULTY"
    wait "$TPID"; RC=$?
    wait_workers
    WHY=$WORKERS_WHY
}

# ---------------------------------------------------------------- 1

# One job of 16 maps and 6 reduces, killed at 12 points: after 2, 4, ...
# 16 maps have an output, then after 1 to 4 reduces have one; each time
# the coordinator is started again with the same command, and the two
# workers, which run on, join it again. Each resumed coordinator keeps
# what its journal holds (python3) and at least every output that existed
# before the kill but the one per worker not yet reported (a worker asks
# for more only once its report is answered, which waits for the journal),
# every map once a reduce has an output; the job ends with mrsequential's
# output.
POINTS="mr-im:2 mr-im:4 mr-im:6 mr-im:8 mr-im:10 mr-im:12 mr-im:14 mr-im:16
mr-staged:1 mr-staged:2 mr-staged:3 mr-staged:4"

check_kill_points() {
    local d=$WORK/points job=$WORK/points/job addr=unix:$WORK/points.s
    local g=1 point kind k rc why x y lost i late_n name
    local -a cmd seen_maps seen_reduces
    mkdir -p "$job"
    cmd=(--addr "$addr" --output "$job" --reduce 6 "$IN"/s*.txt)
    MR_LOG=debug start_coordinator "$job" "$d/coord-1.log" "${cmd[@]}" ||
        { fail kill_points "no coordinator"; return; }
    MR_LOG=info MR_TEST_REDUCE_DELAY_US=10 start_workers 2 "$job" "$addr" \
        "$SLOW"
    for point in $POINTS; do
        kind=${point%:*} k=${point#*:}
        if ! wait_for 40 at_least "$job" "$kind" "$k"; then
            fail kill_points "never $k ${kind}-* outputs (coordinator $g): $(tail -n 1 "$d/coord-$g.log")"
            break
        fi
        seen_maps[g]=$(outputs "$job" mr-im)
        seen_reduces[g]=$(outputs "$job" mr-staged)
        kill -KILL "$CPID"
        wait "$TPID"
        if [ -e "$job/mr-success" ]; then
            fail kill_points "the job was over before kill $g"
            break
        fi
        if [ -n "$PY" ]; then
            "$PY" "$JOURNAL" "done" "$(journal_of "$job")" > "$d/done-$g" ||
                { fail kill_points "journal.py failed"; break; }
        fi
        g=$((g + 1))
        MR_LOG=debug start_coordinator "$job" "$d/coord-$g.log" \
            "${cmd[@]}" || { fail kill_points "no coordinator $g"; break; }
    done
    wait "$TPID"; rc=$?
    wait_workers
    why=$WORKERS_WHY
    why=$why$(finished "$job" $rc "$d/coord-$g.log" 6 "$WORK/want-slow")
    if [ -n "$why" ]; then fail resumed_job_finishes "$why"
    else pass resumed_job_finishes; fi

    for ((i = 2; i <= g; i++)); do
        point=$(echo $POINTS | cut -d' ' -f$((i - 1)))
        kind=${point%:*} k=${point#*:}
        read -r x y lost <<< "$(resumed_counts "$d/coord-$i.log")"
        late_n=$(late "$d/coord-$i.log" map | wc -l)
        late_n=$((late_n + $(late "$d/coord-$i.log" reduce | wc -l)))
        echo "  kill $((i - 1)) (at >= $k $kind, saw ${seen_maps[i-1]} maps" \
             "and ${seen_reduces[i-1]} reduces done): coordinator $i kept" \
             "${x:-?} of 16 maps and ${y:-?} of 6 reduces, took $late_n" \
             "late reports, handed out $(handed "$d/coord-$i.log" map |
             wc -l) maps and $(handed "$d/coord-$i.log" reduce | wc -l)" \
             "reduces"
        why=$(generation "$d/coord-$i.log" $i \
            "$([ -n "$PY" ] && echo "$d/done-$((i - 1))")" | words)
        if [ -z "$why" ] && [ "${x:-0}" -lt $((seen_maps[i-1] - 2)) ]; then
            why="$x maps kept, but ${seen_maps[i-1]} had an output before the kill"
        elif [ -z "$why" ] && [ "${seen_reduces[i-1]}" -gt 0 ] &&
             [ "$x" -ne 16 ]; then
            why="a reduce had run, but only $x maps were kept"
        elif [ -z "$why" ] && [ "${y:-0}" -lt $((seen_reduces[i-1] - 2)) ]; then
            why="$y reduces kept, but ${seen_reduces[i-1]} had an output before the kill"
        fi
        name=$(printf 'kill_%02d_after_%s_%s' $((i - 1)) "$k" "${kind#mr-}")
        if [ -n "$why" ]; then fail "$name" "$why"
        else pass "$name"; fi
    done
    [ -n "$PY" ] || skip kill_points_against_journal "needs python3"
}

# ---------------------------------------------------------------- 2

# A map finished while its coordinator was away is reported once the
# worker has joined the restarted one, which takes it: the only worker is
# in the middle of map 1 (its maps sleep 800 ms) when the coordinator is
# killed; the new one keeps map 0 (its report was answered, so synced,
# before map 1 was handed out), takes map 1's late report, and hands out
# map 2 only.
check_late_report() {
    local d=$WORK/late addr=unix:$WORK/late.s rc why
    local -a cmd
    mkdir -p "$d"
    cmd=(--addr "$addr" --output "$d" --reduce 2 "$IN"/d[123].txt)
    MR_LOG=debug start_coordinator "$d" "$d.coord-1.log" "${cmd[@]}" ||
        { fail late_report_taken "no coordinator"; return; }
    FAULTY_MAP_MS=800 MR_LOG=info start_workers 1 "$d" "$addr" "$FAULTY"
    wait_for 20 logged "$d.coord-1.log" "map task 1 attempt 1 -> connection" ||
        { fail late_report_taken "map 1 was never handed out"; return; }
    kill -KILL "$CPID"
    wait "$TPID"
    MR_LOG=debug start_coordinator "$d" "$d.coord-2.log" "${cmd[@]}" ||
        { fail late_report_taken "no second coordinator"; return; }
    wait "$TPID"; rc=$?
    wait_workers
    why=$WORKERS_WHY
    why=$why$(finished "$d" $rc "$d.coord-2.log" 2 "$WORK/want-faulty3")
    [ -n "$why" ] || why=$(generation "$d.coord-2.log" 2 | words)
    if [ -n "$why" ]; then
        fail late_report_taken "$why"
    elif [ "$(kept "$d.coord-2.log" map | words)" != 0 ]; then
        fail late_report_taken "kept maps '$(kept "$d.coord-2.log" map | words)', wanted map 0 alone"
    elif [ "$(late "$d.coord-2.log" map | words)" != 1 ] ||
         ! logged "$d.coord-2.log" "map task 1: took the report of attempt 1, handed out before the coordinator restarted"; then
        fail late_report_taken "late reports taken: $(late "$d.coord-2.log" map | words)"
    elif [ "$(handed "$d.coord-2.log" map | words)" != "2 $((STRIDE + 1))" ]; then
        fail late_report_taken "maps handed out: $(handed "$d.coord-2.log" map | words)"
    elif ! logged "$d.worker-1.log" "map task 1 attempt 1 is done, but its report did not reach"; then
        fail late_report_taken "the worker did not say it reports again"
    else
        pass late_report_taken
    fi
}

# A late report that comes after the job is over, from a worker that had
# joined the restarted coordinator before the end (tests/support/
# late_report.py plays it): the job is committed, so the report is stale,
# and answered as such. The restarted coordinator dereferenced its job
# directory, gone with the commit, and died of SIGSEGV instead.
check_late_report_after_end() {
    local name=late_report_after_the_end d=$WORK/after addr=unix:$WORK/after.s
    local rc why w
    local -a cmd
    [ -n "$PY" ] || { skip $name "needs python3"; return; }
    mkdir -p "$d"
    cmd=(--addr "$addr" --output "$d" --reduce 1 "$IN"/d[123].txt)
    MR_LOG=debug start_coordinator "$d" "$d.coord-1.log" "${cmd[@]}" ||
        { fail $name "no coordinator"; return; }
    FAULTY_MAP_MS=1000 start_workers 1 "$d" "$addr" "$FAULTY"
    wait_for 20 logged "$d.coord-1.log" "map task 1 attempt 1 -> connection" ||
        { fail $name "map 1 was never handed out"; return; }
    kill -KILL "$CPID"
    wait "$TPID"
    for w in "${WORKERS[@]}"; do kill -KILL "$(pgrep -P "$w")"; done
    wait_workers
    MR_LOG=debug start_coordinator "$d" "$d.coord-2.log" "${cmd[@]}" ||
        { fail $name "no second coordinator"; return; }
    "$PY" "$(dirname "$JOURNAL")/late_report.py" "$WORK/after.s" \
        "$(journal_of "$d")" "$d" map 1 1 > "$d.late" 2>&1 &
    local late=$!
    wait_for 20 logged "$d.late" joined ||
        { fail $name "the late reporter did not join: $(cat "$d.late")"; return; }
    start_workers 1 "$d" "$addr" "$FAULTY"
    wait "$TPID"; rc=$?
    wait_workers
    wait "$late"
    why=$WORKERS_WHY$(finished "$d" $rc "$d.coord-2.log" 1 "$WORK/want-faulty3")
    if [ -n "$why" ]; then fail $name "$why"
    elif ! logged "$d.late" "^answered 0$"; then
        fail $name "the late report: $(cat "$d.late")"
    else pass $name; fi
}

# ---------------------------------------------------------------- 3

# The dead job the damage checks start from: 12 maps (the faulty app's,
# each sleeping 150 ms) and 3 reduces, killed once 5 maps have an output
# (so that its journal holds at least 3, all but one a worker's), its two
# workers killed too, kept in $WORK/dead, made once (each check runs in
# a subshell: $WORK/dead.id says it is made). Sets DEAD and DEAD_ID (its
# job's id).
dead_job() {
    local d=$WORK/dead addr=unix:$WORK/dead.s w id
    if [ -s "$d.id" ]; then
        DEAD=$d DEAD_ID=$(cat "$d.id")
        return 0
    fi
    rm -rf "$d" && mkdir -p "$d"
    MR_LOG=info start_coordinator "$d" "$d.log" --addr "$addr" --output "$d" \
        --reduce 3 "$IN"/d*.txt || return 1
    FAULTY_MAP_MS=150 start_workers 2 "$d" "$addr" "$FAULTY"
    wait_for 20 at_least "$d" mr-im 5 || return 1
    kill -KILL "$CPID"
    wait "$TPID"
    for w in "${WORKERS[@]}"; do kill -KILL "$(pgrep -P "$w")"; done
    wait_workers
    id=$(sed -n 's/.*info: job \([0-9a-f]*\) runs in.*/\1/p' "$d.log")
    [ -n "$id" ] && [ -d "$d/.mr-$id" ] && [ -n "$(journal_of "$d")" ] ||
        return 1
    echo "$id" > "$d.id"
    DEAD=$d DEAD_ID=$id
}

# copy_dead NAME: a fresh copy of the dead job's directory, $WORK/NAME.
copy_dead() {
    rm -rf "${WORK:?}/$1" "$WORK/$1".* && cp -a "$DEAD" "$WORK/$1"
}

# frames: journal.py frames on the dead job's journal.
frames() { "$PY" "$JOURNAL" frames "$(journal_of "$DEAD")"; }

# The journal cut at every byte of its last record (a MapDone): each copy
# resumes with the records before it, says the journal ends with a torn
# record there (but for the cut at the record's first byte, which leaves a
# whole journal), and finishes with the right output.
check_cut_journal() {
    local name=journal_cut_in_last_record off last end nmd why bad="" n=0
    local torn x
    [ -n "$PY" ] || { skip $name "needs python3"; return; }
    dead_job || { fail $name "could not kill a job after 5 maps"; return; }
    frames > "$WORK/frames"
    last=$(grep -v '^end' "$WORK/frames" | tail -n 1)
    end=$(sed -n 's/^end \([0-9]*\) whole$/\1/p' "$WORK/frames")
    nmd=$(grep -c ' map_done$' "$WORK/frames")
    if [ -z "$end" ] || [ "${last##* }" != map_done ] || [ "$nmd" -lt 3 ]; then
        fail $name "the dead job's journal: $(words < "$WORK/frames")"
        return
    fi
    for ((off = ${last%% *}; off < end; off++)); do
        copy_dead cut
        truncate -s "$off" "$(journal_of "$WORK/cut")"
        run_job "$WORK/cut" "$WORK/cut.log" --reduce 3 "$IN"/d*.txt
        why=$WHY$(finished "$WORK/cut" $RC "$WORK/cut.log" 3 "$WORK/want-faulty")
        [ -n "$why" ] || why=$(generation "$WORK/cut.log" 2 | words)
        read -r x _ _ <<< "$(resumed_counts "$WORK/cut.log")"
        torn="the journal ends with a torn record at byte ${last%% *}:"
        if [ -z "$why" ] && [ "$x" -ne $((nmd - 1)) ]; then
            why="kept $x maps, wanted $((nmd - 1))"
        elif [ -z "$why" ] && [ "$off" -gt "${last%% *}" ] &&
             ! logged "$WORK/cut.log" "$torn"; then
            why="it did not say '$torn'"
        elif [ -z "$why" ] && [ "$off" -eq "${last%% *}" ] &&
             logged "$WORK/cut.log" "the journal ends with"; then
            why="a whole journal taken for a damaged one"
        fi
        [ -z "$why" ] || bad="$bad; cut at byte $off: $why"
        n=$((n + 1))
    done
    echo "  (cut at $n offsets, bytes ${last%% *} to $((end - 1)) of $end)"
    if [ -n "$bad" ]; then fail $name "${bad#; }"; else pass $name; fi
}

# A bit flipped in the middle of the journal, in the payload of a MapDone
# that has others before and after it: the coordinator resumes from the
# records before it, saying the journal ends with a record that fails its
# checksum there, and the job finishes right.
check_flip_middle() {
    local name=journal_bit_flipped_in_middle_record rec off why x nbefore nmd
    [ -n "$PY" ] || { skip $name "needs python3"; return; }
    dead_job || { fail $name "could not kill a job after 5 maps"; return; }
    frames > "$WORK/frames"
    nmd=$(grep -c ' map_done$' "$WORK/frames")
    if [ "$nmd" -lt 3 ]; then
        fail $name "the dead job's journal: $(words < "$WORK/frames")"
        return
    fi
    nbefore=$((nmd / 2))
    rec=$(grep ' map_done$' "$WORK/frames" | sed -n "$((nbefore + 1))p")
    off=${rec%% *}
    copy_dead flip
    "$PY" "$JOURNAL" flip "$(journal_of "$WORK/flip")" $((off + 10)) 2
    run_job "$WORK/flip" "$WORK/flip.log" --reduce 3 "$IN"/d*.txt
    why=$WHY$(finished "$WORK/flip" $RC "$WORK/flip.log" 3 "$WORK/want-faulty")
    [ -n "$why" ] || why=$(generation "$WORK/flip.log" 2 | words)
    read -r x _ _ <<< "$(resumed_counts "$WORK/flip.log")"
    if [ -n "$why" ]; then fail $name "$why"
    elif ! logged "$WORK/flip.log" "the journal ends with a record that fails its checksum at byte $off: resumed from the $off bytes before it"; then
        fail $name "it did not say where the journal fails: $(grep -m1 warn "$WORK/flip.log")"
    elif [ "$x" -ne "$nbefore" ]; then
        fail $name "kept $x maps, wanted the $nbefore before the flipped record"
    else pass $name; fi
}

# expect_refusal NAME DIR PATTERN ARGS...: a coordinator for the job in DIR
# (--output DIR) with ARGS exits 4 with one line on stderr matching
# PATTERN, and leaves DIR as it was, but for the dead job's lock file,
# .mr-lock: the refused coordinator took the lock and removes the file as
# it goes (jobdir_open's way out), though jobdir.h says a claim's refusal
# touches nothing. Nothing in the lock matters once its holder is dead.
expect_refusal() {
    local name=$1 dir=$2 pattern=$3 rc msg
    shift 3
    state "$dir" | grep -v '\./\.mr-lock\( \|$\)' > "$dir.state"
    $TIMEOUT "$B/mrcoordinator" --addr "unix:$dir.s" --output "$dir" "$@" \
        2>"$dir.err"
    rc=$?
    msg=$(head -c 400 "$dir.err")
    if [ $rc -ne 4 ]; then fail "$name" "exit status $rc, wanted 4: $msg"
    elif [ "$(wc -l < "$dir.err")" -ne 1 ]; then
        fail "$name" "$(wc -l < "$dir.err") lines on stderr: $msg"
    elif ! grep -q -- "$pattern" "$dir.err"; then
        fail "$name" "'$msg' lacks '$pattern'"
    elif ! state "$dir" | grep -v '\./\.mr-lock\( \|$\)' |
            cmp -s - "$dir.state"; then
        fail "$name" "the directory changed: $(state "$dir" |
            grep -v '\./\.mr-lock\( \|$\)' | diff - "$dir.state" |
            grep '^[<>]' | words)"
    else pass "$name"; fi
}

# fresh_run NAME DIR NREDUCE ARGS...: the job of ARGS run with --fresh in
# DIR to the end discards the dead job's files, saying so, and ends well.
fresh_run() {
    local name=$1 dir=$2 nreduce=$3 why
    shift 3
    run_job "$dir" "$dir.log" --fresh --reduce "$nreduce" "$@"
    why=$WHY$(finished "$dir" $RC "$dir.log" "$nreduce" "$WORK/want-faulty")
    if [ -n "$why" ]; then fail "$name" "$why"
    elif logged "$dir.log" "resumed from its journal"; then
        fail "$name" "it resumed"
    elif ! logged "$dir.log" "removed the files of job $DEAD_ID"; then
        fail "$name" "it did not say it removed job $DEAD_ID's files"
    else pass "$name"; fi
}

# A bit flipped in the journal's first record, the job's definition: the
# coordinator cannot tell which job it was, refuses with one line naming
# --fresh and touches nothing; with --fresh the job runs from scratch.
check_flip_definition() {
    local name=journal_bad_definition_refused
    [ -n "$PY" ] || { skip $name "needs python3"
                      skip journal_bad_definition_fresh "needs python3"
                      return; }
    dead_job || { fail $name "could not kill a job after 5 maps"; return; }
    copy_dead def
    "$PY" "$JOURNAL" flip "$(journal_of "$WORK/def")" 20 5
    expect_refusal $name "$WORK/def" \
        "job $DEAD_ID, killed before it finished, left its files here and its journal cannot be read (a record that fails its checksum at byte 8): give --fresh to discard them" \
        --reduce 3 "$IN"/d*.txt
    fresh_run journal_bad_definition_fresh "$WORK/def" 3 "$IN"/d*.txt
}

# Another job in the directory of a dead one: refused with one line naming
# the difference, nothing touched, whether it has another --reduce, other
# inputs, small inputs packed (--min-split-size), or an input changed
# since; the dead job then still resumes there.
# With --fresh the other job runs, and the dead job's private directory
# goes.
check_other_job() {
    local f=$IN/d8.txt why
    dead_job || { fail other_job_refused "could not kill a job after 5 maps"
                  return; }
    local -a fewer=("$IN"/d*.txt)
    copy_dead other
    expect_refusal other_reduce_count_refused "$WORK/other" \
        "job $DEAD_ID, killed before it finished, left its files here and is not this job (it had 3 reduce tasks, this job 4): run that job again to resume it, or give --fresh to discard its files" \
        --reduce 4 "$IN"/d*.txt
    expect_refusal other_packing_refused "$WORK/other" \
        "and is not this job (it did not pack small inputs (--min-split-size)): run that job again to resume it, or give --fresh" \
        --reduce 3 --min-split-size 1M "$IN"/d*.txt
    expect_refusal other_inputs_refused "$WORK/other" \
        "and is not this job (it had 12 inputs, this job 11): run that job again to resume it, or give --fresh" \
        --reduce 3 "${fewer[@]:1}"
    touch -r "$f" "$WORK/mtime"
    touch -d '2001-01-01' "$f"
    expect_refusal changed_input_refused "$WORK/other" \
        "and is not this job (its input $f has changed since): run that job again to resume it, or give --fresh" \
        --reduce 3 "$IN"/d*.txt
    touch -r "$WORK/mtime" "$f"
    run_job "$WORK/other" "$WORK/other.log" --reduce 3 "$IN"/d*.txt
    why=$WHY$(finished "$WORK/other" $RC "$WORK/other.log" 3 "$WORK/want-faulty")
    [ -n "$why" ] || why=$(generation "$WORK/other.log" 2 | words)
    if [ -n "$why" ]; then fail dead_job_resumes_after_refusals "$why"
    else pass dead_job_resumes_after_refusals; fi
    copy_dead other-fresh
    fresh_run other_job_fresh "$WORK/other-fresh" 4 "$IN"/d*.txt
}

# ---------------------------------------------------------------- 4

# The lab's form: mrcoordinator SOCKET FILE... and mrworker APP SOCKET,
# all in the job's directory, the inputs named from there; killed once 6
# maps have an output and started again the same way, the coordinator
# takes the directory, and resumes, when a worker joins it again.
check_lab_form() {
    local name=lab_form_resumes d=$WORK/lab sock=$WORK/lab.sock f rc why x
    local seen
    local -a files=()
    mkdir -p "$d"
    for f in "$IN"/s*.txt; do files+=("../input/${f##*/}"); done
    MR_LOG=debug start_coordinator "$d" "$d.coord-1.log" "$sock" \
        "${files[@]}" || { fail $name "no coordinator"; return; }
    WORKERS=()
    for f in 1 2; do
        (cd "$d" && MR_LOG=info exec $TIMEOUT "$B/mrworker" "$SLOW" "$sock" \
            2>"$d.worker-$f.log") &
        WORKERS+=($!)
    done
    wait_for 30 at_least "$d" mr-im 6 ||
        { fail $name "never 6 map outputs"; return; }
    seen=$(outputs "$d" mr-im)
    kill -KILL "$CPID"
    wait "$TPID"
    MR_LOG=debug start_coordinator "$d" "$d.coord-2.log" "$sock" \
        "${files[@]}" || { fail $name "no second coordinator"; return; }
    wait "$TPID"; rc=$?
    wait_workers
    why=$WORKERS_WHY
    why=$why$(finished "$d" $rc "$d.coord-2.log" 10 "$WORK/want-slow")
    [ -n "$why" ] || why=$(generation "$d.coord-2.log" 2 | words)
    read -r x _ _ <<< "$(resumed_counts "$d.coord-2.log")"
    echo "  (saw $seen map outputs before the kill; $x maps kept)"
    if [ -n "$why" ]; then fail $name "$why"
    elif [ "$x" -lt $((seen - 2)) ]; then
        fail $name "$x maps kept, but $seen had an output before the kill"
    else pass $name; fi
}

# ---------------------------------------------------------------- 5

# A coordinator stopped by SIGTERM aborts its job and leaves no journal:
# started again, it runs the job from scratch.
check_sigterm() {
    local name=sigterm_leaves_no_journal d=$WORK/term addr=unix:$WORK/term.s
    local rc why first
    local -a cmd
    mkdir -p "$d"
    cmd=(--addr "$addr" --output "$d" --reduce 3 "$IN"/d*.txt)
    MR_LOG=debug start_coordinator "$d" "$d.coord-1.log" "${cmd[@]}" ||
        { fail $name "no coordinator"; return; }
    FAULTY_MAP_MS=150 start_workers 2 "$d" "$addr" "$FAULTY"
    wait_for 20 at_least "$d" mr-im 2 || { fail $name "no map output"; return; }
    kill -TERM "$CPID"
    wait "$TPID"; rc=$?
    wait_workers
    first=$(sed -n 's/.*info: job \([0-9a-f]*\) runs in.*/\1/p' "$d.coord-1.log")
    if [ $rc -ne 143 ]; then
        fail $name "the coordinator exited $rc, wanted 143"; return
    elif [ -n "$(ls -A "$d")" ]; then
        fail $name "left: $(ls -A "$d" | words)"; return
    fi
    run_job "$d" "$d.coord-2.log" --reduce 3 "$IN"/d*.txt
    why=$WHY$(finished "$d" $RC "$d.coord-2.log" 3 "$WORK/want-faulty")
    if [ -n "$why" ]; then fail $name "$why"
    elif logged "$d.coord-2.log" "resumed from its journal" ||
         logged "$d.coord-2.log" "info: job $first runs in"; then
        fail $name "the second coordinator took the first one's job"
    else pass $name; fi
}

# ---------------------------------------------------------------- 6

# A job that packs small inputs (--min-split-size 24: the 8-byte d*.txt
# three to a map task, 4 tasks), its coordinator and workers SIGKILLed once
# 2 maps have an output, started again the same way: it resumes, keeping
# the packing, and ends with mrsequential's output.
check_packed_resume() {
    local name=packed_job_resumes d=$WORK/packed addr=unix:$WORK/packed.s w
    local why=""
    mkdir -p "$d"
    MR_LOG=info start_coordinator "$d" "$d.log" --addr "$addr" --output "$d" \
        --reduce 3 --min-split-size 24 "$IN"/d*.txt ||
        { fail $name "no coordinator"; return; }
    FAULTY_MAP_MS=150 start_workers 2 "$d" "$addr" "$FAULTY"
    wait_for 20 at_least "$d" mr-im 2 || why="2 maps never had an output; "
    kill -KILL "$CPID"
    wait "$TPID"
    for w in "${WORKERS[@]}"; do kill -KILL "$(pgrep -P "$w")"; done
    wait_workers
    run_job "$d" "$d.again.log" --reduce 3 --min-split-size 24 "$IN"/d*.txt
    why=$why$WHY$(finished "$d" $RC "$d.again.log" 3 "$WORK/want-faulty")
    if [ -n "$why" ]; then fail $name "$why"
    elif ! logged "$d.again.log" "resumed from its journal"; then
        fail $name "it did not resume: $(head -n 3 "$d.again.log" | words)"
    elif ! grep -q '"map_tasks": 4,' "$d/mr-success"; then
        fail $name "$(grep -o '"map_tasks": [0-9]*' "$d/mr-success"), not 4"
    else pass $name; fi
}

ALL="kill_points late_report late_report_after_end cut_journal flip_middle flip_definition
other_job lab_form sigterm packed_resume"
run_checks "$ALL" "$@"
