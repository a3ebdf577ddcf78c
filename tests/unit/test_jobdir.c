/* The job directory: a job holds the lock and a private directory and
 * leaves nothing when it ends; a second job is refused with the first one
 * named; a commit replaces the whole output set and writes the marker
 * last; what a dead job left is removed, or its commit finished; files
 * that are not a job's are never touched. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobdir.h"
#include "names.h"
#include "tmpdir.h"

static char dir[64];

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "jobdir-test"), 0);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(jobdir, .init = setup, .fini = teardown);

static void
put(const char *rel, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

/* The file's text, or "" when it is missing (static buffer). */
static const char *
get(const char *rel)
{
    static char buf[4096];
    char path[256];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    buf[0] = '\0';
    if ((f = fopen(path, "r")) == NULL)
        return buf;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool
exists(const char *rel)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return access(path, F_OK) == 0;
}

/* The directory's entries, sorted, space-separated. */
static const char *
listing(void)
{
    static char buf[2048];
    struct dirent **v;
    int n = scandir(dir, &v, NULL, alphasort);

    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, "..")) {
            strcat(buf, v[i]->d_name);
            strcat(buf, " ");
        }
        free(v[i]);
    }
    free(v);
    return buf;
}

static jobdir *
open_job(const char *id, const char *app)
{
    struct jobdir_owner owner = {.job_id = id, .app = app};
    char err[MR_ERR_LEN];
    jobdir *jd;

    cr_assert_eq(jobdir_open(dir, &owner, &jd, err), 0, "%s", err);
    return jd;
}

Test(jobdir, a_job_leaves_nothing_when_it_ends)
{
    jobdir *jd = open_job("0123456789ab", "wc");
    char priv[256];

    snprintf(priv, sizeof(priv), "%s/.mr-0123456789ab", dir);
    cr_assert_str_eq(jobdir_private(jd), priv);
    cr_assert_str_eq(jobdir_path(jd), dir);
    cr_assert(exists(".mr-lock"));
    put(".mr-0123456789ab/mr-im-0-1", "intermediate");
    put(".mr-0123456789ab/mr-tmp-1-0", "a killed worker's temporary");
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "");
}

Test(jobdir, a_second_job_is_refused_naming_the_first)
{
    struct jobdir_owner second = {.job_id = "bbbbbbbbbbbb", .app = "indexer"};
    jobdir *jd = open_job("aaaaaaaaaaaa", "wc"), *other = NULL;
    char err[MR_ERR_LEN];

    cr_assert_eq(jobdir_open(dir, &second, &other, err), MR_EINUSE);
    cr_assert_null(other);
    cr_assert(strstr(err, "in use by job aaaaaaaaaaaa (app wc") != NULL,
              "%s", err);
    cr_assert(strstr(err, "another directory") != NULL, "%s", err);
    cr_assert(!exists(".mr-bbbbbbbbbbbb"), "the refused job wrote files");
    jobdir_close(jd);
    /* Once the first has ended, the second may run. */
    other = open_job("bbbbbbbbbbbb", "indexer");
    jobdir_close(other);
}

Test(jobdir, commit_replaces_the_whole_output_set)
{
    static const char *staged[] = {"mr-staged-0-2", "mr-staged-1-1",
                                   "mr-staged-2-1"};
    const char summary[] = "{\"job\": \"0123456789ab\"}\n";
    char err[MR_ERR_LEN];
    jobdir *jd;

    /* An earlier job's ten outputs and marker, and files that are not a
     * job's: mr-out-x, mr-out-007, mr-outer. */
    for (int r = 0; r < 10; r++) {
        char name[32];
        snprintf(name, sizeof(name), "mr-out-%d", r);
        put(name, "old\n");
    }
    put("mr-success", "old marker");
    put("mr-out-x", "mine");
    put("mr-out-007", "mine");
    put("mr-outer", "mine");
    jd = open_job("0123456789ab", "wc");
    put(".mr-0123456789ab/mr-staged-0-2", "zero\n");
    put(".mr-0123456789ab/mr-staged-0-1", "a losing attempt\n");
    put(".mr-0123456789ab/mr-staged-1-1", "one\n");
    put(".mr-0123456789ab/mr-staged-2-1", "");
    cr_assert_eq(jobdir_commit(jd, 3, staged, summary, strlen(summary), err),
                 0, "%s", err);
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "mr-out-0 mr-out-007 mr-out-1 mr-out-2 "
                                "mr-out-x mr-outer mr-success ");
    cr_assert_str_eq(get("mr-out-0"), "zero\n");
    cr_assert_str_eq(get("mr-out-1"), "one\n");
    cr_assert_str_eq(get("mr-out-2"), "");
    cr_assert_str_eq(get("mr-success"), summary);
    cr_assert_str_eq(get("mr-out-x"), "mine");
}

Test(jobdir, a_missing_staged_output_fails_the_commit_and_changes_nothing)
{
    static const char *staged[] = {"mr-staged-0-1", "mr-staged-1-1"};
    char err[MR_ERR_LEN];
    jobdir *jd;

    put("mr-out-0", "old\n");
    put("mr-success", "old marker");
    jd = open_job("0123456789ab", "wc");
    put(".mr-0123456789ab/mr-staged-0-1", "new\n");
    cr_assert_neq(jobdir_commit(jd, 2, staged, "{}", 2, err), 0);
    cr_assert(strstr(err, "reduce task 1") != NULL, "%s", err);
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "mr-out-0 mr-success ");
    cr_assert_str_eq(get("mr-out-0"), "old\n");
    cr_assert_str_eq(get("mr-success"), "old marker");
}

/* What a SIGKILLed coordinator leaves: its lock (nobody holds it now) and
 * its private directory. The next job removes them, and touches nothing
 * else. */
