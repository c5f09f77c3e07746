/*
 * The power manager's tiered policies (src/workload/pm_policy.c) and the
 * fleet's tiers (src/fleet/fleet.c); docs/model.md, "Power manager".
 *
 *   - The priority rule's arithmetic: shedding takes the lowest tier to its
 *     floor before it touches the next, and never a tier above its limit;
 *     giving back releases the highest tier first.
 *   - POLCA's levels: each threshold sets its level at once, a level is
 *     released only when the power predicted without it is clear of the
 *     threshold that set it; the limits per level (training and batch at
 *     t1, interactive at t2, everything at the brake).
 *   - A center of interactive inference and best-effort training under a
 *     cap that binds part of the day: `priority` limits the training cards
 *     only (no interactive card-hour under a limit, no token lost, training
 *     slowed); with a batch and an interactive service, a mild cap limits
 *     the batch one alone, a hard one both; `polca` limits training, not
 *     interactive inference; `static`
 *     delivers less training compute than `priority` and `threshold` with
 *     the same tokens.
 *   - The default center's traditional variant on a July day under
 *     `priority`: no sustained violation.
 *   - Configuration errors name file:line:column: an unknown policy and an
 *     unknown service class (with suggestions), polca thresholds in the
 *     wrong order.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"
#include "test_util.h"
#include "workload/power_mgr.h"

static char tmpdir[] = "/tmp/suanli-pmpolicy-XXXXXX";

#include "power_util.h"

/* ---- The rules' arithmetic ---- */

static void test_priority_step(void **state)
{
    (void)state;
    const double S[4] = {100, 200, 300, 400}; /* W per unit of x */
    const double u[4] = {0.9, 0.8, 0.5, 0.6};
    double x[4] = {1, 1, 1, 1}, out[4];
    /* 40 W: all from tier 0, from its demand (0.9), not from its limit. */
    assert_true(sl__pm_priority_step(x, S, u, 0.1, 40, out));
    assert_close(out[0], 0.9 - 0.4, 1e-12);
    assert_true(out[1] == 1 && out[2] == 1 && out[3] == 1);
    /* 200 W: tier 0 to its floor (80 W), the rest (120 W) from tier 1. */
    assert_true(sl__pm_priority_step(x, S, u, 0.1, 200, out));
    assert_close(out[0], 0.1, 1e-12);
    assert_close(out[1], 0.8 - 120.0 / 200, 1e-12);
    assert_true(out[2] == 1 && out[3] == 1);
    /* So much that every tier goes to its floor, interactive last. */
    assert_true(sl__pm_priority_step(x, S, u, 0.1, 1e6, out));
    for (int t = 0; t < 4; t++)
        assert_close(out[t], 0.1, 1e-12);
    /* A tier whose demand is below its limit (tier 2: u 0.5 < x 0.7) is
     * limited from its demand; one at its floor is skipped. */
    double y[4] = {0.1, 0.1, 0.7, 1};
    assert_true(sl__pm_priority_step(y, S, u, 0.1, 30, out));
    assert_true(out[0] == 0.1 && out[1] == 0.1 && out[3] == 1);
    assert_close(out[2], 0.5 - 0.1, 1e-12);
    /* Nothing left to shed: no move. */
    double z[4] = {0.1, 0.1, 0.1, 0.1};
    assert_false(sl__pm_priority_step(z, S, u, 0.1, 50, out));
    /* Giving back 350 W: the highest limited tier first (tier 3: 0.5 ->
     * 1 takes 200 W), then tier 2 (150 W: + 0.5); tiers 0 and 1 wait. */
    double w[4] = {0.1, 0.2, 0.3, 0.5};
    assert_true(sl__pm_priority_step(w, S, u, 0.1, -350, out));
    assert_close(out[3], 1, 1e-12);
    assert_close(out[2], 0.3 + 150.0 / 300, 1e-12);
    assert_true(out[1] == 0.2 && out[0] == 0.1);
    /* Enough for all: every limit lifted. */
    assert_true(sl__pm_priority_step(w, S, u, 0.1, -1e6, out));
    for (int t = 0; t < 4; t++)
        assert_true(out[t] == 1);
}

