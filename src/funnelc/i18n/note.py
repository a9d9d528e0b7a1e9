"""A note for the client (what `fit`'s writer kept, changed or left out; what the fit
could not trust; where the exact maths' assumptions do not hold) as its message
template and figures. It is the English sentence itself (a `str`, so JSON and every
reader of the notes see the text they always saw), and it also keeps the template and
the figures, so a render (`fit_report`, the report's page) says it in the output's
language from the catalogs (`say`) instead of translating a finished sentence.

Figures whose name ends in `_hours` are durations in hours (written `2.1d` in English,
by the render's own unit words elsewhere), and those ending in `calendar_hours` are said
in Russian and Ukrainian as calendar time in words («3,64 календарного дня»); figures
ending in `_count` are large counts (`5.2 million`, `520 000`; `5,2 млн` in Russian); a
float figure ending in `_share` is a share (0.037: `3.7%` as the funnel file writes it,
`3,7%` in Ukrainian), and one ending in `_pct` a measured share, written to three
significant digits as the tables write shares (0.00448: `0.448%`, `0,448%`), so a note
under a table says the figure of its cell; a tuple of month keys whose name ends in
`_months` is said with the language's month names (`nov`: «ноябрь», «листопад»;
`2026-11`: «ноябрь 2026»), and so is a month (`2026-11`) whose name ends in `_month`; a day (`2026-06-16`) whose name
ends in `_day` is said as the language says a day («16 июня 2026»; English keeps ISO); a
field that is a `Note` is said in the language too; a tuple is a list of notes or names,
joined with `; ` (`, ` when its name ends in `_list`), each note said in the language;
any other whole number is a count, grouped as the language groups it (`1,312`,
`1 312`)."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import numfmt

if TYPE_CHECKING:
    from . import Translator

__all__ = ["Note", "WorkingLimit", "say", "_n"]

Value = str | int | float | tuple[str, ...]


class WorkingLimit(str):
    """A limit as the file writes it (`16h`, `21d`: English keeps that text) that also
    knows the working hours it counts, so Russian and Ukrainian say it in their own
    units (`16 роб. год`, `504 роб. год`): `16h` is the file's English, and `21d` of a
    calendar is 504 working hours, not 21 days."""

    hours: float

    def __new__(cls, text: str, hours: float) -> WorkingLimit:
        self = super().__new__(cls, text)
        self.hours = hours
        return self

    def __reduce__(self) -> tuple[type[WorkingLimit], tuple[str, float]]:
        return WorkingLimit, (str(self), self.hours)


def _restore(template: str, plural: str | None, fields: dict[str, Value]) -> Note:
    return Note(template, plural, **fields)


def _n(singular: str, plural: str, n: int, **fields: Value) -> Note:
    """A note whose words agree with the count `n` (CLDR plural forms in the catalogs;
    marked for extraction as `ngettext`)."""
    return Note(singular, plural, n=n, **fields)


def _english(key: str, value: Value) -> object:
    if key.endswith("_hours") and isinstance(value, float | int):
        return numfmt.hours(float(value))
    if key.endswith("_count") and isinstance(value, float | int):
        return numfmt.count_words(float(value))
    if key.endswith("_share") and isinstance(value, float):
        return numfmt.pct_rounded(value)
    if key.endswith("_pct") and isinstance(value, float):
        return numfmt.pct(value)
    if isinstance(value, tuple):
        return _sep(key).join(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"  # 1,312 as the rest of the English text writes counts
    return value


def _sep(key: str) -> str:
    return ", " if key.endswith(("_list", "_months")) else "; "


def _month_name(key: str, tr: Translator) -> str:
    """A month of the funnel language (`nov`) as the language names it standing alone
    («ноябрь», «листопад»): the form a template puts after «за»; a month of the history
    (`2026-11`) likewise, with its year («ноябрь 2026»: a sentence read «2026-11»)."""
    year, _dash, number = key.partition("-")
    if year.isdigit() and number.isdigit() and 1 <= int(number) <= 12:
        return f"{tr.month(int(number))}\u00a0{year}"
    from ..model import MONTHS  # the funnel language's month keys

    if key not in MONTHS:
        return key
    return tr.month(MONTHS.index(key) + 1)


class _Decimal(float):
    """A figure that keeps the template's format (`{share:.1%}`) but writes the decimal
    comma of Russian and Ukrainian (`1,7%`, not `1.7%`)."""

    def __format__(self, spec: str) -> str:
        return format(float(self), spec).replace(".", ",")

    def __str__(self) -> str:
        return format(self, "")


class Note(str):
    """`Note(N_("{where}: {count} moves {label}…"), where=…, count=…, label=…)`; a note
    whose words agree with a count is made with `_n`."""

    template: str
    fields: dict[str, Value]
    plural: str | None = None
    """The plural template (`_n`), chosen by the count `n` in `fields`."""

    def __new__(cls, template: str, plural: str | None = None, **fields: Value) -> Note:
        from . import english_marks

        # English quotes a name “so”, as the English `say` does (the template has «»).
        english = english_marks(template if plural is None or fields.get("n") == 1 else plural)
        self = super().__new__(cls, english.format(
            **{k: _english(k, v) for k, v in fields.items()}))
        self.template = template
        self.plural = plural
        self.fields = dict(fields)
        return self

    def __reduce__(self) -> tuple[Callable[[str, str | None, dict[str, Value]], Note],
                                  tuple[str, str | None, dict[str, Value]]]:
        # Pickled into worker processes with its template and figures.
        return _restore, (self.template, self.plural, self.fields)

    def say(self, tr: Translator, label: Callable[[str], str] | None = None,
            hours: Callable[[float], str] | None = None) -> str:
        """The note in `tr`'s language; `label` rewrites the fields that are ways out
        (`label`) as the language's route words, `hours` writes durations."""
        fields: dict[str, object] = {}
        for key, value in self.fields.items():
            if isinstance(value, WorkingLimit) and tr.lang != "en":
                from .figures import Figures

                fields[key] = Figures(tr).limit(value.hours, working=True)
            elif (key.endswith("calendar_hours") and isinstance(value, float | int)
                  and tr.lang != "en"):
                from .figures import Figures

                fields[key] = Figures(tr).calendar(float(value))
            elif key == "label" and label is not None and isinstance(value, str):
                fields[key] = label(value)
            elif key.endswith("_hours") and hours is not None and isinstance(value, float | int):
                fields[key] = hours(float(value))
            elif key.endswith("_hours") and isinstance(value, float | int) and tr.lang != "en":
                fields[key] = tr.hours(float(value))
            elif key.endswith("_months") and isinstance(value, tuple) and tr.lang != "en":
                fields[key] = ", ".join(_month_name(v, tr) for v in value)
            elif key.endswith("_month") and isinstance(value, str) and tr.lang != "en":
                fields[key] = _month_name(value, tr)
            elif key.endswith("_day") and isinstance(value, str) and tr.lang != "en":
                fields[key] = tr.day(_dt.date.fromisoformat(value))
            elif isinstance(value, tuple):
                fields[key] = _sep(key).join(say(v, tr, label, hours) for v in value)
            elif isinstance(value, Note):
                fields[key] = value.say(tr, label, hours)
            elif key.endswith("_count") and isinstance(value, float | int) and tr.lang != "en":
                x = float(value)
                fields[key] = (tr.gettext("unbounded") if math.isinf(x) else tr.compact(x)
                               if x >= 1e6 else tr.number(round(x)))
            elif key.endswith("_share") and isinstance(value, float) and tr.lang != "en":
                fields[key] = tr.percent(value, 1)
            elif key.endswith("_pct") and isinstance(value, float) and tr.lang != "en":
                fields[key] = tr.pct(value)
            elif isinstance(value, float) and tr.lang != "en":
                fields[key] = _Decimal(value)
            elif isinstance(value, int) and not isinstance(value, bool) and tr.lang != "en":
                fields[key] = tr.number(value, 0)  # «1 312», as the tables write counts
            else:
                fields[key] = _english(key, value)
        if self.plural is not None:
            count = self.fields.get("n")
            text = tr.ngettext(self.template, self.plural, count if isinstance(count, int) else 0)
        else:
            text = tr.gettext(self.template)
        return text.format(**fields)


def say(note: str, tr: Translator, label: Callable[[str], str] | None = None,
        hours: Callable[[float], str] | None = None) -> str:
    """`note` in `tr`'s language when it is a `Note`; as it is otherwise (a note built
    elsewhere as plain text)."""
    return note.say(tr, label, hours) if isinstance(note, Note) else note
