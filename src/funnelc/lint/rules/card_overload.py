"""FN107: card fields nobody is asked to fill, or too many fields on one card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import FunnelFile
from ..base import Finding, LintContext, Rule


def used_fields(funnel: FunnelFile) -> set[str]:
    """Fields a stage requires or a condition reads: the ones the funnel depends on."""
    used: set[str] = set()
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            used.update(n.value for n in stage.requires)
            for out in stage.outcomes:
                if out.when is not None:
                    used.update(t.field.value for t in out.when.terms)
    return used


class CardOverload(Rule):
    """Flags card fields that no stage `requires` and no `when` condition reads, and
    cards (deal, contact or company) with more than `max-fields` fields.

    Why
    ---
    A field nobody must fill is filled "на авось" or not at all, so the reports built on
    it are wrong, and every extra field makes the card longer to read for the manager.
    Keep the fields the process depends on (required at some stage, or deciding a
    route) and drop or justify the rest. Contact data the CRM fills itself from calls
    and forms (phone, e-mail, site) is exempt by default.

    Bad
    ---
        field "Бюджет" money
        field "Любимый цвет" text
        source "Сайт" 5/day -> "Продажи"."Расчет"
        pipeline "Продажи" sales {
          stage "Расчет" {
            requires "Бюджет"
            -> won
          }
        }

    Good
    ----
        field "Бюджет" money
        source "Сайт" 5/day -> "Продажи"."Расчет"
        pipeline "Продажи" sales {
          stage "Расчет" {
            requires "Бюджет"
            -> won
          }
        }

    Seed
    ----
    002, mistake 6: «Не настроена или перегружена карточка сделки/контакта/компании...
    Нет необходимых или слишком много полей, которые не заполняют, или заполняют «на
    авось» менеджеры по продажам.»

    Options
    -------
    max-fields: most fields one card (deal, contact or company) should have.
    exempt-types: field types never reported as unused (filled by the CRM itself).
    """

    code = "FN107"
    title = "card fields nobody must fill, or too many fields"
    name = "card-overload"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"max-fields": 25, "exempt-types": ["phone", "email", "url"]}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        funnel = ctx.funnel
        used = used_fields(funnel)
        exempt = set(opts["exempt-types"])
        for fld in funnel.fields:
            if fld.name.value in used or fld.type.kind in exempt:
                continue
            yield Finding(f"field `{fld.name.value}` is never required nor used in a condition",
                          fld.name.span, "nothing asks a manager to fill it",
                          help=f'require it where it matters (`requires "{fld.name.value}"`), '
                               "read it in a `when`, or drop it from the card")
        limit = int(opts["max-fields"])
        per_entity = Counter(f.entity.value for f in funnel.fields)
        for entity, count in per_entity.items():
            if count <= limit:
                continue
            fields = [f for f in funnel.fields if f.entity.value == entity]
            over = fields[limit]
            yield Finding(f"the {entity} card has {count} fields, more than {limit}",
                          over.name.span, f"field {limit + 1} of the {entity} card",
                          (Label(fields[0].name.span, "the first one"),),
                          help="keep the fields the process needs; move reference data to "
                               "notes or another entity")
