/*
 * Tests for the fleet: per-card state, phase power, caps, owners and the
 * meters (src/fleet/fleet.c).
 *
 * The fleet is driven by a test server whose power is linear in its cards'
 * board power: no CPUs, memory, NICs or fans, and a chain whose only
 * server-side stage is a lossless board stage, so the server calculator of
 * docs/model.md reduces to "server input = the sum of its cards' board
 * power".  A card draws, by the phase model of catalog.h with the default
 * phase activities written out here by hand (idle 0, prefill 1, decode
 * 0.55, training compute 0.95, training communication 0.35, mixed 1),
 *     P = P_idle + (P_tdp - P_idle) a_phase activity,
 * limited by its cap but never below P_idle.  An optional rack stage of
 * constant efficiency eta makes a rack's input its servers' sum / eta.
 *
 * Every expected number is derived in this file from those equations, not
 * read back from the library: hand-worked cases in the comments, and a
 * fixed-seed stream of random claims, load changes, caps and releases whose
 * power this file integrates from its own copy of every card's state
 * (Kahan-compensated) and compares with the fleet's incrementally kept
 * meter, rack totals and rack peak to a relative 1e-9.  The fleet sizes
 * include a partial last rack.
 *
 * The rack peak, like the IT extremes, is the highest rack input HELD FOR
 * A POSITIVE TIME: a rack state enters it only once time advances while it
 * holds, so a state that lasts no time (several changes at one instant, the
 * half-applied state inside one call) is never a peak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

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

/* The default phase activities a_phase and cap exponents alpha_phase of
 * docs/model.md ("Device power"), written out rather than read from the
 * library. */
static const double hand_activity[SL_PHASE_COUNT] = {0.0, 1.0, 0.55, 0.95, 0.35, 1.0};
static const double hand_alpha[SL_PHASE_COUNT] = {0.0, 1.0, 0.2, 1.0, 0.3, 0.6};

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

/* The test server and its scenario.  Static because the fleet borrows the
 * calculator, which borrows the models and the chain. */
static struct sl_device_model g_dev;
static struct sl_cpu_model g_cpu;
static struct sl_server_model g_model;
static struct sl_stage_spec g_stages[2];
static struct sl_chain_spec g_chain;
static struct sl_server_calc g_calc;
static struct sl_scenario g_sc;
/* Their names, as writable static text (suanli/list.h). */
static char g_card_name[] = "test-card", g_cpu_name[] = "test-cpu", g_server_name[] = "test-server";
static char g_chain_name[] = "test-chain", g_shelf_name[] = "shelf", g_vrm_name[] = "vrm";

/* A fleet of servers of cards cards each, per_rack to a rack; a rack stage
 * of efficiency rack_eff when rack_eff > 0. */
static void make_scenario(int64_t servers, int64_t per_rack, int64_t cards, double idle_w,
                          double tdp_w, double liquid_share, double rack_eff)
{
    memset(&g_dev, 0, sizeof g_dev);
    memset(&g_cpu, 0, sizeof g_cpu);
    memset(&g_model, 0, sizeof g_model);
    memset(g_stages, 0, sizeof g_stages);
    memset(&g_chain, 0, sizeof g_chain);
    memset(&g_sc, 0, sizeof g_sc);
    g_dev.name = g_card_name;
    g_dev.idle_w = idle_w;
    g_dev.tdp_w = tdp_w;
    g_cpu.name = g_cpu_name;
    g_cpu.tdp_w = 1;
    size_t n = 0;
    if (rack_eff > 0) {
        g_stages[n].name = g_shelf_name;
        g_stages[n].scope = SL_SCOPE_RACK;
        g_stages[n].units = 1;
        g_stages[n].efficiency = rack_eff;
        n++;
    }
    g_stages[n].name = g_vrm_name;
    g_stages[n].scope = SL_SCOPE_BOARD;
    g_stages[n].units = 1;
    g_stages[n].efficiency = 1.0;
    n++;
    g_chain.name = g_chain_name;
    g_chain.stages.items = g_stages;
    g_chain.stages.n = n;
    g_model.name = g_server_name;
    g_model.device = g_card_name;
    g_model.cpu = g_cpu_name;
    g_model.cards = cards;
    g_model.height_u = 4;
    g_model.psus = 1;
    g_model.psu_rating_w = 1e9;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(
        sl_server_calc_init(&g_calc, &g_model, &g_dev, &g_cpu, &g_chain, liquid_share, 0, &d),
        SL_OK);
    g_sc.fleet.servers = servers;
    g_sc.fleet.servers_per_rack = per_rack;
    g_sc.server = &g_model;
    g_sc.device = &g_dev;
    g_sc.cpu = &g_cpu;
    g_sc.chain = &g_chain;
    g_sc.phase_model = *sl_default_phase_model();
}

static void init_fleet(struct sl_fleet *f)
{
    assert_int_equal(sl_fleet_init(f, &g_sc, &g_calc), SL_OK);
}

/* One card's board power from the equation of catalog.h. */
static double hand_card_w(int phase, double activity, double cap_w)
{
    double p = g_dev.idle_w + (g_dev.tdp_w - g_dev.idle_w) * hand_activity[phase] * activity;
    if (cap_w > 0 && p > cap_w)
        p = fmax(cap_w, g_dev.idle_w);
    return p;
}

static uint16_t add_owner(struct sl_fleet *f, const char *name, sl_speed_fn fn, void *ctx)
{
    uint16_t id = 0;
    assert_int_equal(sl_fleet_add_owner(f, name, fn, ctx, &id), SL_OK);
    assert_true(id >= 1);
    return id;
}

/* ---- Server and card power. ---- */

/* The test server is what the comment at the top says: its input is the
 * sum of its cards' board power. */
static void test_server_is_linear(void **state)
{
    (void)state;
    make_scenario(1, 1, 4, 100, 500, 0, 0);
    struct sl_server_power p;
    sl_server_eval(&g_calc, 1234.5, 0.3, &p);
    assert_true(p.input_w == 1234.5 && p.dc_w == 1234.5 && p.board_w == 1234.5);
    assert_true(p.fan_w == 0 && p.liquid_heat_w == 0);
    sl_server_eval_full(&g_calc, &p);
    assert_true(p.input_w == 2000); /* 4 cards at TDP */
}

/* Each phase at full activity, by hand with idle 100 W and TDP 500 W
 * (range 400 W):
 *     prefill  100 + 400 * 1.00 = 500 W     decode  100 + 400 * 0.55 = 320 W
 *     train    100 + 400 * 0.95 = 480 W     comm    100 + 400 * 0.35 = 240 W
 *     mixed    100 + 400 * 1.00 = 500 W
 * and decode at activity 0.5: 100 + 400 * 0.55 * 0.5 = 210 W. */
static void test_phase_power(void **state)
{
    (void)state;
    make_scenario(2, 2, 4, 100, 500, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 8), SL_OK);
    for (size_t i = 0; i < 8; i++)
        assert_true(sl_fleet_card_power_w(&f, i) == 100);
    assert_close(f.m.v[SL_Q_IT], 800, 1e-15);

    sl_fleet_set_load(&f, 0, 0, 1, SL_PHASE_PREFILL, 1);
    sl_fleet_set_load(&f, 0, 1, 1, SL_PHASE_DECODE, 1);
    sl_fleet_set_load(&f, 0, 2, 1, SL_PHASE_TRAIN_COMPUTE, 1);
    sl_fleet_set_load(&f, 0, 3, 1, SL_PHASE_TRAIN_COMM, 1);
    sl_fleet_set_load(&f, 0, 4, 1, SL_PHASE_MIXED, 1);
    sl_fleet_set_load(&f, 0, 5, 1, SL_PHASE_DECODE, 0.5);
    sl_fleet_set_load(&f, 0, 6, 1, SL_PHASE_DECODE, 7);     /* clamped to 1 */
    sl_fleet_set_load(&f, 0, 7, 1, SL_PHASE_PREFILL, -0.5); /* clamped to 0 */
    const double want[8] = {500, 320, 480, 240, 500, 210, 320, 100};
    double sum = 0, load = 0;
    for (size_t i = 0; i < 8; i++) {
        assert_close(sl_fleet_card_power_w(&f, i), want[i], 1e-15);
        sum += want[i];
    }
    /* Load shares a_phase * activity: 1 + .55 + .95 + .35 + 1 + .275 + .55 + 0. */
    load = 1 + 0.55 + 0.95 + 0.35 + 1 + 0.275 + 0.55;
    assert_close(f.m.v[SL_Q_IT], sum, 1e-12);
    assert_close(f.m.v[SL_Q_IT], 2670, 1e-12);
    assert_close(f.m.v[SL_Q_LOAD], load, 1e-12);
    assert_close(f.rack[0].input_w, 500 + 320 + 480 + 240 + 500 + 210 + 320 + 100, 1e-12);
    /* The same card in decode at activity 1 by hand: idle + (tdp - idle) * 0.55. */
    assert_close(sl_fleet_card_power_w(&f, 1), 100 + (500 - 100) * 0.55, 1e-15);
    sl_fleet_release(&f);
}

/* ---- Owners and claims. ---- */

