/*
 * Tests for quantities with units (src/core/units.c).
 *
 * Parsing is checked against values written out by hand for every suffix of
 * every kind, and, where a suffix divides ("80 %", "100ms"), against the
 * correctly rounded decimal that strtod gives for the same quantity written
 * in the base unit: "n %" must be the double nearest n/100, which n * 0.01
 * misses for some n.
 * Rejections are checked for both the result code and the message, which
 * must name the expected kind and show an example or the accepted units,
 * since that message is all a user sees of a typo in a scenario file.
 * Formatting is checked for the readable unit it picks and for its
 * contract, parse(format(v)) == v bit for bit, over hand-picked edge values
 * and over pseudo-random doubles from a fixed-seed splitmix64, so every run
 * sees the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suanli/diag.h"
#include "suanli/units.h"

#define ERRSZ     512
#define N_RANDOM  4000
#define MAX_SHOWN 4 /* counterexamples printed per failing check */

/* A value no parse produces, to see that failures leave *out alone. */
#define SENTINEL -12345.678

/* ---- Helpers. ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double uniform01(uint64_t *s)
{
    return (double)(splitmix64(s) >> 11) * 0x1p-53;
}

/* A finite double from a random bit pattern: every exponent is equally
 * likely, so this covers tiny, huge and subnormal magnitudes of both signs. */
static double random_finite(uint64_t *s)
{
    for (;;) {
        uint64_t bits = splitmix64(s);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (isfinite(x))
            return x;
    }
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (a == b && a != 0);
}

static void check_parse(const char *text, enum sl_unit_kind kind, double want)
{
    char err[ERRSZ] = "";
    double v = SENTINEL;
    int rc = sl_unit_parse(text, kind, &v, err, sizeof err);
    if (rc != SL_OK || v != want)
        print_error("parse('%s', %s): rc %d, got %.17g, want %.17g (%s)\n", text,
                    sl_unit_kind_name(kind), rc, v, want, err);
    assert_int_equal(rc, SL_OK);
    assert_true(v == want);
}

/* Parses text, expecting SL_EINVAL and a message containing each of the
 * NULL-terminated needles. */
static void check_reject(const char *text, enum sl_unit_kind kind, ...)
{
    char err[ERRSZ] = "";
    double v = SENTINEL;
    int rc = sl_unit_parse(text, kind, &v, err, sizeof err);
    if (rc != SL_EINVAL)
        print_error("parse('%s', %s) gave rc %d, value %.17g; want SL_EINVAL\n", text,
                    sl_unit_kind_name(kind), rc, v);
    assert_int_equal(rc, SL_EINVAL);
    assert_true(v == SENTINEL);
    va_list ap;
    va_start(ap, kind);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
        if (!strstr(err, needle))
            print_error("message for '%s' lacks '%s': %s\n", text, needle, err);
        assert_non_null(strstr(err, needle));
    }
    va_end(ap);
}

static void check_format(double v, enum sl_unit_kind kind, const char *want)
{
    char buf[128];
    char *r = sl_unit_format(v, kind, buf, sizeof buf);
    assert_ptr_equal(r, buf);
    assert_string_equal(buf, want);
}

/* Checks parse(format(v)) == v; returns 1 if it holds, else prints the
 * case (up to MAX_SHOWN per *shown) and returns 0. */
static int round_trips(double v, enum sl_unit_kind kind, int *shown)
{
    char buf[128], err[ERRSZ] = "";
    double back = SENTINEL;
    sl_unit_format(v, kind, buf, sizeof buf);
    int rc = sl_unit_parse(buf, kind, &back, err, sizeof err);
    if (rc == SL_OK && same_double(back, v))
        return 1;
    if ((*shown)++ >= MAX_SHOWN)
        return 0;
    if (rc == SL_OK)
        print_message("  %s: %.17g -> '%s' -> %.17g\n", sl_unit_kind_name(kind), v, buf, back);
    else
        print_message("  %s: %.17g -> '%s' -> rejected: %s\n", sl_unit_kind_name(kind), v, buf,
                      err);
    return 0;
}

/* ---- Kinds and their tables. ---- */

