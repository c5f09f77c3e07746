/*
 * Tests for the cooling plants (src/facility/cooling.c).
 *
 * The chiller regression is checked against the values the reference
 * derives from it (reference/power-cooling.md sec. 2.1) and for its
 * clamping.  Fan, pump and chiller powers are checked against numbers
 * worked out by hand (the arithmetic is in the comments) for full, partial
 * and no free cooling on both the air and the liquid side.  Properties:
 * zero heat costs nothing, every output is finite and non-negative over a
 * grid of inputs, power never falls with heat or with warmer weather, and
 * heat above capacity is reported as unmet with an inlet temperature rise.
 *
 * The calibration test runs each preset over a proxy year for Chengde and
 * Xinghua (reference sec. 3: monthly mean dry and wet bulb, Dongtai standing
 * in for Xinghua; 24 hours a month with a +-4 K dry-bulb and +-2 K wet-bulb
 * diurnal sine peaking at 15:00; months weighted by their days) at a
 * constant 80 % of a 6.9 MW t1008 fleet, accelerator + CPU boards 76 % of IT,
 * and checks the annual cooling/IT ratios against the project's targets:
 * air 0.15-0.30 (warmer at Xinghua), cold plate 0.04-0.12, immersion below
 * cold plate.  It prints the ratios for docs/model.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "suanli/cooling.h"
#include "suanli/diag.h"

#define PI 3.14159265358979323846

/* The t1008 fleet of the default scenario (about 10,240 cards). */
#define IT_DESIGN_W 6.9e6
#define BOARD_SHARE 0.76 /* accelerators + CPUs, of IT power */
#define LOAD        0.8

static const struct sl_cooling_spec *preset(const char *name)
{
    const struct sl_cooling_spec *s = sl_cooling_find_preset(name);
    assert_non_null(s);
    return s;
}

static void assert_near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.6f, want %.6f +- %g", what, got, want, tol);
}

/* Share of IT heat that goes to liquid for a preset. */
static double liquid_fraction(const struct sl_cooling_spec *s)
{
    switch (s->kind) {
    case SL_COOLING_COLD_PLATE:
        return s->liquid_share * BOARD_SHARE;
    case SL_COOLING_IMMERSION:
        return s->liquid_share;
    default:
        return 0;
    }
}

/* Evaluates a preset for IT heat it_w split as the preset says, with the
 * fleet's design heat split the same way. */
static void eval_it(const struct sl_cooling_spec *s, double it_w, double t_db, double t_wb,
                    struct sl_cooling_result *r)
{
    double lf = liquid_fraction(s);
    sl_cooling_eval(s, it_w * (1 - lf), it_w * lf, t_db, t_wb, IT_DESIGN_W * (1 - lf),
                    IT_DESIGN_W * lf, r);
}

static void check_sane(const struct sl_cooling_result *r, const char *what)
{
    const double v[] = {r->total_w,         r->crah_fan_w,   r->chw_pump_w,          r->chiller_w,
                        r->cw_pump_w,       r->tower_fan_w,  r->cdu_pump_w,          r->fw_pump_w,
                        r->drycooler_fan_w, r->free_cooling, r->liquid_free_cooling, r->unmet_w,
                        r->inlet_rise_k};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            fail_msg("%s: field %zu is %g", what, i, v[i]);
    if (r->free_cooling > 1 || r->liquid_free_cooling > 1)
        fail_msg("%s: free-cooling share above 1", what);
    double sum = r->crah_fan_w + r->chw_pump_w + r->chiller_w + r->cw_pump_w + r->tower_fan_w +
                 r->cdu_pump_w + r->fw_pump_w + r->drycooler_fan_w;
    assert_near(r->total_w, sum, 1e-6 * (1 + sum), "total = sum of parts");
}

/* ---- Chiller regression. */

