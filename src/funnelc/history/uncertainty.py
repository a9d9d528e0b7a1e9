"""The fit's own uncertainty as funnels: draws of a `FitResult`'s numbers from their
sampling distributions — a parametric bootstrap of the fit — and the funnel each draw
writes.

Why: a funnel fitted on a few months is an estimate. A prediction simulated from the
point estimate alone carries the process's noise but not what those months could not
pin down (a share measured on 300 deals is ±5 points), so its intervals are too narrow
and a back-test finds the real months outside them more often than it should. Drawing
the fitted numbers anew for every simulation run, and simulating each run with its own
draw, makes the spread of the runs the predictive spread: process noise and estimation
error together.

What is drawn, each from the distribution behind the fit's own 95 % interval:

* **Shares of a stage**: multinomial around the fitted shares (cumulative incidences
  over every visit, those still open censored) at the number of fully watched visits
  they are worth (`StageFit.effective`, p(1 − p)/variance of the share that left by the
  horizon): the bootstrap's normal approximation, as the interval `fit` prints.
* **Source rates**: the fitted rate times a Gamma(k, 1/k) factor, k the deals counted:
  the posterior of a Poisson rate (the exact Poisson interval's counterpart). A month
  profile's ratios are kept: they are relative to the drawn base rate.
* **Delays and values** (a route's `after`, a reopen's delay, a source's value): the
  mean scaled by a log-normal factor whose 95 % range is the fit's own interval of that
  mean (exact χ² for exp, Cox for lognormal, profile likelihood for gamma, the bootstrap
  of a delay calibrated through the simulator); the shape (coefficient of variation,
  empirical points relative to the mean) is kept.
* **Reopen shares**: binomial on the losses old enough to have come back.

Figures the writer does not write (fewer than `fit.MIN_DEALS` behind them: the funnel's
value is kept) stay as they are. The draw is a `FitResult` like the fit itself, written
into the funnel by the same checked model transformation (`apply_fit.checked_fit`, no
text parsed), so a drawn funnel is a funnel `funnelc fit` could have written.

Used by the back-test (`backtest.run_backtest`: one draw per run) and available to any
simulation from a fit: `drawn_model(funnel, fit, rng)`, or `draw_rng(seed, i)` for the
i-th run's generator so that runs do not depend on how they are spread over processes.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .. import model as m
from .dists import DistFit
from .fit import FitResult, ReopenFit, RouteFit, SourceFit, StageFit

__all__ = ["draw_fit", "drawn_model", "fitted_model", "draw_rng", "mean_factor",
           "Z95"]

Z95 = 1.959963984540054
MIN_FACTOR = 0.2
"""A drawn mean is at least this share of the fitted one: a normal approximation of a
mean's error (the fallback below, for tiny samples) must not make a delay negative."""


