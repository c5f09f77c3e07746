/*
 * Unit tests for the event engine (include/suanli/engine.h).
 *
 * Order is checked against references that share no code with the engine:
 * a qsort of (time, priority, sequence) for bulk schedules, a textbook
 * binary heap with lazy deletion for the hold model, and a naive model (an
 * unsorted array scanned for its minimum) for the randomized mix of
 * schedule, cancel and reschedule, including operations made from inside
 * handlers while the engine's root is vacant.  sl__engine_check verifies
 * the invariants of every tier along the way, after every operation in the
 * small-ladder tests.  Allocation failures are injected through the
 * sl_alloc hook at every allocation in turn.
 *
 * The ladder tests are white-box where they must be: they lower the
 * thresholds in e.tune so that a few hundred events build rungs several
 * levels deep, they ask sl__engine_tier where an event is, and they read
 * the boundaries (bottom_end, top_start, rung[].cur_us) to schedule at
 * them.  Each asserts that the structures it means to exercise were
 * actually reached, so that it cannot pass vacuously.
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
#include "core/engine_int.h"
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
    int check_each;      /* run sl__engine_check after every operation */
    int wide;            /* also draw huge and near-INT64_MAX times */
    int allow_enomem;    /* a schedule may fail with SL_ENOMEM */
    int no_ops;          /* handlers only check the order */
    size_t enomem;       /* schedules that did */
    unsigned tiers_seen; /* bit SL__TIER_* of every event placed */
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

/* now + d, or INT64_MAX minus a little (but not before now) when that
 * would overflow. */
static int64_t clamp_add(uint64_t *rng, int64_t now, int64_t d)
{
    if (d > INT64_MAX - now) {
        int64_t t = INT64_MAX - (int64_t)below(rng, 3);
        return t < now ? now : t;
    }
    return now + d;
}

static int64_t random_time(struct stress *s)
{
    /* Mostly near the present and in a coarse grid, so that equal times
     * and schedules at exactly now are common. */
    uint64_t r = below(&s->rng, s->wide ? 8 : 4);
    int64_t now = sl_engine_now(s->e);
    if (r == 0)
        return now;
    if (r == 1)
        return clamp_add(&s->rng, now, (int64_t)below(&s->rng, 4) * 10);
    if (r < 4)
        return clamp_add(&s->rng, now, (int64_t)below(&s->rng, 2000));
    /* Wide: a 1 us step, a 10^15 us step, anywhere, and the very end. */
    if (r == 4)
        return clamp_add(&s->rng, now, 1);
    if (r == 5)
        return clamp_add(&s->rng, now, INT64_C(1000000000000000));
    if (r == 6)
        return clamp_add(&s->rng, now, (int64_t)(splitmix64(&s->rng) >> 1));
    int64_t t = INT64_MAX - (int64_t)below(&s->rng, 4);
    return t < now ? now : t;
}

static void note_tier(struct stress *s, uint64_t id)
{
    int tier = sl__engine_tier(s->e, id);
    assert_true(tier >= 0 && tier < 16);
    s->tiers_seen |= 1u << tier;
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
        m->id = 0;
        int rc = sl_engine_schedule(s->e, m->t, m->prio, stress_fire, s, m->token, &m->id);
        if (rc == SL_ENOMEM && s->allow_enomem) {
            assert_int_equal(m->id, 0);
            s->enomem++;
        } else {
            assert_int_equal(rc, SL_OK);
            m->seq = s->seq++;
            s->n++;
            note_tier(s, m->id);
        }
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
        note_tier(s, s->ev[i].id);
    } else if (s->nstale > 0) {
        uint64_t id = s->stale[below(&s->rng, s->nstale < 64 ? s->nstale : 64)];
        assert_int_equal(sl_engine_cancel(s->e, id), SL_ESTALE);
        assert_int_equal(sl_engine_reschedule(s->e, id, sl_engine_now(s->e)), SL_ESTALE);
        assert_false(sl_engine_is_pending(s->e, id));
    }
    if (s->check_each)
        check(s->e);
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
    if (s->check_each)
        check(e);
    /* Zero to three operations from inside the handler. */
    uint64_t k = s->no_ops ? 0 : below(&s->rng, 4);
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

/* ------------------------------------------------------------------ */
/* The ladder front end */

/* Lowers the ladder's thresholds so that a few hundred events build rungs
 * several levels deep, split buckets and use every tier. */
static void tune_small(struct sl_engine *e)
{
    e->tune.ladder_on = 8;
    e->tune.split = 4;
    e->tune.occ = 2;
    e->tune.run_max = 4;
    e->spill_at = e->tune.ladder_on;
}

/* Every tier named by sl__engine_tier up to rung 2. */
#define ALL_TIERS                                                                                  \
    (1u << SL__TIER_HEAP | 1u << SL__TIER_RUN | 1u << SL__TIER_TOP | 1u << SL__TIER_RUNG0 |        \
     1u << (SL__TIER_RUNG0 + 1) | 1u << (SL__TIER_RUNG0 + 2))

