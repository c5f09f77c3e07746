/*
 * `suanli plan`: runs every combination of a search space over a scenario
 * and ranks the designs (issue #10, part 6).
 *
 * The space is given by `--vary KEY=V1,V2,...` (repeatable; KEY is any key
 * --set accepts).  Combination c (0-based) takes, for each --vary in the
 * order given, the value at the digit of c in mixed radix, the first --vary
 * varying slowest.  Each combination is the scenario loaded with the --set
 * overrides and then KEY=V for every --vary, so it is validated exactly like
 * a `suanli run --set`, and an error names the --vary.
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
 * never over the grid cap; below the --slo attainment; over the cap;
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
    const char *arg; /* the --vary text */
    char *key;
    char **values;
    size_t n;
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
};
#define NFIG (sizeof figures_def / sizeof figures_def[0])
enum { F_FAC, F_PUE, F_OVER, F_CARDS, F_TOK, F_TOKKWH, F_TTOK, F_PFLOPS, F_COST, F_CO2, F_SLO };

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
    free(v->key);
    for (size_t i = 0; i < v->n; i++)
        free(v->values[i]);
    free(v->values);
}

struct plan {
    struct app_cli c;
    struct vary *vary;
    size_t nvary;
    size_t ncomb;
    const char *db;
    int dump;
    size_t limit;   /* --limit: new runs at most; 0 none */
    double slo_min; /* --slo: the least SLO attainment of a run at SLO */
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
    int rc = SL_ENOMEM;
    size_t ns = 0;
    if (!sets || !own)
        goto out;
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
        size_t len = strlen(p->vary[k].key) + strlen(val) + 2;
        if (!(own[k] = malloc(len)))
            goto out;
        snprintf(own[k], len, "%s=%s", p->vary[k].key, val);
        sets[ns++] = own[k];
    }
    struct sl_load_opts o = {p->c.scenario, sets, ns, p->c.seed, p->c.variant};
    rc = sl_scenario_load(&o, set, d);
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
            if (!own[k])
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
    while (sqlite3_step(st) == SQLITE_ROW && n < p->ncomb) {
        struct row *r = &rows[n++];
        r->idx = (size_t)sqlite3_column_int64(st, 0);
        r->feasible = strcmp((const char *)sqlite3_column_text(st, 1), "done") == 0;
        for (size_t i = 0; i < NFIG; i++)
            r->f[i] = sqlite3_column_double(st, (int)(3 + p->nvary + i));
        r->tier = !r->feasible               ? T_INFEASIBLE
                  : r->f[F_OVER] > 0         ? T_CAP
                  : r->f[F_SLO] < p->slo_min ? T_SLO
                                             : T_OK;
    }
    sqlite3_finalize(st);
    *nrows = n;
    return 0;
}