static void test_kind_metadata(void **state)
{
    (void)state;
    assert_string_equal(sl_unit_kind_name(SL_UNIT_POWER), "power");
    assert_string_equal(sl_unit_base_symbol(SL_UNIT_POWER), "W");
    assert_string_equal(sl_unit_base_symbol(SL_UNIT_ENERGY), "J");
    assert_string_equal(sl_unit_base_symbol(SL_UNIT_VOLTAGE), "V");
    assert_string_equal(sl_unit_base_symbol(SL_UNIT_TIME), "s");
    assert_string_equal(sl_unit_base_symbol(SL_UNIT_NONE), "");
    /* Every kind has a name and an example, and the example parses as that
     * kind: the messages below show it to users as something to copy. */
    for (int k = 0; k < SL_UNIT_KIND_COUNT; k++) {
        const char *name = sl_unit_kind_name((enum sl_unit_kind)k);
        const char *ex = sl_unit_example((enum sl_unit_kind)k);
        assert_non_null(name);
        assert_true(name[0] != '\0');
        assert_non_null(ex);
        char err[ERRSZ] = "";
        double v;
        if (sl_unit_parse(ex, (enum sl_unit_kind)k, &v, err, sizeof err) != SL_OK)
            print_error("example '%s' of %s does not parse: %s\n", ex, name, err);
        assert_int_equal(sl_unit_parse(ex, (enum sl_unit_kind)k, &v, err, sizeof err), SL_OK);
    }
}

/* Every suffix the documentation string lists is accepted by its kind. */
static void test_listed_suffixes_parse(void **state)
{
    (void)state;
    for (int k = 1; k < SL_UNIT_KIND_COUNT; k++) {
        char list[256];
        snprintf(list, sizeof list, "%s", sl_unit_suffixes((enum sl_unit_kind)k));
        assert_true(list[0] != '\0');
        int count = 0;
        for (char *p = list; *p;) {
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            char text[sizeof list + 2];
            snprintf(text, sizeof text, "2 %s", p);
            char err[ERRSZ] = "";
            double v = SENTINEL;
            int rc = sl_unit_parse(text, (enum sl_unit_kind)k, &v, err, sizeof err);
            if (rc != SL_OK)
                print_error("listed suffix '%s' of %s rejected: %s\n", p,
                            sl_unit_kind_name((enum sl_unit_kind)k), err);
            assert_int_equal(rc, SL_OK);
            assert_true(v != 0 && isfinite(v));
            count++;
            if (!comma)
                break;
            p = comma + 1;
            while (*p == ' ')
                p++;
        }
        assert_true(count >= 1);
    }
}

