/*
 * The world and its facility control step (see world.h).
 */
#include "world/world.h"

#include "config/fabric_cfg.h"
#include "suanli/alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The fleet totals are re-summed from the servers every this many steps,
 * so incremental rounding cannot drift. */
#define RESUM_EVERY 64

void sl_world_fail(struct sl_world *w, int code, const char *fmt, ...)
{
    if (w->error == SL_OK) {
        w->error = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->diag.msg, sizeof w->diag.msg, fmt, ap);
        va_end(ap);
        w->diag.code = code;
    }
    sl_engine_stop(&w->eng);
}

double sl_site_price(const struct sl_scenario *sc, int64_t local_s)
{
    int64_t tod_us = (local_s % 86400 + 86400) % 86400 * 1000000;
    const struct sl_tou_period *p = sc->site.tou.items;
    for (size_t i = 0; i < sc->site.tou.n; i++) {
        int in = p[i].from_us < p[i].to_us ? (tod_us >= p[i].from_us && tod_us < p[i].to_us)
                                           : (tod_us >= p[i].from_us || tod_us < p[i].to_us);
        if (in)
            return p[i].price;
    }
    return sc->site.price;
}

int64_t sl_world_local_s(const struct sl_world *w, int64_t t_us)
{
    return w->sc->start_s + t_us / 1000000;
}

/* ---- The facility step ---- */

static void add_totals(struct sl_site_totals *T, const struct sl_site_step *st, size_t nstages)
{
    const struct sl_facility_eval *fe = &st->fe;
    const struct sl_cooling_result *c = &fe->cooling;
    double dt = st->dt_s;
    for (int q = 0; q < SL_Q_COUNT; q++)
        T->fleet_j[q] += st->fleet_w[q] * dt;
    T->fabric_j += st->fabric_w * dt;
    T->chain_in_j += fe->chain_in_w * dt;
    T->chain_loss_j += fe->chain_loss_w * dt;
    T->cooling_j += c->total_w * dt;
    T->aux_j += fe->aux_w * dt;
    T->facility_j += fe->facility_w * dt;
    for (size_t k = 0; k < nstages; k++)
        T->stage_loss_j[k] += fe->stage_loss_w[k] * dt;
    T->chiller_j += c->chiller_w * dt;
    T->fans_j += (c->crah_fan_w + c->tower_fan_w + c->drycooler_fan_w) * dt;
    T->pumps_j += (c->chw_pump_w + c->cw_pump_w + c->cdu_pump_w + c->fw_pump_w) * dt;
    T->unmet_j += c->unmet_w * dt;
    if (c->inlet_rise_k > T->max_inlet_rise_k)
        T->max_inlet_rise_k = c->inlet_rise_k;
    T->cost_cny += st->cost_cny;
    T->co2_kg += st->co2_kg;
    double it = st->fleet_w[SL_Q_IT];
    double pue = it > 0 ? fe->facility_w / it : 0;
    int first = st->index == 0;
    if (first || fe->facility_w > T->facility_peak_w)
        T->facility_peak_w = fe->facility_w;
    if (first || pue < T->pue_min)
        T->pue_min = pue;
    if (first || pue > T->pue_max)
        T->pue_max = pue;
    if (first || st->it_max_w > T->it_max_w)
        T->it_max_w = st->it_max_w;
    if (first || st->it_min_w < T->it_min_w)
        T->it_min_w = st->it_min_w;
    if (st->over_cap)
        T->cap_exceeded_s += dt;
}

