/*
 * The scenario schema and loader.
 *
 * The tables below are the single definition of every scenario key: its
 * type, unit, default, range and meaning.  Validation, `suanli check` output
 * and docs/scenario.md all come from them.
 *
 * Loading happens in four steps, all before any simulation starts:
 *   1. parse the YAML file (or the built-in default) into a tree;
 *   2. take out `variants:`;
 *   3. for each variant (or once when there are none): copy the tree, apply
 *      the variant's `set:` overrides, then the command line's --set and
 *      --seed (the command line wins), and map the tree onto a struct;
 *   4. resolve names (the server model) and check cross-field rules.
 * An override creates the nodes it names, tagged with its own origin, so a
 * misspelt override key is reported like a misspelt file key ("--set
 * 'fleet.servres=1': unknown key 'servres' in fleet (did you mean
 * 'servers'?)").
 */
#include "suanli/scenario.h"

#include "config/schema.h"
#include "config/ytree.h"
#include "fleet/server.h"
#include "suanli/alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char sl__default_scenario_yaml[];
extern const size_t sl__default_scenario_yaml_len;

#define DEFAULT_SOURCE_NAME "<built-in default scenario>"

/* ---- schema tables ---- */

#define S(type, member) offsetof(type, member)

#define F_STR(key, T, m, def, flags, doc)                                                          \
    {                                                                                              \
        key, SL_FT_STRING, 0, S(T, m), def, SL_NO_MIN, SL_NO_MAX, flags, NULL, NULL, doc           \
    }
#define F_INT(key, T, m, def, lo, hi, flags, doc)                                                  \
    {                                                                                              \
        key, SL_FT_INT, 0, S(T, m), def, lo, hi, flags, NULL, NULL, doc                            \
    }
#define F_REAL(key, unit, T, m, def, lo, hi, flags, doc)                                           \
    {                                                                                              \
        key, SL_FT_REAL, unit, S(T, m), def, lo, hi, flags, NULL, NULL, doc                        \
    }
#define F_ENUM(key, T, m, def, names, doc)                                                         \
    {                                                                                              \
        key, SL_FT_ENUM, 0, S(T, m), def, SL_NO_MIN, SL_NO_MAX, 0, names, NULL, doc                \
    }
#define F_BOOL(key, T, m, def, doc)                                                                \
    {                                                                                              \
        key, SL_FT_BOOL, 0, S(T, m), def, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL, doc                 \
    }
#define F_LIST(key, T, m, sub, doc)                                                                \
    {                                                                                              \
        key, SL_FT_LIST, 0, S(T, m), "[]", SL_NO_MIN, SL_NO_MAX, 0, NULL, sub, doc                 \
    }
#define REQ      (SL_FF_REQUIRED)
#define NAME_REQ (SL_FF_REQUIRED | SL_FF_NAME)
#define OPT      SL_FF_OPTIONAL
#define POS      SL_FF_MIN_EXCL
#define SCHEMA(name, type, fields)                                                                 \
    static const struct sl_schema name = {#type, sizeof(struct type), fields,                      \
                                          sizeof fields / sizeof fields[0]}

static const char *const confidence_names[] = {"high", "medium", "low", NULL};
static const char *const grade_names[] = {"titanium", "platinum", "gold", "silver", "bronze", NULL};
static const char *const scope_names[] = {"facility", "rack", "server", "board", NULL};
static const char *const redundancy_names[] = {"n", "n+1", "2n", NULL};
static const char *const cooling_kind_names[] = {"air", "cold-plate", "immersion", NULL};
static const char *const rejection_names[] = {"dry-cooler", "tower", NULL};