static void test_every_suffix_converts(void **state)
{
    (void)state;
    check_parse("1.5", SL_UNIT_NONE, 1.5);
    check_parse("-3", SL_UNIT_NONE, -3);

    check_parse("7 W", SL_UNIT_POWER, 7);
    check_parse("5.4 kW", SL_UNIT_POWER, 5400);
    check_parse("3 MW", SL_UNIT_POWER, 3e6);
    check_parse("2 GW", SL_UNIT_POWER, 2e9);
    check_parse("1.25 MW", SL_UNIT_POWER, 1250000);

    check_parse("5 J", SL_UNIT_ENERGY, 5);
    check_parse("4 kJ", SL_UNIT_ENERGY, 4000);
    check_parse("3 MJ", SL_UNIT_ENERGY, 3e6);
    check_parse("2 GJ", SL_UNIT_ENERGY, 2e9);
    check_parse("1 Wh", SL_UNIT_ENERGY, 3600);
    check_parse("2 kWh", SL_UNIT_ENERGY, 7.2e6);
    check_parse("120 MWh", SL_UNIT_ENERGY, 4.32e11);
    check_parse("1 GWh", SL_UNIT_ENERGY, 3.6e12);

    check_parse("800 V", SL_UNIT_VOLTAGE, 800);
    check_parse("10 kV", SL_UNIT_VOLTAGE, 10000);
    check_parse("250 mV", SL_UNIT_VOLTAGE, 0.25);

    check_parse("7d", SL_UNIT_TIME, 604800);
    check_parse("2h", SL_UNIT_TIME, 7200);
    check_parse("15min", SL_UNIT_TIME, 900);
    check_parse("30s", SL_UNIT_TIME, 30);
    check_parse("100ms", SL_UNIT_TIME, 0.1);
    check_parse("250us", SL_UNIT_TIME, 0.00025);
    check_parse("250\xc2\xb5s", SL_UNIT_TIME, 0.00025); /* micro sign */
    check_parse("-1h", SL_UNIT_TIME, -3600);

    check_parse("512 B", SL_UNIT_DATA, 512);
    check_parse("3 KB", SL_UNIT_DATA, 3000);
    check_parse("3 kB", SL_UNIT_DATA, 3000);
    check_parse("3 KiB", SL_UNIT_DATA, 3072);
    check_parse("5 MB", SL_UNIT_DATA, 5e6);
    check_parse("5 MiB", SL_UNIT_DATA, 5242880);
    check_parse("64 GB", SL_UNIT_DATA, 64e9);
    check_parse("64 GiB", SL_UNIT_DATA, 68719476736.0);
    check_parse("2 TB", SL_UNIT_DATA, 2e12);
    check_parse("2 TiB", SL_UNIT_DATA, 2199023255552.0);

    check_parse("3 /s", SL_UNIT_RATE, 3);
    check_parse("120 /min", SL_UNIT_RATE, 2);
    check_parse("120 /h", SL_UNIT_RATE, 1.0 / 30);
    check_parse("7200 /h", SL_UNIT_RATE, 2);
    check_parse("86400 /d", SL_UNIT_RATE, 1);

    check_parse("2500000 CNY", SL_UNIT_MONEY, 2500000);
    check_parse("2.5 kCNY", SL_UNIT_MONEY, 2500);
    check_parse("2.5 MCNY", SL_UNIT_MONEY, 2500000);

    check_parse("0.62 CNY/kWh", SL_UNIT_PRICE, 0.62);
    check_parse("620 CNY/MWh", SL_UNIT_PRICE, 0.62);
    check_parse("0.5 CNY/Wh", SL_UNIT_PRICE, 500);

    check_parse("20 C", SL_UNIT_TEMP, 20);
    check_parse("-40 C", SL_UNIT_TEMP, -40);
    check_parse("27.5 \xc2\xb0"
                "C",
                SL_UNIT_TEMP, 27.5); /* degree sign */

    check_parse("512 B/s", SL_UNIT_BANDWIDTH, 512);
    check_parse("3 kB/s", SL_UNIT_BANDWIDTH, 3000);
    check_parse("3 KB/s", SL_UNIT_BANDWIDTH, 3000);
    check_parse("1.6 TB/s", SL_UNIT_BANDWIDTH, 1.6e12);
    check_parse("25 GB/s", SL_UNIT_BANDWIDTH, 25e9);
    check_parse("5 MB/s", SL_UNIT_BANDWIDTH, 5e6);
    check_parse("8 b/s", SL_UNIT_BANDWIDTH, 1);
    check_parse("3 b/s", SL_UNIT_BANDWIDTH, 0.375);
    check_parse("8 kb/s", SL_UNIT_BANDWIDTH, 1000);
    check_parse("100 Mb/s", SL_UNIT_BANDWIDTH, 12.5e6);
    check_parse("200 Gb/s", SL_UNIT_BANDWIDTH, 25e9); /* a 200G NIC is 25 GB/s */
    check_parse("400 Gb/s", SL_UNIT_BANDWIDTH, 50e9);
    check_parse("1.6 Tb/s", SL_UNIT_BANDWIDTH, 200e9);
    check_parse("1 GiB/s", SL_UNIT_BANDWIDTH, 1073741824.0);

    check_parse("35 %", SL_UNIT_PERCENT, 0.35);
    check_parse("80 %", SL_UNIT_PERCENT, 0.8);
    check_parse("100 %", SL_UNIT_PERCENT, 1);
    check_parse("0 %", SL_UNIT_PERCENT, 0);
    check_parse("1e3 W", SL_UNIT_POWER, 1000); /* exponents are decimal numbers too */
    /* Underflow gives the nearest double, as strtod does. */
    check_parse("4.9406564584124654e-324 W", SL_UNIT_POWER, 0x1p-1074);
    check_parse("-2.2250738585072014e-308", SL_UNIT_NONE, -DBL_MIN);
}

/* Dividing suffixes give the correctly rounded value: "n %" is the double
 * nearest n/100, the same as strtod of the decimal fraction, and likewise
 * for ms, us, mV and per-minute rates. */