static void test_claims(void **state)
{
    (void)state;
    make_scenario(3, 2, 4, 100, 500, 0, 0); /* 12 cards */
    struct sl_fleet f;
    init_fleet(&f);
    assert_int_equal(f.ncards, 12);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    uint16_t b = add_owner(&f, "b", NULL, NULL);
    assert_true(a != b);
    assert_int_equal(sl_fleet_claim(&f, a, 2, 5), SL_OK); /* cards 2..6 */
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(f.card[i].owner, i >= 2 && i < 7 ? a : 0);

    /* Overlapping claims fail and change nothing, also the free cards of
     * the range. */
    assert_int_equal(sl_fleet_claim(&f, b, 0, 3), SL_ESTATE);
    assert_int_equal(sl_fleet_claim(&f, b, 6, 4), SL_ESTATE);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 12), SL_ESTATE);
    assert_int_equal(sl_fleet_claim(&f, a, 2, 1), SL_ESTATE); /* its own, too */
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(f.card[i].owner, i >= 2 && i < 7 ? a : 0);

    /* Ranges outside the fleet, and owners that do not exist. */
    assert_int_equal(sl_fleet_claim(&f, b, 12, 1), SL_ERANGE);
    assert_int_equal(sl_fleet_claim(&f, b, 13, 0), SL_ERANGE);
    assert_int_equal(sl_fleet_claim(&f, b, 7, 6), SL_ERANGE);
    assert_int_equal(sl_fleet_claim(&f, b, 0, SIZE_MAX), SL_ERANGE);
    assert_int_equal(sl_fleet_claim(&f, b, SIZE_MAX, 2), SL_ERANGE); /* first + n wraps */
    assert_int_equal(sl_fleet_claim(&f, 0, 7, 1), SL_ERANGE);        /* "free" */
    assert_int_equal(sl_fleet_claim(&f, (uint16_t)(b + 1), 7, 1), SL_ERANGE);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(f.card[i].owner, i >= 2 && i < 7 ? a : 0);

    /* The rest of the fleet is b's to take. */
    assert_int_equal(sl_fleet_claim(&f, b, 7, 5), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 0, 2), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 0, 1), SL_ESTATE);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(f.card[i].owner, i >= 2 && i < 7 ? a : b);
    sl_fleet_release(&f);
}

/* Released cards are free and idle, whatever they were doing, and the
 * totals follow: 12 cards, 100 W idle, 500 W TDP. */
static void test_release_makes_idle(void **state)
{
    (void)state;
    make_scenario(3, 2, 4, 100, 500, 0.5, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    uint16_t b = add_owner(&f, "b", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 6), SL_OK);
    sl_fleet_set_load(&f, US_PER_S, 0, 6, SL_PHASE_TRAIN_COMPUTE, 1); /* 480 W each */
    assert_close(f.m.v[SL_Q_IT], 6 * 480 + 6 * 100, 1e-12);
    /* Liquid heat is half the board power with liquid_share 0.5. */
    assert_close(f.m.v[SL_Q_LIQUID], 0.5 * (6 * 480 + 6 * 100), 1e-12);
    assert_close(f.m.v[SL_Q_LOAD], 6 * 0.95, 1e-12);

    sl_fleet_release_cards(&f, 2 * US_PER_S, a, 1, 4); /* cards 1..4 */
    for (size_t i = 0; i < 12; i++) {
        int freed = i >= 1 && i < 5;
        if (i < 6 && !freed) {
            assert_int_equal(f.card[i].owner, a);
            assert_true(sl_fleet_card_power_w(&f, i) == 480);
        } else {
            assert_int_equal(f.card[i].owner, 0);
            assert_int_equal(f.card[i].phase, SL_PHASE_IDLE);
            assert_true(f.card[i].activity == 0);
            assert_true(sl_fleet_card_power_w(&f, i) == 100);
        }
    }
    assert_close(f.m.v[SL_Q_IT], 2 * 480 + 10 * 100, 1e-12);
    assert_close(f.m.v[SL_Q_LOAD], 2 * 0.95, 1e-12);
    /* 1 s idle (1200 W), 1 s at 3480 W, 1 s at 1960 W. */
    sl_fleet_advance(&f, 3 * US_PER_S);
    assert_close(f.m.e[SL_Q_IT], 1200 + 3480 + 1960, 1e-12);
    /* Freed cards can be claimed by another owner. */
    assert_int_equal(sl_fleet_claim(&f, b, 1, 4), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 0, 2), SL_ESTATE);
    sl_fleet_release(&f);
}

/* ---- Caps and speed. ---- */

struct speed_call {
    void *ctx;
    int64_t now_us;
    size_t first, n;
    double power_w; /* card first's power as the owner sees it when told */
};

struct speed_log {
    struct sl_fleet *f;
    struct speed_call call[64];
    size_t n;
};

/* Each owner's ctx is a distinct char inside an array; the log is global
 * so the test sees the order of the calls of all owners. */
static struct speed_log g_log;

static void on_speed(void *ctx, int64_t now_us, size_t first, size_t n)
{
    assert_true(g_log.n < 64);
    struct speed_call *c = &g_log.call[g_log.n++];
    c->ctx = ctx;
    c->now_us = now_us;
    c->first = first;
    c->n = n;
    c->power_w = sl_fleet_card_power_w(g_log.f, first);
}

static void expect_call(size_t k, void *ctx, int64_t now_us, size_t first, size_t n)
{
    assert_true(k < g_log.n);
    const struct speed_call *c = &g_log.call[k];
    if (c->ctx != ctx || c->now_us != now_us || c->first != first || c->n != n)
        print_error("call %zu: first %zu n %zu at %lld; want first %zu n %zu at %lld\n", k,
                    c->first, c->n, (long long)c->now_us, first, n, (long long)now_us);
    assert_ptr_equal(c->ctx, ctx);
    assert_true(c->now_us == now_us);
    assert_int_equal(c->first, first);
    assert_int_equal(c->n, n);
}

/* Power under a cap, by hand with idle 100 W and TDP 500 W:
 *     prefill at 1 (500 W) capped at 300 W: 300 W, speed (200/400)^1 = 0.5;
 *     decode at 1 (320 W) capped at 300 W: 300 W, speed (200/220)^0.2;
 *     decode at 1 capped at 400 W: uncapped, 320 W, speed 1;
 *     prefill at 1 capped at 60 W (below idle): 100 W, never below idle,
 *         speed ((60-100)/400 -> 0)^1, held at a crawl above 0;
 *     comm at 0.5 (170 W) capped at 150 W: 150 W, speed (50/70)^0.3. */
static void test_caps(void **state)
{
    (void)state;
    make_scenario(1, 1, 8, 100, 500, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 8), SL_OK);
    sl_fleet_set_load(&f, 0, 0, 1, SL_PHASE_PREFILL, 1);
    sl_fleet_set_load(&f, 0, 1, 1, SL_PHASE_DECODE, 1);
    sl_fleet_set_load(&f, 0, 2, 1, SL_PHASE_DECODE, 1);
    sl_fleet_set_load(&f, 0, 3, 1, SL_PHASE_PREFILL, 1);
    sl_fleet_set_load(&f, 0, 4, 1, SL_PHASE_TRAIN_COMM, 0.5);
    sl_fleet_set_load(&f, 0, 5, 1, SL_PHASE_TRAIN_COMPUTE, 1);
    /* Cards 6, 7 stay idle. */
    for (size_t i = 0; i < 8; i++)
        assert_true(sl_fleet_card_speed(&f, i) == 1);

    sl_fleet_set_cap(&f, US_PER_S, 0, 2, 300);
    sl_fleet_set_cap(&f, US_PER_S, 2, 1, 400);
    sl_fleet_set_cap(&f, US_PER_S, 3, 1, 60);
    sl_fleet_set_cap(&f, US_PER_S, 4, 1, 150);
    sl_fleet_set_cap(&f, US_PER_S, 6, 2, 50); /* idle cards under a cap below idle */
    assert_close(sl_fleet_card_power_w(&f, 0), 300, 1e-15);
    assert_close(sl_fleet_card_speed(&f, 0), 0.5, 1e-15);
    assert_close(sl_fleet_card_power_w(&f, 1), 300, 1e-15);
    assert_close(sl_fleet_card_speed(&f, 1), pow(200.0 / 220.0, 0.2), 1e-14);
    assert_close(sl_fleet_card_power_w(&f, 2), 320, 1e-15);
    assert_true(sl_fleet_card_speed(&f, 2) == 1);
    assert_close(sl_fleet_card_power_w(&f, 3), 100, 1e-15);
    assert_true(sl_fleet_card_speed(&f, 3) > 0 && sl_fleet_card_speed(&f, 3) <= 0.01);
    assert_close(sl_fleet_card_power_w(&f, 4), 150, 1e-15);
    assert_close(sl_fleet_card_speed(&f, 4), pow(50.0 / 70.0, 0.3), 1e-14);
    assert_close(sl_fleet_card_power_w(&f, 5), 480, 1e-15);
    assert_true(sl_fleet_card_power_w(&f, 6) == 100 && sl_fleet_card_power_w(&f, 7) == 100);
    assert_true(sl_fleet_card_speed(&f, 6) == 1);
    /* The totals follow the caps. */
    double want = 300 + 300 + 320 + 100 + 150 + 480 + 100 + 100;
    assert_close(f.m.v[SL_Q_IT], want, 1e-12);
    /* Load shares are what the owner asked for, not what the cap allows. */
    assert_close(f.m.v[SL_Q_LOAD], 1 + 0.55 + 0.55 + 1 + 0.175 + 0.95, 1e-12);

    /* A cap holds through load changes, and goes with 0. */
    sl_fleet_set_load(&f, 2 * US_PER_S, 0, 1, SL_PHASE_TRAIN_COMM, 1); /* 240 W < 300 W */
    assert_close(sl_fleet_card_power_w(&f, 0), 240, 1e-15);
    assert_true(sl_fleet_card_speed(&f, 0) == 1);
    sl_fleet_set_load(&f, 2 * US_PER_S, 0, 1, SL_PHASE_MIXED, 0.75); /* 400 W > 300 W */
    assert_close(sl_fleet_card_power_w(&f, 0), 300, 1e-15);
    assert_close(sl_fleet_card_speed(&f, 0), pow(200.0 / 300.0, 0.6), 1e-14);
    sl_fleet_set_cap(&f, 3 * US_PER_S, 0, 8, 0);
    for (size_t i = 0; i < 8; i++)
        assert_true(sl_fleet_card_speed(&f, i) == 1);
    assert_close(sl_fleet_card_power_w(&f, 0), 400, 1e-15);
    assert_close(sl_fleet_card_power_w(&f, 3), 500, 1e-15);
    assert_close(f.m.v[SL_Q_IT], 400 + 320 + 320 + 500 + 170 + 480 + 100 + 100, 1e-12);
    /* Energy: 1 s uncapped (2490 W), 1 s capped (1850 W), 1 s with card 0
     * in another phase but at the same cap (1850 W). */
    sl_fleet_advance(&f, 3 * US_PER_S);
    assert_close(f.m.e[SL_Q_IT], 2490 + 1850 + 1850, 1e-12);
    sl_fleet_release(&f);
}

