/*
 * Fleet state and IT power (see fleet.h).
 */
#include "fleet/fleet.h"
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

double sl_server_power_w(const struct sl_server_model *m, double u)
{
    return m->power_idle_w + (m->power_max_w - m->power_idle_w) * u;
}

int sl_fleet_init(struct sl_fleet *f, const struct sl_scenario *sc, double u0)
{
    memset(f, 0, sizeof *f);
    f->model = sc->server;
    f->nservers = (size_t)sc->fleet.servers;
    f->per_rack = (size_t)sc->fleet.servers_per_rack;
    f->nracks = (f->nservers + f->per_rack - 1) / f->per_rack;
    f->util = sl_calloc(f->nservers, sizeof *f->util);
    f->rack_w = sl_calloc(f->nracks, sizeof *f->rack_w);
    if (!f->util || !f->rack_w) {
        sl_fleet_release(f);
        return SL_ENOMEM;
    }
    double p0 = sl_server_power_w(f->model, u0);
    for (size_t i = 0; i < f->nservers; i++) {
        f->util[i] = u0;
        f->rack_w[i / f->per_rack] += p0;
    }
    for (size_t r = 0; r < f->nracks; r++)
        if (f->rack_w[r] > f->rack_peak_w)
            f->rack_peak_w = f->rack_w[r];
    sl_meter_init(&f->it_w, p0 * (double)f->nservers);
    sl_meter_init(&f->util_sum, u0 * (double)f->nservers);
    return SL_OK;
}

void sl_fleet_release(struct sl_fleet *f)
{
    sl_free(f->util);
    sl_free(f->rack_w);
    memset(f, 0, sizeof *f);
}

void sl_fleet_set_util(struct sl_fleet *f, int64_t now_us, size_t i, double u)
{
    double old = f->util[i];
    double dp = (f->model->power_max_w - f->model->power_idle_w) * (u - old);
    f->util[i] = u;
    size_t r = i / f->per_rack;
    f->rack_w[r] += dp;
    if (f->rack_w[r] > f->rack_peak_w)
        f->rack_peak_w = f->rack_w[r];
    sl_meter_set(&f->it_w, now_us, f->it_w.value + dp);
    sl_meter_set(&f->util_sum, now_us, f->util_sum.value + (u - old));
}

void sl_fleet_resum(struct sl_fleet *f, int64_t now_us)
{
    double usum = 0, psum = 0;
    for (size_t r = 0; r < f->nracks; r++) {
        size_t lo = r * f->per_rack;
        size_t hi = lo + f->per_rack < f->nservers ? lo + f->per_rack : f->nservers;
        double rs = 0;
        for (size_t i = lo; i < hi; i++) {
            rs += sl_server_power_w(f->model, f->util[i]);
            usum += f->util[i];
        }
        f->rack_w[r] = rs;
        psum += rs;
    }
    sl_meter_advance(&f->it_w, now_us);
    sl_meter_advance(&f->util_sum, now_us);
    f->it_w.value = psum;
    f->util_sum.value = usum;
}

void sl_fleet_start_meters(struct sl_fleet *f)
{
    sl_fleet_resum(f, 0);
    sl_meter_init(&f->it_w, f->it_w.value);
    sl_meter_init(&f->util_sum, f->util_sum.value);
    f->rack_peak_w = 0;
    for (size_t r = 0; r < f->nracks; r++)
        if (f->rack_w[r] > f->rack_peak_w)
            f->rack_peak_w = f->rack_w[r];
}
