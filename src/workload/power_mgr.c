/*
 * The power manager (see power_mgr.h).
 */
#include "workload/power_mgr.h"
#include "workload/pm_int.h"

#include "suanli/alloc.h"
#include "suanli/calendar.h"
#include "suanli/diag.h"
#include "suanli/weather.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- The fleet at a card limit ---- */

/* Servers' IT power and heat to liquid with every card of every pool at
 * fraction x of its idle-to-TDP range (x in [0, 1]) and every host busy:
 * each pool's servers through its rack stages, full racks and the last
 * partial one.  At x = 1 this is sl_fleet_design's full load. */
static void fleet_at(const struct sl_fleet *f, double x, double *it_w, double *liquid_w)
{
    double it = 0, liquid = 0;
    for (size_t p = 0; p < f->npools; p++) {
        const struct sl_fleet_pool *P = &f->pool[p];
        double card_w = P->idle_w + x * (P->dev->tdp_w - P->idle_w);
        struct sl_server_power sp;
        sl_server_eval(P->calc, card_w * (double)P->cards_per_server, 1.0, &sp);
        size_t full = P->nservers / P->per_rack, rest = P->nservers % P->per_rack;
        it +=
            (double)full * sl_stack_input_w(&P->rack_stack, sp.input_w * (double)P->per_rack, NULL);
        if (rest)
            it += sl_stack_input_w(&P->rack_stack, sp.input_w * (double)rest, NULL);
        liquid += sp.liquid_heat_w * (double)P->nservers;
    }
    *it_w = it;
    *liquid_w = liquid;
}

double sl_power_mgr_worst_w(const struct sl_world *w, double x)
{
    double it, liquid;
    fleet_at(&w->fleet, x, &it, &liquid);
    if (w->has_fabric)
        it += sl_fabric_power_w(&w->fabric, 1.0);
    /* The calendar of 2025, as sl_facility_design_worst_w. */
    int64_t jan1 = sl_days_from_civil(2025, 1, 1) * 86400;
    double worst = 0;
    for (int h = 0; h < SL_HOURS_PER_YEAR; h++) {
        struct sl_facility_eval e;
        sl_facility_eval(&w->fac, it, liquid, jan1 + (int64_t)h * 3600, &e);
        if (e.facility_w > worst)
            worst = e.facility_w;
    }
    return worst;
}

/* ---- Actuation ---- */

static void add_capped_time(struct sl_power_mgr *m, int64_t now_us)
{
    m->capped_s += (double)m->ncapped * (double)(now_us - m->capped_since_us) * 1e-6;
    m->capped_since_us = now_us;
}

/* Card-seconds under a limit per tier up to now. */
static void add_tier_time(struct sl_power_mgr *m, int64_t now_us)
{
    const struct sl_fleet *f = &m->w->fleet;
    double dt = (double)(now_us - m->tier_since_us) * 1e-6;
    for (int t = 0; t < SL_PM_TIERS; t++)
        if (f->tier_x[t] < 1)
            m->tier_limited_s[t] += (double)f->tier_cards[t] * dt;
    m->tier_since_us = now_us;
}

/* Puts the tier limits x[] in force now. */
static void apply_tiers(struct sl_power_mgr *m, int64_t now_us, const double *x)
{
    add_capped_time(m, now_us);
    add_tier_time(m, now_us);
    m->ncapped = sl_fleet_set_tier_limits(&m->w->fleet, now_us, x);
}

/* Puts limit fraction x in force on every card now. */
static void apply(struct sl_power_mgr *m, int64_t now_us, double x)
{
    double v[SL_PM_TIERS];
    for (int t = 0; t < SL_PM_TIERS; t++)
        v[t] = x;
    apply_tiers(m, now_us, v);
    m->x = x;
    sl__pm_levels_reapply(m, now_us);
}

static void on_actuate(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    double x;
    memcpy(&x, &arg, sizeof x);
    apply(ctx, sl_engine_now(eng), x);
}

