"""FN103: a stage deals can enter and never leave (the graveyard)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ..base import (
    ORDER_PURPOSES,
    Finding,
    LintContext,
    Rule,
    calendar_days,
    iter_stages,
    percent,
    purpose_name,
)
from .stage_sla import escalation
from .warming import warming_copy


class GraveyardStage(Rule):
    """Flags a stage where deals can stay forever: `stay` without an `sla`, or a stage
    with no way out at all (no outcome, `stay`, cadence or `sla`).

    Why
    ---
    Deals pile up there: managers stop seeing the live ones among the dead, the pipeline's
    value is inflated, and nobody loses the deals so nobody learns why they were lost
    ("копить и не проигрывать сделки"). Give the stage a lifetime that closes the stayers
    and hands them to warming. The help copies into the account's own warming pipeline
    when it has one, with a reason in the account's language, and gives the lifetime in
    the account's calendar (two weeks: `sla 14d`, or `sla 90h` with `hours mon-fri
    09:00-18:00`); in a `production`, `delivery` or `claims` pipeline it escalates.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Отправлен расчет"
        pipeline "Продажи" sales {
          stage "Отправлен расчет" {
            -> won 5% after exp(10d)
            stay 95%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Отправлен расчет"
        pipeline "Продажи" sales {
          stage "Отправлен расчет" {
            sla 10d -> lost "Нет ответа на расчет" then copy "Прогрев"."Новая сделка"
            -> won 5% after exp(10d)
            stay 95%
          }
        }
        pipeline "Прогрев" nurture {
          stage "Новая сделка" {
            on enter message email "Подборка проектов"
            sla 60d -> lost "Не прогрелся"
            -> won 5% then copy "Продажи"."Отправлен расчет"
            stay 95%
          }
        }

    Seed
    ----
    000: «в этапе "ОТПРАВЛЕН РАСЧЕТ" остаются лежать большое количество лидов. Этот этап
    настоящее кладбище сделок»; 002, mistake 14: «Копить и не проигрывать сделки».
    """

    code = "FN103"
    title = "a stage deals can stay in forever (the graveyard)"
    name = "graveyard-stage"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for pipe, _, stage in iter_stages(ctx.funnel):
            if stage.sla is not None or stage.cadence is not None:
                continue
            if stage.stay is not None and stage.stay.value > 0:
                primary, label = stage.stay.span, (
                    f"`stay {stage.stay.text}` without an `sla`: "
                    f"{percent(stage.stay.value)} of the deals stay here forever")
                secondary: tuple[Label, ...] = (Label(stage.name.span, "in this stage"),)
            elif not stage.outcomes and stage.stay is None:
                primary, label = stage.name.span, "no outcome, `stay`, cadence or `sla`"
                secondary = ()
            else:
                continue
            notes = self._notes(ctx, pipe.name.value, stage.name.value)
            if purpose_name(pipe) in ORDER_PURPOSES:
                help_, more = escalation(ctx, pipe.name.value, stage.name.value)
            else:
                words, into, where = warming_copy(ctx, pipe, morphology=False)
                life = calendar_days(ctx.funnel, 14)
                help_ = (f'give the stage a lifetime: `sla {life.text} -> lost '
                         f'"{words.reason}" then copy {into}`{where}')
                more = (life.note,) if life.note else ()
            yield Finding(f"deals that reach `{stage.name.value}` can stay there forever",
                          primary, label, secondary, notes=notes + more, help=help_)

    def _notes(self, ctx: LintContext, pipeline: str, stage: str) -> tuple[str, ...]:
        chain = ctx.chain.stages.get((pipeline, stage))
        if chain is None:
            return ()
        ending = chain.visits_per_lead * chain.stuck_share
        if not math.isfinite(ending) or ending <= 0:
            return ()
        return (f"of every 100 leads entering `{pipeline}`, {ending * 100:.0f} end up "
                "here for good",)
