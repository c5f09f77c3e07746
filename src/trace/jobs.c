/*
 * Readers of training job traces (include/suanli/jobs.h).
 *
 * A job trace is read like a request trace (lines.c: a regular file of at
 * most SL_LIMIT(SL_LIM_TRACE_BYTES) bytes in 64 KB chunks, "\n" or "\r\n",
 * a UTF-8 byte order mark skipped, blank lines ignored).  The first line is
 * a header naming the columns, in any order (case-insensitive); other
 * columns are ignored, and every row must have as many fields as the
 * header.  Fields are not quoted (none of the sources quotes).
 *
 * Formats and how their fields map onto a row.
 *   - Alibaba GPU 2023 pod list (`,`): name -> id; num_gpu -> cards;
 *     gpu_milli -> share_milli (the fraction of its one card a GPU-sharing
 *     pod holds; a pod of 2+ GPUs must say 1000, a CPU-only pod 0);
 *     creation_time -> submit, scheduled_time -> start, deletion_time -> end
 *     (seconds; empty: unknown, as for the 897 Pending pods);
 *     duration = deletion - scheduled when both are known; gpu_spec ->
 *     spec, qos -> tenant, pod_phase Succeeded/Running/Pending/Failed ->
 *     state.  name, num_gpu, gpu_milli and creation_time are required; a
 *     header without creation_time (openb_pod_list_multigpu50.csv and the
 *     other sampled lists carry sizes only) is refused, since a replay needs
 *     submit times.  CPU-only pods (num_gpu 0) are kept with cards 0.
 *   - Slurm `sacct --parsable2` (`|`; `--parsable`'s trailing `|` is an
 *     empty last column and is accepted): JobID -> id; Submit, Start, End
 *     as `YYYY-MM-DDTHH:MM:SS` (read as UTC; `Unknown`, `None` or empty:
 *     unknown, except Submit which is required); Elapsed `[D-]HH:MM:SS` ->
 *     duration (unknown while Start is); State's first word -> state
 *     (`CANCELLED by 42` and the truncated `CANCELLED+` are CANCELLED);
 *     cards from AllocTRES `gres/gpu=N` (a typed `gres/gpu:a100=N` when
 *     there is no plain one; none: 0 cards), from ReqTRES when AllocTRES is
 *     empty (a pending job), else NNodes x the `gpu[:type]:N` of AllocGRES,
 *     ReqGRES or Gres; Partition -> spec; QOS (else Account) -> tenant;
 *     Priority -> priority.  Job steps (a JobID with '.', such as
 *     `42.batch`) are not jobs: they are counted in steps and ignored.
 *   - Plain CSV: job_id, submit_s (seconds, a number >= 0), cards (whole),
 *     duration_s (a number >= 0) required; model -> spec and priority (an
 *     integer) optional; start, end and state unknown.
 *
 * Checks.  Counts are whole and non-negative; cards at most
 * SL_LIMIT(SL_LIM_JOB_CARDS); times at most SL_LIMIT(SL_LIM_DURATION) from
 * their origin; a run time at most SL_LIMIT(SL_LIM_JOB_DURATION); start
 * and end not before submit, end not before start.  A malformed row is an
 * SL_EINVAL naming file:line:column and what was expected, or with
 * `lenient` is skipped and counted; a header fault, an empty trace or a
 * limit is an error either way.  Rows are then sorted by submit time with
 * the stable merge sort of the request readers, and times are taken from
 * the earliest submit.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/jobs.h"

#include "suanli/alloc.h"
#include "suanli/calendar.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "trace/trace_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const sl_job_format_names[] = {"auto", "alibaba", "sacct", "csv", NULL};
const char *const sl_job_state_names[] = {"unknown",   "pending",   "running",
                                          "completed", "failed",    "cancelled",
                                          "timeout",   "preempted", NULL};

#define MAX_COLUMNS 128
#define US_PER_S    INT64_C(1000000)

/* Columns a format looks for; index into the header, -1 when absent. */
enum col {
    /* Alibaba */
    C_NAME = 0,
    C_NUM_GPU,
    C_GPU_MILLI,
    C_GPU_SPEC,
    C_QOS,
    C_PHASE,
    C_CREATION,
    C_SCHEDULED,
    C_DELETION,
    /* sacct */
    C_JOBID,
    C_SUBMIT,
    C_START,
    C_END,
    C_ELAPSED,
    C_STATE,
    C_ALLOC_TRES,
    C_REQ_TRES,
    C_NNODES,
    C_ALLOC_GRES,
    C_REQ_GRES,
    C_GRES,
    C_PARTITION,
    C_SQOS,
    C_ACCOUNT,
    C_SPRIORITY,
    /* CSV */
    C_JOB_ID,
    C_SUBMIT_S,
    C_CARDS,
    C_DURATION_S,
    C_MODEL,
    C_PRIORITY,
    C_COUNT
};