/* The randomized model test with a small ladder and the invariant checker
 * after every operation, inside handlers too. */
static void run_small_ladder_stress(int wide, uint64_t seed)
{
    struct sl_engine e;
    struct stress s;
    memset(&s, 0, sizeof s);
    s.e = &e;
    s.cap = 400;
    s.ev = calloc(s.cap, sizeof *s.ev);
    s.rng = seed;
    s.check_each = 1;
    s.wide = wide;
    assert_non_null(s.ev);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    tune_small(&e);
    unsigned max_rungs = 0;
    for (int round = 0; round < 1500; round++) {
        uint64_t ops = below(&s.rng, 60);
        for (uint64_t j = 0; j < ops; j++)
            stress_op(&s);
        max_rungs = e.nrungs > max_rungs ? e.nrungs : max_rungs;
        int64_t now = sl_engine_now(&e);
        int64_t span = wide && below(&s.rng, 4) == 0 ? (int64_t)(splitmix64(&s.rng) >> 2)
                                                     : (int64_t)below(&s.rng, 300);
        int64_t end = clamp_add(&s.rng, now, span);
        int rc = sl_engine_run(&e, end);
        assert_true(rc == SL_RUN_END_TIME || rc == SL_RUN_EMPTY);
        assert_int_equal(rc == SL_RUN_EMPTY, s.n == 0);
        for (size_t i = 0; i < s.n; i++)
            assert_true(s.ev[i].t > end);
        check(&e);
        if (end > INT64_MAX / 2) {
            /* Drain and start over, or the clock would pin at the end. */
            assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
            assert_int_equal(s.n, 0);
            sl_engine_release(&e);
            assert_int_equal(sl_engine_init(&e), SL_OK);
            tune_small(&e);
            s.nstale = 0;
        }
    }
    assert_true(s.fired > 20000);
    assert_int_equal(s.tiers_seen & ALL_TIERS, ALL_TIERS);
    assert_true(max_rungs >= 3);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(s.n, 0);
    check(&e);
    free(s.ev);
    sl_engine_release(&e);
}

static void test_small_ladder_check_every_op(void **state)
{
    (void)state;
    run_small_ladder_stress(0, 777);
}

static void test_small_ladder_wide_times(void **state)
{
    (void)state;
    run_small_ladder_stress(1, 4242);
}

/* Large bulk schedules against a qsort of (t, prio, seq), for time
 * distributions that stress the bucket arithmetic.  The engine is filled
 * first and then drained, so the whole set passes through the top, the
 * rungs and the bottom. */
enum bulk_times { BULK_EXP, BULK_NEAR_MAX, BULK_TINY_HUGE, BULK_FULL_RANGE, BULK_TIES };

static int64_t bulk_time(enum bulk_times kind, uint64_t *rng)
{
    uint64_t r = splitmix64(rng);
    switch (kind) {
    case BULK_EXP: {
        /* Roughly exponential: a uniform shifted by a geometric power. */
        int64_t u = (int64_t)(r >> 44);
        return u << (r & 15);
    }
    case BULK_NEAR_MAX:
        return INT64_MAX - (int64_t)(r >> 40);
    case BULK_TINY_HUGE:
        /* Multiples of 1 us and of 10^15 us: neighbours 1 us apart and
         * clusters 10^15 us apart. */
        return (int64_t)below(rng, 8000) * INT64_C(1000000000000000) + (int64_t)(r >> 60);
    case BULK_FULL_RANGE:
        return (int64_t)(r >> 1);
    case BULK_TIES:
    default:
        return (r & 7) == 0 ? INT64_C(5000000) : (int64_t)(r >> 48);
    }
}

static void run_bulk(enum bulk_times kind, size_t n, uint64_t seed)
{
    struct sl_engine e;
    struct recorder r;
    struct ref_event *ref = calloc(n, sizeof *ref);
    assert_non_null(ref);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, n);
    uint64_t rng = seed;
    for (uint64_t i = 0; i < n; i++) {
        ref[i].t = bulk_time(kind, &rng);
        ref[i].prio = (int)below(&rng, 7) - 3;
        ref[i].seq = i;
        assert_int_equal(sl_engine_schedule(&e, ref[i].t, ref[i].prio, record, &r, i, NULL), SL_OK);
    }
    check(&e);
    qsort(ref, n, sizeof *ref, ref_cmp);
    assert_int_equal(sl_engine_next_time(&e), ref[0].t);
    /* Stop halfway to check the ladder in the middle of an epoch. */
    assert_int_equal(sl_engine_run(&e, ref[n / 2].t - 1), SL_RUN_END_TIME);
    check(&e);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(r.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.args[i], ref[i].seq);
        assert_int_equal(r.times[i], ref[i].t);
    }
    check(&e);
    rec_free(&r);
    free(ref);
    sl_engine_release(&e);
}

