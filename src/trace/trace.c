/*
 * Readers of request traces and rate traces (include/suanli/trace.h).
 *
 * A trace file (a regular file of at most SL_LIMIT(SL_LIM_TRACE_BYTES)
 * bytes, examined with stat before the open and fstat after, opened
 * non-blocking, so a FIFO, a device or a folder is refused at once) is read
 * in 64 KB chunks through one buffer that grows only for a longer line,
 * cut into lines with memchr and parsed with hand-written field scanners
 * (lines.c): no stdio, no per-row allocation, and strtod only for numbers
 * with a fraction or an exponent.  This file holds the trace under
 * construction, the Azure reader, detection and the entry points;
 * mooncake.c and servegen.c the other formats (internals in
 * trace_int.h).  The 19,366-row Azure conversation trace (719 KB) reads in
 * about 2 ms (bench/bench_trace).  Lines may end in "\n" or "\r\n" (the
 * Azure files use CRLF); a UTF-8 byte order mark is skipped, UTF-16
 * refused; blank lines are ignored anywhere.
 *
 * Formats.
 *   - Azure LLM inference 2023: a header naming the columns TIMESTAMP,
 *     ContextTokens and GeneratedTokens (any order, other columns ignored)
 *     and rows with as many fields as the header.  TIMESTAMP is a civil
 *     date and time `YYYY-MM-DD HH:MM:SS[.fraction][zone]` (a `T` may
 *     replace the space; up to 9 fraction digits; years 1970 to 2200; zone
 *     Z or +HH:MM as the 2024 trace writes, else none), read to the
 *     nanosecond and rounded to the microsecond after the first request is
 *     subtracted.
 *   - Mooncake JSONL: one flat JSON object per line with "timestamp"
 *     (milliseconds, a number >= 0), "input_length" and "output_length"
 *     (integers) and optionally "hash_ids" (an array of integers in [0,
 *     2^32)).  The scanner checks the JSON grammar of the line strictly
 *     (strings with valid escapes, numbers as RFC 8259 writes them, no
 *     trailing commas, nothing after the object); other keys may hold
 *     numbers, strings, true/false/null or arrays of those, never a nested
 *     object; a key given twice is an error.  Hash ids go to the trace's
 *     pool in row order; each row keeps (hash_first, hash_n).
 *   - ServeGen rate CSV, no header: window_start_s, rate_rps, cv, dist,
 *     shape, scale.  dist is Gamma, Weibull, Exponential (any case) or
 *     empty.  A window with rate 0 has no law (dist 0 whatever the row
 *     says); a window with a positive rate and an empty dist is taken as
 *     Poisson (exponential gaps).  Gamma shapes must lie in [1e-3, 1e6],
 *     Weibull shapes in [0.05, 1e3] (the mean of a Weibull law with a
 *     smaller shape overflows), scales must be positive.  A folder is
 *     read as one client per `*-trace.csv` file in byte order of the
 *     names; other files are ignored.  The window length is the gap
 *     between the first two windows of the first client with two (600 s
 *     for ServeGen); a trace whose clients all have one window takes 600 s.
 *
 * Checks common to all: numbers are finite, token counts whole, >= 1 and
 * at most SL_LIMIT(SL_LIM_TRACE_TOKENS); times and rates non-negative and
 * within SL_LIMIT(SL_LIM_DURATION) and SL_LIMIT(SL_LIM_TRACE_RATE).  Any
 * malformed row is an SL_EINVAL naming file:line:column, what was wrong and
 * what was expected; with `lenient` such rows are skipped and counted in
 * `skipped` instead (a structural fault, such as a missing header column,
 * an empty trace or a limit, is an error either way).
 *
 * Order.  Rows out of time order are allowed: the reader sorts them by
 * time with a stable merge sort, so rows with the same timestamp keep
 * their file order (the replay is deterministic); request times are then
 * taken from the first request.  Windows of one client must have distinct
 * starts and are sorted the same way.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/alloc.h"
#include "suanli/calendar.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/trace.h"
#include "trace/trace_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const sl_trace_format_names[] = {"auto", "azure", "mooncake", "servegen", NULL};

#define AZURE_MAX_COLUMNS 64

/* ---- The trace being built --------------------------------------------- */

int sl__trace_row_fault(struct sl__trace_reader *r, int line, int col, const char *fmt, ...)
{
    if (r->lenient) {
        r->t->skipped++;
        return SL_OK;
    }
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_diag_set(r->d, SL_EINVAL, r->path, line, col, "%s", msg);
}

