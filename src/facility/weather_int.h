/*
 * Internals shared by the weather modules (include/suanli/weather.h):
 * psychro.c (moist-air properties), epw.c (the EPW reader) and weather.c
 * (built-in sites, the synthetic typical year, calendar lookup).
 *
 * The typical year.  Every weather is a 365-day year of SL_HOURS_PER_YEAR
 * hours starting Jan 1 00:00; its calendar is that of a common (non-leap)
 * Gregorian year, taken from the calendar module (include/suanli/calendar.h)
 * rather than from tables of our own.  A Feb 29 has no hours of its own: a
 * simulated Feb 29 reads the weather of Feb 28 and the Feb 29 rows of a
 * leap-year EPW file are dropped.
 */
#ifndef SUANLI_FACILITY_WEATHER_INT_H
#define SUANLI_FACILITY_WEATHER_INT_H

#include <stddef.h>

/* Any common year: the calendar of the typical year. */
#define SL__TYPICAL_YEAR 2001

/* Days before month (1-12), day (1-31) since Jan 1 of the typical year, so
 * Jan 1 is 0 and Dec 31 is 364.  Feb 29 is not a day of the typical year;
 * it gives the index of Mar 1.  Arguments are not checked. */
int sl__typical_day_of_year(int month, int day);

/* Days in month (1-12) of the typical year. */
int sl__typical_days_in_month(int month);

/* Standard atmospheric pressure (Pa) at elevation z_m (ASHRAE Fundamentals
 * 2017 ch. 1 eq. 3): positive and finite for z_m below ~44,330 m (the fit's
 * top of the atmosphere), NaN above it or for a NaN or infinite z_m. */
double sl__standard_pressure_pa(double z_m);

/* Saturation pressure of water vapour (Pa) at t_c, over ice below 0 C and
 * over liquid water above (ASHRAE Fundamentals 2017 ch. 1 eqs. 5 and 6):
 * positive and finite for t_c in [-100, 200] C, NaN outside or for NaN. */
double sl__saturation_pressure_pa(double t_c);

/* Writes the comma-separated names of the built-in sites into known (size
 * bytes, truncated) and returns the built-in site name nearest to name
 * ("did you mean"), or NULL if none is close. */
const char *sl__weather_site_hint(const char *name, char *known, size_t size);

#endif
