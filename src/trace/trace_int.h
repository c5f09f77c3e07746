/*
 * Internals of the trace readers (src/trace/): the chunked line reader and
 * field scanners (lines.c), the trace under construction and its row
 * faults (trace.c), shared by the format readers (trace.c: Azure and the
 * entry points; mooncake.c; servegen.c).  The formats, checks and limits
 * are described at the top of trace.c.
 */
#ifndef SUANLI_TRACE_TRACE_INT_H
#define SUANLI_TRACE_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/trace.h"

#define SL__TRACE_CHUNK_BYTES 65536

/* A trace file read line by line through one buffer.  buf[pos, len) are
 * the bytes read and not yet consumed, of which the first `scanned` hold no
 * newline; a line is handed out as [p, end) inside buf and stays valid
 * until the next call, which may move or grow the buffer (it grows only
 * when one line is longer than it, and never past the size limit).  At
 * most limit bytes are read even if the file grows meanwhile: one byte
 * more sets too_big. */
struct sl__trace_lines {
    int fd;
    const char *path;
    char *buf;
    size_t cap, pos, len, scanned;
    size_t total, limit, size; /* bytes read; the limit; the size fstat gave */
    int eof, err, too_big, nomem;
    const char *p, *end; /* the current line, without "\n" or "\r\n" */
    int line;
};

/* Opens the regular file at path.  Returns SL_OK (close with
 * sl__trace_lines_close), SL_ENOENT or SL_EINVAL/SL_ENOMEM with d filled. */
int sl__trace_lines_open(struct sl__trace_lines *ls, const char *path, struct sl_diag *d);
void sl__trace_lines_close(struct sl__trace_lines *ls);
/* Reads the first bytes: skips a UTF-8 byte order mark, refuses UTF-16,
 * and leaves at least the first 4 KB (or the whole file) in the buffer
 * for detection.  Returns SL_OK or an error in d. */
int sl__trace_lines_start(struct sl__trace_lines *ls, struct sl_diag *d);
/* The next line into ls->p, ls->end: 1, 0 at the end, -1 on an error
 * (sl__trace_lines_error gives its diagnostic). */
int sl__trace_next_line(struct sl__trace_lines *ls);
int sl__trace_lines_error(const struct sl__trace_lines *ls, struct sl_diag *d);

static inline int sl__trace_is_space(char c)
{
    return c == ' ' || c == '\t';
}

static inline int sl__trace_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 when [p, e) holds only spaces and tabs. */
int sl__trace_blank(const char *p, const char *e);

/* A field [s, e) of a line, spaces around it trimmed; col is the 1-based
 * column of its first character. */
struct sl__trace_field {
    const char *s, *e;
    int col;
};

/* Splits [p, e) at commas into at most max fields, trimmed; columns count
 * from line.  Returns the number of fields there are (which may exceed
 * max; only max are filled). */
int sl__trace_split(const char *line, const char *p, const char *e, struct sl__trace_field *f,
                    int max);
/* Case-insensitive comparison of a field with name. */
int sl__trace_name_is(const struct sl__trace_field *f, const char *name);

/* Shortened text of a field for a message. */
#define FIELD_FMT "'%.*s%s'"
#define FIELD_ARGS(f)                                                                              \
    (int)((f)->e - (f)->s > 40 ? 40 : (f)->e - (f)->s), (f)->s, ((f)->e - (f)->s > 40 ? "..." : "")

/* Why a number did not parse. */
enum sl__trace_num_fault {
    SL__NUM_OK = 0,
    SL__NUM_EMPTY,
    SL__NUM_SYNTAX,
    SL__NUM_NEGATIVE,
    SL__NUM_FRACTION,
    SL__NUM_RANGE
};

/* Parses [s, e) as a plain decimal number (sign, digits, point, exponent;
 * no hex, inf or nan), finite. */
enum sl__trace_num_fault sl__trace_parse_real(const char *s, const char *e, double *out);
/* Parses a whole, non-negative number of at most max (a count). */
enum sl__trace_num_fault sl__trace_parse_count(const char *s, const char *e, double max,
                                               int64_t *out);

/* The trace being read: its path (of the file being read, for messages),
 * the mode, where errors go, and the capacities of the growing arrays. */
struct sl__trace_reader {
    const char *path;
    int lenient;
    struct sl_diag *d;
    struct sl_trace *t;
    size_t cap_req, cap_hash, cap_win;
};

/* A row fault: an error (SL_EINVAL), or with lenient a skip (SL_OK). */
int sl__trace_row_fault(struct sl__trace_reader *r, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int sl__trace_limit_error(struct sl__trace_reader *r, int line, enum sl_limit_id id);
int sl__trace_oom(struct sl__trace_reader *r);
/* Makes room for one more element in *items (*cap elements of size bytes,
 * n in use): doubles the array (from first elements), up to limit.  SL_OK,
 * SL_ERANGE (n has reached limit) or SL_ENOMEM; *items and *cap change only
 * on success. */
int sl__trace_reserve(void **items, size_t *cap, size_t n, size_t size, size_t first, double limit);
/* Append one row; SL_OK, or a limit or SL_ENOMEM error. */
int sl__trace_push_req(struct sl__trace_reader *r, int line, const struct sl_trace_req *q);
int sl__trace_push_hash(struct sl__trace_reader *r, int line, uint32_t id);
int sl__trace_push_window(struct sl__trace_reader *r, int line, const struct sl_trace_window *w);
/* Stable sort by time of n records of size bytes that each start with
 * their int64_t t_us (requests, windows); SL_OK or SL_ENOMEM. */
int sl__trace_sort_by_time(void *records, size_t n, size_t size);
/* Sorts the requests (stably) and makes their times relative to the
 * first, dividing raw times by div. */
int sl__trace_finish_requests(struct sl__trace_reader *r, int64_t div);

/* The format readers (mooncake.c, servegen.c). */
int sl__trace_read_mooncake(struct sl__trace_reader *r, struct sl__trace_lines *ls);
/* One client's file (started) into the windows. */
int sl__trace_read_servegen_file(struct sl__trace_reader *r, struct sl__trace_lines *ls);
/* A folder of *-trace.csv files, one client each in byte order. */
int sl__trace_read_servegen_dir(struct sl__trace_reader *r);
/* Sets the window length from the first client with two windows. */
void sl__trace_finish_windows(struct sl_trace *t);

#endif
