/*
 * End-to-end tests of whole runs (src/sim/run.c and the observers of
 * src/report/), through the public API: load a scenario, run it into a
 * fresh folder, read back summary.json's values, timeseries.csv and
 * monthly.csv.
 *
 * What they pin down:
 *   - Sample independence: the facility is evaluated every `facility.step`
 *     on exact step energies, so every total of the summary (energies,
 *     cost, carbon, time over the cap) is the same for run.sample = 1 min
 *     and 1 h, and the time series integrates back to the totals.
 *   - A final partial interval: a duration that is a multiple of neither
 *     the sample nor the step gives a shorter last row and a partial last
 *     step, and nothing is lost.
 *   - Time-of-use pricing: a midnight-crossing period priced per step,
 *     recomputed here from the one-minute rows.
 *   - Allocation failures at every allocation of a whole run: SL_ENOMEM, no
 *     leak, no file left behind.
 *   - A golden summary (tests/golden/): every key of a small scenario's
 *     summary.json, numbers to a relative 1e-9.
 *
 * Tolerances.  Totals compared between runs use a relative 1e-9.  Sums over
 * the CSV files also allow for the files' printed resolution (0.1 W for
 * powers, so 0.05 W times the duration in energy), which is a rigorous
 * bound on the rounding; every such check also asserts that a plausible
 * bug (a row too many, a step priced at the wrong hour) would exceed it.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

#include "torture.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suanli/calendar.h"
#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

#define MWH_J 3.6e9
#define KWH_J 3.6e6

/* Printed resolution of the power columns of timeseries.csv: 0.1 W. */
#define HALF_ULP_W 0.05

static char tmpdir[] = "/tmp/sl_test_run_XXXXXX";

/* ---- Files and folders. ---- */

static const char *write_file(const char *name, const char *text)
{
    return test_write_file(tmpdir, name, text);
}

/* Creates the empty folder tmpdir/name and returns its path in buf. */
static const char *new_dir(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    if (mkdir(buf, 0777) != 0)
        fail_msg("cannot create %s", buf);
    return buf;
}

/* Number of entries of a folder other than . and .., hidden ones included
 * (the temporary files of sl_outfile start with a dot). */
static int count_entries(const char *dir, char *first, size_t size)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == 0 && first)
            snprintf(first, size, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* Number of entries of a folder whose names start with '.' (other than .
 * and ..): the work files of a run. */
static int hidden_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Returns the whole file (NUL-terminated); the caller frees it. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    assert_non_null(buf);
    buf[len] = '\0';
    return buf;
}

/* ---- Loading and running. ---- */

static void load_set(const char *text, const char *const *sets, size_t nsets,
                     struct sl_scenario_set *set)
{
    struct sl_load_opts o = {write_file("s.yaml", text), sets, nsets, NULL, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_scenario_load(&o, set, &d);
    if (rc != SL_OK) {
        char msg[1600];
        fail_msg("loading the scenario: %s", sl_diag_format(&d, msg, sizeof msg));
    }
}

static void load(const char *text, const char *const *sets, size_t nsets,
                 struct sl_scenario_set *set)
{
    load_set(text, sets, nsets, set);
    assert_int_equal(set->n, 1);
}

/* Runs sc into dir and fills s (initialised here). */
static void run(const struct sl_scenario *sc, const char *dir, struct sl_summary *s)
{
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    sl_summary_init(s);
    int rc = sl_run_scenario(sc, &ro, s, &d);
    if (rc != SL_OK)
        fail_msg("run into %s: %s: %s", dir, sl_strerror(rc), d.msg);
}

static double num(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        fail_msg("summary has no key '%s'", key);
    if (e->type == SL_V_INT)
        return (double)e->i;
    if (e->type != SL_V_NUM)
        fail_msg("summary key '%s' is not a number", key);
    return e->x;
}

static int64_t integer(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e || e->type != SL_V_INT)
        fail_msg("summary key '%s' is missing or not an integer", key);
    return e->i;
}

static int close_rel(double a, double b, double rel)
{
    double m = fmax(fabs(a), fabs(b));
    return fabs(a - b) <= rel * m;
}

/* ---- CSV files. ---- */

/* A CSV file split in place: cell(r, c) for data row r (0-based, the
 * header excluded) and column c. */
struct table {
    char *text;
    char **cells;
    size_t ncol, nrow;
};

static void table_read(struct table *t, const char *path)
{
    t->text = slurp(path);
    size_t lines = 0, commas = 0;
    for (const char *p = t->text; *p; p++) {
        lines += *p == '\n';
        commas += *p == ',';
    }
    t->cells = calloc(lines * 2 + commas + 2, sizeof *t->cells);
    assert_non_null(t->cells);
    t->ncol = 0;
    t->nrow = 0;
    size_t n = 0, row = 0, col = 0;
    char *p = t->text;
    while (*p) {
        t->cells[n++] = p;
        col++;
        p += strcspn(p, ",\n");
        char end = *p;
        if (*p)
            *p++ = '\0';
        if (end != ',') {
            if (row == 0)
                t->ncol = col;
            else if (col != t->ncol)
                fail_msg("%s: line %zu has %zu cells, the header %zu", path, row + 1, col, t->ncol);
            row++;
            col = 0;
        }
    }
    assert_true(row >= 1);
    t->nrow = row - 1;
}

