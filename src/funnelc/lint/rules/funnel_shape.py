"""FN116: a funnel whose expected deal counts rise from one stage to the next."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ...routing import StageFlow, StageKey
from ..base import Finding, LintContext, Rule, aged_segment, pipelines_not_exempt


def per_hundred(x: float) -> str:
    """Expected visits per 100 leads as a short number: `100`, `68`, `3.4`, `0.25`."""
    v = x * 100
    if not math.isfinite(v):
        return "∞"
    if v >= 10 or v == 0:
        return f"{v:.0f}"
    return f"{v:.2g}"


class FunnelShape(Rule):
    """Flags a pipeline whose expected number of deals per stage, in the order the
    stages are written, goes up somewhere instead of falling stage by stage. The counts
    are exact expected visits per lead entering the pipeline (an absorbing Markov chain
    over the declared shares, rework loops and reopens included: see
    `funnelc.analysis.markov`), not a simulation.

    Why
    ---
    The funnel report of a CRM counts the deals that reached each stage. In a sound
    funnel every stage has at most as many as the one before it; a stage with more means
    deals skip stages, come back to them, or the stages are not in the order deals go
    through them, and then the stage-to-stage conversions on the dashboard are wrong.
    When every stage that rises follows (or is) a stage named like a task or an
    activity ("Перезвонить", a clinic's "Не пришёл (консультация)" and "Не пришёл
    (лечение)"), those side stages are the cause, each is named, and the message says so
    instead of blaming the order of the funnel. So does a stage that gets most of its
    deals straight from a stage written before the one it follows: that one is a branch
    only some deals take, not a step before it (seed 004's «Заявка» sends the leads it
    reached to «Связались» and the rest to «Ждем связи», which tries again and sends
    half of them on), and the order is right. Deals that enter a stage from outside
    the pipeline (a source, or a `then copy`: seed 002 copies a repeat order or a warmed
    deal into "the matching stage" of sales) do not count against it: a stage is
    flagged only when the deals coming from its own pipeline's stages already outnumber
    the stage before it. A stage deals enter only by another stage's `sla` (the aged
    deals `funnelc audit` proposes to split off a graveyard, seed 000's «холодные») is a
    branch by design: the stage after it is compared with the stage before it.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Заявка"
        pipeline "Продажи" sales {
          stage "Заявка" {
            -> "Счет выставлен" 60%
            -> "КП отправлено" 20%
            -> lost "Спам" 20%
          }
          stage "КП отправлено" {
            -> "Счет выставлен" 50%
            -> lost "Дорого" 50%
          }
          stage "Счет выставлен" {
            -> won 80%
            -> lost "Не оплатил" 20%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Заявка"
        pipeline "Продажи" sales {
          stage "Заявка" {
            -> "КП отправлено" 80%
            -> lost "Спам" 20%
          }
          stage "КП отправлено" {
            -> "Счет выставлен" 85%
            -> lost "Дорого" 15%
          }
          stage "Счет выставлен" {
            -> won 80%
            -> lost "Не оплатил" 20%
          }
        }

    Seed
    ----
    002, «Как должны выглядеть воронки продаж»: a right funnel's bars shrink stage by
    stage; «Это самый простой способ проверить правильно ли построены ваши воронки
    продаж.»

    Options
    -------
    tolerance: relative rise ignored as rounding (0.01 = a stage may have 1% more).
    exempt-purposes: pipeline purposes not checked.
    """

    code = "FN116"
    title = "expected deal counts that do not fall stage by stage"
    name = "funnel-shape"
    kind = "problem"
    default_severity = Severity.note
    options = {"tolerance": 0.01, "exempt-purposes": []}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        tol = float(opts["tolerance"])
        chain = ctx.chain
        entered = _entered_from_outside(ctx)
        reopened = {key for back in ctx.flows.reopens.values() for _, key in back}
        for pipe in pipelines_not_exempt(ctx.funnel, opts):
            if len(pipe.stages) < 2:
                continue
            flows = ctx.flows.pipeline_stages(pipe.name.value)
            visits = [chain.stages[f.key].visits_per_lead for f in flows]
            if not all(math.isfinite(v) for v in visits):
                continue  # a loop nobody leaves: the routing itself is the problem
            inside = _inflow_from_inside(flows, visits, reopened)
            # A stage deals enter only by another's `sla` (the aged deals split off a
            # graveyard) is a branch by design: the stage after it is measured against
            # the last stage before it every deal may pass.
            aged = [aged_segment(ctx, pipe, f) for f in flows]
            step = _steps_back(aged)
            rises = [i for i in range(1, len(visits))
                     if visits[i] > visits[i - 1] * (1 + tol) + 1e-12
                     and visits[i] > visits[step[i]] * (1 + tol) + 1e-12
                     and not (flows[i].key in entered
                              and inside[i] <= visits[i - 1] * (1 + tol) + 1e-12)]
            if not rises:
                continue
            bars = " → ".join(f"{f.stage.name.value} {per_hundred(v)}"
                              for f, v in zip(flows, visits))
            note = f"expected visits per 100 leads entering `{pipe.name.value}`: {bars}"
            sides = [next((s for s in (flows[i - 1].stage, flows[i].stage)
                           if str(ctx.classify(s.name.value).klass) == "task"), None)
                     for i in rises]
            if all(side is not None for side in sides):
                for i, side_stage in zip(rises, sides):
                    assert side_stage is not None
                    stage, prev = flows[i].stage, flows[i - 1].stage
                    side = ctx.classify(side_stage.name.value)
                    # The side stage is either the dip deals skip, or (written after the
                    # stage it branches from, like AlfaCRM's «Передзвонити через 2
                    # тижні» after «Отримана оплата») the one that rises itself.
                    message = (
                        f"`{side_stage.name.value}` is a task-like side stage: only some deals "
                        f"pass through it, so `{stage.name.value}` counts more than "
                        f"`{prev.name.value}` before it" if side_stage is prev else
                        f"`{side_stage.name.value}` is a task-like side stage written after "
                        f"`{prev.name.value}`: deals come to it from earlier stages, so it "
                        f"counts more than `{prev.name.value}`")
                    yield Finding(
                        message, side_stage.name.span, side.reason,
                        (Label(stage.name.span, f"{per_hundred(visits[i])} per 100 leads, "
                                                f"after {per_hundred(visits[i - 1])}")
                         if side_stage is prev else
                         Label(prev.name.span, f"{per_hundred(visits[i - 1])} per 100 leads, "
                                               f"then {per_hundred(visits[i])}"),),
                        notes=(note,),
                        help="make it a task or a cadence of the stage deals come from "
                             "(`on enter task`, `cadence`) instead of a stage; the other "
                             "stages already fall in order")
                continue
            others = tuple(Label(flows[i].stage.name.span,
                                 f"{per_hundred(visits[i])} after {per_hundred(visits[i - 1])}")
                           for i in rises[1:])
            bypass = _bypass(flows, visits, rises[0])
            if bypass is not None:
                i, (j, part) = rises[0], bypass
                stage, prev, source = flows[i].stage, flows[i - 1].stage, flows[j].stage
                yield Finding(
                    f"most deals of `{stage.name.value}` come straight from "
                    f"`{source.name.value}`, past `{prev.name.value}`, so it counts more "
                    f"than `{prev.name.value}` before it", stage.name.span,
                    f"{per_hundred(visits[i])} per 100 leads, after "
                    f"{per_hundred(visits[i - 1])}",
                    (Label(source.name.span, f"{per_hundred(part)} per 100 leads go from "
                                             f"here to `{stage.name.value}`"), *others),
                    notes=(note,),
                    help=f"`{prev.name.value}` is a branch only some deals of "
                         f"`{source.name.value}` take, not a step before "
                         f"`{stage.name.value}`: if it records an attempt that did not work "
                         f"out, make it a task or a cadence of `{source.name.value}` "
                         "(`on enter task`, `cadence`); if every deal should pass it, send "
                         "them through it")
                continue
            first = rises[0]
            stage, prev = flows[first].stage, flows[first - 1].stage
            yield Finding(
                f"more deals are expected in `{stage.name.value}` than in "
                f"`{prev.name.value}` before it", stage.name.span,
                f"{per_hundred(visits[first])} per 100 leads, after "
                f"{per_hundred(visits[first - 1])}",
                others,
                notes=(note,),
                help="order the stages the way deals go through them, and replace skips "
                     "and moves back with forward steps")


def _bypass(flows: list[StageFlow], visits: list[float], i: int
            ) -> tuple[int, float] | None:
    """The stage written before `flows[i - 1]` that sends `flows[i]` most of its expected
    visits, skipping the stage right before it, and those visits per lead; None when no
    such stage brings more than half. Then the rise is a branch (seed 004's «Заявка» →
    «Связались», with «Ждем связи» for the calls nobody answered), not a wrong order."""
    key = flows[i].key
    parts = [sum(r.share for r in flows[j].routes if r.kind == "stage" and r.stage == key)
             * visits[j] for j in range(i - 1)]
    if not parts:
        return None
    j = max(range(len(parts)), key=parts.__getitem__)
    return (j, parts[j]) if parts[j] > visits[i] / 2 else None


def _entered_from_outside(ctx: LintContext) -> set[StageKey]:
    """Stages deals enter other than from an earlier stage of their pipeline: a
    source's entry stage, or the target of a `then copy` (a repeat order copied into
    «Заявка взята в работу», a warmed deal copied back into «КП отправлено»)."""
    found = {key for _, key in ctx.flows.sources}
    for flow in ctx.flows:
        found.update(r.copy_to for r in flow.routes if r.copy_to is not None)
    return found


def _inflow_from_inside(flows: list[StageFlow], visits: list[float],
                        reopened: set[StageKey]) -> list[float]:
    """Expected visits per lead that come to each stage from stages of its own
    pipeline (moves, SLAs, cadences; reopens count as all from inside: the stage gets
    no excuse for them)."""
    index = {f.key: i for i, f in enumerate(flows)}
    inside = [0.0] * len(flows)
    for j, flow in enumerate(flows):
        for route in flow.routes:
            if route.kind == "stage" and route.stage in index and route.stage != flow.key:
                inside[index[route.stage]] += visits[j] * route.share
    for key in reopened:
        if key in index:
            inside[index[key]] = math.inf
    return inside


def _steps_back(aged: list[bool]) -> list[int]:
    """For each stage, the last stage before it that is not an aged segment (the one
    before it when there is none), in one pass: a pipeline of 20 000 stages is read."""
    out: list[int] = []
    last: int | None = None
    for i, is_aged in enumerate(aged):
        out.append(last if last is not None else i - 1)
        if not is_aged:
            last = i
    return out
