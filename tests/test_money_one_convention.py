"""One currency, one way of writing it, whichever output says it. The report, simulate and
analyze write money through `numfmt.money_in`; the audit, history and fit through
`Translator.money`. They disagreed: English roubles read «1.23M ₽» in the report and
«RUB 1,230,000» in the audit, Ukrainian dollars «1,23 млн $» and «1 230 000 USD». Both now
take the sign and its place from `numfmt.currency_mark` (CLDR's symbol and place for the
language; where CLDR has none, the narrow sign: Ukrainian «₽»)."""

from __future__ import annotations

import pytest

from funnelc.i18n import LANGUAGES, translator
from funnelc.numfmt import money_in

CURRENCIES = ("RUB", "UAH", "USD", "EUR")
AMOUNTS = (780.0, -780.0, 1_230_000.0, 2_500_000_000.0)
"""Amounts both paths write with the same digits (three significant ones, a scale word
Babel and numfmt agree on), so any difference left is the currency's."""


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("currency", CURRENCIES)
def test_both_money_formatters_write_a_currency_alike(lang: str, currency: str) -> None:
    tr = translator(lang)
    for amount in AMOUNTS:
        compact = tr.money(amount, currency, compact=abs(amount) >= 1000)
        assert money_in(amount, currency, lang) == compact, (lang, currency, amount)


@pytest.mark.parametrize(("lang", "currency", "said"), [
    ("ru", "RUB", "1,23\u00a0млн\u00a0₽"), ("ru", "UAH", "1,23\u00a0млн\u00a0₴"),
    ("ru", "USD", "1,23\u00a0млн\u00a0$"), ("ru", "EUR", "1,23\u00a0млн\u00a0€"),
    # CLDR's Ukrainian symbols are the codes but for the hryvnia; it has none for the
    # rouble, and the team writes ₽ there.
    ("uk", "RUB", "1,23\u00a0млн\u00a0₽"), ("uk", "UAH", "1,23\u00a0млн\u00a0₴"),
    ("uk", "USD", "1,23\u00a0млн\u00a0USD"), ("uk", "EUR", "1,23\u00a0млн\u00a0EUR"),
    # English: the sign before the figure, a code set apart by a no-break space.
    ("en", "RUB", "RUB\u00a01.23M"), ("en", "UAH", "UAH\u00a01.23M"),
    ("en", "USD", "$1.23M"), ("en", "EUR", "€1.23M"),
])
def test_the_chosen_convention_of_each_language(lang: str, currency: str, said: str) -> None:
    assert money_in(1_230_000, currency, lang) == said
    assert translator(lang).money(1_230_000, currency, compact=True) == said


def test_a_minus_stays_before_a_sign_that_leads() -> None:
    en = translator("en")
    assert money_in(-780, "RUB", "en") == en.money(-780, "RUB") == "-RUB\u00a0780"
    assert money_in(-780, "USD", "en") == en.money(-780, "USD") == "-$780"
    assert money_in(-780, "USD", "uk") == translator("uk").money(-780, "USD") == "-780\u00a0USD"
