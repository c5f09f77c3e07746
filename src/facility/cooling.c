/*
 * Cooling plants: electric power to remove the white space's heat at the
 * current outdoor conditions (Lei & Masanet, Energy 2020,
 * doi:10.1016/j.energy.2020.117556; code in nuoaleon/Data-center-PUE-
 * prediction-tool, PUE_internalfunctions.ipynb; parameter ranges from
 * robVerce/datacenter_pue, data/datacenter_input_ranges.csv).
 *
 * Every plant has an air side and may have a liquid side.
 *
 * Air side (all IT heat for air-chilled-water, the residual room heat for
 * cold plate and immersion), in the order the heat travels:
 *   CRAH fans      m_air = Q / (cp_air dT_crah),  P = (m_air / rho_air) dp / eta
 *   CHW pump       m_w = Q / (cp_w (T_chw,ret - T_chw,sup)),  P = (m_w / rho_w) dp / eta
 *   economizer     t_econ = T_wb + approach_tower + approach_hx; the plate
 *                  heat exchanger carries the share
 *                      f = 1                                  t_econ <= T_chw,sup
 *                      f = (T_chw,ret - t_econ) / (T_chw,ret - T_chw,sup)   between
 *                      f = 0                                  t_econ >= T_chw,ret
 *                  of the chilled-water load (the Lei-Masanet linear rule);
 *   chiller        Q_ch = (1 - f) Q,  P_ch = Q_ch / COP(PLR, T_wb + approach_tower),
 *                  PLR = Q_ch / (chiller_capacity_share * design air heat);
 *   condenser pump on the rejected heat Q + P_ch at cw_dt_k;
 *   tower fans     m_air = m_cw / LG (LG = water/air mass flow ratio),
 *                  P = (m_air / rho_air) dp / eta.
 * In full free-cooling hours the chiller is off but the tower and the
 * condenser pump still reject the heat.
 *
 * Liquid side (cold plate, immersion):
 *   CDU pump       secondary loop on the liquid heat at dT = T_fw,ret - T_fw,sup;
 *   free rejection t_rej = T_db + approach_drycooler (dry coolers), or
 *                  T_wb + approach_tower + approach_hx (towers, through a plate
 *                  heat exchanger, as reference/power-cooling.md sec. 2.3 counts
 *                  its warm-water tower hours); the free share follows the same
 *                  linear rule between T_fw,sup and T_fw,ret;
 *   trim chiller   the rest, with the same COP regression at the condenser
 *                  water temperature t_rej (dry coolers) or T_wb +
 *                  approach_tower (towers), sized chiller_capacity_share x
 *                  design liquid heat;
 *   primary pump   from the CDUs to heat rejection, on the rejected heat
 *                  (liquid heat + trim chiller power) at the facility-water dT;
 *   dry coolers    P = drycooler_fan_w_per_w * rejected heat * n^3, with the fan
 *                  speed n = clamp(dT_edge / (T_fw,ret - T_db), 0.25, 1) and
 *                  dT_edge = T_fw,ret - T_fw,sup + approach: the air flow a
 *                  coil needs scales with Q / (fluid - air temperature), and
 *                  fan power with the cube of speed (affinity laws); fans are at
 *                  full speed (the design value) from the edge of full free
 *                  cooling upwards and never below 25 % speed, the minimum
 *                  EVAPCO recommends for its towers and closed-circuit coolers
 *                  (evapco.com/faq/answer/minimum-fan-speed-open-cooling-tower);
 *   towers         condenser pump and tower fans as on the air side, on the
 *                  rejected heat.
 *
 * The chiller COP regression is only meaningful where it was fitted: its
 * inputs are clamped to PLR 0.1..1 and t 10..35 C.  On that box the COP lies
 * between 2.2 (PLR 0.1, 35 C) and 13.5, falls with t everywhere (dCOP/dt = 0
 * only at t = 43 - 4.8 PLR C, outside the box), and Q/COP(Q) rises with Q, so
 * chiller power is monotone in load and in outdoor temperature.  Below
 * PLR 0.1 the COP is held at its PLR 0.1 value (a chiller cycling at minimum
 * load, not one whose COP collapses); above 35 C it is held at 35 C, which
 * understates chiller power in the few hours past that (dry coolers with a
 * 5 K approach: T_db > 30 C, 229-407 h a year at the three sites).
 *
 * Capacity: the plant removes at most capacity_margin x (design air +
 * design liquid heat).  Above that, both streams are removed in proportion
 * (the shared plant does not prefer one), the rest is unmet_w, and the power
 * is that for the heat removed.  The unmet air heat recirculates: in steady
 * state it warms the supply air by unmet_air / (m_air,cap cp_air), with
 * m_air,cap the CRAH air flow at capacity (capacity_margin x design air heat
 * / (cp_air dT_crah)).  This ignores the transient (room and server thermal
 * mass), the CRAH coil's own response to warmer return air and the coolant
 * temperature rise of the liquid loop; it is a steady-state indicator for the
 * power manager, saturated at 100 K.
 *
 * Fluid properties are constants: air 1.2 kg/m^3 and 1006 J/(kg K) (about
 * 20 C at sea level; Chengde's 386 m would be ~4 % thinner, ignored), water
 * 998 kg/m^3 and 4186 J/(kg K).  Zero heat gives zero power: every fan and
 * pump is sized by a flow proportional to the heat, and a plant with nothing
 * to cool is modelled as off.
 */