static void test_chiller_cop_reference(void **state)
{
    (void)state;
    /* reference/power-cooling.md sec. 2.1: load 0.5. */
    const double t[] = {15, 20, 25, 30, 32};
    const double cop[] = {10.8, 8.8, 7.2, 6.0, 5.7};
    for (size_t i = 0; i < 5; i++) {
        char what[64];
        snprintf(what, sizeof what, "COP(0.5, %g C)", t[i]);
        assert_near(sl_chiller_cop(0.5, t[i]), cop[i], 0.1, what);
    }
    /* Exact value of the polynomial at one point, to 1e-9. */
    assert_near(sl_chiller_cop(0.5, 13.0), 11.76504975, 1e-9, "COP(0.5, 13 C)");
}

static void test_chiller_cop_clamped(void **state)
{
    (void)state;
    assert_true(sl_chiller_cop(0.01, 20) == sl_chiller_cop(0.1, 20));
    assert_true(sl_chiller_cop(0.0, 20) == sl_chiller_cop(0.1, 20));
    assert_true(sl_chiller_cop(3.0, 20) == sl_chiller_cop(1.0, 20));
    assert_true(sl_chiller_cop(0.5, 50) == sl_chiller_cop(0.5, 35));
    assert_true(sl_chiller_cop(0.5, -30) == sl_chiller_cop(0.5, 10));
    assert_true(isfinite(sl_chiller_cop(NAN, NAN)));
    /* Positive and sane everywhere; falls with condenser temperature. */
    for (double load = 0; load <= 1.2; load += 0.05) {
        double prev = INFINITY;
        for (double tc = 0; tc <= 45; tc += 0.5) {
            double c = sl_chiller_cop(load, tc);
            if (!(c >= 2.0 && c <= 14.0))
                fail_msg("COP(%g, %g) = %g outside 2..14", load, tc, c);
            if (c > prev)
                fail_msg("COP rises with t at load %g, t %g", load, tc);
            prev = c;
        }
    }
}

/* ---- Economizer. */

static void test_full_free_cooling_chengde_january(void **state)
{
    (void)state;
    struct sl_cooling_result r;
    eval_it(preset("air-chilled-water"), LOAD * IT_DESIGN_W, -9.0, -11.0, &r);
    check_sane(&r, "Chengde January");
    assert_true(r.chiller_w == 0.0);
    assert_true(r.free_cooling == 1.0);
    /* The tower still rejects the heat. */
    assert_true(r.tower_fan_w > 0 && r.cw_pump_w > 0);
    assert_true(r.crah_fan_w > 0 && r.chw_pump_w > 0);
}

static void test_no_free_cooling_humid_summer(void **state)
{
    (void)state;
    struct sl_cooling_result r;
    eval_it(preset("air-chilled-water"), LOAD * IT_DESIGN_W, 31.0, 26.0, &r);
    check_sane(&r, "T_wb 26 C");
    assert_true(r.free_cooling == 0.0);
    assert_true(r.chiller_w > 0);
    /* Edges: full free cooling while T_wb + 4 + 2 <= 12 C, none from 18 C. */
    eval_it(preset("air-chilled-water"), LOAD * IT_DESIGN_W, 10.0, 6.0, &r);
    assert_true(r.free_cooling == 1.0 && r.chiller_w == 0.0);
    eval_it(preset("air-chilled-water"), LOAD * IT_DESIGN_W, 14.0, 12.0, &r);
    assert_true(r.free_cooling == 0.0 && r.chiller_w > 0);
    eval_it(preset("air-chilled-water"), LOAD * IT_DESIGN_W, 11.0, 9.0, &r);
    assert_near(r.free_cooling, 0.5, 1e-12, "half free at T_wb 9 C");
    eval_it(preset("air-chilled-water"), LOAD * IT_DESIGN_W, 12.0, 10.5, &r);
    assert_near(r.free_cooling, 0.25, 1e-12, "quarter free at T_wb 10.5 C");
}