static void table_free(struct table *t)
{
    free(t->cells);
    free(t->text);
}

static const char *cell(const struct table *t, size_t r, size_t c)
{
    return t->cells[(r + 1) * t->ncol + c];
}

static double cellnum(const struct table *t, size_t r, size_t c)
{
    char *end;
    double v = strtod(cell(t, r, c), &end);
    if (*end || end == cell(t, r, c))
        fail_msg("row %zu column %s: '%s' is not a number", r, t->cells[c], cell(t, r, c));
    return v;
}

/* Index of a column, failing when absent. */
static size_t column(const struct table *t, const char *name)
{
    for (size_t c = 0; c < t->ncol; c++)
        if (!strcmp(t->cells[c], name))
            return c;
    fail_msg("no column '%s'", name);
    return 0;
}

/* Checks timeseries.csv of a run of duration_s against its summary: the
 * rows start every sample_s (the last may be shorter), datetime is run.start
 * + time_s, and every power column integrates to its summary energy. */
static void check_series(const struct sl_scenario *sc, const char *dir, const struct sl_summary *s,
                         double sample_s)
{
    double dur = num(s, "sim_seconds");
    char path[600];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    struct table t;
    table_read(&t, path);
    size_t expect_rows = (size_t)ceil(dur / sample_s);
    assert_int_equal(t.nrow, expect_rows);
    assert_int_equal(integer(s, "timeseries.rows"), (int64_t)expect_rows);
    size_t c_time = column(&t, "time_s"), c_dt = column(&t, "datetime");
    size_t c_over = column(&t, "over_cap_s");
    double *len = calloc(t.nrow, sizeof *len);
    assert_non_null(len);
    double total = 0, over = 0;
    for (size_t r = 0; r < t.nrow; r++) {
        double t0 = cellnum(&t, r, c_time);
        assert_true(t0 == (double)r * sample_s);
        len[r] = fmin(sample_s, dur - t0);
        assert_true(len[r] > 0);
        total += len[r];
        char want[32];
        sl_format_datetime(sc->start_s + (int64_t)t0, want, sizeof want);
        if (strcmp(cell(&t, r, c_dt), want) != 0)
            fail_msg("row %zu (time_s %.0f): datetime %s, expected %s", r, t0, cell(&t, r, c_dt),
                     want);
        double o = cellnum(&t, r, c_over);
        assert_true(o >= 0 && o <= len[r] + 0.05);
        over += o;
    }
    assert_true(total == dur);
    /* The time over the cap is a sum of whole steps, printed to 0.1 s. */
    assert_true(fabs(over - num(s, "cap_exceeded_s")) <= 0.05 * (double)t.nrow);

    static const char *const pairs[][2] = {
        {"it_w", "energy_mwh.it"},
        {"facility_w", "energy_mwh.facility"},
        {"chain_loss_w", "energy_mwh.chain_loss"},
        {"cooling_w", "energy_mwh.cooling"},
        {"aux_w", "energy_mwh.aux"},
        {"silicon_w", "energy_mwh.silicon"},
    };
    size_t npairs = sizeof pairs / sizeof pairs[0];
    size_t nloss = 0;
    for (size_t c = 0; c < t.ncol + npairs; c++) {
        const char *col;
        char key[200];
        if (c < npairs) {
            col = pairs[c][0];
            snprintf(key, sizeof key, "%s", pairs[c][1]);
        } else {
            col = t.cells[c - npairs];
            size_t l = strlen(col);
            if (strncmp(col, "loss_", 5) != 0 || l < 8 || strcmp(col + l - 2, "_w") != 0)
                continue;
            snprintf(key, sizeof key, "chain_loss_mwh.%.*s", (int)(l - 7), col + 5);
            nloss++;
        }
        size_t ci = column(&t, col);
        double e = 0;
        for (size_t r = 0; r < t.nrow; r++)
            e += cellnum(&t, r, ci) * len[r];
        double want = num(s, key) * MWH_J;
        double tol = 1e-9 * fabs(want) + HALF_ULP_W * dur;
        if (!(fabs(e - want) <= tol))
            fail_msg("sample %.0f s: sum of %s x row length = %.6f MWh, summary %s = %.6f MWh "
                     "(off by %.3g J, tolerance %.3g J)",
                     sample_s, col, e / MWH_J, key, want / MWH_J, e - want, tol);
        /* A row too many or too few would be far outside the tolerance. */
        if (want > 0)
            assert_true(tol < want / (double)t.nrow);
    }
    assert_int_equal(nloss, 3); /* ac-2n-ups: transformer, ups, pdu */
    free(len);
    table_free(&t);
}