static void test_dividing_suffixes_exact(void **state)
{
    (void)state;
    char text[64], dec[64];
    for (int n = 0; n <= 1000; n++) {
        snprintf(text, sizeof text, "%d %%", n);
        snprintf(dec, sizeof dec, "%d.%02d", n / 100, n % 100);
        check_parse(text, SL_UNIT_PERCENT, strtod(dec, NULL));

        snprintf(text, sizeof text, "%dms", n);
        snprintf(dec, sizeof dec, "%d.%03d", n / 1000, n % 1000);
        check_parse(text, SL_UNIT_TIME, strtod(dec, NULL));

        snprintf(text, sizeof text, "%d mV", n);
        check_parse(text, SL_UNIT_VOLTAGE, strtod(dec, NULL));

        snprintf(text, sizeof text, "%dus", n);
        snprintf(dec, sizeof dec, "%de-6", n);
        check_parse(text, SL_UNIT_TIME, strtod(dec, NULL));
    }
    /* The two the scenario files lean on, spelled out. */
    double v = 0;
    char err[ERRSZ];
    assert_int_equal(sl_unit_parse("80 %", SL_UNIT_PERCENT, &v, err, sizeof err), SL_OK);
    assert_true(v == 0.8);
    assert_int_equal(sl_unit_parse("100ms", SL_UNIT_TIME, &v, err, sizeof err), SL_OK);
    assert_true(v == 0.1);
    /* The oracle tells a correct parser from a naive one: multiplying by
     * 0.01 or 0.001 misses the nearest double for some n in the range. */
    int naive_off = 0;
    for (int n = 0; n <= 1000; n++) {
        volatile double pct = 0.01, milli = 0.001;
        snprintf(dec, sizeof dec, "%d.%02d", n / 100, n % 100);
        naive_off += n * pct != strtod(dec, NULL);
        snprintf(dec, sizeof dec, "%d.%03d", n / 1000, n % 1000);
        naive_off += n * milli != strtod(dec, NULL);
    }
    assert_true(naive_off > 0);
}

static void test_whitespace_optional(void **state)
{
    (void)state;
    static const char *const power[] = {"5.4kW",    "5.4 kW",   "5.4\tkW",   "5.4   kW",
                                        "  5.4 kW", "5.4 kW  ", "\t5.4kW\t", " \t 5.4 \t kW \t "};
    for (size_t i = 0; i < sizeof power / sizeof power[0]; i++)
        check_parse(power[i], SL_UNIT_POWER, 5400);
    check_parse("7 d", SL_UNIT_TIME, 604800);
    check_parse("35%", SL_UNIT_PERCENT, 0.35);
    check_parse("120/h", SL_UNIT_RATE, 1.0 / 30);
    check_parse("0.62CNY/kWh", SL_UNIT_PRICE, 0.62);
    check_parse(" 1.5 ", SL_UNIT_NONE, 1.5);
}

/* ---- Rejections. ---- */

static void test_reject_missing_unit(void **state)
{
    (void)state;
    check_reject("5.4", SL_UNIT_POWER, "missing unit", "power", "5.4 kW", "'5.4'", NULL);
    check_reject("5.4  ", SL_UNIT_POWER, "missing unit", "power", NULL);
    check_reject("7", SL_UNIT_TIME, "missing unit", "time", "7d", NULL);
    check_reject("35", SL_UNIT_PERCENT, "missing unit", "percentage", "35 %", NULL);
    check_reject("64", SL_UNIT_DATA, "missing unit", "data size", "64 GiB", NULL);
    check_reject("0.62", SL_UNIT_PRICE, "missing unit", "energy price", "0.62 CNY/kWh", NULL);
    check_reject("20", SL_UNIT_TEMP, "missing unit", "temperature", NULL);
}

static void test_reject_unknown_or_wrong_kind(void **state)
{
    (void)state;
    /* Wrong kind: a voltage, an energy or a time where a power is due. */
    check_reject("5 kV", SL_UNIT_POWER, "unknown power unit 'kV'", "'5 kV'", "kW", NULL);
    check_reject("5 kWh", SL_UNIT_POWER, "unknown power unit 'kWh'", NULL);
    check_reject("5 kW", SL_UNIT_ENERGY, "unknown energy unit 'kW'", "kWh", NULL);
    check_reject("7 W", SL_UNIT_TIME, "unknown time unit 'W'", "min", NULL);
    check_reject("64 GiB", SL_UNIT_MONEY, "unknown money unit", "CNY", NULL);
    check_reject("35 C", SL_UNIT_PERCENT, "unknown percentage unit", "%", NULL);
    check_reject("2 /h", SL_UNIT_TIME, "unknown time unit", NULL);
    check_reject("2h", SL_UNIT_RATE, "unknown rate unit 'h'", "/h", NULL);
    /* Unknown units, including case errors that SI prefixes make fatal. */
    check_reject("5 kw", SL_UNIT_POWER, "unknown power unit 'kw'", "W, kW, MW, GW", NULL);
    check_reject("5 w", SL_UNIT_POWER, "unknown power unit", NULL);
    check_reject("5 mW", SL_UNIT_POWER, "unknown power unit 'mW'", NULL);
    check_reject("5 KW", SL_UNIT_POWER, "unknown power unit", NULL);
    /* Bits and bytes differ only in case; a wrong case is not guessed. */
    check_reject("200 gb/s", SL_UNIT_BANDWIDTH, "unknown bandwidth unit 'gb/s'", "Gb/s", NULL);
    check_reject("200 Gbps", SL_UNIT_BANDWIDTH, "unknown bandwidth unit 'Gbps'", NULL);
    check_reject("200 G", SL_UNIT_BANDWIDTH, "unknown bandwidth unit", NULL);
    check_reject("25 GB", SL_UNIT_BANDWIDTH, "unknown bandwidth unit 'GB'", NULL);
    check_reject("3 sec", SL_UNIT_TIME, "unknown time unit 'sec'", NULL);
    check_reject("3 m", SL_UNIT_TIME, "unknown time unit 'm'", NULL);
    check_reject("3 D", SL_UNIT_TIME, "unknown time unit", NULL);
    check_reject("3 gib", SL_UNIT_DATA, "unknown data size unit", NULL);
    check_reject("20 F", SL_UNIT_TEMP, "unknown temperature unit 'F'", NULL);
    check_reject("1.5 W", SL_UNIT_NONE, "plain number", "1.5", NULL);
    check_reject("2 %", SL_UNIT_NONE, "plain number", NULL);
}

