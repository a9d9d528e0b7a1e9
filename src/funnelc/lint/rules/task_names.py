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

    The seeds disagree on meetings: seed 002's telemarketing funnel has «Провели
    созвон/демонстрацию» and seed 000 segments by «назначена встреча», «встреча
    проведена», while seed 001 calls «зустріч призначена», «зустріч відбулась» mistakes
    (a cold lead who merely came sits beside a hot one). The rule follows seed 001 and
    says so in a note; the help names the activity for the client's decision, the form
    seed 002 itself uses for its key stage: «Клиент согласовал встречу», «Клиент пришел
    на встречу».

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
            language = str(account_language or c.language)
            examples = _DECIDED.get(language, _DECIDED["ru"])
            notes: tuple[str, ...] = ()
            help_ = (f"name the stage for what the client decided ({examples}); make the "
                     "call or meeting an `on enter task` or a `cadence`")
            if _ACTIVITY in c.reason and "did not happen" not in c.reason:
                decided = _AGREED.get(language, _AGREED["ru"])
                if _HELD in c.reason:
                    notes = ("the seeds disagree: seed 002 names stages after held calls "
                             "and demos, seed 001 counts a scheduled or held meeting as no "
                             "step of the client's decision; this rule follows seed 001",)
                help_ = (f"name the stage for what the client decided about it ({decided}); "
                         "make the meeting itself an `on enter task`")
            yield Finding(f"stage `{stage.name.value}` is named after a task, not a decision "
                          "step", stage.name.span, c.reason, notes=notes, help=help_)


_HELD: Final = "scheduled or held"
_ACTIVITY: Final = "is an activity; "
"""How the classifier's reason starts for an activity with a predicate of its own life
cycle («Встреча проведена», «Провели созвон»): the seed 001 / 002 case."""

_AGREED: Final[dict[str, str]] = {
    "ru": "`Клиент согласовал встречу`, `Клиент пришел на встречу`",
    "uk": "`Клієнт погодив зустріч`, `Клієнт прийшов на зустріч`",
    "en": "`Meeting agreed`, `Client attended the meeting`",
}
"""An activity named for the client's decision about it, in the stage's or account's
language (seed 002's «Согласовали созвон/демонстрацию», «Клиент пришел на встречу»)."""

_DECIDED: Final[dict[str, str]] = {
    "ru": "`Интерес подтвержден`, `Потребность выявлена`",
    "uk": "`Інтерес підтверджено`, `Потребу виявлено`",
    "en": "`Interest confirmed`, `Needs identified`",
}
"""Stage names that say what the client decided, in the stage's or account's language."""
