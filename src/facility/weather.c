/*
 * Outdoor weather: the built-in sites, their synthetic typical years of
 * hourly dry-bulb and wet-bulb temperatures, and the lookup of a weather at
 * a local calendar time (see include/suanli/weather.h).
 *
 * Index convention.  t_db_c[i] and t_wb_c[i] are the conditions at local
 * clock time i hours after Jan 1 00:00 of a 365-day year, so hour-of-day is
 * i % 24.  sl_weather_at maps a local calendar time onto that year (Feb 29
 * reads as Feb 28) and interpolates linearly between i and i + 1, with hour
 * 8759 (Dec 31 23:00) followed by hour 0.
 *
 * Built-in sites.  The three sites of the brief are tables of monthly means
 * of dry-bulb and wet-bulb temperature and of their mean diurnal ranges (the
 * mean over the days of the month of daily maximum minus daily minimum),
 * derived from the CSWD EPW files named in the table below.  A table becomes
 * 8,760 hours as follows, for dry-bulb and then wet-bulb:
 *   1. the seasonal curve is piecewise linear between one knot per month,
 *      placed at the middle of the month's hours and wrapping from December
 *      to January; the diurnal range follows a curve of the same kind;
 *   2. hour i gets seasonal(i) + range(i)/2 * cos(2 pi (h - 16) / 24), h the
 *      hour of day, so the daily maximum falls at 16:00 (as in all three EPW
 *      files; their minimum comes at 06:00-07:00) and the minimum at
 *      04:00, and the daily max - min is the range; wet-bulb is then clamped
 *      to at most the dry-bulb of the same hour;
 *   3. linear interpolation pulls a warm month's mean towards its cooler
 *      neighbours (and the clamp lowers wet-bulb), so the knots start at the
 *      monthly values and are corrected by the remaining error of each
 *      month's mean over its hours, knot_m += target_m - mean_m, until every
 *      month matches its table value within 1e-6 K: first the range knots
 *      (on the range curve alone), then the seasonal knots (on the final
 *      hourly values).  The correction shrinks the error by at least half
 *      per round (a month's mean depends on its own knot with weight ~3/4 and
 *      on each neighbour's with ~1/8), so a few dozen rounds suffice.
 * The result is smooth (no steps at month boundaries), deterministic and
 * exact in its monthly means; it has no day-to-day weather, so it suits
 * annual energy and PUE, not extreme-hour sizing (load an EPW for that).
 *
 * Elsewhere: wet-bulb temperature and the standard atmosphere are in
 * psychro.c, the EPW reader in epw.c; the calendar of the typical year (a
 * common Gregorian year, weather_int.h) comes from include/suanli/calendar.h.
 */
#include "facility/weather_int.h"
#include "suanli/calendar.h"
#include "suanli/diag.h"
#include "suanli/suggest.h"
#include "suanli/weather.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PI 3.14159265358979323846

/* ---- The typical year's calendar. ---- */

int sl__typical_day_of_year(int month, int day)
{
    return (int)(sl_days_from_civil(SL__TYPICAL_YEAR, month, day) -
                 sl_days_from_civil(SL__TYPICAL_YEAR, 1, 1));
}

int sl__typical_days_in_month(int month)
{
    return sl_days_in_month(SL__TYPICAL_YEAR, month);
}

/* ---- Built-in sites. ---- */

/* Monthly climate of a site: means and mean diurnal ranges (K) of dry-bulb
 * and wet-bulb temperature. */
struct climate_month {
    double db_c;
    double wb_c;
    double db_range_k;
    double wb_range_k;
};

struct builtin_site {
    struct sl_site_info info;
    struct climate_month month[12];
};

