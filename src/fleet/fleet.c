/*
 * Fleet state and IT power (see fleet.h).
 */
#include "fleet/fleet.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <string.h>

void sl_fleet_design(const struct sl_server_calc *calc, const struct sl_chain_spec *chain,
                     size_t nservers, size_t per_rack, double *it_w, double *liquid_w,
                     double *rack_w)
{
    struct sl_server_power full;
    sl_server_eval_full(calc, &full);
    struct sl_stage_stack rs;
    if (sl_stack_collect(&rs, chain, SL_SCOPE_RACK) != SL_OK)
        rs.n = 0;
    double full_rack = full.input_w * (double)per_rack;
    double rack_in = sl_stack_size(&rs, full_rack);
    size_t full_racks = nservers / per_rack, rest = nservers % per_rack;
    double it = (double)full_racks * rack_in;
    if (rest)
        it += sl_stack_input_w(&rs, full.input_w * (double)rest, NULL);
    if (it_w)
        *it_w = it;
    if (liquid_w)
        *liquid_w = full.liquid_heat_w * (double)nservers;
    if (rack_w)
        *rack_w = rack_in;
}

size_t sl_fleet_rack_first(const struct sl_fleet *f, size_t r)
{
    const struct sl_fleet_pool *p = &f->pool[f->rack[r].pool];
    return p->first_server + (r - p->first_rack) * p->per_rack;
}

size_t sl_fleet_rack_count(const struct sl_fleet *f, size_t r)
{
    const struct sl_fleet_pool *p = &f->pool[f->rack[r].pool];
    size_t lo = (r - p->first_rack) * p->per_rack;
    return lo + p->per_rack <= p->nservers ? p->per_rack : p->nservers - lo;
}

/* Prepares pool P of nservers servers per_rack to a rack from its
 * calculator; the ranges start where the fleet's totals are now. */
static int pool_init(struct sl_fleet *f, struct sl_fleet_pool *P, const struct sl_scenario *sc,
                     const struct sl_server_calc *calc, size_t nservers, size_t per_rack)
{
    P->calc = calc;
    P->dev = calc->dev;
    P->idle_w = calc->dev->idle_w;
    P->nservers = nservers;
    P->per_rack = per_rack;
    P->cards_per_server = (size_t)calc->m->cards;
    P->ncards = nservers * P->cards_per_server;
    P->nracks = (nservers + per_rack - 1) / per_rack;
    P->first_server = f->nservers;
    P->first_card = f->ncards;
    P->first_rack = f->nracks;
    f->nservers += P->nservers;
    f->ncards += P->ncards;
    f->nracks += P->nracks;
    for (int ph = 0; ph < SL_PHASE_COUNT; ph++) {
        double a = sc->phase_model.activity[ph];
        P->range_w[ph] = (P->dev->tdp_w - P->idle_w) * a;
        sl_server_poly_init(calc, (double)P->cards_per_server, P->idle_w, P->range_w[ph], a,
                            &P->poly[ph]);
    }
    if (sl_stack_collect(&P->rack_stack, sc->chain, SL_SCOPE_RACK) != SL_OK)
        return SL_ERANGE;
    sl_fleet_design(calc, sc->chain, P->nservers, P->per_rack, &P->design_it_w, &P->design_liquid_w,
                    &P->design_rack_w);
    struct sl_server_power full;
    sl_server_eval_full(calc, &full);
    sl_stack_size(&P->rack_stack, full.input_w * (double)P->per_rack);
    return SL_OK;
}

