/*
 * The synthetic load source (see synthetic.h).
 */
#include "workload/synthetic.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <string.h>

#define PRIO_LOAD 0
#define SL_PI     3.14159265358979323846
#define KNOT_US   INT64_C(60000000)

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
    double f = (double)(t_us - minute * KNOT_US) / (double)KNOT_US;
    return s->knot_a + (s->knot_b - s->knot_a) * f;
}

static double draw_level(struct sl_synthetic *s, size_t i, int64_t t_us)
{
    double u = sl_synthetic_target(s, t_us);
    if (s->cfg->noise > 0) {
        /* Normals come in pairs from the polar method; each server keeps
         * its second one for its next change (its own stream, so the
         * sequence is the same whatever the other servers do). */
        double z;
        if (s->spare_ok[i]) {
            z = s->spare[i];
            s->spare_ok[i] = 0;
        } else {
            sl_rng_normal_pair(&s->level_rng[i], &z, &s->spare[i]);
            s->spare_ok[i] = 1;
        }
        u += s->cfg->noise * z;
    }
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

static int64_t draw_gap(struct sl_synthetic *s, size_t i)
{
    double gap_us = sl_rng_exponential(&s->change_rng[i], (double)s->cfg->change_interval_us);
    /* At least 1 us, so a server never changes twice at one instant. */
    return gap_us < 1.0 ? 1 : (int64_t)gap_us;
}

static void on_change(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_synthetic *s = ctx;
    size_t i = (size_t)arg;
    int64_t now = sl_engine_now(eng);
    sl_fleet_set_util(s->fleet, now, i, draw_level(s, i, now));
    int rc = sl_engine_schedule(eng, now + draw_gap(s, i), PRIO_LOAD, on_change, s, arg, NULL);
    if (rc != SL_OK) {
        s->error = rc;
        sl_engine_stop(eng);
    }
}

int sl_synthetic_start(struct sl_synthetic *s, const struct sl_scenario *sc, struct sl_fleet *fleet,
                       struct sl_engine *eng)
{
    memset(s, 0, sizeof *s);
    s->cfg = &sc->workload.synthetic;
    s->fleet = fleet;
    s->knot = -1;
    int64_t tod_s = sc->start_s % 86400;
    if (tod_s < 0)
        tod_s += 86400;
    s->tod0_us = tod_s * 1000000;
    size_t n = fleet->nservers;
    s->change_rng = sl_calloc(n, sizeof *s->change_rng);
    s->level_rng = sl_calloc(n, sizeof *s->level_rng);
    s->spare = sl_calloc(n, sizeof *s->spare);
    s->spare_ok = sl_calloc(n, sizeof *s->spare_ok);
    if (!s->change_rng || !s->level_rng || !s->spare || !s->spare_ok) {
        sl_synthetic_release(s);
        return SL_ENOMEM;
    }
    uint64_t seed = (uint64_t)sc->run.seed;
    uint64_t src_change = sl_rng_source_id("synthetic.change");
    uint64_t src_level = sl_rng_source_id("synthetic.level");
    for (size_t i = 0; i < n; i++) {
        sl_rng_seed(&s->change_rng[i], seed, src_change, i);
        sl_rng_seed(&s->level_rng[i], seed, src_level, i);
        sl_fleet_set_util(fleet, 0, i, draw_level(s, i, 0));
        int rc = sl_engine_schedule(eng, draw_gap(s, i), PRIO_LOAD, on_change, s, i, NULL);
        if (rc != SL_OK) {
            sl_synthetic_release(s);
            return rc;
        }
    }
    return SL_OK;
}

void sl_synthetic_release(struct sl_synthetic *s)
{
    sl_free(s->change_rng);
    sl_free(s->level_rng);
    sl_free(s->spare);
    sl_free(s->spare_ok);
    s->change_rng = s->level_rng = NULL;
    s->spare = NULL;
    s->spare_ok = NULL;
}