/* ---- 1. Sample independence. ---- */

static const char small_week[] = "name: sample-independence\n"
                                 "run: {duration: 7d, sample: 1min, start: 2025-07-01}\n"
                                 "site: {name: xinghua, grid_cap: 440 kW}\n"
                                 "fleet: {servers: 64}\n";

static void test_sample_independence(void **state)
{
    (void)state;
    static const char *const one_min[] = {"run.sample=1min"};
    static const char *const one_hour[] = {"run.sample=1h"};
    struct sl_scenario_set a, b;
    load(small_week, one_min, 1, &a);
    load(small_week, one_hour, 1, &b);
    char da[600], db[600];
    new_dir("sample-1min", da, sizeof da);
    new_dir("sample-1h", db, sizeof db);
    struct sl_summary sa, sb;
    run(&a.items[0], da, &sa);
    run(&b.items[0], db, &sb);

    assert_int_equal(integer(&sa, "timeseries.rows"), 10080);
    assert_int_equal(integer(&sb, "timeseries.rows"), 168);
    assert_int_equal(integer(&sa, "facility.steps"), 10080);
    double over = num(&sa, "cap_exceeded_s");
    if (!(over > 0 && over < 604800))
        fail_msg("the grid cap should be exceeded part of the time, cap_exceeded_s = %g", over);

    /* Every key but the time series' own is the same. */
    size_t compared = 0;
    for (size_t i = 0; i < sa.n; i++) {
        const struct sl_summary_entry *x = &sa.items[i];
        if (!strncmp(x->key, "timeseries.", 11))
            continue;
        const struct sl_summary_entry *y = sl_summary_get(&sb, x->key);
        if (!y || y->type != x->type)
            fail_msg("key '%s': missing or of another type with run.sample=1h", x->key);
        if (x->type == SL_V_INT && x->i != y->i)
            fail_msg("key '%s': %lld with 1 min samples, %lld with 1 h", x->key, (long long)x->i,
                     (long long)y->i);
        if (x->type == SL_V_NUM && !close_rel(x->x, y->x, 1e-9))
            fail_msg("key '%s': %.17g with 1 min samples, %.17g with 1 h", x->key, x->x, y->x);
        if (x->type == SL_V_STR && strcmp(x->s, y->s) != 0)
            fail_msg("key '%s': '%s' with 1 min samples, '%s' with 1 h", x->key, x->s, y->s);
        compared++;
    }
    assert_int_equal(sa.n, sb.n);
    assert_true(compared > 40);
    /* The ones the brief names, explicitly. */
    static const char *const keys[] = {"cap_exceeded_s",
                                       "cost_cny",
                                       "co2_t",
                                       "energy_mwh.it",
                                       "energy_mwh.chain_loss",
                                       "energy_mwh.cooling",
                                       "energy_mwh.aux",
                                       "energy_mwh.facility",
                                       "energy_mwh.silicon",
                                       "energy_mwh.it_conversion_loss"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_true(close_rel(num(&sa, keys[k]), num(&sb, keys[k]), 1e-9));

    check_series(&a.items[0], da, &sa, 60);
    check_series(&b.items[0], db, &sb, 3600);

    sl_summary_release(&sa);
    sl_summary_release(&sb);
    sl_scenario_set_release(&a);
    sl_scenario_set_release(&b);
}

/* ---- 2. A final partial interval. ---- */

static void test_partial_interval(void **state)
{
    (void)state;
    /* 3 h 10 min 30 s: 190 whole steps and one of 30 s; rows at 0, 1, 2 and
     * 3 h, the last one 630 s long. */
    static const char text[] = "name: partial\n"
                               "run: {duration: 11430s, sample: 1h, start: 2025-01-15T23:00}\n"
                               "site: {name: chengde}\n"
                               "fleet: {servers: 64}\n"
                               "facility: {step: 1min}\n";
    struct sl_scenario_set set;
    load(text, NULL, 0, &set);
    char dir[600];
    new_dir("partial", dir, sizeof dir);
    struct sl_summary s;
    run(&set.items[0], dir, &s);
    assert_true(num(&s, "sim_seconds") == 11430);
    assert_int_equal(integer(&s, "facility.steps"), 191);
    assert_int_equal(integer(&s, "timeseries.rows"), 4);
    check_series(&set.items[0], dir, &s, 3600);

    char path[700];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    struct table t;
    table_read(&t, path);
    static const char *const when[] = {"2025-01-15T23:00:00", "2025-01-16T00:00:00",
                                       "2025-01-16T01:00:00", "2025-01-16T02:00:00"};
    for (size_t r = 0; r < 4; r++) {
        assert_true(cellnum(&t, r, column(&t, "time_s")) == 3600.0 * (double)r);
        assert_string_equal(cell(&t, r, column(&t, "datetime")), when[r]);
    }
    table_free(&t);

    /* One calendar month, 3.175 h. */
    snprintf(path, sizeof path, "%s/monthly.csv", dir);
    table_read(&t, path);
    assert_int_equal(t.nrow, 1);
    assert_string_equal(cell(&t, 0, column(&t, "month")), "2025-01");
    assert_string_equal(cell(&t, 0, column(&t, "hours")), "3.175");
    table_free(&t);

    sl_summary_release(&s);
    sl_scenario_set_release(&set);
}

/* ---- 3. Time-of-use pricing. ---- */

/* Local time of day (s) of "YYYY-MM-DDTHH:MM:SS". */
static int64_t time_of_day(const char *iso)
{
    int hh = 0, mm = 0, ss = 0; /* fail_msg is not noreturn to clang */
    if (strlen(iso) != 19 || sscanf(iso + 11, "%2d:%2d:%2d", &hh, &mm, &ss) != 3)
        fail_msg("'%s' is not YYYY-MM-DDTHH:MM:SS", iso);
    return hh * 3600 + mm * 60 + ss;
}

static void test_time_of_use(void **state)
{
    (void)state;
    /* A constant load over two days from noon: the night period (22:00 to
     * 06:00, across midnight) is entered and left twice, and the run
     * spans two calendar months. */
    static const char text[] =
        "name: tou\n"
        "run: {duration: 2d, sample: 1min, start: 2025-07-31T12:00}\n"
        "site:\n"
        "  name: xinghua\n"
        "  price: 0.8 CNY/kWh\n"
        "  tou: [{from: 22h, to: 6h, price: 0.3 CNY/kWh}]\n"
        "fleet: {servers: 1280}\n"
        "facility: {step: 1min}\n"
        "workload: {synthetic: {shape: constant, noise: 0 %, change_interval: 3650d}}\n";
    struct sl_scenario_set set;
    load(text, NULL, 0, &set);
    char dir[600];
    new_dir("tou", dir, sizeof dir);
    struct sl_summary s;
    run(&set.items[0], dir, &s);
    /* The load never changes: IT power is constant. */
    assert_true(num(&s, "power_mw.it_peak") == num(&s, "power_mw.it_min"));

    char path[700];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    struct table t;
    table_read(&t, path);
    assert_int_equal(t.nrow, 2880);
    size_t c_dt = column(&t, "datetime"), c_f = column(&t, "facility_w");
    double cost = 0, night_kwh = 0, day_kwh = 0, bound = 0;
    double july_cost = 0, july_bound = 0;
    for (size_t r = 0; r < t.nrow; r++) {
        /* The period of a step is that of its midpoint. */
        int64_t mid = time_of_day(cell(&t, r, c_dt)) + 30;
        int night = mid >= 22 * 3600 || mid < 6 * 3600;
        double price = night ? 0.3 : 0.8;
        double kwh = cellnum(&t, r, c_f) * 60 / KWH_J;
        if (night)
            night_kwh += kwh;
        else
            day_kwh += kwh;
        cost += kwh * price;
        bound += HALF_ULP_W * 60 / KWH_J * price;
        if (!strncmp(cell(&t, r, c_dt), "2025-07", 7)) {
            july_cost += kwh * price;
            july_bound += HALF_ULP_W * 60 / KWH_J * price;
        }
    }
    table_free(&t);
    /* 16 night hours of 48. */
    assert_true(night_kwh > 0.3 * (night_kwh + day_kwh));
    assert_true(night_kwh < 0.37 * (night_kwh + day_kwh));
    double got = num(&s, "cost_cny");
    double tol = 1e-9 * got + bound;
    if (!(fabs(got - cost) <= tol))
        fail_msg("cost_cny %.6f, sum over the rows %.6f (tolerance %.3g)", got, cost, tol);
    printf("cost_cny %.6f, from the rows %.6f: relative difference %.2g (tolerance %.2g)\n", got,
           cost, fabs(got - cost) / got, tol / got);
    /* Pricing one minute at the wrong price would be far outside it. */
    assert_true(0.5 * (day_kwh + night_kwh) / 2880 > 100 * tol);
    /* And the flat price would be wrong. */
    assert_true(fabs(0.8 * (day_kwh + night_kwh) - got) > 1000 * tol);

    /* monthly.csv: July 31 12:00 to 24:00, then August; cost printed to 1
     * CNY. */
    snprintf(path, sizeof path, "%s/monthly.csv", dir);
    table_read(&t, path);
    assert_int_equal(t.nrow, 2);
    assert_string_equal(cell(&t, 0, 0), "2025-07");
    assert_string_equal(cell(&t, 1, 0), "2025-08");
    size_t c_cost = column(&t, "cost_cny");
    double msum = cellnum(&t, 0, c_cost) + cellnum(&t, 1, c_cost);
    assert_true(fabs(msum - got) <= 0.5 * 2 + 1e-9 * got);
    assert_true(fabs(cellnum(&t, 0, c_cost) - july_cost) <= 0.5 + july_bound + 1e-9 * july_cost);
    assert_true(cellnum(&t, 0, column(&t, "hours")) == 12);
    assert_true(cellnum(&t, 1, column(&t, "hours")) == 36);
    table_free(&t);

    sl_summary_release(&s);
    sl_scenario_set_release(&set);
}

/* ---- 4. Allocation failures over a whole run. ---- */

static void test_run_torture(void **state)
{
    (void)state;
    static const char text[] = "name: torture\n"
                               "run: {duration: 1h, sample: 10min}\n"
                               "fleet: {servers: 4, servers_per_rack: 2}\n";
    struct sl_scenario_set set;
    load(text, NULL, 0, &set);
    int done = 0;
    long k;
    for (k = 0; !done && k < 1000000; k++) {
        char dir[600], name[32];
        snprintf(name, sizeof name, "torture-%ld", k);
        new_dir(name, dir, sizeof dir);
        struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
        struct sl_diag d;
        sl_diag_clear(&d);
        struct sl_summary s;
        struct torture t = {k, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        sl_summary_init(&s);
        int rc = sl_run_scenario(&set.items[0], &ro, &s, &d);
        sl_summary_release(&s);
        sl_alloc_set_hook(NULL, NULL);
        if (rc == SL_OK) {
            done = 1;
            assert_true(t.calls <= k);
            assert_int_equal(count_entries(dir, NULL, 0), 4);
        } else {
            char first[256];
            if (rc != SL_ENOMEM)
                fail_msg("allocation %ld failed: the run returned %s (%s), not ENOMEM", k,
                         sl_strerror(rc), d.msg);
            int left = count_entries(dir, first, sizeof first);
            if (left != 0)
                fail_msg("allocation %ld failed: %d file(s) left in the output folder, e.g. %s", k,
                         left, first);
        }
        if (t.live != 0)
            fail_msg("allocation %ld failed: %ld block(s) leaked", k, t.live);
        rmdir(dir);
    }
    assert_true(done);
    assert_true(k > 10);
    printf("allocation failures injected at each of %ld allocations of the run\n", k - 1);
    sl_scenario_set_release(&set);
}

/* A set failing at any allocation leaves its folder holding the previous
 * complete output, nothing beside it (no lock, no build folder), and
 * leaks nothing. */
static void test_set_torture(void **state)
{
    (void)state;
    static const char text[] = "name: torture-set\n"
                               "run: {duration: 1h, sample: 10min}\n"
                               "fleet: {servers: 4, servers_per_rack: 2}\n"
                               "variants:\n"
                               "  - {name: a}\n"
                               "  - {name: b, set: {run.seed: 2}}\n";
    struct sl_scenario_set set;
    load_set(text, NULL, 0, &set);
    char parent[600], dir[700], cmp[720];
    new_dir("set-torture", parent, sizeof parent);
    snprintf(dir, sizeof dir, "%s/out", parent);
    snprintf(cmp, sizeof cmp, "%s/comparison.csv", dir);
    struct sl_summary s[2];
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    sl_summary_init(&s[0]);
    sl_summary_init(&s[1]);
    assert_int_equal(sl_run_set(&set, &ro, s, &d), SL_OK);
    sl_summary_release(&s[0]);
    sl_summary_release(&s[1]);
    char *previous = slurp(cmp);
    int done = 0;
    long k;
    for (k = 0; !done && k < 1000000; k++) {
        sl_diag_clear(&d);
        struct torture t = {k, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        sl_summary_init(&s[0]);
        sl_summary_init(&s[1]);
        int rc = sl_run_set(&set, &ro, s, &d);
        sl_summary_release(&s[0]);
        sl_summary_release(&s[1]);
        sl_alloc_set_hook(NULL, NULL);
        if (rc == SL_OK)
            done = 1;
        else if (rc != SL_ENOMEM)
            fail_msg("allocation %ld failed: the set returned %s (%s), not ENOMEM", k,
                     sl_strerror(rc), d.msg);
        char *now = slurp(cmp);
        assert_string_equal(now, previous); /* the same seeds: the same bytes */
        free(now);
        assert_int_equal(count_entries(dir, NULL, 0), 3); /* a, b, comparison.csv */
        if (count_entries(parent, NULL, 0) != 1)
            fail_msg("allocation %ld failed: work files left beside the output folder", k);
        if (t.live != 0)
            fail_msg("allocation %ld failed: %ld block(s) leaked", k, t.live);
    }
    assert_true(done);
    assert_true(k > 10);
    free(previous);
    sl_scenario_set_release(&set);
}

/* ---- 5. The golden summary. ---- */

/* A value of the golden file, flattened: key "a.b.c", kind 's' (text
 * unescaped), 'n' (number text) or 'z' (null). */
struct golden_entry {
    char key[256];
    char kind;
    char *text;
};

struct golden {
    struct golden_entry *items;
    size_t n, cap;
    const char *p; /* parse position */
};

static void skip_ws(struct golden *g)
{
    while (*g->p == ' ' || *g->p == '\n' || *g->p == '\t' || *g->p == '\r')
        g->p++;
}

/* Reads a JSON string at g->p into a new buffer (escapes resolved, \u
 * limited to ASCII). */
static char *json_string(struct golden *g)
{
    assert_int_equal(*g->p, '"');
    g->p++;
    char *out = malloc(strlen(g->p) + 1), *o = out;
    assert_non_null(out);
    while (*g->p && *g->p != '"') {
        char c = *g->p++;
        if (c == '\\') {
            c = *g->p++;
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                unsigned v = 0;
                assert_int_equal(sscanf(g->p, "%4x", &v), 1);
                g->p += 4;
                c = (char)v;
                break;
            }
            default:
                break; /* \" \\ \/ */
            }
        }
        *o++ = c;
    }
    assert_int_equal(*g->p, '"');
    g->p++;
    *o = '\0';
    return out;
}

static void json_value(struct golden *g, const char *prefix);

static void json_object(struct golden *g, const char *prefix)
{
    assert_int_equal(*g->p, '{');
    g->p++;
    skip_ws(g);
    while (*g->p != '}') {
        char *name = json_string(g);
        char key[256];
        if (prefix[0])
            snprintf(key, sizeof key, "%s.%s", prefix, name);
        else
            snprintf(key, sizeof key, "%s", name);
        free(name);
        skip_ws(g);
        assert_int_equal(*g->p, ':');
        g->p++;
        skip_ws(g);
        json_value(g, key);
        skip_ws(g);
        if (*g->p == ',') {
            g->p++;
            skip_ws(g);
        } else {
            assert_int_equal(*g->p, '}');
        }
    }
    g->p++;
}

static void json_value(struct golden *g, const char *key)
{
    if (*g->p == '{') {
        json_object(g, key);
        return;
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->items = realloc(g->items, g->cap * sizeof *g->items);
        assert_non_null(g->items);
    }
    struct golden_entry *e = &g->items[g->n++];
    snprintf(e->key, sizeof e->key, "%s", key);
    if (*g->p == '"') {
        e->kind = 's';
        e->text = json_string(g);
    } else if (!strncmp(g->p, "null", 4)) {
        e->kind = 'z';
        e->text = NULL;
        g->p += 4;
    } else {
        size_t len = strspn(g->p, "-+.0123456789eE");
        if (len == 0)
            fail_msg("golden file: bad value for key '%s' at '%.20s'", key, g->p);
        e->kind = 'n';
        e->text = strndup(g->p, len);
        assert_non_null(e->text);
        g->p += len;
    }
}

static void golden_free(struct golden *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->items[i].text);
    free(g->items);
}

