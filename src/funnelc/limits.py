"""Resource limits of the commands that simulate (issue 11), in one light module: the
options read them at import, on the path of `--help`, where the simulator (numpy,
SimPy) must not load; `funnelc.sim.budget` and the engine enforce them."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_DEALS", "EVENTS_PER_DEAL", "MAX_DAYS", "MAX_REPS", "MAX_JOBS"]

DEFAULT_MAX_DEALS = 5_000_000
"""Deals a command may simulate in all, replications and variants together, unless
`--max-deals` raises it: about a minute of one core, and at most ~1.5 GB should every
deal of a replication wait in a queue at once (~300 bytes a waiting deal)."""

EVENTS_PER_DEAL = 40
"""Events the budget allows per deal on average (stage entries, work ends, timers, and a
daily snapshot per stage): a deal visiting a few stages needs ~5-15; more means a long
rework loop or a daily snapshot of thousands of stages over a long horizon."""

MAX_DAYS = 36_500
"""Longest horizon, 100 years: the daily WIP series of every stage is kept per day."""

MAX_REPS = 10_000
"""Most replications: a confidence interval does not narrow usefully beyond this."""

MAX_JOBS = 256
"""Most worker processes on one machine."""