static const struct {
    int format;
    const char *name;
} col_names[C_COUNT] = {
    [C_NAME] = {SL_JOBS_ALIBABA, "name"},
    [C_NUM_GPU] = {SL_JOBS_ALIBABA, "num_gpu"},
    [C_GPU_MILLI] = {SL_JOBS_ALIBABA, "gpu_milli"},
    [C_GPU_SPEC] = {SL_JOBS_ALIBABA, "gpu_spec"},
    [C_QOS] = {SL_JOBS_ALIBABA, "qos"},
    [C_PHASE] = {SL_JOBS_ALIBABA, "pod_phase"},
    [C_CREATION] = {SL_JOBS_ALIBABA, "creation_time"},
    [C_SCHEDULED] = {SL_JOBS_ALIBABA, "scheduled_time"},
    [C_DELETION] = {SL_JOBS_ALIBABA, "deletion_time"},
    [C_JOBID] = {SL_JOBS_SACCT, "JobID"},
    [C_SUBMIT] = {SL_JOBS_SACCT, "Submit"},
    [C_START] = {SL_JOBS_SACCT, "Start"},
    [C_END] = {SL_JOBS_SACCT, "End"},
    [C_ELAPSED] = {SL_JOBS_SACCT, "Elapsed"},
    [C_STATE] = {SL_JOBS_SACCT, "State"},
    [C_ALLOC_TRES] = {SL_JOBS_SACCT, "AllocTRES"},
    [C_REQ_TRES] = {SL_JOBS_SACCT, "ReqTRES"},
    [C_NNODES] = {SL_JOBS_SACCT, "NNodes"},
    [C_ALLOC_GRES] = {SL_JOBS_SACCT, "AllocGRES"},
    [C_REQ_GRES] = {SL_JOBS_SACCT, "ReqGRES"},
    [C_GRES] = {SL_JOBS_SACCT, "Gres"},
    [C_PARTITION] = {SL_JOBS_SACCT, "Partition"},
    [C_SQOS] = {SL_JOBS_SACCT, "QOS"},
    [C_ACCOUNT] = {SL_JOBS_SACCT, "Account"},
    [C_SPRIORITY] = {SL_JOBS_SACCT, "Priority"},
    [C_JOB_ID] = {SL_JOBS_CSV, "job_id"},
    [C_SUBMIT_S] = {SL_JOBS_CSV, "submit_s"},
    [C_CARDS] = {SL_JOBS_CSV, "cards"},
    [C_DURATION_S] = {SL_JOBS_CSV, "duration_s"},
    [C_MODEL] = {SL_JOBS_CSV, "model"},
    [C_PRIORITY] = {SL_JOBS_CSV, "priority"},
};

/* The job trace being read. */
struct reader {
    const char *path;
    int lenient;
    struct sl_diag *d;
    struct sl_job_trace *t;
    size_t cap_rows, cap_str;
    int col[C_COUNT];
    int n_cols;
    char sep;
};

/* Return value of a row parser for a row skipped (lenient). */
#define SKIPPED 1

