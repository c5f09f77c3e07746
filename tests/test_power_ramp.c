/*
 * Ramp and swing limits and their mitigations (docs/model.md, "Power
 * limits in a hierarchy, ramps and admission"), on a 10,240-card center
 * with a loose cap where training jobs that fill it start together and
 * end together 15 minutes later, under a ramp limit of 1 MW/min:
 *   - without mitigation both the start and the end step the site's power
 *     by several MW within a minute;
 *   - with the burn load the largest drop over any minute is the limit,
 *     the burn costs energy, and that energy is exactly the IT energy the
 *     run gained (the burn passes the world's meters: energy balance);
 *   - with admission control as well, the starts are spread so that no
 *     minute ramps up by more than the limit (every job is smaller than
 *     the budget) and the jobs wait for it;
 *   - the analytic training swing: with every card of the jobs uncapped
 *     the swing is cards x (P_compute - P_comm) exactly, and a power floor
 *     of 80 % of compute power shrinks it at an energy cost.
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

static char tmpdir[] = "/tmp/suanli-power-ramp-XXXXXX";

#include "power_util.h"

static const char *const ramp_yaml =
    "name: pm-ramp\n"
    "run: {duration: 40min, sample: 1min, seed: 1, start: \"2025-07-15T13:50\"}\n"
    "site: {name: xinghua, grid_cap: 20 MW}\n"
    "fleet: {servers: 1280, servers_per_rack: 8, server: t1008}\n"
    "facility: {power_chain: ac-2n-ups, cooling: air-chilled-water, step: 1min}\n"
    "workload:\n"
    "  training:\n"
    "    jobs:\n"
    "      - {name: j0, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j1, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j2, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j3, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j4, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j5, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j6, submit: 1min, cards: 1024, duration: 15min}\n"
    "      - {name: j7, submit: 1min, cards: 1024, duration: 15min}\n"
    "power: {policy: threshold, ramp: {limit: 1}}\n";

static void test_burn(void **state)
{
    (void)state;
    struct sl_summary raw, burn;
    const char *off[] = {"power.ramp.burn=false"};
    const char *on[] = {"power.ramp.burn=true"};
    const char *path = test_write_file(tmpdir, "ramp.yaml", ramp_yaml);
    run_sets(path, NULL, off, 1, &raw);
    run_sets(path, NULL, on, 1, &burn);
    print_message("ramp without burn: step %.0f kW, up %.3f, down %.3f MW/min; with burn: down "
                  "%.3f MW/min, burn %.4f MWh\n",
                  num(&raw, "power.max_step_kw"), num(&raw, "power.max_ramp_up_mw_per_min"),
                  num(&raw, "power.max_ramp_down_mw_per_min"),
                  num(&burn, "power.max_ramp_down_mw_per_min"), num(&burn, "power.burn_mwh"));
    /* Unmitigated: the jobs' start and end are steps of MW. */
    assert_true(num(&raw, "power.max_step_kw") > 2000);
    assert_true(num(&raw, "power.max_ramp_down_mw_per_min") > 2);
    assert_true(num(&raw, "power.max_ramp_up_mw_per_min") > 2);
    assert_true(num(&raw, "power.burn_mwh") == 0);
    /* The burn holds the drop to the limit, at an energy cost. */
    assert_true(num(&burn, "power.max_ramp_down_mw_per_min") <= 1 + 1e-9);
    assert_true(num(&burn, "power.max_ramp_down_mw_per_min") > 0.9);
    assert_true(num(&burn, "power.burn_mwh") > 0);
    assert_true(num(&burn, "power.mitigation_mwh") >= num(&burn, "power.burn_mwh"));
    /* The burn is IT energy through the meters, and nothing else moved:
     * the jobs ran alike. */
    assert_close(num(&burn, "energy_mwh.it") - num(&raw, "energy_mwh.it"),
                 num(&burn, "power.burn_mwh"), 1e-6);
    assert_close(num(&burn, "training.tokens"), num(&raw, "training.tokens"), 1e-12);
    assert_true(num(&burn, "energy_mwh.facility") > num(&raw, "energy_mwh.facility"));
    sl_summary_release(&raw);
    sl_summary_release(&burn);
}

static void test_ramp_admission(void **state)
{
    (void)state;
    struct sl_summary s;
    const char *on[] = {"power.ramp.burn=true", "power.admission=true"};
    run_sets(test_write_file(tmpdir, "ramp.yaml", ramp_yaml), NULL, on, 2, &s);
    print_message("ramp with burn and admission: up %.3f, down %.3f MW/min; jobs delayed %g, "
                  "power wait %.0f s\n",
                  num(&s, "power.max_ramp_up_mw_per_min"),
                  num(&s, "power.max_ramp_down_mw_per_min"), num(&s, "training.power_delayed_jobs"),
                  num(&s, "training.power_wait_s"));
    assert_true(num(&s, "power.max_ramp_mw_per_min") <= 1);
    assert_true(num(&s, "power.admission_ramp_refusals") > 0);
    assert_true(num(&s, "training.power_delayed_jobs") >= 6);
    assert_true(num(&s, "training.power_wait_s") > 0);
    assert_true(num(&s, "training.jobs_completed") == 8);
    sl_summary_release(&s);
}

static void test_swing(void **state)
{
    (void)state;
    struct sl_summary raw, fl;
    const char *floor80[] = {"power.ramp.swing_floor=80 %"};
    const char *path = test_write_file(tmpdir, "ramp.yaml", ramp_yaml);
    run_sets(path, NULL, NULL, 0, &raw);
    run_sets(path, NULL, floor80, 1, &fl);
    /* 8,192 t100 cards (90-470 W) between train_compute (95 % of the
     * range) and train_comm (35 %). */
    assert_close(num(&raw, "power.max_swing_mw"), 8192 * 380 * (0.95 - 0.35) * 1e-6, 1e-9);
    assert_true(num(&raw, "power.swing_floor_mwh") == 0);
    assert_null(sl_summary_get(&raw, "power.max_swing_floored_mw"));
    /* A floor at 80 % of compute power: the swing left is compute less
     * the floor, 20 % of 451 W per card. */
    assert_close(num(&fl, "power.max_swing_floored_mw"), 8192 * 0.2 * (90 + 380 * 0.95) * 1e-6,
                 1e-9);
    assert_true(num(&fl, "power.swing_floor_mwh") > 0);
    assert_close(num(&fl, "power.mitigation_mwh"), num(&fl, "power.swing_floor_mwh"), 1e-12);
    sl_summary_release(&raw);
    sl_summary_release(&fl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burn),
        cmocka_unit_test(test_ramp_admission),
        cmocka_unit_test(test_swing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
