"""Exact funnel maths per stage, team and pipeline: what `funnelc analyze` prints and the
report shows beside the simulation.

Every number here is exact under assumptions stated with it, and where an assumption
fails the result says which one (an `Applicability` with a reason) instead of printing a
closed-form number that does not describe the stage:

* flows and win probabilities: the absorbing chain and traffic equations of
  `analysis.markov`, exact for any time distributions, with the declared shares;
* queue waits: Erlang C (M/M/c), M/M/c+D when the stage has an SLA, Erlang A (M/M/c+M)
  with an exponential `patience`, M/M/c+G with any other patience (the M/M/n+G formula,
  by quadrature) — only for a stage whose owner team serves that stage alone, with
  exponential work, around the clock, and a stable pool (an SLA or patience makes it
  stable at any load). An SLA ends nothing a member works: as in the simulator, the
  member finishes and the deal then leaves by the SLA (so a deal's time is its wait
  and work when they outlast the SLA); `work` without an owner is nobody's time, a
  plain delay the SLA ends at once, like an `after`;
* stages without a queue: M/G/∞, so occupancy is Poisson with mean L = λ·E[T].

Pure Python; the queueing formulas come from `analysis.queueing`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, Literal

from .. import model as m
from ..gcpause import gc_paused
from ..i18n import N_
from ..i18n.note import Note, WorkingLimit, _n
from ..jsontypes import JSON, JSONObject
from ..routing import Flows, Route, StageFlow, StageKey, patience_route
from . import queueing as q
from .markov import HOURS_PER_MONTH, AccountChain, account_chain
from .money import (
    ExactMoney,
    GaveUp,
    MoneyFigures,
    SourceFlow,
    TeamMoneyExact,
    cost_rates,
    has_money,
    period_money,
    prices_cost,
    sources_per_month,
    sum_figures,
)
from .money import revenue_assumption as money_rule
from .overtime import Work, capacity_factor
from .survival import integrated_truncated_mean, survival, truncated_mean
from .working_time import (
    WEEK_HOURS,
    WallclockLength,
    mean_wallclock_hours,
    wallclock_length,
    weekly_intervals,
    working_hours_per_week,
)

__all__ = [
    "Applicability", "QueueExact", "StageExact", "TeamExact", "PipelineExact",
    "SourceRevenue", "AccountExact", "analyze_account", "mmcd_wait_tail", "cadence_work_mean",
    "cadence_time_mean", "prob_exceeds", "mmcd_served_tail",
]

ASSUMPTIONS: tuple[str, ...] = (
    N_("deals arrive as Poisson streams at each source's mean rate for the month analysed "
       "(month = 730 h), and every figure is the steady state at that rate"),
    N_("win, loss and visit figures follow the declared shares (reopens included); deals an "
       "SLA takes before their outcome (timeouts in the queue, `after` delays running past "
       "it) are shown per stage as the SLA cut, not fed back into the routing"),
    N_("`then copy` creates a new deal: it adds traffic to the target pipeline but does not "
       "change the original deal's win probability"),
    N_("queue waits use Erlang C (M/M/c), M/M/c+D when the stage has an SLA, Erlang A "
       "(M/M/c+M) with exponential `patience`, M/M/c+G with any other patience, only where a "
       "team serves that one stage with exponential work around the clock (Jackson network: "
       "each such stage behaves as its own M/M/c at its total arrival rate)"),
    N_("an SLA that runs out while a member works a deal lets the work finish, then moves the "
       "deal (as the simulator does); work without an owner team is nobody's time, a delay the "
       "SLA ends at once; patience only ends a wait, never work"),
    N_("stages without a queue are M/G/∞: the number of deals there is Poisson with mean "
       "λ·E[time in stage], for any time distribution"),
    N_("a cadence keeps a deal until the touch that gets the reply (at that touch's offset) "
       "or, with no reply, until its last touch"),
    N_("an SLA counts working hours when the account has a calendar; its mean wall-clock length "
       "is averaged over entry times spread evenly over the week"),
)


# ----------------------------------------------------------------------- result types


@dataclass(frozen=True)
class Applicability:
    """Whether a closed form describes the stage; `reason` says why not."""

    applies: bool
    reason: str | None = None


@dataclass
class QueueExact:
    """Closed-form queue at a stage served by its own team."""

    model: Literal["M/M/c", "M/M/c+D", "M/M/c+M", "M/M/c+G"]
    servers: int
    service_rate_per_hour: float
    arrivals_per_hour: float
    p_wait: float
    """Share of deals that find every member busy."""
    wait_mean_hours: float
    """Mean wait for a member, over all deals (timed-out ones count their wait to the SLA)."""
    wait_served_mean_hours: float
    """Mean wait of the deals a member picks up (what the simulator reports as queue wait)."""
    respond_breach: float | None
    """Share of deals not picked up within `respond` (timed-out deals included)."""
    timeout_share: float | None
    """With an SLA: share of deals the SLA takes before anyone picks them up."""
    abandon_share: float | None = None
    """With `patience`: share of deals that give up waiting (leave by the patience
    route)."""
    method: str = "closed form"
    """How the figures were computed: `closed form`, or the quadrature of the M/M/n+G
    formula (exact for the model to ~1e-12, not an approximation of it)."""


@dataclass
class StageExact:
    pipeline: str
    stage: str
    key: bool
    owner: str | None
    visits_per_lead: float
    arrivals_per_hour: float
    p_win: float
    p_lost: dict[str, float]
    p_stuck: float
    p_loop: float
    stuck_share: float
    """Share of this stage's entries that never leave it."""
    stuck_per_hour: float
    work_mean_hours: float
    """Expected member time per visit (a cadence: the touches expected to happen)."""
    mean_time_hours: float | None
    """Mean time in stage of the deals that leave it; None where the queue wait is unknown."""
    mean_time_lower_hours: float | None
    """When the queue wait is unknown: the mean time without it (a lower bound)."""
    queue: QueueExact | None
    queueing: Applicability
    """Whether the Erlang / M/M/c+D closed forms apply here, and why not."""
    occupancy_mean: float | None
    """Mean number of deals in the stage that will leave it (stuck deals pile up apart)."""
    occupancy_kind: Literal["poisson", "little"] | None
    """poisson: M/G/∞ stage, the count is Poisson; little: L = λ·W in an M/M/c(+D) stage."""
    sla_cut: float | None
    """Share of the stage's deals the SLA takes before their outcome happens (the stay
    share, which the SLA moves by design, not counted); None without an SLA."""
    sla_cut_is_bound: bool
    """True when `sla_cut` is a lower bound (queue wait or work time not known exactly)."""
    sla_ends: float | None
    """Share of the stage's deals the SLA ends: the `stay` share it moves by design (all
    of it, bar those that gave up waiting first) and `sla_cut`; a lower bound when
    `sla_cut_is_bound`; None without an SLA. «Прогрет 90 дней» (stay 97%) showed only its
    cut, «≥0,244%», beside 3 134 of 3 588 deals the simulated SLA moved."""
    team_load: float | None
    notes: list[str] = field(default_factory=list)
    team_capacity: float | None = None
    """The owner team's `TeamExact.capacity`: its load is marked `!` from there."""

    @property
    def sla_ends_unknown(self) -> bool:
        """The SLA's share has no figure: its lower bound is 0, because only a time not
        known here (the wait for a team with no closed form, or random work and delay
        together) can make a deal reach the SLA. Printed «—» with a note (`SLA_UNKNOWN_*`),
        not «≥0%», which was true and said nothing: cottages' «Договорился о встрече»
        (an SLA of 63 working hours, delays of 5 days at most, an overloaded team)."""
        return self.sla_cut_is_bound and self.sla_ends is not None and self.sla_ends <= 0.0


@dataclass
class TeamExact:
    name: str
    size: int
    stages: list[str]
    busy_mean: float
    """Members busy on average, over the whole week (Σ λ_i·E[work_i])."""
    load_24_7: float
    """busy_mean / size: the share of round-the-clock capacity used."""
    working_hours_per_week: float
    load: float
    """Share of the team's working time needed: busy_mean·168 / (size·working hours)."""
    stable: bool
    notes: list[str] = field(default_factory=list)
    capacity: float = 1.0
    """The load the team keeps up below (`stable`): the work a member does in a week,
    finishing the work in progress at each closing as the simulator does, over its
    working hours (`overtime.capacity_factor`); 1 for a team that never closes."""

    @property
    def busy_members(self) -> float:
        """Members busy on average over the week: `busy_mean`, the work asked of the team,
        while it is stable; all of its working time (size × working hours / 168) when it
        is not, since at most the whole team can be busy (3.55 «busy» of 3 members)."""
        if self.stable:
            return self.busy_mean
        return min(self.busy_mean, self.size * self.working_hours_per_week / WEEK_HOURS)