static void test_bulk_exponential(void **state)
{
    (void)state;
    run_bulk(BULK_EXP, 200000, 11);
}

static void test_bulk_near_int64_max(void **state)
{
    (void)state;
    run_bulk(BULK_NEAR_MAX, 200000, 12);
}

static void test_bulk_tiny_and_huge_steps(void **state)
{
    (void)state;
    run_bulk(BULK_TINY_HUGE, 200000, 13);
}

static void test_bulk_full_range(void **state)
{
    (void)state;
    run_bulk(BULK_FULL_RANGE, 200000, 14);
}

static void test_bulk_ties(void **state)
{
    (void)state;
    run_bulk(BULK_TIES, 200000, 15);
}

/* A reference priority queue for the hold model: a textbook binary heap of
 * (t, prio, seq) with lazy deletion, sharing no code with the engine. */
struct rq_item {
    int64_t t;
    int prio;
    uint64_t seq;
    uint32_t tok;
};

struct rq {
    struct rq_item *v;
    size_t n, cap;
};

static int rq_less(const struct rq_item *a, const struct rq_item *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->prio != b->prio)
        return a->prio < b->prio;
    return a->seq < b->seq;
}

static void rq_push(struct rq *q, struct rq_item x)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 1024;
        q->v = realloc(q->v, q->cap * sizeof *q->v);
        assert_non_null(q->v);
    }
    size_t i = q->n++;
    while (i > 0 && rq_less(&x, &q->v[(i - 1) / 2])) {
        q->v[i] = q->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->v[i] = x;
}

static struct rq_item rq_pop(struct rq *q)
{
    assert_true(q->n > 0);
    struct rq_item top = q->v[0], x = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && rq_less(&q->v[c + 1], &q->v[c]))
            c++;
        if (!rq_less(&q->v[c], &x))
            break;
        q->v[i] = q->v[c];
        i = c;
    }
    if (q->n > 0)
        q->v[i] = x;
    return top;
}

/* The hold model run against the reference: every fired event schedules a
 * successor; some also schedule at now, cancel or reschedule another
 * pending event.  Increments mix the classic large random ones with 0,
 * 1 us and 10^15 us steps, so epochs turn over constantly while a cloud of
 * far events sits in the top across all of them. */
struct htok {
    uint64_t id;
    uint64_t seq;
    int prio;
    uint32_t live_at; /* index in live[], UINT32_MAX when not pending */
};

struct hold_ref {
    struct sl_engine *e;
    struct rq q;
    struct htok *tok;
    uint32_t ntok, cap;
    uint32_t *free_tok;
    uint32_t nfree;
    uint32_t *live;
    uint32_t nlive;
    uint64_t seq, rng, fired;
    int draining, mixed;
    unsigned tiers_seen, max_rungs;
    uint64_t epochs, last_top_start, last_bottom_end;
    uint64_t at_refill; /* handlers run right after the bottom was refilled */
};

static void href_fire(struct sl_engine *e, void *ctx, uint64_t arg);

static int64_t href_inc(struct hold_ref *h)
{
    uint64_t r = below(&h->rng, 100);
    if (r < 3)
        return 0;
    if (r < 10)
        return 1;
    if (h->mixed && r < 12)
        return INT64_C(1000000000000000);
    if (h->mixed && r < 20)
        return (int64_t)below(&h->rng, INT64_C(200000000000));
    return (int64_t)below(&h->rng, INT64_C(2000000000));
}

static void href_schedule(struct hold_ref *h, int64_t t, int prio)
{
    uint32_t k;
    if (h->nfree > 0) {
        k = h->free_tok[--h->nfree];
    } else {
        assert_true(h->ntok < h->cap);
        k = h->ntok++;
    }
    struct htok *tk = &h->tok[k];
    assert_int_equal(sl_engine_schedule(h->e, t, prio, href_fire, h, k, &tk->id), SL_OK);
    tk->seq = h->seq++;
    tk->prio = prio;
    tk->live_at = h->nlive;
    h->live[h->nlive++] = k;
    struct rq_item x = {t, prio, tk->seq, k};
    rq_push(&h->q, x);
    int tier = sl__engine_tier(h->e, tk->id);
    assert_true(tier >= 0 && tier < 16);
    h->tiers_seen |= 1u << tier;
}

static void href_unlive(struct hold_ref *h, uint32_t k)
{
    uint32_t at = h->tok[k].live_at;
    uint32_t last = h->live[--h->nlive];
    h->live[at] = last;
    h->tok[last].live_at = at;
    h->tok[k].live_at = UINT32_MAX;
}

