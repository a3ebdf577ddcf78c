#!/usr/bin/env bash
# The inputs users have: a directory (the files in it), a file given twice,
# compressed files (gzip and zstd, read whole by one map task each).
set -u
. "$(dirname "$0")/lib.sh"

begin_suite inputs

# A directory as an input is the regular files in it, hidden names and
# subdirectories left out; a file given twice, or a directory with nothing
# to read, is refused with one line (exit 2) and nothing written.
check_directory() {
    local dir=$WORK/inputs bad="" out rc sock
    mkdir -p "$dir/in/sub" "$dir/empty" && cd "$dir" || return
    "$B/mrgen" --size 20K --seed 3 in/a.txt in/b.txt
    echo "hidden words" > in/.hidden; echo "success" > in/_SUCCESS
    echo "nested words" > in/sub/c.txt
    reference "$B/apps/wc.so" "$dir/want" "$dir/in/a.txt" "$dir/in/b.txt"
    sock=$dir/sock
    $TIMEOUT "$B/mrcoordinator" --addr "unix:$sock" in 2> coord.err &
    $TIMEOUT "$B/mrworker" --addr "unix:$sock" "$B/apps/wc.so"
    wait $!; rc=$?
    if [ $rc -ne 0 ]; then bad="$bad the directory's job exited $rc;"
    elif ! sort mr-out-* | cmp -s - want; then
        bad="$bad a directory's job differs from its files';"
    elif ! grep -q "leaving out sub (a directory" coord.err; then
        bad="$bad no line about the subdirectory left out;"
    fi
    rm -f mr-out-* mr-success
    for args in "in/a.txt ./in/a.txt" "in in/b.txt" "empty"; do
        # shellcheck disable=SC2086
        $TIMEOUT "$B/mrcoordinator" --addr "unix:$sock" $args 2> said; rc=$?
        out=$(grep -v ': warn: input directory' said); rm -f said
        if [ $rc -ne 2 ] || [ "$(echo "$out" | wc -l)" -ne 1 ] ||
                ! echo "$out" | grep -q -e "given twice" -e "holds no file"; then
            bad="$bad '$args': exit $rc, said: $out;"
        fi
    done
    if ls -A | grep -qv -e '^in$' -e '^empty$' -e '^want$' -e '^coord.err$'; then
        bad="$bad left files: $(ls -A | tr '\n' ' ')"
    fi
    if [ -n "$bad" ]; then fail directory "$bad"; else pass directory; fi
}

# gzip and zstd inputs are read decompressed, one map task each however
# small the split size, through mrrun and mrsequential; a corrupt one fails
# the job naming it.
check_compressed() {
    local dir=$WORK/compressed bad="" out rc
    mkdir -p "$dir" && cd "$dir" || return
    "$B/mrgen" --size 300K --seed 5 a.txt b.txt c.txt
    reference "$B/apps/wc.so" "$dir/want" "$dir/a.txt" "$dir/b.txt" \
        "$dir/c.txt"
    gzip -k b.txt
    if command -v zstd >/dev/null; then zstd -q c.txt -o c.txt.zst
    else bad="$bad zstd missing;"; fi
    mkdir run seq
    (cd run && $TIMEOUT "$B/mrrun" --split-size 64K --reduce 3 ../a.txt \
        ../b.txt.gz ../c.txt.zst > out.txt 2>&1); rc=$?
    if [ $rc -ne 0 ]; then bad="$bad mrrun exited $rc: $(tail -n 2 run/out.txt);"
    elif ! sort run/mr-out-* | cmp -s - want; then
        bad="$bad mrrun's output differs from the plain files';"
    elif ! python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
# a.txt cut at 64K: 5 tasks; each compressed file: 1.
sys.exit(d["map_tasks"] != 7)' run/mr-success; then
        bad="$bad not 7 map tasks: $(grep -o '"map_tasks": [0-9]*' run/mr-success);"
    fi
    (cd seq && "$B/mrsequential" wc ../a.txt ../b.txt.gz ../c.txt.zst) &&
        sort seq/mr-out-0 | cmp -s - want ||
        bad="$bad mrsequential's output differs;"
    # A gzip file cut short.
    head -c 2000 b.txt.gz > cut.gz
    mkdir bad && cd bad || return
    out=$($TIMEOUT "$B/mrrun" ../a.txt ../cut.gz 2>&1); rc=$?
    cd ..
    if [ $rc -ne 1 ] || ! echo "$out" | grep -q "gzip input .*cut.gz is corrupt or truncated"; then
        bad="$bad a truncated gzip: exit $rc, said: $(echo "$out" | tail -n 3);"
    elif [ -n "$(ls -A bad | grep -v '^mr-failed$')" ]; then
        bad="$bad a failed job left: $(ls -A bad | tr '\n' ' ');"
    fi
    if [ -n "$bad" ]; then fail compressed "$bad"; else pass compressed; fi
}

# mrrun and mrsequential take inputs as the coordinator does: a file given
# twice is refused (exit 2, one line, nothing written), a directory is its
# files; an empty input says the output is empty.
check_same_rules() {
    local dir=$WORK/same bad="" p out rc
    mkdir -p "$dir/d" && cd "$dir" || return
    printf 'one two\ntwo\n' > d/x.txt
    for p in "mrrun" "mrsequential wc"; do
        # shellcheck disable=SC2086
        out=$($TIMEOUT "$B"/$p d/x.txt ./d/x.txt 2>&1); rc=$?
        if [ $rc -ne 2 ] || ! echo "$out" | grep -q "given twice"; then
            bad="$bad $p twice: exit $rc, said: $out;"
        fi
        [ -z "$(ls -A | grep -v '^d$')" ] || bad="$bad $p left: $(ls -A);"
        # shellcheck disable=SC2086
        $TIMEOUT "$B"/$p d > out.txt 2>&1 || bad="$bad $p d failed: $(tail -n 2 out.txt);"
        sort mr-out-* | grep . > got
        printf 'one 1\ntwo 2\n' | cmp -s - got || bad="$bad $p d counted: $(cat got);"
        rm -f mr-out-* mr-success out.txt got
    done
    : > empty.txt
    out=$($TIMEOUT "$B/mrrun" empty.txt 2>&1)
    echo "$out" | grep -q "no words: the output is empty" ||
        bad="$bad an empty input: $(echo "$out" | tail -n 1);"
    if [ -n "$bad" ]; then fail same_rules "$bad"; else pass same_rules; fi
}

run_checks "directory compressed same_rules" "$@"
