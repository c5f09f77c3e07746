/*
 * Samplers for the distributions the simulator draws from (see
 * include/suanli/rng.h).  Each is exact up to floating-point rounding and
 * consumes the stream deterministically: the same state gives the same
 * value and leaves the same state, with no hidden cache between calls.
 *
 * - Standard exponential and normal by the ziggurat method (G. Marsaglia
 *   and W. W. Tsang, "The ziggurat method for generating random variables",
 *   J. Stat. Software 5(8), 2000).  The region under the (unnormalised)
 *   density f on [0, inf) is covered by N = 256 stacked layers of equal
 *   area v: a base strip [0, x0] x [0, f(r)] whose part beyond r stands
 *   for the tail, and rectangles [0, x_i] x [f(x_i), f(x_(i+1))] with
 *   x_i (f(x_(i+1)) - f(x_i)) = v.  A uniform layer and a uniform point
 *   x = U x_i in it are drawn; if x < x_(i+1) the point lies under f and
 *   x is returned (98% of draws: one 64-bit word, a multiply, a compare).
 *   Otherwise, in the wedge between x_(i+1) and x_i, a uniform height is
 *   compared with f(x), and in the base layer the tail is sampled: for the
 *   normal by Marsaglia's exact method (Ann. Math. Stat. 35, 1964), for
 *   the exponential as r plus a fresh exponential.  The layer index, the
 *   sign and the 53-bit U come from disjoint bits of one draw, which
 *   avoids the correlation J. A. Doornik pointed out in the original
 *   32-bit version ("An improved ziggurat method to generate normal random
 *   samples", 2005); C. D. McFarland, "A modified ziggurat algorithm for
 *   generating exponentially and normally distributed pseudorandom
 *   numbers", J. Stat. Comput. Simul. 86(7), 2016, describes the same
 *   layout with faster wedge tests, not used here.  The tables
 *   (ziggurat_tables.h) are literals produced by scripts/gen_ziggurat.py
 *   in 100-digit arithmetic; tests/test_rng.c recomputes them.
 *   sl_rng_normal_pair is two ziggurat normals.
 * - Weibull by inversion: lambda E^(1/k) with E standard exponential.
 *   Lognormal is exp of a ziggurat normal.
 * - Gamma by G. Marsaglia and W. Tsang, "A simple method for generating gamma
 *   variables", ACM TOMS 26(3), 2000: for shape a >= 1, d (1 + c x)^3 with x
 *   a ziggurat normal, d = a - 1/3 and c = 1/sqrt(9d), accepted by a squeeze and then
 *   the exact log test.  For a < 1 it uses their boost: if G is Gamma(a + 1)
 *   and U uniform, G U^(1/a) is Gamma(a).
 * - Poisson: for means below 10, Knuth's multiplication method (the count of
 *   uniforms whose running product stays above e^-mean); from 10 up, the
 *   transformed rejection with squeeze PTRS of W. Hoermann, "The transformed
 *   rejection method for generating Poisson random variables", Insurance:
 *   Mathematics and Economics 12, 1993, which costs O(1) per draw and whose
 *   constants Hoermann gives for means >= 10.  Its exact acceptance test
 *   needs log k!, computed here from the Stirling series (Abramowitz and
 *   Stegun 6.1.41) rather than lgamma, which is neither thread-safe nor
 *   among the libm functions the reproducibility contract relies on.
 * - Discrete distributions by the alias method (A. J. Walker, ACM TOMS 3(3),
 *   1977) built with M. D. Vose's linear, numerically stable construction
 *   (IEEE TSE 17(9), 1991).  Each of the n columns holds the probability of
 *   keeping its own index and an alias to give otherwise; a draw picks a
 *   column uniformly and flips that biased coin, O(1) per sample.  The
 *   weights are totalled with Neumaier's compensated summation (A. Neumaier,
 *   ZAMM 54, 1974), so that the table's probabilities are exact to a few
 *   ulps of the largest one whatever n.
 *
 * Invalid distribution parameters are the caller's bug (the scenario loader
 * validates user input) and are caught by assertions; the table
 * constructors, which see user data directly, validate and return codes.
 */