/* A row fault: SL_EINVAL with the message, or with lenient SKIPPED. */
static int fault(struct reader *r, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int fault(struct reader *r, int line, int col, const char *fmt, ...)
{
    if (r->lenient) {
        r->t->skipped++;
        return SKIPPED;
    }
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_diag_set(r->d, SL_EINVAL, r->path, line, col, "%s", msg);
}

static int limit_error(struct reader *r, int line, int col, enum sl_limit_id id)
{
    char lim[200];
    return sl_diag_set(r->d, SL_EINVAL, r->path, line, col, "%s",
                       sl_limit_text(id, lim, sizeof lim));
}

static int oom(struct reader *r)
{
    return sl_diag_set(r->d, SL_ENOMEM, r->path, 0, 0, "out of memory reading the job trace");
}

/* Splits [p, e) at sep into at most max trimmed fields (see
 * sl__trace_split); returns how many there are. */
static int split(const char *line, const char *p, const char *e, char sep,
                 struct sl__trace_field *f, int max)
{
    int n = 0;
    const char *s = p;
    for (const char *q = p;; q++) {
        if (q == e || *q == sep) {
            if (n < max) {
                const char *a = s, *b = q;
                while (a < b && sl__trace_is_space(*a))
                    a++;
                while (b > a && sl__trace_is_space(b[-1]))
                    b--;
                f[n].s = a;
                f[n].e = b;
                long c = a - line + 1;
                f[n].col = c > 1000000 ? 1000000 : (int)c;
            }
            n++;
            s = q + 1;
            if (q == e)
                break;
        }
    }
    return n;
}

static int field_is(const struct sl__trace_field *f, const char *word)
{
    return sl__trace_name_is(f, word);
}

/* Appends [s, e) and a NUL to the pool; *off its offset.  The pool never
 * outgrows the file (each string is part of a line). */
static int push_str(struct reader *r, const char *s, const char *e, uint32_t *off)
{
    struct sl_job_trace *t = r->t;
    size_t n = (size_t)(e - s);
    if (n == 0) {
        *off = 0;
        return SL_OK;
    }
    size_t base = t->n_strings ? 0 : 1; /* offset 0 is the empty string */
    if (t->n_strings + base + n + 1 > r->cap_str) {
        size_t ncap = r->cap_str ? r->cap_str : 4096;
        while (ncap < t->n_strings + base + n + 1)
            ncap *= 2;
        if (ncap > UINT32_MAX)
            return limit_error(r, 0, 0, SL_LIM_TRACE_BYTES);
        char *ns = sl_realloc(t->strings, ncap);
        if (!ns)
            return oom(r);
        t->strings = ns;
        r->cap_str = ncap;
    }
    if (base)
        t->strings[t->n_strings++] = '\0';
    *off = (uint32_t)t->n_strings;
    memcpy(t->strings + t->n_strings, s, n);
    t->strings[t->n_strings + n] = '\0';
    t->n_strings += n + 1;
    return SL_OK;
}

static int push_row(struct reader *r, int line, const struct sl_job_trace_row *row)
{
    struct sl_job_trace *t = r->t;
    void *items = t->rows;
    int rc = sl__trace_reserve(&items, &r->cap_rows, t->n, sizeof *t->rows, 1024,
                               SL_LIMIT(SL_LIM_JOB_ROWS));
    t->rows = items;
    if (rc == SL_ERANGE)
        return limit_error(r, line, 0, SL_LIM_JOB_ROWS);
    if (rc == SL_ENOMEM)
        return oom(r);
    t->rows[t->n++] = *row;
    return SL_OK;
}

static const char *num_fault_text(enum sl__trace_num_fault f)
{
    switch (f) {
    case SL__NUM_EMPTY:
        return "is empty";
    case SL__NUM_SYNTAX:
        return "is not a number";
    case SL__NUM_NEGATIVE:
        return "is negative";
    case SL__NUM_FRACTION:
        return "is not a whole number";
    case SL__NUM_RANGE:
        return "is too large";
    case SL__NUM_OK:
        break;
    }
    return "is invalid";
}

/* A whole count of at most max from field f; a fault names what. */
static int get_count(struct reader *r, int line, const struct sl__trace_field *f, const char *what,
                     double max, enum sl_limit_id lim, int64_t *out)
{
    enum sl__trace_num_fault nf = sl__trace_parse_count(f->s, f->e, 1e18, out);
    if (nf != SL__NUM_OK)
        return fault(r, line, f->col, "%s " FIELD_FMT " %s (expected a whole number >= 0)", what,
                     FIELD_ARGS(f), num_fault_text(nf));
    if ((double)*out > max) {
        if ((int)lim >= 0)
            return limit_error(r, line, f->col, lim);
        return fault(r, line, f->col, "%s " FIELD_FMT " is too large (expected at most %.0f)", what,
                     FIELD_ARGS(f), max);
    }
    return SL_OK;
}

/* Seconds (a number >= 0, at most the duration limit) into microseconds. */
static int get_seconds(struct reader *r, int line, const struct sl__trace_field *f,
                       const char *what, enum sl_limit_id lim, int64_t *out_us)
{
    double v;
    enum sl__trace_num_fault nf = sl__trace_parse_real(f->s, f->e, &v);
    if (nf == SL__NUM_OK && v < 0)
        nf = SL__NUM_NEGATIVE;
    if (nf != SL__NUM_OK)
        return fault(r, line, f->col, "%s " FIELD_FMT " %s (expected seconds, a number >= 0)", what,
                     FIELD_ARGS(f), num_fault_text(nf));
    if (v > SL_LIMIT(lim))
        return limit_error(r, line, f->col, lim);
    *out_us = llround(v * 1e6);
    return SL_OK;
}

/* An integer priority in the range of int32_t. */
static int get_priority(struct reader *r, int line, const struct sl__trace_field *f, int32_t *out)
{
    double v;
    /* The scanner refuses a sign before its digits; a priority may have one. */
    int neg = f->e - f->s > 1 && f->s[0] == '-';
    enum sl__trace_num_fault nf = sl__trace_parse_real(f->s + neg, f->e, &v);
    if (neg)
        v = -v;
    if (nf == SL__NUM_OK && v != floor(v))
        nf = SL__NUM_FRACTION;
    if (nf == SL__NUM_OK && (v < -2147483648.0 || v > 2147483647.0))
        nf = SL__NUM_RANGE;
    if (nf != SL__NUM_OK)
        return fault(r, line, f->col,
                     "priority " FIELD_FMT " %s (expected an integer in [-2^31, 2^31 - 1])",
                     FIELD_ARGS(f), num_fault_text(nf));
    *out = (int32_t)v;
    return SL_OK;
}

/* Checks the order of a row's times and its run time. */
static int check_times(struct reader *r, int line, const struct sl__trace_field *f,
                       const struct sl_job_trace_row *row)
{
    int col = f ? f->col : 0;
    if (row->start_us >= 0 && row->start_us < row->submit_us)
        return fault(r, line, col,
                     "the job starts before it is submitted (expected start >= "
                     "submit)");
    if (row->end_us >= 0 && row->end_us < row->submit_us)
        return fault(r, line, col,
                     "the job ends before it is submitted (expected end >= "
                     "submit)");
    if (row->end_us >= 0 && row->start_us >= 0 && row->end_us < row->start_us)
        return fault(r, line, col, "the job ends before it starts (expected end >= start)");
    if (row->duration_us >= 0 && (double)row->duration_us > SL_LIMIT(SL_LIM_JOB_DURATION) * 1e6)
        return limit_error(r, line, col, SL_LIM_JOB_DURATION);
    return SL_OK;
}

/* ---- Alibaba GPU 2023 pod list ---------------------------------------- */

static int alibaba_row(struct reader *r, int line, const struct sl__trace_field *f)
{
    const int *c = r->col;
    struct sl_job_trace_row row = {0, -1, -1, -1, 0, 0, 0, SL_JOB_UNKNOWN, 0, 0, 0, line};
    const struct sl__trace_field *name = &f[c[C_NAME]];
    if (name->s == name->e)
        return fault(r, line, name->col, "the pod name is empty (expected a name)");
    int64_t gpus, milli;
    int rc = get_count(r, line, &f[c[C_NUM_GPU]], "num_gpu", SL_LIMIT(SL_LIM_JOB_CARDS),
                       SL_LIM_JOB_CARDS, &gpus);
    if (rc != SL_OK)
        return rc;
    const struct sl__trace_field *fm = &f[c[C_GPU_MILLI]];
    rc = get_count(r, line, fm, "gpu_milli", 1000, (enum sl_limit_id) - 1, &milli);
    if (rc != SL_OK)
        return rc;
    if (gpus == 0 && milli != 0)
        return fault(r, line, fm->col,
                     "gpu_milli %lld with num_gpu 0 (expected 0: a CPU-only pod holds no card)",
                     (long long)milli);
    if (gpus == 1 && milli == 0)
        return fault(r, line, fm->col,
                     "gpu_milli 0 with num_gpu 1 (expected 1 to 1000 thousandths of the card)");
    if (gpus > 1 && milli != 1000)
        return fault(r, line, fm->col,
                     "gpu_milli %lld with num_gpu %lld (expected 1000: only single-GPU pods "
                     "share a card)",
                     (long long)milli, (long long)gpus);
    row.cards = (int32_t)gpus;
    row.share_milli = (int32_t)milli;
    int64_t v;
    const struct sl__trace_field *fc = &f[c[C_CREATION]];
    rc = get_count(r, line, fc, "creation_time", SL_LIMIT(SL_LIM_DURATION), SL_LIM_DURATION, &v);
    if (rc != SL_OK)
        return rc;
    row.submit_us = v * US_PER_S;
    const struct sl__trace_field *last = fc;
    if (c[C_SCHEDULED] >= 0 && f[c[C_SCHEDULED]].s != f[c[C_SCHEDULED]].e) {
        last = &f[c[C_SCHEDULED]];
        rc = get_count(r, line, last, "scheduled_time", SL_LIMIT(SL_LIM_DURATION), SL_LIM_DURATION,
                       &v);
        if (rc != SL_OK)
            return rc;
        row.start_us = v * US_PER_S;
    }
    if (c[C_DELETION] >= 0 && f[c[C_DELETION]].s != f[c[C_DELETION]].e) {
        last = &f[c[C_DELETION]];
        rc = get_count(r, line, last, "deletion_time", SL_LIMIT(SL_LIM_DURATION), SL_LIM_DURATION,
                       &v);
        if (rc != SL_OK)
            return rc;
        row.end_us = v * US_PER_S;
    }
    if (row.start_us >= 0 && row.end_us >= 0)
        row.duration_us = row.end_us - row.start_us;
    if (c[C_PHASE] >= 0) {
        const struct sl__trace_field *fp = &f[c[C_PHASE]];
        if (fp->s == fp->e)
            row.state = SL_JOB_UNKNOWN;
        else if (field_is(fp, "Succeeded"))
            row.state = SL_JOB_COMPLETED;
        else if (field_is(fp, "Running"))
            row.state = SL_JOB_RUNNING;
        else if (field_is(fp, "Pending"))
            row.state = SL_JOB_PENDING;
        else if (field_is(fp, "Failed"))
            row.state = SL_JOB_FAILED;
        else
            return fault(r, line, fp->col,
                         "unknown pod_phase " FIELD_FMT
                         " (expected Succeeded, Running, Pending, Failed or empty)",
                         FIELD_ARGS(fp));
    }
    rc = check_times(r, line, last, &row);
    if (rc != SL_OK)
        return rc;
    if ((rc = push_str(r, name->s, name->e, &row.id)) != SL_OK)
        return rc;
    if (c[C_GPU_SPEC] >= 0 &&
        (rc = push_str(r, f[c[C_GPU_SPEC]].s, f[c[C_GPU_SPEC]].e, &row.spec)) != SL_OK)
        return rc;
    if (c[C_QOS] >= 0 && (rc = push_str(r, f[c[C_QOS]].s, f[c[C_QOS]].e, &row.tenant)) != SL_OK)
        return rc;
    return push_row(r, line, &row);
}

/* ---- Slurm sacct --parsable2 ------------------------------------------ */

/* Reads exactly n digits at *p into *v; -1 when they are not there. */
static int digits(const char **p, const char *e, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= e || !sl__trace_is_digit(**p))
            return -1;
        x = x * 10 + (**p - '0');
    }
    *v = x;
    return 0;
}

