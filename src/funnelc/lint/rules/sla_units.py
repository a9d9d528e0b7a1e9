"""FN124: an `sla` or `respond` written in days on an account whose clock is working hours."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import Duration
from ..base import Finding, LintContext, Rule, account_hours, calendar_days, working_days

_DAYS = re.compile(r"[\d.]+\s*(?:d|w)$")
"""A duration written in days or weeks (`14d`, `2w`): 24 or 168 clock hours each."""


class DaysInWorkingHours(Rule):
    """Flags an `sla` or `respond` written in days or weeks (`sla 14d`, `respond 1d`) on
    an account with `hours`: there these limits count working hours only, so a day is 24
    *working* hours, about two and a half working days of a 9-hour calendar, and
    `sla 14d` keeps a deal for some 37 working days, not two weeks. Durations in hours
    are read as written; an account without `hours` (teams may have their own) counts
    calendar time, and there `sla 14d` is two weeks.

    Why
    ---
    A consultant writes the deal's lifetime in days, as the CRM shows it ("допустимое
    время жизни сделки"), and the simulator, the exact maths and the playbook then give
    every deal almost three times as long: stale deals are closed weeks late, and the
    figures the client buys the decision on are computed for a different funnel
    (docs/reference.md, "Working time and calendar time").

    Bad
    ---
        account "Агентство" {
          hours mon-fri 09:00-18:00
        }
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            sla 14d -> lost "Долго думает"
            -> won 20%
            -> lost "Дорого" 80%
          }
        }

    Good
    ----
        account "Агентство" {
          hours mon-fri 09:00-18:00
        }
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            sla 90h -> lost "Долго думает"  # две недели
            -> won 20%
            -> lost "Дорого" 80%
          }
        }

    Seed
    ----
    002, mistake 2: «У сделки на каждом этапе есть допустимое время существования» — a
    lifetime the consultant chooses in days of the calendar.
    """

    code = "FN124"
    title = "an `sla` or `respond` in days counted in working hours"
    name = "days-in-working-hours"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        hours = account_hours(ctx.funnel)
        if hours is None or not calendar_days(ctx.funnel, 1).note:
            return  # no calendar, or one open 24/7: a day is a day
        for pipe in ctx.funnel.pipelines:
            for stage in pipe.stages:
                limits: list[tuple[str, Duration]] = []
                if stage.sla is not None:
                    limits.append(("sla", stage.sla.after))
                if stage.respond is not None:
                    limits.append(("respond", stage.respond))
                for keyword, limit in limits:
                    if not _DAYS.fullmatch(limit.text.strip()):
                        continue
                    meant = calendar_days(ctx.funnel, limit.hours / 24)
                    yield Finding(
                        f"`{keyword} {limit.text}` counts {limit.hours:g} working hours "
                        f"here, about {working_days(hours, limit.hours)} working days",
                        limit.span, "a day of `sla`/`respond` is 24 working hours with the "
                        "account's `hours`",
                        help=f"write the calendar time in working hours: `{keyword} "
                             f"{meant.text}` is {limit.text} of this account's calendar")
