"""Shares outside what a share can be (FN218): over 100 % anywhere, and 0 % where a
zero makes the statement pointless: an outcome no deal takes, a reopen that reopens
nothing, a touch nobody answers. (`stay 0%` and a scenario lowering an outcome to 0 %
are allowed: they state that nothing stays, or ask "what if nobody takes this way".)
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile, Share
from .references import error

__all__ = ["check_share_ranges"]


def _over(funnel: FunnelFile, share: Share, what: str) -> Iterator[Diagnostic]:
    if share.value > 1.0:
        yield error(codes.FN218, f"{what} of {share.text}", funnel, share.span,
                    "a share is at most 100%",
                    help="shares are parts of the deals at this point: write 0% to 100%")


def _zero(funnel: FunnelFile, share: Share, what: str, label: str,
          help_text: str) -> Iterator[Diagnostic]:
    if share.value <= 0.0:
        yield error(codes.FN218, f"{what} of 0%", funnel, share.span, label, help=help_text)


def check_share_ranges(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            for out in stage.outcomes:
                # Most shares are in range: test before making the two generators (a
                # 20 000-stage pipeline has 40 000 outcomes).
                if out.share is None or 0.0 < out.share.value <= 1.0:
                    continue
                yield from _over(funnel, out.share, "outcome share")
                yield from _zero(funnel, out.share, "outcome share",
                                 "no deal would ever take this outcome",
                                 "remove the outcome, or give it the share it really has")
            if stage.stay is not None:
                yield from _over(funnel, stage.stay, "`stay` share")
            if stage.cadence is not None:
                for touch in stage.cadence.touches:
                    yield from _over(funnel, touch.reply, "reply chance")
                    yield from _zero(funnel, touch.reply, "reply chance",
                                     "nobody ever answers this touch",
                                     "give the touch the reply chance it has, e.g. 5%; remove "
                                     "a touch nobody answers")
        for reopen in pipe.reopens:
            yield from _over(funnel, reopen.share, "reopen share")
            yield from _zero(funnel, reopen.share, "reopen share", "no deal would ever reopen",
                             "remove the `reopen`, or give it the share that does come back")
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.share is not None:
                yield from _over(funnel, ovr.share, "share" if ovr.kind == "stage_share"
                                 else "`stay` share")