/* A Slurm time `YYYY-MM-DDTHH:MM:SS` into seconds of the UTC epoch: 0,
 * 1 when it is unknown (`Unknown`, `None`, empty), -1 on a syntax error,
 * -2 on a date or time out of range. */
static int slurm_time(const struct sl__trace_field *f, int64_t *out_s)
{
    if (f->s == f->e || field_is(f, "Unknown") || field_is(f, "None"))
        return 1;
    const char *p = f->s, *e = f->e;
    int y, mo, da, h, mi, se;
    if (digits(&p, e, 4, &y) || p >= e || *p++ != '-' || digits(&p, e, 2, &mo) || p >= e ||
        *p++ != '-' || digits(&p, e, 2, &da) || p >= e || (*p != 'T' && *p != ' '))
        return -1;
    p++;
    if (digits(&p, e, 2, &h) || p >= e || *p++ != ':' || digits(&p, e, 2, &mi) || p >= e ||
        *p++ != ':' || digits(&p, e, 2, &se) || p != e)
        return -1;
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || da < 1 || da > sl_days_in_month(y, mo) ||
        h > 23 || mi > 59 || se > 59)
        return -2;
    *out_s = sl_days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* Slurm's Elapsed `[D-]HH:MM:SS` (hours of one or more digits) into
 * seconds; -1 when malformed. */
