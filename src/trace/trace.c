/*
 * Readers of request traces and rate traces (include/suanli/trace.h).
 *
 * A trace file (a regular file of at most SL_LIMIT(SL_LIM_TRACE_BYTES)
 * bytes, examined with stat before the open and fstat after, opened
 * non-blocking, so a FIFO, a device or a folder is refused at once) is read
 * in 64 KB chunks through one buffer that grows only for a longer line,
 * cut into lines with memchr and parsed with hand-written field scanners:
 * no stdio, no per-row allocation, and strtod only for numbers with a
 * fraction or an exponent.  The 19,366-row Azure conversation trace
 * (719 KB) reads in about 2 ms (bench/bench_trace).  Lines may end in "\n"
 * or "\r\n" (the Azure files use CRLF); a UTF-8 byte order mark is
 * skipped, UTF-16 refused; blank lines are ignored anywhere.
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

const char *const sl_trace_format_names[] = {"auto", "azure", "mooncake", "servegen", NULL};

#define SERVEGEN_DEFAULT_WINDOW_US INT64_C(600000000)
#define AZURE_MAX_COLUMNS          64
#define CHUNK_BYTES                65536

/* ---- Reading a file in chunks ----------------------------------------- */

/* A trace file read line by line through one buffer.  buf[pos, len) are
 * the bytes read and not yet consumed, of which the first `scanned` hold no
 * newline; a line is handed out as [p, end) inside buf and stays valid
 * until the next call, which may move or grow the buffer (it grows only
 * when one line is longer than it, and never past the size limit).  At
 * most limit bytes are read even if the file grows meanwhile: one byte
 * more sets too_big. */
struct lines {
    int fd;
    const char *path;
    char *buf;
    size_t cap, pos, len, scanned;
    size_t total, limit, size; /* bytes read; the limit; the size fstat gave */
    int eof, err, too_big, nomem;
    const char *p, *end; /* the current line, without "\n" or "\r\n" */
    int line;
};

/* Opens the regular file at path.  Returns SL_OK (close with lines_close),
 * SL_ENOENT or SL_EINVAL/SL_ENOMEM with d filled. */
static int lines_open(struct lines *ls, const char *path, struct sl_diag *d)
{
    memset(ls, 0, sizeof *ls);
    ls->fd = -1;
    ls->path = path;
    ls->limit = (size_t)SL_LIMIT(SL_LIM_TRACE_BYTES);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return sl_diag_set(d, SL_ENOENT, path, 0, 0, "no such trace file");
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "cannot examine the trace file: %s",
                           strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "not a regular file (expected a trace file%s)",
                           S_ISDIR(st.st_mode) ? "; only a ServeGen rate trace may be a folder"
                                               : "");
    /* Non-blocking, and examined again once open: the path may have
     * changed into a FIFO or a device in between. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return sl_diag_set(d, errno == ENOENT ? SL_ENOENT : SL_EINVAL, path, 0, 0,
                           "cannot open the trace file: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "not a regular file (expected a trace file)");
    }
    if ((double)st.st_size > (double)ls->limit) {
        close(fd);
        char lim[160];
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "%s",
                           sl_limit_text(SL_LIM_TRACE_BYTES, lim, sizeof lim));
    }
    ls->size = (size_t)st.st_size;
    ls->cap = CHUNK_BYTES;
    ls->buf = sl_malloc(ls->cap);
    if (!ls->buf) {
        close(fd);
        return sl_diag_set(d, SL_ENOMEM, path, 0, 0, "out of memory reading the trace");
    }
    ls->fd = fd;
    return SL_OK;
}

static void lines_close(struct lines *ls)
{
    if (ls->fd >= 0)
        close(ls->fd);
    sl_free(ls->buf);
    ls->fd = -1;
    ls->buf = NULL;
}

/* Moves the unconsumed bytes to the front, grows the buffer if they fill
 * it, and reads more.  Returns 1 (more bytes), 0 (the end) or -1 (a read
 * error, the size limit or no memory: see lines_error). */
static int lines_fill(struct lines *ls)
{
    if (ls->eof)
        return 0;
    if (ls->pos > 0) {
        memmove(ls->buf, ls->buf + ls->pos, ls->len - ls->pos);
        ls->len -= ls->pos;
        ls->pos = 0;
    }
    if (ls->len == ls->cap) {
        size_t ncap = ls->cap * 2 > ls->limit + 1 ? ls->limit + 1 : ls->cap * 2;
        if (ncap <= ls->cap) {
            ls->too_big = 1;
            return -1;
        }
        char *nb = sl_realloc(ls->buf, ncap);
        if (!nb) {
            ls->nomem = 1;
            return -1;
        }
        ls->buf = nb;
        ls->cap = ncap;
    }
    ssize_t n;
    do
        n = read(ls->fd, ls->buf + ls->len, ls->cap - ls->len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        ls->err = errno ? errno : EIO;
        return -1;
    }
    if (n == 0) {
        ls->eof = 1;
        return 0;
    }
    ls->len += (size_t)n;
    ls->total += (size_t)n;
    if (ls->total > ls->limit) {
        ls->too_big = 1;
        return -1;
    }
    return 1;
}

