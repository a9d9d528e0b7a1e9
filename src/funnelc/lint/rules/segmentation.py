"""FN117: a stage that loses most deals right before the closing stage."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any, Final

from ...diagnostics import Label, Severity
from ..base import (
    ExampleLanguage,
    Finding,
    LintContext,
    Rule,
    aged_segment,
    example_language,
    is_sales,
    percent,
)

SEGMENTS: Final[dict[ExampleLanguage, tuple[str, ...]]] = {
    "ru": ("Холодные", "Клиент согласовал встречу", "Клиент пришел на встречу", "Теплые",
           "Горячие"),
    "uk": ("Холодні", "Клієнт погодив зустріч", "Клієнт прийшов на зустріч", "Теплі",
           "Гарячі"),
    "en": ("Cold", "Meeting agreed", "Client attended the meeting", "Warm", "Hot"),
}
"""Seed 000's segments (cold, meeting set, meeting held, warm, hot) in the account's
language, the meetings named for the client's decision, as FN113 asks (seed 001)."""


class UnsegmentedStageBeforeClose(Rule):
    """Flags a stage written right before a closing stage (one with a `won` route) that
    moves deals straight to it, when most of its deals (`loss-share`) are lost or left
    in the stage instead of moving on: the base needs segmentation stages in between.

    Why
    ---
    After the proposal most leads drop out, and they all lie in one stage: managers
    highlight the ones they care about by hand, the rest are never worked, and the stage
    becomes a graveyard. Stages between the proposal and the contract that segment the
    base (cold, warm, meeting set, meeting held, hot) give each group its own work and
    send the cold ones to marketing. A stage every deal enters by another stage's `sla`
    is such a segment already (the aged deals `funnelc audit` proposes to split off a
    graveyard, «Холодные»): most of its deals are lost by design, and it is not flagged.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Отправлен расчет"
        pipeline "Продажи" sales {
          stage "Отправлен расчет" {
            -> "Заключение договора" 5%
            -> lost "Нет ответа" 95%
          }
          stage "Заключение договора" {
            -> won 85%
            -> lost "Не согласовали" 15%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Отправлен расчет"
        pipeline "Продажи" sales {
          stage "Отправлен расчет" {
            -> "Теплые" 40%
            -> lost "Нет ответа" 60%
          }
          stage "Теплые" {
            -> "Горячие" 30%
            -> lost "Долго думает" 70%
          }
          stage "Горячие" {
            -> "Заключение договора" 70%
            -> lost "Дорого" 30%
          }
          stage "Заключение договора" {
            -> won 85%
            -> lost "Не согласовали" 15%
          }
        }

    Seed
    ----
    000: «Ошибка кроется между 3 и 4 этапами. Как правило после отправки КП, 95% лидов
    сливается... Правильно – это когда между этапами 3 и 4 создают дополнительные этапы
    сегментируя базу. Например: холодные, не дозвоны, назначена встреча, встреча
    проведена, теплые, горячие.»

    Options
    -------
    loss-share: share of a stage's deals lost or left there above which it is flagged.
    """

    code = "FN117"
    title = "most deals lost right before the closing stage"
    name = "unsegmented-stage-before-close"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"loss-share": 0.5}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        threshold = float(opts["loss-share"])
        for pipe in ctx.funnel.pipelines:
            if not is_sales(pipe, ctx.funnel):
                continue
            flows = ctx.flows.pipeline_stages(pipe.name.value)
            for before, closing in itertools.pairwise(flows):
                if not any(r.kind == "won" and r.share > 0 for r in closing.routes):
                    continue
                # A stage whose deals all come in by another stage's `sla` is the aged
                # deals' segment already (`funnelc audit`'s «Холодные» split off a
                # graveyard): most of them are lost by design, and more segments are
                # not the remedy.
                if aged_segment(ctx, pipe, before):
                    continue
                onward = sum(r.share for r in before.routes
                             if r.kind == "stage" and r.stage == closing.key)
                if onward <= 0:
                    continue
                dropped = sum(r.share for r in before.routes
                              if r.kind in ("lost", "stuck")
                              or (r.kind == "stage" and r.stage == before.key))
                if dropped <= threshold:
                    continue
                name, nxt = before.stage.name.value, closing.stage.name.value
                segments = ", ".join(f"`{s}`" for s in SEGMENTS[example_language(
                    ctx, (s.name.value for s in pipe.stages))])
                yield Finding(
                    f"{percent(dropped)} of the deals in `{name}` are lost or left there, "
                    f"right before `{nxt}`", before.stage.name.span,
                    f"only {percent(onward)} move on", (Label(closing.stage.name.span,
                                                              "the closing stage"),),
                    help=f"segment the base between `{name}` and `{nxt}` with decision "
                         f"stages ({segments}), and copy the cold ones into a warming "
                         "pipeline")
