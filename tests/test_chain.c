/*
 * Power-chain stages (src/power/chain.c) and PSU curves (src/power/psu.c):
 * the 80 PLUS points, loss terms, redundancy and sizing, the below-table
 * rule, validation, and the server power built on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fleet/server.h"
#include "suanli/catalog.h"
#include "suanli/chain.h"

static const struct sl_server_model *server(const char *name)
{
    for (size_t i = 0; i < sl_catalog_server_count(); i++)
        if (strcmp(sl_catalog_server(i)->name, name) == 0)
            return sl_catalog_server(i);
    fail_msg("no server %s", name);
    return NULL;
}

static const struct sl_device_model *device(const char *name)
{
    for (size_t i = 0; i < sl_catalog_device_count(); i++)
        if (strcmp(sl_catalog_device(i)->name, name) == 0)
            return sl_catalog_device(i);
    return NULL;
}

static const struct sl_cpu_model *cpu(const char *name)
{
    for (size_t i = 0; i < sl_catalog_cpu_count(); i++)
        if (strcmp(sl_catalog_cpu(i)->name, name) == 0)
            return sl_catalog_cpu(i);
    return NULL;
}

static void init_calc(struct sl_server_calc *c, const char *srv, const char *chain, double liquid)
{
    const struct sl_server_model *m = server(srv);
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_server_calc_init(c, m, device(m->device), cpu(m->cpu),
                                         sl_chain_find_preset(chain), liquid, 0, &d),
                     SL_OK);
}

/* The PSU stage built from a server reproduces the 80 PLUS points exactly. */
static void test_80plus_points(void **state)
{
    (void)state;
    static const struct {
        const char *server;
        double load, eff;
    } pts[] = {
        {"hgx-h100", 0.1, 0.90}, {"hgx-h100", 0.2, 0.94}, {"hgx-h100", 0.5, 0.96},
        {"hgx-h100", 1.0, 0.91}, {"t1008", 0.2, 0.90},    {"t1008", 0.5, 0.94},
        {"t1008", 1.0, 0.91},
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        struct sl_server_calc c;
        init_calc(&c, pts[i].server, "ac-2n-ups", 0);
        double eff = sl_stage_efficiency(&c.psu, pts[i].load);
        if (fabs(eff - pts[i].eff) > 1e-12)
            fail_msg("%s at %.0f %%: %.6f, want %.2f", pts[i].server, pts[i].load * 100, eff,
                     pts[i].eff);
    }
    /* Between points: linear interpolation of efficiency. */
    struct sl_server_calc c;
    init_calc(&c, "t1008", "ac-2n-ups", 0);
    assert_true(fabs(sl_stage_efficiency(&c.psu, 0.35) - 0.92) < 1e-12);
    /* Below the first point half the loss is fixed: at zero output the
     * input is half the loss at 20 % load. */
    double cap = c.psu.rating_w * (double)c.psu.units;
    double loss20 = 0.2 * cap * (1 / 0.90 - 1);
    assert_true(fabs(sl_stage_input_w(&c.psu, cap, 0) - 0.5 * loss20) < 1e-9);
    /* ...so efficiency keeps falling below 20 % load: 0.1 / (0.1 + 0.75 x
     * loss20 / cap) = 0.857 at 10 %. */
    assert_true(fabs(sl_stage_efficiency(&c.psu, 0.1) - 0.1 / (0.1 + 0.75 * 0.2 / 9)) < 1e-12);
}

/* Each grade of enum sl_psu_grade has its name at its index of
 * sl_psu_grade_names and its 80 PLUS curve from sl_psu_curve, point for
 * point with the programme's table (power-cooling.md 1.1). */
static void test_psu_curve_grades(void **state)
{
    (void)state;
    static const struct {
        int grade;
        const char *name;
        size_t n;
        double load0, eff50;
    } want[] = {
        {SL_PSU_TITANIUM, "titanium", 4, 0.1, 0.96}, {SL_PSU_PLATINUM, "platinum", 3, 0.2, 0.94},
        {SL_PSU_GOLD, "gold", 3, 0.2, 0.92},         {SL_PSU_SILVER, "silver", 3, 0.2, 0.89},
        {SL_PSU_BRONZE, "bronze", 3, 0.2, 0.85},
    };
    assert_int_equal(sizeof want / sizeof want[0], SL_PSU_GRADE_COUNT);
    assert_null(sl_psu_grade_names[SL_PSU_GRADE_COUNT]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_string_equal(sl_psu_grade_names[want[i].grade], want[i].name);
        const double *loads, *effs;
        size_t n = sl_psu_curve(want[i].grade, &loads, &effs);
        assert_int_equal(n, want[i].n);
        assert_true(loads[0] == want[i].load0);
        assert_true(loads[n - 2] == 0.5 && loads[n - 1] == 1.0);
        assert_true(effs[n - 2] == want[i].eff50);
        for (size_t k = 1; k < n; k++)
            assert_true(loads[k] > loads[k - 1]);
    }
    /* Unknown grades read as Platinum. */
    const double *lp, *ep, *lx, *ex;
    sl_psu_curve(SL_PSU_PLATINUM, &lp, &ep);
    assert_int_equal(sl_psu_curve(SL_PSU_GRADE_COUNT, &lx, &ex), 3);
    assert_ptr_equal(ex, ep);
    assert_int_equal(sl_psu_curve(-1, &lx, &ex), 3);
    assert_ptr_equal(ex, ep);
}