/* ---- Hand calculations (air 1.2 kg/m^3, 1006 J/(kg K); water 998 kg/m^3,
 * 4186 J/(kg K)). */

static void test_air_side_hand_calculation(void **state)
{
    (void)state;
    struct sl_cooling_spec s = *preset("air-chilled-water");
    s.chiller_capacity_share = 1.0;
    struct sl_cooling_result r;

    /* 1 MW of room heat, full free cooling.
     * CRAH: 1e6 / (1006 * 10) = 99.404 kg/s, / 1.2 = 82.837 m^3/s,
     *       * 700 Pa / 0.7 = 82836.3 W.
     * CHW pump: 1e6 / (4186 * 6) = 39.815 kg/s, / 998 = 0.039895 m^3/s,
     *       * 150 kPa / 0.7 = 8548.9 W.
     * CW pump (rejects 1 MW): 1e6 / (4186 * 5) = 47.778 kg/s, / 998
     *       * 210 kPa / 0.7 = 14362.2 W.
     * Tower: air 47.778 kg/s / LG 1.0, / 1.2 * 300 Pa / 0.7 = 17063.7 W. */
    sl_cooling_eval(&s, 1e6, 0, 0.0, -5.0, 1e6, 0, &r);
    check_sane(&r, "hand, full free");
    assert_near(r.crah_fan_w, 82836.3, 0.1, "CRAH fans");
    assert_near(r.chw_pump_w, 8548.9, 0.1, "CHW pump");
    assert_near(r.cw_pump_w, 14362.2, 0.1, "CW pump");
    assert_near(r.tower_fan_w, 17063.7, 0.1, "tower fans");
    assert_true(r.chiller_w == 0);
    assert_near(r.total_w, 82836.3 + 8548.9 + 14362.2 + 17063.7, 0.5, "total");

    /* T_wb 9 C: economizer at 9 + 4 + 2 = 15 C, halfway between 12 and 18:
     * the chiller carries 0.5 MW of a 1 MW-capacity chiller (PLR 0.5) at
     * t = 13 C: COP = 16.798751 + 0.00884 * 169 - 8.528931 * 0.25
     * + 9.885294 * 0.5 - 0.760621 * 13 + 0.084615 * 6.5 = 11.76505,
     * P = 0.5e6 / 11.76505 = 42498.76 W.  The tower rejects 1042498.76 W:
     * CW pump 14972.59 W, tower fans 17788.87 W. */
    sl_cooling_eval(&s, 1e6, 0, 12.0, 9.0, 1e6, 0, &r);
    check_sane(&r, "hand, partial");
    assert_near(r.free_cooling, 0.5, 1e-12, "free share");
    assert_near(r.chiller_w, 42498.76, 0.01, "chiller");
    assert_near(r.cw_pump_w, 14972.59, 0.01, "CW pump, partial");
    assert_near(r.tower_fan_w, 17788.87, 0.01, "tower fans, partial");
    assert_near(r.crah_fan_w, 82836.3, 0.1, "CRAH fans, partial");
}