#include <math.h>
#include <string.h>

#include "suanli/cooling.h"
#include "suanli/list.h"

static const double rho_air_kg_m3 = 1.2;
static const double cp_air_j_kgk = 1006.0;
static const double rho_water_kg_m3 = 998.0;
static const double cp_water_j_kgk = 4186.0;

/* Lowest dry-cooler fan speed (EVAPCO: 25 %). */
static const double drycooler_min_speed = 0.25;
/* Saturation of the steady-state inlet temperature rise. */
static const double max_inlet_rise_k = 100.0;

/* Validity box of the Lei-Masanet chiller regression. */
static const double cop_load_min = 0.1, cop_load_max = 1.0;
static const double cop_t_min_c = 10.0, cop_t_max_c = 35.0;

/*
 * The built-in presets.
 *
 * Ranges are those of robVerce/datacenter_pue data/datacenter_input_ranges.csv
 * (Lei & Masanet): "typical" means its case groups 3-7, "hyperscale" case
 * groups 1-2; section numbers refer to reference/power-cooling.md.  Values
 * marked ASSUMPTION have no source in reference/ and are sweepable.
 *
 * All three presets share one air side, so that they differ only in where
 * the heat goes: a cold-plate or immersion hall still needs CRAHs and a
 * chilled-water plant for its residual room heat.
 *   crah_dp_pa 700          CRAH fan pressure, typical 400-1000 Pa:
 *                           mid-range.
 *   crah_fan_eff 0.70       typical 60-80 %: mid-range.
 *   crah_dt_k 10            CRAH air dT, typical 5-10 K: top of the range,
 *                           hot/cold aisle containment (hyperscale halls reach
 *                           13.9-19.4 K; sweep it).
 *   chw 12 / 18 C           the chilled-water temperatures of sec. 2.3's
 *                           free-cooling hours (so our hours match them).
 *   chw_pump_dp_pa 150 kPa  chiller pump 114.9-172.4 kPa: mid-range.
 *   cw_pump_dp_pa 210 kPa   tower pump 166.9-250.4 kPa: mid-range.
 *   cw_dt_k 5               tower water dT 4-6 K: mid-range.
 *   pump_eff 0.70           pumps 60-80 %: mid-range.
 *   tower_approach_k 4      2.8-6.7 K; 4 K as assumed in sec. 2.3.
 *   hx_approach_k 2         economizer HX 1.7-2.8 K; 2 K as in sec. 2.3.
 *   tower_fan_dp_pa 300     typical 200-400 Pa: mid-range.
 *   tower_fan_eff 0.70      typical 60-80 %: mid-range.
 *   tower_lg_ratio 1.0      typical 0.2-2; 1.0 sits in the 0.75-1.5 of
 *                           common counterflow towers (ASSUMPTION for the
 *                           narrowing; the CSV gives only the range).
 *   chiller_capacity_share 2.0
 *                           2N chillers, all running and sharing the load,
 *                           as Chinese Tier III/IV practice (ASSUMPTION), so
 *                           the part-load ratio at 80 % IT load without
 *                           economizer help is 0.4: inside the typical
 *                           part-load range 0.1-0.5.
 *   capacity_margin 1.2     N+1 CRAH/CDU/chiller groups of about 5+1
 *                           (ASSUMPTION).
 *
 * Liquid side (cold plate and immersion; filled in for the air preset too so
 * that a scenario may switch its kind without supplying them):
 *   fw 30 / 38 C            warm water 30/38 C of the brief and of sec. 2.3
 *                           (dry coolers free up to T_db 25 C).
 *   cdu_dp_pa 200 kPa       sec. 2.4: CDU loop 150-250 kPa (derived 0.5-0.9 %
 *                           of IT at dT 10 K): mid-range.
 *   fw_pump_dp_pa 150 kPa   primary loop to the dry coolers: the chilled-water
 *                           pump range 114.9-172.4 kPa applied to a loop of
 *                           similar length (ASSUMPTION).
 *   rejection dry cooler    the chiller-less warm-water design of sec. 2.4.
 *   drycooler_approach_k 5  sec. 2.3.
 *   drycooler_fan_w_per_w 0.02
 *                           derived with the fan formula for a coil with air
 *                           dT 10 K, 130 Pa and fan efficiency 0.55:
 *                           130 / (1.2 * 1006 * 10 * 0.55) = 0.0196 W/W at full
 *                           speed (ASSUMPTION: no published dry-cooler fan
 *                           power was found).
 * Thermal transient and throttling (docs/model.md, "Cooling loss and thermal
 * throttling"; all ASSUMPTIONS, low confidence):
 *   heat_capacity_s_per_k 30
 *                           a hall that loses all cooling at full load warms
 *                           2 K a minute: Hosting365, 2008, all seven chillers
 *                           out (Data Center Knowledge, "How much time, once
 *                           the cooling fails?"); APC/Schneider white paper 179
 *                           shows denser rooms warm faster.
 *   throttle_margin_k 8     supply at the ASHRAE recommended top (27 C) to the
 *                           A2 allowable inlet (35 C), the rated inlet of 8-GPU
 *                           servers (DGX H100: up to 35 C).
 *   throttle_span_k 50      GPU slowdown temperature (~87 C on H100 boards) less
 *                           the 35 C rated inlet.
 *   rack_residual           air 0.5 (neighbouring in-row units take half),
 *                           cold plate 0.3 (its air share: 1 - 0.8 of ~85 % of
 *                           the heat), immersion 0.1 (the tank's walls).
 * Cold plate: liquid_share 0.8 of accelerator + CPU heat (the brief's ~80 %).
 * Immersion: liquid_share 0.9 of all IT heat; switches, storage and PDUs
 * outside the tanks and the tanks' own surfaces heat the room (ASSUMPTION).
 * Its dielectric fluid has ~0.4 of water's volumetric heat capacity but runs
 * a 20-35 K loop dT (alliancechemical.com, two-phase vs single-phase fluid
 * selection; secondary), about the volume flow of water at the 8 K facility
 * dT, so the secondary pump is computed as a water loop at that dT.
 */
