/*
 * What the power manager's tests share: reading a number from a summary,
 * and loading and running a scenario (path or the built-in default, one
 * variant, overrides) into a fresh folder under the including file's
 * `tmpdir` (a mkdtemp template); expecting load errors at a position; the
 * group's setup and teardown of tmpdir.  Include after <cmocka.h> and
 * "test_util.h", and after the definition of `static char tmpdir[]`.
 */
#ifndef SUANLI_TESTS_POWER_UTIL_H
#define SUANLI_TESTS_POWER_UTIL_H

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

static double num(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        fail_msg("summary has no key '%s'", key);
    if (e->type == SL_V_INT)
        return (double)e->i;
    if (e->type != SL_V_NUM)
        fail_msg("summary key '%s' is not a number", key);
    return e->x;
}

/* Loads path (NULL: the built-in default) with the overrides and runs its
 * only scenario into a fresh folder; fills s. */
static void run_sets(const char *path, const char *variant, const char *const *sets, size_t nsets,
                     struct sl_summary *s)
{
    struct sl_load_opts o = {path, sets, nsets, NULL, variant};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &set, &d) != SL_OK) {
        char msg[1600];
        fail_msg("loading: %s", sl_diag_format(&d, msg, sizeof msg));
    }
    assert_int_equal(set.n, 1);
    static int nrun;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/run%d", tmpdir, nrun++);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    sl_summary_init(s);
    int rc = sl_run_scenario(&set.items[0], &ro, s, &d);
    if (rc != SL_OK)
        fail_msg("run: %s: %s", sl_strerror(rc), d.msg);
    sl_scenario_set_release(&set);
}

/* A scenario text that must fail to load with SL_EINVAL at line:col of
 * bad.yaml, its message holding msg. */
struct bad_case {
    const char *text;
    int line, col;
    const char *msg;
};

static inline void expect_bad(const struct bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *path = test_write_file(tmpdir, "bad.yaml", cases[i].text);
        struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
        struct sl_scenario_set set;
        struct sl_diag d;
        sl_diag_clear(&d);
        int rc = sl_scenario_load(&o, &set, &d);
        if (rc == SL_OK) {
            sl_scenario_set_release(&set);
            fail_msg("case %zu loaded", i);
        }
        assert_int_equal(rc, SL_EINVAL);
        if (!strstr(d.file, "bad.yaml") || d.line != cases[i].line || d.col != cases[i].col ||
            !strstr(d.msg, cases[i].msg))
            fail_msg("case %zu: %s:%d:%d: %s", i, d.file, d.line, d.col, d.msg);
    }
}

/* The group's fixtures: the folder of tmpdir. */
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
    return system(cmd);
}

#endif
