/* A task's app counters: the lookup by contents and the rules a new name
 * must meet. See counter_table.h; the lookup by address is inline there. */
#include "counter_table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter_names.h"
#include "fnv1a.h"
#include "printable.h"

void
counter_table_init(struct counter_table *t)
{
    memset(t, 0, sizeof(*t));
}

void
counter_table_free(struct counter_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->counters[i].name);
    counter_table_init(t);
}

/* The index slot where name is, or the empty one where it would go. */
static size_t
index_slot(const struct counter_table *t, const char *name)
{
    size_t i = fnv1a32_str(name) & (COUNTER_INDEX_SLOTS - 1);

    /* Never full: twice as many slots as names. */
    while (t->index[i] != 0 &&
           strcmp(t->counters[t->index[i] - 1].name, name) != 0)
        i = (i + 1) & (COUNTER_INDEX_SLOTS - 1);
    return i;
}

/* The first 40 bytes of name, fit for a message: control bytes as '?'. */
static const char *
shown(const char *name, char buf[48])
{
    size_t i = 0;

    for (; name[i] != '\0' && i < 40; i++)
        buf[i] = printable_byte((unsigned char)name[i]) ? name[i] : '?';
    snprintf(buf + i, 48 - i, "%s", name[i] != '\0' ? "..." : "");
    return buf;
}

static int
refuse(struct counter_table *t, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct counter_table *t, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(t->errmsg, sizeof(t->errmsg), fmt, ap);
    va_end(ap);
    t->error = rc;
    return rc;
}

static bool
has_control_byte(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* Whether name may become a new counter; if not, the table fails. */
static bool
name_is_allowed(struct counter_table *t, const char *name)
{
    size_t len = strnlen(name, MR_COUNTER_NAME_MAX + 1);
    char buf[48];

    if (len == 0)
        refuse(t, MR_EAPP, "the app counted with an empty counter name");
    else if (len > MR_COUNTER_NAME_MAX)
        refuse(t, MR_EAPP, "the app's counter name \"%s\" is longer than %d "
               "bytes", shown(name, buf), MR_COUNTER_NAME_MAX);
    else if (has_control_byte(name))
        refuse(t, MR_EAPP, "the app's counter name \"%s\" has a control "
               "character", shown(name, buf));
    else if (mr_counter_is_builtin(name))
        refuse(t, MR_EAPP, "the app counts \"%s\", a counter the framework "
               "keeps itself (docs/counters.md lists them): choose another "
               "name", name);
    else if (t->n == MR_COUNTERS_MAX)
        refuse(t, MR_EAPP, "the app counts more than %d distinct counter "
               "names (the next is \"%s\"): counters are for a few totals; "
               "emit pairs to count per key", MR_COUNTERS_MAX,
               shown(name, buf));
    return t->error == 0;
}

int
counter__add_slow(struct counter_table *t, const char *name, uint64_t n,
                  bool literal)
{
    struct counter *c;
    size_t slot;

    if (t->error != 0)
        return t->error;
    if (name == NULL)
        return refuse(t, MR_EAPP, "the app counted with a NULL counter "
                      "name");
    slot = index_slot(t, name);
    if (t->index[slot] == 0) {
        if (!name_is_allowed(t, name))
            return t->error;
        c = &t->counters[t->n];
        if ((c->name = strdup(name)) == NULL)
            return refuse(t, -ENOMEM, "out of memory for a counter's "
                          "name");
        c->value = 0;
        t->index[slot] = (uint16_t)(++t->n);
    }
    c = &t->counters[t->index[slot] - 1];
    if (literal) {
        t->cache[counter__slot(name)].literal = name;
        t->cache[counter__slot(name)].index = t->index[slot] - 1u;
    }
    if (__builtin_add_overflow(c->value, n, &c->value))
        c->value = UINT64_MAX;
    return 0;
}
