/*
 * `suanli plan`: runs every combination of a search space over a scenario
 * and ranks the designs (issue #10, part 6).
 *
 * The space is the scenario file's `plan.vary` (read by
 * sl_scenario_plan_read, applied by sl_scenario_load_plan at the file's
 * positions) and `--vary KEY=V1,V2,...` (repeatable; KEY is any key --set
 * accepts): the file's keys in file order, a --vary of one of them
 * replacing its values in place, then the other --vary in command-line
 * order.  Combination c (0-based) takes, for each key in that order, the
 * value at the digit of c in mixed radix, the first key varying slowest.
 * Each combination is the scenario with, in turn, plan.set, the --set
 * overrides, then the picked values, so it is validated exactly like a
 * `suanli run --set`; an error names the file's position or the --vary.
 * A --set of a key the file varies is refused (it would fix it).
 *
 * Large spaces: more than --max-runs combinations (default 2000) are
 * refused unless --sample N draws N of them, a seeded (--sample-seed)
 * partial Fisher-Yates shuffle, so the same options run the same subset.
 * --by KEY (or plan.by; by default a varied site.name) groups the ranked
 * rows by the value of a varied key and prints the best design per value.
 *
 * Before anything runs, each value of each --vary is loaded alone onto the
 * scenario: a bad value or an unknown key is bad input (exit 2).  A
 * combination that still fails to load (values valid alone but not
 * together) is infeasible: recorded as such and not run; a space with no
 * feasible combination is bad input.
 *
 * Results go into an SQLite database (--db, default DIR/plan.sqlite): a
 * table `plan` holding what defines the space (the resolved base scenario
 * and the --vary list), and a table `runs` with one row per combination,
 * keyed by its index, with a column per varied key and the summary figures.
 * A row is written in one transaction when its run is complete, so a
 * killed plan loses only the runs under way, and a rerun skips every
 * combination that has a row.  A database made for another space is
 * refused.  Runs go on up to -j threads in batches of -j combinations;
 * rows are committed in combination order after each batch, and hold no
 * wall-clock figure, so -j changes nothing in the database.
 *
 * --limit N stops after N new runs; --dump prints the rows, opening the
 * database read-only, and runs nothing.
 *
 * The ranking rule (docs/model.md, "Planning"): tiers first (at SLO and
 * within the cap: no sustained violation when a power manager runs, else
 * no time over the cap; below the --slo attainment; over the cap;
 * infeasible), then delivered compute: inference output tokens/s, then
 * training PFLOP/s, descending; then cost, ascending; then the index.  The
 * table is printed and written as DIR/plan.csv (atomically).  Each run's
 * own outputs are in DIR/runs/NNNN/.  SQLite is used here only, in the
 * command's thread; the worker threads only run scenarios.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include "suanli/diag.h"
#include "suanli/outfile.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the search space ---- */

struct vary {
    const char *arg; /* the --vary text; NULL for a key of the file's plan.vary */
    char *key;
    char **values;
    size_t n;
    size_t file_k; /* index in the file's plan.vary, or SIZE_MAX (a --vary) */
};

/* The figures of a run, as the columns of `runs` (after the varied keys). */
struct figure {
    const char *column;
    const char *key; /* summary key; NULL: derived in figures() */
};
static const struct figure figures_def[] = {
    {"facility_mwh", "energy_mwh.facility"},
    {"pue", "pue.mean"},
    {"over_cap_h", NULL},
    {"cards_at_cap", "capacity.cards_at_cap"},
    {"tokens_per_s", "inference.tokens_per_s"},
    {"tokens_per_kwh", "inference.tokens_per_kwh"},
    {"training_tokens", "training.tokens"},
    {"training_pflops", NULL},
    {"cost_cny", "cost_cny"},
    {"co2_t", NULL},
    {"slo_attainment", NULL},
    {"tokens_per_s_per_mw", "compute.tokens_per_s_per_mw"},
    {"train_pflops_per_mw", "compute.train_pflops_per_mw"},
    {"servers_installed", "fleet.servers_installed"},
    {"servers_worst_case", "fleet.servers_worst_case"},
    {"oversubscription", "fleet.oversubscription"},
    {"violations", NULL},
};
#define NFIG (sizeof figures_def / sizeof figures_def[0])
enum {
    F_FAC,
    F_PUE,
    F_OVER,
    F_CARDS,
    F_TOK,
    F_TOKKWH,
    F_TTOK,
    F_PFLOPS,
    F_COST,
    F_CO2,
    F_SLO,
    F_TOKMW,
    F_PFLOPSMW,
    F_INSTALLED,
    F_WORST,
    F_OVERSUB,
    F_VIOL
};

static double sum_num(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        return 0.0;
    if (e->type == SL_V_NUM)
        return e->x;
    if (e->type == SL_V_INT)
        return (double)e->i;
    return 0.0;
}

/* The figures of summary s into f[NFIG]; absent keys count as 0 (a run
 * without inference serves no tokens). */