@dataclass
class PipelineExact:
    name: str
    entry: dict[str, float]
    entry_assumed: bool
    inflow_per_hour: float
    p_won: float
    """P(won) per lead entering the pipeline (its conversion)."""
    p_lost: dict[str, float]
    p_stuck: float
    p_loop: float
    won_per_month: float
    stuck_per_month: float
    stages: list[StageExact]
    upper_bound: list[str] = field(default_factory=list)
    """Why its P(won) and wins (and the account's revenue) are upper bounds, in the
    order found: its stages whose SLA ends deals as lost before their outcome (`sla_cut`
    over 0.1%: the maths counts them by the declared shares) and the teams owning its
    stages that cannot keep up (deals wait without end). saleschef read «16,9%» exact
    beside 11,1% ±0,78 simulated, no «≤» on it. Empty: the figures are the steady state."""


@dataclass
class SourceRevenue:
    source: str
    entry: str
    leads_per_month: float
    value_mean: float | None
    wins_per_lead: float
    revenue_per_month: float | None


@dataclass
class AccountExact:
    path: str
    month: str | None
    currency: str | None
    calendar: bool
    pipelines: list[PipelineExact]
    teams: list[TeamExact]
    sources: list[SourceRevenue]
    revenue_per_month: float | None
    revenue_assumption: str
    assumptions: tuple[str, ...] = ASSUMPTIONS
    notes: list[str] = field(default_factory=list)
    scenario: str | None = None
    """The scenario whose overrides were applied, if any."""
    money: ExactMoney | None = None
    """Revenue, costs and profit per month and per year; None when the file names no
    value, cost or budget."""

    @property
    def month_label(self) -> str:
        return self.month if self.month is not None else "annual mean"

    def stage(self, pipeline: str, stage: str) -> StageExact:
        for p in self.pipelines:
            if p.name == pipeline:
                for s in p.stages:
                    if s.stage == stage:
                        return s
        raise KeyError((pipeline, stage))

    def team(self, name: str) -> TeamExact:
        return next(t for t in self.teams if t.name == name)

    def unstable_teams(self, pipeline: PipelineExact | None = None) -> list[str]:
        """The teams asked for more work than they can do (load ≥ 1: the queue grows
        without bound) that own a stage of `pipeline`, or any stage: the wins and revenue
        through their stages are figures of a served queue, not reachable as staffed."""
        stages = self.pipelines if pipeline is None else [pipeline]
        owners = {s.owner for p in stages for s in p.stages}
        return [t.name for t in self.teams if not t.stable and t.name in owners]

    def to_dict(self) -> JSONObject:
        """JSON-ready: units in the key names (hours, per hour, per day, per month);
        unbounded values (a loop nobody leaves, an unstable queue) become null."""
        out = _jsonable(asdict(self))
        assert isinstance(out, dict)
        out["month"] = self.month_label
        out["assumptions"] = [*self.assumptions]
        pipelines = out["pipelines"]
        assert isinstance(pipelines, list)
        for p, pj in zip(self.pipelines, pipelines):
            assert isinstance(pj, dict) and isinstance(pj["stages"], list)
            pj["inflow_per_day"] = _finite(p.inflow_per_hour * 24.0)
            for s, sj in zip(p.stages, pj["stages"]):
                assert isinstance(sj, dict)
                sj["arrivals_per_day"] = _finite(s.arrivals_per_hour * 24.0)
            pj["unstable_teams"] = [*self.unstable_teams(p)]
        teams = out["teams"]
        assert isinstance(teams, list)
        for t, tj in zip(self.teams, teams):
            assert isinstance(tj, dict)
            tj["busy_members"] = _finite(t.busy_members)
        out["unstable_teams"] = [*self.unstable_teams()]
        return out


def _finite(x: JSON) -> JSON:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _jsonable(obj: object) -> JSON:
    """`asdict` output as JSON: keys as strings, tuples as lists, non-finite numbers as
    null; a value JSON has no word for (none today) as its text."""
    if is_dataclass(obj) and not isinstance(obj, type):
        obj = asdict(obj)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return _finite(obj)
    return str(obj)


# ----------------------------------------------------------------------- closed-form pieces


def mmcd_wait_tail(c: int, lam: float, mu: float, D: float, t: float) -> float:
    """P(no member has picked the deal up by t) in M/M/c+D (SLA D pulls waiting deals).

    From the offered-wait density of the research note §3.4 (p(x) = λπ_{c−1}e^{δx} on
    (0, D), λπ_{c−1}e^{δD−cμ(x−D)} beyond, δ = λ − cμ): for t < D,
    P(V > t) = λπ_{c−1}[∫_t^D e^{δx}dx + e^{δD}/(cμ)]. At t = 0 it is P(W > 0), at t = D the
    timeout share, and as D → ∞ it tends to the Erlang C tail; the tests check all three
    against `queueing`. Deals still waiting at D are pulled unanswered: they breach a
    `respond` of at most D (as the simulator counts them), and nobody breaches t > D.
    """
    if lam <= 0 or t > D:
        return 0.0
    res = q.mmc_deterministic_patience(c, lam, mu, D)
    if c == 0:
        return 1.0
    t = max(t, 0.0)
    if t >= D:
        return res.p_abandon
    cmu = c * mu
    delta = lam - cmu
    u = delta * D
    if u <= 30.0:
        k = lam * q.erlang_b(c - 1, lam / mu)
        first = D if delta == 0.0 else math.expm1(u) / delta
        j_int = first + math.exp(u) / cmu
        lam_pi = k / (1.0 + k * j_int)
        span = (D - t) if delta == 0.0 else math.exp(delta * t) * math.expm1(delta * (D - t)) / delta
        return lam_pi * (span + math.exp(u) / cmu)
    # Deep overload: λπ_{c−1} = P(Ab)·cμ·e^{−u}, which keeps every factor bounded.
    return res.p_abandon * (1.0 - cmu * math.expm1(delta * (t - D)) / delta)


def _touch_work(touch: m.Touch, stage: m.Stage) -> float:
    if touch.work is not None:
        return touch.work.mean
    return stage.work.mean if stage.work is not None else 0.0


def cadence_work_mean(stage: m.Stage) -> float:
    """Expected member time per visit of a cadence stage: touch k happens only when the
    touches before it got no reply."""
    assert stage.cadence is not None
    total, reach = 0.0, 1.0
    for touch in stage.cadence.touches:
        total += reach * _touch_work(touch, stage)
        reach *= 1.0 - touch.reply.value
    return total


def _work_items(stage: m.Stage, lam: float) -> list[Work]:
    """The stage's work items as `overtime` mixes them: one per visit, or one per touch of
    a cadence (each touch is its own short piece of work, reached while the touches
    before it got no reply)."""
    if stage.cadence is None:
        return [(lam, stage.work, stage.work.mean if stage.work is not None else 0.0)]
    items: list[Work] = []
    reach = 1.0
    for touch in stage.cadence.touches:
        dist = touch.work if touch.work is not None else stage.work
        items.append((lam * reach, dist, _touch_work(touch, stage)))
        reach *= 1.0 - touch.reply.value
    return items


def cadence_time_mean(cadence: m.Cadence) -> tuple[float, float]:
    """(mean time to the replying touch given a reply, time to exhaustion): a reply is
    counted at its touch's offset and exhaustion at the last touch's offset."""
    reach, weighted, p_reply, last = 1.0, 0.0, 0.0, 0.0
    for touch in cadence.touches:
        offset = touch.offset.hours if touch.offset is not None else 0.0
        p = reach * touch.reply.value
        weighted += p * offset
        p_reply += p
        reach *= 1.0 - touch.reply.value
        last = offset
    return (weighted / p_reply if p_reply > 0 else 0.0), last


_MEMO: dict[tuple[Any, ...], float] = {}
"""(what, distribution, shift, length) → value: a big account repeats a few delays and SLA
lengths on many stages (lengths are cached objects, compared by identity)."""


def _dist_key(dist: m.Dist | None) -> tuple[str, tuple[float, ...]] | None:
    """A distribution as `_MEMO` keys read it: its kind and parameters."""
    return None if dist is None else (dist.kind, tuple([q.value for q in dist.args]))


def _memo(what: str, dist: m.Dist | None, shift: float, length: WallclockLength,
          compute: Any, dist_key: tuple[str, tuple[float, ...]] | bool | None = False
          ) -> float:
    """`compute(dist, length, shift)` once per (what, distribution, shift, length);
    `dist_key`: `_dist_key(dist)` when the caller has it (False: not given)."""
    key = (what, _dist_key(dist) if dist_key is False else dist_key, shift, length)
    value = _MEMO.get(key)
    if value is None:
        if len(_MEMO) > 100_000:
            _MEMO.clear()
        value = _MEMO[key] = compute(dist, length, shift)
    return value


def prob_exceeds(dist: m.Dist | None, length: WallclockLength, shift: float = 0.0) -> float:
    """P(shift + X > L) for a delay X and an SLA of random wall-clock length L (atoms
    and uniform stretches): exact, from X's tail and truncated mean."""
    return _memo("p", dist, shift, length, _prob_exceeds)


def _prob_exceeds(dist: m.Dist | None, length: WallclockLength, shift: float) -> float:
    total = 0.0
    for value, p in length.atoms:
        total += p * survival(dist, value - shift)
    for lo, hi, p in length.stretches:
        a, b = lo - shift, hi - shift
        below = max(0.0, min(b, 0.0) - a)  # P(X > u) = 1 for u < 0
        integral = below + truncated_mean(dist, max(b, 0.0)) - truncated_mean(dist, max(a, 0.0))
        total += p * integral / (hi - lo)
    return min(1.0, max(0.0, total))


