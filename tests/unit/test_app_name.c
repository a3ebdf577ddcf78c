/* The rule for naming apps (common/app_name.h), on a build's layout and an
 * install's: a path as it is, a file in the current directory, NAME or
 * NAME.so from the apps directories, and what a name found nowhere says. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_name.h"
#include "tmpdir.h"

static char dir[64];            /* the test's directory, also its cwd */
static char old_cwd[PATH_MAX];

/* Creates the empty file dir/rel, and the directories on its way. */
static void
touch(const char *rel)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL;
         p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
    close(fd);
}

/* A build (build/mrrun, build/apps/wc.so, build/apps/indexer.so), an
 * install (usr/bin/mrrun, usr/lib/mapreduce/apps/wc.so and grep.so), and
 * here.so in the current directory. */
static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "app-name"), 0);
    cr_assert_not_null(getcwd(old_cwd, sizeof(old_cwd)));
    cr_assert_eq(chdir(dir), 0);
    touch("build/apps/wc.so");
    touch("build/apps/indexer.so");
    touch("build/apps/notes.txt");
    touch("usr/bin/mrrun");
    touch("usr/lib/mapreduce/apps/wc.so");
    touch("usr/lib/mapreduce/apps/grep.so");
    touch("here.so");
    mkdir("wc", 0755);          /* a directory named like an app */
}

static void
teardown(void)
{
    cr_assert_eq(chdir(old_cwd), 0);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(app_name, .init = setup, .fini = teardown);

struct found_case {
    const char *spec;
    const char *exe_dir;        /* under dir */
    const char *want;           /* under dir when it starts with '/' */
};

Test(app_name, finds_by_the_rule)
{
    static const struct found_case cases[] = {
        {"wc", "build", "/build/apps/wc.so"},
        {"wc.so", "build", "/build/apps/wc.so"},
        {"indexer", "build", "/build/apps/indexer.so"},
        {"wc", "usr/bin", "/usr/lib/mapreduce/apps/wc.so"},
        {"grep.so", "usr/bin", "/usr/lib/mapreduce/apps/grep.so"},
        {"here.so", "build", "here.so"},            /* a file here */
        {"./missing.so", "build", "./missing.so"},  /* a path, as it is */
        {"/x/y.so", "build", "/x/y.so"},
    };
    char exe[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
    char err[APP_NAME_ERR_LEN];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct found_case *c = &cases[i];

        snprintf(exe, sizeof(exe), "%s/%s", dir, c->exe_dir);
        if (c->want[0] == '/' && strncmp(c->want, "/x/", 3) != 0)
            snprintf(want, sizeof(want), "%s%s", dir, c->want);
        else
            snprintf(want, sizeof(want), "%s", c->want);
        cr_assert_eq(app_name_resolve_in(c->spec, exe, path, sizeof(path),
                                         err), 0, "%s: %s", c->spec, err);
        cr_expect_str_eq(path, want, "spec %s from %s", c->spec, c->exe_dir);
    }
}

Test(app_name, a_name_found_nowhere_says_what_was_tried_and_what_there_is)
{
    char exe[PATH_MAX], path[PATH_MAX], err[APP_NAME_ERR_LEN], want[512];

    snprintf(exe, sizeof(exe), "%s/usr/bin", dir);
    cr_assert_eq(app_name_resolve_in("nosuch.so", exe, path, sizeof(path),
                                     err), -ENOENT);
    cr_expect(strstr(err, "not ./nosuch.so"), "%s", err);
    snprintf(want, sizeof(want), "%s/usr/bin/apps/nosuch.so", dir);
    cr_expect(strstr(err, want), "%s", err);
    snprintf(want, sizeof(want), "%s/usr/lib/mapreduce/apps/nosuch.so", dir);
    cr_expect(strstr(err, want), "%s", err);
    cr_expect(strstr(err, "apps there: grep, wc") &&
              !strstr(err, "wc, wc"), "%s", err);
    cr_expect(strchr(err, '\n') == NULL, "not one line: %s", err);
}

/* Apps in both places (the build's next to the program, and an install's
 * under ../lib): the names of both, sorted, each once. */
Test(app_name, apps_in_both_places_are_listed_once)
{
    char exe[PATH_MAX], path[PATH_MAX], err[APP_NAME_ERR_LEN];

    touch("both/bin/apps/alpha.so");
    touch("both/bin/apps/beta.so");
    touch("both/lib/mapreduce/apps/beta.so");
    touch("both/lib/mapreduce/apps/gamma.so");
    snprintf(exe, sizeof(exe), "%s/both/bin", dir);
    cr_assert_eq(app_name_resolve_in("nosuch", exe, path, sizeof(path),
                                     err), -ENOENT);
    cr_expect(strstr(err, "apps there: alpha, beta, gamma") != NULL, "%s",
              err);
}

Test(app_name, a_directory_here_is_not_an_app_file)
{
    char exe[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
    char err[APP_NAME_ERR_LEN];

    snprintf(exe, sizeof(exe), "%s/build", dir);
    snprintf(want, sizeof(want), "%s/build/apps/wc.so", dir);
    cr_assert_eq(app_name_resolve_in("wc", exe, path, sizeof(path), err), 0);
    cr_expect_str_eq(path, want);
}

Test(app_name, no_apps_anywhere)
{
    char path[PATH_MAX], err[APP_NAME_ERR_LEN];

    cr_assert_eq(app_name_resolve_in("wc", "/nonexistent/bin", path,
                                     sizeof(path), err), -ENOENT);
    cr_expect(strstr(err, "none (build them with 'make')"), "%s", err);
    cr_assert_eq(app_name_resolve_in("", "/nonexistent/bin", path,
                                     sizeof(path), err), -EINVAL);
}
