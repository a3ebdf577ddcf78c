# Shell helpers shared by the job suites tests/job/*.sh, which source it.
# Not executable on purpose: tests/run.sh runs every executable
# tests/job/*.sh as a suite, and this file is not one (keep it mode 644).
# Suites are bash scripts under `set -u`; each calls begin_suite first.

# ---------------------------------------------------------------- the suite

# begin_suite PREFIX: sets B (the build directory, absolute), WORK (a fresh
# /tmp/PREFIX-XXXXXX) and TIMEOUT (the words before a program that give it
# a deadline; a suite may change it); unsets MR_LOG, since checks read log
# lines at the level they choose; ends the suite with end_suite on exit, on
# SIGINT and on SIGTERM.
begin_suite() {
    unset MR_LOG
    B=$(cd "${BUILD:-build}" && pwd) || exit 1
    WORK=$(mktemp -d "/tmp/$1-XXXXXX") || exit 1
    TIMEOUT="timeout -k 5 60"
    trap end_suite EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# end_jobs: kills this shell's background jobs and waits for them.
end_jobs() {
    # shellcheck disable=SC2046
    kill $(jobs -p) 2>/dev/null
    wait 2>/dev/null
}

# end_suite: end_jobs, then removes $WORK; MR_KEEP=1 keeps it and says where.
# The suite exits 1 when any check failed (fail, even from a subshell), so
# that a suite run alone says so in its status, as the lab's script does.
end_suite() {
    local status=$?
    end_jobs
    [ -e "$WORK/.suite-failed" ] && status=1
    if [ "${MR_KEEP:-0}" = 1 ]; then echo "  (kept $WORK)"
    else rm -rf "$WORK"; fi
    exit $status
}

# pass NAME, fail NAME WHY..., skip NAME WHY: the one line per check that
# tests/run.sh counts ("PASS name", "FAIL name: why", "SKIP name: why").
pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: ${*:2}"
    [ -n "${WORK:-}" ] && : >> "$WORK/.suite-failed"
}
skip() { echo "SKIP $1: ${*:2}"; }

# need FILE...: each FILE exists, or the suite fails its setup and ends.
need() {
    local f
    for f in "$@"; do
        [ -e "$f" ] || { fail setup "$f is missing; run 'make test'"; exit 1; }
    done
}

# make_inputs MRGEN_ARGS...: runs mrgen in $WORK/input (made if need be),
# which IN names; a failure ends the suite.
make_inputs() {
    IN=$WORK/input
    mkdir -p "$IN" && (cd "$IN" && "$B/mrgen" "$@") ||
        { fail setup "could not generate inputs"; exit 1; }
}

# ---------------------------------------------------------------- waiting

# wait_for SECONDS CMD...: runs CMD every 50 ms until it succeeds (what it
# prints then is printed); false after SECONDS.
wait_for() {
    local tries=$(($1 * 20))
    shift
    while ! "$@"; do
        tries=$((tries - 1))
        [ $tries -gt 0 ] || return 1
        sleep 0.05
    done
}

# logged FILE PATTERN: FILE has a line matching PATTERN (grep's basic
# regular expression).
logged() { grep -qs -- "$2" "$1"; }

# first_match GLOB: prints the first path matching GLOB; false if none.
first_match() {
    local f
    for f in $1; do [ -e "$f" ] && { echo "$f"; return 0; }; done
    return 1
}

# read_until FD GLOB: reads lines from FD (a coprocess's output, say) until
# one matches the shell pattern GLOB; false at the end of input.
read_until() {
    local line
    while read -r line <&"$1"; do
        # shellcheck disable=SC2254
        case $line in $2) return 0 ;; esac
    done
    return 1
}

# reference APP WANT INPUTS...: mrsequential's output for the module APP
# on INPUTS, sorted, in WANT; false when mrsequential fails.
reference() {
    local app=$1 want=$2 dir
    shift 2
    dir=$(mktemp -d "$WORK/ref-XXXXXX") &&
        (cd "$dir" && "$B/mrsequential" "$app" "$@") &&
        sort "$dir/mr-out-0" > "$want" && rm -rf "$dir"
}

