/*
 * Event-engine throughput: the classic hold model (Vaucher & Duval, 1975;
 * Jones, CACM 1986).  The queue is filled with N pending events; then every
 * fired event schedules one successor at now + an exponential increment, so
 * the queue size stays at N and each "hold" is one pop plus one push.  This is
 * the steady state of a DES in which each entity always has one timer
 * pending.
 *
 * Increments come from a table of 4,096 pre-drawn exponential values indexed
 * by splitmix64, so the rate measures the engine rather than libm's log.  The
 * benchmark is self-contained (no other suanli module) and prints rates only;
 * it is not a pass/fail test.
 *
 * Variants.  "hold" is the classic model: the mean increment (1000 s) is
 * large against the 1 us clock, so pending times are distinct, as with the
 * continuous distributions of the literature.  "ties" rounds increments down
 * to multiples of 1/8 of the mean and draws priorities from 0..3, so the
 * pending set holds only a few dozen distinct times, nearly every comparison
 * is decided by priority and insertion sequence, and some successors land at
 * exactly the current time.  That is the engine's worst case: buckets of one
 * time cannot be split or counting-sorted, so they go through the heap, where
 * the time-first comparison keeps falling back to full keys.
 *
 * Usage: bench_engine [holds]   (default 10,000,000 per queue size)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "suanli/diag.h"
#include "suanli/engine.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define INC_BITS       12
#define INC_COUNT      (1u << INC_BITS)
#define MEAN_INC_US    1e9
#define TIE_QUANTUM_US ((int64_t)(MEAN_INC_US / 8))

struct hold {
    uint64_t rng;
    int ties;
    int64_t inc_us[INC_COUNT];
};

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void hold_fire(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct hold *h = ctx;
    uint64_t r = splitmix64(&h->rng);
    int prio = h->ties ? (int)(r >> 62) : 0;
    (void)arg;
    if (sl_engine_schedule_in(eng, h->inc_us[r & (INC_COUNT - 1)], prio, hold_fire, h, 0, NULL) !=
        SL_OK)
        abort();
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define REPS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Measures REPS segments of holds / REPS events each on a queue of n pending
 * events and stores their rates (events per second) in rate[], sorted.  The
 * host is a shared virtual machine whose last-level cache has neighbours, so
 * the median and the best segment are both printed. */
static void run_hold(struct hold *h, size_t n, uint64_t holds, double rate[REPS])
{
    struct sl_engine eng;
    if (sl_engine_init(&eng) != SL_OK)
        abort();
    for (size_t i = 0; i < n; i++) {
        uint64_t r = splitmix64(&h->rng);
        int prio = h->ties ? (int)(r >> 62) : 0;
        if (sl_engine_schedule(&eng, h->inc_us[r & (INC_COUNT - 1)], prio, hold_fire, h, 0, NULL) !=
            SL_OK)
            abort();
    }
    /* Warm up for n holds (at least a million) so the queue's time profile
     * reaches its steady state and the caches hold what they will hold. */
    uint64_t limit = n < 1000000 ? 1000000 : (uint64_t)n;
    sl_engine_set_event_limit(&eng, limit);
    if (sl_engine_run(&eng, INT64_MAX) != SL_RUN_EVENT_LIMIT)
        abort();
    uint64_t seg = holds / REPS ? holds / REPS : 1;
    for (int k = 0; k < REPS; k++) {
        limit += seg;
        sl_engine_set_event_limit(&eng, limit);
        double t0 = seconds();
        int status = sl_engine_run(&eng, INT64_MAX);
        double t1 = seconds();
        if (status != SL_RUN_EVENT_LIMIT || sl_engine_pending(&eng) != n)
            abort();
        rate[k] = (double)seg / (t1 - t0);
    }
    qsort(rate, REPS, sizeof rate[0], cmp_double);
    sl_engine_release(&eng);
}

int main(int argc, char **argv)
{
    uint64_t holds = 10000000;
    if (argc > 1) {
        char *end;
        holds = strtoull(argv[1], &end, 10);
        if (*end != '\0' || holds == 0) {
            fprintf(stderr, "usage: %s [holds]\n", argv[0]);
            return 2;
        }
    }
    static struct hold h;
    static const size_t sizes[] = {1000, 100000, 1000000};
    printf("# %llu holds per queue size in %d timed segments after warm-up\n",
           (unsigned long long)holds, REPS);
    for (int ties = 0; ties <= 1; ties++) {
        h.rng = 42;
        h.ties = ties;
        for (uint32_t i = 0; i < INC_COUNT; i++) {
            /* 53-bit uniform in (0, 1]; -log gives a unit exponential. */
            double u = ((double)(splitmix64(&h.rng) >> 11) + 1.0) * 0x1.0p-53;
            double inc = -MEAN_INC_US * log(u);
            int64_t inc_us = (int64_t)inc;
            if (ties)
                inc_us -= inc_us % TIE_QUANTUM_US;
            h.inc_us[i] = inc_us;
        }
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            double rate[REPS];
            run_hold(&h, sizes[k], holds, rate);
            double median = rate[REPS / 2], best = rate[REPS - 1];
            printf("%s N=%zu: %.3g events/s (%.1f ns/event; median of %d, best %.3g)\n",
                   ties ? "ties" : "hold", sizes[k], median, 1e9 / median, REPS, best);
            fflush(stdout);
        }
    }
    return 0;
}