static void test_liquid_side_hand_calculation(void **state)
{
    (void)state;
    struct sl_cooling_spec s = *preset("liquid-cold-plate");
    struct sl_cooling_result r;

    /* 1 MW to liquid only, T_db 10 C: dry coolers free (10 + 5 <= 30).
     * CDU: 1e6 / (4186 * 8) = 29.861 kg/s, / 998 * 200 kPa / 0.7 = 8548.9 W.
     * Primary: same flow * 150 kPa / 0.7 = 6411.7 W.
     * Dry coolers: speed 13 K / (38 - 10) K = 0.4643, cubed 0.10009:
     *       0.02 * 1e6 * 0.10009 = 2001.6 W. */
    sl_cooling_eval(&s, 0, 1e6, 10.0, 5.0, 0, 1e6, &r);
    check_sane(&r, "hand, liquid free");
    assert_near(r.cdu_pump_w, 8548.9, 0.1, "CDU pump");
    assert_near(r.fw_pump_w, 6411.7, 0.1, "primary pump");
    assert_near(r.drycooler_fan_w, 2001.6, 0.1, "dry-cooler fans");
    assert_true(r.chiller_w == 0 && r.liquid_free_cooling == 1);
    assert_true(r.crah_fan_w == 0 && r.tower_fan_w == 0 && r.cw_pump_w == 0);

    /* Winter: fans at their 25 % floor, 0.02 * 1e6 * 0.25^3 = 312.5 W. */
    sl_cooling_eval(&s, 0, 1e6, -20.0, -22.0, 0, 1e6, &r);
    assert_near(r.drycooler_fan_w, 312.5, 1e-6, "dry-cooler fans at minimum speed");

    /* T_db 29 C: 29 + 5 = 34, halfway between 30 and 38: the trim chiller
     * (2 MW capacity) carries 0.5 MW, PLR 0.25, t = 34 C:
     * COP = 16.798751 + 0.00884 * 1156 - 8.528931 * 0.0625 + 9.885294 * 0.25
     * - 0.760621 * 34 + 0.084615 * 8.5 = 3.81417, P = 131090.13 W.
     * Rejected 1131090.13 W: primary pump 7252.22 W, dry coolers at full
     * speed 22621.80 W. */
    sl_cooling_eval(&s, 0, 1e6, 29.0, 20.0, 0, 1e6, &r);
    check_sane(&r, "hand, liquid partial");
    assert_near(r.liquid_free_cooling, 0.5, 1e-12, "liquid free share");
    assert_near(r.chiller_w, 131090.13, 0.01, "trim chiller");
    assert_near(r.fw_pump_w, 7252.22, 0.01, "primary pump, partial");
    assert_near(r.drycooler_fan_w, 22621.80, 0.01, "dry coolers, partial");
    assert_near(r.cdu_pump_w, 8548.9, 0.1, "CDU pump, partial");
}

static void test_liquid_tower_rejection(void **state)
{
    (void)state;
    struct sl_cooling_spec s = *preset("liquid-cold-plate");
    s.rejection = SL_REJECT_TOWER;
    struct sl_cooling_result r;
    /* Free up to T_wb + 4 + 2 = 30 C (reference sec. 2.3: T_wb <= 24). */
    sl_cooling_eval(&s, 0, 1e6, 40.0, 24.0, 0, 1e6, &r);
    check_sane(&r, "tower, T_wb 24");
    assert_true(r.liquid_free_cooling == 1 && r.chiller_w == 0);
    assert_true(r.drycooler_fan_w == 0);
    /* The tower rejects 1 MW: same CW pump and fans as the air-side hand
     * calculation. */
    assert_near(r.cw_pump_w, 14362.2, 0.1, "CW pump, liquid tower");
    assert_near(r.tower_fan_w, 17063.7, 0.1, "tower fans, liquid tower");
    sl_cooling_eval(&s, 0, 1e6, 40.0, 26.0, 0, 1e6, &r);
    assert_near(r.liquid_free_cooling, 0.75, 1e-12, "tower, T_wb 26");
    assert_true(r.chiller_w > 0);
}

/* ---- Properties. */

static void test_zero_heat_zero_power(void **state)
{
    (void)state;
    const double tdb[] = {-30, 0, 20, 35, 45};
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        const struct sl_cooling_spec *s = sl_cooling_preset(i);
        for (size_t k = 0; k < 5; k++) {
            struct sl_cooling_result r;
            sl_cooling_eval(s, 0, 0, tdb[k], tdb[k] - 3, IT_DESIGN_W, IT_DESIGN_W, &r);
            check_sane(&r, s->name);
            /* No heat, no flow: every fan, pump and chiller off. */
            assert_true(r.total_w == 0 && r.crah_fan_w == 0 && r.chw_pump_w == 0 &&
                        r.chiller_w == 0 && r.cw_pump_w == 0 && r.tower_fan_w == 0 &&
                        r.cdu_pump_w == 0 && r.fw_pump_w == 0 && r.drycooler_fan_w == 0);
            assert_true(r.unmet_w == 0 && r.inlet_rise_k == 0);
        }
    }
}

