"""FN132: a stage named by a bare document noun («Договор»)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

from ...diagnostics import Severity
from ...model import Pipeline, Style
from ..base import ExampleLanguage, Finding, LintContext, Rule
from ..naming import is_adjective

Document = Literal["contract", "proposal", "invoice"]

_DOCUMENTS: Final[dict[str, Document]] = {
    # ru
    "договор": "contract", "контракт": "contract", "кп": "proposal", "оферта": "proposal",
    "счет": "invoice", "инвойс": "invoice",
    # uk
    "договір": "contract", "рахунок": "invoice", "інвойс": "invoice",
    # en
    "contract": "contract", "agreement": "contract", "proposal": "proposal",
    "quote": "proposal", "invoice": "invoice",
}
"""Head nouns that name a document a deal's step makes, sends or gets signed."""

_TWO_WORDS: Final[dict[tuple[str, str], Document]] = {
    ("коммерческое", "предложение"): "proposal",
    ("комерційна", "пропозиція"): "proposal",
    ("commercial", "proposal"): "proposal",
}
"""The same documents named in two words (an adjective and the noun)."""

_FIXES: Final[dict[ExampleLanguage, dict[Document, tuple[str, str]]]] = {
    "ru": {"contract": ("Договор подписан", "Ждем подписания договора"),
           "proposal": ("КП отправлено", "Ждем ответа на КП"),
           "invoice": ("Счет выставлен", "Ждем оплату")},
    "uk": {"contract": ("Договір підписано", "Чекаємо підписання договору"),
           "proposal": ("КП надіслано", "Чекаємо відповіді на КП"),
           "invoice": ("Рахунок виставлено", "Чекаємо оплату")},
    "en": {"contract": ("Contract signed", "Awaiting contract signature"),
           "proposal": ("Proposal sent", "Awaiting proposal feedback"),
           "invoice": ("Invoice issued", "Awaiting payment")},
}
"""The help's names, in the account's language: for a conversion pipeline what has happened
to the document, for a process one what the deal is waiting for (seed 002's «ожидаем
подписания договора, ждем оплату»)."""

_QUESTIONS: Final[dict[Document, str]] = {
    "contract": "to be drawn up, or signed?", "proposal": "to be prepared, or sent?",
    "invoice": "to be issued, or paid?",
}
"""The label: the two readings a manager may take."""

_WORDS = re.compile(r"[^\W\d_]+")


def document_of(name: str) -> Document | None:
    """The document a stage name starts with («Договор», «Счёт на предоплату», «2. КП»),
    or None. Only the name's first words count: «Клиент запросил КП» names the client's
    request, not the document."""
    found = _document_words(name)
    return found[0] if found is not None else None


def _document_words(name: str) -> tuple[Document, list[str]] | None:
    """The document a stage name starts with and the words after its name."""
    words = _WORDS.findall(name.casefold().replace("ё", "е"))
    if len(words) >= 2 and (words[0], words[1]) in _TWO_WORDS:
        return _TWO_WORDS[(words[0], words[1])], words[2:]
    if words and words[0] in _DOCUMENTS:
        return _DOCUMENTS[words[0]], words[1:]
    return None


def _process_style(ctx: LintContext, pipe: Pipeline) -> bool:
    """Whether the help names a process: the pipeline declares `process`, or declares no
    style and more of its stage names are process-style than conversion-style (FN109's
    reading; a conversion name there would make FN109 flag the renamed stage)."""
    if pipe.style is not None:
        return pipe.style is Style.process
    classes = [str(ctx.classify(s.name.value).klass) for s in pipe.stages]
    return classes.count("process") > classes.count("conversion")


class BareDocumentStage(Rule):
    """Flags a stage named by a bare document noun with nothing that says what has
    happened to it: «Договор», «КП», «Счет», «Договір», «Счёт на предоплату», in a
    pipeline of any style and purpose. Read with `funnelc.lint.naming`: a name with a
    participle or a verb («Договор подписан», «Клиент запросил КП», «Договор на
    согласовании») is not bare, nor one whose adjective says the document's state
    («Контракт активен»). The help follows the pipeline's style: in a `process` pipeline
    (or one that declares no style and has more process names than conversion ones) it
    names what the deal is waiting for («Ждем подписания договора»), else the step the
    deal has made («Договор подписан»).

    Why
    ---
    A stage records a step, and a document alone does not say which: one manager moves
    the deal to «Договор» when the contract is to be drawn up, another when it is signed,
    and whoever reads the report counts every deal there as a signed contract. Naming what
    happened to the document («Договор подписан», «КП отправлено», «Счет выставлен»), or in
    a process funnel what is awaited («Ждем подписания договора», «Ждем оплату»), makes
    every manager move the deal at the same moment.

    Bad
    ---
        source "Сайт" 5/day -> "Продажи"."Заявка получена"
        pipeline "Продажи" conversion sales {
          stage "Заявка получена" {
            -> "Договор" 40%
            -> lost "Нецелевой" 60%
          }
          stage "Договор" {
            -> won 80%
            -> lost "Не подписал" 20%
          }
        }

    Good
    ----
        source "Сайт" 5/day -> "Продажи"."Заявка получена"
        pipeline "Продажи" conversion sales {
          stage "Заявка получена" {
            -> "Договор подписан" 40%
            -> lost "Нецелевой" 60%
          }
          stage "Договор подписан" {
            -> won 80%
            -> lost "Не оплатил" 20%
          }
        }

    Seed
    ----
    002: «если этап называется “договор”, то один менеджер подумает, что договор надо
    сделать, другой — что подписать, а вы, глядя в аналитику, будете считать, что это уже
    подписанные договоры», said of funnels of both types: «В процессных воронках обычно
    используются этапы с названиями: ожидаем подписания договора, ждем оплату»; «В
    конверсионных воронках … подписал договор, оплата получена».
    """

    code = "FN132"
    title = "a stage named by a bare document noun"
    name = "bare-document-stage"
    kind = "style"
    default_severity = Severity.note

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        account_language = next((a.language for a in ctx.funnel.accounts if a.language), None)
        for pipe in ctx.funnel.pipelines:
            process: bool | None = None
            for stage in pipe.stages:
                name = stage.name.value
                found = _document_words(name)
                if found is None:
                    continue
                document, rest = found
                c = ctx.classify(name)
                if str(c.klass) != "neutral" or (rest and is_adjective(rest[0], c.language)):
                    continue  # «Контракт активен»: the adjective says the document's state
                if process is None:
                    process = _process_style(ctx, pipe)
                language = account_language or c.language
                names = _FIXES[language if language in ("ru", "uk", "en") else "ru"][document]
                fix = names[1] if process else names[0]
                if pipe.style is Style.conversion:
                    note = (f"one manager moves a deal here when the document is to be made, "
                            f"another when it is done, and `{pipe.name.value}`'s conversion "
                            "counts every deal here as done")
                else:
                    note = (f"one manager moves a deal here when the document is to be made, "
                            f"another when it is done, and `{pipe.name.value}`'s report cannot "
                            "tell them apart")
                yield Finding(
                    f"stage `{name}` names a document, not what has happened to it",
                    stage.name.span, _QUESTIONS[document], notes=(note,),
                    help=(f"name what the deal is waiting for, like `{fix}`" if process
                          else f"name the step the deal has made, like `{fix}`"))
