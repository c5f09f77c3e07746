/*
 * Tests for the fabric in runs (`fleet.fabric`: src/config/scenario_fabric.c,
 * src/world/world.c, src/report/results.c).
 *
 * The keys: their defaults are sl_fabric_spec_default()'s, and bad values
 * (a kind with a typo, a bandwidth without a known unit, a radix or a
 * two-tier fabric too small for the fleet) fail at load with the position
 * in the file.  The run: the same scenario with and without a fabric differ
 * in IT power by exactly the fabric's power, at the switch utilisation the
 * model documents (the fleet's mean card load share), in the steps' energy
 * and in the design the facility is sized from; `none` reports no switches.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/fabric_cfg.h"
#include "suanli/fabric.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"

static char tmpdir[] = "/tmp/sl_test_fabric_run_XXXXXX";

/* 48 T100 servers at a constant half load for two hours; fabric_yaml is
 * appended under `fleet:` (indented two spaces). */
static const char base_yaml[] = "name: fab\n"
                                "site: {name: xinghua}\n"
                                "run: {duration: 2h, sample: 1h, start: 2025-07-01}\n"
                                "workload:\n"
                                "  synthetic: {shape: constant, mean: 50 %%, noise: 0 %%, "
                                "change_interval: 1d}\n"
                                "  inference: []\n"
                                "fleet:\n"
                                "  servers: %d\n"
                                "  servers_per_rack: 8\n"
                                "%s";

static int load_text(const char *text, struct sl_scenario_set *out, struct sl_diag *d)
{
    struct sl_load_opts o = {test_write_file(tmpdir, "s.yaml", text), NULL, 0, NULL, NULL};
    sl_diag_clear(d);
    return sl_scenario_load(&o, out, d);
}

static void load(int servers, const char *fabric, struct sl_scenario_set *out)
{
    char text[2048];
    snprintf(text, sizeof text, base_yaml, servers, fabric);
    struct sl_diag d;
    if (load_text(text, out, &d) != SL_OK)
        fail_msg("load: %s", d.msg);
    assert_int_equal(out->n, 1);
}

/* Loads text that must fail and checks the message has each needle. */
static void load_fails(int servers, const char *fabric, ...)
{
    char text[2048];
    snprintf(text, sizeof text, base_yaml, servers, fabric);
    struct sl_scenario_set set;
    struct sl_diag d;
    int rc = load_text(text, &set, &d);
    if (rc == SL_OK) {
        sl_scenario_set_release(&set);
        fail_msg("loaded, want an error for:\n%s", text);
    }
    assert_int_equal(rc, SL_EINVAL);
    char full[2048];
    sl_diag_format(&d, full, sizeof full);
    va_list ap;
    va_start(ap, fabric);
    for (const char *n; (n = va_arg(ap, const char *));)
        if (!strstr(full, n))
            fail_msg("message '%s' lacks '%s'", full, n);
    va_end(ap);
}

static void run(const struct sl_scenario *sc, const char *name, struct sl_summary *s)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    sl_summary_init(s);
    if (sl_run_scenario(sc, &ro, s, &d) != SL_OK)
        fail_msg("run: %s", d.msg);
}

static const struct sl_summary_entry *entry(const struct sl_summary *s, const char *key,
                                            enum sl_value_type type)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e || e->type != type)
        fail_msg("summary has no %s '%s'", type == SL_V_STR ? "string" : "value", key);
    return e;
}

static double num(const struct sl_summary *s, const char *key)
{
    return entry(s, key, SL_V_NUM)->x;
}

static int64_t inum(const struct sl_summary *s, const char *key)
{
    return entry(s, key, SL_V_INT)->i;
}

