/*
 * Tests for outdoor weather (src/facility/weather.c, psychro.c, epw.c).
 *
 * Wet-bulb temperatures are checked against published psychrometric values:
 * the chart value for 30 C / 50 %, ASHRAE Fundamentals 2017 ch. 1 example 1,
 * and the humidity ratios that PsychroLib's test suite computes from given
 * wet-bulb temperatures above and below freezing, turned into relative
 * humidity with the saturation pressures of ASHRAE's Table 3.  The built-in
 * sites are checked against the monthly means of the project's calibration
 * notes (reference/power-cooling.md, s. 3, copied below) and against the
 * table weather.c was built from, for the shape of the day (maximum at
 * 16:00), wet-bulb never above dry-bulb, and the facts other modules rely
 * on (a Chengde January is below 0 C wet-bulb in every hour; Xinghua's
 * summer is warmer and more humid than Chengde's).  The calendar mapping is
 * checked at dates whose epoch seconds come from date(1).  The EPW reader
 * is checked on the real CSWD files when ../shared/data is present, and
 * always on synthetic files written to a temporary directory: well-formed
 * ones (values land at the right hours), malformed ones (each error names
 * the right line and column), leap-year ones (8,784 rows, Feb 29 checked
 * and dropped), and randomly corrupted ones (never a crash).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facility/weather_int.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/weather.h"

#include "shared_data.h"

#ifndef SL_SHARED_DATA
#define SL_SHARED_DATA "../shared/data"
#endif
#define EPW_DIR SL_SHARED_DATA "/weather"

static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* Monthly means T_db / T_wb (C) from reference/power-cooling.md s. 3,
 * derived there from the CSWD EPW files, rounded to 0.1 K. */
static const double ref_db[3][12] = {
    {-9.2, -3.8, 3.1, 12.1, 18.5, 22.5, 23.6, 22.5, 17.1, 9.8, -0.1, -7.3},
    {-1.6, 0.4, 9.0, 15.4, 21.4, 25.8, 26.0, 25.8, 20.9, 14.5, 5.8, -0.9},
    {1.3, 3.4, 8.1, 14.2, 18.9, 22.8, 27.3, 27.1, 22.4, 17.0, 10.0, 4.3}};
static const double ref_wb[3][12] = {
    {-11.0, -6.5, -1.4, 5.2, 11.5, 15.8, 19.9, 19.1, 13.9, 5.4, -2.7, -9.3},
    {-4.2, -2.4, 3.6, 9.2, 15.1, 19.5, 22.7, 22.3, 16.7, 10.3, 2.8, -3.5},
    {-0.2, 2.0, 6.4, 11.7, 15.7, 20.3, 25.0, 24.9, 20.0, 14.4, 7.3, 2.3}};
static const double ref_year[3][2] = {{9.1, 5.0}, {13.6, 9.4}, {14.8, 12.6}};

/* The table of src/facility/weather.c: {db, wb, db range, wb range}. */
static const double table[3][12][4] = {{{-9.22, -11.05, 11.25, 8.77},
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
                                        {-7.26, -9.36, 11.15, 8.78}},
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
                                        {-0.89, -3.58, 7.66, 5.51}},
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
                                        {4.33, 2.31, 8.15, 5.44}}};

static const char *const site_names[3] = {"chengde", "shijiazhuang", "xinghua"};
static const char *const epw_files[3] = {"CHN_Hebei.Chengde.544230_CSWD.epw",
                                         "CHN_Hebei.Shijiazhuang.536980_CSWD.epw",
                                         "CHN_Jiangsu.Dongtai.582510_CSWD.epw"};

/* Two weathers are 280 KB: kept out of the stack. */
static struct sl_weather wx_a, wx_b;

static char tmp_dir[256];
static char tmp_file[320];

/* ---- Helpers. ---- */

#define PI 3.14159265358979323846

/* cmocka 1.1's assert_float_equal compares floats; weather needs doubles. */
#define assert_close(a, b, tol) check_close((a), (b), (tol), #a, __FILE__, __LINE__)

static void check_close(double a, double b, double tol, const char *expr, const char *file,
                        int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s:%d: %s = %.12g, want %.12g +- %g\n", file, line, expr, a, b, tol);
        fail();
    }
}

static void month_means(const double *v, double out[12])
{
    int i = 0;
    for (int m = 0; m < 12; m++) {
        double s = 0.0;
        for (int k = 0; k < month_days[m] * 24; k++)
            s += v[i++];
        out[m] = s / (month_days[m] * 24);
    }
}

/* Mean over the days of each month of (max - min) of the day's 24 hours. */
static void month_ranges(const double *v, double out[12])
{
    int i = 0;
    for (int m = 0; m < 12; m++) {
        double s = 0.0;
        for (int day = 0; day < month_days[m]; day++) {
            double hi = -1e9, lo = 1e9;
            for (int h = 0; h < 24; h++, i++) {
                hi = fmax(hi, v[i]);
                lo = fmin(lo, v[i]);
            }
            s += hi - lo;
        }
        out[m] = s / month_days[m];
    }
}

static double year_mean(const double *v)
{
    double s = 0.0;
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++)
        s += v[i];
    return s / SL_HOURS_PER_YEAR;
}

static void load_builtin(struct sl_weather *w, const char *site)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_weather_builtin(w, site, &d);
    if (rc != SL_OK)
        fail_msg("sl_weather_builtin(%s): %s %s", site, sl_strerror(rc), d.msg);
}

/* Skips without the shared data, fails in CI (tests/shared_data.h). */
static int have_shared_data(void)
{
    return shared_data_present(EPW_DIR);
}

/* ---- Synthetic EPW files. ---- */

static const char *const epw_header[8] = {
    "LOCATION,Testville,Test,CHN,TEST,000000,40.00,117.00,8.0,500.0",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    "COMMENTS 1,synthetic file written by test_weather",
    "COMMENTS 2,",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"};

/* Month (1-12), day and hour (1-24) of data row r (0-based). */
static void row_date(int r, int *month, int *day, int *hour)
{
    int doy = r / 24, m = 0;
    while (doy >= month_days[m])
        doy -= month_days[m++];
    *month = m + 1;
    *day = doy + 1;
    *hour = r % 24 + 1;
}

static double syn_t(int r)
{
    return 10.0 + 15.0 * sin(2.0 * PI * r / 8760.0) + 5.0 * cos(2.0 * PI * (r % 24 - 14) / 24.0);
}

static int syn_rh(int r)
{
    return 30 + r % 61;
}

static int syn_p(int r)
{
    return 95000 + r % 700;
}

/* Writes the well-formed row r (35 fields) into buf. */
static void make_row(char *buf, size_t size, int r)
{
    int month, day, hour;
    row_date(r, &month, &day, &hour);
    double t = syn_t(r);
    snprintf(buf, size, "2005,%d,%d,%d,0,?9?9?9?9E0,%.1f,%.1f,%d,%d%s", month, day, hour, t,
             t - 5.0, syn_rh(r), syn_p(r), ",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0");
}

/* 1-based character column where field `field` (1-based) of line starts. */
static int field_col(const char *line, int field)
{
    int col = 1;
    for (const char *p = line; *p && field > 1; p++, col++)
        if (*p == ',')
            field--;
    return col;
}

/* Replaces field `field` of line by text. */
static void set_field(char *line, size_t size, int field, const char *text)
{
    char out[1024];
    int start = field_col(line, field) - 1;
    const char *end = strchr(line + start, ',');
    snprintf(out, sizeof out, "%.*s%s%s", start, line, text, end ? end : "");
    snprintf(line, size, "%s", out);
}

/* A change to a synthetic file: row `row` becomes `line` (NULL: none). */
struct edit {
    int row;
    const char *line;
};

/* Writes tmp_file: `header` header lines, `rows` data rows, with edits,
 * lines ending in eol. */
static void write_epw(int header, int rows, const struct edit *e, const char *eol)
{
    FILE *f = fopen(tmp_file, "wb");
    assert_non_null(f);
    for (int h = 0; h < header; h++)
        fprintf(f, "%s%s", epw_header[h], eol);
    char buf[1024];
    for (int r = 0; r < rows; r++) {
        make_row(buf, sizeof buf, r);
        fprintf(f, "%s%s", e && e->row == r && e->line ? e->line : buf, eol);
    }
    fclose(f);
}

/* Loads tmp_file expecting an error; checks code, line, column and a
 * fragment of the message. */
static void expect_error(int code, int line, int col, const char *fragment)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_weather_load_epw(&wx_a, tmp_file, &d);
    char msg[1600];
    sl_diag_format(&d, msg, sizeof msg);
    if (rc != code || d.line != line || d.col != col || !strstr(d.msg, fragment))
        fail_msg("want %s at %d:%d containing '%s'; got %s: %s", sl_strerror(code), line, col,
                 fragment, sl_strerror(rc), msg);
    assert_string_equal(d.file, tmp_file);
}