/* Decides x_target now; it takes effect after the actuation delay. */
static void decide(struct sl_power_mgr *m, int64_t now_us, double x)
{
    m->x_target = x;
    m->decided_at_us = now_us;
    m->effective_us = now_us + m->cfg->actuation_delay_us;
    m->decisions++;
    if (m->cfg->actuation_delay_us == 0) {
        apply(m, now_us, x);
        return;
    }
    uint64_t arg;
    memcpy(&arg, &x, sizeof arg);
    if (sl_engine_schedule(&m->w->eng, m->effective_us, SL_PRIO_MGR, on_actuate, m, arg, NULL) !=
        SL_OK)
        sl_world_fail(m->w, SL_ENOMEM, "out of memory scheduling a power limit");
}

static void on_actuate_tiers(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_power_mgr *m = ctx;
    apply_tiers(m, sl_engine_now(eng), m->xt_pend);
}

void sl__pm_decide_tiers(struct sl_power_mgr *m, int64_t now_us, const double *x)
{
    memcpy(m->xt, x, sizeof m->xt);
    memcpy(m->xt_pend, x, sizeof m->xt_pend);
    m->decided_at_us = now_us;
    m->effective_us = now_us + m->cfg->actuation_delay_us;
    m->decisions++;
    if (m->cfg->actuation_delay_us == 0) {
        apply_tiers(m, now_us, m->xt_pend);
        return;
    }
    if (sl_engine_schedule(&m->w->eng, m->effective_us, SL_PRIO_MGR, on_actuate_tiers, m, 0,
                           NULL) != SL_OK)
        sl_world_fail(m->w, SL_ENOMEM, "out of memory scheduling a power limit");
}

/* ---- Telemetry and control ---- */

static void read_now(const struct sl_power_mgr *m, int64_t now_us, struct sl_pm_reading *r)
{
    const struct sl_world *w = m->w;
    const struct sl_fleet *f = &w->fleet;
    double util = f->m.v[SL_Q_LOAD] / (double)f->ncards;
    util = util < 0 ? 0 : util > 1 ? 1 : util;
    r->t_us = now_us;
    r->srv_it_w = f->m.v[SL_Q_IT];
    r->fabric_w = w->has_fabric ? sl_fabric_power_w(&w->fabric, util) : 0;
    struct sl_facility_eval e;
    sl_facility_eval(&w->fac, r->srv_it_w + r->fabric_w, f->m.v[SL_Q_LIQUID],
                     sl_world_local_s(w, now_us), &e);
    r->facility_w = e.facility_w;
}

/* The breaker rule on the present reading. */
static void account(struct sl_power_mgr *m, const struct sl_pm_reading *r, double dt_s)
{
    double over = r->facility_w - m->cap_w;
    if (over > m->max_overshoot_w)
        m->max_overshoot_w = over;
    if (over > 0) {
        m->over_s += dt_s;
        if (!m->in_excursion) {
            m->in_excursion = 1;
            m->excursion_t0_us = r->t_us;
        }
    } else if (m->in_excursion) {
        m->in_excursion = 0;
        int64_t len = r->t_us - m->excursion_t0_us;
        if (len > m->cfg->tolerance_us) {
            m->violations++;
            m->violation_s += (double)len * 1e-6;
        }
    }
}

/* Throttling over one facility step, from the cards now. */
static void sample_throttle(struct sl_power_mgr *m, double dt_s)
{
    if (m->ncapped == 0)
        return;
    const struct sl_fleet *f = &m->w->fleet;
    for (size_t p = 0; p < f->npools; p++) {
        const struct sl_fleet_pool *P = &f->pool[p];
        for (size_t i = P->first_card; i < P->first_card + P->ncards; i++) {
            double cap = f->cap_w[i];
            if (cap <= 0)
                continue;
            const struct sl_card *c = &f->card[i];
            double demand = P->idle_w + P->range_w[c->phase] * (double)c->activity;
            if (demand > cap) {
                m->throttled_card_s += dt_s;
                m->throttled_j += (demand - cap) * dt_s;
            }
        }
    }
}

