/*
 * The scenario's fabric: `fleet.fabric` to a built struct sl_fabric (see
 * fabric_cfg.h), and the loader's check that the fabric holds the fleet.
 *
 * `auto` is a two-tier fat tree when the radix holds the fleet's leaves,
 * else three tiers; rail keeps its wiring and the library adds the third
 * tier itself.  A rail fabric may have fewer NICs than cards (4 NICs for 8
 * cards: two cards share a rail through the server's PCIe switch) or more;
 * the rails are NIC ports, not cards, so nothing ties the two (documented in
 * docs/model.md, "Fabric").  The check runs at load so a scenario whose
 * radix or topology cannot hold its servers fails with the position of
 * `fleet.fabric` (or of the fleet's size when the fabric is the default)
 * before any run.
 */
#include "config/fabric_cfg.h"
#include "config/scenario_int.h"

#include "suanli/diag.h"

#include <string.h>

void sl_fabric_cfg_spec(const struct sl_fabric_cfg *c, int kind, struct sl_fabric_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->kind = kind;
    spec->nics_per_server = c->nics_per_server;
    spec->nic_bw = c->nic_bw;
    spec->switch_radix = c->switch_radix;
    spec->port_bw = c->port_bw;
    spec->oversubscription = c->oversubscription;
    spec->servers_per_leaf = c->servers_per_leaf;
    spec->switch_w = c->switch_w;
    spec->switch_idle_share = c->switch_idle_share;
    spec->optics_w = c->optics_w;
    spec->server_links_optical = c->server_links_optical;
    spec->nic_latency_us = c->nic_latency_s * 1e6;
    spec->switch_latency_us = c->switch_latency_s * 1e6;
}

size_t sl_fabric_cfg_servers(const struct sl_scenario *sc)
{
    if (!sc->pools || sc->npools == 0)
        return sc->fleet.servers > 0 ? (size_t)sc->fleet.servers : 0;
    size_t n = 0;
    for (size_t i = 0; i < sc->npools; i++)
        n += (size_t)sc->pools[i].servers;
    return n;
}

/* Copies d's message with its "fabric: " prefix made "fleet.fabric: ". */
static int reword(struct sl_diag *d, const struct sl_diag *inner)
{
    const char *m = inner->msg;
    if (strncmp(m, "fabric: ", 8) == 0)
        m += 8;
    return sl_diag_set(d, inner->code, NULL, 0, 0, "fleet.fabric: %s", m);
}

int sl_fabric_cfg_build(const struct sl_fabric_cfg *c, size_t nservers, int grow,
                        struct sl_fabric *f, int *built, struct sl_diag *d)
{
    memset(f, 0, sizeof *f);
    *built = 0;
    if (c->kind == SL_FABRIC_CFG_NONE)
        return SL_OK;
    int kind =
        c->kind == SL_FABRIC_CFG_AUTO ? SL_FABRIC_FAT_TREE_2 : c->kind - SL_FABRIC_CFG_FAT_TREE_2;
    int fallback = c->kind == SL_FABRIC_CFG_AUTO || (grow && c->kind == SL_FABRIC_CFG_FAT_TREE_2);
    struct sl_fabric_spec spec;
    sl_fabric_cfg_spec(c, kind, &spec);
    struct sl_diag inner;
    sl_diag_clear(&inner);
    int rc = sl_fabric_build(f, &spec, nservers, &inner);
    if (rc == SL_EINVAL && fallback) {
        spec.kind = SL_FABRIC_FAT_TREE_3;
        sl_diag_clear(&inner);
        rc = sl_fabric_build(f, &spec, nservers, &inner);
    }
    if (rc == SL_ENOMEM)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory building the fabric");
    if (rc != SL_OK)
        return reword(d, &inner);
    *built = 1;
    return SL_OK;
}

int sl__scenario_check_fabric(const struct sl_scenario *sc, const struct sl_ynode *root,
                              struct sl_diag *d)
{
    struct sl_fabric f;
    int built;
    struct sl_diag inner;
    sl_diag_clear(&inner);
    int rc =
        sl_fabric_cfg_build(&sc->fleet.fabric, sl_fabric_cfg_servers(sc), 0, &f, &built, &inner);
    if (rc == SL_OK) {
        sl_fabric_release(&f);
        return SL_OK;
    }
    if (rc == SL_ENOMEM)
        return sl_diag_set(d, rc, NULL, 0, 0, "%s", inner.msg);
    /* At the fabric's keys when the scenario gives them, else at the size
     * of the fleet that outgrew the default fabric. */
    static const char *const at[] = {"fleet.fabric", "fleet.pools", "fleet.servers", NULL};
    for (size_t i = 0; at[i]; i++)
        if (sl_ytree_lookup(root, at[i]))
            return sl__scenario_path_error(root, at[i], d, inner.msg);
    return sl__scenario_path_error(root, "fleet", d, inner.msg);
}
