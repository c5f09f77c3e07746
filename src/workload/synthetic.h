/*
 * The synthetic load source.
 *
 * The fleet's target utilisation follows a shape: constant, or diurnal
 *     u*(t) = mean + amplitude * cos(2 pi (tod(t) - peak_time) / period)
 * where tod(t) is the local time since midnight of the start day; it is
 * evaluated at whole minutes and interpolated linearly in between (error
 * below 4e-7 of utilisation, one cosine per simulated minute).  Each
 * server changes its load at the events of its own Poisson process (mean gap
 * `change_interval`, the churn of jobs and requests on one box) and then
 * holds a level drawn around the target at that instant:
 *     u_i = clip(u*(t) + noise * z, 0, 1),   z ~ N(0, 1).
 * Both the change times and the levels come from per-server random streams
 * ("synthetic.change", "synthetic.level"), so the same seed gives the same
 * load whatever else the scenario changes.  With noise 0 the load still
 * steps at random times, following the target.
 */
#ifndef SUANLI_WORKLOAD_SYNTHETIC_H
#define SUANLI_WORKLOAD_SYNTHETIC_H

#include <stdint.h>

#include "fleet/fleet.h"
#include "suanli/engine.h"
#include "suanli/rng.h"
#include "suanli/scenario.h"

struct sl_synthetic {
    const struct sl_synthetic_cfg *cfg;
    struct sl_fleet *fleet;
    int64_t tod0_us; /* local time of day at t = 0 */
    struct sl_rng *change_rng;
    struct sl_rng *level_rng;
    double *spare;           /* per server: the second normal of the last pair */
    unsigned char *spare_ok; /* per server: spare holds an unused normal */
    int error;               /* set (and the engine stopped) if rescheduling failed */
    int64_t knot;            /* cached minute of the target curve, -1 when none */
    double knot_a, knot_b;
};

/* Target fleet utilisation at simulation time t_us (t_us >= 0).  Caches
 * the current minute's knots in s. */
double sl_synthetic_target(struct sl_synthetic *s, int64_t t_us);

/* Sets up per-server streams and initial levels, and schedules each
 * server's first change.  Returns SL_OK or SL_ENOMEM. */
int sl_synthetic_start(struct sl_synthetic *s, const struct sl_scenario *sc, struct sl_fleet *fleet,
                       struct sl_engine *eng);
void sl_synthetic_release(struct sl_synthetic *s);

#endif
