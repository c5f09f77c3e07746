/*
 * The failure source (see failures.h for the model).
 *
 * Per class two engine processes, one "const" event and one "cohort"
 * event pending at a time (arg: the class), plus one "renew" event per
 * replaced part of a class with an age-dependent hazard (arg: class, unit
 * and the part's generation, so a part replaced again leaves its old event
 * stale), one "up" event per outage (arg: its record) and one "spare"
 * event per part in repair (arg: its pool).  Random streams, keyed by
 * (run.seed, "failures.<class>.<use>", 0): const and cohort gaps, the unit
 * picked, transient or permanent, repair times and the renewals; so the
 * same seed gives the same failures whatever the workloads do.
 */
#include "workload/failures.h"

#include "faults/hazard.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/outfile.h"
#include "suanli/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define US_PER_H 3.6e9

/* One outage to undo: servers [first, first + n) lose the reasons bits
 * (FAILED, FABRIC), or a facility unit of class cls comes back (fac), or
 * rack first gets its own cooling unit back (rack_cool). */
struct fl_rec {
    size_t first;
    uint32_t n;
    uint8_t bits;
    uint8_t cls;
    uint8_t fac;
    uint8_t rack_cool;
};

/* One component class in this center. */
struct fl_class {
    size_t n;              /* units */
    double const_ph;       /* n lambda: the constant part of all units, per hour */
    struct sl_hazard age1; /* one unit's age-dependent part */
    struct sl_hazard cohort;
    int has_age;
    uint8_t *replaced;     /* per unit (has_age): its part was replaced */
    int64_t *installed_us; /* per unit (has_age): when the present part went in */
    uint32_t *gen;         /* per unit (has_age): replacements so far */
    struct sl_rng r_const, r_cohort, r_pick, r_kind, r_repair, r_renew;
    int64_t installed, redundant, down; /* facility classes */
    size_t shed;                        /* facility classes: servers shed now */
    uint64_t events;
};

struct sl_failures {
    struct sl_world *w;
    struct sl_fleet *fleet;
    const struct sl_failures_cfg *cfg;
    const struct sl_fabric *fab; /* NULL without a fabric */
    double burnin_h;             /* age of a part entering service */
    double start_age_h;          /* age of the original parts at the run's start */
    struct fl_class cls[SL_FC_COUNT];
    uint16_t *nfailed, *nfabric; /* per server: outages holding each bit */
    size_t servers_any, cards_off;
    int64_t spares[SL_SP_COUNT];
    uint64_t events, interruptions, repairs, spares_used;
    uint64_t age_events; /* from the age-dependent processes: infant mortality past the burn-in,
                            wear-out */
    struct fl_rec *rec;
    size_t nrec, caprec;
    int64_t last_us;
    double server_down_s, card_off_s; /* integrals: servers with any bit, cards powered off */
    double sampled_down_s;            /* server_down_s at the last sample */
    struct sl_outfile log;
    int logging;
};

static void fail_nomem(struct sl_failures *s)
{
    sl_world_fail(s->w, SL_ENOMEM, "out of memory in the failure source");
}

static void integrate(struct sl_failures *s, int64_t now)
{
    if (now <= s->last_us)
        return;
    double dt = (double)(now - s->last_us) * 1e-6;
    s->server_down_s += (double)s->servers_any * dt;
    s->card_off_s += (double)s->cards_off * dt;
    s->last_us = now;
}

static size_t cards_of(const struct sl_fleet *f, size_t srv)
{
    return f->pool[sl_fleet_server_pool(f, srv)].cards_per_server;
}

