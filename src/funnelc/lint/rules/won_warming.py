"""FN125: sales deals that timed out or gave up, closed as won and copied into warming."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import WonTarget
from ..base import Finding, LintContext, Rule, copies, is_sales, purpose_name

_GAVE_UP = {"sla": "its `sla` runs out", "exhausted": "its cadence is exhausted",
            "patience": "the client's patience runs out"}


class WonIntoWarming(Rule):
    """Flags a sales pipeline's `sla`, `on exhausted` or `patience` route that closes the
    deal as `won` and copies it into a warming pipeline (`nurture`, `winback`): a deal
    that hung until its time ran out, or never answered, is a loss of sales, but this
    pipeline counts it as a sale. The mirror of FN110 (`lost-handoff`), which flags real
    sales closed as lost. An outcome that wins and copies into warming (a client who
    bought and is warmed for the next purchase) is not flagged.

    Why
    ---
    The conversion and the revenue the client buys the decision on count every such
    deal as won; the manager's "sales" include deals nobody bought. Seed 002 closes a
    deal that did not close in time as lost and copies it into warming.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            sla 14d -> won then copy "Утепление"."Новая сделка"
            -> won 20%
            -> lost "Дорого" 30%
            stay 50%
          }
        }
        pipeline "Утепление" nurture {
          stage "Новая сделка" {
            sla 60d -> lost "Не прогрелся"
            -> won 5% then copy "Продажи"."КП отправлено"
            stay 95%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."КП отправлено"
        pipeline "Продажи" sales {
          stage "КП отправлено" {
            sla 14d -> lost "Долго думает" then copy "Утепление"."Новая сделка"
            -> won 20%
            -> lost "Дорого" 30%
            stay 50%
          }
        }
        pipeline "Утепление" nurture {
          stage "Новая сделка" {
            sla 60d -> lost "Не прогрелся"
            -> won 5% then copy "Продажи"."КП отправлено"
            stay 95%
          }
        }

    Seed
    ----
    002, mistake 2: «Если сделка не закрывается во время, она автоматически
    проигрывается и перемещается в этап вызревание.»

    Options
    -------
    warming-purposes: pipeline purposes that count as warming.
    """

    code = "FN125"
    title = "timed-out sales deals closed as won into warming"
    name = "won-into-warming"
    kind = "problem"
    default_severity = Severity.warning
    options = {"warming-purposes": ["nurture", "winback"]}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        warming = set(opts["warming-purposes"])
        for pipe in ctx.funnel.pipelines:
            if not is_sales(pipe, ctx.funnel):
                continue
            for stage, out, into in copies(ctx, pipe, patience=True):
                if (isinstance(out.target, WonTarget) and out.via in _GAVE_UP
                        and purpose_name(into) in warming):
                    yield Finding(
                        f"deals of `{stage.name.value}` are closed as won when "
                        f"{_GAVE_UP[out.via]}, and copied into warming pipeline "
                        f"`{into.name.value}`", out.node.span,
                        "a deal that was not bought, counted as a sale",
                        notes=(f"`{pipe.name.value}`'s conversion and revenue count every "
                               "such deal as won",),
                        help='close it as lost and copy it: `lost "…" then copy …`')
