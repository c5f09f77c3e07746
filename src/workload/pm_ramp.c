/*
 * Admission control, ramps and the training swing (pm_int.h; docs/model.md,
 * "Power limits in a hierarchy, ramps and admission").
 *
 * Admission.  With `power.admission` the manager installs the world's
 * admission hook (sl_world_admit).  Its forecast of the site's facility
 * power is the reading the policy decides on (`power.telemetry_lag` old)
 * plus the burn load now plus the load committed since: every start the
 * hook admitted at or after that reading's time, converted to facility
 * power at the reading's ratio k = facility / IT.  A start of add_it_w is
 * admitted when forecast + k add_it_w stays at or below the target
 * cap (1 - margin), and then committed; a committed start leaves the sum
 * once a reading taken after it is the lagged one (it is in the telemetry
 * then).  A question with add_it_w = 0 (an inference arrival, whose own
 * power is negligible) is refused only when the forecast is over the cap
 * itself.  With a ramp limit, the starts admitted within the last minute
 * may add at most `power.ramp.limit` of facility power; a start is refused
 * beyond that unless it is the only one in the window (so a job larger
 * than the whole budget still starts, alone).  The cost of one question is
 * the number of commitments pending, a handful.
 *
 * Ramp.  Each control tick records the site's facility power (the
 * reading, plus the burn load); the largest change between consecutive
 * ticks is the largest step, and the largest change over any window of a
 * minute (60 s of ticks; shorter at the start) the largest ramp, up and
 * down apart.  With `power.ramp.burn` a load that drops faster than the
 * limit allows leaves a burn load: the envelope E = max(P, E_prev - limit
 * dt) of the site's power P decays at the limit, and the IT load E - P
 * needs (solved through the facility model: one secant step) is added to
 * the world's IT power as load outside the fleet (sl_world_set_extra_it),
 * so the burn's energy passes the chain and the cooling like any IT load
 * and the energy balance holds.  (NVIDIA's GB300 power smoothing does this
 * in the cards: a power floor and a burn at job end.)
 *
 * Swing.  The training model draws each job's mean power, not its compute
 * and communication phases second by second, so the swing is reported
 * analytically, once per facility step: every card of a running training
 * job swings between P_c = idle + range a_compute and P_m = idle + range
 * a_comm (each at most its limit); the sum over the cards is the swing if
 * every job's phases line up (the worst case; one job's period is its
 * step time).  Its compute share c follows from its mean power P =
 * c P_c + (1 - c) P_m.  With `power.ramp.swing_floor` f the communication
 * phase is raised to f P_c: the swing left is P_c - max(P_m, f P_c), and
 * the floor costs (1 - c) max(0, f P_c - P_m) per card, counted as
 * mitigation energy with the burn's (at board power: an estimate, not
 * drawn from the meters).
 */
#include "workload/pm_int.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <string.h>

#define RAMP_WINDOW_S 60.0

/* One admitted start: when, and its facility power. */
struct sl_pm_commit {
    int64_t t_us;
    double fac_w;
};

struct sl_pm_ramp {
    /* Admission: commits[head_vis, n) are not yet in the lagged reading,
     * commits[head_win, n) started within the last minute. */
    struct sl_pm_commit *commits;
    size_t head_vis, head_win, n, cap;
    uint64_t asked, refusals, ramp_refusals, shed_asks;
    /* The site's power per tick over the last window (W + 1 ticks). */
    double *hist;
    size_t window; /* W: ticks per minute (>= 1) */
    uint64_t nseen;
    double max_step_w, max_up_w, max_down_w;
    /* Burn. */
    double envelope_w, burn_it_w, burn_fac_w, burn_j;
    int64_t burn_since_us;
    /* Swing. */
    double max_swing_w, max_swing_floored_w, floor_j;
};

/* ---- Admission ---- */

static void compact(struct sl_pm_ramp *rp)
{
    size_t h = rp->head_vis < rp->head_win ? rp->head_vis : rp->head_win;
    if (h == 0 || h < rp->n / 2)
        return;
    memmove(rp->commits, rp->commits + h, (rp->n - h) * sizeof *rp->commits);
    rp->n -= h;
    rp->head_vis -= h;
    rp->head_win -= h;
}

