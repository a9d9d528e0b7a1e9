"""FN118: a contact cadence with too many touches, or one that never gives up."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from ...diagnostics import Label, Severity
from ...model import Pipeline, Stage, StageTarget
from ..base import ExampleLanguage, Finding, LintContext, Rule, example_language

_GAVE_UP: Final[dict[ExampleLanguage, str]] = {
    "ru": "Не дозвонились", "uk": "Не додзвонилися", "en": "Could not reach"}
"""The help's loss reason for a cadence that ran out, in the account's language."""


def _exhausted_next(ctx: LintContext, pipe: Pipeline, stage: Stage) -> Stage | None:
    """The cadence stage `on exhausted` hands the deal to, if any (same pipeline)."""
    cad = stage.cadence
    if cad is None or cad.on_exhausted is None:
        return None
    target = cad.on_exhausted.target
    if not isinstance(target, StageTarget):
        return None
    found = ctx.funnel.resolve(target.ref, pipe)
    if found is None or found[0] is not pipe or found[1].cadence is None:
        return None
    return found[1]


class LongCadence(Rule):
    """Flags a contact cadence with more than `max-touches` touches, counting the
    touches of the cadence stages its `on exhausted` hands the deal on to, and a
    cadence whose `on exhausted` chain comes back to where it started (it never gives up).

    Why
    ---
    Every touch costs a manager's time and annoys a lead who is not answering; after a
    handful of attempts the chance of a reply is small and the deal should be closed (and
    warmed by marketing) instead of clogging the queue. A cadence that never exhausts is a
    graveyard with extra work.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Заявка"
        pipeline "Продажи" sales {
          stage "Заявка" {
            cadence {
              call now 40%
              whatsapp 1h 10%
              email 2h 5%
              call 1d 10%
              whatsapp 2d 5%
              call 3d 5%
              call 5d 5%
              on reply -> won
              on exhausted -> lost "Не дозвонились"
            }
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Заявка"
        pipeline "Продажи" sales {
          stage "Заявка" {
            cadence {
              call now 40%
              whatsapp 1h 10%
              email 2h 5%
              call 1d 10%
              whatsapp 2d 5%
              on reply -> won
              on exhausted -> lost "Не дозвонились"
            }
          }
        }

    Seed
    ----
    004: «Суммарно выходит 5 попыток связи (звонок 1 + Whatsapp + e-mail + Звонок
    2/Whatsapp + звонок 3/Whatsapp), если все они неудачны — закрываем сделку.»

    Options
    -------
    max-touches: most touches before a cadence should give up.
    """

    code = "FN118"
    title = "a contact cadence too long or never ending"
    name = "long-cadence"
    kind = "suggestion"
    default_severity = Severity.note
    options = {"max-touches": 5}

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        limit = int(opts["max-touches"])
        for pipe in ctx.funnel.pipelines:
            fed = {id(n) for s in pipe.stages
                   if (n := _exhausted_next(ctx, pipe, s)) is not None}
            for stage in pipe.stages:
                if stage.cadence is None:
                    continue
                chain = [stage]
                nxt = _exhausted_next(ctx, pipe, stage)
                while nxt is not None and all(nxt is not s for s in chain):
                    chain.append(nxt)
                    nxt = _exhausted_next(ctx, pipe, nxt)
                cad = stage.cadence
                if nxt is stage:
                    yield Finding(
                        f"the cadence of `{stage.name.value}` never gives up",
                        cad.on_exhausted.span if cad.on_exhausted else cad.span,
                        "`on exhausted` leads back to this cadence",
                        tuple(Label(s.name.span, "on the way") for s in chain[1:]),
                        help='end the attempts: `on exhausted -> lost '
                             f'"{_GAVE_UP[example_language(ctx, (s.name.value for s in chain))]}"` '
                             '(with `then copy` into warming)')
                    continue
                if id(stage) in fed:
                    continue  # counted as part of the cadence that hands deals on to it
                touches = sum(len(s.cadence.touches) for s in chain if s.cadence)
                if touches <= limit:
                    continue
                over = [t for s in chain if s.cadence for t in s.cadence.touches][limit]
                via = (f" across {len(chain)} stages" if len(chain) > 1 else "")
                yield Finding(
                    f"the cadence of `{stage.name.value}` makes {touches} touches{via}, "
                    f"more than {limit}", over.span, f"touch {limit + 1}",
                    tuple(Label(s.name.span, "continues here") for s in chain[1:]),
                    help=f"close the deal after {limit} attempts and copy it into warming "
                         "instead of calling on")
