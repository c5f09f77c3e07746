/*
 * Tests for the fleet and its meters (src/fleet/fleet.c).
 *
 * The fleet is driven by a server whose power is linear in utilisation
 * (one card, no host parts or fans, a lossless chain: the component model
 * of docs/model.md reduces to P_idle + (P_max - P_idle) u), checked at idle,
 * half and full load.  The meter is checked on a piecewise-constant signal
 * whose integral, window integral and extremes are worked out by hand in the
 * comments.  The fleet is then driven by a fixed-seed stream of random
 * utilisation changes at increasing times, while this file keeps its own
 * copy of every server's utilisation and integrates the fleet power
 * interval by interval from that copy (Kahan-compensated); the library's
 * incrementally maintained meter, rack totals and rack peak must agree to a
 * relative 1e-9.  The fleet sizes include a partial last rack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "torture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"
#include "fleet/server.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/scenario.h"

#define US_PER_S 1000000

/* ---- Helpers. ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
    return (double)(splitmix64(s) >> 11) * 0x1p-53;
}

static void assert_close(double got, double want, double rel)
{
    double tol = rel * fmax(fabs(want), 1.0);
    if (!(fabs(got - want) <= tol))
        print_error("got %.17g, want %.17g (relative tolerance %g)\n", got, want, rel);
    assert_true(fabs(got - want) <= tol);
}

/* A scenario with just what the fleet reads. */
/* A server whose input power is linear in utilisation: one card from
 * idle_w to max_w, no CPU, memory, NIC or fan power, and a chain whose only
 * stage is a lossless board stage, so P(u) = idle + (max - idle) u exactly
 * as docs/model.md's server model reduces to for such a box. */
static struct sl_device_model g_dev;
static struct sl_cpu_model g_cpu;
static struct sl_stage_spec g_vrm;
static struct sl_chain_spec g_chain;
static struct sl_server_calc g_calc;

static void make_calc(struct sl_server_model *m, double idle_w, double max_w)
{
    memset(m, 0, sizeof *m);
    memset(&g_dev, 0, sizeof g_dev);
    memset(&g_cpu, 0, sizeof g_cpu);
    memset(&g_vrm, 0, sizeof g_vrm);
    memset(&g_chain, 0, sizeof g_chain);
    g_dev.name = "test-card";
    g_dev.idle_w = idle_w;
    g_dev.tdp_w = max_w;
    g_cpu.name = "test-cpu";
    g_cpu.tdp_w = 1;
    g_vrm.name = "vrm";
    g_vrm.scope = SL_SCOPE_BOARD;
    g_vrm.units = 1;
    g_vrm.efficiency = 1.0;
    g_chain.name = "test-chain";
    g_chain.stages.items = &g_vrm;
    g_chain.stages.n = 1;
    m->name = "test-server";
    m->device = "test-card";
    m->cpu = "test-cpu";
    m->cards = 1;
    m->cpus = 0;
    m->height_u = 4;
    m->psus = 1;
    m->psu_rating_w = 1e9;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_server_calc_init(&g_calc, m, &g_dev, &g_cpu, &g_chain, 0, 0, &d), SL_OK);
}

static void make_scenario(struct sl_scenario *sc, struct sl_server_model *m, int64_t servers,
                          int64_t per_rack, double idle_w, double max_w)
{
    memset(sc, 0, sizeof *sc);
    make_calc(m, idle_w, max_w);
    sc->fleet.servers = servers;
    sc->fleet.servers_per_rack = per_rack;
    sc->server = m;
}

static double server_power_w(double u)
{
    struct sl_server_power p;
    sl_server_eval(&g_calc, u, 0, &p);
    return p.input_w;
}

/* The power of one server, written here from the model equation. */
static double ref_power(double idle_w, double max_w, double u)
{
    return idle_w + (max_w - idle_w) * u;
}

/* ---- Server power. ---- */

