"""FN115: an outcome that sends deals back to an earlier stage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import Node, Pipeline, Stage, StageTarget
from ..base import Finding, LintContext, Rule, exits

_WHAT = {"outcome": "outcome", "sla": "`sla`", "reply": "`on reply`",
         "exhausted": "`on exhausted`"}


def stage_moves(stage: Stage) -> list[tuple[Node, StageTarget, str]]:
    """Every way the deal itself moves to a stage: outcomes, SLA, cadence routes (the
    `exits` of the stage that name a stage, as a list: this runs once per stage)."""
    found: list[tuple[Node, StageTarget, str]] = [
        (out, out.target, "outcome") for out in stage.outcomes
        if isinstance(out.target, StageTarget)]
    if stage.sla is not None or stage.cadence is not None:
        found += [(node, target, _WHAT[via]) for node, target, _, via in exits(stage)
                  if via != "outcome" and isinstance(target, StageTarget)]
    return found


class BackwardMove(Rule):
    """Flags an outcome, `sla` or cadence route that moves a deal to an earlier stage
    of its pipeline (or back into the same stage). `reopen` is not flagged: it brings
    back deals that were closed as lost, which is a new attempt, not a step back.

    Why
    ---
    Stages are steps of the client's decision; a deal that goes back makes every
    stage-to-stage conversion meaningless (it is counted twice), and hides what actually
    happened. When the client sends comments on the proposal and asks for a new one, that
    is progress: add the stage that records it ("Комментарии от клиента получены") and
    move forward.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Клиент запросил КП"
        pipeline "Продажи" sales {
          stage "Клиент запросил КП" {
            -> "КП отправлено"
          }
          stage "КП отправлено" {
            -> won 30%
            -> "Клиент запросил КП" 20%
            -> lost "Дорого" 50%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Клиент запросил КП"
        pipeline "Продажи" sales {
          stage "Клиент запросил КП" {
            -> "КП отправлено"
          }
          stage "КП отправлено" {
            -> won 30%
            -> "Комментарии от клиента получены" 20%
            -> lost "Дорого" 50%
          }
          stage "Комментарии от клиента получены" {
            -> won 60%
            -> lost "Дорого" 40%
          }
        }

    Seed
    ----
    002: «если у вас сделка по воронке может двигаться обратно, с вашей воронкой что-то
    не так»; «Правильно было бы сделать после этапа "КП отправлено" дополнительный этап
    "Комментарии от клиента получены". И двинуть сделку вперед.»
    """

    code = "FN115"
    title = "a move back to an earlier stage"
    name = "backward-move"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for pipe in ctx.funnel.pipelines:
            yield from self._pipeline(ctx, pipe)

    def _pipeline(self, ctx: LintContext, pipe: Pipeline) -> Iterator[Finding]:
        position = {id(s): i for i, s in enumerate(pipe.stages)}
        resolve = ctx.funnel.resolve
        for i, stage in enumerate(pipe.stages):
            for node, target, what in stage_moves(stage):
                found = resolve(target.ref, pipe)
                if found is None or found[0] is not pipe:
                    continue
                dest = found[1]
                j = position.get(id(dest), -1)
                if j < 0 or j > i:
                    continue
                if j == i:
                    message = f"an {what} of `{stage.name.value}` sends deals back into it"
                    label = "back into the same stage"
                    secondary: tuple[Label, ...] = ()
                else:
                    message = (f"an {what} of `{stage.name.value}` sends deals back to "
                               f"`{dest.name.value}`")
                    label = f"stage {i + 1} back to stage {j + 1}"
                    secondary = (Label(dest.name.span, "the earlier stage"),)
                yield Finding(message, node.span, label, secondary,
                              help="record what happened as a new stage after "
                                   f"`{stage.name.value}` and move the deal forward")
