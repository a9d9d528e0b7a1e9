"""`funnelc fit` with delays calibrated through the simulator (issue 13): saleschef's
delays from a history of one million events within 2 minutes on 2 cores.

The history is funnelc's own: `pipelines/saleschef.funnel` as a company `SCALE` times
larger (every source's rate and every team's size multiplied, so the teams are as busy
as in the file), simulated for a year with `--records`: at SCALE 17, 1.12 million
events (832 000 stage visits, 293 000 of them closing a deal). Its `picked_hours`
column is emptied, as in a CRM export that does not say when a manager picked a deal
up, so every stage with work or an SLA is calibrated through the simulator. The same
records with the pick-up times are fitted too (the direct path: nothing simulated).
The reference measured in the same run is one `funnelc simulate` of that year (what one
calibration run of the simulator costs), so the ratio reads "calibration costs N
simulations" (2 rounds on a window of ~100 000 deals, the last on the whole year; the
fit's own statistics come on top).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from harness import ROOT, Result, funnelc_argv, process_wall_and_peak_rss

SCALE = int(os.environ.get("BENCH_FIT_SCALE", "17"))
DAYS = 365


def scaled_funnel(path: Path, scale: int = SCALE) -> None:
    """saleschef with rates and team sizes times `scale`, written by the formatter."""
    import funnelc
    from funnelc.fmt import format_model
    from funnelc.scenarios import rate_of

    model = funnelc.load(str(ROOT / "pipelines" / "saleschef.funnel")).model
    sources = []
    for s in model.sources:
        per_week = s.rate.per_hour * 168 * scale
        rate = rate_of(f"{per_week:.6g}/week", s.rate.span)
        assert rate is not None
        sources.append(s.model_copy(update={"rate": rate}))
    teams = tuple(t.model_copy(update={"size": t.size * scale}) for t in model.teams)
    model = model.model_copy(update={"sources": tuple(sources), "teams": teams,
                                     "scenarios": (), "order": tuple(
                                         i for i in model.order if i[0] != "scenarios")})
    path.write_text(format_model(model), encoding="utf-8")


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        root = Path(tmp)
        funnel, records = root / "big.funnel", root / "deals.csv"
        scaled_funnel(funnel)
        sim = [*funnelc_argv(), "simulate", str(funnel), "--days", str(DAYS), "--warmup", "0",
               "--reps", "1", "--jobs", "1", "--max-deals", "10000000"]
        ref_wall, _ = process_wall_and_peak_rss([*sim, "--records", str(records)])
        crm = root / "crm.csv"
        visits, events = without_pick_ups(records, crm)
        fit = [*funnelc_argv(), "fit", str(crm), "--funnel", str(funnel), "-o",
               str(root / "fitted.funnel")]
        wall, rss = process_wall_and_peak_rss(fit, expect={0, 1})
        direct = [*funnelc_argv(), "fit", str(records), "--funnel", str(funnel), "-o",
                  str(root / "direct.funnel")]
        d_wall, d_rss = process_wall_and_peak_rss(direct, expect={0, 1})
    return [Result(f"fit with calibrated delays, saleschef x{SCALE}, {events:,} events",
                   wall, "s", ref_wall, "one simulation of the year", 120.0,
                   note=f"{visits:,} stage visits; peak memory {rss:,.0f} MB"),
            Result(f"fit from pick-up times, saleschef x{SCALE}, {events:,} events",
                   d_wall, "s", ref_wall, "one simulation of the year", 120.0,
                   note=f"nothing simulated; peak memory {d_rss:,.0f} MB")]


def without_pick_ups(records: Path, out: Path) -> tuple[int, int]:
    """`records` with `picked_hours` emptied, written to `out`: what a CRM that does not
    record pick-ups exports. Returns (stage visits, events: visits plus closes)."""
    import csv

    visits = closes = 0
    with records.open(encoding="utf-8", newline="") as src, \
            out.open("w", encoding="utf-8", newline="") as dst:
        rows, writer = csv.reader(src), csv.writer(dst)
        header = next(rows)
        col, outcome = header.index("picked_hours"), header.index("outcome")
        writer.writerow(header)
        for row in rows:
            visits += 1
            closes += row[outcome].lstrip("'").startswith(("won", "lost"))
            row[col] = ""
            writer.writerow(row)
    return visits, visits + closes


if __name__ == "__main__":
    for r in run():
        print(r, file=sys.stdout)
