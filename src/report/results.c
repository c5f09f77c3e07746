/*
 * The results observer: the run's totals as summary entries.
 *
 * Every number comes from the world's step totals (struct sl_site_totals:
 * sums over closed facility steps of exact step energies) and the fleet's
 * design values, so none depends on `run.sample`.  Conversion losses are
 * metered where they happen (rack, server and board stages, each facility
 * stage), never obtained by subtracting two totals, so a stage without
 * losses reports exactly 0.  IT energy and power include the fabric's
 * switches and optics (fabric.*); rack power and the rack-scope
 * efficiency are the servers' alone.  The key names are documented in
 * docs/outputs.md.
 */
#include "report/observers.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define MWH 3.6e9

/* A loss is never negative; rounding may leave -1e-15 of a total. */
static double loss(double x)
{
    return x > 0 ? x : 0;
}

static int finish(void *state, struct sl_world *w, struct sl_summary *s, struct sl_diag *d)
{
    (void)state;
    (void)d;
    const struct sl_scenario *sc = w->sc;
    const struct sl_fleet *f = &w->fleet;
    const struct sl_site_totals *T = &w->tot;
    const double *E = T->fleet_j;
    double dur_s = (double)w->end_us * 1e-6;
    double it_j = E[SL_Q_IT]; /* servers and fabric */
    double servers_it_j = it_j - T->fabric_j;
    double server_in_j = E[SL_Q_DC] + E[SL_Q_SERVER_LOSS];
    double silicon_j = E[SL_Q_BOARD] - E[SL_Q_BOARD_LOSS];
    double it_mean_w = it_j / dur_s;
    struct sl_server_power full;
    sl_server_eval_full(&w->calc, &full);
    double worst_w;
    size_t nsrv = sl_world_servers_at_cap(w, &worst_w);
    int unbounded = nsrv == SIZE_MAX;
    /* With pools, the servers, cards and racks of the mix at the cap. */
    int64_t srv_cap = 0, cards_cap = 0, racks_cap = 0;
    if (!unbounded)
        sl_world_mix(w, nsrv, &srv_cap, &cards_cap, &racks_cap);
    /* Efficiency of the conversion path to the silicon: the product of each
     * scope's energy-weighted efficiency. */
    double chain_eff = (it_j / T->chain_in_j) * (server_in_j / servers_it_j) *
                       (E[SL_Q_DC] / server_in_j) * (silicon_j / E[SL_Q_BOARD]);
    int rc = SL_OK;
#define ADD(call)                                                                                  \
    do {                                                                                           \
        if (rc == SL_OK)                                                                           \
            rc = (call);                                                                           \
    } while (0)
    ADD(sl_summary_str(s, "site.name", sc->site.name));
    ADD(sl_summary_str(s, "site.weather", w->fac.weather->name));
    ADD(sl_summary_str(s, "facility.power_chain", sc->chain->name));
    ADD(sl_summary_str(s, "facility.cooling", sc->cooling->name));
    ADD(sl_summary_num(s, "facility.step_s", (double)sc->facility.step_us * 1e-6));
    ADD(sl_summary_int(s, "facility.steps", (int64_t)w->nsteps));
    ADD(sl_summary_str(s, "fleet.server", sc->server->name));
    ADD(sl_summary_int(s, "fleet.cards", (int64_t)f->ncards));
    ADD(sl_summary_int(s, "fleet.servers", (int64_t)f->nservers));
    ADD(sl_summary_int(s, "fleet.racks", (int64_t)f->nracks));
    ADD(sl_summary_int(s, "fleet.servers_per_rack", (int64_t)f->per_rack));
    for (size_t k = 0; k < sc->fleet.pools.n && k < f->npools; k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        char key[160];
        snprintf(key, sizeof key, "fleet.pools.%s.server", sc->pools[k].name);
        ADD(sl_summary_str(s, key, sc->pools[k].server->name));
        snprintf(key, sizeof key, "fleet.pools.%s.servers", sc->pools[k].name);
        ADD(sl_summary_int(s, key, (int64_t)P->nservers));
        snprintf(key, sizeof key, "fleet.pools.%s.cards", sc->pools[k].name);
        ADD(sl_summary_int(s, key, (int64_t)P->ncards));
        snprintf(key, sizeof key, "fleet.pools.%s.racks", sc->pools[k].name);
        ADD(sl_summary_int(s, key, (int64_t)P->nracks));
    }
    ADD(sl_summary_num(s, "energy_mwh.it", it_j / MWH));
    ADD(sl_summary_num(s, "energy_mwh.chain_loss", loss(T->chain_loss_j) / MWH));
    ADD(sl_summary_num(s, "energy_mwh.cooling", T->cooling_j / MWH));
    ADD(sl_summary_num(s, "energy_mwh.aux", T->aux_j / MWH));
    ADD(sl_summary_num(s, "energy_mwh.facility", T->facility_j / MWH));
    ADD(sl_summary_num(s, "energy_mwh.silicon", silicon_j / MWH));
    ADD(sl_summary_num(s, "energy_mwh.it_conversion_loss",
                       loss(E[SL_Q_RACK_LOSS] + E[SL_Q_SERVER_LOSS] + E[SL_Q_BOARD_LOSS]) / MWH));
    for (size_t k = 0; k < w->fac.stack.n; k++) {
        char key[128];
        snprintf(key, sizeof key, "chain_loss_mwh.%s", w->fac.stack.stage[k]->name);
        ADD(sl_summary_num(s, key, loss(T->stage_loss_j[k]) / MWH));
    }
    ADD(sl_summary_num(s, "chain_loss_mwh.rack_stages", loss(E[SL_Q_RACK_LOSS]) / MWH));
    ADD(sl_summary_num(s, "chain_loss_mwh.server_stages", loss(E[SL_Q_SERVER_LOSS]) / MWH));
    ADD(sl_summary_num(s, "chain_loss_mwh.board_stages", loss(E[SL_Q_BOARD_LOSS]) / MWH));
    ADD(sl_summary_num(s, "cooling_mwh.chiller", T->chiller_j / MWH));
    ADD(sl_summary_num(s, "cooling_mwh.fans", T->fans_j / MWH));
    ADD(sl_summary_num(s, "cooling_mwh.pumps", T->pumps_j / MWH));
    ADD(sl_summary_num(s, "cooling_mwh.unmet_heat", T->unmet_j / MWH));
    ADD(sl_summary_num(s, "cooling.max_inlet_rise_k", T->max_inlet_rise_k));
    ADD(sl_summary_num(s, "cooling.thermal_rise_max_k", T->thermal_max_k));
    ADD(sl_summary_num(s, "cooling.throttled_h", T->thermal_s / 3600));
    ADD(sl_summary_num(s, "cooling.throttled_card_h", T->thermal_card_s / 3600));
    ADD(sl_summary_num(s, "cooling.throttle_min_share", T->thermal_min_y));
    ADD(sl_summary_num(s, "pue.mean", T->facility_j / it_j));
    ADD(sl_summary_num(s, "pue.min", T->pue_min));
    ADD(sl_summary_num(s, "pue.max", T->pue_max));
    ADD(sl_summary_num(s, "chain_efficiency", chain_eff));
    ADD(sl_summary_num(s, "grid_to_chip_efficiency", silicon_j / T->facility_j));
    ADD(sl_summary_num(s, "power_mw.it_mean", it_mean_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_peak", T->it_max_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_min", T->it_min_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.it_design", w->fac.design_it_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.facility_mean", T->facility_j / dur_s / 1e6));
    ADD(sl_summary_num(s, "power_mw.facility_peak", T->facility_peak_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.facility_design_worst", worst_w / 1e6));
    ADD(sl_summary_num(s, "power_mw.grid_cap", sc->site.grid_cap_w / 1e6));
    ADD(sl_summary_num(s, "cap_exceeded_s", T->cap_exceeded_s));
    ADD(sl_summary_num(s, "cost_cny", T->cost_cny));
    ADD(sl_summary_num(s, "co2_t", T->co2_kg / 1000.0));
    ADD(sl_summary_num(s, "price_mean_cny_per_kwh",
                       T->facility_j > 0 ? T->cost_cny / (T->facility_j / 3.6e6) : sc->site.price));
    ADD(sl_summary_num(s, "carbon_kg_per_kwh", sc->carbon));
    /* null when the cap carries more than any center could hold. */
    ADD(unbounded ? sl_summary_num(s, "capacity.cards_at_cap", NAN)
                  : sl_summary_int(s, "capacity.cards_at_cap", cards_cap));
    ADD(unbounded ? sl_summary_num(s, "capacity.servers_at_cap", NAN)
                  : sl_summary_int(s, "capacity.servers_at_cap", srv_cap));
    ADD(unbounded ? sl_summary_num(s, "capacity.racks_at_cap", NAN)
                  : sl_summary_int(s, "capacity.racks_at_cap", racks_cap));
    ADD(sl_summary_num(s, "server_kw.full", full.input_w / 1e3));
    ADD(sl_summary_num(s, "rack_kw.mean", servers_it_j / dur_s / (double)f->nracks / 1e3));
    ADD(sl_summary_num(s, "rack_kw.peak", f->rack_peak_w / 1e3));
    ADD(sl_summary_num(s, "rack_kw.design", f->design_rack_w / 1e3));
    ADD(sl_summary_num(s, "utilisation.mean", E[SL_Q_LOAD] / dur_s / (double)f->ncards));
    const struct sl_fabric *fab = &w->fabric;
    int has = w->has_fabric;
    ADD(sl_summary_str(s, "fabric.kind", has ? sl_fabric_kind_names[fab->spec.kind] : "none"));
    ADD(sl_summary_int(s, "fabric.tiers", has ? (int64_t)fab->tiers : 0));
    ADD(sl_summary_int(s, "fabric.switches", has ? (int64_t)fab->switches : 0));
    ADD(sl_summary_int(s, "fabric.leaves", has ? (int64_t)fab->leaves : 0));
    ADD(sl_summary_int(s, "fabric.spines", has ? (int64_t)fab->spines : 0));
    ADD(sl_summary_int(s, "fabric.cores", has ? (int64_t)fab->cores : 0));
    ADD(sl_summary_int(s, "fabric.links", has ? (int64_t)fab->links : 0));
    ADD(sl_summary_int(s, "fabric.transceivers", has ? (int64_t)fab->transceivers : 0));
    ADD(sl_summary_num(s, "fabric.power_kw", T->fabric_j / dur_s / 1e3));
    ADD(sl_summary_num(s, "fabric.power_kw_full", has ? fab->power_w / 1e3 : 0));
    ADD(sl_summary_num(s, "fabric.energy_mwh", T->fabric_j / MWH));
#undef ADD
    return rc;
}

static void release(void *state)
{
    (void)state;
}

const struct sl_observer_ops sl_results_observer = {
    .name = "results",
    .state_size = 0, /* stateless: it reads the world's totals at the end */
    .open = NULL,
    .step = NULL,
    .finish = finish,
    .commit = NULL,
    .release = release,
};
