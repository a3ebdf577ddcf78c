/* Load benchmark of the coordinator (not a test: it prints figures and
 * never fails on speed): a real mrcoordinator, run as a child on a Unix
 * socket in a temporary directory, driven by N fake workers on N
 * connections of this one process (non-blocking sockets, one epoll set).
 *
 * Each fake worker joins as mrworker does (protocol version, pid, host,
 * cwd, taking the job's app module: the coordinator is given --app), then
 * loops GetTask -> ReportTask(ok) at once, until it is told the job is
 * over; each report asks for the next task (TaskReport.ask), so a fake
 * makes one round trip a task (--get-task: a GetTask after each report,
 * two). What a fake skips: it maps and reduces nothing, writes no
 * intermediate file and reports a map's output as left in the private
 * directory; it writes each reduce's staged output empty, where a real
 * worker would write it, so that the job commits and ends DONE (its
 * mr-out-* files empty), and does so before the clock starts (the file
 * system's cost is not the coordinator's). No heartbeats: no task runs
 * long enough to need one.
 *
 * The job: one generated input of `maps` lines of 16 bytes, cut by
 * --split-size 16 into one map task a line, and `reduces` reduce tasks.
 * Figures: assignments per second (tasks handed out over the wall time
 * from the first GetTask to the first reply saying the job is over, its
 * commit included), the round trip of the asks (a GetTask, or a report
 * that asks for the next task) that were handed a task (p50, p99; an ask
 * held until the job ends is not counted;
 * and the p99 of those handed a map task, which leaves out the workers
 * that waited at the map phase's end for its last maps), the
 * coordinator's peak RSS (VmHWM, read before it exits) and its CPU time
 * (in all, and in that window: per task handed out), and this process's
 * CPU in the window (the fake workers' share of the machine). The last
 * line, for scripts: RESULT conns=N assign_s=... p50_ms=... p99_ms=...
 * map_p99_ms=... rss_mb=... cpu_us_task=... */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "mr.pb-c.h"
#include "names.h"
#include "protocol.h"
#include "remove_tree.h"
#include "rpc.h"

#define LINE_LEN      16        /* bytes of each input line: one map task */
#define FRAME_MAX     (1u << 20)
#define CONNECT_MS    10000     /* to wait for the coordinator's socket */

struct opts {
    unsigned conns, maps, reduces;
    const char *build;          /* where mrcoordinator and apps/wc.so are */
    bool get_task;              /* ask with GetTask after each report, as
                                   workers did before TaskReport.ask */
};

enum fake_state { FAKE_JOINING, FAKE_ASKING, FAKE_REPORTING, FAKE_DONE };

/* One fake worker: one connection, one call outstanding at a time. */
struct fake {
    int fd;
    enum fake_state state;
    uint32_t next_id;
    double asked;               /* when its GetTask was sent */
    uint8_t *in;                /* bytes read, not yet a whole frame */
    size_t in_len, in_cap;
    uint8_t *out;               /* a request not yet written whole */
    size_t out_len, out_off;
};

struct run {
    struct opts o;
    char dir[64];               /* the temporary directory */
    char priv[PATH_MAX];        /* the job's private directory */
    int privfd;
    pid_t coord;
    int epfd;
    struct fake *fakes;
    unsigned joined, done;
    double first_ask, over_at;  /* 0 until then */
    uint64_t handed;            /* tasks handed out */
    struct rtts {               /* GetTask round trips, ms */
        double *ms;
        size_t n, cap;
    } rtt, map_rtt;             /* of those that got a task; a map task */
    long rss_kb;                /* the coordinator's VmHWM at the end */
    double coord_cpu0, own_cpu0;    /* CPU seconds at the first GetTask */
    double coord_cpu, own_cpu;  /* ... spent until the job's end */
    Mr__JobOutcome outcome;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static struct run *dying;       /* cleaned up by die() */

static void
die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "coord_load: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (dying != NULL && dying->coord > 0) {
        kill(dying->coord, SIGKILL);
        waitpid(dying->coord, NULL, 0);
        fprintf(stderr, "coord_load: the coordinator's log is in %s\n",
                dying->dir);
    }
    exit(1);
}