static void figures(const struct sl_summary *s, double *f)
{
    for (size_t i = 0; i < NFIG; i++)
        f[i] = figures_def[i].key ? sum_num(s, figures_def[i].key) : 0.0;
    f[F_OVER] = sum_num(s, "cap_exceeded_s") / 3600.0;
    double secs = sum_num(s, "sim_seconds");
    f[F_PFLOPS] = secs > 0 ? sum_num(s, "training.pflop") / secs : 0.0;
    /* MWh x kg/kWh = t. */
    f[F_CO2] = f[F_FAC] * sum_num(s, "carbon_kg_per_kwh");
    /* Without requests nothing misses its SLO; with requests but no
     * attainment (none completed), none met it. */
    const struct sl_summary_entry *slo = sl_summary_get(s, "inference.slo_attainment");
    if (slo && slo->type == SL_V_NUM)
        f[F_SLO] = slo->x;
    else
        f[F_SLO] = sum_num(s, "inference.requests") > 0 ? 0.0 : 1.0;
    /* Sustained violations as the power manager counts them; -1 when no
     * manager ran (policy none), and then time over the cap decides. */
    f[F_VIOL] = sl_summary_get(s, "power.violations") ? sum_num(s, "power.violations") : -1.0;
}

/* Parses "KEY=V1,V2,..." into *v.  Returns 0 or an exit code. */
static int parse_vary(const char *arg, struct vary *v)
{
    memset(v, 0, sizeof *v);
    v->arg = arg;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return app_usage_error("plan",
                               "--vary '%s': expected KEY=V1,V2,... with a dotted key, such as "
                               "--vary fleet.servers=640,720 (at column 1)",
                               arg);
    for (const char *p = arg; p < eq; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return app_usage_error("plan",
                                   "--vary '%s': character '%c' at column %d is not allowed in a "
                                   "key",
                                   arg, *p, (int)(p - arg) + 1);
    v->key = strndup(arg, (size_t)(eq - arg));
    if (!v->key)
        return app_usage_error(NULL, "out of memory");
    const char *p = eq + 1;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == 0)
            return app_usage_error("plan", "--vary '%s': empty value at column %d", arg,
                                   (int)(p - arg) + 1);
        char **nv = realloc(v->values, (v->n + 1) * sizeof *nv);
        if (!nv)
            return app_usage_error(NULL, "out of memory");
        v->values = nv;
        if (!(v->values[v->n] = strndup(p, len)))
            return app_usage_error(NULL, "out of memory");
        for (size_t j = 0; j < v->n; j++)
            if (strcmp(v->values[j], v->values[v->n]) == 0) {
                int rc = app_usage_error("plan", "--vary '%s': value '%s' repeated at column %d",
                                         arg, v->values[v->n], (int)(p - arg) + 1);
                free(v->values[v->n]);
                return rc;
            }
        v->n++;
        if (!c)
            break;
        p = c + 1;
    }
    return 0;
}

static void vary_free(struct vary *v)
{
    if (v->file_k != SIZE_MAX)
        return; /* borrowed from the plan section */
    free(v->key);
    for (size_t i = 0; i < v->n; i++)
        free(v->values[i]);
    free(v->values);
}

struct plan {
    struct app_cli c;
    struct sl_plan_cfg cfg; /* the file's plan: section */
    struct vary *vary;      /* the file's plan.vary keys, then the other --vary */
    size_t nvary;
    size_t ncomb;
    const char *db;
    int dump;
    size_t limit;   /* --limit: new runs at most; 0 none */
    double slo_min; /* --slo: the least SLO attainment of a run at SLO */
    int slo_given;
    const char *by; /* --by */
    size_t by_k;    /* the vary the ranking is grouped by, or SIZE_MAX */
    size_t max_runs;
    size_t sample; /* --sample: runs drawn at random; 0 all */
    uint64_t sample_seed;
    size_t *sel; /* the combinations of the plan, ascending */
    size_t nsel;
};

/* The value index of --vary k in combination idx. */
static size_t digit(const struct plan *p, size_t idx, size_t k)
{
    for (size_t j = p->nvary; j-- > k + 1;)
        idx /= p->vary[j].n;
    return idx % p->vary[k].n;
}

/* Loads combination idx (or, with only_k < nvary, the base with value
 * only_v of --vary only_k alone; with only_k == SIZE_MAX, the base alone).
 * On an error in a --vary value, the diagnostic names the --vary. */
static int load_comb(const struct plan *p, size_t idx, size_t only_k, size_t only_v,
                     struct sl_scenario_set *set, struct sl_diag *d)
{
    size_t n = p->c.nsets + p->nvary;
    const char **sets = calloc(n + 1, sizeof *sets);
    char **own = calloc(p->nvary + 1, sizeof *own);
    size_t *pick = calloc(p->cfg.nvary + 1, sizeof *pick);
    int rc = SL_ENOMEM;
    size_t ns = 0;
    if (!sets || !own || !pick)
        goto out;
    /* The file's values are picked by index, applied by the loader at
     * their own positions; a key replaced by a --vary is not applied. */
    for (size_t k = 0; k < p->cfg.nvary; k++)
        pick[k] = SIZE_MAX;
    for (size_t i = 0; i < p->c.nsets; i++)
        sets[ns++] = p->c.sets[i];
    for (size_t k = 0; k < p->nvary; k++) {
        const char *val;
        if (only_k == SIZE_MAX)
            break;
        if (only_k < p->nvary) {
            if (k != only_k)
                continue;
            val = p->vary[k].values[only_v];
        } else {
            val = p->vary[k].values[digit(p, idx, k)];
        }
        if (p->vary[k].file_k != SIZE_MAX) {
            pick[p->vary[k].file_k] = k == only_k ? only_v : digit(p, idx, k);
            continue;
        }
        size_t len = strlen(p->vary[k].key) + strlen(val) + 2;
        if (!(own[k] = malloc(len)))
            goto out;
        snprintf(own[k], len, "%s=%s", p->vary[k].key, val);
        sets[ns++] = own[k];
    }
    struct sl_load_opts o = {p->c.scenario, sets, ns, p->c.seed, p->c.variant};
    rc = sl_scenario_load_plan(&o, pick, p->cfg.nvary, set, d);
    if (rc == SL_OK && set->n != 1) {
        size_t nv = set->n;
        sl_scenario_set_release(set);
        rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                         "the scenario has %zu variants; plan runs one: choose it with --variant",
                         nv);
    }
    if (rc != SL_OK) {
        /* Name the --vary rather than the --set it became. */
        for (size_t k = 0; k < p->nvary; k++) {
            char want[1200];
            if (!own[k] || !p->vary[k].arg)
                continue;
            snprintf(want, sizeof want, "--set '%.500s'", own[k]);
            if (strcmp(d->file, want) == 0) {
                const char *val = strchr(own[k], '=') + 1;
                snprintf(d->file, sizeof d->file, "--vary '%.300s' (value '%.100s')",
                         p->vary[k].arg, val);
                break;
            }
        }
    }
