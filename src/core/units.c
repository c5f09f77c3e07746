/*
 * Quantities with units (see include/suanli/units.h).
 *
 * Each kind has a table of suffixes.  Parsing splits "<number><space?><suffix>",
 * checks the number (decimal only: no hex, inf or nan), looks the suffix up,
 * and converts: decimal units by shifting the exponent in the text before the
 * one rounding in strtod (C locale; suanli never calls setlocale), other units
 * by a factor.  Formatting picks the largest unit in which the value is at
 * least one (for time, the largest of d/h/min that divides it exactly) and
 * writes the shortest text that parses back to the identical double, so
 * `suanli check` output re-reads to the same scenario bit for bit.
 */
#include "suanli/units.h"
#include "suanli/limits.h"
#include "suanli/diag.h"
#include "suanli/limits.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a suffix converts to the base unit.  Decimal units (kW, ms, %, GB...)
 * shift the decimal exponent of the number as written before it is rounded
 * to a double, so "80 %" is the double nearest 0.8 and "5.4 kW" the double
 * nearest 5400, exactly as if the user had written the base value; and any
 * double can be written back exactly in any decimal unit.  Other units (Wh,
 * min, h, d, KiB, /h...) multiply by factor, or divide by -factor when factor
 * is negative. */
struct unit {
    const char *suffix;
    int decimal; /* 1: value = number * 10^e10, exactly rounded */
    int e10;
    double factor;
    int preferred; /* offered when formatting */
};

#define DEC(sfx, e, pref)                                                                          \
    {                                                                                              \
        sfx, 1, e, 0.0, pref                                                                       \
    }
#define MUL(sfx, f, pref)                                                                          \
    {                                                                                              \
        sfx, 0, 0, f, pref                                                                         \
    }
#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0.0, 0                                                                         \
    }

static const struct unit power_units[] = {DEC("GW", 9, 1), DEC("MW", 6, 1), DEC("kW", 3, 1),
                                          DEC("W", 0, 1), END};
static const struct unit energy_units[] = {
    MUL("GWh", 3.6e12, 1), MUL("MWh", 3.6e9, 1), MUL("kWh", 3.6e6, 1),
    MUL("Wh", 3600.0, 1),  DEC("GJ", 9, 0),      DEC("MJ", 6, 0),
    DEC("kJ", 3, 0),       DEC("J", 0, 1),       END};
static const struct unit voltage_units[] = {DEC("kV", 3, 1), DEC("V", 0, 1), DEC("mV", -3, 1), END};
static const struct unit time_units[] = {
    MUL("d", 86400.0, 1), MUL("h", 3600.0, 1), MUL("min", 60.0, 1),     DEC("s", 0, 1),
    DEC("ms", -3, 1),     DEC("us", -6, 1),    DEC("\xc2\xb5s", -6, 0), END};
static const struct unit data_units[] = {MUL("TiB", 1099511627776.0, 1),
                                         DEC("TB", 12, 1),
                                         MUL("GiB", 1073741824.0, 1),
                                         DEC("GB", 9, 1),
                                         MUL("MiB", 1048576.0, 1),
                                         DEC("MB", 6, 1),
                                         MUL("KiB", 1024.0, 1),
                                         DEC("KB", 3, 1),
                                         DEC("kB", 3, 0),
                                         DEC("B", 0, 1),
                                         END};
static const struct unit rate_units[] = {DEC("/s", 0, 1), MUL("/min", -60.0, 1),
                                         MUL("/h", -3600.0, 1), MUL("/d", -86400.0, 1), END};
static const struct unit money_units[] = {DEC("MCNY", 6, 0), DEC("kCNY", 3, 0), DEC("CNY", 0, 1),
                                          END};
static const struct unit price_units[] = {DEC("CNY/kWh", 0, 1), DEC("CNY/MWh", -3, 0),
                                          DEC("CNY/Wh", 3, 0), END};
static const struct unit temp_units[] = {DEC("C", 0, 1),
                                         DEC("\xc2\xb0"
                                             "C",
                                             0, 0),
                                         END};