#define GOLDEN_HINT                                                                                \
    "; if the change is intended, run scripts/update-golden.sh and explain the diff in the "       \
    "commit message"

/* Compares one golden entry with the run's entry of the same key. */
static void golden_compare(const struct golden_entry *g, const struct sl_summary_entry *e)
{
    char *end;
    switch (e->type) {
    case SL_V_STR:
        if (g->kind != 's' || strcmp(g->text, e->s) != 0)
            fail_msg("summary key '%s': golden %s, run \"%s\"" GOLDEN_HINT, g->key,
                     g->text ? g->text : "null", e->s);
        break;
    case SL_V_INT: {
        long long v = g->kind == 'n' ? strtoll(g->text, &end, 10) : 0;
        if (g->kind != 'n' || *end || v != e->i)
            fail_msg("summary key '%s': golden %s, run %lld" GOLDEN_HINT, g->key,
                     g->text ? g->text : "null", (long long)e->i);
        break;
    }
    case SL_V_NUM: {
        double v = g->kind == 'n' ? strtod(g->text, &end) : NAN;
        if (g->kind != 'n' || *end || !(fabs(v - e->x) <= 1e-9 * fmax(fabs(v), fabs(e->x))))
            fail_msg("summary key '%s': golden %s, run %.12g (relative tolerance 1e-9)" GOLDEN_HINT,
                     g->key, g->text ? g->text : "null", e->x);
        break;
    }
    case SL_V_NULL:
        if (g->kind != 'z')
            fail_msg("summary key '%s': golden %s, run null" GOLDEN_HINT, g->key, g->text);
        break;
    }
}

