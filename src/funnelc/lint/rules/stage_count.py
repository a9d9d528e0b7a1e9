"""FN121: a pipeline with more stages than anyone can scan."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ..base import Finding, LintContext, Rule, pipelines_not_exempt


class TooManyStages(Rule):
    """Flags a pipeline with more than `max-stages` stages.

    Why
    ---
    Every stage should say where the lead is in the decision; a long pipeline mixes
    those steps with tasks, states of other entities and departments' work, and the
    kanban no longer fits the screen: managers scroll sideways and stop moving cards.
    Keep the minimum number of stages that describe the decision, and move the rest to
    fields, tasks or a pipeline of their own (telemarketing, production, warming).

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" { -> "Квалифицирован" }
          stage "Квалифицирован" { -> "Потребность выявлена" }
          stage "Потребность выявлена" { -> "КП отправлено" }
          stage "КП отправлено" { -> "КП согласовано" }
          stage "КП согласовано" { -> "Договор отправлен" }
          stage "Договор отправлен" { -> "Договор подписан" }
          stage "Договор подписан" { -> "Счет выставлен" }
          stage "Счет выставлен" { -> "Предоплата получена" }
          stage "Предоплата получена" { -> "Заказ передан в производство" }
          stage "Заказ передан в производство" { -> "Заказ готов" }
          stage "Заказ готов" { -> "Заказ отгружен" }
          stage "Заказ отгружен" { -> "Оплата получена" }
          stage "Оплата получена" { -> won }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" { -> "Потребность выявлена" }
          stage "Потребность выявлена" { -> "КП отправлено" }
          stage "КП отправлено" { -> "Договор подписан" }
          stage "Договор подписан" { -> "Предоплата получена" }
          stage "Предоплата получена" { -> won then copy "Производство"."Новый заказ" }
        }
        pipeline "Производство" production {
          stage "Новый заказ" { -> "Заказ готов" }
          stage "Заказ готов" { -> "Заказ отгружен" }
          stage "Заказ отгружен" { -> won }
        }

    Seed
    ----
    001: «важливо у воронці продажів залишити мінімально необхідну кількість статусів»;
    002: «вы не будете создавать воронки "монстры", в которых, чтобы работать нужно
    отматывать экран вправо».

    Options
    -------
    max-stages: most stages one pipeline should have (won and lost not counted).
    exempt-purposes: pipeline purposes not checked.
    """

    code = "FN121"
    title = "a pipeline with too many stages"
    name = "too-many-stages"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"max-stages": 10, "exempt-purposes": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        limit = int(opts["max-stages"])
        for pipe in pipelines_not_exempt(ctx.funnel, opts):
            count = len(pipe.stages)
            if count <= limit:
                continue
            over = pipe.stages[limit]
            yield Finding(f"`{pipe.name.value}` has {count} stages, more than {limit}",
                          pipe.name.span, "managers scroll sideways to see them all",
                          (Label(over.name.span, f"stage {limit + 1}"),),
                          help="keep the stages that say where the client is in the decision; "
                               "move the rest to fields, tasks or a pipeline of their own "
                               "(`then copy` into it)")
