/*
 * What the scenario loader's files share; private to src/config/.
 *
 * The loader is four files, each with one job:
 *   scenario_schema.c    the key tables (sl__scenario_schema, sl__variant_schema);
 *   scenario_catalog.c   catalog names: own entries, then built-in ones, and
 *                        the "unknown ... (did you mean ...)" diagnostics;
 *   scenario_variants.c  command-line overrides and `variants:` sets, merged
 *                        into the YAML tree before mapping;
 *   scenario.c           sl_scenario_load: parse, override, map, resolve
 *                        (names, file paths, weather, cross-key rules),
 *                        plus emit and doc.
 * Functions here follow the library's conventions: they return SL_OK or a
 * negative SL_E* code and fill the diagnostic with the position of the key
 * at fault.
 */
#ifndef SUANLI_CONFIG_SCENARIO_INT_H
#define SUANLI_CONFIG_SCENARIO_INT_H

#include "config/schema.h"
#include "config/ytree.h"
#include "suanli/scenario.h"

/* The whole scenario file, and one entry of its `variants:` list. */
extern const struct sl_schema sl__scenario_schema;
extern const struct sl_schema sl__variant_schema;
/* One LLM model entry (`catalog.models[]`, a `--model-file`'s `models[]`). */
extern const struct sl_schema *const sl__model_schema;

/* One `variants:` entry as mapped by sl__variant_schema; its `set:` stays in
 * the tree (it is applied there, not mapped).  Both strings are owned and
 * released with sl_schema_release; name is always set after a successful
 * map, description may be NULL. */
struct sl__variant_cfg {
    char *name;
    char *description;
};

/* Catalog kinds, indexes into the table of scenario_catalog.c. */
enum sl__catalog_kind {
    SL__KIND_DEVICE,
    SL__KIND_CPU,
    SL__KIND_SERVER,
    SL__KIND_CHAIN,
    SL__KIND_COOLING,
    SL__KIND_MODEL,
    SL__KIND_COUNT
};

/* The entry of a kind called name: sc's own entries first (sc may be NULL:
 * built-in only), then the built-in table.  NULL if unknown.  The result is
 * borrowed from sc or from static data.  O(entries). */
const void *sl__scenario_find_entry(const struct sl_scenario *sc, int kind, const char *name);

/* Reports an unknown name of a kind at the node of key_path in root (or
 * without a position when the key is absent), suggesting the nearest known
 * name.  Returns SL_EINVAL. */
int sl__scenario_unknown_entry(const struct sl_scenario *sc, int kind, const char *name,
                               const struct sl_ynode *root, const char *key_path,
                               struct sl_diag *d);

/* Checks that sc's own catalog entries have unique names per kind and
 * shadow no built-in one.  Returns SL_OK or SL_EINVAL. */
int sl__scenario_check_own_names(const struct sl_scenario *sc, const struct sl_ynode *root,
                                 struct sl_diag *d);

/* Checks that fleet.fabric can be built for the fleet's servers (after the
 * pools are resolved); the objection is reported at fleet.fabric, or at
 * the fleet's size when the fabric keys are defaults.  Returns SL_OK,
 * SL_EINVAL or SL_ENOMEM (scenario_fabric.c). */
int sl__scenario_check_fabric(const struct sl_scenario *sc, const struct sl_ynode *root,
                              struct sl_diag *d);

/* Checks the power section's limits below the site against each other
 * and against the fleet's idle power (after the pools are resolved).
 * Returns SL_OK or SL_EINVAL (scenario_power.c). */
int sl__scenario_check_power(const struct sl_scenario *sc, const struct sl_ynode *root,
                             struct sl_diag *d);

/* Writes the built-in line into an empty factory.stations and checks the
 * factory's and the burn-in's cross-key rules.  Returns SL_OK, SL_EINVAL
 * or SL_ENOMEM (scenario_factory.c). */
int sl__scenario_resolve_factory(struct sl_scenario *sc, const struct sl_ynode *root,
                                 struct sl_diag *d);

/* Checks the failures section beyond its schema (wear-out shape and scale,
 * facility redundancy) and resolves its fabric ratios (after the pools).
 * Returns SL_OK, SL_EINVAL or SL_ENOMEM (scenario_failures.c). */
int sl__scenario_check_failures(struct sl_scenario *sc, const struct sl_ynode *root,
                                struct sl_diag *d);

/* Reports msg at the node of a dotted key path in root, or without a
 * position when the key is absent (a default).  Returns SL_EINVAL. */
int sl__scenario_path_error(const struct sl_ynode *root, const char *path, struct sl_diag *d,
                            const char *msg);

/* A command-line override, parsed once and applied to every variant's
 * tree.  path (owned) is the dotted key; value (owned) the parsed YAML with
 * every line and column 0; src the override's origin in the loader's
 * struct sl_ysources, which outlives it.  All NULL after release. */
struct sl__override {
    char *path;
    struct sl_ynode *value;
    const struct sl_ysource *src;
};

