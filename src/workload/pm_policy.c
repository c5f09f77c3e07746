/*
 * The power manager's tiered policies, `priority` and `polca` (see
 * power_mgr.h; docs/model.md, "Power manager").
 *
 * Both decide a limit fraction x_t per work tier t (fleet.h, enum sl_tier:
 * best-effort training, training, batch inference, latency-critical
 * inference) on the lagged facility estimate F, and both keep the
 * threshold policy's dead-time rule: they decide again only on a reading
 * taken after their last decision took effect.
 *
 * priority.  The trigger level is L = T - theta C (T the target cap (1 -
 * margin), C the cap, theta `power.priority_threshold`).  When F > L the
 * excess E = F - L is shed tier by tier, lowest first: tier t's cards move
 * facility power by S_t per unit of x, S_t = S W_t / W (S the facility
 * span from all-idle to all-TDP at the weather of now, as the threshold
 * policy sizes its steps; W_t the idle-to-TDP range of the tier's owned
 * cards, W that of the whole fleet: the tier's share of the card power
 * range).  E is measured to a quarter of the release band below L
 * (E = F - L + rho C / 4, rho below), so that the landing, which the
 * linear step does not hit exactly, is no new trigger.  From the tier's
 * present effective fraction u_t (its cards' demand placed in their
 * range, so a limit above what they draw is not counted as a saving),
 *     x_t' = max(floor, min(x_t, u_t) - E / S_t),
 * and what the floor leaves of E passes to the next tier.  When F < L -
 * rho C (rho `power.priority_release`) the headroom H = L - rho C / 2 - F
 * is given back highest tier first: x_t' = min(1, x_t + H / S_t), the
 * rest to the next lower tier.  So interactive inference is limited only
 * when every lower tier sits at its floor, and is released first.
 *
 * polca (Patel et al., ASPLOS'24, arXiv 2308.12908).  Levels with two
 * thresholds T1 < T2 (shares of the cap) and a brake: at level 1 (F > T1)
 * training and batch inference are limited, at level 2 (F > T2)
 * interactive inference too, at level 3 (F > T, the target) the brake.
 * At levels 1 and 2 the level's tiers follow the excess over the level's
 * threshold by the priority rule (lowest tier first, triggered a quarter
 * and aiming half of the release band below the threshold), each no deeper than its level
 * limit (`polca_training_limit`, `polca_inference_limit`; POLCA caps
 * frequency to set levels, the limit here is the deepest such level), and
 * give headroom back highest tier first.  The band between T1 and the
 * target is a reserve for the interactive tier's rises, which the
 * controller (lag, actuation) meets late; it is kept only as wide as that
 * tier has needed: the reserve R is the largest rise of its cards' demand
 * from one tier refresh (10 s) to the next over the last 10 minutes, at
 * facility watts, no less than the release band and no more than T - T1,
 * and both thresholds move toward T by the part of the band R leaves
 * (sl__pm_polca_thresholds).  The brake sheds the excess over
 * T from the limits in force, lowest tier first, down to SL_PM_X_MIN, and
 * ends (back to level 2) once every tier is back at level 2's limits.
 * Levels rise at once to the one F calls for; they fall one at a time
 * when the power predicted with the level's own tiers unlimited (F plus
 * S_t (min(u_t, 1) - min(u_t, x_t)) over them, the priority rule's slopes)
 * is `polca_release` of the cap below the threshold that set the level:
 * POLCA releases below a threshold less a margin; the prediction (our
 * addition) keeps a level that would be set again at once from
 * chattering at the dead-time period.  Inference's limit is the lower
 * since decode, most of its time, barely slows under a cap.
 */
#include "workload/power_mgr.h"

#include <math.h>
#include <string.h>

_Static_assert(SL_PM_TIERS == SL_TIER_COUNT, "one limit per fleet tier");

/* Per tier: the idle-to-TDP range of its owned cards (W_t, watts) and
 * their demand in that range (watts above idle); and the whole fleet's
 * range W.  One pass over the cards, so it is taken at most once per
 * SL_PM_TIER_REFRESH_US and kept in m (a policy in its dead time or
 * holding a level would otherwise pay it every tick: polca on a hot week
 * spent 95 % of the run here); the decisions it sizes are checked by the
 * next reading anyway. */
static double tier_ranges_now(const struct sl_fleet *f, double *range_w, double *demand_w);