/* ---------------------------------------------------------------- setup */

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: coord_load [--conns N] [--maps M] [--reduces R]\n"
        "                  [--build DIR] [--get-task]\n"
        "Drives a real mrcoordinator (DIR/mrcoordinator, default build/)\n"
        "with N fake workers (default 1000) through a job of M map tasks\n"
        "(default 20000) and R reduce tasks (default 2000); prints\n"
        "assignments per second, the round trip of an ask and the\n"
        "coordinator's peak RSS and CPU time. Each report asks for the\n"
        "next task (one round trip a task); --get-task: a GetTask after\n"
        "each report, as before (two).\n");
}

static unsigned
parse_count(const char *opt, const char *val, unsigned max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(val, &end, 10);
    if (val[0] < '0' || val[0] > '9' || *end != '\0' || errno != 0 ||
        v == 0 || v > max) {
        fprintf(stderr, "coord_load: %s wants a count from 1 to %u, not "
                "'%s'\n", opt, max, val);
        exit(2);
    }
    return (unsigned)v;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"conns", required_argument, NULL, 'c'},
        {"maps", required_argument, NULL, 'm'},
        {"reduces", required_argument, NULL, 'r'},
        {"build", required_argument, NULL, 'b'},
        {"get-task", no_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    *o = (struct opts){1000, 20000, 2000, "build", false};
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'c')
            o->conns = parse_count("--conns", optarg, 100000);
        else if (opt == 'm')
            o->maps = parse_count("--maps", optarg, 10000000);
        else if (opt == 'r')
            o->reduces = parse_count("--reduces", optarg, 100000);
        else if (opt == 'b')
            o->build = optarg;
        else if (opt == 'g')
            o->get_task = true;
        else if (opt == 'h') {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            exit(2);
        }
    }
    if (optind != argc) {
        usage(stderr);
        exit(2);
    }
}

/* Room for the connections, the coordinator's included (it inherits the
 * limit). */
static void
raise_nofile(unsigned conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conns + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit: %s", strerror(errno));
    if (rl.rlim_cur >= want)
        return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        die("%u connections need %llu descriptors; the hard limit is %llu "
            "(raise it: ulimit -Hn)", conns, (unsigned long long)want,
            (unsigned long long)rl.rlim_max);
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("setrlimit: %s", strerror(errno));
}

