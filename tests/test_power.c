/*
 * The power manager (src/workload/power_mgr.c; docs/model.md, "Power
 * manager").
 *
 *   - `static` on the default center's traditional variant for a summer
 *     day: the sized limit fits the worst hour (bisection result checked
 *     against the worst-case function), and the run has no excursion over
 *     the cap, where `none` is over the cap all day.
 *   - `none` sets no limit but accounts: the breaker rule's figures are
 *     there and show the traditional design over the cap.
 *   - Telemetry lag against margin with the `threshold` policy on a fast
 *     swinging load: a 2 s lag keeps the site within the cap with the
 *     default 2 % margin, a 30 s lag causes sustained violations with it,
 *     and a 20 % margin removes them again.
 *   - Configuration errors name file:line:column: an unknown policy (with
 *     a suggestion), a telemetry lag that is not a whole number of control
 *     intervals, a margin of 100 %, a zero control interval.
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

static char tmpdir[] = "/tmp/suanli-power-XXXXXX";

#include "power_util.h"

static void test_static_default(void **state)
{
    (void)state;
    const char *none[] = {"run.duration=1d", "power.policy=none"};
    const char *stat[] = {"run.duration=1d", "power.policy=static"};
    struct sl_summary a, b;
    run_sets(NULL, "traditional", none, 2, &a);
    run_sets(NULL, "traditional", stat, 2, &b);
    /* Without limits the traditional design is over the cap; `none`
     * accounts for it by the breaker rule (read once per facility step). */
    const struct sl_summary_entry *pol = sl_summary_get(&a, "power.policy");
    assert_non_null(pol);
    assert_string_equal(pol->s, "none");
    assert_true(num(&a, "cap_exceeded_s") > 3600);
    assert_true(num(&a, "power.decisions") == 0);
    assert_true(num(&a, "power.violations") >= 1);
    assert_true(num(&a, "power.violation_s") > 3600);
    assert_true(num(&a, "power.max_overshoot_kw") > 0);
    assert_true(num(&a, "power.throttled_card_h") == 0);
    /* static: a real limit, sized to the target exactly (to the
     * bisection's resolution), and no excursion at any resolution. */
    double x = num(&b, "power.static_fraction");
    assert_true(x > 0.1 && x < 1);
    assert_true(num(&b, "power.worst_uncapped_kw") > num(&b, "power.target_kw"));
    assert_true(num(&b, "power.worst_capped_kw") <= num(&b, "power.target_kw"));
    assert_close(num(&b, "power.worst_capped_kw"), num(&b, "power.target_kw"), 1e-4);
    assert_close(num(&b, "power.target_kw"), 8000 * 0.98, 1e-12);
    assert_true(num(&b, "power.violations") == 0);
    assert_true(num(&b, "power.over_cap_s") == 0);
    assert_true(num(&b, "cap_exceeded_s") == 0);
    assert_true(num(&b, "power_mw.facility_peak") <= 8.0);
    assert_true(num(&b, "power.throttled_card_h") > 0);
    assert_true(num(&b, "power.energy_throttled_mwh") > 0);
    sl_summary_release(&a);
    sl_summary_release(&b);
}

/* A 48-server center whose load swings between 20 % and 100 % every ten
 * minutes (a stand-in for job starts and ends), starting at the trough. */
static const char *const swing_yaml = "name: pm-lag\n"
                                      "run: {duration: 6h, sample: 15min, seed: 3, "
                                      "start: 2025-07-15T10:00}\n"
                                      "site: {name: chengde, grid_cap: 300 kW}\n"
                                      "fleet: {servers: 48, servers_per_rack: 8, server: t1008}\n"
                                      "facility: {power_chain: ac-2n-ups, cooling: "
                                      "air-chilled-water, step: 1min}\n"
                                      "workload:\n"
                                      "  synthetic: {shape: diurnal, mean: 60 %, amplitude: 40 %, "
                                      "period: 10min, peak_time: 5min, noise: 0 %, "
                                      "change_interval: 2s}\n"
                                      "power: {policy: threshold, tolerance: 5s}\n";

static void run_swing(const char *lag, const char *margin, struct sl_summary *s)
{
    char a[64], b[64];
    snprintf(a, sizeof a, "power.telemetry_lag=%s", lag);
    snprintf(b, sizeof b, "power.margin=%s", margin);
    const char *sets[] = {a, b};
    run_sets(test_write_file(tmpdir, "swing.yaml", swing_yaml), NULL, sets, 2, s);
}

static void test_lag_needs_margin(void **state)
{
    (void)state;
    struct sl_summary off, fast, slow, wide;
    const char *none[] = {"power.policy=none"};
    run_sets(test_write_file(tmpdir, "swing.yaml", swing_yaml), NULL, none, 1, &off);
    run_swing("2s", "2 %", &fast);
    run_swing("30s", "2 %", &slow);
    run_swing("30s", "20 %", &wide);
    /* Uncontrolled, the peaks are over the cap. */
    assert_true(num(&off, "cap_exceeded_s") > 600);
    /* A short lag: never over the cap, with the cards throttled. */
    assert_true(num(&fast, "power.violations") == 0);
    assert_true(num(&fast, "power.over_cap_s") == 0);
    assert_true(num(&fast, "power.throttled_card_h") > 0);
    /* A long lag with the same margin: sustained excursions. */
    assert_true(num(&slow, "power.violations") > 10);
    assert_true(num(&slow, "power.violation_s") > 300);
    assert_true(num(&slow, "power.max_overshoot_kw") > 0);
    /* The same lag with a wider margin: none again, at a higher cost in
     * throttling than the short lag's. */
    assert_true(num(&wide, "power.violations") == 0);
    assert_true(num(&wide, "power.over_cap_s") == 0);
    assert_true(num(&wide, "power.throttled_card_h") > num(&fast, "power.throttled_card_h"));
    sl_summary_release(&off);
    sl_summary_release(&fast);
    sl_summary_release(&slow);
    sl_summary_release(&wide);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"power:\n  policy: statc\n", 2, 11, "did you mean 'static'?"},
        {"power:\n  control_interval: 2s\n  telemetry_lag: 3s\n", 3, 18, "whole multiple"},
        {"power:\n  margin: 100 %\n", 2, 11, "margin"},
        {"power:\n  control_interval: 0s\n", 2, 21, "control_interval"},
    };
    expect_bad(cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_default),
        cmocka_unit_test(test_lag_needs_margin),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
