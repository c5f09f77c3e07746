/*
 * Tests for the cluster scheduler (src/workload/sched.c, sched.h).
 *
 * Small clusters whose schedules are worked by hand in the comments (EASY,
 * fifo against priority, gang, partitions, first-fit against pack and
 * topology), a randomized stress run over every policy and placement whose
 * invariants are checked by a card map kept here, independently of the
 * scheduler's own, EASY against FIFO on a synthetic trace, and the replay
 * of the Alibaba GPU 2023 pod list on its own node list (../shared/data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shared_data.h"
#include "test_util.h"
#include "torture.h"

#include <string.h>

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/fabric.h"
#include "suanli/jobs.h"
#include "suanli/rng.h"
#include "suanli/scenario.h"
#include "workload/sched.h"

#define S 1000000 /* one second in us */

static struct sl_sched *mk(int policy, int placement, struct sl_fabric *f, size_t n,
                           const uint8_t *cards, const uint32_t *part, size_t njobs)
{
    struct sl_sched *s = NULL;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_sched_new(&s, policy, placement, f, n, cards, part, njobs, &d), SL_OK);
    return s;
}

static struct sl_sched *mk_uniform(int policy, int placement, struct sl_fabric *f, size_t n,
                                   uint8_t k, size_t njobs)
{
    uint8_t cards[64];
    uint32_t part[64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        cards[i] = k;
        part[i] = 0;
    }
    return mk(policy, placement, f, n, cards, part, njobs);
}

/* A job of c cards submitted at t seconds that runs (and is estimated at)
 * r seconds. */
static struct sl_sched_job J(uint32_t c, int64_t t, int64_t r, int64_t prio) {
    struct sl_sched_job j = {c, 0, prio, t *S, r *S, r *S};
    return j;
}

static void
replay(struct sl_sched *s, const struct sl_sched_job *jobs, size_t n, int64_t *start)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    struct sl_sched_replay_stats st;
    assert_int_equal(sl_sched_replay(s, jobs, n, start, &st, &d), SL_OK);
    assert_int_equal(sl_sched_queued(s), 0);
    assert_int_equal(sl_sched_running(s), 0);
    assert_int_equal(sl_sched_busy_cards(s), 0);
}

/* Eight servers of one card.  Jobs (cards, submit, run = estimate):
 *   J0 4 @0 10   starts 0, ends 10 (4 free).
 *   J1 6 @1  5   head, 6 > 4 free: blocked.  Its shadow: at 10 J0's end
 *                leaves 8 free, so the reservation is 10.
 *   J2 1 @2  5   fits (4 free); ends 7 <= 10: backfilled at 2 (3 free).
 *   J3 2 @3 20   fits; ends 23 > 10, but at 10 the head finds 8 - 2 = 6
 *                free: the "extra" cards, backfilled at 3 (1 free).
 *   J4 1 @4 20   fits now; ends 24 > 10 and at 10 would leave 8-2-1 = 5
 *                < 6: it would delay the head, so it waits.
 *   J5 1 @5  4   fits; ends 9 <= 10: backfilled at 5 (0 free).
 * At 7 (J2 ends) and 9 (J5 ends) J4 still fails the same test.  At 10 J0
 * ends: 6 free, J1 starts (its reservation).  At 15 J1 ends: J4 starts.
 * FIFO on the same jobs: J1 at 10, J2 at 10 (1 left), J3 (2 cards) waits
 * for J1 and J2 to end at 15, then J3, J4, J5 at 15. */
static void test_easy_hand(void **state)
{
    (void)state;
    const struct sl_sched_job jobs[] = {J(4, 0, 10, 0), J(6, 1, 5, 0),  J(1, 2, 5, 0),
                                        J(2, 3, 20, 0), J(1, 4, 20, 0), J(1, 5, 4, 0)};
    const int64_t easy[] = {0, 10, 2, 3, 15, 5}, fifo[] = {0, 10, 10, 15, 15, 15};
    int64_t start[6];
    struct sl_sched *s = mk_uniform(SL_QUEUE_EASY, SL_PLACE_FIRST_FIT, NULL, 8, 1, 6);
    replay(s, jobs, 6, start);
    for (int i = 0; i < 6; i++)
        assert_int_equal(start[i], easy[i] * S);
    assert_int_equal(sl_sched_reservation(s, 1), 10 * S);
    assert_int_equal(sl_sched_reservation(s, 4), 15 * S); /* head from 10, J1 ends 15 */
    assert_int_equal(sl_sched_reservation(s, 2), -1);
    sl_sched_free(s);
    s = mk_uniform(SL_QUEUE_FIFO, SL_PLACE_FIRST_FIT, NULL, 8, 1, 6);
    replay(s, jobs, 6, start);
    for (int i = 0; i < 6; i++)
        assert_int_equal(start[i], fifo[i] * S);
    sl_sched_free(s);
}