/* The line (1-based) of data row r. */
static int row_line(int r)
{
    return 9 + r;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- Wet-bulb temperature. ---- */

static void test_wet_bulb_published(void **state)
{
    (void)state;
    /* Psychrometric chart: 30 C, 50 %, sea level -> 22.0 C. */
    assert_close(sl_wet_bulb_c(30.0, 50.0, 101325.0), 22.0, 0.1);
    /* ASHRAE 2017 ch. 1 example 1: 40 C dry, 20 C wet bulb -> W = 0.0065,
     * p_w = W p / (0.621945 + W) = 1048 Pa, p_ws(40 C) = 7384.9 Pa. */
    double pw = 0.0065 * 101325.0 / (0.621945 + 0.0065);
    assert_close(sl_wet_bulb_c(40.0, 100.0 * pw / 7384.9, 101325.0), 20.0, 0.1);
    /* PsychroLib: W(30 C, wet bulb 25 C, 95461 Pa) = 0.0192281274241096;
     * p_ws(30 C) = 4246.03 Pa (ASHRAE Table 3). */
    double w = 0.0192281274241096;
    pw = w * 95461.0 / (0.621945 + w);
    assert_close(sl_wet_bulb_c(30.0, 100.0 * pw / 4246.03, 95461.0), 25.0, 0.01);
    /* Below freezing, over ice: W(-1 C, wet bulb -5 C, 95461 Pa) =
     * 0.00120399819933844; p_ws(-1 C) over ice = 562.67 Pa. */
    w = 0.00120399819933844;
    pw = w * 95461.0 / (0.621945 + w);
    assert_close(sl_wet_bulb_c(-1.0, 100.0 * pw / 562.67, 95461.0), -5.0, 0.01);
}

static void test_wet_bulb_saturated_and_limits(void **state)
{
    (void)state;
    const double temps[] = {-40.0, -10.0, -0.5, 0.0, 0.5, 20.0, 35.0, 60.0};
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
        assert_close(sl_wet_bulb_c(temps[i], 100.0, 101325.0), temps[i], 1e-4);
        /* 99.99 % goes through the solver: still the dry bulb within 0.01 K. */
        assert_close(sl_wet_bulb_c(temps[i], 99.99, 101325.0), temps[i], 0.01);
    }
    /* Monotone in humidity, never above the dry bulb. */
    for (double t = -30.0; t <= 45.0; t += 5.0) {
        double prev = -1e9;
        for (double rh = 0.0; rh <= 100.0; rh += 5.0) {
            double twb = sl_wet_bulb_c(t, rh, 101325.0);
            assert_true(twb > prev);
            assert_true(twb <= t + 1e-9);
            prev = twb;
        }
    }
    /* Lower pressure, same relative humidity: lower wet bulb. */
    assert_true(sl_wet_bulb_c(30.0, 50.0, 80000.0) < sl_wet_bulb_c(30.0, 50.0, 101325.0) - 0.3);
    /* No moist-air state: NaN, never a hang or a crash. */
    assert_true(isnan(sl_wet_bulb_c(NAN, 50.0, 101325.0)));
    assert_true(isnan(sl_wet_bulb_c(20.0, NAN, 101325.0)));
    assert_true(isnan(sl_wet_bulb_c(20.0, 50.0, 0.0)));
    assert_true(isnan(sl_wet_bulb_c(20.0, 50.0, -5.0)));
    assert_true(isnan(sl_wet_bulb_c(120.0, 50.0, 101325.0))); /* above boiling */
    assert_true(isnan(sl_wet_bulb_c(-150.0, 50.0, 101325.0)));
    /* Out-of-range humidity is clamped. */
    assert_close(sl_wet_bulb_c(20.0, -5.0, 101325.0), sl_wet_bulb_c(20.0, 0.0, 101325.0), 1e-9);
}

/* Every input gives a wet bulb in [-100, t] or NaN, never an infinity:
 * random inputs far outside the physical ranges, and the edges. */
static void test_wet_bulb_domain(void **state)
{
    (void)state;
    uint64_t seed = 7;
    for (int k = 0; k < 20000; k++) {
        double u1 = (double)(splitmix64(&seed) >> 11) / 9007199254740992.0;
        double u2 = (double)(splitmix64(&seed) >> 11) / 9007199254740992.0;
        double u3 = (double)(splitmix64(&seed) >> 11) / 9007199254740992.0;
        double t = -150.0 + 400.0 * u1, rh = -50.0 + 250.0 * u2, p = pow(10.0, -3.0 + 11.0 * u3);
        double twb = sl_wet_bulb_c(t, rh, p);
        if (!isnan(twb) && !(twb >= -100.0 && twb <= t))
            fail_msg("sl_wet_bulb_c(%g, %g, %g) = %g, outside [-100, t]", t, rh, p, twb);
    }
    /* Infinities in, NaN out. */
    assert_true(isnan(sl_wet_bulb_c(INFINITY, 50.0, 101325.0)));
    assert_true(isnan(sl_wet_bulb_c(20.0, -INFINITY, 101325.0)));
    assert_true(isnan(sl_wet_bulb_c(20.0, 50.0, INFINITY)));
    /* Humidity above 100 % is saturated air. */
    assert_true(sl_wet_bulb_c(20.0, 150.0, 101325.0) == 20.0);
    /* A few pascals: -100 C ice would already hold more water than the air,
     * so no root in the fits' range (the bisection used to return -100). */
    assert_true(isnan(sl_wet_bulb_c(-99.5, 10.0, 0.01)));
    /* Boiling: 69.9 C at 31,001 Pa, inside the EPW ranges of each. */
    assert_true(sl__saturation_pressure_pa(69.9) > 31001.0);
    assert_true(isnan(sl_wet_bulb_c(69.9, 50.0, 31001.0)));
    assert_true(isnan(sl__saturation_pressure_pa(-100.5)));
    assert_true(isnan(sl__saturation_pressure_pa(NAN)));
    assert_close(sl__saturation_pressure_pa(20.0), 2339.3, 0.5); /* ASHRAE Table 3 */
    /* The standard atmosphere: Table 1 values, no atmosphere above ~44 km. */
    assert_close(sl__standard_pressure_pa(0.0), 101325.0, 1e-9);
    assert_close(sl__standard_pressure_pa(500.0), 95461.0, 1.0);
    assert_true(sl__standard_pressure_pa(44000.0) > 0.0);
    assert_true(isnan(sl__standard_pressure_pa(45000.0)));
    assert_true(isnan(sl__standard_pressure_pa(INFINITY)));
    assert_true(isnan(sl__standard_pressure_pa(NAN)));
}

/* ---- Built-in sites. ---- */

