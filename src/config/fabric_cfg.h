/*
 * The scenario's fabric (`fleet.fabric`) as a built struct sl_fabric: the
 * one place that turns the configuration (with its `auto` and `none` kinds)
 * into a spec and builds it, used by the loader to check the fabric holds
 * the fleet and by the world to build it for the run and for the capacity
 * search.
 */
#ifndef SUANLI_CONFIG_FABRIC_CFG_H
#define SUANLI_CONFIG_FABRIC_CFG_H

#include <stddef.h>

#include "suanli/fabric.h"
#include "suanli/scenario.h"

struct sl_diag;

/* Fills *spec from c for the wiring kind (enum sl_fabric_kind). */
void sl_fabric_cfg_spec(const struct sl_fabric_cfg *c, int kind, struct sl_fabric_spec *spec);

/* The servers of the whole fleet: the sum over sc->pools (the shorthand is
 * one pool); sc->fleet.servers before the pools are resolved. */
size_t sl_fabric_cfg_servers(const struct sl_scenario *sc);

/* Builds c's fabric for nservers servers into *f and sets *built; with
 * kind none builds nothing (*built = 0, *f zeroed).  Kind auto takes a
 * two-tier fat tree when one holds the servers, else three tiers; grow
 * treats fat-tree-2 as auto (the capacity search adds servers a fixed
 * two-tier design would not hold: the fabric grows a tier with them).
 * Returns SL_OK; SL_EINVAL with d's message starting "fleet.fabric: " (no
 * position) when the fabric cannot be built for nservers; SL_ENOMEM.  The
 * caller releases *f with sl_fabric_release. */
int sl_fabric_cfg_build(const struct sl_fabric_cfg *c, size_t nservers, int grow,
                        struct sl_fabric *f, int *built, struct sl_diag *d);

#endif
