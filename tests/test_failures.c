/*
 * Tests for failures in service: the `failures` keys (src/config), the
 * failure source (src/workload/failures.c) and the inference replicas that
 * ride through (src/workload/serve_request.c, serve_flow.c).
 *
 * Bad inputs: each of a negative rate, an infant shape of 0, a wear-out
 * shape below 1, a wear-out without its scale, a negative spares pool, an
 * unknown class (with its did-you-mean) and a facility class whose
 * redundant units leave none needed is refused with SL_EINVAL at the
 * key's file, line and column.
 *
 * Cause mix: a Llama-3-sized fleet (2,048 servers of 8 cards, 54 days)
 * with the default rates; each class's count must match its expectation
 * n (H(A + T) - H(A)) (n units, A the age at the start, T the run) as
 * Poisson counts: Pearson's X^2 over the classes expecting at least 5
 * events below the chi-square quantile of probability 0.999 for that many
 * degrees of freedom (Wilson-Hilferty), a tolerance from the counts, not
 * tuned to the seed.  The default rates give the synchronous job on the
 * whole fleet the reference's MTTI of 3.1 h within 3 %.
 *
 * Blast radius: every row of failures.csv of a run with every class
 * frequent is checked against the topology (a card, a host part and
 * software: one server; a NIC: its server's fabric; a leaf: its 8
 * servers; a spine in two tiers: every server; a link: one server, or a
 * leaf's servers for an uplink; a rack stage or rack cooling unit: its
 * rack of 8) and every class must have appeared.  Facility redundancy:
 * the UPS rows of a run with 4 units, 1 redundant, are replayed: a row
 * takes nothing iff the units down at that instant (itself included) are
 * at most the redundant one, else the share of the site of the missing
 * units (ceil((down - 1) / 3 x 64) servers), and both cases occur; with
 * one unit and none redundant, every failure takes the whole site.
 *
 * Burn-in: a longer burn-in lowers the interruptions of the first 90 days
 * with the infant-mortality component on: the sum over 6 seeds at burn-in
 * 0, 24, 72 and 168 h must fall at each step (the expected drop between
 * neighbours is several standard deviations of the sums), and the
 * expected falls are checked too; the table of docs/model.md is printed.
 *
 * Determinism: the same seed gives byte-identical failures.csv.
 * Inference: at request fidelity, a service near its capacity whose
 * servers fail (a quarter of its replicas at a time, for 4 h) keeps every
 * request accounted for (completed + rejected + still queued or running
 * at the end, at most the replicas' batches and queues, = requests), its
 * queues overflow (rejections) and its SLO attainment falls below the
 * same run without failures, which sees the same arrivals; at flow
 * fidelity the same outages lower its SLO attainment and completions.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "faults/hazard.h"
#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

static char tmpdir[] = "/tmp/suanli-failures-XXXXXX";
static int nruns;

static int load_text_rc(const char *text, struct sl_scenario_set *set, struct sl_diag *d)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.yaml", nruns++);
    struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
    sl_diag_clear(d);
    return sl_scenario_load(&o, set, d);
}

static void run_text(const char *text, struct run *r)
{
    run_scenario_text(tmpdir, &nruns, text, NULL, 0, r);
}

/* ---- failures.csv ---- */

struct row {
    double t_s, down_s;
    char cls[32], kind[16], blast[16];
    size_t unit, servers;
};

