"""Months of the history (`2026-10`) as the client's language says them, for the
back-test's and the forecast's text: standing alone or after «за» («октябрь 2026»,
«сентябрь–октябрь 2026»), after «в»/«у» («в октябре 2026», «у жовтні 2026») and short
under a plot's axis («окт. 2026»). The audit's own phrases (`audit_render._Fmt`) do the
words, so every report names a month alike. English keeps ISO months, as the JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .periods import label

if TYPE_CHECKING:
    from ..i18n import Translator

__all__ = ["said", "said_in", "tick"]


def said(months: list[str], tr: Translator) -> str:
    """Consecutive months as the language names them standing alone, the form that
    follows «за» or fills a table cell: «июль 2026», «сентябрь–октябрь 2026»,
    «листопад 2026 – січень 2027» (the audit's periods, `audit_render._Fmt.period`).
    A client read «подобрано по данным за 2026-07» and «в 2026-10»; English keeps
    `span`'s ISO months, as its JSON text does."""
    if not months:
        return ""
    if tr.lang == "en":
        return months[0] if len(months) == 1 else f"{months[0]} – {months[-1]}"
    from .audit_render import _Fmt

    return _Fmt(tr).period(label(months), named=True, after_in=False)


def said_in(month: str, tr: Translator) -> str:
    """One month as it follows the template's «в»/«у»: «октябре 2026» («в октябре
    2026», «у жовтні 2026»); English keeps the ISO month."""
    if tr.lang == "en":
        return month
    from .audit_render import _Fmt

    return _Fmt(tr).month(month, named=True)


def tick(month: str, tr: Translator) -> str:
    """A month under a plot's axis, short but whole: «окт. 2026», «жовт. 2026»; English
    keeps `2026-10` («26-07» read as the 26th of July)."""
    year, _sep, number = month.partition("-")
    if tr.lang == "en" or not (year.isdigit() and number.isdigit()):
        return month
    return f"{tr.month_short(int(number))}\u00a0{year}"

