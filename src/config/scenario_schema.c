/*
 * The scenario schema: the single definition of every scenario key.
 *
 * Each table row gives a key's type, unit, default (as YAML text, parsed like
 * a user's value), range and a one-line meaning.  Validation
 * (sl_schema_map), the resolved YAML of `suanli check` (sl_schema_emit) and
 * the key reference in docs/scenario.md (sl_schema_doc) all come from these
 * tables, so a new key is one row here and nothing else.  The catalog
 * schemas (devices, CPUs, servers, chains, cooling plants) describe the
 * same structs as the built-in tables of src/fleet and src/facility, so a
 * user's entry is exactly as expressive as a built-in one.
 *
 * Only sl__scenario_schema (the whole file) and sl__variant_schema (one
 * `variants:` entry) leave this file; see scenario_int.h.
 */
#include "config/scenario_int.h"
#include "suanli/jobs.h"

#include <stddef.h>

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
#define SCHEMA(name, type, label, fields)                                                          \
    static const struct sl_schema name = {label, sizeof(struct type), fields,                      \
                                          sizeof fields / sizeof fields[0]}

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
    F_ENUM("confidence", T_DEV, confidence, "low", sl_confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_DEV, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(device_schema, sl_device_model, "accelerator models", device_fields);

#define T_CPU struct sl_cpu_model
static const struct sl_field cpu_fields[] = {
    F_STR("name", T_CPU, name, NULL, NAME_REQ, "catalog name, referenced by a server's `cpu`"),
    F_STR("description", T_CPU, description, NULL, OPT, "free text"),
    F_INT("cores", T_CPU, cores, "16", 1, 4096, 0, "cores per socket"),
    F_REAL("tdp", SL_UNIT_POWER, T_CPU, tdp_w, NULL, 0, SL_NO_MAX, REQ | POS, "power at full load"),
    F_REAL("idle", SL_UNIT_POWER, T_CPU, idle_w, NULL, 0, SL_NO_MAX, REQ, "power with no work"),
    F_ENUM("confidence", T_CPU, confidence, "low", sl_confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_CPU, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(cpu_schema, sl_cpu_model, "host CPU models", cpu_fields);

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
    F_ENUM("psu_grade", T_SRV, psu_grade, "platinum", sl_psu_grade_names,
           "80 PLUS grade (efficiency curve)"),
    F_ENUM("confidence", T_SRV, confidence, "low", sl_confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_SRV, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(server_schema, sl_server_model, "server models", server_fields);

#define T_PT struct sl_eff_point
static const struct sl_field point_fields[] = {
    F_REAL("load", SL_UNIT_PERCENT, T_PT, load, NULL, 0, 2, REQ | POS,
           "load as a share of the installed rating"),
    F_REAL("efficiency", SL_UNIT_PERCENT, T_PT, eff, NULL, 0, 1, REQ | POS,
           "output / input at that load"),
};
SCHEMA(point_schema, sl_eff_point, "efficiency points", point_fields);

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
SCHEMA(stage_schema, sl_stage_spec, "stages", stage_fields);

#define T_CH struct sl_chain_spec
static const struct sl_field chain_fields[] = {
    F_STR("name", T_CH, name, NULL, NAME_REQ, "chain name, referenced by `facility.power_chain`"),
    F_STR("description", T_CH, description, NULL, OPT, "free text"),
    F_LIST("stages", T_CH, stages, &stage_schema, "stages from the grid to the silicon"),
    F_STR("source", T_CH, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(chain_schema, sl_chain_spec, "power chains", chain_fields);

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
    {"heat_capacity", SL_FT_REAL, SL_UNIT_NONE, S(T_CO, heat_capacity_s_per_k), "30", 0, 1e6,
     SL_FF_MIN_EXCL, NULL, NULL,
     "heat capacity of hall, coolant and equipment in seconds of design heat per kelvin: with "
     "no cooling at design heat the inlet warms 1 K in this many seconds"},
    KDIFF("throttle_margin", throttle_margin_k, "8 K",
          "inlet rise above design the cards take before they throttle"),
    {"throttle_span", SL_FT_REAL, SL_UNIT_TEMP_DIFF, S(T_CO, throttle_span_k), "50 K", 0, 1000,
     SL_FF_MIN_EXCL, NULL, NULL,
     "further inlet rise that takes a card's allowed power down by its whole TDP (junction to "
     "inlet at TDP)"},
    PCT("rack_residual", rack_residual, "30 %",
        "share of a rack's design heat the room still removes while its rack cooling unit is out"),
    F_STR("source", T_CO, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(cooling_schema, sl_cooling_spec, "cooling plants", cooling_fields);

#define T_LLM                            struct sl_llm_model
#define DIM(key, m, def, lo, flags, doc) F_INT(key, T_LLM, m, def, lo, 10000000, flags, doc)
static const struct sl_field model_fields[] = {
    F_STR("name", T_LLM, name, NULL, NAME_REQ, "catalog name, referenced by a service's `model`"),
    F_STR("description", T_LLM, description, NULL, OPT, "free text"),
    DIM("layers", layers, NULL, 1, REQ, "transformer layers"),
    DIM("hidden", hidden, NULL, 1, REQ, "hidden size (model dimension)"),
    DIM("heads", heads, NULL, 1, REQ, "attention (query) heads"),
    DIM("kv_heads", kv_heads, NULL, 1, REQ, "key/value heads (= heads for MHA, fewer for GQA)"),
    DIM("head_dim", head_dim, NULL, 1, REQ, "size of one attention head"),
    DIM("ffn", ffn, NULL, 1, REQ, "FFN inner size of a dense layer"),
    DIM("vocab", vocab, NULL, 1, REQ, "vocabulary size"),
    F_ENUM("ffn_kind", T_LLM, ffn_kind, "gated", sl_ffn_kind_names,
           "`gated` (SwiGLU, three matrices) or `plain` (GELU, two)"),
    F_BOOL("tied_embeddings", T_LLM, tied_embeddings, "false",
           "input and output embeddings share one matrix"),
    DIM("experts", experts, "0", 0, 0, "routed experts per MoE layer (0: a dense model)"),
    DIM("active_experts", active_experts, "0", 0, 0, "routed experts each token uses"),
    DIM("shared_experts", shared_experts, "0", 0, 0, "always-active experts per MoE layer"),
    DIM("moe_ffn", moe_ffn, "0", 0, 0, "FFN inner size of one expert"),
    DIM("dense_layers", dense_layers, "0", 0, 0, "leading layers with a dense FFN"),
    DIM("q_lora_rank", q_lora_rank, "0", 0, 0, "MLA query compression rank (0: none)"),
    DIM("kv_lora_rank", kv_lora_rank, "0", 0, 0, "MLA latent KV size (0: no MLA)"),
    DIM("rope_dim", rope_dim, "0", 0, 0, "MLA decoupled RoPE key size"),
    DIM("v_head_dim", v_head_dim, "0", 0, 0, "MLA value head size (0: head_dim)"),
    F_ENUM("confidence", T_LLM, confidence, "low", sl_confidence_names,
           "how well the numbers are known"),
    F_STR("source", T_LLM, source, NULL, OPT, "where the numbers come from"),
};
SCHEMA(model_schema_, sl_llm_model, "LLM models", model_fields);
const struct sl_schema *const sl__model_schema = &model_schema_;

static const struct sl_field catalog_fields[] = {
    F_LIST("devices", struct sl_catalog_cfg, devices, &device_schema,
           "accelerators added to the built-in catalog"),
    F_LIST("cpus", struct sl_catalog_cfg, cpus, &cpu_schema, "host CPUs added"),
    F_LIST("servers", struct sl_catalog_cfg, servers, &server_schema, "server models added"),
    F_LIST("chains", struct sl_catalog_cfg, chains, &chain_schema, "power chains added"),
    F_LIST("cooling", struct sl_catalog_cfg, cooling, &cooling_schema, "cooling plants added"),
    F_LIST("models", struct sl_catalog_cfg, models, &model_schema_,
           "LLMs added to the built-in models (`suanli catalog`)"),
};
SCHEMA(catalog_schema, sl_catalog_cfg, "catalog", catalog_fields);

#define T_TOU struct sl_tou_period
static const struct sl_field tou_fields[] = {
    {"from", SL_FT_TIME, 0, S(T_TOU, from_us), NULL, 0, 86400, SL_FF_REQUIRED, NULL, NULL,
     "start, local time of day (`8h`, `690min`)"},
    {"to", SL_FT_TIME, 0, S(T_TOU, to_us), NULL, 0, 86400, SL_FF_REQUIRED, NULL, NULL,
     "end, local time of day (may wrap past midnight)"},
    F_REAL("price", SL_UNIT_PRICE, T_TOU, price, NULL, 0, SL_NO_MAX, REQ, "price in the period"),
};
SCHEMA(tou_schema, sl_tou_period, "time-of-use periods", tou_fields);

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
          "a built-in site's weather by name, or the path of an EnergyPlus EPW file (a "
          "relative path starts at the scenario file's folder); unset: the site's own"),
    F_REAL("grid_cap", SL_UNIT_POWER, T_SITE, grid_cap_w, "8 MW", 0, SL_NO_MAX, POS,
           "locked grid allocation: the most the site may draw"),
    F_REAL("price", SL_UNIT_PRICE, T_SITE, price, "0.6 CNY/kWh", 0, SL_NO_MAX, 0,
           "electricity price outside the time-of-use periods"),
    F_LIST("tou", T_SITE, tou, &tou_schema, "time-of-use price periods"),
    F_REAL("carbon", SL_UNIT_CARBON, T_SITE, carbon, NULL, 0, SL_NO_MAX, OPT | POS,
           "grid carbon intensity; unset: the built-in site's province (MEE 2022), which "
           "`suanli check` then shows"),
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
/* fleet.fabric: the defaults are sl_fabric_spec_default()'s (docs/model.md,
 * "Fabric"); test_config checks that they agree. */
static const char *const fabric_kind_names[] = {"auto",       "none", "fat-tree-2",
                                                "fat-tree-3", "rail", NULL};
#define T_FAB struct sl_fabric_cfg
static const struct sl_field fabric_fields[] = {
    F_ENUM("kind", T_FAB, kind, "auto", fabric_kind_names,
           "`auto`: a two-tier fat tree when one holds the fleet, else three tiers; `none`: no "
           "fabric (no switches); `fat-tree-2`, `fat-tree-3`; `rail`: rail-optimised (NIC k of "
           "each server of a rail group on the group's leaf k)"),
    F_INT("nics_per_server", T_FAB, nics_per_server, "8", 1, 64, 0,
          "scale-out NIC ports per server (8: one per card)"),
    F_REAL("nic_bw", SL_UNIT_BANDWIDTH, T_FAB, nic_bw, "200 Gb/s", 0, SL_NO_MAX, POS,
           "bandwidth of one NIC port, one direction"),
    F_INT("switch_radix", T_FAB, switch_radix, "128", 2, 4096, 0, "ports per switch"),
    F_REAL("port_bw", SL_UNIT_BANDWIDTH, T_FAB, port_bw, "200 Gb/s", 0, SL_NO_MAX, POS,
           "bandwidth of one switch port (a 64 x 400G switch split to 128 x 200G)"),
    {"oversubscription", SL_FT_REAL, SL_UNIT_NONE, S(T_FAB, oversubscription), "1", 1, 1000, 0,
     NULL, NULL, "leaf downlink : uplink bandwidth (1: non-blocking)"},
    F_INT("servers_per_leaf", T_FAB, servers_per_leaf, "0", 0, 1000000, 0,
          "servers per leaf (rail: per rail group); 0: as many as the radix holds"),
    F_REAL("switch_power", SL_UNIT_POWER, T_FAB, switch_w, "750 W", 0, SL_NO_MAX, 0,
           "one switch at full load, optics excluded"),
    F_REAL("switch_idle_share", SL_UNIT_PERCENT, T_FAB, switch_idle_share, "70 %", 0, 1, 0,
           "idle power of a switch as a share of its full-load power"),
    F_REAL("optics_power", SL_UNIT_POWER, T_FAB, optics_w, "4.5 W", 0, SL_NO_MAX, 0,
           "one transceiver (both ends of switch-to-switch links are optical)"),
    F_BOOL("server_links_optical", T_FAB, server_links_optical, "false",
           "server-to-leaf links through optics (switch end counted here, NIC end in the server)"),
    F_REAL("nic_latency", SL_UNIT_TIME, T_FAB, nic_latency_s, "5 us", 0, 1, 0,
           "per message: NICs, PCIe and software at both ends"),
    F_REAL("switch_latency", SL_UNIT_TIME, T_FAB, switch_latency_s, "0.25 us", 0, 1, 0,
           "per switch crossed"),
};
SCHEMA(fabric_schema, sl_fabric_cfg, "fabric", fabric_fields);
static const char *const pool_use_names[] = {"both", "inference", "training", NULL};

#define T_POOL struct sl_pool_cfg
static const struct sl_field pool_fields[] = {
    F_STR("name", T_POOL, name, NULL, NAME_REQ,
          "pool name, unique; referenced by a service's `pool` (summary keys "
          "`fleet.pools.<name>.*`)"),
    F_STR("server", T_POOL, server, NULL, NAME_REQ,
          "server model of the pool's servers from the catalog (`suanli catalog`)"),
    F_INT("servers", T_POOL, servers, NULL, 1, 10000000, REQ, "number of servers in the pool"),
    F_INT("servers_per_rack", T_POOL, servers_per_rack, "8", 1, 1024, 0,
          "servers per rack; a rack holds servers of one pool only"),
    F_ENUM("use", T_POOL, use, "both", pool_use_names,
           "what the pool runs: `both`, `inference` (services only) or `training` (jobs only)"),
};
SCHEMA(pool_schema, sl_pool_cfg, "fleet pools", pool_fields);

static const struct sl_field fleet_fields[] = {
    {"servers", SL_FT_INT, 0, S(struct sl_fleet_cfg, servers), "1280", 1, 10000000, 0, NULL, NULL,
     "number of servers (1,280 x 8 cards = 10,240 cards in the brief's center)"},
    {"servers_per_rack", SL_FT_INT, 0, S(struct sl_fleet_cfg, servers_per_rack), "8", 1, 1024, 0,
     NULL, NULL, "servers per rack: 8 traditional, 16 in the \"three-in-one\" rack (128 chips)"},
    {"server", SL_FT_STRING, 0, S(struct sl_fleet_cfg, server), "t1008", SL_NO_MIN, SL_NO_MAX,
     SL_FF_NAME, NULL, NULL, "server model from the catalog (`suanli catalog`)"},
    {"fabric", SL_FT_SECTION, 0, S(struct sl_fleet_cfg, fabric), NULL, SL_NO_MIN, SL_NO_MAX, 0,
     NULL, &fabric_schema, "the scale-out network: switches, links and their power"},
    F_LIST("pools", struct sl_fleet_cfg, pools, &pool_schema,
           "pools of servers of different models, numbered in list order; when given, "
           "`servers`, `servers_per_rack` and `server` above must not be"),
};
static const char *const router_names[] = {"round-robin", "jsq", "least-tokens", "prefix", NULL};
static const char *const fidelity_names[] = {"request", "flow", NULL};
static const char *const service_class_names[] = {"interactive", "batch", NULL};
static const char *const arrival_names[] = {"poisson", "gamma", NULL};

#define T_REQ struct sl_request_cfg
static const struct sl_field request_fields[] = {
    F_STR("trace", T_REQ, trace, NULL, OPT,
          "request trace to replay: an Azure 2023 CSV, a Mooncake JSONL, or a ServeGen rate CSV "
          "or folder of them (a relative path starts at the scenario file's folder); unset: "
          "generated requests"),
    F_ENUM("format", T_REQ, format, "auto", sl_trace_format_names,
           "trace format; `auto` detects it from the content"),
    F_BOOL("lenient", T_REQ, lenient, "false",
           "skip and count malformed trace rows instead of rejecting the trace"),
    {"rate_scale", SL_FT_REAL, SL_UNIT_NONE, S(T_REQ, rate_scale), "1", 0, 1e6, SL_FF_MIN_EXCL,
     NULL, NULL, "trace: multiply its arrival rate (divide its inter-arrival times)"},
    F_BOOL("tile", T_REQ, tile, "true", "trace: repeat it end to end to cover the run"),
    F_ENUM("arrival", T_REQ, arrival, "poisson", arrival_names,
           "generated arrivals: `poisson`, or `gamma` inter-arrival times with `cv`"),
    F_REAL("rate", SL_UNIT_RATE, T_REQ, rate, NULL, 0, SL_NO_MAX, OPT | POS,
           "generated: mean arrival rate (`12/s`); required without a trace; with a request "
           "trace, requests arrive at this rate and take the trace's lengths (its times are "
           "not used)"),
    {"cv", SL_FT_REAL, SL_UNIT_NONE, S(T_REQ, cv), "1", 0, 100, SL_FF_MIN_EXCL, NULL, NULL,
     "gamma arrivals: coefficient of variation of the inter-arrival times"},
    F_REAL("diurnal", SL_UNIT_PERCENT, T_REQ, diurnal, "0 %", 0, 1, SL_FF_MAX_EXCL,
           "generated: daily swing of the rate, `rate * (1 + diurnal * cos(2 pi (t - "
           "peak_time) / 24h))`"),
    {"peak_time", SL_FT_TIME, 0, S(T_REQ, peak_time_us), "15h", 0, 86400, SL_FF_MAX_EXCL, NULL,
     NULL, "local time of day of the daily peak"},
    F_STR("prompt_tokens", T_REQ, prompt_tokens, NULL, OPT,
          "prompt length law: `512`, `lognormal(MU, SIGMA)` of ln tokens (optionally `max=N`), or "
          "`trace` (the trace's own lengths); unset: the trace's rows"),
    F_STR("output_tokens", T_REQ, output_tokens, NULL, OPT,
          "output length law, as `prompt_tokens`"),
};
SCHEMA(request_schema, sl_request_cfg, "request source", request_fields);

static const struct sl_field slo_fields[] = {
    {"ttft", SL_FT_TIME, 0, S(struct sl_slo_cfg, ttft_us), "2s", 0, SL_NO_MAX, SL_FF_MIN_EXCL, NULL,
     NULL, "time to first token a request must meet"},
    {"tpot", SL_FT_TIME, 0, S(struct sl_slo_cfg, tpot_us), "50ms", 0, SL_NO_MAX, SL_FF_MIN_EXCL,
     NULL, NULL, "mean time per output token after the first a request must meet"},
};
SCHEMA(slo_schema, sl_slo_cfg, "service-level objectives", slo_fields);

#define T_SVC struct sl_service_cfg
static const struct sl_field service_fields[] = {
    F_STR("name", T_SVC, name, NULL, NAME_REQ, "service name (summary keys, requests.csv)"),
    F_STR("model", T_SVC, model, NULL, NAME_REQ, "LLM from the catalog (`suanli catalog`)"),
    F_INT("tp", T_SVC, tp, "1", 1, 64, 0,
          "tensor-parallel cards per replica; must divide the server's cards"),
    F_INT("replicas", T_SVC, replicas, "1", 1, 10000000, 0,
          "replicas; each takes `tp` cards of the fleet"),
    F_ENUM("weights", T_SVC, weights, "fp16", sl_precision_names, "weight precision"),
    F_ENUM("kv", T_SVC, kv, "fp16", sl_precision_names, "KV-cache precision"),
    F_INT("max_batch", T_SVC, max_batch, "256", 1, 65536, 0,
          "most sequences a replica runs at once (vLLM max_num_seqs)"),
    F_INT("max_batch_tokens", T_SVC, max_batch_tokens, "8192", 1, 10000000, 0,
          "most prompt tokens in one step (vLLM max_num_batched_tokens); with chunked prefill "
          "the budget of decode and prefill tokens together"),
    F_INT("max_queue", T_SVC, max_queue, "10000", 1, 100000000, 0,
          "most requests waiting at one replica; more are rejected (a guard on memory, "
          "not a policy: set it to model shedding)"),
    F_BOOL("chunked_prefill", T_SVC, chunked_prefill, "false",
           "split prompts into chunks that share steps with decoding (Sarathi)"),
    F_BOOL("expert_parallel", T_SVC, expert_parallel, "false",
           "MoE models: attention data-parallel and routed experts spread over the replica's "
           "cards (DeepSeek's deployment) instead of tensor parallelism"),
    F_REAL("prefix_cache", SL_UNIT_PERCENT, T_SVC, prefix_cache, "0 %", 0, 1, 0,
           "request fidelity with a trace of prefix blocks (Mooncake `hash_ids`): share of a "
           "replica's KV capacity that keeps the blocks of earlier prompts (least recently used "
           "evicted); a request's leading cached blocks are not prefilled again; 0: none"),
    F_INT("prefix_block", T_SVC, prefix_block, "512", 1, 1048576, 0,
          "tokens per prefix block (the trace's block size; Mooncake's is 512)"),
    F_ENUM("router", T_SVC, router, "jsq", router_names,
           "request routing: `round-robin`, `jsq` (fewest requests), `least-tokens` (fewest "
           "tokens outstanding), `prefix` (the least work before the first token: tokens "
           "outstanding plus the prompt tokens not in the replica's prefix cache; Mooncake's "
           "cache-aware scheduling)"),
    F_ENUM("class", T_SVC, svc_class, "interactive", service_class_names,
           "`interactive` (latency-critical: the power manager limits its cards last) or "
           "`batch` (limited after training, before interactive services)"),
    F_ENUM("fidelity", T_SVC, fidelity, "request", fidelity_names,
           "`request`: every request and iteration; `flow`: fluid model per replica class at "
           "`flow_step`"),
    {"flow_step", SL_FT_TIME, 0, S(T_SVC, flow_step_us), "1min", 0.001, 3600, 0, NULL, NULL,
     "control step of the flow fidelity (its arrivals, backlog and load are per step)"},
    F_REAL("mem_util", SL_UNIT_PERCENT, T_SVC, mem_util, "90 %", 0, 1, POS,
           "share of device memory the runtime may use (vLLM gpu_memory_utilization)"),
    F_REAL("reserved_memory", SL_UNIT_DATA, T_SVC, reserved_bytes, "3 GB", 0, SL_NO_MAX, 0,
           "per card, for activations and the runtime, outside weights and KV"),
    F_STR("pool", T_SVC, pool, NULL, OPT | SL_FF_NAME,
          "fleet pool whose cards it takes (`fleet.pools`); unset: the first pool whose `use` "
          "is `inference` or `both`"),
    F_STR("profile", T_SVC, profile, NULL, OPT,
          "efficiency profile from `suanli perf calibrate` (a relative path starts at the "
          "scenario file's folder); unset: the device's defaults"),
    {"slo", SL_FT_SECTION, 0, S(T_SVC, slo), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &slo_schema,
     "service-level objectives"},
    {"requests", SL_FT_SECTION, 0, S(T_SVC, requests), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &request_schema, "where requests come from"},
};
SCHEMA(service_schema, sl_service_cfg, "inference services", service_fields);

static const char *const queue_names[] = {"fifo", "priority", "easy-backfill", NULL};
static const char *const placement_names[] = {"first-fit", "pack", "topology", NULL};
/* Indexed by enum sl_precision: `int8` is refused by the loader (training
 * runs in BF16 or FP8), but keeps the index of `fp8` equal to SL_PREC_FP8. */
static const char *const train_precision_names[] = {"bf16", "int8", "fp8", NULL};

#define T_JOB            struct sl_job_cfg
#define TOKENS_DOC(what) what " (a plain number: `2e11` or `200000000000`)"
static const struct sl_field job_fields[] = {
    F_STR("name", T_JOB, name, NULL, NAME_REQ, "job name (unique among the listed jobs)"),
    F_STR("model", T_JOB, model, NULL, SL_FF_OPTIONAL | SL_FF_NAME,
          "LLM from the catalog; unset: `workload.training.model`"),
    F_STR("pool", T_JOB, pool, NULL, SL_FF_OPTIONAL | SL_FF_NAME,
          "pool of the fleet to run on; unset: the first pool whose `use` is training or both"),
    F_STR("tenant", T_JOB, tenant, NULL, OPT, "tenant (team, quota group) for reports"),
    F_INT("cards", T_JOB, cards, NULL, 1, 1048576, REQ,
          "cards the job holds (at most the pool's cards)"),
    {"tokens", SL_FT_REAL, SL_UNIT_NONE, S(T_JOB, tokens), "0", 0, 1e18, 0, NULL, NULL,
     TOKENS_DOC("token budget: the job ends when it has trained this many tokens; give this "
                "or `duration`")},
    {"duration", SL_FT_TIME, 0, S(T_JOB, duration_us), "0s", 0, SL_NO_MAX, 0, NULL, NULL,
     "run time, whatever the speed; give this or `tokens`"},
    {"submit", SL_FT_TIME, 0, S(T_JOB, submit_us), "0s", 0, SL_NO_MAX, 0, NULL, NULL,
     "submit time from the start of the run"},
    F_INT("priority", T_JOB, priority, "0", -1000000000, 1000000000, 0,
          "queue priority (higher first under `queue: priority`)"),
    F_INT("tp", T_JOB, tp, "0", 0, 1048576, 0,
          "tensor-parallel degree; 0: chosen (with `pp` and `dp`, the fastest layout that fits)"),
    F_INT("pp", T_JOB, pp, "0", 0, 1048576, 0, "pipeline-parallel degree; 0: chosen"),
    F_INT("dp", T_JOB, dp, "0", 0, 1048576, 0,
          "data-parallel degree; 0: chosen; tp x pp x dp must equal `cards` when all are given"),
    {"checkpoint", SL_FT_TIME, 0, S(T_JOB, checkpoint_us), "0s", 0, SL_NO_MAX, 0, NULL, NULL,
     "checkpoint interval; 0: the section's"},
    {"checkpoint_write", SL_FT_TIME, 0, S(T_JOB, checkpoint_write_us), "0s", 0, SL_NO_MAX,
     SL_FF_AUTO, NULL, NULL,
     "time the job stalls to write a checkpoint; 0: the section's; `auto`: from its model and the "
     "section's storage keys"},
};
SCHEMA(job_schema, sl_job_cfg, "training jobs", job_fields);

#define T_MIX struct sl_jobmix_cfg
static const struct sl_field jobmix_fields[] = {
    F_BOOL("enabled", T_MIX, enabled, "false", "generate the job mix"),
    F_REAL("jobs_per_day", SL_UNIT_NONE, T_MIX, jobs_per_day, NULL, 0, 1e9, OPT,
           "mean arrivals of small (fine-tuning, evaluation) jobs per day, Poisson; unset: "
           "1.577 per card of the pool per day (Acme Seren: 3,608 jobs/day on 2,288 GPUs), "
           "which `suanli check` then shows"),
    F_REAL("size_decay", SL_UNIT_NONE, T_MIX, size_decay, "0.986", -10, 10, 0,
           "size law: P(2^k cards) ~ 2^(-size_decay k) for k >= 1 (Acme Seren fit)"),
    F_REAL("single_card", SL_UNIT_PERCENT, T_MIX, single_card, "50 %", 0, 1, 0,
           "share of small jobs on one card (Acme: the median job has 1 card)"),
    F_INT("max_cards", T_MIX, max_cards, "256", 1, 1048576, 0,
          "largest small job (larger jobs are the pre-training ones)"),
    {"duration_median", SL_FT_TIME, 0, S(T_MIX, duration_median_us), "93s", 0.000001, SL_NO_MAX, 0,
     NULL, NULL, "median run time of a 1-card job (lognormal; Acme Seren fit)"},
    {"duration_growth", SL_FT_REAL, SL_UNIT_NONE, S(T_MIX, duration_growth), "1.32", 0, 100,
     SL_FF_MIN_EXCL, NULL, NULL,
     "factor on the median run time per doubling of cards (Acme Seren fit: 1,024 cards 16x "
     "the 1-card median)"},
    {"duration_sigma", SL_FT_REAL, SL_UNIT_NONE, S(T_MIX, duration_sigma), "2.165", 0, 10, 0, NULL,
     NULL, "standard deviation of ln run time (Acme Seren fit)"},
    {"duration_max", SL_FT_TIME, 0, S(T_MIX, duration_max_us), "14d", 1, SL_NO_MAX, 0, NULL, NULL,
     "run times are clipped to this (Acme Seren's longest job)"},
    F_STR("model", T_MIX, model, NULL, SL_FF_OPTIONAL | SL_FF_NAME,
          "model of the small jobs; unset: `workload.training.model`"),
    F_INT("pretrain_jobs", T_MIX, pretrain_jobs, "3", 0, 1000000, 0,
          "pre-training jobs submitted at the start"),
    F_INT("pretrain_cards", T_MIX, pretrain_cards, "1024", 1, 1048576, 0,
          "cards of each pre-training job (Acme's largest jobs)"),
    {"pretrain_tokens", SL_FT_REAL, SL_UNIT_NONE, S(T_MIX, pretrain_tokens), "1e11", 0, 1e18,
     SL_FF_MIN_EXCL, NULL, NULL,
     TOKENS_DOC("token budget of each pre-training job: about a week for llama3-70b on 1,024 "
                "t100 cards")},
    F_STR("pretrain_model", T_MIX, pretrain_model, "llama3-70b", SL_FF_NAME,
          "model of the pre-training jobs"),
};
SCHEMA(jobmix_schema, sl_jobmix_cfg, "job mix", jobmix_fields);

#define T_TRN struct sl_training_cfg
static const struct sl_field training_fields[] = {
    F_ENUM("queue", T_TRN, queue, "easy-backfill", queue_names,
           "queue policy: `fifo`, `priority` (higher first, FIFO among equals) or "
           "`easy-backfill` (FIFO, later jobs may start early when they do not delay the first)"),
    F_ENUM("placement", T_TRN, placement, "topology", placement_names,
           "placement of a job's cards: `first-fit` (lowest free cards), `pack` (fullest servers "
           "first) or `topology` (fewest leaf switches)"),
    F_STR("model", T_TRN, model, "llama3-8b", SL_FF_NAME,
          "model of jobs that name none (trace rows, listed jobs without `model`, generated "
          "small jobs)"),
    F_STR("trace", T_TRN, trace, NULL, OPT,
          "job trace to replay: an Alibaba GPU 2023 pod list, Slurm `sacct --parsable2` output "
          "or a CSV `job_id,submit_s,cards,duration_s[,model,priority]` (a relative path starts "
          "at the scenario file's folder)"),
    F_ENUM("format", T_TRN, format, "auto", sl_job_format_names,
           "job trace format; `auto` detects it from the header"),
    F_BOOL("lenient", T_TRN, lenient, "false",
           "skip and count malformed trace rows instead of rejecting the trace"),
    {"time_scale", SL_FT_REAL, SL_UNIT_NONE, S(T_TRN, time_scale), "1", 0, 1e6, SL_FF_MIN_EXCL,
     NULL, NULL, "trace submit times are multiplied by this (0.5: arrivals twice as dense)"},
    {"checkpoint", SL_FT_TIME, 0, S(T_TRN, checkpoint_us), "0s", 0, SL_NO_MAX, 0, NULL, NULL,
     "checkpoint interval of every job (0: Young/Daly, sqrt(2 checkpoint_write MTTI) from the "
     "job's cards and servers and the `failures` rates)"},
    {"checkpoint_write", SL_FT_TIME, 0, S(T_TRN, checkpoint_write_us), "auto", 0, SL_NO_MAX,
     SL_FF_AUTO, NULL, NULL,
     "time a job stalls while writing a checkpoint; `auto`: its model's parameters x "
     "`checkpoint_bytes_per_param` over `checkpoint_bw` x its servers, plus "
     "`checkpoint_latency`"},
    F_REAL("checkpoint_bw", SL_UNIT_BANDWIDTH, T_TRN, checkpoint_bw, "1 GB/s", 0, SL_NO_MAX, POS,
           "storage write bandwidth per server of a job, for `checkpoint_write: auto` (Llama 3's "
           "2 TB/s sustained over 2,048 servers; BLOOM's 57.5 GB/s over 48)"),
    {"checkpoint_latency", SL_FT_TIME, 0, S(T_TRN, checkpoint_latency_us), "5s", 0, 3600, 0, NULL,
     NULL, "fixed part of an `auto` checkpoint write: the barrier, snapshot and file metadata"},
    F_REAL("checkpoint_bytes_per_param", SL_UNIT_NONE, T_TRN, checkpoint_bytes_per_param, "14", 0,
           1000, POS,
           "checkpointed state per model parameter, for `auto`: bf16 weights (2) + fp32 master "
           "weights (4) + Adam's two fp32 moments (8)"),
    F_INT("seq", T_TRN, seq, "4096", 1, 10000000, 0, "tokens per training sequence"),
    {"global_batch", SL_FT_REAL, SL_UNIT_NONE, S(T_TRN, global_batch_tokens), "16777216", 0, 1e12,
     SL_FF_MIN_EXCL, NULL, NULL, "tokens per optimizer step (16 Mi: Llama 3 405B's)"},
    F_ENUM("precision", T_TRN, precision, "bf16", train_precision_names,
           "training precision: `bf16` or `fp8` (`int8` is refused)"),
    F_LIST("jobs", T_TRN, jobs, &job_schema, "jobs given one by one"),
    {"generate", SL_FT_SECTION, 0, S(T_TRN, generate), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &jobmix_schema, "a generated LLM center's job mix (docs/model.md, \"The LLM job mix\")"},
    /* Riding through failures (issue #11). */
    {"detection", SL_FT_TIME, 0, S(T_TRN, detect_us), "1min", 0, 86400, 0, NULL, NULL,
     "time from a server of a running job going down to the job noticing it"},
    {"restart", SL_FT_TIME, 0, S(T_TRN, restart_us), "5min", 0, 86400, 0, NULL, NULL,
     "automated restart of an interrupted job once it has healthy servers: rescheduling and "
     "loading the last checkpoint"},
    F_INT("spare_servers", T_TRN, spare_servers, "0", 0, 1000000, 0,
          "healthy servers per training partition held back from new jobs as hot spares for "
          "interrupted ones (free servers are used too)"),
};
SCHEMA(training_schema, sl_training_cfg, "training", training_fields);

static const struct sl_field workload_fields[] = {
    {"synthetic", SL_FT_SECTION, 0, S(struct sl_workload_cfg, synthetic), NULL, SL_NO_MIN,
     SL_NO_MAX, 0, NULL, &synthetic_schema,
     "synthetic load source for facility studies (used when there are no services)"},
    F_LIST("inference", struct sl_workload_cfg, inference, &service_schema,
           "LLM inference services: replicas on the fleet's cards serving requests"),
    {"training", SL_FT_SECTION, 0, S(struct sl_workload_cfg, training), NULL, SL_NO_MIN, SL_NO_MAX,
     0, NULL, &training_schema,
     "training jobs (a list, a trace, a generated mix) queued and placed on the pools"},
};

static const struct sl_field output_fields[] = {
    F_BOOL("requests", struct sl_output_cfg, requests, "false",
           "write requests.csv, one row per request (request fidelity)"),
};
SCHEMA(output_schema, sl_output_cfg, "output", output_fields);

#define T_PLV struct sl_power_level_cfg
static const struct sl_field power_rack_fields[] = {
    F_REAL("limit", SL_UNIT_POWER, T_PLV, limit_w, "0 W", 0, SL_NO_MAX, 0,
           "input limit of every rack (its design kW, e.g. 12 kW air-cooled or 40 kW and more "
           "liquid-cooled); 0: none"),
    {"tolerance", SL_FT_TIME, 0, S(T_PLV, tolerance_us), "10s", 0, 86400, 0, NULL, NULL,
     "an excursion of a rack over its limit lasting longer than this is a violation"},
};
SCHEMA(power_rack_schema, sl_power_level_cfg, "power.rack", power_rack_fields);
static const struct sl_field power_row_fields[] = {
    F_INT("racks", T_PLV, racks, "0", 0, 1000000, 0,
          "racks per row (consecutive rack numbers; the last row may be short); 0: no rows"),
    F_REAL("limit", SL_UNIT_POWER, T_PLV, limit_w, "0 W", 0, SL_NO_MAX, 0,
           "limit on the sum of a row's rack inputs (its feeder or busway); 0: none"),
    {"tolerance", SL_FT_TIME, 0, S(T_PLV, tolerance_us), "10s", 0, 86400, 0, NULL, NULL,
     "an excursion of a row over its limit lasting longer than this is a violation"},
};
SCHEMA(power_row_schema, sl_power_level_cfg, "power.row", power_row_fields);
#define T_PCD struct sl_power_card_cfg
static const struct sl_field power_card_fields[] = {
    F_REAL("min_limit", SL_UNIT_PERCENT, T_PCD, min_limit, "30 %", 0, 1, 0,
           "lowest power limit a card accepts, as a share of its TDP (a 700 W NVIDIA SXM GPU "
           "accepts 200-700 W)"),
    F_REAL("max_limit", SL_UNIT_PERCENT, T_PCD, max_limit, "100 %", 0, 1, SL_FF_MIN_EXCL,
           "highest power limit, as a share of TDP (below 100 %: every card is limited there "
           "from the start)"),
};
SCHEMA(power_card_schema, sl_power_card_cfg, "power.card", power_card_fields);
#define T_PRP struct sl_power_ramp_cfg
static const struct sl_field power_ramp_fields[] = {
    {"limit", SL_FT_REAL, SL_UNIT_NONE, S(T_PRP, limit_mw_per_min), "0", 0, 1e6, 0, NULL, NULL,
     "largest change of facility power over any minute, in MW/min (0: none)"},
    F_BOOL("burn", T_PRP, burn, "false",
           "when the load drops faster than `limit` allows, keep a burn load that decays at "
           "`limit` (a power floor at job ends)"),
    F_REAL("swing_floor", SL_UNIT_PERCENT, T_PRP, swing_floor, "0 %", 0, 1, 0,
           "raise the training communication phase to this share of the compute phase's power "
           "(reported analytically: the swing left and the energy it costs); 0: none"),
};
SCHEMA(power_ramp_schema, sl_power_ramp_cfg, "power.ramp", power_ramp_fields);

#define T_PWR struct sl_power_cfg
static const char *const power_policy_names[] = {"none",     "static", "threshold",
                                                 "priority", "polca",  NULL};
static const struct sl_field power_fields[] = {
    F_ENUM("policy", T_PWR, policy, "none", power_policy_names,
           "`none` (no limit: the cap is only accounted for, with the breaker rule), `static` "
           "(every card limited to one fixed power chosen at start so that full load in the "
           "worst weather hour fits the cap less `margin`), `threshold` (one limit for all "
           "cards, lowered when the lagged facility power passes the cap less `margin`, raised "
           "when it falls back), `priority` (limits by work tier, best-effort training first, "
           "latency-critical inference last, released in reverse) or `polca` (two thresholds "
           "with set limits per tier, after POLCA)"),
    {"control_interval", SL_FT_TIME, 0, S(T_PWR, control_interval_us), "1s", 0, 3600,
     SL_FF_MIN_EXCL, NULL, NULL,
     "period of the manager's readings and decisions (its own, finer than `facility.step`)"},
    {"telemetry_lag", SL_FT_TIME, 0, S(T_PWR, telemetry_lag_us), "2s", 0, 3600, 0, NULL, NULL,
     "age of the facility power the manager decides on; a whole multiple of "
     "`control_interval`"},
    {"actuation_delay", SL_FT_TIME, 0, S(T_PWR, actuation_delay_us), "1s", 0, 3600, 0, NULL, NULL,
     "time from a decision until the cards run at the new limit"},
    F_REAL("margin", SL_UNIT_PERCENT, T_PWR, margin, "2 %", 0, 1, SL_FF_MAX_EXCL,
           "share of the grid cap the manager keeps free (its target is cap x (1 - margin))"),
    {"tolerance", SL_FT_TIME, 0, S(T_PWR, tolerance_us), "10s", 0, 86400, 0, NULL, NULL,
     "breaker-style rule at the site: an excursion over the cap lasting longer than this is a "
     "violation; shorter ones are tolerated"},
    F_REAL("priority_threshold", SL_UNIT_PERCENT, T_PWR, priority_threshold, "2 %", 0, 0.5, 0,
           "`priority`: the manager limits when the lagged facility power leaves less than this "
           "share of the cap below the target (cap x (1 - margin)), and aims back at that level"),
    F_REAL("priority_release", SL_UNIT_PERCENT, T_PWR, priority_release, "2 %", 0, 0.5, POS,
           "`priority`: limits are released (highest tier first) only when the facility power "
           "is this share of the cap below the trigger level (hysteresis)"),
    F_REAL("priority_floor", SL_UNIT_PERCENT, T_PWR, priority_floor, "10 %", 0, 1, 0,
           "`priority`: lowest limit of any tier, as a share of the card's idle-to-TDP range"),
    F_REAL("polca_t1", SL_UNIT_PERCENT, T_PWR, polca_t1, "90 %", 0, 1, POS,
           "`polca`: above this share of the cap, training and batch inference are limited"),
    F_REAL("polca_t2", SL_UNIT_PERCENT, T_PWR, polca_t2, "95 %", 0, 1, POS,
           "`polca`: above this share of the cap, latency-critical inference is limited too; "
           "above the target (cap less `margin`) a brake sheds the excess by the `priority` rule"),
    F_REAL("polca_release", SL_UNIT_PERCENT, T_PWR, polca_release, "3 %", 0, 0.5, POS,
           "`polca`: a level is released when the facility power predicted without it is this "
           "share of the cap below the threshold that set it"),
    F_REAL("polca_training_limit", SL_UNIT_PERCENT, T_PWR, polca_training_x, "70 %", 0, 1, 0,
           "`polca`: deepest limit of training cards at levels 1 and 2 (they follow the excess "
           "over the level's threshold down to it), as a share of the idle-to-TDP range"),
    F_REAL("polca_inference_limit", SL_UNIT_PERCENT, T_PWR, polca_inference_x, "50 %", 0, 1, 0,
           "`polca`: deepest limit of inference cards (batch above `polca_t1`, interactive "
           "above `polca_t2`), lower than training's since decode barely slows under a cap"),
    {"rack", SL_FT_SECTION, 0, S(T_PWR, rack), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &power_rack_schema,
     "rack limit: a rack's design input (docs/model.md, \"Power limits in a "
     "hierarchy, ramps and admission\")"},
    {"row", SL_FT_SECTION, 0, S(T_PWR, row), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &power_row_schema,
     "row (feeder) limit over consecutive racks"},
    {"card", SL_FT_SECTION, 0, S(T_PWR, card), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &power_card_schema, "the range a card's power limit may be set in"},
    F_BOOL("admission", T_PWR, admission, "false",
           "admission control: a training job starts, and an inference arrival is accepted, only "
           "when the manager's forecast headroom allows (needs a `policy` other than `none`)"),
    {"ramp", SL_FT_SECTION, 0, S(T_PWR, ramp), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &power_ramp_schema, "ramp and swing limits of the site's power and their mitigations"},
};
SCHEMA(power_schema, sl_power_cfg, "power", power_fields);

/* The `failures` section (issue #11; docs/model.md, "Failures in service"):
 * one section per component class with its own defaults. */
#define T_FC struct sl_fault_class_cfg
#define FC_COMMON(d_rate, d_inf, d_beta, d_perm, d_det, d_rst, d_swp, d_rep, d_sig, d_unit)        \
    F_REAL("rate", SL_UNIT_NONE, T_FC, rate, d_rate, 0, SL_NO_MAX, 0,                              \
           "expected events per " d_unit                                                           \
           "-year in a new unit's first year (infant and constant)"),                              \
        F_REAL("infant_share", SL_UNIT_PERCENT, T_FC, infant_share, d_inf, 0, 1, 0,                \
               "share of the first year's events from infant mortality (a decreasing Weibull)"),   \
        F_REAL("infant_beta", SL_UNIT_NONE, T_FC, infant_beta, d_beta, 0, 1,                       \
               SL_FF_MIN_EXCL | SL_FF_MAX_EXCL,                                                    \
               "Weibull shape of the infant-mortality component"),                                 \
        F_REAL("wear_beta", SL_UNIT_NONE, T_FC, wear_beta, "0", 0, SL_NO_MAX, 0,                   \
               "Weibull shape of the wear-out component, > 1 (0: no wear-out)"),                   \
        F_REAL("wear_scale", SL_UNIT_NONE, T_FC, wear_scale_y, "0", 0, SL_NO_MAX, 0,               \
               "Weibull scale of the wear-out component, years"),                                  \
        F_REAL("permanent", SL_UNIT_PERCENT, T_FC, permanent, d_perm, 0, 1, 0,                     \
               "share of events that replace the part (the rest: restart in place)"),              \
        {"detect",                                                                                 \
         SL_FT_TIME,                                                                               \
         0,                                                                                        \
         S(T_FC, detect_us),                                                                       \
         d_det,                                                                                    \
         0,                                                                                        \
         SL_NO_MAX,                                                                                \
         0,                                                                                        \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "from the event to its detection"},                                                       \
        {"restart",                                                                                \
         SL_FT_TIME,                                                                               \
         0,                                                                                        \
         S(T_FC, restart_us),                                                                      \
         d_rst,                                                                                    \
         0,                                                                                        \
         SL_NO_MAX,                                                                                \
         0,                                                                                        \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "automated restart after a transient event"},                                             \
        {"swap",                                                                                   \
         SL_FT_TIME,                                                                               \
         0,                                                                                        \
         S(T_FC, swap_us),                                                                         \
         d_swp,                                                                                    \
         0,                                                                                        \
         SL_NO_MAX,                                                                                \
         0,                                                                                        \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "replacement of a permanent failure from the spares pool"},                               \
        {"repair",                                                                                 \
         SL_FT_TIME,                                                                               \
         0,                                                                                        \
         S(T_FC, repair_us),                                                                       \
         d_rep,                                                                                    \
         0,                                                                                        \
         SL_NO_MAX,                                                                                \
         0,                                                                                        \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "median repair (lognormal) of a permanent failure with no spare"},                        \
        F_REAL("repair_sigma", SL_UNIT_NONE, T_FC, repair_sigma, d_sig, 0, 5, 0,                   \
               "log standard deviation of the repair time")
#define FC_UNITS                                                                                   \
    F_INT("units", T_FC, units, "0", 0, 1000000, 0,                                                \
          "installed units (0: the chain stage's installed units, or 5 for a cooling class)"),     \
        F_INT("redundant", T_FC, redundant, "0", 0, 1000000, 0,                                    \
              "of the installed units, how many are beyond the need (with `units`; else from the " \
              "stage's redundancy, or 1 for a cooling class)")
static const struct sl_field fc_gpu_fields[] = {
    FC_COMMON("0.0611", "20 %", "0.5", "50 %", "10min", "10min", "4h", "4d", "0.5", "card"),
};
SCHEMA(fc_gpu_schema, sl_fault_class_cfg, "failures.gpu", fc_gpu_fields);
static const struct sl_field fc_hbm_fields[] = {
    FC_COMMON("0.0297", "20 %", "0.5", "30 %", "10min", "10min", "4h", "4d", "0.5", "card"),
};
SCHEMA(fc_hbm_schema, sl_fault_class_cfg, "failures.hbm", fc_hbm_fields);
static const struct sl_field fc_sram_fields[] = {
    FC_COMMON("0.00784", "20 %", "0.5", "20 %", "10min", "10min", "4h", "4d", "0.5", "card"),
};
SCHEMA(fc_sram_schema, sl_fault_class_cfg, "failures.sram", fc_sram_fields);
static const struct sl_field fc_gsp_fields[] = {
    FC_COMMON("0.00702", "20 %", "0.5", "10 %", "10min", "10min", "4h", "4d", "0.5", "card"),
};
SCHEMA(fc_gsp_schema, sl_fault_class_cfg, "failures.gsp", fc_gsp_fields);
static const struct sl_field fc_thermal_fields[] = {
    FC_COMMON("0.00248", "20 %", "0.5", "20 %", "10min", "10min", "4h", "4d", "0.5", "card"),
};
SCHEMA(fc_thermal_schema, sl_fault_class_cfg, "failures.thermal", fc_thermal_fields);
static const struct sl_field fc_sdc_fields[] = {
    FC_COMMON("0.00248", "0 %", "0.5", "30 %", "10min", "10min", "4h", "4d", "0.5", "card"),
};
SCHEMA(fc_sdc_schema, sl_fault_class_cfg, "failures.sdc", fc_sdc_fields);
static const struct sl_field fc_cpu_fields[] = {
    FC_COMMON("0.0066", "20 %", "0.5", "50 %", "2min", "10min", "4h", "4d", "0.5", "server"),
};
SCHEMA(fc_cpu_schema, sl_fault_class_cfg, "failures.cpu", fc_cpu_fields);
static const struct sl_field fc_dram_fields[] = {
    FC_COMMON("0.0066", "20 %", "0.5", "25 %", "2min", "10min", "4h", "4d", "0.5", "server"),
};
SCHEMA(fc_dram_schema, sl_fault_class_cfg, "failures.dram", fc_dram_fields);
static const struct sl_field fc_ssd_fields[] = {
    FC_COMMON("0.0099", "20 %", "0.5", "25 %", "2min", "10min", "4h", "4d", "0.5", "server"),
};
SCHEMA(fc_ssd_schema, sl_fault_class_cfg, "failures.ssd", fc_ssd_fields);
static const struct sl_field fc_psu_fields[] = {
    FC_COMMON("0.0099", "20 %", "0.5", "90 %", "2min", "10min", "1h", "2d", "0.5", "server"),
};
SCHEMA(fc_psu_schema, sl_fault_class_cfg, "failures.psu", fc_psu_fields);
static const struct sl_field fc_board_fields[] = {
    FC_COMMON("0.0132", "20 %", "0.5", "50 %", "2min", "10min", "4h", "4d", "0.5", "server"),
};
SCHEMA(fc_board_schema, sl_fault_class_cfg, "failures.board", fc_board_fields);
static const struct sl_field fc_host_fields[] = {
    FC_COMMON("0.1057", "0 %", "0.5", "0 %", "2min", "30min", "4h", "1d", "0.5", "server"),
};
SCHEMA(fc_host_schema, sl_fault_class_cfg, "failures.host", fc_host_fields);
static const struct sl_field fc_nic_fields[] = {
    FC_COMMON("0.0231", "20 %", "0.5", "30 %", "2min", "10min", "2h", "2d", "0.5", "server"),
};
SCHEMA(fc_nic_schema, sl_fault_class_cfg, "failures.nic", fc_nic_fields);
static const struct sl_field fc_leaf_fields[] = {
    FC_COMMON("0.264", "20 %", "0.5", "30 %", "1min", "10min", "2h", "2d", "0.5", "leaf switch"),
};
SCHEMA(fc_leaf_schema, sl_fault_class_cfg, "failures.leaf", fc_leaf_fields);
static const struct sl_field fc_spine_fields[] = {
    FC_COMMON("0.0881", "20 %", "0.5", "30 %", "1min", "10min", "2h", "2d", "0.5",
              "spine or core switch"),
};
SCHEMA(fc_spine_schema, sl_fault_class_cfg, "failures.spine", fc_spine_fields);
static const struct sl_field fc_link_fields[] = {
    FC_COMMON("0.00275", "20 %", "0.5", "50 %", "1min", "10min", "1h", "1d", "0.5", "link"),
};
SCHEMA(fc_link_schema, sl_fault_class_cfg, "failures.link", fc_link_fields);
static const struct sl_field fc_rack_power_fields[] = {
    FC_COMMON("0.02", "20 %", "0.5", "100 %", "1min", "10min", "4h", "2d", "0.5", "rack"),
};
SCHEMA(fc_rack_power_schema, sl_fault_class_cfg, "failures.rack_power", fc_rack_power_fields);
static const struct sl_field fc_rack_cooling_fields[] = {
    FC_COMMON("0.02", "20 %", "0.5", "100 %", "1min", "10min", "4h", "2d", "0.5", "rack"),
};
SCHEMA(fc_rack_cooling_schema, sl_fault_class_cfg, "failures.rack_cooling", fc_rack_cooling_fields);
static const struct sl_field fc_ups_fields[] = {
    FC_COMMON("0.05", "20 %", "0.5", "100 %", "1min", "10min", "8h", "2d", "0.5", "facility unit"),
    FC_UNITS,
};
SCHEMA(fc_ups_schema, sl_fault_class_cfg, "failures.ups", fc_ups_fields);
static const struct sl_field fc_rectifier_fields[] = {
    FC_COMMON("0.05", "20 %", "0.5", "100 %", "1min", "10min", "8h", "2d", "0.5", "facility unit"),
    FC_UNITS,
};
SCHEMA(fc_rectifier_schema, sl_fault_class_cfg, "failures.rectifier", fc_rectifier_fields);
static const struct sl_field fc_sst_fields[] = {
    FC_COMMON("0.1", "20 %", "0.5", "100 %", "1min", "10min", "8h", "3d", "0.5", "facility unit"),
    FC_UNITS,
};
SCHEMA(fc_sst_schema, sl_fault_class_cfg, "failures.sst", fc_sst_fields);
static const struct sl_field fc_chiller_fields[] = {
    FC_COMMON("0.5", "20 %", "0.5", "100 %", "1min", "10min", "8h", "2d", "0.5", "facility unit"),
    FC_UNITS,
};
SCHEMA(fc_chiller_schema, sl_fault_class_cfg, "failures.chiller", fc_chiller_fields);
static const struct sl_field fc_cdu_fields[] = {
    FC_COMMON("0.2", "20 %", "0.5", "100 %", "1min", "10min", "8h", "2d", "0.5", "facility unit"),
    FC_UNITS,
};
SCHEMA(fc_cdu_schema, sl_fault_class_cfg, "failures.cdu", fc_cdu_fields);
static const struct sl_field fc_dry_cooler_fields[] = {
    FC_COMMON("0.1", "20 %", "0.5", "100 %", "1min", "10min", "8h", "2d", "0.5", "facility unit"),
    FC_UNITS,
};
SCHEMA(fc_dry_cooler_schema, sl_fault_class_cfg, "failures.dry_cooler", fc_dry_cooler_fields);
static const struct sl_field fc_software_fields[] = {
    FC_COMMON("0.0260", "0 %", "0.5", "0 %", "10min", "10min", "0s", "0s", "0.5", "card"),
};
SCHEMA(fc_software_schema, sl_fault_class_cfg, "failures.software", fc_software_fields);

#define T_SP struct sl_spares_cfg
static const struct sl_field spares_fields[] = {
    F_INT("card", T_SP, count[SL_SP_CARD], "64", 0, SL_NO_MAX, 0, "spare cards (card classes)"),
    F_INT("host", T_SP, count[SL_SP_HOST], "16", 0, SL_NO_MAX, 0,
          "spare host parts (CPU, DRAM, SSD, PSU, board, NIC)"),
    F_INT("switch", T_SP, count[SL_SP_SWITCH], "8", 0, SL_NO_MAX, 0, "spare switches"),
    F_INT("link", T_SP, count[SL_SP_LINK], "64", 0, SL_NO_MAX, 0, "spare cables and optics"),
    F_INT("rack", T_SP, count[SL_SP_RACK], "2", 0, SL_NO_MAX, 0,
          "spare rack power and cooling units"),
    F_INT("facility", T_SP, count[SL_SP_FACILITY], "2", 0, SL_NO_MAX, 0,
          "spare facility units (UPS, rectifier, SST modules; chiller, CDU, dry-cooler parts)"),
};
SCHEMA(spares_schema, sl_spares_cfg, "failures.spares", spares_fields);

#define T_FL struct sl_failures_cfg
static const struct sl_field failures_fields[] = {
    F_BOOL("enabled", T_FL, enabled, "false",
           "draw failures in service (docs/model.md, \"Failures in service\"): servers go down, "
           "workloads ride through; failures.csv"),
    {"start_age", SL_FT_TIME, 0, S(T_FL, start_age_us), "0s", 0, SL_NO_MAX, 0, NULL, NULL,
     "time the fleet has been in service when the run starts (0: a new center whose parts "
     "enter service aged `burnin.duration`); a mature fleet has left most infant mortality "
     "behind"},
    {"gpu", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_GPU]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_gpu_schema, "faulty GPU (Llama 3: 148 of 419)"},
    {"hbm", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_HBM]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_hbm_schema, "HBM (Llama 3: 72 of 419)"},
    {"sram", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_SRAM]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_sram_schema, "GPU SRAM (Llama 3: 19 of 419)"},
    {"gsp", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_GSP]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_gsp_schema, "GPU system processor (Llama 3: 17 of 419)"},
    {"thermal", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_THERMAL]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_thermal_schema, "GPU thermal interface or sensor (Llama 3: 6 of 419)"},
    {"sdc", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_SDC]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_sdc_schema, "silent data corruption, detected (Llama 3: 6 of 419)"},
    {"cpu", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_CPU]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_cpu_schema, "host CPU (Llama 3: 2 of 419)"},
    {"dram", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_DRAM]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_dram_schema, "host memory (Llama 3: 2 of 419)"},
    {"ssd", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_SSD]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_ssd_schema, "local SSD (Llama 3: 3 of 419)"},
    {"psu", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_PSU]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_psu_schema, "server PSU (Llama 3: 3 of 419)"},
    {"board", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_BOARD]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_board_schema, "chassis and IO board (Llama 3: 4 of 419)"},
    {"host", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_HOST]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_host_schema, "unplanned host maintenance (Llama 3: 32 of 419)"},
    {"nic", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_NIC]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_nic_schema, "NIC (Llama 3: 7 of 419); takes the server off the fabric"},
    {"leaf", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_LEAF]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_leaf_schema, "leaf switch (Llama 3 switch/cable events, low confidence split)"},
    {"spine", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_SPINE]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_spine_schema, "spine or core switch (Llama 3 switch/cable events, low confidence split)"},
    {"link", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_LINK]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_link_schema, "cable or optics (Llama 3 switch/cable events scaled by links)"},
    {"rack_power", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_RACK_POWER]), NULL, SL_NO_MIN, SL_NO_MAX, 0,
     NULL, &fc_rack_power_schema, "rack power stage: shelf or rack PDU (low confidence)"},
    {"rack_cooling", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_RACK_COOLING]), NULL, SL_NO_MIN, SL_NO_MAX,
     0, NULL, &fc_rack_cooling_schema,
     "rack cooling unit: manifold, rear door or in-rack CDU (low confidence)"},
    {"ups", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_UPS]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_ups_schema, "UPS module (low confidence)"},
    {"rectifier", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_RECTIFIER]), NULL, SL_NO_MIN, SL_NO_MAX, 0,
     NULL, &fc_rectifier_schema, "HVDC rectifier module (low confidence)"},
    {"sst", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_SST]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_sst_schema, "solid-state transformer module (low confidence)"},
    {"chiller", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_CHILLER]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_chiller_schema, "chiller (low confidence)"},
    {"cdu", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_CDU]), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &fc_cdu_schema, "facility coolant distribution unit (low confidence)"},
    {"dry_cooler", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_DRY_COOLER]), NULL, SL_NO_MIN, SL_NO_MAX, 0,
     NULL, &fc_dry_cooler_schema, "dry cooler (low confidence)"},
    {"software", SL_FT_SECTION, 0, S(T_FL, cls[SL_FC_SOFTWARE]), NULL, SL_NO_MIN, SL_NO_MAX, 0,
     NULL, &fc_software_schema,
     "software: job bug, NCCL watchdog, dependency (Llama 3: 63 of 419)"},
    {"spares", SL_FT_SECTION, 0, S(T_FL, spares), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &spares_schema, "spares pools permanent failures draw on"},
};
SCHEMA(failures_schema, sl_failures_cfg, "failures", failures_fields);
#define T_BRN struct sl_burnin_cfg
static const struct sl_field burnin_fields[] = {
    {"duration", SL_FT_TIME, 0, S(T_BRN, duration_us), "72h", 0, SL_NO_MAX, 0, NULL, NULL,
     "burn-in of each server at full load before it ships (DESIGN.md: 72 h; 24-168 h in "
     "practice, failures-traces.md section 3); 0: none"},
    F_INT("slots", T_BRN, slots, "1000", 1, 100000000, 0,
          "servers the burn-in area holds at once (100,000 a year x 72 h = 822 in burn-in on "
          "average, plus room for restarts and arrival bursts; low confidence)"),
    F_REAL("load", SL_UNIT_PERCENT, T_BRN, load, "100 %", 0, 1, 0,
           "load share of the cards during burn-in (the server model's full-load power at 100 %)"),
    F_REAL("fallout", SL_UNIT_PERCENT, T_BRN, fallout, "1 %", 0, 1, SL_FF_MAX_EXCL,
           "share of servers that fail one burn-in when `failures` is off (8 cards x 0.17 "
           "interruptions per card-year x 72 h = 1.1 %; low confidence); with `failures` on, the "
           "server's hazard over the burn-in decides"),
    {"repair", SL_FT_TIME, 0, S(T_BRN, repair_us), "4h", 0, SL_NO_MAX, 0, NULL, NULL,
     "time to repair a server that failed burn-in; it then restarts its burn-in from zero "
     "(low confidence)"},
};
SCHEMA(burnin_schema, sl_burnin_cfg, "burnin", burnin_fields);