static void test_site_lookup(void **state)
{
    (void)state;
    assert_int_equal(sl_weather_site_count(), 3);
    assert_null(sl_weather_site(3));
    for (size_t i = 0; i < 3; i++) {
        const struct sl_site_info *s = sl_weather_site(i);
        assert_non_null(s);
        assert_string_equal(s->name, site_names[i]);
        assert_ptr_equal(sl_weather_find_site(site_names[i]), s);
        assert_non_null(s->station);
        assert_non_null(s->source);
    }
    const struct sl_site_info *c = sl_weather_find_site("Chengde");
    assert_non_null(c);
    assert_string_equal(c->province, "Hebei");
    assert_close(c->latitude_deg, 41.0, 0.05);
    assert_close(c->elevation_m, 386.0, 1.0);
    assert_close(c->carbon_kg_per_kwh, 0.7252, 1e-9);
    const struct sl_site_info *s = sl_weather_find_site("shijiazhuang");
    assert_close(s->latitude_deg, 38.0, 0.05);
    assert_close(s->elevation_m, 81.0, 1.0);
    assert_close(s->carbon_kg_per_kwh, 0.7252, 1e-9);
    const struct sl_site_info *x = sl_weather_find_site("XINGHUA");
    assert_string_equal(x->province, "Jiangsu");
    assert_non_null(strstr(x->station, "Dongtai"));
    assert_close(x->latitude_deg, 32.9, 0.05);
    assert_close(x->elevation_m, 4.0, 1.0);
    assert_close(x->carbon_kg_per_kwh, 0.5978, 1e-9);
    assert_null(sl_weather_find_site("chengdu"));
    assert_null(sl_weather_find_site(""));
    assert_null(sl_weather_find_site(NULL));
}

static void test_unknown_site(void **state)
{
    (void)state;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_builtin(&wx_a, "chengdu", &d), SL_ENOENT);
    assert_int_equal(d.code, SL_ENOENT);
    assert_non_null(strstr(d.msg, "'chengdu'"));
    assert_non_null(strstr(d.msg, "did you mean 'chengde'"));
    assert_non_null(strstr(d.msg, "shijiazhuang"));
    assert_non_null(strstr(d.msg, "xinghua"));
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_builtin(&wx_a, "Shijazhuang", &d), SL_ENOENT);
    assert_non_null(strstr(d.msg, "did you mean 'shijiazhuang'"));
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_builtin(&wx_a, NULL, &d), SL_ENOENT);
    assert_non_null(strstr(d.msg, "chengde"));
    /* Nothing near: the list, without a guess. */
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_builtin(&wx_a, "nowhere", &d), SL_ENOENT);
    assert_null(strstr(d.msg, "did you mean"));
    assert_non_null(strstr(d.msg, "chengde, shijiazhuang, xinghua"));
    /* The start of a name is a good guess. */
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_builtin(&wx_a, "XING", &d), SL_ENOENT);
    assert_non_null(strstr(d.msg, "did you mean 'xinghua'"));
    /* A NULL diagnostic is allowed. */
    assert_int_equal(sl_weather_builtin(&wx_a, "nowhere", NULL), SL_ENOENT);
}

static void test_builtin_monthly_means(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        load_builtin(&wx_a, site_names[s]);
        assert_string_equal(wx_a.name, site_names[s]);
        double db[12], wb[12], rdb[12], rwb[12];
        month_means(wx_a.t_db_c, db);
        month_means(wx_a.t_wb_c, wb);
        month_ranges(wx_a.t_db_c, rdb);
        month_ranges(wx_a.t_wb_c, rwb);
        for (int m = 0; m < 12; m++) {
            /* The expansion keeps each month's mean... */
            assert_close(db[m], table[s][m][0], 0.05);
            assert_close(wb[m], table[s][m][1], 0.05);
            /* ...agrees with the calibration notes... */
            assert_close(db[m], ref_db[s][m], 0.2);
            assert_close(wb[m], ref_wb[s][m], 0.2);
            /* ...and the day's max - min is the month's mean diurnal range
             * (plus the seasonal drift within a day). */
            assert_close(rdb[m], table[s][m][2], 0.25);
            assert_close(rwb[m], table[s][m][3], 0.25);
        }
        assert_close(year_mean(wx_a.t_db_c), ref_year[s][0], 0.1);
        assert_close(year_mean(wx_a.t_wb_c), ref_year[s][1], 0.1);
        /* Smooth: daily means change by less than 0.6 K from one day to the
         * next, also at month boundaries and from Dec 31 to Jan 1 (the
         * steepest monthly change, Chengde March to April, is ~0.3 K/day). */
        for (int day = 0; day < 365; day++) {
            double a = 0.0, b = 0.0;
            for (int h = 0; h < 24; h++) {
                a += wx_a.t_db_c[day * 24 + h];
                b += wx_a.t_db_c[(day + 1) % 365 * 24 + h];
            }
            if (fabs(b - a) / 24.0 > 0.6)
                fail_msg("%s: daily mean jumps %.2f K after day %d", site_names[s], (b - a) / 24.0,
                         day + 1);
        }
    }
}

static void test_builtin_deterministic(void **state)
{
    (void)state;
    load_builtin(&wx_a, "xinghua");
    load_builtin(&wx_b, "Xinghua");
    assert_memory_equal(wx_a.t_db_c, wx_b.t_db_c, sizeof wx_a.t_db_c);
    assert_memory_equal(wx_a.t_wb_c, wx_b.t_wb_c, sizeof wx_a.t_wb_c);
}

static void test_builtin_diurnal_shape(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        load_builtin(&wx_a, site_names[s]);
        double profile_db[24] = {0}, profile_wb[24] = {0};
        for (int day = 0; day < 365; day++) {
            const double *db = wx_a.t_db_c + day * 24, *wb = wx_a.t_wb_c + day * 24;
            int hi_db = 0, hi_wb = 0, lo_db = 0;
            for (int h = 0; h < 24; h++) {
                if (db[h] > db[hi_db])
                    hi_db = h;
                if (db[h] < db[lo_db])
                    lo_db = h;
                if (wb[h] > wb[hi_wb])
                    hi_wb = h;
                profile_db[h] += db[h];
                profile_wb[h] += wb[h];
            }
            if (hi_db < 14 || hi_db > 16 || hi_wb < 14 || hi_wb > 16 || lo_db < 2 || lo_db > 4)
                fail_msg("%s day %d: dry-bulb max at %d:00, min at %d:00, wet-bulb max at %d:00",
                         site_names[s], day + 1, hi_db, lo_db, hi_wb);
        }
        int hi_db = 0, hi_wb = 0;
        for (int h = 0; h < 24; h++) {
            if (profile_db[h] > profile_db[hi_db])
                hi_db = h;
            if (profile_wb[h] > profile_wb[hi_wb])
                hi_wb = h;
        }
        assert_int_equal(hi_db, 16);
        assert_int_equal(hi_wb, 16);
    }
}

static void test_builtin_wet_bulb_below_dry_bulb(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        load_builtin(&wx_a, site_names[s]);
        for (int i = 0; i < SL_HOURS_PER_YEAR; i++)
            if (!(wx_a.t_wb_c[i] <= wx_a.t_db_c[i]) || !isfinite(wx_a.t_wb_c[i]))
                fail_msg("%s hour %d: wet bulb %g above dry bulb %g", site_names[s], i,
                         wx_a.t_wb_c[i], wx_a.t_db_c[i]);
    }
}

static void test_chengde_january_freezes(void **state)
{
    (void)state;
    load_builtin(&wx_a, "chengde");
    for (int i = 0; i < 31 * 24; i++)
        if (!(wx_a.t_wb_c[i] < 0.0))
            fail_msg("Chengde January hour %d: wet bulb %g C", i, wx_a.t_wb_c[i]);
    /* Also through sl_weather_at, at every minute-ish step of a January. */
    for (int64_t t = 0; t < 31 * 86400; t += 937) {
        double db, wb;
        sl_weather_at(&wx_a, t, &db, &wb);
        assert_true(wb < 0.0);
    }
}

