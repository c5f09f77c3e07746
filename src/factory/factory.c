/*
 * The factory line as a discrete-event model (suanli/factory.h).
 *
 * The line is a tandem of stations.  Station s has m_s machines and an
 * input buffer of b_s places (0: unlimited); servers take the machines in
 * FIFO order.  A machine that finishes a server passes it to the next
 * station's buffer, or, when that is full, keeps it and is blocked
 * (blocking after service) until the next station takes a server from its
 * buffer; blocked machines are released in the order they blocked.  The
 * first station never starves: boards are always at hand, so the line's
 * output is what its bottleneck allows, and the finite buffers bound the
 * WIP in front of it.
 *
 * A work station's time per server is fixed or drawn (exponential,
 * lognormal or gamma with the station's mean and coefficient of
 * variation).  At the start of each server it is decided, with the
 * station's first-pass yield, whether the server fails; a failed server
 * leaves the machine at the end of its cycle, spends `rework` off the line
 * (in parallel, no capacity limit) and rejoins the station's buffer (over
 * its capacity if need be: it is already inside).  Each machine breaks
 * down after exponential times of mean mtbf (calendar time) and is
 * repaired in an exponential time of mean mttr; a staffed station works
 * only in shift hours.  A machine that breaks down or whose shift ends
 * keeps its server and resumes it later with the time it had left
 * (preemptive resume).
 *
 * The burn-in area is a station of `burnin.slots` slots, open around the
 * clock, where each server stays `burnin.duration`.  With `failures`
 * enabled, it fails during a burn-in at a time drawn from the whole
 * server's hazard from age 0 (sl_faults_server_hazard: its card and host
 * classes, infant mortality included); otherwise from a constant hazard
 * chosen so that it fails one burn-in with probability `burnin.fallout`.
 * A server that fails leaves its slot,
 * is repaired (`burnin.repair`) and starts its burn-in again from zero
 * (failures-traces.md section 3: a burn-in "restarted from zero on any
 * part failure").  Each server in burn-in draws the scenario's server
 * model at `burnin.load` (src/fleet/server.h, air-cooled).
 *
 * Measurement.  Every count that changes (servers on the line, busy,
 * blocked and down machines, open stations, servers in burn-in) is
 * integrated over time as it changes, within the measured window only;
 * the time-average WIP is that integral over the window, independent of
 * the cycle times, so Little's law (WIP = throughput x mean cycle time) is
 * a check of the model, not an identity.  Randomness: one stream per
 * source and station (cycle times, yield, burn-in failures) and per source
 * and machine (breakdowns, repairs), keyed by run.seed.
 */
#include "suanli/factory.h"

#include "faults/hazard.h"
#include "fleet/server.h"
#include "suanli/alloc.h"
#include "suanli/engine.h"
#include "suanli/rng.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US  INT64_C(86400000000)
#define WEEK_US (7 * DAY_US)

/* ---- the built-in line ---- */

/* A 4U 8-card server line paced at 5 min (DESIGN.md: "bare board to
 * finished server in 5 min at full rate"); docs/model.md derives each row.
 * Assembly is staffed; the test stands and the burn-in area run around the
 * clock. */
#define WORK(nm, cyc_min, law, cv_, mach, staff, yld, rew_min, mtbf_h, mttr_min, buf, pw)          \
    {                                                                                              \
        SL_TEXT(nm), SL_STATION_WORK, (int64_t)((cyc_min)*60e6), law, cv_, mach, staff, yld,       \
            (int64_t)((rew_min)*60e6), (int64_t)((mtbf_h)*3600e6), (int64_t)((mttr_min)*60e6),     \
            buf, pw                                                                                \
    }