static const char *const station_kind_names[] = {"work", "burnin", NULL};
static const char *const cycle_dist_names[] = {"fixed", "exponential", "lognormal", "gamma", NULL};
#define T_STN struct sl_station_cfg
static const struct sl_field station_fields[] = {
    F_STR("name", T_STN, name, NULL, NAME_REQ, "station name (unique in the line)"),
    F_ENUM("kind", T_STN, kind, "work", station_kind_names,
           "`work` (machines or operators with a cycle time) or `burnin` (the burn-in area: "
           "`burnin.slots` slots of `burnin.duration`)"),
    {"cycle", SL_FT_TIME, 0, S(T_STN, cycle_us), NULL, 0, SL_NO_MAX, OPT, NULL, NULL,
     "mean time of one server on one machine (required for a work station)"},
    F_ENUM("dist", T_STN, dist, "fixed", cycle_dist_names,
           "law of the cycle time: `fixed`, or `exponential`, `lognormal`, `gamma` with mean "
           "`cycle` and coefficient of variation `cv`"),
    F_REAL("cv", SL_UNIT_NONE, T_STN, cv, "0", 0, 10, 0,
           "coefficient of variation of the cycle time (lognormal, gamma)"),
    F_INT("machines", T_STN, machines, "1", 1, 1000000, 0,
          "parallel machines, test stands or operator cells (per shift when staffed)"),
    F_BOOL("staffed", T_STN, staffed, "true",
           "works only in shift hours (`factory.shifts`); false: around the clock"),
    F_REAL("yield", SL_UNIT_PERCENT, T_STN, yield, "100 %", 0, 1, POS,
           "first-pass yield; a server that fails is reworked (`rework`) and does the station "
           "again"),
    {"rework", SL_FT_TIME, 0, S(T_STN, rework_us), "30min", 0, SL_NO_MAX, 0, NULL, NULL,
     "time to rework a server that failed the station (off the line, in parallel)"},
    {"mtbf", SL_FT_TIME, 0, S(T_STN, mtbf_us), "0s", 0, SL_NO_MAX, 0, NULL, NULL,
     "mean time between breakdowns of one machine, exponential (0: none)"},
    {"mttr", SL_FT_TIME, 0, S(T_STN, mttr_us), "30min", 0, SL_NO_MAX, 0, NULL, NULL,
     "mean repair time of a breakdown, exponential; the server on the machine waits"},
    F_INT("buffer", T_STN, buffer, "10", 0, 100000000, 0,
          "servers the station's input buffer holds; a full buffer blocks the station before "
          "it (0: unlimited)"),
    F_REAL("power", SL_UNIT_POWER, T_STN, power_w, "0 W", 0, SL_NO_MAX, 0,
           "power of one machine while it works (tools, conveyor, test stand); the burn-in "
           "area's is the server model's at `burnin.load`"),
};
SCHEMA(station_schema, sl_station_cfg, "factory stations", station_fields);

