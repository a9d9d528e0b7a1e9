"""The same target twice among one stage's outcomes (FN209): `-> won 30%` and
`-> won 20%`. The shares are meant to be one outcome's; two lines make the stage's
conversion report and the CRM's automation disagree about which one fires."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Outcome
from .references import error, pct, target_key, target_text

__all__ = ["check_repeated_outcomes"]


def check_repeated_outcomes(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            seen: dict[tuple[str, ...], Outcome] = {}
            for out in stage.outcomes:
                key = target_key(out.target, pipe)
                first = seen.setdefault(key, out)
                if first is out:
                    continue
                text = target_text(out.target)
                if first.share is not None and out.share is not None:
                    merged = f"`-> {text} {pct(first.share.value + out.share.value)}`"
                else:
                    merged = f"`-> {text}` with the sum of their shares"
                yield error(codes.FN209, f"stage `{stage.name.value}` has two outcomes `-> {text}`",
                            funnel, out.target.span, "same target again",
                            secondary=(Label(first.target.span, "first outcome to it"),),
                            help=f"merge them into one outcome: {merged}")
