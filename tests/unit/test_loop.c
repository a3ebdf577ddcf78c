/* The event loop: timers fire in deadline order, cancelled ones never fire,
 * and a signal becomes an ordinary event. */
#include <criterion/criterion.h>

#include <signal.h>
#include <unistd.h>

#include "loop.h"

struct record {
    int order[8];
    int n;
};

static void
note(rpc_loop *loop, void *arg, int tag)
{
    struct record *r = arg;

    (void)loop;
    r->order[r->n++] = tag;
}

static void note1(rpc_loop *l, void *a) { note(l, a, 1); }
static void note2(rpc_loop *l, void *a) { note(l, a, 2); }
static void note3(rpc_loop *l, void *a) { note(l, a, 3); }
static void stop(rpc_loop *l, void *a) { (void)a; rpc_loop_stop(l); }

Test(loop, timers_fire_in_deadline_order_and_cancel_works)
{
    char err[MR_ERR_LEN];
    rpc_loop *loop = rpc_loop_create(err);
    struct record r = {{0}, 0};
    rpc_timer *cancelled;

    rpc_loop_timer_add(loop, 30, note3, &r);
    rpc_loop_timer_add(loop, 10, note1, &r);
    cancelled = rpc_loop_timer_add(loop, 20, note2, &r);
    rpc_loop_timer_add(loop, 20, note2, &r);
    rpc_loop_timer_add(loop, 40, stop, NULL);
    rpc_loop_timer_cancel(loop, cancelled);
    cr_assert_eq(rpc_loop_run(loop), 0);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(r.order[0], 1);
    cr_assert_eq(r.order[1], 2);
    cr_assert_eq(r.order[2], 3);
    rpc_loop_free(loop);
}

static void
on_usr1(rpc_loop *loop, int signo, void *arg)
{
    *(int *)arg = signo;
    rpc_loop_stop(loop);
}

Test(loop, a_signal_is_delivered_as_an_event)
{
    char err[MR_ERR_LEN];
    rpc_loop *loop = rpc_loop_create(err);
    int got = 0;

    cr_assert_eq(rpc_loop_signal(loop, SIGUSR1, on_usr1, &got), 0);
    kill(getpid(), SIGUSR1);
    cr_assert_eq(rpc_loop_run(loop), 0);
    cr_assert_eq(got, SIGUSR1);
    rpc_loop_free(loop);
}
