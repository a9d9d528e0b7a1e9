"""Sums of money that are the same in every run.

Polars adds a group's floats in parts (one per thread, in the order the threads take
the rows) and then adds the parts, and floating-point addition depends on its order: the
same history's lost value came out 848,061.33 in one run and 848,061.3299999998 in the
next, and every sum priced from a stage's worth moved in its last digits (a SaaS's
manager «52,317.29728636264» and «…263», `tests/test_history_same_bytes.py`). Added as
decimals to the cent (integers underneath) the sum is exact, so its order cannot matter,
and it is the cents' sum: whole cents divided by 100 in polars came out 848,061.3300000001
(its division by a constant is a multiplication by 0.01).
"""

from __future__ import annotations

import polars as pl

__all__ = ["exact_sum", "exact_mean"]


def _cents(values: pl.Expr) -> pl.Expr:
    return values.cast(pl.Float64).round(2).cast(pl.Decimal(38, 2), strict=False)


def exact_sum(values: pl.Expr) -> pl.Expr:
    """The sum of a money column to the cent, whatever the order of its rows (nulls add
    nothing, as in `sum`)."""
    return _cents(values).sum().cast(pl.Float64)


def exact_mean(values: pl.Expr) -> pl.Expr:
    """The mean of a money column's values, null where it has none; summed to the cent
    (`exact_sum`)."""
    cents = _cents(values)
    return pl.when(cents.count() > 0).then(cents.sum().cast(pl.Float64) / cents.count())