static void href_fire(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct hold_ref *h = ctx;
    struct rq_item x;
    do
        x = rq_pop(&h->q);
    while (h->tok[x.tok].live_at == UINT32_MAX || h->tok[x.tok].seq != x.seq);
    assert_int_equal(arg, x.tok);
    assert_int_equal(sl_engine_now(e), x.t);
    href_unlive(h, x.tok);
    h->free_tok[h->nfree++] = x.tok;
    h->fired++;
    if (e->nrungs > h->max_rungs)
        h->max_rungs = e->nrungs;
    if (e->top_start != h->last_top_start) {
        h->epochs++;
        h->last_top_start = e->top_start;
    }
    if (h->fired % 101 == 0 && h->nlive > 0) {
        int tier = sl__engine_tier(e, h->tok[h->live[below(&h->rng, h->nlive)]].id);
        assert_true(tier >= 0 && tier < 16);
        h->tiers_seen |= 1u << tier;
    }
    if (h->draining)
        return;
    /* The successor; at now in particular right after the bottom was
     * refilled from the ladder. */
    int64_t now = sl_engine_now(e);
    uint64_t r = below(&h->rng, 40);
    int64_t inc = href_inc(h);
    if (e->bottom_end != h->last_bottom_end) {
        /* The bottom boundary moved since the last handler: the bottom
         * was just refilled. */
        h->last_bottom_end = e->bottom_end;
        h->at_refill++;
        inc = 0;
    } else if (r == 2) {
        inc = 0;
    }
    href_schedule(h, clamp_add(&h->rng, now, inc), (int)below(&h->rng, 5) - 2);
    if (r == 0 && h->nlive > 0) {
        uint32_t k = h->live[below(&h->rng, h->nlive)];
        assert_int_equal(sl_engine_cancel(e, h->tok[k].id), SL_OK);
        href_unlive(h, k);
        h->free_tok[h->nfree++] = k;
        /* Keep the population steady. */
        href_schedule(h, clamp_add(&h->rng, now, href_inc(h)), 0);
    } else if (r == 1 && h->nlive > 0) {
        uint32_t k = h->live[below(&h->rng, h->nlive)];
        int64_t t = clamp_add(&h->rng, now, href_inc(h));
        assert_int_equal(sl_engine_reschedule(e, h->tok[k].id, t), SL_OK);
        h->tok[k].seq = h->seq++;
        struct rq_item y = {t, h->tok[k].prio, h->tok[k].seq, k};
        rq_push(&h->q, y);
    }
}

static void run_hold_reference(uint32_t n, uint64_t holds, uint64_t min_epochs)
{
    struct sl_engine e;
    struct hold_ref h;
    memset(&h, 0, sizeof h);
    h.e = &e;
    h.cap = n + 16;
    h.tok = calloc(h.cap, sizeof *h.tok);
    h.free_tok = calloc(h.cap, sizeof *h.free_tok);
    h.live = calloc(h.cap, sizeof *h.live);
    assert_non_null(h.tok);
    assert_non_null(h.free_tok);
    assert_non_null(h.live);
    h.rng = 99 + n;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    for (uint32_t i = 0; i < n; i++)
        href_schedule(&h, href_inc(&h), (int)below(&h.rng, 5) - 2);
    check(&e);
    /* The classic hold model turns the top over into new rungs again and
     * again; then tiny and enormous steps push the ladder deeper. */
    for (int seg = 0; seg < 8; seg++) {
        if (seg == 6) {
            assert_true(h.epochs >= min_epochs);
            h.mixed = 1;
        }
        sl_engine_set_event_limit(&e, sl_engine_fired(&e) + holds / 8);
        assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EVENT_LIMIT);
        assert_int_equal(sl_engine_pending(&e), h.nlive);
        check(&e);
    }
    /* Every tier was used, the ladder went at least three rungs deep, and
     * handlers scheduled at now right after a refill. */
    assert_int_equal(h.tiers_seen & ALL_TIERS, ALL_TIERS);
    assert_true(h.max_rungs >= 3);
    assert_true(h.at_refill >= 1000);
    /* Drain, including the 10^15 us cloud. */
    h.draining = 1;
    sl_engine_set_event_limit(&e, 0);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(h.nlive, 0);
    assert_int_equal(h.fired, holds + n);
    check(&e);
    free(h.q.v);
    free(h.tok);
    free(h.free_tok);
    free(h.live);
    sl_engine_release(&e);
}

/* 2 x 10^5 pending events: scale, and a few epochs. */
static void test_hold_reference_large(void **state)
{
    (void)state;
    run_hold_reference(200000, 1000000, 1);
}

/* 2 x 10^4 pending events: many epochs. */
static void test_hold_reference_epochs(void **state)
{
    (void)state;
    run_hold_reference(20000, 1000000, 10);
}

/* 10^4 events at one time with different priorities, scheduled in random
 * order among 10^5 others, and more of them at that time from a handler
 * when the clock gets there.  The tie can never be split, so it must end
 * up whole in the heap, ordered by priority and sequence. */
