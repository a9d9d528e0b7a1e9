"""Replications, in parallel: the public entry point `simulate(model, SimConfig)`.

Each replication is identified by its index only; its random streams derive from
(seed, index), so how many processes run them changes the wall time and nothing else.

How the work is shared, and why:

* **Start-up.** On Linux, worker processes are forked when the calling process runs no
  other thread: a fork costs milliseconds and inherits every imported module and the
  compiled tables, where a spawned interpreter needs ~0.5 s to import numpy, SimPy and
  pydantic before its first replication. With another thread alive (a progress bar's
  refresh thread, a Dask client) a fork could copy a lock that thread holds, so workers
  are spawned instead. `ProcessPoolExecutor` forks all its workers before it starts its
  own management thread.
* **The tables travel once.** The compiled `Network`, the config and a shared counter
  reach each worker through the pool's initializer: inherited by a fork, pickled once per
  worker by a spawn. A task carries nothing.
* **Pull, don't push.** Every process, the calling one included (it needs no start-up and
  would otherwise sit idle), takes the next replication nobody has started from the
  shared counter when it is free. Replications are not assigned when tasks are queued, so
  no process ends up waiting for another's queued backlog at the end.
* **Compact results.** A replication returns its `RepStats` (plain numbers, ~100 kB); the
  pool's result thread receives them while the calling process simulates.

Per-deal records, when asked for, are written by each process to its own part file per
replication and joined in index order into the final CSV, which appears atomically. Names
in them cannot become spreadsheet formulas (`funnelc.csvsafe`).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from typing import Any

from .. import csvsafe, interrupt
from .. import model as m
from ..atomic import atomic_file, scratch_dir
from .compile import Network, compile_network
from .config import SimConfig
from .engine import run_replication
from .results import SimResult
from .stats import RepStats
from .summary import summarize
from .warm import warm_plan

__all__ = ["simulate", "simulate_records", "run_replications", "RECORD_COLUMNS", "Progress",
           "NetworkFor", "start_method"]

RECORD_COLUMNS = ("rep", "deal_id", "pipeline", "stage", "entered_hours", "picked_hours",
                  "left_hours", "outcome", "timeout_kind")
"""One row per stage visit; times in hours since the start date's midnight; `picked_hours`
is the first pick-up by a member (empty if none), `left_hours` is empty and `outcome` is
`open` for deals still in the stage at the horizon."""

RECORD_TEXT = (2, 3, 7, 8)
"""Positions of the text cells in a record row (pipeline, stage, outcome, timeout_kind):
the only ones `funnelc.csvsafe` has to neutralise; the rest are numbers or empty."""

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all) after each replication."""

NetworkFor = Callable[[int], Network]
"""The network replication `rep` simulates, when each has its own (the same stages, other
numbers: `forecast --fit-uncertainty` draws the fitted figures anew per replication). A
module-level function or a `functools.partial` of one, so a spawned worker can unpickle it."""


def start_method() -> str:
    """How worker processes start from here: `fork` on Linux while this process runs
    no other thread, else `spawn`."""
    if (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1):
        return "fork"
    return "spawn"


class _Work:
    """What every process needs to run replications: the tables, the options, where
    records go, and the counter of replications taken."""

    def __init__(self, net: Network | NetworkFor, config: SimConfig, parts_dir: str | None,
                 counter: Any) -> None:
        self.net = net
        self.config = config
        self.parts_dir = parts_dir
        self.counter = counter

    def take(self) -> int | None:
        """The next replication nobody has started, or None when all are taken."""
        with self.counter.get_lock():
            rep = int(self.counter.value)
            if rep >= self.config.reps:
                return None
            self.counter.value = rep + 1
        return rep

    def give_up(self) -> None:
        """Let no process start another replication (after a failure)."""
        with self.counter.get_lock():
            self.counter.value = self.config.reps

    def run(self, rep: int) -> RepStats:
        net = self.net if isinstance(self.net, Network) else self.net(rep)
        if self.parts_dir is None:
            return run_replication(net, self.config, rep)
        with open(_part(self.parts_dir, rep), "w", newline="", encoding="utf-8") as fh:
            return run_replication(net, self.config, rep,
                                   csvsafe.writer(fh, RECORD_TEXT).writerow)


_WORKER: _Work | None = None
"""Worker side: set once by the pool's initializer."""


def _init_worker(net: Network | NetworkFor, config: SimConfig, parts_dir: str | None,
                 counter: Any) -> None:
    global _WORKER
    _WORKER = _Work(net, config, parts_dir, counter)


def _next_replication() -> tuple[int, RepStats] | None:
    """One task: the next replication nobody has started (top-level for spawned workers)."""
    assert _WORKER is not None
    rep = _WORKER.take()
    return None if rep is None else (rep, _WORKER.run(rep))


def _part(parts_dir: str, rep: int) -> str:
    return os.path.join(parts_dir, f"{rep}.csv")


def run_replications(net: Network | NetworkFor, config: SimConfig,
                     progress: Progress | None = None) -> list[RepStats]:
    """All replications of a compiled account, in index order; `net` may instead give
    each replication its own network (`NetworkFor`)."""
    if config.open_deals and isinstance(net, Network):
        # WarmStartError before any work; the plan is made once, here, and forked
        # workers inherit it with the rest of this process.
        warm_plan(net, config.open_deals)
    parts_dir = None
    if config.records is not None:
        folder = scratch_dir(config.records)  # beside the target a link points to
        os.makedirs(folder, exist_ok=True)
        parts_dir = tempfile.mkdtemp(prefix=".funnelc-records-", dir=folder)
    try:
        results = _run(net, config, parts_dir, progress)
        if parts_dir is not None:
            _join_records(config.records,  # type: ignore[arg-type]
                          [_part(parts_dir, r) for r in range(config.reps)])
    finally:
        if parts_dir is not None:
            shutil.rmtree(parts_dir, ignore_errors=True)
    return results


