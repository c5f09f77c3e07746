/*
 * Running a scenario: build the world, drive it with the engine, write the
 * outputs.
 *
 * The pipeline is the same for every model that later plugs in:
 *     scenario -> world (fleet, workload sources, ...) -> engine run
 *     -> per-sample rows (timeseries.csv) and end-of-run results
 *        (summary.json) -> atomic files in the output directory.
 * A run writes summary.json, timeseries.csv and scenario.yaml (the fully
 * resolved scenario, to rerun it exactly).
 */
#ifndef SUANLI_SIM_H
#define SUANLI_SIM_H

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/summary.h"

/* Called now and then during a run with the fraction done (0..1) and the
 * number of events so far. */
typedef void (*sl_run_progress_fn)(void *ctx, double done, uint64_t events);

struct sl_run_opts {
    const char *out_dir;         /* must exist */
    sl_run_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

/* Runs sc, writes the outputs into opts->out_dir and fills summary (which the
 * caller initialised; it is also written as summary.json).  Returns SL_OK, or
 * an error with d filled (no output file is left behind). */
int sl_run_scenario(const struct sl_scenario *sc, const struct sl_run_opts *opts,
                    struct sl_summary *summary, struct sl_diag *d);

/* The columns of the variant comparison table: summary key, header. */
struct sl_compare_column {
    const char *key;
    const char *header;
};
extern const struct sl_compare_column sl_compare_columns[];
extern const size_t sl_compare_ncolumns;

#endif
