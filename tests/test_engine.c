/*
 * Unit tests for the event engine (include/suanli/engine.h).
 *
 * Order is checked against references that share no code with the engine:
 * a qsort of (time, priority, sequence) for bulk schedules, and a naive
 * model (an unsorted array scanned for its minimum) for the randomized mix
 * of schedule, cancel and reschedule, including operations made from inside
 * handlers while the engine's root is vacant.  sl__engine_check verifies the
 * heap, position and free-list invariants along the way.  Allocation failures
 * are injected through the sl_alloc hook at every allocation in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/engine.h"

/* ------------------------------------------------------------------ */
/* Helpers */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
    return splitmix64(s) % n;
}

/* Records which events fired (their arg) and when. */
struct recorder {
    size_t n, cap;
    uint64_t *args;
    int64_t *times;
};

static void rec_init(struct recorder *r, size_t cap)
{
    r->n = 0;
    r->cap = cap;
    r->args = calloc(cap, sizeof *r->args);
    r->times = calloc(cap, sizeof *r->times);
    assert_non_null(r->args);
    assert_non_null(r->times);
}

static void rec_free(struct recorder *r)
{
    free(r->args);
    free(r->times);
}

static void record(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct recorder *r = ctx;
    assert_true(r->n < r->cap);
    r->args[r->n] = arg;
    r->times[r->n] = sl_engine_now(e);
    r->n++;
}

static void nop(struct sl_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)ctx;
    (void)arg;
}

static void check(const struct sl_engine *e)
{
    assert_int_equal(sl__engine_check(e), 0);
}

static uint64_t sched(struct sl_engine *e, int64_t t, int prio, struct recorder *r, uint64_t arg)
{
    uint64_t id = 0;
    assert_int_equal(sl_engine_schedule(e, t, prio, record, r, arg, &id), SL_OK);
    assert_int_not_equal(id, 0);
    return id;
}

/* ------------------------------------------------------------------ */
/* Ordering */

static void test_tie_order(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    /* Same time: priority first, then insertion order; earlier time wins
     * over any priority. */
    sched(&e, 10, 5, &r, 0);
    sched(&e, 10, -3, &r, 1);
    sched(&e, 10, 5, &r, 2);
    sched(&e, 10, SL_PRIO_MIN, &r, 3);
    sched(&e, 10, 0, &r, 4);
    sched(&e, 10, -3, &r, 5);
    sched(&e, 10, SL_PRIO_MAX, &r, 6);
    sched(&e, 9, SL_PRIO_MAX, &r, 7);
    sched(&e, 11, SL_PRIO_MIN, &r, 8);
    check(&e);
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EMPTY);
    static const uint64_t want[] = {7, 3, 1, 5, 4, 0, 2, 6, 8};
    assert_int_equal(r.n, 9);
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(r.args[i], want[i]);
    assert_int_equal(r.times[0], 9);
    assert_int_equal(r.times[8], 11);
    rec_free(&r);
    sl_engine_release(&e);
}

struct ref_event {
    int64_t t;
    int prio;
    uint64_t seq;
};

static int ref_cmp(const void *pa, const void *pb)
{
    const struct ref_event *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->prio != b->prio)
        return a->prio < b->prio ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* 100k schedules with many equal times and priorities, fired order compared
 * with a qsort of (t, prio, seq).  Times are drawn from a narrow range so
 * that the engine's equal-time fallback is exercised at every level, and
 * from a wide one so that the time-only fast path is. */
static void run_reference(int64_t t_range, int prio_range, uint64_t seed)
{
    enum { N = 100000 };
    struct sl_engine e;
    struct recorder r;
    struct ref_event *ref = calloc(N, sizeof *ref);
    assert_non_null(ref);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, N);
    uint64_t s = seed;
    for (uint64_t i = 0; i < N; i++) {
        ref[i].t = (int64_t)below(&s, (uint64_t)t_range);
        ref[i].prio = (int)below(&s, (uint64_t)prio_range) - prio_range / 2;
        ref[i].seq = i;
        assert_int_equal(sl_engine_schedule(&e, ref[i].t, ref[i].prio, record, &r, i, NULL), SL_OK);
    }
    check(&e);
    assert_int_equal(sl_engine_pending(&e), N);
    qsort(ref, N, sizeof *ref, ref_cmp);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(r.n, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(r.args[i], ref[i].seq);
        assert_int_equal(r.times[i], ref[i].t);
    }
    rec_free(&r);
    free(ref);
    sl_engine_release(&e);
}

static void test_reference_order_ties(void **state)
{
    (void)state;
    run_reference(1000, 5, 1);
}

