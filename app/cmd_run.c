/*
 * `suanli run`: loads the scenario set, chooses the output folder, runs the
 * set (on up to -j threads, in the library) with a progress line, and
 * prints one result line per scenario and, for variants, the comparison
 * table.
 *
 * Progress is shown on stderr only when it is a terminal and not --quiet,
 * at most ten times a second.  Without --out, results go to
 * out/<scenario name>/, unless that folder holds the results of a different
 * scenario: they are then written next to it rather than over it (see
 * default_base).  A failed run exits with 1 even when the library reports
 * bad input, since the scenario itself was valid; but an output folder the
 * run cannot use (another run holds it, its path is too long, it holds
 * foreign files) exits with 2 before anything runs.
 *
 * The library replaces the output folder whole (sl_run_set, and
 * docs/outputs.md): it builds the run in a hidden folder beside it and
 * swaps it in at the end.  So that SIGINT, SIGTERM and SIGHUP leave no
 * build folder either, the command catches them while the set runs: the
 * handler only sets cli_stop_signal (async-signal-safe; the library polls it
 * through sl_run_opts.stop every 65,536 events and between variants), the
 * run then fails as "interrupted", the library removes its build folder
 * and lock, and the command re-raises the signal with its default action
 * so the exit status still says which signal ended it.  A second signal
 * before that ends the process at once; like SIGKILL, it may leave the
 * hidden build folder, which the next run on the same --out removes.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- progress ---- */

/* One line on stderr for the whole set: each scenario's share done, the
 * events so far and the rate. */
