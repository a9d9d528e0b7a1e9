"""Resource limits of the commands that simulate (issue 11), in one light module: the
options read them at import, on the path of `--help`, where the simulator (numpy,
SimPy) must not load; `funnelc.sim.budget` and the engine enforce them."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_DEALS", "EVENTS_PER_DEAL", "MAX_DAYS", "MAX_REPS", "MAX_JOBS",
           "MAX_TEAM_SIZE"]

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

MAX_TEAM_SIZE = 10_000
"""The largest team a funnel may declare (`team "T" size N`, a scenario's or `--set`'s
size, `staff --max-size`): a team is people working one CRM account, and no account has
more users than this. Bitrix24's largest plan (Enterprise) is sold for up to 10,000
users, an amoCRM account has at most a few thousand. A size beyond it is a slip (a
digit held down, an amount pasted in the wrong place): `team "Продажи" size
100000000000000000000` passed `check` without a word, and the exact analysis and the
simulator took it at its word."""
