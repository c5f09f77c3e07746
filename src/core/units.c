/*
 * Quantities with units (see include/suanli/units.h).
 *
 * Each kind has a table of suffixes with the factor that converts to the base
 * unit.  Parsing splits "<number><space?><suffix>", reads the number with
 * strtod in the C locale (suanli never calls setlocale), rejects hex, inf and
 * nan, and looks the suffix up in the kind's table.  Formatting picks the
 * largest unit in which the magnitude is at least one (for time, the largest
 * unit that divides the value exactly) and the shortest %g precision that
 * parses back to the identical double, so `suanli check` output re-reads to
 * the same scenario bit for bit.
 */
#include "suanli/units.h"
#include "suanli/diag.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A suffix converts to the base unit by multiplying with factor, or, when
 * factor is negative, by dividing by -factor: "80 %" is then 80 / 100, the
 * correctly rounded 0.8, rather than 80 * 0.01. */
struct unit {
    const char *suffix;
    double factor;
    int preferred; /* used when formatting */
};

static double to_base(double v, double factor)
{
    return factor < 0 ? v / -factor : v * factor;
}

static double from_base(double v, double factor)
{
    return factor < 0 ? v * -factor : v / factor;
}

static double magnitude(double factor)
{
    return factor < 0 ? 1.0 / -factor : factor;
}

static const struct unit power_units[] = {
    {"GW", 1e9, 1}, {"MW", 1e6, 1}, {"kW", 1e3, 1}, {"W", 1.0, 1}, {NULL, 0, 0}};
static const struct unit energy_units[] = {{"GWh", 3.6e12, 1}, {"MWh", 3.6e9, 1}, {"kWh", 3.6e6, 1},
                                           {"Wh", 3600.0, 1},  {"GJ", 1e9, 0},    {"MJ", 1e6, 0},
                                           {"kJ", 1e3, 0},     {"J", 1.0, 1},     {NULL, 0, 0}};
static const struct unit voltage_units[] = {
    {"kV", 1e3, 1}, {"V", 1.0, 1}, {"mV", -1e3, 1}, {NULL, 0, 0}};
static const struct unit time_units[] = {{"d", 86400.0, 1},      {"h", 3600.0, 1}, {"min", 60.0, 1},
                                         {"s", 1.0, 1},          {"ms", -1e3, 1},  {"us", -1e6, 1},
                                         {"\xc2\xb5s", -1e6, 0}, {NULL, 0, 0}};
static const struct unit data_units[] = {{"TiB", 1099511627776.0, 1},
                                         {"TB", 1e12, 1},
                                         {"GiB", 1073741824.0, 1},
                                         {"GB", 1e9, 1},
                                         {"MiB", 1048576.0, 1},
                                         {"MB", 1e6, 1},
                                         {"KiB", 1024.0, 1},
                                         {"KB", 1e3, 1},
                                         {"kB", 1e3, 0},
                                         {"B", 1.0, 1},
                                         {NULL, 0, 0}};
static const struct unit rate_units[] = {
    {"/s", 1.0, 1}, {"/min", -60.0, 1}, {"/h", -3600.0, 1}, {"/d", -86400.0, 1}, {NULL, 0, 0}};
static const struct unit money_units[] = {
    {"MCNY", 1e6, 0}, {"kCNY", 1e3, 0}, {"CNY", 1.0, 1}, {NULL, 0, 0}};
static const struct unit price_units[] = {
    {"CNY/kWh", 1.0, 1}, {"CNY/MWh", -1e3, 0}, {"CNY/Wh", 1e3, 0}, {NULL, 0, 0}};
static const struct unit temp_units[] = {{"C", 1.0, 1},
                                         {"\xc2\xb0"
                                          "C",
                                          1.0, 0},
                                         {NULL, 0, 0}};
static const struct unit percent_units[] = {{"%", -100.0, 1}, {NULL, 0, 0}};
static const struct unit none_units[] = {{NULL, 0, 0}};

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
 * leading '+' or '.', and an empty number. */
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
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || errno == ERANGE || !isfinite(v))
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
    while (*e == ' ' || *e == '\t')
        e++;
    if (kind == SL_UNIT_NONE) {
        if (*e) {
            snprintf(err, errsize, "expected a plain number such as %s, got '%s'", k->example,
                     text);
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
            double r = to_base(v, u->factor);
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

/* Shortest "%.*g" of x (1..17 digits) whose product with factor parses back
 * to exactly want. */
static void shortest(double x, double factor, double want, char *buf, size_t size)
{
    /* Whole numbers read best without an exponent ("80", not "8e+01"). */
    if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(buf, size, "%.0f", x);
        if (to_base(strtod(buf, NULL), factor) == want)
            return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (to_base(strtod(buf, NULL), factor) == want)
            return;
    }
    snprintf(buf, size, "%.17g", x);
}

char *sl_unit_format(double value, enum sl_unit_kind kind, char *buf, size_t size)
{
    const struct kind_info *k = &kinds[kind];
    char num[64];
    if (kind == SL_UNIT_NONE) {
        shortest(value, 1.0, value, num, sizeof num);
        snprintf(buf, size, "%s", num);
        return buf;
    }
    const struct unit *pick = NULL;
    double mag = fabs(value);
    for (const struct unit *u = k->units; u->suffix; u++) {
        if (!u->preferred)
            continue;
        if (!pick)
            pick = u; /* the largest, in case nothing fits */
        double x = from_base(value, u->factor);
        int fits = kind == SL_UNIT_TIME
                       ? (x == floor(x) && to_base(x, u->factor) == value && value != 0)
                       : (mag >= magnitude(u->factor));
        if (fits || value == 0) {
            pick = u;
            if (value == 0) {
                /* zero reads best in the base unit */
                for (const struct unit *b = k->units; b->suffix; b++)
                    if (b->factor == 1.0 && b->preferred)
                        pick = b;
            }
            break;
        }
        pick = u; /* fall through to ever smaller units */
    }
    shortest(from_base(value, pick->factor), pick->factor, value, num, sizeof num);
    /* Time reads naturally without a space ("7d"); others with one. */
    if (kind == SL_UNIT_TIME)
        snprintf(buf, size, "%s%s", num, pick->suffix);
    else
        snprintf(buf, size, "%s %s", num, pick->suffix);
    return buf;
}
