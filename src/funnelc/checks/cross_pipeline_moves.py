"""A direct `->` into another pipeline (FN214): outcomes, SLAs, cadence routes and
reopens move deals within their pipeline only. Seed 002, mistake 9: moving a deal from
one funnel into another without closing it as won breaks both funnels' conversion;
the language's way across is closing the deal here and `then copy` into the other one.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile, Outcome, Patience, Sla
from .references import StageUse, error, pct, stage_uses

__all__ = ["check_cross_pipeline_moves"]

_WHY = ("only `then copy` crosses pipelines: the deal closes here and a new deal starts "
        "there, so each pipeline keeps its own conversion (moving deals between funnels "
        "without closing them is mistake 9 of seed 002)")


def _rewrite(use: StageUse) -> str:
    ref = use.ref.display()
    if use.role == "reopen":
        return ("reopen into a stage of this pipeline; to carry lost deals elsewhere, add "
                f"`then copy {ref}` to the `lost` outcome instead")
    if use.role in ("sla", "scenario sla") and isinstance(use.node, Sla):
        return (f"close the deal and copy it: `sla {use.node.after.text} -> lost \"…\" "
                f"then copy {ref}` (or `-> won` when the sale goes on there)")
    if use.role == "patience" and isinstance(use.node, Patience):
        return ("close the deal and copy it: `patience … -> lost \"…\" "
                f"then copy {ref}`")
    if use.role == "on exhausted":
        return f"close the deal and copy it: `on exhausted -> lost \"…\" then copy {ref}`"
    if use.role == "on reply":
        return f"close the deal as won and copy it: `on reply -> won then copy {ref}`"
    share = ""
    if isinstance(use.node, Outcome) and use.node.share is not None:
        share = " " + pct(use.node.share.value)
    return f"close the deal as won and copy it: `-> won{share} then copy {ref}`"


def check_cross_pipeline_moves(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for use in stage_uses(funnel):
        if not use.move or use.home is None or use.ref.pipeline is None:
            continue
        other = use.ref.pipeline.value
        if other == use.home.name.value or funnel.pipeline(other) is None:
            continue
        yield error(codes.FN214, f"a direct move into another pipeline `{other}`", funnel,
                    use.ref.span, f"`->` cannot leave `{use.home.name.value}`",
                    notes=(_WHY,), help=_rewrite(use))