/* Reads dir/failures.csv (header checked); *n rows, caller frees. */
static struct row *read_rows(const char *dir, size_t *n)
{
    char path[700];
    snprintf(path, sizeof path, "%s/failures.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "time_s,class,unit,kind,blast,servers,downtime_s\n");
    size_t cap = 1024, k = 0;
    struct row *rows = malloc(cap * sizeof *rows);
    assert_non_null(rows);
    while (fgets(line, sizeof line, f)) {
        if (k == cap) {
            cap *= 2;
            rows = realloc(rows, cap * sizeof *rows);
            assert_non_null(rows);
        }
        struct row *r = &rows[k];
        int got = sscanf(line, "%lf,%31[^,],%zu,%15[^,],%15[^,],%zu,%lf", &r->t_s, r->cls, &r->unit,
                         r->kind, r->blast, &r->servers, &r->down_s);
        assert_int_equal(got, 7);
        k++;
    }
    fclose(f);
    *n = k;
    return rows;
}

static int class_index(const char *name)
{
    for (int k = 0; k < SL_FC_COUNT; k++)
        if (strcmp(sl_fault_class_names[k], name) == 0)
            return k;
    fail_msg("unknown class '%s' in failures.csv", name);
    return -1;
}

/* ---- bad inputs ---- */

struct bad {
    const char *yaml; /* the failures section */
    int line, col;
    const char *says;
};

static void test_bad_inputs(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"failures:\n  gpu:\n    rate: -0.1\n", 5, 11, "at least 0"},
        {"failures:\n  hbm:\n    infant_beta: 0\n", 5, 18, "infant_beta"},
        {"failures:\n  hbm:\n    wear_beta: 0.7\n", 5, 16, "above 1"},
        {"failures:\n  hbm:\n    wear_beta: 2.5\n", 0, 0, "wear_scale"},
        {"failures:\n  spares:\n    card: -1\n", 5, 11, "at least 0"},
        {"failures:\n  gpuu:\n    rate: 1\n", 4, 3, "did you mean 'gpu'"},
        {"failures:\n  ups:\n    units: 2\n    redundant: 2\n", 6, 16, "at least one unit"},
        {"failures:\n  link:\n    permanent: 150 %\n", 5, 16, "permanent"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "name: bad\nfleet: {servers: 16}\n%s", cases[i].yaml);
        struct sl_scenario_set set;
        struct sl_diag d;
        int rc = load_text_rc(text, &set, &d);
        if (rc != SL_EINVAL)
            fail_msg("case %zu: rc %d, want SL_EINVAL", i, rc);
        if (!strstr(d.msg, cases[i].says))
            fail_msg("case %zu: message '%s' lacks '%s'", i, d.msg, cases[i].says);
        if (cases[i].line) {
            if (d.line != cases[i].line || d.col != cases[i].col)
                fail_msg("case %zu: at %d:%d, want %d:%d (%s)", i, d.line, d.col, cases[i].line,
                         cases[i].col, d.msg);
            assert_non_null(strstr(d.file, "yaml"));
        }
    }
}

/* ---- cause mix ---- */

/* The chi-square quantile of probability 1 - 0.001 (z = 3.0902) for df
 * degrees of freedom, by Wilson and Hilferty's cube-root normal
 * approximation (within 1 % for df >= 5). */
static double chi2_crit(int df)
{
    double a = 2.0 / (9.0 * df);
    double x = 1 - a + 3.0902 * sqrt(a);
    return df * x * x * x;
}

static void test_cause_mix(void **state)
{
    (void)state;
    struct run r;
    run_text("name: mix\nrun: {duration: 54d, sample: 1d, seed: 3}\n"
             "fleet: {servers: 2048, servers_per_rack: 8}\n"
             "failures: {enabled: true}\n",
             &r);
    const struct sl_scenario *sc = &r.set.items[0];
    const struct sl_failures_cfg *c = &sc->failures;
    double cards = 2048.0 * 8;
    double A = sl_faults_start_age_h(sc), T = 54 * 24.0;
    double x2 = 0, total_e = 0, total_o = 0;
    int df = 0;
    for (int k = 0; k < SL_FC_COUNT; k++) {
        double n = 0;
        switch (sl_fault_class_unit[k]) {
        case SL_FU_CARD:
            n = cards;
            break;
        case SL_FU_SERVER:
            n = 2048;
            break;
        case SL_FU_LEAF:
            n = round(c->leaves_per_card * cards);
            break;
        case SL_FU_SPINE:
            n = round(c->spines_per_card * cards);
            break;
        case SL_FU_LINK:
            n = round(c->links_per_card * cards);
            break;
        default:
            continue;
        }
        struct sl_hazard h;
        assert_int_equal(sl_fault_class_hazard(&c->cls[k], &h), SL_OK);
        double e = n * (sl_hazard_cum(&h, A + T) - sl_hazard_cum(&h, A));
        char key[96];
        snprintf(key, sizeof key, "failures.by_class.%s", sl_fault_class_names[k]);
        double o = num(&r, key);
        total_e += e;
        total_o += o;
        if (e >= 5) {
            x2 += (o - e) * (o - e) / e;
            df++;
        }
        print_message("%-10s expected %8.1f observed %6.0f\n", sl_fault_class_names[k], e, o);
    }
    print_message("X^2 = %.2f over %d classes (critical %.2f); total %.0f of %.1f\n", x2, df,
                  chi2_crit(df), total_o, total_e);
    assert_true(df >= 10);
    assert_true(x2 < chi2_crit(df));
    /* Most events are the card classes: the mix is the reference's. */
    assert_true(num(&r, "failures.by_class.gpu") > num(&r, "failures.by_class.hbm"));
    assert_true(num(&r, "failures.interruptions") <= num(&r, "failures.events"));
    double av = num(&r, "availability.servers");
    assert_true(av > 0.99 && av < 1);
    /* The default rates give the reference's MTTI for the Llama 3 job on
     * the whole fleet: 3.1 h (failures-traces.md section 2). */
    double mtti = sl_faults_job_mtti_h(c, 16384, 2048);
    print_message("MTTI of a 16,384-card job: %.3f h\n", mtti);
    assert_true(fabs(mtti / 3.1 - 1) < 0.03);
    assert_true(num(&r, "availability.cards") >= av);
    run_free(&r);
}