static void test_finite_nonnegative_grid(void **state)
{
    (void)state;
    const double heat[] = {0, 1, 1e3, 1e6, 5.52e6, 6.9e6, 1e8, 1e12};
    const double design[] = {0, 1e3, 6.9e6, 1e12};
    const double temp[] = {-60, -11, 0, 12, 24.5, 33, 40, 60};
    char what[128];
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        const struct sl_cooling_spec *s = sl_cooling_preset(i);
        for (size_t a = 0; a < 8; a++)
            for (size_t l = 0; l < 8; l++)
                for (size_t dd = 0; dd < 4; dd++)
                    for (size_t t = 0; t < 8; t++) {
                        struct sl_cooling_result r;
                        sl_cooling_eval(s, heat[a], heat[l], temp[t], temp[t] - 4, design[dd],
                                        design[dd] / 2, &r);
                        snprintf(what, sizeof what, "%s air %g liq %g design %g t %g", s->name,
                                 heat[a], heat[l], design[dd], temp[t]);
                        check_sane(&r, what);
                        if (heat[a] + heat[l] > 0 && design[dd] == 0) {
                            assert_true(r.unmet_w == heat[a] + heat[l]);
                            assert_true(r.total_w == 0);
                        }
                    }
    }
    /* Negative heat counts as none. */
    struct sl_cooling_result r;
    sl_cooling_eval(preset("immersion"), -5e6, -1.0, 20, 15, IT_DESIGN_W, IT_DESIGN_W, &r);
    check_sane(&r, "negative heat");
    assert_true(r.total_w == 0);
}

static void test_monotone_in_heat(void **state)
{
    (void)state;
    const double tdb[] = {-9, 12, 22.5, 27.3, 31, 38};
    const double twb[] = {-11, 5, 15.8, 25.0, 27, 28};
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        const struct sl_cooling_spec *s = sl_cooling_preset(i);
        for (size_t k = 0; k < 6; k++) {
            double prev = -1;
            struct sl_cooling_result r;
            /* 0 to 1.5x design: past the 1.2x capacity. */
            for (int step = 0; step <= 300; step++) {
                eval_it(s, IT_DESIGN_W * step / 200.0, tdb[k], twb[k], &r);
                check_sane(&r, s->name);
                /* Past capacity the power is flat up to rounding of the
                 * proportional split (1e-16 relative). */
                if (r.total_w < prev * (1 - 1e-12))
                    fail_msg("%s at %g/%g C: power falls from %g to %g W at heat step %d", s->name,
                             tdb[k], twb[k], prev, r.total_w, step);
                prev = r.total_w;
            }
            /* It does rise: full load costs more than half load. */
            struct sl_cooling_result half;
            eval_it(s, IT_DESIGN_W / 2, tdb[k], twb[k], &half);
            eval_it(s, IT_DESIGN_W, tdb[k], twb[k], &r);
            assert_true(r.total_w > half.total_w);
        }
    }
}