/* The keys' defaults are the library's. */
static void test_defaults(void **state)
{
    (void)state;
    struct sl_scenario_set set;
    load(1280, "", &set);
    const struct sl_fabric_cfg *c = &set.items[0].fleet.fabric;
    assert_int_equal(c->kind, SL_FABRIC_CFG_AUTO);
    struct sl_fabric_spec got, want;
    sl_fabric_spec_default(&want);
    sl_fabric_cfg_spec(c, want.kind, &got);
    assert_int_equal(got.nics_per_server, want.nics_per_server);
    assert_true(got.nic_bw == want.nic_bw && got.port_bw == want.port_bw);
    assert_int_equal(got.switch_radix, want.switch_radix);
    assert_true(got.oversubscription == want.oversubscription);
    assert_int_equal(got.servers_per_leaf, want.servers_per_leaf);
    assert_true(got.switch_w == want.switch_w && got.switch_idle_share == want.switch_idle_share);
    assert_true(got.optics_w == want.optics_w);
    assert_int_equal(got.server_links_optical, want.server_links_optical);
    assert_close(got.nic_latency_us, want.nic_latency_us, 1e-12);
    assert_close(got.switch_latency_us, want.switch_latency_us, 1e-12);

    /* auto: the 10,240-card center outgrows two tiers; tens of thousands
     * of links. */
    struct sl_fabric f;
    int built;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_cfg_build(c, 1280, 0, &f, &built, &d), SL_OK);
    assert_int_equal(built, 1);
    assert_int_equal(f.spec.kind, SL_FABRIC_FAT_TREE_3);
    assert_int_equal(f.links, 30720);
    sl_fabric_release(&f);
    /* ... and a small fleet gets two. */
    assert_int_equal(sl_fabric_cfg_build(c, 48, 0, &f, &built, &d), SL_OK);
    assert_int_equal(f.spec.kind, SL_FABRIC_FAT_TREE_2);
    sl_fabric_release(&f);
    sl_scenario_set_release(&set);

    /* Units: bits and bytes. */
    load(48, "  fabric: {nic_bw: 400 Gb/s, port_bw: 50 GB/s, kind: rail}\n", &set);
    c = &set.items[0].fleet.fabric;
    assert_true(c->nic_bw == 50e9 && c->port_bw == 50e9);
    assert_int_equal(c->kind, SL_FABRIC_CFG_RAIL);
    sl_scenario_set_release(&set);
}

/* Bad fabric keys fail at load with file:line:col. */
static void test_errors(void **state)
{
    (void)state;
    load_fails(48, "  fabric:\n    kind: fat-tree\n", "s.yaml:11:11", "fleet.fabric.kind",
               "did you mean 'fat-tree-2'", NULL);
    load_fails(48, "  fabric:\n    nic_bw: 200 Gbps\n", "s.yaml:11:13", "unknown bandwidth unit",
               "Gb/s", NULL);
    load_fails(48, "  fabric:\n    nic_bw: 200\n", "s.yaml:11:13", "bandwidth", NULL);
    /* A leaf of 8 ports cannot hold a server's 8 NICs and their uplinks. */
    load_fails(48, "  fabric:\n    switch_radix: 8\n", "s.yaml:11:5", "fleet.fabric: a 8-port leaf",
               NULL);
    /* Two tiers of 128-port switches hold 128 leaves of 8 servers. */
    load_fails(1280, "  fabric:\n    kind: fat-tree-2\n", "s.yaml:11:5", "1280 servers",
               "use fat-tree-3", NULL);
    /* The default fabric cannot hold a fleet past 128 pods: reported at
     * the fleet's size. */
    load_fails(70000, "", "s.yaml:8:12", "65536 servers", NULL);
    /* The radix key's own range. */
    load_fails(48, "  fabric:\n    switch_radix: 1\n", "s.yaml:11:19", "switch_radix", NULL);
    /* none builds nothing, so nothing can be too small. */
    struct sl_scenario_set set;
    load(70000, "  fabric: {kind: none, switch_radix: 8}\n", &set);
    sl_scenario_set_release(&set);
}