/* Closes the step [w->step_t0_us, t1_us). */
static void close_step(struct sl_world *w, int64_t t1_us)
{
    const struct sl_scenario *sc = w->sc;
    struct sl_site_step *st = &w->step;
    double e[SL_Q_COUNT];
    sl_fleet_take_window(&w->fleet, t1_us, e, &st->it_max_w, &st->it_min_w);
    st->t0_us = w->step_t0_us;
    st->t1_us = t1_us;
    st->dt_s = (double)(t1_us - st->t0_us) * 1e-6;
    st->index = w->nsteps;
    for (int q = 0; q < SL_Q_COUNT; q++)
        st->fleet_w[q] = e[q] / st->dt_s;
    st->util = st->fleet_w[SL_Q_LOAD] / (double)w->fleet.ncards;
    /* The fabric is IT load on the same chain, cooled by air; its switches
     * run at the fleet's mean card load share (docs/model.md, "Fabric"). */
    st->fabric_w = 0;
    if (w->has_fabric) {
        double u = st->util < 0 ? 0 : st->util > 1 ? 1 : st->util;
        st->fabric_w = sl_fabric_power_w(&w->fabric, u);
        st->fleet_w[SL_Q_IT] += st->fabric_w;
        st->it_max_w += st->fabric_w;
        st->it_min_w += st->fabric_w;
    }
    /* IT load outside the fleet (a burn load): like the fabric, air-cooled. */
    sl_world_set_extra_it(w, t1_us, w->extra_it_w);
    if (w->extra_it_j > 0) {
        double mean_w = w->extra_it_j / st->dt_s;
        st->fleet_w[SL_Q_IT] += mean_w;
        st->it_max_w += mean_w;
        st->it_min_w += mean_w;
        w->extra_it_j = 0;
    }
    st->local_mid_s = sc->start_s + (st->t0_us + t1_us) / 2000000;
    sl_facility_eval(&w->fac, st->fleet_w[SL_Q_IT], st->fleet_w[SL_Q_LIQUID], st->local_mid_s,
                     &st->fe);
    st->headroom_w = sc->site.grid_cap_w - st->fe.facility_w;
    st->over_cap = st->fe.facility_w > sc->site.grid_cap_w;
    st->price = sl_site_price(sc, st->local_mid_s);
    double kwh = st->fe.facility_w * st->dt_s / 3.6e6;
    st->cost_cny = kwh * st->price;
    st->co2_kg = kwh * sc->carbon;
    add_totals(&w->tot, st, w->fac.stack.n);
    sl_world_thermal_step(w, st);
    for (size_t i = 0; i < w->nobs; i++)
        if (w->obs[i].ops->step)
            w->obs[i].ops->step(w->obs[i].state, w, st);
    w->nsteps++;
    w->step_t0_us = t1_us;
    if (w->nsteps % RESUM_EVERY == 0)
        sl_fleet_resum(&w->fleet, t1_us);
}

void sl_world_set_admit(struct sl_world *w, sl_admit_fn fn, void *ctx)
{
    w->admit = fn;
    w->admit_ctx = ctx;
}

int sl_world_admit(struct sl_world *w, int64_t now_us, double add_it_w)
{
    return w->admit ? w->admit(w->admit_ctx, now_us, add_it_w) : 1;
}

void sl_world_set_extra_it(struct sl_world *w, int64_t now_us, double it_w)
{
    if (now_us > w->extra_since_us)
        w->extra_it_j += w->extra_it_w * (double)(now_us - w->extra_since_us) * 1e-6;
    w->extra_since_us = now_us;
    w->extra_it_w = it_w;
}

static void on_step(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_world *w = ctx;
    int64_t now = sl_engine_now(eng);
    close_step(w, now);
    int64_t next = now + w->sc->facility.step_us;
    if (next < w->end_us &&
        sl_engine_schedule(eng, next, SL_PRIO_STEP, on_step, w, 0, NULL) != SL_OK)
        sl_world_fail(w, SL_ENOMEM, "out of memory scheduling the facility step");
}

/* ---- Building and running ---- */

/* The fabric's power at full load (0 without one). */
static double world_fabric_full_w(const struct sl_world *w)
{
    return w->has_fabric ? sl_fabric_power_w(&w->fabric, 1.0) : 0;
}

static size_t count(const void *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

/* One server calculator per pool (the first also as w->calc); a scenario
 * built by hand without pools has the one of its fleet section. */
static int init_calcs(struct sl_world *w, const struct sl_scenario *sc, struct sl_diag *d)
{
    size_t np = sc->npools ? sc->npools : 1;
    if (!(w->pool_calc = sl_calloc(np, sizeof *w->pool_calc)))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t k = 0; k < np; k++) {
        const struct sl_pool_res *p = sc->npools ? &sc->pools[k] : NULL;
        int rc = sl_server_calc_init(&w->pool_calc[k], p ? p->server : sc->server,
                                     p ? p->device : sc->device, p ? p->cpu : sc->cpu, sc->chain,
                                     sc->cooling->liquid_share,
                                     sc->cooling->kind == SL_COOLING_IMMERSION, d);
        if (rc != SL_OK)
            return rc;
    }
    w->calc = w->pool_calc[0];
    return SL_OK;
}

