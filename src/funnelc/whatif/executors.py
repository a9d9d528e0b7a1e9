"""Where replications run: in this process, on local worker processes, or on a Dask
cluster — with the same results to the byte on all three.

The unit of work is (variant, batch of replication indices). Replication r of any
variant uses the random streams of (seed, r) and nothing else (`funnelc.sim.rng`), so
the numbers do not depend on which worker ran which batch, how batches were cut or how
many workers there were; results are put back in (variant, replication) order before
anything is summed. The same indices across variants are what makes the comparisons
paired (common random numbers).

Batches are cut from a measured replication time (the first replication, run here and
kept): on Dask so that each task runs at least `DASK_TASK_SECONDS` (a Dask task costs
about a millisecond of scheduler time, and a worker fetching a tiny task spends more
time talking than simulating); locally, batches stay small enough to keep every core
busy. A batch never spans two variants.
"""

from __future__ import annotations

import math
import multiprocessing
import pickle
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from .. import interrupt
from ..sim.budget import WorkBudget
from ..sim.compile import Network
from ..sim.config import SimConfig
from ..sim.stats import RepStats

__all__ = ["Task", "Executor", "SerialExecutor", "LocalExecutor", "DaskExecutor",
           "ExecutorError", "make_executor", "plan_tasks", "run_batch", "run_packed", "Runner",
           "DASK_TASK_SECONDS", "Progress", "RunPlace", "worth_workers"]


@dataclass(frozen=True)
class RunPlace:
    """Where the replications ran, as data for the output's header (`staff_why.place_text`
    says it in the output's language)."""

    executor: str
    """"local" or "dask"."""
    workers: int
    address: str | None = None
    serial_only: bool = False
    """Measured too little work to start workers: everything ran in this process."""

DASK_TASK_SECONDS = 0.2
"""Least wall time of one Dask task (see the module docstring)."""
LOCAL_TASK_SECONDS = 0.02
"""Local processes: per-task cost is pickling the variant (tens of kB), well under this."""

WORKER_START_SECONDS = 0.7
"""Wall time until spawned workers can take work: each starts a Python and imports the
simulator (about 0.6 s of CPU each, measured; they start side by side)."""


def worth_workers(work_seconds: float, workers: int) -> bool:
    """Whether `workers` spawned processes finish `work_seconds` of simulation (CPU time,
    measured here) sooner than this process alone: W/n + start < W, i.e. the time the
    other processes save exceeds what starting them costs. On two cores that is 1.4 s of
    work, on eight 0.8 s. The work is CPU time, not wall time: on a busy machine the wall
    time of a replication grows while the cores that workers would need are taken, so a
    wall-clock measure sent the most work to workers exactly when they could not help."""
    return workers > 1 and work_seconds * (1 - 1 / workers) > WORKER_START_SECONDS

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""


@dataclass(frozen=True)
class Task:
    point: int
    """Index of the variant (scenario or grid point)."""
    first: int
    end: int
    """Replications first … end-1."""

    @property
    def reps(self) -> int:
        return self.end - self.first


def run_batch(net: Network, config: SimConfig, first: int, end: int) -> list[RepStats]:
    """Replications first … end-1 of one variant; top-level so workers can import it."""
    from ..sim.engine import run_replication

    return [run_replication(net, config, r) for r in range(first, end)]


_UNPACKED: dict[str, Network] = {}
"""Worker side: variants already unpickled, by key (a worker runs many batches of one
variant; unpickling its tables once instead of per batch saves a few ms each)."""


def run_packed(key: str, blob: bytes, config: SimConfig, first: int, end: int
               ) -> list[RepStats]:
    net = _UNPACKED.get(key)
    if net is None:
        if len(_UNPACKED) >= 64:
            _UNPACKED.clear()
        net = _UNPACKED[key] = pickle.loads(blob)
    return run_batch(net, config, first, end)


class ExecutorError(Exception):
    """The executor cannot run (Dask missing, scheduler unreachable): a usage problem."""


class Executor:
    """Runs tasks and calls `on_done(task, results)` as each finishes (any order)."""

    name = "executor"
    workers = 1
    min_task_seconds = 0.0

    def run(self, nets: Sequence[Network], config: SimConfig, tasks: Sequence[Task],
            on_done: Callable[[Task, list[RepStats]], None]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name}, {self.workers} worker{'s' if self.workers != 1 else ''}"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    name = "local"

    def run(self, nets: Sequence[Network], config: SimConfig, tasks: Sequence[Task],
            on_done: Callable[[Task, list[RepStats]], None]) -> None:
        for t in tasks:
            on_done(t, run_batch(nets[t.point], config, t.first, t.end))
            interrupt.check()


