"""Which loss reasons say nothing: the catch-alls («Прочее», «Другое», «Інше», "Other")
and the placeholders («—», «Не указано»), as real accounts write them.

A closed list of lower-cased spellings caught «Прочее» and «Other reason» but not
«Прочие причины», «Інше (вкажіть)» or "Other (please specify)", the items amoCRM and
Bitrix24 accounts set up: on a history where a third of the losses were such, the audit
said 19 % had no usable reason, and named the two it knew (tests/test_loss_catch_all.py).
So a reason is read word by word: a catch-all word first («прочие», «другое», «інше»,
"other"), followed by nothing but words that ask for or name a reason («причины»,
«вкажіть», "specify"), in brackets or not. A reason that says something after the
catch-all word stays a reason: «Другое направление бизнеса», «Другой город», «Другое
(переезд)».
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_catch_all", "catch_alls_among"]

_HEADS = frozenset({
    "прочее", "прочие", "прочая", "прочий", "другое", "другие", "другая", "иное", "иные",
    "иная", "разное", "інше", "інші", "інша", "різне", "other", "others", "misc",
    "miscellaneous", "another"})
"""Words that open a catch-all: «other» in Russian, Ukrainian and English (the
masculine «другой»/«інший» opens real reasons, «Другой город», and is not here)."""
_FILLERS = frozenset({
    "причина", "причины", "причин", "причину", "причини", "reason", "reasons", "вариант",
    "варианты", "варіант", "варіанти", "укажите", "указать", "уточните", "вкажіть",
    "вказати", "уточніть", "напишите", "напишіть", "в", "у", "комментарии", "комментарий",
    "коментарі", "коментар", "please", "specify", "see", "comment", "comments", "note",
    "notes", "отказа", "відмови", "отказ", "відмова", "см", "смотрите", "див", "дивіться",
    "зазначте", "зазначити", "не", "указано", "указана", "вказано", "вказана"})
"""Words that say nothing after a catch-all word: «Прочие причины отказа», «Інше
(вкажіть у коментарі)», «Другие причины (см. комментарий)», «Другое / не указано»,
"Other reason (please specify)"."""
_PLACEHOLDERS = frozenset({
    "не указано", "не указана", "не указан", "без причины", "нет причины", "не вказано",
    "не вказана", "без причини", "немає причини", "n/a", "na", "none", "no reason",
    "unknown", "неизвестно", "невідомо"})
"""Whole reasons that are a reason left out, written in the field."""
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_CYRILLIC = re.compile(r"[а-яіїєґ]")
_LOOK_ALIKE = str.maketrans("aceiopxyk", "асеіорхук")
"""Latin letters that look like Cyrillic ones: «Інше» typed with a Latin «е» is «Інше»."""


def _word(w: str) -> str:
    """A word in one script: a Cyrillic word with Latin look-alikes in it read in
    Cyrillic."""
    return w.translate(_LOOK_ALIKE) if _CYRILLIC.search(w) else w


def is_catch_all(reason: str) -> bool:
    """Whether a reason, as written, says nothing (module docstring): only punctuation
    («—», «-», «?», «...»), a placeholder («Не указано»), or a catch-all word followed
    by nothing but words asking for or naming a reason, or other catch-all words
    («Прочее/другое»)."""
    text = reason.strip().lower().replace("ё", "е")
    if " ".join(text.split()) in _PLACEHOLDERS:
        return True
    words = [_word(w) for w in _WORD.findall(text)]
    if not words:
        return True
    return words[0] in _HEADS and all(w in _FILLERS or w in _HEADS for w in words[1:])


def catch_alls_among(reasons: Iterable[str | None]) -> list[str]:
    """The catch-alls among `reasons` as written, each once, in the order first met:
    classified once per distinct reason, not per loss (a history has a few dozen
    reasons and a million losses)."""
    seen: dict[str, bool] = {}
    for r in reasons:
        if r is not None and r not in seen:
            seen[r] = is_catch_all(r)
    return [r for r, yes in seen.items() if yes]
