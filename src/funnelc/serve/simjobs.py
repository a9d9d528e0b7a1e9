"""Simulations on demand, in the background, with results as replications finish.

Each replication runs in a worker process of a pool the server keeps for its whole life
(started when the server starts, so the first run does not pay ~0.5 s per worker to
import the engine), through the engine's own `run_replication`: the same streams,
(seed, index), as `funnelc simulate`, so the page's figures are the command's for the
same options. The server's process is threaded (the web server, the page's requests),
so the pool's workers are spawned, never forked (see `sim.runner.start_method`).

After every finished replication the job summarises what it has (`sim.summary`, the
function `simulate` prints) and keeps that view; the page reads it as a stream.
Cancelling drops the queued replications and ignores the running ones.

The pool is handed a job's replications as its workers free up, never all at once, so
no replication is ever queued in it to be cancelled: Python 3.11's pool, when a worker
ends (the server quitting stops them; one may run out of memory), sets an error on every
future it holds, and on a cancelled one that raised in its thread, whose traceback the
server printed (CPython gh-107219, fixed in 3.12).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Literal

from .. import model as m
from ..limits import MAX_DAYS, MAX_REPS
from ..sim.budget import DealLimitExceeded
from ..sim.compile import CompileError, Network, compile_network
from ..sim.config import SimConfig
from ..sim.engine import run_replication
from ..sim.results import Estimate, SimResult
from ..sim.stats import RepStats
from ..sim.summary import summarize
from .i18n import language_of

__all__ = ["State", "RunOptions", "StageVerdict", "TeamUse", "PipelineUse", "SimView", "SimJob",
           "SimPool", "SimRequestError"]

State = Literal["running", "finished", "cancelled", "failed"]
PLOT_POINTS = 60
"""Backlog plots are sent with at most this many points (one a day would be 335)."""


class SimRequestError(ValueError):
    """Options the page sent that cannot run (said in words, HTTP 400)."""


@dataclass(frozen=True)
class RunOptions:
    days: int = 365
    warmup: int = 30
    reps: int = 8
    seed: int = 1

    def config(self) -> SimConfig:
        if not 1 <= self.days <= MAX_DAYS:
            raise SimRequestError(f"days must be between 1 and {MAX_DAYS}")
        if not 1 <= self.reps <= min(MAX_REPS, 200):
            raise SimRequestError("reps must be between 1 and 200 in the page "
                                  "(use `funnelc simulate` for more)")
        try:
            return SimConfig(days=self.days, warmup_days=self.warmup, reps=self.reps,
                             seed=self.seed, jobs=1)
        except ValueError as exc:
            raise SimRequestError(str(exc)) from None


@dataclass(frozen=True)
class StageVerdict:
    pipeline: str
    stage: str
    is_graveyard: bool
    reasons: tuple[str, ...]
    """Why it is a graveyard, as the verdict's English messages (JSON readers)."""
    said: tuple[str, ...]
    """The same reasons in the page's language (`sim.verdict_words`), each a clause in
    lower case, as it follows «кладбище:» on the page (the report's convention)."""
    entered: float | None
    wip_final: float | None
    backlog: tuple[float, ...]
    """Deals in the stage at the end of each day (averaged over replications), thinned
    to at most `PLOT_POINTS` points."""


@dataclass(frozen=True)
class TeamUse:
    team: str
    size: int
    utilization: float | None
    ci95: float | None
    queue_mean: float | None
    utilization_text: str
    """The utilization as the report's teams table writes it (`Figures.est_pct`, held at
    0 only: it passes 100 %): «99,6% ±1,7»."""


@dataclass(frozen=True)
class PipelineUse:
    pipeline: str
    started: float | None
    won: float | None
    lost: float | None
    """Deals lost for good, every reason together (`PipelineResult.lost`)."""
    conversion: float | None
    entered_by_stage: tuple[tuple[str, float | None], ...]
    """The funnel: deals that entered each stage, in the pipeline's order."""
    said: dict[str, str]
    """`started`, `won`, `lost` and `conversion` as the report's pipelines table writes
    them in the page's language, each with its 95% interval (`Figures.est`,
    `Figures.est_pct`): «7 346 ±81,5», «6 [0–31,4]», «1,5% ±0,2»."""


@dataclass(frozen=True)
class SimView:
    """What the page shows of a run so far."""

    job: str
    state: State
    done: int
    total: int
    elapsed_s: float
    version: str
    """The text version the run simulates: the page marks the view stale once the
    text differs."""
    message: str | None = None
    observed_days: float = 0.0
    """The days the figures count: the horizon less the warm-up."""
    warmup_days: int = 0
    stages: tuple[StageVerdict, ...] = ()
    teams: tuple[TeamUse, ...] = ()
    pipelines: tuple[PipelineUse, ...] = ()


