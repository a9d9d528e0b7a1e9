"""`funnelc history` on one million events (issue 7): target ≤ 30 s wall time and
≤ 600 MB peak memory (resident set; issue 13 lowered it from 1 GB), whole process, CSV
input. Issue 14: the same events with a manager and a source per deal take at most 30 %
longer (the per-manager and per-source analytics), measured against the plain run in
the same benchmark.

Where the memory went (issue 13, measured with the allocator returning freed pages at
once): the CSV read through `io.StringIO` held the file three times (bytes, str, UCS-4
copy); a duplicate mask hashed a struct of five columns over all rows; visits computed
every "next" column for all rows; group-bys over string keys held every key. What is
left is the event table itself (~180 MB for 1M events: seven string columns at 16 bytes
a row at least) and the visits (~135 MB) plus one table's transient.

The history is generated with numpy (no simulation: the generator must not be the slow
part): 250 000 deals over a year in a four-stage pipeline with skips, backward moves,
losses with reasons, comebacks and deals still open, ≈ 1 000 000 rows. The reference
measured in the same run is polars merely reading the same CSV (what the input alone
costs), so the ratio shows what the analysis adds.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from harness import Result, funnelc_argv, process_wall_and_peak_rss

DEALS = int(os.environ.get("BENCH_HISTORY_DEALS", "290000"))
# Rounds of the plain and the managers run, interleaved; the medians are compared. One
# run each swung the ratio from 0.85 to 1.42 on a loaded two-core machine.
ROUNDS = int(os.environ.get("BENCH_HISTORY_ROUNDS", "3"))
STAGES = ("Новая заявка", "Квалификация", "Встреча", "Договор")
REASONS = ("Дорого", "Не дозвонились", "Спам", "Выбрал конкурента", "Нецелевой")


MANAGERS = ("Анна", "Борис", "Вера", "Глеб", "Дина", "Егор", "Жанна", "Зоя")
SOURCES = ("Сайт", "Реклама", "Сарафан", "Партнеры")


def generate(path: Path, deals: int = DEALS, seed: int = 1, audit: bool = False) -> int:
    """Write the CSV; returns its number of event rows. `audit`: with a manager and a
    source per deal (issue 14: what the per-manager and per-source analytics cost)."""
    import polars as pl

    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2023-01-01T00:00:00", "s")
    created = rng.uniform(0, 365 * 86400, deals)
    ids, ts, stage, reason = [], [], [], []
    cur_t = created.copy()
    cur_s = np.zeros(deals, dtype=np.int64)
    alive = np.ones(deals, dtype=bool)
    deal = np.arange(deals)
    ids.append(deal)
    ts.append(cur_t.copy())
    stage.append(cur_s.copy())
    reason.append(np.full(deals, -1))
    for _ in range(6):
        idx = np.flatnonzero(alive)
        u = rng.uniform(size=idx.size)
        step = rng.exponential(2 * 86400, idx.size)
        t = cur_t[idx] + step
        s = cur_s[idx]
        lost = u < 0.30
        won = (u >= 0.30) & (u < 0.30 + 0.15 * (s == 3))
        open_ = (u >= 0.95)
        back = (u >= 0.90) & (u < 0.93) & (s > 0)
        skip = (u >= 0.93) & (u < 0.95) & (s < 2)
        nxt = np.where(back, s - 1, np.where(skip, s + 2, np.minimum(s + 1, 3)))
        code = np.where(lost, -2, np.where(won, -1, nxt))
        keep = ~open_
        ids.append(idx[keep])
        ts.append(t[keep])
        stage.append(code[keep])
        reason.append(np.where(lost, rng.integers(0, len(REASONS), idx.size), -1)[keep])
        cur_t[idx] = t
        cur_s[idx] = np.where(code >= 0, code, cur_s[idx])
        alive[idx] = keep & (code >= 0)
        # Some lost deals come back to qualification.
        ret = idx[lost & (rng.uniform(size=idx.size) < 0.05)]
        alive[ret] = True
        cur_s[ret] = 1
    d = np.concatenate(ids)
    t = np.concatenate(ts)
    s = np.concatenate(stage)
    r = np.concatenate(reason)
    names = np.array(STAGES + ("won", "lost"), dtype=object)
    stage_name = names[np.where(s >= 0, s, np.where(s == -1, 4, 5))]
    reason_name = np.where(r >= 0, np.array(REASONS, dtype=object)[np.maximum(r, 0)], None)
    order = rng.permutation(d.size)  # exports are not sorted
    df = pl.DataFrame({
        "deal_id": d[order], "timestamp": (t0 + t[order].astype("timedelta64[s]")).astype("datetime64[ms]"),
        "pipeline": "Продажи", "stage": pl.Series(stage_name[order].tolist(), dtype=pl.Utf8),
        "value": 1000.0,
        "loss_reason": pl.Series(reason_name[order].tolist(), dtype=pl.Utf8)})
    if audit:
        who = rng.integers(0, len(MANAGERS), deals)
        src = rng.integers(0, len(SOURCES), deals)
        df = df.with_columns(
            manager=pl.Series(np.array(MANAGERS, dtype=object)[who[d[order]]].tolist(),
                              dtype=pl.Utf8),
            source=pl.Series(np.array(SOURCES, dtype=object)[src[d[order]]].tolist(),
                             dtype=pl.Utf8))
    df.write_csv(path)
    return df.height


def _measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of that one child process (not the largest child
    of the whole benchmark run, which `RUSAGE_CHILDREN` would give)."""
    return process_wall_and_peak_rss(argv, expect={0, 1})


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="funnelc-bench-history-") as tmp:
        path = Path(tmp) / "history.csv"
        rows = generate(path)
        with_audit = Path(tmp) / "history-managers.csv"
        generate(with_audit, audit=True)
        ref = [sys.executable, "-c", f"import polars as pl; pl.read_csv({str(path)!r})"]
        ref_wall, ref_rss = _measure(ref)
        plain: list[tuple[float, float]] = []
        audit: list[tuple[float, float]] = []
        for i in range(ROUNDS):
            plain.append(_measure(funnelc_argv() + ["history", str(path), "-o",
                                                    str(Path(tmp) / f"out{i}")]))
            audit.append(_measure(funnelc_argv() + ["history", str(with_audit), "-o",
                                                    str(Path(tmp) / f"out-managers{i}")]))
    wall = statistics.median(w for w, _ in plain)
    rss = max(r for _, r in plain)
    a_wall = statistics.median(w for w, _ in audit)
    a_rss = max(r for _, r in audit)
    note = (f"{rows:,} events of {DEALS:,} deals (CSV, unsorted), tables + HTML + plots; "
            f"median of {ROUNDS} runs")
    return [
        Result("history 1M events: wall time", wall, "s", ref_wall, "polars read_csv alone",
               30.0, note=note),
        Result("history 1M events: peak memory", rss, "MB", ref_rss, "polars read_csv alone",
               600.0, note="largest peak resident set of the `funnelc history` process alone "
                           f"over {ROUNDS} runs"),
        # Issue 14: the same history with a manager and a source per deal: the audit's
        # per-manager and per-source tables may add at most 30 % to the plain run.
        Result("history 1M events with managers and sources: wall time", a_wall, "s", wall,
               "the plain history above", 1.3 * wall,
               note=f"{len(MANAGERS)} managers, {len(SOURCES)} sources; peak {a_rss:.0f} MB; "
                    f"target 1.3 x the plain run; medians of {ROUNDS} interleaved runs each"),
    ]


if __name__ == "__main__":
    for r in run():
        print(r)
