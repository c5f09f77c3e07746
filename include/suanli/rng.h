/*
 * Reproducible random streams and samplers.
 *
 * Generator: xoshiro256** (Blackman & Vigna, 2018), state seeded through
 * splitmix64.  A stream is keyed by (seed, source, entity): the run seed, a
 * stable 64-bit id of the stochastic source (sl_rng_source_id("arrivals")),
 * and the entity (server index, job id...).  One stream per source and
 * entity means a policy change cannot perturb, say, the arrival process:
 * comparisons use common random numbers.
 *
 * Samplers take their natural parameters and are exact.  The standard
 * exponential and normal use the ziggurat method (G. Marsaglia and W. W.
 * Tsang, "The ziggurat method for generating random variables", J. Stat.
 * Software 5(8), 2000), with 256 layers, the layer, sign and 53-bit
 * magnitude taken from disjoint bits of one 64-bit draw (the correction of
 * J. A. Doornik, "An improved ziggurat method to generate normal random
 * samples", 2005), and constant tables computed offline
 * (scripts/gen_ziggurat.py); the other continuous samplers build on these
 * two.  All functions are pure functions of the stream state, so the same
 * key gives the same sequence on every platform with IEEE doubles and a
 * correctly rounded libm (exp/log/log1p/pow/sqrt); the tables are literals,
 * read-only and shared safely by any number of threads.
 */
#ifndef SUANLI_RNG_H
#define SUANLI_RNG_H

#include <stddef.h>
#include <stdint.h>

/* One random stream: the xoshiro256** state.  A plain value the caller
 * embeds and owns (nothing to release); copying it forks the stream.  The
 * state is never all zero (the one state xoshiro cannot leave), which
 * sl_rng_seed guarantees; streams are not shared between threads. */
struct sl_rng {
    uint64_t s[4];
};

/* One step of splitmix64 (Steele, Lea & Flood 2014): advances *state and
 * returns the next output.  Used for seeding; exposed so that other modules
 * can derive sub-keys and tests can check it against published vectors. */
uint64_t sl_rng_splitmix64(uint64_t *state);
/* Stable id for a source name (64-bit FNV-1a of the bytes). */
uint64_t sl_rng_source_id(const char *name);
/* Keys a stream by (seed, source, entity). */
void sl_rng_seed(struct sl_rng *r, uint64_t seed, uint64_t source, uint64_t entity);
/* Advances the state by 2^128 draws (xoshiro256 jump). */
void sl_rng_jump(struct sl_rng *r);

uint64_t sl_rng_next(struct sl_rng *r);
/* Uniform on [0, 1) with 53 random bits. */
double sl_rng_uniform(struct sl_rng *r);
/* Uniform on (0, 1): never 0, safe for log(). */
double sl_rng_uniform_pos(struct sl_rng *r);
/* Unbiased integer in [0, n); n must be > 0 (Lemire's method). */
uint64_t sl_rng_below(struct sl_rng *r, uint64_t n);

/* Standard exponential (mean 1), by the ziggurat. */
double sl_rng_std_exponential(struct sl_rng *r);
/* Exponential with the given mean (> 0): mean * sl_rng_std_exponential. */
double sl_rng_exponential(struct sl_rng *r, double mean);
/* Standard normal N(0, 1), by the ziggurat. */
double sl_rng_std_normal(struct sl_rng *r);
/* Normal with mean mu and standard deviation sigma >= 0:
 * mu + sigma * sl_rng_std_normal. */
double sl_rng_normal(struct sl_rng *r, double mu, double sigma);
/* Two independent standard normals, from two ziggurat draws (no longer the
 * polar method): *x is what sl_rng_std_normal would return from the same
 * state, *y the next one.  Kept for callers that hold the second value
 * themselves; it is exactly two calls of sl_rng_std_normal. */
void sl_rng_normal_pair(struct sl_rng *r, double *x, double *y);
/* Lognormal: exp(N(mu, sigma)). */
double sl_rng_lognormal(struct sl_rng *r, double mu, double sigma);
/* Weibull with shape k > 0 and scale lambda > 0. */
double sl_rng_weibull(struct sl_rng *r, double k, double lambda);
/* Gamma with shape k > 0 and scale theta > 0 (Marsaglia & Tsang). */
double sl_rng_gamma(struct sl_rng *r, double k, double theta);
/* Poisson with mean >= 0. */
uint64_t sl_rng_poisson(struct sl_rng *r, double mean);

/* Walker/Vose alias table for sampling index i with probability
 * w[i] / sum(w) in O(1).  The caller embeds it; after a successful
 * sl_alias_init it owns prob and alias, n entries each, until
 * sl_alias_release (which leaves n 0 and both NULL, as a failed init
 * does).  Each column i keeps itself with probability prob[i] in [0, 1]
 * and otherwise gives alias[i] < n; a zero-weight column has prob 0. */
struct sl_alias {
    size_t n;
    double *prob;
    uint32_t *alias;
};

/* Builds the table from n >= 1 weights (finite, >= 0, positive sum).
 * Returns SL_OK, SL_EINVAL or SL_ENOMEM.  The table owns its storage. */
int sl_alias_init(struct sl_alias *a, const double *w, size_t n);
void sl_alias_release(struct sl_alias *a);
size_t sl_alias_sample(const struct sl_alias *a, struct sl_rng *r);

/* An empirical distribution: values with weights, sampled through an alias
 * table.  It owns its alias table and values, a copy of alias.n finite
 * values (values[i] drawn with column i's weight), until
 * sl_empirical_release; after a failed init or a release it holds nothing
 * and values is NULL. */
struct sl_empirical {
    struct sl_alias alias;
    double *values;
};

int sl_empirical_init(struct sl_empirical *e, const double *values, const double *weights,
                      size_t n);
void sl_empirical_release(struct sl_empirical *e);
double sl_empirical_sample(const struct sl_empirical *e, struct sl_rng *r);

#endif
