"""FN132: a conversion pipeline's stage named by a bare document noun («Договор»)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

from ...diagnostics import Severity
from ...model import Style
from ..base import ExampleLanguage, Finding, LintContext, Rule

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

_FIXES: Final[dict[ExampleLanguage, dict[Document, str]]] = {
    "ru": {"contract": "Договор подписан", "proposal": "КП отправлено",
           "invoice": "Счет выставлен"},
    "uk": {"contract": "Договір підписано", "proposal": "КП надіслано",
           "invoice": "Рахунок виставлено"},
    "en": {"contract": "Contract signed", "proposal": "Proposal sent",
           "invoice": "Invoice issued"},
}
"""The help's names, in the account's language: what has happened to the document."""

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
    words = _WORDS.findall(name.casefold().replace("ё", "е"))
    if not words:
        return None
    if len(words) >= 2 and (words[0], words[1]) in _TWO_WORDS:
        return _TWO_WORDS[(words[0], words[1])]
    return _DOCUMENTS.get(words[0])


class BareDocumentStage(Rule):
    """Flags a stage of a `conversion` pipeline named by a bare document noun with
    nothing that says what has happened to it: «Договор», «КП», «Счет», «Договір»,
    «Счёт на предоплату». Read with `funnelc.lint.naming`: a name with a participle or a
    verb («Договор подписан», «Клиент запросил КП») is not bare, and a process-style name
    is FN109's.

    Why
    ---
    A conversion stage records a completed step, and a document alone does not say
    which: one manager moves the deal to «Договор» when the contract is to be drawn up,
    another when it is signed, and the conversion report counts every deal there as a
    signed contract. Naming what happened to the document («Договор подписан», «КП
    отправлено», «Счет выставлен») makes every manager move the deal at the same moment.

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
    подписанные договоры».
    """

    code = "FN132"
    title = "a conversion stage named by a bare document noun"
    name = "bare-document-stage"
    kind = "style"
    default_severity = Severity.note

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterator[Finding]:
        account_language = next((a.language for a in ctx.funnel.accounts if a.language), None)
        for pipe in ctx.funnel.pipelines:
            if pipe.style is not Style.conversion:
                continue
            for stage in pipe.stages:
                name = stage.name.value
                document = document_of(name)
                if document is None:
                    continue
                c = ctx.classify(name)
                if str(c.klass) != "neutral":
                    continue
                language = account_language or c.language
                fix = _FIXES[language if language in ("ru", "uk", "en") else "ru"][document]
                yield Finding(
                    f"stage `{name}` names a document, not what has happened to it",
                    stage.name.span, _QUESTIONS[document],
                    notes=(f"one manager moves a deal here when the document is to be made, "
                           f"another when it is done, and `{pipe.name.value}`'s conversion "
                           "counts every deal here as done",),
                    help=f"name the step the deal has made, like `{fix}`")
