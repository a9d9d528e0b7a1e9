"""The forecast: won deals and revenue by week and by month from today's open deals
plus new arrivals, with 80 % and 95 % intervals, per pipeline and per stage of origin.

How: the history is read as `funnelc history` reads it (names matched to the funnel);
"today" is the day of its last event, or `as_of`. The cut is the local midnight that
ends that day (in `tz`), so everything the history knows by the end of it counts. The
deals open at the cut (`backtest.open_deals_at`: their last event before it entered a
funnel stage) start every replication in their stages, each since its real entry
(`funnelc.sim` warm start: the remaining stay is drawn given the time already spent),
and the funnel's sources bring new deals from the first day after the cut, as
`simulate` does (rates, month profiles, values). Every replication counts its wins and
their revenue per day by pipeline and origin (`SimConfig.daily_wins`); the days are
added up into calendar weeks (Monday to Sunday) and months, cut to the window.

The intervals are across replications: the empirical 10th–90th and 2.5th–97.5th
percentiles of the simulated totals, each one of the runs' own totals (the inverse of the
runs' distribution, no interpolation): a count of won deals is whole, so its interval is too
(interpolated, an 80 % interval of «3–8,1» won deals read as a count no run can have).
By default every run simulates the funnel's own numbers, so the intervals say how much
one realisation of that process varies and nothing about whether the numbers are right.
With `fit_uncertainty` the funnel's figures are fitted on the history up to the cut
(`fit.fit_funnel`, as `funnelc fit` does) and every run simulates its own draw of them
from their sampling distributions (`uncertainty.drawn_model(funnel, fit, draw_rng(seed,
run))`, as the back-test does): the intervals then carry the process's noise and what
the history could not pin down together. A run's random streams are the same either way
(seed, run), so the two kinds differ by the drawn numbers only. Figures with fewer than
`fit.MIN_DEALS` observations are not fitted: a stage's shares are drawn around the
funnel's from the few visits seen (`uncertainty._small_stage_shares`), its delays and a
source's rate keep the funnel's value, undrawn. With one replication there is no
interval.

What counts: a pipeline counts its own wins, a handoff (`won then copy`, a qualified
lead passed to sales) included; the account counts each sale when the account declares
a `sales` pipeline, else each deal once, at its final win.
Revenue is booked as `simulate` books it (`routing.sales_pipelines`: at each sale when the
account declares a `sales` pipeline, else at the final win). A copy made from an open deal
keeps that deal's stage of origin.

The result is typed (`Forecast`); words for people live in `forecast_render`.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from difflib import get_close_matches
from functools import partial
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .. import model as m
from ..routing import sales_pipelines
from ..sim.warm import OpenDeal
from .events import STAGE, known_at
from .run import Prepared

if TYPE_CHECKING:
    from ..sim.compile import Network
    from .fit import FitResult
    from .quality import DataQuality

__all__ = ["Band", "Cell", "Period", "Row", "Forecast", "ForecastRequest", "ForecastUsageError",
           "ForecastInputError", "FitUncertainty", "IntervalKind", "run_forecast",
           "default_until", "DEFAULT_REPS", "QUANTILES", "NEW", "Overdue", "OVERDUE"]

DEFAULT_REPS = 200
"""Replications: enough for five simulated totals beyond each 95 % bound."""
QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
NEW = "new arrivals"
"""The origin of a deal that arrives after the cut (JSON and CSV spell it so)."""
MAX_LISTED = 20
OVERDUE = 1e-5
"""An open deal whose age in its stage fewer than this share of the deals entering it
would reach (1e-3 named one deal of 31 in one history in 40 of a process without a
graveyard; a graveyard's months are far below: 81 days where the ways out take exp(7d)
(65%) and exp(4d) is 6e-6) (the funnel's ways out and work, no SLA, patience or cadence to move it) is
overdue: a note names it, since the runs close it all the same, by the slowest way out (the
one that explains its age) or, where it may wait for a member, by the shares
(`Engine._warm_deal`)."""

Progress = Callable[[int, int], None]
OriginKind = Literal["all", "open", "new"]
IntervalKind = Literal["process", "process_and_fit"]
"""What the intervals carry: the runs' noise with the funnel's numbers as given
(`process`), or that and the uncertainty of the numbers fitted from the history, drawn
anew per run (`process_and_fit`)."""


class ForecastUsageError(Exception):
    """The forecast cannot be asked that way (dates out of order, a date the history
    does not reach): a usage error, exit 2. `option` names the option at fault."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class ForecastInputError(Exception):
    """The history and the funnel do not fit together (open deals in stages the funnel
    does not have): a problem in the input, exit 1. `lines` is the whole message."""

    exit_code = 1

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = lines


@dataclass(frozen=True)
class Band:
    """A simulated total across replications: its mean, median and the bounds of the
    80 % (p10–p90) and 95 % (p2.5–p97.5) intervals; no bounds with one replication."""

    mean: float
    median: float
    p2_5: float | None
    p10: float | None
    p90: float | None
    p97_5: float | None

    @staticmethod
    def of(values: np.ndarray) -> Band:
        """The band of one total per replication (`values`, 1-D)."""
        mean = float(np.mean(values))
        if values.size < 2:
            return Band(mean, mean, None, None, None, None)
        q = np.quantile(values, QUANTILES, method="inverted_cdf")
        lo95, lo80, med, hi80, hi95 = (float(x) for x in q)
        return Band(mean, med, lo95, lo80, hi80, hi95)


@dataclass(frozen=True)
class Cell:
    """Won deals and their revenue in one period (or the whole window)."""

    won: Band
    revenue: Band


@dataclass(frozen=True)
class Period:
    """A calendar week (Monday–Sunday, labelled by its Monday) or month, cut to the
    forecast window: `first` and `last` are days inside it (inclusive)."""

    kind: Literal["week", "month"]
    label: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def whole(self) -> bool:
        """The whole week or month lies inside the window."""
        if self.kind == "week":
            return self.days == 7
        return self.days == calendar.monthrange(self.first.year, self.first.month)[1]


@dataclass(frozen=True)
class Row:
    """One line of the forecast: the whole account (`pipeline` None), a pipeline
    (`origin` "all"), or within a pipeline the wins of deals open at the cut in one
    stage (`origin` "open": `origin_pipeline`.`origin_stage`, which differs from
    `pipeline` when a `then copy` carried the deal over) or of new arrivals ("new")."""

    pipeline: str | None
    origin: OriginKind
    origin_pipeline: str | None
    origin_stage: str | None
    open_deals: int
    """Deals open at the cut behind the row (0 for new arrivals)."""
    open_value: float
    weeks: tuple[Cell, ...]
    months: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class Overdue:
    """Open deals of one stage that have been there longer than the funnel lets a deal
    stay (under `OVERDUE` of its entries would still be there): a graveyard, or a funnel
    without the `stay` share that keeps them. The runs close them all the same: by the
    way out that explains such an age (share × survival of its stay: the slowest), or,
    in a stage whose deals wait in a team's queue for their work (`waits`), where the
    age may be a wait for a member, by the shares."""

    pipeline: str
    stage: str
    deals: int
    value: float
    youngest_hours: float
    oldest_hours: float
    waits: bool = False
    """The stage has an owner and `work`: its deals wait in the team's queue."""


@dataclass(frozen=True)
class ForecastRequest:
    """What to forecast: the funnel, the window and the runs."""

    funnel: m.FunnelFile
    tz: str = "UTC"
    as_of: date | None = None
    """Today: the history's events up to the end of this day count (default: the day of
    the history's last event)."""
    until: date | None = None
    """The last day forecast (default: the end of the month after `as_of`'s)."""
    reps: int = DEFAULT_REPS
    seed: int = 1
    jobs: int | None = None
    max_deals: int | None = None
    fit_uncertainty: bool = False
    """Fit the funnel's figures on the history up to the cut and simulate a draw of them
    per run, so the intervals carry the fit's uncertainty (see the module's note)."""


@dataclass(frozen=True)
class FitUncertainty:
    """How the figures behind `process_and_fit` intervals were fitted."""

    first: datetime
    """The history's first event (UTC)."""
    cut: datetime
    """Events before this moment were fitted (the forecast's cut)."""
    stages_fitted: int
    stages_kept: int
    """Stages with fewer than `fit.MIN_DEALS` mature visits, too few to fit: every run
    draws their shares around the funnel's from the visits seen (`uncertainty.
    PRIOR_DEALS`); their delays are the funnel's, not drawn."""
    sources_fitted: int
    sources_kept: int
    """Sources with fewer than `fit.MIN_DEALS` deals: the funnel's rate kept, not drawn."""
    result: FitResult | None = field(default=None, compare=False, repr=False)
    """The fit itself: its warnings (a source at a new level, a history that starts
    mid-stream, too few deals) are the forecast's notes too."""


@dataclass(frozen=True)
class Forecast:
    as_of: date
    first_day: date
    until: date
    tz: str
    cut: datetime
    """The local midnight ending `as_of` (or the history's last day, when `as_of` is
    later: `history_last_day`), in UTC: the deals open then start the runs."""
    history_start: datetime
    history_end: datetime
    reps: int
    seed: int
    weeks: tuple[Period, ...]
    months: tuple[Period, ...]
    rows: tuple[Row, ...]
    """The account first, then each pipeline followed by its origins."""
    cumulative: tuple[Cell, ...]
    """The account's wins and revenue from the first day to the end of each week."""
    open_deals: int
    open_value: float
    sources: tuple[str, ...]
    """The funnel's sources that bring new arrivals (a rate above zero)."""
    currency: str | None
    language: str
    """The account's language (`en` when the funnel does not say): the table's words."""
    values_filled: int = 0
    """Open deals without an amount in the history: their source's mean value stands in
    (a note of the output says so)."""
    left_out_until: date | None = None
    """With `--as-of` before the history's end: the history's last day (local), whose
    events after the cut are left out (a note of the output says so)."""
    history_last_day: date | None = None
    """With `--as-of` after the history's last day (local): that day. The runs start at
    its end (`cut`) and simulate the days up to `as_of` as unknown, their wins not
    counted (a note says so)."""
    warnings: tuple[str, ...] = ()
    """Lines for stderr: names of the history the funnel does not have (`history`'s)."""
    rows_dropped: int = 0
    quality: tuple[str, ...] = ()
    """The history's data quality in sentences, with the first places of what was
    dropped (`DataQuality.summary`), when rows were dropped or noted; else empty."""
    data_quality: DataQuality | None = None
    """The same data quality as figures, so the render says it in the forecast's
    language (`quality` is English)."""
    seconds: float = 0.0
    deals_simulated: int = 0
    interval_kind: IntervalKind = "process"
    fit: FitUncertainty | None = None
    """With `process_and_fit` intervals: what was fitted."""
    handoffs: tuple[str, ...] = ()
    """Pipelines whose wins hand the deal on (`won then copy`): their rows count those
    wins, the account counts the deal once, at its final win (a note says so)."""
    sales: tuple[str, ...] = ()
    """The `sales` pipelines when the account declares any: the account's wins are
    their wins (each sale, as its revenue), not the final wins."""
    arrivals: tuple[tuple[str, float], ...] = ()
    """Each source bringing deals with the new deals it brings in the window at its rate
    and month profile (the funnel's figures; with `--fit-uncertainty` the point fit's):
    the base of the new arrivals' wins, which a note gives."""
    overdue: tuple[Overdue, ...] = ()
    """Open deals older than the funnel lets a deal stay in their stage, by stage, most
    deals first (a note says so: the runs start them afresh)."""
    arrivals_gone: tuple[datetime, float] | None = None
    """When the history's new deals stop well before the cut (`backtest.arrivals_end`):
    the last one's moment and the arrivals the funnel's sources bring from then to the
    cut. An export filtered by creation date looks like that; a note says so, since the
    forecast's new deals assume the sources go on."""

    @property
    def account(self) -> Row:
        return self.rows[0]

    @property
    def runs_from(self) -> date:
        """The day whose end the runs start at: `as_of`, or the history's last day when
        `as_of` is later (`history_last_day`)."""
        return self.history_last_day or self.as_of


# ---------------------------------------------------------------------------- dates
def default_until(as_of: date) -> date:
    """The last day of the month after `as_of`'s."""
    y, mo = (as_of.year + 1, 1) if as_of.month == 12 else (as_of.year, as_of.month + 1)
    return date(y, mo, calendar.monthrange(y, mo)[1])


def periods(first: date, last: date) -> tuple[tuple[Period, ...], tuple[Period, ...]]:
    """The calendar weeks and months that meet [first, last], cut to it."""
    weeks: list[Period] = []
    d = first
    while d <= last:
        monday = d - timedelta(days=d.weekday())
        end = min(last, monday + timedelta(days=6))
        weeks.append(Period("week", monday.isoformat(), d, end))
        d = end + timedelta(days=1)
    months: list[Period] = []
    d = first
    while d <= last:
        end = min(last, date(d.year, d.month, calendar.monthrange(d.year, d.month)[1]))
        months.append(Period("month", f"{d.year}-{d.month:02d}", d, end))
        d = end + timedelta(days=1)
    return tuple(weeks), tuple(months)


def _local_midnight(day: date, tz: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


# ---------------------------------------------------------------------------- open deals
def _off_funnel(events: pl.DataFrame, cut: datetime, funnel: m.FunnelFile
                ) -> list[tuple[str, str, int, int]]:
    """(pipeline, stage, open deals, first seq) of the stages the funnel does not have
    that hold deals open at `cut` (what `open_deals_at` leaves out), most deals first."""
    known = pl.DataFrame({"pipeline": [p.name.value for p in funnel.pipelines
                                       for _ in p.stages],
                          "stage": [s.name.value for p in funnel.pipelines for s in p.stages],
                          "known": [True] * sum(len(p.stages) for p in funnel.pipelines)},
                         schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "known": pl.Boolean})
    last = (events.filter(pl.col("ts") < cut).sort(["deal_id", "ts", "seq"])
            .group_by("deal_id", maintain_order=True)
            .agg(pl.col("kind").last(), pl.col("pipeline").last(), pl.col("stage").last(),
                 pl.col("seq").last())
            .filter(pl.col("kind") == STAGE)
            .join(known, on=["pipeline", "stage"], how="left")
            .filter(pl.col("known").is_null()))
    grouped = last.group_by(["pipeline", "stage"]).agg(n=pl.len(), seq=pl.col("seq").min())
    rows = [(str(p), str(s), int(n), int(q)) for p, s, n, q in grouped.iter_rows()]
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))


