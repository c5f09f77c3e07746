/*
 * Psychrometrics: the moist-air properties the weather needs, namely the
 * thermodynamic wet-bulb temperature from dry-bulb temperature, relative
 * humidity and pressure (sl_wet_bulb_c, include/suanli/weather.h), and the
 * standard atmosphere used when an EPW file has no station pressure.
 *
 * Equations and numbers: ASHRAE Handbook - Fundamentals 2017, ch. 1.
 * Saturation pressure of water vapour by the Hyland-Wexler fits, eq. 5 over
 * ice below 0 C and eq. 6 over liquid water above, valid from -100 to 200 C;
 * humidity ratio W = 0.621945 p_w / (p - p_w) (eq. 20); the thermodynamic
 * wet-bulb temperature t* is the root of the energy balance of adiabatic
 * saturation,
 *     W = ((2501 - 2.326 t*) W*_s - 1.006 (t - t*)) / (2501 + 1.86 t - 4.186 t*)
 * (eq. 33, t* >= 0 C) or, over ice,
 *     W = ((2830 - 0.24 t*) W*_s - 1.006 (t - t*)) / (2830 + 1.86 t - 2.1 t*)
 * (eq. 35, t* < 0 C), where W*_s is the saturation humidity ratio at t*.  The
 * right-hand side increases with t*, so bisection on [-100 C, t] finds the
 * root; it stops when the bracket is narrower than 1e-5 K.  The standard
 * atmosphere at elevation z is p = 101325 (1 - 2.25577e-5 z)^5.2559 Pa
 * (eq. 3).
 *
 * Domain.  Every function here returns a finite number or NaN, never an
 * infinity and never a value outside its physical range, so a caller needs
 * one isnan test: NaN means "no moist-air state" (a NaN or infinite input,
 * a temperature outside the fits' -100..200 C, a pressure <= 0, water at or
 * above boiling, or a pressure of a few pascals where the wet bulb would lie
 * below -100 C).  Humidity outside 0-100 % is clamped, not refused: EPW
 * files allow up to 110 %.
 */
#include "facility/weather_int.h"
#include "suanli/weather.h"

#include <math.h>

/* Saturation pressure of water vapour (Pa) over ice below 0 C and over
 * liquid water above (eqs. 5 and 6); t_c in [-100, 200] (callers check),
 * where it is finite and positive. */
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

double sl__saturation_pressure_pa(double t_c)
{
    if (!(t_c >= -100.0 && t_c <= 200.0))
        return NAN;
    return sat_pressure_pa(t_c);
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
    /* At t* = t the balance gives the saturation humidity ratio >= w.  At
     * t* = -100 C it gives a W below any w >= 0 at ordinary pressures, but
     * not at a few pascals, where even -100 C ice holds much water: then
     * the root lies outside the fits' range and there is no answer. */
    if (t_db_c > -100.0 && humidity_ratio_from_wet_bulb(t_db_c, -100.0, p_pa) > w)
        return NAN;
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

double sl__standard_pressure_pa(double z_m)
{
    double base = 1.0 - 2.25577e-5 * z_m;
    if (!isfinite(z_m) || !(base > 0.0))
        return NAN; /* above ~44 km the fit has no atmosphere left */
    return 101325.0 * pow(base, 5.2559);
}
