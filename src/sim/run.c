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

#include "facility/facility.h"
#include "fleet/fleet.h"
#include "fleet/server.h"
#include "suanli/alloc.h"
#include "suanli/engine.h"
#include "suanli/outfile.h"
#include "workload/synthetic.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PRIO_SAMPLE    (-1000)
#define PROGRESS_EVERY 65536
#define RESUM_EVERY    64

const struct sl_compare_column sl_compare_columns[] = {
    {"fleet.racks", "racks"},
    {"rack_kw.peak", "rack kW peak"},
    {"power_mw.it_mean", "IT MW"},
    {"power_mw.facility_mean", "facility MW"},
    {"power_mw.facility_peak", "peak MW"},
    {"pue.mean", "PUE"},
    {"chain_efficiency", "chain eff"},
    {"grid_to_chip_efficiency", "grid-to-chip"},
    {"energy_mwh.facility", "MWh"},
    {"cost_cny", "cost CNY"},
    {"co2_t", "CO2 t"},
    {"cap_exceeded_s", "over cap s"},
    {"capacity.cards_at_cap", "cards at cap"},
};
const size_t sl_compare_ncolumns = sizeof sl_compare_columns / sizeof sl_compare_columns[0];

/* Run totals, accumulated at each facility step. */
struct totals {
    double it_j, chain_in_j, chain_loss_j, cooling_j, aux_j, facility_j;
    double stage_loss_j[SL_MAX_STAGES];
    double chiller_j, fans_j, pumps_j, unmet_j;
    double cost_cny, co2_kg;
    double facility_peak_w, pue_min, pue_max;
    double cap_exceeded_s;
    double max_inlet_rise_k;
};

struct world {
    const struct sl_scenario *sc;
    const struct sl_run_opts *opts;
    struct sl_engine eng;
    struct sl_server_calc calc;
    struct sl_facility fac;
    struct sl_fleet fleet;
    struct sl_synthetic synth;
    struct sl_outfile series;
    struct totals tot;
    int64_t end_us;
    int64_t last_sample_us;
    uint64_t rows;
};

/* Electricity price at a local time of day (time-of-use periods first). */
static double price_at(const struct sl_scenario *sc, int64_t local_s)
{
    int64_t tod_us = (local_s % 86400 + 86400) % 86400 * 1000000;
    const struct sl_tou_period *p = sc->site.tou.items;
    for (size_t i = 0; i < sc->site.tou.n; i++) {
        int in = p[i].from_us < p[i].to_us ? (tod_us >= p[i].from_us && tod_us < p[i].to_us)
                                           : (tod_us >= p[i].from_us || tod_us < p[i].to_us);
        if (in)
            return p[i].price;
    }
    return sc->site.price;
}