/* IT power with the fabric = without + the fabric's power. */
static void test_it_power(void **state)
{
    (void)state;
    struct sl_scenario_set with, none;
    load(48, "", &with);
    load(48, "  fabric: {kind: none}\n", &none);
    struct sl_summary a, b;
    run(&with.items[0], "with", &a);
    run(&none.items[0], "none", &b);

    /* 48 servers of 8 NICs: 6 leaves of 8 servers with 64 uplinks each,
     * 6 x 64 / 128 = 3 spines; 384 + 384 links; optics at both ends of the
     * 384 leaf-spine links. */
    assert_string_equal(entry(&a, "fabric.kind", SL_V_STR)->s, "fat-tree-2");
    assert_int_equal(inum(&a, "fabric.tiers"), 2);
    assert_int_equal(inum(&a, "fabric.leaves"), 6);
    assert_int_equal(inum(&a, "fabric.spines"), 3);
    assert_int_equal(inum(&a, "fabric.cores"), 0);
    assert_int_equal(inum(&a, "fabric.switches"), 9);
    assert_int_equal(inum(&a, "fabric.links"), 768);
    assert_int_equal(inum(&a, "fabric.transceivers"), 768);
    double full_w = 9 * 750.0 + 768 * 4.5;
    assert_close(num(&a, "fabric.power_kw_full"), full_w / 1e3, 1e-12);
    /* A constant load: every step's switch utilisation is the mean. */
    double u = num(&a, "utilisation.mean");
    assert_true(u > 0.3 && u < 0.7);
    double fab_w = 9 * 750.0 * (0.7 + 0.3 * u) + 768 * 4.5;
    assert_close(num(&a, "fabric.power_kw"), fab_w / 1e3, 1e-9);
    assert_close(num(&a, "fabric.energy_mwh"), fab_w * 7200 / 3.6e9, 1e-9);

    /* The servers are the same; IT adds the fabric exactly. */
    assert_close(num(&a, "energy_mwh.silicon"), num(&b, "energy_mwh.silicon"), 1e-12);
    assert_close(num(&a, "energy_mwh.it"), num(&b, "energy_mwh.it") + num(&a, "fabric.energy_mwh"),
                 1e-12);
    assert_close(num(&a, "power_mw.it_mean"), num(&b, "power_mw.it_mean") + fab_w / 1e6, 1e-12);
    assert_close(num(&a, "power_mw.it_peak"), num(&b, "power_mw.it_peak") + fab_w / 1e6, 1e-12);
    assert_close(num(&a, "power_mw.it_design"), num(&b, "power_mw.it_design") + full_w / 1e6,
                 1e-12);
    assert_close(num(&a, "rack_kw.mean"), num(&b, "rack_kw.mean"), 1e-12);
    /* The facility sees more IT (more loss and cooling) and is sized for it. */
    assert_true(num(&a, "energy_mwh.facility") >
                num(&b, "energy_mwh.facility") + num(&a, "fabric.energy_mwh"));
    assert_true(num(&a, "power_mw.facility_design_worst") >
                num(&b, "power_mw.facility_design_worst"));

    /* kind none: no switches, no power. */
    assert_string_equal(entry(&b, "fabric.kind", SL_V_STR)->s, "none");
    assert_int_equal(inum(&b, "fabric.switches"), 0);
    assert_int_equal(inum(&b, "fabric.links"), 0);
    assert_true(num(&b, "fabric.power_kw") == 0 && num(&b, "fabric.energy_mwh") == 0);

    /* The time series carries the fabric's power. */
    char path[300];
    snprintf(path, sizeof path, "%s/with/timeseries.csv", tmpdir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(strstr(line, ",fabric_w,"));
    fclose(fp);

    sl_summary_release(&a);
    sl_summary_release(&b);
    sl_scenario_set_release(&with);
    sl_scenario_set_release(&none);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_it_power),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