out:
    for (size_t k = 0; k < p->nvary; k++)
        free(own[k]);
    free(own);
    free(sets);
    free(pick);
    if (rc == SL_ENOMEM && !d->code)
        sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return rc;
}

/* ---- the database ---- */

static int db_fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "%s: error: %s: %s\n", app_prog, what, db ? sqlite3_errmsg(db) : "");
    return EXIT_RUN_FAILED;
}

static int db_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: error: database: %s\n", app_prog, err ? err : "?");
        sqlite3_free(err);
        return EXIT_RUN_FAILED;
    }
    return 0;
}

/* The text that defines the space: the --vary list, one a line, then the
 * resolved base scenario. */
static char *space_text(const struct plan *p, const struct sl_scenario *base)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t k = 0; k < p->nvary; k++) {
        fprintf(f, "vary %s =", p->vary[k].key);
        for (size_t i = 0; i < p->vary[k].n; i++)
            fprintf(f, "%s%s", i ? "," : " ", p->vary[k].values[i]);
        fputc('\n', f);
    }
    if (p->nsel < p->ncomb)
        fprintf(f, "sample %zu seed %llu\n", p->nsel, (unsigned long long)p->sample_seed);
    sl_scenario_emit(base, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Creates the tables or checks that the database holds this space; with
 * readonly (--dump), only checks.  The check and the creation are one
 * transaction, so two plans starting on one database cannot both create. */
static int db_prepare(sqlite3 *db, const struct plan *p, const char *space, int readonly)
{
    int rc;
    if (!readonly &&
        (rc = db_exec(db, "BEGIN IMMEDIATE; "
                          "CREATE TABLE IF NOT EXISTS plan(key TEXT PRIMARY KEY, value TEXT)")))
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT value FROM plan WHERE key = 'space'", -1, &st, NULL)) {
        if (!readonly)
            return db_fail(db, "database");
        fprintf(stderr, "%s: error: %s holds no plan\n", app_prog, p->db);
        return EXIT_BAD_INPUT;
    }
    int have = sqlite3_step(st) == SQLITE_ROW;
    int same = have && strcmp((const char *)sqlite3_column_text(st, 0), space) == 0;
    sqlite3_finalize(st);
    if (have && !same) {
        fprintf(stderr,
                "%s: error: %s holds the results of a different plan (another scenario, --set "
                "or --vary); choose another --db or remove it\n",
                app_prog, p->db);
        return EXIT_BAD_INPUT;
    }
    if (!have && readonly) {
        fprintf(stderr, "%s: error: %s holds no plan\n", app_prog, p->db);
        return EXIT_BAD_INPUT;
    }
    if (have)
        return readonly ? 0 : db_exec(db, "COMMIT");
    char *sql = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);
    if (!f)
        return db_fail(NULL, "out of memory");
    fputs("CREATE TABLE runs(idx INTEGER PRIMARY KEY, status TEXT NOT NULL, message TEXT", f);
    for (size_t k = 0; k < p->nvary; k++)
        fprintf(f, ", \"%s\" TEXT", p->vary[k].key);
    for (size_t i = 0; i < NFIG; i++)
        fprintf(f, ", %s REAL", figures_def[i].column);
    fputs(");", f);
    fclose(f);
    rc = db_exec(db, sql);
    free(sql);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(db, "INSERT INTO plan(key, value) VALUES('space', ?)", -1, &st, NULL))
        return db_fail(db, "database");
    sqlite3_bind_text(st, 1, space, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, "database");
    sqlite3_finalize(st);
    return rc ? rc : db_exec(db, "COMMIT");
}

static int db_has(sqlite3 *db, size_t idx, int *has)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE idx = ?", -1, &st, NULL))
        return db_fail(db, "database");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    *has = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return 0;
}

/* Writes the row of combination idx in its own transaction; f is NULL for
 * an infeasible one (message says why). */
static int db_put(sqlite3 *db, const struct plan *p, size_t idx, const double *f,
                  const char *message)
{
    char *sql = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&sql, &len);
    if (!m)
        return db_fail(NULL, "out of memory");
    /* OR IGNORE: a plan running beside this one on the same database may
     * have written the row meanwhile; it holds the same figures. */
    fputs("INSERT OR IGNORE INTO runs VALUES(?, ?, ?", m);
    for (size_t k = 0; k < p->nvary + NFIG; k++)
        fputs(", ?", m);
    fputs(")", m);
    fclose(m);
    sqlite3_stmt *st;
    int bad = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    free(sql);
    if (bad)
        return db_fail(db, "database");
    int col = 1;
    sqlite3_bind_int64(st, col++, (sqlite3_int64)idx);
    sqlite3_bind_text(st, col++, f ? "done" : "infeasible", -1, SQLITE_STATIC);
    if (message)
        sqlite3_bind_text(st, col++, message, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, col++);
    for (size_t k = 0; k < p->nvary; k++)
        sqlite3_bind_text(st, col++, p->vary[k].values[digit(p, idx, k)], -1, SQLITE_STATIC);
    for (size_t i = 0; i < NFIG; i++) {
        if (f)
            sqlite3_bind_double(st, col++, f[i]);
        else
            sqlite3_bind_null(st, col++);
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, "database");
    sqlite3_finalize(st);
    return rc;
}