static const struct sl_station_cfg default_line[] = {
    WORK("kitting", 4.0, SL_CYCLE_LOGNORMAL, 0.1, 1, 1, 1.0, 30, 0, 30, 10, 1000),
    WORK("board-assembly", 4.5, SL_CYCLE_LOGNORMAL, 0.1, 1, 1, 1.0, 30, 0, 30, 10, 2000),
    WORK("card-install", 5.0, SL_CYCLE_LOGNORMAL, 0.1, 1, 1, 1.0, 30, 40, 20, 10, 3000),
    WORK("chassis", 4.5, SL_CYCLE_LOGNORMAL, 0.1, 1, 1, 1.0, 30, 0, 30, 10, 1500),
    WORK("functional-test", 30.0, SL_CYCLE_LOGNORMAL, 0.1, 8, 0, 0.97, 45, 0, 30, 10, 2500),
    {SL_TEXT("burnin"), SL_STATION_BURNIN, 0, SL_CYCLE_FIXED, 0, 1, 0, 1.0, 0, 0, 0, 50, 0},
    WORK("final-test", 20.0, SL_CYCLE_LOGNORMAL, 0.1, 6, 0, 0.99, 60, 0, 30, 10, 2500),
    WORK("packing", 4.0, SL_CYCLE_LOGNORMAL, 0.1, 1, 1, 1.0, 30, 0, 30, 10, 1000),
    WORK("shipping", 2.0, SL_CYCLE_FIXED, 0.0, 1, 1, 1.0, 30, 0, 30, 10, 500),
};

const struct sl_station_cfg *sl_factory_default_line(size_t *n)
{
    *n = sizeof default_line / sizeof default_line[0];
    return default_line;
}

/* ---- model state ---- */

enum { M_IDLE = 0, M_BUSY = 1, M_BLOCKED = 2 };

/* One machine (a burn-in slot).  While BUSY it holds unit; running says
 * whether its completion event ev is pending (at end_us), else it is
 * paused with remaining_us left.  fail: the server fails at this cycle's
 * end. */
struct machine {
    int state;
    int down;
    int running;
    int fail;
    int32_t unit;
    int64_t end_us;
    int64_t remaining_us;
    uint64_t ev;
};

/* A FIFO of int32 values (units in a buffer, machines blocked on it). */
struct fifo {
    int32_t *v;
    size_t head, n, cap;
};

struct station {
    const struct sl_station_cfg *cfg;
    int kind;
    int staffed;
    int64_t nm;
    int64_t cycle_us;
    double yield;
    int64_t mtbf_us, mttr_us;
    struct machine *m;
    struct fifo queue;   /* servers in the input buffer */
    struct fifo blocked; /* machines of the previous station waiting for room */
    struct sl_rng rng_cycle, rng_yield;
    struct sl_rng *rng_break; /* one per machine, breakdowns and repairs */
    /* Counts and their integrals over the window (machine-microseconds). */
    int64_t nbusy, nblocked, ndown, nheld;
    double a_busy, a_blocked, a_down, a_open;
    double power_w;
    uint64_t passed, failed;
};

struct unit {
    int64_t start_us;
    int32_t station;
    int32_t next_free;
};

struct model {
    const struct sl_scenario *sc;
    struct sl_engine eng;
    struct station *st;
    size_t ns;
    size_t burn; /* index of the burn-in station, or ns */
    struct unit *u;
    size_t nu, ucap;
    int32_t ufree;
    int open; /* shift hours */
    /* Shift transitions in a week, alternating open/close, from a close. */
    int64_t *shift_t;
    size_t nshift;
    int always_open;
    double burn_rate_per_us; /* constant burn-in hazard (fallout) */
    int use_hazard;          /* failures on: the server's hazard instead */
    struct sl_hazard hazard;
    struct sl_rng rng_burn;
    double server_w;
    /* Measurement. */
    int64_t t_last, t_win0, t_end;
    int in_window;
    int64_t wip;
    double a_wip, a_burn, a_line_j, a_burn_j;
    uint64_t started, shipped, burn_fail, burn_pass;
    double *ct;
    size_t nct, ctcap;
    /* The current day. */
    struct sl_factory_day day;
    double d_wip, d_burn, d_j;
    struct sl_factory_day *days;
    size_t ndays, dcap;
    int failed_alloc;
    const struct sl_factory_opts *opts;
    int stopped;
};

/* ---- small containers ---- */

static int fifo_push(struct fifo *f, int32_t x)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        int32_t *v = sl_reallocarray(NULL, cap, sizeof *v);
        if (!v)
            return SL_ENOMEM;
        for (size_t i = 0; i < f->n; i++)
            v[i] = f->v[(f->head + i) % f->cap];
        sl_free(f->v);
        f->v = v;
        f->cap = cap;
        f->head = 0;
    }
    f->v[(f->head + f->n) % f->cap] = x;
    f->n++;
    return SL_OK;
}

