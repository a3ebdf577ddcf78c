/* The exec pump (worker/exec_pump.h): real children over real pipes. 50 MB
 * echoed through `cat` arrive intact in bounded memory; a child that
 * writes before it reads does not deadlock; one that stops reading is no
 * error; exit statuses, signals and silence fail the run, naming the
 * command; no child is left behind. A watched run (exec_run_watched) says
 * how many bytes a child that died read, and given a line at a time a
 * child has at most one line in its pipe. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "exec_pump.h"

/* A stream of len bytes whose byte i is (i * 7 + i / 4096) mod 251. */
static char
pattern(uint64_t i)
{
    return (char)((i * 7 + i / 4096) % 251);
}

struct gen {
    uint64_t at, len;
};

static ssize_t
gen_fill(void *arg, char *buf, size_t cap, char err[MR_ERR_LEN])
{
    struct gen *g = arg;
    size_t n = 0;

    (void)err;
    while (n < cap && g->at < g->len)
        buf[n++] = pattern(g->at++);
    return (ssize_t)n;
}

struct check {
    uint64_t at;
    bool bad;
    int ends;
};

static int
check_take(void *arg, const char *bytes, size_t len, bool at_end,
           char err[MR_ERR_LEN])
{
    struct check *c = arg;

    (void)err;
    for (size_t i = 0; i < len; i++)
        if (bytes[i] != pattern(c->at++))
            c->bad = true;
    c->ends += at_end;
    return 0;
}

static int
count_take(void *arg, const char *bytes, size_t len, bool at_end,
           char err[MR_ERR_LEN])
{
    (void)bytes, (void)at_end, (void)err;
    *(uint64_t *)arg += len;
    return 0;
}

static long
peak_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void
no_children_left(void)
{
    cr_expect(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
              "a child was left unreaped");
}

static void
ignore_sigpipe(void)
{
    signal(SIGPIPE, SIG_IGN);
}

TestSuite(exec_pump, .init = ignore_sigpipe);

Test(exec_pump, cat_echoes_50_mb_in_bounded_memory)
{
    struct gen g = {0, 50u << 20};
    struct check c = {0};
    struct exec_io io = {gen_fill, &g, check_take, &c};
    char err[MR_ERR_LEN];
    long before = peak_rss_kb();

    cr_assert_eq(exec_run("cat", "mapper", &io, 10000, err), 0, "%s", err);
    cr_expect_eq(c.at, g.len, "%llu bytes came back",
                 (unsigned long long)c.at);
    cr_expect(!c.bad, "the bytes came back changed");
    cr_expect_eq(c.ends, 1);
    cr_expect_lt(peak_rss_kb() - before, 8 * 1024,
                 "the peak grew by %ld KiB", peak_rss_kb() - before);
    no_children_left();
}

Test(exec_pump, a_child_writing_before_reading_does_not_deadlock)
{
    struct gen g = {0, 4u << 20};
    uint64_t got = 0;
    struct exec_io io = {gen_fill, &g, count_take, &got};
    char err[MR_ERR_LEN];

    /* 2 MB out before a byte is read, then all of the input counted. */
    cr_assert_eq(exec_run("head -c 2097152 /dev/zero; wc -c", "mapper", &io,
                          10000, err), 0, "%s", err);
    cr_expect_eq(got, (2u << 20) + strlen("4194304\n"));
}

Test(exec_pump, a_child_that_stops_reading_is_fine)
{
    struct gen g = {0, 8u << 20};
    uint64_t got = 0;
    struct exec_io io = {gen_fill, &g, count_take, &got};
    char err[MR_ERR_LEN];

    cr_assert_eq(exec_run("head -c 10", "mapper", &io, 10000, err), 0, "%s",
                 err);
    cr_expect_eq(got, 10);
    no_children_left();
}