/* ---- running a batch ---- */

struct job {
    struct sl_scenario_set set;
    struct sl_summary sum;
    size_t idx;
    char dir[2400];
    int loaded;
    int rc;
    struct sl_diag d;
};

struct pool {
    struct job *jobs;
    size_t n, next;
    pthread_mutex_t lock;
};

static void *worker(void *arg)
{
    struct pool *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->lock);
        size_t i = pl->next++;
        pthread_mutex_unlock(&pl->lock);
        if (i >= pl->n)
            return NULL;
        struct job *j = &pl->jobs[i];
        if (!j->loaded)
            continue;
        struct sl_run_opts ro = {j->dir, NULL, NULL, 1, &cli_stop_signal};
        j->rc = sl_run_scenario(&j->set.items[0], &ro, &j->sum, &j->d);
    }
}

/* Creates dir and its parents (mkdir -p).  Returns 0 or -1. */
static int make_dirs(const char *dir)
{
    char buf[2400];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* ---- ranking and output ---- */

/* A row's standing: ok, below the SLO, over the cap, infeasible. */
enum tier { T_OK, T_SLO, T_CAP, T_INFEASIBLE };
static const char *const tier_names[] = {"ok", "below_slo", "over_cap", "infeasible"};

struct row {
    size_t idx;
    enum tier tier;
    int feasible; /* loaded and run */
    double f[NFIG];
};

static int rank_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->feasible != y->feasible)
        return y->feasible - x->feasible;
    if (x->tier != y->tier)
        return x->tier < y->tier ? -1 : 1;
    if (x->f[F_TOK] != y->f[F_TOK])
        return x->f[F_TOK] < y->f[F_TOK] ? 1 : -1;
    if (x->f[F_PFLOPS] != y->f[F_PFLOPS])
        return x->f[F_PFLOPS] < y->f[F_PFLOPS] ? 1 : -1;
    if (x->f[F_COST] != y->f[F_COST])
        return x->f[F_COST] < y->f[F_COST] ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Reads every row of runs, by index, into rows[ncomb]. */
static int db_rows(sqlite3 *db, const struct plan *p, struct row *rows, size_t *nrows)
{
    sqlite3_stmt *st;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM runs ORDER BY idx");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
        return db_fail(db, "database");
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < p->nsel) {
        struct row *r = &rows[n++];
        r->idx = (size_t)sqlite3_column_int64(st, 0);
        r->feasible = strcmp((const char *)sqlite3_column_text(st, 1), "done") == 0;
        for (size_t i = 0; i < NFIG; i++)
            r->f[i] = sqlite3_column_double(st, (int)(3 + p->nvary + i));
        /* With a power manager, sustained violations put a run over the
         * cap; without one (violations -1), any time over it. */
        int over = r->f[F_VIOL] >= 0 ? r->f[F_VIOL] > 0 : r->f[F_OVER] > 0;
        r->tier = !r->feasible               ? T_INFEASIBLE
                  : over                     ? T_CAP
                  : r->f[F_SLO] < p->slo_min ? T_SLO
                                             : T_OK;
    }
    sqlite3_finalize(st);
    *nrows = n;
    return 0;
}

