"""Exact funnel maths speed (issue 3): `funnelc.analysis` runs on the `check` path (lint's
funnel-shape rule needs the exact expected visits) and in every exporter that writes
deal probabilities, so it must stay a small share of loading the file.

* `account_chain` on the generated 50 × 40 account (benchmarks/gen_account.py: rework
  through a reopen into stage 2 of each pipeline, cadences, calendar SLAs): reference
  `load_file` of the same account (parse, build, checks) in the same run; target ≤ 0.1 ×
  the reference (lint adds it to every `check`). Targets are ratios because this VM's
  absolute times swing 2-3x with the load of other jobs.
* `analyze_account` (chain + per-stage Erlang, loads, SLA cut, occupancy, revenue), same
  account: target ≤ 0.15 × the same reference.
* A copy ring: 50 × 40 stages with rework loops whose pipelines hand won deals on in a
  circle, so all 2 000 stages form one strongly connected component — the worst case for
  the per-component solver. Target ≤ 2 000 ms; reference: numpy's dense LAPACK solve of
  the same 2 000 × 2 000 traffic equations (informative: pure Python vs BLAS).
* `funnelc analyze` as a whole process on the 50 × 40 account, against `funnelc check`
  on the same file: target ≤ 2 × check. Loading is the same work; the analysis itself
  is ~0.3 s, and rich's rendering of 2 000 table rows is ~1.5 s of CPU on its own.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from gen_account import generate
from harness import Result, funnelc_argv, median_call_time, median_process_times

N_CALLS = int(os.environ.get("BENCH_THROUGHPUT_RUNS", "5"))
N_PROCESS = int(os.environ.get("BENCH_ANALYSIS_PROCESS_RUNS", "3"))


def ring_account(pipelines: int = 50, stages: int = 40) -> str:
    """Funnel text whose pipelines copy won deals into the next one, the last into the
    first, with rework loops and a reopen in each: one component of every stage."""
    out = [f'source "S{p}" {2 + p % 5}/day -> "P{p}"."s0"' for p in range(pipelines)]
    for p in range(pipelines):
        nxt = (p + 1) % pipelines
        out.append(f'pipeline "P{p}"{" main" if p == 0 else ""} {{')
        for s in range(stages):
            if s == 0:
                out += ["  stage s0 {", "    -> s1 80%", '    -> lost "no" 20%', "  }"]
            elif s == stages - 1:
                out += [f"  stage s{s} {{", f'    -> won 60% then copy "P{nxt}"."s0"',
                        f"    -> s{s - 1} 10%", '    -> lost "no" 30%', "  }"]
            else:
                out += [f"  stage s{s} {{", f"    -> s{s + 1} 85%", f"    -> s{s - 1} 10%",
                        '    -> lost "late" 5%', "  }"]
        out += ['  reopen "late" 20% -> s1', "}"]
    return "\n".join(out) + "\n"


def _load(text: str, name: str):
    from funnelc import load_text

    loaded = load_text(text, name)
    if not loaded.ok or loaded.model is None:
        first = loaded.errors[0] if loaded.errors else None
        raise RuntimeError(f"{name} does not check clean: {first}")
    return loaded.model


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="funnelc-bench-analysis-") as tmp:
        return _in_process(Path(tmp)) + _ring() + _process(Path(tmp))


def _in_process(tmp: Path) -> list[Result]:
    from funnelc import load_file
    from funnelc.analysis.exact import analyze_account
    from funnelc.analysis.markov import account_chain

    big = tmp / "big.funnel"
    big.write_text(generate(pipelines=50, stages=40), encoding="utf-8")
    funnel = _load(big.read_text(encoding="utf-8"), "generated 50 x 40")
    t_load = median_call_time(lambda: load_file(big), n=max(1, N_CALLS // 2))
    t_chain = median_call_time(lambda: account_chain(funnel), n=N_CALLS)
    t_exact = median_call_time(lambda: analyze_account(funnel), n=N_CALLS)
    stages = sum(len(p.stages) for p in funnel.pipelines)
    note = f"{stages} stages; load_file = parse + build + checks of the same file"
    return [
        Result("exact chain 50x40 (account_chain)", t_chain * 1000, "ms", t_load * 1000,
               "load_file", target=0.10 * t_load * 1000, note=note + "; target 0.1 x load"),
        Result("exact analysis 50x40 (analyze_account)", t_exact * 1000, "ms", t_load * 1000,
               "load_file", target=0.15 * t_load * 1000, note="target 0.15 x load_file"),
    ]


def _ring() -> list[Result]:
    from funnelc.analysis.markov import account_chain
    from funnelc.routing import build_flows

    funnel = _load(ring_account(), "copy ring 50 x 40")
    flows = build_flows(funnel)
    t_chain = median_call_time(lambda: account_chain(funnel, flows=flows), n=N_CALLS)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency of the simulator
        return [Result("exact chain copy ring (1 component of 2000)", t_chain * 1000, "ms",
                       t_chain * 1000, "itself (numpy missing)", target=2000.0)]
    keys = list(flows.stages)
    idx = {k: i for i, k in enumerate(keys)}
    w = np.zeros((len(keys), len(keys)))
    for key, flow in flows.stages.items():
        for r in flow.routes:
            if r.kind == "stage":
                w[idx[key], idx[r.stage]] += r.share
            if r.copy_to is not None:
                w[idx[key], idx[r.copy_to]] += r.share
    gamma = np.ones(len(keys))
    eye = np.eye(len(keys))
    t_numpy = median_call_time(lambda: np.linalg.solve(eye - w.T, gamma), n=N_CALLS)
    return [Result("exact chain copy ring (1 component of 2000)", t_chain * 1000, "ms",
                   t_numpy * 1000, "numpy dense solve of one system", target=2000.0,
                   note="the chain solves 4 systems (fate, wins, flows, visits); numpy "
                        "solves only the flow system, without building it")]


def _process(tmp: Path) -> list[Result]:
    big = tmp / "big.funnel"
    funnelc = funnelc_argv()
    times = median_process_times({
        "check": ([*funnelc, "check", str(big)], {0, 1}),
        "analyze": ([*funnelc, "analyze", str(big)], {0}),
    }, n=N_PROCESS, cwd=str(tmp))
    ms = {k: v * 1000 for k, v in times.items()}
    return [Result("funnelc analyze 50x40 (process)", ms["analyze"], "ms", ms["check"],
                   "funnelc check, same file", target=2.0 * ms["check"],
                   note="target: at most 2 x check of the same file (2 000 table rows)")]


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for r in run():
        print(r)
