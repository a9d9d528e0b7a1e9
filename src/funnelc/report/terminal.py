"""What `funnelc report` prints once the files are written, besides the headline: the
money the page shows (revenue won over the observed days, and the exact maths' expected
revenue and profit per month), in the account's language (`--lang` overrides)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n import choose, translator
from ..numfmt import est_money, money_in

if TYPE_CHECKING:
    from .data import ReportData

__all__ = ["money_line", "written_line", "simulating_line", "drawing_line", "whatif_line",
           "wrote_line"]


def written_line(language: str | None, n: int, folder: str) -> str:
    """`wrote 11 files to DIR:`, the line above the list of files."""
    tr = translator(choose(language))
    return tr.ngettext("wrote {n} file to {folder}:", "wrote {n} files to {folder}:",
                       n).format(n=n, folder=folder)


def simulating_line(language: str | None, reps: int, days: int, warmup: int, path: str,
                    scenario: str | None) -> str:
    """The progress line before the run: `simulating 2 replications × 40 days (30 warm-up)
    of FILE`."""
    tr = translator(choose(language))
    # English keeps its bare numbers (`40 days (30 warm-up)`); the other languages say the
    # days with their own plural forms, so their templates carry no word for days.
    days_text = str(days) if tr.lang == "en" else tr.duration(days, "day")
    warmup_text = str(warmup) if tr.lang == "en" else tr.duration(warmup, "day")
    line = tr.ngettext("simulating {reps} replication × {days} days ({warmup} warm-up) of {path}",
                       "simulating {reps} replications × {days} days ({warmup} warm-up) of "
                       "{path}", reps).format(reps=reps, days=days_text, warmup=warmup_text,
                                              path=path)
    if scenario:
        line += tr.gettext(", scenario {scenario}").format(scenario=scenario)
    return line


def drawing_line(language: str | None) -> str:
    """The progress line between the run and the files."""
    return translator(choose(language)).gettext("drawing the plots and writing the report")


def whatif_line(language: str | None, n: int) -> str:
    """The progress line before the what-if section's runs."""
    return translator(choose(language)).ngettext(
        "simulating {n} scenario for the what-if", "simulating {n} scenarios for the what-if",
        n).format(n=n)


def wrote_line(language: str | None, n: int, folder: str) -> str:
    """`wrote 11 files to DIR` on stderr, when stdout carries the JSON summary."""
    return translator(choose(language)).ngettext(
        "wrote {n} file to {folder}", "wrote {n} files to {folder}", n).format(n=n, folder=folder)


def money_line(data: ReportData) -> str | None:
    """The report's money in one line; None when the file prices nothing (no `value`,
    cost or budget) and the run won nothing."""
    tr = translator(choose(data.language))
    lang = tr.lang
    result, exact = data.result, data.exact
    currency = result.account.currency
    won = result.account.revenue_won
    expected = exact.money.per_month if exact.money is not None else None
    revenue = expected.revenue if expected is not None else exact.revenue_per_month
    if revenue is None and not won.mean:
        return None
    observed = result.run.observed_hours / 24.0
    won_text = est_money(won, currency, lang)  # as the page: `1,4 млрд ₽ ±76 млн ₽`
    days = tr.sig(observed) if lang != "en" else f"{observed:.3g}"
    line = tr.gettext("money: {won} won in the {days} observed days").format(
        won=won_text, days=days)
    if revenue is not None:
        bound = "≤" if exact.money is not None and exact.money.revenue_is_bound else ""
        if exact.money is not None and expected is not None and exact.money.costs_priced:
            # profit only when the file prices a cost: without one it repeats the revenue
            line += tr.gettext("; expected per month (exact maths): revenue {revenue}, "
                               "profit {profit}").format(
                revenue=bound + money_in(revenue, currency, lang),
                profit=bound + money_in(expected.profit, currency, lang))
        else:
            line += tr.gettext("; expected revenue per month (exact maths): {revenue}").format(
                revenue=bound + money_in(revenue, currency, lang))
    return line
