"""Diagnostics in the language of `--lang` (issue 16: they stay English for the
consultant, whose codes make them searchable, unless `--lang` is given).

A diagnostic is made in English where the problem is found, and stays so in the JSON
and SARIF data; only the text renderer asks for it in another language. Making the
messages in the language at their source would put a catalog lookup into every
`Diagnostic` (a lint run makes 58 000 of them) and gettext into every check; instead
the English text is matched, at render time, against the catalog's templates
(`diagnostic_texts`: msgids with `{placeholders}`, each compiled once into a regex),
and the translation is filled in with the captured values (names, codes and quoted
source, which are never translated). Nothing here runs, and Babel is not imported,
when no `--lang` other than `en` is given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import Translator, translator
from .diagnostic_texts import CONTEXT, PLURALS, TEMPLATES, WORDS

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic

__all__ = ["DiagnosticWords", "Localizer", "localizer", "compile_template", "quoted_fields",
           "NUMBERS", "CONTEXT"]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


NUMBERS = frozenset({"n", "m", "limit", "share", "total", "hundred", "missing", "extra",
                     "p", "pa", "pb", "system", "size", "offset"})
"""Placeholders that stand for a number (`{n} characters over`): they match digits only,
so `stage {n}` cannot take `stage "P"."S" owner "Team"` for its own."""

_QUOTED = re.compile(r"[`\"«]\{([A-Za-z_][A-Za-z0-9_]*)\}[`\"»]")


def compile_template(template: str) -> re.Pattern[str]:
    """The regex that matches the English texts a template makes: literal parts as they
    are, a number's placeholder digits, any other `{name}` a lazy group (a name may hold
    spaces, backticks, anything)."""
    parts: list[str] = []
    last = 0
    seen: set[str] = set()
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[last:m.start()]))
        name = m.group(1)
        if name in seen:
            parts.append(f"(?P={name})")
        elif name in NUMBERS:
            parts.append(f"(?P<{name}>-?\\d[\\d.,]*)")
        else:
            parts.append(f"(?P<{name}>.*?)")
        seen.add(name)
        last = m.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def quoted_fields(template: str) -> frozenset[str]:
    """The placeholders a template shows in backticks or quotes: names and source,
    which are never translated."""
    return frozenset(_QUOTED.findall(template))


def _literal_length(template: str) -> int:
    return len(_FIELD.sub("", template))


@dataclass(frozen=True)
class DiagnosticWords:
    """The fixed words of a rendered diagnostic (`error[FN201]`, `= help:`)."""

    error: str = "error"
    warning: str = "warning"
    note: str = "note"
    help: str = "help"

    def severity(self, value: str) -> str:
        return {"error": self.error, "warning": self.warning, "note": self.note}[value]


ENGLISH = DiagnosticWords()

_LIST_JOINERS = re.compile(r"(?<=`)(, | or | and |, or |, and )(?=`)")
"""Between the backticked items of a list in a captured value (`a`, `b` or `c`)."""


class Localizer:
    """Diagnostic texts of one language: templates compiled once, each distinct text
    translated once (58 000 findings share a few thousand texts)."""

    def __init__(self, tr: Translator, templates: Sequence[str] = TEMPLATES) -> None:
        self.tr = tr
        # The texts come from diagnostic_texts (marked there for extraction).
        error, warning, note, help_, or_, and_ = (tr.pgettext(CONTEXT, w) for w in WORDS)
        self.words = DiagnosticWords(error=error, warning=warning, note=note, help=help_)
        # Most literal text first: `unknown {a}` must not take what a longer template
        # (`unknown stage `{a}``) says more precisely.
        # Each template is filed under its first word when the text before its first
        # placeholder holds a whole word, else under its first character, else (it
        # starts with a placeholder) with the few every text is tried against.
        ordered = sorted(templates, key=_literal_length, reverse=True)
        self._by_word: dict[str, list[tuple[int, re.Pattern[str], str]]] = {}
        self._by_char: dict[str, list[tuple[int, re.Pattern[str], str]]] = {}
        self._wild: list[tuple[int, re.Pattern[str], str]] = []
        for rank, template in enumerate(ordered):
            entry = (rank, compile_template(template), template)
            prefix = template.split("{", 1)[0]
            if " " in prefix:
                self._by_word.setdefault(prefix.split(" ", 1)[0], []).append(entry)
            elif prefix:
                self._by_char.setdefault(prefix[0], []).append(entry)
            else:
                self._wild.append(entry)
        self._merged: dict[tuple[str | None, str], list[tuple[re.Pattern[str], str]]] = {}
        self._done: dict[str, str] = {}
        self._quoted: dict[str, frozenset[str]] = {}
        self._joiners = {", ": ", ", " or ": or_, " and ": and_, ", or ": or_, ", and ": and_}

    def template_of(self, text: str) -> tuple[str, dict[str, str]] | None:
        """The template that makes `text`, and the values it was filled with."""
        for pattern, template in self._candidates(text):
            m = pattern.fullmatch(text)
            if m is not None:
                return template, m.groupdict()
        return None

    def _candidates(self, text: str) -> list[tuple[re.Pattern[str], str]]:
        """The templates that may make `text`, most literal text first."""
        word: str | None = text.split(" ", 1)[0]
        if word not in self._by_word:
            word = None
        key = (word, text[:1])
        found = self._merged.get(key)
        if found is None:
            entries = [*(self._by_word.get(word, ()) if word is not None else ()),
                       *self._by_char.get(text[:1], ()), *self._wild]
            found = self._merged[key] = [(p, t) for _, p, t in sorted(entries)]
        return found

    def templates(self) -> list[str]:
        """Every template, as compiled."""
        entries = [*self._wild, *(e for b in self._by_word.values() for e in b),
                   *(e for b in self._by_char.values() for e in b)]
        return [t for _, _, t in sorted(entries)]

    def text(self, text: str) -> str:
        """`text` in the language; as it is when no template makes it."""
        if not text:
            return text
        done = self._done.get(text)
        if done is None:
            done = self._done[text] = self._translate(text)
        return done

    def _translate(self, text: str) -> str:
        found = self.template_of(text)
        if found is None:
            return text
        template, values = found
        translated = self.tr.pgettext(CONTEXT, template)
        quoted = self._quoted.get(template)
        if quoted is None:
            quoted = self._quoted[template] = quoted_fields(template)
        return translated.format(**{k: v if k in quoted else self._value(v)
                                    for k, v in values.items()})

    def _value(self, value: str) -> str:
        """A captured value: names and source stay, the words between the items of a
        list of names are translated, a phrase a template makes is translated."""
        if not value or value.isdigit():
            return value
        if self.template_of(value) is not None:
            return self.text(value)
        if "`" in value:
            return _LIST_JOINERS.sub(lambda m: self._joiners[m.group(1)], value)
        return value

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        """`d` with its message, labels, notes and help in the language."""
        from ..diagnostics import Label

        text = self.text
        return replace(
            d, message=text(d.message), label=text(d.label),
            secondary=tuple(Label(lb.span, text(lb.message)) for lb in d.secondary),
            notes=tuple(text(n) for n in d.notes),
            help=text(d.help) if d.help is not None else None)

    def summary(self, counts: dict[str, int]) -> str:
        """`2 ошибки, 1 предупреждение`: the closing line of a text report."""
        forms = dict(zip(("error", "warning", "note"), PLURALS))
        parts = []
        for sev in ("error", "warning", "note"):
            n = counts.get(sev, 0)
            if n:
                one, many = forms[sev]
                parts.append(self.tr.npgettext(CONTEXT, one, many, n).format(n=n))
        return ", ".join(parts)

    def files_clean(self, n: int) -> str:
        """`check`'s note when nothing was found."""
        one, many = PLURALS[3]
        return self.tr.npgettext(CONTEXT, one, many, n).format(n=n)


@functools.cache
def localizer(lang: str) -> Localizer:
    """The localizer of `lang` (made once per process)."""
    return Localizer(translator(lang))