static double tier_ranges(struct sl_power_mgr *m, int64_t now_us, double *range_w, double *demand_w)
{
    if (m->tr_at_us < 0 || now_us - m->tr_at_us >= SL_PM_TIER_REFRESH_US) {
        m->tr_all = tier_ranges_now(&m->w->fleet, m->tr_range, m->tr_demand);
        m->tr_at_us = now_us;
        /* polca's reserve: the interactive tier's rise since the last
         * refresh (a fall counts as none). */
        double d = m->tr_demand[SL_TIER_INTERACTIVE];
        double up = m->rise_prev_w >= 0 && d > m->rise_prev_w ? d - m->rise_prev_w : 0;
        m->rise_w[m->rise_next] = up;
        m->rise_next = (m->rise_next + 1) % SL_PM_RISE_N;
        m->rise_prev_w = d;
    }
    memcpy(range_w, m->tr_range, sizeof m->tr_range);
    memcpy(demand_w, m->tr_demand, sizeof m->tr_demand);
    return m->tr_all;
}

static double tier_ranges_now(const struct sl_fleet *f, double *range_w, double *demand_w)
{
    double all = 0;
    for (int t = 0; t < SL_PM_TIERS; t++)
        range_w[t] = demand_w[t] = 0;
    for (size_t p = 0; p < f->npools; p++) {
        const struct sl_fleet_pool *P = &f->pool[p];
        double span = P->dev->tdp_w - P->idle_w;
        all += span * (double)P->ncards;
        for (size_t i = P->first_card; i < P->first_card + P->ncards; i++) {
            const struct sl_card *c = &f->card[i];
            if (c->owner == 0)
                continue;
            int t = f->tier[i];
            double dmd = P->range_w[c->phase] * (double)c->activity;
            range_w[t] += span;
            demand_w[t] += dmd < span ? dmd : span;
        }
    }
    return all;
}

/* Dead time: a reading older than the last decision's effect says
 * nothing about it. */
static int dead(const struct sl_power_mgr *m, const struct sl_pm_reading *r)
{
    return m->decisions > 0 && r->t_us < m->effective_us;
}

/* The priority rule with a floor per tier (floor[t] >= 1: the tier is not
 * limited by this step, and not raised either). */
static int step_floors(const double *x, const double *S, const double *u, const double *floor,
                       double E, double *out)
{
    int moved = 0;
    memcpy(out, x, SL_PM_TIERS * sizeof *out);
    if (E > 0) {
        for (int t = 0; t < SL_PM_TIERS && E > 0; t++) {
            if (!(S[t] > 0) || floor[t] >= 1)
                continue;
            double from = x[t] < u[t] ? x[t] : u[t];
            if (from <= floor[t])
                continue;
            double room = (from - floor[t]) * S[t];
            double v = E <= room ? from - E / S[t] : floor[t];
            E -= E <= room ? E : room;
            /* Only lower: a tier whose demand fell below its limit keeps
             * it when the step would raise it. */
            if (v < x[t]) {
                out[t] = v;
                moved = 1;
            }
        }
        return moved;
    }
    double H = -E;
    for (int t = SL_PM_TIERS - 1; t >= 0 && H > 0; t--) {
        if (x[t] >= 1 || floor[t] >= 1)
            continue;
        double room = (1 - x[t]) * S[t];
        if (!(S[t] > 0) || H >= room) {
            out[t] = 1;
            H -= S[t] > 0 ? room : 0;
        } else {
            out[t] = x[t] + H / S[t];
            H = 0;
        }
        moved = 1;
    }
    return moved;
}

int sl__pm_priority_step(const double *x, const double *S, const double *u, double floor_x,
                         double E, double *out)
{
    double floor[SL_PM_TIERS];
    for (int t = 0; t < SL_PM_TIERS; t++)
        floor[t] = floor_x < 1 ? floor_x : 1 - 1e-12;
    return step_floors(x, S, u, floor, E, out);
}

