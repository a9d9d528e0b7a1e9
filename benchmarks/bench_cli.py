"""CLI start-up and `check` throughput (issue 2).

* `funnelc --help`: whole-process wall time, target ≤ 150 ms. It must stay cheap
  because it is what a consultant runs first, and it proves the lazy imports hold.
* `funnelc check pipelines/saleschef.funnel`: whole-process wall time, target ≤ 400 ms
  (the edit-check loop). Until that file exists a generated 6 × 10 account stands in;
  the row's note says which file was measured.
* `check` throughput on a generated 50 × 40 account (≈27 000 lines), in process, warm
  parser: target ≥ 10 000 lines/s. The whole-process time is reported alongside.

References measured in the same run: `python -c pass` for process start-up, and bare
Lark parsing of the same text for throughput (what the grammar alone costs, so the
ratio shows what model building and checks add).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from gen_account import generate
from harness import ROOT, Result, funnelc_argv, median_call_time, median_process_times

N_PROCESS = int(os.environ.get("BENCH_PROCESS_RUNS", "15"))
N_THROUGHPUT = int(os.environ.get("BENCH_THROUGHPUT_RUNS", "3"))
SALESCHEF = ROOT / "pipelines" / "saleschef.funnel"


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="funnelc-bench-") as tmp:
        return _startup(Path(tmp)) + _throughput(Path(tmp))


def _startup(tmp: Path) -> list[Result]:
    funnelc = funnelc_argv()
    if SALESCHEF.is_file():
        account, note = SALESCHEF, "measured on pipelines/saleschef.funnel"
    else:
        account = tmp / "standin.funnel"
        account.write_text(generate(pipelines=6, stages=10), encoding="utf-8")
        note = ("pipelines/saleschef.funnel does not exist yet: measured on a generated "
                f"6 x 10 account ({_lines(account)} lines) standing in for it")
    times = median_process_times({
        "pass": ([sys.executable, "-c", "pass"], {0}),
        "help": ([*funnelc, "--help"], {0}),
        "check": ([*funnelc, "check", str(account)], {0, 1}),
    }, n=N_PROCESS, cwd=str(tmp))
    ms = {k: v * 1000 for k, v in times.items()}
    return [
        Result("funnelc --help (process)", ms["help"], "ms", ms["pass"], "python -c pass",
               target=150.0),
        Result("funnelc check saleschef (process)", ms["check"], "ms", ms["pass"],
               "python -c pass", target=400.0, note=note),
    ]


def _throughput(tmp: Path) -> list[Result]:
    from funnelc import load_file
    from funnelc.syntax import parser

    big = tmp / "big.funnel"
    big.write_text(generate(pipelines=50, stages=40), encoding="utf-8")
    lines = _lines(big)
    text = big.read_text(encoding="utf-8")
    lark = parser()

    loaded = load_file(big)
    errors = [d for d in loaded.diagnostics if d.severity.value == "error"]
    if loaded.model is None or errors:
        first = errors[0] if errors else loaded.diagnostics[0]
        raise RuntimeError(f"the generated account does not check clean: {first.code} "
                           f"{first.message} at {first.span}")
    warnings = len(loaded.diagnostics)

    t_load = median_call_time(lambda: load_file(big), n=N_THROUGHPUT)
    t_parse = median_call_time(lambda: lark.parse(text), n=N_THROUGHPUT)
    proc = median_process_times({
        "pass": ([sys.executable, "-c", "pass"], {0}),
        "check": ([*funnelc_argv(), "check", str(big)], {0, 1}),
    }, n=N_THROUGHPUT, warmup=0, cwd=str(tmp))
    note = f"{lines} lines, 50 x 40 stages" + (f", {warnings} lint findings" if warnings else "")
    return [
        Result("check throughput 50x40 (in-process)", lines / t_load, "lines/s",
               lines / t_parse, "bare lark parse", target=10_000.0, higher_is_better=True,
               note=note),
        Result("funnelc check 50x40 (process)", proc["check"] * 1000, "ms",
               proc["pass"] * 1000, "python -c pass", target=None,
               note=f"{lines / proc['check']:,.0f} lines/s including start-up"),
    ]


def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)
