"""The audit's tables put a moment in its calendar month by looking it up between the
instants the months of the account's zone begin (`analytics.months_of`, issue 14: the
pair table and the junk table of the 1M-event benchmark), not by converting and
formatting each moment. The month must be the one `month_of` writes (the moment in the
zone, «2026-04») in every zone, also where the clocks change within a day of a month's
start: at midnight (a local midnight that happens twice, or never), or an hour either
side of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from funnelc.history.analytics import month_of, months_of

ZONES = ("UTC", "Europe/Moscow", "Europe/Kyiv", "Asia/Yekaterinburg", "America/Santiago",
         "America/Havana", "Asia/Beirut", "America/Asuncion", "Africa/Casablanca",
         "Asia/Tehran", "America/Sao_Paulo", "Pacific/Chatham", "Asia/Kathmandu")
"""The account zones of the users, and zones that change their clocks at or near
midnight (Chile and Cuba at midnight, Lebanon and Paraguay at midnight, Morocco around
Ramadan, Brazil until 2019), or by a fraction of an hour."""


def _moments(zone: str) -> pl.Series:
    """Every 10 minutes from two days before to two days after each month's start of
    2015-2026 in `zone`, out of order, and the exact starts and a microsecond before."""
    z = ZoneInfo(zone)
    out: list[datetime] = []
    for y in range(2015, 2027):
        for m in range(1, 13):
            start = datetime(y, m, 1, tzinfo=z).astimezone(UTC)
            out += [start, start - timedelta(microseconds=1)]
            out += [start + timedelta(minutes=10 * k) for k in range(-288, 289)]
    out.reverse()
    return pl.Series("entered", out, dtype=pl.Datetime("us", "UTC"))


@pytest.mark.parametrize("zone", ZONES)
def test_the_month_looked_up_is_the_month_in_the_zone(zone: str) -> None:
    times = _moments(zone)
    want = pl.DataFrame({"entered": times}).select(month_of("entered", zone))["entered"]
    got = months_of(times, zone)
    assert got.dtype == pl.Categorical and got.name == "entered"
    assert got.cast(pl.Utf8).to_list() == want.to_list()


def test_a_single_moment_and_one_without_a_time_are_placed_too() -> None:
    """One row, and a column with a null (the lookup needs every moment; the null is
    written month by month as before)."""
    one = pl.Series("ta", [datetime(2026, 3, 31, 21, 30, tzinfo=UTC)],
                    dtype=pl.Datetime("us", "UTC"))
    assert months_of(one, "Europe/Moscow").cast(pl.Utf8).to_list() == ["2026-04"]
    assert months_of(one, "UTC").cast(pl.Utf8).to_list() == ["2026-03"]
    gap = pl.Series("ta", [datetime(2026, 3, 31, 21, 30, tzinfo=UTC), None],
                    dtype=pl.Datetime("us", "UTC"))
    assert months_of(gap, "Europe/Moscow").cast(pl.Utf8).to_list() == ["2026-04", None]