def _off_funnel_error(rows: list[tuple[str, str, int, int]], funnel: m.FunnelFile,
                      funnel_path: str, place: Callable[[int], str | None], cut: str
                      ) -> ForecastInputError:
    deals = sum(r[2] for r in rows)
    lines = [f"error: {deals:,} deal{'s' if deals != 1 else ''} open at {cut} sit in "
             f"{len(rows)} stage{'s' if len(rows) != 1 else ''} that {funnel_path} does "
             "not have, so the forecast cannot place them"]
    names = {p.name.value: [s.name.value for s in p.stages] for p in funnel.pipelines}
    for pipe, stage, n, seq in rows[:MAX_LISTED]:
        at = place(seq)
        where = f"{at}: " if at else ""
        guess = _closest(pipe, stage, names)
        lines.append(f'  --> {where}"{pipe}"."{stage}" ({n:,} open deal'
                     f"{'s' if n != 1 else ''}): {guess}")
    if len(rows) > MAX_LISTED:
        lines.append(f"  … {len(rows) - MAX_LISTED:,} more stages")
    lines.append("  = help: spell the stages alike in the funnel file and in the export "
                 "(case, ё/е, quotes and extra spaces do not matter), add the missing "
                 "stages to the funnel, or give the funnel of this account")
    return ForecastInputError(lines)


