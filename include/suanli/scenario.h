/*
 * Scenarios: what a run simulates.
 *
 * A scenario file is YAML with units in values; sl_scenario_load parses it
 * (or the built-in default), applies command-line overrides, expands
 * `variants:` into one resolved scenario per variant, and validates all of
 * them before anything runs, so bad input never leaves partial output.  The
 * key reference is docs/scenario.md (generated from the same schema tables
 * that drive validation, see src/config/scenario_schema.c).
 *
 * A relative file path in a scenario file (an EPW `site.weather`) is taken
 * from the folder of that file; from --set, from the current directory.
 * The loaded scenario holds the absolute path.
 *
 * All quantities are in base units: W, J, s (times as int64 microseconds),
 * fractions for percentages.
 */
#ifndef SUANLI_SCENARIO_H
#define SUANLI_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "suanli/catalog.h"
#include "suanli/chain.h"
#include "suanli/cooling.h"
#include "suanli/diag.h"
#include "suanli/list.h"
#include "suanli/llm.h"
#include "suanli/trace.h"
#include "suanli/weather.h"

enum sl_shape { SL_SHAPE_CONSTANT = 0, SL_SHAPE_DIURNAL = 1 };

/* The synthetic load source: fleet utilisation follows a shape; each server
 * redraws its own level around it at random times.  Like every section
 * below, a plain part of struct sl_scenario, filled by the schema
 * (src/config/scenario_schema.c), which also states each key's range.
 * Invariants of a loaded scenario: mean, amplitude and noise in [0, 1],
 * and for the diurnal shape mean +- amplitude within [0, 1]; period_us and
 * change_interval_us > 0; 0 <= peak_time_us < 24 h. */
struct sl_synthetic_cfg {
    int shape; /* enum sl_shape */
    double mean;
    double amplitude;
    int64_t period_us;
    int64_t peak_time_us; /* time of day of the diurnal peak */
    double noise;         /* standard deviation of a server's level */
    int64_t change_interval_us;
    int phase; /* enum sl_phase the cards are in while loaded */
};

/* The `run` section.  Invariants of a loaded scenario: 0 < sample_us <=
 * duration_us, and sample_us is a whole multiple of facility.step_us;
 * start is set (owned by the scenario) and parses, as start_s of struct
 * sl_scenario shows; 0 <= seed <= 2^53. */
struct sl_run_cfg {
    int64_t duration_us;
    int64_t sample_us;
    int64_t seed;
    char *start; /* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]", local time */
};

/* A time-of-use price period: [from, to) local time of day.  A plain value
 * in the site's tou list.  Invariants: from_us and to_us in [0, 24 h] and
 * different (to before from wraps past midnight); price >= 0. */
struct sl_tou_period {
    int64_t from_us;
    int64_t to_us;
    double price; /* CNY/kWh */
};

/* The `site` section; the scenario owns its strings and tou list.
 * Invariants of a loaded scenario: name is set; weather is NULL (the
 * built-in site's own), a built-in site name, or an absolute EPW path;
 * grid_cap_w > 0; price >= 0; carbon > 0 (the loader writes the resolved
 * factor back). */
struct sl_site_cfg {
    char *name;
    char *weather;      /* built-in site name or EPW path; NULL: the site's own */
    double grid_cap_w;  /* locked grid allocation */
    double price;       /* CNY/kWh outside the time-of-use periods */
    struct sl_list tou; /* struct sl_tou_period */
    double carbon;      /* kg CO2/kWh; 0: the built-in site's provincial factor */
};

/* The `facility` section; the scenario owns its strings.  Invariants of a
 * loaded scenario: power_chain and cooling name entries that exist (the
 * resolved chain and cooling of struct sl_scenario); 0 <= aux_load <= 1;
 * step_us between 1 s and 1 h. */
struct sl_facility_cfg {
    char *power_chain; /* preset or catalog.chains name */
    char *cooling;     /* preset or catalog.cooling name */
    double aux_load;   /* lighting, BMS, security: share of design IT power */
    int64_t step_us;   /* facility control step; run.sample is a multiple of it */
};

/* What a pool's servers may run (`fleet.pools[].use`). */
enum sl_pool_use { SL_POOL_BOTH = 0, SL_POOL_INFERENCE, SL_POOL_TRAINING };

/* One pool of the fleet (`fleet.pools[]`): servers of one model in racks of
 * servers_per_rack, reserved for inference, training or both.  Owned
 * strings.  Invariants of a loaded scenario: name unique among pools;
 * servers >= 1; servers_per_rack >= 1; server names a catalog entry. */
struct sl_pool_cfg {
    char *name;
    char *server;
    int64_t servers;
    int64_t servers_per_rack;
    int use; /* enum sl_pool_use */
};

/* The scale-out fabric (`fleet.fabric`), the keys of struct sl_fabric_spec
 * (suanli/fabric.h) plus "none" and "auto" kinds.  Filled by the schema,
 * whose ranges hold the spec's own (sl_fabric_build checks the rest: the
 * radix against the fleet, at load).  Latencies are in seconds here (the
 * schema's time unit) and in microseconds in the spec. */