static void test_reference_order_wide(void **state)
{
    (void)state;
    run_reference(INT64_C(1) << 40, 3, 2);
}

static void test_descending_and_ascending(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 2 * N);
    /* Descending times make every insert sift to the root; ascending ones
     * never move.  Both grow the heap through several doublings. */
    for (int i = 0; i < N; i++)
        sched(&e, N - i, 0, &r, (uint64_t)(N - i));
    for (int i = 0; i < N; i++)
        sched(&e, N + 1 + i, 0, &r, (uint64_t)(N + 1 + i));
    check(&e);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(r.n, 2 * N);
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.args[i], i + 1);
    rec_free(&r);
    sl_engine_release(&e);
}

/* ------------------------------------------------------------------ */
/* Cancel and reschedule */

static void test_cancel(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    uint64_t id[40];
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 64);
    for (uint64_t i = 0; i < 40; i++)
        id[i] = sched(&e, (int64_t)(100 + i), 0, &r, i);
    /* Root, last, a middle entry, and one whose removal makes the last leaf
     * move up rather than down. */
    assert_int_equal(sl_engine_cancel(&e, id[0]), SL_OK);
    check(&e);
    assert_int_equal(sl_engine_cancel(&e, id[39]), SL_OK);
    check(&e);
    assert_int_equal(sl_engine_cancel(&e, id[17]), SL_OK);
    check(&e);
    assert_int_equal(sl_engine_cancel(&e, id[38]), SL_OK);
    check(&e);
    assert_false(sl_engine_is_pending(&e, id[0]));
    assert_true(sl_engine_is_pending(&e, id[1]));
    assert_int_equal(sl_engine_pending(&e), 36);
    assert_int_equal(sl_engine_next_time(&e), 101);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(r.n, 36);
    uint64_t want = 1;
    for (size_t i = 0; i < r.n; i++, want++) {
        if (want == 17)
            want++;
        assert_int_equal(r.args[i], want);
    }
    rec_free(&r);
    sl_engine_release(&e);
}

static void test_cancel_moves_last_leaf_up(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 64);
    /* Ascending inserts leave event i at heap index i.  The subtree under
     * index 1 holds large times, the last leaves (children of index 4) small
     * ones, so cancelling a child of index 1 moves the last leaf into a
     * position whose parent is larger: it must move up, not down. */
    uint64_t ids[21];
    for (uint64_t i = 0; i <= 20; i++) {
        int64_t t = i == 1    ? 500
                    : i <= 4  ? (int64_t)i
                    : i <= 16 ? 1000 + (int64_t)i
                              : (int64_t)i - 12;
        ids[i] = sched(&e, t, 0, &r, i);
    }
    check(&e);
    assert_int_equal(sl_engine_cancel(&e, ids[5]), SL_OK);
    check(&e);
    assert_int_equal(sl_engine_cancel(&e, ids[6]), SL_OK);
    check(&e);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    static const uint64_t want[] = {0, 2, 3,  4,  17, 18, 19, 20, 1, 7,
                                    8, 9, 10, 11, 12, 13, 14, 15, 16};
    assert_int_equal(r.n, 19);
    for (size_t i = 0; i < 19; i++)
        assert_int_equal(r.args[i], want[i]);
    rec_free(&r);
    sl_engine_release(&e);
}

static void test_reschedule(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    uint64_t a = sched(&e, 10, 0, &r, 0);
    uint64_t b = sched(&e, 20, 0, &r, 1);
    uint64_t c = sched(&e, 30, 0, &r, 2);
    sched(&e, 30, 0, &r, 3);
    uint64_t f = sched(&e, 40, 1, &r, 4);
    /* Later, earlier, and to a time already taken: a rescheduled event is
     * ordered as if newly inserted, so it goes after its equals. */
    assert_int_equal(sl_engine_reschedule(&e, a, 35), SL_OK);
    assert_int_equal(sl_engine_reschedule(&e, b, 5), SL_OK);
    assert_int_equal(sl_engine_reschedule(&e, c, 30), SL_OK);
    /* The priority survives: 4 at prio 1 goes after 0 at prio 0. */
    assert_int_equal(sl_engine_reschedule(&e, f, 35), SL_OK);
    assert_int_equal(sl_engine_reschedule(&e, a, 35), SL_OK);
    check(&e);
    /* The id stays valid across reschedules. */
    assert_true(sl_engine_is_pending(&e, a));
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    static const uint64_t want[] = {1, 3, 2, 0, 4};
    static const int64_t want_t[] = {5, 30, 30, 35, 35};
    assert_int_equal(r.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(r.args[i], want[i]);
        assert_int_equal(r.times[i], want_t[i]);
    }
    assert_false(sl_engine_is_pending(&e, a));
    rec_free(&r);
    sl_engine_release(&e);
}

