"""The order of each pipeline's stages, and which moves between them are expected.

Three sources, best first:
- a funnel file (`--funnel`): the stages in the order the file declares them, and the
  moves its routes declare (`funnelc.routing.build_flows`, the one reading of routing:
  outcomes, SLA routes, cadence replies and exhaustion, copies). A move is judged only
  against those routes: a declared move back (a re-qualification loop) is no problem,
  an undeclared one is;
- the CRM's own order (amoCRM `sort`, Bitrix24 `SORT`, a CSV's `SortOrder`:
  `read_csv.crm_order`) when the export carries it;
- the data alone: inferred from the moves deals made (`infer_order`), and said so.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .. import model as m

__all__ = ["OrderSource", "Move", "FunnelRoutes", "StageOrder", "funnel_routes", "week_hours",
           "infer_order", "MAIN_EDGE_SHARE"]

OrderSource = Literal["funnel", "crm", "data", "deal_list"]

Move = tuple[str, str, str, str]
"""(pipeline, stage, to pipeline, to stage)."""

MAIN_EDGE_SHARE = 0.02
"""When the order is inferred, a transition carrying less than this share of a stage's
moves to other stages does not make its target a stage deeper (a few stray moves must
not push a parallel stage down the funnel)."""


@dataclass(frozen=True)
class FunnelRoutes:
    """What a funnel file says about the order of stages and the moves between them."""

    order: dict[str, list[str]]
    """Pipeline → its stages in the order the file declares them."""
    declared: frozenset[Move]
    """Every stage-to-stage move a route of the file declares (any direction)."""
    sla_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    """(pipeline, stage) → its `sla`, in hours: a deal younger than that is waiting for
    it by design (a reminder stage), not hoarded. Working hours when `hours` is not None:
    `analytics` sets a deal's age in those hours against it."""
    copied: frozenset[str] = frozenset()
    """Pipelines that deals enter only as copies (`then copy`), no source feeding them: a
    deal that starts there is a copy of one counted where it came from, not a new lead."""
    nurture: tuple[str, str] | None = None
    """The first stage of the file's first `nurture` pipeline: where a graveyard's cold
    deals are copied for warming up (`graveyard_segments`)."""
    week_hours: float | None = None
    """The account's working hours a week when its SLAs count working time (`hours` in
    the account, not open around the clock), else None."""
    respond_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    """(pipeline, stage) → its `respond` (the answer-within rule, seed 004: «позвонить
    лиду за 15 минут»), in hours; working hours when `hours` is not None."""
    hours: m.Hours | None = None
    """The account's calendar when its `sla` and `respond` count working time (as
    `week_hours`), else None: `speed` counts a deal's wait for its first touch by it."""

    def steps(self, pipeline: str, frm: str, to: str) -> int | None:
        """Fewest declared moves from `frm` to `to` within the pipeline, None when the
        declared routes never lead there."""
        succ: dict[str, list[str]] = {}
        for p, a, p2, b in self.declared:
            if p == pipeline and p2 == pipeline:
                succ.setdefault(a, []).append(b)
        seen = {frm: 0}
        q = deque([frm])
        while q:
            s = q.popleft()
            for t in succ.get(s, []):
                if t not in seen:
                    seen[t] = seen[s] + 1
                    if t == to:
                        return seen[t]
                    q.append(t)
        return None


@dataclass
class StageOrder:
    """Stages of each pipeline in order, with the rank moves are judged by."""

    order: dict[str, list[str]]
    rank: dict[tuple[str, str], int]
    """With a funnel or a CRM order, the position in it; inferred, the depth in the
    graph of the data's main moves (parallel stages share a depth), so that a move to
    rank + 1 is a step, to rank + 2 or more a skip, to a lower rank a move back."""
    source: OrderSource
    routes: FunnelRoutes | None = None
    """The funnel's declared moves; None without a funnel (nothing is declared)."""


def funnel_routes(funnel: m.FunnelFile) -> FunnelRoutes:
    from ..routing import build_flows

    flows = build_flows(funnel)
    order = {p.name.value: list(dict.fromkeys(s.name.value for s in p.stages))
             for p in funnel.pipelines}
    declared: set[Move] = set()
    for f in flows:
        for r in f.routes:
            if r.kind == "stage" and r.stage is not None:
                declared.add((*f.key, *r.stage))
            if r.copy_to is not None:
                declared.add((*f.key, *r.copy_to))
    sla = {(p.name.value, s.name.value): s.sla.after.hours
           for p in funnel.pipelines for s in p.stages if s.sla is not None}
    copy_targets = {r.copy_to[0] for f in flows for r in f.routes if r.copy_to is not None}
    fed = {src.target.pipeline.value if src.target.pipeline is not None else p.name.value
           for src in funnel.sources for p in funnel.pipelines
           if src.target.pipeline is not None
           or any(s.name.value == src.target.stage.value for s in p.stages)}
    nurture = next(((p.name.value, p.stages[0].name.value) for p in funnel.pipelines
                    if p.purpose == m.Purpose.nurture and p.stages), None)
    respond = {(p.name.value, s.name.value): s.respond.hours
               for p in funnel.pipelines for s in p.stages if s.respond is not None}
    week = week_hours(funnel)
    return FunnelRoutes(order, frozenset(declared), sla, frozenset(copy_targets - fed),
                        nurture, week, respond,
                        funnel.account.hours if week is not None and funnel.account else None)


