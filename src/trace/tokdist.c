/*
 * Token-length laws in their text form (sl_tokdist_parse, suanli/trace.h).
 *
 * Grammar (spaces allowed around every item, names in any case):
 *     law   := count | "lognormal(" mu "," sigma { "," clip } ")" | "trace"
 *     clip  := ("min" | "max") "=" count
 * A count is a whole number of tokens in [1, SL_LIMIT(SL_LIM_TRACE_TOKENS)].
 * mu and sigma are the mean and standard deviation of ln(tokens): mu in
 * [0, ln(limit)] (a median between 1 token and the limit), sigma in [0, 5]
 * (the fits of docs/model.md, "Request traces", have sigma 0.6 to 1.8).  A
 * drawn length is rounded to the nearest integer and clipped to [min, max]
 * (default 1 and the limit), so every law yields 1 <= tokens <= limit.  A
 * fixed count has min = max = value; `trace` takes the empirical law of the
 * service's request trace (the workload draws rows of the trace).
 */
#include "suanli/limits.h"
#include "suanli/diag.h"
#include "suanli/trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Case-insensitive match of word at p; advances past it. */
static int match_word(const char **p, const char *word)
{
    const char *s = *p;
    for (; *word; word++, s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *word)
            return 0;
    }
    *p = s;
    return 1;
}

/* A plain decimal number at *p (no inf, nan or hex); advances past it. */
static int read_number(const char **p, double *out)
{
    const char *s = *p, *q = s;
    if (*q == '+' || *q == '-')
        q++;
    int digits = 0;
    while (*q >= '0' && *q <= '9')
        q++, digits++;
    if (*q == '.')
        for (q++; *q >= '0' && *q <= '9'; q++)
            digits++;
    if (!digits)
        return -1;
    if (*q == 'e' || *q == 'E') {
        const char *e = q + 1;
        if (*e == '+' || *e == '-')
            e++;
        if (*e >= '0' && *e <= '9') {
            while (*e >= '0' && *e <= '9')
                e++;
            q = e;
        }
    }
    char tmp[64];
    size_t n = (size_t)(q - s);
    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double x = strtod(tmp, NULL);
    if (!isfinite(x))
        return -1;
    *out = x;
    *p = q;
    return 0;
}

static int count_ok(double x)
{
    return x >= 1 && x <= SL_LIMIT(SL_LIM_TRACE_TOKENS) && x == floor(x);
}

#define FORMS "512, lognormal(MU, SIGMA[, min=N][, max=N]) or trace"

