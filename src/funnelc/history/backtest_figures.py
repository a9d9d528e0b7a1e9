"""The figures a back-test compares, measured on one history — the observed one or one
simulation run's, the same way: stage-to-stage conversion, deals won and lost, and the
backlog at each month end, per month and over the whole holdout.

A module of its own because both the calling process (the observed history) and the
worker processes (each run's records, `backtest_runs`) measure with it; `Yardstick`
carries everything a measurement needs, so it travels to a worker once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .analytics import month_of
from .events import LOST, WON

__all__ = ["HOLDOUT", "Key", "Figures", "Yardstick", "figures_of", "month_end_backlog",
           "month_start"]

HOLDOUT = "holdout"
"""The month label of a figure over the whole holdout."""

Key = tuple[str, str, str, str]
"""(kind, pipeline, subject, month): subject is "A → B" for a conversion, the stage for
a backlog, empty for won/lost."""
Figures = dict[Key, tuple[float | None, int | None]]
"""Key → (value, deals behind it for a conversion): small and picklable, what a worker
sends back for each run."""


def month_start(year: int, month: int, tz: str) -> datetime:
    """Local midnight of the month's first day in `tz`, in UTC."""
    return datetime(year, month, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _next_month(label: str) -> tuple[int, int]:
    y, mo = map(int, label.split("-"))
    return (y + 1, 1) if mo == 12 else (y, mo + 1)


@dataclass(frozen=True)
class Yardstick:
    """What every history of one back-test is measured against: the funnel's pairs,
    stages and pipelines, the months (in `tz`) and which of them are the holdout."""

    tz: str
    pairs: tuple[tuple[str, str, str], ...]
    stages: tuple[tuple[str, str], ...]
    pipelines: tuple[str, ...]
    months: tuple[str, ...]
    holdout: tuple[str, ...]

    def figures(self, conversion: pl.DataFrame, visits: pl.DataFrame,
                events: pl.DataFrame) -> Figures:
        return figures_of(conversion, visits, events, self.tz, list(self.pairs),
                          list(self.stages), list(self.pipelines), list(self.months),
                          list(self.holdout))


def figures_of(conversion: pl.DataFrame, visits: pl.DataFrame, events: pl.DataFrame, tz: str,
               pairs: list[tuple[str, str, str]], stages: list[tuple[str, str]],
               pipelines: list[str], months: list[str], holdout: list[str]) -> Figures:
    """Every compared figure of one history (observed or one simulation run), from its
    conversion table and visits (`analytics`) and its events: value and, for a
    conversion, the deals behind it. Months with nothing count zero deals; a
    conversion of a month nobody entered has no value."""
    out: Figures = {}
    conv: dict[tuple[str, str, str, str], tuple[int, int]] = {
        (p, a, b, mo): (int(e), int(d)) for p, a, b, mo, e, d in conversion.filter(
            pl.col("month") != "all").select("pipeline", "from_stage", "to_stage", "month",
                                             "entered", "direct").iter_rows()}
    for p, a, b in pairs:
        subject = f"{a} → {b}"
        te = td = 0
        for mo in months:
            e, d = conv.get((p, a, b, mo), (0, 0))
            out[("conversion", p, subject, mo)] = (100.0 * d / e if e else None, e)
            if mo in holdout:
                te, td = te + e, td + d
        out[("conversion", p, subject, HOLDOUT)] = (100.0 * td / te if te else None, te)
    closes = events.filter(pl.col("kind").is_in([WON, LOST])).with_columns(
        month=month_of("ts", tz)).group_by(["pipeline", "kind", "month"]).agg(n=pl.len())
    cl = {(p, k, mo): int(n) for p, k, mo, n in closes.iter_rows()}
    for p in pipelines:
        for kind in (WON, LOST):
            for mo in months:
                out[(kind, p, "", mo)] = (float(cl.get((p, kind, mo), 0)), None)
            out[(kind, p, "", HOLDOUT)] = (float(sum(cl.get((p, kind, mo), 0)
                                                     for mo in holdout)), None)
    wip = month_end_backlog(visits, months, tz)
    for p, s in stages:
        for mo in months:
            out[("backlog", p, s, mo)] = (float(wip.get((p, s, mo), 0)), None)
        out[("backlog", p, s, HOLDOUT)] = (
            float(np.mean([wip.get((p, s, mo), 0) for mo in holdout])), None)
    return out


def month_end_backlog(visits: pl.DataFrame, months: list[str], tz: str
                      ) -> dict[tuple[str, str, str], int]:
    """(pipeline, stage, month) → deals in the stage at the month's end: entered before
    local midnight of the next month's first day (in `tz`) and not left by then (a
    visit still open at the end of the data counts). Measured here rather than taken from
    `analytics.backlog`, whose month ends sit at the time of day of the data's first event
    and stop before the last month when the last event is earlier in its day: the
    observed history and each simulated run begin at different times of day, so their
    backlogs would be counted at different moments, and a run would now and then have no
    last month at all (counted as an empty backlog)."""
    if visits.height == 0:
        return {}
    out: dict[tuple[str, str, str], int] = {}
    vis = visits.lazy().select("pipeline", "stage", "entered", "left")
    for mo in months:
        t = month_start(*_next_month(mo), tz)
        at = vis.filter((pl.col("entered") < t)
                        & (pl.col("left").is_null() | (pl.col("left") >= t)))
        for p, s, n in at.group_by(["pipeline", "stage"]).agg(n=pl.len()).collect().iter_rows():
            out[(p, s, mo)] = int(n)
    return out