struct sl_fabric_cfg {
    int kind; /* enum sl_fabric_cfg_kind */
    int64_t nics_per_server;
    double nic_bw; /* bytes/s */
    int64_t switch_radix;
    double port_bw; /* bytes/s */
    double oversubscription;
    int64_t servers_per_leaf;
    double switch_w;
    double switch_idle_share;
    double optics_w;
    int server_links_optical;
    double nic_latency_s;
    double switch_latency_s;
};
/* SL_FABRIC_CFG_NONE: no fabric (no switches, servers talk only inside);
 * AUTO: a two-tier fat tree when one holds the fleet, else three tiers;
 * otherwise SL_FABRIC_CFG_FAT_TREE_2 + enum sl_fabric_kind. */
enum sl_fabric_cfg_kind {
    SL_FABRIC_CFG_AUTO = 0,
    SL_FABRIC_CFG_NONE,
    SL_FABRIC_CFG_FAT_TREE_2,
    SL_FABRIC_CFG_FAT_TREE_3,
    SL_FABRIC_CFG_RAIL
};

/* The `fleet` section.  Either the shorthand of one pool (servers of one
 * model in racks of servers_per_rack, the last rack may be partly filled)
 * or a list of pools; with pools the shorthand keys must not be given.
 * Invariants of a loaded scenario: servers >= 1, servers_per_rack >= 1,
 * server names a catalog entry.  With pools the loader writes the
 * shorthand back as a summary, so readers of one-model fleets keep
 * working: servers is the total over the pools, server and
 * servers_per_rack are the first pool's (the resolved scenario does not
 * emit them then, so it loads back). */
struct sl_fleet_cfg {
    int64_t servers;
    int64_t servers_per_rack;
    char *server;         /* catalog name */
    struct sl_list pools; /* struct sl_pool_cfg[]; empty: one pool from the keys above */
    struct sl_fabric_cfg fabric;
};

/* A pool as resolved by the loader: its models and its place in the
 * fleet's numbering.  Servers are numbered pool after pool in list order,
 * cards likewise, racks likewise (a rack never holds two pools).
 * Invariants: first_server, first_card and first_rack are the sums over
 * the pools before; cards = servers * server->cards; racks =
 * ceil(servers / servers_per_rack); sc->server, device and cpu are pools[0]'s.
 * At most SL_MAX_POOLS pools. */
#define SL_MAX_POOLS 1024
struct sl_pool_res {
    const char *name; /* borrowed from the cfg, or "main" for the shorthand */
    const struct sl_server_model *server;
    const struct sl_device_model *device;
    const struct sl_cpu_model *cpu;
    int64_t servers, servers_per_rack, racks, cards;
    int64_t first_server, first_card, first_rack;
    int use; /* enum sl_pool_use */
};

enum sl_router {
    SL_ROUTER_ROUND_ROBIN = 0,
    SL_ROUTER_JSQ,
    SL_ROUTER_LEAST_TOKENS,
    SL_ROUTER_PREFIX
};
enum sl_fidelity { SL_FIDELITY_REQUEST = 0, SL_FIDELITY_FLOW };
enum sl_arrival { SL_ARRIVAL_POISSON = 0, SL_ARRIVAL_GAMMA };

/* Where a service's requests come from (`requests:`): a trace file, or a
 * generator at a rate.  Owned strings.  Invariants of a loaded scenario:
 * trace NULL or an absolute path that read (the scenario's resolved
 * service holds it); rate > 0 when there is no trace; cv > 0; diurnal in
 * [0, 1); rate_scale > 0; prompt_tokens and output_tokens NULL (from the
 * trace's rows) or texts sl_tokdist_parse accepts, and set when the
 * source has no request rows to take them from. */
struct sl_request_cfg {
    char *trace;
    int format;  /* enum sl_trace_format */
    int lenient; /* skip and count malformed rows instead of rejecting */
    double rate_scale;
    int tile;       /* repeat the trace to cover the run */
    int arrival;    /* enum sl_arrival (generated requests) */
    double rate;    /* requests/s (generated) */
    double cv;      /* gamma arrivals: coefficient of variation */
    double diurnal; /* amplitude of a daily cosine on the rate */
    int64_t peak_time_us;
    char *prompt_tokens; /* token law (suanli/trace.h) */
    char *output_tokens;
};

/* Service-level objectives of a service. */
struct sl_slo_cfg {
    int64_t ttft_us;
    int64_t tpot_us;
};

/* One inference service (`workload.inference[]`): replicas of tp cards
 * serving one model, fed by a router.  Owned strings.  Invariants of a
 * loaded scenario: name unique among services; model names a catalog
 * model; tp divides the server's cards (a replica never straddles
 * servers); each service's cards start at a multiple of its tp, and
 * replicas * tp over all services, with that alignment, <= the fleet's
 * cards; the model fits (sl_perf_init succeeds)
 * on the fleet's device at this tp and precision; max_batch >= 1. */