static int32_t fifo_pop(struct fifo *f)
{
    assert(f->n > 0);
    int32_t x = f->v[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    return x;
}

static int32_t unit_new(struct model *md, int64_t now)
{
    if (md->ufree < 0) {
        if (md->nu == md->ucap) {
            size_t cap = md->ucap ? 2 * md->ucap : 1024;
            struct unit *u = sl_reallocarray(md->u, cap, sizeof *u);
            if (!u) {
                md->failed_alloc = 1;
                return -1;
            }
            md->u = u;
            md->ucap = cap;
        }
        md->u[md->nu].next_free = -1;
        md->ufree = (int32_t)md->nu++;
    }
    int32_t id = md->ufree;
    md->ufree = md->u[id].next_free;
    md->u[id].start_us = now;
    md->u[id].station = 0;
    md->u[id].next_free = -1;
    return id;
}

static void unit_free(struct model *md, int32_t id)
{
    md->u[id].next_free = md->ufree;
    md->ufree = id;
}

/* ---- measurement ---- */

/* Integrates every count from t_last to now (inside the window only). */
static void advance(struct model *md)
{
    int64_t now = sl_engine_now(&md->eng);
    if (!md->in_window || now <= md->t_last) {
        md->t_last = now > md->t_last ? now : md->t_last;
        return;
    }
    double dt = (double)(now - md->t_last);
    md->a_wip += (double)md->wip * dt;
    md->d_wip += (double)md->wip * dt;
    double line_w = 0;
    for (size_t s = 0; s < md->ns; s++) {
        struct station *st = &md->st[s];
        int open = !st->staffed || md->open;
        st->a_busy += (double)st->nbusy * dt;
        if (open) {
            st->a_open += (double)st->nm * dt;
            st->a_blocked += (double)st->nblocked * dt;
            st->a_down += (double)st->ndown * dt;
        }
        if (st->kind == SL_STATION_WORK)
            line_w += st->power_w * (double)st->nbusy;
    }
    md->a_line_j += line_w * dt * 1e-6;
    md->d_j += line_w * dt * 1e-6;
    if (md->burn < md->ns) {
        double occ = (double)md->st[md->burn].nbusy;
        md->a_burn += occ * dt;
        md->d_burn += occ * dt;
        md->a_burn_j += occ * md->server_w * dt * 1e-6;
        md->d_j += occ * md->server_w * dt * 1e-6;
    }
    md->t_last = now;
}

static void note_burn_max(struct model *md)
{
    if (md->in_window && md->burn < md->ns && md->st[md->burn].nbusy > md->day.burnin_max)
        md->day.burnin_max = md->st[md->burn].nbusy;
}

/* ---- the line ---- */

static void ev_complete(struct sl_engine *e, void *ctx, uint64_t arg);
static void try_start(struct model *md, size_t s);

static int available(const struct model *md, const struct station *st, const struct machine *m)
{
    return !m->down && (!st->staffed || md->open);
}

static uint64_t key(size_t s, int64_t m)
{
    return ((uint64_t)s << 32) | (uint64_t)m;
}

static void schedule_end(struct model *md, size_t s, int64_t mi)
{
    struct machine *m = &md->st[s].m[mi];
    m->end_us = sl_engine_now(&md->eng) + m->remaining_us;
    if (sl_engine_schedule(&md->eng, m->end_us, 0, ev_complete, md, key(s, mi), &m->ev) != SL_OK)
        md->failed_alloc = 1;
    m->running = 1;
}

/* Pauses or resumes machine mi of station s after its availability
 * changed. */
static void refresh(struct model *md, size_t s, int64_t mi)
{
    struct station *st = &md->st[s];
    struct machine *m = &st->m[mi];
    if (m->state != M_BUSY)
        return;
    int av = available(md, st, m);
    if (m->running && !av) {
        m->remaining_us = m->end_us - sl_engine_now(&md->eng);
        sl_engine_cancel(&md->eng, m->ev);
        m->running = 0;
        st->nbusy--;
        st->nheld++;
    } else if (!m->running && av) {
        schedule_end(md, s, mi);
        st->nbusy++;
        st->nheld--;
    }
}

static int64_t draw_cycle(struct station *st)
{
    double mean = (double)st->cycle_us, cv = st->cfg->cv, t = mean;
    switch (st->cfg->dist) {
    case SL_CYCLE_EXPONENTIAL:
        t = sl_rng_exponential(&st->rng_cycle, mean);
        break;
    case SL_CYCLE_LOGNORMAL:
        if (cv > 0) {
            double s2 = log1p(cv * cv);
            t = sl_rng_lognormal(&st->rng_cycle, log(mean) - 0.5 * s2, sqrt(s2));
        }
        break;
    case SL_CYCLE_GAMMA:
        if (cv > 0)
            t = sl_rng_gamma(&st->rng_cycle, 1.0 / (cv * cv), mean * cv * cv);
        break;
    default:
        break;
    }
    if (!(t < 9e18))
        t = 9e18;
    return (int64_t)llround(t);
}

/* Puts unit u on machine mi of station s. */
static void start(struct model *md, size_t s, int64_t mi, int32_t u)
{
    struct station *st = &md->st[s];
    struct machine *m = &st->m[mi];
    m->state = M_BUSY;
    m->unit = u;
    md->u[u].station = (int32_t)s;
    if (st->kind == SL_STATION_BURNIN) {
        int64_t dur = md->sc->burnin.duration_us;
        m->fail = 0;
        m->remaining_us = dur;
        double ttf = INFINITY;
        if (md->use_hazard)
            ttf = sl_hazard_sample(&md->hazard, 0.0, &md->rng_burn) * 3600e6;
        else if (md->burn_rate_per_us > 0)
            ttf = sl_rng_exponential(&md->rng_burn, 1.0 / md->burn_rate_per_us);
        {
            if (ttf < (double)dur) {
                m->fail = 1;
                m->remaining_us = (int64_t)llround(ttf);
            }
        }
    } else {
        m->fail = st->yield < 1.0 && sl_rng_uniform(&st->rng_yield) >= st->yield;
        m->remaining_us = draw_cycle(st);
    }
    m->running = 0;
    st->nheld++;
    refresh(md, s, mi);
    if (st->kind == SL_STATION_BURNIN)
        note_burn_max(md);
}

static int can_accept(const struct station *st)
{
    return st->cfg->buffer == 0 || st->queue.n < (size_t)st->cfg->buffer;
}

/* Room appeared in station s's buffer: machines of station s - 1 blocked on
 * it pass their servers in, in the order they blocked. */
static void unblock(struct model *md, size_t s)
{
    struct station *st = &md->st[s];
    while (st->blocked.n > 0 && can_accept(st)) {
        int64_t mi = fifo_pop(&st->blocked);
        struct station *up = &md->st[s - 1];
        struct machine *m = &up->m[mi];
        assert(m->state == M_BLOCKED);
        if (fifo_push(&st->queue, m->unit) != SL_OK)
            md->failed_alloc = 1;
        m->state = M_IDLE;
        up->nblocked--;
        try_start(md, s - 1);
    }
}

/* Starts servers on station s's free machines while it has work. */
static void try_start(struct model *md, size_t s)
{
    struct station *st = &md->st[s];
    for (int64_t mi = 0; mi < st->nm; mi++) {
        struct machine *m = &st->m[mi];
        if (m->state != M_IDLE || !available(md, st, m))
            continue;
        int32_t u;
        if (s == 0) {
            u = unit_new(md, sl_engine_now(&md->eng));
            if (u < 0)
                return;
            advance(md);
            md->wip++;
            if (md->in_window) {
                md->started++;
                md->day.started++;
            }
        } else if (st->queue.n > 0) {
            u = fifo_pop(&st->queue);
        } else {
            return;
        }
        advance(md);
        start(md, s, mi, u);
        if (s > 0)
            unblock(md, s);
    }
}

static void ev_back(struct sl_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct model *md = ctx;
    int32_t u = (int32_t)arg;
    size_t s = (size_t)md->u[u].station;
    if (fifo_push(&md->st[s].queue, u) != SL_OK)
        md->failed_alloc = 1;
    try_start(md, s);
}

static void ship(struct model *md, int32_t u)
{
    advance(md);
    md->wip--;
    if (md->in_window) {
        md->shipped++;
        md->day.shipped++;
        if (md->nct == md->ctcap) {
            size_t cap = md->ctcap ? 2 * md->ctcap : 4096;
            double *ct = sl_reallocarray(md->ct, cap, sizeof *ct);
            if (!ct) {
                md->failed_alloc = 1;
                unit_free(md, u);
                return;
            }
            md->ct = ct;
            md->ctcap = cap;
        }
        md->ct[md->nct++] = (double)(sl_engine_now(&md->eng) - md->u[u].start_us) * 1e-6;
    }
    unit_free(md, u);
}

static void ev_complete(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct model *md = ctx;
    size_t s = (size_t)(arg >> 32);
    int64_t mi = (int64_t)(arg & 0xffffffffu);
    struct station *st = &md->st[s];
    struct machine *m = &st->m[mi];
    advance(md);
    m->running = 0;
    st->nbusy--;
    int32_t u = m->unit;
    if (m->fail) {
        if (md->in_window) {
            st->failed++;
            if (st->kind == SL_STATION_BURNIN) {
                md->burn_fail++;
                md->day.burnin_failures++;
            }
        }
        int64_t back =
            st->kind == SL_STATION_BURNIN ? md->sc->burnin.repair_us : st->cfg->rework_us;
        if (sl_engine_schedule_in(e, back, 0, ev_back, md, (uint64_t)u, NULL) != SL_OK)
            md->failed_alloc = 1;
        m->state = M_IDLE;
    } else {
        if (md->in_window) {
            st->passed++;
            if (st->kind == SL_STATION_BURNIN)
                md->burn_pass++;
        }
        if (s + 1 == md->ns) {
            ship(md, u);
            m->state = M_IDLE;
        } else if (can_accept(&md->st[s + 1])) {
            if (fifo_push(&md->st[s + 1].queue, u) != SL_OK)
                md->failed_alloc = 1;
            m->state = M_IDLE;
            try_start(md, s + 1);
        } else {
            m->state = M_BLOCKED;
            st->nblocked++;
            if (fifo_push(&md->st[s + 1].blocked, (int32_t)mi) != SL_OK)
                md->failed_alloc = 1;
        }
    }
    try_start(md, s);
}

/* ---- breakdowns ---- */

static void ev_repair(struct sl_engine *e, void *ctx, uint64_t arg);

static void ev_break(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct model *md = ctx;
    size_t s = (size_t)(arg >> 32);
    int64_t mi = (int64_t)(arg & 0xffffffffu);
    struct station *st = &md->st[s];
    advance(md);
    st->m[mi].down = 1;
    st->ndown++;
    refresh(md, s, mi);
    double rep = sl_rng_exponential(&st->rng_break[mi], (double)st->mttr_us);
    if (sl_engine_schedule_in(e, (int64_t)llround(rep), 0, ev_repair, md, arg, NULL) != SL_OK)
        md->failed_alloc = 1;
}

static void schedule_break(struct model *md, size_t s, int64_t mi)
{
    struct station *st = &md->st[s];
    double ttf = sl_rng_exponential(&st->rng_break[mi], (double)st->mtbf_us);
    if (sl_engine_schedule_in(&md->eng, (int64_t)llround(ttf), 0, ev_break, md, key(s, mi), NULL) !=
        SL_OK)
        md->failed_alloc = 1;
}

static void ev_repair(struct sl_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct model *md = ctx;
    size_t s = (size_t)(arg >> 32);
    int64_t mi = (int64_t)(arg & 0xffffffffu);
    struct station *st = &md->st[s];
    advance(md);
    st->m[mi].down = 0;
    st->ndown--;
    refresh(md, s, mi);
    schedule_break(md, s, mi);
    try_start(md, s);
}

/* ---- shifts ---- */

/* Builds the week's transitions of the shift calendar: the open intervals
 * [day + k length + break, day + (k + 1) length) of the working days,
 * merged where they touch. */
static int build_shifts(struct model *md)
{
    const struct sl_shifts_cfg *sh = &md->sc->factory.shifts;
    size_t cap = (size_t)(2 * sh->per_day * sh->days + 2);
    int64_t *t = sl_reallocarray(NULL, cap, sizeof *t);
    if (!t)
        return SL_ENOMEM;
    size_t n = 0;
    for (int64_t day = 0; day < sh->days; day++)
        for (int64_t k = 0; k < sh->per_day; k++) {
            int64_t a = day * DAY_US + k * sh->length_us + sh->break_us;
            int64_t b = day * DAY_US + (k + 1) * sh->length_us;
            if (b <= a)
                continue;
            if (n > 0 && t[n - 1] == a)
                t[n - 1] = b; /* extends the previous interval */
            else {
                t[n++] = a;
                t[n++] = b;
            }
        }
    /* Open all week: one interval [0, week). */
    md->always_open = n == 2 && t[0] == 0 && t[1] == WEEK_US;
    /* An interval ending at the week's end that the next week's first one
     * continues is kept split: the transition then is a no-op close/open
     * pair at the same instant, harmless. */
    md->shift_t = t;
    md->nshift = n;
    return SL_OK;
}

static void ev_shift(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct model *md = ctx;
    size_t i = (size_t)arg; /* index into the week's transitions */
    advance(md);
    md->open = (i % 2) == 0;
    for (size_t s = 0; s < md->ns; s++) {
        if (!md->st[s].staffed)
            continue;
        for (int64_t mi = 0; mi < md->st[s].nm; mi++)
            refresh(md, s, mi);
    }
    for (size_t s = md->ns; s-- > 0;)
        if (md->st[s].staffed)
            try_start(md, s);
    size_t next = i + 1;
    int64_t week0 = sl_engine_now(e) - md->shift_t[i]; /* this event's week */
    int64_t t;
    if (next == md->nshift) {
        next = 0;
        t = week0 + WEEK_US + md->shift_t[0];
    } else {
        t = week0 + md->shift_t[next];
    }
    if (sl_engine_schedule(e, t, -1, ev_shift, md, (uint64_t)next, NULL) != SL_OK)
        md->failed_alloc = 1;
}

/* ---- days and the window ---- */

static void ev_day(struct sl_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct model *md = ctx;
    advance(md);
    if (md->in_window) {
        if (md->ndays == md->dcap) {
            size_t cap = md->dcap ? 2 * md->dcap : 64;
            struct sl_factory_day *d = sl_reallocarray(md->days, cap, sizeof *d);
            if (!d) {
                md->failed_alloc = 1;
                return;
            }
            md->days = d;
            md->dcap = cap;
        }
        int64_t t0 = md->t_win0 + (int64_t)md->ndays * DAY_US;
        double len = (double)(sl_engine_now(e) - t0);
        struct sl_factory_day *row = &md->days[md->ndays++];
        *row = md->day;
        row->wip_mean = len > 0 ? md->d_wip / len : 0;
        row->burnin_mean = len > 0 ? md->d_burn / len : 0;
        row->burnin_kw_mean = row->burnin_mean * md->server_w * 1e-3;
        row->burnin_kw_max = (double)row->burnin_max * md->server_w * 1e-3;
        row->energy_kwh = md->d_j / 3.6e6;
    }
    /* The window opens at the first call (the warm-up's end). */
    md->in_window = 1;
    memset(&md->day, 0, sizeof md->day);
    md->d_wip = md->d_burn = md->d_j = 0;
    note_burn_max(md);
    int64_t next = sl_engine_now(e) + DAY_US;
    if (next > md->t_end)
        next = md->t_end;
    if (next > sl_engine_now(e) &&
        sl_engine_schedule(e, next, SL_PRIO_MAX, ev_day, md, 0, NULL) != SL_OK)
        md->failed_alloc = 1;
}

static void on_progress(struct sl_engine *e, void *ctx)
{
    struct model *md = ctx;
    if (md->opts && md->opts->stop && *md->opts->stop) {
        md->stopped = 1;
        sl_engine_stop(e);
        return;
    }
    if (md->failed_alloc) {
        sl_engine_stop(e);
        return;
    }
    if (md->opts && md->opts->progress)
        md->opts->progress(md->opts->progress_ctx, (double)sl_engine_now(e) / (double)md->t_end,
                           sl_engine_fired(e));
}

/* ---- setup and results ---- */

static void model_release(struct model *md)
{
    sl_engine_release(&md->eng);
    for (size_t s = 0; s < md->ns; s++) {
        sl_free(md->st[s].m);
        sl_free(md->st[s].queue.v);
        sl_free(md->st[s].blocked.v);
        sl_free(md->st[s].rng_break);
    }
    sl_free(md->st);
    sl_free(md->u);
    sl_free(md->ct);
    sl_free(md->days);
    sl_free(md->shift_t);
}

/* The server model's input power at the burn-in load, air-cooled. */
static int burnin_power(const struct sl_scenario *sc, double *w, struct sl_diag *d)
{
    struct sl_server_calc c;
    int rc = sl_server_calc_init(&c, sc->server, sc->device, sc->cpu, sc->chain, 0, 0, d);
    if (rc != SL_OK)
        return rc;
    double load = sc->burnin.load;
    double cards_w = (double)sc->server->cards *
                     (sc->device->idle_w + (sc->device->tdp_w - sc->device->idle_w) * load);
    struct sl_server_power p;
    sl_server_eval(&c, cards_w, load, &p);
    *w = p.input_w;
    return SL_OK;
}

static int model_init(struct model *md, const struct sl_scenario *sc, struct sl_diag *d)
{
    memset(md, 0, sizeof *md);
    md->sc = sc;
    md->ufree = -1;
    int rc = sl_engine_init(&md->eng);
    if (rc != SL_OK)
        return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
    const struct sl_station_cfg *cfg = sc->factory.stations.items;
    md->ns = sc->factory.stations.n;
    md->burn = md->ns;
    if (md->ns == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "factory.stations: the line has no station");
    md->st = sl_calloc(md->ns, sizeof *md->st);
    if (!md->st)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    uint64_t seed = (uint64_t)sc->run.seed;
    for (size_t s = 0; s < md->ns; s++) {
        struct station *st = &md->st[s];
        st->cfg = &cfg[s];
        st->kind = cfg[s].kind;
        if (st->kind == SL_STATION_BURNIN) {
            md->burn = s;
            st->staffed = 0;
            st->nm = sc->burnin.slots;
            st->cycle_us = sc->burnin.duration_us;
            st->yield = 1.0;
        } else {
            st->staffed = cfg[s].staffed;
            st->nm = cfg[s].machines;
            st->cycle_us = cfg[s].cycle_us;
            st->yield = cfg[s].yield;
            st->mtbf_us = cfg[s].mtbf_us;
            st->mttr_us = cfg[s].mttr_us;
            st->power_w = cfg[s].power_w;
        }
        if (st->nm < 1 || st->nm > INT32_MAX)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "factory station '%s': bad machine count",
                               cfg[s].name);
        st->m = sl_calloc((size_t)st->nm, sizeof *st->m);
        if (!st->m)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        sl_rng_seed(&st->rng_cycle, seed, sl_rng_source_id("factory.cycle"), s);
        sl_rng_seed(&st->rng_yield, seed, sl_rng_source_id("factory.yield"), s);
        if (st->mtbf_us > 0) {
            st->rng_break = sl_calloc((size_t)st->nm, sizeof *st->rng_break);
            if (!st->rng_break)
                return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            for (int64_t mi = 0; mi < st->nm; mi++)
                sl_rng_seed(&st->rng_break[mi], seed, sl_rng_source_id("factory.breakdown"),
                            key(s, mi));
        }
    }
    sl_rng_seed(&md->rng_burn, seed, sl_rng_source_id("factory.burnin"), 0);
    if (sc->failures.enabled) {
        /* The server's own hazard from age 0 (FAULTS, src/faults/hazard.h):
         * a server whose part failed restarts with the new part at age 0. */
        md->use_hazard = 1;
        if (sl_faults_server_hazard(&sc->failures, (size_t)sc->server->cards, &md->hazard) != SL_OK)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "failures: the server's hazard has too many distinct shapes");
    } else if (sc->burnin.fallout > 0 && sc->burnin.duration_us > 0) {
        md->burn_rate_per_us = -log1p(-sc->burnin.fallout) / (double)sc->burnin.duration_us;
    }
    if ((rc = burnin_power(sc, &md->server_w, d)) != SL_OK)
        return rc;
    if (build_shifts(md) != SL_OK)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    md->t_win0 = sc->factory.warmup_us;
    md->t_end = sc->factory.warmup_us + sc->factory.duration_us;
    return SL_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted x[0..n) by linear interpolation (n >= 1). */