static const struct unit percent_units[] = {DEC("%", -2, 1), END};
static const struct unit flops_units[] = {
    DEC("PFLOPS", 15, 1), DEC("TFLOPS", 12, 1), DEC("GFLOPS", 9, 1), DEC("FLOPS", 0, 1),
    DEC("POPS", 15, 0),   DEC("TOPS", 12, 0),   DEC("GOPS", 9, 0),   END};
static const struct unit bandwidth_units[] = {DEC("TB/s", 12, 1),
                                              DEC("GB/s", 9, 1),
                                              DEC("MB/s", 6, 1),
                                              DEC("kB/s", 3, 0),
                                              DEC("KB/s", 3, 0),
                                              DEC("B/s", 0, 1),
                                              MUL("Tb/s", 1.25e11, 0),
                                              MUL("Gb/s", 1.25e8, 0),
                                              MUL("Mb/s", 1.25e5, 0),
                                              MUL("kb/s", 125.0, 0),
                                              MUL("b/s", 0.125, 0),
                                              MUL("GiB/s", 1073741824.0, 0),
                                              END};
static const struct unit pressure_units[] = {DEC("MPa", 6, 0), DEC("kPa", 3, 1), DEC("Pa", 0, 1),
                                             END};
static const struct unit tempdiff_units[] = {DEC("K", 0, 1), END};
static const struct unit carbon_units[] = {DEC("kg/kWh", 0, 1), DEC("g/kWh", -3, 0),
                                           DEC("t/MWh", 0, 0), END};
static const struct unit none_units[] = {END};

static double to_base(double v, double factor)
{
    return factor < 0 ? v / -factor : v * factor;
}

static double from_base(double v, double factor)
{
    return factor < 0 ? v * -factor : v / factor;
}

/* Size of one unit in base units (for choosing a readable unit). */
static double unit_size(const struct unit *u)
{
    return u->decimal ? pow(10.0, u->e10) : (u->factor < 0 ? 1.0 / -u->factor : u->factor);
}

/* Reads the decimal number text[0..len) scaled by 10^e10, correctly rounded:
 * the exponent is shifted in the text, then strtod rounds once. */
static double scaled_strtod(const char *text, size_t len, int e10)
{
    char buf[512];
    if (len >= sizeof buf - 16)
        len = sizeof buf - 16;
    size_t mlen = len;
    long ex = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == 'e' || text[i] == 'E') {
            mlen = i;
            char tmp[32];
            size_t el = len - i - 1 < sizeof tmp - 1 ? len - i - 1 : sizeof tmp - 1;
            memcpy(tmp, text + i + 1, el);
            tmp[el] = '\0';
            ex = strtol(tmp, NULL, 10);
            break;
        }
    }
    if (ex > 100000)
        ex = 100000;
    if (ex < -100000)
        ex = -100000;
    memcpy(buf, text, mlen);
    snprintf(buf + mlen, sizeof buf - mlen, "e%ld", ex + e10);
    return strtod(buf, NULL);
}

struct kind_info {
    const char *name;
    const char *base;
    const char *example;
    const char *suffixes;
    const struct unit *units;
};

static const struct kind_info kinds[SL_UNIT_KIND_COUNT] = {
    [SL_UNIT_NONE] = {"number", "", "1.5", "", none_units},
    [SL_UNIT_POWER] = {"power", "W", "5.4 kW", "W, kW, MW, GW", power_units},
    [SL_UNIT_ENERGY] = {"energy", "J", "120 MWh", "Wh, kWh, MWh, GWh, J, kJ, MJ, GJ", energy_units},
    [SL_UNIT_VOLTAGE] = {"voltage", "V", "800 V", "mV, V, kV", voltage_units},
    [SL_UNIT_TIME] = {"time", "s", "7d", "us, ms, s, min, h, d", time_units},
    [SL_UNIT_DATA] = {"data size", "B", "64 GiB", "B, KB, KiB, MB, MiB, GB, GiB, TB, TiB",
                      data_units},
    [SL_UNIT_RATE] = {"rate", "/s", "120 /h", "/s, /min, /h, /d", rate_units},
    [SL_UNIT_MONEY] = {"money", "CNY", "2500000 CNY", "CNY, kCNY, MCNY", money_units},
    [SL_UNIT_PRICE] = {"energy price", "CNY/kWh", "0.62 CNY/kWh", "CNY/kWh, CNY/MWh", price_units},
    [SL_UNIT_TEMP] = {"temperature", "C", "27 C", "C", temp_units},
    [SL_UNIT_PERCENT] = {"percentage", "%", "35 %", "%", percent_units},
    [SL_UNIT_FLOPS] = {"compute rate", "FLOPS", "250 TFLOPS",
                       "FLOPS, GFLOPS, TFLOPS, PFLOPS, GOPS, TOPS, POPS", flops_units},
    [SL_UNIT_BANDWIDTH] = {"bandwidth", "B/s", "1.6 TB/s",
                           "B/s, kB/s, MB/s, GB/s, TB/s, b/s, kb/s, Mb/s, Gb/s, Tb/s",
                           bandwidth_units},
    [SL_UNIT_PRESSURE] = {"pressure", "Pa", "150 kPa", "Pa, kPa, MPa", pressure_units},
    [SL_UNIT_TEMP_DIFF] = {"temperature difference", "K", "5 K", "K", tempdiff_units},
    [SL_UNIT_CARBON] = {"carbon intensity", "kg/kWh", "0.5978 kg/kWh", "kg/kWh, g/kWh, t/MWh",
                        carbon_units},
};

