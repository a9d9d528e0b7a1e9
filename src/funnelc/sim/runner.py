"""Replications, in parallel: the public entry point `simulate(model, SimConfig)`.

Each replication is a task identified by its index only; its random streams derive from
(seed, index), so a process pool changes the wall time and nothing else. Workers are
started with the `spawn` method (no state inherited from the parent, safe with threads
such as a progress bar), receive the compiled tables, and send back compact `RepStats`;
the calling process works too, on replications no worker has started.
Per-deal records, when asked for, are written by each worker to its own part file and
joined in index order into the final CSV, which appears atomically.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from typing import Callable

from .. import model as m
from .compile import Network, compile_network
from .config import SimConfig
from .engine import run_replication
from .results import SimResult
from .stats import RepStats
from .summary import summarize

__all__ = ["simulate", "run_replications", "RECORD_COLUMNS", "Progress"]

RECORD_COLUMNS = ("rep", "deal_id", "pipeline", "stage", "entered_hours", "picked_hours",
                  "left_hours", "outcome", "timeout_kind")
"""One row per stage visit; times in hours since the start date's midnight; `picked_hours`
is the first pick-up by a member (empty if none), `left_hours` is empty and `outcome` is
`open` for deals still in the stage at the horizon."""

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all) after each replication."""


def _replicate(net: Network, config: SimConfig, rep: int, part: str | None) -> RepStats:
    """One replication; top-level so that spawned workers can import it."""
    if part is None:
        return run_replication(net, config, rep)
    with open(part, "w", newline="", encoding="utf-8") as fh:
        return run_replication(net, config, rep, csv.writer(fh).writerow)


def run_replications(net: Network, config: SimConfig, progress: Progress | None = None
                     ) -> list[RepStats]:
    """All replications of a compiled account, in index order."""
    parts_dir = None
    if config.records is not None:
        folder = os.path.dirname(os.path.abspath(config.records)) or "."
        os.makedirs(folder, exist_ok=True)
        parts_dir = tempfile.mkdtemp(prefix=".funnelc-records-", dir=folder)
    parts = [os.path.join(parts_dir, f"{r}.csv") if parts_dir else None
             for r in range(config.reps)]
    try:
        results = _run(net, config, parts, progress)
        if parts_dir is not None:
            _join_records(config.records, parts)  # type: ignore[arg-type]
    finally:
        if parts_dir is not None:
            shutil.rmtree(parts_dir, ignore_errors=True)
    return results


def _run(net: Network, config: SimConfig, parts: list[str | None],
         progress: Progress | None) -> list[RepStats]:
    n = config.reps
    workers = config.worker_count()
    if config.jobs is None and _expected_deals(net, config) < SERIAL_BELOW:
        workers = 1  # starting worker processes would cost more than the whole run
    out: list[RepStats | None] = [None] * n
    if workers == 1:
        for rep in range(n):
            out[rep] = _replicate(net, config, rep, parts[rep])
            if progress is not None:
                progress(rep + 1, n)
        return out  # type: ignore[return-value]
    # `workers` processes in all: the pool gets one fewer, and this process works too,
    # taking replications from the end of the list that no worker has started yet. It
    # would otherwise sit idle, and it needs no start-up.
    ctx = multiprocessing.get_context("spawn")
    done_count = 0

    def finished(rep: int, stats: RepStats) -> None:
        nonlocal done_count
        out[rep] = stats
        done_count += 1
        if progress is not None:
            progress(done_count, n)

    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx) as pool:
        futures = [pool.submit(_replicate, net, config, rep, parts[rep]) for rep in range(n)]
        pending: dict[Future[RepStats], int] = {f: rep for rep, f in enumerate(futures)}
        try:
            for rep in range(n - 1, -1, -1):
                if not futures[rep].cancel():
                    break  # a worker has it: so it has every earlier one
                del pending[futures[rep]]
                finished(rep, _replicate(net, config, rep, parts[rep]))
                for fut in [f for f in pending if f.done()]:
                    finished(pending.pop(fut), fut.result())
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    finished(pending.pop(fut), fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return out  # type: ignore[return-value]


SERIAL_BELOW = 30_000
"""With the default job count, runs expected to create fewer deals than this (over all
replications) stay in one process: a spawned worker costs ~0.5 s to start, more than
simulating 30 000 deals."""


def _expected_deals(net: Network, config: SimConfig) -> float:
    per_hour = sum(s.per_hour * sum(s.profile) / 12 for s in net.sources)
    return per_hour * config.horizon_hours * config.reps


def _join_records(path: str, parts: list[str | None]) -> None:
    """Header plus every part in replication order, into `path` atomically."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".funnelc-", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerow(RECORD_COLUMNS)
            for part in parts:
                assert part is not None
                with open(part, encoding="utf-8", newline="") as fh:
                    shutil.copyfileobj(fh, out)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def simulate(model: m.FunnelFile, config: SimConfig, progress: Progress | None = None
             ) -> SimResult:
    """Simulate an account: the API behind `funnelc simulate`, `report`, `whatif`, `sweep`.

    `model` must have passed the checks (`funnelc.load(...).ok`). With `config.scenario`
    set, that scenario's overrides apply first (see `funnelc.scenarios.apply_scenario`).
    Raises `CompileError` (with diagnostics) when the model cannot be simulated and
    `ScenarioError` when the scenario cannot be applied.
    """
    if config.scenario is not None:
        from ..scenarios import apply_scenario

        model = apply_scenario(model, config.scenario)
    net = compile_network(model)
    reps = run_replications(net, config, progress)
    return summarize(model, net, config, reps, scenario=config.scenario)


