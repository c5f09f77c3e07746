/*
 * The registry of sources and observers (registry.c).  NULL-terminated.
 */
#ifndef SUANLI_SIM_REGISTRY_H
#define SUANLI_SIM_REGISTRY_H

#include "world/world.h"

extern const struct sl_source_ops *const sl__sources[];
extern const struct sl_observer_ops *const sl__observers[];

#endif