static void test_xinghua_summer_vs_chengde(void **state)
{
    (void)state;
    double c_db[12], c_wb[12], x_db[12], x_wb[12];
    load_builtin(&wx_a, "chengde");
    month_means(wx_a.t_db_c, c_db);
    month_means(wx_a.t_wb_c, c_wb);
    load_builtin(&wx_b, "xinghua");
    month_means(wx_b.t_db_c, x_db);
    month_means(wx_b.t_wb_c, x_wb);
    for (int m = 5; m <= 7; m++) {
        assert_true(x_db[m] > c_db[m]);
        assert_true(x_wb[m] > c_wb[m] + 2.0);
        /* More humid: smaller wet-bulb depression. */
        assert_true(x_db[m] - x_wb[m] < c_db[m] - c_wb[m]);
    }
}

/* ---- Calendar mapping. ---- */

static void ramp_weather(struct sl_weather *w)
{
    snprintf(w->name, sizeof w->name, "ramp");
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++) {
        w->t_db_c[i] = 0.5 * i;
        w->t_wb_c[i] = -1.0 * i;
    }
}

static void check_at(int64_t t, double want_db, double want_wb)
{
    double db = NAN, wb = NAN;
    sl_weather_at(&wx_a, t, &db, &wb);
    if (fabs(db - want_db) > 1e-9 || fabs(wb - want_wb) > 1e-9)
        fail_msg("at %lld s: got %.12g / %.12g, want %.12g / %.12g", (long long)t, db, wb, want_db,
                 want_wb);
}

static void test_at_interpolation(void **state)
{
    (void)state;
    ramp_weather(&wx_a);
    check_at(0, 0.0, 0.0);                          /* 1970-01-01 00:00 */
    check_at(3600, 0.5, -1.0);                      /* 01:00 */
    check_at(5400, 0.75, -1.5);                     /* 01:30 */
    check_at(900, 0.125, -0.25);                    /* 00:15 */
    check_at(86400 * 31 + 7200, 0.5 * 746, -746.0); /* Feb 1 02:00 */
    /* 2023-12-31 23:30 (date -u -d 2023-12-31T23:30 +%s): halfway from hour
     * 8759 back to hour 0. */
    check_at(1704065400, 0.5 * 0.5 * 8759, -0.5 * 8759);
    check_at(1704065400 + 1800, 0.0, 0.0); /* 2024-01-01 00:00 */
    /* NULL outputs are allowed. */
    double db = NAN;
    sl_weather_at(&wx_a, 3600, &db, NULL);
    assert_close(db, 0.5, 1e-12);
    sl_weather_at(&wx_a, 3600, NULL, NULL);
}

static void test_at_leap_day(void **state)
{
    (void)state;
    ramp_weather(&wx_a);
    const int64_t feb29_2024 = 1709164800, mar01_2024 = 1709251200;
    const int64_t h_feb28 = (31 + 27) * 24, h_mar01 = (31 + 28) * 24;
    check_at(feb29_2024 - 86400, 0.5 * h_feb28, -1.0 * h_feb28); /* Feb 28 */
    check_at(feb29_2024, 0.5 * h_feb28, -1.0 * h_feb28);         /* Feb 29 reads as Feb 28 */
    check_at(feb29_2024 + 13 * 3600, 0.5 * (h_feb28 + 13), -1.0 * (h_feb28 + 13));
    check_at(mar01_2024, 0.5 * h_mar01, -1.0 * h_mar01);
    /* 1900 is not a leap year: 1900-03-01 is an ordinary Mar 1. */
    check_at(-2203891200, 0.5 * h_mar01, -1.0 * h_mar01);
    /* 2100-02-28 00:00. */
    check_at(4107456000, 0.5 * h_feb28, -1.0 * h_feb28);
}

static void test_at_negative_time(void **state)
{
    (void)state;
    ramp_weather(&wx_a);
    check_at(-3600, 0.5 * 8759, -8759.0);      /* 1969-12-31 23:00 */
    check_at(-1800, 0.25 * 8759, -0.5 * 8759); /* 23:30 -> halfway to hour 0 */
    check_at(-1, 0.5 * 8759 / 3600.0, -8759.0 / 3600.0);
    /* 1969-07-20 20:17 (date -u -d 1969-07-20T20:17 +%s = -14182980). */
    double h = (181 + 19) * 24 + 20 + 17.0 / 60.0;
    check_at(-14182980, 0.5 * h, -h);
    /* 1600-02-29 06:00 (leap: divisible by 400) = -11670976800. */
    double h2 = (31 + 27) * 24 + 6;
    check_at(-11670976800LL, 0.5 * h2, -h2);
    /* Extremes do not crash. */
    double db, wb;
    sl_weather_at(&wx_a, INT64_MIN, &db, &wb);
    assert_true(db >= 0.0 && db <= 0.5 * 8759);
    sl_weather_at(&wx_a, INT64_MAX, &db, &wb);
    assert_true(db >= 0.0 && db <= 0.5 * 8759);
}

static void test_at_matches_hours(void **state)
{
    (void)state;
    load_builtin(&wx_a, "shijiazhuang");
    for (int i = 0; i < SL_HOURS_PER_YEAR; i += 97) {
        double db, wb;
        /* Any non-leap year will do: 2023-01-01 00:00 is 1672531200. */
        sl_weather_at(&wx_a, 1672531200 + (int64_t)i * 3600, &db, &wb);
        assert_close(db, wx_a.t_db_c[i], 1e-12);
        assert_close(wb, wx_a.t_wb_c[i], 1e-12);
    }
}

/* ---- The real CSWD files. ---- */

static void load_real(struct sl_weather *w, int s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", EPW_DIR, epw_files[s]);
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_weather_load_epw(w, path, &d);
    if (rc != SL_OK) {
        char msg[1600];
        fail_msg("%s", sl_diag_format(&d, msg, sizeof msg));
    }
}

static void test_epw_real_files(void **state)
{
    (void)state;
    if (!have_shared_data())
        skip();
    for (int s = 0; s < 3; s++) {
        load_real(&wx_a, s);
        assert_string_equal(wx_a.name, epw_files[s]);
        for (int i = 0; i < SL_HOURS_PER_YEAR; i++) {
            assert_true(isfinite(wx_a.t_db_c[i]) && isfinite(wx_a.t_wb_c[i]));
            assert_true(wx_a.t_wb_c[i] <= wx_a.t_db_c[i] + 1e-9);
        }
        assert_close(year_mean(wx_a.t_db_c), ref_year[s][0], 0.3);
        assert_close(year_mean(wx_a.t_wb_c), ref_year[s][1], 0.3);
        double db[12], wb[12];
        month_means(wx_a.t_db_c, db);
        month_means(wx_a.t_wb_c, wb);
        for (int m = 0; m < 12; m++) {
            assert_close(db[m], ref_db[s][m], 0.3);
            assert_close(wb[m], ref_wb[s][m], 0.3);
        }
    }
    /* Chengde's first rows: Jan 1 hour 1 is -10.9 C, hour 2 -11.9 C; hour H
     * is H:00, index H. */
    load_real(&wx_a, 0);
    assert_close(wx_a.t_db_c[1], -10.9, 1e-12);
    assert_close(wx_a.t_db_c[2], -11.9, 1e-12);
}

static void test_epw_agrees_with_builtin(void **state)
{
    (void)state;
    if (!have_shared_data())
        skip();
    for (int s = 0; s < 3; s++) {
        load_real(&wx_a, s);
        load_builtin(&wx_b, site_names[s]);
        double e[4][12], b[4][12];
        month_means(wx_a.t_db_c, e[0]);
        month_means(wx_a.t_wb_c, e[1]);
        month_ranges(wx_a.t_db_c, e[2]);
        month_ranges(wx_a.t_wb_c, e[3]);
        month_means(wx_b.t_db_c, b[0]);
        month_means(wx_b.t_wb_c, b[1]);
        month_ranges(wx_b.t_db_c, b[2]);
        month_ranges(wx_b.t_wb_c, b[3]);
        for (int k = 0; k < 4; k++)
            for (int m = 0; m < 12; m++)
                if (fabs(e[k][m] - b[k][m]) > 0.3)
                    fail_msg("%s month %d, quantity %d: EPW %.3f, built-in %.3f", site_names[s],
                             m + 1, k, e[k][m], b[k][m]);
    }
}

