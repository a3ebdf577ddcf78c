#!/usr/bin/env bash
# Record-aligned splits: a file many times the split size, with lines of
# 0 to 3000 bytes and one line longer than a split, is mapped by many tasks
# that each read whole lines, so a line-based app (linelen) and the word
# count give mrsequential's output. Prints one "PASS name" or "FAIL name:
# why" line per check.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-recordtest
TIMEOUT="timeout -k 2s 120s"
LINELEN=$B/tests/apps/linelen.so
LONGEST=200000                  # bytes in the one line longer than a split
need "$LINELEN"

# About 3 MB (48 splits of 64K): lines of 0 to 3000 bytes of words, many
# empty or short, and line 500 of $LONGEST bytes; the last line has no '\n'.
LC_ALL=C awk -v long=$LONGEST 'BEGIN {
    srand(5840)
    base = "lorem ipsum dolor sit amet consectetur adipiscing elit sed "
    while (length(base) < long + 4000)
        base = base base
    for (i = 0; total < 3000000; i++) {
        r = rand()
        if (i == 500) n = long
        else if (r < 0.1) n = 0
        else if (r < 0.5) n = int(rand() * 80)
        else n = int(rand() * rand() * 3001)
        printf "%s\n", substr(base, 1 + int(rand() * 3000), n)
        total += n + 1
    }
    printf "a last line without its end"
}' > "$WORK/lines.txt" || {
    fail setup "could not generate the input"; exit 1; }
IN=$WORK/lines.txt

# job NAME APP SPLIT_SIZE: runs the job on $IN in $WORK/NAME with a
# coordinator and two workers, and mrsequential in $WORK/NAME/ref; leaves
# the sorted outputs in got and want there. Returns non-zero, having said
# why, when a program failed.
job() {
    local name=$1 app=$2 size=$3 dir=$WORK/$1 pid rc
    mkdir -p "$dir/ref" "$dir/job"
    (cd "$dir/ref" && $TIMEOUT "$B/mrsequential" "$app" "$IN") ||
        { fail "$name" "mrsequential failed"; return 1; }
    sort "$dir/ref/mr-out-0" > "$dir/want"
    cd "$dir/job" || return 1
    MR_LOG=debug $TIMEOUT "$B/mrcoordinator" --addr "unix:$dir/s" \
        --split-size "$size" "$IN" 2> "$dir/coord.log" &
    pid=$!
    $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" "$app" 2> "$dir/w1.log" &
    $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" "$app" 2> "$dir/w2.log" &
    wait $pid; rc=$?
    wait
    cd "$WORK" || return 1
    if [ $rc -ne 0 ]; then
        fail "$name" "coordinator exited $rc: $(tail -n 1 "$dir/coord.log")"
        return 1
    fi
    sort "$dir"/job/mr-out-* > "$dir/got"
}

# The number of distinct map tasks the coordinator of job NAME handed out.
map_tasks() {
    grep -o 'map task [0-9]* attempt' "$WORK/$1/coord.log" | sort -u | wc -l
}

# The reference itself is right: linelen under mrsequential agrees with awk
# counting the same lines.
test_reference() {
    local name=linelen_reference_is_right dir=$WORK/awk
    mkdir -p "$dir" && cd "$dir" || return
    $TIMEOUT "$B/mrsequential" "$LINELEN" "$IN" ||
        { fail $name "mrsequential failed"; return; }
    LC_ALL=C awk '{ n[length($0)]++; if (length($0) > m) m = length($0) }
        END { for (l in n) print l, n[l]; print "longest", m }' "$IN" |
        sort > want
    if sort mr-out-0 | cmp -s - want; then
        pass $name
    else
        fail $name "linelen and awk disagree: $(sort mr-out-0 |
            diff - want | head -n 3 | tr '\n' ' ')"
    fi
    cd "$WORK" || return
}

test_lines() {
    local tasks
    job lines "$LINELEN" 64K || return
    tasks=$(map_tasks lines)
    if [ "$tasks" -lt 30 ]; then
        fail lines_whole_across_splits \
            "only $tasks map tasks for a 3 MB file in 64K splits"
    elif ! cmp -s "$WORK/lines/got" "$WORK/lines/want"; then
        fail lines_whole_across_splits "output differs from mrsequential: \
$(diff "$WORK/lines/got" "$WORK/lines/want" | head -n 4 | tr '\n' ' ')"
    else
        pass lines_whole_across_splits
    fi
    if grep -qx "longest $LONGEST" "$WORK/lines/got" &&
       grep -qx "$LONGEST 1" "$WORK/lines/got"; then
        pass longest_line_survives_split
    else
        fail longest_line_survives_split "output has \
'$(grep '^longest' "$WORK/lines/got")', wanted 'longest $LONGEST'"
    fi
}

# Words never span lines, so the word count is unchanged by line splits,
# even small ones.
test_wc() {
    local tasks
    job wc "$B/apps/wc.so" 4K || return
    tasks=$(map_tasks wc)
    if [ "$tasks" -lt 300 ]; then
        fail wc_with_line_splits \
            "only $tasks map tasks for a 3 MB file in 4K splits"
    elif ! cmp -s "$WORK/wc/got" "$WORK/wc/want"; then
        fail wc_with_line_splits "output differs from mrsequential"
    else
        pass wc_with_line_splits
    fi
}

test_reference
test_lines
test_wc
