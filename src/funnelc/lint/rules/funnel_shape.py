"""FN116: a funnel whose expected deal counts rise from one stage to the next."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Label, Severity
from ..base import Finding, LintContext, Rule, pipelines_not_exempt


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
    When the only stage that rises is named like a task or an activity ("Перезвонить",
    "Повторный звонок"), that side stage is the cause, and the message says so instead
    of blaming the order of the funnel.

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
        for pipe in pipelines_not_exempt(ctx.funnel, opts):
            if len(pipe.stages) < 2:
                continue
            flows = ctx.flows.pipeline_stages(pipe.name.value)
            visits = [chain.stages[f.key].visits_per_lead for f in flows]
            if not all(math.isfinite(v) for v in visits):
                continue  # a loop nobody leaves: the routing itself is the problem
            rises = [i for i in range(1, len(visits))
                     if visits[i] > visits[i - 1] * (1 + tol) + 1e-12]
            if not rises:
                continue
            first = rises[0]
            stage, prev = flows[first].stage, flows[first - 1].stage
            bars = " → ".join(f"{f.stage.name.value} {per_hundred(v)}"
                              for f, v in zip(flows, visits))
            side_stage = next((s for s in (prev, stage)
                               if str(ctx.classify(s.name.value).klass) == "task"), None)
            if len(rises) == 1 and side_stage is not None:
                side = ctx.classify(side_stage.name.value)
                yield Finding(
                    f"`{side_stage.name.value}` is a task-like side stage: only some deals "
                    f"pass through it, so `{stage.name.value}` counts more than "
                    f"`{prev.name.value}` before it", side_stage.name.span, side.reason,
                    (Label(stage.name.span, f"{per_hundred(visits[first])} per 100 leads, "
                                            f"after {per_hundred(visits[first - 1])}"),),
                    notes=(f"expected visits per 100 leads entering `{pipe.name.value}`: "
                           f"{bars}",),
                    help="make it a task or a cadence of the stage deals come from "
                         "(`on enter task`, `cadence`) instead of a stage; the other "
                         "stages already fall in order")
                continue
            yield Finding(
                f"more deals are expected in `{stage.name.value}` than in "
                f"`{prev.name.value}` before it", stage.name.span,
                f"{per_hundred(visits[first])} per 100 leads, after "
                f"{per_hundred(visits[first - 1])}",
                tuple(Label(flows[i].stage.name.span,
                            f"{per_hundred(visits[i])} after {per_hundred(visits[i - 1])}")
                      for i in rises[1:]),
                notes=(f"expected visits per 100 leads entering `{pipe.name.value}`: {bars}",),
                help="order the stages the way deals go through them, and replace skips "
                     "and moves back with forward steps")