def _closest(pipe: str, stage: str, names: dict[str, list[str]]) -> str:
    """"did you mean "P"."S"?" for the funnel's closest stage (its own pipeline's first,
    then any), or that none is close."""
    pool = names.get(pipe) or [s for ss in names.values() for s in ss]
    folded = {s.casefold(): s for s in pool}
    near = get_close_matches(stage.casefold(), list(folded), n=1, cutoff=0.6)
    if not near:
        return "no stage of the funnel is close"
    found = folded[near[0]]
    owner = pipe if pipe in names and found in names[pipe] else next(
        p for p, ss in names.items() if found in ss)
    return f'did you mean "{owner}"."{found}"?'


def _stand_in_values(deals: list[OpenDeal], events: pl.DataFrame, cut: datetime,
                     funnel: m.FunnelFile) -> tuple[list[OpenDeal], int]:
    """Open deals whose history has no amount get the mean value of their source, or,
    when the source is unknown, of the deals that reach their stage, copies followed
    (`markov.mean_value_at`; the rate-weighted mean of the sources feeding the pipeline
    where no valued source reaches the stage): what a new deal there would bring. By the
    pipeline's sources alone, a deal at a stage only one of them feeds took the others'
    values too, and a pipeline only copies reach had none. Returns the deals and how many
    got one."""
    valued = set(events.filter((pl.col("ts") < cut) & pl.col("value").is_not_null())
                 .get_column("deal_id").unique().to_list())
    by_source = {s.name.value: s.value.mean for s in funnel.sources if s.value is not None}
    weights: dict[str, list[tuple[float, float]]] = {}
    for s, (pipe, _) in _source_targets(funnel):
        if s.value is not None:
            weights.setdefault(pipe, []).append((s.rate.per_hour, s.value.mean))
    by_pipe = {p: sum(r * v for r, v in ws) / sum(r for r, _ in ws)
               for p, ws in weights.items() if sum(r for r, _ in ws) > 0}
    by_stage: dict[tuple[str, str], float] | None = None
    out: list[OpenDeal] = []
    filled = 0
    for d in deals:
        if d.ref in valued:
            out.append(d)
            continue
        v = by_source.get(d.source or "")
        if v is None:
            if by_stage is None:
                from ..analysis.markov import mean_value_at

                by_stage = mean_value_at(funnel)
            v = by_stage.get((d.pipeline, d.stage), by_pipe.get(d.pipeline))
        if v is None or not math.isfinite(v) or v <= 0:
            out.append(d)
            continue
        filled += 1
        out.append(OpenDeal(d.pipeline, d.stage, d.entered_hours, float(v), d.born_hours,
                            d.source, d.ref))
    return out, filled


