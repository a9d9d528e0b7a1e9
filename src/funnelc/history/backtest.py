"""Back-test of a fit: fit the funnel on the first N months of a history, simulate the
months after with the fitted funnel, and ask whether what happened lies where the
simulation said it would — per month of the holdout and over the whole holdout:
stage-to-stage conversion, deals won and lost, and the backlog (deals in each stage at
each month end).

How the holdout is simulated: from the cut, warm. Each run starts at the cut (local
midnight of the first holdout month, in `--tz`) with the deals the history has open
there (`open_deals_at`: entered a funnel stage before the cut and neither won nor lost
by it), each in its stage since its real entry time, and runs to the history's last
event with the fitted funnel (`funnelc.sim` warm start: the remaining stays are drawn
given the time already spent). So the months right after the cut are judged against
the backlog the account really had, not against a simulation that had to build one up.
The fit months are compared too, as an in-sample check of the fit itself: there the
runs start empty at the first day of the history, as the account's own export does
(deals before its first event are not in it).

Both sides go through the very same analytics (`analytics.analyse`) and measurement
(`backtest_figures`): the simulated records are read back as a history (`read_records`),
so a figure means the same thing on both sides, censoring at the end of the data
included. Each run is read back and measured in the process that simulated it
(`backtest_runs`); only its figures come back here.

The interval is a 95 % *prediction* interval for one realisation — the history is one
run of the real process — not the confidence interval of the simulated mean, which
shrinks with more runs and would end up excluding every observation: mean ± t(0.975,
n−1) · sd · √(1 + 1/n) over the n runs. Every run simulates its own draw of the fitted
numbers from their sampling distributions (`uncertainty`: shares resampled, source
rates from their Poisson posterior, delay means within the fit's own interval), so the
runs are independent draws of what one more history would show — the process's noise
and what a fit on N months cannot know together — and the interval's t factor has the
n − 1 degrees of freedom it claims. (Runs that shared a draw by fours used to leave the
fit's uncertainty to a handful of draws: too few to measure it, too many degrees of
freedom claimed.)

Measured coverage (`tests/test_backtest_coverage.py`, README "Back-test"): over
synthetic stationary histories the holdout figures fall inside their interval 90–98 %
of the time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .. import model as m
from ..i18n import N_
from ..i18n.moment import Moment
from ..i18n.note import Note, _n
from ..sim.budget import DEFAULT_MAX_DEALS, WorkRefused, estimate_work, refusal
from ..sim.warm import OpenDeal
from .analytics import analyse
from .backtest_figures import HOLDOUT, Figures, Key, Yardstick, month_start
from .backtest_runs import RunPlan, runs, start_workers
from .errors import HistoryDataError
from .events import STAGE, known_at
from .fit import MIN_DEALS, FitResult, fit_funnel
from .load import History
from .match import funnel_depths, funnel_pairs
from .quality import DataQuality
from .run import Prepared, record_sources
from .uncertainty import fitted_model

__all__ = ["BacktestError", "Figure", "Backtest", "run_backtest", "history_months",
           "open_deals_at", "arrivals_end", "HOLDOUT", "PER_DRAW", "DEFAULT_REPS", "KINDS"]

PER_DRAW = 1
"""Runs per draw of the fitted numbers: every run simulates its own draw (see the
module's note)."""
DEFAULT_REPS = 40
KINDS = ("conversion", "won", "lost", "backlog")

Progress = Callable[[int, int], None]


class BacktestError(Exception):
    """The back-test cannot run as asked (too few or too many months): a usage error."""


@dataclass
class Figure:
    kind: str
    pipeline: str
    subject: str
    month: str
    observed: float
    mean: float
    sd: float
    low: float
    high: float
    runs: int
    """Simulation runs that had a value (a month nobody entered the stage has no
    conversion)."""
    deals: int | None = None
    """Deals behind an observed conversion (those that entered the first stage)."""

    @property
    def inside(self) -> bool:
        return self.low - 1e-9 <= self.observed <= self.high + 1e-9

    @property
    def direction(self) -> str:
        if self.inside:
            return "inside"
        return "above" if self.observed > self.high else "below"

    @property
    def deviation(self) -> float | None:
        """(observed − mean) in units of the prediction sd: how far out, comparably."""
        scale = self.sd * math.sqrt(1 + 1 / self.runs) if self.runs else 0.0
        return (self.observed - self.mean) / scale if scale > 0 else None

    @property
    def unit(self) -> str:
        return "%" if self.kind == "conversion" else "deals"

    def label(self, with_pipeline: bool) -> str:
        where = f"{self.pipeline}: " if with_pipeline else ""
        if self.kind == "conversion":
            return f"{where}conversion {self.subject}"
        if self.kind == "backlog":
            return f"{where}backlog {self.subject}"
        return f"{where}{self.kind}"


@dataclass
class Backtest:
    months: list[str]
    fit_months: list[str]
    holdout_months: list[str]
    cut: datetime
    data_start: datetime
    data_end: datetime
    tz: str
    start: date
    """Day 1 of the simulations."""
    days: int
    reps: int
    draws: int
    seed: int
    figures: list[Figure]
    """Holdout months and the whole holdout: what the verdict counts."""
    in_sample: list[Figure]
    """The fit months, for reference (the fit saw them)."""
    fit: FitResult
    fit_prep: Prepared
    fitted: m.FunnelFile
    pipelines: list[str]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    open_at_cut: int = 0
    """Deals open at the cut that every holdout run starts with."""
    holdout_days: int = 0
    """Days the holdout runs simulate, from the cut."""

    @property
    def inside(self) -> int:
        return sum(f.inside for f in self.figures)

    @property
    def verdict(self) -> str:
        n = len(self.figures)
        if n == 0:
            return "no figure to compare: the holdout has no deals"
        out = [f for f in self.figures if not f.inside]
        text = f"{self.inside} of {n} figures inside the 95% interval"
        if out:
            worst = max(out, key=lambda f: abs(f.deviation or math.inf))
            where = (f"over the holdout {self.holdout_months[0]} – {self.holdout_months[-1]}"
                     if len(self.holdout_months) > 1 else f"over the holdout "
                     f"{self.holdout_months[0]}") if worst.month == HOLDOUT \
                else f"in {worst.month}"
            text += f"; furthest out: {worst.label(len(self.pipelines) > 1)} {where} " \
                    f"({worst.direction})"
        return text


# ---------------------------------------------------------------------------- months
def history_months(start: datetime, end: datetime, tz: str) -> list[str]:
    """Calendar months (in `tz`) from the first event's to the last event's, inclusive."""
    zone = ZoneInfo(tz)
    a, b = start.astimezone(zone), end.astimezone(zone)
    out = []
    y, mo = a.year, a.month
    while (y, mo) <= (b.year, b.month):
        out.append(f"{y}-{mo:02d}")
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return out


# ---------------------------------------------------------------------------- figures
def _interval(values: list[float], kind: str) -> tuple[float, float, float, float]:
    from scipy import stats

    n = len(values)
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * sd * math.sqrt(1 + 1 / n) if n > 1 else 0.0
    low, high = max(0.0, mean - half), mean + half
    if kind == "conversion":
        high = min(100.0, high)
    return mean, sd, low, high


def compare(observed: Figures, runs: list[Figures], few: list[Key] | None = None,
            pipelines: list[str] | None = None) -> list[Figure]:
    """One `Figure` per key the observation has a value for and at least two runs have
    one. Left out: a figure every run and the observation put at the same constant (a
    stage no deal ever enters) says nothing; a conversion of fewer than `MIN_DEALS`
    deals (a month the data barely reaches) is noise (its key goes to `few`). Within a
    month and kind, pipelines come in `pipelines`' order (the funnel's: the main one
    first), not by name («Прогрев» sorted before «Продажи»)."""
    out = []
    for key, (obs, deals) in observed.items():
        if obs is None:
            continue
        if deals is not None and deals < MIN_DEALS:
            if few is not None:
                few.append(key)
            continue
        vals = [r[key][0] for r in runs if key in r and r[key][0] is not None]
        if len(vals) < 2:
            continue
        mean, sd, low, high = _interval(vals, key[0])  # type: ignore[arg-type]
        if sd == 0 and abs(obs - mean) < 1e-9:
            continue
        out.append(Figure(key[0], key[1], key[2], key[3], obs, mean, sd, low, high,
                          len(vals), deals))
    order = {k: i for i, k in enumerate(KINDS)}
    rank = {p: i for i, p in enumerate(pipelines or sorted({f.pipeline for f in out}))}
    return sorted(out, key=lambda f: (f.month == HOLDOUT, f.month, order[f.kind],
                                      rank[f.pipeline]))


# ---------------------------------------------------------------------------- runs
def open_deals_at(events: pl.DataFrame, cut: datetime, funnel: m.FunnelFile
                  ) -> tuple[list[OpenDeal], int]:
    """The deals open at `cut` as the simulator's warm start takes them, and how many
    open deals sit in a stage the funnel does not have (left out).

    Open: the deal's last event before the cut is an entry into a stage (not a win or a
    loss). Its stage and entry time are that event's; hours count from the cut (so they
    are negative); `born_hours` is its first event, `value` and `source` its last and
    first known ones, `ref` its id. Stage names are the funnel's where the history's
    matched them (`match.match_names`). Ordered by deal id, so a run does not depend on
    the order of the inputs."""
    known = {(p.name.value, s.name.value) for p in funnel.pipelines for s in p.stages}
    before = events.filter(pl.col("ts") < cut).sort(["deal_id", "ts", "seq"])
    last = before.group_by("deal_id", maintain_order=True).agg(
        pl.col("kind").last(), pl.col("pipeline").last(), pl.col("stage").last(),
        entered=pl.col("ts").last(), born=pl.col("ts").first(),
        value=pl.col("value").drop_nulls().last(), source=pl.col("source").drop_nulls().first(),
    ).filter(pl.col("kind") == STAGE)
    out: list[OpenDeal] = []
    skipped = 0
    for deal, _, pipe, stage, entered, born, value, source in last.iter_rows():
        if (pipe, stage) not in known:
            skipped += 1
            continue
        e = (entered - cut).total_seconds() / 3600.0
        out.append(OpenDeal(pipe, stage, e, float(value) if value is not None and
                            math.isfinite(value) and value >= 0 else 0.0,
                            min(e, (born - cut).total_seconds() / 3600.0), source, deal))
    return out, skipped


ARRIVALS_GONE = 10.0
"""Arrivals the fitted sources would bring, on average, between the history's last new
deal and its last event, above which that silence is the export's edge and not chance
(Poisson: no arrival at all when 10 are expected happens 5 times in 100 000)."""


def arrivals_end(events: pl.DataFrame, fitted: m.FunnelFile, data_end: datetime, tz: str
                  ) -> tuple[datetime, float] | None:
    """When the history's new deals stop well before its last event — the moment of the
    last deal that first appears in a stage a source feeds, and the arrivals the fitted
    sources would bring from then to the end — or None while that silence is
    plausible. An export filtered by creation date (an online school's July–October
    leads, their moves until late November) has events for a month in which no deal
    arrives; simulated with the fitted sources, that month's runs count a month of new
    deals the export cannot show, and its won, lost and backlog all read as a collapse.
    Only the sources' base rates count: a month profile fitted on such an export has
    learnt the silence itself («profile nov 0%»). When every new deal's moment is a
    midnight (a date without a time of day: Olist's `first_contact_date`), the last one
    stands for its whole day, and the silence is measured from that day's end: the
    day's deals are all there, read at 00:00."""
    targets = {(s.target.pipeline.value if s.target.pipeline is not None else None,
                s.target.stage.value) for s in fitted.sources if s.rate.per_hour > 0}
    per_hour = sum(s.rate.per_hour for s in fitted.sources)
    if not targets or per_hour <= 0 or events.height == 0:
        return None
    first = events.sort(["deal_id", "ts", "seq"]).group_by("deal_id", maintain_order=True).agg(
        pl.col("pipeline").first(), pl.col("stage").first(), pl.col("ts").first())
    born = [ts for _d, pipe, stage, ts in first.iter_rows()
            if (pipe, stage) in targets or (None, stage) in targets]
    if not born:
        return None
    last = max(born)
    zone = ZoneInfo(tz)
    whole_days = all(t.astimezone(zone).time() == dtime(0) for t in born)
    quiet_from = (datetime.combine(last.astimezone(zone).date() + timedelta(days=1), dtime(0),
                                   zone) if whole_days else last)
    expected = per_hour * max(0.0, (data_end - quiet_from).total_seconds()) / 3600.0
    if expected < ARRIVALS_GONE:
        return None
    return last, expected


def _cut_history(prep: Prepared, cut: datetime, funnel: m.FunnelFile, tz: str) -> Prepared:
    """The history as it stood at the cut: later events are not known yet, so deals
    open at the cut are open (censored) for the fit, and an amount, source or manager a
    later row wrote is not known either (`events.known_at`)."""
    h = prep.history
    ev = known_at(h.events, h.written, cut)
    hist = History(ev, h.catalog, DataQuality(rows_read=ev.height, rows_kept=ev.height), tz,
                   set(h.formats))
    tables = analyse(hist, funnel_depths(funnel), funnel_pairs(funnel))
    return Prepared(hist, tables, prep.names)


def run_backtest(prep: Prepared, funnel: m.FunnelFile, fit_months: int, tz: str = "UTC",
                 reps: int = DEFAULT_REPS, seed: int = 1, jobs: int | None = None,
                 progress: Progress | None = None, max_deals: int | None = None) -> Backtest:
    """Fit on the first `fit_months` months of `prep`'s history, simulate `reps` runs of
    the whole window with the fitted funnel, compare the months after. Raises
    `BacktestError` when the history cannot be split that way, `HistoryDataError` when
    every row of it was dropped, `WorkRefused` when the runs would simulate more than
    `max_deals` deals (`sim.budget`; default
    `DEFAULT_MAX_DEALS`): known only now, from the fitted rates over the history's span."""
    t0 = time.perf_counter()
    vis = prep.tables.visits
    if vis.data_start is None or vis.data_end is None:
        # Rows were given (an empty file is refused when read), so every one was dropped:
        # a problem of the input, not of --backtest.
        files = ", ".join(dict.fromkeys(f[0] for f in prep.history.quality.files)) or "the history"
        raise HistoryDataError(f"{files}: the history holds no events: every row was dropped",
                               "the data-quality lines below say why and where; fix those rows")
    if fit_months < 1:
        raise BacktestError(f"fit on at least 1 month (got {fit_months})")
    if reps < 2:
        raise BacktestError(f"an interval needs at least 2 runs (got {reps})")
    data_start, data_end = vis.data_start, vis.data_end
    assert isinstance(data_start, datetime) and isinstance(data_end, datetime)
    months = history_months(data_start, data_end, tz)
    if fit_months >= len(months):
        raise BacktestError(
            f"the history covers {len(months)} month{'s' if len(months) != 1 else ''} "
            f"({months[0]} – {months[-1]} in {tz}): fit on at most {len(months) - 1} so "
            "that at least one month is left to compare"
            if len(months) > 1 else
            f"the history covers one month ({months[0]} in {tz}): a back-test needs at "
            "least two")
    y, mo = map(int, months[fit_months].split("-"))
    cut = month_start(y, mo, tz)
    start_workers(reps, jobs)
    fit_prep = _cut_history(prep, cut, funnel, tz)
    fit = fit_funnel(fit_prep, funnel, tz)
    fitted = fitted_model(funnel, fit)

    zone = ZoneInfo(tz)
    start = data_start.astimezone(zone).date()
    local0 = datetime(start.year, start.month, start.day, tzinfo=zone)
    days = max(1, math.ceil((data_end - local0).total_seconds() / 86400 + 1e-9))
    cut_day = cut.astimezone(zone).date()
    fit_days = max(1, math.ceil((cut - local0).total_seconds() / 86400 - 1e-9))
    hold_days = max(1, math.ceil((data_end - cut).total_seconds() / 86400 + 1e-9))
    open_now, off_funnel = open_deals_at(prep.history.events, cut, funnel)
    warm = tuple(open_now)
    why = refusal(estimate_work([fitted], days, reps, start),
                  max_deals if max_deals is not None else DEFAULT_MAX_DEALS,
                  "lower --reps or back-test a shorter history")
    if why is not None:
        raise WorkRefused(why)
    silence = arrivals_end(prep.history.events, fitted, data_end, tz)
    dry: list[str] = []
    if silence is not None:
        last_arrival, expected = silence
        keep = history_months(data_start, last_arrival, tz)
        dry = months[len(keep):]
        if len(keep) <= fit_months:
            raise BacktestError(
                f"no deal entered the funnel after {last_arrival.astimezone(zone):%Y-%m-%d %H:%M}"
                f" ({tz}), although the sources fitted on the first {fit_months} "
                f"month{'s' if fit_months != 1 else ''} bring about {expected:,.0f} by the "
                f"history's last event: the export holds only the deals created by then "
                f"(a filter on the creation date?), so {', '.join(dry)} cannot be compared; "
                f"fit on at most {len(keep) - 1} month{'s' if len(keep) != 2 else ''}"
                if len(keep) > 1 else
                f"no deal entered the funnel after {last_arrival.astimezone(zone):%Y-%m-%d} "
                f"({tz}): the history's deals all arrive in its first month, so no month "
                "after it can be compared")
        months = keep
    holdout = months[fit_months:]
    yardstick = Yardstick(
        tz, tuple(funnel_pairs(funnel)),
        tuple((p.name.value, s.name.value) for p in funnel.pipelines for s in p.stages),
        tuple(p.name.value for p in funnel.pipelines), tuple(months), tuple(holdout))
    pipelines = list(yardstick.pipelines)
    observed = yardstick.figures(prep.tables.conversion, prep.tables.visits.visits,
                                 prep.history.events)
    hold_runs: list[Figures | None] = [None] * reps
    fit_runs: list[Figures | None] = [None] * reps
    plan = RunPlan(funnel, fit, seed, warm, cut_day, hold_days, start, fit_days, max_deals,
                   data_end, cut - timedelta(microseconds=1), record_sources(funnel),
                   funnel_depths(funnel), yardstick)
    for done, run in enumerate(runs(plan, reps, jobs), 1):
        hold_runs[run.run], fit_runs[run.run] = run.holdout, run.fit_months
        if progress is not None:
            progress(done, reps)
    few: list[Key] = []
    judged = compare({k: v for k, v in observed.items() if k[3] in holdout or k[3] == HOLDOUT},
                     [r for r in hold_runs if r is not None], few, pipelines)
    in_sample = compare({k: v for k, v in observed.items() if k[3] in months[:fit_months]},
                        [r for r in fit_runs if r is not None], None, pipelines)
    warm_count, off_count = len(warm), off_funnel
    notes: list[str] = [_n(
        "every holdout run starts at the cut with the {count} deal the history has open "
        "there, each in its stage since its real entry (the remaining stay drawn given the "
        "time already spent); the fit months are simulated from an empty account at the "
        "history's first day",
        "every holdout run starts at the cut with the {count} deals the history has open "
        "there, each in its stage since its real entry (the remaining stay drawn given the "
        "time already spent); the fit months are simulated from an empty account at the "
        "history's first day", len(warm), count=warm_count)]
    if off_funnel:
        notes.append(_n("{count} deal open at the cut in a stage the funnel does not have left "
                        "out of the holdout runs",
                        "{count} deals open at the cut in a stage the funnel does not have left "
                        "out of the holdout runs", off_funnel, count=off_count))
    if few:
        which: tuple[str, ...] = tuple(
            Note(N_("{stage} in {holdout_month}"), stage=k[2], holdout_month=k[3])
            for k in few[:3]) + (("…",) if len(few) > 3 else ())
        notes.append(_n("{n} holdout conversion of fewer than {min} deals left out "
                        "({which_list})",
                        "{n} holdout conversions of fewer than {min} deals left out "
                        "({which_list})", len(few), min=MIN_DEALS, which_list=which))
    if dry and silence is not None:
        # Said in words in Russian and Ukrainian, as the forecast says it (`Moment`).
        last_new = Moment(silence[0].astimezone(zone))
        notes.append(_n(
            "no deal entered the funnel after {last} ({tz}), although the fitted sources bring "
            "about {expected} by the history's last event: the export holds only the deals "
            "created by then (a filter on the creation date?), so the month after it, "
            "{dry_months}, is left out of the comparison (its runs would count new deals "
            "the export cannot show)",
            "no deal entered the funnel after {last} ({tz}), although the fitted sources bring "
            "about {expected} by the history's last event: the export holds only the deals "
            "created by then (a filter on the creation date?), so the months after it, "
            "{dry_months}, are left out of the comparison (their runs would count new deals "
            "the export cannot show)", len(dry),
            last=last_new, tz=tz,
            expected=round(silence[1]), dry_months=tuple(dry)))
    if funnel.scenarios:
        notes.append(Note(N_("the funnel's scenarios are not simulated: the fitted funnel runs "
                             "as is")))
    return Backtest(months, months[:fit_months], holdout, cut, data_start, data_end, tz,
                    start, days, reps, reps, seed, judged, in_sample, fit, fit_prep, fitted,
                    pipelines, notes, time.perf_counter() - t0, len(warm), hold_days)