/* Tiers: limits per tier (idle 100 W, TDP 500 W: x = 0.5 is 300 W), one
 * owner call per run of consecutive cards of one new limit, free cards in
 * tier 0, a card moved into a tier takes its limit, the count of capped
 * cards follows, and a cap function replaces the fractions. */
static double half_of_odd(void *ctx, size_t i, int tier)
{
    (void)ctx;
    return tier == SL_TIER_INTERACTIVE || (i & 1) ? 0 : 250;
}

static void test_tiers(void **state)
{
    (void)state;
    make_scenario(2, 1, 8, 100, 500, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    g_log.f = &f;
    g_log.n = 0;
    char ctx[2];
    uint16_t a = add_owner(&f, "a", on_speed, &ctx[0]);
    uint16_t b = add_owner(&f, "b", on_speed, &ctx[1]);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 6), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 8, 8), SL_OK);
    sl_fleet_set_tier(&f, 0, 0, 4, SL_TIER_TRAINING);
    sl_fleet_set_tier(&f, 0, 8, 8, SL_TIER_INTERACTIVE);
    assert_int_equal(f.tier_cards[SL_TIER_BEST_EFFORT], 2);
    assert_int_equal(f.tier_cards[SL_TIER_TRAINING], 4);
    assert_int_equal(f.tier_cards[SL_TIER_INTERACTIVE], 8);
    sl_fleet_set_load(&f, 0, 0, 6, SL_PHASE_PREFILL, 1);
    sl_fleet_set_load(&f, 0, 8, 8, SL_PHASE_PREFILL, 1);
    assert_int_equal(g_log.n, 0); /* no limit yet: no one told */
    /* Training and best effort at 300 W, interactive free: a's cards 0-5
     * form one run (one limit), b is not told; the free cards 6, 7 (tier
     * 0) take the limit too, silently. */
    double x[SL_TIER_COUNT] = {0.5, 0.5, 1, 1};
    assert_int_equal(sl_fleet_set_tier_limits(&f, US_PER_S, x), 8);
    assert_int_equal(g_log.n, 1);
    expect_call(0, &ctx[0], US_PER_S, 0, 6);
    for (size_t i = 0; i < 8; i++)
        assert_true(f.cap_w[i] == 300);
    for (size_t i = 8; i < 16; i++)
        assert_true(f.cap_w[i] == 0 && sl_fleet_card_speed(&f, i) == 1);
    assert_close(sl_fleet_card_power_w(&f, 0), 300, 1e-15);
    assert_int_equal(f.ncapped, 8);
    /* Moving interactive cards 12-15 to tier 1 limits them (told once). */
    sl_fleet_set_tier(&f, 2 * US_PER_S, 12, 4, SL_TIER_TRAINING);
    assert_int_equal(g_log.n, 2);
    expect_call(1, &ctx[1], 2 * US_PER_S, 12, 4);
    assert_true(f.cap_w[12] == 300 && f.cap_w[11] == 0);
    assert_int_equal(f.ncapped, 12);
    /* Lifting tier 1 alone: cards 0-3 and 12-15, two runs. */
    assert_int_equal(sl_fleet_set_tier_limit(&f, 3 * US_PER_S, SL_TIER_TRAINING, 1), 4);
    assert_int_equal(g_log.n, 4);
    expect_call(2, &ctx[0], 3 * US_PER_S, 0, 4);
    expect_call(3, &ctx[1], 3 * US_PER_S, 12, 4);
    assert_true(f.cap_w[4] == 300 && f.cap_w[3] == 0);
    /* Released cards go back to tier 0 and its limit. */
    sl_fleet_release_cards(&f, 4 * US_PER_S, b, 12, 4);
    assert_int_equal(f.tier[12], SL_TIER_BEST_EFFORT);
    assert_true(f.cap_w[12] == 300);
    assert_int_equal(f.tier_cards[SL_TIER_TRAINING], 4);
    /* A cap function: 250 W on even cards of every tier but interactive. */
    sl_fleet_set_cap_fn(&f, half_of_odd, NULL);
    sl_fleet_retier(&f, 5 * US_PER_S, 0, 16);
    for (size_t i = 0; i < 16; i++) {
        double want = f.tier[i] == SL_TIER_INTERACTIVE || (i & 1) ? 0 : 250;
        assert_true(f.cap_w[i] == (float)want);
    }
    assert_int_equal(f.ncapped, 6); /* cards 0, 2, 4, 6, 12, 14 */
    sl_fleet_release(&f);
}

/* The speed callback: once per run of consecutive cards of one owner
 * whose speed changed, never for free cards or unchanged speeds.
 * 3 servers x 4 cards, idle 100 W, TDP 500 W:
 *     card   0  1  2  3  4  5  6  7  8  9  10 11
 *     owner  A  A  B  A  A  A  -  B  B  B  B  -
 *     load   P1 P1 P1 P1 P1 .2 0  P1 P1 P1 D1 0     (P1: prefill at 1,
 *                                                  .2: prefill at 0.2 = 180 W,
 *                                                  D1: decode at 1 = 320 W)
 * Capping all at 300 W changes the speed of every P1 card (500 W), not of
 * card 5 (180 W), nor free cards 6 and 11, and card 10 (320 W) to
 * (200/220)^0.2.  Runs: A [0,2), B [2,3), A [3,5), B [7,11). */
static void test_speed_callback(void **state)
{
    (void)state;
    make_scenario(3, 2, 4, 100, 500, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    char ctx[2];
    memset(&g_log, 0, sizeof g_log);
    g_log.f = &f;
    uint16_t a = add_owner(&f, "a", on_speed, &ctx[0]);
    uint16_t b = add_owner(&f, "b", on_speed, &ctx[1]);
    uint16_t quiet = add_owner(&f, "quiet", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 2), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 2, 1), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, a, 3, 3), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 7, 4), SL_OK);
    sl_fleet_set_load(&f, 0, 0, 5, SL_PHASE_PREFILL, 1);
    sl_fleet_set_load(&f, 0, 5, 1, SL_PHASE_PREFILL, 0.2);
    sl_fleet_set_load(&f, 0, 7, 3, SL_PHASE_PREFILL, 1);
    sl_fleet_set_load(&f, 0, 10, 1, SL_PHASE_DECODE, 1);
    assert_int_equal(g_log.n, 0); /* loads are not caps */

    int64_t t1 = 5 * US_PER_S;
    sl_fleet_set_cap(&f, t1, 0, 12, 300);
    /* Owners hear of every new limit on their cards, also where the
     * speed does not move now (card 5 at 180 W): an owner may cache the
     * limit (the flow model does). */
    assert_int_equal(g_log.n, 4);
    expect_call(0, &ctx[0], t1, 0, 2);
    expect_call(1, &ctx[1], t1, 2, 1);
    expect_call(2, &ctx[0], t1, 3, 3);
    expect_call(3, &ctx[1], t1, 7, 4);
    /* Each owner was told once the fleet had the new power. */
    for (size_t k = 0; k < 4; k++)
        assert_close(g_log.call[k].power_w, 300, 1e-15);
    for (size_t i = 0; i < 12; i++) {
        double want = 1;
        if (i <= 4 || (i >= 7 && i <= 9))
            want = pow((300.0 - 100) / (500.0 - 100), hand_alpha[SL_PHASE_PREFILL]);
        else if (i == 10)
            want = pow((300.0 - 100) / (320.0 - 100), hand_alpha[SL_PHASE_DECODE]);
        assert_close(sl_fleet_card_speed(&f, i), want, 1e-14);
    }

    /* The same cap again changes no limit: no call. */
    g_log.n = 0;
    sl_fleet_set_cap(&f, t1 + 1, 0, 12, 300);
    assert_int_equal(g_log.n, 0);
    /* A cap above every card's power... */
    sl_fleet_set_cap(&f, t1 + 2, 4, 8, 600);
    assert_int_equal(g_log.n, 2); /* A [4,6), B [7,11): new limits */
    expect_call(0, &ctx[0], t1 + 2, 4, 2);
    expect_call(1, &ctx[1], t1 + 2, 7, 4);
    /* ... then a cap that slows only the prefill cards (400 W < 500 W,
     * > 320 W), over a range that starts and ends inside runs; every
     * owned card's limit moves. */
    g_log.n = 0;
    sl_fleet_set_cap(&f, t1 + 3, 1, 9, 400);
    assert_int_equal(g_log.n, 4);
    expect_call(0, &ctx[0], t1 + 3, 1, 1);
    expect_call(1, &ctx[1], t1 + 3, 2, 1);
    expect_call(2, &ctx[0], t1 + 3, 3, 3);
    expect_call(3, &ctx[1], t1 + 3, 7, 3);
    assert_close(sl_fleet_card_speed(&f, 1), 300.0 / 400.0, 1e-15);
    assert_true(sl_fleet_card_speed(&f, 10) == 1);

    /* A load change under a cap is the owner's own doing: no call. */
    g_log.n = 0;
    sl_fleet_set_load(&f, t1 + 4, 0, 2, SL_PHASE_DECODE, 1);
    assert_int_equal(g_log.n, 0);

    /* Owners without a callback, and free cards, are skipped. */
    assert_int_equal(sl_fleet_claim(&f, quiet, 6, 1), SL_OK);
    sl_fleet_set_load(&f, t1 + 5, 6, 1, SL_PHASE_PREFILL, 1);
    sl_fleet_set_cap(&f, t1 + 6, 5, 3, 200); /* 5: A at 180 W; 6: quiet; 7: B */
    assert_int_equal(g_log.n, 2);
    expect_call(0, &ctx[0], t1 + 6, 5, 1);
    expect_call(1, &ctx[1], t1 + 6, 7, 1);
    assert_close(sl_fleet_card_power_w(&f, 6), 200, 1e-15);
    sl_fleet_release(&f);
}

