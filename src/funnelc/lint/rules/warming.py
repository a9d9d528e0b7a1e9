"""FN104: a sales pipeline whose lost and timed-out deals go nowhere to be warmed."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Final, NamedTuple

from ...diagnostics import Severity
from ...model import LostTarget, MessageAction, Pipeline, Stage, StageTarget
from ...routing import StageKey
from ..base import (
    ExampleLanguage,
    Finding,
    LintContext,
    Rule,
    calendar_days,
    copies,
    example_language,
    exits,
    is_sales,
    letters_language,
    purpose_name,
)


def _warms(stage: Stage) -> bool:
    """A stage that touches the client automatically: a message on entry, or a cadence."""
    return stage.cadence is not None or any(isinstance(a, MessageAction)
                                            for a in stage.on_enter)


class NoWarmingRoute(Rule):
    """Flags a sales pipeline that loses deals (`lost`, or `stay` without `sla`) but
    sends none of them to warming: no lost or timed-out deal is copied into a
    `nurture`/`winback` pipeline, and no `sla` moves deals to a stage of the pipeline that
    warms them automatically (`on enter message` or a cadence). A stage named for a
    failed contact attempt («Недозвон 1» with its "we could not reach you" SMS) and the
    stage most deals go on to anyway (an order's «Передано курьеру» with its tracking
    SMS) are not warming: the SLA only goes on contacting or moves the deal along.

    Why
    ---
    Most leads that do not buy now are not lost for good: they postpone, compare, wait
    for money. Without a warming route they are closed and forgotten, or left to rot in
    the stage; with one, marketing keeps touching them automatically and the ones that
    wake up come back as warm deals.

    Bad
    ---
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
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            sla 14d -> lost "Долго думает" then copy "Утепление"."Новая сделка"
            -> won 20%
            -> lost "Дорого" 80%
          }
        }
        pipeline "Утепление" nurture {
          stage "Новая сделка" {
            on enter message email "Полезная подборка"
            sla 60d -> lost "Не прогрелся"
            -> won 5% then copy "Продажи"."КП отправлено"
            stay 95%
          }
        }

    Seed
    ----
    002, mistake 3: «Нет утепления сделок по этапам»; «Если сделка висит долго... её
    автоматически закрывают и создают копию в воронке "Утепление"». 000: «лиды с некоторых
    этапов совершенно точно должны попадать маркетологам на прогревы».

    Options
    -------
    warming-purposes: pipeline purposes that count as warming.
    """

    code = "FN104"
    title = "lost and timed-out deals go to no warming pipeline or stage"
    name = "no-warming-route"
    kind = "suggestion"
    default_severity = Severity.warning
    options = {"warming-purposes": ["nurture", "winback"]}

    def check(self, ctx: LintContext, opts: Mapping[str, object]) -> Iterator[Finding]:
        purposes = opts["warming-purposes"]
        warming = {str(p) for p in purposes} if isinstance(purposes, list | tuple) else set()
        funnel = ctx.funnel
        for pipe in funnel.pipelines:
            if not is_sales(pipe, funnel) or purpose_name(pipe) in warming:
                continue
            loses = any(_loses(stage) for stage in pipe.stages)
            warms = (any(isinstance(out.target, LostTarget) and purpose_name(into) in warming
                         for _, out, into in copies(ctx, pipe))
                     or any(_times_out_to_warming(ctx, pipe, stage) for stage in pipe.stages))
            if loses and not warms:
                has_nurture = any(purpose_name(p) in warming for p in funnel.pipelines)
                words, into, where = warming_copy(ctx, pipe, warming)
                sla = calendar_days(funnel, 14)
                notes = () if has_nurture else ("the account has no `nurture` pipeline",)
                yield Finding(
                    f"no lost or timed-out deal of `{pipe.name.value}` goes to warming",
                    pipe.name.span, "lost deals are closed and forgotten",
                    notes=notes + ((sla.note,) if sla.note else ()),
                    help=f'copy them into a warming pipeline: `sla {sla.text} -> lost '
                         f'"{words.reason}" then copy {into}`{where}')


def _loses(stage: Stage) -> bool:
    """A stage that loses deals: a way out to `lost`, or a `stay` share no `sla` ends."""
    return ((stage.stay is not None and stage.stay.value > 0 and stage.sla is None)
            or any(isinstance(out.target, LostTarget) for out in exits(stage)))


def _times_out_to_warming(ctx: LintContext, pipe: Pipeline, stage: Stage) -> bool:
    """Whether the stage's `sla` or exhausted cadence moves its deals to a stage of the
    pipeline that warms them. A stage named for a failed contact attempt («Недозвон 1» with
    an SMS "we could not reach you") goes on contacting; it does not warm a deal that went
    quiet. Nor does the stage most deals go on to anyway (an order's «Передано курьеру»
    with its SMS): the SLA only moves the deal along."""
    for out in exits(stage):
        if not isinstance(out.target, StageTarget) or out.via not in ("sla", "exhausted"):
            continue
        found = ctx.funnel.resolve(out.target.ref, pipe)
        if (found is not None and _warms(found[1])
                and str(ctx.classify(found[1].name.value).klass) != "task"
                and (found[0].name.value, found[1].name.value)
                != _main_next(ctx, pipe.name.value, stage.name.value)):
            return True
    return False


def warming_copy(ctx: LintContext, pipe: Pipeline,
                 warming: Collection[str] = ("nurture", "winback"),
                 morphology: bool = True) -> tuple[_Words, str, str]:
    """The example names of a help that copies `pipe`'s stale deals into warming, in the
    account's language: the words, the `"pipeline"."stage"` to copy into (the account's own
    warming pipeline when it has one) and, when the example pipeline is made up, the
    ` (a `pipeline "…" nurture`)` that says to add it. `morphology=False` reads an
    account without `language` by its letters only (a structural rule loads no
    pymorphy3)."""
    funnel = ctx.funnel
    names = [s.name.value for s in pipe.stages]
    words = _EXAMPLE[example_language(ctx, names) if morphology
                     else letters_language(ctx, names)]
    nurture = next((p for p in funnel.pipelines if purpose_name(p) in warming and p.stages),
                   None)
    if nurture is not None:
        return words, f'"{nurture.name.value}"."{nurture.stages[0].name.value}"', ""
    return (words, f'"{words.pipeline}"."{words.stage}"',
            f' (a `pipeline "{words.pipeline}" nurture`)')


class _Words(NamedTuple):
    reason: str
    pipeline: str
    stage: str


_EXAMPLE: Final[dict[ExampleLanguage, _Words]] = {
    "ru": _Words("Долго думает", "Утепление", "Новая сделка"),
    "uk": _Words("Довго думає", "Прогрів", "Нова угода"),
    "en": _Words("Thinking it over", "Nurture", "New deal"),
}
"""The help's example names in the account's language."""


def _main_next(ctx: LintContext, pipeline: str, stage: str) -> StageKey | None:
    """The stage the largest outcome of a stage leads to (None when it leads out)."""
    flow = ctx.flows.stages.get((pipeline, stage))
    if flow is None:
        return None
    outcomes = [r for r in flow.routes if r.via == "outcome"]
    if not outcomes:
        return None
    main = max(outcomes, key=lambda r: r.share)
    return main.stage if main.kind == "stage" else None