/* The input: maps lines of LINE_LEN bytes. */
static void
write_input(const struct run *r)
{
    char path[PATH_MAX], line[LINE_LEN + 1];
    FILE *f;

    snprintf(path, sizeof(path), "%s/input.txt", r->dir);
    if ((f = fopen(path, "w")) == NULL)
        die("cannot write %s: %s", path, strerror(errno));
    for (unsigned i = 0; i < r->o.maps; i++) {
        snprintf(line, sizeof(line), "word%011u\n", i);
        fputs(line, f);
    }
    if (fclose(f) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

static void
start_coordinator(struct run *r)
{
    char exe[PATH_MAX], app[PATH_MAX], addr[PATH_MAX], out[PATH_MAX];
    char input[PATH_MAX], log[PATH_MAX], reduces[16], conns[16];
    int fd;

    snprintf(exe, sizeof(exe), "%s/mrcoordinator", r->o.build);
    snprintf(app, sizeof(app), "%s/apps/wc.so", r->o.build);
    snprintf(addr, sizeof(addr), "unix:%s/sock", r->dir);
    snprintf(out, sizeof(out), "%s/out", r->dir);
    snprintf(input, sizeof(input), "%s/input.txt", r->dir);
    snprintf(log, sizeof(log), "%s/coordinator.log", r->dir);
    snprintf(reduces, sizeof(reduces), "%u", r->o.reduces);
    snprintf(conns, sizeof(conns), "%u", r->o.conns + 16);
    if (access(exe, X_OK) != 0 || access(app, R_OK) != 0)
        die("%s or %s is missing: build them first (make all)", exe, app);
    if (mkdir(out, 0700) < 0)
        die("mkdir %s: %s", out, strerror(errno));
    if ((r->coord = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (r->coord == 0) {
        fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 2) < 0 || dup2(fd, 1) < 0)
            _exit(127);
        execl(exe, exe, "--addr", addr, "--app", app, "--output", out,
              "--reduce", reduces, "--split-size", "16", "--max-conns",
              conns, "--task-timeout", "600", input, (char *)NULL);
        _exit(127);
    }
}

/* A connection to the coordinator's socket, waiting for it to listen
 * (the first time) up to CONNECT_MS. Blocking while it connects (a full
 * backlog waits), non-blocking afterwards. */
static int
connect_one(const struct run *r)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    double give_up = now_s() + CONNECT_MS / 1000.0;
    int fd;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", r->dir);
    for (;;) {
        int status;
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            die("socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        if ((errno != ENOENT && errno != ECONNREFUSED) || now_s() > give_up)
            die("cannot connect to %s: %s", sa.sun_path, strerror(errno));
        close(fd);
        if (waitpid(r->coord, &status, WNOHANG) == r->coord)
            die("the coordinator exited (status %d) before listening; its "
                "log: %s/coordinator.log", status, r->dir);
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
        die("fcntl: %s", strerror(errno));
    return fd;
}

/* ---------------------------------------------------------------- wire */

static void
watch(struct run *r, struct fake *f, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = f};

    if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, f->fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
}

/* Writes what is left of f's request; watches for room when the socket
 * takes only part of it. */
static void
flush(struct run *r, struct fake *f)
{
    while (f->out_off < f->out_len) {
        ssize_t n = write(f->fd, f->out + f->out_off, f->out_len - f->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            watch(r, f, EPOLLIN | EPOLLOUT);
            return;
        }
        if (n < 0)
            die("write to the coordinator: %s", strerror(errno));
        f->out_off += (size_t)n;
    }
    free(f->out);
    f->out = NULL;
    f->out_len = f->out_off = 0;
}

static void
send_request(struct run *r, struct fake *f, const char *method,
             const ProtobufCMessage *req)
{
    size_t len = 0;
    uint8_t *buf = malloc(RPC_NOTIFY_MAX * 8);
    int rc;

    if (buf == NULL)
        die("out of memory");
    rc = rpc_client_pack_request(&mr__coordinator__descriptor, method, req,
                                 buf, RPC_NOTIFY_MAX * 8, &len);
    if (rc < 0)
        die("cannot pack %s: %d", method, rc);
    /* The id: the rpc layer packs one-way requests; ours want replies. */
    f->next_id++;
    buf[8] = (uint8_t)(f->next_id >> 24);
    buf[9] = (uint8_t)(f->next_id >> 16);
    buf[10] = (uint8_t)(f->next_id >> 8);
    buf[11] = (uint8_t)f->next_id;
    f->out = buf;
    f->out_len = len;
    f->out_off = 0;
    flush(r, f);
}

static void
send_join(struct run *r, struct fake *f)
{
    Mr__JoinRequest req = MR__JOIN_REQUEST__INIT;
    char cwd[PATH_MAX], host[256] = "";

    if (getcwd(cwd, sizeof(cwd)) == NULL)
        die("getcwd: %s", strerror(errno));
    gethostname(host, sizeof(host) - 1);
    req.protocol = MR_PROTOCOL_VERSION;
    req.pid = (uint32_t)getpid();
    req.host = host;
    req.cwd = cwd;
    req.serving = (char *)"";
    req.fetch_app = true;
    send_request(r, f, "Join", &req.base);
}

/* CPU seconds (user + system) the coordinator has used so far, from
 * /proc/PID/stat; 0 when it cannot be read. */
static double
coord_cpu_s(const struct run *r)
{
    char path[64], buf[1024], *p;
    unsigned long long utime, stime;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)r->coord);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* After the command's ')': state, then fields 4 to 13; 14, 15 are
     * utime and stime in clock ticks. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds this process (the fake workers) has used so far. */