void sl__pm_priority(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    if (dead(m, r))
        return;
    const struct sl_power_cfg *c = m->cfg;
    double level = m->target_w - c->priority_threshold * m->cap_w;
    double F = r->facility_w;
    double E;
    if (F > level) {
        /* Aim a quarter of the band below the trigger, so the landing
         * (the linear step is not exact) is not a trigger again. */
        E = F - (level - 0.25 * c->priority_release * m->cap_w);
    } else if (F < level - c->priority_release * m->cap_w) {
        int any = 0;
        for (int t = 0; t < SL_PM_TIERS; t++)
            any |= m->xt[t] < 1;
        if (!any)
            return;
        E = F - (level - 0.5 * c->priority_release * m->cap_w);
    } else {
        return;
    }
    double range[SL_PM_TIERS], demand[SL_PM_TIERS], S[SL_PM_TIERS], u[SL_PM_TIERS];
    double all = tier_ranges(m, now_us, range, demand);
    double span = sl__pm_span_w(m, now_us, r);
    for (int t = 0; t < SL_PM_TIERS; t++) {
        S[t] = all > 0 && span > 0 ? span * range[t] / all : 0;
        u[t] = range[t] > 0 ? demand[t] / range[t] : 0;
    }
    double x[SL_PM_TIERS];
    if (sl__pm_priority_step(m->xt, S, u, c->priority_floor, E, x))
        sl__pm_decide_tiers(m, now_us, x);
}

int sl__pm_polca_level(int level, double F, double F_released, double t1_w, double t2_w,
                       double brake_w, double release_w)
{
    int want = F > brake_w ? 3 : F > t2_w ? 2 : F > t1_w ? 1 : 0;
    if (want > level)
        return want;
    double set_at = level == 1 ? t1_w : level == 2 ? t2_w : brake_w;
    if (level > 0 && F_released < set_at - release_w)
        return level - 1;
    return level;
}

void sl__pm_polca_limits(const struct sl_power_cfg *c, int level, double *x)
{
    for (int t = 0; t < SL_PM_TIERS; t++)
        x[t] = level == 3 ? SL_PM_X_MIN : 1;
    if (level == 1 || level == 2) {
        x[SL_TIER_BEST_EFFORT] = x[SL_TIER_TRAINING] = c->polca_training_x;
        x[SL_TIER_BATCH] = c->polca_inference_x;
        if (level == 2)
            x[SL_TIER_INTERACTIVE] = c->polca_inference_x;
    }
}

/* Per tier: facility watts per unit of limit fraction S_t and effective
 * fraction u_t (see the file comment). */
static void tier_slopes(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r,
                        double *S, double *u)
{
    double range[SL_PM_TIERS], demand[SL_PM_TIERS];
    double all = tier_ranges(m, now_us, range, demand);
    double span = sl__pm_span_w(m, now_us, r);
    for (int t = 0; t < SL_PM_TIERS; t++) {
        S[t] = all > 0 && span > 0 ? span * range[t] / all : 0;
        u[t] = range[t] > 0 ? demand[t] / range[t] : 0;
    }
}

/* Facility power predicted with the limits x_new instead of the present
 * ones: each tier's cards move by S_t per unit of the fraction they can
 * use, min(u_t, x). */
static double predict_w(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r,
                        const double *x_new)
{
    double S[SL_PM_TIERS], u[SL_PM_TIERS];
    tier_slopes(m, now_us, r, S, u);
    double F = r->facility_w;
    for (int t = 0; t < SL_PM_TIERS; t++) {
        double a = u[t] < m->xt[t] ? u[t] : m->xt[t], b = u[t] < x_new[t] ? u[t] : x_new[t];
        F += S[t] * (b - a);
    }
    return F;
}

/* The brake (level 3): from the limits in force, the priority rule
 * against the target, down to SL_PM_X_MIN; it ends (back to level 2,
 * which adapts from there) once every tier is back at or above level 2's
 * deepest limits. */
static void brake(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    const struct sl_power_cfg *c = m->cfg;
    double rel = c->polca_release * m->cap_w;
    double F = r->facility_w, E;
    /* Shed when above a quarter of the band below the target, aiming at
     * half of it: the landing is no new trigger (aiming at the trigger
     * itself made a tiny step every few seconds, 50,000 in a hot week). */
    if (F > m->target_w - 0.25 * rel)
        E = F - (m->target_w - 0.5 * rel);
    else if (F < m->target_w - rel)
        E = F - (m->target_w - 0.5 * rel);
    else
        return;
    double lim[SL_PM_TIERS], S[SL_PM_TIERS], u[SL_PM_TIERS], x[SL_PM_TIERS];
    sl__pm_polca_limits(c, 2, lim);
    tier_slopes(m, now_us, r, S, u);
    sl__pm_priority_step(m->xt, S, u, SL_PM_X_MIN, E, x);
    /* Giving back stops at level 2's limits: a tier raised past them
     * would be shed again by level 2 at once (the two chattered). */
    int at_lim = 1, moved = 0;
    for (int t = 0; t < SL_PM_TIERS; t++) {
        if (x[t] > m->xt[t] && x[t] > lim[t])
            x[t] = m->xt[t] > lim[t] ? m->xt[t] : lim[t];
        at_lim &= x[t] >= lim[t];
        moved |= x[t] != m->xt[t];
    }
    if (at_lim)
        m->polca_level = 2;
    if (moved)
        sl__pm_decide_tiers(m, now_us, x);
}