int sl_fleet_init(struct sl_fleet *f, const struct sl_scenario *sc,
                  const struct sl_server_calc *calc)
{
    memset(f, 0, sizeof *f);
    size_t np = sc->npools ? sc->npools : 1;
    if (np > UINT16_MAX || !(f->pool = sl_calloc(np, sizeof *f->pool)))
        return SL_ENOMEM;
    f->npools = np;
    for (int ph = 0; ph < SL_PHASE_COUNT; ph++) {
        f->share[ph] = sc->phase_model.activity[ph];
        f->alpha[ph] = sc->phase_model.alpha[ph];
    }
    for (size_t k = 0; k < np; k++) {
        size_t n = (size_t)(sc->npools ? sc->pools[k].servers : sc->fleet.servers);
        size_t per =
            (size_t)(sc->npools ? sc->pools[k].servers_per_rack : sc->fleet.servers_per_rack);
        struct sl_fleet_pool *P = &f->pool[k];
        if (pool_init(f, P, sc, &calc[k], n, per) != SL_OK) {
            sl_fleet_release(f);
            return SL_ERANGE;
        }
        f->design_it_w += P->design_it_w;
        f->design_liquid_w += P->design_liquid_w;
        if (P->design_rack_w > f->design_rack_w)
            f->design_rack_w = P->design_rack_w;
    }
    f->per_rack = f->pool[0].per_rack;
    f->cards_per_server = f->pool[0].cards_per_server;

    f->card = sl_calloc_aligned(f->ncards, sizeof *f->card);
    f->cap_w = sl_calloc(f->ncards, sizeof *f->cap_w);
    f->tier = sl_calloc(f->ncards, sizeof *f->tier);
    f->srv = sl_calloc_aligned(f->nservers, sizeof *f->srv);
    f->rack = sl_calloc(f->nracks, sizeof *f->rack);
    f->dirty_racks = sl_calloc(f->nracks, sizeof *f->dirty_racks);
    f->owners_cap = 8;
    f->owner = sl_calloc(f->owners_cap, sizeof *f->owner);
    if (!f->card || !f->cap_w || !f->tier || !f->srv || !f->rack || !f->dirty_racks || !f->owner) {
        sl_fleet_release(f);
        return SL_ENOMEM;
    }
    f->owner[0].name = "free";
    f->nowners = 1;
    for (int t = 0; t < SL_TIER_COUNT; t++)
        f->tier_x[t] = 1;
    for (size_t k = 0; k < np; k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        /* Every card idle: one server evaluation serves the pool. */
        struct sl_server_state idle;
        memset(&idle, 0, sizeof idle);
        sl_server_eval(P->calc, P->idle_w * (double)P->cards_per_server, 0.0, &idle.p);
        idle.pool = (uint16_t)k;
        for (size_t i = 0; i < P->nservers; i++) {
            f->srv[P->first_server + i] = idle;
            f->srv[P->first_server + i].rack = (uint32_t)(P->first_rack + i / P->per_rack);
        }
        for (size_t r = 0; r < P->nracks; r++) {
            f->rack[P->first_rack + r].pool = (uint32_t)k;
            f->rack[P->first_rack + r].thermal = 1.0f;
        }
    }
    sl_fleet_start_meters(f);
    return SL_OK;
}

void sl_fleet_release(struct sl_fleet *f)
{
    sl_free_aligned(f->card);
    sl_free(f->cap_w);
    sl_free(f->tier);
    sl_free_aligned(f->srv);
    sl_free(f->rack);
    sl_free(f->dirty_racks);
    sl_free(f->owner);
    sl_free(f->pool);
    memset(f, 0, sizeof *f);
}

int sl_fleet_add_owner(struct sl_fleet *f, const char *name, sl_speed_fn speed_changed, void *ctx,
                       uint16_t *id)
{
    if (f->nowners > UINT16_MAX)
        return SL_ERANGE;
    if (f->nowners == f->owners_cap) {
        struct sl_fleet_owner *o = sl_reallocarray(f->owner, f->owners_cap * 2, sizeof *o);
        if (!o)
            return SL_ENOMEM;
        f->owner = o;
        f->owners_cap *= 2;
    }
    f->owner[f->nowners] = (struct sl_fleet_owner){name, speed_changed, ctx, NULL};
    *id = (uint16_t)f->nowners++;
    return SL_OK;
}

