/*
 * Running one scenario (see include/suanli/sim.h).
 *
 * The world is built from the scenario, every source schedules its first
 * events, and a sampling event closes each `run.sample` interval: it reads
 * the time-weighted meters, writes one timeseries row and resets the
 * windows.  Sampling runs at a priority before the model's events, so an
 * interval [t - sample, t) contains exactly the changes that happened in it;
 * a change at t belongs to the next row.  After the run the summary is
 * computed from the meters and all files are committed at once.
 */
#include "suanli/sim.h"

#include "fleet/fleet.h"
#include "suanli/alloc.h"
#include "suanli/engine.h"
#include "suanli/outfile.h"
#include "workload/synthetic.h"

#include <stdio.h>
#include <string.h>

#define PRIO_SAMPLE    (-1000)
#define PROGRESS_EVERY 65536

const struct sl_compare_column sl_compare_columns[] = {
    {"fleet.racks", "racks"},           {"rack_kw.design", "rack kW design"},
    {"rack_kw.peak", "rack kW peak"},   {"power_mw.it_mean", "IT MW mean"},
    {"power_mw.it_peak", "IT MW peak"}, {"energy_mwh.it", "IT MWh"},
};
const size_t sl_compare_ncolumns = sizeof sl_compare_columns / sizeof sl_compare_columns[0];

struct world {
    const struct sl_scenario *sc;
    const struct sl_run_opts *opts;
    struct sl_engine eng;
    struct sl_fleet fleet;
    struct sl_synthetic synth;
    struct sl_outfile series;
    int64_t end_us;
    int64_t last_sample_us;
    uint64_t rows;
};

static void write_row(struct world *w, int64_t t_us)
{
    struct sl_fleet *f = &w->fleet;
    sl_meter_advance(&f->it_w, t_us);
    sl_meter_advance(&f->util_sum, t_us);
    double span_s = (double)(t_us - w->last_sample_us) * 1e-6;
    char t[64];
    sl_format_number((double)w->last_sample_us * 1e-6, t, sizeof t);
    fprintf(w->series.f, "%s,%.1f,%.1f,%.6f\n", t, f->it_w.window_integral / span_s,
            f->it_w.window_max, f->util_sum.window_integral / span_s / (double)f->nservers);
    w->rows++;
    sl_fleet_resum(f, t_us);
    sl_meter_window_reset(&f->it_w);
    sl_meter_window_reset(&f->util_sum);
    w->last_sample_us = t_us;
}

static void on_sample(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct world *w = ctx;
    int64_t now = sl_engine_now(eng);
    write_row(w, now);
    int64_t next = now + w->sc->run.sample_us;
    if (next <= w->end_us &&
        sl_engine_schedule(eng, next, PRIO_SAMPLE, on_sample, w, 0, NULL) != SL_OK) {
        w->synth.error = SL_ENOMEM;
        sl_engine_stop(eng);
    }
}

static void on_progress(struct sl_engine *eng, void *ctx)
{
    struct world *w = ctx;
    w->opts->progress(w->opts->progress_ctx, (double)sl_engine_now(eng) / (double)w->end_us,
                      sl_engine_fired(eng));
}

