/*
 * The synthetic load source.
 *
 * It claims every card of the fleet.  The fleet's target utilisation
 * follows a shape: constant, or diurnal
 *     u*(t) = mean + amplitude * cos(2 pi (tod(t) - peak_time) / period)
 * where tod(t) is the local time since midnight of the start day; it is
 * evaluated at whole minutes and interpolated linearly in between (error
 * below 4e-7 of utilisation, one cosine per simulated minute).  Each
 * server changes its load at the events of its own Poisson process (mean gap
 * `change_interval`, the churn of jobs and requests on one box) and then
 * holds a level drawn around the target at that instant:
 *     u_i = clip(u*(t) + noise * z, 0, 1),   z ~ N(0, 1),
 * which all of its cards take as their activity in `workload.synthetic.phase`
 * (default `mixed`, whose activity share is 100 %: the whole idle-to-TDP
 * range).  Gaps and normals come from the ziggurat samplers (rng.h), one
 * normal per change.  Both the change times and the levels come from per-server
 * random streams ("synthetic.change", "synthetic.level"), so the same seed
 * gives the same load whatever else the scenario changes.  With noise 0 the
 * load still steps at random times, following the target.
 */
#ifndef SUANLI_WORKLOAD_SYNTHETIC_H
#define SUANLI_WORKLOAD_SYNTHETIC_H

#include <stdint.h>

#include "suanli/rng.h"
#include "world/world.h"

/* Per-server state of the source, one cache line. */
struct sl_synthetic_server {
    struct sl_rng change; /* gaps between changes */
    struct sl_rng level;  /* levels */
};

/* The source's state.  Invariants: srv has one entry per server of the
 * fleet; knot is the minute whose end points knot_a/knot_b hold, or -1. */
struct sl_synthetic {
    const struct sl_synthetic_cfg *cfg;
    struct sl_world *w;
    struct sl_fleet *fleet;
    uint16_t owner;
    int64_t tod0_us; /* local time of day at t = 0 */
    struct sl_synthetic_server *srv;
    int64_t knot;
    double knot_a, knot_b;
    uint64_t changes; /* load changes after the start */
};

/* Target fleet utilisation at simulation time t_us (t_us >= 0).  Caches
 * the current minute's knots in s. */
double sl_synthetic_target(struct sl_synthetic *s, int64_t t_us);

extern const struct sl_source_ops sl_synthetic_source;

#endif