/* Parses "a.b.c=value" (arg) into *o; origin ("--set '...'") names it in
 * diagnostics and becomes its source in srcs.  Returns SL_OK, SL_EUSAGE
 * (no '=', no value, a `variants` key), SL_EINVAL (bad YAML) or
 * SL_ENOMEM; release *o with sl__override_release in every case. */
int sl__override_parse(struct sl_ysources *srcs, const char *origin, const char *arg,
                       struct sl__override *o, struct sl_diag *d);
void sl__override_release(struct sl__override *o);

/* Sets a copy of o's value at o's path in root.  Returns SL_OK, SL_EINVAL
 * (the path runs through a scalar or past a list) or SL_ENOMEM. */
int sl__override_apply(struct sl_ynode *root, const struct sl__override *o, struct sl_diag *d);

/* Applies a variant's `set:` mapping (NULL or null: nothing) to root;
 * vname names the variant in messages.  Returns SL_OK, SL_EINVAL or
 * SL_ENOMEM. */
int sl__variant_apply(struct sl_ynode *root, const struct sl_ynode *set, const char *vname,
                      struct sl_diag *d);

/* Checks the `variants:` node: a non-empty list of entries with valid,
 * distinct names.  Returns SL_OK, SL_EINVAL or SL_ENOMEM. */
int sl__variants_check(const struct sl_ynode *vars, struct sl_diag *d);

/* Checks the shape of a `plan:` node (scenario_plan.c); errors at the part
 * at fault.  Returns SL_OK, SL_EINVAL or SL_ENOMEM. */
int sl__plan_check(const struct sl_ynode *plan, struct sl_diag *d);
/* Applies a `plan:` node to root: its `set:`, then for each `vary:` key
 * i < npick the value pick[i] (none when SIZE_MAX), at the file's
 * positions.  Returns SL_OK, SL_EINVAL, SL_EUSAGE or SL_ENOMEM. */
int sl__plan_apply(struct sl_ynode *root, const struct sl_ynode *plan, const size_t *pick,
                   size_t npick, struct sl_diag *d);

/* Makes *value, a relative file path given at key (a dotted path in root),
 * absolute: against the folder of the scenario file when file_src (that
 * file's source; NULL for the built-in default) gave the key, else against
 * the current directory.  Replaces *value (owned).  Returns SL_OK, SL_EIO
 * (no current directory) or SL_ENOMEM. */
int sl__scenario_resolve_path(char **value, const struct sl_ynode *root, const char *key,
                              const struct sl_ysource *file_src, struct sl_diag *d);

/* Reports a rule between two keys at the one the user wrote (a first when
 * both were).  Returns SL_EINVAL. */
int sl__scenario_pair_error(const struct sl_ynode *root, const char *a, const char *b,
                            struct sl_diag *d, const char *msg);

/* Resolves `fleet` into sc->pools (scenario_pools.c): the shorthand as one
 * pool, or `fleet.pools` (no shorthand key beside it, unique names, known
 * servers, at most SL_MAX_POOLS); numbers servers, cards and racks; sets
 * sc->server, device and cpu to the first pool's and writes the shorthand
 * back as the pools' summary.  Call after the catalog's own entries are
 * checked.  Returns SL_OK or an error at the key at fault. */
int sl__scenario_resolve_pools(struct sl_scenario *sc, const struct sl_ynode *root,
                               struct sl_diag *d);
/* Checks every pool's server on the chain and cooling (its PSUs carry it
 * at full load).  Call after sl__scenario_resolve_pools and after
 * sc->chain and sc->cooling are set. */
int sl__scenario_check_pool_servers(const struct sl_scenario *sc, const struct sl_ynode *root,
                                    struct sl_diag *d);
/* Writes the resolved scenario's keys: the whole schema, but without the
 * shorthand fleet keys when pools are given (they are derived then). */
void sl__scenario_emit_fields(const struct sl_scenario *sc, FILE *out);

/* Resolves and checks `workload.inference` (scenario_services.c): models,
 * tensor parallelism against the server, cards against the fleet, the fit
 * in memory, profiles, traces and token laws; fills sc->services.  Called
 * after the fleet's pools are resolved (each service runs on one).  Returns SL_OK or an
 * error at the key at fault. */
int sl__scenario_resolve_services(struct sl_scenario *sc, const struct sl_ynode *root,
                                  const struct sl_ysource *file_src, struct sl_diag *d);
/* Frees what sl__scenario_resolve_services allocated (safe on a partial
 * result). */
void sl__scenario_release_services(struct sl_scenario *sc);

/* Resolves and checks `workload.training` (scenario_training.c): the jobs
 * list, the job trace and the generated job mix into sc->jobs (sorted by
 * submit time, stably) with their strings in sc->jobs_store; counts the
 * trace rows skipped in sc->jobs_skipped_*.  Called after the pools and
 * services are resolved.  Returns SL_OK or an error at the key at fault,
 * or at the trace's file:line. */
int sl__scenario_resolve_training(struct sl_scenario *sc, const struct sl_ynode *root,
                                  const struct sl_ysource *file_src, struct sl_diag *d);
/* Frees what sl__scenario_resolve_training allocated (safe on a partial
 * result). */
void sl__scenario_release_training(struct sl_scenario *sc);

#endif