static void test_server_power(void **state)
{
    (void)state;
    struct sl_server_model m;
    make_calc(&m, 1000, 5000);
    assert_true(server_power_w(0) == 1000);
    assert_true(server_power_w(0.5) == 3000);
    assert_true(server_power_w(1) == 5000);
    assert_true(server_power_w(0.25) == 2000);
    /* A realistic 8-card box: 10.2 kW at full load, 2.8 kW idle. */
    make_calc(&m, 2800, 10200);
    assert_true(server_power_w(0) == 2800);
    assert_true(server_power_w(0.5) == 6500);
    assert_true(server_power_w(1) == 10200);
    assert_close(server_power_w(0.3), 5020, 1e-15);
    /* Linear: equal steps in u give equal steps in power. */
    for (int i = 0; i < 10; i++) {
        double d = server_power_w((i + 1) / 10.0) - server_power_w(i / 10.0);
        assert_close(d, 740, 1e-12);
    }
}

/* ---- Meter. ---- */

static void test_meter_piecewise(void **state)
{
    (void)state;
    struct sl_meter m;
    /* Signal: 10 on [0,1) s, 20 on [1,3), 5 on [3,4.5), 8 on [4.5,6). */
    sl_meter_init(&m, 10);
    /* Extremes cover values held for a positive time: none yet. */
    assert_true(m.value == 10 && m.max == -INFINITY && m.min == INFINITY);
    assert_true(m.window_max == -INFINITY);
    assert_true(m.integral == 0 && m.window_integral == 0 && m.last_us == 0);

    sl_meter_set(&m, 1 * US_PER_S, 20); /* 10 * 1 */
    assert_close(m.integral, 10, 1e-15);
    assert_int_equal(m.last_us, US_PER_S);
    sl_meter_set(&m, 3 * US_PER_S, 5); /* + 20 * 2 */
    assert_close(m.integral, 50, 1e-15);
    assert_close(m.window_integral, 50, 1e-15);
    assert_true(m.window_max == 20);

    sl_meter_window_reset(&m); /* window from t = 3 s at value 5 */
    assert_true(m.window_integral == 0);
    assert_true(m.window_max == -INFINITY);
    assert_close(m.integral, 50, 1e-15); /* the total is untouched */

    sl_meter_advance(&m, 4 * US_PER_S); /* + 5 * 1 */
    assert_close(m.integral, 55, 1e-15);
    assert_close(m.window_integral, 5, 1e-15);
    assert_true(m.window_max == 5);
    sl_meter_advance(&m, 4 * US_PER_S); /* no time, no change */
    assert_close(m.integral, 55, 1e-15);

    sl_meter_set(&m, 4500000, 8); /* + 5 * 0.5 */
    assert_close(m.integral, 57.5, 1e-15);
    assert_close(m.window_integral, 7.5, 1e-15);
    assert_true(m.window_max == 5); /* 8 is not held yet */

    sl_meter_advance(&m, 6 * US_PER_S); /* + 8 * 1.5 */
    assert_true(m.window_max == 8);
    assert_close(m.integral, 69.5, 1e-15);
    assert_close(m.window_integral, 19.5, 1e-15);
    assert_true(m.max == 20);
    assert_true(m.min == 5);
    assert_true(m.value == 8);
    assert_int_equal(m.last_us, 6 * US_PER_S);
}

/* Negative values and a long run of one-microsecond steps: the integral of
 * a signal alternating -1 and +3 for 10^5 us is 10^5 / 2 * 2 us = 0.1 s. */
static void test_meter_fine_steps(void **state)
{
    (void)state;
    struct sl_meter m;
    sl_meter_init(&m, -1);
    for (int64_t t = 1; t <= 100000; t++)
        sl_meter_set(&m, t, (t % 2) ? 3 : -1);
    /* Intervals [t-1, t) carry -1 for odd t, +3 for even t: 50000 of each. */
    assert_close(m.integral, (50000 * -1.0 + 50000 * 3.0) * 1e-6, 1e-12);
    assert_true(m.max == 3);
    assert_true(m.min == -1);
}

