/*
 * Cost of the continuous samplers, in ns per variate: the exponential by
 * inversion (-log U, the method before the ziggurat, kept here as a local
 * copy so the comparison stays measurable) against the ziggurat, and the
 * normal by Marsaglia's polar method (per normal, both of a pair used)
 * against the ziggurat; the bare generator for scale.  Each loop sums its
 * draws so that nothing is optimised away, and the means are printed.  Rates only; not a pass/fail
 * test.
 *
 * Usage: bench_rng [draws]   (default 10,000,000 per round)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "suanli/rng.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The former sl_rng_exponential(r, 1): inversion of the CDF. */
static double old_exponential(struct sl_rng *r)
{
    return -log(sl_rng_uniform_pos(r));
}

/* The former normal: one polar-method point gives two normals. */
static void polar_pair(struct sl_rng *r, double *x, double *y)
{
    double u, v, s;
    do {
        u = 2.0 * sl_rng_uniform(r) - 1.0;
        v = 2.0 * sl_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = sqrt(-2.0 * log(s) / s);
    *x = u * f;
    *y = v * f;
}

/* The loops below run in ROUNDS rounds; the fastest is reported, which
 * filters out interference from other processes on a shared machine. */
#define ROUNDS 5

static double polar_normal_sum(struct sl_rng *r, long n)
{
    double sum = 0;
    for (long i = 0; i < n; i += 2) {
        double x, y;
        polar_pair(r, &x, &y);
        sum += x + y;
    }
    return sum;
}

#define SUM_LOOP(expr)                                                                             \
    static double sum_##expr(struct sl_rng *r, long n)                                             \
    {                                                                                              \
        double sum = 0;                                                                            \
        for (long i = 0; i < n; i++)                                                               \
            sum += expr(r);                                                                        \
        return sum;                                                                                \
    }

static double zig_exponential(struct sl_rng *r)
{
    return sl_rng_exponential(r, 1.0);
}

static double raw_uniform(struct sl_rng *r)
{
    return (double)(sl_rng_next(r) >> 11) * 0x1.0p-53;
}

SUM_LOOP(old_exponential)
SUM_LOOP(zig_exponential)
SUM_LOOP(sl_rng_std_normal)
SUM_LOOP(raw_uniform)

typedef double (*sum_fn)(struct sl_rng *r, long n);

/* Returns the best time per draw in ns over ROUNDS rounds of n draws. */
static double time_ns(const char *what, sum_fn f, long n, uint64_t entity)
{
    struct sl_rng r;
    double best = INFINITY, sum = 0;
    sl_rng_seed(&r, 1, sl_rng_source_id("bench"), entity);
    for (int k = 0; k < ROUNDS; k++) {
        const double t = now_s();
        sum += f(&r, n);
        const double dt = now_s() - t;
        best = dt < best ? dt : best;
    }
    const double ns = 1e9 * best / (double)n;
    printf("  %-28s %6.2f ns/draw   (mean %+.5f)\n", what, ns, sum / (double)(n * ROUNDS));
    return ns;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    if (n < 2)
        n = 2;
    n -= n % 2;
    printf("bench_rng: best of %d rounds of %ld draws per sampler\n", ROUNDS, n);
    const double old_exp = time_ns("exponential, -log U (old)", sum_old_exponential, n, 0);
    const double zig_exp = time_ns("exponential, ziggurat", sum_zig_exponential, n, 1);
    const double polar = time_ns("normal, polar (per normal)", polar_normal_sum, n, 2);
    const double zig_norm = time_ns("normal, ziggurat", sum_sl_rng_std_normal, n, 3);
    (void)time_ns("uniform (xoshiro256** alone)", sum_raw_uniform, n, 4);
    printf("speed-up: exponential %.2fx, normal %.2fx\n", old_exp / zig_exp, polar / zig_norm);
    return 0;
}
