#!/usr/bin/env bash
# The status page (mrcoordinator and mrrun --http): /status.json during a
# job, checked field by field against what the test started; 404 and 405;
# a request calling the page by a name other than loopback's (DNS
# rebinding) refused; malformed, oversized and idle requests refused, and
# one address's idle connections leaving the page to others, while the
# job goes on to commit mrsequential's output; the page rendered by a real
# browser (headless Chromium: progress for both phases, one row per task,
# and a screenshot in $BUILD/status-page.png); --linger; usage errors;
# and, with root, a page beyond loopback that only the printed key opens
# (whatever its Host). Prints one "PASS name", "FAIL name: why" or
# "SKIP name: why" per check.
#
# The job is held still while it is looked at: its workers' maps wait at a
# gate (the faulty app's FAULTY_MAP_GATE: a file this suite creates once
# it has looked), so that what the page shows is known, however long the
# looking takes; then the gate opens and the same workers finish the job.
# Its programs' deadline ($HELD_TIMEOUT) and task timeout are only there
# to end a hung run.
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

# json_field DOC EXPR [ARG...]: prints EXPR (Python, over the document s;
# the ARGs are sys.argv[3:]) of the JSON file DOC.
json_field() {
    python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$@" 2>/dev/null
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
GATE=$WORK/gate
HELD_TIMEOUT="timeout -k 5 900"
mkdir -p "$JOB"
if ! TIMEOUT=$HELD_TIMEOUT start_coordinator "$JOB" "$WORK/coord.log" \
        --addr "unix:$JOB.s" --http 127.0.0.1:0 --reduce 2 \
        --task-timeout 900 "$IN"/*.txt; then
    fail setup "no coordinator: $(tail -n 1 "$WORK/coord.log")"
    exit 1
fi
JOB_TPID=$TPID
URL=$(page_url "$WORK/coord.log") ||
    { fail setup "no 'status page at' line: $(head -n 3 "$WORK/coord.log")"
      exit 1; }
TIMEOUT=$HELD_TIMEOUT worker "$JOB" "$WORK/held1.log" FAULTY_MAP_GATE="$GATE"
HELD1=$WPID
TIMEOUT=$HELD_TIMEOUT worker "$JOB" "$WORK/held2.log" FAULTY_MAP_GATE="$GATE"
HELD2=$WPID

# two_running: /status.json, in $WORK/held.json, shows both held workers
# each running a map.
two_running() {
    [ "$(fetch "${URL}status.json" "$WORK/held.json")" = 200 ] &&
        python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["maps"]["running"] == 2 and len(s["workers"]) == 2 else 1)
' "$WORK/held.json"
}

# status_problems DOC PIDS: what in /status.json DOC differs from the held
# job (4 maps, 2 of them running on the workers PIDS, 2 reduces); nothing
# when all is right.
status_problems() {
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
    problems=$(status_problems "$WORK/held.json" "$HELD1 $HELD2")
    if [ -n "$problems" ]; then
        fail status_json_while_running "$problems"
    else
        pass status_json_while_running
    fi
}

check_statuses() {
    local got="" want
    want="/=200 HEAD=200 /nope=404 POST=405 DELETE=405 tasks=1=200 tasks=x=400"
    got+="/=$(fetch "$URL" "$WORK/page.html")"
    got+=" HEAD=$(fetch "${URL}status.json" "$WORK/head.out" -I)"
    got+=" /nope=$(fetch "${URL}nope" /dev/null)"
    got+=" POST=$(fetch "${URL}status.json" /dev/null -X POST -d x=1)"
    got+=" DELETE=$(fetch "$URL" /dev/null -X DELETE)"
    got+=" tasks=1=$(fetch "${URL}status.json?tasks=1" "$WORK/one.json")"
    got+=" tasks=x=$(fetch "${URL}status.json?tasks=x" /dev/null)"
    if [ "$got" != "$want" ]; then
        fail page_statuses "got $got, wanted $want"
    elif ! grep -q 'id="map-progress"' "$WORK/page.html"; then
        fail page_statuses "/ is not the status page:" \
            "$(head -c 200 "$WORK/page.html")"
    elif ! grep -qi '^content-type: application/json' "$WORK/head.out"; then
        fail page_statuses "HEAD /status.json:" \
            "$(tr -d '\r' < "$WORK/head.out" | head -n 5)"
    elif [ "$(json_field "$WORK/one.json" 'len(s["tasks"])')" != 1 ]; then
        fail page_statuses "?tasks=1 did not give one row:" \
            "$(head -c 300 "$WORK/one.json")"
    else
        pass page_statuses
    fi
}

# page_port: the port of the held job's page.
page_port() { local p=${URL##*:}; echo "${p%%/*}"; }

# A page without a key answers only to loopback's names. A web page that
# rebinds its own name to 127.0.0.1 (DNS rebinding; here curl resolves
# evil.example there, as the browser would) is refused with 421, told
# nothing of the job, and the refusal logged; so is any other foreign
# Host; localhost and [::1] are served.
check_host() {
    local port got want says
    port=$(page_port)
    says="status page: refused a request from 127.0.0.1:[0-9]*: Host"
    says+=" 'evil.example:$port' is not loopback's"
    want="rebound=421 foreign=421 localhost=200 ipv6=200"
    got="rebound=$(fetch "http://evil.example:$port/status.json" \
        "$WORK/rebound.out" --resolve "evil.example:$port:127.0.0.1")"
    got+=" foreign=$(fetch "${URL}status.json" /dev/null \
        -H "Host: evil.example")"
    got+=" localhost=$(fetch "${URL}status.json" "$WORK/localhost.json" \
        -H "Host: localhost:$port")"
    got+=" ipv6=$(fetch "${URL}status.json" /dev/null -H "Host: [::1]:$port")"
    if [ "$got" != "$want" ]; then
        fail page_answers_only_to_loopback_names "got $got, wanted $want"
    elif grep -q '"maps"' "$WORK/rebound.out"; then
        fail page_answers_only_to_loopback_names "the refusal told the" \
            "job: $(head -c 200 "$WORK/rebound.out")"
    elif [ "$(json_field "$WORK/localhost.json" 's["maps"]["total"]')" != 4 ]
    then
        fail page_answers_only_to_loopback_names "Host localhost got" \
            "$(head -c 200 "$WORK/localhost.json")"
    elif ! logged "$WORK/coord.log" "$says"; then
        fail page_answers_only_to_loopback_names "no line says the request" \
            "was refused: $(grep 'status page' "$WORK/coord.log")"
    else
        pass page_answers_only_to_loopback_names
    fi
}

# A page that cannot listen (the held job's page has the port) stops the
# program before it takes the job's directory: one line, exit 1, nothing
# left behind.
check_port_in_use() {
    local port says
    port=$(page_port)
    says="status page: cannot listen on 127.0.0.1:$port: Address already"
    expect_error page_port_in_use_coordinator 1 "$says in use" \
        "$B/mrcoordinator" --addr "unix:$WORK/inuse.s" --output . \
        --http "127.0.0.1:$port" "$IN/a.txt"
    expect_error page_port_in_use_mrrun 1 "$says in use" \
        "$B/mrrun" --app "$FAULTY" --http "127.0.0.1:$port" "$IN/a.txt"
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
    local kind out bad="" held=() i fd other
    for kind in malformed bad_version huge_header huge_url many_headers; do
        out=$(hostile "$kind" 2>&1)
        [ "$out" = refused ] || bad="$bad $kind: $out;"
    done
    # Idle connections from one address, far beyond its share of the
    # page: they are closed as they come or wait, the job does not
    # notice, and another address is served meanwhile.
    for i in $(seq 1 40); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$(page_port)" && held+=("$fd")
    done
    other=$(fetch "${URL}status.json" "$WORK/other.json" \
        --interface 127.0.0.2)
    kill -0 "$CPID" 2>/dev/null || bad="$bad the coordinator died;"
    for fd in "${held[@]}"; do exec {fd}>&-; done
    if [ ${#held[@]} -ne 40 ]; then
        fail page_served_beside_idle_crowd "only ${#held[@]} of 40 idle" \
            "connections were made"
    elif [ "$other" != 200 ] ||
         [ "$(json_field "$WORK/other.json" 's["maps"]["total"]')" != 4 ]
    then
        fail page_served_beside_idle_crowd "127.0.0.2 got $other" \
            "beside 40 idle connections from 127.0.0.1:" \
            "$(head -c 200 "$WORK/other.json" 2>/dev/null)"
    else
        pass page_served_beside_idle_crowd
    fi
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
        echo "needs Debian's chromium (run: sudo tools/deps.sh --install browser)"
        return 1
    fi
    "$TOP/tools/deps.sh" --install browser >/dev/null 2>&1 &&
        command -v chromium >/dev/null && return 0
    echo "chromium could not be installed (tools/deps.sh browser)"
    return 1
}

# chromium ARGS... URL: headless Chromium under a deadline, with a profile
# of its own in $WORK; --no-sandbox since tests run as root in CI.
run_chromium() {
    timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu \
        --disable-dev-shm-usage --no-first-run \
        --user-data-dir="$WORK/chromium" \
        --virtual-time-budget=5000 "$@" 2>>"$WORK/chromium.log"
}

# dom_facts DOM: the facts of the page as Chromium rendered it, as JSON:
# "text" (the text of each element with an id), "rows" (the state of each
# task row) and "over" (the body's data-over: "true" once the script saw
# the job end and stopped polling).
dom_facts() {
    python3 - "$1" <<'EOF'
import html.parser, json, sys
VOID = ("meta", "link", "br", "img", "input", "hr", "col")
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.facts = {"text": {}, "rows": [], "over": None}
        self.open = []          # the ids of the elements we are in
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "task" in (a.get("class") or "").split():
            self.facts["rows"].append(a.get("data-state"))
        if tag == "body":
            self.facts["over"] = a.get("data-over")
        if tag not in VOID:
            self.open.append(a.get("id"))
    def handle_endtag(self, tag):
        if self.open and tag not in VOID:
            self.open.pop()
    def handle_data(self, data):
        for i in filter(None, self.open):
            self.facts["text"][i] = self.facts["text"].get(i, "") + data
p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps(p.facts))
EOF
}

# The page, while the job is held: both phases' progress, one row per
# task, two of them running, and the workers' pids.
check_browser() {
    local why got png=$B/status-page.png
    if ! why=$(browser_can); then
        skip page_in_browser "$why"
        return
    fi
    rm -f "$png"
    if ! run_chromium --dump-dom "$URL" > "$WORK/dom.html"; then
        fail page_in_browser "chromium failed:" \
            "$(tail -n 2 "$WORK/chromium.log")"
        return
    fi
    dom_facts "$WORK/dom.html" > "$WORK/dom.json"
    got=$(json_field "$WORK/dom.json" '(s["text"].get("map-progress"),
        s["text"].get("reduce-progress"), len(s["rows"]),
        s["rows"].count("running"),
        all(p in s["text"].get("workers", "") for p in sys.argv[3].split()))' \
        "$HELD1 $HELD2")
    if [ "$got" != "('0/4', '0/2', 6, 2, True)" ]; then
        fail page_in_browser "(map, reduce, rows, running rows, workers" \
            "shown) are ${got:-unknown}, wanted ('0/4', '0/2', 6, 2, True)"
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

# The held job ends: the gate opens and its workers finish it.
check_job_finishes() {
    local rc job
    touch "$GATE"
    wait "$JOB_TPID"; rc=$?
    sort "$JOB"/mr-out-* 2>/dev/null | grep . > "$WORK/got"
    job=$(json_field "$JOB/mr-success" 's["job"]')
    if [ "$rc" -ne 0 ]; then
        fail job_undisturbed "coordinator exited $rc:" \
            "$(tail -n 1 "$WORK/coord.log")"
    elif ! cmp -s "$WORK/got" "$WORK/ref"; then
        fail job_undisturbed "output differs from mrsequential's"
    elif [ "$job" != "$(json_field "$WORK/held.json" 's["job"]')" ]; then
        fail job_undisturbed "the marker's job $job is not the page's"
    elif ! logged "$WORK/coord.log" "job $job runs in"; then
        fail job_undisturbed "the log does not name job $job"
    else
        pass job_undisturbed
    fi
    end_jobs
}

# ---------------------------------------------------------------- linger

# --linger: once the job is over the page still answers, with the final
# state, until the coordinator is told to stop (a linger long enough that
# only SIGTERM ends it); then it exits with the job's own status (0).
check_linger() {
    local dir=$WORK/linger log=$WORK/linger.log url rc final=""
    mkdir -p "$dir"
    TIMEOUT=$HELD_TIMEOUT start_coordinator "$dir" "$log" \
        --addr "unix:$dir.s" --http 127.0.0.1:0 --linger 900 --reduce 2 \
        "$IN"/*.txt ||
        { fail linger "no coordinator: $(tail -n 1 "$log")"; return; }
    url=$(page_url "$log")
    worker "$dir" "$WORK/linger.w.log"
    if ! wait_for 30 logged "$log" "the status page stays up 900.0 s more"
    then
        fail linger "no line says the page stays up: $(tail -n 2 "$log")"
        end_jobs
        return
    fi
    [ -e "$dir/mr-success" ] || { fail linger "lingering before the marker"
                                  end_jobs; return; }
    [ "$(fetch "${url}status.json" "$WORK/final.json")" = 200 ] &&
        final=$(json_field "$WORK/final.json" \
            '(s["over"], s["phase"], s["maps"]["done"], s["reduces"]["done"])')
    kill -TERM "$CPID"
    wait "$TPID"; rc=$?
    if [ "$final" != "(True, 'done', 4, 2)" ]; then
        fail linger "the page after the job said ${final:-nothing}"
    elif [ $rc -ne 0 ]; then
        fail linger "coordinator stopped while lingering exited $rc:" \
            "$(tail -n 1 "$log")"
    else
        pass linger
    fi
    end_jobs
}

# A short --linger ends by itself: the coordinator exits 0 within its
# deadline (timeout's 124 if it lingered on), having said the page stays
# up. Only the exit is asserted: nothing is fetched in its short window.
check_linger_ends() {
    local dir=$WORK/linger-ends log=$WORK/linger-ends.log rc
    mkdir -p "$dir"
    start_coordinator "$dir" "$log" --addr "unix:$dir.s" --http 127.0.0.1:0 \
        --linger 1 --reduce 2 "$IN"/*.txt ||
        { fail linger_ends "no coordinator: $(tail -n 1 "$log")"; return; }
    worker "$dir" "$WORK/linger-ends.w.log"
    wait "$TPID"; rc=$?
    if [ $rc -ne 0 ]; then
        fail linger_ends "coordinator exited $rc: $(tail -n 1 "$log")"
    elif ! logged "$log" "the status page stays up 1.0 s more"; then
        fail linger_ends "no line says the page stays up: $(tail -n 2 "$log")"
    elif [ ! -e "$dir/mr-success" ]; then
        fail linger_ends "no marker: $(ls -A "$dir")"
    else
        pass linger_ends
    fi
    end_jobs
}

# mrrun --http: the URL before the job, the final state during --linger
# (long enough that only the interrupt ends it, however long the browser
# takes), and an interrupt then ends the linger with the job's own status
# (0).
check_mrrun() {
    local dir=$WORK/mrrun url rc final="" pid shown=""
    mkdir -p "$dir"
    (cd "$dir" && exec $HELD_TIMEOUT "$B/mrrun" --http 127.0.0.1:0 \
        --linger 900 --workers 2 --app "$FAULTY" --reduce 2 "$IN"/*.txt) \
        >"$WORK/mrrun.out" 2>"$WORK/mrrun.err" &
    pid=$!
    if ! wait_for 30 logged "$WORK/mrrun.err" "status page stays up"; then
        fail mrrun_page "no linger: $(tail -n 2 "$WORK/mrrun.err")"
        end_jobs
        return
    fi
    url=$(page_url "$WORK/mrrun.err")
    [ "$(fetch "${url}status.json" "$WORK/mrrun.json")" = 200 ] &&
        final=$(json_field "$WORK/mrrun.json" '(s["over"], s["phase"],
            s["maps"], s["reduces"]["done"], s["workers_joined"])')
    # The page in a browser shows the final state, and stops polling.
    if browser_can >/dev/null; then
        run_chromium --dump-dom "$url" > "$WORK/final-dom.html" &&
            dom_facts "$WORK/final-dom.html" > "$WORK/final-dom.json"
        shown=$(json_field "$WORK/final-dom.json" '(s["over"],
            s["text"].get("map-progress"), s["text"].get("reduce-progress"),
            s["text"].get("outcome"))')
    else
        shown="(no browser)"
    fi
    kill -TERM "$(pgrep -P "$pid")"
    wait "$pid"; rc=$?
    sort "$dir"/mr-out-* 2>/dev/null | grep . > "$WORK/mrrun.got"
    if [ "$(head -n 1 "$WORK/mrrun.err")" != "mrrun: status page at $url" ]
    then
        fail mrrun_page "the URL is not stderr's first line:" \
            "$(head -n 1 "$WORK/mrrun.err")"
    elif [ "$final" != "(True, 'done', {'total': 4, 'done': 4, 'running': 0,\
 'failed': 0}, 2, 2)" ]; then
        fail mrrun_page "the page after the job said ${final:-nothing}"
    elif [ "$shown" != "('true', '4/4', '2/2', 'over: outputs committed')" ] &&
         [ "$shown" != "(no browser)" ]; then
        fail mrrun_page "the page in a browser after the job showed" \
            "${shown:-nothing}"
    elif [ $rc -ne 0 ]; then
        fail mrrun_page "mrrun interrupted while lingering exited $rc"
    elif ! cmp -s "$WORK/mrrun.got" "$WORK/ref"; then
        fail mrrun_page "output differs from mrsequential's"
    else
        pass mrrun_page
    fi
    end_jobs
}

check_usage() {
    expect_error http_beyond_loopback_needs_token 2 \
        "give --token-file FILE, or bind 127.0.0.1" \
        "$B/mrcoordinator" --http 0.0.0.0:0 "$IN/a.txt"
    expect_error linger_needs_http 2 "give --http HOST:PORT too" \
        "$B/mrrun" --linger 5 "$IN/a.txt"
    expect_error http_wants_host_port 2 "wants HOST:PORT" \
        "$B/mrcoordinator" --http 8080 "$IN/a.txt"
    expect_error http_bad_port 2 "the port must be a number" \
        "$B/mrrun" --http 127.0.0.1:http "$IN/a.txt"
}

# ---------------------------------------------------------------- far

# ns_expect NS STATUS CURL_ARGS...: a request made in network namespace
# NS; prints what it was and got when its HTTP status is not STATUS.
ns_expect() {
    local ns=$1 want=$2 got
    shift 2
    got=$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' \
        --max-time 10 "$@")
    [ "$got" = "$want" ] || echo "curl $*: $got, wanted $want;"
}

# A page on an address other than loopback (10.79.0.1, on the loopback
# device of a network namespace of its own, so nothing changes outside
# it): only the key in the printed URL opens it, as ?token= or a Bearer
# header; no key is 401, a wrong one (the token file's secret among them)
# 403, whatever the path, method or Host.
check_beyond_loopback() {
    local ns dir=$WORK/far log=$WORK/far.log url base key secret bad
    if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
        skip page_beyond_loopback_needs_key "needs root and ip (a network" \
            "namespace with an address other than loopback)"
        return
    fi
    ns=mrpage$$-$RANDOM
    if ! { ip netns add "$ns" && ip -n "$ns" link set lo up &&
           ip -n "$ns" addr add 10.79.0.1/32 dev lo; }; then
        fail page_beyond_loopback_needs_key "cannot make namespace $ns"
        ip netns del "$ns" 2>/dev/null
        return
    fi
    mkdir -p "$dir"
    head -c 32 /dev/urandom | base64 > "$WORK/token"
    chmod 600 "$WORK/token"
    secret=$(cat "$WORK/token")
    TIMEOUT="ip netns exec $ns timeout -k 5 60" start_coordinator "$dir" \
        "$log" --addr "unix:$dir.s" --token-file "$WORK/token" \
        --http 10.79.0.1:0 "$IN"/*.txt
    url=$(page_url "$log")
    base=${url%%\?*}
    key=${url#*\?token=}
    if [ -z "$url" ] || [ "$key" = "$url" ] || [ ${#key} -ne 64 ]; then
        fail page_beyond_loopback_needs_key "no URL with a key:" \
            "$(head -n 2 "$log")"
    else
        bad=$(
            ns_expect "$ns" 401 "$base"
            ns_expect "$ns" 401 "${base}status.json"
            ns_expect "$ns" 401 -X POST "${base}status.json"
            ns_expect "$ns" 401 "${base}nope"
            ns_expect "$ns" 403 "${base}status.json?token=${key}x"
            ns_expect "$ns" 403 -H "Authorization: Bearer 0$key" "$base"
            ns_expect "$ns" 403 -H "Authorization: Bearer $secret" "$base"
            ns_expect "$ns" 200 "$url"
            ns_expect "$ns" 200 "${base}status.json?token=$key"
            ns_expect "$ns" 200 -H "Authorization: Bearer $key" \
                "${base}status.json"
            ns_expect "$ns" 405 -H "Authorization: Bearer $key" -X POST \
                "$base"
            # The key, not the Host, guards it: a foreign Host with the
            # key is served, without it refused for the key.
            ns_expect "$ns" 200 -H "Host: evil.example" "$url"
            ns_expect "$ns" 401 -H "Host: evil.example" "$base")
        if [ -n "$bad" ]; then
            fail page_beyond_loopback_needs_key "$bad"
        elif ! logged "$log" \
                "refused a request from 10.79.0.1:[0-9]*: no page key"; then
            fail page_beyond_loopback_needs_key "no line says a request" \
                "was refused"
        else
            pass page_beyond_loopback_needs_key
        fi
    fi
    end_jobs
    ip netns del "$ns"
}

check_status_json
check_statuses
check_host
check_port_in_use
check_browser
check_hostile
check_job_finishes
check_linger
check_linger_ends
check_mrrun
check_usage
check_beyond_loopback
