/*
 * Calibration of the inference performance model (suanli/calibrate.h):
 * measured step times in, efficiency factors per (model, device, tp) out.
 *
 * The model (src/perf/perf.c) predicts a prefill step and a decode step
 * from the roofline max(bytes / (BW eta_m), flops / (F eta_c)) plus a fixed
 * overhead per step.  Three numbers per replica are all a measurement can
 * pin down without a profiler: eta_c (set by the compute-bound prefill),
 * eta_m (set by the memory-bound decode at small batch) and the overhead
 * (set by how decode grows from a small to a large batch and context, and by
 * short prompts).  The fit minimises the squared log error of both phases
 * over the points, plus a ridge of weight RIDGE on the distance from the
 * device's default factors in log space: negligible where the data decide a
 * factor (it moves a recovered factor by about RIDGE / points, relative),
 * and it keeps a factor the data cannot see (eta_c when every prompt is
 * short) at its sourced default instead of wandering to a bound.
 *
 * The minimiser is Nelder-Mead (Lagarias et al., SIAM J. Optim. 9, 1998:
 * reflection 1, expansion 2, contraction 1/2, shrink 1/2) on the log
 * parameters, every trial point projected onto the bounds, restarted from
 * its best point until a restart stops improving, and started both from the
 * device's defaults and from the 8 corners of a box inside the bounds:
 * derivative-free, because the roofline's max() has kinks.  The
 * bounds are eta in [0.01, 1] and overhead in [1 us, 0.5 s].
 *
 * The CSV reader keeps each group's first position so the command can say
 * where an unknown model or device was named, and every value error names
 * the line and column of the field.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/calibrate.h"

#include "perf/calibrate_int.h"
#include "suanli/alloc.h"
#include "suanli/catalog.h"
#include "suanli/diag.h"
#include "suanli/llm.h"
#include "suanli/outfile.h"
#include "suanli/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ETA_MIN      0.01
#define ETA_MAX      1.0
#define OVERHEAD_MIN 1e-6
#define OVERHEAD_MAX 0.5
#define RIDGE        1e-4
#define FIELD_MAX    256 /* longest CSV field */

/* ---- Nelder-Mead ---- */

static void clamp_box(int n, double *x, const double *lo, const double *hi)
{
    for (int i = 0; i < n; i++)
        x[i] = x[i] < lo[i] ? lo[i] : x[i] > hi[i] ? hi[i] : x[i];
}

