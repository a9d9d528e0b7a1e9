"""`funnelc forecast` (issue 13): 10 000 open deals, 200 replications, within 20 s on
2 cores, as a whole process (reading the history included).

The open deals are funnelc's own: `pipelines/saleschef.funnel` simulated for a year with
`--records` leaves deals open at the horizon, each in a stage since some time; 10 000 of
them are drawn (with replacement) into a CSV history, one entry event per deal, so the
backlog has the stages and ages the funnel itself produces. The forecast runs them warm
plus saleschef's own arrivals to the end of the next month (31 days), 200 replications.

The reference measured in the same run is `funnelc simulate` of the same funnel, days
and replications starting empty: the ratio reads "the forecast costs N empty runs", the
open deals and the forecast's own work on top.

Where the time goes (callgrind, instructions per replication): ~250 M are the empty
run's, ~270 M the warm start (10 000 deals placed, their residual stays drawn, their
timers set) and the rest the open deals' own events (~22 000: cadence touches queued for
one- and two-member teams, SLA deadlines, delays). Reworked for this benchmark, outputs
for a seed unchanged: the open deals resolved and sorted once per process
(`sim.warm.warm_plan`), deadlines at or after the horizon never made, `key-first`
queues as one deque per rank, far timers bucketed by day instead of a heap: 1149 M ->
~980 M per replication; 23.8 s -> 19.3 s wall (19.1 s -> 15.2 s CPU per core) at load ~2.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from harness import ROOT, Result, funnelc_argv, process_wall_and_peak_rss

DEALS = int(os.environ.get("BENCH_FORECAST_DEALS", "10000"))
REPS = int(os.environ.get("BENCH_FORECAST_REPS", "200"))
JOBS = int(os.environ.get("BENCH_FORECAST_JOBS", "2"))
FUNNEL = ROOT / "pipelines" / "saleschef.funnel"
END = datetime(2019, 1, 1)
"""The records' horizon (a year from 2018-01-01): today is 2018-12-31."""


def open_deals_history(root: Path, deals: int = DEALS, seed: int = 7) -> Path:
    """A CSV history of `deals` open deals drawn from the deals a year of saleschef
    leaves open (their stages and ages)."""
    records = root / "year.csv"
    argv = [*funnelc_argv(), "simulate", str(FUNNEL), "--days", "365", "--warmup", "0",
            "--reps", "1", "--jobs", "1", "--records", str(records)]
    process_wall_and_peak_rss(argv)
    pool: list[tuple[str, str, float]] = []
    with open(records, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["outcome"] == "open":
                pool.append((row["pipeline"], row["stage"],
                             365 * 24.0 - float(row["entered_hours"])))
    if not pool:
        raise RuntimeError("a year of saleschef left no deal open")
    rnd = random.Random(seed)
    history = root / "open.csv"
    with open(history, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["deal_id", "timestamp", "pipeline", "stage"])
        for i in range(deals):
            pipe, stage, age = rnd.choice(pool)
            at = END - timedelta(hours=max(age, 0.01))
            out.writerow([f"d{i}", at.isoformat(timespec="seconds"), pipe, stage])
    return history


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-forecast-") as tmp:
        root = Path(tmp)
        history = open_deals_history(root)
        forecast = [*funnelc_argv(), "forecast", str(history), "--funnel", str(FUNNEL),
                    "--as-of", "2018-12-31", "--reps", str(REPS), "--jobs", str(JOBS),
                    "--format", "json", "-q"]
        empty = [*funnelc_argv(), "simulate", str(FUNNEL), "--start", "2019-01-01", "--days",
                 "31", "--warmup", "0", "--reps", str(REPS), "--jobs", str(JOBS),
                 "--format", "json", "-q"]
        ref_wall, _ = process_wall_and_peak_rss(empty)
        cpu0 = _children_cpu()
        wall, rss = process_wall_and_peak_rss(forecast)
        cpu = _children_cpu() - cpu0
    return [
        Result(f"forecast of {DEALS:,} open deals, {REPS} replications, {JOBS} jobs", wall,
               "s", ref_wall, "the same runs starting empty (simulate)", 20.0,
               note=f"saleschef, 31 days to 2019-01-31; peak memory {rss:,.0f} MB"),
        Result(f"the same forecast: CPU time of all its processes / {JOBS}", cpu / JOBS, "s",
               wall, "its wall time", None,
               note="what the wall time would be on idle cores (ratio ≪ 1: the machine "
                    "was busy)"),
    ]


def _children_cpu() -> float:
    """User + system seconds of every finished descendant (a sum, so a difference
    measures the processes waited for in between: the command and its workers)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    for r in run():
        print(r, file=sys.stdout)