def _mean(e: Estimate | None) -> float | None:
    return e.mean if e is not None else None


def _thin(values: list[float]) -> tuple[float, ...]:
    if len(values) <= PLOT_POINTS:
        return tuple(values)
    step = len(values) / PLOT_POINTS
    return tuple(values[int(i * step)] for i in range(PLOT_POINTS))


def view_of(result: SimResult, language: str | None = None) -> tuple[
        tuple[StageVerdict, ...], tuple[TeamUse, ...], tuple[PipelineUse, ...]]:
    """What the page draws of `result`, the verdicts' reasons also in `language` (the
    account's; `--lang` overrides it)."""
    from ..i18n import choose, translator
    from ..i18n.figures import Figures
    from ..numfmt import BUSY
    from ..sim.verdict_words import reason_clause

    tr = translator(choose(language))
    f = Figures(tr)
    stages = tuple(StageVerdict(s.pipeline, s.stage, s.graveyard.is_graveyard,
                                tuple(r.message for r in s.graveyard.reasons),
                                tuple(reason_clause(tr, s, r, ci=False) for r in s.graveyard.reasons),
                                _mean(s.entered), _mean(s.wip_final), _thin(s.wip_daily))
                   for s in result.stages)
    teams = tuple(TeamUse(t.team, t.size, t.utilization.mean, t.utilization.ci95,
                          t.queue_mean.mean, f.est_pct(t.utilization, BUSY))
                  for t in result.teams)
    # The report's pipelines table's cells, by the same functions (report/html.py
    # `_summary`): the page read «успешных 49 / 3 176» with no interval and no lost total.
    pipelines = tuple(PipelineUse(p.pipeline, _mean(p.started), _mean(p.won), _mean(p.lost),
                                  _mean(p.conversion),
                                  tuple((s.stage, _mean(s.entered)) for s in result.stages
                                        if s.pipeline == p.pipeline),
                                  {"started": f.est(p.started), "won": f.est(p.won),
                                   "lost": f.est(p.lost),
                                   "conversion": f.est_pct(p.conversion)})
                      for p in result.pipelines)
    return stages, teams, pipelines


def _replicate(net: Network, config: SimConfig, rep: int) -> RepStats:
    """One replication in a worker (top level: spawned workers import it by name)."""
    return run_replication(net, config, rep)


