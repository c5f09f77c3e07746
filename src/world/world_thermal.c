/*
 * Cooling loss and thermal throttling (see world.h and docs/model.md,
 * "Cooling loss and thermal throttling").
 *
 * The hall, its coolant and its equipment are one heat capacity C =
 * heat_capacity x (design heat), in J/K.  Over a facility step of dt
 * seconds the inlet rise theta above design follows
 *     C dtheta/dt = Q - Q_cap,    theta >= 0,
 * with Q the heat of the step (IT and indoor stage losses) and Q_cap the
 * plant's capacity (margin x design heat x the share in service): the
 * heat the plant cannot remove warms the hall, and spare capacity cools it
 * back to design.  A card whose inlet is theta above design may draw
 *     y = 1 - max(0, theta - margin) / span
 * of its TDP (the junction-to-inlet difference at TDP is span: each kelvin
 * of warmer inlet takes 1/span of TDP off what the junction can dissipate
 * at its limit), so a lasting deficit throttles the cards until their heat
 * matches the capacity.  Throttling makes Q depend on theta (dQ/dtheta is
 * at most g = design IT / span), so the step is backward Euler in the
 * throttled region, theta' - theta = dt (Q - Q_cap) / C / (1 + dt g / C):
 * stable whatever the step and the heat capacity.
 *
 * A rack whose own cooling unit is out keeps rack_residual of its design
 * heat removed (the room's share); its own rise rack_theta follows the
 * same law with the rack's heat and heat capacity, on top of the site's.
 * When the unit is back the rack cools at margin x its design heat less
 * its heat, down to zero.
 *
 * Limits are quantised to 1/256 of TDP so that a slow drift does not
 * re-limit the fleet at every step.  Not modelled: the thermal trip of a
 * server whose cards are already at idle (the rise is only bounded), the
 * different time constants of air, coolant and metal, and hot spots
 * within the hall.
 */
#include "world/world.h"

#include "suanli/alloc.h"

#include <math.h>
#include <string.h>

#define Y_QUANTUM 256.0

/* Share of TDP a card may draw at inlet rise theta_k. */
static double limit_at(const struct sl_cooling_spec *cs, double theta_k)
{
    double over = theta_k - cs->throttle_margin_k;
    if (!(over > 0))
        return 1;
    double y = 1 - over / cs->throttle_span_k;
    if (!(y > 0))
        return 0;
    return floor(y * Y_QUANTUM) / Y_QUANTUM;
}

/* One backward-Euler-in-the-throttled-region step of theta (K) with net
 * heat net_w (W) into heat capacity c_jk (J/K), throttle sensitivity g_wk
 * (W/K) beyond margin m_k, over dt_s. */
static double advance(double theta, double net_w, double c_jk, double g_wk, double m_k,
                      double top_k, double dt_s)
{
    if (!(c_jk > 0))
        return theta;
    double d = dt_s * net_w / c_jk;
    double k = 1 + dt_s * g_wk / c_jk;
    double t;
    if (theta > m_k)
        t = theta + d / k;
    else {
        t = theta + d;
        if (t > m_k)
            t = m_k + (t - m_k) / k;
    }
    if (!(t > 0))
        t = 0;
    if (t > top_k)
        t = top_k;
    return t;
}

/* Design heat of rack r: its servers' share of a full rack of its pool. */
static double rack_design_w(const struct sl_fleet *f, size_t r)
{
    const struct sl_fleet_pool *P = &f->pool[f->rack[r].pool];
    return P->design_rack_w * (double)sl_fleet_rack_count(f, r) / (double)P->per_rack;
}

static size_t rack_cards(const struct sl_fleet *f, size_t r)
{
    const struct sl_fleet_pool *P = &f->pool[f->rack[r].pool];
    return sl_fleet_rack_count(f, r) * P->cards_per_server;
}

void sl_world_set_cooling_avail(struct sl_world *w, double air, double liquid)
{
    sl_facility_set_cooling_avail(&w->fac, air, liquid);
}