/* The board power limit of a card of pool P at limit fraction x (0: none),
 * as the cards keep it. */
static float tier_cap(const struct sl_fleet_pool *P, double x)
{
    return x >= 1 ? 0.0f : (float)(P->idle_w + x * (P->dev->tdp_w - P->idle_w));
}

static inline size_t server_of(const struct sl_fleet_pool *P, size_t i);

/* The limit card i of pool P takes in tier t: its tier's (or the cap
 * function's), lowered to its rack's thermal limit. */
static float card_tier_cap(const struct sl_fleet *f, const struct sl_fleet_pool *P, size_t i, int t)
{
    float c;
    if (f->cap_of) {
        double v = f->cap_of(f->cap_ctx, i, t);
        c = v > 0 ? (float)v : 0.0f;
    } else {
        c = tier_cap(P, f->tier_x[t]);
    }
    if (f->nthermal) {
        float y = f->rack[f->srv[server_of(P, i)].rack].thermal;
        if (y < 1.0f) {
            float th = (float)((double)y * P->dev->tdp_w);
            if (c <= 0 || th < c)
                c = th > 0 ? th : FLT_MIN; /* 0 would mean no limit */
        }
    }
    return c;
}

static size_t run_end(const struct sl_fleet_pool *P, size_t end);

int sl_fleet_claim(struct sl_fleet *f, uint16_t owner, size_t first, size_t n)
{
    if (first > f->ncards || n > f->ncards - first || n > SIZE_MAX / sizeof *f->card ||
        owner == 0 || owner >= f->nowners)
        return SL_ERANGE;
    struct sl_card *c = f->card + first;
    for (size_t k = 0; k < n; k++)
        if (c[k].owner != 0)
            return SL_ESTATE;
    for (size_t k = 0; k < n; k++)
        c[k].owner = owner;
    /* Free cards are tier 0 with its limit already. */
    f->tier_cards[SL_TIER_BEST_EFFORT] += n;
    return SL_OK;
}

/* ---- Power ---- */

/* Card i of pool P. */
static inline double card_power(const struct sl_fleet *f, const struct sl_fleet_pool *P, size_t i)
{
    const struct sl_card *c = &f->card[i];
    double p = P->idle_w + P->range_w[c->phase] * (double)c->activity;
    double cap = (double)f->cap_w[i];
    if (cap > 0 && p > cap)
        p = cap > P->idle_w ? cap : P->idle_w;
    return p;
}

static double card_speed(const struct sl_fleet *f, const struct sl_fleet_pool *P, size_t i)
{
    const struct sl_card *c = &f->card[i];
    double idle = P->idle_w;
    double p = idle + P->range_w[c->phase] * (double)c->activity;
    double cap = (double)f->cap_w[i];
    if (cap <= 0 || p <= cap || p <= idle)
        return 1.0;
    double headroom = cap > idle ? (cap - idle) / (p - idle) : 0;
    double s = pow(headroom, f->alpha[c->phase]);
    /* A card capped at idle still crawls: never report zero speed. */
    return s > 1e-3 ? s : 1e-3;
}

double sl_fleet_card_power_w(const struct sl_fleet *f, size_t i)
{
    return card_power(f, &f->pool[sl_fleet_card_pool(f, i)], i);
}

double sl_fleet_card_speed(const struct sl_fleet *f, size_t i)
{
    return card_speed(f, &f->pool[sl_fleet_card_pool(f, i)], i);
}

