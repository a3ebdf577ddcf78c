/* The silence rule (coordinator/coord.h): for a task timeout T, how often
 * a worker running a task beats (H), and how long its silence may last
 * before the task is handed out again (L). */
#include <criterion/criterion.h>

#include "coord.h"

Test(silence_rule, beats_and_silence_for_each_timeout)
{
    static const struct {
        uint64_t timeout, beat, silence;
    } cases[] = {
        {10000, 1000, 4000},    /* the default: four missed beats */
        {30000, 1000, 4000},    /* a long timeout: still four beats */
        {4000, 1000, 4000},
        {3000, 750, 3000},      /* beats of T/4 under 4 s */
        {2000, 500, 2000},
        {1000, 250, 1000},
        {100, 25, 100},
        {60, 25, 60},           /* H at its floor: L is T, not 4H */
        {1, 25, 1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_expect_eq(coord_heartbeat_ms(cases[i].timeout), cases[i].beat,
                     "T = %llu ms: beats every %llu ms, wanted %llu",
                     (unsigned long long)cases[i].timeout,
                     (unsigned long long)coord_heartbeat_ms(cases[i].timeout),
                     (unsigned long long)cases[i].beat);
        cr_expect_eq(coord_silence_ms(cases[i].timeout), cases[i].silence,
                     "T = %llu ms: silence of %llu ms, wanted %llu",
                     (unsigned long long)cases[i].timeout,
                     (unsigned long long)coord_silence_ms(cases[i].timeout),
                     (unsigned long long)cases[i].silence);
    }
}
