"""Respond and abandon targets no team size can meet, found before anything is simulated
(`abandon_bound` says how the abandon bound is counted, `cadence_bound` how a cadence
whose first worked touch is due after the respond limit bounds it; the rest of this note
is the respond bound's by the team's hours).

A member picks a deal up only while the team is open, so a deal entering a stage while
the team is closed waits at least until the next opening, whatever the size. When the
respond limit runs out before that opening (respond clocks around the clock while the
team keeps hours, or the account's working hours starting before the team's), the deal
breaches at every size. With an infinite team the others are all picked up in time, so
the share of the deals that do not arrive so is the most a respond target can reach.
Beyond it the search used to simulate every size up to `--max-size` at the replication
cap before it said that none meets.

The bound is an upper bound of what the simulator measures, by its own counting rules
(`sim.engine`: a check is counted once per visit, a breach when its limit ran out in
the observed window, a visit leaving before its limit is no breach):

* only visits whose arrival times are known count: the target's stages are entered only
  from sources (no route, copy, SLA or patience route, reopening or warm start leads
  there), each stage is worked by the team without a cadence, has no `patience` (a deal
  that gives up before its limit counts as answered) and no SLA at or under the limit
  (it would take the deal out first); otherwise there is no bound (None), and the
  search runs as before;
* breached at every size (U): the arrivals while the team is closed whose limit
  (`WorkCalendar.add` on the account's calendar, or the clock) runs out in the observed
  window (at or after the warm-up), before the next opening and before the horizon;
* counted at most (N): every arrival from the first whose limit can end in the window
  (earlier ones are decided in the warm-up) to the horizon, less those of a closed
  stretch lasting to the horizon whose limit runs out at the horizon or later (never
  picked up, nor breached in the window).

Sources are Poisson with a rate set per calendar month, so U and N are integrals of
that rate, and every arrival of N's span is one of U's with probability q = U / N,
independently. A replication's share is then at most 1 − (its U's) / (its N's), whose
mean is 1 − q and whose spread is that of a binomial share; the target is refused only
when 1 − q plus five of those standard deviations (of one replication: a mean over
several is tighter) stays below it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .. import model as m
from ..analysis.survival import survival, truncated_mean
from ..sim.calendar import WorkCalendar
from ..sim.compile import CadenceSpec, Network, SourceSpec
from ..sim.config import SimConfig
from .staff_explain import FirstTouch
from .targets import Target

__all__ = ["Unreachable", "unreachable", "respond_bound", "cadence_bound", "abandon_bound",
           "SPREAD_Z"]

SPREAD_Z = 5.0
"""Standard deviations of one replication's share above the expected bound that the
target must still lie beyond to be refused (a chance of about 3 in 10 million that a
replication's share reaches it)."""


@dataclass(frozen=True)
class Unreachable:
    """A respond target no size meets (data; `staff_why.unreachable_text` says it)."""

    target: str
    """As typed."""
    kind: Literal["respond", "abandon"]
    team: str
    stages: tuple[str, ...]
    """`P.S` of the target's stages."""
    limit_hours: float | None
    """respond: the limit; abandon: None."""
    threshold: float
    bound: float
    """respond: the most the share picked up in time can be (expected), 1 − `out`;
    abandon: the least the share giving up can be (expected), `out`."""
    out: float
    """respond: share of the counted deals that arrive while the team is closed, more
    than the limit before it opens; abandon: share of the deals entering that give up
    before the team opens."""
    deals: float
    """Deals one replication counts at most (expected)."""
    hours: str
    """The team's hours (`mon-fri 09:00-18:00`); "" when they play no part (`cadence`)."""
    account_hours: str | None
    """The account's hours when respond limits count them, else None (clock hours)."""
    first_touch: FirstTouch | None = None
    """respond, set when the deals that breach at every size are held by a cadence whose
    first worked touch is due after the limit (`cadence_bound`): that touch (None when the
    stages' touches differ), and `out` is their share."""
    cadence: bool = False
    """The bound is the cadence's (`cadence_bound`), not the team's hours'."""


def _month_segments(start: date, horizon: float) -> list[tuple[float, float, int]]:
    """(from, to, month 1-12) of the calendar months the run spans, in clock hours."""
    out: list[tuple[float, float, int]] = []
    y, mo, t = start.year, start.month, 0.0
    while t < horizon:
        ny, nmo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        end = (date(ny, nmo, 1) - start).days * 24.0
        out.append((t, min(end, horizon), mo))
        y, mo, t = ny, nmo, end
    return out


def _arrivals(sources: list[SourceSpec], months: list[tuple[float, float, int]],
              a: float, b: float) -> float:
    """Expected arrivals from `sources` in [a, b) (rates per calendar month)."""
    if b <= a:
        return 0.0
    total = 0.0
    for lo, hi, mo in months:
        span = min(hi, b) - max(lo, a)
        if span > 0:
            total += span * math.fsum(s.per_hour * s.profile[mo - 1] for s in sources)
    return total


def _closed(cal: WorkCalendar, horizon: float) -> list[tuple[float, float]]:
    """The team's closed stretches [a, b) that start before the horizon, b its next
    opening (which may lie past the horizon)."""
    if cal.never_open:
        return [(0.0, math.inf)]
    out: list[tuple[float, float]] = []
    a: float | None = None if cal.is_open(0.0) else 0.0
    for when, opens in cal.changes(0.0):
        if opens:
            if a is not None:
                out.append((a, when))
                a = None
            if when >= horizon:
                break
        elif when >= horizon:
            break
        else:
            a = when
    return out


def _fed_only_by_sources(net: Network, stage: int) -> bool:
    for sp in net.stages:
        for r in (*sp.routes, sp.sla_route, sp.patience_route):
            if r is not None and (r.stage == stage or r.copy_to == stage):
                return False
    return not any(ro.stage == stage for p in net.pipelines
                   for specs in p.reopens.values() for ro in specs)


def unreachable(net: Network, team: str, target: Target, config: SimConfig
                ) -> Unreachable | None:
    """`target` when no size of `team` can meet it by the bounds above, else None (it
    may be reachable, or no bound applies). `net` carries a respond target's limit as
    its stages' `respond` (`with_respond_limits`)."""
    if target.kind == "abandon":
        u = abandon_bound(net, team, target, config)
        if u is None:
            return None
        spread = math.sqrt(u.out * (1.0 - u.out) / u.deals)
        return u if u.bound - SPREAD_Z * spread > target.threshold + 1e-12 else None
    u = respond_bound(net, team, target, config) or cadence_bound(net, team, target, config)
    if u is None:
        return None
    spread = math.sqrt(u.out * (1.0 - u.out) / u.deals)
    return u if u.bound + SPREAD_Z * spread < target.threshold - 1e-12 else None


def respond_bound(net: Network, team: str, target: Target, config: SimConfig
                  ) -> Unreachable | None:
    """The most respond target `target` can reach at any size of `team` (its
    `Unreachable` data, whatever its threshold), or None where no bound applies."""
    if target.kind != "respond" or not target.stages or config.open_deals:
        return None
    if any(net.stages[i].cadence is not None for i in target.stages):
        return None  # `cadence_bound`
    index = next((t.index for t in net.teams if t.name == team), -1)
    if index < 0 or net.teams[index].hours is None:
        return None
    hours = net.teams[index].hours
    assert hours is not None
    start = config.start
    team_cal = WorkCalendar.from_hours(hours, start)
    if team_cal.always_open:
        return None
    clock = WorkCalendar.from_hours(net.account_hours, start)
    horizon, t0 = config.horizon_hours, config.warmup_hours
    months = _month_segments(start, horizon)
    closed = _closed(team_cal, horizon)
    out = counted = 0.0
    limits = set()
    for i in target.stages:
        sp = net.stages[i]
        limit = sp.respond_hours
        if (limit is None or sp.team != index or sp.cadence is not None
                or sp.patience is not None or (sp.sla_hours is not None and sp.sla_hours <= limit)
                or not _fed_only_by_sources(net, i)):
            return None
        limits.add(limit)
        feeds = [s for s in net.sources if s.stage == i]

        def due(t: float, limit: float = limit) -> float:
            return t + limit if clock.always_open else clock.add(t, limit)

        # The arrivals whose limit runs out in the window start at some t* (those before
        # are decided in the warm-up): N counts from below it, U from above it.
        if clock.always_open:
            first = last = t0 - limit
        else:
            first = _due_bracket(due, t0, 0.0)[0]
            last = _due_bracket(due, t0, first)[1]
        counted += _arrivals(feeds, months, max(0.0, first), horizon)
        for a, b in closed:
            end = min(b, horizon)
            if b >= horizon:
                # Closed until the run ends: the arrivals whose limit runs out at the
                # horizon or later are never picked up, nor breached in the window, so
                # they are not counted at all.
                never = _due_bracket(due, horizon, a)[1]
                counted -= _arrivals(feeds, months, max(a, first, never, 0.0), horizon)
            if due(a) >= end:
                continue
            # The arrivals of [a, tau) have their limit run out before the opening (or
            # the horizon): breached at every size.
            tau = end - limit if clock.always_open else _due_bracket(due, end, a)[0]
            out += _arrivals(feeds, months, max(a, last), tau)
    if counted <= 0 or len(limits) != 1:
        return None
    q = min(1.0, out / counted)
    from .staff_explain import hours_spec

    return Unreachable(
        target.text.strip(), "respond", team,
        tuple(f"{net.stages[i].pipeline_name}.{net.stages[i].name}" for i in target.stages),
        limits.pop(), target.threshold, 1.0 - q, q, counted, hours_spec(hours),
        None if clock.always_open or net.account_hours is None
        else hours_spec(net.account_hours))


def abandon_bound(net: Network, team: str, target: Target, config: SimConfig
                  ) -> Unreachable | None:
    """The least share of deals giving up waiting that abandon target `target` can see
    at any size of `team` (its `Unreachable` data, whatever its threshold), or None
    where no bound applies (as for respond: the target's stages entered only from
    sources, worked by the team without a cadence; no warm start).

    A deal entering at t while the team is closed waits at least until the opening b
    (or the horizon H, or its SLA's length S: no longer than that can it be kept in
    the queue by every size), so it gives up, in the window, when its patience p is
    shorter: with e = min(b, H), P(p < min(e − t, S)). Over the arrivals from the
    warm-up's end that is, for t up to e − S, P(p < S), and after it the integral of
    P(p ≤ x) over x = e − t, which is the span less ∫ P(p > x) dx, the difference of
    E[min(p, x)] at its ends (`analysis.survival.truncated_mean`, the simulator's
    parameters). The deals counted (`entered`) are the arrivals of the window."""
    if target.kind != "abandon" or not target.stages or config.open_deals:
        return None
    index = next((t.index for t in net.teams if t.name == team), -1)
    if index < 0 or net.teams[index].hours is None:
        return None
    hours = net.teams[index].hours
    assert hours is not None
    team_cal = WorkCalendar.from_hours(hours, config.start)
    if team_cal.always_open:
        return None
    horizon, t0 = config.horizon_hours, config.warmup_hours
    months = _month_segments(config.start, horizon)
    closed = _closed(team_cal, horizon)
    entered = lost = 0.0
    for i in target.stages:
        sp = net.stages[i]
        if (sp.team != index or sp.cadence is not None or sp.patience is None
                or not _fed_only_by_sources(net, i)):
            return None
        patience = sp.patience
        feeds = [s for s in net.sources if s.stage == i]
        cap = sp.sla_hours if sp.sla_hours is not None else math.inf
        entered += _arrivals(feeds, months, t0, horizon)
        for a, b in closed:
            e, lo = min(b, horizon), max(a, t0)
            if e <= lo:
                continue
            split = min(max(e - cap, lo), e)
            if split > lo:
                # Kept waiting the whole SLA: gives up if its patience is shorter (a tie
                # with the SLA counted as no abandonment).
                lost += _arrivals(feeds, months, lo, split) * (
                    1.0 - survival(patience, cap - 1e-9))
            lost += _gives_up(feeds, months, patience, split, e)
    if entered <= 0:
        return None
    r = min(1.0, lost / entered)
    from .staff_explain import hours_spec

    return Unreachable(
        target.text.strip(), "abandon", team,
        tuple(f"{net.stages[i].pipeline_name}.{net.stages[i].name}" for i in target.stages),
        None, target.threshold, r, r, entered, hours_spec(hours), None)


def _gives_up(sources: list[SourceSpec], months: list[tuple[float, float, int]],
              patience: m.Dist, lo: float, e: float) -> float:
    """Expected arrivals in [lo, e) whose patience is shorter than the time left to e:
    per month's rate, the integral over x = e − t of P(p ≤ x)."""
    total = 0.0
    for start, end, mo in months:
        p, q = max(start, lo), min(end, e)
        if q <= p:
            continue
        rate = math.fsum(s.per_hour * s.profile[mo - 1] for s in sources)
        x1, x2 = e - q, e - p
        total += rate * max(0.0, (x2 - x1) - (truncated_mean(patience, x2)
                                              - truncated_mean(patience, x1)))
    return total


def _due_bracket(due: Callable[[float], float], end: float, lo: float
                 ) -> tuple[float, float]:
    """(a, b) around the first arrival time from `lo` whose limit runs out at `end` or
    later, `due` never decreasing, found by bisection to float precision: every arrival
    from `lo` to `a` has its limit run out before `end` (a lower end), every one from `b`
    on at `end` or later (an upper end). `(lo, lo)` when even `lo`'s limit does not run
    out before `end`."""
    hi = end
    if due(lo) >= end:
        return lo, lo
    for _ in range(64):
        mid = (lo + hi) / 2.0
        if mid <= lo or mid >= hi:
            break
        if due(mid) < end:
            lo = mid
        else:
            hi = mid
    return lo, hi


def cadence_bound(net: Network, team: str, target: Target, config: SimConfig
                  ) -> Unreachable | None:
    """The most respond target `target` can reach at any size of `team` when a cadence
    stage's first worked touch is due after the limit (its `Unreachable` data, whatever
    its threshold), or None where no such bound applies.

    In a cadence stage a member picks a deal up by starting a touch that has `work`; the
    touches before it take no member's time. A deal entering at t has its limit run out
    at due(t): t + L around the clock, or L of the account's working hours later
    (`WorkCalendar.add`, as the engine sets `resp_by`), ℓ(t) = due(t) − t clock hours
    after entry, while its touches are due at plain offsets after entry. A deal whose
    first worked touch is due later than ℓ(t) and that has not replied to a touch due by
    then (nor run out of touches: the last one is due after it) is in the stage, never
    picked up, when its limit runs out: a breach at every size, counted when due(t)
    falls in the window [t0, H). With the touches' reply chances p_j (due by ℓ(t)) that
    is Π(1 − p_j) of those arrivals (U). A deal replying before its limit may still
    breach (a `stay` or an `after` on the reply route keeps it past it); those are left
    out of U, so U is too small rather than too large.

    The deals counted (N) are decided between entry and limit, so they entered from the
    first arrival whose limit can run out at t0 or later up to H, less two kinds that are
    surely not decided in the window: an arrival before t0 replying, before t0 and its
    limit, to a touch no member works (due before any worked touch): answered in time in
    the warm-up; and one whose limit runs out at H or later, that has not replied to the
    touches due by H, while its first worked touch and its last touch are due after H:
    undecided when the run ends. Everything else counts, so N is too large rather than
    too small, and 1 − U/N is an upper bound of the share in time, as `respond_bound`'s
    is, with its spread (`_cadence_counts` integrates both). The target's stages must be
    entered only from sources, with one limit; a cadence stage holding such deals has no
    SLA at or under the limit (the SLA counts on the same clock, so it would move them
    out first). Team hours only add breaches, so they are left out (the bound stays an
    upper one)."""
    if target.kind != "respond" or not target.stages or config.open_deals:
        return None
    index = next((t.index for t in net.teams if t.name == team), -1)
    clock = WorkCalendar.from_hours(net.account_hours, config.start)
    if index < 0 or clock.never_open:
        return None
    horizon, t0 = config.horizon_hours, config.warmup_hours
    months = _month_segments(config.start, horizon)
    # A worked touch due from here on waits for a member past the horizon: the team is
    # closed from then until the run ends.
    team_cal = WorkCalendar.from_hours(net.teams[index].hours, config.start)
    closed = _closed(team_cal, horizon)
    pickup_by = closed[-1][0] if closed and closed[-1][1] >= horizon else horizon
    out = counted = 0.0
    limits = set()
    touches: set[FirstTouch] = set()
    for i in target.stages:
        sp = net.stages[i]
        limit = sp.respond_hours
        if limit is None or sp.team != index or not _fed_only_by_sources(net, i):
            return None
        limits.add(limit)
        feeds = [s for s in net.sources if s.stage == i]

        def due(t: float, limit: float = limit) -> float:
            return t + limit if clock.always_open else clock.add(t, limit)

        # The arrivals whose limit runs out in the window: from `last` (every one from
        # there on at t0 or later) to `end` (every one before it before H); N from
        # `first` (every one before it before t0).
        if clock.always_open:
            first = last = t0 - limit
            end = horizon - limit
        else:
            first, last = _due_bracket(due, t0, 0.0)
            end = _due_bracket(due, horizon, max(0.0, last))[0]
        lo = max(0.0, first)
        cad = sp.cadence
        if cad is None or (sp.sla_hours is not None and sp.sla_hours <= limit):
            counted += _arrivals(feeds, months, lo, horizon)
            continue
        held, missed, first_touch = _cadence_counts(
            feeds, months, cad, clock, due, (lo, horizon), (max(0.0, last), end), t0,
            pickup_by)
        counted += _arrivals(feeds, months, lo, horizon) - missed
        if held > 0 and first_touch is not None:
            out += held
            touches.add(first_touch)
    if counted <= 0 or len(limits) != 1 or out <= 0:
        return None
    q = min(1.0, out / counted)
    from .staff_explain import hours_spec

    return Unreachable(
        target.text.strip(), "respond", team,
        tuple(f"{net.stages[i].pipeline_name}.{net.stages[i].name}" for i in target.stages),
        limits.pop(), target.threshold, 1.0 - q, q, counted, "",
        None if clock.always_open or net.account_hours is None
        else hours_spec(net.account_hours),
        touches.pop() if len(touches) == 1 else None, True)


_TIE = 1e-9
"""Hours within which two instants are taken as possibly either way round (a touch due
at the limit, or at the horizon), always in the direction that keeps the bound high."""


def _cadence_counts(sources: list[SourceSpec], months: list[tuple[float, float, int]],
                    cad: CadenceSpec, clock: WorkCalendar, due: Callable[[float], float],
                    span: tuple[float, float], decided: tuple[float, float], t0: float,
                    pickup_by: float) -> tuple[float, float, FirstTouch | None]:
    """(arrivals of `decided` that `cad` holds past their limit, arrivals of `span`
    surely not counted in the window, the held deals' first worked touch) in expectation,
    as `cadence_bound` says; `decided` is where the limit runs out in the window.

    What befalls an arrival at t depends on ℓ(t) = due(t) − t and on where its touches
    fall against t0 and H, so the span is cut where any of them changes and each piece
    read at its middle: at the calendar's changes (while closed, every arrival has its
    limit run out at the same moment, so ℓ falls one for one as t moves on; while open ℓ
    stays), at the arrivals whose limit reaches a change (there due jumps over the closed
    stretch; `_due_bracket` on the engine's `add`), where a closed piece's ℓ passes a
    touch's offset, and where a touch's due time passes t0 or H. Around the clock ℓ is the
    limit itself."""
    lo, hi = span
    if hi <= lo:
        return 0.0, 0.0, None
    horizon = hi
    cuts = {lo, hi, *decided}
    for o in cad.offsets:
        cuts.update((t0 - o - _TIE, horizon - o + _TIE, pickup_by - o + _TIE))
    if not clock.always_open:
        for when, _opens in clock.changes(lo):
            if when >= hi:
                break
            cuts.add(when)
        top = due(hi)
        for when, _opens in clock.changes(due(lo)):
            if when >= top:
                break
            cuts.update(_due_bracket(due, when, lo))
    points = sorted(c for c in cuts if lo <= c <= hi)
    pieces: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(points):
        if b <= a:
            continue
        inner = [a, b]
        mid = (a + b) / 2.0
        if not clock.always_open and not clock.is_open(mid):
            d = due(mid)
            inner += [x for o in cad.offsets for x in (d - o - _TIE, d - o + _TIE)
                      if a < x < b]
        inner.sort()
        pieces += [(x, y) for x, y in itertools.pairwise(inner) if y > x]
    held = missed = 0.0
    first: FirstTouch | None = None
    k = next((j for j, w in enumerate(cad.work) if w is not None), len(cad.offsets))
    for a, b in pieces:
        t = (a + b) / 2.0
        d = due(t)
        share = 0.0
        if decided[0] <= t < decided[1]:
            h = _held(cad, d - t)
            if h is not None:
                share, first = h[0], h[1]
        gone = 0.0
        if t < t0:
            # Answered in time in the warm-up: replied to a touch no member works, due
            # before t0 and before the limit.
            stay = 1.0
            for off, p in zip(cad.offsets[:k], cad.reply[:k]):
                if t + off >= min(t0, d) - _TIE:
                    break
                stay *= 1.0 - p
            gone += 1.0 - stay
        if d >= horizon and (t + cad.offsets[k] > pickup_by + _TIE if k < len(cad.offsets)
                             else t + cad.offsets[-1] > horizon + _TIE):
            # Undecided at the horizon: no member picks it up before then, and it has not
            # replied to the touches before the first worked one due by then.
            waiting = 1.0
            for off, p in zip(cad.offsets[:k], cad.reply[:k]):
                if t + off <= horizon + _TIE:
                    waiting *= 1.0 - p
            gone += waiting
        if share > 0.0 or gone > 0.0:
            n = _arrivals(sources, months, a, b)
            held += share * n
            missed += gone * n
    return held, missed, first


def _held(cad: CadenceSpec | None, limit: float) -> tuple[float, FirstTouch] | None:
    """(share of the entries still in the stage, never picked up, when their limit runs
    out `limit` clock hours after entry; the first worked touch) for a cadence whose first
    worked touch is due after that, else None."""
    if cad is None or not cad.offsets:
        return None
    k = next((k for k, w in enumerate(cad.work) if w is not None), None)
    if k is not None and cad.offsets[k] <= limit + 1e-9:
        return None  # picked up in time by a large enough team
    # A touch due at the limit itself is counted as before it (a reply then may be
    # decided a rounding error before the limit), so U only ever errs low.
    if cad.offsets[-1] <= limit + 1e-9:
        return None  # out of touches (and gone) by the limit
    share = 1.0
    for off, p in zip(cad.offsets, cad.reply):
        if off <= limit + 1e-9:
            share *= 1.0 - p
    first = FirstTouch(None, 0.0) if k is None else FirstTouch(cad.channels[k], cad.offsets[k])
    return share, first
