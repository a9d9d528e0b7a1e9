"""The report's figures as tidy tables: one row per (subject, metric, estimate), so the
CSV, the plots and the HTML all read the same numbers and never the engine.

Simulated figures come from the `SimResult` (mean and the bounds of its 95 % CI);
exact ones from `analysis.exact` (estimate `exact`, or `exact_lower_bound` where the
closed form only bounds the figure). Counts the exact maths expects during the observed
window weight each month's steady-state flow by the days of that month in the window,
so a seasonal profile is followed month by month. The backlog band is the only figure
the `SimResult` does not carry: it comes from each replication's daily WIP.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from ..numfmt import BUSY, COUNT, SHARE, SIGNED, Limits, ends

if TYPE_CHECKING:
    from ..analysis.exact import AccountExact, StageExact
    from ..model import FunnelFile
    from ..sim.config import SimConfig
    from ..sim.results import Estimate, SimResult
    from ..sim.stats import RepStats

__all__ = ["StageMetric", "TeamMetric", "PipelineMetric", "BacklogRow", "VerdictRow",
           "ReportData", "collect", "CSV_COLUMNS", "MONTHS"]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
HOURS_PER_MONTH = 730.0

CSV_COLUMNS = ("pipeline", "stage", "metric", "unit", "estimate", "value")


@dataclass(frozen=True)
class StageMetric:
    pipeline: str
    stage: str
    metric: str
    """Name with its unit: `time_in_stage_p90_hours`, `entered_deals`, `p_win`…"""
    unit: str
    estimate: str
    """mean, ci95_low, ci95_high (simulation); exact, exact_lower_bound; verdict."""
    value: float


@dataclass(frozen=True)
class TeamMetric:
    team: str
    metric: str
    unit: str
    estimate: str
    value: float


@dataclass(frozen=True)
class PipelineMetric:
    pipeline: str
    metric: str
    unit: str
    estimate: str
    value: float


@dataclass(frozen=True)
class BacklogRow:
    """Deals in the stage at the end of `day` (1-based from the start date)."""

    pipeline: str
    stage: str
    day: int
    wip_mean: float
    wip_ci95_low: float
    wip_ci95_high: float


@dataclass(frozen=True)
class VerdictRow:
    pipeline: str
    stage: str
    code: str
    message: str


@dataclass
class ReportData:
    """Everything the report shows, collected once."""

    result: SimResult
    exact: AccountExact
    """The exact maths at the sources' annual mean rate (what `funnelc analyze` prints)."""
    account: str
    scenarios: list[str]
    language: str | None = None
    """The account's `language`: the page speaks it (`--lang` overrides)."""
    stage_metrics: list[StageMetric] = field(default_factory=list)
    team_metrics: list[TeamMetric] = field(default_factory=list)
    pipeline_metrics: list[PipelineMetric] = field(default_factory=list)
    backlog: list[BacklogRow] = field(default_factory=list)
    verdicts: list[VerdictRow] = field(default_factory=list)
    _index: dict[tuple[str, str, str, str], float] = field(default_factory=dict, repr=False)

    @property
    def pipelines(self) -> list[str]:
        return [p.pipeline for p in self.result.pipelines]

    def stages_of(self, pipeline: str) -> list[str]:
        return [s.stage for s in self.result.stages if s.pipeline == pipeline]

    def stage_value(self, pipeline: str, stage: str, metric: str, estimate: str
                    ) -> float | None:
        return self._index.get((f"s:{pipeline}", stage, metric, estimate))

    def pipeline_value(self, pipeline: str, metric: str, estimate: str) -> float | None:
        return self._index.get((f"p:{pipeline}", "", metric, estimate))

    def team_value(self, team: str, metric: str, estimate: str) -> float | None:
        return self._index.get((f"t:{team}", "", metric, estimate))

    def is_graveyard(self, pipeline: str, stage: str) -> bool:
        return any(v.pipeline == pipeline and v.stage == stage for v in self.verdicts)

    def reasons(self, pipeline: str, stage: str) -> list[VerdictRow]:
        return [v for v in self.verdicts if v.pipeline == pipeline and v.stage == stage]

    def backlog_of(self, pipeline: str, stage: str) -> list[BacklogRow]:
        return [b for b in self.backlog if b.pipeline == pipeline and b.stage == stage]

    def _build_index(self) -> None:
        self._index = {}
        for s in self.stage_metrics:
            self._index[(f"s:{s.pipeline}", s.stage, s.metric, s.estimate)] = s.value
        for p in self.pipeline_metrics:
            self._index[(f"p:{p.pipeline}", "", p.metric, p.estimate)] = p.value
        for t in self.team_metrics:
            self._index[(f"t:{t.team}", "", t.metric, t.estimate)] = t.value


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _estimate_rows(e: Estimate | None, scale: float = 1.0, limits: Limits = COUNT
                   ) -> Iterable[tuple[str, float]]:
    """(estimate, value) pairs of a simulated figure: its mean and, when the replications
    give one, the bounds of its 95 % CI, held at the figure's natural `limits` (a count,
    a duration or money is never below 0, a share never above 1), as the tables print
    them: with 2 replications `entered` read ci95_low −19.5 deals."""
    if e is None or not _ok(e.mean):
        return []
    assert e.mean is not None
    out = [("mean", e.mean * scale)]
    if _ok(e.ci95):
        assert e.ci95 is not None
        lo, hi = ends(e.mean, e.ci95, *limits) or (e.mean - e.ci95, e.mean + e.ci95)
        out += [("ci95_low", lo * scale), ("ci95_high", hi * scale)]
    return out


