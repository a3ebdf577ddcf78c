/* Who may see the status page (coordinator/status_access.h): --http
 * addresses, good and bad, and which are loopback; the page key derived
 * from a secret, and the verdicts on the keys requests carry. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "status_access.h"

Test(status_access, addresses)
{
    static const struct {
        const char *text;
        const char *bound;      /* status_addr_format() of it */
        bool loopback;
    } good[] = {
        {"127.0.0.1:8080", "127.0.0.1:8080", true},
        {":0", "127.0.0.1:0", true},
        {"127.3.2.1:65535", "127.3.2.1:65535", true},
        {"[::1]:0", "[::1]:0", true},
        {"[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]:80", true},
        {"0.0.0.0:0", "0.0.0.0:0", false},
        {"10.1.2.3:9000", "10.1.2.3:9000", false},
        {"[::]:1", "[::]:1", false},
    };
    static const struct {
        const char *text;
        const char *says;       /* in the message */
    } bad[] = {
        {"8080", "wants HOST:PORT"},
        {"127.0.0.1", "wants HOST:PORT"},
        {"127.0.0.1:", "the port must be a number"},
        {"127.0.0.1:65536", "the port must be a number"},
        {"127.0.0.1:-1", "the port must be a number"},
        {"127.0.0.1:80x", "the port must be a number"},
        {"::1:80", "in brackets"},
        {"[::1:80", "[ADDRESS]:PORT"},
        {"[::1]80", "[ADDRESS]:PORT"},
    };
    struct status_addr a;
    char err[MR_ERR_LEN], text[80];

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cr_assert_eq(status_addr_parse(good[i].text, &a, err), 0, "%s: %s",
                     good[i].text, err);
        status_addr_format(&a.sa, text, sizeof(text));
        cr_expect_str_eq(text, good[i].bound, "%s", good[i].text);
        cr_expect_eq(a.loopback, good[i].loopback, "%s", good[i].text);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_expect_eq(status_addr_parse(bad[i].text, &a, err), -EINVAL, "%s",
                     bad[i].text);
        cr_expect(strstr(err, bad[i].says) != NULL, "%s: '%s' lacks '%s'",
                  bad[i].text, err, bad[i].says);
        cr_expect(strstr(err, "--http") != NULL, "%s: '%s'", bad[i].text,
                  err);
    }
}

Test(status_access, no_key_needed_serves_all)
{
    struct status_key k;

    cr_assert_eq(status_key_init(&k, NULL, 0, false), 0);
    cr_expect_eq(status_key_check(&k, NULL, NULL), STATUS_SERVE);
    cr_expect_eq(status_key_check(&k, "Bearer nonsense", "x"), STATUS_SERVE);
}

Test(status_access, key_verdicts)
{
    static const uint8_t secret[] = "a secret of more than sixteen bytes";
    struct status_key k, other;
    char bearer[128], upper[128];

    cr_assert_eq(status_key_init(&k, secret, sizeof(secret) - 1, true), 0);
    cr_assert_eq(strlen(k.hex), STATUS_KEY_HEX_LEN);
    cr_expect(strstr(k.hex, "secret") == NULL);
    /* The key is derived, the same each time, and is not the secret. */
    cr_assert_eq(status_key_init(&other, secret, sizeof(secret) - 1, true),
                 0);
    cr_expect_str_eq(k.hex, other.hex);
    cr_assert_eq(status_key_init(&other, secret, sizeof(secret) - 2, true),
                 0);
    cr_expect_str_neq(k.hex, other.hex);

    snprintf(bearer, sizeof(bearer), "Bearer %s", k.hex);
    snprintf(upper, sizeof(upper), "bearer   %s", k.hex);
    cr_expect_eq(status_key_check(&k, bearer, NULL), STATUS_SERVE);
    cr_expect_eq(status_key_check(&k, upper, NULL), STATUS_SERVE);
    cr_expect_eq(status_key_check(&k, NULL, k.hex), STATUS_SERVE);
    /* A Bearer header wins over the URL's argument. */
    cr_expect_eq(status_key_check(&k, "Bearer wrong", k.hex),
                 STATUS_WRONG_KEY);
    cr_expect_eq(status_key_check(&k, bearer, "wrong"), STATUS_SERVE);
    cr_expect_eq(status_key_check(&k, NULL, NULL), STATUS_NO_KEY);
    cr_expect_eq(status_key_check(&k, NULL, ""), STATUS_NO_KEY);
    cr_expect_eq(status_key_check(&k, "Basic abc", NULL), STATUS_NO_KEY);
    cr_expect_eq(status_key_check(&k, NULL, (const char *)secret),
                 STATUS_WRONG_KEY, "the secret itself opens the page");
    cr_expect_eq(status_key_check(&k, NULL, other.hex), STATUS_WRONG_KEY);
    bearer[strlen(bearer) - 1] = '\0';
    cr_expect_eq(status_key_check(&k, bearer, NULL), STATUS_WRONG_KEY);
    status_key_forget(&k);
    cr_expect_eq(k.hex[0], '\0');
}

/* The Host headers a page without a key answers (DNS rebinding: a web
 * page that rebinds its own name to 127.0.0.1 sends that name). */
Test(status_access, loopback_hosts)
{
    static const struct {
        const char *host;
        const char *name;       /* the host --http named */
        bool loopback;
    } cases[] = {
        {"127.0.0.1", NULL, true},
        {"127.0.0.1:8080", NULL, true},
        {"127.3.2.1:65535", NULL, true},
        {"localhost", NULL, true},
        {"localhost:8080", NULL, true},
        {"LocalHost:1", NULL, true},
        {"[::1]", NULL, true},
        {"[::1]:8080", NULL, true},
        {"[0:0:0:0:0:0:0:1]:80", NULL, true},
        {"myhost:8080", "myhost", true},
        {"MYHOST", "myhost", true},
        {"evil.example", NULL, false},
        {"evil.example:8080", NULL, false},
        {"evil.example:8080", "myhost", false},
        {"myhost:8080", NULL, false},
        {"myhost:8080", "", false},
        {"", NULL, false},
        {":8080", NULL, false},
        {"127.0.0.1.evil.example", NULL, false},
        {"localhost.evil.example:80", NULL, false},
        {"localhost.", NULL, false},
        {"128.0.0.1:80", NULL, false},
        {"10.0.0.1", NULL, false},
        {"0.0.0.0:8080", NULL, false},
        {"127.0.0.1:", NULL, false},
        {"127.0.0.1:123456", NULL, false},
        {"127.0.0.1:80x", NULL, false},
        {"127.0.0.1:80:81", NULL, false},
        {"127.0.0.1 evil", NULL, false},
        {"[::1", NULL, false},
        {"[::1]x", NULL, false},
        {"[::2]:80", NULL, false},
        {"[::ffff:10.0.0.1]", NULL, false},
        {"[::1%lo]:80", NULL, false},
        {"::1", NULL, false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(status_host_is_loopback(cases[i].host, cases[i].name),
                     cases[i].loopback, "Host '%s' (--http named %s)",
                     cases[i].host, cases[i].name ? cases[i].name : "none");
}

Test(status_access, the_name_given_is_kept)
{
    struct status_addr a;
    char err[MR_ERR_LEN];

    cr_assert_eq(status_addr_parse("localhost:0", &a, err), 0, "%s", err);
    cr_expect_str_eq(a.name, "localhost");
    cr_assert_eq(status_addr_parse("[::1]:0", &a, err), 0, "%s", err);
    cr_expect_str_eq(a.name, "::1");
}
