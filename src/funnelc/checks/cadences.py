"""Cadences that cannot run as written: a cadence stage that also has `->` outcomes or
`stay` (FN226: the cadence routes by reply chances, so those shares mean nothing), no
touches (FN227), touch offsets that go back in time (FN228: offsets count from stage
entry, not from the previous touch, the usual slip), and a missing `on reply` or
`on exhausted` route (FN229: deals would have nowhere to go).
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import Cadence, FunnelFile, Stage
from ..span import Span
from .references import error

__all__ = ["check_cadences"]


def _head(cad: Cadence) -> Span:
    """The `cadence` keyword, where labels about the whole block go."""
    sp = cad.span
    return Span(line=sp.line, column=sp.column, end_line=sp.line, end_column=sp.column + 7,
                start=sp.start, end=sp.start + 7)


def _stage(funnel: FunnelFile, stage: Stage, cad: Cadence) -> Iterator[Diagnostic]:
    head = _head(cad)
    for out in stage.outcomes:
        yield error(codes.FN226, f"stage `{stage.name.value}` has a cadence and an `->` outcome",
                    funnel, out.span, "a cadence stage routes only by its cadence",
                    secondary=(Label(head, "the cadence routes deals here"),),
                    help="move this route into the cadence as `on reply -> …` or "
                         "`on exhausted -> …`, or drop the cadence")
    if stage.stay is not None:
        yield error(codes.FN226, f"stage `{stage.name.value}` has a cadence and `stay`", funnel,
                    stage.stay.span, "a cadence stage routes only by its cadence",
                    secondary=(Label(head, "the cadence routes deals here"),),
                    help="remove `stay`: the touches' reply chances decide who goes on")
    if not cad.touches:
        yield error(codes.FN227, f"cadence of stage `{stage.name.value}` has no touches", funnel,
                    head, "nothing is ever sent or called",
                    help="add touches in time order, e.g. `call now 30%`, `whatsapp 1h 20%`")
    last = None
    for touch in cad.touches:
        at = touch.offset.hours if touch.offset is not None else 0.0
        if last is not None and at < (last.offset.hours if last.offset else 0.0):
            prev = last.offset.text if last.offset is not None else "now"
            here = touch.offset.text if touch.offset is not None else "now"
            where = touch.offset.span if touch.offset is not None else touch.span
            yield error(codes.FN228, f"touch at `{here}` comes before the previous "
                        f"touch at `{prev}`", funnel, where,
                        "earlier than the touch above",
                        secondary=(Label(last.offset.span if last.offset else last.span,
                                         "previous touch"),),
                        notes=("touch offsets count from stage entry, not from the previous "
                               "touch",),
                        help="list the touches in time order")
        else:
            last = touch
    for route, word, when, example in (
            (cad.on_reply, "on reply", "a client answers", '`on reply -> "Next stage"`'),
            (cad.on_exhausted, "on exhausted", "no touch is answered",
             '`on exhausted -> lost "No answer"`')):
        if route is None:
            yield error(codes.FN229, f"cadence of stage `{stage.name.value}` has no `{word}` route",
                        funnel, head, f"where do deals go when {when}?",
                        help=f"add {example} inside the cadence")


def check_cadences(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.cadence is not None:
                yield from _stage(funnel, stage, stage.cadence)
