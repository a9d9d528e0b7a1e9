"""FN102: a stage deals leave only when someone moves them: no lifetime limit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ..base import (
    ORDER_PURPOSES,
    Finding,
    LintContext,
    Rule,
    calendar_days,
    pipelines_not_exempt,
    purpose_name,
)


class StageWithoutSla(Rule):
    """Flags a stage with outcomes but no `sla`: nothing closes a deal that has been
    there too long. Cadence stages end by themselves; stages with `stay` or with no way
    out are FN103's (graveyard-stage).

    Why
    ---
    The shares say where deals *should* go, but in the CRM a deal nobody moves can hang
    in the stage for months, inflating the pipeline and hiding the real conversion. A
    lifetime (`sla 7d -> lost "…"`, usually with `then copy` into a warming pipeline)
    closes stale deals automatically. The help's lifetime is a week of the account's
    calendar: `sla 7d` where the clock runs 24/7, `sla 45h` where the account has
    `hours mon-fri 09:00-18:00` (there `d` counts 24 *working* hours, so `7d` would be
    about 19 working days). In a `production`, `delivery` or `claims` pipeline a paid
    order or an open claim is not lost on a timer: the help escalates it instead.

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
        week = calendar_days(ctx.funnel, 7)
        for pipe in pipelines_not_exempt(ctx.funnel, opts):
            order = purpose_name(pipe) in ORDER_PURPOSES
            for stage in pipe.stages:
                if (stage.sla is not None or stage.cadence is not None
                        or stage.stay is not None or not stage.outcomes):
                    continue
                if order:
                    help_, notes = escalation(ctx, pipe.name.value, stage.name.value)
                else:
                    help_ = (f'add `sla {week.text} -> lost "…"` (with `then copy` into a '
                             "warming pipeline if the client may come back later)")
                    notes = (week.note,) if week.note else ()
                yield Finding(
                    f"stage `{stage.name.value}` has no lifetime limit", stage.name.span,
                    "no `sla`: a deal nobody moves stays here indefinitely", notes=notes,
                    help=help_)


def escalation(ctx: LintContext, pipeline: str, stage: str) -> tuple[str, tuple[str, ...]]:
    """The help (and its notes) for a stage of a paid order or an open claim with no
    lifetime: escalate or move it on after two days of the account's calendar, never
    `lost` (seed 002, mistake 2 is about sales deals that hang)."""
    late = calendar_days(ctx.funnel, 2)
    notes = (late.note,) if late.note else ()
    flow = ctx.flows.stages.get((pipeline, stage))
    onward = [r for r in flow.routes if r.via == "outcome" and r.kind == "stage"
              and r.stage is not None and r.stage != (pipeline, stage)] if flow else []
    task = f'on enter task "…" due {late.text}'
    if onward:
        nxt = max(onward, key=lambda r: r.share).stage
        assert nxt is not None
        return (f"an order or a claim is not lost on a timer: give the stage a deadline that "
                f"escalates, `{task}` to the head of the team, or moves the order on, "
                f'`sla {late.text} -> "{nxt[1]}"`', notes)
    return (f"an order or a claim is not lost on a timer: give the stage a deadline that "
            f"escalates, `{task}` to the head of the team", notes)
