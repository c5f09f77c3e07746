/*
 * Throughput of the cluster scheduler (src/workload/sched.c): jobs per
 * second of wall time through sl_sched_replay for each queue policy and
 * placement, on 1,280 servers of 8 cards (10,240 cards) under the default
 * fabric, with a month of synthetic jobs: sizes 2^i cards, i = 0 .. 12
 * with weight 0.6^i (small jobs common, 4,096-card jobs rare), log-normal
 * run times (sigma 1.5), Poisson arrivals at about 90 % offered load.  The
 * estimate the scheduler sees is twice the run time (users overestimate).
 * Also prints the utilisation and mean wait each schedule reaches.  Rates
 * only; not a pass/fail test.
 *
 * Usage: bench_sched [jobs]   (default 100,000)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/fabric.h"
#include "suanli/rng.h"
#include "suanli/scenario.h"
#include "workload/sched.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NSERVERS 1280
#define CARDS    8

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 100000;
    if (n == 0)
        n = 1;
    struct sl_sched_job *jobs = sl_malloc(n * sizeof *jobs);
    int64_t *start = sl_malloc(n * sizeof *start);
    uint8_t *cards = sl_malloc(NSERVERS);
    uint32_t *part = sl_calloc(NSERVERS, sizeof *part);
    if (!jobs || !start || !cards || !part)
        return 1;
    for (size_t i = 0; i < NSERVERS; i++)
        cards[i] = CARDS;
    double w[13], wsum = 0, ec = 0;
    for (int i = 0; i < 13; i++) {
        w[i] = pow(0.6, i);
        wsum += w[i];
        ec += w[i] * (double)(1u << i);
    }
    ec /= wsum;
    const double sigma = 1.5, month_s = 30.0 * 86400.0;
    const double gap_s = month_s / (double)n;
    /* 0.9 = E[c] E[run] / (10240 gap): E[run] = exp(mu + sigma^2 / 2). */
    const double mean_run_s = 0.9 * NSERVERS * CARDS * gap_s / ec;
    const double mu = log(mean_run_s) - 0.5 * sigma * sigma;
    struct sl_rng r;
    sl_rng_seed(&r, 7, sl_rng_source_id("bench_sched"), 0);
    double t = 0;
    for (size_t j = 0; j < n; j++) {
        double u = sl_rng_uniform(&r) * wsum;
        int i = 0;
        while (i < 12 && u >= w[i]) {
            u -= w[i];
            i++;
        }
        double run = sl_rng_lognormal(&r, mu, sigma);
        if (run > 14.0 * 86400.0)
            run = 14.0 * 86400.0;
        t += sl_rng_exponential(&r, gap_s);
        int64_t run_us = (int64_t)(run * 1e6) + 1;
        jobs[j] = (struct sl_sched_job){
            1u << i, 0, (int64_t)sl_rng_below(&r, 4), (int64_t)(t * 1e6), run_us, 2 * run_us};
    }
    struct sl_fabric f;
    struct sl_fabric_spec sp;
    struct sl_diag d;
    sl_diag_clear(&d);
    sl_fabric_spec_default(&sp);
    sp.kind = SL_FABRIC_FAT_TREE_3;
    if (sl_fabric_build(&f, &sp, NSERVERS, &d) != SL_OK) {
        fprintf(stderr, "fabric: %s\n", d.msg);
        return 1;
    }
    static const char *qn[] = {"fifo", "priority", "easy-backfill"};
    static const char *pn[] = {"first-fit", "pack", "topology"};
    printf("%zu jobs, %d servers x %d cards, %zu leaves, mean job %.1f cards\n", n, NSERVERS, CARDS,
           f.blocks, ec);
    printf("%-14s %-10s %12s %8s %12s %10s\n", "policy", "placement", "jobs/s", "util",
           "mean wait s", "max queue");
    for (int q = SL_QUEUE_FIFO; q <= SL_QUEUE_EASY; q++)
        for (int pl = SL_PLACE_FIRST_FIT; pl <= SL_PLACE_TOPOLOGY; pl++) {
            struct sl_sched *s;
            if (sl_sched_new(&s, q, pl, &f, NSERVERS, cards, part, n, &d) != SL_OK)
                return 1;
            struct sl_sched_replay_stats st;
            double t0 = now_s();
            int rc = sl_sched_replay(s, jobs, n, start, &st, &d);
            double el = now_s() - t0;
            sl_sched_free(s);
            if (rc != SL_OK) {
                fprintf(stderr, "replay: %s\n", d.msg);
                return 1;
            }
            printf("%-14s %-10s %12.0f %8.3f %12.0f %10zu\n", qn[q], pn[pl], (double)n / el,
                   st.utilisation, st.mean_wait_s, st.max_queued);
        }
    sl_fabric_release(&f);
    sl_free(jobs);
    sl_free(start);
    sl_free(cards);
    sl_free(part);
    return 0;
}
