/*
 * The EPW reader: a typical year of hourly weather from an EnergyPlus
 * weather file (sl_weather_load_epw, include/suanli/weather.h).
 *
 * Format (EnergyPlus Auxiliary Programs, "Weather Converter Program"): 8
 * header records (LOCATION first, DATA PERIODS last) and, for a typical
 * year, 8,760 hourly rows in order from Jan 1 hour 1 to Dec 31 hour 24.  A
 * row's "hour H" holds the conditions at H:00, so the row of (month, day, H)
 * goes to index day_of_year * 24 + H, and the last row (Dec 31 24:00) wraps
 * to index 0.  Files made from a leap year (a real year, or an AMY file)
 * have 8,784 rows, 24 of them for Feb 29; those are read and checked like
 * any other, then dropped, since the typical year has 365 days (weather_int.h)
 * and a simulated Feb 29 reads Feb 28.  Which kind a file is shows at the
 * row after Feb 28 hour 24 (columns 2 and 3: month 2, day 29, or month 3,
 * day 1); any other row count is an error.  The reader checks month, day and
 * hour of every row, needs fields 7 (dry bulb C), 9 (relative humidity %)
 * and 10 (station pressure Pa), and takes as missing exactly the EPW codes
 * (99.9 for temperature, 999 for humidity, 999999 for pressure); a missing
 * temperature or humidity is an error, and any other value outside the
 * ranges of the EPW definition is an error that gives the range.  A missing
 * pressure is replaced by the standard atmosphere at the elevation in the
 * LOCATION record (ASHRAE 2017 ch. 1 eq. 3, psychro.c), since wet-bulb
 * depends on pressure only weakly (at 30 C and 50 %, 0.24 K per 10 kPa) and
 * station pressure stays within a few kPa of that standard.  Relative
 * humidity up to 110 % is allowed, as in EnergyPlus, and read as at most
 * 100 %.  Wet-bulb comes from sl_wet_bulb_c (psychro.c); values each in
 * range can still describe no moist air (69.9 C at 31,001 Pa boils), and
 * such a row is an error too, so no NaN ever leaves the reader: every hour
 * starts as NaN and must be finite, with wet-bulb <= dry-bulb, at the end.
 * Every error in the text names file:line:column, column being the
 * character position of the offending field in its line.
 *
 * Input.  Only a regular file of at most SL_LIMIT(SL_LIM_EPW_BYTES) bytes
 * is read: the path is examined (stat) before it is opened and again
 * (fstat) after, so a FIFO, a device such as /dev/zero, a directory or a
 * huge file is refused at once instead of blocking or never ending, and
 * the read loop stops at the limit even if the file grows meanwhile.  The
 * open is non-blocking for the same reason.  A UTF-8 byte order mark at the
 * start is skipped; UTF-16 is refused by name.  Whatever the user can fix
 * (no such file: SL_ENOENT; unreadable, wrong kind, too large, malformed:
 * SL_EINVAL) is one of those two codes, never SL_EIO, so the command line
 * exits 2 for each.  sl_weather_parse_epw reads the same format from
 * memory.  The reader allocates nothing: its read buffer is on the stack.
 */
#define _POSIX_C_SOURCE 200809L

#include "facility/weather_int.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/weather.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define EPW_HEADER_LINES 8
#define EPW_LINE_MAX     4096 /* longest accepted data row; real rows have ~200 */
#define EPW_FIELDS       10   /* fields read from each row */

/* The bytes the reader parses: a regular file read through buf with
 * read(2), or a block of memory (fd < 0).  Either way at most
 * SL_LIMIT(SL_LIM_EPW_BYTES) bytes are consumed, so a file that grows while
 * it is read (or lied about its size) still ends: the byte past the limit
 * sets too_big and reads as the end.  data[pos, len) are the bytes not yet
 * consumed; total counts every byte taken from the file or block. */
struct epw_src {
    int fd;
    const char *data;
    size_t pos, len;
    size_t total;
    size_t limit;
    int err;     /* errno of a failed read, else 0 */
    int too_big; /* more than limit bytes */
    char buf[16384];
};

/* Refills s->data from the file.  Returns the number of new bytes, 0 at the
 * end (or on an error, which sets err or too_big). */
