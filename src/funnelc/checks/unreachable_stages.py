"""A stage nothing leads to (FN215): no source, outcome, SLA, cadence route, reopen or
`then copy` names it. Deals can never be there; usually it is a leftover or the
target of a misspelt name. A pipeline's first stage is no exception: deals arrive
only through a `source` or a `then copy`, not by being listed first.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile
from .references import error, quote, resolved_uses

__all__ = ["check_unreachable_stages", "reached_stages"]


def reached_stages(funnel: FunnelFile) -> set[tuple[str, str]]:
    """(pipeline, stage) of every stage some other statement leads deals into."""
    reached: set[tuple[str, str]] = set()
    for use, found in resolved_uses(funnel):
        if use.role == "scenario":
            continue  # naming a stage to change it is not a way in
        if found is None or found[1] is use.stage:
            continue
        reached.add((found[0].name.value, found[1].name.value))
    return reached


def check_unreachable_stages(funnel: FunnelFile) -> Iterator[Diagnostic]:
    reached = reached_stages(funnel)
    for pipe in funnel.pipelines:
        seen: set[str] = set()
        for i, stage in enumerate(pipe.stages):
            name = stage.name.value
            if name in seen or (pipe.name.value, name) in reached:
                continue
            seen.add(name)
            ref = f"{quote(pipe.name.value)}.{quote(name)}"
            notes = ("the first stage of a pipeline is not an entry by itself: deals arrive "
                     "only through a `source` or a `then copy`",) if i == 0 else ()
            way_in = (f'a `source "Сайт" 10/day -> {ref}` or a `then copy {ref}`' if i == 0
                      else f'a `-> {quote(name)} 20%` from an earlier stage, a `source` or a '
                           f'`then copy {ref}`')
            yield error(codes.FN215, f"stage `{name}` is never reached", funnel, stage.name.span,
                        "no source, move or copy leads here", notes=notes,
                        help=f"lead deals into it with {way_in}; or remove the stage")