/* ------------------------------------------------------------------ */
/* Invalid and stale input */

struct self_ctx {
    uint64_t id;
    int cancel_rc;
    int reschedule_rc;
    int pending;
};

static void touch_self(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct self_ctx *c = ctx;
    (void)arg;
    c->pending = sl_engine_is_pending(e, c->id);
    c->cancel_rc = sl_engine_cancel(e, c->id);
    c->reschedule_rc = sl_engine_reschedule(e, c->id, sl_engine_now(e) + 1);
}

static void test_stale_ids(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    assert_int_equal(sl_engine_cancel(&e, 0), SL_ESTALE);
    uint64_t fired = sched(&e, 1, 0, &r, 0);
    uint64_t cancelled = sched(&e, 2, 0, &r, 1);
    uint64_t live = sched(&e, 3, 0, &r, 2);
    assert_int_equal(sl_engine_cancel(&e, cancelled), SL_OK);
    assert_int_equal(sl_engine_cancel(&e, cancelled), SL_ESTALE);
    assert_int_equal(sl_engine_reschedule(&e, cancelled, 5), SL_ESTALE);
    assert_int_equal(sl_engine_run(&e, 1), SL_RUN_END_TIME);
    assert_int_equal(sl_engine_cancel(&e, fired), SL_ESTALE);
    assert_int_equal(sl_engine_reschedule(&e, fired, 5), SL_ESTALE);
    assert_false(sl_engine_is_pending(&e, fired));
    /* Never issued: id 0, a slot beyond any used, the live slot with other
     * generations, and a free slot at its next generation. */
    assert_int_equal(sl_engine_cancel(&e, 0), SL_ESTALE);
    assert_int_equal(sl_engine_cancel(&e, UINT64_C(1) << 32 | 1000), SL_ESTALE);
    assert_int_equal(sl_engine_cancel(&e, live + (UINT64_C(1) << 32)), SL_ESTALE);
    assert_int_equal(sl_engine_cancel(&e, live - (UINT64_C(1) << 32)), SL_ESTALE);
    assert_int_equal(sl_engine_cancel(&e, live & UINT32_MAX), SL_ESTALE);
    assert_int_equal(sl_engine_cancel(&e, cancelled + (UINT64_C(1) << 32)), SL_ESTALE);
    assert_false(sl_engine_is_pending(&e, 0));
    assert_true(sl_engine_is_pending(&e, live));
    /* Reusing a slot must not revive the old id. */
    uint64_t reuse = sched(&e, 4, 0, &r, 3);
    assert_int_not_equal(reuse, fired);
    assert_int_not_equal(reuse, cancelled);
    assert_int_equal(sl_engine_cancel(&e, fired), SL_ESTALE);
    assert_int_equal(sl_engine_cancel(&e, cancelled), SL_ESTALE);
    check(&e);
    assert_int_equal(sl_engine_pending(&e), 2);

    /* A handler touching its own id finds it already stale. */
    struct self_ctx sc = {0, 0, 0, -1};
    assert_int_equal(sl_engine_schedule(&e, 10, 0, touch_self, &sc, 0, &sc.id), SL_OK);
    assert_int_equal(sl_engine_run(&e, 10), SL_RUN_EMPTY);
    assert_int_equal(sc.pending, 0);
    assert_int_equal(sc.cancel_rc, SL_ESTALE);
    assert_int_equal(sc.reschedule_rc, SL_ESTALE);
    assert_int_equal(sl_engine_pending(&e), 0);
    check(&e);
    rec_free(&r);
    sl_engine_release(&e);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    uint64_t id = 77;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    uint64_t a = sched(&e, 100, 0, &r, 0);
    assert_int_equal(sl_engine_run(&e, 50), SL_RUN_END_TIME);
    assert_int_equal(sl_engine_now(&e), 50);
    /* In the past. */
    assert_int_equal(sl_engine_schedule(&e, 49, 0, record, &r, 1, &id), SL_EINVAL);
    assert_int_equal(id, 77);
    assert_int_equal(sl_engine_schedule(&e, -1, 0, record, &r, 1, NULL), SL_EINVAL);
    assert_int_equal(sl_engine_schedule_in(&e, -1, 0, record, &r, 1, NULL), SL_EINVAL);
    assert_int_equal(sl_engine_reschedule(&e, a, 49), SL_EINVAL);
    assert_int_equal(sl_engine_run(&e, 49), SL_EINVAL);
    /* Priority out of range, no handler. */
    assert_int_equal(sl_engine_schedule(&e, 60, SL_PRIO_MIN - 1, record, &r, 1, NULL), SL_EINVAL);
    assert_int_equal(sl_engine_schedule(&e, 60, SL_PRIO_MAX + 1, record, &r, 1, NULL), SL_EINVAL);
    assert_int_equal(sl_engine_schedule(&e, 60, 0, NULL, &r, 1, NULL), SL_EINVAL);
    /* now + delay past INT64_MAX. */
    assert_int_equal(sl_engine_schedule_in(&e, INT64_MAX, 0, record, &r, 1, NULL), SL_ERANGE);
    assert_int_equal(sl_engine_pending(&e), 1);
    check(&e);
    /* The present and the far future are fine. */
    assert_int_equal(sl_engine_schedule(&e, 50, 0, record, &r, 2, NULL), SL_OK);
    assert_int_equal(sl_engine_schedule_in(&e, 0, 0, record, &r, 3, NULL), SL_OK);
    assert_int_equal(sl_engine_schedule(&e, INT64_MAX, 0, record, &r, 4, NULL), SL_OK);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.args[0], 2);
    assert_int_equal(r.args[1], 3);
    assert_int_equal(r.args[2], 0);
    assert_int_equal(r.args[3], 4);
    assert_int_equal(r.times[3], INT64_MAX);
    rec_free(&r);
    sl_engine_release(&e);
}

