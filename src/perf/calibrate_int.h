/*
 * Internals of the calibration (src/perf/calibrate.c) that the tests reach:
 * the bounded Nelder-Mead minimiser on its own, so that it can be checked
 * on functions with known minima.
 */
#ifndef SUANLI_PERF_CALIBRATE_INT_H
#define SUANLI_PERF_CALIBRATE_INT_H

/* Most parameters sl__calib_minimize handles. */
#define SL_CALIB_MAX_DIM 8

/* An objective: the value at x (dimension fixed by the caller). */
typedef double (*sl__calib_fn)(const double *x, void *ud);

/* Minimises f over the box [lo, hi] (lo[i] <= hi[i]) from x, in place, by
 * Nelder-Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2),
 * every trial point projected onto the box.  The first simplex is x plus
 * step[i] along each axis (towards the inside when that leaves the box).
 * A run stops when the spread of the simplex values is at most
 * tol * (|best| + tol) and its widest edge at most tol * step, or after
 * max_evals evaluations; a new run then starts from the best point with the
 * first simplex, until one improves the value by less than tol relative or
 * the evaluations are spent.  Deterministic: ties keep vertex order.
 * Returns the evaluations used; *fx is f at the final x.  1 <= n <=
 * SL_CALIB_MAX_DIM and every step[i] > 0. */
int sl__calib_minimize(sl__calib_fn f, void *ud, int n, double *x, const double *lo,
                       const double *hi, const double *step, double tol, int max_evals, double *fx);

#endif
