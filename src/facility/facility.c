/*
 * The facility (see facility.h).
 */
#include "facility/facility.h"

#include "suanli/alloc.h"

#include <string.h>

int sl_facility_init(struct sl_facility *f, const struct sl_scenario *sc,
                     const struct sl_server_calc *server, struct sl_diag *d)
{
    memset(f, 0, sizeof *f);
    f->sc = sc;
    const struct sl_chain_spec *ch = sc->chain;
    const struct sl_stage_spec *st = ch->stages.items;
    for (size_t i = 0; i < ch->stages.n; i++) {
        if (st[i].scope == SL_SCOPE_FACILITY || st[i].scope == SL_SCOPE_RACK) {
            if ((st[i].scope == SL_SCOPE_FACILITY ? f->nfac : f->nrack) == SL_MAX_STAGES)
                return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                                   "power chain '%s' has more than %d stages at one scope",
                                   ch->name, SL_MAX_STAGES);
            if (st[i].scope == SL_SCOPE_FACILITY)
                f->fac[f->nfac++] = &st[i];
            else
                f->rack[f->nrack++] = &st[i];
        }
    }
    /* Design loads: every server at full load. */
    struct sl_server_power full;
    sl_server_eval(server, 1.0, 0, &full);
    size_t n = (size_t)sc->fleet.servers, per = (size_t)sc->fleet.servers_per_rack;
    double rack_design = full.input_w * (double)per;
    double out = rack_design;
    for (size_t k = f->nrack; k-- > 0;) {
        f->rack_cap_w[k] = sl_stage_capacity_w(f->rack[k], out);
        out = sl_stage_input_w(f->rack[k], f->rack_cap_w[k], out);
    }
    size_t full_racks = n / per, rest = n % per;
    f->design_it_w = (double)full_racks * sl_facility_rack_input_w(f, rack_design);
    if (rest)
        f->design_it_w += sl_facility_rack_input_w(f, full.input_w * (double)rest);
    out = f->design_it_w;
    double indoor = 0;
    for (size_t k = f->nfac; k-- > 0;) {
        f->fac_cap_w[k] = sl_stage_capacity_w(f->fac[k], out);
        double in = sl_stage_input_w(f->fac[k], f->fac_cap_w[k], out);
        if (f->fac[k]->indoor)
            indoor += in - out;
        out = in;
    }
    f->design_liquid_w = full.liquid_heat_w * (double)n;
    f->design_air_w = f->design_it_w - f->design_liquid_w + indoor;
    f->aux_w = sc->facility.aux_load * f->design_it_w;

    f->weather = sc->weather;
    return SL_OK;
}

void sl_facility_release(struct sl_facility *f)
{
    f->weather = NULL;
}

double sl_facility_rack_input_w(const struct sl_facility *f, double servers_w)
{
    double p = servers_w;
    for (size_t k = f->nrack; k-- > 0;)
        p = sl_stage_input_w(f->rack[k], f->rack_cap_w[k], p);
    return p;
}

void sl_facility_eval(const struct sl_facility *f, double it_w, double liquid_w, int64_t local_s,
                      struct sl_facility_step *out)
{
    memset(out, 0, sizeof *out);
    out->it_w = it_w;
    double p = it_w;
    for (size_t k = f->nfac; k-- > 0;) {
        double in = sl_stage_input_w(f->fac[k], f->fac_cap_w[k], p);
        out->stage_loss_w[k] = in - p;
        if (f->fac[k]->indoor)
            out->indoor_loss_w += in - p;
        p = in;
    }
    out->chain_in_w = p;
    out->chain_loss_w = p - it_w;
    sl_weather_at(f->weather, local_s, &out->t_db_c, &out->t_wb_c);
    double air = it_w - liquid_w + out->indoor_loss_w;
    sl_cooling_eval(f->sc->cooling, air, liquid_w, out->t_db_c, out->t_wb_c, f->design_air_w,
                    f->design_liquid_w, &out->cooling);
    out->aux_w = f->aux_w;
    out->facility_w = out->chain_in_w + out->cooling.total_w + out->aux_w;
}
