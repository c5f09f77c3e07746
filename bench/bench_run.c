/*
 * Whole-model benchmark: the default scenario's synthetic load on the
 * fleet, with the facility step, the observers and their files.
 *
 * Prints, for the built-in default center (1,280 servers, the traditional
 * variant), the cost of one model event (engine + RNG + fleet power +
 * meters, plus the facility steps and rows amortised over the events) in
 * ns of CPU time, with a row a minute (the default) and a row an hour
 * (nearly the event alone), and the time of a year of the 102,400-card
 * center (12,800 servers).  Targets (DESIGN.md, issue "seams"): <= 70 ns per
 * event at 1,280 servers; the 102,400-card year <= 30 s on one core.
 * CPU time (CLOCK_PROCESS_CPUTIME_ID) rather than wall time, so other
 * processes on the machine disturb the figures less.
 *
 * Usage: bench_run [days-at-1280] [days-at-12800]   (defaults 60 and 365)
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(const char *label, const char *servers, const char *sample, double days,
               const char *dir)
{
    char dur[64];
    snprintf(dur, sizeof dur, "run.duration=%gd", days);
    /* The synthetic load alone: without the default's services, jobs and
     * power manager. */
    const char *sets[] = {
        dur, servers, sample, "workload.inference=[]", "workload.training={}", "power.policy=none"};
    struct sl_load_opts o = {NULL, sets, 6, NULL, "traditional"};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &set, &d) != SL_OK) {
        fprintf(stderr, "bench_run: %s\n", d.msg);
        return 1;
    }
    struct sl_summary s;
    sl_summary_init(&s);
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    double t0 = cpu_s();
    int rc = sl_run_scenario(&set.items[0], &ro, &s, &d);
    double dt = cpu_s() - t0;
    if (rc != SL_OK) {
        fprintf(stderr, "bench_run: %s\n", d.msg);
        return 1;
    }
    double ev = (double)sl_summary_get(&s, "events")->i;
    printf("%-22s %6.0f days  %10.0f events  %7.2f s CPU  %6.1f ns/event  %5.2f M events/s\n",
           label, days, ev, dt, dt / ev * 1e9, ev / dt / 1e6);
    sl_summary_release(&s);
    sl_scenario_set_release(&set);
    return 0;
}

int main(int argc, char **argv)
{
    double days = argc > 1 ? atof(argv[1]) : 60;
    double big_days = argc > 2 ? atof(argv[2]) : 365;
    if (!(days > 0) || !(big_days > 0)) {
        fprintf(stderr, "usage: bench_run [days-at-1280] [days-at-12800]\n");
        return 2;
    }
    char dir[] = "/tmp/bench_run_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* The default center as `suanli run` writes it (a row a minute), then
     * with hourly rows (the model's events alone, the facility still
     * stepping every minute), then the 102,400-card year. */
    int rc = run("10,240 cards", "fleet.servers=1280", "run.sample=60s", days, dir);
    if (rc == 0)
        rc = run("10,240, hourly rows", "fleet.servers=1280", "run.sample=1h", days, dir);
    if (rc == 0)
        rc = run("102,400 cards", "fleet.servers=12800", "run.sample=60s", big_days, dir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_run: could not remove %s\n", dir);
    return rc;
}