/* Adds (on) or removes one outage's bits on server srv. */
static void server_reason(struct sl_failures *s, int64_t now, size_t srv, unsigned bits, int on)
{
    int any_before = s->nfailed[srv] || s->nfabric[srv];
    if (bits & SL_DOWN_FAILED) {
        if (on && s->nfailed[srv]++ == 0) {
            sl_fleet_set_down(s->fleet, now, srv, SL_DOWN_FAILED, 1);
            s->cards_off += cards_of(s->fleet, srv);
        } else if (!on && --s->nfailed[srv] == 0) {
            sl_fleet_set_down(s->fleet, now, srv, SL_DOWN_FAILED, 0);
            s->cards_off -= cards_of(s->fleet, srv);
        }
    }
    if (bits & SL_DOWN_FABRIC) {
        if (on && s->nfabric[srv]++ == 0)
            sl_fleet_set_down(s->fleet, now, srv, SL_DOWN_FABRIC, 1);
        else if (!on && --s->nfabric[srv] == 0)
            sl_fleet_set_down(s->fleet, now, srv, SL_DOWN_FABRIC, 0);
    }
    int any_now = s->nfailed[srv] || s->nfabric[srv];
    if (any_now && !any_before)
        s->servers_any++;
    else if (!any_now && any_before)
        s->servers_any--;
}

static void range_reason(struct sl_failures *s, int64_t now, size_t first, size_t n, unsigned bits,
                         int on)
{
    for (size_t i = first; i < first + n; i++)
        server_reason(s, now, i, bits, on);
}

static void on_up(struct sl_engine *eng, void *ctx, uint64_t arg);
static void on_spare(struct sl_engine *eng, void *ctx, uint64_t arg);
static void on_renew(struct sl_engine *eng, void *ctx, uint64_t arg);

static int add_rec(struct sl_failures *s, struct fl_rec r, size_t *idx)
{
    if (s->nrec == s->caprec) {
        size_t cap = s->caprec ? 2 * s->caprec : 256;
        struct fl_rec *p = sl_reallocarray(s->rec, cap, sizeof *p);
        if (!p)
            return SL_ENOMEM;
        s->rec = p;
        s->caprec = cap;
    }
    *idx = s->nrec;
    s->rec[s->nrec++] = r;
    return SL_OK;
}

static void schedule(struct sl_failures *s, int64_t t, sl_event_fn fn, uint64_t arg)
{
    if (t >= s->w->end_us)
        return; /* beyond the run: it would never fire */
    if (sl_engine_schedule(&s->w->eng, t, SL_PRIO_LOAD, fn, s, arg, NULL) != SL_OK)
        fail_nomem(s);
}

/* now + h hours, or INT64_MAX when that is beyond the run. */
static int64_t after_h(const struct sl_failures *s, int64_t now, double h)
{
    double us = h * US_PER_H;
    if (!(us < (double)(s->w->end_us - now)))
        return INT64_MAX;
    return now + (int64_t)us;
}

static int is_cooling_class(int k)
{
    return k == SL_FC_CHILLER || k == SL_FC_CDU || k == SL_FC_DRY_COOLER;
}

/* Share of facility class k's needed units in service: 1 while the units
 * down are within its redundancy. */
static double class_avail(const struct sl_failures *s, int k)
{
    const struct fl_class *c = &s->cls[k];
    int64_t needed = c->installed - c->redundant;
    if (c->n == 0 || needed <= 0 || c->down <= c->redundant)
        return 1;
    double a = (double)(c->installed - c->down) / (double)needed;
    return a > 0 ? a : 0;
}

/* The plant's capacity in service after a cooling unit changed: chillers
 * carry the chilled-water (air) side, CDUs and dry coolers the liquid
 * loop.  Returns whether any capacity is missing. */
static int recool(struct sl_failures *s)
{
    double air = class_avail(s, SL_FC_CHILLER);
    double cdu = class_avail(s, SL_FC_CDU), dry = class_avail(s, SL_FC_DRY_COOLER);
    double liquid = cdu < dry ? cdu : dry;
    sl_world_set_cooling_avail(s->w, air, liquid);
    return air < 1 || liquid < 1;
}

/* A facility class's shed servers after its units changed: the share of
 * the site its missing units carried, from the last server down. */
