/*
 * Outdoor weather: a typical year of hourly dry-bulb and wet-bulb
 * temperatures (see include/suanli/weather.h).
 *
 * Index convention.  t_db_c[i] and t_wb_c[i] are the conditions at local
 * clock time i hours after Jan 1 00:00 of a 365-day year, so hour-of-day is
 * i % 24.  sl_weather_at maps a local calendar time onto that year (Feb 29
 * reads as Feb 28) and interpolates linearly between i and i + 1, with hour
 * 8759 (Dec 31 23:00) followed by hour 0.
 *
 * Psychrometrics (ASHRAE Handbook - Fundamentals 2017, ch. 1).  Saturation
 * pressure of water vapour by the Hyland-Wexler fits, eq. 5 over ice below
 * 0 C and eq. 6 over liquid water above, valid from -100 to 200 C; humidity
 * ratio W = 0.621945 p_w / (p - p_w) (eq. 20); the thermodynamic wet-bulb
 * temperature t* is the root of the energy balance of adiabatic saturation,
 *     W = ((2501 - 2.326 t*) W*_s - 1.006 (t - t*)) / (2501 + 1.86 t - 4.186 t*)
 * (eq. 33, t* >= 0 C) or, over ice,
 *     W = ((2830 - 0.24 t*) W*_s - 1.006 (t - t*)) / (2830 + 1.86 t - 2.1 t*)
 * (eq. 35, t* < 0 C), where W*_s is the saturation humidity ratio at t*.  The
 * right-hand side increases with t*, so bisection on [-100 C, t] finds the
 * root; it stops when the bracket is narrower than 1e-5 K.
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
 * EPW reader.  An EPW file (EnergyPlus Auxiliary Programs, "Weather
 * Converter Program") has 8 header records (LOCATION first, DATA PERIODS
 * last) and, for a typical year, 8,760 hourly rows in order from Jan 1 hour 1
 * to Dec 31 hour 24.  A row's "hour H" holds the conditions at H:00, so the
 * row of (month, day, H) goes to index day_of_year * 24 + H, and the last row
 * (Dec 31 24:00) wraps to index 0.  The reader checks month, day and hour of
 * every row, needs fields 7 (dry bulb C), 9 (relative humidity %) and 10
 * (station pressure Pa), and rejects missing values (99.9 for temperature,
 * 999 for humidity) and values outside the ranges of the EPW definition; a
 * missing pressure (999999) is replaced by the standard atmosphere at the
 * elevation in the LOCATION record (ASHRAE 2017 ch. 1 eq. 3), since wet-bulb
 * depends on pressure only weakly (at 30 C and 50 %, 0.24 K per 10 kPa) and
 * station pressure stays within a few kPa of that standard.  Relative humidity up
 * to 110 % is allowed, as in EnergyPlus, and read as at most 100 %.  Every
 * error names file:line:column, column being the character position of the
 * offending field in its line.  The reader allocates nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/weather.h"
#include "suanli/diag.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PI 3.14159265358979323846

/* ---- Calendar. ---- */

