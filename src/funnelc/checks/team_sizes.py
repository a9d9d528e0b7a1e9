"""A team larger than any CRM account (FN239): `team "Продажи" size
100000000000000000000` is a slip (a digit held down, an amount pasted in the wrong
place), not a team. It passed `check` without a word, and `analyze` and the simulator
took it at its word. The limit, `limits.MAX_TEAM_SIZE`, is the user count of the largest
CRM account a team can work in; a scenario (and a `--set` line, read as one) may not
pass it either.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..limits import MAX_TEAM_SIZE
from ..model import FunnelFile
from .references import error

__all__ = ["check_team_sizes"]

_LABEL = f"more than {MAX_TEAM_SIZE:,} members"
_NOTE = (f"a team is people working one CRM account, and none has more than {MAX_TEAM_SIZE:,} "
         "users (Bitrix24's largest plan)")


def check_team_sizes(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for team in funnel.teams:
        if team.size > MAX_TEAM_SIZE:
            # The number stays under the caret: it may be thousands of digits long.
            yield error(codes.FN239, f"team `{team.name.value}` is larger than any CRM account",
                        funnel, team.size_span, _LABEL, notes=(_NOTE,),
                        help="write the number of people in the team, e.g. `size 5`")
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.kind == "team_size" and ovr.size is not None and ovr.size > MAX_TEAM_SIZE:
                yield error(codes.FN239, "scenario makes a team larger than any CRM account",
                            funnel, ovr.span, _LABEL, notes=(_NOTE,),
                            help="give the number of people the team would have, e.g. "
                                 "`size 8`")