static int slurm_elapsed(const struct sl__trace_field *f, int64_t *out_s)
{
    const char *p = f->s, *e = f->e;
    int64_t days = 0, hours = 0;
    const char *dash = memchr(p, '-', (size_t)(e - p));
    if (dash) {
        if (dash == p)
            return -1;
        for (; p < dash; p++) {
            if (!sl__trace_is_digit(*p) || days > 1000000)
                return -1;
            days = days * 10 + (*p - '0');
        }
        p++;
    }
    const char *h0 = p;
    for (; p < e && sl__trace_is_digit(*p); p++) {
        if (hours > 10000000)
            return -1;
        hours = hours * 10 + (*p - '0');
    }
    int mi, se;
    if (p == h0 || p >= e || *p++ != ':' || digits(&p, e, 2, &mi) || p >= e || *p++ != ':' ||
        digits(&p, e, 2, &se) || p != e || mi > 59 || se > 59)
        return -1;
    *out_s = days * 86400 + hours * 3600 + mi * 60 + se;
    return 0;
}

/* The state's first word (`CANCELLED by 42`, `CANCELLED+`); -1 unknown. */
static int slurm_state(const struct sl__trace_field *f)
{
    static const struct {
        const char *word;
        int state;
    } states[] = {
        {"COMPLETED", SL_JOB_COMPLETED},  {"FAILED", SL_JOB_FAILED},
        {"CANCELLED", SL_JOB_CANCELLED},  {"TIMEOUT", SL_JOB_TIMEOUT},
        {"RUNNING", SL_JOB_RUNNING},      {"PENDING", SL_JOB_PENDING},
        {"PREEMPTED", SL_JOB_PREEMPTED},  {"NODE_FAIL", SL_JOB_FAILED},
        {"OUT_OF_MEMORY", SL_JOB_FAILED}, {"BOOT_FAIL", SL_JOB_FAILED},
        {"DEADLINE", SL_JOB_TIMEOUT},     {"REQUEUED", SL_JOB_RUNNING},
        {"SUSPENDED", SL_JOB_RUNNING},    {"RESIZING", SL_JOB_RUNNING},
        {"REVOKED", SL_JOB_CANCELLED},
    };
    struct sl__trace_field w = *f;
    const char *q = w.s;
    while (q < w.e && *q != ' ' && *q != '+')
        q++;
    w.e = q;
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (field_is(&w, states[i].word))
            return states[i].state;
    return -1;
}

/* The GPUs of a TRES list `cpu=8,gres/gpu=4,...`: 0 with *n, 1 when the
 * list names no GPU, -1 when a GPU count is malformed. */
static int tres_gpus(const struct sl__trace_field *f, int64_t *n)
{
    int found = 0;
    const char *p = f->s;
    while (p < f->e) {
        const char *q = memchr(p, ',', (size_t)(f->e - p));
        if (!q)
            q = f->e;
        const char *eq = memchr(p, '=', (size_t)(q - p));
        if (eq && eq - p >= 8 && memcmp(p, "gres/gpu", 8) == 0 && (eq - p == 8 || p[8] == ':')) {
            int plain = eq - p == 8;
            if (plain || !found) {
                int64_t v;
                if (sl__trace_parse_count(eq + 1, q, 1e18, &v) != SL__NUM_OK)
                    return -1;
                *n = v;
                found = plain ? 2 : 1;
            }
        }
        p = q < f->e ? q + 1 : q;
    }
    return found ? 0 : 1;
}

/* The GPUs per node of a GRES list `gpu:8`, `gpu:a100:8(IDX:0-7)`: as
 * tres_gpus. */
static int gres_gpus(const struct sl__trace_field *f, int64_t *n)
{
    const char *p = f->s;
    while (p < f->e) {
        const char *q = memchr(p, ',', (size_t)(f->e - p));
        if (!q)
            q = f->e;
        if (q - p >= 4 && memcmp(p, "gpu:", 4) == 0) {
            const char *end = memchr(p, '(', (size_t)(q - p));
            if (!end)
                end = q;
            const char *colon = end;
            while (colon > p && colon[-1] != ':')
                colon--;
            if (sl__trace_parse_count(colon, end, 1e18, n) != SL__NUM_OK)
                return -1;
            return 0;
        }
        p = q < f->e ? q + 1 : q;
    }
    return 1;
}