/* The facility span from all cards idle to all at TDP at the weather of
 * now (the fabric as read in r); *it0_w and *it1_w receive the servers'
 * IT power at the two ends. */
static double span_w(const struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r,
                     double *it0_w, double *it1_w)
{
    const struct sl_world *w = m->w;
    int64_t local = sl_world_local_s(w, now_us);
    double l0, l1;
    fleet_at(&w->fleet, 0, it0_w, &l0);
    fleet_at(&w->fleet, 1, it1_w, &l1);
    struct sl_facility_eval e0, e1;
    sl_facility_eval(&w->fac, *it0_w + r->fabric_w, l0, local, &e0);
    sl_facility_eval(&w->fac, *it1_w + r->fabric_w, l1, local, &e1);
    return e1.facility_w - e0.facility_w;
}

double sl__pm_span_w(const struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    double it0, it1;
    return span_w(m, now_us, r, &it0, &it1);
}

/* The threshold rule on the lagged reading r. */
static void threshold(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    /* Dead time: a reading older than the last decision's effect says
     * nothing about it. */
    if (m->decisions > 0 && r->t_us < m->effective_us)
        return;
    double F = r->facility_w;
    if (F > m->target_w) {
        double it0, it1;
        double span = span_w(m, now_us, r, &it0, &it1);
        double u = it1 > it0 ? (r->srv_it_w - it0) / (it1 - it0) : 1;
        u = u < 0 ? 0 : u > 1 ? 1 : u;
        double from = m->x_target < u ? m->x_target : u;
        double x = span > 0 ? from - (F - m->target_w) / span : SL_PM_X_MIN;
        if (x < SL_PM_X_MIN)
            x = SL_PM_X_MIN;
        if (x < m->x_target)
            decide(m, now_us, x);
    } else if (F < m->target_w - SL_PM_RELEASE * m->cap_w && m->x_target < 1) {
        double x = m->x_target + SL_PM_RAISE;
        decide(m, now_us, x > 1 ? 1 : x);
    }
}

static void on_tick(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_power_mgr *m = ctx;
    int64_t now = sl_engine_now(eng);
    const struct sl_power_cfg *c = m->cfg;
    struct sl_pm_reading *r = &m->ring[m->tick % m->nring];
    read_now(m, now, r);
    account(m, r, (double)m->interval_us * 1e-6);
    if (c->policy != SL_POWER_NONE) {
        /* Cards claimed and released since the last tick. */
        add_capped_time(m, now);
        add_tier_time(m, now);
        m->ncapped = m->w->fleet.ncapped;
    }
    if (m->tick % m->step_ticks == 0)
        sample_throttle(m, (double)m->step_ticks * (double)m->interval_us * 1e-6);
    if (m->extended) {
        sl__pm_levels_tick(m, now);
        sl__pm_ramp_tick(m, now, r);
    }
    if (m->tick >= m->lag_ticks) {
        const struct sl_pm_reading *lagged = &m->ring[(m->tick - m->lag_ticks) % m->nring];
        if (c->policy == SL_POWER_THRESHOLD)
            threshold(m, now, lagged);
        else if (c->policy == SL_POWER_PRIORITY)
            sl__pm_priority(m, now, lagged);
        else if (c->policy == SL_POWER_POLCA)
            sl__pm_polca(m, now, lagged);
    }
    m->tick++;
    int64_t next = now + m->interval_us;
    if (next < m->w->end_us &&
        sl_engine_schedule(eng, next, SL_PRIO_MGR, on_tick, m, 0, NULL) != SL_OK)
        sl_world_fail(m->w, SL_ENOMEM, "out of memory scheduling the power manager");
}

/* ---- The source ---- */

/* The static policy's fraction: the largest x in [SL_PM_X_MIN, 1] whose
 * worst case fits the target (bisection to 1e-6 of the range). */
