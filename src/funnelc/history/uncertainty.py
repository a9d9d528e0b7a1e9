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
value is kept) are not the fit's to draw, but they are no better known for that: the
shares of a stage with too few mature visits to fit were simulated as the file writes
them in every run, so the intervals were narrowest where the history says least (a
hand-made 30 % win share, 65 % in truth, on 12 visits: every run at 30 %). Such a
stage's shares are drawn from their Dirichlet posterior, the file's shares a prior worth
`PRIOR_DEALS` visits and the visits the history saw leave by each of the file's ways out
the evidence (`_small_stage_shares`, `drawn_model(..., small=True)`, the forecast's): no
visit seen, the file's figure with the spread of two deals; twenty seen, mostly what they
did. Their delays, and the rates of sources with too few deals, stay the file's, undrawn
(the forecast says so).

The draw is a `FitResult` like the fit itself, written into the funnel by the same checked
model transformation (`apply_fit.checked_fit`, no text parsed), so a drawn funnel is a
funnel `funnelc fit` could have written; the small stages' shares are then set on it, the
file's ways out kept, their shares adding up as the file's do.

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
           "Z95", "PRIOR_DEALS", "small_stages"]

Z95 = 1.959963984540054
MIN_FACTOR = 0.2
"""A drawn mean is at least this share of the fitted one: a normal approximation of a
mean's error (the fallback below, for tiny samples) must not make a delay negative."""


PRIOR_DEALS = 2.0
"""What the file's shares of a stage too small to fit weigh against the visits the
history saw there, in visits: enough to say where nothing was seen, little enough that
a dozen visits outweigh it (a Dirichlet prior of total weight 2, as «two pseudo-deals»
in the Bayesian sense; 1 made a 5 % share of a stage nobody entered nearly always 0)."""


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


def drawn_model(funnel: m.FunnelFile, fit: FitResult, rng: np.random.Generator,
                small: bool = False) -> m.FunnelFile:
    """`fitted_model` of one draw of the fit (`draw_fit`): the funnel one simulation run
    should use so that its runs together carry the fit's uncertainty. With `small` the
    shares of the stages too small to fit are drawn from their posterior too
    (`_small_stage_shares`): what a forecast needs, which predicts the account. The
    back-test leaves them at the file's: it tests the funnel `fit` writes, whose shares
    there are the file's, and a posterior pulled towards the deals seen would test
    another funnel."""
    model = fitted_model(funnel, draw_fit(fit, rng))
    return _small_stage_shares(model, fit, rng) if small else model


def small_stages(fit: FitResult) -> list[StageFit]:
    """The stages whose shares the writer keeps for want of mature visits (fewer than
    `fit.MIN_DEALS`) and `drawn_model` draws around the file's (a cadence's split is the
    cadence's own maths, not a share)."""
    from .fit import MIN_DEALS

    return [s for s in fit.stages if s.mature < MIN_DEALS and not s.cadence]


def _small_stage_shares(model: m.FunnelFile, fit: FitResult, rng: np.random.Generator
                        ) -> m.FunnelFile:
    """`model` with the shares of each stage of `small_stages(fit)` drawn from
    Dirichlet(PRIOR_DEALS × the file's shares + the mature visits seen leaving by each
    of the file's ways out), scaled to the file's total. A way out the file gives 0 %
    and no visit took stays at 0 %; a stage with one way out has no share to draw. The
    visits that left by a way the file does not have say nothing of its shares and are
    left out (the fit's notes name such ways)."""
    small = {(s.pipeline, s.stage): s for s in small_stages(fit)}
    if not small:
        return model
    pipes = []
    for pipe in model.pipelines:
        stages = tuple(_drawn_shares(st, small[pipe.name.value, st.name.value], rng)
                       if (pipe.name.value, st.name.value) in small else st
                       for st in pipe.stages)
        pipes.append(pipe.model_copy(update={"stages": stages}))
    return model.model_copy(update={"pipelines": tuple(pipes)})


def _drawn_shares(st: m.Stage, sf: StageFit, rng: np.random.Generator) -> m.Stage:
    if st.cadence is not None or (len(st.outcomes) == 1 and st.stay is None):
        return st
    ways: list[m.Share | None] = [o.share for o in st.outcomes]
    if st.stay is not None:
        ways.append(st.stay)
    prior = np.array([w.value if w is not None else 0.0 for w in ways])
    total = float(prior.sum())
    if not total > 0:
        return st
    seen = np.zeros(len(ways))
    for r in sf.routes:
        if r.outcome is not None:
            seen[r.outcome] += r.count
        elif r.key == ("stay",) and st.stay is not None:
            seen[-1] += r.count
    alpha = PRIOR_DEALS * prior / total + seen
    drawn = np.zeros(len(ways))
    live = alpha > 0
    if int(live.sum()) < 2:
        return st
    drawn[live] = rng.dirichlet(alpha[live]) * total

    def share(v: float, like: m.Share | None, span: m.Span) -> m.Share:
        return m.Share(span=like.span if like is not None else span, value=float(v),
                       text=f"{v * 100:.4g}%")

    outs = tuple(o.model_copy(update={"share": share(v, o.share, o.span)})
                 for o, v in zip(st.outcomes, drawn, strict=False))
    upd: dict[str, object] = {"outcomes": outs}
    if st.stay is not None:
        upd["stay"] = share(drawn[-1], st.stay, st.stay.span)
    return st.model_copy(update=upd)