def _source_targets(funnel: m.FunnelFile) -> list[tuple[m.Source, tuple[str, str]]]:
    """Each source with the (pipeline, stage) it feeds."""
    from ..routing import build_flows

    return list(build_flows(funnel).sources)


# ---------------------------------------------------------------------------- the runs
@dataclass
class _Series:
    """Per replication and day: wins and revenue of one (pipeline, origin)."""

    won: np.ndarray
    final: np.ndarray
    """Of `won`, the wins not handed on with `then copy`."""
    value: np.ndarray
    open_deals: int = 0
    open_value: float = 0.0
    keys: list[tuple[str, int]] = field(default_factory=list)


def _cells(won: np.ndarray, value: np.ndarray, starts: Sequence[int]) -> tuple[Cell, ...]:
    """One cell per period starting at the given day indices (reps × days arrays)."""
    w = np.add.reduceat(won, list(starts), axis=1)
    v = np.add.reduceat(value, list(starts), axis=1)
    return tuple(Cell(Band.of(w[:, i]), Band.of(v[:, i])) for i in range(w.shape[1]))


def _row(pipeline: str | None, origin: OriginKind, opipe: str | None, ostage: str | None,
         s: _Series, week_starts: list[int], month_starts: list[int]) -> Row:
    """A row of the forecast. A pipeline counts its own wins, a handoff (`won then
    copy`) included; the account counts each deal once, at its final win."""
    won = s.final if pipeline is None else s.won
    return Row(pipeline, origin, opipe, ostage, s.open_deals, s.open_value,
               _cells(won, s.value, week_starts), _cells(won, s.value, month_starts),
               Cell(Band.of(won.sum(axis=1)), Band.of(s.value.sum(axis=1))))


