"""The simulation runs of a back-test, each measured where it ran: a run draws the fit's
numbers, simulates the holdout (from the cut, warm) and the fit months (from an empty
account), reads both sets of records as histories, in memory, as a records file would
be read (`load.history_of_records`), and measures them (`backtest_figures`). Only the
figures — a few hundred numbers — come back to the calling process, which would
otherwise read every run back alone, one after another, while the workers' cores idle
(half of a back-test's time).

Workers are never forked from the calling process: reading back runs polars, whose
thread pool a fork copies without its threads (the child hangs on its first parallel
query), and the calling process has run polars queries by then. They come from a fork
server where there is one (a clean process that imported this module and never ran a
query; after the first back-test of a process its workers start in milliseconds), else
they are spawned.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .. import interrupt
from .. import model as m
from ..sim import SimConfig
from ..sim.budget import DealLimitExceeded
from ..sim.runner import simulate_records
from ..sim.warm import OpenDeal
from .analytics import analyse_conversion
from .backtest_figures import Figures, Yardstick
from .events import Catalog
from .fit import FitResult
from .load import History, history_of_records
from .quality import DataQuality
from .uncertainty import draw_rng, drawn_model

__all__ = ["RunPlan", "RunFigures", "runs", "run_seeds", "start_workers"]


@dataclass(frozen=True)
class RunPlan:
    """What every simulation run of a back-test needs, whichever process runs it: the
    funnel and its fit (each run simulates its own draw of the fit), the warm start, the
    two windows and how the runs are measured. Sent to a worker process once."""

    funnel: m.FunnelFile
    fit: FitResult
    seed: int
    warm: tuple[OpenDeal, ...]
    cut_day: date
    hold_days: int
    start: date
    fit_days: int
    max_deals: int | None
    hold_end: datetime
    """The history's last event: the holdout records are cut there."""
    fit_end: datetime
    """Just before the cut: the fit-months records are cut there."""
    sources: dict[tuple[str, str], str]
    """(pipeline, stage) → source for the records (`run.record_sources`)."""
    depths: dict[str, dict[str, int]]
    yardstick: Yardstick


@dataclass(frozen=True)
class RunFigures:
    """One run's figures: over the holdout and over the fit months."""

    run: int
    holdout: Figures
    fit_months: Figures


def run_seeds(seed: int, run: int) -> tuple[int, int]:
    """Simulation seeds of run `run`'s holdout and fit-months simulations."""
    a, b = np.random.SeedSequence([seed, run, 0x6274]).generate_state(2)
    return int(a), int(b)


def _simulate_run(plan: RunPlan, run: int
                  ) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Run `run`: draw the fit's numbers (`uncertainty.drawn_model`), simulate the holdout
    from the cut with the open deals and the fit months from an empty account. Returns
    both runs' per-visit records."""
    model = drawn_model(plan.funnel, plan.fit, draw_rng(plan.seed, run))
    hold_seed, fit_seed = run_seeds(plan.seed, run)
    try:
        hold = simulate_records(model, SimConfig(
            days=plan.hold_days, warmup_days=0, reps=1, seed=hold_seed, jobs=1,
            start=plan.cut_day, max_deals=plan.max_deals, open_deals=plan.warm))
        fit = simulate_records(model, SimConfig(
            days=plan.fit_days, warmup_days=0, reps=1, seed=fit_seed, jobs=1,
            start=plan.start, max_deals=plan.max_deals))
    except DealLimitExceeded as exc:
        raise DealLimitExceeded(exc.limit, run) from None
    return hold, fit


def _read_run(rows: list[tuple[object, ...]], name: str, start: date, tz: str, end: datetime,
              sources: dict[tuple[str, str], str]) -> pl.DataFrame:
    """One run's records as the history's events, read as a records file is
    (`load.history_of_records`): moved onto the history's clock and cut at `end`."""
    hist = history_of_records(rows, start, name, sources)
    # The simulation clock counts local hours from day 1's midnight; the reader put that
    # midnight at UTC. Shift by the zone's offset there (later DST changes move an event
    # by an hour at most, which no monthly figure notices). Pick-ups move with the
    # entries they belong to, or every wait would be off by the offset.
    local0 = datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(tz))
    offset = local0.utcoffset() or timedelta(0)
    ev = hist.events
    if offset:
        ev = ev.with_columns(pl.col("ts", "picked")
                             - pl.duration(seconds=int(offset.total_seconds())))
    return ev.filter(pl.col("ts") <= end)


def _measure(plan: RunPlan, rows: list[tuple[object, ...]], name: str, day1: date,
             end: datetime) -> Figures:
    tz = plan.yardstick.tz
    ev = _read_run(rows, name, day1, tz, end, plan.sources)
    conversion, visits = analyse_conversion(History(ev, Catalog(), DataQuality(), tz),
                                            plan.depths, list(plan.yardstick.pairs))
    return plan.yardstick.figures(conversion, visits.visits, ev)


def _run(plan: RunPlan, run: int) -> RunFigures:
    hold, fit = _simulate_run(plan, run)
    # The holdout: from the cut, with the deals open there. The fit months: from the
    # first day of the history, empty, as its export began.
    return RunFigures(run, _measure(plan, hold, f"holdout of run {run}", plan.cut_day,
                                    plan.hold_end),
                      _measure(plan, fit, f"fit months of run {run}", plan.start,
                               plan.fit_end))


_PLAN: RunPlan | None = None
"""Worker side: set once by the pool's initializer."""


def _init_worker(plan: RunPlan) -> None:
    global _PLAN
    _PLAN = plan


def _worker_run(run: int) -> RunFigures:
    assert _PLAN is not None
    return _run(_PLAN, run)


def _workers(reps: int, jobs: int | None) -> int:
    from ..sim.config import usable_cores

    return max(1, min(jobs if jobs is not None else usable_cores(), reps))


def _context() -> BaseContext:
    """A fork server where there is one, else spawn (see the module's note)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Takes effect when the server starts (the first pool of this process).
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def start_workers(reps: int, jobs: int | None) -> None:
    """Start the fork server now, when `runs` will need workers: it imports this module
    (most of a second) while the calling process fits the funnel, and the workers it
    forks later start at once. Nothing to do with one job, or where workers are spawned."""
    if _workers(reps, jobs) > 1 and _context().get_start_method() == "forkserver":
        forkserver.ensure_running()


def runs(plan: RunPlan, reps: int, jobs: int | None) -> Iterator[RunFigures]:
    """The figures of every run, in the order the runs finish: in this process with one
    job, else over worker processes (each run depends only on the seed and its index, so
    the result does not depend on how many)."""
    workers = _workers(reps, jobs)
    if workers == 1:
        for r in range(reps):
            yield _run(plan, r)
            interrupt.check()
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                             initializer=_init_worker, initargs=(plan,)) as pool:
        futures: list[Future[RunFigures]] = []
        try:  # a Ctrl+C while the workers start cancels the runs not started
            futures.extend(pool.submit(_worker_run, r) for r in range(reps))
            for fut in as_completed(futures):
                interrupt.check()
                yield fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