#define T_SHF struct sl_shifts_cfg
static const struct sl_field shifts_fields[] = {
    F_INT("per_day", T_SHF, per_day, "3", 1, 24, 0, "shifts a working day, from midnight"),
    {"length", SL_FT_TIME, 0, S(T_SHF, length_us), "8h", 0, 86400, SL_FF_MIN_EXCL, NULL, NULL,
     "length of a shift; per_day x length is at most 24 h"},
    {"break", SL_FT_TIME, 0, S(T_SHF, break_us), "20min", 0, 86400, 0, NULL, NULL,
     "time lost at the start of each shift (handover, breaks) (low confidence)"},
    F_INT("days", T_SHF, days, "7", 1, 7, 0, "working days a week"),
};
SCHEMA(shifts_schema, sl_shifts_cfg, "factory.shifts", shifts_fields);

#define T_FCT struct sl_factory_cfg
static const struct sl_field factory_fields[] = {
    {"duration", SL_FT_TIME, 0, S(T_FCT, duration_us), "365d", 86400, SL_NO_MAX, 0, NULL, NULL,
     "time `suanli factory` measures, after `warmup`"},
    {"warmup", SL_FT_TIME, 0, S(T_FCT, warmup_us), "7d", 0, SL_NO_MAX, 0, NULL, NULL,
     "time simulated before measuring, so the line and the burn-in area fill"},
    {"shifts", SL_FT_SECTION, 0, S(T_FCT, shifts), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &shifts_schema, "the working hours of staffed stations"},
    F_LIST("stations", T_FCT, stations, &station_schema,
           "the stations in line order; empty: the built-in line (docs/model.md)"),
};
SCHEMA(factory_schema, sl_factory_cfg, "factory", factory_fields);