#include "suanli/rng.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include "core/ziggurat_tables.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* log(sqrt(2 pi)), for Stirling's series. */
#define LOG_SQRT_2PI 0.91893853320467274178

/* Poisson means at and above this use PTRS; its constants are fitted for
 * means >= 10. */
#define POISSON_PTRS_MIN 10.0

/* Puts the sign bit of a 64-bit draw (bit 8, unused by the layer index and
 * the 53-bit magnitude) on x, without a branch the predictor could not
 * learn. */
static double with_sign(double x, uint64_t bits)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    u |= (bits & UINT64_C(0x100)) << 55;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The normal tail beyond r = SL_ZIG_NORM_R: with a = -log(U1) / r and
 * b = -log(U2), r + a is accepted when 2b > a^2 (Marsaglia 1964).  The
 * acceptance rate is above 0.9 for this r. */
static double normal_tail(struct sl_rng *r)
{
    for (;;) {
        const double a = -log(sl_rng_uniform_pos(r)) / SL_ZIG_NORM_R;
        const double b = -log(sl_rng_uniform_pos(r));
        if (2.0 * b > a * a)
            return SL_ZIG_NORM_R + a;
    }
}

/* Standard normal by the ziggurat.  One 64-bit draw gives the layer (low 8
 * bits), the sign (bit 8) and a 53-bit magnitude j (top bits), so the three
 * are independent.  The fast path (one draw, a multiply, a compare) is
 * taken in 98.5% of iterations; the loop runs 1.0067 times on average (the
 * ziggurat's area over the density's), about 1.02 draws in all, with an
 * exp() in 1.5% of iterations and the tail's logarithms in 0.03%. */
double sl_rng_std_normal(struct sl_rng *r)
{
    for (;;) {
        const uint64_t bits = sl_rng_next(r);
        const unsigned i = (unsigned)(bits & 0xff);
        const uint64_t j = bits >> 11;
        /* j < 2^53, so the signed conversion is exact and a single
         * instruction on common targets. */
        const double x = (double)(int64_t)j * sl__zig_norm_w[i];
        if (j < sl__zig_norm_k[i])
            return with_sign(x, bits);
        if (i == 0)
            return with_sign(normal_tail(r), bits);
        /* The wedge between x[i+1] and x[i]: a height uniform in the
         * layer, kept when it falls under the density. */
        const double y =
            sl__zig_norm_f[i] + sl_rng_uniform(r) * (sl__zig_norm_f[i + 1] - sl__zig_norm_f[i]);
        if (y < exp(-0.5 * x * x))
            return with_sign(x, bits);
    }
}

/* Standard exponential by the ziggurat, as the normal without the sign.
 * The tail beyond r = SL_ZIG_EXP_R is, the law being memoryless, r plus a
 * fresh standard exponential: a recursive call, whose depth is geometric
 * with ratio e^-r = 4.5e-4 (a running offset in the loop instead costs an
 * addition on the fast path).  The fast path is taken in 97.8% of
 * iterations; the loop runs 1.012 times on average, about 1.03 draws in
 * all, with an exp() in 2.2% of iterations. */
double sl_rng_std_exponential(struct sl_rng *r)
{
    for (;;) {
        const uint64_t bits = sl_rng_next(r);
        const unsigned i = (unsigned)(bits & 0xff);
        const uint64_t j = bits >> 11;
        const double x = (double)(int64_t)j * sl__zig_exp_w[i];
        if (j < sl__zig_exp_k[i])
            return x;
        if (i == 0)
            return SL_ZIG_EXP_R + sl_rng_std_exponential(r);
        const double y =
            sl__zig_exp_f[i] + sl_rng_uniform(r) * (sl__zig_exp_f[i + 1] - sl__zig_exp_f[i]);
        if (y < exp(-x))
            return x;
    }
}

/* Two independent standard normals: two ziggurat draws, x first, so x
 * equals what sl_rng_std_normal returns from the same state.  Expected
 * O(1). */
void sl_rng_normal_pair(struct sl_rng *r, double *x, double *y)
{
    *x = sl_rng_std_normal(r);
    *y = sl_rng_std_normal(r);
}

/* Exponential with the given mean > 0.  Expected O(1). */
double sl_rng_exponential(struct sl_rng *r, double mean)
{
    assert(mean > 0 && isfinite(mean));
    return mean * sl_rng_std_exponential(r);
}

