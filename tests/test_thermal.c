/*
 * Cooling loss and thermal throttling (src/world/world_thermal.c; issue
 * #11 "a cooling loss raises inlet temperature and throttles").
 *
 * A small air-cooled hall runs every card at full training load.  A test
 * source takes half the plant's chilled-water capacity away for three
 * hours (or a rack's own cooling unit), and an observer records every
 * facility step.  Checked against the model's closed forms: the hall
 * rides through for C m / (Q - Q_cap) before the cards throttle; then the
 * limit settles where the heat equals the capacity, without oscillating;
 * the cards' owner is told and their speed falls; after the repair the
 * hall cools back and every limit lifts.  A rack's own outage throttles
 * that rack only, to the heat its room share removes.  With no cooling at
 * all the racks trip and come back after the repair.  Finally the same
 * through the failure source: chillers beyond their redundancy throttle
 * the synthetic load of a whole run, and the failure log says "cooling".
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"
#include "faults/hazard.h"
#include "world/world.h"

static char tmpdir[] = "/tmp/suanli-thermal-XXXXXX";
static int nruns;

#define STEP_S   60
#define MAXSTEPS 1024
#define H        3600000000LL

/* What the test source does: site (half the air capacity) or rack 0. */
enum { LOSS_SITE, LOSS_RACK, LOSS_ALL };

static struct {
    int mode;
    int64_t t_loss, t_back;
    int told; /* speed_changed calls */
} cfg;

/* One record per closed step. */
static struct rec {
    double t1_s, heat_w, cap_w, theta_k, y0, y1, speed0, speed1, rack0_w, rack1_w;
    int told;
    size_t down;
} recs[MAXSTEPS];
static size_t nrecs;

struct src {
    struct sl_world *w;
    uint16_t owner;
};

static void told(void *ctx, int64_t now_us, size_t first, size_t n)
{
    (void)ctx;
    (void)now_us;
    (void)first;
    (void)n;
    cfg.told++;
}

static void on_loss(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    struct sl_world *w = ctx;
    if (cfg.mode == LOSS_SITE)
        sl_world_set_cooling_avail(w, arg ? 0.5 : 1, 1);
    else if (cfg.mode == LOSS_ALL)
        sl_world_set_cooling_avail(w, arg ? 0 : 1, arg ? 0 : 1);
    else
        assert_int_equal(sl_world_rack_cooling(w, 0, (int)arg), SL_OK);
}

static int src_start(void *state, struct sl_world *w, struct sl_diag *d)
{
    (void)d;
    struct src *s = state;
    s->w = w;
    struct sl_fleet *f = &w->fleet;
    assert_int_equal(sl_fleet_add_owner(f, "load", told, s, &s->owner), SL_OK);
    assert_int_equal(sl_fleet_claim(f, s->owner, 0, f->ncards), SL_OK);
    sl_fleet_set_load(f, 0, 0, f->ncards, SL_PHASE_TRAIN_COMPUTE, 1.0);
    assert_int_equal(sl_engine_schedule(&w->eng, cfg.t_loss, SL_PRIO_LOAD, on_loss, w, 1, NULL),
                     SL_OK);
    assert_int_equal(sl_engine_schedule(&w->eng, cfg.t_back, SL_PRIO_LOAD, on_loss, w, 0, NULL),
                     SL_OK);
    return SL_OK;
}

static void src_release(void *state)
{
    (void)state;
}

static const struct sl_source_ops load_source = {.name = "test-load",
                                                 .state_size = sizeof(struct src),
                                                 .start = src_start,
                                                 .release = src_release};

static void obs_step(void *state, struct sl_world *w, const struct sl_site_step *st)
{
    (void)state;
    assert_true(nrecs < MAXSTEPS);
    const struct sl_cooling_result *c = &st->fe.cooling;
    const struct sl_fleet *f = &w->fleet;
    struct rec *r = &recs[nrecs++];
    r->t1_s = (double)st->t1_us * 1e-6;
    r->heat_w = c->removed_air_w + c->removed_liquid_w + c->unmet_w;
    r->cap_w = c->capacity_w;
    r->theta_k = w->th.theta_k + (w->th.rack_theta ? w->th.rack_theta[0] : 0);
    r->y0 = sl_fleet_rack_thermal(f, 0);
    r->y1 = sl_fleet_rack_thermal(f, 1);
    r->speed0 = sl_fleet_card_speed(f, 0);
    r->speed1 = sl_fleet_card_speed(f, f->ncards - 1);
    r->rack0_w = f->rack[0].input_w;
    r->rack1_w = f->rack[1].input_w;
    r->told = cfg.told;
    r->down = sl_fleet_servers_down(f);
}