static size_t reshed(struct sl_failures *s, int k, int64_t now)
{
    struct fl_class *c = &s->cls[k];
    size_t N = s->fleet->nservers;
    int64_t needed = c->installed - c->redundant;
    int64_t missing = c->down - c->redundant;
    size_t want = 0;
    if (missing > 0 && needed > 0) {
        double share = fmin(1.0, (double)missing / (double)needed);
        want = (size_t)ceil(share * (double)N - 1e-9);
    }
    if (want > c->shed)
        range_reason(s, now, N - want, want - c->shed, SL_DOWN_FAILED, 1);
    else if (want < c->shed)
        range_reason(s, now, N - c->shed, c->shed - want, SL_DOWN_FAILED, 0);
    c->shed = want;
    return want;
}

static uint64_t renew_arg(int k, size_t u, uint32_t gen)
{
    return ((uint64_t)gen << 32) | ((uint64_t)u << 5) | (uint64_t)k;
}

/* Schedules the next age-dependent event of the replaced part of unit u
 * of class k, from its age now. */
static void renew_next(struct sl_failures *s, int k, size_t u, int64_t now)
{
    struct fl_class *c = &s->cls[k];
    int64_t from = now > c->installed_us[u] ? now : c->installed_us[u];
    double age_h = s->burnin_h + (double)(from - c->installed_us[u]) / US_PER_H;
    double t = sl_hazard_sample(&c->age1, age_h, &c->r_renew);
    int64_t at = after_h(s, from, t);
    if (at != INT64_MAX)
        schedule(s, at, on_renew, renew_arg(k, u, c->gen[u]));
}

static const char *unit_blast(int k, size_t u, const struct sl_failures *s, size_t *first,
                              size_t *n, unsigned *bits, int *blip)
{
    const struct sl_fleet *f = s->fleet;
    const struct sl_fabric *fab = s->fab;
    *blip = 0;
    *bits = SL_DOWN_FAILED;
    switch (sl_fault_class_unit[k]) {
    case SL_FU_CARD: {
        const struct sl_fleet_pool *P = &f->pool[sl_fleet_card_pool(f, u)];
        *first = P->first_server + (u - P->first_card) / P->cards_per_server;
        *n = 1;
        return "server";
    }
    case SL_FU_SERVER:
        *first = u;
        *n = 1;
        if (k == SL_FC_NIC) {
            *bits = SL_DOWN_FABRIC;
            return "fabric";
        }
        return "server";
    case SL_FU_LEAF: {
        size_t per = fab->spec.kind == SL_FABRIC_RAIL ? (size_t)fab->spec.nics_per_server : 1;
        size_t b = u / per;
        *first = sl_fabric_block_first(fab, b);
        *n = sl_fabric_block_count(fab, b);
        *bits = SL_DOWN_FABRIC;
        return "leaf";
    }
    case SL_FU_SPINE:
        *bits = SL_DOWN_FABRIC;
        *blip = 1;
        if (u < fab->spines && fab->tiers == 3) {
            size_t pod = u * fab->pods / fab->spines;
            size_t b0 = pod * fab->blocks_per_pod;
            size_t b1 =
                b0 + fab->blocks_per_pod < fab->blocks ? b0 + fab->blocks_per_pod : fab->blocks;
            *first = sl_fabric_block_first(fab, b0);
            *n = sl_fabric_block_first(fab, b1 - 1) + sl_fabric_block_count(fab, b1 - 1) - *first;
            return "pod";
        }
        *first = 0;
        *n = f->nservers;
        return "site";
    case SL_FU_LINK:
        *bits = SL_DOWN_FABRIC;
        if (u < fab->server_links) {
            *first = u / (size_t)fab->spec.nics_per_server;
            *n = 1;
            return "fabric";
        }
        *blip = 1;
        if (u < fab->server_links + fab->leaf_spine_links && fab->uplinks > 0) {
            size_t leaf = (u - fab->server_links) / fab->uplinks;
            if (leaf >= fab->leaves)
                leaf = fab->leaves - 1;
            size_t per = fab->spec.kind == SL_FABRIC_RAIL ? (size_t)fab->spec.nics_per_server : 1;
            *first = sl_fabric_block_first(fab, leaf / per);
            *n = sl_fabric_block_count(fab, leaf / per);
            return "leaf";
        }
        {
            size_t rest = u - fab->server_links - fab->leaf_spine_links;
            size_t pod = fab->spine_core_links ? rest * fab->pods / fab->spine_core_links : 0;
            size_t b0 = pod * fab->blocks_per_pod;
            size_t b1 =
                b0 + fab->blocks_per_pod < fab->blocks ? b0 + fab->blocks_per_pod : fab->blocks;
            *first = sl_fabric_block_first(fab, b0);
            *n = sl_fabric_block_first(fab, b1 - 1) + sl_fabric_block_count(fab, b1 - 1) - *first;
            return "pod";
        }
    case SL_FU_RACK:
        *first = sl_fleet_rack_first(f, u);
        *n = sl_fleet_rack_count(f, u);
        return "rack";
    default:
        *first = 0;
        *n = 0;
        *bits = 0;
        return "none";
    }
}