int sl_world_init(struct sl_world *w, const struct sl_scenario *sc, const char *out_dir,
                  const struct sl_source_ops *const *sources,
                  const struct sl_observer_ops *const *observers, struct sl_diag *d)
{
    memset(w, 0, sizeof *w);
    w->sc = sc;
    w->out_dir = out_dir;
    w->end_us = sc->run.duration_us;
    int rc = sl_engine_init(&w->eng);
    if (rc != SL_OK)
        return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
    rc = init_calcs(w, sc, d);
    if (rc == SL_OK && (rc = sl_fleet_init(&w->fleet, sc, w->pool_calc)) != SL_OK)
        rc = sl_diag_set(d, rc, NULL, 0, 0,
                         rc == SL_ENOMEM ? "out of memory building the fleet"
                                         : "power chain '%s' has too many rack stages",
                         sc->chain->name);
    if (rc == SL_OK)
        rc = sl_fabric_cfg_build(&sc->fleet.fabric, w->fleet.nservers, 0, &w->fabric,
                                 &w->has_fabric, d);
    /* The facility is sized for the servers and the fabric at full load. */
    if (rc == SL_OK)
        rc = sl_facility_init(&w->fac, sc, w->fleet.design_it_w + world_fabric_full_w(w),
                              w->fleet.design_liquid_w, d);
    if (rc != SL_OK) {
        sl_world_release(w);
        return rc;
    }
    w->th.site_y = 1;
    w->tot.thermal_min_y = 1;
    size_t ns = count((const void *const *)sources), no = count((const void *const *)observers);
    w->src = sl_calloc(ns ? ns : 1, sizeof *w->src);
    w->obs = sl_calloc(no ? no : 1, sizeof *w->obs);
    if (!w->src || !w->obs)
        goto nomem;
    for (size_t i = 0; i < ns; i++) {
        if (sources[i]->enabled && !sources[i]->enabled(sc))
            continue;
        struct sl_world_source *s = &w->src[w->nsrc];
        if (!(s->state = sl_calloc(1, sources[i]->state_size ? sources[i]->state_size : 1)))
            goto nomem;
        s->ops = sources[i];
        w->nsrc++;
    }
    for (size_t i = 0; i < no; i++) {
        struct sl_world_observer *o = &w->obs[w->nobs];
        if (!(o->state = sl_calloc(1, observers[i]->state_size ? observers[i]->state_size : 1)))
            goto nomem;
        o->ops = observers[i];
        w->nobs++;
    }
    return SL_OK;
nomem:
    sl_world_release(w);
    return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory building the world");
}

void sl_world_release(struct sl_world *w)
{
    for (size_t i = w->nobs; i-- > 0;) {
        w->obs[i].ops->release(w->obs[i].state);
        sl_free(w->obs[i].state);
    }
    for (size_t i = w->nsrc; i-- > 0;) {
        w->src[i].ops->release(w->src[i].state);
        sl_free(w->src[i].state);
    }
    sl_free(w->obs);
    sl_free(w->src);
    sl_world_thermal_release(w);
    sl_fabric_release(&w->fabric);
    sl_fleet_release(&w->fleet);
    sl_free(w->pool_calc);
    sl_engine_release(&w->eng);
    memset(w, 0, sizeof *w);
}

int sl_world_start(struct sl_world *w, struct sl_diag *d)
{
    for (size_t i = 0; i < w->nobs; i++)
        if (w->obs[i].ops->open) {
            int rc = w->obs[i].ops->open(w->obs[i].state, w, d);
            if (rc != SL_OK)
                return rc;
        }
    for (size_t i = 0; i < w->nsrc; i++) {
        int rc = w->src[i].ops->start(w->src[i].state, w, d);
        if (rc != SL_OK)
            return rc;
    }
    /* The sources' set-up at time 0 is neither energy nor a swing. */
    sl_fleet_start_meters(&w->fleet);
    int64_t first = w->sc->facility.step_us;
    if (first < w->end_us &&
        sl_engine_schedule(&w->eng, first, SL_PRIO_STEP, on_step, w, 0, NULL) != SL_OK)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return SL_OK;
}

int sl_world_run(struct sl_world *w)
{
    int status = sl_engine_run(&w->eng, w->end_us);
    if (w->error != SL_OK)
        return w->error;
    if (status == SL_RUN_STOPPED) {
        sl_world_fail(w, SL_ESTATE, "the run stopped early at t = %.0f s",
                      (double)sl_engine_now(&w->eng) * 1e-6);
        return w->error;
    }
    if (w->step_t0_us < w->end_us)
        close_step(w, w->end_us); /* the last, partial step */
    return w->error;
}

