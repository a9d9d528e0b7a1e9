"""FN127: values of a field no outcome of a stage routes, when every outcome reads it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import Outcome, Stage
from ..base import Finding, LintContext, Rule
from ..conditions import (
    Choices,
    FieldDomain,
    Numbers,
    Values,
    admits,
    condition_text,
    field_domains,
)


def _uncovered(domain: FieldDomain, outcomes: list[Outcome]) -> Values | None:
    covered: Values | None = None
    for out in outcomes:
        assert out.when is not None
        got = admits(out.when, domain)
        if got is None:
            return None
        covered = got if covered is None else covered | got  # type: ignore[operator]
    assert covered is not None
    return domain.all - covered  # type: ignore[operator]


def _first(domain: FieldDomain, values: Values) -> Values:
    """One value or range of `values` to write a condition for."""
    if isinstance(values, Numbers):
        return Numbers((values.parts[0],), values.integer)
    return Choices(frozenset(domain.listed(values)[:1]))


class UncoveredConditionValues(Rule):
    """Flags a stage all of whose outcomes read one field in `when` and still leave
    some of its values with no route: an enum option no condition names, a bool value,
    numbers between or beyond the ranges (`int(1..10)` ends, and amounts from 0). A
    stage with `stay` or an outcome without `when` has a way for the rest, and a field
    this lint cannot read (`date`, `multi`, free text) is left alone.

    Why
    ---
    The playbook shows the manager one instruction per condition; a deal whose value
    none of them names has none, and waits until its `sla` takes it. Seed 002's claims
    decision is one of three, and each needs its instruction.

    Bad
    ---
        team "Сервис" size 1
        field "Решение по рекламации" enum("Возврат средств", "Замена товара", "В рекламации отказано")
        source "Обращения" 1/day -> "Рекламации"."Решение по рекламации вынесено"
        pipeline "Рекламации" claims {
          stage "Решение по рекламации вынесено" {
            owner "Сервис"
            requires "Решение по рекламации"
            on enter message whatsapp "Решение по вашей рекламации"
            sla 2d -> won
            hint "Сообщите клиенту решение."
            -> won 60% when "Решение по рекламации" = "Замена товара" then copy "Производство"."Новый заказ"
            -> "Клиенту объяснили решение" 40% when "Решение по рекламации" = "В рекламации отказано"
          }
          stage "Клиенту объяснили решение" {
            on enter task "Позвонить клиенту и объяснить решение" due 4h
            -> won
          }
        }
        pipeline "Производство" production {
          stage "Новый заказ" { -> won }
        }

    Good
    ----
        team "Сервис" size 1
        field "Решение по рекламации" enum("Возврат средств", "Замена товара", "В рекламации отказано")
        source "Обращения" 1/day -> "Рекламации"."Решение по рекламации вынесено"
        pipeline "Рекламации" claims {
          stage "Решение по рекламации вынесено" {
            owner "Сервис"
            requires "Решение по рекламации"
            on enter message whatsapp "Решение по вашей рекламации"
            sla 2d -> won
            hint "Сообщите клиенту решение."
            -> won 40% when "Решение по рекламации" = "Замена товара" then copy "Производство"."Новый заказ"
            -> "Деньги возвращены" 20% when "Решение по рекламации" = "Возврат средств"
            -> "Клиенту объяснили решение" 40% when "Решение по рекламации" = "В рекламации отказано"
          }
          stage "Деньги возвращены" {
            on enter task "Вернуть деньги клиенту" due 1d
            -> won
          }
          stage "Клиенту объяснили решение" {
            on enter task "Позвонить клиенту и объяснить решение" due 4h
            -> won
          }
        }
        pipeline "Производство" production {
          stage "Новый заказ" { -> won }
        }

    Seed
    ----
    002, the claims funnel: «Решением по рекламации обычно бывает один из трех вариантов:
    возврат средств, замена товара/услуги, в рекламации отказано»; the telemarketing
    funnel: «9-10 … 7-8 … 1-7» (every answer has its route).
    """

    code = "FN127"
    title = "field values no outcome of a stage routes"
    name = "uncovered-condition-values"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        domains: dict[str, FieldDomain] | None = None
        for pipe in ctx.funnel.pipelines:
            for stage in pipe.stages:
                outs = list(stage.outcomes)
                if not outs or stage.stay is not None or any(o.when is None for o in outs):
                    continue
                if domains is None:
                    domains = field_domains(ctx.funnel)
                yield from self._stage(domains, stage, outs)

    @staticmethod
    def _stage(domains: Mapping[str, FieldDomain], stage: Stage, outs: list[Outcome]
               ) -> Iterator[Finding]:
        read = [dict.fromkeys(t.field.value for t in o.when.terms)  # type: ignore[union-attr]
                for o in outs]
        for name in read[0]:
            domain = domains.get(name)
            if domain is None or not domain.finite or not all(name in r for r in read):
                continue
            rest = _uncovered(domain, outs)
            if rest is None or rest.empty:
                continue
            many = isinstance(rest, Choices) and len(rest.values) > 1
            cond = condition_text(domain, rest if not many else _first(domain, rest))
            fix = f"-> … when {cond}" if cond is not None else None
            if fix is None:
                help_ = "add an outcome for each of these values, or widen a condition to take them"
            elif many:
                help_ = f"add an outcome for each of these values: `{fix}`"
            else:
                help_ = f"add an outcome for these deals, or widen a condition to take them: `{fix}`"
            yield Finding(
                f"no outcome of `{stage.name.value}` routes a deal with `{name}` "
                f"{domain.describe(rest)}", stage.name.span,
                f"every outcome here reads `{name}`",
                notes=("the manager's playbook gives these deals no route; they wait for "
                       "the stage's `sla`" if stage.sla is not None else
                       "the manager's playbook gives these deals no route, and they stay "
                       "here",),
                help=help_)
            return
