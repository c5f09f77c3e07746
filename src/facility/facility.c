/*
 * The facility (see facility.h).
 */
#include "facility/facility.h"

#include "suanli/calendar.h"

#include <string.h>

int sl_facility_init(struct sl_facility *f, const struct sl_scenario *sc, double design_it_w,
                     double design_liquid_w, struct sl_diag *d)
{
    memset(f, 0, sizeof *f);
    f->weather = sc->weather;
    f->cooling = sc->cooling;
    if (sl_stack_collect(&f->stack, sc->chain, SL_SCOPE_FACILITY) != SL_OK)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "power chain '%s' has more than %d facility stages", sc->chain->name,
                           SL_MAX_STAGES);
    f->design_it_w = design_it_w;
    f->design_liquid_w = design_liquid_w;
    sl_stack_size(&f->stack, design_it_w);
    double loss[SL_MAX_STAGES], indoor = 0;
    sl_stack_input_w(&f->stack, design_it_w, loss);
    for (size_t k = 0; k < f->stack.n; k++)
        if (f->stack.stage[k]->indoor)
            indoor += loss[k];
    f->design_air_w = design_it_w - design_liquid_w + indoor;
    f->aux_w = sc->facility.aux_load * design_it_w;
    f->avail_air = f->avail_liquid = 1;
    return SL_OK;
}

void sl_facility_eval(const struct sl_facility *f, double it_w, double liquid_w, int64_t local_s,
                      struct sl_facility_eval *out)
{
    memset(out, 0, sizeof *out);
    out->it_w = it_w;
    out->liquid_w = liquid_w;
    out->chain_in_w = sl_stack_input_w(&f->stack, it_w, out->stage_loss_w);
    for (size_t k = 0; k < f->stack.n; k++) {
        out->chain_loss_w += out->stage_loss_w[k];
        if (f->stack.stage[k]->indoor)
            out->indoor_loss_w += out->stage_loss_w[k];
    }
    sl_weather_at(f->weather, local_s, &out->t_db_c, &out->t_wb_c);
    double air = it_w - liquid_w + out->indoor_loss_w;
    sl_cooling_eval(f->cooling, air, liquid_w, out->t_db_c, out->t_wb_c,
                    f->design_air_w * f->avail_air, f->design_liquid_w * f->avail_liquid,
                    &out->cooling);
    out->aux_w = f->aux_w;
    out->facility_w = out->chain_in_w + out->cooling.total_w + out->aux_w;
}

static double unit_share(double v)
{
    return !(v >= 0) ? (v != v ? 1 : 0) : v > 1 ? 1 : v;
}

void sl_facility_set_cooling_avail(struct sl_facility *f, double air, double liquid)
{
    f->avail_air = unit_share(air);
    f->avail_liquid = unit_share(liquid);
}

double sl_facility_design_worst_w(const struct sl_facility *f, int64_t *at_s)
{
    int64_t jan1 = sl_days_from_civil(2025, 1, 1) * 86400;
    double worst = 0;
    int64_t when = jan1;
    for (int h = 0; h < SL_HOURS_PER_YEAR; h++) {
        struct sl_facility_eval e;
        int64_t t = jan1 + (int64_t)h * 3600;
        sl_facility_eval(f, f->design_it_w, f->design_liquid_w, t, &e);
        if (e.facility_w > worst) {
            worst = e.facility_w;
            when = t;
        }
    }
    if (at_s)
        *at_s = when;
    return worst;
}