static size_t src_fill(struct epw_src *s)
{
    if (s->fd < 0 || s->err || s->too_big)
        return 0;
    /* Ask for one byte past the limit, to tell "exactly at" from "over". */
    size_t want = s->limit - s->total + 1;
    if (want > sizeof s->buf)
        want = sizeof s->buf;
    ssize_t n;
    do
        n = read(s->fd, s->buf, want);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        s->err = errno ? errno : EIO;
        return 0;
    }
    s->data = s->buf;
    s->pos = 0;
    s->len = (size_t)n;
    return (size_t)n;
}

/* The next byte as an unsigned char, or EOF at the end, on a read error
 * or past the size limit. */
static int src_getc(struct epw_src *s)
{
    if (s->pos == s->len && src_fill(s) == 0)
        return EOF;
    if (s->total >= s->limit) {
        s->too_big = 1;
        return EOF;
    }
    s->total++;
    return (unsigned char)s->data[s->pos++];
}

/* Skips a UTF-8 byte order mark at the start of the input (editors on
 * Windows write one); refuses UTF-16, which would otherwise read as
 * garbage with NUL bytes.  Returns SL_OK or SL_EINVAL. */
static int src_skip_bom(struct epw_src *s, const char *path, struct sl_diag *d)
{
    if (s->pos == s->len)
        src_fill(s);
    /* A regular file's first read returns the whole first buffer (or the
     * whole file), so the first three bytes are all in data. */
    size_t n = s->len - s->pos;
    if (n == 0)
        return SL_OK;
    const unsigned char *b = (const unsigned char *)s->data + s->pos;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        s->pos += 3;
        s->total += 3;
        return SL_OK;
    }
    if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return sl_diag_set(d, SL_EINVAL, path, 1, 1,
                           "the file is UTF-16 text; save it as UTF-8 or ASCII, as EPW files are");
    return SL_OK;
}

/* The diagnostic for a line that ended early because the input did:
 * a read error or the size limit. */
static int src_error(const struct epw_src *s, const char *path, int lineno, struct sl_diag *d)
{
    if (s->too_big)
        return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                           "%s: read %zu bytes, the limit is %.0f (a real EPW file is ~1.6 MB)",
                           sl_limits[SL_LIM_EPW_BYTES].message, s->total,
                           SL_LIMIT(SL_LIM_EPW_BYTES));
    return sl_diag_set(d, SL_EINVAL, path, lineno, 1, "cannot read the EPW weather file: %s",
                       strerror(s->err));
}

/* Reads one line into buf (without its '\n' or a '\r' before it).
 * Returns 1 for a line, 0 at the end of the input, -1 for a line longer
 * than cap - 1 characters (consumed, truncated in buf), -2 on a read error
 * or past the size limit (src_error says which). */
static int read_line(struct epw_src *s, char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int c, too_long = 0;
    while ((c = src_getc(s)) != EOF && c != '\n') {
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            too_long = 1;
    }
    if (s->err || s->too_big)
        return -2;
    if (c == EOF && n == 0 && !too_long)
        return 0;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return too_long ? -1 : 1;
}

/* A field of a line: characters [start, end). */
struct field {
    size_t start, end;
};

/* Splits s[0, len) at commas into at most max fields; returns how many. */
static int split_fields(const char *s, size_t len, struct field *fl, int max)
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len && n < max; i++) {
        if (i == len || s[i] == ',') {
            fl[n].start = start;
            fl[n].end = i;
            n++;
            start = i + 1;
        }
    }
    return n;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses s[start, end) as a plain decimal number (spaces around it allowed;
 * no hex, inf or nan).  Returns 0 and sets *out, or -1. */