static void test_reject_bad_numbers(void **state)
{
    (void)state;
    /* Hex, infinities and NaNs are numbers to strtod but not to a scenario. */
    check_reject("0x10 W", SL_UNIT_POWER, "power", "'5.4 kW'", "'0x10 W'", NULL);
    check_reject("0X1p4 W", SL_UNIT_POWER, "power", NULL);
    check_reject("-0x10 W", SL_UNIT_POWER, "power", NULL);
    check_reject("0x10", SL_UNIT_NONE, "number", "1.5", NULL);
    check_reject("inf W", SL_UNIT_POWER, "power", "5.4 kW", NULL);
    check_reject("-inf W", SL_UNIT_POWER, "power", NULL);
    check_reject("infinity", SL_UNIT_NONE, "number", NULL);
    check_reject("INF", SL_UNIT_NONE, "number", NULL);
    check_reject("nan W", SL_UNIT_POWER, "power", NULL);
    check_reject("NAN", SL_UNIT_NONE, "number", NULL);
    check_reject("nan(123)", SL_UNIT_NONE, "number", NULL);
    /* A sign or a point must be followed by a digit; no leading '+'. */
    check_reject("+5 W", SL_UNIT_POWER, "power", NULL);
    check_reject(".5 W", SL_UNIT_POWER, "power", NULL);
    check_reject("- 5 W", SL_UNIT_POWER, "power", NULL);
    check_reject("-W", SL_UNIT_POWER, "power", NULL);
    check_reject("kW", SL_UNIT_POWER, "power", "5.4 kW", NULL);
    /* Empty and blank text. */
    check_reject("", SL_UNIT_POWER, "expected a power", "5.4 kW", NULL);
    check_reject("   ", SL_UNIT_TIME, "expected a time", "7d", NULL);
    check_reject("", SL_UNIT_NONE, "expected a number", NULL);
    check_reject("", SL_UNIT_PERCENT, "percentage", "35 %", NULL);
    /* Out of range before or after the unit is applied. */
    check_reject("1e999 W", SL_UNIT_POWER, "power", NULL);
    check_reject("1e999", SL_UNIT_NONE, "number", NULL);
    check_reject("1e300 GW", SL_UNIT_POWER, "out of range", "'1e300 GW'", NULL);
    check_reject("-1e300 TiB", SL_UNIT_DATA, "out of range", NULL);
}

static void test_reject_trailing_garbage(void **state)
{
    (void)state;
    check_reject("5 kW x", SL_UNIT_POWER, "unknown power unit 'kW x'", NULL);
    check_reject("5 kW;", SL_UNIT_POWER, "unknown power unit", NULL);
    check_reject("5kW5", SL_UNIT_POWER, "unknown power unit", NULL);
    check_reject("5 W W", SL_UNIT_POWER, "unknown power unit", NULL);
    check_reject("7dd", SL_UNIT_TIME, "unknown time unit", NULL);
    check_reject("1.5.2 W", SL_UNIT_POWER, "unknown power unit", NULL);
    check_reject("1e W", SL_UNIT_POWER, "unknown power unit", NULL);
    check_reject("35 % ok", SL_UNIT_PERCENT, "unknown percentage unit", NULL);
    check_reject("1.5x", SL_UNIT_NONE, "plain number", NULL);
    check_reject("1.5 1", SL_UNIT_NONE, "plain number", NULL);
}

