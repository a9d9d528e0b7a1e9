"""FN109: process-style and conversion-style stage names in one pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import Stage, Style
from ..base import Finding, LintContext, Rule

_EXAMPLES = {
    "process": "`Ждем оплату`, `Согласование договора`",
    "conversion": "`Оплата получена`, `Договор подписан`",
}


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
        for pipe in ctx.funnel.pipelines:
            styled: dict[str, list[tuple[Stage, str]]] = {"process": [], "conversion": []}
            for stage in pipe.stages:
                c = ctx.classify(stage.name.value)
                if str(c.klass) in styled:
                    styled[str(c.klass)].append((stage, c.reason))
            if pipe.style is not None:
                wrong = "process" if pipe.style is Style.conversion else "conversion"
                for stage, reason in styled[wrong]:
                    yield Finding(
                        f"stage `{stage.name.value}` is named {wrong}-style in a "
                        f"`{pipe.style.value}` pipeline", stage.name.span, reason,
                        help=f"name what the stage means in {pipe.style.value} style, like "
                             f"{_EXAMPLES[pipe.style.value]}")
                continue
            proc, conv = styled["process"], styled["conversion"]
            if not proc or not conv:
                continue
            # The less used style is the odd one out; on a tie, the one that appears later.
            if len(proc) != len(conv):
                minority, majority = (proc, conv) if len(proc) < len(conv) else (conv, proc)
            else:
                later_proc = proc[0][0].span.start > conv[0][0].span.start
                minority, majority = (proc, conv) if later_proc else (conv, proc)
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
                         f"{_EXAMPLES[usual]}")