/* ---- blast radius ---- */

/* A scenario text with every class's rate given by rate_of. */
static void classes_text(char *buf, size_t size, const char *head, double (*rate_of)(int k),
                         const char *extra)
{
    size_t used = (size_t)snprintf(buf, size, "%sfailures:\n  enabled: true\n%s", head, extra);
    for (int k = 0; k < SL_FC_COUNT; k++) {
        double rt = rate_of(k);
        if (rt < 0)
            continue;
        used += (size_t)snprintf(buf + used, size - used, "  %s: {rate: %g}\n",
                                 sl_fault_class_names[k], rt);
        assert_true(used < size);
    }
}

static double boosted(int k)
{
    switch (sl_fault_class_unit[k]) {
    case SL_FU_LEAF:
        return 3;
    case SL_FU_SPINE:
        return 2;
    case SL_FU_LINK:
        return 0.02;
    case SL_FU_RACK:
        return 1;
    case SL_FU_SERVER:
        return 0.5;
    case SL_FU_FACILITY:
        return -1; /* defaults */
    default:
        return 0.1;
    }
}

static void test_blast_radius(void **state)
{
    (void)state;
    static char text[8192];
    classes_text(text, sizeof text,
                 "name: blast\nrun: {duration: 365d, sample: 1d, seed: 5}\n"
                 "fleet: {servers: 64, servers_per_rack: 8}\n",
                 boosted, "");
    struct run r;
    run_text(text, &r);
    size_t n;
    struct row *rows = read_rows(r.dir, &n);
    int seen[SL_FC_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        int k = class_index(w->cls);
        seen[k]++;
        assert_true(w->down_s > 0);
        assert_true(strcmp(w->kind, "permanent") == 0 || strcmp(w->kind, "transient") == 0);
        switch (sl_fault_class_unit[k]) {
        case SL_FU_CARD:
            assert_string_equal(w->blast, "server");
            assert_int_equal(w->servers, 1);
            assert_true(w->unit < 512);
            break;
        case SL_FU_SERVER:
            assert_string_equal(w->blast, k == SL_FC_NIC ? "fabric" : "server");
            assert_int_equal(w->servers, 1);
            assert_true(w->unit < 64);
            break;
        case SL_FU_LEAF:
            assert_string_equal(w->blast, "leaf");
            assert_int_equal(w->servers, 8);
            break;
        case SL_FU_SPINE: /* two tiers: every gang crosses the spines */
            assert_string_equal(w->blast, "site");
            assert_int_equal(w->servers, 64);
            break;
        case SL_FU_LINK:
            if (strcmp(w->blast, "fabric") == 0) {
                assert_int_equal(w->servers, 1);
                assert_true(w->unit < 512); /* a server link */
            } else {
                assert_string_equal(w->blast, "leaf");
                assert_int_equal(w->servers, 8);
                assert_true(w->unit >= 512);
            }
            break;
        case SL_FU_RACK: /* a rack's cooling unit warms it and throttles */
            assert_string_equal(w->blast, k == SL_FC_RACK_COOLING ? "rack-cooling" : "rack");
            assert_int_equal(w->servers, k == SL_FC_RACK_COOLING ? 0 : 8);
            assert_true(w->unit < 8);
            break;
        case SL_FU_FACILITY: /* cooling units lower the plant's capacity */
            if (k == SL_FC_CHILLER || k == SL_FC_CDU || k == SL_FC_DRY_COOLER)
                assert_true(strcmp(w->blast, "none") == 0 || strcmp(w->blast, "cooling") == 0);
            else
                assert_true(strcmp(w->blast, "none") == 0 || strcmp(w->blast, "site") == 0);
            assert_true(strcmp(w->blast, "site") == 0 || w->servers == 0);
            break;
        default:
            fail();
        }
    }
    for (int k = 0; k < SL_FC_COUNT; k++)
        if (sl_fault_class_unit[k] != SL_FU_FACILITY && !seen[k])
            fail_msg("class %s never failed", sl_fault_class_names[k]);
    assert_int_equal((double)n, num(&r, "failures.events"));
    assert_true(num(&r, "availability.servers") < 1);
    free(rows);
    run_free(&r);
}

