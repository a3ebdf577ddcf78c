#!/usr/bin/env bash
# The inputs users have: a directory (the files in it), a file given twice,
# compressed files (gzip and zstd, read whole by one map task each), many
# small files packed into few map tasks (--min-split-size).
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
    # A missing input among packed ones is refused at once, as without
    # packing, not run as a task that fails.
    echo "y" > y.txt; echo "z" > z.txt
    out=$($TIMEOUT "$B/mrrun" --min-split-size 1M d/x.txt y.txt z.txt \
          missing.txt 2>&1)
    rc=$?
    if [ $rc -ne 1 ] || [ "$out" != "mrrun: input file missing.txt: No such file or directory" ]; then
        bad="$bad a missing input among packed ones: exit $rc, said: $out;"
    fi
    rm -f y.txt z.txt
    : > empty.txt
    out=$($TIMEOUT "$B/mrrun" empty.txt 2>&1)
    echo "$out" | grep -q "no words: the output is empty" ||
        bad="$bad an empty input: $(echo "$out" | tail -n 1);"
    if [ -n "$bad" ]; then fail same_rules "$bad"; else pass same_rules; fi
}

# ---------------------------------------------------------------- packing

# packed_tasks_ok DIR MIN: DIR's mr-success counts the map tasks that
# packing its inputs (in order) into tasks of at least MIN bytes makes
# (a file of MIN bytes or more alone), and fewer than a tenth of them;
# else prints what it says.
packed_tasks_ok() {
    python3 - "$1/mr-success" "$2" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1])); least = int(sys.argv[2])
os.chdir(os.path.dirname(sys.argv[1]))     # mrrun's names are relative
want, held = 0, None
for f in d["inputs"]:
    size = os.path.getsize(f)
    if size < least and held is not None and held < least:
        held += size
    else:
        want += 1
        held = size if size < least else None
ok = d["map_tasks"] == want and want * 10 < len(d["inputs"])
if not ok:
    print("%d map tasks for %d inputs, wanted %d" % (d["map_tasks"],
          len(d["inputs"]), want))
sys.exit(0 if ok else 1)
PY
}

# 2,000 small files (300 bytes at most) with --min-split-size 64K: a map
# task per 64K of them, through mrrun and through mrcoordinator with two
# mrworker processes, counting what mrsequential counts; without the
# option, one map task per file (500 of them, to stay quick).
check_packing() {
    local dir=$WORK/packing bad="" rc why
    mkdir -p "$dir/in" "$dir/few" "$dir/run" "$dir/dist" "$dir/plain" &&
        cd "$dir" || return
    # 600K of text cut at line ends into files of 300 bytes at most.
    { "$B/mrgen" --size 600K --seed 1 all.txt &&
        split -C 300 -d -a 4 all.txt in/p && rm all.txt; } ||
        { fail packing "could not make the inputs"; return; }
    "$B/mrgen" --size 70K --seed 40 in/p1000-large.txt   # one of its own
    cp in/p0[0-4]* few/
    reference "$B/apps/wc.so" want "$dir/in"/*
    (cd run && $TIMEOUT "$B/mrrun" --min-split-size 64K --reduce 3 ../in \
        > out.txt 2>&1); rc=$?
    if [ $rc -ne 0 ]; then bad="$bad mrrun exited $rc: $(tail -n 2 run/out.txt);"
    elif ! sort run/mr-out-* | cmp -s - want; then
        bad="$bad mrrun's output differs from mrsequential's;"
    elif ! why=$(packed_tasks_ok run 65536); then bad="$bad mrrun: $why;"
    fi
    start_coordinator "$dir/dist" "$dir/coord.log" --addr "unix:$dir/s" \
        --output "$dir/dist" --min-split-size 64K --reduce 3 "$dir/in" ||
        { fail packing "no coordinator: $(tail -n 2 coord.log)"; return; }
    $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" "$B/apps/wc.so" &
    $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" "$B/apps/wc.so" &
    wait "$TPID"; rc=$?
    wait
    if [ $rc -ne 0 ]; then bad="$bad mrcoordinator exited $rc: $(tail -n 2 coord.log);"
    elif ! sort dist/mr-out-* | cmp -s - want; then
        bad="$bad two mrworkers' output differs from mrsequential's;"
    elif ! why=$(packed_tasks_ok dist 65536); then bad="$bad mrcoordinator: $why;"
    fi
    (cd plain && $TIMEOUT "$B/mrrun" --reduce 3 ../few > out.txt 2>&1) ||
        bad="$bad mrrun without the option failed: $(tail -n 2 plain/out.txt);"
    grep -q "\"map_tasks\": $(ls few | wc -l)," plain/mr-success ||
        bad="$bad without the option: $(grep -o '"map_tasks": [0-9]*' plain/mr-success) for $(ls few | wc -l) files;"
    if [ -n "$bad" ]; then fail packing "$bad"; else pass packing; fi
}

# A worker SIGKILLed while it runs a packed map task: the task runs again on
# the other worker, and the count is still mrsequential's. The mapper
# (wc's, in awk) stops on the file holding the word zzblock, the first
# time only, until the test kills its worker.
check_packed_kill() {
    local dir=$WORK/packed-kill bad="" rc mapper="" pid="" p sup
    sup=$(cd "$(dirname "$0")/../support/exec" && pwd)
    mkdir -p "$dir/in" "$dir/out" && cd "$dir" || return
    { "$B/mrgen" --ascii --size 64K --seed 7 all.txt &&
        split -C 1000 -d -a 3 all.txt in/p && rm all.txt; } ||
        { fail packed_kill "could not make the inputs"; return; }
    echo "zzblock" >> in/p030
    cat > block_map.sh <<EOF
t=\$(mktemp) && cat > "\$t" || exit 1
if grep -q zzblock "\$t" && mkdir "$dir/blocked" 2>/dev/null; then
    rm -f "\$t"; echo \$\$ > "$dir/ready.tmp" && mv "$dir/ready.tmp" "$dir/ready"
    exec sleep 60
fi
awk -f "$sup/wc_map.awk" "\$t"; rc=\$?; rm -f "\$t"; exit \$rc
EOF
    reference "$B/apps/wc.so" want "$dir/in"/*
    start_coordinator "$dir/out" "$dir/coord.log" --addr "unix:$dir/s" \
        --output "$dir/out" --min-split-size 8K --reduce 2 "$dir/in" ||
        { fail packed_kill "no coordinator: $(tail -n 2 coord.log)"; return; }
    for _ in 1 2; do
        $TIMEOUT "$B/mrworker" --addr "unix:$dir/s" \
            --mapper "sh $dir/block_map.sh" \
            --reducer "awk -f $sup/wc_reduce.awk" 2>> workers.log &
    done
    if mapper=$(wait_for 20 cat ready 2>/dev/null); then
        # The mapper's worker: its nearest mrworker ancestor.
        p=$mapper
        while [ -n "$p" ] && [ "$p" -gt 1 ] &&
                [ "$(ps -o comm= -p "$p")" != mrworker ]; do
            p=$(ps -o ppid= -p "$p" | tr -d ' ')
        done
        [ -n "$p" ] && [ "$p" -gt 1 ] && pid=$p && kill -KILL "$pid"
        kill -KILL "$mapper"
    fi
    wait "$TPID"; rc=$?
    wait
    if [ -z "$mapper" ]; then bad="$bad the mapper never stopped on zzblock;"
    elif [ -z "$pid" ]; then bad="$bad no worker above the mapper;"
    elif [ $rc -ne 0 ]; then bad="$bad the job failed ($rc): $(tail -n 2 coord.log);"
    elif ! sort out/mr-out-* | cmp -s - want; then
        bad="$bad the output differs from mrsequential's;"
    elif ! python3 -c 'import json, re, sys
d = json.load(open(sys.argv[1]))
# The lost attempt is named by its files: p030 among them.
named = [f["input"] for f in d["failures"]
         if re.fullmatch(r"\d+ files from .*/p0(\d\d) to .*/p0(\d\d)", f["input"])
         and int(re.search(r"p0(\d\d) to", f["input"]).group(1)) <= 30
         <= int(re.search(r"p0(\d\d)$", f["input"]).group(1))]