/* A service's class (`class`): latency-critical services are capped last
 * by the power manager (fleet.h, enum sl_tier). */
enum sl_service_class { SL_CLASS_INTERACTIVE = 0, SL_CLASS_BATCH };

struct sl_service_cfg {
    char *name;
    char *model;
    int64_t tp;
    int64_t replicas;
    int weights; /* enum sl_precision */
    int kv;
    int64_t max_batch;        /* concurrent sequences per replica */
    int64_t max_batch_tokens; /* tokens per step (chunked prefill budget) */
    int64_t max_queue;        /* waiting requests per replica; more are rejected */
    int chunked_prefill;
    int expert_parallel;  /* MoE: attention data-parallel, experts spread (llm.h dp_ep) */
    double prefix_cache;  /* share of the KV capacity kept as a prefix cache; 0: none */
    int64_t prefix_block; /* tokens per cached block (Mooncake hash blocks: 512) */
    int router;           /* enum sl_router */
    int fidelity;         /* enum sl_fidelity */
    int svc_class;        /* enum sl_service_class: its cards' power tier */
    int64_t flow_step_us;
    double mem_util;
    double reserved_bytes; /* per card: activations, runtime */
    char *profile;         /* calibration profile (suanli perf calibrate), or NULL */
    char *pool;            /* fleet pool it runs on; NULL: the first that takes inference */
    struct sl_slo_cfg slo;
    struct sl_request_cfg requests;
};

/* A job's checkpoint interval chosen at run time by Young/Daly,
 * tau = sqrt(2 delta MTTI), from the job's cards and servers. */
#define SL_CKPT_AUTO (-1)
/* A checkpoint write time (`checkpoint_write: auto`) from the job's state
 * and the storage: parameters x checkpoint_bytes_per_param over
 * checkpoint_bw per server of the job, plus checkpoint_latency. */
#define SL_CKPT_WRITE_AUTO (-1)

enum sl_queue_policy { SL_QUEUE_FIFO = 0, SL_QUEUE_PRIORITY, SL_QUEUE_EASY };
enum sl_placement { SL_PLACE_FIRST_FIT = 0, SL_PLACE_PACK, SL_PLACE_TOPOLOGY };

/* One job given in the scenario (`workload.training.jobs[]`).  Owned
 * strings; 0 in tp, pp, dp: chosen by the performance model. */
struct sl_job_cfg {
    char *name;
    char *model;
    char *pool; /* NULL: the first pool that takes training */
    char *tenant;
    int64_t cards;
    double tokens;       /* token budget; 0: run for duration */
    int64_t duration_us; /* 0: run for tokens */
    int64_t submit_us;   /* from the start of the run */
    int64_t priority;
    int64_t tp, pp, dp;
    int64_t checkpoint_us;       /* 0: the section's default */
    int64_t checkpoint_write_us; /* 0: the section's default */
};

/* The job-mix generator (`workload.training.generate`): an LLM center's
 * jobs after the Acme summary (docs/model.md, "Training job traces"). */
struct sl_jobmix_cfg {
    int enabled;
    double jobs_per_day;      /* fine-tuning and evaluation arrivals */
    double size_decay;        /* P(2^k cards) ~ 2^(-size_decay k) for k >= 1 */
    double single_card;       /* P(1 card) */
    int64_t max_cards;        /* largest generated small job */
    double duration_mu;       /* ln seconds at one card (from duration_median) */
    double duration_per_log2; /* added to mu per doubling of cards (ln duration_growth) */
    double duration_sigma;
    int64_t duration_median_us; /* the keys: median run time of a 1-card job */
    double duration_growth;     /* factor on the median per doubling of cards */
    int64_t duration_max_us;    /* run times clipped to this */
    char *model;                /* model of the generated small jobs */
    int64_t pretrain_jobs;      /* large pre-training jobs, submitted at the start */
    int64_t pretrain_cards;
    double pretrain_tokens;
    char *pretrain_model;
};

/* The `workload.training` section: where jobs come from and how the
 * cluster scheduler queues and places them.  Owned strings and lists. */
struct sl_training_cfg {
    int queue;     /* enum sl_queue_policy */
    int placement; /* enum sl_placement */
    char *model;   /* model of jobs that name none (traces) */
    char *trace;   /* job trace (suanli/jobs.h), or NULL */
    int format;    /* enum sl_job_format */
    int lenient;
    double time_scale;           /* trace submit times multiplied by this */
    int64_t checkpoint_us;       /* 0: Young/Daly per job (SL_CKPT_AUTO) */
    int64_t checkpoint_write_us; /* SL_CKPT_WRITE_AUTO: per job from the keys below */
    double checkpoint_bw;        /* bytes/s of storage a job's server writes at */
    int64_t checkpoint_latency_us;
    double checkpoint_bytes_per_param; /* bytes of checkpointed state per parameter */
    int64_t seq;
    double global_batch_tokens;
    int precision;       /* enum sl_precision: FP16 (BF16) or FP8 */
    struct sl_list jobs; /* struct sl_job_cfg[] */
    struct sl_jobmix_cfg generate;
    /* Riding through failures (issue #11, docs/model.md "Training through
     * failures"): detection of an interruption, automated restart, and
     * healthy servers held back as hot spares per partition. */
    int64_t detect_us;
    int64_t restart_us;
    int64_t spare_servers;
};

