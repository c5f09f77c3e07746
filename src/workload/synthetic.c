/*
 * The synthetic load source (see synthetic.h).
 */
#include "workload/synthetic.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <string.h>

#define SL_PI   3.14159265358979323846
#define KNOT_US INT64_C(60000000)
/* How many events ahead to prefetch a server's state: about one memory
 * latency of work (bench/bench_run at 12,800 servers). */
#define PREFETCH_AHEAD 2

static double exact_target(const struct sl_synthetic *s, int64_t t_us)
{
    const struct sl_synthetic_cfg *c = s->cfg;
    int64_t phase_us = (s->tod0_us + t_us - c->peak_time_us) % c->period_us;
    if (phase_us < 0)
        phase_us += c->period_us;
    double x = (double)phase_us / (double)c->period_us;
    return c->mean + c->amplitude * cos(2.0 * SL_PI * x);
}

double sl_synthetic_target(struct sl_synthetic *s, int64_t t_us)
{
    const struct sl_synthetic_cfg *c = s->cfg;
    if (c->shape == SL_SHAPE_CONSTANT)
        return c->mean;
    /* Whole-minute knots, linear in between: a cosine per minute instead of
     * one per load change (the error is below 4e-7 of utilisation). */
    int64_t minute = t_us / KNOT_US;
    if (minute != s->knot) {
        s->knot = minute;
        s->knot_a = exact_target(s, minute * KNOT_US);
        s->knot_b = exact_target(s, (minute + 1) * KNOT_US);
    }
    double f = (double)(t_us - minute * KNOT_US) * (1.0 / (double)KNOT_US);
    return s->knot_a + (s->knot_b - s->knot_a) * f;
}

static double draw_level(struct sl_synthetic *s, size_t i, int64_t t_us)
{
    double u = sl_synthetic_target(s, t_us);
    if (s->cfg->noise > 0)
        u += s->cfg->noise * sl_rng_std_normal(&s->srv[i].level);
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

static int64_t draw_gap(struct sl_synthetic *s, size_t i)
{
    double gap_us = sl_rng_exponential(&s->srv[i].change, (double)s->cfg->change_interval_us);
    /* At least 1 us, so a server never changes twice at one instant. */
    return gap_us < 1.0 ? 1 : (int64_t)gap_us;
}

static void set_server(struct sl_synthetic *s, int64_t now, size_t i, double u)
{
    sl_fleet_set_server_load(s->fleet, now, i, s->cfg->phase, u);
}

static void on_change(struct sl_engine *eng, void *ctx, uint64_t arg);

/* The next event is most often another server's change: start loading its
 * state now, so the cache misses of a large fleet overlap with this one's
 * work.  A hint only; results do not depend on it. */
static void prefetch_next(struct sl_synthetic *s, struct sl_engine *eng)
{
    sl_event_fn fn;
    void *ctx;
    uint64_t next;
    if (sl_engine_peek(eng, PREFETCH_AHEAD, &fn, &ctx, &next) && fn == on_change && ctx == s) {
#if defined(__GNUC__)
        __builtin_prefetch(&s->srv[next], 1);
#endif
        sl_fleet_prefetch_server(s->fleet, (size_t)next);
    }
}

static void on_change(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_synthetic *s = ctx;
    size_t i = (size_t)arg;
    prefetch_next(s, eng);
    int64_t now = sl_engine_now(eng);
    set_server(s, now, i, draw_level(s, i, now));
    s->changes++;
    if (sl_engine_schedule(eng, now + draw_gap(s, i), SL_PRIO_LOAD, on_change, s, arg, NULL) !=
        SL_OK)
        sl_world_fail(s->w, SL_ENOMEM, "out of memory scheduling the synthetic load");
}

static int start(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct sl_synthetic *s = state;
    const struct sl_scenario *sc = w->sc;
    s->cfg = &sc->workload.synthetic;
    s->w = w;
    s->fleet = &w->fleet;
    s->knot = -1;
    int64_t tod_s = sc->start_s % 86400;
    if (tod_s < 0)
        tod_s += 86400;
    s->tod0_us = tod_s * 1000000;
    size_t n = s->fleet->nservers;
    s->srv = sl_calloc(n, sizeof *s->srv);
    if (!s->srv)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = sl_fleet_add_owner(s->fleet, "synthetic", NULL, NULL, &s->owner);
    if (rc == SL_OK)
        rc = sl_fleet_claim(s->fleet, s->owner, 0, s->fleet->ncards);
    if (rc != SL_OK)
        return sl_diag_set(d, rc, NULL, 0, 0, "the synthetic load cannot claim the fleet's cards");
    uint64_t seed = (uint64_t)sc->run.seed;
    uint64_t src_change = sl_rng_source_id("synthetic.change");
    uint64_t src_level = sl_rng_source_id("synthetic.level");
    for (size_t i = 0; i < n; i++) {
        sl_rng_seed(&s->srv[i].change, seed, src_change, i);
        sl_rng_seed(&s->srv[i].level, seed, src_level, i);
        set_server(s, 0, i, draw_level(s, i, 0));
        if (sl_engine_schedule(&w->eng, draw_gap(s, i), SL_PRIO_LOAD, on_change, s, i, NULL) !=
            SL_OK)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    return SL_OK;
}

static void release(void *state)
{
    struct sl_synthetic *s = state;
    sl_free(s->srv);
    s->srv = NULL;
}

/* The synthetic load stands in for a workload: with inference services
 * (or, later, training jobs) the cards run those instead. */
static int enabled(const struct sl_scenario *sc)
{
    return sc->nservices == 0 && sc->njobs == 0;
}

static const char *const columns[] = {"synthetic_target"};

/* The target utilisation at the middle of the row. */
static void sample(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values)
{
    (void)w;
    /* The knot cache only saves work: the value depends on the time alone. */
    values[0] = sl_synthetic_target(state, t0_us + (t1_us - t0_us) / 2);
}

static int summary(void *state, const struct sl_world *w, struct sl_summary *s)
{
    (void)w;
    const struct sl_synthetic *y = state;
    int rc = sl_summary_str(s, "synthetic.phase", sl_phase_names[y->cfg->phase]);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "synthetic.load_changes", (int64_t)y->changes);
    return rc;
}

const struct sl_source_ops sl_synthetic_source = {
    .name = "synthetic",
    .state_size = sizeof(struct sl_synthetic),
    .enabled = enabled,
    .start = start,
    .release = release,
    .ncolumns = 1,
    .columns = columns,
    .sample = sample,
    .summary = summary,
};