static void obs_release(void *state)
{
    (void)state;
}

static const struct sl_observer_ops step_observer = {
    .name = "test-steps", .state_size = 1, .step = obs_step, .release = obs_release};

static void load(const char *text, struct sl_scenario_set *set)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.yaml", nruns++);
    struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, set, &d) != SL_OK)
        fail_msg("loading: %s", d.msg);
}

static const char hall[] = "name: hall\n"
                           "run: {duration: 8h, sample: 1h, seed: 1}\n"
                           "fleet: {servers: 16, servers_per_rack: 8}\n"
                           "facility: {cooling: air-chilled-water, step: 1min}\n";

/* Runs the hall with the test source and observer. */
static void run_hall(int mode, struct sl_world *w, struct sl_scenario_set *set)
{
    load(hall, set);
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = mode;
    cfg.t_loss = 1 * H;
    cfg.t_back = 4 * H;
    nrecs = 0;
    static const struct sl_source_ops *const sources[] = {&load_source, NULL};
    static const struct sl_observer_ops *const observers[] = {&step_observer, NULL};
    struct sl_diag d;
    if (sl_world_init(w, &set->items[0], NULL, sources, observers, &d) != SL_OK)
        fail_msg("world: %s", d.msg);
    assert_int_equal(sl_world_start(w, &d), SL_OK);
    assert_int_equal(sl_world_run(w), SL_OK);
    assert_int_equal(nrecs, 8 * 60);
}

/* Index of the step that closes at t seconds. */
static size_t at(double t_s)
{
    return (size_t)(t_s / STEP_S) - 1;
}

static void test_site_loss_throttles(void **state)
{
    (void)state;
    struct sl_world w;
    struct sl_scenario_set set;
    run_hall(LOSS_SITE, &w, &set);
    const struct sl_cooling_spec *cs = set.items[0].cooling;
    double design = w.fac.design_air_w + w.fac.design_liquid_w;
    double C = cs->heat_capacity_s_per_k * design;

    /* Before the loss: spare capacity, no rise, full speed. */
    const struct rec *pre = &recs[at(3600)];
    assert_true(pre->heat_w < pre->cap_w);
    assert_true(pre->theta_k == 0 && pre->y0 == 1 && pre->speed0 == 1);
    assert_int_equal(pre->told, 0);

    /* Ride-through: the first limited step closes C m / (Q - Q_cap) after
     * the loss (within a step each side: the loss counts from the step
     * that closes after it). */
    const struct rec *lost = &recs[at(3600 + STEP_S)];
    assert_close(lost->cap_w, 0.5 * pre->cap_w, 1e-9);
    double ride_s = C * cs->throttle_margin_k / (pre->heat_w - lost->cap_w);
    size_t first = 0;
    for (size_t i = at(3600); i < nrecs && !first; i++)
        if (recs[i].y0 < 1)
            first = i;
    assert_true(first > 0);
    double seen_s = recs[first].t1_s - 3600;
    printf("ride-through: %.0f s seen, %.0f s from C m / (Q - Q_cap)\n", seen_s, ride_s);
    assert_true(seen_s >= ride_s - STEP_S && seen_s <= ride_s + 2 * STEP_S);

    /* Settles without oscillating: the rise never falls while the loss
     * lasts, and at the end the heat matches the capacity. */
    for (size_t i = at(3600) + 1; i <= at(4 * 3600); i++)
        assert_true(recs[i].theta_k >= recs[i - 1].theta_k - 1e-9);
    const struct rec *end = &recs[at(4 * 3600)];
    printf("at the end of the loss: heat %.1f kW, capacity %.1f kW, rise %.2f K, limit %.3f TDP, "
           "speed %.3f\n",
           end->heat_w / 1e3, end->cap_w / 1e3, end->theta_k, end->y0, end->speed0);
    assert_close(end->heat_w, end->cap_w, 0.02);
    assert_true(end->y0 < 1 && end->y0 == end->y1);
    double y_want = 1 - (end->theta_k - cs->throttle_margin_k) / cs->throttle_span_k;
    assert_true(fabs(end->y0 - y_want) <= 1.0 / 256 + 1e-9);
    assert_true(end->speed0 < 0.95 && end->speed0 == end->speed1);
    assert_true(cfg.told > 0);

    /* After the repair: the hall cools back and every limit lifts. */
    const struct rec *last = &recs[nrecs - 1];
    assert_true(last->theta_k == 0 && last->y0 == 1 && last->speed0 == 1);
    assert_true(w.tot.thermal_s > 0 && w.tot.thermal_min_y < 1);
    assert_close(w.tot.thermal_max_k, end->theta_k, 0.05);
    assert_int_equal(w.fleet.nthermal, 0);
    sl_world_release(&w);
    sl_scenario_set_release(&set);
}