/* ---- The window meter. ---- */

/* One server of one card, idle 1000 W, TDP 5000 W, mixed phase, lossless:
 * the fleet's IT power is the card's.  Signal:
 *     [0, 1) s      idle                    1000 W, load 0
 *     [1, 3) s      activity 0.5            3000 W, load 0.5
 *     at 3 s        activity 1, then 0.25   5000 W for no time, then 2000 W
 *     [3, 4) s      activity 0.25           2000 W, load 0.25
 * Window [0, 4): IT 1000 + 6000 + 2000 = 9000 J, load 0 + 1 + 0.25 = 1.25,
 * extremes held for a positive time 3000 W and 1000 W (5000 W was never
 * held).  The rack peak follows the same rule: 1000 W once time reaches
 * 1 s, 3000 W once it reaches 3 s, and still 3000 W at 4 s, never 5000 W.
 * Window [4, 4): empty, no extremes.  Window [4, 6): 4000 J, 2000 W both
 * ways. */
static void test_window(void **state)
{
    (void)state;
    make_scenario(1, 1, 1, 1000, 5000, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 1), SL_OK);
    assert_true(f.rack_peak_w == 0); /* the idle start has lasted no time yet */
    sl_fleet_set_load(&f, 1 * US_PER_S, 0, 1, SL_PHASE_MIXED, 0.5);
    assert_true(f.rack_peak_w == 1000); /* idle held [0, 1); 3000 W not yet held */
    sl_fleet_set_load(&f, 3 * US_PER_S, 0, 1, SL_PHASE_MIXED, 1);
    assert_true(f.rack_peak_w == 3000); /* 3000 W held [1, 3); 5000 W not yet held */
    sl_fleet_set_load(&f, 3 * US_PER_S, 0, 1, SL_PHASE_MIXED, 0.25);
    assert_true(f.rack_peak_w == 3000);
    double e[SL_Q_COUNT], max_w, min_w;
    sl_fleet_take_window(&f, 4 * US_PER_S, e, &max_w, &min_w);
    assert_close(e[SL_Q_IT], 9000, 1e-15);
    assert_close(e[SL_Q_DC], 9000, 1e-15);
    assert_close(e[SL_Q_BOARD], 9000, 1e-15);
    assert_true(e[SL_Q_RACK_LOSS] == 0 && e[SL_Q_SERVER_LOSS] == 0);
    assert_true(e[SL_Q_BOARD_LOSS] == 0 && e[SL_Q_LIQUID] == 0);
    assert_close(e[SL_Q_LOAD], 1.25, 1e-15);
    assert_true(max_w == 3000);
    assert_true(min_w == 1000);
    /* The window's advance to 4 s counted the 2000 W held [3, 4); the
     * 5000 W instant at 3 s lasted no time and is no peak. */
    assert_true(f.rack_peak_w == 3000);
    assert_true(f.rack_peak_w != 5000);

    sl_fleet_take_window(&f, 4 * US_PER_S, e, &max_w, &min_w);
    for (int q = 0; q < SL_Q_COUNT; q++)
        assert_true(e[q] == 0);
    assert_true(max_w == -INFINITY && min_w == INFINITY);

    sl_fleet_advance(&f, 5 * US_PER_S);
    sl_fleet_take_window(&f, 6 * US_PER_S, e, &max_w, &min_w);
    assert_close(e[SL_Q_IT], 4000, 1e-15);
    assert_close(e[SL_Q_LOAD], 0.5, 1e-15);
    assert_true(max_w == 2000 && min_w == 2000);
    assert_int_equal(f.m.last_us, 6 * US_PER_S);
    assert_true(f.rack_peak_w == 3000); /* the peak outlives the windows */
    sl_fleet_release(&f);
}

/* ---- Racks. ---- */

/* 10 servers of 1 card, 4 to a rack (4 + 4 + 2), idle 1000 W, TDP 5000 W,
 * a rack shelf of efficiency 0.8: a rack's input is its servers / 0.8.
 * Idle: racks 5000, 5000, 2500 W; IT 12500 W.  Signal (rack 0, 1, 2):
 *     [0, 1) s   5000   5000   2500 W     IT 12500 W
 *     [1, 2) s   5000   5000   7500 W     IT 17500 W (server 9 at full load)
 *     [2, 3) s  15000   5000   7500 W     IT 27500 W (servers 0, 1 too)
 *     at 3 s    25000 W for no time (servers 0..3 at full load, then idle)
 *     [3, 4) s   5000   5000   7500 W     IT 17500 W
 * Rack peak held for a positive time: 5000 W at 1 s, 7500 W at 2 s,
 * 15000 W from 3 s on; never 25000 W. */
static void test_partial_rack(void **state)
{
    (void)state;
    make_scenario(10, 4, 1, 1000, 5000, 0, 0.8);
    struct sl_fleet f;
    init_fleet(&f);
    assert_int_equal(f.nservers, 10);
    assert_int_equal(f.nracks, 3);
    assert_int_equal(sl_fleet_rack_first(&f, 2), 8);
    assert_int_equal(sl_fleet_rack_count(&f, 2), 2);
    assert_int_equal(sl_fleet_rack_count(&f, 1), 4);
    assert_close(f.rack[0].input_w, 5000, 1e-15);
    assert_close(f.rack[2].input_w, 2500, 1e-15);
    assert_close(f.m.v[SL_Q_IT], 12500, 1e-15);
    assert_close(f.m.v[SL_Q_RACK_LOSS], 2500, 1e-12);
    /* Design: every card at TDP, a full rack 4 * 5000 / 0.8 = 25000 W;
     * IT 2 * 25000 + 2 * 5000 / 0.8 = 62500 W. */
    assert_close(f.design_rack_w, 25000, 1e-12);
    assert_close(f.design_it_w, 62500, 1e-12);

    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 10), SL_OK);
    assert_true(f.rack_peak_w == 0);                          /* nothing held yet */
    sl_fleet_set_load(&f, US_PER_S, 9, 1, SL_PHASE_MIXED, 1); /* rack 2: 6000 / 0.8 */
    assert_close(f.rack[2].input_w, 7500, 1e-15);
    assert_close(f.rack[0].input_w, 5000, 1e-15);
    assert_close(f.m.v[SL_Q_IT], 17500, 1e-12);
    assert_close(f.rack_peak_w, 5000, 1e-15); /* 7500 W has lasted no time yet */
    sl_fleet_advance(&f, 2 * US_PER_S);
    assert_close(f.rack_peak_w, 7500, 1e-15);
    sl_fleet_set_load(&f, 2 * US_PER_S, 0, 2, SL_PHASE_MIXED, 1); /* rack 0: 12000 / 0.8 */
    assert_close(f.rack[0].input_w, 15000, 1e-15);
    assert_close(f.rack_peak_w, 7500, 1e-15);
    sl_fleet_advance(&f, 3 * US_PER_S);
    assert_close(f.rack_peak_w, 15000, 1e-15);
    /* At 3 s rack 0 goes to 20000 / 0.8 = 25000 W and back to idle at the
     * same instant: a state that lasts no time. */
    sl_fleet_set_load(&f, 3 * US_PER_S, 0, 4, SL_PHASE_MIXED, 1);
    assert_close(f.rack[0].input_w, 25000, 1e-15);
    sl_fleet_set_load(&f, 3 * US_PER_S, 0, 4, SL_PHASE_IDLE, 0);
    assert_close(f.rack[0].input_w, 5000, 1e-15);
    assert_close(f.m.e[SL_Q_IT], 12500 + 17500 + 27500, 1e-12);
    sl_fleet_advance(&f, 4 * US_PER_S);
    assert_close(f.rack_peak_w, 15000, 1e-15); /* the peak stays; 25000 W never held */
    assert_close(f.m.e[SL_Q_IT], 12500 + 17500 + 27500 + 17500, 1e-12);
    sl_fleet_release(&f);
    assert_null(f.card);
    assert_null(f.rack);
    sl_fleet_release(&f); /* idempotent */
}

/* One call is one instant: a set_load over two servers of one rack, one
 * going up and one going down, must not register the state in which only
 * the first has changed.  2 servers of 1 card in one rack, idle 1000 W,
 * TDP 5000 W: server 0 idle (1000 W), server 1 at full load (5000 W), rack
 * 6000 W held [0, 1) s; at 1 s both to activity 0.5 (3000 W each) keeps
 * the rack at 6000 W, held [1, 2) s.  Updating server 0 first would show
 * 3000 + 5000 = 8000 W, a rack state that lasted no time (it never
 * existed outside the call), so the peak is 6000 W. */
