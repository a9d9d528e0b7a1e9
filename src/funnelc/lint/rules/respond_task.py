"""FN130: a stage's entry task is due later than its answer-within limit (`respond`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import Hours, TaskAction
from ..base import Finding, LintContext, Rule, account_hours


def _hours(x: float) -> str:
    """`54`, `1.5`: clock hours as the note writes them."""
    return f"{x:.4g}"


class TaskDueAfterRespond(Rule):
    """Flags a stage none of whose `on enter task`s is due by the time its `respond`
    limit runs out (the one due soonest is named; a task without `due` is not read).
    With `hours` in the account `respond` counts working hours and a task's `due` clock
    hours, so they are compared for a deal entering when the answer's clock runs out
    soonest (at opening time): `respond 1d` on `hours mon-fri 09:00-18:00` runs out 54
    clock hours after a Monday-morning entry, and a task `due 2d` is on time.

    Why
    ---
    The task is what the manager sees and what the CRM marks overdue; `respond` is the
    promise the funnel is computed on (a late pick-up is counted as a breach). A task
    due in an hour next to "answer within 30 minutes" tells the manager he is on time
    for half an hour after the answer is late, and the playbook prints both deadlines
    for the same stage.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Заявка получена"
        team "Менеджеры" size 2
        pipeline "Продажи" sales {
          stage "Заявка получена" {
            owner "Менеджеры"
            respond 15m
            on enter task "Позвонить клиенту" due 1h
            -> won 30%
            -> lost "Не дозвонились" 70%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Заявка получена"
        team "Менеджеры" size 2
        pipeline "Продажи" sales {
          stage "Заявка получена" {
            owner "Менеджеры"
            respond 15m
            on enter task "Позвонить клиенту" due 15m
            -> won 30%
            -> lost "Не дозвонились" 70%
          }
        }

    Seed
    ----
    004: «Заинтересованный… Задача: ответить клиенту за 15 минут»; «Заявка… Задачи:
    позвонить лиду за 15 минут» — the task is the tool that keeps the answer's limit.
    """

    code = "FN130"
    title = "an entry task due later than the stage's `respond`"
    name = "task-due-after-respond"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        hours = account_hours(ctx.funnel)
        for pipe in ctx.funnel.pipelines:
            for stage in pipe.stages:
                limit = stage.respond
                if limit is None:
                    continue
                # The task that keeps the answer is the one due soonest: a stage may also
                # set a slower one (a portfolio to prepare by tomorrow) beside the call.
                task = min((a for a in stage.on_enter
                            if isinstance(a, TaskAction) and a.due is not None),
                           key=lambda a: a.due.hours if a.due is not None else 0.0,
                           default=None)
                if task is None or task.due is None or task.due.hours <= limit.hours + 1e-9:
                    continue
                soonest = _soonest(hours, limit.hours)
                if task.due.hours <= soonest + 1e-9:
                    continue
                notes: tuple[str, ...] = ()
                if soonest > limit.hours + 1e-9:
                    notes = (f"with the account's `hours`, `respond` counts working hours and "
                             f"`due` clock hours: `respond {limit.text}` runs out "
                             f"{_hours(soonest)} clock hours after a deal that enters at "
                             f"opening time, and the task is due {_hours(task.due.hours)} "
                             "hours after entry",)
                yield Finding(
                    f"the entry task of `{stage.name.value}` is due later than its "
                    f"`respond {limit.text}`", task.due.span,
                    "the task is still on time when the answer is already late",
                    (Label(limit.span, "the answer's limit"),),
                    notes=notes,
                    help=f"make the task due no later than the answer: `due {limit.text}`")


def _soonest(hours: Hours | None, working: float) -> float:
    """The fewest clock hours `working` working hours of the account's calendar take,
    over entry times (itself without a calendar or on one open 24/7)."""
    if hours is None:
        return working
    from ...analysis.working_time import wallclock_length

    length = wallclock_length(hours, working)
    return min([v for v, _ in length.atoms] + [lo for lo, _, _ in length.stretches])