def draw_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of draw `index` under `seed`: one stream per draw, whatever the
    order or the process the draws are made in."""
    return np.random.default_rng([seed, index, 0x6472])


# ---------------------------------------------------------------------------- pieces
def _scaled(d: DistFit | None, f: float) -> DistFit | None:
    if d is None or f == 1.0:
        return d
    return replace(d, mean=d.mean * f, sd=d.sd * f, ci_low=d.ci_low * f, ci_high=d.ci_high * f,
                   points=[p * f for p in d.points])


def mean_factor(d: DistFit | None, rng: np.random.Generator) -> float:
    """A draw of true mean / fitted mean. Log-normal with the fit's own 95 % interval of
    the mean as its 95 % range, when that interval is a proper one around a positive
    mean; else normal with the standard error sd/√n (an `empirical` or `fixed` fit of a
    few values); 1 when nothing says how uncertain the mean is."""
    if d is None or not d.mean > 0 or d.n < 2 or d.kind in ("none",):
        return 1.0
    lo, hi = d.ci_low, d.ci_high
    if lo > 0 and hi > lo and lo <= d.mean <= hi and math.isfinite(hi):
        sigma = (math.log(hi) - math.log(lo)) / (2 * Z95)
        return float(math.exp(rng.normal(0.0, sigma)))
    if d.sd > 0:
        return float(max(MIN_FACTOR, rng.normal(1.0, d.sd / math.sqrt(d.n) / d.mean)))
    return 1.0


def _drawn_routes(routes: list[RouteFit], rng: np.random.Generator,
                  effective: float | None = None) -> list[RouteFit]:
    # SLA timeouts and moves into a pipeline no outcome copies to are not shares (see
    # `fit._fit_stage`): they keep their counts.
    shared = [i for i, r in enumerate(routes)
              if not (r.key[0] == "sla" or (r.key[0] == "copy" and r.outcome is None))]
    counts = np.array([routes[i].count for i in shared], dtype=float)
    total = int(counts.sum())
    if effective is not None and total > 0:
        # The shares are cumulative incidences over every visit, those still open
        # counted for part of one (`fit._incidence_shares`): they are worth `effective`
        # fully watched visits, not the visits counted.
        total = max(1, min(total, round(effective)))
    new = list(routes)
    if total > 0:
        # Around the fitted shares, not the raw counts: the fit corrects the counts for
        # what an SLA cut off (`calibrate.reweight_shares`), and a draw from the counts
        # would undo that correction in every replication.
        shares = np.array([routes[i].share for i in shared], dtype=float)
        mass = float(shares.sum())
        p = shares / mass if mass > 0 else counts / total
        mass = mass if mass > 0 else 1.0
        drawn = rng.multinomial(total, p)
        for i, c in zip(shared, drawn, strict=True):
            new[i] = replace(routes[i], count=int(c), share=int(c) / total * mass)
    return [replace(r, after=_scaled(r.after, mean_factor(r.after, rng))) for r in new]


def _drawn_stage(s: StageFit, rng: np.random.Generator) -> StageFit:
    return replace(s, routes=_drawn_routes(s.routes, rng, s.effective))


def _drawn_source(s: SourceFit, rng: np.random.Generator) -> SourceFit:
    if s.deals <= 0:
        return s
    f = float(rng.gamma(s.deals, 1.0 / s.deals))
    return replace(s, per_hour=s.per_hour * f, low=s.low * f, high=s.high * f,
                   value=_scaled(s.value, mean_factor(s.value, rng)))


def _drawn_reopen(r: ReopenFit, rng: np.random.Generator) -> ReopenFit:
    if r.lost <= 0:
        return r
    back = int(rng.binomial(r.lost, r.share))
    return replace(r, back=back, share=back / r.lost,
                   delay=_scaled(r.delay, mean_factor(r.delay, rng)))


# ---------------------------------------------------------------------------- whole
def draw_fit(fit: FitResult, rng: np.random.Generator) -> FitResult:
    """The fitted numbers as another stretch of history of the same length from the same
    process might have given them (see the module's note for each kind). The draw's
    intervals are the fit's, moved with it; they are not meant to be printed."""
    return replace(fit, stages=[_drawn_stage(s, rng) for s in fit.stages],
                   sources=[_drawn_source(s, rng) for s in fit.sources],
                   reopens=[_drawn_reopen(r, rng) for r in fit.reopens])


def fitted_model(funnel: m.FunnelFile, fit: FitResult) -> m.FunnelFile:
    """The funnel with `fit` written in, checked as `funnelc fit` checks what it writes
    (`apply_fit.checked_fit`; a model that does not check is never simulated). The
    funnel's scenarios are left out: written against the funnel's shares, against
    fitted ones they need not add up, and a prediction simulates the base funnel."""
    from .apply_fit import checked_fit

    base = funnel.model_copy(update={"scenarios": (), "order": tuple(
        item for item in funnel.order if item[0] != "scenarios")})
    return checked_fit(base, fit).model


def drawn_model(funnel: m.FunnelFile, fit: FitResult, rng: np.random.Generator
                ) -> m.FunnelFile:
    """`fitted_model` of one draw of the fit (`draw_fit`): the funnel one simulation run
    should use so that its runs together carry the fit's uncertainty."""
    return fitted_model(funnel, draw_fit(fit, rng))
