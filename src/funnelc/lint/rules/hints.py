"""FN106: a stage that tells the manager nothing about what to do in it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ..base import Finding, LintContext, Rule, stages_not_exempt


class StageWithoutHint(Rule):
    """Flags a stage without a `hint`: the manager is not told what to do here or how
    to sell the next stage.

    Why
    ---
    A hint is the stage's one-line playbook (it becomes the CRM stage description and a
    line of the generated manager playbook). Without it every manager invents their own
    idea of the stage, and the conversions the funnel counts on are nobody's job.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Первичный контакт"
        pipeline "Продажи" sales {
          stage "Первичный контакт" {
            -> won
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Первичный контакт"
        pipeline "Продажи" sales {
          stage "Первичный контакт" {
            hint "Выясните бюджет и сроки, договоритесь о встрече"
            -> won
          }
        }

    Seed
    ----
    002, mistake 5: «Нет подсказок для работы менеджера в этапе и как продавать следующий
    этап... Правильно: менеджер получает актуальную информацию по тому, как продавать
    следующий этап и какую информацию необходимо получить.»

    Options
    -------
    exempt-purposes: pipeline purposes whose stages are not checked.
    """

    code = "FN106"
    title = "a stage without a hint"
    name = "stage-without-hint"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"exempt-purposes": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for stage in stages_not_exempt(ctx.funnel, opts):
            if stage.hint is None:
                yield Finding(f"stage `{stage.name.value}` has no hint", stage.name.span,
                              "the manager is not told what to do here",
                              help='add `hint "…"`: what to find out here and how to sell '
                                   "the next stage")
