"""Where the staffing search starts: the exact answer where a closed form describes the
team — Erlang C (M/M/c) or M/M/c+D (with an SLA) for a respond target, Erlang A
(M/M/c+M) for an abandon target, when the team serves that one stage with exponential
work (and, for abandon, exponential patience) around the clock; the offered load for a
utilization target; for a respond target no closed form describes, the approximation of
`staffing_approx` (the team's calendar and queue priorities); otherwise the smallest
stable size (offered load < 1) — and the
exact curve drawn beside the simulated one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

from .. import model as m
from ..sim.compile import Network

if TYPE_CHECKING:
    from ..analysis.exact import AccountExact
from .targets import Target

__all__ = ["ExactStart", "StageWork", "StartReason", "exact_start", "exact_value"]

StartKind = Literal["load", "closed-form", "no-closed-form", "stable", "calendar",
                    "one-below"]


@dataclass(frozen=True)
class StartReason:
    """Why the search starts where it does, for one target (data; `staff_why` says it in
    the output's language)."""

    kind: StartKind
    """load: the offered load for a utilization target; closed-form: Erlang C, M/M/c+D or
    Erlang A (`model`); no-closed-form: none describes the team, the stable size;
    stable: the smallest stable size; calendar: `staffing_approx`'s estimate;
    one-below: the search starts one below the largest estimate (`size`)."""
    target: str
    size: int
    model: str | None = None
    load: float | None = None
    """Offered load in members' worth (load; calendar: over the open hours)."""
    lam: float | None = None
    mu: float | None = None
    theta: float | None = None
    open_hours: float | None = None
    """calendar: the team's open hours a week."""
    inside: float | None = None
    """calendar: share of the deals arriving while the team is open."""
    clocks_in_hours: bool = False
    """calendar: the deals arriving while closed start their clocks at the opening."""
    abandon: bool = False
    """no-closed-form for an abandon target (patience may be what is not exponential)."""


@dataclass(frozen=True)
class ExactStart:
    start: int
    reasons: tuple[StartReason, ...]
    answers: tuple[int | None, ...]
    """Per target, the exact smallest size when a closed form applies, else None."""
    model: str | None
    """"Erlang C (M/M/c)", "M/M/c+D", "Erlang A (M/M/c+M)" or None."""
    curve: tuple[tuple[str, float, float, float, float | None] | None, ...]
    """Per target, what the exact curve needs: (kind, lam, mu, t, D) or None; for
    "abandon", t is the patience rate θ."""
    busy: float
    week: float
    closed_form_start: int = 0
    """The start from the closed forms and the stable size alone, without the calendar
    approximation (`staffing_approx`): what the search started from before it, kept for
    the benchmark's reference search."""
    stages: tuple[StageWork, ...] = ()
    """The team's stages with the work the exact flows send them: what the offered load
    counts, to set beside what the runs brought (`staff_inflow`)."""
    starved_by: tuple[tuple[str, float], ...] = ()
    """Other teams that cannot keep up (load ≥ 1, `AccountExact.unstable_teams`) and own
    a stage from which deals reach the team's: (name, load). The deals piling up in
    their queues never come, so fewer reach the team than its offered load counts."""
    capacity: float = 1.0
    """The load the team keeps up below (`TeamExact.capacity`: its working hours plus the
    work finished after closing; 1 around the clock). It does not depend on the size."""
    unbounded: tuple[str, ...] = ()
    """The team's stages with neither an SLA nor a `patience`: nothing takes a waiting
    deal out of their queue, so where the team cannot keep up it grows without bound."""

    def load_at(self, c: int) -> float:
        """The team's load at size `c`: the share of its working time the work needs."""
        return self.busy * 168.0 / (c * self.week) if c > 0 and self.week > 0 else math.inf

    def keeps_up(self, c: int) -> bool:
        """False where the exact maths say the team cannot keep up at size `c` (load ≥
        capacity) and a stage of its has nothing taking waiting deals out of the queue:
        simulate's `unstable-team` verdict. Its queue then grows for as long as a run
        lasts, so what a run measures there (a respond share, a wait) only says how long
        the run was, and no target counts as met."""
        return not self.unbounded or self.load_at(c) < self.capacity


class StageWork(NamedTuple):
    at: int
    """The stage's index in the network (`RepStats.stages`)."""
    pipeline: int
    """Its pipeline's index (`RepStats.pipelines`)."""
    pipeline_name: str
    stage: str
    arrivals_per_hour: float
    """Exact visits per hour."""
    work_hours: float
    """Mean work per visit (member-hours)."""

    @property
    def work_per_hour(self) -> float:
        """Member-hours of work sent per hour: the stage's part of the offered load."""
        return self.arrivals_per_hour * self.work_hours


def _starved_by(model: m.FunnelFile, acct: AccountExact, team: str
                ) -> tuple[tuple[str, float], ...]:
    """The unstable teams upstream of `team`: owning a stage from which a route (or a
    copy) leads, in any number of steps, to a stage of `team`."""
    from ..routing import build_flows

    unstable = [t for t in acct.unstable_teams() if t != team]
    if not unstable:
        return ()
    flows = build_flows(model)
    owner = {(s.pipeline, s.stage): s.owner for p in acct.pipelines for s in p.stages}
    nxt: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for f in flows:
        nxt[f.key] = {k for r in f.routes for k in (r.stage, r.copy_to) if k is not None}
    out = []
    for name in unstable:
        todo = [k for k, o in owner.items() if o == name]
        seen = set(todo)
        while todo:
            for k in nxt.get(todo.pop(), ()):
                if k not in seen:
                    seen.add(k)
                    todo.append(k)
        if any(owner.get(k) == team for k in seen):
            out.append((name, acct.team(name).load))
    return tuple(out)


def exact_value(spec: tuple[str, float, float, float, float | None] | None, c: int,
                 busy: float, week: float) -> float | None:
    from ..analysis import queueing as q
    from ..analysis.exact import mmcd_wait_tail

    if spec is None:
        return None
    kind, lam, mu, t, d = spec
    if kind == "load":
        return busy * 168.0 / (c * week) if c > 0 and week > 0 else None
    try:
        if kind == "abandon":
            return q.erlang_a(c, lam, mu, t).p_abandon
        if d is None:
            if c * mu <= lam:
                return 0.0
            return 1.0 - q.mmc_wait_tail(c, lam, mu, t)
        return 1.0 - mmcd_wait_tail(c, lam, mu, d, t)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None


def exact_start(model: m.FunnelFile, net: Network, team: str, targets: list[Target]
                ) -> ExactStart:
    """Where to start: per target, the exact answer where a closed form describes it,
    else the smallest stable size; the start is the largest (every target must hold)."""
    from ..analysis import queueing as q
    from ..analysis.exact import analyze_account
    from .staffing_approx import calendar_respond_start

    acct = analyze_account(model)
    tx = acct.team(team)
    busy, week = tx.busy_mean, tx.working_hours_per_week
    load_one = busy * 168.0 / week if week > 0 else math.inf  # load of a one-member team
    stable = max(1, math.floor(load_one) + 1) if math.isfinite(load_one) else 1
    team_node = model.team(team)
    around_clock = (team_node is not None and team_node.hours is None
                    and (model.account is None or model.account.hours is None))
    answers: list[int | None] = []
    curve: list[tuple[str, float, float, float, float | None] | None] = []
    label: str | None = None
    whys: list[StartReason] = []
    start = 1
    approximate = 1
    for t in targets:
        want = t.text.strip()
        c = stable
        answer: int | None = None
        spec: tuple[str, float, float, float, float | None] | None = None
        if t.kind == "utilization":
            spec = ("load", 0.0, 0.0, 0.0, None)
            if math.isfinite(load_one):
                c = max(1, math.ceil(load_one / t.threshold - 1e-9))
                if t.strict and load_one / c >= t.threshold:
                    c += 1
            why = StartReason("load", want, c, load=load_one)
        elif t.kind == "respond" and len(t.stages) == 1 and len(tx.stages) == 1:
            sp = net.stages[t.stages[0]]
            node = model.pipeline(sp.pipeline_name)
            stage = next((s for s in node.stages if s.name.value == sp.name), None) \
                if node is not None else None
            lam = acct.stage(sp.pipeline_name, sp.name).arrivals_per_hour
            if (stage is not None and stage.cadence is None and stage.work is not None
                    and stage.work.kind == "exp" and stage.patience is None and around_clock and math.isfinite(lam)
                    and lam > 0 and t.hours is not None
                    and tx.stages[0] == f"{sp.pipeline_name}.{sp.name}"):
                mu = 1.0 / stage.work.mean
                d = stage.sla.after.hours if stage.sla is not None else None
                if d is None:
                    c = q.smallest_c_for_wait_tail(lam, mu, t.hours, t.threshold)
                    label = "Erlang C (M/M/c)"
                else:
                    c = 1
                    while 1.0 - _mmcd_tail(c, lam, mu, d, t.hours) < t.threshold and c < 10_000:
                        c += 1
                    label = "M/M/c+D"
                answer = c
                spec = ("wait", lam, mu, t.hours, d)
                why = StartReason("closed-form", want, c, model=label, lam=lam, mu=mu)
            else:
                why = StartReason("no-closed-form", want, stable)
        elif t.kind == "abandon":
            erlang = _erlang_a_start(model, net, t, tx.stages, around_clock, acct)
            if erlang is not None:
                c, spec = erlang
                answer = c
                label = "Erlang A (M/M/c+M)"
                _, lam, mu, theta, _ = spec
                why = StartReason("closed-form", want, c, model=label, lam=lam, mu=mu,
                                  theta=theta)
            else:
                # Patience keeps any size stable: start at 1 when the team is overloaded
                # by design, else from the stable size (abandonment then falls fast).
                why = StartReason("no-closed-form", want, stable, abandon=True)
        else:
            why = StartReason("stable", want, stable)
        if t.kind == "respond" and answer is None:
            approx = calendar_respond_start(net, acct, team, t, stable)
            if approx is not None:
                approximate = max(approximate, approx[0])
                why = approx[1]
        answers.append(answer)
        curve.append(spec)
        whys.append(why)
        start = max(start, c)
    if approximate > start:
        # The search needs the answer and the size below it either way: from one below an
        # estimate that is right it costs the same, from one that is one too high a size
        # less.
        whys.append(StartReason("one-below", "", approximate - 1))
    stages = tuple(
        StageWork(sp.index, sp.pipeline, sp.pipeline_name, sp.name,
                  x.arrivals_per_hour, x.work_mean_hours)
        for sp in net.stages
        if f"{sp.pipeline_name}.{sp.name}" in tx.stages
        for x in (acct.stage(sp.pipeline_name, sp.name),)
        if x.work_mean_hours is not None and math.isfinite(x.arrivals_per_hour))
    return ExactStart(start=max(start, approximate - 1), reasons=tuple(whys),
                      answers=tuple(answers), model=label, curve=tuple(curve), busy=busy,
                      week=week, closed_form_start=start, stages=stages,
                      starved_by=_starved_by(model, acct, team), capacity=tx.capacity,
                      unbounded=tuple(f"{sp.pipeline_name}.{sp.name}" for sp in net.stages
                                      if f"{sp.pipeline_name}.{sp.name}" in tx.stages
                                      and sp.sla_hours is None and sp.patience is None))


def _erlang_a_start(model: m.FunnelFile, net: Network, t: Target, team_stages: list[str],
                    around_clock: bool, acct: AccountExact
                    ) -> tuple[int, tuple[str, float, float, float, float | None]] | None:
    """The exact smallest size for an abandon target by Erlang A (M/M/c+M), where it
    describes the team: one stage, exponential work and patience, no cadence, no SLA
    (which would also pull deals out of the queue), around the clock; else None."""
    from ..analysis import queueing as q

    if len(t.stages) != 1 or len(team_stages) != 1 or not around_clock:
        return None
    sp = net.stages[t.stages[0]]
    if team_stages[0] != f"{sp.pipeline_name}.{sp.name}":
        return None
    node = model.pipeline(sp.pipeline_name)
    stage = next((s for s in node.stages if s.name.value == sp.name), None) \
        if node is not None else None
    if (stage is None or stage.cadence is not None or stage.work is None
            or stage.work.kind != "exp" or stage.sla is not None or stage.patience is None
            or stage.patience.dist.kind != "exp"):
        return None
    lam = acct.stage(sp.pipeline_name, sp.name).arrivals_per_hour
    if not (math.isfinite(lam) and lam > 0):
        return None
    mu, theta = 1.0 / stage.work.mean, 1.0 / stage.patience.dist.mean
    c = 1
    while q.erlang_a(c, lam, mu, theta).p_abandon > t.threshold + 1e-12 and c < 10_000:
        c += 1
    if t.strict:
        while q.erlang_a(c, lam, mu, theta).p_abandon >= t.threshold and c < 10_000:
            c += 1
    return c, ("abandon", lam, mu, theta, None)


def _mmcd_tail(c: int, lam: float, mu: float, d: float, t: float) -> float:
    from ..analysis.exact import mmcd_wait_tail

    return mmcd_wait_tail(c, lam, mu, d, t)
