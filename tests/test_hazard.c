/*
 * Tests for the failure hazards (src/faults/hazard.c).
 *
 * Analytic checks: H(t) of a constant, a Weibull term and their mix against
 * the closed forms; the rate is the derivative of H (central difference);
 * inversion returns the t with H(a + t) - H(a) = e to 1e-9 relative.
 * Sampling: 200,000 draws from a fixed seed of a mixed hazard (constant +
 * infant + wear-out) from age 0 and from a burn-in age; the share failing
 * within each of several horizons must match 1 - exp(-(H(a + t) - H(a)))
 * within 5 binomial standard errors, and a Kolmogorov-Smirnov distance over
 * all draws below its alpha = 0.001 critical value.  Truncation: from a
 * burn-in age the infant term's contribution to the first 90 days falls as
 * the closed form says, and a longer burn-in gives fewer failures in the
 * same seeded draws.  Classes: a class's hazard has H(1 year) = rate, a
 * server's hazard is the card classes times the cards plus the host
 * classes, and a job's MTTI scales as 1 / size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "faults/hazard.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/rng.h"

#define N_DRAWS 200000
#define KS_CRIT 1.949 /* sqrt(n) D at alpha = 0.001 */

static void mixed(struct sl_hazard *h)
{
    sl_hazard_init(h);
    h->rate_per_h = 1.0 / 5000;
    assert_int_equal(sl_hazard_add_term(h, 0.3, 0.5, 8766), SL_OK);
    assert_int_equal(sl_hazard_add_term(h, 1.0, 2.5, 20000), SL_OK);
}

static void test_cum_closed_form(void **state)
{
    (void)state;
    struct sl_hazard h;
    mixed(&h);
    for (double t = 0; t < 40000; t += 777.7) {
        double want = t / 5000 + 0.3 * sqrt(t / 8766) + pow(t / 20000, 2.5);
        assert_true(fabs(sl_hazard_cum(&h, t) - want) <= 1e-12 * (1 + want));
        if (t > 10) {
            double d = 1e-3 * t;
            double num = (sl_hazard_cum(&h, t + d) - sl_hazard_cum(&h, t - d)) / (2 * d);
            assert_true(fabs(sl_hazard_rate(&h, t) - num) <= 1e-5 * num);
        }
        double p = sl_hazard_fail_prob(&h, t, 100);
        double pw = 1 - exp(-(sl_hazard_cum(&h, t + 100) - sl_hazard_cum(&h, t)));
        assert_true(fabs(p - pw) <= 1e-12);
    }
    assert_true(sl_hazard_fail_prob(&h, 10, 0) == 0);
}

static void test_merge_and_errors(void **state)
{
    (void)state;
    struct sl_hazard h, g;
    sl_hazard_init(&h);
    assert_int_equal(sl_hazard_add_term(&h, 0.1, 0.5, 100), SL_OK);
    assert_int_equal(sl_hazard_add_term(&h, 0.2, 0.5, 100), SL_OK);
    assert_int_equal(h.nterms, 1);
    assert_true(fabs(h.term[0].w - 0.3) < 1e-15);
    assert_int_equal(sl_hazard_add_term(&h, -1, 0.5, 100), SL_EINVAL);
    assert_int_equal(sl_hazard_add_term(&h, 1, 0, 100), SL_EINVAL);
    assert_int_equal(sl_hazard_add_term(&h, 1, 0.5, 0), SL_EINVAL);
    assert_int_equal(sl_hazard_add_term(&h, 1, 0.5, NAN), SL_EINVAL);
    for (int k = 1; k < SL_HAZARD_TERMS; k++)
        assert_int_equal(sl_hazard_add_term(&h, 1, 0.5, 100 + k), SL_OK);
    assert_int_equal(sl_hazard_add_term(&h, 1, 0.5, 1), SL_ERANGE);
    /* n alike units: n times the cumulative hazard. */
    mixed(&g);
    sl_hazard_init(&h);
    assert_int_equal(sl_hazard_add(&h, &g, 64), SL_OK);
    for (double t = 1; t < 30000; t *= 3)
        assert_true(fabs(sl_hazard_cum(&h, t) - 64 * sl_hazard_cum(&g, t)) <=
                    1e-12 * sl_hazard_cum(&h, t));
    assert_int_equal(sl_hazard_add(&h, &g, -1), SL_EINVAL);
}