void sl_fleet_advance(struct sl_fleet *f, int64_t now_us)
{
    struct sl_fleet_meter *m = &f->m;
    if (now_us <= m->last_us)
        return;
    /* Extremes count only values held for a positive time: several changes
     * at one instant do not register the intermediate sums as peaks. */
    double dt = (double)(now_us - m->last_us) * 1e-6;
    for (int q = 0; q < SL_Q_COUNT; q++)
        m->e[q] += m->v[q] * dt;
    if (m->v[SL_Q_IT] > m->it_max_w)
        m->it_max_w = m->v[SL_Q_IT];
    for (size_t k = 0; k < f->ndirty; k++) {
        struct sl_rack_state *r = &f->rack[f->dirty_racks[k]];
        if (r->input_w > f->rack_peak_w)
            f->rack_peak_w = r->input_w;
        r->dirty = 0;
    }
    f->ndirty = 0;
    if (m->v[SL_Q_IT] < m->it_min_w)
        m->it_min_w = m->v[SL_Q_IT];
    m->last_us = now_us;
}

void sl_fleet_take_window(struct sl_fleet *f, int64_t now_us, double *e, double *max_w,
                          double *min_w)
{
    sl_fleet_advance(f, now_us);
    memcpy(e, f->m.e, sizeof f->m.e);
    memset(f->m.e, 0, sizeof f->m.e);
    *max_w = f->m.it_max_w;
    *min_w = f->m.it_min_w;
    f->m.it_max_w = -INFINITY;
    f->m.it_min_w = INFINITY;
}

/* Gives server s the power p, its cards' load shares summing to load, and
 * moves the totals by the change.  The meter has been advanced to the time
 * of the change. */
static void apply_power(struct sl_fleet *f, const struct sl_fleet_pool *P, size_t s,
                        const struct sl_server_power *pp, double load)
{
    struct sl_server_state *st = &f->srv[s];
    static const struct sl_server_power off; /* a powered-off server: all 0 */
    if (st->down & SL_DOWN_OFF) {
        pp = &off;
        load = 0;
    }
    const struct sl_server_power p = *pp;
    const struct sl_server_power *o = &st->p;

    struct sl_rack_state *r = &f->rack[st->rack];
    double old_loss = r->input_w - r->servers_w; /* exactly 0 without rack stages */
    r->servers_w += p.input_w - o->input_w;
    double rack_in =
        P->rack_stack.n ? sl_stack_input_w(&P->rack_stack, r->servers_w, NULL) : r->servers_w;
    double d_rack = rack_in - r->input_w;
    r->input_w = rack_in;
    if (!r->dirty) {
        r->dirty = 1;
        f->dirty_racks[f->ndirty++] = st->rack;
    }

    double *v = f->m.v;
    v[SL_Q_IT] += d_rack;
    v[SL_Q_RACK_LOSS] += (rack_in - r->servers_w) - old_loss;
    v[SL_Q_SERVER_LOSS] += (p.input_w - p.dc_w) - (o->input_w - o->dc_w);
    v[SL_Q_DC] += p.dc_w - o->dc_w;
    v[SL_Q_BOARD] += p.board_w - o->board_w;
    v[SL_Q_BOARD_LOSS] += (p.board_w - p.silicon_w) - (o->board_w - o->silicon_w);
    v[SL_Q_LIQUID] += p.liquid_heat_w - o->liquid_heat_w;
    v[SL_Q_LOAD] += load - st->load;
    st->p = p;
    st->load = load;
}

/* Gives server s of pool P the power of cards drawing cards_w in all with
 * load shares summing to load. */
static void apply_server(struct sl_fleet *f, const struct sl_fleet_pool *P, size_t s,
                         double cards_w, double load)
{
    struct sl_server_power p;
    sl_server_eval(P->calc, cards_w, load / (double)P->cards_per_server, &p);
    apply_power(f, P, s, &p, load);
}

/* Server s of pool P with all its cards alike in phase at activity: the
 * lines of the phase (server.h). */
static void apply_alike(struct sl_fleet *f, const struct sl_fleet_pool *P, size_t s, int phase,
                        double activity)
{
    struct sl_server_power p;
    sl_server_eval_poly(P->calc, &P->poly[phase], activity, &p);
    apply_power(f, P, s, &p, (double)P->cards_per_server * (f->share[phase] * activity));
}

/* First card of server s of pool P. */
static inline size_t card0(const struct sl_fleet_pool *P, size_t s)
{
    return P->first_card + (s - P->first_server) * P->cards_per_server;
}