/* Writes ",v" with v quoted as CSV needs. */
static void csv_cell(FILE *out, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        fprintf(out, ",%s", v);
        return;
    }
    fputs(",\"", out);
    for (const char *c = v; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

/* Writes the rows (ranked) as CSV: rank, idx, status, [group, group
 * rank], keys, figures. */
static void write_csv(FILE *out, const struct plan *p, const struct row *rows, size_t n)
{
    fputs("rank,combination,status", out);
    if (p->by_k != SIZE_MAX)
        fputs(",group,group_rank", out);
    for (size_t k = 0; k < p->nvary; k++)
        fprintf(out, ",%s", p->vary[k].key);
    for (size_t i = 0; i < NFIG; i++)
        fprintf(out, ",%s", figures_def[i].column);
    fputc('\n', out);
    for (size_t r = 0; r < n; r++) {
        const struct row *w = &rows[r];
        const char *status = tier_names[w->tier];
        fprintf(out, "%zu,%zu,%s", r + 1, w->idx, status);
        if (p->by_k != SIZE_MAX) {
            /* The group is the by key's value (its column, again, so a
             * reader need not know which key it is); group_rank counts
             * the rows of that value ranked before this one, plus 1. */
            size_t g = digit(p, w->idx, p->by_k), grank = 1;
            for (size_t q = 0; q < r; q++)
                grank += digit(p, rows[q].idx, p->by_k) == g ? 1u : 0u;
            csv_cell(out, p->vary[p->by_k].values[g]);
            fprintf(out, ",%zu", grank);
        }
        for (size_t k = 0; k < p->nvary; k++)
            csv_cell(out, p->vary[k].values[digit(p, w->idx, k)]);
        for (size_t i = 0; i < NFIG; i++) {
            char buf[64];
            fprintf(out, ",%s", w->feasible ? sl_format_number(w->f[i], buf, sizeof buf) : "");
        }
        fputc('\n', out);
    }
}

/* The width of --vary k's column: its key or its longest value. */
static int key_width(const struct vary *v)
{
    size_t w = strlen(v->key);
    for (size_t i = 0; i < v->n; i++)
        if (strlen(v->values[i]) > w)
            w = strlen(v->values[i]);
    return w > 60 ? 60 : (int)w;
}

static void print_figures(const struct row *w)
{
    printf(" %12.3f %6.3f %10.1f %13.1f %13.3f %9.0f %10.4f %7.3f %12.0f %10.2f\n", w->f[F_FAC],
           w->f[F_PUE], w->f[F_OVER], w->f[F_TOK], w->f[F_PFLOPS], w->f[F_TOKMW], w->f[F_PFLOPSMW],
           w->f[F_OVERSUB], w->f[F_COST], w->f[F_CO2]);
}

static void print_header(void)
{
    printf(" %12s %6s %10s %13s %13s %9s %10s %7s %12s %10s\n", "facility_MWh", "PUE", "over_cap_h",
           "out_tokens/s", "train_PFLOP/s", "tok/s/MW", "PFLOP/s/MW", "oversub", "cost_CNY",
           "CO2_t");
}

static void print_table(const struct plan *p, const struct row *rows, size_t n)
{
    printf("%-4s %-10s", "rank", "status");
    for (size_t k = 0; k < p->nvary; k++)
        printf("  %-*s", key_width(&p->vary[k]), p->vary[k].key);
    print_header();
    for (size_t r = 0; r < n; r++) {
        const struct row *w = &rows[r];
        printf("%-4zu %-10s", r + 1, tier_names[w->tier]);
        for (size_t k = 0; k < p->nvary; k++)
            printf("  %-*s", key_width(&p->vary[k]), p->vary[k].values[digit(p, w->idx, k)]);
        if (!w->feasible) {
            putchar('\n');
            continue;
        }
        print_figures(w);
    }
}

/* The best design for each value of the --by key, in the order of its
 * values: the first ranked row of that value ("-" when none ran). */
static void print_best(const struct plan *p, const struct row *rows, size_t n)
{
    const struct vary *g = &p->vary[p->by_k];
    int gw = key_width(g);
    printf("\nbest per %s:\n%-*s %-4s %-10s", g->key, gw, g->key, "rank", "status");
    for (size_t k = 0; k < p->nvary; k++)
        if (k != p->by_k)
            printf("  %-*s", key_width(&p->vary[k]), p->vary[k].key);
    print_header();
    for (size_t v = 0; v < g->n; v++) {
        size_t r = 0;
        while (r < n && digit(p, rows[r].idx, p->by_k) != v)
            r++;
        printf("%-*s ", gw, g->values[v]);
        if (r == n) {
            printf("-\n");
            continue;
        }
        printf("%-4zu %-10s", r + 1, tier_names[rows[r].tier]);
        for (size_t k = 0; k < p->nvary; k++)
            if (k != p->by_k)
                printf("  %-*s", key_width(&p->vary[k]),
                       p->vary[k].values[digit(p, rows[r].idx, k)]);
        if (rows[r].feasible)
            print_figures(&rows[r]);
        else
            putchar('\n');
    }
}

/* ---- the command ---- */

/* Parses a positive count option's value into *out.  Returns 0 or an exit
 * code. */
static int parse_count(const char *opt, const char *v, size_t *out)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < 1)
        return app_usage_error("plan", "%s expects a positive number, got '%s'", opt, v);
    *out = (size_t)n;
    return 0;
}

/* Merges the file's plan.vary (in file order) with the --vary options
 * (cl[ncl]) into p->vary: a --vary of a key the file varies replaces its
 * values in place; the others follow in command-line order.  Takes over
 * cl's entries.  Returns 0 or an exit code. */
static int merge_vary(struct plan *p, struct vary *cl, size_t ncl)
{
    p->vary = calloc(p->cfg.nvary + ncl + 1, sizeof *p->vary);
    if (!p->vary)
        return app_usage_error(NULL, "out of memory");
    int *used = calloc(ncl + 1, sizeof *used);
    if (!used)
        return app_usage_error(NULL, "out of memory");
    for (size_t f = 0; f < p->cfg.nvary; f++) {
        const struct sl_plan_vary *fv = &p->cfg.vary[f];
        struct vary *v = &p->vary[p->nvary++];
        size_t c = 0;
        while (c < ncl && strcmp(cl[c].key, fv->key) != 0)
            c++;
        if (c < ncl) {
            *v = cl[c];
            used[c] = 1;
            continue;
        }
        v->key = fv->key;
        v->values = fv->values;
        v->n = fv->n;
        v->file_k = f;
    }
    for (size_t c = 0; c < ncl; c++)
        if (!used[c])
            p->vary[p->nvary++] = cl[c];
    free(used);
    return 0;
}