static int is_hot(const struct sl_thermal *th, size_t r)
{
    return th->rack_lost[r] > 0 || th->rack_theta[r] > 0;
}

int sl_world_rack_cooling(struct sl_world *w, size_t r, int lost)
{
    struct sl_thermal *th = &w->th;
    struct sl_fleet *f = &w->fleet;
    if (r >= f->nracks)
        return SL_ERANGE;
    if (!th->rack_lost) {
        th->rack_lost = sl_calloc(f->nracks, sizeof *th->rack_lost);
        th->rack_theta = sl_calloc(f->nracks, sizeof *th->rack_theta);
        if (!th->rack_lost || !th->rack_theta) {
            sl_free(th->rack_lost);
            sl_free(th->rack_theta);
            th->rack_lost = NULL;
            th->rack_theta = NULL;
            return SL_ENOMEM;
        }
    }
    int before = is_hot(th, r);
    if (lost && th->rack_lost[r] < UINT16_MAX)
        th->rack_lost[r]++;
    else if (!lost && th->rack_lost[r] > 0)
        th->rack_lost[r]--;
    int now = is_hot(th, r);
    th->nrack_hot += (size_t)now - (size_t)before;
    return SL_OK;
}

void sl_world_thermal_step(struct sl_world *w, const struct sl_site_step *st)
{
    struct sl_thermal *th = &w->th;
    struct sl_fleet *f = &w->fleet;
    const struct sl_cooling_spec *cs = w->sc->cooling;
    const struct sl_cooling_result *c = &st->fe.cooling;
    double dt = st->dt_s;
    double design = w->fac.design_air_w + w->fac.design_liquid_w;
    double top = cs->throttle_margin_k + cs->throttle_span_k;

    /* The time the limits now in force lasted. */
    if (th->limited_cards > 0) {
        w->tot.thermal_s += dt;
        w->tot.thermal_card_s += (double)th->limited_cards * dt;
    }

    double heat = c->removed_air_w + c->removed_liquid_w + c->unmet_w;
    double before = th->theta_k;
    th->theta_k = advance(th->theta_k, heat - c->capacity_w, cs->heat_capacity_s_per_k * design,
                          w->fac.design_it_w / cs->throttle_span_k, cs->throttle_margin_k, top, dt);
    double site_y = limit_at(cs, th->theta_k);
    if (th->theta_k > w->tot.thermal_max_k)
        w->tot.thermal_max_k = th->theta_k;
    if (site_y == th->site_y && th->nrack_hot == 0 && before == th->theta_k)
        return; /* nothing moves: the common case costs one comparison */
    th->site_y = site_y;

    size_t limited = 0;
    for (size_t r = 0; r < f->nracks; r++) {
        double theta = th->theta_k;
        if (th->rack_lost && is_hot(th, r)) {
            double d = rack_design_w(f, r);
            double share = th->rack_lost[r] > 0 ? cs->rack_residual : cs->capacity_margin;
            double m = cs->throttle_margin_k - th->theta_k;
            double rt = advance(th->rack_theta[r], f->rack[r].input_w - share * d,
                                cs->heat_capacity_s_per_k * d, d / cs->throttle_span_k,
                                m > 0 ? m : 0, top, dt);
            th->rack_theta[r] = rt;
            if (!is_hot(th, r))
                th->nrack_hot--;
            theta += rt;
        }
        double y = limit_at(cs, theta);
        if (theta > w->tot.thermal_max_k)
            w->tot.thermal_max_k = theta;
        if (y < 1) {
            limited += rack_cards(f, r);
            if (y < w->tot.thermal_min_y)
                w->tot.thermal_min_y = y;
        }
        sl_fleet_set_thermal(f, st->t1_us, r, y);
    }
    th->limited_cards = limited;
}

void sl_world_thermal_release(struct sl_world *w)
{
    sl_free(w->th.rack_lost);
    sl_free(w->th.rack_theta);
    memset(&w->th, 0, sizeof w->th);
}