int sl_tokdist_parse(const char *text, struct sl_tokdist *out, char *err, size_t errsize)
{
    double lim = SL_LIMIT(SL_LIM_TRACE_TOKENS);
    struct sl_tokdist t = {SL_TOK_FIXED, 0, 0, 0, 1, lim};
    if (err && errsize)
        err[0] = '\0';
    if (!text) {
        snprintf(err, errsize, "no token law (expected " FORMS ")");
        return SL_EINVAL;
    }
    const char *p = skip_spaces(text);
    if (*p == '\0') {
        snprintf(err, errsize, "empty token law (expected " FORMS ")");
        return SL_EINVAL;
    }
    if ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.') {
        double x;
        const char *q = p;
        if (read_number(&q, &x) != 0 || *skip_spaces(q) != '\0') {
            snprintf(err, errsize, "'%s' is not a token count (expected " FORMS ")", text);
            return SL_EINVAL;
        }
        if (!count_ok(x)) {
            snprintf(err, errsize,
                     "a fixed token count must be a whole number from 1 to %.0f, not '%s'", lim,
                     text);
            return SL_EINVAL;
        }
        t.value = t.min = t.max = x;
        *out = t;
        return SL_OK;
    }
    const char *q = p;
    if (match_word(&q, "trace") && *skip_spaces(q) == '\0') {
        t.kind = SL_TOK_TRACE;
        *out = t;
        return SL_OK;
    }
    q = p;
    if (!match_word(&q, "lognormal")) {
        snprintf(err, errsize, "unknown token law '%s' (expected " FORMS ")", text);
        return SL_EINVAL;
    }
    q = skip_spaces(q);
    if (*q != '(') {
        snprintf(err, errsize, "expected '(' after lognormal in '%s' (expected " FORMS ")", text);
        return SL_EINVAL;
    }
    q = skip_spaces(q + 1);
    double mu, sigma;
    if (read_number(&q, &mu) != 0) {
        snprintf(err, errsize, "lognormal: expected MU, the mean of ln(tokens), in '%s'", text);
        return SL_EINVAL;
    }
    q = skip_spaces(q);
    if (*q != ',') {
        snprintf(err, errsize, "lognormal: expected ', SIGMA' after MU in '%s'", text);
        return SL_EINVAL;
    }
    q = skip_spaces(q + 1);
    if (read_number(&q, &sigma) != 0) {
        snprintf(err, errsize,
                 "lognormal: expected SIGMA, the standard deviation of ln(tokens), in '%s'", text);
        return SL_EINVAL;
    }
    if (!(mu >= 0 && mu <= log(lim))) {
        snprintf(err, errsize,
                 "lognormal: MU %g is outside [0, %.4g] (MU is the mean of ln(tokens): "
                 "lognormal(6.5, 1.1) has a median of 665 tokens)",
                 mu, log(lim));
        return SL_EINVAL;
    }
    if (!(sigma >= 0 && sigma <= 5)) {
        snprintf(err, errsize,
                 "lognormal: SIGMA %g is outside [0, 5] (SIGMA is the standard deviation of "
                 "ln(tokens))",
                 sigma);
        return SL_EINVAL;
    }
    int have_min = 0, have_max = 0;
    for (;;) {
        q = skip_spaces(q);
        if (*q == ')')
            break;
        if (*q != ',') {
            snprintf(err, errsize, "lognormal: expected ',' or ')' at '%s' in '%s'", q, text);
            return SL_EINVAL;
        }
        q = skip_spaces(q + 1);
        int which;
        if (match_word(&q, "min"))
            which = 0;
        else if (match_word(&q, "max"))
            which = 1;
        else {
            snprintf(err, errsize, "lognormal: expected min=N or max=N at '%s' in '%s'", q, text);
            return SL_EINVAL;
        }
        if ((which ? have_max : have_min)) {
            snprintf(err, errsize, "lognormal: %s= given twice in '%s'", which ? "max" : "min",
                     text);
            return SL_EINVAL;
        }
        q = skip_spaces(q);
        if (*q != '=') {
            snprintf(err, errsize, "lognormal: expected '=' after %s in '%s'",
                     which ? "max" : "min", text);
            return SL_EINVAL;
        }
        q = skip_spaces(q + 1);
        double x;
        if (read_number(&q, &x) != 0 || !count_ok(x)) {
            snprintf(err, errsize,
                     "lognormal: %s= must be a whole number of tokens from 1 to %.0f in '%s'",
                     which ? "max" : "min", lim, text);
            return SL_EINVAL;
        }
        if (which) {
            t.max = x;
            have_max = 1;
        } else {
            t.min = x;
            have_min = 1;
        }
    }
    if (*skip_spaces(q + 1) != '\0') {
        snprintf(err, errsize, "lognormal: text after ')' in '%s'", text);
        return SL_EINVAL;
    }
    if (t.min > t.max) {
        snprintf(err, errsize, "lognormal: min=%.0f is above max=%.0f in '%s'", t.min, t.max, text);
        return SL_EINVAL;
    }
    t.kind = SL_TOK_LOGNORMAL;
    t.mu = mu;
    t.sigma = sigma;
    *out = t;
    return SL_OK;
}

/* Standard normal distribution function. */
static double phi(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

double sl_tokdist_mean(const struct sl_tokdist *law, const struct sl_trace *t, int output)
{
    if (law->kind == SL_TOK_FIXED)
        return law->value;
    if (law->kind == SL_TOK_TRACE) {
        if (!t || t->n_req == 0)
            return 0;
        double s = 0;
        for (size_t i = 0; i < t->n_req; i++)
            s += output ? t->req[i].output : t->req[i].prompt;
        return s / (double)t->n_req;
    }
    double lo = law->min, hi = law->max;
    if (law->sigma == 0) {
        double x = exp(law->mu);
        return x < lo ? lo : x > hi ? hi : x;
    }
    /* E[clip(X, lo, hi)] = lo P(X < lo) + E[X; lo <= X <= hi] + hi P(X > hi),
     * with E[X; a <= X <= b] = exp(mu + sigma^2 / 2) (Phi(b' - sigma) -
     * Phi(a' - sigma)), a' and b' the standardised logs of the bounds. */
    double a = (log(lo) - law->mu) / law->sigma, b = (log(hi) - law->mu) / law->sigma;
    return lo * phi(a) +
           exp(law->mu + 0.5 * law->sigma * law->sigma) *
               (phi(b - law->sigma) - phi(a - law->sigma)) +
           hi * (1 - phi(b));
}
