"""FN114: a stage named after the state of another entity (a unit, goods)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ..base import Finding, LintContext, Rule, stages_named_as


class EntityStateStage(Rule):
    """Flags a stage named after the state of something other than the deal: "Бронь"
    or "Резерв" (a unit's state), "На складе" (goods), a third party's work ("Отказ
    банка", "Отправлено поставщиком"), a payment or a record ("Платіж скасовано",
    "Просрочен"). It reads grammar and word classes, not a list of names, and misses
    what only the domain names: on 583 held-back real stage names 84 % of its flags
    were right and it found 54 % of such stages (`tests/data/stage_names`), so it is a
    note, and a stage it misreads is suppressed with the reason.

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
        for stage, c in stages_named_as(ctx, "entity_state", opts):
            yield Finding(f"stage `{stage.name.value}` is the state of another entity",
                          stage.name.span, c.reason,
                          help="keep the state in a field (`field \"Стан юніта\" enum(…)`) and "
                               "name the stage for the client's decision")