def _simpson(f: Callable[[float], float], a: float, b: float, n: int = 128) -> float:
    """∫ₐᵇ f by composite Simpson: the integrands here are smooth (sums of exponentials,
    truncated means), so 128 panels are accurate far beyond the figures printed."""
    if b <= a:
        return 0.0
    h = (b - a) / n
    total = f(a) + f(b)
    for i in range(1, n):
        total += (4.0 if i % 2 else 2.0) * f(a + i * h)
    return total * h / 3.0


def _tail_integral(tail: Callable[[float], float], upper: float, scale: float) -> float:
    """∫₀^upper tail(y) dy for a decreasing tail that falls off on a scale of `scale` hours
    or slower (the wait plus exponential work of a queue, scale 1/μ): Simpson on segments
    doubling from scale/4, stopped once what is left, at most tail(b)·(upper − b), is
    below 1e-12 of the sum. 128 panels across the whole SLA stepped 0.56 h over a 3-day
    SLA and a 20-minute exponential work, and a stage's mean time read 20.8 minutes for
    the 20.1 of the wait and the work."""
    if upper <= 0:
        return 0.0
    total, a = 0.0, 0.0
    width = max(scale, 1e-9) / 4.0
    while a < upper:
        b = min(upper, a + width)
        total += _simpson(tail, a, b, 16)
        if b >= upper or tail(b) * (upper - b) <= 1e-12 * total:
            break
        a, width = b, width * 2.0
    return total


def _capped_mean(dist: m.Dist | None, shift: float, length: WallclockLength) -> float:
    """E[min(shift + X, L)]: the time a deal spends when an SLA of length L caps a delay."""
    return _memo("t", dist, shift, length, _capped_mean_of)


def _capped_mean_of(dist: m.Dist | None, length: WallclockLength, shift: float) -> float:
    def at(cap: float) -> float:
        if math.isinf(cap):
            return shift + (truncated_mean(dist, 1e18) if dist is not None else 0.0)
        return cap if shift >= cap else shift + truncated_mean(dist, cap - shift)

    total = sum(p * at(v) for v, p in length.atoms)
    for lo, hi, p in length.stretches:
        # ∫ over caps below the shift is ∫ cap; above it, shift + ∫ E[min(X, cap − shift)].
        below = max(0.0, min(hi, shift) - lo)
        flat = (min(hi, shift) ** 2 - lo ** 2) / 2.0 if below > 0 else 0.0
        start = max(lo, shift)
        above = 0.0
        if hi > start:
            above = (shift * (hi - start) + integrated_truncated_mean(dist, hi - shift)
                     - integrated_truncated_mean(dist, start - shift))
        total += p * (flat + above) / (hi - lo)
    return total


@dataclass
class _SlaTimes:
    cut: float
    cut_is_bound: bool
    mean_time: float | None
    lower: float | None
    ends: float
    """`cut` and the `stay` share the SLA moves by design (`StageExact.sla_ends`)."""


def _fixed_value(dist: m.Dist | None) -> float | None:
    """The value of a constant delay (none: 0), or None for a random one."""
    if dist is None:
        return 0.0
    if dist.kind == "fixed" or (dist.kind == "empirical" and len(dist.args) == 1):
        return max(dist.args[0].value, 0.0)
    return None


def _sla_without_queue(stage: m.Stage, routes: list[Route], length: WallclockLength,
                       own_delay: m.Dist | None) -> _SlaTimes:
    """A stage nobody queues for, with an SLA of length L: a deal leaves at
    min(work + after, L), or at a cadence's deciding touch if that comes before L. Exact
    unless both the work and an `after` are random (then the cut is a lower bound).

    `own_delay` is `work` without an owner: nobody's time (production, a supplier, the
    client's own process), a plain delay the SLA ends at once like an `after` (as the
    simulator does, docs/semantics.md), so it adds to the delay and nothing outlasts L."""
    if stage.cadence is not None:
        reach, cut, time = 1.0, 0.0, 0.0
        touches = stage.cadence.touches
        for i, touch in enumerate(touches):
            offset = touch.offset.hours if touch.offset is not None else 0.0
            ends_here = reach if i == len(touches) - 1 else reach * touch.reply.value
            cut += ends_here * length.prob_at_most(offset)
            time += ends_here * _capped_mean(None, offset, length)
            reach *= 1.0 - touch.reply.value
        return _SlaTimes(cut, False, time, None, cut)
    work_fixed = _fixed_value(own_delay)
    exact = True
    cut = time = lower = leaving = ends = 0.0
    for r in routes:
        if r.kind == "stuck" or r.share <= 0:
            continue
        leaving += r.share
        if r.via == "sla":  # the stay share: moved at L by design, cut only inside work
            cut += r.share * prob_exceeds(own_delay, length)
            ends += r.share
            t = length.mean  # parked after its work, or still in it: it leaves at L
            time += r.share * t
            lower += r.share * t
            continue
        after_fixed = _fixed_value(r.after)
        if work_fixed is not None:
            p = prob_exceeds(r.after, length, work_fixed)
            t = _capped_mean(r.after, work_fixed, length)
        elif after_fixed is not None:
            p = prob_exceeds(own_delay, length, after_fixed)
            t = _capped_mean(own_delay, after_fixed, length)
        else:  # work and after both random: bound by each alone
            exact = False
            p = max(prob_exceeds(own_delay, length), prob_exceeds(r.after, length))
            t = max(_capped_mean(own_delay, 0.0, length), _capped_mean(r.after, 0.0, length))
        cut += r.share * p
        ends += r.share * p
        time += r.share * t
        lower += r.share * t
    if leaving <= 0:
        return _SlaTimes(cut, not exact, None, None, ends)
    return _SlaTimes(cut, not exact, time / leaving if exact else None,
                     None if exact else lower / leaving, ends)


def mmcd_served_tail(c: int, lam: float, mu: float, D: float) -> Any:
    """T(y) = P(V + S > y, V ≤ D) in M/M/c+D: a deal is picked up (offered wait V ≤ D)
    and its wait plus exponential work S runs past y. With the offered-wait law of
    `mmcd_wait_tail` (an atom 1 − P(W>0) at 0 and density λπ_{c−1}e^{δx} on (0, D)):
    T(y) = (1 − P(W>0))e^{−μy} + ∫₀ʸ λπe^{δx}e^{−μ(y−x)}dx + ∫_y^D λπe^{δx}dx for
    0 ≤ y ≤ D, and 1 − P(Ab) below 0. So T(0) = 1 − P(Ab) and, with an `after` of a, the
    SLA takes T(D − a) of the deals after pickup."""
    res = q.mmc_deterministic_patience(c, lam, mu, D)
    p_w, p_ab = res.p_wait, res.p_abandon
    cmu = c * mu
    delta = lam - cmu
    if lam <= 0 or c == 0:
        lp = 0.0

        def lp_exp(x: float) -> float:
            return 0.0
    elif delta * D <= 30.0:
        k = lam * q.erlang_b(c - 1, lam / mu)
        first = D if delta == 0.0 else math.expm1(delta * D) / delta
        lp = k / (1.0 + k * (first + math.exp(delta * D) / cmu))

        def lp_exp(x: float) -> float:
            return lp * math.exp(delta * x)
    else:  # deep overload: λπ e^{δD} = P(Ab)·cμ keeps every factor bounded
        top = p_ab * cmu

        def lp_exp(x: float) -> float:
            return top * math.exp(delta * (x - D))

    s = delta + mu

    def tail(y: float) -> float:
        if y < 0:
            return 1.0 - p_ab
        y = min(y, D)
        e_mu = math.exp(-mu * y)
        if abs(s * y) < 0.5:
            picked_before = lp_exp(0.0) * e_mu * (y if s == 0.0 else math.expm1(s * y) / s)
        else:
            picked_before = (lp_exp(y) - lp_exp(0.0) * e_mu) / s
        waiting_past = lp_exp(0.0) * (D - y) if delta == 0.0 else (lp_exp(D) - lp_exp(y)) / delta
        return (1.0 - p_w) * e_mu + picked_before + waiting_past

    return tail