static void test_rack_peak_one_call(void **state)
{
    (void)state;
    make_scenario(2, 2, 1, 1000, 5000, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 2), SL_OK);
    sl_fleet_set_load(&f, 0, 1, 1, SL_PHASE_MIXED, 1);
    sl_fleet_start_meters(&f);
    double start_peak_w = f.rack_peak_w; /* the start state has lasted no time */
    sl_fleet_set_load(&f, US_PER_S, 0, 2, SL_PHASE_MIXED, 0.5);
    double rack_w = f.rack[0].input_w, first_peak_w = f.rack_peak_w;
    sl_fleet_advance(&f, 2 * US_PER_S);
    double peak_w = f.rack_peak_w;
    sl_fleet_release(&f); /* before the checks, so a failure leaks nothing */
    assert_true(start_peak_w == 0);
    assert_true(rack_w == 6000);
    assert_true(first_peak_w == 6000); /* the start state, held [0, 1) s */
    if (peak_w != 6000)
        print_error("rack peak %.17g W after one call that kept the rack at 6000 W\n", peak_w);
    assert_true(peak_w == 6000);
}

/* ---- Random stream against an independent integration. ---- */

struct ref_card {
    int phase;
    double activity;
    double cap_w;
    int owned;
};

struct ref {
    size_t nservers, per_rack, nracks, cards;
    double rack_eff, liquid_share;
    struct ref_card *card;
    double it_j, it_c; /* Kahan sum and compensation */
    double load_s, load_c;
    double liquid_j, liquid_c;
    double win_it_j, win_load_s, win_max_w, win_min_w;
    double peak_rack_w; /* highest rack state held for a positive time */
    double max_w_seen, min_w_seen;
};

static void kahan(double *sum, double *c, double x)
{
    double y = x - *c;
    double t = *sum + y;
    *c = (t - *sum) - y;
    *sum = t;
}

static double ref_server_w(const struct ref *r, size_t s)
{
    double sum = 0;
    for (size_t k = s * r->cards; k < (s + 1) * r->cards; k++)
        sum += hand_card_w(r->card[k].phase, r->card[k].activity, r->card[k].cap_w);
    return sum;
}

static double ref_rack_w(const struct ref *r, size_t k)
{
    double sum = 0;
    size_t hi = (k + 1) * r->per_rack < r->nservers ? (k + 1) * r->per_rack : r->nservers;
    for (size_t s = k * r->per_rack; s < hi; s++)
        sum += ref_server_w(r, s);
    return r->rack_eff > 0 ? sum / r->rack_eff : sum;
}

static double ref_it_w(const struct ref *r)
{
    double sum = 0;
    for (size_t k = 0; k < r->nracks; k++)
        sum += ref_rack_w(r, k);
    return sum;
}

static double ref_boards_w(const struct ref *r)
{
    double sum = 0;
    for (size_t s = 0; s < r->nservers; s++)
        sum += ref_server_w(r, s);
    return sum;
}

static double ref_load(const struct ref *r)
{
    double sum = 0;
    for (size_t i = 0; i < r->nservers * r->cards; i++)
        sum += hand_activity[r->card[i].phase] * r->card[i].activity;
    return sum;
}

/* Time passes (dt_s > 0) at the current state.  Only now does the
 * current state of every rack count toward the rack peak, as the IT
 * extremes do: a state replaced at the instant it began never gets here. */
static void ref_advance(struct ref *r, double dt_s)
{
    assert_true(dt_s > 0);
    double it = 0, load = ref_load(r);
    for (size_t k = 0; k < r->nracks; k++) {
        double rack_w = ref_rack_w(r, k);
        it += rack_w;
        r->peak_rack_w = fmax(r->peak_rack_w, rack_w);
    }
    kahan(&r->it_j, &r->it_c, it * dt_s);
    kahan(&r->load_s, &r->load_c, load * dt_s);
    kahan(&r->liquid_j, &r->liquid_c, r->liquid_share * ref_boards_w(r) * dt_s);
    r->win_it_j += it * dt_s;
    r->win_load_s += load * dt_s;
    r->win_max_w = fmax(r->win_max_w, it);
    r->win_min_w = fmin(r->win_min_w, it);
    r->max_w_seen = fmax(r->max_w_seen, it);
    r->min_w_seen = fmin(r->min_w_seen, it);
}

static void check_racks(const struct sl_fleet *f, const struct ref *r)
{
    for (size_t k = 0; k < r->nracks; k++)
        assert_close(f->rack[k].input_w, ref_rack_w(r, k), 1e-9);
}

/* Random loads, caps, releases and claims at increasing times, some at one
 * instant; windows of a simulated hour taken as the world takes them. */
static void run_random(int64_t servers, int64_t per_rack, int64_t cards, double idle_w,
                       double tdp_w, double rack_eff, uint64_t seed, int steps)
{
    make_scenario(servers, per_rack, cards, idle_w, tdp_w, 0.3, rack_eff);
    struct sl_fleet f;
    init_fleet(&f);
    struct ref r;
    memset(&r, 0, sizeof r);
    r.nservers = (size_t)servers;
    r.per_rack = (size_t)per_rack;
    r.nracks = (r.nservers + r.per_rack - 1) / r.per_rack;
    r.cards = (size_t)cards;
    r.rack_eff = rack_eff;
    r.liquid_share = 0.3;
    assert_int_equal(f.nracks, r.nracks);
    size_t ncards = r.nservers * r.cards;
    assert_int_equal(f.ncards, ncards);
    r.card = calloc(ncards, sizeof *r.card);
    assert_non_null(r.card);
    uint16_t owner = add_owner(&f, "random", NULL, NULL);

    /* Set-up at time 0: every card claimed at its own level, then the
     * meters restart so the set-up is neither energy nor a peak. */
    assert_int_equal(sl_fleet_claim(&f, owner, 0, ncards), SL_OK);
    for (size_t i = 0; i < ncards; i++) {
        r.card[i].owned = 1;
        r.card[i].phase = 1 + (int)(splitmix64(&seed) % (SL_PHASE_COUNT - 1));
        r.card[i].activity = (double)(float)uniform01(&seed); /* cards keep floats */
        sl_fleet_set_load(&f, 0, i, 1, r.card[i].phase, r.card[i].activity);
    }
    sl_fleet_start_meters(&f);
    assert_true(f.m.e[SL_Q_IT] == 0);
    assert_int_equal(f.m.last_us, 0);
    check_racks(&f, &r);
    /* The start state is no peak until time advances while it holds. */
    assert_true(f.rack_peak_w == 0 && r.peak_rack_w == 0);
    assert_close(f.m.v[SL_Q_IT], ref_it_w(&r), 1e-12);
    r.max_w_seen = r.win_max_w = -INFINITY;
    r.min_w_seen = r.win_min_w = INFINITY;

    int64_t now = 0, window_start = 0;
    for (int step = 0; step < steps; step++) {
        uint64_t x = splitmix64(&seed);
        int64_t dt = 0; /* one change in eight at the same instant */
        if (x % 8 == 1)
            dt = 1;
        else if (x % 8 > 1)
            dt = (int64_t)((x >> 40) % (90ULL * US_PER_S)) + 1;
        if (dt > 0) {
            ref_advance(&r, (double)dt * 1e-6);
            now += dt;
        }

        size_t first = (size_t)(splitmix64(&seed) % ncards);
        size_t n = 1 + (size_t)(splitmix64(&seed) % (2 * r.cards + 1));
        if (n > ncards - first)
            n = ncards - first;
        uint64_t what = splitmix64(&seed) % 16;
        if (what < 11) {
            /* A load change on the owned cards of the range, as a
             * workload would: one call per owned run.  One in thirteen
             * first sends the same runs to full prefill load at the same
             * instant: a spike that lasts no time and is never a peak. */
            int phase = (int)(splitmix64(&seed) % SL_PHASE_COUNT);
            double act = uniform01(&seed) * 1.2 - 0.1; /* some out of 0..1 */
            if (step % 17 == 0)
                act = 1;
            double clamped = act < 0 ? 0 : act > 1 ? 1 : act;
            for (int pass = step % 13 == 0 ? 0 : 1; pass < 2; pass++) {
                int ph = pass ? phase : SL_PHASE_PREFILL;
                double a = pass ? act : 1, kept = pass ? (double)(float)clamped : 1;
                for (size_t i = first; i < first + n;) {
                    if (!r.card[i].owned) {
                        i++;
                        continue;
                    }
                    size_t j = i;
                    while (j < first + n && r.card[j].owned) {
                        r.card[j].phase = ph;
                        r.card[j].activity = kept; /* cards keep floats */
                        j++;
                    }
                    sl_fleet_set_load(&f, now, i, j - i, ph, a);
                    i = j;
                }
            }
        } else if (what < 14) {
            /* Caps in whole watts between idle and TDP, or none. */
            double cap = 0;
            if (what < 13)
                cap = floor(idle_w + uniform01(&seed) * (tdp_w - idle_w) * 1.1);
            for (size_t i = first; i < first + n; i++)
                r.card[i].cap_w = cap;
            sl_fleet_set_cap(&f, now, first, n, cap);
        } else if (what == 14) {
            /* Release the owned runs of the range. */
            for (size_t i = first; i < first + n;) {
                if (!r.card[i].owned) {
                    i++;
                    continue;
                }
                size_t j = i;
                while (j < first + n && r.card[j].owned) {
                    r.card[j].owned = 0;
                    r.card[j].phase = SL_PHASE_IDLE;
                    r.card[j].activity = 0;
                    j++;
                }
                sl_fleet_release_cards(&f, now, owner, i, j - i);
                i = j;
            }
        } else {
            /* Claim the range: all or nothing. */
            int any_owned = 0;
            for (size_t i = first; i < first + n; i++)
                any_owned |= r.card[i].owned;
            int rc = sl_fleet_claim(&f, owner, first, n);
            assert_int_equal(rc, any_owned ? SL_ESTATE : SL_OK);
            if (!any_owned)
                for (size_t i = first; i < first + n; i++)
                    r.card[i].owned = 1;
        }

        for (size_t i = first; i < first + n; i++)
            assert_close(sl_fleet_card_power_w(&f, i),
                         hand_card_w(r.card[i].phase, r.card[i].activity, r.card[i].cap_w), 1e-15);
        assert_close(f.m.v[SL_Q_IT], ref_it_w(&r), 1e-9);
        assert_close(f.m.v[SL_Q_LOAD], ref_load(&r), 1e-9);
        if (step % 64 == 0) {
            /* A step may have made no call that advances the fleet (a
             * claim, or no owned card in the range): bring it to now, as
             * the reference is, before comparing the peaks. */
            sl_fleet_advance(&f, now);
            assert_close(f.rack_peak_w, r.peak_rack_w, 1e-9);
            check_racks(&f, &r);
            assert_close(f.m.v[SL_Q_BOARD], ref_boards_w(&r), 1e-9);
            assert_close(f.m.v[SL_Q_RACK_LOSS], ref_it_w(&r) - ref_boards_w(&r), 1e-9);
        }
        if (step % 5000 == 4999)
            sl_fleet_resum(&f, now);

        /* Windows of a simulated hour, as the facility step takes them. */
        if (now - window_start >= 3600LL * US_PER_S) {
            double e[SL_Q_COUNT], max_w, min_w;
            sl_fleet_take_window(&f, now, e, &max_w, &min_w);
            assert_close(e[SL_Q_IT], r.win_it_j, 1e-9);
            assert_close(e[SL_Q_LOAD], r.win_load_s, 1e-9);
            assert_close(max_w, r.win_max_w, 1e-9);
            assert_close(min_w, r.win_min_w, 1e-9);
            assert_close(f.rack_peak_w, r.peak_rack_w, 1e-9);
            window_start = now;
            r.win_it_j = r.win_load_s = 0;
            r.win_max_w = -INFINITY;
            r.win_min_w = INFINITY;
        }
    }
    /* Close the run a little later; the integrals of all windows add up to
     * the independent totals. */
    int64_t end = now + 12345;
    ref_advance(&r, 12345e-6);
    double e[SL_Q_COUNT], max_w, min_w;
    sl_fleet_take_window(&f, end, e, &max_w, &min_w);
    assert_close(e[SL_Q_IT], r.win_it_j, 1e-9);
    assert_true(end > 1000LL * US_PER_S); /* the run spans many windows */
    check_racks(&f, &r);
    assert_close(f.rack_peak_w, r.peak_rack_w, 1e-9);
    free(r.card);
    sl_fleet_release(&f);
}

