/*
 * The `plan:` section of a scenario file (src/config/scenario_plan.c): what
 * sl_scenario_plan_read returns (keys in file order, values as text with
 * their positions, lists and mappings in flow style, by and slo), that
 * sl_scenario_load ignores the section and sl_scenario_load_plan applies
 * plan.set and the picked values (the command line after them), errors at
 * the file's positions, and allocation failure at every step of a read.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suanli/alloc.h"
#include "suanli/scenario.h"

static char tmpdir[] = "/tmp/sl_test_plan_cfg_XXXXXX";

static const char *const text = "name: p\n"
                                "fleet: {server: hgx-h100, servers: 4, servers_per_rack: 2}\n"
                                "plan:\n"
                                "  vary:\n"
                                "    fleet.servers: [4, 6]\n"
                                "    site.name: ['chengde', xinghua]\n"
                                "    site.tou: [[], [{from: 8h, to: 20h, price: 1 CNY/kWh}]]\n"
                                "  set: {run.duration: 1h}\n"
                                "  by: site.name\n"
                                "  slo: 0.9\n";

static void test_read(void **state)
{
    (void)state;
    const char *path = test_write_file(tmpdir, "p.yaml", text);
    struct sl_plan_cfg c;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_plan_read(path, &c, &d), SL_OK);
    assert_true(c.present);
    assert_int_equal(c.line, 3);
    assert_int_equal(c.nvary, 3);
    assert_string_equal(c.vary[0].key, "fleet.servers");
    assert_int_equal(c.vary[0].key_line, 5);
    assert_int_equal(c.vary[0].n, 2);
    assert_string_equal(c.vary[0].values[1], "6");
    assert_int_equal(c.vary[0].line[1], 5);
    assert_int_equal(c.vary[0].col[1], 24);
    /* A quoted scalar shows as its text. */
    assert_string_equal(c.vary[1].values[0], "chengde");
    assert_string_equal(c.vary[2].values[0], "[]");
    assert_string_equal(c.vary[2].values[1], "[{from: 8h, to: 20h, price: 1 CNY/kWh}]");
    assert_int_equal(c.nset, 1);
    assert_string_equal(c.by, "site.name");
    assert_int_equal(c.by_line, 9);
    assert_true(c.has_slo);
    assert_true(c.slo == 0.9);
    sl_plan_cfg_release(&c);
    assert_null(c.vary);

    /* No section, or no file: nothing. */
    assert_int_equal(sl_scenario_plan_read(test_write_file(tmpdir, "n.yaml", "name: n\n"), &c, &d),
                     SL_OK);
    assert_false(c.present);
    assert_int_equal(c.nvary, 0);
    assert_int_equal(sl_scenario_plan_read(NULL, &c, &d), SL_OK);
    assert_false(c.present);
}

static void test_load(void **state)
{
    (void)state;
    const char *path = test_write_file(tmpdir, "p.yaml", text);
    struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    /* `suanli run` ignores the section: the file's own values. */
    assert_int_equal(sl_scenario_load(&o, &set, &d), SL_OK);
    assert_int_equal(set.items[0].fleet.servers, 4);
    assert_true(set.items[0].run.duration_us != 3600000000LL);
    sl_scenario_set_release(&set);
    /* The plan: set, then the picked values; SIZE_MAX picks none. */
    size_t pick[3] = {1, 1, 1};
    assert_int_equal(sl_scenario_load_plan(&o, pick, 3, &set, &d), SL_OK);
    assert_int_equal(set.items[0].fleet.servers, 6);
    assert_string_equal(set.items[0].site.name, "xinghua");
    assert_int_equal(set.items[0].site.tou.n, 1);
    assert_int_equal(set.items[0].run.duration_us, 3600000000LL);
    sl_scenario_set_release(&set);
    size_t none[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    assert_int_equal(sl_scenario_load_plan(&o, none, 3, &set, &d), SL_OK);
    assert_int_equal(set.items[0].fleet.servers, 4);
    assert_int_equal(set.items[0].run.duration_us, 3600000000LL);
    sl_scenario_set_release(&set);
    /* The command line comes after plan.set. */
    const char *sets[] = {"run.duration=2h"};
    struct sl_load_opts o2 = {path, sets, 1, NULL, NULL};
    assert_int_equal(sl_scenario_load_plan(&o2, none, 3, &set, &d), SL_OK);
    assert_int_equal(set.items[0].run.duration_us, 7200000000LL);
    sl_scenario_set_release(&set);
}

static void test_errors(void **state)
{
    (void)state;
    struct sl_plan_cfg c;
    struct sl_diag d;
    /* A value that does not load is reported at the value, by the loader. */
    const char *path = test_write_file(tmpdir, "b.yaml",
                                       "name: b\n"
                                       "plan:\n"
                                       "  vary: {fleet.servers: [4, x]}\n");
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_plan_read(path, &c, &d), SL_OK);
    struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    size_t pick[1] = {1};
    assert_int_equal(sl_scenario_load_plan(&o, pick, 1, &set, &d), SL_EINVAL);
    assert_int_equal(d.line, 3);
    assert_int_equal(d.col, 29);
    sl_plan_cfg_release(&c);
    /* Shape errors are reported by the read. */
    path = test_write_file(tmpdir, "b.yaml", "plan:\n  vary: {fleet.servers: 4}\n");
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_plan_read(path, &c, &d), SL_EINVAL);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 25);
    assert_non_null(strstr(d.msg, "expects a list"));
    path = test_write_file(tmpdir, "b.yaml", "plan:\n  by: [a]\n");
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_plan_read(path, &c, &d), SL_EINVAL);
    assert_int_equal(d.line, 2);
    path = test_write_file(tmpdir, "b.yaml", "plan: [1]\n");
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_plan_read(path, &c, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "expects a mapping"));
}

static void test_torture(void **state)
{
    (void)state;
    const char *path = test_write_file(tmpdir, "p.yaml", text);
    struct sl_plan_cfg c;
    struct sl_diag d;
    long n = 0;
    for (;; n++) {
        struct torture t = {n, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        sl_diag_clear(&d);
        int rc = sl_scenario_plan_read(path, &c, &d);
        if (rc == SL_OK)
            sl_plan_cfg_release(&c);
        sl_alloc_set_hook(NULL, NULL);
        assert_int_equal(t.live, 0);
        if (rc == SL_OK)
            break;
        assert_int_equal(rc, SL_ENOMEM);
    }
    print_message("allocation failures injected at each of %ld allocations of a read\n", n);
    assert_true(n > 5);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_errors),
        cmocka_unit_test_teardown(test_torture, restore_hook),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
