"""Judgements on simulated figures: is a stage a deal graveyard, does a funnel narrow
stage by stage (seed 002), which teams cannot keep up. Each verdict carries the reason a
consultant can repeat to the client, not just a flag."""

from __future__ import annotations

import math

from ..numfmt import pct
from .ci import estimate, finite, t_quantile
from .compile import Network, PipelineSpec, StageSpec
from .results import (
    FunnelShape,
    Graveyard,
    PipelineResult,
    ShapeViolation,
    SimWarning,
    VerdictReason,
)
from .stats import RepStats, StageRep

__all__ = ["graveyard", "funnel_shape", "unstable_warning", "MIN_GROWTH_DEALS",
           "MIN_GROWTH_SHARE"]

MIN_GROWTH_DEALS = 5.0
"""A trend adding fewer than five deals over the second half of the run is not a pile-up
worth a verdict, however significant statistically (an account has dozens of stages, each
tested at 95 %: a stage of two or three deals drifting by one would be flagged by chance
in one run of ten)."""

MIN_GROWTH_SHARE = 0.1
"""Nor is one adding less than this share of the stage's average WIP: with many
replications a bias of a deal or two in the expected WIP (a month whose queue is longer
than the year's average) would otherwise become significant."""


def _growth_bounds(reps: list[StageRep]) -> tuple[float, float, float] | None:
    """(mean, lower, upper) of the 95 % CI of the daily growth of the WIP beyond what the
    stage's arrivals explain (`stats.expected_wip`): across replications when there are
    several, from the regression itself when there is one. Replications made before that
    figure existed fall back to the plain WIP slope."""
    use_excess = any(math.isfinite(r.excess_slope) for r in reps)

    def slope_of(r: StageRep) -> tuple[float, float]:
        return (r.excess_slope, r.excess_slope_se) if use_excess else (r.slope, r.slope_se)

    slopes = finite(slope_of(r)[0] for r in reps)
    if not slopes:
        return None
    if len(slopes) >= 2:
        e = estimate(slopes)
        assert e.mean is not None and e.ci95 is not None
        return e.mean, e.mean - e.ci95, e.mean + e.ci95
    r = next(r for r in reps if math.isfinite(slope_of(r)[0]))
    slope, se = slope_of(r)
    points = len(r.wip_daily) - len(r.wip_daily) // 2
    half = t_quantile(0.975, max(points - 2, 1)) * (se if math.isfinite(se) else math.inf)
    return slope, slope - half, slope + half


def graveyard(spec: StageSpec, reps: list[StageRep], working: bool) -> Graveyard:
    """The verdict on one stage; `working`: its SLA counts the account's working hours
    (`calendar.limits_in_working_hours`), and so do the ages compared with it."""
    reasons: list[VerdictReason] = []
    bounds = _growth_bounds(reps)
    if bounds is not None:
        slope, lo, hi = bounds
        half_days = len(reps[0].wip_daily) - len(reps[0].wip_daily) // 2
        level = estimate(r.wip_mean for r in reps).mean or 0.0
        growth = slope * half_days
        if lo > 0 and growth >= max(MIN_GROWTH_DEALS, MIN_GROWTH_SHARE * level):
            final = estimate(r.wip_final for r in reps).mean or 0.0
            reasons.append(VerdictReason(
                code="wip-growing",
                message=f"deals keep piling up beyond what their arrivals explain: "
                        f"{slope:.3g} more per day over the second half of the run (95% CI "
                        f"{lo:.3g} to {hi:.3g}), {final:.0f} in the stage at the horizon",
                growth_per_day=slope, growth_ci95=(hi - lo) / 2))
    if spec.sla_hours is not None:
        age = estimate(r.age_final_sla_mean for r in reps).mean
        if age is not None and age > spec.sla_hours:
            unit = "working h" if working else "h"
            reasons.append(VerdictReason(
                code="older-than-sla",
                message=f"deals still here are {age:.3g} {unit} old on average, beyond the "
                        f"sla of {spec.sla_hours:g} {unit}"))
    if spec.sla_hours is None:
        stay = sum(r.share for r in spec.routes if r.kind == "stay")
        if stay > 0:
            reasons.append(VerdictReason(
                code="stay-without-sla",
                message=f"{stay * 100:.3g}% of deals stay and no sla moves them on: they "
                        f"wait here forever"))
    return Graveyard(is_graveyard=bool(reasons), reasons=reasons)


def funnel_shape(pipe: PipelineSpec, net: Network, reps: list[RepStats]) -> FunnelShape:
    """Counts must fall stage by stage, in the order the author wrote the stages."""
    violations: list[ShapeViolation] = []
    for prev, cur in zip(pipe.stages, pipe.stages[1:]):
        a = [float(r.stages[prev].entered) for r in reps]
        b = [float(r.stages[cur].entered) for r in reps]
        diff = estimate(y - x for x, y in zip(a, b))
        if diff.mean is None:
            continue
        if diff.ci95 is not None:
            significant = diff.mean - diff.ci95 > 0
        else:  # one replication: Poisson noise of the two counts
            significant = diff.mean > 1.96 * math.sqrt(a[0] + b[0])
        if significant:
            violations.append(ShapeViolation(
                stage=net.stages[cur].name, previous_stage=net.stages[prev].name,
                entered=sum(b) / len(b), previous_entered=sum(a) / len(a)))
    return FunnelShape(ok=not violations, violations=violations)


def short_window_warning(pipe: PipelineResult, warmup_hours: float) -> SimWarning | None:
    """A warning when the pipeline's wins take longer than the warm-up (90th percentile):
    a run starts empty, and the window's first weeks then lack the wins of the deals that
    would have started before it, so its conversion (won / started in the window) reads
    low. `cottages.funnel`'s «Продажи» (wins up to 59 days, 30 days of warm-up) reads
    2.27 % ±0.3 against the exact 2.6 %; a 20-day run with 5 days of warm-up of a funnel
    whose wins take up to a week, 20.6 % ±0.74 for 22.3 %."""
    p90 = pipe.cycle_time_won_hours.p90.mean
    if p90 is None or p90 <= warmup_hours:
        return None
    return SimWarning(
        code="short-window", subject=pipe.pipeline, cycle_p90_hours=p90,
        warmup_hours=warmup_hours,
        message=f"pipeline `{pipe.pipeline}`: 90% of its wins take up to {p90 / 24:.3g} days "
                f"from the start, longer than the {warmup_hours / 24:.3g}-day warm-up: the run "
                "starts empty, so the first weeks it counts lack the wins of deals that would "
                "have started before it, and its conversion (won / started) reads low; a "
                "warm-up as long as the wins take counts them all. For the consultant: "
                "`--warmup`")


def unstable_warning(team: str, rho: float, open_stages: list[str]) -> SimWarning:
    shown = ", ".join(f"`{s}`" for s in open_stages[:3])
    more = f" and {len(open_stages) - 3} more" if len(open_stages) > 3 else ""
    have = "has" if len(open_stages) == 1 else "have"
    # The load as a share of working time, as analyze and the report write it (`111%`):
    # «offered 1.11x the work it can do (rho >= 1)» read apart from their «load 111%».
    load = pct(rho) if math.isfinite(rho) else "∞"
    return SimWarning(
        code="unstable-team", subject=team, rho=rho if math.isfinite(rho) else None,
        stages=list(open_stages),
        message=f"team `{team}` cannot keep up: load {load} ≥ 100% (more work comes to it "
                f"than it can do), and {shown}{more} {have} no SLA: its queue grows for as long "
                "as the run lasts, so queue figures depend on the run's length. For the "
                "consultant: `--days`")