/* Two one-card servers.  J0 2 cards @0 for 10.  Then J1 1 card prio 0 @1,
 * J2 1 card prio 5 @2, J3 2 cards prio 1 @3, each for 10.
 * fifo: at 10 J1 and J2 (both fit), J3 at 20.
 * priority: at 10 J2 (prio 5) starts, J3 (prio 1) needs 2: blocks J1; at
 * 20 J3, at 30 J1. */
static void test_fifo_priority(void **state)
{
    (void)state;
    const struct sl_sched_job jobs[] = {J(2, 0, 10, 0), J(1, 1, 10, 0), J(1, 2, 10, 5),
                                        J(2, 3, 10, 1)};
    const int64_t fifo[] = {0, 10, 10, 20}, prio[] = {0, 30, 10, 20};
    int64_t start[4];
    struct sl_sched *s = mk_uniform(SL_QUEUE_FIFO, SL_PLACE_FIRST_FIT, NULL, 2, 1, 4);
    replay(s, jobs, 4, start);
    for (int i = 0; i < 4; i++)
        assert_int_equal(start[i], fifo[i] * S);
    sl_sched_free(s);
    s = mk_uniform(SL_QUEUE_PRIORITY, SL_PLACE_FIRST_FIT, NULL, 2, 1, 4);
    replay(s, jobs, 4, start);
    for (int i = 0; i < 4; i++)
        assert_int_equal(start[i], prio[i] * S);
    sl_sched_free(s);
}

/* Two servers of 8 cards: a 4-card job leaves 12 free, so a 16-card job
 * gets nothing (not 12 cards) until the first ends; then both servers
 * whole. */