/* The same stream, with the totals checked over the whole run instead of
 * per window: the meter integrates without windows too. */
static void run_random_total(uint64_t seed)
{
    make_scenario(37, 8, 2, 2800, 10200, 0.3, 0);
    struct sl_fleet f;
    init_fleet(&f);
    struct ref r;
    memset(&r, 0, sizeof r);
    r.nservers = 37;
    r.per_rack = 8;
    r.nracks = 5;
    r.cards = 2;
    r.liquid_share = 0.3;
    r.card = calloc(74, sizeof *r.card);
    assert_non_null(r.card);
    uint16_t owner = add_owner(&f, "random", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, owner, 0, 74), SL_OK);
    for (size_t i = 0; i < 74; i++)
        r.card[i].owned = 1;
    sl_fleet_start_meters(&f);
    r.max_w_seen = -INFINITY;
    r.min_w_seen = INFINITY;
    int64_t now = 0;
    for (int step = 0; step < 30000; step++) {
        int64_t dt = (int64_t)(splitmix64(&seed) % (60ULL * US_PER_S)) + 1;
        ref_advance(&r, (double)dt * 1e-6);
        now += dt;
        size_t i = (size_t)(splitmix64(&seed) % 74);
        int phase = (int)(splitmix64(&seed) % SL_PHASE_COUNT);
        double act = uniform01(&seed);
        r.card[i].phase = phase;
        r.card[i].activity = (double)(float)act; /* cards keep floats */
        sl_fleet_set_load(&f, now, i, 1, phase, act);
    }
    sl_fleet_advance(&f, now + 1);
    ref_advance(&r, 1e-6);
    assert_close(f.m.e[SL_Q_IT], r.it_j, 1e-9);
    assert_close(f.m.e[SL_Q_LOAD], r.load_s, 1e-9);
    assert_close(f.m.e[SL_Q_LIQUID], r.liquid_j, 1e-9);
    assert_close(f.m.it_max_w, r.max_w_seen, 1e-9);
    assert_close(f.m.it_min_w, r.min_w_seen, 1e-9);
    assert_close(f.rack_peak_w, r.peak_rack_w, 1e-9);
    free(r.card);
    sl_fleet_release(&f);
}

static void test_random_partial_rack(void **state)
{
    (void)state;
    run_random(37, 8, 2, 2800, 10200, 0, 1, 50000); /* 5 racks, the last of 5 */
}

static void test_random_rack_stage(void **state)
{
    (void)state;
    run_random(64, 16, 4, 150.5, 640.25, 0.96, 2, 20000);
}

static void test_random_one_server_racks(void **state)
{
    (void)state;
    run_random(9, 1, 8, 30, 70, 0, 3, 5000);
}

static void test_random_total(void **state)
{
    (void)state;
    run_random_total(4);
}

/* ---- Re-sum and meter start. ---- */

/* Drift injected into the incremental sums is removed by a re-sum, which
 * first integrates the (drifted) totals up to now.  10 servers of 1 card,
 * 4 to a rack, idle 1000 W, TDP 5000 W: idle 10000 W; card 1 at 0.5
 * (3000 W) and card 9 at 0.25 (2000 W) give 13000 W. */
static void test_resum(void **state)
{
    (void)state;
    make_scenario(10, 4, 1, 1000, 5000, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 10), SL_OK);
    sl_fleet_set_load(&f, US_PER_S, 1, 1, SL_PHASE_MIXED, 0.5);
    sl_fleet_set_load(&f, US_PER_S, 9, 1, SL_PHASE_MIXED, 0.25);
    assert_close(f.m.e[SL_Q_IT], 10000, 1e-15);

    f.rack[0].input_w += 7.5;
    f.rack[0].servers_w += 7.5;
    f.rack[2].input_w -= 3;
    f.m.v[SL_Q_IT] += 0.125;
    f.m.v[SL_Q_LOAD] -= 0.01;
    sl_fleet_resum(&f, 2 * US_PER_S);
    assert_close(f.m.e[SL_Q_IT], 10000 + 13000.125, 1e-15);
    assert_close(f.m.e[SL_Q_LOAD], 0.75 - 0.01, 1e-15);
    assert_true(f.rack[0].input_w == 6000 && f.rack[0].servers_w == 6000);
    assert_true(f.rack[1].input_w == 4000);
    assert_true(f.rack[2].input_w == 3000);
    assert_true(f.m.v[SL_Q_IT] == 13000);
    assert_true(f.m.v[SL_Q_LOAD] == 0.75);
    assert_int_equal(f.m.last_us, 2 * US_PER_S);

    /* A re-sum of exact sums changes nothing but the time. */
    sl_fleet_resum(&f, 3 * US_PER_S);
    assert_true(f.m.v[SL_Q_IT] == 13000);
    assert_close(f.m.e[SL_Q_IT], 23000.125 + 13000, 1e-15);
    sl_fleet_release(&f);
}

/* sl_fleet_start_meters forgets the set-up: the swing of setting cards one
 * by one at time 0 is neither energy, an extreme nor a rack peak, and the
 * start state is a peak only once time advances.  6 servers of 1 card, 3
 * to a rack, idle 1000 W, TDP 5000 W.  Signal after the start (rack 0, 1):
 *     [0, 2) s   6000   6000 W     IT 12000 W (every card at 0.25)
 *     [2, 3) s   6000   7000 W     IT 13000 W (card 5 at 0.5)
 * Rack peak: 6000 W at 2 s, 7000 W at 3 s. */
static void test_start_meters(void **state)
{
    (void)state;
    make_scenario(6, 3, 1, 1000, 5000, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t a = add_owner(&f, "a", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 6), SL_OK);
    assert_true(f.rack_peak_w == 0); /* the idle 3000 W racks have lasted no time */
    sl_fleet_set_load(&f, 0, 0, 6, SL_PHASE_MIXED, 1); /* 15 kW racks */
    sl_fleet_set_load(&f, 0, 0, 6, SL_PHASE_MIXED, 0.25);
    assert_true(f.rack_peak_w == 0);        /* nothing held for any time: */
    assert_true(f.m.it_max_w == -INFINITY); /* neither 3000 W nor 15000 W */
    sl_fleet_start_meters(&f);
    assert_true(f.rack_peak_w == 0); /* the 6000 W start state counts once it lasts */
    assert_true(f.m.v[SL_Q_IT] == 12000);
    assert_true(f.m.it_max_w == -INFINITY && f.m.it_min_w == INFINITY);
    for (int q = 0; q < SL_Q_COUNT; q++)
        assert_true(f.m.e[q] == 0);
    assert_close(f.m.v[SL_Q_LOAD], 1.5, 1e-15);
    sl_fleet_set_load(&f, 2 * US_PER_S, 5, 1, SL_PHASE_MIXED, 0.5);
    assert_close(f.m.e[SL_Q_IT], 24000, 1e-15);
    assert_true(f.m.it_max_w == 12000 && f.m.it_min_w == 12000); /* held for 2 s */
    assert_true(f.rack_peak_w == 6000); /* held for 2 s; 7000 W not yet held */
    assert_true(f.rack[1].input_w == 7000);
    sl_fleet_advance(&f, 3 * US_PER_S);
    assert_true(f.m.it_max_w == 13000);
    assert_true(f.rack_peak_w == 7000);
    sl_fleet_release(&f);
}

