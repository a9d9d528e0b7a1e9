"""What every benchmark module shares: the `Result` row and the timing helpers.

A benchmark is only meaningful next to a reference measured on the same machine in the
same run (CI runners and laptops differ by 3x), so every `Result` carries one, and the
helpers interleave target and reference runs so a burst of background load hits both.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    """One measured figure. `target` is the bound the figure must meet (`<=` target, or
    `>=` when `higher_is_better`); None makes the row informational only."""

    name: str
    value: float
    unit: str
    reference: float
    reference_name: str
    target: float | None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        """value / reference: how many times the reference this figure is."""
        return self.value / self.reference if self.reference else float("inf")

    @property
    def passed(self) -> bool:
        if self.target is None:
            return True
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def funnelc_argv() -> list[str]:
    """The installed `funnelc` script of *this* interpreter.

    Not `shutil.which("funnelc")`: under pyenv that finds a bash shim costing ~300 ms
    per call, which is the shim's cost, not funnelc's."""
    script = Path(sys.executable).parent / "funnelc"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "funnelc"]


_COMPILED = False


def process_env() -> dict[str, str]:
    """The environment of a measured funnelc process: funnelc as installed, with its
    modules' bytecode compiled.

    `pip install` compiles every module to bytecode at install time, and an editable
    install writes it on first import. With PYTHONDONTWRITEBYTECODE set (this project's
    sandboxes set it), every process instead compiled funnelc's ~90 modules from source
    again: about 80 ms, a quarter of `check`'s start-up, that no installed funnelc pays.
    So the measured processes run without it, after `compileall` has written funnelc's
    bytecode next to its sources (`__pycache__/`, ignored by git) once per benchmark
    run, as the first import of an editable install does. Target and reference run in
    the same environment."""
    global _COMPILED
    env = dict(os.environ, NO_COLOR="1")
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None and not _COMPILED:
        import importlib.util

        spec = importlib.util.find_spec("funnelc")
        places = list(spec.submodule_search_locations or []) if spec else []
        subprocess.run([sys.executable, "-m", "compileall", "-q", *places], env=env,
                       stdout=subprocess.DEVNULL, check=False)
        _COMPILED = True
    return env


def _run_once(argv: Sequence[str], cwd: str | None, expect: set[int]) -> float:
    env = process_env()
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode not in expect:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def median_process_times(runs: dict[str, tuple[Sequence[str], set[int]]], n: int,
                         cwd: str | None = None, warmup: int = 1) -> dict[str, float]:
    """Median wall time (seconds) of whole-process runs, the commands interleaved
    round-robin so the target and its reference see the same machine load."""
    for _ in range(warmup):
        for argv, expect in runs.values():
            _run_once(argv, cwd, expect)
    samples: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(n):
        for key, (argv, expect) in runs.items():
            samples[key].append(_run_once(argv, cwd, expect))
    return {key: statistics.median(values) for key, values in samples.items()}


def own_peak_rss_mb() -> float:
    """Peak resident set (MB) of the calling process alone.

    Not `getrusage(RUSAGE_SELF).ru_maxrss`: at exec Linux folds the peak of the address
    space being replaced into it, and under the vfork/posix_spawn that `subprocess` uses
    that space is the parent's. A child of a runner that once held 329 MB then reports at
    least 329 MB. VmHWM belongs to the address space exec created, so it is this
    process's own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


# Runs argv[2:] and writes its wall time, exit code and own peak RSS to argv[1]. This
# launcher is small (~10 MB), so the peak the kernel carries over at exec (see
# own_peak_rss_mb) is the launcher's, not that of the benchmark runner.
_LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(out, "w", encoding="ascii") as f:
    json.dump({"wall": wall, "code": os.waitstatus_to_exitcode(status),
               "maxrss": usage.ru_maxrss}, f)
"""


def process_wall_and_peak_rss(argv: Sequence[str], expect: Collection[int] = (0,),
                              cwd: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of `argv`, that process on its own.

    Not `RUSAGE_CHILDREN`, which is the largest of every child this runner ever waited
    for, nor the child's `ru_maxrss`, which includes the runner's own peak (see
    own_peak_rss_mb): the command is started by a small launcher that reports the
    command's rusage from `wait4`, so the floor is the launcher's ~10 MB."""
    import tempfile

    env = process_env()
    with tempfile.TemporaryDirectory(prefix="funnelc-bench-rss-") as tmp:
        report = Path(tmp) / "rusage.json"
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), *argv], cwd=cwd,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0 or not report.exists():
            raise RuntimeError(f"launcher for {' '.join(argv)} failed: "
                               f"{proc.stderr.decode(errors='replace')[-2000:]}")
        got = json.loads(report.read_text(encoding="ascii"))
    if got["code"] not in expect:
        raise RuntimeError(f"{' '.join(argv)} exited {got['code']}: "
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return got["wall"], got["maxrss"] / scale


def median_call_time(fn: Callable[[], object], n: int, warmup: int = 1) -> float:
    """Median wall time (seconds) of an in-process call."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