static void test_sequence_exhausted(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    uint64_t a = sched(&e, 10, 0, &r, 0);
    /* White-box: jump the sequence counter to its last value.  The last
     * sequence number is usable; after it the engine refuses rather than
     * wrapping into the priority bits. */
    e.seq = (UINT64_C(1) << 48) - 1;
    uint64_t b = sched(&e, 10, 0, &r, 1);
    assert_int_equal(sl_engine_schedule(&e, 10, 0, record, &r, 2, NULL), SL_ERANGE);
    assert_int_equal(sl_engine_reschedule(&e, b, 5), SL_ERANGE);
    assert_int_equal(sl_engine_pending(&e), 2);
    check(&e);
    assert_int_equal(sl_engine_cancel(&e, a), SL_OK);
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EMPTY);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.args[0], 1);
    rec_free(&r);
    sl_engine_release(&e);
}

/* ------------------------------------------------------------------ */
/* The run loop */

struct stopper {
    struct recorder *r;
    uint64_t stop_at_arg;
    int rerun_rc;
};

static void record_and_maybe_stop(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct stopper *s = ctx;
    record(e, s->r, arg);
    s->rerun_rc = sl_engine_run(e, INT64_MAX);
    if (arg == s->stop_at_arg)
        sl_engine_stop(e);
}

static void test_stop_from_handler(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    struct stopper s = {&r, 3, 0};
    for (uint64_t i = 0; i < 6; i++)
        assert_int_equal(
            sl_engine_schedule(&e, (int64_t)(10 * i), 0, record_and_maybe_stop, &s, i, NULL),
            SL_OK);
    /* A stop requested outside a run is ignored. */
    sl_engine_stop(&e);
    assert_int_equal(sl_engine_run(&e, 1000), SL_RUN_STOPPED);
    /* Runs are not re-entrant. */
    assert_int_equal(s.rerun_rc, SL_ESTATE);
    assert_int_equal(r.n, 4);
    assert_int_equal(sl_engine_now(&e), 30);
    assert_int_equal(sl_engine_pending(&e), 2);
    check(&e);
    assert_int_equal(sl_engine_run(&e, 1000), SL_RUN_EMPTY);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.args[5], 5);
    assert_int_equal(sl_engine_now(&e), 1000);
    rec_free(&r);
    sl_engine_release(&e);
}

static void test_event_limit(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    for (uint64_t i = 0; i < 10; i++)
        sched(&e, (int64_t)(i + 1), 0, &r, i);
    sl_engine_set_event_limit(&e, 4);
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EVENT_LIMIT);
    assert_int_equal(r.n, 4);
    assert_int_equal(sl_engine_fired(&e), 4);
    assert_int_equal(sl_engine_now(&e), 4);
    /* The limit counts all fired events, so a second run fires nothing. */
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EVENT_LIMIT);
    assert_int_equal(r.n, 4);
    sl_engine_set_event_limit(&e, 7);
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EVENT_LIMIT);
    assert_int_equal(r.n, 7);
    /* Events after end_us do not count against the limit... */
    sl_engine_set_event_limit(&e, 9);
    assert_int_equal(sl_engine_run(&e, 9), SL_RUN_END_TIME);
    assert_int_equal(r.n, 9);
    assert_int_equal(sl_engine_now(&e), 9);
    /* ...and a limit met exactly by the last event is not reported. */
    sl_engine_set_event_limit(&e, 10);
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EMPTY);
    assert_int_equal(r.n, 10);
    sl_engine_set_event_limit(&e, 0);
    sched(&e, 200, 0, &r, 10);
    assert_int_equal(sl_engine_run(&e, 300), SL_RUN_EMPTY);
    assert_int_equal(r.n, 11);
    rec_free(&r);
    sl_engine_release(&e);
}

