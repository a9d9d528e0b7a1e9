"""Confidence intervals over independent replications (Student t)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

from .results import Estimate

__all__ = ["t_quantile", "estimate", "finite"]


def _t_cdf(t: float, nu: int) -> float:
    """Student t CDF for a whole number of degrees of freedom, by the exact finite series
    in theta = atan(t / sqrt(nu)) (Abramowitz & Stegun 26.7.3/26.7.4): no scipy import,
    which would cost half a second of CLI start-up for one number."""
    theta = math.atan(t / math.sqrt(nu))
    c2 = math.cos(theta) ** 2
    if nu % 2 == 1:
        term, acc = 1.0, 1.0 if nu > 1 else 0.0
        for k in range(1, (nu - 3) // 2 + 1):
            term *= c2 * (2 * k) / (2 * k + 1)
            acc += term
        inner = theta + (math.sin(theta) * math.cos(theta) * acc if nu > 1 else 0.0)
        a = 2.0 / math.pi * inner
    else:
        term, acc = 1.0, 1.0
        for k in range(1, (nu - 2) // 2 + 1):
            term *= c2 * (2 * k - 1) / (2 * k)
            acc += term
        a = math.sin(theta) * acc
    return 0.5 + 0.5 * a


@lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with df (a whole number >= 1) degrees of freedom."""
    if not 0.0 < p < 1.0 or df < 1:
        raise ValueError(f"t quantile needs 0 < p < 1 and df >= 1, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def finite(values: Iterable[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def estimate(values: Iterable[float], level: float = 0.95) -> Estimate:
    """Mean, t half-width, sd and n of the finite values (NaN marks "no value in that
    replication", e.g. no deal left the stage)."""
    xs = finite(values)
    n = len(xs)
    if n == 0:
        return Estimate(mean=None, ci95=None, sd=None, n=0)
    mean = math.fsum(xs) / n
    if n == 1:
        return Estimate(mean=mean, ci95=None, sd=None, n=1)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return Estimate(mean=mean, ci95=half, sd=sd, n=n)