int sl__trace_limit_error(struct sl__trace_reader *r, int line, enum sl_limit_id id)
{
    char lim[200];
    return sl_diag_set(r->d, SL_EINVAL, r->path, line, 0, "%s", sl_limit_text(id, lim, sizeof lim));
}

int sl__trace_oom(struct sl__trace_reader *r)
{
    return sl_diag_set(r->d, SL_ENOMEM, r->path, 0, 0, "out of memory reading the trace");
}

/* Appends a request; its time is in the format's raw unit until
 * finish_requests. */
int sl__trace_reserve(void **items, size_t *cap, size_t n, size_t size, size_t first, double limit)
{
    if (n < *cap)
        return SL_OK;
    if ((double)n >= limit)
        return SL_ERANGE;
    size_t ncap = *cap ? *cap * 2 : first;
    if ((double)ncap > limit)
        ncap = (size_t)limit;
    void *ni = sl_reallocarray(*items, ncap, size);
    if (!ni)
        return SL_ENOMEM;
    *items = ni;
    *cap = ncap;
    return SL_OK;
}

/* Room for one more element of a reader's array, or the limit's or
 * allocation's error. */
static int reserve(struct sl__trace_reader *r, int line, void **items, size_t *cap, size_t n,
                   size_t size, size_t first, enum sl_limit_id id)
{
    int rc = sl__trace_reserve(items, cap, n, size, first, SL_LIMIT(id));
    if (rc == SL_ERANGE)
        return sl__trace_limit_error(r, line, id);
    if (rc == SL_ENOMEM)
        return sl__trace_oom(r);
    return SL_OK;
}

int sl__trace_push_req(struct sl__trace_reader *r, int line, const struct sl_trace_req *q)
{
    struct sl_trace *t = r->t;
    void *items = t->req;
    int rc =
        reserve(r, line, &items, &r->cap_req, t->n_req, sizeof *t->req, 1024, SL_LIM_TRACE_ROWS);
    t->req = items;
    if (rc == SL_OK)
        t->req[t->n_req++] = *q;
    return rc;
}

int sl__trace_push_hash(struct sl__trace_reader *r, int line, uint32_t id)
{
    struct sl_trace *t = r->t;
    void *items = t->hash;
    int rc = reserve(r, line, &items, &r->cap_hash, t->n_hash, sizeof *t->hash, 4096,
                     SL_LIM_TRACE_HASHES);
    t->hash = items;
    if (rc == SL_OK)
        t->hash[t->n_hash++] = id;
    return rc;
}

int sl__trace_push_window(struct sl__trace_reader *r, int line, const struct sl_trace_window *w)
{
    struct sl_trace *t = r->t;
    void *items = t->windows;
    int rc = reserve(r, line, &items, &r->cap_win, t->n_windows, sizeof *t->windows, 4096,
                     SL_LIM_TRACE_ROWS);
    t->windows = items;
    if (rc == SL_OK)
        t->windows[t->n_windows++] = *w;
    return rc;
}

/* The time of element i of an array of records of size bytes that start
 * with their int64_t t_us (struct sl_trace_req, struct sl_trace_window). */
static int64_t time_of(const unsigned char *base, size_t i, size_t size)
{
    int64_t t;
    memcpy(&t, base + i * size, sizeof t);
    return t;
}

/* Stable merge sort by t_us (bottom-up, with a scratch copy) of n records
 * of size bytes, each starting with its int64_t t_us.  O(n) when already
 * sorted; SL_OK or SL_ENOMEM. */
int sl__trace_sort_by_time(void *records, size_t n, size_t size)
{
    unsigned char *a = records;
    size_t i;
    for (i = 1; i < n && time_of(a, i - 1, size) <= time_of(a, i, size); i++)
        ;
    if (i >= n)
        return SL_OK;
    unsigned char *tmp = sl_reallocarray(NULL, n, size);
    if (!tmp)
        return SL_ENOMEM;
    unsigned char *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, k = lo;
            while (x < mid || y < hi) {
                int take_y = y < hi && (x >= mid || time_of(src, y, size) < time_of(src, x, size));
                memcpy(dst + k++ * size, src + (take_y ? y++ : x++) * size, size);
            }
        }
        unsigned char *s = src;
        src = dst;
        dst = s;
    }
    if (src != a)
        memcpy(a, src, n * size);
    sl_free(tmp);
    return SL_OK;
}

/* Sorts the requests and makes their times relative to the first, dividing
 * raw times by div (rounded half up; raw times are >= 0). */
