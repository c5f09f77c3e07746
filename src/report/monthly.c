/*
 * The monthly observer: monthly.csv, one row per local calendar month
 * that the run touches (a partial month is a row of the hours simulated in
 * it).  A facility step belongs to the month of its midpoint; steps are a
 * minute by default, so a month boundary falls inside at most one step.
 * Columns (docs/outputs.md): month, hours, it_mwh, facility_mwh, pue,
 * cost_cny, co2_t, it_mean_mw, facility_mean_mw, facility_peak_mw,
 * over_cap_h, chain_loss_mwh, cooling_mwh.
 */
#include "report/observers.h"

#include "suanli/calendar.h"
#include "suanli/outfile.h"

#include <stdio.h>
#include <string.h>

#define MWH 3.6e9

struct month {
    int64_t key; /* year * 12 + month - 1; -1: none yet */
    double s, it_j, facility_j, cost, co2, peak_w, over_s, chain_j, cooling_j;
};

struct monthly {
    struct sl_outfile out; /* zeroed (closed) unless open and not committed */
    uint64_t rows;
    struct month m;
};

static int open_monthly(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct monthly *s = state;
    char path[4096];
    snprintf(path, sizeof path, "%s/monthly.csv", w->out_dir);
    int rc = sl_outfile_open(&s->out, path, d);
    if (rc != SL_OK)
        return rc;
    s->m.key = -1;
    fputs("month,hours,it_mwh,facility_mwh,pue,cost_cny,co2_t,it_mean_mw,facility_mean_mw,"
          "facility_peak_mw,over_cap_h,chain_loss_mwh,cooling_mwh\n",
          s->out.f);
    return SL_OK;
}

static void flush(struct monthly *s)
{
    const struct month *m = &s->m;
    if (m->key < 0 || m->s <= 0)
        return;
    double v[] = {m->s / 3600,
                  m->it_j / MWH,
                  m->facility_j / MWH,
                  m->it_j > 0 ? m->facility_j / m->it_j : 0,
                  m->cost,
                  m->co2 / 1000,
                  m->it_j / m->s / 1e6,
                  m->facility_j / m->s / 1e6,
                  m->peak_w / 1e6,
                  m->over_s / 3600,
                  m->chain_j / MWH,
                  m->cooling_j / MWH};
    static const int decimals[] = {3, 3, 3, 4, 0, 3, 4, 4, 4, 3, 3, 3};
    char row[64 * 16], *p = row;
    p += snprintf(p, 32, "%04lld-%02d", (long long)(m->key / 12), (int)(m->key % 12) + 1);
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        *p++ = ',';
        p = sl_fmt_fixed(p, v[k], decimals[k]);
    }
    *p++ = '\n';
    fwrite(row, 1, (size_t)(p - row), s->out.f);
    s->rows++;
}

static void step(void *state, struct sl_world *w, const struct sl_site_step *st)
{
    (void)w;
    struct monthly *s = state;
    struct sl_civil c;
    sl_civil_from_seconds(st->local_mid_s, &c);
    int64_t key = c.year * 12 + c.month - 1;
    if (key != s->m.key) {
        flush(s);
        memset(&s->m, 0, sizeof s->m);
        s->m.key = key;
    }
    struct month *m = &s->m;
    double dt = st->dt_s;
    m->s += dt;
    m->it_j += st->fleet_w[SL_Q_IT] * dt;
    m->facility_j += st->fe.facility_w * dt;
    m->cost += st->cost_cny;
    m->co2 += st->co2_kg;
    if (st->fe.facility_w > m->peak_w)
        m->peak_w = st->fe.facility_w;
    if (st->over_cap)
        m->over_s += dt;
    m->chain_j += st->fe.chain_loss_w * dt;
    m->cooling_j += st->fe.cooling.total_w * dt;
}

static int finish(void *state, struct sl_world *w, struct sl_summary *sum, struct sl_diag *d)
{
    (void)w;
    (void)d;
    struct monthly *s = state;
    flush(s);
    s->m.key = -1;
    return sl_summary_int(sum, "monthly.rows", (int64_t)s->rows);
}

static int commit(void *state, struct sl_diag *d)
{
    struct monthly *s = state;
    return sl_outfile_commit(&s->out, d);
}

/* Drops the file unless committed: aborting a closed outfile does nothing. */
static void release(void *state)
{
    struct monthly *s = state;
    sl_outfile_abort(&s->out);
}

const struct sl_observer_ops sl_monthly_observer = {
    .name = "monthly",
    .state_size = sizeof(struct monthly),
    .open = open_monthly,
    .step = step,
    .finish = finish,
    .commit = commit,
    .release = release,
};