/* The `workload` section: one section per load source. */
struct sl_workload_cfg {
    struct sl_synthetic_cfg synthetic;
    struct sl_list inference; /* struct sl_service_cfg[] */
    struct sl_training_cfg training;
};

/* One training job as resolved by the loader, whatever its source (the
 * jobs list, a trace, the generator), sorted by submit time (stable).
 * Borrowed strings (owned by the scenario).  Invariants: submit_us >= 0;
 * cards >= 1 and no more than the training cards of its pool; exactly one
 * of duration_us > 0 and tokens > 0; model set; pool indexes sc->pools
 * and that pool takes training; tp, pp, dp 0 (chosen) or a layout that
 * divides cards. */
struct sl_job_spec {
    const char *name;
    const char *tenant;
    const struct sl_llm_model *model;
    int64_t submit_us;
    int64_t cards;
    int64_t duration_us; /* 0 when by tokens */
    double tokens;       /* 0 when by duration */
    int64_t priority;
    int64_t tp, pp, dp;
    int64_t checkpoint_us;       /* SL_CKPT_AUTO: Young/Daly from the job's MTTI */
    int64_t checkpoint_write_us; /* >= 0 (`auto` resolved by the loader) */
    size_t pool;
    double share;     /* of each card, 0..1 (Alibaba gpu_milli / 1000; else 1) */
    const char *file; /* where it was given, for messages; NULL: generated */
    int line;
};

/* What a service resolves to when loaded: the model, its performance spec
 * on the fleet's device (efficiency from the profile, else the device's
 * defaults), its trace and token laws.  Owned by the scenario (trace,
 * profile). */
struct sl_service_res {
    const struct sl_service_cfg *cfg;
    const struct sl_llm_model *model;
    struct sl_perf_spec perf;
    struct sl_trace *trace; /* NULL when generated */
    struct sl_tokdist prompt, output;
    int has_prompt, has_output; /* laws given (else the trace's rows) */
    size_t pool;                /* index into sc->pools; that pool takes inference */
    int64_t first_card;         /* its cards: [first_card, + replicas * tp), inside the pool */
};

/* Policies of the power manager (`power.policy`).  The order is the
 * schema's names; later policies (priority, polca) append. */
enum sl_power_policy {
    SL_POWER_NONE = 0,  /* account only: telemetry and the breaker rule, no limit */
    SL_POWER_STATIC,    /* one fixed card limit that fits the worst case */
    SL_POWER_THRESHOLD, /* one card limit for all, moved by lagged telemetry */
    SL_POWER_PRIORITY,  /* limits by tier, lowest first, released in reverse */
    SL_POWER_POLCA      /* two thresholds with set levels (POLCA, arXiv 2308.12908) */
};

/* The `power` section: the power manager that keeps the site within the
 * grid cap (docs/model.md, "Power manager").  Invariants of a loaded
 * scenario: control_interval_us > 0; telemetry_lag_us is a whole multiple
 * of it; actuation_delay_us >= 0; 0 <= margin < 1; tolerance_us >= 0. */
struct sl_power_cfg {
    int policy;                  /* enum sl_power_policy */
    int64_t control_interval_us; /* the manager's telemetry and decision period */
    int64_t telemetry_lag_us;    /* age of the readings it decides on */
    int64_t actuation_delay_us;  /* from a decision to the cards' new limit */
    double margin;               /* share of the cap kept free */
    int64_t tolerance_us;        /* longest excursion over the cap that is no violation */
    /* priority: shares of the cap; trigger below the target, hysteresis */
    double priority_threshold, priority_release;
    double priority_floor; /* lowest limit fraction of any tier */
    /* polca: thresholds (shares of the cap, t1 < t2), hysteresis (share of
     * the cap below t1 and t2) and the limit fractions of the capped tiers */
    double polca_t1, polca_t2, polca_release;
    double polca_training_x, polca_inference_x;
    /* Limits below the site (docs/model.md, "Power limits in a hierarchy,
     * ramps and admission"), appended: rack, row (a feeder: consecutive
     * racks), card limit range; admission control; ramp and swing. */
    struct sl_power_level_cfg {
        double limit_w;       /* rack input limit (0: none) */
        int64_t tolerance_us; /* longest tolerated excursion over it */
        int64_t racks;        /* rows only: racks per row (0: no rows) */
    } rack, row;
    struct sl_power_card_cfg {
        double min_limit; /* lowest card limit, share of the device's TDP */
        double max_limit; /* highest card limit, share of TDP (1: none) */
    } card;
    int admission; /* training starts and inference arrivals ask the manager */
    struct sl_power_ramp_cfg {
        double limit_mw_per_min; /* facility power ramp limit (0: none) */
        int burn;                /* keep a decaying burn load when the load drops */
        double swing_floor;      /* training comm power floor, share of compute (0: none) */
    } ramp;
};