static void test_golden_summary(void **state)
{
    (void)state;
    const char *yaml = SL_SOURCE_DIR "/tests/golden/small.yaml";
    const char *expected = SL_SOURCE_DIR "/tests/golden/small-summary.json";
    struct sl_load_opts o = {yaml, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &set, &d) != SL_OK) {
        char msg[1600];
        fail_msg("%s", sl_diag_format(&d, msg, sizeof msg));
    }
    assert_int_equal(set.n, 1);
    assert_false(set.has_variants);
    char dir[600];
    new_dir("golden", dir, sizeof dir);
    struct sl_summary s;
    run(&set.items[0], dir, &s);

    struct golden g = {0};
    char *text = slurp(expected);
    g.p = text;
    skip_ws(&g);
    json_object(&g, "");
    free(text);

    /* Key by key, in file order: summary.json groups keys by their dotted
     * prefix (sl_summary_write_json), so a key added late to a group (the
     * sim layer's derived fleet.* keys) sits inside it in the file but at
     * the end of the run's list; hence each golden key is looked up, and
     * every key of the run must be in the golden file.  The version of the
     * library that wrote the golden file is not a result and is only
     * checked to be there. */
    size_t ng = 0;
    for (size_t i = 0; i < g.n; i++) {
        if (!strcmp(g.items[i].key, "suanli_version"))
            continue;
        ng++;
        const struct sl_summary_entry *e = sl_summary_get(&s, g.items[i].key);
        if (!e)
            fail_msg("summary key '%s' (golden %s) is missing from the run" GOLDEN_HINT,
                     g.items[i].key, g.items[i].text ? g.items[i].text : "null");
        golden_compare(&g.items[i], e);
    }
    size_t ns = 0;
    for (size_t j = 0; j < s.n; j++) {
        if (!strcmp(s.items[j].key, "suanli_version")) {
            assert_int_equal(s.items[j].type, SL_V_STR);
            continue;
        }
        ns++;
        int found = 0;
        for (size_t i = 0; i < g.n && !found; i++)
            found = !strcmp(g.items[i].key, s.items[j].key);
        if (!found)
            fail_msg("summary key '%s' is new: not in the golden file" GOLDEN_HINT, s.items[j].key);
    }
    assert_int_equal(ns, ng);
    assert_true(g.n > 50);
    golden_free(&g);
    sl_summary_release(&s);
    sl_scenario_set_release(&set);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