static void test_end_time(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    assert_int_equal(sl_engine_next_time(&e), INT64_MAX);
    sched(&e, 10, 0, &r, 0);
    sched(&e, 20, 0, &r, 1);
    sched(&e, 30, 0, &r, 2);
    assert_int_equal(sl_engine_next_time(&e), 10);
    /* An event exactly at end_us fires. */
    assert_int_equal(sl_engine_run(&e, 20), SL_RUN_END_TIME);
    assert_int_equal(r.n, 2);
    assert_int_equal(sl_engine_now(&e), 20);
    assert_int_equal(sl_engine_next_time(&e), 30);
    /* Nothing due: the clock still advances. */
    assert_int_equal(sl_engine_run(&e, 25), SL_RUN_END_TIME);
    assert_int_equal(r.n, 2);
    assert_int_equal(sl_engine_now(&e), 25);
    assert_int_equal(sl_engine_run(&e, 25), SL_RUN_END_TIME);
    /* Resume; the queue drains and the clock lands on end_us. */
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EMPTY);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.times[2], 30);
    assert_int_equal(sl_engine_now(&e), 100);
    assert_int_equal(sl_engine_run(&e, 150), SL_RUN_EMPTY);
    assert_int_equal(sl_engine_now(&e), 150);
    assert_int_equal(sl_engine_next_time(&e), INT64_MAX);
    rec_free(&r);
    sl_engine_release(&e);
}

struct progress_log {
    size_t calls;
    uint64_t fired_at[16];
    size_t stop_after_calls;
};

static void on_progress(struct sl_engine *e, void *ctx)
{
    struct progress_log *p = ctx;
    assert_true(p->calls < 16);
    p->fired_at[p->calls++] = sl_engine_fired(e);
    if (p->calls == p->stop_after_calls)
        sl_engine_stop(e);
}

static void test_progress(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    struct progress_log p = {0, {0}, 0};
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 32);
    for (uint64_t i = 0; i < 10; i++)
        sched(&e, (int64_t)i, 0, &r, i);
    sl_engine_set_progress(&e, on_progress, &p, 3);
    assert_int_equal(sl_engine_run(&e, 100), SL_RUN_EMPTY);
    assert_int_equal(p.calls, 3);
    assert_int_equal(p.fired_at[0], 3);
    assert_int_equal(p.fired_at[1], 6);
    assert_int_equal(p.fired_at[2], 9);
    /* The count carries over runs, and the callback may stop the run. */
    for (uint64_t i = 0; i < 10; i++)
        sched(&e, (int64_t)(200 + i), 0, &r, i);
    p.stop_after_calls = 5;
    assert_int_equal(sl_engine_run(&e, 1000), SL_RUN_STOPPED);
    assert_int_equal(p.calls, 5);
    assert_int_equal(p.fired_at[3], 12);
    assert_int_equal(p.fired_at[4], 15);
    assert_int_equal(sl_engine_fired(&e), 15);
    /* Disabled. */
    sl_engine_set_progress(&e, NULL, NULL, 0);
    assert_int_equal(sl_engine_run(&e, 1000), SL_RUN_EMPTY);
    assert_int_equal(p.calls, 5);
    assert_int_equal(r.n, 20);
    rec_free(&r);
    sl_engine_release(&e);
}

struct same_time {
    struct recorder *r;
};

static void spawn_now(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct same_time *st = ctx;
    record(e, st->r, arg);
    if (arg != 0)
        return;
    /* While the root is vacant: inspect, then schedule two at the current
     * time, one of them ahead of everything by priority. */
    assert_int_equal(sl_engine_pending(e), 2);
    assert_int_equal(sl_engine_next_time(e), 5);
    assert_int_equal(sl_engine_schedule(e, sl_engine_now(e), 0, spawn_now, st, 10, NULL), SL_OK);
    assert_int_equal(sl_engine_schedule_in(e, 0, -1, spawn_now, st, 11, NULL), SL_OK);
    check(e);
}