static void test_gang(void **state)
{
    (void)state;
    struct sl_diag d;
    sl_diag_clear(&d);
    struct sl_sched *s = mk_uniform(SL_QUEUE_FIFO, SL_PLACE_FIRST_FIT, NULL, 2, 8, 2);
    uint32_t out[4];
    assert_int_equal(sl_sched_submit(s, 0, 4, 0, 0, 0, 10, &d), SL_OK);
    assert_int_equal(sl_sched_dispatch(s, 0, out, 4), 1);
    assert_int_equal(sl_sched_submit(s, 1, 16, 0, 0, 1, 10, &d), SL_OK);
    assert_int_equal(sl_sched_dispatch(s, 1, out, 4), 0);
    assert_int_equal(sl_sched_busy_cards(s), 4);
    assert_int_equal(sl_sched_queued(s), 1);
    sl_sched_finish(s, 0, 5);
    assert_int_equal(sl_sched_dispatch(s, 5, out, 4), 1);
    assert_int_equal(out[0], 1);
    size_t n;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(s, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(a[0].server, 0);
    assert_int_equal(a[1].server, 1);
    assert_true(a[0].mask == 0xff && a[1].mask == 0xff);
    assert_int_equal(sl_sched_busy_cards(s), 16);
    /* A 17-card job can never fit: refused at submit. */
    assert_int_equal(sl_sched_submit(s, 0, 17, 0, 0, 6, 10, &d), SL_EINVAL);
    sl_sched_free(s);
}

/* Servers 0, 1 (8 cards) in partition 7, servers 2, 3 in partition 9, and
 * server 4 with no schedulable cards: partition 9's jobs land only on 2
 * and 3, and partition 7's head blocked does not hold partition 9 up. */
static void test_partition(void **state)
{
    (void)state;
    const uint8_t cards[] = {8, 8, 8, 8, 0};
    const uint32_t part[] = {7, 7, 9, 9, 9};
    struct sl_diag d;
    sl_diag_clear(&d);
    struct sl_sched *s = mk(SL_QUEUE_FIFO, SL_PLACE_FIRST_FIT, NULL, 5, cards, part, 8);
    uint32_t out[8];
    assert_int_equal(sl_sched_submit(s, 0, 16, 7, 0, 0, 10, &d), SL_OK);
    assert_int_equal(sl_sched_submit(s, 1, 8, 7, 0, 0, 10, &d), SL_OK); /* blocked */
    assert_int_equal(sl_sched_submit(s, 2, 12, 9, 0, 0, 10, &d), SL_OK);
    assert_int_equal(sl_sched_dispatch(s, 0, out, 8), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 2);
    size_t n;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(s, 2, &n);
    assert_int_equal(n, 2);
    assert_int_equal(a[0].server, 2);
    assert_int_equal(a[0].mask, 0xff);
    assert_int_equal(a[1].server, 3);
    assert_int_equal(a[1].mask, 0x0f);
    a = sl_sched_alloc_of(s, 0, &n);
    assert_true(a[0].server < 2 && a[1].server < 2);
    /* 17 cards in a partition of 16, and an unknown partition. */
    assert_int_equal(sl_sched_submit(s, 3, 17, 9, 0, 0, 10, &d), SL_EINVAL);
    sl_diag_clear(&d);
    assert_int_equal(sl_sched_submit(s, 3, 1, 5, 0, 0, 10, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "partition 5"));
    sl_sched_free(s);
}

/* Two servers of 8 cards, 4 cards of server 1 held.  A 4-card job: first
 * fit puts it on server 0 (4 + 4 free: an 8-card job no longer fits);
 * pack puts it on server 1 (best fit), and the 8-card job starts. */
static void test_pack(void **state)
{
    (void)state;
    for (int pl = SL_PLACE_FIRST_FIT; pl <= SL_PLACE_PACK; pl++) {
        struct sl_diag d;
        sl_diag_clear(&d);
        struct sl_sched *s = mk_uniform(SL_QUEUE_EASY, pl, NULL, 2, 8, 4);
        uint32_t out[4];
        assert_int_equal(sl_sched_submit(s, 0, 8, 0, 0, 0, 100, &d), SL_OK);
        assert_int_equal(sl_sched_submit(s, 1, 4, 0, 0, 0, 100, &d), SL_OK);
        assert_int_equal(sl_sched_dispatch(s, 0, out, 4), 2);
        sl_sched_finish(s, 0, 1); /* server 0 free, server 1 half */
        assert_int_equal(sl_sched_submit(s, 2, 4, 0, 0, 1, 100, &d), SL_OK);
        assert_int_equal(sl_sched_submit(s, 3, 8, 0, 0, 1, 100, &d), SL_OK);
        size_t k = sl_sched_dispatch(s, 1, out, 4);
        size_t n;
        const struct sl_sched_alloc *a = sl_sched_alloc_of(s, 2, &n);
        if (pl == SL_PLACE_FIRST_FIT) {
            assert_int_equal(a[0].server, 0);
            assert_int_equal(k, 1);
        } else {
            assert_int_equal(a[0].server, 1);
            assert_int_equal(k, 2);
        }
        sl_sched_free(s);
    }
}

static void fabric16(struct sl_fabric *f)
{
    struct sl_fabric_spec sp;
    sl_fabric_spec_default(&sp);
    sp.kind = SL_FABRIC_FAT_TREE_2;
    sp.servers_per_leaf = 4;
    sp.oversubscription = 4.0; /* leaves 4:1, so leaving one costs bandwidth */
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(f, &sp, 16, &d), SL_OK);
    assert_int_equal(f->blocks, 4);
}

/* Leaves spanned by a running job; *ar_s (unless NULL) the seconds of a
 * 1 GB ring all-reduce over its cards (the gradient exchange of a step,
 * docs/model.md "Fabric"). */
static size_t blocks_of2(struct sl_sched *s, struct sl_fabric *f, uint32_t job, double *ar_s)
{
    size_t n, srv[64];
    const struct sl_sched_alloc *a = sl_sched_alloc_of(s, job, &n);
    for (size_t i = 0; i < n; i++)
        srv[i] = a[i].server;
    struct sl_fabric_locality loc;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_locality(f, srv, n, 8, &loc, &d), SL_OK);
    if (ar_s)
        *ar_s = sl_fabric_allreduce_s(&loc, 1e9, 8 * n);
    return loc.blocks;
}

static size_t blocks_of(struct sl_sched *s, struct sl_fabric *f, uint32_t job)
{
    return blocks_of2(s, f, job, NULL);
}