/* ---- Sets of variants on threads. ---- */

/* The progress callback of a set: calls are serialised (the test would see
 * a torn update of `inside` otherwise), every variant reaches 1.0 exactly
 * once, at the end, and its fractions never go back. */
struct progress_log {
    int inside;
    int overlapped;
    double last[4];
    int finished[4];
    int calls;
};

static void log_progress(void *ctx, size_t index, double done, uint64_t events)
{
    struct progress_log *p = ctx;
    if (p->inside++)
        p->overlapped = 1;
    assert_true(index < 4);
    assert_true(done >= p->last[index] && done <= 1.0);
    assert_true(events > 0);
    p->last[index] = done;
    if (done == 1.0)
        p->finished[index]++;
    p->calls++;
    p->inside--;
}

static void test_set_threads(void **state)
{
    (void)state;
    const char *text = "name: threads\n"
                       "run: {duration: 2d, sample: 1h}\n"
                       "fleet: {servers: 32, servers_per_rack: 8}\n"
                       "workload: {synthetic: {change_interval: 1min}}\n"
                       "variants:\n"
                       "  - {name: a, set: {run.seed: 1}}\n"
                       "  - {name: b, set: {run.seed: 2}}\n"
                       "  - {name: c, set: {facility.cooling: liquid-cold-plate}}\n"
                       "  - {name: d, set: {fleet.servers_per_rack: 16}}\n";
    struct sl_scenario_set set;
    load_set(text, NULL, 0, &set);
    assert_int_equal(set.n, 4);
    char one[512], two[512];
    new_dir("threads-1", one, sizeof one);
    new_dir("threads-3", two, sizeof two);
    struct sl_summary s1[4], s3[4];
    for (int i = 0; i < 4; i++) {
        sl_summary_init(&s1[i]);
        sl_summary_init(&s3[i]);
    }
    struct progress_log log;
    memset(&log, 0, sizeof log);
    struct sl_run_opts o1 = {one, log_progress, &log, 1, NULL};
    struct sl_run_opts o3 = {two, log_progress, &log, 3, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_run_set(&set, &o1, s1, &d), SL_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(log.finished[i], 1);
    memset(&log, 0, sizeof log);
    assert_int_equal(sl_run_set(&set, &o3, s3, &d), SL_OK);
    assert_false(log.overlapped);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log.finished[i], 1);
        assert_true(log.last[i] == 1.0);
    }
    /* The same summaries and files, whatever the number of threads. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s1[i].n, s3[i].n);
        for (size_t k = 0; k < s1[i].n; k++) {
            const struct sl_summary_entry *a = &s1[i].items[k], *b = &s3[i].items[k];
            assert_string_equal(a->key, b->key);
            assert_true(a->type == b->type && a->i == b->i);
            assert_true(a->type != SL_V_NUM || a->x == b->x);
        }
        const char *v = set.items[i].variant;
        char pa[600], pb[600];
        snprintf(pa, sizeof pa, "%s/%s/timeseries.csv", one, v);
        snprintf(pb, sizeof pb, "%s/%s/timeseries.csv", two, v);
        char *fa = slurp(pa), *fb = slurp(pb);
        assert_string_equal(fa, fb);
        free(fa);
        free(fb);
    }
    char pa[600];
    snprintf(pa, sizeof pa, "%s/comparison.csv", two);
    char *cmp = slurp(pa);
    assert_non_null(strstr(cmp, "\nd,"));
    free(cmp);
    for (int i = 0; i < 4; i++) {
        sl_summary_release(&s1[i]);
        sl_summary_release(&s3[i]);
    }

    /* A target holding files a run does not write is refused before
     * anything runs, and left as it was (a run replaces its folder whole). */
    char bad[512];
    new_dir("threads-bad", bad, sizeof bad);
    char blocker[600];
    snprintf(blocker, sizeof blocker, "%s/c", bad);
    FILE *f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);
    struct sl_summary sb[4];
    for (int i = 0; i < 4; i++)
        sl_summary_init(&sb[i]);
    struct sl_run_opts ob = {bad, NULL, NULL, 2, NULL};
    sl_diag_clear(&d);
    assert_int_equal(sl_run_set(&set, &ob, sb, &d), SL_EUSAGE);
    assert_non_null(strstr(d.msg, "not a suanli output"));
    assert_int_equal(count_entries(bad, NULL, 0), 1);
    assert_int_equal(access(blocker, F_OK), 0);
    for (int i = 0; i < 4; i++) {
        sl_summary_release(&sb[i]);
        sl_summary_init(&sb[i]);
    }

    /* A stopped set fails as interrupted and leaves the previous complete
     * output (of the first run into `one`) exactly as it was, and nothing
     * beside it. */
    char before[600];
    snprintf(before, sizeof before, "%s/comparison.csv", one);
    char *cmp_before = slurp(before);
    volatile sig_atomic_t stop = 1;
    struct sl_run_opts os = {one, NULL, NULL, 2, &stop};
    sl_diag_clear(&d);
    assert_int_equal(sl_run_set(&set, &os, sb, &d), SL_ESTATE);
    assert_non_null(strstr(d.msg, "interrupted"));
    char *cmp_after = slurp(before);
    assert_string_equal(cmp_before, cmp_after);
    free(cmp_before);
    free(cmp_after);
    assert_int_equal(count_entries(one, NULL, 0), 5); /* a, b, c, d, comparison.csv */
    assert_int_equal(hidden_entries(tmpdir), 0);      /* no lock, no build folder */

    /* A folder another run holds (its lock taken here) is refused, as is. */
    char lock[600];
    snprintf(lock, sizeof lock, "%s/.threads-1.suanli-lock", tmpdir);
    int fd = open(lock, O_RDWR | O_CREAT, 0666);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    struct sl_run_opts ol = {one, NULL, NULL, 2, NULL};
    sl_diag_clear(&d);
    assert_int_equal(sl_run_set(&set, &ol, sb, &d), SL_EBUSY);
    assert_non_null(strstr(d.msg, "another run is writing to"));
    assert_int_equal(count_entries(one, NULL, 0), 5);
    assert_int_equal(hidden_entries(tmpdir), 1); /* only the lock */
    unlink(lock);
    close(fd);
    for (int i = 0; i < 4; i++)
        sl_summary_release(&sb[i]);
    sl_scenario_set_release(&set);
}