def _window_month_days(config: SimConfig) -> dict[str, int]:
    """Observed days per calendar month (the window after warm-up)."""
    days: dict[str, int] = {}
    for d in range(config.warmup_days, config.days):
        month = MONTHS[(config.start + timedelta(days=d)).month - 1]
        days[month] = days.get(month, 0) + 1
    return days


def _expected_in_window(model: FunnelFile, config: SimConfig
                        ) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Entries per stage and wins per pipeline the exact maths expects over the observed
    window: Σ over months of (days in the window × 24 × that month's steady rate)."""
    from ..analysis.exact import analyze_account

    seasonal = any(s.profile for s in model.sources)
    per_month = _window_month_days(config)
    entries: dict[tuple[str, str], float] = {}
    wins: dict[str, float] = {}
    plan = per_month.items() if seasonal else [(None, sum(per_month.values()))]
    for month, ndays in plan:
        exact = analyze_account(model, month, money=False)  # flows only: no money needed
        hours = ndays * 24.0
        for p in exact.pipelines:
            wins[p.name] = wins.get(p.name, 0.0) + p.won_per_month / HOURS_PER_MONTH * hours
            for s in p.stages:
                key = (s.pipeline, s.stage)
                entries[key] = entries.get(key, 0.0) + s.arrivals_per_hour * hours
    return entries, wins


def _daily_band(series: list[list[float]]) -> list[tuple[float, float, float]]:
    """(mean, low, high) per day over replications; the band collapses with one."""
    import numpy as np

    from ..sim.ci import t_quantile

    n = len(series)
    ndays = min(len(s) for s in series) if series else 0
    if ndays == 0:
        return []
    a = np.array([s[:ndays] for s in series], dtype=float)
    mean = a.mean(axis=0)
    if n < 2:
        return [(float(m), float(m), float(m)) for m in mean]
    half = t_quantile(0.975, n - 1) * a.std(axis=0, ddof=1) / math.sqrt(n)
    return [(float(m), float(m - h), float(m + h)) for m, h in zip(mean, half)]


def collect(model: FunnelFile, config: SimConfig, reps: list[RepStats], result: SimResult
            ) -> ReportData:
    """Tidy tables from a finished run. `reps` are the replications `result` summarizes,
    in the same stage order (the compiled network's)."""
    from ..analysis.exact import analyze_account
    from ..scenarios import scenario_names

    exact = analyze_account(model)
    exact.scenario = result.run.scenario
    account = model.account
    data = ReportData(result=result, exact=exact,
                      account=account.name.value if account is not None else result.run.file,
                      scenarios=scenario_names(model),
                      language=account.language if account is not None else None)
    expected_entries, expected_wins = _expected_in_window(model, config)
    rows = data.stage_metrics

    def add(p: str, s: str, metric: str, unit: str, pairs: Iterable[tuple[str, float]]) -> None:
        for est, value in pairs:
            if _ok(value):
                rows.append(StageMetric(p, s, metric, unit, est, float(value)))

    for st in result.stages:
        p, s = st.pipeline, st.stage
        ts = st.time_in_stage_hours
        add(p, s, "entered_deals", "deals", _estimate_rows(st.entered))
        add(p, s, "arrivals_per_hour", "deals per hour", _estimate_rows(st.arrival_rate_per_hour))
        add(p, s, "time_in_stage_mean_hours", "hours", _estimate_rows(ts.mean))
        add(p, s, "time_in_stage_p50_hours", "hours", _estimate_rows(ts.p50))
        add(p, s, "time_in_stage_p90_hours", "hours", _estimate_rows(ts.p90))
        add(p, s, "time_in_stage_p99_hours", "hours", _estimate_rows(ts.p99))
        add(p, s, "queue_wait_mean_hours", "hours", _estimate_rows(st.queue_wait_hours_mean))
        add(p, s, "wip_time_average_deals", "deals", _estimate_rows(st.wip_time_average))
        add(p, s, "wip_final_deals", "deals", _estimate_rows(st.wip_final))
        add(p, s, "wip_growth_deals_per_day", "deals per day",
            _estimate_rows(st.wip_growth_per_day, limits=SIGNED))
        add(p, s, "age_final_mean_hours", "hours", _estimate_rows(st.age_final_hours_mean))
        add(p, s, "respond_breach_pct", "percent", _estimate_rows(st.respond_breach_pct,
                                                                limits=(0.0, 100.0)))
        t = st.timeouts
        if t.action is not None:
            for kind, e in (("queued", t.queued), ("in_work", t.in_work),
                            ("in_delay", t.in_delay), ("parked", t.parked)):
                add(p, s, f"sla_timeouts_{kind}_deals", "deals", _estimate_rows(e))
        add(p, s, "graveyard", "flag", [("verdict", 1.0 if st.graveyard.is_graveyard else 0.0)])
        for reason in st.graveyard.reasons:
            data.verdicts.append(VerdictRow(p, s, reason.code, reason.message))

        ex = _exact_stage(exact, p, s)
        if ex is None:
            continue
        add(p, s, "entered_deals", "deals", [("exact", expected_entries.get((p, s), math.nan))])
        add(p, s, "arrivals_per_hour", "deals per hour", [("exact", ex.arrivals_per_hour)])
        add(p, s, "visits_per_lead", "visits per lead", [("exact", ex.visits_per_lead)])
        add(p, s, "p_win", "fraction", [("exact", ex.p_win)])
        if ex.mean_time_hours is not None:
            add(p, s, "time_in_stage_mean_hours", "hours", [("exact", ex.mean_time_hours)])
        elif ex.mean_time_lower_hours is not None:
            add(p, s, "time_in_stage_mean_hours", "hours",
                [("exact_lower_bound", ex.mean_time_lower_hours)])
        if ex.queue is not None:
            add(p, s, "queue_wait_mean_hours", "hours",
                [("exact", ex.queue.wait_served_mean_hours)])
            if ex.queue.respond_breach is not None:
                add(p, s, "respond_breach_pct", "percent",
                    [("exact", ex.queue.respond_breach * 100.0)])
        if ex.occupancy_mean is not None and ex.stuck_per_hour == 0:
            add(p, s, "wip_time_average_deals", "deals", [("exact", ex.occupancy_mean)])
        if ex.sla_cut is not None:
            add(p, s, "sla_cut_pct", "percent",
                [("exact_lower_bound" if ex.sla_cut_is_bound else "exact", ex.sla_cut * 100.0)])
        if ex.sla_ends is not None:  # the stay share too: what the timeouts count
            add(p, s, "sla_ends_pct", "percent",
                [("exact_lower_bound" if ex.sla_cut_is_bound else "exact", ex.sla_ends * 100.0)])

    for i, st in enumerate(result.stages):
        series = [r.stages[i].wip_daily for r in reps]
        first = st.wip_daily_first_day
        for d, (mean, lo, hi) in enumerate(_daily_band(series)):
            data.backlog.append(BacklogRow(st.pipeline, st.stage, first + d, mean, max(lo, 0.0),
                                           hi))

    for team in result.teams:
        for est, v in _estimate_rows(team.utilization, limits=BUSY):
            data.team_metrics.append(TeamMetric(team.team, "utilization", "fraction", est, v))
        for est, v in _estimate_rows(team.queue_mean):
            data.team_metrics.append(TeamMetric(team.team, "queue_mean_deals", "deals", est, v))
        if team.offered_load_rho is not None:
            data.team_metrics.append(TeamMetric(team.team, "offered_load_rho", "fraction",
                                                "exact", team.offered_load_rho))

    for pr in result.pipelines:
        # Called only within this iteration, so `pr` is the current pipeline.
        def padd(metric: str, unit: str, pairs: Iterable[tuple[str, float]]) -> None:
            for est, value in pairs:
                if _ok(value):
                    data.pipeline_metrics.append(
                        PipelineMetric(pr.pipeline, metric, unit, est, float(value)))  # noqa: B023

        padd("started_deals", "deals", _estimate_rows(pr.started))
        padd("won_deals", "deals", _estimate_rows(pr.won))
        padd("won_deals", "deals", [("exact", expected_wins.get(pr.pipeline, math.nan))])
        padd("conversion", "fraction", _estimate_rows(pr.conversion, limits=SHARE))
        pe = next((x for x in exact.pipelines if x.name == pr.pipeline), None)
        if pe is not None:
            padd("conversion", "fraction", [("exact", pe.p_won)])
        padd("revenue_won", result.account.currency or "money", _estimate_rows(pr.revenue_won))
    data._build_index()
    return data


def _exact_stage(exact: AccountExact, pipeline: str, stage: str) -> StageExact | None:
    try:
        return exact.stage(pipeline, stage)
    except KeyError:
        return None
