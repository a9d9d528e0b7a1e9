"""FN128: a claims pipeline that closes a decided claim as lost, or hands a positive
decision to no other pipeline."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import FunnelFile, LostTarget, Outcome, Pipeline, Purpose, Stage, WonTarget
from ..base import ExampleLanguage, Finding, LintContext, Rule, exits, is_sales, letters_language
from ..conditions import source_text
from .overlapping_conditions import outcome_text

_REFUSAL = re.compile(r"отказ(?!ал)|отклон|відмов(?!ив|ил)|reject|refus|denied|declin",
                      re.IGNORECASE)
"""A decision that reads as a refusal: «В рекламации отказано», «Відмовлено». The client's
own «отказался», «відмовився» (a claim withdrawn before any decision) is not one."""

_REMAKE = re.compile(r"замен|замін|ремонт|передел|передал|обмен|обмін|replac|repair|remake"
                     r"|exchange", re.IGNORECASE)
"""A decision some other pipeline fulfils: a replacement, a repair, a remake."""

_FIELD: dict[ExampleLanguage, str] = {"ru": "Решение по рекламации",
                                      "uk": "Рішення щодо рекламації",
                                      "en": "Claim decision"}
_EXPLAINED: dict[ExampleLanguage, str] = {"ru": "Клиенту объяснили решение",
                                          "uk": "Клієнту пояснили рішення",
                                          "en": "Decision explained to the client"}
"""The stage a refused claim goes through when the decision stage already has its one
`-> won` (a stage holds each target once): the manager's call, then won."""
_PRODUCTION: dict[ExampleLanguage, tuple[str, str]] = {
    "ru": ("Производство", "Новый заказ на производство"),
    "uk": ("Виробництво", "Нове замовлення на виробництво"),
    "en": ("Production", "New production order")}
"""The pipeline a claims-only account gets for its replacements (seed 002's «Производство»
with its «Новый заказ на производство»)."""
_TASK: dict[ExampleLanguage, str] = {
    "ru": "Позвонить клиенту и объяснить решение по рекламации",
    "uk": "Зателефонувати клієнту й пояснити рішення щодо рекламації",
    "en": "Call the client and explain the claim decision"}


def _words(out: Outcome) -> str:
    """What an outcome says of the decision: its reason and the values it reads."""
    said = [t.value_text for t in out.when.terms] if out.when is not None else []
    if isinstance(out.target, LostTarget):
        said.append(out.target.reason.value)
    return " ".join(said)


def _decision_field(funnel: FunnelFile, reason: str, lang: ExampleLanguage
                    ) -> tuple[str, str | None]:
    """The account's enum field that has `reason` as an option, else the usual name with
    the `field` line that declares it (None when the account has a field of that name)."""
    for fld in funnel.fields:
        if fld.type.kind == "enum" and any(v.value.casefold() == reason.casefold()
                                           for v in fld.type.values):
            return fld.name.value, None
    name = _FIELD[lang]
    if any(fld.name.value == name for fld in funnel.fields):
        return name, None
    return name, f'field "{name}" enum("{reason}")'


def _fulfilling(funnel: FunnelFile, claims: Pipeline) -> tuple[Pipeline, Stage] | None:
    """The pipeline a positive decision goes on in: production, delivery, else sales."""
    for wanted in (Purpose.production, Purpose.delivery):
        for pipe in funnel.pipelines:
            if pipe.purpose is wanted and pipe.stages:
                return pipe, pipe.stages[0]
    for pipe in funnel.pipelines:
        if pipe is not claims and pipe.stages and is_sales(pipe, funnel):
            return pipe, pipe.stages[0]
    return None