class LocalExecutor(Executor):
    """Worker processes on this machine (spawned: nothing inherited from the parent)."""

    name = "local"
    min_task_seconds = LOCAL_TASK_SECONDS

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool

    def run(self, nets: Sequence[Network], config: SimConfig, tasks: Sequence[Task],
            on_done: Callable[[Task, list[RepStats]], None]) -> None:
        pool = self._get_pool()
        run_id = uuid.uuid4().hex[:8]
        blobs = {p: pickle.dumps(nets[p], protocol=pickle.HIGHEST_PROTOCOL)
                 for p in {t.point for t in tasks}}
        pending: dict[Future[list[RepStats]], Task] = {
            pool.submit(run_packed, f"{run_id}-{t.point}", blobs[t.point], config, t.first,
                        t.end): t for t in tasks}
        try:
            while pending:
                done, _ = wait(pending, timeout=interrupt.WAIT_S, return_when=FIRST_COMPLETED)
                interrupt.check()
                for fut in done:
                    task = pending.pop(fut)
                    on_done(task, fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Tasks on a `dask.distributed` cluster. Every worker needs the same funnelc
    installed; each variant is scattered to the workers once, tasks carry only indices."""

    name = "dask"
    min_task_seconds = DASK_TASK_SECONDS

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ExecutorError("the dask executor needs Dask: pip install 'funnelc[dask]'") \
                from None
        self.address = address
        _preflight(address, timeout)
        try:
            self.client: Any = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the dask scheduler at {address}: {exc}") \
                from None
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise ExecutorError(f"the dask scheduler at {address} has no workers "
                                f"(waited {timeout:g} s): {exc}") from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def describe(self) -> str:
        return f"dask at {self.address}, {self.workers} worker thread" + (
            "s" if self.workers != 1 else "")

    def run(self, nets: Sequence[Network], config: SimConfig, tasks: Sequence[Task],
            on_done: Callable[[Task, list[RepStats]], None]) -> None:
        from dask.distributed import as_completed

        points = sorted({t.point for t in tasks})
        # hash=False: random keys, no tokenizing of the (pydantic-laden) network.
        shipped = {p: self.client.scatter(nets[p], broadcast=True, hash=False) for p in points}
        run_id = uuid.uuid4().hex[:8]
        futures = {
            self.client.submit(run_batch, shipped[t.point], config, t.first, t.end,
                               pure=False, key=f"funnelc-{run_id}-{t.point}-{t.first}"): t
            for t in tasks}
        try:
            for fut in as_completed(list(futures), loop=self.client.loop):
                on_done(futures[fut], fut.result())
        except BaseException:
            self.client.cancel(list(futures))
            raise
        finally:
            self.client.cancel(list(shipped.values()))

    def close(self) -> None:
        self.client.close()


def _preflight(address: str, timeout: float) -> None:
    """Refuse an address Dask cannot use before building a `Client`: a client that
    fails half-way prints a traceback when it is garbage-collected at exit."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, loc = parse_address(address)
    except ValueError as exc:
        raise ExecutorError(f"`{address}` is not a dask scheduler address: {exc}") from None
    if scheme not in backends:
        raise ExecutorError(f"`{address}` is not a dask scheduler address: unknown scheme "
                            f"`{scheme}` (e.g. tcp://10.0.0.5:8786)")
    if scheme != "tcp":
        return
    try:
        host, port = parse_host_port(loc)
    except ValueError as exc:
        raise ExecutorError(f"`{address}` is not a dask scheduler address: {exc}") from None
    if not port:
        raise ExecutorError(f"`{address}` names no port (the scheduler's default is 8786)")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ExecutorError(f"cannot reach the dask scheduler at {address}: "
                            f"{exc.strerror or exc}") from None


def make_executor(kind: str, jobs: int | None, scheduler: str | None) -> Executor:
    """`local` (jobs processes, default every core; 1 runs in this process) or `dask`."""
    if kind == "dask":
        if not scheduler:
            raise ExecutorError("--executor dask needs --scheduler ADDRESS "
                                "(e.g. tcp://10.0.0.5:8786)")
        return DaskExecutor(scheduler)
    from ..sim.config import usable_cores

    workers = jobs if jobs is not None else usable_cores()
    return SerialExecutor() if workers <= 1 else LocalExecutor(workers)


def plan_tasks(wanted: Sequence[range], rep_seconds: float | None, workers: int,
               min_task_seconds: float) -> list[Task]:
    """Cut each variant's replications into batches.

    A batch holds at least `min_task_seconds` of work (by the measured time of one
    replication) where the variant has that much; on a local pool it is also capped so
    that there are at least two batches per worker, which keeps every core busy to the
    end. Batches of a variant are as even as possible, so the last one is not a stub.
    """
    total = sum(len(r) for r in wanted)
    if total == 0:
        return []
    floor = min_task_seconds >= DASK_TASK_SECONDS  # Dask: every task reaches it; local: a guide
    per = 1
    if rep_seconds is not None and rep_seconds > 0 and min_task_seconds > 0:
        per = max(1, math.ceil(min_task_seconds / rep_seconds))
    if not floor:
        per = min(per, max(1, total // (2 * max(workers, 1))))
    tasks: list[Task] = []
    for point, reps in enumerate(wanted):
        n = len(reps)
        if n == 0:
            continue
        chunks = max(1, n // per) if floor else max(1, math.ceil(n / per))
        base, extra = divmod(n, chunks)
        start = reps.start
        for c in range(chunks):
            size = base + (1 if c < extra else 0)
            tasks.append(Task(point, start, start + size))
            start += size
    return tasks


class Runner:
    """Runs replications of variants on an executor and learns how long one takes."""

    def __init__(self, executor: Executor, config: SimConfig,
                 progress: Progress | None = None, auto_serial: bool = False,
                 budget: WorkBudget | None = None) -> None:
        self.executor = executor
        self.budget = budget
        """Charged before every batch (`WorkBudget.charge` raises `WorkRefused`)."""
        self.config = config
        self.progress = progress
        self.auto_serial = auto_serial
        """The worker count was not chosen by the user: work that workers would not finish
        sooner (`worth_workers`) runs in this process."""
        self.rep_seconds: float | None = None
        self.replications = 0
        """Replications simulated so far (what the staffing benchmark counts)."""
        self.planned: int | None = None
        """The whole job's replications as far as known (`plan`): the progress bar then
        counts every batch against it instead of restarting at each batch."""
        self._serial_only = True

    def plan(self, more: int) -> None:
        """Announce about `more` replications to come as part of one job (a search whose
        length is learned as it goes): the bar counts everything this runner ran and
        its whole grows when the job outruns the plan, instead of restarting."""
        self.planned = max(self.planned or 0, self.replications + more)

    def run(self, nets: Sequence[Network], wanted: Sequence[range]) -> list[list[RepStats]]:
        """Replications `wanted[i]` of `nets[i]`, each list in replication order."""
        out: list[dict[int, RepStats]] = [{} for _ in nets]
        total = sum(len(r) for r in wanted)
        if self.budget is not None:
            self.budget.charge(total)
        done = 0
        todo = [range(r.start, r.stop) for r in wanted]
        parallel = not isinstance(self.executor, SerialExecutor)
        if parallel and self.rep_seconds is None and total > 1:
            # Time one replication here to size the batches; its result is kept.
            first = next(i for i, r in enumerate(todo) if len(r))
            start = time.process_time()
            rs = run_batch(nets[first], self.config, todo[first].start, todo[first].start + 1)
            self.rep_seconds = time.process_time() - start
            out[first][todo[first].start] = rs[0]
            todo[first] = range(todo[first].start + 1, todo[first].stop)
            done = 1
            self._report(done, total)

        def on_done(task: Task, results: list[RepStats]) -> None:
            nonlocal done
            for r, stats in zip(range(task.first, task.end), results):
                out[task.point][r] = stats
            done += task.reps
            self._report(done, total)

        executor = self.executor
        left = sum(len(r) for r in todo)
        if (self.auto_serial and self.rep_seconds is not None
                and not worth_workers(self.rep_seconds * left, executor.workers)):
            executor = SerialExecutor()
        tasks = plan_tasks(todo, self.rep_seconds, executor.workers, executor.min_task_seconds)
        if tasks:
            executor.run(nets, self.config, tasks, on_done)
            if executor is self.executor and not isinstance(executor, SerialExecutor):
                self._serial_only = False
        self.replications += total
        return [[got[r] for r in sorted(got)] for got in out]

    def _report(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        if self.planned is None:
            self.progress(done, total)
            return
        before = self.replications
        self.planned = max(self.planned, before + total)
        self.progress(before + done, self.planned)

    def place(self) -> RunPlace:
        """Where the work ran, as data."""
        ex = self.executor
        return RunPlace("dask" if isinstance(ex, DaskExecutor) else ex.name, ex.workers,
                        getattr(ex, "address", None),
                        self.auto_serial and self._serial_only)

    def describe(self) -> str:
        """Where the work ran, for the output's header."""
        if self.auto_serial and self._serial_only:
            return "local, 1 process (too little work to start workers)"
        return self.executor.describe()