static void test_loss_terms_and_redundancy(void **state)
{
    (void)state;
    const struct sl_chain_spec *ac = sl_chain_find_preset("ac-2n-ups");
    const struct sl_stage_spec *ups = &((const struct sl_stage_spec *)ac->stages.items)[1];
    assert_string_equal(ups->name, "ups");
    /* Legacy double conversion: ~93 % at 35 % load, ~95 % at full load. */
    assert_true(fabs(sl_stage_efficiency(ups, 0.35) - 0.93) < 0.005);
    assert_true(fabs(sl_stage_efficiency(ups, 1.0) - 0.95) < 0.005);
    /* Efficiency falls at light load (no-load loss). */
    assert_true(sl_stage_efficiency(ups, 0.1) < sl_stage_efficiency(ups, 0.35));
    /* 2N: installed capacity twice the design load when sized at 1.0. */
    assert_int_equal(sl_stage_installed(ups), 2);
    assert_true(sl_stage_capacity_w(ups, 1e6) == 2e6);
    /* N+1 of 4 modules: 5/4 of the design. */
    const struct sl_chain_spec *dc = sl_chain_find_preset("dc-800-sst");
    const struct sl_stage_spec *sst = dc->stages.items;
    assert_int_equal(sl_stage_installed(sst), 5);
    assert_true(fabs(sl_stage_capacity_w(sst, 4e6) - 5e6) < 1e-6);
    /* A constant-efficiency stage. */
    const struct sl_stage_spec *pdu = &((const struct sl_stage_spec *)ac->stages.items)[2];
    assert_true(fabs(sl_stage_input_w(pdu, 1, 980) - 1000) < 1e-9);
}

/* The server at card activity u (the whole idle-to-TDP range) with each
 * card limited to cap_w (0: none), hosts as busy as the cards. */
static void eval_at(const struct sl_server_calc *c, double u, double cap_w,
                    struct sl_server_power *p)
{
    double card = c->dev->idle_w + (c->dev->tdp_w - c->dev->idle_w) * u;
    if (cap_w > 0 && card > cap_w)
        card = cap_w > c->dev->idle_w ? cap_w : c->dev->idle_w;
    sl_server_eval(c, (double)c->m->cards * card, u, p);
}

/* The reference's derived grid-to-chip products (power-cooling.md 1.4) at
 * the loads the stages see in a 2N design near 80 % utilisation. */
static void test_chain_products(void **state)
{
    (void)state;
    struct {
        const char *chain;
        double want;
    } cases[] = {{"ac-2n-ups", 0.74}, {"dc-800-sst", 0.86}};
    for (size_t i = 0; i < 2; i++) {
        const struct sl_chain_spec *ch = sl_chain_find_preset(cases[i].chain);
        struct sl_server_calc c;
        init_calc(&c, "t1008", cases[i].chain, 0);
        struct sl_server_power p;
        eval_at(&c, 0.8, 0, &p);
        double eff = p.dc_w / p.input_w * c.board_eff; /* server and board stages */
        const struct sl_stage_spec *st = ch->stages.items;
        for (size_t k = 0; k < ch->stages.n; k++) {
            if (st[k].scope == SL_SCOPE_FACILITY || st[k].scope == SL_SCOPE_RACK) {
                double design = 1.0, out = 0.8 * 0.94; /* ~80 % of design */
                double cap = sl_stage_capacity_w(&st[k], design);
                eff *= out / sl_stage_input_w(&st[k], cap, out);
            }
        }
        if (fabs(eff - cases[i].want) > 0.03)
            fail_msg("%s: grid to chip %.3f, reference %.2f", cases[i].chain, eff, cases[i].want);
    }
}

