/*
 * The rollout source (rollout.h): a hall filling with servers.
 *
 * Ship times.  With `from: rate`, server k (k = 0, 1, ... of those not
 * installed at the start) leaves the factory's dock at (k + 1) / rate days;
 * with `from: factory`, the scenario's factory model runs first
 * (sl_factory_run, its own engine and streams) and day i's shipments are
 * spread evenly over day i of the run, the model's mean daily output
 * continuing past its last day.  Servers arrive `transit` later, in server
 * order, rack by rack.
 *
 * Installation.  A rack is ready when its last absent server has arrived;
 * ready racks wait for one of `crews` crews in FIFO order, and a crew takes
 * `install` per rack (a rack is the run of consecutive servers the fleet
 * gives one rack number).  Ready times rise with the rack index, so the crews'
 * schedule is computed at the start, in one pass (each rack starts at
 * max(ready, the earliest free crew)); one engine event per rack then
 * clears the ABSENT bit of its servers at its installation's end
 * (sl_fleet_set_down, contract C3), which powers them on idle.  Servers
 * 0 .. installed - 1 are in service from the start; every other server is
 * set ABSENT at time 0, before any other source starts (the registry
 * starts this source first), so no work is placed on it.
 *
 * Outputs: the time-series column servers_in_service, and rollout.*
 * summary keys: servers and racks in service at the end, servers shipped
 * and arrived, and the day and date each quarter of the fleet entered
 * service (null when it did not within the run).
 */
#include "workload/rollout.h"

#include "suanli/alloc.h"
#include "suanli/calendar.h"
#include "suanli/factory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY_US 86400e6

struct rollout {
    struct sl_world *w;
    size_t nservers;
    size_t in_service;
    size_t racks_in_service;
    size_t shipped, arrived; /* by the end of the run */
    size_t first_absent;     /* servers below are installed at the start */
    int64_t quarter_us[4];   /* when 25, 50, 75, 100 % were in service; -1: not yet */
};

static int enabled(const struct sl_scenario *sc)
{
    return sc->rollout.enabled;
}

static void note_quarters(struct rollout *r, int64_t now)
{
    for (int q = 0; q < 4; q++)
        if (r->quarter_us[q] < 0 && 4 * r->in_service >= (size_t)(q + 1) * r->nservers)
            r->quarter_us[q] = now;
}

/* The end of the run of servers from s on that share s's rack (servers
 * of a rack are consecutive; pools start their own racks). */
static size_t rack_end(const struct sl_fleet *f, size_t s)
{
    size_t e = s + 1;
    while (e < f->nservers && f->srv[e].rack == f->srv[s].rack)
        e++;
    return e;
}

/* A rack's installation ends: its absent servers, from server arg on,
 * come into service. */
static void ev_installed(struct sl_engine *e, void *ctx, uint64_t arg)
{
    struct rollout *r = ctx;
    struct sl_fleet *f = &r->w->fleet;
    int64_t now = sl_engine_now(e);
    size_t first = (size_t)arg, end = rack_end(f, first);
    for (size_t s = first; s < end; s++) {
        sl_fleet_set_down(f, now, s, SL_DOWN_ABSENT, 0);
        r->in_service++;
    }
    r->racks_in_service++;
    note_quarters(r, now);
}

/* Ship times of the n absent servers (microseconds from the start). */
static int ship_times(const struct sl_scenario *sc, size_t n, double *t, struct sl_diag *d)
{
    if (sc->rollout.from == SL_ROLLOUT_RATE) {
        for (size_t k = 0; k < n; k++)
            t[k] = (double)(k + 1) / sc->rollout.rate * DAY_US;
        return SL_OK;
    }
    struct sl_factory_result fr;
    int rc = sl_factory_run(sc, NULL, &fr, d);
    if (rc != SL_OK)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < fr.ndays && k < n; i++)
        for (uint64_t j = 0; j < fr.days[i].shipped && k < n; j++)
            t[k++] = ((double)i + (double)(j + 1) / (double)fr.days[i].shipped) * DAY_US;
    double last = k ? t[k - 1] : 0;
    double per_day = fr.per_day;
    sl_factory_result_release(&fr);
    if (k < n && !(per_day > 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "rollout.from is factory, but the factory line ships nothing");
    for (size_t m = 1; k < n; k++, m++)
        t[k] = last + (double)m / per_day * DAY_US;
    return SL_OK;
}

