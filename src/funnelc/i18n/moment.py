"""A local moment (a day and its clock time) as a client's sentence says it: «31 октября
2026 14:55» in Russian, «31 жовтня 2026 14:55» in Ukrainian (`Translator.day` and the
time), `2026-10-31 14:55` in English, as its tables and data write moments.

`Moment` is that moment as a figure of a `Note`: a note's field that is a `Note` is said
in the note's language, so the back-test's «no deal entered the funnel after {last}»
says its moment in words in Russian and Ukrainian and keeps the ISO text in English
and in the JSON (it read «после 2026-10-31 14:55» beside the forecast's «после 31
октября 2026 14:55»)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from .note import Note

if TYPE_CHECKING:
    from . import Translator

__all__ = ["Moment", "moment"]


def moment(tr: Translator, at: datetime) -> str:
    """`at` (already in the zone the sentence names) as `tr`'s language says it."""
    return f"{tr.day(at.date())} {at:%H:%M}"


def _restore(at: datetime) -> Moment:
    return Moment(at)


class Moment(Note):
    """`Moment(at)`: the English text is `at` as `YYYY-MM-DD HH:MM`; `say` gives the
    language's words."""

    at: datetime

    def __new__(cls, at: datetime) -> Moment:
        self = cast("Moment", super().__new__(cls, f"{at:%Y-%m-%d %H:%M}"))
        self.at = at
        return self

    def __reduce__(self) -> tuple[Callable[[datetime], Moment], tuple[datetime]]:  # type: ignore[override]
        # Pickled into worker processes as the moment, not as a note without figures.
        return _restore, (self.at,)

    def say(self, tr: Translator, label: Callable[[str], str] | None = None,
            hours: Callable[[float], str] | None = None) -> str:
        return moment(tr, self.at)