static double
own_cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
send_get_task(struct run *r, struct fake *f)
{
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;

    req.worker_pid = (uint32_t)getpid();
    f->state = FAKE_ASKING;
    f->asked = now_s();
    if (r->first_ask == 0) {
        r->first_ask = f->asked;
        r->coord_cpu0 = coord_cpu_s(r);
        r->own_cpu0 = own_cpu_s();
    }
    send_request(r, f, "GetTask", &req.base);
}

/* Reports t done; unless --get-task, the report asks for the next task
 * (TaskReport.ask), whose round trip it then is. */
static void
send_report(struct run *r, struct fake *f, const Mr__Task *t)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    Mr__TaskRequest ask = MR__TASK_REQUEST__INIT;

    rep.kind = t->kind;
    rep.id = t->id;
    rep.attempt = t->attempt;
    rep.ok = true;
    if (!r->o.get_task) {
        ask.worker_pid = (uint32_t)getpid();
        rep.ask = &ask;
        f->asked = now_s();
    }
    f->state = FAKE_REPORTING;
    send_request(r, f, "ReportTask", &rep.base);
}

/* ---------------------------------------------------------------- replies */

static void
job_over(struct run *r, Mr__JobOutcome outcome)
{
    char path[64], line[256];
    FILE *st;

    if (r->over_at != 0)
        return;
    r->over_at = now_s();
    r->outcome = outcome;
    r->coord_cpu = coord_cpu_s(r) - r->coord_cpu0;
    r->own_cpu = own_cpu_s() - r->own_cpu0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)r->coord);
    if ((st = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), st) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &r->rss_kb) == 1)
            break;
    fclose(st);
}

static void
finish(struct run *r, struct fake *f)
{
    f->state = FAKE_DONE;
    r->done++;
}

static void
note_rtt(struct rtts *v, double ms)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4096;
        v->ms = realloc(v->ms, v->cap * sizeof(*v->ms));
        if (v->ms == NULL)
            die("out of memory");
    }
    v->ms[v->n++] = ms;
}

/* The output of attempt `attempt` of reduce `id`, empty, where its
 * worker would stage it. */
static void
stage_output(const struct run *r, uint32_t id, uint32_t attempt)
{
    char name[64];
    int fd;

    mr_staged_name(name, sizeof(name), id, attempt);
    fd = openat(r->privfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0644);
    if (fd < 0)
        die("cannot stage %s/%s: %s", r->priv, name, strerror(errno));
    close(fd);
}

/* Creating a file costs this process more than the coordinator spends on
 * a task: the outputs of every reduce's first attempt are staged before
 * the clock starts, the others' (none, unless a task is handed out
 * twice) when handed out. */
static void
stage_first_attempts(const struct run *r)
{
    for (uint32_t id = 0; id < r->o.reduces; id++)
        stage_output(r, id, 1);
}

static void
on_join(struct run *r, struct fake *f, const uint8_t *p, size_t len)
{
    Mr__JoinReply *rep = mr__join_reply__unpack(NULL, len, p);

    if (rep == NULL)
        die("a Join reply does not unpack");
    if (!rep->accepted)
        die("the coordinator refused a fake worker: %s", rep->why);
    if (r->privfd < 0) {
        snprintf(r->priv, sizeof(r->priv), "%s", rep->private_dir);
        r->privfd = open(r->priv, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->privfd < 0)
            die("cannot open %s: %s", r->priv, strerror(errno));
    }
    mr__join_reply__free_unpacked(rep, NULL);
    f->state = FAKE_ASKING;     /* asks once every fake has joined */
    r->joined++;
}

/* A task, or the job's end, handed out (by GetTask, or with a report's
 * reply) ms after it was asked for. */
static void
take_task(struct run *r, struct fake *f, const Mr__Task *t, double ms)
{
    if (t->kind == MR__TASK_KIND__TASK_EXIT) {
        job_over(r, t->outcome);
        finish(r, f);
    } else if (t->kind == MR__TASK_KIND__TASK_MAP ||
               t->kind == MR__TASK_KIND__TASK_REDUCE) {
        r->handed++;
        note_rtt(&r->rtt, ms);
        if (t->kind == MR__TASK_KIND__TASK_MAP)
            note_rtt(&r->map_rtt, ms);
        if (t->kind == MR__TASK_KIND__TASK_REDUCE && t->attempt != 1)
            stage_output(r, t->id, t->attempt);
        send_report(r, f, t);
    } else {
        die("a Task of kind %d", (int)t->kind);
    }
}

