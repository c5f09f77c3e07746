/*
 * Facility benchmark: one simulated year of the default 10,240-card center
 * (both designs), with the synthetic per-server load (about 45 million load
 * changes a year) and, separately, with a constant load (the facility
 * physics alone: 525,600 one-minute steps).  Prints wall time and rates;
 * judges nothing.
 *
 * Usage: bench_facility [days]   (default 365)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suanli/scenario.h"
#include "suanli/sim.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench(const char *label, const char *const *sets, size_t nsets, const char *dir,
                 double days)
{
    struct sl_load_opts o = {NULL, sets, nsets, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &set, &d) != SL_OK) {
        fprintf(stderr, "bench_facility: %s\n", d.msg);
        return 1;
    }
    for (size_t i = 0; i < set.n; i++) {
        struct sl_summary s;
        sl_summary_init(&s);
        struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
        double t0 = now_s();
        int rc = sl_run_scenario(&set.items[i], &ro, &s, &d);
        double dt = now_s() - t0;
        if (rc != SL_OK) {
            fprintf(stderr, "bench_facility: %s\n", d.msg);
            return 1;
        }
        const struct sl_summary_entry *ev = sl_summary_get(&s, "events");
        printf("%-14s %-13s %.0f days in %.2f s wall: %.0f sim-days/s, %.2e events/s\n", label,
               set.items[i].variant, days, dt, days / dt, (double)ev->i / dt);
        sl_summary_release(&s);
    }
    sl_scenario_set_release(&set);
    return 0;
}

int main(int argc, char **argv)
{
    double days = argc > 1 ? atof(argv[1]) : 365;
    if (!(days > 0)) {
        fprintf(stderr, "usage: bench_facility [days]\n");
        return 2;
    }
    char dir[] = "/tmp/bench_facility_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char dur[64];
    snprintf(dur, sizeof dur, "run.duration=%gd", days);
    const char *synthetic[] = {dur};
    const char *constant[] = {dur, "workload.synthetic.shape=constant",
                              "workload.synthetic.noise=0 %",
                              "workload.synthetic.change_interval=3650d"};
    int rc = bench("synthetic load", synthetic, 1, dir, days);
    if (rc == 0)
        rc = bench("constant load", constant, 4, dir, days);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_facility: could not remove %s\n", dir);
    return rc;
}
