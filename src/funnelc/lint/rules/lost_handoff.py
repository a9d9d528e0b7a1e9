"""FN110: a deal closed as lost here that goes on being sold in another pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...diagnostics import Severity
from ...model import LostTarget
from ..base import Finding, LintContext, Rule, copies, purpose_name


class LostHandoff(Rule):
    """Flags a `lost "…" then copy` into a pipeline that is not a warming one
    (`nurture`, `winback`): the deal continues there, but this pipeline counts it as a
    loss. The direct move (`-> "Other"."Stage"`) is an error (FN214); this is the same
    mistake written with a copy.

    Why
    ---
    A deal that moves on to qualification's next step, to production or to the main
    sales funnel was *won* here. Closing it as lost makes this pipeline's conversion look
    worse than it is and fills the loss reasons with non-losses; close it as `won` and
    copy it instead. Copying lost deals into warming is right and is not flagged.

    Bad
    ---
        source "Сайт" 5/day -> "Квалификация"."Новый лид"
        pipeline "Квалификация" qualification {
          stage "Новый лид" {
            -> won 20% then copy "Продажи"."Новая сделка"
            -> lost "Теплый, передан в продажи" 50% then copy "Продажи"."Новая сделка"
            -> lost "Спам" 30%
          }
        }
        pipeline "Продажи" main sales {
          stage "Новая сделка" {
            -> won
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Квалификация"."Новый лид"
        pipeline "Квалификация" qualification {
          stage "Новый лид" {
            -> won 70% then copy "Продажи"."Новая сделка"
            -> lost "Спам" 30%
          }
        }
        pipeline "Продажи" main sales {
          stage "Новая сделка" {
            -> won
          }
        }

    Seed
    ----
    002, mistake 9: «Переводить сделки из одной воронки в другую без закрытия их как
    "успешные"»; «Сделка из воронки автоматически перейдет через успешный статус
    "реализовано" в другие воронки.»

    Options
    -------
    warming-purposes: pipeline purposes a lost deal may be copied into.
    """

    code = "FN110"
    title = "a deal closed as lost that goes on in another pipeline"
    name = "lost-handoff"
    kind = "problem"
    default_severity = Severity.warning
    options = {"warming-purposes": ["nurture", "winback"]}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        warming = set(opts["warming-purposes"])
        for pipe in ctx.funnel.pipelines:
            for _, out, other in copies(ctx, pipe):
                if (not isinstance(out.target, LostTarget) or other is pipe
                        or purpose_name(other) in warming):
                    continue
                kind = f"`{purpose_name(other)}` " if other.purpose is not None else ""
                yield Finding(
                    f"deals lost as `{out.target.reason.value}` go on in {kind}pipeline "
                    f"`{other.name.value}`", out.node.span,
                    "closed as lost here, copied to continue there",
                    notes=(f"`{pipe.name.value}` counts every such deal as a loss",),
                    help="close it as `won` and copy it (`-> won … then copy …`); copy "
                         "only real losses, into a `nurture` pipeline")