struct tie_ctx {
    struct recorder *r;
    struct ref_event *ref;
    size_t nref;
    uint64_t rng;
};

static void tie_spawn(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct tie_ctx *c = ctx;
    record(e, c->r, arg);
    if (arg != UINT64_MAX - 1)
        return;
    for (int i = 0; i < 2000; i++) {
        struct ref_event *x = &c->ref[c->nref];
        x->t = sl_engine_now(e);
        x->prio = (int)below(&c->rng, 201) - 100;
        x->seq = c->nref++;
        assert_int_equal(sl_engine_schedule(e, x->t, x->prio, record, c->r, x->seq, NULL), SL_OK);
    }
    check(e);
}

static void test_heavy_ties(void **state)
{
    (void)state;
    enum { TIES = 10000, OTHERS = 100000, LATE = 2000 };
    const int64_t tie_t = INT64_C(777777);
    struct sl_engine e;
    struct recorder r;
    struct tie_ctx c = {&r, calloc(TIES + OTHERS + LATE, sizeof(struct ref_event)), 0, 5};
    assert_non_null(c.ref);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    rec_init(&r, TIES + OTHERS + LATE + 1);
    for (size_t i = 0; i < TIES + OTHERS; i++) {
        struct ref_event *x = &c.ref[c.nref];
        int tie = below(&c.rng, (TIES + OTHERS) / TIES) == 0 && i % 2 == 0;
        x->t = tie ? tie_t : (int64_t)below(&c.rng, 2 * (uint64_t)tie_t);
        x->prio = (int)below(&c.rng, 201) - 100;
        x->seq = c.nref++;
        assert_int_equal(sl_engine_schedule(&e, x->t, x->prio, record, &r, x->seq, NULL), SL_OK);
    }
    /* The spawner fires first at tie_t (lowest priority) and adds LATE
     * more events at that same time from inside its handler. */
    assert_int_equal(
        sl_engine_schedule(&e, tie_t, SL_PRIO_MIN, tie_spawn, &c, UINT64_MAX - 1, NULL), SL_OK);
    check(&e);
    size_t ties = 0;
    for (size_t i = 0; i < c.nref; i++)
        ties += c.ref[i].t == tie_t;
    assert_true(ties > TIES / 2);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(c.nref, TIES + OTHERS + LATE);
    qsort(c.ref, c.nref, sizeof *c.ref, ref_cmp);
    /* The spawner is recorded just before the first event at tie_t. */
    assert_int_equal(r.n, c.nref + 1);
    size_t k = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.args[i] == UINT64_MAX - 1) {
            assert_int_equal(r.times[i], tie_t);
            assert_true(k == c.nref || c.ref[k].t >= tie_t);
            assert_true(k == 0 || c.ref[k - 1].t < tie_t);
            continue;
        }
        assert_int_equal(r.args[i], c.ref[k].seq);
        assert_int_equal(r.times[i], c.ref[k].t);
        k++;
    }
    check(&e);
    rec_free(&r);
    free(c.ref);
    sl_engine_release(&e);
}

/* The ladder near the end of time: a clock close to INT64_MAX, buckets
 * whose end would overflow, and events at INT64_MAX itself. */
static void test_time_extremes(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct sl_engine e;
    struct recorder r;
    struct ref_event *ref = calloc(2 * N + 3, sizeof *ref);
    assert_non_null(ref);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    tune_small(&e);
    rec_init(&r, 2 * N + 3);
    uint64_t rng = 8;
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        int64_t t = i % 3 == 0   ? INT64_MAX - (int64_t)below(&rng, 5)
                    : i % 3 == 1 ? INT64_MAX - (int64_t)(splitmix64(&rng) >> 2)
                                 : (int64_t)(splitmix64(&rng) >> 1);
        ref[n].t = t;
        ref[n].prio = (int)below(&rng, 3);
        ref[n].seq = n;
        sched(&e, t, ref[n].prio, &r, n);
        n++;
    }
    check(&e);
    /* Run to just before the end, then add more right at the end. */
    int64_t late = INT64_MAX - 10;
    assert_int_equal(sl_engine_run(&e, late), SL_RUN_END_TIME);
    check(&e);
    for (size_t i = 0; i < N; i++) {
        int64_t t = late + (int64_t)below(&rng, 11);
        ref[n].t = t;
        ref[n].prio = (int)below(&rng, 3);
        ref[n].seq = n;
        sched(&e, t, ref[n].prio, &r, n);
        n++;
    }
    assert_int_equal(sl_engine_schedule_in(&e, 10, 0, record, &r, n, NULL), SL_OK);
    ref[n].t = INT64_MAX;
    ref[n].prio = 0;
    ref[n].seq = n;
    n++;
    assert_int_equal(sl_engine_schedule_in(&e, 11, 0, record, &r, n, NULL), SL_ERANGE);
    check(&e);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(sl_engine_now(&e), INT64_MAX);
    qsort(ref, n, sizeof *ref, ref_cmp);
    assert_int_equal(r.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.args[i], ref[i].seq);
        assert_int_equal(r.times[i], ref[i].t);
    }
    rec_free(&r);
    free(ref);
    sl_engine_release(&e);
}

