/*
 * The facility: the power chain outside and around the servers, the cooling
 * plant, the weather and the site's accounting.
 *
 * Power flows up: servers (src/fleet/server.h) feed racks; rack stages (a
 * power shelf) give the rack input, which is the IT power of ISO/IEC
 * 30134-2 when the chain has rack stages (else the server inputs are); the
 * facility stages (UPS, PDU, transformer, SST...) take the IT power up to the
 * grid.  The cooling plant removes the heat of the IT equipment and of the
 * indoor facility stages at the current outdoor conditions.  Auxiliary
 * building loads (lighting, building management, security) are a constant
 * share of the design IT power.  The grid draw
 *     facility = IT + facility chain losses + cooling + auxiliary
 * holds exactly at every step by construction.
 */
#ifndef SUANLI_FACILITY_FACILITY_H
#define SUANLI_FACILITY_FACILITY_H

#include "fleet/server.h"
#include "suanli/scenario.h"
#include "suanli/weather.h"

#define SL_MAX_STAGES 16

struct sl_facility {
    const struct sl_scenario *sc;
    const struct sl_weather *weather; /* the scenario's */
    const struct sl_stage_spec *fac[SL_MAX_STAGES]; /* facility stages, grid first */
    double fac_cap_w[SL_MAX_STAGES];
    size_t nfac;
    const struct sl_stage_spec *rack[SL_MAX_STAGES]; /* rack stages, grid first */
    double rack_cap_w[SL_MAX_STAGES];
    size_t nrack;
    double design_it_w;     /* all servers at full load */
    double design_liquid_w; /* heat to liquid at full load */
    double design_air_w;    /* heat to air at full load */
    double aux_w;           /* auxiliary building load */
};

/* One facility step's result (W unless noted). */
struct sl_facility_step {
    double it_w;
    double chain_in_w; /* input of the first facility stage (grid side) */
    double chain_loss_w;
    double indoor_loss_w;
    double stage_loss_w[SL_MAX_STAGES]; /* facility stages */
    struct sl_cooling_result cooling;
    double aux_w;
    double facility_w;
    double t_db_c, t_wb_c;
};

/* Builds the facility for sc; server is the prepared server calculator
 * (design loads come from it).  Loads the weather.  Returns SL_OK, SL_EINVAL,
 * SL_ENOENT or SL_ENOMEM with d filled. */
int sl_facility_init(struct sl_facility *f, const struct sl_scenario *sc,
                     const struct sl_server_calc *server, struct sl_diag *d);
void sl_facility_release(struct sl_facility *f);

/* Rack input for the sum of its servers' inputs (identity without rack
 * stages). */
double sl_facility_rack_input_w(const struct sl_facility *f, double servers_w);

/* Evaluates the facility for IT power it_w, of which liquid_w leaves as heat
 * through liquid, at local calendar time local_s. */
void sl_facility_eval(const struct sl_facility *f, double it_w, double liquid_w, int64_t local_s,
                      struct sl_facility_step *out);

#endif
