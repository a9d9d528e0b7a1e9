"""Distributions that cannot be sampled (FN221 wrong number of values, FN222 impossible
values, FN223 durations where amounts belong or the other way round). A time written as
an amount (`work 10` with no unit) is the common slip: the simulation cannot guess minutes
from hours.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import Dist, FunnelFile
from .references import error

__all__ = ["check_distributions", "DIST_ARITY"]

DIST_ARITY: dict[str, tuple[int, str]] = {
    "fixed": (1, "fixed(value)"),
    "exp": (1, "exp(mean)"),
    "uniform": (2, "uniform(low, high)"),
    "triangular": (3, "triangular(low, mode, high)"),
    "lognormal": (2, "lognormal(mean, sd)"),
    "gamma": (2, "gamma(mean, sd)"),
}


def _uses(funnel: FunnelFile) -> Iterator[tuple[Dist, str, str]]:
    """(distribution, what it measures, `duration` or `amount`)."""
    for src in funnel.sources:
        if src.value is not None:
            yield src.value, "`value`", "amount"
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.work is not None:
                yield stage.work, "`work`", "duration"
            if stage.patience is not None:
                yield stage.patience.dist, "`patience`", "duration"
            for out in stage.outcomes:
                if out.after is not None:
                    yield out.after, "`after`", "duration"
            if stage.cadence is not None:
                for touch in stage.cadence.touches:
                    if touch.work is not None:
                        yield touch.work, "a touch's `work`", "duration"
        for reopen in pipe.reopens:
            if reopen.after is not None:
                yield reopen.after, "`after`", "duration"
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.work is not None:
                yield ovr.work, "`work`", "duration"


def _arity(funnel: FunnelFile, dist: Dist) -> Diagnostic | None:
    n = len(dist.args)
    if dist.kind == "empirical":
        return None  # the grammar already requires one value
    want, shape = DIST_ARITY[dist.kind]
    if n == want:
        return None
    values = "value" if want == 1 else "values"
    return error(codes.FN221, f"`{dist.kind}` takes {want} {values}, found {n}", funnel, dist.span,
                 f"{n} given", help=f"write `{shape}`")


def _kind(funnel: FunnelFile, dist: Dist, what: str, kind: str) -> Diagnostic | None:
    wrong = [q for q in dist.args if q.kind != kind]
    if not wrong:
        return None
    q = wrong[0]
    if kind == "duration":
        units = (f"`{q.text}m`, `{q.text}h` or `{q.text}d`" if q.text.replace(".", "").isdigit()
                 else "30s, 15m, 2h, 3d, 1w")
        return error(codes.FN223, f"{what} is a time, but `{q.text}` is an amount", funnel, q.span,
                     "a duration needs a unit", help=f"write times with a unit: {units}")
    return error(codes.FN223, f"{what} is an amount of money, but `{q.text}` is a duration", funnel,
                 q.span, "an amount has no time unit",
                 help="write deal values as amounts: 1500, 250k, 3M")


def _values(funnel: FunnelFile, dist: Dist) -> Diagnostic | None:
    a = [q.value for q in dist.args]
    t = [q.text for q in dist.args]
    if dist.kind == "exp" and a[0] <= 0:
        problem, label, fix = ("`exp` with a mean of zero", "mean of zero",
                               "give it a positive mean, or write `fixed(0m)`")
    elif dist.kind == "uniform" and a[0] > a[1]:
        problem, label, fix = (f"`uniform` from {t[0]} down to {t[1]}", "low end above high end",
                               f"write the low end first: `uniform({t[1]}, {t[0]})`")
    elif dist.kind == "triangular" and not a[0] <= a[1] <= a[2]:
        lo, mode, hi = (text for _, text in sorted(zip(a, t)))
        problem, label, fix = ("`triangular` needs low <= mode <= high",
                               "values out of order",
                               f"order the values: `triangular({lo}, {mode}, {hi})`")
    elif dist.kind in ("lognormal", "gamma") and a[0] <= 0:
        problem, label, fix = (f"`{dist.kind}` with a mean of zero", "mean of zero",
                               "give it a positive mean")
    elif dist.kind in ("lognormal", "gamma") and a[1] <= 0:
        problem, label, fix = (f"`{dist.kind}` with a standard deviation of zero",
                               "standard deviation of zero",
                               f"give it a positive spread, or write a fixed value: `{t[0]}`")
    else:
        return None
    return error(codes.FN222, problem, funnel, dist.span, label, help=fix)


def check_distributions(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for dist, what, kind in _uses(funnel):
        found = _arity(funnel, dist) or _kind(funnel, dist, what, kind)
        if found is None:
            found = _values(funnel, dist)
        if found is not None:
            yield found
