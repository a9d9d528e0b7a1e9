"""The language the client reads: gettext catalogs (`locale/{ru,uk,en}/LC_MESSAGES/
funnelc.po`) and Babel's CLDR data for plural forms, numbers, money, months and dates.

A consultant in Russia or Ukraine hands the playbook, the report and the forecasts to a
client; those outputs follow the account's `language` (ru, uk, en) unless `--lang`
overrides it (`override`). The English text in the source is the msgid: `en.po` only
lists the messages (English needs no translation), `ru.po` and `uk.po` translate them.
Plural forms come from the catalog's `Plural-Forms` header, which Babel writes from
CLDR, so «1 день, 2 дня, 5 дней» and «1 день, 2 дні, 5 днів» need no hand-written
endings.

The `.po` files are read at run time (compiled in memory to the `.mo` form that the
standard `gettext` reads), so an editable install and a wheel behave alike and no build
step is needed. Babel is imported only when a translator is first asked for: `--help`,
`check` and `fmt` never load it. To re-extract the messages after editing a render
module, see `python -m funnelc.i18n --help` (README, "Languages")."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import datetime as _dt
    import gettext as _gettext

    from babel import Locale
    from babel.numbers import NumberPattern

__all__ = ["LANGUAGES", "Lang", "Translator", "translator", "choose", "override", "wide_decimals",
           "set_override", "current_override", "catalog_path", "LOCALE_DIR", "DOMAIN",
           "placeholders", "N_", "C_", "english_marks"]

Lang = Literal["en", "ru", "uk"]
LANGUAGES: tuple[Lang, ...] = ("en", "ru", "uk")
"""The languages with a catalog: an account's `language` is one of them."""

DOMAIN = "funnelc"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_OVERRIDE: ContextVar[str | None] = ContextVar("funnelc_lang_override", default=None)


def catalog_path(lang: str) -> Path:
    """Where the catalog of `lang` lives in the package."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined (a table of labels); it is
    translated where it is shown, with `Translator.gettext`."""
    return message


def C_(context: str, message: str) -> str:
    """Mark a message with a context for extraction; translated with `pgettext`."""
    return message


def set_override(lang: str | None) -> object:
    """Make every client-facing output speak `lang` whatever the account says (`--lang`);
    returns a token for `reset_override`."""
    return _OVERRIDE.set(lang)


def reset_override(token: object) -> None:
    """Undo one `set_override`."""
    _OVERRIDE.reset(token)  # type: ignore[arg-type]


def current_override() -> str | None:
    """The `--lang` of the running command, if it gave one."""
    return _OVERRIDE.get()


@contextmanager
def override(lang: str | None) -> Iterator[None]:
    """`with override("uk"):` — the outputs drawn inside speak `lang`."""
    token = _OVERRIDE.set(lang)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def choose(account_language: str | None) -> Lang:
    """The language of an output: `--lang` if given, else the account's, else English."""
    for lang in (_OVERRIDE.get(), account_language):
        if lang in LANGUAGES:
            return lang
    return "en"


_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")


def placeholders(text: str) -> list[str]:
    """The `{name}` fields of a message, sorted: a translation must keep them all."""
    return sorted(_PLACEHOLDER.findall(text))