static void test_monotone_in_outdoor_temperature(void **state)
{
    (void)state;
    /* Dry bulb and wet bulb rise together, at several wet-bulb depressions;
     * the sweep crosses every economizer and dry-cooler regime. */
    const double depression[] = {0, 2, 5, 10};
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        const struct sl_cooling_spec *s = sl_cooling_preset(i);
        for (size_t k = 0; k < 4; k++) {
            double prev = -1, first = -1;
            struct sl_cooling_result r;
            for (double tdb = -25; tdb <= 45; tdb += 0.125) {
                eval_it(s, LOAD * IT_DESIGN_W, tdb, tdb - depression[k], &r);
                check_sane(&r, s->name);
                if (r.total_w < prev)
                    fail_msg("%s: power falls from %g to %g W at T_db %g, T_wb %g", s->name, prev,
                             r.total_w, tdb, tdb - depression[k]);
                if (first < 0)
                    first = r.total_w;
                prev = r.total_w;
            }
            /* And it does rise: summer costs well over winter. */
            if (!(prev > 1.2 * first))
                fail_msg("%s: power %g W at 45 C vs %g W at -25 C", s->name, prev, first);
        }
        /* Each temperature alone, the other held. */
        double prev_db = -1, prev_wb = -1;
        for (double t = -25; t <= 45; t += 0.25) {
            struct sl_cooling_result a, b;
            eval_it(s, LOAD * IT_DESIGN_W, t, 10.0, &a);
            eval_it(s, LOAD * IT_DESIGN_W, 30.0, t - 5, &b);
            assert_true(a.total_w >= prev_db);
            assert_true(b.total_w >= prev_wb);
            prev_db = a.total_w;
            prev_wb = b.total_w;
        }
    }
}

static void test_capacity_exceeded(void **state)
{
    (void)state;
    const struct sl_cooling_spec *s = preset("air-chilled-water");
    struct sl_cooling_result at_cap, over, under;
    /* Capacity 1.2 x design; 1.5 x design leaves 0.3 x design unmet.  The
     * CRAHs move 1.2 x design / (cp dT) of air, so the unmet air heat warms
     * it by 0.3 / 1.2 * 10 K = 2.5 K. */
    sl_cooling_eval(s, 1.5 * IT_DESIGN_W, 0, 25, 20, IT_DESIGN_W, 0, &over);
    check_sane(&over, "1.5x design");
    assert_near(over.unmet_w, 0.3 * IT_DESIGN_W, 1e-6, "unmet heat");
    assert_near(over.inlet_rise_k, 2.5, 1e-9, "inlet rise");
    /* Power is that for the heat removed. */
    sl_cooling_eval(s, 1.2 * IT_DESIGN_W, 0, 25, 20, IT_DESIGN_W, 0, &at_cap);
    assert_true(at_cap.unmet_w == 0 && at_cap.inlet_rise_k == 0);
    assert_near(over.total_w, at_cap.total_w, 1e-6 * at_cap.total_w, "power capped");
    sl_cooling_eval(s, 1.0 * IT_DESIGN_W, 0, 25, 20, IT_DESIGN_W, 0, &under);
    assert_true(under.unmet_w == 0 && under.inlet_rise_k == 0);

    /* Cold plate over capacity: both streams cut in proportion; the unmet
     * air share warms the room. */
    const struct sl_cooling_spec *cp = preset("liquid-cold-plate");
    sl_cooling_eval(cp, 3e6, 6e6, 25, 20, 2e6, 4e6, &over);
    check_sane(&over, "cold plate 1.5x");
    assert_near(over.unmet_w, 9e6 - 7.2e6, 1e-3, "cold plate unmet");
    /* Unmet air 3e6 * (1 - 7.2/9) = 0.6e6; air capacity 1.2 * 2e6:
     * 0.6e6 * 10 / 2.4e6 = 2.5 K. */
    assert_near(over.inlet_rise_k, 2.5, 1e-9, "cold plate inlet rise");

    /* No air plant at all: the rise saturates instead of dividing by zero. */
    sl_cooling_eval(cp, 1e6, 0, 25, 20, 0, 0, &over);
    check_sane(&over, "no plant");
    assert_true(over.unmet_w == 1e6 && over.inlet_rise_k == 100.0);
}

