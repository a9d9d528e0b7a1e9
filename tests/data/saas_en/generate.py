"""A B2B SaaS company's stage history (account in English, money in EUR) with a planted
story, written independently of funnelc: the generic CSV export of a CRM whose wins and
losses are the stages «Closed won» and «Closed lost» (no `kind` column), dates written
the US way (`MM/DD/YYYY HH:MM`, the file settles it: many days are above 12), amounts as
`€1,250.50`. Two pipelines, «New business» and «Expansion» (both have a «Proposal»).

Planted:
- the CRM renamed the stage «Demo» to «Demo held» on 2026-05-01: every entry before that
  day says «Demo», every one from that day «Demo held»;
- Ryan Cole closes lukewarm trials as lost «No response» within days (twice the others'
  rate) and reopens 40 % of them into «Trial» himself two to six weeks later;
- on 2026-06-16 a bulk import created `IMPORT` deals (a webinar attendee list, source
  «Webinar») in «Inbound lead» within one hour; 5 % of them are disqualified later,
  the rest never move.

`write(out, seed)` writes `history.csv` and `truth.json` (each deal's events as the
generator made them, with the stage's real name, before the rename)."""
from __future__ import annotations

import csv
import json
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2026, 1, 5)
END = datetime(2026, 11, 1)
RENAMED = datetime(2026, 5, 1)
IMPORT_DAY = datetime(2026, 6, 16, 10, 0)
IMPORT = 300
REPS = ("Emma Schmidt", "Lucas Martin", "Sofia Rossi", "Ryan Cole", "Anna Novak",
        "Jonas Berg")
EARLY = "Ryan Cole"
SOURCES = {"Google Ads": (9, 6_000.0), "LinkedIn": (5, 9_000.0), "Referral": (3, 12_000.0),
           "Webinar": (2, 5_000.0), "Partner": (2, 10_000.0)}
NB, EX = "New business", "Expansion"
WON, LOST = "Closed won", "Closed lost"

Event = tuple[datetime, str, str | None]


def new_business(rng: random.Random, rep: str, t0: datetime) -> list[Event]:
    """One «New business» deal's events (time, stage, loss reason)."""
    ev: list[Event] = [(t0, "Inbound lead", None)]
    t = t0

    def step(mean_days: float) -> datetime:
        return t + timedelta(days=rng.expovariate(1 / mean_days))

    t = step(1)
    if rng.random() < 0.30:
        ev.append((t, LOST, rng.choice(["No budget", "Other", "No response"])))
        return ev
    ev.append((t, "Discovery call", None))
    t = step(3)
    if rng.random() < 0.25:
        ev.append((t, LOST, rng.choice(["No budget", "No response"])))
        return ev
    ev.append((t, "Demo", None))
    t = step(4)
    if rng.random() < 0.20:
        ev.append((t, LOST, rng.choice(["Competitor", "Price"])))
        return ev
    ev.append((t, "Trial", None))
    while True:
        early = 0.40 if rep == EARLY else 0.20
        if rng.random() < early:
            t = t + timedelta(days=rng.uniform(1, 4))
            ev.append((t, LOST, "No response"))
            if rep == EARLY and rng.random() < 0.40:
                t = t + timedelta(days=rng.uniform(14, 42))
                ev.append((t, "Trial", None))
                continue
            return ev
        break
    t = step(10)
    if rng.random() < 0.15:
        ev.append((t, LOST, "Competitor"))
        return ev
    ev.append((t, "Proposal", None))
    t = step(7)
    if rng.random() < 0.35:
        ev.append((t, LOST, rng.choice(["Price", "Competitor", "Other"])))
        return ev
    ev.append((t, WON, None))
    return ev


def expansion(rng: random.Random, t0: datetime) -> list[Event]:
    """One «Expansion» deal's events."""
    ev: list[Event] = [(t0, "Upsell opportunity", None)]
    t = t0 + timedelta(days=rng.expovariate(1 / 5))
    if rng.random() < 0.30:
        ev.append((t, LOST, rng.choice(["No budget", "Other"])))
        return ev
    ev.append((t, "Proposal", None))
    t = t + timedelta(days=rng.expovariate(1 / 10))
    ev.append((t, WON, None) if rng.random() < 0.6 else (t, LOST, "Price"))
    return ev


def stage_as_exported(t: datetime, stage: str) -> str:
    return "Demo held" if stage == "Demo" and t >= RENAMED else stage


def money(value: float) -> str:
    return f"€{value:,.2f}"


def us_time(t: datetime) -> str:
    return t.strftime("%m/%d/%Y %H:%M")


def write(out: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    starts: list[tuple[datetime, str, str, str, float]] = []
    for src, (per_week, mean) in SOURCES.items():
        t = START
        while True:
            t += timedelta(days=rng.expovariate(per_week / 7))
            if t >= END:
                break
            sigma = 0.5
            value = round(rng.lognormvariate(math.log(mean) - sigma ** 2 / 2, sigma), 2)
            at = t.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0,
                           microsecond=0)
            starts.append((at, NB, src, rng.choice(REPS), value))
    t = START
    while True:
        t += timedelta(days=rng.expovariate(4 / 7))
        if t >= END:
            break
        at = t.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0,
                       microsecond=0)
        starts.append((at, EX, "Referral", rng.choice(REPS),
                       round(rng.uniform(1_000, 8_000), 2)))
    for k in range(IMPORT):
        at = IMPORT_DAY + timedelta(seconds=10 * k)
        starts.append((at, NB, "Webinar", REPS[k % len(REPS)], 0.0))
    starts.sort()
    truth = []
    rows = []
    for i, (t0, pipe, src, rep, value) in enumerate(starts):
        did = f"D-{10001 + i}"
        if pipe == EX:
            ev = expansion(rng, t0)
        elif t0.date() == IMPORT_DAY.date() and value == 0.0:
            ev = [(t0, "Inbound lead", None)]
            if rng.random() < 0.05:
                ev.append((t0 + timedelta(days=rng.uniform(1, 60)), LOST, "No response"))
        else:
            ev = new_business(rng, rep, t0)
        ev = [e for e in ev if e[0] < END]
        truth.append({"id": did, "pipeline": pipe, "source": src, "manager": rep,
                      "value": value, "imported": value == 0.0,
                      "events": [(e[0].isoformat(), e[1], e[2]) for e in ev]})
        for at, stage, why in ev:
            rows.append({"Deal ID": did, "Date": us_time(at), "Pipeline": pipe,
                         "Stage": stage_as_exported(at, stage),
                         "Amount (EUR)": money(value) if value else "",
                         "Loss reason": why or "", "Source": src, "Deal owner": rep})
    rows.sort(key=lambda r: (datetime.strptime(r["Date"], "%m/%d/%Y %H:%M"), r["Deal ID"]))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "history.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (out / "truth.json").write_text(json.dumps(truth), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