static void test_invert(void **state)
{
    (void)state;
    struct sl_hazard h, c, w;
    mixed(&h);
    sl_hazard_init(&c);
    c.rate_per_h = 0.01;
    sl_hazard_init(&w);
    assert_int_equal(sl_hazard_add_term(&w, 1, 0.7, 3000), SL_OK);
    const struct sl_hazard *hs[] = {&h, &c, &w};
    const double ages[] = {0, 1, 72, 1000, 30000};
    const double es[] = {1e-6, 0.01, 0.5, 1, 3, 12};
    for (size_t i = 0; i < 3; i++)
        for (size_t a = 0; a < 5; a++)
            for (size_t k = 0; k < 6; k++) {
                double t = sl_hazard_invert(hs[i], ages[a], es[k]);
                assert_true(isfinite(t) && t >= 0);
                double got = sl_hazard_cum(hs[i], ages[a] + t) - sl_hazard_cum(hs[i], ages[a]);
                assert_true(fabs(got - es[k]) <= 1e-9 * (es[k] + sl_hazard_cum(hs[i], ages[a])));
            }
    struct sl_hazard none;
    sl_hazard_init(&none);
    struct sl_rng r;
    sl_rng_seed(&r, 1, sl_rng_source_id("test"), 0);
    assert_true(isinf(sl_hazard_sample(&none, 0, &r)));
    assert_true(isinf(sl_hazard_invert(&none, 5, 1)));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Draws from age a0 against 1 - exp(-(H(a0 + t) - H(a0))). */
static void check_sampling(const struct sl_hazard *h, double a0, uint64_t entity)
{
    struct sl_rng r;
    sl_rng_seed(&r, 42, sl_rng_source_id("test.hazard"), entity);
    double *x = sl_malloc(N_DRAWS * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < N_DRAWS; i++)
        x[i] = sl_hazard_sample(h, a0, &r);
    const double horizon[] = {24, 72, 720, 2160, 8766, 20000};
    for (size_t k = 0; k < 6; k++) {
        size_t n = 0;
        for (size_t i = 0; i < N_DRAWS; i++)
            n += x[i] <= horizon[k];
        double p = sl_hazard_fail_prob(h, a0, horizon[k]);
        double se = sqrt(p * (1 - p) / N_DRAWS);
        assert_true(fabs((double)n / N_DRAWS - p) <= 5 * se + 1e-9);
    }
    qsort(x, N_DRAWS, sizeof *x, cmp_double);
    double dmax = 0;
    for (size_t i = 0; i < N_DRAWS; i++) {
        double f = sl_hazard_fail_prob(h, a0, x[i]);
        double d1 = fabs(f - (double)i / N_DRAWS), d2 = fabs(f - (double)(i + 1) / N_DRAWS);
        dmax = fmax(dmax, fmax(d1, d2));
    }
    assert_true(sqrt((double)N_DRAWS) * dmax < KS_CRIT);
    sl_free(x);
}

static void test_sampling_matches_closed_form(void **state)
{
    (void)state;
    struct sl_hazard h;
    mixed(&h);
    check_sampling(&h, 0, 0);
    check_sampling(&h, 72, 1);
    check_sampling(&h, 5000, 2);
    struct sl_hazard c;
    sl_hazard_init(&c);
    c.rate_per_h = 1.0 / 3000;
    check_sampling(&c, 100, 3);
}

/* Burn-in truncates the infant term: the expected infant failures in the
 * first 90 days of service after T hours of burn-in are w ((T + 2160)^b -
 * T^b) / eta^b, and seeded draws show fewer failures for longer T. */
static void test_truncation_by_age(void **state)
{
    (void)state;
    struct sl_hazard h;
    sl_hazard_init(&h);
    h.rate_per_h = 0.02 / 8766;
    assert_int_equal(sl_hazard_add_term(&h, 0.5, 0.4, 8766), SL_OK);
    const double burn[] = {0, 24, 72, 168};
    double prev_p = 1, prev_n = 1e300;
    for (size_t k = 0; k < 4; k++) {
        double T = burn[k];
        double want = 0.02 * 2160 / 8766 + 0.5 * (pow((T + 2160) / 8766, 0.4) - pow(T / 8766, 0.4));
        assert_true(fabs((sl_hazard_cum(&h, T + 2160) - sl_hazard_cum(&h, T)) - want) < 1e-12);
        double p = sl_hazard_fail_prob(&h, T, 2160);
        assert_true(p < prev_p);
        prev_p = p;
        struct sl_rng r;
        sl_rng_seed(&r, 7, sl_rng_source_id("test.burnin"), 0); /* the same draws for every T */
        size_t n = 0;
        for (size_t i = 0; i < N_DRAWS; i++)
            n += sl_hazard_sample(&h, T, &r) <= 2160;
        assert_true((double)n < prev_n);
        prev_n = (double)n;
        assert_true(fabs((double)n / N_DRAWS - p) <= 5 * sqrt(p * (1 - p) / N_DRAWS));
    }
}

static void cfg_classes(struct sl_failures_cfg *c)
{
    memset(c, 0, sizeof *c);
    for (int k = 0; k < SL_FC_COUNT; k++) {
        c->cls[k].rate = 0.01 * (k + 1);
        c->cls[k].infant_share = 0.25;
        c->cls[k].infant_beta = 0.5;
    }
    c->links_per_card = 2;
    c->leaves_per_card = 1.0 / 64;
    c->spines_per_card = 1.0 / 128;
}

static void test_class_and_server(void **state)
{
    (void)state;
    struct sl_failures_cfg c;
    cfg_classes(&c);
    struct sl_hazard h;
    assert_int_equal(sl_fault_class_hazard(&c.cls[SL_FC_HBM], &h), SL_OK);
    assert_true(fabs(sl_hazard_cum(&h, SL_FAULT_H_PER_YEAR) - c.cls[SL_FC_HBM].rate) < 1e-12);
    /* Infant share: a quarter of the first year's expected events. */
    assert_true(fabs(h.term[0].w - 0.25 * c.cls[SL_FC_HBM].rate) < 1e-15);
    c.cls[SL_FC_HBM].wear_beta = 3;
    c.cls[SL_FC_HBM].wear_scale_y = 5;
    assert_int_equal(sl_fault_class_hazard(&c.cls[SL_FC_HBM], &h), SL_OK);
    double y = SL_FAULT_H_PER_YEAR;
    assert_true(fabs(sl_hazard_cum(&h, 2 * y) -
                     (c.cls[SL_FC_HBM].rate * 0.75 * 2 + c.cls[SL_FC_HBM].rate * 0.25 * sqrt(2) +
                      pow(2.0 / 5, 3))) < 1e-12);
    c.cls[SL_FC_HBM].wear_beta = 0;

    struct sl_hazard s;
    assert_int_equal(sl_faults_server_hazard(&c, 8, &s), SL_OK);
    double want = 0;
    for (int k = 0; k < SL_FC_COUNT; k++) {
        if (sl_fault_class_unit[k] == SL_FU_CARD)
            want += 8 * c.cls[k].rate;
        else if (sl_fault_class_unit[k] == SL_FU_SERVER)
            want += c.cls[k].rate;
    }
    assert_true(fabs(sl_hazard_cum(&s, y) - want) < 1e-12 * want);
    assert_int_equal(s.nterms, 1); /* one infant shape: merged */
}

static void test_job_mtti_scales(void **state)
{
    (void)state;
    struct sl_failures_cfg c;
    cfg_classes(&c);
    c.rack_servers = 8;
    /* One card, one server: card classes + host classes + its rack's
     * power and cooling, no fabric. */
    double card = 0, host = 0, fab = 0, rack = 0;
    for (int k = 0; k < SL_FC_COUNT; k++) {
        int u = sl_fault_class_unit[k];
        if (u == SL_FU_CARD)
            card += c.cls[k].rate;
        else if (u == SL_FU_SERVER)
            host += c.cls[k].rate;
        else if (u == SL_FU_RACK)
            rack += c.cls[k].rate;
    }
    assert_true(rack > 0);
    fab = 2 * c.cls[SL_FC_LINK].rate + c.cls[SL_FC_LEAF].rate / 64 + c.cls[SL_FC_SPINE].rate / 128;
    double m8 = sl_faults_job_mtti_h(&c, 8, 1);
    assert_true(fabs(m8 - SL_FAULT_H_PER_YEAR / (8 * card + host + rack)) < 1e-9 * m8);
    /* Large jobs: rate per card constant, so MTTI halves when size doubles. */
    double m1k = sl_faults_job_mtti_h(&c, 1024, 128);
    double m2k = sl_faults_job_mtti_h(&c, 2048, 256);
    assert_true(fabs(m1k / m2k - 2) < 1e-9);
    assert_true(fabs(m2k - SL_FAULT_H_PER_YEAR / (2048 * (card + fab) + 256 * host + 32 * rack)) <
                1e-9 * m2k);
    /* The classes add up to the whole. */
    struct sl_job_span sp;
    sl_faults_job_span_compact(&c, 2048, 256, &sp);
    double sum = 0;
    for (int k = 0; k < SL_FC_COUNT; k++)
        sum += sl_faults_span_class_rate_ph(&c, &sp, k);
    assert_true(fabs(sum - 1 / m2k) < 1e-9 * sum);
    /* A known fabric: a gang spread over more leaves and pods than a
     * compact one is exposed to their leaves, uplinks, spines and
     * spine-to-core links too (the failure source's blast radius). */
    c.fabric_known = 1;
    c.server_links_per_card = 1;
    c.uplinks_per_leaf = 64;
    c.pod_cards = 4096;
    c.pod_spines = 64;
    c.pod_links = 4096;
    c.site_spines = 100;
    sl_faults_job_span_compact(&c, 512, 64, &sp);
    assert_true(sp.leaves == 8 && sp.pods == 1 && sp.racks == 8);
    double r0 = sl_faults_span_rate_ph(&c, &sp);
    sp.leaves = 20;
    sp.pods = 3;
    sp.racks = 20;
    double r1 = sl_faults_span_rate_ph(&c, &sp);
    double more = 12 * (c.cls[SL_FC_LEAF].rate + 64 * c.cls[SL_FC_LINK].rate) +
                  2 * (64 * c.cls[SL_FC_SPINE].rate + 4096 * c.cls[SL_FC_LINK].rate) + 12 * rack;
    assert_true(fabs((r1 - r0) * SL_FAULT_H_PER_YEAR - more) < 1e-9 * more);
    /* One server needs no fabric, however the span says. */
    sp.servers = 1;
    assert_true(sl_faults_span_class_rate_ph(&c, &sp, SL_FC_SPINE) == 0);
    assert_true(sl_faults_span_class_rate_ph(&c, &sp, SL_FC_LEAF) == 0);
    struct sl_failures_cfg z;
    memset(&z, 0, sizeof z);
    assert_true(isinf(sl_faults_job_mtti_h(&z, 8, 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cum_closed_form),
        cmocka_unit_test(test_merge_and_errors),
        cmocka_unit_test(test_invert),
        cmocka_unit_test(test_sampling_matches_closed_form),
        cmocka_unit_test(test_truncation_by_age),
        cmocka_unit_test(test_class_and_server),
        cmocka_unit_test(test_job_mtti_scales),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
