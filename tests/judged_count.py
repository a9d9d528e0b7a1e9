"""Which deals the manager comparison judges at a stage pair, counted from a generator's
own truth with plain Python (no polars, none of funnelc's code): the hand count the
audit tests compare funnelc's tables with.

A deal's first entry into stage `a` at `ta` is judged when it reached `b` before any loss
(converted), was lost before reaching `b`, or has waited, by the last event of the
export, the 90th percentile (nearest rank, half up, as polars' «nearest») of the time
the deals that reached `b` took. An open deal younger than that is «recent».

A loss is settled — old enough to say whether it was premature — when the deal came
back to `b` after it, or the loss is as old as the 90th percentile of the time the
pair's comebacks took from the loss to `b`."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

Event = tuple[datetime, str]
"""(moment, stage entered); a loss is a stage `is_lost` says is one."""


@dataclass(frozen=True)
class Judged:
    """One deal's first entry into the pair's first stage."""
    key: object
    converted: bool
    lost: bool
    judged: bool
    came_back: bool = False
    settled: bool = False


def nearest_quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[math.floor(q * (len(s) - 1) + 0.5)]


def judged_entries(deals: Iterable[tuple[object, list[Event]]], a: str, b: str,
                   is_lost: Callable[[str], bool], end: datetime) -> list[Judged]:
    """Each deal (key, its events in time order) that entered `a`, judged or recent."""
    rows: list[tuple[object, datetime, datetime | None, datetime | None]] = []
    for key, events in deals:
        entries = [t for t, s in events if s == a]
        if not entries:
            continue
        ta = entries[0]
        tb = min((t for t, s in events if s == b and t > ta), default=None)
        tl = min((t for t, s in events if is_lost(s) and t >= ta), default=None)
        rows.append((key, ta, tb, tl))
    took = [(tb - ta).total_seconds() / 3600 for _, ta, tb, _ in rows if tb is not None]
    wait = timedelta(hours=nearest_quantile(took, 0.9) or 0.0)
    back = [(tb - tl).total_seconds() / 3600 for _, _, tb, tl in rows
            if tb is not None and tl is not None and tl < tb]
    wait_back = timedelta(hours=nearest_quantile(back, 0.9) or 0.0)
    out = []
    for key, ta, tb, tl in rows:
        converted = tb is not None and (tl is None or tb < tl)
        lost = tl is not None and (tb is None or tl < tb)
        came_back = lost and tb is not None
        settled = lost and (came_back or (tl is not None and tl + wait_back <= end))
        out.append(Judged(key, converted, lost, converted or lost or ta + wait <= end,
                          came_back, settled))
    return out