static int parse_number(const char *s, size_t start, size_t end, double *out)
{
    while (start < end && (s[start] == ' ' || s[start] == '\t'))
        start++;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    char tmp[64];
    size_t n = end - start;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    size_t i = 0, digits = 0;
    if (tmp[i] == '+' || tmp[i] == '-')
        i++;
    for (; is_digit(tmp[i]); i++)
        digits++;
    if (tmp[i] == '.')
        for (i++; is_digit(tmp[i]); i++)
            digits++;
    if (digits == 0)
        return -1;
    if (tmp[i] == 'e' || tmp[i] == 'E') {
        i++;
        if (tmp[i] == '+' || tmp[i] == '-')
            i++;
        if (!is_digit(tmp[i]))
            return -1;
        while (is_digit(tmp[i]))
            i++;
    }
    if (i != n)
        return -1;
    double v = strtod(tmp, NULL);
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* 1-based character column of a field, for diagnostics. */
static int field_col(const struct field *fl)
{
    return fl->start < (size_t)EPW_LINE_MAX ? (int)fl->start + 1 : EPW_LINE_MAX;
}

static const char *epw_field_name(int field)
{
    switch (field) {
    case 2:
        return "month";
    case 3:
        return "day";
    case 4:
        return "hour";
    case 7:
        return "dry-bulb temperature, C";
    case 9:
        return "relative humidity, %";
    case 10:
        return "atmospheric station pressure, Pa";
    default:
        return "unused";
    }
}

/* Reads EPW field `field` (1-based) of the row as a number. */
static int row_number(const char *path, int lineno, const char *s, const struct field *fl,
                      int field, double *out, struct sl_diag *d)
{
    const struct field *f = &fl[field - 1];
    if (parse_number(s, f->start, f->end, out) == 0)
        return SL_OK;
    size_t n = f->end - f->start;
    return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(f),
                       "EPW field %d (%s): expected a number, found '%.*s'%s", field,
                       epw_field_name(field), (int)(n > 40 ? 40 : n), s + f->start,
                       n > 40 ? "..." : "");
}

/* Where the reader is in the year.  Rows come in calendar order, one per
 * hour from Jan 1 hour 1 to Dec 31 hour 24; month, day and hour name the row
 * the next line must be.  A file either has all 24 rows of Feb 29 or none:
 * the row after Feb 28 hour 24 decides (leap is set when it is a Feb 29
 * row), so rows == 8,760 or 8,784 at Dec 31 hour 24, and month == 13 after
 * it. */
struct epw_cursor {
    int month, day, hour; /* 1-12 (13 at the end), 1-31, 1-24 */
    int leap;             /* the file has Feb 29 rows */
    int leap_line;        /* line of the first Feb 29 row, if leap */
    int rows;             /* hourly rows read so far */
};

/* Moves the cursor to the row after the current one. */
static void cursor_next(struct epw_cursor *c)
{
    c->rows++;
    if (++c->hour <= 24)
        return;
    c->hour = 1;
    int days = sl__typical_days_in_month(c->month) + (c->leap && c->month == 2);
    if (++c->day <= days)
        return;
    c->day = 1;
    c->month++;
}

/* Parses the data row at the cursor from s[0, len) into w.  Feb 29 rows
 * are checked like any other, then dropped: the typical year has 365 days. */