/* A short message buffer truncates but stays a terminated string. */
static void test_small_error_buffer(void **state)
{
    (void)state;
    char err[8];
    memset(err, 'x', sizeof err);
    double v = SENTINEL;
    assert_int_equal(sl_unit_parse("5 kV", SL_UNIT_POWER, &v, err, sizeof err), SL_EINVAL);
    assert_true(memchr(err, '\0', sizeof err) != NULL);
    assert_true(strlen(err) == sizeof err - 1);
    assert_true(v == SENTINEL);
}

/* ---- Integers. ---- */

static void check_int(const char *text, long long want)
{
    char err[ERRSZ] = "";
    long long v = 777;
    int rc = sl_unit_parse_int(text, &v, err, sizeof err);
    if (rc != SL_OK)
        print_error("parse_int('%s'): %s\n", text, err);
    assert_int_equal(rc, SL_OK);
    assert_true(v == want);
}

static void check_int_reject(const char *text, const char *needle)
{
    char err[ERRSZ] = "";
    long long v = 777;
    int rc = sl_unit_parse_int(text, &v, err, sizeof err);
    if (rc != SL_EINVAL)
        print_error("parse_int('%s') gave rc %d value %lld\n", text, rc, v);
    assert_int_equal(rc, SL_EINVAL);
    assert_true(v == 777);
    if (!strstr(err, needle))
        print_error("message for '%s' lacks '%s': %s\n", text, needle, err);
    assert_non_null(strstr(err, needle));
}

static void test_parse_int(void **state)
{
    (void)state;
    check_int("8", 8);
    check_int("-3", -3);
    check_int("0", 0);
    check_int("-0", 0);
    check_int("007", 7);
    check_int(" 42 ", 42);
    check_int("9223372036854775807", INT64_MAX);
    check_int("-9223372036854775808", INT64_MIN);

    check_int_reject("1.5", "expected an integer such as 8, got '1.5'");
    check_int_reject("8x", "'8x'");
    check_int_reject("8 x", "integer");
    check_int_reject("1e3", "integer");
    check_int_reject("", "expected an integer");
    check_int_reject("   ", "expected an integer");
    check_int_reject("-", "integer");
    check_int_reject("+3", "integer");
    check_int_reject("0x10", "integer");
    check_int_reject("-0x10", "integer");
    check_int_reject("inf", "integer");
    check_int_reject("9223372036854775808", "out of range");
    check_int_reject("-9223372036854775809", "out of range");
    check_int_reject("99999999999999999999999", "out of range");
}

/* ---- Formatting. ---- */

static void test_format_readable(void **state)
{
    (void)state;
    check_format(5400, SL_UNIT_POWER, "5.4 kW");
    check_format(-5400, SL_UNIT_POWER, "-5.4 kW");
    check_format(7, SL_UNIT_POWER, "7 W");
    check_format(2.5e6, SL_UNIT_POWER, "2.5 MW");
    check_format(3e9, SL_UNIT_POWER, "3 GW");
    check_format(0.001, SL_UNIT_POWER, "0.001 W"); /* nothing smaller than W */
    check_format(0, SL_UNIT_POWER, "0 W");

    check_format(604800, SL_UNIT_TIME, "7d");
    check_format(900, SL_UNIT_TIME, "15min");
    check_format(3600, SL_UNIT_TIME, "1h");
    check_format(5400, SL_UNIT_TIME, "90min");
    check_format(90, SL_UNIT_TIME, "90s");
    check_format(0.1, SL_UNIT_TIME, "100ms");
    check_format(1.5, SL_UNIT_TIME, "1.5s");
    check_format(0.00005, SL_UNIT_TIME, "50us");
    check_format(-86400, SL_UNIT_TIME, "-1d");
    check_format(0, SL_UNIT_TIME, "0s");

    check_format(0.8, SL_UNIT_PERCENT, "80 %");
    check_format(0.35, SL_UNIT_PERCENT, "35 %");
    check_format(1, SL_UNIT_PERCENT, "100 %");
    check_format(0.005, SL_UNIT_PERCENT, "0.5 %");
    check_format(0, SL_UNIT_PERCENT, "0 %");

    check_format(3.6e6, SL_UNIT_ENERGY, "1 kWh");
    check_format(4.32e11, SL_UNIT_ENERGY, "120 MWh");
    check_format(1800, SL_UNIT_ENERGY, "1800 J");
    check_format(800, SL_UNIT_VOLTAGE, "800 V");
    check_format(0.25, SL_UNIT_VOLTAGE, "250 mV");
    check_format(10000, SL_UNIT_VOLTAGE, "10 kV");
    check_format(68719476736.0, SL_UNIT_DATA, "64 GiB");
    check_format(1e9, SL_UNIT_DATA, "1 GB");
    check_format(512, SL_UNIT_DATA, "512 B");
    check_format(2, SL_UNIT_RATE, "2 /s");
    check_format(2500000, SL_UNIT_MONEY, "2500000 CNY");
    check_format(0.62, SL_UNIT_PRICE, "0.62 CNY/kWh");
    check_format(20, SL_UNIT_TEMP, "20 C");
    check_format(-5.5, SL_UNIT_TEMP, "-5.5 C");
    check_format(1.5, SL_UNIT_NONE, "1.5");
    check_format(1e20, SL_UNIT_NONE, "1e20");
    check_format(123456.5, SL_UNIT_NONE, "123456.5");
    check_format(0.1, SL_UNIT_NONE, "0.1");
}