static const char *const rollout_from_names[] = {"rate", "factory", NULL};
#define T_RLO struct sl_rollout_cfg
static const struct sl_field rollout_fields[] = {
    F_BOOL("enabled", T_RLO, enabled, "false",
           "the fleet arrives over the run instead of being there from the start"),
    F_ENUM("from", T_RLO, from, "rate", rollout_from_names,
           "`rate` (servers shipped at `rate` a day) or `factory` (the daily output of the "
           "`factory` model, `suanli factory`)"),
    F_REAL("rate", SL_UNIT_NONE, T_RLO, rate, "274", 0, 1e9, POS,
           "servers shipped a day with `from: rate` (100,000 a year / 365, DESIGN.md)"),
    {"transit", SL_FT_TIME, 0, S(T_RLO, transit_us), "2d", 0, SL_NO_MAX, 0, NULL, NULL,
     "from the factory's dock to the site (low confidence)"},
    {"install", SL_FT_TIME, 0, S(T_RLO, install_us), "4h", 0, SL_NO_MAX, 0, NULL, NULL,
     "one crew installs, cables and powers on one rack (low confidence)"},
    F_INT("crews", T_RLO, crews, "8", 1, 100000, 0,
          "racks installed at once (274 servers a day = 34 racks of 8 x 4 h needs 5.7 crews; "
          "low confidence)"),
    F_INT("installed", T_RLO, installed, "0", 0, 100000000, 0,
          "servers in service at the start, the first ones (0: an empty hall)"),
};
SCHEMA(rollout_schema, sl_rollout_cfg, "rollout", rollout_fields);