def week_hours(funnel: m.FunnelFile) -> float | None:
    """The account's working hours a week when its `sla` and `respond` count working
    time (`FunnelRoutes.week_hours`), else None."""
    hours = funnel.account.hours if funnel.account is not None else None
    if hours is None:  # open around the clock: `limits_in_working_hours` is false
        return None
    # Imported only now: `funnelc.sim` brings the simulator, a tenth of a second.
    from datetime import date

    from ..sim.calendar import WorkCalendar, limits_in_working_hours

    if not limits_in_working_hours(hours):
        return None
    return WorkCalendar.from_hours(hours, date(2000, 1, 3)).total


def infer_order(stages: Iterable[tuple[str, str, float, int]],
                moves: Iterable[tuple[str, str, str, int]]
                ) -> tuple[dict[str, list[str]], dict[tuple[str, str], int]]:
    """The order the data shows, per pipeline. `stages`: (pipeline, stage, mean position
    in deals' paths, visits); `moves`: (pipeline, from, to, deals) within a pipeline.

    Transitions are taken from the most frequent down, each kept unless it closes a
    cycle with those kept before (a move back is always rarer than the way forward it
    undoes): what is kept is a consistent forward graph of the most frequent moves.
    Stages are listed in a topological order of it, ties by mean position in deals'
    paths; a stage's rank is its depth: the longest way to it along the main moves."""
    pos: dict[str, dict[str, tuple[float, int]]] = {}
    for p, s, mean, n in stages:
        pos.setdefault(p, {})[s] = (mean, n)
    by_pipe: dict[str, list[tuple[str, str, int]]] = {}
    for p, a, b, n in moves:
        if a != b and a in pos.get(p, {}) and b in pos.get(p, {}):
            by_pipe.setdefault(p, []).append((a, b, n))
    order: dict[str, list[str]] = {}
    rank: dict[tuple[str, str], int] = {}
    for p, st in pos.items():
        lst, depth = _order_one(st, by_pipe.get(p, []))
        order[p] = lst
        rank.update(((p, s), d) for s, d in depth.items())
    return order, rank


def _order_one(pos: dict[str, tuple[float, int]], edges: list[tuple[str, str, int]]
               ) -> tuple[list[str], dict[str, int]]:
    succ: dict[str, dict[str, int]] = {s: {} for s in pos}
    out_total: dict[str, int] = {s: 0 for s in pos}
    for a, _, n in edges:
        out_total[a] += n
    for a, b, n in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        if not _reaches(succ, b, a):
            succ[a][b] = n
    indeg = {s: 0 for s in pos}
    for a in succ:
        for b in succ[a]:
            indeg[b] += 1

    def key(s: str) -> tuple[float, int, str]:
        return (pos[s][0], -pos[s][1], s)

    ready = [(key(s), s) for s in pos if indeg[s] == 0]
    heapq.heapify(ready)
    lst: list[str] = []
    while ready:
        _, s = heapq.heappop(ready)
        lst.append(s)
        for t in succ[s]:
            indeg[t] -= 1
            if indeg[t] == 0:
                heapq.heappush(ready, (key(t), t))
    preds: dict[str, list[tuple[str, bool]]] = {s: [] for s in pos}
    for a in succ:
        for b, n in succ[a].items():
            preds[b].append((a, n >= MAIN_EDGE_SHARE * out_total[a]))
    depth: dict[str, int] = {}
    for s in lst:
        main = [a for a, is_main in preds[s] if is_main] or [a for a, _ in preds[s]]
        depth[s] = 1 + max((depth[a] for a in main), default=-1)
    return lst, depth


def _reaches(succ: dict[str, dict[str, int]], frm: str, to: str) -> bool:
    stack, seen = [frm], {frm}
    while stack:
        s = stack.pop()
        if s == to:
            return True
        for t in succ[s]:
            if t not in seen:
                seen.add(t)
                stack.append(t)
    return False