class ClaimsDecisions(Rule):
    """Flags, in a `claims` pipeline, an outcome that closes a decided claim as `lost`
    (one with a `when`, or whose reason is a refusal: «В рекламации отказано»), and a
    pipeline whose positive decisions (a `won` outcome with a `when` that is not a
    refusal) copy no deal into any other pipeline, so the replacement or repair is
    handed to nobody.

    Why
    ---
    A claim the team decided is a claim handled, whatever the decision: closed as lost
    it counts against the claims funnel's conversion, and the refusal is lost among the
    loss reasons instead of being kept in the decision field. A replacement that creates
    no deal in production or sales waits for someone to remember it.

    Bad
    ---
        team "Сервис" size 1
        field "Решение по рекламации" enum("Замена товара", "В рекламации отказано")
        source "Обращения" 1/day -> "Рекламации"."Решение по рекламации вынесено"
        source "Заказы" 3/day -> "Производство"."Новый заказ"
        pipeline "Рекламации" claims {
          stage "Решение по рекламации вынесено" {
            owner "Сервис"
            requires "Решение по рекламации"
            on enter task "Сообщить клиенту решение" due 4h
            sla 2d -> won
            hint "Сообщите клиенту решение; при отказе позвоните и объясните почему."
            -> won 60% when "Решение по рекламации" = "Замена товара"
            -> lost "В рекламации отказано" 40% when "Решение по рекламации" = "В рекламации отказано"
          }
        }
        pipeline "Производство" production {
          stage "Новый заказ" { -> won }
        }

    Good
    ----
        team "Сервис" size 1
        field "Решение по рекламации" enum("Замена товара", "В рекламации отказано")
        source "Обращения" 1/day -> "Рекламации"."Решение по рекламации вынесено"
        pipeline "Рекламации" claims {
          stage "Решение по рекламации вынесено" {
            owner "Сервис"
            requires "Решение по рекламации"
            on enter task "Сообщить клиенту решение" due 4h
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

    Seed
    ----
    002, the claims funnel: «Обязательно! Ставим задачу менеджеру связаться с клиентом
    при отрицательном решении по рекламации и объяснить почему приняли такое решение.
    Далее сделку закрываем как успешную и, действуя бизнес логике, при положительной
    рекламации создаем новую сделку в соответствующей воронке».
    """

    code = "FN128"
    title = "a claims decision closed as lost, or a positive one handed to nobody"
    name = "claims-decisions"
    kind = "problem"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        funnel = ctx.funnel
        for pipe in funnel.pipelines:
            if pipe.purpose is not Purpose.claims:
                continue
            lang = letters_language(ctx, [s.name.value for s in pipe.stages])
            copies = False
            positive: list[Outcome] = []
            for stage in pipe.stages:
                for _node, _target, copy, _via in exits(stage, patience=True):
                    copies = copies or (copy is not None and copy.ref.pipeline is not None
                                        and copy.ref.pipeline.value != pipe.name.value)
                for out in stage.outcomes:
                    words = _words(out)
                    if isinstance(out.target, LostTarget) and (
                            out.when is not None or _REFUSAL.search(words)):
                        yield self._lost(funnel, pipe, stage, out, lang)
                    elif (isinstance(out.target, WonTarget) and out.when is not None
                          and out.copy_to is None and not _REFUSAL.search(words)):
                        positive.append(out)
            if copies or not positive:
                continue
            out = next((o for o in positive if _REMAKE.search(_words(o))), positive[0])
            yield self._no_copy(funnel, pipe, out, lang)

    @staticmethod
    def _lost(funnel: FunnelFile, pipe: Pipeline, stage: Stage, out: Outcome,
              lang: ExampleLanguage) -> Finding:
        assert isinstance(out.target, LostTarget)
        reason = out.target.reason.value
        declare: str | None = None
        if out.when is not None:
            when = source_text(out.when.terms)
        else:
            field, declare = _decision_field(funnel, reason, lang)
            when = f'"{field}" = "{reason}"'
        task = f'on enter task "{_TASK[lang]}"'
        notes = [f"`{pipe.name.value}`'s conversion counts every claim decided this way "
                 "as lost"]
        if any(isinstance(o.target, WonTarget) for o in stage.outcomes):
            # A stage holds each target once: the decision goes won through a stage of
            # its own, which is where seed 002's call to the client belongs anyway.
            # Without a decision field, the stage's name keeps the decision: the route
            # stays a share, as it was written.
            fix = (outcome_text(out, when, target=f'-> "{_EXPLAINED[lang]}"', keep_copy=False)
                   if declare is None else
                   outcome_text(out, "", target=f'-> "{_EXPLAINED[lang]}"', keep_copy=False))
            help_ = ("the stage already closes a claim as won: send this decision to a stage "
                     f"that explains it to the client and closes the claim as won (`{fix}`, "
                     f"with `{task}` and `-> won` in it)")
        else:
            fix = outcome_text(out, when, target="-> won", keep_copy=False)
            help_ = (f"close the handled claim as won and keep the decision in a field: `{fix}`"
                     if declare is None else
                     "close the handled claim as won and keep the decision in a field: "
                     f"`{declare}`, then `{fix}`")
            if (not any(a.kind == "task" for a in stage.on_enter)
                    and _REFUSAL.search(_words(out))):
                notes.append("seed 002: on a negative decision set the manager a task to call "
                             f"the client and explain it: `{task}`")
        return Finding(
            f"claims pipeline `{pipe.name.value}` closes a decided claim as lost: "
            f"`{reason}`", out.target.reason.span, "a handled claim counted as a loss",
            notes=tuple(notes), help=help_)

    @staticmethod
    def _no_copy(funnel: FunnelFile, pipe: Pipeline, out: Outcome,
                 lang: ExampleLanguage) -> Finding:
        assert out.when is not None
        where = _fulfilling(funnel, pipe)
        if where is not None:
            ref = f'"{where[0].name.value}"."{where[1].name.value}"'
            new = None
        else:
            # No pipeline to hand it to: the help writes the seed's production pipeline.
            name, first = _PRODUCTION[lang]
            ref = f'"{name}"."{first}"'
            new = f'pipeline "{name}" production {{ stage "{first}" {{ -> won }} }}'
        fix = outcome_text(out, source_text(out.when.terms), ref)
        return Finding(
            f"claims pipeline `{pipe.name.value}` hands a positive decision "
            f"(`{source_text(out.when.terms)}`) to no other pipeline", out.span,
            "won here, with no new deal to carry it out",
            help=(f"create the deal that carries it out: `{fix}`" if new is None else
                  f"create the deal that carries it out in a pipeline of its own: `{new}`, "
                  f"then `{fix}`"))
