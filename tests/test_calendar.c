/*
 * Tests for the civil calendar (src/core/calendar.c).
 *
 * Known answers: day numbers of dates on both sides of 1970, of leap days
 * and of century years, taken from `date -ud <date> +%s` / 86400 (GNU
 * coreutils) and Python's datetime.date.  Properties: over more than 4,000
 * years of consecutive day numbers (1 CE to 9999, two 400-year Gregorian
 * cycles and then some), each day is the successor of the one before as the
 * calendar defines it (next day of the month, or day 1 of the next month
 * when sl_days_in_month says the month is over), and sl_days_from_civil
 * inverts sl_civil_from_days.  Seconds split with floor division, so times
 * before 1970 fall on the right day.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "suanli/calendar.h"

/* A date and its day number since 1970-01-01. */
struct known_date {
    int64_t year;
    int month, day;
    int64_t days;
};

static const struct known_date known[] = {
    {1970, 1, 1, 0},      {1970, 1, 2, 1},         {1969, 12, 31, -1},   {2000, 1, 1, 10957},
    {2000, 2, 29, 11016}, {2000, 3, 1, 11017},     {2024, 2, 29, 19782}, {2024, 3, 1, 19783},
    {2100, 2, 28, 47540}, {2100, 3, 1, 47541},     {1900, 1, 1, -25567}, {1600, 2, 29, -135081},
    {1, 1, 1, -719162},   {9999, 12, 31, 2932896},
};

#define N_KNOWN (sizeof known / sizeof known[0])

static void test_known_dates(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_KNOWN; i++) {
        const struct known_date *k = &known[i];
        assert_int_equal(sl_days_from_civil(k->year, k->month, k->day), k->days);
        int64_t y;
        int m, d;
        sl_civil_from_days(k->days, &y, &m, &d);
        assert_int_equal(y, k->year);
        assert_int_equal(m, k->month);
        assert_int_equal(d, k->day);
    }
    /* Outputs may be NULL. */
    int m = 0;
    sl_civil_from_days(19782, NULL, &m, NULL);
    assert_int_equal(m, 2);
}

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(sl_is_leap_year(2024));
    assert_true(sl_is_leap_year(2000));
    assert_true(sl_is_leap_year(2400));
    assert_true(sl_is_leap_year(1600));
    assert_false(sl_is_leap_year(2100));
    assert_false(sl_is_leap_year(1900));
    assert_false(sl_is_leap_year(2023));
    assert_false(sl_is_leap_year(2001));
    /* Proleptic before 1 CE: year 0 is 1 BCE, a leap year; -4 too. */
    assert_true(sl_is_leap_year(0));
    assert_true(sl_is_leap_year(-4));
    assert_false(sl_is_leap_year(-1));
    assert_false(sl_is_leap_year(-100));

    assert_int_equal(sl_days_in_month(2024, 2), 29);
    assert_int_equal(sl_days_in_month(2100, 2), 28);
    assert_int_equal(sl_days_in_month(2000, 2), 29);
    assert_int_equal(sl_days_in_month(2023, 2), 28);
    assert_int_equal(sl_days_in_month(2023, 1), 31);
    assert_int_equal(sl_days_in_month(2023, 4), 30);
    assert_int_equal(sl_days_in_month(2023, 12), 31);
    assert_int_equal(sl_days_in_month(2023, 0), 0);
    assert_int_equal(sl_days_in_month(2023, 13), 0);
    /* A year has 365 or 366 days, month by month and by day number. */
    const int64_t years[] = {1900, 2000, 2023, 2024, 2100};
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        int total = 0;
        for (int mo = 1; mo <= 12; mo++)
            total += sl_days_in_month(years[i], mo);
        assert_int_equal(total, 365 + sl_is_leap_year(years[i]));
        assert_int_equal(
            sl_days_from_civil(years[i] + 1, 1, 1) - sl_days_from_civil(years[i], 1, 1), total);
    }
}

/* Every day from 0001-01-01 to 9999-12-31 follows the one before it, and
 * the two conversions are inverse. */