static void test_server_power(void **state)
{
    (void)state;
    struct sl_server_calc c;
    struct sl_server_power full, idle;
    /* The brief's 4U 8-card server: about 5.4 kW at full load; idle
     * 1.2-1.4 kW (hardware-perf.md 4). */
    init_calc(&c, "t1008", "ac-2n-ups", 0);
    eval_at(&c, 1, 0, &full);
    eval_at(&c, 0, 0, &idle);
    assert_true(full.input_w > 5300 && full.input_w < 5550);
    assert_true(idle.input_w > 1200 && idle.input_w < 1400);
    assert_true(full.fan_w == 400);
    /* HGX H100: 8.4 kW measured max, 10.2 kW rated. */
    init_calc(&c, "hgx-h100", "ac-2n-ups", 0);
    eval_at(&c, 1, 0, &full);
    assert_true(full.input_w > 8000 && full.input_w < 9000);
    /* Cold plates take most of the fans' work away. */
    init_calc(&c, "t1008", "ac-2n-ups", 0.8);
    eval_at(&c, 1, 0, &full);
    assert_true(full.fan_w < 150);
    assert_true(fabs(full.liquid_heat_w - 0.8 * full.board_w) < 1e-9);
    /* A cap lowers the cards' power and the server's. */
    struct sl_server_power capped;
    eval_at(&c, 1, 300, &capped);
    assert_true(capped.board_w < full.board_w);
    assert_true(capped.input_w < full.input_w);
    /* Monotone in load. */
    double prev = 0;
    for (int i = 0; i <= 20; i++) {
        struct sl_server_power p;
        eval_at(&c, i / 20.0, 0, &p);
        assert_true(p.input_w > prev);
        prev = p.input_w;
    }
}

static void test_psu_overload_rejected(void **state)
{
    (void)state;
    struct sl_server_model m = *server("t1008");
    m.psu_rating_w = 1000; /* 2 usable x 1 kW cannot carry 5 kW */
    struct sl_server_calc c;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_server_calc_init(&c, &m, device(m.device), cpu(m.cpu),
                                         sl_chain_find_preset("ac-2n-ups"), 0, 0, &d),
                     SL_EINVAL);
    assert_non_null(strstr(d.msg, "cannot carry"));
}

static void test_validation(void **state)
{
    /* Writable names for the `char *` fields (suanli/list.h). */
    static char vrm_name[] = "vrm", ups_name[] = "ups", bad_name[] = "bad";
    (void)state;
    for (size_t i = 0; i < sl_chain_preset_count(); i++) {
        struct sl_diag d;
        sl_diag_clear(&d);
        assert_int_equal(sl_chain_validate(sl_chain_preset(i), &d), SL_OK);
    }
    struct sl_stage_spec st[2];
    memset(st, 0, sizeof st);
    st[0].name = vrm_name;
    st[0].scope = SL_SCOPE_BOARD;
    st[0].efficiency = 0.9;
    st[1].name = ups_name;
    st[1].scope = SL_SCOPE_FACILITY;
    st[1].efficiency = 0.95;
    struct sl_chain_spec c = {.name = bad_name, .stages = {st, 2, NULL}};
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_chain_validate(&c, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "wider scope"));
    c.stages.n = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_chain_validate(&c, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "no stages"));
    st[0].scope = SL_SCOPE_FACILITY;
    st[0].from_server = 1;
    c.stages.n = 1;
    sl_diag_clear(&d);
    assert_int_equal(sl_chain_validate(&c, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "server scope"));
    st[0].from_server = 0;
    st[0].efficiency = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_chain_validate(&c, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "no efficiency"));
    struct sl_eff_point pts[2] = {{0.5, 0.9}, {0.2, 0.95}};
    st[0].curve.items = pts;
    st[0].curve.n = 2;
    sl_diag_clear(&d);
    assert_int_equal(sl_chain_validate(&c, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "increasing load"));
}

static void test_device_phases(void **state)
{
    (void)state;
    const struct sl_device_model *h = device("h100-sxm");
    const struct sl_phase_model *pm = sl_default_phase_model();
    assert_true(sl_device_power_w(h, pm, SL_PHASE_IDLE, 1, 0) == h->idle_w);
    assert_true(sl_device_power_w(h, pm, SL_PHASE_PREFILL, 1, 0) == h->tdp_w);
    double dec = sl_device_power_w(h, pm, SL_PHASE_DECODE, 1, 0);
    /* Memory-bound decode draws 55-70 % of TDP (hardware-perf.md 4). */
    assert_true(dec > 0.55 * h->tdp_w && dec < 0.70 * h->tdp_w);
    /* Under a cap: prefill slows in proportion, decode barely. */
    double cap = 450;
    double s_pre = sl_device_speed(h, pm, SL_PHASE_PREFILL, 1, cap);
    double s_dec = sl_device_speed(h, pm, SL_PHASE_DECODE, 1, cap);
    assert_true(fabs(s_pre - (cap - h->idle_w) / (h->tdp_w - h->idle_w)) < 1e-12);
    assert_true(s_dec > 0.95);
    assert_true(sl_device_power_w(h, pm, SL_PHASE_PREFILL, 1, cap) == cap);
    assert_true(sl_device_speed(h, pm, SL_PHASE_PREFILL, 1, 0) == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_80plus_points),
        cmocka_unit_test(test_loss_terms_and_redundancy),
        cmocka_unit_test(test_chain_products),
        cmocka_unit_test(test_server_power),
        cmocka_unit_test(test_psu_overload_rejected),
        cmocka_unit_test(test_psu_curve_grades),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_device_phases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
