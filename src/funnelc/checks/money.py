"""Money that costs nothing (FN238): a team member's `cost`, a source's `cost` per lead
or its `budget` written as zero. Profit reads these figures as they are written, so a
zero is either a placeholder left in or a cost that does not exist; both make the
profit figures (and `staff --objective profit`, which weighs a member's cost against
what they bring) say something the author did not mean.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile
from .references import error

__all__ = ["check_money"]

_HELP = "write what it really costs, e.g. `{example}`; remove it when there is no such cost"


def check_money(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for team in funnel.teams:
        if team.cost is not None and team.cost.count <= 0:
            yield error(codes.FN238, f"team `{team.name.value}` costs nothing per member", funnel,
                        team.cost.span, "zero cost",
                        notes=("profit counts each member's cost over the run; a zero makes "
                               "every extra member look free",),
                        help=_HELP.format(example="cost 90k/month"))
    for src in funnel.sources:
        if src.cost is not None and src.cost.value <= 0:
            yield error(codes.FN238, f"source `{src.name.value}` costs nothing per lead", funnel,
                        src.cost.span, "zero cost per lead",
                        help=_HELP.format(example="cost 500"))
        if src.budget is not None and src.budget.count <= 0:
            yield error(codes.FN238, f"source `{src.name.value}` has a budget of zero", funnel,
                        src.budget.span, "zero budget",
                        help=_HELP.format(example="budget 300k/month"))