/* Normal N(mu, sigma^2), sigma >= 0.  Expected O(1). */
double sl_rng_normal(struct sl_rng *r, double mu, double sigma)
{
    assert(sigma >= 0 && isfinite(sigma) && isfinite(mu));
    return mu + sigma * sl_rng_std_normal(r);
}

/* Lognormal exp(N(mu, sigma^2)), sigma >= 0.  Expected O(1). */
double sl_rng_lognormal(struct sl_rng *r, double mu, double sigma)
{
    assert(sigma >= 0 && isfinite(sigma) && isfinite(mu));
    return exp(mu + sigma * sl_rng_std_normal(r));
}

/* Weibull with shape k > 0 and scale lambda > 0, by inversion of
 * F(x) = 1 - exp(-(x / lambda)^k).  O(1), one draw. */
double sl_rng_weibull(struct sl_rng *r, double k, double lambda)
{
    assert(k > 0 && isfinite(k) && lambda > 0 && isfinite(lambda));
    return lambda * pow(sl_rng_std_exponential(r), 1.0 / k);
}

/* Marsaglia-Tsang for shape a >= 1 and unit scale.  The acceptance rate is
 * above 95% for every such shape, so the expected cost is O(1). */
static double std_gamma_ge1(struct sl_rng *r, double a)
{
    const double d = a - 1.0 / 3.0;
    const double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = sl_rng_std_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = sl_rng_uniform_pos(r);
        const double x2 = x * x;
        /* The squeeze accepts most candidates without a logarithm. */
        if (u < 1.0 - 0.0331 * x2 * x2)
            return d * v;
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
            return d * v;
    }
}

/* Gamma with shape k > 0 and scale theta > 0 (mean k theta).  Expected O(1):
 * about 3.6 draws for k >= 1 and 4.6 for k = 0.5 (measured).  For shapes
 * below about 0.01, U^(1/k) underflows to 0 with noticeable probability, as
 * the true law puts much of its mass below DBL_MIN. */
double sl_rng_gamma(struct sl_rng *r, double k, double theta)
{
    assert(k > 0 && isfinite(k) && theta > 0 && isfinite(theta));
    if (k < 1.0) {
        const double g = std_gamma_ge1(r, k + 1.0);
        return theta * g * pow(sl_rng_uniform_pos(r), 1.0 / k);
    }
    return theta * std_gamma_ge1(r, k);
}

/* log(mu^k e^-mu / k!) for an integer-valued k >= 0 and mu > 0.  Below 20
 * the factorial is a product of integers, exact in double (the odd part of
 * 19! is below 2^53).  From 20 on, Stirling's series truncated after the
 * 1/k^7 term errs by less than 1/(1188 k^9) < 2e-15, and k log(mu) - mu -
 * k log(k) + k is regrouped as k log1p((mu - k) / k) + (k - mu): both terms
 * are of the size of |mu - k|, where the plain form subtracts numbers of
 * size k log k and, for a mean of 10^9, would lose six digits. */
static double log_poisson_pmf(double k, double mu, double log_mu)
{
    if (k < 20.0) {
        const int ik = (int)k;
        double f = 1.0;
        for (int i = 2; i <= ik; i++)
            f *= i;
        return k * log_mu - mu - log(f);
    }
    const double rk = 1.0 / k;
    const double rk2 = rk * rk;
    const double series =
        rk * (1.0 / 12.0 - rk2 * (1.0 / 360.0 - rk2 * (1.0 / 1260.0 - rk2 / 1680.0)));
    return k * log1p((mu - k) / k) + (k - mu) - 0.5 * log(k) - LOG_SQRT_2PI - series;
}

/* Knuth's multiplication method: mu + 1 draws on average. */
static uint64_t poisson_mult(struct sl_rng *r, double mu)
{
    const double limit = exp(-mu);
    uint64_t k = 0;
    double p = sl_rng_uniform_pos(r);
    while (p > limit) {
        k++;
        p *= sl_rng_uniform_pos(r);
    }
    return k;
}

