/*
 * The power manager: keeps the site's facility power within the grid cap
 * by limiting the cards' board power (issue #10, first part; docs/model.md,
 * "Power manager").
 *
 * It is a source in the registry's sense (it acts on the fleet, as the
 * workloads do, and reads the world) but owns no cards: it only sets their
 * power limits with sl_fleet_set_cap, and the fleet tells the cards' owners
 * so they slow down.  It is built for every policy: under `none` it only
 * reads its telemetry and keeps the breaker rule's accounts (it never sets
 * a limit), so the power.* figures exist for every run.
 *
 * Telemetry.  Every `power.control_interval` an engine event at priority
 * SL_PRIO_MGR (after the facility step of the same instant) reads the
 * fleet's IT power and heat to liquid now and estimates the facility power
 * through the facility model at the weather of now (so the chain's losses
 * and cooling count, as they do at the grid meter).  The reading goes into
 * a ring; the manager decides on the reading `power.telemetry_lag` old.
 * The facility step (`facility.step`, a minute by default) is too coarse
 * for a controller that acts in seconds, hence the manager's own readings.
 *
 * Actuation.  A decision is a card limit per work tier (fleet.h, enum
 * sl_tier), as a fraction x of each device's idle-to-TDP range (limit =
 * idle + x (TDP - idle); x = 1: no limit); it takes effect
 * `power.actuation_delay` later (an engine event).  `static` and
 * `threshold` give every tier the same x; `priority` and `polca` (see
 * pm_policy.c) differ by tier.  x never goes below SL_PM_X_MIN (the
 * priority floor for `priority`), so a capped card still works.
 *
 * Policies.  `static` sizes x once at the start: the largest x whose
 * facility power with every card at its limit and every host busy (the
 * full-load case) stays below cap (1 - margin) in every hour of the weather
 * year; bisection over x, a year scan per try.  `threshold` starts
 * uncapped; when the lagged estimate F passes the target T = cap (1 -
 * margin) it lowers x by the share of the idle-to-full facility span S that
 * is over, from the cards' current effective fraction u (their IT power
 * placed between all-idle and all-full):
 *     x' = max(SL_PM_X_MIN, min(x, u) - (F - T) / S),
 * and when F is below T by more than SL_PM_RELEASE of the cap it raises x
 * by SL_PM_RAISE.  It decides again only on a reading taken after its last
 * decision took effect (the dead time of lag plus delay), so a longer lag
 * means longer excursions, not wind-up.
 *
 * Accounting (the breaker rule at the site).  Each tick also compares the
 * present facility power with the cap.  An excursion is a run of ticks
 * over the cap; one that lasts longer than `power.tolerance` is a
 * violation, and its whole duration counts in violation_s.  Throttling is
 * sampled every step_ticks ticks (once per facility step, or every tick
 * when the interval is the longer): the cards whose demand exceeds their
 * limit (throttled card-hours) and the board power their limits withhold
 * (throttled energy), each held for step_ticks intervals.
 */
#ifndef SUANLI_WORKLOAD_POWER_MGR_H
#define SUANLI_WORKLOAD_POWER_MGR_H

#include <stdint.h>

#include "world/world.h"

/* After the facility step of the same instant, before the loads. */
#define SL_PRIO_MGR (SL_PRIO_STEP + 1)

/* Longest a tiered policy's view of the tiers' ranges and demand may age
 * (a pass over every card: taken once per 10 s, not per tick). */
#define SL_PM_TIER_REFRESH_US 10000000

#define SL_PM_X_MIN   0.1  /* lowest limit: 10 % of the idle-to-TDP range above idle */
#define SL_PM_RELEASE 0.02 /* raise only when 2 % of the cap below the target */
#define SL_PM_RAISE   0.05 /* by 5 % of the range per decision */
#define SL_PM_TIERS   4    /* SL_TIER_COUNT of fleet.h */

struct sl_pm_levels;
struct sl_pm_ramp;

/* One reading of the manager's telemetry. */
struct sl_pm_reading {
    int64_t t_us;
    double facility_w; /* estimated through the facility model */
    double srv_it_w;   /* servers' IT power (without the fabric) */
    double fabric_w;
};

/* The manager's state.  Invariants: ring holds nring readings, the one of
 * tick k at k % nring; lag_ticks = telemetry_lag / control_interval <
 * nring; x is the limit in force and x_target the last decided (equal when
 * no actuation is pending); ncapped is the fleet's cards under a limit. */
/* polca's reserve looks back SL_PM_RISE_N tier refreshes (10 min). */
#define SL_PM_RISE_N 60

