"""What a team can do in a week when its members finish the work in progress at closing.

The simulator's reading of a team's hours (docs/semantics.md): members pick deals up only
within working hours, and a deal being worked at closing is finished (overtime), as a
manager finishes a call started at 17:50. So a team's capacity is more than its working
hours: a member kept busy through a working period of length H starts work items until
H and finishes the last one after it. With the queue never empty, the items are i.i.d.
draws of the team's work (its stages' `work`, mixed by their arrival rates), so by Wald's
identity the work done in the period is E[S]·(1 + m(H)), where m is the renewal function
of the work (the items finished by H); for H longer than the work (renewal theory) it is
H + E[S²]/(2·E[S]), H plus the mean residual of the item in progress at closing. That is
the figure used: on a team offered more than it can do, the simulated utilization is
this factor (triangular(1h, 2h, 4h) over 9 h days: 1.139 here, 1.136 to 1.139 simulated).

The team keeps up when the work asked of it per week is below `size` times that capacity:
the load (work / working hours) below `capacity_factor` (≥ 1), not below 100 %. The guide's
step 3 (two managers, 20 m calls and 1 to 4 h briefs, 9 working hours a day) is offered
108 % of its working hours and keeps up, its factor being 1.11; cottages' «Менеджеры»
(short work) are offered 111 % against a factor of 1.01 and their queue grows.

A member still at work when the next period opens (a lunch break shorter than the work)
is not modelled, nor a queue order that favours some stages (`queue key-first`): the
factor then reads a little high.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import model as m
from .survival import partial_second_moment
from .working_time import WEEK_HOURS, weekly_intervals

__all__ = ["capacity_factor", "Work"]

_ALL = 1e12
"""An upper bound past any work: `partial_second_moment` up to it is E[S²]."""

Work = tuple[float, m.Dist | None, float]
"""(weight: the stage's arrivals per hour, the work's distribution or None for a fixed
length, its mean in hours)."""


def _periods(hours: m.Hours | None) -> list[float]:
    """The lengths of the working periods of a week, a period running past midnight or
    round the week kept whole; none when the team never closes."""
    if hours is None:
        return []
    spans = [list(iv) for iv in weekly_intervals(hours)]
    if not spans:
        return []
    if len(spans) > 1 and spans[0][0] <= 0.0 and spans[-1][1] >= WEEK_HOURS:
        first = spans.pop(0)  # Sunday night runs into Monday morning: one period
        spans[-1][1] += first[1]
    if len(spans) == 1 and spans[0][1] - spans[0][0] >= WEEK_HOURS:
        return []
    return [b - a for a, b in spans]


def _residual(works: Sequence[Work]) -> float:
    """E[S²]/(2·E[S]) of the mixed work: the mean of what is left of the item in progress
    at closing."""
    total = sum(w for w, _, _ in works)
    mean = sum(w * mu for w, _, mu in works) / total
    square = sum(w * (partial_second_moment(d, _ALL) if d is not None else mu * mu)
                 for w, d, mu in works) / total
    return square / (2.0 * mean)


def capacity_factor(hours: m.Hours | None, works: Sequence[Work]) -> float:
    """The work a member does in a week, finishing the work in progress at each closing,
    over the week's working hours: 1 for a team that never closes (or has no work),
    above 1 otherwise. The team keeps up while its load is below it."""
    periods = _periods(hours)
    works = tuple(w for w in works if w[0] > 0 and w[2] > 0)
    if not periods or not works:
        return 1.0
    week = sum(periods)
    return max(1.0, (week + len(periods) * _residual(works)) / week)