int sl__trace_finish_requests(struct sl__trace_reader *r, int64_t div)
{
    struct sl_trace *t = r->t;
    if (t->n_req == 0 && t->skipped)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "no valid request rows (%zu malformed rows skipped; expected at "
                           "least one request)",
                           t->skipped);
    if (t->n_req == 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "the trace has no requests (expected at least one row)");
    if (sl__trace_sort_by_time(t->req, t->n_req, sizeof *t->req) != SL_OK)
        return sl__trace_oom(r);
    int64_t t0 = t->req[0].t_us;
    for (size_t i = 0; i < t->n_req; i++) {
        int64_t x = t->req[i].t_us - t0;
        t->req[i].t_us = div == 1 ? x : (x + div / 2) / div;
    }
    t->span_us = t->req[t->n_req - 1].t_us;
    return SL_OK;
}

/* Checks a token count field; returns SL_OK with *out, or a row fault
 * (*out 0 when skipped). */
static int token_field(struct sl__trace_reader *r, int line, const struct sl__trace_field *f,
                       const char *name, int32_t *out)
{
    int64_t v = 0;
    *out = 0;
    switch (sl__trace_parse_count(f->s, f->e, SL_LIMIT(SL_LIM_TRACE_TOKENS), &v)) {
    case SL__NUM_OK:
        if (v < 1)
            return sl__trace_row_fault(r, line, f->col,
                                       "%s is 0: a request has at least one token (expected an "
                                       "integer >= 1)",
                                       name);
        *out = (int32_t)v;
        return SL_OK;
    case SL__NUM_EMPTY:
        return sl__trace_row_fault(r, line, f->col, "%s is empty (expected an integer >= 1)", name);
    case SL__NUM_NEGATIVE:
        return sl__trace_row_fault(r, line, f->col,
                                   "%s " FIELD_FMT " is negative (expected an integer >= 1)", name,
                                   FIELD_ARGS(f));
    case SL__NUM_FRACTION:
        return sl__trace_row_fault(
            r, line, f->col, "%s " FIELD_FMT " is not a whole number (expected an integer >= 1)",
            name, FIELD_ARGS(f));
    case SL__NUM_RANGE: {
        char lim[200];
        return sl__trace_row_fault(r, line, f->col, "%s " FIELD_FMT ": %s", name, FIELD_ARGS(f),
                                   sl_limit_text(SL_LIM_TRACE_TOKENS, lim, sizeof lim));
    }
    default:
        return sl__trace_row_fault(r, line, f->col,
                                   "%s " FIELD_FMT " is not a number (expected an integer >= 1)",
                                   name, FIELD_ARGS(f));
    }
}

/* ---- Azure ------------------------------------------------------------- */

