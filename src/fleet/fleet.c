/*
 * Fleet state and IT power (see fleet.h).
 */
#include "fleet/fleet.h"
#include "facility/facility.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <string.h>

void sl_meter_init(struct sl_meter *m, double value)
{
    memset(m, 0, sizeof *m);
    m->value = value;
    m->window_max = -INFINITY;
    m->max = -INFINITY;
    m->min = INFINITY;
}

/* Extremes count only values held for a positive time: several changes at
 * one instant (a server set-up loop, simultaneous events) do not register
 * the intermediate sums as peaks. */
void sl_meter_advance(struct sl_meter *m, int64_t now_us)
{
    if (now_us > m->last_us) {
        double dt = (double)(now_us - m->last_us) * 1e-6;
        m->integral += m->value * dt;
        m->window_integral += m->value * dt;
        if (m->value > m->window_max)
            m->window_max = m->value;
        if (m->value > m->max)
            m->max = m->value;
        if (m->value < m->min)
            m->min = m->value;
        m->last_us = now_us;
    }
}

void sl_meter_set(struct sl_meter *m, int64_t now_us, double value)
{
    sl_meter_advance(m, now_us);
    m->value = value;
}

void sl_meter_window_reset(struct sl_meter *m)
{
    m->window_integral = 0;
    m->window_max = -INFINITY;
}

#define NMETERS 7

static struct sl_meter *meters(struct sl_fleet *f, size_t i)
{
    struct sl_meter *m[NMETERS] = {&f->it_w,      &f->server_in_w, &f->dc_w,    &f->board_w,
                                   &f->silicon_w, &f->liquid_w,    &f->util_sum};
    return m[i];
}

static double rack_input(const struct sl_fleet *f, double servers_w)
{
    return f->fac ? sl_facility_rack_input_w(f->fac, servers_w) : servers_w;
}

int sl_fleet_init(struct sl_fleet *f, const struct sl_scenario *sc,
                  const struct sl_server_calc *calc, const struct sl_facility *fac, double u0)
{
    memset(f, 0, sizeof *f);
    f->calc = calc;
    f->fac = fac;
    f->nservers = (size_t)sc->fleet.servers;
    f->per_rack = (size_t)sc->fleet.servers_per_rack;
    f->nracks = (f->nservers + f->per_rack - 1) / f->per_rack;
    f->util = sl_calloc(f->nservers, sizeof *f->util);
    f->srv = sl_calloc(f->nservers, sizeof *f->srv);
    f->rack_servers_w = sl_calloc(f->nracks, sizeof *f->rack_servers_w);
    f->rack_w = sl_calloc(f->nracks, sizeof *f->rack_w);
    if (!f->util || !f->srv || !f->rack_servers_w || !f->rack_w) {
        sl_fleet_release(f);
        return SL_ENOMEM;
    }
    struct sl_server_power p0;
    sl_server_eval(calc, u0, 0, &p0);
    for (size_t i = 0; i < f->nservers; i++) {
        f->util[i] = u0;
        f->srv[i] = p0;
    }
    sl_fleet_start_meters(f);
    return SL_OK;
}

void sl_fleet_release(struct sl_fleet *f)
{
    sl_free(f->util);
    sl_free(f->srv);
    sl_free(f->rack_servers_w);
    sl_free(f->rack_w);
    memset(f, 0, sizeof *f);
}

void sl_fleet_set_util(struct sl_fleet *f, int64_t now_us, size_t i, double u)
{
    struct sl_server_power p;
    sl_server_eval(f->calc, u, 0, &p);
    const struct sl_server_power *o = &f->srv[i];
    size_t r = i / f->per_rack;
    f->rack_servers_w[r] += p.input_w - o->input_w;
    double rack_in = rack_input(f, f->rack_servers_w[r]);
    double drack = rack_in - f->rack_w[r];
    f->rack_w[r] = rack_in;
    if (rack_in > f->rack_peak_w)
        f->rack_peak_w = rack_in;
    sl_meter_set(&f->it_w, now_us, f->it_w.value + drack);
    sl_meter_set(&f->server_in_w, now_us, f->server_in_w.value + (p.input_w - o->input_w));
    sl_meter_set(&f->dc_w, now_us, f->dc_w.value + (p.dc_w - o->dc_w));
    sl_meter_set(&f->board_w, now_us, f->board_w.value + (p.board_w - o->board_w));
    sl_meter_set(&f->silicon_w, now_us, f->silicon_w.value + (p.silicon_w - o->silicon_w));
    sl_meter_set(&f->liquid_w, now_us, f->liquid_w.value + (p.liquid_heat_w - o->liquid_heat_w));
    sl_meter_set(&f->util_sum, now_us, f->util_sum.value + (u - f->util[i]));
    f->srv[i] = p;
    f->util[i] = u;
}

void sl_fleet_resum(struct sl_fleet *f, int64_t now_us)
{
    double sum[NMETERS] = {0};
    for (size_t r = 0; r < f->nracks; r++) {
        size_t lo = r * f->per_rack;
        size_t hi = lo + f->per_rack < f->nservers ? lo + f->per_rack : f->nservers;
        double rs = 0;
        for (size_t i = lo; i < hi; i++) {
            const struct sl_server_power *p = &f->srv[i];
            rs += p->input_w;
            sum[2] += p->dc_w;
            sum[3] += p->board_w;
            sum[4] += p->silicon_w;
            sum[5] += p->liquid_heat_w;
            sum[6] += f->util[i];
        }
        f->rack_servers_w[r] = rs;
        f->rack_w[r] = rack_input(f, rs);
        sum[0] += f->rack_w[r];
        sum[1] += rs;
    }
    for (size_t k = 0; k < NMETERS; k++) {
        sl_meter_advance(meters(f, k), now_us);
        meters(f, k)->value = sum[k];
    }
}

void sl_fleet_start_meters(struct sl_fleet *f)
{
    sl_fleet_resum(f, 0);
    for (size_t k = 0; k < NMETERS; k++) {
        struct sl_meter *m = meters(f, k);
        sl_meter_init(m, m->value);
    }
    f->rack_peak_w = 0;
    for (size_t r = 0; r < f->nracks; r++)
        if (f->rack_w[r] > f->rack_peak_w)
            f->rack_peak_w = f->rack_w[r];
}