def _run(net: Network | NetworkFor, config: SimConfig, parts_dir: str | None,
         progress: Progress | None) -> list[RepStats]:
    n = config.reps
    method = start_method()
    workers = config.worker_count()
    if (config.jobs is None and isinstance(net, Network)
            and _expected_deals(net, config) < SERIAL_BELOW[method]):
        workers = 1  # starting worker processes would cost more than the whole run
    out: list[RepStats | None] = [None] * n
    done_count = 0

    def finished(rep: int, stats: RepStats) -> None:
        nonlocal done_count
        out[rep] = stats
        done_count += 1
        if progress is not None:
            progress(done_count, n)

    if workers == 1:
        solo = _Work(net, config, parts_dir, None)
        for rep in range(n):
            finished(rep, solo.run(rep))
            interrupt.check()
        return out  # type: ignore[return-value]

    ctx: BaseContext = multiprocessing.get_context(method)
    counter = ctx.Value("l", 0)
    work = _Work(net, config, parts_dir, counter)
    # `workers` processes in all: the pool has one fewer, this process is the last one.
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx,
                             initializer=_init_worker,
                             initargs=(net, config, parts_dir, counter)) as pool:
        pending: set[Future[tuple[int, RepStats] | None]] = set()

        def collect(futures: set[Future[tuple[int, RepStats] | None]]) -> None:
            for fut in futures:
                pending.discard(fut)
                got = fut.result()  # a worker's exception is raised here
                if got is not None:
                    finished(*got)

        try:
            # Inside the try: a Ctrl+C that lands while a worker is being forked must
            # still give up, or the pool's exit waits for that worker to run every
            # replication it can take.
            pending.update(pool.submit(_next_replication) for _ in range(n))
            while (mine := work.take()) is not None:
                finished(mine, work.run(mine))
                interrupt.check()
                collect({f for f in pending if f.done()})
            while pending:
                done, _ = wait(pending, timeout=interrupt.WAIT_S, return_when=FIRST_COMPLETED)
                interrupt.check()
                collect(done)
        except BaseException:
            work.give_up()  # queued tasks then return at once; the pool shuts down
            raise
    return out  # type: ignore[return-value]


SERIAL_BELOW = {"fork": 2_000, "spawn": 30_000}
"""With the default job count, runs expected to create fewer deals than this (over all
replications) stay in one process: a spawned worker costs ~0.5 s to start, more than
simulating 30 000 deals; a forked one ~20 ms."""


def _expected_deals(net: Network, config: SimConfig) -> float:
    per_hour = sum(s.per_hour * sum(s.profile) / 12 for s in net.sources)
    return (per_hour * config.horizon_hours + len(config.open_deals)) * config.reps


def _join_records(path: str, parts: list[str]) -> None:
    """Header plus every part in replication order, into `path` atomically; made 0o644
    even over an existing file (keep_mode=False)."""
    with atomic_file(path, text=True, keep_mode=False) as out:
        csvsafe.writer(out).writerow(RECORD_COLUMNS)
        for part in parts:
            with open(part, encoding="utf-8", newline="") as fh:
                shutil.copyfileobj(fh, out)


def simulate_records(model: m.FunnelFile, config: SimConfig) -> list[tuple[object, ...]]:
    """The per-visit records (`RECORD_COLUMNS`) of every replication, in this process and
    in memory: the rows `simulate` writes to `config.records` (which must be None), for
    a caller that reads the run back as a history (the back-test) rather than writing a
    file and parsing it again. Raises as `simulate` does."""
    if config.records is not None:
        raise ValueError("simulate_records keeps the records in memory: records must be None")
    _, net = _compiled(model, config)
    if config.open_deals:
        warm_plan(net, config.open_deals)
    rows: list[tuple[object, ...]] = []
    for rep in range(config.reps):
        run_replication(net, config, rep, rows.append)
    return rows


def simulate(model: m.FunnelFile, config: SimConfig, progress: Progress | None = None
             ) -> SimResult:
    """Simulate an account: the API behind `funnelc simulate`, `report`, `whatif`, `sweep`.

    `model` must have passed the checks (`funnelc.load(...).ok`). With `config.scenario`
    set, that scenario's overrides apply first (see `funnelc.scenarios.apply_scenario`).
    Raises `CompileError` (with diagnostics) when the model cannot be simulated and
    `ScenarioError` when the scenario cannot be applied.

    Warm start: `config.open_deals` (`funnelc.sim.warm.OpenDeal`) puts the deals open at
    t=0 into their stages; what became of them is `SimResult.open_deals`, and in records
    they are the deal ids 1 .. len(open_deals), in the order given, with an entry time of
    0 or less. `WarmStartError` (a ValueError) names every deal whose pipeline or stage
    the funnel does not have, with the closest name.
    """
    model, net = _compiled(model, config)
    reps = run_replications(net, config, progress)
    return summarize(model, net, config, reps, scenario=config.scenario)


def _compiled(model: m.FunnelFile, config: SimConfig) -> tuple[m.FunnelFile, Network]:
    """The model with `config.scenario` applied, and its network."""
    if config.scenario is not None:
        from ..scenarios import apply_scenario

        model = apply_scenario(model, config.scenario)
    return model, compile_network(model)