@contextmanager
def wide_decimals() -> Iterator[None]:
    """A `decimal` context for Babel's number formatting: it rounds in the current one,
    28 digits, so a figure of 1e28 or more (a deal of 1e18 in a sum, a fitted bound)
    raised InvalidOperation. 400 digits hold every float."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 400
        yield


@functools.cache
def _cldr(lang: str) -> Locale:
    """Babel's locale of `lang`, parsed once: the formatting functions parse a name again
    on every call (a history run formats thousands of numbers)."""
    from babel import Locale

    return Locale.parse(lang)


@functools.cache
def _number_pattern(pattern: str) -> NumberPattern:
    """A CLDR number pattern, parsed once (Babel's format functions take the parsed
    pattern as they take its text, and parse the text on every call)."""
    from babel.numbers import parse_pattern

    return parse_pattern(pattern)


_ENGLISH_QUOTES = str.maketrans({"«": "\u201c", "»": "\u201d"})


def english_marks(template: str) -> str:
    """An English template with English quotation marks: «{stage}» is “{stage}” (see
    `Translator`). For a template, before its names are put in."""
    return template.translate(_ENGLISH_QUOTES)


@dataclass(frozen=True)
class Translator:
    """gettext for one language plus the CLDR formats of that language.

    Messages are `str.format` templates: `tr.gettext("after {offset}").format(offset=...)`,
    `tr.ngettext("{n} day", "{n} days", n).format(n=n)`.

    The English msgids quote a name as the house writes its templates, «{stage}», and
    English has no msgstr (the msgid is the English text): English gets its own marks
    here, “{stage}”, on the template before a name is put in (a name that holds «» keeps
    them). An English account's audit read «New business» «Trial» → «Proposal». A name a
    renderer quotes itself goes through `quote`."""

    lang: Lang
    _catalog: _gettext.NullTranslations

    @property
    def locale(self) -> str:
        """Babel's name of the language (`ru`, `uk`, `en`)."""
        return self.lang

    def _marks(self, text: str) -> str:
        return english_marks(text) if self.lang == "en" else text

    def quote(self, name: object) -> str:
        """`name` in the language's quotation marks: «Trial» in ru and uk, “Trial” in
        English."""
        return f"\u201c{name}\u201d" if self.lang == "en" else f"«{name}»"

    def gettext(self, message: str) -> str:
        """`message` in this language."""
        return self._marks(self._catalog.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of a message for the count `n` (CLDR's plural rule of the language)."""
        return self._marks(self._catalog.ngettext(singular, plural, n))

    def pgettext(self, context: str, message: str) -> str:
        """`message` where the same English words need different translations."""
        return self._marks(self._catalog.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        """`ngettext` with a context (a unit after «через» takes another case)."""
        return self._marks(self._catalog.npgettext(context, singular, plural, n))

    def number(self, value: float, digits: int = 2) -> str:
        """A number as the language writes it (`1 234,5` in ru and uk), up to `digits`
        decimals, trailing zeros dropped."""
        from babel.numbers import format_decimal

        pattern = _number_pattern("#,##0" + ("." + "#" * digits if digits > 0 else ""))
        with wide_decimals():
            return format_decimal(value, format=pattern, locale=_cldr(self.lang))

    def sig(self, x: float | None, digits: int = 3) -> str:
        """A measured figure to `digits` significant digits as the language writes it
        (`12,3`, `1 250`); a missing one is a dash, an endless one ∞ (as numfmt.num)."""
        import math

        if x is None or math.isnan(x):
            return "—"
        if math.isinf(x):
            return "∞"
        if x == 0:
            return "0"
        text = f"{x:.{digits}g}"
        if abs(x) >= 1000 or ("e" in text and abs(x) >= 1):  # whole, not `7,7e+02`
            return self.number(round(x), 0)
        from babel.numbers import get_decimal_symbol

        return text.replace(".", get_decimal_symbol(_cldr(self.lang)))

    def p_value(self, p: float | None) -> str:
        """A p-value as a sentence for a client says it: `p < 0,001` below a thousandth,
        else `p = 0,0043` (two significant figures). A sentence said «p = 8,6e-59»; the
        JSON keeps the exact float, tables `p_cell`. No-break spaces, as between money
        and its sign: a terminal wrapped «(123 сделки, p / < 0,001)» (termtext.plain keeps
        such a run on one line)."""
        if p is None or p != p:
            return "p\u00a0=\u00a0—"
        if p < 0.001:
            return "p\u00a0<\u00a0" + self.number(0.001, 3)
        return "p\u00a0=\u00a0" + self.sig(p, 2)

    def p_cell(self, p: float | None) -> str:
        """A p-value in a table's `p` column, as `p_value` says it without the «p»:
        `< 0,001` below a thousandth, else two significant figures (`0,0043`). Tables
        printed «8,6e-59», «1,2e-06» beside findings saying «p < 0,001»: a client does
        not read scientific notation, and no decision turns on a p below a thousandth
        (the exact float is in the JSON)."""
        if p is None or p != p:
            return "—"
        if p < 0.001:
            return "<\u00a0" + self.number(0.001, 3)
        return self.sig(p, 2)

    def pct(self, fraction: float | None, digits: int = 3) -> str:
        """A measured share (0.354) as a percentage to `digits` significant digits
        (`35,4%`); a sliver is `<0,1%` (as numfmt.pct)."""
        if fraction is None or fraction != fraction:
            return "—"
        if fraction == 0:
            return "0%"
        if 0 < abs(fraction) < 0.001:
            return "<" + self.sig(0.1) + "%"
        return self.sig(fraction * 100, digits) + "%"

    def percent(self, share: float, digits: int = 0) -> str:
        """A share (0.25) as a percentage in the language's style (`25 %` in ru)."""
        from babel.numbers import format_percent

        pattern = _number_pattern("#,##0" + ("." + "#" * digits if digits > 0 else "") + "%")
        with wide_decimals():
            return format_percent(share, format=pattern, locale=_cldr(self.lang))

    def money(self, amount: float, currency: str, compact: bool = False) -> str:
        """Money with its sign where the language puts it: `1 380 000 ₽`, `$1,380,000`,
        `RUB 1,380,000`, or `1,38 млрд ₽` when `compact`. The figure is CLDR's; the sign
        and its place are `numfmt.with_currency`'s, which `numfmt.money_in` (the report,
        simulate, analyze) writes too: the audit wrote English roubles «RUB 1,234,567»
        beside the report's «1.23M ₽», Ukrainian dollars «USD» beside «$». A no-break space
        between a figure and its sign, as between the digit groups: a figure and its
        currency are never on two lines."""
        from babel.numbers import format_compact_decimal, format_decimal

        from ..numfmt import with_currency

        with wide_decimals():
            cldr = _cldr(self.lang)
            figure = (format_compact_decimal(amount, locale=cldr, fraction_digits=2)
                      if compact else format_decimal(amount, format=_number_pattern("#,##0"),
                                                     locale=cldr))
        return with_currency(figure, currency, self.lang)

    def compact(self, x: float) -> str:
        """A large amount in the language's short form (`1,38 млн`, `1.38M`), for money
        whose currency the column already names."""
        from babel.numbers import format_compact_decimal

        with wide_decimals():
            return format_compact_decimal(x, locale=self.locale, fraction_digits=2)

    def month(self, number: int) -> str:
        """The month's name as a word standing alone (January = 1)."""
        from babel.dates import get_month_names

        return str(get_month_names("wide", context="stand-alone", locale=self.locale)[number])

    def month_short(self, number: int) -> str:
        """The month's name abbreviated, standing alone («окт.», «жовт.»), for a plot's
        axis and a month profile's keys (January = 1)."""
        from babel.dates import get_month_names

        return str(get_month_names("abbreviated", context="stand-alone",
                                   locale=self.locale)[number])

    def month_in(self, number: int) -> str:
        """The month's name as it follows «в»/«у» («в декабре» needs the prepositional,
        which CLDR does not have: the catalog gives it)."""
        return self.pgettext("in month", _IN_MONTHS[number - 1])

    def date(self, iso: str) -> str:
        """An ISO date (2026-03-01) in the language's medium form (1 мар. 2026 г.)."""
        from datetime import date

        from babel.dates import format_date

        return format_date(date.fromisoformat(iso), format="medium", locale=self.locale)

    def day(self, day: _dt.date) -> str:
        """A day as a sentence says it, «по состоянию на 30 ноября 2026» («станом на 30
        листопада 2026»): the month's name in the case a day takes (Babel), no «г.»; it
        read «на 2026-11-30». English keeps the ISO date its tables and data use."""
        if self.lang == "en":
            return day.isoformat()
        from babel.dates import format_date

        return format_date(day, "d MMMM y", locale=self.locale)

    def day_short(self, day: _dt.date) -> str:
        """A day under a plot's axis, short but whole: «28 нояб. 2026», «28 лист. 2026»
        (the month abbreviated in the case a day takes, Babel); the forecast's chart read
        «2026-11-28». English keeps the ISO date."""
        if self.lang == "en":
            return day.isoformat()
        from babel.dates import format_date

        return format_date(day, "d\u00a0MMM\u00a0y", locale=self.locale)

    def duration(self, value: float, unit: str, after: bool = False) -> str:
        """A duration in words: `2 дня`, `15 минут`; `after` gives the form that follows
        «через» (`через 1 минуту`, not `1 минута`). `unit` is second, minute, hour, day or
        week; a fraction that is a whole number of a smaller unit is said in that unit
        (1.5 days: 36 hours), any other fraction takes CLDR's form for fractions
        (`1,25 часа`)."""
        value, unit = _whole(value, unit)
        if not float(value).is_integer():
            from babel.units import format_unit

            return format_unit(value, f"duration-{unit}", length="long", locale=self.locale)
        n = int(value)
        return self._unit_words(unit, n, after).format(n=self.number(n))

    def duration_range(self, lo: float, hi: float, unit: str, after: bool = False) -> str:
        """`1–5 дней`: one unit word, in the form of the upper bound, when both bounds are
        whole numbers of `unit`; else both in full (`2 часа – 3 дня`)."""
        if float(lo).is_integer() and float(hi).is_integer():
            span = f"{self.number(lo)}–{self.number(hi)}"
            return self._unit_words(unit, int(hi), after).format(n=span)
        return f"{self.duration(lo, unit, after)} – {self.duration(hi, unit, after)}"

    def _unit_words(self, unit: str, n: int, after: bool) -> str:
        if after:
            words = {
                "second": self.npgettext("after", "{n} second", "{n} seconds", n),
                "minute": self.npgettext("after", "{n} minute", "{n} minutes", n),
                "hour": self.npgettext("after", "{n} hour", "{n} hours", n),
                "day": self.npgettext("after", "{n} day", "{n} days", n),
                "week": self.npgettext("after", "{n} week", "{n} weeks", n),
            }
        else:
            words = {
                "second": self.ngettext("{n} second", "{n} seconds", n),
                "minute": self.ngettext("{n} minute", "{n} minutes", n),
                "hour": self.ngettext("{n} hour", "{n} hours", n),
                "day": self.ngettext("{n} day", "{n} days", n),
                "week": self.ngettext("{n} week", "{n} weeks", n),
            }
        return words[unit]

    def hours(self, h: float | None) -> str:
        """A time counted in hours, in the unit a person would say: minutes under an
        hour, hours under two days, then days (`36 часов`, `3,5 дня`)."""
        if h is None or h != h:
            return "—"
        if h == float("inf"):
            return "∞"
        if h < 1.0:
            return self.duration(round(h * 60), "minute")
        if h < 48.0:
            return self.duration(round(h, 1), "hour")
        return self.duration(round(h / 24.0, 1), "day")

    def join(self, items: list[str]) -> str:
        """`a, b and c` in the language (CLDR list patterns)."""
        from babel.lists import format_list

        return format_list(items, locale=self.locale) if items else ""


_IN_MONTHS = (C_("in month", "January"), C_("in month", "February"),
              C_("in month", "March"), C_("in month", "April"), C_("in month", "May"),
              C_("in month", "June"), C_("in month", "July"), C_("in month", "August"),
              C_("in month", "September"), C_("in month", "October"),
              C_("in month", "November"), C_("in month", "December"))
"""The months after «в»/«у», marked for extraction (the catalog holds the case)."""


_SMALLER = {"week": ("day", 7), "day": ("hour", 24), "hour": ("minute", 60),
            "minute": ("second", 60)}


def _whole(value: float, unit: str) -> tuple[float, str]:
    """`value` in `unit`, or in the next smaller unit when it is a whole number there and
    under two of `unit` (1.5 days: 36 hours); as it is otherwise. One step only, and not
    from two on: a measured 19.2 hours is `19,2 часа`, not `1 152 минуты`, and 57.5 days
    `57,5 дня`, not `1 380 часов` (history's time-in-stage table said so: almost every
    figure rounded to a tenth is a whole number of the smaller unit)."""
    if float(value).is_integer() or unit not in _SMALLER or abs(value) >= 2:
        return value, unit
    at, factor = _SMALLER[unit]
    scaled = round(value * factor, 9)
    return (scaled, at) if float(scaled).is_integer() else (value, unit)


@functools.cache
def translator(lang: str | None) -> Translator:
    """The translator of `lang` (English for None or a language without a catalog)."""
    import gettext

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    code: Lang = lang if lang in LANGUAGES else "en"
    with catalog_path(code).open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translator(code, gettext.GNUTranslations(buf))


def main(argv: list[str] | None = None) -> int:
    """`python -m funnelc.i18n extract|table`: keep the catalogs and docs/messages.md in
    step with the source (see README, "Languages")."""
    import sys

    from . import catalogs

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["extract"]:
        report = catalogs.update_catalogs()
        print(report)
        return 0
    if args[:1] == ["table"]:
        out = Path(args[1]) if len(args) > 1 else None
        text = catalogs.messages_table()
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
        return 0
    print("usage: python -m funnelc.i18n extract | table [docs/messages.md]\n"
          "  extract  re-extract the messages from the source into the three catalogs\n"
          "           (new messages are added untranslated, gone ones removed)\n"
          "  table    write the review table of every message in ru, uk, en")
    return 2 if args and args[0] not in ("-h", "--help") else 0