def _sla_queue(routes: list[Route], tail: Callable[[float], float], mu: float, D: float,
               p_ab: float, p_cap: float, ab_time: float) -> _SlaTimes:
    """A closed-form queue (M/M/c+D, or M/M/c+G with patience) whose SLA D also reaches
    deals after pickup: exact for constant (or no) `after` delays, from
    T(y) = P(V + S > y, picked up); random delays give bounds. `p_ab` deals leave the
    queue unserved (`p_cap` of them by the SLA) after `ab_time` in total (per deal
    entering). As in the simulator, work in progress finishes: a picked-up deal leaves
    at min(T + a, D) + (T − D)⁺, where E[(T − D)⁺; picked up] = T(D)/μ (exponential work:
    past D the rest of it is memoryless)."""
    overrun = tail(D) / mu
    cut = ends = p_cap
    time = lower = ab_time
    exact = True
    leaving = p_ab
    base = _tail_integral(tail, D, 1.0 / mu)  # E[min(V + S, D); picked up]
    for r in routes:
        if r.kind == "stuck" or r.share <= 0:
            continue
        leaving += (1.0 - p_ab) * r.share
        if r.via == "sla":  # the stay share: leaves at D (after its work), cut only inside work
            cut += r.share * tail(D)
            ends += r.share * (1.0 - p_ab)
            time += r.share * ((1.0 - p_ab) * D + overrun)
            lower += r.share * ((1.0 - p_ab) * D + overrun)
            continue
        a = _fixed_value(r.after)
        if a is None:
            exact = False
            took = r.share * max(tail(D), (1.0 - p_ab) * survival(r.after, D))
            cut += took
            ends += took
            lower += r.share * (base + overrun)
        elif a >= D:
            cut += r.share * (1.0 - p_ab)
            ends += r.share * (1.0 - p_ab)
            time += r.share * ((1.0 - p_ab) * D + overrun)
            lower += r.share * ((1.0 - p_ab) * D + overrun)
        else:
            cut += r.share * tail(D - a)
            ends += r.share * tail(D - a)
            t = (1.0 - p_ab) * a + _tail_integral(tail, D - a, 1.0 / mu) + overrun
            time += r.share * t
            lower += r.share * t
    if leaving <= 0:
        return _SlaTimes(cut, not exact, None, None, ends)
    return _SlaTimes(cut, not exact, time / leaving if exact else None,
                     None if exact else lower / leaving, ends)


def _least(dist: m.Dist | None) -> float:
    """The smallest value `dist` takes (0 for the unbounded-below-by-zero kinds)."""
    if dist is None or dist.kind in ("exp", "lognormal", "gamma"):
        return 0.0
    if dist.kind == "empirical":
        return max(0.0, min(a.value for a in dist.args))
    return max(0.0, dist.args[0].value)  # fixed, uniform's and triangular's low end


def _sla_behind_unknown_queue(routes: list[Route], length: WallclockLength,
                              work: m.Dist | None = None,
                              memo: dict[tuple[object, ...], _SlaTimes] | None = None,
                              patience: bool = False) -> _SlaTimes:
    """A queue with no closed form comes first: the unknown wait is left out, which gives
    lower bounds of both the cut and the time. The time still counts the member's `work`
    S: a deal spends at least min(S + after, L) here (work in progress finishes past the
    SLA, and a deal the SLA takes from the queue has spent all of L), so the bound is
    E[min(s₀ + after, L)] with s₀ the least work, and never below E[min(S, L)]. Counting
    the delays alone, a 20-minute call with no delay read «≥0 хв» beside a simulated
    20 minutes.

    `memo`: the answers of one `analyze_account` call by what they read (L, the work's
    and each leaving route's distribution, the routes' shares in order): the pipelines of
    an account made from one template repeat a stage's work, SLA and routes: the 2 001
    stages of the benchmark account ask 41 distinct questions, and answering each again
    took 14 of the 34 ms its stages took. The answer is a function of the key, so it is
    the same to the bit; callers only read it.

    `patience`: the stage's deals may give up waiting, so its `stay` share is not known
    to end by the SLA (the share it ends then counts only the cut, still a lower bound)."""
    work_key = _dist_key(work)
    # What the figures read of each leaving route, in order: its share and its delay's
    # key ("sla" for the SLA's own route, which reads only L); stuck and empty routes
    # add nothing. `afters`: the delays themselves, for a lookup `_MEMO` has not seen.
    reads: list[tuple[float, tuple[str, tuple[float, ...]] | str | None]] = []
    afters: list[m.Dist | None] = []
    for r in routes:
        share = r.share
        if r.kind == "stuck" or share <= 0:
            continue
        if r.via == "sla":
            reads.append((share, "sla"))
            afters.append(None)
        else:
            reads.append((share, _dist_key(r.after)))
            afters.append(r.after)
    key = (length, work_key, patience, *reads)
    if memo is not None:
        found = memo.get(key)
        if found is not None:
            return found
    cut = lower = leaving = stay = 0.0
    least = _least(work)
    floor = (_memo("t", work, 0.0, length, _capped_mean_of, work_key)
             if work is not None else 0.0)
    for (share, after_key), after in zip(reads, afters):
        leaving += share
        if isinstance(after_key, str):  # the SLA's route
            lower += share * length.mean
            stay += share
            continue
        # prob_exceeds and _capped_mean, the delay's key made once for both lookups.
        cut += share * _memo("p", after, 0.0, length, _prob_exceeds, after_key)
        lower += share * max(floor, _memo("t", after, least, length, _capped_mean_of,
                                          after_key))
    found = _SlaTimes(cut, True, None, lower / leaving if leaving > 0 else None,
                      cut + (0.0 if patience else stay))
    if memo is not None:
        memo[key] = found
    return found


# ----------------------------------------------------------------------- the analysis


SLA_UNKNOWN_WAIT = Note(N_("the share of deals the SLA ends is not computed (—): no delay "
                           "here outlasts the SLA by itself, so it ends only deals that the "
                           "wait for the team makes late, and that wait has no closed form "
                           "here; the simulation measures the share"))
"""Why a stage behind a queue with no closed form prints no SLA share
(`StageExact.sla_ends_unknown`): its lower bound leaves the wait out, and is 0."""

SLA_UNKNOWN_SUM = Note(N_("the share of deals the SLA ends is not computed (—): neither the "
                          "work nor a delay here outlasts the SLA by itself, only both "
                          "together, and the sum of two random times is not computed here; "
                          "the simulation measures the share"))
"""Why a stage nobody queues for, with random work and random delays, prints no SLA share:
its lower bound takes each alone, and is 0."""

SLA_UNKNOWN_PATIENCE = Note(N_("the share of deals the SLA ends is not computed (—): it moves "
                               "the `stay` share, but only the deals that did not give up "
                               "waiting for the team first, and that wait has no closed form "
                               "here; the simulation measures the share"))
"""Why a stage with `stay`, `patience` and a queue with no closed form prints no SLA share:
the deals that give up first are not known, so the bound counts none of the `stay` share
(with no delay past the SLA, 0). It read as `SLA_UNKNOWN_WAIT`, «only deals that the
wait makes late», of a stage whose SLA moves half its deals."""


_ERLANG_A_METHOD = Note(N_("Erlang A: the offered-wait density of M/M/c+M integrated by "
                           "adaptive quadrature in log space (exact for the model, any number "
                           "of members)"))
_MMCG_METHOD = Note(N_("M/M/c+G: the offered-wait density of M/M/n+G (Zeltyn & Mandelbaum "
                       "2005) integrated by adaptive quadrature in log space — exact for FCFS "
                       "with Poisson arrivals and exponential work whatever the patience "
                       "distribution (with an SLA: patience cut at the SLA time)"))


def _patience_queue(dist: m.Dist, c: int, lam: float, mu: float, cap: float | None
                    ) -> q.PatienceQueue:
    """The stage's M/M/c+G queue: the patience as the simulator samples it (`survival`,
    values clipped at zero), its kinks (fixed values, a uniform's or triangular's ends,
    empirical values) given to the quadrature."""
    breaks = [] if dist.kind in ("exp", "lognormal", "gamma") else [a.value for a in dist.args]
    return q.mmc_patience(c, lam, mu, lambda x: survival(dist, x),
                          lambda x: truncated_mean(dist, x), breaks, cap)


def _work_mean(stage: m.Stage) -> float:
    if stage.cadence is not None:
        return cadence_work_mean(stage)
    return stage.work.mean if stage.work is not None else 0.0


def _team_hours(funnel: m.FunnelFile, team: m.Team) -> m.Hours | None:
    if team.hours is not None:
        return team.hours
    return funnel.account.hours if funnel.account is not None else None


def _always_open(hours: m.Hours | None) -> bool:
    """No calendar, or one open all 168 hours of the week (`hours mon-sun 00:00-24:00`).

    Remembered per calendar object: asked for every stage and team, a 2,000-stage
    account's analysis spent a quarter of its time laying out the same few calendars
    again, and hashing the frozen model by value cost half as much again."""
    if hours is None:
        return True
    seen = _OPEN_ALL_WEEK.get(id(hours))
    if seen is not None and seen[0] is hours:
        return seen[1]
    if len(_OPEN_ALL_WEEK) > 256:
        _OPEN_ALL_WEEK.clear()
    answer = working_hours_per_week(hours) >= WEEK_HOURS - 1e-9
    _OPEN_ALL_WEEK[id(hours)] = (hours, answer)
    return answer


_OPEN_ALL_WEEK: dict[int, tuple[m.Hours, bool]] = {}
"""id → (the calendar, kept alive so that its id is not reused, its answer)."""


_NEVER = 1e-9
"""A probability below which an event is left out of a closed form (it changes no
printed figure)."""