static void write_row(struct world *w, int64_t t_us)
{
    struct sl_fleet *f = &w->fleet;
    struct sl_meter *ms[] = {&f->it_w,      &f->server_in_w, &f->dc_w,    &f->board_w,
                             &f->silicon_w, &f->liquid_w,    &f->util_sum};
    for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++)
        sl_meter_advance(ms[k], t_us);
    double span_s = (double)(t_us - w->last_sample_us) * 1e-6;
    double it = f->it_w.window_integral / span_s;
    double liquid = f->liquid_w.window_integral / span_s;
    int64_t mid_s = w->sc->start_s + (w->last_sample_us + t_us) / 2000000;
    struct sl_facility_step st;
    sl_facility_eval(&w->fac, it, liquid, mid_s, &st);

    struct totals *T = &w->tot;
    T->it_j += it * span_s;
    T->chain_in_j += st.chain_in_w * span_s;
    T->chain_loss_j += st.chain_loss_w * span_s;
    T->cooling_j += st.cooling.total_w * span_s;
    T->aux_j += st.aux_w * span_s;
    T->facility_j += st.facility_w * span_s;
    for (size_t k = 0; k < w->fac.nfac; k++)
        T->stage_loss_j[k] += st.stage_loss_w[k] * span_s;
    T->chiller_j += st.cooling.chiller_w * span_s;
    T->fans_j +=
        (st.cooling.crah_fan_w + st.cooling.tower_fan_w + st.cooling.drycooler_fan_w) * span_s;
    T->pumps_j += (st.cooling.chw_pump_w + st.cooling.cw_pump_w + st.cooling.cdu_pump_w +
                   st.cooling.fw_pump_w) *
                  span_s;
    T->unmet_j += st.cooling.unmet_w * span_s;
    if (st.cooling.inlet_rise_k > T->max_inlet_rise_k)
        T->max_inlet_rise_k = st.cooling.inlet_rise_k;
    double kwh = st.facility_w * span_s / 3.6e6;
    T->cost_cny += kwh * price_at(w->sc, mid_s);
    T->co2_kg += kwh * w->sc->carbon;
    double pue = it > 0 ? st.facility_w / it : 0;
    if (st.facility_w > T->facility_peak_w)
        T->facility_peak_w = st.facility_w;
    if (w->rows == 0 || pue < T->pue_min)
        T->pue_min = pue;
    if (w->rows == 0 || pue > T->pue_max)
        T->pue_max = pue;
    if (st.facility_w > w->sc->site.grid_cap_w)
        T->cap_exceeded_s += span_s;

    /* One row, formatted by hand: printf's exact decimal conversion was
     * most of the cost of a year of one-minute rows. */
    struct {
        double v;
        int decimals;
    } cols[] = {{it, 1},
                {f->it_w.window_max, 1},
                {f->util_sum.window_integral / span_s / (double)f->nservers, 6},
                {st.facility_w, 1},
                {st.chain_loss_w, 1},
                {st.cooling.total_w, 1},
                {st.aux_w, 1},
                {pue, 6},
                {st.t_db_c, 2},
                {st.t_wb_c, 2},
                {f->silicon_w.window_integral / span_s, 1}};
    char row[64 * (sizeof cols / sizeof cols[0] + 2 + SL_MAX_STAGES)];
    char *p = row;
    sl_format_number((double)w->last_sample_us * 1e-6, p, 64);
    p += strlen(p);
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        *p++ = ',';
        p = sl_fmt_fixed(p, cols[k].v, cols[k].decimals);
    }
    *p++ = ',';
    p = sl_fmt_fixed(p, w->sc->site.grid_cap_w - st.facility_w, 1);
    for (size_t k = 0; k < w->fac.nfac; k++) {
        *p++ = ',';
        p = sl_fmt_fixed(p, st.stage_loss_w[k], 1);
    }
    *p++ = '\n';
    fwrite(row, 1, (size_t)(p - row), w->series.f);
    w->rows++;
    /* Re-sum the fleet now and then so incremental rounding cannot drift. */
    if (w->rows % RESUM_EVERY == 0)
        sl_fleet_resum(f, t_us);
    for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++)
        sl_meter_window_reset(ms[k]);
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

/* The most cards of this design the grid cap carries at full load in the
 * worst hour of the weather year. */
static int64_t cards_at_cap(const struct world *w, double *worst_w)
{
    const struct sl_facility *fac = &w->fac;
    double worst = 0;
    for (int h = 0; h < SL_HOURS_PER_YEAR; h++) {
        struct sl_facility_step st;
        sl_facility_eval(fac, fac->design_it_w, fac->design_liquid_w,
                         INT64_C(20089) * 86400 + (int64_t)h * 3600, &st); /* 2025 */
        if (st.facility_w > worst)
            worst = st.facility_w;
    }
    *worst_w = worst;
    double cards = (double)w->fleet.nservers * (double)w->sc->server->cards;
    return worst > 0 ? (int64_t)floor(w->sc->site.grid_cap_w / (worst / cards)) : 0;
}