/* The plant all three presets share: the air side (CRAH, chilled water,
 * chiller, tower, economizer) and the warm-water loop, with the values and
 * sources given above.  The presets differ only in where the heat goes. */
#define SHARED_PLANT                                                                               \
    .crah_dp_pa = 700.0, .crah_fan_eff = 0.70, .crah_dt_k = 10.0, .chw_supply_c = 12.0,            \
    .chw_return_c = 18.0, .chw_pump_dp_pa = 150e3, .cw_pump_dp_pa = 210e3, .cw_dt_k = 5.0,         \
    .pump_eff = 0.70, .tower_approach_k = 4.0, .hx_approach_k = 2.0, .tower_fan_dp_pa = 300.0,     \
    .tower_fan_eff = 0.70, .tower_lg_ratio = 1.0, .chiller_capacity_share = 2.0,                   \
    .fw_supply_c = 30.0, .fw_return_c = 38.0, .cdu_dp_pa = 200e3, .fw_pump_dp_pa = 150e3,          \
    .rejection = SL_REJECT_DRY_COOLER, .drycooler_approach_k = 5.0, .drycooler_fan_w_per_w = 0.02, \
    .capacity_margin = 1.2, .heat_capacity_s_per_k = 30.0, .throttle_margin_k = 8.0,               \
    .throttle_span_k = 50.0