const char *sl_unit_kind_name(enum sl_unit_kind kind)
{
    return kinds[kind].name;
}

const char *sl_unit_base_symbol(enum sl_unit_kind kind)
{
    return kinds[kind].base;
}

const char *sl_unit_example(enum sl_unit_kind kind)
{
    return kinds[kind].example;
}

const char *sl_unit_suffixes(enum sl_unit_kind kind)
{
    return kinds[kind].suffixes;
}

/* Reads the leading decimal number of s; stores the end in *end.  Rejects
 * what strtod would accept but a scenario should not: hex, inf, nan, a
 * leading '+' or '.', and an empty number.  Overflow and underflow are left
 * to the caller: "1e310 %" is a fine percentage once scaled, and underflow
 * gives the nearest double (sl_unit_format writes subnormals). */
static int read_number(const char *s, double *out, const char **end)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return SL_EINVAL;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return SL_EINVAL;
    char *e;
    double v = strtod(s, &e);
    if (e == s)
        return SL_EINVAL;
    *out = v;
    *end = e;
    return SL_OK;
}

static int is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

int sl_unit_parse(const char *text, enum sl_unit_kind kind, double *out, char *err, size_t errsize)
{
    const struct kind_info *k = &kinds[kind];
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    double v;
    const char *e;
    if (read_number(p, &v, &e) != SL_OK) {
        if (kind == SL_UNIT_NONE)
            snprintf(err, errsize, "expected a number such as %s, got '%s'", k->example, text);
        else
            snprintf(err, errsize, "expected a %s such as '%s' (units: %s), got '%s'", k->name,
                     k->example, k->suffixes, text);
        return SL_EINVAL;
    }
    size_t numlen = (size_t)(e - p);
    if (numlen > (size_t)SL_LIMIT(SL_LIM_NUMBER_CHARS)) {
        char lim[160];
        snprintf(err, errsize, "%s (%zu characters)",
                 sl_limit_text(SL_LIM_NUMBER_CHARS, lim, sizeof lim), numlen);
        return SL_EINVAL;
    }
    while (*e == ' ' || *e == '\t')
        e++;
    if (kind == SL_UNIT_NONE) {
        if (*e) {
            snprintf(err, errsize, "expected a plain number such as %s, got '%s'", k->example,
                     text);
            return SL_EINVAL;
        }
        if (!isfinite(v)) {
            snprintf(err, errsize, "number '%s' is out of range", text);
            return SL_EINVAL;
        }
        *out = v;
        return SL_OK;
    }
    if (*e == '\0') {
        snprintf(err, errsize, "missing unit: expected a %s such as '%s' (units: %s), got '%s'",
                 k->name, k->example, k->suffixes, text);
        return SL_EINVAL;
    }
    size_t len = strlen(e);
    while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == '\t'))
        len--;
    for (const struct unit *u = k->units; u->suffix; u++) {
        if (strlen(u->suffix) == len && memcmp(u->suffix, e, len) == 0) {
            double r = u->decimal ? scaled_strtod(p, numlen, u->e10) : to_base(v, u->factor);
            if (!isfinite(r)) {
                snprintf(err, errsize, "%s '%s' is out of range", k->name, text);
                return SL_EINVAL;
            }
            *out = r;
            return SL_OK;
        }
    }
    snprintf(err, errsize, "unknown %s unit '%.*s' in '%s' (units: %s)", k->name, (int)len, e, text,
             k->suffixes);
    return SL_EINVAL;
}

