"""What-if sweeps in parallel, and what the staffing search saves (issue 6).

1. **7 × 4 sweep.** `funnelc sweep pipelines/saleschef.funnel --vary 'team "Менеджеры"
   size 2..8' --vary 'source "Сайт и квиз" rate 30..60/week step 10'` with 10
   replications per point (280 replications) as whole processes with `--jobs 1` and
   `--jobs 2`, pairs interleaved, best of the pairs. Target: speed-up >= 1.8. The two
   CSVs must be identical (checked; a difference is an error, not a slow row).
   `BENCH_WHATIF_DAYS` (default 120) sets the horizon, `BENCH_WHATIF_PAIRS` (default 1)
   the pairs.
2. **Staffing search vs brute force.** Replications the search simulates against a scan
   of every size from 1 to the limit with the same replications, and the scan's answer
   (which the search must reproduce):
   * a single-stage M/M/c funnel (λ 20/h, exponential 15 min work, `respond 5m 90%`)
     where Erlang C gives the start; and the same searched from size 1 (no exact start);
   * saleschef's «Менеджеры» (`respond 30m 60%`: the team works eleven stages by a
     calendar, so no closed form applies and the search starts from the stable size).
   Target: at most half the scan's replications.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import ROOT, Result, funnelc_argv  # noqa: E402

SALESCHEF = ROOT / "pipelines" / "saleschef.funnel"
DAYS = int(os.environ.get("BENCH_WHATIF_DAYS", "120"))
PAIRS = int(os.environ.get("BENCH_WHATIF_PAIRS", "1"))
VARY = ['team "Менеджеры" size 2..8', 'source "Сайт и квиз" rate 30..60/week step 10']

MMC = """
team Ops size 3
source Calls 20/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(15m)
    -> won
  }
}
"""


def _sweep(jobs: int, out: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and the workers it waited for)."""
    import resource
    import subprocess

    argv = [*funnelc_argv(), "sweep", str(SALESCHEF)]
    for v in VARY:
        argv += ["--vary", v]
    argv += ["--reps", "10", "--days", str(DAYS), "--warmup", "30", "--jobs", str(jobs),
             "--format", "csv", "-o", out]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=dict(os.environ, NO_COLOR="1"))
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"sweep --jobs {jobs} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed, cpu


def _parallel_sweep() -> list[Result]:
    times: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="funnelc-bench-whatif-") as tmp:
        csvs = {1: os.path.join(tmp, "one.csv"), 2: os.path.join(tmp, "two.csv")}
        for _ in range(PAIRS):
            for jobs in (1, 2):
                wall, cpu = _sweep(jobs, csvs[jobs])
                times[jobs].append(wall)
                cpus[jobs].append(cpu)
        one_csv, two_csv = (Path(csvs[j]).read_text(encoding="utf-8") for j in (1, 2))
        if one_csv != two_csv:
            raise RuntimeError("the sweep's CSV differs between 1 and 2 workers")
        rows = one_csv.count("\n") - 1
    one, two = min(times[1]), min(times[2])
    cpu1, cpu2 = min(cpus[1]), min(cpus[2])
    load = os.getloadavg()[0]
    return [Result("7x4 sweep x 10 reps of saleschef: speed-up of 2 jobs over 1", one / two,
                   "x", 1.0, "1 job", target=1.8, higher_is_better=True,
                   note=f"1 job {one:.1f} s, 2 jobs {two:.1f} s, whole processes, {DAYS} days "
                        f"per replication, best of {PAIRS}; CPU time 1 job {cpu1:.1f} s, 2 jobs "
                        f"{cpu2:.1f} s (workers' start-up and transfers: "
                        f"{(cpu2 / cpu1 - 1) * 100:+.0f}%); CSVs identical ({rows} rows); "
                        f"{os.cpu_count()} cores, load average {load:.2f} at the end")]


def _staffing_case(name: str, text: str | None, path: Path | None, team: str, target: str,
                   reps: int, days: int, warmup: int, limit: int,
                   from_size: int | None = None) -> Result:
    from funnelc import load_file, load_text
    from funnelc.sim import SimConfig, compile_network
    from funnelc.whatif.executors import Runner, make_executor
    from funnelc.whatif.staffing import parse_target, scan_staff, search_staff, with_respond_limits

    loaded = load_text(text) if text is not None else load_file(path)  # type: ignore[arg-type]
    assert loaded.ok and loaded.model is not None, loaded.diagnostics
    net = compile_network(loaded.model)
    targets = [parse_target(target, "--target", net, team)]
    model = with_respond_limits(loaded.model, net, targets)
    config = SimConfig(days=days, warmup_days=warmup, reps=reps, seed=1)
    with make_executor("local", None, None) as ex:
        runner = Runner(ex, config)
        start = time.perf_counter()
        found = search_staff(model, team, targets, config, runner, limit=limit,
                             start_size=from_size, curve_extra=0)
        search_s = time.perf_counter() - start
        start = time.perf_counter()
        scanned, _ = scan_staff(model, team, targets, config, Runner(ex, config),
                                range(1, limit + 1))
        scan_s = time.perf_counter() - start
    if found.answer != scanned:
        raise RuntimeError(f"{name}: the search found {found.answer}, the scan {scanned}")
    scan_reps = limit * reps
    return Result(f"staffing search: {name}", found.search_replications, "reps",
                  scan_reps, f"scan of 1..{limit}", target=scan_reps / 2,
                  note=f"answer {found.answer} (scan agrees); sizes simulated "
                       f"{found.search_sizes}; start {found.start.start} "
                       f"({found.exact_model or 'no closed form'}); search {search_s:.1f} s, "
                       f"scan {scan_s:.1f} s")


def _staffing() -> list[Result]:
    return [
        _staffing_case("M/M/c, Erlang C start", MMC, None, "Ops", "respond 5m 90%", reps=4,
                       days=6, warmup=1, limit=20),
        _staffing_case("M/M/c, from size 1", MMC, None, "Ops", "respond 5m 90%", reps=4,
                       days=6, warmup=1, limit=20, from_size=1),
        _staffing_case("saleschef Менеджеры", None, SALESCHEF, "Менеджеры",
                       "respond 30m 60%", reps=4, days=60, warmup=20, limit=20),
    ]


def run() -> list[Result]:
    return _staffing() + _parallel_sweep()


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.value:.3g} {r.unit} vs {r.reference:.3g} ({r.reference_name}); "
              f"target {r.target}; {r.note}")