/* Events at exactly the ladder's boundaries, and one before: the bottom
 * boundary, every rung's current and end time, bucket edges, and the top's
 * start.  Each must land in the one tier that holds its time. */
static void add_at(struct stress *s, int64_t t)
{
    if (t < sl_engine_now(s->e) || s->n == s->cap)
        return;
    struct model_event *m = &s->ev[s->n];
    m->t = t;
    m->prio = (int)below(&s->rng, 3) - 1;
    m->token = s->next_token++;
    assert_int_equal(sl_engine_schedule(s->e, t, m->prio, stress_fire, s, m->token, &m->id), SL_OK);
    m->seq = s->seq++;
    s->n++;
    check(s->e);
}

static void test_boundary_times(void **state)
{
    (void)state;
    struct sl_engine e;
    struct stress s;
    memset(&s, 0, sizeof s);
    s.e = &e;
    s.cap = 20000;
    s.ev = calloc(s.cap, sizeof *s.ev);
    s.rng = 555;
    s.no_ops = 1;
    assert_non_null(s.ev);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    tune_small(&e);
    size_t added = 0;
    for (int round = 0; round < 200; round++) {
        while (s.n < 1000) {
            int64_t now = sl_engine_now(&e);
            add_at(&s, now + (int64_t)below(&s.rng, 1 << 20));
        }
        int64_t end = sl_engine_now(&e) + (int64_t)below(&s.rng, 1 << 14);
        assert_int_equal(sl_engine_run(&e, end), SL_RUN_END_TIME);
        size_t before = s.n;
        uint64_t edges[4 + 6 * SL__RUNGS];
        size_t ne = 0;
        edges[ne++] = e.bottom_end;
        edges[ne++] = e.top_start;
        for (unsigned r = 0; r < e.nrungs; r++) {
            const struct sl__rung *R = &e.rung[r];
            edges[ne++] = R->cur_us;
            edges[ne++] = R->end;
            edges[ne++] = R->start + ((uint64_t)R->cur << R->shift);
            uint32_t k = R->cur + (uint32_t)below(&s.rng, R->nb - R->cur + 1);
            edges[ne++] = R->start + ((uint64_t)k << R->shift);
            edges[ne++] = R->start + ((uint64_t)(R->nb - 1) << R->shift);
        }
        for (size_t i = 0; i < ne; i++) {
            if (edges[i] >= (UINT64_C(1) << 62))
                continue;
            add_at(&s, (int64_t)edges[i]);
            add_at(&s, (int64_t)edges[i] - 1);
        }
        added += s.n - before;
    }
    assert_true(added > 2000);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(s.n, 0);
    free(s.ev);
    sl_engine_release(&e);
}

/* Cancel and reschedule events in every tier, and reschedule between every
 * pair of tiers in both directions, against the naive model. */
static uint64_t find_in_tier(struct stress *s, int tier, size_t *at)
{
    for (size_t i = 0; i < s->n; i++) {
        if (sl__engine_tier(s->e, s->ev[i].id) == tier) {
            *at = i;
            return s->ev[i].id;
        }
    }
    return 0;
}

/* A time that lands in the given tier now: the latest pending time in it
 * (-1 if the tier is empty), and in *at that event's model index.  For the
 * heap, any time of the bottom will do. */
static int64_t time_in_tier(struct stress *s, int tier, size_t *at)
{
    int64_t t = -1;
    for (size_t i = 0; i < s->n; i++) {
        int k = sl__engine_tier(s->e, s->ev[i].id);
        if (tier == SL__TIER_HEAP && k == SL__TIER_RUN)
            k = SL__TIER_HEAP;
        if (k == tier && s->ev[i].t > t) {
            t = s->ev[i].t;
            *at = i;
        }
    }
    return t;
}