static int add_summary(struct world *w, struct sl_summary *s)
{
    const struct sl_scenario *sc = w->sc;
    const struct sl_fleet *f = &w->fleet;
    const struct totals *T = &w->tot;
    double dur_s = (double)w->end_us * 1e-6;
    double it_mean_w = f->it_w.integral / dur_s;
    double mwh = 3.6e9;
    struct sl_server_power full;
    sl_server_eval(&w->calc, 1.0, 0, &full);
    double design_rack_w = sl_facility_rack_input_w(&w->fac, full.input_w * (double)f->per_rack);
    double worst_w;
    int64_t cards_cap = cards_at_cap(w, &worst_w);
    /* Efficiency of the conversion path to the silicon: the product of each
     * scope's energy-weighted efficiency. */
    double chain_eff = (T->it_j / T->chain_in_j) * (f->server_in_w.integral / f->it_w.integral) *
                       (f->dc_w.integral / f->server_in_w.integral) *
                       (f->silicon_w.integral / f->board_w.integral);
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
    ADD(sl_summary_str(s, "site.name", sc->site.name));
    ADD(sl_summary_str(s, "site.weather", w->fac.weather->name));
    ADD(sl_summary_str(s, "facility.power_chain", sc->chain->name));
    ADD(sl_summary_str(s, "facility.cooling", sc->cooling->name));
    ADD(sl_summary_str(s, "fleet.server", sc->server->name));
    ADD(sl_summary_int(s, "fleet.cards", (int64_t)f->nservers * sc->server->cards));
    ADD(sl_summary_int(s, "fleet.servers", (int64_t)f->nservers));
    ADD(sl_summary_int(s, "fleet.racks", (int64_t)f->nracks));
    ADD(sl_summary_int(s, "fleet.servers_per_rack", (int64_t)f->per_rack));
    ADD(sl_summary_num(s, "energy_mwh.it", f->it_w.integral / mwh));
    ADD(sl_summary_num(s, "energy_mwh.chain_loss", T->chain_loss_j / mwh));
    ADD(sl_summary_num(s, "energy_mwh.cooling", T->cooling_j / mwh));
    ADD(sl_summary_num(s, "energy_mwh.aux", T->aux_j / mwh));
    ADD(sl_summary_num(s, "energy_mwh.facility", T->facility_j / mwh));
    ADD(sl_summary_num(s, "energy_mwh.silicon", f->silicon_w.integral / mwh));
    ADD(sl_summary_num(
        s, "energy_mwh.it_conversion_loss",
        (f->it_w.integral - f->dc_w.integral + f->board_w.integral - f->silicon_w.integral) / mwh));
    for (size_t k = 0; k < w->fac.nfac; k++) {
        char key[128];
        snprintf(key, sizeof key, "chain_loss_mwh.%s", w->fac.fac[k]->name);
        ADD(sl_summary_num(s, key, T->stage_loss_j[k] / mwh));
    }
    ADD(sl_summary_num(s, "chain_loss_mwh.rack_stages",
                       (f->it_w.integral - f->server_in_w.integral) / mwh));
    ADD(sl_summary_num(s, "chain_loss_mwh.server_stages",
                       (f->server_in_w.integral - f->dc_w.integral) / mwh));
    ADD(sl_summary_num(s, "chain_loss_mwh.board_stages",
                       (f->board_w.integral - f->silicon_w.integral) / mwh));
    ADD(sl_summary_num(s, "cooling_mwh.chiller", T->chiller_j / mwh));
    ADD(sl_summary_num(s, "cooling_mwh.fans", T->fans_j / mwh));
    ADD(sl_summary_num(s, "cooling_mwh.pumps", T->pumps_j / mwh));
    ADD(sl_summary_num(s, "cooling_mwh.unmet_heat", T->unmet_j / mwh));
    ADD(sl_summary_num(s, "cooling.max_inlet_rise_k", T->max_inlet_rise_k));
    ADD(sl_summary_num(s, "pue.mean", T->facility_j / T->it_j));
    ADD(sl_summary_num(s, "pue.min", T->pue_min));
    ADD(sl_summary_num(s, "pue.max", T->pue_max));
    ADD(sl_summary_num(s, "chain_efficiency", chain_eff));
    ADD(sl_summary_num(s, "grid_to_chip_efficiency", f->silicon_w.integral / T->facility_j));
    ADD(sl_summary_num(s, "power_mw.it_mean", it_mean_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_peak", f->it_w.max / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_min", f->it_w.min / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_design", w->fac.design_it_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.facility_mean", T->facility_j / dur_s / 1e6));
    ADD(sl_summary_num(s, "power_mw.facility_peak", T->facility_peak_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.facility_design_worst", worst_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.grid_cap", sc->site.grid_cap_w / 1e6));
    ADD(sl_summary_num(s, "cap_exceeded_s", T->cap_exceeded_s));
    ADD(sl_summary_num(s, "cost_cny", T->cost_cny));
    ADD(sl_summary_num(s, "co2_t", T->co2_kg / 1000.0));
    ADD(sl_summary_int(s, "capacity.cards_at_cap", cards_cap));
    ADD(sl_summary_num(s, "server_kw.full", full.input_w / 1e3));
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
    rc = sl_server_calc_init(&w->calc, sc->server, sc->device, sc->cpu, sc->chain,
                             sc->cooling->liquid_share, sc->cooling->kind == SL_COOLING_IMMERSION,
                             d);
    if (rc == SL_OK)
        rc = sl_facility_init(&w->fac, sc, &w->calc, d);
    if (rc != SL_OK)
        goto done;
    rc = sl_fleet_init(&w->fleet, sc, &w->calc, &w->fac, 0.0);
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
    fputs("time_s,it_w,it_max_w,util,facility_w,chain_loss_w,cooling_w,aux_w,pue,t_db_c,t_wb_c,"
          "silicon_w,headroom_w",
          w->series.f);
    for (size_t k = 0; k < w->fac.nfac; k++)
        fprintf(w->series.f, ",loss_%s_w", w->fac.fac[k]->name);
    fputc('\n', w->series.f);
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
    sl_facility_release(&w->fac);
    sl_engine_release(&w->eng);
    sl_free(w);
    return rc;
}