static int size_static(struct sl_power_mgr *m, struct sl_diag *d)
{
    m->worst_uncapped_w = sl_power_mgr_worst_w(m->w, 1);
    if (m->worst_uncapped_w <= m->target_w) {
        m->x_static = 1;
        m->worst_capped_w = m->worst_uncapped_w;
        return SL_OK;
    }
    double lo = SL_PM_X_MIN, hi = 1;
    double wlo = sl_power_mgr_worst_w(m->w, lo);
    if (wlo > m->target_w)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "power.policy static: even with every card limited to %.0f %% of its "
                           "range the worst hour needs %.0f kW, above the grid cap less the "
                           "margin (%.0f kW); raise 'site.grid_cap' or lower 'power.margin' or "
                           "the fleet",
                           100 * SL_PM_X_MIN, wlo * 1e-3, m->target_w * 1e-3);
    while (hi - lo > 1e-6) {
        double mid = 0.5 * (lo + hi);
        if (sl_power_mgr_worst_w(m->w, mid) <= m->target_w)
            lo = mid;
        else
            hi = mid;
    }
    m->x_static = lo;
    m->worst_capped_w = sl_power_mgr_worst_w(m->w, lo);
    return SL_OK;
}

/* The fleet's cap function (fleet.h, sl_cap_fn). */
static double cap_of(void *ctx, size_t i, int tier)
{
    const struct sl_power_mgr *m = ctx;
    const struct sl_fleet *f = &m->w->fleet;
    const struct sl_fleet_pool *P = &f->pool[sl_fleet_card_pool(f, i)];
    double x = f->tier_x[tier], xr = sl__pm_levels_card_x(m, P, i);
    return sl__pm_card_cap_w(m, P, xr < x ? xr : x);
}

static int start(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct sl_power_mgr *m = state;
    const struct sl_scenario *sc = w->sc;
    m->w = w;
    m->cfg = &sc->power;
    m->cap_w = sc->site.grid_cap_w;
    m->target_w = m->cap_w * (1 - m->cfg->margin);
    m->x = m->x_target = 1;
    m->tr_at_us = -1;
    m->rise_prev_w = -1;
    for (int t = 0; t < SL_PM_TIERS; t++)
        m->xt[t] = m->xt_pend[t] = 1;
    /* Under `none` with none of the levels' and ramps' keys nothing is
     * decided, so the readings serve the site's breaker rule only: once per
     * facility step when that is the longer (a per-second tick would cost
     * a default run ~40 % more time), and without the levels' and ramps'
     * per-tick work (pm_int.h), whose figures are then not reported. */
    m->extended = m->cfg->policy != SL_POWER_NONE || sl__pm_wanted(sc);
    m->interval_us = m->cfg->control_interval_us;
    if (!m->extended && sc->facility.step_us > m->interval_us)
        m->interval_us = sc->facility.step_us;
    m->lag_ticks = (size_t)(m->cfg->telemetry_lag_us / m->interval_us);
    m->nring = m->lag_ticks + 1;
    m->step_ticks = (uint64_t)(sc->facility.step_us / m->interval_us);
    if (m->step_ticks == 0)
        m->step_ticks = 1;
    m->ring = sl_calloc(m->nring, sizeof *m->ring);
    if (!m->ring)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    /* Every limit goes through the fleet's tiers: a card's is its tier's
     * fraction, its rack's if lower, within the card limit range. */
    sl_fleet_set_cap_fn(&w->fleet, cap_of, m);
    int lrc = sl__pm_levels_start(m, d);
    if (lrc == SL_OK)
        lrc = sl__pm_ramp_start(m, d);
    if (lrc != SL_OK)
        return lrc;
    if (m->cfg->policy == SL_POWER_STATIC) {
        int rc = size_static(m, d);
        if (rc != SL_OK)
            return rc;
        if (m->x_static < 1) {
            m->x_target = m->x_static;
            apply(m, 0, m->x_static);
        }
    }
    if (sl_engine_schedule(&w->eng, 0, SL_PRIO_MGR, on_tick, m, 0, NULL) != SL_OK)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return SL_OK;
}

