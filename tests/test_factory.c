/*
 * Tests for the factory line (src/factory/factory.c, the `factory` and
 * `burnin` keys of src/config/scenario_factory.c).
 *
 * The default line: the built-in scenario's line makes 100,000 +- 5 %
 * servers a year (DESIGN.md), its bottleneck is card-install (the 5-min
 * station), and Little's law holds within 2 %.
 *
 * Little's law on a rough line: exponential and gamma cycle times,
 * breakdowns, rework, shifts with breaks on five days a week and a small
 * burn-in area.  The model keeps the time-average WIP as the integral of
 * the servers on the line over the window, independently of the cycle
 * times; it must be within 2 % of throughput x mean cycle time (computed
 * here from the shipped count and the mean cycle time).
 *
 * The bottleneck follows the station whose cycle time is raised: on a
 * small line paced by `assemble`, raising `test` to 45 min (8 stands,
 * 10.7/h) or `pack` to 6 min (10/h) makes it the bottleneck, and the
 * throughput falls to that station's capacity.
 *
 * Shifts: a one-station line of 6 min working one 8-h shift on 5 days a
 * week makes 400 servers a week (57.1 a day) within 1 %.
 *
 * Burn-in: with a 5 % fallout, the share of burn-ins that fail is 5 % to
 * within 4 standard deviations; the area's mean power is its mean
 * occupancy times one server's power; its occupancy is about the burn-in
 * throughput times 72 h (Little's law at the area).
 *
 * Determinism: the same seed gives the same bytes of factory.json and
 * factory_daily.csv; another seed other bytes.
 *
 * Rollout from an empty hall (64 servers in racks of 8, 16 shipped a day,
 * 1 d in transit, one crew taking 4 h a rack, 4 days): the servers in
 * service and the IT power grow over the run (the column never falls; the
 * last hour's IT power is more than 3 times the first rack's), the hall
 * draws almost nothing before the first rack, and the final count is
 * rate x (T - transit - install) rounded down to whole racks (40).  Fed
 * from the factory model, the servers shipped in 10 days are its daily
 * output times 10 (274 a day, within 5 %).
 *
 * Bad inputs: a station with no cycle time, a negative time, a yield of 0
 * or above 1, zero machines, a burn-in longer than the factory run, an
 * unknown key (with its did-you-mean), a second burn-in area: SL_EINVAL at
 * the key's file:line:col.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suanli/diag.h"
#include "suanli/factory.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

static char tmpdir[] = "/tmp/suanli-factory-XXXXXX";
static int nfiles;

static int load(const char *text, const char *const *sets, size_t nsets,
                struct sl_scenario_set *set, struct sl_diag *d)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.yaml", nfiles++);
    struct sl_load_opts o = {text ? test_write_file(tmpdir, name, text) : NULL, sets, nsets, NULL,
                             NULL};
    sl_diag_clear(d);
    return sl_scenario_load(&o, set, d);
}

/* The scenario of the last run: the result's station names borrow from
 * it, so it lives until the next run (and teardown). */
static struct sl_scenario_set last;
static int have_last;

/* Loads text (NULL: the built-in default) with sets and runs its factory. */
static void run(const char *text, const char *const *sets, size_t nsets,
                struct sl_factory_result *r)
{
    struct sl_diag d;
    if (have_last)
        sl_scenario_set_release(&last);
    have_last = 0;
    if (load(text, sets, nsets, &last, &d) != SL_OK)
        fail_msg("loading: %s", d.msg);
    have_last = 1;
    if (sl_factory_run(&last.items[0], NULL, r, &d) != SL_OK)
        fail_msg("factory run: %s", d.msg);
}

static size_t station(const struct sl_factory_result *r, const char *name)
{
    for (size_t i = 0; i < r->nstations; i++)
        if (strcmp(r->stations[i].name, name) == 0)
            return i;
    fail_msg("no station '%s'", name);
    return 0;
}

/* |WIP - throughput x mean cycle time| / WIP, from the result's parts. */
static double little_error(const struct sl_factory_result *r)
{
    double l = (double)r->shipped / r->window_s * r->ct_mean_s;
    return fabs(r->wip_mean - l) / r->wip_mean;
}