/*
 * Sources.  CSWD ("China Standard Weather Data for Analyzing Building Thermal
 * Conditions", China Meteorological Administration and Tsinghua University)
 * typical years in EnergyPlus EPW format, from the repository
 * gwyxjtu/eppy_for_power_load_generation, branch master, files
 * weathers/spyder/<ID>/<ID>.epw with ID
 *   CHN_Hebei.Chengde.544230_CSWD       (40.98 N, 117.95 E, 385.9 m),
 *   CHN_Hebei.Shijiazhuang.536980_CSWD  (38.03 N, 114.42 E, 81.0 m),
 *   CHN_Jiangsu.Dongtai.582510_CSWD     (32.87 N, 120.32 E, 4.3 m).
 * CSWD has no Xinghua station; Dongtai, ~45 km east, is the nearest.
 * Derivation: each file read with sl_weather_load_epw (wet-bulb per hour from
 * dry bulb, relative humidity and station pressure by sl_wet_bulb_c); for
 * each month, the mean of its hourly values and the mean over its days of
 * (max - min) of the 24 rows of the day (EPW hours 1-24), rounded to 0.01 K.
 * These means agree within 0.15 K with the independently derived climate
 * table of the project's calibration notes (reference/power-cooling.md, s. 3);
 * annual means 9.13 / 4.99 C (Chengde), 13.61 / 9.35 C (Shijiazhuang),
 * 14.80 / 12.53 C (Dongtai).  In the hourly mean profiles of all three files
 * the daily maximum falls at 15:00-16:00 and the minimum at 06:00-07:00.
 * Grid carbon factors: provincial average emission factors for 2022 (China
 * Ministry of Ecology and Environment, 2024), Hebei 0.7252 and Jiangsu
 * 0.5978 kg CO2/kWh.
 */
#define CSWD_SOURCE                                                                                \
    "CSWD typical year (CMA/Tsinghua), EPW from "                                                  \
    "gwyxjtu/eppy_for_power_load_generation@master; carbon: MEE 2022 provincial factor"

/* Per month: {mean dry-bulb C, mean wet-bulb C, mean diurnal range of dry-bulb
 * K, of wet-bulb K}. */
static const struct builtin_site builtin_sites[] = {
    {{"chengde", "Chengde 544230 (CSWD)", "Hebei", 40.98, 385.9, 0.7252, CSWD_SOURCE},
     {{-9.22, -11.05, 11.25, 8.77},
      {-3.80, -6.58, 15.87, 11.64},
      {3.13, -1.54, 14.44, 9.54},
      {12.05, 5.17, 16.33, 8.85},
      {18.53, 11.43, 13.63, 6.06},
      {22.47, 15.75, 13.86, 5.51},
      {23.63, 19.89, 10.54, 4.89},
      {22.50, 19.08, 11.22, 5.36},
      {17.05, 13.86, 12.60, 6.79},
      {9.80, 5.32, 14.12, 7.68},
      {-0.14, -2.81, 11.42, 8.58},
      {-7.26, -9.36, 11.15, 8.78}}},
    {{"shijiazhuang", "Shijiazhuang 536980 (CSWD)", "Hebei", 38.03, 81.0, 0.7252, CSWD_SOURCE},
     {{-1.59, -4.27, 8.46, 5.71},
      {0.37, -2.52, 9.50, 5.86},
      {9.01, 3.51, 11.48, 6.80},
      {15.36, 9.12, 12.24, 7.28},
      {21.42, 15.09, 11.48, 5.88},
      {25.84, 19.52, 10.67, 4.73},
      {26.02, 22.64, 9.00, 4.27},
      {25.80, 22.31, 8.08, 3.70},
      {20.89, 16.64, 10.64, 5.29},
      {14.46, 10.28, 10.42, 5.71},
      {5.76, 2.70, 8.46, 5.60},
      {-0.89, -3.58, 7.66, 5.51}}},
    {{"xinghua", "Dongtai 582510 (CSWD), ~45 km east of Xinghua", "Jiangsu", 32.87, 4.3, 0.5978,
      CSWD_SOURCE},
     {{1.31, -0.24, 7.33, 5.52},
      {3.36, 1.97, 6.95, 5.13},
      {8.12, 6.35, 8.15, 5.31},
      {14.16, 11.67, 9.53, 5.67},
      {18.91, 15.70, 10.03, 5.62},
      {22.77, 20.33, 8.08, 3.78},
      {27.26, 25.00, 7.28, 4.05},
      {27.13, 24.92, 7.08, 3.84},
      {22.45, 20.00, 8.28, 4.57},
      {17.01, 14.34, 8.40, 4.39},
      {9.96, 7.33, 9.27, 6.00},
      {4.33, 2.31, 8.15, 5.44}}},
};