def _watch_parent(parent: int) -> None:
    """Worker initializer: end this worker when the server is gone, however it ended
    (SIGKILL, a signal before the web server had set its handlers), instead of
    lingering with the terminal's pipes open. Ctrl+C is the server's to handle: the
    terminal sends it to the workers too, and each printed a KeyboardInterrupt
    traceback while the server was stopping them."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="funnelc-watch-parent", daemon=True).start()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored meanwhile, in the main thread (elsewhere, nothing changes)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _warm() -> int:
    """Run once per worker at start: the import above is the expensive part."""
    return 0


@dataclass
class SimJob:
    """One run: its replications as they finish and the latest view of them."""

    id: str
    model: m.FunnelFile
    net: Network
    config: SimConfig
    version: str
    language: str = "en"
    """The page's language, chosen when the run was asked for (`--lang`, else the
    account's): the views are written in the pool's thread, which does not see `--lang`
    (a context variable of the server's threads)."""
    started: float = field(default_factory=time.monotonic)
    state: State = "running"
    message: str | None = None
    reps: list[RepStats] = field(default_factory=list)
    handed: int = 0
    """Replications handed to the pool so far (running or done)."""
    view: SimView | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def _publish(self) -> None:
        stages: tuple[StageVerdict, ...] = ()
        teams: tuple[TeamUse, ...] = ()
        pipes: tuple[PipelineUse, ...] = ()
        if self.reps:
            done = len(self.reps)
            config = SimConfig(days=self.config.days, warmup_days=self.config.warmup_days,
                               reps=done, seed=self.config.seed, jobs=1)
            stages, teams, pipes = view_of(
                summarize(self.model, self.net, config, list(self.reps)), self.language)
        self.view = SimView(self.id, self.state, len(self.reps), self.config.reps,
                            time.monotonic() - self.started, self.version, self.message,
                            (self.config.horizon_hours - self.config.warmup_hours) / 24,
                            self.config.warmup_days,
                            stages, teams, pipes)
        self.changed.notify_all()

    def finished_one(self, fut: Future[RepStats]) -> None:
        with self.changed:
            if self.state != "running" or fut.cancelled():
                return
            exc = fut.exception()
            if exc is not None:
                self.state = "failed"
                if isinstance(exc, BrokenProcessPool):
                    self.message = ("a simulation worker process stopped (out of memory?); "
                                    "run again to start new ones")
                elif isinstance(exc, DealLimitExceeded):
                    self.message = (f"replication {exc.rep} created more than {exc.limit} "
                                    "deals: the account grows without bound; check the "
                                    "sources' rates and the teams' sizes")
                else:
                    self.message = f"the simulation failed: {type(exc).__name__}: {exc}"
                self._publish()
                return
            self.reps.append(fut.result())
            if len(self.reps) == self.config.reps:
                self.state = "finished"
            self._publish()

    def next_rep(self) -> int | None:
        """The next replication to hand to the pool, counted as handed; None when the
        job is over or has handed them all."""
        with self.changed:
            if self.state != "running" or self.handed >= self.config.reps:
                return None
            self.handed += 1
            return self.handed - 1

    def cancel(self) -> None:
        with self.changed:
            if self.state != "running":
                return
            self.state = "cancelled"
            self._publish()

    def wait(self, seen: int, state: State, timeout: float) -> SimView | None:
        """The view once it has more than `seen` replications or left `state`, or None
        after `timeout` seconds without news."""
        with self.changed:
            def news() -> bool:
                return self.view is not None and (self.view.done > seen
                                                  or self.view.state != state)
            self.changed.wait_for(news, timeout)
            return self.view if news() else None


class SimPool:
    """The worker processes of the server and the jobs it runs on them."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, SimJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start (and warm) the worker processes."""
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                                 initializer=_watch_parent,
                                                 initargs=(os.getpid(),))
                # The workers start ignoring Ctrl+C (a spawned Python keeps an ignored
                # SIGINT ignored), before their initializer could say so: Ctrl+C while
                # they import the engine printed their tracebacks too. Only the main
                # thread may change a handler; a pool restarted from a request's thread
                # relies on the initializer.
                with _sigint_ignored():
                    for _ in range(self.workers):
                        self._pool.submit(_warm)

    def close(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.cancel()
            self._stop_workers()

    def _stop_workers(self) -> None:
        """Called with the lock held."""
        if self._pool is not None:
            # Replications hold no files: the workers are stopped, not waited for, so
            # quitting the server is immediate and leaves no process behind (an idle
            # worker of a pool shut down without waiting outlives the server).
            workers = list((self._pool._processes or {}).values())  # noqa: SLF001
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in workers:
                process.terminate()
            for process in workers:
                process.join(5)
            self._pool = None

    def submit(self, model: m.FunnelFile, options: RunOptions, version: str) -> SimJob:
        """Start simulating `model` (checked, what-if changes applied); cancels the run
        before it (one user, one simulation at a time). Raises `SimRequestError`."""
        config = options.config()
        try:
            net = compile_network(model)
        except CompileError as exc:
            raise SimRequestError("cannot simulate: " + "; ".join(
                d.message for d in exc.diagnostics)) from None
        self.start()
        with self._lock:
            for old in self._jobs.values():
                old.cancel()
            job = SimJob(f"sim{next(self._ids)}", model, net, config, version,
                         language_of(model))
            self._jobs = {job.id: job}
        with job.changed:
            job._publish()
        try:
            self._hand(job, self.workers)
        except BrokenProcessPool:  # a worker died in an earlier run: start afresh
            with self._lock:
                self._stop_workers()
            self.start()
            job.handed = 0
            self._hand(job, self.workers)
        return job

    def _hand(self, job: SimJob, count: int) -> None:
        """Hand the pool up to `count` more of the job's replications; each, when done,
        hands the next. Raises BrokenProcessPool when the pool is broken."""
        for _ in range(count):
            rep = job.next_rep()
            if rep is None:
                return
            with self._lock:
                if self._pool is None:
                    return
                fut = self._pool.submit(_replicate, job.net, job.config, rep)
            fut.add_done_callback(lambda done: self._finished(job, done))

    def _finished(self, job: SimJob, fut: Future[RepStats]) -> None:
        job.finished_one(fut)
        # The pool broke or is shutting down: the job failed (finished_one said why) or
        # was cancelled, and has nothing more to hand.
        with contextlib.suppress(BrokenProcessPool, RuntimeError):
            self._hand(job, 1)

    def job(self, job_id: str) -> SimJob | None:
        with self._lock:
            return self._jobs.get(job_id)
