/*
 * Random streams: splitmix64 seeding, the xoshiro256** generator, uniform
 * doubles and unbiased bounded integers (see include/suanli/rng.h).
 *
 * The generator is xoshiro256** (D. Blackman and S. Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 47(4), 2021; reference code at
 * https://prng.di.unimi.it/).  Its state is four 64-bit words evolving by an
 * F2-linear map of period 2^256 - 1; the output multiplies, rotates and
 * multiplies again the second word.  The all-zero state is the one fixed
 * point of the linear map and must never be entered.  The jump evaluates,
 * at the one-step map T, the published polynomial x^(2^128) reduced modulo
 * T's characteristic polynomial; by Cayley-Hamilton that equals T^(2^128),
 * i.e. 2^128 steps, at the cost of 256.
 *
 * Seeding uses splitmix64 (G. Steele, D. Lea and C. Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014): a Weyl sequence with the
 * golden-ratio increment pushed through a bijective 64-bit mixer.  A stream
 * key (seed, source, entity) is absorbed one word at a time: each word is
 * xored into the running splitmix64 state, which is then stepped, so every
 * bit of the key reaches every bit of the result, and neighbouring keys
 * (entity 7 and 8) yield unrelated streams.  Because each step is a
 * bijection, two keys that differ in only one of their three words always
 * give different states.  The four state words are four consecutive splitmix64 outputs,
 * i.e. the mixer applied to four distinct inputs; the mixer being a
 * bijection, at most one of them is zero, so the state is never all zero.
 *
 * Bounded integers use D. Lemire's nearly divisionless method ("Fast random
 * integer generation in an interval", ACM TOMACS 29(1), 2019): the high word
 * of the 128-bit product x * n is uniform on [0, n) once the rare products
 * whose low word falls below 2^64 mod n are rejected.  Source names map to
 * ids with 64-bit FNV-1a (Fowler, Noll and Vo; IETF draft-eastlake-fnv).
 */
#include "suanli/rng.h"

#include <assert.h>

/* The splitmix64 increment: 2^64 divided by the golden ratio, made odd. */
#define GOLDEN_GAMMA UINT64_C(0x9e3779b97f4a7c15)

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x00000100000001b3)

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Steps the splitmix64 state and returns its next output.  Every 64-bit
 * state is valid.  O(1). */
uint64_t sl_rng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += GOLDEN_GAMMA);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Hashes a NUL-terminated name (borrowed) to a stable source id; the value
 * is part of the reproducibility contract and must never change.  O(length). */
uint64_t sl_rng_source_id(const char *name)
{
    uint64_t h = FNV64_OFFSET;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= FNV64_PRIME;
    }
    return h;
}

/* Sets r to the stream keyed by (seed, source, entity).  Any key is valid and
 * the resulting state is never all zero.  O(1). */
void sl_rng_seed(struct sl_rng *r, uint64_t seed, uint64_t source, uint64_t entity)
{
    uint64_t x = seed;
    x = sl_rng_splitmix64(&x) ^ source;
    x = sl_rng_splitmix64(&x) ^ entity;
    for (int i = 0; i < 4; i++)
        r->s[i] = sl_rng_splitmix64(&x);
    /* Guaranteed by the bijectivity argument in the file comment. */
    assert((r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0);
}

/* Returns the next 64 random bits.  r must not be all zero.  O(1). */
uint64_t sl_rng_next(struct sl_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Advances r by 2^128 steps, giving a stream that does not overlap the
 * next 2^128 draws of the original.  O(256) generator steps. */
void sl_rng_jump(struct sl_rng *r)
{
    /* Coefficients of x^(2^128) mod the characteristic polynomial, lowest
     * degree first, as published with the reference implementation. */
    static const uint64_t poly[4] = {UINT64_C(0x180ec6d33cfd0aba), UINT64_C(0xd5a61266f0c9392c),
                                     UINT64_C(0xa9582618e03fc9aa), UINT64_C(0x39abdc4529b1661c)};
    uint64_t acc[4] = {0, 0, 0, 0};

    /* With T the one-step map, T^(2^128) = sum of c_j T^j over the
     * polynomial's coefficients c_j, so xor together the states T^j s
     * met along 256 ordinary steps. */
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 64; b++) {
            if (poly[i] & (UINT64_C(1) << b)) {
                for (int w = 0; w < 4; w++)
                    acc[w] ^= r->s[w];
            }
            (void)sl_rng_next(r);
        }
    }
    for (int w = 0; w < 4; w++)
        r->s[w] = acc[w];
}

/* Returns a multiple of 2^-53 in [0, 1), each equally likely.  O(1). */
double sl_rng_uniform(struct sl_rng *r)
{
    /* The top 53 bits are the best-mixed ones; k * 2^-53 is exact. */
    return (double)(sl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Returns an odd multiple of 2^-53 in (0, 1), each equally likely.  O(1). */
double sl_rng_uniform_pos(struct sl_rng *r)
{
    /* (k + 1/2) * 2^-52 with k < 2^52 is exact, lies in [2^-53, 1 - 2^-53]
     * and is symmetric about 1/2, so 1 - u has the same law as u.  Using
     * 53 bits here would round the largest value up to 1. */
    return ((double)(sl_rng_next(r) >> 12) + 0.5) * 0x1.0p-52;
}

/* The 128-bit product x * n as high and low words. */
static uint64_t mul_64x64(uint64_t x, uint64_t n, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__) && !defined(SL_RNG_NO_INT128)
    __extension__ typedef unsigned __int128 u128;
    const u128 m = (u128)x * n;
    *lo = (uint64_t)m;
    return (uint64_t)(m >> 64);
#else
    /* Schoolbook multiplication on 32-bit halves; no partial sum can
     * overflow 64 bits. */
    const uint64_t mask = UINT64_C(0xffffffff);
    const uint64_t x0 = x & mask, x1 = x >> 32;
    const uint64_t n0 = n & mask, n1 = n >> 32;
    const uint64_t p00 = x0 * n0, p01 = x0 * n1, p10 = x1 * n0, p11 = x1 * n1;
    const uint64_t mid = (p00 >> 32) + (p01 & mask) + (p10 & mask);
    *lo = (mid << 32) | (p00 & mask);
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* Returns an integer uniform on [0, n); n must be positive.  Expected O(1):
 * fewer than two draws for any n, almost always one. */
uint64_t sl_rng_below(struct sl_rng *r, uint64_t n)
{
    assert(n > 0);
    uint64_t lo;
    uint64_t hi = mul_64x64(sl_rng_next(r), n, &lo);
    if (lo < n) {
        /* 2^64 mod n, computed in 64 bits as (2^64 - n) mod n.  Only here,
         * with probability n / 2^64, does the method pay for a division. */
        const uint64_t threshold = (0 - n) % n;
        while (lo < threshold)
            hi = mul_64x64(sl_rng_next(r), n, &lo);
    }
    return hi;
}
