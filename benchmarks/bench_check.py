"""`check` on one very long pipeline (issue 11): 20 000 chained stages used not to finish
in 300 s (5 000 took 3.7 s) because three spots were quadratic in the stages of a
pipeline (stage names rebuilt per reference, a stage scan per lint finding, fill-in from
a reopen hub in the flow solver).

1. **20 000 stages.** `funnelc check` of one pipeline of 20 000 chained stages (every
   10th with an SLA whose lost reason is reopened into stage 2, so the flow solver meets
   a hub), whole process, median of `BENCH_CHECK_RUNS` (default 3). Target <= 5 s.
   Reference: the same command on a 2-stage pipeline (start-up).
2. **Linear.** Time per stage at 20 000 against that at 2 000, start-up subtracted from
   both. Target <= 1.5 (a quadratic spot makes it ~10).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import Result, funnelc_argv, median_process_times  # noqa: E402

RUNS = int(os.environ.get("BENCH_CHECK_RUNS", "3"))
BIG, SMALL, TINY = 20_000, 2_000, 2


def chain(n: int) -> str:
    """One pipeline of n chained stages (see the module docstring)."""
    out = ['account "Цепочка" {', "  currency RUB", "}", "",
           'source "Сайт" 20/day -> "Продажи"."Этап 00001"', "",
           'pipeline "Продажи" main sales {']
    for s in range(1, n + 1):
        nxt = f'"Этап {s + 1:05d}" 90% after exp(1h)' if s < n else "won 90%"
        sla = '    sla 7d -> lost "Не обработана"\n' if s % 10 == 0 else ""
        out += [f'  stage "Этап {s:05d}" {{\n{sla}    -> {nxt}', '    -> lost "Дорого" 10% }']
    out += ['  reopen "Не обработана" 10% after exp(14d) -> "Этап 00002"', "}", ""]
    return "\n".join(out)


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for n in (TINY, SMALL, BIG):
            path = Path(tmp) / f"chain{n}.funnel"
            path.write_text(chain(n), encoding="utf-8")
            runs[n] = ([*funnelc_argv(), "check", str(path)], {0, 1})
        times = median_process_times(runs, RUNS, warmup=0)
    start = times[TINY]
    per_big = (times[BIG] - start) / BIG
    per_small = (times[SMALL] - start) / SMALL
    return [
        Result(f"check, one pipeline of {BIG:,} chained stages", times[BIG], "s", start,
               "check of 2 stages (start-up)", 5.0,
               note=f"{SMALL:,} stages: {times[SMALL]:.2f} s; median of {RUNS} runs"),
        Result(f"check, time per stage at {BIG:,} vs {SMALL:,} stages", per_big * 1e3, "ms",
               per_small * 1e3, f"per stage at {SMALL:,}", 1.5 * per_small * 1e3,
               note="start-up subtracted from both"),
    ]