static void test_consecutive_days(void **state)
{
    (void)state;
    int64_t first = sl_days_from_civil(1, 1, 1), last = sl_days_from_civil(9999, 12, 31);
    assert_int_equal(first, -719162);
    int64_t y0, y;
    int m0, d0, m, d;
    sl_civil_from_days(first, &y0, &m0, &d0);
    for (int64_t z = first + 1; z <= last; z++) {
        sl_civil_from_days(z, &y, &m, &d);
        if (d0 < sl_days_in_month(y0, m0)) {
            if (y != y0 || m != m0 || d != d0 + 1)
                fail_msg("day %lld is %lld-%02d-%02d after %lld-%02d-%02d", (long long)z,
                         (long long)y, m, d, (long long)y0, m0, d0);
        } else if (m0 < 12) {
            if (y != y0 || m != m0 + 1 || d != 1)
                fail_msg("day %lld is %lld-%02d-%02d after month end %lld-%02d-%02d", (long long)z,
                         (long long)y, m, d, (long long)y0, m0, d0);
        } else if (y != y0 + 1 || m != 1 || d != 1) {
            fail_msg("day %lld is %lld-%02d-%02d after year end %lld-%02d-%02d", (long long)z,
                     (long long)y, m, d, (long long)y0, m0, d0);
        }
        if (sl_days_from_civil(y, m, d) != z)
            fail_msg("round trip of day %lld gives %lld", (long long)z,
                     (long long)sl_days_from_civil(y, m, d));
        y0 = y;
        m0 = m;
        d0 = d;
    }
    assert_int_equal(y0, 9999);
    assert_int_equal(m0, 12);
    assert_int_equal(d0, 31);
}

/* Far outside the years a scenario names, the conversions still invert. */
static void test_round_trip_far(void **state)
{
    (void)state;
    for (int64_t z = -400000000; z <= 400000000; z += 9999991) {
        int64_t y;
        int m, d;
        sl_civil_from_days(z, &y, &m, &d);
        assert_in_range(m, 1, 12);
        assert_in_range(d, 1, sl_days_in_month(y, m));
        assert_int_equal(sl_days_from_civil(y, m, d), z);
    }
}

static void test_seconds(void **state)
{
    (void)state;
    struct sl_civil c;
    /* One second before the epoch is the last second of 1969. */
    sl_civil_from_seconds(-1, &c);
    assert_int_equal(c.year, 1969);
    assert_int_equal(c.month, 12);
    assert_int_equal(c.day, 31);
    assert_int_equal(c.hour, 23);
    assert_int_equal(c.minute, 59);
    assert_int_equal(c.second, 59);
    assert_int_equal(sl_seconds_from_civil(&c), -1);
    /* date -ud @4107542399: Sun Feb 28 23:59:59 UTC 2100; the next second
     * is Mar 1, 2100 having no Feb 29. */
    sl_civil_from_seconds(4107542399, &c);
    assert_int_equal(c.year, 2100);
    assert_int_equal(c.month, 2);
    assert_int_equal(c.day, 28);
    assert_int_equal(c.hour, 23);
    sl_civil_from_seconds(4107542400, &c);
    assert_int_equal(c.month, 3);
    assert_int_equal(c.day, 1);
    assert_int_equal(c.hour, 0);
    /* 2024-02-29 12:34:56 = 19782 days + 45296 s. */
    const int64_t t = 19782LL * 86400 + 45296;
    sl_civil_from_seconds(t, &c);
    assert_int_equal(c.year, 2024);
    assert_int_equal(c.month, 2);
    assert_int_equal(c.day, 29);
    assert_int_equal(c.hour, 12);
    assert_int_equal(c.minute, 34);
    assert_int_equal(c.second, 56);
    assert_int_equal(sl_seconds_from_civil(&c), t);
    /* Every second across midnight before 1970 round-trips. */
    for (int64_t s = -86400 * 3 - 5; s < -86400 * 3 + 5; s++) {
        sl_civil_from_seconds(s, &c);
        assert_int_equal(sl_seconds_from_civil(&c), s);
    }
}

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(sl_format_datetime(19782LL * 86400 + 45296, buf, sizeof buf), 19);
    assert_string_equal(buf, "2024-02-29T12:34:56");
    assert_int_equal(sl_format_datetime(-1, buf, sizeof buf), 19);
    assert_string_equal(buf, "1969-12-31T23:59:59");
    /* Truncated to the buffer, as snprintf does. */
    assert_int_equal(sl_format_datetime(0, buf, 5), 4);
    assert_string_equal(buf, "1970");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),      cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_consecutive_days), cmocka_unit_test(test_round_trip_far),
        cmocka_unit_test(test_seconds),          cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