/* ---- Synthetic EPW files. ---- */

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/suanli_weather_XXXXXX");
    if (!mkdtemp(tmp_dir))
        return -1;
    snprintf(tmp_file, sizeof tmp_file, "%s/t.epw", tmp_dir);
    return 0;
}

static int teardown_tmp(void **state)
{
    (void)state;
    unlink(tmp_file);
    return rmdir(tmp_dir);
}

static void test_epw_synthetic_ok(void **state)
{
    (void)state;
    const char *eols[] = {"\n", "\r\n"};
    for (int k = 0; k < 2; k++) {
        write_epw(8, SL_HOURS_PER_YEAR, NULL, eols[k]);
        struct sl_diag d;
        sl_diag_clear(&d);
        assert_int_equal(sl_weather_load_epw(&wx_a, tmp_file, &d), SL_OK);
        assert_string_equal(wx_a.name, "t.epw");
        for (int r = 0; r < SL_HOURS_PER_YEAR; r++) {
            char text[32];
            snprintf(text, sizeof text, "%.1f", syn_t(r));
            double t = strtod(text, NULL);
            int i = (r + 1) % SL_HOURS_PER_YEAR;
            assert_true(wx_a.t_db_c[i] == t);
            assert_true(wx_a.t_wb_c[i] == sl_wet_bulb_c(t, syn_rh(r), syn_p(r)));
        }
    }
    /* A trailing blank line is fine. */
    FILE *f = fopen(tmp_file, "ab");
    fputs("\n  \n", f);
    fclose(f);
    assert_int_equal(sl_weather_load_epw(&wx_a, tmp_file, NULL), SL_OK);
}

static void test_epw_missing_pressure(void **state)
{
    (void)state;
    char line[1024];
    make_row(line, sizeof line, 4000);
    set_field(line, sizeof line, 10, "999999");
    struct edit e = {4000, line};
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    assert_int_equal(sl_weather_load_epw(&wx_a, tmp_file, NULL), SL_OK);
    /* Standard atmosphere at the header's 500 m: 95461 Pa (ASHRAE Table 1). */
    char text[32];
    snprintf(text, sizeof text, "%.1f", syn_t(4000));
    double t = strtod(text, NULL);
    assert_close(wx_a.t_wb_c[4001], sl_wet_bulb_c(t, syn_rh(4000), 95461.0), 1e-3);
}

static void test_epw_file_errors(void **state)
{
    (void)state;
    struct sl_diag d;
    /* Missing file. */
    char path[400];
    snprintf(path, sizeof path, "%s/no-such.epw", tmp_dir);
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, path, &d), SL_ENOENT);
    assert_string_equal(d.file, path);
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, "", &d), SL_ENOENT);
    /* A bare word is more likely a misspelt built-in site. */
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, "xinhua", &d), SL_ENOENT);
    assert_non_null(strstr(d.msg, "did you mean 'xinghua'"));
    /* A directory. */
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, tmp_dir, &d), SL_EINVAL);
    assert_string_equal(d.file, tmp_dir);
    assert_int_equal(d.line, 0);
    assert_non_null(strstr(d.msg, "directory"));
    /* Empty. */
    write_epw(0, 0, NULL, "\n");
    expect_error(SL_EINVAL, 1, 1, "empty");
    /* Not an EPW file. */
    FILE *f = fopen(tmp_file, "wb");
    fputs("Date,Time,Temperature\n2024-01-01,00:00,3.5\n", f);
    fclose(f);
    expect_error(SL_EINVAL, 1, 1, "LOCATION");
    /* The header cut short. */
    write_epw(3, 0, NULL, "\n");
    expect_error(SL_EINVAL, 4, 1, "header");
    /* A header line missing: line 8 is then a data row. */
    f = fopen(tmp_file, "wb");
    for (int h = 0; h < 7; h++)
        fprintf(f, "%s\n", epw_header[h]);
    char line[1024];
    make_row(line, sizeof line, 0);
    fprintf(f, "%s\n", line);
    fclose(f);
    expect_error(SL_EINVAL, 8, 1, "DATA PERIODS");
}

static void test_epw_unreadable(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        printf("skipped: running as root, every file is readable\n");
        skip();
    }
    write_epw(8, 10, NULL, "\n");
    chmod(tmp_file, 0);
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, tmp_file, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "ermission"));
    chmod(tmp_file, 0600);
}

static void test_epw_row_count(void **state)
{
    (void)state;
    write_epw(8, 8759, NULL, "\n");
    expect_error(SL_EINVAL, row_line(8759), 1, "8759 hourly rows");
    write_epw(8, 0, NULL, "\n");
    expect_error(SL_EINVAL, 9, 1, "0 hourly rows");
    /* 8,761 rows: the extra row is a copy of the first. */
    write_epw(8, SL_HOURS_PER_YEAR, NULL, "\n");
    FILE *f = fopen(tmp_file, "ab");
    char line[1024];
    make_row(line, sizeof line, 0);
    fprintf(f, "%s\n", line);
    fclose(f);
    expect_error(SL_EINVAL, row_line(8760), 1, "more than 8,760");
}

/* ---- Leap-year EPW files. ---- */

/* Feb 29 in a leap-year file: rows 1416-1439 (0-based), between Feb 28
 * hour 24 (row 1415) and Mar 1 hour 1 (row 1440; row 1416 of a common
 * year). */
#define FEB29_FIRST (59 * 24)

/* Writes row `hour` (1-24) of Feb 29, with values no common-year row has. */
static void make_feb29_row(char *buf, size_t size, int hour)
{
    snprintf(buf, size, "2004,2,29,%d,0,?9?9?9?9E0,41.5,0.0,7,101000%s", hour,
             ",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0");
}

/* Writes tmp_file as a leap-year file: the header, then the first `rows` of
 * the 8,784 rows (the common year's rows with Feb 29's 24 inserted after Feb
 * 28), with row `e->row` (0-based, in the leap file) replaced by e->line,
 * then `extra` copies of the last row written. */
static void write_leap_epw(int rows, const struct edit *e, int extra)
{
    FILE *f = fopen(tmp_file, "wb");
    assert_non_null(f);
    for (int h = 0; h < 8; h++)
        fprintf(f, "%s\n", epw_header[h]);
    char buf[1024];
    for (int r = 0; r < rows + extra; r++) {
        int lr = r < rows ? r : rows - 1;
        if (lr >= FEB29_FIRST && lr < FEB29_FIRST + 24)
            make_feb29_row(buf, sizeof buf, lr - FEB29_FIRST + 1);
        else
            make_row(buf, sizeof buf, lr < FEB29_FIRST ? lr : lr - 24);
        fprintf(f, "%s\n", e && e->row == r && e->line ? e->line : buf);
    }
    fclose(f);
}

