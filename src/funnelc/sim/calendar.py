"""Working calendars on the simulation clock.

The clock runs in hours from 00:00 of the start date. A calendar is a weekly pattern of
open intervals (`mon-fri 09:00-18:00, sat 10:00-14:00`) anchored to the weekday of that
date. Two questions are asked of it:

* "when do D working hours after t run out?" - SLA deadlines and respond limits, which
  count working hours when the account has a calendar;
* "when does the team open or close next?" - members pick deals up only while open.

Both are answered from a cumulative table of the week, so the cost does not depend on D
or on how far the clock has run. Changes are enumerated by (week, boundary index) rather
than by re-reading the clock, so floating-point rounding can never make a team open or
close twice at the same instant.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date

from .. import model as m

__all__ = ["WEEK", "WorkCalendar", "limits_in_working_hours"]

WEEK = 168.0
"""Hours in a week."""


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class WorkCalendar:
    """Weekly open hours on the simulation clock; `None` hours means open around the clock."""

    __slots__ = ("starts", "ends", "cum", "cum_end", "total", "offset", "_bounds", "base",
                 "always_open", "never_open")

    def __init__(self, week_intervals: list[tuple[float, float]], offset: float = 0.0) -> None:
        """`week_intervals` are (start, end) hours within a week that begins Monday 00:00;
        `offset` is how many hours after Monday 00:00 the simulation clock starts."""
        merged = _merge([(max(0.0, a), min(WEEK, b)) for a, b in week_intervals])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]
        self.cum: list[float] = []
        acc = 0.0
        for a, b in merged:
            self.cum.append(acc)
            acc += b - a
        self.cum_end = [c + (b - a) for c, (a, b) in zip(self.cum, merged)]
        self.total = acc
        # Plain attributes, not properties: `add` reads them for every SLA and respond
        # limit the simulator sets, hundreds of thousands of times a run.
        self.always_open: bool = acc >= WEEK
        self.never_open: bool = acc <= 0.0
        self.offset = offset
        bounds: list[tuple[float, bool]] = []
        for a, b in merged:
            bounds.append((a, True))
            bounds.append((b, False))
        # An interval ending at the week's end and one starting at its beginning are one
        # stretch of open time: the week boundary is not a change.
        if merged and merged[0][0] == 0.0 and merged[-1][1] == WEEK:
            bounds = bounds[1:-1]
        self._bounds = bounds
        self.base = self._f(offset)
        """`worked(0)`: the clock counts working hours from the start of the run."""

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_hours(cls, hours: m.Hours | None, start: date) -> WorkCalendar:
        """Calendar of a `hours …` statement (None: always open) for a run starting `start`."""
        if hours is None:
            return cls([(0.0, WEEK)], start.weekday() * 24.0)
        intervals: list[tuple[float, float]] = []
        for entry in hours.entries:
            a = entry.start_minute / 60.0
            b = entry.end_minute / 60.0
            for day in entry.days:
                base = m.WEEKDAYS.index(day) * 24.0
                # Hours ending before they start are an error the checker reports (FN2xx);
                # `_merge` drops such an empty interval.
                intervals.append((base + a, base + b))
        return cls(intervals, start.weekday() * 24.0)

    # ------------------------------------------------------------------ queries

    @property
    def open_fraction(self) -> float:
        """Share of the week that is working time."""
        return self.total / WEEK

    def _within(self, r: float) -> float:
        """Working hours in [0, r) of a week."""
        i = bisect_right(self.starts, r) - 1
        if i < 0:
            return 0.0
        return self.cum[i] + min(r, self.ends[i]) - self.starts[i]

    def _f(self, u: float) -> float:
        """Working hours from Monday 00:00 of week 0 to week-time u."""
        k = math.floor(u / WEEK)
        return k * self.total + self._within(u - k * WEEK)

    def clock(self, t: float) -> float:
        """Working hours elapsed between the start of the run and time t."""
        return self.worked(t) - self.base

    def hours_between(self, t0: float, t1: float) -> float:
        """Working hours in [t0, t1]."""
        return self.clock(t1) - self.clock(t0)

    def is_open(self, t: float) -> bool:
        u = t + self.offset
        r = u - math.floor(u / WEEK) * WEEK
        i = bisect_right(self.starts, r) - 1
        return i >= 0 and r < self.ends[i]

    def worked(self, t: float) -> float:
        """Working hours from Monday 00:00 of week 0 to time t: `clock(t)` plus `base`
        (`_f(t + offset)`, inlined). What `add_worked` counts from, so that the engine,
        which needs the clock, the SLA deadline and the respond limit of a deal entering
        a stage at t, reads the week's table once for all three."""
        u = t + self.offset
        k = math.floor(u / WEEK)
        r = u - k * WEEK
        i = bisect_right(self.starts, r) - 1
        return k * self.total + (0.0 if i < 0 else self.cum[i] + min(r, self.ends[i])
                                 - self.starts[i])

    def add(self, t: float, d: float) -> float:
        """The earliest time at which `d` working hours have elapsed since `t`.

        Counting starts at the next opening when `t` is outside working hours, so an SLA of
        1 h on a deal created at 23:00 runs out at 10:00 next morning (opening at 09:00).
        Returns inf when the calendar has no working time at all.
        """
        if d <= 0.0 or self.always_open or self.never_open:
            return self.add_worked(t, 0.0, d)  # `worked` is not read on these paths
        return self._reach(self.worked(t) + d)

    def add_worked(self, t: float, w: float, d: float) -> float:
        """`add(t, d)` for `w` = `worked(t)`, already read: the same number, bit for bit."""
        if d <= 0.0:
            return t
        if self.always_open:
            return t + d
        if self.never_open:
            return math.inf
        return self._reach(w + d)

    def _reach(self, target: float) -> float:
        """The earliest time at which `worked` reaches `target`."""
        total, starts, cum = self.total, self.starts, self.cum
        k = math.floor(target / total)
        rem = target - k * total
        if rem <= 0.0:  # lands exactly on the end of a week's last interval
            k -= 1
            rem = total
        j = bisect_left(self.cum_end, rem)
        if j >= len(starts):  # rounding at the very end of the week
            j = len(starts) - 1
        return k * WEEK + starts[j] + (rem - cum[j]) - self.offset

    def changes(self, t: float) -> Iterator[tuple[float, bool]]:
        """Every later open/close change after time t as (time, open after the change).

        Infinite for a calendar with both open and closed time; empty when it never changes.
        """
        if not self._bounds:
            return
        u = t + self.offset
        k = math.floor(u / WEEK)
        r = u - k * WEEK
        j = bisect_right([b for b, _ in self._bounds], r)
        n = len(self._bounds)
        while True:
            if j >= n:
                j = 0
                k += 1
            b, opens = self._bounds[j]
            yield k * WEEK + b - self.offset, opens
            j += 1


def limits_in_working_hours(account_hours: m.Hours | None) -> bool:
    """Do SLA and respond limits count working hours? They do on the account's calendar
    unless it is open around the clock (then a working hour is a clock hour): the engine
    asks the same question, and results say the answer so no output prints 200 working
    hours as 8.33 clock days."""
    return not WorkCalendar.from_hours(account_hours, date(2000, 1, 3)).always_open