def _sla_reaches_no_wait(stage: m.Stage, team: m.Team, lam: float) -> bool:
    """A team open around the clock whose stage's `sla` counts the account's working hours:
    the SLA's wall-clock length L depends on the deal's entry and is at least the SLA as
    written, so the queue is M/M/c exactly when no wait reaches that length (P(Wq > sla)
    below `_NEVER`); then the SLA only ever ends a deal after its pickup. A `patience`
    queue (whose SLA cap would be L) is left to the simulation."""
    if stage.sla is None:
        return True
    if stage.patience is not None or stage.work is None or team.size <= 0:
        return False
    mu = 1.0 / stage.work.mean if stage.work.mean > 0 else math.inf
    if not math.isfinite(lam) or lam >= team.size * mu:
        return False
    return lam <= 0 or q.mmc_wait_tail(team.size, lam, mu, stage.sla.after.hours) < _NEVER


def _stretch_mean(g: Callable[[float], float], lo: float, hi: float, scale: float) -> float:
    """The mean of g over [lo, hi] (a uniform stretch of a limit's wall-clock length) for a
    g that changes on a scale of `scale` hours near `lo` and flattens beyond (a breach
    share, a capped time): Simpson on segments doubling from scale/4. A few panels across
    a 13-hour night over a 20-minute work overstate a breach share several times."""
    if hi <= lo:
        return g(lo)
    total, a = 0.0, lo
    width = max(scale, 1e-9) / 4.0
    while a < hi:
        b = min(hi, a + width)
        total += _simpson(g, a, b, 8)
        a, width = b, width * 2.0
    return total / (hi - lo)


def _over_length(f: Callable[[float], float], length: WallclockLength, scale: float) -> float:
    """E[f(L)] over the wall-clock length L of a working-time limit (its atoms and uniform
    stretches): a 24/7 team's queue does not depend on the hour a deal enters, so a
    figure for a limit L averages over the entries' L. `scale`: as `_stretch_mean`."""
    total = sum(p * f(v) for v, p in length.atoms)
    for lo, hi, p in length.stretches:
        total += p * _stretch_mean(f, lo, hi, scale)
    return total


def _sla_queue_on_clock(routes: list[Route], c: int, lam: float, mu: float,
                        length: WallclockLength) -> _SlaTimes:
    """`_sla_queue` of an M/M/c queue (no deal leaves it unserved, `_sla_reaches_no_wait`)
    for an SLA of random wall-clock length L, averaged over L: the deal's wait and work do
    not depend on its entry's hour, so each figure is the mean of the fixed-length ones."""
    tail = q.mmc_sojourn_tail_fn(c, lam, mu)
    memo: dict[float, _SlaTimes] = {}

    def at(d: float) -> _SlaTimes:
        found = memo.get(d)
        if found is None:
            found = memo[d] = _sla_queue(routes, tail, mu, d, 0.0, 0.0, 0.0)
        return found

    def mean(pick: Callable[[_SlaTimes], float | None]) -> float | None:
        if any(pick(at(v)) is None for v, _p in length.atoms) or any(
                pick(at(lo)) is None for lo, _hi, _p in length.stretches):
            return None

        def value(d: float) -> float:
            got = pick(at(d))
            return 0.0 if got is None else got
        return _over_length(value, length, 1.0 / mu)

    bound = any(at(v).cut_is_bound for v, _p in length.atoms) or any(
        at(lo).cut_is_bound for lo, _hi, _p in length.stretches)
    cut = _over_length(lambda d: at(d).cut, length, 1.0 / mu)
    return _SlaTimes(cut, bound, mean(lambda t: t.mean_time), mean(lambda t: t.lower),
                     _over_length(lambda d: at(d).ends, length, 1.0 / mu))


@dataclass
class _RouteTimes:
    """The routes of a stage split by how long they keep a deal there."""

    share_out: float = 0.0
    """Outcome and cadence routes: leave after (wait +) work + delay."""
    after_sum: float = 0.0
    """Σ share·E[delay after the work] over those routes."""
    share_sla: float = 0.0
    """Stay share that the SLA moves on at D from entry."""


def _route_times(stage: m.Stage, routes: list[Route], delays: bool = True) -> _RouteTimes:
    """The shares of `routes` by how they leave and, with `delays`, Σ share·E[delay]
    (without: 0.0; a stage with an SLA times its routes one by one instead, so the
    delays' means are not read)."""
    # Sums in locals, in the order the routes come (attribute updates cost a third).
    share_out = after_sum = share_sla = 0.0
    cadence = stage.cadence
    reply_t, exhausted_t = cadence_time_mean(cadence) if cadence and delays else (0.0, 0.0)
    for r in routes:
        share = r.share
        if r.kind == "stuck" or share <= 0:
            continue
        via = r.via
        if via == "sla":
            share_sla += share
            continue
        share_out += share
        if not delays:
            continue
        if via == "reply":
            after_sum += share * reply_t
        elif via == "exhausted":
            after_sum += share * exhausted_t
        elif r.after is not None:
            after_sum += share * r.after.mean
    return _RouteTimes(share_out, after_sum, share_sla)


_new_object = object.__new__
_set_attr = object.__setattr__

_NO_QUEUE = Applicability(False, Note(N_("no queue: no owner team with work here")))
"""The applicability of every stage nobody queues for (one object: it never changes)."""


class _PerCall:
    """What the stages of one `analyze_account` call share, made once: the account
    calendar's working intervals and the notes that repeat from stage to stage. On the
    2 000-stage benchmark account 10 000 of the 12 000 notes made were the same few
    sentences (the reasons a closed form does not apply, an SLA's wall-clock length),
    and every stage recomputed the calendar's intervals twice."""

    def __init__(self, funnel: m.FunnelFile, acct_hours: m.Hours | None) -> None:
        self.acct_hours = acct_hours
        self.capacity: dict[str, float] = {}
        """Each team's `TeamExact.capacity`, for its stages' rows."""
        self.teams: dict[str, m.Team] = {}
        """`funnel.team` as a plain dict (the first team of a name, as the file's index
        reads it): two lookups per stage went through the index's weak reference."""
        for team in funnel.teams:
            self.teams.setdefault(team.name.value, team)
        self.acct_open = _always_open(acct_hours)
        """The account has no working calendar, or one open the whole week."""
        self.team_open: dict[str, bool] = {
            name: _always_open(team.hours if team.hours is not None else acct_hours)
            for name, team in self.teams.items()}
        """Per team: its own hours (else the account's) are open the whole week. Asked
        once per team here: every stage asked it, and whether the team works on the
        clock, four times (a calendar lookup each)."""
        self.on_clock = {name: open_ and not self.acct_open
                         for name, open_ in self.team_open.items()}
        """Per team: it answers around the clock while the account's `sla` and `respond`
        count working hours (see `_stage_exact`)."""
        self.sla_behind: dict[tuple[object, ...], _SlaTimes] = {}
        """`_sla_behind_unknown_queue`'s answers in this call."""
        self.intervals = weekly_intervals(acct_hours) if acct_hours is not None else None
        self.reasons: dict[tuple[object, ...], tuple[tuple[str, ...], Applicability]] = {}
        self.work: dict[StageKey, float] = {}
        """`_work_mean` of the stages the team loads were summed over."""
        self._wall: dict[float, float] = {}
        self._lengths: dict[float, WallclockLength] = {}
        self.sla_notes: dict[tuple[str, float], Note] = {}
        self.cut_notes: dict[tuple[str, bool], Note] = {}

    def wall_mean(self, working: float) -> float:
        """`mean_wallclock_hours` in the account's calendar, once per SLA length."""
        found = self._wall.get(working)
        if found is None:
            found = self._wall[working] = mean_wallclock_hours(self.acct_hours, working,
                                                               self.intervals)
        return found

    def length(self, working: float) -> WallclockLength:
        """`wallclock_length` in the account's calendar, once per SLA length."""
        found = self._lengths.get(working)
        if found is None:
            found = self._lengths[working] = wallclock_length(self.acct_hours, working,
                                                              self.intervals)
        return found

    def sla_note(self, text: str, hours: float) -> Note:
        """The note on an SLA of `text` (`hours` working hours) and its mean wall-clock
        length in the account's calendar, once per call for each SLA as written (the
        text fixes the hours, and the hours the length)."""
        key = (text, hours)
        found = self.sla_notes.get(key)
        if found is None:
            found = self.sla_notes[key] = Note(N_(
                "SLA {sla} counts working hours: {calendar_hours} on the clock on average"),
                sla=WorkingLimit(text, hours), calendar_hours=self.wall_mean(hours))
        return found

    def cut_note(self, share: float, bound: bool) -> Note:
        """The note on the share of a stage's deals its SLA takes, once per call for each
        (share, bound): the stages of pipelines made from one template repeat them."""
        key = (repr(share), bound)
        found = self.cut_notes.get(key)
        if found is None:
            found = self.cut_notes[key] = Note(
                N_("the SLA takes at least {share_pct} of deals while they wait, are worked or "
                   "wait out an `after`: P(win) and visits follow the declared shares, the "
                   "simulator moves those deals by the SLA") if bound else
                N_("the SLA takes {share_pct} of deals while they wait, are worked or wait out "
                   "an `after`: P(win) and visits follow the declared shares, the simulator "
                   "moves those deals by the SLA"),
                share_pct=share)
        return found


