"""A pipeline from which no deal can ever be won (FN216). Every pipeline closes deals as
`won` somewhere: a sales funnel when the client pays, a production funnel when the order
ships, a warming (nurture) funnel when the client is ready and the deal is copied into
sales. Without it the pipeline's conversion is zero by construction.

The search follows outcomes, SLAs and cadence routes from the stages deals enter by
(source and `then copy` targets, reopens); a stage that leads to a stage that reaches
`won` reaches it too.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile, LostTarget, Pipeline, Stage, WonTarget
from .references import error, listing, resolved_uses, stage_routes

__all__ = ["check_way_to_won"]


_ROUTE_ROLES = frozenset(("outcome", "sla", "patience", "on reply", "on exhausted"))
"""Roles of the references a stage's own routes make (`references.routes`)."""


def _graph(funnel: FunnelFile) -> tuple[dict[int, list[str]], dict[int, list[tuple[Pipeline, Stage]]]]:
    """Entry stages of every pipeline, and the stages each stage's routes lead to, in one
    pass over the references resolved once per file (a pass per pipeline made this check
    quadratic on large accounts; a lookup per route and search doubled the resolving)."""
    names: dict[int, list[str]] = {}
    moves: dict[int, list[tuple[Pipeline, Stage]]] = {}
    for use, found in resolved_uses(funnel):
        if found is None:
            continue
        if use.stage is not None and use.role in _ROUTE_ROLES:
            moves.setdefault(id(use.stage), []).append(found)
        if use.role not in ("source", "copy", "reopen") and not use.move:
            continue
        pipe = found[0]
        if use.role in ("source", "copy", "reopen") or use.home is not pipe:
            names.setdefault(id(pipe), []).append(found[1].name.value)
    return names, moves


def _search(funnel: FunnelFile, pipe: Pipeline, start: list[str],
            moves: dict[int, list[tuple[Pipeline, Stage]]]) -> tuple[bool, set[str]]:
    """(won reachable, lost reasons met on the way). When won is reachable the reasons
    do not matter, so the order stages are visited in does not either."""
    by_name = {s.name.value: s for s in reversed(pipe.stages)}
    todo, seen = list(start), set(start)
    lost: set[str] = set()
    while todo:
        stage = by_name[todo.pop()]
        for route in stage_routes(funnel, stage):
            target = route.target
            if isinstance(target, WonTarget):
                return True, lost
            if isinstance(target, LostTarget):
                lost.add(target.reason.value)
        for found_pipe, found in moves.get(id(stage), ()):
            if found_pipe is not pipe:
                return True, lost  # a handoff written as a move (FN214): meant as won
            name = found.name.value
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return False, lost


def check_way_to_won(funnel: FunnelFile) -> Iterator[Diagnostic]:
    entries, moves = _graph(funnel)
    for pipe in funnel.pipelines:
        if not pipe.stages:
            continue
        start = (list(dict.fromkeys(entries.get(id(pipe), [])))
                 or [s.name.value for s in pipe.stages])
        won, lost = _search(funnel, pipe, start, moves)
        if won:
            continue
        ends = (f"be lost ({listing(sorted(lost))}) or stay where they are" if lost
                else "stay where they are")
        notes = [f"deals entering at {listing(start)} can only {ends}"]
        if pipe.purpose == "nurture":
            notes.append("a nurture pipeline closes as won too: when the client is ready, "
                         'the deal is won here and copied into sales with `then copy`')
        yield error(codes.FN216, f"pipeline `{pipe.name.value}` has no way to `won`", funnel,
                    pipe.name.span, "no stage of this pipeline leads to `won`", notes=notes,
                    help="add `-> won P%` where this pipeline's goal is reached; a handoff "
                         'to the next pipeline is `-> won 90% then copy "Next"."Stage"`')