#define N_SITES (sizeof builtin_sites / sizeof builtin_sites[0])

size_t sl_weather_site_count(void)
{
    return N_SITES;
}

const struct sl_site_info *sl_weather_site(size_t i)
{
    return i < N_SITES ? &builtin_sites[i].info : NULL;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

const struct sl_site_info *sl_weather_find_site(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_SITES; i++)
        if (name_equal(name, builtin_sites[i].info.name))
            return &builtin_sites[i].info;
    return NULL;
}

/* Hour (fractional) of the middle of month m's (0-11) hourly samples. */
static double mid_month_hour(int m)
{
    return (double)sl__typical_day_of_year(m + 1, 1) * 24.0 +
           ((double)sl__typical_days_in_month(m + 1) * 24.0 - 1.0) / 2.0;
}

/* Fills out[] from the seasonal knots, the diurnal-range knots and the cap
 * (an upper bound per hour, or NULL).  Each curve is linear between the
 * mid-month knots before and after hour i, wrapping around the year. */
static void fill_hours(const double knot[12], const double range_knot[12], const double *cap,
                       double *out)
{
    double diurnal[24], mid[12];
    for (int h = 0; h < 24; h++)
        diurnal[h] = 0.5 * cos(2.0 * PI * (double)(h - 16) / 24.0);
    for (int k = 0; k < 12; k++)
        mid[k] = mid_month_hour(k);
    int m = 0; /* knots at or before hour i */
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++) {
        double t = (double)i;
        while (m < 12 && mid[m] <= t)
            m++;
        int m0 = (m + 11) % 12, m1 = m % 12;
        double t0 = mid[m0], t1 = mid[m1];
        if (m == 0)
            t0 -= SL_HOURS_PER_YEAR;
        if (m == 12)
            t1 += SL_HOURS_PER_YEAR;
        double w1 = (t - t0) / (t1 - t0);
        double seasonal = knot[m0] + (knot[m1] - knot[m0]) * w1;
        double range = range_knot[m0] + (range_knot[m1] - range_knot[m0]) * w1;
        double v = seasonal + range * diurnal[i % 24];
        if (cap && v > cap[i])
            v = cap[i];
        out[i] = v;
    }
}

/* Mean of series[] over the hours of month m (0-11). */
static double month_mean(const double *series, int m)
{
    double sum = 0.0;
    int first = sl__typical_day_of_year(m + 1, 1) * 24, n = sl__typical_days_in_month(m + 1) * 24;
    for (int i = first; i < first + n; i++)
        sum += series[i];
    return sum / (double)n;
}

/* The knot correction: starting from knot = target, fills out[8760] from
 * knot (with range and cap as fill_hours takes them) and moves each knot by
 * its month's error until every month's mean of out matches target within
 * 1e-6 (at most 200 rounds). */
static void fit_knots(const double target[12], const double range[12], const double *cap,
                      double knot[12], double *out)
{
    for (int m = 0; m < 12; m++)
        knot[m] = target[m];
    for (int round = 0; round < 200; round++) {
        fill_hours(knot, range, cap, out);
        double worst = 0.0;
        for (int m = 0; m < 12; m++) {
            double err = target[m] - month_mean(out, m);
            knot[m] += err;
            worst = fmax(worst, fabs(err));
        }
        if (worst < 1e-6)
            break;
    }
}

