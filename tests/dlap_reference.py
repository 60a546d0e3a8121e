#!/usr/bin/env python3
# dlap_reference.py - the exact samplers of Canonne, Kamath and Steinke
# (2020), "The Discrete Gaussian for Differential Privacy": Bernoulli(exp(-x))
# (Algorithm 1 and its extension to x > 1) and the discrete Laplace
# (Algorithm 2), in Python's exact rationals, consuming uniform draws in the
# order of the authors' published reference code.  The randomness is a
# scripted list: the i-th draw below m is values[i] % m.  tests/test_dlap.c
# runs this and compares its output with src/lib/dlap.c fed the same list.
#
# usage: dlap_reference.py bexp|dlap NUM DEN COUNT VALUE...
# prints two lines: the COUNT samples, then the bound m of every draw made.

import sys
from fractions import Fraction


class Script:
    def __init__(self, values):
        self.values = values
        self.used = 0
        self.bounds = []

    def uniform(self, m):
        assert isinstance(m, int) and m > 0
        if self.used >= len(self.values):
            raise SystemExit("scripted values ran out")
        v = self.values[self.used] % m
        self.used += 1
        self.bounds.append(m)
        return v


def bernoulli(p, src):
    # Bernoulli(p) for a rational p in [0, 1]: one draw below p's denominator.
    assert isinstance(p, Fraction) and 0 <= p <= 1
    return 1 if src.uniform(p.denominator) < p.numerator else 0


def bernoulli_exp1(x, src):
    # Algorithm 1, x in [0, 1]: K is the first k with Bernoulli(x/k) = 0;
    # P(K odd) = exp(-x).
    assert isinstance(x, Fraction) and 0 <= x <= 1
    k = 1
    while bernoulli(x / k, src) == 1:
        k += 1
    return k % 2


def bernoulli_exp(x, src):
    # exp(-x) = exp(-1)^floor(x) * exp(-(x - floor(x))), stopping at a 0.
    assert isinstance(x, Fraction) and x >= 0
    while x > 1:
        if bernoulli_exp1(Fraction(1), src) == 0:
            return 0
        x -= 1
    return bernoulli_exp1(x, src)


def geometric_exp1(src):
    # Successes of Bernoulli(exp(-1)) before the first failure.
    v = 0
    while bernoulli_exp(Fraction(1), src) == 1:
        v += 1
    return v


def geometric_exp(x, src):
    # Geometric with P(y) proportional to exp(-x y), x = r/s in lowest terms.
    s, r = x.denominator, x.numerator
    while True:
        u = src.uniform(s)
        if bernoulli_exp(Fraction(u, s), src) == 1:
            break
    v = geometric_exp1(src)
    return (u + s * v) // r


def dlaplace(scale, src):
    # Algorithm 2: the sign first, then the magnitude; a negative zero is
    # rejected so that 0 is not counted twice.
    assert isinstance(scale, Fraction) and scale > 0
    while True:
        neg = bernoulli(Fraction(1, 2), src)
        mag = geometric_exp(1 / scale, src)
        if neg == 1 and mag == 0:
            continue
        return -mag if neg else mag


def main(argv):
    if len(argv) < 5 or argv[1] not in ("bexp", "dlap"):
        raise SystemExit("usage: dlap_reference.py bexp|dlap NUM DEN COUNT VALUE...")
    param = Fraction(int(argv[2]), int(argv[3]))
    count = int(argv[4])
    src = Script([int(v) for v in argv[5:]])
    draw = bernoulli_exp if argv[1] == "bexp" else dlaplace
    samples = [draw(param, src) for _ in range(count)]
    print(" ".join(str(x) for x in samples))
    print(" ".join(str(m) for m in src.bounds))


if __name__ == "__main__":
    main(sys.argv)
