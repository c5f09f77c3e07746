/*
 * The world: one run's fleet, facility and engine, the facility control
 * step, and the plug-in interfaces of workload sources and observers.
 *
 * Layers (each includes only those before it; tests/cli_layers.sh): core ->
 * power -> fleet -> facility -> config -> world -> workload sources and
 * report observers -> sim (the registry and the run).  A model plugs in as a module that fills
 * one `struct sl_source_ops` (or `sl_observer_ops`) and one line in the
 * registry (src/sim/registry.c); nothing here names a particular model.
 *
 * The facility control step.  Every `facility.step` (and at the end of the
 * run, a last partial step) an engine event at priority SL_PRIO_STEP, which
 * runs before the model's events of the same instant, closes the step
 * [t0, t1): it reads the fleet's exact energy over the step (the meters
 * integrate piecewise-constant power), takes the mean IT power and liquid
 * heat up through the facility at the weather of the step's midpoint, and
 * prices it (time of use), counts its carbon and compares it with the
 * grid cap.  The result is `w->step`, which observers receive and a power
 * manager may read at its own interval.  Output sampling (`run.sample`, a
 * whole multiple of the step) only aggregates steps, so every energy total
 * and the time over the cap are independent of it.
 *
 * Two plug points serve a power manager without naming it: an admission
 * hook (sl_world_admit) that workloads ask before they add load, and IT
 * load outside the fleet (sl_world_set_extra_it, a burn load), which the
 * step adds to the IT power like the fabric's.
 */
#ifndef SUANLI_WORLD_WORLD_H
#define SUANLI_WORLD_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "facility/facility.h"
#include "fleet/fleet.h"
#include "fleet/server.h"
#include "suanli/diag.h"
#include "suanli/engine.h"
#include "suanli/fabric.h"
#include "suanli/scenario.h"
#include "suanli/summary.h"

/* Engine priorities: the facility step closes an interval before the
 * events of its end instant run. */
#define SL_PRIO_STEP (-1000)
#define SL_PRIO_LOAD 0

/* One closed facility step [t0_us, t1_us).  Fleet quantities are means
 * over the step (exact: energy / duration); fe is the facility at those
 * means.  The fabric is IT load: fleet_w[SL_Q_IT], it_max_w and it_min_w
 * include fabric_w (the fabric's power over the step, 0 without one; the
 * other quantities are the servers' alone).  Invariants: t1_us > t0_us;
 * it_min_w <= fleet_w[SL_Q_IT] <= it_max_w; over_cap is fe.facility_w >
 * the grid cap. */
struct sl_site_step {
    int64_t t0_us, t1_us;
    double dt_s;
    int64_t local_mid_s; /* local calendar time of the midpoint */
    double fleet_w[SL_Q_COUNT];
    double it_max_w, it_min_w;
    double util;     /* mean card load share */
    double fabric_w; /* switches and optics at utilisation util */
    struct sl_facility_eval fe;
    double headroom_w; /* grid cap - facility power (negative: over) */
    double price;      /* CNY/kWh */
    double cost_cny;
    double co2_kg;
    int over_cap;
    uint64_t index; /* 0 for the first step */
};

struct sl_world;

/* A workload source.  The world allocates state_size zeroed bytes for it.
 * start claims cards and schedules the first events (SL_OK, or an error with
 * d filled); release frees what start allocated (also after a failed
 * start).  columns/sample add time-series columns (ncolumns names; sample
 * fills one value per column for the row [t0, t1)); summary adds entries
 * at the end.  Any callback but start and release may be NULL. */
struct sl_source_ops {
    const char *name;
    size_t state_size;
    int (*enabled)(const struct sl_scenario *sc);
    int (*start)(void *state, struct sl_world *w, struct sl_diag *d);
    void (*release)(void *state);
    size_t ncolumns;
    const char *const *columns;
    void (*sample)(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values);
    int (*summary)(void *state, const struct sl_world *w, struct sl_summary *s);
};

/* An observer of the run.  open prepares its outputs (temporary files in
 * w->out_dir), step sees every closed facility step, finish completes its
 * outputs and adds summary entries, commit makes its files visible
 * (rename), release drops anything uncommitted.  Any callback may be
 * NULL but release. */
