/*
 * `suanli factory`'s run and output folder (suanli/factory.h): the factory
 * model of src/factory, its summary as factory.json, its days as
 * factory_daily.csv and the resolved scenario as scenario.yaml, built in a
 * hidden folder beside the target and swapped in whole at the end
 * (src/sim/outdir.c), exactly as `suanli run` does.
 */
#include "sim/outdir.h"
#include "suanli/factory.h"
#include "suanli/outfile.h"

#include <stdio.h>
#include <string.h>

static int open_in(struct sl_outfile *f, const char *dir, const char *name, struct sl_diag *d)
{
    char path[SL__PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "the output path '%s/%s' is too long", dir,
                           name);
    return sl_outfile_open(f, path, d);
}

static int write_all(const struct sl_scenario *sc, const char *dir,
                     const struct sl_factory_result *r, const struct sl_summary *s,
                     struct sl_diag *d)
{
    struct sl_outfile yaml, json, csv;
    memset(&yaml, 0, sizeof yaml);
    memset(&json, 0, sizeof json);
    memset(&csv, 0, sizeof csv);
    int rc = open_in(&yaml, dir, "scenario.yaml", d);
    if (rc == SL_OK)
        rc = open_in(&json, dir, "factory.json", d);
    if (rc == SL_OK)
        rc = open_in(&csv, dir, "factory_daily.csv", d);
    if (rc == SL_OK) {
        fprintf(yaml.f, "# The fully resolved scenario of this run; `suanli factory` on this "
                        "file repeats it.\n");
        sl_scenario_emit(sc, yaml.f);
        sl_summary_write_json(s, json.f);
        sl_factory_write_daily(r, csv.f);
        rc = sl_outfile_commit(&yaml, d);
        if (rc == SL_OK)
            rc = sl_outfile_commit(&json, d);
        if (rc == SL_OK)
            rc = sl_outfile_commit(&csv, d);
    }
    sl_outfile_abort(&yaml);
    sl_outfile_abort(&json);
    sl_outfile_abort(&csv);
    return rc;
}

int sl_factory_run_out(const struct sl_scenario *sc, const char *out_dir,
                       const struct sl_factory_opts *o, struct sl_factory_result *r,
                       struct sl_summary *s, struct sl_diag *d)
{
    struct sl__outdir od;
    int rc = sl__outdir_begin(&od, out_dir, d);
    if (rc != SL_OK)
        return rc;
    rc = sl_factory_run(sc, o, r, d);
    if (rc == SL_OK) {
        rc = sl_summary_str(s, "suanli_version", SUANLI_VERSION);
        if (rc == SL_OK)
            rc = sl_summary_str(s, "scenario", sc->name);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "seed", sc->run.seed);
        if (rc == SL_OK)
            rc = sl_factory_summary(r, s);
        if (rc != SL_OK)
            rc = sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
    }
    if (rc == SL_OK)
        rc = write_all(sc, od.build, r, s, d);
    if (rc == SL_OK)
        rc = sl__outdir_commit(&od, d);
    sl__outdir_release(&od);
    if (rc != SL_OK)
        sl_factory_result_release(r);
    return rc;
}
