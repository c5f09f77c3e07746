/*
 * Outdoor weather for the cooling model: dry-bulb and wet-bulb temperature,
 * hour by hour over a typical year.
 *
 * Two sources:
 *   - built-in sites (chengde, shijiazhuang, xinghua): monthly means of
 *     dry-bulb and wet-bulb temperature and their mean diurnal ranges, derived
 *     from the CSWD EnergyPlus weather files (see docs/model.md, "Weather"),
 *     expanded to 8,760 hours with a smooth seasonal curve and a diurnal
 *     cycle, so the binary needs no data files;
 *   - an EnergyPlus EPW file: the 8,760 hourly rows are read as they are
 *     (a leap-year file's 8,784 without its Feb 29 rows), and wet-bulb is
 *     computed from dry-bulb, relative humidity and pressure.
 *
 * A weather is a typical year: simulated time maps to the hour of the year of
 * the local calendar date (Feb 29 reads as Feb 28) and conditions are
 * interpolated linearly between hours.
 */
#ifndef SUANLI_WEATHER_H
#define SUANLI_WEATHER_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/diag.h"

#define SL_HOURS_PER_YEAR 8760

/* A typical year.  t_db_c[i] and t_wb_c[i] hold the conditions at local
 * clock time i hours after Jan 1 00:00 (hour of day i % 24); wet-bulb never
 * exceeds dry-bulb.  An EPW row of hour H (1-24) is the condition at H:00,
 * so it lands at index day_of_year * 24 + H, the last row (Dec 31 24:00) at
 * index 0.  About 140 KB: embed it or allocate it, not on a small stack. */
struct sl_weather {
    char name[128]; /* site name or file name */
    double t_db_c[SL_HOURS_PER_YEAR];
    double t_wb_c[SL_HOURS_PER_YEAR];
};

/* Information on a built-in site: static, read-only rows that callers
 * borrow (sl_weather_site, sl_weather_find_site).  Every string is set;
 * name is unique, lower case, and is what `site.name` and `site.weather`
 * accept; carbon_kg_per_kwh > 0. */
struct sl_site_info {
    const char *name;     /* "chengde" */
    const char *station;  /* "Chengde 544230 (CSWD)" */
    const char *province; /* "Hebei" */
    double latitude_deg;
    double elevation_m;
    double carbon_kg_per_kwh; /* provincial grid factor (MEE 2022) */
    const char *source;
};

/* The number of built-in sites, and site i (0 <= i < that number; NULL
 * for any other i).  Pure. */
size_t sl_weather_site_count(void);
const struct sl_site_info *sl_weather_site(size_t i);
/* Looks a built-in site up by name, without regard to case; NULL if name is
 * NULL or unknown. */
const struct sl_site_info *sl_weather_find_site(const char *name);

/* Fills w with the synthetic typical year of a built-in site (name matched
 * without regard to case).  Returns SL_OK, or SL_ENOENT (diagnostic names
 * the known sites and the nearest one).  Allocates nothing. */
int sl_weather_builtin(struct sl_weather *w, const char *site, struct sl_diag *d);

/* Reads an EPW file (8 header lines, then 8,760 hourly rows, or 8,784 with
 * the 24 rows of Feb 29, which are checked and dropped; columns 2-4 month,
 * day, hour, 7 dry bulb C, 9 relative humidity %, 10 station pressure Pa).
 * A UTF-8 byte order mark at the start is skipped.  Only a regular file of
 * at most SL_LIMIT(SL_LIM_EPW_BYTES) bytes is read, so a FIFO, a device
 * (/dev/zero), a directory or a huge file is refused at once, never waited
 * on.  Returns SL_OK, SL_ENOENT (no such file; diagnostic without a line)
 * or SL_EINVAL for everything else the user must fix: a file that cannot
 * be opened or read, is not a regular file or is too large (no line), or
 * whose contents are wrong (file:line:column and what was expected).
 * Missing values are the EPW codes only: a missing temperature (99.9) or
 * humidity (999) is an error, a missing pressure (999999) becomes the
 * standard atmosphere at the header's elevation; any other value outside
 * the EPW ranges is an error naming the range, and so is a row whose
 * values, each in range, have no wet-bulb temperature.  On SL_OK every hour
 * of w is finite with wet-bulb <= dry-bulb and w->name is the file's base
 * name; on error w's contents are unspecified.  Borrows path; allocates
 * nothing. */
int sl_weather_load_epw(struct sl_weather *w, const char *path, struct sl_diag *d);

/* sl_weather_load_epw on size bytes at data (which need not end in NUL)
 * instead of a file; name stands for the file in diagnostics and w->name.
 * For callers that hold the text already, and for fuzzing.  Borrows name
 * and data; allocates nothing.  Returns SL_OK or SL_EINVAL. */
int sl_weather_parse_epw(struct sl_weather *w, const char *name, const char *data, size_t size,
                         struct sl_diag *d);

/* Conditions at a local calendar time (seconds since 1970-01-01 00:00 local,
 * no time zone; negative times are before 1970), interpolated between hours;
 * after Dec 31 23:00 comes Jan 1 00:00.  Either output may be NULL.  w
 * must have been filled by sl_weather_builtin or an EPW reader (SL_OK),
 * so every output is finite, with wet-bulb <= dry-bulb.  Borrows w. */
void sl_weather_at(const struct sl_weather *w, int64_t local_s, double *t_db_c, double *t_wb_c);

/* Thermodynamic wet-bulb temperature (C) from dry-bulb (C), relative
 * humidity (%) and pressure (Pa), by solving the psychrometric equation
 * (ASHRAE Fundamentals 2017, ch. 1) to 1e-4 K.  Humidity is clamped to
 * 0-100 %.  The result is either in [-100, t_db_c] or NaN, never infinite:
 * NaN for inputs without a moist-air state (any input NaN or infinite,
 * dry-bulb outside -100..200 C or at/above boiling at p_pa, p_pa <= 0, or
 * a pressure so low that the wet bulb would be below -100 C).  Pure. */
double sl_wet_bulb_c(double t_db_c, double rh_pct, double p_pa);

#endif