/* One Nelder-Mead run from x; returns evaluations used. */
static int nm_run(sl__calib_fn f, void *ud, int n, double *x, const double *lo, const double *hi,
                  const double *step, double tol, int max_evals, double *fx)
{
    double v[SL_CALIB_MAX_DIM + 1][SL_CALIB_MAX_DIM];
    double fv[SL_CALIB_MAX_DIM + 1];
    double c[SL_CALIB_MAX_DIM], xr[SL_CALIB_MAX_DIM], xe[SL_CALIB_MAX_DIM], xc[SL_CALIB_MAX_DIM];
    int evals = 0;

    memcpy(v[0], x, (size_t)n * sizeof x[0]);
    clamp_box(n, v[0], lo, hi);
    for (int k = 1; k <= n; k++) {
        memcpy(v[k], v[0], (size_t)n * sizeof x[0]);
        int i = k - 1;
        /* Step inwards when the outward step would leave the box. */
        double s = v[0][i] + step[i] <= hi[i] ? step[i] : -step[i];
        v[k][i] += s;
        clamp_box(n, v[k], lo, hi);
    }
    for (int k = 0; k <= n; k++)
        fv[k] = f(v[k], ud);
    evals += n + 1;

    while (evals < max_evals) {
        /* Order the vertices best first (insertion sort: stable). */
        for (int k = 1; k <= n; k++) {
            double tf = fv[k], tv[SL_CALIB_MAX_DIM];
            memcpy(tv, v[k], (size_t)n * sizeof tv[0]);
            int j = k - 1;
            while (j >= 0 && fv[j] > tf) {
                fv[j + 1] = fv[j];
                memcpy(v[j + 1], v[j], (size_t)n * sizeof tv[0]);
                j--;
            }
            fv[j + 1] = tf;
            memcpy(v[j + 1], tv, (size_t)n * sizeof tv[0]);
        }
        double width = 0;
        for (int k = 1; k <= n; k++)
            for (int i = 0; i < n; i++) {
                double w = fabs(v[k][i] - v[0][i]) / step[i];
                width = w > width ? w : width;
            }
        if (fv[n] - fv[0] <= tol * (fabs(fv[0]) + tol) && width <= tol)
            break;

        for (int i = 0; i < n; i++) {
            c[i] = 0;
            for (int k = 0; k < n; k++)
                c[i] += v[k][i];
            c[i] /= n;
        }
        for (int i = 0; i < n; i++)
            xr[i] = c[i] + (c[i] - v[n][i]);
        clamp_box(n, xr, lo, hi);
        double fr = f(xr, ud);
        evals++;
        if (fr < fv[0]) {
            for (int i = 0; i < n; i++)
                xe[i] = c[i] + 2 * (c[i] - v[n][i]);
            clamp_box(n, xe, lo, hi);
            double fe = f(xe, ud);
            evals++;
            if (fe < fr) {
                memcpy(v[n], xe, (size_t)n * sizeof xe[0]);
                fv[n] = fe;
            } else {
                memcpy(v[n], xr, (size_t)n * sizeof xr[0]);
                fv[n] = fr;
            }
            continue;
        }
        if (fr < fv[n - 1]) {
            memcpy(v[n], xr, (size_t)n * sizeof xr[0]);
            fv[n] = fr;
            continue;
        }
        /* Contract: outside when the reflection beat the worst, else inside. */
        int outside = fr < fv[n];
        for (int i = 0; i < n; i++)
            xc[i] = outside ? c[i] + 0.5 * (xr[i] - c[i]) : c[i] + 0.5 * (v[n][i] - c[i]);
        clamp_box(n, xc, lo, hi);
        double fc = f(xc, ud);
        evals++;
        if (fc < (outside ? fr : fv[n])) {
            memcpy(v[n], xc, (size_t)n * sizeof xc[0]);
            fv[n] = fc;
            continue;
        }
        for (int k = 1; k <= n; k++) {
            for (int i = 0; i < n; i++)
                v[k][i] = v[0][i] + 0.5 * (v[k][i] - v[0][i]);
            fv[k] = f(v[k], ud);
        }
        evals += n;
    }
    int best = 0;
    for (int k = 1; k <= n; k++)
        if (fv[k] < fv[best])
            best = k;
    memcpy(x, v[best], (size_t)n * sizeof x[0]);
    *fx = fv[best];
    return evals;
}

int sl__calib_minimize(sl__calib_fn f, void *ud, int n, double *x, const double *lo,
                       const double *hi, const double *step, double tol, int max_evals, double *fx)
{
    double best = HUGE_VAL;
    int evals = 0;
    clamp_box(n, x, lo, hi);
    while (evals < max_evals) {
        double fnew;
        evals += nm_run(f, ud, n, x, lo, hi, step, tol, max_evals - evals, &fnew);
        int done = !(fnew < best - tol * (fabs(fnew) + tol));
        best = fnew < best ? fnew : best;
        if (done)
            break;
    }
    *fx = best;
    return evals;
}

/* ---- the fit ---- */

void sl_calib_spec_default(struct sl_perf_spec *spec, const struct sl_llm_model *model,
                           const struct sl_device_model *dev, int64_t tp)
{
    memset(spec, 0, sizeof *spec);
    spec->model = model;
    spec->device = dev;
    spec->phases = sl_default_phase_model();
    spec->tp = tp;
    spec->weights = SL_PREC_FP16;
    spec->kv = SL_PREC_FP16;
    spec->cap_w = 0;
    sl_perf_eff_default(dev, &spec->eff);
    /* The same memory model as a scenario's service (`mem_util` 90 %,
     * `reserved_memory` 3 GB: hardware-perf.md §2.4, 2-5 GB), so the
     * calculator and a run agree. */
    spec->mem_util = 0.9;
    spec->act_bytes = 3e9;
    spec->page_tokens = 16;
}

