/*
 * The built-in observers of a run (see world.h for the interface):
 *   results     the run's totals as summary entries (results.c)
 *   timeseries  timeseries.csv, one row per `run.sample` (timeseries.c)
 *   monthly     monthly.csv, one row per calendar month (monthly.c)
 * Each aggregates the world's closed facility steps; none evaluates a
 * model itself.
 */
#ifndef SUANLI_REPORT_OBSERVERS_H
#define SUANLI_REPORT_OBSERVERS_H

#include "world/world.h"

extern const struct sl_observer_ops sl_results_observer;
extern const struct sl_observer_ops sl_timeseries_observer;
extern const struct sl_observer_ops sl_monthly_observer;

/* Writes local time as "YYYY-MM-DDTHH:MM:SS" at p without a NUL (years
 * 0-9999) and returns the end; by hand, for rows written by the million. */
char *sl__fmt_datetime(char *p, int64_t local_s);

#endif