static void test_polca_levels(void **state)
{
    (void)state;
    const double t1 = 90, t2 = 95, brake = 98, rel = 3;
    /* Rising: straight to the level the reading calls for. */
    assert_int_equal(sl__pm_polca_level(0, 80, 80, t1, t2, brake, rel), 0);
    assert_int_equal(sl__pm_polca_level(0, 91, 91, t1, t2, brake, rel), 1);
    assert_int_equal(sl__pm_polca_level(0, 96, 96, t1, t2, brake, rel), 2);
    assert_int_equal(sl__pm_polca_level(1, 99, 99, t1, t2, brake, rel), 3);
    /* Held: within the hysteresis, or released power predicted too high. */
    assert_int_equal(sl__pm_polca_level(1, 88, 88, t1, t2, brake, rel), 1);
    assert_int_equal(sl__pm_polca_level(1, 80, 88, t1, t2, brake, rel), 1);
    assert_int_equal(sl__pm_polca_level(2, 85, 93, t1, t2, brake, rel), 2);
    assert_int_equal(sl__pm_polca_level(3, 60, 96, t1, t2, brake, rel), 3);
    /* Released one level at a time. */
    assert_int_equal(sl__pm_polca_level(1, 80, 86, t1, t2, brake, rel), 0);
    assert_int_equal(sl__pm_polca_level(2, 80, 80, t1, t2, brake, rel), 1);
    assert_int_equal(sl__pm_polca_level(3, 60, 94, t1, t2, brake, rel), 2);
    /* The reserve: the whole band T - t1 keeps the thresholds, none moves
     * both to T, half of it moves them halfway. */
    double a, b;
    sl__pm_polca_thresholds(brake, t1, t2, 8, &a, &b);
    assert_true(a == t1 && b == t2);
    sl__pm_polca_thresholds(brake, t1, t2, 20, &a, &b);
    assert_true(a == t1 && b == t2);
    sl__pm_polca_thresholds(brake, t1, t2, 0, &a, &b);
    assert_true(a == brake && b == brake);
    sl__pm_polca_thresholds(brake, t1, t2, 4, &a, &b);
    assert_true(fabs(a - 94) < 1e-12 && fabs(b - 96.5) < 1e-12);
    /* The limits of each level. */
    struct sl_power_cfg c;
    memset(&c, 0, sizeof c);
    c.polca_training_x = 0.7;
    c.polca_inference_x = 0.5;
    double x[4];
    sl__pm_polca_limits(&c, 0, x);
    for (int t = 0; t < 4; t++)
        assert_true(x[t] == 1);
    sl__pm_polca_limits(&c, 1, x);
    assert_true(x[SL_TIER_BEST_EFFORT] == 0.7 && x[SL_TIER_TRAINING] == 0.7);
    assert_true(x[SL_TIER_BATCH] == 0.5 && x[SL_TIER_INTERACTIVE] == 1);
    sl__pm_polca_limits(&c, 2, x);
    assert_true(x[SL_TIER_BATCH] == 0.5 && x[SL_TIER_INTERACTIVE] == 0.5);
    assert_true(x[SL_TIER_TRAINING] == 0.7);
    sl__pm_polca_limits(&c, 3, x);
    for (int t = 0; t < 4; t++)
        assert_true(x[t] == SL_PM_X_MIN);
}

/* ---- Runs ---- */

/* Eight servers (64 T100 cards): an interactive service on 32 cards whose
 * demand swings over the day, and a best-effort training job on the other
 * 32 for the whole run.  Uncapped, the facility draws ~48-58 kW. */
static const char *const mix_yaml =
    "name: pm-mix\n"
    "run: {duration: 1d, sample: 10min, seed: 5, start: 2025-07-15}\n"
    "site: {name: xinghua, grid_cap: 100 MW}\n"
    "fleet: {servers: 8, servers_per_rack: 8, fabric: {kind: none}}\n"
    "facility: {power_chain: ac-2n-ups, cooling: air-chilled-water, step: 1min}\n"
    "workload:\n"
    "  inference:\n"
    "    - name: chat\n"
    "      model: qwen2.5-7b\n"
    "      tp: 1\n"
    "      replicas: 32\n"
    "      weights: int8\n"
    "      kv: int8\n"
    "      fidelity: flow\n"
    "      requests:\n"
    "        arrival: poisson\n"
    "        rate: 65/s\n"
    "        diurnal: 90 %\n"
    "        peak_time: 15h\n"
    "        prompt_tokens: lognormal(6.6, 0.9, max=8000)\n"
    "        output_tokens: lognormal(5.0, 0.8, max=1000)\n"
    "  training:\n"
    "    jobs:\n"
    "      - {name: be, model: llama3-8b, cards: 32, duration: 30d, priority: 0}\n";

