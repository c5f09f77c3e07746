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
 * hour of every row, needs
 * fields 7 (dry bulb C), 9 (relative humidity %) and 10 (station pressure
 * Pa), and rejects missing values (99.9 for temperature, 999 for humidity)
 * and values outside the ranges of the EPW definition; a missing pressure
 * (999999) is replaced by the standard atmosphere at the elevation in the
 * LOCATION record (ASHRAE 2017 ch. 1 eq. 3, psychro.c), since wet-bulb
 * depends on pressure only weakly (at 30 C and 50 %, 0.24 K per 10 kPa) and
 * station pressure stays within a few kPa of that standard.  Relative
 * humidity up to 110 % is allowed, as in EnergyPlus, and read as at most
 * 100 %.  Wet-bulb comes from sl_wet_bulb_c (psychro.c).  Every error names
 * file:line:column, column being the character position of the offending
 * field in its line.  The reader allocates nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include "facility/weather_int.h"
#include "suanli/diag.h"
#include "suanli/weather.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EPW_HEADER_LINES 8
#define EPW_LINE_MAX     4096 /* longest accepted data row; real rows have ~200 */
#define EPW_FIELDS       10   /* fields read from each row */

/* Reads one line into buf (without its '\n' or a '\r' before it).
 * Returns 1 for a line, 0 at the end of the file, -1 for a line longer than
 * cap - 1 characters (consumed, truncated in buf), -2 on a read error. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int c, too_long = 0;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            too_long = 1;
    }
    if (ferror(f))
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
    if (t >= 99.9)
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[6]),
                           "dry-bulb temperature is missing (EPW code 99.9); every hour needs one");
    if (t <= -70.0 || t >= 70.0)
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[6]),
                           "dry-bulb temperature %g C is outside the EPW range (-70, 70)", t);
    if (rh >= 999.0)
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[8]),
                           "relative humidity is missing (EPW code 999); every hour needs one");
    if (rh < 0.0 || rh > 110.0)
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[8]),
                           "relative humidity %g %% is outside the EPW range 0-110", rh);
    if (p >= 999999.0) {
        if (isnan(elevation_m))
            return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[9]),
                               "station pressure is missing (EPW code 999999) and the LOCATION "
                               "record gives no elevation (field 10) to estimate it from");
        p = sl__standard_pressure_pa(elevation_m);
    } else if (p <= 31000.0 || p >= 120000.0) {
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[9]),
                           "station pressure %g Pa is outside the EPW range (31000, 120000)", p);
    }
    if (cur->month == 2 && cur->day == 29)
        return SL_OK;
    /* Hour H is H:00, so Dec 31 hour 24 wraps to Jan 1 00:00. */
    size_t i = (size_t)((sl__typical_day_of_year(cur->month, cur->day) * 24 + cur->hour) %
                        SL_HOURS_PER_YEAR);
    w->t_db_c[i] = t;
    w->t_wb_c[i] = sl_wet_bulb_c(t, rh > 100.0 ? 100.0 : rh, p);
    return SL_OK;
}

static int parse_epw(FILE *f, const char *path, struct sl_weather *w, struct sl_diag *d)
{
    char buf[EPW_LINE_MAX + 1];
    size_t len = 0;
    int lineno = 0;
    double elevation_m = NAN;
    for (int h = 0; h < EPW_HEADER_LINES; h++) {
        int r = read_line(f, buf, sizeof buf, &len);
        lineno++;
        if (r == -2)
            return sl_diag_set(d, SL_EIO, path, lineno, 0, "read error: %s", strerror(errno));
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
        int r = read_line(f, buf, sizeof buf, &len);
        lineno++;
        if (r == -2)
            return sl_diag_set(d, SL_EIO, path, lineno, 0, "read error: %s", strerror(errno));
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
        int rc = parse_row(path, lineno, buf, len, &cur, elevation_m, w, d);
        if (rc != SL_OK)
            return rc;
        cursor_next(&cur);
    }
    assert(cur.rows == SL_HOURS_PER_YEAR + (cur.leap ? 24 : 0));
    for (;;) {
        int r = read_line(f, buf, sizeof buf, &len);
        lineno++;
        if (r == 0)
            return SL_OK;
        if (r == -2)
            return sl_diag_set(d, SL_EIO, path, lineno, 0, "read error: %s", strerror(errno));
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
}

int sl_weather_load_epw(struct sl_weather *w, const char *path, struct sl_diag *d)
{
    w->name[0] = '\0';
    if (!path || !path[0])
        return sl_diag_set(d, SL_ENOENT, NULL, 0, 0, "no EPW weather file name given");
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
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
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        return sl_diag_set(d, SL_EIO, path, 0, 0, "cannot examine the EPW weather file: %s",
                           strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "is a directory, not an EPW weather file");
    }
    int rc = parse_epw(f, path, w, d);
    fclose(f);
    if (rc != SL_OK)
        return rc;
    const char *base = strrchr(path, '/');
    snprintf(w->name, sizeof w->name, "%s", base ? base + 1 : path);
    return SL_OK;
}
