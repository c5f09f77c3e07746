/*
 * The civil calendar: proleptic Gregorian dates and local clock times.
 *
 * Simulated local time is counted in seconds since 1970-01-01 00:00 local
 * time, with no time zone and no leap seconds (a site's clock).  Day numbers
 * are days since 1970-01-01 and may be negative.  The conversions are H.
 * Hinnant's "chrono-Compatible Low-Level Date Algorithms" (days_from_civil,
 * civil_from_days), exact for every int64 day count a run can reach.
 */
#ifndef SUANLI_CALENDAR_H
#define SUANLI_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

/* A broken-down local time on the site's clock (no zone, no leap
 * seconds).  A value filled by sl_civil_from_seconds always holds a real
 * date and time, in the ranges noted; sl_seconds_from_civil accepts any
 * fields without checking them.  A plain value: it owns nothing. */
struct sl_civil {
    int64_t year;
    int month;  /* 1-12 */
    int day;    /* 1-31 */
    int hour;   /* 0-23 */
    int minute; /* 0-59 */
    int second; /* 0-59 */
};

/* Days since 1970-01-01 of year-month-day (month 1-12, day 1-31; not
 * checked). */
int64_t sl_days_from_civil(int64_t year, int month, int day);

/* Year, month (1-12) and day (1-31) of a day number.  Any output may be
 * NULL. */
void sl_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* 1 for a Gregorian leap year, else 0. */
int sl_is_leap_year(int64_t year);

/* Days in a month (1-12) of a year. */
int sl_days_in_month(int64_t year, int month);

/* Breaks local seconds since 1970 into a civil time (floor division, so
 * negative times fall on the day before 1970). */
void sl_civil_from_seconds(int64_t local_s, struct sl_civil *out);

/* Local seconds since 1970 of a civil time (fields not checked). */
int64_t sl_seconds_from_civil(const struct sl_civil *c);

/* Writes "YYYY-MM-DDTHH:MM:SS" (ISO 8601 without a zone) into buf, which
 * holds at least 20 bytes for years 0-9999; returns the length written
 * (snprintf semantics, truncated to size). */
size_t sl_format_datetime(int64_t local_s, char *buf, size_t size);

#endif