/* The contract on hand-picked values: zero, signed zero, the extremes of the
 * double range, values near unit boundaries and values that are not short
 * decimals. */
static void test_format_round_trip_edges(void **state)
{
    (void)state;
    static const double base[] = {0,
                                  1,
                                  0.1,
                                  1.0 / 3,
                                  2.0 / 3,
                                  3.141592653589793,
                                  999.9999999999999,
                                  1000,
                                  1000.0000000000001,
                                  1e-300,
                                  1e300,
                                  DBL_MIN,
                                  DBL_EPSILON,
                                  4.9406564584124654e-324, /* smallest subnormal */
                                  DBL_MAX,
                                  123456789012345680.0,
                                  0x1.fffffffffffffp-1};
    int failures = 0, shown = 0;
    for (int k = 0; k < SL_UNIT_KIND_COUNT; k++)
        for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
            failures += !round_trips(base[i], (enum sl_unit_kind)k, &shown);
            failures += !round_trips(-base[i], (enum sl_unit_kind)k, &shown);
        }
    if (failures)
        print_message("  %d edge values do not round-trip\n", failures);
    assert_int_equal(failures, 0);
}

/* The contract on values of the sizes scenarios hold: fractions for
 * percentages, powers up to 10 MW, energies up to 1 TJ, voltages, rates.
 * (Times are whole microseconds, tested below.) */
static void test_format_round_trip_typical(void **state)
{
    (void)state;
    static const struct {
        enum sl_unit_kind kind;
        double scale;
    } cases[] = {{SL_UNIT_NONE, 1e6},    {SL_UNIT_POWER, 1e7}, {SL_UNIT_ENERGY, 1e12},
                 {SL_UNIT_VOLTAGE, 1e4}, {SL_UNIT_DATA, 1e13}, {SL_UNIT_RATE, 1},
                 {SL_UNIT_MONEY, 1e8},   {SL_UNIT_PRICE, 2},   {SL_UNIT_TEMP, 100},
                 {SL_UNIT_PERCENT, 1}};
    uint64_t seed = 20240601;
    int total = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int failures = 0, shown = 0;
        for (int i = 0; i < N_RANDOM; i++) {
            double v = uniform01(&seed) * cases[c].scale;
            failures += !round_trips(v, cases[c].kind, &shown);
        }
        if (failures)
            print_message("  %s: %d of %d values in [0, %g) do not round-trip\n",
                          sl_unit_kind_name(cases[c].kind), failures, N_RANDOM, cases[c].scale);
        total += failures;
    }
    assert_int_equal(total, 0);
}

/* Times the engine actually holds are whole microseconds. */
static void test_format_round_trip_microseconds(void **state)
{
    (void)state;
    uint64_t seed = 7;
    int failures = 0, shown = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        /* Up to ten years, and a share of round values that pick d/h/min/s. */
        uint64_t us = splitmix64(&seed) % (10ULL * 365 * 86400 * 1000000);
        if (i % 4 == 1)
            us -= us % 1000000;
        if (i % 4 == 2)
            us -= us % 60000000;
        double v = (double)us / 1e6;
        failures += !round_trips(v, SL_UNIT_TIME, &shown);
        failures += !round_trips(-v, SL_UNIT_TIME, &shown);
    }
    assert_int_equal(failures, 0);
}

/* The contract over every exponent: random bit patterns of both signs. */
static void test_format_round_trip_random_bits(void **state)
{
    (void)state;
    uint64_t seed = 42;
    int total = 0;
    for (int k = 0; k < SL_UNIT_KIND_COUNT; k++) {
        int failures = 0, shown = 0;
        for (int i = 0; i < N_RANDOM; i++)
            failures += !round_trips(random_finite(&seed), (enum sl_unit_kind)k, &shown);
        if (failures)
            print_message("  %s: %d of %d random doubles do not round-trip\n",
                          sl_unit_kind_name((enum sl_unit_kind)k), failures, N_RANDOM);
        total += failures;
    }
    assert_int_equal(total, 0);
}