/* Hoermann's PTRS for mu >= 10.  The hat is built from the transformation
 * k = floor((2a / us + b) u + mu + 0.43), u uniform on (-1/2, 1/2) and
 * us = 1/2 - |u|; a, b, alpha and v_r are his fitted functions of mu.  The
 * uniforms come from uniform_pos so that us > 0 and log(v) is finite. */
static uint64_t poisson_ptrs(struct sl_rng *r, double mu)
{
    const double log_mu = log(mu);
    const double b = 0.931 + 2.53 * sqrt(mu);
    const double a = -0.059 + 0.02483 * b;
    const double log_inv_alpha = log(1.1239 + 1.1328 / (b - 3.4));
    const double v_r = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        const double u = sl_rng_uniform_pos(r) - 0.5;
        const double v = sl_rng_uniform_pos(r);
        const double us = 0.5 - fabs(u);
        const double k = floor((2.0 * a / us + b) * u + mu + 0.43);
        if (k < 0.0)
            continue;
        /* The squeeze: inside it the hat lies below the histogram. */
        if (us >= 0.07 && v <= v_r)
            return (uint64_t)k;
        /* The thin tails of the hat where it is far above the pmf. */
        if (us < 0.013 && v > us)
            continue;
        if (log(v) + log_inv_alpha - log(a / (us * us) + b) <= log_poisson_pmf(k, mu, log_mu))
            return (uint64_t)k;
    }
}

/* Poisson with mean in [0, 2^60] (exactly 0 returns 0 without drawing).
 * Expected O(1) for every mean: mean + 1 draws below 10, then (measured)
 * 2.66 draws at 10 falling to 2.25 for large means.  The acceptance test's
 * log P(k) is accurate to about |mean - k| * 2^-52 absolute, which bounds
 * the relative error of each probability. */
uint64_t sl_rng_poisson(struct sl_rng *r, double mean)
{
    assert(mean >= 0 && mean <= 0x1p60);
    /* Without assertions, a NaN or infinite mean would loop forever in
     * PTRS; out-of-contract means are clamped instead. */
    if (!(mean > 0.0))
        return 0;
    if (mean > 0x1p60)
        mean = 0x1p60;
    if (mean < POISSON_PTRS_MIN)
        return poisson_mult(r, mean);
    return poisson_ptrs(r, mean);
}

/* Builds the alias table for n weights (borrowed).  The weights must be
 * finite and non-negative with at least one positive; entries of weight 0
 * are never sampled.  Returns SL_OK; SL_EINVAL for n == 0, n > UINT32_MAX,
 * w == NULL or a bad weight; SL_ENOMEM if allocation fails.  On failure *a
 * holds no storage and sl_alias_release is a no-op.  O(n) time, 12n bytes of
 * table plus 4n bytes of scratch. */
