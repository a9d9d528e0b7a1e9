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

__all__ = ["MATURITY_QUANTILE", "month_end", "month_start", "mature_months", "seen_from",
           "whole_months", "LATE_CLOSES_DAYS", "SEEN_QUANTILE"]

MATURITY_QUANTILE = 0.9
LATE_CLOSES_DAYS = 7
"""Closes that begin this many days after the first entry or less are on time."""
SEEN_QUANTILE = 0.05
"""A cohort that entered this share of the time to close before the history's first
close has lost at most this share of its deals: still whole."""
MIN_CLOSES = 20


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


def month_start(month: str, tz: str = "UTC") -> datetime:
    """The first moment of `month` ("2024-05") in `tz`, as an aware datetime."""
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=ZoneInfo(tz))


def seen_from(visits: pl.DataFrame, data_start: datetime | None) -> datetime | None:
    """From when the history sees deals whole, when its closes begin late; else None.

    An export that starts mid-stream (a deal list of the deals still in the CRM after a
    clean-up, events of a window) holds the early deals that were still open when it
    starts, not those that had closed: their cohorts are survivors. Maven's public deal
    list has deals engaged from October 2016 and no close before March 2017: its
    November cohort read 72 % won, July's 37 %, and with products as sources the audit
    made six «source got worse» findings of $1.6M. Closes begin late when the first one
    comes more than `LATE_CLOSES_DAYS` and more than the median time to close (entry to
    won or lost, over the deals that closed) after the first event: in a whole export the
    first deals to close are the fastest of the first days. The history is whole from
    that first close less the `SEEN_QUANTILE` of the time to close: a cohort that came
    in then lost at most that share of its deals before it."""
    closed = visits.filter(pl.col("exit").is_in(["won", "lost"]) & pl.col("left").is_not_null())
    if data_start is None or closed.height < MIN_CLOSES:
        return None
    hours = (pl.col("left") - pl.col("first_ts")).dt.total_microseconds() / 3.6e9
    first, median, fast = closed.select(pl.col("left").min().alias("first"),
                                        hours.median().alias("median"),
                                        hours.quantile(SEEN_QUANTILE).alias("fast")).row(0)
    if not isinstance(first, datetime) or median is None:
        return None
    gap = first - data_start
    if gap <= timedelta(days=LATE_CLOSES_DAYS) or gap <= timedelta(hours=float(median)):
        return None
    return first - timedelta(hours=max(0.0, float(fast or 0.0)))


def whole_months(months: list[str], since: datetime | None, tz: str = "UTC") -> list[str]:
    """The months of `months` whose cohorts the history saw whole: those that began at
    or after `since` (`seen_from`); every month when it is None."""
    if since is None:
        return months
    return [m for m in months if month_start(m, tz) >= since]