/* The `output` section: optional outputs. */
struct sl_output_cfg {
    int requests; /* requests.csv, one row per request (request fidelity) */
};

/* Power and cap sensitivity of one activity phase (catalog.h); a plain
 * value.  Invariants: activity in [0, 1], alpha in [0, 10]. */
struct sl_phase_param {
    double activity; /* share of the idle-to-TDP range drawn at full activity */
    double alpha;    /* speed exponent under a cap */
};

/* The `phases` section, one entry per phase but idle (which draws idle
 * power by definition); the loader copies it into the scenario's
 * phase_model. */
struct sl_phases_cfg {
    struct sl_phase_param prefill, decode, train_compute, train_comm, mixed;
};

/* Failures in service (issue #11; docs/model.md, "Failures in service").
 * The component classes, in the order of their keys under `failures:`.
 * Each class fails per unit of its kind (enum sl_fault_unit): the card
 * classes per card (the Llama 3 cause mix of a GPU's interruptions), the
 * host classes per server, the fabric classes per switch or link, the
 * rack classes per rack, the facility classes per installed unit of the
 * chain's stage or the cooling plant, software per card. */
enum sl_fault_class {
    SL_FC_GPU = 0, /* faulty GPU */
    SL_FC_HBM,
    SL_FC_SRAM,
    SL_FC_GSP, /* GPU system processor */
    SL_FC_THERMAL,
    SL_FC_SDC, /* silent data corruption (detected) */
    SL_FC_CPU,
    SL_FC_DRAM,
    SL_FC_SSD,
    SL_FC_PSU,
    SL_FC_BOARD, /* chassis and IO board */
    SL_FC_HOST,  /* unplanned host maintenance */
    SL_FC_NIC,
    SL_FC_LEAF,
    SL_FC_SPINE,
    SL_FC_LINK, /* a cable or its optics */
    SL_FC_RACK_POWER,
    SL_FC_RACK_COOLING,
    SL_FC_UPS,
    SL_FC_RECTIFIER,
    SL_FC_SST,
    SL_FC_CHILLER,
    SL_FC_CDU,
    SL_FC_DRY_COOLER,
    SL_FC_SOFTWARE,
    SL_FC_COUNT
};

/* What one unit of a class is. */
enum sl_fault_unit {
    SL_FU_CARD = 0,
    SL_FU_SERVER,
    SL_FU_LEAF,
    SL_FU_SPINE,
    SL_FU_LINK,
    SL_FU_RACK,
    SL_FU_FACILITY
};

/* Spares pools a permanent failure draws on. */
enum sl_spare_pool {
    SL_SP_NONE = -1,
    SL_SP_CARD = 0,
    SL_SP_HOST,
    SL_SP_SWITCH,
    SL_SP_LINK,
    SL_SP_RACK,
    SL_SP_FACILITY,
    SL_SP_COUNT
};

/* One component class (`failures.<class>`).  rate is the expected events
 * per unit-year of a new unit's first year from the infant-mortality and
 * constant components (infant_share of them infant: a decreasing Weibull
 * of shape infant_beta whose cumulative hazard reaches infant_share * rate
 * at one year); wear-out, when wear_beta > 0, adds a Weibull of shape
 * wear_beta and scale wear_scale_y years.  An event is permanent with
 * probability permanent (the part is replaced: from the spares pool in
 * swap_us, else after a lognormal repair of median repair_us and log-sd
 * repair_sigma), else transient (detection plus automated restart).
 * Invariants of a loaded scenario: all >= 0; 0 < infant_beta < 1 when
 * infant_share > 0; wear_beta > 1 and wear_scale_y > 0 when wear-out is
 * on. */
struct sl_fault_class_cfg {
    double rate; /* events per unit-year */
    double infant_share;
    double infant_beta;
    double wear_beta;    /* 0: no wear-out */
    double wear_scale_y; /* years */
    double permanent;    /* share of events that replace the part */
    int64_t detect_us;   /* from the event to its detection */
    int64_t restart_us;  /* automated restart of a transient event */
    int64_t swap_us;     /* replacement from the spares pool */
    int64_t repair_us;   /* median repair without a spare */
    double repair_sigma; /* log-sd of the repair time */
    int64_t units;       /* facility classes: installed units (0: from the chain or plant) */
    int64_t redundant;   /* facility classes: of which beyond the need (with units > 0) */
};

/* `failures.spares`: spare parts per pool; a used part comes back to its
 * pool after its repair. */
struct sl_spares_cfg {
    int64_t count[SL_SP_COUNT];
};

/* The `failures` section.  enabled 0 (the default) leaves every run as it
 * was.  Parts enter service aged `burnin.duration`; at the run's start the
 * fleet has been in service start_age_us more (0: a new center).  links_per_card, leaves_per_card
 * and spines_per_card are resolved by the loader from the fabric (not keys): a job's share of the
 * fabric in sl_faults_job_mtti_h. */
