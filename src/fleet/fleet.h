/*
 * The fleet: servers in racks, each at some utilisation, and the IT power
 * they draw.
 *
 * Each server's power at its utilisation comes from the server calculator
 * (fleet/server.h: cards, CPUs, memory, NICs, fans, then the server's
 * conversion stages); a rack's input adds the chain's rack stages (a power
 * shelf).  Power is piecewise constant between events, so energy is
 * integrated exactly: before any change a meter adds P * (now - last) to its
 * running integral.  Rack totals are kept incrementally so the peak rack
 * power is exact at every instant; the fleet totals are recomputed from the
 * servers at each sample so rounding cannot drift over millions of updates.
 */
#ifndef SUANLI_FLEET_FLEET_H
#define SUANLI_FLEET_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/server.h"
#include "suanli/scenario.h"

/* A time-weighted meter of a piecewise-constant signal.  max, min and
 * window_max cover values held for a positive time (they are -inf/+inf until
 * time has advanced). */
struct sl_meter {
    int64_t last_us;
    double value;
    double integral;        /* value * seconds since the start */
    double window_integral; /* since the last window reset */
    double window_max;
    double max, min;
};

void sl_meter_init(struct sl_meter *m, double value);
/* Integrates up to now_us (>= last_us). */
void sl_meter_advance(struct sl_meter *m, int64_t now_us);
/* Integrates to now_us, then changes the value. */
void sl_meter_set(struct sl_meter *m, int64_t now_us, double value);
/* Starts a new window at the current value (call after advancing). */
void sl_meter_window_reset(struct sl_meter *m);

struct sl_facility;

/* Per-server state: utilisation and the power it gives. */
struct sl_fleet {
    const struct sl_server_calc *calc;
    const struct sl_facility *fac; /* rack stages; NULL: none */
    size_t nservers, nracks, per_rack;
    double *util;                /* per server, 0..1 */
    struct sl_server_power *srv; /* per server, at its utilisation */
    double *rack_servers_w;      /* per rack: sum of server inputs */
    double *rack_w;              /* per rack: rack input (IT) */
    struct sl_meter it_w;        /* sum of rack inputs: IT power */
    struct sl_meter server_in_w; /* sum of server inputs */
    struct sl_meter dc_w;        /* sum of server DC loads */
    struct sl_meter board_w;     /* sum of card and CPU board power */
    struct sl_meter silicon_w;   /* sum of silicon power */
    struct sl_meter liquid_w;    /* heat to liquid */
    struct sl_meter util_sum;    /* sum of server utilisations */
    double rack_peak_w;          /* highest rack power at any instant, set-up excluded */
};

/* Builds the fleet for sc with every server at utilisation u0, using the
 * prepared server calculator and, when fac is not NULL, its rack stages.
 * Returns SL_OK or SL_ENOMEM. */
int sl_fleet_init(struct sl_fleet *f, const struct sl_scenario *sc,
                  const struct sl_server_calc *calc, const struct sl_facility *fac, double u0);
void sl_fleet_release(struct sl_fleet *f);

/* Sets server i's utilisation at time now_us (>= the last change). */
void sl_fleet_set_util(struct sl_fleet *f, int64_t now_us, size_t i, double u);

/* Restarts the meters and the rack peak from the current state, at time
 * 0: call after setting the initial utilisations, so the one-by-one set-up
 * does not count as a power swing. */
void sl_fleet_start_meters(struct sl_fleet *f);

/* Recomputes the fleet totals from the servers (exact re-sum) at now_us. */
void sl_fleet_resum(struct sl_fleet *f, int64_t now_us);

#endif