static void test_default_line(void **state)
{
    (void)state;
    struct sl_factory_result r;
    run(NULL, NULL, 0, &r);
    print_message("default line: %.0f servers/year, WIP %.1f, cycle time %.2f h, "
                  "Little error %.4f %%, bottleneck %s, burn-in %.1f slots %.0f kW\n",
                  r.per_year, r.wip_mean, r.ct_mean_s / 3600, little_error(&r) * 100,
                  r.stations[r.bottleneck].name, r.burnin_mean, r.burnin_kw_mean);
    assert_true(fabs(r.per_year - 100000.0) <= 5000.0);
    assert_string_equal(r.stations[r.bottleneck].name, "card-install");
    assert_true(little_error(&r) < 0.02);
    /* Every server spends 72 h in burn-in at least. */
    assert_true(r.ct_p50_s > 72 * 3600.0);
    assert_true(r.burnin_failures > 0);
    assert_int_equal(r.ndays, 365);
    sl_factory_result_release(&r);
}

static const char rough_line[] =
    "name: rough\n"
    "burnin: {duration: 24h, slots: 400, fallout: 10 %, repair: 6h}\n"
    "factory:\n"
    "  duration: 120d\n"
    "  warmup: 5d\n"
    "  shifts: {per_day: 2, length: 10h, break: 30min, days: 5}\n"
    "  stations:\n"
    "    - {name: a, cycle: 4min, dist: exponential, mtbf: 8h, mttr: 40min, buffer: 3}\n"
    "    - {name: b, cycle: 9min, dist: gamma, cv: 0.8, machines: 2, yield: 90 %, rework: 2h}\n"
    "    - {name: c, cycle: 60min, dist: exponential, machines: 12, staffed: false, buffer: 0}\n"
    "    - {name: burn, kind: burnin}\n"
    "    - {name: d, cycle: 3min, dist: lognormal, cv: 0.5, buffer: 2, mtbf: 20h, mttr: 2h}\n";

static void test_little_rough(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 3; seed++) {
        char s[32];
        snprintf(s, sizeof s, "run.seed=%d", seed);
        const char *sets[] = {s};
        struct sl_factory_result r;
        run(rough_line, sets, 1, &r);
        print_message("rough line seed %d: %llu shipped, WIP %.2f, throughput x cycle time %.2f, "
                      "error %.3f %%\n",
                      seed, (unsigned long long)r.shipped, r.wip_mean,
                      (double)r.shipped / r.window_s * r.ct_mean_s, little_error(&r) * 100);
        assert_true(r.shipped > 1000);
        assert_true(little_error(&r) < 0.02);
        /* The rough parts happened: breakdowns, rework, burn-in restarts. */
        assert_true(r.stations[0].down > 0);
        assert_true(r.stations[1].failed > 0);
        assert_true(r.burnin_failures > 0);
        sl_factory_result_release(&r);
    }
}

static const char small_line[] = "name: small\n"
                                 "factory:\n"
                                 "  duration: 60d\n"
                                 "  warmup: 5d\n"
                                 "  shifts: {per_day: 3, length: 8h, break: 0s, days: 7}\n"
                                 "  stations:\n"
                                 "    - {name: assemble, cycle: 5min, dist: lognormal, cv: 0.1}\n"
                                 "    - {name: test, cycle: 30min, machines: 8, staffed: false}\n"
                                 "    - {name: burn, kind: burnin}\n"
                                 "    - {name: pack, cycle: 4min}\n";

static void test_bottleneck_moves(void **state)
{
    (void)state;
    struct sl_factory_result r;
    run(small_line, NULL, 0, &r);
    assert_string_equal(r.stations[r.bottleneck].name, "assemble");
    assert_true(fabs(r.per_day - 288.0) < 288.0 * 0.02); /* 12/h */
    sl_factory_result_release(&r);

    const char *slow_test[] = {"factory.stations.1.cycle=45min"};
    run(small_line, slow_test, 1, &r);
    assert_string_equal(r.stations[r.bottleneck].name, "test");
    assert_true(fabs(r.per_day - 24 * 8 / 0.75) < 256 * 0.02); /* 10.67/h */
    assert_true(r.stations[station(&r, "assemble")].blocked > 0.05);
    sl_factory_result_release(&r);

    const char *slow_pack[] = {"factory.stations.3.cycle=6min"};
    run(small_line, slow_pack, 1, &r);
    assert_string_equal(r.stations[r.bottleneck].name, "pack");
    assert_true(fabs(r.per_day - 240.0) < 240.0 * 0.02); /* 10/h */
    sl_factory_result_release(&r);
}