/* The diagnostic for a failed lines_fill. */
static int lines_error(const struct lines *ls, struct sl_diag *d)
{
    if (ls->nomem)
        return sl_diag_set(d, SL_ENOMEM, ls->path, 0, 0, "out of memory reading the trace");
    if (ls->too_big) {
        char lim[160];
        return sl_diag_set(d, SL_EINVAL, ls->path, ls->line + 1, 0, "%s",
                           sl_limit_text(SL_LIM_TRACE_BYTES, lim, sizeof lim));
    }
    return sl_diag_set(d, SL_EINVAL, ls->path, ls->line + 1, 0, "cannot read the trace file: %s",
                       strerror(ls->err));
}

/* The next line: 1, 0 at the end, -1 on an error (lines_error). */
static int next_line(struct lines *ls)
{
    for (;;) {
        char *p = ls->buf + ls->pos;
        size_t avail = ls->len - ls->pos;
        char *nl = avail > ls->scanned ? memchr(p + ls->scanned, '\n', avail - ls->scanned) : NULL;
        char *e;
        if (nl) {
            e = nl;
            ls->pos = (size_t)(nl + 1 - ls->buf);
        } else if (ls->eof) {
            if (avail == 0)
                return 0;
            e = p + avail;
            ls->pos = ls->len;
        } else {
            ls->scanned = avail;
            if (lines_fill(ls) < 0)
                return -1;
            continue;
        }
        ls->scanned = 0;
        if (e > p && e[-1] == '\r')
            e--;
        ls->p = p;
        ls->end = e;
        ls->line++;
        return 1;
    }
}

/* Reads the first bytes: skips a UTF-8 byte order mark, refuses UTF-16,
 * and leaves at least the first 4 KB (or the whole file) in the buffer
 * for detection.  Returns SL_OK or an error in d. */
