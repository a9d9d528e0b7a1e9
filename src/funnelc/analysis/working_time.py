"""Wall-clock length of a span counted in working hours, averaged over entry times.

An `sla 14d` in an account with `hours mon-fri 09:00-18:00` runs 14·24 *working* hours,
which is about 7.5 calendar weeks, not two. The exact funnel maths needs the mean
wall-clock time such a span takes for a deal entering at a uniformly random moment of
the week (Poisson arrivals are uniform in time), so that occupancy L = λ·E[T] uses the
time deals really spend in the stage.

With F(s) the working hours in [0, s) and G(u) = min{s : F(s) ≥ u} its left inverse, a
deal entering at t leaves at G(F(t) + D), so

    E[wall] = (1/168) ∫₀¹⁶⁸ G(F(t) + D) dt − 84.

F rises with slope 1 over working intervals and is flat over gaps, and G rises with
slope 1 between the ends of working intervals and jumps over the gaps; both integrals are
sums over intervals, so the mean is exact (no sampling). Pure Python, cached per calendar.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

from .. import model as m

__all__ = ["WEEK_HOURS", "weekly_intervals", "working_hours_per_week", "mean_wallclock_hours",
           "WallclockLength", "wallclock_length"]

WEEK_HOURS = 168.0
_DAY_INDEX = {d: i for i, d in enumerate(m.WEEKDAYS)}

Intervals = tuple[tuple[float, float], ...]


def weekly_intervals(hours: m.Hours) -> Intervals:
    """Working intervals of the week in hours from Monday 00:00, merged and sorted.
    An entry ending at or before its start (e.g. 22:00-06:00) runs past midnight."""
    raw: list[tuple[float, float]] = []
    for entry in hours.entries:
        start_h = entry.start_minute / 60.0
        end_h = entry.end_minute / 60.0
        if end_h <= start_h:
            end_h += 24.0
        for day in entry.days:
            base = 24.0 * _DAY_INDEX[day]
            a, b = base + start_h, base + end_h
            if b <= WEEK_HOURS:
                raw.append((a, b))
            else:  # Sunday night into Monday morning wraps around the week.
                raw.append((a, WEEK_HOURS))
                raw.append((0.0, b - WEEK_HOURS))
    raw.sort()
    merged: list[tuple[float, float]] = []
    for a, b in raw:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def working_hours_per_week(hours: m.Hours) -> float:
    return sum(b - a for a, b in weekly_intervals(hours))


def mean_wallclock_hours(hours: m.Hours | None, working: float,
                         intervals: Intervals | None = None) -> float:
    """Mean calendar hours needed to accumulate `working` working hours, for an entry at a
    uniformly random time of the week. Without a calendar (24/7) that is `working` itself;
    a calendar with no working time at all never gets there (inf). `intervals`:
    `weekly_intervals(hours)` when the caller already has them (one per stage of a
    2 000-stage account was 4 000 calls for one calendar)."""
    if hours is None or working <= 0.0:
        return max(working, 0.0)
    return _mean_wallclock(intervals if intervals is not None else weekly_intervals(hours),
                           float(working))


@lru_cache(maxsize=4096)
def _mean_wallclock(intervals: Intervals, d: float) -> float:
    total = sum(b - a for a, b in intervals)
    if total <= 0.0:
        return math.inf
    if total >= WEEK_HOURS - 1e-12:
        return d
    # Cumulative working time at the start of each interval.
    cum: list[float] = []
    acc = 0.0
    for a, b in intervals:
        cum.append(acc)
        acc += b - a

    def integral_g(x: float, y: float) -> float:
        """∫ₓʸ G(u) du for 0 ≤ x ≤ y, using G(u + kH) = G(u) + 168k."""
        k = math.floor(x / total)
        x0, y0 = x - k * total, y - k * total
        result = WEEK_HOURS * k * (y - x)
        week = 0
        while x0 < y0:
            shift = week * total
            for (a, b), c in zip(intervals, cum):
                lo, hi = shift + c, shift + c + (b - a)  # working-time range of this interval
                s0, s1 = max(lo, x0), min(hi, y0)
                if s1 > s0:
                    # On this stretch G(u) = 168·week + a + (u − lo): slope 1.
                    base = WEEK_HOURS * week + a - lo
                    result += base * (s1 - s0) + (s1 * s1 - s0 * s0) / 2.0
            week += 1
            if shift + total >= y0:
                break
        return result

    def g(u: float) -> float:
        """G(u) for u > 0: the moment working time u is reached."""
        k = math.ceil(u / total) - 1
        r = u - k * total
        for (a, b), c in zip(intervals, cum):
            if r <= c + (b - a) + 1e-12:
                return WEEK_HOURS * k + a + (r - c)
        return WEEK_HOURS * k + intervals[-1][1]  # pragma: no cover - rounding guard

    acc_integral = 0.0
    prev_end = 0.0
    f_at = 0.0
    for (a, b), c in zip(intervals, cum):
        if a > prev_end:  # a gap: F is flat at c
            acc_integral += (a - prev_end) * g(c + d)
        acc_integral += integral_g(c + d, c + d + (b - a))
        prev_end = b
        f_at = c + (b - a)
    if prev_end < WEEK_HOURS:
        acc_integral += (WEEK_HOURS - prev_end) * g(f_at + d)
    return acc_integral / WEEK_HOURS - WEEK_HOURS / 2.0


class WallclockLength:
    """The distribution of the wall-clock length L of `working` working hours started at
    a uniformly random moment of the week: atoms (entries inside working time, where L
    does not change as the entry moves) plus uniform stretches (entries in a gap, where
    L shrinks one for one as the entry moves towards the next opening).

    With it, P(X > L) = Σ pᵢ·P(X > lᵢ) + Σ wⱼ·(E[min(X, bⱼ)] − E[min(X, aⱼ)])/(bⱼ − aⱼ)
    is exact for any X whose tail and truncated mean are known (`analysis.survival`).
    """

    def __init__(self, atoms: list[tuple[float, float]],
                 stretches: list[tuple[float, float, float]]) -> None:
        self.atoms = atoms
        """(length, probability)."""
        self.stretches = stretches
        """(shortest, longest, probability): L uniform on the range."""
        self._mean: float | None = None

    @property
    def mean(self) -> float:
        """E[L], computed once (a length is shared, through the cache of
        `wallclock_length`, by every stage with the same SLA: read-only)."""
        if self._mean is None:
            self._mean = (sum(v * p for v, p in self.atoms)
                          + sum((lo + hi) / 2.0 * p for lo, hi, p in self.stretches))
        return self._mean

    def prob_at_most(self, x: float) -> float:
        """P(L ≤ x)."""
        total = sum(p for v, p in self.atoms if v <= x)
        for lo, hi, p in self.stretches:
            if x >= hi:
                total += p
            elif x > lo:
                total += p * (x - lo) / (hi - lo)
        return total


def wallclock_length(hours: m.Hours | None, working: float,
                     intervals: Intervals | None = None) -> WallclockLength:
    """How long `working` working hours take on the clock, over entry times (see
    `WallclockLength`). Without a calendar the length is `working` exactly. `intervals`
    as in `mean_wallclock_hours`."""
    if hours is None or working <= 0.0:
        return WallclockLength([(max(working, 0.0), 1.0)], [])
    return _wallclock_length(intervals if intervals is not None else weekly_intervals(hours),
                             float(working))


@lru_cache(maxsize=4096)
def _wallclock_length(intervals: Intervals, working: float) -> WallclockLength:
    """Cached: an account has a handful of calendars and SLA lengths (treat as read-only)."""
    total = sum(b - a for a, b in intervals)
    if total >= WEEK_HOURS - 1e-12:
        return WallclockLength([(working, 1.0)], [])
    if total <= 0.0:
        return WallclockLength([(math.inf, 1.0)], [])
    cum: list[float] = []
    acc = 0.0
    for a, b in intervals:
        cum.append(acc)
        acc += b - a
    ends = [c + (b - a) for (a, b), c in zip(intervals, cum)]

    def g(u: float) -> float:
        k = math.ceil(u / total) - 1
        r = u - k * total
        for (a, b), c in zip(intervals, cum):
            if r <= c + (b - a) + 1e-12:
                return WEEK_HOURS * k + a + (r - c)
        return WEEK_HOURS * k + intervals[-1][1]  # pragma: no cover - rounding guard

    atoms: dict[float, float] = {}
    stretches: list[tuple[float, float, float]] = []
    prev_end = 0.0
    f_prev = 0.0
    pieces: list[tuple[float, float, float]] = []  # (start, end, F at start), working only
    gaps: list[tuple[float, float, float]] = []  # (start, end, F there)
    for (a, b), c in zip(intervals, cum):
        if a > prev_end:
            gaps.append((prev_end, a, c))
        pieces.append((a, b, c))
        prev_end, f_prev = b, c + (b - a)
    if prev_end < WEEK_HOURS:
        gaps.append((prev_end, WEEK_HOURS, f_prev))
    for a, b, c in pieces:
        # Inside working time L is constant except where F(t) + D passes the end of a
        # working interval (then G jumps over the gap): split there.
        lo_u, hi_u = c + working, c + working + (b - a)
        cuts = [a, b]
        k0 = math.floor(lo_u / total) - 1
        k1 = math.floor(hi_u / total) + 1
        for k in range(k0, k1 + 1):
            for e in ends:
                u = e + k * total
                if lo_u < u < hi_u:
                    cuts.append(a + (u - lo_u))
        cuts.sort()
        for t0, t1 in itertools.pairwise(cuts):
            if t1 - t0 <= 1e-12:
                continue
            mid = (t0 + t1) / 2.0
            value = round(g(c + (mid - a) + working) - mid, 9)
            atoms[value] = atoms.get(value, 0.0) + (t1 - t0) / WEEK_HOURS
    for a, b, c in gaps:
        # In a gap F is flat, so the deal leaves at the same moment G(c + D) whenever it
        # entered: L falls one for one from G − a to G − b.
        leave = g(c + working)
        stretches.append((leave - b, leave - a, (b - a) / WEEK_HOURS))
    return WallclockLength(sorted(atoms.items()), stretches)
