"""Scenario minus baseline, replication by replication.

Replication r of the baseline and of a scenario used the same random numbers wherever
the scenario does not change the model (common random numbers), so their difference
d_r = scenario_r − baseline_r carries only the scenario's effect and the noise it
stirs, not the noise both share. The 95 % interval is Student t over the d_r (n−1
degrees of freedom): much narrower than comparing two independent means, and exactly
zero for a scenario that changes nothing. A difference that is the same in every
replication (sd 0) has a t-interval of width 0, which measures no noise: it is called
significant by the exact sign test instead (`SIGN_TEST_MIN` replications).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..sim.ci import estimate
from ..sim.results import Estimate
from .metrics import HEADLINE, MetricDef
from .runs import VariantRun

__all__ = ["SIGN_TEST_MIN", "Delta", "VerdictChange", "Comparison", "paired", "compare",
           "headline_keys"]


def paired(base: list[float], other: list[float]) -> Estimate:
    """Mean and 95 % half-width of other − base over the replications where both have a
    value."""
    diffs = [o - b for b, o in zip(base, other)
             if b is not None and o is not None and math.isfinite(b) and math.isfinite(o)]
    return estimate(diffs)


SIGN_TEST_MIN = 6
"""Replications that all differ by the same amount (a paired difference of sd 0) before
whatif calls it significant: the two-sided sign test's p for n differences of one sign is
2 × 0.5ⁿ, 0.25 at 3, 0.0625 at 5, 0.031 at 6 (the smallest n below 5 %). Student's t needs
a spread to measure the noise by; with none it gives a width of 0 whatever n is."""


@dataclass(frozen=True)
class Delta:
    metric: MetricDef
    baseline: Estimate
    value: Estimate
    diff: Estimate
    identical: bool
    """Every replication gave exactly the baseline's value."""

    @property
    def significant(self) -> bool:
        """The 95 % interval of the difference excludes zero; when every replication
        differs by the same amount (sd 0), the exact sign test at 5 % instead
        (`SIGN_TEST_MIN`): a t-interval of width 0 is no confidence statement, and «+1»
        in all of 3 replications read as significant."""
        d = self.diff
        if d.mean is None or d.ci95 is None or d.mean == 0:
            return False
        if not d.sd:
            return d.n >= SIGN_TEST_MIN
        return abs(d.mean) > d.ci95

    @property
    def relative_pct(self) -> float | None:
        b, d = self.baseline.mean, self.diff.mean
        if b is None or d is None or b == 0:
            return None
        return 100.0 * d / abs(b)

    @property
    def verdict(self) -> str:
        """"better", "worse", "changed" (no preferred direction), "no change"
        (interval covers 0) or "identical"."""
        if self.identical:
            return "identical"
        if not self.significant:
            return "no change"
        assert self.diff.mean is not None
        if self.metric.better is None:
            return "changed"
        up = self.diff.mean > 0
        return "better" if up == (self.metric.better == "higher") else "worse"


@dataclass(frozen=True)
class VerdictChange:
    stage: str
    """"Pipeline.Stage"."""
    now_graveyard: bool
    reasons: tuple[str, ...]
    """Why it is one now (empty when it stopped being one), as the simulator says it."""
    codes: tuple[str, ...] = ()
    """The reasons' codes (`wip-growing`, `older-than-sla`, `stay-without-sla`), with the
    figures below: what a renderer says in the output's language."""
    growth_per_day: float | None = None
    """wip-growing: the daily growth beyond what the arrivals explain."""
    wip_final: float | None = None
    """Deals in the stage at the horizon."""


@dataclass(frozen=True)
class Comparison:
    name: str
    run: VariantRun
    deltas: dict[str, Delta]
    verdicts: tuple[VerdictChange, ...]
    still_graveyards: tuple[str, ...]


def _delta(metric: MetricDef, base: VariantRun, other: VariantRun) -> Delta:
    b, o = base.series(metric.key), other.series(metric.key)
    # The same up to floating-point noise: a mean of waits summed in another order differs
    # in its 14th digit (qualification's sources with an August profile over 100 days from
    # January: «wait for a member» 9.1548… + 3e-14), which is no change of the scenario's.
    same = all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(x) and math.isnan(y))
               for x, y in zip(b, o))
    return Delta(metric, estimate(b), estimate(o), paired(b, o), same)


def _verdicts(base: VariantRun, other: VariantRun) -> tuple[tuple[VerdictChange, ...],
                                                            tuple[str, ...]]:
    was = {f"{s.pipeline}.{s.stage}": s.graveyard for s in base.result.stages}
    changes: list[VerdictChange] = []
    still: list[str] = []
    for s in other.result.stages:
        key = f"{s.pipeline}.{s.stage}"
        before = was.get(key)
        now = s.graveyard.is_graveyard
        if before is not None and before.is_graveyard != now:
            reasons = s.graveyard.reasons
            growing = next((r.growth_per_day for r in reasons if r.code == "wip-growing"), None)
            changes.append(VerdictChange(key, now, tuple(r.message for r in reasons),
                                         tuple(r.code for r in reasons), growing,
                                         s.wip_final.mean))
        elif now:
            still.append(key)
    return tuple(changes), tuple(still)


def compare(base: VariantRun, others: list[VariantRun]) -> list[Comparison]:
    """Paired deltas of every metric the baseline and a scenario both have."""
    out: list[Comparison] = []
    for other in others:
        keys = {d.key for d in other.space}
        deltas = {d.key: _delta(d, base, other) for d in base.space if d.key in keys}
        verdicts, still = _verdicts(base, other)
        out.append(Comparison(other.variant.name, other, deltas, verdicts, still))
    return out


def headline_keys(base: VariantRun) -> list[str]:
    """What the what-if table shows first: the account figures, then team utilizations."""
    have = {d.key for d in base.space}
    keys = [k for k in HEADLINE if k in have]
    keys += [d.key for d in base.space if d.name == "utilization"]
    return keys