/* One event of class k on unit u at now. */
static void handle(struct sl_failures *s, int k, size_t u, int64_t now)
{
    struct fl_class *c = &s->cls[k];
    const struct sl_fault_class_cfg *f = &s->cfg->cls[k];
    integrate(s, now);
    c->events++;
    s->events++;
    int permanent = sl_rng_uniform(&c->r_kind) < f->permanent;
    int pool = sl_fault_class_pool[k];
    int64_t down_us = f->detect_us;
    if (permanent) {
        s->repairs++;
        double rep = f->repair_us > 0 ? sl_rng_lognormal(&c->r_repair, log((double)f->repair_us),
                                                         f->repair_sigma)
                                      : 0;
        int64_t rep_us = rep < 1e17 ? (int64_t)rep : INT64_C(100000000000000000);
        if (pool >= 0 && s->spares[pool] > 0) {
            s->spares[pool]--;
            s->spares_used++;
            down_us += f->swap_us;
            if (rep_us < s->w->end_us - now - f->detect_us)
                schedule(s, now + f->detect_us + rep_us, on_spare, (uint64_t)pool);
        } else {
            down_us += rep_us;
        }
        if (c->has_age) {
            c->replaced[u] = 1;
            c->gen[u]++;
            c->installed_us[u] = down_us < s->w->end_us - now ? now + down_us : s->w->end_us;
            renew_next(s, k, u, c->installed_us[u]);
        }
    } else {
        down_us += f->restart_us;
    }
    if (down_us > s->w->end_us - now)
        down_us = s->w->end_us - now; /* the run ends first */

    size_t first = 0, n = 0;
    unsigned bits = 0;
    int blip = 0;
    const char *blast;
    size_t hit = 0;
    struct fl_rec r = {0};
    if (is_cooling_class(k)) {
        /* A cooling unit beyond the redundancy lowers the plant's capacity;
         * the hall warms and throttles the cards (world_thermal.c). */
        c->down++;
        blast = recool(s) ? "cooling" : "none";
        r.fac = 1;
        r.cls = (uint8_t)k;
    } else if (k == SL_FC_RACK_COOLING) {
        if (sl_world_rack_cooling(s->w, u, 1) != SL_OK) {
            fail_nomem(s);
            return;
        }
        blast = "rack-cooling";
        r.first = u;
        r.rack_cool = 1;
        r.cls = (uint8_t)k;
    } else if (sl_fault_class_unit[k] == SL_FU_FACILITY) {
        c->down++;
        size_t before = c->shed;
        hit = reshed(s, k, now);
        blast = hit ? "site" : "none";
        r.fac = 1;
        r.cls = (uint8_t)k;
        if (hit > before)
            s->interruptions++;
    } else {
        blast = unit_blast(k, u, s, &first, &n, &bits, &blip);
        if (blip) /* the fabric routes around it once detected and restarted */
            down_us = f->detect_us + f->restart_us;
        range_reason(s, now, first, n, bits, 1);
        r.first = first;
        r.n = (uint32_t)n;
        r.bits = (uint8_t)bits;
        r.cls = (uint8_t)k;
        hit = n;
        if (n > 0)
            s->interruptions++;
    }
    size_t idx;
    if (add_rec(s, r, &idx) != SL_OK) {
        fail_nomem(s);
        return;
    }
    if (down_us <= 0)
        down_us = 1; /* an outage lasts at least 1 us */
    if (sl_engine_schedule(&s->w->eng, now + down_us, SL_PRIO_LOAD, on_up, s, idx, NULL) != SL_OK)
        fail_nomem(s);
    if (s->logging)
        fprintf(s->log.f, "%.3f,%s,%zu,%s,%s,%zu,%.3f\n", (double)now * 1e-6,
                sl_fault_class_names[k], u, permanent ? "permanent" : "transient", blast, hit,
                (double)down_us * 1e-6);
}