#define T_DEV struct sl_device_model
static const struct sl_field device_fields[] = {
    F_STR("name", T_DEV, name, NULL, NAME_REQ, "catalog name, referenced by a server's `device`"),
    F_STR("description", T_DEV, description, NULL, OPT, "free text"),
    F_REAL("fp16", SL_UNIT_FLOPS, T_DEV, fp16_flops, NULL, 0, SL_NO_MAX, REQ | POS,
           "dense FP16/BF16 peak"),
    F_REAL("int8", SL_UNIT_FLOPS, T_DEV, int8_ops, NULL, 0, SL_NO_MAX, REQ | POS,
           "dense INT8/FP8 peak"),
    F_REAL("memory", SL_UNIT_DATA, T_DEV, memory_bytes, NULL, 0, SL_NO_MAX, REQ | POS,
           "device memory"),
    F_REAL("memory_bw", SL_UNIT_BANDWIDTH, T_DEV, memory_bw, NULL, 0, SL_NO_MAX, REQ | POS,
           "device memory bandwidth"),
    F_REAL("tdp", SL_UNIT_POWER, T_DEV, tdp_w, NULL, 0, SL_NO_MAX, REQ | POS,
           "board power at full load"),
    F_REAL("idle", SL_UNIT_POWER, T_DEV, idle_w, NULL, 0, SL_NO_MAX, REQ,
           "board power with no work; below `tdp`"),
    F_STR("link", T_DEV, link, "pcie4-x16", 0, "card-to-card link"),
    F_REAL("link_bw", SL_UNIT_BANDWIDTH, T_DEV, link_bw, "32 GB/s", 0, SL_NO_MAX, POS,
           "card-to-card bandwidth per card"),
    F_ENUM("confidence", T_DEV, confidence, "low", confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_DEV, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(device_schema, sl_device_model, device_fields);

#define T_CPU struct sl_cpu_model
static const struct sl_field cpu_fields[] = {
    F_STR("name", T_CPU, name, NULL, NAME_REQ, "catalog name, referenced by a server's `cpu`"),
    F_STR("description", T_CPU, description, NULL, OPT, "free text"),
    F_INT("cores", T_CPU, cores, "16", 1, 4096, 0, "cores per socket"),
    F_REAL("tdp", SL_UNIT_POWER, T_CPU, tdp_w, NULL, 0, SL_NO_MAX, REQ | POS, "power at full load"),
    F_REAL("idle", SL_UNIT_POWER, T_CPU, idle_w, NULL, 0, SL_NO_MAX, REQ, "power with no work"),
    F_ENUM("confidence", T_CPU, confidence, "low", confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_CPU, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(cpu_schema, sl_cpu_model, cpu_fields);

#define T_SRV struct sl_server_model
static const struct sl_field server_fields[] = {
    F_STR("name", T_SRV, name, NULL, NAME_REQ, "catalog name, referenced by `fleet.server`"),
    F_STR("description", T_SRV, description, NULL, OPT, "free text"),
    F_INT("height_u", T_SRV, height_u, "4", 1, 64, 0, "height in rack units"),
    F_STR("device", T_SRV, device, NULL, NAME_REQ, "accelerator model (catalog)"),
    F_INT("cards", T_SRV, cards, "8", 1, 64, 0, "accelerator cards per server"),
    F_STR("cpu", T_SRV, cpu, NULL, NAME_REQ, "host CPU model (catalog)"),
    F_INT("cpus", T_SRV, cpus, "2", 0, 16, 0, "host CPU sockets"),
    F_REAL("memory_power", SL_UNIT_POWER, T_SRV, memory_w, "150 W", 0, SL_NO_MAX, 0,
           "host memory at full load"),
    F_REAL("memory_idle", SL_UNIT_POWER, T_SRV, memory_idle_w, "80 W", 0, SL_NO_MAX, 0,
           "host memory with no work"),
    F_REAL("nic_power", SL_UNIT_POWER, T_SRV, nic_w, "220 W", 0, SL_NO_MAX, 0,
           "NICs and local storage at full load"),
    F_REAL("nic_idle", SL_UNIT_POWER, T_SRV, nic_idle_w, "120 W", 0, SL_NO_MAX, 0,
           "NICs and local storage with no work"),
    F_REAL("other_power", SL_UNIT_POWER, T_SRV, other_w, "0 W", 0, SL_NO_MAX, 0,
           "constant: BMC, board, misc."),
    F_REAL("fan_power", SL_UNIT_POWER, T_SRV, fan_w, "400 W", 0, SL_NO_MAX, 0,
           "fans at full air-cooled heat"),
    F_REAL("fan_idle", SL_UNIT_POWER, T_SRV, fan_idle_w, "120 W", 0, SL_NO_MAX, 0,
           "fans at their floor"),
    F_INT("psus", T_SRV, psus, "4", 1, 16, 0, "installed PSUs, sharing the load"),
    F_INT("psus_spare", T_SRV, psus_spare, "2", 0, 15, 0,
          "redundant PSUs among them (2 of 4 for 2+2)"),
    F_REAL("psu_rating", SL_UNIT_POWER, T_SRV, psu_rating_w, "3 kW", 0, SL_NO_MAX, POS,
           "rating of one PSU"),
    F_ENUM("psu_grade", T_SRV, psu_grade, "platinum", grade_names,
           "80 PLUS grade (efficiency curve)"),
    F_ENUM("confidence", T_SRV, confidence, "low", confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_SRV, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(server_schema, sl_server_model, server_fields);

#define T_PT struct sl_eff_point
static const struct sl_field point_fields[] = {
    F_REAL("load", SL_UNIT_PERCENT, T_PT, load, NULL, 0, 2, REQ | POS,
           "load as a share of the installed rating"),
    F_REAL("efficiency", SL_UNIT_PERCENT, T_PT, eff, NULL, 0, 1, REQ | POS,
           "output / input at that load"),
};
SCHEMA(point_schema, sl_eff_point, point_fields);

#define T_ST struct sl_stage_spec
static const struct sl_field stage_fields[] = {
    F_STR("name", T_ST, name, NULL, NAME_REQ, "stage name (reported per stage)"),
    F_STR("description", T_ST, description, NULL, OPT, "free text"),
    F_ENUM("scope", T_ST, scope, "facility", scope_names,
           "load it carries: the whole site, a rack, a server or a card"),
    F_BOOL("indoor", T_ST, indoor, "true", "its losses heat the cooled white space"),
    F_INT("units", T_ST, units, "1", 1, 1000000, 0, "units needed at design load"),
    F_ENUM("redundancy", T_ST, redundancy, "n", redundancy_names, "installed units: N, N+1 or 2N"),
    F_REAL("rating", SL_UNIT_POWER, T_ST, rating_w, "0 W", 0, SL_NO_MAX, 0,
           "rating of one unit; 0 = sized from the design load"),
    {"sizing", SL_FT_REAL, SL_UNIT_NONE, S(T_ST, sizing), "1", 0, 10, SL_FF_MIN_EXCL, NULL, NULL,
     "installed capacity (N units) / design output, when sized"},
    F_BOOL("from_server", T_ST, from_server, "false",
           "server PSUs: units, rating and 80 PLUS curve from the server model"),
    F_REAL("efficiency", SL_UNIT_PERCENT, T_ST, efficiency, "0 %", 0, 1, 0,
           "constant efficiency (0 = use the curve or loss terms)"),
    F_LIST("curve", T_ST, curve, &point_schema, "efficiency points by increasing load"),
    F_REAL("loss_no_load", SL_UNIT_PERCENT, T_ST, loss_no_load, "0 %", 0, 1, 0,
           "fixed loss, share of installed rating"),
    F_REAL("loss_linear", SL_UNIT_PERCENT, T_ST, loss_linear, "0 %", 0, 1, 0,
           "loss proportional to load, share of rating at full load"),
    F_REAL("loss_square", SL_UNIT_PERCENT, T_ST, loss_square, "0 %", 0, 1, 0,
           "loss with the square of load, share of rating at full load"),
    F_STR("source", T_ST, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(stage_schema, sl_stage_spec, stage_fields);

#define T_CH struct sl_chain_spec
static const struct sl_field chain_fields[] = {
    F_STR("name", T_CH, name, NULL, NAME_REQ, "chain name, referenced by `facility.power_chain`"),
    F_STR("description", T_CH, description, NULL, OPT, "free text"),
    F_LIST("stages", T_CH, stages, &stage_schema, "stages from the grid to the silicon"),
    F_STR("source", T_CH, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(chain_schema, sl_chain_spec, chain_fields);

#define T_CO                    struct sl_cooling_spec
#define PCT(key, m, def, doc)   F_REAL(key, SL_UNIT_PERCENT, T_CO, m, def, 0, 1, 0, doc)
#define PA(key, m, def, doc)    F_REAL(key, SL_UNIT_PRESSURE, T_CO, m, def, 0, SL_NO_MAX, 0, doc)
#define KDIFF(key, m, def, doc) F_REAL(key, SL_UNIT_TEMP_DIFF, T_CO, m, def, 0, 100, 0, doc)
#define TEMP(key, m, def, doc)  F_REAL(key, SL_UNIT_TEMP, T_CO, m, def, -50, 100, 0, doc)
static const struct sl_field cooling_fields[] = {
    F_STR("name", T_CO, name, NULL, NAME_REQ, "plant name, referenced by `facility.cooling`"),
    F_STR("description", T_CO, description, NULL, OPT, "free text"),
    F_ENUM("kind", T_CO, kind, "air", cooling_kind_names,
           "air (CRAH + chilled water), cold-plate or immersion"),
    PCT("liquid_share", liquid_share, "0 %",
        "share of card and CPU heat (cold plate) or of all IT heat (immersion) to liquid"),
    PA("crah_dp", crah_dp_pa, "700 Pa", "CRAH fan pressure rise"),
    PCT("crah_fan_eff", crah_fan_eff, "70 %", "CRAH fan efficiency"),
    KDIFF("crah_dt", crah_dt_k, "10 K", "air temperature rise across the IT equipment"),
    TEMP("chw_supply", chw_supply_c, "12 C", "chilled water supply"),
    TEMP("chw_return", chw_return_c, "18 C", "chilled water return"),
    PA("chw_pump_dp", chw_pump_dp_pa, "150 kPa", "chilled water pump head"),
    PA("cw_pump_dp", cw_pump_dp_pa, "210 kPa", "condenser water pump head"),
    KDIFF("cw_dt", cw_dt_k, "5 K", "condenser water temperature rise"),
    PCT("pump_eff", pump_eff, "70 %", "pump efficiency"),
    KDIFF("tower_approach", tower_approach_k, "4 K", "cooling tower approach to wet-bulb"),
    KDIFF("hx_approach", hx_approach_k, "2 K", "economizer heat exchanger approach"),
    PA("tower_fan_dp", tower_fan_dp_pa, "300 Pa", "cooling tower fan pressure rise"),
    PCT("tower_fan_eff", tower_fan_eff, "70 %", "cooling tower fan efficiency"),
    {"tower_lg", SL_FT_REAL, SL_UNIT_NONE, S(T_CO, tower_lg_ratio), "1", 0, 10, SL_FF_MIN_EXCL,
     NULL, NULL, "tower water/air mass flow ratio"},
    {"chiller_capacity", SL_FT_REAL, SL_UNIT_NONE, S(T_CO, chiller_capacity_share), "2", 0, 10,
     SL_FF_MIN_EXCL, NULL, NULL, "installed chiller capacity / design air heat"},
    TEMP("fw_supply", fw_supply_c, "30 C", "warm-water supply to the cold plates or tanks"),
    TEMP("fw_return", fw_return_c, "38 C", "warm-water return"),
    PA("cdu_dp", cdu_dp_pa, "200 kPa", "secondary loop head: CDU and cold plates"),
    PA("fw_pump_dp", fw_pump_dp_pa, "150 kPa", "primary loop head to heat rejection"),
    F_ENUM("rejection", T_CO, rejection, "dry-cooler", rejection_names,
           "heat rejection of the liquid loop"),
    KDIFF("drycooler_approach", drycooler_approach_k, "5 K", "dry cooler approach to dry-bulb"),
    PCT("drycooler_fan", drycooler_fan_w_per_w, "2 %",
        "dry cooler fan power per W of heat at design"),
    {"capacity_margin", SL_FT_REAL, SL_UNIT_NONE, S(T_CO, capacity_margin), "1.2", 0, 10,
     SL_FF_MIN_EXCL, NULL, NULL, "plant capacity / design heat"},
    F_STR("source", T_CO, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(cooling_schema, sl_cooling_spec, cooling_fields);

static const struct sl_field catalog_fields[] = {
    F_LIST("devices", struct sl_catalog_cfg, devices, &device_schema,
           "accelerators added to the built-in catalog"),
    F_LIST("cpus", struct sl_catalog_cfg, cpus, &cpu_schema, "host CPUs added"),
    F_LIST("servers", struct sl_catalog_cfg, servers, &server_schema, "server models added"),
    F_LIST("chains", struct sl_catalog_cfg, chains, &chain_schema, "power chains added"),
    F_LIST("cooling", struct sl_catalog_cfg, cooling, &cooling_schema, "cooling plants added"),
};
SCHEMA(catalog_schema, sl_catalog_cfg, catalog_fields);

#define T_TOU struct sl_tou_period
static const struct sl_field tou_fields[] = {
    {"from", SL_FT_TIME, 0, S(T_TOU, from_us), NULL, 0, 86400, SL_FF_REQUIRED, NULL, NULL,
     "start, local time of day (`8h`, `690min`)"},
    {"to", SL_FT_TIME, 0, S(T_TOU, to_us), NULL, 0, 86400, SL_FF_REQUIRED, NULL, NULL,
     "end, local time of day (may wrap past midnight)"},
    F_REAL("price", SL_UNIT_PRICE, T_TOU, price, NULL, 0, SL_NO_MAX, REQ, "price in the period"),
};
SCHEMA(tou_schema, sl_tou_period, tou_fields);

static const char *const shape_names[] = {"constant", "diurnal", NULL};

static const struct sl_field synthetic_fields[] = {
    {"shape", SL_FT_ENUM, 0, S(struct sl_synthetic_cfg, shape), "diurnal", SL_NO_MIN, SL_NO_MAX, 0,
     shape_names, NULL,
     "`constant`: the fleet's target utilisation is `mean`; `diurnal`: "
     "`mean + amplitude * cos(2 pi (t - peak_time) / period)`"},
    {"mean", SL_FT_REAL, SL_UNIT_PERCENT, S(struct sl_synthetic_cfg, mean), "80 %", 0, 1, 0, NULL,
     NULL, "mean target utilisation of the cards"},
    {"amplitude", SL_FT_REAL, SL_UNIT_PERCENT, S(struct sl_synthetic_cfg, amplitude), "15 %", 0, 1,
     0, NULL, NULL, "diurnal swing around the mean (mean +- amplitude must stay in 0-100 %)"},
    {"period", SL_FT_TIME, 0, S(struct sl_synthetic_cfg, period_us), "24h", 0, SL_NO_MAX,
     SL_FF_MIN_EXCL, NULL, NULL, "period of the diurnal cycle"},
    {"peak_time", SL_FT_TIME, 0, S(struct sl_synthetic_cfg, peak_time_us), "15h", 0, 86400,
     SL_FF_MAX_EXCL, NULL, NULL, "local time of day of the diurnal peak"},
    {"noise", SL_FT_REAL, SL_UNIT_PERCENT, S(struct sl_synthetic_cfg, noise), "5 %", 0, 1, 0, NULL,
     NULL, "standard deviation of one server's utilisation around the target (clipped to 0-100 %)"},
    {"change_interval", SL_FT_TIME, 0, S(struct sl_synthetic_cfg, change_interval_us), "15min",
     0.001, SL_NO_MAX, 0, NULL, NULL,
     "mean time between changes of one server's load (exponential)"},
    {"phase", SL_FT_ENUM, 0, S(struct sl_synthetic_cfg, phase), "mixed", SL_NO_MIN, SL_NO_MAX, 0,
     sl_phase_names, NULL,
     "activity phase of the loaded cards (see `phases`); `mixed` spans the whole idle-to-TDP "
     "range"},
};
static const struct sl_schema synthetic_schema = {
    "synthetic load", sizeof(struct sl_synthetic_cfg), synthetic_fields,
    sizeof synthetic_fields / sizeof synthetic_fields[0]};

#define SC(member) offsetof(struct sl_scenario, member)

static const struct sl_field run_fields[] = {
    {"duration", SL_FT_TIME, 0, S(struct sl_run_cfg, duration_us), "7d", 0, SL_NO_MAX,
     SL_FF_MIN_EXCL, NULL, NULL, "simulated time span"},
    {"sample", SL_FT_TIME, 0, S(struct sl_run_cfg, sample_us), "60s", 0.001, SL_NO_MAX, 0, NULL,
     NULL, "interval of the rows of `timeseries.csv`"},
    {"seed", SL_FT_INT, 0, S(struct sl_run_cfg, seed), "1", 0, 9007199254740992.0, 0, NULL, NULL,
     "seed of all random streams (same seed, same results); `--seed` overrides it"},
    {"start", SL_FT_STRING, 0, S(struct sl_run_cfg, start), "2025-01-01", SL_NO_MIN, SL_NO_MAX, 0,
     NULL, NULL, "local start date and time, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`"},
};
#define T_SITE struct sl_site_cfg
static const struct sl_field site_fields[] = {
    F_STR("name", T_SITE, name, "xinghua", SL_FF_NAME,
          "site name; the built-in sites are chengde, shijiazhuang and xinghua"),
    F_STR("weather", T_SITE, weather, NULL, OPT,
          "a built-in site's weather by name, or the path of an EnergyPlus EPW file; "
          "unset: the site's own"),
    F_REAL("grid_cap", SL_UNIT_POWER, T_SITE, grid_cap_w, "8 MW", 0, SL_NO_MAX, POS,
           "locked grid allocation: the most the site may draw"),
    F_REAL("price", SL_UNIT_PRICE, T_SITE, price, "0.6 CNY/kWh", 0, SL_NO_MAX, 0,
           "electricity price outside the time-of-use periods"),
    F_LIST("tou", T_SITE, tou, &tou_schema, "time-of-use price periods"),
    F_REAL("carbon", SL_UNIT_CARBON, T_SITE, carbon, NULL, 0, SL_NO_MAX, OPT | POS,
           "grid carbon intensity; unset: the built-in site's province (MEE 2022)"),
};
#define T_FAC struct sl_facility_cfg
static const struct sl_field facility_fields[] = {
    F_STR("power_chain", T_FAC, power_chain, "ac-2n-ups", SL_FF_NAME,
          "power chain preset or `catalog.chains` name"),
    F_STR("cooling", T_FAC, cooling, "air-chilled-water", SL_FF_NAME,
          "cooling plant preset or `catalog.cooling` name"),
    F_REAL("aux_load", SL_UNIT_PERCENT, T_FAC, aux_load, "1.5 %", 0, 1, 0,
           "lighting, building management, security: constant, as a share of the design IT "
           "power"),
    {"step", SL_FT_TIME, 0, S(struct sl_facility_cfg, step_us), "1min", 1, 3600, 0, NULL, NULL,
     "control step of the facility: chain, cooling, cap, cost and carbon are evaluated on the "
     "exact IT energy of each step; `run.sample` must be a whole multiple of it"},
};
static const struct sl_field fleet_fields[] = {
    {"servers", SL_FT_INT, 0, S(struct sl_fleet_cfg, servers), "1280", 1, 10000000, 0, NULL, NULL,
     "number of servers (1,280 x 8 cards = 10,240 cards in the brief's center)"},
    {"servers_per_rack", SL_FT_INT, 0, S(struct sl_fleet_cfg, servers_per_rack), "8", 1, 1024, 0,
     NULL, NULL, "servers per rack: 8 traditional, 16 in the \"three-in-one\" rack (128 chips)"},
    {"server", SL_FT_STRING, 0, S(struct sl_fleet_cfg, server), "t1008", SL_NO_MIN, SL_NO_MAX,
     SL_FF_NAME, NULL, NULL, "server model from the catalog (`suanli catalog`)"},
};
static const struct sl_field workload_fields[] = {
    {"synthetic", SL_FT_SECTION, 0, S(struct sl_workload_cfg, synthetic), NULL, SL_NO_MIN,
     SL_NO_MAX, 0, NULL, &synthetic_schema, "synthetic load source for facility studies"},
};

SCHEMA(run_schema, sl_run_cfg, run_fields);
SCHEMA(facility_schema, sl_facility_cfg, facility_fields);
SCHEMA(site_schema, sl_site_cfg, site_fields);
SCHEMA(fleet_schema, sl_fleet_cfg, fleet_fields);
SCHEMA(workload_schema, sl_workload_cfg, workload_fields);

#define T_PH struct sl_phase_param
#define PHASE_FIELDS(name, act_def, alpha_def, doc_act)                                            \
    static const struct sl_field name[] = {                                                        \
        F_REAL("activity", SL_UNIT_PERCENT, T_PH, activity, act_def, 0, 1, 0, doc_act),            \
        {"alpha", SL_FT_REAL, SL_UNIT_NONE, S(T_PH, alpha), alpha_def, 0, 10, 0, NULL, NULL,       \
         "speed under a cap: ((cap - idle) / (P - idle)) ^ alpha"},                                \
    }
PHASE_FIELDS(prefill_fields, "100 %", "1", "prefill draws the full idle-to-TDP range");
PHASE_FIELDS(decode_fields, "55 %", "0.2", "memory-bound decode: 55-70 % of TDP");
PHASE_FIELDS(train_compute_fields, "95 %", "1", "training compute phase");
PHASE_FIELDS(train_comm_fields, "35 %", "0.3", "training communication phase");
PHASE_FIELDS(mixed_fields, "100 %", "0.6", "a blend of phases measured by utilisation alone");
SCHEMA(prefill_schema, sl_phase_param, prefill_fields);
SCHEMA(decode_schema, sl_phase_param, decode_fields);
SCHEMA(train_compute_schema, sl_phase_param, train_compute_fields);
SCHEMA(train_comm_schema, sl_phase_param, train_comm_fields);
SCHEMA(mixed_schema, sl_phase_param, mixed_fields);
#define PHASE(key, m, sub, doc)                                                                    \
    {                                                                                              \
        key, SL_FT_SECTION, 0, S(struct sl_phases_cfg, m), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,    \
            sub, doc                                                                               \
    }
static const struct sl_field phases_fields[] = {
    PHASE("prefill", prefill, &prefill_schema, "prompt processing (compute-bound)"),
    PHASE("decode", decode, &decode_schema, "token generation (memory-bound)"),
    PHASE("train_compute", train_compute, &train_compute_schema, "training forward/backward"),
    PHASE("train_comm", train_comm, &train_comm_schema, "training communication"),
    PHASE("mixed", mixed, &mixed_schema, "aggregate load (the synthetic source's default)"),
};
SCHEMA(phases_schema, sl_phases_cfg, phases_fields);

static const struct sl_field top_fields[] = {
    {"name", SL_FT_STRING, 0, SC(name), "scenario", SL_NO_MIN, SL_NO_MAX, SL_FF_NAME, NULL, NULL,
     "scenario name; outputs go to `out/<name>/` unless `--out` is given"},
    {"description", SL_FT_STRING, 0, SC(description), NULL, SL_NO_MIN, SL_NO_MAX, SL_FF_OPTIONAL,
     NULL, NULL, "free text"},
    {"run", SL_FT_SECTION, 0, SC(run), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &run_schema,
     "time span, sampling and seed"},
    {"site", SL_FT_SECTION, 0, SC(site), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &site_schema,
     "where the center is"},
    {"fleet", SL_FT_SECTION, 0, SC(fleet), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &fleet_schema,
     "servers and racks"},
    {"facility", SL_FT_SECTION, 0, SC(facility), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &facility_schema, "power chain and cooling"},
    {"workload", SL_FT_SECTION, 0, SC(workload), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &workload_schema, "what loads the cards"},
    {"phases", SL_FT_SECTION, 0, SC(phases), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &phases_schema,
     "accelerator power and cap sensitivity by activity phase"},
    {"catalog", SL_FT_SECTION, 0, SC(catalog), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &catalog_schema,
     "additions to the built-in catalog"},
    {"variants", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "named override sets run side by side (see \"Variants\")"},
};
static const struct sl_schema scenario_schema = {"scenario", sizeof(struct sl_scenario), top_fields,
                                                 sizeof top_fields / sizeof top_fields[0]};

/* The `variants:` entries, validated with the same machinery. */
struct variant_cfg {
    char *name;
    char *description;
};
static const struct sl_field variant_fields[] = {
    {"name", SL_FT_STRING, 0, offsetof(struct variant_cfg, name), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_REQUIRED | SL_FF_NAME, NULL, NULL, "variant name; also its output subfolder"},
    {"description", SL_FT_STRING, 0, offsetof(struct variant_cfg, description), NULL, SL_NO_MIN,
     SL_NO_MAX, SL_FF_OPTIONAL, NULL, NULL, "free text"},
    {"set", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "mapping of dotted key paths to values, applied over the scenario"},
};
SCHEMA(variant_schema, variant_cfg, variant_fields);

const char *sl_scenario_default_text(size_t *len)
{
    if (len)
        *len = sl__default_scenario_yaml_len;
    return sl__default_scenario_yaml;
}

size_t sl_catalog_server_count(void);

/* The catalog kinds, described once so lookups, duplicate checks and
 * "did you mean" work the same for all of them.  Every catalog struct
 * starts with its `char *name`. */
struct kind {
    const char *label; /* "server model" */
    const char *path;  /* "catalog.servers" */
    size_t list_offset;
    size_t elem_size;
    size_t (*count)(void);
    const void *(*get)(size_t i);
};

static const void *get_device(size_t i)
{
    return sl_catalog_device(i);
}
static const void *get_cpu(size_t i)
{
    return sl_catalog_cpu(i);
}
static const void *get_server(size_t i)
{
    return sl_catalog_server(i);
}
static const void *get_chain(size_t i)
{
    return sl_chain_preset(i);
}
static const void *get_cooling(size_t i)
{
    return sl_cooling_preset(i);
}

enum { K_DEVICE, K_CPU, K_SERVER, K_CHAIN, K_COOLING, K_COUNT };
#define CAT(m) (offsetof(struct sl_scenario, catalog) + offsetof(struct sl_catalog_cfg, m))
static const struct kind kinds[K_COUNT] = {
    {"accelerator", "catalog.devices", CAT(devices), sizeof(struct sl_device_model),
     sl_catalog_device_count, get_device},
    {"host CPU", "catalog.cpus", CAT(cpus), sizeof(struct sl_cpu_model), sl_catalog_cpu_count,
     get_cpu},
    {"server model", "catalog.servers", CAT(servers), sizeof(struct sl_server_model),
     sl_catalog_server_count, get_server},
    {"power chain", "catalog.chains", CAT(chains), sizeof(struct sl_chain_spec),
     sl_chain_preset_count, get_chain},
    {"cooling plant", "catalog.cooling", CAT(cooling), sizeof(struct sl_cooling_spec),
     sl_cooling_preset_count, get_cooling},
};

static const struct sl_list *own_list(const struct sl_scenario *sc, const struct kind *k)
{
    return (const struct sl_list *)(const void *)((const char *)sc + k->list_offset);
}

static const char *entry_name(const void *entry)
{
    return *(char *const *)entry;
}

static const void *find_entry(const struct sl_scenario *sc, int kind, const char *name)
{
    const struct kind *k = &kinds[kind];
    const struct sl_list *l = own_list(sc, k);
    for (size_t i = 0; i < l->n; i++) {
        const void *e = (const char *)l->items + i * k->elem_size;
        if (strcmp(entry_name(e), name) == 0)
            return e;
    }
    for (size_t i = 0; i < k->count(); i++)
        if (strcmp(entry_name(k->get(i)), name) == 0)
            return k->get(i);
    return NULL;
}

const struct sl_server_model *sl_scenario_find_server(const struct sl_scenario *sc,
                                                      const char *name)
{
    return find_entry(sc, K_SERVER, name);
}

const struct sl_device_model *sl_scenario_find_device(const struct sl_scenario *sc,
                                                      const char *name)
{
    return find_entry(sc, K_DEVICE, name);
}

const struct sl_cpu_model *sl_scenario_find_cpu(const struct sl_scenario *sc, const char *name)
{
    return find_entry(sc, K_CPU, name);
}

const struct sl_chain_spec *sl_scenario_find_chain(const struct sl_scenario *sc, const char *name)
{
    return find_entry(sc, K_CHAIN, name);
}

const struct sl_cooling_spec *sl_scenario_find_cooling(const struct sl_scenario *sc,
                                                       const char *name)
{
    return find_entry(sc, K_COOLING, name);
}

/* An override from the command line, parsed once and applied to every
 * variant's tree. */
struct override {
    char *path;
    struct sl_ynode *value;
    const struct sl_ysource *src;
};

static void clear_marks(struct sl_ynode *n)
{
    n->line = 0;
    n->col = 0;
    if (n->type == SL_Y_MAP)
        for (size_t i = 0; i < n->n; i++) {
            clear_marks(n->pairs[i].key);
            clear_marks(n->pairs[i].value);
        }
    else if (n->type == SL_Y_SEQ)
        for (size_t i = 0; i < n->n; i++)
            clear_marks(n->items[i]);
}

static int parse_override(struct sl_ysources *srcs, const char *origin, const char *arg,
                          struct override *o, struct sl_diag *d)
{
    memset(o, 0, sizeof *o);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "%s: expected KEY=VALUE with a dotted key, such as "
                           "--set fleet.servers=640",
                           origin);
    if (eq[1] == '\0')
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "%s: missing value after '='", origin);
    o->path = sl_strndup(arg, (size_t)(eq - arg));
    if (!o->path)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (strcmp(o->path, "variants") == 0 || strncmp(o->path, "variants.", 9) == 0)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "%s: variants cannot be overridden; use --variant NAME to run one",
                           origin);
    const char *value = eq + 1;
    int rc = sl_ytree_parse(srcs, origin, value, strlen(value), &o->value, d);
    if (rc != SL_OK)
        return rc;
    if (!o->value)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "%s: missing value after '='", origin);
    clear_marks(o->value);
    o->src = o->value->src;
    return SL_OK;
}

static int apply_override(struct sl_ynode *root, const struct override *o, struct sl_diag *d)
{
    struct sl_ynode *v = sl_ynode_copy(o->value);
    if (!v)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return sl_ytree_set(root, o->path, v, o->src, 0, 0, d);
}

/* Applies a variant's `set:` mapping to root. */
static int apply_variant_set(struct sl_ynode *root, const struct sl_ynode *set, const char *vname,
                             struct sl_diag *d)
{
    if (!set || sl_ynode_is_null(set))
        return SL_OK;
    if (set->type != SL_Y_MAP) {
        char desc[128];
        return sl_ynode_error(set, d, SL_EINVAL,
                              "'set' of variant '%s' expects a mapping of key paths to values, "
                              "got %s",
                              vname, sl_ynode_describe(set, desc, sizeof desc));
    }
    for (size_t i = 0; i < set->n; i++) {
        const struct sl_ynode *k = set->pairs[i].key;
        if (strcmp(k->text, "variants") == 0 || strncmp(k->text, "variants.", 9) == 0)
            return sl_ynode_error(k, d, SL_EINVAL, "a variant cannot set 'variants'");
        struct sl_ynode *v = sl_ynode_copy(set->pairs[i].value);
        if (!v)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        int rc = sl_ytree_set(root, k->text, v, k->src, k->line, k->col, d);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t dd)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_start(const char *s, int64_t *out)
{
    int y, mo, da, h = 0, mi = 0, se = 0, n = 0;
    size_t len = strlen(s);
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &da, &n) != 3 || n != 10)
        return SL_EINVAL;
    if (len > 10) {
        int n2 = 0;
        if (s[10] != 'T' && s[10] != ' ')
            return SL_EINVAL;
        if (sscanf(s + 11, "%2d:%2d%n", &h, &mi, &n2) != 2 || n2 != 5)
            return SL_EINVAL;
        size_t used = 16;
        if (len > used) {
            int n3 = 0;
            if (sscanf(s + used, ":%2d%n", &se, &n3) != 1 || n3 != 3 || len != used + 3)
                return SL_EINVAL;
        }
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || da < 1 || da > mdays[mo - 1] ||
        (mo == 2 && da == 29 && !leap) || h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
        return SL_EINVAL;
    *out = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
    return SL_OK;
}

/* Reports an error at the node of a key path (or without a position). */
static int path_error(const struct sl_ynode *root, const char *path, struct sl_diag *d,
                      const char *msg)
{
    const struct sl_ynode *n = sl_ytree_lookup(root, path);
    if (n)
        return sl_ynode_error(n, d, SL_EINVAL, "%s", msg);
    return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "%s", msg);
}

/* Reports an unknown catalog name at the key that names it, suggesting the
 * nearest known name. */
static int unknown_entry(const struct sl_scenario *sc, int kind, const char *name,
                         const struct sl_ynode *root, const char *key_path, struct sl_diag *d)
{
    const struct kind *k = &kinds[kind];
    const struct sl_list *l = own_list(sc, k);
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < l->n + k->count(); i++) {
        const char *cand = i < l->n ? entry_name((const char *)l->items + i * k->elem_size)
                                    : entry_name(k->get(i - l->n));
        size_t dist = sl_edit_distance(name, cand);
        /* A known name that starts with what was typed ("dc-800" for
         * "dc-800-sst") is as good a guess as a near miss. */
        if (strlen(name) >= 3 && strncmp(cand, name, strlen(name)) == 0)
            dist = 1;
        if (dist < bestd) {
            bestd = dist;
            best = cand;
        }
    }
    char msg[512];
    if (best && bestd <= 3)
        snprintf(msg, sizeof msg, "unknown %s '%s' (did you mean '%s'?)", k->label, name, best);
    else
        snprintf(msg, sizeof msg, "unknown %s '%s'; `suanli catalog` lists the built-in ones",
                 k->label, name);
    return path_error(root, key_path, d, msg);
}

/* Own entries must have unique names that do not shadow built-in ones. */
static int check_own_names(const struct sl_scenario *sc, int kind, const struct sl_ynode *root,
                           struct sl_diag *d)
{
    const struct kind *k = &kinds[kind];
    const struct sl_list *l = own_list(sc, k);
    char msg[512], path[128];
    for (size_t i = 0; i < l->n; i++) {
        const char *name = entry_name((const char *)l->items + i * k->elem_size);
        snprintf(path, sizeof path, "%s.%zu.name", k->path, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(name, entry_name((const char *)l->items + j * k->elem_size)) == 0) {
                snprintf(msg, sizeof msg, "%s '%s' is defined twice in the catalog", k->label,
                         name);
                return path_error(root, path, d, msg);
            }
        for (size_t j = 0; j < k->count(); j++)
            if (strcmp(name, entry_name(k->get(j))) == 0) {
                snprintf(msg, sizeof msg, "%s '%s' is already built in; give yours another name",
                         k->label, name);
                return path_error(root, path, d, msg);
            }
    }
    return SL_OK;
}

/* Resolves names and checks rules that involve several keys. */
static int resolve(struct sl_scenario *sc, const struct sl_ynode *root, struct sl_diag *d)
{
    char msg[768], path[128];
    for (int kind = 0; kind < K_COUNT; kind++)
        if (check_own_names(sc, kind, root, d) != SL_OK)
            return SL_EINVAL;
    const struct sl_device_model *dev = sc->catalog.devices.items;
    for (size_t i = 0; i < sc->catalog.devices.n; i++)
        if (!(dev[i].idle_w < dev[i].tdp_w)) {
            snprintf(path, sizeof path, "catalog.devices.%zu.idle", i);
            snprintf(msg, sizeof msg, "accelerator '%s': idle must be below tdp", dev[i].name);
            return path_error(root, path, d, msg);
        }
    const struct sl_cpu_model *cpu = sc->catalog.cpus.items;
    for (size_t i = 0; i < sc->catalog.cpus.n; i++)
        if (!(cpu[i].idle_w < cpu[i].tdp_w)) {
            snprintf(path, sizeof path, "catalog.cpus.%zu.idle", i);
            snprintf(msg, sizeof msg, "host CPU '%s': idle must be below tdp", cpu[i].name);
            return path_error(root, path, d, msg);
        }
    const struct sl_server_model *srv = sc->catalog.servers.items;
    for (size_t i = 0; i < sc->catalog.servers.n; i++) {
        snprintf(path, sizeof path, "catalog.servers.%zu.device", i);
        if (!find_entry(sc, K_DEVICE, srv[i].device))
            return unknown_entry(sc, K_DEVICE, srv[i].device, root, path, d);
        snprintf(path, sizeof path, "catalog.servers.%zu.cpu", i);
        if (!find_entry(sc, K_CPU, srv[i].cpu))
            return unknown_entry(sc, K_CPU, srv[i].cpu, root, path, d);
        if (srv[i].psus_spare >= srv[i].psus) {
            snprintf(path, sizeof path, "catalog.servers.%zu.psus_spare", i);
            snprintf(msg, sizeof msg, "server model '%s': psus_spare must be below psus",
                     srv[i].name);
            return path_error(root, path, d, msg);
        }
    }
    const struct sl_chain_spec *ch = sc->catalog.chains.items;
    for (size_t i = 0; i < sc->catalog.chains.n; i++)
        if (sl_chain_validate(&ch[i], d) != SL_OK) {
            snprintf(path, sizeof path, "catalog.chains.%zu", i);
            snprintf(msg, sizeof msg, "%s", d->msg);
            d->code = SL_OK; /* re-report at the chain's position */
            return path_error(root, path, d, msg);
        }
    const struct sl_cooling_spec *co = sc->catalog.cooling.items;
    for (size_t i = 0; i < sc->catalog.cooling.n; i++)
        if (sl_cooling_validate(&co[i], d) != SL_OK) {
            snprintf(path, sizeof path, "catalog.cooling.%zu", i);
            snprintf(msg, sizeof msg, "%s", d->msg);
            d->code = SL_OK; /* re-report at the plant's position */
            return path_error(root, path, d, msg);
        }

    if (!(sc->server = sl_scenario_find_server(sc, sc->fleet.server)))
        return unknown_entry(sc, K_SERVER, sc->fleet.server, root, "fleet.server", d);
    /* Built-in servers name built-in parts; own servers were checked above. */
    sc->device = sl_scenario_find_device(sc, sc->server->device);
    sc->cpu = sl_scenario_find_cpu(sc, sc->server->cpu);
    if (!(sc->chain = sl_scenario_find_chain(sc, sc->facility.power_chain)))
        return unknown_entry(sc, K_CHAIN, sc->facility.power_chain, root, "facility.power_chain",
                             d);
    if (!(sc->cooling = sl_scenario_find_cooling(sc, sc->facility.cooling)))
        return unknown_entry(sc, K_COOLING, sc->facility.cooling, root, "facility.cooling", d);

    const struct sl_phase_param *ph[] = {&sc->phases.prefill, &sc->phases.decode,
                                         &sc->phases.train_compute, &sc->phases.train_comm,
                                         &sc->phases.mixed};
    memset(&sc->phase_model, 0, sizeof sc->phase_model);
    for (int k = 0; k < 5; k++) {
        sc->phase_model.activity[SL_PHASE_PREFILL + k] = ph[k]->activity;
        sc->phase_model.alpha[SL_PHASE_PREFILL + k] = ph[k]->alpha;
    }

    /* The server on this chain: can its PSUs carry it at full load? */
    struct sl_server_calc calc;
    struct sl_diag cd;
    sl_diag_clear(&cd);
    if (sl_server_calc_init(&calc, sc->server, sc->device, sc->cpu, sc->chain,
                            sc->cooling->liquid_share, sc->cooling->kind == SL_COOLING_IMMERSION,
                            &cd) != SL_OK)
        return path_error(root, "fleet.server", d, cd.msg);

    sc->site_info = sl_weather_find_site(sc->site.name);
    if (sc->site.weather && !strchr(sc->site.weather, '/') && !strstr(sc->site.weather, ".epw") &&
        !sl_weather_find_site(sc->site.weather)) {
        snprintf(msg, sizeof msg,
                 "unknown weather site '%s': give chengde, shijiazhuang, xinghua or the path "
                 "of an EPW file",
                 sc->site.weather);
        return path_error(root, "site.weather", d, msg);
    }
    if (sc->site.weather || sc->site_info) {
        /* Load the weather once, here: a bad EPW file is bad input reported
         * before anything runs, and the run uses this copy. */
        const char *wname = sc->site.weather ? sc->site.weather : sc->site.name;
        if (!(sc->weather = sl_malloc(sizeof *sc->weather)))
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        struct sl_diag wd;
        sl_diag_clear(&wd);
        int rc = sl_weather_find_site(wname) ? sl_weather_builtin(sc->weather, wname, &wd)
                                             : sl_weather_load_epw(sc->weather, wname, &wd);
        if (rc == SL_ENOMEM)
            return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
        if (rc != SL_OK) {
            if (wd.line > 0) /* the position inside the EPW file says most */
                return sl_diag_set(d, SL_EINVAL, wd.file, wd.line, wd.col, "%s", wd.msg);
            snprintf(msg, sizeof msg, "site.weather: %s: %s", wname, wd.msg);
            return path_error(root, "site.weather", d, msg);
        }
    }
    if (!sc->site.weather && !sc->site_info) {
        snprintf(msg, sizeof msg,
                 "site '%s' is not built in (chengde, shijiazhuang, xinghua): give "
                 "site.weather (an EPW file) and site.carbon",
                 sc->site.name);
        return path_error(root, "site.name", d, msg);
    }
    sc->carbon = sc->site.carbon > 0 ? sc->site.carbon
                 : sc->site_info     ? sc->site_info->carbon_kg_per_kwh
                                     : 0;
    if (!(sc->carbon > 0)) {
        snprintf(msg, sizeof msg, "site '%s' is not built in: give site.carbon", sc->site.name);
        return path_error(root, "site.name", d, msg);
    }
    const struct sl_tou_period *tou = sc->site.tou.items;
    for (size_t i = 0; i < sc->site.tou.n; i++)
        if (tou[i].from_us == tou[i].to_us) {
            snprintf(path, sizeof path, "site.tou.%zu.to", i);
            return path_error(root, path, d, "a time-of-use period must not be empty");
        }
    const struct sl_synthetic_cfg *w = &sc->workload.synthetic;
    if (w->shape == SL_SHAPE_DIURNAL &&
        (w->mean - w->amplitude < -1e-12 || w->mean + w->amplitude > 1 + 1e-12)) {
        snprintf(msg, sizeof msg,
                 "diurnal load mean %.4g %% +- amplitude %.4g %% leaves the range 0-100 %%",
                 w->mean * 100, w->amplitude * 100);
        return path_error(root, "workload.synthetic.amplitude", d, msg);
    }
    if (sc->run.sample_us > sc->run.duration_us)
        return path_error(root, "run.sample", d,
                          "'run.sample' is longer than 'run.duration': there would be no "
                          "complete sample");
    if (sc->run.sample_us % sc->facility.step_us != 0) {
        snprintf(msg, sizeof msg,
                 "'run.sample' (%.6g s) is not a whole multiple of 'facility.step' (%.6g s): "
                 "rows aggregate whole facility steps; change either",
                 (double)sc->run.sample_us * 1e-6, (double)sc->facility.step_us * 1e-6);
        return path_error(
            root, sl_ytree_lookup(root, "run.sample") ? "run.sample" : "facility.step", d, msg);
    }
    if (parse_start(sc->run.start, &sc->start_s) != SL_OK) {
        snprintf(msg, sizeof msg,
                 "'run.start' expects a date such as 2025-01-01 or 2025-07-01T08:00, got '%s'",
                 sc->run.start);
        return path_error(root, "run.start", d, msg);
    }
    return SL_OK;
}

static void scenario_release(struct sl_scenario *sc)
{
    sl_free(sc->weather);
    sl_schema_release(&scenario_schema, sc);
    sl_free(sc->variant);
    memset(sc, 0, sizeof *sc);
}

/* Maps one fully overridden tree into sc. */
static int build_one(struct sl_ynode *root, const char *variant, struct sl_scenario *sc,
                     struct sl_diag *d)
{
    memset(sc, 0, sizeof *sc);
    int rc = sl_schema_map(&scenario_schema, sc, root, "", d);
    if (rc == SL_OK && variant && !(sc->variant = sl_strdup(variant)))
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc == SL_OK)
        rc = resolve(sc, root, d);
    return rc;
}

void sl_scenario_set_release(struct sl_scenario_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        scenario_release(&set->items[i]);
    sl_free(set->items);
    memset(set, 0, sizeof *set);
}

/* Checks the `variants:` list and returns the number of entries. */
static int check_variants(const struct sl_ynode *vars, struct sl_diag *d)
{
    char desc[128];
    if (vars->type != SL_Y_SEQ || vars->n == 0)
        return sl_ynode_error(vars, d, SL_EINVAL,
                              "'variants' expects a non-empty list of {name, description, set} "
                              "entries, got %s",
                              sl_ynode_describe(vars, desc, sizeof desc));
    for (size_t i = 0; i < vars->n; i++) {
        struct variant_cfg v;
        memset(&v, 0, sizeof v);
        char path[32];
        snprintf(path, sizeof path, "variants.%zu", i);
        int rc = sl_schema_map(&variant_schema, &v, vars->items[i], path, d);
        if (rc == SL_OK) {
            for (size_t j = 0; j < i; j++) {
                const struct sl_ynode *other = sl_ymap_get(vars->items[j], "name");
                if (strcmp(other->text, v.name) == 0) {
                    rc = sl_ynode_error(sl_ymap_get(vars->items[i], "name"), d, SL_EINVAL,
                                        "duplicate variant name '%s' (first at line %d)", v.name,
                                        other->line);
                    break;
                }
            }
        }
        sl_schema_release(&variant_schema, &v);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

int sl_scenario_load(const struct sl_load_opts *opts, struct sl_scenario_set *out,
                     struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL, *vars = NULL;
    struct override *ovr = NULL;
    size_t novr = 0;
    int rc;

    if (opts->path) {
        rc = sl_ytree_load_file(&srcs, opts->path, &root, d);
    } else {
        size_t len;
        const char *text = sl_scenario_default_text(&len);
        rc = sl_ytree_parse(&srcs, DEFAULT_SOURCE_NAME, text, len, &root, d);
    }
    if (rc != SL_OK)
        goto done;
    const char *name = opts->path ? opts->path : DEFAULT_SOURCE_NAME;
    if (!root) {
        rc = sl_diag_set(d, SL_EINVAL, name, 0, 0,
                         "the file is empty; expected a scenario mapping such as "
                         "'fleet: {servers: 1280}' (`suanli show-default` prints a full one)");
        goto done;
    }
    if (root->type != SL_Y_MAP) {
        char desc[128];
        rc = sl_ynode_error(root, d, SL_EINVAL, "a scenario is a mapping of keys, got %s",
                            sl_ynode_describe(root, desc, sizeof desc));
        goto done;
    }
    vars = sl_ymap_take(root, "variants");
    if (vars && sl_ynode_is_null(vars)) {
        sl_ynode_free(vars);
        vars = NULL;
    }

    size_t nover = opts->nsets + (opts->seed ? 1 : 0);
    if (nover) {
        ovr = sl_calloc(nover, sizeof *ovr);
        if (!ovr) {
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < opts->nsets; i++) {
        char origin[600];
        snprintf(origin, sizeof origin, "--set '%.500s'", opts->sets[i]);
        rc = parse_override(&srcs, origin, opts->sets[i], &ovr[novr], d);
        novr++;
        if (rc != SL_OK)
            goto done;
    }
    if (opts->seed) {
        char origin[128], arg[128];
        snprintf(origin, sizeof origin, "--seed %.100s", opts->seed);
        snprintf(arg, sizeof arg, "run.seed=%.100s", opts->seed);
        rc = parse_override(&srcs, origin, arg, &ovr[novr], d);
        novr++;
        if (rc != SL_OK)
            goto done;
    }

    if (vars) {
        rc = check_variants(vars, d);
        if (rc != SL_OK)
            goto done;
    }
    size_t nvar = vars ? vars->n : 1;
    if (opts->variant) {
        size_t found = nvar;
        char names[512] = "";
        for (size_t i = 0; vars && i < vars->n; i++) {
            const char *vn = sl_ymap_get(vars->items[i], "name")->text;
            if (strcmp(vn, opts->variant) == 0)
                found = i;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", vn);
        }
        if (!vars) {
            rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "--variant %s: the scenario has no variants",
                             opts->variant);
            goto done;
        }
        if (found == nvar) {
            rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                             "--variant %s: no such variant; the scenario has: %s", opts->variant,
                             names);
            goto done;
        }
    }
    out->items = sl_calloc(nvar, sizeof *out->items);
    if (!out->items) {
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    out->has_variants = vars != NULL;
    for (size_t i = 0; i < nvar; i++) {
        const char *vname = vars ? sl_ymap_get(vars->items[i], "name")->text : NULL;
        if (opts->variant && strcmp(vname, opts->variant) != 0)
            continue;
        struct sl_ynode *tree = sl_ynode_copy(root);
        if (!tree) {
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        rc = vars ? apply_variant_set(tree, sl_ymap_get(vars->items[i], "set"), vname, d) : SL_OK;
        for (size_t j = 0; rc == SL_OK && j < novr; j++)
            rc = apply_override(tree, &ovr[j], d);
        if (rc == SL_OK)
            rc = build_one(tree, vname, &out->items[out->n], d);
        out->n++; /* counted even on error so release frees it */
        /* Name the variant, unless the error is in a command-line override,
         * which fails the same way in every variant. */
        if (rc != SL_OK && vname && d && d->code != SL_ENOMEM &&
            strncmp(d->file, "--set", 5) != 0 && strncmp(d->file, "--seed", 6) != 0) {
            char prefix[sizeof d->msg];
            snprintf(prefix, sizeof prefix, "in variant '%s': %s", vname, d->msg);
            memcpy(d->msg, prefix, sizeof d->msg);
        }
        sl_ynode_free(tree);
        if (rc != SL_OK)
            goto done;
    }
done:
    for (size_t i = 0; i < novr; i++) {
        sl_free(ovr[i].path);
        sl_ynode_free(ovr[i].value);
    }
    sl_free(ovr);
    sl_ynode_free(vars);
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    if (rc != SL_OK)
        sl_scenario_set_release(out);
    return rc;
}

void sl_scenario_emit(const struct sl_scenario *sc, FILE *out)
{
    if (sc->variant)
        fprintf(out, "# variant: %s (its overrides are applied below)\n", sc->variant);
    sl_schema_emit(&scenario_schema, sc, out, 0);
}

void sl_scenario_doc(FILE *out)
{
    sl_schema_doc(&scenario_schema, out);
    fprintf(out, "### `variants[]`\n\n");
    fprintf(out, "| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for (size_t i = 0; i < sizeof variant_fields / sizeof variant_fields[0]; i++) {
        const struct sl_field *f = &variant_fields[i];
        fprintf(out, "| `%s` | %s | %s | %s |\n", f->key,
                f->type == SL_FT_RAW      ? "mapping"
                : (f->flags & SL_FF_NAME) ? "name"
                                          : "text",
                (f->flags & SL_FF_REQUIRED) ? "*required*" : "unset", f->doc);
    }
    fputc('\n', out);
}