struct sl_failures_cfg {
    int enabled;
    int64_t start_age_us; /* time in service of the fleet's parts at the run's start */
    struct sl_fault_class_cfg cls[SL_FC_COUNT];
    struct sl_spares_cfg spares;
    double links_per_card, leaves_per_card, spines_per_card;
    /* What a multi-server gang is exposed to, resolved from the fabric
     * (fabric_known 0: none built, the shares above alone): its servers'
     * links (server_links_per_card), the uplinks of the leaves it spans
     * (uplinks_per_leaf), the spines of every pod it spans (pod_spines per
     * pod of pod_cards cards, with pod_links spine-to-core links a pod)
     * and the switches whose failure stops the whole site's fabric
     * (site_spines: the spines of a two-tier tree, the cores of three). */
    int fabric_known;
    double server_links_per_card, uplinks_per_leaf, pod_cards, pod_spines, pod_links, site_spines;
    /* Servers in a rack (the first pool's; 0: unknown, a job is in one
     * rack): a rack's power or cooling stops every job on it. */
    double rack_servers;
};

/* The scenario's own catalog entries, owned by the scenario (its schema
 * frees them).  Invariants of a loaded scenario: within each list names are
 * unique and none shadows a built-in entry; every entry passes the checks
 * of its kind (see the struct of each kind). */
struct sl_catalog_cfg {
    struct sl_list devices; /* struct sl_device_model[] */
    struct sl_list cpus;    /* struct sl_cpu_model[] */
    struct sl_list servers; /* struct sl_server_model[] */
    struct sl_list chains;  /* struct sl_chain_spec[] */
    struct sl_list cooling; /* struct sl_cooling_spec[] */
    struct sl_list models;  /* struct sl_llm_model[] */
};

/* The `burnin` section: the full-load burn-in every server passes before
 * it ships (DESIGN.md: 72 h at full load; failures-traces.md section 3).
 * The factory line's burn-in area (src/factory) holds `slots` servers at
 * once, each drawing the server model's power at `load`; the failure model
 * (src/faults) lets a server enter service aged duration_us, truncating
 * the first hours of its infant-mortality hazard.  A server that fails
 * during burn-in is repaired (repair_us) and restarts its burn-in from
 * zero.  fallout is the share of servers that fail a burn-in when the
 * scenario's failure model is off (with it on, the server's hazard over
 * the burn-in decides).  Invariants of a loaded scenario: duration_us >= 0;
 * slots >= 1; load in [0, 1]; fallout in [0, 1); repair_us >= 0. */
struct sl_burnin_cfg {
    int64_t duration_us; /* burn-in length of one server (72 h) */
    int64_t slots;       /* servers the burn-in area holds at once */
    double load;         /* load share of the cards during burn-in (1: full) */
    double fallout;      /* share failing one burn-in without a failure model */
    int64_t repair_us;   /* repair of a server that failed, before it restarts */
};

/* How a factory station's time per server varies: fixed, or drawn with
 * the station's mean and coefficient of variation. */
enum sl_cycle_dist {
    SL_CYCLE_FIXED = 0,
    SL_CYCLE_EXPONENTIAL = 1,
    SL_CYCLE_LOGNORMAL = 2,
    SL_CYCLE_GAMMA = 3
};

/* What a station of the line is: a work station (machines or operators
 * with a cycle time), or the burn-in area (its slots, length and fallout
 * come from the `burnin` section). */
enum sl_station_kind { SL_STATION_WORK = 0, SL_STATION_BURNIN = 1 };

/* One station of the factory line (`factory.stations[]`), in line order;
 * the list owns name.  A server finishing a station moves to the next
 * one's input buffer, or waits on its machine (blocking it) while that
 * buffer is full.  Invariants of a loaded scenario: name unique in the
 * line; a work station has cycle_us > 0 and machines >= 1; cv >= 0
 * (0 with the fixed law); yield in (0, 1]; rework_us, mtbf_us, mttr_us,
 * buffer >= 0 (mtbf_us 0: no breakdowns; buffer 0: unlimited); a burn-in
 * station gives neither cycle nor machines. */
struct sl_station_cfg {
    char *name;
    int kind;          /* enum sl_station_kind */
    int64_t cycle_us;  /* mean time of one server on one machine */
    int dist;          /* enum sl_cycle_dist */
    double cv;         /* coefficient of variation of the cycle time */
    int64_t machines;  /* parallel machines or operator cells (per shift) */
    int staffed;       /* works only in shift hours */
    double yield;      /* first-pass yield; the others are reworked and redone */
    int64_t rework_us; /* rework of a server that failed the station */
    int64_t mtbf_us;   /* mean time between breakdowns of one machine (0: none) */
    int64_t mttr_us;   /* mean repair time of a breakdown */
    int64_t buffer;    /* servers the input buffer holds (0: unlimited) */
    double power_w;    /* per machine while it works */
};