static void test_air_plant_takes_liquid_heat_as_air(void **state)
{
    (void)state;
    const struct sl_cooling_spec *s = preset("air-chilled-water");
    struct sl_cooling_result a, b;
    sl_cooling_eval(s, 3e6, 2e6, 28, 24, 4e6, 2e6, &a);
    sl_cooling_eval(s, 5e6, 0, 28, 24, 6e6, 0, &b);
    assert_true(a.total_w == b.total_w && a.chiller_w == b.chiller_w);
    assert_true(a.cdu_pump_w == 0 && a.drycooler_fan_w == 0);
}

static void test_presets_and_validation(void **state)
{
    (void)state;
    assert_int_equal(sl_cooling_preset_count(), 3);
    assert_null(sl_cooling_preset(3));
    assert_null(sl_cooling_find_preset("evaporative"));
    assert_null(sl_cooling_find_preset(NULL));
    assert_int_equal(preset("air-chilled-water")->kind, SL_COOLING_AIR_CHW);
    assert_int_equal(preset("liquid-cold-plate")->kind, SL_COOLING_COLD_PLATE);
    assert_int_equal(preset("immersion")->kind, SL_COOLING_IMMERSION);
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        struct sl_diag d;
        sl_diag_clear(&d);
        const struct sl_cooling_spec *s = sl_cooling_preset(i);
        assert_ptr_equal(sl_cooling_find_preset(s->name), s);
        assert_int_equal(sl_cooling_validate(s, &d), SL_OK);
        assert_non_null(s->description);
        assert_non_null(s->source);
    }

    struct sl_diag d;
    struct sl_cooling_spec s = *preset("liquid-cold-plate");
    s.pump_eff = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_cooling_validate(&s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "pump_eff"));
    assert_non_null(strstr(d.msg, "liquid-cold-plate"));

    s = *preset("liquid-cold-plate");
    s.fw_return_c = 30;
    sl_diag_clear(&d);
    assert_int_equal(sl_cooling_validate(&s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "facility-water"));

    s = *preset("air-chilled-water");
    s.tower_lg_ratio = NAN;
    sl_diag_clear(&d);
    assert_int_equal(sl_cooling_validate(&s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "tower_lg_ratio"));

    s = *preset("air-chilled-water");
    s.kind = 7;
    sl_diag_clear(&d);
    assert_int_equal(sl_cooling_validate(&s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "kind"));
}

/* ---- Calibration over a proxy year. */

/* reference/power-cooling.md sec. 3, monthly means (Dongtai for Xinghua). */
static const double chengde_db[12] = {-9.2, -3.8, 3.1,  12.1, 18.5, 22.5,
                                      23.6, 22.5, 17.1, 9.8,  -0.1, -7.3};
static const double chengde_wb[12] = {-11.0, -6.5, -1.4, 5.2, 11.5, 15.8,
                                      19.9,  19.1, 13.9, 5.4, -2.7, -9.3};
static const double xinghua_db[12] = {1.3,  3.4,  8.1,  14.2, 18.9, 22.8,
                                      27.3, 27.1, 22.4, 17.0, 10.0, 4.3};
static const double xinghua_wb[12] = {-0.2, 2.0,  6.4,  11.7, 15.7, 20.3,
                                      25.0, 24.9, 20.0, 14.4, 7.3,  2.3};
static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

struct annual {
    double ratio;        /* cooling energy / IT energy */
    double chiller;      /* chiller energy / IT energy */
    double free_hours;   /* hours of full air-side free cooling */
    double liquid_hours; /* hours of full liquid-side free cooling */
};

static struct annual proxy_year(const struct sl_cooling_spec *s, const double *db, const double *wb)
{
    struct annual a = {0, 0, 0, 0};
    double cooling = 0, chiller = 0, it = 0;
    for (int m = 0; m < 12; m++)
        for (int h = 0; h < 24; h++) {
            double ph = sin(2 * PI * (h - 9) / 24.0); /* peak at 15:00 */
            struct sl_cooling_result r;
            eval_it(s, LOAD * IT_DESIGN_W, db[m] + 4 * ph, wb[m] + 2 * ph, &r);
            check_sane(&r, s->name);
            assert_true(r.unmet_w == 0);
            cooling += r.total_w * month_days[m];
            chiller += r.chiller_w * month_days[m];
            it += LOAD * IT_DESIGN_W * month_days[m];
            a.free_hours += r.free_cooling == 1 ? month_days[m] : 0;
            a.liquid_hours += r.liquid_free_cooling == 1 ? month_days[m] : 0;
        }
    a.ratio = cooling / it;
    a.chiller = chiller / it;
    return a;
}

