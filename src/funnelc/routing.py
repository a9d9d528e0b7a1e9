"""How deals leave each stage: the one reading of the language's routing semantics that
the exact maths, the simulator, the lint rules and the exporters all share.

A stage's ways out are `Route`s with shares summing to 1:
- each `->` outcome (its share; a lone outcome without a share takes 100 %),
- `stay`: deals nobody moves on; with a stage `sla` they leave by the SLA's target after
  the SLA time, without one they never leave (the graveyard),
- a cadence: replied with probability 1 − Π(1 − p_touch) → `on reply`, else `on exhausted`.
A stage's `patience` is a way out taken before any outcome is drawn (a deal still waiting
for a member when it runs out): its share depends on the queue, so it is no `Route` but an
`Exit` (`exits(stage, patience=True)`) and `patience_route` for the engines.
Reopens turn part of a pipeline's `lost "reason"` flow back into a stage.

`exits(stage)` lists the ways out as written (`Exit`), resolved or not, shares or not:
what the semantic checks and the lint rules read. `Route` is what they mean once
resolved and weighed; the simulator compiles `Route`s into its indexed `RouteSpec`s.

Pure Python and cheap to import: lint runs on the `check` path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from . import model as m

__all__ = ["StageKey", "Exit", "exits", "Route", "StageFlow", "Flows", "build_flows", "cadence_reply_probability",
           "patience_route", "sales_pipelines"]

StageKey = tuple[str, str]
"""(pipeline name, stage name): stable identity of a stage across the account."""


ExitVia = Literal["outcome", "sla", "reply", "exhausted", "patience"]


class Exit(NamedTuple):
    """A way out of a stage as the file writes it: an outcome, the SLA or a cadence route
    (a named tuple: a 20 000-stage file lists 40 000 of them, and a frozen dataclass's
    `__init__` costs three times as much)."""

    node: m.Outcome | m.Sla | m.CadenceRoute | m.Patience
    target: m.Target
    copy_to: m.Copy | None
    via: ExitVia


def exits(stage: m.Stage, *, patience: bool = False) -> Iterator[Exit]:
    """Every way out `stage` declares, in the order written: outcomes, the SLA, (with
    `patience=True`) the patience route, the cadence's `on reply` and `on exhausted`.
    Unlike `stage_routes`, an `sla` is listed even without `stay` (in the CRM it fires for
    any deal that lingers, whatever the shares say) and references are not resolved (the
    checks report those). The patience route is asked for by name: readers written before
    it existed (the lint rules) see the ways out they know."""
    for out in stage.outcomes:
        yield Exit(out, out.target, out.copy_to, "outcome")
    if stage.sla is not None:
        yield Exit(stage.sla, stage.sla.target, stage.sla.copy_to, "sla")
    if patience and stage.patience is not None:
        yield Exit(stage.patience, stage.patience.target, stage.patience.copy_to, "patience")
    cadence = stage.cadence
    if cadence is not None:
        if cadence.on_reply is not None:
            yield Exit(cadence.on_reply, cadence.on_reply.target, cadence.on_reply.copy_to,
                       "reply")
        if cadence.on_exhausted is not None:
            yield Exit(cadence.on_exhausted, cadence.on_exhausted.target,
                       cadence.on_exhausted.copy_to, "exhausted")


RouteKind = Literal["stage", "won", "lost", "stuck"]
Via = Literal["outcome", "stay", "sla", "reply", "exhausted", "patience"]


@dataclass(frozen=True, init=False)
class Route:
    kind: RouteKind
    share: float
    stage: StageKey | None = None
    reason: str | None = None
    after: m.Dist | None = None
    copy_to: StageKey | None = None
    via: Via = "outcome"
    """What produces this route: an outcome, an SLA taking the stay share, a cadence."""
    node: m.Node | None = None
    """The model node the route comes from, for diagnostics."""

    def __init__(self, kind: RouteKind, share: float, stage: StageKey | None = None,
                 reason: str | None = None, after: m.Dist | None = None,
                 copy_to: StageKey | None = None, via: Via = "outcome",
                 node: m.Node | None = None) -> None:
        # The dataclass's own frozen __init__ sets each field through
        # `object.__setattr__`; one dict is a third faster (a route per outcome).
        _set_attr(self, "__dict__", {"kind": kind, "share": share, "stage": stage,
                                     "reason": reason, "after": after, "copy_to": copy_to,
                                     "via": via, "node": node})


_set_attr = object.__setattr__
_new_object = object.__new__


def _new_route(kind: RouteKind, share: float, stage: StageKey | None, reason: str | None,
               after: m.Dist | None, copy_to: StageKey | None, via: Via,
               node: m.Node | None) -> Route:
    """`Route(...)` with every field given, without the class call's dispatch to
    `__init__` (`build_flows` makes a route per outcome of every stage, on every
    `analyze` and export)."""
    obj = _new_object(Route)
    _set_attr(obj, "__dict__", {"kind": kind, "share": share, "stage": stage, "reason": reason,
                                "after": after, "copy_to": copy_to, "via": via, "node": node})
    return obj


@dataclass
class StageFlow:
    key: StageKey
    pipeline: m.Pipeline
    stage: m.Stage
    index: int
    """Position of the stage in its pipeline (0-based), as the author ordered them."""
    routes: list[Route] = field(default_factory=list)


@dataclass
class Flows:
    """All stages of an account with their routes, plus the reopen and source inflows."""

    funnel: m.FunnelFile
    stages: dict[StageKey, StageFlow]
    reopens: dict[tuple[str, str], list[tuple[m.Reopen, StageKey]]]
    """(pipeline, lost reason) → reopens bringing part of that reason's flow back."""
    sources: list[tuple[m.Source, StageKey]]

    def __iter__(self) -> Iterator[StageFlow]:
        return iter(self.stages.values())

    def pipeline_stages(self, pipeline: str) -> list[StageFlow]:
        return [f for f in self.stages.values() if f.key[0] == pipeline]


