"""Zero where only a positive value makes sense (FN217): a team of 0 people, an SLA or
answer time of 0, a task due in 0, a source bringing 0 deals. Each one either stalls
the simulation (nobody to work the deals) or fires the moment a deal arrives.

A scenario may set a source's rate to zero: "what if this channel stops" is a fair
question. It may not empty a team: its stages would have nobody to work them.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile, Sla, TaskAction
from .references import error

__all__ = ["check_positive_values"]


def _sla(funnel: FunnelFile, sla: Sla) -> Diagnostic | None:
    if sla.after.hours > 0:
        return None
    return error(codes.FN217, "`sla` of zero time", funnel, sla.after.span,
                 "every deal would leave the moment it enters",
                 help="give the SLA a positive time, e.g. `sla 15m`; remove it for no limit")


def check_positive_values(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for team in funnel.teams:
        if team.size <= 0:
            yield error(codes.FN217, f"team `{team.name.value}` has size 0", funnel, team.size_span,
                        "a team needs at least one member",
                        help="give it a size of 1 or more; a team nobody is in works no deals")
    for src in funnel.sources:
        if src.rate.count <= 0:
            yield error(codes.FN217, f"source `{src.name.value}` brings no deals", funnel,
                        src.rate.span, "zero rate",
                        help="give it its real rate, e.g. `12/day`; remove a source that is gone, "
                             "or set it to zero in a `scenario`")
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.sla is not None and (d := _sla(funnel, stage.sla)) is not None:
                yield d
            if stage.respond is not None and stage.respond.hours <= 0:
                yield error(codes.FN217, "`respond` of zero time", funnel, stage.respond.span,
                            "nobody can pick a deal up in no time",
                            help="give the answer-within rule a positive time, e.g. `respond 15m`")
            for action in stage.on_enter:
                if isinstance(action, TaskAction) and action.due is not None \
                        and action.due.hours <= 0:
                    yield error(codes.FN217, "task due in zero time", funnel, action.due.span,
                                "overdue the moment it is set",
                                help="give the task a positive deadline, e.g. `due 15m`, or drop "
                                     "`due`")
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.kind == "team_size" and ovr.size is not None and ovr.size <= 0:
                yield error(codes.FN217, "scenario sets a team's size to 0", funnel, ovr.span,
                            "a team needs at least one member",
                            help="give it a size of 1 or more; to do without the team, give its "
                                 "stages another owner: `stage \"P\".\"S\" owner \"Team\"`")
            if ovr.sla is not None and (d := _sla(funnel, ovr.sla)) is not None:
                yield d
            if ovr.respond is not None and ovr.respond.hours <= 0:
                yield error(codes.FN217, "`respond` of zero time", funnel, ovr.respond.span,
                            "nobody can pick a deal up in no time",
                            help="give the answer-within rule a positive time, e.g. `respond 15m`")
