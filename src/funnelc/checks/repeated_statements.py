"""A statement that can be written once, written twice (FN208): `owner`, `work`, `sla`…
in a stage, `after`/`when`/`then copy` in one outcome, `on reply`/`on exhausted` in a
cadence, a setting in the account, a pipeline flag. Only the first one takes effect, so
the second is always a mistake: either a leftover or a change that silently does nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Pipeline, Stage
from ..span import Span
from .references import error

__all__ = ["check_repeated_statements"]

_SHOWN = {"copy": "then copy", "reply": "on reply", "exhausted": "on exhausted"}
_IN_OUTCOME = ("after", "when", "copy")
_STYLES = ("process", "conversion")
_PURPOSES = ("qualification", "telemarketing", "sales", "production", "delivery", "claims",
             "nurture", "regulars", "winback")


def _first_span(stage: Stage, kind: str, repeat: Span) -> Span | None:
    """Where the statement that does take effect was written, when the model knows."""
    if kind in _IN_OUTCOME:
        for out in stage.outcomes:
            if out.span.start <= repeat.start < out.span.end:
                part = {"after": out.after, "when": out.when, "copy": out.copy_to}[kind]
                return part.span if part is not None else None
        return None
    cad = stage.cadence
    node = {
        "owner": stage.owner, "work": stage.work, "sla": stage.sla, "patience": stage.patience,
        "respond": stage.respond,
        "hint": stage.hint, "color": stage.color, "alias": stage.alias, "stay": stage.stay,
        "cadence": cad,
        "reply": cad.on_reply if cad else None, "exhausted": cad.on_exhausted if cad else None,
    }.get(kind)
    return node.span if node is not None and node.span != repeat else None


def _stage_repeats(funnel: FunnelFile, stage: Stage) -> Iterator[Diagnostic]:
    for kind, span in stage.duplicates:
        shown = _SHOWN.get(kind, kind)
        first = _first_span(stage, kind, span)
        where = "one outcome" if kind in _IN_OUTCOME else (
            "one cadence" if kind in ("reply", "exhausted") else f"stage `{stage.name.value}`")
        yield error(codes.FN208, f"`{shown}` is written twice in {where}", funnel, span,
                    "written again here",
                    secondary=(Label(first, "first written here"),) if first else (),
                    help=f"keep one `{shown}`: only the first one takes effect")


def _flag_repeats(funnel: FunnelFile, pipe: Pipeline) -> Iterator[Diagnostic]:
    counts = Counter(pipe.flags)
    for flag, n in counts.items():
        if n > 1:
            yield error(codes.FN208, f"`{flag}` is written twice for pipeline `{pipe.name.value}`",
                        funnel, pipe.name.span, f"`{flag}` repeated after this name",
                        help=f"write `{flag}` once")
    for group, what in ((_STYLES, "style"), (_PURPOSES, "purpose")):
        given = list(dict.fromkeys(f for f in pipe.flags if f in group))
        if len(given) > 1:
            yield error(codes.FN208, f"pipeline `{pipe.name.value}` has two {what}s: "
                        f"`{given[0]}` and `{given[1]}`", funnel, pipe.name.span,
                        f"one {what} per pipeline",
                        help=f"keep one {what}; a pipeline that mixes both is two pipelines"
                        if what == "style" else f"keep one {what}")


def check_repeated_statements(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for account in funnel.accounts:
        for kind, n in Counter(account.statements).items():
            if n > 1:
                yield error(codes.FN208, f"`{kind}` is written {_times(n)} in the account", funnel,
                            account.name.span, f"this account sets `{kind}` more than once",
                            help=f"keep one `{kind}`: only the first one takes effect")
    for pipe in funnel.pipelines:
        yield from _flag_repeats(funnel, pipe)
        for stage in pipe.stages:
            yield from _stage_repeats(funnel, stage)


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"