/* Reads n digits at *p as a number; returns -1 if any is not a digit. */
static int digits(const char **p, const char *e, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= e || !sl__trace_is_digit(**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Parses `YYYY-MM-DD HH:MM:SS[.fraction][zone]` into nanoseconds since
 * 1970; zone is Z or +HH:MM / -HH:MM (the Azure trace of 2024 writes
 * +00:00), taken away to give UTC. */
static int parse_datetime_ns(const char *s, const char *e, int64_t *out)
{
    const char *p = s;
    int y = digits(&p, e, 4);
    if (y < 0 || p >= e || *p++ != '-')
        return -1;
    int mo = digits(&p, e, 2);
    if (mo < 0 || p >= e || *p++ != '-')
        return -1;
    int da = digits(&p, e, 2);
    if (da < 0 || p >= e || (*p != ' ' && *p != 'T'))
        return -1;
    p++;
    int h = digits(&p, e, 2);
    if (h < 0 || p >= e || *p++ != ':')
        return -1;
    int mi = digits(&p, e, 2);
    if (mi < 0 || p >= e || *p++ != ':')
        return -1;
    int se = digits(&p, e, 2);
    if (se < 0)
        return -1;
    int64_t ns = 0;
    if (p < e && *p == '.') {
        p++;
        int nd = 0;
        for (; p < e && sl__trace_is_digit(*p); p++, nd++)
            if (nd < 9)
                ns = ns * 10 + (*p - '0');
        if (nd == 0)
            return -1;
        for (; nd < 9; nd++)
            ns *= 10;
    }
    int zone_s = 0;
    if (p < e && *p == 'Z') {
        p++;
    } else if (p < e && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1;
        int zh = digits(&p, e, 2);
        if (zh < 0 || p >= e || *p++ != ':')
            return -1;
        int zm = digits(&p, e, 2);
        if (zm < 0)
            return -1;
        if (zh > 14 || zm > 59)
            return -2;
        zone_s = sign * (zh * 3600 + zm * 60);
    }
    if (p != e)
        return -1;
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || da < 1 || da > sl_days_in_month(y, mo) ||
        h > 23 || mi > 59 || se > 59)
        return -2;
    int64_t days = sl_days_from_civil(y, mo, da);
    int64_t sec = days * 86400 + h * 3600 + mi * 60 + se - zone_s;
    *out = sec * INT64_C(1000000000) + ns;
    return 0;
}

int sl__trace_name_is(const struct sl__trace_field *f, const char *name)
{
    size_t n = strlen(name);
    if ((size_t)(f->e - f->s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = f->s[i], b = name[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static int read_azure(struct sl__trace_reader *r, struct sl__trace_lines *ls)
{
    struct sl__trace_field f[AZURE_MAX_COLUMNS];
    int ncol = 0, c_ts = -1, c_in = -1, c_out = -1, k;
    while ((k = sl__trace_next_line(ls)) > 0) {
        if (sl__trace_blank(ls->p, ls->end))
            continue;
        ncol = sl__trace_split(ls->p, ls->p, ls->end, f, AZURE_MAX_COLUMNS);
        if (ncol > AZURE_MAX_COLUMNS)
            return sl_diag_set(r->d, SL_EINVAL, r->path, ls->line, 0,
                               "the header has %d columns (expected at most %d)", ncol,
                               AZURE_MAX_COLUMNS);
        for (int i = 0; i < ncol; i++) {
            if (sl__trace_name_is(&f[i], "TIMESTAMP"))
                c_ts = i;
            else if (sl__trace_name_is(&f[i], "ContextTokens"))
                c_in = i;
            else if (sl__trace_name_is(&f[i], "GeneratedTokens"))
                c_out = i;
        }
        break;
    }
    if (k < 0)
        return sl__trace_lines_error(ls, r->d);
    if (ncol == 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "the trace file is empty (expected the header "
                           "TIMESTAMP,ContextTokens,GeneratedTokens and one row per request)");
    if (c_ts < 0 || c_in < 0 || c_out < 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, ls->line, 1,
                           "the header lacks the column %s (expected the columns TIMESTAMP, "
                           "ContextTokens and GeneratedTokens of the Azure LLM inference trace)",
                           c_ts < 0   ? "TIMESTAMP"
                           : c_in < 0 ? "ContextTokens"
                                      : "GeneratedTokens");
    int rc;
    while ((k = sl__trace_next_line(ls)) > 0) {
        if (sl__trace_blank(ls->p, ls->end))
            continue;
        int n = sl__trace_split(ls->p, ls->p, ls->end, f, AZURE_MAX_COLUMNS);
        if (n != ncol) {
            if ((rc = sl__trace_row_fault(
                     r, ls->line, 0,
                     "the row has %d comma-separated fields (expected %d, as in the "
                     "header)",
                     n, ncol)) != SL_OK)
                return rc;
            continue;
        }
        struct sl_trace_req q = {0, 0, 0, 0, 0};
        int pt = parse_datetime_ns(f[c_ts].s, f[c_ts].e, &q.t_us);
        if (pt != 0) {
            if ((rc = sl__trace_row_fault(r, ls->line, f[c_ts].col,
                                          pt == -1
                                              ? "TIMESTAMP " FIELD_FMT
                                                " is not a date and time (expected YYYY-MM-DD "
                                                "HH:MM:SS[.fraction][+HH:MM])"
                                              : "TIMESTAMP " FIELD_FMT
                                                " is not a valid date and time (expected a year in "
                                                "1970-2200, a real day, hours 0-23, minutes and "
                                                "seconds 0-59)",
                                          FIELD_ARGS(&f[c_ts]))) != SL_OK)
                return rc;
            continue;
        }
        size_t skipped = r->t->skipped;
        if ((rc = token_field(r, ls->line, &f[c_in], "ContextTokens", &q.prompt)) != SL_OK)
            return rc;
        if (r->t->skipped != skipped)
            continue;
        if ((rc = token_field(r, ls->line, &f[c_out], "GeneratedTokens", &q.output)) != SL_OK)
            return rc;
        if (r->t->skipped != skipped)
            continue;
        if ((rc = sl__trace_push_req(r, ls->line, &q)) != SL_OK)
            return rc;
    }
    if (k < 0)
        return sl__trace_lines_error(ls, r->d);
    return sl__trace_finish_requests(r, 1000);
}

/* ---- Summary ----------------------------------------------------------- */

/* Mean and standard deviation (n - 1) by Welford's recurrence. */
struct moments {
    double n, mean, m2;
};

static void moments_add(struct moments *m, double x)
{
    m->n += 1;
    double dx = x - m->mean;
    m->mean += dx / m->n;
    m->m2 += dx * (x - m->mean);
}

static double moments_sd(const struct moments *m, double ddof)
{
    return m->n > ddof ? sqrt(m->m2 / (m->n - ddof)) : 0;
}

void sl_trace_stats(const struct sl_trace *t, struct sl_trace_stats *out)
{
    memset(out, 0, sizeof *out);
    if (t->n_req == 0) {
        /* The harmonic integrates rate x cos over each window, taken at
         * its midpoint as scripts/fit_traces.py does. */
        const double day_s = 86400, w = 2 * 3.14159265358979323846 / day_s;
        double period = 0, count = 0, hc = 0, hs = 0;
        double win = (double)t->window_us / 1e6;
        for (size_t c = 0; c < t->n_clients; c++)
            for (size_t i = t->window_first[c]; i < t->window_first[c + 1]; i++) {
                double s = (double)t->windows[i].t_us / 1e6;
                double e =
                    i + 1 < t->window_first[c + 1] ? (double)t->windows[i + 1].t_us / 1e6 : s + win;
                double x = t->windows[i].rate * (e - s);
                double phase = w * fmod(0.5 * (s + e), day_s);
                count += x;
                hc += x * cos(phase);
                hs += x * sin(phase);
                if (e > period)
                    period = e;
            }
        out->n = t->n_windows;
        out->span_s = period;
        out->rate = period > 0 ? count / period : 0;
        if (count > 0) {
            out->diurnal = 2 * hypot(hc, hs) / count;
            double p = atan2(hs, hc) / w;
            out->peak_time_s = p < 0 ? p + day_s : p;
        }
        return;
    }
    struct moments gap = {0, 0, 0}, lp = {0, 0, 0}, lo = {0, 0, 0};
    double sp = 0, so = 0;
    for (size_t i = 0; i < t->n_req; i++) {
        const struct sl_trace_req *q = &t->req[i];
        if (i > 0)
            moments_add(&gap, (double)(q->t_us - t->req[i - 1].t_us) / 1e6);
        moments_add(&lp, log((double)q->prompt));
        moments_add(&lo, log((double)q->output));
        sp += q->prompt;
        so += q->output;
        if (q->prompt > out->prompt_max)
            out->prompt_max = q->prompt;
        if (q->output > out->output_max)
            out->output_max = q->output;
    }
    double n = (double)t->n_req;
    out->n = t->n_req;
    out->span_s = (double)t->span_us / 1e6;
    out->rate = out->span_s > 0 ? (n - 1) / out->span_s : 0;
    out->gap_cv = gap.mean > 0 ? moments_sd(&gap, 0) / gap.mean : 0;
    out->prompt_mean = sp / n;
    out->output_mean = so / n;
    out->prompt_mu = lp.mean;
    out->output_mu = lo.mean;
    out->prompt_sigma = moments_sd(&lp, 1);
    out->output_sigma = moments_sd(&lo, 1);
}

/* ---- Detection and the entry points ------------------------------------ */

/* Guesses the format from the first non-blank line among the bytes read
 * so far (a partial last line counts as a line); sets *empty when those
 * bytes are all white space. */
static int detect(const char *buf, size_t len, int *empty)
{
    const char *p = buf, *stop = buf + len;
    *empty = 1;
    while (p < stop) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *e = nl ? nl : stop;
        const char *next = nl ? nl + 1 : stop;
        if (e > p && e[-1] == '\r')
            e--;
        const char *q = p;
        while (q < e && sl__trace_is_space(*q))
            q++;
        if (q == e) {
            p = next;
            continue;
        }
        *empty = 0;
        if (*q == '{')
            return SL_TRACE_MOONCAKE;
        struct sl__trace_field f[AZURE_MAX_COLUMNS];
        int n = sl__trace_split(p, p, e, f, AZURE_MAX_COLUMNS);
        for (int i = 0; i < n && i < AZURE_MAX_COLUMNS; i++)
            if (sl__trace_name_is(&f[i], "TIMESTAMP") || sl__trace_name_is(&f[i], "ContextTokens"))
                return SL_TRACE_AZURE;
        return n == 6 ? SL_TRACE_SERVEGEN : SL_TRACE_AUTO;
    }
    return SL_TRACE_AUTO;
}

void sl_trace_release(struct sl_trace *t)
{
    if (!t)
        return;
    sl_free(t->path);
    sl_free(t->req);
    sl_free(t->hash);
    sl_free(t->windows);
    sl_free(t->window_first);
    memset(t, 0, sizeof *t);
}

int sl_trace_read(const char *path, int format, int lenient, struct sl_trace *out,
                  struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    if (format < SL_TRACE_AUTO || format >= SL_TRACE_FORMAT_COUNT)
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "unknown trace format %d", format);
    struct sl__trace_reader r = {path, lenient, d, out, 0, 0, 0};
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (format != SL_TRACE_AUTO && format != SL_TRACE_SERVEGEN)
            return sl_diag_set(d, SL_EINVAL, path, 0, 0,
                               "a folder (expected a %s trace file; only a ServeGen rate "
                               "trace may be a folder of *-trace.csv files)",
                               sl_trace_format_names[format]);
        out->format = SL_TRACE_SERVEGEN;
        int rc = sl__trace_read_servegen_dir(&r);
        if (rc == SL_OK && !(out->path = sl_strdup(path)))
            rc = sl__trace_oom(&r);
        if (rc != SL_OK) {
            sl_trace_release(out);
            return rc;
        }
        sl__trace_finish_windows(out);
        return SL_OK;
    }
    struct sl__trace_lines ls;
    int rc = sl__trace_lines_open(&ls, path, d);
    if (rc != SL_OK)
        return rc;
    rc = sl__trace_lines_start(&ls, d);
    if (rc == SL_OK && format == SL_TRACE_AUTO) {
        int empty;
        format = detect(ls.buf + ls.pos, ls.len - ls.pos, &empty);
        if (format == SL_TRACE_AUTO)
            rc = sl_diag_set(d, SL_EINVAL, path, empty ? 0 : 1, 0,
                             empty ? "the trace file is empty (expected an Azure CSV, Mooncake "
                                     "JSONL or ServeGen rate CSV)"
                                   : "cannot tell the trace format (expected a CSV header with "
                                     "TIMESTAMP,ContextTokens,GeneratedTokens for Azure, a JSON "
                                     "object per line for Mooncake, or six columns "
                                     "window_start_s,rate_rps,cv,dist,shape,scale for ServeGen); "
                                     "name the format");
    }
    if (rc != SL_OK) {
        sl__trace_lines_close(&ls);
        return rc;
    }
    out->format = format;
    if (format == SL_TRACE_AZURE) {
        /* Rows of the Azure files are ~37 bytes: one allocation for all;
         * pages of the guess never written are never touched. */
        size_t guess = ls.size / 24 + 16;
        if ((double)guess > SL_LIMIT(SL_LIM_TRACE_ROWS))
            guess = (size_t)SL_LIMIT(SL_LIM_TRACE_ROWS);
        out->req = sl_reallocarray(NULL, guess, sizeof *out->req);
        r.cap_req = out->req ? guess : 0;
        rc = read_azure(&r, &ls);
    } else if (format == SL_TRACE_MOONCAKE) {
        /* A hash id takes at least 2 bytes ("7,"), ~8 in the real traces. */
        size_t guess = ls.size / 6 + 16;
        if ((double)guess > SL_LIMIT(SL_LIM_TRACE_HASHES))
            guess = (size_t)SL_LIMIT(SL_LIM_TRACE_HASHES);
        out->hash = sl_reallocarray(NULL, guess, sizeof *out->hash);
        r.cap_hash = out->hash ? guess : 0;
        rc = sl__trace_read_mooncake(&r, &ls);
    } else {
        rc = sl__trace_read_servegen_file(&r, &ls);
        if (rc == SL_OK) {
            out->window_first = sl_calloc(2, sizeof *out->window_first);
            if (!out->window_first) {
                rc = sl__trace_oom(&r);
            } else {
                out->n_clients = 1;
                out->window_first[1] = out->n_windows;
                sl__trace_finish_windows(out);
            }
        }
    }
    sl__trace_lines_close(&ls);
    if (rc == SL_OK && !(out->path = sl_strdup(path)))
        rc = sl__trace_oom(&r);
    if (rc != SL_OK) {
        sl_trace_release(out);
        return rc;
    }
    return SL_OK;
}