def run_forecast(prep: Prepared, request: ForecastRequest, funnel_path: str,
                 progress: Progress | None = None) -> Forecast:
    """The forecast of `prep`'s history (read with `request.funnel`, names matched).

    Raises `ForecastUsageError` for a window the history cannot start (an `as_of` before
    its first event, `until` not after `as_of`), `ForecastInputError` when deals open at
    the cut sit in stages the funnel does not have or every row of the history was
    dropped, `WorkRefused` when the runs would simulate more than `max_deals` deals,
    `DealLimitExceeded` when one does."""
    from ..sim import SimConfig, compile_network
    from ..sim.budget import DEFAULT_MAX_DEALS, WorkEstimate, WorkRefused, estimate_work, refusal
    from ..sim.runner import run_replications
    from .backtest import arrivals_end, open_deals_at

    t0 = time.perf_counter()
    funnel = request.funnel
    vis = prep.tables.visits
    if vis.data_start is None or vis.data_end is None:
        # Rows were given (an empty file is refused when read), so every one was dropped:
        # a problem of the input, which the data-quality lines after this one locate.
        from .quality_render import summary_lines

        files = ", ".join(dict.fromkeys(f[0] for f in prep.history.quality.files)) or "the history"
        raise ForecastInputError([
            f"error: {files}: the history holds no events: every row was dropped",
            "  = help: the lines below say why and where; fix those rows",
            *summary_lines(prep.history.quality)])
    start, end = vis.data_start, vis.data_end
    assert isinstance(start, datetime) and isinstance(end, datetime)
    zone = ZoneInfo(request.tz)
    first_local = start.astimezone(zone).date()
    last_local = end.astimezone(zone).date()
    as_of = request.as_of or last_local
    # Today after the history's last day: the export does not say what happened since,
    # and its last event is not the moment it was saved (an account whose sources bring
    # deals every day is not silent for a week). So the runs start at the end of the
    # history's last day with the deals open then and simulate the days between, open
    # deals moving and new ones arriving, as unknown; only the wins after today are
    # counted. Taking the deals as still open today, aged by the gap, would count again
    # the wins the gap already had and condition every deal on a week without a move.
    start_day = min(as_of, last_local)
    gap = (as_of - start_day).days
    if as_of < first_local:
        raise ForecastUsageError(
            f"--as-of {as_of} is before the history's first event ({first_local} in "
            f"{request.tz}): nothing was open yet; give a day from {first_local} on",
            "--as-of")
    until = request.until or default_until(as_of)
    if until <= as_of:
        raise ForecastUsageError(
            f"--until {until} is not after the forecast's today ({as_of}"
            f"{'' if request.as_of else ', the day of the history’s last event'}): the "
            "forecast runs from the day after it; give a later --until", "--until")
    first_day = as_of + timedelta(days=1)
    days = (until - start_day).days
    cut = _local_midnight(start_day + timedelta(days=1), request.tz)
    # As known at the cut: no later row, and no amount or source a later row wrote.
    events = known_at(prep.history.events, prep.history.written, cut)
    cut_text = f"the end of {start_day} ({request.tz})"
    warnings = _name_lines(prep, funnel_path)
    off = _off_funnel(events, cut, funnel)
    if off:
        # With the names warning after it: it says when a stage was renamed, and how to
        # mend the export, which the error's «did you mean» alone does not.
        err = _off_funnel_error(off, funnel, funnel_path, prep.history.place, cut_text)
        raise ForecastInputError([*err.lines, *warnings])
    found, _ = open_deals_at(events, cut, funnel)
    fitted: FitUncertainty | None = None
    network_for: Callable[[int], Network] | None = None
    if request.fit_uncertainty:
        from .uncertainty import fitted_model

        fit, fitted = _fit_to_cut(prep, funnel, start, cut, end, request.tz)
        # The point fit writes the figures the rows, the stand-in values and the new
        # arrivals' sources are read from; every run simulates its own draw of them.
        network_for = partial(_drawn_network, funnel, fit, request.seed)
        funnel = fitted_model(funnel, fit)
    deals, filled = _stand_in_values(found, events, cut, funnel)
    n_open = len(deals)

    reps = request.reps
    limit = request.max_deals if request.max_deals is not None else DEFAULT_MAX_DEALS
    est = estimate_work([funnel], days, reps, start_day + timedelta(days=1))
    est = WorkEstimate(deals=est.deals + n_open * reps, events=est.events + n_open * reps * 8,
                       runs=est.runs, deals_per_hour=est.deals_per_hour, hours=est.hours)
    why = refusal(est, limit, "lower --reps or bring --until closer")
    if why is not None:
        raise WorkRefused(why)

    net = compile_network(funnel)
    config = SimConfig(days=days, warmup_days=0, reps=reps, seed=request.seed,
                       jobs=request.jobs, start=start_day + timedelta(days=1),
                       max_deals=request.max_deals,
                       open_deals=tuple(deals), daily_wins=True)
    stats = run_replications(network_for or net, config, progress)

    # ------------------------------------------------------------ per (pipeline, origin)
    stage_of = [(s.pipeline_name, s.name) for s in net.stages]
    order = {key: i for i, key in enumerate(stage_of)}
    series: dict[tuple[str, int], _Series] = {}

    counted = days - gap  # the days forecast: the gap's wins are not counted

    def get(key: tuple[str, int]) -> _Series:
        s = series.get(key)
        if s is None:
            s = series[key] = _Series(np.zeros((reps, counted)), np.zeros((reps, counted)),
                                      np.zeros((reps, counted)))
        return s

    # The account counts a deal where its revenue is booked (`routing.sales_pipelines`):
    # at each sale when the account declares a `sales` pipeline, else once, at its final
    # win. By final wins alone, saleschef's account read 3.4 wins in a January whose
    # revenue came from 37 sales: every chain there ends lost or back in sales.
    sales = sales_pipelines(funnel)
    for r, rep in enumerate(stats):
        for dw in rep.daily_wins:
            s = get((dw.pipeline, dw.origin))
            won = dw.won[gap:]
            s.won[r] += won
            s.value[r] += dw.value[gap:]
            if sales is None:
                s.final[r] += won
                s.final[r] -= dw.handed_on[gap:]
            elif dw.pipeline in sales:
                s.final[r] += won
    for d in deals:
        s = get((d.pipeline, order[(d.pipeline, d.stage)]))
        s.open_deals += 1
        s.open_value += d.value
    pipe_order = [p.name.value for p in funnel.pipelines]
    fed = {key[0] for s, key in _source_targets(funnel) if s.rate.per_hour > 0}
    for p in pipe_order:
        if p in fed:
            get((p, -1))

    weeks, months = periods(first_day, until)
    week_starts = [(w.first - first_day).days for w in weeks]
    month_starts = [(mo.first - first_day).days for mo in months]

    def total(keys: list[tuple[str, int]]) -> _Series:
        out = _Series(np.zeros((reps, counted)), np.zeros((reps, counted)),
                      np.zeros((reps, counted)))
        for k in keys:
            s = series[k]
            out.won += s.won
            out.final += s.final
            out.value += s.value
            out.open_deals += s.open_deals
            out.open_value += s.open_value
        return out

    everything = total(list(series))
    rows = [_row(None, "all", None, None, everything, week_starts, month_starts)]
    for p in pipe_order:
        keys = sorted((k for k in series if k[0] == p),
                      key=lambda k: (k[1] < 0, k[1] >= 0 and stage_of[k[1]][0] != p, k[1]))
        if not keys:
            continue
        rows.append(_row(p, "all", None, None, total(keys), week_starts, month_starts))
        for k in keys:
            if k[1] < 0:
                rows.append(_row(p, "new", None, None, series[k], week_starts, month_starts))
            else:
                op, ost = stage_of[k[1]]
                rows.append(_row(p, "open", op, ost, series[k], week_starts, month_starts))
    ends = [i + w.days for i, w in zip(week_starts, weeks)]
    cum_w = np.cumsum(everything.final, axis=1)
    cum_v = np.cumsum(everything.value, axis=1)
    cumulative = tuple(Cell(Band.of(cum_w[:, e - 1]), Band.of(cum_v[:, e - 1])) for e in ends)

    bringing = tuple(s.name.value for s in funnel.sources if s.rate.per_hour > 0)
    acc = funnel.account
    dq = prep.history.quality
    return Forecast(
        as_of=as_of, first_day=first_day, until=until, tz=request.tz, cut=cut,
        history_start=start, history_end=end, reps=reps, seed=request.seed,
        weeks=weeks, months=months, rows=tuple(rows), cumulative=cumulative,
        open_deals=n_open, open_value=math.fsum(d.value for d in deals),
        sources=bringing,
        currency=acc.currency.value if acc is not None and acc.currency is not None else None,
        language=acc.language if acc is not None and acc.language is not None else "en",
        values_filled=filled,
        left_out_until=(end.astimezone(zone).date()
                        if request.as_of is not None and end > cut else None),
        history_last_day=start_day if gap else None,
        warnings=tuple(warnings),
        rows_dropped=prep.history.quality.dropped_total,
        quality=tuple(dq.summary()) if dq.dropped_total or dq.notes else (),
        data_quality=dq if dq.dropped_total or dq.notes else None,
        seconds=time.perf_counter() - t0,
        deals_simulated=sum(s.deals_created for s in stats) + n_open * reps,
        interval_kind="process_and_fit" if fitted is not None else "process", fit=fitted,
        handoffs=_handoffs(funnel), overdue=_overdue(deals, funnel),
        arrivals=_arrivals(funnel, first_day, until),
        sales=tuple(p.name.value for p in funnel.pipelines if sales and p.name.value in sales),
        arrivals_gone=arrivals_end(events.filter(pl.col("ts") < cut), funnel, min(cut, end),
                                   request.tz))