static int start(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct rollout *r = state;
    const struct sl_scenario *sc = w->sc;
    const struct sl_rollout_cfg *ro = &sc->rollout;
    struct sl_fleet *f = &w->fleet;
    r->w = w;
    r->nservers = f->nservers;
    r->first_absent = (size_t)ro->installed < f->nservers ? (size_t)ro->installed : f->nservers;
    r->in_service = r->first_absent;
    for (int q = 0; q < 4; q++)
        r->quarter_us[q] = -1;
    note_quarters(r, 0);
    /* Racks wholly installed at the start (a partly installed one counts
     * when its last servers are). */
    for (size_t s = 0; s < r->first_absent; s = rack_end(f, s))
        r->racks_in_service += rack_end(f, s) <= r->first_absent;
    size_t n = f->nservers - r->first_absent;
    if (n == 0)
        return SL_OK;
    for (size_t s = r->first_absent; s < f->nservers; s++)
        sl_fleet_set_down(f, 0, s, SL_DOWN_ABSENT, 1);
    double *t = sl_calloc(n, sizeof *t);
    double *crew = sl_calloc((size_t)ro->crews, sizeof *crew);
    if (!t || !crew) {
        sl_free(t);
        sl_free(crew);
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    int rc = ship_times(sc, n, t, d);
    double end = (double)w->end_us, transit = (double)ro->transit_us;
    for (size_t k = 0; rc == SL_OK && k < n; k++) {
        r->shipped += t[k] <= end;
        r->arrived += t[k] + transit <= end;
    }
    /* Racks in order: each run of absent servers of one rack. */
    for (size_t first = r->first_absent; rc == SL_OK && first < f->nservers;) {
        size_t last = rack_end(f, first);
        double ready = t[last - 1 - r->first_absent] + transit;
        size_t c = 0;
        for (size_t i = 1; i < (size_t)ro->crews; i++)
            if (crew[i] < crew[c])
                c = i;
        double done = (ready > crew[c] ? ready : crew[c]) + (double)ro->install_us;
        crew[c] = done;
        if (done <= end && sl_engine_schedule(&w->eng, (int64_t)llround(done), SL_PRIO_LOAD - 1,
                                              ev_installed, r, (uint64_t)first, NULL) != SL_OK)
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        first = last;
    }
    sl_free(t);
    sl_free(crew);
    return rc;
}

static void release(void *state)
{
    (void)state;
}

static const char *const columns[] = {"servers_in_service"};

static void sample(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values)
{
    (void)w;
    (void)t0_us;
    (void)t1_us;
    const struct rollout *r = state;
    values[0] = (double)r->in_service;
}

static int summary(void *state, const struct sl_world *w, struct sl_summary *s)
{
    const struct rollout *r = state;
    int rc = sl_summary_int(s, "rollout.servers_in_service", (int64_t)r->in_service);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "rollout.racks_in_service", (int64_t)r->racks_in_service);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "rollout.servers_shipped", (int64_t)r->shipped);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "rollout.servers_arrived", (int64_t)r->arrived);
    static const char *const q[] = {"q25", "q50", "q75", "q100"};
    for (int i = 0; i < 4 && rc == SL_OK; i++) {
        char key[64], date[32];
        snprintf(key, sizeof key, "rollout.quarter_days.%s", q[i]);
        rc = sl_summary_num(s, key, r->quarter_us[i] < 0 ? NAN : (double)r->quarter_us[i] / DAY_US);
        if (rc != SL_OK)
            break;
        snprintf(key, sizeof key, "rollout.quarter_dates.%s", q[i]);
        if (r->quarter_us[i] < 0) {
            rc = sl_summary_num(s, key, NAN);
        } else {
            sl_format_datetime(w->sc->start_s + r->quarter_us[i] / 1000000, date, sizeof date);
            rc = sl_summary_str(s, key, date);
        }
    }
    return rc;
}

const struct sl_source_ops sl_rollout_source = {
    .name = "rollout",
    .state_size = sizeof(struct rollout),
    .enabled = enabled,
    .start = start,
    .release = release,
    .ncolumns = 1,
    .columns = columns,
    .sample = sample,
    .summary = summary,
};