static int add_summary(struct world *w, struct sl_summary *s)
{
    const struct sl_scenario *sc = w->sc;
    const struct sl_fleet *f = &w->fleet;
    double dur_s = (double)w->end_us * 1e-6;
    double it_mean_w = f->it_w.integral / dur_s;
    double design_rack_w = sc->server->power_max_w * (double)f->per_rack;
    int rc = SL_OK;
#define ADD(call)                                                                                  \
    do {                                                                                           \
        if (rc == SL_OK)                                                                           \
            rc = (call);                                                                           \
    } while (0)
    ADD(sl_summary_str(s, "suanli_version", SUANLI_VERSION));
    ADD(sl_summary_str(s, "scenario", sc->name));
    ADD(sl_summary_str(s, "variant", sc->variant));
    ADD(sl_summary_int(s, "seed", sc->run.seed));
    ADD(sl_summary_str(s, "start", sc->run.start));
    ADD(sl_summary_num(s, "sim_seconds", dur_s));
    ADD(sl_summary_int(s, "events", (int64_t)sl_engine_fired(&w->eng)));
    ADD(sl_summary_str(s, "fleet.server", sc->server->name));
    ADD(sl_summary_int(s, "fleet.cards", (int64_t)f->nservers * sc->server->cards));
    ADD(sl_summary_int(s, "fleet.servers", (int64_t)f->nservers));
    ADD(sl_summary_int(s, "fleet.racks", (int64_t)f->nracks));
    ADD(sl_summary_int(s, "fleet.servers_per_rack", (int64_t)f->per_rack));
    ADD(sl_summary_num(s, "energy_mwh.it", f->it_w.integral / 3.6e9));
    ADD(sl_summary_num(s, "power_mw.it_mean", it_mean_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_peak", f->it_w.max / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_min", f->it_w.min / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_design",
                       sc->server->power_max_w * (double)f->nservers / 1e6));
    ADD(sl_summary_num(s, "rack_kw.mean", it_mean_w / (double)f->nracks / 1e3));
    ADD(sl_summary_num(s, "rack_kw.peak", f->rack_peak_w / 1e3));
    ADD(sl_summary_num(s, "rack_kw.design", design_rack_w / 1e3));
    ADD(sl_summary_num(s, "utilisation.mean", f->util_sum.integral / dur_s / (double)f->nservers));
    ADD(sl_summary_int(s, "timeseries.rows", (int64_t)w->rows));
    ADD(sl_summary_num(s, "timeseries.sample_s", (double)sc->run.sample_us * 1e-6));
#undef ADD
    return rc;
}

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static int write_text_outputs(struct world *w, const struct sl_summary *s, struct sl_diag *d)
{
    char path[4096];
    struct sl_outfile o;
    path_join(path, sizeof path, w->opts->out_dir, "scenario.yaml");
    int rc = sl_outfile_open(&o, path, d);
    if (rc != SL_OK)
        return rc;
    fprintf(o.f, "# The fully resolved scenario of this run; `suanli run` on this file repeats "
                 "it.\n");
    sl_scenario_emit(w->sc, o.f);
    if ((rc = sl_outfile_commit(&o, d)) != SL_OK)
        return rc;
    path_join(path, sizeof path, w->opts->out_dir, "summary.json");
    if ((rc = sl_outfile_open(&o, path, d)) != SL_OK)
        return rc;
    sl_summary_write_json(s, o.f);
    return sl_outfile_commit(&o, d);
}

int sl_run_scenario(const struct sl_scenario *sc, const struct sl_run_opts *opts,
                    struct sl_summary *summary, struct sl_diag *d)
{
    struct world *w = sl_calloc(1, sizeof *w);
    if (!w)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    w->sc = sc;
    w->opts = opts;
    w->end_us = sc->run.duration_us;
    int rc = sl_engine_init(&w->eng);
    if (rc != SL_OK) {
        sl_free(w);
        return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
    }
    rc = sl_fleet_init(&w->fleet, sc, 0.0);
    if (rc == SL_OK)
        rc = sl_synthetic_start(&w->synth, sc, &w->fleet, &w->eng);
    if (rc == SL_OK) {
        sl_fleet_start_meters(&w->fleet);
        rc = sl_engine_schedule(&w->eng, sc->run.sample_us, PRIO_SAMPLE, on_sample, w, 0, NULL);
    }
    if (rc != SL_OK) {
        rc = sl_diag_set(d, rc, NULL, 0, 0, "out of memory while building the world");
        goto done;
    }
    char path[4096];
    path_join(path, sizeof path, opts->out_dir, "timeseries.csv");
    if ((rc = sl_outfile_open(&w->series, path, d)) != SL_OK)
        goto done;
    fprintf(w->series.f, "time_s,it_w,it_max_w,util\n");
    if (opts->progress)
        sl_engine_set_progress(&w->eng, on_progress, w, PROGRESS_EVERY);

    int status = sl_engine_run(&w->eng, w->end_us);
    if (w->synth.error != SL_OK || status == SL_RUN_STOPPED) {
        rc = sl_diag_set(d, w->synth.error ? w->synth.error : SL_ESTATE, NULL, 0, 0,
                         "the run stopped early at t = %.0f s (out of memory)",
                         (double)sl_engine_now(&w->eng) * 1e-6);
        goto done;
    }
    if (w->last_sample_us < w->end_us)
        write_row(w, w->end_us); /* the last, partial interval */
    sl_meter_advance(&w->fleet.it_w, w->end_us);
    sl_meter_advance(&w->fleet.util_sum, w->end_us);
    if (opts->progress)
        opts->progress(opts->progress_ctx, 1.0, sl_engine_fired(&w->eng));

    if (add_summary(w, summary) != SL_OK) {
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    if ((rc = sl_outfile_commit(&w->series, d)) != SL_OK)
        goto done;
    rc = write_text_outputs(w, summary, d);
done:
    if (w->series.f)
        sl_outfile_abort(&w->series);
    sl_synthetic_release(&w->synth);
    sl_fleet_release(&w->fleet);
    sl_engine_release(&w->eng);
    sl_free(w);
    return rc;
}