/* A run whose last file cannot be moved into place (a folder of the same
 * name is in the way) takes back the files it had already moved: sim.h
 * promises that a failed run leaves no file. */
static void test_run_no_partial_commit(void **state)
{
    (void)state;
    struct sl_scenario_set set;
    load(small_week, NULL, 0, &set);
    /* Each output in turn, so that some are moved before the failure
     * whatever order the folder lists them in. */
    static const char *const names[] = {"scenario.yaml", "summary.json", "timeseries.csv",
                                        "monthly.csv"};
    for (size_t k = 0; k < 4; k++) {
        char dir[600], in_way[700], sub[64];
        snprintf(sub, sizeof sub, "no-partial-%zu", k);
        new_dir(sub, dir, sizeof dir);
        snprintf(in_way, sizeof in_way, "%s/%s", dir, names[k]);
        assert_int_equal(mkdir(in_way, 0777), 0);
        snprintf(in_way, sizeof in_way, "%s/%s/keep", dir, names[k]);
        FILE *f = fopen(in_way, "w");
        assert_non_null(f);
        fclose(f);
        struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
        struct sl_diag d;
        sl_diag_clear(&d);
        struct sl_summary s;
        sl_summary_init(&s);
        assert_int_equal(sl_run_scenario(&set.items[0], &ro, &s, &d), SL_EIO);
        sl_summary_release(&s);
        char first[256];
        if (count_entries(dir, first, sizeof first) != 1)
            fail_msg("a failed run left files, e.g. %s", first);
        assert_string_equal(first, names[k]);
        assert_int_equal(access(in_way, F_OK), 0);
    }
    sl_scenario_set_release(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_independence),
        cmocka_unit_test(test_partial_interval),
        cmocka_unit_test(test_time_of_use),
        cmocka_unit_test_teardown(test_run_torture, restore_hook),
        cmocka_unit_test_teardown(test_set_torture, restore_hook),
        cmocka_unit_test(test_golden_summary),
        cmocka_unit_test(test_set_threads),
        cmocka_unit_test(test_run_no_partial_commit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