/* 16 servers of 8 cards, 4 per leaf (4:1 oversubscribed).  One server of each of the first
 * three leaves held (0, 4, 8): a 4-server job goes by first fit on 1, 2, 3
 * and 5 (two leaves), by topology on leaf 3 (servers 12..15, one leaf);
 * and a 6-server job with 20 more cards by topology spans 2 leaves. */
static void test_topology(void **state)
{
    (void)state;
    struct sl_fabric f;
    fabric16(&f);
    size_t spans[3];
    double ar[3];
    for (int pl = SL_PLACE_FIRST_FIT; pl <= SL_PLACE_TOPOLOGY; pl++) {
        struct sl_diag d;
        sl_diag_clear(&d);
        struct sl_sched *s = mk_uniform(SL_QUEUE_FIFO, pl, &f, 16, 8, 32);
        uint32_t out[32];
        for (uint32_t j = 0; j < 16; j++)
            assert_int_equal(sl_sched_submit(s, j, 8, 0, 0, 0, 100, &d), SL_OK);
        assert_int_equal(sl_sched_dispatch(s, 0, out, 32), 16);
        for (uint32_t j = 0; j < 16; j++) {
            size_t n;
            const struct sl_sched_alloc *a = sl_sched_alloc_of(s, j, &n);
            if (a[0].server % 4 != 0 || a[0].server == 12)
                sl_sched_finish(s, j, 1);
        }
        assert_int_equal(sl_sched_busy_cards(s), 24);
        assert_int_equal(sl_sched_submit(s, 16, 32, 0, 0, 1, 100, &d), SL_OK);
        assert_int_equal(sl_sched_dispatch(s, 1, out, 32), 1);
        spans[pl] = blocks_of2(s, &f, 16, &ar[pl]);
        if (pl == SL_PLACE_TOPOLOGY) {
            size_t n;
            const struct sl_sched_alloc *a = sl_sched_alloc_of(s, 16, &n);
            assert_int_equal(a[0].server, 12);
            /* 52 cards: 6 whole servers (1..3 and 5..7 are left) + 4. */
            assert_int_equal(sl_sched_submit(s, 17, 52, 0, 0, 1, 100, &d), SL_OK);
            assert_int_equal(sl_sched_dispatch(s, 1, out, 32), 1);
            assert_int_equal(blocks_of(s, &f, 17), 3);
        }
        sl_sched_free(s);
    }
    assert_int_equal(spans[SL_PLACE_FIRST_FIT], 2);
    assert_int_equal(spans[SL_PLACE_TOPOLOGY], 1);
    /* The step's all-reduce, and so the job's completion time, is shorter
     * inside one leaf: no oversubscribed uplinks, one switch hop. */
    printf("1 GB all-reduce over 32 cards: first-fit %.4f s, topology %.4f s\n",
           ar[SL_PLACE_FIRST_FIT], ar[SL_PLACE_TOPOLOGY]);
    assert_true(ar[SL_PLACE_TOPOLOGY] < 0.9 * ar[SL_PLACE_FIRST_FIT]);
    sl_fabric_release(&f);
}

/* ---- randomized stress, with an independent card map ---- */

struct ev {
    int64_t t;
    uint32_t job;
};

