/*
 * Scenarios: what a run simulates.
 *
 * A scenario file is YAML with units in values; sl_scenario_load parses it
 * (or the built-in default), applies command-line overrides, expands
 * `variants:` into one resolved scenario per variant, and validates all of
 * them before anything runs, so bad input never leaves partial output.  The
 * key reference is docs/scenario.md (generated from the same schema tables
 * that drive validation, see src/config/scenario.c).
 *
 * All quantities are in base units: W, J, s (times as int64 microseconds),
 * fractions for percentages.
 */
#ifndef SUANLI_SCENARIO_H
#define SUANLI_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "suanli/diag.h"
#include "suanli/list.h"

/* A server model from the catalog: the 4U 8-card box and its power envelope.
 * Power is linear in utilisation between idle and max (see docs/model.md). */
struct sl_server_model {
    char *name;
    char *description;
    int64_t cards;
    int64_t height_u;
    double power_max_w;  /* at full load, at the server's input */
    double power_idle_w; /* powered on, no work */
    char *source;        /* where the numbers come from */
};

enum sl_shape { SL_SHAPE_CONSTANT = 0, SL_SHAPE_DIURNAL = 1 };

/* The synthetic load source: fleet utilisation follows a shape; each server
 * redraws its own level around it at random times. */
struct sl_synthetic_cfg {
    int shape; /* enum sl_shape */
    double mean;
    double amplitude;
    int64_t period_us;
    int64_t peak_time_us; /* time of day of the diurnal peak */
    double noise;         /* standard deviation of a server's level */
    int64_t change_interval_us;
};

struct sl_run_cfg {
    int64_t duration_us;
    int64_t sample_us;
    int64_t seed;
    char *start; /* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]", local time */
};

struct sl_site_cfg {
    char *name;
};

struct sl_fleet_cfg {
    int64_t servers;
    int64_t servers_per_rack;
    char *server; /* catalog name */
};

struct sl_workload_cfg {
    struct sl_synthetic_cfg synthetic;
};

struct sl_catalog_cfg {
    struct sl_list servers; /* struct sl_server_model[] */
};

struct sl_scenario {
    char *name;
    char *description;
    struct sl_run_cfg run;
    struct sl_site_cfg site;
    struct sl_fleet_cfg fleet;
    struct sl_workload_cfg workload;
    struct sl_catalog_cfg catalog;

    /* Resolved by the loader, not keys of the file. */
    char *variant;                        /* NULL when the file has no variants */
    const struct sl_server_model *server; /* points into the catalog */
    int64_t start_s;                      /* run.start as seconds since 1970 (no zone) */
};

/* The scenarios one `suanli run` executes: one, or one per variant. */
struct sl_scenario_set {
    struct sl_scenario *items;
    size_t n;
    int has_variants;
};

struct sl_load_opts {
    const char *path;        /* NULL: the built-in default */
    const char *const *sets; /* "a.b.c=value" overrides */
    size_t nsets;
    const char *seed;    /* --seed text, or NULL */
    const char *variant; /* run only this variant, or NULL */
};

/* Loads, overrides, expands and validates.  On success the caller releases
 * *out with sl_scenario_set_release.  Returns SL_OK, SL_EINVAL or SL_ENOENT
 * (bad input, diagnostic filled) or SL_ENOMEM/SL_EIO. */
int sl_scenario_load(const struct sl_load_opts *opts, struct sl_scenario_set *out,
                     struct sl_diag *d);
void sl_scenario_set_release(struct sl_scenario_set *set);

/* Writes one resolved scenario as YAML that loads back to the same values. */
void sl_scenario_emit(const struct sl_scenario *sc, FILE *out);
/* Writes the markdown key reference. */
void sl_scenario_doc(FILE *out);
/* The built-in default scenario text (scenarios/default.yaml). */
const char *sl_scenario_default_text(size_t *len);

/* Built-in server catalog. */
size_t sl_catalog_server_count(void);
const struct sl_server_model *sl_catalog_server(size_t i);
/* Looks a server up by name: the scenario's own catalog first, then the
 * built-in one.  Returns NULL if unknown. */
const struct sl_server_model *sl_scenario_find_server(const struct sl_scenario *sc,
                                                      const char *name);

#endif
