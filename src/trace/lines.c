/*
 * The chunked line reader and the field and number scanners of the trace
 * readers (trace_int.h).  A file is read in 64 KB chunks through one
 * buffer that grows only for a longer line: no stdio, no per-row
 * allocation, and strtod only for numbers with a fraction or an exponent.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/trace.h"
#include "trace/trace_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- Reading a file in chunks ----------------------------------------- */

/* Opens the regular file at path.  Returns SL_OK (close with lines_close),
 * SL_ENOENT or SL_EINVAL/SL_ENOMEM with d filled. */
int sl__trace_lines_open(struct sl__trace_lines *ls, const char *path, struct sl_diag *d)
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
    ls->cap = SL__TRACE_CHUNK_BYTES;
    ls->buf = sl_malloc(ls->cap);
    if (!ls->buf) {
        close(fd);
        return sl_diag_set(d, SL_ENOMEM, path, 0, 0, "out of memory reading the trace");
    }
    ls->fd = fd;
    return SL_OK;
}

void sl__trace_lines_close(struct sl__trace_lines *ls)
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
static int lines_fill(struct sl__trace_lines *ls)
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
int sl__trace_lines_error(const struct sl__trace_lines *ls, struct sl_diag *d)
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
int sl__trace_next_line(struct sl__trace_lines *ls)
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
int sl__trace_lines_start(struct sl__trace_lines *ls, struct sl_diag *d)
{
    while (!ls->eof && ls->len < 4096)
        if (lines_fill(ls) < 0)
            return sl__trace_lines_error(ls, d);
    const unsigned char *b = (const unsigned char *)ls->buf;
    if (ls->len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        ls->pos = 3;
    else if (ls->len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return sl_diag_set(d, SL_EINVAL, ls->path, 1, 1,
                           "the file is UTF-16 text (expected UTF-8 or ASCII, as the traces are)");
    return SL_OK;
}

/* ---- Lines and fields -------------------------------------------------- */

int sl__trace_blank(const char *p, const char *e)
{
    for (; p < e; p++)
        if (!sl__trace_is_space(*p))
            return 0;
    return 1;
}

/* Splits [p, e) at commas into at most max fields, trimmed.  Returns the
 * number of fields there are (which may exceed max; only max are filled). */
int sl__trace_split(const char *line, const char *p, const char *e, struct sl__trace_field *f,
                    int max)
{
    int n = 0;
    const char *s = p;
    for (const char *q = p;; q++) {
        if (q == e || *q == ',') {
            if (n < max) {
                const char *a = s, *b = q;
                while (a < b && sl__trace_is_space(*a))
                    a++;
                while (b > a && sl__trace_is_space(b[-1]))
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

/* Parses [s, e) as a plain decimal number (sign, digits, point, exponent;
 * no hex, inf or nan), finite. */
enum sl__trace_num_fault sl__trace_parse_real(const char *s, const char *e, double *out)
{
    if (s == e)
        return SL__NUM_EMPTY;
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    uint64_t v = 0;
    size_t digits = 0;
    int simple = 1;
    for (; p < e && sl__trace_is_digit(*p); p++, digits++) {
        if (v > (UINT64_MAX - 9) / 10)
            simple = 0;
        else
            v = v * 10 + (uint64_t)(*p - '0');
    }
    if (p < e && *p == '.') {
        simple = 0;
        for (p++; p < e && sl__trace_is_digit(*p); p++)
            digits++;
    }
    if (digits == 0)
        return SL__NUM_SYNTAX;
    if (p < e && (*p == 'e' || *p == 'E')) {
        simple = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e || !sl__trace_is_digit(*p))
            return SL__NUM_SYNTAX;
        while (p < e && sl__trace_is_digit(*p))
            p++;
    }
    if (p != e)
        return SL__NUM_SYNTAX;
    double x;
    if (simple && v < (UINT64_C(1) << 53)) {
        x = (double)v;
    } else {
        char tmp[128];
        size_t n = (size_t)(e - s);
        if (n >= sizeof tmp)
            return SL__NUM_RANGE;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        x = strtod(tmp, NULL);
        if (!isfinite(x))
            return SL__NUM_RANGE;
    }
    if (neg)
        x = -x;
    if (neg && x < 0)
        return SL__NUM_NEGATIVE;
    *out = x == 0 ? 0.0 : x; /* no negative zero */
    return SL__NUM_OK;
}

/* Parses a whole, non-negative number of at most max (a count). */
enum sl__trace_num_fault sl__trace_parse_count(const char *s, const char *e, double max,
                                               int64_t *out)
{
    double x;
    enum sl__trace_num_fault f = sl__trace_parse_real(s, e, &x);
    if (f != SL__NUM_OK)
        return f;
    if (x != floor(x))
        return SL__NUM_FRACTION;
    if (x > max)
        return SL__NUM_RANGE;
    *out = (int64_t)x;
    return SL__NUM_OK;
}