static void stress_one(uint64_t seed, int policy, int placement, struct sl_fabric *f)
{
    enum { NS = 16, NJ = 400 };
    uint8_t cards[NS];
    uint32_t part[NS];
    for (size_t i = 0; i < NS; i++) {
        cards[i] = i < 12 ? 8 : 4;
        part[i] = i < 12 ? 0 : 1;
    }
    struct sl_sched *s = mk(policy, placement, f, NS, cards, part, NJ);
    struct sl_rng r;
    sl_rng_seed(&r, seed, 1, 2);
    static struct sl_sched_job jobs[NJ];
    static int64_t start[NJ], end[NJ];
    static uint64_t held[NS];
    memset(held, 0, sizeof held);
    int64_t t = 0;
    for (size_t j = 0; j < NJ; j++) {
        t += (int64_t)sl_rng_below(&r, 30) * S;
        jobs[j].part = sl_rng_below(&r, 4) == 0 ? 1 : 0;
        uint32_t most = jobs[j].part ? 16 : 96;
        jobs[j].cards = 1 + (uint32_t)sl_rng_below(&r, most);
        jobs[j].priority = (int64_t)sl_rng_below(&r, 3);
        jobs[j].submit_us = t;
        jobs[j].runtime_us = (1 + (int64_t)sl_rng_below(&r, 200)) * S;
        jobs[j].est_us = jobs[j].runtime_us; /* exact: EASY's guarantee holds */
        start[j] = end[j] = -1;
    }
    struct sl_diag d;
    sl_diag_clear(&d);
    /* Event loop: ends, then submits, then dispatch, at each instant. */
    size_t next = 0, done = 0;
    uint32_t out[8];
    while (done < NJ) {
        int64_t now = INT64_MAX;
        if (next < NJ)
            now = jobs[next].submit_us;
        for (size_t j = 0; j < NJ; j++)
            if (start[j] >= 0 && end[j] >= 0 && end[j] < now && end[j] != INT64_MIN)
                now = end[j];
        assert_true(now != INT64_MAX);
        for (size_t j = 0; j < NJ; j++)
            if (start[j] >= 0 && end[j] == now) {
                size_t n;
                const struct sl_sched_alloc *a = sl_sched_alloc_of(s, (uint32_t)j, &n);
                for (size_t i = 0; i < n; i++) {
                    assert_true((held[a[i].server] & a[i].mask) == a[i].mask);
                    held[a[i].server] &= ~a[i].mask;
                }
                sl_sched_finish(s, (uint32_t)j, now);
                end[j] = INT64_MIN; /* done */
                done++;
            }
        while (next < NJ && jobs[next].submit_us == now) {
            const struct sl_sched_job *j = &jobs[next];
            assert_int_equal(sl_sched_submit(s, (uint32_t)next, j->cards, j->part, j->priority, now,
                                             j->est_us, &d),
                             SL_OK);
            next++;
        }
        size_t k;
        do {
            k = sl_sched_dispatch(s, now, out, 8);
            for (size_t i = 0; i < k; i++) {
                uint32_t id = out[i];
                assert_true(start[id] < 0);
                assert_true(now >= jobs[id].submit_us);
                start[id] = now;
                end[id] = now + jobs[id].runtime_us;
                size_t n, sum = 0;
                const struct sl_sched_alloc *a = sl_sched_alloc_of(s, id, &n);
                for (size_t q = 0; q < n; q++) {
                    uint32_t v = a[q].server;
                    assert_true(v < NS);
                    assert_int_equal(part[v], jobs[id].part);
                    assert_true(a[q].mask != 0);
                    assert_true((a[q].mask >> cards[v]) == 0);
                    assert_true((held[v] & a[q].mask) == 0); /* never twice */
                    held[v] |= a[q].mask;
                    sum += (size_t)__builtin_popcountll(a[q].mask);
                }
                assert_int_equal(sum, jobs[id].cards);
                /* A gang spans as few servers as it can. */
                uint32_t k8 = part[a[0].server] ? 4 : 8;
                assert_int_equal(n, (jobs[id].cards + k8 - 1) / k8 > 1
                                        ? jobs[id].cards / k8 + (jobs[id].cards % k8 != 0)
                                        : 1);
                if (policy == SL_QUEUE_EASY && sl_sched_reservation(s, id) >= 0)
                    assert_true(now <= sl_sched_reservation(s, id));
            }
        } while (k == 8);
    }
    for (size_t j = 0; j < NJ; j++)
        assert_true(start[j] >= jobs[j].submit_us);
    assert_int_equal(sl_sched_busy_cards(s), 0);
    assert_int_equal(sl_sched_queued(s), 0);
    sl_sched_free(s);
}

static void test_stress(void **state)
{
    (void)state;
    struct sl_fabric f;
    fabric16(&f);
    for (uint64_t seed = 1; seed <= 4; seed++)
        for (int q = SL_QUEUE_FIFO; q <= SL_QUEUE_EASY; q++)
            for (int pl = SL_PLACE_FIRST_FIT; pl <= SL_PLACE_TOPOLOGY; pl++) {
                stress_one(seed, q, pl, &f);
                stress_one(seed, q, pl, NULL);
            }
    sl_fabric_release(&f);
}

/* A synthetic trace on 32 servers of 8 cards: sizes 2^0 .. 2^7 cards,
 * log-normal run times, Poisson arrivals at about 90 % load.  EASY must
 * use the cards better than FIFO and make jobs wait less. */