/* Expands 12 monthly means and mean diurnal ranges into out[8760], values
 * above cap[i] (if cap) clamped, with knots corrected as the file comment
 * describes.  The range knots are fitted first, on the range curve alone
 * (out[] serves as scratch), so the mean diurnal range of each month also
 * matches its table value. */
static void expand_months(const double mean[12], const double range[12], const double *cap,
                          double *out)
{
    static const double zero[12] = {0};
    double knot[12], range_knot[12];
    fit_knots(range, zero, NULL, range_knot, out);
    fit_knots(mean, range_knot, cap, knot, out);
    fill_hours(knot, range_knot, cap, out);
}

const char *sl__weather_site_hint(const char *name, char *known, size_t size)
{
    const char *names[N_SITES];
    known[0] = '\0';
    for (size_t i = 0; i < N_SITES; i++) {
        size_t len = strlen(known);
        snprintf(known + len, size - len, "%s%s", i ? ", " : "", builtin_sites[i].info.name);
        names[i] = builtin_sites[i].info.name;
    }
    return sl_suggest_nearest(name, names, N_SITES, sl_suggest_threshold(name),
                              SL_SUGGEST_NOCASE | SL_SUGGEST_PREFIX);
}

int sl_weather_builtin(struct sl_weather *w, const char *site, struct sl_diag *d)
{
    const struct builtin_site *s = NULL;
    for (size_t i = 0; site && i < N_SITES; i++)
        if (name_equal(site, builtin_sites[i].info.name))
            s = &builtin_sites[i];
    if (!s) {
        char known[256];
        const char *nearest = sl__weather_site_hint(site ? site : "", known, sizeof known);
        if (!site || !site[0])
            return sl_diag_set(d, SL_ENOENT, NULL, 0, 0,
                               "no weather site given; built-in sites: %s (or give an EPW file)",
                               known);
        if (nearest)
            return sl_diag_set(d, SL_ENOENT, NULL, 0, 0,
                               "unknown weather site '%s'; did you mean '%s'? Built-in sites: "
                               "%s (or give an EPW file)",
                               site, nearest, known);
        return sl_diag_set(d, SL_ENOENT, NULL, 0, 0,
                           "unknown weather site '%s'; built-in sites: %s (or give an EPW file)",
                           site, known);
    }
    double mean[12], range[12];
    snprintf(w->name, sizeof w->name, "%s", s->info.name);
    for (int m = 0; m < 12; m++) {
        mean[m] = s->month[m].db_c;
        range[m] = s->month[m].db_range_k;
    }
    expand_months(mean, range, NULL, w->t_db_c);
    for (int m = 0; m < 12; m++) {
        mean[m] = s->month[m].wb_c;
        range[m] = s->month[m].wb_range_k;
    }
    expand_months(mean, range, w->t_db_c, w->t_wb_c);
    return SL_OK;
}

/* ---- Time. ---- */

void sl_weather_at(const struct sl_weather *w, int64_t local_s, double *t_db_c, double *t_wb_c)
{
    struct sl_civil c;
    sl_civil_from_seconds(local_s, &c);
    if (c.month == 2 && c.day == 29)
        c.day = 28;
    int64_t i0 = (int64_t)sl__typical_day_of_year(c.month, c.day) * 24 + c.hour;
    size_t a = (size_t)i0, b = (size_t)((i0 + 1) % SL_HOURS_PER_YEAR);
    double f = (double)(c.minute * 60 + c.second) / 3600.0;
    if (t_db_c)
        *t_db_c = w->t_db_c[a] + (w->t_db_c[b] - w->t_db_c[a]) * f;
    if (t_wb_c)
        *t_wb_c = w->t_wb_c[a] + (w->t_wb_c[b] - w->t_wb_c[a]) * f;
}