static void test_every_tier(void **state)
{
    (void)state;
    struct sl_engine e;
    struct stress s;
    memset(&s, 0, sizeof s);
    s.e = &e;
    s.cap = 5000;
    s.ev = calloc(s.cap, sizeof *s.ev);
    s.rng = 31337;
    s.check_each = 1;
    s.no_ops = 1;
    assert_non_null(s.ev);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    tune_small(&e);
    static const int tiers[] = {SL__TIER_HEAP,  SL__TIER_RUN,       SL__TIER_TOP,
                                SL__TIER_RUNG0, SL__TIER_RUNG0 + 1, SL__TIER_RUNG0 + 2};
    enum { NT = sizeof tiers / sizeof tiers[0] };
    unsigned cancelled = 0, moved[NT] = {0};
    for (int round = 0; round < 400; round++) {
        /* Refill: spread times, with some at now so the heap has events. */
        while (s.n < 2000) {
            struct model_event *m = &s.ev[s.n];
            int64_t now = sl_engine_now(&e);
            m->t = below(&s.rng, 8) == 0 ? now : now + (int64_t)below(&s.rng, 1000000);
            m->prio = (int)below(&s.rng, 3) - 1;
            m->token = s.next_token++;
            assert_int_equal(
                sl_engine_schedule(&e, m->t, m->prio, stress_fire, &s, m->token, &m->id), SL_OK);
            m->seq = s.seq++;
            s.n++;
        }
        /* Advance a little so that the ladder is mid-epoch. */
        int64_t end = sl_engine_now(&e) + (int64_t)below(&s.rng, 20000);
        assert_int_equal(sl_engine_run(&e, end), SL_RUN_END_TIME);
        check(&e);
        for (size_t a = 0; a < NT; a++) {
            size_t i;
            if (find_in_tier(&s, tiers[a], &i) == 0)
                continue;
            if (below(&s.rng, 2)) {
                assert_int_equal(sl_engine_cancel(&e, s.ev[i].id), SL_OK);
                model_remove(&s, i);
                check(&e);
                cancelled |= 1u << a;
            }
        }
        /* Move one event from each tier to each other tier, starting with
         * a different target each round: moves out of the small run soon
         * empty it. */
        size_t first = (size_t)below(&s.rng, NT);
        for (size_t a = 0; a < NT; a++) {
            for (size_t bb = 0; bb < NT; bb++) {
                size_t b = (first + bb) % NT, i, j;
                if (find_in_tier(&s, tiers[a], &i) == 0)
                    continue;
                int64_t t = time_in_tier(&s, tiers[b], &j);
                if (t < 0)
                    continue;
                uint64_t ref_id = s.ev[j].id;
                assert_int_equal(sl_engine_reschedule(&e, s.ev[i].id, t), SL_OK);
                s.ev[i].t = t;
                s.ev[i].seq = s.seq++;
                check(&e);
                /* It joins the event whose time it took (the move may have
                 * refilled the bottom or split that bucket since); in the
                 * bottom, either may be in the heap or the run. */
                int got = sl__engine_tier(&e, s.ev[i].id);
                int want = sl__engine_tier(&e, ref_id);
                if (got == SL__TIER_RUN)
                    got = SL__TIER_HEAP;
                if (want == SL__TIER_RUN)
                    want = SL__TIER_HEAP;
                assert_int_equal(got, want);
                if (a != b)
                    moved[a] |= 1u << b;
            }
        }
    }
    /* Every tier had events cancelled and moved to every other tier (the
     * run is only ever a source: new events never join it). */
    for (size_t a = 0; a < NT; a++) {
        assert_true(cancelled & (1u << a));
        for (size_t b = 0; b < NT; b++)
            if (a != b && tiers[b] != SL__TIER_RUN)
                assert_true(moved[a] & (1u << b));
    }
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(s.n, 0);
    free(s.ev);
    sl_engine_release(&e);
}

/* Allocation failure anywhere in the ladder: a workload that spills the
 * heap, builds and splits rungs, fills the run and grows the chunk pool is
 * run with the n-th allocation failing, for every n; and again with every
 * allocation from the n-th on failing.  Schedules may report SL_ENOMEM;
 * everything else must go on, in the model's order, with the invariants
 * intact. */
struct fail_nth {
    long count; /* allocations so far */
    long fail;  /* the one to fail, or -1 */
    int and_on; /* fail every later one too */
    long failures;
};

static void *nth_alloc(void *ud, void *ptr, size_t size)
{
    struct fail_nth *f = ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    long k = f->count++;
    if (f->fail >= 0 && (k == f->fail || (f->and_on && k > f->fail))) {
        f->failures++;
        return NULL;
    }
    return realloc(ptr, size);
}

