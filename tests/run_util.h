/*
 * What the tests that run whole scenarios share: a run (its scenario set,
 * summary and output folder), its release, and reading a number from its
 * summary.  Include after <cmocka.h>.
 */
#ifndef SUANLI_TESTS_RUN_UTIL_H
#define SUANLI_TESTS_RUN_UTIL_H

#include "suanli/scenario.h"
#include "suanli/summary.h"

/* One run: the loaded set (its first item ran), the summary, the folder. */
struct run {
    struct sl_scenario_set set;
    struct sl_summary sum;
    char dir[512];
};

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