static const struct sl_cooling_spec presets[] = {
    {
        .name = SL_TEXT("air-chilled-water"),
        .description = SL_TEXT("CRAH + 12/18 C chilled water + water-cooled chiller + "
                               "cooling tower + waterside economizer"),
        .kind = SL_COOLING_AIR_CHW,
        .liquid_share = 0.0,
        .rack_residual = 0.5,
        SHARED_PLANT,
        .source = SL_TEXT("Lei & Masanet 2020 model; ranges robVerce/datacenter_pue "
                          "input_ranges.csv; temperatures and approaches "
                          "reference/power-cooling.md sec. 2.3 (see src/facility/cooling.c)"),
    },
    {
        .name = SL_TEXT("liquid-cold-plate"),
        .description = SL_TEXT("cold plates on a 30/38 C warm-water loop to dry coolers "
                               "(chiller trim); residual room heat via CRAH + chilled water"),
        .kind = SL_COOLING_COLD_PLATE,
        .liquid_share = 0.8,
        .rack_residual = 0.3,
        SHARED_PLANT,
        .source = SL_TEXT("Lei & Masanet 2020 model; CDU loop reference/power-cooling.md "
                          "sec. 2.4; warm water and dry cooler sec. 2.3 (see "
                          "src/facility/cooling.c)"),
    },
    {
        .name = SL_TEXT("immersion"),
        .description = SL_TEXT("single-phase immersion tanks, CDUs to a 30/38 C warm-water "
                               "loop and dry coolers (chiller trim); residual room heat via "
                               "CRAH + chilled water"),
        .kind = SL_COOLING_IMMERSION,
        .liquid_share = 0.9,
        .rack_residual = 0.1,
        SHARED_PLANT,
        .source = SL_TEXT("Lei & Masanet 2020 model; warm water and dry cooler "
                          "reference/power-cooling.md sec. 2.3; liquid share an assumption "
                          "(see src/facility/cooling.c)"),
    },
};

/* ---- Helpers.  Each returns 0 for a non-positive (or NaN) flow or
 * divisor, so that an invalid spec gives finite, if meaningless, numbers. */

static double nonneg(double x)
{
    return x > 0 ? x : 0;
}

static double water_flow_kg_s(double q_w, double dt_k)
{
    return dt_k > 0 ? nonneg(q_w) / (cp_water_j_kgk * dt_k) : 0;
}

/* Fan power for an air mass flow through dp at efficiency eff. */
static double fan_w(double m_air_kg_s, double dp_pa, double eff)
{
    return eff > 0 ? nonneg(m_air_kg_s) / rho_air_kg_m3 * nonneg(dp_pa) / eff : 0;
}

/* Pump power for a water mass flow through dp at efficiency eff. */
static double pump_w(double m_water_kg_s, double dp_pa, double eff)
{
    return eff > 0 ? nonneg(m_water_kg_s) / rho_water_kg_m3 * nonneg(dp_pa) / eff : 0;
}

/* Share of a load that free cooling carries when the coolest water it can
 * make is t_c, for a loop with the given supply and return temperatures. */
static double free_share(double t_c, double supply_c, double return_c)
{
    if (t_c <= supply_c)
        return 1;
    if (t_c >= return_c)
        return 0;
    return (return_c - t_c) / (return_c - supply_c);
}

/* Power of a chiller carrying q_w with capacity cap_w and condenser water at
 * t_cond_c.  No capacity (design heat 0) runs the chiller at full load. */
