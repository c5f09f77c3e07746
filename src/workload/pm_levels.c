/*
 * Power limits below the site (pm_int.h; docs/model.md, "Power limits in a
 * hierarchy, ramps and admission").
 *
 * Levels.  Besides the site's grid cap (power_mgr.c) a scenario may limit
 *   - every rack's input (`power.rack.limit`, its design kW);
 *   - every row of `power.row.racks` consecutive racks (`power.row.limit`,
 *     the sum of its rack inputs: a feeder, busway or row PDU);
 *   - every server's input by its PSU capacity (the installed PSUs less the
 *     spares, times the rating): checked at load, since the server
 *     calculator refuses PSUs that cannot carry full load, and sampled here
 *     once per facility step as the largest load share seen;
 *   - every card's limit to the range [min_limit, max_limit] x TDP
 *     (`power.card`; a 700 W NVIDIA SXM GPU accepts 200-700 W, 29-100 %), which
 *     every limit the manager sets respects (sl__pm_card_cap_w).
 * The loader refuses limits that contradict each other (scenario.c).
 *
 * The breaker rule per level is the site's: an excursion is a run of
 * control ticks over the limit, one longer than the level's tolerance is a
 * violation and counts whole in violation_s.  Levels are accounted on the
 * present rack inputs (struct sl_fleet's rack states, kept incrementally by
 * the fleet), so the cost per tick is one pass over the racks, done only
 * when a rack or row limit is set.
 *
 * Enforcement.  Each tick stores the rack inputs in a ring of the site's
 * depth (nring x nracks floats) and decides on the reading
 * `power.telemetry_lag` old, like the site.  A rack r has its own limit
 * fraction x_r (1: none) of the cards' idle-to-TDP range; its cards run at
 * min(x_site, x_r).  When the lagged input R of a rack (or of its row) is
 * above its target T = limit (1 - margin), x_r falls by the share of the
 * rack's idle-to-full span S over the target, from the rack's effective
 * fraction u = (R - idle) / S:
 *     x_r' = max(SL_PM_X_MIN, min(x_r, u) - (R - T) / S),
 * (for a row, R, T and S are the row's and every rack of it moves), and
 * when the rack and its row are both below their targets by SL_PM_RELEASE
 * of the limit, x_r rises by SL_PM_RAISE.  A decision takes effect after
 * `power.actuation_delay`, and a rack decides again only on a reading taken
 * after that, so only the racks (and rows) over their limits are capped.
 */
#include "workload/pm_int.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <string.h>

struct sl_pm_levels {
    int on; /* a rack or row limit is set */
    size_t nracks, nrows, row_racks;
    float *ring;             /* nring x nracks rack inputs: tick k at (k % nring) nracks */
    double *idle_w, *full_w; /* per rack: every card idle (hosts idle) / at TDP (busy) */
    double *row_idle_w, *row_full_w, *row_lag_w;
    double *x, *x_target;  /* per rack: fraction in force / decided (1: none) */
    int64_t *effective_us; /* per rack: when x_target takes (took) effect */
    uint8_t *ever;         /* per rack: was ever capped */
    struct sl_pm_breaker *br_rack, *br_row;
    struct sl_pm_level_stats rack, row;
    size_t ncapped;      /* racks with x < 1 */
    size_t capped_cards; /* their cards */
    int64_t capped_since_us;
    double server_max_share; /* largest server input / PSU capacity sampled */
    uint64_t server_over;    /* samples of a server above its PSU capacity */
};

double sl__pm_card_cap_w(const struct sl_power_mgr *m, const struct sl_fleet_pool *P, double x)
{
    double tdp = P->dev->tdp_w;
    double lo = m->cfg->card.min_limit * tdp;
    double hi = m->cfg->card.max_limit > 0 ? m->cfg->card.max_limit * tdp : tdp;
    if (x >= 1)
        return hi < tdp ? hi : 0;
    double c = P->idle_w + x * (tdp - P->idle_w);
    if (c < lo)
        c = lo;
    if (c > hi)
        c = hi;
    return c;
}

int sl__pm_wanted(const struct sl_scenario *sc)
{
    const struct sl_power_cfg *c = &sc->power;
    return c->rack.limit_w > 0 || (c->row.racks > 0 && c->row.limit_w > 0) ||
           (c->card.max_limit > 0 && c->card.max_limit < 1) || c->admission ||
           c->ramp.limit_mw_per_min > 0 || c->ramp.swing_floor > 0;
}