/* ---- Times in whole microseconds (issue 7). ---- */

static void check_time_us(const char *text, int64_t want)
{
    char err[ERRSZ] = "";
    int64_t us = -12345;
    int rc = sl_unit_parse_time_us(text, &us, err, sizeof err);
    if (rc != SL_OK)
        print_error("'%s' rejected: %s\n", text, err);
    assert_int_equal(rc, SL_OK);
    assert_true(us == want);
}

static void check_time_rejected(const char *text, const char *needle)
{
    char err[ERRSZ] = "";
    int64_t us = 0;
    assert_int_equal(sl_unit_parse_time_us(text, &us, err, sizeof err), SL_EINVAL);
    if (!strstr(err, needle))
        print_error("message for '%s' lacks '%s': %s\n", text, needle, err);
    assert_non_null(strstr(err, needle));
}

/* A positive time that is not whole microseconds would become 0 (or
 * another value) in the run: rejected, never rounded.  Times beyond the
 * duration limit would overflow int64 microseconds: rejected. */
static void test_time_whole_microseconds(void **state)
{
    (void)state;
    check_time_us("1us", 1);
    check_time_us("7d", INT64_C(604800000000));
    check_time_us("1.1min", 66000000);
    check_time_us("0.000001s", 1);
    check_time_us("1.000001s", 1000001);
    check_time_us("86399.999999s", INT64_C(86399999999));
    check_time_us("-1h", -INT64_C(3600000000));
    check_time_us("365000d", INT64_C(31536000000000000));
    check_time_rejected("0.4us", "not a whole number of microseconds");
    check_time_rejected("0.5us", "not a whole number of microseconds");
    check_time_rejected("1e-7s", "not a whole number of microseconds");
    check_time_rejected("23.99999999999h", "not a whole number of microseconds");
    check_time_rejected("365001d", "longer than the limit");
    check_time_rejected("1e8d", "longer than the limit");
    check_time_rejected("-1e8d", "longer than the limit");
    check_time_rejected("1e300s", "longer than the limit");
}

/* Whole microseconds format exactly and read back to the same integer. */
static void test_time_us_format(void **state)
{
    (void)state;
    static const struct {
        int64_t us;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {1, "1us"},
        {400, "400us"},
        {1500, "1.5ms"},
        {1000, "1ms"},
        {1500000, "1.5s"},
        {1000001, "1.000001s"},
        {60000000, "1min"},
        {5400000000, "90min"},
        {INT64_C(86399999999), "86399.999999s"},
        {INT64_C(604800000000), "7d"},
        {-3600000000, "-1h"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(sl_unit_format_time_us(cases[i].us, buf, sizeof buf), cases[i].text);
        check_time_us(buf, cases[i].us);
    }
    assert_string_equal(sl_unit_format_time_us(INT64_MIN, buf, sizeof buf),
                        "-9223372036854.775808s");
    /* Every time the parser can give reads back: walk a spread up to the
     * limit.  Above 2^53 us (285 years) a parsed time is a double, so only
     * values a double holds exactly occur there. */
    int64_t lim = INT64_C(31536000000000000);
    for (int64_t step = 1; step > 0 && step <= lim; step = step * 3 + 7) {
        char err[ERRSZ];
        int64_t back = 0, us = (int64_t)(double)step;
        sl_unit_format_time_us(us, buf, sizeof buf);
        assert_int_equal(sl_unit_parse_time_us(buf, &back, err, sizeof err), SL_OK);
        assert_true(back == us);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_metadata),
        cmocka_unit_test(test_listed_suffixes_parse),
        cmocka_unit_test(test_every_suffix_converts),
        cmocka_unit_test(test_dividing_suffixes_exact),
        cmocka_unit_test(test_whitespace_optional),
        cmocka_unit_test(test_reject_missing_unit),
        cmocka_unit_test(test_reject_unknown_or_wrong_kind),
        cmocka_unit_test(test_reject_bad_numbers),
        cmocka_unit_test(test_reject_trailing_garbage),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_format_readable),
        cmocka_unit_test(test_format_round_trip_edges),
        cmocka_unit_test(test_format_round_trip_typical),
        cmocka_unit_test(test_format_round_trip_microseconds),
        cmocka_unit_test(test_format_round_trip_random_bits),
        cmocka_unit_test(test_time_whole_microseconds),
        cmocka_unit_test(test_time_us_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
