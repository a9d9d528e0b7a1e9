"""Maximum-likelihood fits of a duration (or amount) sample among the distributions the
language has: exponential, lognormal, gamma — and the sample's own quantiles
(`empirical`) when none of them fits.

Criterion, stated once: the parametric family with the lowest AIC (2k − 2 ln L; k = 1
for exp, 2 for lognormal and gamma) wins; if even the winner fails a one-sample
Kolmogorov–Smirnov test at the 1 % level, or its mean lies outside the sample mean's
95 % interval (x̄ ± 1.96 s/√n), on at least `EMPIRICAL_MIN_N` values, the empirical
distribution (`EMPIRICAL_POINTS` quantiles at (i + ½)/n: few enough to read) is used
instead. The KS p-values use parameters estimated from the same sample, so they
are optimistic (Lilliefors); they are printed as goodness of fit, not as proof.

The 95 % interval of the mean is the winning family's own, so it always contains the
mean that is written: exact χ² for exp (2n·x̄/χ²), Cox's interval for lognormal,
profile likelihood for gamma; for `empirical` and `fixed` mean ± 1.96 sd/√n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = ["Candidate", "DistFit", "fit_sample", "fit_truncated", "beyond_share",
           "mean_interval", "EMPIRICAL_MIN_N",
           "EMPIRICAL_POINTS", "KS_ALPHA", "FLOOR"]

EMPIRICAL_MIN_N = 50
EMPIRICAL_POINTS = 9
KS_ALPHA = 0.01
FLOOR = 1.0 / 60.0
"""Values below one minute (instant moves) are raised to it: lognormal and gamma live
on positive numbers."""
Z95 = 1.959963984540054
NO_DENSITY = -1e300
"""The truncated fit's log-likelihood where a family gives some value no density (or
its cut no probability): finite, so the optimisers can move away from it."""


@dataclass
class Candidate:
    kind: str
    mean: float
    sd: float
    aic: float
    ks: float
    p: float
    distance: float = float("nan")
    """Calibration distance (`calibrate.distance`) when the candidate was calibrated
    through the simulator rather than fitted by likelihood; NaN otherwise."""


@dataclass
class DistFit:
    n: int
    kind: str
    """"exp", "lognormal", "gamma", "empirical", "fixed" (one value, or all equal) or
    "none" (calibration found no delay: the time in stage is all wait and work)."""
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    candidates: list[Candidate] = field(default_factory=list)
    points: list[float] = field(default_factory=list)
    """Values of an empirical fit."""
    ks: float = float("nan")
    p: float = float("nan")
    method: str = "likelihood"
    """"likelihood" (fitted to the sample), "calibrated" (through the simulator, net of
    queue waits and work: `calibrate`), "picked up" (from the pick-up times the
    history carries) or "cut" (fitted as cut at each visit's age at the end of the
    history, deals still leaving then: `fit.fit_delay`)."""
    distance: float = float("nan")
    """Calibration distance of the chosen fit (NaN for a likelihood fit)."""
    beyond: float = 0.0
    """Share of the delay, as fitted, past the deadlines that cut the sample
    (`fit_truncated`: an SLA's, or the end of the history for a "cut" fit): what the
    data did not show and the family's tail supplies."""


def _gamma_profile(x: np.ndarray, mean: float) -> tuple[float, float]:
    """95 % profile-likelihood interval of a gamma's mean: the means whose likelihood,
    maximised over the shape, is within χ²₁(0.95)/2 of the maximum."""
    from scipy import optimize, special

    n, slog = len(x), float(np.sum(np.log(x)))
    sx = float(np.sum(x))

    def ll(mu: float, a: float) -> float:
        return float(n * (a * math.log(a / mu) - special.gammaln(a)) + (a - 1) * slog
                     - a * sx / mu)

    def prof(mu: float) -> float:
        r = optimize.minimize_scalar(lambda la: -ll(mu, math.exp(la)), bounds=(-12, 12),
                                     method="bounded")
        return -float(r.fun)

    top = prof(mean)
    cut = 3.841458820694124 / 2

    def gap(mu: float) -> float:
        return top - prof(mu) - cut

    lo, hi = mean, mean
    try:
        step = mean
        low_end = mean
        while gap(low_end) < 0 and low_end > mean * 1e-6:
            low_end /= 2
        if gap(low_end) > 0:
            lo = optimize.brentq(gap, low_end, mean, xtol=mean * 1e-6)
        high_end = mean + step
        while gap(high_end) < 0 and high_end < mean * 1e6:
            high_end *= 2
        if gap(high_end) > 0:
            hi = optimize.brentq(gap, mean, high_end, xtol=mean * 1e-6)
    except (ValueError, RuntimeError, FloatingPointError):
        half = Z95 * float(np.std(x, ddof=1)) / math.sqrt(n)
        return mean - half, mean + half
    return min(lo, mean), max(hi, mean)


def mean_interval(kind: str, x: np.ndarray, mean: float, sd: float) -> tuple[float, float]:
    """95 % interval of the mean of `x` under the fitted `kind` (see the module's note);
    always contains `mean`."""
    from scipy import stats

    n = len(x)
    if n < 2:
        return mean, mean
    if kind == "exp":
        s = 2 * n * mean
        return (float(s / stats.chi2.ppf(0.975, 2 * n)), float(s / stats.chi2.ppf(0.025, 2 * n)))
    if kind == "lognormal":
        lx = np.log(x)
        s2 = float(lx.var(ddof=1))
        half = Z95 * math.sqrt(s2 / n + s2 * s2 / (2 * (n - 1)))
        return mean * math.exp(-half), mean * math.exp(half)
    if kind == "gamma":
        return _gamma_profile(x, mean)
    half = Z95 * sd / math.sqrt(n)
    return mean - half, mean + half


def fit_sample(values: np.ndarray, floor: float = FLOOR) -> DistFit | None:
    """The best of exp, lognormal and gamma by AIC, or `empirical` when it fails KS.

    The sample is tested as it is: only the likelihoods (lognormal and gamma live on
    positive numbers) read values under `floor` as `floor`. Tested raised, a truly
    exponential `work exp(30m)` failed KS (D = 0.033, exactly its share under a minute,
    p = 2e-8) and was written as `empirical`. An `empirical` fit's points are the means
    of the sample's equal ninths, so the simulated mean is the sample's: the midpoints of
    the ninths read an exponential's mean 3.8 % low, outside its own interval."""
    from scipy import stats

    raw = np.asarray(values, dtype=float)
    raw = np.maximum(raw[np.isfinite(raw)], 0.0)
    n = len(raw)
    if n == 0:
        return None
    x = np.maximum(raw, floor)
    mean = float(raw.mean())
    sd = float(raw.std(ddof=1)) if n > 1 else 0.0
    if n < 2 or sd <= 1e-6 * mean:
        # One value, or all equal but for the rounding of timestamps to microseconds.
        kind = "fixed"
        lo, hi = mean_interval(kind, raw, mean, sd)
        return DistFit(n, kind, mean, sd, lo, hi)
    cands: list[Candidate] = []
    # Values under the floor enter the likelihoods as "under the floor" (left-censored),
    # not as the floor itself: read as exact, a minute's pile of them made gamma beat an
    # exponential it fitted worse (AIC 4998 against 5011, KS p 0.002 against 0.34).
    below = raw < floor
    above, n_below = x[~below], int(below.sum())

    def loglik(dist: _Frozen) -> float:
        return float(np.sum(dist.logpdf(above))) + n_below * float(dist.logcdf(np.array([floor]))[0])

    # exponential: MLE scale = mean
    ll = loglik(_Fixed(stats.expon, (), mean))
    ks = stats.kstest(raw, "expon", args=(0, mean))
    cands.append(Candidate("exp", mean, mean, 2 * 1 - 2 * ll, float(ks.statistic), float(ks.pvalue)))
    # lognormal: MLE of the log's mean and sd (ddof 0)
    lx = np.log(x)
    mu, sig = float(lx.mean()), float(lx.std())
    if sig > 0:
        ll = loglik(_Fixed(stats.lognorm, (sig,), math.exp(mu)))
        ks = stats.kstest(raw, "lognorm", args=(sig, 0, math.exp(mu)))
        m = math.exp(mu + sig * sig / 2)
        cands.append(Candidate("lognormal", m, m * math.sqrt(math.expm1(sig * sig)),
                               2 * 2 - 2 * ll, float(ks.statistic), float(ks.pvalue)))
    # gamma with location 0
    try:
        a, _, scale = stats.gamma.fit(x, floc=0)
        if a > 0 and scale > 0 and math.isfinite(a):
            ll = loglik(_Fixed(stats.gamma, (a,), scale))
            ks = stats.kstest(raw, "gamma", args=(a, 0, scale))
            cands.append(Candidate("gamma", a * scale, math.sqrt(a) * scale, 2 * 2 - 2 * ll,
                                   float(ks.statistic), float(ks.pvalue)))
    except (ValueError, RuntimeError, FloatingPointError):
        pass
    cands = [c for c in cands if math.isfinite(c.aic)]
    best = min(cands, key=lambda c: c.aic)
    fit = DistFit(n, best.kind, best.mean, best.sd, 0.0, 0.0, cands, ks=best.ks, p=best.p)
    # KS reads the body of the distribution; a family can pass it and still miss the
    # sample's mean by its tail (a stage's time in stage, a mix of three routes' 6 h,
    # 24 h and 72 h, passed as a lognormal of mean 29.1 h for the 26.7 h of its 2 333
    # times): where the family's mean lies outside the sample mean's 95 % interval,
    # the sample's own quantiles are used, as on a failed KS.
    misses_mean = abs(best.mean - mean) > Z95 * sd / math.sqrt(n)
    if (best.p < KS_ALPHA or misses_mean) and n >= EMPIRICAL_MIN_N:
        ninths = np.array_split(np.sort(raw), EMPIRICAL_POINTS)
        fit.kind, fit.points = "empirical", [float(part.mean()) for part in ninths]
        fit.mean, fit.sd = mean, sd
    fit.ci_low, fit.ci_high = mean_interval(fit.kind, x if fit.kind in ("lognormal", "gamma")
                                            else raw, fit.mean, fit.sd)
    return fit


def fit_truncated(values: np.ndarray, cuts: np.ndarray) -> DistFit | None:
    """Maximum-likelihood fit of a delay seen only when it ended before its own cut
    (`values[i] < cuts[i]`: an SLA took the deals whose delay outlasted it, and they are
    not in the sample): each value's likelihood is f(a)/F(c). Families exp, gamma and
    lognormal, the lowest AIC wins (there is no `empirical` here: the quantiles of a
    cut sample are not the delay's). The mean's 95 % interval: exact profile likelihood
    for exp; for gamma and lognormal from the curvature of the log-likelihood in
    (log mean, log cv), mean·exp(±1.96·sd) — either way it contains the mean."""
    from scipy import optimize

    x = np.asarray(values, dtype=float)
    c = np.asarray(cuts, dtype=float)
    ok = np.isfinite(x)
    x, c = np.maximum(x[ok], FLOOR), np.maximum(c[ok], FLOOR * 1.01)
    n = len(x)
    if n > TRUNCATED_MAX:
        # The likelihood of a random 5 000 pins a mean to ~1.4 % (exp); every extra
        # deal costs a gamma CDF per evaluation, hundreds of them.
        pick = np.random.default_rng(n).choice(n, TRUNCATED_MAX, replace=False)
        x, c = x[pick], c[pick]
    if n < 2:
        return fit_sample(x)
    cuts = c[np.isfinite(c)]

    def ll(kind: str, lm: float, lcv: float) -> float:
        dist = _frozen(kind, lm, lcv)
        v = float(np.sum(dist.logpdf(x)))
        if len(cuts):
            v -= float(np.sum(dist.logcdf(cuts)))
        return v if math.isfinite(v) else NO_DENSITY

    m0 = float(x.mean())
    lo, hi = math.log(m0 / 100), math.log(m0 * 100)
    r = optimize.minimize_scalar(lambda lm: -ll("exp", lm, 0.0), bounds=(lo, hi),
                                 method="bounded", options={"xatol": 1e-5})
    best = {"exp": (float(r.x), 0.0, -float(r.fun))}
    cv0 = math.log(max(float(x.std()) / m0, 0.05))
    for kind in ("gamma", "lognormal"):
        lm0 = best["exp"][0]
        if ll(kind, lm0, cv0) <= NO_DENSITY:
            # Values bunched well inside their cuts look flat to exp, whose mean then runs
            # to the search's bound; a narrow family there gives the data no density and
            # Nelder-Mead would never leave that plateau. The sample's mean is a start it
            # can climb from.
            lm0 = math.log(m0)
        r2 = optimize.minimize(lambda p, k=kind: -ll(k, p[0], p[1]), np.array([lm0, cv0]),
                               method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6,
                                                              "maxiter": 400})
        if -float(r2.fun) > NO_DENSITY:
            # A family that found no density anywhere is no candidate: its AIC would be
            # the sentinel's, a number no report can print.
            best[kind] = (float(r2.x[0]), float(min(max(r2.x[1], -4.0), 2.0)), -float(r2.fun))
    aic = {k: 2 * (1 if k == "exp" else 2) - 2 * v[2] for k, v in best.items()}
    kind = min(aic, key=aic.__getitem__)
    if kind != "exp" and beyond_share(kind, *best[kind][:2], c) > HIDDEN \
            and aic[kind] > aic["exp"] - STRONG:
        # A tail the deadlines hide is the family's guess: a heavier one than exp's
        # needs strong evidence, not a slightly better fit of the part that is seen.
        kind = "exp"
    lm, lcv, top = best[kind]
    mean = math.exp(lm)
    cands = [Candidate(k, math.exp(v[0]), math.exp(v[0]) * (1.0 if k == "exp" else math.exp(v[1])),
                       aic[k], float("nan"), float("nan")) for k, v in best.items()]
    if kind == "exp":
        gap = lambda z: top - ll("exp", z, 0.0) - 3.841458820694124 / 2  # noqa: E731
        try:
            low = math.exp(optimize.brentq(gap, lo, lm)) if gap(lo) > 0 else 0.0
            high = math.exp(optimize.brentq(gap, lm, hi)) if gap(hi) > 0 else math.inf
        except (ValueError, RuntimeError):
            low, high = mean, mean
        sd = mean
    else:
        h = 1e-3
        f = lambda a, b: ll(kind, a, b)  # noqa: E731
        d00 = (f(lm + h, lcv) - 2 * top + f(lm - h, lcv)) / h ** 2
        d11 = (f(lm, lcv + h) - 2 * top + f(lm, lcv - h)) / h ** 2
        d01 = (f(lm + h, lcv + h) - f(lm + h, lcv - h) - f(lm - h, lcv + h)
               + f(lm - h, lcv - h)) / (4 * h * h)
        det = d00 * d11 - d01 * d01
        var = -d11 / det if det > 0 and d00 < 0 else math.inf
        half = Z95 * math.sqrt(var) if var > 0 else math.inf
        # A flat likelihood (a cut sample that pins nothing) gives a half-width whose
        # exponential overflows: no bound, as an infinite one.
        low, high = (mean * math.exp(-half), mean * math.exp(half)) if half < 700.0 \
            else (0.0, math.inf)
        sd = mean * math.exp(lcv)
    beyond = beyond_share(kind, lm, lcv, c)
    if beyond > HIDDEN:
        # The mean rests on a tail nobody saw: it is at least the mean of what was
        # seen, and the data cannot bound it from above.
        low, high = min(low, float(x.mean())), math.inf
    return DistFit(n, kind, mean, sd, min(low, mean), max(high, mean), cands,
                   method="picked up", beyond=beyond)