static double quantile(const double *x, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return x[n - 1];
    return x[i] + (x[i + 1] - x[i]) * (pos - (double)i);
}

static int collect(struct model *md, struct sl_factory_result *r)
{
    double win = (double)(md->t_end - md->t_win0);
    r->window_s = win * 1e-6;
    r->started = md->started;
    r->shipped = md->shipped;
    r->per_day = (double)md->shipped / (win / (double)DAY_US);
    r->per_year = r->per_day * 365.0;
    r->wip_mean = md->a_wip / win;
    if (md->nct > 0) {
        qsort(md->ct, md->nct, sizeof *md->ct, cmp_double);
        double sum = 0;
        for (size_t i = 0; i < md->nct; i++)
            sum += md->ct[i];
        r->ct_mean_s = sum / (double)md->nct;
        r->ct_p50_s = quantile(md->ct, md->nct, 0.50);
        r->ct_p95_s = quantile(md->ct, md->nct, 0.95);
    }
    r->little_wip = (double)md->shipped / r->window_s * r->ct_mean_s;
    r->little_error = r->wip_mean > 0 ? fabs(r->wip_mean - r->little_wip) / r->wip_mean : 0;
    r->stations = sl_calloc(md->ns, sizeof *r->stations);
    if (!r->stations)
        return SL_ENOMEM;
    r->nstations = md->ns;
    double best = -1;
    for (size_t s = 0; s < md->ns; s++) {
        struct station *st = &md->st[s];
        struct sl_factory_station *o = &r->stations[s];
        o->name = st->cfg->name;
        o->kind = st->kind;
        o->machines = st->nm;
        double open = st->a_open;
        o->busy = open > 0 ? st->a_busy / open : 0;
        o->blocked = open > 0 ? st->a_blocked / open : 0;
        o->down = open > 0 ? st->a_down / open : 0;
        o->utilisation = open - st->a_down > 0 ? st->a_busy / (open - st->a_down) : 0;
        o->passed = st->passed;
        o->failed = st->failed;
        o->energy_j =
            st->kind == SL_STATION_BURNIN ? md->a_burn_j : st->power_w * st->a_busy * 1e-6;
        if (o->utilisation > best) {
            best = o->utilisation;
            r->bottleneck = s;
        }
    }
    if (md->burn < md->ns) {
        r->burnin_slots = md->st[md->burn].nm;
        r->burnin_mean = md->a_burn / win;
        int64_t mx = 0;
        for (size_t i = 0; i < md->ndays; i++)
            if (md->days[i].burnin_max > mx)
                mx = md->days[i].burnin_max;
        r->burnin_max = (double)mx;
    }
    r->burnin_server_w = md->server_w;
    r->burnin_kw_mean = r->burnin_mean * md->server_w * 1e-3;
    r->burnin_kw_max = r->burnin_max * md->server_w * 1e-3;
    r->burnin_energy_j = md->a_burn_j;
    r->line_energy_j = md->a_line_j;
    r->burnin_failures = md->burn_fail;
    r->burnin_passed = md->burn_pass;
    r->kwh_per_server =
        md->shipped ? (md->a_burn_j + md->a_line_j) / 3.6e6 / (double)md->shipped : 0;
    r->days = md->days;
    r->ndays = md->ndays;
    md->days = NULL;
    r->events = sl_engine_fired(&md->eng);
    return SL_OK;
}