static void on_up(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_failures *s = ctx;
    int64_t now = sl_engine_now(eng);
    integrate(s, now);
    const struct fl_rec *r = &s->rec[arg];
    if (r->fac && is_cooling_class(r->cls)) {
        s->cls[r->cls].down--;
        recool(s);
    } else if (r->rack_cool) {
        sl_world_rack_cooling(s->w, r->first, 0);
    } else if (r->fac) {
        s->cls[r->cls].down--;
        reshed(s, r->cls, now);
    } else {
        range_reason(s, now, r->first, r->n, r->bits, 0);
    }
}

static void on_spare(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    struct sl_failures *s = ctx;
    s->spares[arg]++;
}

static void on_const(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_failures *s = ctx;
    int k = (int)arg;
    struct fl_class *c = &s->cls[k];
    int64_t now = sl_engine_now(eng);
    handle(s, k, (size_t)sl_rng_below(&c->r_pick, c->n), now);
    int64_t at = after_h(s, now, sl_rng_std_exponential(&c->r_const) / c->const_ph);
    if (at != INT64_MAX)
        schedule(s, at, on_const, arg);
}

static void on_cohort(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_failures *s = ctx;
    int k = (int)arg;
    struct fl_class *c = &s->cls[k];
    int64_t now = sl_engine_now(eng);
    size_t u = (size_t)sl_rng_below(&c->r_pick, c->n);
    if (!c->replaced[u]) { /* thinning: a replaced part has its own process */
        s->age_events++;
        handle(s, k, u, now);
    }
    double age_h = s->start_age_h + (double)now / US_PER_H;
    int64_t at = after_h(s, now, sl_hazard_sample(&c->cohort, age_h, &c->r_cohort));
    if (at != INT64_MAX)
        schedule(s, at, on_cohort, arg);
}

static void on_renew(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_failures *s = ctx;
    int k = (int)(arg & 31);
    size_t u = (size_t)((arg >> 5) & 0x7ffffff);
    uint32_t gen = (uint32_t)(arg >> 32);
    struct fl_class *c = &s->cls[k];
    if (c->gen[u] != gen)
        return; /* that part was replaced since */
    int64_t now = sl_engine_now(eng);
    s->age_events++;
    handle(s, k, u, now);
    if (c->gen[u] == gen) /* transient: the same part ages on */
        renew_next(s, k, u, now);
}

/* Installed and redundant units of facility class k in this center, 0
 * when it has none. */
static void facility_units(const struct sl_scenario *sc, int k, int64_t *installed,
                           int64_t *redundant)
{
    const struct sl_fault_class_cfg *f = &sc->failures.cls[k];
    *installed = 0;
    *redundant = 0;
    int present = 0;
    const char *name = sl_fault_class_names[k];
    if (k == SL_FC_UPS || k == SL_FC_RECTIFIER || k == SL_FC_SST) {
        const struct sl_stage_spec *st = sc->chain->stages.items;
        for (size_t i = 0; i < sc->chain->stages.n; i++) {
            if (st[i].scope == SL_SCOPE_FACILITY && strcmp(st[i].name, name) == 0) {
                present = 1;
                *installed = sl_stage_installed(&st[i]);
                *redundant = *installed - st[i].units;
                break;
            }
        }
    } else {
        present = k == SL_FC_CHILLER ||
                  (k == SL_FC_CDU && sc->cooling->kind != SL_COOLING_AIR_CHW) ||
                  (k == SL_FC_DRY_COOLER && sc->cooling->kind != SL_COOLING_AIR_CHW &&
                   sc->cooling->rejection == SL_REJECT_DRY_COOLER);
        if (present) {
            *installed = 5;
            *redundant = 1;
        }
    }
    if (present && f->units > 0) {
        *installed = f->units;
        *redundant = f->redundant;
    }
}