# run_checks "NAMES" [NAME...]: runs check_NAME for each NAME given (every
# one of NAMES when none), printing its lines and how long it took, then
# exits: 1 when a check failed or a name is unknown, else 0.
run_checks() {
    local all=$1 c start out status=0
    shift
    # shellcheck disable=SC2048
    for c in ${*:-$all}; do
        if ! declare -F "check_$c" >/dev/null; then
            fail "$c" "no such check (checks: $(echo $all))"
            status=1
            continue
        fi
        start=$SECONDS
        out=$("check_$c")
        echo "$out"
        echo "$out" | grep -q '^FAIL' && status=1
        echo "  ($c took $((SECONDS - start))s)"
    done
    exit $status
}

# only_failure_note DIR: DIR holds the failure note of a failed job,
# mr-failed (JSON, "outcome": "failed"), and nothing else: no output,
# marker, intermediate, temporary or hidden file. Else prints what is
# wrong and returns 1.
only_failure_note() {
    local extra
    extra=$(ls -A "$1" | grep -vx mr-failed | tr '\n' ' ')
    if [ -n "$extra" ]; then echo "left files: $extra"; return 1; fi
    if ! python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["outcome"] != "failed")' \
            "$1/mr-failed" 2>/dev/null; then
        echo "no failure note saying the job failed: $(ls -A "$1")"
        return 1
    fi
}

# ---------------------------------------------------------------- processes

# start_coordinator DIR LOG ARGS...: mrcoordinator ARGS... in DIR under
# $TIMEOUT, its stderr in LOG, at MR_LOG=info unless the caller sets MR_LOG;
# returns once it listens (20 s at most) with TPID set to its timeout's pid,
# CPID to its own and COORD_ADDR to the address it listens on (the port the
# kernel chose included).
start_coordinator() {
    local dir=$1 log=$2
    shift 2
    # shellcheck disable=SC2086
    (cd "$dir" && MR_LOG=${MR_LOG:-info} exec $TIMEOUT "$B/mrcoordinator" \
        "$@") 2>"$log" &
    TPID=$!
    CPID=
    COORD_ADDR=
    wait_for 20 logged "$log" "listening on" || return 1
    COORD_ADDR=$(sed -n 's/.*listening on //p' "$log" | head -n 1)
    CPID=$(wait_for 5 pgrep -P "$TPID")
}

# ---------------------------------------------------------------- refusals

# expect_error_in DIR NAME STATUS PATTERN CMD...: CMD, run in DIR, exits
# with STATUS, prints exactly one line on stderr matching PATTERN, and
# leaves DIR empty.
expect_error_in() {
    local dir=$1 name=$2 want=$3 pattern=$4 rc lines msg
    shift 4
    (cd "$dir" && timeout -k 5 30 "$@" >/dev/null 2>"$WORK/stderr-$name")
    rc=$?
    lines=$(wc -l < "$WORK/stderr-$name")
    msg=$(head -c 300 "$WORK/stderr-$name")
    if [ $rc -ne "$want" ]; then
        fail "$name" "exit status $rc, wanted $want: $msg"
    elif [ "$lines" -ne 1 ]; then
        fail "$name" "$lines lines on stderr: $msg"
    elif ! grep -q -- "$pattern" "$WORK/stderr-$name"; then
        fail "$name" "message '$(cat "$WORK/stderr-$name")' lacks '$pattern'"
    elif [ -n "$(ls -A "$dir")" ]; then
        fail "$name" "left files: $(ls -A "$dir" | tr '\n' ' ')"
    else
        pass "$name"
    fi
}

# expect_error NAME STATUS PATTERN CMD...: the same in a fresh directory,
# $WORK/err-NAME (made if need be).
expect_error() {
    mkdir -p "$WORK/err-$1" && expect_error_in "$WORK/err-$1" "$@"
}

# json_problems FILE PROGRAM ARGS...: runs the Python statements PROGRAM
# with d, FILE's JSON, and args, ARGS; they print what is wrong, if
# anything; an unreadable FILE is wrong too.
json_problems() {
    local file=$1 prog=$2
    shift 2
    python3 -c "import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print('%s is not JSON: %s' % (sys.argv[1], e)); sys.exit()
args = sys.argv[2:]
$prog" "$file" "$@"
}