static void ladder_workload(struct fail_nth *f, size_t *enomem)
{
    struct sl_engine e;
    struct stress s;
    memset(&s, 0, sizeof s);
    s.e = &e;
    s.cap = 3000;
    s.ev = calloc(s.cap, sizeof *s.ev);
    s.rng = 2024;
    s.allow_enomem = 1;
    s.wide = 1;
    assert_non_null(s.ev);
    sl_alloc_set_hook(nth_alloc, f);
    assert_int_equal(sl_engine_init(&e), SL_OK);
    e.tune.ladder_on = 64;
    e.tune.split = 16;
    e.tune.occ = 4;
    e.tune.run_max = 16;
    e.spill_at = 64;
    for (int round = 0; round < 120; round++) {
        uint64_t ops = below(&s.rng, 80);
        for (uint64_t j = 0; j < ops; j++)
            stress_op(&s);
        check(&e);
        assert_int_equal(sl_engine_pending(&e), s.n);
        int64_t end = clamp_add(&s.rng, sl_engine_now(&e), (int64_t)below(&s.rng, 400));
        int rc = sl_engine_run(&e, end);
        assert_true(rc == SL_RUN_END_TIME || rc == SL_RUN_EMPTY);
        check(&e);
        if (sl_engine_now(&e) > INT64_MAX / 2) {
            assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
            break;
        }
    }
    /* Memory comes back: the engine is fully usable. */
    sl_alloc_set_hook(NULL, NULL);
    for (int i = 0; i < 200; i++)
        stress_op(&s);
    check(&e);
    assert_int_equal(sl_engine_run(&e, INT64_MAX), SL_RUN_EMPTY);
    assert_int_equal(s.n, 0);
    *enomem = s.enomem;
    free(s.ev);
    sl_engine_release(&e);
}

static void test_allocation_failure_ladder(void **state)
{
    (void)state;
    struct fail_nth f = {0, -1, 0, 0};
    size_t enomem;
    ladder_workload(&f, &enomem);
    long total = f.count;
    assert_int_equal(enomem, 0);
    /* Heap, slots, chunk pool, rung headers, run. */
    assert_true(total >= 8);
    long reported = 0, absorbed = 0;
    for (int and_on = 0; and_on <= 1; and_on++) {
        for (long k = 0; k < total; k++) {
            struct fail_nth g = {0, k, and_on, 0};
            ladder_workload(&g, &enomem);
            assert_true(g.failures >= 1);
            reported += enomem > 0;
            absorbed += enomem == 0;
        }
    }
    /* Some failures reached a caller as SL_ENOMEM (heap and slot growth)
     * and some were absorbed inside the ladder (pool, rungs, run). */
    assert_true(reported > 0);
    assert_true(absorbed > 0);
}

/* sl_engine_peek: with 5,000 events at distinct random times (the ladder
 * engaged, nothing scheduled by the handlers), the hint names a pending
 * event of the right handler, and nearly always the one that fires next. */
struct peek_state {
    uint64_t hinted;
    int have_hint;
    size_t hints, right;
    unsigned char *fired;
};

static void peek_handler(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct peek_state *p = ctx;
    if (p->have_hint && p->hinted == arg)
        p->right++;
    p->fired[arg] = 1;
    sl_event_fn fn;
    void *hctx;
    uint64_t next;
    p->have_hint = sl_engine_peek(e, 0, &fn, &hctx, &next);
    if (p->have_hint) {
        p->hints++;
        assert_ptr_equal(fn, peek_handler);
        assert_ptr_equal(hctx, p);
        assert_true(next < 5000);
        assert_false(p->fired[next]); /* a hint names a pending event */
        p->hinted = next;
    }
}

static void test_peek_hint(void **state)
{
    (void)state;
    struct sl_engine e;
    assert_int_equal(sl_engine_init(&e), SL_OK);
    struct peek_state p;
    memset(&p, 0, sizeof p);
    p.fired = calloc(5000, 1);
    assert_non_null(p.fired);
    sl_event_fn fn;
    void *ctx;
    uint64_t arg;
    assert_int_equal(sl_engine_peek(&e, 0, &fn, &ctx, &arg), 0); /* nothing pending */
    uint64_t seed = 99;
    for (uint64_t i = 0; i < 5000; i++)
        assert_int_equal(sl_engine_schedule(&e, (int64_t)(i * 1000 + below(&seed, 999)), 0,
                                            peek_handler, &p, i, NULL),
                         SL_OK);
    assert_int_equal(sl_engine_run(&e, INT64_MAX / 2), SL_RUN_EMPTY);
    for (size_t i = 0; i < 5000; i++)
        assert_true(p.fired[i]);
    assert_true(p.hints > 4000);
    assert_true(p.right * 100 >= p.hints * 99);
    free(p.fired);
    sl_engine_release(&e);
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
        cmocka_unit_test(test_small_ladder_check_every_op),
        cmocka_unit_test(test_small_ladder_wide_times),
        cmocka_unit_test(test_bulk_exponential),
        cmocka_unit_test(test_bulk_near_int64_max),
        cmocka_unit_test(test_bulk_tiny_and_huge_steps),
        cmocka_unit_test(test_bulk_full_range),
        cmocka_unit_test(test_bulk_ties),
        cmocka_unit_test(test_hold_reference_large),
        cmocka_unit_test(test_hold_reference_epochs),
        cmocka_unit_test(test_heavy_ties),
        cmocka_unit_test(test_time_extremes),
        cmocka_unit_test(test_boundary_times),
        cmocka_unit_test(test_every_tier),
        cmocka_unit_test(test_allocation_failure_ladder),
        cmocka_unit_test(test_peek_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