@gc_paused()
def analyze_account(funnel: m.FunnelFile, month: str | None = None,
                    chain: AccountChain | None = None, *, money: bool = True) -> AccountExact:
    """Exact per-stage, per-team and per-pipeline figures for the month asked for
    ('jan'..'dec') or the annual mean of the sources' profiles (None); with `money`
    (and prices in the file) the expected revenue, costs and profit too."""
    chain = chain if chain is not None else account_chain(funnel, month)
    account = funnel.account
    acct_hours = account.hours if account is not None else None

    # Work each team is asked for, and how many stages share it.
    team_stages: dict[str, list[StageKey]] = {}
    busy: dict[str, float] = {}
    works: dict[str, list[Work]] = {}
    shared = _PerCall(funnel, acct_hours)
    teams_by_name = shared.teams
    for key, flow in chain.flows.stages.items():
        owner = flow.stage.owner
        if owner is None or owner.value not in teams_by_name:
            continue
        wm = shared.work[key] = _work_mean(flow.stage)
        if wm <= 0:
            continue
        team_stages.setdefault(owner.value, []).append(key)
        lam = chain.stages[key].arrivals_per_hour
        if lam > 0:
            busy[owner.value] = busy.get(owner.value, 0.0) + lam * wm
            works.setdefault(owner.value, []).extend(_work_items(flow.stage, lam))

    teams: list[TeamExact] = []
    team_load: dict[str, float] = {}
    for team in funnel.teams:
        name = team.name.value
        hours = _team_hours(funnel, team)
        week = working_hours_per_week(hours) if hours is not None else WEEK_HOURS
        b = busy.get(name, 0.0)
        notes: list[str] = []
        if team.size <= 0 or week <= 0:
            load24 = load = math.inf if b > 0 else 0.0
        else:
            load24 = b / team.size
            load = b * WEEK_HOURS / (team.size * week)
        # Work in progress at closing is finished (docs/semantics.md), so the team does a
        # little more than its working hours: it keeps up below that (`overtime`), not
        # below 100 %. The guide's two managers offered 108 % kept a flat queue.
        capacity = capacity_factor(hours, works.get(name, []))
        stable = load < capacity
        if not stable:
            notes.append(Note(N_("unstable: load {load_pct} ≥ 100%, the team's queue grows "
                                 "without bound"), load_pct=load) if math.isfinite(load) else
                         Note(N_("unstable: the work asked of the team is unbounded or it has "
                                 "no time")))
        if not team_stages.get(name):
            notes.append(Note(N_("owns no stage with work")))
        team_load[name] = load
        shared.capacity[name] = capacity
        teams.append(TeamExact(name, team.size,
                               [f"{p}.{s}" for p, s in team_stages.get(name, [])],
                               b, load24, week, load, stable, notes, capacity))

    pipelines: list[PipelineExact] = []
    for pc in chain.pipelines:
        stages: list[StageExact] = []
        for sc in pc.stages:
            flow = chain.flows.stages[sc.key]
            stages.append(_stage_exact(funnel, shared, sc, flow.stage, flow.routes,
                                       team_stages, team_load))
        ab = pc.absorption
        pipelines.append(PipelineExact(
            pc.name, pc.entry, pc.entry_assumed, pc.inflow_per_hour, ab.p_win, ab.p_lost,
            ab.p_stuck, ab.p_loop, pc.won_per_hour * HOURS_PER_MONTH,
            pc.stuck_per_hour * HOURS_PER_MONTH, stages))
        pipelines[-1].upper_bound = _upper_bound(chain, pc.stages, stages, teams)

    sources: list[SourceRevenue] = []
    revenue = 0.0
    valued = 0
    for src, key, rate in chain.source_rates:
        wins = chain.stages[key].wins_with_copies
        per_month = rate * HOURS_PER_MONTH
        value = src.value.mean if src.value is not None else None
        rev = None
        if value is not None:
            rev = per_month * value * wins if wins > 0 else 0.0
            revenue += rev
            valued += 1
        sources.append(SourceRevenue(src.name.value, f"{key[0]}.{key[1]}", per_month, value,
                                     wins, rev))
    notes = []
    if valued < len(sources):
        missing = [s.source for s in sources if s.value_mean is None]
        notes.append(Note(N_("sources without `value` add nothing to revenue: {sources}"),
                          sources=", ".join(missing)))
    if not _always_open(acct_hours):
        notes.append(Note(N_("the account has a working calendar: Erlang / M/M/c+D closed "
                             "forms assume 24/7 and are not shown for teams working by it")))
    revenue_assumption = money_rule(funnel)
    cut = [f"{s.pipeline}.{s.stage}" for p in pipelines for s in p.stages
           if s.sla_cut is not None and s.sla_cut > 0.001]
    bounded = any(p.upper_bound for p in pipelines)
    return AccountExact(
        path=funnel.path, month=chain.month,
        currency=account.currency.value if account is not None and account.currency else None,
        calendar=acct_hours is not None, pipelines=pipelines, teams=teams, sources=sources,
        revenue_per_month=revenue if valued else None, revenue_assumption=revenue_assumption,
        notes=notes,
        money=_exact_money(funnel, chain, team_stages, cut, bounded)
        if money and has_money(funnel) else None)


def _upper_bound(chain: AccountChain, keys: Sequence[Any], stages: list[StageExact],
                 teams: list[TeamExact]) -> list[str]:
    """`PipelineExact.upper_bound`: «Pipeline.Stage» of each stage whose SLA ends deals as
    lost before their outcome, then each unstable team owning one of its stages."""
    out = []
    for sc, st in zip(keys, stages):
        sla = chain.flows.stages[sc.key].stage.sla
        if (sla is not None and sla.target.kind == "lost" and st.sla_cut is not None
                and st.sla_cut > 0.001):
            out.append(f"{st.pipeline}.{st.stage}")
    owners = {st.owner for st in stages}
    out += [t.name for t in teams if not t.stable and t.name in owners]
    return out


_WORK_NOT_EXPONENTIAL: dict[str, str] = {
    "fixed": N_("work of fixed length, not exponential"),
    "uniform": N_("work uniformly distributed, not exponential"),
    "triangular": N_("work with a triangular distribution, not exponential"),
    "lognormal": N_("work lognormally distributed, not exponential"),
    "gamma": N_("work gamma-distributed, not exponential"),
    "empirical": N_("work taking the listed values, not exponential"),
}
"""Why the work of a stage rules out the closed forms, by its distribution, in words: the
note read «work is not exponential (`fixed`)», the model's name of what the file writes
`work 20m`, in a Russian or Ukrainian sentence too."""


def _closed_form_reasons(funnel: m.FunnelFile, stage: m.Stage, team: m.Team, lam: float,
                         team_stages: dict[str, list[StageKey]]) -> list[str]:
    """Why the queue at `stage` (worked by `team`) has no closed form; empty when it has
    one (stability aside)."""
    reasons: list[str] = []
    n_shared = len(team_stages.get(team.name.value, []))
    if n_shared > 1:
        reasons.append(_n("team shared by {n} stage", "team shared by {n} stages", n_shared))
    if stage.cadence is not None:
        reasons.append(Note(N_("work is not exponential (cadence: several touches per deal)")))
    elif stage.work is not None and stage.work.kind != "exp":
        reasons.append(Note(_WORK_NOT_EXPONENTIAL[stage.work.kind]))
    account_hours = funnel.account.hours if funnel.account is not None else None
    if not _always_open(_team_hours(funnel, team)) or (
            not _always_open(account_hours) and not _sla_reaches_no_wait(stage, team, lam)):
        reasons.append(Note(N_("working calendar: closed forms assume 24/7")))
    if not math.isfinite(lam):
        reasons.append(Note(N_("arrival rate is unbounded")))
    return reasons


def _memo_reasons(funnel: m.FunnelFile, shared: _PerCall, stage: m.Stage, team: m.Team,
                  lam: float, team_stages: dict[str, list[StageKey]]
                  ) -> tuple[list[str], Applicability | None]:
    """`_closed_form_reasons` (a list of its own, which the caller may extend) and the
    applicability they make, once per call for each combination of what they read."""
    work = stage.work
    name = team.name.value
    if shared.on_clock[name] and stage.sla is not None:
        # A 24/7 team whose SLA counts the account's hours: the reasons read λ, the work
        # and the SLA (`_sla_reaches_no_wait`), so they are worked out for this stage.
        reasons = tuple(_closed_form_reasons(funnel, stage, team, lam, team_stages))
        return list(reasons), Applicability(False, Note(
            N_("assumptions do not hold: {reasons}"), reasons=reasons)) if reasons else None
    # The team (`shared.teams[name]`), so its hours and the stages it shares, are one per
    # name in a call: the name stands for them in the key.
    key = (name, stage.cadence is not None, None if work is None else work.kind,
           math.isfinite(lam))
    hit = shared.reasons.get(key)
    if hit is None:
        reasons = tuple(_closed_form_reasons(funnel, stage, team, lam, team_stages))
        applicability = Applicability(False, Note(N_("assumptions do not hold: {reasons}"),
                                                  reasons=reasons)) if reasons else None
        hit = shared.reasons[key] = (reasons, applicability)  # type: ignore[assignment]
    assert hit is not None
    return list(hit[0]), hit[1]


