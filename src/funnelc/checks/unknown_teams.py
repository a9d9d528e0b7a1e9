"""Team names that name no `team` (FN204): owners, task assignees, `assign`, and the
teams scenarios resize or re-own stages with. A stage owned by a missing team would
have nobody to work it in the simulation."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import AssignAction, FunnelFile, Name, TaskAction
from .references import quote
from .unknown_names import unknown_name

__all__ = ["check_unknown_teams"]


def _team_names(funnel: FunnelFile) -> Iterator[Name]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.owner is not None:
                yield stage.owner
            for action in stage.on_enter:
                # Two branches, not one `or`: each narrows `action` for the type checker.
                if isinstance(action, TaskAction) and action.team is not None:  # noqa: SIM114
                    yield action.team
                elif isinstance(action, AssignAction):
                    yield action.team
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.kind in ("team_size", "team_hours") and ovr.subject is not None:
                yield ovr.subject
            if ovr.owner is not None:
                yield ovr.owner


def check_unknown_teams(funnel: FunnelFile) -> Iterator[Diagnostic]:
    known = [t.name.value for t in funnel.teams]
    for name in _team_names(funnel):
        if name.value not in known:
            yield unknown_name(codes.FN204, "team", name, known, funnel,
                               f"team {quote(name.value)} size 1")
