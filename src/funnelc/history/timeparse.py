"""Timestamps as CRMs and spreadsheets write them, read into UTC in one vectorised pass.

Accepted: Unix seconds or milliseconds (numbers or digit strings), ISO 8601 with an
offset or `Z` (Bitrix24 writes `2024-03-01T12:00:00+03:00`), and zone-less forms: ISO
with `T` or a space, with or without seconds and fractions, `DD.MM.YYYY HH:MM[:SS]`
(Excel for Windows with Cyrillic; `D.M.YY` too, a two-digit year being 20YY), bare dates, Excel serial
day numbers (`46361.6`, `46 361,6`: days since 1899-12-30, for a date column saved as a
number; 36526–73050, the years 2000–2099, so no Unix time or id is taken for one) and,
with `slash_order`, `D/M/YYYY` or `M/D/YYYY` (`slash_order` tells which: a file's dates
decide it, `slash_date_order`), their time on a 12-hour clock too (`2/23/2026 8:55 PM`,
`2/23/2026, 8:55 PM`: Salesforce's report exports in the United States locale). A
zone-less time means local time in `tz` (UTC unless `--tz` says otherwise): the caller counts
those as `naive_timestamps`. Where the clocks move, a local time can be missing from
`tz` (the hour skipped in spring: `skipped`, no time at all, which the readers drop as
`skipped_local_time` rather than as unreadable) or happen twice (the hour repeated in
autumn: `ambiguous`, read as the first, which the readers count as `ambiguous_local_times`).

Unix times are read per value: above 1e11 milliseconds, else seconds (1e11 s is the year
5138, 1e11 ms is 1973, so no real date of this century is ambiguous). Two guards keep
broken exports from passing as data (`screen_times`): a file whose Unix times mix both
units keeps the majority unit and drops the rest (they are what a broken export job
wrote, and a mix once read as a history spanning 22 years), and dates outside
`TimeBounds` (default 2000-01-01 to the end of next year) are dropped as implausible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC as _UTC_ZONE  # `UTC` below is the polars dtype
from datetime import date, datetime
from typing import Literal

import polars as pl

__all__ = ["ParsedTimes", "TimeBounds", "parse_timestamps", "from_epoch_seconds", "epoch_unit",
           "screen_times", "MS_ABOVE", "SlashOrder", "SlashDates", "slash_date_order", "time_form",
           "ACCEPTED_TIMES"]

MS_ABOVE = 1e11
"""Unix times above this are milliseconds."""
_MAX_SECONDS = 2.5e11
"""Beyond ±2.5e11 s (about the year 9900) a time cannot become a Python datetime: null."""

_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z",
                   "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M%z")
_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M",
                  "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d",
                  "%d.%m.%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")
UTC = pl.Datetime("us", "UTC")
_CLOCK12 = r"(?i)\d\s*[AP]M$"
_CLOCK12_FORMATS = ("%Y-%m-%d %I:%M %p", "%Y-%m-%d %I:%M:%S %p")
"""A 12-hour time after a slash date rewritten to `YYYY-M-D`; looked for only when some
value ends in AM or PM."""
ACCEPTED_TIMES = ("YYYY-MM-DD HH:MM[:SS] (with or without a zone offset, or a `T`), "
                  "DD.MM.YYYY HH:MM[:SS], D/M/YYYY or M/D/YYYY with HH:MM or h:mm AM/PM, "
                  "dates alone, Unix seconds or milliseconds, Excel serial day numbers")
"""The forms read, as an error about an unreadable time column lists them."""


def time_form(text: str) -> str:
    """What an unreadable time looks like, in words for an error: `02/23/26 08:55 PM`
    is «a 12-hour time (AM/PM) with a two-digit year»; "" when nothing stands out."""
    import re

    parts = []
    if re.search(_CLOCK12, text.strip()):
        parts.append("a 12-hour time (AM/PM)")
    if re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(\D|$)", text.strip()):
        parts.append("a two-digit year")
    if not parts:
        return ""
    return parts[0] + (f" with {parts[1]}" if len(parts) > 1 else "")


@dataclass
class ParsedTimes:
    ts: pl.Series
    """UTC datetimes; null where the text could not be read."""
    naive: pl.Series
    """True where the text carried no zone and `tz` was assumed."""
    unit: pl.Series
    """"s" or "ms" where the value was a Unix time, else null."""
    skipped: pl.Series
    """True where a readable zone-less time does not exist in `tz` (the clocks skipped it);
    `ts` is null there."""
    ambiguous: pl.Series
    """True where a zone-less time happens twice in `tz` (the clocks went back); `ts` is
    the first of the two."""


@dataclass(frozen=True)
class TimeBounds:
    """The dates a CRM history can plausibly hold: `start` inclusive, `end` exclusive.
    Anything outside is a broken value (a year 9999 placeholder, seconds read as
    milliseconds), and one such value would stretch the history over centuries."""

    start: datetime
    end: datetime

    @staticmethod
    def default(today: date | None = None) -> TimeBounds:
        year = (today or date.today()).year
        return TimeBounds(datetime(2000, 1, 1, tzinfo=_UTC_ZONE),
                          datetime(year + 2, 1, 1, tzinfo=_UTC_ZONE))

    @staticmethod
    def years(first: int, last: int) -> TimeBounds:
        """From 1 January of `first` to the end of `last` (both within 1900–2200)."""
        return TimeBounds(datetime(first, 1, 1, tzinfo=_UTC_ZONE),
                          datetime(last + 1, 1, 1, tzinfo=_UTC_ZONE))

    def text(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end.year - 1}-12-31"


def epoch_unit(values: pl.Series) -> pl.Series:
    """"ms" or "s" per Unix time (null stays null)."""
    v = values.cast(pl.Float64, strict=False)
    return pl.select(pl.when(v.is_nan()).then(None).when(v.abs() > MS_ABOVE).then(pl.lit("ms"))
                     .when(v.is_not_null()).then(pl.lit("s"))).to_series().alias("unit")


def from_epoch_seconds(values: pl.Series) -> pl.Series:
    """Unix times (seconds; values above 1e11 are taken as milliseconds) → UTC; null
    where the value is no number or too far from 1970 to be a date at all."""
    v = values.cast(pl.Float64, strict=False)
    secs = pl.when(v.abs() > MS_ABOVE).then(v / 1e3).otherwise(v)
    us = pl.select(pl.when(secs.abs() <= _MAX_SECONDS).then(secs * 1e6).round(0)
                   .cast(pl.Int64, strict=False)).to_series()
    return pl.select(pl.from_epoch(us, time_unit="us").dt.replace_time_zone("UTC")).to_series()


def screen_times(ts: pl.Series, unit: pl.Series, bounds: TimeBounds
                 ) -> tuple[pl.Series, tuple[str, int, int] | None]:
    """Why each time cannot be used — "implausible_timestamp" (outside `bounds`, or a
    number no date at all), then "mixed_time_units" (a plausible Unix time in the unit
    fewer of the file's plausible Unix times use) — or null; and, when units are mixed,
    (dropped unit, its count, the other's count). Ties drop milliseconds: the CRMs read
    here write seconds."""
    start = pl.lit(bounds.start).cast(pl.Datetime("us", "UTC"))
    end = pl.lit(bounds.end).cast(pl.Datetime("us", "UTC"))
    frame = pl.DataFrame({"ts": ts, "unit": unit}).with_columns(
        bad=((pl.col("ts").is_null() & pl.col("unit").is_not_null())
             | (pl.col("ts") < start) | (pl.col("ts") >= end)).fill_null(False))
    good = frame.filter(~pl.col("bad"))["unit"]
    n_s, n_ms = int((good == "s").sum()), int((good == "ms").sum())
    minority = ("s" if n_s < n_ms else "ms") if n_s and n_ms else None
    mixed = None
    if minority is not None:
        mixed = (minority, n_s, n_ms) if minority == "s" else (minority, n_ms, n_s)
    in_minority = (pl.col("unit") == minority).fill_null(False) if minority else pl.lit(False)
    out = frame.select(why=pl.when(pl.col("bad")).then(pl.lit("implausible_timestamp"))
                       .when(in_minority).then(pl.lit("mixed_time_units"))
                       .otherwise(pl.lit(None, pl.Utf8))).to_series()
    return out, mixed


SlashOrder = Literal["dmy", "mdy"]
_SLASH = r"^(\d{1,2})/(\d{1,2})/(\d{4})"
_SERIAL = r"^\d{2}[ \u00a0\u202f]?\d{3}(?:[.,]\d+)?$"
_SERIAL_DAYS = (36526.0, 73051.0)
"""Excel serial days read as dates: 2000-01-01 to 2099-12-31."""
_EXCEL_EPOCH_S = -2209161600
"""1899-12-30 00:00 as Unix seconds: Excel's day 0 (its 1900 leap-year bug folded in)."""


@dataclass(frozen=True)
class SlashDates:
    """How a column's `A/B/YYYY` dates read: `order` when some value settles it (a first
    number above 12 is a day, so day-first; a second one above 12, month-first); else
    None, and `first` is the index of the first such date (they are ambiguous), or of
    the first value that contradicts the other order (`other`)."""

    count: int
    order: SlashOrder | None
    first: int | None = None
    other: int | None = None
    settled_by: int | None = None
    """With `order`: the index of the first value that settles it (`01/13/2026`)."""


def slash_date_order(values: pl.Series) -> SlashDates:
    """Which way a column's slash dates read (`SlashDates`). One order for the whole
    column: a spreadsheet writes every date of a column alike, and a `5/12/2026` means
    5 December or 12 May only by the others beside it."""
    if values.dtype != pl.Utf8 or not values.str.contains("/", literal=True).any():
        return SlashDates(0, None)
    parts = values.str.strip_chars().str.extract_groups(_SLASH)
    a = parts.struct.field("1").cast(pl.Int32, strict=False)
    b = parts.struct.field("2").cast(pl.Int32, strict=False)
    frame = pl.DataFrame({"a": a, "b": b}).with_row_index("i")
    slashed = frame.filter(pl.col("a").is_not_null())
    if slashed.height == 0:
        return SlashDates(0, None)
    day_first = slashed.filter(pl.col("a") > 12)["i"]
    month_first = slashed.filter(pl.col("b") > 12)["i"]
    if len(day_first) and len(month_first):
        return SlashDates(slashed.height, None, int(day_first[0]), int(month_first[0]))
    if len(day_first):
        return SlashDates(slashed.height, "dmy", settled_by=int(day_first[0]))
    if len(month_first):
        return SlashDates(slashed.height, "mdy", settled_by=int(month_first[0]))
    return SlashDates(slashed.height, None, int(slashed["i"][0]))


def parse_timestamps(values: pl.Series, tz: str = "UTC",
                     slash_order: SlashOrder | None = None) -> ParsedTimes:
    if values.dtype.is_numeric():
        ts = from_epoch_seconds(values)
        never = pl.Series("naive", [False] * len(values), dtype=pl.Boolean)  # typed if empty
        return ParsedTimes(ts.alias("ts"), never, epoch_unit(values),
                           never.alias("skipped"), never.alias("ambiguous"))
    s = values.cast(pl.Utf8).str.strip_chars()
    # Spreadsheet forms rewritten into ones the formats below read: `5.12.26` → 2026,
    # `5/12/2026` → `2026-12-5` in the column's order.
    # Both spreadsheet forms are rare: looked for once, rewritten only when present.
    short_year = r"^(\d{1,2}\.\d{1,2}\.)(\d{2})(\s|$)"
    rare = s.str.contains(f"{short_year}|{_SERIAL}")
    spreadsheet = bool(rare.any())
    if spreadsheet:
        s = s.str.replace(short_year, "${1}20${2}${3}")
    if slash_order is not None:
        ymd = "${3}-${2}-${1}" if slash_order == "dmy" else "${3}-${1}-${2}"
        s = s.str.replace(_SLASH, ymd).str.replace(r"^(\d{4}-\d{1,2}-\d{1,2}),\s+", "${1} ")
    formats = _NAIVE_FORMATS + (_CLOCK12_FORMATS if s.str.contains(_CLOCK12).any() else ())
    frame = pl.DataFrame({"s": s})
    text = pl.col("s").str.replace(r"(?i)z$", "+00:00").str.replace(
        r"([+-]\d\d)(\d\d)$", "$1:$2")
    has_offset = pl.col("s").str.contains(r"(?i)(?:[+-]\d\d:?\d\d|z)$") & pl.col("s").str.contains(
        r"[T ]\d")
    is_epoch = pl.col("s").str.contains(r"^-?\d{9,13}(?:\.\d+)?$")
    with_offset = pl.coalesce([text.str.to_datetime(f, time_unit="us", time_zone="UTC",
                                                    strict=False)
                               for f in _OFFSET_FORMATS])
    naive = pl.coalesce([pl.col("s").str.to_datetime(f, time_unit="us", strict=False)
                         for f in formats])
    naive_or_serial: pl.Expr = pl.when(~has_offset & ~is_epoch).then(naive)
    if spreadsheet:
        days = (pl.col("s").str.replace_all(r"[ \u00a0\u202f]", "").str.replace(",", ".")
                .cast(pl.Float64, strict=False))
        is_serial = pl.col("s").str.contains(_SERIAL) & days.is_between(*_SERIAL_DAYS,
                                                                       closed="left")
        serial = pl.from_epoch(((days * 86400).round(0).cast(pl.Int64) + _EXCEL_EPOCH_S),
                               time_unit="s").cast(pl.Datetime("us"))
        naive_or_serial = pl.when(is_serial).then(serial).otherwise(naive_or_serial)
    out = frame.select(
        offset=pl.when(has_offset).then(with_offset),
        naive=naive_or_serial,
        epoch=pl.when(is_epoch).then(pl.col("s").cast(pl.Float64, strict=False)),
    )
    naive_ts = out.get_column("naive")
    is_naive = naive_ts.is_not_null().alias("naive")
    local = naive_ts.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    skipped = (is_naive & local.is_null()).alias("skipped")
    if tz == "UTC":
        ambiguous = pl.Series("ambiguous", [False] * len(values), dtype=pl.Boolean)
    else:
        # Null for both the skipped and the repeated times: the repeated ones are those
        # `earliest` did read.
        once = naive_ts.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
        ambiguous = (local.is_not_null() & once.is_null()).alias("ambiguous")
    epoch = from_epoch_seconds(out.get_column("epoch"))
    ts = pl.select(pl.coalesce([out.get_column("offset"), local.dt.convert_time_zone("UTC"),
                                epoch])).to_series()
    return ParsedTimes(ts.alias("ts"), is_naive, epoch_unit(out.get_column("epoch")),
                       skipped, ambiguous)