int sl_alias_init(struct sl_alias *a, const double *w, size_t n)
{
    assert(a);
    a->n = 0;
    a->prob = NULL;
    a->alias = NULL;
    if (n == 0 || n > UINT32_MAX || !w)
        return SL_EINVAL;

    /* Scaling by the largest weight keeps the sum finite (it lies in
     * [1, n]) even for weights near DBL_MAX. */
    double wmax = 0.0;
    size_t imax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]) || w[i] < 0.0)
            return SL_EINVAL;
        if (w[i] > wmax) {
            wmax = w[i];
            imax = i;
        }
    }
    if (wmax == 0.0)
        return SL_EINVAL;
    /* Neumaier's compensated sum: the scaled weights must add up to n, and
     * Vose's construction hands any excess or deficit, n times the relative
     * error of the sum, to the last column it fills. */
    double sum = 0.0, carry = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double x = w[i] / wmax;
        const double t = sum + x;
        carry += fabs(sum) >= x ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
    sum += carry;

    double *prob = sl_reallocarray(NULL, n, sizeof *prob);
    uint32_t *alias = sl_reallocarray(NULL, n, sizeof *alias);
    /* The two worklists share one array: "small" (scaled weight below 1)
     * grows up from the front, "large" down from the back.  Every index is
     * on exactly one list, so they never collide. */
    uint32_t *work = sl_reallocarray(NULL, n, sizeof *work);
    if (!prob || !alias || !work) {
        sl_free(prob);
        sl_free(alias);
        sl_free(work);
        return SL_ENOMEM;
    }

    /* prob[i] starts as the scaled weight n w_i / sum (mean 1).  An entry
     * leaving the small list keeps its value as its final probability. */
    const double scale = (double)n / sum;
    size_t ns = 0, nl = 0;
    for (size_t i = 0; i < n; i++) {
        prob[i] = (w[i] / wmax) * scale;
        if (prob[i] < 1.0)
            work[ns++] = (uint32_t)i;
        else
            work[n - ++nl] = (uint32_t)i;
    }
    while (ns > 0 && nl > 0) {
        const uint32_t l = work[--ns];
        const uint32_t g = work[n - nl--];
        alias[l] = g;
        /* Vose's stable order: (p_g + p_l) - 1, not p_g - (1 - p_l), which
         * would lose the low bits of p_l when it is small. */
        prob[g] = (prob[g] + prob[l]) - 1.0;
        if (prob[g] < 1.0)
            work[ns++] = g;
        else
            work[n - ++nl] = g;
    }
    /* In exact arithmetic both lists empty together; rounding leaves a few
     * entries whose true probability is 1. */
    while (nl > 0) {
        const uint32_t g = work[n - nl--];
        prob[g] = 1.0;
        alias[g] = g;
    }
    while (ns > 0) {
        const uint32_t l = work[--ns];
        if (w[l] == 0.0) {
            /* Only when accumulated rounding exceeds a whole column (n in
             * the hundreds of millions): a zero weight must still never be
             * drawn, so send its column to a positive entry. */
            prob[l] = 0.0;
            alias[l] = (uint32_t)imax;
        } else {
            prob[l] = 1.0;
            alias[l] = l;
        }
    }
    sl_free(work);

    a->n = n;
    a->prob = prob;
    a->alias = alias;
    return SL_OK;
}

/* Frees the table's storage and leaves it empty; safe on a table whose init
 * failed and on one already released.  O(1). */
void sl_alias_release(struct sl_alias *a)
{
    sl_free(a->prob);
    sl_free(a->alias);
    a->n = 0;
    a->prob = NULL;
    a->alias = NULL;
}

/* Returns index i with probability w[i] / sum(w).  The table must have been
 * built successfully.  O(1): two draws, and a third with probability below
 * n / 2^64 (a rejection inside sl_rng_below). */
size_t sl_alias_sample(const struct sl_alias *a, struct sl_rng *r)
{
    assert(a->n > 0);
    const size_t i = (size_t)sl_rng_below(r, (uint64_t)a->n);
    /* u < prob[i] is never true for prob[i] == 0, so zero-weight columns
     * always give their alias. */
    return sl_rng_uniform(r) < a->prob[i] ? i : (size_t)a->alias[i];
}

/* Builds an empirical distribution from n values and weights (both
 * borrowed; the values are copied).  Values must be finite; weights as for
 * sl_alias_init.  Returns SL_OK, SL_EINVAL or SL_ENOMEM; on failure *e holds
 * no storage.  O(n). */
int sl_empirical_init(struct sl_empirical *e, const double *values, const double *weights, size_t n)
{
    assert(e);
    e->values = NULL;
    e->alias.n = 0;
    e->alias.prob = NULL;
    e->alias.alias = NULL;
    /* n is checked before values is read, so a bogus n cannot overrun. */
    if (n == 0 || n > UINT32_MAX || !values)
        return SL_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i]))
            return SL_EINVAL;
    }
    int rc = sl_alias_init(&e->alias, weights, n);
    if (rc != SL_OK)
        return rc;
    double *copy = sl_reallocarray(NULL, n, sizeof *copy);
    if (!copy) {
        sl_alias_release(&e->alias);
        return SL_ENOMEM;
    }
    memcpy(copy, values, n * sizeof *copy);
    e->values = copy;
    return SL_OK;
}

/* Frees the distribution's storage; safe after a failed init.  O(1). */
void sl_empirical_release(struct sl_empirical *e)
{
    sl_alias_release(&e->alias);
    sl_free(e->values);
    e->values = NULL;
}

/* Returns values[i] with probability weights[i] / sum(weights).  O(1). */
double sl_empirical_sample(const struct sl_empirical *e, struct sl_rng *r)
{
    return e->values[sl_alias_sample(&e->alias, r)];
}