/* Levels 1 and 2: the level's tiers follow the excess over the level's
 * threshold, lowest tier first, each no deeper than its level limit
 * (sl__pm_polca_limits), and give headroom back highest tier first. */
static void adapt(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r, int lvl,
                  double set_at)
{
    const struct sl_power_cfg *c = m->cfg;
    double rel = c->polca_release * m->cap_w;
    double F = r->facility_w, E;
    if (F > set_at - 0.25 * rel)
        E = F - (set_at - 0.5 * rel); /* as the brake */
    else if (F < set_at - rel)
        E = F - (set_at - 0.5 * rel);
    else
        return;
    double floor[SL_PM_TIERS], S[SL_PM_TIERS], u[SL_PM_TIERS], x[SL_PM_TIERS];
    sl__pm_polca_limits(c, lvl, floor);
    tier_slopes(m, now_us, r, S, u);
    if (step_floors(m->xt, S, u, floor, E, x))
        sl__pm_decide_tiers(m, now_us, x);
}

void sl__pm_polca_thresholds(double T, double t1, double t2, double reserve_w, double *t1_out,
                             double *t2_out)
{
    double band = T - t1, R = reserve_w < band ? reserve_w : band;
    if (!(band > 0) || !(R >= 0)) {
        *t1_out = t1;
        *t2_out = t2;
        return;
    }
    *t1_out = T - R;
    *t2_out = T - R * (T - t2) / band;
}

/* The reserve the interactive tier needs (facility W): its largest rise
 * from one tier refresh to the next over the ring, at the facility span's
 * watts per card watt. */
static double polca_reserve_w(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    double range[SL_PM_TIERS], demand[SL_PM_TIERS];
    double all = tier_ranges(m, now_us, range, demand);
    double rise = 0;
    for (size_t k = 0; k < SL_PM_RISE_N; k++)
        rise = m->rise_w[k] > rise ? m->rise_w[k] : rise;
    double span = sl__pm_span_w(m, now_us, r);
    return all > 0 && span > 0 ? rise * span / all : 0;
}

void sl__pm_polca(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    /* Every tick, dead or not, so the interactive tier's rises are
     * sampled at the refresh period. */
    const struct sl_power_cfg *c = m->cfg;
    double reserve = polca_reserve_w(m, now_us, r), rel0 = c->polca_release * m->cap_w;
    if (reserve < rel0)
        reserve = rel0;
    if (reserve > m->reserve_max_w)
        m->reserve_max_w = reserve;
    if (dead(m, r))
        return;
    double t1, t2;
    sl__pm_polca_thresholds(m->target_w, c->polca_t1 * m->cap_w, c->polca_t2 * m->cap_w, reserve,
                            &t1, &t2);
    double rel = c->polca_release * m->cap_w;
    int lvl = m->polca_level;
    double F = r->facility_w, F_rel = F;
    if (lvl == 3 || F > m->target_w) {
        m->polca_level = 3;
        brake(m, now_us, r);
        return;
    }
    double x[SL_PM_TIERS];
    if (lvl > 0) {
        /* Released only when the power with the tiers of this level
         * unlimited would stay clear of the level's threshold (else it
         * would chatter). */
        double set_at = lvl == 1 ? t1 : t2, below[SL_PM_TIERS];
        if (F < set_at - rel) {
            sl__pm_polca_limits(c, lvl - 1, below);
            for (int t = 0; t < SL_PM_TIERS; t++)
                x[t] = below[t] >= 1 ? 1 : m->xt[t];
            F_rel = predict_w(m, now_us, r, x);
        }
    }
    int want = sl__pm_polca_level(lvl, F, F_rel, t1, t2, m->target_w, rel);
    m->polca_level = want;
    if (want < lvl) {
        /* A level down: its own tiers are released. */
        sl__pm_decide_tiers(m, now_us, x);
        return;
    }
    if (want > 0)
        adapt(m, now_us, r, want, want == 1 ? t1 : t2);
}