sys.exit(not (d["lost_attempts"] >= 1 and 2 < d["map_tasks"] < 20 and named))' \
            out/mr-success; then
        bad="$bad mr-success: $(grep -e '"map_tasks"' -e '"lost_attempts"' -e '"input"' out/mr-success | tr -d '\n');"
    fi
    if [ -n "$bad" ]; then fail packed_kill "$bad"; else pass packed_kill; fi
}

# A worker that sees neither the inputs nor the job's directory (a mount
# namespace of its own: the inputs under an empty tmpfs, the directory
# read-only) fetches each input of its packed tasks through the
# coordinator (ReadInput, by part), and the count is mrsequential's.
check_packed_remote() {
    local dir=$WORK/packed-remote bad="" rc
    if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
        skip packed_remote "needs root and unshare (a mount namespace)"
        return
    fi
    mkdir -p "$dir/in" "$dir/out" "$dir/scratch" && cd "$dir" || return
    { "$B/mrgen" --size 64K --seed 3 all.txt &&
        split -C 1000 -d -a 3 all.txt in/p && rm all.txt &&
        "$B/mrgen" --size 40K --seed 4 in/q-large.txt; } ||
        { fail packed_remote "could not make the inputs"; return; }
    reference "$B/apps/wc.so" want "$dir/in"/*
    start_coordinator "$dir/out" "$dir/coord.log" --addr "unix:$dir/s" \
        --output "$dir/out" --min-split-size 8K --reduce 2 "$dir/in" ||
        { fail packed_remote "no coordinator: $(tail -n 2 coord.log)"; return; }
    $TIMEOUT unshare -m sh -c "mount -t tmpfs none '$dir/in' &&
        mount --bind '$dir/out' '$dir/out' &&
        mount -o remount,bind,ro '$dir/out' &&
        [ -z \"\$(ls -A '$dir/in')\" ] &&
        exec '$B/mrworker' --addr 'unix:$dir/s' --scratch '$dir/scratch' \
            '$B/apps/wc.so'" 2> worker.log; rc=$?
    wait "$TPID" || bad="$bad the coordinator exited $?: $(tail -n 2 coord.log);"
    if [ $rc -ne 0 ]; then bad="$bad the worker exited $rc: $(tail -n 2 worker.log);"
    elif ! sort out/mr-out-* | cmp -s - want; then
        bad="$bad the output differs from mrsequential's;"
    elif ! grep -q '"map_tasks": 9,' out/mr-success; then
        bad="$bad $(grep -o '"map_tasks": [0-9]*' out/mr-success), not 8 packed and 1 large;"
    elif [ -n "$(find scratch -name 'mr-input-*')" ]; then
        bad="$bad fetched inputs left: $(find scratch -name 'mr-input-*' | head -3);"
    fi
    if [ -n "$bad" ]; then fail packed_remote "$bad"; else pass packed_remote; fi
}

run_checks "directory compressed same_rules packing packed_kill
    packed_remote" "$@"