static void test_epw_leap_year(void **state)
{
    (void)state;
    /* The common year as the reference. */
    write_epw(8, SL_HOURS_PER_YEAR, NULL, "\n");
    assert_int_equal(sl_weather_load_epw(&wx_b, tmp_file, NULL), SL_OK);
    write_leap_epw(SL_HOURS_PER_YEAR + 24, NULL, 0);
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_weather_load_epw(&wx_a, tmp_file, &d);
    if (rc != SL_OK)
        fail_msg("leap-year file: %s at %d:%d: %s", sl_strerror(rc), d.line, d.col, d.msg);
    /* Without Feb 29 the year is exactly the common one ... */
    assert_memory_equal(wx_a.t_db_c, wx_b.t_db_c, sizeof wx_a.t_db_c);
    assert_memory_equal(wx_a.t_wb_c, wx_b.t_wb_c, sizeof wx_a.t_wb_c);
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++)
        assert_true(wx_a.t_db_c[i] != 41.5);
    /* ... so Mar 1 01:00 (EPW Mar 1 hour 1, common row 1416) is hour
     * 59 * 24 + 1 of the typical year, where it is in a common year. */
    int mar1 = 59 * 24 + 1;
    char text[32];
    snprintf(text, sizeof text, "%.1f", syn_t(FEB29_FIRST));
    assert_true(wx_a.t_db_c[mar1] == strtod(text, NULL));
    /* 2024-03-01 01:00 local = 19783 days + 3600 s; 2024-02-29 01:00 reads
     * Feb 28 01:00 (hour 58 * 24 + 1). */
    double t_db;
    sl_weather_at(&wx_a, 19783LL * 86400 + 3600, &t_db, NULL);
    assert_true(t_db == wx_a.t_db_c[mar1]);
    sl_weather_at(&wx_a, 19782LL * 86400 + 3600, &t_db, NULL);
    assert_true(t_db == wx_a.t_db_c[58 * 24 + 1]);
    /* Dec 31 hour 24, the last of 8,784 rows, wraps to hour 0. */
    snprintf(text, sizeof text, "%.1f", syn_t(SL_HOURS_PER_YEAR - 1));
    assert_true(wx_a.t_db_c[0] == strtod(text, NULL));
}

static void test_epw_leap_year_errors(void **state)
{
    (void)state;
    /* 8,785 rows: one too many, named at its line. */
    write_leap_epw(SL_HOURS_PER_YEAR + 24, NULL, 1);
    expect_error(SL_EINVAL, row_line(SL_HOURS_PER_YEAR + 24), 1, "more than 8,784");
    /* 8,783 rows: one short. */
    write_leap_epw(SL_HOURS_PER_YEAR + 23, NULL, 0);
    expect_error(SL_EINVAL, row_line(SL_HOURS_PER_YEAR + 23), 1, "8783 hourly rows");
    /* Feb 29 rows are checked like any other: a temperature out of range. */
    char line[1024];
    make_feb29_row(line, sizeof line, 5);
    set_field(line, sizeof line, 7, "75.0");
    struct edit e = {FEB29_FIRST + 4, line};
    write_leap_epw(SL_HOURS_PER_YEAR + 24, &e, 0);
    expect_error(SL_EINVAL, row_line(FEB29_FIRST + 4), field_col(line, 7), "out of range");
    /* ... and a missing humidity. */
    make_feb29_row(line, sizeof line, 24);
    set_field(line, sizeof line, 9, "999");
    e.row = FEB29_FIRST + 23;
    write_leap_epw(SL_HOURS_PER_YEAR + 24, &e, 0);
    expect_error(SL_EINVAL, row_line(FEB29_FIRST + 23), field_col(line, 9), "missing");
    /* Only part of Feb 29: its third row is Mar 1 hour 1. */
    make_row(line, sizeof line, FEB29_FIRST);
    e.row = FEB29_FIRST + 2;
    write_leap_epw(SL_HOURS_PER_YEAR + 24, &e, 0);
    expect_error(SL_EINVAL, row_line(FEB29_FIRST + 2), field_col(line, 2),
                 "expected the row of month 2, day 29, hour 3");
    /* Feb 29 anywhere but after Feb 28 is out of order. */
    make_feb29_row(line, sizeof line, 1);
    e.row = 100;
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    expect_error(SL_EINVAL, row_line(100), field_col(line, 2), "expected the row of month 1");
}

static void test_epw_truncated(void **state)
{
    (void)state;
    /* The file stops inside row 5000, after its 8th field, without '\n'. */
    write_epw(8, 5000, NULL, "\n");
    char line[1024];
    make_row(line, sizeof line, 5000);
    int cut = field_col(line, 9) - 2; /* the comma before field 9 */
    FILE *f = fopen(tmp_file, "ab");
    fprintf(f, "%.*s", cut, line);
    fclose(f);
    expect_error(SL_EINVAL, row_line(5000), cut + 1, "field 9");
}

static void test_epw_bad_fields(void **state)
{
    (void)state;
    struct {
        int row, field;
        const char *text, *fragment;
    } cases[] = {
        {99, 9, "abc", "expected a number, found 'abc'"},
        {100, 7, "12.3x", "found '12.3x'"},
        {101, 10, "", "found ''"},
        {102, 7, "nan", "expected a number"},
        {103, 9, "0x1A", "expected a number"},
        {104, 7, "1e", "expected a number"},
        {105, 9, "-", "expected a number"},
        {106, 7, ".", "expected a number"},
        {107, 10, "1 2", "expected a number"},
        {200, 7, "99.9", "missing"},
        {201, 9, "999", "missing"},
        {202, 7, "75.0", "75 C is out of range: EPW files hold more than -70 and less than 70 C"},
        {203, 9, "-3", "-3 % is out of range: EPW files hold 0 to 110 %"},
        {204, 10, "12000", "12000 Pa is out of range"},
        {300, 4, "7", "expected the row of month 1, day 13, hour 13"},
        {301, 2, "2", "month"},
        {302, 3, "1.5", "day"},
        {8759, 4, "0", "hour 24"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char line[1024];
        make_row(line, sizeof line, cases[k].row);
        set_field(line, sizeof line, cases[k].field, cases[k].text);
        struct edit e = {cases[k].row, line};
        write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
        expect_error(SL_EINVAL, row_line(cases[k].row), field_col(line, cases[k].field),
                     cases[k].fragment);
    }
    /* Spaces around a number are fine. */
    char line[1024];
    make_row(line, sizeof line, 50);
    set_field(line, sizeof line, 7, " 12.5 ");
    struct edit e = {50, line};
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    assert_int_equal(sl_weather_load_epw(&wx_a, tmp_file, NULL), SL_OK);
    assert_close(wx_a.t_db_c[51], 12.5, 1e-12);
}

static void test_epw_missing_columns(void **state)
{
    (void)state;
    /* Row 10 has only its first 8 fields; row 20 only 3; row 30 is empty. */
    char line[1024];
    make_row(line, sizeof line, 10);
    line[field_col(line, 9) - 2] = '\0';
    struct edit e = {10, line};
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    expect_error(SL_EINVAL, row_line(10), (int)strlen(line) + 1, "field 9 (relative humidity");
    make_row(line, sizeof line, 20);
    line[field_col(line, 4) - 2] = '\0';
    e.row = 20;
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    expect_error(SL_EINVAL, row_line(20), (int)strlen(line) + 1, "field 4 (hour)");
    line[0] = '\0';
    e.row = 30;
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    expect_error(SL_EINVAL, row_line(30), 1, "empty line");
    /* A line far longer than any EPW row. */
    static char longline[6000];
    memset(longline, '7', sizeof longline - 1);
    e.row = 40;
    e.line = longline;
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    expect_error(SL_EINVAL, row_line(40), 1, "longer than");
}

/* Reads tmp_file into a malloc'd buffer; *size gets its length. */
static char *slurp_tmp(size_t *size)
{
    FILE *f = fopen(tmp_file, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 16);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Only regular files are read: a FIFO, a device that never ends
 * (/dev/zero) or never begins (/dev/null), a directory and a file over the
 * size limit are refused at once with SL_EINVAL, without a line.  Each load
 * runs under an alarm, so a reader that blocks fails the test instead of
 * hanging it. */
static void test_epw_not_regular(void **state)
{
    (void)state;
    char fifo[400], link[400], big[400];
    snprintf(fifo, sizeof fifo, "%s/fifo.epw", tmp_dir);
    snprintf(link, sizeof link, "%s/zero.epw", tmp_dir);
    snprintf(big, sizeof big, "%s/big.epw", tmp_dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink("/dev/zero", link), 0);
    /* Sparse: one byte over the limit costs no disk. */
    FILE *f = fopen(big, "wb");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(truncate(big, (off_t)SL_LIMIT(SL_LIM_EPW_BYTES) + 1), 0);
    struct {
        const char *path, *fragment;
    } cases[] = {
        {fifo, "is a named pipe (FIFO), not an EPW weather file"},
        {"/dev/zero", "is a character device"},
        {"/dev/null", "is a character device"},
        {link, "is a character device"},
        {tmp_dir, "is a directory"},
        {big, "the weather file is larger than the limit"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct sl_diag d;
        sl_diag_clear(&d);
        alarm(10);
        int rc = sl_weather_load_epw(&wx_a, cases[k].path, &d);
        alarm(0);
        if (rc != SL_EINVAL || !strstr(d.msg, cases[k].fragment) || d.line != 0)
            fail_msg("%s: want EINVAL '%s', got %s at line %d: %s", cases[k].path,
                     cases[k].fragment, sl_strerror(rc), d.line, d.msg);
        assert_string_equal(d.file, cases[k].path);
    }
    /* A file exactly at the limit is read (and then fails on its content). */
    assert_int_equal(truncate(big, (off_t)SL_LIMIT(SL_LIM_EPW_BYTES)), 0);
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, big, &d), SL_EINVAL);
    assert_int_equal(d.line, 1);
    assert_non_null(strstr(d.msg, "LOCATION"));
    /* In memory the same limit holds, checked before a byte is read. */
    char one = 'L';
    sl_diag_clear(&d);
    assert_int_equal(
        sl_weather_parse_epw(&wx_a, "mem.epw", &one, (size_t)SL_LIMIT(SL_LIM_EPW_BYTES) + 1, &d),
        SL_EINVAL);
    assert_non_null(strstr(d.msg, "larger than the limit"));
    unlink(fifo);
    unlink(link);
    unlink(big);
}

/* Where the file cannot be opened at all: nothing there is SL_ENOENT,
 * anything else (a symlink loop, a name too long, no permission) SL_EINVAL,
 * both without a line, so the command line exits 2 for either. */
static void test_epw_open_errors(void **state)
{
    (void)state;
    char a[400], b[400], under[400];
    snprintf(a, sizeof a, "%s/loop-a.epw", tmp_dir);
    snprintf(b, sizeof b, "%s/loop-b.epw", tmp_dir);
    assert_int_equal(symlink(b, a), 0);
    assert_int_equal(symlink(a, b), 0);
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, a, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "cannot open the EPW weather file"));
    assert_int_equal(d.line, 0);
    unlink(a);
    unlink(b);
    static char longname[5000];
    memset(longname, 'x', sizeof longname - 1);
    memcpy(longname, "/tmp/", 5);
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, longname, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "cannot open"));
    /* A path through a regular file: not found. */
    write_epw(8, 1, NULL, "\n");
    snprintf(under, sizeof under, "%s/x.epw", tmp_file);
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_load_epw(&wx_a, under, &d), SL_ENOENT);
    assert_non_null(strstr(d.msg, "not found"));
}

