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

Where the time went, and what was done (issue 11, section 4; user CPU on chain(20000),
on a machine shared with other jobs, so +-10 %):

* parse 2.27 s + build 1.83 s -> 2.4 s together. `build.parse_and_build` runs the
  builder's methods as Lark reduces (`syntax.parse_reduced`: no Tree/Meta, our own
  LALR loop and lexer loop over Lark's tables and patterns); nodes and spans are made
  without pydantic validation (`model.trusted_constructor`, `model.trusted_span`),
  with one fields-set per shape. Text with a syntax error is parsed again by
  `parse_text` for the full report.
* checks 1.52 s -> 1.0 s: references and routes listed once per file.
* lint 2.10 s -> 1.8 s: an account without copies is solved with one elimination and
  one Tarjan pass (`analysis.markov`); stage names are classified once per run.
* render 0.88 s -> 0.72 s: each distinct text escaped once, ASCII widths by length.
* cyclic collector ~1.0 s -> 0.02 s: `gcpause` files what a paused block made with
  the old objects instead of leaving it to the next young collections.

Whole process: 10.3 s / 765 MB -> ~7.0 s / 406 MB (target 5 s still missed). What is
left is spread thin: Lark's lexing patterns and LALR table (~1.3 s), the builder
(~1.0 s), checks and lint rules (~0.1-0.2 s each), rendering 58 000 findings (0.7 s),
start-up (0.3 s) and freeing the model at exit.

Second pass: parse+build 2.7 s -> 2.0 s (lexer and LALR loop fused into one loop over
`lark_adapter`'s plain tables, tokens made without Token's Python constructors,
`?rule: x` handed up unchanged); render 0.72 s -> 0.55 s (excerpts and caret widths
memoised per run). Whole process ~7.3 s -> ~5.8-6.0 s measured with the 2 cores busy
with other jobs (load average ~2); still above 5 s. Not yet touched: checks (~1.0 s,
spread over way_to_won, resolve, stage_uses), lint (~1.7 s: markov account_chain
0.7 s, handover 0.57 s, name_style 0.4 s), the build reducers (~0.9 s).
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
