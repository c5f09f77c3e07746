/*
 * Resolving `fleet`: the pools of servers the fleet is made of.
 *
 * A fleet is either the shorthand of one pool (`fleet.server`, `servers`,
 * `servers_per_rack`), resolved as one pool named "main" that takes both
 * inference and training, or the list `fleet.pools`, each pool with its own
 * server model, count and rack density.  The two forms exclude each other:
 * a shorthand key written next to `fleet.pools` is an error at that key,
 * since one of them would be silently ignored.
 *
 * Numbering.  Servers are numbered pool after pool in list order, and so
 * are cards and racks; a rack holds servers of one pool only (a pool's last
 * rack may be partly filled), so each pool's first_server, first_card and
 * first_rack are the sums over the pools before it.  The fleet
 * (src/fleet/fleet.h) keeps exactly this numbering.
 *
 * With pools the loader writes the shorthand back as a summary, so code
 * that reads one-model fleets keeps working: fleet.servers is the total
 * over the pools, fleet.server and servers_per_rack are the first pool's,
 * and sc->server, device and cpu are the first pool's models.  The
 * resolved scenario (`suanli check`) then leaves the shorthand out, so it
 * loads back to the same pools.
 */
#include "config/scenario_int.h"

#include "fleet/server.h"
#include "suanli/alloc.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The schema's bound on fleet.servers, kept for the total over pools: the
 * fleet's state is a few hundred bytes per server. */
#define MAX_TOTAL_SERVERS 10000000

static const char *const shorthand_keys[] = {"fleet.server", "fleet.servers",
                                             "fleet.servers_per_rack"};

/* "fleet.pools.<i>.<key>" */
static const char *pool_path(char *buf, size_t size, size_t i, const char *key)
{
    snprintf(buf, size, "fleet.pools.%zu.%s", i, key);
    return buf;
}

static void number(struct sl_pool_res *p, const struct sl_pool_res *before)
{
    p->cards = p->servers * p->server->cards;
    p->racks = (p->servers + p->servers_per_rack - 1) / p->servers_per_rack;
    if (before) {
        p->first_server = before->first_server + before->servers;
        p->first_card = before->first_card + before->cards;
        p->first_rack = before->first_rack + before->racks;
    }
}

/* The shorthand as the one pool "main". */
static int shorthand_pool(struct sl_scenario *sc, const struct sl_ynode *root, struct sl_diag *d)
{
    if (!(sc->server = sl_scenario_find_server(sc, sc->fleet.server)))
        return sl__scenario_unknown_entry(sc, SL__KIND_SERVER, sc->fleet.server, root,
                                          "fleet.server", d);
    /* Built-in servers name built-in parts; own servers were checked before. */
    sc->device = sl_scenario_find_device(sc, sc->server->device);
    sc->cpu = sl_scenario_find_cpu(sc, sc->server->cpu);
    if (!(sc->pools = sl_calloc(1, sizeof *sc->pools)))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    struct sl_pool_res *p = &sc->pools[0];
    p->name = "main";
    p->server = sc->server;
    p->device = sc->device;
    p->cpu = sc->cpu;
    p->servers = sc->fleet.servers;
    p->servers_per_rack = sc->fleet.servers_per_rack;
    p->use = SL_POOL_BOTH;
    number(p, NULL);
    sc->npools = 1;
    return SL_OK;
}