/* A UTF-8 byte order mark at the start is skipped, with either line end;
 * the year read is the one without it.  Anywhere else it is an error, and
 * UTF-16 is named as such. */
static void test_epw_bom(void **state)
{
    (void)state;
    write_epw(8, SL_HOURS_PER_YEAR, NULL, "\r\n");
    assert_int_equal(sl_weather_load_epw(&wx_b, tmp_file, NULL), SL_OK);
    size_t n;
    char *text = slurp_tmp(&n);
    char *bom = malloc(n + 3);
    assert_non_null(bom);
    memcpy(bom, "\xEF\xBB\xBF", 3);
    memcpy(bom + 3, text, n);
    FILE *f = fopen(tmp_file, "wb");
    fwrite(bom, 1, n + 3, f);
    fclose(f);
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_weather_load_epw(&wx_a, tmp_file, &d);
    if (rc != SL_OK)
        fail_msg("BOM: %s at %d:%d: %s", sl_strerror(rc), d.line, d.col, d.msg);
    assert_memory_equal(wx_a.t_db_c, wx_b.t_db_c, sizeof wx_a.t_db_c);
    assert_memory_equal(wx_a.t_wb_c, wx_b.t_wb_c, sizeof wx_a.t_wb_c);
    /* The same through the in-memory entry point. */
    assert_int_equal(sl_weather_parse_epw(&wx_a, "dir/mem.epw", bom, n + 3, NULL), SL_OK);
    assert_string_equal(wx_a.name, "mem.epw");
    assert_memory_equal(wx_a.t_wb_c, wx_b.t_wb_c, sizeof wx_a.t_wb_c);
    /* Only a BOM: an empty file. */
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_parse_epw(&wx_a, "bom.epw", bom, 3, &d), SL_EINVAL);
    assert_int_equal(d.line, 1);
    assert_non_null(strstr(d.msg, "empty"));
    /* Only one BOM is skipped: a second one is part of line 1. */
    memcpy(bom, "\xEF\xBB\xBF\xEF\xBB\xBF", 6);
    memcpy(bom + 6, text, n - 3);
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_parse_epw(&wx_a, "bom2.epw", bom, n + 3, &d), SL_EINVAL);
    assert_int_equal(d.line, 1);
    assert_non_null(strstr(d.msg, "LOCATION"));
    /* UTF-16 little and big endian. */
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_parse_epw(&wx_a, "u16.epw", "\xFF\xFEL\0", 4, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "UTF-16"));
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_parse_epw(&wx_a, "u16.epw", "\xFE\xFF\0L", 4, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "UTF-16"));
    free(text);
    free(bom);
}

/* "Missing" is said of the EPW codes only (99.9, 999, 999999, however
 * written); any other value outside a range is out of range, with the
 * range. */
