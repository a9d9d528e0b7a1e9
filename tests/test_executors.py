"""Executors: batches cover every replication once and hold enough work (≥ 0.2 s on
Dask); results are identical whatever the number of local workers, and identical on a
Dask cluster (a `LocalCluster` on loopback, started here); a missing Dask or scheduler
is a clear usage error."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc import load_text
from funnelc.cli import cli
from funnelc.sim import SimConfig, compile_network
from funnelc.whatif.executors import (
    DASK_TASK_SECONDS,
    Executor,
    Runner,
    SerialExecutor,
    Task,
    plan_tasks,
    run_batch,
)

FUNNEL = """
team Ops size 2
source Calls 6/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(15m)
    respond 10m
    sla 2h -> lost "no answer"
    -> won 40%
    -> lost "no" 60%
  }
}
scenario More { team Ops size 3 }
"""
FAST = ["--days", "4", "--warmup", "1", "--reps", "4"]


@pytest.fixture
def funnel(tmp_path: Path) -> str:
    path = tmp_path / "a.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    return str(path)


def _covers(tasks: list[Task], wanted: list[range]) -> None:
    got: dict[int, list[int]] = {}
    for t in tasks:
        got.setdefault(t.point, []).extend(range(t.first, t.end))
    for point, reps in enumerate(wanted):
        assert sorted(got.get(point, [])) == list(reps), point


def test_dask_batches_hold_at_least_the_minimum_work() -> None:
    wanted = [range(0, 10), range(0, 10), range(3, 7)]
    tasks = plan_tasks(wanted, rep_seconds=0.03, workers=8, min_task_seconds=DASK_TASK_SECONDS)
    _covers(tasks, wanted)
    for t in tasks:
        # A point with fewer replications than one batch needs is one task.
        assert t.reps * 0.03 >= DASK_TASK_SECONDS or t.reps == len(wanted[t.point])
    assert all(t.reps >= 7 for t in tasks if len(wanted[t.point]) == 10)


def test_local_batches_keep_every_worker_busy() -> None:
    wanted = [range(10)] * 3
    tasks = plan_tasks(wanted, rep_seconds=0.001, workers=2, min_task_seconds=0.02)
    _covers(tasks, wanted)
    assert len(tasks) >= 4
    slow = plan_tasks(wanted, rep_seconds=2.0, workers=2, min_task_seconds=0.02)
    assert all(t.reps == 1 for t in slow)


class Recording(Executor):
    """Runs batches here but plans like Dask: what the runner asks of a cluster."""

    name = "recording"
    workers = 4
    min_task_seconds = DASK_TASK_SECONDS

    def __init__(self) -> None:
        self.tasks: list[Task] = []

    def run(self, nets, config, tasks, on_done):  # type: ignore[no-untyped-def]
        for t in tasks:
            self.tasks.append(t)
            on_done(t, run_batch(nets[t.point], config, t.first, t.end))


def test_runner_results_do_not_depend_on_batching() -> None:
    model = load_text(FUNNEL).model
    assert model is not None
    net = compile_network(model)
    config = SimConfig(days=3, warmup_days=1, reps=6, seed=4)
    rec = Recording()
    batched = Runner(rec, config).run([net, net], [range(6), range(2, 6)])
    plain = Runner(SerialExecutor(), config).run([net, net], [range(6), range(2, 6)])
    assert rec.tasks, "nothing ran on the recording executor"
    assert [[r.rep for r in rs] for rs in batched] == [list(range(6)), list(range(2, 6))]
    assert batched == plain


def _whatif(funnel: str, *args: str) -> dict:
    r = CliRunner().invoke(cli, ["whatif", funnel, *FAST, "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _sweep(funnel: str, *args: str) -> str:
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..3", *FAST,
                                 "--format", "csv", *args])
    assert r.exit_code == 0, r.output
    return r.output


def test_one_and_two_local_workers_give_identical_results(funnel: str) -> None:
    assert _whatif(funnel, "--jobs", "1") == _whatif(funnel, "--jobs", "2")
    assert _sweep(funnel, "--jobs", "1") == _sweep(funnel, "--jobs", "2")


def test_dask_missing_is_a_usage_error(funnel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..2", *FAST,
                                 "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 2
    assert "pip install 'funnelc[dask]'" in r.output


def test_dask_needs_a_scheduler(funnel: str) -> None:
    r = CliRunner().invoke(cli, ["whatif", funnel, *FAST, "--executor", "dask"])
    assert r.exit_code == 2 and "--scheduler ADDRESS" in r.output
    r = CliRunner().invoke(cli, ["whatif", funnel, *FAST, "--executor", "local",
                                 "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 2 and "--scheduler is for --executor dask" in r.output


def test_unreachable_scheduler_is_a_usage_error(funnel: str) -> None:
    pytest.importorskip("dask.distributed")
    for address, words in (("tcp://127.0.0.1:1", "cannot reach the dask scheduler"),
                           ("nonsense://x", "unknown scheme `nonsense`"),
                           ("tcp://127.0.0.1", "missing port")):
        r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..2", *FAST,
                                     "--scheduler", address])
        assert r.exit_code == 2, r.output
        assert words in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_dask_cluster_gives_the_local_results(funnel: str) -> None:
    distributed = pytest.importorskip("dask.distributed")
    start = time.perf_counter()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        assert _sweep(funnel, "--scheduler", address) == _sweep(funnel, "--jobs", "1")
        assert (_whatif(funnel, "--executor", "dask", "--scheduler", address)
                == _whatif(funnel, "--jobs", "1"))
        r = CliRunner().invoke(cli, ["staff", funnel, "--team", "Ops", "--target",
                                     "respond 10m 80%", *FAST, "--format", "json",
                                     "--scheduler", address])
        local = CliRunner().invoke(cli, ["staff", funnel, "--team", "Ops", "--target",
                                         "respond 10m 80%", *FAST, "--format", "json", "--jobs", "1"])
        assert r.exit_code == local.exit_code == 0, r.output
        assert json.loads(r.output) == json.loads(local.output)
    assert time.perf_counter() - start < 60


def test_workers_start_only_when_they_would_finish_sooner() -> None:
    """W/n + start < W: on two cores 1.4 s of work pays for the workers' 0.7 s start, on
    eight 0.8 s; one worker never does. The work is CPU time (`Runner.run` measures the
    first replication with `time.process_time`): measured by the wall clock on a busy
    machine, the same work looked longer and went to workers exactly when no core was
    free for them (the test suite's two workers each spawned two more: test_design_uk
    took 55 s of CPU where it takes 41 s in one process each)."""
    from funnelc.whatif.executors import worth_workers

    assert not worth_workers(1.39, 2) and worth_workers(1.41, 2)
    assert not worth_workers(0.79, 8) and worth_workers(0.81, 8)
    assert not worth_workers(1000.0, 1)