/* ---- Pools. ---- */

/* A second server model (fewer, hotter cards, a different host) for the
 * pool tests; the first is make_scenario's. */
static struct sl_device_model g_dev2;
static struct sl_cpu_model g_cpu2;
static struct sl_server_model g_model2;
static char g_card2_name[] = "test-card-2", g_cpu2_name[] = "test-cpu-2",
            g_server2_name[] = "test-server-2";

static void make_model2(struct sl_server_calc *calc, double liquid_share)
{
    memset(&g_dev2, 0, sizeof g_dev2);
    memset(&g_cpu2, 0, sizeof g_cpu2);
    memset(&g_model2, 0, sizeof g_model2);
    g_dev2.name = g_card2_name;
    g_dev2.idle_w = 60;
    g_dev2.tdp_w = 700;
    g_cpu2.name = g_cpu2_name;
    g_cpu2.idle_w = 40;
    g_cpu2.tdp_w = 250;
    g_model2.name = g_server2_name;
    g_model2.device = g_card2_name;
    g_model2.cpu = g_cpu2_name;
    g_model2.cards = 4;
    g_model2.cpus = 2;
    g_model2.memory_idle_w = 50;
    g_model2.memory_w = 120;
    g_model2.fan_idle_w = 30;
    g_model2.fan_w = 200;
    g_model2.height_u = 4;
    g_model2.psus = 1;
    g_model2.psu_rating_w = 1e9;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(
        sl_server_calc_init(calc, &g_model2, &g_dev2, &g_cpu2, &g_chain, liquid_share, 0, &d),
        SL_OK);
}

/* Sets the same loads on the two-pool fleet ab (pool a's cards first) and
 * on the one-pool fleets a and b, ending at time t_us. */
static void pools_load(struct sl_fleet *ab, struct sl_fleet *a, struct sl_fleet *b, uint64_t *rng,
                       int64_t t_us)
{
    size_t na = a->ncards, nb = b->ncards;
    for (int k = 0; k < 40; k++) {
        int phase = 1 + (int)(splitmix64(rng) % (SL_PHASE_COUNT - 1));
        double act = uniform01(rng);
        size_t first = (size_t)(splitmix64(rng) % (na + nb));
        size_t n = 1 + (size_t)(splitmix64(rng) % (na + nb - first));
        int64_t now = t_us - 40 + k;
        int how = (int)(splitmix64(rng) % 3);
        if (how == 0) { /* a range, maybe across the pools' boundary */
            sl_fleet_set_load(ab, now, first, n, phase, act);
            if (first < na)
                sl_fleet_set_load(a, now, first, (first + n < na ? first + n : na) - first, phase,
                                  act);
            if (first + n > na) {
                size_t lo = first > na ? first - na : 0;
                sl_fleet_set_load(b, now, lo, first + n - na - lo, phase, act);
            }
        } else if (how == 1) { /* a whole server */
            size_t s = (size_t)(splitmix64(rng) % ab->nservers);
            sl_fleet_set_server_load(ab, now, s, phase, act);
            if (s < a->nservers)
                sl_fleet_set_server_load(a, now, s, phase, act);
            else
                sl_fleet_set_server_load(b, now, s - a->nservers, phase, act);
        } else { /* a cap, maybe across the boundary */
            double cap = uniform01(rng) < 0.3 ? 0 : 50 + 600 * uniform01(rng);
            sl_fleet_set_cap(ab, now, first, n, cap);
            if (first < na)
                sl_fleet_set_cap(a, now, first, (first + n < na ? first + n : na) - first, cap);
            if (first + n > na) {
                size_t lo = first > na ? first - na : 0;
                sl_fleet_set_cap(b, now, lo, first + n - na - lo, cap);
            }
        }
    }
    sl_fleet_advance(ab, t_us);
    sl_fleet_advance(a, t_us);
    sl_fleet_advance(b, t_us);
}

/* A fleet of two pools of different server models is, power for power and
 * rack for rack, the two one-pool fleets side by side: the same loads give
 * the sum of their IT power and energy, their racks, their design loads,
 * and the highest of their rack peaks. */
static void test_two_pools(void **state)
{
    (void)state;
    make_scenario(5, 2, 8, 100, 500, 0.3, 0.97);
    struct sl_server_calc calc[2];
    calc[0] = g_calc;
    make_model2(&calc[1], 0.3);

    struct sl_scenario sa = g_sc, sb = g_sc, sab = g_sc;
    sb.fleet.servers = 3;
    sb.fleet.servers_per_rack = 2;
    sb.server = &g_model2;
    struct sl_pool_res pools[2];
    memset(pools, 0, sizeof pools);
    pools[0].name = "a";
    pools[0].servers = 5;
    pools[0].servers_per_rack = 2;
    pools[1].name = "b";
    pools[1].servers = 3;
    pools[1].servers_per_rack = 2;
    sab.pools = pools;
    sab.npools = 2;

    struct sl_fleet a, b, ab;
    assert_int_equal(sl_fleet_init(&a, &sa, &calc[0]), SL_OK);
    assert_int_equal(sl_fleet_init(&b, &sb, &calc[1]), SL_OK);
    assert_int_equal(sl_fleet_init(&ab, &sab, calc), SL_OK);
    assert_int_equal(ab.npools, 2);
    assert_int_equal(ab.nservers, 8);
    assert_int_equal(ab.ncards, 5 * 8 + 3 * 4);
    assert_int_equal(ab.nracks, 3 + 2); /* racks never mix pools */
    /* Racks: pool a's 2, 2, 1, then pool b's 2, 1. */
    const size_t rfirst[] = {0, 2, 4, 5, 7}, rcount[] = {2, 2, 1, 2, 1};
    for (size_t r = 0; r < 5; r++) {
        assert_int_equal(sl_fleet_rack_first(&ab, r), rfirst[r]);
        assert_int_equal(sl_fleet_rack_count(&ab, r), rcount[r]);
    }
    assert_int_equal(sl_fleet_card_pool(&ab, 39), 0);
    assert_int_equal(sl_fleet_card_pool(&ab, 40), 1);
    assert_int_equal(sl_fleet_server_card0(&ab, 6), 44);
    assert_close(ab.design_it_w, a.design_it_w + b.design_it_w, 1e-12);
    assert_close(ab.design_liquid_w, a.design_liquid_w + b.design_liquid_w, 1e-12);
    assert_close(ab.design_rack_w, fmax(a.design_rack_w, b.design_rack_w), 1e-15);
    assert_true(a.design_rack_w != b.design_rack_w);
    /* Idle: each card at its own pool's idle power. */
    assert_close(sl_fleet_card_power_w(&ab, 0), 100, 1e-15);
    assert_close(sl_fleet_card_power_w(&ab, 51), 60, 1e-15);

    uint16_t oa = add_owner(&a, "a", NULL, NULL), ob = add_owner(&b, "b", NULL, NULL);
    uint16_t oab = add_owner(&ab, "ab", NULL, NULL);
    assert_int_equal(sl_fleet_claim(&a, oa, 0, a.ncards), SL_OK);
    assert_int_equal(sl_fleet_claim(&b, ob, 0, b.ncards), SL_OK);
    assert_int_equal(sl_fleet_claim(&ab, oab, 0, ab.ncards), SL_OK);
    sl_fleet_start_meters(&a);
    sl_fleet_start_meters(&b);
    sl_fleet_start_meters(&ab);
    uint64_t rng = 42;
    for (int64_t t = 1000; t <= 20000; t += 1000) {
        pools_load(&ab, &a, &b, &rng, t);
        for (int q = 0; q < SL_Q_COUNT; q++) {
            assert_close(ab.m.v[q], a.m.v[q] + b.m.v[q], 1e-9);
            assert_close(ab.m.e[q], a.m.e[q] + b.m.e[q], 1e-9);
        }
        for (size_t i = 0; i < ab.ncards; i += 7) {
            const struct sl_fleet *one = i < a.ncards ? &a : &b;
            size_t j = i < a.ncards ? i : i - a.ncards;
            assert_close(sl_fleet_card_power_w(&ab, i), sl_fleet_card_power_w(one, j), 1e-15);
            assert_close(sl_fleet_card_speed(&ab, i), sl_fleet_card_speed(one, j), 1e-15);
        }
    }
    assert_close(ab.rack_peak_w, fmax(a.rack_peak_w, b.rack_peak_w), 1e-12);
    /* The exact re-sum agrees with the incremental totals. */
    double before = ab.m.v[SL_Q_IT];
    sl_fleet_resum(&ab, 20000);
    assert_close(ab.m.v[SL_Q_IT], before, 1e-12);
    assert_close(ab.m.v[SL_Q_IT], a.m.v[SL_Q_IT] + b.m.v[SL_Q_IT], 1e-9);
    sl_fleet_release(&a);
    sl_fleet_release(&b);
    sl_fleet_release(&ab);
}

/* ---- Availability (contract C3). ---- */

struct avail_log {
    int calls;
    size_t server;
    unsigned before, now;
};

static void on_avail(void *ctx, int64_t now_us, size_t server, unsigned before, unsigned now)
{
    (void)now_us;
    struct avail_log *l = ctx;
    l->calls++;
    l->server = server;
    l->before = before;
    l->now = now;
}

