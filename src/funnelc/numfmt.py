"""Numbers as a person reads them: `40m`, `5.2h`, `3.1d`, `12%`, `1,250`, `3.4M`, and an
estimate as `mean ±half-width`. One module for analyze's and the simulator's terminal
tables, the what-if tables, the report, history's tables and the exports' labels, so
they cannot drift apart. (Numbers written back as funnel text or CSV cells, exact rather
than for reading, are formatted where they are written: `whatif.grid`, `whatif.sweep`,
`history.apply_fit`.) Pure functions,
no imports beyond math: any command may use it without paying for numpy. The one
exception is a currency's sign and its place (`currency_mark`), which come from Babel's
CLDR data, imported the first time money is written with a currency: `Translator.money`
writes its signs through the same function, so a report and an audit of one account
cannot write one currency two ways."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol

__all__ = ["DASH", "Estimate", "count_words", "counted", "missing", "num", "hours", "pct", "pct_fixed", "pct_rounded",
           "percent", "money", "money_in", "money_pm", "currency_sign", "currency_mark",
           "with_currency", "est", "est_hours",
           "est_pct", "est_money", "hours_like", "ends", "between", "low_end", "Limits", "COUNT", "SHARE", "BUSY",
           "SIGNED"]

DASH = "—"

P = ParamSpec("P")


class Estimate(Protocol):
    """What the `est*` formats read of an estimate: its mean and the half-width of its
    95 % CI. A protocol rather than `sim.results.Estimate` itself, so this core module
    does not reach up into the simulator (the layers contract in pyproject.toml)."""

    @property
    def mean(self) -> float | None: ...

    @property
    def ci95(self) -> float | None: ...


def missing(x: float | None) -> bool:
    """None and NaN both print as a dash: a figure that could not be measured."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _finite(fmt: Callable[Concatenate[float, P], str]
            ) -> Callable[Concatenate[float | None, P], str]:
    """Every format prints a missing figure as a dash and an infinite one (an endless
    wait, a load nobody serves) as ∞; the formats themselves see finite numbers only."""

    @functools.wraps(fmt)
    def guarded(x: float | None, /, *args: P.args, **kwargs: P.kwargs) -> str:
        if missing(x):
            return DASH
        assert x is not None
        if math.isinf(x):
            return "∞"
        return fmt(x, *args, **kwargs)

    return guarded


@_finite
def num(x: float, digits: int = 3) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


INSTANT_H = 0.5 / 3600
"""A duration under half a second is said as 0: a delay fitted to nothing (a gamma's
mean of 6.55e-20 min beside «no delay») read as a figure to the client."""


@_finite
def hours(h: float) -> str:
    if abs(h) < INSTANT_H:
        return "0m"
    if h < 1.0:
        return f"{h * 60:.3g}m"
    if h < 48.0:
        return f"{h:.3g}h"
    return f"{h / 24:.3g}d"


@_finite
def hours_like(h: float, like: float) -> str:
    """`h` in the unit `hours` picks for `like` (a half-width beside its mean: `6.07d
    ±0.003d`, not `6.07d ±4.32m`), so a reader compares the two without converting."""
    a = abs(like)
    if a < 1.0:
        return f"{h * 60:.3g}m"
    if a < 48.0:
        return f"{h:.3g}h"
    return f"{h / 24:.3g}d"


@_finite
def pct(fraction: float, digits: int = 3) -> str:
    """A fraction (0.35) as a percentage (35%)."""
    if fraction == 0:
        return "0%"
    if 0 < abs(fraction) < 0.001:
        return "<0.1%"
    return f"{fraction * 100:.{digits}g}%"


@_finite
def pct_fixed(fraction: float) -> str:
    """A fraction with one fixed decimal (0.35 -> `35.0%`): analyze's tables, where the
    column lines up on the point; zero stays `0%` and a positive sliver `<0.1%`."""
    if fraction == 0:
        return "0%"
    if 0 < fraction < 0.001:
        return "<0.1%"
    return f"{fraction * 100:.1f}%"


