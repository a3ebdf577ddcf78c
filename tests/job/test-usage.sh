#!/usr/bin/env bash
# What every program does with a mistake in how it is started: one line
# saying what is wrong and what to do, and exit status 2 (usage), before
# anything is touched.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite usage
PROGRAMS="mrrun mrworker mrcoordinator mrsequential"

# MR_LOG naming no level is refused by each program, which names the valid
# ones; an empty MR_LOG is the default.
check_bad_log_level() {
    local p out rc bad=""
    cd "$WORK" || return
    echo "one two" > in.txt
    for p in $PROGRAMS; do
        out=$(MR_LOG=verbose "$B/$p" in.txt 2>&1); rc=$?
        if [ $rc -ne 2 ]; then bad="$bad $p exited $rc;"
        elif [ "$(echo "$out" | wc -l)" -ne 1 ] ||
                ! echo "$out" | grep -q "MR_LOG=verbose is not a log level.*error, warn.*info or debug"; then
            bad="$bad $p said: $out;"
        fi
    done
    if ls -A | grep -qv '^in.txt$'; then bad="$bad left files: $(ls -A | tr '\n' ' ')"; fi
    if ! MR_LOG= "$B/mrsequential" "$B/apps/wc.so" in.txt 2>/dev/null ||
            ! grep -q '^one 1$' mr-out-0; then
        bad="$bad an empty MR_LOG did not run as the default;"
    fi
    if [ -n "$bad" ]; then fail bad_log_level "$bad"; else pass bad_log_level; fi
}

# mrgen takes sizes as the other programs do (K, M, G) and writes whole
# words ending with a newline, so generated files concatenate cleanly.
check_mrgen_sizes() {
    local dir=$WORK/mrgen bad="" out rc
    mkdir -p "$dir" && cd "$dir" || return
    "$B/mrgen" --size 2M a.txt || bad="$bad --size 2M refused;"
    [ "$(stat -c %s a.txt 2>/dev/null)" = 2097152 ] || bad="$bad not 2M bytes;"
    "$B/mrgen" --size 1000 --seed 7 b.txt c.txt
    for f in a.txt b.txt c.txt; do
        [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] ||
            bad="$bad $f does not end with a newline;"
    done
    # Words counted over the concatenation equal those of the files apart.
    words() { tr -cs "A-Za-z" "\n" | grep . | sort; }
    if [ "$(cat b.txt c.txt | words | md5sum)" != \
            "$( (words < b.txt; words < c.txt) | sort | md5sum)" ]; then
        bad="$bad words join across concatenated files;"
    fi
    out=$("$B/mrgen" --size 2X d.txt 2>&1); rc=$?
    if [ $rc -ne 2 ] || ! echo "$out" | grep -q "64K, 64M or 1G, not '2X'" ||
            [ -e d.txt ]; then
        bad="$bad --size 2X: exit $rc, said: $out;"
    fi
    if [ -n "$bad" ]; then fail mrgen_sizes "$bad"; else pass mrgen_sizes; fi
}

# A malformed address is a usage error (2) in every program taking one,
# and the coordinator leaves nothing in its directory.
check_bad_address() {
    local dir=$WORK/addr bad="" cmd out rc
    mkdir -p "$dir" && cd "$dir" || return
    echo "one two" > in.txt
    for cmd in "mrcoordinator --addr bogus:x in.txt" \
               "mrcoordinator --addr tcp:127.0.0.1:99999 in.txt" \
               "mrworker --addr bogus:x $B/apps/wc.so" \
               "mrstatus --addr bogus:x"; do
        # shellcheck disable=SC2086
        out=$($TIMEOUT "$B"/$cmd 2>&1); rc=$?
        if [ $rc -ne 2 ] || [ "$(echo "$out" | wc -l)" -ne 1 ]; then
            bad="$bad '$cmd' exited $rc: $out;"
        fi
    done
    if ls -A | grep -qv '^in.txt$'; then bad="$bad left files: $(ls -A | tr '\n' ' ')"; fi
    if [ -n "$bad" ]; then fail bad_address "$bad"; else pass bad_address; fi
}

run_checks "bad_log_level mrgen_sizes bad_address" "$@"