static int sacct_cards(struct reader *r, int line, const struct sl__trace_field *f, int64_t *cards)
{
    const int *c = r->col;
    const struct sl__trace_field *tres = NULL;
    if (c[C_ALLOC_TRES] >= 0 && f[c[C_ALLOC_TRES]].s != f[c[C_ALLOC_TRES]].e)
        tres = &f[c[C_ALLOC_TRES]];
    else if (c[C_REQ_TRES] >= 0 && f[c[C_REQ_TRES]].s != f[c[C_REQ_TRES]].e)
        tres = &f[c[C_REQ_TRES]];
    if (tres) {
        int k = tres_gpus(tres, cards);
        if (k < 0)
            return fault(r, line, tres->col,
                         "malformed GPU count in " FIELD_FMT " (expected gres/gpu=N, N whole)",
                         FIELD_ARGS(tres));
        if (k == 1)
            *cards = 0;
    } else {
        const struct sl__trace_field *gres = NULL;
        const enum col gc[] = {C_ALLOC_GRES, C_REQ_GRES, C_GRES};
        for (size_t i = 0; i < 3 && !gres; i++)
            if (c[gc[i]] >= 0 && f[c[gc[i]]].s != f[c[gc[i]]].e)
                gres = &f[c[gc[i]]];
        int col = c[C_ALLOC_TRES] >= 0 ? f[c[C_ALLOC_TRES]].col : 0;
        if (!gres || c[C_NNODES] < 0)
            return fault(r, line, col,
                         "no GPU count: AllocTRES and ReqTRES are empty or absent (expected "
                         "gres/gpu=N there, or NNodes with a gpu:N GRES)");
        int64_t per_node, nodes;
        int k = gres_gpus(gres, &per_node);
        if (k < 0)
            return fault(r, line, gres->col,
                         "malformed GPU count in " FIELD_FMT " (expected gpu[:type]:N)",
                         FIELD_ARGS(gres));
        if (k == 1)
            per_node = 0;
        int rc = get_count(r, line, &f[c[C_NNODES]], "NNodes", SL_LIMIT(SL_LIM_JOB_CARDS),
                           SL_LIM_JOB_CARDS, &nodes);
        if (rc != SL_OK)
            return rc;
        if ((double)per_node * (double)nodes > 1e18)
            return limit_error(r, line, gres->col, SL_LIM_JOB_CARDS);
        *cards = per_node * nodes;
        tres = gres;
    }
    if ((double)*cards > SL_LIMIT(SL_LIM_JOB_CARDS))
        return limit_error(r, line, tres->col, SL_LIM_JOB_CARDS);
    return SL_OK;
}

/* One Slurm time field into microseconds (-1 unknown); required says
 * whether unknown is a fault. */
static int sacct_time(struct reader *r, int line, const struct sl__trace_field *f, const char *what,
                      int required, int64_t *out_us)
{
    int64_t s;
    int k = slurm_time(f, &s);
    if (k == 1 && !required) {
        *out_us = -1;
        return SL_OK;
    }
    if (k != 0)
        return fault(r, line, f->col, "%s " FIELD_FMT " %s (expected YYYY-MM-DDTHH:MM:SS%s)", what,
                     FIELD_ARGS(f),
                     k == 1    ? "is unknown"
                     : k == -2 ? "is out of range"
                               : "is not a time",
                     required ? "" : ", Unknown or None");
    *out_us = s * US_PER_S;
    return SL_OK;
}

static int sacct_row(struct reader *r, int line, const struct sl__trace_field *f)
{
    const int *c = r->col;
    struct sl_job_trace_row row = {0, -1, -1, -1, 0, 1000, 0, SL_JOB_UNKNOWN, 0, 0, 0, line};
    const struct sl__trace_field *id = &f[c[C_JOBID]];
    if (id->s == id->e)
        return fault(r, line, id->col, "the JobID is empty (expected a job id)");
    if (memchr(id->s, '.', (size_t)(id->e - id->s))) {
        r->t->steps++;
        return SKIPPED;
    }
    int rc;
    if ((rc = sacct_time(r, line, &f[c[C_SUBMIT]], "Submit", 1, &row.submit_us)) != SL_OK ||
        (rc = sacct_time(r, line, &f[c[C_START]], "Start", 0, &row.start_us)) != SL_OK ||
        (rc = sacct_time(r, line, &f[c[C_END]], "End", 0, &row.end_us)) != SL_OK)
        return rc;
    const struct sl__trace_field *fe = &f[c[C_ELAPSED]];
    int64_t el;
    if (slurm_elapsed(fe, &el) != 0)
        return fault(r, line, fe->col,
                     "Elapsed " FIELD_FMT " is not a run time (expected "
                     "[D-]HH:MM:SS)",
                     FIELD_ARGS(fe));
    if (row.start_us >= 0)
        row.duration_us = el * US_PER_S;
    const struct sl__trace_field *fs = &f[c[C_STATE]];
    int st = slurm_state(fs);
    if (st < 0)
        return fault(r, line, fs->col,
                     "unknown State " FIELD_FMT " (expected COMPLETED, FAILED, CANCELLED, "
                     "TIMEOUT, RUNNING, PENDING, PREEMPTED, NODE_FAIL, OUT_OF_MEMORY...)",
                     FIELD_ARGS(fs));
    row.state = st;
    int64_t cards;
    if ((rc = sacct_cards(r, line, f, &cards)) != SL_OK)
        return rc;
    row.cards = (int32_t)cards;
    if (c[C_SPRIORITY] >= 0 && f[c[C_SPRIORITY]].s != f[c[C_SPRIORITY]].e &&
        (rc = get_priority(r, line, &f[c[C_SPRIORITY]], &row.priority)) != SL_OK)
        return rc;
    rc = check_times(r, line, &f[c[C_END]], &row);
    if (rc != SL_OK)
        return rc;
    if ((rc = push_str(r, id->s, id->e, &row.id)) != SL_OK)
        return rc;
    if (c[C_PARTITION] >= 0 &&
        (rc = push_str(r, f[c[C_PARTITION]].s, f[c[C_PARTITION]].e, &row.spec)) != SL_OK)
        return rc;
    int tc = c[C_SQOS] >= 0 && f[c[C_SQOS]].s != f[c[C_SQOS]].e ? c[C_SQOS] : c[C_ACCOUNT];
    if (tc >= 0 && (rc = push_str(r, f[tc].s, f[tc].e, &row.tenant)) != SL_OK)
        return rc;
    return push_row(r, line, &row);
}