int sl_unit_parse_int(const char *text, long long *out, char *err, size_t errsize)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *digits = *p == '-' ? p + 1 : p;
    if (!isdigit((unsigned char)*digits) ||
        (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))) {
        snprintf(err, errsize, "expected an integer such as 8, got '%s'", text);
        return SL_EINVAL;
    }
    char *e;
    errno = 0;
    long long v = strtoll(p, &e, 10);
    if ((size_t)(e - p) > (size_t)SL_LIMIT(SL_LIM_NUMBER_CHARS)) {
        char lim[160];
        snprintf(err, errsize, "%s (%zu characters)",
                 sl_limit_text(SL_LIM_NUMBER_CHARS, lim, sizeof lim), (size_t)(e - p));
        return SL_EINVAL;
    }
    if (errno == ERANGE) {
        snprintf(err, errsize, "integer '%s' is out of range", text);
        return SL_EINVAL;
    }
    if (!is_blank(e)) {
        snprintf(err, errsize, "expected an integer such as 8, got '%s'", text);
        return SL_EINVAL;
    }
    *out = v;
    return SL_OK;
}

/* Writes v in the decimal unit of exponent e10, exactly: the shortest
 * digit string that reads back as v, with its decimal point moved. */
static void format_decimal(double v, int e10, char *buf, size_t size)
{
    char sci[64];
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    /* sci is "[-]d[.ddd]e[+-]X": collect the digits and the exponent. */
    const char *q = sci;
    int neg = *q == '-';
    if (neg)
        q++;
    char digits[32];
    size_t nd = 0;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && nd < sizeof digits - 1)
            digits[nd++] = *q;
    digits[nd] = '\0';
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    long ex = *q == 'e' ? strtol(q + 1, NULL, 10) : 0;
    ex -= e10; /* value = 0.d1d2... * 10^(ex + 1) in the unit */
    if (nd == 1 && digits[0] == '0') {
        snprintf(buf, size, "%s0", neg ? "-" : ""); /* keeps -0 */
        return;
    }
    if (ex >= 15 || ex < -6) {
        snprintf(buf, size, "%s%c%s%s%se%ld", neg ? "-" : "", digits[0], nd > 1 ? "." : "",
                 digits + 1, "", ex);
        return;
    }
    char out[64];
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (ex < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (long i = -1; i > ex; i--)
            out[o++] = '0';
        for (size_t i = 0; i < nd; i++)
            out[o++] = digits[i];
    } else {
        for (long i = 0; i <= ex; i++)
            out[o++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)ex + 1 < nd) {
            out[o++] = '.';
            for (size_t i = (size_t)ex + 1; i < nd; i++)
                out[o++] = digits[i];
        }
    }
    out[o] = '\0';
    snprintf(buf, size, "%s", out);
}

/* Writes v in a non-decimal unit if a short text (at most 9 significant
 * digits) reads back exactly; returns 0 otherwise. */
static int format_factor(double v, const struct unit *u, char *buf, size_t size)
{
    double x = from_base(v, u->factor);
    if (!isfinite(x))
        return 0;
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (to_base(strtod(buf, NULL), u->factor) == v) {
            if (strchr(buf, 'e') && x == floor(x) && fabs(x) < 1e15)
                snprintf(buf, size, "%.0f", x);
            return 1;
        }
    }
    return 0;
}

