#!/usr/bin/env python3
"""Generates src/core/ziggurat_tables.h, the ziggurat tables of src/core/dist.c.

Usage: python3 scripts/gen_ziggurat.py > src/core/ziggurat_tables.h

Standard library only.  Everything is computed in decimal arithmetic with
100 significant digits and rounded once, to the nearest double, when it is
printed as a C hexadecimal literal, so the output does not depend on the
platform's libm and is the same on every machine.

A ziggurat for a decreasing density f on [0, inf) (unnormalised: f(0) = 1)
covers it with N layers of equal area v.  The edges are
x[0] > x[1] = r > x[2] > ... > x[N] = 0.  Layer 0 is the base strip
[0, x[0]] x [0, f(r)] with x[0] = v / f(r): its part left of r is a
rectangle under f, the rest stands for the tail beyond r, whose area is
v - r f(r).  Layer i >= 1 is [0, x[i]] x [f(x[i]), f(x[i+1])], so that
x[i] (f(x[i+1]) - f(x[i])) = v, i.e. f(x[i+1]) = f(x[i]) + v / x[i].
The right edge r is the root of: the layer above x[N-1] ends exactly at
f(0) = 1.  It is found by bisection.

Printed, for each of the normal (f = exp(-x^2/2), N = 256) and the
exponential (f = exp(-x), N = 256):
  k[i] = floor(2^53 x[i+1] / x[i]), i < N: a 53-bit uniform j below k[i]
         gives a point x = j 2^-53 x[i] left of x[i+1], i.e. under f;
  w[i] = x[i] 2^-53, i < N: the scale from j to x;
  f[i] = f(x[i]), i <= N: the layer bounds for the wedge test;
  r and v.
"""

import decimal
from decimal import Decimal as D

PREC = 100
N = 256
decimal.getcontext().prec = PREC


def pi():
    """pi to the context precision (the recipe of the decimal docs)."""
    decimal.getcontext().prec += 4
    three = D(3)
    lasts, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
    while s != lasts:
        lasts = s
        n, na = n + na, na + 8
        d, da = d + da, da + 32
        t = (t * n) / d
        s += t
    decimal.getcontext().prec -= 4
    return +s


def erfc(z):
    """erfc(z) for z > 0 from the everywhere-positive series
    erf(z) = 2/sqrt(pi) exp(-z^2) sum 2^n z^(2n+1) / (1 3 5 ... (2n+1)),
    with enough guard digits for the cancellation in 1 - erf."""
    decimal.getcontext().prec += 30
    term = z
    total = z
    n = 0
    eps = D(10) ** -(PREC + 30)
    while term > eps * total:
        n += 1
        term = term * 2 * z * z / (2 * n + 1)
        total += term
    result = 1 - 2 / pi().sqrt() * (-z * z).exp() * total
    decimal.getcontext().prec -= 30
    return +result


class Normal:
    name = "norm"
    lo, hi = D(3), D(4)

    @staticmethod
    def f(x):
        return (-x * x / 2).exp()

    @staticmethod
    def finv(y):
        return (-2 * y.ln()).sqrt()

    @staticmethod
    def tail(r):
        # integral_r^inf exp(-x^2/2) dx = sqrt(pi/2) erfc(r / sqrt 2)
        return (pi() / 2).sqrt() * erfc(r / D(2).sqrt())


class Exponential:
    name = "exp"
    lo, hi = D(6), D(9)

    @staticmethod
    def f(x):
        return (-x).exp()

    @staticmethod
    def finv(y):
        return -y.ln()

    @staticmethod
    def tail(r):
        return (-r).exp()


def chain(dist, r):
    """Edges for a trial r.  Returns (excess, x, fx, v): excess > 0 when the
    layers reach f = 1 too early (r too small), < 0 when they fall short."""
    v = r * dist.f(r) + dist.tail(r)
    x = [v / dist.f(r), r]
    fx = [dist.f(x[0]), dist.f(r)]
    for i in range(1, N - 1):
        y = fx[i] + v / x[i]
        if y >= 1:
            return D(1), x, fx, v
        x.append(dist.finv(y))
        fx.append(y)
    excess = fx[N - 1] + v / x[N - 1] - 1
    x.append(D(0))
    fx.append(D(1))
    return excess, x, fx, v


def solve(dist):
    lo, hi = dist.lo, dist.hi
    for _ in range(300):
        mid = (lo + hi) / 2
        if chain(dist, mid)[0] > 0:
            lo = mid
        else:
            hi = mid
    excess, x, fx, v = chain(dist, (lo + hi) / 2)
    assert abs(excess) < D(10) ** -60, excess
    return x, fx, v


def lit(d):
    return float(d).hex()


def emit(dist):
    x, fx, v = solve(dist)
    two53 = D(2) ** 53
    k = [int((two53 * x[i + 1] / x[i]).to_integral_value(rounding=decimal.ROUND_FLOOR))
         for i in range(N)]
    # w[i] = x[i] 2^-53, exact in binary: scale the rounded x by the power.
    w = [(float(x[i]) * 2.0 ** -53).hex() for i in range(N)]
    out = []
    p = "SL_ZIG_%s" % dist.name.upper()
    out.append("/* r = %s, v = %s */" % (format(x[1], ".30e"), format(v, ".30e")))
    out.append("#define %s_R %s" % (p, lit(x[1])))
    out.append("#define %s_V %s" % (p, lit(v)))
    out.append("static const uint64_t sl__zig_%s_k[%d] = {" % (dist.name, N))
    out.extend("    UINT64_C(%d)," % kk for kk in k)
    out.append("};")
    out.append("static const double sl__zig_%s_w[%d] = {" % (dist.name, N))
    out.extend("    %s," % ww for ww in w)
    out.append("};")
    out.append("static const double sl__zig_%s_f[%d] = {" % (dist.name, N + 1))
    out.extend("    %s," % lit(ff) for ff in fx)
    out.append("};")
    return "\n".join(out)


HEADER = """\
/*
 * Ziggurat tables for the standard normal and exponential samplers of
 * src/core/dist.c.  GENERATED by scripts/gen_ziggurat.py; do not edit.
 *
 * For each density f (exp(-x^2/2) and exp(-x), unnormalised) and N = 256
 * layers of equal area v with edges x[0] > x[1] = r > ... > x[N] = 0:
 * k[i] = floor(2^53 x[i+1] / x[i]), w[i] = x[i] 2^-53, f[i] = f(x[i]).
 * The values were computed to 100 digits and rounded once to double, so
 * they are the same on every machine.  tests/test_rng.c recomputes them.
 * Included by dist.c and by the test only: static, read-only, thread-safe.
 */
#ifndef SUANLI_ZIGGURAT_TABLES_H
#define SUANLI_ZIGGURAT_TABLES_H

#include <stdint.h>

#define SL_ZIG_LAYERS %d

/* clang-format off */
""" % N

FOOTER = """\
/* clang-format on */

#endif
"""


def main():
    print(HEADER + emit(Normal) + "\n\n" + emit(Exponential) + "\n" + FOOTER, end="")


if __name__ == "__main__":
    main()