static int admit(void *ctx, int64_t now_us, double add_it_w)
{
    struct sl_power_mgr *m = ctx;
    struct sl_pm_ramp *rp = m->rp;
    if (m->tick == 0)
        return 1; /* no reading yet */
    uint64_t newest = m->tick - 1;
    uint64_t k_lag = newest >= m->lag_ticks ? newest - m->lag_ticks : 0;
    const struct sl_pm_reading *r = &m->ring[k_lag % m->nring];
    while (rp->head_vis < rp->n && rp->commits[rp->head_vis].t_us < r->t_us)
        rp->head_vis++;
    int64_t w0 = now_us - (int64_t)(RAMP_WINDOW_S * 1e6);
    while (rp->head_win < rp->n && rp->commits[rp->head_win].t_us <= w0)
        rp->head_win++;
    double committed = 0;
    for (size_t i = rp->head_vis; i < rp->n; i++)
        committed += rp->commits[i].fac_w;
    double F = r->facility_w + rp->burn_fac_w + committed;
    rp->asked++;
    if (add_it_w <= 0) {
        if (F > m->cap_w) {
            rp->shed_asks++;
            return 0;
        }
        return 1;
    }
    double it = r->srv_it_w + r->fabric_w;
    double k = it > 0 ? r->facility_w / it : 1;
    double add_f = add_it_w * k;
    if (F + add_f > m->target_w) {
        rp->refusals++;
        return 0;
    }
    double limit_w = m->cfg->ramp.limit_mw_per_min * 1e6;
    if (limit_w > 0 && rp->head_win < rp->n) {
        double win = 0;
        for (size_t i = rp->head_win; i < rp->n; i++)
            win += rp->commits[i].fac_w;
        if (win + add_f > limit_w) {
            rp->refusals++;
            rp->ramp_refusals++;
            return 0;
        }
    }
    compact(rp);
    if (rp->n == rp->cap) {
        size_t cap = rp->cap ? 2 * rp->cap : 16;
        struct sl_pm_commit *c = sl_realloc(rp->commits, cap * sizeof *c);
        if (!c) {
            sl_world_fail(m->w, SL_ENOMEM, "out of memory in admission control");
            return 0;
        }
        rp->commits = c;
        rp->cap = cap;
    }
    rp->commits[rp->n++] = (struct sl_pm_commit){now_us, add_f};
    return 1;
}

/* ---- Start ---- */

int sl__pm_ramp_start(struct sl_power_mgr *m, struct sl_diag *d)
{
    struct sl_pm_ramp *rp = sl_calloc(1, sizeof *rp);
    if (!rp)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    m->rp = rp;
    double dt = (double)m->cfg->control_interval_us * 1e-6;
    double wt = floor(RAMP_WINDOW_S / dt + 0.5);
    rp->window = wt < 1 ? 1 : (size_t)wt;
    rp->hist = sl_calloc(rp->window + 1, sizeof *rp->hist);
    if (!rp->hist)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (m->cfg->admission)
        sl_world_set_admit(m->w, admit, m);
    return SL_OK;
}

/* ---- The control tick ---- */

/* The burn load's IT power that raises the facility power by burn_f over
 * the reading r at now (one secant step through the facility model). */
static double burn_it_for(const struct sl_power_mgr *m, int64_t now_us,
                          const struct sl_pm_reading *r, double burn_f)
{
    const struct sl_world *w = m->w;
    double it = r->srv_it_w + r->fabric_w;
    double k = it > 0 ? r->facility_w / it : 1;
    double b0 = burn_f / k;
    struct sl_facility_eval e;
    sl_facility_eval(&w->fac, it + b0, w->fleet.m.v[SL_Q_LIQUID], sl_world_local_s(w, now_us), &e);
    double got = e.facility_w - r->facility_w;
    return got > 0 ? b0 * burn_f / got : b0;
}

/* The swing of the training cards now (see the file comment). */
static void sample_swing(struct sl_power_mgr *m, double dt_s)
{
    const struct sl_fleet *f = &m->w->fleet;
    struct sl_pm_ramp *rp = m->rp;
    double fl = m->cfg->ramp.swing_floor;
    double amp = 0, amp_fl = 0, extra = 0;
    for (size_t p = 0; p < f->npools; p++) {
        const struct sl_fleet_pool *P = &f->pool[p];
        for (size_t i = P->first_card; i < P->first_card + P->ncards; i++) {
            const struct sl_card *c = &f->card[i];
            if (c->owner == 0 || c->phase != SL_PHASE_TRAIN_COMPUTE)
                continue;
            double cap = f->cap_w[i] > 0 ? f->cap_w[i] : INFINITY;
            double pc = fmin(P->idle_w + P->range_w[SL_PHASE_TRAIN_COMPUTE], cap);
            double pm = fmin(P->idle_w + P->range_w[SL_PHASE_TRAIN_COMM], cap);
            if (pc <= pm)
                continue;
            double mean =
                fmin(P->idle_w + P->range_w[SL_PHASE_TRAIN_COMPUTE] * (double)c->activity, cap);
            double share = fmin(fmax((mean - pm) / (pc - pm), 0), 1);
            double pm_fl = fmax(pm, fl * pc);
            amp += pc - pm;
            amp_fl += pc - pm_fl;
            extra += (1 - share) * (pm_fl - pm);
        }
    }
    if (amp > rp->max_swing_w)
        rp->max_swing_w = amp;
    if (amp_fl > rp->max_swing_floored_w)
        rp->max_swing_floored_w = amp_fl;
    rp->floor_j += extra * dt_s;
}

