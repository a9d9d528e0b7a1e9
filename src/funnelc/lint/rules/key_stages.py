"""FN112: a sales pipeline with no key stage marked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from ...diagnostics import Severity
from ..base import ExampleLanguage, Finding, LintContext, Rule, example_language, is_sales

_COMMITTED: Final[dict[ExampleLanguage, str]] = {
    "ru": "Клиент пришел на встречу", "uk": "Клієнт прийшов на зустріч",
    "en": "Client attended the meeting"}
"""A stage where the client has clearly committed, in the account's language: seed 002's
own key stage (the client spent time on it), not «Встреча проведена», which FN113 flags
as an activity (seed 001)."""


class SalesPipelineWithoutKeyStage(Rule):
    """Flags a sales pipeline in which no stage is marked `key`.

    Why
    ---
    Key stages (КЭВ) are where the client has clearly committed, such as a visit to the
    showroom; managers must treat deals there first, and the account's `queue
    key-first` and the reports rely on the mark. A sales funnel without one has no
    priority and no milestone to measure managers by.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Заявка"
        pipeline "Продажи" sales {
          stage "Заявка" {
            -> "Посетил шоу-рум" 40%
            -> lost "Не дозвонились" 60%
          }
          stage "Посетил шоу-рум" {
            -> won
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Заявка"
        pipeline "Продажи" sales {
          stage "Заявка" {
            -> "Посетил шоу-рум" 40%
            -> lost "Не дозвонились" 60%
          }
          stage "Посетил шоу-рум" key {
            -> won
          }
        }

    Seed
    ----
    002, mistake 11: «Не выделять ключевые этапы воронки (КЭВы)»; «нужно стрелять и
    казнить, если вы плохо работаете с клиентами, дошедшими до ключевых этапов воронки.»
    """

    code = "FN112"
    title = "a sales pipeline without a key stage"
    name = "sales-pipeline-without-key-stage"
    kind = "suggestion"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for pipe in ctx.funnel.pipelines:
            if is_sales(pipe, ctx.funnel) and pipe.stages and not any(
                    s.key for s in pipe.stages):
                example = _COMMITTED[example_language(ctx, (s.name.value
                                                            for s in pipe.stages))]
                yield Finding(f"sales pipeline `{pipe.name.value}` has no key stage",
                              pipe.name.span, "no stage is marked `key`",
                              help='mark the stage where the client has clearly committed: '
                                   f'`stage "{example}" key {{ … }}`')
