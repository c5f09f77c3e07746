/*
 * `suanli factory`: runs the scenario's factory line (suanli/factory.h) for
 * factory.warmup + factory.duration, writes factory.json,
 * factory_daily.csv and scenario.yaml into the output folder (replaced
 * whole, like `suanli run`'s) and prints the line's figures as a table:
 * throughput, WIP, cycle time, each station's use and the bottleneck, the
 * burn-in area's slots and power, energy per server built.
 *
 * A scenario with variants runs the variant --variant names, else the
 * first (the line is the same in each unless a variant changes it).
 * Progress is shown on stderr when it is a terminal, as for `run`; SIGINT,
 * SIGTERM and SIGHUP stop the run and leave the output folder unchanged.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include "suanli/factory.h"
#include "suanli/summary.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct progress {
    double start_wall, last_wall;
    int shown;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void show_progress(void *ctx, double done, uint64_t events)
{
    struct progress *p = ctx;
    double now = wall_now();
    if (now - p->last_wall < 0.1)
        return;
    p->last_wall = now;
    p->shown = 1;
    double elapsed = now - p->start_wall;
    double eta = done > 0 ? elapsed * (1.0 - done) / done : 0;
    fprintf(stderr, "\r  factory %5.1f %%  %11llu events  ETA %5.0f s ", done * 100.0,
            (unsigned long long)events, eta);
    fflush(stderr);
}

static void print_table(const struct sl_scenario *sc, const struct sl_factory_result *r,
                        const char *dir)
{
    printf("%s: factory line over %.0f days (after %.0f days of warm-up), seed %lld\n", sc->name,
           r->window_s / 86400.0, (double)sc->factory.warmup_us / 86400e6, (long long)sc->run.seed);
    printf("  throughput      %.0f servers/year (%.1f a day, %llu shipped)\n", r->per_year,
           r->per_day, (unsigned long long)r->shipped);
    printf("  WIP             %.1f servers (time average); Little's law %.1f (error %.2f %%)\n",
           r->wip_mean, r->little_wip, r->little_error * 100.0);
    printf("  cycle time      mean %.2f h, p50 %.2f h, p95 %.2f h\n", r->ct_mean_s / 3600.0,
           r->ct_p50_s / 3600.0, r->ct_p95_s / 3600.0);
    printf("\n  %-20s %8s %8s %8s %8s %8s %10s %8s\n", "station", "machines", "util %", "busy %",
           "blocked%", "down %", "passed", "failed");
    for (size_t i = 0; i < r->nstations; i++) {
        const struct sl_factory_station *s = &r->stations[i];
        printf("  %-20s %8lld %8.1f %8.1f %8.1f %8.1f %10llu %8llu%s\n", s->name,
               (long long)s->machines, s->utilisation * 100.0, s->busy * 100.0, s->blocked * 100.0,
               s->down * 100.0, (unsigned long long)s->passed, (unsigned long long)s->failed,
               i == r->bottleneck ? "  <- bottleneck" : "");
    }
    printf("\n  burn-in         %lld slots of %.0f h: %.1f in use on average, %.0f at most\n",
           (long long)r->burnin_slots, (double)sc->burnin.duration_us / 3.6e9, r->burnin_mean,
           r->burnin_max);
    printf("                  %.2f kW a server at %.0f %% load: %.0f kW mean, %.0f kW max, "
           "%.1f MWh\n",
           r->burnin_server_w * 1e-3, sc->burnin.load * 100.0, r->burnin_kw_mean, r->burnin_kw_max,
           r->burnin_energy_j / 3.6e9);
    printf("                  %llu failures caught (%llu passed)\n",
           (unsigned long long)r->burnin_failures, (unsigned long long)r->burnin_passed);
    printf("  energy          %.1f kWh per server built (line %.1f MWh, burn-in %.1f MWh)\n",
           r->kwh_per_server, r->line_energy_j / 3.6e9, r->burnin_energy_j / 3.6e9);
    printf("  -> %s/\n", dir);
}

int app_cmd_factory(int argc, char **argv)
{
    struct app_cli c;
    int rc = app_parse_cli(argc, argv, "factory", 1, &c);
    if (rc || c.help) {
        if (c.help)
            fputs(app_factory_help, stdout);
        free(c.sets);
        return rc;
    }
    struct sl_scenario_set set;
    if ((rc = app_load(&c, &set)) != 0) {
        free(c.sets);
        return rc;
    }
    const struct sl_scenario *sc = &set.items[0];
    char base[2048];
    if (c.out && strlen(c.out) >= sizeof base) {
        rc = app_usage_error("factory", "--out is too long (%zu bytes; at most %zu)", strlen(c.out),
                             sizeof base - 1);
        goto done;
    }
    if (c.out)
        snprintf(base, sizeof base, "%s", c.out);
    else
        snprintf(base, sizeof base, "out/%s-factory", sc->name);
    size_t nbase = strlen(base);
    while (nbase > 1 && base[nbase - 1] == '/')
        base[--nbase] = '\0';
    if (set.n > 1 && !c.quiet)
        fprintf(stderr, "%s: note: running the factory of variant '%s' (choose with --variant)\n",
                app_prog, sc->variant);

    struct progress p = {wall_now(), 0, 0};
    int tty = isatty(2) && !c.quiet;
    struct sl_factory_opts fo = {tty ? show_progress : NULL, &p, &cli_stop_signal};
    struct sl_factory_result r;
    struct sl_summary sum;
    struct sl_diag d;
    sl_summary_init(&sum);
    sl_diag_clear(&d);
    struct sigaction old[CLI_NSTOP];
    cli_catch_signals(old);
    int run_rc = sl_factory_run_out(sc, base, &fo, &r, &sum, &d);
    cli_restore_signals(old);
    if (p.shown)
        fputs("\r\033[K", stderr);
    if (run_rc != SL_OK) {
        if (cli_stop_signal) {
            fprintf(stderr, "%s: interrupted; %s/ is unchanged\n", app_prog, base);
            signal(cli_stop_signal, SIG_DFL);
            raise(cli_stop_signal);
        }
        rc = app_report(&d);
        if (rc == EXIT_BAD_INPUT && d.code != SL_EUSAGE && d.code != SL_EBUSY)
            rc = EXIT_RUN_FAILED;
    } else {
        if (!c.quiet)
            print_table(sc, &r, base);
        sl_factory_result_release(&r);
    }
    sl_summary_release(&sum);
done:
    sl_scenario_set_release(&set);
    free(c.sets);
    return rc;
}