SCHEMA(run_schema, sl_run_cfg, "run", run_fields);
SCHEMA(facility_schema, sl_facility_cfg, "facility", facility_fields);
SCHEMA(site_schema, sl_site_cfg, "site", site_fields);
SCHEMA(fleet_schema, sl_fleet_cfg, "fleet", fleet_fields);
SCHEMA(workload_schema, sl_workload_cfg, "workload", workload_fields);

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
SCHEMA(prefill_schema, sl_phase_param, "phase", prefill_fields);
SCHEMA(decode_schema, sl_phase_param, "phase", decode_fields);
SCHEMA(train_compute_schema, sl_phase_param, "phase", train_compute_fields);
SCHEMA(train_comm_schema, sl_phase_param, "phase", train_comm_fields);
SCHEMA(mixed_schema, sl_phase_param, "phase", mixed_fields);
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
SCHEMA(phases_schema, sl_phases_cfg, "phases", phases_fields);

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
    {"output", SL_FT_SECTION, 0, SC(output), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &output_schema,
     "optional outputs"},
    {"power", SL_FT_SECTION, 0, SC(power), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &power_schema,
     "the power manager that keeps the site within the grid cap"},
    {"failures", SL_FT_SECTION, 0, SC(failures), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &failures_schema, "failures in service: component classes, blast radius, repair, spares"},
    {"burnin", SL_FT_SECTION, 0, SC(burnin), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &burnin_schema,
     "the full-load burn-in every server passes before service (slots, power, fallout)"},
    {"factory", SL_FT_SECTION, 0, SC(factory), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &factory_schema,
     "the line that builds the servers (`suanli factory`)"},
    {"rollout", SL_FT_SECTION, 0, SC(rollout), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &rollout_schema,
     "servers arriving from the line, racks coming into service as they fill"},
    {"variants", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "named override sets run side by side (see \"Variants\")"},
    {"plan", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "the search space of `suanli plan` (`vary`, `set`, `by`, `slo`; docs/plan.md); `suanli run` "
     "ignores it"},
};
const struct sl_schema sl__scenario_schema = {"scenario", sizeof(struct sl_scenario), top_fields,
                                              sizeof top_fields / sizeof top_fields[0]};

/* The `variants:` entries, validated with the same machinery. */
static const struct sl_field variant_fields[] = {
    {"name", SL_FT_STRING, 0, offsetof(struct sl__variant_cfg, name), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_REQUIRED | SL_FF_NAME, NULL, NULL, "variant name; also its output subfolder"},
    {"description", SL_FT_STRING, 0, offsetof(struct sl__variant_cfg, description), NULL, SL_NO_MIN,
     SL_NO_MAX, SL_FF_OPTIONAL, NULL, NULL, "free text"},
    {"set", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "mapping of dotted key paths to values, applied over the scenario"},
};
const struct sl_schema sl__variant_schema = {"variant", sizeof(struct sl__variant_cfg),
                                             variant_fields,
                                             sizeof variant_fields / sizeof variant_fields[0]};
