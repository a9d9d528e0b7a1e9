"""`work` and `after` straight from the moments managers picked deals up: the direct path
of issue 13, point 3, taken instead of the simulation (`calibrate`) wherever the history
says when each deal was picked up.

Time in stage is queue wait W + work S + delay A. When the history carries the pick-up
(a CSV's `picked_at`, funnelc's records' `picked_hours`), W = picked − entered is each
deal's own, so nothing needs simulating:

* `work`: picked → left of the routes the funnel declares without `after` is S alone;
  with at least `MIN_DEALS` of them it is fitted (`dists.fit_sample`), else the funnel's
  `work` is kept. The report says which.
* `after` of every other route: where nothing cuts the time short (no SLA) and the work
  is a constant, A = picked → left − S is a sample of the delay itself and is fitted by
  likelihood, exactly as a plain duration. Otherwise (an SLA takes out the deals whose
  W + S + A outlasts it; a random work) the delay is the one whose W + S + A, over the
  stage's own visits with their own waits and SLA deadlines, matches the route's times
  in stage (`calibrate.fit_route`, the calibration's matching with the history's waits
  in place of simulated ones).

A stage that does not queue (no owner with `work`) has W = 0 and takes this path too.
A queueing stage takes it when at least half of its mature visits that left carry a
pick-up; its visits without one are then left out, except those that left unpicked
when an SLA or patience can take a deal out of the queue (W = ∞: never picked up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .. import model as m
from .calibrate import draw, fit_route, reweight_shares, sla_cut
from .dists import FLOOR, DistFit, fit_sample, fit_truncated

if TYPE_CHECKING:
    from .fit import StageFit

__all__ = ["PickedFit", "fit_picked", "PICKED_SHARE"]

PICKED_SHARE = 0.5
"""A queueing stage is fitted from pick-ups when at least this share of its mature
visits that left carries one."""
HOUR_US = 3.6e9


@dataclass
class PickedFit:
    done: set[tuple[str, str]] = field(default_factory=set)
    """Stages whose delays were fitted here (the simulation leaves them alone)."""
    last: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    """(id of the StageFit, route index) → the fitted model's times in stage of the
    route, for the residual table."""
    unqueued: set[tuple[str, str]] = field(default_factory=set)
    """Of `done`, the stages where deals wait for nobody (W = 0): fitted from their times
    in stage, no pick-up read, whether the history has any or not."""


@dataclass
class _Stage:
    """The mature visits of one stage as the direct fit needs them."""

    wait: np.ndarray
    """W per visit (hours; inf: left without being picked up)."""
    deadline: np.ndarray
    """Hours from entry until the SLA or the end of the data takes the deal out."""
    sla: bool
    queues: bool
    """Whether deals wait for a member here (else W = 0, whatever the data says)."""


def fit_picked(fits: list[StageFit], funnel: m.FunnelFile,
               visits: dict[tuple[str, str], pl.DataFrame], end: datetime, tz: str,
               start: datetime, seed: int = 1) -> PickedFit:
    """Fit, in place, the `work` and `after` of every stage of `fits` that needs more
    than a plain duration fit (work or SLA) and whose waits the history tells.
    `visits`: (pipeline, stage) → that stage's visits."""
    from .fit import MIN_DEALS

    out = PickedFit()
    rng = np.random.default_rng([seed, 14])
    clock = _sla_clock(funnel, tz, start)
    for sf in fits:
        pipe = funnel.pipeline(sf.pipeline)
        st = next((s for s in pipe.stages if s.name.value == sf.stage), None) if pipe else None
        if st is None or st.cadence is not None or (st.work is None and st.sla is None):
            continue
        mine = visits.get((sf.pipeline, sf.stage))
        stage = _stage_visits(st, sf, mine, end, clock) if mine is not None else None
        if stage is None:
            continue
        work = _fit_work(st, sf, MIN_DEALS)
        fitted = False
        for i, r in enumerate(sf.routes):
            if (r.samples is None or r.waits is None or len(r.samples) < MIN_DEALS
                    or r.key[0] in ("stay", "sla")
                    or (r.key[0] == "copy" and r.outcome is None)):
                continue
            waits = r.waits if stage.queues else np.zeros(len(r.samples))
            known = np.isfinite(waits)
            obs, w = r.samples[known], waits[known]
            if len(obs) < MIN_DEALS or r.entered is None:
                continue
            own = _deadlines(r.entered[known] - clock[0].timestamp() / 3600.0, st, end, clock)
            fit, sim_t = _fit_after(obs, w, own, stage, st, work, rng, sla_cut(sf))
            sf.routes[i] = replace(r, after=fit)
            out.last[(id(sf), i)] = sim_t
            fitted = True
        if stage.sla:
            reweight_shares(sf, stage.wait + _work_draws(st, work, len(stage.wait), rng),
                            stage.deadline, rng)
        if fitted or work is not None:
            out.done.add((sf.pipeline, sf.stage))
            if not stage.queues:
                out.unqueued.add((sf.pipeline, sf.stage))
            sf.work = work if work is not None and work.n >= MIN_DEALS else None
    return out