/* Server of card i of pool P. */
static inline size_t server_of(const struct sl_fleet_pool *P, size_t i)
{
    return P->first_server + (i - P->first_card) / P->cards_per_server;
}

/* Recomputes server s of pool P from its cards. */
static void update_server(struct sl_fleet *f, const struct sl_fleet_pool *P, size_t s)
{
    size_t i0 = card0(P, s);
    double cards_w = 0, load = 0;
    uint32_t ncapped = 0;
    for (size_t i = i0; i < i0 + P->cards_per_server; i++) {
        cards_w += card_power(f, P, i);
        load += f->share[f->card[i].phase] * (double)f->card[i].activity;
        ncapped += f->cap_w[i] > 0;
    }
    f->ncapped += (size_t)ncapped - f->srv[s].ncapped;
    f->srv[s].ncapped = (uint8_t)ncapped;
    apply_server(f, P, s, cards_w, load);
}

/* End of the run of cards from lo (< end) that lies in pool P: ranges are
 * walked pool by pool (pools are few; a range usually lies in one). */
static inline size_t run_end(const struct sl_fleet_pool *P, size_t end)
{
    size_t pend = P->first_card + P->ncards;
    return pend < end ? pend : end;
}

static void update_servers(struct sl_fleet *f, size_t first, size_t n)
{
    if (n == 0)
        return;
    for (size_t lo = first, end = first + n, k = sl_fleet_card_pool(f, first); lo < end; k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        size_t hi = run_end(P, end), s1 = server_of(P, hi - 1);
        for (size_t s = server_of(P, lo); s <= s1; s++)
            update_server(f, P, s);
        lo = hi;
    }
}

/* An activity as the cards keep it: clamped to 0..1 (NaN to 0) and
 * rounded to float. */
static double kept_activity(double activity)
{
    if (!(activity > 0))
        activity = 0;
    else if (activity > 1)
        activity = 1;
    return (double)(float)activity;
}

void sl_fleet_set_load(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, int phase,
                       double activity)
{
    assert(first <= f->ncards && n <= f->ncards - first);
    assert(phase >= 0 && phase < SL_PHASE_COUNT);
    activity = kept_activity(activity);
    sl_fleet_advance(f, now_us);
    for (size_t i = first; i < first + n; i++) {
        assert(f->card[i].owner != 0);
        f->card[i].phase = (uint8_t)phase;
        f->card[i].activity = (float)activity;
    }
    if (n == 0)
        return;
    for (size_t lo = first, end = first + n, k = sl_fleet_card_pool(f, first); lo < end; k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        size_t hi = run_end(P, end);
        /* A whole server without caps, all its cards alike: its card power
         * is one product, not a sum over the cards (the synthetic load's
         * case); the pool's whole uncapped servers all take the same power,
         * evaluated once. */
        size_t cps = P->cards_per_server;
        size_t s0 = server_of(P, lo), s1 = server_of(P, hi - 1);
        struct sl_server_power alike;
        int have_alike = 0;
        double alike_load = (double)cps * (f->share[phase] * activity);
        for (size_t s = s0; s <= s1; s++) {
            size_t c0 = card0(P, s);
            if (c0 >= lo && c0 + cps <= hi && f->srv[s].ncapped == 0) {
                if (!have_alike) {
                    sl_server_eval_poly(P->calc, &P->poly[phase], activity, &alike);
                    have_alike = 1;
                }
                apply_power(f, P, s, &alike, alike_load);
            } else {
                update_server(f, P, s);
            }
        }
        lo = hi;
    }
}