static int lines_start(struct lines *ls, struct sl_diag *d)
{
    while (!ls->eof && ls->len < 4096)
        if (lines_fill(ls) < 0)
            return lines_error(ls, d);
    const unsigned char *b = (const unsigned char *)ls->buf;
    if (ls->len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        ls->pos = 3;
    else if (ls->len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return sl_diag_set(d, SL_EINVAL, ls->path, 1, 1,
                           "the file is UTF-16 text (expected UTF-8 or ASCII, as the traces are)");
    return SL_OK;
}

/* ---- Lines and fields -------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int blank(const char *p, const char *e)
{
    for (; p < e; p++)
        if (!is_space(*p))
            return 0;
    return 1;
}

/* A field [s, e) of a line, spaces around it trimmed; col is the 1-based
 * column of its first character. */
struct field {
    const char *s, *e;
    int col;
};

/* Splits [p, e) at commas into at most max fields, trimmed.  Returns the
 * number of fields there are (which may exceed max; only max are filled). */
static int split(const char *line, const char *p, const char *e, struct field *f, int max)
{
    int n = 0;
    const char *s = p;
    for (const char *q = p;; q++) {
        if (q == e || *q == ',') {
            if (n < max) {
                const char *a = s, *b = q;
                while (a < b && is_space(*a))
                    a++;
                while (b > a && is_space(b[-1]))
                    b--;
                f[n].s = a;
                f[n].e = b;
                long col = a - line + 1;
                f[n].col = col > 1000000 ? 1000000 : (int)col;
            }
            n++;
            s = q + 1;
            if (q == e)
                break;
        }
    }
    return n;
}

/* Shortened text of a field for a message. */
#define FIELD_FMT "'%.*s%s'"
#define FIELD_ARGS(f)                                                                              \
    (int)((f)->e - (f)->s > 40 ? 40 : (f)->e - (f)->s), (f)->s, ((f)->e - (f)->s > 40 ? "..." : "")

/* Why a number did not parse. */
enum num_fault { NUM_OK = 0, NUM_EMPTY, NUM_SYNTAX, NUM_NEGATIVE, NUM_FRACTION, NUM_RANGE };

/* Parses [s, e) as a plain decimal number (sign, digits, point, exponent;
 * no hex, inf or nan), finite. */
static enum num_fault parse_real(const char *s, const char *e, double *out)
{
    if (s == e)
        return NUM_EMPTY;
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    uint64_t v = 0;
    size_t digits = 0;
    int simple = 1;
    for (; p < e && is_digit(*p); p++, digits++) {
        if (v > (UINT64_MAX - 9) / 10)
            simple = 0;
        else
            v = v * 10 + (uint64_t)(*p - '0');
    }
    if (p < e && *p == '.') {
        simple = 0;
        for (p++; p < e && is_digit(*p); p++)
            digits++;
    }
    if (digits == 0)
        return NUM_SYNTAX;
    if (p < e && (*p == 'e' || *p == 'E')) {
        simple = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e || !is_digit(*p))
            return NUM_SYNTAX;
        while (p < e && is_digit(*p))
            p++;
    }
    if (p != e)
        return NUM_SYNTAX;
    double x;
    if (simple && v < (UINT64_C(1) << 53)) {
        x = (double)v;
    } else {
        char tmp[128];
        size_t n = (size_t)(e - s);
        if (n >= sizeof tmp)
            return NUM_RANGE;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        x = strtod(tmp, NULL);
        if (!isfinite(x))
            return NUM_RANGE;
    }
    if (neg)
        x = -x;
    if (neg && x < 0)
        return NUM_NEGATIVE;
    *out = x == 0 ? 0.0 : x; /* no negative zero */
    return NUM_OK;
}

/* Parses a whole, non-negative number of at most max (a count). */
static enum num_fault parse_count(const char *s, const char *e, double max, int64_t *out)
{
    double x;
    enum num_fault f = parse_real(s, e, &x);
    if (f != NUM_OK)
        return f;
    if (x != floor(x))
        return NUM_FRACTION;
    if (x > max)
        return NUM_RANGE;
    *out = (int64_t)x;
    return NUM_OK;
}

/* ---- The trace being built --------------------------------------------- */

struct reader {
    const char *path;
    int lenient;
    struct sl_diag *d;
    struct sl_trace *t;
    size_t cap_req, cap_hash, cap_win;
};

/* A row fault: an error, or with lenient a skip.  Returns SL_OK to go on
 * (skipped) or SL_EINVAL. */
static int row_fault(struct reader *r, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int row_fault(struct reader *r, int line, int col, const char *fmt, ...)
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

static int limit_error(struct reader *r, int line, enum sl_limit_id id)
{
    char lim[200];
    return sl_diag_set(r->d, SL_EINVAL, r->path, line, 0, "%s", sl_limit_text(id, lim, sizeof lim));
}

static int oom(struct reader *r)
{
    return sl_diag_set(r->d, SL_ENOMEM, r->path, 0, 0, "out of memory reading the trace");
}

/* Appends a request; its time is in the format's raw unit until
 * finish_requests. */
static int push_req(struct reader *r, int line, const struct sl_trace_req *q)
{
    struct sl_trace *t = r->t;
    if (t->n_req == r->cap_req) {
        if ((double)t->n_req >= SL_LIMIT(SL_LIM_TRACE_ROWS))
            return limit_error(r, line, SL_LIM_TRACE_ROWS);
        size_t ncap = r->cap_req ? r->cap_req * 2 : 1024;
        if ((double)ncap > SL_LIMIT(SL_LIM_TRACE_ROWS))
            ncap = (size_t)SL_LIMIT(SL_LIM_TRACE_ROWS);
        struct sl_trace_req *nr = sl_reallocarray(t->req, ncap, sizeof *nr);
        if (!nr)
            return oom(r);
        t->req = nr;
        r->cap_req = ncap;
    }
    t->req[t->n_req++] = *q;
    return SL_OK;
}

static int push_hash(struct reader *r, int line, uint32_t id)
{
    struct sl_trace *t = r->t;
    if (t->n_hash == r->cap_hash) {
        if ((double)t->n_hash >= SL_LIMIT(SL_LIM_TRACE_HASHES))
            return limit_error(r, line, SL_LIM_TRACE_HASHES);
        size_t ncap = r->cap_hash ? r->cap_hash * 2 : 4096;
        if ((double)ncap > SL_LIMIT(SL_LIM_TRACE_HASHES))
            ncap = (size_t)SL_LIMIT(SL_LIM_TRACE_HASHES);
        uint32_t *nh = sl_reallocarray(t->hash, ncap, sizeof *nh);
        if (!nh)
            return oom(r);
        t->hash = nh;
        r->cap_hash = ncap;
    }
    t->hash[t->n_hash++] = id;
    return SL_OK;
}

static int push_window(struct reader *r, int line, const struct sl_trace_window *w)
{
    struct sl_trace *t = r->t;
    if (t->n_windows == r->cap_win) {
        if ((double)t->n_windows >= SL_LIMIT(SL_LIM_TRACE_ROWS))
            return limit_error(r, line, SL_LIM_TRACE_ROWS);
        size_t ncap = r->cap_win ? r->cap_win * 2 : 4096;
        if ((double)ncap > SL_LIMIT(SL_LIM_TRACE_ROWS))
            ncap = (size_t)SL_LIMIT(SL_LIM_TRACE_ROWS);
        struct sl_trace_window *nw = sl_reallocarray(t->windows, ncap, sizeof *nw);
        if (!nw)
            return oom(r);
        t->windows = nw;
        r->cap_win = ncap;
    }
    t->windows[t->n_windows++] = *w;
    return SL_OK;
}

/* Stable merge sort of requests by t_us (bottom-up, with a scratch copy). */
static int sort_requests(struct sl_trace_req *a, size_t n)
{
    size_t i;
    for (i = 1; i < n && a[i - 1].t_us <= a[i].t_us; i++)
        ;
    if (i >= n)
        return SL_OK;
    struct sl_trace_req *tmp = sl_reallocarray(NULL, n, sizeof *tmp);
    if (!tmp)
        return SL_ENOMEM;
    struct sl_trace_req *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi)
                dst[k++] = src[y].t_us < src[x].t_us ? src[y++] : src[x++];
            while (x < mid)
                dst[k++] = src[x++];
            while (y < hi)
                dst[k++] = src[y++];
        }
        struct sl_trace_req *s = src;
        src = dst;
        dst = s;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    sl_free(tmp);
    return SL_OK;
}