/* The `factory` section: the line that builds the servers (src/factory,
 * `suanli factory`).  The model runs warmup_us, then measures duration_us.
 * Shifts: per_day shifts of length_us from midnight, each losing break_us
 * at its start (handover), on the first `days` days of every week; staffed
 * stations work only then.  An empty stations list is the built-in line
 * (docs/model.md, "Factory line, burn-in area and rollout"), which the
 * loader writes in.  Invariants of a loaded scenario: duration_us >= 1 d
 * and >= burnin.duration_us; per_day x length_us <= 24 h; break_us <
 * length_us; 1 <= days <= 7; stations non-empty, at most one burn-in. */
struct sl_factory_cfg {
    int64_t duration_us;
    int64_t warmup_us;
    struct sl_shifts_cfg {
        int64_t per_day;
        int64_t length_us;
        int64_t break_us;
        int64_t days;
    } shifts;
    struct sl_list stations; /* struct sl_station_cfg[] */
};

/* Where a rollout's servers come from: a fixed ship rate, or the daily
 * output of the scenario's factory model. */
enum sl_rollout_from { SL_ROLLOUT_RATE = 0, SL_ROLLOUT_FACTORY = 1 };

/* The `rollout` section (issue #11): the site receives its servers from
 * the line, burned in, and brings each rack into service when its last
 * server has arrived and a crew has installed it (src/workload/rollout.c).
 * Until then its servers are ABSENT (powered off, no work).  The first
 * `installed` servers are in service from the start (0: an empty hall).
 * Invariants of a loaded scenario: rate > 0; transit_us, install_us >= 0;
 * crews >= 1; 0 <= installed <= the fleet's servers. */
struct sl_rollout_cfg {
    int enabled;
    int from;           /* enum sl_rollout_from */
    double rate;        /* servers shipped a day (from: rate) */
    int64_t transit_us; /* from the factory's dock to the site */
    int64_t install_us; /* one crew installs one rack */
    int64_t crews;      /* racks installed at once */
    int64_t installed;  /* servers in service at the start */
};

/* One resolved scenario: what one run simulates.  The loader
 * (sl_scenario_load) fills it and the set that holds it owns everything
 * inside: the mapped sections and their strings and lists, variant and
 * weather; sl_scenario_set_release frees them.  The resolved pointers
 * (server ... site_info) borrow from the scenario's own catalog or the
 * static built-in tables, so a scenario must not be copied by value and
 * then released twice, nor outlived by what borrows from it.  Invariants
 * of a loaded scenario: server, device, cpu, chain and cooling are set and
 * consistent (the server names the device and CPU; its PSUs carry it on
 * the chain); weather is set; carbon > 0; start_s is run.start. */
struct sl_scenario {
    char *name;
    char *description;
    struct sl_run_cfg run;
    struct sl_site_cfg site;
    struct sl_fleet_cfg fleet;
    struct sl_facility_cfg facility;
    struct sl_workload_cfg workload;
    struct sl_phases_cfg phases;
    struct sl_catalog_cfg catalog;
    struct sl_output_cfg output;
    struct sl_power_cfg power;
    struct sl_failures_cfg failures; /* issue #11, FAULTS */
    struct sl_burnin_cfg burnin;     /* issue #11: the burn-in before service */
    struct sl_factory_cfg factory;
    struct sl_rollout_cfg rollout;

    /* Resolved by the loader, not keys of the file; they point into the
     * built-in catalog or the scenario's own. */
    char *variant; /* NULL when the file has no variants */
    const struct sl_server_model *server;
    const struct sl_device_model *device;
    const struct sl_cpu_model *cpu;
    const struct sl_chain_spec *chain;
    const struct sl_cooling_spec *cooling;
    const struct sl_site_info *site_info; /* NULL for a site that is not built in */
    struct sl_phase_model phase_model;    /* from `phases` */
    double carbon;                        /* resolved kg CO2/kWh */
    struct sl_weather *weather;           /* loaded once by the loader; owned */
    int64_t start_s;                      /* run.start as seconds since 1970 (no zone) */
    struct sl_service_res *services;      /* one per workload.inference entry; owned */
    size_t nservices;
    struct sl_pool_res *pools; /* >= 1; owned */
    size_t npools;
    struct sl_job_spec *jobs; /* workload.training's jobs, by submit time; owned */
    size_t njobs;
    void *jobs_store; /* strings and traces the jobs borrow from; owned */
    /* Trace rows not made into jobs: CPU-only (0 cards), without a run time
     * (never started or still running when the trace ends), malformed
     * (skipped with `lenient`). */
    size_t jobs_skipped_cpu, jobs_skipped_unfinished, jobs_skipped_malformed;
};

/* The scenarios one `suanli run` executes: one, or one per variant, in the
 * order of the file's `variants:` (or the one asked for).  Owns items
 * (n scenarios, n >= 1 after a successful load) and all they hold;
 * has_variants is 1 when the file has `variants:`, and then every item's
 * variant is set and the variant names are unique. */
struct sl_scenario_set {
    struct sl_scenario *items;
    size_t n;
    int has_variants;
};

