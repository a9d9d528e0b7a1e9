"""FN122: a stage that does not require the fields configured for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import Pipeline, StageTarget, Target
from ..base import Finding, LintContext, Rule


def _required_at(ctx: LintContext, pipe: Pipeline, target: Target) -> set[str]:
    """The fields the outcome's target stage requires: a route into a stage that asks
    for the field cannot be taken on an empty card."""
    if not isinstance(target, StageTarget):
        return set()
    found = ctx.funnel.resolve(target.ref, pipe)
    return {n.value for n in found[1].requires} if found is not None else set()


class StageWithoutRequiredFields(Rule):
    """Flags a stage whose routes read a field (`when`) that no stage of the pipeline
    requires (amounts, numbers, dates: choice fields are usually set by the decision
    itself); and, when configured, any stage listed in `stages`
    without `requires`, and any stage from the first one that requires fields on that
    misses one of `fields`. Unlike FN105 it covers every stage, not only key ones.

    Why
    ---
    A route that depends on a field nobody had to fill is decided on an empty card: the
    deal goes the default way and the report counts it as if the client had chosen it.
    Each stage should ask for what a manager needs to work the deal there and to move it
    on, and the team can say which fields every stage needs.

    Bad
    ---
        field "Бюджет" money
        source "Сайт" 5/day -> "Продажи"."Потребность выявлена"
        pipeline "Продажи" sales {
          stage "Потребность выявлена" {
            -> "Проект согласован" 50% when "Бюджет" >= 1M
            -> "КП отправлено" 50%
          }
          stage "Проект согласован" { -> won }
          stage "КП отправлено" { -> won }
        }

    Good
    ----
        field "Бюджет" money
        source "Сайт" 5/day -> "Продажи"."Потребность выявлена"
        pipeline "Продажи" sales {
          stage "Потребность выявлена" {
            requires "Бюджет"
            -> "Проект согласован" 50% when "Бюджет" >= 1M
            -> "КП отправлено" 50%
          }
          stage "Проект согласован" { -> won }
          stage "КП отправлено" { -> won }
        }

    Seed
    ----
    002, mistake 4: «Нет необходимых для заполнения полей для этапа»; «Для каждого этапа
    каждой воронки продажи определить ключевые поля, которые должны быть зафиксированы
    менеджером при переходе сделки в нужный этап».

    Options
    -------
    fields: field names every stage from the first one that requires fields on must require.
    stages: stages that must require fields (`Pipeline.Stage` or a stage name).
    """

    code = "FN122"
    title = "a stage without the fields configured for it"
    name = "stage-without-required-fields"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"fields": [], "stages": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        wanted_stages = set(opts["stages"])
        wanted_fields = list(opts["fields"])
        # Choice fields (enum, multi, bool) are usually set by the very decision the route
        # reads ("Тип клиента", a trigger's flag); amounts and dates are what a route
        # decided on an empty card gets wrong.
        choice = {f.name.value for f in ctx.funnel.fields
                  if f.type.kind in ("enum", "multi", "bool")}
        for pipe in ctx.funnel.pipelines:
            # Fields some stage of the pipeline requires: filled by the time it matters.
            required = {n.value for st in pipe.stages for n in st.requires}
            started = False
            for stage in pipe.stages:
                have = [n.value for n in stage.requires]
                key = f"{pipe.name.value}.{stage.name.value}"
                listed = key in wanted_stages or stage.name.value in wanted_stages
                if not have and listed:
                    yield Finding(f"stage `{stage.name.value}` requires no fields",
                                  stage.name.span, "the configuration lists it",
                                  help='list what this stage needs: `requires "Бюджет", "…"`')
                started = started or bool(have)
                missing = ([f for f in wanted_fields if f not in have]
                           if started and (have or not listed) else [])
                if missing:
                    names = ", ".join(f"`{f}`" for f in missing)
                    yield Finding(f"stage `{stage.name.value}` does not require {names}",
                                  stage.name.span, "configured for every stage",
                                  help="require it here too: `requires " +
                                       ", ".join(f'"{f}"' for f in [*have, *missing]) + "`")
                read: list[str] = []
                for out in stage.outcomes:
                    if out.when is None:
                        continue
                    gate = _required_at(ctx, pipe, out.target)
                    read += [t.field.value for t in out.when.terms
                             if t.op != "filled" and t.field.value not in gate
                             and t.field.value not in choice]
                unread = [f for f in dict.fromkeys(read) if f not in required]
                if unread:
                    names = ", ".join(f"`{f}`" for f in unread)
                    yield Finding(f"stage `{stage.name.value}` routes on {names}, which no "
                                  f"stage of `{pipe.name.value}` requires", stage.name.span,
                                  "the route is decided on an empty card",
                                  help="require it here: `requires " +
                                       ", ".join(f'"{f}"' for f in [*have, *unread]) + "`")
