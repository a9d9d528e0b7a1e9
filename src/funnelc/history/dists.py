"""Maximum-likelihood fits of a duration (or amount) sample among the distributions the
language has: exponential, lognormal, gamma — and the sample's own quantiles
(`empirical`) when none of them fits.

Criterion, stated once: the parametric family with the lowest AIC (2k − 2 ln L; k = 1
for exp, 2 for lognormal and gamma) wins; if even the winner fails a one-sample
Kolmogorov–Smirnov test at the 1 % level on at least `EMPIRICAL_MIN_N` values, the
empirical distribution (`EMPIRICAL_POINTS` quantiles at (i + ½)/n) is used instead.
The KS p-values use parameters estimated from the same sample, so they are optimistic
(Lilliefors); they are printed as goodness of fit, not as proof.

The mean's 95 % confidence interval is asymptotic: mean ± 1.96 · sd / √n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Candidate", "DistFit", "fit_sample", "EMPIRICAL_MIN_N", "EMPIRICAL_POINTS",
           "KS_ALPHA", "FLOOR"]

EMPIRICAL_MIN_N = 50
EMPIRICAL_POINTS = 20
KS_ALPHA = 0.01
FLOOR = 1.0 / 60.0
"""Values below one minute (instant moves) are raised to it: lognormal and gamma live
on positive numbers."""


@dataclass
class Candidate:
    kind: str
    mean: float
    sd: float
    aic: float
    ks: float
    p: float


@dataclass
class DistFit:
    n: int
    kind: str
    """"exp", "lognormal", "gamma", "empirical" or "fixed" (one value, or all equal)."""
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    candidates: list[Candidate] = field(default_factory=list)
    points: list[float] = field(default_factory=list)
    """Values of an empirical fit."""
    ks: float = float("nan")
    p: float = float("nan")


def fit_sample(values: np.ndarray, floor: float = FLOOR) -> DistFit | None:
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return None
    x = np.maximum(x, floor)
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n) if n > 1 else 0.0
    if n < 2 or sd <= 1e-12 * max(mean, 1.0):
        return DistFit(n, "fixed" if n == 1 or sd == 0 else "exp", mean, sd,
                       mean - half, mean + half)
    cands: list[Candidate] = []
    # exponential: MLE scale = mean
    ll = float(np.sum(stats.expon.logpdf(x, scale=mean)))
    ks = stats.kstest(x, "expon", args=(0, mean))
    cands.append(Candidate("exp", mean, mean, 2 * 1 - 2 * ll, float(ks.statistic), float(ks.pvalue)))
    # lognormal: MLE of the log's mean and sd (ddof 0)
    lx = np.log(x)
    mu, sig = float(lx.mean()), float(lx.std())
    if sig > 0:
        ll = float(np.sum(stats.lognorm.logpdf(x, s=sig, scale=math.exp(mu))))
        ks = stats.kstest(x, "lognorm", args=(sig, 0, math.exp(mu)))
        m = math.exp(mu + sig * sig / 2)
        cands.append(Candidate("lognormal", m, m * math.sqrt(math.expm1(sig * sig)),
                               2 * 2 - 2 * ll, float(ks.statistic), float(ks.pvalue)))
    # gamma with location 0
    try:
        a, _, scale = stats.gamma.fit(x, floc=0)
        if a > 0 and scale > 0 and math.isfinite(a):
            ll = float(np.sum(stats.gamma.logpdf(x, a, scale=scale)))
            ks = stats.kstest(x, "gamma", args=(a, 0, scale))
            cands.append(Candidate("gamma", a * scale, math.sqrt(a) * scale, 2 * 2 - 2 * ll,
                                   float(ks.statistic), float(ks.pvalue)))
    except (ValueError, RuntimeError, FloatingPointError):
        pass
    cands = [c for c in cands if math.isfinite(c.aic)]
    best = min(cands, key=lambda c: c.aic)
    fit = DistFit(n, best.kind, best.mean, best.sd, mean - half, mean + half, cands,
                  ks=best.ks, p=best.p)
    if best.p < KS_ALPHA and n >= EMPIRICAL_MIN_N:
        k = EMPIRICAL_POINTS
        pts = np.quantile(x, (np.arange(k) + 0.5) / k)
        fit.kind, fit.points = "empirical", [float(v) for v in pts]
        fit.mean, fit.sd = float(np.mean(pts)), sd
    return fit
