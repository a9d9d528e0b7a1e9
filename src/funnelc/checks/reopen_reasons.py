"""A `reopen` whose reason no deal in its pipeline is lost for (FN231). Reopens act on the
flow of one `lost "reason"`; with a misspelt reason nothing ever reopens, silently."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import codes
from ..diagnostics import Diagnostic, did_you_mean
from ..model import FunnelFile, LostTarget, Pipeline
from ..routing import Exit
from .references import error, listing, routes, stage_routes

__all__ = ["check_reopen_reasons", "lost_reasons"]


def lost_reasons(pipe: Pipeline, funnel: FunnelFile | None = None) -> list[str]:
    """Every `lost "reason"` a deal of this pipeline can end with, in the order written
    (`funnel`, when given, lends its routes listed once per file)."""
    found: list[str] = []
    for stage in pipe.stages:
        ways: Iterable[Exit] = stage_routes(funnel, stage) if funnel is not None else routes(stage)
        for route in ways:
            if isinstance(route.target, LostTarget):
                found.append(route.target.reason.value)
    return list(dict.fromkeys(found))


def check_reopen_reasons(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        reasons = lost_reasons(pipe, funnel) if pipe.reopens else []
        for reopen in pipe.reopens:
            if reopen.reason.value in reasons:
                continue
            guess = did_you_mean(reopen.reason.value, reasons)
            if guess is not None:
                help_text = f"did you mean `{guess}`?"
            elif reasons:
                help_text = f"the lost reasons of `{pipe.name.value}` are {listing(reasons)}"
            else:
                help_text = (f"no stage of `{pipe.name.value}` loses deals yet: add a "
                             '`-> lost "…"` outcome')
            yield error(codes.FN231, f"no deal in `{pipe.name.value}` is lost for "
                        f"`{reopen.reason.value}`", funnel, reopen.reason.span,
                        "not a `lost` reason of this pipeline", help=help_text)
