/*
 * The time-series observer: timeseries.csv.
 *
 * A row covers [t, t + run.sample) (the last row may be shorter) and
 * aggregates the facility steps inside it: powers are energy-weighted
 * means over the row (exact, since every step's energy is exact), it_max_w
 * the highest instantaneous IT power, pue the ratio of the row's facility
 * and IT energies, temperatures time-weighted means, over_cap_s the time
 * of the row's steps above the grid cap.  Sources add their own columns
 * after the facility's.  Columns are documented in docs/outputs.md.
 */
#include "report/observers.h"

#include "suanli/alloc.h"
#include "suanli/calendar.h"
#include "suanli/outfile.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MAX_SOURCE_COLUMNS 64

struct series {
    struct sl_outfile out; /* zeroed (closed) unless open and not committed */
    uint64_t rows;
    int64_t t0_us; /* start of the current row */
    double span_s; /* steps accumulated into it */
    double fleet_j[SL_Q_COUNT];
    double it_max_w;
    double facility_j, chain_loss_j, cooling_j, aux_j, fabric_j;
    double stage_loss_j[SL_MAX_STAGES];
    double t_db, t_wb; /* C * s */
    double over_cap_s;
};

char *sl__fmt_datetime(char *p, int64_t local_s)
{
    struct sl_civil c;
    sl_civil_from_seconds(local_s, &c);
    int64_t y = c.year < 0 ? 0 : c.year > 9999 ? 9999 : c.year;
    int v[6] = {(int)y, c.month, c.day, c.hour, c.minute, c.second};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    for (int k = 0; k < 6; k++) {
        if (k == 0) {
            *p++ = (char)('0' + v[0] / 1000);
            *p++ = (char)('0' + v[0] / 100 % 10);
        }
        *p++ = (char)('0' + v[k] / 10 % 10);
        *p++ = (char)('0' + v[k] % 10);
        if (sep[k])
            *p++ = sep[k];
    }
    return p;
}

static int open_series(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct series *s = state;
    char path[4096];
    snprintf(path, sizeof path, "%s/timeseries.csv", w->out_dir);
    int rc = sl_outfile_open(&s->out, path, d);
    if (rc != SL_OK)
        return rc;
    FILE *f = s->out.f;
    fputs("time_s,datetime,it_w,it_max_w,util,facility_w,chain_loss_w,cooling_w,aux_w,pue,t_db_c,"
          "t_wb_c,silicon_w,headroom_w,over_cap_s,fabric_w",
          f);
    for (size_t k = 0; k < w->fac.stack.n; k++)
        fprintf(f, ",loss_%s_w", w->fac.stack.stage[k]->name);
    for (size_t i = 0; i < w->nsrc; i++)
        for (size_t c = 0; c < w->src[i].ops->ncolumns; c++)
            fprintf(f, ",%s", w->src[i].ops->columns[c]);
    fputc('\n', f);
    s->it_max_w = -1e300;
    return SL_OK;
}