static void test_annual_ratios(void **state)
{
    (void)state;
    const char *names[] = {"air-chilled-water", "liquid-cold-plate", "immersion"};
    const double lo[] = {0.15, 0.04, 0.02};
    const double hi[] = {0.30, 0.12, 0.12};
    struct annual ch[3], xh[3];
    for (int i = 0; i < 3; i++) {
        const struct sl_cooling_spec *s = preset(names[i]);
        ch[i] = proxy_year(s, chengde_db, chengde_wb);
        xh[i] = proxy_year(s, xinghua_db, xinghua_wb);
        char liq_ch[32] = "", liq_xh[32] = "";
        if (s->kind != SL_COOLING_AIR_CHW) {
            snprintf(liq_ch, sizeof liq_ch, ", liquid free %4.0f h", ch[i].liquid_hours);
            snprintf(liq_xh, sizeof liq_xh, ", liquid free %4.0f h", xh[i].liquid_hours);
        }
        print_message("cooling/IT %-18s chengde %.4f (chiller %.4f, air free %4.0f h%s)  "
                      "xinghua %.4f (chiller %.4f, air free %4.0f h%s)\n",
                      names[i], ch[i].ratio, ch[i].chiller, ch[i].free_hours, liq_ch, xh[i].ratio,
                      xh[i].chiller, xh[i].free_hours, liq_xh);
    }
    for (int i = 0; i < 3; i++) {
        if (!(ch[i].ratio >= lo[i] && ch[i].ratio <= hi[i]))
            fail_msg("%s at Chengde: %.4f outside %.2f-%.2f", names[i], ch[i].ratio, lo[i], hi[i]);
        if (!(xh[i].ratio >= lo[i] && xh[i].ratio <= hi[i]))
            fail_msg("%s at Xinghua: %.4f outside %.2f-%.2f", names[i], xh[i].ratio, lo[i], hi[i]);
        /* The humid, warm site always costs more. */
        assert_true(xh[i].ratio > ch[i].ratio);
    }
    /* Liquid beats air, immersion beats cold plate, at both sites. */
    assert_true(ch[1].ratio < ch[0].ratio && xh[1].ratio < xh[0].ratio);
    assert_true(ch[2].ratio < ch[1].ratio && xh[2].ratio < xh[1].ratio);
    /* Warm water needs the trim chiller only in the hottest hours: the
     * Chengde proxy year is almost all free on the liquid side. */
    assert_true(ch[1].liquid_hours >= 8000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chiller_cop_reference),
        cmocka_unit_test(test_chiller_cop_clamped),
        cmocka_unit_test(test_full_free_cooling_chengde_january),
        cmocka_unit_test(test_no_free_cooling_humid_summer),
        cmocka_unit_test(test_air_side_hand_calculation),
        cmocka_unit_test(test_liquid_side_hand_calculation),
        cmocka_unit_test(test_liquid_tower_rejection),
        cmocka_unit_test(test_zero_heat_zero_power),
        cmocka_unit_test(test_finite_nonnegative_grid),
        cmocka_unit_test(test_monotone_in_heat),
        cmocka_unit_test(test_monotone_in_outdoor_temperature),
        cmocka_unit_test(test_capacity_exceeded),
        cmocka_unit_test(test_air_plant_takes_liquid_heat_as_air),
        cmocka_unit_test(test_presets_and_validation),
        cmocka_unit_test(test_annual_ratios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