def _stage_exact(funnel: m.FunnelFile, shared: _PerCall, sc: Any, stage: m.Stage,
                 routes: list[Route], team_stages: dict[str, list[StageKey]],
                 team_load: dict[str, float]) -> StageExact:
    acct_hours = shared.acct_hours
    notes: list[str] = []
    lam = sc.arrivals_per_hour
    ab = sc.absorption
    owner = stage.owner.value if stage.owner is not None else None
    team = shared.teams.get(owner) if owner is not None else None
    work = shared.work.get(sc.key)
    if work is None:
        work = _work_mean(stage)
    rt = _route_times(stage, routes, delays=stage.sla is None)  # after_sum: no SLA only
    stuck = sc.stuck_share

    limit = stage.sla
    if limit is not None and acct_hours is not None:
        notes.append(shared.sla_note(limit.after.text, limit.after.hours))
    if not routes and stage.cadence is None:
        notes.append(Note(N_("no way out: deals stay here")))
    elif stuck > 0 and stage.stay is not None and stage.sla is None:
        notes.append(Note(N_("{share:.0%} stay forever (`stay` without SLA)"), share=stuck))
    if math.isinf(lam):
        notes.append(Note(N_("flow does not settle: deals reach a loop nobody leaves, or copies "
                             "multiply without end")))
    if ab.p_loop > 0:
        notes.append(Note(N_("{share_pct} of deals here end circling a loop with no way out"),
                          share_pct=ab.p_loop))
    if owner is not None and team is None:
        notes.append(Note(N_("owner {owner} is not a team: no queue assumed"), owner=owner))
    if team is None and work > 0 and stage.cadence is None:
        notes.append(Note(N_("work without an owner team: counted as time in stage, no queue")))

    queues = team is not None and work > 0
    queue: QueueExact | None = None
    applicability = _NO_QUEUE
    wait: float | None = 0.0
    p_ab = 0.0
    pq: q.PatienceQueue | None = None
    patience = stage.patience if queues and stage.cadence is None else None
    # The team answers around the clock while `sla` and `respond` count the account's
    # working hours: the queue has its closed form, the limits a wall-clock length that
    # depends on the hour a deal enters.
    on_clock = team is not None and shared.on_clock[team.name.value]

    if queues:
        assert team is not None
        reasons, made = _memo_reasons(funnel, shared, stage, team, lam, team_stages)
        c, mu = team.size, 1.0 / work
        if not reasons and stage.sla is None and patience is None and lam >= c * mu:
            reasons.append(Note(N_("unstable: load {load_pct} ≥ 100%, the queue grows without "
                                   "bound"), load_pct=lam / (c * mu) if c else math.inf))
            made = None
        if reasons:
            applicability = made if made is not None else Applicability(False, Note(
                N_("assumptions do not hold: {reasons}"), reasons=tuple(reasons)))
            wait = None
        else:
            applicability = Applicability(True)
            respond = stage.respond.hours if stage.respond is not None else None
            cap = stage.sla.after.hours if stage.sla is not None else None

            def breach(tail: Callable[[float], float]) -> float | None:
                """P(Wq > respond) from the queue's wait tail. A 24/7 team on a working
                clock (no SLA reaches its waits there): `respond` working hours are L on
                the clock, which depends on the hour the deal enters, not on the queue
                it meets, so the tail is averaged over L."""
                if respond is None:
                    return None
                if on_clock:
                    return _over_length(tail, shared.length(respond), 1.0 / (c * mu))
                return tail(respond)
            if patience is not None:
                pq = _patience_queue(patience.dist, c, lam, mu, cap)
                p_ab = pq.p_abandon
                wait = pq.wait_mean
                erlang_a = patience.dist.kind == "exp" and cap is None
                queue = QueueExact(
                    "M/M/c+M" if erlang_a else "M/M/c+G", c, mu, lam, pq.p_wait, pq.wait_mean,
                    pq.wait_served_mean, breach(pq.breach),
                    pq.p_abandon_cap if cap is not None else None,
                    abandon_share=pq.p_abandon - pq.p_abandon_cap,
                    method=_ERLANG_A_METHOD if erlang_a else _MMCG_METHOD)
            elif stage.sla is not None and not on_clock:
                D = stage.sla.after.hours
                res = q.mmc_deterministic_patience(c, lam, mu, D)
                p_ab = res.p_abandon
                wait = res.wait_mean
                served = ((res.wait_mean - res.p_abandon * D) / (1.0 - res.p_abandon)
                          if res.p_abandon < 1.0 else 0.0)
                queue = QueueExact("M/M/c+D", c, mu, lam, res.p_wait, res.wait_mean, served,
                                   mmcd_wait_tail(c, lam, mu, D, respond)
                                   if respond is not None else None, res.p_abandon)
            else:
                p_wait = q.erlang_c(c, lam / mu) if lam > 0 else 0.0
                wait = q.mmc_wait_mean(c, lam, mu)
                queue = QueueExact("M/M/c", c, mu, lam, p_wait, wait, wait,
                                   breach(lambda t: q.mmc_wait_tail(c, lam, mu, t)), None)
    elif stage.respond is not None and team is None:
        notes.append(Note(N_("respond without an owner team: nobody picks the deal up")))

    # Time in stage for the deals that leave it.
    own_delay = work if (team is None and stage.cadence is None) else 0.0
    served_work = work if queues else own_delay
    leaving = p_ab + (1.0 - p_ab) * (rt.share_out + rt.share_sla)
    mean_time: float | None = None
    lower: float | None = None
    sla_cut: float | None = None
    sla_ends: float | None = None
    cut_bound = False
    if stage.sla is not None:
        # The SLA caps every deal's time here, so it is computed route by route.
        length = shared.length(stage.sla.after.hours)
        if not queues:
            sla = _sla_without_queue(stage, routes, length,
                                     stage.work if (team is None and stage.cadence is None)
                                     else None)
        elif queue is not None and on_clock:
            sla = _sla_queue_on_clock(routes, queue.servers, lam, queue.service_rate_per_hour,
                                      length)
        elif queue is not None:
            D, mu = stage.sla.after.hours, queue.service_rate_per_hour
            if pq is not None:
                sla = _sla_queue(routes, pq.served_tail, mu, D, p_ab, pq.p_abandon_cap,
                                 pq.wait_mean - (1.0 - p_ab) * pq.wait_served_mean)
            else:
                sla = _sla_queue(routes, mmcd_served_tail(queue.servers, lam, mu, D), mu, D,
                                 p_ab, p_ab, p_ab * D)
        else:
            sla = _sla_behind_unknown_queue(routes, length,
                                            stage.work if stage.cadence is None else None,
                                            shared.sla_behind, stage.patience is not None)
        sla_cut, cut_bound, sla_ends = sla.cut, sla.cut_is_bound, sla.ends
        mean_time, lower = sla.mean_time, sla.lower
        if sla_cut > 0.001:
            notes.append(shared.cut_note(sla_cut, cut_bound))
        elif cut_bound and sla_ends <= 0.0:  # `StageExact.sla_ends_unknown`: say why «—»
            stays = any(r.via == "sla" and r.kind != "stuck" and r.share > 0 for r in routes)
            notes.append(SLA_UNKNOWN_SUM if not queues else
                         SLA_UNKNOWN_PATIENCE if stays and stage.patience is not None else
                         SLA_UNKNOWN_WAIT)
    elif leaving > 0:  # no SLA: nothing caps the time; only patience ends a wait
        base = rt.share_out * served_work + rt.after_sum
        if wait is None:
            lower = base / leaving
        else:
            # Deals that give up spend wait − (1 − P(Ab))·(served wait) in total; the
            # others their served wait, work and delay (the stuck share never leaves).
            served = 1.0 - p_ab
            ws = queue.wait_served_mean_hours if queue is not None else wait
            mean_time = ((wait - served * ws)
                         + served * (rt.share_out * (ws + served_work) + rt.after_sum)) / leaving
    if queue is not None and queue.abandon_share is not None and queue.abandon_share > 0.001:
        notes.append(Note(N_("{share_pct} of deals give up waiting: P(win) and visits follow the "
                             "declared shares, the simulator moves those deals by their "
                             "patience"), share_pct=queue.abandon_share))
    if leaving <= 0:
        notes.append(Note(N_("no deal ever leaves this stage")))

    occupancy: float | None = None
    kind: Literal["poisson", "little"] | None = None
    if mean_time is not None and math.isfinite(lam):
        occupancy = lam * leaving * mean_time
        kind = "little" if queue is not None else "poisson"
    stuck_per_hour = lam * stuck if stuck > 0 and lam > 0 else 0.0
    if stuck_per_hour > 0 and math.isfinite(stuck_per_hour):
        notes.append(Note(N_("stuck deals pile up by {per_day:.3g}/day"),
                          per_day=stuck_per_hour * 24))

    # StageExact(...) without the dataclass __init__'s keyword binding and 23 attribute
    # stores (a stage of every pipeline): its fields in declaration order.
    result = _new_object(StageExact)
    _set_attr(result, "__dict__", {
        "pipeline": sc.key[0], "stage": sc.key[1], "key": stage.key, "owner": owner,
        "visits_per_lead": sc.visits_per_lead, "arrivals_per_hour": lam, "p_win": ab.p_win,
        "p_lost": ab.p_lost, "p_stuck": ab.p_stuck, "p_loop": ab.p_loop,
        "stuck_share": stuck, "stuck_per_hour": stuck_per_hour, "work_mean_hours": work,
        "mean_time_hours": mean_time, "mean_time_lower_hours": lower, "queue": queue,
        "queueing": applicability, "occupancy_mean": occupancy, "occupancy_kind": kind,
        "sla_cut": sla_cut, "sla_cut_is_bound": cut_bound, "sla_ends": sla_ends,
        "team_load": team_load.get(owner) if team is not None and owner is not None
        else None,
        "notes": notes,
        "team_capacity": shared.capacity.get(owner) if owner is not None else None})
    return result