def _arrivals(funnel: m.FunnelFile, first: date, last: date) -> tuple[tuple[str, float], ...]:
    """The new deals each source brings from `first` to `last` (whole days) at its rate
    and month profile, as the runs bring them on average."""
    from ..analysis.markov import profile_factor

    out = []
    for src in funnel.sources:
        if src.rate.per_hour <= 0:
            continue
        n, d = 0.0, first
        while d <= last:
            n += src.rate.per_hour * 24.0 * profile_factor(src, m.MONTHS[d.month - 1])
            d += timedelta(days=1)
        out.append((src.name.value, n))
    return tuple(out)


def _still_there(funnel: m.FunnelFile, pipe: m.Pipeline, stage: m.Stage, age: float
                 ) -> float | None:
    """P(time in the stage > `age` hours) for a deal entering it, by the funnel's ways
    out (share × P(work + delay > age); a `stay` share stays), or None where an SLA,
    patience or a cadence moves old deals itself. P(work + delay > age) is the exact
    survival of the sum (`sim.residual.log_sf_sum`, the warm start's own), not the bound
    P(work > age/2) + P(delay > age/2) it used to be: with `work exp(1d)` and ways out
    after exp(10d) that bound let a deal 200 days in pass as one the funnel explains
    (4.5e-5; exactly 2.3e-9). In a stage whose deals wait for a team's member (`_waits`)
    a deal that arrives as the team closes waits for it to open at any size, so the age
    is taken less the team's longest closed stretch (`_closed_hours`): a lead in on
    Friday evening is not named on Monday morning for a stay of hours."""
    from ..routing import stage_routes
    from ..sim.residual import log_sf_sum

    if stage.sla is not None or stage.patience is not None or stage.cadence is not None:
        return None
    routes = stage_routes(funnel, pipe, stage)
    total = sum(r.share for r in routes)
    if total <= 0:
        return None  # no way out: the stage keeps its deals
    if _waits(stage):
        age -= _closed_hours(funnel, stage)
    out = 0.0
    for r in routes:
        p = 1.0 if r.kind == "stuck" else math.exp(log_sf_sum(stage.work, r.after, age))
        out += r.share * p
    return out / total