static void test_easy_beats_fifo(void **state)
{
    (void)state;
    enum { NJ = 3000 };
    static struct sl_sched_job jobs[NJ];
    static int64_t start[NJ];
    struct sl_rng r;
    sl_rng_seed(&r, 42, 3, 0);
    double t = 0;
    for (size_t j = 0; j < NJ; j++) {
        uint32_t c = 1u << sl_rng_below(&r, 8);
        double run = sl_rng_lognormal(&r, 7.0, 1.0); /* median 1100 s */
        /* mean card-seconds per job: E[c] ~ 32, E[run] ~ 1800 s; 256 cards. */
        t += sl_rng_exponential(&r, 32.0 * 1800.0 / 256.0 / 0.9);
        jobs[j] = (struct sl_sched_job){
            c, 0, 0, (int64_t)t * S, (int64_t)(run * S) + 1, (int64_t)(run * S) + 1};
    }
    struct sl_sched_replay_stats st[2];
    for (int i = 0; i < 2; i++) {
        struct sl_sched *s =
            mk_uniform(i ? SL_QUEUE_EASY : SL_QUEUE_FIFO, SL_PLACE_FIRST_FIT, NULL, 32, 8, NJ);
        struct sl_diag d;
        sl_diag_clear(&d);
        assert_int_equal(sl_sched_replay(s, jobs, NJ, start, &st[i], &d), SL_OK);
        sl_sched_free(s);
    }
    printf("synthetic: fifo utilisation %.3f mean wait %.0f s; easy %.3f, %.0f s\n",
           st[0].utilisation, st[0].mean_wait_s, st[1].utilisation, st[1].mean_wait_s);
    assert_true(st[1].utilisation > st[0].utilisation);
    assert_true(st[1].mean_wait_s < st[0].mean_wait_s);
}

/* Every allocation failure in building and running a scheduler gives
 * SL_ENOMEM and leaks nothing. */
static void test_torture(void **state)
{
    (void)state;
    const struct sl_sched_job jobs[] = {J(4, 0, 10, 0), J(6, 1, 5, 0),  J(1, 2, 5, 0),
                                        J(2, 3, 20, 0), J(1, 4, 20, 0), J(1, 5, 4, 0)};
    const uint8_t cards[] = {4, 4, 4, 4};
    const uint32_t part[] = {0, 0, 0, 0};
    struct sl_fabric f;
    fabric16(&f);
    for (int q = SL_QUEUE_FIFO; q <= SL_QUEUE_EASY; q++)
        for (long n = 0;; n++) {
            struct torture t = {n, 0, 0};
            sl_alloc_set_hook(torture_alloc, &t);
            struct sl_sched *s = NULL;
            int64_t start[6];
            struct sl_sched_replay_stats st;
            int rc = sl_sched_new(&s, q, SL_PLACE_TOPOLOGY, &f, 4, cards, part, 6, NULL);
            if (rc == SL_OK) {
                rc = sl_sched_replay(s, jobs, 6, start, &st, NULL);
                sl_sched_free(s);
            }
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(t.live, 0);
            if (rc == SL_OK)
                break;
            assert_int_equal(rc, SL_ENOMEM);
        }
    sl_fabric_release(&f);
}

/* ---- the Alibaba GPU 2023 replay ---- */

#define ALI SL_SHARED_DATA "/traces/alibaba-gpu-2023"

/* Reads the GPU node list (sn,cpu_milli,memory_mib,gpu,model): the GPUs of
 * each node into cards (room for cap).  Returns the node count. */
static size_t read_nodes(uint8_t *cards, size_t cap)
{
    FILE *fp = fopen(ALI "/openb_node_list_gpu_node.csv", "r");
    assert_non_null(fp);
    char line[512];
    size_t n = 0;
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(strstr(line, "gpu"));
    while (fgets(line, sizeof line, fp)) {
        char *c = line;
        for (int i = 0; i < 3 && c; i++) {
            c = strchr(c, ',');
            if (c)
                c++;
        }
        assert_non_null(c);
        long g = strtol(c, NULL, 10);
        assert_true(g >= 1 && g <= 64);
        assert_true(n < cap);
        cards[n++] = (uint8_t)g;
    }
    fclose(fp);
    return n;
}

/* The pods of the trace that ran on GPUs: a fractional share counts as one
 * whole card (the scheduler gives whole cards); pods with no GPU are not
 * GPU jobs and pods never scheduled (Pending, no run time) are left out.
 * Run time = deletion - scheduled; the estimate is the run time (exact). */
