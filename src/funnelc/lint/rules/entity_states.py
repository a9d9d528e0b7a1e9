"""FN114: a stage named after the state of another entity (a unit, goods)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from ...diagnostics import Severity
from ...fmt import quote
from ..base import Finding, LintContext, Rule, stages_named_as
from ..naming import EntityKind


class EntityStateStage(Rule):
    """Flags a stage named after the state of something other than the deal: "Бронь"
    or "Резерв" (a unit's state), "На складе" (goods), a third party's work ("Отказ
    банка", "Отправлено поставщиком"), a payment or a record ("Платіж скасовано",
    "Просрочен"). It reads grammar and word classes, not a list of names, and misses
    what only the domain names: on 583 held-back real stage names 84 % of its flags
    were right and it found 54 % of such stages (`tests/data/stage_names`), so it is a
    note, and a stage it misreads is suppressed with the reason. Its help names the
    field the state belongs in, for the entity it read and in the account's language: a
    payment's state goes into «Статус оплаты», goods' into «Статус товара», a unit's
    into «Стан юніта».

    Why
    ---
    A booking belongs to the flat, not to the buyer's decision: one client can book and
    cancel several units, and a booked unit can wait for the client to sell their own
    home. Modelled as a deal stage it mixes two life cycles and the funnel loses the
    step the client is actually at. Keep it a field of the deal (or of the unit) and
    name the stage for the decision.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Бронь"
        pipeline "Продажи" sales {
          stage "Бронь" {
            -> won
          }
        }

    Good
    ----
        field "Стан юніта" enum("Вільний", "Бронь", "Продано")
        source "Сайт" 5/day -> "Продажи"."Квартира выбрана"
        pipeline "Продажи" sales {
          stage "Квартира выбрана" {
            requires "Стан юніта"
            -> won
          }
        }

    Seed
    ----
    001: «бронь - це стан юніта, який вказує що ним заціквалений конкретний покупець»;
    «тут намішані статуси, стани і етапи різних сутностей».

    Options
    -------
    allow: stage names never reported (exact, as written).
    """

    code = "FN114"
    title = "a stage named after another entity's state"
    name = "entity-state-stage"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"allow": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        # The field is named in the account's language when it declares one: "Бронь" alone
        # reads as Russian, but a Ukrainian account's field is "Стан юніта".
        account_language = next((a.language for a in ctx.funnel.accounts if a.language), None)
        for stage, c in stages_named_as(ctx, "entity_state", opts):
            field = state_field(c.entity, account_language or c.language)
            value = _NUMBERING.sub("", stage.name.value, count=1) or stage.name.value
            yield Finding(f"stage `{stage.name.value}` is the state of another entity",
                          stage.name.span, c.reason,
                          help=f"keep the state in a field (`field {quote(field)} "
                               f"enum({quote(value)}, …)`) and name the stage for "
                               "the client's decision")


_NUMBERING: Final = re.compile(r"^\W*(?:\d+[.)]\s*)?")
"""A kanban's ordering prefix ("8. Бронь объекта", "~ Архив"): a field's option is named
without it ("Бронь объекта")."""


# The field a state belongs in, in the stage name's language: the payment's state goes
# into the payment's field, not into seed 001's "Стан юніта" (which only a unit has).
_STATE_FIELDS: Final[dict[EntityKind, dict[str, str]]] = {
    EntityKind.UNIT: {"ru": "Статус объекта", "uk": "Стан юніта", "en": "Unit status"},
    EntityKind.GOODS: {"ru": "Статус товара", "uk": "Стан товару", "en": "Goods status"},
    EntityKind.THIRD_PARTY: {"ru": "Статус у контрагента", "uk": "Стан у контрагента",
                             "en": "Third-party status"},
    EntityKind.PAYMENT: {"ru": "Статус оплаты", "uk": "Стан оплати", "en": "Payment status"},
    EntityKind.RECORD: {"ru": "Статус документа", "uk": "Стан документа",
                        "en": "Document status"},
}


def state_field(entity: EntityKind | None, language: str) -> str:
    """The name of the field a stage's entity state belongs in; a Russian name when the
    stage's language is not known (most accounts are Russian)."""
    names = _STATE_FIELDS[entity or EntityKind.UNIT]
    return names.get(language, names["ru"])
