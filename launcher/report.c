/* Summary and top words for mrrun. */
#define _GNU_SOURCE
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "printable.h"

void
report_summary(FILE *out, const struct coord_status *s, const char *dir,
               const struct run_totals *rt)
{
    double mb = (double)s->input_bytes / 1e6;

    fprintf(out, "done in %.2fs: %.1f MB in, %.1f MB/s, %u map + %u reduce "
            "tasks, %d workers\n", rt->seconds, mb,
            rt->seconds > 0 ? mb / rt->seconds : 0.0, s->nmap, s->nreduce,
            rt->workers);
    fprintf(out, "retries: %llu reassigned, %llu failed attempts, %llu "
            "backups (%llu won), %d workers restarted; output: %llu lines, "
            "%.1f MB in mr-out-0..mr-out-%u\n",
            (unsigned long long)s->reassigned, (unsigned long long)s->failed,
            (unsigned long long)s->backups,
            (unsigned long long)s->backups_won, rt->worker_restarts,
            (unsigned long long)s->out_keys, (double)s->out_bytes / 1e6,
            s->nreduce - 1);
    fprintf(out, "committed job %s in %s: mr-out-0..mr-out-%u and "
            MR_MARKER_NAME "\n", s->job_id, dir ? dir : ".", s->nreduce - 1);
}

void
report_skipped(FILE *out, const Mr__StatusReply *s)
{
    char file[256], head[4 * 32 + 1];

    if (s->n_skipped == 0)
        return;
    fprintf(out, "skipped %zu bad record%s (--skip-bad-records; the job's "
            "output leaves %s out):\n", s->n_skipped,
            s->n_skipped == 1 ? "" : "s", s->n_skipped == 1 ? "it" : "them");
    for (size_t i = 0; i < s->n_skipped; i++) {
        const Mr__BadRecord *r = s->skipped[i];
        printable_escape(r->head.data, r->head.len < 32 ? r->head.len : 32,
                         head, sizeof(head));
        fprintf(out, "  %s offset %llu: \"%s\"\n",
                printable_copy(r->file, file, sizeof(file)),
                (unsigned long long)r->offset, head);
    }
}

struct word_count {
    char *word;
    unsigned long long count;
};

/* Keeps the `top` largest counts in best[], largest first. */
static void
consider(struct word_count *best, unsigned top, unsigned *n, const char *w,
         size_t wlen, unsigned long long count)
{
    unsigned i;

    if (*n == top && count <= best[top - 1].count)
        return;
    if (*n < top)
        (*n)++;
    else
        free(best[top - 1].word);
    for (i = *n - 1; i > 0 && best[i - 1].count < count; i--)
        best[i] = best[i - 1];
    best[i].word = strndup(w, wlen);
    best[i].count = count;
}

void
report_top_words(FILE *out, const char *dir, unsigned nreduce, unsigned top)
{
    struct word_count *best = calloc(top, sizeof(*best));
    char *line = NULL, name[64], path[4096 + 64];
    size_t cap = 0;
    unsigned n = 0;

    if (best == NULL || top == 0)
        goto out;
    for (unsigned r = 0; r < nreduce; r++) {
        FILE *f;
        ssize_t len;
        mr_out_name(name, sizeof(name), r);
        snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        while ((len = getline(&line, &cap, f)) > 0) {
            char *space = memrchr(line, ' ', (size_t)len);
            if (space != NULL)
                consider(best, top, &n, line, (size_t)(space - line),
                         strtoull(space + 1, NULL, 10));
        }
        fclose(f);
    }
    if (n == 0)
        fprintf(out, "no words: the output is empty (the inputs hold no "
                "words)\n");
    else
        fprintf(out, "top %u words:\n", n);
    for (unsigned i = 0; i < n; i++) {
        fprintf(out, "  %10llu  %s\n", best[i].count, best[i].word);
        free(best[i].word);
    }
out:
    free(line);
    free(best);
}
