"""Bitrix24 deal amounts in one currency. A deal's `OPPORTUNITY` is in its own
`CURRENCY_ID`, and a Ukrainian equipment seller prices imported machines in dollars and
service in hryvnias in the same pipeline: added as they are, $12 000 counted as 12 000 ₴,
a fortieth of itself, and every sum of money the audit prints mixed the two.

`crm.currency.list` (b24restdocs `api-reference/crm/currency/crm-currency-list.md`) gives
each currency's rate as `AMOUNT` of the base currency (`BASE` "Y") for `AMOUNT_CNT` units:
with it every amount is read in the base currency at the account's rate. Without it the
amounts are read in the currency most of the priced deals have, and a deal in another
one keeps no value (a missing value is taken to be worth what the others are, never 0),
and a note says how many and how to give the rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["Rates", "Converted", "in_one_currency", "rate_of"]


@dataclass
class Rates:
    """`crm.currency.list`: currency → units of the base currency per unit."""

    to_base: dict[str, float]
    base: str | None


def rate_of(record: dict[str, object]) -> float | None:
    """`AMOUNT` / `AMOUNT_CNT` of one `crm.currency.list` record; None when unreadable."""
    try:
        amount = float(str(record.get("AMOUNT")))
        count = float(str(record.get("AMOUNT_CNT") or 1))
    except (TypeError, ValueError):
        return None
    if not (amount > 0 and count > 0) or amount != amount:
        return None
    return amount / count


@dataclass(frozen=True)
class Converted:
    """What reading the amounts in one currency did, for the history's note."""

    currency: str
    """The currency every amount is read in."""
    converted: tuple[tuple[str, int, float], ...]
    """(currency, deals, units of `currency` per unit) of the amounts converted."""
    left: tuple[tuple[str, int], ...]
    """(currency, deals) of the amounts left without a value: no rate for them."""
    source: str = "bitrix24"
    """Where the amounts come from, so that the note says where a rate would: Bitrix24's
    `crm.currency.list`, or (`csv`) a spreadsheet, which carries no rate at all."""
    account: bool = False
    """`currency` is the account's own (`account { currency RUB }`), not the one most
    deals have: the history's money is printed in it."""


def in_one_currency(value: pl.Expr, currency: str, deals: pl.DataFrame,
                    rates: Rates | None, source: str = "bitrix24", prefer: str | None = None
                    ) -> tuple[pl.Expr, Converted | None]:
    """`value` (the amount column) in one currency, reading each deal's `currency`
    column. None as the second item when the priced deals have one currency or none.
    A row without a currency keeps its amount as it is, read in the one chosen.
    `prefer`: the account's currency, which the history's money is printed in: the
    amounts are read in it, at the rates where they give it, also when no deal has it
    (each amount without a rate then keeps no value: a dollar printed as a rouble is a
    wrong number, a missing one is said)."""
    priced = deals.filter(value.is_not_null() & (value != 0) & pl.col(currency).is_not_null())
    counts = priced.group_by(currency).len().sort(["len", currency], descending=[True, False])
    if counts.height == 0 or (counts.height == 1 and prefer in (None, counts[currency][0])):
        return value, None
    known = rates.to_base if rates is not None else {}
    based = rates is not None and rates.base in known
    target = (prefer if prefer is not None
              else str(rates.base) if rates is not None and based else str(counts[currency][0]))
    converted: list[tuple[str, int, float]] = []
    left: list[tuple[str, int]] = []
    factor: dict[str, float | None] = {target: 1.0}
    for cur, n in counts.iter_rows():
        if cur == target:
            continue
        if cur in known and target in known:
            factor[cur] = known[cur] / known[target]
            converted.append((cur, n, known[cur] / known[target]))
        else:
            factor[cur] = None
            left.append((cur, n))
    mult = pl.col(currency).replace_strict(
        list(factor), list(factor.values()), default=1.0, return_dtype=pl.Float64)
    out = pl.when(pl.col(currency).is_null()).then(value).otherwise(value * mult)
    return out, Converted(target, tuple(converted), tuple(left), source,
                          prefer is not None)