def _closed_hours(funnel: m.FunnelFile, stage: m.Stage) -> float:
    """The longest stretch of the week the stage's team is closed (its own hours, else
    the account's, as the simulator's teams; 0 around the clock)."""
    from ..sim.calendar import WEEK, WorkCalendar

    team = funnel.team(stage.owner.value) if stage.owner is not None else None
    hours = (team.hours if team is not None and team.hours is not None else
             funnel.account.hours if funnel.account is not None else None)
    cal = WorkCalendar.from_hours(hours, date(2024, 1, 1))  # a Monday: week time
    if cal.always_open or cal.never_open:
        return 0.0
    gaps = [b - a for a, b in zip(cal.ends, cal.starts[1:])]
    return max([*gaps, WEEK - cal.ends[-1] + cal.starts[0]])


def _waits(stage: m.Stage) -> bool:
    """Its deals wait in a team's queue for their work (as the engine's `_Stage.work`)."""
    return stage.owner is not None and stage.work is not None and stage.cadence is None


def _overdue(deals: Sequence[OpenDeal], funnel: m.FunnelFile) -> tuple[Overdue, ...]:
    """The open deals older than their stage lets a deal stay (`OVERDUE`), by stage."""
    stages = {(p.name.value, s.name.value): (p, s) for p in funnel.pipelines for s in p.stages}
    found: dict[tuple[str, str], list[OpenDeal]] = {}
    for d in deals:
        ps = stages.get((d.pipeline, d.stage))
        if ps is None:
            continue
        p = _still_there(funnel, ps[0], ps[1], -d.entered_hours)
        if p is not None and p < OVERDUE:
            found.setdefault((d.pipeline, d.stage), []).append(d)
    rows = [Overdue(pipe, stage, len(ds), math.fsum(d.value for d in ds),
                    min(-d.entered_hours for d in ds), max(-d.entered_hours for d in ds),
                    waits=_waits(stages[pipe, stage][1]))
            for (pipe, stage), ds in found.items()]
    return tuple(sorted(rows, key=lambda o: (-o.deals, o.pipeline, o.stage)))


