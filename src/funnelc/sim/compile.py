"""Model → flat engine tables.

The engine never walks the pydantic model: stages, teams, sources and pipelines become
numbered specs here, every reference is resolved to an index, and the ways out of each
stage come from `funnelc.routing` (the one shared reading of routing semantics). The
result is plain picklable data, so worker processes can receive it as is.

Files that reach this point have passed the semantic checks; the few problems that would
still make a run meaningless (an unresolved name, shares not adding up) are reported as
FN290 diagnostics instead of being guessed around.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from .. import codes, routing
from .. import model as m
from ..analysis.money import CostRates, cost_rates, has_money
from ..diagnostics import Diagnostic, Severity
from ..span import Span

__all__ = [
    "RouteSpec", "CadenceSpec", "StageSpec", "TeamSpec", "SourceSpec", "ReopenSpec",
    "PipelineSpec", "Network", "CompileError", "compile_network",
]

RouteKind = Literal["stage", "won", "lost", "stay"]


@dataclass(frozen=True)
class RouteSpec:
    """A `routing.Route` compiled for the engine (`_Compiler.route`): stage indices
    instead of names, the SLA's stay share as a `stay` route. Made only from
    `routing.Route`s, so the engine reads the routing semantics the maths and the lint
    read. `stay` routes never move the deal (only an SLA can)."""

    kind: RouteKind
    share: float
    via: str
    """"outcome", "stay", "reply" or "exhausted" (cadence), "sla" (the timeout action)."""
    stage: int = -1
    reason: str | None = None
    after: m.Dist | None = None
    copy_to: int = -1

    def label(self, stages: list[StageSpec]) -> str:
        """How the route reads in tables: `-> Stage`, `won`, `lost "reason"`, `stay`."""
        if self.kind == "stage":
            text = f"-> {stages[self.stage].name}"
        elif self.kind == "lost":
            text = f'lost "{self.reason}"'
        else:
            text = self.kind
        if self.copy_to >= 0:
            s = stages[self.copy_to]
            text += f" + copy {s.pipeline_name}.{s.name}"
        return text


@dataclass(frozen=True)
class CadenceSpec:
    offsets: tuple[float, ...]
    """Hours after stage entry at which each touch is due (non-decreasing)."""
    reply: tuple[float, ...]
    """Reply chance of each touch."""
    work: tuple[m.Dist | None, ...]
    """Member time of each touch (its own `work` or the stage's); None: no member needed."""
    on_reply: int
    """Index into the stage's routes (a `stay` route when the cadence has no `on reply`)."""
    on_exhausted: int
    channels: tuple[str, ...] = ()
    """Each touch's channel (`call`, `sms` …), for the sentences that name a touch."""


@dataclass(frozen=True)
class StageSpec:
    index: int
    pipeline: int
    pipeline_name: str
    name: str
    key: bool
    position: int
    """0-based position in its pipeline, as the author ordered the stages."""
    team: int
    """Owner team index when the deal queues for a member here, else -1."""
    owner: str | None
    work: m.Dist | None
    routes: tuple[RouteSpec, ...]
    """Outcomes (and the `stay` share) for the outcome draw; a cadence's two routes."""
    sla_hours: float | None
    sla_route: RouteSpec | None
    respond_hours: float | None
    cadence: CadenceSpec | None
    has_stay: bool
    """Part of the deals nobody moves on (`stay`, or a stage without any way out)."""
    patience: m.Dist | None = None
    """The stage's `patience`: a deal still queued for a member this long after entry
    (drawn per deal) leaves by `patience_route`. Only on stages that queue (`team >= 0`)
    without a cadence."""
    patience_route: RouteSpec | None = None

    @property
    def queue_rank(self) -> int:
        """Priority under `queue key-first`: key stages first, then later stages first."""
        return (0 if self.key else 1) * 1_000_000 - self.position


@dataclass(frozen=True)
class TeamSpec:
    index: int
    name: str
    size: int
    hours: m.Hours | None
    """The team's own hours, else the account's, else None (around the clock)."""


@dataclass(frozen=True)
class SourceSpec:
    name: str
    per_hour: float
    profile: tuple[float, ...]
    """Rate multiplier for each calendar month, January first (1.0 when not listed)."""
    stage: int
    value: m.Dist | None


@dataclass(frozen=True)
class ReopenSpec:
    share: float
    after: m.Dist | None
    stage: int


@dataclass(frozen=True)
class PipelineSpec:
    index: int
    name: str
    style: str | None
    stages: tuple[int, ...]
    reopens: dict[str, tuple[ReopenSpec, ...]] = field(default_factory=dict)
    """Lost reason → reopens that bring part of those deals back."""
    books: bool | None = None
    """Which of its wins book revenue (`routing.sales_pipelines`, as `analysis.markov`):
    None, the chain rule (a win that does not hand the deal on with `then copy`); True,
    every win (a `sales` pipeline of an account that declares one); False, none."""


@dataclass(frozen=True)
class Network:
    path: str
    stages: tuple[StageSpec, ...]
    teams: tuple[TeamSpec, ...]
    sources: tuple[SourceSpec, ...]
    pipelines: tuple[PipelineSpec, ...]
    account_hours: m.Hours | None
    """Calendar in which SLA and respond limits count (None: plain hours)."""
    key_first: bool
    prices: CostRates | None = None
    """What members, leads and budgets cost (`analysis.money`), so a replication's money
    can be formed from the network alone (what-if metrics); None when the file names no
    value, cost or budget."""


class CompileError(Exception):
    """The file cannot be simulated; carries the diagnostics that say why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


_SHARE_TOLERANCE = 1e-6


class _Compiler:
    def __init__(self, funnel: m.FunnelFile) -> None:
        self.funnel = funnel
        self.flows = routing.build_flows(funnel)
        self.sales = routing.sales_pipelines(funnel)
        self.index: dict[routing.StageKey, int] = {k: i for i, k in enumerate(self.flows.stages)}
        self.team_index = {t.name.value: i for i, t in enumerate(funnel.teams)}
        self.problems: list[Diagnostic] = []

    def problem(self, message: str, span: Span | None, label: str = "", help: str | None = None
                ) -> None:
        self.problems.append(Diagnostic(codes.FN290, Severity.error, f"cannot simulate: {message}",
                                        self.funnel.path, span, label, help=help))

    def stage_of(self, ref: m.StageRef, home: m.Pipeline | None) -> int:
        found = self.funnel.resolve(ref, home)
        if found is None:
            self.problem(f"stage {ref.display()} does not exist", ref.span, "unknown stage")
            return -1
        return self.index[(found[0].name.value, found[1].name.value)]

    def route(self, r: routing.Route, via: str) -> RouteSpec:
        return RouteSpec(
            kind="stay" if r.kind == "stuck" else r.kind, share=r.share, via=via,
            stage=self.index[r.stage] if r.stage is not None else -1, reason=r.reason,
            after=r.after if via != "stay" else None,
            copy_to=self.index[r.copy_to] if r.copy_to is not None else -1)

    def target_route(self, pipe: m.Pipeline, target: m.Target, copy: m.Copy | None, via: str,
                     node: m.Node) -> RouteSpec | None:
        if isinstance(target, m.StageTarget):
            self.stage_of(target.ref, pipe)
        if copy is not None:
            self.stage_of(copy.ref, pipe)
        r = routing._route(self.funnel, target, pipe, 1.0, None, copy, via, node)  # noqa: SLF001
        return self.route(r, via) if r is not None else None

    def stage(self, flow: routing.StageFlow) -> StageSpec:
        pipe, st = flow.pipeline, flow.stage
        team = -1
        if st.owner is not None:
            team = self.team_index.get(st.owner.value, -1)
            if team < 0:
                self.problem(f"team `{st.owner.value}` does not exist", st.owner.span,
                             "unknown team")
        sla_route = None
        if st.sla is not None:
            sla_route = self.target_route(pipe, st.sla.target, st.sla.copy_to, "sla", st.sla)
        patience_route = None
        if st.patience is not None:
            patience_route = self.target_route(pipe, st.patience.target, st.patience.copy_to,
                                               "patience", st.patience)
        routes: list[RouteSpec] = []
        cadence = None
        if st.cadence is not None:
            cad = st.cadence
            idx = {"reply": -1, "exhausted": -1}
            for via, cr in (("reply", cad.on_reply), ("exhausted", cad.on_exhausted)):
                found = None
                if cr is not None:
                    found = self.target_route(pipe, cr.target, cr.copy_to, via, cr)
                # Without `on reply` / `on exhausted` the deal simply stays in the stage.
                p_reply = routing.cadence_reply_probability(cad)
                share = p_reply if via == "reply" else 1.0 - p_reply
                idx[via] = len(routes)
                routes.append(replace(found, share=share) if found is not None
                              else RouteSpec(kind="stay", share=share, via=via))
            cadence = CadenceSpec(
                offsets=tuple(t.offset.hours if t.offset is not None else 0.0
                              for t in cad.touches),
                reply=tuple(t.reply.value for t in cad.touches),
                work=tuple(t.work if t.work is not None else st.work for t in cad.touches),
                on_reply=idx["reply"], on_exhausted=idx["exhausted"],
                channels=tuple(t.channel.value for t in cad.touches))
        else:
            for out in st.outcomes:
                if isinstance(out.target, m.StageTarget):
                    self.stage_of(out.target.ref, pipe)
                if out.copy_to is not None:
                    self.stage_of(out.copy_to.ref, pipe)
            for r in flow.routes:
                if r.via in ("stay", "sla"):  # the stay share; the SLA is handled apart
                    routes.append(RouteSpec(kind="stay", share=r.share, via="stay"))
                else:
                    routes.append(self.route(r, "outcome"))
            total = sum(r.share for r in routes)
            if not routes:
                routes.append(RouteSpec(kind="stay", share=1.0, via="stay"))
            elif abs(total - 1.0) > _SHARE_TOLERANCE:
                self.problem(f"shares of stage `{st.name.value}` add up to "
                             f"{total * 100:g}% instead of 100%", st.name.span,
                             "in this stage", help="make the outcome shares and `stay` add up "
                             "to exactly 100%")
        has_stay = any(r.kind == "stay" for r in routes)
        queues = team >= 0 and (st.work is not None or cadence is not None)
        waits = queues and cadence is None and patience_route is not None
        return StageSpec(
            index=self.index[flow.key], pipeline=self.funnel.pipelines.index(pipe),
            pipeline_name=pipe.name.value, name=st.name.value, key=st.key, position=flow.index,
            team=team if queues else -1,
            owner=st.owner.value if st.owner is not None else None, work=st.work,
            routes=tuple(routes), sla_hours=st.sla.after.hours if st.sla is not None else None,
            sla_route=sla_route,
            respond_hours=st.respond.hours if st.respond is not None else None,
            cadence=cadence, has_stay=has_stay,
            patience=st.patience.dist if waits and st.patience is not None else None,
            patience_route=patience_route if waits else None)

    def pipeline(self, i: int, pipe: m.Pipeline) -> PipelineSpec:
        reopens: dict[str, list[ReopenSpec]] = {}
        for ro in pipe.reopens:
            target = self.stage_of(ro.target, pipe)
            if target >= 0:
                reopens.setdefault(ro.reason.value, []).append(
                    ReopenSpec(ro.share.value, ro.after, target))
        stages = tuple(self.index[(pipe.name.value, s.name.value)] for s in pipe.stages
                       if (pipe.name.value, s.name.value) in self.index
                       and self.flows.stages[(pipe.name.value, s.name.value)].pipeline is pipe)
        return PipelineSpec(i, pipe.name.value, pipe.style.value if pipe.style else None,
                            stages, {k: tuple(v) for k, v in reopens.items()},
                            None if self.sales is None else pipe.name.value in self.sales)

    def source(self, src: m.Source) -> SourceSpec | None:
        target = self.stage_of(src.target, None)
        profile = [1.0] * 12
        for ms in src.profile:
            profile[m.MONTHS.index(ms.month)] = ms.share.value
        return SourceSpec(src.name.value, src.rate.per_hour, tuple(profile), target, src.value)

    def compile(self) -> Network:
        stages = tuple(self.stage(f) for f in self.flows)
        account = self.funnel.account
        teams = tuple(TeamSpec(i, t.name.value, t.size,
                               t.hours if t.hours is not None else
                               (account.hours if account is not None else None))
                      for i, t in enumerate(self.funnel.teams))
        sources = tuple(s for s in (self.source(src) for src in self.funnel.sources)
                        if s is not None and s.stage >= 0)
        pipelines = tuple(self.pipeline(i, p) for i, p in enumerate(self.funnel.pipelines))
        if self.problems:
            raise CompileError(self.problems)
        return Network(
            path=self.funnel.path, stages=stages, teams=teams, sources=sources,
            pipelines=pipelines, account_hours=account.hours if account is not None else None,
            key_first=account is not None and account.queue is m.QueuePolicy.key_first,
            prices=cost_rates(self.funnel) if has_money(self.funnel) else None)


def compile_network(funnel: m.FunnelFile) -> Network:
    """Flatten a checked model into engine tables; raises CompileError when it cannot run."""
    return _Compiler(funnel).compile()
