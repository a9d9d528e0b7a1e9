"""FN108: a stage worked by another team, with nothing handing the deal over."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from ...diagnostics import Label, Severity
from ...model import AssignAction, Stage, TaskAction
from ...routing import Flows, StageKey
from ..base import Finding, LintContext, Rule


def _handover(stage: Stage, team: str) -> bool:
    return any((isinstance(a, AssignAction) and a.team.value == team)
               or (isinstance(a, TaskAction) and a.team is not None and a.team.value == team)
               for a in stage.on_enter)


def responsible_on_entry(flows: Flows) -> dict[StageKey, dict[str, StageKey | None]]:
    """For each stage, the teams that can be the deal's responsible one when it enters,
    each with a stage it comes from (None: the stage is where the deal was created).

    The CRM keeps the responsible person until an `on enter assign` changes it; a deal
    created by a source starts with the entry stage's owner (lead distribution), and a
    `then copy` keeps the original's responsible person. A task to the owner team hands
    the work over without changing the responsible person. Solved as a fixed point,
    since funnels have loops (rework, reopens)."""
    incoming: dict[StageKey, list[StageKey]] = {k: [] for k in flows.stages}
    for flow in flows:
        for route in flow.routes:
            for target in (route.stage if route.kind == "stage" else None, route.copy_to):
                if target is not None and target in incoming:
                    incoming[target].append(flow.key)
    for pipe_reason, reopens in flows.reopens.items():
        for _, target in reopens:
            for flow in flows.pipeline_stages(pipe_reason[0]):
                if any(r.kind == "lost" and r.reason == pipe_reason[1] for r in flow.routes):
                    incoming.setdefault(target, []).append(flow.key)
    resp_in: dict[StageKey, dict[str, StageKey | None]] = {k: {} for k in flows.stages}
    for _, key in flows.sources:
        owner = flows.stages[key].stage.owner
        if owner is not None:
            resp_in[key].setdefault(owner.value, None)

    def resp_out(key: StageKey) -> dict[str, StageKey | None]:
        stage = flows.stages[key].stage
        assigned = next((a.team.value for a in stage.on_enter if isinstance(a, AssignAction)),
                        None)
        if assigned is not None:
            return {assigned: key}
        if stage.owner is not None and not _handover(stage, stage.owner.value):
            # Either the owner is already responsible, or this stage is reported and
            # taken as fixed: one missing handover is one finding, not one per stage after.
            return {stage.owner.value: key}
        return {t: key for t in resp_in[key]}

    changed = True
    while changed:
        changed = False
        for key, preds in incoming.items():
            for pred in preds:
                for team in resp_out(pred):
                    if team not in resp_in[key]:
                        resp_in[key][team] = pred
                        changed = True
    return resp_in


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
        resp = responsible_on_entry(flows)
        for key, flow in flows.stages.items():
            stage = flow.stage
            if stage.owner is None or _handover(stage, stage.owner.value):
                continue
            team = stage.owner.value
            others = [(t, src) for t, src in resp[key].items() if t != team]
            if not others:
                continue
            other, src = others[0]
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