static double chiller_w(double q_w, double cap_w, double t_cond_c)
{
    if (!(q_w > 0))
        return 0;
    double plr = cap_w > 0 ? q_w / cap_w : 1;
    return q_w / sl_chiller_cop(plr, t_cond_c);
}

/* Condenser pump and tower fans rejecting q_rej_w. */
static void tower(const struct sl_cooling_spec *s, double q_rej_w, struct sl_cooling_result *r)
{
    double m_cw = water_flow_kg_s(q_rej_w, s->cw_dt_k);
    r->cw_pump_w += pump_w(m_cw, s->cw_pump_dp_pa, s->pump_eff);
    double m_air = s->tower_lg_ratio > 0 ? m_cw / s->tower_lg_ratio : 0;
    r->tower_fan_w += fan_w(m_air, s->tower_fan_dp_pa, s->tower_fan_eff);
}

/* CRAH fans, chilled-water pump, economizer, chiller and tower for q_w of
 * room heat. */
static void air_side(const struct sl_cooling_spec *s, double q_w, double t_wb_c, double design_w,
                     struct sl_cooling_result *r)
{
    double m_air = s->crah_dt_k > 0 ? q_w / (cp_air_j_kgk * s->crah_dt_k) : 0;
    r->crah_fan_w += fan_w(m_air, s->crah_dp_pa, s->crah_fan_eff);
    r->removed_air_w += nonneg(m_air) * cp_air_j_kgk * s->crah_dt_k;
    double m_chw = water_flow_kg_s(q_w, s->chw_return_c - s->chw_supply_c);
    r->chw_pump_w += pump_w(m_chw, s->chw_pump_dp_pa, s->pump_eff);

    double f = free_share(t_wb_c + s->tower_approach_k + s->hx_approach_k, s->chw_supply_c,
                          s->chw_return_c);
    double p_ch = chiller_w((1 - f) * q_w, s->chiller_capacity_share * design_w,
                            t_wb_c + s->tower_approach_k);
    r->chiller_w += p_ch;
    r->free_cooling = f;
    tower(s, q_w + p_ch, r);
}

/* Dry-cooler fan power factor (n^3) at outdoor dry bulb t_db_c. */
static double drycooler_speed_cubed(const struct sl_cooling_spec *s, double t_db_c)
{
    double dt_edge = s->fw_return_c - s->fw_supply_c + s->drycooler_approach_k;
    double dt = s->fw_return_c - t_db_c;
    double n = 1;
    if (dt > dt_edge && dt_edge > 0)
        n = dt_edge / dt;
    if (n < drycooler_min_speed)
        n = drycooler_min_speed;
    return n * n * n;
}

/* CDU pump, free rejection, trim chiller, primary pump and heat rejection
 * for q_w of liquid heat. */
static void liquid_side(const struct sl_cooling_spec *s, double q_w, double t_db_c, double t_wb_c,
                        double design_w, struct sl_cooling_result *r)
{
    double dt_fw = s->fw_return_c - s->fw_supply_c;
    double m_cdu = water_flow_kg_s(q_w, dt_fw);
    r->cdu_pump_w += pump_w(m_cdu, s->cdu_dp_pa, s->pump_eff);
    r->removed_liquid_w += m_cdu * cp_water_j_kgk * dt_fw;

    int by_tower = s->rejection == SL_REJECT_TOWER;
    double t_free = by_tower ? t_wb_c + s->tower_approach_k + s->hx_approach_k
                             : t_db_c + s->drycooler_approach_k;
    double t_cond = by_tower ? t_wb_c + s->tower_approach_k : t_free;
    double f = free_share(t_free, s->fw_supply_c, s->fw_return_c);
    double p_ch = chiller_w((1 - f) * q_w, s->chiller_capacity_share * design_w, t_cond);
    r->chiller_w += p_ch;
    r->liquid_free_cooling = f;

    double q_rej = q_w + p_ch;
    r->fw_pump_w += pump_w(water_flow_kg_s(q_rej, dt_fw), s->fw_pump_dp_pa, s->pump_eff);
    if (by_tower)
        tower(s, q_rej, r);
    else
        r->drycooler_fan_w +=
            nonneg(s->drycooler_fan_w_per_w) * q_rej * drycooler_speed_cubed(s, t_db_c);
}

