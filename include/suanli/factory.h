/*
 * The factory line: from a bare board to a burned-in, packed server
 * (`suanli factory`, issue #11; docs/model.md, "Factory line, burn-in area
 * and rollout").
 *
 * sl_factory_run simulates the scenario's `factory` line on an engine and
 * RNG streams of its own: stations in line order with machines (or
 * operator cells), cycle times, shifts, breakdowns, first-pass yield with
 * rework, finite buffers that block the station before them, and the
 * burn-in area (the `burnin` section) as a station of slots in which a
 * server that fails is repaired and starts its burn-in again.  Boards are
 * always at hand: the first station starts a server whenever it has a free
 * machine and room after it, so the line makes what its bottleneck allows.
 * After `factory.warmup` it measures `factory.duration`: throughput, WIP
 * (a time average kept by the model itself, not derived from cycle times),
 * cycle time, each station's use, the burn-in area's occupancy and power,
 * and one row per day.
 *
 * sl_factory_run_out (src/sim) runs it and writes factory.json,
 * factory_daily.csv and scenario.yaml into an output folder replaced whole
 * like `suanli run`'s (docs/outputs.md).
 */
#ifndef SUANLI_FACTORY_H
#define SUANLI_FACTORY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/summary.h"

/* One station over the measured window.  Machine time is counted while
 * the station is open (shift hours for a staffed station, always else):
 * busy (working on a server), blocked (holding a finished server the next
 * buffer has no room for), down (broken), the rest idle (starved).
 * utilisation = busy / (open - down); for the burn-in area, occupancy /
 * slots. */
struct sl_factory_station {
    const char *name; /* borrowed from the scenario */
    int kind;         /* enum sl_station_kind */
    int64_t machines; /* slots for the burn-in area */
    double utilisation;
    double busy, blocked, down; /* shares of the open machine time */
    uint64_t passed;            /* servers that passed it in the window */
    uint64_t failed;            /* failed it (yield; burn-in failures) */
    double energy_j;            /* its machines' energy (the burn-in area's servers) */
};

/* One day of the measured window (day 0 starts at the warm-up's end). */
struct sl_factory_day {
    uint64_t started, shipped, burnin_failures;
    double wip_mean;
    double burnin_mean;    /* servers in burn-in, time average */
    int64_t burnin_max;    /* most at once */
    double burnin_kw_mean; /* power of the burn-in area */
    double burnin_kw_max;
    double energy_kwh; /* line and burn-in area */
};

/* What one factory run measured.  Owns stations and days (and the cycle
 * times it sorted); release with sl_factory_result_release.  The times are
 * seconds. */
struct sl_factory_result {
    double window_s;                      /* factory.duration */
    uint64_t started, shipped;            /* in the window */
    double per_year, per_day;             /* shipped per 365 days and per day */
    double wip_mean;                      /* servers on the line, time average */
    double ct_mean_s, ct_p50_s, ct_p95_s; /* of the servers shipped in the window */
    double little_wip;                    /* throughput x mean cycle time */
    double little_error;                  /* |wip_mean - little_wip| / wip_mean */
    size_t bottleneck;                    /* station index of the highest utilisation */
    struct sl_factory_station *stations;
    size_t nstations;
    int64_t burnin_slots;
    double burnin_mean, burnin_max; /* servers in burn-in */
    double burnin_server_w;         /* one server at burnin.load */
    double burnin_kw_mean, burnin_kw_max;
    double burnin_energy_j, line_energy_j;
    uint64_t burnin_failures; /* failures caught in burn-in */
    uint64_t burnin_passed;
    double kwh_per_server; /* (line + burn-in energy) / shipped */
    struct sl_factory_day *days;
    size_t ndays;
    uint64_t events;
};

/* Progress: the share of the run done and the events so far. */
typedef void (*sl_factory_progress_fn)(void *ctx, double done, uint64_t events);

/* Options of a run; all may be zero.  When *stop becomes nonzero, the run
 * stops within some 65,536 events and fails with SL_ESTATE. */
struct sl_factory_opts {
    sl_factory_progress_fn progress;
    void *progress_ctx;
    const volatile sig_atomic_t *stop;
};

/* The built-in line the loader uses for an empty `factory.stations`: n
 * entries of static storage, never freed. */
const struct sl_station_cfg *sl_factory_default_line(size_t *n);

/* Runs the factory line of sc (a loaded scenario: its factory, burnin,
 * server model and run.seed) and fills *r (zeroed by the function).
 * Returns SL_OK, SL_ENOMEM, SL_ESTATE (stopped) or SL_EINVAL (d filled);
 * on error *r holds nothing to release.  The same scenario and seed give
 * the same result. */
int sl_factory_run(const struct sl_scenario *sc, const struct sl_factory_opts *o,
                   struct sl_factory_result *r, struct sl_diag *d);
void sl_factory_result_release(struct sl_factory_result *r);

/* Adds the result's keys (factory.*, docs/outputs.md) to s.  Returns SL_OK
 * or SL_ENOMEM. */
int sl_factory_summary(const struct sl_factory_result *r, struct sl_summary *s);

/* Writes factory_daily.csv (a header and one row per day) to out. */
void sl_factory_write_daily(const struct sl_factory_result *r, FILE *out);

/* Runs sc's factory (src/sim) and writes factory.json, factory_daily.csv
 * and scenario.yaml into out_dir, replaced whole and atomically as by
 * sl_run_set (a lock refuses a second run on it); fills *r and *s (which the
 * caller initialised).  Returns SL_OK or an error with d filled, and then
 * out_dir is as before: SL_EBUSY, SL_EUSAGE (out_dir cannot be an output
 * folder), SL_EIO, SL_ENOMEM, SL_ESTATE (stopped). */
int sl_factory_run_out(const struct sl_scenario *sc, const char *out_dir,
                       const struct sl_factory_opts *o, struct sl_factory_result *r,
                       struct sl_summary *s, struct sl_diag *d);

#endif