static size_t alibaba_jobs(const struct sl_job_trace *t, struct sl_sched_job *jobs,
                           int64_t *trace_wait)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct sl_job_trace_row *r = &t->rows[i];
        if (r->cards <= 0 || r->start_us < 0 || r->duration_us < 0)
            continue;
        int64_t run = r->duration_us > 0 ? r->duration_us : 1;
        jobs[n] = (struct sl_sched_job){(uint32_t)r->cards, 0, 0, r->submit_us, run, run};
        trace_wait[n] = r->start_us - r->submit_us;
        n++;
    }
    return n;
}

static void test_alibaba(void **state)
{
    (void)state;
    if (!shared_data_present(ALI)) {
        skip();
        return;
    }
    struct sl_job_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_job_trace_read(ALI "/openb_pod_list_default.csv", SL_JOBS_AUTO, 0, &t, &d),
                     SL_OK);
    static uint8_t all[4096], cards[4096];
    static uint32_t part[4096];
    size_t nn = read_nodes(all, 4096);
    assert_int_equal(nn, 1213);
    struct sl_sched_job *jobs = sl_malloc(t.n * sizeof *jobs);
    int64_t *tw = sl_malloc(t.n * sizeof *tw), *start = sl_malloc(t.n * sizeof *start);
    assert_non_null(jobs);
    assert_non_null(tw);
    assert_non_null(start);
    size_t n = alibaba_jobs(&t, jobs, tw);
    assert_true(n > 1000);
    double prev = -1;
    /* Every node, then every 2nd, 4th, ... (keeping the mix of sizes).  The
     * trace's GPU pods never hold more than 71 cards at once (its own
     * scheduled and deletion times), so down to every 64th node (97 cards)
     * nothing queues; below that waits grow as capacity shrinks. */
    static const size_t strides[] = {1, 2, 4, 8, 16, 32, 64, 96, 128, 192, 256};
    for (size_t si = 0; si < sizeof strides / sizeof *strides; si++) {
        size_t stride = strides[si];
        size_t ns = 0, ncards = 0;
        for (size_t i = 0; i < nn; i++) {
            cards[i] = i % stride == 0 ? all[i] : 0;
            part[i] = 0;
            ncards += cards[i];
            ns += cards[i] != 0;
        }
        struct sl_sched *s = mk(SL_QUEUE_FIFO, SL_PLACE_PACK, NULL, nn, cards, part, n);
        struct sl_sched_replay_stats st;
        sl_diag_clear(&d);
        int rc = sl_sched_replay(s, jobs, n, start, &st, &d);
        if (rc != SL_OK)
            print_error("%s\n", d.msg);
        assert_int_equal(rc, SL_OK);
        size_t m1 = 0, m60 = 0;
        double tw_mean = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t diff = (start[i] - jobs[i].submit_us) - tw[i];
            if (diff < 0)
                diff = -diff;
            m1 += diff <= S;
            m60 += diff <= 60 * S;
            tw_mean += (double)tw[i] * 1e-6 / (double)n;
        }
        printf("alibaba: %zu pods on %zu nodes (%zu cards): mean wait %.1f s (trace %.1f s), "
               "start within 1 s %.1f %%, within 60 s %.1f %%, utilisation %.3f\n",
               n, ns, ncards, st.mean_wait_s, tw_mean, 100.0 * (double)m1 / (double)n,
               100.0 * (double)m60 / (double)n, st.utilisation);
        if (stride == 1) {
            assert_true((double)m60 >= 0.75 * (double)n);
            assert_true(st.mean_wait_s <= tw_mean);
        }
        if (ncards >= 97)
            assert_true(st.mean_wait_s == 0.0);
        else
            assert_true(st.mean_wait_s > prev && st.mean_wait_s > 0.0);
        prev = st.mean_wait_s;
        sl_sched_free(s);
    }
    sl_free(jobs);
    sl_free(tw);
    sl_free(start);
    sl_job_trace_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_easy_hand),
        cmocka_unit_test(test_fifo_priority),
        cmocka_unit_test(test_gang),
        cmocka_unit_test(test_partition),
        cmocka_unit_test(test_pack),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_easy_beats_fifo),
        cmocka_unit_test_teardown(test_torture, restore_hook),
        cmocka_unit_test(test_alibaba),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