static void test_same_time_from_handler(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    struct same_time st = {&r};
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 16);
    assert_int_equal(sl_engine_schedule(&e, 5, 0, spawn_now, &st, 0, NULL), SL_OK);
    assert_int_equal(sl_engine_schedule(&e, 5, 0, spawn_now, &st, 1, NULL), SL_OK);
    assert_int_equal(sl_engine_schedule(&e, 6, -5, spawn_now, &st, 2, NULL), SL_OK);
    assert_int_equal(sl_engine_run(&e, 5), SL_RUN_END_TIME);
    static const uint64_t want[] = {0, 11, 1, 10};
    assert_int_equal(r.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.args[i], want[i]);
        assert_int_equal(r.times[i], 5);
    }
    assert_int_equal(sl_engine_pending(&e), 1);
    rec_free(&r);
    sl_engine_release(&e);
}

struct peek {
    int64_t seen[4];
    size_t n;
};

static void peek_next(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct peek *p = ctx;
    (void)arg;
    p->seen[p->n++] = sl_engine_next_time(e);
}

static void test_next_time_inside_handler(void **state)
{
    (void)state;
    /* The root's children are inserted in the given order and do not move,
     * so while the first handler runs (root vacant) the earliest pending
     * event is the third child, then the fourth. */
    static const int64_t times[2][5] = {{1, 30, 20, 10, 40}, {1, 30, 20, 40, 10}};
    for (size_t k = 0; k < 2; k++) {
        struct sl_engine e;
        struct peek p = {{0}, 0};
        assert_int_equal(sl_engine_init(&e), SL_OK);
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(sl_engine_schedule(&e, times[k][i], 0, peek_next, &p, 0, NULL), SL_OK);
        assert_int_equal(sl_engine_run(&e, 25), SL_RUN_END_TIME);
        assert_int_equal(p.n, 3);
        assert_int_equal(p.seen[0], 10);
        assert_int_equal(p.seen[1], 20);
        assert_int_equal(p.seen[2], 30);
        sl_engine_release(&e);
    }
}

/* A handler that cancels, reschedules and queries before and after
 * scheduling, so that every operation meets the vacant root. */
struct busy {
    struct recorder *r;
    uint64_t victim, mover;
    int64_t next_seen;
};

static void busy_handler(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct busy *b = ctx;
    record(e, b->r, arg);
    if (arg != 0)
        return;
    b->next_seen = sl_engine_next_time(e);
    assert_int_equal(sl_engine_cancel(e, b->victim), SL_OK);
    check(e);
    assert_int_equal(sl_engine_reschedule(e, b->mover, 1), SL_OK);
    check(e);
    assert_int_equal(sl_engine_schedule(e, 3, 0, busy_handler, b, 100, NULL), SL_OK);
    assert_int_equal(sl_engine_schedule(e, 2, 0, busy_handler, b, 101, NULL), SL_OK);
    check(e);
}

static void test_operations_inside_handler(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    struct busy b = {&r, 0, 0, 0};
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, 64);
    assert_int_equal(sl_engine_schedule(&e, 1, 0, busy_handler, &b, 0, NULL), SL_OK);
    for (uint64_t i = 1; i <= 20; i++) {
        uint64_t id;
        assert_int_equal(sl_engine_schedule(&e, (int64_t)(10 + i), 0, busy_handler, &b, i, &id),
                         SL_OK);
        if (i == 1)
            b.victim = id;
        if (i == 15)
            b.mover = id;
    }
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(b.next_seen, 11);
    static const uint64_t want_head[] = {0, 15, 101, 100, 2, 3};
    assert_int_equal(r.n, 22);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(r.args[i], want_head[i]);
    for (size_t i = 1; i < r.n; i++)
        assert_true(r.times[i - 1] <= r.times[i]);
    rec_free(&r);
    sl_engine_release(&e);
}

/* ------------------------------------------------------------------ */
/* Randomized stress against a naive model */

struct model_event {
    uint64_t id;
    int64_t t;
    int prio;
    uint64_t seq;
    uint64_t token;
};

struct stress {
    struct sl_engine *e;
    struct model_event *ev;
    size_t n, cap;
    uint64_t seq, next_token, rng;
    size_t fired;
    uint64_t stale[64]; /* ids known to be dead */
    size_t nstale;
};

static void stress_fire(struct sl_engine *e, void *ctx, uint64_t token);

static size_t model_min(const struct stress *s)
{
    size_t best = 0;
    for (size_t i = 1; i < s->n; i++) {
        const struct model_event *a = &s->ev[i], *b = &s->ev[best];
        if (a->t < b->t ||
            (a->t == b->t && (a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq))))
            best = i;
    }
    return best;
}