/* What to load: the caller's, borrowed for the duration of
 * sl_scenario_load only.  sets holds nsets strings (sets may be NULL when
 * nsets is 0). */
struct sl_load_opts {
    const char *path;        /* NULL: the built-in default */
    const char *const *sets; /* "a.b.c=value" overrides */
    size_t nsets;
    const char *seed;    /* --seed text, or NULL */
    const char *variant; /* run only this variant, or NULL */
};

/* One key of a file's `plan.vary` as read by sl_scenario_plan_read: its
 * values as text (scalars as written, lists and mappings in YAML flow
 * style) with their positions in the file.  Owned by the struct
 * sl_plan_cfg that holds it. */
struct sl_plan_vary {
    char *key;
    int key_line, key_col;
    char **values;
    int *line, *col; /* of each value */
    size_t n;        /* >= 1 */
};

/* A scenario file's `plan:` section (docs/plan.md).  present is 0 when the
 * file has none (or there is no file: the built-in default); then every
 * other field is empty.  file, line and col give the section's position.
 * by (NULL: none) is the key the ranking is grouped by; slo the least SLO
 * attainment when has_slo.  nset counts plan.set entries (applied by the
 * loader, see sl_scenario_load_plan).  Everything is owned; release with
 * sl_plan_cfg_release. */
struct sl_plan_cfg {
    int present;
    char *file;
    int line, col;
    struct sl_plan_vary *vary;
    size_t nvary;
    size_t nset;
    char *by;
    int by_line, by_col;
    int has_slo;
    double slo;
};

/* Reads the `plan:` section of the scenario file at path (NULL: the
 * built-in default, which has none) into *out and checks its shape: known
 * keys (did-you-mean), vary a mapping of dotted keys to non-empty lists
 * without repeated values, set a mapping that varies no varied key, by a
 * text, slo a number in [0, 1].  Whether the keys and values load is
 * checked by sl_scenario_load_plan.  Returns SL_OK, SL_ENOENT,
 * SL_EINVAL (file:line:col) or SL_ENOMEM; *out is released on error. */
int sl_scenario_plan_read(const char *path, struct sl_plan_cfg *out, struct sl_diag *d);
void sl_plan_cfg_release(struct sl_plan_cfg *p);

/* Loads, overrides, expands and validates.  On success the caller releases
 * *out with sl_scenario_set_release.  Returns SL_OK, SL_EINVAL or SL_ENOENT
 * (bad input, diagnostic filled) or SL_ENOMEM/SL_EIO. */
int sl_scenario_load(const struct sl_load_opts *opts, struct sl_scenario_set *out,
                     struct sl_diag *d);
/* The same for `suanli plan`: applies the file's `plan:` section after
 * each variant's `set:` and before the command line: plan.set, then for
 * each plan.vary key i < npick (file order) its value pick[i], or none
 * when pick[i] is SIZE_MAX.  sl_scenario_load ignores the section. */
int sl_scenario_load_plan(const struct sl_load_opts *opts, const size_t *pick, size_t npick,
                          struct sl_scenario_set *out, struct sl_diag *d);
void sl_scenario_set_release(struct sl_scenario_set *set);

/* Writes one resolved scenario as YAML that loads back to the same values. */
void sl_scenario_emit(const struct sl_scenario *sc, FILE *out);
/* Writes the markdown key reference. */
void sl_scenario_doc(FILE *out);
/* The built-in default scenario text (scenarios/default.yaml). */
const char *sl_scenario_default_text(size_t *len);

/* Catalog lookups by name: the scenario's own entries first, then the
 * built-in ones (devices, CPUs and servers of catalog.h, the chain and
 * cooling presets).  sc may be NULL to look in the built-in catalog alone;
 * this is the one lookup, for callers with and without a scenario.  The
 * result is borrowed from sc or from static data; NULL if unknown.
 * O(entries). */
const struct sl_server_model *sl_scenario_find_server(const struct sl_scenario *sc,
                                                      const char *name);
const struct sl_device_model *sl_scenario_find_device(const struct sl_scenario *sc,
                                                      const char *name);
const struct sl_cpu_model *sl_scenario_find_cpu(const struct sl_scenario *sc, const char *name);
const struct sl_chain_spec *sl_scenario_find_chain(const struct sl_scenario *sc, const char *name);
const struct sl_cooling_spec *sl_scenario_find_cooling(const struct sl_scenario *sc,
                                                       const char *name);
const struct sl_llm_model *sl_scenario_find_model(const struct sl_scenario *sc, const char *name);

/* Reads a `--model-file`: YAML with a `models:` list of the same keys as
 * `catalog.models`.  The entries go to *out (struct sl_llm_model[], owned;
 * free with sl_model_file_release).  SL_OK, SL_ENOENT, SL_EINVAL
 * (file:line:col) or SL_ENOMEM. */
int sl_model_file_load(const char *path, struct sl_list *out, struct sl_diag *d);
void sl_model_file_release(struct sl_list *models);

#endif
