"""Which months of cohorts are old enough to be judged.

A cohort (the deals that entered a stage in a month) keeps converting after its month
ends: its deals need time to reach the next stage, and a month whose deals have not had
that time looks worse than it is — the last month of every export "falls". A month is
complete once the 90th percentile of the time the deals that made it took has passed
since the month ended (in the zone months are counted in). History's conversion table
marks the months that are not, and the source and loss-reason comparisons judge only the
complete ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

__all__ = ["MATURITY_QUANTILE", "month_end", "mature_months"]

MATURITY_QUANTILE = 0.9


def month_end(month: str, tz: str = "UTC") -> datetime:
    """The first moment after `month` ("2024-05") in `tz`, as an aware datetime."""
    y, mo = int(month[:4]), int(month[5:7])
    return datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=ZoneInfo(tz))


def mature_months(months: list[str], hours_to: pl.Series, data_end: datetime | None,
                  tz: str = "UTC") -> list[str]:
    """The months whose deals have had time to convert: the month ended at least the
    90th percentile of `hours_to` (how long the deals that converted took) before the
    data ends. Without an end, every month."""
    if data_end is None:
        return months
    q = hours_to.drop_nulls().quantile(MATURITY_QUANTILE) if hours_to.len() else None
    wait = timedelta(hours=float(q)) if q is not None else timedelta(0)
    return [m for m in months if month_end(m, tz) + wait <= data_end]
