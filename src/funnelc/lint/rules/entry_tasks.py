"""FN101: a stage where nothing happens automatically when a deal enters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import MessageAction, TaskAction
from ..base import Finding, LintContext, Rule, stages_not_exempt


class StageWithoutEntryTask(Rule):
    """Flags a stage that creates no task and sends no message when a deal enters it.
    Stages with a cadence are exempt: the cadence is their plan of touches.

    Why
    ---
    The next step then lives in the manager's memory: deals that arrive while the manager
    is busy wait until someone happens to open them, and nobody can see what should have
    happened. An `on enter task` (with `due`) or an automatic `on enter message` makes
    the CRM start the work on every deal, and the simulator can count it.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" {
            owner "Менеджеры"
            -> won 30%
            -> lost "Не дозвонились" 70%
          }
        }
        team "Менеджеры" size 2

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" {
            owner "Менеджеры"
            on enter task "Позвонить клиенту" due 15m
            -> won 30%
            -> lost "Не дозвонились" 70%
          }
        }
        team "Менеджеры" size 2

    Seed
    ----
    002, mistake 1: «Нет автоматических задач по этапам. Неправильно: при переходе сделки
    в этап с ней ничего не происходит. Правильно: при переходе сделки в этап автоматически
    ставятся задачи.»

    Options
    -------
    exempt-purposes: pipeline purposes whose stages are not checked (e.g. `["nurture"]`).
    """

    code = "FN101"
    title = "a stage that starts no task or message on entry"
    name = "stage-without-entry-task"
    kind = "suggestion"
    default_severity = Severity.warning
    options = {"exempt-purposes": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for stage in stages_not_exempt(ctx.funnel, opts):
            if stage.cadence is not None:
                continue
            if any(isinstance(a, (TaskAction, MessageAction)) for a in stage.on_enter):
                continue
            yield Finding(
                f"nothing happens when a deal enters stage `{stage.name.value}`",
                stage.name.span, "no `on enter task` or `on enter message`",
                help='add `on enter task "…" due 1d` for the next step, or '
                     '`on enter message whatsapp "…"` for an automatic touch')
