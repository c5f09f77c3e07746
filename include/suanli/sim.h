/*
 * Running scenarios: build the world, drive it with the engine, write the
 * outputs.
 *
 * The pipeline is the same for every model that plugs in:
 *     scenario -> world (fleet, facility, workload sources) -> engine run
 *     -> facility steps -> observers (timeseries.csv, monthly.csv, the
 *        summary) -> atomic files in the output directory.
 * A run writes summary.json, timeseries.csv, monthly.csv and scenario.yaml
 * (the fully resolved scenario, to rerun it exactly); a set of two or
 * more variants also writes comparison.csv beside the variants' folders.  Outputs are
 * docs/outputs.md.
 */
#ifndef SUANLI_SIM_H
#define SUANLI_SIM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/summary.h"

/* Called now and then during a run with the index of the scenario in its
 * set (0 for a single run), the fraction done (0..1) and the number of
 * events so far.  Calls are serialised, also when variants run on several
 * threads. */
typedef void (*sl_run_progress_fn)(void *ctx, size_t index, double done, uint64_t events);

struct sl_run_opts {
    /* sl_run_scenario: the run's folder, which must exist.  sl_run_set:
     * the base folder, which the run replaces whole (see sl_run_set); a set
     * with variants writes each into <out_dir>/<variant>/. */
    const char *out_dir;
    sl_run_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    int jobs; /* sl_run_set: scenarios run at once; 0: one per processor */
    /* May be NULL.  When *stop becomes nonzero (a signal handler sets it),
     * the run stops within some 65,536 events and fails with SL_ESTATE
     * ("interrupted"), leaving no file, as any failed run. */
    const volatile sig_atomic_t *stop;
};

/* Runs sc, writes the outputs into opts->out_dir and fills summary (which the
 * caller initialised; it is also written as summary.json).  The files are
 * built in a hidden folder inside out_dir and moved out at the end; other
 * files in out_dir are left alone, and those of the same names are
 * replaced.  Returns SL_OK, or an error with d filled: then no file of this
 * call is left behind (files it had already moved out are removed). */
int sl_run_scenario(const struct sl_scenario *sc, const struct sl_run_opts *opts,
                    struct sl_summary *summary, struct sl_diag *d);

/* Runs every scenario of set, up to opts->jobs at once; sums holds set->n
 * summaries the caller initialised.  The outputs do not depend on the
 * number of jobs.  With two or more variants, writes comparison.csv into
 * opts->out_dir.
 *
 * The output folder is replaced whole and atomically: the set is built in
 * a hidden folder beside opts->out_dir and swapped in only when every
 * scenario succeeded, so out_dir holds the previous complete output until
 * then, and afterwards the new one, even if the process is killed at any
 * moment (docs/outputs.md, "Whole-run atomicity").  A lock file beside it
 * refuses a second run on the same folder.
 *
 * Returns SL_OK or an error with d filled, and then out_dir is as before:
 * SL_EBUSY when another run holds out_dir; SL_EUSAGE when out_dir cannot
 * be an output folder (path too long, '.', a file, a symbolic link, or a
 * folder holding files that are not suanli outputs); otherwise the error of
 * the first scenario (in set order) that failed, with its name in the
 * message (the others still run). */
int sl_run_set(const struct sl_scenario_set *set, const struct sl_run_opts *opts,
               struct sl_summary *sums, struct sl_diag *d);

/* The output folder of scenario i of set under base (base itself without
 * variants).  Returns buf, or NULL when the path does not fit in size
 * bytes. */
char *sl_run_dir(const struct sl_scenario_set *set, size_t i, const char *base, char *buf,
                 size_t size);

/* The columns of the variant comparison: summary key, header, unit,
 * scale from the summary's value to the unit, decimals in the table. */
struct sl_compare_column {
    const char *key;
    const char *header;
    const char *unit;
    double scale;
    int decimals;
};
extern const struct sl_compare_column sl_compare_columns[];
extern const size_t sl_compare_ncolumns;

/* Prints the comparison table of a set's summaries for a terminal: a
 * header, a units line and one row per variant, with thousands
 * separators. */
void sl_compare_print(const struct sl_scenario_set *set, const struct sl_summary *sums, FILE *out);

/* Writes comparison.csv (one row per variant, the summary keys as column
 * names, numbers as in summary.json) into dir, atomically. */
int sl_compare_write(const char *dir, const struct sl_scenario_set *set,
                     const struct sl_summary *sums, struct sl_diag *d);

#endif
