/* The lines of a mapper's split and their bytes on its stdin. See
 * exec_lines.h. */
#include "exec_lines.h"

#include <string.h>

void
exec_line_at(const struct exec_split *s, size_t at, struct exec_line *line)
{
    const char *nl = memchr(s->data + at, '\n', s->len - at);

    line->at = at;
    line->len = nl != NULL ? (size_t)(nl - (s->data + at)) : s->len - at;
    line->next = nl != NULL ? at + line->len + 1 : s->len;
    line->offset = s->origin + at;
}

bool
exec_line_skipped(const struct exec_split *s, uint64_t offset, size_t *k)
{
    while (*k < s->nskip && s->skip[*k] < offset)
        (*k)++;
    return *k < s->nskip && s->skip[*k] == offset;
}

/* Decimal digits of v. */
static unsigned
digits(uint64_t v)
{
    unsigned n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

uint64_t
exec_line_stream_len(const struct exec_split *s, const struct exec_line *line)
{
    if (s->framed)
        return 4 + digits(line->offset) + 4 + (uint64_t)line->len;
    return (uint64_t)(line->next - line->at);
}

bool
exec_line_holding(const struct exec_split *s, uint64_t consumed,
                  struct exec_line *line)
{
    uint64_t end = 0;
    size_t at = 0, k = 0;

    if (consumed == 0)
        return false;
    while (at < s->len) {
        exec_line_at(s, at, line);
        at = line->next;
        if (exec_line_skipped(s, line->offset, &k))
            continue;
        end += exec_line_stream_len(s, line);
        if (consumed <= end)
            return true;
    }
    return false;
}
