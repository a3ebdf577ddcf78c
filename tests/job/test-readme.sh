#!/usr/bin/env bash
# The README's examples, run as written: the lab's way by hand (a
# coordinator and two workers in a directory of their own) works, and
# leaves nothing in the repository.
set -u
. "$(dirname "$0")/lib.sh"

begin_suite readme
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# readme_block HEADING: the first ```sh block after the line starting with
# HEADING.
readme_block() {
    awk -v h="$1" 'index($0, h) == 1 { found = 1 }
                   found && /^```sh$/ { inside = 1; next }
                   inside && /^```$/ { exit }
                   inside { print }' "$TOP/README.md"
}

check_by_hand() {
    local script=$WORK/by-hand.sh before after out
    readme_block "The lab's way, by hand" |
        sed -e "s|^B=\$PWD/build .*|B=$B|" \
            -e "s|/tmp/mr-by-hand|$WORK/by-hand|g" > "$script"
    if ! grep -q mrcoordinator "$script" || ! grep -q "^B=$B" "$script"; then
        fail by_hand "the README's block is not the one this test knows:" \
             "$(cat "$script")"
        return
    fi
    before=$(cd "$TOP" && git status --porcelain 2>/dev/null)
    out=$(cd "$TOP" && $TIMEOUT bash -e "$script" 2>&1); local rc=$?
    after=$(cd "$TOP" && git status --porcelain 2>/dev/null)
    if [ $rc -ne 0 ]; then fail by_hand "exited $rc: $out"
    elif [ "$(echo "$out" | grep -c '^[^ ]* [0-9]*$')" -ne 10 ]; then
        fail by_hand "did not print 10 word counts: $out"
    elif [ "$(ls "$WORK/by-hand"/mr-out-* | wc -l)" -ne 10 ]; then
        fail by_hand "no 10 outputs in its directory"
    elif [ "$before" != "$after" ]; then
        fail by_hand "left files in the repository: $after"
    else pass by_hand; fi
}

run_checks "by_hand" "$@"