static void run_mix(const char *cap, const char *policy, struct sl_summary *s)
{
    char a[64], b[64];
    snprintf(a, sizeof a, "site.grid_cap=%s", cap);
    snprintf(b, sizeof b, "power.policy=%s", policy);
    const char *sets[] = {a, b};
    run_sets(test_write_file(tmpdir, "mix.yaml", mix_yaml), NULL, sets, 2, s);
}

static void test_priority_caps_training_first(void **state)
{
    (void)state;
    struct sl_summary none, pri;
    run_mix("56 kW", "none", &none);
    run_mix("56 kW", "priority", &pri);
    /* Uncapped, the afternoon is over the cap. */
    assert_true(num(&none, "power.over_cap_s") > 600);
    assert_true(num(&none, "training.slowdown") == 1);
    /* priority: within the cap, training limited, interactive never. */
    assert_true(num(&pri, "power.violations") == 0);
    assert_true(num(&pri, "power.limited_card_h.best_effort") > 0);
    assert_true(num(&pri, "power.limited_card_h.interactive") == 0);
    assert_true(num(&pri, "power.limited_card_h.batch") == 0);
    assert_true(num(&pri, "inference.tokens_lost") == 0);
    assert_true(num(&pri, "training.slowdown") > 1.01);
    assert_true(num(&pri, "training.pflop") < num(&none, "training.pflop"));
    /* A limit slows training but loses none of it: without failures the
     * ETTR loses only the checkpoint writes (it read 0.91 while it counted
     * the work at full speed). */
    assert_true(num(&pri, "training.ettr") > 0.99);
    assert_close(num(&pri, "inference.tokens_out"), num(&none, "inference.tokens_out"), 1e-12);
    sl_summary_release(&none);
    sl_summary_release(&pri);
}

/* Two services on 32 cards each, one `batch`: uncapped ~48.5 kW. */
static const char *const batch_yaml =
    "name: pm-batch\n"
    "run: {duration: 6h, sample: 10min, seed: 5, start: 2025-07-15T10:00}\n"
    "site: {name: xinghua, grid_cap: 100 MW}\n"
    "fleet: {servers: 8, servers_per_rack: 8, fabric: {kind: none}}\n"
    "facility: {power_chain: ac-2n-ups, cooling: air-chilled-water, step: 1min}\n"
    "workload:\n"
    "  inference:\n"
    "    - {name: chat, model: qwen2.5-7b, tp: 1, replicas: 32, weights: int8, kv: int8,\n"
    "       fidelity: flow, requests: {rate: 60/s, prompt_tokens: \"lognormal(6.6, 0.9)\",\n"
    "       output_tokens: \"lognormal(5.0, 0.8, max=1000)\"}}\n"
    "    - {name: bulk, class: batch, model: qwen2.5-7b, tp: 1, replicas: 32, weights: int8,\n"
    "       kv: int8, fidelity: flow, requests: {rate: 60/s,\n"
    "       prompt_tokens: \"lognormal(6.6, 0.9)\",\n"
    "       output_tokens: \"lognormal(5.0, 0.8, max=1000)\"}}\n";

