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
3. **Sequential replications vs fixed (issue 15).** The staffing search on cottages
   («Менеджеры»: `respond 15m 80%`, `utilization <= 85%`, `no graveyard` — the case that
   answered 35 in 90 s) and on saleschef («Менеджеры», `respond 30m 60%` and the same two)
   against the search it replaced (10 replications per size, borderline sizes doubled up
   to 40, from the start it had: the closed forms and the stable size, not the calendar
   approximation of `staffing_approx`), in one process, both required to give the same
   answer with 'high' confidence. Figure: simulated deals of the new search / the old; target <= 0.3. Wall
   and CPU times in the note, and what the explanation's levers cost on top.
   `BENCH_STAFF_DAYS` (default 365) sets the horizon.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import ROOT, Result, funnelc_argv  # noqa: E402

if TYPE_CHECKING:
    from funnelc.whatif.staffing import SizeEval, SizeRuns

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


COTTAGES = ROOT / "pipelines" / "cottages.funnel"
SEQ_TARGETS = ["respond 15m 80%", "utilization <= 85%", "no graveyard"]
SEQ_CASES = [
    ("cottages", COTTAGES, SEQ_TARGETS),
    ("saleschef", SALESCHEF, ["respond 30m 60%", "utilization <= 85%", "no graveyard"]),
]
SEQ_DAYS = int(os.environ.get("BENCH_STAFF_DAYS", "365"))


def _fixed_search(sz: SizeRuns, limit: int, reps: int, max_reps: int) -> int | None:
    """The staffing search as it was before sequential replications (issue 15): every
    size gets `reps` replications, gallop +1, +2, +4 … and bisect, then the answer and
    the size below it are doubled (up to `max_reps`) while their interval straddles a
    target, and the search is re-run on the sharper figures. Kept here as the reference
    the new search is measured against."""
    evals = sz.evals

    def meets(c: int) -> bool:
        sz.ensure([c], reps)
        return evals[c].meets_all

    def search() -> int | None:
        # The start it had: closed forms and the stable size, not the calendar
        # approximation the new search starts from.
        c = min(max(sz.start.closed_form_start, 1), limit)
        if meets(c):
            while c > 1 and meets(c - 1):
                c -= 1
            return c
        lo, step = c, 1
        while lo < limit:
            hi = min(lo + step, limit)
            if meets(hi):
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if meets(mid):
                        hi = mid
                    else:
                        lo = mid
                return hi
            lo, step = hi, step * 2
        return None

    answer = search()
    for _ in range(8):
        if answer is None:
            break
        grow = [c for c in (answer, answer - 1) if c >= 1 and c in evals
                and not all(evals[c].sure) and len(evals[c].reps) < max_reps]
        if not grow:
            break
        for c in grow:
            sz.ensure([c], min(max_reps, 2 * len(evals[c].reps)))
        answer = search()
    return answer


def _high(evals: dict[int, SizeEval], answer: int | None) -> bool:
    """The answer is sure: it meets every target with its interval clear, and the size
    below misses one with its interval clear (or the answer is 1)."""
    if answer is None or not all(evals[answer].sure):
        return False
    below = evals.get(answer - 1)
    return answer == 1 or (below is not None and any(
        not ok and sure for ok, sure in zip(below.meets, below.sure)))


def _deals(evals: dict[int, SizeEval]) -> int:
    return sum(r.deals_created for ev in evals.values() for r in ev.reps)


def _sequential_case(name: str, path: Path, targets: list[str]) -> list[Result]:
    from funnelc import load_file
    from funnelc.sim import SimConfig, compile_network
    from funnelc.whatif.executors import Runner, SerialExecutor
    from funnelc.whatif.staff_explain import explain
    from funnelc.whatif.staffing import SizeRuns, parse_target, search_staff, with_respond_limits

    team = "Менеджеры"
    loaded = load_file(path)
    assert loaded.ok and loaded.model is not None, loaded.diagnostics
    net = compile_network(loaded.model)
    parsed = [parse_target(t, f"--target #{i}", net, team) for i, t in enumerate(targets, 1)]
    model = with_respond_limits(loaded.model, net, parsed)
    old_config = SimConfig(days=SEQ_DAYS, warmup_days=30, reps=10, seed=1)
    new_config = SimConfig(days=SEQ_DAYS, warmup_days=30, reps=3, seed=1)
    # In this process, one replication at a time: CPU time is the work, nothing hidden
    # in workers; the same replication indices in both (common random numbers).
    wall0, cpu0 = time.perf_counter(), time.process_time()
    sz = SizeRuns(model, team, parsed, Runner(SerialExecutor(), old_config))
    old_answer = _fixed_search(sz, 50, 10, 40)
    old_wall, old_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    old_reps, old_deals, old_sure = sz.counted, _deals(sz.evals), _high(sz.evals, old_answer)

    runner = Runner(SerialExecutor(), new_config)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    found = search_staff(model, team, parsed, new_config, runner, limit=50, curve_extra=0)
    new_wall, new_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    new_deals = _deals(found.evals)
    new_sure = _high(found.evals, found.answer)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    before = runner.replications
    team_node = model.team(team)
    why = explain(model, compile_network(model), found, new_config, runner,
                  team_node.size if team_node is not None else 0)
    lever_wall, lever_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    lever_reps = runner.replications - before
    if found.answer != old_answer:
        raise RuntimeError(f"{name}: the sequential search found {found.answer}, the "
                           f"fixed-replication search {old_answer}")
    if not (new_sure and old_sure):
        raise RuntimeError(f"{name}: not equally sure (sequential {found.confidence}, "
                           f"fixed {'high' if old_sure else 'not high'})")
    levers = "; ".join(f"{lv.change} → {lv.answer}" for lv in why.levers) or "none simulated"
    return [
        Result(f"staffing {name} ({', '.join(targets)}): simulated deals, sequential / "
               f"fixed replications", new_deals / old_deals, "x", 1.0, "fixed search",
               target=0.3,
               note=f"answer {found.answer}, both 'high' (95% intervals of the answer and the "
                    f"size below clear the targets); sequential {found.search_replications} "
                    f"replications at sizes {found.search_sizes}, {new_deals} deals, wall "
                    f"{new_wall:.1f} s, CPU {new_cpu:.1f} s; fixed (10 per size, borderline "
                    f"doubled to 40) {old_reps} replications at {sorted(sz.searched)}, "
                    f"{old_deals} deals, wall {old_wall:.1f} s, CPU {old_cpu:.1f} s; CPU "
                    f"ratio {new_cpu / old_cpu:.2f}; {SEQ_DAYS} days, 1 process"),
        Result(f"staffing {name}: the explanation's levers, CPU s", lever_cpu, "s", new_cpu,
               "sequential search", target=None,
               note=f"cause {why.cause}; levers {levers}; {lever_reps} replications, wall "
                    f"{lever_wall:.1f} s (simulated only when the answer is far from the "
                    f"file's size; --no-levers skips them)"),
    ]


def _sequential() -> list[Result]:
    return [r for name, path, targets in SEQ_CASES for r in _sequential_case(name, path, targets)]


def run() -> list[Result]:
    return _sequential() + _staffing() + _parallel_sweep()


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.value:.3g} {r.unit} vs {r.reference:.3g} ({r.reference_name}); "
              f"target {r.target}; {r.note}")
