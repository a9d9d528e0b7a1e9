"""`patience` that cannot mean anything as written. Patience is how long a client waits
for a member of the owner team before giving up, so it needs a queue to wait in: a stage
with an owner team and `work` (FN236). A cadence stage queues a deal once per touch and
waits between touches, so "still waiting when patience runs out" has no single reading
there (FN237). A patience of zero time (FN217) would take every deal that finds the team
busy at once; the shape of the distribution itself is checked with the other
distributions (FN221-FN223).
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Patience, Stage
from .distributions import DIST_ARITY
from .references import error

__all__ = ["check_patience"]


def _zero(funnel: FunnelFile, p: Patience) -> Diagnostic | None:
    dist = p.dist
    if any(q.kind != "duration" for q in dist.args):
        return None  # FN223 says it
    if dist.kind != "empirical" and len(dist.args) != DIST_ARITY[dist.kind][0]:
        return None  # FN221 says it
    if dist.kind == "exp" or max(q.value for q in dist.args) > 0:
        return None  # exp(0) is FN222's
    return error(codes.FN217, "`patience` of zero time", funnel, dist.span,
                 "every deal that finds the team busy would give up at once",
                 help="give the client's patience a positive time, e.g. `patience exp(2h)`; "
                      "remove it when clients wait as long as it takes")


def _stage(funnel: FunnelFile, stage: Stage, p: Patience) -> Iterator[Diagnostic]:
    name = stage.name.value
    if stage.cadence is not None:
        yield error(codes.FN237, f"stage `{name}` has a cadence and `patience`", funnel, p.span,
                    "a cadence stage has no one wait to run out",
                    secondary=(Label(stage.cadence.span.model_copy(update={
                        "end_line": stage.cadence.span.line,
                        "end_column": stage.cadence.span.column + 7,
                        "end": stage.cadence.span.start + 7}),
                        "the deal waits here between touches"),),
                    notes=("patience counts while a deal waits for a member to pick it up; "
                           "a cadence picks a deal up once per touch",),
                    help="let `on exhausted` take the clients nobody reached, or move "
                         "`patience` to the stage where the first answer is given")
    elif stage.owner is None or stage.work is None:
        missing, label = (("an `owner` team and `work`", "no owner team and no work")
                          if stage.owner is None and stage.work is None else
                          ("an `owner` team", "no owner team") if stage.owner is None else
                          ("`work`", "no work for the owner team"))
        yield error(codes.FN236, f"`patience` in stage `{name}`, where no one queues", funnel,
                    p.span, f"the stage has {label}",
                    notes=("patience is how long a deal waits for a member of the owner "
                           "team; only a stage with an owner and `work` has such a queue",),
                    help=f"add {missing} to the stage, or use `sla` for a time limit on "
                         "the stage as a whole")
    found = _zero(funnel, p)
    if found is not None:
        yield found


def check_patience(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.patience is not None:
                yield from _stage(funnel, stage, stage.patience)