TRUNCATED_MAX = 5000
"""Deals a truncated fit uses at most (a random subset beyond)."""
HIDDEN = 0.05
"""A cut delay with more than this share of it (as fitted) past the deadlines has a mean
the data cannot bound from above."""
STRONG = 10.0
"""AIC lead a family with a heavier hidden tail than exp's needs (`fit_truncated`)."""


class _Frozen(Protocol):
    """What is read of a frozen scipy distribution (scipy has no type hints)."""

    def logpdf(self, x: np.ndarray) -> np.ndarray: ...
    def logcdf(self, x: np.ndarray) -> np.ndarray: ...
    def sf(self, x: np.ndarray) -> np.ndarray: ...


class _Family(Protocol):
    """What is read of a scipy distribution (`stats.gamma`, …): its methods with the
    shape and scale given on each call."""

    def logpdf(self, x: np.ndarray, *args: float, scale: float) -> np.ndarray: ...
    def logcdf(self, x: np.ndarray, *args: float, scale: float) -> np.ndarray: ...
    def sf(self, x: np.ndarray, *args: float, scale: float) -> np.ndarray: ...


class _Fixed:
    """A scipy distribution with its parameters fixed, as `stats.gamma(a, scale=s)`
    freezes it: each method is the distribution's own called with those parameters,
    which is all a frozen distribution does, but without the new distribution object
    scipy builds to freeze one (~0.6 ms; the truncated fit's optimisers ask for hundreds,
    which was a tenth of a fit of picked-up times)."""

    __slots__ = ("family", "shape", "scale")

    def __init__(self, family: _Family, shape: tuple[float, ...], scale: float) -> None:
        self.family, self.shape, self.scale = family, shape, scale

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return self.family.logpdf(x, *self.shape, scale=self.scale)

    def logcdf(self, x: np.ndarray) -> np.ndarray:
        return self.family.logcdf(x, *self.shape, scale=self.scale)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return self.family.sf(x, *self.shape, scale=self.scale)


def _frozen(kind: str, lm: float, lcv: float) -> _Frozen:
    from scipy import stats

    # An optimiser walking a flat likelihood can ask for any log mean: past e^700 a
    # float overflows, and no delay is that long.
    mean, cv = math.exp(min(lm, 700.0)), math.exp(min(max(lcv, -4.0), 2.0))
    if kind == "exp":
        return _Fixed(stats.expon, (), mean)
    if kind == "gamma":
        a = 1.0 / (cv * cv)
        return _Fixed(stats.gamma, (a,), mean / a)
    s2 = math.log1p(cv * cv)
    return _Fixed(stats.lognorm, (math.sqrt(s2),), mean * math.exp(-s2 / 2))


def beyond_share(kind: str, lm: float, lcv: float, cuts: np.ndarray) -> float:
    """Mean share of the delay (family, log mean, log cv) past each deal's cut."""
    fin = cuts[np.isfinite(cuts)]
    if not len(fin):
        return 0.0
    dist = _frozen(kind, lm, lcv)
    return float(np.sum(dist.sf(fin))) / len(cuts)
