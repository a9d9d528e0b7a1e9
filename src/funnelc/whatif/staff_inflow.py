"""What the runs brought a team against what its offered load counts.

The offered load of a utilization target is the exact flows' steady state: every deal
they send to the team's stages, at the declared shares. The runs can bring less: a team
upstream that cannot keep up keeps deals in its queue for good (cottages' «Менеджеры» at
111%: 14.7 deals a day reached «Прогрев» over 300 observed days against the exact 15.3),
and a run that starts empty brings a stage its first deals only as late as they take to
get there (cottages' «Прогрет 90 дней», 65% of «Маркетинг»'s work, is reached 90 days
after «Передан на прогрев»: a 120-day run with 30 days of warm-up saw it in its last
weeks only, so «Маркетинг» read 10.6% busy beside an offered load of 29.5%; 28.1% ±3.3
over 500 days with 200 of warm-up). `staff` says so under the curve (`Inflow`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .staffing import StaffingResult

__all__ = ["Inflow", "inflow", "SHORT"]

SHORT = 0.9
"""Below this share of the exact work the runs brought, the curve's note says why (below
100 % when a team upstream cannot keep up: its backlog is said whatever it costs)."""


@dataclass(frozen=True)
class Inflow:
    share: float
    """The work the runs brought the team's stages over the exact flows' (mean over the
    replications of the size shown)."""
    starved_by: tuple[tuple[str, float], ...]
    """Upstream teams that cannot keep up, with their loads (`ExactStart.starved_by`)."""
    late: tuple[tuple[str, float], ...]
    """Pipelines with a stage of the team whose wins take longer than the warm-up (90th
    percentile, hours), as simulate's `short-window` warning says it."""
    warmup_hours: float


def inflow(result: StaffingResult, warmup_hours: float) -> Inflow | None:
    """The shortfall of the work the runs brought the team, when there is a utilization
    target (the curve then shows the offered load) and they brought less than `SHORT` of
    it; else None."""
    if not any(t.kind == "utilization" for t in result.targets) or not result.start.stages:
        return None
    size = result.answer if result.answer is not None else result.best
    ev = result.evals.get(size) if size is not None else None
    if ev is None or not ev.reps:
        return None
    exact = sum(s.work_per_hour for s in result.start.stages)
    if not (exact > 0 and math.isfinite(exact)):
        return None
    work = {s.at: s.work_hours for s in result.start.stages}
    shares = []
    for rep in ev.reps:
        if rep.observed_hours <= 0:
            continue
        got = sum(rep.stages[i].entered * w for i, w in work.items()) / rep.observed_hours
        shares.append(got / exact)
    if not shares:
        return None
    share = sum(shares) / len(shares)
    starved = result.start.starved_by
    if share >= (1.0 if starved else SHORT):  # an upstream team's backlog is said always
        return None
    late = []
    for pipe in dict.fromkeys((s.pipeline, s.pipeline_name) for s in result.start.stages):
        p90s = [r.pipelines[pipe[0]].cycle_won_p90 for r in ev.reps
                if math.isfinite(r.pipelines[pipe[0]].cycle_won_p90)]
        if p90s and sum(p90s) / len(p90s) > warmup_hours:
            late.append((pipe[1], sum(p90s) / len(p90s)))
    return Inflow(share, starved, tuple(late), warmup_hours)