struct sl_observer_ops {
    const char *name;
    size_t state_size;
    int (*open)(void *state, struct sl_world *w, struct sl_diag *d);
    void (*step)(void *state, struct sl_world *w, const struct sl_site_step *st);
    int (*finish)(void *state, struct sl_world *w, struct sl_summary *s, struct sl_diag *d);
    int (*commit)(void *state, struct sl_diag *d);
    void (*release)(void *state);
};

/* Admission control (docs/model.md, "Power limits in a hierarchy, ramps
 * and admission"): asks whether add_it_w more IT power may start at
 * now_us; 1 yes, 0 not now.  A power manager installs it; add_it_w = 0
 * asks whether the site has any headroom at all (inference arrivals). */
typedef int (*sl_admit_fn)(void *ctx, int64_t now_us, double add_it_w);

struct sl_world_source {
    const struct sl_source_ops *ops;
    void *state;
};

struct sl_world_observer {
    const struct sl_observer_ops *ops;
    void *state;
};

/* Totals over all steps (J unless noted), kept by the world so every
 * observer and the summary read one set. */
struct sl_site_totals {
    double fleet_j[SL_Q_COUNT]; /* [SL_Q_IT] includes fabric_j */
    double fabric_j;
    double chain_in_j, chain_loss_j, cooling_j, aux_j, facility_j;
    double stage_loss_j[SL_MAX_STAGES];
    double chiller_j, fans_j, pumps_j, unmet_j;
    double cost_cny, co2_kg;
    double facility_peak_w, pue_min, pue_max;
    double it_max_w, it_min_w;
    double cap_exceeded_s;
    double max_inlet_rise_k;
    /* Thermal throttling (world_thermal.c): the highest inlet rise of the
     * transient model (site plus rack), time with any rack under a thermal
     * limit, card-seconds under one, and the lowest limit (share of TDP). */
    double thermal_max_k, thermal_s, thermal_card_s, thermal_min_y;
};

/* The thermal state of a run (docs/model.md, "Cooling loss and thermal
 * throttling").  theta_k is the site's inlet rise above design, rack_theta
 * a rack's own rise on top while its rack cooling unit is out (or until
 * it has cooled down again); rack_lost counts a rack's cooling outages in
 * force.  The rack arrays are allocated at the first rack outage.
 * Invariants: theta_k >= 0; rack_theta[r] >= 0; nrack_hot is the number
 * of racks with rack_lost > 0 or rack_theta > 0. */
struct sl_thermal {
    double theta_k;
    double site_y; /* the site's limit in force (1: none) */
    uint16_t *rack_lost;
    double *rack_theta;
    size_t nrack_hot;
    size_t limited_cards; /* cards under a thermal limit now */
};

/* One run.  Built by sl_world_init, driven by the engine, read by
 * observers.  Invariants: fleet and facility are built from sc with the
 * same server calculators (pool_calc, one per pool); step is the last
 * closed step (index valid when nsteps > 0); last_e holds the fleet meter
 * integrals at step.t1_us. */
struct sl_world {
    const struct sl_scenario *sc;
    const char *out_dir;
    struct sl_engine eng;
    struct sl_server_calc calc;       /* the first pool's (sc->server) */
    struct sl_server_calc *pool_calc; /* one per pool of sc, in order; owned */
    struct sl_fleet fleet;
    struct sl_facility fac;
    struct sl_fabric fabric; /* built when has_fabric (fleet.fabric.kind not none) */
    int has_fabric;
    struct sl_site_step step;
    struct sl_site_totals tot;
    uint64_t nsteps;
    int64_t end_us;
    int64_t step_t0_us;
    double last_e[SL_Q_COUNT];
    struct sl_world_source *src;
    size_t nsrc;
    struct sl_world_observer *obs;
    size_t nobs;
    int error;           /* first failure inside the run (SL_OK: none) */
    struct sl_diag diag; /* its message */
    /* Admission control: NULL when there is none (every start admitted). */
    sl_admit_fn admit;
    void *admit_ctx;
    /* IT load outside the fleet (a power manager's burn load): extra_it_w
     * since extra_since_us, extra_it_j its energy in the open step.  The
     * step adds it to the IT power like the fabric's (heat to air). */
    double extra_it_w, extra_it_j;
    int64_t extra_since_us;
    struct sl_thermal th;
};

/* Builds the world of sc (server calculator, fleet, facility, engine) and
 * instantiates the given sources (those enabled for sc) and observers, in
 * order; both lists end with NULL.  out_dir is borrowed.  Returns SL_OK or
 * an error with d filled; on error everything is released. */
