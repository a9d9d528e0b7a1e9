"""FN123: a warming pipeline fed from outside sales, mixing cold and warm deals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...model import Pipeline
from ..base import Finding, LintContext, Rule, exits, is_sales, purpose_name


class ColdDealsInWarming(Rule):
    """Flags deals sent into a `nurture` pipeline from anywhere but a sales pipeline:
    copies from a telemarketing or qualification pipeline (cold deals that never talked
    to a seller) and sources that feed it directly; said once per origin, and the
    warming pipeline is named as mixing cold and warm deals when sales feeds it too.

    Why
    ---
    Warming works on deals that already know the offer: they were in sales, got a
    proposal and went quiet. Cold leads from telemarketing or straight from advertising
    need a different message and a different conversion target; in one pipeline they
    drag its conversion down, and nobody can tell whether warming works. Warm cold
    leads where they are (in the telemarketing pipeline itself) and keep the warming
    pipeline for deals from sales.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        source "База" 20/day -> "Телемаркетинг"."База заявок"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            -> won 20%
            -> lost "Долго думает" 80% then copy "Утепление"."Новая сделка"
          }
        }
        pipeline "Телемаркетинг" telemarketing {
          stage "База заявок" {
            -> won 10% then copy "Продажи"."КП отправлено"
            -> lost "Не дозвонились" 90% then copy "Утепление"."Новая сделка"
          }
        }
        pipeline "Утепление" nurture {
          stage "Новая сделка" {
            on enter message email "Полезная подборка"
            -> won 5% then copy "Продажи"."КП отправлено"
            -> lost "Не прогрелся" 95%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        source "База" 20/day -> "Телемаркетинг"."База заявок"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            -> won 20%
            -> lost "Долго думает" 80% then copy "Утепление"."Новая сделка"
          }
        }
        pipeline "Телемаркетинг" telemarketing {
          stage "База заявок" {
            -> won 10% then copy "Продажи"."КП отправлено"
            -> "Прогрев базы" 90%
          }
          stage "Прогрев базы" {
            on enter message email "Кейсы клиентов"
            -> won 5% then copy "Продажи"."КП отправлено"
            -> lost "Не дозвонились" 95%
          }
        }
        pipeline "Утепление" nurture {
          stage "Новая сделка" {
            on enter message email "Полезная подборка"
            -> won 5% then copy "Продажи"."КП отправлено"
            -> lost "Не прогрелся" 95%
          }
        }

    Seed
    ----
    002, «Утепление/вызревание»: «В воронку переходят только сделки из воронки
    "Продаж". Если вы хотите утеплять сделки в воронке для Телемаркетологов, делайте это
    прямо там. Не мешайте холодные и теплые сделки.»

    Options
    -------
    warming-purposes: pipeline purposes that count as warming.
    """

    code = "FN123"
    title = "deals from outside sales sent to warming"
    name = "cold-deals-in-warming"
    kind = "suggestion"
    default_severity = Severity.warning
    options = {"warming-purposes": ["nurture"]}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        warming = set(opts["warming-purposes"])
        funnel = ctx.funnel
        targets = {id(p): p for p in funnel.pipelines if purpose_name(p) in warming}
        if not targets:
            return
        warm_fed: set[int] = set()
        cold: dict[int, list[tuple[str, Any]]] = {k: [] for k in targets}
        for pipe in funnel.pipelines:
            if id(pipe) in targets:
                continue
            seen: set[int] = set()
            for stage in pipe.stages:
                for ex in exits(stage):
                    if ex.copy_to is None:
                        continue
                    found = funnel.resolve(ex.copy_to.ref, pipe)
                    if found is None or id(found[0]) not in targets:
                        continue
                    dest = id(found[0])
                    if is_sales(pipe, funnel):
                        warm_fed.add(dest)
                    elif dest not in seen:
                        seen.add(dest)
                        cold[dest].append((f"`{pipe.name.value}` "
                                           f"({purpose_name(pipe) or 'no purpose'})",
                                           ex.copy_to.ref.span))
        for source in funnel.sources:
            found = funnel.resolve(source.target, None)
            if found is not None and id(found[0]) in targets:
                cold[id(found[0])].append((f"source `{source.name.value}`", source.target.span))
        for key, origins in cold.items():
            home: Pipeline = targets[key]
            mixed = key in warm_fed
            for origin, span in origins:
                yield Finding(
                    f"{origin} sends deals to the warming pipeline `{home.name.value}`",
                    span, "cold deals, not deals that left sales",
                    (Label(home.name.span, "warming pipeline"),),
                    notes=(f"`{home.name.value}` also warms deals from sales: cold and warm "
                           "deals are mixed",) if mixed else (),
                    help="warm cold leads in their own pipeline (a stage with `on enter "
                         "message` or a cadence) and copy only deals that left sales into "
                         f"`{home.name.value}`")