static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static const int month_first_day[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

/* ---- Psychrometrics. ---- */

/* Saturation pressure of water vapour (Pa) over ice below 0 C and over
 * liquid water above (ASHRAE 2017 ch. 1 eqs. 5 and 6). */
static double sat_pressure_pa(double t_c)
{
    double t = t_c + 273.15;
    double ln_p;
    if (t_c < 0.0)
        ln_p = -5.6745359e3 / t + 6.3925247 - 9.6778430e-3 * t + 6.2215701e-7 * t * t +
               2.0747825e-9 * t * t * t - 9.4840240e-13 * t * t * t * t + 4.1635019 * log(t);
    else
        ln_p = -5.8002206e3 / t + 1.3914993 - 4.8640239e-2 * t + 4.1764768e-5 * t * t -
               1.4452093e-8 * t * t * t + 6.5459673 * log(t);
    return exp(ln_p);
}

/* Humidity ratio (kg water / kg dry air) at vapour pressure pw_pa. */
static double humidity_ratio(double pw_pa, double p_pa)
{
    return 0.621945 * pw_pa / (p_pa - pw_pa);
}

/* The humidity ratio that air at t_c would have if its thermodynamic
 * wet-bulb temperature were twb_c (eqs. 33 and 35). */
static double humidity_ratio_from_wet_bulb(double t_c, double twb_c, double p_pa)
{
    double ws = humidity_ratio(sat_pressure_pa(twb_c), p_pa);
    if (twb_c >= 0.0)
        return ((2501.0 - 2.326 * twb_c) * ws - 1.006 * (t_c - twb_c)) /
               (2501.0 + 1.86 * t_c - 4.186 * twb_c);
    return ((2830.0 - 0.24 * twb_c) * ws - 1.006 * (t_c - twb_c)) /
           (2830.0 + 1.86 * t_c - 2.1 * twb_c);
}

double sl_wet_bulb_c(double t_db_c, double rh_pct, double p_pa)
{
    if (!isfinite(t_db_c) || !isfinite(rh_pct) || !isfinite(p_pa))
        return NAN;
    if (t_db_c < -100.0 || t_db_c > 200.0 || p_pa <= 0.0)
        return NAN;
    double pws = sat_pressure_pa(t_db_c);
    if (pws >= p_pa)
        return NAN; /* boiling: no moist-air state */
    if (rh_pct >= 100.0)
        return t_db_c; /* saturated: the energy balance holds at t* = t */
    if (rh_pct < 0.0)
        rh_pct = 0.0;
    double w = humidity_ratio(rh_pct / 100.0 * pws, p_pa);
    /* At t* = -100 C the balance gives W < 0 <= w; at t* = t it gives the
     * saturation humidity ratio >= w. */
    double lo = -100.0, hi = t_db_c;
    while (hi - lo > 1e-5) {
        double mid = 0.5 * (lo + hi);
        if (humidity_ratio_from_wet_bulb(t_db_c, mid, p_pa) > w)
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

/* Standard atmospheric pressure (Pa) at elevation z_m (ASHRAE 2017 ch. 1
 * eq. 3). */
static double standard_pressure_pa(double z_m)
{
    return 101325.0 * pow(1.0 - 2.25577e-5 * z_m, 5.2559);
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

/* Case-insensitive Levenshtein distance, for "did you mean" (names longer
 * than 63 characters are compared by their first 63). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t row[64];
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63)
        la = 63;
    if (lb > 63)
        lb = 63;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost =
                ascii_lower((unsigned char)a[i - 1]) == ascii_lower((unsigned char)b[j - 1]) ? 0
                                                                                             : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Hour (fractional) of the middle of month m's hourly samples. */
static double mid_month_hour(int m)
{
    return (double)month_first_day[m] * 24.0 + ((double)month_days[m] * 24.0 - 1.0) / 2.0;
}

/* Fills out[] from the seasonal knots, the diurnal-range knots and the cap
 * (an upper bound per hour, or NULL).  Each curve is linear between the
 * mid-month knots before and after hour i, wrapping around the year. */
static void fill_hours(const double knot[12], const double range_knot[12], const double *cap,
                       double *out)
{
    double diurnal[24];
    for (int h = 0; h < 24; h++)
        diurnal[h] = 0.5 * cos(2.0 * PI * (double)(h - 16) / 24.0);
    int m = 0; /* knots at or before hour i */
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++) {
        double t = (double)i;
        while (m < 12 && mid_month_hour(m) <= t)
            m++;
        int m0 = (m + 11) % 12, m1 = m % 12;
        double t0 = mid_month_hour(m0), t1 = mid_month_hour(m1);
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

/* Mean of series[] over the hours of month m. */
static double month_mean(const double *series, int m)
{
    double sum = 0.0;
    int first = month_first_day[m] * 24, n = month_days[m] * 24;
    for (int i = first; i < first + n; i++)
        sum += series[i];
    return sum / (double)n;
}

/* Expands 12 monthly means and mean diurnal ranges into out[8760], values
 * above cap[i] (if cap) clamped, with knots corrected as the file comment
 * describes.  The range knots are fitted first, on the range curve alone
 * (out[] serves as scratch), so the mean diurnal range of each month also
 * matches its table value. */
static void expand_months(const double mean[12], const double range[12], const double *cap,
                          double *out)
{
    double knot[12], range_knot[12], zero[12] = {0};
    for (int m = 0; m < 12; m++)
        range_knot[m] = range[m];
    for (int round = 0; round < 200; round++) {
        fill_hours(range_knot, zero, NULL, out);
        double worst = 0.0;
        for (int m = 0; m < 12; m++) {
            double err = range[m] - month_mean(out, m);
            range_knot[m] += err;
            worst = fmax(worst, fabs(err));
        }
        if (worst < 1e-6)
            break;
    }
    for (int m = 0; m < 12; m++)
        knot[m] = mean[m];
    for (int round = 0; round < 200; round++) {
        fill_hours(knot, range_knot, cap, out);
        double worst = 0.0;
        for (int m = 0; m < 12; m++) {
            double err = mean[m] - month_mean(out, m);
            knot[m] += err;
            worst = fmax(worst, fabs(err));
        }
        if (worst < 1e-6)
            break;
    }
    fill_hours(knot, range_knot, cap, out);
}

/* Writes the list of built-in site names into known and returns the one
 * nearest to name by edit distance. */
static const char *site_hint(const char *name, char *known, size_t size)
{
    const char *nearest = builtin_sites[0].info.name;
    size_t best = (size_t)-1;
    known[0] = '\0';
    for (size_t i = 0; i < N_SITES; i++) {
        size_t len = strlen(known);
        snprintf(known + len, size - len, "%s%s", i ? ", " : "", builtin_sites[i].info.name);
        size_t dist = edit_distance(name, builtin_sites[i].info.name);
        if (dist < best) {
            best = dist;
            nearest = builtin_sites[i].info.name;
        }
    }
    return nearest;
}

int sl_weather_builtin(struct sl_weather *w, const char *site, struct sl_diag *d)
{
    const struct builtin_site *s = NULL;
    for (size_t i = 0; site && i < N_SITES; i++)
        if (name_equal(site, builtin_sites[i].info.name))
            s = &builtin_sites[i];
    if (!s) {
        char known[256];
        const char *nearest = site_hint(site ? site : "", known, sizeof known);
        if (!site || !site[0])
            return sl_diag_set(d, SL_ENOENT, NULL, 0, 0,
                               "no weather site given; built-in sites: %s (or give an EPW file)",
                               known);
        return sl_diag_set(d, SL_ENOENT, NULL, 0, 0,
                           "unknown weather site '%s'; did you mean '%s'? Built-in sites: %s "
                           "(or give an EPW file)",
                           site, nearest, known);
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

/* ---- EPW reader. ---- */

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

/* Parses data row `row` (0-based) from s[0, len) into w. */
static int parse_row(const char *path, int lineno, const char *s, size_t len, int row,
                     double elevation_m, struct sl_weather *w, struct sl_diag *d)
{
    static const int needed[] = {2, 3, 4, 7, 9, 10};
    int doy = row / 24, hour = row % 24 + 1, month = 0;
    while (month < 11 && month_first_day[month + 1] <= doy)
        month++;
    int day = doy - month_first_day[month] + 1;
    if (is_blank(s, len))
        return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                           "empty line; expected the hourly row of month %d, day %d, hour %d",
                           month + 1, day, hour);
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
    const int want[3] = {month + 1, day, hour};
    for (int k = 0; k < 3; k++) {
        int rc = row_number(path, lineno, s, fl, k + 2, &v[k], d);
        if (rc != SL_OK)
            return rc;
    }
    for (int k = 0; k < 3; k++)
        if (v[k] != (double)want[k])
            return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[k + 1]),
                               "expected the row of month %d, day %d, hour %d (hourly row %d; a "
                               "typical year runs from Jan 1 hour 1 to Dec 31 hour 24 of a "
                               "365-day year), found month %g, day %g, hour %g",
                               month + 1, day, hour, row + 1, v[0], v[1], v[2]);
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
        p = standard_pressure_pa(elevation_m);
    } else if (p <= 31000.0 || p >= 120000.0) {
        return sl_diag_set(d, SL_EINVAL, path, lineno, field_col(&fl[9]),
                           "station pressure %g Pa is outside the EPW range (31000, 120000)", p);
    }
    size_t i = (size_t)((row + 1) % SL_HOURS_PER_YEAR); /* hour H is H:00 */
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
    for (int row = 0; row < SL_HOURS_PER_YEAR; row++) {
        int r = read_line(f, buf, sizeof buf, &len);
        lineno++;
        if (r == -2)
            return sl_diag_set(d, SL_EIO, path, lineno, 0, "read error: %s", strerror(errno));
        if (r == 0)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "the file ends after %d hourly row%s; an EPW typical year has "
                               "8,760 (one per hour of a 365-day year)",
                               row, row == 1 ? "" : "s");
        if (r == -1)
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "line longer than %d characters; expected an hourly EPW row",
                               EPW_LINE_MAX);
        int rc = parse_row(path, lineno, buf, len, row, elevation_m, w, d);
        if (rc != SL_OK)
            return rc;
    }
    for (;;) {
        int r = read_line(f, buf, sizeof buf, &len);
        lineno++;
        if (r == 0)
            return SL_OK;
        if (r == -2)
            return sl_diag_set(d, SL_EIO, path, lineno, 0, "read error: %s", strerror(errno));
        if (r == -1 || !is_blank(buf, len))
            return sl_diag_set(d, SL_EINVAL, path, lineno, 1,
                               "more than 8,760 hourly rows; an EPW typical year has exactly "
                               "8,760 (leap-year files with Feb 29 are not supported)");
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
            const char *nearest = site_hint(path, known, sizeof known);
            return sl_diag_set(d, SL_ENOENT, path, 0, 0,
                               "neither an EPW weather file nor a built-in site; did you mean "
                               "'%s'? Built-in sites: %s",
                               nearest, known);
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

/* ---- Time. ---- */

/* Month (1-12) and day (1-31) of the proleptic Gregorian calendar for days
 * since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms", civil_from_days). */
static void civil_from_days(int64_t z, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
}

void sl_weather_at(const struct sl_weather *w, int64_t local_s, double *t_db_c, double *t_wb_c)
{
    int64_t days = local_s / 86400;
    int64_t sod = local_s % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int month, day;
    civil_from_days(days, &month, &day);
    if (month == 2 && day == 29)
        day = 28;
    int64_t i0 = (int64_t)(month_first_day[month - 1] + day - 1) * 24 + sod / 3600;
    size_t a = (size_t)i0, b = (size_t)((i0 + 1) % SL_HOURS_PER_YEAR);
    double f = (double)(sod % 3600) / 3600.0;
    if (t_db_c)
        *t_db_c = w->t_db_c[a] + (w->t_db_c[b] - w->t_db_c[a]) * f;
    if (t_wb_c)
        *t_wb_c = w->t_wb_c[a] + (w->t_wb_c[b] - w->t_wb_c[a]) * f;
}
