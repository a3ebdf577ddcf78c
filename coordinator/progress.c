/* A job's live progress. See progress.h. */
#include "progress.h"

#include <string.h>
#include <unistd.h>

#include "log.h"

#define BAR_WIDTH    20
#define REDRAW_MS    100


static void
draw_bar(FILE *out, const char *label, uint32_t done, uint32_t running,
         uint32_t total)
{
    char bar[BAR_WIDTH + 1];
    uint32_t full = total ? done * BAR_WIDTH / total : BAR_WIDTH;
    uint32_t busy = total ? (done + running) * BAR_WIDTH / total : 0;

    for (uint32_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < full ? '#' : i < busy ? '>' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(out, "%s [%s] %u/%u", label, bar, done, total);
}

static void
draw_line(struct progress *p, const struct coord_status *s, uint64_t now)
{
    double secs = (double)(now - p->start_ms) / 1000.0;

    fprintf(p->out, "\r");
    draw_bar(p->out, "map", s->maps_done, s->maps_running, s->nmap);
    fprintf(p->out, "  ");
    draw_bar(p->out, "reduce", s->reduces_done, s->reduces_running,
             s->nreduce);
    fprintf(p->out, "  %.1fs", secs);
    if (secs > 0 && s->map_bytes_in > 0)
        fprintf(p->out, "  %.1f MB/s", (double)s->map_bytes_in / 1e6 / secs);
    fprintf(p->out, "\033[K");
    fflush(p->out);
    p->drawn = true;
}

/* Plain mode: one line each time a phase passes a quarter. */
static void
print_quarters(struct progress *p, const struct coord_status *s, uint64_t now)
{
    uint32_t done[2] = {s->maps_done, s->reduces_done};
    uint32_t total[2] = {s->nmap, s->nreduce};
    static const char *names[2] = {"map", "reduce"};

    for (int k = 0; k < 2; k++) {
        unsigned q = total[k] ? (unsigned)(done[k] * 4 / total[k]) : 4;
        if (q > p->last_quarter[k] && done[k] > 0) {
            fprintf(p->out, "%s: %u/%u tasks done (%.1fs)\n", names[k],
                    done[k], total[k],
                    (double)(now - p->start_ms) / 1000.0);
            fflush(p->out);
            p->last_quarter[k] = q;
        }
    }
}

/* Takes the bar off its line, for a log line (log.h). */
static void
hide_bar(void *arg)
{
    struct progress *p = arg;

    if (!p->drawn)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->drawn = false;
    p->hidden = true;
}

/* Draws the bar again below the log line. */
static void
show_bar(void *arg)
{
    struct progress *p = arg;

    if (!p->hidden)
        return;
    p->hidden = false;
    draw_line(p, &p->last, rpc_monotonic_ms());
}

void
progress_init(struct progress *p, FILE *out)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
    p->tty = isatty(fileno(out));
    p->start_ms = rpc_monotonic_ms();
    if (p->tty)
        mr_log_set_display(hide_bar, show_bar, p);
}

void
progress_update(struct progress *p, const struct coord_status *s)
{
    uint64_t now = rpc_monotonic_ms();

    if (p->ended)               /* its line is finished: nothing more */
        return;
    if (!p->tty) {
        print_quarters(p, s, now);
        return;
    }
    p->last = *s;
    if (!s->over && now - p->last_draw_ms < REDRAW_MS)
        return;
    p->last_draw_ms = now;
    draw_line(p, s, now);
}

void
progress_end(struct progress *p)
{
    if (p->tty)
        mr_log_set_display(NULL, NULL, NULL);
    p->hidden = false;
    if (p->drawn)
        fputc('\n', p->out);
    p->drawn = false;
    p->ended = true;
}
