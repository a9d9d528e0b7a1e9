"""What every benchmark module shares: the `Result` row and the timing helpers.

A benchmark is only meaningful next to a reference measured on the same machine in the
same run (CI runners and laptops differ by 3x), so every `Result` carries one, and the
helpers interleave target and reference runs so a burst of background load hits both.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

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


def _run_once(argv: Sequence[str], cwd: str | None, expect: set[int]) -> float:
    env = dict(os.environ, NO_COLOR="1")
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
