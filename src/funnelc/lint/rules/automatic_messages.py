"""FN131: a sales pipeline that sends the client nothing automatically where deals enter
or wait."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, NamedTuple

from ...diagnostics import Label, Severity
from ...model import Channel, FunnelFile, MessageAction, Pipeline, Stage
from ..base import ExampleLanguage, Finding, LintContext, Rule, exits, is_sales, letters_language

_PERSONAL: Final = frozenset({Channel.call, Channel.meeting})
"""Channels a person works: a call or a meeting is never sent by the CRM."""

_HANGS_HOURS: Final = 24.0
"""A stage whose outcomes keep a deal a day or more on average is one where deals hang
(seed 002: «этапы, где могут «зависать» сделки»): the offer sent, the client thinking."""


def _hangs(stage: Stage) -> bool:
    """Whether deals wait on `stage`: part of them `stay`, or its outcomes' delays
    (`after`, weighted by their shares) keep a deal a day or more on average."""
    if stage.stay is not None and stage.stay.value > 0:
        return True
    weighted = [(o.share.value if o.share is not None else 1.0, o.after.mean)
                for o in stage.outcomes if o.after is not None]
    total = sum(w for w, _ in weighted)
    return total > 0 and sum(w * h for w, h in weighted) / total >= _HANGS_HOURS


def sends_automatically(stage: Stage) -> bool:
    """Whether the CRM sends the client something from `stage` with no one's work: an
    `on enter message`, or a cadence touch by message (not a call or a meeting) that
    needs no member's time (no `work` on the touch nor on the stage; the simulator
    queues a touch with `work` for a member of the owner team, so it is a manager's)."""
    if any(isinstance(a, MessageAction) for a in stage.on_enter):
        return True
    if stage.cadence is None:
        return False
    return any(t.channel not in _PERSONAL and t.work is None and stage.work is None
               for t in stage.cadence.touches)


def _entry_stages(funnel: FunnelFile, pipe: Pipeline) -> list[Stage]:
    """Where deals enter `pipe`: its first stage, the stages a source feeds and the ones
    other pipelines copy deals into, in file order."""
    names = {pipe.stages[0].name.value}
    for source in funnel.sources:
        found = funnel.resolve(source.target, None)
        if found is not None and found[0] is pipe:
            names.add(found[1].name.value)
    for other in funnel.pipelines:
        if other is pipe:
            continue
        for stage in other.stages:
            for _, _, copy, _ in exits(stage):
                if copy is None:
                    continue
                found = funnel.resolve(copy.ref, other)
                if found is not None and found[0] is pipe:
                    names.add(found[1].name.value)
    return [s for s in pipe.stages if s.name.value in names]


class NoAutomaticMessage(Rule):
    """Flags a sales pipeline where neither a stage deals enter nor a stage where deals
    wait (a `stay` share, or outcomes whose `after` keeps a deal a day or more on
    average) sends the client anything automatically: no `on enter message`, and no
    cadence touch by message that the CRM sends without a manager's `work`. A call, a
    meeting or a message a manager writes (a touch with `work`) is manual; a message on a
    stage deals leave within hours (the contract signed) does not warm the ones that
    hang.

    Why
    ---
    Deals that wait, on the first stages and on the ones where they hang (the offer sent,
    the client thinking it over), cool down while the manager is busy: if every message
    is written by hand, most clients hear nothing between calls. An automatic message on
    those stages (cases, reviews, a reminder of the offer) warms every deal at no
    manager's time, and FN104's warming pipeline only catches the ones already lost.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" {
            on enter task "Позвонить" due 15m
            -> "КП отправлено" 60%
            -> lost "Нецелевой" 40%
          }
          stage "КП отправлено" {
            on enter task "Созвониться по КП" due 2d
            sla 14d -> lost "Долго думает"
            -> won 30%
            -> lost "Дорого" 20%
            stay 50%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Новая заявка"
        pipeline "Продажи" sales {
          stage "Новая заявка" {
            on enter task "Позвонить" due 15m
            -> "КП отправлено" 60%
            -> lost "Нецелевой" 40%
          }
          stage "КП отправлено" {
            on enter task "Созвониться по КП" due 2d
            on enter message whatsapp "Подборка наших работ и отзывы клиентов"
            sla 14d -> lost "Долго думает"
            -> won 30%
            -> lost "Дорого" 20%
            stay 50%
          }
        }

    Seed
    ----
    002, mistake 3: «Неправильно: В воронке нет этапов, где клиентам автоматически
    отправляются утепляющие сообщения. Менеджер делает это вручную. Правильно: В воронке
    есть этап, где CRM система автоматически отправляет клиентам утепляющие сообщения
    (особенно первые этапы и этапы, где могут «зависать» сделки).»
    """

    code = "FN131"
    title = "a sales pipeline that sends nothing automatically where deals enter or wait"
    name = "no-automatic-message"
    kind = "suggestion"
    default_severity = Severity.warning

    def check(self, ctx: LintContext, opts: Mapping[str, object]) -> Iterator[Finding]:
        funnel = ctx.funnel
        for pipe in funnel.pipelines:
            if not pipe.stages or not is_sales(pipe, funnel):
                continue
            entry = _entry_stages(funnel, pipe)
            waiting = [s for s in pipe.stages if s.stay is not None and s.stay.value > 0]
            hanging = [s for s in pipe.stages if _hangs(s)]
            watched = entry + [s for s in hanging if s not in entry]
            if any(sends_automatically(s) for s in watched):
                continue
            # The help's stage: where most deals wait, else the first place deals enter. A
            # side stage named for a task («Не дозвонился») is FN113's to fix, not a place
            # for cases and reviews.
            decided = [s for s in waiting if str(ctx.classify(s.name.value).klass) != "task"]
            target = max(decided, key=lambda s: s.stay.value if s.stay else 0.0,
                         default=entry[0])
            words = _EXAMPLE[letters_language(ctx, [s.name.value for s in pipe.stages])]
            line = f'on enter message {words.channel} "{words.text}"'
            labels = tuple(Label(s.name.span, f"{s.stay.text} of the deals wait here")
                           for s in waiting if s.stay is not None)
            labels += tuple(Label(s.name.span, "deals enter here") for s in entry
                            if s not in waiting)
            manual = any(t.channel not in _PERSONAL for s in watched if s.cadence
                         for t in s.cadence.touches)
            notes = ("a cadence touch with `work` is written by a manager, not sent by the "
                     "CRM",) if manual else ()
            yield Finding(
                f"no stage of `{pipe.name.value}` where deals enter or wait sends the client "
                "anything automatically",
                pipe.name.span, "every message here is written by hand", secondary=labels,
                notes=notes,
                help=f"add `{line}` to stage `{target.name.value}`: the CRM then sends it to "
                     "every deal that enters")


class _Words(NamedTuple):
    channel: str
    text: str


_EXAMPLE: Final[dict[ExampleLanguage, _Words]] = {
    "ru": _Words("whatsapp", "Подборка наших работ и отзывы клиентов"),
    "uk": _Words("viber", "Добірка наших робіт і відгуки клієнтів"),
    "en": _Words("email", "Our recent work and what clients say about it"),
}
"""The help's message in the account's language, on the messenger its clients use most."""
