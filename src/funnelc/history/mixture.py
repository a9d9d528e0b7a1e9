"""A stage's ways out and their delays fitted together, the deals still open counted.

The language's model of a stage is a mixture of competing ways out: way k is taken with
probability p_k, after a delay drawn from its own distribution F_k (docs/semantics.md).
A deal that left by way k after t contributes p_k f_k(t) to the likelihood; a deal
still open at age a contributes Σ_k p_k S_k(a), S = 1 − F (the mixture model of
competing risks: Larson & Dinse, *Biometrics* 41, 1985). Maximised over the shares and
the delays together, an open deal counts for each way by how likely that way still was
at its age (p_k S_k(a) / Σ_j p_j S_j(a)): a young deal for the slow ways more than for
the quick ones, which it has mostly outlived. Sharing the open deals out as the deals
that had already left did (what `fit` did for a stage without `stay`) reads the quick
ways too large: a campaign's 400 deals in the last 5 of 40 days, 30 % lost after
exp(1 d) and 70 % won after 4–10 days, read lost 70.5 %.

Each way's family is the one `fit` picked for its delay (exp, lognormal or gamma; the
lowest-AIC family when it printed the sample's quantiles); the exits enter through their
sufficient statistics, so a way of 10⁵ exits costs no more than one of 100. The
intervals are the delta method's over the observed information (a numerical Hessian of
the log-likelihood), as Wilson's at the sample size that variance amounts to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dists import FLOOR
from .stats import wilson

__all__ = ["WayData", "MixtureFit", "fit_mixture", "OPEN_MAX"]

OPEN_MAX = 1000
"""Open deals read one by one at most; beyond, their ages are grouped into this many
quantile bins (each at its mean age, weighted by its deals)."""

NOTHING = 1e-4
"""A share below this is read as none: its logit, run far down a flat likelihood, has no
curvature to read, and its interval is Wilson's at the others' sample size."""

LCV = (-4.0, 2.0)
"""Bounds of a family's log coefficient of variation (as `dists._frozen` clamps it)."""


@dataclass(frozen=True)
class WayData:
    kind: str
    """"exp", "lognormal" or "gamma"; "stay" for the deals that never leave (no exits,
    S = 1 at every age: the cure fraction of the mixture)."""
    times: np.ndarray
    """Hours in stage of the visits that left this way."""


@dataclass(frozen=True)
class MixtureFit:
    shares: list[float]
    """p_k per way, in the order given; they add up to 1."""
    low: list[float]
    high: list[float]
    means: list[float]
    """Each way's fitted mean delay (hours)."""
    unseen: list[float]
    """Each way's fitted share of its delay past the oldest visit's age: what the data
    never watched and the family's tail supplies."""
    effective: float
    """The sample size the shares are worth (the smallest over the ways, p(1 − p)/var)."""
    converged: bool


def _log_sf(kind: str, lm: float, lcv: float, t: np.ndarray) -> np.ndarray:
    from scipy import special

    if kind == "stay":
        return np.zeros(t.size)
    if kind == "exp":
        return -t / math.exp(lm)
    cv2 = math.exp(2 * lcv)
    if kind == "gamma":
        a = 1.0 / cv2
        q = special.gammaincc(a, t * a / math.exp(lm))
        return np.log(np.maximum(q, 1e-300))
    s2 = math.log1p(cv2)
    z = (np.log(np.maximum(t, FLOOR)) - (lm - s2 / 2)) / math.sqrt(s2)
    return np.asarray(special.log_ndtr(-z), dtype=float)


def _exits_ll(kind: str, lm: float, lcv: float, n: int, s1: float, sl: float,
              sl2: float) -> float:
    """Σ log f over a way's exits from their statistics: n, Σ t, Σ log t, Σ (log t)²."""
    from scipy import special

    if n == 0:
        return 0.0
    if kind == "exp":
        return -n * lm - s1 / math.exp(lm)
    cv2 = math.exp(2 * lcv)
    if kind == "gamma":
        a = 1.0 / cv2
        theta = math.exp(lm) / a
        return float((a - 1) * sl - s1 / theta - n * (special.gammaln(a) + a * math.log(theta)))
    s2 = math.log1p(cv2)
    m = lm - s2 / 2
    return (-sl - n * 0.5 * math.log(2 * math.pi * s2)
            - (sl2 - 2 * m * sl + n * m * m) / (2 * s2))


