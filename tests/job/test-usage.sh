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

run_checks "bad_log_level" "$@"