Test(exec_pump, exit_status_signal_and_missing_command_fail)
{
    static const struct {
        const char *cmd, *want;
    } cases[] = {
        {"exit 3", "mapper `exit 3` exited with status 3"},
        {"kill -9 $$", "was killed by signal 9"},
        {"no-such-command-here", "status 127: the shell could not run it"},
        {"sh -c 'kill -SEGV $$'", "was killed by signal 11 (Segmentation "
                                  "fault, exit status 139 from its shell)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gen g = {0, 1000};
        uint64_t got = 0;
        struct exec_io io = {gen_fill, &g, count_take, &got};
        char err[MR_ERR_LEN];

        cr_expect_eq(exec_run(cases[i].cmd, "mapper", &io, 10000, err),
                     MR_EAPP, "%s", cases[i].cmd);
        cr_expect(strstr(err, cases[i].want) != NULL, "'%s' lacks '%s'", err,
                  cases[i].want);
    }
    no_children_left();
}

Test(exec_pump, silence_kills_the_whole_process_group)
{
    struct gen g = {0, 1000};
    uint64_t got = 0;
    struct exec_io io = {gen_fill, &g, count_take, &got};
    char err[MR_ERR_LEN];

    /* sh waits for a pipeline: both sleeps must die, not just sh. */
    cr_assert_eq(exec_run("sleep 30 | sleep 31", "reducer", &io, 200, err),
                 -ETIMEDOUT);
    cr_expect(strstr(err, "reducer `sleep 30 | sleep 31` neither read nor "
                     "wrote") != NULL, "%s", err);
    no_children_left();
    cr_expect_neq(system("pgrep -x -f 'sleep 31' > /dev/null"), 0,
                  "a sleep of the pipeline is still running");
}

static int
refuse_take(void *arg, const char *bytes, size_t len, bool at_end,
            char err[MR_ERR_LEN])
{
    (void)arg, (void)bytes, (void)len, (void)at_end;
    snprintf(err, MR_ERR_LEN, "bad record");
    return MR_EAPP;
}

Test(exec_pump, a_take_error_kills_the_child)
{
    struct gen g = {0, 1000};
    struct exec_io io = {gen_fill, &g, refuse_take, NULL};
    char err[MR_ERR_LEN];

    cr_assert_eq(exec_run("echo hi; sleep 30", "mapper", &io, 10000, err),
                 MR_EAPP);
    cr_expect_str_eq(err, "bad record");
    no_children_left();
}

/* Lines "line N\n" one per fill call (as exec_map gives them one at a
 * time); counts the calls. */
struct lines {
    unsigned next, n, calls;
};

static ssize_t
lines_fill(void *arg, char *buf, size_t cap, char err[MR_ERR_LEN])
{
    struct lines *l = arg;

    (void)err, (void)cap;
    l->calls++;
    if (l->next == l->n)
        return 0;
    return snprintf(buf, cap, "line %u\n", l->next++);
}

/* A child that reads two lines and dies of SIGSEGV (dash's `read` takes a
 * pipe's bytes one at a time, so it reads exactly those): in bulk, all
 * lines are written and what it read is written minus unread; one at a
 * time, at most the third line is written before it dies. */
Test(exec_pump, a_watched_child_that_dies_says_what_it_read)
{
    static const char *cmd = "read a; read b; kill -SEGV $$";
    const uint64_t two = 2 * strlen("line 0\n");

    for (int one = 0; one <= 1; one++) {
        struct lines l = {0, 1000, 0};
        uint64_t got = 0;
        struct exec_io io = {lines_fill, &l, count_take, &got};
        struct exec_watch w = {.one_at_a_time = one};
        char err[MR_ERR_LEN];

        cr_assert_eq(exec_run_watched(cmd, "mapper", &io, 10000, &w, err),
                     MR_EAPP, "%s", err);
        cr_expect_eq(w.signo, SIGSEGV, "one at a time: %d", one);
        cr_assert_geq(w.unread, 0);
        cr_expect_eq(w.written - (uint64_t)w.unread, two,
                     "one at a time %d: written %llu, unread %ld", one,
                     (unsigned long long)w.written, w.unread);
        if (one)
            cr_expect_leq(l.next, 3, "%u lines given one at a time",
                          l.next);
        else
            cr_expect_gt(l.next, 3, "only %u lines given in bulk", l.next);
    }
    no_children_left();
}

/* One at a time, a child that reads all its lines gets them all, and a
 * run that succeeds leaves signo 0. */
Test(exec_pump, one_at_a_time_gives_every_line)
{
    struct lines l = {0, 300, 0};
    uint64_t got = 0;
    struct exec_io io = {lines_fill, &l, count_take, &got};
    struct exec_watch w = {.one_at_a_time = true};
    char err[MR_ERR_LEN];

    cr_assert_eq(exec_run_watched("cat", "mapper", &io, 10000, &w, err), 0,
                 "%s", err);
    cr_expect_eq(l.next, 300);
    cr_expect_eq(got, w.written);
    cr_expect_eq(w.signo, 0);
    cr_expect_eq(w.unread, 0);
    no_children_left();
}