/* ---- Fleet. ---- */

static void test_fleet_init_partial_rack(void **state)
{
    (void)state;
    struct sl_scenario sc;
    struct sl_server_model m;
    make_scenario(&sc, &m, 10, 4, 1000, 5000);
    struct sl_fleet f;
    assert_int_equal(sl_fleet_init(&f, &sc, &g_calc, NULL, 0.5), SL_OK);
    assert_ptr_equal(f.calc->m, &m);
    assert_int_equal(f.nservers, 10);
    assert_int_equal(f.per_rack, 4);
    assert_int_equal(f.nracks, 3); /* 4 + 4 + 2 */
    for (size_t i = 0; i < 10; i++)
        assert_true(f.util[i] == 0.5);
    assert_true(f.rack_w[0] == 12000);
    assert_true(f.rack_w[1] == 12000);
    assert_true(f.rack_w[2] == 6000);
    assert_true(f.rack_peak_w == 12000);
    assert_true(f.it_w.value == 30000);
    assert_true(f.util_sum.value == 5);

    /* The servers of the short rack count only there. */
    sl_fleet_set_util(&f, US_PER_S, 9, 1.0);
    assert_true(f.rack_w[2] == 8000);
    assert_true(f.rack_w[0] == 12000 && f.rack_w[1] == 12000);
    assert_true(f.it_w.value == 32000);
    assert_close(f.it_w.integral, 30000, 1e-15); /* 30 kW for 1 s */
    assert_true(f.rack_peak_w == 12000);
    sl_fleet_set_util(&f, 2 * US_PER_S, 8, 1.0);
    assert_true(f.rack_w[2] == 10000);
    assert_true(f.rack_peak_w == 12000);
    sl_fleet_set_util(&f, 2 * US_PER_S, 0, 1.0);
    assert_true(f.rack_w[0] == 14000);
    assert_true(f.rack_peak_w == 14000);
    sl_fleet_set_util(&f, 3 * US_PER_S, 0, 0.0);
    assert_true(f.rack_w[0] == 10000);
    assert_true(f.rack_peak_w == 14000); /* the peak stays */
    assert_close(f.it_w.integral, 30000 + 32000 + 36000, 1e-15);
    assert_true(f.it_w.max == 36000);
    assert_true(f.it_w.min == 30000);
    assert_close(f.util_sum.value, 5.5, 1e-15);
    sl_fleet_release(&f);
    assert_null(f.util);
    assert_null(f.rack_w);
    sl_fleet_release(&f); /* release is idempotent */

    /* Exactly full racks, and one rack larger than the fleet. */
    make_scenario(&sc, &m, 8, 4, 1000, 5000);
    assert_int_equal(sl_fleet_init(&f, &sc, &g_calc, NULL, 0), SL_OK);
    assert_int_equal(f.nracks, 2);
    assert_true(f.rack_w[1] == 4000);
    sl_fleet_release(&f);
    make_scenario(&sc, &m, 3, 8, 1000, 5000);
    assert_int_equal(sl_fleet_init(&f, &sc, &g_calc, NULL, 1), SL_OK);
    assert_int_equal(f.nracks, 1);
    assert_true(f.rack_w[0] == 15000);
    assert_true(f.rack_peak_w == 15000);
    sl_fleet_release(&f);
}

/* Reference state kept by the test. */
struct ref {
    double idle_w, max_w;
    size_t n, per_rack, nracks;
    double *util;
    double energy_j, energy_c; /* Kahan sum and its compensation */
    double util_s;             /* integral of the utilisation sum, s */
    double peak_rack_w, max_w_seen, min_w_seen;
};