Test(jobdir, a_dead_jobs_files_are_removed_by_the_next_job)
{
    jobdir *jd;

    put("mr-out-0", "an earlier result\n");
    put("mr-success", "an earlier marker");
    put(".mr-lock", "job deadbeef0001\napp wc\npid 1\n");
    {
        char path[256];
        snprintf(path, sizeof(path), "%s/.mr-deadbeef0001", dir);
        cr_assert_eq(mkdir(path, 0755), 0);
    }
    put(".mr-deadbeef0001/mr-im-0-1", "x");
    put(".mr-deadbeef0001/mr-staged-0-1", "half a result\n");
    jd = open_job("0123456789ab", "wc");
    cr_assert(!exists(".mr-deadbeef0001"));
    cr_assert_str_eq(get("mr-out-0"), "an earlier result\n");
    cr_assert_str_eq(get("mr-success"), "an earlier marker");
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "mr-out-0 mr-success ");
}

/* A coordinator killed in the middle of its commit: the record is written,
 * output 0 was moved, output 1 was not, the old marker is gone. The next
 * job finishes that commit before anything else. */
Test(jobdir, an_interrupted_commit_is_finished_by_the_next_job)
{
    char path[256];
    jobdir *jd;

    put("mr-out-0", "new zero\n");
    put("mr-out-1", "old one\n");
    put("mr-out-5", "old five\n");
    put(".mr-lock", "");
    snprintf(path, sizeof(path), "%s/.mr-deadbeef0002", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    put(".mr-deadbeef0002/mr-commit-1", "new one\n");
    put(".mr-deadbeef0002/mr-commit", "mr-commit 2\n{\"job\": \"dead\"}\n");
    jd = open_job("0123456789ab", "wc");
    cr_assert_str_eq(get("mr-out-0"), "new zero\n");
    cr_assert_str_eq(get("mr-out-1"), "new one\n");
    cr_assert(!exists("mr-out-5"));
    cr_assert_str_eq(get("mr-success"), "{\"job\": \"dead\"}\n");
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "mr-out-0 mr-out-1 mr-success ");
}

Test(jobdir, a_directory_that_cannot_be_used_is_named)
{
    struct jobdir_owner owner = {.job_id = "0123456789ab", .app = "wc"};
    char err[MR_ERR_LEN], missing[256];
    jobdir *jd;

    snprintf(missing, sizeof(missing), "%s/nope", dir);
    cr_assert_lt(jobdir_open(missing, &owner, &jd, err), 0);
    cr_assert(strstr(err, "nope") != NULL &&
              strstr(err, "No such file") != NULL, "%s", err);
}

/* A directory where an output goes cannot be replaced: the commit stops
 * before its point of no return, and nothing has changed. A directory
 * named like an output above R is nobody's output: it stays. */
Test(jobdir, directories_named_like_outputs)
{
    static const char *staged[] = {"mr-staged-0-1", "mr-staged-1-1"};
    char err[MR_ERR_LEN], path[256];
    jobdir *jd;

    put("mr-out-0", "old\n");
    snprintf(path, sizeof(path), "%s/mr-out-1", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    jd = open_job("0123456789ab", "wc");
    put(".mr-0123456789ab/mr-staged-0-1", "new\n");
    put(".mr-0123456789ab/mr-staged-1-1", "new\n");
    cr_assert_neq(jobdir_commit(jd, 2, staged, "{}", 2, err), 0);
    cr_assert(strstr(err, "mr-out-1 is a directory") != NULL, "%s", err);
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "mr-out-0 mr-out-1 ");
    cr_assert_str_eq(get("mr-out-0"), "old\n");

    /* The same directory, above this job's R: it stays, the commit goes
     * through. */
    jd = open_job("0123456789ac", "wc");
    put(".mr-0123456789ac/mr-staged-0-1", "new\n");
    cr_assert_eq(jobdir_commit(jd, 1, staged, "{}", 2, err), 0, "%s", err);
    jobdir_close(jd);
    cr_assert_str_eq(listing(), "mr-out-0 mr-out-1 mr-success ");
    cr_assert_str_eq(get("mr-out-0"), "new\n");
}

/* A dead job's files that cannot all be removed (here, deeper than the
 * sweep goes; on NFS, a stale worker's .nfs file) do not stop the next
 * job: they are left for a later one. */
Test(jobdir, a_dead_job_that_cannot_be_swept_does_not_block)
{
    char path[512];
    jobdir *jd;

    snprintf(path, sizeof(path), "%s/.mr-deadbeef0003/a/b/c/d/e/f", dir);
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL;
         p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    cr_assert_eq(mkdir(path, 0755), 0);
    jd = open_job("0123456789ab", "wc");
    jobdir_close(jd);
    cr_assert_str_eq(listing(), ".mr-deadbeef0003-gone ");
}

/* A commit record that is not one (cut short, garbled) is not finished:
 * the directory is refused with a line naming the record, rather than
 * acting on it. */
Test(jobdir, a_garbled_commit_record_is_refused)
{
    struct jobdir_owner owner = {.job_id = "0123456789ab", .app = "wc"};
    char err[MR_ERR_LEN], path[256];
    jobdir *jd;

    snprintf(path, sizeof(path), "%s/.mr-deadbeef0004", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    put(".mr-deadbeef0004/mr-commit", "mr-commit -1\n{}\n");
    put("mr-out-0", "old\n");
    cr_assert_lt(jobdir_open(dir, &owner, &jd, err), 0);
    cr_assert(strstr(err, "commit record .mr-deadbeef0004/mr-commit") !=
              NULL, "%s", err);
    cr_assert_str_eq(get("mr-out-0"), "old\n");
}