static void
on_task(struct run *r, struct fake *f, const uint8_t *p, size_t len)
{
    double ms = (now_s() - f->asked) * 1000.0;
    Mr__Task *t = mr__task__unpack(NULL, len, p);

    if (t == NULL)
        die("a Task reply does not unpack");
    take_task(r, f, t, ms);
    mr__task__free_unpacked(t, NULL);
}

static void
on_report(struct run *r, struct fake *f, const uint8_t *p, size_t len)
{
    double ms = (now_s() - f->asked) * 1000.0;
    Mr__ReportReply *rep = mr__report_reply__unpack(NULL, len, p);

    if (rep == NULL)
        die("a ReportTask reply does not unpack");
    if (rep->job_over) {
        job_over(r, rep->outcome);
        finish(r, f);
    } else if (rep->next != NULL) {
        take_task(r, f, rep->next, ms);
    } else if (!r->o.get_task) {
        die("a report that asked for the next task was answered without "
            "one");
    } else {
        send_get_task(r, f);
    }
    mr__report_reply__free_unpacked(rep, NULL);
}

/* One whole reply frame, header h, payload p. */
static void
on_frame(struct run *r, struct fake *f, const struct rpc_header *h,
         const uint8_t *p)
{
    size_t len = rpc__payload_len(h);

    if (h->kind != RPC_KIND_REPLY || h->id != f->next_id)
        die("an unexpected frame (kind %u, id %u)", h->kind, h->id);
    if (h->status != 0)
        die("the coordinator answered with error %d: %.*s", h->status,
            (int)len, (const char *)p);
    if (f->state == FAKE_JOINING)
        on_join(r, f, p, len);
    else if (f->state == FAKE_ASKING)
        on_task(r, f, p, len);
    else if (f->state == FAKE_REPORTING)
        on_report(r, f, p, len);
}

