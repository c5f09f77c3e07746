/*
 * Power limits below the site (docs/model.md, "Power limits in a
 * hierarchy, ramps and admission"):
 *   - a rack limit: on a center of 8 racks where two training jobs fill
 *     a rack each, the site cap loose, the rack limit is never violated
 *     beyond its tolerance, and only the racks over it (at most the two
 *     loaded ones) get capped; with a 30 s telemetry lag the same limit is
 *     violated (the rule can fail), and row limits are accounted too;
 *   - the stress test of issue #10: ten 1,024-card jobs submitted within
 *     three seconds at 14:00 on a July day at Xinghua (traditional chain
 *     and air cooling) under the threshold policy: with admission control
 *     no level has a sustained violation and nothing goes over the cap;
 *     without it the site is over the cap for longer than the tolerance;
 *   - inference arrivals are shed when the site is forecast over its cap;
 *   - contradicting limits are refused with file:line:column.
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

static char tmpdir[] = "/tmp/suanli-power-levels-XXXXXX";

#include "power_util.h"

/* 64 servers of 8 cards in 8 racks; two jobs of one rack each. */
static const char *const racks_yaml = "name: pm-racks\n"
                                      "run: {duration: 20min, sample: 1min, seed: 3, start: "
                                      "\"2025-07-15T13:00\"}\n"
                                      "site: {name: xinghua, grid_cap: 20 MW}\n"
                                      "fleet: {servers: 64, servers_per_rack: 8, server: t1008}\n"
                                      "facility: {power_chain: ac-2n-ups, cooling: "
                                      "air-chilled-water, step: 1min}\n"
                                      "workload:\n"
                                      "  training:\n"
                                      "    jobs:\n"
                                      "      - {name: a, submit: 2min, cards: 64, duration: 1h}\n"
                                      "      - {name: b, submit: 2min, cards: 64, duration: 1h}\n"
                                      "power: {policy: threshold, rack: {limit: 38 kW}}\n";

static void test_rack_limit(void **state)
{
    (void)state;
    struct sl_summary off, on, slow, rows;
    const char *none[] = {"power.rack.limit=0 W"};
    const char *lag[] = {"power.telemetry_lag=30s"};
    const char *row[] = {"power.rack.limit=0 W", "power.row.racks=4", "power.row.limit=70 kW"};
    const char *path = test_write_file(tmpdir, "racks.yaml", racks_yaml);
    run_sets(path, NULL, none, 1, &off);
    run_sets(path, NULL, NULL, 0, &on);
    run_sets(path, NULL, lag, 1, &slow);
    run_sets(path, NULL, row, 3, &rows);
    /* Unlimited, the two loaded racks draw more than 38 kW. */
    assert_true(num(&off, "rack_kw.peak") > 38);
    assert_null(sl_summary_get(&off, "power.rack.violations"));
    /* Limited: short excursions only, and only the loaded racks capped. */
    assert_true(num(&on, "power.rack.violations") == 0);
    assert_true(num(&on, "power.rack.violation_s") == 0);
    assert_true(num(&on, "power.rack.over_limit_s") > 0);
    assert_true(num(&on, "power.rack.capped_racks") >= 1);
    assert_true(num(&on, "power.rack.capped_racks") <= 2);
    assert_true(num(&on, "power.rack.capped_rack_h") > 0);
    /* The site was never near its cap: no site decision. */
    assert_true(num(&on, "power.decisions") == 0);
    assert_true(num(&on, "power.violations") == 0);
    /* The limit is held at a throughput cost. */
    assert_true(num(&on, "training.tokens") < num(&off, "training.tokens"));
    /* A 30 s lag: the same limit is violated. */
    assert_true(num(&slow, "power.rack.violations") > 0);
    assert_true(num(&slow, "power.rack.over_limit_s") > num(&on, "power.rack.over_limit_s"));
    /* Rows of four racks limited to 70 kW, below one loaded rack and
     * three idle ones: held by capping the row's racks. */
    assert_true(num(&rows, "power.row.rows") == 2);
    assert_true(num(&rows, "power.row.violations") == 0);
    assert_true(num(&rows, "power.row.over_limit_s") > 0);
    assert_true(num(&rows, "power.row.capped_rack_h") > 0);
    /* Server and card levels are reported. */
    assert_true(num(&on, "power.server.max_load_share") > 0.3);
    assert_true(num(&on, "power.server.max_load_share") <= 1);
    assert_true(num(&on, "power.server.over_capacity_samples") == 0);
    assert_close(num(&on, "power.card.min_limit_w"), 0.3 * 470, 1e-12);
    sl_summary_release(&off);
    sl_summary_release(&on);
    sl_summary_release(&slow);
    sl_summary_release(&rows);
}