/* ---- facility redundancy ---- */

static double ups_only(int k)
{
    return k == SL_FC_UPS ? -1 : 0; /* the UPS's rate is in the extra text */
}

/* The UPS rows replayed: units down at each row's instant decide its
 * blast. */
static void check_ups(const char *extra, int64_t units, int64_t redundant, int *none, int *site)
{
    static char text[8192];
    classes_text(text, sizeof text,
                 "name: ups\nrun: {duration: 365d, sample: 1d, seed: 11}\n"
                 "fleet: {servers: 64, servers_per_rack: 8}\n"
                 "facility: {power_chain: ac-2n-ups}\n",
                 ups_only, extra);
    struct run r;
    run_text(text, &r);
    size_t n;
    struct row *rows = read_rows(r.dir, &n);
    assert_true(n > 20);
    *none = *site = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].cls, "ups");
        assert_true(rows[i].unit < (size_t)units);
        int64_t down = 0;
        for (size_t j = 0; j <= i; j++)
            down += rows[j].t_s <= rows[i].t_s && rows[i].t_s < rows[j].t_s + rows[j].down_s;
        if (down <= redundant) {
            assert_string_equal(rows[i].blast, "none");
            assert_int_equal(rows[i].servers, 0);
            (*none)++;
        } else {
            double share = fmin(1, (double)(down - redundant) / (double)(units - redundant));
            assert_string_equal(rows[i].blast, "site");
            assert_int_equal(rows[i].servers, (size_t)ceil(share * 64 - 1e-9));
            (*site)++;
        }
    }
    if (*site == 0)
        assert_true(num(&r, "availability.servers") == 1);
    else
        assert_true(num(&r, "availability.servers") < 1);
    free(rows);
    run_free(&r);
}

static void test_facility_redundancy(void **state)
{
    (void)state;
    int none, site;
    check_ups("  spares: {facility: 0}\n  ups: {rate: 20, units: 4, redundant: 1}\n", 4, 1, &none,
              &site);
    print_message("4 units, 1 redundant: %d failures inside the redundancy, %d beyond\n", none,
                  site);
    assert_true(none > 0 && site > 0);
    check_ups("  spares: {facility: 0}\n  ups: {rate: 20, units: 1, redundant: 0}\n", 1, 0, &none,
              &site);
    assert_int_equal(none, 0);
    assert_true(site > 0);
}

/* ---- burn-in ---- */

static void test_burnin_tradeoff(void **state)
{
    (void)state;
    static const int burn_h[] = {0, 24, 72, 168};
    double sum[4] = {0}, expect[4] = {0}, escaped[4] = {0};
    for (int b = 0; b < 4; b++) {
        for (int seed = 1; seed <= 6; seed++) {
            char text[1024];
            snprintf(text, sizeof text,
                     "name: burn\nrun: {duration: 90d, sample: 1d, seed: %d}\n"
                     "fleet: {servers: 1280, servers_per_rack: 8}\n"
                     "burnin: {duration: %dh}\n"
                     "failures: {enabled: true}\n",
                     seed, burn_h[b]);
            struct run r;
            run_text(text, &r);
            sum[b] += num(&r, "failures.interruptions");
            escaped[b] += num(&r, "failures.age_related");
            assert_true(num(&r, "failures.age_related") < num(&r, "failures.events"));
            if (seed == 1) {
                /* The expected events of the cards and hosts over the
                 * 90 days, from the hazards (fabric, rack and facility
                 * classes have the same infant share and are left out). */
                const struct sl_scenario *sc = &r.set.items[0];
                struct sl_hazard h;
                assert_int_equal(sl_faults_server_hazard(&sc->failures, 8, &h), SL_OK);
                double A = sl_faults_start_age_h(sc);
                assert_true(A == burn_h[b]);
                expect[b] = 1280 * (sl_hazard_cum(&h, A + 2160) - sl_hazard_cum(&h, A));
            }
            run_free(&r);
        }
    }
    print_message("burn-in (h) | service interruptions, first 90 days (mean of 6 seeds) | "
                  "of which infant mortality escaped into service | expected card and host "
                  "events\n");
    for (int b = 0; b < 4; b++) {
        print_message("%4d | %.1f | %.1f | %.1f\n", burn_h[b], sum[b] / 6, escaped[b] / 6,
                      expect[b]);
        if (b > 0) {
            assert_true(expect[b] < expect[b - 1]);
            assert_true(sum[b] < sum[b - 1]);
            assert_true(escaped[b] < escaped[b - 1]);
        }
    }
}

