/*
 * The hardware catalog: accelerators, host CPUs and servers.
 *
 * Entries are data (built-in tables in src/fleet/catalog.c, extendable from a
 * scenario's `catalog:` section), each with a confidence mark and a source;
 * docs/model.md cites every number.  Device power is board input power, as
 * telemetry and TDP figures are quoted: the chain's board stages (voltage
 * regulators) say how much of it reaches the silicon.
 *
 * Device power by phase: P = P_idle + (P_tdp - P_idle) * a_phase * activity,
 * limited by an optional cap.  Speed under a cap, relative to uncapped:
 *     s = ((cap - P_idle) / (P - P_idle)) ^ alpha_phase   when cap < P,
 * alpha = 1 for compute-bound phases (prefill, training compute: speed
 * roughly proportional to the cap) and small for memory- or link-bound ones
 * (decode, communication: nearly flat above the knee), after
 * reference/power-cooling.md §4.
 */
#ifndef SUANLI_CATALOG_H
#define SUANLI_CATALOG_H

#include <stddef.h>
#include <stdint.h>

enum sl_confidence { SL_CONF_HIGH = 0, SL_CONF_MEDIUM, SL_CONF_LOW };

enum sl_phase {
    SL_PHASE_IDLE = 0,
    SL_PHASE_PREFILL,
    SL_PHASE_DECODE,
    SL_PHASE_TRAIN_COMPUTE,
    SL_PHASE_TRAIN_COMM,
    SL_PHASE_MIXED, /* a blend measured by utilisation alone (the synthetic load) */
    SL_PHASE_COUNT
};

/* An accelerator card model: one row of the catalog.  A built-in row is
 * static and read-only (src/fleet/catalog.c); a scenario's own row is
 * owned by the scenario (its schema frees the strings).  Either way the
 * fleet and the models only borrow it.  Invariants: name is a unique
 * catalog name (an own entry never shadows a built-in one); description,
 * link and source may be NULL in an own entry; 0 <= idle_w < tdp_w; the
 * peaks, memory and bandwidths are > 0. */
struct sl_device_model {
    char *name;
    char *description;
    double fp16_flops; /* dense FP16/BF16 peak */
    double int8_ops;   /* dense INT8/FP8 peak */
    double memory_bytes;
    double memory_bw; /* bytes/s */
    double tdp_w;
    double idle_w;
    char *link;     /* card-to-card link */
    double link_bw; /* bytes/s per card */
    int confidence; /* enum sl_confidence */
    char *source;
};

/* A host CPU model, owned and borrowed like struct sl_device_model.
 * Invariants: name unique among CPUs; cores >= 1; 0 <= idle_w < tdp_w
 * (per socket). */
struct sl_cpu_model {
    char *name;
    char *description;
    int64_t cores;
    double tdp_w;
    double idle_w;
    int confidence;
    char *source;
};

/* A server model: cards, host CPUs and the rest of the box, and the PSUs
 * that feed it; owned and borrowed like struct sl_device_model.  device and
 * cpu are catalog names that a loaded scenario has checked to exist, so
 * sl_scenario_find_device and _cpu never fail for them.  Invariants:
 * cards >= 1, cpus >= 0, psus >= 1 and 0 <= psus_spare < psus (the spares
 * carry no design load); psu_rating_w > 0; every power >= 0 (an idle
 * figure is not checked against its maximum); psu_grade indexes
 * sl_psu_grade_names. */
struct sl_server_model {
    char *name;
    char *description;
    int64_t height_u;
    char *device; /* catalog name */
    int64_t cards;
    char *cpu; /* catalog name */
    int64_t cpus;
    double memory_w, memory_idle_w;
    double nic_w, nic_idle_w; /* NICs and local storage */
    double other_w;           /* BMC, board, misc: constant */
    double fan_w, fan_idle_w; /* at full air-cooled heat; at the floor */
    int64_t psus;             /* installed PSUs, all sharing the load */
    int64_t psus_spare;       /* of which redundant: 2 of 4 for "2+2" */
    double psu_rating_w;
    int psu_grade; /* enum sl_psu_grade (suanli/chain.h) */
    int confidence;
    char *source;
};

/* Phase activity a_phase and cap sensitivity alpha_phase (defaults in
 * docs/model.md, "Device power"), indexed by enum sl_phase.  A plain value
 * (a scenario holds its own, built from its `phases` keys).  Invariants:
 * activity in [0, 1] and alpha >= 0; both 0 for SL_PHASE_IDLE, which
 * draws idle power and has nothing to slow down. */
struct sl_phase_model {
    double activity[SL_PHASE_COUNT];
    double alpha[SL_PHASE_COUNT];
};

extern const char *const sl_phase_names[];      /* "idle", "prefill", ... NULL */
extern const char *const sl_confidence_names[]; /* "high", "medium", "low", NULL */

/* Built-in tables. */
size_t sl_catalog_device_count(void);
const struct sl_device_model *sl_catalog_device(size_t i);
size_t sl_catalog_cpu_count(void);
const struct sl_cpu_model *sl_catalog_cpu(size_t i);
size_t sl_catalog_server_count(void);
const struct sl_server_model *sl_catalog_server(size_t i);
const struct sl_phase_model *sl_default_phase_model(void);

/* Device board power in a phase at activity 0..1, limited by cap_w (0 = no
 * cap; a cap below idle leaves idle). */
double sl_device_power_w(const struct sl_device_model *d, const struct sl_phase_model *pm,
                         int phase, double activity, double cap_w);
/* Relative speed (0..1] in a phase at activity under cap_w (0 = no cap). */
double sl_device_speed(const struct sl_device_model *d, const struct sl_phase_model *pm, int phase,
                       double activity, double cap_w);

struct sl_chain_spec;
struct sl_diag;

/* Input power of one server of model m on chain (air cooled) at full load
 * (every card at TDP, hosts busy) and at idle, into *full_w and *idle_w
 * (either may be NULL).  Returns SL_OK, or SL_EINVAL when its PSUs cannot
 * carry it or the chain has too many server stages (d filled). */
int sl_server_model_power(const struct sl_server_model *m, const struct sl_device_model *dev,
                          const struct sl_cpu_model *cpu, const struct sl_chain_spec *chain,
                          double *full_w, double *idle_w, struct sl_diag *d);

#endif
