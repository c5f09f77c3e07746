/*
 * The facility: the power chain outside and around the servers, the cooling
 * plant and the weather that drives it.
 *
 * Power flows up: the fleet (src/fleet) gives the IT power, measured at the
 * input of the racks (ISO/IEC 30134-2), and the part of its heat that
 * leaves through liquid; the facility stages (transformer, UPS, PDU, SST,
 * busway) take the IT power up to the grid, each on its load curve (sized
 * from the design IT power, every card at TDP).  The cooling plant removes
 * the heat of the IT equipment and of the indoor facility stages at the
 * outdoor conditions of the moment.  Auxiliary building loads (lighting,
 * building management, security) are a constant share of the design IT
 * power.  The grid draw is
 *     facility = chain input + cooling + auxiliary,
 *     chain input = IT + the facility stages' losses.
 * The facility knows nothing of servers: the world hands it design numbers
 * and, at each control step, the exact mean IT power of the step.
 */
#ifndef SUANLI_FACILITY_FACILITY_H
#define SUANLI_FACILITY_FACILITY_H

#include "power/stack.h"
#include "suanli/scenario.h"
#include "suanli/weather.h"

#define SL_MAX_STAGES SL_STACK_MAX

/* A facility for one design.  Borrows the scenario's weather, cooling plant
 * and chain (they outlive it).  Invariants: stack holds the chain's
 * facility stages, sized from design_it_w; design_air_w is the air heat at
 * design including the indoor stages' losses. */
struct sl_facility {
    const struct sl_weather *weather;
    const struct sl_cooling_spec *cooling;
    struct sl_stage_stack stack; /* facility stages, grid first */
    double design_it_w;          /* every card at TDP */
    double design_liquid_w;      /* heat to liquid at design */
    double design_air_w;         /* heat to air at design, indoor stage losses included */
    double aux_w;                /* auxiliary building load */
    /* Share of the plant's air-side (chilled-water) and liquid-side (CDU,
     * heat rejection) capacity in service, 1 unless a failure source
     * lowered it (sl_facility_set_cooling_avail). */
    double avail_air, avail_liquid;
};

/* One facility evaluation (W unless noted).  Invariants: facility_w =
 * chain_in_w + cooling.total_w + aux_w; chain_in_w = it_w + chain_loss_w;
 * chain_loss_w = the sum of stage_loss_w. */
struct sl_facility_eval {
    double it_w;
    double liquid_w;
    double chain_in_w; /* input of the first facility stage (grid side) */
    double chain_loss_w;
    double indoor_loss_w;
    double stage_loss_w[SL_MAX_STAGES]; /* facility stages, grid first */
    struct sl_cooling_result cooling;
    double aux_w;
    double facility_w;
    double t_db_c, t_wb_c;
};

/* Builds the facility of sc for the given design loads.  Allocates
 * nothing.  Returns SL_OK or SL_EINVAL (more facility stages than
 * supported) with d filled. */
int sl_facility_init(struct sl_facility *f, const struct sl_scenario *sc, double design_it_w,
                     double design_liquid_w, struct sl_diag *d);

/* Sets the share of the plant's air-side and liquid-side capacity in
 * service (each clamped to [0, 1]; NaN counts as 1).  The plant is then
 * evaluated as one built for that share of its design heat: its capacity
 * and its chillers shrink with it. */
void sl_facility_set_cooling_avail(struct sl_facility *f, double air, double liquid);

/* Evaluates the facility for IT power it_w, of which liquid_w leaves as heat
 * through liquid, at local calendar time local_s.  Pure. */
void sl_facility_eval(const struct sl_facility *f, double it_w, double liquid_w, int64_t local_s,
                      struct sl_facility_eval *out);

/* The highest facility power at design load over the weather's year (the
 * calendar of 2025), and the local time of that hour. */
double sl_facility_design_worst_w(const struct sl_facility *f, int64_t *at_s);

#endif