static void write_row(struct series *s, struct sl_world *w, int64_t t1_us)
{
    double span = s->span_s;
    double it = s->fleet_j[SL_Q_IT] / span;
    double facility = s->facility_j / span;
    double silicon = (s->fleet_j[SL_Q_BOARD] - s->fleet_j[SL_Q_BOARD_LOSS]) / span;
    double cols[] = {it,
                     s->it_max_w,
                     s->fleet_j[SL_Q_LOAD] / span / (double)w->fleet.ncards,
                     facility,
                     s->chain_loss_j / span,
                     s->cooling_j / span,
                     s->aux_j / span,
                     it > 0 ? s->facility_j / s->fleet_j[SL_Q_IT] : 0,
                     s->t_db / span,
                     s->t_wb / span,
                     silicon,
                     w->sc->site.grid_cap_w - facility,
                     s->over_cap_s,
                     s->fabric_j / span};
    static const int decimals[] = {1, 1, 6, 1, 1, 1, 1, 6, 2, 2, 1, 1, 1, 1};
    double extra[MAX_SOURCE_COLUMNS];
    size_t nextra = 0;
    for (size_t i = 0; i < w->nsrc; i++) {
        const struct sl_source_ops *o = w->src[i].ops;
        if (o->ncolumns && nextra + o->ncolumns <= MAX_SOURCE_COLUMNS && o->sample) {
            o->sample(w->src[i].state, w, s->t0_us, t1_us, extra + nextra);
            nextra += o->ncolumns;
        }
    }
    /* One row, formatted by hand: printf's exact decimal conversion was
     * most of the cost of a year of one-minute rows. */
    char row[64 * (sizeof cols / sizeof cols[0] + 3 + SL_MAX_STAGES + MAX_SOURCE_COLUMNS)];
    char *p = row;
    /* Rows mostly start on whole seconds: then no printf. */
    if (s->t0_us % 1000000 == 0) {
        p = sl_fmt_fixed(p, (double)(s->t0_us / 1000000), 0);
    } else {
        sl_format_number((double)s->t0_us * 1e-6, p, 64);
        p += strlen(p);
    }
    *p++ = ',';
    p = sl__fmt_datetime(p, sl_world_local_s(w, s->t0_us));
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        *p++ = ',';
        p = sl_fmt_fixed(p, cols[k], decimals[k]);
    }
    for (size_t k = 0; k < w->fac.stack.n; k++) {
        *p++ = ',';
        p = sl_fmt_fixed(p, s->stage_loss_j[k] / span, 1);
    }
    for (size_t k = 0; k < nextra; k++) {
        *p++ = ',';
        p = sl_fmt_fixed(p, extra[k], 6);
    }
    *p++ = '\n';
    fwrite(row, 1, (size_t)(p - row), s->out.f);
    s->rows++;
    int64_t t0 = t1_us;
    /* A fresh row: everything from t0_us on (out and rows stay). */
    memset(&s->t0_us, 0, sizeof *s - offsetof(struct series, t0_us));
    s->t0_us = t0;
    s->it_max_w = -1e300;
}

static void step(void *state, struct sl_world *w, const struct sl_site_step *st)
{
    struct series *s = state;
    double dt = st->dt_s;
    for (int q = 0; q < SL_Q_COUNT; q++)
        s->fleet_j[q] += st->fleet_w[q] * dt;
    if (st->it_max_w > s->it_max_w)
        s->it_max_w = st->it_max_w;
    s->facility_j += st->fe.facility_w * dt;
    s->chain_loss_j += st->fe.chain_loss_w * dt;
    s->cooling_j += st->fe.cooling.total_w * dt;
    s->aux_j += st->fe.aux_w * dt;
    s->fabric_j += st->fabric_w * dt;
    for (size_t k = 0; k < w->fac.stack.n; k++)
        s->stage_loss_j[k] += st->fe.stage_loss_w[k] * dt;
    s->t_db += st->fe.t_db_c * dt;
    s->t_wb += st->fe.t_wb_c * dt;
    if (st->over_cap)
        s->over_cap_s += dt;
    s->span_s += dt;
    if (st->t1_us % w->sc->run.sample_us == 0 || st->t1_us == w->end_us)
        write_row(s, w, st->t1_us);
}

static int finish(void *state, struct sl_world *w, struct sl_summary *sum, struct sl_diag *d)
{
    (void)d;
    struct series *s = state;
    int rc = sl_summary_int(sum, "timeseries.rows", (int64_t)s->rows);
    if (rc == SL_OK)
        rc = sl_summary_num(sum, "timeseries.sample_s", (double)w->sc->run.sample_us * 1e-6);
    return rc;
}

static int commit(void *state, struct sl_diag *d)
{
    struct series *s = state;
    return sl_outfile_commit(&s->out, d);
}

/* Drops the file unless committed: aborting a closed outfile does nothing. */
static void release(void *state)
{
    struct series *s = state;
    sl_outfile_abort(&s->out);
}

const struct sl_observer_ops sl_timeseries_observer = {
    .name = "timeseries",
    .state_size = sizeof(struct series),
    .open = open_series,
    .step = step,
    .finish = finish,
    .commit = commit,
    .release = release,
};