/* ---- Racks and their cards ---- */

static const struct sl_fleet_pool *rack_pool(const struct sl_fleet *f, size_t r)
{
    return &f->pool[f->rack[r].pool];
}

/* Puts rack r's fraction on its cards now: the fleet's cap function
 * (power_mgr.c) combines it with their tiers' (the site policy's). */
static void rack_apply(struct sl_power_mgr *m, int64_t now_us, size_t r)
{
    struct sl_fleet *f = &m->w->fleet;
    const struct sl_fleet_pool *P = rack_pool(f, r);
    size_t s0 = sl_fleet_rack_first(f, r), ns = sl_fleet_rack_count(f, r);
    size_t c0 = sl_fleet_server_card0(f, s0);
    sl_fleet_retier(f, now_us, c0, ns * P->cards_per_server);
}

double sl__pm_levels_card_x(const struct sl_power_mgr *m, const struct sl_fleet_pool *P, size_t i)
{
    const struct sl_pm_levels *lv = m->lv;
    if (!lv || !lv->on || !lv->x)
        return 1;
    size_t s = P->first_server + (i - P->first_card) / P->cards_per_server;
    return lv->x[m->w->fleet.srv[s].rack];
}

static void add_capped_time(struct sl_pm_levels *lv, int64_t now_us)
{
    double dt = (double)(now_us - lv->capped_since_us) * 1e-6;
    lv->rack.capped_s += (double)lv->ncapped * dt;
    lv->capped_since_us = now_us;
}

/* The manager's count of cards under a limit (its time series and
 * throttling samples): every card when the site policy or the card range
 * limits them all, else the cards of the capped racks. */
static void count_capped(struct sl_power_mgr *m, int64_t now_us)
{
    const struct sl_fleet *f = &m->w->fleet;
    /* The capped-card seconds so far, at the old count (as power_mgr.c). */
    m->capped_s += (double)m->ncapped * (double)(now_us - m->capped_since_us) * 1e-6;
    m->capped_since_us = now_us;
    m->ncapped = f->ncapped;
}

static void set_rack_x(struct sl_power_mgr *m, int64_t now_us, size_t r, double x)
{
    struct sl_pm_levels *lv = m->lv;
    const struct sl_fleet *f = &m->w->fleet;
    size_t cards = sl_fleet_rack_count(f, r) * rack_pool(f, r)->cards_per_server;
    add_capped_time(lv, now_us);
    if (lv->x[r] >= 1 && x < 1) {
        lv->ncapped++;
        lv->capped_cards += cards;
        if (!lv->ever[r]) {
            lv->ever[r] = 1;
            lv->rack.ever_capped++;
        }
    } else if (lv->x[r] < 1 && x >= 1) {
        lv->ncapped--;
        lv->capped_cards -= cards;
    }
    lv->x[r] = x;
    rack_apply(m, now_us, r);
    count_capped(m, now_us);
}

static void on_rack_actuate(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_power_mgr *m = ctx;
    set_rack_x(m, sl_engine_now(eng), (size_t)arg, m->lv->x_target[arg]);
}

static void rack_decide(struct sl_power_mgr *m, int64_t now_us, size_t r, double x)
{
    struct sl_pm_levels *lv = m->lv;
    lv->x_target[r] = x;
    lv->effective_us[r] = now_us + m->cfg->actuation_delay_us;
    if (m->cfg->actuation_delay_us == 0) {
        set_rack_x(m, now_us, r, x);
        return;
    }
    if (sl_engine_schedule(&m->w->eng, lv->effective_us[r], SL_PRIO_MGR, on_rack_actuate, m, r,
                           NULL) != SL_OK)
        sl_world_fail(m->w, SL_ENOMEM, "out of memory scheduling a rack power limit");
}

void sl__pm_levels_reapply(struct sl_power_mgr *m, int64_t now_us)
{
    struct sl_pm_levels *lv = m->lv;
    if (!lv)
        return;
    for (size_t r = 0; lv->ncapped > 0 && r < lv->nracks; r++)
        if (lv->x[r] < 1)
            rack_apply(m, now_us, r);
    count_capped(m, now_us);
}

/* ---- The breaker rule ---- */