static double ref_rack(const struct ref *r, size_t k)
{
    double sum = 0;
    size_t hi = (k + 1) * r->per_rack < r->n ? (k + 1) * r->per_rack : r->n;
    for (size_t i = k * r->per_rack; i < hi; i++)
        sum += ref_power(r->idle_w, r->max_w, r->util[i]);
    return sum;
}

static double ref_total(const struct ref *r)
{
    double sum = 0;
    for (size_t k = 0; k < r->nracks; k++)
        sum += ref_rack(r, k);
    return sum;
}

static double ref_util_sum(const struct ref *r)
{
    double sum = 0;
    for (size_t i = 0; i < r->n; i++)
        sum += r->util[i];
    return sum;
}

static void ref_add_energy(struct ref *r, double joules)
{
    double y = joules - r->energy_c;
    double t = r->energy_j + y;
    r->energy_c = (t - r->energy_j) - y;
    r->energy_j = t;
}

static void check_racks(const struct sl_fleet *f, const struct ref *r)
{
    for (size_t k = 0; k < r->nracks; k++)
        assert_close(f->rack_w[k], ref_rack(r, k), 1e-9);
}

/* Random changes against an independent re-computation. */
static void run_random(int64_t servers, int64_t per_rack, double idle_w, double max_w,
                       uint64_t seed, int steps)
{
    struct sl_scenario sc;
    struct sl_server_model m;
    make_scenario(&sc, &m, servers, per_rack, idle_w, max_w);
    struct sl_fleet f;
    double u0 = 0.3;
    assert_int_equal(sl_fleet_init(&f, &sc, &g_calc, NULL, u0), SL_OK);

    struct ref r = {idle_w, max_w, (size_t)servers, (size_t)per_rack, 0, NULL, 0, 0, 0, 0, 0, 0};
    r.nracks = ((size_t)servers + r.per_rack - 1) / r.per_rack;
    assert_int_equal(f.nracks, r.nracks);
    r.util = calloc(r.n, sizeof *r.util);
    assert_non_null(r.util);

    /* Set-up at time 0: a distinct level per server, then start the
     * meters so the set-up does not count. */
    for (size_t i = 0; i < r.n; i++) {
        r.util[i] = uniform01(&seed);
        sl_fleet_set_util(&f, 0, i, r.util[i]);
    }
    sl_fleet_start_meters(&f);
    assert_true(f.it_w.integral == 0);
    assert_int_equal(f.it_w.last_us, 0);
    check_racks(&f, &r);
    r.peak_rack_w = 0;
    for (size_t k = 0; k < r.nracks; k++)
        r.peak_rack_w = fmax(r.peak_rack_w, ref_rack(&r, k));
    assert_close(f.rack_peak_w, r.peak_rack_w, 1e-12);
    double total = ref_total(&r);
    assert_close(f.it_w.value, total, 1e-12);
    r.max_w_seen = r.min_w_seen = total;

    int64_t now = 0, window_start = 0;
    double window_ref = 0, window_max_ref = total;
    for (int step = 0; step < steps; step++) {
        /* Strictly increasing times, one microsecond to 90 s apart.  Changes
         * at one instant are left out: the meters record the intermediate
         * states of such a batch as peaks, which is a question of what a
         * peak means, not of integration. */
        uint64_t x = splitmix64(&seed);
        int64_t dt = (x % 4 == 0) ? 1 : (int64_t)(x >> 40) % (90 * US_PER_S) + 1;
        double power_before = ref_total(&r), usum_before = ref_util_sum(&r);
        ref_add_energy(&r, power_before * (double)dt * 1e-6);
        r.util_s += usum_before * (double)dt * 1e-6;
        window_ref += power_before * (double)dt * 1e-6;
        now += dt;

        size_t i = (size_t)(splitmix64(&seed) % r.n);
        double u = uniform01(&seed);
        if (step % 17 == 0)
            u = 0;
        if (step % 19 == 0)
            u = 1;
        r.util[i] = u;
        sl_fleet_set_util(&f, now, i, u);

        total = ref_total(&r);
        for (size_t k = 0; k < r.nracks; k++)
            r.peak_rack_w = fmax(r.peak_rack_w, ref_rack(&r, k));
        r.max_w_seen = fmax(r.max_w_seen, total);
        r.min_w_seen = fmin(r.min_w_seen, total);
        window_max_ref = fmax(window_max_ref, total);

        assert_true(f.util[i] == u);
        assert_close(f.it_w.value, total, 1e-9);
        assert_close(f.util_sum.value, ref_util_sum(&r), 1e-9);
        assert_int_equal(f.it_w.last_us, now);
        if (step % 64 == 0)
            check_racks(&f, &r);

        /* Reporting windows of a simulated hour. */
        if (now - window_start >= 3600LL * US_PER_S) {
            assert_close(f.it_w.window_integral, window_ref, 1e-9);
            assert_close(f.it_w.window_max, window_max_ref, 1e-9);
            sl_meter_window_reset(&f.it_w);
            window_start = now;
            window_ref = 0;
            window_max_ref = total;
        }
    }
    /* Close the run a little later. */
    int64_t end = now + 12345;
    ref_add_energy(&r, ref_total(&r) * 12345e-6);
    r.util_s += ref_util_sum(&r) * 12345e-6;
    sl_meter_advance(&f.it_w, end);
    sl_meter_advance(&f.util_sum, end);

    assert_true(end > 1000LL * US_PER_S); /* the run spans many windows */
    assert_close(f.it_w.integral, r.energy_j, 1e-9);
    assert_close(f.util_sum.integral, r.util_s, 1e-9);
    check_racks(&f, &r);
    assert_close(f.rack_peak_w, r.peak_rack_w, 1e-9);
    assert_close(f.it_w.max, r.max_w_seen, 1e-9);
    assert_close(f.it_w.min, r.min_w_seen, 1e-9);
    /* The peak rack is a real rack state, and at least any rack now. */
    for (size_t k = 0; k < r.nracks; k++)
        assert_true(f.rack_peak_w >= f.rack_w[k] - 1e-9 * f.rack_peak_w);

    free(r.util);
    sl_fleet_release(&f);
}