void sl__pm_ramp_tick(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r)
{
    struct sl_pm_ramp *rp = m->rp;
    const struct sl_power_cfg *c = m->cfg;
    double dt = (double)c->control_interval_us * 1e-6;
    double P = r->facility_w;
    double limit_w = c->ramp.limit_mw_per_min * 1e6;
    if (limit_w > 0 && c->ramp.burn) {
        double E = rp->nseen ? rp->envelope_w - limit_w / RAMP_WINDOW_S * dt : P;
        if (E < P)
            E = P;
        rp->envelope_w = E;
        rp->burn_j += rp->burn_it_w * (double)(now_us - rp->burn_since_us) * 1e-6;
        rp->burn_since_us = now_us;
        rp->burn_fac_w = E - P;
        rp->burn_it_w = rp->burn_fac_w > 0 ? burn_it_for(m, now_us, r, rp->burn_fac_w) : 0;
        sl_world_set_extra_it(m->w, now_us, rp->burn_it_w);
        P = E;
    }
    size_t W = rp->window;
    if (rp->nseen > 0) {
        double step = fabs(P - rp->hist[(rp->nseen - 1) % (W + 1)]);
        if (step > rp->max_step_w)
            rp->max_step_w = step;
        uint64_t j = rp->nseen >= W ? rp->nseen - W : 0;
        double dP = P - rp->hist[j % (W + 1)];
        /* Per minute: a window of W ticks is W dt seconds. */
        dP *= RAMP_WINDOW_S / ((double)W * dt);
        if (dP > rp->max_up_w)
            rp->max_up_w = dP;
        if (-dP > rp->max_down_w)
            rp->max_down_w = -dP;
    }
    rp->hist[rp->nseen % (W + 1)] = P;
    rp->nseen++;
    if (m->tick % m->step_ticks == 0)
        sample_swing(m, (double)m->step_ticks * dt);
}

/* ---- Summary and release ---- */

int sl__pm_ramp_summary(struct sl_power_mgr *m, const struct sl_world *w, struct sl_summary *s)
{
    struct sl_pm_ramp *rp = m->rp;
    const struct sl_power_cfg *c = m->cfg;
    if (w->end_us > rp->burn_since_us) {
        rp->burn_j += rp->burn_it_w * (double)(w->end_us - rp->burn_since_us) * 1e-6;
        rp->burn_since_us = w->end_us;
    }
    int rc = SL_OK;
    if (c->admission) {
        rc = sl_summary_int(s, "power.admission_refusals", (int64_t)rp->refusals);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "power.admission_ramp_refusals", (int64_t)rp->ramp_refusals);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "power.admission_shed_asks", (int64_t)rp->shed_asks);
    }
    if (rc == SL_OK && c->ramp.limit_mw_per_min > 0)
        rc = sl_summary_num(s, "power.ramp_limit_mw_per_min", c->ramp.limit_mw_per_min);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.max_step_kw", rp->max_step_w * 1e-3);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.max_ramp_mw_per_min",
                            fmax(rp->max_up_w, rp->max_down_w) * 1e-6);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.max_ramp_up_mw_per_min", rp->max_up_w * 1e-6);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.max_ramp_down_mw_per_min", rp->max_down_w * 1e-6);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.max_swing_mw", rp->max_swing_w * 1e-6);
    if (rc == SL_OK && c->ramp.swing_floor > 0)
        rc = sl_summary_num(s, "power.max_swing_floored_mw", rp->max_swing_floored_w * 1e-6);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.burn_mwh", rp->burn_j / 3.6e9);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.swing_floor_mwh", rp->floor_j / 3.6e9);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "power.mitigation_mwh", (rp->burn_j + rp->floor_j) / 3.6e9);
    return rc;
}

void sl__pm_ramp_release(struct sl_power_mgr *m)
{
    struct sl_pm_ramp *rp = m->rp;
    if (!rp)
        return;
    sl_free(rp->commits);
    sl_free(rp->hist);
    sl_free(rp);
    m->rp = NULL;
}