static void test_shifts(void **state)
{
    (void)state;
    struct sl_factory_result r;
    run("name: shifts\n"
        "burnin: {duration: 1h}\n"
        "factory:\n"
        "  duration: 140d\n"
        "  warmup: 0s\n"
        "  shifts: {per_day: 1, length: 8h, break: 0s, days: 5}\n"
        "  stations:\n"
        "    - {name: only, cycle: 6min}\n",
        NULL, 0, &r);
    assert_true(fabs(r.per_day - 400.0 / 7) < 400.0 / 7 * 0.01);
    sl_factory_result_release(&r);
}

static void test_burnin(void **state)
{
    (void)state;
    const char *sets[] = {"burnin.fallout=5 %"};
    struct sl_factory_result r;
    run(small_line, sets, 1, &r);
    double n = (double)(r.burnin_failures + r.burnin_passed);
    double share = (double)r.burnin_failures / n;
    double sd = sqrt(0.05 * 0.95 / n);
    print_message("burn-in: %llu failed of %.0f (%.2f %%), occupancy %.1f, %.0f kW\n",
                  (unsigned long long)r.burnin_failures, n, share * 100, r.burnin_mean,
                  r.burnin_kw_mean);
    assert_true(fabs(share - 0.05) < 4 * sd);
    assert_close(r.burnin_kw_mean, r.burnin_mean * r.burnin_server_w * 1e-3, 1e-12);
    /* Little at the area: passes x 72 h plus the failed tries (on average
     * about half of 72 h each under a nearly constant hazard). */
    double expect =
        ((double)r.burnin_passed * 72 * 3600 + (double)r.burnin_failures * 36 * 3600) / r.window_s;
    assert_true(fabs(r.burnin_mean - expect) < 0.03 * expect);
    /* A server's power at full load is the t1008's: about 5.4 kW. */
    assert_true(r.burnin_server_w > 4500 && r.burnin_server_w < 6500);
    sl_factory_result_release(&r);
}

/* factory.json and factory_daily.csv bytes of a run with the given seed. */
static char *output_bytes(int seed, size_t *len)
{
    char s[32];
    snprintf(s, sizeof s, "run.seed=%d", seed);
    const char *sets[] = {s};
    struct sl_factory_result r;
    run(rough_line, sets, 1, &r);
    struct sl_summary sum;
    sl_summary_init(&sum);
    assert_int_equal(sl_factory_summary(&r, &sum), SL_OK);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    sl_summary_write_json(&sum, f);
    sl_factory_write_daily(&r, f);
    fclose(f);
    sl_summary_release(&sum);
    sl_factory_result_release(&r);
    return buf;
}

static void test_determinism(void **state)
{
    (void)state;
    size_t n1, n2, n3;
    char *a = output_bytes(7, &n1), *b = output_bytes(7, &n2), *c = output_bytes(8, &n3);
    assert_true(n1 > 1000);
    assert_true(n1 == n2 && memcmp(a, b, n1) == 0);
    assert_false(n1 == n3 && memcmp(a, c, n1) == 0);
    free(a);
    free(b);
    free(c);
}

/* Runs text with sl_run_scenario into a fresh folder; fills sum. */
static void run_site(const char *text, struct sl_summary *sum, char *dir, size_t size)
{
    struct sl_scenario_set set;
    struct sl_diag d;
    if (load(text, NULL, 0, &set, &d) != SL_OK)
        fail_msg("loading: %s", d.msg);
    snprintf(dir, size, "%s/run%d", tmpdir, nfiles++);
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    sl_summary_init(sum);
    if (sl_run_set(&set, &ro, sum, &d) != SL_OK)
        fail_msg("run: %s", d.msg);
    sl_scenario_set_release(&set);
}

static double sum_num(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        fail_msg("no key %s", key);
    return e->type == SL_V_INT ? (double)e->i : e->x;
}

