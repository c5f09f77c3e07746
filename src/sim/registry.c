/*
 * The registry: every workload source and observer a run is built from.
 * A new model is a module that defines its ops and one line here.  Order
 * matters only for the outputs: sources start in this order, observers
 * see each step in this order and add their summary entries in it.
 */
#include "sim/registry.h"

#include "report/observers.h"
#include "workload/failures.h"
#include "workload/inference.h"
#include "workload/power_mgr.h"
#include "workload/rollout.h"
#include "workload/synthetic.h"
#include "workload/training.h"

const struct sl_source_ops *const sl__sources[] = {
    &sl_rollout_source,
    &sl_synthetic_source,
    &sl_inference_source,
    &sl_training_source,
    &sl_failures_source,
    &sl_power_mgr_source,
    NULL,
};

const struct sl_observer_ops *const sl__observers[] = {
    &sl_results_observer,
    &sl_timeseries_observer,
    &sl_monthly_observer,
    NULL,
};