static void test_priority_batch_before_interactive(void **state)
{
    (void)state;
    struct sl_summary mild, hard;
    const char *a[] = {"site.grid_cap=44 kW", "power.policy=priority"};
    const char *b[] = {"site.grid_cap=40 kW", "power.policy=priority"};
    run_sets(test_write_file(tmpdir, "batch.yaml", batch_yaml), NULL, a, 2, &mild);
    run_sets(test_write_file(tmpdir, "batch.yaml", batch_yaml), NULL, b, 2, &hard);
    /* A mild cap: the batch service alone is limited and loses tokens. */
    assert_true(num(&mild, "power.violations") == 0);
    assert_true(num(&mild, "power.limited_card_h.batch") > 1);
    assert_true(num(&mild, "power.limited_card_h.interactive") == 0);
    assert_true(num(&mild, "inference.services.bulk.tokens_lost") > 0);
    assert_true(num(&mild, "inference.services.chat.tokens_lost") == 0);
    /* A hard one: batch at its floor is not enough, interactive follows. */
    assert_true(num(&hard, "power.violations") == 0);
    assert_true(num(&hard, "power.limited_card_h.interactive") > 1);
    assert_true(num(&hard, "inference.services.bulk.tokens_lost") >
                num(&mild, "inference.services.bulk.tokens_lost"));
    sl_summary_release(&mild);
    sl_summary_release(&hard);
}

static void test_polca_caps_low_priority(void **state)
{
    (void)state;
    struct sl_summary s;
    run_mix("58 kW", "polca", &s);
    /* Above t1, never above t2 for long: training limited, interactive
     * inference not; no violation. */
    assert_true(num(&s, "power.violations") == 0);
    assert_true(num(&s, "power.decisions") >= 1);
    assert_true(num(&s, "power.limited_card_h.best_effort") > 1);
    assert_true(num(&s, "power.limited_card_h.interactive") == 0);
    assert_true(num(&s, "training.slowdown") > 1.01);
    sl_summary_release(&s);
}

static void test_polca_reserve(void **state)
{
    (void)state;
    /* polca keeps below the target only the reserve the interactive tier
     * has needed: at least the release band (3 % of 58 kW), at most the
     * band down to t1 (8 %).  The flow model's service moves smoothly (a
     * diurnal rate), the request model's in bursts of requests. */
    const char *path = test_write_file(tmpdir, "mix.yaml", mix_yaml);
    const char *flow[] = {"site.grid_cap=58 kW", "power.policy=polca", "run.duration=6h",
                          "run.start=2025-07-15T12:00"};
    const char *req[] = {"site.grid_cap=58 kW", "power.policy=polca", "run.duration=6h",
                         "run.start=2025-07-15T12:00", "workload.inference.0.fidelity=request"};
    struct sl_summary f, r;
    run_sets(path, NULL, flow, 4, &f);
    run_sets(path, NULL, req, 5, &r);
    printf("polca reserve at 58 kW: flow %.2f kW, request %.2f kW\n",
           num(&f, "power.polca_reserve_kw"), num(&r, "power.polca_reserve_kw"));
    assert_true(fabs(num(&f, "power.polca_reserve_kw") - 0.03 * 58) < 1e-9);
    assert_true(num(&r, "power.polca_reserve_kw") > 1.5 * 0.03 * 58);
    assert_true(num(&r, "power.polca_reserve_kw") <= (0.98 - 0.90) * 58 + 1e-9);
    assert_true(num(&f, "power.violations") == 0 && num(&r, "power.violations") == 0);
    sl_summary_release(&f);
    sl_summary_release(&r);
}

static void test_static_delivers_less(void **state)
{
    (void)state;
    struct sl_summary st, dyn[3];
    const char *const names[3] = {"priority", "threshold", "polca"};
    run_mix("60 kW", "static", &st);
    for (int k = 0; k < 3; k++)
        run_mix("60 kW", names[k], &dyn[k]);
    /* static limits every card all day for the worst hour of the year; the
     * dynamic policies only while the cap binds. */
    assert_true(num(&st, "power.static_fraction") < 1);
    printf("60 kW: static %.0f PFLOP, %.4g tokens", num(&st, "training.pflop"),
           num(&st, "inference.tokens_out"));
    for (int k = 0; k < 3; k++)
        printf("; %s %.0f PFLOP, %.4g tokens", names[k], num(&dyn[k], "training.pflop"),
               num(&dyn[k], "inference.tokens_out"));
    printf("\n");
    for (int k = 0; k < 3; k++) {
        const struct sl_summary *d = &dyn[k];
        assert_true(num(d, "power.violations") == 0);
        assert_true(num(d, "inference.tokens_out") >=
                    num(&st, "inference.tokens_out") * (1 - 1e-9));
        assert_true(num(d, "training.pflop") > 1.02 * num(&st, "training.pflop"));
        assert_true(num(d, "training.slowdown") < num(&st, "training.slowdown"));
        sl_summary_release(&dyn[k]);
    }
    sl_summary_release(&st);
}