/* ---- Plain CSV --------------------------------------------------------- */

static int csv_row(struct reader *r, int line, const struct sl__trace_field *f)
{
    const int *c = r->col;
    struct sl_job_trace_row row = {0, -1, -1, -1, 0, 1000, 0, SL_JOB_UNKNOWN, 0, 0, 0, line};
    const struct sl__trace_field *id = &f[c[C_JOB_ID]];
    if (id->s == id->e)
        return fault(r, line, id->col, "the job_id is empty (expected a job id)");
    int rc = get_seconds(r, line, &f[c[C_SUBMIT_S]], "submit_s", SL_LIM_DURATION, &row.submit_us);
    if (rc != SL_OK)
        return rc;
    int64_t cards;
    rc = get_count(r, line, &f[c[C_CARDS]], "cards", SL_LIMIT(SL_LIM_JOB_CARDS), SL_LIM_JOB_CARDS,
                   &cards);
    if (rc != SL_OK)
        return rc;
    row.cards = (int32_t)cards;
    rc = get_seconds(r, line, &f[c[C_DURATION_S]], "duration_s", SL_LIM_JOB_DURATION,
                     &row.duration_us);
    if (rc != SL_OK)
        return rc;
    if (c[C_PRIORITY] >= 0 && f[c[C_PRIORITY]].s != f[c[C_PRIORITY]].e &&
        (rc = get_priority(r, line, &f[c[C_PRIORITY]], &row.priority)) != SL_OK)
        return rc;
    if ((rc = push_str(r, id->s, id->e, &row.id)) != SL_OK)
        return rc;
    if (c[C_MODEL] >= 0 && (rc = push_str(r, f[c[C_MODEL]].s, f[c[C_MODEL]].e, &row.spec)) != SL_OK)
        return rc;
    return push_row(r, line, &row);
}

/* ---- Header, detection and the entry points ---------------------------- */

/* The format a header line announces, SL_JOBS_AUTO when none. */
static int detect(const char *p, const char *e)
{
    struct sl__trace_field f[MAX_COLUMNS];
    if (memchr(p, '|', (size_t)(e - p))) {
        int n = split(p, p, e, '|', f, MAX_COLUMNS);
        for (int i = 0; i < n && i < MAX_COLUMNS; i++)
            if (field_is(&f[i], "JobID"))
                return SL_JOBS_SACCT;
        return SL_JOBS_AUTO;
    }
    int n = split(p, p, e, ',', f, MAX_COLUMNS);
    for (int i = 0; i < n && i < MAX_COLUMNS; i++) {
        if (field_is(&f[i], "num_gpu"))
            return SL_JOBS_ALIBABA;
        if (field_is(&f[i], "job_id"))
            return SL_JOBS_CSV;
    }
    return SL_JOBS_AUTO;
}

/* Maps the header's columns; a required one missing is an error. */
static int read_header(struct reader *r, const char *p, const char *e, int line)
{
    struct sl__trace_field f[MAX_COLUMNS];
    int format = r->t->format;
    r->sep = format == SL_JOBS_SACCT ? '|' : ',';
    int n = split(p, p, e, r->sep, f, MAX_COLUMNS);
    if (n > MAX_COLUMNS)
        return sl_diag_set(r->d, SL_EINVAL, r->path, line, 0,
                           "the header has %d columns (expected at most %d)", n, MAX_COLUMNS);
    r->n_cols = n;
    for (int k = 0; k < C_COUNT; k++) {
        r->col[k] = -1;
        if (col_names[k].format != format)
            continue;
        for (int i = 0; i < n; i++)
            if (field_is(&f[i], col_names[k].name)) {
                if (r->col[k] >= 0)
                    return sl_diag_set(r->d, SL_EINVAL, r->path, line, f[i].col,
                                       "column %s is given twice", col_names[k].name);
                r->col[k] = i;
            }
    }
    static const enum col req_alibaba[] = {C_NAME, C_NUM_GPU, C_GPU_MILLI, C_CREATION};
    static const enum col req_sacct[] = {C_JOBID, C_SUBMIT, C_START, C_END, C_ELAPSED, C_STATE};
    static const enum col req_csv[] = {C_JOB_ID, C_SUBMIT_S, C_CARDS, C_DURATION_S};
    const enum col *req = format == SL_JOBS_ALIBABA ? req_alibaba
                          : format == SL_JOBS_SACCT ? req_sacct
                                                    : req_csv;
    size_t n_req = format == SL_JOBS_ALIBABA ? 4 : format == SL_JOBS_SACCT ? 6 : 4;
    if (format == SL_JOBS_ALIBABA && r->col[C_NUM_GPU] >= 0 && r->col[C_CREATION] < 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, line, 0,
                           "this Alibaba pod list has no creation_time column: it gives pod "
                           "sizes only (as the sampled openb_pod_list_multigpu50.csv does), and a "
                           "job trace needs submit times (expected name, num_gpu, gpu_milli and "
                           "creation_time, as in openb_pod_list_default.csv)");
    for (size_t i = 0; i < n_req; i++)
        if (r->col[req[i]] < 0)
            return sl_diag_set(r->d, SL_EINVAL, r->path, line, 0,
                               "the %s header has no %s column (expected %s)",
                               sl_job_format_names[format], col_names[req[i]].name,
                               format == SL_JOBS_ALIBABA ? "name, num_gpu, gpu_milli, creation_time"
                               : format == SL_JOBS_SACCT
                                   ? "JobID, Submit, Start, End, Elapsed, State and AllocTRES, "
                                     "ReqTRES or NNodes with AllocGRES"
                                   : "job_id,submit_s,cards,duration_s[,model,priority]");
    if (format == SL_JOBS_SACCT && r->col[C_ALLOC_TRES] < 0 && r->col[C_REQ_TRES] < 0 &&
        (r->col[C_NNODES] < 0 ||
         (r->col[C_ALLOC_GRES] < 0 && r->col[C_REQ_GRES] < 0 && r->col[C_GRES] < 0)))
        return sl_diag_set(r->d, SL_EINVAL, r->path, line, 0,
                           "the sacct header gives no GPU count (expected an AllocTRES or "
                           "ReqTRES column, or NNodes with AllocGRES, ReqGRES or Gres)");
    return SL_OK;
}