/* Writes the rows (ranked) as CSV: rank, idx, feasible, keys, figures. */
static void write_csv(FILE *out, const struct plan *p, const struct row *rows, size_t n)
{
    fputs("rank,combination,status", out);
    for (size_t k = 0; k < p->nvary; k++)
        fprintf(out, ",%s", p->vary[k].key);
    for (size_t i = 0; i < NFIG; i++)
        fprintf(out, ",%s", figures_def[i].column);
    fputc('\n', out);
    for (size_t r = 0; r < n; r++) {
        const struct row *w = &rows[r];
        const char *status = tier_names[w->tier];
        fprintf(out, "%zu,%zu,%s", r + 1, w->idx, status);
        for (size_t k = 0; k < p->nvary; k++) {
            const char *v = p->vary[k].values[digit(p, w->idx, k)];
            if (!strpbrk(v, ",\"\r\n")) {
                fprintf(out, ",%s", v);
                continue;
            }
            fputs(",\"", out);
            for (const char *c = v; *c; c++) {
                if (*c == '"')
                    fputc('"', out);
                fputc(*c, out);
            }
            fputc('"', out);
        }
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

static void print_table(const struct plan *p, const struct row *rows, size_t n)
{
    printf("%-4s %-10s", "rank", "status");
    for (size_t k = 0; k < p->nvary; k++)
        printf("  %-*s", key_width(&p->vary[k]), p->vary[k].key);
    printf(" %12s %6s %10s %13s %13s %12s %10s\n", "facility_MWh", "PUE", "over_cap_h",
           "out_tokens/s", "train_PFLOP/s", "cost_CNY", "CO2_t");
    for (size_t r = 0; r < n; r++) {
        const struct row *w = &rows[r];
        printf("%-4zu %-10s", r + 1, tier_names[w->tier]);
        for (size_t k = 0; k < p->nvary; k++)
            printf("  %-*s", key_width(&p->vary[k]), p->vary[k].values[digit(p, w->idx, k)]);
        if (!w->feasible) {
            putchar('\n');
            continue;
        }
        printf(" %12.3f %6.3f %10.1f %13.1f %13.3f %12.0f %10.2f\n", w->f[F_FAC], w->f[F_PUE],
               w->f[F_OVER], w->f[F_TOK], w->f[F_PFLOPS], w->f[F_COST], w->f[F_CO2]);
    }
}

/* ---- the command ---- */

static int parse(int argc, char **argv, struct plan *p)
{
    /* Take out --vary, --db and --dump; the rest are run's options. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    p->vary = calloc((size_t)argc + 1, sizeof *p->vary);
    if (!rest || !p->vary) {
        free(rest);
        return app_usage_error(NULL, "out of memory");
    }
    int nrest = 0, rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        int is_vary = strcmp(a, "--vary") == 0, is_db = strcmp(a, "--db") == 0;
        int is_limit = strcmp(a, "--limit") == 0, is_slo = strcmp(a, "--slo") == 0;
        if (strncmp(a, "--slo=", 6) == 0)
            v = a + 6, is_slo = 1;
        else if (strncmp(a, "--vary=", 7) == 0)
            v = a + 7;
        else if (strncmp(a, "--limit=", 8) == 0)
            v = a + 8, is_limit = 1;
        else if (strncmp(a, "--db=", 5) == 0)
            v = a + 5, is_db = 1;
        else if (strcmp(a, "--dump") == 0) {
            p->dump = 1;
            continue;
        } else if (is_vary || is_db || is_limit || is_slo) {
            if (i + 1 >= argc) {
                rc = app_usage_error("plan", "option '%s' needs a value", a);
                break;
            }
            v = argv[++i];
        } else {
            rest[nrest++] = argv[i];
            continue;
        }
        if (is_slo) {
            char *end;
            double x = strtod(v, &end);
            if (!*v || *end || !(x >= 0.0 && x <= 1.0))
                rc = app_usage_error("plan",
                                     "--slo expects the least SLO attainment, from 0 to 1, got "
                                     "'%s'",
                                     v);
            p->slo_min = x;
        } else if (is_limit) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1)
                rc = app_usage_error("plan", "--limit expects a positive number of runs, got '%s'",
                                     v);
            p->limit = (size_t)n;
        } else if (is_db) {
            if (!*v)
                rc = app_usage_error("plan", "--db expects a file");
            p->db = v;
        } else {
            rc = parse_vary(v, &p->vary[p->nvary++]);
        }
    }
    if (!rc)
        rc = app_parse_cli(nrest, rest, "plan", 1, &p->c);
    free(rest);
    if (rc || p->c.help)
        return rc;
    if (p->nvary == 0 && !p->dump)
        return app_usage_error("plan", "nothing to vary: give at least one --vary KEY=V1,V2,...");
    for (size_t k = 0; k < p->nvary; k++)
        for (size_t j = 0; j < k; j++)
            if (strcmp(p->vary[k].key, p->vary[j].key) == 0)
                return app_usage_error("plan", "--vary '%s': key '%s' is varied twice",
                                       p->vary[k].arg, p->vary[k].key);
    p->ncomb = 1;
    for (size_t k = 0; k < p->nvary; k++) {
        if (p->ncomb > 1000000 / p->vary[k].n)
            return app_usage_error("plan", "the space has more than 1,000,000 combinations");
        p->ncomb *= p->vary[k].n;
    }
    return 0;
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
    rows = calloc(p.ncomb, sizeof *rows);
    if (!jobs || !rows) {
        rc = app_usage_error(NULL, "out of memory");
        goto done;
    }
    size_t ran = 0, skipped = 0, infeasible = 0;
    struct sigaction old[CLI_NSTOP];
    cli_catch_signals(old);
    size_t next = 0;
    while (next < p.ncomb && !p.dump && !cli_stop_signal) {
        /* Gather up to nj combinations without a row. */
        size_t n = 0;
        if (p.limit && ran >= p.limit)
            break;
        while (n < nj && next < p.ncomb && !(p.limit && ran + n >= p.limit)) {
            int has;
            if ((rc = db_has(db, next, &has)) != 0)
                break;
            if (has) {
                skipped++;
                next++;
                continue;
            }
            struct job *j = &jobs[n];
            memset(j, 0, sizeof *j);
            j->idx = next++;
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
    if (nfeas == 0 && nrows == p.ncomb) {
        /* The first combination's reason, with its position. */
        sqlite3_stmt *st;
        const char *why = NULL;
        if (sqlite3_prepare_v2(db, "SELECT message FROM runs ORDER BY idx LIMIT 1", -1, &st,
                               NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                why = (const char *)sqlite3_column_text(st, 0);
            fprintf(stderr,
                    "%s: error: no combination of the space is feasible: every value loads "
                    "alone, but no combination does; the first: %s\n",
                    app_prog, why ? why : "?");
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
        printf("plan: %zu combinations: %zu run now, %zu already done, %zu infeasible -> %s, "
               "%s\n\n",
               p.ncomb, ran, skipped, infeasible, p.db, csv);
        print_table(&p, rows, nrows);
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
    free(p.c.sets);
    return rc;
}
