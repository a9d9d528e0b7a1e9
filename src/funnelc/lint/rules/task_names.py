"""FN113: a stage named after a task or an activity instead of a decision step."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from ...diagnostics import Severity
from ..base import Finding, LintContext, Rule, stages_named_as


class TaskNamedStage(Rule):
    """Flags a stage whose name is a task for the manager ("Перезвонить"), a failed
    contact attempt ("Не дозвонился") or an activity ("Повторный звонок", "Перший
    дзвінок", "Зустріч призначена"). Word forms are read with pymorphy3, so "Не
    дозвонились" and "Не додзвонився" are caught alike (see `funnelc.lint.naming`). On
    583 held-back real stage names 90 % of its flags were right and it found 71 % of
    task-named stages (`tests/data/stage_names`).

    Why
    ---
    A stage should say where the client is in their decision. "Повторный звонок" says
    only that a call happened: a lead who merely dropped by and a hot buyer sit in the
    same stage, and the next step is unclear. Calls and meetings are tasks, contact
    attempts are a cadence; the stage is what the client decided.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Перезвонить"
        pipeline "Продажи" sales {
          stage "Перезвонить" {
            -> won 20%
            -> lost "Не дозвонились" 80%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" {
            on enter task "Перезвонить" due 1h
            cadence {
              call now 40%
              call 1d 20%
              on reply -> won
              on exhausted -> lost "Не дозвонились"
            }
          }
        }

    Seed
    ----
    002, mistake 13: «Делать из задач этапы. Например, "Не дозвонился", "Перезвонить"»;
    001: «“перший дзвінок”, “повторний дзвінок”, “зустріч призначена”, “зустріч
    відбулась”... Жоден з наведених статусів не дає нам розуміння на якому етапі
    приняття рішення зараз перебуває лід.»

    Options
    -------
    allow: stage names never reported (exact, as written).
    """

    code = "FN113"
    title = "a stage named after a task or activity"
    name = "task-named-stage"
    kind = "suggestion"
    default_severity = Severity.warning
    options = {"allow": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        # Examples in the client's language: a Ukrainian account renames «Недодзвон» to a
        # Ukrainian name, and a Russian example reads as a translation error to them.
        account_language = next((a.language for a in ctx.funnel.accounts if a.language), None)
        for stage, c in stages_named_as(ctx, "task", opts):
            examples = _DECIDED.get(str(account_language or c.language), _DECIDED["ru"])
            yield Finding(f"stage `{stage.name.value}` is named after a task, not a decision "
                          "step", stage.name.span, c.reason,
                          help=f"name the stage for what the client decided ({examples}); "
                               "make the call or meeting an `on enter task` or a `cadence`")


_DECIDED: Final[dict[str, str]] = {
    "ru": "`Интерес подтвержден`, `Потребность выявлена`",
    "uk": "`Інтерес підтверджено`, `Потребу виявлено`",
    "en": "`Interest confirmed`, `Needs identified`",
}
"""Stage names that say what the client decided, in the stage's or account's language."""