static void model_remove(struct stress *s, size_t i)
{
    s->stale[s->nstale++ % 64] = s->ev[i].id;
    s->ev[i] = s->ev[--s->n];
}

static int64_t random_time(struct stress *s)
{
    /* Mostly near the present and in a coarse grid, so that equal times
     * and schedules at exactly now are common. */
    uint64_t r = below(&s->rng, 4);
    int64_t now = sl_engine_now(s->e);
    if (r == 0)
        return now;
    if (r == 1)
        return now + (int64_t)below(&s->rng, 4) * 10;
    return now + (int64_t)below(&s->rng, 2000);
}

static void stress_op(struct stress *s)
{
    uint64_t r = below(&s->rng, 10);
    if (r < 5 || s->n == 0) {
        if (s->n == s->cap)
            return;
        struct model_event *m = &s->ev[s->n];
        m->t = random_time(s);
        m->prio = (int)below(&s->rng, 3) - 1;
        m->token = s->next_token++;
        assert_int_equal(sl_engine_schedule(s->e, m->t, m->prio, stress_fire, s, m->token, &m->id),
                         SL_OK);
        m->seq = s->seq++;
        s->n++;
    } else if (r < 7) {
        size_t i = (size_t)below(&s->rng, s->n);
        assert_int_equal(sl_engine_cancel(s->e, s->ev[i].id), SL_OK);
        model_remove(s, i);
    } else if (r < 9) {
        size_t i = (size_t)below(&s->rng, s->n);
        int64_t t = random_time(s);
        assert_int_equal(sl_engine_reschedule(s->e, s->ev[i].id, t), SL_OK);
        s->ev[i].t = t;
        s->ev[i].seq = s->seq++;
    } else if (s->nstale > 0) {
        uint64_t id = s->stale[below(&s->rng, s->nstale < 64 ? s->nstale : 64)];
        assert_int_equal(sl_engine_cancel(s->e, id), SL_ESTALE);
        assert_int_equal(sl_engine_reschedule(s->e, id, sl_engine_now(s->e)), SL_ESTALE);
        assert_false(sl_engine_is_pending(s->e, id));
    }
}

static void stress_fire(struct sl_engine *e, void *ctx, uint64_t token)
{
    struct stress *s = ctx;
    assert_true(s->n > 0);
    size_t i = model_min(s);
    assert_int_equal(token, s->ev[i].token);
    assert_int_equal(sl_engine_now(e), s->ev[i].t);
    model_remove(s, i);
    assert_int_equal(sl_engine_pending(e), s->n);
    s->fired++;
    /* Zero to three operations from inside the handler. */
    uint64_t k = below(&s->rng, 4);
    for (uint64_t j = 0; j < k; j++)
        stress_op(s);
    if (s->fired % 61 == 0)
        check(e);
}

static void test_stress_against_model(void **state)
{
    (void)state;
    struct sl_engine e;
    struct stress s;
    memset(&s, 0, sizeof s);
    s.e = &e;
    s.cap = 600;
    s.ev = calloc(s.cap, sizeof *s.ev);
    s.rng = 12345;
    assert_non_null(s.ev);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    for (int round = 0; round < 6000; round++) {
        uint64_t ops = below(&s.rng, 40);
        for (uint64_t j = 0; j < ops; j++)
            stress_op(&s);
        check(&e);
        assert_int_equal(sl_engine_pending(&e), s.n);
        int64_t end = sl_engine_now(&e) + (int64_t)below(&s.rng, 300);
        int rc = sl_engine_run(&e, end);
        assert_true(rc == SL_RUN_END_TIME || rc == SL_RUN_EMPTY);
        assert_int_equal(rc == SL_RUN_EMPTY, s.n == 0);
        assert_int_equal(sl_engine_now(&e), end);
        for (size_t i = 0; i < s.n; i++)
            assert_true(s.ev[i].t > end);
        check(&e);
    }
    assert_true(s.fired > 50000);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(s.n, 0);
    free(s.ev);
    sl_engine_release(&e);
}

/* ------------------------------------------------------------------ */
/* Allocation failure */

struct fail_after {
    long left; /* allocations (not frees) still allowed; < 0 = unlimited */
    long failures;
};