void sl_fleet_set_server_load(struct sl_fleet *f, int64_t now_us, size_t s, int phase,
                              double activity)
{
    assert(s < f->nservers);
    assert(phase >= 0 && phase < SL_PHASE_COUNT);
    activity = kept_activity(activity);
    sl_fleet_advance(f, now_us);
    const struct sl_fleet_pool *P = &f->pool[f->srv[s].pool];
    size_t cps = P->cards_per_server;
    struct sl_card *c = &f->card[card0(P, s)];
    for (size_t k = 0; k < cps; k++) {
        assert(c[k].owner != 0);
        c[k].phase = (uint8_t)phase;
        c[k].activity = (float)activity;
    }
    if (f->srv[s].ncapped == 0) {
        apply_alike(f, P, s, phase, activity);
    } else {
        update_server(f, P, s);
    }
}

void sl_fleet_release_cards(struct sl_fleet *f, int64_t now_us, uint16_t owner, size_t first,
                            size_t n)
{
    assert(first <= f->ncards && n <= f->ncards - first);
    (void)owner;
    sl_fleet_advance(f, now_us);
    for (size_t i = first; i < first + n; i++) {
        assert(f->card[i].owner == owner);
        f->card[i].owner = 0;
        f->card[i].phase = SL_PHASE_IDLE;
        f->card[i].activity = 0;
        f->tier_cards[f->tier[i]]--;
    }
    /* A free card is tier 0 with its limit; it is idle, so its speed and
     * power do not move (a limit is never below idle). */
    for (size_t lo = first, end = first + n, k = n ? sl_fleet_card_pool(f, first) : 0; lo < end;
         k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        size_t hi = run_end(P, end);
        for (size_t i = lo; i < hi; i++) {
            if (f->tier[i] != SL_TIER_BEST_EFFORT || f->cap_of || f->nthermal) {
                f->tier[i] = SL_TIER_BEST_EFFORT;
                f->cap_w[i] = card_tier_cap(f, P, i, SL_TIER_BEST_EFFORT);
            }
        }
        lo = hi;
    }
    update_servers(f, first, n);
}

void sl_fleet_set_cap(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, double cap_w)
{
    assert(first <= f->ncards && n <= f->ncards - first);
    if (!(cap_w > 0))
        cap_w = 0;
    sl_fleet_advance(f, now_us);
    for (size_t lo = first, end = first + n, k = n ? sl_fleet_card_pool(f, first) : 0; lo < end;
         k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        size_t hi = run_end(P, end);
        for (size_t i = lo; i < hi; i++) {
            /* The owner hears of every new limit on its cards, not only
             * of a speed that moves now: an idle card's speed does not
             * move, but an owner that caches its cards' limit (the flow
             * model's replicas) must see the limit before it loads them. */
            float before = f->cap_w[i];
            f->cap_w[i] = (float)cap_w;
            f->card[i].moved = f->card[i].owner != 0 && f->cap_w[i] != before;
        }
        lo = hi;
    }
    update_servers(f, first, n);
    /* Owners hear of it once the fleet is consistent: one call per run of
     * consecutive cards of one owner whose limit moved. */
    for (size_t i = first; i < first + n;) {
        if (!f->card[i].moved) {
            i++;
            continue;
        }
        uint16_t owner = f->card[i].owner;
        size_t j = i;
        while (j < first + n && f->card[j].moved && f->card[j].owner == owner)
            f->card[j++].moved = 0;
        const struct sl_fleet_owner *o = &f->owner[owner];
        if (o->speed_changed)
            o->speed_changed(o->ctx, now_us, i, j - i);
        i = j;
    }
}

/* ---- Availability ---- */

int sl_fleet_set_avail_fn(struct sl_fleet *f, uint16_t owner, sl_avail_fn fn)
{
    if (owner == 0 || owner >= f->nowners)
        return SL_ERANGE;
    f->owner[owner].avail_changed = fn;
    return SL_OK;
}

size_t sl_fleet_servers_down(const struct sl_fleet *f)
{
    return f->ndown;
}