static void test_rack_loss_throttles_its_rack(void **state)
{
    (void)state;
    struct sl_world w;
    struct sl_scenario_set set;
    run_hall(LOSS_RACK, &w, &set);
    const struct sl_cooling_spec *cs = set.items[0].cooling;
    double rack_design = w.fleet.pool[0].design_rack_w;
    const struct rec *end = &recs[at(4 * 3600)];
    printf("rack 0 without its cooling unit: %.1f kW (room share %.1f kW), rack 1 %.1f kW\n",
           end->rack0_w / 1e3, cs->rack_residual * rack_design / 1e3, end->rack1_w / 1e3);
    /* Rack 0 throttles to what the room removes; rack 1 runs on. */
    assert_true(end->y0 < 1 && end->speed0 < 1);
    assert_true(end->y1 == 1 && end->speed1 == 1);
    assert_close(end->rack0_w, cs->rack_residual * rack_design, 0.03);
    assert_true(end->rack1_w > 1.5 * end->rack0_w);
    assert_true(w.th.theta_k == 0); /* the plant had room for it */
    const struct rec *last = &recs[nrecs - 1];
    assert_true(last->y0 == 1 && last->speed0 == 1 && last->theta_k == 0);
    assert_int_equal(w.th.nrack_hot, 0);
    sl_world_release(&w);
    sl_scenario_set_release(&set);
}

/* No cooling at all: the cards throttle to idle, the hall still warms,
 * every rack trips; after the repair the hall cools and they come back. */
static void test_total_loss_trips(void **state)
{
    (void)state;
    struct sl_world w;
    struct sl_scenario_set set;
    run_hall(LOSS_ALL, &w, &set);
    const struct sl_cooling_spec *cs = set.items[0].cooling;
    double top = cs->throttle_margin_k + cs->throttle_span_k;
    size_t first = 0, back = 0;
    for (size_t i = at(3600); i < nrecs; i++) {
        if (!first && recs[i].down == w.fleet.nservers)
            first = i;
        if (first && !back && recs[i].down == 0)
            back = i;
    }
    assert_true(first > 0 && back > first);
    printf("no cooling from 1 h: tripped at %.0f s (rise %.1f K), back at %.0f s\n",
           recs[first].t1_s, recs[first].theta_k, recs[back].t1_s);
    assert_true(recs[first].theta_k >= top - 1e-9);
    assert_true(recs[first - 1].y0 < 0.25);  /* throttled (almost) to idle first */
    assert_true(recs[back].t1_s > 4 * 3600); /* not before the repair */
    assert_true(recs[back].theta_k == 0);
    assert_true(w.tot.thermal_trips == (double)w.fleet.nracks);
    assert_true(w.tot.thermal_trip_server_s > 0);
    const struct rec *last = &recs[nrecs - 1];
    assert_true(last->down == 0 && last->y0 == 1 && last->speed0 == 1);
    assert_int_equal(w.th.ntripped, 0);
    sl_world_release(&w);
    sl_scenario_set_release(&set);
}

/* Through the failure source: chillers beyond their redundancy. */
static void run_text(const char *text, struct run *r)
{
    run_scenario_text(tmpdir, &nruns, text, NULL, 0, r);
}