static void test_fleet_random_partial_rack(void **state)
{
    (void)state;
    run_random(37, 8, 2800, 10200, 1, 50000); /* 5 racks, the last of 5 */
}

static void test_fleet_random_full_racks(void **state)
{
    (void)state;
    run_random(64, 16, 1500.5, 6400.25, 2, 20000);
}

static void test_fleet_random_one_server_racks(void **state)
{
    (void)state;
    run_random(9, 1, 300, 700, 3, 5000);
}

/* Drift injected into the incremental sums is removed by a re-sum, which
 * first integrates the (drifted) value up to now. */
static void test_fleet_resum(void **state)
{
    (void)state;
    struct sl_scenario sc;
    struct sl_server_model m;
    make_scenario(&sc, &m, 10, 4, 1000, 5000);
    struct sl_fleet f;
    assert_int_equal(sl_fleet_init(&f, &sc, &g_calc, NULL, 0), SL_OK);
    sl_fleet_set_util(&f, US_PER_S, 1, 0.5);  /* 10000 W -> 12000 W */
    sl_fleet_set_util(&f, US_PER_S, 9, 0.25); /* -> 13000 W */
    assert_close(f.it_w.integral, 10000, 1e-15);

    f.rack_w[0] += 7.5;
    f.rack_w[2] -= 3;
    f.it_w.value += 0.125;
    f.util_sum.value -= 0.01;
    sl_fleet_resum(&f, 2 * US_PER_S);
    assert_close(f.it_w.integral, 10000 + 13000.125, 1e-15);
    assert_true(f.rack_w[0] == 6000);
    assert_true(f.rack_w[1] == 4000);
    assert_true(f.rack_w[2] == 3000);
    assert_true(f.it_w.value == 13000);
    assert_true(f.util_sum.value == 0.75);
    assert_int_equal(f.it_w.last_us, 2 * US_PER_S);
    assert_int_equal(f.util_sum.last_us, 2 * US_PER_S);

    /* A re-sum of exact sums changes nothing but the time. */
    sl_fleet_resum(&f, 3 * US_PER_S);
    assert_true(f.it_w.value == 13000);
    assert_close(f.it_w.integral, 23000.125 + 13000, 1e-15);
    sl_fleet_release(&f);
}