/* Three servers of 4 cards (idle 100 W, TDP 500 W), two to a rack, no
 * rack stage.  Owner a has server 0 and half of server 1, owner b the
 * other half; server 2 is free and idle.  Everything owned runs prefill
 * at 1 (500 W a card): IT 2000 + 2000 + 400 = 4400 W.  Server 1 fails at
 * 10 s (IT 2400 W; a's loads on it at 15 s change nothing), also loses
 * its fabric at 20 s (no power change), is repaired at 30 s (back idle:
 * 400 W, IT 2800 W) and gets its fabric back at 40 s.  Energy over
 * [0, 50 s): 4400 * 10 + 2400 * 20 + 2800 * 20 = 148,000 J.  Each owner
 * is told once per change; server 2's owner-less change tells nobody; a
 * change to the same bits is no change. */
static void test_availability(void **state)
{
    (void)state;
    make_scenario(3, 2, 4, 100, 500, 0, 0);
    struct sl_fleet f;
    init_fleet(&f);
    struct avail_log la = {0}, lb = {0};
    uint16_t a = add_owner(&f, "a", NULL, &la);
    uint16_t b = add_owner(&f, "b", NULL, &lb);
    assert_int_equal(sl_fleet_set_avail_fn(&f, a, on_avail), SL_OK);
    assert_int_equal(sl_fleet_set_avail_fn(&f, b, on_avail), SL_OK);
    assert_int_equal(sl_fleet_set_avail_fn(&f, 0, on_avail), SL_ERANGE);
    assert_int_equal(sl_fleet_set_avail_fn(&f, 9, on_avail), SL_ERANGE);
    assert_int_equal(sl_fleet_claim(&f, a, 0, 6), SL_OK);
    assert_int_equal(sl_fleet_claim(&f, b, 6, 2), SL_OK);
    sl_fleet_set_load(&f, 0, 0, 8, SL_PHASE_PREFILL, 1);
    sl_fleet_start_meters(&f);
    assert_close(f.m.v[SL_Q_IT], 4400, 1e-12);

    sl_fleet_set_down(&f, 10 * US_PER_S, 1, SL_DOWN_FAILED, 1);
    assert_int_equal(sl_fleet_server_down(&f, 1), SL_DOWN_FAILED);
    assert_int_equal(sl_fleet_servers_down(&f), 1);
    assert_close(f.m.v[SL_Q_IT], 2400, 1e-12);
    assert_true(f.m.v[SL_Q_LOAD] == 4 * 1.0); /* server 0's four load shares of 1 */
    assert_int_equal(la.calls, 1);
    assert_int_equal(lb.calls, 1);
    assert_true(la.server == 1 && la.before == 0 && la.now == SL_DOWN_FAILED);
    assert_true(lb.server == 1 && lb.before == 0 && lb.now == SL_DOWN_FAILED);
    /* The same bits again: no change, nobody told. */
    sl_fleet_set_down(&f, 12 * US_PER_S, 1, SL_DOWN_FAILED, 1);
    assert_int_equal(la.calls, 1);
    /* An owner that keeps loading its cards on a failed server draws nothing. */
    sl_fleet_set_load(&f, 15 * US_PER_S, 4, 2, SL_PHASE_DECODE, 0.5);
    assert_close(f.m.v[SL_Q_IT], 2400, 1e-12);

    sl_fleet_set_down(&f, 20 * US_PER_S, 1, SL_DOWN_FABRIC, 1);
    assert_int_equal(sl_fleet_server_down(&f, 1), SL_DOWN_FAILED | SL_DOWN_FABRIC);
    assert_int_equal(sl_fleet_servers_down(&f), 1);
    assert_close(f.m.v[SL_Q_IT], 2400, 1e-12);
    assert_int_equal(la.calls, 2);
    assert_true(la.before == SL_DOWN_FAILED && la.now == (SL_DOWN_FAILED | SL_DOWN_FABRIC));

    sl_fleet_set_down(&f, 30 * US_PER_S, 1, SL_DOWN_FAILED, 0);
    assert_int_equal(sl_fleet_server_down(&f, 1), SL_DOWN_FABRIC);
    assert_close(f.m.v[SL_Q_IT], 2800, 1e-12); /* back idle: 4 x 100 W */
    for (size_t i = 4; i < 8; i++) {
        assert_true(sl_fleet_card_power_w(&f, i) == 100);
        assert_int_equal(f.card[i].owner, i < 6 ? a : b); /* still owned */
    }
    assert_int_equal(lb.calls, 3);
    assert_true(lb.before == (SL_DOWN_FAILED | SL_DOWN_FABRIC) && lb.now == SL_DOWN_FABRIC);

    sl_fleet_set_down(&f, 40 * US_PER_S, 1, SL_DOWN_FABRIC, 0);
    assert_int_equal(sl_fleet_server_down(&f, 1), 0);
    assert_int_equal(sl_fleet_servers_down(&f), 0);
    assert_close(f.m.v[SL_Q_IT], 2800, 1e-12);
    assert_int_equal(la.calls, 4);

    /* FABRIC keeps the power of a loaded server. */
    sl_fleet_set_down(&f, 45 * US_PER_S, 0, SL_DOWN_FABRIC, 1);
    assert_close(f.m.v[SL_Q_IT], 2800, 1e-12);
    assert_int_equal(la.calls, 5);
    assert_int_equal(lb.calls, 4); /* b has no card on server 0 */
    sl_fleet_set_down(&f, 45 * US_PER_S, 0, SL_DOWN_FABRIC, 0);

    /* A free server: no owner to tell; ABSENT powers it off too. */
    sl_fleet_set_down(&f, 45 * US_PER_S, 2, SL_DOWN_ABSENT, 1);
    assert_close(f.m.v[SL_Q_IT], 2400, 1e-12);
    assert_int_equal(la.calls, 6);
    assert_int_equal(lb.calls, 4);
    sl_fleet_set_down(&f, 50 * US_PER_S, 2, SL_DOWN_ABSENT, 0);

    double e[SL_Q_COUNT], mx, mn;
    sl_fleet_take_window(&f, 50 * US_PER_S, e, &mx, &mn);
    /* [45, 50 s) ran at 2400 W, not 2800: 148,000 - 400 * 5. */
    assert_close(e[SL_Q_IT], 148000 - 2000, 1e-12);
    assert_close(mx, 4400, 1e-12);
    assert_close(mn, 2400, 1e-12);
    double v = f.m.v[SL_Q_IT];
    sl_fleet_resum(&f, 50 * US_PER_S);
    assert_close(f.m.v[SL_Q_IT], v, 1e-12);
    sl_fleet_release(&f);
}

/* ---- Allocation failure. ---- */

static void test_alloc_failure(void **state)
{
    (void)state;
    make_scenario(10, 4, 2, 1000, 5000, 0, 0);
    int failures = 0;
    for (long budget = 0;; budget++) {
        struct torture t = {budget, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        struct sl_fleet f;
        int rc = sl_fleet_init(&f, &g_sc, &g_calc);
        if (rc == SL_OK) {
            sl_fleet_release(&f);
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(t.live, 0);
            break;
        }
        sl_alloc_set_hook(NULL, NULL);
        assert_int_equal(rc, SL_ENOMEM);
        assert_int_equal(t.live, 0);
        assert_null(f.card);
        assert_null(f.srv);
        assert_null(f.rack);
        assert_null(f.dirty_racks);
        assert_null(f.owner);
        sl_fleet_release(&f);
        failures++;
        assert_true(budget < 10);
    }
    assert_int_equal(failures, 8); /* pools, cards, caps, tiers, servers, racks, dirty racks,
                                    * owners */

    /* Growing the owner table: a failure leaves the fleet as it was. */
    struct sl_fleet f;
    init_fleet(&f);
    uint16_t id = 0;
    size_t cap = f.owners_cap;
    while (f.nowners < cap)
        add_owner(&f, "o", NULL, NULL);
    struct torture t = {0, 0, 0};
    sl_alloc_set_hook(torture_alloc, &t);
    assert_int_equal(sl_fleet_add_owner(&f, "late", NULL, NULL, &id), SL_ENOMEM);
    sl_alloc_set_hook(NULL, NULL);
    assert_int_equal(f.nowners, cap);
    assert_int_equal(sl_fleet_claim(&f, (uint16_t)(cap - 1), 0, 1), SL_OK);
    assert_int_equal(sl_fleet_add_owner(&f, "late", NULL, NULL, &id), SL_OK);
    assert_int_equal(id, cap);
    assert_int_equal(sl_fleet_claim(&f, id, 1, 1), SL_OK);

    /* At most 65,535 owners. */
    while (f.nowners <= UINT16_MAX)
        assert_int_equal(sl_fleet_add_owner(&f, "o", NULL, NULL, &id), SL_OK);
    assert_int_equal(id, UINT16_MAX);
    assert_int_equal(sl_fleet_add_owner(&f, "o", NULL, NULL, &id), SL_ERANGE);
    assert_int_equal(sl_fleet_claim(&f, UINT16_MAX, 2, 1), SL_OK);
    sl_fleet_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_is_linear),
        cmocka_unit_test(test_phase_power),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_release_makes_idle),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_tiers),
        cmocka_unit_test(test_speed_callback),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_partial_rack),
        cmocka_unit_test(test_rack_peak_one_call),
        cmocka_unit_test(test_random_partial_rack),
        cmocka_unit_test(test_random_rack_stage),
        cmocka_unit_test(test_random_one_server_racks),
        cmocka_unit_test(test_random_total),
        cmocka_unit_test(test_resum),
        cmocka_unit_test(test_start_meters),
        cmocka_unit_test(test_two_pools),
        cmocka_unit_test(test_availability),
        cmocka_unit_test_teardown(test_alloc_failure, restore_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
