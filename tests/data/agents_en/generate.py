"""A B2B hardware reseller's deal history (account in English, money in USD) with a
planted story, written independently of funnelc, in the shape of a public «CRM sales
opportunities» deal list converted to funnelc's long CSV: one pipeline, «Prospecting»
(no dates, left out as such exports leave it) → «Engaging» → won or lost, a row per deal
entering «Engaging» (its engage date) and a row when it was won or lost (its close
date); ten sales agents, seven products whose list prices run from 55 to 26,768.

Planted:
- every agent wins the same share of the deals they close, `CLOSED_WIN` (63 %),
  whatever the product;
- the nine others leave `STALE` (20 %) of their deals open in «Engaging» for good
  (neither won nor lost when the export ends); Nora Quill, the closer, leaves none:
  counted as not won, those old open deals made her «clearly better» (62.19 % against
  50.37 % at seed 14) and «the rest would have had 161 deals more», though she wins no
  more of what she closes than anyone;
- Omar Finch sells the cheap products only (MG Special, GTX Basic: 55 and 550) and
  wins `CHEAP_WIN` (40 %) of what he closes: clearly worse, and what his shortfall
  costs is his deals' worth (a few hundred dollars each), not the team's average won
  deal's (about 2,700).

`write(out, seed)` writes `history.csv` and `truth.json` (per agent: deals, won, lost,
left open, each deal's list price)."""
from __future__ import annotations

import csv
import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2025, 1, 6)
ENGAGE_DAYS = 330
END = datetime(2026, 3, 31)
"""The export's day: a close after it has not happened yet."""
CLOSED_WIN = 0.63
STALE = 0.20
CLOSER = "Nora Quill"
CHEAP_WIN = 0.40
CHEAP = "Omar Finch"
AGENTS = {CLOSER: 320, CHEAP: 220, "Ava Lindqvist": 170, "Ben Okafor": 170,
          "Chloe Marsh": 170, "Dev Patel": 170, "Elena Ruiz": 170, "Felix Grant": 170,
          "Grace Holt": 170, "Hugo Brandt": 170}
PRODUCTS = {"MG Special": 55.0, "GTX Basic": 550.0, "GTX Plus Basic": 1_096.0,
            "MG Advanced": 3_393.0, "GTX Pro": 4_821.0, "GTX Plus Pro": 5_482.0,
            "GTK 500": 26_768.0}
WEIGHTS = {"MG Special": 18, "GTX Basic": 21, "GTX Plus Basic": 15, "MG Advanced": 16,
           "GTX Pro": 16, "GTX Plus Pro": 11, "GTK 500": 3}


def write(out: Path, seed: int = 14) -> dict[str, object]:
    rng = random.Random(seed)
    rows: list[tuple[str, str, str, str, str, str]] = []
    truth: dict[str, dict[str, object]] = {}
    n = 0
    for agent, count in AGENTS.items():
        names = ["MG Special", "GTX Basic"] if agent == CHEAP else list(PRODUCTS)
        weights = [WEIGHTS[p] for p in names]
        t = {"deals": 0, "won": 0, "lost": 0, "open": 0, "values": [], "won_values": []}
        for i in range(count):
            n += 1
            deal = f"D{n:05d}"
            product = rng.choices(names, weights)[0]
            price = PRODUCTS[product]
            engaged = START + timedelta(days=rng.uniform(0, ENGAGE_DAYS),
                                        hours=rng.uniform(9, 18))
            # Exactly every fifth deal: the planted gap is the rule, not a lucky draw.
            stale = agent != CLOSER and i % round(1 / STALE) == 0
            won = rng.random() < (CHEAP_WIN if agent == CHEAP else CLOSED_WIN)
            closed = engaged + timedelta(days=rng.gammavariate(2.0, 22.0))
            value = round(price * rng.uniform(0.9, 1.05)) if won else price
            t["deals"] += 1  # type: ignore[operator]
            t["values"].append(price)  # type: ignore[union-attr]
            rows.append((deal, engaged.strftime("%Y-%m-%d %H:%M"), "Engaging", "stage",
                         agent, f"{value:.0f}"))
            if stale or closed > END:
                t["open"] += 1  # type: ignore[operator]
                continue
            kind = "won" if won else "lost"
            t[kind] += 1  # type: ignore[operator]
            if won:
                t["won_values"].append(value)  # type: ignore[union-attr]
            rows.append((deal, closed.strftime("%Y-%m-%d %H:%M"), kind.capitalize(), kind,
                         agent, f"{value:.0f}"))
        truth[agent] = t
    rows.sort(key=lambda r: (r[1], r[0]))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "history.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["deal_id", "date", "stage", "kind", "manager", "value"])
        w.writerows(rows)
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