/* Column c of a time-series line (0-based), or NAN. */
static double ts_col(const char *line, int c)
{
    const char *p = line;
    for (int k = 0; k < c && p; k++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return p ? atof(p) : NAN;
}

static void test_rollout_serves_only_installed(void **state)
{
    (void)state;
    struct sl_summary sum;
    char dir[600];
    /* An inference service on a hall that is empty for the first day and
     * more: its replicas are out of the router until their rack is in (a
     * service that started before its servers arrived once served the
     * whole day from none). */
    run_site(
        "name: ro3\n"
        "run: {duration: 3d, sample: 1h}\n"
        "fleet: {servers: 16, servers_per_rack: 8, fabric: {kind: none}}\n"
        "workload:\n"
        "  inference:\n"
        "    - {name: chat, model: qwen2.5-7b, tp: 1, replicas: 128, weights: int8, kv: int8,\n"
        "       fidelity: flow, requests: {rate: 5/s, prompt_tokens: \"lognormal(6.6, 0.9)\",\n"
        "       output_tokens: \"lognormal(5.0, 0.8, max=1000)\"}}\n"
        "rollout: {enabled: true, rate: 16, transit: 1d, install: 4h, crews: 1}\n",
        &sum, dir, sizeof dir);
    assert_true(sum_num(&sum, "inference.rejected") > 0);
    assert_true(sum_num(&sum, "inference.completed") > 0);
    sl_summary_release(&sum);
    char path[700], line[8192];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    int c_tok = -1, c_srv = -1, col = 0;
    for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), col++) {
        if (strcmp(tok, "tokens_out_per_s") == 0)
            c_tok = col;
        if (strcmp(tok, "servers_in_service") == 0)
            c_srv = col;
    }
    assert_true(c_tok >= 0 && c_srv >= 0);
    int empty = 0, served = 0;
    while (fgets(line, sizeof line, f)) {
        double srv = ts_col(line, c_srv), tok = ts_col(line, c_tok);
        if (srv == 0) {
            empty++;
            assert_true(tok == 0);
        } else if (tok > 0) {
            served++;
        }
    }
    fclose(f);
    assert_true(empty >= 24 && served > 0);
}

static void test_rollout(void **state)
{
    (void)state;
    struct sl_summary sum;
    char dir[600];
    run_site("name: ro\n"
             "run: {duration: 4d, sample: 1h}\n"
             "fleet: {servers: 64, servers_per_rack: 8}\n"
             "workload:\n"
             "  synthetic: {shape: constant, mean: 80 %}\n"
             "rollout: {enabled: true, rate: 16, transit: 1d, install: 4h, crews: 1}\n",
             &sum, dir, sizeof dir);
    double want = 8 * floor(16 * (4 - 1 - 4.0 / 24) / 8);
    assert_int_equal((int64_t)sum_num(&sum, "rollout.servers_in_service"), (int64_t)want);
    assert_int_equal((int64_t)sum_num(&sum, "rollout.racks_in_service"), (int64_t)want / 8);
    assert_close(sum_num(&sum, "rollout.quarter_days.q25"), 1 + 1 + 4.0 / 24, 1e-9);
    sl_summary_release(&sum);

    char path[700];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    assert_non_null(fgets(line, sizeof line, f));
    int c_it = -1, c_srv = -1, col = 0;
    for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), col++) {
        if (strcmp(tok, "it_w") == 0)
            c_it = col;
        if (strcmp(tok, "servers_in_service") == 0)
            c_srv = col;
    }
    assert_true(c_it >= 0 && c_srv >= 0);
    double first_it = -1, it_one_rack = -1, last_it = 0, prev_srv = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        double it = 0, srv = 0;
        col = 0;
        for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), col++) {
            if (col == c_it)
                it = atof(tok);
            if (col == c_srv)
                srv = atof(tok);
        }
        if (rows++ == 0)
            first_it = it;
        assert_true(srv >= prev_srv);
        if (srv == 8 && it_one_rack < 0)
            it_one_rack = it;
        prev_srv = srv;
        last_it = it;
    }
    fclose(f);
    assert_int_equal(rows, 96);
    assert_true(it_one_rack > 0);
    assert_true(first_it < 0.5 * it_one_rack);
    assert_true(last_it > 3 * it_one_rack);

    run_site("name: ro2\n"
             "run: {duration: 12d, sample: 1h}\n"
             "fleet: {servers: 4000, servers_per_rack: 8}\n"
             "workload:\n"
             "  synthetic: {shape: constant, mean: 80 %}\n"
             "factory: {duration: 30d}\n"
             "rollout: {enabled: true, from: factory, transit: 2d}\n",
             &sum, dir, sizeof dir);
    double shipped = sum_num(&sum, "rollout.servers_shipped");
    print_message("rollout from the factory: %.0f shipped in 12 days, %.0f in service\n", shipped,
                  sum_num(&sum, "rollout.servers_in_service"));
    assert_true(fabs(shipped - 274 * 12) < 274 * 12 * 0.05);
    assert_true(sum_num(&sum, "rollout.servers_in_service") > 0.6 * 274 * 9);
    sl_summary_release(&sum);
}

