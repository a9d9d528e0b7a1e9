"""Which deals the manager comparison judges at a stage pair, counted from a generator's
own truth with plain Python (no polars, none of funnelc's code): the hand count the
audit tests compare funnelc's tables with.

A deal's first entry into stage `a` at `ta` is judged when it reached `b` before any loss
(converted), was lost before reaching `b`, or has waited, by the last event of the
export, the 90th percentile (nearest rank, half up, as polars' «nearest») of the time
the deals that reached `b` took. An open deal younger than that is «recent».

A loss came back when the deal was reopened after it — its next event is an entry into
a stage — and was not lost again within an hour of that, or it reached `b` after the
loss (the generators' deals keep to one pipeline). A loss is settled — old enough to say
whether it was premature — when it came back, or it is as old as the 90th percentile of
the time the pair's comebacks took from the loss to the reopening."""
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
    rows: list[tuple[object, datetime, datetime | None, datetime | None, datetime | None]] = []
    for key, events in deals:
        entries = [t for t, s in events if s == a]
        if not entries:
            continue
        ta = entries[0]
        tb = min((t for t, s in events if s == b and t > ta), default=None)
        tl = min((t for t, s in events if is_lost(s) and t >= ta), default=None)
        later = [(t, s) for t, s in events if tl is not None and t > tl]
        tr = later[0][0] if later and not is_lost(later[0][1]) else None
        tq = min((t for t, s in later if is_lost(s) and tr is not None and t > tr), default=None)
        lost = tl is not None and (tb is None or tl < tb)
        reopened = tr is not None and (tq is None or tq - tr >= timedelta(hours=1))
        came_back = lost and (tb is not None or reopened)
        rows.append((key, ta, tb, tl, (tr or tb) if came_back else None))
    took = [(tb - ta).total_seconds() / 3600 for _, ta, tb, _, _ in rows if tb is not None]
    wait = timedelta(hours=nearest_quantile(took, 0.9) or 0.0)
    back = [(tr - tl).total_seconds() / 3600 for _, _, _, tl, tr in rows
            if tr is not None and tl is not None]
    wait_back = timedelta(hours=nearest_quantile(back, 0.9) or 0.0)
    out = []
    for key, ta, tb, tl, tr in rows:
        converted = tb is not None and (tl is None or tb < tl)
        lost = tl is not None and (tb is None or tl < tb)
        came_back = tr is not None
        settled = lost and (came_back or (tl is not None and tl + wait_back <= end))
        out.append(Judged(key, converted, lost, converted or lost or ta + wait <= end,
                          came_back, settled))
    return out
