"""`funnelc serve`'s simulation pool (src/funnelc/serve/simjobs.py) hands a job's
replications to its worker processes as they free up, never all at once.

Handed all at once, the replications not yet started waited in the pool, and a new run
or a cancel cancelled them there. Python 3.11's pool, when a worker ends (quitting the
server stops them; one may run out of memory), sets an error on every future it holds;
on a cancelled one that raised in the pool's thread, and the server printed the thread's
traceback on quitting (CPython gh-107219). The suite saw it as a
PytestUnhandledThreadExceptionWarning after `test_a_simulation_is_cancelled`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from conftest import PIPELINES
from funnelc.api import load_file
from funnelc.serve.simjobs import RunOptions, SimJob, SimPool


@pytest.fixture
def raised_in_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(
        f"{args.thread.name if args.thread else '?'}: {args.exc_type.__name__}: "
        f"{args.exc_value}"))
    yield seen


def _held(pool: SimPool) -> int:
    """Replications the executor holds (running or waiting for a worker)."""
    executor = pool._pool  # noqa: SLF001
    return len(executor._pending_work_items) if executor is not None else 0  # noqa: SLF001


def _wait(job: SimJob, pool: SimPool, timeout: float = 120.0) -> int:
    """Wait for the job to end; the most replications the pool held meanwhile."""
    most = 0
    deadline = time.monotonic() + timeout
    while job.state == "running" and time.monotonic() < deadline:
        most = max(most, _held(pool))
        time.sleep(0.002)
    with job.changed:  # the state changes before the view is published, under this lock
        return most


def test_replications_are_handed_as_workers_free_up_and_all_are_run(
        raised_in_threads: list[str]) -> None:
    model = load_file(PIPELINES / "cottages.funnel").model
    assert model is not None
    pool = SimPool(1)
    pool.start()
    try:
        job = pool.submit(model, RunOptions(days=40, warmup=5, reps=12, seed=3), "v1")
        most = _wait(job, pool)
        assert job.state == "finished", (job.state, job.message)
        assert len(job.reps) == 12 and job.view is not None and job.view.done == 12
        # One worker: one replication in the pool at a time (two while the next is
        # handed in the callback of the last), never the dozen.
        assert 1 <= most <= 2, most
    finally:
        pool.close()
    assert raised_in_threads == []


def test_a_new_run_and_quitting_mid_run_raise_nothing_in_the_pools_thread(
        raised_in_threads: list[str]) -> None:
    model = load_file(PIPELINES / "cottages.funnel").model
    assert model is not None
    for trial in range(3):
        pool = SimPool(1)
        pool.start()
        first = pool.submit(model, RunOptions(days=200, warmup=10, reps=40, seed=1), "v1")
        time.sleep(0.2)
        second = pool.submit(model, RunOptions(days=200, warmup=10, reps=40, seed=2), "v2")
        assert first.state == "cancelled"
        time.sleep(0.03 * trial)
        pool.close()
        assert second.state == "cancelled"
        time.sleep(0.2)  # the pool's thread sees its workers end
    assert raised_in_threads == []