def _sla_clock(funnel: m.FunnelFile, tz: str, start: datetime
               ) -> tuple[datetime, object | None]:
    """The local midnight hours count from, and the account's working calendar (None:
    the SLA runs around the clock)."""
    zone = ZoneInfo(tz)
    local0 = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    acc = funnel.account
    if acc is None or acc.hours is None:
        return local0, None
    from ..sim.calendar import WorkCalendar

    return local0, WorkCalendar.from_hours(acc.hours, local0.date())


def _stage_visits(st: m.Stage, sf: StageFit, visits: pl.DataFrame, end: datetime,
                  clock: tuple[datetime, object | None]) -> _Stage | None:
    """The stage's mature visits with their waits and deadlines, or None when the stage
    queues and too few of them tell when they were picked up."""
    cutoff = end - timedelta(hours=sf.horizon_h)
    # The history's columns are UTC whatever `--tz` is (`events.EVENT_SCHEMA`); the
    # clock's local midnight joins them as the same instant in UTC, or polars refuses
    # to subtract two zones.
    local0 = pl.lit(clock[0]).cast(pl.Datetime("us", "UTC"))
    mine = visits.filter(pl.col("entered") <= cutoff).select(
        ent=(pl.col("entered") - local0).dt.total_microseconds() / HOUR_US,
        wait=(pl.col("picked") - pl.col("entered")).dt.total_microseconds() / HOUR_US,
        left=pl.col("left").is_not_null())
    if mine.height == 0:
        return None
    ent = mine["ent"].to_numpy()
    queues = st.owner is not None and st.work is not None
    if queues:
        wait = mine["wait"].fill_null(math.nan).to_numpy()
        left = mine["left"].to_numpy()
        picked = np.isfinite(wait)
        # Left without a pick-up: taken out of the queue (SLA, patience), W = ∞; a
        # deal still queued has an unknown wait, and so has one the data missed.
        outs = st.sla is not None or st.patience is not None
        keep = picked | (left & outs)
        if not picked.any() or keep.sum() < PICKED_SHARE * left.sum():
            return None
        wait = np.where(picked, wait, math.inf)
        wait, ent = wait[keep], ent[keep]
    else:
        wait = np.zeros(len(ent))
    return _Stage(wait, _deadlines(ent, st, end, clock), st.sla is not None, queues)


def _deadlines(ent: np.ndarray, st: m.Stage, end: datetime,
               clock: tuple[datetime, object | None]) -> np.ndarray:
    """Hours from each entry (`ent`: hours since the clock's midnight) until the SLA
    (in working hours when the account has a calendar) or the end of the data."""
    from ..sim.calendar import WorkCalendar

    local0, cal = clock
    dl = (end - local0).total_seconds() / 3600.0 - ent
    if st.sla is not None:
        sla_h = st.sla.after.hours
        if isinstance(cal, WorkCalendar) and not cal.always_open:
            # The calendar reads hours as the wall clock shows them; `ent` counts real
            # hours, which run an hour apart from the wall's after a clock change.
            wall = _wall_hours(ent, local0)
            due = _elapsed_hours(np.array([cal.add(float(w), sla_h) for w in wall]),
                                 local0, after=ent) - ent
        else:
            due = np.full(len(ent), sla_h)
        dl = np.minimum(dl, due)
    return dl


def _wall_hours(elapsed: np.ndarray, local0: datetime) -> np.ndarray:
    """Real hours since `local0` (a local midnight) as the wall clock of its zone counts
    them: hours since midnight plus the days between, what a working calendar reads.
    They differ by the clock changes in between (a day of 23 or 25 real hours); where
    there is none, the hours come back unchanged to the last bit."""
    base = local0.astimezone(UTC).replace(tzinfo=None)
    us = pl.Series("us", np.round(elapsed * HOUR_US).astype(np.int64))
    utc = pl.select(pl.lit(base) + pl.duration(microseconds=pl.lit(us))).to_series()
    local = utc.dt.replace_time_zone("UTC").dt.convert_time_zone(_zone_name(local0)) \
        .dt.replace_time_zone(None)
    return elapsed + _shift(local, utc, local0)


def _elapsed_hours(wall: np.ndarray, local0: datetime,
                   after: np.ndarray | None = None) -> np.ndarray:
    """The inverse of `_wall_hours`: the real hours since `local0` at which the wall clock
    shows `wall` hours since it (inf stays inf). A wall time the clocks repeat is the
    first of the two, unless that comes before `after` (a deadline is never before its
    entry, and one entered in the repeated hour can run out in it); one they skip is read
    with the offset before the change, as `zoneinfo` does (02:30 on a night that jumps
    from 02:00 to 03:00 is 03:30)."""
    out = np.array(wall, dtype=float)
    finite = np.isfinite(out)
    if not finite.any():
        return out
    us = pl.Series("us", np.round(out[finite] * HOUR_US).astype(np.int64))
    local = pl.select(pl.lit(local0.replace(tzinfo=None))
                      + pl.duration(microseconds=pl.lit(us))).to_series()
    shift = _local_shift(local, local0, "earliest")
    if after is not None:
        late = _local_shift(local, local0, "latest")
        shift = np.where(out[finite] - shift >= after[finite], shift, late)
    out[finite] -= shift
    return out


