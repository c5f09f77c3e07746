/*
 * The power manager's internal interface between power_mgr.c (the site
 * and its policies) and the two modules that extend it (docs/model.md,
 * "Power limits in a hierarchy, ramps and admission"):
 *
 *   pm_levels.c  limits below the site: racks, rows of racks (a feeder or
 *                busway), servers (their PSU capacity) and the card limit
 *                range; a breaker rule and an enforcement loop per rack
 *                and row, on lagged per-rack telemetry;
 *   pm_ramp.c    admission control (the forecast headroom the training
 *                scheduler and the inference routers ask before they add
 *                load), the ramp of the site's power (measured, limited by
 *                a burn load at drops and a ramp budget at starts) and the
 *                analytic training swing.
 *
 * power_mgr.c calls each module from its start, control tick, actuation,
 * summary and release; the modules keep their state behind the two
 * pointers appended to struct sl_power_mgr and never change the site
 * policy's decisions.
 */
#ifndef SUANLI_WORKLOAD_PM_INT_H
#define SUANLI_WORKLOAD_PM_INT_H

#include "workload/power_mgr.h"

/* The breaker rule of one limited entity (a rack, a row): an excursion is
 * a run of ticks over its limit; one longer than the level's tolerance is
 * a violation. */
struct sl_pm_breaker {
    int64_t t0_us; /* start of the open excursion; -1: none */
};

/* One level's accounting over all its entities. */
struct sl_pm_level_stats {
    uint64_t violations;
    double violation_s, over_s, max_overshoot_w;
    double capped_s;      /* entity-seconds under a level-imposed card limit */
    uint64_t ever_capped; /* entities capped at least once */
};

/* The card limit of a card of pool P at fraction x of its idle-to-TDP
 * range (x >= 1: the policy sets none), within the card limit range of
 * `power.card`: never below min_limit x TDP, never above max_limit x TDP;
 * 0 means no limit.  Pure. */
double sl__pm_card_cap_w(const struct sl_power_mgr *m, const struct sl_fleet_pool *P, double x);

/* The rack limit fraction over card i of pool P (1: none). */
double sl__pm_levels_card_x(const struct sl_power_mgr *m, const struct sl_fleet_pool *P, size_t i);

/* Whether sc asks for anything of these modules (a rack or row limit, a
 * card limit range below TDP, admission, a ramp limit or swing floor), so
 * the manager runs even under `power.policy: none`. */
int sl__pm_wanted(const struct sl_scenario *sc);

int sl__pm_levels_start(struct sl_power_mgr *m, struct sl_diag *d);
void sl__pm_levels_tick(struct sl_power_mgr *m, int64_t now_us);
/* After the site policy set the tiers' limits: recounts the cards under a
 * limit (the fleet's cap function already combines the racks' limits). */
void sl__pm_levels_reapply(struct sl_power_mgr *m, int64_t now_us);
int sl__pm_levels_summary(struct sl_power_mgr *m, const struct sl_world *w, struct sl_summary *s);
void sl__pm_levels_release(struct sl_power_mgr *m);

int sl__pm_ramp_start(struct sl_power_mgr *m, struct sl_diag *d);
/* r: the reading just taken (the site without the burn load). */
void sl__pm_ramp_tick(struct sl_power_mgr *m, int64_t now_us, const struct sl_pm_reading *r);
int sl__pm_ramp_summary(struct sl_power_mgr *m, const struct sl_world *w, struct sl_summary *s);
void sl__pm_ramp_release(struct sl_power_mgr *m);

#endif