static int read_rows(struct reader *r, struct sl__trace_lines *ls)
{
    int header = 0, k;
    struct sl__trace_field f[MAX_COLUMNS];
    while ((k = sl__trace_next_line(ls)) == 1) {
        if (sl__trace_blank(ls->p, ls->end))
            continue;
        if (!header) {
            int rc = read_header(r, ls->p, ls->end, ls->line);
            if (rc != SL_OK)
                return rc;
            header = 1;
            continue;
        }
        int n = split(ls->p, ls->p, ls->end, r->sep, f, MAX_COLUMNS);
        int rc;
        if (n != r->n_cols) {
            long col = n > r->n_cols ? f[r->n_cols - 1].e - ls->p + 1 : ls->end - ls->p + 1;
            rc = fault(r, ls->line, col > 1000000 ? 1000000 : (int)col,
                       "%d fields (expected %d, as the header has)", n, r->n_cols);
        } else if (r->t->format == SL_JOBS_ALIBABA)
            rc = alibaba_row(r, ls->line, f);
        else if (r->t->format == SL_JOBS_SACCT)
            rc = sacct_row(r, ls->line, f);
        else
            rc = csv_row(r, ls->line, f);
        if (rc < 0)
            return rc;
    }
    if (k < 0)
        return sl__trace_lines_error(ls, r->d);
    if (!header)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "the job trace is empty (expected a "
                           "header and rows)");
    if (r->t->n == 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "the job trace has no jobs (%zu rows skipped, %zu job steps)",
                           r->t->skipped, r->t->steps);
    return SL_OK;
}

int sl_job_trace_read(const char *path, int format, int lenient, struct sl_job_trace *out,
                      struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    if (format < SL_JOBS_AUTO || format >= SL_JOBS_FORMAT_COUNT)
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "unknown job trace format %d", format);
    struct reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.lenient = lenient;
    r.d = d;
    r.t = out;
    struct sl__trace_lines ls;
    int rc = sl__trace_lines_open(&ls, path, d);
    if (rc != SL_OK)
        return rc;
    rc = sl__trace_lines_start(&ls, d);
    if (rc == SL_OK && format == SL_JOBS_AUTO) {
        const char *p = ls.buf + ls.pos, *e = ls.buf + ls.len;
        while (p < e && (*p == '\n' || *p == '\r' || sl__trace_is_space(*p)))
            p++;
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        if (le > p && le[-1] == '\r')
            le--;
        format = detect(p, le);
        if (format == SL_JOBS_AUTO)
            rc =
                sl_diag_set(d, SL_EINVAL, path, p == e ? 0 : 1, 0,
                            "%s (expected a header: JobID|Submit|... from sacct --parsable2, "
                            "name,...,num_gpu,gpu_milli,...,creation_time,... of an Alibaba "
                            "pod list, or job_id,submit_s,cards,duration_s)",
                            p == e ? "the job trace is empty" : "cannot tell the job trace format");
    }
    out->format = format;
    if (rc == SL_OK)
        rc = read_rows(&r, &ls);
    sl__trace_lines_close(&ls);
    if (rc == SL_OK && !out->strings) {
        out->strings = sl_malloc(1);
        if (!out->strings)
            rc = oom(&r);
        else {
            out->strings[0] = '\0';
            out->n_strings = 1;
        }
    }
    if (rc == SL_OK && sl__trace_sort_by_time(out->rows, out->n, sizeof *out->rows) != SL_OK)
        rc = oom(&r);
    if (rc == SL_OK && !(out->path = sl_strdup(path)))
        rc = oom(&r);
    if (rc != SL_OK) {
        sl_job_trace_release(out);
        return rc;
    }
    int64_t t0 = out->rows[0].submit_us;
    out->epoch_s = t0 >= 0 ? t0 / US_PER_S : 0;
    for (size_t i = 0; i < out->n; i++) {
        struct sl_job_trace_row *row = &out->rows[i];
        row->submit_us -= t0;
        if (row->start_us >= 0)
            row->start_us -= t0;
        if (row->end_us >= 0)
            row->end_us -= t0;
    }
    return SL_OK;
}

void sl_job_trace_release(struct sl_job_trace *t)
{
    if (!t)
        return;
    sl_free(t->path);
    sl_free(t->rows);
    sl_free(t->strings);
    memset(t, 0, sizeof *t);
}