double sl_chiller_cop(double load, double t_c)
{
    /* Written so that NaN lands on the lower bound. */
    if (!(load >= cop_load_min))
        load = cop_load_min;
    if (load > cop_load_max)
        load = cop_load_max;
    if (!(t_c >= cop_t_min_c))
        t_c = cop_t_min_c;
    if (t_c > cop_t_max_c)
        t_c = cop_t_max_c;
    return 16.798751 + 0.008840 * t_c * t_c - 8.528931 * load * load + 9.885294 * load -
           0.760621 * t_c + 0.084615 * load * t_c;
}

void sl_cooling_eval(const struct sl_cooling_spec *s, double heat_air_w, double heat_liquid_w,
                     double t_db_c, double t_wb_c, double design_air_w, double design_liquid_w,
                     struct sl_cooling_result *r)
{
    memset(r, 0, sizeof *r);
    double air = nonneg(heat_air_w), liquid = nonneg(heat_liquid_w);
    double d_air = nonneg(design_air_w), d_liquid = nonneg(design_liquid_w);
    /* An air plant has no liquid loop: whatever the caller calls liquid
     * heat ends up in the room. */
    if (s->kind == SL_COOLING_AIR_CHW) {
        air += liquid;
        liquid = 0;
        d_air += d_liquid;
        d_liquid = 0;
    }

    double heat = air + liquid;
    double cap = nonneg(s->capacity_margin) * (d_air + d_liquid);
    r->capacity_w = cap;
    if (heat > cap) {
        /* Split the capacity in the proportion of the heat; an all-air or
         * all-liquid load keeps exactly the capacity. */
        double air_removed = liquid > 0 ? cap * (air / heat) : cap;
        double unmet_air = air - air_removed;
        r->unmet_w = heat - cap;
        air = air_removed;
        liquid = cap - air_removed;
        /* unmet_air / (m_air,cap cp_air), m_air,cap = margin d_air / (cp_air dT). */
        double air_cap = nonneg(s->capacity_margin) * d_air;
        double rise = max_inlet_rise_k;
        if (air_cap > 0 && s->crah_dt_k > 0)
            rise = unmet_air * s->crah_dt_k / air_cap;
        if (!(unmet_air > 0))
            rise = 0;
        r->inlet_rise_k = rise < max_inlet_rise_k ? rise : max_inlet_rise_k;
    }

    air_side(s, air, t_wb_c, d_air, r);
    if (s->kind != SL_COOLING_AIR_CHW)
        liquid_side(s, liquid, t_db_c, t_wb_c, d_liquid, r);
    else
        r->liquid_free_cooling = 1;

    r->total_w = r->crah_fan_w + r->chw_pump_w + r->chiller_w + r->cw_pump_w + r->tower_fan_w +
                 r->cdu_pump_w + r->fw_pump_w + r->drycooler_fan_w;
}

/* ---- Validation. */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, __VA_ARGS__);                             \
    } while (0)

static int check_eff(const char *plant, const char *field, double v, struct sl_diag *d)
{
    CHECK(v > 0 && v <= 1, "cooling '%s': %s must be in (0, 1], got %g", plant, field, v);
    return SL_OK;
}

static int check_nonneg(const char *plant, const char *field, double v, struct sl_diag *d)
{
    CHECK(v >= 0 && isfinite(v), "cooling '%s': %s must be finite and >= 0, got %g", plant, field,
          v);
    return SL_OK;
}

static int check_pos(const char *plant, const char *field, double v, struct sl_diag *d)
{
    CHECK(v > 0 && isfinite(v), "cooling '%s': %s must be finite and > 0, got %g", plant, field, v);
    return SL_OK;
}

