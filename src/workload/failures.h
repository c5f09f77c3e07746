/*
 * Failures in service: the `failures` source (issue #11; docs/model.md,
 * "Failures in service").
 *
 * Every component class of `failures:` (src/faults/hazard.h) with units in
 * this center (cards, servers, the fabric's leaves, spines and links,
 * racks, the facility units of the chain and cooling plant) draws its
 * events as two superposed processes: the constant part of all its units
 * as one Poisson process of rate n lambda, and the age-dependent part
 * (infant mortality, wear-out) of the units still on their original part
 * as one non-homogeneous Poisson process n h_age(T + t), T the age of the
 * original parts at the start (`burnin.duration`, the age a part enters
 * service at, plus `failures.start_age`), the unit picked
 * uniformly and rejected (thinning) when its part has been replaced.  A
 * replaced part restarts at the burn-in age with a process of its own.  So a
 * year of a 10,240-card center costs a few thousand events, not one draw
 * per unit.
 *
 * Each event is permanent (the part is replaced: from its spares pool in
 * `swap`, the broken part returning to the pool after a lognormal repair;
 * with the pool empty, after the repair itself) or transient (detection
 * plus automated restart).  Its blast radius goes through the fleet's
 * availability seam (sl_fleet_set_down): a card, a host part or software
 * fails its server; a NIC or a server link takes its server off the
 * fabric; a leaf switch its servers' fabric; a spine or core switch, or a
 * switch-to-switch link, blips the fabric of the servers whose gangs may
 * cross it (its pod; a core: every server) for detection and restart; a
 * rack power stage or rack cooling unit fails its rack; a facility unit
 * takes nothing while the class's redundancy holds, else the share of the
 * site its missing units carried (the last servers).  Down reasons are
 * counted per server, so overlapping outages clear only when the last one
 * ends.  Every event is a row of failures.csv.
 */
#ifndef SUANLI_WORKLOAD_FAILURES_H
#define SUANLI_WORKLOAD_FAILURES_H

#include "world/world.h"

extern const struct sl_source_ops sl_failures_source;

#endif