static void
on_readable(struct run *r, struct fake *f)
{
    struct rpc_header h;
    size_t off = 0;
    ssize_t n;

    if (f->in_cap - f->in_len < 65536) {
        f->in_cap = f->in_len + 65536;
        if ((f->in = realloc(f->in, f->in_cap)) == NULL)
            die("out of memory");
    }
    n = read(f->fd, f->in + f->in_len, f->in_cap - f->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        die("the coordinator closed a connection (%s)",
            n < 0 ? strerror(errno) : "EOF");
    f->in_len += (size_t)n;
    while (f->in_len - off >= RPC_HEADER_LEN &&
           f->state != FAKE_DONE) {
        int rc = rpc__header_decode(f->in + off, FRAME_MAX, &h);
        if (rc < 0)
            die("a bad frame from the coordinator (%d)", rc);
        if (f->in_len - off < RPC_PREFIX_LEN + (size_t)h.length)
            break;
        on_frame(r, f, &h, f->in + off + RPC_HEADER_LEN);
        off += RPC_PREFIX_LEN + (size_t)h.length;
    }
    memmove(f->in, f->in + off, f->in_len - off);
    f->in_len -= off;
}

/* Runs the loop until *count (joined, done) reaches every fake. */
static void
run_until(struct run *r, unsigned *count)
{
    struct epoll_event ev[256];

    while (*count < r->o.conns) {
        int n = epoll_wait(r->epfd, ev, 256, 60000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("nothing from the coordinator in 60 s (%s)",
                n < 0 ? strerror(errno) : "stuck");
        for (int i = 0; i < n; i++) {
            struct fake *f = ev[i].data.ptr;
            if (ev[i].events & EPOLLOUT) {
                watch(r, f, EPOLLIN);
                flush(r, f);
            }
            if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(r, f);
        }
    }
}

/* ---------------------------------------------------------------- figures */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The pct-th percentile of v, sorting it. */
static double
percentile(struct rtts *v, double pct)
{
    size_t i;

    if (v->n == 0)
        return 0;
    qsort(v->ms, v->n, sizeof(*v->ms), cmp_double);
    i = (size_t)(pct / 100.0 * (double)(v->n - 1) + 0.5);
    return v->ms[i < v->n ? i : v->n - 1];
}

int
main(int argc, char **argv)
{
    struct run r = {.privfd = -1};
    struct rusage ru;
    double cpu, secs, assign_s;
    int status;

    parse_args(argc, argv, &r.o);
    dying = &r;
    signal(SIGPIPE, SIG_IGN);
    raise_nofile(r.o.conns);
    snprintf(r.dir, sizeof(r.dir), "/tmp/mr-coordload-%d-XXXXXX",
             (int)getpid());
    if (mkdtemp(r.dir) == NULL)
        die("mkdtemp: %s", strerror(errno));
    write_input(&r);
    start_coordinator(&r);
    if ((r.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die("epoll_create1: %s", strerror(errno));
    if ((r.fakes = calloc(r.o.conns, sizeof(*r.fakes))) == NULL)
        die("out of memory");
    for (unsigned i = 0; i < r.o.conns; i++) {
        struct fake *f = &r.fakes[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f};
        f->fd = connect_one(&r);
        if (epoll_ctl(r.epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0)
            die("epoll_ctl: %s", strerror(errno));
        send_join(&r, f);
    }
    run_until(&r, &r.joined);
    stage_first_attempts(&r);
    for (unsigned i = 0; i < r.o.conns; i++)
        send_get_task(&r, &r.fakes[i]);
    run_until(&r, &r.done);
    for (unsigned i = 0; i < r.o.conns; i++)
        close(r.fakes[i].fd);
    if (wait4(r.coord, &status, 0, &ru) != r.coord)
        die("wait4: %s", strerror(errno));
    dying = NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        r.outcome != MR__JOB_OUTCOME__OUTCOME_DONE)
        die("the job did not end DONE (coordinator status %d); its log is "
            "in %s", status, r.dir);
    if (r.rss_kb < ru.ru_maxrss)
        r.rss_kb = ru.ru_maxrss;
    cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
          (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    secs = r.over_at - r.first_ask;
    assign_s = (double)r.handed / secs;
    printf("%u connections, %u maps, %u reduces: %llu tasks handed out in "
           "%.3f s (%.0f/s); ask p50 %.2f ms, p99 %.2f ms (p99 of those "
           "handed a map task %.2f ms); coordinator peak RSS %.1f MiB, CPU "
           "%.2f s in all, %.2f s (%.1f us a task) from the first GetTask to "
           "the end; the fake workers' CPU meanwhile %.2f s\n",
           r.o.conns, r.o.maps, r.o.reduces, (unsigned long long)r.handed,
           secs, assign_s, percentile(&r.rtt, 50), percentile(&r.rtt, 99),
           percentile(&r.map_rtt, 99), (double)r.rss_kb / 1024.0, cpu,
           r.coord_cpu, r.coord_cpu * 1e6 / (double)r.handed, r.own_cpu);
    printf("RESULT conns=%u assign_s=%.0f p50_ms=%.2f p99_ms=%.2f "
           "map_p99_ms=%.2f rss_mb=%.1f cpu_us_task=%.1f\n", r.o.conns,
           assign_s, percentile(&r.rtt, 50), percentile(&r.rtt, 99),
           percentile(&r.map_rtt, 99), (double)r.rss_kb / 1024.0,
           r.coord_cpu * 1e6 / (double)r.handed);
    close(r.privfd);
    if (remove_tree_at(AT_FDCWD, r.dir, 8) < 0)
        fprintf(stderr, "coord_load: could not remove %s\n", r.dir);
    free(r.rtt.ms);
    free(r.map_rtt.ms);
    for (unsigned i = 0; i < r.o.conns; i++)
        free(r.fakes[i].in);
    free(r.fakes);
    return 0;
}
