"""Stage and pipeline names that name nothing (FN201, FN202), and bare stage names where
no pipeline is around to read them in (FN203). A misspelt stage silently turns a funnel
into a different one, so every reference is resolved and each miss gets a suggestion."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, did_you_mean
from ..model import FunnelFile
from .references import StageUse, error, listing, quote, stage_uses

__all__ = ["check_unknown_stages"]


def check_unknown_stages(funnel: FunnelFile) -> Iterator[Diagnostic]:
    # Stage names per pipeline, built once: every stage references its neighbours, so a
    # list rebuilt per reference made one pipeline of n stages cost n² (issue 11).
    known: dict[int, set[str]] = {id(p): {s.name.value for s in p.stages}
                                  for p in funnel.pipelines}
    for use in stage_uses(funnel):
        if use.ref.pipeline is None and use.home is None:
            if funnel.pipelines:
                yield _unqualified(funnel, use)
            else:
                yield error(codes.FN201, f"unknown stage `{use.ref.stage.value}`", funnel,
                            use.ref.stage.span, "this file has no pipelines",
                            help=f"declare the pipeline it belongs to: `pipeline \"Продажи\" main "
                                 f"{{ stage {quote(use.ref.stage.value)} {{ … }} }}`")
            continue
        if use.ref.pipeline is not None:
            pipe = funnel.pipeline(use.ref.pipeline.value)
            if pipe is None:
                yield _unknown_pipeline(funnel, use)
                continue
        else:
            pipe = use.home
        assert pipe is not None
        wanted = use.ref.stage.value
        if wanted in known.get(id(pipe), ()):
            continue
        names = [s.name.value for s in pipe.stages]
        guess = did_you_mean(wanted, names)
        elsewhere = [p.name.value for p in funnel.pipelines
                     if p is not pipe and any(s.name.value == wanted for s in p.stages)]
        if guess is not None:
            help_text = f"did you mean `{guess}`?"
        elif elsewhere and use.move:
            help_text = (f"`{wanted}` is a stage of `{elsewhere[0]}`; a deal cannot move there "
                         f"directly: close it here and continue with "
                         f"`then copy {quote(elsewhere[0])}.{quote(wanted)}`")
        elif elsewhere:
            help_text = (f"`{wanted}` is a stage of `{elsewhere[0]}`: write "
                         f"`{quote(elsewhere[0])}.{quote(wanted)}`")
        elif names:
            help_text = f"the stages of `{pipe.name.value}` are {listing(names)}"
        else:
            help_text = f"pipeline `{pipe.name.value}` has no stages yet: add a `stage {quote(wanted)} {{ … }}`"
        yield error(codes.FN201, f"unknown stage `{wanted}`", funnel, use.ref.stage.span,
                    f"no stage of this name in `{pipe.name.value}`", help=help_text)


def _unknown_pipeline(funnel: FunnelFile, use: StageUse) -> Diagnostic:
    assert use.ref.pipeline is not None
    wanted = use.ref.pipeline.value
    names = [p.name.value for p in funnel.pipelines]
    guess = did_you_mean(wanted, names)
    if guess is not None:
        help_text = f"did you mean `{guess}`?"
    elif names:
        help_text = f"the pipelines are {listing(names)}"
    else:
        help_text = f"declare it: `pipeline {quote(wanted)} {{ stage … }}`"
    return error(codes.FN202, f"unknown pipeline `{wanted}`", funnel, use.ref.pipeline.span,
                 "no pipeline of this name", help=help_text)


def _unqualified(funnel: FunnelFile, use: StageUse) -> Diagnostic:
    wanted = use.ref.stage.value
    holders = [p.name.value for p in funnel.pipelines
               if any(s.name.value == wanted for s in p.stages)]
    if holders:
        pipe, stage = holders[0], wanted
    else:
        everything = {s.name.value: p.name.value for p in funnel.pipelines for s in p.stages}
        guess = did_you_mean(wanted, everything)
        pipe = everything[guess] if guess else (funnel.pipelines[0].name.value
                                                if funnel.pipelines else "Pipeline")
        stage = guess or wanted
    help_text = f"write `{quote(pipe)}.{quote(stage)}`"
    if len(holders) > 1:
        help_text += f" (a stage of this name is in {listing(holders)}: pick one)"
    elif not holders and stage == wanted:
        help_text = f"name the pipeline and the stage: `{quote(pipe)}.{quote(wanted)}`"
    return error(codes.FN203, f"stage `{wanted}` is named without its pipeline", funnel,
                 use.ref.span, "which pipeline?",
                 notes=("outside a pipeline, a bare stage name is read in the `main` pipeline "
                        "(or the only one); this file has several pipelines and none is `main`",),
                 help=help_text)