struct progress {
    const struct sl_scenario_set *set;
    double *done;
    uint64_t *events;
    double start_wall;
    double last_wall;
    int shown;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The progress callback of sl_run_set: records scenario index's share done
 * and events, and redraws the line at most every 0.1 s and at the end. */
static void show_progress(void *ctx, size_t index, double done, uint64_t events)
{
    struct progress *p = ctx;
    p->done[index] = done;
    p->events[index] = events;
    double now = wall_now();
    int all = 1;
    double sum = 0;
    uint64_t ev = 0;
    for (size_t i = 0; i < p->set->n; i++) {
        sum += p->done[i];
        ev += p->events[i];
        all &= p->done[i] >= 1.0;
    }
    if (!all && now - p->last_wall < 0.1)
        return;
    p->last_wall = now;
    p->shown = 1;
    double frac = sum / (double)p->set->n;
    double elapsed = now - p->start_wall;
    double rate = elapsed > 0 ? (double)ev / elapsed : 0;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0;
    fprintf(stderr, "\r  %zu run%s %5.1f %%  %11llu events  %6.2f M events/s  %s %5.0f s ",
            p->set->n, p->set->n == 1 ? " " : "s", frac * 100.0, (unsigned long long)ev, rate / 1e6,
            all ? "in " : "ETA", all ? elapsed : eta);
    if (all)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- result lines ---- */

/* A summary value as a result line shows it: "-" when missing, integers
 * and text as they are, numbers with 0 to 3 decimals by magnitude. */
static void print_value(const struct sl_summary_entry *e, char *buf, size_t size)
{
    if (!e || e->type == SL_V_NULL) {
        snprintf(buf, size, "-");
    } else if (e->type == SL_V_INT) {
        snprintf(buf, size, "%lld", (long long)e->i);
    } else if (e->type == SL_V_STR) {
        snprintf(buf, size, "%s", e->s);
    } else {
        double a = e->x < 0 ? -e->x : e->x;
        int dec = a >= 1000 || a == 0 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3;
        snprintf(buf, size, "%.*f", dec, e->x);
    }
}

/* One line per scenario on stdout: power, PUE and where its files are. */
static void print_result(const struct sl_scenario *sc, const struct sl_summary *s, const char *dir)
{
    static const char *const keys[] = {
        "power_mw.it_mean", "power_mw.facility_mean", "power_mw.facility_peak", "power_mw.grid_cap",
        "pue.mean",         "cap_exceeded_s"};
    char v[5][64];
    for (size_t i = 0; i < 5; i++)
        print_value(sl_summary_get(s, keys[i]), v[i], sizeof v[i]);
    const struct sl_summary_entry *over = sl_summary_get(s, "cap_exceeded_s");
    double over_h = over && over->type == SL_V_NUM ? over->x / 3600 : 0.0;
    printf("%s%s%s: IT %s MW, facility %s MW (peak %s MW, cap %s MW, over the cap %.1f h), "
           "PUE %s -> %s/\n",
           sc->name, sc->variant ? "/" : "", sc->variant ? sc->variant : "", v[0], v[1], v[2], v[3],
           over_h, v[4], dir);
}

/* ---- where results go without --out ---- */

/* The resolved scenario as run.c writes it into scenario.yaml (without the
 * comment line); the caller frees it. */
static char *resolved_text(const struct sl_scenario *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    sl_scenario_emit(sc, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* 1 when path holds a scenario.yaml whose scenario is not sc's, 0 when it
 * holds none or sc's. */
static int holds_other(const char *dir, const struct sl_scenario *sc)
{
    char path[4200];
    int len = snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    FILE *f = len >= 0 && (size_t)len < sizeof path ? fopen(path, "rb") : NULL;
    if (!f)
        return 0;
    char *want = resolved_text(sc);
    int other = 1;
    if (want) {
        size_t n = strlen(want), got = 0;
        char *have = malloc(n + 2);
        int c;
        /* Skip the comment line run.c puts first. */
        while ((c = fgetc(f)) != EOF && c != '\n')
            ;
        if (have) {
            got = fread(have, 1, n + 1, f);
            other = got != n || memcmp(have, want, n) != 0;
        }
        free(have);
        free(want);
    }
    fclose(f);
    return other;
}

/* 1 when base holds results of a scenario other than set's. */
static int base_holds_other(const char *base, const struct sl_scenario_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        char dir[4096];
        if (sl_run_dir(set, i, base, dir, sizeof dir) && holds_other(dir, &set->items[i]))
            return 1;
    }
    return 0;
}

/* Without --out, results go to out/<name>/; when that folder holds the
 * results of a different scenario (other --set values, an edited file),
 * they go to the first out/<name>-N/ that holds none or this scenario's,
 * with a note, instead of silently replacing them. */
static void default_base(const struct sl_scenario_set *set, int quiet, char *base, size_t size)
{
    snprintf(base, size, "out/%s", set->items[0].name);
    if (!base_holds_other(base, set))
        return;
    char first[2048];
    snprintf(first, sizeof first, "%s", base);
    for (int k = 2; k < 1000; k++) {
        snprintf(base, size, "out/%s-%d", set->items[0].name, k);
        if (!base_holds_other(base, set))
            break;
    }
    if (!quiet)
        fprintf(stderr,
                "%s: note: %s/ holds the results of a different scenario; writing to %s/ "
                "(choose with --out)\n",
                app_prog, first, base);
}

/* ---- the command ---- */

int app_cmd_run(int argc, char **argv)
{
    struct app_cli c;
    int rc = app_parse_cli(argc, argv, "run", 1, &c);
    if (rc || c.help) {
        if (c.help)
            fputs(app_run_help, stdout);
        free(c.sets);
        return rc;
    }
    struct sl_scenario_set set;
    if ((rc = app_load(&c, &set)) != 0) {
        free(c.sets);
        return rc;
    }
    /* Names are at most 255 bytes (the loader checks), so out/<name>-N
     * always fits; --out must be checked, never truncated. */
    char base[2048];
    if (c.out && strlen(c.out) >= sizeof base) {
        rc = app_usage_error("run", "--out is too long (%zu bytes; at most %zu)", strlen(c.out),
                             sizeof base - 1);
        sl_scenario_set_release(&set);
        free(c.sets);
        return rc;
    }
    if (c.out)
        snprintf(base, sizeof base, "%s", c.out);
    else
        default_base(&set, c.quiet, base, sizeof base);
    size_t nbase = strlen(base);
    while (nbase > 1 && base[nbase - 1] == '/')
        base[--nbase] = '\0';

    struct sl_summary *sums = calloc(set.n, sizeof *sums);
    double *done = calloc(set.n, sizeof *done);
    uint64_t *events = calloc(set.n, sizeof *events);
    struct sl_diag d;
    sl_diag_clear(&d);
    if (!sums || !done || !events) {
        fprintf(stderr, "%s: out of memory\n", app_prog);
        rc = EXIT_RUN_FAILED;
        goto done;
    }
    for (size_t i = 0; i < set.n; i++)
        sl_summary_init(&sums[i]);
    int tty = isatty(2) && !c.quiet;
    struct progress p = {&set, done, events, wall_now(), 0, 0};
    struct sl_run_opts ro = {base, tty ? show_progress : NULL, &p, c.jobs, &cli_stop_signal};
    struct sigaction old[CLI_NSTOP];
    cli_catch_signals(old);
    int run_rc = sl_run_set(&set, &ro, sums, &d);
    cli_restore_signals(old);
    if (run_rc != SL_OK) {
        if (p.shown)
            fputc('\n', stderr);
        if (cli_stop_signal) {
            /* The library removed its build folder; base is as before. */
            fprintf(stderr, "%s: interrupted; %s/ is unchanged\n", app_prog, base);
            signal(cli_stop_signal, SIG_DFL);
            raise(cli_stop_signal);
        }
        rc = app_report(&d);
        if (rc == EXIT_BAD_INPUT && d.code != SL_EUSAGE && d.code != SL_EBUSY)
            rc = EXIT_RUN_FAILED;
        goto done;
    }
    if (!c.quiet) {
        for (size_t i = 0; i < set.n; i++) {
            char dir[4096];
            const char *where = sl_run_dir(&set, i, base, dir, sizeof dir);
            print_result(&set.items[i], &sums[i], where ? where : base);
        }
        if (set.has_variants && set.n > 1) {
            putchar('\n');
            sl_compare_print(&set, sums, stdout);
        }
    }
done:
    if (sums)
        for (size_t i = 0; i < set.n; i++)
            sl_summary_release(&sums[i]);
    free(sums);
    free(done);
    free(events);
    sl_scenario_set_release(&set);
    free(c.sets);
    return rc;
}
