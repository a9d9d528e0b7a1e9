"""An approximate start for a respond target no closed form describes: a team that works
several stages by a calendar (saleschef's «Менеджеры», cottages'). Without it the search
starts from the smallest stable size and climbs, simulating sizes far below the answer;
with it, it starts beside the answer and only the sizes next to it are simulated. It is
only a start: the simulation decides, so a rough figure costs replications, never a
wrong answer.

The model, per respond target (stages S, limit t, share p), from `analyze`'s rates:

* the team's whole weekly work (busy × 168 member-hours) is done in its H open hours, an
  M/M/c over the open hours with offered load a = busy × 168 / H and the team's mean
  work; under `queue key-first`, S waits behind the stages served before it
  (non-preemptive priorities: E[W_S] = C(c, a) / (cμ) / ((1 − σ_before)(1 − σ_with))),
  and the wait is taken as exponential beyond P(W > 0) = C(c, a);
* the share of S's entries that arrive while the team is open, from what feeds S: a
  source around the clock, or a stage (moving or copying deals) of a team with hours
  (its deals move on while that team works);
* deals arriving while the team is open but the backlog of its closed hours still
  drains (B / (cμ − λ_open) hours after each opening, as a fluid, λ_open the deals that
  arrive while it is open) wait for it;
* deals arriving while the team is closed: with respond clocks around the clock they
  breach (they wait for the opening); with clocks in working hours they start at the
  opening as one backlog, and those picked within t of it (c at once, then cμ an hour,
  after the backlog served before them) meet the limit.

The start is the smallest size from the stable one whose predicted share meets p.
"""

from __future__ import annotations

import math
from datetime import date

from .. import model as m
from ..analysis.exact import AccountExact
from ..sim.calendar import WorkCalendar
from ..sim.compile import Network
from ..sim.stats import WEEK_QUARTERS
from .staffing_exact import StartReason
from .targets import Target

__all__ = ["calendar_respond_start"]

_MONDAY = date(2024, 1, 1)


def _mask(hours: m.Hours | None) -> list[bool]:
    """Open (True) per quarter hour of a week starting on Monday 00:00."""
    cal = WorkCalendar.from_hours(hours, _MONDAY)
    if hours is None or cal.always_open:
        return [True] * WEEK_QUARTERS
    return [cal.is_open(q / 4.0 + 0.125) for q in range(WEEK_QUARTERS)]


def _open_share(net: Network, acct: AccountExact, stages: tuple[int, ...],
                open_q: list[bool]) -> float:
    """The share of the entries into `stages` made while the team is open."""
    everywhere = [True] * WEEK_QUARTERS
    flows: list[tuple[float, list[bool]]] = []
    for src in net.sources:
        if src.stage in stages:
            flows.append((src.per_hour, everywhere))
    for sp in net.stages:
        feeds = [r for r in sp.routes
                 if (r.kind == "stage" and r.stage in stages) or r.copy_to in stages]
        if not feeds:
            continue
        lam = acct.stage(sp.pipeline_name, sp.name).arrivals_per_hour
        if not math.isfinite(lam) or lam <= 0:
            continue
        worked = _mask(net.teams[sp.team].hours) if sp.team >= 0 else everywhere
        for r in feeds:
            flows.append((lam * r.share, worked if r.after is None else everywhere))
    total = math.fsum(f for f, _ in flows)
    if total <= 0:
        return sum(open_q) / WEEK_QUARTERS
    share = 0.0
    for f, feeder in flows:
        busy = sum(feeder)
        share += f * (sum(a and b for a, b in zip(feeder, open_q)) / busy if busy else 0.0)
    return share / total


def calendar_respond_start(net: Network, acct: AccountExact, team: str, t: Target,
                           stable: int, limit: int = 500) -> tuple[int, StartReason] | None:
    """The approximate smallest size meeting respond target `t` (see the module's
    docstring) and how it was found, or None when the figures do not allow one (no open
    hours, no work, or no size can meet it by this model)."""
    from ..analysis import queueing as q

    tx = acct.team(team)
    index = next((s.index for s in net.teams if s.name == team), -1)
    if index < 0 or t.hours is None or not t.stages:
        return None
    open_q = _mask(net.teams[index].hours)
    open_hours = sum(open_q) / 4.0
    if open_hours <= 0:
        return None
    rate: dict[int, tuple[float, float]] = {}
    for sp in net.stages:
        if sp.team == index:
            sx = acct.stage(sp.pipeline_name, sp.name)
            rate[sp.index] = (sx.arrivals_per_hour, sx.arrivals_per_hour * sx.work_mean_hours)
    lam_all = math.fsum(lam for lam, _ in rate.values())
    busy = math.fsum(b for _, b in rate.values())
    if not (lam_all > 0 and busy > 0 and math.isfinite(busy)) or tx.busy_mean <= 0:
        return None
    mu = lam_all / busy
    stretch = 168.0 / open_hours  # a week's work done in the open hours
    a = busy * stretch
    first = min(net.stages[i].queue_rank for i in t.stages) if net.key_first else 0
    before = math.fsum(b for i, (_, b) in rate.items()
                       if net.key_first and net.stages[i].queue_rank < first) * stretch
    own = math.fsum(rate[i][1] for i in t.stages if i in rate) * stretch
    lam_before = math.fsum(lam for i, (lam, _) in rate.items()
                           if net.key_first and net.stages[i].queue_rank < first)
    lam_own = math.fsum(rate[i][0] for i in t.stages if i in rate)
    inside = _open_share(net, acct, t.stages, open_q)
    clocks_in_hours = net.account_hours is not None
    openings = sum(1 for k in range(WEEK_QUARTERS) if open_q[k] and not open_q[k - 1])
    closed = 168.0 - open_hours
    # The deals that entered while the team was closed and are served no later than S's:
    # the backlog every opening starts with.
    ahead = [i for i in rate
             if not net.key_first or net.stages[i].queue_rank <= first]
    backlog = 0.0
    busy_in = 0.0  # members' worth of work arriving while open (the backlog's excluded)
    for i in rate:
        share = _open_share(net, acct, (i,), open_q)
        busy_in += rate[i][1] * share * stretch
        if i in ahead:
            backlog += rate[i][0] * (1.0 - share) * 168.0 / max(openings, 1)
    period = open_hours / max(openings, 1)
    for c in range(max(1, stable), limit + 1):
        if a >= c:
            continue
        erlang = q.erlang_c(c, a)
        s_before, s_with = before / c, (before + own) / c
        if s_with >= 1.0:
            continue
        wait = erlang / (c * mu) / ((1.0 - s_before) * (1.0 - s_with))
        met_in = 1.0 - (erlang * math.exp(-t.hours * erlang / wait) if wait > 0 else 0.0)
        # Deals arriving while the opening backlog drains wait for it (as a fluid).
        drain = backlog / ((c - busy_in) * mu) if c > busy_in else math.inf
        met_in *= 1.0 - min(1.0, max(0.0, drain - t.hours) / period)
        met_out = 0.0
        if clocks_in_hours and openings:
            backlog_before = lam_before * closed / openings
            backlog_own = lam_own * (1.0 - inside) * 168.0 / openings
            picked = c * (1.0 + mu * t.hours) - backlog_before
            met_out = min(1.0, max(0.0, picked / backlog_own)) if backlog_own > 0 else 1.0
        met = inside * met_in + (1.0 - inside) * met_out
        if met >= t.threshold:
            return c, StartReason("calendar", t.text.strip(), c, model="M/M/c", load=a,
                                  open_hours=open_hours, inside=inside,
                                  clocks_in_hours=clocks_in_hours)
    return None
