"""A note of `fit` (what the writer kept, changed or left out; what the fit could not
trust) as its message template and figures. It is the English sentence itself (a `str`,
so JSON and every reader of the notes see the text they always saw), and it also keeps
the template and the figures, so `fit_report` says it in the output's language from the
catalogs (`Note.say`) instead of translating a finished sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..i18n import Translator

__all__ = ["Note", "say"]

Value = str | int


def _restore(template: str, fields: dict[str, Value]) -> Note:
    return Note(template, **fields)


class Note(str):
    """`Note(N_("{where}: {count} moves {label}…"), where=…, count=…, label=…)`."""

    template: str
    fields: dict[str, Value]

    def __new__(cls, template: str, **fields: Value) -> Note:
        self = super().__new__(cls, template.format(**fields))
        self.template = template
        self.fields = dict(fields)
        return self

    def __reduce__(self) -> tuple[Callable[[str, dict[str, Value]], Note],
                                  tuple[str, dict[str, Value]]]:
        # Pickled into the back-test's worker processes with its template and figures.
        return _restore, (self.template, self.fields)

    def say(self, tr: Translator, label: Callable[[str], str] | None = None) -> str:
        """The note in `tr`'s language; `label` rewrites the fields that are ways out
        (`label`, `target`) as the language's route words."""
        fields = dict(self.fields)
        if label is not None:
            for key in ("label",):
                if isinstance(fields.get(key), str):
                    fields[key] = label(str(fields[key]))
        return tr.gettext(self.template).format(**fields)


def say(note: str, tr: Translator, label: Callable[[str], str] | None = None) -> str:
    """`note` in `tr`'s language when it is a `Note`; as it is otherwise (a note built
    elsewhere as plain text)."""
    return note.say(tr, label) if isinstance(note, Note) else note
