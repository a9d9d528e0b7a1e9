"""An open deal's way out and time left, given how long it has been in its stage.

A warm start's open deal, `a` hours into its stage, leaves by route r with probability
∝ share_r × S_r(a), where S_r(a) = P(W + D_r > a) is the survival of its stay by that
route (W the stage's `work`, D_r the route's `after`; a `stay` route never ends, S = 1),
and its time left is that stay given it exceeds `a`. The engine draws this first by
rejection (`engine._WarmDraws.draw`: exact, and cheap for a deal of a usual age); this
module is its fallback when no try explains the age (an *overdue* deal, older than
almost every draw): the same law, computed from the distributions instead of sampled.
The fallback was the last drawn route (the plain shares) with a fresh delay: a deal 30
days into a stage whose ways out are `won 50% after exp(10d)` and `lost 50% after
exp(4d)` was won 77% of the time, not 98.9%, and one 100 days in 50%, not ~100%.

* log S(x) per distribution (`log_sf`), in logs so that the far tails of graveyard ages
  still compare (e^-25 against e^-14): exact for every kind (`scipy.special` for the
  lognormal's and the gamma's tails; beyond 1e-300 the gamma's takes the leading term of
  its asymptotic series, y^(s-1) e^-y / Γ(s)).
* X given X > x (`tail_draw`): the inverse survival at u·S(x), exact for every kind (an
  `exp` is memoryless; an `empirical` picks one of its values above x); a gamma tail
  below 1e-300 is drawn as x plus an exponential of the gamma's scale (its asymptote).
* W + D (both drawn, neither constant): P(W + D > a) = P(W > a) + ∫₀ᵃ S_D(a - w) dF_W(w),
  by `CELLS` cells of [0, a], each weighted P(W in it) (exact) × S_D(a - its middle). A
  deal past its work picks the cell its work ended in by those weights, its work is put
  at the cell's middle (within a/`CELLS`/2 hours of the exact), and its delay left is
  D given D > a - w. A constant W or D shifts the other exactly.
* Not used in a stage whose deals wait in a team's queue for their work (an owner and
  `work`): there the age may be a wait for a member the funnel does not describe (a lead
  in from Friday night; a backlog), and taking it for the stay would send every lead
  waiting over a weekend out by the one slow way out (`engine._WarmDraws.draw` keeps
  the shares there).
* A deal that outlived every way out (each S_r(a) = 0: fixed, uniform, triangular or
  empirical times, all shorter than its age) has no conditional law (`WayOut.outlived`).
  The engine sends it out by the way whose stay can last longest (by share among ties)
  with that way's delay afresh, as the fallback did (none: it leaves at once); the
  forecast's note names such deals.

Nothing here draws from the engine's streams: the caller hands in uniforms from a stream
of their own, so the draws of every other deal, and every run without an overdue deal,
stay as they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import model as m
from ..analysis.survival import gamma_params, lognormal_params, survival
from .dists import block_fn

__all__ = ["log_sf", "log_sf_array", "tail_draw", "log_sf_sum", "WayOut", "way_out", "pick", "draw", "CELLS"]

CELLS = 256
"""Cells of [0, age] for the survival of work + delay (see the module's docstring)."""

NEG_INF = -math.inf


def _const(dist: m.Dist | None) -> float | None:
    """The value of a distribution the samplers draw as a constant (None: 0), else None."""
    if dist is None:
        return 0.0
    fn, const = block_fn(dist)
    return const if fn is None else None


def _lognormal(dist: m.Dist) -> tuple[float, float]:
    return lognormal_params(dist.args[0].value, dist.args[1].value)


def _gamma(dist: m.Dist) -> tuple[float, float]:
    return gamma_params(dist.args[0].value, dist.args[1].value)


def log_sf(dist: m.Dist | None, x: float) -> float:
    """log P(X > x), X drawn as the samplers draw it (never negative); None is X = 0."""
    if x < 0.0:
        return 0.0
    c = _const(dist)
    if c is not None:
        return 0.0 if c > x else NEG_INF
    assert dist is not None
    kind = dist.kind
    if kind == "exp":
        return -x / dist.args[0].value
    if kind == "lognormal":
        if x == 0.0:
            return 0.0
        from scipy import special

        mu, sigma = _lognormal(dist)
        return float(special.log_ndtr(-(math.log(x) - mu) / sigma))
    if kind == "gamma":
        from scipy import special

        shape, scale = _gamma(dist)
        y = x / scale
        q = float(special.gammaincc(shape, y))
        if q > 1e-300:
            return math.log(q)
        return (shape - 1.0) * math.log(y) - y - math.lgamma(shape)
    s = survival(dist, x)
    return math.log(s) if s > 0.0 else NEG_INF


def log_sf_array(dist: m.Dist | None, xs: np.ndarray) -> np.ndarray:
    """`log_sf` at every point of `xs`, in bulk for the kinds with a closed form."""
    c = _const(dist)
    if c is not None:
        return np.where((xs < 0.0) | (c > xs), 0.0, NEG_INF)
    assert dist is not None
    kind = dist.kind
    pos = np.maximum(xs, 0.0)
    if kind == "exp":
        out = -pos / dist.args[0].value
    elif kind == "lognormal":
        from scipy import special

        mu, sigma = _lognormal(dist)
        with np.errstate(divide="ignore"):
            out = special.log_ndtr(-(np.log(pos) - mu) / sigma)
    elif kind == "gamma":
        from scipy import special

        shape, scale = _gamma(dist)
        y = pos / scale
        q = special.gammaincc(shape, y)
        with np.errstate(divide="ignore"):
            far = (shape - 1.0) * np.log(np.maximum(y, 1e-300)) - y - math.lgamma(shape)
            out = np.where(q > 1e-300, np.log(np.maximum(q, 1e-300)), far)
    else:
        return np.array([log_sf(dist, float(x)) for x in xs])
    return np.where(xs <= 0.0, 0.0, out)


def tail_draw(dist: m.Dist | None, x: float, u: float) -> float:
    """X given X > x, from a uniform `u` in (0, 1] (x < 0: a plain draw of X). Where X
    cannot exceed x (beyond its support) it returns x: nothing is left."""
    c = _const(dist)
    if c is not None:
        return c if c > x else max(x, 0.0)
    assert dist is not None
    kind = dist.kind
    a = [q.value for q in dist.args]
    ls = log_sf(dist, x)
    if ls == NEG_INF:
        return x
    if kind == "exp":
        return max(x, 0.0) - a[0] * math.log(u)
    if kind == "empirical":
        above = sorted(v for v in (max(v, 0.0) for v in a) if v > x)
        return above[min(int(u * len(above)), len(above) - 1)]
    lp = ls + math.log(u)
    p = math.exp(lp)
    if kind == "uniform":
        lo, hi = a[0], a[1]
        t = hi - p * (hi - lo)
    elif kind == "triangular":
        lo, hi = a[0], a[2]
        mode = min(max(a[1], lo), hi)
        if p <= (hi - mode) / (hi - lo):
            t = hi - math.sqrt(p * (hi - lo) * (hi - mode))
        else:
            t = lo + math.sqrt((1.0 - p) * (hi - lo) * (mode - lo))
    elif kind == "lognormal":
        from scipy import special

        mu, sigma = _lognormal(dist)
        t = math.exp(mu - sigma * float(special.ndtri_exp(lp)))
    elif kind == "gamma":
        shape, scale = _gamma(dist)
        if p > 1e-300:
            from scipy import special

            t = scale * float(special.gammainccinv(shape, p))
        else:
            t = x - scale * math.log(u)
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(f"unknown distribution kind {kind!r}")
    return max(t, x, 0.0)


def _cells(work: m.Dist, after: m.Dist, age: float) -> tuple[np.ndarray, np.ndarray]:
    """(middles, log weights) of the cells of [0, age] the work of a deal still in its
    delay at `age` ended in: log P(W in the cell) + log S_D(age - middle)."""
    edges = np.linspace(0.0, age, CELLS + 1)
    ls = log_sf_array(work, edges)
    ls[0] = 0.0  # P(W >= 0): the first cell holds W = 0 too
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = ls[1:] - ls[:-1]
        lp = np.where(np.isfinite(ls[:-1]), ls[:-1] + np.log(-np.expm1(diff)), NEG_INF)
    lp = np.where(np.isnan(lp), NEG_INF, lp)
    mids = (edges[:-1] + edges[1:]) / 2.0
    ld = log_sf_array(after, age - mids)
    return mids, lp + ld


def _logsumexp(v: np.ndarray) -> float:
    top = float(np.max(v)) if len(v) else NEG_INF
    if top == NEG_INF:
        return NEG_INF
    return top + math.log(float(np.sum(np.exp(v - top))))


def log_sf_sum(work: m.Dist | None, after: m.Dist | None, age: float) -> float:
    """log P(W + D > age) for independent W and D (see the module's docstring)."""
    cw, cd = _const(work), _const(after)
    if cw is not None:
        return log_sf(after, age - cw)
    if cd is not None:
        return log_sf(work, age - cd)
    assert work is not None and after is not None
    _, lw = _cells(work, after, age)
    return float(np.logaddexp(log_sf(work, age), _logsumexp(lw)))


@dataclass(frozen=True)
class _Way:
    route: int
    in_work: float
    """P(still in its work | this way out)."""
    mids: np.ndarray | None
    """Cell middles and their cumulative probabilities, for a random work and delay."""
    cum: np.ndarray | None


@dataclass(frozen=True)
class WayOut:
    """The law of an open deal's way out at one age (`way_out`)."""

    cum: tuple[float, ...]
    """Cumulative probabilities of `ways`."""
    ways: tuple[_Way, ...]
    outlived: bool
    """Every way's stay is shorter than the age: `ways` holds the longest-lasting ones,
    by share."""


Ways = tuple[tuple[float, bool, m.Dist | None], ...]
"""A stage's routes as (share, is `stay`, `after`)."""


def _upper(dist: m.Dist | None) -> float:
    """The largest value X can take."""
    c = _const(dist)
    if c is not None:
        return c
    assert dist is not None
    a = [q.value for q in dist.args]
    if dist.kind in ("uniform", "triangular"):
        return max(a[-1], 0.0)
    if dist.kind == "empirical":
        return max(max(a), 0.0)
    return math.inf


def _normed(w: list[float]) -> tuple[float, ...]:
    total = math.fsum(w)
    out, acc = [], 0.0
    for x in w:
        acc += x / total
        out.append(acc)
    out[-1] = 1.0
    return tuple(out)


@lru_cache(maxsize=65536)
def way_out(work: m.Dist | None, ways: Ways, age: float) -> WayOut:
    """The way out of a deal `age` hours into a stage whose work is `work` and whose
    routes are `ways`, given that it is still there (cached: a forecast's open deals
    have the same ages in every run)."""
    logs: list[float] = []
    built: list[_Way] = []
    lw_work = log_sf(work, age)
    for i, (_share, stay, after) in enumerate(ways):
        if stay:
            logs.append(0.0)
            built.append(_Way(i, math.exp(lw_work), None, None))
            continue
        if _const(work) is None and _const(after) is None:
            mids, lcell = _cells(work, after, age)  # type: ignore[arg-type]
            ls = float(np.logaddexp(lw_work, _logsumexp(lcell)))
            cum = None
            if _logsumexp(lcell) > NEG_INF:
                p = np.exp(lcell - float(np.max(lcell)))
                cum = np.cumsum(p) / float(np.sum(p))
            built.append(_Way(i, math.exp(lw_work - ls) if ls > NEG_INF else 0.0, mids, cum))
        else:
            ls = log_sf_sum(work, after, age)
            built.append(_Way(i, math.exp(lw_work - ls) if ls > NEG_INF else 0.0, None,
                              None))
        logs.append(ls)
    weights = [math.log(s) + lg if s > 0 else NEG_INF
               for (s, _, _), lg in zip(ways, logs)]
    top = max(weights)
    if top > NEG_INF:
        keep = [k for k, w in enumerate(weights) if w > NEG_INF]
        return WayOut(_normed([math.exp(weights[k] - top) for k in keep]),
                      tuple(built[k] for k in keep), False)
    ups = [_upper(work) + _upper(after) for (_, _, after) in ways]
    longest = max(ups)
    keep = [k for k, up in enumerate(ups) if up == longest and ways[k][0] > 0]
    return WayOut(_normed([ways[k][0] for k in keep]),
                  tuple(_Way(k, 0.0, None, None) for k in keep), True)


def pick(plan: WayOut, u: float) -> _Way:
    """The way out `plan` gives a uniform `u` in (0, 1]."""
    return plan.ways[min(sum(1 for c in plan.cum if c < u), len(plan.ways) - 1)]


def draw(plan: WayOut, work: m.Dist | None, ways: Ways, age: float, u1: float, u2: float,
         u3: float) -> tuple[float, int, float]:
    """(work left, route index, delay left after the work) by `plan`, from three
    uniforms in (0, 1]: the way out, the phase (and the cell the work ended in), the
    time left."""
    assert not plan.outlived, "no conditional law: the caller decides (see the module)"
    way = pick(plan, u1)
    _, stay, after = ways[way.route]
    if u2 <= way.in_work:
        return tail_draw(work, age, u3) - age, way.route, 0.0
    if stay:
        return 0.0, way.route, 0.0
    cw, cd = _const(work), _const(after)
    if cw is not None:
        return 0.0, way.route, tail_draw(after, age - cw, u3) - (age - cw)
    assert work is not None  # not constant
    if cd is not None:
        # The work ended in (age - cd, age]: the delay left is its end + cd - age. By
        # the work's law given that window: S_W(t) between S_W(age) and S_W(age - cd).
        lo, hi = math.exp(log_sf(work, age)), math.exp(log_sf(work, age - cd))
        v = (u2 - way.in_work) / (1.0 - way.in_work) if way.in_work < 1.0 else u2
        target = hi - v * (hi - lo)
        w = _isf_between(work, age - cd, age, target)
        return 0.0, way.route, max(w + cd - age, 0.0)
    assert way.cum is not None and way.mids is not None
    v = (u2 - way.in_work) / (1.0 - way.in_work) if way.in_work < 1.0 else u2
    c = min(int(np.searchsorted(way.cum, v)), len(way.cum) - 1)
    w = float(way.mids[c])
    return 0.0, way.route, tail_draw(after, age - w, u3) - (age - w)


def _isf_between(dist: m.Dist, lo: float, hi: float, target: float) -> float:
    """t in [lo, hi] with S(t) = target (S never increasing), by bisection."""
    lo = max(lo, 0.0)
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if math.exp(log_sf(dist, mid)) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0
