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
 * range).  From the tier's present effective fraction u_t (its cards'
 * demand placed in their range, so a limit above what they draw is not
 * counted as a saving),
 *     x_t' = max(floor, min(x_t, u_t) - E / S_t),
 * and what the floor leaves of E passes to the next tier.  When F < L -
 * rho C (rho `power.priority_release`) the headroom H = L - rho C / 2 - F
 * is given back highest tier first: x_t' = min(1, x_t + H / S_t), the
 * rest to the next lower tier.  So interactive inference is limited only
 * when every lower tier sits at its floor, and is released first.
 *
 * polca (Patel et al., ASPLOS'24, arXiv 2308.12908).  Levels with two
 * thresholds T1 < T2 (shares of the cap) and a brake: level 1 (F > T1)
 * limits training to `polca_training_limit` and batch inference to
 * `polca_inference_limit`; level 2 (F > T2) limits interactive inference to
 * `polca_inference_limit` too; level 3 (F > T, the target) brakes every
 * card to SL_PM_X_MIN.  Levels rise at once to the one F calls for; they
 * fall one at a time when F is `polca_release` of the cap below the
 * level's threshold (T2 for the brake).  Inference's limit is the lower
 * since decode, most of its time, barely slows under a cap.
 */
#include "workload/power_mgr.h"

#include <math.h>
#include <string.h>

_Static_assert(SL_PM_TIERS == SL_TIER_COUNT, "one limit per fleet tier");

/* Per tier: the idle-to-TDP range of its owned cards (W_t, watts) and
 * their demand in that range (watts above idle); and the whole fleet's
 * range W.  One pass over the cards. */
static double tier_ranges(const struct sl_fleet *f, double *range_w, double *demand_w)
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

void sl__pm_priority(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    if (dead(m, r))
        return;
    const struct sl_power_cfg *c = m->cfg;
    double level = m->target_w - c->priority_threshold * m->cap_w;
    double F = r->facility_w;
    int shed = F > level;
    int give = F < level - c->priority_release * m->cap_w;
    if (!shed && !give)
        return;
    if (give) {
        int any = 0;
        for (int t = 0; t < SL_PM_TIERS; t++)
            any |= m->xt[t] < 1;
        if (!any)
            return;
    }
    double range[SL_PM_TIERS], demand[SL_PM_TIERS];
    double all = tier_ranges(&m->w->fleet, range, demand);
    double span = sl__pm_span_w(m, now_us, r);
    double x[SL_PM_TIERS];
    memcpy(x, m->xt, sizeof x);
    double floor_x = c->priority_floor;
    if (shed) {
        double E = F - level;
        for (int t = 0; t < SL_PM_TIERS && E > 0; t++) {
            double S = all > 0 && span > 0 ? span * range[t] / all : 0;
            if (!(S > 0))
                continue;
            double u = demand[t] / range[t];
            double from = x[t] < u ? x[t] : u;
            if (from <= floor_x)
                continue;
            double room = (from - floor_x) * S;
            if (E <= room) {
                x[t] = from - E / S;
                E = 0;
            } else {
                x[t] = floor_x;
                E -= room;
            }
        }
        /* Only lower: a tier whose demand fell below its limit keeps it. */
        int moved = 0;
        for (int t = 0; t < SL_PM_TIERS; t++) {
            if (x[t] < m->xt[t])
                moved = 1;
            else
                x[t] = m->xt[t];
        }
        if (moved)
            sl__pm_decide_tiers(m, now_us, x);
        return;
    }
    double H = level - 0.5 * c->priority_release * m->cap_w - F;
    for (int t = SL_PM_TIERS - 1; t >= 0 && H > 0; t--) {
        if (x[t] >= 1)
            continue;
        double S = all > 0 && span > 0 ? span * range[t] / all : 0;
        double room = (1 - x[t]) * S;
        if (!(S > 0) || H >= room) {
            x[t] = 1;
            H -= room;
        } else {
            x[t] += H / S;
            H = 0;
        }
    }
    sl__pm_decide_tiers(m, now_us, x);
}

void sl__pm_polca(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    if (dead(m, r))
        return;
    const struct sl_power_cfg *c = m->cfg;
    double F = r->facility_w;
    double t1 = c->polca_t1 * m->cap_w, t2 = c->polca_t2 * m->cap_w;
    double rel = c->polca_release * m->cap_w;
    int want = F > m->target_w ? 3 : F > t2 ? 2 : F > t1 ? 1 : 0;
    int lvl = m->polca_level;
    if (want > lvl) {
        lvl = want;
    } else if (lvl > 0) {
        double thr = lvl == 1 ? t1 : t2;
        if (F < thr - rel)
            lvl--;
    }
    if (lvl == m->polca_level)
        return;
    m->polca_level = lvl;
    double x[SL_PM_TIERS] = {1, 1, 1, 1};
    if (lvl == 3) {
        for (int t = 0; t < SL_PM_TIERS; t++)
            x[t] = SL_PM_X_MIN;
    } else if (lvl >= 1) {
        x[SL_TIER_BEST_EFFORT] = x[SL_TIER_TRAINING] = c->polca_training_x;
        x[SL_TIER_BATCH] = c->polca_inference_x;
        if (lvl == 2)
            x[SL_TIER_INTERACTIVE] = c->polca_inference_x;
    }
    sl__pm_decide_tiers(m, now_us, x);
}
