"""FN108: a stage worked by another team, with nothing handing the deal over."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import AssignAction, Stage, TaskAction
from ...routing import Flows, StageKey
from ..base import Finding, LintContext, Rule


def _handover(stage: Stage, team: str) -> bool:
    return any((isinstance(a, AssignAction) and a.team.value == team)
               or (isinstance(a, TaskAction) and a.team is not None and a.team.value == team)
               for a in stage.on_enter)


UNKNOWN = "*"
"""A responsible team left open by a stage this rule reports: whether the author fixes it
with an assign or a task, the stages after it are judged by their own arrivals only."""


def _assigned(stage: Stage) -> str | None:
    return next((a.team.value for a in stage.on_enter if isinstance(a, AssignAction)), None)


def _missing_handover(stage: Stage, arriving: dict[str, StageKey | None]) -> str | None:
    """The other team a deal may arrive with when `stage` hands nothing over, or None."""
    if stage.owner is None or _handover(stage, stage.owner.value):
        return None
    return next((t for t in arriving if t not in (stage.owner.value, UNKNOWN)), None)


def _propagate(keys: Iterable[StageKey], outgoing: dict[StageKey, list[StageKey]],
               created: dict[StageKey, dict[str, StageKey | None]],
               assigned: dict[StageKey, str], unknown: set[StageKey],
               owners: Mapping[StageKey, str] | None = None,
               ) -> dict[StageKey, dict[str, StageKey | None]]:
    """Teams arriving at each stage, with a stage each comes from: a worklist over the
    routes until nothing changes. A stage passes on the team it assigns, else `UNKNOWN`
    when it is in `unknown` (and its owner's team, from `owners`, when that team
    arrives there too), else every team arriving at it."""
    owners = owners or {}
    resp_in = {k: dict(v) for k, v in created.items()}
    todo = deque(keys)
    queued = set(todo)
    while todo:
        key = todo.popleft()
        queued.discard(key)
        team = assigned.get(key)
        if team is not None:
            teams: Iterable[str] = (team,)
        elif key in unknown:
            # However it is fixed, a deal that arrived with the owner's team leaves with it.
            own = owners.get(key)
            teams = (UNKNOWN, own) if own is not None and own in resp_in[key] else (UNKNOWN,)
        else:
            teams = list(resp_in[key])
        for target in outgoing[key]:
            arriving = resp_in[target]
            grew = False
            for team in teams:
                if team not in arriving:
                    arriving[team] = key
                    grew = True
            if grew and target not in queued:
                todo.append(target)
                queued.add(target)
    return resp_in


def responsible_on_entry(flows: Flows) -> dict[StageKey, dict[str, StageKey | None]]:
    """For each stage, the teams that can be the deal's responsible one when it enters,
    each with a stage it comes from (None: the stage is where the deal was created).

    The CRM keeps the responsible person until an `on enter assign` changes it; a deal
    created by a source starts with the entry stage's owner (lead distribution), and a
    `then copy` keeps the original's responsible person. A task to the owner team hands
    the work over without changing the responsible person.

    Two passes, so that one missing handover is one finding and not one per stage after
    it: the first finds every stage a deal can reach with another team responsible; the
    second lets those stages pass on `UNKNOWN` (taken as fixed, however the author fixes
    them), and only stages still reached with another team are reported."""
    incoming: dict[StageKey, list[StageKey]] = {k: [] for k in flows.stages}
    for flow in flows:
        for route in flow.routes:
            for target in (route.stage if route.kind == "stage" else None, route.copy_to):
                if target is not None and target in incoming:
                    incoming[target].append(flow.key)
    for (pipeline, reason), reopens in flows.reopens.items():
        for _, target in reopens:
            for flow in flows.pipeline_stages(pipeline):
                if any(r.kind == "lost" and r.reason == reason for r in flow.routes):
                    incoming.setdefault(target, []).append(flow.key)
    created: dict[StageKey, dict[str, StageKey | None]] = {k: {} for k in flows.stages}
    for _, key in flows.sources:
        owner = flows.stages[key].stage.owner
        if owner is not None:
            created[key][owner.value] = None
    # The graph and each stage's assign, read once for both passes.
    outgoing: dict[StageKey, list[StageKey]] = {k: [] for k in flows.stages}
    for target, preds in incoming.items():
        for pred in preds:
            outgoing[pred].append(target)
    assigned: dict[StageKey, str] = {}
    for key, flow in flows.stages.items():
        if flow.stage.on_enter:
            team = _assigned(flow.stage)
            if team is not None:
                assigned[key] = team

    first = _propagate(flows.stages, outgoing, created, assigned, set())
    suspects = {k for k, flow in flows.stages.items()
                if _missing_handover(flow.stage, first[k]) is not None}
    owners = {k: flow.stage.owner.value for k, flow in flows.stages.items()
              if flow.stage.owner is not None}
    return _propagate(flows.stages, outgoing, created, assigned, suspects, owners)


class OwnerChangeWithoutHandover(Rule):
    """Flags a stage whose `owner` is not the team responsible for the deal when it
    arrives, when the stage neither assigns the deal to its owner (`on enter assign`)
    nor gives that team a task (`on enter task "…" to TEAM`). The responsible team is
    followed along the routes: a deal created by a source belongs to the entry stage's
    owner, an `on enter assign` changes it, and moves and copies keep it; so the usual
    team of a pipeline needs no handover, and a stage of another team needs one.

    Why
    ---
    The CRM keeps the previous manager as the deal's responsible person: the accountant
    who checks the invoice or the lawyer who drafts the contract never learns the deal is
    theirs, and the deal waits. A handover on entry makes the change of responsibility
    part of the stage.

    Bad
    ---
        team "Менеджеры" size 3
        team "Юристы" size 1
        source "Сайт" 5/day -> "Продажи"."Переговоры"
        pipeline "Продажи" sales {
          stage "Переговоры" {
            owner "Менеджеры"
            -> "Договор на проверке" 50%
            -> lost "Дорого" 50%
          }
          stage "Договор на проверке" {
            owner "Юристы"
            -> "Договор подписан"
          }
          stage "Договор подписан" {
            owner "Менеджеры"
            -> won
          }
        }

    Good
    ----
        team "Менеджеры" size 3
        team "Юристы" size 1
        source "Сайт" 5/day -> "Продажи"."Переговоры"
        pipeline "Продажи" sales {
          stage "Переговоры" {
            owner "Менеджеры"
            -> "Договор на проверке" 50%
            -> lost "Дорого" 50%
          }
          stage "Договор на проверке" {
            owner "Юристы"
            on enter task "Проверить договор" due 1d to "Юристы"
            -> "Договор подписан"
          }
          stage "Договор подписан" {
            owner "Менеджеры"
            -> won
          }
        }

    Seed
    ----
    002, mistake 7: «Нет смены ответственного в зависимости от этапа... За сделку на
    разных этапах ответственны разные люди, но ответственным в CRM за сделку является
    всегда менеджер.»
    """

    code = "FN108"
    title = "a stage of another team with no handover"
    name = "owner-change-without-handover"
    kind = "suggestion"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        flows = ctx.flows
        if all(flow.stage.owner is None for flow in flows):
            return  # only a stage worked by a team can lack a handover to it
        resp = responsible_on_entry(flows)
        for key, flow in flows.stages.items():
            stage = flow.stage
            other = _missing_handover(stage, resp[key])
            if other is None or stage.owner is None:
                continue
            team = stage.owner.value
            src = resp[key][other]
            secondary: tuple[Label, ...] = ()
            if src is not None and src in flows.stages:
                prev = flows.stages[src].stage
                secondary = (Label(prev.owner.span if prev.owner else prev.name.span,
                                   f"the deal comes from `{other}` here"),)
            yield Finding(
                f"stage `{stage.name.value}` is worked by `{team}`, but nothing hands "
                "the deal over", stage.owner.span,
                f"the deal's responsible team is still `{other}`", secondary,
                help=f'add `on enter assign "{team}"` or `on enter task "…" to "{team}"`')