static void release(void *state)
{
    struct sl_power_mgr *m = state;
    if (m->w)
        sl_fleet_set_cap_fn(&m->w->fleet, NULL, NULL);
    sl_free(m->ring);
    m->ring = NULL;
    sl__pm_levels_release(m);
    sl__pm_ramp_release(m);
}

static int enabled(const struct sl_scenario *sc)
{
    (void)sc;
    return 1;
}

static const char *const columns[] = {"capped_cards"};

/* The mean number of cards under a limit over the row. */
static void sample(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values)
{
    (void)w;
    struct sl_power_mgr *m = state;
    add_capped_time(m, t1_us);
    values[0] = (m->capped_s - m->capped_s_sampled) / ((double)(t1_us - t0_us) * 1e-6);
    m->capped_s_sampled = m->capped_s;
}

static const char *const policy_names[] = {"none", "static", "threshold", "priority", "polca"};
static const char *const tier_names[SL_PM_TIERS] = {"best_effort", "training", "batch",
                                                    "interactive"};

static int summary(void *state, const struct sl_world *w, struct sl_summary *s)
{
    struct sl_power_mgr *m = state;
    /* An excursion still open at the end counts by the same rule. */
    if (m->in_excursion) {
        int64_t len = w->end_us - m->excursion_t0_us;
        m->in_excursion = 0;
        if (len > m->cfg->tolerance_us) {
            m->violations++;
            m->violation_s += (double)len * 1e-6;
        }
    }
    int rc = sl_summary_str(s, "power.policy", policy_names[m->cfg->policy]);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.target_kw", m->target_w * 1e-3);
    if (rc == SL_OK && m->cfg->policy == SL_POWER_STATIC) {
        rc = sl_summary_num(s, "power.static_fraction", m->x_static);
        if (rc == SL_OK)
            rc = sl_summary_num(s, "power.static_card_limit_w",
                                w->fleet.pool[0].idle_w +
                                    m->x_static *
                                        (w->fleet.pool[0].dev->tdp_w - w->fleet.pool[0].idle_w));
        if (rc == SL_OK)
            rc = sl_summary_num(s, "power.worst_uncapped_kw", m->worst_uncapped_w * 1e-3);
        if (rc == SL_OK)
            rc = sl_summary_num(s, "power.worst_capped_kw", m->worst_capped_w * 1e-3);
    }
    if (rc == SL_OK)
        rc = sl_summary_int(s, "power.decisions", (int64_t)m->decisions);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "power.violations", (int64_t)m->violations);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.violation_s", m->violation_s);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.over_cap_s", m->over_s);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.max_overshoot_kw", m->max_overshoot_w * 1e-3);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.throttled_card_h", m->throttled_card_s / 3600);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.energy_throttled_mwh", m->throttled_j / 3.6e9);
    if (rc == SL_OK && m->extended)
        rc = sl__pm_levels_summary(m, w, s);
    if (rc == SL_OK && m->extended)
        rc = sl__pm_ramp_summary(m, w, s);
    if (m->cfg->policy == SL_POWER_PRIORITY || m->cfg->policy == SL_POWER_POLCA) {
        add_tier_time(m, w->end_us);
        for (int t = 0; rc == SL_OK && t < SL_PM_TIERS; t++) {
            char key[96];
            snprintf(key, sizeof key, "power.limited_card_h.%s", tier_names[t]);
            rc = sl_summary_num(s, key, m->tier_limited_s[t] / 3600);
        }
    }
    if (rc == SL_OK && m->cfg->policy == SL_POWER_POLCA) {
        double band = m->target_w - m->cfg->polca_t1 * m->cap_w;
        rc = sl_summary_num(s, "power.polca_reserve_kw",
                            (m->reserve_max_w < band ? m->reserve_max_w : band) * 1e-3);
    }
    return rc;
}

const struct sl_source_ops sl_power_mgr_source = {
    .name = "power",
    .state_size = sizeof(struct sl_power_mgr),
    .enabled = enabled,
    .start = start,
    .release = release,
    .ncolumns = 1,
    .columns = columns,
    .sample = sample,
    .summary = summary,
};