struct bad {
    const char *yaml;
    int line, col;
    const char *says;
};

static void test_bad_inputs(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"factory:\n  stations:\n    - name: a\n      machines: 2\n", 4, 7, "no cycle time"},
        {"factory:\n  stations:\n    - name: a\n      cycle: -5min\n", 5, 14, "at least 0"},
        {"factory:\n  stations:\n    - {name: a, cycle: 0s}\n", 4, 0, "no cycle time"},
        {"factory:\n  stations:\n    - {name: a, cycle: 1min, yield: 0}\n", 4, 0, "yield"},
        {"factory:\n  stations:\n    - {name: a, cycle: 1min, yield: 150 %}\n", 4, 0, "yield"},
        {"factory:\n  stations:\n    - {name: a, cycle: 1min, machines: 0}\n", 4, 0, "machines"},
        {"factory:\n  stations:\n    - {name: a, cycle: 1min, rework: -1h}\n", 4, 0, "rework"},
        {"factory:\n  duration: 2d\nburnin:\n  duration: 72h\n", 5, 13, "longer than the factory"},
        {"factory:\n  stations:\n    - {name: a, cylce: 1min}\n", 4, 0, "did you mean 'cycle'"},
        {"factory:\n  stations:\n    - {name: a, cycle: 1min}\n    - {name: b, kind: burnin}\n"
         "    - {name: c, kind: burnin}\n",
         6, 0, "one burn-in area"},
        {"factory:\n  stations:\n    - {name: b, kind: burnin, cycle: 3h}\n", 4, 0, "burnin"},
        {"factory:\n  shifts: {per_day: 3, length: 9h}\n", 3, 0, "do not fit in a day"},
        {"burnin:\n  slots: 0\n", 3, 10, "slots"},
        {"burnin:\n  duration: -1h\n", 3, 13, "at least 0"},
        {"fleet: {servers: 16}\nrollout:\n  installed: 20\n", 4, 14, "more than the fleet"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "name: bad\n%s", cases[i].yaml);
        struct sl_scenario_set set;
        struct sl_diag d;
        int rc = load(text, NULL, 0, &set, &d);
        if (rc != SL_EINVAL)
            fail_msg("case %zu: rc %d, want SL_EINVAL", i, rc);
        if (!strstr(d.msg, cases[i].says))
            fail_msg("case %zu: message '%s' lacks '%s'", i, d.msg, cases[i].says);
        if (d.line != cases[i].line || (cases[i].col && d.col != cases[i].col) || d.col <= 0)
            fail_msg("case %zu: at %d:%d, want %d:%d (%s)", i, d.line, d.col, cases[i].line,
                     cases[i].col, d.msg);
        assert_non_null(strstr(d.file, "yaml"));
    }
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (have_last)
        sl_scenario_set_release(&last);
    DIR *dp = opendir(tmpdir);
    if (dp) {
        struct dirent *e;
        while ((e = readdir(dp))) {
            if (e->d_name[0] == '.')
                continue;
            char p[600];
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
        closedir(dp);
    }
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_line),
        cmocka_unit_test(test_little_rough),
        cmocka_unit_test(test_bottleneck_moves),
        cmocka_unit_test(test_shifts),
        cmocka_unit_test(test_burnin),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_rollout),
        cmocka_unit_test(test_rollout_serves_only_installed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
