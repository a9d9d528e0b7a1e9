"""FN120: names with stray spaces, and stage names capitalised inconsistently."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import FunnelFile, LostTarget, Name, Stage
from ..base import Finding, LintContext, Rule


def _named(funnel: FunnelFile) -> Iterator[tuple[str, Name]]:
    """Every name a CRM shows: account, teams, fields and their options, sources,
    pipelines, stages, lost reasons, scenarios."""
    for acc in funnel.accounts:
        yield "account", acc.name
    for team in funnel.teams:
        yield "team", team.name
    for fld in funnel.fields:
        yield "field", fld.name
        for value in fld.type.values:
            yield "option", value
    for src in funnel.sources:
        yield "source", src.name
    for pipe in funnel.pipelines:
        yield "pipeline", pipe.name
        for stage in pipe.stages:
            yield "stage", stage.name
            for out in stage.outcomes:
                if isinstance(out.target, LostTarget):
                    yield "lost reason", out.target.reason
            if stage.sla is not None and isinstance(stage.sla.target, LostTarget):
                yield "lost reason", stage.sla.target.reason
            if stage.cadence is not None:
                for r in (stage.cadence.on_reply, stage.cadence.on_exhausted):
                    if r is not None and isinstance(r.target, LostTarget):
                        yield "lost reason", r.target.reason
    for sc in funnel.scenarios:
        yield "scenario", sc.name


_DOUBLED = re.compile(r"\s{2,}")
_TAB_NBSP = re.compile(r"[\t\u00a0]")
_ANY_SPACING = re.compile(r"\s{2,}|[\t\u00a0]")
"""Either of the two above: one search clears the usual name (20 000 stages, issue 11)."""


def _spacing(value: str) -> str | None:
    stripped = value.strip()
    if value != stripped:
        return "leading or trailing spaces" if stripped else "only spaces"
    if _ANY_SPACING.search(value) is None:
        return None
    if _DOUBLED.search(value):
        return "two spaces in a row"
    if _TAB_NBSP.search(value):
        return "a tab or a non-breaking space"
    return None  # pragma: no cover - _ANY_SPACING matched one of the two


_COUNT_FIRST = re.compile(r"\d+(?:[.,]\d+)?\s+\w")
"""A name that opens with a number and a word: "30 дней до завершения", "1,5 месяца";
not a numbered stage ("3. квалифицирован"), whose word is the name's own first word."""


def capitalisation(value: str) -> str | None:
    """`Capitalised`, `lowercase` or `ALL CAPS`; None for names with too few letters,
    and for a name opening with a count ("30 дней до завершения"): the word after a
    number is lowercase in any style, so it says nothing about the author's."""
    letters = "".join(filter(str.isalpha, value))
    if len(letters) < 2:
        return None
    if not any(map(str.islower, letters)):  # a lowercase letter: not ALL CAPS (usual)
        cased = [c for c in letters if c.isupper() or c.islower()]
        if len(cased) >= 4 and all(c.isupper() for c in cased):
            return "ALL CAPS"
    if letters[0].islower() and _COUNT_FIRST.match(value.lstrip()):
        return None
    return "Capitalised" if letters[0].isupper() else "lowercase"


class NameStyle(Rule):
    """Flags names with leading, trailing or doubled spaces (stages, pipelines, teams,
    fields and their options, sources, lost reasons), and stage names of a pipeline
    written in a different capitalisation from most of its stages (`Capitalised`,
    `lowercase`, `ALL CAPS`).

    Why
    ---
    "Оплата получена " and "Оплата получена" look the same on screen but are two stages
    to a CRM and to every report that groups by name; a stray space in a lost reason
    splits the loss statistics. Mixed capitalisation on one kanban board reads as
    carelessness and hides the names' real differences.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Новый лид"
        pipeline "Продажи" sales {
          stage "Новый лид" {
            -> "КП ОТПРАВЛЕНО"
          }
          stage "КП ОТПРАВЛЕНО" {
            -> "договор подписан"
          }
          stage "договор подписан" {
            -> won 90%
            -> lost "Дорого " 10%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новый лид"
        pipeline "Продажи" sales {
          stage "Новый лид" {
            -> "КП отправлено"
          }
          stage "КП отправлено" {
            -> "Договор подписан"
          }
          stage "Договор подписан" {
            -> won 90%
            -> lost "Дорого" 10%
          }
        }

    Seed
    ----
    002 names stages as sentences ("Клиент запросил КП", "КП отправлено"); seed 000
    writes them in capitals only to quote them in running text. One board, one style.
    """

    code = "FN120"
    title = "stray spaces or mixed capitalisation in names"
    name = "name-style"
    kind = "style"
    default_severity = Severity.note

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        seen: set[int] = set()
        for what, name in _named(ctx.funnel):
            start = name.span.start
            if start in seen:
                continue
            seen.add(start)
            problem = _spacing(name.value)
            if problem is not None:
                yield Finding(f"{what} name `{name.value}` has {problem}", name.span, problem,
                              help=f'write it as "{" ".join(name.value.split())}"')
        for pipe in ctx.funnel.pipelines:
            yield from self._capitals(pipe.name.value, pipe.stages)

    def _capitals(self, pipeline: str, stages: tuple[Stage, ...]) -> Iterator[Finding]:
        styles = [(s, capitalisation(s.name.value)) for s in stages]
        groups: dict[str, list[Stage]] = {}
        for stage, style in styles:
            if style is not None:
                groups.setdefault(style, []).append(stage)
        if len(groups) < 2:
            return
        # The most used style is the pipeline's; on a tie, the one used first.
        usual = max(groups, key=lambda k: (len(groups[k]), -groups[k][0].span.start))
        anchor = groups[usual][0]
        for style, members in groups.items():
            if style == usual:
                continue
            for stage in members:
                yield Finding(
                    f"stage `{stage.name.value}` is written {style} among {usual} stage "
                    f"names of `{pipeline}`", stage.name.span, style,
                    (Label(anchor.name.span, usual),),
                    help=f"write the stages of one pipeline alike ({usual})")