def _open_groups(ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.sort(np.maximum(np.asarray(ages, dtype=float), FLOOR))
    if a.size <= OPEN_MAX:
        return a, np.ones(a.size)
    parts = np.array_split(a, OPEN_MAX)
    return (np.array([float(p.mean()) for p in parts]),
            np.array([float(p.size) for p in parts]))


def fit_mixture(ways: list[WayData], open_ages: np.ndarray, start: list[float],
                oldest: float) -> MixtureFit | None:
    """The maximum-likelihood shares and delays of `ways` (each with at least one exit,
    but "stay")
    with the deals still open at `open_ages` (hours). `start`: shares to start from
    (the cumulative incidences shared out, say). `oldest`: the oldest visit's age, what
    `unseen` is measured at. None when nothing can be fitted (no way)."""
    from scipy import optimize

    k = len(ways)
    if k == 0:
        return None
    stats: list[tuple[int, float, float, float]] = []
    for w in ways:
        t = np.maximum(np.asarray(w.times, dtype=float), FLOOR)
        lt = np.log(t)
        stats.append((int(t.size), float(t.sum()), float(lt.sum()), float((lt * lt).sum())))
    ages, weight = _open_groups(open_ages)
    n_total = sum(s[0] for s in stats) + float(weight.sum())
    two = [w.kind not in ("exp", "stay") for w in ways]
    # Parameters: the logits of ways 1…k−1 (way 0's is 0), then each way's log mean and,
    # for lognormal and gamma, its log cv.
    x0: list[float] = []
    p0 = np.maximum(np.asarray(start, dtype=float), 1e-6)
    p0 = p0 / p0.sum()
    x0.extend(float(math.log(p0[i] / p0[0])) for i in range(1, k))
    bounds: list[tuple[float, float]] = [(-30.0, 30.0)] * (k - 1)
    top = max(oldest, max((float(np.max(w.times)) for w in ways if w.times.size),
                          default=1.0), 1.0)
    for w, (n, s1, _, _), tw in zip(ways, stats, two):
        if w.kind == "stay":
            continue
        mean = s1 / n
        x0.append(math.log(max(mean, FLOOR)))
        bounds.append((math.log(FLOOR), math.log(top * 1e4)))
        if tw:
            sd = float(np.std(np.asarray(w.times, dtype=float))) if n > 1 else mean
            x0.append(min(max(math.log(max(sd, 1e-9) / max(mean, FLOOR)), LCV[0]), LCV[1]))
            bounds.append(LCV)

    if not x0:
        # One way and it is stay (every visit still open, none old enough to leave by
        # any way yet): nothing to fit.
        return MixtureFit([1.0], [wilson(n_total, n_total)[0]], [1.0], [math.inf], [0.0],
                          n_total, True)

    def unpack(x: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
        logits = np.concatenate([[0.0], x[:k - 1]])
        logp = logits - float(np.logaddexp.reduce(logits))
        pars, j = [], k - 1
        for w, tw in zip(ways, two):
            if w.kind == "stay":
                pars.append((0.0, 0.0))
            elif tw:
                pars.append((float(x[j]), float(x[j + 1])))
                j += 2
            else:
                pars.append((float(x[j]), 0.0))
                j += 1
        return logp, pars

    def loglik(x: np.ndarray) -> float:
        logp, pars = unpack(x)
        v = 0.0
        for i, (w, st) in enumerate(zip(ways, stats)):
            lm, lcv = pars[i]
            v += st[0] * float(logp[i]) + _exits_ll(w.kind, lm, lcv, *st)
        if ages.size:
            terms = np.stack([logp[i] + _log_sf(w.kind, *pars[i], ages)
                              for i, w in enumerate(ways)])
            v += float(np.sum(weight * np.logaddexp.reduce(terms, axis=0)))
        return v if math.isfinite(v) else -1e300

    scale = max(n_total, 1.0)
    res = optimize.minimize(lambda x: -loglik(x) / scale, np.array(x0), method="SLSQP",
                            bounds=bounds, options={"maxiter": 500, "ftol": 1e-12})
    x = np.asarray(res.x, dtype=float)
    logp, pars = unpack(x)
    p = np.exp(logp)
    # The observed information by central differences; the shares' variances by the
    # delta method through the softmax.
    d = x.size
    h = 1e-4
    hess = np.zeros((d, d))
    f0 = loglik(x)
    for a in range(d):
        for b in range(a, d):
            ea, eb = np.zeros(d), np.zeros(d)
            ea[a], eb[b] = h, h
            if a == b:
                val = (loglik(x + ea) - 2 * f0 + loglik(x - ea)) / (h * h)
            else:
                val = (loglik(x + ea + eb) - loglik(x + ea - eb) - loglik(x - ea + eb)
                       + loglik(x - ea - eb)) / (4 * h * h)
            hess[a, b] = hess[b, a] = val
    # A parameter at its bound (a share run to nothing: a stay no old deal supports) has
    # no curvature to read; the covariance is that of the others, it held fixed.
    free = np.array([not (x[i] - bounds[i][0] < 1e-6 or bounds[i][1] - x[i] < 1e-6
                          or (i < k - 1 and p[i + 1] < NOTHING)) for i in range(d)])
    cov: np.ndarray | None = np.zeros((d, d))
    try:
        sub = np.linalg.inv(-hess[np.ix_(free, free)])
        if not np.all(np.isfinite(sub)) or np.any(np.diag(sub) < 0):
            cov = None
        else:
            assert cov is not None
            cov[np.ix_(free, free)] = sub
    except np.linalg.LinAlgError:
        cov = None
    sizes: list[float | None] = []
    for i in range(k):
        g = np.zeros(d)
        for j in range(1, k):
            g[j - 1] = p[i] * ((i == j) - p[j])
        var = float(g @ cov @ g) if cov is not None else math.inf
        if not math.isfinite(var):
            sizes.append(0.0)
        elif var <= 0.0 or p[i] < NOTHING or p[i] > 1 - NOTHING:
            sizes.append(None)  # on its bound: read below at the others' sample size
        else:
            sizes.append(min(n_total, float(p[i] * (1 - p[i]) / var)))
    known = [m for m in sizes if m is not None]
    effective = min(known) if known else n_total
    low, high = [], []
    for i in range(k):
        m = sizes[i] if sizes[i] is not None else effective
        assert m is not None
        # One way: all of it, as sure as that many deals make it (the ways none took
        # may still be some).
        lo, hi = wilson(m, m) if k == 1 else wilson(float(p[i]) * m, m)
        low.append(min(lo, float(p[i])))
        high.append(max(hi, float(p[i])))
    means = [math.exp(lm) if w.kind != "stay" else math.inf for w, (lm, _) in zip(ways, pars)]
    unseen = [float(np.exp(_log_sf(w.kind, *pars[i], np.array([max(oldest, FLOOR)])))[0])
              if w.kind != "stay" else 0.0 for i, w in enumerate(ways)]
    return MixtureFit([float(v) for v in p], low, high, means, unseen, effective,
                      bool(res.success))