def _handoffs(funnel: m.FunnelFile) -> tuple[str, ...]:
    """The pipelines with a way out that wins and copies the deal on (`won then copy`)."""
    out = []
    for pipe in funnel.pipelines:
        for st in pipe.stages:
            ways: list[m.Outcome | m.Sla | m.Patience | m.CadenceRoute | None] = [
                *st.outcomes, st.sla, st.patience]
            if st.cadence is not None:
                ways += [st.cadence.on_reply, st.cadence.on_exhausted]
            if any(w is not None and w.target.kind == "won" and w.copy_to is not None
                   for w in ways):
                out.append(pipe.name.value)
                break
    return tuple(out)


def _fit_to_cut(prep: Prepared, funnel: m.FunnelFile, start: datetime, cut: datetime,
                end: datetime, tz: str) -> tuple[FitResult, FitUncertainty]:
    """The funnel's figures fitted on the history before the cut (what `funnelc fit`
    would write from it), and what the fit covered."""
    from .backtest import _cut_history
    from .fit import MIN_DEALS, at_recent_level, fit_funnel

    fit_prep = _cut_history(prep, cut, funnel, tz) if end >= cut else prep
    # A source that reached a new level is forecast at it, not at its base rate.
    fit = at_recent_level(fit_funnel(fit_prep, funnel, tz))
    kept_stages = sum(1 for s in fit.stages if s.mature < MIN_DEALS)
    kept_sources = sum(1 for s in fit.sources if s.deals < MIN_DEALS)
    return fit, FitUncertainty(first=fit.since or start, cut=cut,
                               stages_fitted=len(fit.stages) - kept_stages,
                               stages_kept=kept_stages,
                               sources_fitted=len(fit.sources) - kept_sources,
                               sources_kept=kept_sources, result=fit)


def _drawn_network(funnel: m.FunnelFile, fit: FitResult, seed: int, run: int) -> Network:
    """Run `run`'s network: its own draw of the fitted figures (`uncertainty`), the
    shares of the stages too small to fit drawn around the funnel's from the visits seen
    (`small=True`), the draw's stream keyed by (seed, run) only, so no process or order
    changes it."""
    from ..sim import compile_network
    from .uncertainty import draw_rng, drawn_model

    return compile_network(drawn_model(funnel, fit, draw_rng(seed, run), small=True))


def _name_lines(prep: Prepared, funnel_path: str) -> list[str]:
    """`history`'s warning about stage names the funnel does not have (each with the
    closest funnel name); raises `ForecastInputError` with its error when no name
    matched at all (another account's funnel)."""
    if prep.names is None:
        return []
    from .report import unmatched_names

    error, lines = unmatched_names(prep.names, prep.history.place, funnel_path)
    if error:
        raise ForecastInputError(lines)
    return lines
