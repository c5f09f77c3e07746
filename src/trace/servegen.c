/*
 * The ServeGen rate-trace reader (format in trace.c's opening comment): a
 * CSV file without header is one client; a folder is one client per
 * *-trace.csv file, in byte order of the names.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/trace.h"
#include "trace/trace_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVEGEN_DEFAULT_WINDOW_US INT64_C(600000000)

/* ---- ServeGen ---------------------------------------------------------- */

static int dist_of(const struct sl__trace_field *f)
{
    if (f->s == f->e)
        return 0;
    if (sl__trace_name_is(f, "gamma"))
        return 1;
    if (sl__trace_name_is(f, "weibull"))
        return 2;
    if (sl__trace_name_is(f, "exponential"))
        return 3;
    return -1;
}

static const char *const servegen_names[6] = {"window_start_s", "rate_rps", "cv",
                                              "dist",           "shape",    "scale"};

/* Reads one client's rows (appended to r->t->windows). */
static int read_servegen_rows(struct sl__trace_reader *r, struct sl__trace_lines *ls)
{
    struct sl__trace_field f[6];
    int rc, k;
    while ((k = sl__trace_next_line(ls)) > 0) {
        if (sl__trace_blank(ls->p, ls->end))
            continue;
        int n = sl__trace_split(ls->p, ls->p, ls->end, f, 6);
        if (n != 6) {
            if ((rc = sl__trace_row_fault(r, ls->line, 0,
                                          "the row has %d comma-separated fields (expected 6: "
                                          "window_start_s,rate_rps,cv,dist,shape,scale)",
                                          n)) != SL_OK)
                return rc;
            continue;
        }
        double v[6] = {0, 0, 0, 0, 0, 0};
        int bad = 0;
        for (int i = 0; i < 6 && !bad; i++) {
            if (i == 3)
                continue;
            enum sl__trace_num_fault nf = sl__trace_parse_real(f[i].s, f[i].e, &v[i]);
            if (nf == SL__NUM_OK)
                continue;
            bad = 1;
            if ((rc = sl__trace_row_fault(r, ls->line, f[i].col,
                                          "%s " FIELD_FMT " %s (expected a finite number >= 0)",
                                          servegen_names[i], FIELD_ARGS(&f[i]),
                                          nf == SL__NUM_NEGATIVE ? "is negative"
                                          : nf == SL__NUM_EMPTY  ? "is empty"
                                                                 : "is not a number")) != SL_OK)
                return rc;
        }
        if (bad)
            continue;
        int dist = dist_of(&f[3]);
        const char *why = NULL;
        int col = 0;
        if (v[0] > SL_LIMIT(SL_LIM_DURATION)) {
            why = "window_start_s is later than the duration limit (expected seconds from the "
                  "start of the trace)";
            col = f[0].col;
        } else if (v[1] > SL_LIMIT(SL_LIM_TRACE_RATE)) {
            why = "rate_rps is larger than the rate limit of 1e6 requests/s (expected a "
                  "request rate)";
            col = f[1].col;
        } else if (dist < 0) {
            why = "dist is not a known law (expected Gamma, Weibull, Exponential or empty)";
            col = f[3].col;
        } else if (v[1] > 0 && dist == 1 && (v[4] < 1e-3 || v[4] > 1e6)) {
            why = "the Gamma shape is outside [0.001, 1e6] (expected the shape of the "
                  "inter-arrival law)";
            col = f[4].col;
        } else if (v[1] > 0 && dist == 2 && (v[4] < 0.05 || v[4] > 1e3)) {
            why = "the Weibull shape is outside [0.05, 1000] (expected the shape of the "
                  "inter-arrival law)";
            col = f[4].col;
        } else if (v[1] > 0 && (dist == 1 || dist == 2) && !(v[5] > 0)) {
            why = "the scale is 0 (expected the positive scale of the inter-arrival law)";
            col = f[5].col;
        }
        if (why) {
            if ((rc = sl__trace_row_fault(r, ls->line, col, "%s", why)) != SL_OK)
                return rc;
            continue;
        }
        struct sl_trace_window w;
        w.t_us = llround(v[0] * 1e6);
        w.rate = v[1];
        w.cv = v[2];
        w.dist = v[1] > 0 ? (dist == 0 ? 3 : dist) : 0;
        w.shape = v[4];
        w.scale = v[5];
        if ((rc = sl__trace_push_window(r, ls->line, &w)) != SL_OK)
            return rc;
    }
    return k < 0 ? sl__trace_lines_error(ls, r->d) : SL_OK;
}

