"""FN111: sales pipelines and nowhere that qualifies the leads going into them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from ...diagnostics import Label, Severity
from ..base import (
    ExampleLanguage,
    Finding,
    LintContext,
    Rule,
    example_language,
    is_sales,
    purpose_name,
)

_EXAMPLE: Final[dict[ExampleLanguage, tuple[str, str]]] = {
    "ru": ("Квалификация", "Нецелевой"), "uk": ("Кваліфікація", "Нецільовий"),
    "en": ("Qualification", "Not a fit")}
"""The help's qualification pipeline and junk-lead reason, in the account's language."""


def _any_of(words: list[str]) -> Callable[[str], bool]:
    """Whether a lowercased text contains any of `words`, as one regex scan."""
    if not words:
        return lambda text: False
    pattern = re.compile("|".join(re.escape(w.lower()) for w in words))
    return lambda text: pattern.search(text) is not None


class SalesWithoutQualification(Rule):
    """Flags an account that has sales pipelines but nothing that qualifies leads: no
    `qualification` (or `telemarketing`) pipeline, no sales stage named for
    qualification, and no sales stage that disqualifies leads (loses them for a reason
    like "Нецелевой", "Спам", "Неверный номер", or a parts maker's "Не наши детали":
    not what the company makes or sells).

    Why
    ---
    Without a qualification step, junk leads (wrong numbers, spam, non-target requests)
    and real prospects share the sales stages: conversions mean nothing, marketing and
    sales argue about lead quality with no data, and managers spend their time on
    leads that were never going to buy. A qualification pipeline (or stages) that
    loses leads for explicit reasons answers "who is wrong, marketing or sales?".

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Новый лид"
        pipeline "Продажи" sales {
          stage "Новый лид" {
            -> won 30%
            -> lost "Дорого" 70%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новый лид"
        pipeline "Продажи" sales {
          stage "Новый лид" {
            -> won 30%
            -> lost "Дорого" 50%
            -> lost "Нецелевой" 20%
          }
        }

    Seed
    ----
    002, mistake 10: «Не делать квалификационных воронок или этапов»; 003: the sales and
    marketing departments blamed each other until the leads' qualification was checked
    («около 60% из них были с неверными телефонными номерами либо представляли из себя
    обычный спам, а примерно 25% приходилось на долю нецелевых запросов»).

    Options
    -------
    stage-words: word stems (lowercase) of a stage name that qualifies leads.
    reason-words: word stems (lowercase) of a lost reason that disqualifies a lead.
    """

    code = "FN111"
    title = "sales pipelines with no qualification"
    name = "sales-without-qualification"
    kind = "suggestion"
    default_severity = Severity.note
    options = {
        "stage-words": ["квалиф", "кваліф", "qualif"],
        "reason-words": ["нецелев", "не целев", "нецільов", "не цільов", "спам", "неверн",
                         "невірн", "неправильн", "некачеств", "неякісн", "дубл", "квалиф",
                         "не наш ", "не наши", "не наша ", "не наше ", "не наші",
                         "кваліф", "spam", "junk", "unqualified", "not a fit",
                         "wrong number", "duplicate", "disqualif"],
    }

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        funnel = ctx.funnel
        sales = [p for p in funnel.pipelines if is_sales(p, funnel)]
        if not sales:
            return
        if any(purpose_name(p) in ("qualification", "telemarketing") for p in funnel.pipelines):
            return
        # One alternation per word list: a substring test per word and name is
        # 20 x 20,000 calls on a long chain.
        stage_words = _any_of(opts["stage-words"])
        reason_words = _any_of(opts["reason-words"])
        for pipe in sales:
            for stage in pipe.stages:
                if stage_words(stage.name.value.lower()):
                    return
            for flow in ctx.flows.pipeline_stages(pipe.name.value):
                for route in flow.routes:
                    if route.kind == "lost" and route.reason and reason_words(
                            route.reason.lower()):
                        return
        first, rest = sales[0], sales[1:]
        # A reason only this business reads as junk («Не ресторан» for a restaurants'
        # SaaS) is not in the word list: show the reasons read, and where to add it.
        reasons = list(dict.fromkeys(
            route.reason for pipe in sales for flow in ctx.flows.pipeline_stages(pipe.name.value)
            for route in flow.routes if route.kind == "lost" and route.reason))
        shown = ", ".join(f"`{r}`" for r in reasons[:6]) + (", …" if len(reasons) > 6 else "")
        qualify, junk = _EXAMPLE[example_language(
            ctx, (s.name.value for pipe in sales for s in pipe.stages))]
        yield Finding(
            "no pipeline or stage qualifies the leads", first.name.span,
            "every lead goes straight into sales",
            tuple(Label(p.name.span, "also a sales pipeline") for p in rest),
            notes=(f"lost reasons read: {shown}; if one of them disqualifies leads, list "
                   "its stem in the rule's `reason-words` option",) if reasons else (),
            help=f'add a `pipeline "{qualify}" qualification` that closes qualified leads '
                 'as won and copies them here, or a first stage that loses junk leads '
                 f'(`-> lost "{junk}" 20%`)')
