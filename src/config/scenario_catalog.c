/*
 * The scenario's catalog registry: finding devices, CPUs, servers, power
 * chains and cooling plants by name.
 *
 * A name is looked up first among the scenario's own `catalog:` entries,
 * then among the built-in tables (src/fleet/catalog.c, the chain and
 * cooling presets).  The five kinds are described once in `kinds` (label,
 * key path, where the own list sits in struct sl_scenario, how to reach the
 * built-in table), so lookups, duplicate-name checks and "did you mean"
 * suggestions behave the same for all of them.  Every catalog struct starts
 * with its `char *name`, which is what lets one function serve all kinds.
 *
 * Invariant kept by sl__scenario_check_own_names: after a successful load
 * an own entry's name is unique among its kind and shadows no built-in
 * entry, so the lookup order never changes what a name means.  Lookups are
 * linear scans (catalogs hold tens of entries and are consulted while
 * loading, not while running).
 */
#include "config/scenario_int.h"
#include "suanli/alloc.h"
#include "suanli/suggest.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* One catalog kind.  count and get reach the built-in table; list_offset
 * is where the scenario's own struct sl_list of elem_size entries sits. */
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
static const void *get_model(size_t i)
{
    return sl_llm_model_get(i);
}

#define CAT(m) (offsetof(struct sl_scenario, catalog) + offsetof(struct sl_catalog_cfg, m))
static const struct kind kinds[SL__KIND_COUNT] = {
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
    {"model", "catalog.models", CAT(models), sizeof(struct sl_llm_model), sl_llm_model_count,
     get_model},
};

static const struct sl_list *own_list(const struct sl_scenario *sc, const struct kind *k)
{
    return (const struct sl_list *)(const void *)((const char *)sc + k->list_offset);
}

static const char *entry_name(const void *entry)
{
    return *(char *const *)entry;
}

const void *sl__scenario_find_entry(const struct sl_scenario *sc, int kind, const char *name)
{
    const struct kind *k = &kinds[kind];
    const struct sl_list *l = sc ? own_list(sc, k) : NULL;
    for (size_t i = 0; l && i < l->n; i++) {
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
    return sl__scenario_find_entry(sc, SL__KIND_SERVER, name);
}

const struct sl_device_model *sl_scenario_find_device(const struct sl_scenario *sc,
                                                      const char *name)
{
    return sl__scenario_find_entry(sc, SL__KIND_DEVICE, name);
}

const struct sl_cpu_model *sl_scenario_find_cpu(const struct sl_scenario *sc, const char *name)
{
    return sl__scenario_find_entry(sc, SL__KIND_CPU, name);
}

const struct sl_chain_spec *sl_scenario_find_chain(const struct sl_scenario *sc, const char *name)
{
    return sl__scenario_find_entry(sc, SL__KIND_CHAIN, name);
}

const struct sl_cooling_spec *sl_scenario_find_cooling(const struct sl_scenario *sc,
                                                       const char *name)
{
    return sl__scenario_find_entry(sc, SL__KIND_COOLING, name);
}

const struct sl_llm_model *sl_scenario_find_model(const struct sl_scenario *sc, const char *name)
{
    return sl__scenario_find_entry(sc, SL__KIND_MODEL, name);
}

/* Reports an unknown catalog name at the key that names it, suggesting the
 * nearest known name the way unknown keys and values are (src/core/suggest.c:
 * within the usual threshold, else a shared prefix such as "dc-800" for
 * "dc-800-sst"), own entries first as in the lookup.  Without memory for
 * the candidates the message goes without a suggestion. */
int sl__scenario_unknown_entry(const struct sl_scenario *sc, int kind, const char *name,
                               const struct sl_ynode *root, const char *key_path, struct sl_diag *d)
{
    const struct kind *k = &kinds[kind];
    const struct sl_list *l = own_list(sc, k);
    size_t n = l->n + k->count();
    const char **cands = sl_reallocarray(NULL, n, sizeof *cands);
    const char *best = NULL;
    if (cands) {
        for (size_t i = 0; i < n; i++)
            cands[i] = i < l->n ? entry_name((const char *)l->items + i * k->elem_size)
                                : entry_name(k->get(i - l->n));
        best = sl_suggest_nearest(name, cands, n, sl_suggest_threshold(name), SL_SUGGEST_PREFIX);
    }
    char msg[512];
    if (best)
        snprintf(msg, sizeof msg, "unknown %s '%s' (did you mean '%s'?)", k->label, name, best);
    else
        snprintf(msg, sizeof msg, "unknown %s '%s'; `suanli catalog` lists the built-in ones",
                 k->label, name);
    sl_free(cands);
    return sl__scenario_path_error(root, key_path, d, msg);
}

/* Own entries of one kind must have unique names that do not shadow
 * built-in ones. */
static int check_kind_names(const struct sl_scenario *sc, int kind, const struct sl_ynode *root,
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
                return sl__scenario_path_error(root, path, d, msg);
            }
        for (size_t j = 0; j < k->count(); j++)
            if (strcmp(name, entry_name(k->get(j))) == 0) {
                snprintf(msg, sizeof msg, "%s '%s' is already built in; give yours another name",
                         k->label, name);
                return sl__scenario_path_error(root, path, d, msg);
            }
    }
    return SL_OK;
}

int sl__scenario_check_own_names(const struct sl_scenario *sc, const struct sl_ynode *root,
                                 struct sl_diag *d)
{
    for (int kind = 0; kind < SL__KIND_COUNT; kind++)
        if (check_kind_names(sc, kind, root, d) != SL_OK)
            return SL_EINVAL;
    return SL_OK;
}
