"""FN109: process-style and conversion-style stage names in one pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import Stage, Style
from ..base import Finding, LintContext, Rule, purpose_name

# Purposes whose stages are waiting or counting down by nature (seed 002's regulars
# pipeline "До покупки ×× дней", its warming pipeline "Сделка утеплялась ×× дней").
_WAITING_PURPOSES = frozenset({"regulars", "nurture", "winback"})

_EXAMPLES = {
    "ru": {"process": "`Ждем оплату`, `Согласование договора`",
           "conversion": "`Оплата получена`, `Договор подписан`"},
    "uk": {"process": "`Чекаємо оплату`, `Узгодження договору`",
           "conversion": "`Оплату отримано`, `Договір підписано`"},
    "en": {"process": "`Awaiting payment`, `Negotiating the contract`",
           "conversion": "`Payment received`, `Contract signed`"},
}
"""Names of each style in the account's language (a Ukrainian client renames to Ukrainian)."""


class MixedStageNameStyles(Rule):
    """Flags stage names whose style contradicts the pipeline: a process-style name
    ("Ждем оплату") in a `conversion` pipeline or a conversion-style one ("Оплата
    получена") in a `process` pipeline; in a pipeline that declares neither, the
    names of the less used style. Names are read with their word forms (pymorphy3):
    see `funnelc.lint.naming`.

    Why
    ---
    A process stage says what is being done ("ждем оплату"), a conversion stage what has
    been achieved ("оплата получена"). Mixed in one funnel, nobody can tell whether a
    deal in "Договор" has a contract to write or a signed one, and the stage-to-stage
    conversion report compares things that do not follow each other.

    A pipeline whose purpose makes one style natural keeps its stages of that style
    out of it: in a `regulars` or `nurture` pipeline the waiting and countdown stages
    ("Абонемент заканчивается", "Сделка утеплялась 90 дней") are what the pipeline is
    for, whether the pipeline declares `conversion` or no style (seed 002 lists
    "Сделка утеплялась ×× дней" among the stages of a warming pipeline it describes "в
    совершенном действии"). With no majority (a 3–3 split) the pipeline is named with both groups, since
    neither side is "the odd one".

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Договор подписан"
        pipeline "Продажи" conversion sales {
          stage "Договор подписан" {
            -> "Ждем оплату"
          }
          stage "Ждем оплату" {
            -> won
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Договор подписан"
        pipeline "Продажи" conversion sales {
          stage "Договор подписан" {
            -> "Оплата получена"
          }
          stage "Оплата получена" {
            -> won
          }
        }

    Seed
    ----
    002, mistake 8: «Совмещать в одной воронке продаж этапы разных типов: процессные и
    конверсионные»; «Не путайте в одной воронке процессные и конверсионные этапы. У вас не
    получится построить аналитику!»
    """

    code = "FN109"
    title = "process-style and conversion-style stage names mixed"
    name = "mixed-stage-name-styles"
    kind = "style"
    default_severity = Severity.note

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        account_language = next((a.language for a in ctx.funnel.accounts if a.language), None)
        for pipe in ctx.funnel.pipelines:
            styled: dict[str, list[tuple[Stage, str]]] = {"process": [], "conversion": []}
            languages: list[str] = []
            for stage in pipe.stages:
                c = ctx.classify(stage.name.value)
                if str(c.klass) in styled:
                    styled[str(c.klass)].append((stage, c.reason))
                    languages.append(str(c.language))
            known = [lang for lang in languages if lang in _EXAMPLES] or ["ru"]
            language: str = account_language or max(known, key=known.count)
            examples = _EXAMPLES.get(language, _EXAMPLES["ru"])
            waiting = purpose_name(pipe) in _WAITING_PURPOSES
            if pipe.style is not None:
                wrong = "process" if pipe.style is Style.conversion else "conversion"
                if waiting and wrong == "process":
                    continue  # a declared conversion warming pipeline still counts down
                for stage, reason in styled[wrong]:
                    yield Finding(
                        f"stage `{stage.name.value}` is named {wrong}-style in a "
                        f"`{pipe.style.value}` pipeline", stage.name.span, reason,
                        help=f"name what the stage means in {pipe.style.value} style, like "
                             f"{examples[pipe.style.value]}")
                continue
            proc, conv = styled["process"], styled["conversion"]
            if waiting:
                proc = []  # countdowns and warming are these pipelines' own work
            if not proc or not conv:
                continue
            if len(proc) == len(conv):
                yield Finding(
                    f"`{pipe.name.value}` mixes {len(proc)} process-style and {len(conv)} "
                    "conversion-style stage names, with no majority", pipe.name.span,
                    "pick one style for the whole pipeline",
                    tuple(Label(s.name.span, "process-style") for s, _ in proc)
                    + tuple(Label(s.name.span, "conversion-style") for s, _ in conv),
                    notes=("process-style: " + ", ".join(f"`{s.name.value}`" for s, _ in proc),
                           "conversion-style: " + ", ".join(f"`{s.name.value}`"
                                                            for s, _ in conv)),
                    help=f"declare the style (`pipeline \"{pipe.name.value}\" conversion` or "
                         "`process`) and rename the other group")
                continue
            minority, majority = (proc, conv) if len(proc) < len(conv) else (conv, proc)
            odd = "process" if minority is proc else "conversion"
            usual = "conversion" if odd == "process" else "process"
            anchor = majority[0][0]
            for stage, reason in minority:
                yield Finding(
                    f"stage `{stage.name.value}` is named {odd}-style among {usual}-style "
                    f"stages of `{pipe.name.value}`", stage.name.span, reason,
                    (Label(anchor.name.span, f"{usual}-style"),),
                    help=f"pick one style for the pipeline, declare it (`pipeline "
                         f"\"{pipe.name.value}\" {usual}`) and rename the odd stages, like "
                         f"{examples[usual]}")