void sl_fleet_set_down(struct sl_fleet *f, int64_t now_us, size_t s, unsigned bits, int on)
{
    assert(s < f->nservers);
    struct sl_server_state *st = &f->srv[s];
    unsigned before = st->down;
    unsigned now = on ? (before | bits) : (before & ~bits);
    now &= SL_DOWN_FAILED | SL_DOWN_FABRIC | SL_DOWN_ABSENT;
    if (now == before)
        return;
    sl_fleet_advance(f, now_us);
    const struct sl_fleet_pool *P = &f->pool[st->pool];
    size_t i0 = card0(P, s), cps = P->cards_per_server;
    st->down = (uint8_t)now;
    if (before == 0)
        f->ndown++;
    else if (now == 0)
        f->ndown--;
    if ((before & SL_DOWN_OFF) && !(now & SL_DOWN_OFF)) {
        /* Back on: idle, whatever its cards were set to while off. */
        for (size_t i = i0; i < i0 + cps; i++) {
            f->card[i].phase = SL_PHASE_IDLE;
            f->card[i].activity = 0;
        }
        update_server(f, P, s);
    } else if (!(before & SL_DOWN_OFF) && (now & SL_DOWN_OFF)) {
        update_server(f, P, s); /* apply_power gives it 0 W */
    }
    /* Each distinct owner of its cards, once, in card order; collected
     * first, since an owner may release its cards when told. */
    uint16_t told[64];
    size_t ntold = 0;
    for (size_t i = i0; i < i0 + cps; i++) {
        uint16_t o = f->card[i].owner;
        if (o == 0 || !f->owner[o].avail_changed)
            continue;
        size_t k = 0;
        while (k < ntold && told[k] != o)
            k++;
        if (k == ntold && ntold < sizeof told / sizeof told[0])
            told[ntold++] = o;
    }
    for (size_t k = 0; k < ntold; k++)
        f->owner[told[k]].avail_changed(f->owner[told[k]].ctx, now_us, s, before, now);
}

/* ---- Tiers ---- */

/* Gives each card of [first, first + n) whose tier is in mask its tier's
 * limit, through sl_fleet_set_cap on each run of consecutive cards of one
 * pool and one new limit that differs from the present one. */
static void retier(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, unsigned mask)
{
    for (size_t lo = first, end = first + n, k = n ? sl_fleet_card_pool(f, first) : 0; lo < end;
         k++) {
        const struct sl_fleet_pool *P = &f->pool[k];
        size_t hi = run_end(P, end);
        size_t i = lo;
        while (i < hi) {
            if (!(mask >> f->tier[i] & 1)) {
                i++;
                continue;
            }
            float cap = card_tier_cap(f, P, i, f->tier[i]);
            if (f->cap_w[i] == cap) {
                i++;
                continue;
            }
            size_t j = i + 1;
            while (j < hi && (mask >> f->tier[j] & 1) && f->cap_w[j] != cap &&
                   card_tier_cap(f, P, j, f->tier[j]) == cap)
                j++;
            sl_fleet_set_cap(f, now_us, i, j - i, (double)cap);
            i = j;
        }
        lo = hi;
    }
}

void sl_fleet_set_thermal(struct sl_fleet *f, int64_t now_us, size_t r, double y)
{
    assert(r < f->nracks);
    float v = y >= 1 || !(y >= 0) ? 1.0f : (float)y;
    float before = f->rack[r].thermal;
    if (v == before)
        return;
    if (before < 1.0f && v >= 1.0f)
        f->nthermal--;
    else if (before >= 1.0f && v < 1.0f)
        f->nthermal++;
    f->rack[r].thermal = v;
    size_t s0 = sl_fleet_rack_first(f, r), ns = sl_fleet_rack_count(f, r);
    if (ns == 0)
        return;
    size_t c0 = sl_fleet_server_card0(f, s0);
    size_t c1 = sl_fleet_server_card0(f, s0 + ns - 1) +
                f->pool[sl_fleet_server_pool(f, s0 + ns - 1)].cards_per_server;
    /* The rack's cards take the lower of their tier's limit and the new
     * thermal one (their tier's alone once it lifts). */
    retier(f, now_us, c0, c1 - c0, (1u << SL_TIER_COUNT) - 1);
}