/* Predicted prefill and decode times of one point, ms.  SL_OK or the
 * error of sl_perf_init. */
static int predict(const struct sl_calib_point *pt, const struct sl_perf_spec *spec,
                   double *prefill_ms, double *decode_ms, struct sl_diag *d)
{
    struct sl_perf_spec s = *spec;
    s.weights = pt->weights;
    s.kv = pt->kv;
    struct sl_perf p;
    int rc = sl_perf_init(&p, &s, d);
    if (rc != SL_OK)
        return rc;
    struct sl_perf_infer out;
    sl_perf_infer(&p, pt->batch, pt->prompt_tokens, pt->output_tokens, 0, &out);
    *prefill_ms = out.prefill_ms;
    *decode_ms = out.decode_ms_per_token;
    return SL_OK;
}

int sl_calib_eval(const struct sl_calib_point *pts, size_t n, const struct sl_perf_spec *spec,
                  struct sl_calib_error *err, struct sl_diag *d)
{
    memset(err, 0, sizeof *err);
    for (size_t i = 0; i < n; i++) {
        double pf, dc;
        struct sl_diag pd;
        sl_diag_clear(&pd);
        if (predict(&pts[i], spec, &pf, &dc, &pd) != SL_OK)
            return sl_diag_set(d, pd.code, NULL, pts[i].line, 0, "%s", pd.msg);
        double ep = log(pf / pts[i].prefill_ms), ed = log(dc / pts[i].decode_ms_per_token);
        err->loss += ep * ep + ed * ed;
        err->prefill_mape += fabs(pf - pts[i].prefill_ms) / pts[i].prefill_ms;
        err->decode_mape += fabs(dc - pts[i].decode_ms_per_token) / pts[i].decode_ms_per_token;
    }
    if (n) {
        err->prefill_mape *= 100.0 / (double)n;
        err->decode_mape *= 100.0 / (double)n;
    }
    err->points = n;
    return SL_OK;
}

struct fit_ctx {
    const struct sl_calib_point *pts;
    size_t n;
    struct sl_perf_spec spec;
    double x0[3]; /* the starting point, centre of the ridge */
};

static void apply(struct sl_perf_eff *eff, const double *x)
{
    eff->compute = exp(x[0]);
    eff->memory = exp(x[1]);
    eff->overhead_s = exp(x[2]);
}