def _local_shift(local: pl.Series, local0: datetime, ambiguous: Literal["earliest", "latest"]
                 ) -> np.ndarray:
    """`_shift` of wall times (`local`, naive), the repeated ones read as `ambiguous`
    says and the skipped ones with the offset before the change."""
    utc = local.dt.replace_time_zone(_zone_name(local0), ambiguous=ambiguous,
                                     non_existent="null") \
        .dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    gap = utc.is_null().to_numpy()
    if gap.any():
        zone = local0.tzinfo
        fill = [t - (t.replace(tzinfo=zone).utcoffset() or timedelta(0))
                for t in local.filter(pl.Series(gap))]
        utc = utc.scatter(np.flatnonzero(gap), fill)
    return _shift(local, utc, local0)


def _shift(local: pl.Series, utc: pl.Series, local0: datetime) -> np.ndarray:
    """Wall hours less real hours since `local0` of each instant (`local` and `utc`:
    its wall time and its UTC time, both naive): whole clock changes, 0 between none."""
    off0 = (local0.utcoffset() or timedelta(0)).total_seconds() * 1e6
    return ((local - utc).dt.total_microseconds().to_numpy() - off0) / HOUR_US


def _zone_name(local0: datetime) -> str:
    zone = local0.tzinfo
    return zone.key if isinstance(zone, ZoneInfo) else "UTC"


def _fit_work(st: m.Stage, sf: StageFit, min_deals: int) -> DistFit | None:
    """`work` from picked → left of the routes the funnel declares without a delay."""
    if st.work is None:
        return None
    parts = []
    for r in sf.routes:
        if (r.outcome is None or st.outcomes[r.outcome].after is not None
                or r.samples is None or r.waits is None):
            continue
        known = np.isfinite(r.waits)
        parts.append(r.samples[known] - r.waits[known])
    if not parts:
        return None
    x = np.maximum(np.concatenate(parts), 0.0)
    if len(x) < min_deals:
        return None
    fit = fit_sample(x)
    if fit is not None:
        fit.method = "picked up"
    return fit


def _work_draws(st: m.Stage, work: DistFit | None, n: int, rng: np.random.Generator
                ) -> np.ndarray:
    if work is not None:
        return draw(work, rng.random(n))
    if st.work is None:
        return np.zeros(n)
    from ..sim.dists import block_fn

    fn, const = block_fn(st.work)
    return np.full(n, const) if fn is None else np.asarray(fn(rng, n))


def _constant_work(st: m.Stage, work: DistFit | None) -> float | None:
    """The work's duration when it is one number for every deal, else None."""
    if work is not None:
        return work.mean if work.kind == "fixed" or work.sd <= 1e-9 * max(work.mean, 1) else None
    if st.work is None:
        return 0.0
    return st.work.mean if st.work.kind == "fixed" else None


def _fit_after(obs: np.ndarray, wait: np.ndarray, own: np.ndarray, stage: _Stage,
               st: m.Stage, work: DistFit | None, rng: np.random.Generator,
               cut: bool = True) -> tuple[DistFit, np.ndarray]:
    """The route's delay, and the fitted model's times in stage of the route. `obs`,
    `wait`, `own`: the route's deals' times in stage, waits and deadlines; `cut`: whether
    the SLA took any deal out (`calibrate.sla_cut`), else the sample is whole."""
    const = _constant_work(st, work)
    if const is not None:
        # Each deal's delay is its own: picked → left less the work.
        a = np.maximum(obs - wait - const, 0.0)
        if float(a.mean()) < FLOOR:
            # Left as soon as the work was done: the route has no delay.
            none = DistFit(len(a), "none", 0.0, 0.0, 0.0, FLOOR, method="picked up")
            return none, wait + const
        cuts = own - wait - const
        fit = fit_truncated(a, cuts) if stage.sla and cut else fit_sample(a)
        if fit is not None:
            # Nobody picks a deal up where it waits for no one: its times in stage were
            # fitted as they are (the SLA's cut allowed for), no pick-up read.
            fit.method = "picked up" if stage.queues else "likelihood"
            d = draw(fit, rng.random(len(wait)))
            return fit, (wait + const + d)[d < cuts]
    base = stage.wait + _work_draws(st, work, len(stage.wait), rng)
    fit, sim_t = fit_route(obs, base, stage.deadline, rng)
    fit.method = "picked up" if stage.queues else "likelihood"
    return fit, sim_t