void sl_fleet_set_cap_fn(struct sl_fleet *f, sl_cap_fn fn, void *ctx)
{
    f->cap_of = fn;
    f->cap_ctx = ctx;
}

void sl_fleet_retier(struct sl_fleet *f, int64_t now_us, size_t first, size_t n)
{
    assert(first <= f->ncards && n <= f->ncards - first);
    retier(f, now_us, first, n, (1u << SL_TIER_COUNT) - 1);
}

void sl_fleet_set_tier(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, int tier)
{
    assert(first <= f->ncards && n <= f->ncards - first);
    assert(tier >= 0 && tier < SL_TIER_COUNT);
    for (size_t i = first; i < first + n; i++) {
        assert(f->card[i].owner != 0);
        f->tier_cards[f->tier[i]]--;
        f->tier[i] = (uint8_t)tier;
    }
    f->tier_cards[tier] += n;
    retier(f, now_us, first, n, 1u << tier);
}

size_t sl_fleet_set_tier_limits(struct sl_fleet *f, int64_t now_us, const double *x)
{
    unsigned mask = 0;
    for (int t = 0; t < SL_TIER_COUNT; t++) {
        double v = x[t] >= 1 ? 1 : x[t] > 0 ? x[t] : 0;
        if (v != f->tier_x[t])
            mask |= 1u << t;
        f->tier_x[t] = v;
    }
    if (mask)
        retier(f, now_us, 0, f->ncards, mask);
    return f->ncapped;
}

size_t sl_fleet_set_tier_limit(struct sl_fleet *f, int64_t now_us, int tier, double x)
{
    assert(tier >= 0 && tier < SL_TIER_COUNT);
    double v[SL_TIER_COUNT];
    memcpy(v, f->tier_x, sizeof v);
    v[tier] = x;
    return sl_fleet_set_tier_limits(f, now_us, v);
}

void sl_fleet_resum(struct sl_fleet *f, int64_t now_us)
{
    sl_fleet_advance(f, now_us);
    double sum[SL_Q_COUNT] = {0};
    for (size_t r = 0; r < f->nracks; r++) {
        size_t lo = sl_fleet_rack_first(f, r), hi = lo + sl_fleet_rack_count(f, r);
        double rs = 0;
        for (size_t i = lo; i < hi; i++) {
            const struct sl_server_state *st = &f->srv[i];
            const struct sl_server_power *p = &st->p;
            rs += p->input_w;
            sum[SL_Q_SERVER_LOSS] += p->input_w - p->dc_w;
            sum[SL_Q_DC] += p->dc_w;
            sum[SL_Q_BOARD] += p->board_w;
            sum[SL_Q_BOARD_LOSS] += p->board_w - p->silicon_w;
            sum[SL_Q_LIQUID] += p->liquid_heat_w;
            sum[SL_Q_LOAD] += st->load;
        }
        f->rack[r].servers_w = rs;
        f->rack[r].input_w = sl_stack_input_w(&f->pool[f->rack[r].pool].rack_stack, rs, NULL);
        sum[SL_Q_IT] += f->rack[r].input_w;
        sum[SL_Q_RACK_LOSS] += f->rack[r].input_w - rs;
    }
    memcpy(f->m.v, sum, sizeof sum);
}

void sl_fleet_start_meters(struct sl_fleet *f)
{
    memset(&f->m, 0, sizeof f->m);
    sl_fleet_resum(f, 0);
    f->m.it_max_w = -INFINITY;
    f->m.it_min_w = INFINITY;
    /* The start state counts once time advances (it may not last). */
    f->rack_peak_w = 0;
    f->ndirty = 0;
    for (size_t r = 0; r < f->nracks; r++) {
        f->rack[r].dirty = 1;
        f->dirty_racks[f->ndirty++] = (uint32_t)r;
    }
}