static double objective(const double *x, void *ud)
{
    struct fit_ctx *c = ud;
    struct sl_perf_spec s = c->spec;
    apply(&s.eff, x);
    double loss = 0;
    for (size_t i = 0; i < c->n; i++) {
        double pf, dc;
        /* Every point compiled with the starting factors, and the factors
         * do not change what fits in memory. */
        if (predict(&c->pts[i], &s, &pf, &dc, NULL) != SL_OK || !(pf > 0) || !(dc > 0))
            return HUGE_VAL;
        double ep = log(pf / c->pts[i].prefill_ms), ed = log(dc / c->pts[i].decode_ms_per_token);
        loss += ep * ep + ed * ed;
    }
    for (int i = 0; i < 3; i++)
        loss += RIDGE * (x[i] - c->x0[i]) * (x[i] - c->x0[i]);
    return loss;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int sl_calib_fit(const struct sl_calib_point *pts, size_t n, const struct sl_perf_spec *spec,
                 struct sl_perf_eff *eff, struct sl_calib_error *err, struct sl_diag *d)
{
    if (n == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "no measurements to fit");
    int rc = sl_calib_eval(pts, n, spec, err, d);
    if (rc != SL_OK)
        return rc;
    struct fit_ctx c = {pts, n, *spec, {0, 0, 0}};
    double lo[3] = {log(ETA_MIN), log(ETA_MIN), log(OVERHEAD_MIN)};
    double hi[3] = {log(ETA_MAX), log(ETA_MAX), log(OVERHEAD_MAX)};
    double step[3] = {0.3, 0.3, 1.0};
    double x[3] = {log(clampd(spec->eff.compute, ETA_MIN, ETA_MAX)),
                   log(clampd(spec->eff.memory, ETA_MIN, ETA_MAX)),
                   log(clampd(spec->eff.overhead_s, 1e-5, OVERHEAD_MAX))};
    memcpy(c.x0, x, sizeof x);
    /* The roofline's max() makes the loss piecewise smooth, with a local
     * minimum on each side of a kink: start from the defaults and from the
     * corners of a box well inside the bounds, keep the best (the first of
     * equal ones, so the defaults win ties). */
    double fx;
    sl__calib_minimize(objective, &c, 3, x, lo, hi, step, 1e-10, 20000, &fx);
    for (int k = 0; k < 8; k++) {
        double y[3] = {log(k & 1 ? 0.8 : 0.25), log(k & 2 ? 0.9 : 0.3),
                       log(k & 4 ? 10e-3 : 0.2e-3)};
        double fy;
        sl__calib_minimize(objective, &c, 3, y, lo, hi, step, 1e-10, 20000, &fy);
        if (fy < fx) {
            fx = fy;
            memcpy(x, y, sizeof x);
        }
    }

    /* What a profile stores: factors to 4 decimals, overhead to 1 us. */
    *eff = spec->eff;
    apply(eff, x);
    eff->compute = clampd(round(eff->compute * 1e4) / 1e4, 1e-4, 1.0);
    eff->memory = clampd(round(eff->memory * 1e4) / 1e4, 1e-4, 1.0);
    eff->overhead_s = (double)llround(eff->overhead_s * 1e6) / 1e6;
    struct sl_perf_spec s = *spec;
    s.eff = *eff;
    return sl_calib_eval(pts, n, &s, err, d);
}

/* ---- the CSV reader ---- */

enum col {
    COL_MODEL,
    COL_DEVICE,
    COL_TP,
    COL_BATCH,
    COL_PROMPT,
    COL_OUTPUT,
    COL_PREFILL,
    COL_DECODE,
    COL_WEIGHTS,
    COL_KV,
    COL_COUNT
};
#define COL_REQUIRED COL_WEIGHTS /* columns before this one must be present */

static const char *const col_names[COL_COUNT] = {"model",
                                                 "device",
                                                 "tp",
                                                 "batch",
                                                 "prompt_tokens",
                                                 "output_tokens",
                                                 "prefill_ms",
                                                 "decode_ms_per_token",
                                                 "weights",
                                                 "kv"};

/* One field of the current line: text copied into buf, its 1-based column. */
struct field {
    char buf[FIELD_MAX + 1];
    int col;
};

struct reader {
    const char *name;
    const char *p, *end;
    int line;
    struct field *fields;
    size_t nfields, cap;
    struct sl_diag *d;
};

static int is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Splits the line at r->p into r->fields and moves r->p past it.  Sets
 * *skip for a blank or comment line.  Fields are trimmed of spaces
 * outside quotes; "" inside quotes is one quote. */
static int read_line(struct reader *r, int *skip)
{
    const char *ls = r->p, *le = memchr(r->p, '\n', (size_t)(r->end - r->p));
    if (!le)
        le = r->end;
    r->p = le < r->end ? le + 1 : le;
    r->line++;
    r->nfields = 0;
    const char *q = ls;
    while (q < le && is_blank((unsigned char)*q))
        q++;
    *skip = q == le || *q == '#';
    if (*skip)
        return SL_OK;
    q = ls;
    for (;;) {
        if (r->nfields == r->cap) {
            size_t nc = r->cap ? 2 * r->cap : 16;
            struct field *nf = sl_reallocarray(r->fields, nc, sizeof *nf);
            if (!nf)
                return sl_diag_set(r->d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            r->fields = nf;
            r->cap = nc;
        }
        struct field *f = &r->fields[r->nfields++];
        size_t len = 0;
        while (q < le && is_blank((unsigned char)*q))
            q++;
        f->col = (int)(q - ls) + 1;
        if (q < le && *q == '"') {
            q++;
            for (;;) {
                if (q >= le)
                    return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f->col,
                                       "unterminated quoted field");
                if (*q == '"' && q + 1 < le && q[1] == '"')
                    q++;
                else if (*q == '"')
                    break;
                if (len == FIELD_MAX)
                    return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f->col,
                                       "field longer than %d characters", FIELD_MAX);
                f->buf[len++] = *q++;
            }
            q++;
            while (q < le && is_blank((unsigned char)*q))
                q++;
            if (q < le && *q != ',')
                return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, (int)(q - ls) + 1,
                                   "expected ',' after a quoted field");
        } else {
            const char *fe = q;
            while (fe < le && *fe != ',')
                fe++;
            const char *te = fe;
            while (te > q && is_blank((unsigned char)te[-1]))
                te--;
            if (te - q > FIELD_MAX)
                return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f->col,
                                   "field longer than %d characters", FIELD_MAX);
            len = (size_t)(te - q);
            memcpy(f->buf, q, len);
            q = fe;
        }
        f->buf[len] = '\0';
        if (q >= le)
            break;
        q++; /* the comma */
    }
    return SL_OK;
}