static void test_default_hot_day(void **state)
{
    (void)state;
    /* The policies alone: no failures (a restarting 4,096-card job puts
     * 4.7 MW back at once; docs/model.md, "Failures and polca", says what
     * that does to polca). */
    const char *sets[] = {"run.duration=1d", "run.start=2025-07-15", "power.policy=priority",
                          "failures.enabled=false"};
    struct sl_summary s;
    run_sets(NULL, "traditional", sets, 4, &s);
    printf("priority, traditional, 2025-07-15: violations %.0f, over cap %.0f s, max overshoot "
           "%.1f kW, throttled %.0f card-h, training slowdown %.3f, tokens lost %.4g\n",
           num(&s, "power.violations"), num(&s, "power.over_cap_s"),
           num(&s, "power.max_overshoot_kw"), num(&s, "power.throttled_card_h"),
           num(&s, "training.slowdown"), num(&s, "inference.tokens_lost"));
    assert_true(num(&s, "power.violations") == 0);
    assert_true(num(&s, "power.violation_s") == 0);
    assert_true(num(&s, "power.over_cap_s") < 60);
    assert_true(num(&s, "power.throttled_card_h") > 0);
    assert_true(num(&s, "training.slowdown") > 1);
    /* Under a cap that binds all day, only the tiered policies keep the
     * services at SLO: static's one limit slows them all day. */
    struct sl_summary st, po;
    const char *s_static[] = {"run.duration=1d", "run.start=2025-07-15", "power.policy=static",
                              "failures.enabled=false"};
    const char *s_polca[] = {"run.duration=1d", "run.start=2025-07-15", "power.policy=polca",
                             "failures.enabled=false"};
    run_sets(NULL, "traditional", s_static, 4, &st);
    run_sets(NULL, "traditional", s_polca, 4, &po);
    printf("SLO attainment: priority %.3f, polca %.3f, static %.3f; training PFLOP: priority %.4g, "
           "polca %.4g, static %.4g\n",
           num(&s, "inference.slo_attainment"), num(&po, "inference.slo_attainment"),
           num(&st, "inference.slo_attainment"), num(&s, "training.pflop"),
           num(&po, "training.pflop"), num(&st, "training.pflop"));
    assert_true(num(&po, "power.violations") == 0);
    assert_true(num(&s, "inference.slo_attainment") > num(&st, "inference.slo_attainment") + 0.3);
    assert_true(num(&po, "inference.slo_attainment") > num(&st, "inference.slo_attainment") + 0.3);
    assert_true(num(&po, "inference.tokens_lost") == 0 && num(&s, "inference.tokens_lost") == 0);
    assert_true(num(&st, "inference.tokens_lost") > 0);
    sl_summary_release(&st);
    sl_summary_release(&po);
    sl_summary_release(&s);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"power:\n  policy: priorty\n", 2, 11, "did you mean 'priority'?"},
        {"power:\n  policy: polka\n", 2, 11, "did you mean 'polca'?"},
        {"power:\n  polca_t1: 95 %\n  polca_t2: 90 %\n", 2, 13, "must be below"},
        {"power:\n  polca_t2: 80 %\n", 2, 13, "must be below"},
        {"power:\n  priority_release: 0 %\n", 2, 21, "priority_release"},
        {"workload:\n  inference:\n    - name: a\n      model: qwen2.5-7b\n"
         "      class: bach\n",
         5, 14, "did you mean 'batch'?"},
    };
    expect_bad(cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_step),
        cmocka_unit_test(test_polca_levels),
        cmocka_unit_test(test_priority_caps_training_first),
        cmocka_unit_test(test_priority_batch_before_interactive),
        cmocka_unit_test(test_polca_caps_low_priority),
        cmocka_unit_test(test_polca_reserve),
        cmocka_unit_test(test_static_delivers_less),
        cmocka_unit_test(test_default_hot_day),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