static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    struct fail_after *f = ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (f->left == 0) {
        f->failures++;
        return NULL;
    }
    if (f->left > 0)
        f->left--;
    return realloc(ptr, size);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    enum { N = 3000 };
    for (long budget = 0; budget < 40; budget++) {
        struct fail_after f = {budget, 0};
        struct sl_engine e;
        struct recorder r;
        rec_init(&r, 2 * N);
        sl_alloc_set_hook(failing_alloc, &f);
        int rc = sl_engine_init(&e);
        if (rc != SL_OK) {
            assert_int_equal(rc, SL_ENOMEM);
            sl_alloc_set_hook(NULL, NULL);
            rec_free(&r);
            continue;
        }
        size_t ok = 0;
        uint64_t ids[N];
        for (uint64_t i = 0; i < N; i++) {
            uint64_t id = 0;
            rc = sl_engine_schedule(&e, (int64_t)(N - i), 0, record, &r, i, &id);
            if (rc == SL_OK) {
                ids[ok++] = id;
            } else {
                /* The failed schedule left everything as it was. */
                assert_int_equal(rc, SL_ENOMEM);
                assert_int_equal(id, 0);
                assert_int_equal(sl_engine_pending(&e), ok);
                check(&e);
            }
        }
        if (budget < 20)
            assert_true(f.failures > 0);
        check(&e);
        /* Usable while allocations still fail: cancel, reschedule, run. */
        if (ok > 2) {
            assert_int_equal(sl_engine_cancel(&e, ids[0]), SL_OK);
            assert_int_equal(sl_engine_reschedule(&e, ids[1], 1), SL_OK);
            ok--;
            check(&e);
        }
        /* Then with memory back, everything works and fires in order. */
        sl_alloc_set_hook(NULL, NULL);
        for (uint64_t i = 0; i < 100; i++)
            assert_int_equal(sl_engine_schedule(&e, (int64_t)(2 * N + i), 0, record, &r, i, NULL),
                             SL_OK);
        check(&e);
        assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
        assert_int_equal(r.n, ok + 100);
        for (size_t i = 1; i < r.n; i++)
            assert_true(r.times[i - 1] <= r.times[i]);
        sl_engine_release(&e);
        rec_free(&r);
    }
}

/* The allocator fails inside a handler: the handler sees SL_ENOMEM and the
 * run continues consistently. */
struct oom_handler {
    struct fail_after *f;
    int rc;
    size_t calls;
};

static void schedule_under_oom(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct oom_handler *o = ctx;
    o->calls++;
    if (arg == 0) {
        /* The first schedule takes the vacant root and needs no memory;
         * the rest need a bigger heap and slot table. */
        o->f->left = 0;
        for (int i = 0; i < 200 && o->rc == SL_OK; i++)
            o->rc =
                sl_engine_schedule(e, sl_engine_now(e) + 1 + i, 0, schedule_under_oom, o, 1, NULL);
        check(e);
    }
}

static void test_allocation_failure_in_handler(void **state)
{
    (void)state;
    struct fail_after f = {-1, 0};
    struct oom_handler o = {&f, SL_OK, 0};
    struct sl_engine e;
    sl_alloc_set_hook(failing_alloc, &f);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    for (int i = 0; i < 64; i++)
        assert_int_equal(sl_engine_schedule(&e, 10 + i, 0, schedule_under_oom, &o,
                                            (uint64_t)i == 0 ? 0 : 1, NULL),
                         SL_OK);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(o.rc, SL_ENOMEM);
    assert_true(f.failures > 0);
    /* 64 initial events plus the schedules that fitted before the failure. */
    assert_true(o.calls > 64);
    check(&e);
    sl_alloc_set_hook(NULL, NULL);
    sl_engine_release(&e);
}

static void test_release_and_reuse(void **state)
{
    (void)state;
    struct sl_engine e;
    struct recorder r;
    rec_init(&r, 16);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sl_engine_schedule(&e, i, 0, nop, NULL, 0, NULL), SL_OK);
    sl_engine_release(&e);
    assert_int_equal(sl_engine_pending(&e), 0);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    sched(&e, 3, 0, &r, 7);
    assert_int_equal(sl_engine_run(&e, 10), SL_RUN_EMPTY);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.args[0], 7);
    sl_engine_release(&e);
    sl_engine_release(&e);
    rec_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tie_order),
        cmocka_unit_test(test_reference_order_ties),
        cmocka_unit_test(test_reference_order_wide),
        cmocka_unit_test(test_descending_and_ascending),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cancel_moves_last_leaf_up),
        cmocka_unit_test(test_reschedule),
        cmocka_unit_test(test_stale_ids),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_sequence_exhausted),
        cmocka_unit_test(test_stop_from_handler),
        cmocka_unit_test(test_event_limit),
        cmocka_unit_test(test_end_time),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_same_time_from_handler),
        cmocka_unit_test(test_next_time_inside_handler),
        cmocka_unit_test(test_operations_inside_handler),
        cmocka_unit_test(test_stress_against_model),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_allocation_failure_in_handler),
        cmocka_unit_test(test_release_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