static int parse_count(struct reader *r, const struct field *f, const char *col, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(f->buf, &end, 10);
    if (!f->buf[0] || *end || errno || v < 1)
        return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f->col,
                           "'%s' expects a positive whole number, got '%s'", col, f->buf);
    *out = v;
    return SL_OK;
}

static int parse_ms(struct reader *r, const struct field *f, const char *col, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(f->buf, &end);
    if (!f->buf[0] || *end || errno || !isfinite(v) || !(v > 0))
        return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f->col,
                           "'%s' expects a positive number of milliseconds, got '%s'", col, f->buf);
    *out = v;
    return SL_OK;
}

static int parse_prec(struct reader *r, const struct field *f, const char *col, int *out)
{
    for (int i = 0; sl_precision_names[i]; i++)
        if (strcmp(f->buf, sl_precision_names[i]) == 0) {
            *out = i;
            return SL_OK;
        }
    return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f->col,
                       "'%s' expects fp16, int8, fp8 or int4, got '%s'", col, f->buf);
}

static int add_point(struct sl_calib_set *s, const struct reader *r, const int *idx,
                     const struct sl_calib_point *pt, int64_t tp)
{
    const struct field *fm = &r->fields[idx[COL_MODEL]], *fd = &r->fields[idx[COL_DEVICE]];
    struct sl_calib_group *g = NULL;
    for (size_t i = 0; i < s->n && !g; i++)
        if (s->groups[i].tp == tp && strcmp(s->groups[i].model, fm->buf) == 0 &&
            strcmp(s->groups[i].device, fd->buf) == 0)
            g = &s->groups[i];
    if (!g) {
        if (s->n == s->cap) {
            size_t nc = s->cap ? 2 * s->cap : 4;
            struct sl_calib_group *ng = sl_reallocarray(s->groups, nc, sizeof *ng);
            if (!ng)
                return sl_diag_set(r->d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            s->groups = ng;
            s->cap = nc;
        }
        g = &s->groups[s->n];
        memset(g, 0, sizeof *g);
        g->model = sl_strdup(fm->buf);
        g->device = sl_strdup(fd->buf);
        if (!g->model || !g->device) {
            sl_free(g->model);
            sl_free(g->device);
            return sl_diag_set(r->d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        }
        g->tp = tp;
        g->line = r->line;
        g->model_col = fm->col;
        g->device_col = fd->col;
        s->n++;
    }
    for (size_t i = 0; i < g->n; i++) {
        struct sl_calib_point *q = &g->points[i];
        if (q->batch == pt->batch && q->prompt_tokens == pt->prompt_tokens &&
            q->output_tokens == pt->output_tokens && q->weights == pt->weights && q->kv == pt->kv) {
            /* Sums until the end of the file, then means. */
            q->prefill_ms += pt->prefill_ms;
            q->decode_ms_per_token += pt->decode_ms_per_token;
            q->rows++;
            return SL_OK;
        }
    }
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 8;
        struct sl_calib_point *np = sl_reallocarray(g->points, nc, sizeof *np);
        if (!np)
            return sl_diag_set(r->d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        g->points = np;
        g->cap = nc;
    }
    g->points[g->n++] = *pt;
    return SL_OK;
}

/* Reads the data row in r->fields against the header's column map. */
static int read_row(struct sl_calib_set *s, struct reader *r, const int *idx, size_t ncols)
{
    if (r->nfields != ncols)
        return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, 1,
                           "expected %zu fields as in the header, got %zu", ncols, r->nfields);
    const struct field *f = r->fields;
    for (int c = COL_MODEL; c <= COL_DEVICE; c++)
        if (!f[idx[c]].buf[0])
            return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, f[idx[c]].col, "'%s' is empty",
                               col_names[c]);
    struct sl_calib_point pt;
    memset(&pt, 0, sizeof pt);
    int64_t tp;
    int rc;
    if ((rc = parse_count(r, &f[idx[COL_TP]], "tp", &tp)) ||
        (rc = parse_count(r, &f[idx[COL_BATCH]], "batch", &pt.batch)) ||
        (rc = parse_count(r, &f[idx[COL_PROMPT]], "prompt_tokens", &pt.prompt_tokens)) ||
        (rc = parse_count(r, &f[idx[COL_OUTPUT]], "output_tokens", &pt.output_tokens)) ||
        (rc = parse_ms(r, &f[idx[COL_PREFILL]], "prefill_ms", &pt.prefill_ms)) ||
        (rc = parse_ms(r, &f[idx[COL_DECODE]], "decode_ms_per_token", &pt.decode_ms_per_token)))
        return rc;
    pt.weights = SL_PREC_FP16;
    pt.kv = SL_PREC_FP16;
    if (idx[COL_WEIGHTS] >= 0 && (rc = parse_prec(r, &f[idx[COL_WEIGHTS]], "weights", &pt.weights)))
        return rc;
    if (idx[COL_KV] >= 0 && (rc = parse_prec(r, &f[idx[COL_KV]], "kv", &pt.kv)))
        return rc;
    pt.rows = 1;
    pt.line = r->line;
    s->rows++;
    return add_point(s, r, idx, &pt, tp);
}

