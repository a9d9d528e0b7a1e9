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

Both sides go through the very same analytics (`analytics.analyse`): the simulated
records are read back as a history (`read_records`), so a figure means the same thing on
both sides, censoring at the end of the data included.

The interval is a 95 % *prediction* interval for one realisation — the history is one
run of the real process — not the confidence interval of the simulated mean, which
shrinks with more runs and would end up excluding every observation: mean ± t(0.975,
n−1) · sd · √(1 + 1/n) over the n runs. Runs also differ in the fitted numbers: every
`PER_DRAW` runs simulate a funnel whose numbers are drawn from the fit's own sampling
uncertainty (outcome counts resampled multinomially, source rates from their Poisson
posterior, delay means within their standard error, reopen shares binomially), so the
interval covers what a fit on N months cannot know as well as the process's own noise.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .. import model as m
from ..sim.budget import DEFAULT_MAX_DEALS, WorkRefused, estimate_work, refusal
from ..sim.warm import OpenDeal
from .analytics import HistoryTables, analyse, month_of
from .dists import DistFit
from .events import LOST, STAGE, WON, Catalog
from .fit import MIN_DEALS, FitResult, RouteFit, fit_funnel
from .load import History, load_history
from .match import funnel_depths, funnel_pairs
from .quality import DataQuality
from .run import Prepared, record_sources

__all__ = ["BacktestError", "Figure", "Backtest", "run_backtest", "history_months",
           "open_deals_at", "HOLDOUT", "PER_DRAW", "DEFAULT_REPS", "KINDS"]

HOLDOUT = "holdout"
"""The month label of a figure over the whole holdout."""
PER_DRAW = 4
"""Runs per draw of the fitted numbers: enough draws to carry the fit's uncertainty, and
runs within a draw that the simulator may spread over worker processes. Fixed, so the
result does not depend on the number of cores."""
DEFAULT_REPS = 40
KINDS = ("conversion", "won", "lost", "backlog")

Key = tuple[str, str, str, str]
"""(kind, pipeline, subject, month): subject is "A → B" for a conversion, the stage for
a backlog, empty for won/lost."""
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
        text = f"{self.inside} of {n} figures inside the 95 % interval"
        if out:
            worst = max(out, key=lambda f: abs(f.deviation or math.inf))
            text += (f"; furthest out: {worst.label(len(self.pipelines) > 1)} in "
                     f"{worst.month} ({worst.direction})")
        return text


