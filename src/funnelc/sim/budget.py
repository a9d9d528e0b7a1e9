"""How much work a simulation asks for, known before anything is built: the guard that
refuses runs too big to finish (issue 11: `source "S" 1000000/hour` grew to 15.6 GB).

The estimate comes from the exact flows of `analysis.markov` (the traffic equations the
`analyze` command prints): deals created per hour are the sources' rates plus the copies
`then copy` makes, stage visits per hour are the arrival rates of every stage. Over the
horizon each source counts at its monthly profile for the calendar months the run covers,
so a short run in a peak month is not under-estimated. Solving the flows costs
milliseconds, so a refusal comes at once, before the simulation tables are compiled.

Limits are on the whole command: every replication of every variant counts. Memory
stays bounded too: statistics stream (counters and fixed-size sketches, see `stats.py`),
so a replication holds only the deals open at once, never more than it created; the
engine stops a replication that creates more deals than the budget
(`DealLimitExceeded`), which covers what a steady-state estimate cannot see (copies that
multiply, `analysis.markov`'s infinite flows).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .. import model as m
from ..limits import DEFAULT_MAX_DEALS, EVENTS_PER_DEAL, MAX_DAYS, MAX_JOBS, MAX_REPS
from ..numfmt import count_words

__all__ = ["DEFAULT_MAX_DEALS", "EVENTS_PER_DEAL", "MAX_DAYS", "MAX_REPS", "MAX_JOBS",
           "WorkEstimate", "estimate_work", "refusal", "DealLimitExceeded", "deal_limit_text",
           "WorkRefused", "WorkBudget"]

_EVENTS_PER_VISIT = 4.0
"""Engine events per stage visit: entry, end of work or delay, SLA timer, exit."""


@dataclass(frozen=True)
class WorkEstimate:
    """Expected work of a whole command: `deals` and `events` over every run."""

    deals: float
    events: float
    runs: int
    """Replications in all (variants × replications)."""
    deals_per_hour: float
    """Of the busiest variant, at its mean rate over the horizon."""
    hours: float


def _month_ends(start: date, days: int) -> list[tuple[str, float]]:
    """(month name, hours of the run in that calendar month), in order."""
    out: list[tuple[str, float]] = []
    end = start + timedelta(days=days)
    cur = start
    while cur < end:
        nxt = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        stop = min(nxt, end)
        out.append((m.MONTHS[cur.month - 1], (stop - cur).days * 24.0))
        cur = stop
    return out


def _one(funnel: m.FunnelFile, days: int, start: date) -> tuple[float, float]:
    """(expected deals, expected events) of one replication of `funnel`."""
    from ..analysis.markov import account_chain, profile_factor

    chain = account_chain(funnel)
    hours = days * 24.0
    months = _month_ends(start, days)
    mean_rate = 0.0
    arrivals = 0.0
    for src, _key, rate in chain.source_rates:
        mean_rate += rate
        base = src.rate.per_hour
        arrivals += sum(base * profile_factor(src, mo) * h for mo, h in months)
    # Copies and visits scale with the sources' arrivals; this run's months may be busier
    # or quieter than the annual mean the chain was solved at.
    scale = arrivals / (mean_rate * hours) if mean_rate > 0 else 0.0
    copies = visits = 0.0
    for key, stage in chain.stages.items():
        lam = stage.arrivals_per_hour
        if lam == 0.0:
            continue
        visits += lam
        for r in chain.flows.stages[key].routes:
            if r.copy_to is not None and r.share > 0:
                copies += lam * r.share
    deals = arrivals + copies * hours * scale
    events = (deals + visits * hours * scale * _EVENTS_PER_VISIT
              + days * len(chain.stages))
    return deals, events


def estimate_work(models: Sequence[m.FunnelFile], days: int, reps: int,
                  start: date) -> WorkEstimate:
    """The expected work of `reps` replications of each model over `days` days from
    `start`. Infinite where the flows are (a copy loop that multiplies deals)."""
    deals = events = 0.0
    busiest = 0.0
    for funnel in models:
        d, e = _one(funnel, days, start)
        deals += d * reps
        events += e * reps
        busiest = max(busiest, d / (days * 24.0))
    return WorkEstimate(deals=deals, events=events, runs=reps * len(models),
                        deals_per_hour=busiest, hours=days * 24.0)


def refusal(est: WorkEstimate, max_deals: int, advice: str | None = None) -> str | None:
    """Why the run is refused (None: within the budget). Infinite flows are left to the
    engine's per-replication limit: over a finite horizon they stay finite. `advice`:
    what the user can shorten, in the command's own options (default: --days, --reps)."""
    limit_events = max_deals * EVENTS_PER_DEAL
    lower = advice or "shorten --days, lower --reps or the sources' rates"
    runs = f"{est.runs} replication{'s' if est.runs != 1 else ''}"
    where = (f"{count_words(est.deals_per_hour * 24)} a day × {est.hours / 24:,.0f} days × "
             f"{runs}").replace(",", " ")
    if math.isfinite(est.deals) and est.deals > max_deals:
        return (f"the run would simulate about {count_words(est.deals)} deals ({where}), above "
                f"the limit of {count_words(max_deals)} deals; {lower}, or raise the limit with "
                f"--max-deals N (memory grows with the deals open at once, ~300 bytes each)")
    if math.isfinite(est.events) and est.events > limit_events:
        return (f"the run would process about {count_words(est.events)} events ({where}; "
                f"{est.events / max(est.deals, 1.0):.0f} per deal: stage visits and a daily "
                f"snapshot of every stage), above the limit of {count_words(limit_events)} "
                f"({EVENTS_PER_DEAL} per deal of --max-deals {count_words(max_deals)}); "
                f"{advice or 'shorten --days or lower --reps'}, or raise --max-deals")
    return None