int sl_cooling_validate(const struct sl_cooling_spec *s, struct sl_diag *d)
{
    const char *n = s->name ? s->name : "(unnamed)";
    int rc;
    CHECK(s->kind >= SL_COOLING_AIR_CHW && s->kind <= SL_COOLING_IMMERSION,
          "cooling '%s': unknown kind %d (air-chilled-water, liquid-cold-plate or immersion)", n,
          s->kind);
    CHECK(s->rejection == SL_REJECT_DRY_COOLER || s->rejection == SL_REJECT_TOWER,
          "cooling '%s': unknown heat rejection %d (dry-cooler or tower)", n, s->rejection);
    CHECK(s->rack_residual >= 0 && s->rack_residual <= 1,
          "cooling '%s': rack_residual must be in [0, 1], got %g", n, s->rack_residual);
    CHECK(s->liquid_share >= 0 && s->liquid_share <= 1,
          "cooling '%s': liquid_share must be in [0, 1], got %g", n, s->liquid_share);
    if ((rc = check_eff(n, "crah_fan_eff", s->crah_fan_eff, d)) ||
        (rc = check_eff(n, "pump_eff", s->pump_eff, d)) ||
        (rc = check_eff(n, "tower_fan_eff", s->tower_fan_eff, d)) ||
        (rc = check_nonneg(n, "crah_dp_pa", s->crah_dp_pa, d)) ||
        (rc = check_nonneg(n, "chw_pump_dp_pa", s->chw_pump_dp_pa, d)) ||
        (rc = check_nonneg(n, "cw_pump_dp_pa", s->cw_pump_dp_pa, d)) ||
        (rc = check_nonneg(n, "tower_fan_dp_pa", s->tower_fan_dp_pa, d)) ||
        (rc = check_nonneg(n, "cdu_dp_pa", s->cdu_dp_pa, d)) ||
        (rc = check_nonneg(n, "fw_pump_dp_pa", s->fw_pump_dp_pa, d)) ||
        (rc = check_nonneg(n, "tower_approach_k", s->tower_approach_k, d)) ||
        (rc = check_nonneg(n, "hx_approach_k", s->hx_approach_k, d)) ||
        (rc = check_nonneg(n, "drycooler_approach_k", s->drycooler_approach_k, d)) ||
        (rc = check_nonneg(n, "drycooler_fan_w_per_w", s->drycooler_fan_w_per_w, d)) ||
        (rc = check_pos(n, "crah_dt_k", s->crah_dt_k, d)) ||
        (rc = check_pos(n, "cw_dt_k", s->cw_dt_k, d)) ||
        (rc = check_pos(n, "tower_lg_ratio", s->tower_lg_ratio, d)) ||
        (rc = check_pos(n, "chiller_capacity_share", s->chiller_capacity_share, d)) ||
        (rc = check_pos(n, "capacity_margin", s->capacity_margin, d)) ||
        (rc = check_pos(n, "heat_capacity", s->heat_capacity_s_per_k, d)) ||
        (rc = check_nonneg(n, "throttle_margin", s->throttle_margin_k, d)) ||
        (rc = check_pos(n, "throttle_span", s->throttle_span_k, d)))
        return rc;
    CHECK(isfinite(s->chw_supply_c) && isfinite(s->chw_return_c) &&
              s->chw_return_c > s->chw_supply_c,
          "cooling '%s': chilled-water return (%g C) must be above supply (%g C)", n,
          s->chw_return_c, s->chw_supply_c);
    CHECK(isfinite(s->fw_supply_c) && isfinite(s->fw_return_c) && s->fw_return_c > s->fw_supply_c,
          "cooling '%s': facility-water return (%g C) must be above supply (%g C)", n,
          s->fw_return_c, s->fw_supply_c);
    return SL_OK;
}

#undef CHECK

/* ---- Presets. */

size_t sl_cooling_preset_count(void)
{
    return sizeof presets / sizeof presets[0];
}

const struct sl_cooling_spec *sl_cooling_preset(size_t i)
{
    return i < sl_cooling_preset_count() ? &presets[i] : NULL;
}

const struct sl_cooling_spec *sl_cooling_find_preset(const char *name)
{
    for (size_t i = 0; name && i < sl_cooling_preset_count(); i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}