/* Same for the windows of one client; ties are an error, found after. */
static int sort_windows(struct sl_trace_window *a, size_t n)
{
    size_t i;
    for (i = 1; i < n && a[i - 1].t_us <= a[i].t_us; i++)
        ;
    if (i >= n)
        return SL_OK;
    struct sl_trace_window *tmp = sl_reallocarray(NULL, n, sizeof *tmp);
    if (!tmp)
        return SL_ENOMEM;
    struct sl_trace_window *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi)
                dst[k++] = src[y].t_us < src[x].t_us ? src[y++] : src[x++];
            while (x < mid)
                dst[k++] = src[x++];
            while (y < hi)
                dst[k++] = src[y++];
        }
        struct sl_trace_window *s = src;
        src = dst;
        dst = s;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    sl_free(tmp);
    return SL_OK;
}

/* Sorts the requests and makes their times relative to the first, dividing
 * raw times by div (rounded half up; raw times are >= 0). */
static int finish_requests(struct reader *r, int64_t div)
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
    if (sort_requests(t->req, t->n_req) != SL_OK)
        return oom(r);
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
static int token_field(struct reader *r, int line, const struct field *f, const char *name,
                       int32_t *out)
{
    int64_t v = 0;
    *out = 0;
    switch (parse_count(f->s, f->e, SL_LIMIT(SL_LIM_TRACE_TOKENS), &v)) {
    case NUM_OK:
        if (v < 1)
            return row_fault(r, line, f->col,
                             "%s is 0: a request has at least one token (expected an "
                             "integer >= 1)",
                             name);
        *out = (int32_t)v;
        return SL_OK;
    case NUM_EMPTY:
        return row_fault(r, line, f->col, "%s is empty (expected an integer >= 1)", name);
    case NUM_NEGATIVE:
        return row_fault(r, line, f->col, "%s " FIELD_FMT " is negative (expected an integer >= 1)",
                         name, FIELD_ARGS(f));
    case NUM_FRACTION:
        return row_fault(r, line, f->col,
                         "%s " FIELD_FMT " is not a whole number (expected an integer >= 1)", name,
                         FIELD_ARGS(f));
    case NUM_RANGE: {
        char lim[200];
        return row_fault(r, line, f->col, "%s " FIELD_FMT ": %s", name, FIELD_ARGS(f),
                         sl_limit_text(SL_LIM_TRACE_TOKENS, lim, sizeof lim));
    }
    default:
        return row_fault(r, line, f->col,
                         "%s " FIELD_FMT " is not a number (expected an integer >= 1)", name,
                         FIELD_ARGS(f));
    }
}

/* ---- Azure ------------------------------------------------------------- */

/* Reads n digits at *p as a number; returns -1 if any is not a digit. */
static int digits(const char **p, const char *e, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= e || !is_digit(**p))
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
        for (; p < e && is_digit(*p); p++, nd++)
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

static int name_is(const struct field *f, const char *name)
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