static void close_excursion(struct sl_pm_breaker *b, struct sl_pm_level_stats *st, int64_t t_us,
                            int64_t tolerance_us)
{
    int64_t len = t_us - b->t0_us;
    b->t0_us = -1;
    if (len > tolerance_us) {
        st->violations++;
        st->violation_s += (double)len * 1e-6;
    }
}

static void breaker(struct sl_pm_breaker *b, struct sl_pm_level_stats *st, double v, double limit,
                    int64_t t_us, double dt_s, int64_t tolerance_us)
{
    double over = v - limit;
    if (over > st->max_overshoot_w)
        st->max_overshoot_w = over;
    if (over > 0) {
        st->over_s += dt_s;
        if (b->t0_us < 0)
            b->t0_us = t_us;
    } else if (b->t0_us >= 0) {
        close_excursion(b, st, t_us, tolerance_us);
    }
}

/* ---- Start ---- */

/* Input of a rack of n servers of pool P with every card at card_w and
 * host activity host. */
static double rack_input_w(const struct sl_fleet_pool *P, double card_w, double host, size_t n)
{
    struct sl_server_power sp;
    sl_server_eval(P->calc, card_w * (double)P->cards_per_server, host, &sp);
    return sl_stack_input_w(&P->rack_stack, sp.input_w * (double)n, NULL);
}

int sl__pm_levels_start(struct sl_power_mgr *m, struct sl_diag *d)
{
    const struct sl_power_cfg *c = m->cfg;
    struct sl_fleet *f = &m->w->fleet;
    struct sl_pm_levels *lv = sl_calloc(1, sizeof *lv);
    if (!lv)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    m->lv = lv;
    lv->nracks = f->nracks;
    /* A card limit range below 100 % of TDP holds from the start. */
    if (c->card.max_limit > 0 && c->card.max_limit < 1) {
        sl_fleet_retier(f, 0, 0, f->ncards);
        m->ncapped = f->ncapped;
    }
    int rows = c->row.racks > 0 && c->row.limit_w > 0;
    lv->on = c->rack.limit_w > 0 || rows;
    if (!lv->on)
        return SL_OK;
    size_t n = lv->nracks;
    lv->row_racks = rows ? (size_t)c->row.racks : n;
    lv->nrows = n ? (n + lv->row_racks - 1) / lv->row_racks : 0;
    lv->ring = sl_calloc(m->nring * n + 1, sizeof *lv->ring);
    lv->idle_w = sl_calloc(n + 1, sizeof *lv->idle_w);
    lv->full_w = sl_calloc(n + 1, sizeof *lv->full_w);
    lv->x = sl_calloc(n + 1, sizeof *lv->x);
    lv->x_target = sl_calloc(n + 1, sizeof *lv->x_target);
    lv->effective_us = sl_calloc(n + 1, sizeof *lv->effective_us);
    lv->ever = sl_calloc(n + 1, sizeof *lv->ever);
    lv->br_rack = sl_calloc(n + 1, sizeof *lv->br_rack);
    lv->br_row = sl_calloc(lv->nrows + 1, sizeof *lv->br_row);
    lv->row_idle_w = sl_calloc(lv->nrows + 1, sizeof *lv->row_idle_w);
    lv->row_full_w = sl_calloc(lv->nrows + 1, sizeof *lv->row_full_w);
    lv->row_lag_w = sl_calloc(lv->nrows + 1, sizeof *lv->row_lag_w);
    if (!lv->ring || !lv->idle_w || !lv->full_w || !lv->x || !lv->x_target || !lv->effective_us ||
        !lv->ever || !lv->br_rack || !lv->br_row || !lv->row_idle_w || !lv->row_full_w ||
        !lv->row_lag_w)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t r = 0; r < n; r++) {
        const struct sl_fleet_pool *P = rack_pool(f, r);
        size_t ns = sl_fleet_rack_count(f, r);
        lv->idle_w[r] = rack_input_w(P, P->idle_w, 0, ns);
        lv->full_w[r] = rack_input_w(P, P->dev->tdp_w, 1, ns);
        lv->x[r] = lv->x_target[r] = 1;
        lv->br_rack[r].t0_us = -1;
        lv->row_idle_w[r / lv->row_racks] += lv->idle_w[r];
        lv->row_full_w[r / lv->row_racks] += lv->full_w[r];
    }
    for (size_t q = 0; q < lv->nrows; q++)
        lv->br_row[q].t0_us = -1;
    return SL_OK;
}

