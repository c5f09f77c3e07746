/*
 * Rollout: the `rollout` source (issue #11; docs/model.md, "Factory line,
 * burn-in area and rollout").  The site's servers arrive from the line,
 * burned in, and each rack comes into service when its last server has
 * arrived and a crew has installed it; until then its servers are ABSENT
 * (the fleet's availability seam: powered off, no work placed on them).
 */
#ifndef SUANLI_WORKLOAD_ROLLOUT_H
#define SUANLI_WORKLOAD_ROLLOUT_H

#include "world/world.h"

extern const struct sl_source_ops sl_rollout_source;

#endif