char *sl_unit_format(double value, enum sl_unit_kind kind, char *buf, size_t size)
{
    const struct kind_info *k = &kinds[kind];
    char num[64];
    if (kind == SL_UNIT_NONE || !isfinite(value)) {
        format_decimal(value, 0, num, sizeof num);
        snprintf(buf, size, "%s", num);
        return buf;
    }
    const struct unit *pick = NULL;
    double mag = fabs(value);
    for (const struct unit *u = k->units; u->suffix && !pick; u++) {
        if (!u->preferred)
            continue;
        if (u->decimal) {
            /* The largest decimal unit not bigger than the value. */
            if (mag >= unit_size(u) || value == 0) {
                if (value == 0 && u->e10 != 0)
                    continue; /* zero reads best in the base unit */
                format_decimal(value, u->e10, num, sizeof num);
                pick = u;
            }
            continue;
        }
        if (mag < unit_size(u) || value == 0)
            continue;
        /* Time reads best in whole days, hours or minutes; other kinds in
         * any short number of their unit. */
        double x = from_base(value, u->factor);
        if (kind == SL_UNIT_TIME && x != floor(x))
            continue;
        if (format_factor(value, u, num, sizeof num))
            pick = u;
    }
    if (!pick) {
        /* Smaller than every unit: the smallest preferred decimal unit. */
        for (const struct unit *u = k->units; u->suffix; u++)
            if (u->preferred && u->decimal)
                pick = u;
        format_decimal(value, pick->e10, num, sizeof num);
    }
    /* Time reads naturally without a space ("7d"); others with one. */
    if (kind == SL_UNIT_TIME)
        snprintf(buf, size, "%s%s", num, pick->suffix);
    else
        snprintf(buf, size, "%s %s", num, pick->suffix);
    return buf;
}

int sl_unit_parse_time_us(const char *text, int64_t *out_us, char *err, size_t errsize)
{
    double s;
    if (sl_unit_parse(text, SL_UNIT_TIME, &s, err, errsize) != SL_OK)
        return SL_EINVAL;
    double lim = SL_LIMIT(SL_LIM_DURATION);
    if (!(fabs(s) <= lim)) {
        char lbuf[64];
        snprintf(err, errsize, "time '%s' is longer than the limit of %s for any time value", text,
                 sl_unit_format_time_us((int64_t)(lim * 1e6), lbuf, sizeof lbuf));
        return SL_EINVAL;
    }
    /* The limit keeps us far inside int64_t.  The tolerance covers the
     * roundings of text to double and of the unit factor (a few ulps),
     * never a real fraction of a microsecond below 2^50 us. */
    double us = s * 1e6;
    double whole = nearbyint(us);
    if (fabs(us - whole) > 8 * DBL_EPSILON * fabs(us)) {
        snprintf(err, errsize,
                 "time '%s' is %.12g us, not a whole number of microseconds (the "
                 "resolution of a run); write a whole number of us",
                 text, us);
        return SL_EINVAL;
    }
    *out_us = (int64_t)whole;
    return SL_OK;
}

char *sl_unit_format_time_us(int64_t us, char *buf, size_t size)
{
    static const struct {
        const char *suffix;
        int64_t us;
    } whole[] = {
        {"d", INT64_C(86400000000)}, {"h", INT64_C(3600000000)}, {"min", INT64_C(60000000)}};
    /* Magnitude as unsigned so INT64_MIN is formatted, not overflowed. */
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    const char *sign = us < 0 ? "-" : "";
    if (mag == 0) {
        snprintf(buf, size, "0s");
        return buf;
    }
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (mag % (uint64_t)whole[i].us == 0) {
            snprintf(buf, size, "%s%" PRIu64 "%s", sign, mag / (uint64_t)whole[i].us,
                     whole[i].suffix);
            return buf;
        }
    uint64_t unit = mag >= 1000000 ? 1000000 : mag >= 1000 ? 1000 : 1;
    const char *suffix = unit == 1000000 ? "s" : unit == 1000 ? "ms" : "us";
    uint64_t ip = mag / unit, frac = mag % unit;
    if (frac == 0) {
        snprintf(buf, size, "%s%" PRIu64 "%s", sign, ip, suffix);
        return buf;
    }
    char fd[8];
    snprintf(fd, sizeof fd, unit == 1000000 ? "%06" PRIu64 : "%03" PRIu64, frac);
    size_t n = strlen(fd);
    while (n > 0 && fd[n - 1] == '0')
        fd[--n] = '\0';
    snprintf(buf, size, "%s%" PRIu64 ".%s%s", sign, ip, fd, suffix);
    return buf;
}
