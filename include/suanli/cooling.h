/*
 * Cooling plants: the electric power needed to remove the heat of the white
 * space at the current outdoor conditions.
 *
 * The caller splits the heat into what leaves through liquid (cold plates or
 * immersion fluid) and what leaves through room air; a plant turns both into
 * fan, pump, chiller and heat-rejection power.  The equations follow the
 * Lei & Masanet model (Energy 2020, doi:10.1016/j.energy.2020.117556):
 *     fan power  = V * dp / eta,  V = Q / (rho_air * cp_air * dT_air)
 *     pump power = V * dp / eta,  V = Q / (rho_w * cp_w * dT_w)
 *     waterside economizer: full free cooling when
 *         T_wb + approach_tower + approach_hx <= T_chw_supply,
 *     none at or above T_chw_return, linear in between;
 *     water-cooled chiller COP(load, t) with t = T_wb + approach_tower:
 *         16.798751 + 0.008840 t^2 - 8.528931 L^2 + 9.885294 L
 *         - 0.760621 t + 0.084615 L t.
 * Liquid loops reject heat through dry coolers (free while
 * T_db + approach <= supply temperature, chiller trim above) or towers.
 * Parameters and their sources are in docs/model.md ("Cooling").
 */
#ifndef SUANLI_COOLING_H
#define SUANLI_COOLING_H

#include <stddef.h>

#include "suanli/diag.h"

enum sl_cooling_kind {
    SL_COOLING_AIR_CHW = 0, /* CRAH + chilled water + chiller + tower + economizer */
    SL_COOLING_COLD_PLATE,  /* cold plates on a warm-water loop; residual air via CRAH */
    SL_COOLING_IMMERSION    /* all IT heat into fluid; residual room air via CRAH */
};

enum sl_heat_rejection { SL_REJECT_DRY_COOLER = 0, SL_REJECT_TOWER = 1 };

/* A cooling plant.  Temperatures in C, pressures in Pa, efficiencies and
 * shares as fractions, powers in W.  A preset is static and read-only; a
 * scenario's own plant owns its strings (freed by the schema); the
 * facility borrows either.  Invariants after sl_cooling_validate: kind and
 * rejection are known enum values; 0 <= liquid_share <= 1; efficiencies in
 * (0, 1]; pressures and approaches >= 0; temperature differences, the LG
 * ratio, the chiller share and the capacity margin > 0; each return
 * temperature above its supply. */
struct sl_cooling_spec {
    char *name;
    char *description;
    int kind; /* enum sl_cooling_kind */
    /* Fraction of accelerator and CPU heat removed by liquid (cold plate),
     * or of all IT heat (immersion); 0 for air. */
    double liquid_share;
    /* Air side: CRAH fans. */
    double crah_dp_pa;
    double crah_fan_eff;
    double crah_dt_k;
    /* Chilled-water plant (air side of every kind). */
    double chw_supply_c;
    double chw_return_c;
    double chw_pump_dp_pa;
    double cw_pump_dp_pa; /* condenser water */
    double cw_dt_k;
    double pump_eff;
    double tower_approach_k;
    double hx_approach_k;
    double tower_fan_dp_pa;
    double tower_fan_eff;
    double tower_lg_ratio; /* water/air mass flow ratio of the tower */
    /* Chiller size as a share of design air heat; a liquid loop's trim
     * chiller is sized the same share of design liquid heat. */
    double chiller_capacity_share;
    /* Liquid loop (cold plate, immersion). */
    double fw_supply_c; /* facility warm-water supply */
    double fw_return_c;
    double cdu_dp_pa;     /* secondary loop: CDU + cold plates / tank */
    double fw_pump_dp_pa; /* primary loop to heat rejection */
    int rejection;        /* enum sl_heat_rejection */
    double drycooler_approach_k;
    double drycooler_fan_w_per_w; /* fan power per W of heat at design */
    /* Plant capacity as a multiple of the design heat (heat above it is
     * unmet and raises inlet temperatures). */
    double capacity_margin;
    /* Thermal transient and throttling (docs/model.md, "Cooling loss and
     * thermal throttling"): the heat capacity of the hall, its coolant and
     * its equipment in seconds of design heat per kelvin (a complete loss
     * of cooling at design heat warms the cards' inlet by 1 K in this
     * time); the inlet rise above design the cards take before they
     * throttle; the further rise at which a card's allowed power has
     * fallen by its whole TDP (its junction-to-inlet difference at TDP);
     * and the share of a rack's design heat the room still removes while
     * its own rack cooling unit is out. */
    double heat_capacity_s_per_k;
    double throttle_margin_k;
    double throttle_span_k;
    double rack_residual;
    char *source;
};