static int read_azure(struct reader *r, struct lines *ls)
{
    struct field f[AZURE_MAX_COLUMNS];
    int ncol = 0, c_ts = -1, c_in = -1, c_out = -1, k;
    while ((k = next_line(ls)) > 0) {
        if (blank(ls->p, ls->end))
            continue;
        ncol = split(ls->p, ls->p, ls->end, f, AZURE_MAX_COLUMNS);
        if (ncol > AZURE_MAX_COLUMNS)
            return sl_diag_set(r->d, SL_EINVAL, r->path, ls->line, 0,
                               "the header has %d columns (expected at most %d)", ncol,
                               AZURE_MAX_COLUMNS);
        for (int i = 0; i < ncol; i++) {
            if (name_is(&f[i], "TIMESTAMP"))
                c_ts = i;
            else if (name_is(&f[i], "ContextTokens"))
                c_in = i;
            else if (name_is(&f[i], "GeneratedTokens"))
                c_out = i;
        }
        break;
    }
    if (k < 0)
        return lines_error(ls, r->d);
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
    while ((k = next_line(ls)) > 0) {
        if (blank(ls->p, ls->end))
            continue;
        int n = split(ls->p, ls->p, ls->end, f, AZURE_MAX_COLUMNS);
        if (n != ncol) {
            if ((rc = row_fault(r, ls->line, 0,
                                "the row has %d comma-separated fields (expected %d, as in the "
                                "header)",
                                n, ncol)) != SL_OK)
                return rc;
            continue;
        }
        struct sl_trace_req q = {0, 0, 0, 0, 0};
        int pt = parse_datetime_ns(f[c_ts].s, f[c_ts].e, &q.t_us);
        if (pt != 0) {
            if ((rc = row_fault(r, ls->line, f[c_ts].col,
                                pt == -1 ? "TIMESTAMP " FIELD_FMT
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
        if ((rc = push_req(r, ls->line, &q)) != SL_OK)
            return rc;
    }
    if (k < 0)
        return lines_error(ls, r->d);
    return finish_requests(r, 1000);
}

/* ---- Mooncake JSONL ---------------------------------------------------- */

/* A scanner over one line of JSON.  fault is set at the first error with
 * the column and a message; the caller turns it into a row fault. */
struct json {
    const char *line, *p, *e;
    const char *fault;
    const char *fault_at;
    char msg[200];
};

static void jws(struct json *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static int jfail(struct json *j, const char *what)
{
    if (!j->fault) {
        j->fault = what;
        j->fault_at = j->p;
    }
    return -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Scans a string at j->p (which is at '"'); [*s, *e) is its raw content. */
static int jstring(struct json *j, const char **s, const char **e)
{
    if (j->p >= j->e || *j->p != '"')
        return jfail(j, "expected a string in double quotes");
    j->p++;
    *s = j->p;
    while (j->p < j->e && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            return jfail(j, "a control character in a string (expected it escaped)");
        if (c == '\\') {
            j->p++;
            if (j->p >= j->e)
                break;
            char x = *j->p;
            if (x == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (j->p + i >= j->e || hexval(j->p[i]) < 0)
                        return jfail(j, "a bad \\u escape (expected four hex digits)");
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", x) || x == '\0') {
                return jfail(j, "a bad escape in a string (expected one of \\\" \\\\ \\/ \\b "
                                "\\f \\n \\r \\t \\uXXXX)");
            }
        }
        j->p++;
    }
    if (j->p >= j->e)
        return jfail(j, "a string without its closing quote");
    *e = j->p;
    j->p++;
    return 0;
}

/* Scans a JSON number (RFC 8259 grammar) into *x. */
static int jnumber(struct json *j, double *x)
{
    const char *s = j->p, *p = j->p;
    if (p < j->e && *p == '-')
        p++;
    if (p >= j->e || !is_digit(*p))
        return jfail(j, "expected a number");
    if (*p == '0')
        p++;
    else
        while (p < j->e && is_digit(*p))
            p++;
    if (p < j->e && *p == '.') {
        p++;
        if (p >= j->e || !is_digit(*p))
            return jfail(j, "a number with no digit after its point");
        while (p < j->e && is_digit(*p))
            p++;
    }
    if (p < j->e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->e && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->e || !is_digit(*p))
            return jfail(j, "a number with no digit in its exponent");
        while (p < j->e && is_digit(*p))
            p++;
    }
    double v;
    int neg = *s == '-';
    enum num_fault f = parse_real(s + neg, p, &v);
    if (f != NUM_OK)
        return jfail(j, "a number out of range (expected a finite number)");
    *x = neg ? -v : v;
    j->p = p;
    return 0;
}

static int jword(struct json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->e - j->p) >= n && memcmp(j->p, w, n) == 0) {
        j->p += n;
        return 0;
    }
    return jfail(j, "expected a number, a string, an array, true, false or null");
}

/* Skips a scalar value (number, string, literal). */
static int jscalar(struct json *j)
{
    if (j->p >= j->e)
        return jfail(j, "the line ends where a value was expected");
    char c = *j->p;
    double x;
    const char *s, *e;
    if (c == '"')
        return jstring(j, &s, &e);
    if (c == '-' || is_digit(c))
        return jnumber(j, &x);
    if (c == 't')
        return jword(j, "true");
    if (c == 'f')
        return jword(j, "false");
    if (c == 'n')
        return jword(j, "null");
    if (c == '{')
        return jfail(j, "a nested object (expected a flat object of numbers, strings and "
                        "arrays)");
    if (c == '[')
        return jfail(j, "a nested array (expected an array of numbers)");
    return jfail(j, "expected a number, a string, an array, true, false or null");
}

static int key_is(const char *s, const char *e, const char *k)
{
    size_t n = strlen(k);
    return (size_t)(e - s) == n && memcmp(s, k, n) == 0;
}

enum { MK_TS = 1, MK_IN = 2, MK_OUT = 4, MK_HASH = 8 };

/* Parses one Mooncake line into q (hash ids pushed to the pool).  Returns
 * SL_OK, a row fault (skipped: *bad set) or a hard error. */
static int mooncake_row(struct reader *r, struct lines *ls, struct sl_trace_req *q, int *bad)
{
    struct json j = {ls->p, ls->p, ls->end, NULL, NULL, {0}};
    int seen = 0;
    double ts = 0, in = 0, out = 0;
    const char *at_in = NULL, *at_out = NULL, *at_ts = NULL;
    size_t hash0 = r->t->n_hash;
    *bad = 0;
    jws(&j);
    if (j.p >= j.e || *j.p != '{') {
        jfail(&j, "expected a JSON object {...} per line");
        goto fault;
    }
    j.p++;
    jws(&j);
    if (j.p < j.e && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            const char *ks, *ke;
            jws(&j);
            if (jstring(&j, &ks, &ke) != 0)
                goto fault;
            jws(&j);
            if (j.p >= j.e || *j.p != ':') {
                jfail(&j, "expected ':' after a key");
                goto fault;
            }
            j.p++;
            jws(&j);
            int k = key_is(ks, ke, "timestamp")       ? MK_TS
                    : key_is(ks, ke, "input_length")  ? MK_IN
                    : key_is(ks, ke, "output_length") ? MK_OUT
                    : key_is(ks, ke, "hash_ids")      ? MK_HASH
                                                      : 0;
            if (k && (seen & k)) {
                j.p = ks;
                snprintf(j.msg, sizeof j.msg, "the key \"%.*s\" appears twice (expected once)",
                         (int)(ke - ks), ks);
                jfail(&j, j.msg);
                goto fault;
            }
            seen |= k;
            const char *vat = j.p;
            if (k == MK_TS || k == MK_IN || k == MK_OUT) {
                double x;
                if (j.p < j.e && *j.p != '-' && !is_digit(*j.p)) {
                    snprintf(j.msg, sizeof j.msg, "\"%.*s\" is not a number", (int)(ke - ks), ks);
                    jfail(&j, j.msg);
                    goto fault;
                }
                if (jnumber(&j, &x) != 0)
                    goto fault;
                if (k == MK_TS) {
                    ts = x;
                    at_ts = vat;
                } else if (k == MK_IN) {
                    in = x;
                    at_in = vat;
                } else {
                    out = x;
                    at_out = vat;
                }
            } else if (j.p < j.e && *j.p == '[') {
                j.p++;
                jws(&j);
                if (j.p < j.e && *j.p == ']') {
                    j.p++;
                } else {
                    for (;;) {
                        jws(&j);
                        if (k == MK_HASH) {
                            double x;
                            const char *hat = j.p;
                            if (jnumber(&j, &x) != 0)
                                goto fault;
                            if (x < 0 || x != floor(x) || x > 4294967295.0) {
                                j.p = hat;
                                jfail(&j, "a hash id that is not an integer in [0, 2^32) "
                                          "(expected prefix-block ids)");
                                goto fault;
                            }
                            int rc = push_hash(r, ls->line, (uint32_t)x);
                            if (rc != SL_OK)
                                return rc;
                        } else if (jscalar(&j) != 0) {
                            goto fault;
                        }
                        jws(&j);
                        if (j.p < j.e && *j.p == ',') {
                            j.p++;
                            continue;
                        }
                        if (j.p < j.e && *j.p == ']') {
                            j.p++;
                            break;
                        }
                        jfail(&j, "expected ',' or ']' in an array");
                        goto fault;
                    }
                }
            } else if (k == MK_HASH) {
                jfail(&j, "\"hash_ids\" is not an array (expected [id, ...])");
                goto fault;
            } else if (jscalar(&j) != 0) {
                goto fault;
            }
            jws(&j);
            if (j.p < j.e && *j.p == ',') {
                j.p++;
                continue;
            }
            if (j.p < j.e && *j.p == '}') {
                j.p++;
                break;
            }
            jfail(&j, "expected ',' or '}' after a value");
            goto fault;
        }
    }
    jws(&j);
    if (j.p != j.e) {
        jfail(&j, "text after the object (expected one object per line)");
        goto fault;
    }
    if ((seen & (MK_TS | MK_IN | MK_OUT)) != (MK_TS | MK_IN | MK_OUT)) {
        j.p = ls->p;
        snprintf(j.msg, sizeof j.msg,
                 "the object lacks the key \"%s\" (expected \"timestamp\", \"input_length\" "
                 "and \"output_length\")",
                 !(seen & MK_TS)   ? "timestamp"
                 : !(seen & MK_IN) ? "input_length"
                                   : "output_length");
        jfail(&j, j.msg);
        goto fault;
    }
    if (ts < 0 || ts / 1000 > SL_LIMIT(SL_LIM_DURATION)) {
        j.p = at_ts;
        jfail(&j, ts < 0 ? "\"timestamp\" is negative (expected milliseconds >= 0)"
                         : "\"timestamp\" is later than the duration limit (expected "
                           "milliseconds from the start of the trace)");
        goto fault;
    }
    for (int w = 0; w < 2; w++) {
        double x = w ? out : in;
        const char *name = w ? "\"output_length\"" : "\"input_length\"";
        if (x < 1 || x != floor(x) || x > SL_LIMIT(SL_LIM_TRACE_TOKENS)) {
            j.p = w ? at_out : at_in;
            char lim[160];
            snprintf(j.msg, sizeof j.msg, "%s %.17g %s", name, x,
                     x > SL_LIMIT(SL_LIM_TRACE_TOKENS)
                         ? sl_limit_text(SL_LIM_TRACE_TOKENS, lim, sizeof lim)
                         : "is not a token count (expected an integer >= 1)");
            jfail(&j, j.msg);
            goto fault;
        }
    }
    q->t_us = llround(ts * 1000.0);
    q->prompt = (int32_t)in;
    q->output = (int32_t)out;
    q->hash_first = (uint32_t)hash0;
    q->hash_n = (uint32_t)(r->t->n_hash - hash0);
    return SL_OK;
fault:
    r->t->n_hash = hash0;
    *bad = 1;
    {
        long col = (j.fault_at ? j.fault_at : j.p) - ls->p + 1;
        return row_fault(r, ls->line, col > 1000000 ? 1000000 : (int)col, "%s", j.fault);
    }
}

static int read_mooncake(struct reader *r, struct lines *ls)
{
    int rc, bad, k;
    while ((k = next_line(ls)) > 0) {
        if (blank(ls->p, ls->end))
            continue;
        struct sl_trace_req q = {0, 0, 0, 0, 0};
        if ((rc = mooncake_row(r, ls, &q, &bad)) != SL_OK)
            return rc;
        if (!bad && (rc = push_req(r, ls->line, &q)) != SL_OK)
            return rc;
    }
    if (k < 0)
        return lines_error(ls, r->d);
    if (r->t->n_req == 0 && r->t->skipped == 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "the trace file is empty (expected one JSON object per request)");
    return finish_requests(r, 1);
}

/* ---- ServeGen ---------------------------------------------------------- */

static int dist_of(const struct field *f)
{
    if (f->s == f->e)
        return 0;
    if (name_is(f, "gamma"))
        return 1;
    if (name_is(f, "weibull"))
        return 2;
    if (name_is(f, "exponential"))
        return 3;
    return -1;
}

static const char *const servegen_names[6] = {"window_start_s", "rate_rps", "cv",
                                              "dist",           "shape",    "scale"};

/* Reads one client's rows (appended to r->t->windows). */
static int read_servegen_rows(struct reader *r, struct lines *ls)
{
    struct field f[6];
    int rc, k;
    while ((k = next_line(ls)) > 0) {
        if (blank(ls->p, ls->end))
            continue;
        int n = split(ls->p, ls->p, ls->end, f, 6);
        if (n != 6) {
            if ((rc = row_fault(r, ls->line, 0,
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
            enum num_fault nf = parse_real(f[i].s, f[i].e, &v[i]);
            if (nf == NUM_OK)
                continue;
            bad = 1;
            if ((rc = row_fault(r, ls->line, f[i].col,
                                "%s " FIELD_FMT " %s (expected a finite number >= 0)",
                                servegen_names[i], FIELD_ARGS(&f[i]),
                                nf == NUM_NEGATIVE ? "is negative"
                                : nf == NUM_EMPTY  ? "is empty"
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
            if ((rc = row_fault(r, ls->line, col, "%s", why)) != SL_OK)
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
        if ((rc = push_window(r, ls->line, &w)) != SL_OK)
            return rc;
    }
    return k < 0 ? lines_error(ls, r->d) : SL_OK;
}

/* Reads one client's file (started) into the windows. */
static int read_servegen_file(struct reader *r, struct lines *ls)
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
    if (sort_windows(w, n) != SL_OK)
        return oom(r);
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
static int servegen_client(struct reader *r, const char *path)
{
    struct lines ls;
    int rc = lines_open(&ls, path, r->d);
    if (rc != SL_OK)
        return rc;
    const char *saved = r->path;
    r->path = path;
    rc = lines_start(&ls, r->d);
    if (rc == SL_OK)
        rc = read_servegen_file(r, &ls);
    r->path = saved;
    lines_close(&ls);
    if (rc != SL_OK)
        return rc;
    struct sl_trace *t = r->t;
    size_t *nf = sl_reallocarray(t->window_first, t->n_clients + 2, sizeof *nf);
    if (!nf)
        return oom(r);
    t->window_first = nf;
    if (t->n_clients == 0)
        nf[0] = 0;
    t->n_clients++;
    nf[t->n_clients] = t->n_windows;
    return SL_OK;
}

static int read_servegen_dir(struct reader *r)
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
            rc = limit_error(r, 0, SL_LIM_TRACE_FILES);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = sl_reallocarray(names, ncap, sizeof *nn);
            if (!nn) {
                rc = oom(r);
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = sl_strdup(de->d_name))) {
            rc = oom(r);
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
                rc = oom(r);
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
static void finish_windows(struct sl_trace *t)
{
    t->window_us = SERVEGEN_DEFAULT_WINDOW_US;
    for (size_t c = 0; c < t->n_clients; c++)
        if (t->window_first[c + 1] - t->window_first[c] >= 2) {
            size_t i = t->window_first[c];
            t->window_us = t->windows[i + 1].t_us - t->windows[i].t_us;
            break;
        }
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
        double period = 0, count = 0;
        double win = (double)t->window_us / 1e6;
        for (size_t c = 0; c < t->n_clients; c++)
            for (size_t i = t->window_first[c]; i < t->window_first[c + 1]; i++) {
                double s = (double)t->windows[i].t_us / 1e6;
                double e =
                    i + 1 < t->window_first[c + 1] ? (double)t->windows[i + 1].t_us / 1e6 : s + win;
                count += t->windows[i].rate * (e - s);
                if (e > period)
                    period = e;
            }
        out->n = t->n_windows;
        out->span_s = period;
        out->rate = period > 0 ? count / period : 0;
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
        while (q < e && is_space(*q))
            q++;
        if (q == e) {
            p = next;
            continue;
        }
        *empty = 0;
        if (*q == '{')
            return SL_TRACE_MOONCAKE;
        struct field f[AZURE_MAX_COLUMNS];
        int n = split(p, p, e, f, AZURE_MAX_COLUMNS);
        for (int i = 0; i < n && i < AZURE_MAX_COLUMNS; i++)
            if (name_is(&f[i], "TIMESTAMP") || name_is(&f[i], "ContextTokens"))
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
    struct reader r = {path, lenient, d, out, 0, 0, 0};
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (format != SL_TRACE_AUTO && format != SL_TRACE_SERVEGEN)
            return sl_diag_set(d, SL_EINVAL, path, 0, 0,
                               "a folder (expected a %s trace file; only a ServeGen rate "
                               "trace may be a folder of *-trace.csv files)",
                               sl_trace_format_names[format]);
        out->format = SL_TRACE_SERVEGEN;
        int rc = read_servegen_dir(&r);
        if (rc == SL_OK && !(out->path = sl_strdup(path)))
            rc = oom(&r);
        if (rc != SL_OK) {
            sl_trace_release(out);
            return rc;
        }
        finish_windows(out);
        return SL_OK;
    }
    struct lines ls;
    int rc = lines_open(&ls, path, d);
    if (rc != SL_OK)
        return rc;
    rc = lines_start(&ls, d);
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
        lines_close(&ls);
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
        rc = read_mooncake(&r, &ls);
    } else {
        rc = read_servegen_file(&r, &ls);
        if (rc == SL_OK) {
            out->window_first = sl_calloc(2, sizeof *out->window_first);
            if (!out->window_first) {
                rc = oom(&r);
            } else {
                out->n_clients = 1;
                out->window_first[1] = out->n_windows;
                finish_windows(out);
            }
        }
    }
    lines_close(&ls);
    if (rc == SL_OK && !(out->path = sl_strdup(path)))
        rc = oom(&r);
    if (rc != SL_OK) {
        sl_trace_release(out);
        return rc;
    }
    return SL_OK;
}