def cadence_reply_probability(cadence: m.Cadence) -> float:
    """Chance that at least one touch gets a reply (touches are independent)."""
    miss = 1.0
    for touch in cadence.touches:
        miss *= 1.0 - touch.reply.value
    return 1.0 - miss


def _key(funnel: m.FunnelFile, ref: m.StageRef, home: m.Pipeline) -> StageKey | None:
    found = funnel.resolve(ref, home)
    if found is None:
        return None
    return (found[0].name.value, found[1].name.value)


class _Keys:
    """`_key` for one `build_flows` call: a reference without a pipeline (almost all of
    them) is looked up in its home pipeline's table of keys, made once per pipeline, instead
    of going through `FunnelFile.resolve` and making its key tuple for every route. The
    table is resolve's own reading (the first stage of a name wins), so the keys are equal."""

    __slots__ = ("tables",)

    def __init__(self) -> None:
        self.tables: dict[int, dict[str, StageKey]] = {}

    def table(self, pipe: m.Pipeline) -> dict[str, StageKey]:
        found = self.tables.get(id(pipe))
        if found is None:
            found = self.tables[id(pipe)] = {}
            name = pipe.name.value
            for st in pipe.stages:
                stage = st.name.value
                if stage not in found:
                    found[stage] = (name, stage)
        return found

    def __call__(self, funnel: m.FunnelFile, ref: m.StageRef, home: m.Pipeline
                 ) -> StageKey | None:
        if ref.pipeline is None:
            table = self.tables.get(id(home))
            return (table if table is not None else self.table(home)).get(ref.stage.value)
        return _key(funnel, ref, home)


def _route(funnel: m.FunnelFile, target: m.Target, home: m.Pipeline, share: float,
           after: m.Dist | None, copy: m.Copy | None, via: str, node: m.Node,
           key: Callable[[m.FunnelFile, m.StageRef, m.Pipeline], StageKey | None] = _key
           ) -> Route | None:
    copy_key = key(funnel, copy.ref, home) if copy is not None else None
    # Positional arguments, kind read off the target: a route per outcome of every stage
    # (build_flows runs inside account_chain, on every `check`).
    kind = target.kind
    if kind == "won":
        return _new_route("won", share, None, None, after, copy_key, via, node)  # type: ignore[arg-type]
    if kind == "lost":
        return _new_route("lost", share, None, target.reason.value,  # type: ignore[union-attr]
                          after, copy_key, via, node)  # type: ignore[arg-type]
    stage = key(funnel, target.ref, home)  # type: ignore[union-attr]
    if stage is None:
        return None
    return _new_route("stage", share, stage, None, after, copy_key, via, node)  # type: ignore[arg-type]