/* A seeded subset of the space (--sample): n distinct combinations drawn
 * by a partial Fisher-Yates shuffle over [0, ncomb) with splitmix64
 * (Steele et al. 2014) seeded by --sample-seed, sorted.  Depends on
 * nothing but ncomb, n and the seed. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static int select_combinations(struct plan *p)
{
    p->sel = malloc((p->ncomb + 1) * sizeof *p->sel);
    if (!p->sel)
        return app_usage_error(NULL, "out of memory");
    for (size_t i = 0; i < p->ncomb; i++)
        p->sel[i] = i;
    p->nsel = p->ncomb;
    if (!p->sample || p->sample >= p->ncomb)
        return 0;
    uint64_t x = p->sample_seed;
    for (size_t i = 0; i < p->sample; i++) {
        size_t span = p->ncomb - i;
        /* Rejection keeps the draw unbiased. */
        uint64_t lim = UINT64_MAX - UINT64_MAX % span, r;
        do
            r = splitmix64(&x);
        while (r >= lim);
        size_t j = i + (size_t)(r % span);
        size_t t = p->sel[i];
        p->sel[i] = p->sel[j];
        p->sel[j] = t;
    }
    p->nsel = p->sample;
    qsort(p->sel, p->nsel, sizeof *p->sel, cmp_size);
    return 0;
}

static int parse(int argc, char **argv, struct plan *p)
{
    /* Take out plan's own options; the rest are run's options. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    struct vary *cl = calloc((size_t)argc + 1, sizeof *cl);
    size_t ncl = 0;
    if (!rest || !cl) {
        free(rest);
        free(cl);
        return app_usage_error(NULL, "out of memory");
    }
    p->max_runs = 2000;
    p->sample_seed = 1;
    p->by_k = SIZE_MAX;
    static const char *const valued[] = {"--vary",   "--db",          "--limit",    "--slo", "--by",
                                         "--sample", "--sample-seed", "--max-runs", NULL};
    int nrest = 0, rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        const char *a = argv[i];
        const char *v = NULL, *opt = NULL;
        if (strcmp(a, "--dump") == 0) {
            p->dump = 1;
            continue;
        }
        for (size_t o = 0; valued[o] && !opt; o++) {
            size_t len = strlen(valued[o]);
            if (strcmp(a, valued[o]) == 0) {
                opt = valued[o];
                if (i + 1 >= argc) {
                    rc = app_usage_error("plan", "option '%s' needs a value", a);
                    break;
                }
                v = argv[++i];
            } else if (strncmp(a, valued[o], len) == 0 && a[len] == '=') {
                opt = valued[o];
                v = a + len + 1;
            }
        }
        if (rc)
            break;
        if (!opt) {
            rest[nrest++] = argv[i];
            continue;
        }
        if (strcmp(opt, "--slo") == 0) {
            char *end;
            double x = strtod(v, &end);
            if (!*v || *end || !(x >= 0.0 && x <= 1.0))
                rc = app_usage_error("plan",
                                     "--slo expects the least SLO attainment, from 0 to 1, got "
                                     "'%s'",
                                     v);
            p->slo_min = x;
            p->slo_given = 1;
        } else if (strcmp(opt, "--limit") == 0) {
            rc = parse_count("--limit", v, &p->limit);
        } else if (strcmp(opt, "--max-runs") == 0) {
            rc = parse_count("--max-runs", v, &p->max_runs);
        } else if (strcmp(opt, "--sample") == 0) {
            rc = parse_count("--sample", v, &p->sample);
        } else if (strcmp(opt, "--sample-seed") == 0) {
            char *end;
            unsigned long long x = strtoull(v, &end, 10);
            if (!*v || *end || v[0] == '-')
                rc = app_usage_error("plan", "--sample-seed expects a whole number, got '%s'", v);
            p->sample_seed = (uint64_t)x;
        } else if (strcmp(opt, "--db") == 0) {
            if (!*v)
                rc = app_usage_error("plan", "--db expects a file");
            p->db = v;
        } else if (strcmp(opt, "--by") == 0) {
            if (!*v)
                rc = app_usage_error("plan", "--by expects a varied key, or none");
            p->by = v;
        } else {
            rc = parse_vary(v, &cl[ncl]);
            cl[ncl++].file_k = SIZE_MAX;
        }
    }
    if (!rc)
        rc = app_parse_cli(nrest, rest, "plan", 1, &p->c);
    free(rest);
    for (size_t k = 0; k < ncl && !rc; k++)
        for (size_t j = 0; j < k; j++)
            if (strcmp(cl[k].key, cl[j].key) == 0) {
                rc = app_usage_error("plan", "--vary '%s': key '%s' is varied twice", cl[k].arg,
                                     cl[k].key);
                break;
            }
    if (!rc && !p->c.help) {
        struct sl_diag d;
        sl_diag_clear(&d);
        if (sl_scenario_plan_read(p->c.scenario, &p->cfg, &d) != SL_OK)
            rc = app_report(&d);
    }
    if (!rc && !p->c.help)
        rc = merge_vary(p, cl, ncl);
    else
        for (size_t k = 0; k < ncl; k++)
            vary_free(&cl[k]);
    free(cl);
    if (rc || p->c.help)
        return rc;
    if (p->nvary == 0 && !p->dump)
        return app_usage_error("plan", "nothing to vary: give at least one --vary KEY=V1,V2,... "
                                       "or a plan.vary section in the scenario file");
    /* A --set of a key the file varies would fix it in every run. */
    for (size_t i = 0; i < p->c.nsets; i++)
        for (size_t k = 0; k < p->nvary; k++) {
            size_t len = strlen(p->vary[k].key);
            if (p->vary[k].file_k == SIZE_MAX || strncmp(p->c.sets[i], p->vary[k].key, len) != 0 ||
                p->c.sets[i][len] != '=')
                continue;
            const struct sl_plan_vary *fv = &p->cfg.vary[p->vary[k].file_k];
            return app_usage_error("plan",
                                   "--set '%s': %s:%d:%d varies '%s' in plan.vary; replace its "
                                   "values with --vary %s=V1,V2,... instead",
                                   p->c.sets[i], p->cfg.file, fv->key_line, fv->key_col, fv->key,
                                   fv->key);
        }
    if (!p->slo_given && p->cfg.has_slo)
        p->slo_min = p->cfg.slo;
    /* --by wins over plan.by; with neither, a varied site.name groups. */
    const char *by = p->by ? p->by : p->cfg.by;
    if (by && strcmp(by, "none") != 0) {
        for (size_t k = 0; k < p->nvary; k++)
            if (strcmp(p->vary[k].key, by) == 0)
                p->by_k = k;
        if (p->by_k == SIZE_MAX) {
            if (p->by)
                return app_usage_error("plan", "--by '%s': the plan does not vary that key", by);
            struct sl_diag d;
            sl_diag_set(&d, SL_EINVAL, p->cfg.file, p->cfg.by_line, p->cfg.by_col,
                        "'plan.by' names '%s', which the plan does not vary", by);
            return app_report(&d);
        }
    } else if (!by) {
        for (size_t k = 0; k < p->nvary; k++)
            if (strcmp(p->vary[k].key, "site.name") == 0)
                p->by_k = k;
    }
    p->ncomb = 1;
    for (size_t k = 0; k < p->nvary; k++) {
        if (p->ncomb > 1000000 / p->vary[k].n)
            return app_usage_error("plan", "the space has more than 1,000,000 combinations");
        p->ncomb *= p->vary[k].n;
    }
    if (p->ncomb > p->max_runs && !p->sample)
        return app_usage_error("plan",
                               "the space has %zu combinations, more than --max-runs %zu: run a "
                               "seeded random subset with --sample N, or raise --max-runs",
                               p->ncomb, p->max_runs);
    if (p->sample > p->max_runs)
        return app_usage_error("plan", "--sample %zu is more than --max-runs %zu", p->sample,
                               p->max_runs);
    return select_combinations(p);
}