static void chiller_text(char *text, size_t size, int enabled)
{
    const char *head = "name: chillers\n"
                       "run: {duration: 3d, sample: 1h, seed: 4}\n"
                       "fleet: {servers: 32, servers_per_rack: 8}\n"
                       "workload: {synthetic: {shape: constant, mean: 95%, noise: 0%}}\n";
    size_t used = (size_t)snprintf(text, size, "%sfailures:\n  enabled: %s\n", head,
                                   enabled ? "true" : "false");
    for (int k = 0; k < SL_FC_COUNT; k++) {
        const char *name = sl_fault_class_names[k];
        if (strcmp(name, "chiller") == 0)
            used += (size_t)snprintf(text + used, size - used,
                                     "  chiller: {rate: 100, units: 3, redundant: 1, "
                                     "permanent: 100%%, repair: 8h, repair_sigma: 0}\n");
        else
            used += (size_t)snprintf(text + used, size - used, "  %s: {rate: 0}\n", name);
        assert_true(used < size);
    }
}

static void test_chillers_through_failures(void **state)
{
    (void)state;
    static char text[4096];
    struct run on, off;
    chiller_text(text, sizeof text, 1);
    run_text(text, &on);
    chiller_text(text, sizeof text, 0);
    run_text(text, &off);
    printf("chillers failing: throttled %.1f h, lowest limit %.3f TDP, IT %.3f MW (%.3f without)\n",
           num(&on, "cooling.throttled_h"), num(&on, "cooling.throttle_min_share"),
           num(&on, "power_mw.it_mean"), num(&off, "power_mw.it_mean"));
    assert_true(num(&on, "failures.by_class.chiller") > 0);
    assert_true(num(&on, "cooling.throttled_h") > 0);
    assert_true(num(&on, "cooling.throttle_min_share") < 1);
    assert_true(num(&on, "power_mw.it_mean") < num(&off, "power_mw.it_mean"));
    assert_true(num(&off, "cooling.throttled_h") == 0);
    /* A cooling unit takes no server down: availability stays whole. */
    assert_true(num(&on, "availability.servers") == 1);
    char path[700];
    snprintf(path, sizeof path, "%s/failures.csv", on.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    int cooling = 0;
    while (fgets(line, sizeof line, f))
        cooling += strstr(line, ",cooling,0,") != NULL;
    fclose(f);
    assert_true(cooling > 0);
    run_free(&on);
    run_free(&off);
}

/* The thermal keys of a plant: file:line:col and the key's name. */
static void test_bad_keys(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int col;
        const char *want;
    } cases[] = {
        {"heat_capacity: 0", 22, "'catalog.cooling.0.heat_capacity' must be greater than 0"},
        {"rack_residual: 120 %", 22, "'catalog.cooling.0.rack_residual' must be at most 100 %"},
        {"throttle_span: -3 K", 22, "'catalog.cooling.0.throttle_span' must be greater than 0"},
        {"throttle_margin: 2 kg", 24, "'catalog.cooling.0.throttle_margin': unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], name[64];
        snprintf(text, sizeof text,
                 "name: bad\nfleet: {servers: 8}\nfacility: {cooling: mine}\ncatalog:\n"
                 "  cooling:\n    - name: mine\n      kind: air\n      %s\n",
                 cases[i].line);
        snprintf(name, sizeof name, "bad%d.yaml", nruns++);
        struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
        struct sl_scenario_set set;
        struct sl_diag d;
        sl_diag_clear(&d);
        assert_int_equal(sl_scenario_load(&o, &set, &d), SL_EINVAL);
        if (!strstr(d.msg, cases[i].want) || d.line != 8 || d.col != cases[i].col ||
            !strstr(d.file, name))
            fail_msg("%s: got %s:%d:%d: '%s'", cases[i].line, d.file, d.line, d.col, d.msg);
    }
}

TEST_TMPDIR_FIXTURES(tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_site_loss_throttles),
        cmocka_unit_test(test_rack_loss_throttles_its_rack),
        cmocka_unit_test(test_total_loss_trips),
        cmocka_unit_test(test_chillers_through_failures),
        cmocka_unit_test(test_bad_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