int sl_factory_run(const struct sl_scenario *sc, const struct sl_factory_opts *o,
                   struct sl_factory_result *r, struct sl_diag *d)
{
    memset(r, 0, sizeof *r);
    struct model md;
    int rc = model_init(&md, sc, d);
    if (rc != SL_OK) {
        model_release(&md);
        return rc;
    }
    md.opts = o;
    md.open = 1;
    sl_engine_set_progress(&md.eng, on_progress, &md, 65536);
    /* Shifts: start at the first transition of the week that lies ahead. */
    if (!md.always_open && md.nshift > 0) {
        md.open = 0;
        rc = sl_engine_schedule(&md.eng, md.shift_t[0], -1, ev_shift, &md, 0, NULL);
    }
    for (size_t s = 0; rc == SL_OK && s < md.ns; s++)
        for (int64_t mi = 0; mi < md.st[s].nm && md.st[s].mtbf_us > 0; mi++)
            schedule_break(&md, s, mi);
    /* The first day event opens the window; without a warm-up the window
     * is open from the start and the first event closes day 1. */
    if (rc == SL_OK && md.t_win0 > 0) {
        rc = sl_engine_schedule(&md.eng, md.t_win0, SL_PRIO_MAX, ev_day, &md, 0, NULL);
    } else if (rc == SL_OK) {
        md.in_window = 1;
        rc = sl_engine_schedule(&md.eng, DAY_US < md.t_end ? DAY_US : md.t_end, SL_PRIO_MAX, ev_day,
                                &md, 0, NULL);
    }
    if (rc == SL_OK) {
        try_start(&md, 0);
        sl_engine_run(&md.eng, md.t_end);
        advance(&md);
        if (md.stopped)
            rc = sl_diag_set(d, SL_ESTATE, NULL, 0, 0, "interrupted");
        else if (md.failed_alloc)
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    } else {
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (rc == SL_OK && collect(&md, r) != SL_OK) {
        sl_factory_result_release(r);
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    model_release(&md);
    return rc;
}

void sl_factory_result_release(struct sl_factory_result *r)
{
    sl_free(r->stations);
    sl_free(r->days);
    memset(r, 0, sizeof *r);
}