static int parse_row(const char *path, int lineno, const char *s, size_t len,
                     struct epw_cursor *cur, double elevation_m, struct sl_weather *w,
                     struct sl_diag *d)
{
    static const int needed[] = {2, 3, 4, 7, 9, 10};
    if (is_blank(s, len))
        return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                           "empty line; expected the hourly row of month %d, day %d, hour %d",
                           cur->month, cur->day, cur->hour);
    struct field fl[EPW_FIELDS];
    int n = split_fields(s, len, fl, EPW_FIELDS);
    if (n < EPW_FIELDS) {
        int missing = 0;
        for (size_t k = 0; k < sizeof needed / sizeof needed[0] && !missing; k++)
            if (needed[k] > n)
                missing = needed[k];
        return sl_diag_set(d, SL_EINVAL, path, lineno, len < EPW_LINE_MAX ? (int)len + 1 : 1,
                           "the row has %d comma-separated field%s, so field %d (%s) is missing; "
                           "EPW rows have 35 fields and this reader needs 2-4, 7, 9 and 10",
                           n, n == 1 ? "" : "s", missing, epw_field_name(missing));
    }
    double v[3];
    for (int k = 0; k < 3; k++) {
        int rc = row_number(path, lineno, s, fl, k + 2, &v[k], d);
        if (rc != SL_OK)
            return rc;
    }
    if (cur->month == 3 && cur->day == 1 && cur->hour == 1 && v[0] == 2.0 && v[1] == 29.0) {
        /* A leap-year file: Feb 29 comes before Mar 1. */
        cur->leap = 1;
        cur->leap_line = lineno;
        cur->month = 2;
        cur->day = 29;
    }
    const int want[3] = {cur->month, cur->day, cur->hour};
    for (int k = 0; k < 3; k++)
        if (v[k] != (double)want[k])
            return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[k + 1]),
                               "expected the row of month %d, day %d, hour %d (hourly row %d; "
                               "rows run from Jan 1 hour 1 to Dec 31 hour 24, with or without "
                               "the 24 rows of Feb 29), found month %g, day %g, hour %g",
                               cur->month, cur->day, cur->hour, cur->rows + 1, v[0], v[1], v[2]);
    double t, rh, p;
    int rc = row_number(path, lineno, s, fl, 7, &t, d);
    if (rc == SL_OK)
        rc = row_number(path, lineno, s, fl, 9, &rh, d);
    if (rc == SL_OK)
        rc = row_number(path, lineno, s, fl, 10, &p, d);
    if (rc != SL_OK)
        return rc;
    /* Only the EPW codes themselves mean "missing"; any other value outside
     * the definition's range is an error of its own. */
    if (t == 99.9)
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[6]),
                           "dry-bulb temperature is missing (EPW code 99.9); every hour needs one");
    if (!(t > -70.0 && t < 70.0))
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[6]),
                           "dry-bulb temperature %g C is out of range: EPW files hold more than "
                           "-70 and less than 70 C (99.9 if missing)",
                           t);
    if (rh == 999.0)
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[8]),
                           "relative humidity is missing (EPW code 999); every hour needs one");
    if (!(rh >= 0.0 && rh <= 110.0))
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[8]),
                           "relative humidity %g %% is out of range: EPW files hold 0 to 110 %% "
                           "(999 if missing)",
                           rh);
    int p_missing = p == 999999.0;
    if (p_missing) {
        if (isnan(elevation_m))
            return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[9]),
                               "station pressure is missing (EPW code 999999) and the LOCATION "
                               "record gives no elevation (field 10) to estimate it from");
        p = sl__standard_pressure_pa(elevation_m);
    } else if (!(p > 31000.0 && p < 120000.0)) {
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[9]),
                           "station pressure %g Pa is out of range: EPW files hold more than "
                           "31000 and less than 120000 Pa (999999 if missing)",
                           p);
    }
    /* Each value can be inside its range while the three together describe
     * no moist air (69 C at 31 kPa is boiling water); such a row has no
     * wet-bulb temperature and is an error, never a NaN in the year. */
    double twb = sl_wet_bulb_c(t, rh > 100.0 ? 100.0 : rh, p);
    if (!(twb >= -100.0 && twb <= t)) {
        char pressure[128];
        if (p_missing)
            snprintf(pressure, sizeof pressure,
                     "station pressure (field 10) missing, so %.0f Pa, the standard atmosphere "
                     "at %g m",
                     p, elevation_m);
        else
            snprintf(pressure, sizeof pressure, "station pressure %g Pa (field 10)", p);
        double pws = sl__saturation_pressure_pa(t);
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[6]),
                           "no moist-air state: dry-bulb %g C (field 7), relative humidity %g %% "
                           "(field 9) and %s have no wet-bulb temperature%s",
                           t, rh, pressure,
                           pws >= p ? "; water boils at this temperature and pressure" : "");
    }
    if (cur->month == 2 && cur->day == 29)
        return SL_OK;
    /* Hour H is H:00, so Dec 31 hour 24 wraps to Jan 1 00:00. */
    size_t i = (size_t)((sl__typical_day_of_year(cur->month, cur->day) * 24 + cur->hour) %
                        SL_HOURS_PER_YEAR);
    w->t_db_c[i] = t;
    w->t_wb_c[i] = twb;
    return SL_OK;
}

/* Parses the whole input into w: header, hourly rows, trailing blank lines.
 * Every hour of w is set to NaN first and must hold finite values at the
 * end, so an hour the cursor logic failed to fill cannot pass unnoticed. */
