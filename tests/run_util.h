/*
 * What the tests that run whole scenarios share: a run (its scenario set,
 * summary and output folder), running one from YAML text, its release,
 * and reading a number from its summary.  Include after <cmocka.h>.
 */
#ifndef SUANLI_TESTS_RUN_UTIL_H
#define SUANLI_TESTS_RUN_UTIL_H

#include <stdio.h>
#include <sys/stat.h>

#include "test_util.h"

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

/* One run: the loaded set (its first item ran), the summary, the folder. */
struct run {
    struct sl_scenario_set set;
    struct sl_summary sum;
    char dir[512];
};

/* Writes text to dir/s<k>.yaml, loads it with the overrides sets[nsets],
 * and runs its first scenario into a new folder dir/run<k+1> (k = *n,
 * which counts the names used).  Fails the test on any error. */
static inline void run_scenario_text(const char *dir, int *n, const char *text,
                                     const char *const *sets, size_t nsets, struct run *r)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.yaml", (*n)++);
    struct sl_load_opts o = {test_write_file(dir, name, text), sets, nsets, NULL, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &r->set, &d) != SL_OK)
        fail_msg("loading: %s\n%s", d.msg, text);
    snprintf(r->dir, sizeof r->dir, "%s/run%d", dir, (*n)++);
    if (mkdir(r->dir, 0777) != 0)
        fail_msg("cannot create %s", r->dir);
    struct sl_run_opts ro = {r->dir, NULL, NULL, 1, NULL};
    sl_summary_init(&r->sum);
    int rc = sl_run_scenario(&r->set.items[0], &ro, &r->sum, &d);
    if (rc != SL_OK)
        fail_msg("run: %s: %s", sl_strerror(rc), d.msg);
}

static inline void run_free(struct run *r)
{
    sl_summary_release(&r->sum);
    sl_scenario_set_release(&r->set);
}

/* The number at key of the run's summary; fails the test when the key is
 * missing or not a number. */
static inline double num(const struct run *r, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(&r->sum, key);
    if (!e)
        fail_msg("summary has no key '%s'", key);
    if (e->type == SL_V_INT)
        return (double)e->i;
    if (e->type != SL_V_NUM)
        fail_msg("summary key '%s' is not a number", key);
    return e->x;
}

#endif
