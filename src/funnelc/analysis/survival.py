"""Tail and truncated mean of the language's distributions, in closed form.

An SLA is a hard cap on time in stage: a deal whose `after` delay runs past it leaves by
the SLA instead of its outcome. The exact maths needs P(X > x) for that share and
E[min(X, x)] = ∫₀ˣ P(X > u) du to average it over an SLA whose wall-clock length varies
(a working calendar). Parameters are the ones the author writes (means and standard
deviations), converted exactly as the simulator's samplers do (`sim/dists.py`), values
clipped at zero as the simulator clips them. Pure Python: `math.erfc` for the lognormal,
a series / continued fraction for the gamma's incomplete gamma function.
"""

from __future__ import annotations

import math

from .. import model as m

__all__ = ["survival", "truncated_mean", "integrated_truncated_mean", "partial_second_moment",
           "regularized_gamma_p"]


def regularized_gamma_p(a: float, x: float) -> float:
    """P(a, x) = γ(a, x)/Γ(a): series below a + 1, Lentz continued fraction above
    (Numerical Recipes §6.2), to about 1e-15."""
    if x <= 0.0:
        return 0.0
    log_pref = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        ap = a
        for _ in range(100_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return min(1.0, total * math.exp(log_pref))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return max(0.0, 1.0 - math.exp(log_pref) * h)


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of the log of a lognormal written by its mean and sd."""
    s2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - s2 / 2.0, math.sqrt(s2)


def gamma_params(mean: float, sd: float) -> tuple[float, float]:
    """(shape, scale) of a gamma written by its mean and sd."""
    return (mean / sd) ** 2, sd * sd / mean


def survival(dist: m.Dist | None, x: float) -> float:
    """P(X > x) for a duration distribution (None: always 0)."""
    if dist is None:
        return 1.0 if x < 0 else 0.0
    if x < 0:
        return 1.0
    a = [q.value for q in dist.args]
    kind = dist.kind
    if kind == "fixed":
        return 1.0 if max(a[0], 0.0) > x else 0.0
    if kind == "exp":
        return math.exp(-x / a[0]) if a[0] > 0 else 0.0
    if kind == "uniform":
        lo, hi = a[0], a[1]
        if hi <= lo:
            return 1.0 if max(lo, 0.0) > x else 0.0
        return min(1.0, max(0.0, (hi - x) / (hi - lo)))
    if kind == "triangular":
        lo, mode, hi = a[0], min(max(a[1], a[0]), a[2]), a[2]
        if hi <= lo:
            return 1.0 if max(lo, 0.0) > x else 0.0
        if x <= lo:
            return 1.0
        if x >= hi:
            return 0.0
        if x <= mode:
            return 1.0 - (x - lo) ** 2 / ((hi - lo) * (mode - lo))
        return (hi - x) ** 2 / ((hi - lo) * (hi - mode))
    if kind == "lognormal":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return 1.0 if max(mean, 0.0) > x else 0.0
        if x == 0:
            return 1.0
        mu, sigma = lognormal_params(mean, sd)
        return 0.5 * math.erfc((math.log(x) - mu) / (sigma * math.sqrt(2.0)))
    if kind == "gamma":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return 1.0 if max(mean, 0.0) > x else 0.0
        shape, scale = gamma_params(mean, sd)
        return 1.0 - regularized_gamma_p(shape, x / scale)
    if kind == "empirical":
        return sum(1 for v in a if max(v, 0.0) > x) / len(a)
    raise ValueError(f"unknown distribution kind {kind!r}")


def truncated_mean(dist: m.Dist | None, x: float) -> float:
    """E[min(X, x)] = ∫₀ˣ P(X > u) du, for x ≥ 0."""
    if dist is None or x <= 0:
        return 0.0
    a = [q.value for q in dist.args]
    kind = dist.kind
    if kind == "fixed":
        return min(max(a[0], 0.0), x)
    if kind == "exp":
        return a[0] * -math.expm1(-x / a[0]) if a[0] > 0 else 0.0
    if kind == "uniform":
        lo, hi = a[0], a[1]
        if hi <= lo:
            return min(max(lo, 0.0), x)
        return _integrate_piecewise_uniform(lo, hi, x)
    if kind == "triangular":
        lo, mode, hi = a[0], min(max(a[1], a[0]), a[2]), a[2]
        if hi <= lo:
            return min(max(lo, 0.0), x)
        return _triangular_truncated_mean(lo, mode, hi, x)
    if kind == "lognormal":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return min(max(mean, 0.0), x)
        mu, sigma = lognormal_params(mean, sd)
        z = (math.log(x) - mu) / sigma
        return mean * _phi(z - sigma) + x * survival(dist, x)
    if kind == "gamma":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return min(max(mean, 0.0), x)
        shape, scale = gamma_params(mean, sd)
        return mean * regularized_gamma_p(shape + 1.0, x / scale) + x * survival(dist, x)
    if kind == "empirical":
        return sum(min(max(v, 0.0), x) for v in a) / len(a)
    raise ValueError(f"unknown distribution kind {kind!r}")


def _integrate_piecewise_uniform(lo: float, hi: float, x: float) -> float:
    """∫₀ˣ P(max(U, 0) > u) du for U uniform on (lo, hi): 1 up to lo, then linear."""
    total = 0.0
    start = max(lo, 0.0)
    total += min(x, start)
    if x > start and hi > start:
        top = min(x, hi)
        # P = (hi - u)/(hi - lo) on [start, top]
        total += ((hi - start) ** 2 - (hi - top) ** 2) / (2.0 * (hi - lo))
    return total


def _triangular_truncated_mean(lo: float, mode: float, hi: float, x: float) -> float:
    """∫₀ˣ P(max(T, 0) > u) du, integrating the two quadratic pieces of the tail."""
    total = min(x, max(lo, 0.0))
    w = (hi - lo)

    def upper_part(u0: float, u1: float) -> float:  # ∫ (hi-u)²/(w(hi-mode)) du
        return ((hi - u0) ** 3 - (hi - u1) ** 3) / (3.0 * w * (hi - mode))

    def lower_part(u0: float, u1: float) -> float:  # ∫ 1 - (u-lo)²/(w(mode-lo)) du
        return (u1 - u0) - ((u1 - lo) ** 3 - (u0 - lo) ** 3) / (3.0 * w * (mode - lo))

    start = max(lo, 0.0)
    if x > start and mode > start:
        total += lower_part(start, min(x, mode))
    s2 = max(mode, 0.0)
    if x > s2 and hi > s2:
        total += upper_part(s2, min(x, hi))
    return total


def partial_second_moment(dist: m.Dist | None, x: float) -> float:
    """E[X²; X ≤ x] (X clipped at zero, as sampled)."""
    if dist is None or x <= 0:
        return 0.0
    a = [q.value for q in dist.args]
    kind = dist.kind

    def point(v: float) -> float:
        v = max(v, 0.0)
        return v * v if v <= x else 0.0

    if kind == "fixed":
        return point(a[0])
    if kind == "exp":
        return 2.0 * a[0] * a[0] * regularized_gamma_p(3.0, x / a[0]) if a[0] > 0 else 0.0
    if kind == "uniform":
        lo, hi = a[0], a[1]
        if hi <= lo:
            return point(lo)
        u0, u1 = max(lo, 0.0), min(hi, x)
        return (u1 ** 3 - u0 ** 3) / (3.0 * (hi - lo)) if u1 > u0 else 0.0
    if kind == "triangular":
        lo, mode, hi = a[0], min(max(a[1], a[0]), a[2]), a[2]
        if hi <= lo:
            return point(lo)
        w = hi - lo
        total = 0.0
        u0, u1 = max(lo, 0.0), min(mode, x)
        if u1 > u0:  # density 2(u − lo)/(w(mode − lo))
            def rise(u: float) -> float:
                return u ** 4 / 4.0 - lo * u ** 3 / 3.0
            total += 2.0 * (rise(u1) - rise(u0)) / (w * (mode - lo))
        u0, u1 = max(mode, 0.0), min(hi, x)
        if u1 > u0:  # density 2(hi − u)/(w(hi − mode))
            def fall(u: float) -> float:
                return hi * u ** 3 / 3.0 - u ** 4 / 4.0
            total += 2.0 * (fall(u1) - fall(u0)) / (w * (hi - mode))
        return total
    if kind == "lognormal":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return point(mean)
        mu, sigma = lognormal_params(mean, sd)
        return math.exp(2 * mu + 2 * sigma * sigma) * _phi((math.log(x) - mu - 2 * sigma * sigma)
                                                           / sigma)
    if kind == "gamma":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return point(mean)
        shape, scale = gamma_params(mean, sd)
        return scale * scale * shape * (shape + 1.0) * regularized_gamma_p(shape + 2.0, x / scale)
    if kind == "empirical":
        return sum(point(v) for v in a) / len(a)
    raise ValueError(f"unknown distribution kind {kind!r}")


def integrated_truncated_mean(dist: m.Dist | None, x: float) -> float:
    """∫₀ˣ E[min(X, u)] du = x·E[min(X, x)] − x²·P(X > x)/2 − E[X²; X ≤ x]/2: averaging a
    capped delay over an SLA whose length is spread uniformly, in closed form."""
    if dist is None or x <= 0:
        return 0.0
    return (x * truncated_mean(dist, x) - x * x * survival(dist, x) / 2.0
            - partial_second_moment(dist, x) / 2.0)