int sl__scenario_resolve_pools(struct sl_scenario *sc, const struct sl_ynode *root,
                               struct sl_diag *d)
{
    char key[160], msg[512];
    const struct sl_list *list = &sc->fleet.pools;
    if (list->n == 0)
        return shorthand_pool(sc, root, d);
    for (size_t k = 0; k < sizeof shorthand_keys / sizeof shorthand_keys[0]; k++)
        if (sl_ytree_lookup(root, shorthand_keys[k])) {
            snprintf(msg, sizeof msg,
                     "'%s' cannot be given with 'fleet.pools': give each pool's server, "
                     "servers and servers_per_rack in its entry, or drop 'fleet.pools'",
                     shorthand_keys[k]);
            return sl__scenario_path_error(root, shorthand_keys[k], d, msg);
        }
    if (list->n > SL_MAX_POOLS) {
        snprintf(msg, sizeof msg, "%zu pools, more than the limit of %d", list->n, SL_MAX_POOLS);
        return sl__scenario_path_error(root, "fleet.pools", d, msg);
    }
    const struct sl_pool_cfg *cfg = list->items;
    for (size_t i = 0; i < list->n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg[i].name, cfg[j].name) == 0) {
                snprintf(msg, sizeof msg, "pool '%s' is defined twice (also entry %zu)",
                         cfg[i].name, j);
                return sl__scenario_path_error(root, pool_path(key, sizeof key, i, "name"), d, msg);
            }
    if (!(sc->pools = sl_calloc(list->n, sizeof *sc->pools)))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    sc->npools = list->n;
    int64_t total = 0;
    for (size_t i = 0; i < list->n; i++) {
        struct sl_pool_res *p = &sc->pools[i];
        p->name = cfg[i].name;
        if (!(p->server = sl_scenario_find_server(sc, cfg[i].server)))
            return sl__scenario_unknown_entry(sc, SL__KIND_SERVER, cfg[i].server, root,
                                              pool_path(key, sizeof key, i, "server"), d);
        p->device = sl_scenario_find_device(sc, p->server->device);
        p->cpu = sl_scenario_find_cpu(sc, p->server->cpu);
        p->servers = cfg[i].servers;
        p->servers_per_rack = cfg[i].servers_per_rack;
        p->use = cfg[i].use;
        number(p, i ? &sc->pools[i - 1] : NULL);
        total += p->servers;
        if (total > MAX_TOTAL_SERVERS) {
            snprintf(msg, sizeof msg,
                     "the pools up to '%s' hold %lld servers, more than the limit of %d", p->name,
                     (long long)total, MAX_TOTAL_SERVERS);
            return sl__scenario_path_error(root, pool_path(key, sizeof key, i, "servers"), d, msg);
        }
    }
    /* The shorthand as a summary of the pools (see the file comment). */
    char *first = sl_strdup(cfg[0].server);
    if (!first)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    sl_free(sc->fleet.server);
    sc->fleet.server = first;
    sc->fleet.servers = total;
    sc->fleet.servers_per_rack = cfg[0].servers_per_rack;
    sc->server = sc->pools[0].server;
    sc->device = sc->pools[0].device;
    sc->cpu = sc->pools[0].cpu;
    return SL_OK;
}

int sl__scenario_check_pool_servers(const struct sl_scenario *sc, const struct sl_ynode *root,
                                    struct sl_diag *d)
{
    char key[160];
    for (size_t i = 0; i < sc->npools; i++) {
        const struct sl_pool_res *p = &sc->pools[i];
        struct sl_server_calc calc;
        struct sl_diag cd;
        sl_diag_clear(&cd);
        if (sl_server_calc_init(&calc, p->server, p->device, p->cpu, sc->chain,
                                sc->cooling->liquid_share,
                                sc->cooling->kind == SL_COOLING_IMMERSION, &cd) != SL_OK)
            return sl__scenario_path_error(
                root, sc->fleet.pools.n ? pool_path(key, sizeof key, i, "server") : "fleet.server",
                d, cd.msg);
    }
    return SL_OK;
}

/* Room for the copies of the top-level and fleet tables that leave out the
 * shorthand; both are far smaller. */
#define MAX_EMIT_FIELDS 64

void sl__scenario_emit_fields(const struct sl_scenario *sc, FILE *out)
{
    const struct sl_schema *top = &sl__scenario_schema;
    if (sc->fleet.pools.n == 0 || top->nfields > MAX_EMIT_FIELDS) {
        sl_schema_emit(top, sc, out, 0);
        return;
    }
    struct sl_field top_f[MAX_EMIT_FIELDS], fleet_f[MAX_EMIT_FIELDS];
    struct sl_schema fleet_s, top_s = *top;
    memcpy(top_f, top->fields, top->nfields * sizeof *top_f);
    top_s.fields = top_f;
    for (size_t i = 0; i < top->nfields; i++) {
        const struct sl_schema *sub = top_f[i].sub;
        if (strcmp(top_f[i].key, "fleet") != 0 || !sub || sub->nfields > MAX_EMIT_FIELDS)
            continue;
        fleet_s = *sub;
        fleet_s.nfields = 0;
        for (size_t k = 0; k < sub->nfields; k++) {
            const char *name = sub->fields[k].key;
            if (strcmp(name, "server") && strcmp(name, "servers") &&
                strcmp(name, "servers_per_rack"))
                fleet_f[fleet_s.nfields++] = sub->fields[k];
        }
        fleet_s.fields = fleet_f;
        top_f[i].sub = &fleet_s;
    }
    sl_schema_emit(&top_s, sc, out, 0);
}
