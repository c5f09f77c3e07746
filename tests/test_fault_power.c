/*
 * Power follows failures (issue #11, "Riding through": a failed gang drops
 * megawatts at once, and the ramp limits of the power manager see it).
 *
 * 1. A 512-card job on 64 servers with GPU failures: the largest one-minute
 *    fall of facility power is about the gang's whole swing (the job's
 *    cards go idle at once), while the same run without failures never
 *    falls.
 * 2. A restart is a start: with admission control, a job restarting after
 *    a transient failure while a second job took the headroom its
 *    interruption freed waits until it is admitted, so the manager never
 *    has to throttle anyone; without admission both run and it must.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

static char tmpdir[] = "/tmp/suanli-fault-power-XXXXXX";
static int nruns;

static void run_text(const char *text, const char *const *sets, size_t nsets, struct run *r)
{
    run_scenario_text(tmpdir, &nruns, text, sets, nsets, r);
}

static const char gang[] = "name: gang\n"
                           "run: {duration: 3d, sample: 1min, seed: 2}\n"
                           "fleet: {servers: 64, servers_per_rack: 8}\n"
                           "workload:\n"
                           "  training:\n"
                           "    jobs:\n"
                           "      - {name: big, model: llama3-8b, cards: 512, tokens: 1e13, "
                           "priority: 10}\n"
                           "power: {policy: priority}\n"
                           "failures:\n"
                           "  enabled: true\n"
                           "  gpu: {rate: 2}\n";

static void test_failed_gang_drops_power(void **state)
{
    (void)state;
    struct run on, off;
    const char *no_failures[] = {"failures.enabled=false"};
    run_text(gang, NULL, 0, &on);
    run_text(gang, no_failures, 1, &off);
    double swing = num(&on, "power_mw.it_peak") - num(&on, "power_mw.it_min");
    printf("512-card gang: %.0f interruptions, IT swing %.3f MW, largest fall %.3f MW/min "
           "(%.3g without failures)\n",
           num(&on, "training.interruptions"), swing, num(&on, "power.max_ramp_down_mw_per_min"),
           num(&off, "power.max_ramp_down_mw_per_min"));
    assert_true(num(&on, "training.interruptions") > 0);
    /* The whole gang goes idle in one instant: the fall is its swing (in
     * facility power, a little more than the IT swing). */
    assert_true(num(&on, "power.max_ramp_down_mw_per_min") >= 0.9 * swing);
    assert_true(num(&off, "power.max_ramp_down_mw_per_min") < 0.05 * swing);
    run_free(&on);
    run_free(&off);
}

/* Two 256-card jobs under a cap that holds one at full power; `a` fails
 * (transiently, keeping its servers) at 1.5 h, `b` starts in the headroom
 * that frees and runs 3 h. */
static const char pair[] = "name: restart\n"
                           "run: {duration: 2d, sample: 1min, seed: 2}\n"
                           "site: {grid_cap: 330 kW}\n"
                           "fleet: {servers: 64, servers_per_rack: 8}\n"
                           "workload:\n"
                           "  training:\n"
                           "    jobs:\n"
                           "      - {name: a, model: llama3-8b, cards: 256, tokens: 1e13, "
                           "priority: 10}\n"
                           "      - {name: b, model: llama3-8b, cards: 256, duration: 3h, "
                           "priority: 10}\n"
                           "power: {policy: priority, admission: true}\n"
                           "failures:\n"
                           "  enabled: true\n"
                           "  gpu: {rate: 4, permanent: 0%}\n";

static void test_restart_asks_admission(void **state)
{
    (void)state;
    struct run gated, open;
    const char *no_admission[] = {"power.admission=false"};
    run_text(pair, NULL, 0, &gated);
    run_text(pair, no_admission, 1, &open);
    printf("restart under admission: %.0f restarts held back, throttled %.0f card-h, over the cap "
           "%.0f s; without admission: throttled %.0f card-h, over the cap %.0f s\n",
           num(&gated, "training.power_delayed_restarts"), num(&gated, "power.throttled_card_h"),
           num(&gated, "power.over_cap_s"), num(&open, "power.throttled_card_h"),
           num(&open, "power.over_cap_s"));
    assert_true(num(&gated, "training.interruptions") > 0);
    assert_true(num(&gated, "training.power_delayed_restarts") >= 1);
    /* Had the restart not waited, both jobs would have run at once (as
     * they do without admission) and the manager would have throttled. */
    assert_true(num(&gated, "power.throttled_card_h") == 0);
    assert_true(num(&gated, "power.over_cap_s") == 0);
    assert_true(num(&open, "power.throttled_card_h") > 0);
    run_free(&gated);
    run_free(&open);
}

TEST_TMPDIR_FIXTURES(tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_gang_drops_power),
        cmocka_unit_test(test_restart_asks_admission),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
