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

from ..diagnostics import Diagnostic
from ..model import FunnelFile, LostTarget, Pipeline, StageTarget, WonTarget
from .references import error, listing, lookup_lenient, stage_routes, stage_uses

__all__ = ["check_way_to_won"]


def _entries_by_pipeline(funnel: FunnelFile) -> dict[int, list[str]]:
    """Entry stages of every pipeline in one pass over the references (one pass per
    pipeline made this check quadratic on large accounts)."""
    names: dict[int, list[str]] = {}
    for use in stage_uses(funnel):
        if use.role not in ("source", "copy", "reopen") and not use.move:
            continue
        found = lookup_lenient(funnel, use.ref, use.home)
        if found is None:
            continue
        pipe = found[0]
        if use.role in ("source", "copy", "reopen") or use.home is not pipe:
            names.setdefault(id(pipe), []).append(found[1].name.value)
    return names


def _search(funnel: FunnelFile, pipe: Pipeline, start: list[str]) -> tuple[bool, set[str]]:
    """(won reachable, lost reasons met on the way)."""
    by_name = {s.name.value: s for s in reversed(pipe.stages)}
    todo, seen = list(start), set(start)
    lost: set[str] = set()
    while todo:
        stage = by_name[todo.pop()]
        for route in stage_routes(funnel, stage):
            if isinstance(route.target, WonTarget):
                return True, lost
            if isinstance(route.target, LostTarget):
                lost.add(route.target.reason.value)
            elif isinstance(route.target, StageTarget):
                found = lookup_lenient(funnel, route.target.ref, pipe)
                if found is not None and found[0] is not pipe:
                    return True, lost  # a handoff written as a move (FN214): meant as won
                if found is not None and found[1].name.value not in seen:
                    seen.add(found[1].name.value)
                    todo.append(found[1].name.value)
    return False, lost


def check_way_to_won(funnel: FunnelFile) -> Iterator[Diagnostic]:
    entries = _entries_by_pipeline(funnel)
    for pipe in funnel.pipelines:
        if not pipe.stages:
            continue
        start = (list(dict.fromkeys(entries.get(id(pipe), [])))
                 or [s.name.value for s in pipe.stages])
        won, lost = _search(funnel, pipe, start)
        if won:
            continue
        ends = (f"be lost ({listing(sorted(lost))}) or stay where they are" if lost
                else "stay where they are")
        notes = [f"deals entering at {listing(start)} can only {ends}"]
        if pipe.purpose == "nurture":
            notes.append("a nurture pipeline closes as won too: when the client is ready, "
                         'the deal is won here and copied into sales with `then copy`')
        yield error("FN216", f"pipeline `{pipe.name.value}` has no way to `won`", funnel,
                    pipe.name.span, "no stage of this pipeline leads to `won`", notes=notes,
                    help="add `-> won P%` where this pipeline's goal is reached; a handoff "
                         'to the next pipeline is `-> won 90% then copy "Next"."Stage"`')
