/*
 * The `suanli` command.
 *
 * This file is the only place that prints to the user and chooses exit
 * codes: 0 success, 1 the run failed, 2 bad input or usage.  Everything else
 * is library calls.  Diagnostics go to stderr, results to stdout; progress is
 * shown on stderr only when it is a terminal.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/catalog.h"
#include "suanli/chain.h"
#include "suanli/cooling.h"
#include "suanli/diag.h"
#include "suanli/outfile.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"
#include "suanli/weather.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_RUN_FAILED 1
#define EXIT_BAD_INPUT  2

static const char *prog = "suanli";

static const char main_help[] =
    "suanli - digital twin of an AI compute center under a locked grid allocation\n"
    "\n"
    "Usage: suanli <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run [SCENARIO]   run a scenario file, or the built-in default when none is given\n"
    "  check SCENARIO   validate a scenario and print it fully resolved, as YAML\n"
    "  show-default     print the built-in default scenario, ready to copy and edit\n"
    "  catalog          list the built-in presets (server models, load shapes)\n"
    "  keys             print the reference of every scenario key (markdown)\n"
    "  version          print the version\n"
    "  help [COMMAND]   show help for a command\n"
    "\n"
    "Start with `suanli run`: it simulates the built-in 10,240-card center for a\n"
    "week and writes out/xinghua-10k/. `suanli show-default > my.yaml`, edit, then\n"
    "`suanli run my.yaml`. Every key is documented in docs/scenario.md.\n"
    "\n"
    "Exit codes: 0 success, 1 the run failed, 2 bad input or usage.\n";

static const char run_help[] =
    "Usage: suanli run [SCENARIO] [options]\n"
    "\n"
    "Simulates SCENARIO (a YAML file; the built-in default when omitted) and writes\n"
    "its results. A scenario with `variants:` runs each variant side by side and\n"
    "prints a comparison table.\n"
    "\n"
    "Options:\n"
    "  --set KEY=VALUE  override any scenario key, e.g. --set fleet.servers=640 or\n"
    "                   --set run.duration=30d (repeatable; applied after variants)\n"
    "  --seed N         seed of all random streams (same as --set run.seed=N)\n"
    "  --variant NAME   run only this variant\n"
    "  --out DIR        output directory (default: out/<scenario name>)\n"
    "  -j, --jobs N     variants run at once (default: one per processor); the\n"
    "                   outputs are the same for any N\n"
    "  -q, --quiet      print nothing but errors\n"
    "  -h, --help       show this help\n"
    "\n"
    "Outputs, in DIR (or DIR/<variant> for each variant):\n"
    "  summary.json     results: energy, power, racks... (keys in docs/outputs.md)\n"
    "  timeseries.csv   one row per run.sample: power, PUE, weather, headroom...\n"
    "  monthly.csv      one row per calendar month: energy, PUE, cost, peak, hours\n"
    "                   over the cap\n"
    "  scenario.yaml    the fully resolved scenario, to repeat the run exactly\n"
    "  comparison.csv   (DIR, with variants) one row per variant\n"
    "Files are written atomically; the same scenario and seed give identical bytes.\n"
    "\n"
    "Examples:\n"
    "  suanli run\n"
    "  suanli run --variant three-in-one --set run.duration=30d\n"
    "  suanli run my.yaml --seed 7 --out results/seed7\n";

static const char check_help[] =
    "Usage: suanli check [SCENARIO] [--set KEY=VALUE ...] [--seed N] [--variant NAME]\n"
    "\n"
    "Validates SCENARIO (the built-in default when omitted) with its overrides and\n"
    "prints each resolved variant as YAML, every default filled in. Errors name\n"
    "file:line:column and exit with code 2; nothing is run or written.\n";

static const char show_default_help[] =
    "Usage: suanli show-default\n"
    "\n"
    "Prints the built-in default scenario (scenarios/default.yaml), with comments,\n"
    "ready to copy: suanli show-default > my.yaml\n";

static const char catalog_help[] =
    "Usage: suanli catalog\n"
    "\n"
    "Lists the built-in presets: accelerators, host CPUs, servers, power chains,\n"
    "cooling plants, sites and load shapes. A scenario adds its own under\n"
    "catalog.devices, catalog.cpus, catalog.servers, catalog.chains and\n"
    "catalog.cooling (docs/scenario.md).\n";

static const char keys_help[] =
    "Usage: suanli keys\n"
    "\n"
    "Prints the reference of every scenario key (type, unit, default, meaning) as\n"
    "markdown; docs/scenario.md contains the same tables.\n";

static const char version_help[] = "Usage: suanli version\n\nPrints the version.\n";

static int usage_error(const char *help_cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const char *help_cmd, const char *fmt, ...)
{
    fprintf(stderr, "%s: error: ", prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s help%s%s'.\n", prog, help_cmd ? " " : "", help_cmd ? help_cmd : "");
    return EXIT_BAD_INPUT;
}

static int report(const struct sl_diag *d)
{
    char buf[2048];
    fprintf(stderr, "%s: error: %s\n", prog, sl_diag_format(d, buf, sizeof buf));
    switch (d->code) {
    case SL_EINVAL:
    case SL_ENOENT:
    case SL_EUSAGE:
        return EXIT_BAD_INPUT;
    default:
        return EXIT_RUN_FAILED;
    }
}

/* Options shared by run and check. */
struct cli {
    const char *scenario;
    const char **sets;
    size_t nsets;
    const char *seed;
    const char *variant;
    const char *out;
    int quiet;
    int help;
    int jobs; /* -j: 0 = one per processor */
};