@_finite
def pct_rounded(fraction: float) -> str:
    """A share of deals as a label (0.125 -> `12.5%`, 0.35 -> `35%`): rounded to one
    decimal, no trailing zero. The exports (playbook, diagrams) write route shares so."""
    return f"{round(fraction * 100, 1):g}%"


@_finite
def percent(value: float, decimals: int = 2) -> str:
    """A figure already in percent, with fixed decimals (35.254 -> `35.25%`): history's
    tables, whose analytics compute percentages, not fractions."""
    return f"{value:.{decimals}f}%"


def _sig3(x: float) -> str:
    """Three significant digits without scientific notation: 999.5 rounds to `1000`
    where `.3g` writes `1e+03`; a sliver under a thousandth is `0`."""
    text = f"{x:.3g}"
    if "e" not in text:
        return text
    return f"{x:.0f}" if abs(x) >= 1 else "0"


def count_words(x: float) -> str:
    """A large count in words, as the simulation budget's refusals write it: `2.5
    million`, `1.2 billion`, `87 600`, `unbounded`."""
    if math.isinf(x):
        return "unbounded"
    if x >= 1e9:
        return f"{x / 1e9:.3g} billion"
    if x >= 1e6:
        return f"{x / 1e6:.3g} million"
    return f"{round(x):,}".replace(",", " ")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 pipeline`, `2 pipelines`, `1,250 stages`: a count with its noun agreeing, for
    the English status lines and diagnostics (which said `2 stage(s)`)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


@_finite
def money(x: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{_sig3(x / div)}{suffix}"
    return _sig3(x)


_SIGNS = {"RUB": "₽", "RUR": "₽", "USD": "$", "EUR": "€", "GBP": "£", "UAH": "₴", "KZT": "₸",
          "CNY": "¥", "BYN": "Br"}
"""The narrow signs, for a currency the language's CLDR data gives no symbol of its own
(Ukrainian has none for the rouble: the team writes ₽ there)."""
_WORDS = {"ru": ((1e9, "млрд"), (1e6, "млн"), (1e3, "тыс.")),
          "uk": ((1e9, "млрд"), (1e6, "млн"), (1e3, "тис."))}
NBSP = "\u00a0"
"""Between a figure, its scale word and its sign: an amount never ends a line half-way
(the clinic's report cut «2 × 45 | тис. ₴» in a cell, `simulate` «22 тис. | ₴/міс.»)."""


@functools.cache
def currency_mark(currency: str, language: str | None = None) -> tuple[str, bool]:
    """How `language` writes `currency`: its sign and whether the sign comes before the
    figure. The one convention of every money formatter (`money_in`, `money_pm`,
    `Translator.money`): CLDR's symbol for the language and CLDR's place for it («₽» and
    «$» after the figure in Russian, «₴», «USD» and «EUR» after it in Ukrainian, «$», «€»,
    «RUB» and «UAH» before it in English); where the language's CLDR data has no symbol,
    the narrow sign (Ukrainian «₽»), else the code. The report and analyze wrote English
    roubles «1.23M ₽» and Ukrainian dollars «1,23 млн $» while the audit and history wrote
    «RUB 1,234,567» and «1 234 567 USD» for the same account. A language funnelc has no
    catalog for reads as English."""
    from babel import Locale

    locale = Locale.parse(language if language in ("ru", "uk") else "en")
    code = currency.upper()
    sign = locale.currency_symbols.get(code) or _SIGNS.get(code, currency)
    return sign, locale.currency_formats["standard"].pattern.lstrip("-").startswith("¤")


def currency_sign(currency: str | None, language: str | None = None) -> str:
    """The sign `language`'s readers know for `currency` (RUB -> ₽ in Russian, RUB in
    English), as `currency_mark` gives it."""
    if not currency:
        return ""
    return currency_mark(currency, language)[0]


def with_currency(figure: str, currency: str | None, language: str | None = None) -> str:
    """A written figure (`1,23\u00a0млн`, `1.23M`, `-434`) with `currency`'s sign where
    `language` puts it (`currency_mark`): `1,23 млн ₽`, `$1.23M`, `-$434`, `RUB 1.23M`. A
    no-break space joins a sign after the figure, and a sign of letters before it (CLDR's
    currency spacing, which Babel does not apply: «RUB1.23M»); a figure's minus stays
    in front. No currency, the figure alone."""
    if not currency:
        return figure
    sign, before = currency_mark(currency, language)
    if not before:
        return f"{figure}{NBSP}{sign}"
    minus = figure[:1] if figure[:1] in ("-", "\u2212") else ""
    gap = NBSP if sign[-1:].isalpha() else ""
    return f"{minus}{sign}{gap}{figure[len(minus):]}"


@_finite
def money_in(x: float, currency: str | None = None, language: str | None = None) -> str:
    """Money as the account's readers write it: `1,38 млрд ₽` in Russian (`тыс.`, `млн`,
    `млрд`; Ukrainian `тис.`), `$1.38B` or `RUB 1.38B` otherwise; three significant
    digits, as `money`. The sign as `with_currency` puts it, as in `Translator.money`;
    its spaces do not break (`NBSP`)."""
    words = _WORDS.get(language or "")
    if words is not None:  # Russian and Ukrainian write a decimal comma: `1,38 млрд ₽`
        body = next((f"{_sig3(x / div).replace('.', ',')}{NBSP}{word}" for div, word in words
                     if abs(x) >= div), _sig3(x).replace(".", ","))
        return with_currency(body, currency, language)
    return with_currency(money(x), currency, language)


def money_pm(mean: float, half: float, currency: str | None = None,
             language: str | None = None, low: float | None = 0.0) -> str:
    """A money estimate written once in the mean's scale: `202 ±126 млн ₽`, `5,54 ±5,15 млн ₽` (Russian and
    Ukrainian, where the scale word and sign would otherwise come twice and wrap the
    cell; one unbreakable run, so a mean never ends a line without its scale); other
    languages `$202M ±$126M` as `money_in` writes each. When `mean - half` falls below
    `low` (an amount is never negative; `None` for a signed one, such as profit), the
    interval's ends instead: `$500 [$0–$6.85k]`, `5,54 [0–10,7] млн ₽` (`ends`). The
    scale is that of the largest figure written: `-0,396 ±2 млн ₽`, `0,5 [0–6,85] тыс. ₽`."""
    words = _WORDS.get(language or "")
    cut = ends(mean, half, low, None) if math.isfinite(mean) and math.isfinite(half) else None
    if words is None or not (math.isfinite(mean) and math.isfinite(half)):
        if cut is not None:
            return between(money_in(mean, currency, language),
                           low_end(cut[0], lambda x: money_in(x, currency, language)),
                           money_in(cut[1], currency, language))
        return f"{money_in(mean, currency, language)} ±{money_in(half, currency, language)}"
    # The scale of the largest figure written, not the mean's alone: a difference near 0
    # with a wide interval read «-396 ±1999 тыс. ₽» and «5 ±2000000 ₽» (digits ungrouped,
    # past the next scale word); now «-0,396 ±2 млн ₽», «0 ±2 млн ₽».
    size = max(abs(mean), *(abs(x) for x in cut)) if cut is not None else max(abs(mean), half)
    div, word = next(((d, w) for d, w in words if size >= d), (1.0, ""))
    if cut is not None:
        body = between(_plain(mean / div), _plain(cut[0] / div), _plain(cut[1] / div),
                       NBSP).replace(".", ",")
    else:
        body = f"{_plain(mean / div)}{NBSP}±{_plain(half / div)}".replace(".", ",")
    return with_currency(NBSP.join(p for p in (body, word) if p), currency, language)


def _plain(x: float) -> str:
    """Three significant digits, never in scientific notation (`126`, `1260`, `0.29`)."""
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) < 0.0005:
        return "0"
    return f"{x:.3g}"


def est_money(e: Estimate | None, currency: str | None = None,
              language: str | None = None) -> str:
    """A money estimate: `20.4 млн ₽ ±2.55 млн ₽`."""
    return est(e, lambda x: money_in(x, currency, language))


Limits = tuple[float | None, float | None]
"""A figure's natural limits (low, high), `None` where it has none."""
COUNT: Limits = (0.0, None)
"""Deals, durations, money, a queue: never below 0."""
SHARE: Limits = (0.0, 1.0)
"""A fraction of deals: never above 100 %."""
BUSY: Limits = (0.0, None)
"""A team's utilization, busy over working member-hours: it counts the work members
finish after closing, so a team busy every working hour reads a little over 100 %
(cottages' «Менеджеры»: 101 %). Held at 0 only: held at 100 % it read «101% [101%–100%]»."""
SIGNED: Limits = (None, None)
"""A difference, a profit, a growth: any sign."""


def ends(mean: float, half: float, low: float | None = 0.0, high: float | None = None
         ) -> tuple[float, float] | None:
    """The ends of the 95 % CI `mean ± half`, held at the figure's natural limits, when the
    symmetric Student-t interval crosses one of them; None when it does not (then
    `mean ±half` reads right). Few replications or a figure near its limit give such an
    interval (t is 12.7 with 2 replications): «6 ±25.4» deals told a client that −19
    deals might have entered, and «1.35% ±17» a share below zero. The clipped interval
    is what the data allow (it holds the same values of the figure), so it is printed
    as its ends (`between`). A limit the mean itself passes is not the figure's (the
    figure can pass it) and holds nothing: the ends always hold the mean."""
    lo, hi = mean - half, mean + half
    cut = False
    if low is not None and lo < low <= mean:
        lo, cut = low, True
    if high is not None and mean <= high < hi:
        hi, cut = high, True
    return (lo, hi) if cut else None


def between(mean: str, lo: str, hi: str, space: str = " ") -> str:
    """A mean and the ends of its interval: `6 [0–31.4]`, `1.35% [0–18.4%]`."""
    return f"{mean}{space}[{lo}–{hi}]"


def est(e: Estimate | None, fmt: Callable[[float | None], str] = num, scale: float = 1.0,
        limits: Limits = COUNT) -> str:
    """`mean ±half-width` (the half-width of the 95 % CI) or just the mean; the interval's
    ends (`6 [0–31.4]`) when it crosses one of `limits` (in the figure's stored units)."""
    if e is None or e.mean is None:
        return DASH
    if e.ci95 is None or e.ci95 == 0:
        return fmt(e.mean * scale)
    cut = ends(e.mean, e.ci95, *limits)
    if cut is not None:
        return between(fmt(e.mean * scale), low_end(cut[0] * scale, fmt), fmt(cut[1] * scale))
    return f"{fmt(e.mean * scale)} ±{fmt(e.ci95 * scale)}"


def est_hours(e: Estimate | None) -> str:
    return est(e, hours)


def est_pct(e: Estimate | None, limits: Limits = SHARE) -> str:
    """A fraction estimate as percentages: `35.4% ±2.1` (the half-width in percentage
    points), or the ends `1.35% [0–18.4%]` when the interval leaves `limits` (0 to 100 %
    for a share of deals; `BUSY`, 0 only, for a team's utilization)."""
    if e is None or e.mean is None:
        return DASH
    if e.ci95 is None or e.ci95 == 0:
        return pct(e.mean)
    cut = ends(e.mean, e.ci95, *limits)
    if cut is not None:
        return between(pct(e.mean), low_end(cut[0], pct), pct(cut[1]))
    return f"{pct(e.mean)} ±{e.ci95 * 100:.2g}"


def low_end(x: float, show: Callable[[float], str]) -> str:
    """The low end of an interval: `0` bare (`[0–18.4%]`, `[0–0.736m]`, `[0–$6.85k]`)."""
    return "0" if x == 0 else show(x)
