"""Options of a simulation run, validated once so the engine can trust them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from .warm import OpenDeal, open_deal_problems

__all__ = ["SimConfig", "DEFAULT_START"]

DEFAULT_START = date(2018, 1, 1)
"""A Monday in a non-leap year: month lengths are the plain ones and week one is whole."""


@dataclass(frozen=True)
class SimConfig:
    """How long, how often and how randomly to simulate.

    `days` is the horizon counted from `start` 00:00; the first `warmup_days` run but are
    left out of every statistic (the account starts empty, which real accounts are not,
unless `open_deals` says which deals are open at the start).
    Replication r uses random streams derived from (`seed`, r) only, so results do not
    depend on `jobs`.
    """

    days: int = 365
    warmup_days: int = 30
    reps: int = 10
    seed: int = 1
    jobs: int | None = None
    """Worker processes; None uses every core."""
    start: date = DEFAULT_START
    records: str | None = None
    """Path of a per-deal CSV (one row per stage visit) to write, or None."""
    scenario: str | None = None
    """Name of a `scenario` block whose overrides apply before simulating, or None."""
    max_deals: int | None = None
    """Deals one replication may create before it is stopped (`budget.DealLimitExceeded`);
    None: `limits.DEFAULT_MAX_DEALS`."""
    open_deals: tuple[OpenDeal, ...] = ()
    """Deals open at t=0 (warm start, `funnelc.sim.warm`): they occupy their stages from
    the start with the time they have already spent there. Empty: the account starts
    empty, which is what `warmup_days` is for."""
    daily_wins: bool = False
    """Count wins and their revenue per simulated day, by pipeline and by origin (the
    stage an open deal was in at t=0, or a new arrival): `RepStats.daily_wins`, what
    `funnelc forecast` adds up by week and month. Counted from t=0 whatever the warm-up."""

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        out: list[str] = []
        if not isinstance(self.days, int) or self.days < 1:
            out.append(f"days must be a whole number of days, at least 1 (got {self.days})")
        if not isinstance(self.warmup_days, int) or self.warmup_days < 0:
            out.append(f"warmup must be 0 or more days (got {self.warmup_days})")
        elif isinstance(self.days, int) and self.warmup_days >= self.days:
            out.append(f"warmup ({self.warmup_days} days) must be shorter than the horizon "
                       f"({self.days} days)")
        if not isinstance(self.reps, int) or self.reps < 1:
            out.append(f"reps must be at least 1 (got {self.reps})")
        if not isinstance(self.seed, int) or self.seed < 0:
            out.append(f"seed must be a non-negative integer (got {self.seed})")
        if self.jobs is not None and (not isinstance(self.jobs, int) or self.jobs < 1):
            out.append(f"jobs must be at least 1 (got {self.jobs})")
        if self.max_deals is not None and (not isinstance(self.max_deals, int)
                                           or self.max_deals < 1):
            out.append(f"max_deals must be at least 1 (got {self.max_deals})")
        if not isinstance(self.open_deals, tuple):
            out.append("open_deals must be a tuple of OpenDeal")
        else:
            out += open_deal_problems(self.open_deals)
        return out

    @property
    def horizon_hours(self) -> float:
        return self.days * 24.0

    @property
    def warmup_hours(self) -> float:
        return self.warmup_days * 24.0

    def worker_count(self) -> int:
        """Processes to use: never more than there are replications or usable cores."""
        jobs = self.jobs if self.jobs is not None else usable_cores()
        return max(1, min(jobs, self.reps))


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
