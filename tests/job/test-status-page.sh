#!/usr/bin/env bash
# The status page (mrcoordinator and mrrun --http): /status.json during a
# job, checked field by field against what the test started; 404 and 405;
# malformed, oversized and idle requests refused while the job goes on to
# commit mrsequential's output; the page rendered by a real browser
# (headless Chromium: progress for both phases, one row per task, and a
# screenshot in $BUILD/status-page.png); --linger; usage errors; and, with
# root, a page beyond loopback that only the printed key opens. Prints one
# "PASS name", "FAIL name: why" or "SKIP name: why" per check.
#
# The job is held still while it is looked at: its workers' maps sleep a
# minute (the faulty app's FAULTY_MAP_MS), so that what the page shows is
# known, and nothing races a clock; then they are killed and quick
# workers finish the job.
#
# Usage: BUILD=build tests/job/test-status-page.sh
set -u
. "$(dirname "$0")/lib.sh"

begin_suite mr-status-page
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FAULTY=$B/tests/apps/faulty.so
need "$B/mrcoordinator" "$B/mrworker" "$B/mrrun" "$FAULTY" "$B/apps/wc.so"
command -v curl >/dev/null ||
    { fail setup "curl is missing; run tools/deps.sh"; exit 1; }
make_inputs --size 20000 a.txt b.txt c.txt d.txt
reference "$FAULTY" "$WORK/ref" "$IN"/*.txt ||
    { fail setup "mrsequential failed"; exit 1; }

# page_url LOG: the URL the program printed on stderr; false if none yet.
page_url() { sed -n 's/.*: status page at \(http[^ ]*\)$/\1/p' "$1" | grep .; }

# fetch URL OUT [CURL_ARGS...]: GETs URL into OUT; prints the HTTP status
# (000 when there was no answer).
fetch() {
    local url=$1 out=$2
    shift 2
    curl -s -o "$out" -w '%{http_code}' --max-time 10 "$@" "$url"
}

# worker DIR LOG [VAR=VALUE...]: an mrworker of the faulty app in DIR, in
# the background, with those variables; its pid in WPID, its timeout's in
# WTPID.
worker() {
    local dir=$1 log=$2
    shift 2
    # shellcheck disable=SC2086
    (cd "$dir" && exec env "$@" $TIMEOUT "$B/mrworker" --addr "unix:$dir.s" \
        "$FAULTY") 2>"$log" &
    WTPID=$!
    WPID=$(wait_for 5 pgrep -P "$WTPID")
}

# ---------------------------------------------------------------- the job

JOB=$WORK/job
mkdir -p "$JOB"
if ! start_coordinator "$JOB" "$WORK/coord.log" --addr "unix:$JOB.s" \
        --http 127.0.0.1:0 --reduce 2 --task-timeout 120 "$IN"/*.txt; then
    fail setup "no coordinator: $(tail -n 1 "$WORK/coord.log")"
    exit 1
fi
JOB_TPID=$TPID
URL=$(page_url "$WORK/coord.log") ||
    { fail setup "no 'status page at' line: $(head -n 3 "$WORK/coord.log")"
      exit 1; }
worker "$JOB" "$WORK/slow1.log" FAULTY_MAP_MS=60000
SLOW1=$WPID SLOW1_TPID=$WTPID
worker "$JOB" "$WORK/slow2.log" FAULTY_MAP_MS=60000
SLOW2=$WPID SLOW2_TPID=$WTPID

# two_running: /status.json, in $WORK/held.json, shows both slow workers
# each running a map.
two_running() {
    [ "$(fetch "${URL}status.json" "$WORK/held.json")" = 200 ] &&
        python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["maps"]["running"] == 2 and len(s["workers"]) == 2 else 1)
' "$WORK/held.json"
}

# json_problems DOC PIDS: what in /status.json DOC differs from the held
# job (4 maps, 2 of them running on the workers PIDS, 2 reduces); nothing
# when all is right.
json_problems() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
pids = sorted(int(p) for p in sys.argv[2].split())
problems = []
def want(what, got, expected):
    if got != expected:
        problems.append("%s is %r, wanted %r" % (what, got, expected))
want("job's length", len(s.get("job", "")), 12)
want("phase", s.get("phase"), "map")
want("over", s.get("over"), False)
want("maps", s.get("maps"), {"total": 4, "done": 0, "running": 2, "failed": 0})
want("reduces", s.get("reduces"),
     {"total": 2, "done": 0, "running": 0, "failed": 0})
want("workers' pids", sorted(w.get("pid") for w in s.get("workers", [])), pids)
want("workers' tasks are maps",
     sorted((w.get("task") or "")[:4] for w in s.get("workers", [])),
     ["map ", "map "])
want("counters is an object", isinstance(s.get("counters"), dict), True)
want("input_bytes", s.get("input_bytes"), 4 * 20000)
tasks = s.get("tasks", [])
want("task rows", len(tasks), 6)
running = [t for t in tasks if t.get("state") == "running"]
want("running rows", len(running), 2)
want("running rows' workers' pids",
     sorted(int(t.get("worker", "0 0").split()[-1]) for t in running), pids)
want("inputs of the map rows",
     sorted(t.get("input", "").rsplit("/", 1)[-1] for t in tasks
            if t.get("kind") == "map"),
     ["a.txt", "b.txt", "c.txt", "d.txt"])
print("; ".join(problems))
EOF
}

check_status_json() {
    local problems
    if ! wait_for 30 two_running; then
        fail status_json_while_running "never saw both workers running a" \
            "map: $(head -c 300 "$WORK/held.json" 2>/dev/null)"
        return
    fi
    problems=$(json_problems "$WORK/held.json" "$SLOW1 $SLOW2")
    if [ -n "$problems" ]; then
        fail status_json_while_running "$problems"
    else
        pass status_json_while_running
    fi
}

check_statuses() {
    local got=""
    got+=" /=$(fetch "$URL" "$WORK/page.html")"
    got+=" HEAD=$(fetch "${URL}status.json" "$WORK/head.out" -I)"
    got+=" /nope=$(fetch "${URL}nope" /dev/null)"
    got+=" POST=$(fetch "${URL}status.json" /dev/null -X POST -d x=1)"
    got+=" DELETE=$(fetch "$URL" /dev/null -X DELETE)"
    got+=" tasks=1=$(fetch "${URL}status.json?tasks=1" "$WORK/one.json")"
    got+=" tasks=x=$(fetch "${URL}status.json?tasks=x" /dev/null)"
    if [ "$got" != " /=200 HEAD=200 /nope=404 POST=405 DELETE=405 tasks=1=200 tasks=x=400" ]; then
        fail page_statuses "got$got"
    elif ! grep -q 'id="map-progress"' "$WORK/page.html"; then
        fail page_statuses "/ is not the status page: $(head -c 200 "$WORK/page.html")"
    elif ! grep -qi '^content-type: application/json' "$WORK/head.out"; then
        fail page_statuses "HEAD /status.json: $(tr -d '\r' < "$WORK/head.out" | head -n 5)"
    elif [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$WORK/one.json")" != 1 ]; then
        fail page_statuses "?tasks=1 did not give one row: $(head -c 300 "$WORK/one.json")"
    else
        pass page_statuses
    fi
}

# hostile KIND: sends one bad request of KIND over a raw socket; prints
# "refused" when the server answered 4xx (or 505, HTTP version not
# supported) or closed the connection without answering, else what it
# answered.
hostile() {
    python3 - "$URL" "$1" <<'EOF'
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
kind = sys.argv[2]
req = {
    "malformed": b"GARBAGE\x00 / NOT-HTTP\r\n\r\n",
    "bad_version": b"GET / HTTP/9.9\r\n\r\n",
    "huge_header": b"GET /status.json HTTP/1.1\r\nHost: x\r\nX-Big: " +
                   b"a" * (1 << 20) + b"\r\n\r\n",
    "huge_url": b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "many_headers": b"GET / HTTP/1.1\r\nHost: x\r\n" +
                    b"".join(b"X-%d: y\r\n" % i for i in range(20000)) +
                    b"\r\n",
}[kind]
s = socket.create_connection((u.hostname, u.port), timeout=20)
try:
    s.sendall(req)
except (BrokenPipeError, ConnectionResetError):
    pass    # closed on us mid-way: refused, as long as no 2xx came
answer = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        answer += b
except ConnectionResetError:
    pass
line = answer.split(b"\r\n", 1)[0].decode("latin-1")
parts = line.split()
if not answer or (len(parts) > 1 and
                  (parts[1][:1] == "4" or parts[1] == "505")):
    print("refused")
else:
    print("answered %r" % line[:80])
EOF
}

check_hostile() {
    local kind out bad="" held=() i fd port
    for kind in malformed bad_version huge_header huge_url many_headers; do
        out=$(hostile "$kind" 2>&1)
        [ "$out" = refused ] || bad="$bad $kind: $out;"
    done
    # Idle connections beyond the page's limit: they wait or are closed,
    # and the job does not notice.
    port=${URL##*:}
    port=${port%%/*}
    for i in $(seq 1 40); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" && held+=("$fd")
    done
    kill -0 "$CPID" 2>/dev/null || bad="$bad the coordinator died;"
    for fd in "${held[@]}"; do exec {fd}>&-; done
    if [ -n "$bad" ]; then
        fail bad_requests_refused "$bad"
    elif ! wait_for 20 two_running; then
        fail bad_requests_refused "the page no longer answers:" \
            "$(head -c 200 "$WORK/held.json")"
    else
        pass bad_requests_refused
    fi
}

# ---------------------------------------------------------------- browser

# browser_can: true when Chromium is here, or installed now (root); else
# false with the reason on stdout.
browser_can() {
    command -v chromium >/dev/null && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "needs Debian's chromium (run: sudo tools/deps.sh browser)"
        return 1
    fi
    "$TOP/tools/deps.sh" browser >/dev/null 2>&1 &&
        command -v chromium >/dev/null && return 0
    echo "chromium could not be installed (tools/deps.sh browser)"
    return 1
}

# chromium ARGS... URL: headless Chromium under a deadline, with a profile
# of its own in $WORK; --no-sandbox since tests run as root in CI.
run_chromium() {
    timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu \
        --disable-dev-shm-usage --no-first-run --user-data-dir="$WORK/chromium" \
        --virtual-time-budget=5000 "$@" 2>>"$WORK/chromium.log"
}

# dom_problems DOM: what in the page as Chromium rendered it differs from
# the held job; nothing when all is right.
dom_problems() {
    python3 - "$1" "$SLOW1" "$SLOW2" <<'EOF'
import html.parser, sys
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = {}          # id -> text
        self.rows = []          # (class, data-state) of task rows
        self.stack = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "task" in (a.get("class") or "").split():
            self.rows.append(a.get("data-state"))
        self.stack.append(a.get("id"))
    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()
    def handle_data(self, data):
        for i in self.stack:
            if i:
                self.text[i] = self.text.get(i, "") + data
p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
problems = []
for id_, want in (("map-progress", "0/4"), ("reduce-progress", "0/2")):
    got = p.text.get(id_, "").strip()
    if got != want:
        problems.append("#%s says %r, wanted %r" % (id_, got, want))
if len(p.rows) != 6:
    problems.append("%d task rows, wanted 6" % len(p.rows))
if p.rows.count("running") != 2:
    problems.append("rows' states %r, wanted 2 running" % p.rows)
workers = p.text.get("workers", "")
for pid in sys.argv[2:]:
    if pid not in workers:
        problems.append("the workers table lacks pid %s" % pid)
print("; ".join(problems))
EOF
}

check_browser() {
    local why problems png=$B/status-page.png
    if ! why=$(browser_can); then
        skip page_in_browser "$why"
        return
    fi
    rm -f "$png"
    if ! run_chromium --dump-dom "$URL" > "$WORK/dom.html"; then
        fail page_in_browser "chromium failed: $(tail -n 2 "$WORK/chromium.log")"
        return
    fi
    problems=$(dom_problems "$WORK/dom.html")
    if [ -n "$problems" ]; then
        fail page_in_browser "$problems"
        return
    fi
    run_chromium --screenshot="$png" --window-size=1280,1400 "$URL" \
        >/dev/null
    if [ "$(head -c 8 "$png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" != \
         89504e470d0a1a0a ]; then
        fail page_in_browser "no PNG screenshot in $png:" \
            "$(tail -n 2 "$WORK/chromium.log")"
    else
        pass page_in_browser
    fi
}

# The held job ends: its slow workers are killed, two quick ones finish.
check_job_finishes() {
    local rc job
    kill -KILL "$SLOW1" "$SLOW2"
    { wait "$SLOW1_TPID" "$SLOW2_TPID"; } 2>/dev/null
    worker "$JOB" "$WORK/w1.log"
    worker "$JOB" "$WORK/w2.log"
    wait "$JOB_TPID"; rc=$?
    sort "$JOB"/mr-out-* 2>/dev/null | grep . > "$WORK/got"
    job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' \
            "$JOB/mr-success" 2>/dev/null)
    if [ "$rc" -ne 0 ]; then
        fail job_undisturbed "coordinator exited $rc: $(tail -n 1 "$WORK/coord.log")"
    elif ! cmp -s "$WORK/got" "$WORK/ref"; then
        fail job_undisturbed "output differs from mrsequential's"
    elif [ "$job" != "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' "$WORK/held.json")" ]; then
        fail job_undisturbed "the marker's job $job is not the page's"
    elif ! logged "$WORK/coord.log" "job $job runs in"; then
        fail job_undisturbed "the log does not name job $job"
    else
        pass job_undisturbed
    fi
    end_jobs
}

check_status_json
check_statuses
check_browser
check_hostile
check_job_finishes