/* ---- Capacity under the cap ---- */

/* Servers of pool p in the mix of n servers: ceil(n S_p / S), exact in
 * integers (n < 2^41, S_p <= S <= 10^7).  Non-decreasing in n, so the mix's
 * power is; at least one server of every pool; n itself with one pool and
 * S_p at n = S. */
static size_t mix_servers(const struct sl_world *w, size_t p, size_t n)
{
    const struct sl_fleet *f = &w->fleet;
    size_t sp = f->pool[p].nservers, S = f->nservers;
    if (sp == S)
        return n;
    size_t q = n / S, r = n % S;
    return q * sp + (r * sp + S - 1) / S;
}

void sl_world_mix(const struct sl_world *w, size_t n, int64_t *servers, int64_t *cards,
                  int64_t *racks)
{
    int64_t ns = 0, nc = 0, nr = 0;
    for (size_t p = 0; p < w->fleet.npools; p++) {
        const struct sl_fleet_pool *P = &w->fleet.pool[p];
        size_t k = mix_servers(w, p, n);
        ns += (int64_t)k;
        nc += (int64_t)(k * P->cards_per_server);
        nr += (int64_t)((k + P->per_rack - 1) / P->per_rack);
    }
    if (servers)
        *servers = ns;
    if (cards)
        *cards = nc;
    if (racks)
        *racks = nr;
}

/* Facility power at full load in the worst hour for the mix of n servers,
 * with the fabric built for all of them (a third tier when they outgrow
 * two); INFINITY when no fabric of the scenario's kind holds them. */
static double worst_for(const struct sl_world *w, size_t n)
{
    const struct sl_scenario *sc = w->sc;
    double it = 0, liquid = 0;
    for (size_t p = 0; p < w->fleet.npools; p++) {
        const struct sl_fleet_pool *P = &w->fleet.pool[p];
        double pit, pliquid;
        sl_fleet_design(P->calc, sc->chain, mix_servers(w, p, n), P->per_rack, &pit, &pliquid,
                        NULL);
        it += pit;
        liquid += pliquid;
    }
    if (w->has_fabric) {
        int64_t ns;
        sl_world_mix(w, n, &ns, NULL, NULL);
        struct sl_fabric fab;
        int built;
        if (sl_fabric_cfg_build(&sc->fleet.fabric, (size_t)ns, 1, &fab, &built, NULL) != SL_OK)
            return INFINITY;
        it += sl_fabric_power_w(&fab, 1.0);
        sl_fabric_release(&fab);
    }
    struct sl_facility f;
    if (sl_facility_init(&f, sc, it, liquid, NULL) != SL_OK)
        return INFINITY;
    return sl_facility_design_worst_w(&f, NULL);
}

size_t sl_world_servers_at_cap(const struct sl_world *w, double *worst_w)
{
    double cap = w->sc->site.grid_cap_w;
    double worst = sl_facility_design_worst_w(&w->fac, NULL);
    if (worst_w)
        *worst_w = worst;
    if (!(worst > 0) || !(worst_for(w, 1) <= cap))
        return 0;
    /* Facility power is close to proportional to the fleet (stages and
     * plants are sized from the design), so the proportional estimate is
     * within a few servers of the answer: bracket it by steps that double,
     * then bisect.  lo always fits, hi never does. */
    double est = floor(cap / (worst / (double)w->fleet.nservers));
    if (!(est >= 1))
        est = 1;
    if (est > SL_SERVERS_AT_CAP_MAX)
        return SIZE_MAX; /* beyond any center: no exact answer is searched */
    size_t lo, hi, step = 1, n = (size_t)est;
    if (worst_for(w, n) <= cap) {
        lo = n;
        for (;;) {
            hi = lo + step;
            if (hi > (size_t)(2 * SL_SERVERS_AT_CAP_MAX) || worst_for(w, hi) > cap)
                break;
            lo = hi;
            step *= 2;
        }
    } else {
        hi = n;
        for (;;) {
            lo = hi > step ? hi - step : 1;
            if (lo == 1 || worst_for(w, lo) <= cap)
                break;
            hi = lo;
            step *= 2;
        }
    }
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (worst_for(w, mid) <= cap)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