/* ---- determinism ---- */

static char *slurp(const char *dir, size_t *len)
{
    char path[700];
    snprintf(path, sizeof path, "%s/failures.csv", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_determinism(void **state)
{
    (void)state;
    const char *text = "name: det\nrun: {duration: 60d, sample: 1h, seed: 9}\n"
                       "fleet: {servers: 256, servers_per_rack: 8}\n"
                       "failures: {enabled: true, leaf: {rate: 2}, rack_power: {rate: 1}}\n";
    struct run a, b;
    run_text(text, &a);
    run_text(text, &b);
    size_t na, nb;
    char *x = slurp(a.dir, &na), *y = slurp(b.dir, &nb);
    assert_true(na > 1000);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x);
    free(y);
    run_free(&a);
    run_free(&b);
}

/* ---- inference rides through ---- */

static const char *serve_text(int failures, const char *fidelity)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "name: serve\nrun: {duration: 12h, sample: 1h, seed: 2}\n"
             "fleet: {servers: 4, servers_per_rack: 4}\n"
             "workload:\n"
             "  inference:\n"
             "    - name: s\n"
             "      model: qwen2.5-7b\n"
             "      weights: int8\n"
             "      kv: int8\n"
             "      replicas: 32\n"
             "      fidelity: %s\n"
             "      slo: {ttft: 2s, tpot: 200ms}\n"
             "      requests: {rate: 200/s, prompt_tokens: \"500\", output_tokens: \"200\"}\n"
             "failures:\n"
             "  enabled: %s\n"
             "  gpu: {rate: 100, permanent: 100 %%, swap: 4h}\n",
             fidelity, failures ? "true" : "false");
    return buf;
}

static void test_inference_reroutes(void **state)
{
    (void)state;
    struct run off, on;
    run_text(serve_text(0, "request"), &off);
    run_text(serve_text(1, "request"), &on);
    double req = num(&on, "inference.requests"), done = num(&on, "inference.completed");
    double rej = num(&on, "inference.rejected");
    print_message("without failures: SLO %.4f, %.0f completed; with: SLO %.4f, %.0f completed, "
                  "%.0f rejected, %.0f events, availability %.4f\n",
                  num(&off, "inference.slo_attainment"), num(&off, "inference.completed"),
                  num(&on, "inference.slo_attainment"), done, rej, num(&on, "failures.events"),
                  num(&on, "availability.cards"));
    assert_true(num(&on, "failures.events") >= 2);
    /* Nothing lost: requests still in flight at the end are at most the
     * replicas' batches and queues (256 + 10,000 each). */
    assert_true(done + rej <= req);
    assert_true(req - done - rej <= 32 * (256 + 10000));
    assert_true(rej > 0); /* with a server down the queues overflow */
    assert_true(num(&on, "inference.slo_attainment") < num(&off, "inference.slo_attainment"));
    assert_true(num(&on, "inference.requests") == num(&off, "inference.requests"));
    run_free(&off);
    run_free(&on);
    /* Flow fidelity: the same outages cost the same service its SLO. */
    run_text(serve_text(0, "flow"), &off);
    run_text(serve_text(1, "flow"), &on);
    print_message("flow: SLO %.4f without failures, %.4f with\n",
                  num(&off, "inference.slo_attainment"), num(&on, "inference.slo_attainment"));
    assert_true(num(&on, "failures.events") >= 2);
    assert_true(num(&on, "inference.slo_attainment") < num(&off, "inference.slo_attainment"));
    assert_true(num(&on, "inference.completed") < num(&off, "inference.completed"));
    run_free(&off);
    run_free(&on);
}

TEST_TMPDIR_FIXTURES(tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_inputs),         cmocka_unit_test(test_cause_mix),
        cmocka_unit_test(test_blast_radius),       cmocka_unit_test(test_facility_redundancy),
        cmocka_unit_test(test_burnin_tradeoff),    cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_inference_reroutes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