static int parse_epw(struct epw_src *s, const char *path, struct sl_weather *w, struct sl_diag *d)
{
    char buf[EPW_LINE_MAX + 1];
    size_t len = 0;
    int lineno = 0;
    double elevation_m = NAN;
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++)
        w->t_db_c[i] = w->t_wb_c[i] = NAN;
    int rc = src_skip_bom(s, path, d);
    if (rc != SL_OK)
        return rc;
    for (int h = 0; h < EPW_HEADER_LINES; h++) {
        int r = read_line(s, buf, sizeof buf, &len);
        lineno++;
        if (r == -2)
            return src_error(s, path, lineno, d);
        if (r == 0 && lineno == 1)
            return sl_diag_set(d, SL_EINVAL, path, 1, 1,
                               "the file is empty; an EPW weather file has 8 header lines, then "
                               "8,760 hourly rows");
        if (r == 0)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "the file ends after %d lines, inside the 8-line EPW header",
                               lineno - 1);
        /* Header lines may be longer than the buffer (-1): only their first
         * characters matter. */
        if (h == 0) {
            if (strncmp(buf, "LOCATION", 8) != 0)
                return sl_diag_set(d, SL_EINVAL, path, 1, 1,
                                   "expected the EPW header record 'LOCATION,...'; is this an "
                                   "EPW weather file?");
            struct field fl[EPW_FIELDS];
            double z;
            if (split_fields(buf, len, fl, EPW_FIELDS) == EPW_FIELDS &&
                parse_number(buf, fl[9].start, fl[9].end, &z) == 0 && z > -1000.0 && z < 9000.0)
                elevation_m = z;
        }
        if (h == EPW_HEADER_LINES - 1 && strncmp(buf, "DATA PERIODS", 12) != 0)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "expected the EPW header record 'DATA PERIODS,...' (the last of "
                               "the 8 header lines)");
    }
    struct epw_cursor cur = {1, 1, 1, 0, 0, 0};
    while (cur.month <= 12) {
        int r = read_line(s, buf, sizeof buf, &len);
        lineno++;
        if (r == -2)
            return src_error(s, path, lineno, d);
        if (r == 0 && cur.leap)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "the file ends after %d hourly row%s; an EPW file with Feb 29 "
                               "(from line %d) has 8,784 (one per hour of a 366-day year)",
                               cur.rows, cur.rows == 1 ? "" : "s", cur.leap_line);
        if (r == 0)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "the file ends after %d hourly row%s; an EPW typical year has "
                               "8,760 (one per hour of a 365-day year), or 8,784 with Feb 29",
                               cur.rows, cur.rows == 1 ? "" : "s");
        if (r == -1)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "line longer than %d characters; expected an hourly EPW row",
                               EPW_LINE_MAX);
        rc = parse_row(path, lineno, buf, len, &cur, elevation_m, w, d);
        if (rc != SL_OK)
            return rc;
        cursor_next(&cur);
    }
    assert(cur.rows == SL_HOURS_PER_YEAR + (cur.leap ? 24 : 0));
    for (;;) {
        int r = read_line(s, buf, sizeof buf, &len);
        lineno++;
        if (r == 0)
            break;
        if (r == -2)
            return src_error(s, path, lineno, d);
        if ((r == -1 || !is_blank(buf, len)) && cur.leap)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "more than 8,784 hourly rows; an EPW file with Feb 29 (from line "
                               "%d) has exactly 8,784, ending with Dec 31 hour 24",
                               cur.leap_line);
        if (r == -1 || !is_blank(buf, len))
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "more than 8,760 hourly rows; an EPW typical year has exactly "
                               "8,760, ending with Dec 31 hour 24 (8,784 with Feb 29)");
    }
    /* Every row was checked, so this cannot fail; if it ever does, a NaN
     * must still not reach the cooling model. */
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++) {
        int ok = isfinite(w->t_db_c[i]) && isfinite(w->t_wb_c[i]) && w->t_wb_c[i] <= w->t_db_c[i];
        assert(ok);
        if (!ok)
            return sl_diag_set(d, SL_EINVAL, path, 0, 0,
                               "internal error: hour %d of the year has no valid weather "
                               "(dry-bulb %g C, wet-bulb %g C)",
                               i, w->t_db_c[i], w->t_wb_c[i]);
    }
    return SL_OK;
}

/* The diagnostic for a path that cannot be opened or examined (errno e):
 * SL_ENOENT when nothing is there, SL_EINVAL otherwise (unreadable, a
 * symlink loop, a name too long...): both are the user's to fix. */
