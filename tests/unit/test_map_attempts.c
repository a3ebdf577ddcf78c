/* A reduce Task's map_attempts, packed once per change of the maps
 * (coordinator/coord_map_attempts.c): what a worker unpacks is the done
 * attempt of every map, as if the Task's own field had been set, before
 * and after a map is run again. */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "coord_int.h"

#define NMAP 300                /* attempts of two varint bytes too */

static coord *c;

static void
setup(void)
{
    c = calloc(1, sizeof(*c));
    cr_assert_not_null(c);
    cr_assert_eq(tasks_init(&c->tasks, NMAP, 2, 10000, 1000, 1000), 0);
    cr_assert_eq(coord__map_attempts_init(c, NMAP), 0);
}

static void
teardown(void)
{
    coord__map_attempts_free(c);
    tasks_free(&c->tasks);
    free(c);
}

TestSuite(map_attempts, .init = setup, .fini = teardown);

/* Runs every map to completion; map i takes 1 + i % 150 attempts (an
 * attempt is retried, to the back of the queue, until then). */
static void
run_maps(void)
{
    struct coord_task *task;

    while (c->tasks.maps_done < NMAP) {
        cr_assert_not_null(task = tasks_assign(&c->tasks, 0, 1));
        if (task->attempts < 1 + task->id % 150)
            cr_assert_eq(tasks_retry(&c->tasks, task, task->attempts), 0);
        else
            cr_assert_eq(tasks_complete(&c->tasks, task, task->attempts, 1,
                                        0), 0);
    }
    cr_assert(tasks_check(&c->tasks));
}

/* Packs a reduce Task as the RPC layer would, and unpacks it as a worker
 * does; checks it names the done attempt of every map. */
static void
expect_worker_sees_done_attempts(void)
{
    Mr__Task t = MR__TASK__INIT;
    Mr__Task *back;
    uint8_t *buf;
    size_t len;

    t.kind = MR__TASK_KIND__TASK_REDUCE;
    t.id = 1;
    t.attempt = 1;
    t.n_map = NMAP;
    coord__map_attempts_fill(c, &t);
    len = protobuf_c_message_get_packed_size(&t.base);
    buf = malloc(len);
    cr_assert_not_null(buf);
    cr_assert_eq(protobuf_c_message_pack(&t.base, buf), len);
    back = mr__task__unpack(NULL, len, buf);
    cr_assert_not_null(back);
    cr_assert_eq(back->kind, MR__TASK_KIND__TASK_REDUCE);
    cr_assert_eq(back->n_map, NMAP);
    cr_assert_eq(back->n_map_attempts, NMAP);
    for (uint32_t i = 0; i < NMAP; i++)
        cr_assert_eq(back->map_attempts[i], c->tasks.maps[i].done_attempt,
                     "map %u", i);
    cr_assert_eq(back->base.n_unknown_fields, 0, "the field is a known one");
    mr__task__free_unpacked(back, NULL);
    free(buf);
}

Test(map_attempts, a_worker_unpacks_every_done_attempt)
{
    run_maps();
    expect_worker_sees_done_attempts();
    expect_worker_sees_done_attempts();         /* packed once, used twice */
}

Test(map_attempts, packed_again_once_a_map_is_run_again)
{
    struct coord_task *task;

    run_maps();
    expect_worker_sees_done_attempts();
    cr_assert_eq(tasks_redo_map(&c->tasks, 7, "bad output"), 0);
    task = tasks_assign(&c->tasks, 0, 2);
    cr_assert_eq(task, &c->tasks.maps[7]);
    cr_assert_eq(tasks_complete(&c->tasks, task, task->attempts, 2, 0), 0);
    cr_assert_eq(c->tasks.maps[7].done_attempt, 9, "8 attempts, then 1");
    expect_worker_sees_done_attempts();
}
