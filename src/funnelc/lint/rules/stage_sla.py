"""FN102: a stage deals leave only when someone moves them: no lifetime limit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ..base import Finding, LintContext, Rule, stages_not_exempt


class StageWithoutSla(Rule):
    """Flags a stage with outcomes but no `sla`: nothing closes a deal that has been
    there too long. Cadence stages end by themselves; stages with `stay` or with no way
    out are FN103's (graveyard-stage).

    Why
    ---
    The shares say where deals *should* go, but in the CRM a deal nobody moves can hang
    in the stage for months, inflating the pipeline and hiding the real conversion. A
    lifetime (`sla 7d -> lost "…"`, usually with `then copy` into a warming pipeline)
    closes stale deals automatically.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            -> won 20% after exp(5d)
            -> lost "Дорого" 80%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            sla 14d -> lost "Нет ответа"
            -> won 20% after exp(5d)
            -> lost "Дорого" 80%
          }
        }

    Seed
    ----
    002, mistake 2: «Нет допустимого времени жизни сделки в этапе... У сделки на каждом
    этапе есть допустимое время существования. Если сделка не закрывается во время, она
    автоматически проигрывается и перемещается в этап вызревание.»

    Options
    -------
    exempt-purposes: pipeline purposes whose stages are not checked.
    """

    code = "FN102"
    title = "a stage without a lifetime (`sla`)"
    name = "stage-without-sla"
    kind = "suggestion"
    default_severity = Severity.warning
    options = {"exempt-purposes": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        for stage in stages_not_exempt(ctx.funnel, opts):
            if (stage.sla is not None or stage.cadence is not None or stage.stay is not None
                    or not stage.outcomes):
                continue
            yield Finding(
                f"stage `{stage.name.value}` has no lifetime limit", stage.name.span,
                "no `sla`: a deal nobody moves stays here indefinitely",
                help='add `sla 7d -> lost "…"` (with `then copy` into a warming pipeline '
                     "if the client may come back later)")