# ---------------------------------------------------------------------------- months
def _month_start(year: int, month: int, tz: str) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)


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
def figures_of(tables: HistoryTables, events: pl.DataFrame, tz: str,
               pairs: list[tuple[str, str, str]], stages: list[tuple[str, str]],
               pipelines: list[str], months: list[str], holdout: list[str]
               ) -> dict[Key, tuple[float | None, int | None]]:
    """Every compared figure of one history (observed or one simulation run): value and,
    for a conversion, the deals behind it. Months with nothing count zero deals; a
    conversion of a month nobody entered has no value."""
    out: dict[Key, tuple[float | None, int | None]] = {}
    conv: dict[tuple[str, str, str, str], tuple[int, int]] = {
        (p, a, b, mo): (int(e), int(d)) for p, a, b, mo, e, d in tables.conversion.filter(
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
    wip = {(p, s, mo): int(w) for p, s, mo, w in tables.backlog.iter_rows()}
    for p, s in stages:
        for mo in months:
            out[("backlog", p, s, mo)] = (float(wip.get((p, s, mo), 0)), None)
        out[("backlog", p, s, HOLDOUT)] = (
            float(np.mean([wip.get((p, s, mo), 0) for mo in holdout])), None)
    return out


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


def compare(observed: dict[Key, tuple[float | None, int | None]],
            runs: list[dict[Key, tuple[float | None, int | None]]],
            few: list[Key] | None = None) -> list[Figure]:
    """One `Figure` per key the observation has a value for and at least two runs have
    one. Left out: a figure every run and the observation put at the same constant (a
    stage no deal ever enters) says nothing; a conversion of fewer than `MIN_DEALS`
    deals (a month the data barely reaches) is noise (its key goes to `few`)."""
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
    return sorted(out, key=lambda f: (f.month == HOLDOUT, f.month, order[f.kind], f.pipeline))


# ---------------------------------------------------------------------------- fit draws
def _scaled(d: DistFit | None, f: float) -> DistFit | None:
    if d is None or f == 1.0:
        return d
    return replace(d, mean=d.mean * f, sd=d.sd * f, ci_low=d.ci_low * f, ci_high=d.ci_high * f,
                   points=[p * f for p in d.points])


def _mean_factor(d: DistFit | None, rng: np.random.Generator) -> float:
    """A draw of true-mean / fitted-mean: normal with the mean's standard error."""
    if d is None or d.mean <= 0 or d.n < 2 or not d.sd > 0:
        return 1.0
    return float(max(0.2, rng.normal(1.0, d.sd / math.sqrt(d.n) / d.mean)))


def _drawn_routes(routes: list[RouteFit], rng: np.random.Generator) -> list[RouteFit]:
    shared = [i for i, r in enumerate(routes)
              if not (r.key[0] == "sla" or (r.key[0] == "copy" and r.outcome is None))]
    counts = np.array([routes[i].count for i in shared], dtype=float)
    total = int(counts.sum())
    new = list(routes)
    if total > 0:
        drawn = rng.multinomial(total, counts / total)
        for i, c in zip(shared, drawn):
            new[i] = replace(routes[i], count=int(c))
    return [replace(r, after=_scaled(r.after, _mean_factor(r.after, rng))) for r in new]


def draw_fit(fit: FitResult, rng: np.random.Generator) -> FitResult:
    """The fitted numbers as they might have come out of another N months of the same
    process: the parametric bootstrap of the fit."""
    stages = [replace(s, routes=_drawn_routes(s.routes, rng)) for s in fit.stages]
    sources = [replace(s, per_hour=s.per_hour * float(rng.gamma(s.deals, 1.0 / s.deals)))
               if s.deals > 0 else s for s in fit.sources]
    reopens = []
    for r in fit.reopens:
        if r.lost > 0:
            back = int(rng.binomial(r.lost, r.share))
            r = replace(r, back=back, share=back / r.lost,
                        delay=_scaled(r.delay, _mean_factor(r.delay, rng)))
        reopens.append(r)
    return replace(fit, stages=stages, sources=sources, reopens=reopens)


def fitted_model(funnel: m.FunnelFile, fit: FitResult) -> m.FunnelFile:
    """The funnel with the fit written in, checked as `funnelc fit` checks what it
    writes (`apply_fit.checked_fit`; a model that does not check is never simulated)."""
    from .apply_fit import checked_fit

    # Scenario overrides were written against the funnel's shares; against fitted ones
    # they need not add up, and the back-test simulates the base funnel anyway.
    base = funnel.model_copy(update={"scenarios": (), "order": tuple(
        item for item in funnel.order if item[0] != "scenarios")})
    return checked_fit(base, fit).model


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


def _cut_history(prep: Prepared, cut: datetime, funnel: m.FunnelFile, tz: str) -> Prepared:
    """The history as it stood at the cut: later events are not known yet, so deals
    open at the cut are open (censored) for the fit."""
    h = prep.history
    ev = h.events.filter(pl.col("ts") < cut)
    hist = History(ev, h.catalog, DataQuality(rows_read=ev.height, rows_kept=ev.height), tz,
                   set(h.formats))
    tables = analyse(hist, funnel_depths(funnel), funnel_pairs(funnel))
    return Prepared(hist, tables, prep.names)


def _simulated_events(model: m.FunnelFile, start: date, days: int, reps: int, seed: int,
                      jobs: int | None, tz: str, end: datetime,
                      max_deals: int | None = None,
                      open_deals: tuple[OpenDeal, ...] = ()) -> pl.DataFrame:
    """Per-deal records of `reps` runs read back as one event table (deal ids carry the
    run as `rep-`), moved onto the history's clock and cut at `end`; with `open_deals`
    the runs start warm (their entries before `start` are in the table too)."""
    from ..sim import SimConfig, simulate

    with tempfile.TemporaryDirectory(prefix="funnelc-backtest-") as tmp:
        path = os.path.join(tmp, "records.csv")
        simulate(model, SimConfig(days=days, warmup_days=0, reps=reps, seed=seed, jobs=jobs,
                                  start=start, records=path, max_deals=max_deals,
                                  open_deals=open_deals))
        hist = load_history([path], "UTC", start, record_sources(model))
    # The simulation clock counts local hours from day 1's midnight; the reader put that
    # midnight at UTC. Shift by the zone's offset there (later DST changes move an event
    # by an hour at most, which no monthly figure notices).
    local0 = datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(tz))
    offset = local0.utcoffset() or timedelta(0)
    ev = hist.events
    if offset:
        ev = ev.with_columns(pl.col("ts") - pl.duration(seconds=int(offset.total_seconds())))
    return ev.filter(pl.col("ts") <= end).with_columns(
        run=pl.col("deal_id").str.split("-").list.first().cast(pl.Int64))


def run_backtest(prep: Prepared, funnel: m.FunnelFile, fit_months: int, tz: str = "UTC",
                 reps: int = DEFAULT_REPS, seed: int = 1, jobs: int | None = None,
                 progress: Progress | None = None, max_deals: int | None = None) -> Backtest:
    """Fit on the first `fit_months` months of `prep`'s history, simulate `reps` runs of
    the whole window with the fitted funnel, compare the months after. Raises
    `BacktestError` when the history cannot be split that way, `WorkRefused` when the
    runs would simulate more than `max_deals` deals (`sim.budget`; default
    `DEFAULT_MAX_DEALS`): known only now, from the fitted rates over the history's span."""
    t0 = time.perf_counter()
    vis = prep.tables.visits
    if vis.data_start is None or vis.data_end is None:
        raise BacktestError("the history holds no events")
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
    cut = _month_start(y, mo, tz)
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
    pairs = funnel_pairs(funnel)
    depths = funnel_depths(funnel)
    stages = [(p.name.value, s.name.value) for p in funnel.pipelines for s in p.stages]
    pipelines = [p.name.value for p in funnel.pipelines]
    holdout = months[fit_months:]

    def figures(tables: HistoryTables,
                events: pl.DataFrame) -> dict[Key, tuple[float | None, int | None]]:
        return figures_of(tables, events, tz, pairs, stages, pipelines, months, holdout)

    observed = figures(prep.tables, prep.history.events)
    draws = math.ceil(reps / PER_DRAW)
    runs: list[dict[Key, tuple[float | None, int | None]]] = []
    fit_runs: list[dict[Key, tuple[float | None, int | None]]] = []

    def read(ev: pl.DataFrame, n: int) -> list[dict[Key, tuple[float | None, int | None]]]:
        out = []
        for r in range(n):
            one = ev.filter(pl.col("run") == r).drop("run")
            hist = History(one, Catalog(), DataQuality(), tz)
            out.append(figures(analyse(hist, depths, pairs), one))
        return out

    for d in range(draws):
        n = min(PER_DRAW, reps - d * PER_DRAW)
        model = fitted_model(funnel, draw_fit(fit, np.random.default_rng([seed, d])))
        # The holdout: from the cut, with the deals open there.
        runs += read(_simulated_events(model, cut_day, hold_days, n, seed * 1000 + d, jobs,
                                       tz, data_end, max_deals, warm), n)
        # The fit months: from the first day of the history, empty, as its export began.
        fit_runs += read(_simulated_events(model, start, fit_days, n, seed * 1000 + 500 + d,
                                           jobs, tz, cut - timedelta(microseconds=1),
                                           max_deals), n)
        if progress is not None:
            progress(len(runs), reps)
    few: list[Key] = []
    judged = compare({k: v for k, v in observed.items() if k[3] in holdout or k[3] == HOLDOUT},
                     runs, few)
    in_sample = compare({k: v for k, v in observed.items() if k[3] in months[:fit_months]},
                        fit_runs)
    notes = [f"every holdout run starts at the cut with the {len(warm):,} deal"
             f"{'s' if len(warm) != 1 else ''} the history has open there, each in its "
             "stage since its real entry (the remaining stay drawn given the time already "
             "spent); the fit months are simulated from an empty account at the history's "
             "first day"]
    if off_funnel:
        notes.append(f"{off_funnel:,} deal{'s' if off_funnel != 1 else ''} open at the cut "
                     "in a stage the funnel does not have left out of the holdout runs")
    if few:
        notes.append(f"{len(few)} holdout conversion{'s' if len(few) != 1 else ''} of fewer "
                     f"than {MIN_DEALS} deals left out (" + ", ".join(
                         f"{k[2]} in {k[3]}" for k in few[:3]) + (", …" if len(few) > 3 else "")
                     + ")")
    if funnel.scenarios:
        notes.append("the funnel's scenarios are not simulated: the fitted funnel runs as is")
    return Backtest(months, months[:fit_months], holdout, cut, data_start, data_end, tz,
                    start, days, reps, draws, seed, judged, in_sample, fit, fit_prep, fitted,
                    pipelines, notes, time.perf_counter() - t0, len(warm), hold_days)