static int is_opt(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '\0') {
        *value = NULL;
        return 1;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    return 0;
}

static int parse_cli(int argc, char **argv, const char *cmd, int allow_out, struct cli *c)
{
    memset(c, 0, sizeof *c);
    const char *jobs = NULL;
    c->sets = calloc((size_t)argc, sizeof *c->sets);
    if (!c->sets) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_RUN_FAILED;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        const char **slot = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            c->help = 1;
            return 0;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            c->quiet = 1;
            continue;
        } else if (allow_out && (is_opt(a, "-j", &v) || is_opt(a, "--jobs", &v))) {
            slot = &jobs;
        } else if (is_opt(a, "--set", &v)) {
            slot = &c->sets[c->nsets++];
        } else if (is_opt(a, "--seed", &v)) {
            slot = &c->seed;
        } else if (is_opt(a, "--variant", &v)) {
            slot = &c->variant;
        } else if (allow_out && is_opt(a, "--out", &v)) {
            slot = &c->out;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(cmd, "unknown option '%s'", a);
        } else {
            if (c->scenario)
                return usage_error(cmd, "more than one scenario given ('%s')", a);
            c->scenario = a;
            continue;
        }
        if (!v) {
            if (i + 1 >= argc)
                return usage_error(cmd, "option '%s' needs a value", a);
            v = argv[++i];
        }
        *slot = v;
    }
    if (c->seed) {
        char *end;
        strtoull(c->seed, &end, 10);
        if (!*c->seed || *end || c->seed[0] == '-')
            return usage_error(cmd, "--seed expects a non-negative integer, got '%s'", c->seed);
    }
    if (jobs) {
        char *end;
        long n = strtol(jobs, &end, 10);
        if (!*jobs || *end || n < 1 || n > 64)
            return usage_error(cmd, "-j expects a number of jobs from 1 to 64, got '%s'", jobs);
        c->jobs = (int)n;
    }
    if (c->out && !*c->out)
        return usage_error(cmd, "--out expects a directory");
    return 0;
}

static int load(const struct cli *c, struct sl_scenario_set *set)
{
    struct sl_load_opts o = {c->scenario, c->sets, c->nsets, c->seed, c->variant};
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, set, &d) != SL_OK)
        return report(&d);
    return 0;
}

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

/* ---- run ---- */

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
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    FILE *f = fopen(path, "rb");
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
        if (holds_other(sl_run_dir(set, i, base, dir, sizeof dir), &set->items[i]))
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
                prog, first, base);
}