struct sl_power_mgr {
    struct sl_world *w;
    const struct sl_power_cfg *cfg;
    double cap_w, target_w;
    struct sl_pm_reading *ring;
    size_t nring, lag_ticks;
    int64_t interval_us; /* control_interval; the facility step under `none` when longer */
    int extended;        /* a policy or a levels/ramps key: their ticks and figures run */
    uint64_t tick;
    double x, x_target;
    double xt[SL_PM_TIERS];      /* tiered policies: the last decided limits per tier */
    double xt_pend[SL_PM_TIERS]; /* ... the pending (or last applied) decision */
    /* tiered policies: the tiers' card ranges and demand (pm_policy.c,
     * tier_ranges), recomputed at most every SL_PM_TIER_REFRESH_US */
    double tr_range[SL_PM_TIERS], tr_demand[SL_PM_TIERS], tr_all;
    int64_t tr_at_us; /* when they were taken; -1: never */
    int polca_level;  /* polca: 0 none, 1 above t1, 2 above t2, 3 brake */
    /* polca: the rises of the interactive tier's card demand (W) from one
     * tier refresh to the next over the last SL_PM_RISE_N refreshes (a
     * ring), sizing the reserve its thresholds keep (pm_policy.c) */
    double rise_w[SL_PM_RISE_N];
    double rise_prev_w; /* the demand at the last refresh; -1: none yet */
    size_t rise_next;
    double reserve_max_w;               /* the largest reserve polca kept (W) */
    double tier_limited_s[SL_PM_TIERS]; /* card-seconds under a limit, per tier */
    int64_t tier_since_us;
    int64_t decided_at_us; /* when x_target was decided */
    int64_t effective_us;  /* when x_target takes (took) effect */
    double x_static;       /* static policy: the sized fraction */
    double worst_uncapped_w, worst_capped_w;
    size_t ncapped;
    uint64_t decisions;
    /* Capped-card seconds, for the time-series mean. */
    double capped_s, capped_s_sampled;
    int64_t capped_since_us;
    /* The site's breaker rule. */
    int in_excursion;
    int64_t excursion_t0_us;
    uint64_t violations;
    double violation_s, max_overshoot_w, over_s;
    /* Throttling, sampled per facility step. */
    uint64_t step_ticks; /* ticks per facility step (>= 1) */
    double throttled_card_s, throttled_j;
    /* Limits below the site, admission and ramps (pm_int.h); owned. */
    struct sl_pm_levels *lv;
    struct sl_pm_ramp *rp;
};

/* Facility power of the whole fleet at full load with every card limited
 * at fraction x of its range, in the worst hour of the weather year (the
 * static policy's sizing).  Pure. */
double sl_power_mgr_worst_w(const struct sl_world *w, double x);

extern const struct sl_source_ops sl_power_mgr_source;

/* Internal, for the tiered policies of pm_policy.c. */

/* The facility-power span at now: facility power with every card at its
 * TDP less with every card idle (every host busy), at the weather of now
 * and the reading's fabric power. */
double sl__pm_span_w(const struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r);
/* Decides the tier limits x[SL_PM_TIERS] now; they take effect after the
 * actuation delay. */
void sl__pm_decide_tiers(struct sl_power_mgr *m, int64_t now_us, const double *x);
/* The policies, on the lagged reading r (they keep the dead-time rule). */
void sl__pm_priority(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r);
void sl__pm_polca(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r);

/* The priority rule's arithmetic (pure): from the tier limits x, each
 * tier's facility watts per unit of x S and effective fraction u, moves
 * E watts of facility power (E > 0: shed, lowest tier first, no tier below
 * floor_x nor above its limit; E < 0: give -E back, highest tier first,
 * none above 1) into out.  Returns whether any limit moved. */
int sl__pm_priority_step(const double *x, const double *S, const double *u, double floor_x,
                         double E, double *out);
/* POLCA's level (0 none, 1 above t1, 2 above t2, 3 brake above brake_w)
 * after reading F at level, F_released the power predicted at level - 1
 * (pure); and the tier limits of a level. */
/* polca's thresholds moved toward the target T by the part of the band
 * T - t1 that the reserve (W) does not need: t1' = T - R, t2' = T - R (T -
 * t2) / (T - t1), R = min(reserve, T - t1).  Pure. */
void sl__pm_polca_thresholds(double T, double t1, double t2, double reserve_w, double *t1_out,
                             double *t2_out);
int sl__pm_polca_level(int level, double F, double F_released, double t1_w, double t2_w,
                       double brake_w, double release_w);
void sl__pm_polca_limits(const struct sl_power_cfg *c, int level, double *x);

#endif