class WorkRefused(Exception):
    """A run (or the next batch of one) refused before it starts: its expected work is
    above the budget. `str(exc)` is the whole message, the estimate, the limit and how
    to raise it."""


@dataclass
class WorkBudget:
    """The budget of a command that decides its work as it goes (the staffing search
    tries sizes until one meets the targets, and grows the replications of a borderline
    one): every batch is charged before it runs, so the refusal names the replications
    already done and comes before the batch that would go over, not after it."""

    per_run: WorkEstimate
    """One replication (`estimate_work(..., reps=1)`)."""
    max_deals: int
    advice: str
    """What to lower, in the command's options (`refusal`)."""
    runs: int = 0
    """Replications charged so far."""

    def charge(self, runs: int) -> None:
        """Charge `runs` more replications; raises `WorkRefused` when the total goes over."""
        total = self.runs + runs
        p = self.per_run
        est = WorkEstimate(deals=p.deals * total, events=p.events * total, runs=total,
                           deals_per_hour=p.deals_per_hour, hours=p.hours)
        why = refusal(est, self.max_deals, self.advice)
        if why is not None:
            ran = f"{self.runs} replication{'s' if self.runs != 1 else ''} had run"
            refused = ("the next one was" if runs == 1 else f"the next {runs} were")
            raise WorkRefused(f"{why}. {ran}; {refused} refused before starting"
                              if self.runs else why)
        self.runs = total


class DealLimitExceeded(Exception):
    """A replication created more deals than the budget allows (raised by the engine)."""

    def __init__(self, limit: int, rep: int) -> None:
        super().__init__(limit, rep)
        self.limit = limit
        self.rep = rep

    def __str__(self) -> str:
        return deal_limit_text(self.limit, self.rep)


def deal_limit_text(limit: int, rep: int) -> str:
    return (f"replication {rep} created more than {count_words(limit)} deals and was stopped "
            f"(copies that multiply deals, or sources busier than their rates say); "
            f"shorten --days, or raise the limit with --max-deals N")