static int cmd_run(int argc, char **argv)
{
    struct cli c;
    int rc = parse_cli(argc, argv, "run", 1, &c);
    if (rc || c.help) {
        if (c.help)
            fputs(run_help, stdout);
        free(c.sets);
        return rc;
    }
    struct sl_scenario_set set;
    if ((rc = load(&c, &set)) != 0) {
        free(c.sets);
        return rc;
    }
    char base[2048];
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
        fprintf(stderr, "%s: out of memory\n", prog);
        rc = EXIT_RUN_FAILED;
        goto done;
    }
    for (size_t i = 0; i < set.n; i++)
        sl_summary_init(&sums[i]);
    if (sl_mkdirs(base, &d) != SL_OK) {
        rc = report(&d);
        goto done;
    }
    int tty = isatty(2) && !c.quiet;
    struct progress p = {&set, done, events, wall_now(), 0, 0};
    struct sl_run_opts ro = {base, tty ? show_progress : NULL, &p, c.jobs};
    if (sl_run_set(&set, &ro, sums, &d) != SL_OK) {
        if (p.shown)
            fputc('\n', stderr);
        rc = report(&d);
        if (rc == EXIT_BAD_INPUT)
            rc = EXIT_RUN_FAILED;
        goto done;
    }
    if (!c.quiet) {
        for (size_t i = 0; i < set.n; i++) {
            char dir[4096];
            print_result(&set.items[i], &sums[i], sl_run_dir(&set, i, base, dir, sizeof dir));
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

static int cmd_check(int argc, char **argv)
{
    struct cli c;
    int rc = parse_cli(argc, argv, "check", 0, &c);
    if (rc || c.help) {
        if (c.help)
            fputs(check_help, stdout);
        free(c.sets);
        return rc;
    }
    struct sl_scenario_set set;
    if ((rc = load(&c, &set)) == 0) {
        for (size_t i = 0; i < set.n; i++) {
            if (i)
                fputs("---\n", stdout);
            sl_scenario_emit(&set.items[i], stdout);
        }
        fprintf(stderr, "%s: %s is valid (%zu run%s)\n", prog,
                c.scenario ? c.scenario : "the built-in default scenario", set.n,
                set.n == 1 ? "" : "s");
        sl_scenario_set_release(&set);
    }
    free(c.sets);
    return rc;
}

static int no_args(int argc, char **argv, const char *cmd, const char *help)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return -1;
        }
        return usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    return 0;
}