/* Reads one client's file (started) into the windows. */
int sl__trace_read_servegen_file(struct sl__trace_reader *r, struct sl__trace_lines *ls)
{
    size_t first = r->t->n_windows;
    int rc = read_servegen_rows(r, ls);
    if (rc != SL_OK)
        return rc;
    size_t n = r->t->n_windows - first;
    if (n == 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           r->t->skipped ? "no valid window rows (malformed rows skipped)"
                                         : "the rate trace is empty (expected rows "
                                           "window_start_s,rate_rps,cv,dist,shape,scale)");
    struct sl_trace_window *w = r->t->windows + first;
    if (sl__trace_sort_by_time(w, n, sizeof *w) != SL_OK)
        return sl__trace_oom(r);
    for (size_t i = 1; i < n; i++)
        if (w[i].t_us == w[i - 1].t_us)
            return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                               "two windows start at %.6g s (expected one row per window)",
                               (double)w[i].t_us / 1e6);
    return SL_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds one client read from path. */
static int servegen_client(struct sl__trace_reader *r, const char *path)
{
    struct sl__trace_lines ls;
    int rc = sl__trace_lines_open(&ls, path, r->d);
    if (rc != SL_OK)
        return rc;
    const char *saved = r->path;
    r->path = path;
    rc = sl__trace_lines_start(&ls, r->d);
    if (rc == SL_OK)
        rc = sl__trace_read_servegen_file(r, &ls);
    r->path = saved;
    sl__trace_lines_close(&ls);
    if (rc != SL_OK)
        return rc;
    struct sl_trace *t = r->t;
    size_t *nf = sl_reallocarray(t->window_first, t->n_clients + 2, sizeof *nf);
    if (!nf)
        return sl__trace_oom(r);
    t->window_first = nf;
    if (t->n_clients == 0)
        nf[0] = 0;
    t->n_clients++;
    nf[t->n_clients] = t->n_windows;
    return SL_OK;
}

int sl__trace_read_servegen_dir(struct sl__trace_reader *r)
{
    DIR *dir = opendir(r->path);
    if (!dir)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0, "cannot open the folder: %s",
                           strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = SL_OK;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (!ends_with(de->d_name, "-trace.csv"))
            continue;
        if ((double)n >= SL_LIMIT(SL_LIM_TRACE_FILES)) {
            rc = sl__trace_limit_error(r, 0, SL_LIM_TRACE_FILES);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = sl_reallocarray(names, ncap, sizeof *nn);
            if (!nn) {
                rc = sl__trace_oom(r);
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = sl_strdup(de->d_name))) {
            rc = sl__trace_oom(r);
            break;
        }
        n++;
    }
    closedir(dir);
    if (rc == SL_OK && n == 0)
        rc = sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                         "the folder has no *-trace.csv file (expected one ServeGen rate "
                         "trace per client)");
    if (rc == SL_OK) {
        qsort(names, n, sizeof *names, cmp_names);
        size_t plen = strlen(r->path);
        for (size_t i = 0; i < n && rc == SL_OK; i++) {
            size_t flen = plen + 1 + strlen(names[i]) + 1;
            char *p = sl_malloc(flen);
            if (!p) {
                rc = sl__trace_oom(r);
                break;
            }
            snprintf(p, flen, "%s/%s", r->path, names[i]);
            rc = servegen_client(r, p);
            sl_free(p);
        }
    }
    for (size_t i = 0; i < n; i++)
        sl_free(names[i]);
    sl_free(names);
    return rc;
}

/* The window length: the first gap between two windows of a client. */
void sl__trace_finish_windows(struct sl_trace *t)
{
    t->window_us = SERVEGEN_DEFAULT_WINDOW_US;
    for (size_t c = 0; c < t->n_clients; c++)
        if (t->window_first[c + 1] - t->window_first[c] >= 2) {
            size_t i = t->window_first[c];
            t->window_us = t->windows[i + 1].t_us - t->windows[i].t_us;
            break;
        }
}