# ----------------------------------------------------------------------- money


_ROUNDS = 200
"""Rounds of the give-up fixed point at most: a feed-forward account settles in as many
rounds as it has patience stages in a row; a loop through one converges geometrically."""


def _waits_for_member(funnel: m.FunnelFile, stage: m.Stage) -> m.Team | None:
    """The team a deal at `stage` waits for, when its `patience` can run out there (as
    the simulator: an owner team with work, no cadence); else None."""
    if stage.patience is None or stage.cadence is not None or stage.owner is None:
        return None
    team = funnel.team(stage.owner.value)
    return team if team is not None and _work_mean(stage) > 0 else None


def _give_up_share(funnel: m.FunnelFile, stage: m.Stage, team: m.Team, lam: float,
                   team_stages: dict[str, list[StageKey]]
                   ) -> tuple[float | None, tuple[str, ...] | None]:
    """(share of the stage's entries that give up waiting at arrival rate `lam`, None) or
    (None, why there is no closed form: its reasons, each a `Note`). Deals an `sla` takes from the queue first are
    not counted: they leave by the SLA, which the money follows by the declared shares
    like every other figure."""
    assert stage.patience is not None
    reasons = _closed_form_reasons(funnel, stage, team, lam, team_stages)
    if reasons:
        return None, tuple(reasons)
    if lam <= 0:
        return 0.0, None
    cap = stage.sla.after.hours if stage.sla is not None else None
    pq = _patience_queue(stage.patience.dist, team.size, lam, 1.0 / _work_mean(stage), cap)
    return min(1.0, max(0.0, pq.p_abandon - pq.p_abandon_cap)), None


def _scaled(r: Route, factor: float) -> Route:
    return Route(r.kind, r.share * factor, r.stage, r.reason, r.after, r.copy_to, r.via,
                 r.node)


def _with_give_ups(funnel: m.FunnelFile, flows: Flows, shares: dict[StageKey, float]) -> Flows:
    """The account's routing with a share `p` of each patience stage's deals leaving by
    the patience route before any outcome, the declared routes scaled by 1 − p."""
    stages = dict(flows.stages)
    for key, p in shares.items():
        f = flows.stages[key]
        route = patience_route(funnel, f.pipeline, f.stage)
        if p <= 0 or route is None:
            continue
        stages[key] = StageFlow(f.key, f.pipeline, f.stage, f.index,
                                [*(_scaled(r, 1.0 - p) for r in f.routes), _scaled(route, p)])
    return Flows(flows.funnel, stages, flows.reopens, flows.sources)


def _money_chain(funnel: m.FunnelFile, chain: AccountChain,
                 team_stages: dict[str, list[StageKey]]
                 ) -> tuple[AccountChain, list[GaveUp], list[str]]:
    """The chain with the deals that give up waiting taken out of the declared routing,
    the give-ups, and notes. A stage's give-up share depends on its arrival rate, which
    earlier stages' give-ups lower: the two are solved together by fixed-point rounds
    (share from the rates, rates from the shares) until no share moves."""
    patient = [(k, f.stage, t) for k, f in chain.flows.stages.items()
               if (t := _waits_for_member(funnel, f.stage)) is not None]
    if not patient:
        return chain, [], []
    shares: dict[StageKey, float] = {k: 0.0 for k, _, _ in patient}
    why: dict[StageKey, tuple[str, ...]] = {}
    current = chain
    settled = False
    for _ in range(_ROUNDS):
        new: dict[StageKey, float] = {}
        for key, stage, team in patient:
            share, reason = _give_up_share(funnel, stage, team,
                                           current.stages[key].arrivals_per_hour, team_stages)
            new[key] = share if share is not None else 0.0
            if reason is not None:
                why[key] = reason
        if all(abs(new[k] - shares[k]) <= 1e-15 + 1e-13 * shares[k] for k in shares):
            settled = True
            break
        shares = new
        current = account_chain(funnel, chain.month, _with_give_ups(funnel, chain.flows, shares))
    notes: list[str] = [] if settled else [Note(N_(
        "the give-up shares did not settle in {n} rounds (a loop through a patience stage): "
        "the money uses the last round"), n=_ROUNDS)]
    gave_up = []
    for key, _, _ in patient:
        name = f"{key[0]}.{key[1]}"
        if key in why:
            gave_up.append(GaveUp(name, None, None, "; ".join(why[key])))
            notes.append(Note(N_("{stage}: no closed form for the deals that give up waiting "
                                 "({why}); revenue counts them as if they waited, an upper "
                                 "bound (simulate counts them)"), stage=name, why=why[key]))
        else:
            lam = current.stages[key].arrivals_per_hour
            gave_up.append(GaveUp(name, shares[key], shares[key] * lam * HOURS_PER_MONTH
                                  if shares[key] > 0 else 0.0))
    return current, gave_up, notes


def _source_flows(chain: AccountChain) -> list[SourceFlow]:
    return [SourceFlow(src.name.value, rate, src.value.mean if src.value is not None else None,
                       chain.stages[key].wins_with_copies)
            for src, key, rate in chain.source_rates]


def _month_money(funnel: m.FunnelFile, month: str | None, flows: Flows,
                 team_stages: dict[str, list[StageKey]]) -> MoneyFigures:
    chain = account_chain(funnel, month, flows)
    money_chain, _, _ = _money_chain(funnel, chain, team_stages)
    rates = cost_rates(funnel)
    teams = [(t.name.value, t.size) for t in funnel.teams]
    return period_money(rates, teams, _source_flows(money_chain), HOURS_PER_MONTH)


def _exact_money(funnel: m.FunnelFile, chain: AccountChain,
                 team_stages: dict[str, list[StageKey]], sla_cut: list[str],
                 bounded: bool = False) -> ExactMoney:
    """Expected money per month at the chain's rates and per year. Revenue counts the
    expected booking wins of each source's leads (`wins_with_copies`) once the deals that
    give up waiting are taken out; costs are the file's prices (`analysis.money`)."""
    rates = cost_rates(funnel)
    teams = [(t.name.value, t.size) for t in funnel.teams]
    money_chain, gave_up, notes = _money_chain(funnel, chain, team_stages)
    flows = _source_flows(money_chain)
    per_month = period_money(rates, teams, flows, HOURS_PER_MONTH)
    sources = sources_per_month(rates, flows)
    seasonal = any(s.profile for s in funnel.sources)
    if not seasonal:
        per_year = period_money(rates, teams, flows, 12 * HOURS_PER_MONTH)
        basis = N_("12 months at this rate (no source has a profile)")
    elif any(g.share for g in gave_up):
        per_year = sum_figures(_month_money(funnel, mo, chain.flows, team_stages)
                               for mo in m.MONTHS)
        basis = N_("the twelve months of the sources' profiles, each at its own rate (the "
                   "share that gives up waiting depends on the load)")
    else:
        annual = chain if chain.month is None else account_chain(funnel, None, chain.flows)
        per_year = period_money(rates, teams, _source_flows(annual), 12 * HOURS_PER_MONTH)
        basis = N_("the sources' annual mean rate (their profiles averaged) × 12 months")
    if sla_cut:
        notes.append(Note(N_("deals an SLA takes before their outcome ({stages}) count in "
                             "revenue by the declared shares; simulate moves them by the SLA"),
                          stages=", ".join(sla_cut[:3]) + (", …" if len(sla_cut) > 3 else "")))
    account = funnel.account
    return ExactMoney(
        currency=account.currency.value if account is not None and account.currency else None,
        language=account.language if account is not None else None,
        per_month=per_month, per_year=per_year, year_basis=basis, sources=sources,
        teams=[TeamMoneyExact(name, size, rates.member_per_hour[name] * HOURS_PER_MONTH,
                              rates.team_per_hour(name, size) * HOURS_PER_MONTH)
               for name, size in teams if name in rates.member_per_hour],
        gave_up=gave_up,
        revenue_is_bound=bounded or any(g.share is None for g in gave_up), notes=notes,
        costs_priced=prices_cost(funnel))