static int open_error(const char *path, int e, struct sl_diag *d)
{
    if ((e == ENOENT || e == ENOTDIR) && !strchr(path, '/') && !strchr(path, '.')) {
        /* A bare word: more likely a misspelt site than a file. */
        char known[256];
        const char *nearest = sl__weather_site_hint(path, known, sizeof known);
        if (nearest)
            return sl_diag_set(d, SL_ENOENT, path, 0, 0,
                               "neither an EPW weather file nor a built-in site; did you "
                               "mean '%s'? Built-in sites: %s",
                               nearest, known);
        return sl_diag_set(d, SL_ENOENT, path, 0, 0,
                           "neither an EPW weather file nor a built-in site; built-in "
                           "sites: %s",
                           known);
    }
    if (e == ENOENT || e == ENOTDIR)
        return sl_diag_set(d, SL_ENOENT, path, 0, 0, "EPW weather file not found");
    return sl_diag_set(d, SL_EINVAL, path, 0, 0, "cannot open the EPW weather file: %s",
                       strerror(e));
}

/* Accepts only a regular file within the size limit: anything else (a
 * FIFO, a device such as /dev/zero, a directory) could block or never end. */
static int check_kind(const char *path, const struct stat *st, struct sl_diag *d)
{
    const char *kind = NULL;
    if (S_ISREG(st->st_mode)) {
        if ((double)st->st_size > SL_LIMIT(SL_LIM_EPW_BYTES))
            return sl_diag_set(d, SL_EINVAL, path, 0, 0,
                               "%s: %lld bytes, the limit is %.0f (a real EPW file is ~1.6 MB)",
                               sl_limits[SL_LIM_EPW_BYTES].message, (long long)st->st_size,
                               SL_LIMIT(SL_LIM_EPW_BYTES));
        return SL_OK;
    }
    if (S_ISDIR(st->st_mode))
        kind = "a directory";
    else if (S_ISFIFO(st->st_mode))
        kind = "a named pipe (FIFO)";
    else if (S_ISCHR(st->st_mode))
        kind = "a character device";
    else if (S_ISBLK(st->st_mode))
        kind = "a block device";
    else if (S_ISSOCK(st->st_mode))
        kind = "a socket";
    else
        kind = "not a regular file";
    return sl_diag_set(d, SL_EINVAL, path, 0, 0,
                       "is %s, not an EPW weather file; give the path of a regular file", kind);
}

int sl_weather_load_epw(struct sl_weather *w, const char *path, struct sl_diag *d)
{
    w->name[0] = '\0';
    if (!path || !path[0])
        return sl_diag_set(d, SL_ENOENT, NULL, 0, 0, "no EPW weather file name given");
    /* stat first, so a device is refused without being opened (opening
     * one can block or have effects); fstat again after opening, as the
     * path may have changed in between.  O_NONBLOCK keeps the open of a
     * FIFO from waiting for a writer. */
    struct stat st;
    if (stat(path, &st) != 0)
        return open_error(path, errno, d);
    int rc = check_kind(path, &st, d);
    if (rc != SL_OK)
        return rc;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return open_error(path, errno, d);
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "cannot examine the EPW weather file: %s",
                           strerror(e));
    }
    rc = check_kind(path, &st, d);
    if (rc != SL_OK) {
        close(fd);
        return rc;
    }
    struct epw_src s = {.fd = fd, .limit = (size_t)SL_LIMIT(SL_LIM_EPW_BYTES)};
    rc = parse_epw(&s, path, w, d);
    close(fd);
    if (rc != SL_OK)
        return rc;
    const char *base = strrchr(path, '/');
    snprintf(w->name, sizeof w->name, "%s", base ? base + 1 : path);
    return SL_OK;
}

int sl_weather_parse_epw(struct sl_weather *w, const char *name, const char *data, size_t size,
                         struct sl_diag *d)
{
    w->name[0] = '\0';
    if (!name)
        name = "";
    if ((double)size > SL_LIMIT(SL_LIM_EPW_BYTES))
        return sl_diag_set(d, SL_EINVAL, name, 0, 0,
                           "%s: %zu bytes, the limit is %.0f (a real EPW file is ~1.6 MB)",
                           sl_limits[SL_LIM_EPW_BYTES].message, size, SL_LIMIT(SL_LIM_EPW_BYTES));
    struct epw_src s = {.fd = -1, .data = data, .len = size, .limit = size};
    int rc = parse_epw(&s, name, w, d);
    if (rc != SL_OK)
        return rc;
    const char *base = strrchr(name, '/');
    snprintf(w->name, sizeof w->name, "%s", base ? base + 1 : name);
    return SL_OK;
}