/* Ten 1,024-card jobs within three seconds at 14:00 on a July afternoon
 * at Xinghua (the traditional design), under the threshold policy with
 * rack and row limits and a 2 s site tolerance. */
static const char *const burst_yaml =
    "name: pm-burst\n"
    "run: {duration: 30min, sample: 1min, seed: 1, start: "
    "\"2025-07-15T13:50\"}\n"
    "site: {name: xinghua, grid_cap: 8 MW}\n"
    "fleet: {servers: 1280, servers_per_rack: 8, server: t1008}\n"
    "facility: {power_chain: ac-2n-ups, cooling: "
    "air-chilled-water, step: 1min}\n"
    "workload:\n"
    "  training:\n"
    "    jobs:\n"
    "      - {name: j0, submit: 600s, cards: 1024, duration: 1h}\n"
    "      - {name: j1, submit: 600s, cards: 1024, duration: 1h}\n"
    "      - {name: j2, submit: 600s, cards: 1024, duration: 1h}\n"
    "      - {name: j3, submit: 600s, cards: 1024, duration: 1h}\n"
    "      - {name: j4, submit: 601s, cards: 1024, duration: 1h}\n"
    "      - {name: j5, submit: 601s, cards: 1024, duration: 1h}\n"
    "      - {name: j6, submit: 602s, cards: 1024, duration: 1h}\n"
    "      - {name: j7, submit: 602s, cards: 1024, duration: 1h}\n"
    "      - {name: j8, submit: 603s, cards: 1024, duration: 1h}\n"
    "      - {name: j9, submit: 603s, cards: 1024, duration: 1h}\n"
    "power: {policy: threshold, tolerance: 2s, rack: {limit: "
    "38 kW}, row: {racks: 8, limit: 280 kW}}\n";

static void test_burst(void **state)
{
    (void)state;
    struct sl_summary without, with;
    const char *off[] = {"power.admission=false"};
    const char *on[] = {"power.admission=true"};
    const char *path = test_write_file(tmpdir, "burst.yaml", burst_yaml);
    run_sets(path, NULL, off, 1, &without);
    run_sets(path, NULL, on, 1, &with);
    print_message("burst without admission: site violations %g (%g s), max overshoot %.0f kW; "
                  "rack violations %g, row violations %g\n",
                  num(&without, "power.violations"), num(&without, "power.violation_s"),
                  num(&without, "power.max_overshoot_kw"), num(&without, "power.rack.violations"),
                  num(&without, "power.row.violations"));
    print_message("burst with admission: site violations %g, max overshoot %.0f kW; rack %g, "
                  "row %g; refusals %g, jobs delayed %g, power wait %.0f s\n",
                  num(&with, "power.violations"), num(&with, "power.max_overshoot_kw"),
                  num(&with, "power.rack.violations"), num(&with, "power.row.violations"),
                  num(&with, "power.admission_refusals"), num(&with, "training.power_delayed_jobs"),
                  num(&with, "training.power_wait_s"));
    /* Without admission the burst overshoots the cap for longer than the
     * tolerance before the lagged control catches it. */
    assert_true(num(&without, "power.violations") >= 1);
    assert_true(num(&without, "power.max_overshoot_kw") > 500);
    /* With it: no sustained violation at any level, never over the cap. */
    assert_true(num(&with, "power.violations") == 0);
    assert_true(num(&with, "power.over_cap_s") == 0);
    assert_true(num(&with, "power.rack.violations") == 0);
    assert_true(num(&with, "power.row.violations") == 0);
    assert_true(num(&with, "power.server.over_capacity_samples") == 0);
    assert_true(num(&with, "power.admission_refusals") > 0);
    assert_true(num(&with, "training.power_delayed_jobs") > 0);
    assert_true(num(&with, "training.power_wait_s") > 0);
    assert_true(num(&with, "training.jobs_started") < num(&without, "training.jobs_started"));
    sl_summary_release(&without);
    sl_summary_release(&with);
}