static int parse_header(struct reader *r, int *idx)
{
    for (int c = 0; c < COL_COUNT; c++)
        idx[c] = -1;
    for (size_t i = 0; i < r->nfields; i++)
        for (int c = 0; c < COL_COUNT; c++) {
            if (strcmp(r->fields[i].buf, col_names[c]) != 0)
                continue;
            if (idx[c] >= 0)
                return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, r->fields[i].col,
                                   "column '%s' appears twice in the header", col_names[c]);
            idx[c] = (int)i;
        }
    for (int c = 0; c < COL_REQUIRED; c++)
        if (idx[c] < 0)
            return sl_diag_set(r->d, SL_EINVAL, r->name, r->line, 1,
                               "the header has no column '%s' (needs model, device, tp, batch, "
                               "prompt_tokens, output_tokens, prefill_ms, decode_ms_per_token)",
                               col_names[c]);
    return SL_OK;
}

void sl_calib_set_release(struct sl_calib_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        sl_free(s->groups[i].model);
        sl_free(s->groups[i].device);
        sl_free(s->groups[i].points);
    }
    sl_free(s->groups);
    sl_free(s->path);
    memset(s, 0, sizeof *s);
}

int sl_calib_csv_parse(const char *text, size_t len, const char *name, struct sl_calib_set *out,
                       struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct reader r = {name, text, text + len, 0, NULL, 0, 0, d};
    int idx[COL_COUNT];
    size_t ncols = 0;
    int rc = SL_OK, have_header = 0;
    if (memchr(text, '\0', len))
        rc = sl_diag_set(d, SL_EINVAL, name, 0, 0, "not a text file (contains a NUL byte)");
    /* A UTF-8 byte order mark (spreadsheets write one) is not part of the
     * first column's name. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    while (rc == SL_OK && r.p < r.end) {
        int skip;
        if ((rc = read_line(&r, &skip)) != SL_OK || skip)
            continue;
        if (!have_header) {
            rc = parse_header(&r, idx);
            ncols = r.nfields;
            have_header = 1;
        } else {
            rc = read_row(out, &r, idx, ncols);
        }
    }
    if (rc == SL_OK && out->rows == 0)
        rc = sl_diag_set(d, SL_EINVAL, name, r.line ? r.line : 1, 1,
                         have_header ? "no measurements after the header"
                                     : "the file is empty (expected a CSV header)");
    if (rc == SL_OK && !(out->path = sl_strdup(name)))
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    sl_free(r.fields);
    if (rc != SL_OK) {
        sl_calib_set_release(out);
        return rc;
    }
    for (size_t i = 0; i < out->n; i++)
        for (size_t k = 0; k < out->groups[i].n; k++) {
            struct sl_calib_point *p = &out->groups[i].points[k];
            p->prefill_ms /= (double)p->rows;
            p->decode_ms_per_token /= (double)p->rows;
        }
    return SL_OK;
}

int sl_calib_csv_load(const char *path, struct sl_calib_set *out, struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "is a directory, not a measurement file");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_diag_set(d, errno == ENOENT ? SL_ENOENT : SL_EIO, path, 0, 0,
                           "cannot open measurement file: %s", strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = SL_OK;
    for (;;) {
        if (cap - len < 4096) {
            size_t nc = cap ? 2 * cap : 65536;
            char *nb = sl_realloc(buf, nc);
            if (!nb) {
                rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = sl_diag_set(d, SL_EIO, path, 0, 0, "cannot read measurement file: %s",
                                 strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == SL_OK)
        rc = sl_calib_csv_parse(buf, len, path, out, d);
    sl_free(buf);
    return rc;
}

/* ---- the profile ---- */

/* Writes name as a YAML scalar: plain when it is a simple catalog name,
 * double-quoted otherwise. */
static void emit_name(FILE *f, const char *name)
{
    int plain = name[0] != '\0' && name[0] != '-';
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '-' || *p == '_' || *p == '.';
    if (plain) {
        fputs(name, f);
        return;
    }
    fputc('"', f);
    for (const char *p = name; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

int sl_calib_profile_write(const char *path, const char *source,
                           const struct sl_perf_profile_entry *entries, size_t n, struct sl_diag *d)
{
    struct sl_outfile o;
    int rc = sl_outfile_open(&o, path, d);
    if (rc != SL_OK)
        return rc;
    fputs("# suanli perf calibrate: efficiency factors fitted to ", o.f);
    for (const char *p = source; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, o.f);
    fputs("\nprofile:\n", o.f);
    for (size_t i = 0; i < n; i++) {
        const struct sl_perf_profile_entry *e = &entries[i];
        char tbuf[64];
        int64_t us = (int64_t)llround(e->overhead_s * 1e6);
        fputs("  - model: ", o.f);
        emit_name(o.f, e->model);
        fputs("\n    device: ", o.f);
        emit_name(o.f, e->device);
        fprintf(o.f, "\n    tp: %lld\n", (long long)e->tp);
        fprintf(o.f, "    compute: %.4g\n", e->compute);
        fprintf(o.f, "    memory: %.4g\n", e->memory);
        fprintf(o.f, "    overhead: %s\n", sl_unit_format_time_us(us, tbuf, sizeof tbuf));
        fprintf(o.f, "    prefill_mape: %.1f %%\n", e->prefill_mape);
        fprintf(o.f, "    decode_mape: %.1f %%\n", e->decode_mape);
        fprintf(o.f, "    points: %lld\n", (long long)e->points);
    }
    return sl_outfile_commit(&o, d);
}