def _sla_dist(sla: m.Sla) -> m.Dist:
    """The SLA's delay as a distribution, made without validation: its fields are the SLA
    duration's own, already the types a `Quantity` and a `Dist` hold
    (`m.trusted_fixed_duration` makes the object validation would); a stay share with an
    SLA makes one per stage."""
    after = sla.after
    return m.trusted_fixed_duration(after.span, float(after.hours), after.text)


def stage_routes(funnel: m.FunnelFile, pipeline: m.Pipeline, stage: m.Stage,
                 key: Callable[[m.FunnelFile, m.StageRef, m.Pipeline], StageKey | None] = _key
                 ) -> list[Route]:
    """The ways out of one stage. References that do not resolve are skipped: the
    semantic checks report them, and nothing downstream runs on a file with errors.
    `key`: how references become stage keys (`build_flows` passes its `_Keys`)."""
    routes: list[Route] = []
    if stage.cadence is not None:
        p_reply = cadence_reply_probability(stage.cadence)
        for via, route, share in (("reply", stage.cadence.on_reply, p_reply),
                                  ("exhausted", stage.cadence.on_exhausted, 1.0 - p_reply)):
            if route is None or share <= 0.0:
                continue
            r = _route(funnel, route.target, pipeline, share, None, route.copy_to, via, route,
                       key)
            if r is not None:
                routes.append(r)
        return routes
    lone = len(stage.outcomes) == 1 and stage.stay is None
    for out in stage.outcomes:
        share = out.share.value if out.share is not None else (1.0 if lone else 0.0)
        r = _route(funnel, out.target, pipeline, share, out.after, out.copy_to, "outcome", out,
                   key)
        if r is not None:
            routes.append(r)
    if stage.stay is not None and stage.stay.value > 0:
        if stage.sla is not None:
            r = _route(funnel, stage.sla.target, pipeline, stage.stay.value, _sla_dist(stage.sla),
                       stage.sla.copy_to, "sla", stage.sla, key)
            if r is not None:
                routes.append(r)
        else:
            routes.append(Route("stuck", stage.stay.value, via="stay", node=stage.stay))
    return routes


def patience_route(funnel: m.FunnelFile, pipeline: m.Pipeline, stage: m.Stage) -> Route | None:
    """Where a deal goes when its patience runs out in the queue (share 1: the share of
    deals that take it depends on the queue, which only the queueing maths and the
    simulator know); None without `patience` or when the target does not resolve."""
    p = stage.patience
    if p is None:
        return None
    return _route(funnel, p.target, pipeline, 1.0, None, p.copy_to, "patience", p)


def sales_pipelines(funnel: m.FunnelFile) -> frozenset[str] | None:
    """Where revenue is booked, one reading for the exact maths and the simulator.

    An account that declares pipelines of purpose `sales` books revenue at every win in
    them, `then copy` or not (a sale handed to production is still a sale; a repeat order
    copied back into sales and won again is a new sale), and at no win elsewhere (a
    nurture or qualification win handed to sales is a handoff, a production, delivery or
    claims win after the sale is fulfilment): the names of those pipelines. None when no
    pipeline says it sells: then revenue is booked once per copy chain, at its final win
    (a win without a further `then copy`)."""
    names = frozenset(p.name.value for p in funnel.pipelines if p.purpose == m.Purpose.sales)
    return names or None


def build_flows(funnel: m.FunnelFile) -> Flows:
    keys = _Keys()
    stages: dict[StageKey, StageFlow] = {}
    for pipe in funnel.pipelines:
        for i, stage in enumerate(pipe.stages):
            key = (pipe.name.value, stage.name.value)
            if key in stages:
                continue
            stages[key] = StageFlow(key, pipe, stage, i, stage_routes(funnel, pipe, stage, keys))
    reopens: dict[tuple[str, str], list[tuple[m.Reopen, StageKey]]] = {}
    for pipe in funnel.pipelines:
        for ro in pipe.reopens:
            target = keys(funnel, ro.target, pipe)
            if target is not None:
                reopens.setdefault((pipe.name.value, ro.reason.value), []).append((ro, target))
    sources: list[tuple[m.Source, StageKey]] = []
    for src in funnel.sources:
        found = funnel.resolve(src.target, None)
        if found is not None:
            sources.append((src, (found[0].name.value, found[1].name.value)))
    return Flows(funnel, stages, reopens, sources)