/* sl_fleet_start_meters forgets the set-up: the swing of setting servers
 * one by one at time 0 is neither a peak nor a minimum. */
static void test_fleet_start_meters(void **state)
{
    (void)state;
    struct sl_scenario sc;
    struct sl_server_model m;
    make_scenario(&sc, &m, 6, 3, 1000, 5000);
    struct sl_fleet f;
    assert_int_equal(sl_fleet_init(&f, &sc, &g_calc, NULL, 1), SL_OK);
    assert_true(f.rack_peak_w == 15000);
    for (size_t i = 0; i < 6; i++)
        sl_fleet_set_util(&f, 0, i, 0.25);
    /* Nothing was held for any time yet, so the swing is not a peak. */
    assert_true(f.it_w.max == -INFINITY);
    assert_true(f.rack_peak_w == 15000); /* racks count instants: still visible */
    sl_fleet_start_meters(&f);
    assert_true(f.rack_peak_w == 6000);
    assert_true(f.it_w.value == 12000);
    assert_true(f.it_w.max == -INFINITY && f.it_w.min == INFINITY);
    assert_true(f.it_w.window_max == -INFINITY);
    assert_true(f.it_w.integral == 0 && f.it_w.window_integral == 0);
    assert_true(f.util_sum.value == 1.5);
    sl_fleet_set_util(&f, 2 * US_PER_S, 5, 0.5);
    assert_close(f.it_w.integral, 24000, 1e-15);
    assert_true(f.it_w.max == 12000 && f.it_w.min == 12000); /* 12 kW held for 2 s */
    assert_true(f.util_sum.max == 1.5);
    sl_meter_advance(&f.it_w, 3 * US_PER_S);
    assert_true(f.it_w.max == 13000);
    assert_true(f.rack_peak_w == 7000);
    sl_fleet_release(&f);
}

static void test_fleet_alloc_failure(void **state)
{
    (void)state;
    struct sl_scenario sc;
    struct sl_server_model m;
    make_scenario(&sc, &m, 10, 4, 1000, 5000);
    int failures = 0;
    for (long budget = 0;; budget++) {
        struct torture t = {budget, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        struct sl_fleet f;
        int rc = sl_fleet_init(&f, &sc, &g_calc, NULL, 0.5);
        if (rc == SL_OK) {
            sl_fleet_release(&f);
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(t.live, 0);
            break;
        }
        sl_alloc_set_hook(NULL, NULL);
        assert_int_equal(rc, SL_ENOMEM);
        assert_int_equal(t.live, 0);
        assert_null(f.util);
        assert_null(f.rack_w);
        sl_fleet_release(&f);
        failures++;
        assert_true(budget < 10);
    }
    assert_int_equal(failures, 4); /* utilisations, server powers, rack sums, rack inputs */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_power),
        cmocka_unit_test(test_meter_piecewise),
        cmocka_unit_test(test_meter_fine_steps),
        cmocka_unit_test(test_fleet_init_partial_rack),
        cmocka_unit_test(test_fleet_random_partial_rack),
        cmocka_unit_test(test_fleet_random_full_racks),
        cmocka_unit_test(test_fleet_random_one_server_racks),
        cmocka_unit_test(test_fleet_resum),
        cmocka_unit_test(test_fleet_start_meters),
        cmocka_unit_test_teardown(test_fleet_alloc_failure, restore_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