int app_cmd_plan(int argc, char **argv)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    sqlite3 *db = NULL;
    struct row *rows = NULL;
    struct job *jobs = NULL;
    char *space = NULL;
    char base_dir[2048];
    char dbpath[2200];
    int rc = parse(argc, argv, &p);
    if (rc || p.c.help) {
        if (p.c.help)
            fputs(app_plan_help, stdout);
        goto done;
    }
    struct sl_diag d;
    sl_diag_clear(&d);
    /* The base, then each value alone: bad input stops here. */
    struct sl_scenario_set base;
    if (load_comb(&p, 0, SIZE_MAX, 0, &base, &d) != SL_OK) {
        rc = app_report(&d);
        goto done;
    }
    space = space_text(&p, &base.items[0]);
    if (p.c.out && strlen(p.c.out) >= sizeof base_dir - 200) {
        sl_scenario_set_release(&base);
        rc = app_usage_error("plan", "--out is too long");
        goto done;
    }
    snprintf(base_dir, sizeof base_dir, "%s", p.c.out ? p.c.out : "");
    if (!p.c.out)
        snprintf(base_dir, sizeof base_dir, "out/%s-plan", base.items[0].name);
    sl_scenario_set_release(&base);
    if (!space) {
        rc = app_usage_error(NULL, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < p.nvary; k++)
        for (size_t v = 0; v < p.vary[k].n; v++) {
            struct sl_scenario_set one;
            sl_diag_clear(&d);
            if (load_comb(&p, 0, k, v, &one, &d) != SL_OK) {
                rc = app_report(&d);
                goto done;
            }
            sl_scenario_set_release(&one);
        }
    if (p.db && strlen(p.db) >= sizeof dbpath) {
        rc = app_usage_error("plan", "--db is too long");
        goto done;
    }
    snprintf(dbpath, sizeof dbpath, "%s", p.db ? p.db : "");
    if (!p.db)
        snprintf(dbpath, sizeof dbpath, "%s/plan.sqlite", base_dir);
    p.db = dbpath;
    if (!p.dump && make_dirs(base_dir) != 0) {
        fprintf(stderr, "%s: error: cannot create %s/: %s\n", app_prog, base_dir, strerror(errno));
        rc = EXIT_RUN_FAILED;
        goto done;
    }
    if (sqlite3_open_v2(p.db, &db,
                        p.dump ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        rc = db_fail(db, p.db);
        goto done;
    }
    sqlite3_busy_timeout(db, 5000);
    if ((rc = db_prepare(db, &p, space, p.dump)) != 0)
        goto done;

    size_t nj = p.c.jobs > 0 ? (size_t)p.c.jobs : 1;
    jobs = calloc(nj, sizeof *jobs);
    rows = calloc(p.nsel + 1, sizeof *rows);
    if (!jobs || !rows) {
        rc = app_usage_error(NULL, "out of memory");
        goto done;
    }
    size_t ran = 0, skipped = 0, infeasible = 0;
    struct sigaction old[CLI_NSTOP];
    cli_catch_signals(old);
    size_t next = 0;
    while (next < p.nsel && !p.dump && !cli_stop_signal) {
        /* Gather up to nj combinations without a row. */
        size_t n = 0;
        if (p.limit && ran >= p.limit)
            break;
        while (n < nj && next < p.nsel && !(p.limit && ran + n >= p.limit)) {
            int has;
            if ((rc = db_has(db, p.sel[next], &has)) != 0)
                break;
            if (has) {
                skipped++;
                next++;
                continue;
            }
            struct job *j = &jobs[n];
            memset(j, 0, sizeof *j);
            j->idx = p.sel[next++];
            sl_diag_clear(&j->d);
            sl_summary_init(&j->sum);
            if (load_comb(&p, j->idx, p.nvary, 0, &j->set, &j->d) == SL_OK) {
                j->loaded = 1;
                snprintf(j->dir, sizeof j->dir, "%s/runs/%04zu", base_dir, j->idx);
                if (make_dirs(j->dir) != 0) {
                    fprintf(stderr, "%s: error: cannot create %s/: %s\n", app_prog, j->dir,
                            strerror(errno));
                    rc = EXIT_RUN_FAILED;
                    n++;
                    break;
                }
            } else if (j->d.code != SL_EINVAL && j->d.code != SL_ENOENT && j->d.code != SL_EUSAGE) {
                rc = app_report(&j->d);
                n++;
                break;
            }
            n++;
        }
        if (!rc && n > 0) {
            struct pool pl = {jobs, n, 0, PTHREAD_MUTEX_INITIALIZER};
            pthread_t th[64];
            size_t nt = nj < n ? nj : n, started = 0;
            for (; started < nt; started++)
                if (pthread_create(&th[started], NULL, worker, &pl) != 0)
                    break;
            if (started == 0)
                worker(&pl);
            for (size_t t = 0; t < started; t++)
                pthread_join(th[t], NULL);
            for (size_t i = 0; i < n && !rc; i++) {
                struct job *j = &jobs[i];
                if (j->loaded && j->rc != SL_OK) {
                    if (!cli_stop_signal)
                        rc = app_report(&j->d), rc = EXIT_RUN_FAILED;
                    break;
                }
                double f[NFIG];
                char buf[2048];
                if (j->loaded)
                    figures(&j->sum, f);
                rc = db_put(db, &p, j->idx, j->loaded ? f : NULL,
                            j->loaded ? NULL : sl_diag_format(&j->d, buf, sizeof buf));
                if (j->loaded)
                    ran++;
                else
                    infeasible++;
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (jobs[i].loaded)
                sl_scenario_set_release(&jobs[i].set);
            sl_summary_release(&jobs[i].sum);
        }
        if (rc)
            break;
    }
    cli_restore_signals(old);
    if (cli_stop_signal) {
        fprintf(stderr, "%s: interrupted; finished runs are kept in %s, rerun to resume\n",
                app_prog, p.db);
        sqlite3_close(db);
        db = NULL;
        signal(cli_stop_signal, SIG_DFL);
        raise(cli_stop_signal);
    }
    if (rc)
        goto done;
    size_t nrows = 0;
    if ((rc = db_rows(db, &p, rows, &nrows)) != 0)
        goto done;
    if (p.dump) {
        write_csv(stdout, &p, rows, nrows);
        goto done;
    }
    size_t nfeas = 0;
    for (size_t i = 0; i < nrows; i++)
        nfeas += rows[i].feasible ? 1u : 0u;
    if (nfeas == 0 && nrows == p.nsel) {
        /* The first combination's reason, with its position. */
        sqlite3_stmt *st;
        const char *why = NULL;
        if (sqlite3_prepare_v2(db, "SELECT message FROM runs ORDER BY idx LIMIT 1", -1, &st,
                               NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                why = (const char *)sqlite3_column_text(st, 0);
            /* Where the space was given: the plan section, else the
             * first --vary. */
            char where[2300];
            size_t fk = 0;
            while (fk < p.nvary && p.vary[fk].file_k == SIZE_MAX)
                fk++;
            if (fk < p.nvary)
                snprintf(where, sizeof where, "%s:%d:%d: 'plan'", p.cfg.file, p.cfg.line,
                         p.cfg.col);
            else
                snprintf(where, sizeof where, "--vary '%.2000s'", p.vary[0].arg);
            fprintf(stderr,
                    "%s: error: %s: no combination of the space is feasible: every value loads "
                    "alone, but no combination does; the first: %s\n",
                    app_prog, where, why ? why : "?");
            sqlite3_finalize(st);
        }
        rc = EXIT_BAD_INPUT;
        goto done;
    }
    qsort(rows, nrows, sizeof *rows, rank_cmp);
    char csv[2300];
    snprintf(csv, sizeof csv, "%s/plan.csv", base_dir);
    struct sl_outfile of;
    if (sl_outfile_open(&of, csv, &d) != SL_OK) {
        rc = app_report(&d);
        goto done;
    }
    write_csv(of.f, &p, rows, nrows);
    if (sl_outfile_commit(&of, &d) != SL_OK) {
        rc = app_report(&d);
        rc = EXIT_RUN_FAILED;
        goto done;
    }
    if (!p.c.quiet) {
        if (p.nsel < p.ncomb)
            printf("plan: a sample of %zu of the %zu combinations (--sample-seed %llu): ", p.nsel,
                   p.ncomb, (unsigned long long)p.sample_seed);
        else
            printf("plan: %zu combinations: ", p.ncomb);
        printf("%zu run now, %zu already done, %zu infeasible -> %s, %s\n\n", ran, skipped,
               infeasible, p.db, csv);
        print_table(&p, rows, nrows);
        if (p.by_k != SIZE_MAX)
            print_best(&p, rows, nrows);
    }
done:
    if (db)
        sqlite3_close(db);
    free(rows);
    free(jobs);
    free(space);
    for (size_t k = 0; k < p.nvary; k++)
        vary_free(&p.vary[k]);
    free(p.vary);
    free(p.sel);
    sl_plan_cfg_release(&p.cfg);
    free(p.c.sets);
    return rc;
}