/* ---- The control tick ---- */

/* The largest server input against its PSU capacity (once per facility
 * step). */
static void sample_servers(struct sl_power_mgr *m)
{
    const struct sl_fleet *f = &m->w->fleet;
    struct sl_pm_levels *lv = m->lv;
    for (size_t p = 0; p < f->npools; p++) {
        const struct sl_fleet_pool *P = &f->pool[p];
        const struct sl_server_model *sm = P->calc->m;
        double cap = (double)(sm->psus - sm->psus_spare) * sm->psu_rating_w;
        if (cap <= 0)
            continue;
        for (size_t s = P->first_server; s < P->first_server + P->nservers; s++) {
            double share = f->srv[s].p.input_w / cap;
            if (share > lv->server_max_share)
                lv->server_max_share = share;
            if (share > 1)
                lv->server_over++;
        }
    }
}

/* The rule for rack r on the lagged rack input R and its row's Rq. */
static void rack_rule(struct sl_power_mgr *m, int64_t now_us, size_t r, double R, double Rq)
{
    const struct sl_power_cfg *c = m->cfg;
    struct sl_pm_levels *lv = m->lv;
    double xr = lv->x_target[r];
    double lower = 2, margin = 1 - c->margin;
    int room = 1;
    if (c->rack.limit_w > 0) {
        double T = c->rack.limit_w * margin, S = lv->full_w[r] - lv->idle_w[r];
        if (R > T && S > 0) {
            double u = fmin(fmax((R - lv->idle_w[r]) / S, 0), 1);
            lower = fmin(xr, u) - (R - T) / S;
        }
        room = R < T - SL_PM_RELEASE * c->rack.limit_w;
    }
    if (c->row.racks > 0 && c->row.limit_w > 0) {
        size_t q = r / lv->row_racks;
        double T = c->row.limit_w * margin, S = lv->row_full_w[q] - lv->row_idle_w[q];
        if (Rq > T && S > 0) {
            double u = fmin(fmax((Rq - lv->row_idle_w[q]) / S, 0), 1);
            lower = fmin(lower, fmin(xr, u) - (Rq - T) / S);
        }
        room = room && Rq < T - SL_PM_RELEASE * c->row.limit_w;
    }
    if (lower < xr) {
        double x = lower < SL_PM_X_MIN ? SL_PM_X_MIN : lower;
        if (x < xr)
            rack_decide(m, now_us, r, x);
    } else if (room && xr < 1) {
        double x = xr + SL_PM_RAISE;
        rack_decide(m, now_us, r, x > 1 ? 1 : x);
    }
}

void sl__pm_levels_tick(struct sl_power_mgr *m, int64_t now_us)
{
    struct sl_pm_levels *lv = m->lv;
    const struct sl_power_cfg *c = m->cfg;
    if (m->tick % m->step_ticks == 0)
        sample_servers(m);
    if (!lv->on)
        return;
    const struct sl_fleet *f = &m->w->fleet;
    double dt = (double)c->control_interval_us * 1e-6;
    size_t n = lv->nracks;
    float *slot = lv->ring + (m->tick % m->nring) * n;
    int rows = c->row.racks > 0 && c->row.limit_w > 0;
    double row_w = 0;
    for (size_t r = 0; r < n; r++) {
        double v = f->rack[r].input_w;
        slot[r] = (float)v;
        if (c->rack.limit_w > 0)
            breaker(&lv->br_rack[r], &lv->rack, v, c->rack.limit_w, now_us, dt,
                    c->rack.tolerance_us);
        if (rows) {
            row_w += v;
            if ((r + 1) % lv->row_racks == 0 || r + 1 == n) {
                breaker(&lv->br_row[r / lv->row_racks], &lv->row, row_w, c->row.limit_w, now_us, dt,
                        c->row.tolerance_us);
                row_w = 0;
            }
        }
    }
    if (m->tick < m->lag_ticks)
        return;
    uint64_t lag_tick = m->tick - m->lag_ticks;
    int64_t t_lag = m->ring[lag_tick % m->nring].t_us;
    const float *lag = lv->ring + (lag_tick % m->nring) * n;
    if (rows) {
        memset(lv->row_lag_w, 0, lv->nrows * sizeof *lv->row_lag_w);
        for (size_t r = 0; r < n; r++)
            lv->row_lag_w[r / lv->row_racks] += lag[r];
    }
    for (size_t r = 0; r < n; r++) {
        /* Dead time, as the site's: a reading older than the rack's last
         * decision's effect says nothing about it. */
        if (t_lag < lv->effective_us[r])
            continue;
        rack_rule(m, now_us, r, lag[r], rows ? lv->row_lag_w[r / lv->row_racks] : 0);
    }
}