static size_t class_units(const struct sl_failures *s, const struct sl_scenario *sc, int k,
                          int64_t *installed, int64_t *redundant)
{
    const struct sl_fleet *f = s->fleet;
    const struct sl_fabric *fab = s->fab;
    switch (sl_fault_class_unit[k]) {
    case SL_FU_CARD:
        return f->ncards;
    case SL_FU_SERVER:
        return f->nservers;
    case SL_FU_LEAF:
        return fab ? fab->leaves : 0;
    case SL_FU_SPINE:
        return fab ? fab->spines + fab->cores : 0;
    case SL_FU_LINK:
        return fab ? fab->links : 0;
    case SL_FU_RACK:
        return f->nracks;
    case SL_FU_FACILITY:
        facility_units(sc, k, installed, redundant);
        return (size_t)*installed;
    default:
        return 0;
    }
}

static void seed_stream(struct sl_rng *r, uint64_t seed, int k, const char *use)
{
    char name[96];
    snprintf(name, sizeof name, "failures.%s.%s", sl_fault_class_names[k], use);
    sl_rng_seed(r, seed, sl_rng_source_id(name), 0);
}

static int start(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct sl_failures *s = state;
    const struct sl_scenario *sc = w->sc;
    s->w = w;
    s->fleet = &w->fleet;
    s->cfg = &sc->failures;
    s->fab = w->has_fabric ? &w->fabric : NULL;
    s->burnin_h = (double)sc->burnin.duration_us / US_PER_H;
    s->start_age_h = sl_faults_start_age_h(sc);
    size_t N = s->fleet->nservers;
    s->nfailed = sl_calloc(N ? N : 1, sizeof *s->nfailed);
    s->nfabric = sl_calloc(N ? N : 1, sizeof *s->nfabric);
    if (!s->nfailed || !s->nfabric)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (int p = 0; p < SL_SP_COUNT; p++)
        s->spares[p] = s->cfg->spares.count[p];
    if (w->out_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/failures.csv", w->out_dir);
        int rc = sl_outfile_open(&s->log, path, d);
        if (rc != SL_OK)
            return rc;
        s->logging = 1;
        fputs("time_s,class,unit,kind,blast,servers,downtime_s\n", s->log.f);
    }
    uint64_t seed = (uint64_t)sc->run.seed;
    for (int k = 0; k < SL_FC_COUNT; k++) {
        struct fl_class *c = &s->cls[k];
        c->n = class_units(s, sc, k, &c->installed, &c->redundant);
        if (c->n == 0)
            continue;
        if (c->n >= (1u << 27)) /* the renewal events' argument holds 27 bits of unit */
            return sl_diag_set(d, SL_ERANGE, NULL, 0, 0,
                               "failures.%s: %zu units, more than the %u the failure source "
                               "tracks",
                               sl_fault_class_names[k], c->n, 1u << 27);
        struct sl_hazard one;
        int rc = sl_fault_class_hazard(&s->cfg->cls[k], &one);
        if (rc != SL_OK)
            return sl_diag_set(d, rc, NULL, 0, 0, "failures.%s: hazard out of range",
                               sl_fault_class_names[k]);
        c->const_ph = one.rate_per_h * (double)c->n;
        c->age1 = one;
        c->age1.rate_per_h = 0;
        sl_hazard_init(&c->cohort);
        if ((rc = sl_hazard_add(&c->cohort, &c->age1, (double)c->n)) != SL_OK)
            return sl_diag_set(d, rc, NULL, 0, 0, "failures.%s: hazard out of range",
                               sl_fault_class_names[k]);
        c->has_age = c->age1.nterms > 0;
        seed_stream(&c->r_const, seed, k, "const");
        seed_stream(&c->r_cohort, seed, k, "cohort");
        seed_stream(&c->r_pick, seed, k, "pick");
        seed_stream(&c->r_kind, seed, k, "kind");
        seed_stream(&c->r_repair, seed, k, "repair");
        seed_stream(&c->r_renew, seed, k, "renew");
        if (c->has_age) {
            c->replaced = sl_calloc(c->n, sizeof *c->replaced);
            c->installed_us = sl_calloc(c->n, sizeof *c->installed_us);
            c->gen = sl_calloc(c->n, sizeof *c->gen);
            if (!c->replaced || !c->installed_us || !c->gen)
                return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            int64_t at = after_h(s, 0, sl_hazard_sample(&c->cohort, s->start_age_h, &c->r_cohort));
            if (at != INT64_MAX)
                schedule(s, at, on_cohort, (uint64_t)k);
        }
        if (c->const_ph > 0) {
            int64_t at = after_h(s, 0, sl_rng_std_exponential(&c->r_const) / c->const_ph);
            if (at != INT64_MAX)
                schedule(s, at, on_const, (uint64_t)k);
        }
    }
    return w->error;
}