int sl_world_init(struct sl_world *w, const struct sl_scenario *sc, const char *out_dir,
                  const struct sl_source_ops *const *sources,
                  const struct sl_observer_ops *const *observers, struct sl_diag *d);
void sl_world_release(struct sl_world *w);

/* Starts the sources, the meters and the step clock. */
int sl_world_start(struct sl_world *w, struct sl_diag *d);

/* Runs the engine to the end and closes the last partial step.  Returns
 * SL_OK, or the first failure recorded with sl_world_fail (w->diag). */
int sl_world_run(struct sl_world *w);

/* Records the first failure inside a run and stops the engine. */
void sl_world_fail(struct sl_world *w, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Installs the admission hook (fn NULL: none); ctx is borrowed. */
void sl_world_set_admit(struct sl_world *w, sl_admit_fn fn, void *ctx);

/* Whether add_it_w (>= 0) more IT power may start at now_us: the hook's
 * answer, 1 without one. */
int sl_world_admit(struct sl_world *w, int64_t now_us, double add_it_w);

/* Sets the IT load outside the fleet to it_w (>= 0) from now_us on (>= its
 * last change); its energy counts in the facility steps. */
void sl_world_set_extra_it(struct sl_world *w, int64_t now_us, double it_w);

/* ---- Cooling loss (world_thermal.c) ----
 *
 * A failure source lowers the plant's capacity (a chiller, CDU or dry
 * cooler beyond its redundancy) or takes a rack's own cooling unit out;
 * the thermal model turns the heat the plant cannot remove into an inlet
 * rise with the hall's heat capacity, and a rise beyond the throttle
 * margin into a thermal limit on the cards of the racks concerned
 * (sl_fleet_set_thermal), which their owners see as lower speed. */

/* Sets the share of the plant's air-side and liquid-side capacity in
 * service from the step that closes next (see
 * sl_facility_set_cooling_avail). */
void sl_world_set_cooling_avail(struct sl_world *w, double air, double liquid);

/* Adds (lost != 0) or ends one outage of rack r's own cooling unit.
 * SL_OK or SL_ENOMEM (the rack state could not be allocated; the outage is
 * then ignored). */
int sl_world_rack_cooling(struct sl_world *w, size_t r, int lost);

/* Advances the thermal model over the step just closed (st) and puts the
 * resulting thermal limits in force at st->t1_us.  Called by the facility
 * step; exposed for tests. */
void sl_world_thermal_step(struct sl_world *w, const struct sl_site_step *st);

/* Releases the thermal state. */
void sl_world_thermal_release(struct sl_world *w);

/* Electricity price (CNY/kWh) at a local calendar time: the first
 * time-of-use period that contains the time of day, else the base price. */
double sl_site_price(const struct sl_scenario *sc, int64_t local_s);

/* Local calendar time of simulation time t_us. */
int64_t sl_world_local_s(const struct sl_world *w, int64_t t_us);

/* The largest fleet of this design (servers of the scenario's model, racks
 * of its size, chain and plant sized for that fleet) whose facility power
 * at full load stays within the grid cap in every hour of the weather
 * year; 0 when not even one server fits, SIZE_MAX when the cap carries
 * more than SL_SERVERS_AT_CAP_MAX servers (a cap beyond any real site).  Assumes the worst-hour
 * power grows with the fleet (it does: every term is non-decreasing in it). Costs a few dozen year
 * scans.
 *
 * With several pools the fleet grows as a mix: the mix of n holds
 * ceil(n * S_p / S) servers of each pool p (S_p its servers, S the
 * fleet's), so every pool keeps its share, its server model and its rack
 * density; the result is the n found, and sl_world_mix gives the servers
 * (n up to one per pool more), cards and racks of that mix. */
size_t sl_world_servers_at_cap(const struct sl_world *w, double *worst_w);

/* The mix of n servers (see sl_world_servers_at_cap): its servers, cards
 * and racks over all pools (each pointer may be NULL).  With one pool,
 * exactly n servers. */
void sl_world_mix(const struct sl_world *w, size_t n, int64_t *servers, int64_t *cards,
                  int64_t *racks);

/* Above this many servers capacity at the cap is not searched:
 * sl_world_servers_at_cap returns SIZE_MAX ("more than any center"). */
#define SL_SERVERS_AT_CAP_MAX 1e12

#endif