/* ---- Summary and release ---- */

static int level_keys(struct sl_summary *s, const char *prefix, const struct sl_pm_level_stats *st,
                      double limit_w)
{
    char key[96];
    int rc;
    snprintf(key, sizeof key, "%s.limit_kw", prefix);
    rc = sl_summary_num(s, key, limit_w * 1e-3);
    snprintf(key, sizeof key, "%s.violations", prefix);
    if (rc == SL_OK)
        rc = sl_summary_int(s, key, (int64_t)st->violations);
    snprintf(key, sizeof key, "%s.violation_s", prefix);
    if (rc == SL_OK)
        rc = sl_summary_num(s, key, st->violation_s);
    snprintf(key, sizeof key, "%s.over_limit_s", prefix);
    if (rc == SL_OK)
        rc = sl_summary_num(s, key, st->over_s);
    snprintf(key, sizeof key, "%s.max_overshoot_kw", prefix);
    if (rc == SL_OK)
        rc = sl_summary_num(s, key, st->max_overshoot_w * 1e-3);
    return rc;
}

int sl__pm_levels_summary(struct sl_power_mgr *m, const struct sl_world *w, struct sl_summary *s)
{
    struct sl_pm_levels *lv = m->lv;
    const struct sl_power_cfg *c = m->cfg;
    const struct sl_fleet_pool *P0 = &w->fleet.pool[0];
    int rc = SL_OK;
    if (lv->on) {
        /* Excursions still open at the end count by the same rule. */
        for (size_t r = 0; r < lv->nracks; r++)
            if (lv->br_rack[r].t0_us >= 0)
                close_excursion(&lv->br_rack[r], &lv->rack, w->end_us, c->rack.tolerance_us);
        for (size_t q = 0; q < lv->nrows; q++)
            if (lv->br_row[q].t0_us >= 0)
                close_excursion(&lv->br_row[q], &lv->row, w->end_us, c->row.tolerance_us);
        add_capped_time(lv, w->end_us);
    }
    if (c->rack.limit_w > 0) {
        rc = level_keys(s, "power.rack", &lv->rack, c->rack.limit_w);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "power.rack.capped_racks", (int64_t)lv->rack.ever_capped);
        if (rc == SL_OK)
            rc = sl_summary_num(s, "power.rack.capped_rack_h", lv->rack.capped_s / 3600);
    }
    if (rc == SL_OK && c->row.racks > 0 && c->row.limit_w > 0) {
        rc = level_keys(s, "power.row", &lv->row, c->row.limit_w);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "power.row.rows", (int64_t)lv->nrows);
        if (rc == SL_OK && c->rack.limit_w <= 0)
            rc = sl_summary_num(s, "power.row.capped_rack_h", lv->rack.capped_s / 3600);
    }
    const struct sl_server_model *sm = P0->calc->m;
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.server.psu_capacity_kw",
                            (double)(sm->psus - sm->psus_spare) * sm->psu_rating_w * 1e-3);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.server.max_load_share", lv->server_max_share);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "power.server.over_capacity_samples", (int64_t)lv->server_over);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.card.min_limit_w", c->card.min_limit * P0->dev->tdp_w);
    return rc;
}

void sl__pm_levels_release(struct sl_power_mgr *m)
{
    struct sl_pm_levels *lv = m->lv;
    if (!lv)
        return;
    sl_free(lv->ring);
    sl_free(lv->idle_w);
    sl_free(lv->full_w);
    sl_free(lv->x);
    sl_free(lv->x_target);
    sl_free(lv->effective_us);
    sl_free(lv->ever);
    sl_free(lv->br_rack);
    sl_free(lv->br_row);
    sl_free(lv->row_idle_w);
    sl_free(lv->row_full_w);
    sl_free(lv->row_lag_w);
    sl_free(lv);
    m->lv = NULL;
}