/* Power by component (W) and state of one evaluation, a plain value that
 * sl_cooling_eval fills whole.  Invariants: every term >= 0 and finite;
 * total_w is the sum of the eight component powers; the free-cooling
 * shares are in [0, 1]; removed_air_w + removed_liquid_w + unmet_w equals
 * the heat given (to rounding). */
struct sl_cooling_result {
    double total_w;
    double crah_fan_w;
    double chw_pump_w;
    double chiller_w;
    double cw_pump_w;
    double tower_fan_w;
    double cdu_pump_w;
    double fw_pump_w;
    double drycooler_fan_w;
    double free_cooling; /* share of the chilled-water load met without the chiller */
    /* Share of the liquid heat rejected without the trim chiller (1 for an
     * air plant, which has no liquid loop). */
    double liquid_free_cooling;
    double unmet_w;      /* heat above the plant's capacity */
    double capacity_w;   /* the heat the plant can remove: margin x design heat */
    double inlet_rise_k; /* resulting rise of server inlet air temperature */
    /* Heat the plant removes, from its own loops' flows: the CRAH air mass
     * flow x cp_air x dT (all heat for an air plant), and the secondary
     * water flow x cp_w x dT of the liquid loop.  Their sum plus unmet_w
     * is the heat the plant was given. */
    double removed_air_w;
    double removed_liquid_w;
};

/* Evaluates the plant for heat_air_w to room air and heat_liquid_w to liquid
 * at outdoor t_db_c / t_wb_c.  design_air_w and design_liquid_w (the heat at
 * full design load) size the chiller and the capacity.  Pure function.
 * Negative or NaN heats count as 0.  An air-chilled-water plant has no
 * liquid loop: its liquid heat (and design liquid heat) is added to the air.
 * Zero heat gives zero power.  Over capacity both streams are removed in
 * proportion; power is for the heat removed.  s must pass
 * sl_cooling_validate (otherwise results are finite but meaningless). */
void sl_cooling_eval(const struct sl_cooling_spec *s, double heat_air_w, double heat_liquid_w,
                     double t_db_c, double t_wb_c, double design_air_w, double design_liquid_w,
                     struct sl_cooling_result *r);

/* Water-cooled chiller COP (Lei & Masanet regression); load is the
 * part-load ratio (clamped to 0.1..1), t the condenser-side temperature
 * T_wb + tower approach (clamped to 10..35 C). */
double sl_chiller_cop(double load, double t_c);

/* Checks a spec: known kind and rejection, efficiencies in (0, 1], pressures
 * and approaches >= 0, temperature differences, LG ratio, chiller share and
 * capacity margin > 0, return above supply.  SL_OK or SL_EINVAL with a
 * message naming the plant and the field. */
int sl_cooling_validate(const struct sl_cooling_spec *s, struct sl_diag *d);

/* Built-in presets: "air-chilled-water", "liquid-cold-plate", "immersion". */
size_t sl_cooling_preset_count(void);
const struct sl_cooling_spec *sl_cooling_preset(size_t i);
const struct sl_cooling_spec *sl_cooling_find_preset(const char *name);

#endif