static void test_epw_missing_vs_out_of_range(void **state)
{
    (void)state;
    struct {
        int field;
        const char *text, *fragment;
    } cases[] = {
        {7, "500", "dry-bulb temperature 500 C is out of range: EPW files hold more than -70"},
        {7, "100", "100 C is out of range"},
        {7, "99.91", "99.91 C is out of range"},
        {7, "-70", "-70 C is out of range"},
        {7, "99.9", "dry-bulb temperature is missing (EPW code 99.9)"},
        {7, "99.90", "missing (EPW code 99.9)"},
        {9, "1000", "relative humidity 1000 % is out of range: EPW files hold 0 to 110 %"},
        {9, "110.5", "110.5 % is out of range"},
        {9, "999.0", "relative humidity is missing (EPW code 999)"},
        {10, "1e6", "station pressure 1e+06 Pa is out of range: EPW files hold more than 31000"},
        {10, "31000", "31000 Pa is out of range"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char line[1024];
        make_row(line, sizeof line, 77);
        set_field(line, sizeof line, cases[k].field, cases[k].text);
        struct edit e = {77, line};
        write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
        expect_error(SL_EINVAL, row_line(77), field_col(line, cases[k].field), cases[k].fragment);
    }
    /* 110 % is in range (read as 100 %), and 999999.0 is a missing pressure. */
    char line[1024];
    make_row(line, sizeof line, 77);
    set_field(line, sizeof line, 9, "110");
    set_field(line, sizeof line, 10, "999999.0");
    struct edit e = {77, line};
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    assert_int_equal(sl_weather_load_epw(&wx_a, tmp_file, NULL), SL_OK);
    assert_true(wx_a.t_wb_c[78] == wx_a.t_db_c[78]);
}

/* Values each inside its EPW range whose combination is no moist air (69.9
 * C at 31,001 Pa boils) used to give a NaN wet bulb and load fine.  Now
 * such a row is an error at the dry-bulb field naming the three values, on
 * a grid over the ranges' edges the reader either fails that way or gives
 * finite values, and never a NaN. */
static void test_epw_no_moist_air(void **state)
{
    (void)state;
    char line[1024];
    make_row(line, sizeof line, 4321);
    set_field(line, sizeof line, 7, "69.9");
    set_field(line, sizeof line, 9, "50");
    set_field(line, sizeof line, 10, "31001");
    struct edit e = {4321, line};
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    expect_error(SL_EINVAL, row_line(4321), field_col(line, 7),
                 "no moist-air state: dry-bulb 69.9 C (field 7), relative humidity 50 % "
                 "(field 9) and station pressure 31001 Pa (field 10) have no wet-bulb "
                 "temperature; water boils");
    /* A missing pressure standing in for the standard atmosphere at 8,999 m
     * (30,8xx Pa) boils at 69.9 C too: the message says where p came from. */
    set_field(line, sizeof line, 10, "999999");
    write_epw(8, SL_HOURS_PER_YEAR, &e, "\n");
    size_t n;
    char *text = slurp_tmp(&n);
    char *elev = strstr(text, ",500.0\n");
    assert_non_null(elev);
    memcpy(elev, ",8999\n", 6);
    memmove(elev + 6, elev + 7, n - (size_t)(elev + 7 - text));
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_weather_parse_epw(&wx_a, "high.epw", text, n - 1, &d), SL_EINVAL);
    assert_int_equal(d.line, row_line(4321));
    if (!strstr(d.msg, "standard atmosphere at 8999 m") || !strstr(d.msg, "boils"))
        fail_msg("got: %s", d.msg);
    free(text);
    /* The grid runs in memory: the file around row 4321 is the same. */
    write_epw(8, SL_HOURS_PER_YEAR, NULL, "\n");
    text = slurp_tmp(&n);
    size_t at = 0;
    for (int l = 1; l < row_line(4321); l++)
        at = (size_t)((char *)memchr(text + at, '\n', n - at) - text) + 1;
    size_t end = (size_t)((char *)memchr(text + at, '\n', n - at) - text);
    char *buf = malloc(n + sizeof line);
    assert_non_null(buf);
    const char *ts[] = {"-69.9", "-40", "0", "45", "69", "69.9"};
    const char *rhs[] = {"0", "1", "50", "100", "110"};
    const char *ps[] = {"31000.1", "31500", "60000", "101325", "119999.9"};
    int failed = 0, loaded = 0;
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (size_t j = 0; j < sizeof rhs / sizeof rhs[0]; j++)
            for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
                make_row(line, sizeof line, 4321);
                set_field(line, sizeof line, 7, ts[i]);
                set_field(line, sizeof line, 9, rhs[j]);
                set_field(line, sizeof line, 10, ps[k]);
                size_t len = strlen(line);
                memcpy(buf, text, at);
                memcpy(buf + at, line, len);
                memcpy(buf + at + len, text + end, n - end);
                sl_diag_clear(&d);
                int rc = sl_weather_parse_epw(&wx_a, "grid.epw", buf, at + len + n - end, &d);
                double t = strtod(ts[i], NULL), rh = strtod(rhs[j], NULL);
                double p = strtod(ps[k], NULL);
                int moist = !isnan(sl_wet_bulb_c(t, rh > 100.0 ? 100.0 : rh, p));
                if (rc == SL_OK && moist) {
                    loaded++;
                    assert_true(wx_a.t_db_c[4322] == t);
                    for (int h = 0; h < SL_HOURS_PER_YEAR; h++)
                        assert_true(isfinite(wx_a.t_wb_c[h]) && wx_a.t_wb_c[h] <= wx_a.t_db_c[h]);
                } else if (rc == SL_EINVAL && !moist && d.line == row_line(4321) &&
                           strstr(d.msg, "no moist-air state")) {
                    failed++;
                } else {
                    fail_msg("%s C, %s %%, %s Pa: %s at %d: %s", ts[i], rhs[j], ps[k],
                             sl_strerror(rc), d.line, d.msg);
                }
            }
    free(text);
    free(buf);
    /* The grid has both kinds. */
    assert_true(failed > 0 && loaded > 0);
}

/* Random corruption: flipped, inserted and deleted bytes (including NUL,
 * commas, newlines) and truncation.  The reader must answer OK or EINVAL
 * with a position, and never crash (the sanitizer build checks memory). */
static void test_epw_corrupted(void **state)
{
    (void)state;
    write_epw(8, SL_HOURS_PER_YEAR, NULL, "\n");
    FILE *f = fopen(tmp_file, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *orig = malloc((size_t)size + 64);
    char *buf = malloc((size_t)size + 64);
    assert_non_null(orig);
    assert_non_null(buf);
    assert_int_equal(fread(orig, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    static const char nasty[] = {'\0', ',', '\n', '\r', '-', '.', 'e', '9', ' ', '\xff'};
    uint64_t seed = 20240229;
    int ok = 0, bad = 0;
    for (int round = 0; round < 40; round++) {
        memcpy(buf, orig, (size_t)size);
        size_t n = (size_t)size;
        int edits = 1 + (int)(splitmix64(&seed) % 4);
        for (int k = 0; k < edits; k++) {
            size_t pos = (size_t)(splitmix64(&seed) % n);
            char c = nasty[splitmix64(&seed) % sizeof nasty];
            switch (splitmix64(&seed) % 4) {
            case 0:
                buf[pos] = c;
                break;
            case 1: /* insert */
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = c;
                n++;
                break;
            case 2: /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
                break;
            default: /* truncate */
                n = pos;
                break;
            }
            if (n == 0)
                break;
        }
        f = fopen(tmp_file, "wb");
        fwrite(buf, 1, n, f);
        fclose(f);
        struct sl_diag d;
        sl_diag_clear(&d);
        int rc = sl_weather_load_epw(&wx_a, tmp_file, &d);
        if (rc == SL_OK) {
            ok++;
            continue;
        }
        bad++;
        if (rc != SL_EINVAL || d.line < 1 || d.line > 8770 || d.col < 1 || !d.msg[0])
            fail_msg("round %d: %s at %d:%d: %s", round, sl_strerror(rc), d.line, d.col, d.msg);
    }
    free(orig);
    free(buf);
    assert_true(bad > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wet_bulb_published),
        cmocka_unit_test(test_wet_bulb_saturated_and_limits),
        cmocka_unit_test(test_wet_bulb_domain),
        cmocka_unit_test(test_site_lookup),
        cmocka_unit_test(test_unknown_site),
        cmocka_unit_test(test_builtin_monthly_means),
        cmocka_unit_test(test_builtin_deterministic),
        cmocka_unit_test(test_builtin_diurnal_shape),
        cmocka_unit_test(test_builtin_wet_bulb_below_dry_bulb),
        cmocka_unit_test(test_chengde_january_freezes),
        cmocka_unit_test(test_xinghua_summer_vs_chengde),
        cmocka_unit_test(test_at_interpolation),
        cmocka_unit_test(test_at_leap_day),
        cmocka_unit_test(test_at_negative_time),
        cmocka_unit_test(test_at_matches_hours),
        cmocka_unit_test(test_epw_real_files),
        cmocka_unit_test(test_epw_agrees_with_builtin),
        cmocka_unit_test(test_epw_synthetic_ok),
        cmocka_unit_test(test_epw_missing_pressure),
        cmocka_unit_test(test_epw_file_errors),
        cmocka_unit_test(test_epw_unreadable),
        cmocka_unit_test(test_epw_row_count),
        cmocka_unit_test(test_epw_leap_year),
        cmocka_unit_test(test_epw_leap_year_errors),
        cmocka_unit_test(test_epw_truncated),
        cmocka_unit_test(test_epw_bad_fields),
        cmocka_unit_test(test_epw_missing_columns),
        cmocka_unit_test(test_epw_not_regular),
        cmocka_unit_test(test_epw_open_errors),
        cmocka_unit_test(test_epw_bom),
        cmocka_unit_test(test_epw_missing_vs_out_of_range),
        cmocka_unit_test(test_epw_no_moist_air),
        cmocka_unit_test(test_epw_corrupted),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