/* Eight servers serving a small model at 20 requests/s under a cap below
 * the servers' idle power: the site is over its cap whatever the cards
 * do, so admission control sheds every arrival (request and flow
 * fidelity alike); without it every request is served. */
static const char *const shed_yaml =
    "name: pm-shed\n"
    "run: {duration: 10min, sample: 1min, seed: 2, start: \"2025-07-15T14:00\"}\n"
    "site: {name: xinghua, grid_cap: 20 kW}\n"
    "fleet: {servers: 8, servers_per_rack: 8, server: t1008}\n"
    "facility: {power_chain: ac-2n-ups, cooling: air-chilled-water, step: 1min}\n"
    "workload:\n"
    "  inference:\n"
    "    - {name: chat, model: qwen2.5-7b, tp: 1, replicas: 64, fidelity: request,\n"
    "       requests: {rate: 20 /s, prompt_tokens: 512, output_tokens: 256}}\n"
    "power: {policy: threshold}\n";

static void test_shed(void **state)
{
    (void)state;
    struct sl_summary off, on, flow;
    const char *no[] = {"power.admission=false"};
    const char *yes[] = {"power.admission=true"};
    const char *yes_flow[] = {"power.admission=true", "workload.inference.0.fidelity=flow"};
    const char *path = test_write_file(tmpdir, "shed.yaml", shed_yaml);
    run_sets(path, NULL, no, 1, &off);
    run_sets(path, NULL, yes, 1, &on);
    run_sets(path, NULL, yes_flow, 2, &flow);
    assert_null(sl_summary_get(&off, "inference.requests_shed"));
    assert_true(num(&off, "inference.completed") > 10000);
    assert_true(num(&on, "inference.requests") > 10000);
    assert_true(num(&on, "inference.requests_shed") == num(&on, "inference.requests"));
    assert_true(num(&on, "inference.rejected") == num(&on, "inference.requests"));
    assert_true(num(&on, "inference.completed") == 0);
    assert_true(num(&on, "power.admission_shed_asks") == num(&on, "inference.requests"));
    assert_true(num(&flow, "inference.requests_shed") > 0.99 * num(&flow, "inference.requests"));
    sl_summary_release(&off);
    sl_summary_release(&on);
    sl_summary_release(&flow);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"power:\n  rack:\n    limit: 5 kW\n", 3, 12, "idle rack"},
        {"power:\n  row:\n    racks: 10\n    limit: 50 kW\n", 4, 12, "row 0"},
        {"power:\n  rack:\n    limit: 40 kW\n  row:\n    racks: 2\n    limit: 30 kW\n", 3, 12,
         "above 'power.row.limit'"},
        {"power:\n  row:\n    limit: 300 kW\n", 3, 12, "needs 'power.row.racks'"},
        {"power:\n  card:\n    min_limit: 60 %\n    max_limit: 50 %\n", 3, 16, "range is empty"},
        {"power:\n  card:\n    min_limit: 10 %\n    max_limit: 15 %\n", 4, 16, "idle power"},
        {"power:\n  ramp:\n    burn: true\n", 3, 11, "needs 'power.ramp.limit'"},
    };
    expect_bad(cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rack_limit),
        cmocka_unit_test(test_burst),
        cmocka_unit_test(test_shed),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