static void release(void *state)
{
    struct sl_failures *s = state;
    for (int k = 0; k < SL_FC_COUNT; k++) {
        sl_free(s->cls[k].replaced);
        sl_free(s->cls[k].installed_us);
        sl_free(s->cls[k].gen);
    }
    sl_free(s->nfailed);
    sl_free(s->nfabric);
    sl_free(s->rec);
    sl_outfile_abort(&s->log);
    memset(s, 0, sizeof *s);
}

static int enabled(const struct sl_scenario *sc)
{
    return sc->failures.enabled;
}

static const char *const columns[] = {"servers_down"};

/* Mean servers with any down bit from this source over the row. */
static void sample(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values)
{
    (void)w;
    struct sl_failures *s = state;
    integrate(s, t1_us);
    values[0] = (s->server_down_s - s->sampled_down_s) / ((double)(t1_us - t0_us) * 1e-6);
    s->sampled_down_s = s->server_down_s;
}

static int summary(void *state, const struct sl_world *w, struct sl_summary *sm)
{
    struct sl_failures *s = state;
    integrate(s, w->end_us);
    double T = (double)w->end_us * 1e-6;
    int rc = sl_summary_int(sm, "failures.events", (int64_t)s->events);
    if (rc == SL_OK)
        rc = sl_summary_int(sm, "failures.interruptions", (int64_t)s->interruptions);
    for (int k = 0; rc == SL_OK && k < SL_FC_COUNT; k++) {
        char key[96];
        snprintf(key, sizeof key, "failures.by_class.%s", sl_fault_class_names[k]);
        rc = sl_summary_int(sm, key, (int64_t)s->cls[k].events);
    }
    if (rc == SL_OK)
        rc = sl_summary_int(sm, "failures.age_related", (int64_t)s->age_events);
    if (rc == SL_OK)
        rc = sl_summary_int(sm, "failures.repairs", (int64_t)s->repairs);
    if (rc == SL_OK)
        rc = sl_summary_int(sm, "failures.spares_used", (int64_t)s->spares_used);
    double ns = (double)s->fleet->nservers, nc = (double)s->fleet->ncards;
    if (rc == SL_OK)
        rc = sl_summary_num(sm, "availability.servers",
                            T > 0 && ns > 0 ? 1 - s->server_down_s / (ns * T) : 1);
    if (rc == SL_OK)
        rc = sl_summary_num(sm, "availability.cards",
                            T > 0 && nc > 0 ? 1 - s->card_off_s / (nc * T) : 1);
    if (rc == SL_OK && s->logging) {
        struct sl_diag d;
        s->logging = 0;
        if (sl_outfile_commit(&s->log, &d) != SL_OK)
            return d.code ? d.code : SL_EIO;
    }
    return rc;
}

const struct sl_source_ops sl_failures_source = {
    .name = "failures",
    .state_size = sizeof(struct sl_failures),
    .enabled = enabled,
    .start = start,
    .release = release,
    .ncolumns = 1,
    .columns = columns,
    .sample = sample,
    .summary = summary,
};