static int cmd_show_default(int argc, char **argv)
{
    int rc = no_args(argc, argv, "show-default", show_default_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    size_t len;
    const char *text = sl_scenario_default_text(&len);
    fwrite(text, 1, len, stdout);
    return 0;
}

static int cmd_catalog(int argc, char **argv)
{
    int rc = no_args(argc, argv, "catalog", catalog_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    printf("Accelerators (catalog.devices; a server's `device`):\n");
    printf("  %-12s %7s %7s %6s %7s %5s %5s %-10s %7s %-6s\n", "name", "FP16 TF", "INT8 TO",
           "mem GB", "BW TB/s", "TDP W", "idle", "link", "GB/s", "conf.");
    for (size_t i = 0; i < sl_catalog_device_count(); i++) {
        const struct sl_device_model *d = sl_catalog_device(i);
        printf("  %-12s %7.0f %7.0f %6.0f %7.2f %5.0f %5.0f %-10s %7.0f %-6s\n", d->name,
               d->fp16_flops / 1e12, d->int8_ops / 1e12, d->memory_bytes / 1e9, d->memory_bw / 1e12,
               d->tdp_w, d->idle_w, d->link, d->link_bw / 1e9, sl_confidence_names[d->confidence]);
    }
    printf("\nHost CPUs (catalog.cpus):\n");
    for (size_t i = 0; i < sl_catalog_cpu_count(); i++) {
        const struct sl_cpu_model *c = sl_catalog_cpu(i);
        printf("  %-18s %3lld cores %4.0f W (idle %3.0f W)  %-6s %s\n", c->name,
               (long long)c->cores, c->tdp_w, c->idle_w, sl_confidence_names[c->confidence],
               c->description);
    }
    printf("\nServers (fleet.server; input power with ac-2n-ups and air cooling):\n");
    for (size_t i = 0; i < sl_catalog_server_count(); i++) {
        const struct sl_server_model *m = sl_catalog_server(i);
        double full_w, idle_w;
        struct sl_diag d;
        sl_diag_clear(&d);
        if (sl_server_model_power(m, sl_scenario_find_device(NULL, m->device),
                                  sl_scenario_find_cpu(NULL, m->cpu),
                                  sl_chain_find_preset("ac-2n-ups"), &full_w, &idle_w, &d) != SL_OK)
            continue;
        printf("  %-15s %2lldU %lld x %-12s %lld x %-18s %5.2f kW full, %4.2f kW idle, "
               "%lld x %.1f kW %s PSUs (%lld spare)\n",
               m->name, (long long)m->height_u, (long long)m->cards, m->device, (long long)m->cpus,
               m->cpu, full_w / 1e3, idle_w / 1e3, (long long)m->psus, m->psu_rating_w / 1e3,
               sl_psu_grade_names[m->psu_grade], (long long)m->psus_spare);
    }
    printf("\nPower chains (facility.power_chain; stages grid to silicon):\n");
    for (size_t i = 0; i < sl_chain_preset_count(); i++) {
        const struct sl_chain_spec *c = sl_chain_preset(i);
        const struct sl_stage_spec *st = c->stages.items;
        printf("  %-11s", c->name);
        for (size_t k = 0; k < c->stages.n; k++)
            printf("%s%s", k ? " > " : " ", st[k].name);
        printf("\n  %-11s %s\n", "", c->description);
    }
    printf("\nCooling plants (facility.cooling):\n");
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        const struct sl_cooling_spec *c = sl_cooling_preset(i);
        printf("  %-18s %s\n", c->name, c->description ? c->description : "");
    }
    printf("\nSites (site.name, site.weather; or an EPW file path):\n");
    for (size_t i = 0; i < sl_weather_site_count(); i++) {
        const struct sl_site_info *s = sl_weather_site(i);
        printf("  %-13s %-8s %4.1f N %4.0f m  %.4f kg CO2/kWh  weather: %s\n", s->name, s->province,
               s->latitude_deg, s->elevation_m, s->carbon_kg_per_kwh, s->station);
    }
    printf("\nLoad shapes (workload.synthetic.shape):\n");
    printf("  constant   the fleet's target utilisation stays at `mean`\n");
    printf("  diurnal    mean + amplitude * cos(2 pi (t - peak_time) / period)\n");
    printf("\nScenarios:\n");
    printf("  default    10,240-card center at Xinghua under an 8 MW cap: traditional vs\n"
           "             three-in-one design (suanli show-default)\n");
    return 0;
}

static int cmd_keys(int argc, char **argv)
{
    int rc = no_args(argc, argv, "keys", keys_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    sl_scenario_doc(stdout);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    int rc = no_args(argc, argv, "version", version_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    printf("suanli %s\n", SUANLI_VERSION);
    return 0;
}

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"run", cmd_run, run_help},
    {"check", cmd_check, check_help},
    {"show-default", cmd_show_default, show_default_help},
    {"catalog", cmd_catalog, catalog_help},
    {"keys", cmd_keys, keys_help},
    {"version", cmd_version, version_help},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "no command given; commands: run, check, show-default, "
                                 "catalog, keys, version, help");
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2) {
            const struct command *c = find_command(argv[2]);
            if (!c)
                return usage_error(NULL, "unknown command '%s'", argv[2]);
            fputs(c->help, stdout);
            return 0;
        }
        fputs(main_help, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0)
        return cmd_version(0, NULL);
    const struct command *c = find_command(cmd);
    if (!c) {
        const char *near = NULL;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strncmp(commands[i].name, cmd, 2) == 0)
                near = commands[i].name;
        if (near)
            return usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", cmd, near);
        return usage_error(NULL, "unknown command '%s'", cmd);
    }
    return c->fn(argc - 2, argv + 2);
}
