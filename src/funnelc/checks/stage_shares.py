"""A stage's outcome shares and `stay` must add up to exactly 100 % (FN212), and a share
may be left out only for a lone outcome without `stay` (FN213). Shares are the funnel's
conversions: if they do not close, every number computed from them is wrong.

Stages with a cadence route by reply chances (the cadence check covers them); stages
with neither outcomes nor `stay` are terminal or parking stages and have no shares.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Share, Stage
from .references import SHARE_TOLERANCE, error, pct, target_text

__all__ = ["check_stage_shares", "share_terms"]


def share_terms(shares: list[tuple[str, Share]]) -> str:
    """`won 30% + lost "Дорого" 50% + stay 10% = 90%`: the sum spelt out, for notes."""
    total = sum(s.value for _, s in shares)
    parts = [f"{what} {pct(s.value)}" for what, s in shares]
    return " + ".join(parts) + f" = {pct(total)}"


def check_stage_shares(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.cadence is not None or (not stage.outcomes and stage.stay is None):
                continue
            values = [o.share.value for o in stage.outcomes if o.share is not None]
            if len(values) < len(stage.outcomes):
                if len(stage.outcomes) > 1 or stage.stay is not None:
                    yield from _missing(funnel, stage)
                continue
            if stage.stay is not None:
                values.append(stage.stay.value)
            if any(v > 1.0 for v in values):
                continue  # a share over 100 % is reported on its own (FN218)
            total = sum(values)
            if abs(total - 1.0) <= SHARE_TOLERANCE:
                continue
            # Only a stage that does not add up pays for the targets spelt out.
            shares: list[tuple[str, Share]] = [(target_text(o.target), o.share)
                                               for o in stage.outcomes
                                               if o.share is not None]
            if stage.stay is not None:
                shares.append(("stay", stage.stay))
            if total < 1.0:
                fix = (f"{pct(1.0 - total)} is missing: raise a share, or add "
                       f"`stay {pct(1.0 - total)}` for the deals nobody moves on"
                       if stage.stay is None else
                       f"{pct(1.0 - total)} is missing: raise a share or the `stay`")
            else:
                fix = f"{pct(total - 1.0)} too much: lower the shares"
            yield error(codes.FN212, f"shares of stage `{stage.name.value}` add up to {pct(total)}, "
                        "not 100%", funnel, stage.name.span, f"{pct(total)} in all",
                        secondary=[Label(s.span, "") for _, s in shares],
                        notes=(share_terms(shares),), help=fix)


def _missing(funnel: FunnelFile, stage: Stage) -> Iterator[Diagnostic]:
    missing = [o for o in stage.outcomes if o.share is None]
    given = sum(o.share.value for o in stage.outcomes if o.share is not None) + (
        stage.stay.value if stage.stay is not None else 0.0)
    for out in missing:
        text = target_text(out.target)
        if len(missing) == 1 and given < 1.0:
            rest = pct(1.0 - given)
            help_text = f"the other shares leave {rest} for it: `-> {text} {rest}`"
        else:
            help_text = f"give it a share, e.g. `-> {text} 20%`, so the stage adds up to 100%"
        yield error(codes.FN213, f"outcome `-> {text}` has no share", funnel, out.target.span,
                    "how many deals take this outcome?",
                    notes=("a share may be left out only when the outcome is the stage's only "
                           "one and there is no `stay`",),
                    help=help_text)
